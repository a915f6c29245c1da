#!/usr/bin/env bash
# Take the kernel and the named modules out of a Debian linux-image package.
#
# usage: unpack-kernel.sh KERNEL.deb OUTDIR MODULE...
#
# Writes OUTDIR/vmlinuz, OUTDIR/modules/MODULE.ko for each MODULE, and
# OUTDIR/modules/modules.order listing them in the order given, which is the
# order the guest's init loads them in (busybox insmod does not resolve
# dependencies). A module that the kernel has built in is left out of the
# order with a note, so the same list works for kernels configured otherwise.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: unpack-kernel.sh KERNEL.deb OUTDIR MODULE..." >&2; exit 2; }
deb=$1 out=$2; shift 2
me=unpack-kernel
[ -s "$deb" ] || { echo "$me: no package at $deb" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/unpack-kernel.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Only the kernel, the module list and the modules asked for: a full
# `dpkg-deb -x` writes some 100 MB to disk for nothing.
pats=('./boot/vmlinuz-*' './lib/modules/*/modules.builtin')
for m in "$@"; do pats+=("./lib/modules/*/$m.ko"); done
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards "${pats[@]}"

vm=$(ls "$tmp"/boot/vmlinuz-* 2>/dev/null | head -n 1)
[ -n "$vm" ] || { echo "$me: no boot/vmlinuz-* in $deb" >&2; exit 1; }
rm -rf "$out/modules"
mkdir -p "$out/modules"
: > "$out/modules/modules.order.tmp"
for m in "$@"; do
	ko=$(find "$tmp/lib/modules" -name "$m.ko" | head -n 1)
	if [ -n "$ko" ]; then
		cp "$ko" "$out/modules/$m.ko"
		echo "$m" >> "$out/modules/modules.order.tmp"
	elif grep -q "/$m\.ko\$" "$tmp"/lib/modules/*/modules.builtin; then
		echo "$me: $m is built into the kernel" >&2
	else
		echo "$me: no module $m in $deb" >&2
		exit 1
	fi
done
mv "$out/modules/modules.order.tmp" "$out/modules/modules.order"
cp "$vm" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
