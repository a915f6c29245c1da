#!/bin/sh
# update-client: a firmware update client in POSIX shell on curl and the
# OpenSSL command line, written from sim/server/PROTOCOL.md alone, the way a
# firmware team writes one: curl does TLS (on OpenSSL), the name check and the
# trust; openssl checks the manifest's ECDSA signature and the image's SHA-256;
# dd writes the image into the other slot of the flash. It knows nothing of
# rotsim's agent. targets/curl-client/README.md describes it.
#
# usage: update-client [--etc DIR] [--flash PATH] [--connect ADDR:PORT]
#                      [--rtc DATE] [--sntp HOST:PORT] [--timeout S]
#
# Exit status: 0 current, 10 updated (reboot requested), 3 rejected (TLS,
# signature or image), 4 unreachable, 1 error, 2 usage.
set -u

me=update-client
host=updates.rotsim.test
etc=/etc/rotsim flash=/dev/vda connect='' rtc='' sntp='' timeout=10

say() { echo "$me: $*"; }
die() { say "error: $*"; exit 1; }

while [ $# -gt 0 ]; do
	case $1 in
	--etc) etc=$2; shift ;;
	--etc=*) etc=${1#*=} ;;
	--flash) flash=$2; shift ;;
	--flash=*) flash=${1#*=} ;;
	--connect) connect=$2; shift ;;
	--connect=*) connect=${1#*=} ;;
	--rtc) rtc=$2; shift ;;
	--rtc=*) rtc=${1#*=} ;;
	--sntp) sntp=$2; shift ;;
	--sntp=*) sntp=${1#*=} ;;
	--timeout) timeout=$2; shift ;;
	--timeout=*) timeout=${1#*=} ;;
	-h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "$me: unknown option \"$1\" (try --help)" >&2; exit 2 ;;
	esac
	shift
done
case $timeout in ''|*[!0-9]*) echo "$me: --timeout: not a number: $timeout" >&2; exit 2 ;; esac

# A host run (no machine of its own) travels in time with libfaketime: the
# client starts again under it at the RTC's date.
if [ -n "$rtc" ] && [ -z "${FAKETIME:-}" ]; then
	command -v faketime >/dev/null 2>&1 || die "--rtc needs faketime"
	when=$(echo "$rtc" | sed 's/T/ /; s/Z$//')
	case $when in *:*) ;; *) when="$when 00:00:00" ;; esac
	exec faketime -f "@$when" "$0" --etc "$etc" --flash "$flash" --connect "$connect" \
		--sntp "$sntp" --timeout "$timeout"
fi

# ---- The device's configuration: its profile (key = value lines). ----
profile=$etc/profile
[ -r "$profile" ] || die "no profile at $profile"
conf() {	# conf KEY: the value of KEY in the profile, or nothing
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$profile" |
		sed 's/[[:space:]]*#.*$//; s/[[:space:]]*$//' | head -n 1
}
pname=$(sed -n 's/^[[:space:]]*\[profile[[:space:]]\{1,\}\([^]]*\)\].*/\1/p' "$profile" | head -n 1)
device=$pname
[ -r "$etc/device" ] && device=$(head -n 1 "$etc/device")
factory_version=$(conf version)
[ -n "$factory_version" ] || factory_version=1
anchors=$(conf anchors) pins=$(conf pins) insecure=$(conf insecure) clock=$(conf clock)
# The update protocol (sim/server/PROTOCOL.md): rotsim's, a file tree or hawkBit.
protocol=$(conf protocol) signal=$(conf version-signal) image_path=$(conf image-path)
[ -n "$protocol" ] || protocol=rotsim
[ -n "$image_path" ] || image_path=/firmware/update.bin
case $protocol in rotsim|files|hawkbit) ;; *) die "unknown protocol \"$protocol\"" ;; esac
[ -n "$sntp" ] || sntp=$(conf sntp)

# ---- The clock: the RTC as the kernel set it, or NTP when configured. ----
if [ "$clock" = sntp ]; then
	[ -n "$sntp" ] || sntp=$host:123
	if command -v ntpd >/dev/null 2>&1 && ntpd -n -q -p "${sntp%:*}" >/dev/null 2>&1; then
		say "clock set by NTP from ${sntp%:*}"
	else
		say "no NTP answer from ${sntp%:*}: clock stays at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	fi
