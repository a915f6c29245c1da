#!/usr/bin/env bash
# The board driver against QEMU "boards" (targets/board-qemu, board-qemu-lab):
# guests whose serial port the driver reaches only through ser2net on a
# loopback TCP port, powered on and off by commands.
# - On the lab network (board-qemu-lab, a pool of two with -j 2): the board's
#   NIC is a TAP device of the host that the driver splices to the case's lab
#   network, and its clock comes from the lab's NTP; le-r3-to-r10 (pin-r3)
#   and the SNTP scenario ntp-faults give the verdicts they give on
#   qemu-x86_64-lab, the capture is the lab's, and the TAP is given back
#   untouched.
# - Pulling the power mid-phase (board-qemu) is an error with its reason and
#   the run goes on; a console that never says "booted" times out into an
#   error.
# - SIGKILL and Ctrl-C of the harness (on the lab network): the watchdog (or
#   the harness) powers the board off and frees its lock, and the lab's guard
#   (or the harness) gives the board's interface back.
# Every board here is a copy of the stock descriptions with its own ports,
# lock files and TAP devices, so that two runs of this test on one machine do
# not meet on them.
set -euo pipefail
. "$ROTSIM_TOP/harness/run/tests/lib.sh"
command -v ser2net >/dev/null || fail "ser2net is not installed (make deps)"
unshare -n true 2>/dev/null || fail "no rights to create a network namespace (the lab network)"

# Free console ports, below the kernel's ephemeral range: PREFIX0..PREFIX9.
free_prefix() {
	local p k busy
	for _ in {1..50}; do
		p=$((2100 + RANDOM % 900))
		busy=
		for k in 0 1; do
			[ -z "$(ss -Htan "( sport = :$p$k )")" ] || busy=1
		done
		[ -n "$busy" ] || { echo "$p"; return; }
	done
	fail "no free console ports"
}
tag=$((1000 + RANDOM % 9000))
taps=()
cleanup() {
	local t
	for t in "${taps[@]}"; do ip link del "$t" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT
targets=$tmp/targets
mkdir -p "$tmp/locks"
# A copy of a stock board: mk NAME STOCK CONSOLE-PREFIX extra-sed
mk() {
	mkdir -p "$targets/$1"
	cp "$ROTSIM_TOP/targets/board-qemu/board.sh" "$targets/$1/"
	sed -e "s/273[15]{board}/$3{board}/g" -e "s|^lock = .*|lock = $tmp/locks/$1-{board}.lock|" \
		-e "s/^\[target $2\]/[target $1]/" -e "s/^pool = .*/pool = $1/" \
		-e "s|{dir}/\.\./board-qemu/|{dir}/|g" -e "s/rsbq{board}/rsbq$tag$4{board}/g" -e "$5" \
		"$ROTSIM_TOP/targets/$2/target.conf" > "$targets/$1/target.conf"
	[ "$2" = board-qemu ] || taps+=("rsbq$tag${4}0" "rsbq$tag${4}1")
}
mk lab board-qemu-lab "$(free_prefix)" a ''
mk pull board-qemu "$(free_prefix)" '' 's/^run-timeout = .*/run-timeout = 30/'
mk mute board-qemu "$(free_prefix)" '' 's/^booted = .*/booted = rotsim: never printed/; s/^boot-timeout = .*/boot-timeout = 10/'
mk kill board-qemu-lab "$(free_prefix)" k 's/^pool-size = .*/pool-size = 1/'
export ROTSIM_TARGETS=$targets

# The TAP device the driver gave back: in the host's namespace, down as it
# was, no redirect on it, its guard gone (with the case's processes gone, so
# is the case's network namespace).
tap_back() { # tap what
	ip link show dev "$1" >/dev/null 2>&1 || fail "$2: $1 is not in the host's namespace"
	ip -o link show dev "$1" | grep -q '[<,]UP[,>]' && fail "$2: $1 was left up"
	tc qdisc show dev "$1" ingress | grep -q . && fail "$2: $1 still has the lab's redirect"
	no_leftovers "rotsim-lab-guard $1"
	return 0
}

# ---- The lab network: the seed's story and the SNTP scenario on the pool.
out=$tmp/lab
rc=0
# (One case of each, side by side on the two boards: pin-r3 updates, then
# rejects R10, which is what the driver has to show; root-x1 and roots-x1-x2
# would cost the boards' time for the same.)
"$ROTSIM" run ntp-faults le-r3-to-r10 --scenarios scenarios/lab --device sntp-x1 \
	--device pin-r3 --target lab --out "$out" -j 2 --no-report > "$tmp/log" 2>&1 || rc=$?
[ $rc -eq 0 ] || { cat "$tmp/log"; fail "lab run: exit $rc"; }
j=$out/junit.xml
[ "$(junit_count "$j")" -eq 5 ] || fail "junit: $(junit_count "$j") testcases, want 5"
for p in before after; do
	[ "$(junit_verdict "$j" "le-r3-to-r10.pin-r3@lab" $p)" = pass ] || fail "pin-r3 $p"
done
for p in kiss-rate wrong-date right-date; do
	[ "$(junit_verdict "$j" "ntp-faults.sntp-x1@lab" $p)" = pass ] || fail "sntp-x1 $p"
done
# The outcomes the scenarios expect, as on qemu-x86_64-lab.
jq -e '[.records[] | .observed == .expected] | all and length == 5' "$out/summary.json" \
	>/dev/null || fail "outcomes: $(jq -c '[.records[] | [.device, .phase, .observed]]' "$out/summary.json")"
jq -e '[.records[] | select(.observed=="updated") | .capture_ok and .capture_handshakes >= 1
	and .wire_app_bytes >= .image_bytes_sent] | all and length == 2' "$out/summary.json" \
	>/dev/null || fail "updated without wire evidence"
