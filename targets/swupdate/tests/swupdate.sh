#!/usr/bin/env bash
# The SWUpdate device (targets/swupdate) under QEMU, against rotsim serve
# holding a signed .swu bundle (mkswu.sh) as image-2.bin, on the test PKI of
# swupdate.pki, with curl fetching (swupdate.fetch=curl), the one fetch
# swurun.sh does not run. Three boots, two at a time (C beside A's two):
#
#   A  curl fetch, a chain the device trusts: installs version 2 into slot b
#      (the flash's bytes are the image's) and resets the machine (QEMU's
#      trace shows no guest power-off; the kernel says it restarts);
#   B  A's flash booted again: runs version 2 from slot b, and is current;
#   C  curl fetch, a rogue chain: curl refuses the server, nothing is
#      downloaded (the server's events), version 1 stays, slot b stays empty.
#
# SWUpdate's own downloader under a rogue chain (it installs: it checks no
# server certificate) is mitm-rogue-root's swupdate-x1 in swurun.sh.
#
# Each boot's console, trace and the server's events stay in the test's
# TMPDIR; on a failure the test prints them.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}"
top=${ROTSIM_TOP:-$PWD}
boot_sh=$top/targets/qemu-x86_64/boot.sh
mkcpio=$top/targets/qemu-x86_64/mkcpio.sh
image=$ROTSIM_BUILD/images/x86_64-swupdate/initramfs.cpio.gz
for f in "$image" "$ROTSIM_BUILD/images/x86_64/vmlinuz" "$ROTSIM_BUILD/images/x86_64/test/flash.img"; do
	[ -f "$f" ] || { echo "FAIL: no $f (make images)"; exit 1; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swupdate.XXXXXX")
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*"
	local f
	for f in "$tmp"/*/console-*.log "$tmp"/*.events.jsonl; do
		[ -f "$f" ] && { echo "== $f"; tail -n 30 "$f"; }
	done
	exit 1
}

# ---- The world: PKI, signer, image, bundle, the device's configuration. ----
"$ROTSIM" pki "$top/targets/swupdate/tests/swupdate.pki" --out "$tmp/pki" --no-cache -q
(umask 077 && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/sign.key" 2>/dev/null)
"$ROTSIM_BUILD/bin/rotsim-mkswu" --make-cert "$tmp/sign.key" "$tmp/sign.crt"
head -c 131072 /dev/urandom > "$tmp/firmware-2.bin"
mkdir -p "$tmp/fw"
"$ROTSIM_BUILD/bin/rotsim-mkswu" --key "$tmp/sign.key" --cert "$tmp/sign.crt" --version 2 \
	--image "$tmp/firmware-2.bin" "$tmp/fw/image-2.bin"
[ "$(cpio -it --quiet < "$tmp/fw/image-2.bin" | head -n 1)" = sw-description ] ||
	fail "the bundle does not start with sw-description"

c=$tmp/cfg/etc/rotsim
mkdir -p "$c/anchors"
printf '[profile swu-x1]\nanchors = device\nclock = rtc\nversion = 1\n' > "$c/profile"
cp "$tmp/pki/anchors/device.pem" "$c/anchors/device.pem"
cp "$tmp/sign.crt" "$c/bundle-ca.pem"
echo swu-x1 > "$c/device"
echo updates.rotsim.test > "$c/host"
printf '127.0.0.1 localhost\n10.0.2.100 updates.rotsim.test\n' > "$tmp/cfg/etc/hosts"
"$mkcpio" "$tmp/cfg" "$tmp/cfg.cpio.gz"
# A build tree for boot.sh: the image with the configuration appended, as
# the qemu driver appends it.
b=$tmp/build/images
mkdir -p "$b/x86_64/test" "$b/x86_64-swupdate"
ln -s "$ROTSIM_BUILD/images/x86_64/vmlinuz" "$b/x86_64/vmlinuz"
ln -s "$ROTSIM_BUILD/images/x86_64/test/flash.img" "$b/x86_64/test/flash.img"
cat "$image" "$tmp/cfg.cpio.gz" > "$b/x86_64-swupdate/initramfs.cpio.gz"
url=https://updates.rotsim.test/firmware/image-2.bin

# serve NAME LEAF: rotsim serve with LEAF's chain; its port in $port.
serve() {
	"$ROTSIM" serve --chain "$tmp/pki/chains/$2.pem" --key "$tmp/pki/$2.key.pem" \
		--firmware "$tmp/fw" --signing-key "$tmp/manifest.key" --time 2030-01-01 \
		--events "$tmp/$1.events.jsonl" --listen 127.0.0.1:0 > "$tmp/$1.serve" 2> "$tmp/$1.serve.err" &
	pids+=($!)
	local _
	for _ in $(seq 100); do
		port=$(sed -n 's/^listening 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/$1.serve")
		[ -z "$port" ] || return 0
		sleep 0.1
	done
	fail "rotsim serve $1 did not start: $(cat "$tmp/$1.serve.err")"
}
# boot CASE N PORT FETCH: boot N of a case (its flash kept across boots),
# with its console and QEMU's shutdown trace kept per boot.
boot() {
	local d=$tmp/$1 rc=0
	mkdir -p "$d"
	sed "s|^append = .*|& swupdate.url=$url swupdate.fetch=$4|" \
		"$top/targets/qemu-x86_64-swupdate/target.conf" > "$d/target.conf"
	"$boot_sh" -t "$d/target.conf" -b "$tmp/build" -d test -r 2030-01-01 -s "$3" -o "$d" \
		-- -d trace:qemu_system_shutdown_request -D "$d/trace-$2.log" > "$d/boot-$2.out" 2>&1 || rc=$?
	cp "$d/console.log" "$d/console-$2.log" 2>/dev/null || true
	echo "$1 boot $2: $(tail -n 1 "$d/boot-$2.out")"
	return $rc
}
has() { grep -qF -- "$2" "$1"; }
# reset CASE N: boot N ended in a guest reset: QEMU traced no guest power-off
# (ShutdownCause 6) and the kernel said it restarts.
reset() {
	! grep -q 'qemu_system_shutdown_request reason=6' "$tmp/$1/trace-$2.log" &&
		has "$tmp/$1/console-$2.log" 'reboot: Restarting system'
}
poweroff() { grep -q 'qemu_system_shutdown_request reason=6' "$tmp/$1/trace-$2.log"; }
mib=1048576
slot_b() { dd if="$tmp/$1/flash.img" bs=$mib skip=5 count=1 2>/dev/null | head -c 131072; }
start=$SECONDS

serve good leaf-good; good_port=$port
serve rogue leaf-rogue; rogue_port=$port
# Two QEMUs at a time: C beside A's two boots.
boot C 1 "$rogue_port" curl > "$tmp/C.out" 2>&1 &
pids+=($!)
cpid=$!
boot A 1 "$good_port" curl || fail "A boot 1: boot.sh failed"
boot A 2 "$good_port" curl || fail "A boot 2: boot.sh failed"
wait "$cpid" || fail "C: boot.sh failed: $(cat "$tmp/C.out")"
cat "$tmp/C.out"

# A: installed over TLS with the device's trust, reset, booted version 2.
has "$tmp/A/console-1.log" 'update-client: done result=updated version=1 installed=2' ||
	fail "A: no install of version 2"
reset A 1 || fail "A: no guest reset after the install"
cmp -s <(slot_b A) "$tmp/firmware-2.bin" || fail "A: slot b does not hold the image"
grep -q '"method":"GET","path":"/firmware/image-2.bin","status":20[06]' "$tmp/good.events.jsonl" ||
	fail "A: the server sent no bundle"
has "$tmp/A/console-2.log" 'update-client: running version 2 from slot b' ||
	fail "A: boot 2 does not run version 2"
has "$tmp/A/console-2.log" 'update-client: done result=current version=2' ||
	fail "A: boot 2 is not current"
poweroff A 2 || fail "A: boot 2 did not power off (or the trace shows nothing)"

# C: curl refuses the rogue chain; nothing downloaded, nothing written.
has "$tmp/C/console-1.log" 'update-client: done result=rejected version=1 reason=CURLE_PEER_FAILED_VERIFICATION' ||
	fail "C: the rogue chain was not refused"
poweroff C 1 || fail "C: no power-off"
if grep -q '"method":"GET","path":"/firmware/image-2.bin"' "$tmp/rogue.events.jsonl" &&
	! grep -q '"result":"ok"' "$tmp/rogue.events.jsonl"; then
	fail "C: a request without a handshake?"
fi
[ "$(slot_b C | tr -d '\000' | wc -c)" -eq 0 ] || fail "C: slot b was written"
echo "ok: A installed and booted version 2, C refused the rogue chain; $((SECONDS - start)) s of boots"
