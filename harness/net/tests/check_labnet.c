/* Unit tests of the lab network's phase options (harness/net/options.c) and
 * of the parsers of what a lab capture holds (harness/capture/dhcp.c, dns.c,
 * ntp.c), on crafted messages. */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "capture/lab.h"
#include "net/labnet.h"

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
	ck_assert_int_eq(labnet_option(&ph, "dns-slow=3", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not yet"));
	ck_assert_int_eq(labnet_option(&ph, "nxdomainx", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown lab option"));
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

int
main(void)
{
	Suite *s = suite_create("labnet");
	TCase *tc = tcase_create("all");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, options_table);
	tcase_add_test(tc, dhcp_lease);
	tcase_add_test(tc, dns_answer);
	tcase_add_test(tc, ntp_time);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
