#!/usr/bin/env bash
# Shards of a run whose plan holds skipped cases (a device that needs UDP on a
# target without it, as the SNTP device on qemu-x86_64): merged, in any order
# of the shard folders, they equal the unsharded run record for record and in
# order, and every skipped case is in exactly one shard. A native target with
# udp = no stands in for QEMU's user networking.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/targets/nou"
sed -e 's/^\[target native\]/[target nou]/' targets/native/target.conf > "$tmp/targets/nou/target.conf"
echo 'udp = no' >> "$tmp/targets/nou/target.conf"
args=(clock-sntp le-r3-to-r10 --targets "$tmp/targets" --target native --target nou -q -j 2
	--no-report)
"$ROTSIM" run "${args[@]}" --out "$tmp/whole" > /dev/null || fail "the unsharded run failed"
jq -e '.skipped | length == 1 and .[0].device == "sntp-x1" and .[0].target == "nou"' \
	"$tmp/whole/summary.json" > /dev/null || fail "skipped: $(jq -c .skipped "$tmp/whole/summary.json")"
for n in 2 3; do
	dirs=()
	for k in $(seq "$n" -1 1); do	# out of order on purpose
		"$ROTSIM" run "${args[@]}" --shard "$k/$n" --out "$tmp/s$n-$k" > /dev/null 2>&1 \
			|| [ $? -eq 2 ] || fail "shard $k/$n failed"
		dirs+=("$tmp/s$n-$k")
	done
	expect_exit 0 "$ROTSIM" report --merge "${dirs[@]}" --out "$tmp/m$n"
	diff -u <(jq -S -c '.records[] | del(.duration_ms)' "$tmp/whole/summary.json") \
		<(jq -S -c '.records[] | del(.duration_ms)' "$tmp/m$n/summary.json") \
		|| fail "$n shards merged differ from the whole run"
	diff <(jq -c .skipped "$tmp/whole/summary.json") <(jq -c .skipped "$tmp/m$n/summary.json") \
		|| fail "$n shards merged do not list the skipped case as the whole run does"
	# The skipped case is in exactly one shard, and the shards' records and
	# skipped cases together are the whole plan.
	total=$(jq -s '[.[] | (.records | map(.case_index) | unique | length) + (.skipped | length)] | add' \
		"${dirs[@]/%//summary.json}")
	whole=$(jq '(.records | map(.case_index) | unique | length) + (.skipped | length)' \
		"$tmp/whole/summary.json")
	[ "$total" -eq "$whole" ] || fail "$n shards hold $total cases, the whole run $whole"
	[ "$(jq -s '[.[].skipped | length] | add' "${dirs[@]/%//summary.json}")" -eq 1 ] \
		|| fail "the skipped case is not in exactly one of $n shards"
done
echo "merged shards with skipped cases: ok"
