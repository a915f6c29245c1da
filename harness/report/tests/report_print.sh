#!/usr/bin/env bash
# report.html on paper: headless Chromium prints reports to PDF and the PDF's
# text (pdftotext) and word boxes (pdftotext -bbox) are read back.
#
#  - A real native run with a Required failure and a Recommended miss, with
#    --product and --firmware-version: page one holds the verdict, its counts,
#    the product and the firmware version; the last page is the sign-off
#    block with the verdict restated; each matrix row names the case's
#    verdict in words (FAIL release blocker, MISS Recommended, not a blocker),
#    its outcomes and its duration, and each case says its duration; the
#    pages are A4 landscape, no word leaves its page and no two words overlap.
#  - A synthetic results folder of 24 device profiles on 4 TLS stacks in 14
#    scenarios (QEMU and native captures among its evidence): every device
#    and scenario name is in the matrix's text, under its stack's heading, in
#    parts that fit the page: Chromium did not shrink the page to fit (a word
#    of page one is as tall as in the small run's report), no word is outside
#    its page, none overlaps another; QEMU's per-boot captures are linked.
#  - A control: the same report with a table wider than the paper and the
#    matrix's headers shifted over their neighbours; the checks must see the
#    shrink and the collisions.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for tool in chromium pdftotext pdfinfo jq; do
	command -v $tool > /dev/null || fail "$tool is not installed (make deps installs it)"
done
py=/usr/bin/python3
[ -x $py ] || py=python3

# Print a page to a PDF.
print_pdf() { # html pdf
	chrome --no-pdf-header-footer --print-to-pdf-no-header --print-to-pdf="$2" "file://$1" \
		> /dev/null
	[ -s "$2" ] || fail "chromium printed no $2"
}

# The geometry of a PDF, one line each: "page N W H" per page, "outside N
# WORD" for a word not wholly on its page, "overlap N A / B" for two words
# whose boxes overlap, and "release H" for the height of the word RELEASE on
# page one (the headline's).
geometry() { # pdf
	pdftotext -bbox "$1" "$1.bbox.html"
	$py - "$1.bbox.html" <<'EOF'
import html, re, sys
t = open(sys.argv[1], encoding="utf-8").read()
num = r'"(-?[\d.]+)"'
for pi, (w, h, body) in enumerate(re.findall(
        r'<page width=' + num + ' height=' + num + r'>(.*?)</page>', t, re.S), 1):
    w, h = float(w), float(h)
    print("page %d %.1f %.1f" % (pi, w, h))
    words = [(float(a), float(b), float(c), float(d), html.unescape(s)) for a, b, c, d, s in
             re.findall(r'<word xMin=' + num + ' yMin=' + num + ' xMax=' + num + ' yMax=' + num
                        + r'>(.*?)</word>', body)]
    for x0, y0, x1, y1, s in words:
        if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
            print("outside %d %s" % (pi, s))
        if pi == 1 and s == "RELEASE":
            print("release %.3f" % (y1 - y0))
    words.sort()
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            if b[0] >= a[2] - 1:
                break
            if min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 2:
                print("overlap %d %s / %s" % (pi, a[4], b[4]))
EOF
}

