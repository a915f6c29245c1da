#!/usr/bin/env bash
# The curl update client (targets/curl-client) judged like any device on
# QEMU (qemu-x86_64-curl: one image with the client in place of the
# reference agent, for every device, resumed at its power-on point):
# le-r3-to-r10, mitm-rogue-root and operator-missing-intermediate with
# root-x1, roots-x1-x2, pin-r3 (curl's partial-chain verification makes R3
# an anchor), pin-leaf (-k --pinnedpubkey) and insecure (-k), in one run,
# two cases at a time, all resumed from one saved machine.
#
# Every phase must come out as the catalogue (the scenario's expect lines)
# says, and the facts that matter most are checked by name: the R3-pinned
# device is rejected after the renewal, curl -k is caught insecure by the
# rogue root, a server without its intermediate is refused by the
# root-anchored devices and accepted by the two whose anchor or pin sits at
# or below the missing certificate, and the console shows it was the curl
# client that ran, not the reference agent. (The native-curl target runs the
# same client in files.sh and hawkbit.sh.)
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/curl-client.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
target=qemu-x86_64-curl
out=$tmp/out
fail() { echo "FAIL: $target: $*"; exit 1; }

start=$(date +%s)
rc=0
"$ROTSIM" run le-r3-to-r10 mitm-rogue-root operator-missing-intermediate --target "$target" \
	-j 2 --no-report --out "$out" > "$tmp/run.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/run.log"; fail "rotsim run: exit $rc"; }

# outcome SCENARIO DEVICE PHASE: the observed outcome of one phase
outcome() {
	jq -r --arg s "$1" --arg d "$2" --arg p "$3" \
		'.records[] | select(.scenario == $s and .device == $d and .phase == $p) | .observed' \
		"$out/summary.json"
}
want() {	# want SCENARIO DEVICE PHASE OUTCOME [what]
	local got
	got=$(outcome "$1" "$2" "$3")
	[ "$got" = "$4" ] || fail "$1 $2 @$3${5:+ ($5)}: $got, want $4"
}
# All 24 phases (3 devices x 2 phases, 3 x 2, 4 x 3), each as expected.
n=$(jq '.records | length' "$out/summary.json")
[ "$n" -eq 24 ] || fail "$n records, want 24"
bad=$(jq -r '.records[] | select(.observed != .expected) |
	"\(.scenario) \(.device) @\(.phase): \(.observed), expected \(.expected): \(.reason)"' \
	"$out/summary.json")
[ -z "$bad" ] || fail "not as the catalogue expects: $bad"

want le-r3-to-r10 root-x1 before updated
want le-r3-to-r10 root-x1 after updated
want le-r3-to-r10 pin-r3 before updated "curl's partial chain: R3 is an anchor"
want le-r3-to-r10 pin-r3 after rejected "R10 is not R3"
want mitm-rogue-root root-x1 mitm rejected
want mitm-rogue-root roots-x1-x2 mitm rejected
want mitm-rogue-root insecure mitm insecure "curl -k under the rogue root"
for d in root-x1 roots-x1-x2; do
	want operator-missing-intermediate "$d" r3-leaf-alone rejected
	want operator-missing-intermediate "$d" chain-restored updated
	want operator-missing-intermediate "$d" r10-leaf-alone rejected
done
want operator-missing-intermediate pin-r3 r3-leaf-alone updated "the leaf's issuer is the anchor"
want operator-missing-intermediate pin-leaf r3-leaf-alone updated "the leaf's key is pinned"
want operator-missing-intermediate pin-r3 r10-leaf-alone rejected
want operator-missing-intermediate pin-leaf r10-leaf-alone rejected "another leaf key"

# What the wire and the console say behind three of them.
c=$out/cases/le-r3-to-r10/pin-r3@$target/02-after
grep -q '^update-client: done result=rejected .*CURLE_PEER_FAILED_VERIFICATION' "$c/console.log" ||
	fail "pin-r3 @after: curl did not refuse: $(grep '^update-client: done' "$c/console.log")"
c=$out/cases/mitm-rogue-root/insecure@$target/02-mitm
grep -q '"event":"handshake".*"result":"ok"' "$c/server-events.jsonl" ||
	fail "insecure @mitm: no completed handshake with the rogue chain"
c=$out/cases/operator-missing-intermediate/pin-leaf@$target/03-r10-leaf-alone
grep -q '^update-client: done result=rejected .*CURLE_SSL_PINNEDPUBKEYNOTMATCH' "$c/console.log" ||
	fail "pin-leaf @r10-leaf-alone: $(grep '^update-client: done' "$c/console.log")"
con=$out/cases/le-r3-to-r10/root-x1@$target/01-before/console.log
grep -q '^update-client: done result=updated' "$con" ||
	{ cat "$con"; fail "the curl client did not run"; }
if grep -q 'rotsim: agent-start\|^rotsim: done' "$con"; then
	fail "the reference agent ran"
fi
# How the boots were made: resumed, from one saved machine (boots-lib.sh).
. "${ROTSIM_TOP:-$PWD}/targets/qemu-x86_64/tests/boots-lib.sh"
resumed_boots "$out" "$target"
boots=$BOOTS resumed=$RESUMED
"$ROTSIM" verdict "$out" > "$tmp/verdict.log" 2>&1 ||
	{ cat "$tmp/verdict.log"; fail "rotsim verdict disagrees"; }
echo "ok: $target: $n phases as the catalogue expects, $resumed of $boots boots resumed ($(( $(date +%s) - start )) s)"
