#!/usr/bin/env bash
# make bench: the whole catalogue on the native target, `rotsim run --all
# --target native -j 2`, timed from the command's start to its end.
#
# Variants, run in turn within each round so that the machine's load hits them
# alike:
#   before   BENCH_BASELINE, a rotsim built from an earlier tree (optional: the
#            variant is left out without it), with the target.conf of this tree;
#   now      ROTSIM with the target.conf of this tree;
#   backoff  ROTSIM with the native target's retry back-off at 20 ms instead of
#            its 200 ms (--backoff-ms in targets/native/target.conf): what the
#            two "cut every time" phases wait between attempts on loopback.
# Every variant shares one fresh PKI cache; a rotsim of another build keeps
# other entries (the cache key holds the build), so round 1 is each variant
# with a cold cache and later rounds warm (the first run of round 1 also fills
# the key cache the others share). BENCH_RUNS rounds (default 2); BENCH_SELECT
# the scenarios (default --all; e.g. "le-r3-to-r10 transfer-broken-download" on
# a loaded machine).
# Prints seconds (wall, and CPU of the run and all it started) per round and
# the ratio of each variant's warm mean to "before" (or to "now" without it).
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
: "${ROTSIM:=$top/build/bin/rotsim}"
runs=${BENCH_RUNS:-2}
select=${BENCH_SELECT:---all}
me=bench_native_run
[ -x "$ROTSIM" ] || { echo "$me: no rotsim at $ROTSIM (run make)" >&2; exit 2; }
if [ -n "${BENCH_BASELINE:-}" ] && [ ! -x "$BENCH_BASELINE" ]; then
	echo "$me: BENCH_BASELINE=$BENCH_BASELINE is not a program" >&2
	exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-bench-native.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$top"

# A targets directory whose native target backs off 20 ms between attempts.
mkdir -p "$work/targets/native"
sed 's/--backoff-ms [0-9]*/--backoff-ms 20/' targets/native/target.conf \
	> "$work/targets/native/target.conf"
grep -q -- '--backoff-ms 20' "$work/targets/native/target.conf" \
	|| { echo "$me: no --backoff-ms in targets/native/target.conf" >&2; exit 2; }

variants=()
[ -n "${BENCH_BASELINE:-}" ] && variants+=(before)
variants+=(now backoff)

# one VARIANT ROUND: one run; appends "VARIANT ROUND WALL CPU" to $work/times.
one() {
	local v=$1 r=$2 bin=$ROTSIM extra=() out=$work/out-$1-$2
	case $v in
	before) bin=$BENCH_BASELINE ;;
	backoff) extra=(--targets "$work/targets") ;;
	esac
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$work/cpu" env ROTSIM_CACHE="$work/cache" \
		"$bin" run $select --target native -j 2 --no-report -q "${extra[@]}" --out "$out" \
		> "$work/log-$v-$r" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	if [ "$rc" -ne 0 ]; then
		echo "$me: $v, round $r: rotsim run exited $rc" >&2
		tail -n 5 "$work/log-$v-$r" >&2
		exit 2
	fi
	local phases
	phases=$(jq '[.records[] | select(.observed != "off")] | length' "$out/summary.json")
	echo "$v $r $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(awk '{ print $1 + $2 }' \
		"$work/cpu") $phases" >> "$work/times"
	rm -rf "$out"
}

: > "$work/times"
for r in $(seq "$runs"); do
	for v in "${variants[@]}"; do
		one "$v" "$r"
	done
done

echo "rotsim run $select --target native -j 2 ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  %-9s %6s %10s %10s %8s\n' variant round "wall s" "cpu s" phases
while read -r v r w c p; do
	printf '  %-9s %6s %10.2f %10.2f %8s\n' "$v" "$r$([ "$r" = 1 ] && echo ' cold')" "$w" "$c" "$p"
done < "$work/times"
ref=${variants[0]}
mean() { # VARIANT: mean wall time of its warm rounds (all rounds when only one)
	awk -v v="$1" -v n="$runs" '$1 == v && (n == 1 || $2 > 1) { s += $3; k++ }
		END { printf "%.3f", s / k }' "$work/times"
}
r0=$(mean "$ref")
for v in "${variants[@]}"; do
	m=$(mean "$v")
	printf '  %-9s warm mean %8.2f s   %s/this %.2f\n' "$v" "$m" "$ref" \
		"$(awk -v a="$r0" -v b="$m" 'BEGIN { print a / b }')"
done