# The text of pages FIRST..LAST (default: all) on one line, runs of white
# space as one space.
text() { # pdf [first last]
	if [ $# -eq 3 ]; then
		pdftotext -f "$2" -l "$3" "$1" -
	else
		pdftotext "$1" -
	fi | tr -s ' \n\f\t' '    ' | tr -s ' '
}

# Every page A4 landscape (842 x 595 pt, give or take a point).
a4_landscape() { # geometry-file
	local bad
	bad=$(awk '$1 == "page" && ($3 < 840.9 || $3 > 842.9 || $4 < 594 || $4 > 596)' "$1")
	[ -z "$bad" ] || fail "pages not A4 landscape: $(head -3 <<<"$bad")"
	grep -q '^page 1 ' "$1" || fail "no page in $1"
}

# A duration as the report writes it: 1234 ms -> "1.2 s".
dur() { printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# ---- A real run: a Required failure and a Recommended miss ----
mkdir -p "$tmp/scn"
sed -e 's/^expect.pin-r3 *= rejected.*/expect.pin-r3      = updated recommended  # missed on purpose/' \
	-e 's/^expect.roots-x1-x2 *= updated.*/expect.roots-x1-x2 = rejected  # failed on purpose/' \
	-e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	scenarios/le-r3-to-r10.scn > "$tmp/scn/le-r3-to-r10.scn"
grep -q 'pin-r3 *= updated recommended' "$tmp/scn/le-r3-to-r10.scn" \
	&& grep -q 'roots-x1-x2 = rejected' "$tmp/scn/le-r3-to-r10.scn" \
	|| fail "could not edit the scenario"
expect_exit 1 "$ROTSIM" run le-r3-to-r10 --scenarios "$tmp/scn" --target native \
	--out "$tmp/run" -q -j 2 --no-report
expect_exit 1 "$ROTSIM" report "$tmp/run" --product 'Acme <GW-200>' --firmware-version 4.1.0-rc2
print_pdf "$tmp/run/report.html" "$tmp/run.pdf"
geometry "$tmp/run.pdf" > "$tmp/run.geo"
a4_landscape "$tmp/run.geo"
! grep -E '^(outside|overlap) ' "$tmp/run.geo" || fail "the run's report: words cut or colliding"
ref=$(awk '$1 == "release" { print $2; exit }' "$tmp/run.geo")
[ -n "$ref" ] || fail "no RELEASE headline on page 1"
pages=$(pdfinfo "$tmp/run.pdf" | awk '/^Pages:/ { print $2 }')
[ "$pages" -ge 3 ] || fail "$pages pages"

# Page one: the verdict and its counts (from summary.json), the product and
# the firmware version.
sum=$tmp/run/summary.json
req=$(jq '[.records[] | select(.tier == "required")] | length' "$sum")
reqfail=$(jq '[.records[] | select(.tier == "required" and .verdict == "fail")] | length' "$sum")
recfail=$(jq '[.records[] | select(.tier == "recommended" and .verdict == "fail")] | length' "$sum")
[ "$reqfail" -ge 1 ] && [ "$recfail" -ge 1 ] || fail "the run has no failure to show"
p1=$(text "$tmp/run.pdf" 1 1)
for want in "RELEASE FAIL" "$reqfail of $req Required expectations not met" \
	"$recfail Recommended not met" "Product: Acme <GW-200>" "Firmware version: 4.1.0-rc2"; do
	grep -qF -- "$want" <<<"$p1" || fail "page 1 lacks \"$want\": $p1"
done
# The last page: the sign-off block, the verdict restated.
last=$(text "$tmp/run.pdf" "$pages" "$pages")
for want in "Sign-off" "Release verdict: FAIL: $((req - reqfail)) of $req Required expectations met; $recfail Recommended not met" \
	"Product: Acme <GW-200> · Firmware version: 4.1.0-rc2" "Tested by" \
	"Approved for release by" Name Role Date Signature; do
	grep -qF -- "$want" <<<"$last" || fail "the last page lacks \"$want\": $last"
done

# Each case: a matrix row with its verdict in words, its outcomes and its
# duration, and a heading with its duration; a Required failure reads
# "FAIL release blocker", a Recommended miss "MISS Recommended, not a blocker".
all=$(text "$tmp/run.pdf")
jq -r '[.records[] | {d: .device, o: .observed, ms: .duration_ms,
	k: (if .verdict != "fail" then 0 elif .tier == "required" then 2 else 1 end)}]
	| group_by(.d)[] | [.[0].d, (map(.k) | max), (map(.ms) | add), (map(.o) | join(" → "))]
	| @tsv' "$sum" > "$tmp/cases.tsv"
