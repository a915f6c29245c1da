# targets/firmware: the reference device's update agent (README.md).
#
#   $(BUILD)/bin/rotsim-agent               the agent as a host process (targets/native),
#                                           on BearSSL
#   $(BUILD)/bin/rotsim-agent-STACK         the same agent on another TLS stack
#                                           (mbedtls, wolfssl, openssl, gnutls), linked
#                                           against Debian's shared libraries;
#                                           rotsim-agent-bearssl is a link to rotsim-agent
#   $(BUILD)/bin/rotsim-mkbundle            makes firmware bundles (image-N.bin)
#   $(BUILD)/firmware/x86_64/rotsim-agent   the agent for the QEMU guest: static,
#                                           against libbearssl.a
#   $(BUILD)/firmware/x86_64/rotsim-agent-STACK  static, for the stacks whose
#                                           packages ship static archives (FW_STATIC_STACKS)
FW_DIR := targets/firmware
# The agent's own device-only modules (its console lines and its flash),
# kept in a device library of their own (FW_DEVLIB) that the agents and the
# firmware tests link, never in the harness's library; and the shared sources
# it builds in (libc and BearSSL only), among them the bundle format and the
# trust store the harness uses too (sim/common).
FW_AGENT_MODS := $(FW_DIR)/console.c $(FW_DIR)/flash.c
# The agent proper: the same objects in every agent binary, plus one TLS
# backend (tls.h).
FW_AGENT_SRCS := $(FW_DIR)/agent.c $(FW_DIR)/agent_boot.c $(FW_DIR)/agent_link.c \
	$(FW_DIR)/net.c $(FW_DIR)/tls_common.c
FW_AGENT_OBJS := $(FW_AGENT_SRCS:%.c=$(BUILD)/obj/%.o)
# The stacks besides BearSSL, and how each links (Debian 12: libmbedtls-dev 2.28,
# libwolfssl-dev 5.5, libssl-dev 3.0, libgnutls28-dev 3.7).
FW_STACKS := mbedtls wolfssl openssl gnutls
FW_TLS_LIBS.mbedtls := -lmbedtls -lmbedx509 -lmbedcrypto
FW_TLS_LIBS.wolfssl := -lwolfssl
FW_TLS_LIBS.openssl := -lssl -lcrypto
FW_TLS_LIBS.gnutls := -lgnutls
FW_STACK_AGENTS := $(FW_STACKS:%=$(BUILD)/bin/rotsim-agent-%) $(BUILD)/bin/rotsim-agent-bearssl
DEPS_BUILD += libmbedtls-dev libwolfssl-dev libssl-dev libgnutls28-dev
DEPS_TEST += faketime
# What the agents on the other stacks load at run time.
DEPS_RUN += libgnutls30 libmbedcrypto7 libmbedtls14 libmbedx509-1 libssl3 libwolfssl35

FW_SIM_SRCS := sim/fw/fw.c sim/time/sntp.c sim/time/simclock.c sim/time/simtime.c \
	sim/common/util.c sim/common/cfg.c sim/common/tlsnames.c sim/common/bundle.c \
	sim/common/trust.c
FW_AGENT := $(BUILD)/bin/rotsim-agent
FW_MKBUNDLE := $(BUILD)/bin/rotsim-mkbundle
# The build's reader of the stock device descriptions (devices/*.device),
# the harness's own: it writes the agent's profile of each.
FW_MKPROFILE := $(BUILD)/bin/rotsim-mkprofile
FW_STATIC := $(BUILD)/firmware/x86_64/rotsim-agent
# The build date a device without a clock falls back to, unless its profile
# says otherwise: fixed, so that images are reproducible.
FW_BUILD_DATE ?= 2024-01-15

