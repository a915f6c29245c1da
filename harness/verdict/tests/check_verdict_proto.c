/*
 * Unit tests of the verdict for devices on the files and hawkbit protocols,
 * driven by the fixtures under harness/verdict/tests/proto/: each folder
 * holds protocol.json, the server's events (events.jsonl, where a line
 * "HS N" stands for a completed handshake on connection N with a good chain)
 * and expect, whose lines say what the wire carried and what the verdict
 * must give:
 *   wire BYTES          application data to the device on the wire, spread
 *                       over one connection per "HS" line (0: no capture)
 *   boots N             run.json's boots
 *   console-N TEXT      a line of boot N's console
 *   observed OUTCOME    the outcome
 *   reported V          the reported version
 *   covered BYTES       the image bytes counted (each byte once)
 *   reason-has TEXT     a piece of the reason
 * The image is 1000 bytes of version 3; the device runs version 2.
 */
#include <check.h>
#include <dirent.h>
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
static unsigned char good_sha[32];

static const char hierarchy[] =
	"[root ca]\nsubject = CN=Test Root\nkey = p256\n"
	"not-before = 2024-01-01\nnot-after = 2030-01-01\n"
	"[leaf good]\nissuer = ca\nsubject = CN=updates.rotsim.test\nkey = p256\n"
	"not-before = 2024-06-01\nnot-after = +90d\nsan = dns:updates.rotsim.test\n"
	"[anchors roots]\ncerts = ca\n";

static void
put(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name), err[256];
	ck_assert_msg(util_write_atomic(p, text, strlen(text), 0644, err, sizeof err) == 0,
		"%s", err);
	free(p);
}

static char *
fixture_dir(void)
{
	const char *top = getenv("ROTSIM_TOP");
	return xasprintf("%s/harness/verdict/tests/proto", top ? top : ".");
}

static char *
read_text(const char *path)
{
	unsigned char *data;
	size_t len;
	char err[256];

	ck_assert_msg(util_read_file(path, &data, &len, err, sizeof err) == 0, "%s", err);
	data = xrealloc(data, len + 1);
	data[len] = 0;
	return (char *)data;
}

