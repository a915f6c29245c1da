#!/usr/bin/env bash
# Every TLS stack's agent on the arm64 device: for STACK in mbedtls, wolfssl,
# openssl and gnutls, the root-x1 image with the overlay
# images/aarch64/agent-STACK.cpio.gz appended (and, after it, a profile saying
# tls = STACK in place of the image's) boots on qemu-aarch64 against its own
# rotsim serve (R10 chain, 2024-07-01), installs version 2 and boots it. The
# first console must show an arm64 guest, the agent of that stack (agent-start
# agent=rotsim-agent-STACK tls=STACK: the BearSSL agent of the image would
# refuse the profile), the handshake, the signed manifest and the install; the
# second, the same agent running version 2 from slot a and current; the
# server's events, the whole image sent and a check-in with version 2. The
# devices boot JOBS at a time (default: one per core). The boot timeout is the
# target's, raised, and so are the server's: on a loaded machine a TCG guest
# can take minutes, and time is not what this tests.
set -euo pipefail
. "$ROTSIM_TOP/harness/run/tests/lib.sh"
STACKS=${STACKS:-mbedtls wolfssl openssl gnutls}
img=$ROTSIM_BUILD/images/aarch64
MKBUNDLE=$ROTSIM_BUILD/bin/rotsim-mkbundle
base=$img/root-x1/initramfs.cpio.gz
for f in "$base" "$img/vmlinuz" "$img/root-x1/flash.img" "$ROTSIM_BUILD/firmware/signing-seed"; do
	[ -f "$f" ] || fail "no $f (make images)"
done
for s in $STACKS; do
	[ -f "$img/agent-$s.cpio.gz" ] || fail "no $img/agent-$s.cpio.gz (make images)"
done

# Servers and boots run in the background; stop them all, whatever happens.
pids=()
stop() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap stop EXIT

# The mirror's chains (keys from the build's test cache), the image's signing
# key, and version 2.
"$ROTSIM" pki scenarios/pki/letsencrypt.pki --out "$tmp/le" > "$tmp/le.log" 2>&1 ||
	{ cat "$tmp/le.log"; fail "rotsim pki"; }
"$MKBUNDLE" --signing-seed "$(cat "$ROTSIM_BUILD/firmware/signing-seed")" --key-out "$tmp/fsk.pem"
mkdir -p "$tmp/fw"
"$MKBUNDLE" --version 2 --payload-size 100000 --out "$tmp/fw/image-2.bin" > /dev/null
size=$(stat -c %s "$tmp/fw/image-2.bin")

# One build directory per stack for boot.sh: the image's kernel and flash, and
# the initramfs with the overlay and the profile appended.
for s in $STACKS; do
	b=$tmp/build-$s/images/aarch64
	mkdir -p "$b/root-x1" "$tmp/etc-$s/etc/rotsim"
	ln -s "$img/vmlinuz" "$b/vmlinuz"
	ln -s "$img/root-x1/flash.img" "$b/root-x1/flash.img"
	{ cat "$ROTSIM_BUILD/firmware/profiles/root-x1.profile"; echo "tls        = $s"; } \
		> "$tmp/etc-$s/etc/rotsim/profile"
	chmod 0755 "$tmp/etc-$s/etc" "$tmp/etc-$s/etc/rotsim"
	chmod 0644 "$tmp/etc-$s/etc/rotsim/profile"
	(cd "$tmp/etc-$s" && find etc | LC_ALL=C sort |
		cpio --quiet -o -H newc --reproducible -R 0:0 | gzip -n) > "$tmp/profile-$s.cpio.gz"
	cat "$base" "$img/agent-$s.cpio.gz" "$tmp/profile-$s.cpio.gz" > "$b/root-x1/initramfs.cpio.gz"
done

# A server per stack, so that each one's events are that device's alone; its
# timeouts long enough for a guest on a loaded machine.
declare -A port
for s in $STACKS; do
	"$ROTSIM" serve --listen 127.0.0.1:0 --chain "$tmp/le/chains/leaf-r10.pem" \
		--key "$tmp/le/leaf-r10.key.pem" --firmware "$tmp/fw" --signing-key "$tmp/fsk.pem" \
		--time 2024-07-01 --events "$tmp/events-$s.jsonl" --timeout 120 > "$tmp/serve-$s.out" 2>&1 &
	pids+=($!)
	for _ in $(seq 1 200); do
		grep -q '^listening ' "$tmp/serve-$s.out" 2>/dev/null && break
		kill -0 "${pids[-1]}" 2>/dev/null || { cat "$tmp/serve-$s.out"; fail "rotsim serve ($s) exited"; }
		sleep 0.05
	done
	port[$s]=$(sed -n 's/^listening .*://p' "$tmp/serve-$s.out")
	[ -n "${port[$s]}" ] || fail "rotsim serve ($s) did not start"
