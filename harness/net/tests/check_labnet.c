/* Unit tests of the lab network's phase options (harness/net/options.c), of
 * the parsers of what a lab capture holds (harness/capture/dhcp.c, dns.c,
 * ntp.c), on crafted messages, and of a board's interface spliced to the lab
 * and given back. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "capture/lab.h"
#include "common/fault.h"
#include "net/labnet.h"
#include "time/simtime.h"
#include "time/sntp.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

START_TEST(options_table)
{
	labnet_phase ph;
	char err[256];

	memset(&ph, 0, sizeof ph);
	ck_assert_int_eq(labnet_option(&ph, "nxdomain", err, sizeof err), 0);
	ck_assert_int_eq(ph.nxdomain, 1);
	ck_assert_int_eq(labnet_option(&ph, "no-ntp-option", err, sizeof err), 0);
	ck_assert_int_eq(ph.no_ntp_option, 1);
	ck_assert_int_eq(labnet_option(&ph, "ntp-silent", err, sizeof err), 0);
	ck_assert_int_eq(ph.ntp_silent, 1);
	ck_assert_int_eq(labnet_option(&ph, "wrong-address=10.77.0.2", err, sizeof err), 0);
	ck_assert_str_eq(ph.wrong_address, "10.77.0.2");
	ck_assert_int_eq(labnet_option(&ph, "lease=120", err, sizeof err), 0);
	ck_assert_int_eq(ph.lease_s, 120);
	/* Refused, each with a reason. */
	ck_assert_int_eq(labnet_option(&ph, "wrong-address=api.example.com", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not an IPv4 address"));
	ck_assert_int_eq(labnet_option(&ph, "lease=5", err, sizeof err), -1);
	ck_assert_int_eq(labnet_option(&ph, "lease", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(labnet_option(&ph, "nxdomain=1", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "takes no value"));
	ck_assert_int_eq(labnet_option(&ph, "nxdomainx", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown lab option"));
}
END_TEST

/* The faults that were refused as "not yet": DNS delay, the NTP date and the
 * kiss-o'-death, with their bounds. */
START_TEST(options_new_faults)
{
	labnet_phase ph;
	char err[256];
	int64_t t;

	memset(&ph, 0, sizeof ph);
	ck_assert_int_eq(labnet_option(&ph, "dns-slow=3", err, sizeof err), 0);
	ck_assert_int_eq(ph.dns_slow_s, 3);
	ck_assert_int_eq(labnet_option(&ph, "dns-slow=0", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not in 1..60"));
	ck_assert_int_eq(labnet_option(&ph, "dns-slow=61", err, sizeof err), -1);
	ck_assert_int_eq(labnet_option(&ph, "ntp-date=2031-01-01", err, sizeof err), 0);
	ck_assert_int_eq(ph.ntp_date_set, 1);
	ck_assert_int_eq(simtime_parse("2031-01-01", &t, err, sizeof err), 0);
	ck_assert_int_eq(ph.ntp_date, t);
	ck_assert_int_eq(labnet_option(&ph, "ntp-date=2031-13-01", err, sizeof err), -1);
	ck_assert_int_eq(labnet_option(&ph, "ntp-date=2200-01-01", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "NTP can carry"));
	ck_assert_str_eq(ph.kiss, "");
	ck_assert_int_eq(labnet_option(&ph, "kiss-of-death", err, sizeof err), 0);
	ck_assert_str_eq(ph.kiss, "RATE");
	ck_assert_int_eq(labnet_option(&ph, "kiss-of-death=DENY", err, sizeof err), 0);
	ck_assert_str_eq(ph.kiss, "DENY");
	ck_assert_int_eq(labnet_option(&ph, "kiss-of-death=XXXX", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "kiss code"));
}
END_TEST

/* One fault table: the lab's options and the server's faults share it, and
 * each side refuses the other's, naming the key it belongs to. */
START_TEST(options_one_table)
{
	labnet_phase ph;
	fault f;
	char err[256];
	buf_t b = {0};

	memset(&ph, 0, sizeof ph);
	ck_assert_int_eq(labnet_option(&ph, "close-after=10", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "the phase key faults"));
	ck_assert_int_eq(fault_parse(&f, "nxdomain", FAULT_FORM_FILES, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "the phase key lab"));
	ck_assert_int_eq(fault_parse(&f, "kiss-of-death", FAULT_FORM_IDS, err, sizeof err), -1);
	ck_assert_int_eq(fault_parse(&f, "dns-slow=5", FAULT_FORM_LAB, err, sizeof err), 0);
	ck_assert_int_eq(f.kind, FAULT_DNS_SLOW);
	ck_assert_int_eq(f.stage, FAULT_ON_DNS);
	fault_clear(&f);
	/* The server's help lists no network fault; the lab's lists them all. */
	fault_help(&b);
	ck_assert_ptr_null(strstr(buf_cstr(&b), "nxdomain"));
	b.len = 0;
	fault_lab_help(&b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "kiss-of-death[=CODE]"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "dns-slow=SECONDS"));
	ck_assert_ptr_null(strstr(buf_cstr(&b), "close-after"));
	buf_free(&b);
}
END_TEST

/* The lab's SNTP responder on loopback: the date it is given, or a kiss that
 * the SNTP client (the agent's) takes as no time; each request in its log. */
START_TEST(lab_ntp_date_and_kiss)
{
	char dir[] = "/tmp/rotsim-labntp-XXXXXX", err[256], ap[64], *log;
	labnet_ntp *n;
	int port = 0;
	int64_t t = 0, want;
	unsigned char *text;
	size_t len;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	log = xasprintf("%s/ntp.jsonl", dir);
	ck_assert_int_eq(simtime_parse("2031-01-01", &want, err, sizeof err), 0);
	ck_assert_msg(labnet_ntp_start(&n, "127.0.0.1", 0, want, NULL, log, &port, err,
		sizeof err) == 0, "%s", err);
	snprintf(ap, sizeof ap, "127.0.0.1:%d", port);
	ck_assert_msg(sntp_query(ap, 5000, &t, err, sizeof err) == 0, "%s", err);
	ck_assert(t >= want && t < want + 60);
	ck_assert_int_eq(labnet_ntp_stop(n, err, sizeof err), 1);
	ck_assert_int_eq(util_read_file(log, &text, &len, err, sizeof err), 0);
	ck_assert_ptr_nonnull(memmem(text, len, "\"sent\":\"2031-01-01T", 19));
	free(text);
	/* Each run of the responder writes a new log (evidence files are created
	 * new): the kiss-of-death run gets its own. */
	free(log);
	log = xasprintf("%s/ntp-kiss.jsonl", dir);

	ck_assert_msg(labnet_ntp_start(&n, "127.0.0.1", 0, want, "DENY", log, &port, err,
		sizeof err) == 0, "%s", err);
	snprintf(ap, sizeof ap, "127.0.0.1:%d", port);
	t = 0;
	ck_assert_int_eq(sntp_query(ap, 5000, &t, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "kiss-o'-death \"DENY\""));
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(labnet_ntp_stop(n, err, sizeof err), 1);
	ck_assert_int_eq(util_read_file(log, &text, &len, err, sizeof err), 0);
	ck_assert_ptr_nonnull(memmem(text, len, "\"kiss\":\"DENY\"", 13));
	free(text);
	unlink(log);
	rmdir(dir);
	free(log);
}
END_TEST

/* The DNS relay of dns-slow: the answer comes back from upstream at once but
 * leaves no earlier than the delay after the question (a lower bound only:
 * a loaded machine makes it later, never earlier). */
START_TEST(lab_dns_relay_delays)
{
	char dir[] = "/tmp/rotsim-labdns-XXXXXX", err[256], *log;
	labnet_relay *r;
	int up, cl, port = 0;
	struct sockaddr_in sa, from;
	socklen_t sl = sizeof sa;
	unsigned char q[32] = "question", a[64];
	long long t0, t1;
	ssize_t n;
	unsigned char *text;
	size_t len;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	log = xasprintf("%s/relay.jsonl", dir);
	/* The upstream: echoes what it gets. */
	up = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(up, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(up, (struct sockaddr *)&sa, &sl), 0);
	ck_assert_msg(labnet_relay_start(&r, "127.0.0.1", 0, ntohs(sa.sin_port), 1, log, &port,
		err, sizeof err) == 0, "%s", err);
	cl = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_port = htons((uint16_t)port);
	t0 = proc_now_ms();
	ck_assert_int_eq(sendto(cl, q, 8, 0, (struct sockaddr *)&sa, sizeof sa), 8);
	sl = sizeof from;
	n = recvfrom(up, a, sizeof a, 0, (struct sockaddr *)&from, &sl);
	ck_assert_int_eq(n, 8);
	memcpy(a, "answer!!", 8);
	ck_assert_int_eq(sendto(up, a, 8, 0, (struct sockaddr *)&from, sl), 8);
	n = recv(cl, a, sizeof a, 0);
	t1 = proc_now_ms();
	ck_assert_int_eq(n, 8);
	ck_assert_int_eq(memcmp(a, "answer!!", 8), 0);
	ck_assert_msg(t1 - t0 >= 1000, "answered after %lld ms", t1 - t0);
	ck_assert_int_eq(labnet_relay_stop(r, err, sizeof err), 1);
	ck_assert_int_eq(util_read_file(log, &text, &len, err, sizeof err), 0);
	ck_assert_ptr_nonnull(memmem(text, len, "\"answered_after_ms\":", 20));
	free(text);
	close(up);
	close(cl);
	unlink(log);
	rmdir(dir);
	free(log);
}
END_TEST

/* A DHCP ACK: yiaddr 10.77.0.80, router, DNS and NTP 10.77.0.1, lease 600. */
static size_t
dhcp_ack(unsigned char *m, int with_ntp)
{
	static const unsigned char opts[] = {
		53, 1, 5, 54, 4, 10, 77, 0, 1, 51, 4, 0, 0, 2, 88,
		3, 4, 10, 77, 0, 1, 6, 4, 10, 77, 0, 1 };
	static const unsigned char ntp[] = { 42, 4, 10, 77, 0, 1 };
	size_t n = 240;

	memset(m, 0, 400);
	m[0] = 2;
	m[16] = 10; m[17] = 77; m[18] = 0; m[19] = 80;
	m[28] = 0x52; m[29] = 0x54;
	m[236] = 0x63; m[237] = 0x82; m[238] = 0x53; m[239] = 0x63;
	memcpy(m + n, opts, sizeof opts);
	n += sizeof opts;
	if (with_ntp) {
		memcpy(m + n, ntp, sizeof ntp);
		n += sizeof ntp;
	}
	m[n++] = 255;
	return n;
}

START_TEST(dhcp_lease)
{
	unsigned char m[400];
	cap_dhcp d;
	char err[128];
	size_t n = dhcp_ack(m, 1);

	ck_assert_int_eq(cap_dhcp_parse(m, n, &d, err, sizeof err), 0);
	ck_assert_int_eq(d.type, 5);
	ck_assert_uint_eq(d.yiaddr, inet_addr("10.77.0.80"));
	ck_assert_uint_eq(d.n_router, 1);
	ck_assert_uint_eq(d.n_dns, 1);
	ck_assert_uint_eq(d.n_ntp, 1);
	ck_assert_uint_eq(d.ntp[0], inet_addr("10.77.0.1"));
	ck_assert_int_eq(d.has_lease, 1);
	ck_assert_uint_eq(d.lease, 600);
	n = dhcp_ack(m, 0);
	ck_assert_int_eq(cap_dhcp_parse(m, n, &d, err, sizeof err), 0);
	ck_assert_uint_eq(d.n_ntp, 0);
	/* An option that runs past the end, a missing cookie, a short message. */
	m[n - 1] = 42;
	m[n++] = 40;
	ck_assert_int_eq(cap_dhcp_parse(m, n, &d, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "overruns"));
	m[236] = 0;
	ck_assert_int_eq(cap_dhcp_parse(m, n, &d, err, sizeof err), -1);
	ck_assert_int_eq(cap_dhcp_parse(m, 100, &d, err, sizeof err), -1);
}
END_TEST

START_TEST(dns_answer)
{
	/* id 0x1234, response, 1 question updates.rotsim.test A, 1 answer by a
	 * compression pointer to the question's name: 10.77.0.1. */
	static const unsigned char ok[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
		7, 'u', 'p', 'd', 'a', 't', 'e', 's', 6, 'r', 'o', 't', 's', 'i', 'm',
		4, 't', 'e', 's', 't', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 77, 0, 1 };
	static const unsigned char nx[] = {
		0, 1, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'c', 'o', 'm', 0, 0, 1, 0, 1 };
	/* A pointer to itself: a loop that must end. */
	static const unsigned char loop[] = {
		0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1 };
	cap_dns d;
	char err[128];

	ck_assert_int_eq(cap_dns_parse(ok, sizeof ok, &d, err, sizeof err), 0);
	ck_assert_str_eq(d.qname, "updates.rotsim.test");
	ck_assert_int_eq(d.response, 1);
	ck_assert_int_eq(d.rcode, 0);
	ck_assert_int_eq(d.n_addr, 1);
	ck_assert_int_eq(memcmp(d.addr[0], "\x0a\x4d\x00\x01", 4), 0);
	ck_assert_int_eq(cap_dns_parse(nx, sizeof nx, &d, err, sizeof err), 0);
	ck_assert_int_eq(d.rcode, 3);
	ck_assert_int_eq(cap_dns_parse(loop, sizeof loop, &d, err, sizeof err), -1);
	ck_assert_int_eq(cap_dns_parse(ok, sizeof ok - 2, &d, err, sizeof err), -1);
}
END_TEST

START_TEST(ntp_time)
{
	unsigned char p[48];
	cap_ntp n;
	char err[128];
	/* 2024-07-01T00:00:00Z is 1719792000 Unix seconds. */
	uint32_t secs = (uint32_t)(1719792000LL + 2208988800LL);

	memset(p, 0, sizeof p);
	p[0] = 0x24;	/* v4, server */
	p[1] = 1;
	p[40] = (unsigned char)(secs >> 24);
	p[41] = (unsigned char)(secs >> 16);
	p[42] = (unsigned char)(secs >> 8);
	p[43] = (unsigned char)secs;
	ck_assert_int_eq(cap_ntp_parse(p, sizeof p, &n, err, sizeof err), 0);
	ck_assert_int_eq(n.mode, 4);
	ck_assert_int_eq(n.version, 4);
	ck_assert(n.transmit == 1719792000LL);
	/* A kiss-of-death. */
	p[1] = 0;
	memcpy(p + 12, "RATE", 4);
	ck_assert_int_eq(cap_ntp_parse(p, sizeof p, &n, err, sizeof err), 0);
	ck_assert_str_eq(n.kiss, "RATE");
	ck_assert_int_eq(cap_ntp_parse(p, 47, &n, err, sizeof err), -1);
}
END_TEST

/* Does the test's "host" namespace show this (a shell test)? */
static int
host_has(const char *test)
{
	return system(test) == 0;
}

/*
 * A board's interface of the host (here a TAP in a namespace of this test's
 * own, playing the host) spliced to a case's lab network: while the case
 * runs it carries the lab's redirect and is up; labnet_close() gives it back
 * as it was (down, no redirect, no veth left), and so does the guard when the
 * case process is killed before it can.
 */
START_TEST(board_iface_given_back)
{
	char dir[] = "/tmp/check-labnet-XXXXXX";
	const char *spliced = "tc qdisc show dev rsck0 ingress | grep -q ingress"
		" && ip -o link show dev rsck0 | grep -q '[<,]UP[,>]'";
	const char *back = "! tc qdisc show dev rsck0 ingress | grep -q ingress"
		" && ! ip -o link show dev rsck0 | grep -q '[<,]UP[,>]'"
		" && ! ip -o link show type veth | grep -q rsb";

	ck_assert(mkdtemp(dir) != NULL);
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare: %s", strerror(errno));
	ck_assert(host_has("ip tuntap add dev rsck0 mode tap"));
	for (int killed = 0; killed < 2; killed++) {
		int ready[2], go[2], st, i;
		char c = 0;
		pid_t pid;

		ck_assert(pipe(ready) == 0 && pipe(go) == 0);
		pid = fork();
		ck_assert(pid >= 0);
		if (pid == 0) {
			labnet ln;
			labnet_conf lc;
			char err[512];
			memset(&lc, 0, sizeof lc);
			lc.dir = dir;
			lc.host_iface = "rsck0";
			close(ready[0]);
			close(go[1]);
			if (labnet_unshare(err, sizeof err) != 0
				|| labnet_open(&ln, &lc, err, sizeof err) != 0) {
				fprintf(stderr, "%s\n", err);
				_exit(1);
			}
			if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
				_exit(2);
			labnet_close(&ln);
			_exit(0);
		}
		close(ready[1]);
		close(go[0]);
		ck_assert_msg(read(ready[0], &c, 1) == 1, "the lab network did not open (see stderr)");
		ck_assert_msg(host_has(spliced), "not spliced");
		if (killed)
			kill(pid, SIGKILL);
		else
			ck_assert(write(go[1], "g", 1) == 1);
		waitpid(pid, &st, 0);
		ck_assert(killed ? WIFSIGNALED(st) : WIFEXITED(st) && WEXITSTATUS(st) == 0);
		/* The guard works on its own after the case died. */
		for (i = 0; i < 100 && !host_has(back); i++)
			usleep(50000);
		ck_assert_msg(host_has(back), "%s: the interface was not given back",
			killed ? "killed" : "closed");
		close(ready[0]);
		close(go[1]);
	}
	{
		char *cmd = xasprintf("grep -q 'the case is gone' %s/labnet.log && rm -rf %s", dir,
			dir);
		ck_assert_msg(host_has(cmd), "the guard's commands are not in labnet.log");
		free(cmd);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("labnet");
	TCase *tc = tcase_create("all");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, options_table);
	tcase_add_test(tc, options_new_faults);
	tcase_add_test(tc, options_one_table);
	tcase_add_test(tc, lab_ntp_date_and_kiss);
	tcase_add_test(tc, lab_dns_relay_delays);
	tcase_add_test(tc, dhcp_lease);
	tcase_add_test(tc, dns_answer);
	tcase_add_test(tc, ntp_time);
	tcase_add_test(tc, board_iface_given_back);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
