# shellcheck shell=bash
# Helpers for the qemu-x86_64 script tests (sourced). Every test gets a scratch
# directory, removed at exit together with any server it started.
: "${ROTSIM_TOP:?run through make check}" "${ROTSIM_BUILD:?run through make check}"
QEMU_TARGET_DIR=${QEMU_TARGET_DIR:-$ROTSIM_TOP/targets/qemu-x86_64}
QEMU_ARCH=${QEMU_ARCH:-x86_64}
BOOT=${QEMU_BOOT:-$ROTSIM_TOP/targets/qemu-x86_64/boot.sh}
T=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-qemu-test.XXXXXX")
_pids=()
_cleanup() {
	local p
	for p in "${_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
	rm -rf "$T"
}
trap _cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# Start the plain HTTP test server; sets PORT and SERVER_LOG.
start_server() {
	SERVER_LOG=$T/server.log
	: > "$SERVER_LOG"
	python3 "$ROTSIM_TOP/targets/qemu-x86_64/tests/httpd.py" "$T/port" "$SERVER_LOG" &
	_pids+=($!)
	local i
	for i in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.05; done
	[ -s "$T/port" ] || fail "test server did not start"
	PORT=$(cat "$T/port")
}

# 0 if no process runs with this exact pid or with STRING in its command line.
no_process() {
	local pid=$1 str=$2
	! kill -0 "$pid" 2>/dev/null && ! pgrep -f -- "$str" >/dev/null
}
