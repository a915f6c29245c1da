#!/usr/bin/env bash
# rotsim report on real native runs: two shards merged equal the unsharded
# run; a run with a wrong expectation is a new failure against a baseline, in
# the headline, the matrix and the detail; an expected-failures entry accepts
# it (the release passes and the reason is listed); an expired one does not.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

scns=(le-r3-to-r10 mitm-rogue-root)
"$ROTSIM" run "${scns[@]}" --target native --out "$tmp/whole" -q -j 2 > /dev/null \
	|| fail "the unsharded run failed"
for k in 1 2; do
	"$ROTSIM" run "${scns[@]}" --target native --shard $k/2 --out "$tmp/shard-$k" -q -j 2 \
		> /dev/null || fail "shard $k/2 failed"
done

# ---- Devices: each device's update client and TLS stack ----
jq -e '[.records[] | .client == "rotsim-agent" and .tls == "bearssl"] | all' \
	"$tmp/whole/summary.json" > /dev/null || fail "client/tls in summary.json: $(jq -c \
	'[.records[] | {device, client, tls}] | unique' "$tmp/whole/summary.json")"
for d in root-x1 pin-r3; do
	grep -q "<tr><td class=\"mono\">$d</td><td class=\"mono\">native</td><td>rotsim-agent</td><td>bearssl</td><td>[0-9]*</td></tr>" \
		"$tmp/whole/report.html" || fail "the report's Devices table has no row for $d"
done

# ---- Merge: the same records, in the same order, with working evidence ----
# Shards given out of order on purpose.
expect_exit 0 "$ROTSIM" report --merge "$tmp/shard-2" "$tmp/shard-1" --out "$tmp/merged"
grep -q '^merged 2 shards' "$tmp/out" || fail "merge output: $(cat "$tmp/out")"
grep -q '^release: PASS' "$tmp/out" || fail "merged release: $(cat "$tmp/out")"
# Every member but the phase's wall time, which two runs never share.
diff -u <(jq -S -c '.records[] | del(.duration_ms)' "$tmp/whole/summary.json") \
	<(jq -S -c '.records[] | del(.duration_ms)' "$tmp/merged/summary.json") \
	|| fail "merged records differ"
diff -u <(grep -o '<testcase [^>]*>' "$tmp/whole/junit.xml" | sed 's/ time="[0-9.]*"//') \
	<(grep -o '<testcase [^>]*>' "$tmp/merged/junit.xml" | sed 's/ time="[0-9.]*"//') \
	|| fail "merged junit differs"
diff -u <(grep -c '<failure ' "$tmp/whole/junit.xml" || true) \
	<(grep -c '<failure ' "$tmp/merged/junit.xml" || true) || fail "junit failures differ"
jq -e '.shard == "merged" and .shards_total == 2 and .shards_missing == 0
	and ([.shards[].shard] == ["1/2","2/2"]) and .seed == "rotsim"' "$tmp/merged/summary.json" \
	> /dev/null || fail "merged meta: $(jq -c 'del(.records)' "$tmp/merged/summary.json")"
# The evidence came along: rotsim verdict decides the same from it.
"$ROTSIM" verdict "$tmp/merged" | tail -1 | grep -q '12 records: 12 agree' \
	|| fail "rotsim verdict on the merged run"
links_resolve "$tmp/merged"
for f in report.html report.md report.json junit.xml summary.txt; do
	[ -s "$tmp/merged/$f" ] || fail "merged: no $f"
done
# One shard alone is merged but cannot sign off a release.
expect_exit 1 "$ROTSIM" report --merge "$tmp/shard-1" --out "$tmp/half"
grep -q 'incomplete: 1 shard missing' "$tmp/out" || fail "missing shard not reported"
grep -q 'shard of the run missing' "$tmp/half/report.html" || fail "missing shard not in html"
# Two copies of one shard are refused.
expect_exit 2 "$ROTSIM" report --merge "$tmp/shard-1" "$tmp/shard-1" --out "$tmp/dup"
grep -q 'both shard 1/2' "$tmp/err" || fail "duplicate shard: $(cat "$tmp/err")"

# ---- A report written elsewhere links back to the evidence ----
expect_exit 0 "$ROTSIM" report "$tmp/whole" --out "$tmp/elsewhere/r"
links_resolve "$tmp/elsewhere/r"
grep -q 'href="../../whole/cases/' "$tmp/elsewhere/r/report.html" || fail "relative links"

# ---- A known failure ----
wrong_scenario "$tmp/scn"
set +e
"$ROTSIM" run le-r3-to-r10 --scenarios "$tmp/scn" --target native --out "$tmp/wrong" -q -j 2 \
	> /dev/null; rc=$?
set -e
[ $rc -eq 1 ] || fail "the run with a wrong expectation: exit $rc, want 1"
expect_exit 1 "$ROTSIM" report "$tmp/wrong" --baseline "$tmp/whole"
grep -q '^release: FAIL (5 of 6 Required' "$tmp/out" || fail "summary: $(cat "$tmp/out")"
grep -q 'since the baseline: 1 new failure, 0 fixed, 0 still failing' "$tmp/out" \
	|| fail "baseline line: $(cat "$tmp/out")"