[ "$(wc -l < "$tmp/cases.tsv")" -eq 3 ] || fail "cases: $(cat "$tmp/cases.tsv")"
seen=0
while IFS=$'\t' read -r dev kind ms seq; do
	case $kind in
	0) label="PASS" ;;
	1) label="MISS RECOMMENDED, NOT A BLOCKER"; seen=$((seen | 1)) ;;
	2) label="FAIL RELEASE BLOCKER"; seen=$((seen | 2)) ;;
	esac
	row="$dev $label $seq @ native · $(dur "$ms")"
	grep -qF -- "$row" <<<"$all" || fail "no matrix row \"$row\""
	grep -qF -- "le-r3-to-r10 · $dev @ native duration $(dur "$ms")" <<<"$all" \
		|| fail "the case of $dev does not show its duration $(dur "$ms")"
done < "$tmp/cases.tsv"
[ $seen -eq 3 ] || fail "not both a blocker and a miss among the cases"
# The two kinds differ in the page too, not by colour alone.
grep -q 'data-device="pin-r3" data-scenario="le-r3-to-r10"><a class="c-rec" href="#case-3" data-status="fail" data-kind="rec">' \
	"$tmp/run/report.html" || fail "the miss's matrix cell"
grep -q '<article class="case rec" id="case-3"' "$tmp/run/report.html" || fail "the miss's case"
grep -q '<article class="case fail" id="case-2"' "$tmp/run/report.html" || fail "the blocker's case"

# ---- Many devices on several stacks ----
syn=$tmp/syn
mkdir -p "$syn"
$py - "$syn" <<'EOF'
import json, os, sys
out = sys.argv[1]
stacks = ["", "@mbedtls", "@openssl-partial-chain", "@wolfssl"]
bases = ["root-x1", "roots-x1-x2", "pin-r3", "pin-leaf", "legacy-dst", "no-rtc"]
devices = [b + s for s in stacks for b in bases]
scns = ["attack-downgrade-after-failure", "operator-missing-intermediate",
        "ota-trust-before-rollover", "transfer-corrupted-image", "transfer-broken-download",
        "le-r3-to-r10", "mitm-rogue-root", "dst-root-expiry", "offline-10-years",
        "clock-drift-years", "le-cross-sign-expiry", "baltimore-to-digicert-g2",
        "gen-y-missing-cross-sign", "isrg-root-x2-ecdsa"]
phases = [("before", "2024-05-01"), ("renewal", "2024-07-01"), ("offline", "2027-01-01"),
          ("back", "2027-01-09"), ("after", "2034-06-01")]
cases = [(scns[i % len(scns)], d, "native") for i, d in enumerate(devices)]
cases.append((scns[0], devices[0], "qemu-x86_64"))
recs = []
for ci, (s, d, t) in enumerate(cases):
    n = 5 if s == "offline-10-years" else 2
    for pi, (ph, date) in enumerate(phases[:n]):
        exp = obs = "updated"
        tier = "required"
        if pi == n - 1 and d == "pin-r3@mbedtls":
            obs = "rejected"
        if pi == n - 1 and d == "no-rtc@wolfssl":
            obs, tier = "rejected", "recommended"
        ev = "cases/%s/%s@%s/%02d-%s" % (s, d, t, pi + 1, ph)
        os.makedirs(os.path.join(out, ev), exist_ok=True)
        for f in (["capture-0.pcap", "capture-1.pcap"] if t != "native" else ["capture.pcap"]):
            open(os.path.join(out, ev, f), "w").close()
        recs.append({"scenario": s, "device": d, "target": t, "phase": ph, "case_index": ci,
            "phase_index": pi, "date": date + "T00:00:00Z", "expected": exp, "tier": tier,
            "observed": obs, "verdict": "pass" if exp == obs else "fail",
            "reason": "a synthetic record", "evidence": ev, "chain": "leaf-r10 <- r10",
            "alert": "", "device_error": "", "reference": "ok",
            "duration_ms": 900 + 137 * ci + pi})
json.dump({"rotsim": "0.1.0", "finished": "2026-12-01T00:00:00Z", "seed": "synthetic",
    "shard": "1/1", "records": recs}, open(os.path.join(out, "summary.json"), "w"))
