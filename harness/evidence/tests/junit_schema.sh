#!/usr/bin/env bash
# junit.xml against the JUnit schema (harness/evidence/junit.xsd) with
# xmllint --schema: the report of a real native run of le-r3-to-r10, and of a
# run with a Required failure, a Recommended miss and skipped cases (a device
# that needs UDP on a native target without it, in a suite with run cases
# and in a suite of its own), and of that run merged back from a summary.json
# with a negative duration. Beyond the schema, the counts of every suite and
# of the whole report must match its testcases. And the check must be able to
# fail: broken copies of a valid report (a time of "abc", no classname, a
# testcase both skipped and failed, ...) are refused. About 15 s.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"
xsd=$ROTSIM_TOP/harness/evidence/junit.xsd
command -v xmllint > /dev/null || fail "xmllint is missing (make deps: libxml2-utils)"

# counts FILE: the counts of every suite and of the report are those of its
# testcases (what XML Schema 1.0 cannot say).
counts() {
	python3 - "$1" <<'EOF'
import sys, xml.etree.ElementTree as E
root = E.parse(sys.argv[1]).getroot()
def count(cases):
    return {"tests": len(cases),
            "failures": sum(c.find("failure") is not None for c in cases),
            "errors": sum(c.find("error") is not None for c in cases),
            "skipped": sum(c.find("skipped") is not None for c in cases)}
bad = 0
suites = [root] if root.tag == "testsuite" else list(root)
every = []
for s in suites + ([root] if root.tag == "testsuites" else []):
    cases = list(s.iter("testcase"))
    for k, v in count(cases).items():
        if s.get(k) is not None and int(s.get(k)) != v:
            print(f"{s.tag} {s.get('name')}: {k}={s.get(k)}, its cases say {v}")
            bad = 1
sys.exit(bad)
EOF
}

# valid FILE: the schema accepts FILE, and its counts are right.
valid() {
	xmllint --noout --schema "$xsd" "$1" 2> "$tmp/lint" \
		|| { cat "$tmp/lint"; fail "$1 does not validate"; }
	counts "$1" || fail "$1: counts do not match the testcases"
}

# refused NAME FILE: the schema refuses FILE.
refused() {
	if xmllint --noout --schema "$xsd" "$2" > /dev/null 2> "$tmp/lint"; then
		fail "the schema accepts $1"
	fi
	echo "refused, $1: $(grep -m1 'validity error\|parser error' "$tmp/lint" | sed 's/^[^:]*:[0-9]*: //')"
}

# ---- a real native run ----
rc=0
"$ROTSIM" run le-r3-to-r10 --target native --out "$tmp/plain" -q --no-report \
	> "$tmp/log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/log"; fail "le-r3-to-r10 on native: exit $rc"; }
j=$tmp/plain/junit.xml
valid "$j"
[ "$(xmllint --xpath 'count(//testcase)' "$j")" = 6 ] || fail "$j: not 6 testcases"
echo "le-r3-to-r10 on native: junit.xml validates"

# ---- skipped cases, a Recommended miss and a Required failure ----
# A target like native but without UDP: the SNTP device is skipped there.
mkdir -p "$tmp/targets/nou" "$tmp/scn"
sed -e 's/^\[target native\]/[target nou]/' targets/native/target.conf \
	> "$tmp/targets/nou/target.conf"
echo 'udp = no' >> "$tmp/targets/nou/target.conf"
pki=$ROTSIM_TOP/scenarios/pki/letsencrypt.pki
cat > "$tmp/scn/junit-mix.scn" <<EOF
# root-x1 updates but is expected rejected (a Required failure); pin-r3 is
# rejected but only Recommended to update (a miss, not a failure); sntp-x1
# needs UDP (skipped on nou).
[scenario junit-mix]
summary = JUnit report with every kind of testcase.
event   = Let's Encrypt issues from R10/R11 instead of R3 (2024-06-06)
source  = a test of junit.xml
pki     = $pki
devices = root-x1, pin-r3, sntp-x1

[phase after]
date     = 2024-07-01
chain    = leaf-r10
firmware = 2
expect.root-x1 = rejected
expect.pin-r3  = updated recommended  # a wish, not a release blocker
expect.sntp-x1 = updated
EOF
cat > "$tmp/scn/junit-skip.scn" <<EOF
# Every case skipped: a suite of skipped cases only.
[scenario junit-skip]
summary = JUnit report of a scenario none of whose cases runs.
event   = Let's Encrypt issues from R10/R11 instead of R3 (2024-06-06)
source  = a test of junit.xml
pki     = $pki
devices = sntp-x1

