LIB_SRCS += sim/server/http.c sim/server/server.c sim/server/conn.c sim/server/handler.c \
	sim/server/faults.c sim/server/events.c sim/server/tree.c sim/server/ddi.c \
	sim/server/pk.c
CHECK_SRCS += sim/server/tests/check_http.c sim/server/tests/check_server.c
FUZZ_SRCS += sim/server/fuzz/fuzz_http.c sim/server/fuzz/fuzz_ddi.c sim/server/fuzz/fuzz_pk.c
SCRIPT_TESTS += sim/server/tests/clients.sh sim/server/tests/chain-faults.sh \
	sim/server/tests/transfer.sh sim/server/tests/robust.sh sim/server/tests/load.sh \
	sim/server/tests/hostile.sh sim/server/tests/evidence-files.sh \
	sim/server/tests/protocols.sh sim/server/tests/pk.sh
BENCH_SCRIPTS += sim/server/bench/bench_serve.sh
# Clients and tools the script tests drive.
DEPS_TEST += wget jq socat xxd python3
# The private-key operations of a handshake (ECDHE, the server key's
# signature) run on libcrypto: Debian's BearSSL has only its portable code for
# them, several times slower (pk.c).
LDLIBS += -lcrypto
DEPS_BUILD += libssl-dev
DEPS_RUN += libssl3
DEPS_REPORT += libssl3
