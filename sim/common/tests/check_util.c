/* Unit tests of sim/common/util.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"

START_TEST(test_b64_roundtrip)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
	};
	size_t i;
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *e = util_b64_encode(v[i].in, strlen(v[i].in));
		unsigned char d[16];
		ck_assert_str_eq(e, v[i].out);
		long n = util_b64_decode(d, sizeof d, e, strlen(e));
		ck_assert_int_eq(n, (long)strlen(v[i].in));
		ck_assert(memcmp(d, v[i].in, (size_t)n) == 0);
		free(e);
	}
}
END_TEST

START_TEST(test_b64_rejects)
{
	unsigned char d[16];
	ck_assert_int_eq(util_b64_decode(d, sizeof d, "Zm9v!", 5), -1);
	ck_assert_int_eq(util_b64_decode(d, sizeof d, "Zg=a", 4), -1);
	ck_assert_int_eq(util_b64_decode(d, 2, "Zm9v", 4), -1);
	/* Non-zero bits left over in the last character. */
	ck_assert_int_eq(util_b64_decode(d, sizeof d, "Zh==", 4), -1);
}
END_TEST

START_TEST(test_hex)
{
	unsigned char b[4];
	char s[9];
	ck_assert_int_eq(util_unhex(b, sizeof b, "0aFf:10"), 3);
	ck_assert_str_eq(util_hex(s, b, 3), "0aff10");
	ck_assert_int_eq(util_unhex(b, sizeof b, "abc"), -1);
	ck_assert_int_eq(util_unhex(b, sizeof b, "zz"), -1);
	ck_assert_int_eq(util_unhex(b, 1, "0102"), -1);
}
END_TEST

