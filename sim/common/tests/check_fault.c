/* Unit tests of the fault table, sim/common/fault.c: every fault with good and
 * bad values, in both forms, and the scenario-to-server translation. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"

#define F FAULT_FORM_FILES
#define I FAULT_FORM_IDS

/* Specs that parse, with what they parse to. */
static const struct {
	const char *spec;
	fault_form form;
	fault_kind kind;
	fault_stage stage;
	uint64_t value, at;
	unsigned count;
	int64_t retry_after;
	const char *path, *variant, *key;
} good[] = {
	{ "drop-intermediate", F, FAULT_DROP_INTERMEDIATE, FAULT_ON_CHAIN, 0, 0, 0, -1, NULL, NULL, NULL },
	{ "drop-intermediate", I, FAULT_DROP_INTERMEDIATE, FAULT_ON_CHAIN, 0, 0, 0, -1, NULL, NULL, NULL },
	{ "drop=0", F, FAULT_DROP, FAULT_ON_CHAIN, 0, 0, 0, -1, NULL, NULL, NULL },
	{ "drop=63", I, FAULT_DROP, FAULT_ON_CHAIN, 63, 0, 0, -1, NULL, NULL, NULL },
	{ "reverse", F, FAULT_REVERSE, FAULT_ON_CHAIN, 0, 0, 0, -1, NULL, NULL, NULL },
	{ "append=/pki/x.crt.pem", F, FAULT_APPEND, FAULT_ON_CHAIN, 0, 0, 0, -1, "/pki/x.crt.pem", NULL, NULL },
	{ "append=isrg-root-x1-by-dst", I, FAULT_APPEND, FAULT_ON_CHAIN, 0, 0, 0, -1, "isrg-root-x1-by-dst", NULL, NULL },
	{ "chain=/c.pem", F, FAULT_CHAIN, FAULT_ON_CHAIN, 0, 0, 0, -1, "/c.pem", NULL, NULL },
	{ "chain=/c.pem,key=/k.pem", F, FAULT_CHAIN, FAULT_ON_CHAIN, 0, 0, 0, -1, "/c.pem", NULL, "/k.pem" },
	{ "chain=leaf-attacker", I, FAULT_CHAIN, FAULT_ON_CHAIN, 0, 0, 0, -1, "leaf-attacker", NULL, NULL },
	{ "chain=leaf-r10.short", I, FAULT_CHAIN, FAULT_ON_CHAIN, 0, 0, 0, -1, "leaf-r10", "short", NULL },
	{ "close-after=0", F, FAULT_CLOSE_AFTER, FAULT_ON_BODY, 0, 0, 1, -1, NULL, NULL, NULL },
	{ "close-after=16384,count=0", I, FAULT_CLOSE_AFTER, FAULT_ON_BODY, 16384, 0, 0, -1, NULL, NULL, NULL },
	{ "stall=1", F, FAULT_STALL, FAULT_ON_BODY, 1, 0, 1, -1, NULL, NULL, NULL },
	{ "stall=86400,at=100,count=2", I, FAULT_STALL, FAULT_ON_BODY, 86400, 100, 2, -1, NULL, NULL, NULL },
	{ "stall=5, count=3", F, FAULT_STALL, FAULT_ON_BODY, 5, 0, 3, -1, NULL, NULL, NULL },
	{ "corrupt-byte=1000", I, FAULT_CORRUPT_BYTE, FAULT_ON_BODY, 1000, 0, 0, -1, NULL, NULL, NULL },
	{ "bad-signature", F, FAULT_BAD_SIGNATURE, FAULT_ON_MANIFEST, 0, 0, 0, -1, NULL, NULL, NULL },
	{ "missing-image", I, FAULT_MISSING_IMAGE, FAULT_ON_MANIFEST, 0, 0, 0, -1, NULL, NULL, NULL },
	{ "http=400", F, FAULT_HTTP, FAULT_ON_REQUEST, 400, 0, 0, -1, NULL, NULL, NULL },
	{ "http=599", I, FAULT_HTTP, FAULT_ON_REQUEST, 599, 0, 0, -1, NULL, NULL, NULL },
	{ "http=503,retry-after=30,path=/manifest,count=1", F, FAULT_HTTP, FAULT_ON_REQUEST,
		503, 0, 1, 30, "/manifest", NULL, NULL },
	{ "http=503,retry-after=0", I, FAULT_HTTP, FAULT_ON_REQUEST, 503, 0, 0, 0, NULL, NULL, NULL },
};

