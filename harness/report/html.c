/*
 * Writing the report: report.html (one self-contained page), report.md (a
 * short summary for a pull-request comment) and report.json. See report.h.
 *
 * Every text that comes from the results (scenario, device and phase names,
 * reasons, chains, acceptance reasons) goes through rep_html_escape() or
 * rep_md_escape(); links are relative paths whose bytes outside a small safe
 * set are percent-encoded, so no text of a scenario can add markup, a script
 * or a reference to another site.
 */
#include "report/report.h"
#include "report/report_int.h"
#include "time/simtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- The page ---- */

static const char css[] =
"*{box-sizing:border-box}"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',"
"Arial,sans-serif;color:#1f2328;background:#f6f8fa}"
"main{max-width:1320px;margin:0 auto;padding:0 28px 40px}"
"header.top{background:#0d1b2a;color:#e6edf3;padding:18px 28px}"
"header.top .inner{max-width:1264px;margin:0 auto;display:flex;justify-content:space-between;"
"align-items:baseline;gap:6px 16px;flex-wrap:wrap}"
".subject{flex-basis:100%;font-size:15px;color:#e6edf3}"
".subject span{margin-right:22px;white-space:nowrap}.subject b{font-weight:700}"
".subject .ng{font-style:italic;color:#9fb3c8}"
".brand{font-size:13px;letter-spacing:.08em;text-transform:uppercase;color:#9fb3c8}"
".brand b{color:#fff;letter-spacing:.02em;text-transform:none;font-size:18px;margin-right:10px}"
".when{font-size:13px;color:#9fb3c8}"
".headline{margin:24px 0 8px;border-radius:10px;padding:20px 24px;display:flex;gap:24px;"
"align-items:center;border:1px solid}"
".headline.pass{background:#dafbe1;border-color:#4ac26b;color:#0f5323}"
".headline.fail{background:#ffebe9;border-color:#ff8182;color:#82071e}"
".headline .big{font-size:30px;font-weight:800;letter-spacing:.02em;white-space:nowrap}"
".headline .sub{font-size:15px}"
".headline .sub div{margin:2px 0}"
".kpis{display:flex;gap:12px;flex-wrap:wrap;margin:14px 0 4px}"
".kpi{background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:10px 16px;"
"min-width:150px}"
".kpi .n{font-size:22px;font-weight:700}.kpi .l{font-size:12px;color:#57606a}"
"nav.toc{margin:14px 0 0;font-size:13px}nav.toc a{margin-right:14px;color:#0969da;"
"text-decoration:none}"
"section{background:#fff;border:1px solid #d0d7de;border-radius:10px;padding:18px 22px;"
"margin:18px 0}"
"h2{font-size:18px;margin:0 0 12px;padding-bottom:8px;border-bottom:1px solid #eaeef2}"
"h3{font-size:15px;margin:0}"
"p.note{color:#57606a;font-size:13px;margin:6px 0}"
"table{border-collapse:collapse;width:100%;font-size:13px}"
"th,td{text-align:left;vertical-align:top;padding:6px 8px;border-bottom:1px solid #eaeef2}"
"th{background:#f6f8fa;font-weight:600;color:#424a53}"
"table.facts th{width:220px;background:none}"
"code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}"
".hash{word-break:break-all}"
"table.matrix{table-layout:fixed;margin:0 0 14px}"
"table.matrix caption{text-align:left;font-size:12px;color:#57606a;padding:0 0 4px}"
"table.matrix col.dev{width:170px}"
"table.matrix thead th{overflow-wrap:anywhere;font-size:12px}"
"table.matrix th.dev{overflow-wrap:anywhere}"
"table.matrix th.dev .stk{display:block;font-size:11px;color:#57606a}"
"table.matrix tr.stack th{background:#0d1b2a;color:#fff;font-size:12px;letter-spacing:.03em}"
"table.matrix td.cell{padding:4px}"
"table.matrix td.cell a,table.matrix td.cell span.na{display:block;border-radius:6px;"
"padding:8px 10px;text-decoration:none;color:inherit;min-height:54px}"
".cell .lab{font-weight:700;font-size:13px}"
".cell .seq{font-size:12px;opacity:.9}"
".cell .tgt{font-size:11px;opacity:.75}"
".cell .kn{display:block;font-size:11px;font-weight:600;text-transform:uppercase;"
"letter-spacing:.03em}"
".c-ok{background:#dafbe1;color:#0f5323;border:1px solid #4ac26b}"
".c-fail{background:#ffebe9;color:#82071e;border:2px solid #cf222e}"
".c-rec{background:#fbefff;color:#512a97;border:2px dashed #8250df}"
".c-acc{background:#fff8c5;color:#6a4a00;border:1px solid #d4a72c}"
".c-err{background:#eaeef2;color:#424a53;border:1px solid #afb8c1}"
".c-off,span.na{background:#f6f8fa;color:#8c959f;border:1px dashed #d0d7de}"
".badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:11px;"
"font-weight:700;letter-spacing:.03em;border:1px solid;white-space:nowrap}"
".b-ok{background:#dafbe1;color:#0f5323;border-color:#4ac26b}"
".b-fail{background:#ffebe9;color:#82071e;border-color:#cf222e}"
".b-rec{background:#fbefff;color:#512a97;border-color:#8250df;border-style:dashed}"
".badge .kn{font-weight:600;text-transform:none;letter-spacing:0}"
".b-acc{background:#fff8c5;color:#6a4a00;border-color:#d4a72c}"
".b-err{background:#eaeef2;color:#424a53;border-color:#afb8c1}"
".b-off{background:#f6f8fa;color:#57606a;border-color:#d0d7de}"
".b-tier{background:#fff;color:#57606a;border-color:#d0d7de;font-weight:600}"
".chg-new{background:#82071e;color:#fff;border-color:#82071e}"
".chg-fixed{background:#0f5323;color:#fff;border-color:#0f5323}"
".chg-still{background:#fff;color:#82071e;border-color:#ff8182}"
".chg-same{background:#fff;color:#57606a;border-color:#d0d7de}"
"article.case{border:1px solid #d0d7de;border-radius:8px;margin:14px 0;padding:14px 16px;"
"break-inside:avoid}"
"article.case.fail{border-left:5px solid #cf222e}"
"article.case.rec{border-left:5px dashed #8250df}"
"article.case.acc{border-left:5px solid #d4a72c}"
"article.case.ok{border-left:5px solid #2da44e}"
"article.case.err{border-left:5px solid #8c959f}"
".casehead{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:6px}"
".casehead .dur{font-size:12px;color:#57606a}"
".casehead .top{margin-left:auto;font-size:12px}"
"svg.tl{width:100%;height:auto;display:block;margin:6px 0 10px}"
"ul.ev{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:2px 10px}"
"ul.ev li{white-space:nowrap}"
"a{color:#0969da}"
".why{color:#57606a;font-size:12px}"
".accept{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:4px 8px;"
"margin-top:4px;font-size:12px}"
".expired{background:#ffebe9;border:1px solid #ff8182;border-radius:6px;padding:4px 8px;"
"margin-top:4px;font-size:12px}"
"footer{color:#57606a;font-size:12px;text-align:center;margin-top:24px}"
"section.signoff{break-inside:avoid}"
".restated{font-size:15px;margin:0 0 12px}"
"table.sign{table-layout:fixed}"
"table.sign th{width:160px;background:none;vertical-align:bottom}"
"table.sign thead th{width:auto}"
"table.sign td{height:44px;border-bottom:1px solid #1f2328;vertical-align:bottom}"
"table.sign td+td{border-left:24px solid #fff}"
/* Print: A4 landscape, so that a matrix part (at most MATRIX_COLS scenario
 * columns of about 140 px beside the device column) fits the page's 1047 px;
 * page one holds the header, the verdict and its counts, the matrix starts
 * page two and each of its parts a page of its own (its header rows repeat
 * on the pages it spans), and the sign-off block is never split. */
