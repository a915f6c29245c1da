#!/usr/bin/env bash
# SIGINT or SIGTERM while a run is still preparing (PKI and bundles of many
# scenarios, before any case runs): exit 2 with partial results, every case
# recorded as interrupted, as for an interruption later in the run.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

for sig in INT TERM; do
	out=$tmp/prep-$sig
	"$ROTSIM" run --all --target native --out "$out" -q --no-report > "$tmp/log" 2>&1 &
	pid=$!
	# Preparation has begun once the first scenario's PKI is written.
	for _ in $(seq 1 300); do
		[ -d "$out/pki" ] && break
		sleep 0.05
	done
	[ -d "$out/pki" ] || fail "preparation never began: $(cat "$tmp/log")"
	[ ! -d "$out/cases" ] || [ -z "$(ls "$out/cases")" ] || fail "cases ran before the signal"
	kill -$sig $pid
	set +e
	wait $pid; rc=$?
	set -e
	[ $rc -eq 2 ] || fail "SIG$sig during preparation: exit $rc, want 2 ($(cat "$tmp/log"))"
	jq -e '.interrupted == true and (.records | length) > 0
		and ([.records[] | .observed == "interrupted"] | all)' "$out/summary.json" \
		>/dev/null || fail "SIG$sig: summary.json: $(head -c 400 "$out/summary.json")"
	grep -q '<error type="interrupted"' "$out/junit.xml" || fail "SIG$sig: junit.xml"
	no_leftovers "rotsim (serve|run).*$out"
	echo "SIG$sig during preparation: exit 2, $(jq '.records | length' "$out/summary.json") records interrupted"
done
echo "run interrupt during preparation: ok"
