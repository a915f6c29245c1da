#!/usr/bin/env bash
# The SWUpdate device swupdate-x1 (targets/devices/swupdate-x1.device:
# swupdate's downloader, -d, over a plain file tree, like root-x1, each
# phase's image served as a .swu bundle signed with the run's key) under
# rotsim run on qemu-x86_64-swupdate: le-r3-to-r10, mitm-rogue-root,
# operator-missing-intermediate and swu-corrupt in one run (swu-lib.sh), each
# phase as the catalogue expects. By name: updated before and after the
# renewal (the whole bundle, then the new version on the rebooted device's
# console); insecure under the rogue root and over a leaf sent without its
# intermediate, because the downloader checks no server certificate (the
# catalogue's expect.swupdate-x1 lines); the served bundle's CMS signature
# checked against the device's bundle-ca.pem; then rotsim verdict agrees.
dev=swupdate-x1 phases=8
scns=(le-r3-to-r10 mitm-rogue-root operator-missing-intermediate)
. "$(dirname "$0")/swu-lib.sh"

want mitm-rogue-root mitm insecure
want operator-missing-intermediate r3-leaf-alone insecure
want operator-missing-intermediate chain-restored current
want operator-missing-intermediate r10-leaf-alone insecure
r=$(get le-r3-to-r10 after reason)
case $r in *"of version 3 covered by"*"running version 3 from slot"*) ;;
	*) fail "le-r3-to-r10 @after: $r" ;; esac
case_dir=$(echo "$cases"/le-r3-to-r10/"$dev"@*)
grep -q '"path":"/firmware/update.swu","status":200' "$case_dir/02-after/server-events.jsonl" ||
	fail "no GET of /firmware/update.swu in $case_dir/02-after"
# The rogue chain: a completed handshake and the bundle fetched over it.
mitm=$(echo "$cases"/mitm-rogue-root/"$dev"@*)/02-mitm
grep -q '"event":"handshake".*"result":"ok"' "$mitm/server-events.jsonl" ||
	fail "@mitm: no completed handshake with the rogue chain"
grep -q '"path":"/firmware/update.swu","status":200' "$mitm/server-events.jsonl" ||
	fail "@mitm: no bundle fetched over the rogue chain"
# What was served is a bundle of the offered image: sw-description first,
# its signature checked by the certificate the device was given.
b=$case_dir/02-after/bundle.swu
[ "$(cpio -it --quiet < "$b" | head -n 1)" = sw-description ] || fail "$b is no .swu"
(cd "$tmp" && cpio -id --quiet sw-description sw-description.sig < "$b")
openssl cms -verify -binary -inform DER -in "$tmp/sw-description.sig" -content "$tmp/sw-description" \
	-CAfile "$case_dir/etc/bundle-ca.pem" -purpose any -out /dev/null 2>/dev/null ||
	fail "the bundle's signature does not verify with the device's bundle-ca.pem"
grep -q 'version = "3"' "$tmp/sw-description" || fail "sw-description: $(head -c 300 "$tmp/sw-description")"
"$ROTSIM" verdict "$out" > "$tmp/verdict.log" 2>&1 ||
	{ cat "$tmp/verdict.log"; fail "rotsim verdict disagrees"; }
echo "ok: $dev as the catalogue expects in $n phases, $resumed of $boots boots resumed ($(( $(date +%s) - start )) s)"
