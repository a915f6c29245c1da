# qemu-aarch64: the reference device on arm64, from Debian's arm64 packages
# (dpkg --add-architecture arm64; fetch-deb.sh does it as root) and cross-built
# with gcc-aarch64-linux-gnu. Its images are part of `make images`: every
# firmware profile is a device with the reference agent, cross-built against
# libbearssl-dev:arm64 (targets/firmware/aarch64.mk). Its tests are in
# `make check`: the boot test (about 1.5 s to "booted" under TCG here), the
# seed's update with rotsim run (about 15-30 s; README.md has the numbers) and
# every other TLS stack's agent updating through its overlay (stacks.sh).
# The rules and scripts are shared with qemu-x86_64 (targets/qemu-x86_64/qemu.mk).
include targets/qemu-x86_64/qemu.mk
DEPS_BUILD += gcc-aarch64-linux-gnu libc6-dev-arm64-cross
DEPS_RUN += qemu-system-arm
QEMU_AARCH64_CC ?= aarch64-linux-gnu-gcc
# The reference agent: sets QEMU_AGENT.aarch64.PROFILE for every firmware
# profile, which must be known before qemu_target makes the devices.
FW_A64_CC := $(QEMU_AARCH64_CC)
include targets/firmware/aarch64.mk
$(eval $(call qemu_target,aarch64,arm64,$(QEMU_AARCH64_CC)))
check check-scripts: images-aarch64
# Agent overlays: build/images/aarch64/agent-STACK.cpio.gz, for every stack but
# BearSSL (the images' own), appended to a device's initramfs to run the agent
# on STACK (mkoverlay.sh; the GnuTLS agent with its shared libraries and the
# loader from the host's arm64 packages). images-stacks makes every target's.
QEMU_A64_OVERLAYS := $(FW_STACKS:%=$(BUILD)/images/aarch64/agent-%.cpio.gz)
$(BUILD)/images/aarch64/agent-%.cpio.gz: $(FW_OUT)/aarch64/rotsim-agent-% \
		targets/qemu-aarch64/mkoverlay.sh targets/qemu-x86_64/mkcpio.sh
	targets/qemu-aarch64/mkoverlay.sh $@ $< $(FW_A64_LIBDIR)
.PHONY: images-stacks images-stacks-aarch64
images-stacks-aarch64: $(QEMU_A64_OVERLAYS)
images-stacks: images-stacks-aarch64
images: images-stacks
check check-scripts: images-stacks-aarch64
SCRIPT_TESTS += targets/qemu-aarch64/tests/boot.sh targets/qemu-aarch64/tests/update.sh \
	targets/qemu-aarch64/tests/stacks.sh
# Boot times of the reference device on every target (python3 is in DEPS_PKGS).
BENCH_SCRIPTS += targets/qemu-aarch64/bench/boot-times.sh
bench: images
