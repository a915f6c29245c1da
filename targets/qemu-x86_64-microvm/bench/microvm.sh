#!/usr/bin/env bash
# make bench: cold boots on qemu-x86_64-microvm (QEMU's microvm machine, the
# guest told the TSC rate) against qemu-x86_64 (q35), the same images, in the
# same run.
#
# usage: microvm.sh      (ROTSIM names the rotsim under test; its build
#                         directory holds the images: make images)
# Environment: BENCH_BOOTS (boots per target, default 20), BENCH_ROUND (boots
# per target in a row, default 5), BENCH_TARGETS (default "qemu-x86_64
# qemu-x86_64-microvm"; the first is the reference of the ratios),
# BENCH_BOOT_TIMEOUT (seconds, default 240: every target's boot-timeout, so
# that on a loaded host a slow boot is told from a hang, which never boots).
#
# Each boot is one phase of a current root-x1 under rotsim run: server, QEMU
# start, kernel, /init, the agent's TLS handshake, manifest and check-in, power
# off. The targets take turns, BENCH_ROUND boots each (one case of that many
# phases), so a change in the machine's load hits both alike. Per target:
#   phase    the phase's duration (run.json duration_ms): what a phase costs;
#   booted   seconds from QEMU's start to "rotsim: booted", by the guest's RTC
#            (it starts at the phase's date when QEMU starts; whole seconds);
#   errors   boots that did not end well (a hang is "did not boot" or past the
#            run-timeout), with their reasons.
# Prints the median (min-max) and the ratio of medians to the first target.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
rotsim=${ROTSIM:-$top/build/bin/rotsim}
n=${BENCH_BOOTS:-20}
round=${BENCH_ROUND:-5}
read -ra targets <<< "${BENCH_TARGETS:-qemu-x86_64 qemu-x86_64-microvm}"
me=microvm
[ -x "$rotsim" ] || { echo "$me: no rotsim at $rotsim (run make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-microvm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$top"
date=2024-05-01

mkdir "$tmp/scn"
{
	cat <<SCN
[scenario bench-microvm]
summary = Boots of a device that is current: the server offers the version it
    runs, so each boot validates the chain, reads the manifest and checks in.
event   = none: a timing run
source  = targets/qemu-x86_64-microvm/bench/microvm.sh
pki     = $top/scenarios/pki/letsencrypt.pki
devices = root-x1
SCN
	for i in $(seq "$round"); do
		printf '\n[phase boot%d]\ndate     = %s\nchain    = leaf-r3\nfirmware = 1\nexpect   = current\n' \
			"$i" "$date"
	done
} > "$tmp/scn/bench-microvm.scn"

# The targets as in this tree, with the boot timeout above.
bt=${BENCH_BOOT_TIMEOUT:-240}
for t in "${targets[@]}"; do
	[ -f "targets/$t/target.conf" ] || { echo "$me: no target $t" >&2; exit 2; }
	mkdir -p "$tmp/targets/$t"
	sed "s/^boot-timeout *=.*/boot-timeout = $bt/" "targets/$t/target.conf" \
		> "$tmp/targets/$t/target.conf"
	: > "$tmp/$t.times"
	: > "$tmp/$t.errors"
done
done_boots=0
r=0
while [ "$done_boots" -lt "$n" ]; do
	r=$((r + 1))
	for t in "${targets[@]}"; do
		out=$tmp/run-$r-$t
		# Exit 1 or 2 is a phase that failed or errored: counted below.
		"$rotsim" run bench-microvm --scenarios "$tmp/scn" --targets "$tmp/targets" \
			--target "$t" --device root-x1 \
			--out "$out" --no-report -q > "$tmp/log" 2>&1 || true
		found=0
		for p in "$out"/cases/bench-microvm/root-x1@"$t"/*/; do
			[ -f "$p/run.json" ] || continue
			found=1
			err=$(jq -r '.error // empty' "$p/run.json")
			if [ -n "$err" ]; then
				echo "$err" >> "$tmp/$t.errors"
				continue
			fi
			ms=$(jq -r '.duration_ms' "$p/run.json")
			b=$(sed -n 's/^rotsim: booted time=[0-9-]*T\([0-9:]*\)Z.*/\1/p' "$p/console-0.log" \
				| head -n 1 | awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }')
			echo "$ms ${b:--1}" >> "$tmp/$t.times"
		done
		[ "$found" = 1 ] || { cat "$tmp/log" >&2; echo "$me: $t: no phase ran" >&2; exit 2; }
		rm -rf "$out"
	done
	done_boots=$((done_boots + round))
done

stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		printf "%s (%s-%s)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
median() { stats | cut -d' ' -f1; }
echo "cold boots, $done_boots per target, $round in a row ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-22s %6s %8s %-24s %-16s\n' target boots errors "phase ms" "booted s"
for t in "${targets[@]}"; do
	printf '  %-22s %6s %8s %-24s %-16s\n' "$t" "$(wc -l < "$tmp/$t.times")" \
		"$(wc -l < "$tmp/$t.errors")" "$(cut -d' ' -f1 "$tmp/$t.times" | stats)" \
		"$(cut -d' ' -f2 "$tmp/$t.times" | stats)"
	sort "$tmp/$t.errors" | uniq -c | sed 's/^/      error: /'
done
ref=${targets[0]}
for t in "${targets[@]:1}"; do
	a=$(cut -d' ' -f1 "$tmp/$t.times" | median)
	b=$(cut -d' ' -f1 "$tmp/$ref.times" | median)
	[ "$a" != - ] && [ "$b" != - ] || continue
	printf '  %s/%s, phase median: %.2f (below 1: faster)\n' "$t" "$ref" \
		"$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')"
done
