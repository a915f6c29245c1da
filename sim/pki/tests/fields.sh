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

# Names as the decoders print them, into name.
ku_name() {
	case $1 in
	digitalSignature) name="Digital Signature" ;; nonRepudiation) name="Non Repudiation" ;;
	keyEncipherment) name="Key Encipherment" ;; dataEncipherment) name="Data Encipherment" ;;
	keyAgreement) name="Key Agreement" ;; keyCertSign) name="Certificate Sign" ;;
	cRLSign) name="CRL Sign" ;; *) name="?$1" ;;
	esac
}
eku_name() {
	case $1 in
	serverAuth) name="TLS Web Server Authentication" ;; clientAuth) name="TLS Web Client Authentication" ;;
	codeSigning) name="Code Signing" ;; emailProtection) name="E-mail Protection" ;;
	timeStamping) name="Time Stamping" ;; OCSPSigning) name="OCSP Signing" ;; *) name="?$1" ;;
	esac
}
# "a, b, c" -> mapped names joined by ", ", into list.
map_list() {
	local fn=$1 item items name
	list=
	IFS=',' read -ra items <<<"$2"
	for item in "${items[@]}"; do
		item=${item#"${item%%[![:space:]]*}"}; item=${item%"${item##*[![:space:]]}"}
		$fn "$item"
		list="${list:+$list, }$name"
	done
}
# A DN's attributes ("C=US, O=Let's Encrypt, CN=R3"): their number into nattr
# and, reversed as certtool prints them ("CN=R3,O=Let's Encrypt,C=US"), into rev.
dn_rev() {
	local rest=$1 parts=() i
	rev= nattr=0
	[ -n "$rest" ] || return 0
	while [[ $rest == *", "* ]]; do
		parts+=("${rest%%, *}")
		rest=${rest#*, }
	done
	parts+=("$rest")
	nattr=${#parts[@]}
	rev=${parts[nattr - 1]}
	for ((i = nattr - 2; i >= 0; i--)); do rev+=",${parts[i]}"; done
}
# Dates to "YYYY-MM-DD HH:MM:SS", into the array dates in the order given:
# one date process for all (when it cannot read one of them, one each, so
# that the one it cannot read comes out empty).
norm_dates() {
	local out d
	dates=()
	if out=$(printf '%s\n' "$@" | date -u -f - '+%Y-%m-%d %H:%M:%S' 2>/dev/null); then
		mapfile -t dates <<<"$out"
		[ ${#dates[@]} -eq $# ] && return 0
	fi
	dates=()
	for d in "$@"; do
		dates+=("$(date -u -d "$d" '+%Y-%m-%d %H:%M:%S' 2>/dev/null)")
	done
}
key_text() {
	case $1 in
	rsa2048) kt="Public-Key: (2048 bit)" ;; rsa3072) kt="Public-Key: (3072 bit)" ;;
	rsa4096) kt="Public-Key: (4096 bit)" ;; p256) kt="NIST CURVE: P-256" ;;
	p384) kt="NIST CURVE: P-384" ;; *) kt= ;;
	esac
}
# Line $2 into the variable named $1, after a newline when it already holds
# one (what `sed -n 's/^PREFIX//p'` prints for the lines with the prefix).
declare -A held=()
app() {
	if [ -n "${held[$1]:-}" ]; then
		printf -v "$1" '%s\n%s' "${!1}" "$2"
	else
		printf -v "$1" '%s' "$2"
		held[$1]=1
	fi
}
declare -A ext_text=() ext_head=() ext_val=()

