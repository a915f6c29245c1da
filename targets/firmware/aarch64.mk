# The reference agent for the qemu-aarch64 guest, included by
# targets/qemu-aarch64/module.mk (after targets/qemu-x86_64/qemu.mk, before its
# qemu_target call, which reads QEMU_AGENT.aarch64.DEVICE).
#
#   $(BUILD)/sysroot/arm64/                  Debian's libbearssl-dev:arm64, unpacked
#   $(BUILD)/firmware/aarch64/rotsim-agent   the agent: static, stripped, against
#                                            the sysroot's libbearssl.a
#   $(BUILD)/firmware/aarch64/rotsim-agent-STACK  the agent on another stack
#                                            (FW_STACKS; below): static, but for
#                                            gnutls
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

# ---- The other stacks on arm64: $(FW_OUT)/aarch64/rotsim-agent-STACK ----
# Same sources and flags, one backend each (FW_STACKS), BearSSL linked in for
# the signature checks as in every agent. Where each stack comes from:
#   mbedtls, openssl  libmbedtls-dev:arm64 and libssl-dev:arm64, installed by
#                     make deps (Multi-Arch: same, so beside the host's own
#                     -dev packages); static (.a in /usr/lib/aarch64-linux-gnu).
#                     The cross compiler searches /usr/include, which holds the
#                     headers every architecture shares, but not
#                     /usr/include/aarch64-linux-gnu, where OpenSSL keeps its
#                     configuration.h: -idirafter adds it after the
#                     toolchain's own headers, so libc's stay the toolchain's.
#   wolfssl           libwolfssl-dev is not Multi-Arch: same (its options.h is
#                     per architecture, in /usr/include/wolfssl), so the arm64
#                     one cannot be installed beside the host's: it is fetched
#                     and unpacked into a sysroot of its own, like BearSSL;
#                     static.
#   gnutls            no static archive of libp11-kit or libunistring in
#                     Debian 12: linked dynamically against libgnutls30:arm64
#                     (make deps), with the headers of the host's
#                     libgnutls28-dev (Multi-Arch: same: the files it shares
#                     with the arm64 package are the same bytes, and its
#                     version is that of libgnutls30, on both architectures).
#                     The image overlay (targets/qemu-aarch64/module.mk)
#                     carries the libraries and the loader.
FW_A64_LIBDIR := /usr/lib/aarch64-linux-gnu
DEPS_BUILD += libmbedtls-dev:arm64 libssl-dev:arm64 libgnutls30:arm64
FW_A64_STACK_AGENTS := $(FW_STACKS:%=$(FW_OUT)/aarch64/rotsim-agent-%)
FW_A64_WOLFSSL_SYSROOT := $(BUILD)/sysroot/arm64-wolfssl
FW_A64_WOLFSSL_DEB := $(DEB_CACHE)/arm64/libwolfssl-dev.deb
FW_A64_WOLFSSL_A := $(FW_A64_WOLFSSL_SYSROOT)/usr/lib/aarch64-linux-gnu/libwolfssl.a

FW_A64_STACK_LIBS.mbedtls := $(FW_A64_LIBDIR)/libmbedtls.a $(FW_A64_LIBDIR)/libmbedx509.a \
	$(FW_A64_LIBDIR)/libmbedcrypto.a
FW_A64_STACK_LIBS.openssl := $(FW_A64_LIBDIR)/libssl.a $(FW_A64_LIBDIR)/libcrypto.a
FW_A64_STACK_LIBS.wolfssl := $(FW_A64_WOLFSSL_A)
FW_A64_STACK_LIBS.gnutls := $(FW_A64_LIBDIR)/libgnutls.so.30
FW_A64_STACK_FLAGS.mbedtls := $(FW_STATIC_CFLAGS)
FW_A64_STACK_FLAGS.openssl := $(FW_STATIC_CFLAGS) -idirafter /usr/include/aarch64-linux-gnu
FW_A64_STACK_FLAGS.wolfssl := $(FW_STATIC_CFLAGS) -isystem $(FW_A64_WOLFSSL_SYSROOT)/usr/include
FW_A64_STACK_FLAGS.gnutls := $(filter-out -static,$(FW_STATIC_CFLAGS)) \
	-Wl,-rpath-link=$(FW_A64_LIBDIR)
FW_A64_STACK_LDLIBS.mbedtls :=
FW_A64_STACK_LDLIBS.openssl := -lpthread
FW_A64_STACK_LDLIBS.wolfssl := -lpthread
FW_A64_STACK_LDLIBS.gnutls :=

$(FW_A64_WOLFSSL_DEB):
	$(QEMU_DIR)/fetch-deb.sh arm64 libwolfssl-dev $@

$(FW_A64_WOLFSSL_A): $(FW_A64_WOLFSSL_DEB)
	@mkdir -p $(dir $(FW_A64_WOLFSSL_SYSROOT))
	rm -rf $(FW_A64_WOLFSSL_SYSROOT).tmp $(FW_A64_WOLFSSL_SYSROOT)
	dpkg-deb -x $< $(FW_A64_WOLFSSL_SYSROOT).tmp
	cp $<.name $(FW_A64_WOLFSSL_SYSROOT).tmp/libwolfssl-dev.deb.name
	mv $(FW_A64_WOLFSSL_SYSROOT).tmp $(FW_A64_WOLFSSL_SYSROOT)
	@test -f $@ || { echo "$<: no $(@:$(FW_A64_WOLFSSL_SYSROOT)/%=%) in the package" >&2; exit 1; }
	touch $@

# A library make deps installs: say so when it is missing.
$(FW_A64_LIBDIR)/%:
	@echo "$(FW_DIR)/aarch64.mk: no $@ (make deps installs $(filter %:arm64,$(DEPS_BUILD)))" >&2; exit 1

# The library files are named, not -l, so that the link takes exactly these
# (a static archive, or the shared library of the arm64 package).
$(FW_OUT)/aarch64/rotsim-agent-%: $(FW_STATIC_SRCS) $(FW_DIR)/tls_%.c $(wildcard $(FW_DIR)/*.h) \
		$(FW_DIR)/module.mk $(FW_DIR)/aarch64.mk $(FW_A64_BEARSSL_A)
	@mkdir -p $(@D)
	$(FW_A64_CC) $(FW_A64_STACK_FLAGS.$*) -isystem $(FW_A64_SYSROOT)/usr/include \
		-DAGENT_BUILD_DATE='"$(FW_BUILD_DATE)"' -o $@ \
		$(FW_STATIC_SRCS) $(FW_DIR)/tls_$*.c $(FW_A64_BEARSSL_A) $(FW_A64_STACK_LIBS.$*) \
		$(FW_A64_STACK_LDLIBS.$*) -lm
$(foreach s,$(FW_STACKS),$(eval $(FW_OUT)/aarch64/rotsim-agent-$(s): $(FW_A64_STACK_LIBS.$(s))))

.PHONY: firmware-aarch64
firmware-aarch64: $(FW_STATIC_A64) $(FW_A64_STACK_AGENTS)
$(foreach p,$(FW_DEVICES),$(eval QEMU_AGENT.aarch64.$(p) := $(FW_STATIC_A64)))
