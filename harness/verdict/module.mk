LIB_SRCS += harness/verdict/verdict.c harness/verdict/refcheck.c harness/verdict/lab.c
CHECK_SRCS += harness/verdict/tests/check_verdict.c harness/verdict/tests/check_verdict_lab.c
FUZZ_SRCS += harness/verdict/fuzz/fuzz_verdict_lab.c
