#!/usr/bin/env bash
# The curl update client (targets/curl-client) judged like any device:
# le-r3-to-r10, mitm-rogue-root and operator-missing-intermediate natively
# (under faketime), and le-r3-to-r10 on qemu-x86_64 (a QEMU boot costs
# seconds: the three there are ROTSIM_CURL_QEMU_ALL=1), all as the catalogue
# expects. Besides
# the whole run passing, the facts that matter most are checked by name: the
# R3-only (partial-chain) device is rejected after the renewal, curl -k is
# caught insecure by the rogue root, and the console shows it was the curl
# client that ran, not the reference agent.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/curl-client.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
scenarios=(le-r3-to-r10 mitm-rogue-root operator-missing-intermediate)

# outcome DIR SCENARIO DEVICE PHASE: the observed outcome of one phase
outcome() {
	jq -r --arg s "$2" --arg d "$3" --arg p "$4" \
		'.records[] | select(.scenario == $s and .device == $d and .phase == $p) | .observed' \
		"$1/summary.json"
}
check() {	# check DIR TARGET
	local out=$1 target=$2 got
	got=$(outcome "$out" le-r3-to-r10 pin-r3 after)
	[ "$got" = rejected ] || { echo "FAIL: $target: pin-r3 after the renewal: $got"; exit 1; }
	if [ -f "$out/cases/mitm-rogue-root/insecure@$target/02-mitm/phase.json" ] ||
		[ "$target" = native-curl ]; then
		got=$(outcome "$out" mitm-rogue-root insecure mitm)
		[ "$got" = insecure ] || { echo "FAIL: $target: curl -k under the rogue root: $got"; exit 1; }
	fi
	got=$(outcome "$out" le-r3-to-r10 root-x1 before)
	[ "$got" = updated ] || { echo "FAIL: $target: root-x1 before: $got"; exit 1; }
	local con
	con=$(find "$out/cases/le-r3-to-r10" -path '*root-x1*/01-before/console.log' | head -n 1)
	grep -q '^update-client: done result=updated' "$con" ||
		{ echo "FAIL: $target: the curl client did not run:"; cat "$con"; exit 1; }
	if grep -q 'rotsim: agent-start\|^rotsim: done' "$con"; then
		echo "FAIL: $target: the reference agent ran"; exit 1
	fi
	echo "ok: $target: $(jq -r '"\(.passed) passed, \(.failed) failed, \(.errors) errors"' "$out/summary.json")"
}

for target in native-curl qemu-x86_64-curl; do
	rc=0
	run=("${scenarios[@]}")
	[ "$target" = native-curl ] || [ -n "${ROTSIM_CURL_QEMU_ALL:-}" ] || run=(le-r3-to-r10)
	"$ROTSIM" run "${run[@]}" --target "$target" -j 2 --no-report \
		--out "$tmp/$target" > "$tmp/$target.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		echo "FAIL: rotsim run on $target: exit $rc"; cat "$tmp/$target.log"; exit 1
	fi
	check "$tmp/$target" "$target"
done
