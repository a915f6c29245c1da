/* Unit tests of sim/server/server.c that need no network: JSON escaping, the
 * name tables, the fault grammar, and the firmware directory and manifest. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "server/srv.h"

static char *
json(const char *s, size_t len)
{
	buf_t b = {0};

	srv_json_str(&b, s, len);
	return buf_cstr(&b);
}

START_TEST(test_json_escape)
{
	static const struct { const char *in; size_t len; const char *out; } v[] = {
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "\n\r\t\x01\x1f\x7f", 6, "\"\\n\\r\\t\\u0001\\u001f\\u007f\"" },
		{ "nul\0x", 5, "\"nul\\u0000x\"" },
		{ "caf\xc3\xa9", 5, "\"caf\xc3\xa9\"" },			/* valid UTF-8 kept */
		{ "\xe2\x82\xac", 3, "\"\xe2\x82\xac\"" },
		{ "\xf0\x9f\x94\x91", 4, "\"\xf0\x9f\x94\x91\"" },
		{ "\xff", 1, "\"\\ufffd\"" },				/* bad byte */
		{ "\xc3", 1, "\"\\ufffd\"" },				/* truncated */
		{ "\xc0\xaf", 2, "\"\\ufffd\\ufffd\"" },		/* overlong */
		{ "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"" },	/* surrogate */
		{ "\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" },	/* > U+10FFFF */
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *o = json(v[i].in, v[i].len);
		ck_assert_msg(strcmp(o, v[i].out) == 0, "case %zu: %s", i, o);
		free(o);
	}
}
END_TEST

START_TEST(test_names)
{
	ck_assert_str_eq(srv_alert_name(48), "unknown_ca");
	ck_assert_str_eq(srv_alert_name(45), "certificate_expired");
	ck_assert_ptr_null(srv_alert_name(255));
	ck_assert_str_eq(srv_error_name(27), "BR_ERR_BAD_SIGNATURE");
	ck_assert_str_eq(srv_suite_name(0xC02F), "ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_str_eq(srv_version_name(0x0303), "TLS1.2");
	ck_assert_ptr_null(srv_version_name(0x0304));
}
END_TEST

START_TEST(test_fault_grammar)
{
	static const char *const good[] = {
		"drop-intermediate", "drop=1", "reverse", "append=/x.pem", "chain=/c.pem,key=/k.pem",
		"close-after=1000", "close-after=1000,count=0", "stall=5", "stall=5,at=100,count=2",
		"corrupt-byte=77", "bad-signature", "missing-image", "http=503",
		"http=503,retry-after=30,path=/manifest,count=1", "http=500",
	};
	static const struct { const char *spec, *msg; } bad[] = {
		{ "nonsense", "unknown fault" },
		{ "drop", "needs a value" },
		{ "reverse=1", "takes no value" },
		{ "close-after=abc", "is not a number" },
		{ "close-after=-1", "is not a number" },
		{ "http=200", "status must be 400..599" },
		{ "http=503,retry-after", "needs a value" },
		{ "http=503,path=manifest", "bad option" },
		{ "stall=0", "stall of 1..86400 seconds" },
		{ "corrupt-byte=1,count=2", "bad option" },
		{ "drop-intermediate,x=1", "bad option" },
	};
	srv_server s;
	char err[256];
	size_t i;

	srv_init(&s);
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(srv_add_fault(&s, good[i], err, sizeof err) == 0, "%s: %s", good[i], err);
	ck_assert_uint_eq(s.nfaults, sizeof good / sizeof good[0]);
	ck_assert_uint_eq(s.faults[5].count, 1);	/* close-after: once by default */
	ck_assert_uint_eq(s.faults[6].count, 0);
	ck_assert_uint_eq(s.faults[8].at, 100);
	ck_assert_int_eq(s.faults[13].retry_after, 30);
	ck_assert_str_eq(s.faults[13].path, "/manifest");
	ck_assert_str_eq(s.faults[4].key, "/k.pem");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(srv_add_fault(&s, bad[i].spec, err, sizeof err) == -1, "%s", bad[i].spec);
		ck_assert_msg(strstr(err, bad[i].msg) != NULL, "%s: %s", bad[i].spec, err);
	}
	srv_free(&s);
	srv_free(NULL);
}
END_TEST

START_TEST(test_firmware_dir)
{
	char dir[] = "/tmp/check_server.XXXXXX", err[256], *p;
	static const char *const names[] = { "image-2.bin", "image-10.bin", "image-010.bin",
		"image-3.bin.tmp", "notes.txt" };
	srv_server s;
	fw_key k;
	fw_manifest m;
	size_t i;

	ck_assert(mkdtemp(dir) != NULL);
	ck_assert(fw_key_generate(&k, err, sizeof err) == 0);
	srv_init(&s);
	ck_assert_int_eq(srv_set_firmware(&s, dir, &k, err, sizeof err), -1);
	ck_assert(strstr(err, "no firmware image") != NULL);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		ck_assert(util_write_atomic(p, names[i], strlen(names[i]), 0644, err, sizeof err) == 0);
		free(p);
	}
	ck_assert_msg(srv_set_firmware(&s, dir, &k, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(s.nimages, 2);
	ck_assert_str_eq(s.offered->name, "image-10.bin");
	ck_assert_msg(fw_manifest_verify(&m, s.manifest, s.manifest_len, k.q, err, sizeof err) == 0,
		"%s", err);
	ck_assert_uint_eq(m.version, 10);
	ck_assert_str_eq(m.url, "/firmware/image-10.bin");
	ck_assert_msg(fw_image_check(&m, "image-10.bin", 12, err, sizeof err) == 0, "%s", err);
	srv_free(&s);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}
END_TEST

START_TEST(test_no_default_chain)
{
	srv_server s;
	char err[256];

	srv_init(&s);
	ck_assert_int_eq(srv_prepare(&s, err, sizeof err), -1);
	ck_assert(strstr(err, "no default chain") != NULL);
	ck_assert_int_eq(srv_add_cred(&s, NULL, "/nonexistent/chain.pem", "/nonexistent/key.pem",
		err, sizeof err), -1);
	ck_assert(strstr(err, "/nonexistent/chain.pem") != NULL);
	srv_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("server");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_json_escape);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_fault_grammar);
	tcase_add_test(tc, test_firmware_dir);
	tcase_add_test(tc, test_no_default_chain);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
