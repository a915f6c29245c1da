/* The reference check: the chain as sent, and the path a client links by
 * names when the certificates after the server's own are out of order or
 * carry an extra. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bearssl.h"
#include "common/cfg.h"
#include "common/util.h"
#include "pki/pki.h"
#include "time/simtime.h"
#include "verdict/refcheck.h"

static const char hierarchy[] =
	"[root ca]\nsubject = CN=Ref Root\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2030-01-01\n"
	"[root other]\nsubject = CN=Other Root\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2030-01-01\n"
	"[intermediate int]\nissuer = ca\nsubject = CN=Ref Int\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2029-01-01\n"
	"[intermediate fake]\nissuer = other\nsubject = CN=Ref Int\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2029-01-01\n"
	"[intermediate stray]\nissuer = other\nsubject = CN=Stray Int\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2029-01-01\n"
	"[leaf leaf]\nissuer = int\nsubject = CN=updates.rotsim.test\nkey = p256\n"
	"not-before = 2024-06-01\nnot-after = +90d\nsan = dns:updates.rotsim.test\n";

static pki P;
static ref_file anchor;
static unsigned char *anchor_pem;

static ref_cert
C(const char *name)
{
	const pki_cert *c = pki_find(&P, name);
	ck_assert_ptr_nonnull(c);
	return (ref_cert){ c->der, c->der_len };
}

static void
setup(void)
{
	cfg_doc d;
	char err[512];
	const pki_cert *root;
	pki_init(&P);
	ck_assert_int_eq(cfg_parse(&d, "t.pki", hierarchy, strlen(hierarchy), err, sizeof err), 0);
	ck_assert_msg(pki_add_doc(&P, &d, 1, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(pki_build(&P, "refcheck", NULL, NULL, NULL, err, sizeof err) == 0, "%s", err);
	cfg_free(&d);
	/* The anchor file: the root's certificate as PEM. */
	root = pki_find(&P, "ca");
	ck_assert_ptr_nonnull(root);
	size_t cap = root->der_len * 2 + 128, len = 0;
	anchor_pem = xmalloc(cap);
	len = br_pem_encode(anchor_pem, root->der, root->der_len, "CERTIFICATE", 0);
	ck_assert_uint_gt(len, 0);
	anchor.name = "roots.pem";
	anchor.data = anchor_pem;
	anchor.len = len;
}

static void
teardown(void)
{
	pki_free(&P);
	free(anchor_pem);
}

static int
check(const ref_cert *chain, size_t n)
{
	int64_t t;
	int code = 99;
	char err[256];
	ck_assert_int_eq(simtime_parse("2024-07-01", &t, err, sizeof err), 0);
	ck_assert_msg(ref_validate_mem(chain, n, t, "updates.rotsim.test", &anchor, 1, NULL,
		&code, err, sizeof err) == 0, "%s", err);
	return code;
}

START_TEST(test_in_order)
{
	ref_cert c[] = { C("leaf"), C("int") };
	ck_assert_int_eq(check(c, 2), 0);
}
END_TEST

START_TEST(test_extra_certificate_between)
{
	/* An unrelated certificate between the leaf and its issuer: BearSSL's
	 * engine refuses it as sent; a client linking by names accepts. */
	ref_cert c[] = { C("leaf"), C("stray"), C("int") };
	ck_assert_int_eq(check(c, 3), 0);
}
END_TEST

START_TEST(test_out_of_order_rest)
{
	ref_cert c[] = { C("leaf"), C("ca"), C("int") };
	ck_assert_int_eq(check(c, 3), 0);
}
END_TEST

START_TEST(test_refusals_stay)
{
	/* The issuer's name with another key: linking by names finds it, the
	 * signature does not verify. */
	ref_cert fake[] = { C("leaf"), C("fake") };
	ck_assert_int_ne(check(fake, 2), 0);
	/* No issuer sent at all. */
	ref_cert alone[] = { C("leaf") };
	ck_assert_int_ne(check(alone, 1), 0);
	/* The server's certificate is the first one, always: reversed is refused. */
	ref_cert rev[] = { C("int"), C("leaf") };
	ck_assert_int_ne(check(rev, 2), 0);
	/* Only unrelated certificates after the leaf. */
	ref_cert stray[] = { C("leaf"), C("stray"), C("other") };
	ck_assert_int_ne(check(stray, 3), 0);
}
END_TEST

START_TEST(test_garbage_certificates)
{
	/* Bytes that are no certificate neither crash nor link. */
	static const unsigned char junk[] = { 0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x30 };
	static const unsigned char short_seq[] = { 0x30, 0x03, 0x30, 0x01, 0x02 };
	ref_cert c[] = { C("leaf"), { junk, sizeof junk }, { short_seq, sizeof short_seq },
		C("int") };
	ck_assert_int_eq(check(c, 4), 0);
	ref_cert d[] = { { junk, sizeof junk }, C("int") };
	ck_assert_int_ne(check(d, 2), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("refcheck");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_in_order);
	tcase_add_test(tc, test_extra_certificate_between);
	tcase_add_test(tc, test_out_of_order_rest);
	tcase_add_test(tc, test_refusals_stay);
	tcase_add_test(tc, test_garbage_certificates);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
