#!/usr/bin/env bash
# The aarch64 reference image on the lab network: the SNTP scenario gives its
# expected verdicts on qemu-aarch64-lab, and the first phase's capture holds
# the lease and an NTP answer at the phase's date.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

out=$tmp/run
set +e
"$ROTSIM" run clock-sntp --target qemu-aarch64-lab --device sntp-x1 --out "$out" > "$tmp/log" 2>&1
rc=$?
set -e
cat "$tmp/log"
[ $rc -eq 0 ] || fail "rotsim run: exit $rc"
grep -q "3 passed, 0 failed, 0 errors" "$tmp/log" || fail "not every phase passed"
ph=$out/cases/clock-sntp/sntp-x1@qemu-aarch64-lab/01-sntp-answers
"$ROTSIM" inspect "$ph/capture.pcap" > "$tmp/inspect.txt"
grep -q "DHCP ACK .*ntp=10.77.0.1" "$tmp/inspect.txt" || fail "no DHCP lease"
grep -q "DNS answer updates.rotsim.test A -> 10.77.0.1" "$tmp/inspect.txt" || fail "no DNS answer"
grep -q "NTP answer v4 stratum=[0-9]* time=2024-07-01T" "$tmp/inspect.txt" \
	|| fail "no NTP answer at the phase's date"
no_lab_left "dnsmasq.*$out|qemu-system.*$out|rotsim serve.*$out"
echo "labnet aarch64: ok"
