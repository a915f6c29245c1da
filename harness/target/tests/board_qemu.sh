#!/usr/bin/env bash
# The board driver against a QEMU "board" (targets/board-qemu): a guest whose
# serial port the driver reaches only through ser2net on a loopback TCP port,
# powered on and off by commands. le-r3-to-r10 gives the verdicts it gives on
# qemu-x86_64, on a pool of two boards with -j 2; pulling the power mid-phase
# is an error with its reason and the run goes on; a console that never says
# "booted" times out into an error; SIGKILL and Ctrl-C of the harness power the
# board off and free its lock.
set -euo pipefail
. "$ROTSIM_TOP/harness/run/tests/lib.sh"
command -v ser2net >/dev/null || fail "ser2net is not installed (make deps)"

# The seed's story on the pool: every phase as expected.
out=$tmp/pool
rc=0
"$ROTSIM" run le-r3-to-r10 --target board-qemu --out "$out" -j 2 --no-report > "$tmp/log" || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/log"; fail "run: exit $rc"; }
j=$out/junit.xml
[ "$(junit_count "$j")" -eq 6 ] || fail "junit: $(junit_count "$j") testcases, want 6"
for d in root-x1 roots-x1-x2 pin-r3; do
	for p in before after; do
		[ "$(junit_verdict "$j" "le-r3-to-r10.$d@board-qemu" $p)" = pass ] || fail "$d $p"
	done
done
jq -e '[.records[] | select(.observed=="updated") | .capture_ok and .capture_handshakes >= 1
	and .wire_app_bytes >= .image_bytes_sent] | all and length == 5' "$out/summary.json" \
	>/dev/null || fail "updated without wire evidence"
jq -e '.records[] | select(.device=="pin-r3" and .phase=="after") | .observed=="rejected"
	and .device_error=="BR_ERR_X509_NOT_TRUSTED"' "$out/summary.json" >/dev/null \
	|| fail "pin-r3 after"
d=$out/cases/le-r3-to-r10/root-x1@board-qemu
grep -q 'rotsim: booted time=2024-05-01' "$d/01-before/console.log" || fail "clock not at the phase date"
grep -q 'rotsim: booted time=2024-07-01' "$d/02-after/console.log" || fail "clock not at the phase date"
grep -q 'rotsim: boot slot=. how=slot version=2' "$d/02-after/console.log" || fail "flash not kept"
# The board's identity: which board of the pool, the image's hash as deployed.
sha=$(sha256sum "$ROTSIM_BUILD/images/x86_64/root-x1/initramfs.cpio.gz" | cut -d' ' -f1)
jq -e --arg s "$sha" '.driver=="board" and .pool=="board-qemu" and (.board==0 or .board==1)
	and .deploy_image_sha256==$s and (.console|startswith("tcp:127.0.0.1:2731"))' \
	"$d/board.json" >/dev/null || fail "board.json: $(cat "$d/board.json")"
# Both boards of the pool served cases.
[ "$(cat "$out"/cases/le-r3-to-r10/*/board.json | jq -s '[.[].board] | unique | length')" -eq 2 ] \
	|| fail "the pool's two boards were not both used"
"$ROTSIM" verdict "$out" | tail -1 | grep -q '6 records: 6 agree' || fail "verdict disagrees"
no_leftovers "qemu-system.*$out"
no_leftovers "ser2net.*$out"
echo "pool: ok"

# Test copies of the board on their own ports and locks: "pull" with a short
# run-timeout, "mute" whose console never says what "booted" waits for, and
# "kill" for the harness's own death. The locks are the host's, so two runs
# of this test on one machine take turns with the ports.
targets=$tmp/targets
mk() { # name port extra-sed
	mkdir -p "$targets/$1"
	cp "$ROTSIM_TOP/targets/board-qemu/board.sh" "$targets/$1/"
	sed -e "s/2731{board}/$2{board}/g" -e "s|^lock = .*|lock = /run/lock/rotsim-board-test-$1-{board}.lock|" \
		-e "s/^\[target board-qemu\]/[target $1]/" -e "s/^pool = .*/pool = $1/" -e "$3" \
		"$ROTSIM_TOP/targets/board-qemu/target.conf" > "$targets/$1/target.conf"
}
mk pull 2732 's/^run-timeout = .*/run-timeout = 30/'
mk mute 2733 's/^booted = .*/booted = rotsim: never printed/; s/^boot-timeout = .*/boot-timeout = 10/'
mk kill 2734 's/^pool-size = .*/pool-size = 1/'
export ROTSIM_TARGETS=$targets

