/*
 * Unit tests of the simulated clock (sim/time/simclock.c) and the SNTP codec
 * (sim/time/sntp.c). The responder and client over the network are in
 * check_sntp_net.c.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "common/util.h"
#include "time/simclock.h"
#include "time/simtime.h"
#include "time/sntp.h"
#include "time/tests/sntp_test.h"

/* ---- The simulated clock ---- */

START_TEST(test_clock_advances)
{
	simclock c;
	simclock_time t;

	simclock_set_at(&c, at(JULY_2024, 0), 5 * NS);
	t = simclock_now_at(&c, 5 * NS);
	ck_assert_int_eq(t.sec, JULY_2024);
	ck_assert_uint_eq(t.nsec, 0);
	t = simclock_now_at(&c, 5 * NS + 2500000000LL);
	ck_assert_int_eq(t.sec, JULY_2024 + 2);
	ck_assert_uint_eq(t.nsec, 500000000);
	/* A reading before the anchor gives the anchor time. */
	t = simclock_now_at(&c, 0);
	ck_assert_int_eq(t.sec, JULY_2024);
	/* Ten years of real time. */
	t = simclock_now_at(&c, 5 * NS + 315360000LL * NS);
	ck_assert_int_eq(t.sec, JULY_2024 + 315360000LL);

	/* The real clock: set now, read now, within a second of the date. */
	simclock_set(&c, JULY_2024);
	ck_assert_int_ge(simclock_seconds(&c), JULY_2024);
	ck_assert_int_le(simclock_seconds(&c), JULY_2024 + 1);
}
END_TEST

START_TEST(test_clock_drift_and_step)
{
	simclock c;
	simclock_time t;

	simclock_set_at(&c, at(JULY_2024, 0), 0);
	/* 1000 ppm fast: 1000 real seconds read 1001. */
	ck_assert_int_eq(simclock_set_drift_at(&c, 1000, 0), 0);
	t = simclock_now_at(&c, 1000 * NS);
	ck_assert_int_eq(t.sec, JULY_2024 + 1001);
	ck_assert_uint_eq(t.nsec, 0);
	/* Changing the rate keeps the reading continuous. */
	ck_assert_int_eq(simclock_set_drift_at(&c, -500000, 1000 * NS), 0);
	t = simclock_now_at(&c, 1000 * NS);
	ck_assert_int_eq(t.sec, JULY_2024 + 1001);
	t = simclock_now_at(&c, 1010 * NS);
	ck_assert_int_eq(t.sec, JULY_2024 + 1006);
	/* A stopped clock. */
	ck_assert_int_eq(simclock_set_drift_at(&c, SIMCLOCK_DRIFT_MIN, 1010 * NS), 0);
	t = simclock_now_at(&c, 99999 * NS);
	ck_assert_int_eq(t.sec, JULY_2024 + 1006);
	/* Out of bounds: refused, clock unchanged. */
	ck_assert_int_eq(simclock_set_drift_at(&c, SIMCLOCK_DRIFT_MAX + 1, 0), -1);
	ck_assert_int_eq(simclock_set_drift_at(&c, SIMCLOCK_DRIFT_MIN - 1, 0), -1);
	ck_assert_int_eq(c.drift_ppm, SIMCLOCK_DRIFT_MIN);
	/* A device five years behind. */
	simclock_step(&c, -5 * 365 * 86400LL);
	t = simclock_now_at(&c, 99999 * NS);
	ck_assert_int_eq(t.sec, JULY_2024 + 1006 - 5 * 365 * 86400LL);
	/* Long runs at the largest drift do not overflow (UBSan watches). */
	simclock_set_at(&c, at(0, 999999999), 0);
	ck_assert_int_eq(simclock_set_drift_at(&c, SIMCLOCK_DRIFT_MAX, 0), 0);
	t = simclock_now_at(&c, 100LL * 365 * 86400 * NS);
	ck_assert_int_eq(t.sec, 2LL * 100 * 365 * 86400);
	ck_assert_uint_eq(t.nsec, 999999999);
}
END_TEST

