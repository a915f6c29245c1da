#!/usr/bin/env bash
# make bench: the agent on each TLS stack against the same server and chain
# (rotsim serve, leaf-r10 <- R10 under ISRG Root X1 of tests/mini.pki,
# RSA-2048, TLS 1.2), from one run:
#   - full handshakes with validation at the device's time: fw-tlsbench-STACK
#     (the agent's own net.c and backend) connects BENCH_HANDSHAKES times,
#     best of 3 rounds, in ms per handshake: as the agent connects, and with
#     TCP_NODELAY (a stack that sends one flight in several writes waits for
#     the server's delayed ACK without it; with it, what remains is the
#     stack's own cost);
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

# handshake_ms STACK [--nodelay]: best of 3 rounds of $n handshakes, ms per
# handshake.
handshake_ms() {
	local best= i m
	for i in 1 2 3; do
		m=$("$ROTSIM_BUILD/bench/fw-tlsbench-$1" ${2:-} --connect "127.0.0.1:$port" \
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
b_nd=$(handshake_ms bearssl --nodelay)
b_nat=$(native_size bearssl)
b_st=$(static_size bearssl)
printf '%-8s %9s %6s %9s %6s %11s %6s %11s %6s\n' stack agent-ms ratio nodelay ratio \
	native-B ratio static-B ratio
for s in bearssl mbedtls wolfssl openssl gnutls; do
	if [ "$s" = bearssl ]; then
		ms=$b_ms nd=$b_nd
	else
		ms=$(handshake_ms "$s") nd=$(handshake_ms "$s" --nodelay)
	fi
	nat=$(native_size "$s")
	st=$(static_size "$s")
	printf '%-8s %9s %6s %9s %6s %11s %6s %11s %6s\n' "$s" "$ms" "$(ratio "$ms" "$b_ms")" \
		"$nd" "$(ratio "$nd" "$b_nd")" "$nat" "$(ratio "$nat" "$b_nat")" \
		"$st" "$(ratio "$st" "$b_st")"
done
echo "(ms per full handshake, $n per round, best of 3, RSA-2048 chain; agent-ms: as the agent"
echo " connects, nodelay: with TCP_NODELAY; sizes in bytes include BearSSL, which every agent"
echo " links for the firmware signature; native = executable + the stack's own .so files)"
