#!/usr/bin/env bash
# rotsim sign: key generation, manifest, public key export, verification, and
# the failures a device must see.
set -euo pipefail
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
head -c 100000 /dev/urandom > image.bin
"$ROTSIM" sign --key k.pem --genkey --version 2 --image image.bin --out manifest --pubkey pub.pem
[ "$(stat -c %a k.pem)" = 600 ]
grep -q 'BEGIN PRIVATE KEY' k.pem
# openssl agrees that the key and the public key are P-256 and match.
openssl pkey -in k.pem -pubout > pub.openssl.pem
diff -u pub.openssl.pem pub.pem
# The key is never overwritten.
"$ROTSIM" sign --key k.pem --genkey --pubkey x.pem 2>err && exit 1
grep -q 'already exists' err
head -n 5 manifest > expect.head
printf 'rotsim-manifest 1\nversion 2\nsize 100000\nsha256 %s\nurl /firmware/image-2.bin\n' \
	"$(sha256sum image.bin | cut -d' ' -f1)" | diff -u - expect.head
"$ROTSIM" sign --verify manifest --pub pub.pem --image image.bin
# openssl verifies the signature too: raw r||s to DER, over the signed prefix.
head -n 5 manifest > signed
tail -n 1 manifest | cut -d' ' -f2 | base64 -d > sig.raw
r=$(head -c 32 sig.raw | xxd -p -c 64); s=$(tail -c 32 sig.raw | xxd -p -c 64)
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' "$r" "$s" > sig.cnf
openssl asn1parse -genconf sig.cnf -out sig.der >/dev/null
openssl dgst -sha256 -verify pub.pem -signature sig.der signed
# A raw public key works the same.
"$ROTSIM" sign --key k.pem --pubkey pub.raw --raw
[ "$(stat -c %s pub.raw)" = 65 ]
"$ROTSIM" sign --verify manifest --pub pub.raw
# A flipped image byte, a changed version, another key: refused with exit 1.
cp image.bin bad.bin; printf '\xff' | dd of=bad.bin bs=1 seek=500 conv=notrunc 2>/dev/null
rc=0; "$ROTSIM" sign --verify manifest --pub pub.pem --image bad.bin || rc=$?
[ $rc = 1 ]
sed 's/^version 2$/version 3/' manifest > m3
rc=0; "$ROTSIM" sign --verify m3 --pub pub.pem 2>err || rc=$?
[ $rc = 1 ]; grep -q 'bad manifest signature' err
"$ROTSIM" sign --key k2.pem --genkey --pubkey pub2.pem
rc=0; "$ROTSIM" sign --verify manifest --pub pub2.pem || rc=$?
[ $rc = 1 ]
# Usage errors exit 2.
rc=0; "$ROTSIM" sign --key k.pem --version 0 --image image.bin || rc=$?
[ $rc = 2 ]
rc=0; "$ROTSIM" sign --version 2 --image image.bin || rc=$?
[ $rc = 2 ]
echo ok
