#!/usr/bin/env bash
# Remake the test captures of harness/capture/tests/data: real TLS between
# openssl s_server and curl or openssl s_client on 127.0.0.1, captured with
# tcpdump on lo. Needs root (tcpdump), openssl, curl, tcpdump. The captures
# are committed; this script records how they were made.
#
# usage: make-pcaps.sh [OUTDIR]   (default: the directory of this script)
set -euo pipefail
out=$(cd "${1:-$(dirname "$0")}" && pwd)
port=44330
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

# A three-level hierarchy (root, intermediate R10, leaf) and an unrelated root.
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ec root.key; ec inter.key; ec leaf.key; ec other.key
openssl req -x509 -new -key root.key -subj "/O=rotsim test/CN=Rotsim Test Root X1" \
	-days 3650 -out root.pem \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -x509 -new -key other.key -subj "/O=rotsim test/CN=Rotsim Other Root" \
	-days 3650 -out other.pem \
	-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
openssl req -new -key inter.key -subj "/O=rotsim test/CN=R10" -out inter.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' > inter.ext
openssl x509 -req -in inter.csr -CA root.pem -CAkey root.key -CAcreateserial \
	-days 1800 -extfile inter.ext -out inter.pem 2>/dev/null
openssl req -new -key leaf.key -subj "/CN=updates.rotsim.test" -out leaf.csr
printf 'subjectAltName=DNS:updates.rotsim.test\nextendedKeyUsage=serverAuth\n' > leaf.ext
openssl x509 -req -in leaf.csr -CA inter.pem -CAkey inter.key -CAcreateserial \
	-days 90 -extfile leaf.ext -out leaf.pem 2>/dev/null
head -c 65536 /dev/urandom > blob.bin

# capture NAME SERVER-ARGS -- CLIENT-COMMAND...
capture() {
	local name=$1; shift
	local sargs=()
	while [ "$1" != -- ]; do sargs+=("$1"); shift; done
	shift
	tcpdump -i lo --immediate-mode -U -s 0 -w "$out/$name.pcap" "tcp port $port" 2>"$tmp/dump.err" &
	dump=$!
	for _ in $(seq 50); do grep -q 'listening on' "$tmp/dump.err" && break; sleep 0.1; done
	openssl s_server -accept "127.0.0.1:$port" -naccept 1 -cert leaf.pem -key leaf.key \
		-cert_chain inter.pem "${sargs[@]}" </dev/null >"$tmp/srv.log" 2>&1 &
	srv=$!
	for _ in $(seq 50); do grep -q ACCEPT "$tmp/srv.log" && break; sleep 0.1; done
	"$@" >"$tmp/client.log" 2>&1 </dev/null || true
	sleep 0.3
	kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; srv=
	sleep 0.3
	kill -INT "$dump"; wait "$dump" 2>/dev/null || true; dump=
	echo "$name: $(tcpdump -r "$out/$name.pcap" 2>/dev/null | wc -l) packets"
}

url=https://updates.rotsim.test:$port/blob.bin
resolve=updates.rotsim.test:$port:127.0.0.1
# A TLS 1.2 handshake that succeeds and carries a 64 KiB download.
capture tls12-ok -tls1_2 -WWW -- \
	curl -sS --tls-max 1.2 --cacert root.pem --resolve "$resolve" -o got.bin "$url"
cmp got.bin blob.bin
# The client does not know the root: it sends a fatal unknown_ca alert.
capture tls12-unknown-ca -tls1_2 -WWW -- \
	openssl s_client -connect "127.0.0.1:$port" -servername updates.rotsim.test \
		-tls1_2 -verify_return_error -CAfile other.pem
# The client's clock is after the leaf's notAfter: certificate_expired.
capture tls12-expired -tls1_2 -WWW -- \
	openssl s_client -connect "127.0.0.1:$port" -servername updates.rotsim.test \
		-tls1_2 -verify_return_error -CAfile root.pem -attime $(( $(date +%s) + 200 * 86400 ))
# The server shares no cipher suite with the client: it sends handshake_failure.
capture tls12-no-shared-suite -tls1_2 -WWW -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -- \
	openssl s_client -connect "127.0.0.1:$port" -servername updates.rotsim.test \
		-tls1_2 -cipher AES256-SHA256 -CAfile root.pem
# TLS 1.3: the chain and the alerts are encrypted; the hellos are not.
capture tls13-ok -tls1_3 -WWW -- \
	curl -sS --tlsv1.3 --cacert root.pem --resolve "$resolve" -o got13.bin "$url"
cmp got13.bin blob.bin
# The certificates, for reference (their SHA-256 fingerprints are in the captures).
cat leaf.pem inter.pem > "$out/chain.pem"
