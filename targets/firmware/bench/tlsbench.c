/*
 * fw-tlsbench-STACK: full TLS handshakes of the agent's TLS layer (tls.h,
 * through net.c, exactly as the agent connects) against one server, for
 * make bench. Each round is a new TCP connection and a full handshake with
 * validation against the anchors at the given time, then close_notify.
 *
 * usage: fw-tlsbench-STACK --connect ADDR:PORT --anchors FILE.pem --time DATE
 *                          [--count N] [--variant NAME] [--nodelay]
 * --nodelay sets TCP_NODELAY, which the agent does not: a stack that writes
 * one handshake flight in several sends then waits for the peer's delayed
 * ACK (about 40 ms on Linux), and that wait, not the stack, dominates.
 * Prints "STACK handshakes=N ms=TOTAL ms-per-handshake=X".
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "time/simtime.h"

#include "targets/firmware/net.h"
#include "targets/firmware/tls.h"

static int64_t bench_time;

static int64_t
fixed_now(void *ctx)
{
	(void)ctx;
	return bench_time;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "anchors", required_argument, NULL, 'a' },
		{ "time", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'n' },
		{ "variant", required_argument, NULL, 'v' },
		{ "nodelay", no_argument, NULL, 'D' },
		{ NULL, 0, NULL, 0 }
	};
	const char *addr = NULL, *anchors = NULL, *when = NULL, *variant = "default";
	trust_store trust = { 0 };
	net_conn c;
	char err[512], host[64];
	unsigned char *pem = NULL;
	size_t len;
	long count = 20, i, port;
	int nodelay = 0;
	double t0, t1;
	int o, ret = 1;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': addr = optarg; break;
		case 'a': anchors = optarg; break;
		case 't': when = optarg; break;
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'v': variant = optarg; break;
		case 'D': nodelay = 1; break;
		default: return 2;
		}
	}
	if (addr == NULL || anchors == NULL || when == NULL || count < 1 || count > 100000
		|| strchr(addr, ':') == NULL || (size_t)(strchr(addr, ':') - addr) >= sizeof host)
	{
		fprintf(stderr, "usage: fw-tlsbench-%s --connect ADDR:PORT --anchors FILE.pem "
			"--time DATE [--count N] [--variant NAME] [--nodelay]\n", tls_stack);
		return 2;
	}
	net_init(&c);
	c.nodelay = nodelay;
	memcpy(host, addr, (size_t)(strchr(addr, ':') - addr));
	host[strchr(addr, ':') - addr] = 0;
	port = strtol(strchr(addr, ':') + 1, NULL, 10);
	c.addr.sin_family = AF_INET;
	c.addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &c.addr.sin_addr) != 1) {
		fprintf(stderr, "fw-tlsbench: bad address \"%s\"\n", addr);
		goto out;
	}
	if (simtime_parse(when, &bench_time, err, sizeof err) != 0
		|| util_read_file(anchors, &pem, &len, err, sizeof err) != 0
		|| trust_add_pem(&trust, pem, len, err, sizeof err) <= 0)
	{
		fprintf(stderr, "fw-tlsbench: %s\n", err);
		goto out;
	}
	if ((c.tls.variant = tls_variant_find(variant)) < 0) {
		fprintf(stderr, "fw-tlsbench: %s has no variant \"%s\"\n", tls_stack, variant);
		goto out;
	}
	c.tls.server_name = "updates.rotsim.test";
	c.tls.mode = TRUST_ANCHORS;
	c.tls.trust = &trust;
	c.tls.now = fixed_now;
	t0 = now_ms();
	for (i = 0; i < count; i++) {
		if (net_connect(&c) != 0) {
			fprintf(stderr, "fw-tlsbench: handshake %ld: %s: %s %s\n", i + 1, c.msg,
				c.tls_err.name, c.tls_err.text);
			goto out;
		}
		net_close(&c);
	}
	t1 = now_ms();
	printf("%s handshakes=%ld ms=%.1f ms-per-handshake=%.3f\n", tls_stack, count, t1 - t0,
		(t1 - t0) / (double)count);
	ret = 0;
out:
	net_free(&c);
	trust_free(&trust);
	free(pem);
	return ret;
}
