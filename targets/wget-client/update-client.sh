#!/bin/sh
# update-client (wget): the shell update client of targets/curl-client with
# GNU wget in curl's place, so that the TLS stack deciding trust is GnuTLS
# (Debian builds wget on it). It speaks sim/server/PROTOCOL.md: the manifest,
# its ECDSA signature checked with the openssl command, the image resumed with
# Range and checked by SHA-256, dd into the other slot, the check-in.
# targets/wget-client/README.md describes it.
#
# usage: update-client [--etc DIR] [--flash PATH] [--sntp HOST:PORT] [--timeout S]
#
# Exit status: 0 current, 10 updated (the image's /init reboots), 3 rejected
# (TLS, signature or image), 4 unreachable, 1 error, 2 usage.
set -u

me=update-client
host=updates.rotsim.test
etc=/etc/rotsim flash=/dev/vda sntp='' timeout=10
# GNU wget by its path: the image's busybox installs its own wget in /bin,
# first on the PATH.
wget=/usr/bin/wget

say() { echo "$me: $*"; }
die() { say "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--etc) etc=$2; shift ;;
	--flash) flash=$2; shift ;;
	--sntp) sntp=$2; shift ;;
	--sntp=*) sntp=${1#*=} ;;
	--timeout) timeout=$2; shift ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "$me: unknown option \"$1\" (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $timeout in ''|*[!0-9]*) echo "$me: --timeout: not a number: $timeout" >&2; exit 2 ;; esac

# ---- The device's configuration: its profile (key = value lines). ----
profile=$etc/profile
[ -r "$profile" ] || die "no profile at $profile"
conf() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$profile" |
		sed 's/[[:space:]]*#.*$//; s/[[:space:]]*$//' | head -n 1
}
pname=$(sed -n 's/^[[:space:]]*\[profile[[:space:]]\{1,\}\([^]]*\)\].*/\1/p' "$profile" | head -n 1)
device=$pname
[ -r "$etc/device" ] && device=$(head -n 1 "$etc/device")
factory_version=$(conf version)
[ -n "$factory_version" ] || factory_version=1
anchors=$(conf anchors) pins=$(conf pins) insecure=$(conf insecure) clock=$(conf clock)
[ -n "$sntp" ] || sntp=$(conf sntp)
if [ "$clock" = sntp ]; then
	[ -n "$sntp" ] || sntp=$host:123
	if ntpd -n -q -p "${sntp%:*}" >/dev/null 2>&1; then
		say "clock set by NTP from ${sntp%:*}"
	else
		say "no NTP answer from ${sntp%:*}: clock stays at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	fi
fi
say "start device=$device profile=$pname time=$(date -u +%Y-%m-%dT%H:%M:%SZ) $($wget --version | head -n 1)"

# ---- Flash: the factory layout's line at offset 512 names the slots; the
# boot-control block holds this client's state. ----
[ -b "$flash" ] || [ -f "$flash" ] || die "no flash at $flash"
layout=$(dd if="$flash" bs=512 skip=1 count=1 2>/dev/null | tr -d '\000' | head -n 1)
lf() { echo "$layout" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
slot_a=$(lf slot-a) slot_b=$(lf slot-b) slot_size=$(lf slot-size) bc=$(lf boot-control)
case "$slot_a:$slot_b:$slot_size:$bc" in
*[!0-9:]*|:*|*::*|*:) die "flash $flash: no layout line at offset 512" ;;
esac
state=$(dd if="$flash" bs=4096 skip=$((bc / 4096)) count=1 2>/dev/null | tr -d '\000' |
	sed -n 's/^wget-client-state 1 version \([0-9]\{1,10\}\) slot \([AB]\)$/\1 \2/p')
if [ -n "$state" ]; then
	running=${state% *} slot=${state#* }
else
	running=$factory_version slot=A
fi
say "running version $running from slot $slot"

# ---- wget: trust as the profile says. ----
tmp=$(mktemp -d /tmp/update-client.XXXXXX) || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
# wget's options as one string split at blanks (none of them holds one; no
# globbing), so that every function sees them.
set -f
wopts="--no-hsts --no-config --connect-timeout=$timeout --read-timeout=$((timeout * 3))
	--tries=3 --waitretry=1 --user-agent=update-client-wget"
if [ "$insecure" = yes ]; then
	wopts="$wopts --no-check-certificate"
	trust="none (wget --no-check-certificate)"
elif [ -n "$pins" ]; then
	pinarg=
	while read -r p; do
		case $p in ''|'#'*) continue ;; esac
		pinarg="${pinarg:+$pinarg;}sha256//$p"
	done < "$etc/anchors/$pins.pins"
	[ -n "$pinarg" ] || die "no pins in $etc/anchors/$pins.pins"
	# The pin is all that is checked, as a device pinning the key does.
	wopts="$wopts --no-check-certificate --pinnedpubkey=$pinarg"
	trust="pins $pins"
elif [ -n "$anchors" ]; then
	[ -r "$etc/anchors/$anchors.pem" ] || die "no anchors at $etc/anchors/$anchors.pem"
	# An empty CA directory: wget loads GnuTLS's system trust without one.
	mkdir -p "$tmp/no-cas"
	wopts="$wopts --ca-certificate=$etc/anchors/$anchors.pem --ca-directory=$tmp/no-cas"
	trust="anchors $anchors"
else
	die "the profile names no anchors, pins or insecure"
fi
base="https://$host"

