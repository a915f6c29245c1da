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
# The other TLS stacks' agents for the guest (targets/firmware/README.md, "TLS
# stacks"): the static ones the firmware module builds, and GnuTLS linked
# dynamically (Debian 12 ships no static libp11-kit or libunistring), built
# here as the static agents are but for the -static, never with sanitizers.
QEMU_GNUTLS_AGENT.x86_64 := $(BUILD)/firmware/x86_64/shared/rotsim-agent-gnutls
$(QEMU_GNUTLS_AGENT.x86_64): $(FW_STATIC_SRCS) $(FW_DIR)/tls_gnutls.c $(wildcard $(FW_DIR)/*.h) \
		targets/qemu-x86_64/module.mk
	@mkdir -p $(@D)
	$(CC) $(filter-out -static,$(FW_STATIC_CFLAGS)) -DAGENT_BUILD_DATE='"$(FW_BUILD_DATE)"' \
		-o $@ $(FW_STATIC_SRCS) $(FW_DIR)/tls_gnutls.c $(FW_BEARSSL_A) -lgnutls -lm
$(foreach s,$(FW_STATIC_STACKS),$(eval $(call qemu_stack_overlay,x86_64,$(s),$(BUILD)/firmware/x86_64/rotsim-agent-$(s))))
$(eval $(call qemu_stack_overlay,x86_64,gnutls,$(QEMU_GNUTLS_AGENT.x86_64),/lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu))
# The boot tests need the images; `make check` builds them first.
check check-scripts: images-x86_64 images-stacks-x86_64
CHECK_SRCS += targets/qemu-x86_64/tests/check_targetconf.c
SCRIPT_TESTS += targets/qemu-x86_64/tests/repro.sh targets/qemu-x86_64/tests/boot.sh \
	targets/qemu-x86_64/tests/resume.sh \
	targets/qemu-x86_64/tests/cleanup.sh
bench: images
# Boot times with the target settings of this tree next to the settings they
# replaced, measured in the same run (python3 is in DEPS_PKGS).
BENCH_SCRIPTS += targets/qemu-x86_64/bench/boot-settings.sh
# A powered phase cold-booted next to the same phase resumed (README.md, "Resume").
BENCH_SCRIPTS += targets/qemu-x86_64/bench/resume.sh
