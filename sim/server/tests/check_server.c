/* Unit tests of the update server that need no network: the name tables, the
 * fault grammar as srv_add_fault reports it, and the firmware directory and
 * manifest. (The escaper is tested in sim/common/tests/check_json.c.) */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "server/srv.h"
#include "server/srv_int.h"

START_TEST(test_names)
{
	ck_assert_str_eq(srv_alert_name(48), "unknown_ca");
	ck_assert_str_eq(srv_alert_name(45), "certificate_expired");
	ck_assert_ptr_null(srv_alert_name(255));
	ck_assert_str_eq(srv_error_name(27), "BR_ERR_BAD_SIGNATURE");
	ck_assert_str_eq(srv_suite_name(0xC02F), "ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_str_eq(srv_suite_name(0x009C), "RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_ptr_null(srv_suite_name(0x1234));
	/* Every suite the server offers is named by the one suite table. */
	size_t n, i;
	const uint16_t *offered = srv_suites(&n);
	ck_assert_uint_ge(n, 10);
	for (i = 0; i < n; i++)
		ck_assert_msg(srv_suite_name(offered[i]) != NULL, "suite 0x%04x has no name",
			offered[i]);
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
		{ "http=200", "fault \"http=200\": http: 200 is not in 400..599" },
		{ "http=503,retry-after", "needs a value" },
		{ "http=503,path=manifest", "must start with /" },
		{ "stall=0", "stall: 0 is not in 1..86400" },
		{ "corrupt-byte=1,count=2", "no option \"count\"" },
		{ "drop-intermediate,x=1", "no option \"x\"" },
	};
	srv_server s;
	char err[256];
	size_t i;

	srv_init(&s);
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(srv_add_fault(&s, good[i], err, sizeof err) == 0, "%s: %s", good[i], err);
	ck_assert_uint_eq(s.nfaults, sizeof good / sizeof good[0]);
	ck_assert_uint_eq(s.faults[5].f.count, 1);	/* close-after: once by default */
	ck_assert_uint_eq(s.faults[6].f.count, 0);
	ck_assert_uint_eq(s.faults[8].f.at, 100);
	ck_assert_int_eq(s.faults[13].f.retry_after, 30);
	ck_assert_str_eq(s.faults[13].f.path, "/manifest");
	ck_assert_str_eq(s.faults[4].f.key, "/k.pem");
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

/* --image-file: the offered version served as another file's bytes, under
 * its name, at the image path, with .sha256 describing those bytes. */
START_TEST(test_image_file)
{
	char dir[] = "/tmp/check_server.XXXXXX", err[256], hex[65], *img, *bundle, *want;
	static const char bytes[] = "a bundle of version 2";
	unsigned char h[32];
	srv_server s;
	fw_key k;
	size_t i;
	int seen = 0;

	ck_assert(mkdtemp(dir) != NULL);
	ck_assert(fw_key_generate(&k, err, sizeof err) == 0);
	img = xasprintf("%s/image-2.bin", dir);
	bundle = xasprintf("%s/update.swu", dir);
	ck_assert(util_write_atomic(img, "raw", 3, 0644, err, sizeof err) == 0);
	srv_init(&s);
	ck_assert(srv_set_protocol(&s, "files", "/firmware/update.swu", NULL, NULL, err,
		sizeof err) == 0);
	srv_set_image_file(&s, bundle);
	ck_assert_int_eq(srv_set_firmware(&s, dir, &k, err, sizeof err), -1);
	ck_assert(strstr(err, "update.swu") != NULL);
	srv_free(&s);
	ck_assert(util_write_atomic(bundle, bytes, sizeof bytes - 1, 0644, err, sizeof err) == 0);
	srv_init(&s);
	ck_assert(srv_set_protocol(&s, "files", "/firmware/update.swu", NULL, NULL, err,
		sizeof err) == 0);
	srv_set_image_file(&s, bundle);
	ck_assert_msg(srv_set_firmware(&s, dir, &k, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(s.offered->name, "image-2.bin");
	ck_assert_uint_eq(s.offered->len, sizeof bytes - 1);
	util_sha256(h, (const unsigned char *)bytes, sizeof bytes - 1);
	want = xasprintf("%s  update.swu\n", util_hex(hex, h, 32));
	for (i = 0; i < s.nfiles; i++) {
		const srv_file *f = &s.files[i];
		if (strcmp(f->path, "/firmware/update.swu") == 0
			|| strcmp(f->path, "/firmware/image-2.bin") == 0) {
			ck_assert(f->image == s.offered);
			ck_assert(f->len == sizeof bytes - 1 && memcmp(f->data, bytes, f->len) == 0);
			seen++;
		}
		if (strcmp(f->path, "/firmware/update.swu.sha256") == 0) {
			ck_assert(f->len == strlen(want) && memcmp(f->data, want, f->len) == 0);
			seen++;
		}
	}
	ck_assert_int_eq(seen, 3);
	srv_free(&s);
	unlink(img);
	unlink(bundle);
	rmdir(dir);
	free(img);
	free(bundle);
	free(want);
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

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
		+ (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * Out of descriptors: a client waits in the listen queue but accept4 fails
 * with EMFILE. The server must rest rather than retry at once (which spins a
 * core at 100 % until a descriptor frees), and say so in the event log.
 */
START_TEST(test_emfile_backoff)
{
	char dir[] = "/tmp/check_server_ev.XXXXXX", ev[64], bound[96], err[256], *text = NULL;
	struct rlimit rl = { 48, 48 };
	struct sockaddr_in a;
	srv_server s;
	size_t len = 0;
	double cpu;
	int cl, port, d, first = -1;

	/* The server creates its event log: a new file in a fresh directory. */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ev, sizeof ev, "%s/events.jsonl", dir);
	srv_init(&s);
	ck_assert_int_eq(srv_open_events(&s, ev, err, sizeof err), 0);
	ck_assert_msg(srv_listen(&s, "127.0.0.1:0", bound, sizeof bound, err, sizeof err) == 0,
		"%s", err);
	port = atoi(strrchr(bound, ':') + 1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(cl = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(cl, (struct sockaddr *)&a, sizeof a), 0);
	/* Every descriptor left is taken. */
	while ((d = dup(0)) >= 0)
		if (first < 0)
			first = d;
	ck_assert_int_eq(errno, EMFILE);
	signal(SIGALRM, on_alarm);
	alarm(2);
	cpu = cpu_seconds();
	ck_assert_int_eq(srv_run(&s, &stop_flag, NULL, err, sizeof err), 0);
	cpu = cpu_seconds() - cpu;
	ck_assert_msg(cpu < 0.5, "the server spun: %.2f s of CPU in 2 s", cpu);
	ck_assert_uint_ge(s.stat_accept_errors, 2);
	ck_assert_uint_le(s.stat_accept_errors, 40);
	ck_assert_uint_eq(s.nconns, 0);
	for (d = first; d >= 0 && d < 48; d++)
		close(d);
	close(cl);
	fflush(s.events);
	ck_assert_int_eq(util_read_file(ev, (unsigned char **)&text, &len, err, sizeof err), 0);
	ck_assert_msg(memmem(text, len, "\"event\":\"accept-paused\"", 23) != NULL, "%.*s",
		(int)len, text);
	free(text);
	srv_free(&s);
	unlink(ev);
	rmdir(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("server");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_fault_grammar);
	tcase_add_test(tc, test_firmware_dir);
	tcase_add_test(tc, test_image_file);
	tcase_add_test(tc, test_no_default_chain);
	tcase_add_test(tc, test_emfile_backoff);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
