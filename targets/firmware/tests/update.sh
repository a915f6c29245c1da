#!/usr/bin/env bash
# A root-x1 device updates from rotsim serve: validates the chain, downloads
# and installs version 2 into slot A, "reboots" (a second run on the same
# flash) into version 2 and checks in with it. Under R10 as under R3.
. "$(dirname "$0")/lib.sh"

make_firmware "$tmp/fw" 2
for leaf in leaf-r10 leaf-r3; do
	dev=$tmp/dev-$leaf
	start_server "$leaf" "$tmp/fw"
	boot root-x1 "$dev"
	expect_rc 10
	expect_line '^rotsim: boot slot=factory how=factory version=1$'
	expect_line '^rotsim: tls result=ok version=TLS1.2 '
	expect_line '^rotsim: manifest sig=ok version=2 size=300042 url=/firmware/image-2.bin$'
	expect_line '^rotsim: install result=ok slot=a version=2 bytes=300042 '
	expect_line '^rotsim: done result=updated version=1 installed=2 exit=10$'
	[ "$(image_bytes)" -eq 300042 ] || { echo "FAIL: image bytes $(image_bytes)"; exit 1; }
	# The flash holds exactly the image in slot A (1 MiB in).
	cmp -n 300042 -i 0:1048576 "$tmp/fw/image-2.bin" "$dev/flash.img"

	boot root-x1 "$dev"
	expect_rc 0
	expect_line '^rotsim: boot slot=a how=slot version=2$'
	expect_line '^rotsim: report version=2 status=current result=ok$'
	expect_line '^rotsim: done result=current version=2 exit=0$'
	reported 2 || { echo "FAIL: no check-in with version 2"; cat "$events"; exit 1; }
	# The second boot fetched no image.
	[ "$(image_bytes)" -eq 300042 ]
	stop=$server_pid; kill "$stop"; wait "$stop" || true
done

# The device runs from a QEMU-format flash image too (mkflash.sh, with a
# factory bundle in slot A): it boots that, then installs 2 into slot B.
mk=$ROTSIM_TOP/targets/qemu-x86_64/mkflash.sh
if [ -x "$mk" ]; then
	"$MKBUNDLE" --version 1 --payload-size 1000 --out "$tmp/factory.bin"
	"$mk" -a "$tmp/factory.bin" "$tmp/qflash.img" root-x1
	start_server leaf-r10 "$tmp/fw"
	boot root-x1 "$tmp/qdev" --flash "$tmp/qflash.img"
	expect_rc 10
	expect_line '^rotsim: boot slot=a how=factory-slot version=1$'
	expect_line '^rotsim: install result=ok slot=b version=2 '
	boot root-x1 "$tmp/qdev" --flash "$tmp/qflash.img"
	expect_rc 0
	expect_line '^rotsim: boot slot=b how=slot version=2$'
fi
echo ok
