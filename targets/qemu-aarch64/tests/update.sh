#!/usr/bin/env bash
# The aarch64 image does the same update as the x86_64 one: rotsim run of the
# seed's story on qemu-aarch64 (virt, Cortex-A53, TCG) with the reference agent
# cross-built against libbearssl-dev:arm64. root-x1 installs version 2 under R3
# and version 3 under R10, each time rebooting into it and checking in; pin-r3
# updates under R3 and is refused under R10 with BR_ERR_X509_NOT_TRUSTED and no
# image byte on the wire. The consoles show the arm64 kernel and the real agent.
set -euo pipefail
. "$ROTSIM_TOP/harness/run/tests/lib.sh"

case_dir() { echo "$out/cases/le-r3-to-r10/$1@qemu-aarch64/$2"; }
# A console line as the guest wrote it, without the serial port's CR.
console() { tr -d '\r' < "$(case_dir "$1" "$2")/console-$3.log"; }
out=$tmp/run
s=$EPOCHREALTIME
"$ROTSIM" run le-r3-to-r10 --target qemu-aarch64 --device root-x1 --device pin-r3 \
	--out "$out" -q > "$tmp/log" 2>&1 || { cat "$tmp/log"; fail "run: exit $?"; }
e=$EPOCHREALTIME
echo "rotsim run on qemu-aarch64, 2 cases, 4 phases: $(( (${e/./} - ${s/./}) / 1000 )) ms"
no_leftovers "$tmp"

# junit.xml: four phases, all as expected.
j=$out/junit.xml
[ "$(junit_count "$j")" -eq 4 ] || fail "junit: $(junit_count "$j") testcases, want 4"
[ "$(junit_failures "$j")" -eq 0 ] && [ "$(junit_errors "$j")" -eq 0 ] || fail "junit failures"
for p in "root-x1 before" "root-x1 after" "pin-r3 before" "pin-r3 after"; do
	set -- $p
	[ "$(junit_verdict "$j" "le-r3-to-r10.$1@qemu-aarch64" "$2")" = pass ] || fail "junit: $1 $2"
done

# summary.json: what was observed, not only that it matched.
rec() { jq -c --arg d "$1" --arg p "$2" '.records[] | select(.device==$d and .phase==$p)' \
	"$out/summary.json"; }
for v in "before 2" "after 3"; do
	set -- $v
	rec root-x1 "$1" | jq -e --argjson v "$2" '.target=="qemu-aarch64" and .observed=="updated"
		and .verdict=="pass" and .image_bytes_sent > 0 and .wire_app_bytes >= .image_bytes_sent
		and .reported_version==$v and .offered_version==$v' >/dev/null \
		|| fail "root-x1 $1: $(rec root-x1 "$1")"
done
rec pin-r3 before | jq -e '.observed=="updated" and .reported_version==2' >/dev/null \
	|| fail "pin-r3 before: $(rec pin-r3 before)"
rec pin-r3 after | jq -e '.observed=="rejected" and .verdict=="pass" and .image_bytes_sent==0
	and .wire_app_bytes==0 and (.reason | test("leaf-r10 <- r10"))
	and (.reason | test("BR_ERR_X509_NOT_TRUSTED"))' >/dev/null \
	|| fail "pin-r3 after: $(rec pin-r3 after)"

# The consoles: an arm64 guest running the reference agent (not the test agent),
# which installs, reboots into the new slot and reports its version.
console root-x1 02-after 0 | grep -q '^rotsim: booted .* arch=aarch64 kernel=[^ ]*-arm64$' \
	|| fail "not an arm64 guest: $(console root-x1 02-after 0 | head -3)"
console root-x1 02-after 0 | grep -q '^rotsim: agent-start agent=rotsim-agent device=root-x1 ' \
	|| fail "no reference agent on the console"
console root-x1 02-after 0 | grep -q '^rotsim: done result=updated version=2 installed=3 exit=10$' \
	|| fail "root-x1 after: the first boot did not install version 3"
console root-x1 02-after 1 | grep -q '^rotsim: boot slot=b how=slot version=3$' \
	|| fail "root-x1 after: the second boot does not run version 3 from slot b"
console pin-r3 02-after 0 | grep -q '^rotsim: tls result=failed err=BR_ERR_X509_NOT_TRUSTED code=62 ' \
	|| fail "pin-r3 after: no BR_ERR_X509_NOT_TRUSTED on the console"
"$ROTSIM" verdict "$out" | tail -1 | grep -q '4 records: 4 agree' || fail "rotsim verdict disagrees"
echo "update aarch64: ok"
