# qemu-x86_64: the default target. `make images` builds its kernel, busybox,
# test agent and, per device, an initramfs and a factory flash image under
# $(BUILD)/images/x86_64/ (see targets/qemu-x86_64/README.md).
include targets/qemu-x86_64/qemu.mk
DEPS_BUILD += cpio
DEPS_RUN += qemu-system-x86 socat
# rotsim report states the QEMU version it finds (harness/report/verb_report.c).
DEPS_REPORT += qemu-system-x86
DEPS_TEST += tcpdump python3
$(eval $(call qemu_target,x86_64,amd64,$(CC)))
# The boot tests need the images; `make check` builds them first.
check check-scripts: images-x86_64
CHECK_SRCS += targets/qemu-x86_64/tests/check_targetconf.c
SCRIPT_TESTS += targets/qemu-x86_64/tests/repro.sh targets/qemu-x86_64/tests/boot.sh \
	targets/qemu-x86_64/tests/cleanup.sh
bench: images
