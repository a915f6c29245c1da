/*
 * Unit tests of the verdict's rules on crafted evidence without a capture:
 * what counts as current, rejected, unreachable and error, that the device's
 * word alone never makes an update, and that the server's word alone makes
 * neither an update nor an insecure device (evidence incomplete). The rules
 * that need the wire are tested on real captures in harness/evidence/tests.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/util.h"
#include "pki/pki.h"
#include "verdict/verdict.h"

static char dir[64];
/* Handshake events with the chain of a good leaf and of a rogue one. */
static char hs_ok[512], hs_rogue[512];

static const char hierarchy[] =
	"[root ca]\nsubject = CN=Test Root\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2030-01-01\n"
	"[root rogue]\nsubject = CN=Test Root\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2030-01-01\n"
	"[leaf good]\nissuer = ca\nsubject = CN=updates.rotsim.test\nkey = p256\n"
	"not-before = 2024-06-01\nnot-after = +90d\nsan = dns:updates.rotsim.test\n"
	"[leaf bad]\nissuer = rogue\nsubject = CN=updates.rotsim.test\nkey = p256\n"
	"not-before = 2024-06-01\nnot-after = +90d\nsan = dns:updates.rotsim.test\n"
	"[anchors roots]\ncerts = ca\n";

static void
hs_event(char *out, size_t len, const pki *p, const char *leaf)
{
	unsigned char h[32];
	char hex[65];
	const pki_cert *c = pki_find(p, leaf);
	util_sha256(h, c->der, c->der_len);
	snprintf(out, len, "{\"event\":\"handshake\",\"conn\":1,\"result\":\"ok\","
		"\"chain\":[\"%s\"]}\n", util_hex(hex, h, 32));
}

static void
put(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name), err[256];
	ck_assert_int_eq(util_write_atomic(p, text, strlen(text), 0644, err, sizeof err), 0);
	free(p);
}

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/rotsim-verdict-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	/* The case's PKI, as the runner writes it beside the evidence. */
	pki p;
	cfg_doc d;
	char err[512], *pkidir = xasprintf("%s/pki", dir);
	pki_init(&p);
	ck_assert_int_eq(cfg_parse(&d, "t.pki", hierarchy, strlen(hierarchy), err, sizeof err), 0);
	ck_assert_msg(pki_add_doc(&p, &d, 1, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(pki_build(&p, "verdict", NULL, NULL, NULL, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(pki_write(&p, pkidir, err, sizeof err) == 0, "%s", err);
	hs_event(hs_ok, sizeof hs_ok, &p, "good");
	hs_event(hs_rogue, sizeof hs_rogue, &p, "bad");
	cfg_free(&d);
	pki_free(&p);
	free(pkidir);
	put("phase.json", "{\"scenario\":\"s\",\"device\":\"root-x1\",\"target\":\"native\","
		"\"phase\":\"after\",\"date\":\"2024-07-01T00:00:00Z\",\"power\":\"on\","
		"\"expected\":\"updated\",\"required\":true,\"offered_version\":3,"
		"\"version_before\":2,\"image_size\":1000,\"server_port\":4443,"
		"\"server_name\":\"updates.rotsim.test\",\"pki\":\"pki\",\"anchors\":[\"roots\"],"
		"\"pins\":null}\n");
	put("run.json", "{\"boots\":2,\"exits\":[],\"error\":null,\"interrupted\":false}\n");
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

#define IMG(n) "{\"event\":\"request\",\"conn\":1,\"method\":\"GET\"," \
	"\"path\":\"/firmware/image-3.bin\",\"status\":200,\"bytes\":" #n "}\n"
#define REPORT(v) "{\"event\":\"request\",\"conn\":2,\"method\":\"POST\",\"path\":\"/report\"," \
	"\"status\":200,\"bytes\":3,\"report\":\"rotsim-report 1\\ndevice root-x1\\nversion " \
	#v "\\nstatus current\\n\"}\n"

/* Events: a handshake line, then the rest. */
static void
events(const char *hs, const char *rest)
{
	char *t = xasprintf("%s%s", hs, rest);
	put("server-events.jsonl", t);
	free(t);
}

static verdict_result
decide(void)
{
	verdict_result r;
	char err[256];
	ck_assert_msg(verdict_phase(dir, &r, err, sizeof err) == 0, "%s", err);
	return r;
}

START_TEST(test_updated_needs_the_wire)
{
	/* Everything the server can say about an update, but no capture. */
	events(hs_ok, IMG(600) IMG(400) REPORT(3));
	verdict_result r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "error");
	ck_assert(!r.pass);
	ck_assert_uint_eq(r.image_bytes_sent, 1000);
	ck_assert_int_eq(r.reported_version, 3);
	ck_assert_ptr_nonnull(strstr(r.reason, "evidence incomplete: no capture file"));
	ck_assert_ptr_nonnull(strstr(r.reason, "would make it updated"));
	ck_assert(!r.capture_ok);
}
END_TEST

START_TEST(test_claim_without_image_is_not_an_update)
{
	/* The device says it runs version 3, but no image byte was sent. */
	events(hs_ok, REPORT(3));
	verdict_result r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "current");
	ck_assert(!r.pass);
	ck_assert_ptr_nonnull(strstr(r.reason, "not counted as updated"));
	/* Half an image and the same claim: still not an update. */
	events(hs_ok, IMG(500) REPORT(3));
	r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "current");
}
END_TEST

START_TEST(test_image_but_old_version_is_current)
{
	/* A corrupted image: downloaded, refused, still running version 2. */
	events(hs_ok, IMG(1000) REPORT(2));
	put("console.log", "rotsim: image result=rejected reason=sha256\n"
		"rotsim: done result=rejected version=2 reason=image-sha256 exit=3\n");
	verdict_result r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "current");
	ck_assert_ptr_nonnull(strstr(r.reason, "did not install version 3"));
	ck_assert_ptr_nonnull(strstr(r.reason, "image-sha256"));
}
END_TEST

