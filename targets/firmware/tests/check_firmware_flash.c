/* Unit tests of targets/firmware/flash.c: the boot-control block and the A/B
 * slot logic, on flash images in a temporary directory. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "targets/firmware/flash.h"

static char dir[64], path[128];

static void
setup(void)
{
	strcpy(dir, "/tmp/check_firmware_flash.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/flash.img", dir);
}

static void
teardown(void)
{
	unlink(path);
	rmdir(dir);
}

START_TEST(test_bc_roundtrip)
{
	unsigned char blk[FLASH_BC_LEN];
	flash_bc a, b;
	int i;

	memset(&a, 0, sizeof a);
	a.seq = 7;
	a.active = 1;
	a.slot[1].state = FLASH_SLOT_INSTALLED;
	a.slot[1].version = 3;
	a.slot[1].len = 12345;
	memset(a.slot[1].sha256, 0xab, 32);
	flash_bc_encode(blk, &a);
	ck_assert_int_eq(memcmp(blk, "ROTSIMBC", 8), 0);
	ck_assert_int_eq(flash_bc_decode(&b, blk), 0);
	ck_assert_int_eq(memcmp(&a, &b, sizeof a), 0);
	/* Any changed byte of the block is detected. */
	for (i = 0; i < FLASH_BC_LEN; i++) {
		blk[i] ^= 0x01;
		ck_assert_msg(flash_bc_decode(&b, blk) == -1, "byte %d", i);
		blk[i] ^= 0x01;
	}
	memset(blk, 0, sizeof blk);
	ck_assert_int_eq(flash_bc_decode(&b, blk), -1);
}
END_TEST

START_TEST(test_create_install_load)
{
	char err[256];
	unsigned char img[5000], *d;
	size_t n;
	flash_dev f;

	memset(img, 0x5a, sizeof img);
	ck_assert_msg(flash_create(path, 65536, "dev-1", err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(flash_create(path, 65536, "dev-1", err, sizeof err), -1);
	ck_assert_msg(flash_open(&f, path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(f.slot_size, 65536);
	ck_assert_uint_eq(f.slot_off[0], 1048576);
	ck_assert_uint_eq(f.slot_off[1], 1048576 + 65536);
	ck_assert_str_eq(f.device, "dev-1");
	ck_assert_int_eq(f.bc_valid, 0);
	ck_assert_int_eq(flash_load_slot(&f, 0, &d, &n, err, sizeof err), -1);
	/* Too big for a slot. */
	ck_assert_int_eq(flash_install(&f, 0, 2, img, 65537 > sizeof img ? 0 : 1, err,
		sizeof err), -1);
	ck_assert_msg(flash_install(&f, 0, 2, img, sizeof img, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(f.bc.active, 0);
	flash_close(&f);

	ck_assert_msg(flash_open(&f, path, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(f.bc_valid, 1);
	ck_assert_uint_eq(f.bc.active, 0);
	ck_assert_uint_eq(f.bc.slot[0].version, 2);
	ck_assert_msg(flash_load_slot(&f, 0, &d, &n, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(n, sizeof img);
	ck_assert_int_eq(memcmp(d, img, n), 0);
	free(d);
	/* Version 3 goes to B; A stays recorded for a fallback. */
	img[0] = 1;
	ck_assert_msg(flash_install(&f, 1, 3, img, 100, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(f.bc.active, 1);
	ck_assert_uint_eq(f.bc.slot[0].state, FLASH_SLOT_INSTALLED);
	ck_assert_uint_eq(f.bc.slot[1].version, 3);
	flash_close(&f);
}
END_TEST

START_TEST(test_corrupt_slot)
{
	char err[256];
	unsigned char img[1000], *d;
	size_t n;
	flash_dev f;
	int fd;

	memset(img, 7, sizeof img);
	ck_assert_int_eq(flash_create(path, 65536, "d", err, sizeof err), 0);
	ck_assert_int_eq(flash_open(&f, path, err, sizeof err), 0);
	ck_assert_int_eq(flash_install(&f, 1, 5, img, sizeof img, err, sizeof err), 0);
	flash_close(&f);
	/* One flipped byte in slot B: the slot no longer loads. */
	fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pwrite(fd, "\x08", 1, 1048576 + 65536 + 500), 1);
	close(fd);
	ck_assert_int_eq(flash_open(&f, path, err, sizeof err), 0);
	ck_assert_int_eq(flash_load_slot(&f, 1, &d, &n, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "SHA-256"));
	ck_assert_ptr_null(d);
	flash_close(&f);
	flash_close(&f);	/* twice is safe */
}
END_TEST

START_TEST(test_not_a_flash)
{
	char err[256];
	flash_dev f;
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "%0200d", 0);
	fclose(fp);
	ck_assert_int_eq(flash_open(&f, path, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no flash header"));
	flash_close(&f);
	ck_assert_int_eq(flash_create("/nonexistent/dir/x.img", 65536, "d", err, sizeof err), -1);
	ck_assert_int_eq(flash_create(path, 65536, "a-device-name-longer-than-31-bytes",
		err, sizeof err), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("firmware-flash");
	TCase *tc = tcase_create("flash");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_bc_roundtrip);
	tcase_add_test(tc, test_create_install_load);
	tcase_add_test(tc, test_corrupt_slot);
	tcase_add_test(tc, test_not_a_flash);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