# fetch PATH OUT [more wget options...]: the last HTTP status in $code, wget's
# exit in $rc
fetch() {
	p=$1 o=$2; shift 2
	# shellcheck disable=SC2086
	"$wget" $wopts "$@" --server-response -O "$o" "$base$p" 2>"$tmp/err"
	rc=$?
	code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$tmp/err" | tail -n 1)
}
report() {	# report STATUS VERSION OFFERED
	printf 'rotsim-report 1\ndevice %s\nprofile %s\nversion %s\nstatus %s\noffered %s\ntrust %s\nclient update-client-wget\n' \
		"$device" "$pname" "$2" "$1" "$3" "$(echo "$trust" | tr ' ' '-')" > "$tmp/report"
	fetch /report "$tmp/report.out" --header='Content-Type: text/plain' --post-file="$tmp/report"
	say "check-in status=$st version=$ver http=${code:-none}"
}
done_line() { say "done result=$1 version=$running${2:+ installed=$2}${3:+ reason=$3}"; }
# wget's exit statuses (wget(1), EXIT STATUS): 5 is an SSL verification failure.
errline() { grep -i 'error\|unable\|pinned\|not trusted\|issuer' "$tmp/err" | head -n 3 | tr '\n' ' ' | cut -c1-300; }

# ---- 1. The manifest. ----
fetch /manifest "$tmp/manifest"
if [ "$rc" -eq 5 ]; then
	say "err=WGET_SSL_VERIFICATION wget exit 5: $(errline)"
	done_line rejected "" WGET_SSL_VERIFICATION
	exit 3
elif [ "$rc" -ne 0 ] || [ "$code" != 200 ]; then
	say "err=unreachable wget exit $rc http=${code:-none}: $(errline)"
	done_line unreachable "" "wget-exit-$rc"
	exit 4
fi
line() { sed -n "$1p" "$tmp/manifest"; }
st='' ver=''
reject() {	# reject STATUS REASON MESSAGE: check in, say why, exit 3
	say "err=$2 $3"
	st=$1 ver=$running
	report "$1" "$running" "${offered:-}"
	done_line rejected "" "$2"
	exit 3
}
offered=''
if ! { [ "$(wc -l < "$tmp/manifest" | tr -d ' ')" = 6 ] &&
	[ "$(line 1)" = "rotsim-manifest 1" ] &&
	line 2 | grep -Eqx 'version [1-9][0-9]{0,9}' &&
	line 3 | grep -Eqx 'size (0|[1-9][0-9]{0,11})' &&
	line 4 | grep -Eqx 'sha256 [0-9a-f]{64}' &&
	line 5 | grep -Eqx 'url /[!-~]{0,254}' &&
	line 6 | grep -Eqx 'sig [A-Za-z0-9+/]{86}=='; }; then
	reject manifest-rejected manifest-format "the manifest does not parse"
fi
field() { sed -n "s/^$1 //p" "$tmp/manifest"; }
offered=$(field version) size=$(field size) sha=$(field sha256) url=$(field url)
head -n 5 "$tmp/manifest" > "$tmp/signed"
# The raw r || s signature (64 bytes) as the DER form openssl reads.
field sig | openssl base64 -d -A > "$tmp/sig.raw" 2>/dev/null
hex=$(od -An -v -tx1 "$tmp/sig.raw" | tr -d ' \n')
[ ${#hex} -eq 128 ] || reject manifest-rejected signature-format "the signature is not 64 bytes"
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
	"$(echo "$hex" | cut -c1-64)" "$(echo "$hex" | cut -c65-128)" > "$tmp/sig.cnf"
openssl asn1parse -genconf "$tmp/sig.cnf" -out "$tmp/sig.der" -noout >/dev/null 2>&1 ||
	die "openssl asn1parse failed"
openssl dgst -sha256 -verify "$etc/signing-key.pub.pem" -signature "$tmp/sig.der" \
	"$tmp/signed" >/dev/null 2>&1 ||
	reject manifest-rejected bad-signature "the manifest's signature does not verify"
say "manifest version=$offered size=$size signature=ok"
if [ "$offered" -le "$running" ]; then
	st=current ver=$running
	report current "$running" "$offered"
	done_line current
	exit 0
fi
[ "$size" -le "$slot_size" ] || reject image-rejected image-too-large "$size bytes, slot holds $slot_size"

# ---- 2. The image, resumed with Range (wget -c) after a cut. ----
: > "$tmp/image"
tries=0
while :; do
	fetch "$url" "$tmp/image" -c
	have=$(wc -c < "$tmp/image" | tr -d ' ')
	[ "$rc" -eq 0 ] && [ "$have" -ge "$size" ] && break
	tries=$((tries + 1))
	say "image: http=${code:-none} wget exit $rc, $have of $size bytes (attempt $tries)"
	if [ "$tries" -ge 5 ] || [ "$code" = 404 ] || [ "$code" = 416 ]; then
		reject image-rejected download-failed "no whole image"
	fi
	sleep 1
done
got=$(openssl dgst -sha256 -r "$tmp/image" | cut -d' ' -f1)
if [ "$have" -ne "$size" ] || [ "$got" != "$sha" ]; then
	reject image-rejected image-hash "size $have of $size, sha256 $got"
fi

# ---- 3. Install into the other slot, then switch. ----
if [ "$slot" = A ]; then other=B at=$slot_b; else other=A at=$slot_a; fi
dd if="$tmp/image" of="$flash" bs=4096 seek=$((at / 4096)) conv=notrunc 2>/dev/null ||
	die "writing slot $other failed"
{ printf 'wget-client-state 1 version %s slot %s\n' "$offered" "$other"
  head -c 4096 /dev/zero; } | head -c 4096 |
	dd of="$flash" bs=4096 seek=$((bc / 4096)) count=1 conv=notrunc 2>/dev/null ||
	die "writing the state failed"
sync
say "installed version $offered into slot $other"
st=installed ver=$running
report installed "$running" "$offered"
done_line updated "$offered"
exit 10
