#!/usr/bin/env bash
# The reference device as a QEMU image (qemu-x86_64, TCG): the pin-r3 device
# built from scenarios/pki/letsencrypt.pki updates from rotsim serve under R3
# (two boots on one flash: install, then run version 2 and check in), and a
# fresh pin-r3 device is refused under R10 with no image byte on the wire.
. "$(dirname "$0")/lib.sh"

img=$ROTSIM_BUILD/images/x86_64/pin-r3/initramfs.cpio.gz
[ -f "$img" ] || { echo "no $img (make images)"; exit 1; }
boot_sh=$ROTSIM_TOP/targets/qemu-x86_64/boot.sh
# The mirror's chains and keys, in $tmp only.
"$ROTSIM" pki "$ROTSIM_TOP/scenarios/pki/letsencrypt.pki" --out "$tmp/le" > "$tmp/le.log" 2>&1 ||
	{ cat "$tmp/le.log"; exit 1; }
"$MKBUNDLE" --signing-seed "$(cat "$ROTSIM_BUILD/firmware/signing-seed")" --key-out "$tmp/fsk.pem"
make_firmware "$tmp/fw" 2 --payload-size 200000

# qboot DEVICE CASEDIR LEAF: one QEMU boot against a server for LEAF.
qboot() {
	local dev=$1 case=$2 leaf=$3
	nserver=$((nserver + 1))
	events=$tmp/events.$nserver.jsonl
	"$ROTSIM" serve --listen 127.0.0.1:0 --chain "$tmp/le/chains/$leaf.pem" \
		--key "$tmp/le/$leaf.key.pem" --firmware "$tmp/fw" --signing-key "$tmp/fsk.pem" \
		--time 2024-07-01 --events "$events" > "$tmp/q.$nserver.out" 2>&1 &
	local pid=$!
	server_pids+=("$pid")
	for _ in $(seq 1 100); do
		grep -q '^listening ' "$tmp/q.$nserver.out" 2>/dev/null && break
		sleep 0.05
	done
	port=$(sed -n 's/^listening .*://p' "$tmp/q.$nserver.out")
	rc=0
	"$boot_sh" -b "$ROTSIM_BUILD" -d "$dev" -r 2024-07-01 -s "$port" -o "$case" -T 90 || rc=$?
	kill "$pid"; wait "$pid" || true
	console=$case/console.log
	grep '^rotsim:' "$console"
	[ $rc -eq 0 ] || { echo "FAIL: boot.sh exit $rc"; exit 1; }
}

qboot pin-r3 "$tmp/case1" leaf-r3
expect_line '^rotsim: done result=updated version=1 installed=2 exit=10'
expect_line '^rotsim: event agent-exit status=10'
[ "$(image_bytes)" -eq 200042 ]
[ -s "$tmp/case1/case.pcap" ]
qboot pin-r3 "$tmp/case1" leaf-r3
expect_line '^rotsim: boot slot=a how=slot version=2'
expect_line '^rotsim: done result=current version=2 exit=0'
reported 2

qboot pin-r3 "$tmp/case2" leaf-r10
expect_line '^rotsim: tls result=failed err=BR_ERR_X509_NOT_TRUSTED code=62 '
expect_line '^rotsim: done result=rejected version=1 reason=tls exit=3'
[ "$(image_bytes)" -eq 0 ]
echo ok
