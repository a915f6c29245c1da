/* Unit tests of sim/fw/fw.c: keys, manifest signing, parsing and checking. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "fw/fw.h"

static fw_key key;
static unsigned char image[4096];

static void
setup(void)
{
	char err[256];
	size_t i;

	ck_assert_msg(fw_key_generate(&key, err, sizeof err) == 0, "%s", err);
	for (i = 0; i < sizeof image; i++)
		image[i] = (unsigned char)(i * 7 + 3);
}

/* A signed manifest for image, version 2. */
static char *
make_manifest(size_t *len)
{
	fw_manifest m;
	char err[256], *t;

	memset(&m, 0, sizeof m);
	m.version = 2;
	m.size = sizeof image;
	util_sha256(m.sha256, image, sizeof image);
	strcpy(m.url, "/firmware/image-2.bin");
	t = fw_manifest_sign(&m, &key, len, err, sizeof err);
	ck_assert_msg(t != NULL, "%s", err);
	return t;
}

START_TEST(test_roundtrip)
{
	size_t len;
	char *t = make_manifest(&len), err[256];
	fw_manifest m;

	ck_assert_msg(fw_manifest_verify(&m, t, len, key.q, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(m.version, 2);
	ck_assert_uint_eq(m.size, sizeof image);
	ck_assert_str_eq(m.url, "/firmware/image-2.bin");
	ck_assert_int_eq(strncmp(t, "rotsim-manifest 1\nversion 2\nsize 4096\nsha256 ", 44), 0);
	ck_assert_int_eq(strncmp(t + m.signed_len, "sig ", 4), 0);
	ck_assert_msg(fw_image_check(&m, image, sizeof image, err, sizeof err) == 0, "%s", err);
	free(t);
}
END_TEST

/* Every byte of the signed part matters: flip each one that keeps the
 * manifest parseable and the signature must fail; others fail to parse. */
START_TEST(test_flipped_manifest_bytes)
{
	size_t len, i;
	char *t = make_manifest(&len), err[256];
	fw_manifest m;

	for (i = 0; i < len - 1; i++) {
		char save = t[i];
		t[i] ^= 0x01;
		ck_assert_msg(fw_manifest_verify(&m, t, len, key.q, err, sizeof err) != 0,
			"flip at %zu accepted", i);
		t[i] = save;
	}
	ck_assert(fw_manifest_verify(&m, t, len, key.q, err, sizeof err) == 0);
	free(t);
}
END_TEST

START_TEST(test_version_and_sig_changes)
{
	size_t len;
	char *t = make_manifest(&len), err[256], *p;
	fw_manifest m;

	/* Version 2 to 3: parses, bad signature. */
	p = strstr(t, "version 2");
	p[8] = '3';
	ck_assert_int_ne(fw_manifest_verify(&m, t, len, key.q, err, sizeof err), 0);
	ck_assert_str_eq(err, "bad manifest signature");
	p[8] = '2';
	/* One base64 digit of the signature changed. */
	p = strstr(t, "sig ") + 10;
	*p = (*p == 'A') ? 'B' : 'A';
	ck_assert_int_ne(fw_manifest_verify(&m, t, len, key.q, err, sizeof err), 0);
	free(t);
}
END_TEST

START_TEST(test_other_key)
{
	size_t len;
	char *t = make_manifest(&len), err[256];
	fw_key other;

	ck_assert(fw_key_generate(&other, err, sizeof err) == 0);
	ck_assert_int_ne(fw_manifest_verify(NULL, t, len, other.q, err, sizeof err), 0);
	free(t);
}
END_TEST

START_TEST(test_image_flip)
{
	size_t len;
	char *t = make_manifest(&len), err[256];
	fw_manifest m;

	ck_assert(fw_manifest_verify(&m, t, len, key.q, err, sizeof err) == 0);
	image[100] ^= 0x80;
	ck_assert_int_ne(fw_image_check(&m, image, sizeof image, err, sizeof err), 0);
	image[100] ^= 0x80;
	ck_assert_int_ne(fw_image_check(&m, image, sizeof image - 1, err, sizeof err), 0);
	free(t);
}
END_TEST

START_TEST(test_parse_errors)
{
	static const struct { const char *text, *err; } v[] = {
		{ "", "line 1: unexpected end" },
		{ "rotsim-manifest 2\n", "line 1: not \"rotsim-manifest 1\"" },
		{ "rotsim-manifest 1\nversion 02\n", "line 2: bad version" },
		{ "rotsim-manifest 1\nversion -2\n", "line 2: bad version" },
		{ "rotsim-manifest 1\nversion 4294967296\n", "line 2: bad version" },
		{ "rotsim-manifest 1\nsize 3\n", "line 2: expected \"version VALUE\"" },
		{ "rotsim-manifest 1\nversion 2\nsize 18446744073709551616\n", "line 3: bad size" },
		{ "rotsim-manifest 1\nversion 2\nsize 1\nsha256 AB\n",
			"line 4: sha256 is not 64 hex digits" },
		{ "rotsim-manifest 1\nversion 2\nsize 1\nsha256 "
			"0000000000000000000000000000000000000000000000000000000000000000\n"
			"url firmware\n", "line 5: bad url" },
		{ "rotsim-manifest 1\nversion 2\nsize 1\nsha256 "
			"0000000000000000000000000000000000000000000000000000000000000000\n"
			"url /a b\n", "line 5: bad url" },
		{ "rotsim-manifest 1\nversion 2\nsize 1\nsha256 "
			"0000000000000000000000000000000000000000000000000000000000000000\n"
			"url /a\nsig AAAA\n", "line 6: sig is not base64 of 64 bytes" },
		{ "rotsim-manifest 1\nversion 2", "line 2: no newline" },
	};
	size_t i;
	char err[256];
	fw_manifest m;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_assert_int_eq(fw_manifest_parse(&m, v[i].text, strlen(v[i].text),
			err, sizeof err), -1);
		ck_assert_str_eq(err, v[i].err);
	}
}
END_TEST

START_TEST(test_trailing_data)
{
	size_t len;
	char *t = make_manifest(&len), err[256];
	fw_manifest m;

	t = xrealloc(t, len + 2);
	memcpy(t + len, "x\n", 2);
	ck_assert_int_eq(fw_manifest_parse(&m, t, len + 2, err, sizeof err), -1);
	ck_assert_str_eq(err, "line 7: data after the sig line");
	free(t);
}
END_TEST

START_TEST(test_key_save_load)
{
	char dir[] = "/tmp/check_fw.XXXXXX", err[256], *path, *pem;
	fw_key k2;
	unsigned char q[65];
	struct stat st;

	ck_assert(mkdtemp(dir) != NULL);
	path = xasprintf("%s/key.pem", dir);
	ck_assert_msg(fw_key_save(&key, path, err, sizeof err) == 0, "%s", err);
	ck_assert(stat(path, &st) == 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* Never overwritten. */
	ck_assert_int_eq(fw_key_save(&key, path, err, sizeof err), -1);
	ck_assert_msg(fw_key_load(&k2, path, err, sizeof err) == 0, "%s", err);
	ck_assert(memcmp(k2.d, key.d, 32) == 0);
	ck_assert(memcmp(k2.q, key.q, 65) == 0);
	pem = fw_key_pub_pem(&key);
	ck_assert(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27) == 0);
	ck_assert(fw_pub_parse(q, pem, strlen(pem), err, sizeof err) == 0);
	ck_assert(memcmp(q, key.q, 65) == 0);
	ck_assert(fw_pub_parse(q, key.q, 65, err, sizeof err) == 0);
	ck_assert_int_eq(fw_pub_parse(q, "junk", 4, err, sizeof err), -1);
	free(pem);
	unlink(path);
	rmdir(dir);
	free(path);
}
END_TEST

START_TEST(test_pem_decode)
{
	static const char two[] = "x\n-----BEGIN A-----\nAAEC\n-----END A-----\n"
		"-----BEGIN B-----\nAw==\n-----END B-----";
	fw_pem_obj *o;
	char err[128];
	long n = fw_pem_decode(two, strlen(two), &o, err, sizeof err);

	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(o[0].name, "A");
	ck_assert_uint_eq(o[0].len, 3);
	ck_assert_str_eq(o[1].name, "B");
	ck_assert_uint_eq(o[1].len, 1);
	fw_pem_free(o, (size_t)n);
	ck_assert_int_eq(fw_pem_decode("-----BEGIN A-----\n!!\n", 21, &o, err, sizeof err), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fw");
	TCase *tc = tcase_create("fw");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_flipped_manifest_bytes);
	tcase_add_test(tc, test_version_and_sig_changes);
	tcase_add_test(tc, test_other_key);
	tcase_add_test(tc, test_image_flip);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_trailing_data);
	tcase_add_test(tc, test_key_save_load);
	tcase_add_test(tc, test_pem_decode);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
