#!/usr/bin/env bash
# Resume instead of boot (README.md, "Resume"): le-r3-to-r10 on qemu-x86_64 with
# root-x1 (updates in both phases) and pin-r3 (updates, then rejects R10), once
# resumed from saved machines and once cold-booted (--cold-boot). Both runs must
# give the same verdicts and equivalent evidence: the same outcomes, the same
# requests seen by the server and the same connections on the wire, and the
# phase's date on the device's clock. Every resumed boot says so (boot-N.json,
# the power-on line with reseed=yes) and every TLS ClientHello random of the
# resumed boots differs from the others (no shared random state). Then a
# changed image (the initramfs with four more bytes) gets a new saved machine
# rather than the old one.
set -euo pipefail
: "${ROTSIM:?run through make check}" "${ROTSIM_TOP:?}" "${ROTSIM_BUILD:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rotsim-resume.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$ROTSIM_TOP"
export ROTSIM_CACHE="$ROTSIM_BUILD/test-cache/pki"
# Saved machines of this test only, so the first run saves and the last one
# shows which key it used.
export ROTSIM_SNAPSHOTS=$tmp/snapshots
hello=$ROTSIM_TOP/targets/qemu-x86_64/tests/hello-randoms.py
run() { # out extra-args...
	local out=$1
	shift
	"$ROTSIM" run le-r3-to-r10 --target qemu-x86_64 --device root-x1 --device pin-r3 \
		--out "$out" -j 2 --no-report "$@" > "$out.log" 2>&1 ||
		{ cat "$out.log"; fail "run $(basename "$out"): exit $?"; }
}
run "$tmp/resumed"
run "$tmp/cold" --cold-boot
grep -q 'warning' "$tmp/resumed.log" && { cat "$tmp/resumed.log"; fail "warnings when resuming"; }

# The outcomes, record by record.
outcomes() {
	jq -r '.records[] | [.scenario, .device, .phase, .verdict, .observed, .reported_version,
		.image_bytes_sent, .handshakes_ok, .capture_ok, .capture_handshakes] | @tsv' \
		"$1/summary.json" | sort
}
outcomes "$tmp/resumed" > "$tmp/o.resumed"
outcomes "$tmp/cold" > "$tmp/o.cold"
[ "$(wc -l < "$tmp/o.cold")" -eq 4 ] || fail "cold: $(wc -l < "$tmp/o.cold") records, want 4"
diff "$tmp/o.cold" "$tmp/o.resumed" || fail "the resumed run's outcomes differ from the cold run's"
grep -q $'pin-r3\tafter\tpass\trejected' "$tmp/o.resumed" || fail "pin-r3 after not rejected"

