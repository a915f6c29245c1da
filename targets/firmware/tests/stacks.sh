#!/usr/bin/env bash
# Every TLS stack of the agent (rotsim-agent and rotsim-agent-STACK, with the
# variants each names) against the same chains from rotsim serve: the update
# across R3 -> R10 with root-x1, pin-r3 refused after the renewal, a rogue
# chain refused, an expired and a not-yet-valid leaf refused at the device's
# time, and the chains where stacks part ways (the DST Root CA X3 expiry with
# the long chain, an expired cross-sign beside a valid root, the wrong order,
# an intermediate as the only anchor).
#
# Each outcome must equal its row in stacks.tsv (the measured table: case,
# stack[/variant], outcome). Some outcomes hold for every stack whatever the
# table says (an update goes through, a rogue chain is refused, ...). Where
# the stacks differ on a case, the library's own tool must agree with the
# device: `openssl verify -attime` for OpenSSL, `certtool --verify` under
# faketime for GnuTLS (mbedTLS's and wolfSSL's example programs are not
# packaged as programs in Debian 12).
#
# STACKS_RECORD=FILE writes the measured table to FILE instead of comparing.
FW_TEST_PKI=$(cd "$(dirname "$0")" && pwd)/stacks.pki
. "$(dirname "$0")/lib.sh"
TABLE=$ROTSIM_TOP/targets/firmware/tests/stacks.tsv
CONFIGS="bearssl mbedtls mbedtls/no-time-date wolfssl openssl openssl/partial-chain
	openssl/no-alt-chains gnutls gnutls/no-trusted-time-checks gnutls/strict-order"

# case profile chain device-time
CASES="update-r10 root-x1 leaf-r10 2024-07-01
update-r3 root-x1 leaf-r3 2024-07-01
pin-r3-under-r3 pin-r3 leaf-r3 2024-07-01
pin-r3-under-r10 pin-r3 leaf-r10 2024-07-01
pin-leaf-under-r3 pin-leaf leaf-r3 2024-07-01
pin-leaf-under-r10 pin-leaf leaf-r10 2024-07-01
rogue-root-x1 root-x1 leaf-rogue 2024-07-01
rogue-insecure insecure leaf-rogue 2024-07-01
e5-roots-x1-x2 roots-x1-x2 leaf-e5 2024-07-01
e5-root-x1 root-x1 leaf-e5 2024-07-01
expired-leaf root-x1 leaf-r10 2025-01-01
not-yet-valid-leaf no-rtc leaf-r10 2024-07-01
dst-expiry-long-root-x1 root-x1 leaf-r3-2021-09 2021-10-15
dst-expiry-long-legacy-dst legacy-dst leaf-r3-2021-09 2021-10-15
dst-expiry-wrong-order root-x1 leaf-r3-2021-09.wrong 2021-10-15
expired-cross-beside-root root-x1 leaf-r3-late 2024-11-01"

for c in $CONFIGS; do
	s=${c%%/*}
	a=$ROTSIM_BUILD/bin/rotsim-agent${s/#bearssl/}
	[ "$s" = bearssl ] || a=$ROTSIM_BUILD/bin/rotsim-agent-$s
	[ -x "$a" ] || { echo "FAIL: no $a"; exit 1; }
done

# profile_for PROFILE CONFIG: the profile with "tls = STACK [VARIANT]"
# (BearSSL keeps the profile as it is, as its devices do).
profile_for() {
	local p=$1 c=$2 s=${2%%/*} v=
	[ "$c" = "$s" ] || v=${c#*/}
	if [ "$s" = bearssl ]; then
		echo "$PROFILES/$p.profile"
		return
	fi
	local out=$tmp/profiles/$p.${c//\//.}.profile
	mkdir -p "$tmp/profiles"
	{ cat "$PROFILES/$p.profile"; echo "tls        = $s${v:+ $v}"; } > "$out"
	echo "$out"
}

