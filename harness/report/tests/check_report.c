/*
 * Unit tests of the report's pure parts, harness/report/: the expected-failures
 * parser (every bad input gives FILE:LINE), baseline classification, HTML and
 * Markdown escaping, judging a run, the merge order of shards, and what the
 * printed page is made of (blockers and Recommended misses apart, TLS stacks,
 * matrix parts, durations, per-boot captures, the subject and the sign-off).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "report/report.h"
#include "report/report_int.h"
#include "time/simtime.h"

static int64_t
day(const char *d)
{
	int64_t t;
	char err[128];
	ck_assert_int_eq(simtime_parse(d, &t, err, sizeof err), 0);
	return t;
}

/* Bad inputs, each with the line its message must name. */
static const struct {
	const char *text;
	int line;
	const char *words;
} bad[] = {
	{ "[acept a]\nscenario = x\n", 1, "unknown section" },
	{ "# fine\n\n[accept]\nscenario = x\n", 3, "needs a name" },
	{ "[accept a]\nreason = r\nexpires = 2027-01-01\n", 1, "needs scenario" },
	{ "[accept a]\nscenario = x\nexpires = 2027-01-01\n", 1, "needs a reason" },
	{ "[accept a]\nscenario = x\nreason =\nexpires = 2027-01-01\n", 3, "needs a reason" },
	{ "[accept a]\nscenario = x\nreason = r\n", 1, "needs expires" },
	{ "[accept a]\nscenario = x\nreason = r\nexpires = 2027-13-01\n", 4, "not a date" },
	{ "[accept a]\nscenario = x\nreason = r\nexpires = 2027-02-30\n", 4, "not a date" },
	{ "[accept a]\nscenario = x\nreason = r\nexpires = soon\n", 4, "not a date" },
	{ "[accept a]\nscenario = x\nreason = r\nexpires = 2027-01-01T00:00:00\n", 4,
		"not a date" },
	{ "[accept a]\nscenario = x\nreason = r\nexpires = 2027-01-01\nowner = bob\n", 5,
		"unknown key \"owner\"" },
	{ "[accept a]\nscenario = x\nreason = r\nreason = s\nexpires = 2027-01-01\n", 4,
		"reason given twice" },
	{ "[accept a]\nscenario = x\nscenario = y\nreason = r\nexpires = 2027-01-01\n", 3,
		"scenario given twice" },
	{ "[accept a]\nscenario = x\nreason = r\nexpires = 2027-01-01\n"
		"[accept a]\nscenario = y\nreason = r\nexpires = 2027-01-01\n", 5, "given twice" },
	{ "[accept a]\nscenario = *\nreason = r\nexpires = 2027-01-01\n", 2, "must be named" },
	{ "[accept a]\nscenario = x\ndevice = pin r3\nreason = r\nexpires = 2027-01-01\n", 3,
		"not a name" },
	{ "[accept a]\nscenario = x\nthis line is not an entry\n", 3, "" },
	{ "scenario = x\n", 1, "" },
};

START_TEST(test_accepts_bad_inputs)
{
	rep_accepts a;
	char err[512], want[64];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = 0;
		ck_assert_msg(rep_accepts_parse(&a, "ci/xf", bad[i].text, strlen(bad[i].text),
			day("2026-01-01"), err, sizeof err) == -1, "case %zu accepted", i);
		snprintf(want, sizeof want, "ci/xf:%d: ", bad[i].line);
		ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "case %zu: \"%s\", want %s",
			i, err, want);
		ck_assert_msg(strstr(err, bad[i].words) != NULL, "case %zu: \"%s\" lacks \"%s\"",
			i, err, bad[i].words);
		ck_assert_msg(strchr(err, '\n') == NULL, "case %zu: not one line", i);
		ck_assert_uint_eq(a.n, 0);
	}
}
END_TEST

