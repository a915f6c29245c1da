/*
 * Unit tests of the verdict's use of the lab network's evidence
 * (harness/verdict/lab.c): lab.json and the sink's log read, the DNS, NTP and
 * DHCP messages of a capture counted, the words of the network's story, and
 * the update flows filtered by the server's address as well as its port.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "verdict/lab.h"
#include "verdict/verdict.h"

static const char lab_json[] =
	"{\"server_addr\":\"10.77.0.1\",\"server_port\":443,\"host\":\"api.example.com\","
	"\"dns_answer\":\"10.77.0.1\",\"dns_delay_s\":0,\"dhcp_ntp_option\":true,"
	"\"ntp\":\"answers\",\"ntp_date\":\"2024-07-01T00:00:00Z\",\"options\":[]}\n";

static const char sink_log[] =
	"{\"time\":\"x\",\"proto\":\"udp\",\"src\":\"10.77.0.80:1000\",\"dst\":\"8.8.8.8:53\","
	"\"bytes\":30,\"first\":\"\"}\n"
	"{\"time\":\"x\",\"proto\":\"udp\",\"src\":\"10.77.0.80:1001\",\"dst\":\"8.8.8.8:53\","
	"\"bytes\":30,\"first\":\"\"}\n"
	"not json\n"
	"{\"time\":\"x\",\"proto\":\"tcp\",\"src\":\"10.77.0.80:4000\",\"dst\":\"1.1.1.1:443\","
	"\"bytes\":0,\"first\":\"\"}\n";

static cap_lab_msg
msg(cap_lab_kind kind, const char *src, const char *dst, cap_time ts)
{
	cap_lab_msg m;

	memset(&m, 0, sizeof m);
	m.kind = kind;
	m.ok = 1;
	m.ts = ts;
	m.src = inet_addr(src);
	m.dst = inet_addr(dst);
	return m;
}

static cap_lab_msg
dns(int response, int rcode, const char *name, const char *addr, cap_time ts)
{
	cap_lab_msg m = response ? msg(CAP_LAB_DNS, "10.77.0.1", "10.77.0.80", ts)
		: msg(CAP_LAB_DNS, "10.77.0.80", "10.77.0.1", ts);

	m.u.dns.id = 7;
	m.u.dns.response = response;
	m.u.dns.rcode = rcode;
	snprintf(m.u.dns.qname, sizeof m.u.dns.qname, "%s", name);
	if (addr != NULL) {
		m.u.dns.n_addr = 1;
		m.u.dns.addr_family[0] = 4;
		inet_pton(AF_INET, addr, m.u.dns.addr[0]);
	}
	return m;
}

static cap_lab_msg
ntp(int mode, const char *kiss, int64_t t, const char *dst)
{
	cap_lab_msg m = mode == 3 ? msg(CAP_LAB_NTP, "10.77.0.80", dst, 0)
		: msg(CAP_LAB_NTP, dst, "10.77.0.80", 0);

	m.u.ntp.mode = mode;
	m.u.ntp.version = 4;
	if (kiss != NULL)
		snprintf(m.u.ntp.kiss, sizeof m.u.ntp.kiss, "%s", kiss);
	m.u.ntp.transmit = t;
	return m;
}

static void
story(const verdict_lab *lab, int64_t date, const char *clock, char *out, size_t len)
{
	buf_t b = {0};

	verdict_lab_story(lab, date, clock, &b);
	snprintf(out, len, "%s", b.len ? buf_cstr(&b) : "");
	buf_free(&b);
}

START_TEST(lab_json_and_sink)
{
	verdict_lab lab;
	char s[512];

	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json), sink_log, strlen(sink_log));
	ck_assert_int_eq(lab.present, 1);
	ck_assert_ptr_null(lab.problem);
	ck_assert_str_eq(lab.server_addr, "10.77.0.1");
	ck_assert_uint_eq(lab.server_ip, inet_addr("10.77.0.1"));
	ck_assert_int_eq(lab.server_port, 443);
	ck_assert_str_eq(lab.host, "api.example.com");
	ck_assert_uint_eq(lab.nsink, 3);
	ck_assert_uint_eq(lab.nsink_distinct, 2);
	story(&lab, 0, NULL, s, sizeof s);
	ck_assert_str_eq(s, "no DHCP lease; tried 8.8.8.8:53/udp, 1.1.1.1:443/tcp (sink, "
		"repeated)");
	verdict_lab_free(&lab);

	/* A broken lab.json is said, never taken as no lab. */
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, "{\"server_port\":", 15, NULL, 0);
	ck_assert_int_eq(lab.present, 1);
	ck_assert_ptr_nonnull(lab.problem);
	verdict_lab_free(&lab);
}
END_TEST