/* ---- Timestamps ---- */

START_TEST(test_ts_known_values)
{
	uint64_t ts;

	ck_assert_int_eq(sntp_ts_from_unix(at(0, 0), &ts), SNTP_OK);
	ck_assert_uint_eq(ts, 0x83aa7e8000000000ULL);
	ck_assert_int_eq(sntp_ts_from_unix(at(JULY_2024, 500000000), &ts), SNTP_OK);
	ck_assert_uint_eq(ts, 0xea2c700080000000ULL);
	/* The last second of era 0 and the first of era 1. */
	ck_assert_int_eq(sntp_ts_from_unix(at(date("2036-02-07T06:28:15Z"), 0), &ts), SNTP_OK);
	ck_assert_uint_eq(ts, 0xffffffff00000000ULL);
	ck_assert_int_eq(sntp_ts_from_unix(at(date("2036-02-07T06:28:17Z"), 0), &ts), SNTP_OK);
	ck_assert_uint_eq(ts, 0x0000000100000000ULL);
	/* The instant that would be the "unset" zero goes out one unit late. */
	ck_assert_int_eq(sntp_ts_from_unix(at(date("2036-02-07T06:28:16Z"), 0), &ts), SNTP_OK);
	ck_assert_uint_eq(ts, 1);
	ck_assert_int_eq(sntp_ts_to_unix(1).sec, date("2036-02-07T06:28:16Z"));
	ck_assert_uint_eq(sntp_ts_to_unix(1).nsec, 0);
	/* Every 32-bit seconds value maps into the documented range. */
	ck_assert_int_eq(sntp_ts_to_unix(0x8000000000000000ULL).sec, SNTP_UNIX_MIN);
	ck_assert_int_eq(sntp_ts_to_unix(0x7fffffffffffffffULL).sec, SNTP_UNIX_MAX);
	ck_assert_uint_eq(sntp_ts_to_unix(0x7fffffffffffffffULL).nsec, 999999999);
	ck_assert_int_eq(SNTP_UNIX_MIN, date("1968-01-20T03:14:08Z"));
	ck_assert_int_eq(SNTP_UNIX_MAX, date("2104-02-26T09:42:23Z"));
}
END_TEST

START_TEST(test_ts_roundtrip)
{
	static const char *dates[] = { "1970-01-01", "2024-07-01", "2036-02-07T06:28:15Z",
		"2036-02-07T06:28:16Z", "2036-02-07T06:28:17Z", "2038-01-19T03:14:08Z",
		"2050-01-01", "2100-01-01", "2104-02-26T09:42:23Z", "1968-01-20T03:14:08Z" };
	static const uint32_t nsecs[] = { 0, 1, 2, 232, 233, 500000000, 123456789,
		999999999 };
	size_t i, j;
	uint64_t ts;
	char s[32];

	for (i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		int64_t t = date(dates[i]);
		for (j = 0; j < sizeof nsecs / sizeof nsecs[0]; j++) {
			simclock_time back;
			ck_assert_int_eq(sntp_ts_from_unix(at(t, nsecs[j]), &ts), SNTP_OK);
			back = sntp_ts_to_unix(ts);
			ck_assert_msg(back.sec == t && back.nsec == nsecs[j],
				"%s + %u ns came back as %s + %u ns (ts %016llx)", dates[i],
				nsecs[j], simtime_format(s, sizeof s, back.sec), back.nsec,
				(unsigned long long)ts);
		}
	}
	/* Every day of the range, at a second that is not midnight. */
	for (int64_t t = SNTP_UNIX_MIN; t <= SNTP_UNIX_MAX; t += 86400 + 7) {
		ck_assert_int_eq(sntp_ts_from_unix(at(t, 0), &ts), SNTP_OK);
		ck_assert_int_eq(sntp_ts_to_unix(ts).sec, t);
	}
	/* Outside the range: refused, never wrapped. */
	ts = 42;
	ck_assert_int_eq(sntp_ts_from_unix(at(SNTP_UNIX_MIN - 1, 0), &ts), SNTP_ERR_RANGE);
	ck_assert_int_eq(sntp_ts_from_unix(at(SNTP_UNIX_MAX + 1, 0), &ts), SNTP_ERR_RANGE);
	ck_assert_int_eq(sntp_ts_from_unix(at(0, 1000000000), &ts), SNTP_ERR_RANGE);
	ck_assert_int_eq(sntp_ts_from_unix(at(INT64_MIN, 0), &ts), SNTP_ERR_RANGE);
	ck_assert_int_eq(sntp_ts_from_unix(at(INT64_MAX, 0), &ts), SNTP_ERR_RANGE);
	ck_assert_uint_eq(ts, 42);
}
END_TEST

