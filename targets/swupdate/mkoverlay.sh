#!/usr/bin/env bash
# Build the overlay that turns a QEMU x86_64 device image into a device whose
# update client rotsim did not write: a newc cpio (gzip) that, appended to a
# device's initramfs, puts CLIENT where the image's /init starts its update
# agent (/bin/rotsim-agent), with programs taken from Debian packages and
# every shared library they load.
#
# usage: mkoverlay.sh OUT.cpio.gz CLIENT PROGRAMS DEB...
#
# PROGRAMS is a comma-separated list of paths inside the packages
# (/usr/bin/swupdate,/usr/bin/curl). The DEBs (the programs' packages and
# those of their libraries, fetched by fetch-deb.sh) are unpacked into a
# scratch tree; each program is copied with its program interpreter and, at
# their own paths, the libraries named by its DT_NEEDED entries, and theirs in
# turn, looked up in the tree's multiarch directories. A library no package
# holds is an error naming it, so a package missing from the list is found at
# build time, not at boot. Nothing comes from the build machine's own /lib.
#
# Reproducible like the images (mkcpio.sh): mtime 0, owner 0:0, sorted.
set -euo pipefail
me=mkoverlay
[ $# -ge 4 ] || { echo "usage: mkoverlay.sh OUT.cpio.gz CLIENT PROGRAMS DEB..." >&2; exit 2; }
out=$1 client=$2 progs=$3
shift 3
[ -f "$client" ] || { echo "$me: missing $client" >&2; exit 1; }
for d in "$@"; do
	[ -f "$d" ] || { echo "$me: missing $d" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/$me.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
deb=$tmp/deb r=$tmp/root
mkdir -p "$deb" "$r/bin" "$r/usr/bin"
for d in "$@"; do
	dpkg-deb -x "$d" "$deb"
done
libdirs=(/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu)

# copy PATH: the file at PATH inside the packages, at the same path in the
# image (links followed: the image holds no links into the scratch tree).
copy() {
	[ -e "$deb$1" ] || { echo "$me: no $1 in the packages given" >&2; exit 1; }
	mkdir -p "$r$(dirname "$1")"
	cp -L "$deb$1" "$r$1"
}

declare -A seen=()
todo=()
IFS=, read -r -a plist <<< "$progs"
[ ${#plist[@]} -gt 0 ] || { echo "$me: no programs named" >&2; exit 1; }
for p in "${plist[@]}"; do
	copy "$p"
	todo+=("$deb$p")
	interp=$(LC_ALL=C readelf -lW "$deb$p" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
	if [ -n "$interp" ] && [ ! -e "$r$interp" ]; then
		copy "$interp"
		seen[$(basename "$interp")]=1
	fi
done
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for lib in $(LC_ALL=C readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
		[ -z "${seen[$lib]:-}" ] || continue
		seen[$lib]=1
		path=
		for d in "${libdirs[@]}"; do
			if [ -e "$deb$d/$lib" ]; then
				path=$d/$lib
				break
			fi
		done
		[ -n "$path" ] || { echo "$me: ${f#"$deb"} needs $lib, which none of the packages holds" >&2; exit 1; }
		copy "$path"
		todo+=("$deb$path")
	done
done

# glibc's resolver reads /etc/hosts (the update host) before DNS.
mkdir -p "$r/etc"
printf 'hosts: files dns\n' > "$r/etc/nsswitch.conf"
cp "$client" "$r/usr/bin/update-client"
# The image's /init runs /bin/rotsim-agent; here that is the client.
printf '#!/bin/sh\nexec /usr/bin/update-client "$@"\n' > "$r/bin/rotsim-agent"
chmod 0755 "$r/bin/rotsim-agent" "$r/usr/bin/update-client"

"$(dirname "$0")/../qemu-x86_64/mkcpio.sh" "$r" "$out"