/* Specs that do not, with the message each gives. */
static const struct {
	const char *spec;
	fault_form form;
	const char *msg;
} bad[] = {
	{ "", F, "unknown fault \"\"" },
	{ "explode", I, "unknown fault \"explode\" (see rotsim serve --help)" },
	{ "Reverse", F, "unknown fault \"Reverse\"" },
	{ "drop-intermediate=1", F, "\"drop-intermediate\" takes no value" },
	{ "reverse=", I, "\"reverse\" takes no value" },
	{ "drop", F, "\"drop\" needs a value (NAME=VALUE)" },
	{ "drop=64", I, "drop: 64 is not in 0..63" },
	{ "drop=-1", F, "drop: \"-1\" is not a number" },
	{ "append", I, "\"append\" needs a value" },
	{ "append=", F, "append: empty value" },
	{ "append=../x", I, "append: \"../x\" is not a certificate id" },
	{ "append=/x.pem,count=1", F, "append: no option \"count\"" },
	{ "chain=", I, "chain: empty value" },
	{ "chain=.v", I, "chain: \".v\" is not a certificate id (ID or ID.VARIANT)" },
	{ "chain=leaf.", I, "chain: \"leaf.\" is not a certificate id" },
	{ "chain=leaf,key=/k.pem", I, "chain: no option \"key\"" },
	{ "chain=/c.pem,key=", F, "chain: option \"key\" needs a value" },
	{ "chain=/c.pem,key=/a,key=/b", F, "chain: option \"key\" given twice" },
	{ "close-after", F, "\"close-after\" needs a value" },
	{ "close-after=abc", I, "close-after: \"abc\" is not a number" },
	{ "close-after=12k", F, "close-after: \"12k\" is not a number" },
	{ "close-after=+5", F, "close-after: \"+5\" is not a number" },
	{ "close-after=99999999999999999999", I, "close-after: 99999999999999999999 is not in" },
	{ "close-after=2000000000000", F, "close-after: 2000000000000 is not in 0..1099511627776" },
	{ "close-after=10,count=1000001", I, "close-after: count: 1000001 is not in 0..1000000" },
	{ "close-after=10,count", F, "close-after: option \"count\" needs a value" },
	{ "close-after=10,at=5", F, "close-after: no option \"at\"" },
	{ "stall=0", I, "stall: 0 is not in 1..86400" },
	{ "stall=86401", F, "stall: 86401 is not in 1..86400" },
	{ "stall=5,at=x", I, "stall: at: \"x\" is not a number" },
	{ "stall=5,count=1,count=2", F, "stall: option \"count\" given twice" },
	{ "corrupt-byte", I, "\"corrupt-byte\" needs a value" },
	{ "corrupt-byte=1,count=2", F, "corrupt-byte: no option \"count\"" },
	{ "bad-signature=1", I, "\"bad-signature\" takes no value" },
	{ "missing-image,count=1", F, "missing-image: no option \"count\"" },
	{ "http=200", I, "http: 200 is not in 400..599" },
	{ "http=600", F, "http: 600 is not in 400..599" },
	{ "http", F, "\"http\" needs a value" },
	{ "http=503,retry-after=100000000", I, "http: retry-after: 100000000 is not in 0..99999999" },
	{ "http=503,path=manifest", F, "http: path \"manifest\" must start with /" },
	{ "http=503,x=1", I, "http: no option \"x\"" },
	{ "http=503,=1", F, "http: no option \"\"" },
};

