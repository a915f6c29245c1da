#!/usr/bin/env bash
# make bench: rotsim serve against openssl s_server -WWW on the same
# certificate and key (RSA-2048, then ECDSA P-256), from one run:
#   - full TLS 1.2 handshakes per second: openssl s_time -new for BENCH_SECS
#     seconds (wall clock measured here), one client at a time;
#   - image transfer in MiB/s: curl downloading a BENCH_MIB MiB image, best of 3.
# Both servers run single-threaded on loopback and meet the same clients, so
# the ratio is what matters, not the absolute numbers.
set -euo pipefail
: "${ROTSIM:?}"
export ROTSIM ROTSIM_TOP=${ROTSIM_TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
export ROTSIM_BUILD=${ROTSIM_BUILD:-$(dirname "$(dirname "$ROTSIM")")}
secs=${BENCH_SECS:-5}
mib=${BENCH_MIB:-64}
. "$ROTSIM_TOP/sim/server/tests/lib.sh"
set +x

mkdir -p "$tmp/fw"
head -c $((mib * 1048576)) /dev/urandom > "$tmp/fw/image-2.bin"

free_port() {	# a port the kernel just handed out and released
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 30000))
}

handshakes() {	# handshakes PORT CA: full handshakes per second
	local t0 t1 n
	t0=$(date +%s%N)
	n=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$secs" -tls1_2 -CAfile "$2" 2>/dev/null |
		awk '/connections in .* real seconds/ { print $1; exit }')
	t1=$(date +%s%N)
	echo "$n $(( (t1 - t0) / 1000000 ))" | awk '{ printf "%.1f", $1 * 1000 / $2 }'
}

transfer() {	# transfer URL CA: MiB/s, best of 3
	local best=0 i s
	for i in 1 2 3; do
		s=$(curl -s --resolve "$host:${1##*:}:127.0.0.1" --cacert "$2" -o /dev/null \
			-w '%{speed_download}' "$3")
		best=$(echo "$best $s" | awk '{ print ($2 > $1) ? $2 : $1 }')
	done
	echo "$best" | awk '{ printf "%.1f", $1 / 1048576 }'
}

printf '%-6s %-22s %14s %10s\n' key server handshakes/s MiB/s
for a in rsa ec; do
	ca=$pki/$a-root.pem
	start_server rpid --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" --firmware "$tmp/fw" \
		--signing-key "$tmp/sk.pem"
	rport=$port
	r_hs=$(handshakes "$rport" "$ca")
	r_mb=$(transfer "$rport" "$ca" "https://$host:$rport/firmware/image-2.bin")
	stop_server "$rpid"

	oport=$(free_port)
	( cd "$tmp/fw" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$oport" \
		-cert "$pki/$a-leaf.pem" -key "$pki/$a-leaf.key" -cert_chain "$pki/$a-int.pem" \
		-no_tls1_3 ) >/dev/null 2>&1 &
	opid=$!
	server_pids+=("$opid")
	for i in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$oport") 2>/dev/null && break
		sleep 0.1
	done
	o_hs=$(handshakes "$oport" "$ca")
	o_mb=$(transfer "$oport" "$ca" "https://$host:$oport/image-2.bin")
	kill "$opid"; wait "$opid" 2>/dev/null || true

	printf '%-6s %-22s %14s %10s\n' "$a" "rotsim serve" "$r_hs" "$r_mb"
	printf '%-6s %-22s %14s %10s\n' "$a" "openssl s_server -WWW" "$o_hs" "$o_mb"
	echo "$a $r_hs $o_hs $r_mb $o_mb" | awk '{ printf "%-6s %-22s %13.2fx %9.2fx\n", $1, "ratio rotsim/openssl", $2 / $3, $4 / $5 }'
done
