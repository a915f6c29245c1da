#!/usr/bin/env bash
# Ctrl-C during a QEMU run: the run stops within seconds, no QEMU or server is
# left, what finished is kept and summary.json is valid with the rest marked
# interrupted.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$tmp/int
"$ROTSIM" run le-r3-to-r10 --target qemu-x86_64 --out "$out" -q > "$tmp/log" 2>&1 &
pid=$!
# Wait until a QEMU of this run is up.
for _ in $(seq 1 300); do
	pgrep -f "qemu-system.*$out" >/dev/null && break
	sleep 0.1
done
pgrep -f "qemu-system.*$out" >/dev/null || fail "no QEMU started: $(cat "$tmp/log")"
sleep 1
t0=$(date +%s%N)
kill -INT $pid
set +e
wait $pid; rc=$?
set -e
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
echo "stopped in ${ms} ms, exit $rc"
[ $rc -eq 2 ] || fail "interrupted run: exit $rc, want 2"
[ $ms -lt 10000 ] || fail "took ${ms} ms to stop"
sleep 0.5
no_leftovers "qemu-system.*$out"
# A server is rotsim serve, or on a target without a lab network a fork of
# its case (rotsim run).
no_leftovers "rotsim (serve|run).*$out"
jq -e '.interrupted == true and (.records | length) == 6' "$out/summary.json" >/dev/null \
	|| fail "summary.json: $(head -c 400 "$out/summary.json")"
jq -e '[.records[] | select(.observed=="interrupted")] | length >= 1' "$out/summary.json" \
	>/dev/null || fail "no record marked interrupted"
grep -q '<error type="interrupted"' "$out/junit.xml" || fail "junit.xml does not show it"

# SIGKILL of the harness itself: its QEMU and server die with it (pdeathsig).
out=$tmp/kill
"$ROTSIM" run le-r3-to-r10 --target qemu-x86_64 --out "$out" -q > "$tmp/log2" 2>&1 &
pid=$!
for _ in $(seq 1 300); do
	pgrep -f "qemu-system.*$out" >/dev/null && break
	sleep 0.1
done
pgrep -f "qemu-system.*$out" >/dev/null || fail "no QEMU started"
kill -KILL $pid
wait $pid 2>/dev/null || true
for _ in $(seq 1 50); do
	pgrep -f "qemu-system.*$out|rotsim (serve|run).*$out" >/dev/null || break
	sleep 0.1
done
no_leftovers "qemu-system.*$out"
no_leftovers "rotsim (serve|run).*$out"
echo "run interrupt: ok"