"@page{size:A4 landscape;margin:10mm}"
"@media print{"
"body{background:#fff;font-size:10pt}"
"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
"header.top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 8px}"
".brand,.when,.subject,.subject .ng{color:#000}.brand b{color:#000}"
"main{max-width:none;padding:0}"
"nav.toc,.casehead .top{display:none}"
"section{border:none;padding:0;margin:14px 0;break-inside:auto}"
"#matrix{break-before:page}"
"article.case,.headline,.kpis,tr,section.signoff,table.matrix caption{break-inside:avoid}"
"table.matrix td.cell a,table.matrix td.cell span.na{min-height:0;padding:4px 6px}"
"table.matrix+table.matrix{break-before:page}"
"table.matrix tr.stack{break-after:avoid}"
"h2{break-after:avoid}"
"a{color:inherit;text-decoration:none}"
"}";

static size_t
distinct(const rep_run *r, size_t off, const char ***out)
{
	const char **v = NULL;
	size_t n = 0, i, k;

	for (i = 0; i < r->n; i++) {
		const char *s = *(const char *const *)((const char *)&r->recs[i] + off);
		for (k = 0; k < n && strcmp(v[k], s) != 0; k++)
			;
		if (k == n) {
			v = xrealloc(v, (n + 1) * sizeof *v);
			v[n++] = s;
		}
	}
	*out = v;
	return n;
}

static void
put_headline(buf_t *b, const rep_run *r)
{
	buf_printf(b, "<div class=\"headline %s\" id=\"headline\" data-release=\"%s\">"
		"<div class=\"big\">RELEASE %s</div><div class=\"sub\">",
		r->release_pass ? "pass" : "fail", r->release_pass ? "pass" : "fail",
		r->release_pass ? "PASS" : "FAIL");
	if (r->required_total == 0)
		buf_puts(b, "<div><b>No Required expectation was judged</b>: nothing to sign off.</div>");
	else if (r->release_pass)
		buf_printf(b, "<div><b>Every Required expectation is met</b> (%zu of %zu)%s.</div>",
			r->required_met + 0, r->required_total, r->accepted
			? ", accepted known findings aside" : "");
	else
		buf_printf(b, "<div><b>%zu of %zu Required expectations not met</b>%s.</div>",
			r->required_failed + r->required_errors, r->required_total,
			r->required_errors ? " (harness errors included)" : "");
	if (r->shards_missing)
		buf_printf(b, "<div><b>%zu shard%s of the run missing</b>: the results are "
			"incomplete.</div>", r->shards_missing, r->shards_missing == 1 ? "" : "s");
	buf_printf(b, "<div>%zu Recommended not met · %zu accepted known finding%s · %zu "
		"harness error%s</div>", r->recommended_failed, r->accepted,
		r->accepted == 1 ? "" : "s", r->errors, r->errors == 1 ? "" : "s");
	if (r->have_baseline)
		buf_printf(b, "<div>Since the baseline: %zu new failure%s, %zu fixed, %zu still "
			"failing</div>", r->changes[REP_CHANGE_NEW_FAILURE],
			r->changes[REP_CHANGE_NEW_FAILURE] == 1 ? "" : "s",
			r->changes[REP_CHANGE_FIXED], r->changes[REP_CHANGE_STILL_FAILING]);
	buf_puts(b, "</div></div>\n");
}

