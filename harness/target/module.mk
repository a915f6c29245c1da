# targets: target descriptions and their drivers (qemu, native, board), one
# file per driver behind harness/target/target.h.
LIB_SRCS += harness/target/target.c harness/target/qmp.c harness/target/snapshot.c harness/target/qemu.c \
	harness/target/native.c harness/target/board.c \
	harness/target/board_console.c
# ser2net: the board tests reach their QEMU board's serial port only through it.
DEPS_TEST += ser2net
CHECK_SRCS += harness/target/tests/check_board.c harness/target/tests/check_snapshot.c
SCRIPT_TESTS += harness/target/tests/board_qemu.sh
FUZZ_SRCS += harness/target/fuzz/fuzz_board_console.c
