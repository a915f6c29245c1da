#!/usr/bin/env bash
# Build the hierarchy of a .pki file with the openssl command line, as someone without
# rotsim would: per certificate a fresh key (openssl genpkey; a cross-sign reuses the key
# of its `of`), a request (openssl req) and a signature by the issuer (openssl x509 -req;
# a root is signed by `openssl req -x509`). Same key types, same number of keys and
# certificates as `rotsim pki`; the bench compares the times.
#
# usage: openssl_mirror.sh FILE.pki OUTDIR
#
# Dates are not copied (openssl 3.0's x509 has no option for an absolute notBefore), nor
# are chains and anchor sets written: this is a timing peer, not a second implementation.
set -euo pipefail
pki=$1 out=$2
mkdir -p "$out"

declare -A kind subject key issuer of pathlen
ids=()
cur=
while IFS= read -r line || [ -n "$line" ]; do
	line=${line%%#*}
	line=$(sed 's/[[:space:]]*$//' <<<"$line")
	[ -z "$line" ] && continue
	if [[ $line =~ ^\[([a-z]+)[[:space:]]+([^]]+)\]$ ]]; then
		k=${BASH_REMATCH[1]} cur=${BASH_REMATCH[2]}
		case $k in root|intermediate|cross|leaf) kind[$cur]=$k; ids+=("$cur") ;; *) cur= ;; esac
		continue
	fi
	[[ $line =~ ^\[ ]] && { cur=; continue; }
	[ -z "$cur" ] && continue
	name=$(sed 's/[[:space:]]*=.*//' <<<"$line")
	value=$(sed 's/^[^=]*=[[:space:]]*//' <<<"$line")
	case $name in
	subject) subject[$cur]=$value ;;
	key) key[$cur]=$value ;;
	issuer) issuer[$cur]=$value ;;
	of) of[$cur]=$value ;;
	path-len) pathlen[$cur]=$value ;;
	esac
done <"$pki"

# "C=US, O=Let's Encrypt, CN=R3" -> "/C=US/O=Let's Encrypt/CN=R3"
subj() { sed -e 's/^/\//' -e 's/, */\//g' <<<"$1"; }

genkey() {
	case $1 in
	rsa2048|rsa3072|rsa4096)
		openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${1#rsa}" -out "$2" 2>/dev/null ;;
	p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$2" ;;
	p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$2" ;;
	*) echo "openssl_mirror: unknown key type $1" >&2; exit 1 ;;
	esac
}

extfile() {
	local id=$1 f=$out/$1.ext
	if [ "${kind[$id]}" = leaf ]; then
		printf '[v3]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth,clientAuth\nsubjectAltName=DNS:updates.rotsim.test\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' >"$f"
	else
		local pl=${pathlen[$id]:-none}
		[ "$pl" = none ] && pl= || pl=",pathlen:$pl"
		printf '[v3]\nbasicConstraints=critical,CA:TRUE%s\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' "$pl" >"$f"
	fi
	echo "$f"
}

declare -A built
remaining=${#ids[@]}
while [ "$remaining" -gt 0 ]; do
	progress=0
	for id in "${ids[@]}"; do
		[ -n "${built[$id]:-}" ] && continue
		k=${kind[$id]}
		src=$id
		if [ "$k" = cross ]; then
			src=${of[$id]}
			[ -n "${built[$src]:-}" ] || continue
		fi
		if [ "$k" != root ]; then
			[ -n "${built[${issuer[$id]}]:-}" ] || continue
		fi
		if [ "$k" = cross ]; then
			keyf=$out/$src.key.pem
			sub=${subject[$src]}
		else
			keyf=$out/$id.key.pem
			genkey "${key[$id]}" "$keyf"
			sub=${subject[$id]}
		fi
		ext=$(extfile "$id")
		if [ "$k" = root ]; then
			openssl req -x509 -new -key "$keyf" -subj "$(subj "$sub")" -days 7300 \
				-config /dev/null -extensions v3 -config "$ext" -out "$out/$id.crt.pem" 2>/dev/null
		else
			openssl req -new -key "$keyf" -subj "$(subj "$sub")" -config "$ext" -out "$out/$id.csr" 2>/dev/null
			openssl x509 -req -in "$out/$id.csr" -CA "$out/${issuer[$id]}.crt.pem" \
				-CAkey "$out/${issuer[$id]}.key.pem" -set_serial "0x$(openssl rand -hex 16)" \
				-days 90 -extfile "$ext" -extensions v3 -out "$out/$id.crt.pem" 2>/dev/null
		fi
		built[$id]=1
		remaining=$((remaining - 1))
		progress=1
	done
	[ $progress -eq 1 ] || { echo "openssl_mirror: unresolvable issuers" >&2; exit 1; }
done
echo "${#ids[@]}"
