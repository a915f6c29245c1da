#!/usr/bin/env bash
# report.html in a real browser: headless Chromium renders the report of a
# native run and of a run with a known failure, takes screenshots (kept in
# BUILD/test-logs/report-*.png for a person to look at), and the DOM it built
# shows the matrix with a cell per device x scenario and the failure in the
# headline, the matrix and the detail. The page makes no network request:
# Chromium's NetLog of the visit lists no request made for the page (checked
# against a control page that loads an external image), and the file has no
# external reference at all.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v chromium > /dev/null || fail "chromium is not installed (make deps installs it)"
py=/usr/bin/python3
[ -x $py ] || py=python3
shots=$ROTSIM_BUILD/test-logs
mkdir -p "$shots"

# URLs of requests made for a page (its frame's network isolation key is the
# file:// site); Chromium's own background requests have none.
page_requests() { # netlog.json
	$py - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
types = {v: k for k, v in d["constants"]["logEventTypes"].items()}
for e in d["events"]:
    p = e.get("params") or {}
    if types.get(e["type"]) != "URL_REQUEST_START_JOB" or "url" not in p:
        continue
    if p["url"].startswith("file:"):
        continue
    if p.get("initiator") != "not an origin" or "file://" in p.get("network_isolation_key", ""):
        print(p["url"])
EOF
}

png_size() { # file -> "WxH"
	$py -c 'import struct,sys; d=open(sys.argv[1],"rb").read(24); assert d[:8]==b"\x89PNG\r\n\x1a\n"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"
}

# No reference to anything outside the file: no element that loads, no
# scheme in a link, no URL in the styles.
self_contained() { # html
	! grep -Eiq '<(script|link|img|iframe|object|embed|base|audio|video|source)[ >]' "$1" \
		|| fail "$1: an element that loads something"
	! grep -Eiq '(src|srcset|action|poster|xlink:href|formaction)=' "$1" \
		|| fail "$1: an attribute that loads something"
	! grep -Eiq 'https?://|url\(|@import|//[a-z0-9.-]+\.[a-z]{2,}/' "$1" \
		|| fail "$1: a URL: $(grep -Eio '.{30}(https?://|url\(|@import).{30}' "$1" | head -3)"
	! grep -o 'href="[^"]*"' "$1" | grep -v '^href="#' | grep -q ':' \
		|| fail "$1: a link with a scheme"
}

# ---- A passing run ----
"$ROTSIM" run le-r3-to-r10 mitm-rogue-root --target native --out "$tmp/run" -q -j 2 > /dev/null \
	|| fail "run"
"$ROTSIM" report "$tmp/run" -q || fail "report"
self_contained "$tmp/run/report.html"
url=file://$tmp/run/report.html
# One visit: the DOM, the screenshot and the NetLog of it.
rm -f "$shots/report-pass.png"
chrome --log-net-log="$tmp/net.json" --dump-dom --screenshot="$shots/report-pass.png" \
	--window-size=1400,2000 "$url" > "$tmp/dom.html"
reqs=$(page_requests "$tmp/net.json")
[ -z "$reqs" ] || fail "the report made network requests: $reqs"
[ "$(png_size "$shots/report-pass.png")" = 1400x2000 ] || fail "screenshot size"
[ "$(stat -c %s "$shots/report-pass.png")" -gt 20000 ] || fail "screenshot looks empty"

# The DOM Chromium built: the matrix, one cell per device x scenario (4 x 2).
grep -q '<div class="matrix" id="matrix-table" data-devices="4" data-scenarios="2" data-stacks="1" data-parts="1">' \
	"$tmp/dom.html" || fail "no matrix in the DOM"
cells=$(grep -o '<td class="cell" data-device="[^"]*" data-scenario="[^"]*"' "$tmp/dom.html" \
	| sort -u | wc -l)
[ "$cells" -eq 8 ] || fail "$cells matrix cells, want 8"
[ "$(grep -o 'class="c-ok" href="#case-[0-9]*"' "$tmp/dom.html" | wc -l)" -eq 6 ] \
	|| fail "6 cases should pass in the matrix"
grep -q 'data-device="insecure" data-scenario="le-r3-to-r10"><span class="na"' \
	"$tmp/dom.html" || fail "a device outside a scenario"
grep -q 'RELEASE PASS' "$tmp/dom.html" || fail "headline"
[ "$(grep -o '<svg class="tl"' "$tmp/dom.html" | wc -l)" -eq 6 ] || fail "a timeline per case"
for id in case-1 case-6 required recommended accepted run firmware; do
	grep -q "id=\"$id\"" "$tmp/dom.html" || fail "no #$id"
done
grep -Eq '<td class="mono hash">[0-9a-f]{64}</td>' "$tmp/dom.html" || fail "no image hash"

# ---- A run with a known failure: headline, matrix and detail ----
wrong_scenario "$tmp/scn"
"$ROTSIM" run le-r3-to-r10 --scenarios "$tmp/scn" --target native --out "$tmp/wrong" -q \
	> /dev/null && fail "the wrong expectation passed"
"$ROTSIM" report "$tmp/wrong" -q && fail "a failed release exits 0"
self_contained "$tmp/wrong/report.html"
url=file://$tmp/wrong/report.html
rm -f "$shots/report-fail.png"
chrome --log-net-log="$tmp/net2.json" --dump-dom --screenshot="$shots/report-fail.png" \
	--window-size=1400,2000 "$url" > "$tmp/dom2.html"
reqs=$(page_requests "$tmp/net2.json")
[ -z "$reqs" ] || fail "the report made network requests: $reqs"
[ "$(png_size "$shots/report-fail.png")" = 1400x2000 ] || fail "screenshot size"
grep -q 'data-release="fail"><div class="big">RELEASE FAIL' "$tmp/dom2.html" || fail "headline"
grep -q 'data-device="pin-r3" data-scenario="le-r3-to-r10"><a class="c-fail" href="#case-3"' \
	"$tmp/dom2.html" || fail "matrix"
grep -q '<article class="case fail" id="case-3" data-status="fail">' "$tmp/dom2.html" \
	|| fail "detail"
# The markup in the scenario's text stayed text in the browser's DOM too.
grep -q '&lt;script&gt;alert' "$tmp/dom2.html" || fail "escaped text not in the DOM"
! grep -qi '<script' "$tmp/dom2.html" || fail "a script element in the DOM"

# ---- The check itself sees a page that fetches something ----
printf '<!DOCTYPE html><p>x</p><img alt="" src="https://example.org/x.png">\n' > "$tmp/ext.html"
chrome --log-net-log="$tmp/net3.json" --dump-dom "file://$tmp/ext.html" > /dev/null
page_requests "$tmp/net3.json" | grep -q '^https://example.org/x.png$' \
	|| fail "the network check misses a page's request"
echo "report chromium: ok (screenshots in $shots/report-pass.png, report-fail.png)"