jq -e '.records[] | select(.device=="pin-r3" and .phase=="after") | .observed=="rejected"
	and .device_error=="BR_ERR_X509_NOT_TRUSTED"' "$out/summary.json" >/dev/null \
	|| fail "pin-r3 after"
# The board's RTC starts in 2000; its clock is the lab's NTP at the phase's
# date (for the SNTP device, the lab's faults too), and the flash is kept.
d=$out/cases/le-r3-to-r10/pin-r3@lab
grep -q 'rotsim: booted time=2000-01-01' "$d/01-before/console.log" || fail "the board's RTC is not its own"
grep -q 'board: clock set by NTP from 10.77.0.1: 2024-05-01' "$d/01-before/console.log" \
	|| fail "clock not from the lab's NTP: $(grep board: "$d/01-before/console.log")"
grep -q 'board: clock set by NTP from 10.77.0.1: 2024-07-01' "$d/02-after/console.log" || fail "clock after"
grep -q 'rotsim: boot slot=. how=slot version=2' "$d/02-after/console.log" || fail "flash not kept"
s=$out/cases/ntp-faults/sntp-x1@lab
grep -q '"kiss":"RATE"' "$s/01-kiss-rate/ntp.jsonl" || fail "no kiss-o'-death sent to the board"
grep -q 'rotsim: clock source=sntp time=2024-07-15' "$s/03-right-date/console.log" || fail "sntp-x1's own SNTP"
# What a QEMU guest on the lab sees: a lease, a DNS answer, the capture of
# the lab's bridge with the board's DHCP, NTP and TLS.
grep -q 'DHCPACK(rsbr0)' "$d/01-before/dnsmasq.log" || fail "no DHCP lease"
grep -q 'config updates.rotsim.test is 10.77.0.1' "$d/01-before/dnsmasq.log" || fail "no DNS answer"
"$ROTSIM" inspect "$d/01-before/capture.pcap" --json > "$tmp/inspect.json" || fail "inspect"
grep -q 'updates.rotsim.test' "$tmp/inspect.json" || fail "no TLS to the update host in the lab's capture"
# The board's identity: which board of the pool, its interface and clock, the
# image's hash as deployed; both boards served cases.
sha=$(sha256sum "$ROTSIM_BUILD/images/x86_64/pin-r3/initramfs.cpio.gz" | cut -d' ' -f1)
jq -e --arg s "$sha" --arg t "rsbq${tag}a" '.driver=="board" and .pool=="lab" and (.board==0 or .board==1)
	and .network==($t + (.board|tostring)) and .clock=="ntp" and .deploy_image_sha256==$s
	and (.console|startswith("tcp:127.0.0.1:"))' "$d/board.json" >/dev/null \
	|| fail "board.json: $(cat "$d/board.json")"
[ "$(cat "$out"/cases/*/*/board.json | jq -s '[.[].board] | unique | length')" -eq 2 ] \
	|| fail "the pool's two boards were not both used"
"$ROTSIM" verdict "$out" | tail -1 | grep -q '5 records: 5 agree' || fail "verdict disagrees"
# The report names the board of each case and the hash of the image deployed.
"$ROTSIM" report "$out" > "$tmp/report.log" 2>&1 || true
grep -q "<p class=\"board note\"><b>Board:</b> target <span class=\"mono\">lab</span>.*image SHA-256 <span class=\"mono\">$sha</span>" \
	"$out/report.html" || fail "the report does not name the board and its image: $(cat "$tmp/report.log")"
no_leftovers "qemu-system.*$out"
no_leftovers "ser2net.*$out"
no_leftovers "dnsmasq.*$out"
tap_back "rsbq${tag}a0" lab
tap_back "rsbq${tag}a1" lab
echo "lab: ok (${SECONDS}s)"

