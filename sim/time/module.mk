LIB_SRCS += sim/time/simtime.c sim/time/simclock.c sim/time/sntp.c
CHECK_SRCS += sim/time/tests/check_simtime.c sim/time/tests/check_sntp.c sim/time/tests/check_sntp_net.c
FUZZ_SRCS += sim/time/fuzz/fuzz_sntp.c
# The real SNTP client that check_sntp runs against the responder (ntpdig).
DEPS_TEST += ntpsec-ntpdig