static void
put_kpis(buf_t *b, const rep_run *r)
{
	buf_puts(b, "<div class=\"kpis\">");
	buf_printf(b, "<div class=\"kpi\"><div class=\"n\">%zu / %zu</div><div class=\"l\">"
		"Required expectations met</div></div>", r->required_met, r->required_total);
	buf_printf(b, "<div class=\"kpi\"><div class=\"n\">%zu / %zu</div><div class=\"l\">"
		"Recommended met</div></div>", r->recommended_total - r->recommended_failed
		- 0, r->recommended_total);
	buf_printf(b, "<div class=\"kpi\"><div class=\"n\">%zu</div><div class=\"l\">"
		"cases (device × scenario × target)</div></div>", r->ncases);
	buf_printf(b, "<div class=\"kpi\"><div class=\"n\">%zu</div><div class=\"l\">"
		"accepted known findings</div></div>", r->accepted);
	buf_printf(b, "<div class=\"kpi\"><div class=\"n\">%zu</div><div class=\"l\">"
		"harness errors</div></div>", r->errors);
	buf_puts(b, "</div>\n");
}

static void
fact(buf_t *b, const char *name, const char *value, int mono)
{
	buf_puts(b, "<tr><th>");
	rh_esc(b, name);
	buf_puts(b, mono ? "</th><td class=\"mono\">" : "</th><td>");
	rh_esc(b, value && *value ? value : "(not recorded)");
	buf_puts(b, "</td></tr>\n");
}

static void
put_facts(buf_t *b, const rep_run *r, const rep_facts *f)
{
	const char **tg;
	size_t ntg = distinct(r, offsetof(rep_rec, target), &tg), i;
	buf_t t = {0};
	const json *sh = json_get(r->doc, "shards");

	buf_puts(b, "<section id=\"run\"><h2>The run</h2><table class=\"facts\">\n");
	fact(b, "Release verdict", r->release_pass ? "PASS: every Required expectation met"
		: "FAIL: Required expectations not met", 0);
	fact(b, "Product", f->subject.product && *f->subject.product ? f->subject.product
		: "not given", 0);
	fact(b, "Firmware version", f->subject.firmware_version && *f->subject.firmware_version
		? f->subject.firmware_version : "not given", 1);
	fact(b, "Run finished (UTC)", rh_meta(r, "finished"), 1);
	fact(b, "PKI seed", rh_meta(r, "seed"), 1);
	buf_printf(&t, "%s (run)", rh_meta(r, "rotsim"));
	if (f->rotsim_version && strcmp(f->rotsim_version, rh_meta(r, "rotsim")) != 0)
		buf_printf(&t, ", %s (report)", f->rotsim_version);
	fact(b, "rotsim version", buf_cstr(&t), 1);
	t.len = 0;
	if (json_get_str(r->doc, "qemu") != NULL)
		buf_printf(&t, "%s (recorded by the run)", rh_meta(r, "qemu"));
	else if (f->qemu_version && *f->qemu_version)
		buf_printf(&t, "%s (at report time)", f->qemu_version);
	else
		buf_puts(&t, "not installed where the report was written");
	fact(b, "QEMU version", buf_cstr(&t), 1);
	t.len = 0;
	for (i = 0; i < ntg; i++)
		buf_printf(&t, "%s%s", i ? ", " : "", tg[i]);
	fact(b, "Targets", buf_cstr(&t), 1);
	t.len = 0;
	if (sh != NULL && sh->type == JSON_ARRAY) {
		int64_t tot = 0;
		json_get_int(r->doc, "shards_total", &tot);
		buf_printf(&t, "merged from %zu of %lld shards:", sh->n, (long long)tot);
		for (i = 0; i < sh->n; i++)
			buf_printf(&t, " %s", json_get_str(sh->items[i], "shard")
				? json_get_str(sh->items[i], "shard") : "?");
		if (r->shards_missing)
			buf_printf(&t, " (%zu missing)", r->shards_missing);
	} else {
		buf_printf(&t, "%s", rh_meta(r, "shard"));
	}
	fact(b, "Shards", buf_cstr(&t), 1);
	t.len = 0;
	buf_printf(&t, "%zu cases, %zu records", r->ncases, r->n);
	fact(b, "Size", buf_cstr(&t), 0);
	fact(b, "Baseline", f->baseline ? f->baseline : "none given", 1);
	fact(b, "Expected failures", f->expected_failures ? f->expected_failures : "none given",
		1);
	fact(b, "Report written (UTC)", f->generated, 1);
	buf_puts(b, "</table></section>\n");
	buf_free(&t);
	free(tg);
}

