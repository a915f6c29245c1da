#!/usr/bin/env bash
# Fifteen interrupted runs on the lab network: SIGINT, SIGTERM and SIGKILL of
# the harness, each at five moments of a phase (run i sends signal i mod 3
# after i mod 5 and a fraction seconds; i = 1..15 meets every pair once).
# Afterwards no network namespace, TAP, bridge, dnsmasq, QEMU or update
# server of them is left.
set -euo pipefail
# shellcheck source=harness/net/tests/lib.sh
. "$(dirname "$0")/lib.sh"
lab_required

# Network namespaces held by a process of these runs (its command line names
# the run's directory); a named one would be listed by ip netns.
netns_ours() { lsns -n -t net -o NS,COMMAND | grep -F "$tmp" || true; }

sigs=(INT TERM KILL)
for i in $(seq 1 15); do
	sig=${sigs[$((i % 3))]}
	out=$tmp/run-$i
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
done
[ -z "$(netns_ours)" ] || fail "network namespaces left behind: $(netns_ours)"
echo "labnet leak: ok (15 interrupted runs)"
