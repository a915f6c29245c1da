#!/usr/bin/env bash
# A target whose kernel never prints on the console ends as "error" within its
# boot timeout, with the reason; the run goes on to the next phase and no QEMU
# is left. A target that cannot start (no kernel) is an error with the reason.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/targets/hung" "$tmp/targets/nokernel"
# The real image, but init is "sleep 3600" and the console goes elsewhere: the
# guest runs and never says "booted".
sed -e 's/^\[target qemu-x86_64\]/[target hung]/' \
	-e 's|^append = .*|append = console=tty0 quiet panic=-1 rdinit=/bin/busybox sleep 3600|' \
	-e 's/^boot-timeout = .*/boot-timeout = 6/' \
	targets/qemu-x86_64/target.conf > "$tmp/targets/hung/target.conf"
sed -e 's/^\[target qemu-x86_64\]/[target nokernel]/' \
	-e 's|^kernel = .*|kernel = images/x86_64/no-such-vmlinuz|' \
	targets/qemu-x86_64/target.conf > "$tmp/targets/nokernel/target.conf"
start=$(date +%s)
set +e
ROTSIM_TARGETS=$tmp/targets "$ROTSIM" run le-r3-to-r10 --target hung --device root-x1 \
	--out "$tmp/hung" > "$tmp/log"; rc=$?
set -e
took=$(( $(date +%s) - start ))
echo "hung target: exit $rc in ${took}s"
[ $rc -eq 2 ] || fail "hung target: exit $rc, want 2 (infrastructure error)"
[ $took -lt 60 ] || fail "took ${took}s for two phases with a 6 s boot timeout"
jq -e '[.records[] | .observed=="error" and (.reason | test("did not boot: no \"rotsim: booted\" on its console within 6 s"))] | all and length==2' \
	"$tmp/hung/summary.json" >/dev/null || fail "$(cat "$tmp/hung/summary.json")"
grep -q '^ERROR le-r3-to-r10 root-x1 @before error: the device did not boot' "$tmp/log" || fail "line"
no_leftovers "qemu-system.*$tmp"

set +e
ROTSIM_TARGETS=$tmp/targets "$ROTSIM" run le-r3-to-r10 --target nokernel --device root-x1 \
	--out "$tmp/nok" > "$tmp/log"; rc=$?
set -e
[ $rc -eq 2 ] || fail "missing kernel: exit $rc"
jq -e '.records[0].observed=="error" and (.records[0].reason | test("no kernel at .*no-such-vmlinuz \\(run make images\\)"))' \
	"$tmp/nok/summary.json" >/dev/null || fail "$(jq -c '.records[0]' "$tmp/nok/summary.json")"
echo "run hung: ok"