START_TEST(test_accepts_good_and_expiry)
{
	static const char text[] =
		"# Accepted known findings.\n"
		"[accept pin-r3-after]\n"
		"scenario = le-r3-to-r10\n"
		"device   = pin-r3\n"
		"phase    = after\n"
		"reason   = Pinned R3 devices are being retired; replacement\n"
		"    ships in Q3.\n"
		"expires  = 2027-01-01\n"
		"\n"
		"[accept old]\n"
		"scenario = mitm-rogue-root\n"
		"device = *\n"
		"reason = an old one\n"
		"expires = 2025-06-30\n";
	rep_accepts a;
	char err[256];
	rep_accept *x;

	ck_assert_int_eq(rep_accepts_parse(&a, "xf", text, strlen(text), day("2026-11-27"),
		err, sizeof err), 0);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_str_eq(a.v[0].name, "pin-r3-after");
	ck_assert_str_eq(a.v[0].reason, "Pinned R3 devices are being retired; replacement ships "
		"in Q3.");
	ck_assert_int_eq(a.v[0].line, 2);
	ck_assert_int_eq(a.v[0].expired, 0);
	ck_assert_int_eq(a.v[1].expired, 1);
	ck_assert_ptr_null(a.v[1].device);
	x = rep_accepts_match(&a, "le-r3-to-r10", "pin-r3", "native", "after", 0);
	ck_assert_ptr_eq(x, &a.v[0]);
	ck_assert_ptr_null(rep_accepts_match(&a, "le-r3-to-r10", "pin-r3", "native", "before",
		0));
	ck_assert_ptr_null(rep_accepts_match(&a, "le-r3-to-r10", "root-x1", "native", "after",
		0));
	/* The expired entry matches only when asked for expired ones. */
	ck_assert_ptr_null(rep_accepts_match(&a, "mitm-rogue-root", "x", "native", "mitm", 0));
	ck_assert_ptr_eq(rep_accepts_match(&a, "mitm-rogue-root", "x", "native", "mitm", 1),
		&a.v[1]);
	rep_accepts_free(&a);
	/* On the expiry date itself the entry no longer applies. */
	ck_assert_int_eq(rep_accepts_parse(&a, "xf", text, strlen(text), day("2027-01-01"),
		err, sizeof err), 0);
	ck_assert_int_eq(a.v[0].expired, 1);
	rep_accepts_free(&a);
	ck_assert_int_eq(rep_accepts_parse(&a, "xf", text, strlen(text), day("2026-12-31"),
		err, sizeof err), 0);
	ck_assert_int_eq(a.v[0].expired, 0);
	rep_accepts_free(&a);
	/* An empty file (or only comments) is a valid empty list. */
	ck_assert_int_eq(rep_accepts_parse(&a, "xf", "# none\n", 7, 0, err, sizeof err), 0);
	ck_assert_uint_eq(a.n, 0);
	rep_accepts_free(&a);
	rep_accepts_free(NULL);
}
END_TEST

START_TEST(test_baseline_classify)
{
	/* have, in, failed before, failed now */
	ck_assert_int_eq(rep_change_classify(0, 1, 1, 1), REP_CHANGE_NONE);
	ck_assert_int_eq(rep_change_classify(1, 1, 0, 1), REP_CHANGE_NEW_FAILURE);
	ck_assert_int_eq(rep_change_classify(1, 0, 0, 1), REP_CHANGE_NEW_FAILURE);
	ck_assert_int_eq(rep_change_classify(1, 1, 1, 0), REP_CHANGE_FIXED);
	ck_assert_int_eq(rep_change_classify(1, 1, 1, 1), REP_CHANGE_STILL_FAILING);
	ck_assert_int_eq(rep_change_classify(1, 1, 0, 0), REP_CHANGE_UNCHANGED);
	ck_assert_int_eq(rep_change_classify(1, 0, 0, 0), REP_CHANGE_NEW);
	ck_assert_str_eq(rep_change_name(REP_CHANGE_NEW_FAILURE), "new failure");
	ck_assert_str_eq(rep_change_name(REP_CHANGE_STILL_FAILING), "still failing");
	ck_assert_str_eq(rep_change_name(REP_CHANGE_FIXED), "fixed");
}
END_TEST