for c in root-x1 pin-r3; do
	for p in 01-before 02-after; do
		r=$tmp/resumed/cases/le-r3-to-r10/$c@qemu-x86_64/$p
		k=$tmp/cold/cases/le-r3-to-r10/$c@qemu-x86_64/$p
		# The requests the server saw, in order.
		for d in "$r" "$k"; do
			jq -r 'select(.event == "request" or .event == "handshake")
				| [.event, .path // "", .sni // "", .result // ""] | @tsv' \
				"$d/server-events.jsonl" > "$d.requests"
		done
		[ -s "$k.requests" ] || fail "$c $p: the cold run's server saw nothing"
		diff "$k.requests" "$r.requests" || fail "$c $p: the server saw other requests"
		# The wire, boot by boot: the same boots, each with the same
		# connections to the update server and nothing but them.
		[ "$(ls "$k"/capture-*.pcap | wc -l)" -eq "$(ls "$r"/capture-*.pcap | wc -l)" ] ||
			fail "$c $p: another number of boots"
		for pc in "$k"/capture-*.pcap; do
			n=$(basename "$pc")
			# (IPv6 is left out: the guest's own multicast reports
			# come or not with the timing of its power-off, cold or
			# resumed, and user-mode networking drops them.)
			for d in "$k" "$r"; do
				tcpdump -n -r "$d/$n" 2>/dev/null | sed -n \
					's/.* IP 10\.0\.2\.15\.[0-9]* > \(10\.0\.2\.100\.443\): Flags \[S\],.*/syn \1/p' \
					> "$d/$n.wire"
				tcpdump -n -r "$d/$n" 'not arp and not ip6 and not (tcp and host 10.0.2.100)' \
					2>/dev/null | sed 's/^[^ ]* /other /' >> "$d/$n.wire"
			done
			grep -q '^syn ' "$k/$n.wire" || fail "$c $p $n: no connection in the cold capture"
			diff "$k/$n.wire" "$r/$n.wire" || fail "$c $p $n: other frames on the wire"
		done
		# The device's clock: the phase's date, read from its RTC.
		date=$(jq -r .date "$r/phase.json" | cut -c1-10)
		for d in "$r" "$k"; do
			grep -q "^rotsim: booted time=${date}T.* clock=rtc " "$d/console.log" ||
				fail "$c $p: $d: the clock is not at $date"
		done
		# How each boot was made.
		for b in "$r"/boot-*.json; do
			jq -e '.boot == "resumed" and .restore_ms >= 0 and .booted_ms > 0' "$b" \
				>/dev/null || fail "$c $p: $(cat "$b")"
		done
		for b in "$k"/boot-*.json; do
			jq -e '.boot == "cold"' "$b" >/dev/null || fail "$c $p: $(cat "$b")"
		done
		n=$(grep -c '^rotsim: event power-on config=\([0-9]*\)/\1 overlay=\([0-9]*\)/\2 reseed=yes' "$r/console.log")
		[ "$n" -eq "$(ls "$r"/boot-*.json | wc -l)" ] || fail "$c $p: $n power-on lines"
		! grep -q 'power-on' "$k/console.log" || fail "$c $p: a cold boot waited for power-on"
	done
done

# No two resumed boots share random state: every ClientHello random differs.
"$hello" "$tmp"/resumed/cases/*/*/*/capture-*.pcap > "$tmp/randoms"
[ "$(wc -l < "$tmp/randoms")" -ge 6 ] || fail "only $(wc -l < "$tmp/randoms") ClientHellos"
[ -z "$(sort "$tmp/randoms" | uniq -d)" ] || fail "resumed boots repeated a ClientHello random"

# One saved machine per device, and a changed image is not resumed from the
# old one: a build directory whose root-x1 initramfs has four more bytes
# (zeros, which the kernel skips between archives) gets a machine of its own.
[ "$(ls "$ROTSIM_SNAPSHOTS"/*.snap | wc -l)" -eq 2 ] || fail "not one saved machine per device"
old=$(jq -r .snapshot "$tmp/resumed/cases/le-r3-to-r10/root-x1@qemu-x86_64/01-before/boot-0.json")
b=$tmp/build/images/x86_64
mkdir -p "$b/root-x1"
ln -s "$ROTSIM_BUILD/images/x86_64/vmlinuz" "$b/vmlinuz"
ln -s "$ROTSIM_BUILD/images/x86_64/root-x1/flash.img" "$b/root-x1/flash.img"
{ cat "$ROTSIM_BUILD/images/x86_64/root-x1/initramfs.cpio.gz"; printf '\0\0\0\0'; } \
	> "$b/root-x1/initramfs.cpio.gz"
# One phase, one boot: the device is current.
mkdir "$tmp/scn"
cat > "$tmp/scn/resume-changed.scn" <<SCN
[scenario resume-changed]
summary = One boot of a device that is current, from a changed image.
event   = none: a test of the saved machines' key
source  = targets/qemu-x86_64/tests/resume.sh
pki     = $ROTSIM_TOP/scenarios/pki/letsencrypt.pki
devices = root-x1

[phase boot]
date     = 2024-05-01
chain    = leaf-r3
firmware = 1
expect   = current
SCN
"$ROTSIM" run resume-changed --scenarios "$tmp/scn" --target qemu-x86_64 --device root-x1 \
	--build "$tmp/build" --out "$tmp/changed" --no-report > "$tmp/changed.log" 2>&1 ||
	{ cat "$tmp/changed.log"; fail "changed image: exit $?"; }
new=$(jq -r .snapshot "$tmp/changed/cases/resume-changed/root-x1@qemu-x86_64/01-boot/boot-0.json")
[ "$new" != null ] && [ "$new" != "$old" ] || fail "the changed image resumed from $new (old $old)"
[ -f "$ROTSIM_SNAPSHOTS/$new.snap" ] && [ "$(ls "$ROTSIM_SNAPSHOTS"/*.snap | wc -l)" -eq 3 ] ||
	fail "no new saved machine for the changed image"
grep -q "initramfs $(sha256sum "$b/root-x1/initramfs.cpio.gz" | cut -d' ' -f1)" \
	"$ROTSIM_SNAPSHOTS/$new.json" || fail "the new key is not made of the changed image"
jq -r '.records[] | .verdict' "$tmp/changed/summary.json" | grep -qv pass &&
	fail "the changed image's run did not pass"
echo "resume: ok (cold and resumed agree on 4 records, $(wc -l < "$tmp/randoms") distinct randoms)"
