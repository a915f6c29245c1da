#!/usr/bin/env bash
# Build a signed SWUpdate bundle (.swu) for the SWUpdate device, or the
# certificate its bundles are checked against.
#
# usage: mkswu.sh --key KEY.pem --cert CERT.pem --version N --image FILE
#                 [--slot-a OFFSET] [--slot-b OFFSET] [--slot-size BYTES]
#                 [--flash DEVICE] [--unsigned] OUT.swu
#        mkswu.sh --make-cert KEY.pem OUT.pem
#
# The bundle is what SWUpdate 2022.12 reads (its documentation, "SWUpdate:
# syntax and tags" and "Update images from verified source"): a newc cpio
# archive whose first member is sw-description (libconfig syntax), then its
# CMS signature sw-description.sig (DER, detached, by KEY with CERT as the
# signer; this Debian build verifies CMS only), then the image as
# firmware.bin. sw-description holds the version and one collection per
# slot, stable.slot-a and stable.slot-b: the image, its SHA-256, the raw
# handler, the flash DEVICE (default /dev/vda) and the slot's offset (default
# the factory layout of targets/qemu-x86_64/mkflash.sh: 1048576 and 5242880,
# 4 MiB slots). The device runs swupdate -e stable,slot-X for the slot it does
# not run from. --unsigned leaves out the signature (a bundle a device that
# verifies must refuse).
#
# --make-cert writes a self-signed certificate for KEY (a firmware-signing key
# such as rotsim's ECDSA P-256 one), valid from 1970 to 2099 so that a device
# whose clock is anywhere in a scenario accepts it, with the extended key
# usages emailProtection (SWUpdate's default purpose) and codeSigning. A
# device holds it as /etc/rotsim/bundle-ca.pem.
#
# Needs openssl and cpio. OUT is written whole or not at all.
set -euo pipefail
me=mkswu
usage() { sed -n '/^# usage:/,/^#        mkswu.sh --make-cert/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "$me: $*" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ "${1:-}" = --make-cert ]; then
	[ $# -eq 3 ] || usage
	key=$2 out=$3
	[ -r "$key" ] || die "cannot read $key"
	mkdir -p "$tmp/ca/new"
	: > "$tmp/ca/index.txt"
	echo 01 > "$tmp/ca/serial"
	cat > "$tmp/ca.cnf" <<EOF
[ca]
default_ca = c
[c]
dir = $tmp/ca
database = $tmp/ca/index.txt
new_certs_dir = $tmp/ca/new
serial = $tmp/ca/serial
default_md = sha256
policy = p
unique_subject = no
email_in_dn = no
[p]
commonName = supplied
[ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = emailProtection,codeSigning
subjectKeyIdentifier = hash
EOF
	openssl req -new -key "$key" -subj "/CN=rotsim firmware signing" -out "$tmp/req.pem" 2>"$tmp/err" ||
		die "openssl req: $(head -n 1 "$tmp/err")"
	openssl ca -batch -config "$tmp/ca.cnf" -selfsign -keyfile "$key" -in "$tmp/req.pem" \
		-startdate 19700101000000Z -enddate 20991231235959Z -extensions ext -notext \
		-out "$tmp/cert.pem" >/dev/null 2>"$tmp/err" || die "openssl ca: $(tail -n 1 "$tmp/err")"
	mv -f "$tmp/cert.pem" "$out"
	exit 0
fi

key='' cert='' version='' image='' slot_a=1048576 slot_b=5242880 slot_size=4194304
flash=/dev/vda signed=1
while [ $# -gt 0 ]; do
	case $1 in
	--key) key=$2; shift ;;
	--cert) cert=$2; shift ;;
	--version) version=$2; shift ;;
	--image) image=$2; shift ;;
	--slot-a) slot_a=$2; shift ;;
	--slot-b) slot_b=$2; shift ;;
	--slot-size) slot_size=$2; shift ;;
	--flash) flash=$2; shift ;;
	--unsigned) signed=0 ;;
	-*) echo "$me: unknown option \"$1\"" >&2; usage ;;
	*) break ;;
	esac
	shift
done
[ $# -eq 1 ] || usage
out=$1
[[ $version =~ ^[1-9][0-9]{0,9}$ ]] || die "--version: a positive whole number, not \"$version\""
for n in "$slot_a" "$slot_b" "$slot_size"; do
	[[ $n =~ ^[0-9]{1,15}$ ]] || die "offsets and sizes are whole bytes, not \"$n\""
done
[[ $flash =~ ^/[A-Za-z0-9/._-]+$ ]] || die "--flash: not a device path: \"$flash\""
[ -f "$image" ] || die "--image: no file \"$image\""
size=$(stat -c %s "$image")
[ "$size" -le "$slot_size" ] || die "$image ($size bytes) does not fit a $slot_size-byte slot"
if [ $signed -eq 1 ]; then
	[ -r "$key" ] || die "--key: cannot read \"$key\""
	[ -r "$cert" ] || die "--cert: cannot read \"$cert\""
fi

sha=$(sha256sum "$image" | cut -c1-64)
slot() {	# slot NAME OFFSET: one collection
	cat <<EOF
		slot-$1 = {
			images: (
				{
					filename = "firmware.bin";
					type = "raw";
					device = "$flash";
					offset = "$2";
					sha256 = "$sha";
				}
			);
		};
EOF
}
{
	cat <<EOF
software =
{
	version = "$version";
	description = "rotsim firmware $version";
	hardware-compatibility = [ "1.0" ];
	stable = {
EOF
	slot a "$slot_a"
	slot b "$slot_b"
	printf '\t};\n}\n'
} > "$tmp/sw-description"
cp "$image" "$tmp/firmware.bin"
members=(sw-description)
if [ $signed -eq 1 ]; then
	openssl cms -sign -in "$tmp/sw-description" -out "$tmp/sw-description.sig" \
		-signer "$cert" -inkey "$key" -outform DER -nosmimecap -binary 2>"$tmp/err" ||
		die "openssl cms: $(head -n 1 "$tmp/err")"
	members+=(sw-description.sig)
fi
members+=(firmware.bin)
touch -d @0 "$tmp"/sw-description* "$tmp/firmware.bin"
# The order matters: SWUpdate reads sw-description (and its signature) first.
(cd "$tmp" && printf '%s\n' "${members[@]}" |
	cpio --quiet -o -H newc --reproducible -R 0:0) > "$tmp/out.swu"
mkdir -p "$(dirname "$out")"
mv -f "$tmp/out.swu" "$out.tmp"
mv -f "$out.tmp" "$out"
