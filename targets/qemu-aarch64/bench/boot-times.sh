#!/usr/bin/env bash
# `make bench`: how long the reference device takes to boot on each target.
#
# usage: boot-times.sh            (ROTSIM names the rotsim under test; its build
#                                  directory holds the images)
# Environment: BENCH_BOOTS (boots per target, default 5), BENCH_TARGETS (default
# "qemu-x86_64 qemu-aarch64 native").
#
# Per target, BENCH_BOOTS runs of a one-phase scenario in which the root-x1
# device is current (one boot: TLS to the update server, the manifest, the
# check-in), each timed by watch-boot.py from the start of QEMU (of the agent
# on native) to:
#   booted      init's "rotsim: booted" line (QEMU only);
#   agent-start the agent's first console line;
#   check-in    the server's POST /report (its event log's host time).
# The peer, measured in the same run on the same kernel and init: the test
# device (targets/qemu-x86_64/testagent.c, no trust store) booted by boot.sh
# to its "rotsim: booted" line, so the cost of the reference device's larger
# initramfs shows against the bare boot. Then the wall time of one whole case,
# `rotsim run le-r3-to-r10 --device root-x1` (two phases, four boots), per target.
# Each cell is the median, with the smallest and largest value beside it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
rotsim=${ROTSIM:-$top/build/bin/rotsim}
build=$(cd "$(dirname "$(dirname "$rotsim")")" && pwd)
n=${BENCH_BOOTS:-5}
targets=${BENCH_TARGETS:-qemu-x86_64 qemu-aarch64 native}
watch=$top/targets/qemu-aarch64/bench/watch-boot.py
boot_sh=$top/targets/qemu-x86_64/boot.sh
me=boot-times
[ -x "$rotsim" ] || { echo "$me: no rotsim at $rotsim (run make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-boot-times.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$top"
export ROTSIM_BUILD=$build
# PKI keys come from the cache the tests of this build share.
cache=$build/test-cache/pki

mkdir "$tmp/scn"
cat > "$tmp/scn/bench-boot.scn" <<EOF
[scenario bench-boot]
summary = One boot of a device that is current: the server offers the version it
    runs, so the boot validates the chain, reads the manifest and checks in.
event   = none: a timing run
source  = targets/qemu-aarch64/bench/boot-times.sh
pki     = $top/scenarios/pki/letsencrypt.pki
devices = root-x1

[phase boot]
date     = 2024-05-01
chain    = leaf-r3
firmware = 1
expect   = current
EOF

# stats: "median (min-max)" of the numbers on stdin, "-" when there are none
# or any is -1 (the mark never came).
stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0 || v[1] < 0) { print "-"; exit }
		printf "%d (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
field() { sed -n "s/.*\\b$1=\\(-\\?[0-9]*\\).*/\\1/p" "$2"; }

# ref TARGET I: one timed boot of root-x1 through rotsim run.
ref() {
	local t=$1 i=$2 out=$tmp/$1-ref-$2 d
	d=$out/cases/bench-boot/root-x1@$t/01-boot
	if ! "$watch" "$d/boot-0.cmd" "$d/console-0.log" "$d/server-events.jsonl" -- \
		"$rotsim" run bench-boot --scenarios "$tmp/scn" --target "$t" --device root-x1 \
		--cache "$cache" --out "$out" -q >> "$tmp/$t.ref" 2> "$tmp/$t-ref-$i.log"; then
		cat "$tmp/$t-ref-$i.log" >&2
		echo "$me: $t: the timing run failed (boot $i)" >&2
		exit 1
	fi
	rm -rf "$out"
}

# peer TARGET I: one timed boot of the test device through boot.sh.
peer() {
	local t=$1 i=$2 d=$tmp/$1-test-$2
	if ! "$watch" "$d/qemu.cmd" "$d/console.log" - -- "$boot_sh" -t "targets/$t/target.conf" \
		-b "$build" -d test -r 2024-05-01 -o "$d" -T 120 >> "$tmp/$t.test" 2> "$tmp/$t-test-$i.log"; then
		cat "$tmp/$t-test-$i.log" >&2
		echo "$me: $t: the test device did not boot (boot $i)" >&2
		exit 1
	fi
	rm -rf "$d"
}

printf '%-13s %-20s %-20s %-20s %-20s %s\n' target "test: booted" booted agent-start \
	check-in "one case"
for t in $targets; do
	: > "$tmp/$t.ref"
	: > "$tmp/$t.test"
	for i in $(seq "$n"); do
		[ "$t" = native ] || peer "$t" "$i"
		ref "$t" "$i"
	done
	s=$EPOCHREALTIME
	"$rotsim" run le-r3-to-r10 --target "$t" --device root-x1 --cache "$cache" \
		--out "$tmp/$t-case" -q > "$tmp/$t-case.log" 2>&1 \
		|| { cat "$tmp/$t-case.log" >&2; echo "$me: $t: le-r3-to-r10 failed" >&2; exit 1; }
	e=$EPOCHREALTIME
	rm -rf "$tmp/$t-case"
	printf '%-13s %-20s %-20s %-20s %-20s %s\n' "$t" \
		"$(field booted_ms "$tmp/$t.test" | stats)" "$(field booted_ms "$tmp/$t.ref" | stats)" \
		"$(field agent_ms "$tmp/$t.ref" | stats)" "$(field checkin_ms "$tmp/$t.ref" | stats)" \
		"$(( (10#${e/./} - 10#${s/./}) / 1000 ))"
done
echo "ms from the start of QEMU (native: of the agent) to the console line, or to the"
echo "server's POST /report; median (min-max) of $n boots, TCG. test: the test device's"
echo "boot (boot.sh), the peer of the reference device's \"booted\". one case: wall ms of"
echo "rotsim run le-r3-to-r10 --device root-x1 (2 phases, 4 boots)."
