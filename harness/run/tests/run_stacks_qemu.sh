#!/usr/bin/env bash
# rotsim run --stack on qemu-x86_64: le-r3-to-r10 and dst-root-expiry with the
# device's image on each of the five TLS stacks (the stack's agent archive
# appended to the initramfs; GnuTLS with its shared libraries and loader),
# every outcome as expected. A QEMU phase costs seconds (a minute on a loaded
# host), so the devices are those whose outcome differs between the stacks
# (pin-r3, legacy-dst) and the root-anchored device every stack must update;
# roots-x1-x2 and the insecure control behave as root-x1 and as on BearSSL on
# every stack (run_stacks.sh runs them natively). ROTSIM_STACKS_QEMU_ALL=1
# runs every device of both scenarios.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks_lib.sh"

devices=(--device root-x1 --device pin-r3 --device legacy-dst)
[ "${ROTSIM_STACKS_QEMU_ALL:-0}" = 1 ] && devices=()
s=$EPOCHREALTIME
out=$tmp/qemu
rc=0
"$ROTSIM" run le-r3-to-r10 dst-root-expiry "${devices[@]}" --target qemu-x86_64 --stack all \
	-j 2 -q --out "$out" --no-report > "$tmp/log" 2>&1 || rc=$?
e=$EPOCHREALTIME
[ $rc -eq 0 ] || { cat "$tmp/log"; fail "run: exit $rc"; }
stacks_all_as_expected "$out"
for st in mbedtls wolfssl openssl gnutls; do
	stacks_agent_ran "$out/cases/dst-root-expiry/legacy-dst@$st@qemu-x86_64" "$st"
	# What the device booted: its image and the stack's archive.
	jq -e --arg s "$st" '[.images[] | select(.label | endswith("images/x86_64/agent-" + $s
		+ ".cpio.gz"))] | length >= 1' "$out/summary.json" >/dev/null \
		|| fail "no hash of the $st overlay in summary.json"
done
jq -e '.records[] | select(.scenario == "dst-root-expiry" and .device == "legacy-dst@gnutls"
	and .phase == "after") | .observed == "rejected" and .device_error == "GNUTLS_CERT_EXPIRED"' \
	"$out/summary.json" >/dev/null || fail "legacy-dst@gnutls after the DST expiry"
no_leftovers "qemu-system.*$tmp"
echo "run_stacks_qemu: $(jq '.records | length' "$out/summary.json") phases in $(( (${e/./} - ${s/./}) / 1000 )) ms, all as expected"