EOF
expect_exit 1 "$ROTSIM" report "$syn" -q
grep -q '<div class="matrix" id="matrix-table" data-devices="24" data-scenarios="14" data-stacks="4" data-parts="3">' \
	"$syn/report.html" || fail "synthetic matrix: $(grep -o '<div class="matrix"[^>]*>' "$syn/report.html")"
# QEMU's captures are linked boot by boot, like the native capture.
qe='cases/attack-downgrade-after-failure/root-x1@qemu-x86_64/01-before'
for f in "$qe/capture-0.pcap" "$qe/capture-1.pcap" \
	cases/attack-downgrade-after-failure/root-x1@native/01-before/capture.pcap; do
	grep -qF "href=\"$f\"" "$syn/report.html" || fail "no link to $f"
	[ -e "$syn/$f" ] || fail "$f"
done
print_pdf "$syn/report.html" "$tmp/syn.pdf"
geometry "$tmp/syn.pdf" > "$tmp/syn.geo"
a4_landscape "$tmp/syn.geo"
! grep -E '^(outside|overlap) ' "$tmp/syn.geo" \
	|| fail "the synthetic report: words cut or colliding"
h=$(awk '$1 == "release" { print $2; exit }' "$tmp/syn.geo")
awk -v a="$h" -v b="$ref" 'BEGIN { exit !(a > b * 0.99 && a < b * 1.01) }' \
	|| fail "Chromium shrank the page to fit (RELEASE is $h pt tall, $ref in a small report)"
p1=$(text "$tmp/syn.pdf" 1 1)
for want in "RELEASE FAIL" "Product: not given" "Firmware version: not given"; do
	grep -qF -- "$want" <<<"$p1" || fail "synthetic page 1 lacks \"$want\""
done
# The matrix's pages: from page 2 to the list of Required expectations not
# met. Every device and scenario name is in their text (line breaks and
# hyphens aside: a name may wrap at its hyphens), every stack has a heading.
spages=$(pdfinfo "$tmp/syn.pdf" | awk '/^Pages:/ { print $2 }')
mtext=
for ((p = 2; p <= spages; p++)); do
	t=$(text "$tmp/syn.pdf" $p $p)
	mtext+=" $t"
	grep -q 'Required expectations not met' <<<"$t" && break
done
grep -qF 'Scenarios 11–14 of 14 (part 3 of 3)' <<<"$mtext" || fail "matrix parts: $mtext"
flat=$(tr -d ' -' <<<"$mtext")
n=0
while read -r name; do
	grep -qF -- "${name//-/}" <<<"$flat" || fail "the printed matrix lacks $name"
	n=$((n + 1))
done < <(jq -r '.records[] | .device, .scenario' "$syn/summary.json" | sort -u)
[ $n -eq 38 ] || fail "$n names checked, want 24 devices + 14 scenarios"
for st in bearssl mbedtls openssl-partial-chain wolfssl; do
	grep -qF "TLS stack: $st · 6 devices" <<<"$mtext" || fail "no heading for stack $st"
done
grep -qF 'pin-r3 @mbedtls' <<<"$mtext" || fail "a device on a stack"

# ---- The control: a page wider than the paper, headers drawn over each other ----
# Every other scenario header is moved one column left, onto its neighbour.
sed 's|</style>|table.matrix thead th.scn:nth-child(odd){transform:translateX(-100%)}#firmware{width:2600px}#cases{display:none}</style>|' \
	"$syn/report.html" > "$syn/control.html"
print_pdf "$syn/control.html" "$tmp/control.pdf"
geometry "$tmp/control.pdf" > "$tmp/control.geo"
grep -q '^overlap ' "$tmp/control.geo" || fail "the check misses colliding headers"
h=$(awk '$1 == "release" { print $2; exit }' "$tmp/control.geo")
awk -v a="$h" -v b="$ref" 'BEGIN { exit !(a < b * 0.99) }' \
	|| fail "the check misses a page shrunk to fit ($h pt against $ref)"
echo "report print: ok ($pages pages for the run, $spages for $n names on 4 stacks)"
