LIB_SRCS += sim/fw/fw.c
CHECK_SRCS += sim/fw/tests/check_fw.c
FUZZ_SRCS += sim/fw/fuzz/fuzz_manifest.c
SCRIPT_TESTS += sim/fw/tests/sign.sh
DEPS_TEST += xxd
