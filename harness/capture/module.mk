# capture: pcap reading, TCP reassembly, TLS parsing, live capture; rotsim inspect.
LIB_SRCS += harness/capture/reader.c harness/capture/tls.c harness/capture/names.c \
	harness/capture/lab.c harness/capture/dhcp.c harness/capture/dns.c harness/capture/ntp.c \
	harness/capture/render.c harness/capture/live.c
CMD_SRCS += harness/capture/verb_inspect.c
VERBS += inspect
LDLIBS += -lpcap -lpthread
DEPS_BUILD += libpcap-dev
DEPS_RUN += libpcap0.8
DEPS_REPORT += libpcap0.8
DEPS_TEST += tshark tcpdump jq
CHECK_SRCS += harness/capture/tests/check_capture.c
SCRIPT_TESTS += harness/capture/tests/tshark.sh harness/capture/tests/inspect.sh
FUZZ_SRCS += harness/capture/fuzz/fuzz_tls.c harness/capture/fuzz/fuzz_pcap.c \
	harness/capture/fuzz/fuzz_dhcp.c harness/capture/fuzz/fuzz_dns.c harness/capture/fuzz/fuzz_ntp.c
BENCH_SCRIPTS += harness/capture/bench/bench_capture.sh harness/capture/bench/bench_native_run.sh