fi
say "start device=$device profile=$pname time=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ---- Flash: two slots as the factory image lays them out (1 MiB header
# area, slot A, slot B) and this client's own state in the last 4 KiB. ----
mib=1048576
# A directory (a host run) holds the flash as flash.img, made at first boot.
if [ -d "$flash" ]; then
	flash=$flash/flash.img
	[ -e "$flash" ] || dd if=/dev/zero of="$flash" bs=1 count=0 seek=$((9 * mib)) 2>/dev/null ||
		die "cannot create $flash"
fi
[ -e "$flash" ] || die "no flash at $flash"
if [ -b "$flash" ]; then
	fsize=$(blockdev --getsize64 "$flash" 2>/dev/null)
else
	fsize=$(wc -c < "$flash" | tr -d ' ')
fi
case $fsize in ''|*[!0-9]*) die "cannot size the flash $flash" ;; esac
[ "$fsize" -ge $((3 * mib)) ] || die "flash $flash too small ($fsize bytes)"
slot_size=$(((fsize - mib - 4096) / 2 / 4096 * 4096))
state_at=$(((fsize - 4096) / 4096))	# in 4 KiB blocks
state=$(dd if="$flash" bs=4096 skip="$state_at" count=1 2>/dev/null | tr -d '\000' |
	sed -n 's/^update-client-state 1 version \([0-9]\{1,10\}\) slot \([AB]\)$/\1 \2/p')
if [ -n "$state" ]; then
	running=${state% *} slot=${state#* }
else
	running=$factory_version slot=A
fi
say "running version $running from slot $slot"

# ---- curl: trust as the profile says. ----
tmp=$(mktemp -d "${TMPDIR:-/tmp}/update-client.XXXXXX") || die "mktemp failed"
trap 'rm -rf "$tmp"' EXIT
set -- -sS --connect-timeout "$timeout" --max-time $((timeout * 6)) -H "User-Agent: update-client" \
	--retry 3 --retry-max-time 60
if [ -n "$connect" ]; then
	set -- "$@" --resolve "$host:${connect##*:}:${connect%:*}"
	port=${connect##*:}
else
	port=443
fi
trust=none
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
	# The pin is all that is checked, as a device pinning the key does.
	set -- "$@" -k --pinnedpubkey "$pinarg"
	trust="pins $pins"
elif [ -n "$anchors" ]; then
	[ -r "$etc/anchors/$anchors.pem" ] || die "no anchors at $etc/anchors/$anchors.pem"
	set -- "$@" --cacert "$etc/anchors/$anchors.pem" --capath /dev/null
	trust="anchors $anchors"
else
	die "the profile names no anchors, pins or insecure"
fi
base="https://$host:$port"

# fetch PATH|URL OUT [curl options...]: the HTTP status in $code, curl's exit in $rc
fetch() {
	p=$1 o=$2; shift 2
	case $p in https://*) u=$p ;; *) u=$base$p ;; esac
	curl "$@" -o "$o" -w '%{http_code}' "$u" >"$tmp/code" 2>"$tmp/err"
	rc=$?
	code=$(cat "$tmp/code")
}

# report STATUS VERSION OFFERED: the check-in (POST /report)
report() {
	st=$1 ver=$2 off=$3; shift 3
	printf 'rotsim-report 1\ndevice %s\nprofile %s\nversion %s\nstatus %s\noffered %s\ntrust %s\nclient update-client-curl\n' \
		"$device" "$pname" "$ver" "$st" "$off" "$(echo "$trust" | tr ' ' '-')" > "$tmp/report"
	code=$(curl "$@" -X POST -H 'Content-Type: text/plain' --data-binary "@$tmp/report" \
		-o /dev/null -w '%{http_code}' "$base/report" 2>"$tmp/err")
	say "check-in status=$st version=$ver http=$code"
}

# TLS failures as curl names them (curl(1), EXIT CODES).
tls_exit() {
	case $1 in
	35) echo "CURLE_SSL_CONNECT_ERROR" ;;
	51) echo "CURLE_PEER_FAILED_VERIFICATION" ;;
	58) echo "CURLE_SSL_CERTPROBLEM" ;;
	60) echo "CURLE_PEER_FAILED_VERIFICATION" ;;
	90) echo "CURLE_SSL_PINNEDPUBKEYNOTMATCH" ;;
	*) return 1 ;;
	esac
}
done_line() { say "done result=$1 version=$running${2:+ installed=$2}${3:+ reason=$3}"; }

