# targets: target descriptions and their drivers (qemu, native), one file
# per driver behind harness/target/target.h.
LIB_SRCS += harness/target/target.c harness/target/qmp.c harness/target/qemu.c \
	harness/target/native.c
