#!/bin/sh
# update-client (SWUpdate): the update client of a device built the way many
# embedded Linux teams build one: Debian's swupdate installs signed .swu
# bundles into the other slot of an A/B flash, and a few lines of shell choose
# the slot, run swupdate, record what is installed and reboot. It knows
# nothing of rotsim's agent. targets/swupdate/README.md describes it.
#
# usage: update-client [--etc DIR] [--flash DEV] [--url URL] [--fetch MODE]
#
# --fetch downloader  swupdate -d: SWUpdate's own downloader (libcurl)
# --fetch curl        curl, with the device's trust, streamed into swupdate -i
# --fetch suricatta   swupdate -u: SWUpdate's hawkBit client polls the update
#                     host's DDI API, with the device's anchors as its cafile
# Both default from the kernel command line (swupdate.url=, swupdate.fetch=);
# the URL then from the configuration's url file, else
# https://HOST/firmware/update.swu (HOST: the device's update host); the
# fetch mode else suricatta when the profile says protocol = hawkbit, else
# downloader.
#
# Exit status: 0 current, 10 updated (the image's /init syncs the flash and
# resets the machine, reboot -f, as the device's firmware does), 3 rejected
# (TLS, signature, hash, bundle), 4 unreachable, 1 error, 2 usage.
set -u

me=update-client
etc=/etc/rotsim flash=/dev/vda url='' fetch=''

say() { echo "$me: $*"; }
die() { say "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--etc) etc=$2; shift ;;
	--flash) flash=$2; shift ;;
	--url) url=$2; shift ;;
	--fetch) fetch=$2; shift ;;
	--sntp=*) ;;	# the image's /init passes it on lab networks; no NTP here
	-h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "$me: unknown option \"$1\" (try --help)" >&2; exit 2 ;;
	esac
	shift
done
# The value of a NAME=VALUE switch on the kernel command line.
karg() {
	# shellcheck disable=SC2013 # words, not lines
	for w in $(cat /proc/cmdline 2>/dev/null); do
		case $w in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}
[ -n "$fetch" ] || fetch=$(karg swupdate.fetch) || fetch=''
case $fetch in ''|downloader|curl|suricatta) ;;
*) echo "$me: --fetch: downloader, curl or suricatta, not \"$fetch\"" >&2; exit 2 ;;
esac

# ---- The device's configuration (/etc/rotsim: profile, anchors, device,
# host, and the certificate that signs bundles, bundle-ca.pem). ----
profile=$etc/profile
[ -r "$profile" ] || die "no profile at $profile"
conf() {	# conf KEY: the value of KEY in the profile, or nothing
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$profile" |
		sed 's/[[:space:]]*#.*$//; s/[[:space:]]*$//' | head -n 1
}
pname=$(sed -n 's/^[[:space:]]*\[profile[[:space:]]\{1,\}\([^]]*\)\].*/\1/p' "$profile" | head -n 1)
device=$pname
[ -r "$etc/device" ] && device=$(head -n 1 "$etc/device")
host=updates.rotsim.test
[ -r "$etc/host" ] && [ -n "$(head -n 1 "$etc/host")" ] && host=$(head -n 1 "$etc/host")
[ -n "$url" ] || url=$(karg swupdate.url) || url=$(head -n 1 "$etc/url" 2>/dev/null) || url=''
[ -n "$url" ] || url=https://$host/firmware/update.swu
factory_version=$(conf version)
[ -n "$factory_version" ] || factory_version=1
anchors=$(conf anchors) pins=$(conf pins) insecure=$(conf insecure)
if [ -z "$fetch" ]; then
	if [ "$(conf protocol)" = hawkbit ]; then fetch=suricatta; else fetch=downloader; fi
fi
bundle_ca=$etc/bundle-ca.pem
[ -r "$bundle_ca" ] || die "no bundle signer certificate at $bundle_ca"
say "start device=$device profile=$pname fetch=$fetch time=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ---- Flash: the factory layout's line at offset 512 names the slots; the
# boot-control block (4 KiB) holds this client's state, as a bootloader
# environment would. ----
[ -b "$flash" ] || [ -f "$flash" ] || die "no flash at $flash"
layout=$(dd if="$flash" bs=512 skip=1 count=1 2>/dev/null | tr -d '\000' | head -n 1)
lf() { echo "$layout" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
slot_a=$(lf slot-a) slot_b=$(lf slot-b) bc=$(lf boot-control)
case "$slot_a:$slot_b:$bc" in
*[!0-9:]*|:*|*::*|*:) die "flash $flash: no layout line at offset 512" ;;
esac
# " confirm": installed by suricatta, its success not yet reported to the
# hawkBit server (which is done from the new version, after the reset).
state=$(dd if="$flash" bs=4096 skip=$((bc / 4096)) count=1 2>/dev/null | tr -d '\000' |
	sed -n 's/^swupdate-client-state 1 version \([0-9]\{1,10\}\) slot \([ab]\)\( confirm\)\{0,1\}$/\1 \2\3/p')
