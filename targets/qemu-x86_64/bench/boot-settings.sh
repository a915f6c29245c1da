#!/usr/bin/env bash
# `make bench`: the guest boot with today's target settings next to the
# settings they replaced, in the same run.
#
# usage: boot-settings.sh       (ROTSIM names the rotsim under test; its build
#                                directory holds the images)
# Environment: BENCH_BOOTS (boots per variant, default 5); BENCH_VARIANTS (a
# file of variants, default: the two below for qemu-x86_64; qemu-aarch64's
# settings did not change).
#
# A variant is one line "NAME TARGET KEY=VALUE;KEY=VALUE...": the target's
# target.conf with those keys replaced (an empty value empties the key). The
# built-in variants are "old", the settings before the boot was tuned, "prev",
# the kernel command line before its last change (no ipv6.disable, no
# initcall_blacklist, no noreplace-smp), and "new", the target.conf of this
# tree unchanged. Boots alternate between the
# variants so that a change in the machine's load hits both alike. Each boot is
# one phase of a current root-x1 device under rotsim run --cold-boot (resuming a
# saved machine would skip the boot these settings change), timed from the start
# of QEMU to:
#   booted   init's "rotsim: booted" line (host time, watch-boot.py);
#   hello    the agent's first TLS ClientHello (the capture's time: filter-dump
#            stamps frames with the guest clock, which starts at the phase date);
#   wait     from the agent's connect (its SYN) to that ClientHello: the wait
#            for the guest's random pool, if it has one;
#   check-in the server's POST /report;
#   cpu      the CPU time QEMU used, power-on to power-off (user + system), which
#            the load of a shared machine inflates far less than the times
#            above (QEMU runs under a wrapper that reports its child's usage).
# Prints the median (min-max) per variant and, per target, the ratios of the
# medians of each variant to the one before it (below 1: the later settings
# are faster). Then each boot split into its steps (boot-steps.py: start,
# kernel, init, agent, hello, tls, shutdown, ran; README.md, "make bench"),
# medians and the same ratios, and the load average before and after.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
rotsim=${ROTSIM:-$top/build/bin/rotsim}
build=$(cd "$(dirname "$(dirname "$rotsim")")" && pwd)
n=${BENCH_BOOTS:-5}
watch=$top/targets/qemu-aarch64/bench/watch-boot.py
hello=$top/targets/qemu-x86_64/bench/first-hello.py
steps=$top/targets/qemu-x86_64/bench/boot-steps.py
me=boot-settings
[ -x "$rotsim" ] || { echo "$me: no rotsim at $rotsim (run make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-boot-settings.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$top"
export ROTSIM_BUILD=$build
cache=$build/test-cache/pki
date=2024-05-01

if [ -n "${BENCH_VARIANTS:-}" ]; then
	cp "$BENCH_VARIANTS" "$tmp/variants"
else
	cat > "$tmp/variants" <<'VARS'
old qemu-x86_64 cpu=;append=console=ttyS0 panic=-1 quiet
prev qemu-x86_64 append=console=ttyS0 panic=-1 quiet mitigations=off cryptomgr.notests no_timer_check
new qemu-x86_64
VARS
fi

mkdir "$tmp/scn"
cat > "$tmp/scn/bench-boot.scn" <<SCN
[scenario bench-boot]
summary = One boot of a device that is current: the server offers the version it
    runs, so the boot validates the chain, reads the manifest and checks in.
event   = none: a timing run
source  = targets/qemu-x86_64/bench/boot-settings.sh
pki     = $top/scenarios/pki/letsencrypt.pki
devices = root-x1

[phase boot]
date     = $date
chain    = leaf-r3
firmware = 1
expect   = current
SCN

# One targets directory per variant: every target as in this tree, the
# variant's target with its keys replaced.
nv=0
while read -r name target sets; do
	[ -n "$name" ] && [ "${name#\#}" = "$name" ] || continue
	[ -f "targets/$target/target.conf" ] || { echo "$me: no target $target" >&2; exit 2; }
	nv=$((nv + 1))
	d=$tmp/v$nv
	mkdir -p "$d"
	for t in targets/*/target.conf; do
		mkdir -p "$d/$(basename "$(dirname "$t")")"
		cp "$t" "$d/$(basename "$(dirname "$t")")/"
	done
	conf=$d/$target/target.conf
	IFS=';' read -ra kv <<< "${sets:-}"
	for s in "${kv[@]}"; do
		[ -n "$s" ] || continue
		k=${s%%=*} v=${s#*=}
		grep -q "^$k *=" "$conf" || { echo "$me: $target has no key $k" >&2; exit 2; }
		K=$k V=$v awk 'BEGIN { k = ENVIRON["K"]; v = ENVIRON["V"] }
			$0 ~ "^" k " *=" { print k " = " v; skip = 1; next }
			skip && /^[ \t]/ { next } { skip = 0; print }' "$conf" > "$conf.new"
		mv "$conf.new" "$conf"
	done
	printf '%s %s\n' "$name" "$target" > "$d/name"
	: > "$d/times"
	: > "$d/steps"
	# The wrapper runs QEMU as its child, passes SIGTERM on, and writes the
	# child's CPU time (user + system seconds) when it has ended. It is
	# Python because the harness starts QEMU with SIGCHLD ignored, which a
	# shell cannot undo, and then no child's times are kept.
	q=$(sed -n 's/^qemu *= *//p' "$conf")
	cat > "$d/qemu-wrap" <<WRAP
#!/usr/bin/env python3
import ctypes, resource, signal, subprocess, sys
signal.signal(signal.SIGCHLD, signal.SIG_DFL)
p = subprocess.Popen(["$(command -v "$q")"] + sys.argv[1:],
                     preexec_fn=lambda: ctypes.CDLL(None).prctl(1, signal.SIGKILL))
signal.signal(signal.SIGTERM, lambda s, f: p.terminate())
rc = p.wait()
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
if "-kernel" in sys.argv:  # a boot, not the harness asking for --version
    with open("$d/cpu", "w") as f:
        f.write("%.3f\\n" % (ru.ru_utime + ru.ru_stime))
sys.exit(rc if rc >= 0 else 128 - rc)
WRAP
	chmod +x "$d/qemu-wrap"
	K=qemu V=$d/qemu-wrap awk 'BEGIN { k = ENVIRON["K"]; v = ENVIRON["V"] }
		$0 ~ "^" k " *=" { print k " = " v; next } { print }' "$conf" > "$conf.new"
	mv "$conf.new" "$conf"
done < "$tmp/variants"

# boot V I: one timed boot with variant V.
boot() {
	local d=$tmp/v$1 out=$tmp/run-$1-$2 target c
	target=$(cut -d' ' -f2 "$d/name")
	c=$out/cases/bench-boot/root-x1@$target/01-boot
	echo -0.001 > "$d/cpu"
	if ! ROTSIM_TARGETS=$d "$watch" "$c/boot-0.cmd" "$c/console-0.log" "$c/server-events.jsonl" -- \
		"$rotsim" run bench-boot --scenarios "$tmp/scn" --target "$target" --device root-x1 \
		--cache "$cache" --out "$out" --cold-boot -q > "$tmp/line" 2> "$tmp/log"; then
		cat "$tmp/log" >&2
		echo "$me: $(cat "$d/name"): the timing run failed (boot $2)" >&2
		exit 1
	fi
	h=$("$hello" "$(ls "$c"/capture*.pcap | head -n 1)" "$date")
	printf '%s %s wait_ms=%s cpu_ms=%s\n' "$(cat "$tmp/line")" "$h" \
		"$(echo "$h" | awk -F'[ =]' '{ print ($2 < 0 || $4 < 0) ? -1 : $4 - $2 }')" \
		"$(awk '{ printf "%d", $1 * 1000 }' "$d/cpu")" >> "$d/times"
	"$steps" "$c" 0 >> "$d/steps"
	rm -rf "$out"
}

stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0 || v[1] < 0) { print "-"; exit }
		printf "%d (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
