LIB_SRCS += sim/pki/der.c sim/pki/dn.c sim/pki/key.c sim/pki/pki.c sim/pki/build.c
CHECK_SRCS += sim/pki/tests/check_der.c sim/pki/tests/check_pki.c
SCRIPT_TESTS += sim/pki/tests/pki_cli.sh
FUZZ_SRCS += sim/pki/fuzz/fuzz_pki.c sim/pki/fuzz/fuzz_der.c
-include sim/pki/tests/tests.mk
