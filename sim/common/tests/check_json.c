/* Unit tests of the JSON reader and writer, sim/common/json.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static json *
parse(const char *s)
{
	char err[128];
	return json_parse(s, strlen(s), err, sizeof err);
}

START_TEST(test_values)
{
	json *j = parse(" {\"a\": [1, -2.5e3, true, false, null], \"s\": \"x\\u00fc\\ud83d\\ude00\\n\","
		" \"big\": 9007199254740993, \"o\": {}} ");
	int64_t v;
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(j->type, JSON_OBJECT);
	const json *a = json_get(j, "a");
	ck_assert_int_eq(a->type, JSON_ARRAY);
	ck_assert_int_eq(a->n, 5);
	ck_assert_int_eq(json_int(a->items[0], &v), 0);
	ck_assert_int_eq(v, 1);
	ck_assert(a->items[1]->num == -2500.0);
	ck_assert_int_eq(json_int(a->items[1], &v), -1);
	ck_assert_int_eq(a->items[2]->type, JSON_TRUE);
	ck_assert_int_eq(a->items[4]->type, JSON_NULL);
	ck_assert_str_eq(json_get_str(j, "s"), "x\xc3\xbc\xf0\x9f\x98\x80\n");
	ck_assert_int_eq(json_get_int(j, "big", &v), 0);
	ck_assert(v == 9007199254740993LL);
	ck_assert_int_eq(json_get(j, "o")->n, 0);
	ck_assert_ptr_null(json_get(j, "missing"));
	ck_assert_ptr_null(json_get_str(j, "a"));
	json_free(j);
}
END_TEST

START_TEST(test_rejects)
{
	static const char *bad[] = { "", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,}", "01", "1.",
		"-", "1e", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00x\"",
		"\"\\u0000\"", "\"\xff\"", "\"\xc3\"", "\"\xe2\x82\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"", "tru", "nul", "[1] 2", "\"a\x01\"", "{1:2}" };
	size_t i;
	char err[128];
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(json_parse(bad[i], strlen(bad[i]), err, sizeof err) == NULL,
			"accepted %s", bad[i]);
	ck_assert_ptr_nonnull(strstr(err, "offset"));
	/* Deep nesting is refused rather than overflowing the stack. */
	char deep[200];
	memset(deep, '[', sizeof deep);
	ck_assert_ptr_null(json_parse(deep, sizeof deep, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "nested too deeply"));
}
END_TEST

START_TEST(test_writer_roundtrip)
{
	static const char *s[] = { "plain", "quote\" back\\ nl\n tab\t", "\x01\x1f",
		"caf\xc3\xa9 \xf0\x9f\x98\x80", "" };
	size_t i;
	for (i = 0; i < sizeof s / sizeof s[0]; i++) {
		buf_t b = {0};
		char err[128];
		json_put_str(&b, s[i]);
		json *j = json_parse((char *)b.data, b.len, err, sizeof err);
		ck_assert_msg(j != NULL, "%s", err);
		ck_assert_str_eq(j->str, s[i]);
		json_free(j);
		buf_free(&b);
	}
	/* NULL is null. */
	buf_t b = {0};
	json_put_str(&b, NULL);
	ck_assert_str_eq(buf_cstr(&b), "null");
	buf_free(&b);
}
END_TEST

/* The one escaper: well-formed UTF-8 passes unchanged, control characters are
 * escaped, and each byte that starts no well-formed sequence is U+FFFD. */
START_TEST(test_escape)
{
	static const struct { const char *in; size_t len; const char *out; } v[] = {
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "\n\r\t\x01\x1f\x7f", 6, "\"\\n\\r\\t\\u0001\\u001f\\u007f\"" },
		{ "nul\0x", 5, "\"nul\\u0000x\"" },
		/* Valid multi-byte UTF-8, at each length and at the edges. */
		{ "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"" },
		{ "\xc2\x80\xdf\xbf", 4, "\"\xc2\x80\xdf\xbf\"" },
		{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"" },
		{ "\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf", 12,
			"\"\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf\"" },
		{ "\xf0\x9f\x94\x91", 4, "\"\xf0\x9f\x94\x91\"" },
		{ "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8, "\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"" },
		/* Bytes that never appear in UTF-8. */
		{ "\xff", 1, "\"\\ufffd\"" },
		{ "a\xfe" "b", 3, "\"a\\ufffdb\"" },
		{ "\xf5\x80\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },			/* overlong, 2 bytes */
		{ "\xc1\xbf", 2, "\"\\ufffd\\ufffd\"" },
		/* A continuation byte alone. */
		{ "\x80", 1, "\"\\ufffd\"" },
		{ "x\xbfy", 3, "\"x\\ufffdy\"" },
		/* Truncated sequences, at the end and before ASCII. */
		{ "\xc3", 1, "\"\\ufffd\"" },
		{ "\xe2\x82", 2, "\"\\ufffd\\ufffd\"" },
		{ "\xe2\x82z", 3, "\"\\ufffd\\ufffdz\"" },
		{ "\xf0\x9f\x94", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
		/* Overlong 3- and 4-byte forms. */
		{ "\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xf0\x80\x80\xaf", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		/* Surrogates (U+D800, U+DFFF). */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
		{ "\xed\xbf\xbf", 3, "\"\\ufffd\\ufffd\\ufffd\"" },
		/* Above U+10FFFF. */
		{ "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },
		/* A bad byte does not swallow the good sequence after it. */
		{ "\xe2\xc3\xa9", 3, "\"\\ufffd\xc3\xa9\"" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		buf_t b = {0};
		char err[128];
		json *j;

		json_put_strn(&b, v[i].in, v[i].len);
		ck_assert_msg(b.len == strlen(v[i].out) && memcmp(b.data, v[i].out, b.len) == 0,
			"case %zu: %.*s", i, (int)b.len, (char *)b.data);
		/* Whatever went in, what comes out is valid JSON (the reader
		 * refuses only \u0000, so that strings stay C strings). */
		if (memchr(v[i].in, 0, v[i].len) == NULL) {
			j = json_parse((char *)b.data, b.len, err, sizeof err);
			ck_assert_msg(j != NULL, "case %zu: %s", i, err);
			json_free(j);
		}
		buf_free(&b);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_values);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_writer_roundtrip);
	tcase_add_test(tc, test_escape);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