# The device library, and the shared library (LIB and ALL_OBJS are set after
# the module fragments are read: name the library by its path and include the
# programs' dependency files here).
FW_DEVLIB := $(BUILD)/lib/librotsim-device.a
FW_DEVLIB_OBJS := $(FW_AGENT_MODS:%.c=$(BUILD)/obj/%.o)
-include $(FW_DEVLIB_OBJS:.o=.d)
$(FW_DEVLIB): $(FW_DEVLIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^
FW_LIB := $(FW_DEVLIB) $(BUILD)/lib/librotsim.a
-include $(FW_AGENT_OBJS:.o=.d) $(BUILD)/obj/$(FW_DIR)/mkbundle.d $(BUILD)/obj/$(FW_DIR)/mkprofile.d \
	$(patsubst %,$(BUILD)/obj/$(FW_DIR)/tls_%.d,bearssl $(FW_STACKS))
$(BUILD)/obj/$(FW_DIR)/agent.o $(BUILD)/obj/$(FW_DIR)/agent_boot.o: \
	CPPFLAGS += -DAGENT_BUILD_DATE='"$(FW_BUILD_DATE)"'

# The native target runs this agent once per boot: it is linked statically
# (against libbearssl.a and libc.a), so that a boot pays no dynamic loader and
# no relocations, except under sanitizers, which do not link statically.
FW_AGENT_LINK := $(if $(strip $(SANFLAGS)),,-static)
$(FW_AGENT): $(FW_AGENT_OBJS) $(BUILD)/obj/$(FW_DIR)/tls_bearssl.o $(FW_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) $(FW_AGENT_LINK) -o $@ $^ $(LDLIBS)

# rotsim-agent-bearssl names the BearSSL agent like the others, so that a
# target can say bin/rotsim-agent-{tls} for every stack.
$(BUILD)/bin/rotsim-agent-bearssl: $(FW_AGENT)
	ln -sf rotsim-agent $@

$(BUILD)/bin/rotsim-agent-%: $(FW_AGENT_OBJS) $(BUILD)/obj/$(FW_DIR)/tls_%.o $(FW_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(FW_TLS_LIBS.$*) $(LDLIBS)

$(FW_MKBUNDLE): $(BUILD)/obj/$(FW_DIR)/mkbundle.o $(FW_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(FW_MKPROFILE): $(BUILD)/obj/$(FW_DIR)/mkprofile.o $(BUILD)/lib/librotsim.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The guest's agent: every source compiled into one static binary, without
# sanitizers (they do not link statically), stripped, no build id.
FW_STATIC_CFLAGS := -std=c11 -D_GNU_SOURCE -Isim -I. -Os -Wall -Wextra -Werror \
	-Wno-unused-parameter -static -s -Wl,--build-id=none -ffile-prefix-map=$(CURDIR)=.
FW_BEARSSL_A ?= /usr/lib/x86_64-linux-gnu/libbearssl.a
FW_STATIC_SRCS := $(FW_AGENT_SRCS) $(FW_AGENT_MODS) $(FW_SIM_SRCS)
$(FW_STATIC): $(FW_STATIC_SRCS) $(FW_DIR)/tls_bearssl.c $(wildcard $(FW_DIR)/*.h) \
		$(FW_DIR)/module.mk
	@mkdir -p $(@D)
	$(CC) $(FW_STATIC_CFLAGS) -DAGENT_BUILD_DATE='"$(FW_BUILD_DATE)"' -o $@ \
		$(FW_STATIC_SRCS) $(FW_DIR)/tls_bearssl.c $(FW_BEARSSL_A) -lm

# The other stacks for the guest, static where Debian ships every archive the
# link needs: libmbedtls-dev, libwolfssl-dev and libssl-dev do. GnuTLS does
# not (libp11-kit and libunistring come as shared libraries only): a guest
# on GnuTLS needs build/bin/rotsim-agent-gnutls and the .so files it names
# (ldd) in its image.
FW_STATIC_STACKS := mbedtls wolfssl openssl
FW_TLS_STATIC_LIBS.mbedtls := -lmbedtls -lmbedx509 -lmbedcrypto
FW_TLS_STATIC_LIBS.wolfssl := -lwolfssl -lpthread
FW_TLS_STATIC_LIBS.openssl := -lssl -lcrypto -lpthread
FW_STATIC_STACK_AGENTS := $(FW_STATIC_STACKS:%=$(BUILD)/firmware/x86_64/rotsim-agent-%)
$(BUILD)/firmware/x86_64/rotsim-agent-%: $(FW_STATIC_SRCS) $(FW_DIR)/tls_%.c $(wildcard $(FW_DIR)/*.h) \
		$(FW_DIR)/module.mk
	@mkdir -p $(@D)
	$(CC) $(FW_STATIC_CFLAGS) -DAGENT_BUILD_DATE='"$(FW_BUILD_DATE)"' -o $@ \
		$(FW_STATIC_SRCS) $(FW_DIR)/tls_$*.c $(FW_BEARSSL_A) $(FW_TLS_STATIC_LIBS.$*) -lm

# make bench: the handshake benchmark, one binary per stack, on the agent's
# own TLS layer (net.c and the backend).
FW_BENCH_OBJS := $(BUILD)/obj/$(FW_DIR)/bench/tlsbench.o $(BUILD)/obj/$(FW_DIR)/net.o \
	$(BUILD)/obj/$(FW_DIR)/tls_common.o
FW_BENCH_BINS := $(patsubst %,$(BUILD)/bench/fw-tlsbench-%,bearssl $(FW_STACKS))
-include $(BUILD)/obj/$(FW_DIR)/bench/tlsbench.d
# The stacks' objects are built through a pattern: keep them, so that a plain
# make does not compile and link every stack's agent again.
.SECONDARY: $(patsubst %,$(BUILD)/obj/$(FW_DIR)/tls_%.o,bearssl $(FW_STACKS)) \
	$(BUILD)/obj/$(FW_DIR)/bench/tlsbench.o
$(BUILD)/bench/fw-tlsbench-%: $(FW_BENCH_OBJS) $(BUILD)/obj/$(FW_DIR)/tls_%.o $(FW_LIB)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(FW_TLS_LIBS.$*) $(LDLIBS)
BENCH_SCRIPTS += $(FW_DIR)/bench/bench_stacks.sh

.PHONY: firmware
firmware: $(FW_AGENT) $(FW_MKBUNDLE) $(FW_STATIC) $(FW_STACK_AGENTS) $(FW_STATIC_STACK_AGENTS)
all: firmware
TEST_TOOLS += $(FW_AGENT) $(FW_MKBUNDLE) $(FW_STACK_AGENTS) $(FW_BENCH_BINS)

CHECK_SRCS += $(FW_DIR)/tests/check_firmware_bundle.c $(FW_DIR)/tests/check_firmware_console.c \
	$(FW_DIR)/tests/check_firmware_flash.c
CHECK_EXTRA_LIBS.check_firmware_console := $(FW_DEVLIB)
CHECK_EXTRA_LIBS.check_firmware_flash := $(FW_DEVLIB)
FUZZ_SRCS += $(FW_DIR)/fuzz/fuzz_bundle.c
SCRIPT_TESTS += $(FW_DIR)/tests/update.sh $(FW_DIR)/tests/trust.sh $(FW_DIR)/tests/faults.sh \
	$(FW_DIR)/tests/ota-trust.sh $(FW_DIR)/tests/clock.sh $(FW_DIR)/tests/qemu.sh \
	$(FW_DIR)/tests/stacks.sh $(FW_DIR)/tests/stacks-scn.sh $(FW_DIR)/tests/stacks-tools.sh \
	$(FW_DIR)/tests/devices.sh

# ---- Device images for the QEMU targets (targets/qemu-x86_64/qemu.mk) ----
# One device per stock device description of the reference agent
# (devices/NAME.device), named after it. Its payload (/etc/rotsim/ in the
# guest) holds: device (the name), profile (the agent's profile of the
# description: $(FW_OUT)/profiles/NAME.profile, which the firmware tests give
# the host agent too), anchors/ (every anchor set and
# pin list of FW_PKI, made by rotsim pki in a private temporary directory, so
# that no CA private key is left in the build directory) and
# signing-key.pub.pem (the public half of the firmware-signing key derived
# from FW_SIGNING_SEED; the harness derives the private half for rotsim serve
# with rotsim-mkbundle --signing-seed SEED --key-out FILE).
FW_DEVICES := $(sort $(basename $(notdir $(wildcard $(FW_DIR)/devices/*.device))))
FW_AGENT_PROFILES := $(FW_DEVICES:%=$(BUILD)/firmware/profiles/%.profile)
# The hierarchies whose anchor sets and pin lists the descriptions name
# (trust = set:NAME, pin-set:NAME): the public CAs' mirror, and a team's own
# CA (the private-* devices).
FW_PKI ?= scenarios/pki/letsencrypt.pki scenarios/pki/private-ca.pki
FW_SIGNING_SEED ?= rotsim-reference-devices-1
FW_OUT := $(BUILD)/firmware
FW_PAYLOAD := $(FW_OUT)/payload

$(FW_OUT)/anchors.stamp: $(FW_PKI) $(BUILD)/bin/rotsim
	@mkdir -p $(@D)
	set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	rm -rf $(FW_OUT)/anchors; mkdir -p $(FW_OUT)/anchors; \
	for p in $(FW_PKI); do \
		rm -rf "$$d/pki"; \
		$(BUILD)/bin/rotsim pki $$p --out "$$d/pki" > "$$d/log" 2>&1 || { cat "$$d/log"; exit 1; }; \
		cp "$$d"/pki/anchors/*.pem "$$d"/pki/anchors/*.pins $(FW_OUT)/anchors/; \
	done
	touch $@

$(FW_OUT)/signing-key.pub.pem: $(FW_MKBUNDLE) $(FW_DIR)/module.mk
	@mkdir -p $(@D)
	$(FW_MKBUNDLE) --signing-seed '$(FW_SIGNING_SEED)' --pub-out $@
	printf '%s\n' '$(FW_SIGNING_SEED)' > $(FW_OUT)/signing-seed

# A profile follows its description and the code that writes it, not every
# change of the library the tool links (which would rebuild every image).
$(FW_OUT)/profiles/%.profile: $(FW_DIR)/devices/%.device harness/scenario/devices.c \
		| $(FW_MKPROFILE)
	@mkdir -p $(@D)
	$(FW_MKPROFILE) $< $@
firmware: $(FW_AGENT_PROFILES)

# $(call fw_device,DEVICE). The payload directory is a target too, touched with
# its stamp so that it never looks older than the stamp (make -q stays true).
define fw_device
QEMU_DEVICES += $(1)
QEMU_AGENT.x86_64.$(1) := $(FW_STATIC)
QEMU_PAYLOAD.$(1) := $(FW_PAYLOAD)/$(1)
QEMU_PAYLOAD_DEPS.$(1) := $(FW_PAYLOAD)/$(1).stamp
$(FW_PAYLOAD)/$(1): $(FW_PAYLOAD)/$(1).stamp ;
$(FW_PAYLOAD)/$(1).stamp: $(FW_OUT)/profiles/$(1).profile $(FW_OUT)/anchors.stamp \
		$(FW_OUT)/signing-key.pub.pem
	rm -rf $(FW_PAYLOAD)/$(1)
	mkdir -p $(FW_PAYLOAD)/$(1)/anchors
	printf '%s\n' '$(1)' > $(FW_PAYLOAD)/$(1)/device
	cp $(FW_OUT)/profiles/$(1).profile $(FW_PAYLOAD)/$(1)/profile
	cp $(FW_OUT)/anchors/* $(FW_PAYLOAD)/$(1)/anchors/
	cp $(FW_OUT)/signing-key.pub.pem $(FW_PAYLOAD)/$(1)/signing-key.pub.pem
	touch $$@ $(FW_PAYLOAD)/$(1)
endef
$(foreach p,$(FW_DEVICES),$(eval $(call fw_device,$(p))))
