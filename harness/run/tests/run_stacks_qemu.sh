#!/usr/bin/env bash
# rotsim run --stack on qemu-x86_64: the device's image on each of the five TLS
# stacks (the stack's agent archive appended to the initramfs; GnuTLS with its
# shared libraries and loader), every outcome as expected. A QEMU phase costs
# seconds (a minute on a loaded host), so each scenario runs only the devices
# whose outcome differs between the stacks, and the root-anchored device every
# stack must update: pin-r3 on le-r3-to-r10 (the R3 pin after the renewal),
# legacy-dst and root-x1 on dst-root-expiry (the expired cross-sign). Every
# other device behaves on QEMU as natively, where run_stacks.sh runs them all.
# ROTSIM_STACKS_QEMU_ALL=1 runs every device of both scenarios in one run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks_lib.sh"

qrun() { # out scenario-and-device-arguments...
	local out=$1 rc=0; shift
	"$ROTSIM" run "$@" --target qemu-x86_64 --stack all -j 2 -q --out "$out" --no-report \
		> "$out.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$out.log"
		jq -r '.records[] | select(.verdict != "pass") | "\(.device) @\(.phase): \(.observed): \(.reason // "")"' \
			"$out/summary.json" 2>/dev/null || true
		fail "run $*: exit $rc"
	fi
	stacks_all_as_expected "$out"
}

s=$EPOCHREALTIME
if [ "${ROTSIM_STACKS_QEMU_ALL:-0}" = 1 ]; then
	qrun "$tmp/all" le-r3-to-r10 dst-root-expiry
	dst=$tmp/all
else
	qrun "$tmp/pin" le-r3-to-r10 --device pin-r3
	qrun "$tmp/dst" dst-root-expiry --device root-x1 --device legacy-dst
	dst=$tmp/dst
	# The R3 pin, both phases on every stack (stacks_all_as_expected checked
	# each outcome: OpenSSL refuses the pin even before the renewal).
	for st in bearssl mbedtls wolfssl openssl gnutls; do
		d=pin-r3; [ $st = bearssl ] || d=pin-r3@$st
		jq -e --arg d "$d" '[.records[] | select(.device == $d)] | length == 2' \
			"$tmp/pin/summary.json" >/dev/null || fail "pin-r3 on $st: not two phases"
	done
fi
e=$EPOCHREALTIME
for st in mbedtls wolfssl openssl gnutls; do
	stacks_agent_ran "$dst/cases/dst-root-expiry/legacy-dst@$st@qemu-x86_64" "$st"
	# What the device booted: its image and the stack's archive.
	jq -e --arg s "$st" '[.images[] | select(.label | endswith("images/x86_64/agent-" + $s
		+ ".cpio.gz"))] | length >= 1' "$dst/summary.json" >/dev/null \
		|| fail "no hash of the $st overlay in summary.json"
done
jq -e '.records[] | select(.scenario == "dst-root-expiry" and .device == "legacy-dst@gnutls"
	and .phase == "after") | .observed == "rejected" and .device_error == "GNUTLS_CERT_EXPIRED"' \
	"$dst/summary.json" >/dev/null || fail "legacy-dst@gnutls after the DST expiry"
no_leftovers "qemu-system.*$tmp"
n=$(cat "$tmp"/*/summary.json | jq -s '[.[].records | length] | add')
echo "run_stacks_qemu: $n phases in $(( (${e/./} - ${s/./}) / 1000 )) ms, all as expected"