/* The outcomes of a case's phases, "updated → rejected". */
static void
outcome_seq(buf_t *b, const rep_run *r, const rep_case *c)
{
	size_t k;
	for (k = c->first; k < c->first + c->n; k++) {
		if (k > c->first)
			buf_puts(b, " → ");
		rh_esc(b, scn_outcome_name(r->recs[k].observed));
	}
}

/* Scenario columns per matrix table: with the device column they fit the
 * width of an A4 landscape page (see the print styles). */
#define MATRIX_COLS 6

/* A name that may break after its '-', '_', '.' and '@' (a scenario's name in
 * a narrow column header breaks there rather than anywhere). */
static void
esc_breakable(buf_t *b, const char *s)
{
	const char *p = s, *q;

	while (*p) {
		q = p + strcspn(p, "-_.@");
		if (*q)
			q++;
		char *part = xstrndup(p, (size_t)(q - p));
		rh_esc(b, part);
		free(part);
		if (*q)
			buf_puts(b, "<wbr>");
		p = q;
	}
}

static void
put_matrix_cell(buf_t *b, const rep_run *r, const char *dev, const char *scn)
{
	size_t k;
	int any = 0;

	buf_puts(b, "<td class=\"cell\" data-device=\"");
	rh_esc(b, dev);
	buf_puts(b, "\" data-scenario=\"");
	rh_esc(b, scn);
	buf_puts(b, "\">");
	for (k = 0; k < r->ncases; k++) {
		const rep_case *c = &r->cases[k];
		const rep_rec *x = &r->recs[c->first];
		rh_kind kind;
		long long ms;
		if (strcmp(x->device, dev) != 0 || strcmp(x->scenario, scn) != 0)
			continue;
		any = 1;
		kind = rh_case_kind(r, c);
		ms = rh_case_ms(r, c);
		buf_printf(b, "<a class=\"c-%s\" href=\"#case-%zu\" data-status=\"%s\" "
			"data-kind=\"%s\"><div class=\"lab\">%s", rh_kind_class(kind), k + 1,
			rep_status_name(c->status), rh_kind_class(kind), rh_kind_label(kind));
		if (c->change == REP_CHANGE_NEW_FAILURE || c->change == REP_CHANGE_FIXED)
			buf_printf(b, " <span class=\"badge %s\">%s</span>",
				rh_change_class(c->change), rep_change_name(c->change));
		if (rh_kind_note(kind)[0])
			buf_printf(b, "<span class=\"kn\">%s</span>", rh_kind_note(kind));
		buf_puts(b, "</div><div class=\"seq\">");
		outcome_seq(b, r, c);
		buf_puts(b, "</div><div class=\"tgt\">@ ");
		rh_esc(b, x->target);
		if (ms >= 0) {
			buf_puts(b, " · ");
			rh_put_duration(b, ms);
		}
		buf_puts(b, "</div></a>");
	}
	if (!any)
		buf_puts(b, "<span class=\"na\" title=\"not covered by this scenario\">"
			"<div class=\"lab\">—</div><div class=\"seq\">not in this "
			"scenario</div></span>");
	buf_puts(b, "</td>");
}

/*
 * What each device ran: one row per device and target, its update client
 * and the TLS stack that client used (summary.json's client and tls), and
 * how many cases it was in. Older results without them say "not recorded".
 */
static void
put_devices(buf_t *b, const rep_run *r)
{
	size_t i, k, n = 0;
	const rep_rec **first = xcalloc(r->n + 1, sizeof *first);
	size_t *cases = xcalloc(r->n + 1, sizeof *cases);

	for (i = 0; i < r->n; i++) {
		const rep_rec *x = &r->recs[i];
		for (k = 0; k < n; k++)
			if (strcmp(first[k]->device, x->device) == 0
				&& strcmp(first[k]->target, x->target) == 0)
				break;
		if (k == n)
			first[n++] = x;
		if (i == 0 || r->recs[i - 1].ncase != x->ncase)
			cases[k]++;
	}
	buf_puts(b, "<section id=\"devices\"><h2>Devices</h2>\n<p class=\"note\">Each device "
		"on each target: the update client its image runs and the TLS stack that client "
		"used.</p>\n<table class=\"devices\"><thead><tr><th>Device</th><th>Target</th>"
		"<th>Update client</th><th>TLS stack</th><th>Cases</th></tr></thead><tbody>\n");
	for (k = 0; k < n; k++) {
		const ev_record *e = first[k]->rec;
		const char *tls = ev_record_tls(e);
		buf_puts(b, "<tr><td class=\"mono\">");
		rh_esc(b, first[k]->device);
		buf_puts(b, "</td><td class=\"mono\">");
		rh_esc(b, first[k]->target);
		buf_puts(b, "</td><td>");
		rh_esc(b, e->client[0] ? e->client : "not recorded");
		buf_puts(b, "</td><td>");
		rh_esc(b, tls != NULL && *tls ? tls : "not recorded");
		buf_printf(b, "</td><td>%zu</td></tr>\n", cases[k]);
	}
	buf_puts(b, "</tbody></table></section>\n");
	free(first);
	free(cases);
}

