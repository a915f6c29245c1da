#!/usr/bin/env bash
# The SNTP scenario, tagged native-only because QEMU's user network carries no
# UDP, runs on qemu-x86_64 over the lab network with the verdicts its
# scenario expects; a phase's capture holds the DHCP lease, the DNS answer for
# the update host, an NTP answer with the phase's date and the TLS handshake,
# and rotsim inspect shows all four.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

out=$tmp/run
set +e
"$ROTSIM" run clock-sntp --target qemu-x86_64-lab --device sntp-x1 --out "$out" -j 1 \
	> "$tmp/log" 2>&1
rc=$?
set -e
cat "$tmp/log"
[ $rc -eq 0 ] || fail "rotsim run: exit $rc"
grep -q "3 passed, 0 failed, 0 errors" "$tmp/log" || fail "not every phase passed"

ph=$out/cases/clock-sntp/sntp-x1@qemu-x86_64-lab/01-sntp-answers
[ -s "$ph/capture.pcap" ] || fail "no capture of the phase on the bridge"
"$ROTSIM" inspect "$ph/capture.pcap" > "$tmp/inspect.txt"
"$ROTSIM" inspect --json "$ph/capture.pcap" > "$tmp/inspect.json"
sed -n '/^lab network/,$p' "$tmp/inspect.txt"

# The lease: an address, the lab as router, DNS and NTP server.
grep -Eq "DHCP ACK .*address=10\.77\.0\.[0-9]+ router=10\.77\.0\.1 dns=10\.77\.0\.1 ntp=10\.77\.0\.1 lease=3600s" \
	"$tmp/inspect.txt" || fail "no DHCP lease in the capture"
jq -e '[.lab[] | select(.kind == "dhcp" and .type == "ACK" and .ntp == ["10.77.0.1"])] | length >= 1' \
	"$tmp/inspect.json" > /dev/null || fail "no DHCP ACK with the NTP option in the JSON"
# The update host through DNS.
grep -q "DNS answer updates.rotsim.test A -> 10.77.0.1" "$tmp/inspect.txt" \
	|| fail "no DNS answer for the update host"
# An NTP answer at the phase's date (2024-07-01, the RTC at 1970).
grep -Eq "10\.77\.0\.1:123 -> .* NTP answer v4 stratum=[0-9]+ time=2024-07-01T00:0" "$tmp/inspect.txt" \
	|| fail "no NTP answer with the phase's date"
# The TLS handshake with the update server, both Finished seen.
grep -q "server 10.77.0.1:443" "$tmp/inspect.txt" || fail "no TLS flow to the update server"
grep -q "ClientHello sni=updates.rotsim.test" "$tmp/inspect.txt" || fail "no ClientHello"
grep -q "Certificate chain: .*(CN=updates.rotsim.test)" "$tmp/inspect.txt" || fail "no chain"
jq -e '[.flows[] | select(.server == "10.77.0.1" and .server_port == 443
	and .tls.finished.client and .tls.finished.server)] | length >= 1' \
	"$tmp/inspect.json" > /dev/null || fail "no completed handshake in the JSON"

# Every phase has the lab's evidence beside the capture.
for d in "$out"/cases/clock-sntp/sntp-x1@qemu-x86_64-lab/0*; do
	for f in dnsmasq.conf dnsmasq.log sink.jsonl capture.pcap; do
		[ -f "$d/$f" ] || fail "$d: no $f"
	done
done
# The silent phase: no SNTP answer, and the device fell back to its build date.
ph2=$out/cases/clock-sntp/sntp-x1@qemu-x86_64-lab/02-sntp-silent
"$ROTSIM" inspect "$ph2/capture.pcap" > "$tmp/inspect2.txt"
grep -q "NTP request" "$tmp/inspect2.txt" || fail "the device did not ask for the time in sntp-silent"
! grep -q "NTP answer" "$tmp/inspect2.txt" || fail "an NTP answer in sntp-silent"
no_lab_left "dnsmasq.*$out|qemu-system.*$out|rotsim serve.*$out"
echo "labnet sntp: ok"
