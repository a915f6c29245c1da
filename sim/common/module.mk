LIB_SRCS += sim/common/util.c sim/common/cfg.c sim/common/json.c sim/common/tlsnames.c \
	sim/common/bundle.c sim/common/trust.c \
	sim/common/fault.c
CHECK_SRCS += sim/common/tests/check_util.c sim/common/tests/check_cfg.c \
	sim/common/tests/check_json.c sim/common/tests/check_fault.c
FUZZ_SRCS += sim/common/fuzz/fuzz_cfg.c sim/common/fuzz/fuzz_json.c sim/common/fuzz/fuzz_fault.c
