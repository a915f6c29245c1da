# Shared by the script tests of sim/server: a test PKI made with openssl, and
# starting and stopping `rotsim serve`. Source it from a test; it sets
# `set -euo pipefail`, makes $tmp (removed on exit) and stops every server it
# started.
#
# The PKI (in $pki, built once per build directory and reused):
#   for a in rsa ec:
#     $a-root.pem        anchor "Rotsim Test Root $a"
#     $a-int.pem         intermediate signed by the root
#     $a-leaf.pem/.key   leaf for updates.rotsim.test (and IP 127.0.0.1, for
#                        clients that cannot be told an address for a name)
#     $a-chain.pem       leaf + intermediate (what a correct server presents)
#     $a-other.pem       leaf + intermediate for other.rotsim.test (same key)
#     $a-expired.pem     leaf + intermediate, the leaf expired in 2021 (same key)
#     $a-future.pem      leaf + intermediate, the leaf valid from 2099 (same key)
#     $a-rogue-root.pem  a root with the same name as $a-root.pem, another key
#     $a-rogue.pem       leaf (same key) signed by the rogue root
#     $a-legacy-root.pem an old root, expired in 2021
#     $a-cross.pem       the root's name and key signed by the legacy root, expired
set -euo pipefail

: "${ROTSIM:?ROTSIM must name the rotsim binary}"
: "${ROTSIM_BUILD:=$(dirname "$(dirname "$ROTSIM")")}"
tmp=$(mktemp -d)
server_pids=()
cleanup() {
	local p
	for p in "${server_pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${server_pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

pki=$ROTSIM_BUILD/server-test-pki-v2
host=updates.rotsim.test

# openssl ca with explicit dates: sign_cert ISSUER|self CSR OUT START END EXT [KEY]
_sign() {
	local issuer=$1 csr=$2 out=$3 start=$4 end=$5 ext=$6 selfkey=${7:-}
	local d=$pki/.ca
	mkdir -p "$d/new"
	[ -f "$d/serial" ] || echo 1000 > "$d/serial"
	touch "$d/index.txt"
	cat > "$d/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
database = $d/index.txt
new_certs_dir = $d/new
serial = $d/serial
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
email_in_dn = no
[p]
commonName = supplied
organizationName = optional
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf_ext]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = @san
[san]
DNS.1 = $SAN
IP.1 = 127.0.0.1
EOF
	if [ "$issuer" = self ]; then
		openssl ca -batch -config "$d/ca.cnf" -selfsign -keyfile "$selfkey" \
			-in "$csr" -out "$out" -startdate "$start" -enddate "$end" \
			-extensions "$ext" -notext 2>"$d/log" || { cat "$d/log"; return 1; }
	else
		openssl ca -batch -config "$d/ca.cnf" -cert "$pki/$issuer.pem" \
			-keyfile "$pki/$issuer.key" -in "$csr" -out "$out" -startdate "$start" \
			-enddate "$end" -extensions "$ext" -notext 2>"$d/log" || { cat "$d/log"; return 1; }
	fi
}

_key() {	# _key ALG OUT
	if [ "$1" = rsa ]; then
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$2" 2>/dev/null
	else
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" 2>/dev/null
	fi
}

_csr() {	# _csr KEY SUBJ OUT
	openssl req -new -key "$1" -subj "$2" -out "$3"
}

