#!/usr/bin/env bash
# The qemu-x86_64 boot test on qemu-aarch64: the 2031 RTC date, the forward to
# the host test server, the pcap and the flash, on QEMU's virt board.
export QEMU_TARGET_DIR="$ROTSIM_TOP/targets/qemu-aarch64" QEMU_ARCH=aarch64
exec bash "$ROTSIM_TOP/targets/qemu-x86_64/tests/boot.sh"
