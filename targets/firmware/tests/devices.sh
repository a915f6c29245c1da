#!/usr/bin/env bash
# The stock devices of the reference agent are device descriptions
# (devices/*.device); the build writes the agent's profile of each
# (rotsim-mkprofile), and that is what each image carries. Checked here: every
# description's trust, clock and dates say in the profile what they say in
# the description (read a second way, with awk), the profile is the one the
# image's payload holds, and the build refuses, with one line FILE:LINE and
# nothing written, what an image of the agent cannot honour.
set -euo pipefail
: "${ROTSIM:?}"
: "${ROTSIM_BUILD:=$(dirname "$(dirname "$ROTSIM")")}"
ROTSIM_TOP=$(cd "$(dirname "$0")/../../.." && pwd)
MKPROFILE=$ROTSIM_BUILD/bin/rotsim-mkprofile
fail() { echo "FAIL: $*"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# key FILE KEY: the value of KEY in FILE's one section.
key() { awk -F' *= *' -v k="$2" '$1 == k { print $2 }' "$1"; }

n=0
for desc in "$ROTSIM_TOP"/targets/firmware/devices/*.device; do
	name=$(basename "$desc" .device)
	prof=$ROTSIM_BUILD/firmware/profiles/$name.profile
	[ -s "$prof" ] || fail "no profile of $name in $prof"
	grep -qx "\\[profile $name\\]" "$prof" || fail "$prof: no [profile $name]"
	trust=$(key "$desc" trust)
	case $trust in
	set:*) want="anchors=${trust#set:}" ;;
	pin-set:*) want="pins=${trust#pin-set:}" ;;
	none) want="insecure=yes" ;;
	*) fail "$desc: trust = $trust: not a stock device's trust" ;;
	esac
	got=$(awk -F' *= *' '$1 ~ /^(anchors|pins|insecure)$/ { print $1 "=" $2 }' "$prof")
	[ "$got" = "$want" ] || fail "$name: trust $trust gave '$got', want '$want'"
	for k in clock sntp build-date; do
		[ "$(key "$desc" "$k")" = "$(key "$prof" "$k")" ] || fail "$name: $k differs"
	done
	[ "$(key "$prof" version)" = "$(key "$desc" version)" ] || fail "$name: version differs"
	# The comments above the section are the description's own.
	[ "$(sed '/^\[/,$d' "$desc")" = "$(sed '/^\[/,$d' "$prof")" ] \
		|| fail "$name: the profile's comments are not the description's"
	payload=$ROTSIM_BUILD/firmware/payload/$name/profile
	if [ -e "$payload" ]; then
		cmp -s "$prof" "$payload" || fail "$name: the image's profile is not $prof"
	fi
	n=$((n + 1))
done
[ $n -ge 11 ] || fail "only $n stock devices of the reference agent"

# refuse NAME 'WANTED' < description: one line, exit 2, nothing written.
refuse() {
	cat > "$tmp/$1.device"
	set +e
	"$MKPROFILE" "$tmp/$1.device" "$tmp/out.profile" 2>"$tmp/err"
	local rc=$?
	set -e
	[ $rc = 2 ] || fail "$1: exit $rc, not 2"
	[ "$(wc -l < "$tmp/err")" = 1 ] || fail "$1: not one line: $(cat "$tmp/err")"
	grep -qF -- "$2" "$tmp/err" || fail "$1: want '$2', got: $(cat "$tmp/err")"
	[ ! -e "$tmp/out.profile" ] || fail "$1: a profile was written"
}
refuse image "$tmp/image.device:3: image: a device of the reference agent's images" <<'EOD'
[device image]
trust = set:x1-only
image = gw.img
EOD
refuse key "$tmp/key.device:3: signing-key: a device of the reference agent's images" <<'EOD'
[device key]
trust       = none
signing-key = fw.pem
EOD
refuse proto "$tmp/proto.device:3: protocol: the reference agent speaks rotsim's protocol only" <<'EOD'
[device proto]
trust    = set:x1-only
protocol = files
EOD
refuse files "$tmp/files.device:2: trust: an image of the reference agent carries" <<'EOD'
[device files]
trust = anchors:x1.pem
EOD
refuse typo "$tmp/typo.device:3: unknown key \"clokc\" (did you mean \"clock\"?)" <<'EOD'
[device typo]
trust = set:x1-only
clokc = rtc
EOD
refuse old "$tmp/old.device:1: [profile]: a trust profile, the older form: a description says [device NAME] and trust = set:SET for anchors = SET" <<'EOD'
[profile old]
anchors = x1-only
EOD
# A good one: written, and read by the agent's reader as the same device.
printf '# Two roots.\n[device good]\ntrust = set:x1+x2\nclock = none\nbuild-date = 2020-02-02\n' \
	> "$tmp/good.device"
"$MKPROFILE" "$tmp/good.device" "$tmp/good.profile" || fail "a good description is refused"
printf '# Two roots.\n[profile good]\nanchors    = x1+x2\nclock      = none\nbuild-date = 2020-02-02\nversion    = 1\n' \
	| cmp - "$tmp/good.profile" || fail "good: $(cat "$tmp/good.profile")"
echo "stock devices: $n descriptions, their profiles and the build's refusals: ok"
