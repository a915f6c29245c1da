/* Unit tests of the DER writer, sim/pki/der.c: every encoding byte by byte. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pki/der.h"
#include "time/simtime.h"

/* Compare the buffer with the expected hex and reset it. */
#define EXPECT_HEX(b, hex) do { \
	char got_[4096]; \
	ck_assert_msg((b)->len * 2 < sizeof got_, "output too long"); \
	util_hex(got_, (b)->data, (b)->len); \
	ck_assert_str_eq(got_, hex); \
	(b)->len = 0; \
} while (0)

START_TEST(test_lengths)
{
	buf_t b = {0};
	der_put_length(&b, 0);
	EXPECT_HEX(&b, "00");
	der_put_length(&b, 127);
	EXPECT_HEX(&b, "7f");
	der_put_length(&b, 128);
	EXPECT_HEX(&b, "8180");
	der_put_length(&b, 255);
	EXPECT_HEX(&b, "81ff");
	der_put_length(&b, 256);
	EXPECT_HEX(&b, "820100");
	der_put_length(&b, 65536);
	EXPECT_HEX(&b, "83010000");
	buf_free(&b);
}
END_TEST

START_TEST(test_nested_lengths)
{
	buf_t b = {0};
	unsigned char zeros[300];
	memset(zeros, 0, sizeof zeros);
	size_t m = der_begin(&b, DER_SEQUENCE);
	size_t n = der_begin(&b, DER_SEQUENCE);
	der_prim(&b, DER_OCTET_STRING, zeros, 200);
	der_end(&b, n);
	der_end(&b, m);
	/* 30 81 ce | 30 81 cb | 04 81 c8 | 200 zero bytes: content 206 then 203. */
	ck_assert_int_eq(b.len, 3 + 3 + 3 + 200);
	ck_assert_int_eq(b.data[0], 0x30);
	ck_assert_int_eq(b.data[1], 0x81);
	ck_assert_int_eq(b.data[2], 206);
	ck_assert_int_eq(b.data[3], 0x30);
	ck_assert_int_eq(b.data[4], 0x81);
	ck_assert_int_eq(b.data[5], 203);
	ck_assert_int_eq(b.data[6], 0x04);
	ck_assert_int_eq(b.data[8], 200);
	b.len = 0;
	m = der_begin(&b, DER_SET);
	der_end(&b, m);
	EXPECT_HEX(&b, "3100");
	m = der_begin(&b, DER_SEQUENCE);
	der_prim(&b, DER_OCTET_STRING, zeros, 300);
	der_end(&b, m);
	ck_assert_int_eq(b.len, 4 + 4 + 300);
	ck_assert_int_eq(b.data[1], 0x82);
	ck_assert_int_eq(b.data[2] << 8 | b.data[3], 304);
	buf_free(&b);
}
END_TEST

START_TEST(test_integers)
{
	buf_t b = {0};
	static const unsigned char m1[] = { 0x00, 0x00, 0x7f };
	static const unsigned char m2[] = { 0x80 };
	static const unsigned char m3[] = { 0x00, 0x00 };
	static const unsigned char m4[] = { 0x82, 0x10, 0xcf };
	der_uint(&b, m1, sizeof m1);
	EXPECT_HEX(&b, "02017f");
	der_uint(&b, m2, sizeof m2);
	EXPECT_HEX(&b, "02020080");
	der_uint(&b, m3, sizeof m3);
	EXPECT_HEX(&b, "020100");
	der_uint(&b, m4, sizeof m4);
	EXPECT_HEX(&b, "0204008210cf");
	der_int(&b, 0);
	EXPECT_HEX(&b, "020100");
	der_int(&b, 2);
	EXPECT_HEX(&b, "020102");
	der_int(&b, 127);
	EXPECT_HEX(&b, "02017f");
	der_int(&b, 128);
	EXPECT_HEX(&b, "02020080");
	der_int(&b, 256);
	EXPECT_HEX(&b, "02020100");
	der_int(&b, -1);
	EXPECT_HEX(&b, "0201ff");
	der_int(&b, -128);
	EXPECT_HEX(&b, "020180");
	der_int(&b, -129);
	EXPECT_HEX(&b, "0202ff7f");
	buf_free(&b);
}
END_TEST