median() { stats | cut -d' ' -f1; }
field() { sed -n "s/.*\\b$1=\\(-\\?[0-9]*\\).*/\\1/p" "$2"; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
for i in $(seq "$n"); do
	for v in $(seq "$nv"); do
		boot "$v" "$i"
	done
done

printf '%-8s %-13s %-18s %-18s %-18s %-18s %s\n' variant target booted hello wait check-in cpu
for v in $(seq "$nv"); do
	read -r name target < "$tmp/v$v/name"
	printf '%-8s %-13s %-18s %-18s %-18s %-18s %s\n' "$name" "$target" \
		"$(field booted_ms "$tmp/v$v/times" | stats)" \
		"$(field hello_ms "$tmp/v$v/times" | stats)" \
		"$(field wait_ms "$tmp/v$v/times" | stats)" \
		"$(field checkin_ms "$tmp/v$v/times" | stats)" \
		"$(field cpu_ms "$tmp/v$v/times" | stats)"
done
# Ratios: every variant against the one before it of the same target.
for v in $(seq "$nv"); do
	read -r name target < "$tmp/v$v/name"
	for w in $(seq "$((v - 1))" -1 1); do
		read -r bname btarget < "$tmp/v$w/name"
		[ "$btarget" = "$target" ] || continue
		line="$target $name/$bname:"
		for f in booted_ms hello_ms wait_ms checkin_ms cpu_ms; do
			a=$(field "$f" "$tmp/v$v/times" | median)
			b=$(field "$f" "$tmp/v$w/times" | median)
			if [ "$a" != - ] && [ "$b" != - ] && [ "$b" -gt 0 ]; then
				line="$line ${f%_ms}=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
			else
				line="$line ${f%_ms}=-"
			fi
		done
		echo "$line"
		break
	done
done
echo "ms from the start of QEMU; median (min-max) of $n boots per variant, TCG, boots"
echo "alternating between variants; ratios of medians, below 1 is faster."
echo
all="start kernel init agent hello tls shutdown ran"
printf '%-8s' variant
for f in $all; do printf ' %-17s' "$f"; done
echo
for v in $(seq "$nv"); do
	read -r name target < "$tmp/v$v/name"
	printf '%-8s' "$name"
	for f in $all; do printf ' %-17s' "$(field "$f" "$tmp/v$v/steps" | stats)"; done
	echo
done
for v in $(seq "$nv"); do
	read -r name target < "$tmp/v$v/name"
	for w in $(seq "$((v - 1))" -1 1); do
		read -r bname btarget < "$tmp/v$w/name"
		[ "$btarget" = "$target" ] || continue
		line="$target $name/$bname:"
		for f in $all; do
			a=$(field "$f" "$tmp/v$v/steps" | median)
			b=$(field "$f" "$tmp/v$w/steps" | median)
			if [ "$a" != - ] && [ "$b" != - ] && [ "$b" -gt 0 ]; then
				line="$line $f=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
			else
				line="$line $f=-"
			fi
		done
		echo "$line"
		break
	done
done
echo "steps of each boot (boot-steps.py), ms, median (min-max); load average $load0"
echo "before, $(cut -d' ' -f1-3 /proc/loadavg) after."
