#!/usr/bin/env bash
# An over-the-air trust-store update really changes what the device trusts:
# a root-x1 device installs version 2, whose bundle carries ISRG Root X1 and
# X2; running 2, it validates a chain under X2 that its factory store refuses,
# and updates to 3. A bundle with a broken trust store is refused by the tool.
. "$(dirname "$0")/lib.sh"

make_firmware "$tmp/fw2" 2 --anchors "$pki/anchors/x1+x2.pem" --payload-size 20000
"$MKBUNDLE" --check "$tmp/fw2/image-2.bin" > "$tmp/check.txt"
grep -q '^anchors [0-9]* bytes, 2 certificates$' "$tmp/check.txt"

start_server leaf-r10 "$tmp/fw2"
boot root-x1 "$tmp/dev"
expect_rc 10
expect_line '^rotsim: image result=ok .* anchors=yes pins=no$'
boot root-x1 "$tmp/dev"
expect_rc 0
expect_line '^rotsim: boot slot=a how=slot version=2$'
expect_line '^rotsim: trust profile=root-x1 mode=anchors source=bundle anchors=2 pins=0$'

# The chain under X2 (E5) with version 3 on offer.
mkdir -p "$tmp/fw3"
cp "$tmp/fw2/image-2.bin" "$tmp/fw3/"
make_firmware "$tmp/fw3" 3 --anchors "$pki/anchors/x1+x2.pem" --payload-size 20000
start_server leaf-e5 "$tmp/fw3"
boot root-x1 "$tmp/dev"
expect_rc 10
expect_line '^rotsim: tls result=ok '
expect_line '^rotsim: install result=ok slot=b version=3 '
boot root-x1 "$tmp/dev"
expect_rc 0
expect_line '^rotsim: boot slot=b how=slot version=3$'
reported 3
# The same profile from the factory is refused by that server.
boot root-x1 "$tmp/factory"
expect_rc 3
expect_line 'err=BR_ERR_X509_NOT_TRUSTED code=62'

# A pin-leaf device learns a new pin the same way.
cat "$pki/anchors/leaf-r3-pin.pins" > "$tmp/newpins"
openssl x509 -in "$pki/leaf-r10.crt.pem" -pubkey -noout | openssl pkey -pubin -outform DER |
	openssl dgst -sha256 -binary | base64 >> "$tmp/newpins"
make_firmware "$tmp/fwp" 2 --pins "$tmp/newpins" --payload-size 1000
start_server leaf-r3 "$tmp/fwp"
boot pin-leaf "$tmp/pdev"
expect_rc 10
start_server leaf-r10 "$tmp/fwp"
boot pin-leaf "$tmp/pdev"
expect_rc 0
expect_line '^rotsim: trust profile=pin-leaf mode=pin-leaf source=bundle anchors=0 pins=2$'
expect_line 'pin=1$'

# mkbundle refuses a trust store BearSSL cannot read, and bad pins.
printf -- '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' > "$tmp/bad.pem"
"$MKBUNDLE" --version 4 --anchors "$tmp/bad.pem" --out "$tmp/x.bin" 2>"$tmp/err" && exit 1
[ ! -e "$tmp/x.bin" ]
echo 'not base64!' > "$tmp/bad.pins"
"$MKBUNDLE" --version 4 --pins "$tmp/bad.pins" --out "$tmp/x.bin" 2>"$tmp/err" && exit 1
grep -q 'line 1: not a base64 SHA-256' "$tmp/err"
echo ok