md=$tmp/wrong/report.md
grep -q 'release ❌ FAIL' "$md" || fail "report.md headline"
grep -q '1 new failure' "$md" || fail "report.md lacks the new failure"
grep -q '^| ❌ FAIL | le-r3-to-r10 | pin-r3 | native | after | updated | rejected | Required | new failure |$' \
	"$md" || fail "report.md row: $(cat "$md")"
jq -e '.release == "fail" and .changes.new_failure == 1 and .changes.removed == 6
	and ([.records[] | select(.change == "new failure")] | length) == 1' \
	"$tmp/wrong/report.json" > /dev/null || fail "report.json"
html=$tmp/wrong/report.html
grep -q '<div class="headline fail" id="headline" data-release="fail"><div class="big">RELEASE FAIL' \
	"$html" || fail "html headline"
# The matrix cell of pin-r3 in le-r3-to-r10 is a failure linking to its detail.
cell=$(grep -o '<td class="cell" data-device="pin-r3" data-scenario="le-r3-to-r10">.\{0,200\}' "$html")
grep -q 'class="c-fail" href="#case-3" data-status="fail"' <<<"$cell" || fail "matrix cell: $cell"
grep -q 'new failure' <<<"$cell" || fail "matrix cell lacks the change: $cell"
grep -q '<article class="case fail" id="case-3"' "$html" || fail "the detail of the failed case"
grep -q 'id="required"><h2>Required expectations not met</h2>' "$html" || fail "required list"
# Scenario text is shown as text, never as markup.
grep -q '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;' "$html" \
	|| fail "the expectation's reason is not shown escaped"
! grep -qi '<script' "$html" || fail "markup from the scenario reached the page"
! grep -q '<b>bold' "$html" || fail "markup from the scenario reached the page"

# ---- Accepted, with a reason and an expiry ----
cat > "$tmp/xf" <<'EOF'
# Known findings the team accepts, each with a reason and an end.
[accept pin-r3-renewal]
scenario = le-r3-to-r10
device   = pin-r3
phase    = after
reason   = R3-pinned units are being recalled <before> the next release
expires  = 2099-01-01
EOF
expect_exit 0 "$ROTSIM" report "$tmp/wrong" --baseline "$tmp/whole" --expected-failures "$tmp/xf"
grep -q '^release: PASS (5 of 6 Required expectations met; 0 Recommended not met; 1 accepted' \
	"$tmp/out" || fail "accepted: $(cat "$tmp/out")"
grep -q 'R3-pinned units are being recalled &lt;before&gt; the next release (accepted as pin-r3-renewal until 2099-01-01)' \
	"$tmp/wrong/report.md" || fail "report.md lacks the accepted finding: $(cat "$tmp/wrong/report.md")"
grep -q 'data-release="pass"><div class="big">RELEASE PASS' "$tmp/wrong/report.html" \
	|| fail "accepted: html headline"
sed -n '/<table id="accepted-table">/,/<\/table>/p' "$tmp/wrong/report.html" | grep -q 'pin-r3-renewal.*R3-pinned units are being recalled &lt;before&gt;' \
	|| fail "accepted findings table"
grep -q 'class="c-acc" href="#case-3" data-status="accepted"' "$tmp/wrong/report.html" \
	|| fail "matrix cell of an accepted finding"

# ---- Expired: it no longer applies, and says so ----
sed -i 's/^expires .*/expires  = 2020-01-01/' "$tmp/xf"
expect_exit 1 "$ROTSIM" report "$tmp/wrong" --expected-failures "$tmp/xf"
grep -q "^$tmp/xf:2: warning: \[accept pin-r3-renewal\] expired on 2020-01-01" "$tmp/err" \
	|| fail "no warning for the expired entry: $(cat "$tmp/err")"
grep -q '^release: FAIL' "$tmp/out" || fail "expired acceptance still applies"
grep -q 'expired acceptance.* pin-r3-renewal' "$tmp/wrong/report.md" || fail "report.md: expired"
grep -q 'Acceptance <b>pin-r3-renewal</b> expired on 2020-01-01' "$tmp/wrong/report.html" \
	|| fail "html: expired"

# ---- Mistakes: one line FILE:LINE, exit 2, nothing written ----
printf '[accept a]\nscenario = le-r3-to-r10\nreason = r\nexpires = 2027-02-30\n' > "$tmp/bad"
rm -f "$tmp/wrong/report.html"
expect_exit 2 "$ROTSIM" report "$tmp/wrong" --expected-failures "$tmp/bad"
[ "$(cat "$tmp/err")" = "$tmp/bad:4: expires \"2027-02-30\" is not a date YYYY-MM-DD" ] \
	|| fail "bad file: $(cat "$tmp/err")"
[ ! -e "$tmp/wrong/report.html" ] || fail "a report was written despite the error"
expect_exit 2 "$ROTSIM" report
expect_exit 2 "$ROTSIM" report "$tmp/whole" "$tmp/wrong"
expect_exit 2 "$ROTSIM" report --merge "$tmp/shard-1"
grep -q 'needs --out' "$tmp/err" || fail "--merge without --out"
expect_exit 2 "$ROTSIM" report "$tmp/nowhere"
grep -q 'nowhere/summary.json' "$tmp/err" || fail "missing dir: $(cat "$tmp/err")"
expect_exit 2 "$ROTSIM" report "$tmp/whole" --baseline "$tmp/nowhere"
echo "report native: ok"
