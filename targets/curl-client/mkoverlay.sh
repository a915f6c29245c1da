#!/usr/bin/env bash
# Build the curl client's overlay for a QEMU device image: a newc cpio (gzip)
# that, appended to a device's initramfs, puts the client where the image's
# /init starts its update agent (/bin/rotsim-agent), with Debian's curl and
# openssl programs and every shared library they load (and the dynamic
# loader), taken from this machine's installed packages.
#
# usage: mkoverlay.sh OUT.cpio.gz CLIENT
#
# Reproducible like the images (mkinitramfs.sh): mtime 0, owner 0:0, sorted.
set -euo pipefail
me=mkoverlay
[ $# -eq 2 ] || { echo "usage: mkoverlay.sh OUT.cpio.gz CLIENT" >&2; exit 2; }
out=$1 client=$2
[ -f "$client" ] || { echo "$me: missing $client" >&2; exit 1; }
progs=()
for p in curl openssl; do
	f=$(command -v "$p") || { echo "$me: $p is not installed (make deps)" >&2; exit 1; }
	progs+=("$(readlink -f "$f")")
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r/bin" "$r/usr/bin"
# The libraries: every path ldd resolves, and the loader it names, at the
# same paths inside the image.
libs=$(ldd "${progs[@]}" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }' |
	LC_ALL=C sort -u)
[ -n "$libs" ] || { echo "$me: ldd found no libraries" >&2; exit 1; }
for l in $libs; do
	mkdir -p "$r$(dirname "$l")"
	cp -L "$l" "$r$l"
done
for p in "${progs[@]}"; do
	cp "$p" "$r/usr/bin/$(basename "$p")"
done
cp "$client" "$r/usr/bin/update-client"
# The image's /init runs /bin/rotsim-agent; here that is the client.
printf '#!/bin/sh\nexec /usr/bin/update-client "$@"\n' > "$r/bin/rotsim-agent"
chmod 0755 "$r/bin/rotsim-agent" "$r/usr/bin/update-client"

"$(dirname "$0")/../qemu-x86_64/mkcpio.sh" "$r" "$out"
