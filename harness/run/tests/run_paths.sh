#!/usr/bin/env bash
# A team's own scenarios, devices and targets, described only by files outside
# the checkout, add to the stock ones: ROTSIM_PATH and --scenarios/--targets/
# --devices find them, the stock scenarios keep working beside them, and a
# team's device may not take a stock device's name.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

team=$tmp/team
mkdir -p "$team/scenarios" "$team/devices" "$team/targets/team-native"
# A device of the team's own (the reference agent with root-x1's trust).
sed -e 's/^\[profile root-x1\]/[profile team-x1]/' targets/firmware/profiles/root-x1.profile \
	> "$team/devices/team-x1.profile"
# A target of the team's own: the native one under another name.
sed -e 's/^\[target native\]/[target team-native]/' targets/native/target.conf \
	> "$team/targets/team-native/target.conf"
# A scenario of the team's own: le-r3-to-r10 for the team's device.
sed -e 's/^\[scenario le-r3-to-r10\]/[scenario team-r3]/' \
	-e "s|^pki *=.*|pki = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki|" \
	-e 's/^devices *=.*/devices = team-x1/' \
	-e 's/^expect\.root-x1/expect.team-x1/' -e '/^expect\.\(pin-r3\|roots-x1-x2\)/d' \
	-e 's/^tags *=.*/tags = team/' \
	scenarios/le-r3-to-r10.scn > "$team/scenarios/team-r3.scn"

cd "$tmp"	# not the checkout: the stock files are found beside the program
# The team's files through ROTSIM_PATH, the stock ones beside them.
plan=$(ROTSIM_PATH=$team "$ROTSIM" run team-r3 le-r3-to-r10 --target team-native \
	--target native --dry-run)
grep -q '^0 team-r3 team-x1@team-native$' <<<"$plan" || fail "team plan: $plan"
grep -q ' le-r3-to-r10 pin-r3@native$' <<<"$plan" || fail "stock beside team: $plan"
# (The list is read whole: grep -q would end the pipe early and, under
# pipefail, turn rotsim's SIGPIPE into a failure.)
list=$(ROTSIM_PATH=$team "$ROTSIM" list)
grep -q '^  team-r3 ' <<<"$list" || fail "list does not show team-r3"
# The same through the options.
"$ROTSIM" run team-r3 --scenarios "$team/scenarios" --devices "$team/devices" \
	--targets "$team/targets" --target team-native --out "$tmp/run" -q --no-report \
	> "$tmp/log" || fail "team run: $(cat "$tmp/log")"
jq -e '[.records[] | select(.device=="team-x1" and .target=="team-native")
	| .observed=="updated" and .verdict=="pass"] | length==2 and all' \
	"$tmp/run/summary.json" >/dev/null || fail "team run: $(cat "$tmp/run/summary.json")"
# Without them the team's names are unknown, with a one-line error.
"$ROTSIM" run team-r3 --target native --dry-run 2>"$tmp/err" && fail "team-r3 without its path"
grep -q 'no scenario "team-r3"' "$tmp/err" || fail "$(cat "$tmp/err")"
# A team's device may not shadow a stock one.
cp "$team/devices/team-x1.profile" "$team/devices/root-x1.profile"
ROTSIM_PATH=$team "$ROTSIM" run le-r3-to-r10 --target native --dry-run 2>"$tmp/err" \
	&& fail "a shadowing device is accepted"
grep -q 'root-x1.profile has the name of a stock device' "$tmp/err" || fail "$(cat "$tmp/err")"
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
