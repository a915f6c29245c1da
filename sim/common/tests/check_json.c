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
		"\"\\u0000\"", "\"\xff\"", "\"\xc3\"", "\"\xe2\x82\"", "tru", "nul", "[1] 2", "\"a\x01\"", "{1:2}" };
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
	/* Invalid UTF-8 is escaped byte by byte, so the output stays valid. */
	buf_t b = {0};
	json_put_str(&b, "a\xff" "b");
	ck_assert_str_eq(buf_cstr(&b), "\"a\\u00ffb\"");
	buf_free(&b);
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
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