_make_pki() {
	local a A
	rm -rf "$pki.new"
	mkdir -p "$pki.new"
	local final=$pki
	pki=$pki.new
	for a in rsa ec; do
		A=$(echo "$a" | tr a-z A-Z)
		export SAN=$host
		_key $a "$pki/$a-root.key"; _csr "$pki/$a-root.key" "/O=Rotsim/CN=Rotsim Test Root $A" "$pki/c.csr"
		_sign self "$pki/c.csr" "$pki/$a-root.pem" 20200101000000Z 20400101000000Z ca_ext "$pki/$a-root.key"
		_key $a "$pki/$a-int.key"; _csr "$pki/$a-int.key" "/O=Rotsim/CN=Rotsim Test Intermediate $A" "$pki/c.csr"
		_sign $a-root "$pki/c.csr" "$pki/$a-int.pem" 20200101000000Z 20380101000000Z ca_ext
		_key $a "$pki/$a-leaf.key"; _csr "$pki/$a-leaf.key" "/CN=$host" "$pki/c.csr"
		_sign $a-int "$pki/c.csr" "$pki/$a-leaf.pem" 20200101000000Z 20370101000000Z leaf_ext
		cat "$pki/$a-leaf.pem" "$pki/$a-int.pem" > "$pki/$a-chain.pem"
		_sign $a-int "$pki/c.csr" "$pki/x.pem" 20200101000000Z 20210101000000Z leaf_ext
		cat "$pki/x.pem" "$pki/$a-int.pem" > "$pki/$a-expired.pem"
		_sign $a-int "$pki/c.csr" "$pki/x.pem" 20990101000000Z 21000101000000Z leaf_ext
		cat "$pki/x.pem" "$pki/$a-int.pem" > "$pki/$a-future.pem"
		export SAN=other.rotsim.test
		_csr "$pki/$a-leaf.key" "/CN=other.rotsim.test" "$pki/o.csr"
		_sign $a-int "$pki/o.csr" "$pki/x.pem" 20200101000000Z 20370101000000Z leaf_ext
		cat "$pki/x.pem" "$pki/$a-int.pem" > "$pki/$a-other.pem"
		export SAN=$host
		# The rogue CA copies the root's name with its own key.
		_key $a "$pki/$a-rogue-root.key"; _csr "$pki/$a-rogue-root.key" "/O=Rotsim/CN=Rotsim Test Root $A" "$pki/r.csr"
		_sign self "$pki/r.csr" "$pki/$a-rogue-root.pem" 20200101000000Z 20400101000000Z ca_ext "$pki/$a-rogue-root.key"
		_sign $a-rogue-root "$pki/c.csr" "$pki/$a-rogue.pem" 20200101000000Z 20370101000000Z leaf_ext
		# An expired legacy root and its cross-sign of the root.
		_key $a "$pki/$a-legacy-root.key"; _csr "$pki/$a-legacy-root.key" "/O=Rotsim/CN=Rotsim Legacy Root $A" "$pki/l.csr"
		_sign self "$pki/l.csr" "$pki/$a-legacy-root.pem" 20000101000000Z 20210101000000Z ca_ext "$pki/$a-legacy-root.key"
		_csr "$pki/$a-root.key" "/O=Rotsim/CN=Rotsim Test Root $A" "$pki/c2.csr"
		_sign $a-legacy-root "$pki/c2.csr" "$pki/$a-cross.pem" 20200101000000Z 20210101000000Z ca_ext
	done
	rm -rf "$pki/.ca" "$pki"/*.csr "$pki/x.pem"
	pki=$final
	rm -rf "$pki"
	mv "$pki.new" "$pki"
}

if [ ! -f "$pki/ec-cross.pem" ]; then
	# One builder at a time (tests may run side by side).
	while ! mkdir "$pki.lock" 2>/dev/null; do sleep 0.2; done
	[ -f "$pki/ec-cross.pem" ] || _make_pki
	rmdir "$pki.lock"
fi

# A firmware directory with one 1 MiB image, version 2.
make_firmware() {	# make_firmware DIR [SIZE]
	mkdir -p "$1"
	head -c "${2:-1048576}" /dev/urandom > "$1/image-2.bin"
}

# start_server OUTVAR ARGS...: start rotsim serve on a kernel-chosen port; sets
# $port, and OUTVAR to the server's pid. stderr goes to $tmp/serve.N.err.
nserver=0
start_server() {
	local var=$1; shift
	nserver=$((nserver + 1))
	local out=$tmp/serve.$nserver.out
	"$ROTSIM" serve --listen 127.0.0.1:0 "$@" >"$out" 2>"$tmp/serve.$nserver.err" &
	local _pid=$!
	server_pids+=("$_pid")
	local i
	for i in $(seq 1 100); do
		if [ -s "$out" ] && head -n 1 "$out" | grep -q '^listening '; then
			port=$(head -n 1 "$out" | sed 's/.*://')
			printf -v "$var" "%s" "$_pid"
			return 0
		fi
		if ! kill -0 "$_pid" 2>/dev/null; then
			echo "rotsim serve exited early:"; cat "$tmp/serve.$nserver.err"
			return 1
		fi
		sleep 0.05
	done
	echo "rotsim serve did not start"; cat "$tmp/serve.$nserver.err"
	return 1
}

# stop_server PID: SIGTERM, and the exit status must be 0.
stop_server() {
	kill -TERM "$1"
	local rc=0
	wait "$1" || rc=$?
	if [ $rc -ne 0 ]; then
		echo "rotsim serve exited $rc"
		return 1
	fi
}

# curl against the server by name, whatever the port.
rcurl() {
	curl -sS --max-time 20 --resolve "$host:$port:127.0.0.1" "$@"
}

# expect_rc WANT CMD...: run CMD, its exit status must be WANT.
expect_rc() {
	local want=$1 rc=0; shift
	"$@" || rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL: expected exit $want, got $rc: $*"
		return 1
	fi
}
