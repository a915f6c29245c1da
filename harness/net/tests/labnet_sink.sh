#!/usr/bin/env bash
# A device on the lab network that tries public resolvers, a public HTTPS
# address, the host's own addresses and another port of the
# gateway reaches none of them: a listener on the host's address sees
# nothing, and the sink's evidence holds each attempt with its original
# destination.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

# Listen on the host (its own namespace) on a port the device will try.
port=$((20000 + RANDOM % 20000))
python3 - "$port" > "$tmp/host-listener.log" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(8); s.settimeout(1)
end = time.time() + 120
while time.time() < end:
    try:
        c, a = s.accept(); print("connection from", a, flush=True); c.close()
    except socket.timeout:
        pass
PY
listener=$!
trap 'kill $listener 2>/dev/null; rm -rf "$tmp"' EXIT

hosts=$(ip -4 -o addr show scope global | awk '{ sub(/\/.*/, "", $4); print $4 }')
[ -n "$hosts" ] || fail "the host has no global IPv4 address to try"
probes="8.8.8.8:53/udp,1.1.1.1:443,10.77.0.1:22"
for h in $hosts; do probes="$probes,$h:$port"; done

dir=$tmp/lab
lab_qemu "$tmp/console.log" "rotsim.noagent rotsim.probe=$probes"
"$ROTSIM" lab --dir "$dir" --host updates.rotsim.test --timeout 120 -- "${qemu_cmd[@]}" \
	> "$tmp/lab.log" 2>&1 || fail "rotsim lab: $(cat "$tmp/lab.log")"
grep -q "rotsim: event dhcp ip=10.77.0." "$tmp/console.log" \
	|| fail "no DHCP lease on the console: $(grep rotsim: "$tmp/console.log")"
grep "rotsim: event probe" "$tmp/console.log"

# Each attempt is in the sink's log with the destination the device asked for.
want=(8.8.8.8:53 1.1.1.1:443 10.77.0.1:22)
for h in $hosts; do want+=("$h:$port"); done
for w in "${want[@]}"; do
	jq -s -e --arg d "$w" 'any(.[]; .dst == $d)' "$dir/sink.jsonl" > /dev/null \
		|| fail "no attempt to $w in sink.jsonl: $(cat "$dir/sink.jsonl")"
done
# The DNS question is there as it was sent (a query for probe.rotsim.test).
jq -r 'select(.dst == "8.8.8.8:53") | .first' "$dir/sink.jsonl" | head -1 |
	grep -q "$(printf probe | xxd -p)" || fail "the DNS question's bytes are not in the sink's log"
# And nothing reached the host.
sleep 1
[ ! -s "$tmp/host-listener.log" ] || fail "the host was reached: $(cat "$tmp/host-listener.log")"
# The lab's own services answered (DHCP and DNS were not diverted).
grep -q "event resolve host=updates.rotsim.test address=10.77.0.1" "$tmp/console.log" \
	|| fail "the update host did not resolve: $(grep resolve "$tmp/console.log")"
no_lab_left "dnsmasq.*$dir|qemu-system.*$tmp"
echo "labnet sink: ok ($(wc -l < "$dir/sink.jsonl") attempts logged)"