/* ---- Packets ---- */

START_TEST(test_reply_golden)
{
	/* A reply whose bytes were worked out by hand from RFC 5905 figure 8. */
	static const char *want =
		"240106ec" "00000000" "00000042" "524f5453"
		"ea2c6fff00000000" "0123456789abcdef" "ea2c700080000000" "ea2c700100000000";
	unsigned char req[SNTP_PACKET_LEN], rep[SNTP_PACKET_LEN];
	char hex[2 * SNTP_PACKET_LEN + 1];
	sntp_packet p;

	sntp_build_request(req, 0x0123456789abcdefULL);
	req[2] = 6;	/* poll: copied into the reply */
	ck_assert_int_eq(sntp_parse_request(&p, req, sizeof req), SNTP_OK);
	ck_assert_uint_eq(p.mode, SNTP_MODE_CLIENT);
	ck_assert_uint_eq(p.version, 4);
	ck_assert_int_eq(p.poll, 6);
	sntp_build_reply(rep, &p, 0xea2c700080000000ULL, 0xea2c700100000000ULL);
	ck_assert_str_eq(util_hex(hex, rep, sizeof rep), want);
	ck_assert_int_eq(sntp_parse_reply(&p, rep, sizeof rep, 0x0123456789abcdefULL), SNTP_OK);
	ck_assert_int_eq(sntp_ts_to_unix(p.xmit_ts).sec, JULY_2024 + 1);
	ck_assert_int_eq(p.precision, -20);
	ck_assert_mem_eq(p.ref_id, "ROTS", 4);
}
END_TEST

/* A kiss-o'-death (RFC 5905 7.4) by hand: leap 3, v4, mode 4 (0xe4),
 * stratum 0, the request's poll, precision -20, code "RATE", originate = the
 * request's transmit, and no time at all. A client takes no time from it. */
START_TEST(test_kiss_golden)
{
	static const char *want =
		"e40006ec" "00000000" "00000000" "52415445"
		"0000000000000000" "0123456789abcdef" "0000000000000000" "0000000000000000";
	unsigned char req[SNTP_PACKET_LEN], rep[SNTP_PACKET_LEN];
	char hex[2 * SNTP_PACKET_LEN + 1];
	sntp_packet p;

	sntp_build_request(req, 0x0123456789abcdefULL);
	req[2] = 6;
	ck_assert_int_eq(sntp_parse_request(&p, req, sizeof req), SNTP_OK);
	sntp_build_kiss(rep, &p, "RATE");
	ck_assert_str_eq(util_hex(hex, rep, sizeof rep), want);
	ck_assert_int_eq(sntp_parse_reply(&p, rep, sizeof rep, 0x0123456789abcdefULL),
		SNTP_ERR_KISS);
	ck_assert_mem_eq(p.ref_id, "RATE", 4);
	/* Someone else's kiss says nothing about our server. */
	ck_assert_int_eq(sntp_parse_reply(&p, rep, sizeof rep, 1), SNTP_ERR_ORIGIN);
}
END_TEST

