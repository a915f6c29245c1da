#!/usr/bin/env bash
# Chain faults and SNI selection: each fault makes a real client fail the way
# it fails against a misconfigured server in the field, and the event log
# records the chain presented and the alert the client sent.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw" 4096

# check_fault ALG FAULT CURL_RC MESSAGE ALERT: serve the ALG chain with FAULT;
# curl with the right root must exit CURL_RC with MESSAGE on stderr, and the
# handshake event must carry ALERT (when not "-").
check_fault() {
	local a=$1 fault=$2 want=$3 msg=$4 alert=$5 pid ev=$tmp/ev.$RANDOM
	echo "== $a --fault $fault"
	start_server pid --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" \
		--firmware "$tmp/fw" --events "$ev" --fault "$fault"
	rc=0
	rcurl --cacert "$pki/$a-root.pem" "https://$host:$port/manifest" \
		-o /dev/null 2>"$tmp/curl.err" || rc=$?
	cat "$tmp/curl.err"
	[ "$rc" = "$want" ] || { echo "FAIL: curl exit $rc, expected $want"; exit 1; }
	[ -z "$msg" ] || grep -q "$msg" "$tmp/curl.err"
	stop_server "$pid"
	if [ "$alert" != - ]; then
		jq -e -s --arg a "$alert" \
			'[.[] | select(.event=="handshake" and .result=="failed" and .alert_name==$a and .alert_from=="client")] | length==1' \
			"$ev" >/dev/null || { echo "FAIL: no $alert alert in"; cat "$ev"; exit 1; }
	fi
	last_ev=$ev
}

for a in rsa ec; do
	check_fault $a drop-intermediate 60 'unable to get local issuer certificate' unknown_ca
	[ "$(jq -r 'select(.event=="handshake") | .chain | length' "$last_ev")" = 1 ]
	check_fault $a drop=1 60 'unable to get local issuer certificate' unknown_ca
	check_fault $a "chain=$pki/$a-rogue.pem" 60 'unable to get local issuer certificate' unknown_ca
	check_fault $a "chain=$pki/$a-expired.pem" 60 'certificate has expired' certificate_expired
	check_fault $a "chain=$pki/$a-future.pem" 60 'certificate is not yet valid' bad_certificate
	check_fault $a "chain=$pki/$a-other.pem" 60 'no alternative certificate subject name matches' -
	# OpenSSL takes the first certificate as the leaf whatever the order:
	# reversed, the intermediate is the "leaf" and has the wrong purpose.
	check_fault $a reverse 60 'unsuitable certificate purpose' unsupported_certificate
	int=$(openssl x509 -in "$pki/$a-int.pem" -outform DER | sha256sum | cut -d' ' -f1)
	[ "$(jq -r 'select(.event=="handshake") | .chain[0]' "$last_ev")" = "$int" ]
	# An expired cross-sign appended: harmless to a client that has the root,
	check_fault $a "append=$pki/$a-cross.pem" 0 '' -
	[ "$(jq -r 'select(.event=="handshake") | .chain | length' "$last_ev")" = 3 ]
	# and a client that has only the legacy root sees it expired.
	start_server pid --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" \
		--fault "append=$pki/$a-cross.pem"
	expect_rc 60 rcurl --cacert "$pki/$a-legacy-root.pem" "https://$host:$port/manifest" -o /dev/null
	# The rogue chain is what is presented: the rogue root accepts it.
	stop_server "$pid"
	start_server pid --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" \
		--firmware "$tmp/fw" --fault "chain=$pki/$a-rogue.pem,key=$pki/$a-leaf.key"
	rcurl -f --cacert "$pki/$a-rogue-root.pem" "https://$host:$port/manifest" -o /dev/null
	stop_server "$pid"
done

# SNI: RSA by default, the EC chain for other.rotsim.test.
ev=$tmp/sni.json
start_server pid --chain "$pki/rsa-chain.pem" --key "$pki/rsa-leaf.key" \
	--sni "other.rotsim.test=$pki/ec-other.pem,$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$ev"
rcurl -f --cacert "$pki/rsa-root.pem" "https://$host:$port/manifest" -o /dev/null
curl -sSf --max-time 20 --resolve "other.rotsim.test:$port:127.0.0.1" \
	--cacert "$pki/ec-root.pem" "https://other.rotsim.test:$port/manifest" -o /dev/null
expect_rc 60 curl -sS --max-time 20 --resolve "other.rotsim.test:$port:127.0.0.1" \
	--cacert "$pki/rsa-root.pem" "https://other.rotsim.test:$port/manifest" -o /dev/null
stop_server "$pid"
jq -e -s '[.[] | select(.event=="handshake" and .sni=="other.rotsim.test" and .cred=="other.rotsim.test")] | length==2' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="handshake" and .result=="ok" and .cred=="other.rotsim.test")] | .[0].cipher | startswith("ECDHE_ECDSA")' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="handshake" and .cred=="default")] | .[0].cipher | startswith("ECDHE_RSA")' "$ev" >/dev/null

# --help documents the contract flags and every fault.
"$ROTSIM" serve --help > "$tmp/help"
for w in --listen --chain --key --firmware --sni --time --fault --events --keylog --sntp --stdio \
	drop-intermediate reverse append= chain= close-after= stall= corrupt-byte= bad-signature \
	missing-image http=; do
	grep -q -- "$w" "$tmp/help" || { echo "--help lacks $w"; exit 1; }
done

# Configuration errors are refused at start with a clear message.
expect_rc 2 "$ROTSIM" serve --chain "$pki/rsa-chain.pem" --key "$pki/ec-leaf.key" 2>"$tmp/err"
grep -q 'EC key but the leaf' "$tmp/err"
expect_rc 2 "$ROTSIM" serve --chain "$pki/rsa-chain.pem" --key "$pki/rsa-leaf.key" --fault nonsense 2>"$tmp/err"
grep -q 'unknown fault "nonsense"' "$tmp/err"
expect_rc 2 "$ROTSIM" serve --chain "$pki/rsa-chain.pem" --key "$pki/rsa-leaf.key" --fault drop=5 2>"$tmp/err"
grep -q 'the chain has 2 certificates' "$tmp/err"
echo ok