START_TEST(test_rejected_with_alert)
{
	put("server-events.jsonl", "{\"event\":\"handshake\",\"conn\":1,\"result\":\"failed\","
		"\"chain\":[],\"alert\":48,\"alert_name\":\"unknown_ca\",\"alert_from\":\"client\"}\n");
	put("console.log", "rotsim: tls result=failed err=BR_ERR_X509_NOT_TRUSTED code=62\n");
	verdict_result r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "rejected");
	ck_assert_str_eq(r.alert, "unknown_ca");
	ck_assert_str_eq(r.device_error, "BR_ERR_X509_NOT_TRUSTED");
	ck_assert_ptr_nonnull(strstr(r.reason, "device sent alert unknown_ca"));
}
END_TEST

START_TEST(test_unreachable_and_errors)
{
	put("server-events.jsonl", "{\"event\":\"listen\"}\n");
	verdict_result r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "unreachable");
	/* An infrastructure error wins over whatever else is there. */
	put("run.json", "{\"boots\":0,\"error\":\"the update server did not start\","
		"\"interrupted\":false}\n");
	r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "error");
	ck_assert_str_eq(r.reason, "the update server did not start");
	put("run.json", "{\"boots\":1,\"error\":null,\"interrupted\":true}\n");
	r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "interrupted");
	/* No run.json at all: the phase never ran. */
	char *p = xasprintf("%s/run.json", dir);
	unlink(p);
	free(p);
	r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "error");
}
END_TEST

START_TEST(test_accepting_a_refused_chain_is_insecure)
{
	/* The device completed the handshake with a chain its anchors refuse. */
	events(hs_rogue, IMG(1000) REPORT(3));
	verdict_result r = decide();
	/* No capture: insecure on the server's word alone is an error. */
	ck_assert_str_eq(scn_outcome_name(r.observed), "error");
	ck_assert_ptr_nonnull(strstr(r.reason, "would make it insecure"));
	ck_assert_str_eq(r.reference, "BR_ERR_X509_NOT_TRUSTED");
	ck_assert_str_eq(r.chain_text, "bad");
	/* The good chain at a date after it expired: refused too. */
	char *p = xasprintf("%s/phase.json", dir);
	unsigned char *data;
	size_t len;
	char err[256];
	ck_assert_int_eq(util_read_file(p, &data, &len, err, sizeof err), 0);
	char *q = strstr((char *)data, "2024-07-01");
	memcpy(q, "2029-07-01", 10);
	put("phase.json", (char *)data);
	free(data);
	free(p);
	events(hs_ok, IMG(1000) REPORT(3));
	r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "error");
	ck_assert_ptr_nonnull(strstr(r.reason, "would make it insecure"));
	ck_assert_str_eq(r.reference, "BR_ERR_X509_EXPIRED");
	/* A refused chain and no request: the device refused it after the
	 * handshake, which needs no wire to tell. */
	events(hs_rogue, "");
	r = decide();
	ck_assert_str_eq(scn_outcome_name(r.observed), "rejected");
	ck_assert_ptr_nonnull(strstr(r.reason, "closed without a request"));
}
END_TEST

START_TEST(test_broken_event_lines_are_skipped)
{
	/* A server killed mid-write leaves half a line; the rest still counts. */
	events(hs_ok, IMG(1000) "{\"event\":\"requ" "\n" REPORT(3));
	verdict_result r = decide();
	ck_assert_uint_eq(r.image_bytes_sent, 1000);
	ck_assert_int_eq(r.reported_version, 3);
}
END_TEST

START_TEST(test_not_a_phase)
{
	verdict_result r;
	char err[256];
	ck_assert_int_eq(verdict_phase("/nonexistent/phase", &r, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "phase.json"));
	put("phase.json", "{not json");
	ck_assert_int_eq(verdict_phase(dir, &r, err, sizeof err), -1);
}
END_TEST

START_TEST(test_json_and_line)
{
	events(hs_ok, IMG(1000) REPORT(3));
	verdict_result r = decide();
	buf_t b = {0};
	ev_record_line(&r, &b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "s root-x1 @ after (2024-07-01): error: "));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "expected updated: FAIL"));
	b.len = 0;
	ev_set(r.evidence, sizeof r.evidence, "cases/x");
	ev_record_json(&r, &b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "\"observed\":\"error\""));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "\"evidence\":\"cases/x\""));
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verdict");
	TCase *tc = tcase_create("rules");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_updated_needs_the_wire);
	tcase_add_test(tc, test_claim_without_image_is_not_an_update);
	tcase_add_test(tc, test_image_but_old_version_is_current);
	tcase_add_test(tc, test_rejected_with_alert);
	tcase_add_test(tc, test_unreachable_and_errors);
	tcase_add_test(tc, test_accepting_a_refused_chain_is_insecure);
	tcase_add_test(tc, test_broken_event_lines_are_skipped);
	tcase_add_test(tc, test_not_a_phase);
	tcase_add_test(tc, test_json_and_line);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
