#!/usr/bin/env bash
# make bench: the Let's Encrypt mirror built by `rotsim pki` with an empty key cache
# (cold), with only the keys that run cached (warm, keys: every certificate signed
# again, as before the output cache existed) and with its output cache (warm, files
# copied), against the same hierarchy (same key
# types, same number of keys and certificates) built with the openssl command line
# (openssl_mirror.sh: genpkey + req + x509 per certificate). One run of each, printed
# side by side with ratios. BENCH_RUNS=N repeats each N times and reports the mean.
# The warm runs with the output cache are timed twice: into the directory that
# already holds the files (as a repeated `rotsim pki --out DIR`), and into a new
# directory (as each run of `rotsim run`); with BENCH_BASELINE set to an earlier
# rotsim, its warm runs of both kinds are timed alongside (its own cache
# entries: the key holds the build), warm-up run untimed.
set -euo pipefail
top=$(cd "$(dirname "$0")/../../.." && pwd)
: "${ROTSIM:=$top/build/bin/rotsim}"
pki=$top/scenarios/pki/letsencrypt.pki
runs=${BENCH_RUNS:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
mean_of() { awk '{ s += $1 } END { printf "%.3f", s / NR }'; }

cold=() warm=() keys=() ossl=() fresh=() bwarm=() bfresh=()
for _ in $(seq "$runs"); do
	rm -rf "$work/cache" "$work/out"
	t0=$(now)
	"$ROTSIM" pki "$pki" --out "$work/out" --cache "$work/cache" -q
	t1=$(now)
	"$ROTSIM" pki "$pki" --out "$work/out" --cache "$work/cache" -q
	t2=$(now)
	warm+=("$(awk -v a="$t1" -v b="$t2" 'BEGIN { print b - a }')")
	rm -rf "$work/fresh"
	tf0=$(now)
	"$ROTSIM" pki "$pki" --out "$work/fresh" --cache "$work/cache" -q
	tf1=$(now)
	fresh+=("$(awk -v a="$tf0" -v b="$tf1" 'BEGIN { print b - a }')")
	if [ -n "${BENCH_BASELINE:-}" ]; then
		"$BENCH_BASELINE" pki "$pki" --out "$work/bout" --cache "$work/cache" -q
		tb0=$(now)
		"$BENCH_BASELINE" pki "$pki" --out "$work/bout" --cache "$work/cache" -q
		tb1=$(now)
		rm -rf "$work/bfresh"
		tb2=$(now)
		"$BENCH_BASELINE" pki "$pki" --out "$work/bfresh" --cache "$work/cache" -q
		tb3=$(now)
		bwarm+=("$(awk -v a="$tb0" -v b="$tb1" 'BEGIN { print b - a }')")
		bfresh+=("$(awk -v a="$tb2" -v b="$tb3" 'BEGIN { print b - a }')")
	fi
	mv "$work/cache/pki-v1" "$work/pki-v1"
	tk0=$(now)
	"$ROTSIM" pki "$pki" --out "$work/out" --cache "$work/cache" -q
	tk1=$(now)
	rm -rf "$work/cache/pki-v1"
	mv "$work/pki-v1" "$work/cache/pki-v1"
	keys+=("$(awk -v a="$tk0" -v b="$tk1" 'BEGIN { print b - a }')")
	rm -rf "$work/ossl"
	t2=$(now)
	ncerts=$(bash "$top/sim/pki/bench/openssl_mirror.sh" "$pki" "$work/ossl")
	t3=$(now)
	cold+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')")
	ossl+=("$(awk -v a="$t2" -v b="$t3" 'BEGIN { print b - a }')")
done
c=$(printf '%s\n' "${cold[@]}" | mean_of)
w=$(printf '%s\n' "${warm[@]}" | mean_of)
k=$(printf '%s\n' "${keys[@]}" | mean_of)
o=$(printf '%s\n' "${ossl[@]}" | mean_of)
nc=$(find "$work/out" -maxdepth 1 -name '*.crt.der' | wc -l)
nk=$(find "$work/cache/keys-v2" -type f | wc -l)
nok=$(find "$work/ossl" -maxdepth 1 -name '*.key.pem' | wc -l)
echo "Let's Encrypt mirror ($pki)"
echo "  rotsim: $nc certificates, $nk keys; openssl: $ncerts certificates, $nok keys; runs: $runs"
printf '  %-34s %9s %14s\n' "" "seconds" "openssl/this"
printf '  %-34s %9.3f %14.2f\n' "rotsim pki, cold (empty key cache)" "$c" "$(awk -v o="$o" -v x="$c" 'BEGIN { print o / x }')"
printf '  %-34s %9.3f %14.2f\n' "rotsim pki, warm (key cache only)" "$k" "$(awk -v o="$o" -v x="$k" 'BEGIN { print o / x }')"
printf '  %-34s %9.3f %14.2f\n' "rotsim pki, warm (output cache)" "$w" "$(awk -v o="$o" -v x="$w" 'BEGIN { print o / x }')"
f=$(printf '%s\n' "${fresh[@]}" | mean_of)
printf '  %-34s %9.3f %14.2f\n' "rotsim pki, warm, into a new dir" "$f" "$(awk -v o="$o" -v x="$f" 'BEGIN { print o / x }')"
printf '  %-34s %9.3f %14.2f\n' "openssl genpkey+req+x509" "$o" 1
if [ -n "${BENCH_BASELINE:-}" ]; then
	bw=$(printf '%s\n' "${bwarm[@]}" | mean_of)
	bf=$(printf '%s\n' "${bfresh[@]}" | mean_of)
	printf '  baseline (%s), warm output cache: same dir %.3f s (this: %.3f, %.1fx faster); new dir %.3f s (this: %.3f, %.1fx)\n' \
		"$BENCH_BASELINE" "$bw" "$w" "$(awk -v a="$bw" -v b="$w" 'BEGIN { print a / b }')" \
		"$bf" "$f" "$(awk -v a="$bf" -v b="$f" 'BEGIN { print a / b }')"
fi
printf '  cold/warm: %.1fx; warm with the output cache / with keys only: %.3f\n' \
	"$(awk -v c="$c" -v w="$w" 'BEGIN { print c / w }')" \
	"$(awk -v k="$k" -v w="$w" 'BEGIN { print w / k }')"
