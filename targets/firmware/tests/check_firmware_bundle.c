/* Unit tests of targets/firmware/bundle.c: the bundle format, its writer and
 * its strict parser. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/bundle.h"

static const bundle_section none = { NULL, 0 };

/* Parse text (a C string) and return 0/-1, the message in err. */
static int
parse(bundle *b, const char *text, int trailing, char *err, size_t errlen)
{
	return bundle_parse(b, text, strlen(text), trailing, err, errlen);
}

START_TEST(test_roundtrip)
{
	bundle_section a = { (const unsigned char *)"PEM", 3 };
	bundle_section p = { (const unsigned char *)"pins\n", 5 };
	bundle_section l = { (const unsigned char *)"\0\1\2", 3 };
	buf_t out = {0};
	char err[256];
	bundle b;

	bundle_write(&out, 7, &a, &p, &l);
	ck_assert_int_eq(memcmp(out.data, "rotsim-bundle 1\nversion 7\nanchors 3\npins 5\n"
		"payload 3\n\nPEMpins\n\0\1\2", out.len), 0);
	ck_assert_msg(bundle_parse(&b, out.data, out.len, 0, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(b.version, 7);
	ck_assert_uint_eq(b.anchors.len, 3);
	ck_assert_int_eq(memcmp(b.anchors.data, "PEM", 3), 0);
	ck_assert_uint_eq(b.pins.len, 5);
	ck_assert_int_eq(memcmp(b.payload.data, "\0\1\2", 3), 0);
	ck_assert_uint_eq(b.total_len, out.len);
	buf_free(&out);
}
END_TEST

START_TEST(test_minimal_and_empty_sections)
{
	bundle_section empty = { (const unsigned char *)"", 0 };
	buf_t out = {0};
	char err[256];
	bundle b;

	ck_assert_msg(parse(&b, "rotsim-bundle 1\nversion 1\n\n", 0, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_null(b.anchors.data);
	ck_assert_ptr_null(b.pins.data);
	ck_assert_ptr_null(b.payload.data);
	bundle_write(&out, 4294967295u, &none, &empty, NULL);
	buf_cstr(&out);
	ck_assert_str_eq((char *)out.data, "rotsim-bundle 1\nversion 4294967295\npins 0\n\n");
	ck_assert_msg(bundle_parse(&b, out.data, out.len, 0, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(b.pins.data);
	ck_assert_uint_eq(b.pins.len, 0);
	buf_free(&out);
}
END_TEST

/* Each malformed bundle, and the message that names what is wrong. */
static const struct {
	const char *text;
	const char *msg;
} bad[] = {
	{ "", "line 1: not a bundle" },
	{ "rotsim-bundle 2\nversion 1\n\n", "line 1: not a bundle" },
	{ "rotsim-bundle 1\n\n", "line 2: no version" },
	{ "rotsim-bundle 1\nversion\n\n", "line 2: expected \"KEY VALUE\"" },
	{ "rotsim-bundle 1\nversion 0\n\n", "line 2: bad version" },
	{ "rotsim-bundle 1\nversion 01\n\n", "line 2: bad version" },
	{ "rotsim-bundle 1\nversion 4294967296\n\n", "line 2: bad version" },
	{ "rotsim-bundle 1\nversion -1\n\n", "line 2: bad version" },
	{ "rotsim-bundle 1\npayload 0\nversion 1\n\n", "line 2: expected version" },
	{ "rotsim-bundle 1\nversion 1\nfoo 1\n\n", "line 3: unknown key \"foo\"" },
	{ "rotsim-bundle 1\nversion 1\npins 0\nanchors 0\n\n", "line 4: anchors repeated or out of order" },
	{ "rotsim-bundle 1\nversion 1\npins 0\npins 0\n\n", "line 4: pins repeated or out of order" },
	{ "rotsim-bundle 1\nversion 1\npayload x\n\n", "line 3: bad payload length" },
	{ "rotsim-bundle 1\nversion 1\npayload 4\n\nabc", "sections: 1 bytes missing" },
	{ "rotsim-bundle 1\nversion 1\npayload 2\n\nabc", "1 bytes after the last section" },
	{ "rotsim-bundle 1\nversion 1\n", "line 3: header not ended" },
	{ "rotsim-bundle 1\nversion 1", "line 2: header not ended" },
	{ "rotsim-bundle 1\nversion 1\npayload 99999999999\n\n", "line 3: bad payload length" },
};

START_TEST(test_bad)
{
	char err[256] = "";
	bundle b;

	ck_assert_int_eq(parse(&b, bad[_i].text, 0, err, sizeof err), -1);
	ck_assert_msg(strncmp(err, bad[_i].msg, strlen(bad[_i].msg)) == 0,
		"case %d: got \"%s\", want \"%s\"", _i, err, bad[_i].msg);
}
END_TEST

START_TEST(test_trailing_and_head_limit)
{
	char err[256];
	bundle b;
	buf_t big = {0};
	size_t i;

	/* A slot holds zeros after the bundle. */
	ck_assert_int_eq(bundle_parse(&b, "rotsim-bundle 1\nversion 3\npayload 1\n\nx\0\0\0",
		41, 1, err, sizeof err), 0);
	ck_assert_uint_eq(b.total_len, 38);
	/* A header without its empty line in the first 4096 bytes is refused,
	 * whatever follows. */
	buf_puts(&big, "rotsim-bundle 1\nversion 1\n");
	for (i = 0; i < BUNDLE_HEAD_MAX; i++)
		buf_putc(&big, 'a');
	buf_puts(&big, " 1\n\n");
	ck_assert_int_eq(bundle_parse(&b, big.data, big.len, 0, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "header not ended"));
	buf_free(&big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("firmware-bundle");
	TCase *tc = tcase_create("bundle");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_minimal_and_empty_sections);
	tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad / sizeof bad[0]));
	tcase_add_test(tc, test_trailing_and_head_limit);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