# first_failed: the first request of a boot failed (curl exit $rc): a TLS
# refusal is "rejected", anything else "unreachable". Exits.
first_failed() {
	err=$(head -c 300 "$tmp/err" | tr '\n' ' ')
	if name=$(tls_exit "$rc"); then
		say "err=$name curl exit $rc: $err"
		done_line rejected "" "$name"
		exit 3
	fi
	say "err=unreachable curl exit $rc: $err"
	done_line unreachable "" "curl-exit-$rc"
	exit 4
}

# get_image PATH|URL SIZE [curl options...]: the image into $tmp/image,
# resumed with Range after a cut (up to five attempts). 0 when SIZE bytes
# came, else 1 ($code and $rc say why).
get_image() {
	gp=$1 gs=$2; shift 2
	: > "$tmp/image"
	tries=0
	while :; do
		fetch "$gp" "$tmp/image" -C - "$@"
		have=$(wc -c < "$tmp/image" | tr -d ' ')
		if [ "$rc" -eq 0 ] && { [ "$code" = 200 ] || [ "$code" = 206 ]; } &&
			[ "$have" -ge "$gs" ]; then
			return 0
		fi
		tries=$((tries + 1))
		say "image: http=$code curl exit $rc, $have of $gs bytes (attempt $tries)"
		if [ "$tries" -ge 5 ] || [ "$code" = 404 ] || [ "$code" = 416 ]; then
			return 1
		fi
		sleep 1
	done
}

# install_slot VERSION: $tmp/image into the other slot, then the state that
# switches to it.
install_slot() {
	if [ "$slot" = A ]; then other=B at=$((mib + slot_size)); else other=A at=$mib; fi
	dd if="$tmp/image" of="$flash" bs=4096 seek=$((at / 4096)) conv=notrunc 2>/dev/null ||
		die "writing slot $other failed"
	{ printf 'update-client-state 1 version %s slot %s\n' "$1" "$other"
	  head -c 4096 /dev/zero; } | head -c 4096 |
		dd of="$flash" bs=4096 seek="$state_at" count=1 conv=notrunc 2>/dev/null ||
		die "writing the state failed"
	sync
	say "installed version $1 into slot $other"
}

# ---- A plain HTTPS file tree: PATH.version, PATH.sha256, PATH.sig, PATH. ----
# The new version shows after the reboot through the profile's
# version-signal: checkin:PATH is a GET of PATH?version=N&device=D.
if [ "$protocol" = files ]; then
	checkin() {	# checkin STATUS VERSION [curl options...]
		cs=$1 cv=$2; shift 2
		case $signal in checkin:/*) ;; *) return 0 ;; esac
		code=$(curl "$@" -o /dev/null -w '%{http_code}' \
			"$base${signal#checkin:}?version=$cv&device=$device&status=$cs" 2>"$tmp/err")
		say "check-in status=$cs version=$cv http=$code"
	}
	fetch "$image_path.version" "$tmp/version" "$@"
	[ "$rc" -eq 0 ] || first_failed
	if [ "$code" != 200 ]; then
		done_line unreachable "" "version-http-$code"
		exit 4
	fi
	offered=$(head -n 1 "$tmp/version")
	case $offered in ''|*[!0-9]*|0*) say "err=version-format \"$offered\""
		done_line rejected "" version-format; exit 3 ;; esac
	say "files version=$offered at $image_path"
	if [ "$offered" -le "$running" ]; then
		checkin current "$running" "$@"
		done_line current
		exit 0
	fi
	fetch "$image_path.sha256" "$tmp/sha256" "$@"
	sha=$(sed -n '1s/^\([0-9a-f]\{64\}\) .*/\1/p' "$tmp/sha256")
	fetch "$image_path.sig" "$tmp/sig.der" "$@"
	if [ -z "$sha" ] || [ "$code" != 200 ]; then
		say "err=image-meta no SHA-256 or signature beside $image_path"
		done_line rejected "" image-meta
		exit 3
	fi
	# The size is what the server says; the slot must hold it.
	size=$(curl "$@" -sI -o /dev/null -w '%header{content-length}' "$base$image_path" 2>/dev/null)
	case $size in ''|*[!0-9]*) size=0 ;; esac
	if [ "$size" -le 0 ] || [ "$size" -gt "$slot_size" ]; then
		say "err=image-size $size bytes, slot holds $slot_size"
		done_line rejected "" image-size
		exit 3
	fi
	if ! get_image "$image_path" "$size" "$@"; then
		done_line rejected "" download-failed
		exit 3
	fi
	got=$(openssl dgst -sha256 -r "$tmp/image" | cut -d' ' -f1)
	if [ "$got" != "$sha" ]; then
		say "err=image-hash sha256 $got, expected $sha"
		done_line rejected "" image-hash
		exit 3
	fi
	if ! openssl dgst -sha256 -verify "$etc/signing-key.pub.pem" -signature "$tmp/sig.der" \
		"$tmp/image" >/dev/null 2>&1; then
		say "err=bad-signature the image's signature does not verify"
		done_line rejected "" bad-signature
		exit 3
	fi
	install_slot "$offered"
	done_line updated "$offered"
	exit 10
