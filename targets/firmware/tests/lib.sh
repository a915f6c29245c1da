# Shared by the script tests of targets/firmware: a small PKI (mini.pki), a
# firmware-signing key, firmware directories, `rotsim serve` and the native
# agent ($ROTSIM_AGENT, default the BearSSL one). Source it; it sets
# `set -euo pipefail`, makes $tmp (mode 0700, removed on exit, the only place
# keys are written) and stops every server it started.
set -euo pipefail

: "${ROTSIM:?ROTSIM must name the rotsim binary}"
: "${ROTSIM_BUILD:=$(dirname "$(dirname "$ROTSIM")")}"
: "${ROTSIM_TOP:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}"
AGENT=${ROTSIM_AGENT:-$ROTSIM_BUILD/bin/rotsim-agent}
MKBUNDLE=$ROTSIM_BUILD/bin/rotsim-mkbundle
# The agent's profiles of the stock devices (devices/*.device), as the build
# writes them for the images.
PROFILES=$ROTSIM_BUILD/firmware/profiles
tmp=$(mktemp -d)
chmod 0700 "$tmp"
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

# The PKI (FW_TEST_PKI, default mini.pki) and the signing key, made fresh in
# $tmp (about 1.5 s).
: "${FW_TEST_PKI:=$ROTSIM_TOP/targets/firmware/tests/mini.pki}"
pki=$tmp/pki
"$ROTSIM" pki "$FW_TEST_PKI" --out "$pki" \
	--cache "$tmp/keys" 2>"$tmp/pki.log" || { cat "$tmp/pki.log"; exit 1; }
"$ROTSIM" sign --key "$tmp/sk.pem" --genkey --pubkey "$tmp/sk.pub.pem"

# make_firmware DIR VERSION [mkbundle options]: DIR/image-VERSION.bin, a
# bundle with 300000 bytes of payload unless options say otherwise.
make_firmware() {
	local dir=$1 v=$2; shift 2
	mkdir -p "$dir"
	if [ $# -eq 0 ]; then
		set -- --payload-size 300000
	fi
	"$MKBUNDLE" --version "$v" "$@" --out "$dir/image-$v.bin"
}

# start_server CHAIN FWDIR [serve options]: serve a leaf's chain at
# 2024-07-01: CHAIN is the leaf's id (chains/ID.pem) or ID.VARIANT
# (chains/ID.VARIANT.pem, from a "chain.VARIANT" line); sets $port and $events
# (the event log).
nserver=0
start_server() {
	local chain=$1 leaf=${1%%.*} fw=$2; shift 2
	nserver=$((nserver + 1))
	local out=$tmp/serve.$nserver.out
	events=$tmp/events.$nserver.jsonl
	"$ROTSIM" serve --listen 127.0.0.1:0 --chain "$pki/chains/$chain.pem" \
		--key "$pki/$leaf.key.pem" --firmware "$fw" --signing-key "$tmp/sk.pem" \
		--time 2024-07-01 --events "$events" --timeout 5 "$@" \
		>"$out" 2>"$tmp/serve.$nserver.err" &
	local pid=$!
	server_pids+=("$pid")
	local i
	for i in $(seq 1 100); do
		if [ -s "$out" ] && head -n 1 "$out" | grep -q '^listening '; then
			port=$(head -n 1 "$out" | sed 's/.*://')
			server_pid=$pid
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "rotsim serve exited early:"; cat "$tmp/serve.$nserver.err"
			return 1
		fi
		sleep 0.05
	done
	echo "rotsim serve did not start"; cat "$tmp/serve.$nserver.err"
	return 1
}

# boot PROFILE DEVDIR [agent options]: one boot of a native device whose
# flash is DEVDIR, against $port at 2024-07-01. The console goes to
# $console (also appended to DEVDIR/console.log); the exit status to $rc.
nboot=0
boot() {
	local profile=$1 dev=$2; shift 2
	nboot=$((nboot + 1))
	mkdir -p "$dev"
	console=$tmp/console.$nboot.log
	rc=0
	"$AGENT" --profile "$PROFILES/$profile.profile" --anchors "$pki/anchors" \
		--signing-pub "$tmp/sk.pub.pem" --flash "$dev" --rtc 2024-07-01 \
		--connect "127.0.0.1:$port" --hosts /dev/null --backoff-ms 50 --retries 3 \
		--timeout 5 "$@" >"$console" 2>&1 || rc=$?
	cat "$console" >> "$dev/console.log"
	echo "--- boot $nboot: $profile ($dev) exit $rc"
	cat "$console"
}

# expect_line PATTERN: the last console has a line matching PATTERN (grep -E).
expect_line() {
	grep -Eq "$1" "$console" || { echo "FAIL: no console line matching: $1"; exit 1; }
}
# expect_no_line PATTERN
expect_no_line() {
	! grep -Eq "$1" "$console" || { echo "FAIL: unexpected console line: $1"; exit 1; }
}
# expect_rc WANT
expect_rc() {
	[ "$rc" -eq "$1" ] || { echo "FAIL: exit status $rc, want $1"; exit 1; }
}

# image_bytes: bytes of image bodies the server sent, from its event log
# (complete or cut responses to /firmware/ requests).
image_bytes() {
	local f=${1:-$events}
	grep '"event":"request"' "$f" | grep '"path":"/firmware/' |
		sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s + 0}'
}

# reported VERSION: the server received a check-in with this running version.
reported() {
	grep '"path":"/report"' "${2:-$events}" | grep -q "version $1\\\\n"
}
