#!/usr/bin/env bash
# Build a device's factory flash image: a header, a boot-control block and two
# equal slots, A and B. README.md ("Flash layout") is the specification.
#
# usage: mkflash.sh [-s SLOT_MIB] [-a SLOT_A_CONTENT] OUT.img DEVICE
#
# SLOT_MIB is the size of each slot in MiB (default 4). SLOT_A_CONTENT, when
# given, is written at the start of slot A (the factory-installed bundle);
# otherwise both slots are empty (zero). The file is sparse; its bytes depend
# only on the arguments.
set -euo pipefail
me=mkflash
slot_mib=4 slot_a=''
while getopts "s:a:" o; do
	case $o in
	s) slot_mib=$OPTARG ;;
	a) slot_a=$OPTARG ;;
	*) echo "usage: mkflash.sh [-s SLOT_MIB] [-a SLOT_A_CONTENT] OUT.img DEVICE" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 2 ] || { echo "usage: mkflash.sh [-s SLOT_MIB] [-a SLOT_A_CONTENT] OUT.img DEVICE" >&2; exit 2; }
out=$1 device=$2
[[ $slot_mib =~ ^[1-9][0-9]*$ ]] || { echo "$me: bad slot size \"$slot_mib\"" >&2; exit 2; }
[ ${#device} -le 31 ] || { echo "$me: device name longer than 31 bytes" >&2; exit 2; }

mib=1048576
slot=$((slot_mib * mib))
a_off=$mib
b_off=$((mib + slot))
bc_off=4096
total=$((mib + 2 * slot))
if [ -n "$slot_a" ]; then
	sz=$(stat -c %s "$slot_a")
	[ "$sz" -le "$slot" ] || { echo "$me: $slot_a ($sz bytes) does not fit a $slot-byte slot" >&2; exit 1; }
fi

# Little-endian integer of n bytes, as printf escapes.
le() {
	local v=$1 n=$2 i s=
	for ((i = 0; i < n; i++)); do
		s+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))
	done
	printf '%b' "$s"
}

tmp=$out.tmp
rm -f "$tmp"
truncate -s "$total" "$tmp"
{
	printf 'ROTSIMFL'
	le 1 4              # layout version
	le 4096 4           # header size
	le "$slot" 8        # slot size
	le "$a_off" 8       # slot A offset
	le "$b_off" 8       # slot B offset
	le "$bc_off" 8      # boot-control offset
	le "$total" 8       # image size
	printf '%s' "$device"
	head -c $((32 - ${#device})) /dev/zero
} | dd of="$tmp" conv=notrunc status=none
# The same facts as one line of text at offset 512, for a shell or a person.
printf 'rotsim-flash layout=1 slot-size=%d slot-a=%d slot-b=%d boot-control=%d size=%d device=%s\n' \
	"$slot" "$a_off" "$b_off" "$bc_off" "$total" "$device" |
	dd of="$tmp" bs=512 seek=1 conv=notrunc status=none
if [ -n "$slot_a" ]; then
	dd if="$slot_a" of="$tmp" bs=$mib seek=1 conv=notrunc status=none
fi
mv -f "$tmp" "$out"
