#!/usr/bin/env bash
# Every certificate of the mirror shows, in three decoders that rotsim did not write
# (`openssl x509 -text`, `openssl asn1parse`, GnuTLS `certtool -i`), the fields its
# section of scenarios/pki/letsencrypt.pki writes: subject and issuer DN, serial, dates,
# key type, signature algorithm, basicConstraints and pathLen, keyUsage, extKeyUsage and
# subjectAltName. DN strings must be PrintableString where the real certificates use it
# (all of the mirror's names), and UTF8String only where a character needs it
# (strings.pki). Dates must be UTCTime before 2050 and GeneralizedTime from 2050.
set -u
. "$(dirname "$0")/lib.sh"
need openssl certtool
scratch_dir
out=$SCRATCH/mirror
build_mirror "$out"

fails=0 checks=0
check() { # check WHAT GOT WANT
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		echo "FAIL $cur: $1: got \"$2\", want \"$3\""
		fails=$((fails + 1))
	fi
}

declare -A SUBJ KEY
while IFS='|' read -r id kind subject key rest; do
	SUBJ[$id]=$subject KEY[$id]=$key
done < <(pki_table "$PKI_FILE")

# Names as the decoders print them.
ku_name() {
	case $1 in
	digitalSignature) echo "Digital Signature" ;; nonRepudiation) echo "Non Repudiation" ;;
	keyEncipherment) echo "Key Encipherment" ;; dataEncipherment) echo "Data Encipherment" ;;
	keyAgreement) echo "Key Agreement" ;; keyCertSign) echo "Certificate Sign" ;;
	cRLSign) echo "CRL Sign" ;; *) echo "?$1" ;;
	esac
}
eku_name() {
	case $1 in
	serverAuth) echo "TLS Web Server Authentication" ;; clientAuth) echo "TLS Web Client Authentication" ;;
	codeSigning) echo "Code Signing" ;; emailProtection) echo "E-mail Protection" ;;
	timeStamping) echo "Time Stamping" ;; OCSPSigning) echo "OCSP Signing" ;; *) echo "?$1" ;;
	esac
}
# "a, b, c" -> mapped names joined by ", "
map_list() {
	local fn=$1 list=$2 item outl=
	IFS=',' read -ra items <<<"$list"
	for item in "${items[@]}"; do
		item=${item#"${item%%[![:space:]]*}"}; item=${item%"${item##*[![:space:]]}"}
		outl="${outl:+$outl, }$($fn "$item")"
	done
	echo "$outl"
}
# The DN reversed, as certtool prints it: "CN=R3,O=Let's Encrypt,C=US".
dn_rev() { awk -F', ' '{ s = $NF; for (i = NF - 1; i >= 1; i--) s = s "," $i; print s }' <<<"$1"; }
# A decoder's date to "YYYY-MM-DD HH:MM:SS".
norm_date() { date -u -d "$1" '+%Y-%m-%d %H:%M:%S'; }
key_text() {
	case $1 in
	rsa2048) echo "Public-Key: (2048 bit)" ;; rsa3072) echo "Public-Key: (3072 bit)" ;;
	rsa4096) echo "Public-Key: (4096 bit)" ;; p256) echo "NIST CURVE: P-256" ;;
	p384) echo "NIST CURVE: P-384" ;;
	esac
}

