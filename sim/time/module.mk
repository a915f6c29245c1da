LIB_SRCS += sim/time/simtime.c
CHECK_SRCS += sim/time/tests/check_simtime.c