START_TEST(test_codec_roundtrip_dates)
{
	static const char *dates[] = { "1970-01-01", "2024-07-01", "2036-02-07T06:28:15Z",
		"2036-02-07T06:28:16Z", "2050-01-01", "2100-01-01" };
	size_t i;

	for (i = 0; i < sizeof dates / sizeof dates[0]; i++) {
		int64_t t = date(dates[i]);
		unsigned char req[SNTP_PACKET_LEN], rep[SNTP_PACKET_LEN];
		uint64_t cx, recv, xmit;
		sntp_packet q, r;
		simclock_time got;

		/* The client's clock is years off: it does not matter. */
		ck_assert_int_eq(sntp_ts_from_unix(at(date("2026-11-27"), 17), &cx), SNTP_OK);
		sntp_build_request(req, cx);
		ck_assert_int_eq(sntp_parse_request(&q, req, sizeof req), SNTP_OK);
		ck_assert_uint_eq(q.xmit_ts, cx);
		ck_assert_int_eq(sntp_ts_from_unix(at(t, 250000000), &recv), SNTP_OK);
		ck_assert_int_eq(sntp_ts_from_unix(at(t, 250100000), &xmit), SNTP_OK);
		sntp_build_reply(rep, &q, recv, xmit);
		ck_assert_int_eq(sntp_parse_reply(&r, rep, sizeof rep, cx), SNTP_OK);
		got = sntp_ts_to_unix(r.xmit_ts);
		ck_assert_msg(got.sec == t && got.nsec == 250100000, "%s: got %lld.%09u",
			dates[i], (long long)got.sec, got.nsec);
		got = sntp_ts_to_unix(r.recv_ts);
		ck_assert_int_eq(got.sec, t);
		/* The reference time is a second before the receive time, across
		 * the era boundary too. */
		ck_assert_int_eq(sntp_ts_to_unix(r.ref_ts).sec, t - 1);
		ck_assert_uint_eq(r.orig_ts, cx);
		ck_assert_uint_eq(r.stratum, 1);
		ck_assert_uint_eq(r.leap, 0);
	}
}
END_TEST

/* A valid reply to a request with transmit 0x1111..., to be damaged. */
static void
good_reply(unsigned char rep[SNTP_PACKET_LEN])
{
	sntp_packet q;
	unsigned char req[SNTP_PACKET_LEN];

	sntp_build_request(req, 0x1111111122222222ULL);
	ck_assert_int_eq(sntp_parse_request(&q, req, sizeof req), SNTP_OK);
	sntp_build_reply(rep, &q, 0xea2c700080000000ULL, 0xea2c700080000100ULL);
}