START_TEST(test_sha256)
{
	unsigned char h[32];
	char s[65];
	util_sha256(h, "abc", 3);
	ck_assert_str_eq(util_hex(s, h, 32),
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

START_TEST(test_write_atomic)
{
	char dir[] = "/tmp/rotsim-check-XXXXXX", err[256], *path;
	unsigned char *data;
	size_t len;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = xasprintf("%s/a/b/key.pem", dir);
	char *sub = xasprintf("%s/a/b", dir);
	ck_assert_int_eq(util_mkdirs(sub, 0755, err, sizeof err), 0);
	ck_assert_int_eq(util_write_atomic(path, "secret", 6, 0600, err, sizeof err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(util_read_file(path, &data, &len, err, sizeof err), 0);
	ck_assert_int_eq(len, 6);
	ck_assert_str_eq((char *)data, "secret");
	free(data);
	/* Replacing keeps no temporary file behind. */
	ck_assert_int_eq(util_write_atomic(path, "x", 1, 0644, err, sizeof err), 0);
	char *cmd = xasprintf("test $(ls -A %s | wc -l) -eq 1", sub);
	ck_assert_int_eq(system(cmd), 0);
	/* A directory that does not exist is reported with its path. */
	char *bad = xasprintf("%s/missing/x", dir);
	ck_assert_int_eq(util_write_atomic(bad, "x", 1, 0644, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "missing/x"));
	ck_assert_int_eq(util_read_file(bad, &data, &len, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	free(cmd);
	cmd = xasprintf("rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd); free(bad); free(sub); free(path);
}
END_TEST

START_TEST(test_buf)
{
	buf_t b = {0};
	int i;
	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert_int_eq(b.len, 3890);
	ck_assert(strncmp(buf_cstr(&b), "0,1,2,", 6) == 0);
	ck_assert(strcmp(buf_cstr(&b) + b.len - 4, "999,") == 0);
	buf_free(&b);
	buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(test_open_evidence)
{
	char dir[] = "/tmp/check_util_ev.XXXXXX", path[128], victim[128], link[128], err[256];
	int fd;
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/console.log", dir);
	snprintf(victim, sizeof victim, "%s/victim", dir);
	snprintf(link, sizeof link, "%s/server.log", dir);

	/* new: created, then refused when it exists */
	fd = util_open_evidence(path, UTIL_EV_NEW, 0644, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "a", 1), 1);
	close(fd);
	ck_assert_int_eq(util_open_evidence(path, UTIL_EV_NEW, 0644, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "already exists"));
	/* append: to the run's own file */
	fd = util_open_evidence(path, UTIL_EV_APPEND, 0644, err, sizeof err);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "b", 1), 1);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq((int)st.st_size, 2);

	/* a planted link is never written through, in either mode */
	FILE *v = fopen(victim, "w");
	ck_assert_ptr_nonnull(v);
	fputs("keep", v);
	fclose(v);
	ck_assert_int_eq(symlink(victim, link), 0);
	ck_assert_int_eq(util_open_evidence(link, UTIL_EV_NEW, 0644, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	ck_assert_int_eq(util_open_evidence(link, UTIL_EV_APPEND, 0644, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "symbolic link"));
	ck_assert_ptr_null(util_fopen_evidence(link, UTIL_EV_APPEND, err, sizeof err));
	ck_assert_int_eq(stat(victim, &st), 0);
	ck_assert_int_eq((int)st.st_size, 4);

	/* a directory in the way is no regular file */
	char sub[160];
	snprintf(sub, sizeof sub, "%s/d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	ck_assert_int_eq(util_open_evidence(sub, UTIL_EV_APPEND, 0644, err, sizeof err), -1);

	unlink(link); unlink(victim); unlink(path); rmdir(sub); rmdir(dir);
}
END_TEST

START_TEST(test_copy_tree)
{
	char tmpl[] = "/tmp/rotsim-copy-XXXXXX", err[256];
	struct stat a, b;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	char *src = xasprintf("%s/src", tmpl), *dst = xasprintf("%s/dst", tmpl);
	char *lnk = xasprintf("%s/lnk", tmpl), *cmd;
	cmd = xasprintf("mkdir -p %s/sub && printf one > %s/f && printf two > %s/sub/g && "
		"printf hid > %s/.hidden && ln -s /etc/passwd %s/link && chmod 0600 %s/sub/g",
		src, src, src, src, src, src);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	/* A copy: regular files with their modes, no dot files, no links. */
	ck_assert_int_eq(util_copy_tree(src, dst, 0, err, sizeof err), 0);
	cmd = xasprintf("test \"$(cat %s/f)$(cat %s/sub/g)\" = onetwo && test ! -e %s/.hidden "
		"&& test ! -e %s/link && test \"$(stat -c %%a %s/sub/g)\" = 600", dst, dst, dst, dst,
		dst);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	char *f1 = xasprintf("%s/f", src), *f2 = xasprintf("%s/f", dst), *f3 = xasprintf("%s/f", lnk);
	ck_assert_int_eq(stat(f1, &a), 0);
	ck_assert_int_eq(stat(f2, &b), 0);
	ck_assert(a.st_ino != b.st_ino);
	/* A link where asked, and an existing file kept. */
	ck_assert_int_eq(util_copy_tree(src, lnk, UTIL_COPY_LINK, err, sizeof err), 0);
	ck_assert_int_eq(stat(f3, &b), 0);
	ck_assert(a.st_ino == b.st_ino);
	ck_assert_int_eq(util_write_atomic(f2, "kept", 4, 0644, err, sizeof err), 0);
	ck_assert_int_eq(util_copy_file(f1, f2, 0644, UTIL_COPY_KEEP, err, sizeof err), 0);
	cmd = xasprintf("test \"$(cat %s)\" = kept", f2);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	/* A missing source tree is an empty one; a missing file is an error. */
	char *none = xasprintf("%s/none", tmpl);
	ck_assert_int_eq(util_copy_tree(none, dst, 0, err, sizeof err), 0);
	ck_assert_int_eq(util_copy_file(none, f2, 0644, 0, err, sizeof err), -1);
	cmd = xasprintf("rm -rf %s", tmpl);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(src); free(dst); free(lnk); free(f1); free(f2); free(f3); free(none);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_b64_roundtrip);
	tcase_add_test(tc, test_b64_rejects);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_sha256);
	tcase_add_test(tc, test_write_atomic);
	tcase_add_test(tc, test_buf);
	tcase_add_test(tc, test_copy_tree);
	tcase_add_test(tc, test_open_evidence);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
