#!/usr/bin/env bash
# Power on one device under QEMU, the way the harness's qemu driver will: the
# reference for its exact command line.
#
# usage: boot.sh [-t TARGET.conf] [-b BUILD] [-d DEVICE] [-r DATE] [-s PORT]
#                [-o CASEDIR] [-T SECONDS] [-k] [-n] [-- EXTRA-QEMU-ARGS]
#
#   -t  target description (default: target.conf beside this script)
#   -b  build directory the description's paths are relative to (default build)
#   -d  device (default test)
#   -r  the device's RTC at power-on, as QEMU's -rtc base= takes it
#       (2031-05-01 or 2031-05-01T12:00:00; default: now)
#   -s  127.0.0.1 port of the update server; the guest reaches it as the
#       target's "server" address (10.0.2.100:443). Without -s nothing listens.
#   -o  case directory (default: a new one under ${TMPDIR:-/tmp}); it gets
#       console.log, case.pcap, flash.img (copied from the factory image unless
#       already there: a later phase boots with the flash as it was), qemu.cmd,
#       qemu.log and qemu.pid
#   -T  seconds before QEMU is killed (default: the target's run-timeout)
#   -k  use KVM (opt-in: it hung on the machine measured in ARCHITECTURE.md)
#   -n  write qemu.cmd and print it; do not start QEMU
#
# Prints one summary line, "boot: status=S booted_ms=N total_ms=N dir=D", with
# booted_ms the time from starting QEMU to the console's "booted" line (-1 if
# never) and S one of poweroff, no-boot, timeout, boot-timeout, qemu-exit-N.
# Exit status: 0 QEMU powered off after the booted line; 1 it stopped without
# it; 2 usage or missing image; 3 QEMU failed; 124 no power-off within -T
# seconds, or no booted line within the target's boot-timeout (QEMU killed).
#
# No QEMU outlives this script: QEMU runs in its own process group, killed on
# EXIT, INT and TERM, and under setpriv --pdeathsig KILL, so SIGKILL of this
# script kills it as well; the guestfwd commands end with QEMU's sockets.
set -euo pipefail
me=boot
here=$(cd "$(dirname "$0")" && pwd)
conf=$here/target.conf build=build device=test rtc='' port='' dir='' timeout='' kvm=0 dry=0
usage() {
	sed -n '/^# usage:/,/^#   -n/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while getopts "t:b:d:r:s:o:T:kn" o; do
	case $o in
	t) conf=$OPTARG ;;
	b) build=$OPTARG ;;
	d) device=$OPTARG ;;
	r) rtc=$OPTARG ;;
	s) port=$OPTARG ;;
	o) dir=$OPTARG ;;
	T) timeout=$OPTARG ;;
	k) kvm=1 ;;
	n) dry=1 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ -f "$conf" ] || { echo "$me: no target description at $conf" >&2; exit 2; }
