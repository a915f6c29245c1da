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
#   rotsim.net=dhcp  join a lab network as real firmware does: address,
#                    router, DNS and NTP server from DHCP (busybox udhcpc),
#                    the update host resolved through DNS, the time from the
#                    NTP server DHCP named (unless the profile names its own)
#   rotsim.host=NAME the update host to resolve (default: the first line of
#                    /etc/rotsim/host, the device's configuration, else
#                    updates.rotsim.test)
#   rotsim.probe=A:P[/udp],...  after booting, try each address once (a TCP
#                    connect, or for A:53/udp a DNS question) and print it
#   rotsim.snapshot  stop at the power-on point (README.md, "Resume"): before
#                    anything of the phase or the case is read (the clock, the
#                    configuration, the flash, the network), print
#                    "rotsim: waiting for power-on" and wait for the power-on
#                    message on the virtio port named rotsim.power-on; the
#                    harness saves the machine there once and resumes it for
#                    every boot, then sends the message, which carries the
#                    phase's date, a random seed and the case's configuration
/bin/busybox mkdir -p /proc /sys /dev /tmp /sbin /usr/bin /usr/sbin /run
/bin/busybox mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# The firmware leaves the cursor mid-line (SeaBIOS ends with a screen-clear
# sequence): start our lines at the beginning of one.
echo
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
# The kernel's clock in ms (/proc/uptime, 10 ms steps) into variable $1,
# without a fork: when this boot's steps happened, for the line
# "rotsim: event boot-times" after the agent (bench/boot-steps.py reads it).
uptime_ms() {
	read -r u _ < /proc/uptime
	u=${u%.*}${u#*.}
	while [ "${u#0}" != "$u" ] && [ "$u" != 0 ]; do u=${u#0}; done
	eval "$1=$((u * 10))"
}
uptime_ms t_init
t_message=-1
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp

cmdline=$(cat /proc/cmdline)
snapshot=no
case " $cmdline " in *" rotsim.snapshot "*) snapshot=yes ;; esac

# busybox insmod does not follow dependencies: modules.order is the load order.
# At the power-on point neither the flash nor the NIC may have been touched:
# not the flash's first sectors, which the block driver reads when it binds,
# nor the NIC's features, which would have QEMU announce the resumed guest on
# the network. With rotsim.snapshot their drivers are loaded after the
# power-on message, when the drive is the case's and the network the phase's
# (load_modules late); virtio_console (the power-on port) only with the switch.
load_modules() {	# $1: early or late
	while read -r m; do
		[ -n "$m" ] || continue
		when=early
		case "$m" in
		virtio_blk | failover | net_failover | virtio_net)
			[ "$snapshot" = no ] || when=late ;;
		virtio_console) [ "$snapshot" = yes ] || continue ;;
		esac
		[ "$when" = "$1" ] || continue
		insmod "/lib/modules/rotsim/$m.ko" ||
			echo "rotsim: event init error=insmod module=$m"
	done < /lib/modules/rotsim/modules.order
}
load_modules early

