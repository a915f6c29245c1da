/*
 * Tests of harness/evidence and of the verdict on real evidence.
 *
 * Every folder under harness/evidence/tests/cases/ is the evidence of one
 * phase (taken from real runs, some of it then cut or contradicted on
 * purpose), with a file "expected" beside it:
 *   outcome NAME          the outcome the verdict must decide
 *   reason TEXT           (any number) text the reason must contain
 * One test walks them all. The codecs, the text cleaning and the results
 * writer (junit.xml must stay valid XML whatever a console prints) are
 * tested on their own below.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/util.h"
#include "evidence/evidence.h"
#include "verdict/verdict.h"

static char *
cases_dir(void)
{
	const char *top = getenv("ROTSIM_TOP");
	return xasprintf("%s/harness/evidence/tests/cases", top ? top : ".");
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case folders, sorted. */
static char **
case_names(size_t *n)
{
	char *dir = cases_dir();
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	ck_assert_msg(d != NULL, "%s: cannot open", dir);
	while ((de = readdir(d)) != NULL) {
		char *p;
		if (de->d_name[0] == '.')
			continue;
		p = xasprintf("%s/%s/expected", dir, de->d_name);
		if (access(p, R_OK) == 0) {
			v = xrealloc(v, (*n + 1) * sizeof *v);
			v[(*n)++] = xstrdup(de->d_name);
		}
		free(p);
	}
	closedir(d);
	free(dir);
	qsort(v, *n, sizeof *v, by_name);
	return v;
}

/* Decide one case and compare with its expected file; "" when it agrees,
 * else what differs (allocated). */
static char *
check_case(const char *name, verdict_result *out)
{
	char *dir = cases_dir(), *cdir = xasprintf("%s/%s", dir, name);
	char *exp = xasprintf("%s/expected", cdir), err[512], *line, *save = NULL;
	unsigned char *data;
	size_t len;
	verdict_result r;
	buf_t why = {0};
	int have_outcome = 0;

	if (util_read_file(exp, &data, &len, err, sizeof err) != 0) {
		buf_printf(&why, "%s", err);
		goto out;
	}
	if (verdict_phase(cdir, &r, err, sizeof err) != 0) {
		buf_printf(&why, "verdict_phase: %s", err);
		free(data);
		goto out;
	}
	if (out != NULL)
		*out = r;
	for (line = strtok_r((char *)data, "\n", &save); line != NULL;
		line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "outcome ", 8) == 0) {
			have_outcome = 1;
			if (strcmp(line + 8, scn_outcome_name(r.observed)) != 0)
				buf_printf(&why, "outcome %s, want %s; ", scn_outcome_name(r.observed),
					line + 8);
		} else if (strncmp(line, "reason ", 7) == 0) {
			if (strstr(r.reason, line + 7) == NULL)
				buf_printf(&why, "reason lacks \"%s\"; ", line + 7);
		} else if (line[0] != '#' && line[0] != 0) {
			buf_printf(&why, "expected: bad line \"%s\"; ", line);
		}
	}
	if (!have_outcome)
		buf_printf(&why, "expected: no outcome line; ");
	if (why.len)
		buf_printf(&why, "(reason: %s)", r.reason);
	free(data);
out:
	free(dir);
	free(cdir);
	free(exp);
	return xstrdup(why.len ? buf_cstr(&why) : "");
}

START_TEST(test_cases)
{
	size_t n, i, failed = 0;
	char **names = case_names(&n);

	ck_assert_msg(n >= 12, "only %zu evidence cases", n);
	for (i = 0; i < n; i++) {
		char *why = check_case(names[i], NULL);
		if (why[0]) {
			fprintf(stderr, "case %s: %s\n", names[i], why);
			failed++;
		}
		free(why);
		free(names[i]);
	}
	free(names);
	ck_assert_msg(failed == 0, "%zu evidence case(s) decided wrongly (see above)", failed);
}
END_TEST

/* The verdict is pure: the same evidence, decided twice, gives the same
 * record, and a loaded evidence value can be decided without its folder. */
START_TEST(test_decide_is_pure)
{
	char *dir = cases_dir(), *cdir = xasprintf("%s/updated", dir), err[256];
	evidence ev;
	verdict_result a, b;

	ck_assert_msg(evidence_load(cdir, &ev, err, sizeof err) == 0, "%s", err);
	verdict_decide(&ev, &a);
	verdict_decide(&ev, &b);
	ck_assert(memcmp(&a, &b, sizeof a) == 0);
	ck_assert_int_eq(a.observed, OUT_UPDATED);
	ck_assert_int_eq(ev.ncaps, 1);
	ck_assert(ev.caps[0].ok);
	evidence_free(&ev);
	free(cdir);
	free(dir);
}
END_TEST

