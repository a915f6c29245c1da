LIB_SRCS += harness/run/proc.c
CHECK_SRCS += harness/run/tests/check_proc.c
