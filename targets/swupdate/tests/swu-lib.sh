# Shared by swurun.sh and swuhawkbit.sh (sourced, with $dev set and the
# scenarios in $scns): one rotsim run of the SWUpdate device $dev on the
# qemu-x86_64-swupdate target, two cases at a time, over the named stock
# scenarios and swu-corrupt.scn (one byte of the bundle flipped on the wire:
# SWUpdate refuses it and installs nothing, current as root-x1 is expected
# to be: the case that shows "updated" can fail). Every phase must come out
# as the catalogue expects ($dev's own expect lines where a scenario has
# them, else root-x1's); then the caller checks by name with want and get.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}" "${dev:?}"
top=${ROTSIM_TOP:-$PWD}
image=$ROTSIM_BUILD/images/x86_64-swupdate/initramfs.cpio.gz
[ -f "$image" ] || { echo "FAIL: no $image (make images)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/$dev.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
fail() {
	echo "FAIL: $dev: $*"
	local f
	for f in "$out"/cases/*/"$dev"@*/*/console.log "$out"/cases/*/"$dev"@*/bundle.log; do
		[ -f "$f" ] && { echo "== $f"; grep -v 'update-client: swupdate: \[' "$f" | tail -n 25; }
	done
	exit 1
}

mkdir -p "$tmp/scn"
ln -s "$top/scenarios/pki" "$tmp/scn/pki"
cp "$top/targets/swupdate/tests/swu-corrupt.scn" "$tmp/scn/"
start=$(date +%s)
rc=0
"$ROTSIM" run "${scns[@]}" swu-corrupt --scenarios "$tmp/scn" --device "$dev" \
	--target qemu-x86_64-swupdate -j 2 --no-report --out "$out" > "$tmp/run.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/run.log"; fail "rotsim run: exit $rc"; }
get() {	# get SCENARIO PHASE FIELD
	jq -r --arg s "$1" --arg d "$dev" --arg p "$2" --arg f "$3" '.records[] |
		select(.scenario == $s and .device == $d and .phase == $p) | .[$f]' \
		"$out/summary.json"
}
want() {	# want SCENARIO PHASE OUTCOME
	local got
	got=$(get "$1" "$2" observed)
	[ "$got" = "$3" ] || fail "$1 @$2: $got, want $3: $(get "$1" "$2" reason)"
}
# Every phase of every case, observed as expected.
n=$(jq '.records | length' "$out/summary.json")
[ "$n" -eq "$phases" ] || fail "$n records, want $phases"
bad=$(jq -r '.records[] | select(.observed != .expected) |
	"\(.scenario) @\(.phase): \(.observed), expected \(.expected): \(.reason)"' \
	"$out/summary.json")
[ -z "$bad" ] || fail "not as the catalogue expects: $bad"
# How the boots were made: resumed, from one saved machine (boots-lib.sh).
. "${ROTSIM_TOP:-$PWD}/targets/qemu-x86_64/tests/boots-lib.sh"
resumed_boots "$out" qemu-x86_64-swupdate
boots=$BOOTS resumed=$RESUMED
want le-r3-to-r10 before updated
want le-r3-to-r10 after updated
want mitm-rogue-root honest updated
want swu-corrupt corrupted current
# The corrupted one was refused by SWUpdate itself, on the device.
grep -q 'update-client: done result=rejected' "$out"/cases/swu-corrupt/"$dev"@*/01-corrupted/console.log ||
	fail "swu-corrupt: the device did not refuse the bundle"
cases=$out/cases