START_TEST(test_garbage_rejected)
{
	unsigned char b[SNTP_PACKET_LEN + 16], g[SNTP_PACKET_LEN];
	sntp_packet p;
	const uint64_t x = 0x1111111122222222ULL;

	/* Requests. */
	memset(b, 0, sizeof b);
	sntp_build_request(b, x);
	ck_assert_int_eq(sntp_parse_request(&p, b, 0), SNTP_ERR_SHORT);
	ck_assert_int_eq(sntp_parse_request(&p, b, 47), SNTP_ERR_SHORT);
	ck_assert_int_eq(sntp_parse_request(&p, b, sizeof b), SNTP_OK);	/* extension fields */
	b[0] = 0x03;	/* version 0 */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_VERSION);
	b[0] = 0x2b;	/* version 5 */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_VERSION);
	b[0] = 0x0b;	/* version 1, client: accepted */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_OK);
	b[0] = 0x26;	/* mode 6, control (ntpq) */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_MODE);
	b[0] = 0x27;	/* mode 7, private (monlist) */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_MODE);
	b[0] = 0x21;	/* mode 1, symmetric active */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_MODE);
	b[0] = 0x24;	/* a server reply sent to the server */
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_MODE);
	sntp_build_request(b, 0);
	ck_assert_int_eq(sntp_parse_request(&p, b, 48), SNTP_ERR_NO_XMIT);

	/* Replies. */
	good_reply(g);
	ck_assert_int_eq(sntp_parse_reply(&p, g, 48, x), SNTP_OK);
	ck_assert_int_eq(sntp_parse_reply(&p, g, 47, x), SNTP_ERR_SHORT);
	ck_assert_int_eq(sntp_parse_reply(&p, g, 48, x + 1), SNTP_ERR_ORIGIN);
	ck_assert_int_eq(sntp_parse_reply(&p, g, 48, 0), SNTP_ERR_ORIGIN);
	memcpy(b, g, 48); b[0] = 0x23;	/* mode 3 */
	ck_assert_int_eq(sntp_parse_reply(&p, b, 48, x), SNTP_ERR_MODE);
	memcpy(b, g, 48); b[0] = 0x3c;	/* version 7 */
	ck_assert_int_eq(sntp_parse_reply(&p, b, 48, x), SNTP_ERR_VERSION);
	memcpy(b, g, 48); b[0] = 0xe4;	/* leap 3: unsynchronised */
	ck_assert_int_eq(sntp_parse_reply(&p, b, 48, x), SNTP_ERR_UNSYNC);
	memcpy(b, g, 48); b[1] = 16;
	ck_assert_int_eq(sntp_parse_reply(&p, b, 48, x), SNTP_ERR_STRATUM);
	memcpy(b, g, 48); b[1] = 0; memcpy(b + 12, "RATE", 4);
	ck_assert_int_eq(sntp_parse_reply(&p, b, 48, x), SNTP_ERR_KISS);
	ck_assert_mem_eq(p.ref_id, "RATE", 4);
	memcpy(b, g, 48); memset(b + 40, 0, 8);
	ck_assert_int_eq(sntp_parse_reply(&p, b, 48, x), SNTP_ERR_NO_XMIT);

	/* Names and meanings exist for every status, and out of range. */
	for (int st = 0; st < SNTP_STATUS_COUNT; st++) {
		ck_assert_ptr_nonnull(sntp_status_name(st));
		ck_assert_str_ne(sntp_status_text(st), "unknown");
	}
	ck_assert_str_eq(sntp_status_name(-1), "unknown");
	ck_assert_str_eq(sntp_status_name(SNTP_STATUS_COUNT), "unknown");
	ck_assert_str_eq(sntp_status_name(SNTP_ERR_ORIGIN), "origin");
}
END_TEST

START_TEST(test_random_bytes)
{
	/* Random packets: each verdict is consistent with the bytes. */
	unsigned char b[64];
	uint32_t seed = 12345;
	sntp_packet p;
	int i, ok = 0;
	size_t k, len;

	for (i = 0; i < 200000; i++) {
		for (k = 0; k < sizeof b; k++) {
			seed = seed * 1103515245u + 12345u;
			b[k] = (unsigned char)(seed >> 16);
		}
		if (i & 1)
			b[0] = (unsigned char)((b[0] & 0xf8) | SNTP_MODE_CLIENT);
		len = (size_t)(seed >> 8) % (sizeof b + 1);
		int st = sntp_parse_request(&p, b, len);
		ck_assert_int_ge(st, SNTP_OK);
		ck_assert_int_lt(st, SNTP_STATUS_COUNT);
		if (st == SNTP_OK) {
			ok++;
			ck_assert_uint_ge(len, 48);
			ck_assert_uint_eq(p.mode, SNTP_MODE_CLIENT);
			ck_assert(p.version >= 1 && p.version <= 4);
			ck_assert_uint_ne(p.xmit_ts, 0);
		}
		st = sntp_parse_reply(&p, b, len, 0x1122334455667788ULL);
		ck_assert_int_ne(st, SNTP_OK);	/* a random origin never matches */
	}
	ck_assert_int_gt(ok, 1000);
}
END_TEST

/* ---- The responder, in process ---- */
static Suite *
sntp_suite(void)
{
	Suite *s = suite_create("sntp");
	TCase *tc = tcase_create("codec");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_clock_advances);
	tcase_add_test(tc, test_clock_drift_and_step);
	tcase_add_test(tc, test_ts_known_values);
	tcase_add_test(tc, test_ts_roundtrip);
	tcase_add_test(tc, test_reply_golden);
	tcase_add_test(tc, test_kiss_golden);
	tcase_add_test(tc, test_codec_roundtrip_dates);
	tcase_add_test(tc, test_garbage_rejected);
	tcase_add_test(tc, test_random_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sntp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
