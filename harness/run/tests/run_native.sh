#!/usr/bin/env bash
# rotsim run on the native target: the seed's story and a MITM, verdicts read
# back from junit.xml and summary.json, a wrong expectation reported as a
# failure with exit 1, shards that add up to the whole, and rotsim verdict
# agreeing with the run from the evidence on disk.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$tmp/seed
"$ROTSIM" run le-r3-to-r10 mitm-rogue-root --target native --out "$out" -q -j 2 \
	--product "Acme Gateway" --firmware-version 4.2.1 > "$tmp/log" \
	|| { cat "$tmp/log"; fail "run: exit $?"; }
# rotsim run hands the product and firmware version to the report it writes.
jq -e '.product == "Acme Gateway" and .firmware_version == "4.2.1"' \
	"$out/report.json" > /dev/null || fail "report.json: no product/firmware version from rotsim run"
j=$out/junit.xml
[ "$(junit_count "$j")" -eq 12 ] || fail "junit: $(junit_count "$j") testcases, want 12"
[ "$(junit_failures "$j")" -eq 0 ] && [ "$(junit_errors "$j")" -eq 0 ] || fail "junit failures"
# The seed's story, case by case.
for d in root-x1 roots-x1-x2 pin-r3; do
	[ "$(junit_verdict "$j" "le-r3-to-r10.$d@native" before)" = pass ] || fail "$d before"
done
jq -e '.records[] | select(.device=="pin-r3" and .phase=="after")
	| .observed=="rejected" and .expected=="rejected" and .verdict=="pass"
	and (.reason | test("leaf-r10 <- r10")) and (.reason | test("BR_ERR_X509_NOT_TRUSTED"))' \
	"$out/summary.json" >/dev/null || fail "pin-r3 after: $(jq -c '.records[5]' "$out/summary.json")"
jq -e '.records[] | select(.device=="root-x1" and .phase=="after")
	| .observed=="updated" and .image_bytes_sent > 0 and .wire_app_bytes >= .image_bytes_sent
	and .reported_version == 3' "$out/summary.json" >/dev/null || fail "root-x1 after"
# The MITM: insecure is caught, validating devices refuse and get no image byte.
jq -e '.records[] | select(.scenario=="mitm-rogue-root" and .phase=="mitm")
	| if .device=="insecure" then .observed=="insecure" else (.observed=="rejected"
	and .image_bytes_sent==0 and .wire_app_bytes==0) end' "$out/summary.json" \
	| grep -qv false || fail "mitm verdicts"
# Every record has the keys the results promise.
jq -e '[.records[] | has("scenario","device","target","phase","date","expected","observed",
	"verdict","reason","evidence")] | all' "$out/summary.json" >/dev/null || fail "record keys"
# The evidence is there for each case and phase.
for f in phase.json run.json console.log server-events.jsonl capture.pcap; do
	[ -s "$out/cases/le-r3-to-r10/pin-r3@native/02-after/$f" ] || fail "no $f"
done
# A refused handshake has no session secret; a completed one does.
[ -e "$out/cases/le-r3-to-r10/pin-r3@native/02-after/keylog.txt" ] || fail "no keylog.txt"
grep -q '^CLIENT_RANDOM [0-9a-f]\{64\} [0-9a-f]\{96\}$' \
	"$out/cases/le-r3-to-r10/root-x1@native/02-after/keylog.txt" || fail "keylog of root-x1"
[ -s "$out/pki/le-r3-to-r10/chains/leaf-r10.pem" ] || fail "no PKI in the results"
grep -q 'passed, 0 failed, 0 errors' "$out/summary.txt" || fail "summary.txt"
# rotsim verdict decides the same from the files alone.
"$ROTSIM" verdict "$out" | tail -1 | grep -q '12 records: 12 agree' || fail "verdict disagrees"
# ... and notices a record that no longer matches its evidence.
cp -r "$out" "$tmp/tampered"
jq '.records[0].observed = "rejected"' "$out/summary.json" > "$tmp/tampered/summary.json"
set +e
"$ROTSIM" verdict "$tmp/tampered" > "$tmp/v"; rc=$?
set -e
[ $rc -eq 1 ] && grep -q '1 differ' "$tmp/v" || fail "verdict accepted a tampered summary"

# A wrong expectation is a finding: exit 1, a failure with the reason.
mkdir "$tmp/scn"
sed -e 's/^expect.pin-r3 *= rejected.*/expect.pin-r3 = updated/' \
	-e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	scenarios/le-r3-to-r10.scn > "$tmp/scn/le-r3-to-r10.scn"
set +e
"$ROTSIM" run le-r3-to-r10 --scenarios "$tmp/scn" --target native --device pin-r3 \
	--out "$tmp/wrong" > "$tmp/wlog"; rc=$?
set -e
[ $rc -eq 1 ] || fail "a failed expectation: exit $rc, want 1"
grep -q '^FAIL  le-r3-to-r10 pin-r3 @after rejected: BR_ERR_X509_NOT_TRUSTED (expected updated)$' \
	"$tmp/wlog" \
	|| fail "line: $(cat "$tmp/wlog")"
[ "$(junit_verdict "$tmp/wrong/junit.xml" "le-r3-to-r10.pin-r3@native" after)" = failure ] \
	|| fail "junit does not show the failure"

# Shards: two halves hold the same cases and verdicts as the whole.
for k in 1 2; do
	"$ROTSIM" run le-r3-to-r10 --target native --shard $k/2 --out "$tmp/s$k" -q > /dev/null
done
jq -r '.records[] | select(.scenario=="le-r3-to-r10") | [.device,.phase,.observed,.verdict] | @tsv' \
	"$out/summary.json" | sort > "$tmp/whole"
cat "$tmp"/s1/summary.json "$tmp"/s2/summary.json | jq -r '.records[] | [.device,.phase,.observed,.verdict] | @tsv' \
	| sort > "$tmp/parts"
diff -u "$tmp/whole" "$tmp/parts" || fail "shards differ from the whole run"
[ "$(jq '.records | length' "$tmp/s1/summary.json")" -gt 0 ] \
	&& [ "$(jq '.records | length' "$tmp/s2/summary.json")" -gt 0 ] || fail "an empty shard"

# Usage errors: exit 2 with a message.
set +e
"$ROTSIM" run no-such-scenario --target native --out "$tmp/x" 2> "$tmp/e"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q 'no scenario "no-such-scenario"' "$tmp/e" || fail "unknown scenario: $rc"
set +e
"$ROTSIM" run le-r3-to-r10 --shard 3/2 2> "$tmp/e"; rc=$?
set -e
[ $rc -eq 2 ] || fail "bad shard: exit $rc"
echo "run native: ok"
