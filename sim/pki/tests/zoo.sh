#!/usr/bin/env bash
# The shapes that show TLS-stack differences, as scenarios/pki/stack-zoo.pki
# writes them, read back with `openssl x509` (a decoder rotsim did not
# write): each case of the stack scenarios is what its section says.
#  - a cross-sign beside a valid root: the cross carries X1's subject and
#    key, DST's name as issuer, and expires before the leaf is issued;
#  - chain variants: the wrong order and an unrelated CA after or before the
#    issuer are sent exactly in the order written, and the stranger issued
#    nothing in the chain;
#  - an expired anchor: the root expires before its issuing CA and the leaf;
#  - a leaf whose CN is the host but whose SAN names another host only;
#  - a pathLen 0 CA above another CA; a CA whose EKU is clientAuth only.
set -u
. "$(dirname "$0")/lib.sh"
need openssl
scratch_dir
out=$SCRATCH/zoo
"$ROTSIM" pki "$ROTSIM_TOP/scenarios/pki/stack-zoo.pki" --out "$out" --seed "$SEED" \
	--cache "$ROTSIM_TEST_CACHE" 2>"$SCRATCH/log" || { cat "$SCRATCH/log"; die "rotsim pki stack-zoo.pki"; }

fails=0 checks=0
check() { # check WHAT GOT WANT
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		echo "FAIL $1: got \"$2\", want \"$3\""
		fails=$((fails + 1))
	fi
}
field() { openssl x509 -noout -in "$out/$1.crt.pem" "-$2" -nameopt RFC2253 | sed 's/^[a-zA-Z]*= *//'; }
date_of() { date -u -d "$(openssl x509 -noout -in "$out/$1.crt.pem" "-$2" | sed 's/^[a-zA-Z]*=//')" +%s; }
text() { openssl x509 -noout -text -in "$out/$1.crt.pem"; }
ext_line() { text "$1" | grep -A1 "X509v3 $2" | tail -n 1 | sed 's/^ *//'; }
spki() { openssl x509 -noout -pubkey -in "$1" | sha256sum | cut -c1-64; }
# subjects CHAIN: the subject CN of every certificate of chains/CHAIN.pem, in order.
subjects() {
	local f=$out/chains/$1.pem
	openssl crl2pkcs7 -nocrl -certfile "$f" | openssl pkcs7 -print_certs -noout |
		sed -n 's/^subject=.*CN *= *\(.*\)$/\1/p' | paste -sd '|'
}

# A cross-sign beside a valid root.
check "cross subject" "$(field isrg-root-x1-by-dst subject)" "$(field isrg-root-x1 subject)"
check "cross issuer" "$(field isrg-root-x1-by-dst issuer)" "$(field dst-root-x3 subject)"
check "cross key" "$(spki "$out/isrg-root-x1-by-dst.crt.pem")" "$(spki "$out/isrg-root-x1.crt.pem")"
check "cross expired before the late leaf" \
	"$(( $(date_of isrg-root-x1-by-dst enddate) < $(date_of leaf-r10-late startdate) ))" 1
check "late leaf chain" "$(subjects leaf-r10-late)" "updates.rotsim.test|R10|ISRG Root X1"
check "late leaf short chain" "$(subjects leaf-r10-late.short)" "updates.rotsim.test|R10"

# Chains in the order written.
check "long chain" "$(subjects leaf-r3.long)" "updates.rotsim.test|R3|ISRG Root X1"
check "wrong order" "$(subjects leaf-r3.wrong)" "updates.rotsim.test|ISRG Root X1|R3"
check "stale" "$(subjects leaf-r3.stale)" "updates.rotsim.test|R3|Example Unrelated Root CA"
check "stray" "$(subjects leaf-r3.stray)" "updates.rotsim.test|Example Unrelated Root CA|R3"
# The stranger is self-issued and issues nothing in the file.
check "unrelated issuer" "$(field other-ca issuer)" "$(field other-ca subject)"
for f in "$out"/*.crt.pem; do
	id=$(basename "$f" .crt.pem)
	[ "$id" = other-ca ] && continue
	[ "$(field "$id" issuer)" = "$(field other-ca subject)" ] &&
		check "issued by the unrelated CA" "$id" "none"
done

# An anchor that is itself expired: only the root, at the leaf's time.
check "dst root expired before the leaf" \
	"$(( $(date_of dst-root-x3 enddate) < $(date_of leaf-dst-2023 startdate) ))" 1
check "issuing CA outlives its root" \
	"$(( $(date_of dst-issuing-ca enddate) > $(date_of leaf-dst-2023 enddate) ))" 1
check "issuing CA issuer" "$(field dst-issuing-ca issuer)" "$(field dst-root-x3 subject)"

# CN for the host, SAN for another.
check "cn-only subject" "$(field leaf-cn-only subject)" "CN=updates.rotsim.test"
check "cn-only SAN" "$(ext_line leaf-cn-only 'Subject Alternative Name')" "DNS:www.rotsim.test"

# Path length and EKU constraints.
check "pl0 constraint" "$(ext_line r10-pl0 'Basic Constraints')" "CA:TRUE, pathlen:0"
check "sub CA" "$(ext_line sub-of-pl0 'Basic Constraints')" "CA:TRUE"
check "sub CA issuer" "$(field sub-of-pl0 issuer)" "$(field r10-pl0 subject)"
check "pathlen chain" "$(subjects leaf-pathlen)" "updates.rotsim.test|Example Sub CA|Example Issuing CA PL0"
check "client-only CA EKU" "$(ext_line client-only-ca 'Extended Key Usage')" "TLS Web Client Authentication"
check "eku leaf EKU" "$(ext_line leaf-eku 'Extended Key Usage')" \
	"TLS Web Server Authentication, TLS Web Client Authentication"
check "eku leaf issuer" "$(field leaf-eku issuer)" "$(field client-only-ca subject)"

# The anchor sets the profiles name.
check "x1-only" "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$out/anchors/x1-only.pem" | sed 's/^subject=//')" \
	"$(field isrg-root-x1 subject)"
check "dst-only" "$(openssl x509 -noout -subject -nameopt RFC2253 -in "$out/anchors/dst-only.pem" | sed 's/^subject=//')" \
	"$(field dst-root-x3 subject)"

echo "$checks checks, $fails failed"
[ "$fails" -eq 0 ] || exit 1
[ "$checks" -ge 25 ] || die "only $checks checks ran"
echo ok