# outcome: the boot's outcome from $rc and $console.
outcome() {
	local l
	case $rc in
	10) echo updated ;;
	0) echo current ;;
	3)
		l=$(grep -m1 '^rotsim: tls result=failed ' "$console") || { echo "rejected-not-tls"; return; }
		echo "rejected $(sed 's/.* err=\([^ ]*\) code=\([^ ]*\).*/\1 \2/' <<<"$l")" ;;
	*) echo "exit-$rc" ;;
	esac
}

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
while read -r name profile chain when; do
	if [ -z "${ports[$chain]:-}" ]; then
		start_server "$chain" "$tmp/fw" >/dev/null
		ports[$chain]=$port
	fi
	port=${ports[$chain]}
	for c in $CONFIGS; do
		s=${c%%/*}
		AGENT=$ROTSIM_BUILD/bin/rotsim-agent
		[ "$s" = bearssl ] || AGENT=$ROTSIM_BUILD/bin/rotsim-agent-$s
		boot "$profile" "$tmp/dev/$name.${c//\//.}" --rtc "$when" \
			--profile "$(profile_for "$profile" "$c")" --retries 0 >/dev/null
		if [ "$s" != bearssl ] && grep -q '^rotsim: tls result=failed ' "$console"; then
			grep -q "^rotsim: agent-start agent=rotsim-agent-$s .* tls=$s " "$console" ||
				{ echo "FAIL: $name $c: no agent-start with tls=$s"; cat "$console"; exit 1; }
			grep -q '^rotsim: tls result=failed .* class=[a-z]* ' "$console" ||
				{ echo "FAIL: $name $c: no class on the tls line"; cat "$console"; exit 1; }
		fi
		printf '%s\t%s\t%s\n' "$name" "$c" "$(outcome)" >> "$measured"
		cp "$console" "$tmp/console.$name.${c//\//.}.log"
	done
done <<<"$CASES"

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
grep -v '^#' "$TABLE" | sed '/^$/d' > "$tmp/want.tsv"
grep -v '^#' "$measured" > "$tmp/got.tsv"
diff -u "$tmp/want.tsv" "$tmp/got.tsv" || { echo "FAIL: outcomes differ from stacks.tsv"; exit 1; }

# The libraries' own tools, on every case where the stacks differ.
# device_time CASE CONFIG: the time the device believed (its clock line), as
# Unix seconds.
device_time() {
	date -u -d "$(sed -n 's/^rotsim: clock .*time=\([^ ]*\).*/\1/p' \
		"$tmp/console.$1.${2//\//.}.log")" +%s
}
anchors_of() { sed -n 's/^anchors *= *//p' "$PROFILES/$1.profile"; }
split_chain() {	# split_chain CHAIN: $tmp/cli/leaf.pem and untrusted.pem
	mkdir -p "$tmp/cli"
	awk -v d="$tmp/cli" '/BEGIN CERT/ { n++ } { print > (d "/" (n == 1 ? "leaf" : "untrusted") ".pem") }' \
		"$pki/chains/$1.pem"
	[ -f "$tmp/cli/untrusted.pem" ] || : > "$tmp/cli/untrusted.pem"
}
ndiff=0
while read -r name profile chain when; do
	n=$(awk -F'\t' -v n="$name" '$1 == n { split($3, a, " "); print a[1] }' "$measured" | sort -u | wc -l)
	[ "$n" -gt 1 ] || continue
	ndiff=$((ndiff + 1))
	set_name=$(anchors_of "$profile")
	[ -n "$set_name" ] || continue
	rm -rf "$tmp/cli"
	split_chain "$chain"
	for c in openssl openssl/partial-chain openssl/no-alt-chains; do
		flag=
		case $c in
		*/partial-chain) flag=-partial_chain ;;
		*/no-alt-chains) flag=-no_alt_chains ;;
		esac
		dev=$(awk -F'\t' -v n="$name" -v c="$c" '$1 == n && $2 == c { print $3 }' "$measured")
		cli=$(openssl verify -attime "$(device_time "$name" "$c")" $flag -verify_hostname updates.rotsim.test \
			-CAfile "$pki/anchors/$set_name.pem" -untrusted "$tmp/cli/untrusted.pem" \
			"$tmp/cli/leaf.pem" 2>&1) && ok=1 || ok=0
		code=$(sed -n 's/^error \([0-9]*\) at.*/\1/p' <<<"$cli" | head -n 1)
		echo "openssl verify $name $c: device '$dev', tool ok=$ok code=${code:-0}"
		if [ "$dev" = updated ]; then
			[ "$ok" = 1 ] || { echo "FAIL: openssl verify disagrees: $cli"; exit 1; }
		else
			[ "$ok" = 0 ] && [ "$dev" = "rejected $(awk -F'\t' -v n="$name" -v c="$c" \
				'$1 == n && $2 == c { split($3, a, " "); print a[2] }' "$measured") $code" ] ||
				{ echo "FAIL: openssl verify disagrees: $cli"; exit 1; }
		fi
	done
	dev=$(awk -F'\t' -v n="$name" '$1 == n && $2 == "gnutls" { print $3 }' "$measured")
	cli=$(TZ=UTC faketime "$(date -u -d "@$(device_time "$name" gnutls)" '+%Y-%m-%d %H:%M:%S')" certtool --verify --verify-hostname updates.rotsim.test \
		--load-ca-certificate "$pki/anchors/$set_name.pem" --infile "$pki/chains/$chain.pem" 2>&1) &&
		ok=1 || ok=0
	echo "certtool --verify $name gnutls: device '$dev', tool ok=$ok"
	if [ "$dev" = updated ]; then
		[ "$ok" = 1 ] || { echo "FAIL: certtool disagrees: $cli"; exit 1; }
	else
		[ "$ok" = 0 ] || { echo "FAIL: certtool disagrees: $cli"; exit 1; }
	fi
done <<<"$CASES"
[ "$ndiff" -gt 0 ] || { echo "FAIL: no case where the stacks differ"; exit 1; }
echo ok
