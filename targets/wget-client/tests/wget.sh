#!/usr/bin/env bash
# The wget update client (targets/wget-client) judged like any device, on
# qemu-x86_64-wget: pin-r3 through le-r3-to-r10, as the catalogue expects. Its
# two phases hold the facts that matter for GnuTLS: with R3 as its only
# anchor wget takes the leaf from R3 (GnuTLS ends a chain at any certificate in
# its trust list, as the reference agent's BearSSL does) and installs version 2,
# and after the renewal it refuses the leaf from R10. The console must show
# that the wget client ran, on GnuTLS's verdict (wget's exit status 5).
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wget-client.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$tmp/run
rc=0
"$ROTSIM" run le-r3-to-r10 --device pin-r3 --target qemu-x86_64-wget --no-report \
	--out "$out" > "$tmp/run.log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: rotsim run: exit $rc"
	cat "$tmp/run.log"
	find "$out/cases" -name console.log -exec tail -n 20 {} + 2>/dev/null
	exit 1
fi
outcome() {
	jq -r --arg p "$1" '.records[] | select(.device == "pin-r3" and .phase == $p) | .observed' \
		"$out/summary.json"
}
got=$(outcome before)
[ "$got" = updated ] || { echo "FAIL: pin-r3 before the renewal: $got"; exit 1; }
got=$(outcome after)
[ "$got" = rejected ] || { echo "FAIL: pin-r3 after the renewal: $got"; exit 1; }
fail() { echo "FAIL: $*"; exit 1; }
# How the boots were made: resumed, from one saved machine (boots-lib.sh).
. "${ROTSIM_TOP:-$PWD}/targets/qemu-x86_64/tests/boots-lib.sh"
resumed_boots "$out" qemu-x86_64-wget
boots=$BOOTS resumed=$RESUMED
d=$out/cases/le-r3-to-r10
con=$(find "$d" -path '*01-before/console.log' | head -n 1)
grep -q '^update-client: start .*GNU Wget' "$con" || { echo "FAIL: the wget client did not run:"; cat "$con"; exit 1; }
grep -q '^update-client: done result=updated' "$con" || { echo "FAIL: no install:"; cat "$con"; exit 1; }
con=$(find "$d" -path '*02-after/console.log' | head -n 1)
grep -q '^update-client: done result=rejected version=2 reason=WGET_SSL_VERIFICATION' "$con" ||
	{ echo "FAIL: not refused by wget's TLS:"; cat "$con"; exit 1; }
if grep -q 'rotsim: agent-start\|^rotsim: done' "$con"; then
	echo "FAIL: the reference agent ran"; exit 1
fi
echo "ok: $(jq -r '"\(.passed) passed, \(.failed) failed, \(.errors) errors"' "$out/summary.json"), $resumed of $boots boots resumed"
