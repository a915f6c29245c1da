#!/usr/bin/env bash
# The whole catalogue on the native target: every outcome as the scenarios
# expect, rotsim verdict agrees from the evidence, and in every attack scenario
# the insecure control is caught while no validating device that refused was
# sent a byte of firmware or saw one on the wire.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"

start=$(date +%s)
"$ROTSIM" run --all --target native -j 2 --out "$tmp/all" -q > "$tmp/log" 2>&1 \
	|| { grep -E 'FAIL|error' "$tmp/all/summary.txt" | head -20; tail -3 "$tmp/log"; fail "catalogue run"; }
echo "catalogue on native: $(tail -1 "$tmp/log") in $(( $(date +%s) - start ))s"
n=$(ls scenarios/*.scn | wc -l)
[ "$(jq '[.records[].scenario] | unique | length' "$tmp/all/summary.json")" -eq "$n" ] \
	|| fail "not every scenario ran"
"$ROTSIM" verdict "$tmp/all" > "$tmp/verdict" || { tail -5 "$tmp/verdict"; fail "verdict disagrees"; }
grep -q ' 0 differ$' "$tmp/verdict" || fail "verdict: $(tail -1 "$tmp/verdict")"

attacks=$(grep -l '^tags *=.*\battack\b' scenarios/*.scn | xargs -n1 basename | sed 's/\.scn$//')
[ -n "$attacks" ] || fail "no attack scenario"
for s in $attacks; do
	# The insecure control is caught in at least one phase of each attack.
	jq -e --arg s "$s" '[.records[] | select(.scenario==$s and .device=="insecure"
		and .observed=="insecure")] | length >= 1' "$tmp/all/summary.json" >/dev/null \
		|| fail "$s: insecure is not caught"
	# A validating device that refused got no image byte, on the server or the wire.
	jq -e --arg s "$s" '[.records[] | select(.scenario==$s and .device!="insecure"
		and .observed=="rejected") | .image_bytes_sent==0 and .wire_app_bytes==0] | all' \
		"$tmp/all/summary.json" >/dev/null || fail "$s: a refusing device got image bytes"
	echo "$s: insecure caught; refusing devices got 0 image bytes"
done
echo "catalogue native: ok"
