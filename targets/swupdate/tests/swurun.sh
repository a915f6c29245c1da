#!/usr/bin/env bash
# The SWUpdate device under rotsim run: the stock description swupdate-x1
# (targets/devices/swupdate-x1.device: like root-x1, protocol files, each
# phase's image served as a .swu bundle signed with the run's key) on the
# qemu-x86_64-swupdate target, in two scenarios run together:
#
#   le-r3-to-r10   updated before and after the renewal, as root-x1 is
#                  expected to be, with the whole bundle on the wire and the
#                  rebooted device running the offered version;
#   swu-corrupt    (a one-phase copy of transfer-corrupted-image's fault)
#                  one byte of the bundle flipped on the wire: SWUpdate
#                  refuses it and installs nothing, current, as root-x1 is
#                  expected to be. This is the case that shows the first can
#                  fail: the same device, the same bundle, one byte.
#
# Then rotsim verdict decides the same from the results alone.
set -euo pipefail
: "${ROTSIM:?}" "${ROTSIM_BUILD:?}"
top=${ROTSIM_TOP:-$PWD}
image=$ROTSIM_BUILD/images/x86_64-swupdate/initramfs.cpio.gz
[ -f "$image" ] || { echo "FAIL: no $image (make images)"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/swurun.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
out=$tmp/out
fail() {
	echo "FAIL: $*"
	local f
	for f in "$out"/cases/*/swupdate-x1@*/*/console.log "$out"/cases/*/swupdate-x1@*/bundle.log; do
		[ -f "$f" ] && { echo "== $f"; tail -n 25 "$f"; }
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

start=$(date +%s)
rc=0
"$ROTSIM" run le-r3-to-r10 swu-corrupt --scenarios "$tmp/scn" --device swupdate-x1 \
	--target qemu-x86_64-swupdate -j 2 --no-report --out "$out" > "$tmp/run.log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/run.log"; fail "rotsim run: exit $rc"; }
get() {	# get SCENARIO PHASE FIELD
	jq -r --arg s "$1" --arg p "$2" --arg f "$3" '.records[] |
		select(.scenario == $s and .device == "swupdate-x1" and .phase == $p) | .[$f]' \
		"$out/summary.json"
}
want() {	# want SCENARIO PHASE OUTCOME
	local got
	got=$(get "$1" "$2" observed)
	[ "$got" = "$3" ] || fail "$1 @$2: $got, want $3 (as root-x1): $(get "$1" "$2" reason)"
	[ "$(get "$1" "$2" expected)" = "$3" ] ||
		fail "$1 @$2: expected $(get "$1" "$2" expected), not root-x1's $3"
}
want le-r3-to-r10 before updated
want le-r3-to-r10 after updated
want swu-corrupt corrupted current
# The evidence behind "updated": the whole bundle, then the new version on
# the rebooted device's console.
r=$(get le-r3-to-r10 after reason)
case $r in *"of version 3 covered by"*"running version 3 from slot"*) ;;
	*) fail "le-r3-to-r10 @after: $r" ;; esac
case_dir=$(echo "$out"/cases/le-r3-to-r10/swupdate-x1@*)
ev=$case_dir/02-after/server-events.jsonl
grep -q '"path":"/firmware/update.swu","status":200' "$ev" ||
	fail "no GET of /firmware/update.swu in $ev"
# What was served is a bundle of the offered image: sw-description first,
# its signature checked by the certificate the device was given.
b=$case_dir/02-after/bundle.swu
[ "$(cpio -it --quiet < "$b" | head -n 1)" = sw-description ] || fail "$b is no .swu"
(cd "$tmp" && cpio -id --quiet sw-description sw-description.sig < "$b")
openssl cms -verify -binary -inform DER -in "$tmp/sw-description.sig" -content "$tmp/sw-description" \
	-CAfile "$case_dir/etc/bundle-ca.pem" -purpose any -out /dev/null 2>/dev/null ||
	fail "the bundle's signature does not verify with the device's bundle-ca.pem"
grep -q 'version = "3"' "$tmp/sw-description" || fail "sw-description: $(head -c 300 "$tmp/sw-description")"
# The corrupted one was refused by SWUpdate itself, on the device.
grep -q 'update-client: done result=rejected' "$out"/cases/swu-corrupt/swupdate-x1@*/01-corrupted/console.log ||
	fail "swu-corrupt: the device did not refuse the bundle"
"$ROTSIM" verdict "$out" > "$tmp/verdict.log" 2>&1 ||
	{ cat "$tmp/verdict.log"; fail "rotsim verdict disagrees"; }
echo "ok: swupdate-x1 as root-x1 in 3 phases ($(( $(date +%s) - start )) s)"