static void
setup(void)
{
	pki p;
	cfg_doc d;
	char err[512], *pkidir;
	const pki_cert *c;

	snprintf(dir, sizeof dir, "/tmp/rotsim-vproto-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	pkidir = xasprintf("%s/pki", dir);
	pki_init(&p);
	ck_assert_int_eq(cfg_parse(&d, "t.pki", hierarchy, strlen(hierarchy), err, sizeof err), 0);
	ck_assert_msg(pki_add_doc(&p, &d, 1, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(pki_build(&p, "verdict", NULL, NULL, NULL, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(pki_write(&p, pkidir, err, sizeof err) == 0, "%s", err);
	c = pki_find(&p, "good");
	util_sha256(good_sha, c->der, c->der_len);
	cfg_free(&d);
	pki_free(&p);
	free(pkidir);
	put("phase.json", "{\"scenario\":\"s\",\"device\":\"curl-files\",\"target\":\"native\","
		"\"phase\":\"after\",\"date\":\"2024-07-01T00:00:00Z\",\"power\":\"on\","
		"\"expected\":\"updated\",\"required\":true,\"offered_version\":3,"
		"\"version_before\":2,\"image_size\":1000,\"server_port\":4443,"
		"\"server_name\":\"updates.rotsim.test\",\"pki\":\"pki\",\"anchors\":[\"roots\"],"
		"\"pins\":null}\n");
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

/* The phase of fixture name, decided; the fixture's expect text in *expect. */
static void
run_fixture(const char *name, verdict_result *r, char **expect)
{
	char *fd = fixture_dir(), *p, *ev, *line, *save = NULL, hex[65], err[256];
	buf_t events = {0};
	int nflows = 0, boots = 1;
	long long wire = 0;
	evidence e;
	verdict_proto vp;

	p = xasprintf("%s/%s/protocol.json", fd, name);
	ev = read_text(p);
	put("protocol.json", ev);
	free(ev);
	free(p);
	p = xasprintf("%s/%s/expect", fd, name);
	*expect = read_text(p);
	free(p);
	/* The events, with the handshakes written out. */
	p = xasprintf("%s/%s/events.jsonl", fd, name);
	ev = read_text(p);
	free(p);
	util_hex(hex, good_sha, 32);
	for (line = strtok_r(ev, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		int conn;

		if (sscanf(line, "HS %d", &conn) == 1) {
			buf_printf(&events, "{\"event\":\"handshake\",\"conn\":%d,\"result\":\"ok\","
				"\"chain\":[\"%s\"]}\n", conn, hex);
			nflows++;
		} else {
			buf_printf(&events, "%s\n", line);
		}
	}
	free(ev);
	put("server-events.jsonl", buf_cstr(&events));
	buf_free(&events);
	/* What the expectations say of the run and the wire. */
	ev = xstrdup(*expect);
	save = NULL;
	for (line = strtok_r(ev, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		int k;

		if (sscanf(line, "wire %lld", &wire) == 1 || sscanf(line, "boots %d", &boots) == 1)
			continue;
		if (sscanf(line, "console-%d ", &k) == 1) {
			char *cn = xasprintf("console-%d.log", k), *t;

			p = xasprintf("%s/%s", dir, cn);
			t = strchr(line, ' ') + 1;
			FILE *f = fopen(p, "a");
			ck_assert_ptr_nonnull(f);
			fprintf(f, "%s\n", t);
			fclose(f);
			free(p);
			free(cn);
		}
	}
	free(ev);
	p = xasprintf("{\"boots\":%d,\"exits\":[],\"error\":null,\"interrupted\":false}\n", boots);
	put("run.json", p);
	free(p);
	ck_assert_msg(evidence_load(dir, &e, err, sizeof err) == 0, "%s", err);
	if (wire > 0 && nflows > 0) {
		/* A capture that shows one TLS connection per handshake. */
		int i;

		e.caps = xcalloc(1, sizeof *e.caps);
		e.ncaps = 1;
		e.caps[0].name = xstrdup("capture.pcap");
		e.caps[0].ok = 1;
		e.caps[0].rep.flows = xcalloc((size_t)nflows, sizeof(cap_flow));
		e.caps[0].rep.n_flows = (size_t)nflows;
		for (i = 0; i < nflows; i++) {
			cap_flow *f = &e.caps[0].rep.flows[i];

			f->family = 4;
			f->port[CAP_C2S] = (uint16_t)(40000 + i);
			f->port[CAP_S2C] = 4443;
			f->tls.client_hello.seen = 1;
			f->tls.finished[CAP_C2S] = f->tls.finished[CAP_S2C] = 1;
			f->app_bytes[CAP_C2S] = 100;
			f->app_bytes[CAP_S2C] = (uint64_t)wire / (uint64_t)nflows
				+ (i == 0 ? (uint64_t)wire % (uint64_t)nflows : 0);
		}
	}
	verdict_proto_load(dir, &vp);
	verdict_decide_proto(&e, NULL, &vp, r);
	verdict_proto_free(&vp);
	evidence_free(&e);
	free(fd);
	/* The next fixture starts clean. */
	{
		char *cmd = xasprintf("rm -f %s/console-*.log", dir);
		ck_assert_int_eq(system(cmd), 0);
		free(cmd);
	}
}

/* Check r against the fixture's expectations; returns how many were
 * checked (each fixture must check something). */
static int
check_expect(const char *name, const verdict_result *r, const char *expect)
{
	char *ev = xstrdup(expect), *line, *save = NULL;
	int checked = 0;

	for (line = strtok_r(ev, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char word[32];
		long v;

		if (strncmp(line, "observed ", 9) == 0) {
			ck_assert_msg(strcmp(scn_outcome_name(r->observed), line + 9) == 0,
				"%s: observed %s, expected %s (%s)", name,
				scn_outcome_name(r->observed), line + 9, r->reason);
			checked++;
		} else if (sscanf(line, "reported %ld", &v) == 1) {
			ck_assert_msg(r->reported_version == v, "%s: reported %ld, expected %ld",
				name, r->reported_version, v);
			checked++;
		} else if (sscanf(line, "covered %ld", &v) == 1) {
			ck_assert_msg(r->image_bytes_sent == (uint64_t)v, "%s: covered %llu, "
				"expected %ld", name, (unsigned long long)r->image_bytes_sent, v);
			checked++;
		} else if (strncmp(line, "reason-has ", 11) == 0) {
			ck_assert_msg(strstr(r->reason, line + 11) != NULL, "%s: reason \"%s\" "
				"lacks \"%s\"", name, r->reason, line + 11);
			checked++;
		} else if (sscanf(line, "%31s", word) == 1 && strcmp(word, "wire") != 0
			&& strcmp(word, "boots") != 0 && strncmp(word, "console-", 8) != 0) {
			ck_abort_msg("%s: unknown expectation \"%s\"", name, line);
		}
	}
	free(ev);
	return checked;
}

START_TEST(test_fixtures)
{
	char *fd = fixture_dir();
	DIR *d = opendir(fd);
	struct dirent *de;
	int n = 0;

	ck_assert_msg(d != NULL, "no fixtures at %s", fd);
	while ((de = readdir(d)) != NULL) {
		verdict_result r;
		char *expect;

		if (de->d_name[0] == '.')
			continue;
		run_fixture(de->d_name, &r, &expect);
		ck_assert_msg(check_expect(de->d_name, &r, expect) >= 2,
			"%s: expect checks too little", de->d_name);
		free(expect);
		n++;
	}
	closedir(d);
	free(fd);
	ck_assert_int_ge(n, 17);
}
END_TEST

START_TEST(test_updated_needs_the_capture)
{
	/* The server's word for a complete image and a check-in, no capture. */
	verdict_result r;
	char *expect;

	run_fixture("files-complete-signal", &r, &expect);
	ck_assert_str_eq(scn_outcome_name(r.observed), "updated");
	free(expect);
	/* The same evidence without the capture. */
	{
		evidence e;
		verdict_proto vp;
		char err[256];

		ck_assert_int_eq(evidence_load(dir, &e, err, sizeof err), 0);
		verdict_proto_load(dir, &vp);
		verdict_decide_proto(&e, NULL, &vp, &r);
		ck_assert_str_eq(scn_outcome_name(r.observed), "error");
		ck_assert_ptr_nonnull(strstr(r.reason, "evidence incomplete"));
		verdict_proto_free(&vp);
		evidence_free(&e);
	}
}
END_TEST

START_TEST(test_rotsim_phase_unchanged)
{
	/* No protocol.json and a server that names no protocol: rotsim's rules. */
	verdict_proto vp;
	const char *events = "{\"event\":\"listen\",\"address\":\"127.0.0.1:1\"}\n";

	verdict_proto_parse(&vp, NULL, 0, events, strlen(events));
	ck_assert_int_eq(vp.protocol, VPROTO_ROTSIM);
	ck_assert_ptr_null(vp.problem);
	verdict_proto_free(&vp);
	verdict_proto_parse(&vp, "{\"protocol\":\"ftp\"}", 18, NULL, 0);
	ck_assert_ptr_nonnull(vp.problem);
	verdict_proto_free(&vp);
	verdict_proto_parse(&vp, "{\"protocol\":\"files\",\"signal\":\"led:green\"}", 41, NULL, 0);
	ck_assert_ptr_nonnull(strstr(vp.problem, "led:green"));
	verdict_proto_free(&vp);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("verdict-proto");
	TCase *tc = tcase_create("protocols");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_fixtures);
	tcase_add_test(tc, test_updated_needs_the_capture);
	tcase_add_test(tc, test_rotsim_phase_unchanged);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
