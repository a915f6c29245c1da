#!/usr/bin/env bash
# rotsim inspect: the story of a refused handshake line by line, JSON that
# parses, and one-line errors with exit status 2.
set -euo pipefail
data=$ROTSIM_TOP/harness/capture/tests/data
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$ROTSIM" inspect --no-times "$data/tls12-unknown-ca.pcap" > "$tmp/story"
sed -n '4,$p' "$tmp/story" | sed 's/^  //' > "$tmp/events"
cat > "$tmp/expect" <<'END'
client SYN
server SYN+ACK
client -> server  ClientHello sni=updates.rotsim.test versions=TLS1.2 suites=28 sigalgs=ecdsa_secp256r1_sha256,ecdsa_secp384r1_sha384,ecdsa_secp521r1_sha512,ed25519,ed448,rsa_pss_pss_sha256,rsa_pss_pss_sha384,rsa_pss_pss_sha512,rsa_pss_rsae_sha256,rsa_pss_rsae_sha384,rsa_pss_rsae_sha512,rsa_pkcs1_sha256,rsa_pkcs1_sha384,rsa_pkcs1_sha512,ecdsa_sha224,rsa_pkcs1_sha224,dsa_sha224,dsa_sha256,dsa_sha384,dsa_sha512
server -> client  ServerHello version=TLS1.2 suite=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
server -> client  Certificate chain: d2099836..(CN=updates.rotsim.test) <- dec3140e..(CN=R10)
server -> client  ServerKeyExchange
server -> client  ServerHelloDone
client -> server  Alert fatal unknown_ca
client FIN
server FIN
result: TLS1.2 TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384; client sent alert fatal unknown_ca; application data client->server 0 bytes, server->client 0 bytes; closed: client FIN, server FIN
END
diff -u "$tmp/expect" "$tmp/events"
head -n 3 "$tmp/story" | grep -q '^flow 1: client 127.0.0.1:[0-9]* -> server 127.0.0.1:44330 (roles by SYN)$'
# With times: each event line starts with HH:MM:SS.mmm (UTC).
"$ROTSIM" inspect "$data/tls12-unknown-ca.pcap" | grep -Eq '^  [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} client -> server  Alert fatal unknown_ca$'

# JSON: valid, and holds the same facts.
"$ROTSIM" inspect --json "$data/tls12-unknown-ca.pcap" > "$tmp/j"
[ "$(jq -r '.flows[0].tls.first_alert.client.desc_name' "$tmp/j")" = unknown_ca ]
[ "$(jq -r '.flows[0].tls.chain | length' "$tmp/j")" = 2 ]
[ "$(jq -r '.flows[0].tls.chain[0].sha256' "$tmp/j")" = \
	"$(openssl x509 -in "$data/chain.pem" -outform DER | sha256sum | cut -d' ' -f1)" ]
[ "$(jq -r '.flows[0].closed.client' "$tmp/j")" = fin ]
for f in "$data"/*.pcap; do "$ROTSIM" inspect --json "$f" | jq -e '.flows | length == 1' >/dev/null; done

# Errors: one line, exit 2.
rc=0; "$ROTSIM" inspect 2>"$tmp/err" || rc=$?
[ $rc = 2 ]; [ "$(wc -l < "$tmp/err")" = 1 ]
rc=0; "$ROTSIM" inspect "$tmp/none.pcap" 2>"$tmp/err" || rc=$?
[ $rc = 2 ]; grep -q "^rotsim inspect: $tmp/none.pcap: No such file or directory$" "$tmp/err"
printf 'junk' > "$tmp/junk.pcap"
rc=0; "$ROTSIM" inspect "$tmp/junk.pcap" 2>"$tmp/err" || rc=$?
[ $rc = 2 ]; [ "$(wc -l < "$tmp/err")" = 1 ]
rc=0; "$ROTSIM" inspect a.pcap b.pcap 2>"$tmp/err" || rc=$?
[ $rc = 2 ]; grep -q 'one capture at a time' "$tmp/err"
"$ROTSIM" inspect --help | grep -q '^usage: rotsim inspect'
echo ok
