#!/usr/bin/env bash
# make bench: the pcap reader's throughput against tshark on the same capture.
# Makes one capture of TLS 1.2 traffic on loopback (openssl s_server and
# curl, captured by tcpdump; BENCH_CAPTURE_MIB, default 80 MiB of download),
# then times `rotsim inspect` and `tshark` extracting the same facts (SNI,
# certificates, alerts, record types) from it, each once, warm cache.
# Needs root for tcpdump.
set -euo pipefail
: "${ROTSIM:?set ROTSIM to the rotsim binary}"
mib=${BENCH_CAPTURE_MIB:-80}
tmp=$(mktemp -d)
srv= dump=
cleanup() {
	[ -n "$srv" ] && kill "$srv" 2>/dev/null || true
	[ -n "$dump" ] && kill "$dump" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
cd "$tmp"
for t in openssl curl tcpdump tshark; do
	command -v $t >/dev/null || { echo "bench_capture: $t is not installed (make deps)"; exit 2; }
done

# A free port on 127.0.0.1.
for _ in $(seq 20); do
	port=$(shuf -i 20000-60000 -n 1)
	ss -Htln "sport = :$port" | grep -q . || break
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem \
	-out cert.pem -subj /CN=updates.rotsim.test -days 30 \
	-addext subjectAltName=DNS:updates.rotsim.test 2>/dev/null
head -c $((mib << 20)) /dev/urandom > blob.bin

tcpdump -i lo --immediate-mode -B 131072 -s 0 -U -w big.pcap "tcp port $port" 2>dump.err &
dump=$!
for _ in $(seq 50); do grep -q 'listening on' dump.err && break; sleep 0.1; done
openssl s_server -accept "127.0.0.1:$port" -naccept 1 -cert cert.pem -key key.pem \
	-tls1_2 -WWW </dev/null >srv.log 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q ACCEPT srv.log && break; sleep 0.1; done
curl -sS --tls-max 1.2 --cacert cert.pem --resolve "updates.rotsim.test:$port:127.0.0.1" \
	-o got.bin "https://updates.rotsim.test:$port/blob.bin"
cmp -s got.bin blob.bin || { echo "bench_capture: the download is not the file"; exit 2; }
wait "$srv" 2>/dev/null || true; srv=
sleep 0.5
kill -INT "$dump"; wait "$dump" 2>/dev/null || true; dump=
drops=$(sed -n 's/^\([0-9]*\) packets dropped by kernel/\1/p' dump.err)
size=$(stat -c %s big.pcap)
cat big.pcap > /dev/null

now() { date +%s.%N; }
t0=$(now)
"$ROTSIM" inspect big.pcap > ours.txt
t1=$(now)
tshark -r big.pcap -d "tcp.port==$port,tls" -T fields -e tls.handshake.extensions_server_name \
	-e tls.handshake.certificate -e tls.alert_message.desc -e tls.record.content_type \
	> theirs.txt 2>/dev/null
t2=$(now)
# Both must have read the capture: the SNI is in each output.
grep -q 'sni=updates.rotsim.test' ours.txt
grep -q 'updates.rotsim.test' theirs.txt
app=$(sed -n 's/.*server->client \([0-9]*\) bytes;.*/\1/p' ours.txt | head -n 1)
awk -v size="$size" -v a="$t0" -v b="$t1" -v c="$t2" -v drops="${drops:-?}" -v app="$app" 'BEGIN {
	mib = size / 1048576; ours = b - a; theirs = c - b
	printf "capture: %.1f MiB, %s bytes of application data server->client, %s packets dropped by tcpdump\n", mib, app, drops
	printf "rotsim inspect: %.3f s, %.1f MiB/s\n", ours, mib / ours
	printf "tshark -T fields (TLS): %.3f s, %.1f MiB/s\n", theirs, mib / theirs
	printf "ratio: rotsim inspect reads %.1fx as fast as tshark\n", theirs / ours
}'
