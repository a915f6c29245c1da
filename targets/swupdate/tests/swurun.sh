#!/usr/bin/env bash
# The SWUpdate devices under rotsim run on the qemu-x86_64-swupdate target,
# one run, two cases at a time:
#
#   swupdate-x1          swupdate's downloader (-d) over a plain file tree
#   swupdate-hawkbit-x1  swupdate's suricatta over the hawkBit DDI subset
#
# (targets/devices/: both like root-x1, each phase's image served as a .swu
# bundle signed with the run's key) in le-r3-to-r10, mitm-rogue-root and
# operator-missing-intermediate, as the catalogue expects them, and in
#
#   swu-corrupt   (a one-phase copy of transfer-corrupted-image's fault) one
#                 byte of the bundle flipped on the wire: SWUpdate refuses it
#                 and installs nothing, current, as root-x1 is expected to
#                 be. The case that shows "updated" can fail: the same
#                 device, the same bundle, one byte.
#
# Every phase must come out as its expectation says (the scenario's own
# expect.swupdate-x1 line where it has one, else root-x1's), and the facts
# that matter are checked by name: the downloader is caught insecure by the
# rogue root (it checks no server certificate) and installs from a server
# missing its intermediate; suricatta refuses both, as root-x1. Then rotsim
# verdict decides the same from the results alone.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}"
top=${ROTSIM_TOP:-$PWD}
image=$ROTSIM_BUILD/images/x86_64-swupdate/initramfs.cpio.gz
[ -f "$image" ] || { echo "FAIL: no $image (make images)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swurun.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
dl=swupdate-x1 hb=swupdate-hawkbit-x1
fail() {
	echo "FAIL: $*"
	local f
	for f in "$out"/cases/*/swupdate-*@*/*/console.log "$out"/cases/*/swupdate-*@*/bundle.log; do
		[ -f "$f" ] && { echo "== $f"; grep -v 'update-client: swupdate: \[' "$f" | tail -n 25; }
	done
	exit 1
}

mkdir -p "$tmp/scn"
ln -s "$top/scenarios/pki" "$tmp/scn/pki"
cat > "$tmp/scn/swu-corrupt.scn" <<'SCN'
[scenario swu-corrupt]
summary = One byte of the offered update flipped on the wire: nothing is installed.
event   = A faulty proxy or CDN node flips a byte (transfer-corrupted-image)
source  = scenarios/transfer-corrupted-image.scn
pki     = pki/letsencrypt.pki
devices = root-x1
tags    = transfer

[phase corrupted]
date     = 2024-07-01
chain    = leaf-r10
faults   = corrupt-byte=1000
firmware = 2
expect.root-x1 = current
SCN

scns=(le-r3-to-r10 mitm-rogue-root operator-missing-intermediate swu-corrupt)
start=$(date +%s)
rc=0
"$ROTSIM" run "${scns[@]}" --scenarios "$tmp/scn" --device "$dl" --device "$hb" \
	--target qemu-x86_64-swupdate -j 2 --no-report --out "$out" > "$tmp/run.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/run.log"; fail "rotsim run: exit $rc"; }
get() {	# get SCENARIO DEVICE PHASE FIELD
	jq -r --arg s "$1" --arg d "$2" --arg p "$3" --arg f "$4" '.records[] |
		select(.scenario == $s and .device == $d and .phase == $p) | .[$f]' \
		"$out/summary.json"
}
# Every phase of every case: observed as expected, 16 of them (7 of the three
# scenarios and 1 of swu-corrupt, per device).
n=$(jq '.records | length' "$out/summary.json")
[ "$n" -eq 16 ] || fail "$n records, want 16"
bad=$(jq -r '.records[] | select(.observed != .expected) |
	"\(.scenario) \(.device) @\(.phase): \(.observed), expected \(.expected): \(.reason)"' \
	"$out/summary.json")
[ -z "$bad" ] || fail "not as the catalogue expects: $bad"
want() {	# want SCENARIO DEVICE PHASE OUTCOME
	local got
	got=$(get "$1" "$2" "$3" observed)
	[ "$got" = "$4" ] || fail "$1 $2 @$3: $got, want $4: $(get "$1" "$2" "$3" reason)"
}
for d in "$dl" "$hb"; do
	want le-r3-to-r10 "$d" before updated
	want le-r3-to-r10 "$d" after updated
	want mitm-rogue-root "$d" honest updated
	want swu-corrupt "$d" corrupted current
done
# The downloader checks no certificate: the rogue root installs.
want mitm-rogue-root "$dl" mitm insecure
# A server without its intermediate: the downloader installs version 2, then
# finds nothing newer with the chain restored, then installs version 3 over
# the R10 leaf alone; a validating device is rejected twice.
want operator-missing-intermediate "$dl" r3-leaf-alone insecure
want operator-missing-intermediate "$dl" chain-restored current
want operator-missing-intermediate "$dl" r10-leaf-alone insecure
# Suricatta checks the server against its cafile: as root-x1.
want mitm-rogue-root "$hb" mitm rejected
want operator-missing-intermediate "$hb" r3-leaf-alone rejected
want operator-missing-intermediate "$hb" chain-restored updated
want operator-missing-intermediate "$hb" r10-leaf-alone rejected

# The evidence behind "updated": the whole bundle, then the new version on
# the rebooted device's console (downloader) or the hawkBit feedback sent
# from it (suricatta).
r=$(get le-r3-to-r10 "$dl" after reason)
case $r in *"of version 3 covered by"*"running version 3 from slot"*) ;;
	*) fail "le-r3-to-r10 $dl @after: $r" ;; esac
