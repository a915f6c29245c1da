#!/usr/bin/env bash
# Build the overlay that puts a device on another TLS stack: an initramfs
# archive, appended to the device's own by the qemu driver, that replaces
# /bin/rotsim-agent with AGENT.
#
# usage: mkoverlay.sh OUT.cpio.gz AGENT [LIBDIR ...]
#
# A static AGENT is all the archive holds. A dynamically linked one (GnuTLS:
# Debian ships no static libp11-kit or libunistring) comes with its program
# interpreter at the path it names and, at their own paths, the shared
# libraries it needs, found by their DT_NEEDED names in the LIBDIRs, and
# theirs in turn. readelf reads any architecture's ELF, so the same script
# serves a cross-built agent given its architecture's library directories.
# The guest's loader searches its built-in directories (Debian's multiarch
# /lib/ARCH-linux-gnu among them) without an ld.so.cache.
#
# Reproducible as mkinitramfs.sh is: mtime 0, owner 0:0, modes by the execute
# bit, a sorted list, cpio --reproducible, gzip -n.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: mkoverlay.sh OUT.cpio.gz AGENT [LIBDIR ...]" >&2; exit 2; }
out=$1 agent=$2
shift 2
me=mkoverlay
[ -f "$agent" ] || { echo "$me: missing $agent" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkoverlay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r/bin"
cp "$agent" "$r/bin/rotsim-agent"

interp=$(LC_ALL=C readelf -lW "$agent" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
if [ -n "$interp" ]; then
	[ $# -gt 0 ] || { echo "$me: $agent is dynamically linked: give its LIBDIRs" >&2; exit 1; }
	# The interpreter, at the path the program names.
	found=
	for d in "$(dirname "$interp")" "$@"; do
		if [ -e "$d/$(basename "$interp")" ]; then
			found=$d/$(basename "$interp")
			break
		fi
	done
	[ -n "$found" ] || { echo "$me: no $interp (looked in $* too)" >&2; exit 1; }
	mkdir -p "$r$(dirname "$interp")"
	cp -L "$found" "$r$interp"
	# Every library the program needs, and what those need, once each.
	todo=("$agent")
	declare -A seen=()
	while [ ${#todo[@]} -gt 0 ]; do
		f=${todo[0]}
		todo=("${todo[@]:1}")
		for lib in $(LC_ALL=C readelf -dW "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
			[ -z "${seen[$lib]:-}" ] || continue
			seen[$lib]=1
			[ "$lib" != "$(basename "$interp")" ] || continue
			path=
			for d in "$@"; do
				if [ -e "$d/$lib" ]; then
					path=$d/$lib
					break
				fi
			done
			[ -n "$path" ] || { echo "$me: $f needs $lib, not in $*" >&2; exit 1; }
			mkdir -p "$r$(dirname "$path")"
			cp -L "$path" "$r$path"
			todo+=("$path")
		done
	done
fi

"$(dirname "$0")/mkcpio.sh" "$r" "$out"
