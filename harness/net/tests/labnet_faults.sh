#!/usr/bin/env bash
# The lab network's faults and the update host's name, in one run on
# qemu-x86_64-lab: the scenarios of scenarios/lab/ that use them (update-host,
# ntp-public-pool, ntp-faults, dns-slow) give their expected verdicts, the
# reasons say what the network showed, and the evidence holds it: the host's
# name in DNS, SNI and phase.json, a kiss-o'-death and a wrong date on the
# wire, late DNS answers, the public NTP server caught by the sink. Before
# that, the scenario reader's checks of the host key and of which key a fault
# belongs to.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

# ---- The scenario reader (no QEMU) ----
"$ROTSIM" show update-host --scenarios scenarios/lab > "$tmp/show.txt"
grep -q "^host: *api.example.com" "$tmp/show.txt" || fail "rotsim show names no host"
mkdir "$tmp/scn"
bad() { # name scenario-line phase-line: a scenario that must be refused
	cat > "$tmp/scn/$1.scn" <<SCN
[scenario $1]
summary = s
event   = e
source  = s
pki     = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki
devices = root-x1
$2

[phase p]
date     = 2024-07-01
chain    = leaf-r10
firmware = 2
expect   = updated
$3
SCN
	if "$ROTSIM" show "$1" --scenarios "$tmp/scn" > "$tmp/bad.txt" 2>&1; then
		fail "$1: accepted"
	fi
}
bad badhost "host = bad_name.example" ""
grep -q "badhost.scn:[0-9]*: host: \"bad_name.example\" is not a host name" "$tmp/bad.txt" \
	|| fail "bad host: $(cat "$tmp/bad.txt")"
bad labinfaults "" "faults = nxdomain"
grep -q "nxdomain is a fault of the lab network, not of the update server (the phase key lab)" \
	"$tmp/bad.txt" || fail "lab fault in faults: $(cat "$tmp/bad.txt")"
bad serverinlab "" "lab = close-after=5"
grep -q "close-after is a fault of the update server, not of the lab network" "$tmp/bad.txt" \
	|| fail "server fault in lab: $(cat "$tmp/bad.txt")"
bad badkiss "" "lab = kiss-of-death=NOPE"
grep -q 'kiss code "NOPE"' "$tmp/bad.txt" || fail "bad kiss code: $(cat "$tmp/bad.txt")"

# ---- The run ----
out=$tmp/run
set +e
"$ROTSIM" run update-host ntp-public-pool ntp-faults dns-slow --scenarios scenarios/lab \
	--target qemu-x86_64-lab --out "$out" -j 2 > "$tmp/log" 2>&1
rc=$?
set -e
cat "$tmp/log"
[ $rc -eq 0 ] || fail "rotsim run: exit $rc"
grep -q "12 passed, 0 failed, 0 errors" "$tmp/log" || fail "not every phase passed"
"$ROTSIM" verdict "$out" | grep -q "12 agree with the evidence, 0 differ" \
	|| fail "rotsim verdict does not agree"

# The reasons say what the network showed.
reason() { # scenario device phase
	jq -r --arg s "$1" --arg d "$2" --arg p "$3" \
		'.records[] | select(.scenario == $s and .device == $d and .phase == $p) | .reason' \
		"$out/summary.json"
}
has() { # scenario device phase text
	reason "$1" "$2" "$3" | grep -qF -- "$4" || fail "$1 $2 @$3: no \"$4\" in: $(reason "$1" "$2" "$3")"
}
has update-host root-x1 other-name "BR_ERR_X509_BAD_SERVER_NAME"
has update-host root-x1 other-name "network: resolved api.example.com, got 10.77.0.1"
has update-host root-x1 unknown-name "network: DNS NXDOMAIN for api.example.com"
has ntp-public-pool sntp-pool renewed "no NTP answer from 162.159.200.1"
has ntp-public-pool sntp-pool renewed "clock at 2024-01-15"
has ntp-public-pool sntp-pool renewed "tried 162.159.200.1:123/udp (sink)"
has ntp-faults sntp-x1 kiss-rate "NTP kiss-of-death RATE from 10.77.0.1"
has ntp-faults sntp-x1 wrong-date "NTP served 2031-01-01"
has dns-slow root-x1 too-slow "no DNS answer for updates.rotsim.test"

# The host's name: asked of DNS, sent as SNI, the reference check's name.
ph=$out/cases/update-host/root-x1@qemu-x86_64-lab/01-named-leaf
"$ROTSIM" inspect "$ph/capture.pcap" > "$tmp/host.txt"
grep -q "DNS answer api.example.com A -> 10.77.0.1" "$tmp/host.txt" || fail "no DNS answer for the host"
grep -q "ClientHello sni=api.example.com" "$tmp/host.txt" || fail "no SNI api.example.com"
jq -e '.server_name == "api.example.com"' "$ph/phase.json" > /dev/null \
	|| fail "phase.json names another server"
jq -e '.host == "api.example.com" and .server_addr == "10.77.0.1" and .server_port == 443' \
	"$ph/lab.json" > /dev/null || fail "lab.json: $(cat "$ph/lab.json")"

# The kiss and the wrong date, on the wire.
ph=$out/cases/ntp-faults/sntp-x1@qemu-x86_64-lab
"$ROTSIM" inspect "$ph/01-kiss-rate/capture.pcap" | grep -q "NTP answer v4 stratum=0 kiss=RATE" \
	|| fail "no kiss-o'-death on the wire"
"$ROTSIM" inspect "$ph/02-wrong-date/capture.pcap" | grep -q "NTP answer v4 stratum=1 time=2031-01-01T" \
	|| fail "no NTP answer at 2031-01-01 on the wire"

# DNS 2 s late: on the wire, each answer at least 2 s after its question (the
# first with its id, name and type: a resolver that asks again before the
# answer comes sends the same question again).
ph=$out/cases/dns-slow/root-x1@qemu-x86_64-lab/01-slow
"$ROTSIM" inspect --json "$ph/capture.pcap" > "$tmp/slow.json"
jq -e '[.lab[] | select(.kind == "dns")] as $d
	| [$d[] | select(.response | not)] as $q | [$d[] | select(.response)] as $a
	| ($q | length) >= 1 and ($a | length) >= 1
	and ([$a[] | . as $x | [$q[] | select(.id == $x.id and .name == $x.name
		and .qtype == $x.qtype and .ts_us < $x.ts_us)]
		| if length == 0 then -1 else $x.ts_us - .[0].ts_us end] | min) >= 2000000' \
	"$tmp/slow.json" > /dev/null || fail "a DNS answer less than 2 s after its question"
jq -e 'select(.answered_after_ms >= 2000)' "$ph/dns-relay.jsonl" > /dev/null \
	|| fail "the relay held no answer 2 s"

# The public NTP server: the device asked it, the sink caught it, no answer.
ph=$out/cases/ntp-public-pool/sntp-pool@qemu-x86_64-lab/02-renewed
jq -e 'select(.proto == "udp" and .dst == "162.159.200.1:123")' "$ph/sink.jsonl" > /dev/null \
	|| fail "the sink did not catch the public NTP server"
! "$ROTSIM" inspect "$ph/capture.pcap" | grep -q "NTP answer" || fail "an NTP answer in the pool phase"

no_lab_left "dnsmasq.*$out|qemu-system.*$out|rotsim serve.*$out"
echo "labnet faults: ok"
