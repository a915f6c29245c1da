LIB_SRCS += harness/run/proc.c harness/run/cpio.c harness/run/scheduler.c harness/run/prepare.c harness/run/phase.c harness/run/record.c harness/run/results.c \
	harness/run/outdir.c harness/run/warm.c
CMD_SRCS += harness/run/verb_run.c
VERBS += run verdict
CHECK_SRCS += harness/run/tests/check_proc.c
SCRIPT_TESTS += harness/run/tests/run_native.sh harness/run/tests/run_paths.sh \
	harness/run/tests/run_stacks.sh harness/run/tests/run_stacks_qemu.sh
SCRIPT_TESTS += harness/run/tests/run_qemu.sh harness/run/tests/run_interrupt.sh \
	harness/run/tests/run_hung.sh harness/run/tests/run_interrupt_prep.sh
