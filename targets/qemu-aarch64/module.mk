# qemu-aarch64: the reference device on arm64, from Debian's arm64 packages
# (dpkg --add-architecture arm64; fetch-deb.sh does it as root) and cross-built
# with gcc-aarch64-linux-gnu. Its images are part of `make images`. Its boot test
# is in `make check`: with a quiet console and no default devices it boots in
# about 1.5 s under TCG here (README.md in targets/qemu-x86_64 has the numbers).
# The rules and scripts are shared with qemu-x86_64 (targets/qemu-x86_64/qemu.mk).
include targets/qemu-x86_64/qemu.mk
DEPS_PKGS += qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
QEMU_AARCH64_CC ?= aarch64-linux-gnu-gcc
$(eval $(call qemu_target,aarch64,arm64,$(QEMU_AARCH64_CC)))
check check-scripts: images-aarch64
SCRIPT_TESTS += targets/qemu-aarch64/tests/boot.sh
