#!/usr/bin/env bash
# Build an agent overlay: a small initramfs archive that, appended to a
# device's initramfs (the kernel unpacks archives one after the other, a later
# file replacing an earlier one), makes the device run another agent.
#
# usage: mkoverlay.sh OUT.cpio.gz AGENT [LIBDIR]
#
# The archive holds AGENT as /bin/rotsim-agent, the path the image's /init
# runs. A dynamically linked AGENT also brings what it loads: its program
# interpreter (PT_INTERP, /lib/ld-linux-aarch64.so.1) as a file at that path,
# and every shared library it needs, directly or through another library
# (DT_NEEDED, followed to the end), from LIBDIR (the host's multiarch
# directory of the guest's architecture, /usr/lib/aarch64-linux-gnu) into
# /lib/TRIPLET/ (TRIPLET: LIBDIR's last component), which is in the loader's
# default search path. Symbolic links are followed: each library is one file
# under its soname. A library that is not in LIBDIR is an error.
#
# Reproducible as mkinitramfs.sh: mtime 0, owner 0:0, mode 0755 or 0644,
# sorted names, cpio --reproducible, gzip -n.
set -euo pipefail
me=mkoverlay
[ $# -eq 2 ] || [ $# -eq 3 ] || { echo "usage: mkoverlay.sh OUT.cpio.gz AGENT [LIBDIR]" >&2; exit 2; }
out=$1 agent=$2 libdir=${3:-}
[ -f "$agent" ] || { echo "$me: missing $agent" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkoverlay.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r/bin"
cp "$agent" "$r/bin/rotsim-agent"

interp=$(readelf -l "$agent" | sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')
if [ -n "$interp" ]; then
	if [ -z "$libdir" ] || [ ! -d "$libdir" ]; then
		echo "$me: $agent is dynamically linked: give the directory of its libraries" >&2
		exit 1
	fi
	case $interp in /*) ;; *) echo "$me: $agent: relative interpreter $interp" >&2; exit 1 ;; esac
	[ -f "$libdir/${interp##*/}" ] || { echo "$me: no ${interp##*/} (the loader) in $libdir" >&2; exit 1; }
	mkdir -p "$r$(dirname "$interp")"
	cp -L "$libdir/${interp##*/}" "$r$interp"
	dest=$r/lib/${libdir##*/}
	mkdir -p "$dest"
	needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'; }
	todo=$(needed "$agent")
	while [ -n "$todo" ]; do
		next=
		for so in $todo; do
			[ "$so" != "${interp##*/}" ] || continue
			[ ! -f "$dest/$so" ] || continue
			[ -f "$libdir/$so" ] ||
				{ echo "$me: $agent needs $so, which is not in $libdir" >&2; exit 1; }
			cp -L "$libdir/$so" "$dest/$so"
			next="$next $(needed "$dest/$so")"
		done
		todo=$next
	done
fi

"$(dirname "$0")/../qemu-x86_64/mkcpio.sh" "$r" "$out"