[[ -z $port || $port =~ ^[0-9]+$ ]] || { echo "$me: bad port \"$port\"" >&2; exit 2; }
[[ $device =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || { echo "$me: bad device name \"$device\"" >&2; exit 2; }

# Read the first [target ...] section of the description (the section syntax of
# sim/common/cfg.h: "key = value", indented lines continue the value).
declare -A T
while IFS=$'\t' read -r k v; do
	T[$k]=$v
done < <(awk '
	/^[ \t]*#/ || /^[ \t]*$/ { next }
	/^\[/ { n++; if (n == 1 && $1 == "[target") insec = 1; else insec = 0; next }
	!insec { next }
	/^[ \t]/ { if (key != "") { sub(/^[ \t]+/, ""); val[key] = val[key] " " $0 }; next }
	{ i = index($0, "="); if (i == 0) { print "bad line " NR > "/dev/stderr"; next }
	  key = substr($0, 1, i - 1); gsub(/[ \t]/, "", key)
	  v = substr($0, i + 1); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
	  val[key] = v; order[++m] = key }
	END { for (j = 1; j <= m; j++) printf "%s\t%s\n", order[j], val[order[j]] }' "$conf")
need() {
	[ -n "${T[$1]:-}" ] || { echo "$me: $conf: no \"$1\" in the [target] section" >&2; exit 2; }
	printf '%s' "${T[$1]}"
}
path() { local p; p=$(need "$1"); printf '%s/%s' "$build" "${p//\{device\}/$device}"; }
[ "${T[driver]:-}" = qemu ] || { echo "$me: $conf: driver is not qemu" >&2; exit 2; }
qemu=$(need qemu)
kernel=$(path kernel)
initrd=$(path initramfs)
factory_flash=$(path flash)
booted=$(need booted)
server=$(need server)
[ -n "$timeout" ] || timeout=$(need run-timeout)
boot_timeout=$(need boot-timeout)
[[ $timeout =~ ^[0-9]+$ && $boot_timeout =~ ^[0-9]+$ ]] ||
	{ echo "$me: timeouts must be whole seconds" >&2; exit 2; }
for f in "$kernel" "$initrd" "$factory_flash"; do
	[ -f "$f" ] || { echo "$me: no $f (run make images)" >&2; exit 2; }
done
command -v "$qemu" >/dev/null || { echo "$me: no $qemu (run make deps)" >&2; exit 2; }

[ -n "$dir" ] || dir=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-case.XXXXXX")
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
[ -f "$dir/flash.img" ] || cp --sparse=always "$factory_flash" "$dir/flash.img"
rm -f "$dir/console.log" "$dir/case.pcap" "$dir/qemu.pid"

# The forward: one command per guest connection to server, each joined to the
# host server. restrict=on: the guest reaches nothing else.
if [ -n "$port" ]; then
	fwd="socat - TCP:127.0.0.1:$port"
else
	fwd="socat - /dev/null"
fi
netdev="user,id=n0,restrict=on,ipv6=off,guestfwd=tcp:$server-cmd:$fwd"
args=(-nographic -nodefaults -no-user-config -no-reboot -monitor none
	-M "$(need machine)" -m "$(need memory)")
[ -z "${T[cpu]:-}" ] || args+=(-cpu "${T[cpu]}")
if [ $kvm -eq 1 ]; then args+=(-accel kvm); else args+=(-accel "$(need accel)"); fi
[ -z "$rtc" ] || args+=(-rtc "base=$rtc")
args+=(-kernel "$kernel" -initrd "$initrd" -append "$(need append)"
	-serial "file:$dir/console.log"
	-netdev "$netdev"
	-device "$(need nic),netdev=n0,romfile="
	-object "filter-dump,id=f0,netdev=n0,file=$dir/case.pcap"
	-drive "file=$dir/flash.img,format=raw,if=none,id=flash0"
	-device "$(need flash-device),drive=flash0"
	"$@")
printf '%q ' "$qemu" "${args[@]}" > "$dir/qemu.cmd"
echo >> "$dir/qemu.cmd"
if [ $dry -eq 1 ]; then cat "$dir/qemu.cmd"; exit 0; fi

qpid=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -KILL -- "-$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# Job control gives QEMU a process group of its own (its pid), which its
# guestfwd children share; setpriv makes it die with this script.
set -m
start=$EPOCHREALTIME
setpriv --pdeathsig KILL -- "$qemu" "${args[@]}" </dev/null >"$dir/qemu.log" 2>&1 &
qpid=$!
set +m
echo "$qpid" > "$dir/qemu.pid"

ms() { local s=${1/./} e=${2/./}; echo $(((10#$e - 10#$s) / 1000)); }
booted_ms=-1 status=
# Deadlines in microseconds since the epoch, as $EPOCHREALTIME without its dot.
deadline=$(( 10#${start/./} + timeout * 1000000 ))
boot_deadline=$(( 10#${start/./} + boot_timeout * 1000000 ))
while kill -0 "$qpid" 2>/dev/null; do
	if [ "$booted_ms" -lt 0 ] && [ -f "$dir/console.log" ] && grep -qF -- "$booted" "$dir/console.log"; then
		booted_ms=$(ms "$start" "$EPOCHREALTIME")
	fi
	now=$(( 10#${EPOCHREALTIME/./} ))
	if [ "$now" -ge $deadline ]; then
		status=timeout
		break
	fi
	if [ "$booted_ms" -lt 0 ] && [ "$now" -ge $boot_deadline ]; then
		status=boot-timeout
		break
	fi
	sleep 0.05
done
if [ -z "$status" ]; then
	rc=0
	wait "$qpid" || rc=$?
	# A guestfwd command may still be closing its connection: end it too.
	kill -KILL -- "-$qpid" 2>/dev/null || true
	qpid=
	[ "$booted_ms" -ge 0 ] || ! grep -qF -- "$booted" "$dir/console.log" 2>/dev/null ||
		booted_ms=$(ms "$start" "$EPOCHREALTIME")
	if [ $rc -ne 0 ]; then status=qemu-exit-$rc
	elif [ "$booted_ms" -ge 0 ]; then status=poweroff
	else status=no-boot
	fi
else
	cleanup
	qpid=
fi
total_ms=$(ms "$start" "$EPOCHREALTIME")
echo "boot: status=$status booted_ms=$booted_ms total_ms=$total_ms dir=$dir"
case $status in
poweroff) exit 0 ;;
timeout | boot-timeout) exit 124 ;;
no-boot) exit 1 ;;
*) sed 's/^/qemu: /' "$dir/qemu.log" >&2; exit 3 ;;
esac
