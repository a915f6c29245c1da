#!/usr/bin/env bash
# No QEMU outlives boot.sh: when boot.sh is stopped with SIGTERM in the middle
# of a boot, when it is killed with SIGKILL (its traps cannot run), and when the
# boot times out. QEMU starts with its CPU stopped (-S), so it would run until
# killed, and a guest that powers off by itself cannot hide a leak.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
conf=$QEMU_TARGET_DIR/target.conf

# Start boot.sh in the background on case directory $1; wait until its QEMU runs.
# Sets BPID and QPID.
start_boot() {
	local d=$T/$1 i
	bash "$BOOT" -t "$conf" -b "$ROTSIM_BUILD" -r 2031-05-01 -o "$d" -T 60 -- -S >"$T/$1.out" 2>&1 &
	BPID=$!
	_pids+=("$BPID")
	for i in $(seq 200); do [ -s "$d/qemu.pid" ] && break; sleep 0.02; done
	[ -s "$d/qemu.pid" ] || fail "$1: QEMU did not start"
	QPID=$(cat "$d/qemu.pid")
	kill -0 "$QPID" || fail "$1: QEMU $QPID not running"
	sleep 0.3
	kill -0 "$QPID" || fail "$1: QEMU $QPID ended before the test could stop it"
}

# Wait up to 5 s for QEMU $1 (case directory $2) to be gone.
gone() {
	local i
	for i in $(seq 100); do no_process "$1" "$T/$2/" && return 0; sleep 0.05; done
	return 1
}

start_boot term
kill -TERM "$BPID"
rc=0; wait "$BPID" || rc=$?
[ $rc -eq 143 ] || fail "term: boot.sh exit $rc, want 143"
gone "$QPID" term || fail "term: QEMU $QPID outlived boot.sh"
echo "term: ok"

start_boot kill
kill -KILL "$BPID"
wait "$BPID" 2>/dev/null || true
gone "$QPID" kill || fail "kill: QEMU $QPID outlived boot.sh killed with SIGKILL"
echo "kill: ok"

rc=0
bash "$BOOT" -t "$conf" -b "$ROTSIM_BUILD" -o "$T/timeout" -T 1 -- -S >"$T/timeout.out" 2>&1 || rc=$?
[ $rc -eq 124 ] || { cat "$T/timeout.out"; fail "timeout: boot.sh exit $rc, want 124"; }
grep -q '^boot: status=timeout ' "$T/timeout.out" || fail "timeout: no summary line"
QPID=$(cat "$T/timeout/qemu.pid")
gone "$QPID" timeout || fail "timeout: QEMU $QPID outlived the timeout"
echo "timeout: ok"
