#!/usr/bin/env bash
# make bench: how long `rotsim run --all --target native -j 2` prepares before
# its first case starts (each scenario's PKI and firmware bundles), timed from
# the command's start to the first case directory, then the run is stopped
# (SIGTERM). Three states of the cache, each run in turn by the variants so
# that the machine's load hits them alike:
#   cold     no key and no output cache: every key generated, every
#            certificate signed;
#   keys     keys cached, no output cache: every certificate signed;
#   warm     both cached: files copied.
# Variants: "before", BENCH_BASELINE (a rotsim built from an earlier tree;
# left out without it), and "now", ROTSIM. A cold state costs minutes on a
# loaded machine: BENCH_STATES (default "keys warm") picks the states, and
# BENCH_KEYS=DIR (a key cache, CACHE/keys-v2) seeds the key cache of "keys"
# and "warm" instead of a first, untimed run generating them.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
: "${ROTSIM:=$top/build/bin/rotsim}"
states=${BENCH_STATES:-keys warm}
me=bench_prepare
[ -x "$ROTSIM" ] || { echo "$me: no rotsim at $ROTSIM (run make)" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-bench-prepare.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
cd "$top"
variants=()
[ -n "${BENCH_BASELINE:-}" ] && variants+=(before)
variants+=(now)

# prep BIN CACHE OUT: seconds until OUT/cases holds a case directory.
prep() {
	local t0 t1
	t0=$(date +%s.%N)
	ROTSIM_CACHE=$2 "$1" run --all --target native -j 2 --no-report -q --out "$3" \
		> "$3.log" 2>&1 &
	pid=$!
	while [ -z "$(ls -A "$3/cases" 2>/dev/null)" ]; do
		kill -0 "$pid" 2>/dev/null || { cat "$3.log" >&2; echo "$me: the run ended first" >&2; exit 2; }
		sleep 0.05
	done
	t1=$(date +%s.%N)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

declare -A secs
for s in $states; do
	for v in "${variants[@]}"; do
		bin=$ROTSIM
		[ "$v" = before ] && bin=$BENCH_BASELINE
		c=$work/cache-$v
		case $s in
		cold) rm -rf "$c" ;;
		keys) if [ -n "${BENCH_KEYS:-}" ] && [ ! -d "$c/keys-v2" ]; then
			mkdir -p "$c" && cp -a "$BENCH_KEYS" "$c/keys-v2"
		      fi
		      [ -d "$c/keys-v2" ] || prep "$bin" "$c" "$work/fill-$v" > /dev/null
		      rm -rf "$c/pki-v1" "$work/fill-$v" ;;
		warm) [ -d "$c/pki-v1" ] || prep "$bin" "$c" "$work/fill-$v" > /dev/null
		      rm -rf "$work/fill-$v" ;;
		esac
		secs[$s.$v]=$(prep "$bin" "$c" "$work/out-$s-$v")
		rm -rf "$work/out-$s-$v"
	done
done
echo "rotsim run --all --target native -j 2: seconds to the first case ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))"
for s in $states; do
	line=$(printf '  %-5s' "$s")
	for v in "${variants[@]}"; do
		line="$line $(printf '%s %7.2f' "$v" "${secs[$s.$v]}")"
	done
	[ -n "${BENCH_BASELINE:-}" ] && line="$line $(awk -v a="${secs[$s.before]}" -v b="${secs[$s.now]}" \
		'BEGIN { printf "  before/now %.2f", a / b }')"
	echo "$line"
done
