#!/usr/bin/env bash
# `make bench`: a powered phase on qemu-x86_64, cold-booted and resumed from a
# saved machine (README.md, "Resume"), in the same run.
#
# usage: resume.sh        (ROTSIM names the rotsim under test; its build
#                          directory holds the images)
# Environment: BENCH_BOOTS (phases per way, default 5).
#
# Each phase is one current phase of root-x1 (the server offers the version it
# runs: one boot that validates the chain, reads the manifest and checks in)
# under rotsim run, alternating --cold-boot and resumed so that a change in the
# machine's load hits both alike. The saved machine is made once before the
# timed phases, in a cache of this bench's own. Per way it prints the median
# (min-max) of, from boot-0.json and run.json:
#   restore  QEMU start to the power-on message sent (resumed only);
#   booted   QEMU start to init's "rotsim: booted" line;
#   ran      QEMU start to its end: the phase's guest time;
#   phase    the whole phase (server start to stop);
# then resumed/cold ratios of the medians (below 1: resuming is faster). Then
# the same phases step by step (boot-steps.py: boot-0.json, the console's
# boot-times line and the capture): start (QEMU start to the kernel's clock,
# or to the power-on message), kernel (to /init), init (to the booted line),
# agent (to its SYN), hello (SYN to ClientHello), tls (TLS, HTTP and the rest
# on the wire), shutdown (the agent's exit to QEMU's end), with the same
# ratios. The load average before and after the run is printed with it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
rotsim=${ROTSIM:-$top/build/bin/rotsim}
build=$(cd "$(dirname "$(dirname "$rotsim")")" && pwd)
n=${BENCH_BOOTS:-5}
me=resume
steps=$top/targets/qemu-x86_64/bench/boot-steps.py
[ -x "$rotsim" ] || { echo "$me: no rotsim at $rotsim (run make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-bench-resume.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$top"
export ROTSIM_BUILD=$build ROTSIM_SNAPSHOTS=$tmp/snapshots
cache=$build/test-cache/pki

mkdir "$tmp/scn"
cat > "$tmp/scn/bench-resume.scn" <<SCN
[scenario bench-resume]
summary = One boot of a device that is current: the server offers the version it
    runs, so the boot validates the chain, reads the manifest and checks in.
event   = none: a timing run
source  = targets/qemu-x86_64/bench/resume.sh
pki     = $top/scenarios/pki/letsencrypt.pki
devices = root-x1

[phase boot]
date     = 2024-05-01
chain    = leaf-r3
firmware = 1
expect   = current
SCN

# phase WAY I: one timed phase, WAY cold or resumed; appends its numbers.
phase() {
	local way=$1 out=$tmp/run-$1-$2 c
	c=$out/cases/bench-resume/root-x1@qemu-x86_64/01-boot
	if ! "$rotsim" run bench-resume --scenarios "$tmp/scn" --target qemu-x86_64 \
		--device root-x1 --cache "$cache" --out "$out" --no-report -q \
		$([ "$way" = cold ] && echo --cold-boot) > "$tmp/log" 2>&1; then
		cat "$tmp/log" >&2
		echo "$me: the $way phase failed (run $2)" >&2
		exit 1
	fi
	if grep -q warning "$tmp/log" || ! jq -e --arg w "$way" '.boot == $w' "$c/boot-0.json" \
		>/dev/null; then
		cat "$tmp/log" "$c/boot-0.json" >&2
		echo "$me: the $way phase did not boot $way" >&2
		exit 1
	fi
	jq -r --argjson d "$(jq .duration_ms "$c/run.json")" \
		'"restore=\(.restore_ms // -1) booted=\(.booted_ms) ran=\(.ran_ms) phase=\($d)"' \
		"$c/boot-0.json" >> "$tmp/$way"
	"$steps" "$c" 0 >> "$tmp/$way.steps"
	rm -rf "$out"
}

stats() {
	sort -n | awk '{ v[NR] = $1 } END {
		if (NR == 0 || v[1] < 0) { print "-"; exit }
		printf "%d (%d-%d)\n", v[int((NR + 1) / 2)], v[1], v[NR] }'
}
field() { sed -n "s/.*\\b$1=\\(-\\?[0-9]*\\).*/\\1/p" "$2"; }

load0=$(cut -d' ' -f1-3 /proc/loadavg)
: > "$tmp/cold"
: > "$tmp/resumed"
phase resumed 0	# saves the machine: not timed
: > "$tmp/resumed"
: > "$tmp/cold.steps"
: > "$tmp/resumed.steps"
for i in $(seq "$n"); do
	phase cold "$i"
	phase resumed "$i"
done
printf '%-8s %-18s %-18s %-18s %s\n' way restore booted ran phase
for w in cold resumed; do
	printf '%-8s %-18s %-18s %-18s %s\n' "$w" "$(field restore "$tmp/$w" | stats)" \
		"$(field booted "$tmp/$w" | stats)" "$(field ran "$tmp/$w" | stats)" \
		"$(field phase "$tmp/$w" | stats)"
done
line="resumed/cold:"
for f in booted ran phase; do
	a=$(field "$f" "$tmp/resumed" | stats | cut -d' ' -f1)
	b=$(field "$f" "$tmp/cold" | stats | cut -d' ' -f1)
	line="$line $f=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
echo "$line"
echo "ms from the start of QEMU (phase: the whole phase); median (min-max) of $n phases per"
echo "way, TCG, alternating; the machine's load moves these numbers, the ratios less."
echo
all="start kernel init agent hello tls shutdown ran"
printf '%-8s' step
for f in $all; do printf ' %-17s' "$f"; done
echo
for w in cold resumed; do
	printf '%-8s' "$w"
	for f in $all; do printf ' %-17s' "$(field "$f" "$tmp/$w.steps" | stats)"; done
	echo
done
line="resumed/cold:"
for f in $all; do
	a=$(field "$f" "$tmp/resumed.steps" | stats | cut -d' ' -f1)
	b=$(field "$f" "$tmp/cold.steps" | stats | cut -d' ' -f1)
	line="$line $f=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
echo "$line"
echo "steps of boot 0 of each phase (boot-steps.py), ms, median (min-max); load average"
echo "$load0 before, $(cut -d' ' -f1-3 /proc/loadavg) after."
