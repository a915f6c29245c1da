# The reference agent for the qemu-aarch64 guest, included by
# targets/qemu-aarch64/module.mk (after targets/qemu-x86_64/qemu.mk, before its
# qemu_target call, which reads QEMU_AGENT.aarch64.DEVICE).
#
#   $(BUILD)/sysroot/arm64/                  Debian's libbearssl-dev:arm64, unpacked
#   $(BUILD)/firmware/aarch64/rotsim-agent   the agent: static, stripped, against
#                                            the sysroot's libbearssl.a
#
# The sources are those of the x86_64 guest agent (FW_STATIC_SRCS and the BearSSL
# backend tls_bearssl.c, in targets/firmware/module.mk), compiled with the same flags by the cross
# compiler of gcc-aarch64-linux-gnu, whose libc6-dev-arm64-cross gives the
# static libc. libbearssl-dev is fetched into DEB_CACHE/arm64 once, like the
# kernel and busybox; its libbearssl0 dependency holds only the shared library,
# which a static link does not need. The headers come from the same package as
# the library, not from the host, so the two always match.
FW_A64_CC ?= aarch64-linux-gnu-gcc
FW_A64_SYSROOT := $(BUILD)/sysroot/arm64
FW_A64_DEB := $(DEB_CACHE)/arm64/libbearssl-dev.deb
FW_A64_BEARSSL_A := $(FW_A64_SYSROOT)/usr/lib/aarch64-linux-gnu/libbearssl.a
FW_STATIC_A64 := $(FW_OUT)/aarch64/rotsim-agent

$(FW_A64_DEB):
	$(QEMU_DIR)/fetch-deb.sh arm64 libbearssl-dev $@

# Unpacked into a fresh directory and moved into place, so an interrupted
# unpack leaves no half sysroot. dpkg-deb keeps the package's file times,
# older than the .deb: the library is touched, or make would unpack it again
# every time.
$(FW_A64_BEARSSL_A): $(FW_A64_DEB)
	@mkdir -p $(dir $(FW_A64_SYSROOT))
	rm -rf $(FW_A64_SYSROOT).tmp $(FW_A64_SYSROOT)
	dpkg-deb -x $< $(FW_A64_SYSROOT).tmp
	cp $<.name $(FW_A64_SYSROOT).tmp/libbearssl-dev.deb.name
	mv $(FW_A64_SYSROOT).tmp $(FW_A64_SYSROOT)
	@test -f $@ || { echo "$<: no $(@:$(FW_A64_SYSROOT)/%=%) in the package" >&2; exit 1; }
	touch $@

$(FW_STATIC_A64): $(FW_STATIC_SRCS) $(FW_DIR)/tls_bearssl.c $(wildcard $(FW_DIR)/*.h) \
		$(FW_DIR)/module.mk $(FW_DIR)/aarch64.mk $(FW_A64_BEARSSL_A)
	@mkdir -p $(@D)
	$(FW_A64_CC) $(FW_STATIC_CFLAGS) -isystem $(FW_A64_SYSROOT)/usr/include \
		-DAGENT_BUILD_DATE='"$(FW_BUILD_DATE)"' -o $@ \
		$(FW_STATIC_SRCS) $(FW_DIR)/tls_bearssl.c $(FW_A64_BEARSSL_A) -lm

.PHONY: firmware-aarch64
firmware-aarch64: $(FW_STATIC_A64)
$(foreach p,$(FW_PROFILES),$(eval QEMU_AGENT.aarch64.$(p) := $(FW_STATIC_A64)))
