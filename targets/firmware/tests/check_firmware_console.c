/* Unit tests of targets/firmware/console.c: the line grammar of the console
 * protocol and the error and alert names. */
#include <check.h>
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/firmware/console.h"

START_TEST(test_quote)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "", "\"\"" },
		{ "two words", "\"two words\"" },
		{ "a\"b", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"" },
		{ "k=v", "\"k=v\"" },
		{ "tab\there", "\"tab\\x09here\"" },
		{ "\xc3\xa9", "\"\\xc3\\xa9\"" },
		{ "/firmware/image-2.bin", "/firmware/image-2.bin" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = con_quote(out, sizeof out, cases[i].in);

		ck_assert_str_eq(out, cases[i].out);
		ck_assert_uint_eq(n, strlen(cases[i].out));
	}
	/* Cut output still ends with a NUL and reports the full length. */
	ck_assert_uint_eq(con_quote(out, 4, "two words"), 11);
	ck_assert_str_eq(out, "\"tw");
}
END_TEST

START_TEST(test_line)
{
	con_line l;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	con_begin(&l, "tls");
	con_str(&l, "result", "failed");
	con_str(&l, "err", con_error_name(BR_ERR_X509_NOT_TRUSTED));
	con_int(&l, "code", BR_ERR_X509_NOT_TRUSTED);
	con_uint(&l, "big", 18446744073709551615ull);
	con_fmt(&l, "cipher", "0x%04X", 0xCCA8);
	con_str(&l, "text", "a b");
	ck_assert_str_eq(con_emit(&l, f), "rotsim: tls result=failed "
		"err=BR_ERR_X509_NOT_TRUSTED code=62 big=18446744073709551615 "
		"cipher=0xCCA8 text=\"a b\"");
	fclose(f);
	/* The stream got the line and one newline. */
	ck_assert_uint_eq(len, strlen(l.text) + 1);
	ck_assert_int_eq(memcmp(buf, l.text, len - 1), 0);
	ck_assert_int_eq(buf[len - 1], '\n');
	free(buf);
}
END_TEST

START_TEST(test_truncation)
{
	con_line l;
	char v[300];
	int i;

	memset(v, 'x', sizeof v - 1);
	v[sizeof v - 1] = 0;
	con_begin(&l, "long");
	for (i = 0; i < 10; i++)
		con_str(&l, "k", v);
	con_str(&l, "after", "1");
	l.text[l.len] = 0;
	ck_assert_uint_le(l.len, CON_LINE_MAX);
	ck_assert_int_eq(l.truncated, 1);
	ck_assert_str_eq(l.text + l.len - 12, " truncated=1");
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(con_error_name(62), "BR_ERR_X509_NOT_TRUSTED");
	ck_assert_str_eq(con_error_name(54), "BR_ERR_X509_EXPIRED");
	ck_assert_str_eq(con_error_name(53), "BR_ERR_X509_TIME_UNKNOWN");
	ck_assert_str_eq(con_error_name(55), "BR_ERR_X509_DN_MISMATCH");
	ck_assert_str_eq(con_error_name(31), "BR_ERR_IO");
	ck_assert_str_eq(con_error_name(BR_ERR_RECV_FATAL_ALERT + 48), "BR_ERR_RECV_FATAL_ALERT");
	ck_assert_str_eq(con_error_name(BR_ERR_SEND_FATAL_ALERT + 42), "BR_ERR_SEND_FATAL_ALERT");
	ck_assert_ptr_null(con_error_name(11));
	ck_assert_ptr_null(con_error_name(61));
	ck_assert_str_eq(con_error_text(61), "");
	ck_assert_str_eq(con_alert_name(48), "unknown_ca");
	ck_assert_str_eq(con_alert_name(42), "bad_certificate");
	ck_assert_ptr_null(con_alert_name(1));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("firmware-console");
	TCase *tc = tcase_create("console");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_quote);
	tcase_add_test(tc, test_line);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
