#!/usr/bin/env bash
# The mirror's chains, checked by three validators that rotsim did not write:
# `openssl verify -attime`, GnuTLS `certtool --verify` and BearSSL's br_x509_minimal
# (bearverify). Each line of chains.txt names a chain, an anchor set, a date, a server
# name and what each validator must say; every validator runs on every line, so a
# disagreement between them shows as one line with a mismatch in one column.
#
# certtool 3.7 has no option for the verification time: it runs under faketime.
# openssl runs with -partial_chain (an anchor need not be self-signed, as for BearSSL's
# anchors and the pinning profiles) and -x509_strict.
set -u
. "$(dirname "$0")/lib.sh"
need openssl certtool faketime
[ -x "$BEARVERIFY" ] || die "$BEARVERIFY not built (make)"
scratch_dir
out=$SCRATCH/mirror
build_mirror "$out"

# chain_file SPEC: chains/leaf-r3 -> $out/chains/leaf-r3.pem; r3 -> $out/r3.crt.pem
chain_file() {
	case $1 in
	*/*) echo "$out/$1.pem" ;;
	*) echo "$out/$1.crt.pem" ;;
	esac
}

# Each validator prints one word: ok, or why it refused.
run_openssl() {
	local chain=$1 anchors=$2 epoch=$3 name=$4 untrusted=$SCRATCH/untrusted.pem leaf=$SCRATCH/leaf.pem o
	awk -v l="$leaf" -v u="$untrusted" 'BEGIN { f = l } { print > f } /^-----END/ { f = u }' "$chain"
	[ -f "$untrusted" ] || : >"$untrusted"
	local args=(-attime "$epoch" -partial_chain -x509_strict -CAfile "$anchors")
	[ -s "$untrusted" ] && args+=(-untrusted "$untrusted")
	[ "$name" != - ] && args+=(-verify_hostname "$name")
	o=$(openssl verify "${args[@]}" "$leaf" 2>&1)
	rm -f "$untrusted" "$leaf"
	if grep -q ': OK$' <<<"$o"; then echo ok; return; fi
	o=$(sed -n 's/^error \([0-9]*\) at.*/\1/p' <<<"$o" | head -n1)
	echo "${o:-fail}"
}

run_gnutls() {
	local chain=$1 anchors=$2 date=$3 name=$4 o
	local args=(--verify --verify-profile medium --load-ca-certificate "$anchors" --infile "$chain")
	[ "$name" != - ] && args+=(--verify-hostname "$name")
	o=$(faketime -f "$date" certtool "${args[@]}" 2>&1 \
		| sed -n 's/^Chain verification output: //p')
	case $o in
	Verified.*) echo ok ;;
	*"expired certificate"*) echo expired ;;
	*"not yet valid"*|*"not activated"*) echo not-yet-valid ;;
	*"issuer is unknown"*|*"signer not found"*|*"signer could not be found"*) echo not-trusted ;;
	*"hostname"*|*"does not match"*) echo bad-name ;;
	*"signature"*) echo bad-signature ;;
	"") echo no-output ;;
	*) echo "fail($(tr ' ' '_' <<<"$o"))" ;;
	esac
}

run_bearssl() {
	local chain=$1 anchors=$2 date=$3 name=$4 args=()
	[ "$name" != - ] && args+=(-n "$name")
	"$BEARVERIFY" "${args[@]}" "$anchors" "$chain" "$date" | cut -d' ' -f1
}

lines=0 bad=0
printf '%-28s %-10s %-19s | %-13s %-13s %-8s\n' chain anchors date openssl gnutls bearssl
while read -r chain anchors date name x_ossl x_gnutls x_bear rest; do
	case $chain in ''|'#'*) continue ;; esac
	[ -n "$x_bear" ] && [ -z "$rest" ] || die "chains.txt: bad line: $chain $anchors $date ..."
	cf=$(chain_file "$chain") af=$out/anchors/$anchors.pem
	[ -f "$cf" ] || die "no chain file $cf"
	[ -f "$af" ] || die "no anchor set $af"
	when=${date/T/ }
	[ ${#when} -eq 10 ] && when="$when 00:00:00"
	epoch=$(date -u -d "$when" +%s) || die "bad date $date"
	g_ossl=$(run_openssl "$cf" "$af" "$epoch" "$name")
	g_gnutls=$(run_gnutls "$cf" "$af" "$when" "$name")
	g_bear=$(run_bearssl "$cf" "$af" "$when" "$name")
	mark=
	[ "$g_ossl" = "$x_ossl" ] || mark="$mark openssl:want=$x_ossl"
	[ "$g_gnutls" = "$x_gnutls" ] || mark="$mark gnutls:want=$x_gnutls"
	[ "$g_bear" = "$x_bear" ] || mark="$mark bearssl:want=$x_bear"
	printf '%-28s %-10s %-19s | %-13s %-13s %-8s%s\n' "$chain" "$anchors" "$date" \
		"$g_ossl" "$g_gnutls" "$g_bear" "${mark:+   <-- MISMATCH$mark}"
	lines=$((lines + 1))
	[ -z "$mark" ] || bad=$((bad + 1))
done <"$TESTS_DIR/chains.txt"
[ $lines -ge 20 ] || die "only $lines cases read from chains.txt"
echo "$lines cases, $bad mismatches"
[ $bad -eq 0 ]
