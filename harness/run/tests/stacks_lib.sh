# Shared by the TLS-stack run tests (run_stacks.sh, run_stacks_qemu.sh).

# A finished run with every outcome as expected: exit 0 (checked by the
# caller), no failure and no error in summary.json, the count summary.txt
# gives, and the same phases on each of the five stacks.
stacks_all_as_expected() { # out
	local out=$1 recs on st
	recs=$(jq '[.records[] | select(.observed != "off")] | length' "$out/summary.json")
	[ "$recs" -gt 0 ] || fail "$out: no record"
	jq -e '[.records[] | select(.observed != "off") | .verdict == "pass"] | all' \
		"$out/summary.json" >/dev/null \
		|| fail "$out: $(jq -r '.records[] | select(.observed != "off" and .verdict != "pass")
			| "\(.scenario) \(.device) @\(.phase): \(.observed), expected \(.expected)"' \
			"$out/summary.json" | head -20)"
	grep -q "^$recs passed, 0 failed, 0 errors" "$out/summary.txt" \
		|| fail "$out/summary.txt: $(grep -E 'passed, .* failed' "$out/summary.txt"), want $recs passed"
	# Devices multiply within a case: as many phases on each stack, the
	# stack in the record's tls and, but on bearssl, in the device's name.
	on=$(jq '[.records[] | select(.tls == "bearssl")] | length' "$out/summary.json")
	for st in bearssl mbedtls wolfssl openssl gnutls; do
		[ "$(jq --arg s "$st" '[.records[] | select(.tls == $s)] | length' "$out/summary.json")" \
			-eq "$on" ] || fail "$out: not as many records on $st as on bearssl ($on)"
	done
	jq -e '[.records[] | .tls as $t | if $t == "bearssl" then (.device | test("@") | not)
		else (.device | endswith("@" + $t)) end] | all' "$out/summary.json" >/dev/null \
		|| fail "$out: a device name does not say its stack"
	[ "$(jq '.records | length' "$out/summary.json")" -eq $((on * 5)) ] \
		|| fail "$out: records on stacks outside the five"
}

# The stack's own agent ran: the first console line of one case's first
# phase names it.
stacks_agent_ran() { # case-dir stack
	local first
	first=$(ls -d "$1"/01-* | head -1)
	grep -q "rotsim: agent-start agent=rotsim-agent-$2 .* tls=$2 " "$first/console.log" \
		|| fail "$1: no agent-start of rotsim-agent-$2 ($(grep -m1 agent-start "$first/console.log"))"
}