START_TEST(test_good)
{
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		fault f;
		char err[256];

		ck_assert_msg(fault_parse(&f, good[i].spec, good[i].form, err, sizeof err) == 0,
			"%s: %s", good[i].spec, err);
		ck_assert_int_eq(f.kind, good[i].kind);
		ck_assert_int_eq(f.stage, good[i].stage);
		ck_assert_msg(f.value == good[i].value, "%s: value", good[i].spec);
		ck_assert_msg(f.at == good[i].at, "%s: at", good[i].spec);
		ck_assert_msg(f.count == good[i].count, "%s: count %u", good[i].spec, f.count);
		ck_assert_msg(f.retry_after == good[i].retry_after, "%s: retry-after", good[i].spec);
		ck_assert_pstr_eq(f.path, good[i].path);
		ck_assert_pstr_eq(f.variant, good[i].variant);
		ck_assert_pstr_eq(f.key, good[i].key);
		ck_assert_str_eq(f.spec, good[i].spec);
		fault_clear(&f);
		ck_assert_ptr_null(f.spec);
	}
	fault_clear(NULL);
}
END_TEST

START_TEST(test_bad)
{
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fault f;
		char err[256];

		ck_assert_msg(fault_parse(&f, bad[i].spec, bad[i].form, err, sizeof err) == -1,
			"accepted %s", bad[i].spec);
		ck_assert_msg(strncmp(err, bad[i].msg, strlen(bad[i].msg)) == 0,
			"%s: got \"%s\", want \"%s\"", bad[i].spec, err, bad[i].msg);
		ck_assert_ptr_null(f.spec);
		ck_assert_ptr_null(f.path);
	}
}
END_TEST

/* Every fault of the table appears in the help, and has a good case above. */
START_TEST(test_every_fault)
{
	static const fault_kind kinds[] = { FAULT_DROP_INTERMEDIATE, FAULT_DROP, FAULT_REVERSE,
		FAULT_APPEND, FAULT_CHAIN, FAULT_CLOSE_AFTER, FAULT_STALL, FAULT_CORRUPT_BYTE,
		FAULT_BAD_SIGNATURE, FAULT_MISSING_IMAGE, FAULT_HTTP };
	buf_t help = {0};
	size_t k, i;

	fault_help(&help);
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
		const char *name = fault_name(kinds[k]);
		int n = 0;

		ck_assert_str_ne(name, "?");
		ck_assert_msg(strstr(buf_cstr(&help), name) != NULL, "%s not in the help", name);
		for (i = 0; i < sizeof good / sizeof good[0]; i++)
			n += good[i].kind == kinds[k];
		ck_assert_msg(n >= 1, "no good case for %s", name);
	}
	ck_assert_str_eq(fault_name((fault_kind)99), "?");
	buf_free(&help);
}
END_TEST

START_TEST(test_server_arg)
{
	static const struct { const char *in, *out; } v[] = {
		{ "append=isrg-root-x1-by-dst", "append=/p/isrg-root-x1-by-dst.crt.pem" },
		{ "chain=leaf-attacker", "chain=/p/chains/leaf-attacker.pem,key=/p/leaf-attacker.key.pem" },
		{ "chain=leaf-r10.short", "chain=/p/chains/leaf-r10.short.pem,key=/p/leaf-r10.key.pem" },
		{ "close-after=16384,count=0", "close-after=16384,count=0" },
		{ "http=503,retry-after=30", "http=503,retry-after=30" },
		{ "reverse", "reverse" },
	};
	size_t i;
	char err[256];
	fault f;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *o = fault_server_arg(v[i].in, "/p", err, sizeof err);

		ck_assert_msg(o != NULL, "%s: %s", v[i].in, err);
		ck_assert_str_eq(o, v[i].out);
		/* What comes out is a fault in the server's form. */
		ck_assert_int_eq(fault_parse(&f, o, FAULT_FORM_FILES, err, sizeof err), 0);
		fault_clear(&f);
		free(o);
	}
	ck_assert_ptr_null(fault_server_arg("stall=0", "/p", err, sizeof err));
	ck_assert_str_eq(err, "stall: 0 is not in 1..86400");
	ck_assert_ptr_null(fault_server_arg("chain=/abs.pem", "/p", err, sizeof err));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fault");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_good);
	tcase_add_test(tc, test_bad);
	tcase_add_test(tc, test_every_fault);
	tcase_add_test(tc, test_server_arg);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