fi

# ---- hawkBit DDI: poll, deploymentBase, artifact, feedback. ----
if [ "$protocol" = hawkbit ]; then
	ddi=$base/DEFAULT/controller/v1/$device
	fetch "$ddi" "$tmp/poll" "$@"
	[ "$rc" -eq 0 ] || first_failed
	if [ "$code" != 200 ]; then
		done_line unreachable "" "poll-http-$code"
		exit 4
	fi
	# The JSON is the server's, on one line: sed is enough for the few
	# members needed.
	dep=$(sed -n 's/.*"deploymentBase":{"href":"\([^"]*\)".*/\1/p' "$tmp/poll")
	if [ -z "$dep" ]; then
		say "hawkbit: no deployment (running $running)"
		done_line current
		exit 0
	fi
	fetch "$dep" "$tmp/dep" "$@"
	aid=$(sed -n 's/^{"id":"\([0-9]\{1,10\}\)".*/\1/p' "$tmp/dep")
	offered=$(sed -n 's/.*"chunks":\[{[^]]*"version":"\([0-9]\{1,10\}\)".*/\1/p' "$tmp/dep")
	sha=$(sed -n 's/.*"sha256":"\([0-9a-f]\{64\}\)".*/\1/p' "$tmp/dep")
	size=$(sed -n 's/.*"size":\([0-9]\{1,12\}\).*/\1/p' "$tmp/dep")
	art=$(sed -n 's/.*"download":{"href":"\([^"]*\)".*/\1/p' "$tmp/dep")
	if [ "$code" != 200 ] || [ -z "$aid" ] || [ -z "$offered" ] || [ -z "$sha" ] ||
		[ -z "$size" ] || [ -z "$art" ]; then
		say "err=deployment-format http=$code"
		done_line rejected "" deployment-format
		exit 3
	fi
	say "hawkbit: action $aid version=$offered size=$size"
	feedback() {	# feedback RESULT DETAIL [curl options...]
		fr=$1 fd=$2; shift 2
		printf '{"id":"%s","status":{"execution":"closed","result":{"finished":"%s"},"details":["%s"]}}' \
			"$aid" "$fr" "$fd" > "$tmp/feedback"
		code=$(curl "$@" -X POST -H 'Content-Type: application/json' \
			--data-binary "@$tmp/feedback" -o /dev/null -w '%{http_code}' \
			"${dep%%\?*}/feedback" 2>"$tmp/err")
		say "feedback $fr action=$aid http=$code"
	}
	if [ "$size" -gt "$slot_size" ] || ! get_image "$art" "$size" "$@"; then
		feedback failure download-failed "$@"
		done_line rejected "" download-failed
		exit 3
	fi
	got=$(openssl dgst -sha256 -r "$tmp/image" | cut -d' ' -f1)
	if [ "$got" != "$sha" ]; then
		say "err=image-hash sha256 $got, expected $sha"
		feedback failure image-hash "$@"
		done_line rejected "" image-hash
		exit 3
	fi
	install_slot "$offered"
	feedback success "installed version $offered" "$@"
	done_line updated "$offered"
	exit 10
