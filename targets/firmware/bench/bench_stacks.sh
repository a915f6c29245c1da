#!/usr/bin/env bash
# make bench: the agent on each TLS stack against the same server and chain
# (rotsim serve, leaf-r10 <- R10 under ISRG Root X1 of tests/mini.pki,
# RSA-2048, TLS 1.2), from one run:
#   - full handshakes with validation at the device's time: fw-tlsbench-STACK
#     (the agent's own net.c and backend) connects BENCH_HANDSHAKES times,
#     best of 3 rounds, in ms per handshake;
#   - size: the static guest agent (build/firmware/x86_64) where the stack
#     has one, and the native agent with the stack's own shared libraries
#     (ldd, without libc and libbearssl, which every agent links for the
#     signature checks).
# Everything is given as a ratio to BearSSL, measured in the same run.
set -euo pipefail
: "${ROTSIM:?}"
export ROTSIM ROTSIM_TOP=${ROTSIM_TOP:-$(cd "$(dirname "$0")/../../.." && pwd)}
export ROTSIM_BUILD=${ROTSIM_BUILD:-$(dirname "$(dirname "$ROTSIM")")}
n=${BENCH_HANDSHAKES:-50}
. "$ROTSIM_TOP/targets/firmware/tests/lib.sh"

make_firmware "$tmp/fw" 2 --payload-size 1000
start_server leaf-r10 "$tmp/fw" >/dev/null

# handshake_ms STACK: best of 3 rounds of $n handshakes, ms per handshake.
handshake_ms() {
	local best= i m
	for i in 1 2 3; do
		m=$("$ROTSIM_BUILD/bench/fw-tlsbench-$1" --connect "127.0.0.1:$port" \
			--anchors "$pki/anchors/x1-only.pem" --time 2024-07-01 --count "$n" |
			sed -n 's/.*ms-per-handshake=\([0-9.]*\)$/\1/p')
		[ -n "$m" ] || { echo "fw-tlsbench-$1 failed" >&2; exit 1; }
		best=$(awk -v a="${best:-$m}" -v b="$m" 'BEGIN { print (b < a) ? b : a }')
	done
	echo "$best"
}

# native_size STACK: the native agent plus the shared libraries only it needs.
native_size() {
	local bin=$ROTSIM_BUILD/bin/rotsim-agent${1/#/-} s
	[ "$1" = bearssl ] && bin=$ROTSIM_BUILD/bin/rotsim-agent
	s=$(stat -c %s "$bin")
	while read -r lib; do
		s=$((s + $(stat -L -c %s "$lib")))
	done < <(ldd "$bin" | awk '$3 ~ /^\// { print $3 }' |
		grep -vE '/(libc|libm|libbearssl|ld-linux[^/]*)\.so' || true)
	echo "$s"
}

static_size() {
	local f=$ROTSIM_BUILD/firmware/x86_64/rotsim-agent${1/#/-}
	[ "$1" = bearssl ] && f=$ROTSIM_BUILD/firmware/x86_64/rotsim-agent
	[ -f "$f" ] && stat -c %s "$f" || echo -
}

ratio() { [ "$1" = - ] && echo - || awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

b_ms=$(handshake_ms bearssl)
b_nat=$(native_size bearssl)
b_st=$(static_size bearssl)
printf '%-8s %12s %7s %14s %7s %14s %7s\n' stack ms/handshake ratio native-bytes ratio \
	static-bytes ratio
for s in bearssl mbedtls wolfssl openssl gnutls; do
	if [ "$s" = bearssl ]; then ms=$b_ms; else ms=$(handshake_ms "$s"); fi
	nat=$(native_size "$s")
	st=$(static_size "$s")
	printf '%-8s %12s %7s %14s %7s %14s %7s\n' "$s" "$ms" "$(ratio "$ms" "$b_ms")" \
		"$nat" "$(ratio "$nat" "$b_nat")" "$st" "$(ratio "$st" "$b_st")"
done
echo "($n handshakes per round, best of 3; RSA-2048 chain; sizes include BearSSL, which"
echo " every agent links for the firmware signature; native = executable + the stack's .so files)"
