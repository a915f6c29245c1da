/* Unit tests of sim/server/http.c: the request parser and Range. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/http.h"

static long
parse(srv_http_req *r, const char *s, int *status)
{
	return srv_http_parse(r, s, strlen(s), status);
}

START_TEST(test_simple_get)
{
	static const char req[] = "GET /manifest HTTP/1.1\r\nHost: updates.rotsim.test\r\n\r\n";
	srv_http_req r;
	int st;

	ck_assert_int_eq(parse(&r, req, &st), (long)strlen(req));
	ck_assert_str_eq(r.method, "GET");
	ck_assert_str_eq(r.target, "/manifest");
	ck_assert_str_eq(r.host, "updates.rotsim.test");
	ck_assert_int_eq(r.minor, 1);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_eq(r.has_range, 0);
	ck_assert_uint_eq(r.body_len, 0);
}
END_TEST

START_TEST(test_incomplete)
{
	static const char req[] = "POST /report HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789";
	srv_http_req r;
	size_t i;
	int st;

	/* Every proper prefix needs more bytes; the whole is one request. */
	for (i = 0; i < strlen(req); i++)
		ck_assert_msg(srv_http_parse(&r, req, i, &st) == 0, "prefix %zu", i);
	ck_assert_int_eq(parse(&r, req, &st), (long)strlen(req));
	ck_assert_uint_eq(r.body_len, 10);
	ck_assert_int_eq(memcmp(req + r.head_len, "0123456789", 10), 0);
}
END_TEST

START_TEST(test_pipelined_and_lf)
{
	static const char req[] = "\r\nGET /a HTTP/1.0\nConnection: keep-alive\n\nGET /b HTTP/1.1\n\n";
	srv_http_req r;
	long n;
	int st;

	n = parse(&r, req, &st);
	ck_assert_int_eq(n, (long)(strstr(req, "GET /b") - req));
	ck_assert_str_eq(r.target, "/a");
	ck_assert_int_eq(r.minor, 0);
	ck_assert_int_eq(r.keep_alive, 1);
	ck_assert_int_eq(parse(&r, req + n, &st), (long)strlen(req + n));
	ck_assert_str_eq(r.target, "/b");
}
END_TEST

START_TEST(test_connection)
{
	srv_http_req r;
	int st;

	ck_assert_int_gt(parse(&r, "GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n", &st), 0);
	ck_assert_int_eq(r.keep_alive, 0);
	ck_assert_int_gt(parse(&r, "GET / HTTP/1.0\r\n\r\n", &st), 0);
	ck_assert_int_eq(r.keep_alive, 0);
}
END_TEST

START_TEST(test_errors)
{
	static const struct { const char *req; int status; } v[] = {
		{ "GARBAGE\r\n\r\n", 400 },
		{ "GET\r\n\r\n", 400 },
		{ "GET /x\r\n\r\n", 400 },
		{ "GET x HTTP/1.1\r\n\r\n", 400 },
		{ "GET /x HTTP/2.0\r\n\r\n", 505 },
		{ "GET /x HTTP/1.2\r\n\r\n", 505 },
		{ "GET /x HTTP/1.1 \r\n\r\n", 400 },
		{ "GET /x y HTTP/1.1\r\n\r\n", 400 },
		{ "G(T /x HTTP/1.1\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nNo colon\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\n: empty name\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nA: b\rc\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400 },
		{ "GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
		{ "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501 },
		{ "POST /x HTTP/1.1\r\nContent-Length: 65537\r\n\r\n", 413 },
	};
	srv_http_req r;
	size_t i;
	int st;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		ck_assert_msg(parse(&r, v[i].req, &st) == -1, "accepted: %s", v[i].req);
		ck_assert_msg(st == v[i].status, "%s: status %d", v[i].req, st);
	}
}
END_TEST

START_TEST(test_limits)
{
	char *big = malloc(SRV_HTTP_MAX_HEAD + 100);
	srv_http_req r;
	int st;

	memset(big, 'a', SRV_HTTP_MAX_HEAD + 100);
	memcpy(big, "GET /x HTTP/1.1\r\nX: ", 20);
	ck_assert_int_eq(srv_http_parse(&r, big, SRV_HTTP_MAX_HEAD - 1, &st), 0);
	ck_assert_int_eq(srv_http_parse(&r, big, SRV_HTTP_MAX_HEAD + 100, &st), -1);
	ck_assert_int_eq(st, 431);
	memset(big, 'a', SRV_HTTP_MAX_HEAD + 100);
	memcpy(big, "GET /", 5);
	ck_assert_int_eq(srv_http_parse(&r, big, SRV_HTTP_MAX_HEAD + 100, &st), -1);
	ck_assert_int_eq(st, 414);
	free(big);
}
END_TEST

START_TEST(test_range)
{
	static const struct { const char *h; int ret; uint64_t first, last; } v[] = {
		{ "bytes=0-99", 1, 0, 99 },
		{ "bytes=100-", 1, 100, 999 },
		{ "bytes=-10", 1, 990, 999 },
		{ "bytes=-5000", 1, 0, 999 },
		{ "bytes=900-5000", 1, 900, 999 },
		{ "bytes=999-999", 1, 999, 999 },
		{ "bytes=1000-", -1, 0, 0 },
		{ "bytes=-0", -1, 0, 0 },
		{ "bytes=5-1", 0, 0, 0 },
		{ "bytes=0-1,5-6", 0, 0, 0 },
		{ "items=0-1", 0, 0, 0 },
		{ "bytes=a-b", 0, 0, 0 },
		{ "bytes=-", 0, 0, 0 },
		{ "BYTES=1-2", 1, 1, 2 },
	};
	char req[256];
	srv_http_req r;
	uint64_t f, l;
	size_t i;
	int st;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		snprintf(req, sizeof req, "GET /f HTTP/1.1\r\nRange: %s\r\n\r\n", v[i].h);
		ck_assert_int_gt(parse(&r, req, &st), 0);
		f = l = 12345;
		ck_assert_msg(srv_http_range(&r, 1000, &f, &l) == v[i].ret, "%s", v[i].h);
		if (v[i].ret == 1) {
			ck_assert_uint_eq(f, v[i].first);
			ck_assert_uint_eq(l, v[i].last);
		}
	}
	ck_assert_int_gt(parse(&r, "GET /f HTTP/1.1\r\n\r\n", &st), 0);
	ck_assert_int_eq(srv_http_range(&r, 1000, &f, &l), 0);
}
END_TEST

START_TEST(test_reason)
{
	ck_assert_str_eq(srv_http_reason(206), "Partial Content");
	ck_assert_str_eq(srv_http_reason(503), "Service Unavailable");
	ck_assert_str_eq(srv_http_reason(299), "Unknown");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_simple_get);
	tcase_add_test(tc, test_incomplete);
	tcase_add_test(tc, test_pipelined_and_lf);
	tcase_add_test(tc, test_connection);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_reason);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
