#!/bin/busybox sh
# shellcheck shell=dash
# /init of every rotsim QEMU device (x86_64 and aarch64 alike).
#
# Brings the device up the way the harness expects: virtio modules in order,
# the clock from the RTC, a static address on the user-mode network, then one
# console line "rotsim: booted ..." (the line a target description names as
# "booted"), then the agent, then power off. Kernel command-line switches:
#   rotsim.noagent   boot, print the booted line, and power off
#   rotsim.shell     run a shell on the console instead of powering off
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /run
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# The firmware leaves the cursor mid-line (SeaBIOS ends with a screen-clear
# sequence): start our lines at the beginning of one.
echo
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp

# busybox insmod does not follow dependencies: modules.order is the load order.
while read -r m; do
	[ -n "$m" ] || continue
	insmod "/lib/modules/rotsim/$m.ko" || echo "rotsim: event init error=insmod module=$m"
done < /lib/modules/rotsim/modules.order

# The kernel already set the system clock from rtc0 (RTC_HCTOSYS); set it again
# so a kernel built without that still starts at the phase's date.
clock=none
if [ -e /dev/rtc0 ] && hwclock -s -u -f /dev/rtc0; then
	clock=rtc
fi

ip link set lo up
if ip link set eth0 up 2>/dev/null; then
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
	net=eth0
else
	net=none
fi
flash=none
[ -b /dev/vda ] && flash=/dev/vda

echo "rotsim: booted time=$(date -u +%Y-%m-%dT%H:%M:%SZ) clock=$clock net=$net flash=$flash arch=$(uname -m) kernel=$(uname -r)"

cmdline=$(cat /proc/cmdline)
case " $cmdline " in
*" rotsim.noagent "*) ;;
*)
	if [ -x /bin/rotsim-agent ]; then
		/bin/rotsim-agent
		status=$?
		echo "rotsim: event agent-exit status=$status"
		# 10: an update was installed; boot it, as real firmware does.
		if [ "$status" -eq 10 ]; then
			sync
			reboot -f
		fi
	else
		echo "rotsim: event init error=no-agent"
	fi
	;;
esac
case " $cmdline " in
*" rotsim.shell "*) setsid cttyhack sh ;;
esac
sync
echo "rotsim: poweroff"
poweroff -f
