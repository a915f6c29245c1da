#!/usr/bin/env bash
# The scenarios that show TLS-stack differences (scenarios/stack-*.scn), run
# phase by phase on every stack and variant of the agent directly: rotsim
# serve with the phase's chain, the native agent with the device's profile
# (plus "tls = STACK [VARIANT]") and its clock at the phase's date, a fresh
# flash each time. No harness: this is the evidence the scenarios'
# expectations rest on.
#
# For every phase, device and stack id, the outcome must
#  - match the scenario's expectation as the harness resolves it
#    (expect.DEVICE@STACK-VARIANT, then expect.DEVICE@STACK, then
#    expect.DEVICE, then expect): "updated" and "insecure" need an install
#    (the device accepted the chain; "insecure" says it must not have),
#    "rejected" a refused handshake;
#  - equal its row in stacks-scn.tsv, the library's own error name and number
#    included.
# STACKS_RECORD=FILE writes the measured table to FILE instead of comparing
# it. The scenarios use scenarios/pki/stack-zoo.pki and nothing else: a
# phase key this runner does not reproduce (faults, rtc, power, ...) or a PKI
# section of the scenario's own is refused.
top=$(cd "$(dirname "$0")/../../.." && pwd)
FW_TEST_PKI=$top/scenarios/pki/stack-zoo.pki
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stacks-common.sh"
TABLE=$ROTSIM_TOP/targets/firmware/tests/stacks-scn.tsv
check_agents

# expected FACTS PHASE DEVICE CONFIG: the expectation the harness would use.
expected() {
	local facts=$1 ph=$2 dev=$3 id k o
	id=$(stack_id "$4")
	for k in "expect.$dev@$id" "expect.$dev@${id%%-*}" "expect.$dev" expect; do
		[ "$k" = "expect.$dev@bearssl" ] && continue
		o=$(awk -F'\t' -v p="$ph" -v k="$k" '$1 == "expect" && $2 == p && $3 == k { print $4; exit }' "$facts")
		[ -n "$o" ] && { echo "$o"; return; }
	done
	echo none
}

make_firmware "$tmp/fw" 2 --payload-size 20000
declare -A ports
measured=$tmp/measured.tsv
printf '# scenario/phase\tdevice\tstack\toutcome\n' > "$measured"
nscn=0 nchecked=0 nfail=0
for scn in "$ROTSIM_TOP"/scenarios/stack-*.scn; do
	nscn=$((nscn + 1))
	name=$(basename "$scn" .scn)
	facts=$tmp/$name.facts
	parse_scn "$scn" > "$facts" || exit 1
	[ "$(awk -F'\t' '$1 == "pki" { print $2 }' "$facts")" = pki/stack-zoo.pki ] ||
		{ echo "FAIL: $scn: pki is not pki/stack-zoo.pki"; exit 1; }
	devices=$(awk -F'\t' '$1 == "devices" { print $2 }' "$facts" | tr ',' ' ')
	[ -n "$devices" ] || { echo "FAIL: $scn: no devices"; exit 1; }
	grep -q '^tags *=.*\bstacks\b' "$scn" || { echo "FAIL: $scn: not tagged stacks"; exit 1; }
	while IFS=$'\t' read -r _ ph when chain; do
		[ -n "$when" ] && [ -n "$chain" ] ||
			{ echo "FAIL: $scn: phase $ph needs a date and a chain"; exit 1; }
		if [ -z "${ports[$chain]:-}" ]; then
			start_server "$chain" "$tmp/fw" >/dev/null
			ports[$chain]=$port
		fi
		port=${ports[$chain]}
		for dev in $devices; do
			run_configs "$name.$ph.$dev" "$dev" "$when" > "$tmp/configs" || exit 1
			while IFS=$'\t' read -r c got; do
				printf '%s/%s\t%s\t%s\t%s\n' "$name" "$ph" "$dev" "$c" "$got" >> "$measured"
				want=$(expected "$facts" "$ph" "$dev" "$c")
				case $want in
				updated | insecure) [ "$got" = updated ] ;;
				rejected) [[ $got == rejected\ * ]] ;;
				current) [ "$got" = current ] ;;
				*) false ;;
				esac || { echo "FAIL: $name/$ph $dev on $c: $got, scenario expects $want"
					nfail=$((nfail + 1)); }
				nchecked=$((nchecked + 1))
			done < "$tmp/configs"
		done
	done < <(grep '^phase' "$facts")
done
[ "$nscn" -gt 0 ] || { echo "FAIL: no scenarios/stack-*.scn"; exit 1; }
if [ -n "${STACKS_RECORD:-}" ]; then
	cp "$measured" "$STACKS_RECORD"
	cat "$measured"
fi
[ "$nfail" -eq 0 ] || { echo "FAIL: $nfail of $nchecked expectations do not hold"; exit 1; }
echo "$nchecked expectations of $nscn scenarios hold on every stack"
[ -z "${STACKS_RECORD:-}" ] || exit 0
compare_table "$TABLE" "$measured"
echo ok
