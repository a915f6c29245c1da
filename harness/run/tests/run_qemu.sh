#!/usr/bin/env bash
# The seed's story on the default target, qemu-x86_64 under TCG: root-x1 and
# roots-x1-x2 update across the R3 to R10 renewal, pin-r3 updates before and is
# rejected after; then a man in the middle with a rogue chain, which root-x1
# refuses and the insecure control accepts. Verdicts read back from
# junit.xml; no QEMU left behind.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$tmp/qemu
"$ROTSIM" run le-r3-to-r10 mitm-rogue-root --device root-x1 --device roots-x1-x2 \
	--device pin-r3 --device insecure --target qemu-x86_64 --out "$out" -j 2 > "$tmp/log" \
	|| { cat "$tmp/log"; fail "run: exit $?"; }
j=$out/junit.xml
[ "$(junit_count "$j")" -eq 12 ] || fail "junit: $(junit_count "$j") testcases, want 12"
for d in root-x1 roots-x1-x2; do
	for p in before after; do
		[ "$(junit_verdict "$j" "le-r3-to-r10.$d@qemu-x86_64" $p)" = pass ] || fail "$d $p"
	done
done
[ "$(junit_verdict "$j" "le-r3-to-r10.pin-r3@qemu-x86_64" before)" = pass ] || fail "pin-r3 before"
[ "$(junit_verdict "$j" "le-r3-to-r10.pin-r3@qemu-x86_64" after)" = pass ] || fail "pin-r3 after"
# The verdicts rest on the guest's own capture (filter-dump): handshakes and
# image bytes seen on the wire, not only in the server's log.
jq -e '[.records[] | select(.observed=="updated") | .capture_ok and .capture_handshakes >= 1
	and .wire_app_bytes >= .image_bytes_sent] | all and length == 8' "$out/summary.json" \
	>/dev/null || fail "updated without wire evidence"
# The man in the middle: the insecure control is caught, root-x1 refuses and
# no byte of the attacker's image reaches it.
[ "$(junit_verdict "$j" "mitm-rogue-root.insecure@qemu-x86_64" mitm)" = pass ] || fail "insecure mitm"
[ "$(junit_verdict "$j" "mitm-rogue-root.root-x1@qemu-x86_64" mitm)" = pass ] || fail "root-x1 mitm"
jq -e '.records[] | select(.scenario=="mitm-rogue-root" and .phase=="mitm")
	| if .device=="insecure" then .observed=="insecure" and .wire_app_bytes > 0
	else .observed=="rejected" and .wire_app_bytes==0 and .image_bytes_sent==0 end' \
	"$out/summary.json" | grep -qv false || fail "mitm on qemu"
jq -e '.records[] | select(.device=="pin-r3" and .phase=="after") | .observed=="rejected"
	and .wire_app_bytes==0 and .device_error=="BR_ERR_X509_NOT_TRUSTED"' "$out/summary.json" \
	>/dev/null || fail "pin-r3 after"
d=$out/cases/le-r3-to-r10/root-x1@qemu-x86_64
[ -s "$d/01-before/capture-0.pcap" ] && [ -s "$d/01-before/capture-1.pcap" ] \
	|| fail "no capture of each boot"
grep -q 'rotsim: booted time=2024-05-01' "$d/01-before/console.log" || fail "RTC not at the phase date"
grep -q 'rotsim: booted time=2024-07-01' "$d/02-after/console.log" || fail "RTC not at the phase date"
# The flash carried version 2 from phase before into phase after.
grep -q 'rotsim: boot slot=. how=slot version=2' "$d/02-after/console.log" || fail "flash not kept"
"$ROTSIM" verdict "$out" | tail -1 | grep -q '12 records: 12 agree' || fail "verdict disagrees"
no_leftovers "qemu-system.*$tmp"
echo "run qemu: ok"