START_TEST(lab_dns_story)
{
	verdict_lab lab;
	cap_lab_report rep;
	cap_lab_msg m[4];
	char s[512];

	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json), NULL, 0);
	memset(&rep, 0, sizeof rep);
	m[0] = msg(CAP_LAB_DHCP, "10.77.0.1", "10.77.0.80", 0);
	m[0].u.dhcp.op = 2;
	m[0].u.dhcp.type = 5;
	/* The answer for another name does not count; this one came 3.5 s late
	 * and named the old address. */
	m[1] = dns(0, 0, "api.example.com", NULL, 1000000);
	m[2] = dns(1, 0, "other.example.com", "10.77.0.9", 1100000);
	m[3] = dns(1, 0, "API.example.com", "10.77.0.2", 4500000);
	rep.msgs = m;
	rep.n = 4;
	verdict_lab_add_capture(&lab, &rep);
	ck_assert_int_eq(lab.dhcp_acks, 1);
	ck_assert_int_eq(lab.dns_questions, 1);
	ck_assert_int_eq(lab.dns_answers, 1);
	ck_assert_int_eq(lab.dns_delay_ms, 3500);
	story(&lab, 0, NULL, s, sizeof s);
	ck_assert_str_eq(s, "resolved api.example.com, got 10.77.0.2 (the update server is "
		"10.77.0.1) after 3.5 s");

	/* NXDOMAIN. */
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json), NULL, 0);
	m[3] = dns(1, 3, "api.example.com", NULL, 1200000);
	verdict_lab_add_capture(&lab, &rep);
	story(&lab, 0, NULL, s, sizeof s);
	ck_assert_str_eq(s, "DNS NXDOMAIN for api.example.com");

	/* A question, no answer. */
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json), NULL, 0);
	rep.n = 2;
	verdict_lab_add_capture(&lab, &rep);
	story(&lab, 0, NULL, s, sizeof s);
	ck_assert_str_eq(s, "no DNS answer for api.example.com (1 question(s))");
}
END_TEST