/*
 * Devices x scenarios, in tables of at most MATRIX_COLS scenarios each (the
 * scenarios shared out evenly), so that every table fits a printed page's
 * width. Rows are grouped by TLS stack (a profile "DEV@STACK" runs on STACK,
 * a plain name on BearSSL) under a heading row per stack when more than one
 * stack occurs.
 */
static void
put_matrix(buf_t *b, const rep_run *r)
{
	const char **dev, **scn, **stk = NULL, **rows;
	size_t nd = distinct(r, offsetof(rep_rec, device), &dev);
	size_t ns = distinct(r, offsetof(rep_rec, scenario), &scn);
	size_t nstk = 0, nrows = 0, i, j, k, s, parts, per;

	/* The stacks in first-seen order, and the devices stack by stack. */
	for (i = 0; i < nd; i++) {
		const char *st = rh_device_stack(dev[i]);
		for (k = 0; k < nstk && strcmp(stk[k], st) != 0; k++)
			;
		if (k == nstk) {
			stk = xrealloc(stk, (nstk + 1) * sizeof *stk);
			stk[nstk++] = st;
		}
	}
	rows = xcalloc(nd + 1, sizeof *rows);
	for (s = 0; s < nstk; s++)
		for (i = 0; i < nd; i++)
			if (strcmp(rh_device_stack(dev[i]), stk[s]) == 0)
				rows[nrows++] = dev[i];
	parts = ns ? (ns + MATRIX_COLS - 1) / MATRIX_COLS : 1;
	per = ns ? (ns + parts - 1) / parts : 1;

	buf_puts(b, "<section id=\"matrix\"><h2>Devices × scenarios</h2>\n"
		"<p class=\"note\">Each cell is one device profile in one scenario: its verdict "
		"over all phases, the observed outcome of each phase, the target and the case's "
		"duration. Click a cell for the case's timeline and evidence.");
	if (nstk > 1)
		buf_printf(b, " Devices are grouped by the TLS stack their agent runs on "
			"(%zu stacks).", nstk);
	buf_puts(b, "</p>\n");
	buf_printf(b, "<div class=\"matrix\" id=\"matrix-table\" data-devices=\"%zu\" "
		"data-scenarios=\"%zu\" data-stacks=\"%zu\" data-parts=\"%zu\">\n", nd, ns, nstk,
		parts);
	for (size_t p = 0; p < parts; p++) {
		size_t lo = p * per, hi = lo + per < ns ? lo + per : ns;
		buf_printf(b, "<table class=\"matrix\" id=\"matrix-part-%zu\">", p + 1);
		if (parts > 1)
			buf_printf(b, "<caption>Scenarios %zu–%zu of %zu (part %zu of %zu)"
				"</caption>", lo + 1, hi, ns, p + 1, parts);
		buf_puts(b, "<colgroup><col class=\"dev\">");
		for (j = lo; j < hi; j++)
			buf_puts(b, "<col>");
		buf_puts(b, "</colgroup><thead><tr><th class=\"dev\">Device</th>");
		for (j = lo; j < hi; j++) {
			buf_puts(b, "<th class=\"scn\">");
			esc_breakable(b, scn[j]);
			buf_puts(b, "</th>");
		}
		buf_puts(b, "</tr></thead><tbody>\n");
		for (i = 0; i < nrows; i++) {
			const char *st = rh_device_stack(rows[i]);
			size_t bl = rh_device_base_len(rows[i]);
			if (nstk > 1 && (i == 0 || strcmp(st, rh_device_stack(rows[i - 1])) != 0)) {
				size_t nst = 0;
				for (k = 0; k < nrows; k++)
					nst += strcmp(rh_device_stack(rows[k]), st) == 0;
				buf_printf(b, "<tr class=\"stack\" data-stack=\"");
				rh_esc(b, st);
				buf_printf(b, "\"><th colspan=\"%zu\">TLS stack: ", hi - lo + 1);
				rh_esc(b, st);
				buf_printf(b, " · %zu device%s</th></tr>\n", nst, nst == 1 ? "" : "s");
			}
			/* The profile's name whole: DEV, then @STACK on a line of its
			 * own when it has one. */
			char *base = xstrndup(rows[i], bl);
			buf_puts(b, "<tr><th class=\"dev mono\">");
			esc_breakable(b, base);
			if (rows[i][bl] == '@') {
				buf_puts(b, "<span class=\"stk\">@");
				esc_breakable(b, rows[i] + bl + 1);
				buf_puts(b, "</span>");
			}
			buf_puts(b, "</th>");
			free(base);
			for (j = lo; j < hi; j++)
				put_matrix_cell(b, r, rows[i], scn[j]);
			buf_puts(b, "</tr>\n");
		}
		buf_puts(b, "</tbody></table>\n");
	}
	buf_puts(b, "</div>\n<p class=\"note\">"
		"<span class=\"badge b-ok\">PASS</span> every outcome as expected · "
		"<span class=\"badge b-fail\">FAIL <span class=\"kn\">· release blocker</span></span> "
		"a Required expectation not met · "
		"<span class=\"badge b-rec\">MISS <span class=\"kn\">· Recommended, not a "
		"blocker</span></span> only Recommended expectations not met · "
		"<span class=\"badge b-acc\">ACCEPTED</span> a known finding, accepted · "
		"<span class=\"badge b-err\">ERROR</span> the harness or target failed</p>"
		"</section>\n");
	free(dev);
	free(scn);
	free(stk);
	free(rows);
}