# Pull the power of pin-r3's board once it booted in phase before: that phase
# is an error with the reason, phase after still runs and passes.
out=$tmp/pull
"$ROTSIM" run le-r3-to-r10 --device pin-r3 --target pull --target mute --out "$out" -j 2 \
	--no-report > "$tmp/log" 2>&1 &
pid=$!
c=$out/cases/le-r3-to-r10/pin-r3@pull
for _ in $(seq 600); do
	grep -qs 'rotsim: booted' "$c/01-before/console-0.log" && break
	sleep 0.1
done
grep -qs 'rotsim: booted' "$c/01-before/console-0.log" || fail "pull: no boot: $(cat "$tmp/log")"
kill -KILL "$(cat "$c/board/qemu.pid")"
rc=0; wait $pid || rc=$?
[ $rc -eq 2 ] || { cat "$tmp/log"; fail "pull: exit $rc, want 2 (errors)"; }
jq -e '.records[] | select(.target=="pull" and .phase=="before") | .observed=="error"
	and (.reason|test("did not finish within 30 s"))' "$out/summary.json" >/dev/null \
	|| fail "pull: $(jq -c '.records[] | select(.target=="pull")' "$out/summary.json")"
grep -q 'console closed' "$c/01-before/board-0.log" || fail "pull: the console's end is not noted"
jq -e '.records[] | select(.target=="pull" and .phase=="after") | .observed=="rejected"' \
	"$out/summary.json" >/dev/null || fail "pull: the run did not go on"
# The mute console: both phases time out into errors, the board powered off.
jq -e '[.records[] | select(.target=="mute") | .observed=="error"
	and (.reason|test("did not boot: no \"rotsim: never printed\" on its console within 10 s"))]
	| all and length == 2' "$out/summary.json" >/dev/null \
	|| fail "mute: $(jq -c '.records[] | select(.target=="mute")' "$out/summary.json")"
grep -q 'power-off: ok' "$out/cases/le-r3-to-r10/pin-r3@mute/01-before/board-0.log" \
	|| fail "mute: not powered off"
no_leftovers "qemu-system.*$out"
no_leftovers "ser2net.*$out"
echo "pull, mute: ok"

# SIGKILL, then SIGINT, of the harness while the board runs: the watchdog (or
# the harness) powers it off, no QEMU or ser2net is left, the lock is free.
for sig in KILL INT; do
	out=$tmp/$sig
	"$ROTSIM" run le-r3-to-r10 --device root-x1 --target kill --out "$out" --no-report \
		> "$tmp/log" 2>&1 &
	pid=$!
	c=$out/cases/le-r3-to-r10/root-x1@kill
	for _ in $(seq 600); do
		grep -qs 'rotsim: booted' "$c/01-before/console-0.log" && break
		sleep 0.1
	done
	grep -qs 'rotsim: booted' "$c/01-before/console-0.log" || fail "$sig: no boot"
	qpid=$(cat "$c/board/qemu.pid")
	flock -n /run/lock/rotsim-board-test-kill-0.lock true && fail "$sig: the board is not locked while it runs"
	kill -$sig $pid
	rc=0; wait $pid || rc=$?
	[ $sig = KILL ] || [ $rc -eq 2 ] || fail "$sig: exit $rc, want 2"
	for _ in $(seq 150); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$qpid" 2>/dev/null && fail "$sig: the board's QEMU $qpid is still on"
	flock -w 10 /run/lock/rotsim-board-test-kill-0.lock true || fail "$sig: the lock is still held"
	no_leftovers "qemu-system.*$out"
	no_leftovers "ser2net.*$out"
	echo "$sig: ok"
done
[ $sig = INT ] && grep -q 'the harness is gone' "$tmp/KILL/cases/le-r3-to-r10/root-x1@kill/01-before/watchdog-0.log" \
	|| fail "KILL: the watchdog did not power the board off"
echo "board qemu: ok"
