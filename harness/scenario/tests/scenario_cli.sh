#!/usr/bin/env bash
# rotsim list and show as a user meets them: every malformed scenario in bad/ is
# refused with the FILE:LINE message on its first line; good ones are listed
# and their timelines shown.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_TOP:?}"
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cd "$ROTSIM_TOP/harness/scenario/tests/bad"
r3_line=$(grep -n '^\[intermediate r3\]' "$ROTSIM_TOP/scenarios/pki/letsencrypt.pki" | cut -d: -f1)
n=0
for f in *.scn; do
	want=$(sed -n '1s/^# expect: //p' "$f")
	[ -n "$want" ] || fail "$f has no '# expect:' line"
	want=${want//LE_R3_LINE/$r3_line}
	want=${want//LINE/$f}
	set +e
	got=$("$ROTSIM" show "$f" 2>&1 >/dev/null)
	rc=$?
	set -e
	[ $rc -eq 1 ] || fail "$f: exit $rc, want 1 ($got)"
	[ "$got" = "$want" ] || fail "$f: got
  $got
want
  $want"
	n=$((n + 1))
done
echo "refused $n malformed scenarios with the expected FILE:LINE message"

cd "$ROTSIM_TOP"
# Every scenario of the catalogue loads; list shows each with its event.
out=$("$ROTSIM" list)
for f in scenarios/*.scn; do
	name=$(basename "$f" .scn)
	grep -q "^[* ] $name " <<<"$out" || fail "list does not show $name"
	"$ROTSIM" show "$name" >/dev/null || fail "show $name"
	# "*" marks exactly the scenarios tagged default.
	if grep -Eq '^tags *=.*\bdefault\b' "$f"; then mark='\*'; else mark=' '; fi
	grep -q "^$mark $name " <<<"$out" || fail "list marks $name wrongly"
done
grep -q ERROR <<<"$out" && fail "list reports an error: $out"
# Tags are shown, and --tag filters by them.
grep -A1 '^\* le-r3-to-r10 ' <<<"$out" | grep -q '\[.*default.*\]' || fail "no tags shown: $out"
tagged=$("$ROTSIM" list --tag transfer)
[ "$(grep -c '^[* ] transfer-' <<<"$tagged")" -eq "$(grep -l '^tags *=.*\btransfer\b' scenarios/*.scn | wc -l)" ] \
	|| fail "--tag transfer: $tagged"
grep -q '^[* ] le-r3-to-r10 ' <<<"$tagged" && fail "--tag transfer lists le-r3-to-r10"
"$ROTSIM" list --tag no-such-tag >/dev/null 2>&1 && fail "an unknown tag is not an error"
# The seed's scenario, as the issue states it.
show=$("$ROTSIM" show le-r3-to-r10)
grep -q '^phase before: 2024-05-01' <<<"$show"
grep -q '^phase after: 2024-07-01 (61 days after before)' <<<"$show"
grep -q 'server:   leaf-r10 <- r10' <<<"$show"
grep -Eq 'expect: +pin-r3 +rejected +Required' <<<"$show"
grep -Eq 'expect: +root-x1 +updated +Required' <<<"$show"
# A scenario directory with a broken file: listed with its error, exit 1.
mkdir "$tmp/scn"
sed "s|^pki = .*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	harness/scenario/tests/bad/bad-outcome.scn > "$tmp/scn/bad-outcome.scn"
set +e
out=$("$ROTSIM" list --scenarios "$tmp/scn")
rc=$?
set -e
[ $rc -eq 1 ] || fail "list with a broken scenario: exit $rc"
grep -q 'bad-outcome *ERROR .*bad-outcome.scn:12: expect: want updated' <<<"$out" || fail "list: $out"
# Usage errors.
set +e
"$ROTSIM" show >/dev/null 2>&1; [ $? -eq 2 ] || fail "show without a name"
"$ROTSIM" show nope-not-there >/dev/null 2>&1; [ $? -eq 1 ] || fail "show of a missing scenario"
"$ROTSIM" list --scenarios /nonexistent >/dev/null 2>&1; [ $? -eq 2 ] || fail "list of a missing dir"
set -e
echo "scenario cli: ok"
