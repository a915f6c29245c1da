#!/usr/bin/env bash
# A QEMU "board" for the board driver's tests: it plays a bench board with
# ser2net in front of its serial port. The driver sees only what a lab gives
# it: this script's deploy, on and off commands, and a TCP console.
#
#   board.sh deploy STATE IMAGE ETC [tap:TAP]
#                                     write the image under test: kernel,
#                                     initramfs + the device's configuration,
#                                     and the factory flash, into STATE; with
#                                     tap:TAP the board is wired to the host's
#                                     TAP device TAP (created here when
#                                     missing, and kept, as a NIC is) and its
#                                     firmware sets its clock by NTP at boot
#   board.sh reset STATE              factory reset: the flash as it left the factory
#   board.sh on STATE CONSOLE-PORT DATE NET
#                                     power on: QEMU with its RTC at DATE, its
#                                     serial port on a pty behind ser2net on
#                                     127.0.0.1:CONSOLE-PORT; NET is user:PORT
#                                     (user-mode networking with the update
#                                     server, 127.0.0.1:PORT, at
#                                     10.0.2.100:443) or tap:TAP (the NIC on
#                                     the TAP device: the lab network, which
#                                     the driver splices to TAP, gives address,
#                                     DNS, NTP and the server)
#   board.sh off STATE                power off: QEMU and ser2net stopped
#
# The lab firmware (tap:): the reference image's /init joins the network by
# DHCP (rotsim.net=dhcp) and runs /bin/rotsim-agent; here that is a wrapper
# that first sets the clock from the NTP server of the lease with sntpdate
# (targets/board-qemu/sntpdate.c) and then runs the image's own agent, as a
# board without a battery-backed clock does at boot. Its RTC starts in 2000.
#
# The kernel's command line is qemu-x86_64's: no_timer_check above all, for
# the kernel's check that the IO-APIC timer ticks panics a TCG guest on a
# loaded host ("IO-APIC + timer doesn't work!"), a board that never says
# "booted" for a reason no real board has; mitigations=off and
# cryptomgr.notests shorten the boot. Its CPU has rdrand, as qemu-x86_64's
# has: the guest's random pool is seeded at boot, and the agent does not wait
# a second for entropy before its first ClientHello.
#
# QEMU starts with its CPU stopped and runs once a console client is
# connected (or after 30 s), so the console holds every byte of the boot. A
# guest that reboots or powers off halts with its power on, as a board whose
# reset needs a power cycle does: QEMU stays, and with it the pty, so no
# byte the guest wrote is lost when it stops (an exiting QEMU drops what its
# pty still held).
set -euo pipefail

die() { echo "board.sh: $*" >&2; exit 1; }

# Stop the process in pid file $1: SIGTERM, up to 5 s, then SIGKILL.
stop() {
	local pid i
	[ -s "$1" ] || return 0
	pid=$(cat "$1")
	if kill -TERM "$pid" 2>/dev/null; then
		for i in {1..50}; do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

cmd=${1:-}
[ $# -ge 2 ] || die "usage: board.sh deploy|reset|on|off STATE ..."
s=$2/board
case $cmd in
deploy)
	[ $# -eq 4 ] || [ $# -eq 5 ] || die "usage: board.sh deploy STATE IMAGE ETC [tap:TAP]"
	img=$3 etc=$4 dir=$(dirname "$3") net=${5:-}
	[ -f "$img" ] && [ -f "$dir/flash.img" ] && [ -f "$dir/../vmlinuz" ] \
		|| die "no image at $img (run make images)"
	rm -rf "$s"
	mkdir -p "$s/stage/etc" "$s/stage/bin"
	cp "$dir/../vmlinuz" "$s/vmlinuz"
	cp "$dir/flash.img" "$s/factory-flash.img"
	cp "$dir/flash.img" "$s/flash.img"
	# The image's initramfs, padded to 4 bytes, then an archive with the
	# device's configuration as /etc/rotsim and the update server's name.
	cp "$img" "$s/initrd.img"
	truncate -s $(( ($(stat -c %s "$img") + 3) / 4 * 4 )) "$s/initrd.img"
	cp -r "$etc" "$s/stage/etc/rotsim"
	case $net in
	'')
		printf '127.0.0.1 localhost\n10.0.2.100 updates.rotsim.test\n' > "$s/stage/etc/hosts"
		;;
	tap:?*)
		tap=${net#tap:}
		sntpdate=$dir/../../../firmware/x86_64/sntpdate
		[ -x "$sntpdate" ] || die "no $sntpdate (run make)"
		# The image's own agent, behind the wrapper that sets the clock.
		zcat "$img" | (cd "$s/stage" && cpio -i --quiet -d bin/rotsim-agent)
		[ -s "$s/stage/bin/rotsim-agent" ] || die "no bin/rotsim-agent in $img"
		mv "$s/stage/bin/rotsim-agent" "$s/stage/bin/rotsim-agent.fw"
		cp "$sntpdate" "$s/stage/bin/sntpdate"
		cat > "$s/stage/bin/rotsim-agent" <<'AGENT'
#!/bin/sh
# The board's clock at boot: from the NTP server of the DHCP lease.
ntp=$(sed -n 's/^ntp=//p' /tmp/lease 2>/dev/null)
if [ -n "$ntp" ] && d=$(/bin/sntpdate "$ntp:123") && date -u -s "$d" >/dev/null; then
	echo "board: clock set by NTP from $ntp: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
else
	echo "board: no clock from NTP (server ${ntp:-none}): $(date -u +%Y-%m-%dT%H:%M:%SZ)"
fi
exec /bin/rotsim-agent.fw "$@"
AGENT
		chmod 0755 "$s/stage/bin/rotsim-agent" "$s/stage/bin/sntpdate"
		# The board's cable: a TAP device of the host, kept like a NIC.
		if ! ip link show dev "$tap" >/dev/null 2>&1; then
			ip tuntap add dev "$tap" mode tap || die "cannot create the TAP device $tap"
		fi
		echo "$tap" > "$s/tap"
		;;
	*) die "deploy: \"$net\": want tap:TAP" ;;
	esac
	(cd "$s/stage" && find etc bin | cpio -o -H newc -R 0:0 --quiet) >> "$s/initrd.img"
	rm -rf "$s/stage"
	sha256sum "$img"
	;;
