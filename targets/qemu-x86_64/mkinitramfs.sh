#!/usr/bin/env bash
# Build one device's initramfs, byte for byte the same from the same inputs.
#
# usage: mkinitramfs.sh [--seed SEED] OUT.cpio.gz BUSYBOX INIT MODULES_DIR AGENT [PAYLOAD_DIR]
#
# The archive holds /init (INIT), /bin/busybox, /bin/rotsim-agent (AGENT),
# /bin/rotsim-seed (SEED, which reseeds a resumed guest's random pool: seed.c), the
# modules of MODULES_DIR (with its modules.order) in /lib/modules/rotsim/, the
# files of PAYLOAD_DIR under /etc/rotsim/ (a device's trust store, name and
# configuration), and /etc/hosts naming the update server. The kernel's own
# built-in initramfs supplies /dev/console, so no device node is needed here
# and the build needs no root.
#
# Reproducible: every file gets mtime 0, owner 0:0 and mode 0755 or 0644 (by
# its execute bit), the list is sorted in the C locale, cpio renumbers inodes
# and drops device numbers (--reproducible), and gzip leaves out name and time.
set -euo pipefail
seed=
if [ "${1:-}" = --seed ]; then
	seed=${2:?}
	shift 2
fi
[ $# -eq 5 ] || [ $# -eq 6 ] ||
	{ echo "usage: mkinitramfs.sh [--seed SEED] OUT.cpio.gz BUSYBOX INIT MODULES_DIR AGENT [PAYLOAD_DIR]" >&2; exit 2; }
out=$1 busybox=$2 init=$3 mods=$4 agent=$5 payload=${6:-}
me=mkinitramfs
for f in "$busybox" "$init" "$mods/modules.order" "$agent" ${seed:+"$seed"}; do
	[ -f "$f" ] || { echo "$me: missing $f" >&2; exit 1; }
done
[ -z "$payload" ] || [ -d "$payload" ] || { echo "$me: payload $payload is not a directory" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkinitramfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc/rotsim,lib/modules/rotsim,proc,sys,dev,tmp,run,root}
cp "$init" "$r/init"
cp "$busybox" "$r/bin/busybox"
cp "$agent" "$r/bin/rotsim-agent"
chmod 0755 "$r/init" "$r/bin/busybox" "$r/bin/rotsim-agent"
if [ -n "$seed" ]; then
	cp "$seed" "$r/bin/rotsim-seed"
	chmod 0755 "$r/bin/rotsim-seed"
fi
while read -r m; do
	[ -n "$m" ] || continue
	cp "$mods/$m.ko" "$r/lib/modules/rotsim/$m.ko"
done < "$mods/modules.order"
cp "$mods/modules.order" "$r/lib/modules/rotsim/modules.order"
printf '127.0.0.1 localhost\n10.0.2.100 updates.rotsim.test\n' > "$r/etc/hosts"
if [ -n "$payload" ]; then
	# -L: a payload may be assembled from links to build outputs.
	cp -RL "$payload/." "$r/etc/rotsim/"
fi

"$(dirname "$0")/mkcpio.sh" "$r" "$out"