# Each certificate: four decoder runs (openssl x509 -text, openssl x509 for
# the fields, certtool -i, openssl asn1parse) and one date, the rest read in
# bash: 35 certificates, some 700 checks.
n=0
while IFS='|' read -r id kind subject key issuer _of nb na serial pathlen ku eku san hash; do
	cur=$id n=$((n + 1))
	pem=$out/$id.crt.pem
	[ -f "$pem" ] || { echo "FAIL $id: no $pem"; fails=$((fails + 1)); continue; }
	text=$(openssl x509 -in "$pem" -noout -text)
	# What `openssl x509 -nameopt sep_comma_plus_space -subject` (-issuer,
	# -serial, -startdate, -enddate, -ext NAME) prints, each from one run:
	# o_subject ... and, per extension, its lines (ext_text), first line
	# (ext_head) and second line without its indent (ext_val).
	fields=$(openssl x509 -in "$pem" -noout -nameopt sep_comma_plus_space -subject -issuer \
		-serial -startdate -enddate -ext basicConstraints,keyUsage,extendedKeyUsage,subjectAltName \
		2>/dev/null)
	held=() ext_text=() ext_head=() ext_val=() e=
	o_subject= o_issuer= o_serial= o_start= o_end=
	while IFS= read -r line; do
		case $line in
		subject=*) app o_subject "$line"; e= ;;
		issuer=*) app o_issuer "$line"; e= ;;
		serial=*) app o_serial "$line"; e= ;;
		notBefore=*) app o_start "$line"; e= ;;
		notAfter=*) app o_end "$line"; e= ;;
		"X509v3 Basic Constraints:"*) e=basicConstraints ;;
		"X509v3 Key Usage:"*) e=keyUsage ;;
		"X509v3 Extended Key Usage:"*) e=extendedKeyUsage ;;
		"X509v3 Subject Alternative Name:"*) e=subjectAltName ;;
		esac
		[ -n "$e" ] || continue
		if [ -z "${ext_head[$e]+set}" ]; then
			ext_head[$e]=$line ext_text[$e]=$line
		else
			[ -n "${ext_val[$e]+set}" ] || ext_val[$e]=${line#"${line%%[! ]*}"}
			ext_text[$e]+=$'\n'$line
		fi
	done <<<"$fields"
	ct=$(certtool -i --infile "$pem")
	ct_subject= ct_issuer= ct_serial= ct_nb= ct_na= ct_pathlen=
	while IFS= read -r line; do
		case $line in
		$'\t'"Subject: "*) app ct_subject "${line#$'\t'Subject: }" ;;
		$'\t'"Issuer: "*) app ct_issuer "${line#$'\t'Issuer: }" ;;
		$'\t'"Serial Number (hex): "*) app ct_serial "${line#$'\t'Serial Number (hex): }" ;;
		$'\t\t'"Not Before: "*) app ct_nb "${line#$'\t\t'Not Before: }" ;;
		$'\t\t'"Not After: "*) app ct_na "${line#$'\t\t'Not After: }" ;;
		$'\t\t\t'"Path Length Constraint: "*) app ct_pathlen "${line#$'\t\t\t'Path Length Constraint: }" ;;
		esac
	done <<<"$ct"

	# Subject and issuer, exactly as written (issuer: the issuer's subject).
	check subject "$o_subject" "subject=$subject"
	if [ "$kind" = root ]; then want_issuer=$subject; else want_issuer=${SUBJ[$issuer]}; fi
	check issuer "$o_issuer" "issuer=$want_issuer"
	dn_rev "$subject"; nsubj=$nattr
	check "certtool subject" "$ct_subject" "$rev"
	dn_rev "$want_issuer"; niss=$nattr
	check "certtool issuer" "$ct_issuer" "$rev"

	# Serial, when the file sets one: hex digits, upper case, no leading zeros.
	if [ -n "$serial" ]; then
		want=${serial//:/}
		want=${want^^[a-f]}
		while [[ $want == 0* ]]; do want=${want#0}; done
		got=$o_serial
		if [[ $got == serial=* ]]; then
			got=${got#serial=}
			while [[ $got == 0* ]]; do got=${got#0}; done
			got=serial=$got
		fi
		check serial "$got" "serial=$want"
		got=$ct_serial
		while [[ $got == 0* ]]; do got=${got#0}; done
		check "certtool serial" "${got^^[a-f]}" "$want"
	fi

	# Validity to the second; +N<unit> counted from not-before.
	# The date after "notBefore=" (cut -d= -f2).
	start=${o_start#*=} end=${o_end#*=}
	start=${start%%=*} end=${end%%=*}
	case $na in
	+*d) na_expr="$nb UTC + ${na:1:-1} days" ;;
	+*) echo "FAIL $id: fields.sh reads only +Nd durations ($na)"; fails=$((fails + 1)); na_expr= ;;
	*) na_expr=$na ;;
	esac
	norm_dates "$nb" "$na_expr" "$start" "$end" "$ct_nb" "$ct_na"
	want_nb=${dates[0]} want_na=${dates[1]}
	[ -n "$na_expr" ] || want_na=
	check not-before "${dates[2]}" "$want_nb"
	check not-after "${dates[3]}" "$want_na"
	check "certtool not-before" "${dates[4]}" "$want_nb"
	check "certtool not-after" "${dates[5]}" "$want_na"

	# Key type.
	key_text "$key"
	[[ $text == *"$kt"* ]]
	check "key type $key" "$?" 0

	# Signature algorithm: the file's hash, else sha384 under a P-384 issuer key.
	if [ "$kind" = root ]; then ikey=$key
	elif [ -n "${KEY[$issuer]:-}" ]; then ikey=${KEY[$issuer]}
	else ikey=; fi
	h=${hash:-sha256}
	[ -z "$hash" ] && [ "$ikey" = p384 ] && h=sha384
	case $ikey in
	rsa*) want_sig="${h}WithRSAEncryption" ;;
	*) want_sig="ecdsa-with-${h^^}" ;;
	esac
	got=
	while IFS= read -r line; do
		if [[ $line =~ ^\ *Signature\ Algorithm:\  ]]; then
			got=${line#"${BASH_REMATCH[0]}"}
			break
		fi
	done <<<"$text"
	check signature "$got" "$want_sig"

	# basicConstraints and pathLen.
	bc=${ext_val[basicConstraints]-}
	if [ "$kind" = leaf ]; then
		check basicConstraints "$bc" "CA:FALSE"
	else
		want="CA:TRUE"
		[ -n "$pathlen" ] && [ "$pathlen" != none ] && want="CA:TRUE, pathlen:$pathlen"
		check basicConstraints "$bc" "$want"
		if [ -n "$pathlen" ] && [ "$pathlen" != none ]; then
			check "certtool pathlen" "$ct_pathlen" "$pathlen"
		fi
	fi

	# keyUsage (critical) and extKeyUsage, in the order written.
	if [ -z "$ku" ]; then
		case $kind in
		leaf) ku=digitalSignature; case $key in rsa*) ku="$ku, keyEncipherment" ;; esac ;;
		*) ku="digitalSignature, keyCertSign, cRLSign" ;;
		esac
	fi
	got=${ext_head[keyUsage]-}
	check "keyUsage critical" "${got%"${got##*[! ]}"}" "X509v3 Key Usage: critical"
	map_list ku_name "$ku"
	check keyUsage "${ext_val[keyUsage]-}" "$list"
	[ -z "$eku" ] && [ "$kind" = leaf ] && eku="serverAuth, clientAuth"
	if [ -n "$eku" ] && [ "$eku" != none ]; then
		map_list eku_name "$eku"
		check extKeyUsage "${ext_val[extendedKeyUsage]-}" "$list"
	else
		check "no extKeyUsage" "${ext_text[extendedKeyUsage]-}" ""
	fi

	# subjectAltName.
	if [ -n "$san" ]; then
		want=${san//dns:/DNS:}
		want=${want//ip:/IP Address:}
		check subjectAltName "${ext_val[subjectAltName]-}" "$want"
		[[ $ct == *"DNSname: ${san#dns:}"* ]]
		check "certtool SAN" "$?" 0
	fi

	# String and time types in the DER: every DN value of the mirror is PrintableString,
	# as in the real certificates; two UTCTimes (all dates are before 2050).
	asn=$(openssl asn1parse -in "$pem")
	n_utf8=0 n_printable=0 n_utctime=0
	while IFS= read -r line; do
		[[ $line == *UTF8STRING* ]] && n_utf8=$((n_utf8 + 1))
		[[ $line == *PRINTABLESTRING* ]] && n_printable=$((n_printable + 1))
		[[ $line == *UTCTIME* ]] && n_utctime=$((n_utctime + 1))
	done <<<"$asn"
	check "UTF8String count" "$n_utf8" 0
	check "PrintableString count" "$n_printable" "$((nsubj + niss))"
	check "UTCTime count" "$n_utctime" 2
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