confirm=''
case $state in *" confirm") confirm=yes state=${state% confirm} ;; esac
if [ -n "$state" ]; then
	running=${state% *} slot=${state#* }
else
	running=$factory_version slot=a
fi
if [ "$slot" = a ]; then other=b; else other=a; fi
say "running version $running from slot $slot"

# ---- Trust: SWUpdate's downloader takes none (SWUpdate 2022.12 turns
# libcurl's peer and host checks off for -d and reads no CA file for it);
# curl takes the profile's. ----
tmp=$(mktemp -d /tmp/update-client.XXXXXX) || die "mktemp failed"
if [ "$fetch" = downloader ]; then
	trust="none (swupdate -d does not verify the server)"
elif [ "$fetch" = suricatta ]; then
	# suricatta's channel checks the peer and the host name (strictssl)
	# against its cafile; -x turns both off. It takes no key pins.
	suri=''
	if [ "$insecure" = yes ]; then
		suri=-x cafile=''
		trust="none (suricatta -x)"
	elif [ -n "$anchors" ]; then
		cafile=$etc/anchors/$anchors.pem
		[ -r "$cafile" ] || die "no anchors at $cafile"
		trust="anchors $anchors (suricatta cafile)"
	else
		die "suricatta takes anchors or insecure, not pins"
	fi
	url=https://$host
else
	set -- -sS --connect-timeout 60 --max-time 300 -H "User-Agent: update-client-swupdate"
	if [ "$insecure" = yes ]; then
		set -- "$@" -k
		trust="none (curl -k)"
	elif [ -n "$pins" ]; then
		pinarg=
		while read -r p; do
			case $p in ''|'#'*) continue ;; esac
			pinarg="${pinarg:+$pinarg;}sha256//$p"
		done < "$etc/anchors/$pins.pins"
		[ -n "$pinarg" ] || die "no pins in $etc/anchors/$pins.pins"
		set -- "$@" -k --pinnedpubkey "$pinarg"
		trust="pins $pins"
	elif [ -n "$anchors" ]; then
		[ -r "$etc/anchors/$anchors.pem" ] || die "no anchors at $etc/anchors/$anchors.pem"
		set -- "$@" --cacert "$etc/anchors/$anchors.pem" --capath /dev/null
		trust="anchors $anchors"
	else
		die "the profile names no anchors, pins or insecure"
	fi
fi
say "fetch $url trust $trust"

# suricatta: swupdate -u, a daemon polling the hawkBit server, watched until
# one poll has an answer: installed (it then waits to be restarted, the
# install's success reported from the new version: -c 2 at the next boot),
# nothing pending, a refused bundle (its failure reported), or a channel
# error. Sets rc, crc (curl's code of a channel error) and confirmed.
suricatta() {
	{
		echo 'globals :'
		echo '{'
		echo '	loglevel = 6;'
		echo '};'
		echo 'suricatta :'
		echo '{'
		echo '	tenant = "DEFAULT";'
		echo "	id = \"$device\";"
		echo "	url = \"$url\";"
		[ -z "$cafile" ] || echo "	cafile = \"$cafile\";"
		echo '};'
	} > "$tmp/swupdate.cfg"
	sopt="${suri}${confirm:+ -c 2}"
	[ -z "$confirm" ] || say "reporting the install of version $running to the server (suricatta -c 2)"
	# SIGPIPE ignored, as systemd starts a service (IgnoreSIGPIPE=yes): with
	# its default action suricatta 2022.12 died of it mid-install in 4 of 5
	# installs here (status 141), a write to a peer that had gone.
	# shellcheck disable=SC2086
	(trap '' PIPE; exec $sw -f "$tmp/swupdate.cfg" -u "$sopt" > "$tmp/log" 2>&1) &
	spid=$!
	confirmed='' waited=0 verdict=''
	while [ -z "$verdict" ]; do
		sleep 1
		waited=$((waited + 1))
		if ! kill -0 "$spid" 2>/dev/null; then
			verdict=exited
		elif grep -q 'Update successful, executing post-update actions' "$tmp/log"; then
			verdict=installed
		elif grep -q 'Installation failed\|Error processing update chunk' "$tmp/log" &&
			grep -q 'No pending action on server' "$tmp/log"; then
			verdict=failed	# and its closed/failure feedback sent
		elif grep -q 'Channel get operation failed\|Channel put operation failed' "$tmp/log"; then
			verdict=channel
		elif grep -q 'No pending action on server' "$tmp/log"; then
			verdict=none
		elif [ "$waited" -ge 240 ]; then
			verdict=timeout
		fi
	done
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	sst=$?
	if [ "$verdict" = exited ]; then
		say "swupdate exited on its own, status $sst; its last lines:"
		tail -n 12 "$tmp/log" | sed "s/^/$me: swupdate: /"
	fi
	[ -z "$confirm" ] || ! grep -q 'Got state=2 from command line' "$tmp/log" ||
		grep -q 'Error while reporting installation status' "$tmp/log" || confirmed=yes
	case $verdict in
	installed) rc=0 ;;
	failed) rc=1 ;;
	channel)
		crc=$(sed -n 's/.*Channel [a-z]* operation failed (\([0-9]*\)).*/\1/p' "$tmp/log" | head -n 1)
		[ -n "$crc" ] || crc=1
		sed -n 's/.*Channel [a-z]* operation failed (\([0-9]*\)): //p' "$tmp/log" | head -n 1 > "$tmp/curl.err"
		rc=1 ;;
	none) rc=0 ;;
	*) crc=1; echo "swupdate: $verdict after ${waited} s" > "$tmp/curl.err"; rc=1 ;;
	esac
	suricatta_verdict=$verdict
}