# The power-on point. The message: the line "rotsim-power-on 1", then
# NAME=VALUE lines up to "end" (date=EPOCH or none, seed=HEX, overlay=BYTES,
# config=BYTES), then the overlay's bytes (a cpio archive, gzip'd or not: the
# agent of another TLS stack) and the configuration's (a cpio archive: the
# case's /etc/rotsim and /etc/hosts), unpacked over / in that order: what a
# cold boot's initrd gets appended.
power_on() {
	port=
	i=0
	while [ -z "$port" ] && [ $i -lt 200 ]; do
		for n in /sys/class/virtio-ports/*/name; do
			[ -f "$n" ] && [ "$(cat "$n")" = rotsim.power-on ] &&
				port=/dev/$(basename "$(dirname "$n")")
		done
		[ -n "$port" ] && [ -c "$port" ] || { port=; sleep 0.05; }
		i=$((i + 1))
	done
	if [ -z "$port" ]; then
		echo "rotsim: event init error=no-power-on-port"
		poweroff -f
	fi
	exec 3<"$port"
	echo "rotsim: waiting for power-on"
	# --- saved here; what follows runs at each power-on ---
	read -r magic <&3
	uptime_ms t_message
	if [ "$magic" != "rotsim-power-on 1" ]; then
		echo "rotsim: event init error=power-on-message"
		poweroff -f
	fi
	p_date=none p_seed='' p_overlay=0 p_config=0
	while read -r l <&3 && [ "$l" != end ]; do
		case "$l" in
		date=*) p_date=${l#date=} ;;
		seed=*) p_seed=${l#seed=} ;;
		overlay=*) p_overlay=${l#overlay=} ;;
		config=*) p_config=${l#config=} ;;
		esac
	done
	# One read of both parts: head reads ahead through stdio, so a second
	# head on the port would miss what the first one buffered.
	head -c $((p_overlay + p_config)) <&3 > /tmp/power-on.data
	exec 3<&-
	head -c "$p_overlay" /tmp/power-on.data > /tmp/power-on.overlay
	tail -c +$((p_overlay + 1)) /tmp/power-on.data > /tmp/power-on.cpio
	rm -f /tmp/power-on.data
	# The random state is the saved one: new bytes in, reseeded now.
	reseed=no
	[ -n "$p_seed" ] && rotsim-seed "$p_seed" && reseed=yes
	# The RTC is the saved machine's: set it to the phase's date, which the
	# clock below reads back as a cold boot reads -rtc base=DATE.
	if [ "$p_date" != none ] && [ -e /dev/rtc0 ]; then
		date -u -s "@$p_date" >/dev/null && hwclock -w -u -f /dev/rtc0
	fi
	ov=$(wc -c < /tmp/power-on.overlay)
	if [ "$ov" -gt 0 ]; then
		if [ "$(head -c 2 /tmp/power-on.overlay | od -An -tx1 | tr -d ' ')" = 1f8b ]; then
			zcat /tmp/power-on.overlay
		else
			cat /tmp/power-on.overlay
		fi | (cd / && cpio -i -d -u 2>/dev/null)
	fi
	got=$(wc -c < /tmp/power-on.cpio)
	[ "$got" -eq 0 ] || (cd / && cpio -i -d -u < /tmp/power-on.cpio 2>/dev/null)
	rm -f /tmp/power-on.cpio /tmp/power-on.overlay
	echo "rotsim: event power-on config=$got/$p_config overlay=$ov/$p_overlay reseed=$reseed"
	load_modules late
}
[ "$snapshot" = no ] || power_on

# The kernel already set the system clock from rtc0 (RTC_HCTOSYS); set it again
# so a kernel built without that still starts at the phase's date.
clock=none
if [ -e /dev/rtc0 ] && hwclock -s -u -f /dev/rtc0; then
	clock=rtc
fi

# The value of a NAME=VALUE switch on the kernel command line.
arg() {
	for w in $cmdline; do
		case "$w" in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}

# DHCP: the lease's facts go to /tmp/lease as NAME=VALUE lines.
dhcp() {
	cat > /tmp/udhcpc.sh <<'EOF'
#!/bin/busybox sh
case "$1" in
bound|renew)
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	[ -z "$router" ] || ip route add default via "${router%% *}" dev "$interface"
	{
		echo "ip=$ip"
		echo "router=${router%% *}"
		echo "dns=${dns%% *}"
		echo "ntp=${ntpsrv%% *}"
		echo "lease=$lease"
	} > /tmp/lease
	;;
esac
EOF
	chmod 0755 /tmp/udhcpc.sh
	udhcpc -i eth0 -s /tmp/udhcpc.sh -q -f -n -t 5 -T 2 -O ntpsrv >/tmp/udhcpc.log 2>&1
}

# Join the lab network as firmware does: a lease, the update host through
# DNS, the NTP server from the lease (unless the profile names its own, as
# firmware with a hard-coded pool does).
lab_join() {
	ip='' router='' dns='' ntp='' lease=''
	if ! dhcp || ! [ -f /tmp/lease ]; then
		echo "rotsim: event dhcp error=no-lease"
		return
	fi
	# shellcheck source=/dev/null
	. /tmp/lease
	echo "rotsim: event dhcp ip=$ip router=$router dns=$dns ntp=${ntp:-none} lease=$lease"
	host=$(arg rotsim.host) || host=$(head -n 1 /etc/rotsim/host 2>/dev/null) ||
		host=updates.rotsim.test
	[ -n "$host" ] || host=updates.rotsim.test
	addr=
	if [ -n "$dns" ]; then
		addr=$(nslookup "$host" "$dns" 2>/dev/null |
			awk '/^Name:/ { n = 1 } n && /^Address/ { print $2; exit }')
	fi
	echo "rotsim: event resolve host=$host address=${addr:-none}"
	printf '127.0.0.1 localhost\n' > /etc/hosts
	[ -z "$addr" ] || printf '%s %s\n' "$addr" "$host" >> /etc/hosts
	[ -z "$dns" ] || printf 'nameserver %s\n' "$dns" > /etc/resolv.conf
	if [ -n "$ntp" ] && ! grep -q '^[[:space:]]*sntp[[:space:]]*=' \
		/etc/rotsim/profile 2>/dev/null; then
		sntp_arg="--sntp=$ntp:123"
	fi
}

ip link set lo up
sntp_arg=
if ip link set eth0 up 2>/dev/null; then
	net=eth0
	if [ "$(arg rotsim.net)" = dhcp ]; then
		net=dhcp
	else
		ip addr add 10.0.2.15/24 dev eth0
		ip route add default via 10.0.2.2
	fi
else
	net=none
fi
flash=none
[ -b /dev/vda ] && flash=/dev/vda

uptime_ms t_booted
echo "rotsim: booted time=$(date -u +%Y-%m-%dT%H:%M:%SZ) clock=$clock net=$net flash=$flash arch=$(uname -m) kernel=$(uname -r)"
[ "$net" != dhcp ] || lab_join

# Probes: where a device might try to go that the lab does not serve.
if probes=$(arg rotsim.probe); then
	for p in $(echo "$probes" | tr , ' '); do
		hp=${p%/udp}
		if [ "$hp" != "$p" ]; then
			# busybox sends UDP only as a DNS question (to port 53).
			timeout 3 nslookup probe.rotsim.test "${hp%:*}" >/dev/null 2>&1
			echo "rotsim: event probe udp=${hp%:*}:53 status=$?"
		else
			echo probe | nc -w 2 "${hp%:*}" "${hp##*:}" >/dev/null 2>&1
			echo "rotsim: event probe tcp=$hp status=$?"
		fi
	done
fi

case " $cmdline " in
*" rotsim.noagent "*) ;;
*)
	if [ -x /bin/rotsim-agent ]; then
		# shellcheck disable=SC2086
		/bin/rotsim-agent $sntp_arg
		status=$?
		uptime_ms t_agent_exit
		echo "rotsim: event agent-exit status=$status"
		# The kernel's clock (ms) at /init's start, at the power-on message
		# (-1: a cold boot), at the booted line and at the agent's exit.
		echo "rotsim: event boot-times init=$t_init message=$t_message booted=$t_booted agent-exit=$t_agent_exit"
		# 10: an update was installed; boot it, as real firmware does.
		# "rotsim: end reboot" comes after the sync: from then on the flash
		# holds the install, and a target may power-cycle the device on it.
		if [ "$status" -eq 10 ]; then
			sync
			echo "rotsim: end reboot"
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
echo "rotsim: end poweroff"
poweroff -f
