#!/usr/bin/env bash
# Every TLS stack of the agent (rotsim-agent and rotsim-agent-STACK, with the
# variants each names) against the same chains from rotsim serve: the update
# across R3 -> R10 with root-x1, pin-r3 refused after the renewal, a rogue
# chain refused, an expired and a not-yet-valid leaf refused at the device's
# time, and the chains where stacks part ways (the phases of the DST Root CA
# X3 expiry with the long and the short chain, an expired cross-sign beside a
# valid root, the wrong order, an intermediate as the only anchor). The cases
# are in stacks.cases; the stacks of one case boot side by side.
#
# Each outcome must equal its row in stacks.tsv (the measured table: case,
# stack[/variant], outcome). Some outcomes hold for every stack whatever the
# table says (an update goes through, a rogue chain is refused, ...). That
# the libraries' own tools agree with the table is stacks-tools.sh's part.
#
# STACKS_RECORD=FILE writes the measured table to FILE instead of comparing.
FW_TEST_PKI=$(cd "$(dirname "$0")" && pwd)/stacks.pki
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks-common.sh"
TABLE=$ROTSIM_TOP/targets/firmware/tests/stacks.tsv
CASES=$ROTSIM_TOP/targets/firmware/tests/stacks.cases
check_agents

# A profile that names another stack is refused before anything else.
mkdir -p "$tmp/profiles"
{ cat "$PROFILES/root-x1.profile"; echo 'tls = openssl partial-chain'; } > "$tmp/profiles/other.profile"
port=9
boot root-x1 "$tmp/dev/other" --profile "$tmp/profiles/other.profile" >/dev/null
expect_rc 1
expect_line '^rotsim: profile error=.*tls \\"openssl\\": this agent is built on bearssl'
expect_no_line '^rotsim: (connect|tls) '
{ cat "$PROFILES/root-x1.profile"; echo 'tls = openssl bogus'; } > "$tmp/profiles/bogus.profile"
AGENT=$ROTSIM_BUILD/bin/rotsim-agent-openssl
boot root-x1 "$tmp/dev/bogus" --profile "$tmp/profiles/bogus.profile" >/dev/null
expect_rc 1
expect_line '^rotsim: profile error=.*tls variant \\"bogus\\" \(want default partial-chain no-alt-chains\)'

make_firmware "$tmp/fw" 2 --payload-size 20000
declare -A ports
measured=$tmp/measured.tsv
printf '# case\tstack\toutcome\n' > "$measured"
while IFS=$'\t' read -r name profile chain when; do
	if [ -z "${ports[$chain]:-}" ]; then
		start_server "$chain" "$tmp/fw" >/dev/null
		ports[$chain]=$port
	fi
	port=${ports[$chain]}
	run_configs "$name" "$profile" "$when" > "$tmp/configs" || exit 1
	while IFS=$'\t' read -r c got; do
		printf '%s\t%s\t%s\n' "$name" "$c" "$got" >> "$measured"
	done < "$tmp/configs"
done < <(grep -v '^#' "$CASES")

if [ -n "${STACKS_RECORD:-}" ]; then
	cp "$measured" "$STACKS_RECORD"
	cat "$measured"
	exit 0
fi

# What holds on every stack, whatever the table says.
want() {
	local name=$1 pat=$2 except=${3:-}
	awk -F'\t' -v n="$name" -v x="$except" '$1 == n && $2 != x { print $2 "\t" $3 }' "$measured" |
	while IFS=$'\t' read -r c o; do
		[[ $o =~ $pat ]] || { echo "FAIL: $name on $c: $o, want /$pat/"; exit 1; }
	done
}
want update-r10 '^updated$'
want update-r3 '^updated$'
want pin-r3-under-r10 '^rejected '
want pin-leaf-under-r3 '^updated$'
want pin-leaf-under-r10 '^rejected '
want rogue-root-x1 '^rejected '
want rogue-insecure '^updated$'
want e5-roots-x1-x2 '^updated$'
want e5-root-x1 '^rejected '
# Dates: every stack refuses an expired or not-yet-valid leaf at the device's
# time, except the build that checks no date at all (its whole point).
want expired-leaf '^rejected ' mbedtls/no-time-date
want not-yet-valid-leaf '^rejected ' mbedtls/no-time-date
grep -q $'^expired-leaf\tmbedtls/no-time-date\tupdated$' "$measured" ||
	{ echo "FAIL: mbedtls/no-time-date checked a date"; exit 1; }
grep -q $'^expired-leaf\tbearssl\trejected BR_ERR_X509_EXPIRED 54$' "$measured" ||
	{ echo "FAIL: bearssl did not refuse the expired leaf with BR_ERR_X509_EXPIRED"; exit 1; }
for c in $CONFIGS; do
	[ "$c" = mbedtls/no-time-date ] && continue
	grep -q '^rotsim: tls result=failed .*class=expired' "$tmp/console.expired-leaf.${c//\//.}.log" ||
		[ "$c" = bearssl ] || { echo "FAIL: expired-leaf on $c: not class=expired"; exit 1; }
done

# The table.
compare_table "$TABLE" "$measured"
echo ok
