LIB_SRCS += harness/verdict/verdict.c harness/verdict/refcheck.c
