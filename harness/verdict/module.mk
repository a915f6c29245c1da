LIB_SRCS += harness/verdict/verdict.c harness/verdict/refcheck.c harness/verdict/lab.c harness/verdict/proto.c
CHECK_SRCS += harness/verdict/tests/check_verdict.c harness/verdict/tests/check_verdict_lab.c \
	harness/verdict/tests/check_refcheck.c harness/verdict/tests/check_verdict_proto.c
FUZZ_SRCS += harness/verdict/fuzz/fuzz_verdict_lab.c harness/verdict/fuzz/fuzz_refcheck.c \
	harness/verdict/fuzz/fuzz_verdict_proto.c