done

# The target, with more time to boot (nothing here is timed).
sed 's/^boot-timeout *=.*/boot-timeout = 300/' targets/qemu-aarch64/target.conf > "$tmp/target.conf"
grep -q '^boot-timeout = 300$' "$tmp/target.conf" || fail "no boot-timeout in target.conf"

# Two boots of one device on one flash: the install, then version 2; the exit
# status goes to rc-STACK. Each boot.sh runs in the background, so that a TERM
# (the test stopped) ends it and, through it, QEMU.
run_stack() {
	local s=$1 n child=
	trap '[ -z "$child" ] || kill "$child" 2>/dev/null; wait; exit 143' TERM
	echo 1 > "$tmp/rc-$s"
	for n in 1 2; do
		targets/qemu-x86_64/boot.sh -t "$tmp/target.conf" -b "$tmp/build-$s" \
			-d root-x1 -r 2024-07-01 -s "${port[$s]}" -o "$tmp/case-$s" -T 300 \
			> "$tmp/boot-$s-$n.out" 2>&1 &
		child=$!
		wait "$child" || return 0
		tr -d '\r' < "$tmp/case-$s/console.log" > "$tmp/console-$s-$n.log"
	done
	echo 0 > "$tmp/rc-$s"
}
# As many devices at once as there are cores (JOBS): a TCG guest keeps about
# one core busy, and more guests than cores only share them.
jobs=${JOBS:-$(nproc)}
t0=$EPOCHREALTIME
declare -A active=() # the devices' jobs not yet waited for, by pid
for s in $STACKS; do
	while [ ${#active[@]} -ge "$jobs" ]; do
		ended=
		wait -n -p ended "${!active[@]}" || true
		unset "active[$ended]"
	done
	run_stack "$s" &
	pids+=($!)
	active[$!]=$s
done
for p in "${!active[@]}"; do wait "$p" || true; done
bad=0
for s in $STACKS; do
	cat "$tmp"/boot-"$s"-*.out 2>/dev/null | sed "s/^/$s: /"
	[ "$(cat "$tmp/rc-$s")" -eq 0 ] || { echo "FAIL: $s: boot.sh failed"; bad=1; }
done
t1=$EPOCHREALTIME
echo "$(wc -w <<<"$STACKS") devices, two boots each, $jobs at a time on qemu-aarch64: $(( (10#${t1/./} - 10#${t0/./}) / 1000 )) ms"

# expect STACK BOOT PATTERN...: every pattern matches a line of that console.
expect() {
	local s=$1 n=$2 w
	shift 2
	for w in "$@"; do
		grep -Eq "$w" "$tmp/console-$s-$n.log" 2>/dev/null ||
			{ echo "FAIL: $s: boot $n: no console line matching: $w"; bad=1; }
	done
}
for s in $STACKS; do
	for n in 1 2; do
		echo "--- $s, boot $n"
		grep '^rotsim:' "$tmp/console-$s-$n.log" 2>/dev/null || true
		expect "$s" "$n" "^rotsim: booted .* arch=aarch64 kernel=[^ ]*-arm64$" \
			"^rotsim: agent-start agent=rotsim-agent-$s device=root-x1 profile=root-x1 factory-version=1 tls=$s variant=default$" \
			"^rotsim: tls result=ok "
	done
	expect "$s" 1 "^rotsim: boot slot=factory how=factory version=1$" \
		"^rotsim: trust profile=root-x1 mode=anchors source=factory set=x1-only " \
		"^rotsim: clock source=rtc time=2024-07-01T" \
		"^rotsim: manifest sig=ok version=2 size=$size " \
		"^rotsim: image result=ok " \
		"^rotsim: install result=ok slot=a version=2 bytes=$size " \
		"^rotsim: done result=updated version=1 installed=2 exit=10$" \
		"^rotsim: event agent-exit status=10$"
	expect "$s" 2 "^rotsim: boot slot=a how=slot version=2$" \
		"^rotsim: done result=current version=2 exit=0$"
	# The whole image went over the wire to this device, and the device
	# checked in running version 2.
	ev=$tmp/events-$s.jsonl
	sent=$(grep '"event":"request"' "$ev" | grep '"path":"/firmware/' |
		sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
	[ "$sent" -eq "$size" ] || { echo "FAIL: $s: the server sent $sent image bytes, want $size"; bad=1; }
	grep '"path":"/report"' "$ev" | grep -q 'version 2\\n' ||
		{ echo "FAIL: $s: no check-in with version 2"; bad=1; }
done
[ $bad -eq 0 ] || fail "not every stack updated on qemu-aarch64"
echo "stacks aarch64: ok ($STACKS)"
