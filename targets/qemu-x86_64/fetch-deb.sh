#!/usr/bin/env bash
# Fetch one Debian package into the download cache, once.
#
# usage: fetch-deb.sh [--kernel] ARCH PACKAGE OUT.deb
#
# With --kernel, PACKAGE is a kernel meta-package (linux-image-cloud-amd64) and
# the versioned package it depends on (linux-image-6.1.0-NN-cloud-amd64) is
# fetched instead, because the meta-package holds no kernel. OUT.deb is written
# atomically, and OUT.deb.name records the file name apt gave the package, so a
# report can say which kernel a device ran. An existing OUT.deb is kept: delete
# it to fetch a newer one.
#
# A foreign ARCH (arm64 on an amd64 host) needs `dpkg --add-architecture ARCH`
# and a fresh `apt-get update`; as root this script does both, otherwise it says
# what to run.
set -euo pipefail
kernel=0
if [ "${1:-}" = "--kernel" ]; then kernel=1; shift; fi
[ $# -eq 3 ] || { echo "usage: fetch-deb.sh [--kernel] ARCH PACKAGE OUT.deb" >&2; exit 2; }
arch=$1 pkg=$2 out=$3
me=fetch-deb

[ -s "$out" ] && exit 0
# One fetch at a time per cache: `make -j` starts several, and two of them must
# not both enable an architecture or refresh the package lists.
mkdir -p "$(dirname "$out")"
exec 9>"$(dirname "$out")/../.fetch.lock"
flock 9
[ -s "$out" ] && exit 0
root=0; [ "$(id -u)" -eq 0 ] && root=1
native=$(dpkg --print-architecture)

if [ "$arch" != "$native" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
	if [ $root -eq 0 ]; then
		echo "$me: $arch packages are not enabled; as root run:" >&2
		echo "$me:   dpkg --add-architecture $arch && apt-get update" >&2
		exit 1
	fi
	echo "$me: enabling $arch packages (dpkg --add-architecture $arch; apt-get update)" >&2
	dpkg --add-architecture "$arch"
	apt-get update -q >&2
fi

# The package lists may be empty on a fresh machine: refresh once and retry.
resolve() {
	if [ $kernel -eq 1 ]; then
		apt-cache depends "$pkg:$arch" 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { sub(/:.*/, "", $2); print $2; exit }'
	else
		echo "$pkg"
	fi
}
real=$(resolve)
if [ -z "$real" ] && [ $root -eq 1 ]; then
	apt-get update -q >&2
	real=$(resolve)
fi
[ -n "$real" ] || { echo "$me: cannot resolve $pkg:$arch (run apt-get update)" >&2; exit 1; }

dir=$(dirname "$out")
tmp=$(mktemp -d "$dir/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
chmod 0755 "$tmp"
# apt drops to the _apt user for downloads; root downloads into a private
# directory it can reach, so the sandbox warning is noise here.
if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$real:$arch" >&2); then
	if [ $root -eq 1 ]; then
		apt-get update -q >&2
		(cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$real:$arch" >&2)
	else
		echo "$me: apt-get download $real:$arch failed" >&2
		exit 1
	fi
fi
f=$(cd "$tmp" && ls -- *.deb)
[ -s "$tmp/$f" ] || { echo "$me: no .deb for $real:$arch" >&2; exit 1; }
printf '%s\n' "$f" > "$tmp/name"
mv -f "$tmp/name" "$out.name"
mv -f "$tmp/$f" "$out"
echo "$me: $out <- $f" >&2