START_TEST(test_oids)
{
	buf_t b = {0};
	ck_assert_int_eq(der_oid(&b, "1.2.840.113549.1.1.11"), 0);
	EXPECT_HEX(&b, "06092a864886f70d01010b");
	ck_assert_int_eq(der_oid(&b, "2.5.29.19"), 0);
	EXPECT_HEX(&b, "0603551d13");
	ck_assert_int_eq(der_oid(&b, "1.3.132.0.34"), 0);
	EXPECT_HEX(&b, "06052b81040022");
	ck_assert_int_eq(der_oid(&b, "1.2.840.10045.3.1.7"), 0);
	EXPECT_HEX(&b, "06082a8648ce3d030107");
	ck_assert_int_eq(der_oid(&b, "0.9.2342.19200300.100.1.25"), 0);
	EXPECT_HEX(&b, "060a0992268993f22c640119");
	ck_assert_int_eq(der_oid(&b, "2.999.3"), 0);
	EXPECT_HEX(&b, "0603883703");
	static const char *bad[] = { "", "1", "1.", ".1", "1..2", "3.1", "1.40", "1.2.x",
		"1.02", "1.2.99999999999999999999999" };
	size_t i;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(der_oid(&b, bad[i]) == -1, "accepted \"%s\"", bad[i]);
		ck_assert_int_eq(b.len, 0);
	}
	buf_free(&b);
}
END_TEST

START_TEST(test_simple_types)
{
	buf_t b = {0};
	der_bool(&b, 1);
	EXPECT_HEX(&b, "0101ff");
	der_bool(&b, 0);
	EXPECT_HEX(&b, "010100");
	der_null(&b);
	EXPECT_HEX(&b, "0500");
	der_bit_string(&b, "\x86", 1, 1);
	EXPECT_HEX(&b, "03020186");
	der_string(&b, DER_PRINTABLE_STRING, "US");
	EXPECT_HEX(&b, "13025553");
	der_string(&b, DER_UTF8_STRING, "\xc3\xbc");
	EXPECT_HEX(&b, "0c02c3bc");
	der_string(&b, DER_CTX_PRIM(2), "a.b");
	EXPECT_HEX(&b, "8203612e62");
	buf_free(&b);
}
END_TEST

START_TEST(test_times)
{
	buf_t b = {0};
	int64_t t;
	char err[64];
	/* "491231235959Z" as UTCTime: 2049 is the last UTCTime year. */
	ck_assert_int_eq(simtime_parse("2049-12-31 23:59:59", &t, err, sizeof err), 0);
	der_time(&b, t);
	EXPECT_HEX(&b, "170d3439313233313233353935395a");
	/* From 2050: GeneralizedTime "20500101000000Z". */
	der_time(&b, t + 1);
	EXPECT_HEX(&b, "180f32303530303130313030303030305a");
	ck_assert_int_eq(simtime_parse("1950-01-01", &t, err, sizeof err), 0);
	der_time(&b, t);
	EXPECT_HEX(&b, "170d3530303130313030303030305a");
	/* Before 1950: GeneralizedTime too. */
	der_time(&b, t - 1);
	EXPECT_HEX(&b, "180f31393439313233313233353935395a");
	ck_assert_int_eq(simtime_parse("2021-09-30 14:01:15", &t, err, sizeof err), 0);
	der_time(&b, t);
	EXPECT_HEX(&b, "170d3231303933303134303131355a");
	buf_free(&b);
}
END_TEST

START_TEST(test_read_back)
{
	buf_t b = {0};
	unsigned char big[1000];
	memset(big, 0xab, sizeof big);
	size_t m = der_begin(&b, DER_SEQUENCE);
	der_int(&b, 5);
	der_prim(&b, DER_OCTET_STRING, big, sizeof big);
	der_end(&b, m);
	const unsigned char *p = b.data, *end = b.data + b.len, *c;
	unsigned tag;
	size_t len;
	ck_assert_int_eq(der_read(&p, end, &tag, &c, &len), 0);
	ck_assert_uint_eq(tag, DER_SEQUENCE);
	ck_assert_ptr_eq(p, end);
	const unsigned char *q = c, *qend = c + len;
	ck_assert_int_eq(der_read(&q, qend, &tag, &c, &len), 0);
	ck_assert_uint_eq(tag, DER_INTEGER);
	ck_assert_int_eq(len, 1);
	ck_assert_int_eq(c[0], 5);
	ck_assert_int_eq(der_read(&q, qend, &tag, &c, &len), 0);
	ck_assert_int_eq(len, 1000);
	ck_assert_ptr_eq(q, qend);
	/* Truncated input is refused. */
	p = b.data;
	ck_assert_int_eq(der_read(&p, b.data + b.len - 1, &tag, &c, &len), -1);
	p = b.data;
	ck_assert_int_eq(der_read(&p, b.data + 1, &tag, &c, &len), -1);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("der");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_nested_lengths);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_oids);
	tcase_add_test(tc, test_simple_types);
	tcase_add_test(tc, test_times);
	tcase_add_test(tc, test_read_back);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