START_TEST(lab_ntp_story)
{
	verdict_lab lab;
	cap_lab_report rep;
	cap_lab_msg m[3];
	char s[512];
	const int64_t july = 1719792000;	/* 2024-07-01 */

	memset(&rep, 0, sizeof rep);
	m[0] = msg(CAP_LAB_DHCP, "10.77.0.1", "10.77.0.80", 0);
	m[0].u.dhcp.op = 2;
	m[0].u.dhcp.type = 5;
	rep.msgs = m;

	/* A kiss, and the device's clock from its console. */
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json), NULL, 0);
	m[1] = ntp(3, NULL, 0, "10.77.0.1");
	m[2] = ntp(4, "RATE", 0, "10.77.0.1");
	rep.n = 3;
	verdict_lab_add_capture(&lab, &rep);
	story(&lab, july, "2024-01-15T00:00:02Z (build-date)", s, sizeof s);
	ck_assert_str_eq(s, "NTP kiss-of-death RATE from 10.77.0.1: clock at "
		"2024-01-15T00:00:02Z (build-date)");

	/* A public server the sink swallowed. */
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json),
		"{\"proto\":\"udp\",\"dst\":\"162.159.200.1:123\"}\n", 43);
	m[1] = ntp(3, NULL, 0, "162.159.200.1");
	rep.n = 2;
	verdict_lab_add_capture(&lab, &rep);
	story(&lab, july, "1970-01-01T00:00:05Z (build-date)", s, sizeof s);
	ck_assert_str_eq(s, "no NTP answer from 162.159.200.1 (1 request(s)): clock at "
		"1970-01-01T00:00:05Z (build-date); tried 162.159.200.1:123/udp (sink)");

	/* A date years off the phase's. */
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json), NULL, 0);
	m[1] = ntp(3, NULL, 0, "10.77.0.1");
	m[2] = ntp(4, NULL, 1924992000, "10.77.0.1");	/* 2031-01-01 */
	rep.n = 3;
	verdict_lab_add_capture(&lab, &rep);
	story(&lab, july, NULL, s, sizeof s);
	ck_assert_str_eq(s, "NTP served 2031-01-01T00:00:00Z, not the phase's date");
}
END_TEST

/* The sink completes TCP handshakes for any address: a ClientHello to
 * 1.1.1.1:443 is not one to the update server at 10.77.0.1:443. */
START_TEST(lab_flows_by_address)
{
	evidence ev;
	ev_capture cap;
	cap_flow f;
	verdict_lab lab;
	verdict_result r;

	memset(&ev, 0, sizeof ev);
	memset(&cap, 0, sizeof cap);
	memset(&f, 0, sizeof f);
	ev.plan.scenario = "s";
	ev.plan.device = "root-x1";
	ev.plan.target = "qemu-x86_64-lab";
	ev.plan.phase = "p";
	ev.plan.date = "2024-07-01T00:00:00Z";
	ev.plan.power_on = 1;
	ev.plan.expected = OUT_UNREACHABLE;
	ev.plan.server_port = 443;
	ev.plan.offered_version = 2;
	ev.plan.version_before = 1;
	ev.have_run = 1;
	ev.have_events = 1;
	f.family = 4;
	inet_pton(AF_INET, "10.77.0.80", f.addr[CAP_C2S]);
	inet_pton(AF_INET, "1.1.1.1", f.addr[CAP_S2C]);
	f.port[CAP_C2S] = 40000;
	f.port[CAP_S2C] = 443;
	f.tls.client_hello.seen = 1;
	cap.name = "capture.pcap";
	cap.ok = 1;
	cap.rep.flows = &f;
	cap.rep.n_flows = 1;
	ev.caps = &cap;
	ev.ncaps = 1;

	/* By port alone the flow would count: a ClientHello, no handshake. */
	verdict_decide(&ev, &r);
	ck_assert_str_eq(scn_outcome_name(r.observed), "rejected");

	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, lab_json, strlen(lab_json),
		"{\"proto\":\"tcp\",\"dst\":\"1.1.1.1:443\"}\n", 37);
	verdict_decide_lab(&ev, &lab, &r);
	ck_assert_str_eq(scn_outcome_name(r.observed), "unreachable");
	ck_assert(r.pass);
	ck_assert_ptr_nonnull(strstr(r.reason, "; network: no DHCP lease; tried "
		"1.1.1.1:443/tcp (sink)"));

	/* The same flow to the server's own address counts again. */
	inet_pton(AF_INET, "10.77.0.1", f.addr[CAP_S2C]);
	verdict_decide_lab(&ev, &lab, &r);
	ck_assert_str_eq(scn_outcome_name(r.observed), "rejected");
	verdict_lab_free(&lab);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("verdict_lab");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, lab_json_and_sink);
	tcase_add_test(tc, lab_dns_story);
	tcase_add_test(tc, lab_ntp_story);
	tcase_add_test(tc, lab_flows_by_address);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
