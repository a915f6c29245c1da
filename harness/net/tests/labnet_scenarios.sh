#!/usr/bin/env bash
# The scenarios that need the lab network (scenarios/lab/) give their expected
# verdicts on qemu-x86_64-lab, with the evidence that explains them: a silent
# NTP server in the renewal phase, and DNS answering the backend's old
# address. On a target without the lab network they are skipped, with the
# reason.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

out=$tmp/run
set +e
"$ROTSIM" run ntp-unreachable-renewal dns-old-address --scenarios scenarios/lab \
	--target qemu-x86_64-lab --out "$out" -j 2 > "$tmp/log" 2>&1
rc=$?
set -e
cat "$tmp/log"
[ $rc -eq 0 ] || fail "rotsim run: exit $rc"
grep -q "9 passed, 0 failed, 0 errors" "$tmp/log" || fail "not every phase passed"

# The renewal phase: the device asked for the time and nothing answered.
ph=$out/cases/ntp-unreachable-renewal/sntp-x1@qemu-x86_64-lab/02-renewal-ntp-down
"$ROTSIM" inspect "$ph/capture.pcap" > "$tmp/ntp.txt"
grep -q "NTP request" "$tmp/ntp.txt" || fail "no NTP request in the renewal phase"
! grep -q "NTP answer" "$tmp/ntp.txt" || fail "an NTP answer in the renewal phase"

# The stale DNS phase: DNS answered the old address, the device looked for it
# on its subnet (ARP) and the update server saw nothing.
ph=$out/cases/dns-old-address/root-x1@qemu-x86_64-lab/02-stale-dns
"$ROTSIM" inspect "$ph/capture.pcap" > "$tmp/dns.txt"
grep -q "DNS answer updates.rotsim.test A -> 10.77.0.2" "$tmp/dns.txt" \
	|| fail "DNS did not answer the old address"
tcpdump -nr "$ph/capture.pcap" arp 2>/dev/null | grep -q "who-has 10.77.0.2" \
	|| fail "the device did not look for the old address"
! grep -q '"event":"handshake"' "$ph/server-events.jsonl" \
	|| fail "the update server completed a handshake in the stale phase"

# Elsewhere: skipped, and the run says why.
set +e
"$ROTSIM" run dns-old-address --scenarios scenarios/lab --target native --out "$tmp/native" \
	> "$tmp/native.log" 2>&1
set -e
grep -q "skipped dns-old-address root-x1@native: the scenario needs the lab network" \
	"$tmp/native.log" || fail "not skipped on native: $(cat "$tmp/native.log")"
no_lab_left "dnsmasq.*$out|qemu-system.*$out|rotsim serve.*$out"
echo "labnet scenarios: ok"
