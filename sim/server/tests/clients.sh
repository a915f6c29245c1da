#!/usr/bin/env bash
# Real clients against rotsim serve, for an RSA and an ECDSA chain: curl (the
# manifest, the image, a resumed download), openssl s_client, gnutls-cli and
# wget succeed with the right anchor and fail with a wrong one (the rogue root
# that copies the right root's name).
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw"
img=$tmp/fw/image-2.bin
for a in rsa ec; do
	echo "== $a"
	ev=$tmp/$a/events.json
	mkdir -p "$tmp/$a"
	start_server pid --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" \
		--firmware "$tmp/fw" --events "$ev" --time 2024-07-01T12:00:00Z
	url=https://$host:$port
	good=$pki/$a-root.pem bad=$pki/$a-rogue-root.pem

	# curl: manifest, then image; the manifest describes the image and its
	# signature checks with the public key written beside the events.
	rcurl -f --cacert "$good" "$url/manifest" -o "$tmp/$a/manifest" -D "$tmp/$a/head"
	grep -qi '^date: Mon, 01 Jul 2024 12:00:0[0-9] GMT' "$tmp/$a/head"
	"$ROTSIM" sign --verify "$tmp/$a/manifest" --pub "$tmp/$a/signing-key.pub.pem"
	rcurl -f --cacert "$good" "$url/firmware/image-2.bin" -o "$tmp/$a/img"
	cmp "$img" "$tmp/$a/img"
	"$ROTSIM" sign --verify "$tmp/$a/manifest" --pub "$tmp/$a/signing-key.pub.pem" \
		--image "$tmp/$a/img"
	# A resumed download gives the same bytes.
	head -c 300000 "$img" > "$tmp/$a/part"
	rcurl -f --cacert "$good" -C - "$url/firmware/image-2.bin" -o "$tmp/$a/part" \
		-D "$tmp/$a/head206"
	grep -q '^HTTP/1.1 206' "$tmp/$a/head206"
	grep -qi '^content-range: bytes 300000-1048575/1048576' "$tmp/$a/head206"
	cmp "$img" "$tmp/$a/part"
	# Wrong anchor: curl exit 60 (peer certificate cannot be authenticated).
	expect_rc 60 rcurl --cacert "$bad" "$url/manifest" -o /dev/null

	# openssl s_client.
	echo | openssl s_client -connect "127.0.0.1:$port" -servername "$host" \
		-verify_hostname "$host" -CAfile "$good" -verify_return_error \
		>"$tmp/$a/sc.out" 2>&1
	grep -q 'Verify return code: 0 (ok)' "$tmp/$a/sc.out"
	printf 'GET /manifest HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" |
		openssl s_client -quiet -connect "127.0.0.1:$port" -servername "$host" \
		-CAfile "$good" -verify_return_error >"$tmp/$a/sc.get" 2>/dev/null
	grep -q '^rotsim-manifest 1' "$tmp/$a/sc.get"
	rc=0
	echo | openssl s_client -connect "127.0.0.1:$port" -servername "$host" \
		-CAfile "$bad" -verify_return_error >"$tmp/$a/sc.bad" 2>&1 || rc=$?
	[ $rc -ne 0 ]
	grep -q 'verify error' "$tmp/$a/sc.bad"

	# gnutls-cli.
	printf 'GET /manifest HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$host" |
		gnutls-cli --x509cafile "$good" -p "$port" --sni-hostname "$host" \
		--verify-hostname "$host" 127.0.0.1 >"$tmp/$a/gnutls.out" 2>&1
	grep -q '^rotsim-manifest 1' "$tmp/$a/gnutls.out"
	rc=0
	echo | gnutls-cli --x509cafile "$bad" -p "$port" --sni-hostname "$host" \
		--verify-hostname "$host" 127.0.0.1 >"$tmp/$a/gnutls.bad" 2>&1 || rc=$?
	[ $rc -ne 0 ]
	grep -qi 'verification failed\|not trusted\|issuer' "$tmp/$a/gnutls.bad"

	# wget cannot be given an address for a name: it connects to 127.0.0.1,
	# which the leaf also names.
	wget -q --no-hsts --tries=1 --timeout=20 --ca-certificate="$good" \
		-O "$tmp/$a/wget.img" "https://127.0.0.1:$port/firmware/image-2.bin"
	cmp "$img" "$tmp/$a/wget.img"
	expect_rc 5 wget -q --no-hsts --tries=1 --timeout=20 --ca-certificate="$bad" \
		-O "$tmp/$a/wget.bad" "https://127.0.0.1:$port/manifest"

	stop_server "$pid"
	# Evidence: every line is JSON; handshakes name the protocol and suite;
	# refusals carry the client's alert.
	jq -e . "$ev" >/dev/null
	jq -e -s '[.[] | select(.event=="handshake" and .result=="ok")] | all(.version=="TLS1.2" and (.cipher | startswith("ECDHE_")))' "$ev" >/dev/null
	n_ok=$(jq -r 'select(.event=="handshake" and .result=="ok") | .conn' "$ev" | wc -l)
	[ "$n_ok" -ge 6 ]
	jq -r 'select(.event=="handshake" and .result=="failed") | .alert_name' "$ev" \
		| sort | uniq -c
	jq -e -s '[.[] | select(.event=="handshake" and .alert_name=="unknown_ca")] | length >= 2' "$ev" >/dev/null
	jq -e -s '[.[] | select(.event=="request" and .status==206)] | length == 1' "$ev" >/dev/null
	leaf=$(openssl x509 -in "$pki/$a-leaf.pem" -outform DER | sha256sum | cut -d' ' -f1)
	jq -e --arg h "$leaf" -s '[.[] | select(.event=="handshake" and .chain[0]==$h)] | length >= 6' "$ev" >/dev/null
done
echo ok