START_TEST(test_html_escape)
{
	buf_t b = {0};

	rep_html_escape(&b, "<script>alert(\"x\")</script> & 'q'\x01\x1b[31m\ttab");
	ck_assert_str_eq(buf_cstr(&b), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; "
		"&#39;q&#39;[31m\ttab");
	b.len = 0;
	rep_html_escape(&b, "\" onmouseover=\"alert(1)");
	ck_assert_ptr_null(strchr(buf_cstr(&b), '"'));
	b.len = 0;
	rep_html_escape(&b, "caf\xc3\xa9 → ok");
	ck_assert_str_eq(buf_cstr(&b), "caf\xc3\xa9 → ok");
	b.len = 0;
	rep_md_escape(&b, "a|b <img src=x> `c` [l](http://x)\nnext");
	ck_assert_str_eq(buf_cstr(&b), "a\\|b &lt;img src=x&gt; \\`c\\` \\[l\\](http://x) next");
	buf_free(&b);
}
END_TEST

/* A results directory with a summary.json of the given records. */
static char *
fake_run(const char *meta, const char *records)
{
	char tmpl[] = "/tmp/rotsim-report-XXXXXX", err[256], *dir, *p, *text;

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	dir = xstrdup(tmpl);
	p = xasprintf("%s/summary.json", dir);
	text = xasprintf("{%s,\"records\":[%s]}\n", meta, records);
	ck_assert_int_eq(util_write_atomic(p, text, strlen(text), 0644, err, sizeof err), 0);
	free(p);
	free(text);
	return dir;
}

static void
rm_run(char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	free(dir);
}

#define REC(scn, dev, ph, exp, obs, tier, verdict) \
	"{\"scenario\":\"" scn "\",\"device\":\"" dev "\",\"target\":\"native\",\"phase\":\"" ph \
	"\",\"date\":\"2024-07-01T00:00:00Z\",\"expected\":\"" exp "\",\"tier\":\"" tier \
	"\",\"observed\":\"" obs "\",\"verdict\":\"" verdict "\",\"reason\":\"r\",\"evidence\":\"cases/" \
	scn "/" dev "@native/01-" ph "\"}"

START_TEST(test_judge_release)
{
	char *recs = xstrdup(REC("s1", "a", "p1", "updated", "updated", "required", "pass") ","
		REC("s1", "a", "p2", "updated", "rejected", "required", "fail") ","
		REC("s1", "b", "p1", "updated", "rejected", "recommended", "fail") ","
		REC("s2", "a", "p1", "rejected", "rejected", "required", "pass"));
	char *dir = fake_run("\"rotsim\":\"0.1.0\",\"seed\":\"rotsim\",\"shard\":\"1/1\"", recs);
	char *base = fake_run("\"rotsim\":\"0.1.0\",\"shard\":\"1/1\"",
		REC("s1", "a", "p2", "updated", "updated", "required", "pass") ","
		REC("s1", "b", "p1", "updated", "rejected", "recommended", "fail") ","
		REC("s3", "a", "p1", "updated", "rejected", "required", "fail"));
	rep_run r;
	rep_accepts a;
	char err[256];
	static const char xf[] = "[accept known]\nscenario = s1\ndevice = a\nphase = p2\n"
		"reason = <b>because</b>\nexpires = 2099-01-01\n";

	free(recs);
	ck_assert_int_eq(rep_run_load(&r, dir, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_uint_eq(r.ncases, 3);
	ck_assert_int_eq(rep_run_judge(&r, NULL, NULL, err, sizeof err), 0);
	ck_assert_int_eq(r.release_pass, 0);
	ck_assert_uint_eq(r.required_total, 3);
	ck_assert_uint_eq(r.required_failed, 1);
	ck_assert_uint_eq(r.recommended_failed, 1);
	ck_assert_int_eq(r.recs[1].status, REP_FINDING);
	ck_assert_int_eq(r.cases[0].status, REP_FINDING);

	/* Accepting the Required finding passes the release. */
	ck_assert_int_eq(rep_accepts_parse(&a, "xf", xf, strlen(xf), day("2026-11-27"), err,
		sizeof err), 0);
	ck_assert_int_eq(rep_run_judge(&r, &a, base, err, sizeof err), 0);
	ck_assert_int_eq(r.release_pass, 1);
	ck_assert_int_eq(r.recs[1].status, REP_ACCEPTED);
	ck_assert_uint_eq(a.v[0].matched, 1);
	ck_assert_int_eq(r.recs[0].change, REP_CHANGE_NEW);
	ck_assert_int_eq(r.recs[1].change, REP_CHANGE_NEW_FAILURE);
	ck_assert_uint_eq(r.changes[REP_CHANGE_NEW_FAILURE], 1);
	ck_assert_uint_eq(r.nremoved, 1);

	/* The page escapes everything and names the acceptance's reason. */
	rep_facts f;
	buf_t b = {0};
	memset(&f, 0, sizeof f);
	f.generated = "2026-11-27T00:00:00Z";
	f.rotsim_version = "0.1.0";
	f.evidence_prefix = "";
	rep_html(&r, &a, &f, &b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "&lt;b&gt;because&lt;/b&gt;"));
	ck_assert_ptr_null(strstr(buf_cstr(&b), "<b>because"));
	ck_assert_ptr_null(strstr(buf_cstr(&b), "<script"));
	ck_assert_ptr_null(strstr(buf_cstr(&b), "http://"));
	ck_assert_ptr_null(strstr(buf_cstr(&b), "https://"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "RELEASE PASS"));
	b.len = 0;
	rep_markdown(&r, &a, &f, &b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "new failure"));
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "&lt;b&gt;because"));
	buf_free(&b);
	rep_accepts_free(&a);
	rep_run_free(&r);
	rm_run(dir);
	rm_run(base);
}
END_TEST

