#!/usr/bin/env bash
# Misbehaving clients: garbage gets a 400, half a request a 408 after the
# timeout, a silent client is dropped, plain HTTP on the TLS port fails the
# handshake; none of them holds up a well-behaved download. Also: --stdio
# behind socat (as QEMU's guestfwd cmd: runs it), --sntp, and a clean exit on
# SIGINT.
. "$ROTSIM_TOP/sim/server/tests/lib.sh"

make_firmware "$tmp/fw"
img=$tmp/fw/image-2.bin
ca=$pki/ec-root.pem
ev=$tmp/events.json
start_server pid --chain "$pki/ec-chain.pem" --key "$pki/ec-leaf.key" --firmware "$tmp/fw" \
	--events "$ev" --timeout 2 --time 2031-05-01 --sntp 127.0.0.1:0
sntp_port=$(sed -n 2p "$tmp/serve.$nserver.out" | sed 's/^sntp //')
url=https://$host:$port

tls() {	# tls: a TLS connection whose stdin/stdout are the application data
	openssl s_client -quiet -connect "127.0.0.1:$port" -servername "$host" \
		-CAfile "$ca" -verify_return_error 2>/dev/null
}

# Silent clients (TCP only, and TLS with no request) and a slow download.
exec 5<>/dev/tcp/127.0.0.1/"$port"
exec 6<>/dev/tcp/127.0.0.1/"$port"
rcurl -f --cacert "$ca" --limit-rate 200k "$url/firmware/image-2.bin" -o "$tmp/slow" &
slow=$!
( sleep 6 | tls >"$tmp/idle.out" ) &
idle=$!

# Garbage after the handshake: 400 and the connection is closed.
printf 'GARBAGE\r\n\r\n' | timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" \
	-servername "$host" -CAfile "$ca" -verify_return_error > "$tmp/garbage.out" 2>/dev/null || true
grep -q '^HTTP/1.1 400 Bad Request' "$tmp/garbage.out"
grep -qi '^connection: close' "$tmp/garbage.out"
# A header too large: 431.
{ printf 'GET /manifest HTTP/1.1\r\nX: '; head -c 9000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } |
	timeout 10 openssl s_client -quiet -connect "127.0.0.1:$port" -servername "$host" \
	-CAfile "$ca" > "$tmp/big.out" 2>/dev/null || true
grep -q '^HTTP/1.1 431' "$tmp/big.out"
# Half a request: 408 once the timeout passes.
start=$(date +%s%N)
( printf 'GET /manifest HTTP/1.1\r\nHost: x\r\n'; sleep 5 ) | timeout 10 openssl s_client -quiet \
	-connect "127.0.0.1:$port" -servername "$host" -CAfile "$ca" > "$tmp/half.out" 2>/dev/null || true
el=$(( ($(date +%s%N) - start) / 1000000 ))
grep -q '^HTTP/1.1 408' "$tmp/half.out"
# Plain HTTP on the TLS port.
printf 'GET /manifest HTTP/1.1\r\n\r\n' | timeout 5 bash -c "cat > /dev/tcp/127.0.0.1/$port" || true
# Meanwhile, others are served at once.
t0=$(date +%s%N)
rcurl -f --cacert "$ca" "$url/manifest" -o /dev/null
[ $(( ($(date +%s%N) - t0) / 1000000 )) -lt 1500 ]
wait "$slow"
cmp "$img" "$tmp/slow"
# The silent TCP client was dropped by the server (EOF within the timeout).
timeout 5 cat <&5 >/dev/null
exec 5<&- 6<&-
wait "$idle" || true

# SNTP answers with the simulated date: a version 4 client request, by hand.
exec 7<>/dev/udp/127.0.0.1/"$sntp_port"
# One printf, so one write and one datagram.
req='\x23'
for i in $(seq 39); do req+='\x00'; done
printf "$req"'\x01\x02\x03\x04\x05\x06\x07\x08' >&7
reply=$(timeout 5 head -c 48 <&7 | xxd -p -c 48)
exec 7<&-
[ ${#reply} = 96 ]
[ "${reply:0:2}" = 24 ]				# LI 0, version 4, mode 4 (server)
[ "${reply:48:16}" = 0102030405060708 ]		# originate = our transmit
secs=$(( 16#${reply:80:8} - 2208988800 ))
[ "$(date -u -d "@$secs" +%F)" = 2031-05-01 ]

kill -INT "$pid"
rc=0; wait "$pid" || rc=$?
[ $rc = 0 ]
jq -e . "$ev" >/dev/null
jq -c 'select(.event=="close") | .reason' "$ev" | sort | uniq -c
jq -e -s '[.[] | select(.event=="request" and .status==400)] | length==1' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="request" and .status==431)] | length==1' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="request" and .status==408)] | length==1' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="close" and .reason=="timeout: handshake")] | length>=2' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="close" and .reason=="timeout: idle")] | length>=1' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="handshake" and .result=="failed" and .peer != null)] | length>=3' "$ev" >/dev/null
jq -e -s '[.[] | select(.event=="sntp" and .status=="ok" and (.sent | startswith("2031-05-01")))] | length==1' "$ev" >/dev/null
jq -e -s '.[-1].event=="stop"' "$ev" >/dev/null

# --stdio: socat runs one server per connection, as QEMU's guestfwd cmd: does.
for try in 1 2 3 4 5; do
	sport=$((20000 + RANDOM % 30000))
	socat "TCP-LISTEN:$sport,bind=127.0.0.1,reuseaddr,fork" \
		"EXEC:$ROTSIM serve --stdio --chain $pki/rsa-chain.pem --key $pki/rsa-leaf.key --firmware $tmp/fw --events $tmp/stdio.json --time 2024-07-01" \
		2>"$tmp/socat.err" &
	socat_pid=$!
	server_pids+=("$socat_pid")
	sleep 0.3
	kill -0 "$socat_pid" 2>/dev/null && break
done
port=$sport
rcurl -f --cacert "$pki/rsa-root.pem" "https://$host:$port/manifest" -o "$tmp/m1"
rcurl -f --cacert "$pki/rsa-root.pem" "https://$host:$port/firmware/image-2.bin" -o "$tmp/i1"
cmp "$img" "$tmp/i1"
expect_rc 60 rcurl --cacert "$pki/rsa-rogue-root.pem" "https://$host:$port/manifest" -o /dev/null
kill "$socat_pid"
sleep 0.2
jq -e -s '[.[] | select(.event=="handshake" and .peer=="stdio" and .result=="ok")] | length==2' "$tmp/stdio.json" >/dev/null
jq -e -s '[.[] | select(.event=="stop")] | length==3' "$tmp/stdio.json" >/dev/null
echo ok