reset)
	[ -f "$s/factory-flash.img" ] || { echo "nothing deployed: nothing to reset"; exit 0; }
	cp "$s/factory-flash.img" "$s/flash.img"
	;;
on)
	[ $# -eq 5 ] || die "usage: board.sh on STATE CONSOLE-PORT DATE NET"
	cport=$3 date=$4 net=$5 append="console=ttyS0 panic=-1 quiet mitigations=off cryptomgr.notests no_timer_check"
	[ -f "$s/initrd.img" ] || die "nothing deployed in $s"
	case $net in
	user:[0-9]*)
		nic="user,id=n0,restrict=on,ipv6=off,guestfwd=tcp:10.0.2.100:443-cmd:socat - TCP:127.0.0.1:${net#user:}"
		;;
	tap:?*)
		[ "$(cat "$s/tap" 2>/dev/null)" = "${net#tap:}" ] || die "deployed for another network than $net"
		nic="tap,id=n0,ifname=${net#tap:},script=no,downscript=no"
		append="$append rotsim.net=dhcp"
		;;
	*) die "on: \"$net\": want user:PORT or tap:TAP" ;;
	esac
	if [ -s "$s/qemu.pid" ] && kill -0 "$(cat "$s/qemu.pid")" 2>/dev/null; then
		die "already on"
	fi
	rm -f "$s/mon.sock"
	: > "$s/qemu.log"
	setsid qemu-system-x86_64 -nographic -nodefaults -no-user-config -S \
		-action reboot=shutdown,shutdown=pause \
		-M q35 -m 256 -cpu qemu64,rdrand=on -accel tcg -rtc "base=$date" \
		-kernel "$s/vmlinuz" -initrd "$s/initrd.img" \
		-append "$append" \
		-chardev pty,id=ser0 -serial chardev:ser0 \
		-monitor "unix:$s/mon.sock,server=on,wait=off" \
		-netdev "$nic" \
		-device virtio-net-pci,netdev=n0,romfile= \
		-drive "file=$s/flash.img,format=raw,if=none,id=flash0" \
		-device virtio-blk-pci,drive=flash0 \
		-pidfile "$s/qemu.pid" </dev/null >"$s/qemu.log" 2>&1 &
	# Few processes in these loops: on a loaded machine each one counts.
	pty=
	for _ in {1..300}; do
		while IFS= read -r line; do
			[[ $line =~ redirected\ to\ (/dev/pts/[0-9]+) ]] && pty=${BASH_REMATCH[1]}
		done < "$s/qemu.log"
		[ -n "$pty" ] && [ -S "$s/mon.sock" ] && break
		sleep 0.1
	done
	[ -n "$pty" ] || { cat "$s/qemu.log" >&2; die "QEMU gave no pty"; }
	cat > "$s/ser2net.yaml" <<YAML
connection: &board
  accepter: tcp,127.0.0.1,$cport
  connector: serialdev,$pty,115200n81,local
  options:
    kickolduser: true
YAML
	setsid ser2net -n -c "$s/ser2net.yaml" </dev/null \
		>"$s/ser2net.log" 2>&1 &
	echo $! > "$s/ser2net.pid"
	for _ in {1..300}; do
		[ -n "$(ss -Htln "( sport = :$cport )")" ] && break
		sleep 0.1
	done
	ss -Htln "( sport = :$cport )" | grep -q . || { cat "$s/ser2net.log" >&2; die "ser2net did not listen on $cport"; }
	# On a loaded machine the driver's console may take seconds to connect
	# (it retries every second): a guest running before would lose its
	# first lines, the pty dropping what no one reads.
	for _ in {1..300}; do
		[ -n "$(ss -Htn state established "( sport = :$cport )")" ] && break
		sleep 0.1
	done
	echo cont | socat - "UNIX-CONNECT:$s/mon.sock" >/dev/null
	echo "on: qemu $(cat "$s/qemu.pid"), serial $pty, ser2net 127.0.0.1:$cport"
	;;
off)
	stop "$s/qemu.pid"
	stop "$s/ser2net.pid"
	echo off
	;;
*)
	die "unknown command \"$cmd\""
	;;
esac