# ---- swupdate: the collection for the other slot, bundles signed by the
# device's signer certificate, nothing older or equal to what runs. ----
sw="swupdate -v -k $bundle_ca -e stable,slot-$other -H rotsim:1.0 -N $running -R $running"
rc=0 crc=0
if [ "$fetch" = downloader ]; then
	# shellcheck disable=SC2086
	$sw -d "-u $url -r 3 -t 30" > "$tmp/log" 2>&1 || rc=$?
elif [ "$fetch" = suricatta ]; then
	suricatta
else
	# curl's status travels through a file: a pipe keeps only the last one.
	# (busybox's devtmpfs has no /dev/stdin.)
	# shellcheck disable=SC2086
	{ curl "$@" "$url" 2>"$tmp/curl.err"; echo $? > "$tmp/curl.rc"; } |
		$sw -i /proc/self/fd/0 > "$tmp/log" 2>&1 || rc=$?
	crc=$(cat "$tmp/curl.rc")
fi
# swupdate's own lines, without the trace chatter, on the console.
grep -v '^\[TRACE\]\|^\[DEBUG\]\|^[[:space:]]*$\|^SWUpdate v\|^Licensed under' "$tmp/log" |
	grep -v 'Waiting for requests\|print_registered_handlers\|MTD is not present\|libmtd\|Lua handler' |
	sed "s/^/$me: swupdate: /" | head -n 40
offered=$(sed -n 's/.*\[get_common_fields\] : Version \([0-9][0-9.]*\).*/\1/p' "$tmp/log" | head -n 1)
done_line() { say "done result=$1 version=$running${2:+ installed=$2}${3:+ reason=$3}"; }

# curl's TLS failures by name (curl(1), EXIT CODES).
case $crc in
0) ;;
35|51|58|60|90)
	case $crc in
	35) name=CURLE_SSL_CONNECT_ERROR ;; 51|60) name=CURLE_PEER_FAILED_VERIFICATION ;;
	58) name=CURLE_SSL_CERTPROBLEM ;; 90) name=CURLE_SSL_PINNEDPUBKEYNOTMATCH ;;
	esac
	say "err=$name curl exit $crc: $(head -c 300 "$tmp/curl.err" | tr '\n' ' ')"
	done_line rejected "" "$name"
	exit 3 ;;
*)
	say "err=unreachable curl exit $crc: $(head -c 300 "$tmp/curl.err" | tr '\n' ' ')"
	done_line unreachable "" "curl-exit-$crc"
	exit 4 ;;
esac
# write_state VERSION SLOT [confirm]: the boot-control block.
write_state() {
	{ printf 'swupdate-client-state 1 version %s slot %s%s\n' "$1" "$2" "${3:+ $3}"
	  head -c 4096 /dev/zero; } | head -c 4096 |
		dd of="$flash" bs=4096 seek=$((bc / 4096)) count=1 conv=notrunc 2>/dev/null ||
		die "writing the state failed"
	sync
}
if [ "$fetch" = suricatta ]; then
	if [ -n "$confirmed" ]; then
		write_state "$running" "$slot"
		say "reported the install of version $running to the server"
	fi
	if [ "$suricatta_verdict" = none ]; then
		done_line current "" nothing-pending
		exit 0
	fi
fi
if [ "$rc" -ne 0 ]; then
	if grep -q 'No reinstalling allowed\|No downgrading allowed' "$tmp/log"; then
		done_line current "" "offered=${offered:-?}"
		exit 0
	elif grep -q 'Signature verification failed\|Authentication of all signatures failed\|cannot be parsed as DER-encoded CMS' "$tmp/log"; then
		done_line rejected "" bad-signature
		exit 3
	elif grep -q 'HASH mismatch' "$tmp/log"; then
		done_line rejected "" image-hash
		exit 3
	elif grep -q 'too many failed download attempts\|Channel operation returned' "$tmp/log" &&
		[ -z "$offered" ]; then
		done_line unreachable "" download-failed
		exit 4
	fi
	done_line rejected "" "swupdate-exit-$rc"
	exit 3
fi
grep -q 'SWUPDATE successful' "$tmp/log" || { done_line rejected "" no-success-line; exit 3; }
case $offered in ''|*[!0-9]*) die "installed, but the bundle's version \"$offered\" is not a number" ;; esac

# ---- Switch slots: the state block names the new version and slot (and,
# for suricatta, that its success is still to be reported). ----
if [ "$fetch" = suricatta ]; then write_state "$offered" "$other" confirm
else write_state "$offered" "$other"; fi
say "installed version $offered into slot $other"
done_line updated "$offered"
# The new version runs after a reset: the image's /init resets the machine
# on status 10, after its sync and the console line that says so.
exit 10
