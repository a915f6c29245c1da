# Tests and benchmarks of the Let's Encrypt mirror (scenarios/pki/letsencrypt.pki).
# zoo.sh reads back the shapes of scenarios/pki/stack-zoo.pki (the stack scenarios).
# Included from sim/pki/module.mk.
#
# bearverify is BearSSL's br_x509_minimal behind a command line; the script tests use
# it next to `openssl verify` and GnuTLS `certtool --verify` (under faketime, since
# certtool 3.7 has no option for the verification time).

BEARVERIFY := $(BUILD)/tests/bearverify

# The library's path is spelled out: LIB is defined after the module fragments are
# read, and prerequisites are expanded as the rule is read.
$(BEARVERIFY): $(BUILD)/obj/sim/pki/tests/bearverify.o $(BUILD)/lib/librotsim.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

-include $(BUILD)/obj/sim/pki/tests/bearverify.d
TEST_TOOLS += $(BEARVERIFY)
SCRIPT_TESTS += sim/pki/tests/validators.sh sim/pki/tests/fields.sh sim/pki/tests/determinism.sh \
	sim/pki/tests/zoo.sh
BENCH_SCRIPTS += sim/pki/bench/bench_pki.sh sim/pki/bench/bench_prepare.sh
DEPS_TEST += gnutls-bin faketime hyperfine openssl
