#!/usr/bin/env bash
# A team's own scenarios, devices and targets, described only by files outside
# the checkout, add to the stock ones: ROTSIM_PATH and --scenarios/--targets/
# --devices find them, the stock scenarios keep working beside them, and a
# team's device may not take a stock device's name. A device of the reference
# agent in its older form, a trust profile (NAME.profile), still runs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

team=$tmp/team
mkdir -p "$team/scenarios" "$team/devices" "$team/targets/team-native"
# A device of the team's own (the reference agent with root-x1's trust), and
# the same in the older form.
sed -e 's/^\[device root-x1\]/[device team-x1]/' targets/firmware/devices/root-x1.device \
	> "$team/devices/team-x1.device"
grep -q '^\[device team-x1\]$' "$team/devices/team-x1.device" || fail "no [device root-x1]"
printf '%s\n' '# A trust profile: the older form.' '[profile team-old]' 'anchors    = x1-only' \
	'clock      = rtc' 'version    = 1' > "$team/devices/team-old.profile"
# A target of the team's own: the native one under another name.
sed -e 's/^\[target native\]/[target team-native]/' targets/native/target.conf \
	> "$team/targets/team-native/target.conf"
# A scenario of the team's own: le-r3-to-r10 for the team's device.
sed -e 's/^\[scenario le-r3-to-r10\]/[scenario team-r3]/' \
	-e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	-e 's/^devices *=.*/devices = team-x1, team-old/' \
	-e 's/^expect\.root-x1\(.*\)$/expect.team-x1\1\nexpect.team-old\1/' \
	-e '/^expect\.\(pin-r3\|roots-x1-x2\)/d' \
	-e 's/^tags *=.*/tags = team/' \
	scenarios/le-r3-to-r10.scn > "$team/scenarios/team-r3.scn"

cd "$tmp"	# not the checkout: the stock files are found beside the program
# The team's files through ROTSIM_PATH, the stock ones beside them.
plan=$(ROTSIM_PATH=$team "$ROTSIM" run team-r3 le-r3-to-r10 --target team-native \
	--target native --dry-run)
grep -q '^0 team-r3 team-x1@team-native$' <<<"$plan" &&
	grep -q ' team-r3 team-old@team-native$' <<<"$plan" || fail "team plan: $plan"
grep -q ' le-r3-to-r10 pin-r3@native$' <<<"$plan" || fail "stock beside team: $plan"
# (The list is read whole: grep -q would end the pipe early and, under
# pipefail, turn rotsim's SIGPIPE into a failure.)
list=$(ROTSIM_PATH=$team "$ROTSIM" list)
grep -q '^  team-r3 ' <<<"$list" || fail "list does not show team-r3"
# The same through the options.
"$ROTSIM" run team-r3 --scenarios "$team/scenarios" --devices "$team/devices" \
	--targets "$team/targets" --target team-native --out "$tmp/run" -q --no-report \
	> "$tmp/log" || fail "team run: $(cat "$tmp/log")"
for d in team-x1 team-old; do
	jq -e --arg d $d '[.records[] | select(.device==$d and .target=="team-native")
		| .observed=="updated" and .verdict=="pass"] | length==2 and all' \
		"$tmp/run/summary.json" >/dev/null || fail "team run, $d: $(cat "$tmp/run/summary.json")"
done
# The profile the agent got: the older form as it is; the description's the
# one the stock image carries of root-x1, but for the name.
cmp "$team/devices/team-old.profile" "$tmp/run/cases/team-r3/team-old@team-native/etc/profile" \
	|| fail "the profile was not given as it is"
sed -e 's/^\[profile root-x1\]/[profile team-x1]/' "$ROTSIM_BUILD/firmware/profiles/root-x1.profile" \
	| cmp - "$tmp/run/cases/team-r3/team-x1@team-native/etc/profile" \
	|| fail "the run's profile of team-x1 is not the image's of root-x1"
# Without them the team's names are unknown, with a one-line error.
"$ROTSIM" run team-r3 --target native --dry-run 2>"$tmp/err" && fail "team-r3 without its path"
grep -q 'no scenario "team-r3"' "$tmp/err" || fail "$(cat "$tmp/err")"
# A team's device may not shadow a stock one, in either form.
for f in device profile; do
	cp "$team/devices/team-x1.device" "$team/devices/root-x1.$f"
	ROTSIM_PATH=$team "$ROTSIM" run le-r3-to-r10 --target native --dry-run 2>"$tmp/err" \
		&& fail "a shadowing device is accepted"
	grep -q "root-x1.$f has the name of a stock device" "$tmp/err" || fail "$(cat "$tmp/err")"
	rm "$team/devices/root-x1.$f"
done
# The team's own firmware-signing key: the run signs with it, keeps no copy
# of it, and gives the device its public half.
"$ROTSIM" sign --key "$team/fw.pem" --genkey --pubkey "$team/fw.pub.pem" >/dev/null
chmod 0600 "$team/fw.pem"
"$ROTSIM" run le-r3-to-r10 --target native --device root-x1 --signing-key "$team/fw.pem" \
	--out "$tmp/own" -q --no-report > "$tmp/log" || fail "own key: $(cat "$tmp/log")"
[ ! -e "$tmp/own/keys/signing-key.pem" ] || fail "the run kept a copy of the team's key"
cmp -s "$team/fw.pub.pem" "$tmp/own/keys/signing-key.pub.pem" || fail "another public key"
cmp -s "$team/fw.pub.pem" "$tmp/own/cases/le-r3-to-r10/root-x1@native/etc/signing-key.pub.pem" \
	|| fail "the device does not carry the team's public key"
# A stock device's profile in a run is the one its image carries.
cmp "$ROTSIM_BUILD/firmware/profiles/root-x1.profile" \
	"$tmp/own/cases/le-r3-to-r10/root-x1@native/etc/profile" \
	|| fail "the run's profile of root-x1 is not the image's"
"$ROTSIM" run le-r3-to-r10 --target native --signing-key "$tmp/nope.pem" --out "$tmp/nokey" \
	2>"$tmp/err" && fail "a missing key is accepted"
[ ! -e "$tmp/nokey" ] || fail "a results folder was made for a missing key"
# Phases that offer the same bundle share one file (clock-sntp offers version
# 3 in two phases): a hard link, not a copy per phase.
"$ROTSIM" run clock-sntp --target native --device root-x1 --out "$tmp/bundles" -q --no-report \
	> "$tmp/log" || fail "clock-sntp: $(cat "$tmp/log")"
a=$(stat -c %i "$tmp/bundles/firmware/clock-sntp/sntp-silent/image-3.bin")
b=$(stat -c %i "$tmp/bundles/firmware/clock-sntp/both-right/image-3.bin")
[ "$a" = "$b" ] || fail "the same bundle is written twice"
echo "run paths: ok"