[phase after]
date     = 2024-07-01
chain    = leaf-r10
firmware = 2
expect   = updated
EOF
rc=0
"$ROTSIM" run junit-mix junit-skip --scenarios "$tmp/scn" --targets "$tmp/targets" \
	--target nou --out "$tmp/mix" -q --no-report > "$tmp/log" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$tmp/log"; fail "the mixed run: exit $rc, want 1 (a Required failure)"; }
j=$tmp/mix/junit.xml
valid "$j"
x() { xmllint --xpath "$1" "$j"; }
[ "$(x 'count(//testcase[skipped])')" = 2 ] || fail "$j: not 2 skipped testcases"
[ "$(x 'count(//testsuite[@name="junit-skip"]/testcase[skipped])')" = 1 ] \
	|| fail "$j: no suite of skipped cases only"
[ "$(x 'count(//testcase[failure])')" = 1 ] \
	&& [ "$(x 'count(//testcase[contains(@classname, "root-x1")][failure])')" = 1 ] \
	|| fail "$j: the Required failure is not root-x1's one <failure>"
miss='//testcase[contains(@classname, "pin-r3")]'
[ "$(x "count($miss[failure or error])")" = 0 ] || fail "$j: the Recommended miss is a failure"
x "string($miss/system-out)" | grep -q 'Recommended expectation not met' \
	|| fail "$j: the Recommended miss is not noted"
[ "$(x 'string(/testsuites/@failures)')" = 1 ] && [ "$(x 'string(/testsuites/@skipped)')" = 2 ] \
	|| fail "$j: totals $(x 'string(/testsuites/@failures)') failures, $(x 'string(/testsuites/@skipped)') skipped"
echo "skipped cases, a Recommended miss and a Required failure: junit.xml validates"

# A duration is evidence read back from files: a negative one in a shard's
# summary.json (damaged or edited) still gives times the schema accepts.
cp -r "$tmp/mix" "$tmp/damaged"
python3 - "$tmp/damaged/summary.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
j["records"][0]["duration_ms"] = -1500
json.dump(j, open(sys.argv[1], "w"))
EOF
rc=0
"$ROTSIM" report --merge "$tmp/damaged" --out "$tmp/merged" -q > "$tmp/log" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$tmp/log"; fail "merging the damaged run: exit $rc, want 1"; }
valid "$tmp/merged/junit.xml"
echo "a negative duration read back: junit.xml validates"

# ---- broken reports are refused ----
# break_copy NAME SED-SCRIPT [FILE]: a copy of a valid report (the mixed
# run's unless FILE), edited; it must differ from the original (the edit took)
# and be refused.
break_copy() {
	local from=${3:-$j}
	sed -e "$2" "$from" > "$tmp/broken.xml"
	! cmp -s "$from" "$tmp/broken.xml" || fail "the edit \"$1\" changed nothing"
	refused "$1" "$tmp/broken.xml"
}
break_copy 'time="abc"' '0,/<testcase \(.*\) time="[0-9.]*"/s//<testcase \1 time="abc"/'
break_copy 'a suite time of "1,5"' '0,/<testsuite \(.*\) time="[0-9.]*"/s//<testsuite \1 time="1,5"/'
break_copy 'a testcase without classname' '0,/<testcase classname="[^"]*"/s//<testcase/'
break_copy 'tests="-1"' '0,/<testsuite \(.*\) tests="[0-9]*"/s//<testsuite \1 tests="-1"/'
break_copy 'timestamp="yesterday"' '0,/timestamp="[^"]*"/s//timestamp="yesterday"/'
break_copy 'skipped and failed' '0,/<skipped /s//<failure message="x"\/><skipped /'
break_copy 'system-out before the outcome' \
	'0,/<system-out>\([^<]*\)<\/system-out>/s//<system-out>\1<\/system-out><failure\/>/' \
	"$tmp/plain/junit.xml"
break_copy 'an unknown element' '0,/<testcase /s//<testcase-extra\/><testcase /'
# The count check can fail too: a suite that claims a testcase too many.
sed -e '0,/<testsuite name="junit-mix" tests="3"/s//<testsuite name="junit-mix" tests="4"/' \
	"$j" > "$tmp/broken.xml"
! cmp -s "$j" "$tmp/broken.xml" || fail "the edit of tests= changed nothing"
xmllint --noout --schema "$xsd" "$tmp/broken.xml" 2> /dev/null \
	|| fail "the schema refuses a count it cannot check"
if counts "$tmp/broken.xml"; then fail "the count check accepts tests=\"4\" for 3 testcases"; fi
echo ok