/* A table of records with one status, or a sentence when there are none. */
static void
put_record_list(buf_t *b, const rep_run *r, const char *id, const char *title,
	const char *none, int (*want)(const rep_rec *))
{
	size_t i, n = 0;

	buf_printf(b, "<section id=\"%s\"><h2>%s</h2>\n", id, title);
	for (i = 0; i < r->n; i++) {
		const rep_rec *x = &r->recs[i];
		if (!want(x))
			continue;
		if (n++ == 0)
			buf_puts(b, "<table><thead><tr><th>Case and phase</th><th>Expected</th>"
				"<th>Observed</th><th>Why</th><th>Change</th></tr></thead><tbody>\n");
		buf_printf(b, "<tr><td><a href=\"#case-%zu\">", x->ncase + 1);
		rh_rec_name(b, x);
		buf_puts(b, "</a></td><td>");
		rh_esc(b, scn_outcome_name(x->expected));
		buf_puts(b, "</td><td>");
		rh_kind_badge(b, rh_rec_kind(x));
		buf_puts(b, " ");
		rh_esc(b, scn_outcome_name(x->observed));
		buf_puts(b, "</td><td>");
		rh_esc(b, x->reason);
		if (x->expired) {
			buf_puts(b, "<div class=\"expired\">Acceptance <b>");
			rh_esc(b, x->expired->name);
			buf_puts(b, "</b> expired on ");
			rh_esc(b, x->expired->expires);
			buf_puts(b, ": it no longer applies.</div>");
		}
		buf_puts(b, "</td><td>");
		if (x->change != REP_CHANGE_NONE)
			rh_badge(b, rh_change_class(x->change), rep_change_name(x->change));
		buf_puts(b, "</td></tr>\n");
	}
	if (n)
		buf_puts(b, "</tbody></table>\n");
	else {
		buf_puts(b, "<p class=\"note\">");
		rh_esc(b, none);
		buf_puts(b, "</p>\n");
	}
	buf_puts(b, "</section>\n");
}

static int
want_required(const rep_rec *x)
{
	return x->required && (x->status == REP_FINDING || x->status == REP_ERROR);
}

static int
want_recommended(const rep_rec *x)
{
	return !x->required && (x->status == REP_FINDING || x->status == REP_ERROR);
}

static void
put_accepted(buf_t *b, const rep_run *r, const rep_accepts *acc)
{
	size_t i, n = 0;

	buf_puts(b, "<section id=\"accepted\"><h2>Accepted known findings</h2>\n");
	for (i = 0; i < r->n; i++) {
		const rep_rec *x = &r->recs[i];
		if (x->status != REP_ACCEPTED)
			continue;
		if (n++ == 0)
			buf_puts(b, "<table id=\"accepted-table\"><thead><tr><th>Finding</th>"
				"<th>Expected / observed</th><th>Accepted as</th><th>Reason</th>"
				"<th>Expires</th></tr></thead><tbody>\n");
		buf_printf(b, "<tr><td><a href=\"#case-%zu\">", x->ncase + 1);
		rh_rec_name(b, x);
		buf_puts(b, "</a></td><td>");
		rh_esc(b, scn_outcome_name(x->expected));
		buf_puts(b, " / ");
		rh_esc(b, scn_outcome_name(x->observed));
		buf_puts(b, "</td><td class=\"mono\">");
		rh_esc(b, x->accept->name);
		buf_puts(b, "</td><td>");
		rh_esc(b, x->accept->reason);
		buf_puts(b, "</td><td class=\"mono\">");
		rh_esc(b, x->accept->expires);
		buf_puts(b, "</td></tr>\n");
	}
	if (n)
		buf_puts(b, "</tbody></table>\n");
	else
		buf_puts(b, "<p class=\"note\">No finding is accepted in this report.</p>\n");
	for (i = 0; acc != NULL && i < acc->n; i++) {
		const rep_accept *a = &acc->v[i];
		if (a->expired) {
			buf_puts(b, "<div class=\"expired\"><b>Expired:</b> acceptance <b>");
			rh_esc(b, a->name);
			buf_t tmp = {0};
			buf_printf(&tmp, " (%s:%d, expired %s; reason: %s)", acc->path, a->line,
				a->expires, a->reason);
			buf_puts(b, "</b>");
			rh_esc(b, buf_cstr(&tmp));
			buf_free(&tmp);
			buf_printf(b, " no longer applies%s.</div>\n", a->matched
				? ": the findings it covered count again" : "");
		} else if (a->matched == 0) {
			buf_puts(b, "<p class=\"note\">Acceptance <b>");
			rh_esc(b, a->name);
			buf_puts(b, "</b> matches no finding of this run (fixed? it can be "
				"removed).</p>\n");
		}
	}
	if (acc != NULL) {
		buf_puts(b, "<p class=\"note\">From ");
		rh_esc(b, acc->path);
		buf_printf(b, ": %zu entr%s.</p>\n", acc->n, acc->n == 1 ? "y" : "ies");
	}
	buf_puts(b, "</section>\n");
}

