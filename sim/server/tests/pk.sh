#!/usr/bin/env bash
# The private-key operations of rotsim serve on libcrypto, seen from a client:
# for an RSA and an EC server key, openssl s_client completes handshakes on
# every ECDHE curve the server offers (X25519, P-256, P-384, P-521 for RSA;
# an ECDSA client must also name the key's curve, P-256, which the server
# then prefers to the larger ones) and on TLS 1.0 (the MD5+SHA-1
# signature for RSA), verifying the ServerKeyExchange signature with the
# chain; a request goes through. The events say who did the work: "pk":
# "libcrypto" on the listen event and on every ECDHE handshake, and a stop
# event whose counts show nothing done by BearSSL, so a silent fall-back
# fails the test. ROTSIM_SERVE_PK=bearssl gives the BearSSL path, seen as
# such; an unknown value stops the server at start. A few seconds.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw" 1000

# hs CA ARGS...: one handshake with s_client; prints the line the test keeps
# (a failure is told on stderr: the caller keeps stdout).
hs() {
	local ca=$1 out; shift
	out=$(openssl s_client -connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" \
		-verify_return_error "$@" </dev/null 2>&1) || {
		{ echo "FAIL: s_client $*:"; echo "$out" | tail -15; } >&2; return 1; }
	echo "$out" | grep -q '^Verification: OK' || { echo "FAIL: not verified: $*" >&2; return 1; }
	echo "$(echo "$out" | grep -E '^New, ' | head -1); $(echo "$out" | grep -E '^Server Temp Key: ')"
}

for a in rsa ec; do
	ev=$tmp/$a.jsonl
	start_server pid --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" --firmware "$tmp/fw" \
		--signing-key "$tmp/sk.pem" --events "$ev"
	ca=$pki/$a-root.pem
	n=0
	# The server takes X25519, then P-256, P-384, P-521, among the client's.
	if [ $a = rsa ]; then groups="X25519 P-256 P-384 P-521"; else groups="X25519:P-256 P-256"; fi
	for g in $groups; do
		line=$(hs "$ca" -tls1_2 -groups "$g")
		echo "$a $g: $line"
		case ${g%%:*} in
		X25519) k="X25519" ;; P-256) k="prime256v1" ;; P-384) k="secp384r1" ;; P-521) k="secp521r1" ;;
		esac
		echo "$line" | grep -q "TLSv1.2, Cipher is ECDHE-.*Server Temp Key: .*$k" ||
			{ echo "FAIL: $line (want $k)"; exit 1; }
		n=$((n + 1))
	done
	# TLS 1.0: RSA signs MD5+SHA-1, ECDSA SHA-1.
	line=$(hs "$ca" -tls1 -cipher 'ECDHE:@SECLEVEL=0')
	echo "$a TLS1.0: $line"
	echo "$line" | grep -q "TLSv1.0, Cipher is ECDHE-" || { echo "FAIL: $line"; exit 1; }
	n=$((n + 1))
	rcurl --cacert "$ca" -f -o /dev/null "https://$host:$port/manifest"
	n=$((n + 1))
	stop_server "$pid"

	[ "$(jq -r 'select(.event == "listen") | .pk' "$ev")" = libcrypto ] ||
		{ echo "FAIL: listen event without pk libcrypto"; grep listen "$ev"; exit 1; }
	ok=$(jq -c 'select(.event == "handshake" and .result == "ok") | .pk' "$ev" | sort | uniq -c)
	[ "$(echo "$ok" | awk '{ print $1, $2 }')" = "$n \"libcrypto\"" ] ||
		{ echo "FAIL: $a: handshakes by pk: $ok (want $n libcrypto)"; exit 1; }
	ops=$(jq -c 'select(.event == "stop") | .pk_ops' "$ev")
	want="{\"ecdhe_libcrypto\":$n,\"ecdhe_bearssl\":0,\"sign_libcrypto\":$n,\"sign_bearssl\":0,\"keyx_bearssl\":0}"
	[ "$ops" = "$want" ] || { echo "FAIL: $a: pk_ops $ops, want $want"; exit 1; }
done

echo "== the BearSSL path, when asked for"
ev=$tmp/bearssl.jsonl
ROTSIM_SERVE_PK=bearssl start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" \
	--firmware "$tmp/fw" --signing-key "$tmp/sk.pem" --events "$ev"
hs "$pki/ec-root.pem" -tls1_2 >/dev/null
stop_server "$pid"
[ "$(jq -r 'select(.event == "listen") | .pk' "$ev")" = bearssl ]
[ "$(jq -r 'select(.event == "handshake") | .pk' "$ev")" = bearssl ]
[ "$(jq -c 'select(.event == "stop") | [.pk_ops.ecdhe_bearssl, .pk_ops.sign_bearssl, .pk_ops.ecdhe_libcrypto]' "$ev")" = "[1,1,0]" ]

echo "== an unknown implementation"
ROTSIM_SERVE_PK=gmp expect_rc 2 "$ROTSIM" serve --listen 127.0.0.1:0 --chain "$pki/ec-chain.pem" \
	--key "$pki/ec-leaf.key" --firmware "$tmp/fw" --signing-key "$tmp/sk.pem" 2>"$tmp/err"
grep -q 'ROTSIM_SERVE_PK: unknown private-key implementation "gmp" (libcrypto or bearssl)' "$tmp/err" ||
	{ echo "FAIL: error was: $(cat "$tmp/err")"; exit 1; }
echo "pk: ok"
