#!/usr/bin/env bash
# One boot of the test device at a date in 2031: the guest's clock comes from
# -rtc, it reaches the host test server through the 10.0.2.100:443 forward, the
# server sees the request, the pcap holds the TCP flow, and the flash header is
# readable on /dev/vda. QEMU_TARGET_DIR and QEMU_ARCH choose the target
# (qemu-aarch64's test runs this script).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
start_server
set +e
out=$("$BOOT" -t "$QEMU_TARGET_DIR/target.conf" -b "$ROTSIM_BUILD" -d test -r 2031-05-01 -s "$PORT" -o "$T/case" -T 90)
rc=$?
set -e
echo "$out"
c=$T/case/console.log
sed 's/^/console: /' "$c" | tr -d '\r' | grep 'rotsim:' || true
[ $rc -eq 0 ] || fail "boot.sh exit $rc"

# (b) the date in 2031, from the RTC.
grep -Eq '^rotsim: booted time=2031-05-01T[0-9:]+Z clock=rtc ' "$c" || fail "no 2031 date on the console"
grep -Eq "^rotsim: booted .* arch=$QEMU_ARCH " "$c" || fail "the guest is not $QEMU_ARCH"
# The flash image is the guest's /dev/vda.
grep -q '^rotsim: event flash path=/dev/vda layout=1 slot-size=4194304 slot-a=1048576 slot-b=5242880' "$c" ||
	fail "flash header not read in the guest"
grep -q '^rotsim: event agent-start agent=testagent device=test' "$c" || fail "payload not in the initramfs"
# The target gives the guest an entropy source at boot: its random pool is
# ready when the agent starts, so no TLS client waits for it.
grep -q '^rotsim: event entropy ready=yes' "$c" || fail "the guest's random pool was not ready at boot"
# (c) the guest reached the server through the forward, and the server saw it.
grep -q '^rotsim: event fetch addr=10.0.2.100 port=443 path=/probe status=200 ' "$c" || fail "guest fetch failed"
grep -q '^request GET /probe user-agent=rotsim-testagent$' "$SERVER_LOG" || fail "server saw no request"
# The capture holds the flow: the SYN to 10.0.2.100.443, the request and the answer.
pcap=$T/case/case.pcap
[ -s "$pcap" ] || fail "no pcap"
flow=$(tcpdump -n -r "$pcap" 'tcp and host 10.0.2.100 and port 443' 2>/dev/null)
echo "$flow" | head -n 12
grep -q '10.0.2.15.[0-9]* > 10.0.2.100.443: Flags \[S\]' <<<"$flow" || fail "no SYN to 10.0.2.100:443 in the pcap"
grep -q '10.0.2.100.443 > 10.0.2.15.[0-9]*: Flags \[S\.\]' <<<"$flow" || fail "no SYN-ACK in the pcap"
text=$(tcpdump -n -A -r "$pcap" 'tcp and host 10.0.2.100 and port 443' 2>/dev/null)
grep -q 'GET /probe HTTP/1.0' <<<"$text" || fail "request bytes not in the pcap"
grep -q 'rotsim-probe-ok path=/probe' <<<"$text" || fail "response bytes not in the pcap"
# Nothing but the forwarded address: every IPv4 TCP/UDP frame is to or from it.
other=$(tcpdump -n -r "$pcap" '(tcp or udp) and not host 10.0.2.100' 2>/dev/null | wc -l)
[ "$other" -eq 0 ] || fail "$other frames to other addresses"
echo "boot: ok ($(sed -n 's/.*\(booted_ms=[0-9]*\).*/\1/p' <<<"$out"))"
