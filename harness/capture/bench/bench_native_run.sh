#!/usr/bin/env bash
# make bench: the whole catalogue on the native target, `rotsim run --all
# --target native -j 2`, timed from the command's start to its end, now and
# the previous way, in the same run.
#
# Variants, run in turn within each round so that the machine's load hits them
# alike:
#   before   the previous way: BENCH_BASELINE, a rotsim built from an earlier
#            tree (its own agents beside it), or, without it, rotsim and its
#            agents built here from the git revision BENCH_BASELINE_REF
#            (default main) in a scratch worktree; BENCH_BASELINE=none leaves
#            the variant out;
#   now      ROTSIM.
# Each runs from a scratch directory, so that it finds the targets and
# scenarios beside its own rotsim: the previous way with its own target.conf
# (the agent's arguments are the agent's own). Every variant shares one fresh PKI
# cache; a rotsim of another build keeps other entries (the cache key holds
# the build), so round 1 is each variant with a cold cache and later rounds
# warm (the first run of round 1 also fills the key cache the others share).
# BENCH_RUNS rounds (default 2); BENCH_SELECT the scenarios (default --all;
# e.g. "le-r3-to-r10 transfer-broken-download" on a loaded machine).
# Prints seconds (wall, and CPU of the run and all it started) per round,
# checks that both variants wrote the same records (every field of each record
# of summary.json but duration_ms, the phase's wall time: "N of N identical
# records"), and prints the ratio of the warm means, before/now, of the wall
# and of the CPU time.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
: "${ROTSIM:=$top/build/bin/rotsim}"
runs=${BENCH_RUNS:-2}
select=${BENCH_SELECT:---all}
me=bench_native_run
[ -x "$ROTSIM" ] || { echo "$me: no rotsim at $ROTSIM (run make)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-bench-native.XXXXXX")
basetree=
cleanup() {
	[ -n "$basetree" ] && git -C "$top" worktree remove --force "$basetree" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
cd "$top"

baseline=${BENCH_BASELINE:-}
if [ "$baseline" = none ]; then
	baseline=
elif [ -z "$baseline" ]; then
	# The previous way, built here: rotsim and every program beside it in
	# build/bin (the agents on each TLS stack, the bundle tools).
	ref=${BENCH_BASELINE_REF:-main}
	if ! git -C "$top" rev-parse --verify -q "$ref^{commit}" > /dev/null 2>&1; then
		echo "$me: BENCH_BASELINE_REF=$ref is not a revision of this tree (set" \
			"BENCH_BASELINE to a rotsim, or none)" >&2
		exit 2
	fi
	basetree=$work/base
	git -C "$top" worktree add -q --detach "$basetree" "$ref"
	bins=()
	for f in "$(dirname "$ROTSIM")"/*; do
		bins+=("build/bin/$(basename "$f")")
	done
	echo "$me: building the baseline ($ref: $(git -C "$basetree" log -1 --format=%h))"
	make -C "$basetree" -s -j"$(nproc)" "${bins[@]}" > "$work/base-build.log" 2>&1 \
		|| { tail -n 20 "$work/base-build.log" >&2; echo "$me: the baseline did not build" >&2; exit 2; }
	baseline=$basetree/build/bin/rotsim
fi
if [ -n "$baseline" ] && [ ! -x "$baseline" ]; then
	echo "$me: BENCH_BASELINE=$baseline is not a program" >&2
	exit 2
fi

variants=()
[ -n "$baseline" ] && variants+=(before)
variants+=(now)

# one VARIANT ROUND: one run; appends "VARIANT ROUND WALL CPU PHASES" to
# $work/times and keeps the run's outcomes in $work/outcomes-VARIANT-ROUND.
one() {
	local v=$1 r=$2 bin=$ROTSIM out=$work/out-$1-$2
	[ "$v" = before ] && bin=$baseline
	local t0 t1 rc=0
	t0=$(date +%s.%N)
	(cd "$work/run" && /usr/bin/time -f '%U %S' -o "$work/cpu" env ROTSIM_CACHE="$work/cache" \
		"$bin" run $select --target native -j 2 --no-report -q --out "$out") \
		> "$work/log-$v-$r" 2>&1 || rc=$?
	t1=$(date +%s.%N)
	if [ "$rc" -ne 0 ]; then
		echo "$me: $v, round $r: rotsim run exited $rc" >&2
		tail -n 5 "$work/log-$v-$r" >&2
		exit 2
	fi
	local phases
	phases=$(jq '[.records[] | select(.observed != "off")] | length' "$out/summary.json")
	# Every field of every record but the phase's wall time.
	jq -c '.records[] | del(.duration_ms)' "$out/summary.json" | sort > "$work/outcomes-$v-$r"
	echo "$v $r $(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }') $(awk '{ print $1 + $2 }' \
		"$work/cpu") $phases" >> "$work/times"
	rm -rf "$out"
}

: > "$work/times"
mkdir -p "$work/run"
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
# The variants must have written the same records: a speed-up that changes
# a verdict, or any evidence field, is not one.
differ=0
total=$(wc -l < "$work/outcomes-now-1")
for f in "$work"/outcomes-*; do
	same=$(comm -12 "$work/outcomes-now-1" "$f" | wc -l)
	echo "  $(basename "$f" | sed 's/^outcomes-//'): $same of $total identical records"
	if ! cmp -s "$f" "$work/outcomes-now-1"; then
		diff "$work/outcomes-now-1" "$f" | head -n 10 | cut -c1-300 | sed 's/^/    /'
		differ=1
	fi
done
mean() { # VARIANT COLUMN: mean of its warm rounds (all rounds when only one)
	awk -v v="$1" -v c="$2" -v n="$runs" '$1 == v && (n == 1 || $2 > 1) { s += $c; k++ }
		END { printf "%.3f", s / k }' "$work/times"
}
ref=${variants[0]}
w0=$(mean "$ref" 3)
c0=$(mean "$ref" 4)
for v in "${variants[@]}"; do
	w=$(mean "$v" 3)
	c=$(mean "$v" 4)
	printf '  %-9s warm mean %8.2f s wall %8.2f s cpu   %s/this: wall %.2f, cpu %.2f\n' \
		"$v" "$w" "$c" "$ref" "$(awk -v a="$w0" -v b="$w" 'BEGIN { print a / b }')" \
		"$(awk -v a="$c0" -v b="$c" 'BEGIN { print a / b }')"
done
exit "$differ"