/* A record on any target, with its tier, verdict and wall time. */
#define RECT(scn, dev, tgt, ph, obs, tier, verdict, ms) \
	"{\"scenario\":\"" scn "\",\"device\":\"" dev "\",\"target\":\"" tgt "\",\"phase\":\"" \
	ph "\",\"case_index\":0,\"phase_index\":0,\"date\":\"2024-07-01T00:00:00Z\"," \
	"\"expected\":\"updated\",\"tier\":\"" tier "\",\"observed\":\"" obs "\",\"verdict\":\"" \
	verdict "\",\"reason\":\"r\",\"duration_ms\":" ms ",\"evidence\":\"cases/" scn "/" dev \
	"@" tgt "/01-" ph "\"}"

static const char *
after(const char *hay, const char *from, const char *needle)
{
	const char *p = strstr(hay, from);
	return p ? strstr(p, needle) : NULL;
}

START_TEST(test_html_print)
{
	char *dir = fake_run("\"rotsim\":\"0.1.0\",\"seed\":\"s\",\"shard\":\"1/1\"",
		RECT("s1", "a", "native", "p1", "updated", "required", "pass", "1200") ","
		RECT("s1", "a", "native", "p2", "rejected", "required", "fail", "800") ","
		RECT("s1", "b@mbedtls", "native", "p1", "rejected", "recommended", "fail", "500") ","
		RECT("s1", "c@openssl-partial-chain", "qemu-x86_64", "p1", "rejected", "recommended",
			"fail", "61000") ","
		RECT("s1", "c@openssl-partial-chain", "qemu-x86_64", "p2", "error", "required",
			"error", "0") ","
		RECT("s2", "a", "native", "p1", "updated", "required", "pass", "1") ","
		RECT("s3", "a", "native", "p1", "updated", "required", "pass", "1") ","
		RECT("s4", "a", "native", "p1", "updated", "required", "pass", "1") ","
		RECT("s5", "a", "native", "p1", "updated", "required", "pass", "1") ","
		RECT("s6", "a", "native", "p1", "updated", "required", "pass", "1") ","
		RECT("s7", "a", "native", "p1", "updated", "required", "pass", "1"));
	char *ev = xasprintf("%s/cases/s1/c@openssl-partial-chain@qemu-x86_64/01-p1", dir), err[256];
	rep_run r;
	rep_facts f;
	buf_t b = {0};
	const char *h;

	/* QEMU's captures, one per boot. */
	ck_assert_int_eq(util_mkdirs(ev, 0755, err, sizeof err), 0);
	for (int k = 0; k < 2; k++) {
		char *p = xasprintf("%s/capture-%d.pcap", ev, k);
		ck_assert_int_eq(util_write_atomic(p, "", 0, 0644, err, sizeof err), 0);
		free(p);
	}
	ck_assert_int_eq(rep_run_load(&r, dir, err, sizeof err), 0);
	ck_assert_int_eq(rep_run_judge(&r, NULL, NULL, err, sizeof err), 0);
	ck_assert_uint_eq(r.ncases, 9);
	/* A Required finding blocks, a Recommended one alone is a miss, and a
	 * Required harness error outweighs a Recommended miss. */
	ck_assert_int_eq(rh_case_kind(&r, &r.cases[0]), RH_BLOCKER);
	ck_assert_int_eq(rh_case_kind(&r, &r.cases[1]), RH_MISS);
	ck_assert_int_eq(rh_case_kind(&r, &r.cases[2]), RH_ERROR);
	ck_assert_int_eq(rh_rec_kind(&r.recs[3]), RH_MISS);
	ck_assert_int_eq(rh_case_kind(&r, &r.cases[3]), RH_PASS);
	ck_assert_str_ne(rh_kind_label(RH_MISS), rh_kind_label(RH_BLOCKER));
	ck_assert_str_ne(rh_kind_class(RH_MISS), rh_kind_class(RH_BLOCKER));
	ck_assert_int_eq(rh_case_ms(&r, &r.cases[0]), 2000);
	/* Profiles and their stacks. */
	ck_assert_str_eq(rh_device_stack("b@mbedtls"), "mbedtls");
	ck_assert_str_eq(rh_device_stack("a"), "bearssl");
	ck_assert_str_eq(rh_device_stack("a@"), "bearssl");
	ck_assert_uint_eq(rh_device_base_len("c@openssl-partial-chain"), 1);
	ck_assert_uint_eq(rh_device_base_len("a@"), 2);
	rh_put_duration(&b, 800);
	buf_puts(&b, "|");
	rh_put_duration(&b, 61000);
	ck_assert_str_eq(buf_cstr(&b), "0.8 s|1 min 01 s");
	b.len = 0;

	/* Nothing given: the page says so. */
	memset(&f, 0, sizeof f);
	f.generated = "2026-11-27T00:00:00Z";
	f.rotsim_version = "0.1.0";
	f.evidence_prefix = "";
	rep_html(&r, NULL, &f, &b);
	h = buf_cstr(&b);
	ck_assert_ptr_nonnull(strstr(h, "<span id=\"product\">Product: <b class=\"ng\">not given</b>"));
	ck_assert_ptr_nonnull(strstr(h, "<span id=\"firmware-version\">Firmware version: <b "
		"class=\"ng\">not given</b>"));
	/* 7 scenarios in 2 parts of 4 and 3; 3 stacks, each with a heading. */
	ck_assert_ptr_nonnull(strstr(h, "data-devices=\"3\" data-scenarios=\"7\" data-stacks=\"3\" "
		"data-parts=\"2\""));
	ck_assert_ptr_nonnull(strstr(h, "<caption>Scenarios 1–4 of 7 (part 1 of 2)</caption>"));
	ck_assert_ptr_nonnull(strstr(h, "<caption>Scenarios 5–7 of 7 (part 2 of 2)</caption>"));
	ck_assert_ptr_nonnull(strstr(h, "TLS stack: bearssl · 1 device</th>"));
	ck_assert_ptr_nonnull(strstr(h, "TLS stack: openssl-partial-chain · 1 device</th>"));
	ck_assert_ptr_nonnull(strstr(h, "<th class=\"dev mono\">c<span class=\"stk\">@openssl-<wbr>"
		"partial-<wbr>chain</span></th>"));
	/* The blocker and the miss, in words, in the matrix and the cases. */
	ck_assert_ptr_nonnull(after(h, "data-device=\"a\" data-scenario=\"s1\">",
		"<a class=\"c-fail\" href=\"#case-1\" data-status=\"fail\" data-kind=\"fail\"><div "
		"class=\"lab\">FAIL<span class=\"kn\">release blocker</span>"));
	ck_assert_ptr_nonnull(after(h, "data-device=\"b@mbedtls\" data-scenario=\"s1\">",
		"<a class=\"c-rec\" href=\"#case-2\" data-status=\"fail\" data-kind=\"rec\"><div "
		"class=\"lab\">MISS<span class=\"kn\">Recommended, not a blocker</span>"));
	ck_assert_ptr_nonnull(strstr(h, "<article class=\"case rec\" id=\"case-2\""));
	ck_assert_ptr_nonnull(strstr(h, "<article class=\"case err\" id=\"case-3\""));
	/* Durations: per case, per cell. */
	ck_assert_ptr_nonnull(after(h, "id=\"case-1\"", "duration 2.0 s"));
	ck_assert_ptr_nonnull(after(h, "id=\"case-3\"", "duration 1 min 01 s"));
	ck_assert_ptr_nonnull(after(h, "data-device=\"a\" data-scenario=\"s1\">",
		"@ native · 2.0 s</div>"));
	/* QEMU's captures, boot by boot. */
	ck_assert_ptr_nonnull(strstr(h, "<a href=\"cases/s1/c@openssl-partial-chain@qemu-x86_64/"
		"01-p1/capture-1.pcap\">capture, boot 2 (pcap)</a>"));
	ck_assert_ptr_nonnull(strstr(h, "capture-0.pcap\">capture, boot 1 (pcap)</a>"));
	/* The sign-off block ends the page. */
	h = strstr(h, "<section id=\"signoff\"");
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(strstr(h, "<b>Release verdict: FAIL</b>: 7 of 9 Required "
		"expectations met; 2 Recommended not met"));
	ck_assert_ptr_nonnull(strstr(h, "<th>Signature</th>"));
	ck_assert_str_eq(strstr(h, "</section>"), "</section>\n</main></body></html>\n");

	/* Given: escaped, in the header, the sign-off block and report.json. */
	f.subject.product = "Acme <GW>";
	f.subject.firmware_version = "4.1\"rc";
	b.len = 0;
	rep_html(&r, NULL, &f, &b);
	h = buf_cstr(&b);
	ck_assert_ptr_nonnull(strstr(h, "<span id=\"product\">Product: <b>Acme &lt;GW&gt;</b>"));
	ck_assert_ptr_nonnull(strstr(h, "<span id=\"signoff-firmware\">Firmware version: "
		"<b>4.1&quot;rc</b>"));
	ck_assert_ptr_null(strstr(h, "<GW>"));
	b.len = 0;
	rep_json(&r, NULL, &f, &b);
	ck_assert_ptr_nonnull(strstr(buf_cstr(&b), "\"product\":\"Acme <GW>\","
		"\"firmware_version\":\"4.1\\\"rc\""));
	buf_free(&b);
	free(ev);
	rep_run_free(&r);
	rm_run(dir);
}
END_TEST