r=$(get le-r3-to-r10 "$hb" after reason)
case $r in *"of version 3 covered by"*"feedback closed/success for action 3"*) ;;
	*) fail "le-r3-to-r10 $hb @after: $r" ;; esac
case_dir=$(echo "$out"/cases/le-r3-to-r10/"$dl"@*)
ev=$case_dir/02-after/server-events.jsonl
grep -q '"path":"/firmware/update.swu","status":200' "$ev" ||
	fail "no GET of /firmware/update.swu in $ev"
hb_dir=$(echo "$out"/cases/le-r3-to-r10/"$hb"@*)
grep -q '/softwaremodules/3/artifacts/update.swu","status":200' "$hb_dir/02-after/server-events.jsonl" ||
	fail "no artifact download in $hb_dir/02-after/server-events.jsonl"
grep -q '^update-client: reported the install of version 3 to the server' "$hb_dir/02-after/console.log" ||
	fail "$hb: the rebooted device did not report its install"
# What was served is a bundle of the offered image: sw-description first,
# its signature checked by the certificate the device was given.
b=$case_dir/02-after/bundle.swu
[ "$(cpio -it --quiet < "$b" | head -n 1)" = sw-description ] || fail "$b is no .swu"
(cd "$tmp" && cpio -id --quiet sw-description sw-description.sig < "$b")
openssl cms -verify -binary -inform DER -in "$tmp/sw-description.sig" -content "$tmp/sw-description" \
	-CAfile "$case_dir/etc/bundle-ca.pem" -purpose any -out /dev/null 2>/dev/null ||
	fail "the bundle's signature does not verify with the device's bundle-ca.pem"
grep -q 'version = "3"' "$tmp/sw-description" || fail "sw-description: $(head -c 300 "$tmp/sw-description")"
# The rogue chain: the downloader completed the handshake and fetched the
# bundle; suricatta's handshakes all failed and nothing was requested.
mitm=$(echo "$out"/cases/mitm-rogue-root/"$dl"@*)/02-mitm
grep -q '"path":"/firmware/update.swu","status":200' "$mitm/server-events.jsonl" ||
	fail "$dl @mitm: no bundle fetched over the rogue chain"
mitm=$(echo "$out"/cases/mitm-rogue-root/"$hb"@*)/02-mitm
grep -q '"result":"failed"' "$mitm/server-events.jsonl" &&
	! grep -q '"event":"request"' "$mitm/server-events.jsonl" ||
	fail "$hb @mitm: a request over the rogue chain"
grep -q '^update-client: done result=rejected .*reason=CURLE_PEER_FAILED_VERIFICATION' "$mitm/console.log" ||
	fail "$hb @mitm: suricatta did not refuse the rogue chain"
# The corrupted one was refused by SWUpdate itself, on the device.
for d in "$dl" "$hb"; do
	grep -q 'update-client: done result=rejected' "$out"/cases/swu-corrupt/"$d"@*/01-corrupted/console.log ||
		fail "swu-corrupt: $d did not refuse the bundle"
done
"$ROTSIM" verdict "$out" > "$tmp/verdict.log" 2>&1 ||
	{ cat "$tmp/verdict.log"; fail "rotsim verdict disagrees"; }
echo "ok: $dl and $hb as the catalogue expects in $n phases ($(( $(date +%s) - start )) s)"
