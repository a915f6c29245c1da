# net: the lab network of a case (namespace, bridge, TAP, dnsmasq, sink).
LIB_SRCS += harness/net/labnet.c harness/net/sink.c harness/net/options.c \
	harness/net/services.c
CHECK_SRCS += harness/net/tests/check_labnet.c
SCRIPT_TESTS += harness/net/tests/labnet_sink.sh harness/net/tests/labnet_sntp.sh \
	harness/net/tests/labnet_leak.sh harness/net/tests/labnet_scenarios.sh \
	harness/net/tests/labnet_aarch64.sh harness/net/tests/labnet_faults.sh
# dnsmasq-base: DHCP and DNS of the lab network; nftables: the tproxy rule that
# hands every other connection to the sink; iproute2: bridge, TAP, routes.
DEPS_RUN += dnsmasq-base nftables iproute2
CMD_SRCS += harness/net/verb_lab.c
VERBS += lab