n=0
while IFS='|' read -r id kind subject key issuer _of nb na serial pathlen ku eku san hash; do
	cur=$id n=$((n + 1))
	pem=$out/$id.crt.pem
	[ -f "$pem" ] || { echo "FAIL $id: no $pem"; fails=$((fails + 1)); continue; }
	text=$(openssl x509 -in "$pem" -noout -text)
	o() { openssl x509 -in "$pem" -noout -nameopt sep_comma_plus_space "$@" 2>/dev/null; }

	# Subject and issuer, exactly as written (issuer: the issuer's subject).
	check subject "$(o -subject)" "subject=$subject"
	if [ "$kind" = root ]; then want_issuer=$subject; else want_issuer=${SUBJ[$issuer]}; fi
	check issuer "$(o -issuer)" "issuer=$want_issuer"
	ct=$(certtool -i --infile "$pem")
	check "certtool subject" "$(sed -n 's/^\tSubject: //p' <<<"$ct")" "$(dn_rev "$subject")"
	check "certtool issuer" "$(sed -n 's/^\tIssuer: //p' <<<"$ct")" "$(dn_rev "$want_issuer")"

	# Serial, when the file sets one.
	if [ -n "$serial" ]; then
		want=$(tr -d ':' <<<"$serial" | tr a-f A-F | sed 's/^0*//')
		check serial "$(o -serial | sed 's/^serial=0*/serial=/')" "serial=$want"
		got=$(sed -n 's/^\tSerial Number (hex): //p' <<<"$ct" | sed 's/^0*//' | tr a-f A-F)
		check "certtool serial" "$got" "$want"
	fi

	# Validity to the second; +N<unit> counted from not-before.
	want_nb=$(norm_date "$nb")
	case $na in
	+*d) want_na=$(date -u -d "$nb UTC + ${na:1:-1} days" '+%Y-%m-%d %H:%M:%S') ;;
	+*) echo "FAIL $id: fields.sh reads only +Nd durations ($na)"; fails=$((fails + 1)); want_na= ;;
	*) want_na=$(norm_date "$na") ;;
	esac
	check not-before "$(norm_date "$(o -startdate | cut -d= -f2)")" "$want_nb"
	check not-after "$(norm_date "$(o -enddate | cut -d= -f2)")" "$want_na"
	check "certtool not-before" "$(norm_date "$(sed -n 's/^\t\tNot Before: //p' <<<"$ct")")" "$want_nb"
	check "certtool not-after" "$(norm_date "$(sed -n 's/^\t\tNot After: //p' <<<"$ct")")" "$want_na"

	# Key type.
	grep -qF "$(key_text "$key")" <<<"$text"
	check "key type $key" "$?" 0

	# Signature algorithm: the file's hash, else sha384 under a P-384 issuer key.
	if [ "$kind" = root ]; then ikey=$key
	elif [ -n "${KEY[$issuer]:-}" ]; then ikey=${KEY[$issuer]}
	else ikey=; fi
	h=${hash:-sha256}
	[ -z "$hash" ] && [ "$ikey" = p384 ] && h=sha384
	case $ikey in
	rsa*) want_sig="${h}WithRSAEncryption" ;;
	*) want_sig="ecdsa-with-$(tr a-z A-Z <<<"$h")" ;;
	esac
	check signature "$(sed -n 's/^ *Signature Algorithm: //p' <<<"$text" | head -n1)" "$want_sig"

	# basicConstraints and pathLen.
	bc=$(o -ext basicConstraints | sed -n '2p' | sed 's/^ *//')
	if [ "$kind" = leaf ]; then
		check basicConstraints "$bc" "CA:FALSE"
	else
		want="CA:TRUE"
		[ -n "$pathlen" ] && [ "$pathlen" != none ] && want="CA:TRUE, pathlen:$pathlen"
		check basicConstraints "$bc" "$want"
		if [ -n "$pathlen" ] && [ "$pathlen" != none ]; then
			check "certtool pathlen" "$(sed -n 's/^\t\t\tPath Length Constraint: //p' <<<"$ct")" "$pathlen"
		fi
	fi

	# keyUsage (critical) and extKeyUsage, in the order written.
	if [ -z "$ku" ]; then
		case $kind in
		leaf) ku=digitalSignature; case $key in rsa*) ku="$ku, keyEncipherment" ;; esac ;;
		*) ku="digitalSignature, keyCertSign, cRLSign" ;;
		esac
	fi
	check "keyUsage critical" "$(o -ext keyUsage | head -n1 | sed 's/ *$//')" "X509v3 Key Usage: critical"
	check keyUsage "$(o -ext keyUsage | sed -n '2p' | sed 's/^ *//')" "$(map_list ku_name "$ku")"
	[ -z "$eku" ] && [ "$kind" = leaf ] && eku="serverAuth, clientAuth"
	if [ -n "$eku" ] && [ "$eku" != none ]; then
		check extKeyUsage "$(o -ext extendedKeyUsage | sed -n '2p' | sed 's/^ *//')" "$(map_list eku_name "$eku")"
	else
		check "no extKeyUsage" "$(o -ext extendedKeyUsage)" ""
	fi

	# subjectAltName.
	if [ -n "$san" ]; then
		want=$(sed -e 's/dns:/DNS:/g' -e 's/ip:/IP Address:/g' <<<"$san")
		check subjectAltName "$(o -ext subjectAltName | sed -n '2p' | sed 's/^ *//')" "$want"
		grep -q "DNSname: ${san#dns:}" <<<"$ct"
		check "certtool SAN" "$?" 0
	fi

	# String and time types in the DER: every DN value of the mirror is PrintableString,
	# as in the real certificates; two UTCTimes (all dates are before 2050).
	asn=$(openssl asn1parse -in "$pem")
	check "UTF8String count" "$(grep -c 'UTF8STRING' <<<"$asn")" 0
	want=$(( $(awk -F', ' '{ print NF }' <<<"$subject") + $(awk -F', ' '{ print NF }' <<<"$want_issuer") ))
	check "PrintableString count" "$(grep -c 'PRINTABLESTRING' <<<"$asn")" "$want"
	check "UTCTime count" "$(grep -c 'UTCTIME' <<<"$asn")" 2
done < <(pki_table "$PKI_FILE")
[ $n -ge 30 ] || { echo "FAIL: only $n certificates read from $PKI_FILE"; fails=$((fails + 1)); }

# String and time types where they differ: strings.pki.
cur=strings.pki
"$ROTSIM" pki "$TESTS_DIR/strings.pki" --out "$SCRATCH/strings" --seed "$SEED" \
	--cache "$ROTSIM_TEST_CACHE" 2>/dev/null || { echo "FAIL: rotsim pki strings.pki"; exit 1; }
asn=$(openssl asn1parse -in "$SCRATCH/strings/utf8-root.crt.pem")
# Subject and issuer: C and CN PrintableString, O (with an e-acute) UTF8String.
check "utf8-root UTF8String" "$(grep -c 'UTF8STRING *:Société Exemple' <<<"$asn")" 2
check "utf8-root PrintableString" "$(grep -c 'PRINTABLESTRING' <<<"$asn")" 4
check "utf8-root subject" "$(openssl x509 -in "$SCRATCH/strings/utf8-root.crt.pem" -noout -subject \
	-nameopt sep_comma_plus_space,utf8,-esc_msb)" "subject=C=FR, O=Société Exemple, CN=Racine Test"
# A '&' is not in PrintableString's alphabet either.
asn=$(openssl asn1parse -in "$SCRATCH/strings/amp-leaf.crt.pem")
check "amp-leaf UTF8String" "$(grep -c 'UTF8STRING *:Smith & Sons' <<<"$asn")" 1
# 2049-12-31 23:59:59 is the last UTCTime; 2050-01-01 the first GeneralizedTime.
check "amp-leaf times" "$(grep -Eo '(UTCTIME|GENERALIZEDTIME) *:[0-9Z]*' <<<"$asn" | tr -s ' ' | tr '\n' ';')" \
	"UTCTIME :491231235959Z;GENERALIZEDTIME :20500101000000Z;"

echo "$n certificates, $checks checks, $fails failures"
[ $fails -eq 0 ]
