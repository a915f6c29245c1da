LIB_SRCS += harness/version.c
CMD_SRCS += harness/main.c
SCRIPT_TESTS += harness/tests/cli.sh
SCRIPT_TESTS += harness/tests/make.sh
