#!/usr/bin/env bash
# qemu-x86_64-microvm runs the seed's story as qemu-x86_64 does: root-x1
# updates before and after the R3 to R10 renewal, each install ending in a
# guest reset (reboot=t) that powers the device on again; the guest is told a
# measured TSC rate ({host-tsc-khz}); the verdicts rest on its capture; no
# QEMU is left behind.
set -euo pipefail
. "$ROTSIM_TOP/harness/run/tests/lib.sh"

out=$tmp/microvm
"$ROTSIM" run le-r3-to-r10 --device root-x1 --target qemu-x86_64-microvm --out "$out" \
	--no-report > "$tmp/log" 2>&1 || { cat "$tmp/log"; fail "run: exit $?"; }
j=$out/junit.xml
for p in before after; do
	[ "$(junit_verdict "$j" "le-r3-to-r10.root-x1@qemu-x86_64-microvm" $p)" = pass ] \
		|| fail "root-x1 $p: $(cat "$tmp/log")"
done
jq -e '[.records[] | .observed == "updated" and .capture_ok and .reported_version > 0]
	| all and length == 2' "$out/summary.json" >/dev/null \
	|| fail "updated without evidence: $(jq -c '.records' "$out/summary.json")"
d=$out/cases/le-r3-to-r10/root-x1@qemu-x86_64-microvm
for p in 01-before 02-after; do
	jq -e '.boots == 2 and (.exits[0] | test("reset"))' "$d/$p/run.json" >/dev/null \
		|| fail "$p: no reset after the install: $(cat "$d/$p/run.json")"
done
cmd=$(cat "$d/01-before/boot-0.cmd")
grep -q "'-M' 'microvm" <<< "$cmd" || fail "not a microvm: $cmd"
khz=$(grep -o 'tsc_early_khz=[0-9]*' <<< "$cmd" | cut -d= -f2)
# A measured rate, not the placeholder: at least 100 MHz, at most 10 GHz.
[ -n "$khz" ] && [ "$khz" -ge 100000 ] && [ "$khz" -le 10000000 ] \
	|| fail "tsc_early_khz: \"$khz\" in $cmd"
no_leftovers "qemu-system.*$out"
echo "qemu-x86_64-microvm: le-r3-to-r10 root-x1 passes, TSC $khz kHz: ok"
