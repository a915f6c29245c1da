/* Unit tests of the section-file lexer, sim/common/cfg.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "common/util.h"

static int
parse(cfg_doc *d, const char *text, char *err, size_t errlen)
{
	return cfg_parse(d, "t.pki", text, strlen(text), err, errlen);
}

START_TEST(test_sections_and_entries)
{
	cfg_doc d;
	char err[256];
	const char *text =
		"# comment\n"
		"[root isrg-root-x1]\n"
		"subject = C=US, O=Internet Security Research Group, CN=ISRG Root X1\n"
		"  # an indented comment is still a comment\n"
		"key=rsa4096\n"
		"\n"
		"[defaults]\n"
		"list = a,\n"
		"    b, c\n";
	ck_assert_int_eq(parse(&d, text, err, sizeof err), 0);
	ck_assert_int_eq(d.n, 2);
	ck_assert_str_eq(d.secs[0].kind, "root");
	ck_assert_str_eq(d.secs[0].name, "isrg-root-x1");
	ck_assert_int_eq(d.secs[0].line, 2);
	ck_assert_int_eq(d.secs[0].n, 2);
	ck_assert_str_eq(d.secs[0].ents[0].val,
		"C=US, O=Internet Security Research Group, CN=ISRG Root X1");
	ck_assert_int_eq(d.secs[0].ents[1].line, 5);
	ck_assert_str_eq(d.secs[0].ents[1].val, "rsa4096");
	ck_assert_ptr_null(d.secs[1].name);
	ck_assert_str_eq(d.secs[1].ents[0].val, "a, b, c");
	cfg_entry *e = cfg_get(&d.secs[0], "key", NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_ptr_eq(cfg_unused(&d.secs[0]), &d.secs[0].ents[0]);
	cfg_free(&d);
}
END_TEST

START_TEST(test_errors_have_lines)
{
	static const struct { const char *text, *msg; } v[] = {
		{ "key = v\n", "t.pki:1: \"key\" outside any [section]" },
		{ "[a]\n\nno equals sign\n", "t.pki:3: expected" },
		{ "[a\n", "t.pki:1: section header has no closing ']'" },
		{ "[a b] x\n", "t.pki:1: text after ']'" },
		{ "[]\n", "t.pki:1: section header has no kind" },
		{ "[a b$]\n", "t.pki:1: bad character '$' in section name" },
		{ "[a]\n = v\n", "t.pki:2: missing key" },
		{ "[a]\nk*y = v\n", "t.pki:2: bad character '*' in key" },
	};
	size_t i;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		cfg_doc d;
		char err[256] = "";
		ck_assert_int_eq(parse(&d, v[i].text, err, sizeof err), -1);
		ck_assert_msg(strncmp(err, v[i].msg, strlen(v[i].msg)) == 0,
			"case %zu: got \"%s\", want prefix \"%s\"", i, err, v[i].msg);
		ck_assert_int_eq(d.n, 0);
	}
}
END_TEST

START_TEST(test_duplicate_key)
{
	cfg_doc d;
	char err[256];
	cfg_entry *dup;
	ck_assert_int_eq(parse(&d, "[a]\nk = 1\nk = 2\n", err, sizeof err), 0);
	ck_assert_ptr_null(cfg_get(&d.secs[0], "k", &dup));
	ck_assert_ptr_nonnull(dup);
	ck_assert_int_eq(dup->line, 3);
	cfg_free(&d);
}
END_TEST

START_TEST(test_split)
{
	char **it;
	size_t n = cfg_split(" C=US , O=Foo\\, Inc.,CN=x ", ',', &it);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(it[0], "C=US");
	ck_assert_str_eq(it[1], "O=Foo, Inc.");
	ck_assert_str_eq(it[2], "CN=x");
	cfg_list_free(it, n);
	n = cfg_split("", ',', &it);
	ck_assert_int_eq(n, 0);
	cfg_list_free(it, n);
	n = cfg_split("a,,b", ',', &it);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(it[1], "");
	cfg_list_free(it, n);
}
END_TEST

START_TEST(test_ids)
{
	ck_assert(cfg_valid_id("isrg-root-x1"));
	ck_assert(cfg_valid_id("x1+x2"));
	ck_assert(!cfg_valid_id("-x"));
	ck_assert(!cfg_valid_id("a/b"));
	ck_assert(!cfg_valid_id(""));
	ck_assert(!cfg_valid_id("../x"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("cfg");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sections_and_entries);
	tcase_add_test(tc, test_errors_have_lines);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_split);
	tcase_add_test(tc, test_ids);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