static void
put_changes(buf_t *b, const rep_run *r)
{
	static const rep_change order[] = { REP_CHANGE_NEW_FAILURE, REP_CHANGE_FIXED,
		REP_CHANGE_STILL_FAILING };
	size_t i, k;

	if (!r->have_baseline)
		return;
	buf_puts(b, "<section id=\"changes\"><h2>Changes since the baseline</h2>\n"
		"<p class=\"note\">Baseline: <span class=\"mono\">");
	rh_esc(b, r->baseline_path);
	buf_printf(b, "</span>. %zu new failure%s, %zu fixed, %zu still failing, %zu unchanged, "
		"%zu new passing, %zu no longer run.</p>\n",
		r->changes[REP_CHANGE_NEW_FAILURE], r->changes[REP_CHANGE_NEW_FAILURE] == 1 ? "" : "s",
		r->changes[REP_CHANGE_FIXED], r->changes[REP_CHANGE_STILL_FAILING],
		r->changes[REP_CHANGE_UNCHANGED], r->changes[REP_CHANGE_NEW], r->nremoved);
	for (k = 0; k < sizeof order / sizeof order[0]; k++) {
		if (r->changes[order[k]] == 0)
			continue;
		buf_puts(b, "<p>");
		rh_badge(b, rh_change_class(order[k]), rep_change_name(order[k]));
		buf_puts(b, "</p><ul>\n");
		for (i = 0; i < r->n; i++) {
			const rep_rec *x = &r->recs[i];
			if (x->change != order[k])
				continue;
			buf_printf(b, "<li><a href=\"#case-%zu\">", x->ncase + 1);
			rh_rec_name(b, x);
			buf_puts(b, "</a>: ");
			rh_esc(b, scn_outcome_name(x->observed));
			buf_puts(b, ", expected ");
			rh_esc(b, scn_outcome_name(x->expected));
			if (x->status == REP_ACCEPTED)
				buf_puts(b, " (accepted)");
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ul>\n");
	}
	if (r->nremoved) {
		buf_puts(b, "<p>No longer run:</p><ul>\n");
		for (i = 0; i < r->nremoved; i++) {
			buf_puts(b, "<li class=\"mono\">");
			rh_esc(b, r->removed[i]);
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ul>\n");
	}
	buf_puts(b, "</section>\n");
}

/* One fact of the subject under test: its value, or "not given". */
static void
put_given(buf_t *b, const char *label, const char *value, const char *id)
{
	buf_printf(b, "<span id=\"%s\">%s: ", id, label);
	if (value != NULL && *value) {
		buf_puts(b, "<b>");
		rh_esc(b, value);
		buf_puts(b, "</b>");
	} else {
		buf_puts(b, "<b class=\"ng\">not given</b>");
	}
	buf_puts(b, "</span>");
}

/* The verdict in one sentence with its counts, for the sign-off block. */
static void
put_verdict_sentence(buf_t *b, const rep_run *r)
{
	buf_printf(b, "<b>Release verdict: %s</b>: %zu of %zu Required expectations met; "
		"%zu Recommended not met; %zu accepted known finding%s; %zu harness error%s",
		r->release_pass ? "PASS" : "FAIL", r->required_met, r->required_total,
		r->recommended_failed, r->accepted, r->accepted == 1 ? "" : "s", r->errors,
		r->errors == 1 ? "" : "s");
	if (r->shards_missing)
		buf_printf(b, "; %zu shard%s missing", r->shards_missing,
			r->shards_missing == 1 ? "" : "s");
	buf_puts(b, ".");
}

/*
 * The last section: the verdict restated with what was tested, and lines for
 * the people who sign it, so that the printed report is the signed record.
 */
static void
put_signoff(buf_t *b, const rep_run *r, const rep_facts *f)
{
	static const char *const lines[] = { "Name", "Role", "Date", "Signature" };
	size_t i;

	buf_printf(b, "<section id=\"signoff\" class=\"signoff\" data-release=\"%s\">"
		"<h2>Sign-off</h2>\n<p class=\"restated\">", r->release_pass ? "pass" : "fail");
	put_verdict_sentence(b, r);
	buf_puts(b, "</p>\n<p class=\"subject-restated\">");
	put_given(b, "Product", f->subject.product, "signoff-product");
	buf_puts(b, " · ");
	put_given(b, "Firmware version", f->subject.firmware_version, "signoff-firmware");
	buf_puts(b, " · run finished <span class=\"mono\">");
	rh_esc(b, rh_meta(r, "finished"));
	buf_puts(b, "</span> · seed <span class=\"mono\">");
	rh_esc(b, rh_meta(r, "seed"));
	buf_puts(b, "</span></p>\n<table class=\"sign\"><thead><tr><th></th><th>Tested by</th>"
		"<th>Approved for release by</th></tr></thead><tbody>\n");
	for (i = 0; i < sizeof lines / sizeof lines[0]; i++)
		buf_printf(b, "<tr><th>%s</th><td></td><td></td></tr>\n", lines[i]);
	buf_puts(b, "</tbody></table></section>\n");
}

static void
put_hashes(buf_t *b, const rep_facts *f)
{
	size_t i;

	buf_puts(b, "<section id=\"firmware\"><h2>Firmware and images</h2>\n"
		"<p class=\"note\">SHA-256 of the firmware images the update server offered "
		"(firmware/ of the results) and of the device images of the targets.</p>\n");
	if (f->nhash == 0) {
		buf_puts(b, "<p class=\"note\">No image found.</p></section>\n");
		return;
	}
	buf_puts(b, "<table><thead><tr><th>Image</th><th style=\"width:110px\">Bytes</th>"
		"<th>SHA-256</th></tr></thead><tbody>\n");
	for (i = 0; i < f->nhash; i++) {
		buf_puts(b, "<tr><td class=\"mono\">");
		rh_esc(b, f->hash_label[i]);
		buf_printf(b, "</td><td>%llu</td><td class=\"mono hash\">",
			(unsigned long long)f->hash_size[i]);
		rh_esc(b, f->hash_hex[i]);
		buf_puts(b, "</td></tr>\n");
	}
	buf_puts(b, "</tbody></table></section>\n");
}

/* see report.h */
void
rep_html(const rep_run *r, const rep_accepts *acc, const rep_facts *f, buf_t *b)
{
	size_t i;

	buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'unsafe-inline'; img-src data:\">\n<title>rotsim sign-off: release ");
	buf_puts(b, r->release_pass ? "PASS" : "FAIL");
	if (f->subject.product && *f->subject.product) {
		buf_puts(b, ", ");
		rh_esc(b, f->subject.product);
		if (f->subject.firmware_version && *f->subject.firmware_version) {
			buf_puts(b, " ");
			rh_esc(b, f->subject.firmware_version);
		}
	}
	buf_puts(b, " (");
	rh_esc(b, rh_meta(r, "finished"));
	buf_puts(b, ")</title>\n<style>");
	buf_puts(b, css);
	buf_puts(b, "</style></head><body>\n<header class=\"top\"><div class=\"inner\">"
		"<div class=\"brand\"><b>rotsim</b>certificate-rotation sign-off report</div>"
		"<div class=\"when\">run ");
	rh_esc(b, rh_meta(r, "finished"));
	buf_puts(b, " · seed <span class=\"mono\">");
	rh_esc(b, rh_meta(r, "seed"));
	buf_puts(b, "</span> · rotsim ");
	rh_esc(b, rh_meta(r, "rotsim"));
	buf_puts(b, "</div><div class=\"subject\">");
	put_given(b, "Product", f->subject.product, "product");
	put_given(b, "Firmware version", f->subject.firmware_version, "firmware-version");
	buf_puts(b, "</div></div></header>\n<main>\n");
	put_headline(b, r);
	put_kpis(b, r);
	buf_puts(b, "<nav class=\"toc\"><a href=\"#matrix\">Matrix</a>"
		"<a href=\"#devices\">Devices</a>");
	if (r->have_baseline)
		buf_puts(b, "<a href=\"#changes\">Changes</a>");
	buf_puts(b, "<a href=\"#required\">Required not met</a><a href=\"#recommended\">"
		"Recommended not met</a><a href=\"#accepted\">Accepted findings</a>"
		"<a href=\"#cases\">Cases</a><a href=\"#run\">The run</a>"
		"<a href=\"#firmware\">Firmware</a><a href=\"#signoff\">Sign-off</a></nav>\n");
	put_matrix(b, r);
	put_devices(b, r);
	put_changes(b, r);
	put_record_list(b, r, "required", "Required expectations not met",
		"Every Required expectation is met.", want_required);
	put_record_list(b, r, "recommended", "Recommended expectations not met",
		"Every Recommended expectation is met.", want_recommended);
	put_accepted(b, r, acc);
	buf_puts(b, "<section id=\"cases\"><h2>Cases</h2>\n<p class=\"note\">One device on one "
		"target through a scenario's phases. The drawing places each phase on a date "
		"axis with the chain the server presented and the device's outcome; the device "
		"is powered off between phases, and long gaps and power-off phases are drawn "
		"dashed. Evidence links are relative to this file.</p>\n");
	for (i = 0; i < r->ncases; i++)
		rh_put_case(b, r, i, f);
	buf_puts(b, "</section>\n");
	put_facts(b, r, f);
	put_hashes(b, f);
	buf_puts(b, "<footer>Written by rotsim ");
	rh_esc(b, f->rotsim_version);
	buf_puts(b, " on ");
	rh_esc(b, f->generated);
	buf_puts(b, ". Every verdict is decided from the evidence files; <span class=\"mono\">"
		"rotsim verdict DIR</span> decides them again.</footer>\n");
	put_signoff(b, r, f);
	buf_puts(b, "</main></body></html>\n");
}

