/*
 * The cache of saved machines (target/snapshot.h): a directory it refuses
 * (a symbolic link, writable by others, not a directory), a saved machine
 * it will not open (a symbolic link, empty, missing), the key, and the bound.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "target/snapshot.h"

static char top[256];

static void
setup(void)
{
	snprintf(top, sizeof top, "%s/check-snapshot.XXXXXX",
		getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(top));
}

static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

static void
put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

START_TEST(test_dir)
{
	char err[512], *d = xasprintf("%s/cache/snapshots", top), *l = xasprintf("%s/link", top);
	char *f = xasprintf("%s/file", top);

	/* Made when missing, 0700; then accepted as it is. */
	ck_assert_int_eq(snap_dir_check(d, err, sizeof err), 0);
	struct stat st;
	ck_assert_int_eq(lstat(d, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0700);
	ck_assert_int_eq(snap_dir_check(d, err, sizeof err), 0);
	/* A symbolic link planted in its place is refused, not followed. */
	ck_assert_int_eq(symlink(d, l), 0);
	ck_assert_int_eq(snap_dir_check(l, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a directory"));
	/* Writable by others: refused. */
	ck_assert_int_eq(chmod(d, 0777), 0);
	ck_assert_int_eq(snap_dir_check(d, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "others may write"));
	ck_assert_int_eq(chmod(d, 0700), 0);
	put(f, "x");
	ck_assert_int_eq(snap_dir_check(f, err, sizeof err), -1);
	free(d);
	free(l);
	free(f);
}
END_TEST

START_TEST(test_open)
{
	char err[512], *p = xasprintf("%s/good.snap", top), *e = xasprintf("%s/empty.snap", top);
	char *l = xasprintf("%s/link.snap", top);
	int fd;

	ck_assert_int_eq(snap_dir_check(top, err, sizeof err), 0);
	put(p, "QEVM");
	put(e, "");
	ck_assert_int_eq(symlink(p, l), 0);
	fd = snap_open(top, "good");
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(snap_open(top, "link"), -1);	/* never through a link */
	ck_assert_int_eq(snap_open(top, "empty"), -1);	/* a save that wrote nothing */
	ck_assert_int_eq(snap_open(top, "missing"), -1);
	ck_assert_int_eq(errno, ENOENT);
	free(p);
	free(e);
	free(l);
}
END_TEST

START_TEST(test_key)
{
	buf_t a = {0}, b = {0};
	char ka[65], kb[65], err[256], *f = xasprintf("%s/image", top);

	put(f, "image one");
	buf_puts(&a, "rotsim-snapshot 2\n");
	buf_puts(&b, "rotsim-snapshot 2\n");
	ck_assert_int_eq(snap_material_file(&a, "initramfs", f, err, sizeof err), 0);
	put(f, "image two");
	ck_assert_int_eq(snap_material_file(&b, "initramfs", f, err, sizeof err), 0);
	snap_key(&a, ka);
	snap_key(&b, kb);
	ck_assert_int_eq(strlen(ka), 64);
	ck_assert_str_ne(ka, kb);	/* another image, another key */
	b.len = 0;
	buf_puts(&b, "rotsim-snapshot 2\n");
	put(f, "image one");
	ck_assert_int_eq(snap_material_file(&b, "initramfs", f, err, sizeof err), 0);
	snap_key(&b, kb);
	ck_assert_str_eq(ka, kb);	/* the same image, the same key */
	ck_assert_int_eq(snap_material_file(&b, "x", "/nonexistent/file", err, sizeof err), -1);
	buf_free(&a);
	buf_free(&b);
	free(f);
}
END_TEST

START_TEST(test_prune)
{
	char name[320];
	int i;

	/* SNAP_MAX + 3 saved machines, k0 the oldest: the SNAP_MAX newest stay,
	 * and k1, the one just saved, though old. */
	for (i = 0; i < SNAP_MAX + 3; i++) {
		snprintf(name, sizeof name, "%s/k%d.snap", top, i);
		put(name, "QEVM");
		struct timespec ts[2] = { { 1000 + i, 0 }, { 1000 + i, 0 } };
		ck_assert_int_eq(utimensat(AT_FDCWD, name, ts, 0), 0);
	}
	/* What a killed save left: removed once over an hour old. */
	char *old = xasprintf("%s/.tmp-k9-AAAAAA", top), *young = xasprintf("%s/.tmp-k8-BBBBBB", top);
	char *f = xasprintf("%s/machine.snap", old);
	ck_assert_int_eq(mkdir(old, 0700), 0);
	ck_assert_int_eq(mkdir(young, 0700), 0);
	put(f, "QEVM");
	struct timespec past[2] = { { 1000, 0 }, { 1000, 0 } };
	ck_assert_int_eq(utimensat(AT_FDCWD, old, past, 0), 0);
	snap_prune(top, "k1");
	ck_assert_int_ne(access(old, F_OK), 0);
	ck_assert_int_eq(access(young, F_OK), 0);
	free(old);
	free(young);
	free(f);
	for (i = 0; i < SNAP_MAX + 3; i++) {
		snprintf(name, sizeof name, "%s/k%d.snap", top, i);
		int gone = access(name, F_OK) != 0;
		ck_assert_msg(gone == (i == 0 || i == 2), "k%d %s", i,
			gone ? "removed" : "kept");
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("snapshot");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_dir);
	tcase_add_test(tc, test_open);
	tcase_add_test(tc, test_key);
	tcase_add_test(tc, test_prune);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