# ---- Pull the power of pin-r3's board in phase before, as soon as it is on
# (QEMU's CPU runs once the console is connected: the guest cannot have
# finished its work): that phase is an error with the reason, phase after
# still runs and passes. The mute console: both phases time out into errors.
out=$tmp/pull
"$ROTSIM" run le-r3-to-r10 --device pin-r3 --target pull --target mute --out "$out" -j 2 \
	--no-report > "$tmp/log" 2>&1 &
pid=$!
c=$out/cases/le-r3-to-r10/pin-r3@pull
for _ in $(seq 600); do
	grep -qs '^on: qemu' "$c/01-before/power-on-0.log" && break
	sleep 0.1
done
qpid=$(sed -n 's/^on: qemu \([0-9]*\),.*/\1/p' "$c/01-before/power-on-0.log" 2>/dev/null)
[ -n "$qpid" ] || { kill $pid; fail "pull: not powered on: $(cat "$tmp/log")"; }
kill -KILL "$qpid"
rc=0; wait $pid || rc=$?
[ $rc -eq 2 ] || { cat "$tmp/log"; fail "pull: exit $rc, want 2 (errors)"; }
jq -e '.records[] | select(.target=="pull" and .phase=="before") | .observed=="error"
	and (.reason|test("did not boot: no \"rotsim: booted\" on its console within 40 s|did not finish within 30 s"))' \
	"$out/summary.json" >/dev/null \
	|| fail "pull: $(jq -c '.records[] | select(.target=="pull")' "$out/summary.json")"
grep -q 'console closed' "$c/01-before/board-0.log" || fail "pull: the console's end is not noted"
jq -e '.records[] | select(.target=="pull" and .phase=="after") | .observed=="rejected"' \
	"$out/summary.json" >/dev/null || fail "pull: the run did not go on"
jq -e '[.records[] | select(.target=="mute") | .observed=="error"
	and (.reason|test("did not boot: no \"rotsim: never printed\" on its console within 10 s"))]
	| all and length == 2' "$out/summary.json" >/dev/null \
	|| fail "mute: $(jq -c '.records[] | select(.target=="mute")' "$out/summary.json")"
grep -q 'power-off: ok' "$out/cases/le-r3-to-r10/pin-r3@mute/01-before/board-0.log" \
	|| fail "mute: not powered off"
no_leftovers "qemu-system.*$out"
no_leftovers "ser2net.*$out"
echo "pull, mute: ok (${SECONDS}s)"

# ---- SIGKILL, then SIGINT, of the harness once the lab board is on: the
# watchdog (or the harness) powers it off, the guard (or the harness) gives
# its interface back, no QEMU, ser2net or dnsmasq is left, the lock is free.
lock=$tmp/locks/kill-0.lock
for sig in KILL INT; do
	out=$tmp/$sig
	"$ROTSIM" run le-r3-to-r10 --device root-x1 --target kill --out "$out" --no-report \
		> "$tmp/log" 2>&1 &
	pid=$!
	c=$out/cases/le-r3-to-r10/root-x1@kill
	for _ in $(seq 600); do
		grep -qs '^on: qemu' "$c/01-before/power-on-0.log" && break
		sleep 0.1
	done
	qpid=$(sed -n 's/^on: qemu \([0-9]*\),.*/\1/p' "$c/01-before/power-on-0.log" 2>/dev/null)
	[ -n "$qpid" ] || { kill $pid; fail "$sig: not powered on: $(cat "$tmp/log")"; }
	flock -n "$lock" true && fail "$sig: the board is not locked while it runs"
	tc qdisc show dev "rsbq${tag}k0" ingress | grep -q . || fail "$sig: the board's interface is not spliced to the lab"
	kill -$sig $pid
	rc=0; wait $pid || rc=$?
	[ $sig = KILL ] || [ $rc -eq 2 ] || fail "$sig: exit $rc, want 2"
	for _ in $(seq 150); do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$qpid" 2>/dev/null && fail "$sig: the board's QEMU $qpid is still on"
	flock -w 10 "$lock" true || fail "$sig: the lock is still held"
	for _ in $(seq 100); do
		tc qdisc show dev "rsbq${tag}k0" ingress | grep -q . || break
		sleep 0.1
	done
	tap_back "rsbq${tag}k0" "$sig"
	no_leftovers "qemu-system.*$out"
	no_leftovers "ser2net.*$out"
	no_leftovers "dnsmasq.*$out"
	echo "$sig: ok (${SECONDS}s)"
done
grep -q 'the harness is gone' "$tmp/KILL/cases/le-r3-to-r10/root-x1@kill/01-before/watchdog-0.log" \
	|| fail "KILL: the watchdog did not power the board off"
grep -q 'the case is gone: the guard gives' "$tmp/KILL/cases/le-r3-to-r10/root-x1@kill/labnet.log" \
	|| fail "KILL: the guard did not give the interface back"
echo "board qemu: ok (${SECONDS}s)"
