#!/usr/bin/env bash
# Fifteen interrupted runs on the lab network: SIGINT, SIGTERM and SIGKILL of
# the harness, each at five moments of a phase (run i sends signal i mod 3
# after i mod 5 and a fraction seconds; i = 1..15 meets every pair once).
# Afterwards no network namespace, TAP, bridge, dnsmasq, QEMU or update
# server of them is left.
#
# The runs of one signal follow each other; the three signals' runs go side
# by side (each run has its own lab, results and processes, and what is
# looked for is named by its results folder), so that the test waits for its
# fifteen moments about a third as long.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

# Network namespaces held by a process of these runs (its command line names
# the run's directory); a named one would be listed by ip netns.
netns_ours() { lsns -n -t net -o NS,COMMAND | grep -F "$tmp" || true; }

sigs=(INT TERM KILL)
# One interrupted run: interrupted_run I.
interrupted_run() {
	local i=$1 sig out pid rc
	sig=${sigs[$((i % 3))]}
	# Two digits: no run's folder is a prefix of another's, which the
	# patterns below would take for it.
	out=$tmp/run-$(printf %02d "$i")
	"$ROTSIM" run clock-sntp --target qemu-x86_64-lab --device sntp-x1 --out "$out" -q \
		> "$tmp/log-$i" 2>&1 &
	pid=$!
	# Wait for the lab of this run (its dnsmasq), then for a moment that
	# differs from run to run: before QEMU, while it boots, while it talks.
	for _ in $(seq 1 300); do
		pgrep -f "dnsmasq.*$out" > /dev/null && break
		sleep 0.1
	done
	pgrep -f "dnsmasq.*$out" > /dev/null || fail "run $i: no lab came up: $(cat "$tmp/log-$i")"
	sleep "$(( i % 5 )).$(( (i * 37) % 10 ))"
	kill -"$sig" $pid
	set +e
	wait $pid
	rc=$?
	set -e
	# SIGINT and SIGTERM: an orderly stop with status 2; SIGKILL: the
	# children die with the harness (PR_SET_PDEATHSIG) and the namespace
	# with the last of them.
	if [ "$sig" != KILL ] && [ $rc -ne 2 ]; then
		fail "run $i: SIG$sig gave exit $rc, want 2: $(tail -3 "$tmp/log-$i")"
	fi
	for _ in $(seq 1 100); do
		pgrep -f "dnsmasq.*$out|qemu-system.*$out|rotsim serve.*$out|rotsim run.*$out" \
			> /dev/null || break
		sleep 0.1
	done
	no_lab_left "dnsmasq.*$out|qemu-system.*$out|rotsim serve.*$out|rotsim run.*$out"
	echo "run $i: SIG$sig, exit $rc, nothing left"
}

# A lane per signal: runs k, k+3, ..., k+12, which meet the five moments.
lanes=()
for k in 1 2 3; do
	(
		for ((i = k; i <= 15; i += 3)); do interrupted_run "$i"; done
	) > "$tmp/lane-$k.log" 2>&1 &
	lanes+=($!)
done
bad=0
for k in 1 2 3; do
	rc=0
	wait "${lanes[$((k - 1))]}" || rc=$?
	cat "$tmp/lane-$k.log"
	[ $rc -eq 0 ] || bad=1
done
[ $bad -eq 0 ] || fail "an interrupted run left something behind or ended wrong (above)"
[ -z "$(netns_ours)" ] || fail "network namespaces left behind: $(netns_ours)"
echo "labnet leak: ok (15 interrupted runs)"
