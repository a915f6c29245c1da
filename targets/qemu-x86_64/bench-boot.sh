#!/usr/bin/env bash
# Boot time of each QEMU target: the median of N boots (default 5) of the test
# device, from QEMU's start to the console's "booted" line and to power-off.
# Run by `make bench` (the build directory is the one holding $ROTSIM), or by
# hand: bench-boot.sh [BUILD] [N].
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$(dirname "$(dirname "${ROTSIM:-$top/build/bin/rotsim}")")}
n=${2:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for t in qemu-x86_64 qemu-aarch64; do
	conf=$top/targets/$t/target.conf
	: > "$tmp/$t"
	for i in $(seq "$n"); do
		"$top/targets/qemu-x86_64/boot.sh" -t "$conf" -b "$build" -r 2031-05-01 -o "$tmp/$t-$i" -T 120 >> "$tmp/$t"
	done
	b=$(sed -n 's/.* booted_ms=\([0-9]*\) .*/\1/p' "$tmp/$t" | median)
	o=$(sed -n 's/.* total_ms=\([0-9]*\) .*/\1/p' "$tmp/$t" | median)
	printf '%-14s boot to "booted" %5d ms, to power-off %5d ms (median of %d, TCG)\n' "$t" "$b" "$o" "$n"
done
