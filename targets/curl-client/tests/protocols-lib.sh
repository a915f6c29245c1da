# Shared by files.sh and hawkbit.sh (sourced, with $proto set): the curl
# update client on another update protocol (sim/server/PROTOCOL.md).
# le-r3-to-r10 on native-curl with root-x1 and pin-r3 each described a second
# time as a device of that protocol (files: version-signal = checkin:/checkin)
# must give, phase by phase, the outcomes of the same device on rotsim's
# protocol, run beside it. The devices and the scenario's copy that names
# them live outside the checkout (--devices, --scenarios), as a team's would.
# Beside the outcomes, the evidence behind "updated" is checked by name: the
# image whole, then the check-in with the new version (files) or the
# closed/success feedback (hawkBit).
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}" "${proto:?}"
top=${ROTSIM_TOP:-.}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/curl-$proto.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
devs=(root-x1 pin-r3)

mkdir -p "$tmp/team/devices" "$tmp/team/scenarios"
ln -s "$top/scenarios/pki" "$tmp/team/scenarios/pki"
list=
for d in "${devs[@]}"; do
	f=$tmp/team/devices/$d-$proto.profile
	sed "s/^\[profile $d\]/[profile $d-$proto]/" "$ROTSIM_BUILD/firmware/profiles/$d.profile" > "$f"
	grep -q "^\[profile $d-$proto\]" "$f" || { echo "FAIL: no [profile $d] in $d.profile"; exit 1; }
	printf 'protocol = %s\n' "$proto" >> "$f"
	[ "$proto" != files ] || printf 'version-signal = checkin:/checkin\n' >> "$f"
	list="$list$d, $d-$proto, "
done
# The scenario again, for both kinds of each device: each expect.DEVICE line
# followed by the same for DEVICE-PROTO (roots-x1-x2 left out: it goes the way
# of root-x1 here).
sed -e '/^expect\.roots-x1-x2[ @=]/d' -e "s/^\[scenario le-r3-to-r10\]/[scenario $proto-le-r3-to-r10]/" \
	-e "s/^devices = .*/devices = ${list%, }/" -e 's/^tags .*/tags = le/' \
	-e "s/^\(expect\.\)\([a-z0-9-]*\)\( *=.*\)\$/\1\2\3\n\1\2-$proto\3/" \
	"$top/scenarios/le-r3-to-r10.scn" > "$tmp/team/scenarios/$proto-le-r3-to-r10.scn"

start=$(date +%s)
rc=0
"$ROTSIM" run "$proto-le-r3-to-r10" --target native-curl -j 2 --no-report \
	--devices "$tmp/team/devices" --scenarios "$tmp/team/scenarios" \
	--out "$tmp/out" > "$tmp/run.log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
	echo "FAIL: rotsim run: exit $rc"; cat "$tmp/run.log"; exit 1
fi
out=$tmp/out
get() {	# get DEVICE PHASE FIELD
	jq -r --arg d "$1" --arg p "$2" --arg f "$3" \
		'.records[] | select(.device == $d and .phase == $p) | .[$f]' "$out/summary.json"
}
n=0
for d in "${devs[@]}"; do
	for ph in before after; do
		want=$(get "$d" "$ph" observed)
		[ -n "$want" ] || { echo "FAIL: no record of $d @$ph"; exit 1; }
		got=$(get "$d-$proto" "$ph" observed)
		[ "$got" = "$want" ] || {
			echo "FAIL: $d-$proto @$ph: $got, but $d on rotsim's protocol: $want"
			echo "  reason: $(get "$d-$proto" "$ph" reason)"; exit 1; }
		n=$((n + 1))
	done
done
# What made the updates: the reasons and the server's events name the
# evidence; the pinned device is rejected after the renewal.
[ "$(get pin-r3-$proto after observed)" = rejected ] ||
	{ echo "FAIL: pin-r3-$proto @after: $(get "pin-r3-$proto" after reason)"; exit 1; }
r=$(get "root-x1-$proto" after reason)
ev=$(find "$out/cases" -path "*root-x1-$proto@*/02-after/server-events.jsonl")
if [ "$proto" = files ]; then
	case $r in *"of version 3 covered by 1 image request(s)"*"gave the signal checkin:/checkin: GET /checkin?version=3"*) ;;
		*) echo "FAIL: root-x1-files @after: $r"; exit 1 ;; esac
	grep -q '"path":"/firmware/update.bin","status":200' "$ev" &&
		grep -q '"path":"/firmware/update.bin.sig","status":200' "$ev" ||
		{ echo "FAIL: no GET of /firmware/update.bin and its signature in $ev"; exit 1; }
else
	case $r in *"then sent hawkBit feedback closed/success for action 3"*) ;;
		*) echo "FAIL: root-x1-hawkbit @after: $r"; exit 1 ;; esac
	grep -q '/softwaremodules/3/artifacts/update.bin","status":200' "$ev" &&
		grep -q '"execution":"closed","finished":"success"' "$ev" ||
		{ echo "FAIL: no artifact download or feedback in $ev"; exit 1; }
fi
# A description the harness cannot use is an error of the case, named, never
# a guess: files without a version signal, an unknown protocol.
if [ "$proto" = files ]; then
	sed -e 's/^\[profile root-x1-files\]/[profile nosignal-files]/' -e '/^version-signal/d' \
		"$tmp/team/devices/root-x1-files.profile" > "$tmp/team/devices/nosignal-files.profile"
	sed -e 's/^\[profile root-x1-files\]/[profile ftp-files]/' -e 's/^protocol = files/protocol = ftp/' \
		"$tmp/team/devices/root-x1-files.profile" > "$tmp/team/devices/ftp-files.profile"
	sed -i -e "s/^devices = .*/&, nosignal-files, ftp-files/" \
		-e 's/^expect\.root-x1-files\( *=.*\)$/&\nexpect.nosignal-files\1\nexpect.ftp-files\1/' \
		"$tmp/team/scenarios/$proto-le-r3-to-r10.scn"
	"$ROTSIM" run "$proto-le-r3-to-r10" --target native-curl --device nosignal-files \
		--device ftp-files --no-report --devices "$tmp/team/devices" \
		--scenarios "$tmp/team/scenarios" --out "$tmp/bad" > "$tmp/bad.log" 2>&1 && exit 1
	jq -r '.records[] | "\(.device) \(.observed) \(.reason)"' "$tmp/bad/summary.json" > "$tmp/bad.txt"
	grep -q '^nosignal-files error device nosignal-files: protocol files needs version-signal' \
		"$tmp/bad.txt" && grep -q '^ftp-files error device ftp-files: protocol "ftp" is not' \
		"$tmp/bad.txt" || { echo "FAIL: bad descriptions:"; cat "$tmp/bad.txt" "$tmp/bad.log"; exit 1; }
fi
# rotsim verdict decides the same again from the files alone.
"$ROTSIM" verdict "$out" > "$tmp/verdict.log" 2>&1 ||
	{ echo "FAIL: rotsim verdict disagrees"; cat "$tmp/verdict.log"; exit 1; }
echo "ok: $n phases on $proto as on rotsim's protocol ($(( $(date +%s) - start )) s)"
