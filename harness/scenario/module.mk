LIB_SRCS += harness/scenario/scenario.c harness/scenario/devices.c harness/scenario/stack.c
CMD_SRCS += harness/scenario/verb_scenario.c
VERBS += list show
SCRIPT_TESTS += harness/scenario/tests/scenario_cli.sh harness/scenario/tests/byo_device.sh \
	harness/scenario/tests/device_errors.sh
FUZZ_SRCS += harness/scenario/fuzz/fuzz_scenario.c harness/scenario/fuzz/fuzz_device.c
