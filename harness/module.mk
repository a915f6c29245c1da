LIB_SRCS += harness/version.c harness/paths.c
CMD_SRCS += harness/main.c
SCRIPT_TESTS += harness/tests/cli.sh
SCRIPT_TESTS += harness/tests/make.sh
SCRIPT_TESTS += harness/tests/runner.sh
