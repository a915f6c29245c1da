LIB_SRCS += sim/pki/der.c sim/pki/dn.c sim/pki/key.c sim/pki/pki.c sim/pki/resolve.c sim/pki/build.c \
	sim/pki/outcache.c
CHECK_SRCS += sim/pki/tests/check_der.c sim/pki/tests/check_pki.c
SCRIPT_TESTS += sim/pki/tests/pki_cli.sh sim/pki/tests/outcache.sh
FUZZ_SRCS += sim/pki/fuzz/fuzz_pki.c sim/pki/fuzz/fuzz_der.c sim/pki/fuzz/fuzz_cache_index.c
-include sim/pki/tests/tests.mk
# libcrypto: the big-number arithmetic of RSA key generation (key.c), the
# fastest Debian offers; BearSSL builds and signs every certificate.
LDLIBS += -lcrypto
DEPS_BUILD += libssl-dev
DEPS_RUN += libssl3
DEPS_REPORT += libssl3

# The output cache's entries are named by a hash that includes the code which
# writes the files: a hash of the sources that decide their bytes, so a
# changed build never reads an older build's entries.
PKI_BUILD_ID_SRCS := $(sort $(wildcard sim/pki/*.c sim/pki/*.h sim/common/*.c sim/common/*.h \
	sim/time/*.c sim/time/*.h))
$(BUILD)/gen/pki_build_id.h: $(PKI_BUILD_ID_SRCS) sim/pki/module.mk
	@mkdir -p $(@D)
	printf '#define PKI_BUILD_ID "%s"\n' \
		"$$(cat $(PKI_BUILD_ID_SRCS) | sha256sum | cut -c1-64)" > $@.tmp
	mv -f $@.tmp $@
$(BUILD)/obj/sim/pki/outcache.o $(BUILD)/fuzz/obj/sim/pki/outcache.o: $(BUILD)/gen/pki_build_id.h
