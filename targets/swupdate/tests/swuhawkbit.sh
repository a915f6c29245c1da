#!/usr/bin/env bash
# The SWUpdate device on hawkBit, swupdate-hawkbit-x1
# (targets/devices/swupdate-hawkbit-x1.device: swupdate's suricatta polling the
# update server's DDI subset, like root-x1) under rotsim run on
# qemu-x86_64-swupdate: le-r3-to-r10, mitm-rogue-root and swu-corrupt in one
# run (swu-lib.sh), each phase as root-x1 is expected to be. By name: updated
# before and after the renewal (the whole artifact, then closed/success
# feedback sent by the rebooted device with -c 2); rejected by the rogue root
# with no request over it (suricatta checks the server, unlike swupdate -d);
# the corrupted bundle refused with closed/failure feedback; then rotsim
# verdict agrees.
dev=swupdate-hawkbit-x1 phases=5
scns=(le-r3-to-r10 mitm-rogue-root)
. "$(dirname "$0")/swu-lib.sh"

want mitm-rogue-root mitm rejected
r=$(get le-r3-to-r10 after reason)
case $r in *"of version 3 covered by"*"feedback closed/success for action 3"*) ;;
	*) fail "le-r3-to-r10 @after: $r" ;; esac
c=$(echo "$cases"/le-r3-to-r10/"$dev"@*)/02-after
grep -q '/softwaremodules/3/artifacts/update.swu","status":200' "$c/server-events.jsonl" ||
	fail "no artifact download in $c"
grep -q '^update-client: reported the install of version 3 to the server' "$c/console.log" ||
	fail "the rebooted device did not report its install"
mitm=$(echo "$cases"/mitm-rogue-root/"$dev"@*)/02-mitm
grep -q '"result":"failed"' "$mitm/server-events.jsonl" || fail "@mitm: no failed handshake"
! grep -q '"event":"request"' "$mitm/server-events.jsonl" || fail "@mitm: a request over the rogue chain"
grep -q '^update-client: done result=rejected .*reason=CURLE_PEER_FAILED_VERIFICATION' "$mitm/console.log" ||
	fail "@mitm: suricatta did not refuse the rogue chain"
case $(get swu-corrupt corrupted reason) in *"feedback closed/failure"*) ;;
	*) fail "swu-corrupt: $(get swu-corrupt corrupted reason)" ;; esac
"$ROTSIM" verdict "$out" > "$tmp/verdict.log" 2>&1 ||
	{ cat "$tmp/verdict.log"; fail "rotsim verdict disagrees"; }
echo "ok: $dev as root-x1 in $n phases, $resumed of $boots boots resumed ($(( $(date +%s) - start )) s)"