START_TEST(test_not_a_phase)
{
	evidence ev;
	char err[256];

	ck_assert_int_eq(evidence_load("/nonexistent/phase", &ev, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "phase.json"));
	evidence_free(&ev);
}
END_TEST

static char tmp[64];

static void
mktmp(void)
{
	snprintf(tmp, sizeof tmp, "/tmp/rotsim-evidence-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
}

static void
rmtmp(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmp);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}

START_TEST(test_plan_and_run_round_trip)
{
	ev_plan p, q;
	ev_run r, s;
	char err[256];
	char *faults[] = { "stall=3" }, *anchors[] = { "x1-only", "x1+x2" };
	char *exits[] = { "exit 10", "exit 0" };

	mktmp();
	memset(&p, 0, sizeof p);
	p.scenario = "s";
	p.device = "d";
	p.target = "native";
	p.phase = "after";
	p.date = "2024-07-01T00:00:00Z";
	p.power_on = 1;
	p.expected = OUT_REJECTED;
	p.required = 0;
	p.why = "a \"reason\"\n";
	p.offered_version = 3;
	p.version_before = 2;
	p.image_size = 1000;
	p.server_port = 443;
	p.server_name = "updates.rotsim.test";
	p.leaf = "leaf-r10";
	p.faults = faults;
	p.nfaults = 1;
	p.pki = "../pki";
	p.trust = "factory";
	p.anchors = anchors;
	p.nanchors = 2;
	p.case_index = 7;
	p.phase_index = 1;
	ck_assert_msg(ev_plan_write(&p, tmp, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(ev_plan_read(&q, tmp, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(q.scenario, "s");
	ck_assert_str_eq(q.why, "a \"reason\"\n");
	ck_assert_int_eq(q.expected, OUT_REJECTED);
	ck_assert_int_eq(q.required, 0);
	ck_assert_int_eq(q.image_size, 1000);
	ck_assert_int_eq(q.nanchors, 2);
	ck_assert_str_eq(q.anchors[1], "x1+x2");
	ck_assert_ptr_null(q.pins);
	ck_assert_ptr_null(q.variant);
	ck_assert_int_eq(q.case_index, 7);
	ck_assert_int_eq(q.phase_index, 1);
	ev_plan_free(&q);

	memset(&r, 0, sizeof r);
	r.boots = 2;
	r.exits = exits;
	r.nexits = 2;
	r.capture_error = "lo: permission denied";
	r.duration_ms = 1234;
	ck_assert_msg(ev_run_write(&r, tmp, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(ev_run_read(&s, tmp, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(s.boots, 2);
	ck_assert_int_eq(s.nexits, 2);
	ck_assert_str_eq(s.exits[0], "exit 10");
	ck_assert_ptr_null(s.error);
	ck_assert_str_eq(s.capture_error, "lo: permission denied");
	ck_assert_int_eq(s.duration_ms, 1234);
	ev_run_free(&s);

	/* A write that cannot happen is an error with the path, not silence. */
	ck_assert_int_eq(ev_run_write(&r, "/nonexistent/dir", err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/dir/run.json"));
	ck_assert_int_eq(ev_plan_write(&p, "/nonexistent/dir", err, sizeof err), -1);
	rmtmp();
}
END_TEST

START_TEST(test_record_round_trip)
{
	ev_record r, q;
	ev_summary s;
	buf_t b = {0};
	char err[256];

	ev_record_init(&r);
	strcpy(r.scenario, "s");
	strcpy(r.device, "d");
	strcpy(r.target, "native");
	strcpy(r.phase, "p");
	r.case_index = 12;
	r.phase_index = 3;
	r.observed = OUT_INSECURE;
	r.expected = OUT_REJECTED;
	strcpy(r.reason, "why \x01");
	strcpy(r.why, "because");
	strcpy(r.evidence, "cases/s/d@native/04-p");
	buf_puts(&b, "{\"seed\":\"x\",\"records\":[");
	ev_record_json(&r, &b);
	buf_puts(&b, "]}");
	ck_assert_msg(ev_summary_parse(&s, "t", (char *)b.data, b.len, err, sizeof err) == 0,
		"%s", err);
	ck_assert_int_eq(s.n, 1);
	q = s.recs[0];
	ck_assert_int_eq(q.case_index, 12);
	ck_assert_int_eq(q.phase_index, 3);
	ck_assert_int_eq(q.observed, OUT_INSECURE);
	ck_assert_int_eq(q.expected, OUT_REJECTED);
	ck_assert_str_eq(q.why, "because");
	ck_assert_str_eq(q.evidence, "cases/s/d@native/04-p");
	ck_assert_str_eq(json_get_str(s.doc, "seed"), "x");
	ev_summary_free(&s);
	/* An older record, without indexes: -1, and the rest as before. */
	const char old[] = "{\"records\":[{\"scenario\":\"s\",\"device\":\"d\",\"phase\":\"p\","
		"\"observed\":\"updated\",\"verdict\":\"pass\"}]}";
	ck_assert_int_eq(ev_summary_parse(&s, "t", old, strlen(old), err, sizeof err), 0);
	ck_assert_int_eq(s.recs[0].case_index, -1);
	ck_assert_int_eq(s.recs[0].observed, OUT_UPDATED);
	ck_assert(s.recs[0].pass);
	ev_summary_free(&s);
	const char bad[] = "{\"records\":[{\"device\":\"d\"}]}";
	ck_assert_int_eq(ev_summary_parse(&s, "t.json", bad, strlen(bad), err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "t.json: record 1"));
	buf_free(&b);
}
END_TEST

START_TEST(test_set_marks_a_cut)
{
	char small[16];

	ck_assert_int_eq(ev_set(small, sizeof small, "%s", "short"), 0);
	ck_assert_str_eq(small, "short");
	ck_assert_int_eq(ev_set(small, sizeof small, "%s", "a text far too long for it"), -1);
	ck_assert_int_eq(strlen(small), sizeof small - 1);
	ck_assert_str_eq(small + strlen(small) - 5, "[...]");
}
END_TEST

START_TEST(test_xml_text)
{
	buf_t b = {0};
	/* Colour, a bell, a NUL-free control byte, a bad byte, valid UTF-8. */
	const char in[] = "\x1b[1;31merr\x1b[0m <a> & \x07\x01\xff caf\xc3\xa9 \xe2\x82\xac"
		"\x1b]0;title\x07 end \xef\xbf\xbe!";
	ev_xml_escape(&b, in, strlen(in));
	ck_assert_str_eq(buf_cstr(&b), "err &lt;a&gt; &amp; \xef\xbf\xbd caf\xc3\xa9 \xe2\x82\xac"
		" end !");
	b.len = 0;
	const char col[] = "\x1b[32mrotsim: done\x1b[0m\r\n";
	ev_clean_text(&b, col, strlen(col));
	ck_assert_str_eq(buf_cstr(&b), "rotsim: done\n");
	b.len = 0;
	/* Truncated sequences at the end of the input. */
	ev_xml_escape(&b, "a\x1b[12", 5);
	ev_xml_escape(&b, "b\xe2\x82", 3);
	ck_assert_str_eq(buf_cstr(&b), "ab\xef\xbf\xbd\xef\xbf\xbd");
	buf_free(&b);
}
END_TEST

/* Does the file contain the byte c? */
static int
file_has_byte(const char *path, int c)
{
	unsigned char *data;
	size_t len;
	char err[256];
	int r;

	ck_assert_msg(util_read_file(path, &data, &len, err, sizeof err) == 0, "%s", err);
	r = memchr(data, c, len) != NULL;
	free(data);
	return r;
}

/* junit.xml of every case, the coloured console among them, parsed by an XML
 * parser. */
START_TEST(test_junit_is_xml)
{
	size_t n, i;
	char **names = case_names(&n), *dir = cases_dir(), err[512];
	ev_record *recs = xcalloc(n, sizeof *recs);

	mktmp();
	for (i = 0; i < n; i++) {
		char *why = check_case(names[i], &recs[i]), *from, *to, *sub;
		unsigned char *data;
		size_t len;
		free(why);
		ev_set(recs[i].evidence, sizeof recs[i].evidence, "%s", names[i]);
		sub = xasprintf("%s/%s", tmp, names[i]);
		ck_assert_int_eq(util_mkdirs(sub, 0755, err, sizeof err), 0);
		from = xasprintf("%s/%s/console.log", dir, names[i]);
		to = xasprintf("%s/console.log", sub);
		if (util_read_file(from, &data, &len, err, sizeof err) == 0) {
			ck_assert_int_eq(util_write_atomic(to, data, len, 0644, err, sizeof err), 0);
			free(data);
		}
		free(from);
		free(to);
		free(sub);
	}
	/* One Recommended miss, two skipped cases (one of a scenario with
	 * records, one of a scenario without). */
	size_t m;
	for (m = 0; m < n; m++)
		if (strstr(names[m], "coloured") == NULL && !ev_record_is_error(&recs[m])
			&& recs[m].observed != OUT_OFF)
			break;
	ck_assert_uint_lt(m, n);
	recs[m].required = 0;
	recs[m].pass = 0;
	recs[m].observed = recs[m].expected == OUT_UPDATED ? OUT_CURRENT : OUT_UPDATED;
	recs[m].duration_ms = 1234;
	ev_skip skips[2] = {
		{ recs[1].scenario, "sntp-x1", "nou", "needs UDP <here>", 7 },
		{ "only-skipped", "sntp-x1", "nou", "needs UDP", 9 },
	};
	ck_assert_msg(ev_results_write(tmp, recs, n, skips, 2, "\"seed\":\"t\"", err,
		sizeof err) == 0, "%s", err);
	char *junit = xasprintf("%s/junit.xml", tmp);
	char *check = xasprintf("python3 -c 'import sys, xml.etree.ElementTree as E; "
		"t = E.parse(sys.argv[1]).getroot(); "
		"cs = list(t.iter(\"testcase\")); "
		"sk = [c for c in cs if c.find(\"skipped\") is not None]; "
		"ok = len(sk) == 2 and t.get(\"skipped\") == \"2\" "
		"and sk[0].find(\"skipped\").get(\"message\") == \"needs UDP <here>\" "
		"and all(c.get(\"time\") for c in cs) "
		"and all(s.get(\"timestamp\") and s.get(\"hostname\") for s in t.iter(\"testsuite\")) "
		"and any(s.get(\"name\") == \"only-skipped\" for s in t.iter(\"testsuite\")); "
		"m = [c for c in cs if c.find(\"properties\") is not None]; "
		"ok = ok and len(m) == 1 and m[0].find(\"failure\") is None "
		"and m[0].get(\"time\") == \"1.234\" "
		"and \"Recommended expectation not met\" in m[0].find(\"system-out\").text; "
		"sys.exit(0 if ok else 4)' '%s'", junit);
	ck_assert_msg(system(check) == 0, "junit.xml: skipped cases, times, suites or the "
		"Recommended miss are not as they should be");
	free(check);
	char *sumf = xasprintf("%s/summary.json", tmp);
	check = xasprintf("jq -e '.skipped | length == 2 and .[1].scenario == \"only-skipped\" "
		"and .[1].case_index == 9' '%s' >/dev/null", sumf);
	ck_assert_msg(system(check) == 0, "summary.json does not list the skipped cases");
	free(check);
	free(sumf);
	ck_assert_msg(!file_has_byte(junit, 0x1b), "an escape byte reached junit.xml");
	char *cmd = xasprintf("python3 -c 'import sys, xml.etree.ElementTree as E; "
		"t = E.parse(sys.argv[1]); "
		"o = [c.find(\"system-out\").text for c in t.iter(\"testcase\") "
		"if c.find(\"system-out\") is not None and (\"coloured\" in c.get(\"name\") "
		"or \"coloured\" in (c.find(\"system-out\").text or \"\"))]; "
		"sys.exit(0 if o and \"BR_ERR_X509_NOT_TRUSTED\" in o[0] and \"console (end)\" in o[0] "
		"else 3)' '%s'", junit);
	ck_assert_msg(system(cmd) == 0, "junit.xml is not XML, or lacks the coloured console");
	free(cmd);
	if (system("command -v xmllint >/dev/null 2>&1") == 0) {
		cmd = xasprintf("xmllint --noout '%s'", junit);
		ck_assert_msg(system(cmd) == 0, "xmllint refuses junit.xml");
		free(cmd);
	}
	free(junit);
	rmtmp();
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(recs);
	free(dir);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("evidence");
	TCase *tc = tcase_create("evidence");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cases);
	tcase_add_test(tc, test_decide_is_pure);
	tcase_add_test(tc, test_not_a_phase);
	tcase_add_test(tc, test_plan_and_run_round_trip);
	tcase_add_test(tc, test_record_round_trip);
	tcase_add_test(tc, test_set_marks_a_cut);
	tcase_add_test(tc, test_xml_text);
	tcase_add_test(tc, test_junit_is_xml);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
