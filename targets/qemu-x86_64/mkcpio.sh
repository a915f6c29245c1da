#!/usr/bin/env bash
# Pack a directory tree as a gzip-compressed newc cpio archive, byte for byte
# the same from the same files: the device images (mkinitramfs.sh) and the
# overlays appended to them (mkoverlay.sh, curl-client) share it.
#
# usage: mkcpio.sh ROOT OUT.cpio.gz
#
# Normalises what the checkout, the umask and the clock made different (ROOT
# is changed in place): mode 0755 for directories and executables, else 0644;
# mtime 0; owner 0:0; the list sorted in the C locale; cpio renumbers inodes
# and drops device numbers (--reproducible); gzip leaves out name and time.
# OUT is written whole or not at all.
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: mkcpio.sh ROOT OUT.cpio.gz" >&2; exit 2; }
r=$1 out=$2
[ -d "$r" ] || { echo "mkcpio: $r is not a directory" >&2; exit 1; }
find "$r" -type d -exec chmod 0755 {} +
find "$r" -type f -perm /111 -exec chmod 0755 {} +
find "$r" -type f ! -perm /111 -exec chmod 0644 {} +
find "$r" -exec touch -h -d @0 {} +
mkdir -p "$(dirname "$out")"
(cd "$r" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc --reproducible -R 0:0) | gzip -n -9 > "$out.tmp"
mv -f "$out.tmp" "$out"
