CMD_SRCS += harness/main.c
SCRIPT_TESTS += harness/tests/cli.sh