fi

# ---- 1. The manifest. ----
fetch /manifest "$tmp/manifest" "$@"
[ "$rc" -eq 0 ] || first_failed
if [ "$code" != 200 ]; then
	done_line unreachable "" "manifest-http-$code"
	exit 4
fi
# The exact format: six lines, the signature over the first five.
line() { sed -n "$1p" "$tmp/manifest"; }
ok=no
if [ "$(wc -l < "$tmp/manifest" | tr -d ' ')" = 6 ] &&
	[ "$(line 1)" = "rotsim-manifest 1" ] &&
	line 2 | grep -Eqx 'version [1-9][0-9]{0,9}' &&
	line 3 | grep -Eqx 'size (0|[1-9][0-9]{0,11})' &&
	line 4 | grep -Eqx 'sha256 [0-9a-f]{64}' &&
	line 5 | grep -Eqx 'url /[!-~]{0,254}' &&
	line 6 | grep -Eqx 'sig [A-Za-z0-9+/]{86}=='; then
	ok=yes
fi
if [ "$ok" != yes ]; then
	say "err=manifest-format the manifest does not parse"
	report manifest-rejected "$running" "" "$@"
	done_line rejected "" manifest-format
	exit 3
fi
field() { sed -n "s/^$1 //p" "$tmp/manifest"; }
offered=$(field version) size=$(field size) sha=$(field sha256) url=$(field url)
head -n 5 "$tmp/manifest" > "$tmp/signed"
# raw r||s (64 bytes) to the DER form openssl reads
field sig | openssl base64 -d -A > "$tmp/sig.raw" 2>/dev/null
hex=$(od -An -v -tx1 "$tmp/sig.raw" | tr -d ' \n')
if [ ${#hex} -ne 128 ]; then
	say "err=signature-format the signature is not 64 bytes"
	report manifest-rejected "$running" "$offered" "$@"
	done_line rejected "" signature-format
	exit 3
fi
printf 'asn1=SEQUENCE:sig\n[sig]\nr=INTEGER:0x%s\ns=INTEGER:0x%s\n' \
	"$(echo "$hex" | cut -c1-64)" "$(echo "$hex" | cut -c65-128)" > "$tmp/sig.cnf"
openssl asn1parse -genconf "$tmp/sig.cnf" -out "$tmp/sig.der" -noout >/dev/null 2>&1 ||
	die "openssl asn1parse failed"
if ! openssl dgst -sha256 -verify "$etc/signing-key.pub.pem" -signature "$tmp/sig.der" \
	"$tmp/signed" >/dev/null 2>&1; then
	say "err=bad-signature the manifest's signature does not verify"
	report manifest-rejected "$running" "$offered" "$@"
	done_line rejected "" bad-signature
	exit 3
fi
say "manifest version=$offered size=$size signature=ok"
if [ "$offered" -le "$running" ]; then
	report current "$running" "$offered" "$@"
	done_line current
	exit 0
fi
[ "$size" -le "$slot_size" ] || {
	say "err=image-too-large $size bytes, slot holds $slot_size"
	report image-rejected "$running" "$offered" "$@"
	done_line rejected "" image-too-large
	exit 3
}

# ---- 2. The image, resumed with Range after a cut. ----
if ! get_image "$url" "$size" "$@"; then
	report image-rejected "$running" "$offered" "$@"
	done_line rejected "" download-failed
	exit 3
fi
got=$(openssl dgst -sha256 -r "$tmp/image" | cut -d' ' -f1)
if [ "$have" -ne "$size" ] || [ "$got" != "$sha" ]; then
	say "err=image-hash size $have of $size, sha256 $got"
	report image-rejected "$running" "$offered" "$@"
	done_line rejected "" image-hash
	exit 3
fi

# ---- 3. Install into the other slot, then switch. ----
install_slot "$offered"
# The check-in of the new version comes from the new version, after the reboot.
report installed "$running" "$offered" "$@"
done_line updated "$offered"
exit 10