START_TEST(test_merge_order)
{
	/* Four cases c0..c3 of one run; shard 1/2 has c0 and c2, 2/2 has c1 and c3. */
	char *s1 = fake_run("\"rotsim\":\"0.1.0\",\"seed\":\"z\",\"shard\":\"1/2\","
		"\"finished\":\"2026-01-01T00:00:00Z\"",
		REC("s", "c0", "p", "updated", "updated", "required", "pass") ","
		REC("s", "c2", "p", "updated", "updated", "required", "pass"));
	char *s2 = fake_run("\"rotsim\":\"0.1.0\",\"seed\":\"z\",\"shard\":\"2/2\","
		"\"finished\":\"2026-01-01T00:00:01Z\"",
		REC("s", "c1", "p", "updated", "updated", "required", "pass") ","
		REC("t", "c3", "p", "updated", "rejected", "required", "fail"));
	char *s3 = fake_run("\"rotsim\":\"0.1.0\",\"seed\":\"other\",\"shard\":\"2/2\"", "");
	char *out = xasprintf("%s/merged", s1), err[512];
	const char *dirs[] = { s2, s1 }, *other[] = { s1, s3 }, *dup[] = { s1, s1 };
	rep_run r;

	ck_assert_int_eq(rep_merge(dirs, 2, out, err, sizeof err), 0);
	ck_assert_int_eq(rep_run_load(&r, out, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 4);
	ck_assert_str_eq(r.recs[0].device, "c0");
	ck_assert_str_eq(r.recs[1].device, "c1");
	ck_assert_str_eq(r.recs[2].device, "c2");
	ck_assert_str_eq(r.recs[3].device, "c3");
	ck_assert_str_eq(json_get_str(r.doc, "shard"), "merged");
	ck_assert_str_eq(json_get_str(r.doc, "finished"), "2026-01-01T00:00:01Z");
	ck_assert_uint_eq(r.shards_missing, 0);
	rep_run_free(&r);
	/* One shard alone: merged, but marked incomplete. */
	ck_assert_int_eq(rep_merge(dirs + 1, 1, out, err, sizeof err), 0);
	ck_assert_int_eq(rep_run_load(&r, out, err, sizeof err), 0);
	ck_assert_uint_eq(r.shards_missing, 1);
	ck_assert_int_eq(rep_run_judge(&r, NULL, NULL, err, sizeof err), 0);
	ck_assert_int_eq(r.release_pass, 0);
	rep_run_free(&r);
	/* Shards of different runs, or the same shard twice, are refused. */
	ck_assert_int_eq(rep_merge(other, 2, out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "not one run"));
	ck_assert_int_eq(rep_merge(dup, 2, out, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "both shard 1/2"));
	free(out);
	rm_run(s1);
	rm_run(s2);
	rm_run(s3);
}
END_TEST

/* A record with the plan's indexes. */
#define IREC(dev, ph, ci, pi) \
	"{\"scenario\":\"s\",\"device\":\"" dev "\",\"target\":\"native\",\"phase\":\"" ph \
	"\",\"case_index\":" #ci ",\"phase_index\":" #pi ",\"expected\":\"updated\"," \
	"\"observed\":\"updated\",\"verdict\":\"pass\",\"evidence\":\"cases/s/" dev "\"}"

START_TEST(test_merge_by_index)
{
	/* Shards whose cases the modulo rule would interleave wrongly (a plan
	 * with cases left out of one target): the records' indexes decide. */
	char *s1 = fake_run("\"seed\":\"z\",\"shard\":\"1/2\"",
		IREC("c0", "p1", 0, 1) "," IREC("c0", "p0", 0, 0) "," IREC("c3", "p0", 3, 0));
	char *s2 = fake_run("\"seed\":\"z\",\"shard\":\"2/2\"",
		IREC("c1", "p0", 1, 0) "," IREC("c2", "p0", 2, 0));
	char *out = xasprintf("%s/merged", s1), err[512];
	const char *dirs[] = { s2, s1 };
	static const char *const want[][2] = {
		{ "c0", "p0" }, { "c0", "p1" }, { "c1", "p0" }, { "c2", "p0" }, { "c3", "p0" },
	};
	rep_run r;
	size_t i;

	ck_assert_msg(rep_merge(dirs, 2, out, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(rep_run_load(&r, out, err, sizeof err), 0);
	ck_assert_uint_eq(r.n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_str_eq(r.recs[i].device, want[i][0]);
		ck_assert_str_eq(r.recs[i].phase, want[i][1]);
		ck_assert_int_eq(r.recs[i].rec->case_index, (long)(want[i][0][1] - '0'));
	}
	rep_run_free(&r);
	free(out);
	rm_run(s1);
	rm_run(s2);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_accepts_bad_inputs);
	tcase_add_test(tc, test_accepts_good_and_expiry);
	tcase_add_test(tc, test_baseline_classify);
	tcase_add_test(tc, test_html_escape);
	tcase_add_test(tc, test_judge_release);
	tcase_add_test(tc, test_html_print);
	tcase_add_test(tc, test_merge_order);
	tcase_add_test(tc, test_merge_by_index);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
