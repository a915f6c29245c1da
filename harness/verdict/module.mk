LIB_SRCS += harness/verdict/verdict.c harness/verdict/refcheck.c
CHECK_SRCS += harness/verdict/tests/check_verdict.c
