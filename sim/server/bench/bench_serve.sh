#!/usr/bin/env bash
# make bench: rotsim serve against openssl s_server -WWW on the same
# certificate and key (RSA-2048, then ECDSA P-256), from one run:
#   - full TLS 1.2 handshakes per second: openssl s_time -new for BENCH_SECS
#     seconds (wall clock measured here), one client at a time, in
#     BENCH_ROUNDS rounds that take the servers in turn (the median is shown,
#     each round's figure after it);
#   - the server's CPU time per handshake over the same runs (utime + stime
#     from /proc), which a loaded machine disturbs less than the rate;
#   - image transfer in MiB/s: curl downloading a BENCH_MIB MiB image, best of 3.
# rotsim serve runs twice: with its private-key operations on libcrypto (the
# default) and on BearSSL alone (ROTSIM_SERVE_PK=bearssl, the code Debian's
# libbearssl offers), so the gain is measured in the same run. All servers run
# single-threaded on loopback and meet the same clients, so the ratios are what
# matter, not the absolute numbers.
set -euo pipefail
: "${ROTSIM:?}"
export ROTSIM ROTSIM_TOP=${ROTSIM_TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
export ROTSIM_BUILD=${ROTSIM_BUILD:-$(dirname "$(dirname "$ROTSIM")")}
secs=${BENCH_SECS:-4}
rounds=${BENCH_ROUNDS:-3}
mib=${BENCH_MIB:-64}
. "$ROTSIM_TOP/sim/server/tests/lib.sh"
set +x

mkdir -p "$tmp/fw"
head -c $((mib * 1048576)) /dev/urandom > "$tmp/fw/image-2.bin"

free_port() {	# a port the kernel just handed out and released
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null ||
		echo $((20000 + RANDOM % 30000))
}

cpu_ticks() {	# cpu_ticks PID: user + system time, in clock ticks
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

handshakes() {	# handshakes PORT CA PID: "rate cpu_ms_per_handshake"
	local t0 t1 c0 c1 n
	c0=$(cpu_ticks "$3")
	t0=$(date +%s%N)
	n=$(openssl s_time -connect "127.0.0.1:$1" -new -time "$secs" -tls1_2 -CAfile "$2" 2>/dev/null |
		awk '/connections in .* real seconds/ { print $1; exit }')
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$3")
	echo "$n $(( (t1 - t0) / 1000000 )) $((c1 - c0)) $(getconf CLK_TCK)" |
		awk '{ printf "%.1f %.3f", $1 * 1000 / $2, ($1 > 0 ? $3 * 1000 / $4 / $1 : 0) }'
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

median() {	# median of the numbers on stdin
	sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

wait_port() {
	local i
	for i in $(seq 50); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

echo "handshakes: median of $rounds rounds of ${secs}s (each round's figure in brackets)"
printf '%-5s %-26s %13s %10s %8s  %s\n' key server handshakes/s "cpu ms/hs" MiB/s rounds
names=(lc bs os)
declare -A label=([lc]="rotsim serve (libcrypto)" [bs]="rotsim serve (bearssl)"
	[os]="openssl s_server -WWW")
for a in rsa ec; do
	ca=$pki/$a-root.pem
	declare -A sport=() spid=() rates=() cpus=() mb=()
	for v in lc bs; do
		pk=libcrypto
		[ $v = bs ] && pk=bearssl
		ROTSIM_SERVE_PK=$pk start_server p --chain "$pki/$a-chain.pem" --key "$pki/$a-leaf.key" \
			--firmware "$tmp/fw" --signing-key "$tmp/sk.pem"
		sport[$v]=$port
		spid[$v]=$p
	done
	sport[os]=$(free_port)
	( cd "$tmp/fw" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:${sport[os]}" \
		-cert "$pki/$a-leaf.pem" -key "$pki/$a-leaf.key" -cert_chain "$pki/$a-int.pem" \
		-no_tls1_3 ) >/dev/null 2>&1 &
	spid[os]=$!
	server_pids+=("${spid[os]}")
	wait_port "${sport[os]}" || { echo "openssl s_server did not start"; exit 1; }

	for r in $(seq "$rounds"); do
		# Each round starts with another server, so none always comes first.
		for k in 0 1 2; do
			v=${names[$(( (k + r) % 3 ))]}
			set -- $(handshakes "${sport[$v]}" "$ca" "${spid[$v]}")
			rates[$v]+="$1 "
			cpus[$v]+="$2 "
		done
	done
	mb[lc]=$(transfer "${sport[lc]}" "$ca" "https://$host:${sport[lc]}/firmware/image-2.bin")
	mb[bs]=-
	mb[os]=$(transfer "${sport[os]}" "$ca" "https://$host:${sport[os]}/image-2.bin")
	for v in lc bs; do
		stop_server "${spid[$v]}"
	done
	kill "${spid[os]}"; wait "${spid[os]}" 2>/dev/null || true

	declare -A hs=() cpu=()
	for v in "${names[@]}"; do
		hs[$v]=$(echo "${rates[$v]}" | tr ' ' '\n' | grep . | median)
		cpu[$v]=$(echo "${cpus[$v]}" | tr ' ' '\n' | grep . | median)
		printf '%-5s %-26s %13.1f %10.3f %8s  [%s]\n' "$a" "${label[$v]}" "${hs[$v]}" "${cpu[$v]}" \
			"${mb[$v]}" "${rates[$v]% }"
	done
	echo "$a ${hs[lc]} ${hs[os]} ${cpu[lc]} ${cpu[os]} ${mb[lc]} ${mb[os]}" |
		awk '{ printf "%-5s %-26s %12.2fx %9.2fx %7.2fx\n", $1, "ratio rotsim/openssl", $2 / $3, $4 / $5, $6 / $7 }'
	echo "$a ${hs[lc]} ${hs[bs]} ${cpu[lc]} ${cpu[bs]}" |
		awk '{ printf "%-5s %-26s %12.2fx %9.2fx\n", $1, "ratio libcrypto/bearssl", $2 / $3, $4 / $5 }'
	unset sport spid rates cpus mb hs cpu
done
