/* Unit tests of civil time, sim/time/simtime.c. */
#include <check.h>
#include <string.h>

#include "time/simtime.h"

START_TEST(test_known_dates)
{
	int64_t t;
	char err[128], s[32];
	ck_assert_int_eq(simtime_parse("1970-01-01", &t, err, sizeof err), 0);
	ck_assert_int_eq(t, 0);
	ck_assert_int_eq(simtime_parse("2021-09-30 14:01:15", &t, err, sizeof err), 0);
	ck_assert_int_eq(t, 1633010475);
	ck_assert_int_eq(simtime_parse("2024-09-30T18:14:03Z", &t, err, sizeof err), 0);
	ck_assert_int_eq(t, 1727720043);
	ck_assert_int_eq(simtime_parse("2050-01-01", &t, err, sizeof err), 0);
	ck_assert_int_eq(t, 2524608000LL);
	ck_assert_str_eq(simtime_format(s, sizeof s, 2524608000LL), "2050-01-01T00:00:00Z");
	ck_assert_int_eq(simtime_parse("1969-12-31 23:59:59", &t, err, sizeof err), 0);
	ck_assert_int_eq(t, -1);
	ck_assert_str_eq(simtime_format(s, sizeof s, -1), "1969-12-31T23:59:59Z");
	ck_assert_str_eq(simtime_format_http(s, sizeof s, 1719792000),
		"Mon, 01 Jul 2024 00:00:00 GMT");
}
END_TEST

START_TEST(test_roundtrip_every_day)
{
	int64_t d;
	for (d = -719000; d < 2900000; d += 7) {
		simtime_civil c;
		simtime_to_civil(d * 86400 + 3723, &c);
		ck_assert(simtime_valid(&c));
		ck_assert_int_eq(simtime_from_civil(&c), d * 86400 + 3723);
	}
}
END_TEST

START_TEST(test_bad_dates)
{
	static const char *bad[] = { "2024-02-30", "2023-02-29", "2024-13-01", "2024-00-10",
		"2024-04-31", "2024-05-01 24:00:00", "2024-05-01 12:60:00", "24-05-01",
		"2024-05-01x", "2024/05/01", "", "2024-05-01 1:00:00" };
	size_t i;
	int64_t t;
	char err[128];
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(simtime_parse(bad[i], &t, err, sizeof err) == -1,
			"accepted \"%s\"", bad[i]);
	ck_assert_int_eq(simtime_parse("2024-02-29", &t, err, sizeof err), 0);
	ck_assert_int_eq(simtime_parse("2000-02-29", &t, err, sizeof err), 0);
	ck_assert_int_eq(simtime_parse("1900-02-29", &t, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "1900-02-29"));
}
END_TEST

START_TEST(test_durations)
{
	int64_t s;
	char err[128];
	ck_assert_int_eq(simtime_parse_duration("+90d", &s, err, sizeof err), 0);
	ck_assert_int_eq(s, 90 * 86400);
	ck_assert_int_eq(simtime_parse_duration("6d", &s, err, sizeof err), 0);
	ck_assert_int_eq(s, 6 * 86400);
	ck_assert_int_eq(simtime_parse_duration("2w", &s, err, sizeof err), 0);
	ck_assert_int_eq(s, 14 * 86400);
	ck_assert_int_eq(simtime_parse_duration("90", &s, err, sizeof err), -1);
	ck_assert_int_eq(simtime_parse_duration("d", &s, err, sizeof err), -1);
	ck_assert_int_eq(simtime_parse_duration("9y", &s, err, sizeof err), -1);
	ck_assert_int_eq(simtime_parse_duration("999999999999d", &s, err, sizeof err), -1);
}
END_TEST

START_TEST(test_bearssl_days)
{
	uint32_t days, secs;
	simtime_to_bearssl(0, &days, &secs);
	ck_assert_uint_eq(days, 719528);
	ck_assert_uint_eq(secs, 0);
	simtime_to_bearssl(1719792000 + 61, &days, &secs);
	ck_assert_uint_eq(days, 719528 + 19905);
	ck_assert_uint_eq(secs, 61);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("simtime");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_known_dates);
	tcase_add_test(tc, test_roundtrip_every_day);
	tcase_add_test(tc, test_bad_dates);
	tcase_add_test(tc, test_durations);
	tcase_add_test(tc, test_bearssl_days);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
