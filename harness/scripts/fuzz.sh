#!/usr/bin/env bash
# make fuzz: run every libFuzzer target for FUZZ_TIME seconds on its seed corpus
# (the directory "corpus" beside the target's source, if any), with a scratch
# corpus under BUILD/fuzz/. Fails on the first crash, leak or sanitizer report.
set -euo pipefail
build=$1 secs=$2; shift 2
for src in "$@"; do
	name=$(basename "$src" .c)
	seeds=$(dirname "$src")/corpus/$name
	work=$build/fuzz/corpus-$name
	mkdir -p "$work"
	args=("$work")
	[ -d "$seeds" ] && args+=("$seeds")
	echo "== $name: ${secs}s"
	"$build/fuzz/$name" -max_total_time="$secs" -print_final_stats=1 \
		-artifact_prefix="$build/fuzz/$name-" "${args[@]}" 2>&1 | tail -n 12
	echo "$name: clean"
done
