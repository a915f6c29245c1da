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
#include "time/simtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Small pieces ---- */

static void
esc(buf_t *b, const char *s)
{
	rep_html_escape(b, s);
}

/* A relative URL from path bytes: unreserved bytes and '/' as they are,
 * everything else percent-encoded (':' too, so no scheme can appear). */
static void
put_href(buf_t *b, const char *prefix, const char *path)
{
	const char *parts[2] = { prefix, path };
	int i;

	for (i = 0; i < 2; i++)
		for (const unsigned char *p = (const unsigned char *)parts[i]; p && *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
				|| (*p >= '0' && *p <= '9') || strchr("-._~/@+", *p) != NULL)
				buf_putc(b, *p);
			else
				buf_printf(b, "%%%02X", *p);
		}
}

static const char *
status_class(rep_status s)
{
	static const char *const cls[REP_STATUS_COUNT] = {
		[REP_OK] = "ok", [REP_FINDING] = "fail", [REP_ACCEPTED] = "acc",
		[REP_ERROR] = "err", [REP_OFF] = "off",
	};
	return s < REP_STATUS_COUNT ? cls[s] : "off";
}

static const char *
status_label(rep_status s)
{
	static const char *const lab[REP_STATUS_COUNT] = {
		[REP_OK] = "PASS", [REP_FINDING] = "FAIL", [REP_ACCEPTED] = "ACCEPTED",
		[REP_ERROR] = "ERROR", [REP_OFF] = "OFF",
	};
	return s < REP_STATUS_COUNT ? lab[s] : "?";
}

static const char *
change_class(rep_change c)
{
	switch (c) {
	case REP_CHANGE_NEW_FAILURE: return "chg-new";
	case REP_CHANGE_FIXED: return "chg-fixed";
	case REP_CHANGE_STILL_FAILING: return "chg-still";
	default: return "chg-same";
	}
}

static const char *
meta(const rep_run *r, const char *key)
{
	const char *s = json_get_str(r->doc, key);
	return s ? s : "";
}

/* Why the phase's outcome is expected: from its record; a record of an older
 * rotsim (without the plan's indexes) did not carry it, so the phase's plan
 * is read for it. */
static char *
phase_why(const rep_run *r, const rep_rec *x)
{
	ev_plan p;
	char *dir, err[256], *v;

	if (x->rec->phase_index >= 0 || !x->evidence[0])
		return xstrdup(x->why);
	dir = xasprintf("%s/%s", r->dir, x->evidence);
	v = ev_plan_read(&p, dir, err, sizeof err) == 0 && p.why != NULL ? xstrdup(p.why)
		: xstrdup("");
	ev_plan_free(&p);
	free(dir);
	return v;
}

static int
evidence_exists(const rep_run *r, const rep_rec *x, const char *file)
{
	char *path = xasprintf("%s/%s/%s", r->dir, x->evidence, file);
	int ok = x->evidence[0] && access(path, R_OK) == 0;
	free(path);
	return ok;
}

/* The date part of "2024-07-01T00:00:00Z". */
static void
put_day(buf_t *b, const char *date)
{
	char d[11];
	snprintf(d, sizeof d, "%s", date);
	esc(b, d);
}

static int64_t
rec_time(const rep_rec *x)
{
	int64_t t = 0;
	char err[128];
	if (simtime_parse(x->date, &t, err, sizeof err) != 0)
		return 0;
	return t;
}

/* ---- The page ---- */

static const char css[] =
"*{box-sizing:border-box}"
"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',"
"Arial,sans-serif;color:#1f2328;background:#f6f8fa}"
"main{max-width:1320px;margin:0 auto;padding:0 28px 40px}"
"header.top{background:#0d1b2a;color:#e6edf3;padding:18px 28px}"
"header.top .inner{max-width:1264px;margin:0 auto;display:flex;justify-content:space-between;"
"align-items:baseline;gap:16px;flex-wrap:wrap}"
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
"table.matrix{table-layout:fixed}"
"table.matrix th.dev{width:170px}"
"table.matrix td.cell{padding:4px}"
"table.matrix td.cell a,table.matrix td.cell span.na{display:block;border-radius:6px;"
"padding:8px 10px;text-decoration:none;color:inherit;min-height:54px}"
".cell .lab{font-weight:700;font-size:13px}"
".cell .seq{font-size:12px;opacity:.9}"
".cell .tgt{font-size:11px;opacity:.75}"
".c-ok{background:#dafbe1;color:#0f5323;border:1px solid #4ac26b}"
".c-fail{background:#ffebe9;color:#82071e;border:1px solid #ff8182}"
".c-acc{background:#fff8c5;color:#6a4a00;border:1px solid #d4a72c}"
".c-err{background:#eaeef2;color:#424a53;border:1px solid #afb8c1}"
".c-off,span.na{background:#f6f8fa;color:#8c959f;border:1px dashed #d0d7de}"
".badge{display:inline-block;border-radius:999px;padding:1px 9px;font-size:11px;"
"font-weight:700;letter-spacing:.03em;border:1px solid;white-space:nowrap}"
".b-ok{background:#dafbe1;color:#0f5323;border-color:#4ac26b}"
".b-fail{background:#ffebe9;color:#82071e;border-color:#ff8182}"
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
"article.case.acc{border-left:5px solid #d4a72c}"
"article.case.ok{border-left:5px solid #2da44e}"
"article.case.err{border-left:5px solid #8c959f}"
".casehead{display:flex;gap:10px;align-items:center;flex-wrap:wrap;margin-bottom:6px}"
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
"@media print{"
"@page{size:A4;margin:14mm 12mm}"
"body{background:#fff;font-size:10pt}"
"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}"
"header.top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0 0 8px}"
".brand,.when{color:#000}.brand b{color:#000}"
"main{max-width:none;padding:0}"
"nav.toc{display:none}"
"section{border:none;padding:0;margin:14px 0;break-inside:auto}"
"article.case,table.matrix,.headline,tr{break-inside:avoid}"
"h2{break-after:avoid}"
"a{color:inherit;text-decoration:none}"
"}";

static void
badge(buf_t *b, const char *cls, const char *text)
{
	buf_printf(b, "<span class=\"badge %s\">", cls);
	esc(b, text);
	buf_puts(b, "</span>");
}

static void
status_badge(buf_t *b, rep_status s)
{
	char cls[16];
	snprintf(cls, sizeof cls, "b-%s", status_class(s));
	badge(b, cls, status_label(s));
}

static void
rec_name(buf_t *b, const rep_rec *x)
{
	esc(b, x->scenario);
	buf_puts(b, " · ");
	esc(b, x->device);
	buf_puts(b, " @ ");
	esc(b, x->target);
	buf_puts(b, " · ");
	esc(b, x->phase);
	buf_puts(b, " (");
	put_day(b, x->date);
	buf_puts(b, ")");
}

/* Distinct values of one record field in first-seen order. */
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
	esc(b, name);
	buf_puts(b, mono ? "</th><td class=\"mono\">" : "</th><td>");
	esc(b, value && *value ? value : "(not recorded)");
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
	fact(b, "Run finished (UTC)", meta(r, "finished"), 1);
	fact(b, "PKI seed", meta(r, "seed"), 1);
	buf_printf(&t, "%s (run)", meta(r, "rotsim"));
	if (f->rotsim_version && strcmp(f->rotsim_version, meta(r, "rotsim")) != 0)
		buf_printf(&t, ", %s (report)", f->rotsim_version);
	fact(b, "rotsim version", buf_cstr(&t), 1);
	t.len = 0;
	if (json_get_str(r->doc, "qemu") != NULL)
		buf_printf(&t, "%s (recorded by the run)", meta(r, "qemu"));
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
		buf_printf(&t, "%s", meta(r, "shard"));
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
		esc(b, scn_outcome_name(r->recs[k].observed));
	}
}

static void
put_matrix(buf_t *b, const rep_run *r)
{
	const char **dev, **scn;
	size_t nd = distinct(r, offsetof(rep_rec, device), &dev);
	size_t ns = distinct(r, offsetof(rep_rec, scenario), &scn), i, j, k;

	buf_puts(b, "<section id=\"matrix\"><h2>Devices × scenarios</h2>\n"
		"<p class=\"note\">Each cell is one device profile in one scenario: its verdict "
		"over all phases and the observed outcome of each phase. Click a cell for the "
		"case's timeline and evidence.</p>\n");
	buf_printf(b, "<table class=\"matrix\" id=\"matrix-table\" data-devices=\"%zu\" "
		"data-scenarios=\"%zu\"><thead><tr><th class=\"dev\">Device</th>", nd, ns);
	for (j = 0; j < ns; j++) {
		buf_puts(b, "<th>");
		esc(b, scn[j]);
		buf_puts(b, "</th>");
	}
	buf_puts(b, "</tr></thead><tbody>\n");
	for (i = 0; i < nd; i++) {
		buf_puts(b, "<tr><th class=\"dev mono\">");
		esc(b, dev[i]);
		buf_puts(b, "</th>");
		for (j = 0; j < ns; j++) {
			int any = 0;
			buf_puts(b, "<td class=\"cell\" data-device=\"");
			esc(b, dev[i]);
			buf_puts(b, "\" data-scenario=\"");
			esc(b, scn[j]);
			buf_puts(b, "\">");
			for (k = 0; k < r->ncases; k++) {
				const rep_case *c = &r->cases[k];
				const rep_rec *x = &r->recs[c->first];
				if (strcmp(x->device, dev[i]) != 0 || strcmp(x->scenario, scn[j]) != 0)
					continue;
				any = 1;
				buf_printf(b, "<a class=\"c-%s\" href=\"#case-%zu\" data-status=\"%s\">"
					"<div class=\"lab\">%s", status_class(c->status), k + 1,
					rep_status_name(c->status), status_label(c->status));
				if (c->change == REP_CHANGE_NEW_FAILURE || c->change == REP_CHANGE_FIXED)
					buf_printf(b, " <span class=\"badge %s\">%s</span>",
						change_class(c->change), rep_change_name(c->change));
				buf_puts(b, "</div><div class=\"seq\">");
				outcome_seq(b, r, c);
				buf_puts(b, "</div><div class=\"tgt\">@ ");
				esc(b, x->target);
				buf_puts(b, "</div></a>");
			}
			if (!any)
				buf_puts(b, "<span class=\"na\" title=\"not covered by this scenario\">"
					"<div class=\"lab\">—</div><div class=\"seq\">not in this "
					"scenario</div></span>");
			buf_puts(b, "</td>");
		}
		buf_puts(b, "</tr>\n");
	}
	buf_puts(b, "</tbody></table>\n<p class=\"note\">"
		"<span class=\"badge b-ok\">PASS</span> every outcome as expected · "
		"<span class=\"badge b-fail\">FAIL</span> a finding · "
		"<span class=\"badge b-acc\">ACCEPTED</span> a known finding, accepted · "
		"<span class=\"badge b-err\">ERROR</span> the harness or target failed</p>"
		"</section>\n");
	free(dev);
	free(scn);
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
		rec_name(b, x);
		buf_puts(b, "</a></td><td>");
		esc(b, scn_outcome_name(x->expected));
		buf_puts(b, "</td><td>");
		status_badge(b, x->status);
		buf_puts(b, " ");
		esc(b, scn_outcome_name(x->observed));
		buf_puts(b, "</td><td>");
		esc(b, x->reason);
		if (x->expired) {
			buf_puts(b, "<div class=\"expired\">Acceptance <b>");
			esc(b, x->expired->name);
			buf_puts(b, "</b> expired on ");
			esc(b, x->expired->expires);
			buf_puts(b, ": it no longer applies.</div>");
		}
		buf_puts(b, "</td><td>");
		if (x->change != REP_CHANGE_NONE)
			badge(b, change_class(x->change), rep_change_name(x->change));
		buf_puts(b, "</td></tr>\n");
	}
	if (n)
		buf_puts(b, "</tbody></table>\n");
	else {
		buf_puts(b, "<p class=\"note\">");
		esc(b, none);
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
		rec_name(b, x);
		buf_puts(b, "</a></td><td>");
		esc(b, scn_outcome_name(x->expected));
		buf_puts(b, " / ");
		esc(b, scn_outcome_name(x->observed));
		buf_puts(b, "</td><td class=\"mono\">");
		esc(b, x->accept->name);
		buf_puts(b, "</td><td>");
		esc(b, x->accept->reason);
		buf_puts(b, "</td><td class=\"mono\">");
		esc(b, x->accept->expires);
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
			esc(b, a->name);
			buf_t tmp = {0};
			buf_printf(&tmp, " (%s:%d, expired %s; reason: %s)", acc->path, a->line,
				a->expires, a->reason);
			buf_puts(b, "</b>");
			esc(b, buf_cstr(&tmp));
			buf_free(&tmp);
			buf_printf(b, " no longer applies%s.</div>\n", a->matched
				? ": the findings it covered count again" : "");
		} else if (a->matched == 0) {
			buf_puts(b, "<p class=\"note\">Acceptance <b>");
			esc(b, a->name);
			buf_puts(b, "</b> matches no finding of this run (fixed? it can be "
				"removed).</p>\n");
		}
	}
	if (acc != NULL) {
		buf_puts(b, "<p class=\"note\">From ");
		esc(b, acc->path);
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
	esc(b, r->baseline_path);
	buf_printf(b, "</span>. %zu new failure%s, %zu fixed, %zu still failing, %zu unchanged, "
		"%zu new passing, %zu no longer run.</p>\n",
		r->changes[REP_CHANGE_NEW_FAILURE], r->changes[REP_CHANGE_NEW_FAILURE] == 1 ? "" : "s",
		r->changes[REP_CHANGE_FIXED], r->changes[REP_CHANGE_STILL_FAILING],
		r->changes[REP_CHANGE_UNCHANGED], r->changes[REP_CHANGE_NEW], r->nremoved);
	for (k = 0; k < sizeof order / sizeof order[0]; k++) {
		if (r->changes[order[k]] == 0)
			continue;
		buf_puts(b, "<p>");
		badge(b, change_class(order[k]), rep_change_name(order[k]));
		buf_puts(b, "</p><ul>\n");
		for (i = 0; i < r->n; i++) {
			const rep_rec *x = &r->recs[i];
			if (x->change != order[k])
				continue;
			buf_printf(b, "<li><a href=\"#case-%zu\">", x->ncase + 1);
			rec_name(b, x);
			buf_puts(b, "</a>: ");
			esc(b, scn_outcome_name(x->observed));
			buf_puts(b, ", expected ");
			esc(b, scn_outcome_name(x->expected));
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
			esc(b, r->removed[i]);
			buf_puts(b, "</li>\n");
		}
		buf_puts(b, "</ul>\n");
	}
	buf_puts(b, "</section>\n");
}

/* Colours of the timeline, by status: fill, stroke, text. */
static void
tl_colours(rep_status s, const char **fill, const char **stroke, const char **text)
{
	switch (s) {
	case REP_OK: *fill = "#dafbe1"; *stroke = "#2da44e"; *text = "#0f5323"; break;
	case REP_FINDING: *fill = "#ffebe9"; *stroke = "#cf222e"; *text = "#82071e"; break;
	case REP_ACCEPTED: *fill = "#fff8c5"; *stroke = "#d4a72c"; *text = "#6a4a00"; break;
	case REP_ERROR: *fill = "#eaeef2"; *stroke = "#8c959f"; *text = "#424a53"; break;
	default: *fill = "#f6f8fa"; *stroke = "#afb8c1"; *text = "#57606a"; break;
	}
}

/* Text clipped to at most max bytes, with an ellipsis; UTF-8 sequences are
 * not split. */
static void
esc_clip(buf_t *b, const char *s, size_t max)
{
	size_t n = strlen(s);
	char *t;

	if (n <= max) {
		esc(b, s);
		return;
	}
	n = max > 1 ? max - 1 : 0;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	t = xstrndup(s, n);
	esc(b, t);
	buf_puts(b, "…");
	free(t);
}

/*
 * The case's timeline: phases along a date axis. Each phase keeps a box's
 * width of room and the rest of the axis is shared out in proportion to the
 * dates, so that phases a week apart stay readable next to phases years
 * apart while the axis still shows which gaps are long. The device is
 * powered off between phases; a power-off phase or a gap of more than 90
 * days is drawn dashed as an offline stretch.
 */
static void
put_timeline(buf_t *b, const rep_run *r, const rep_case *c)
{
	const double W = 1100, H = 176, axis = 104, gutter = 64;
	double xs[64], x0, x1, bw, minsp;
	size_t n = c->n < 64 ? c->n : 64, i;
	int64_t t0 = rec_time(&r->recs[c->first]), tn = rec_time(&r->recs[c->first + n - 1]);

	bw = (W - gutter - 10) / (double)n - 10;
	if (bw > 200)
		bw = 200;
	if (bw < 60)
		bw = 60;
	minsp = bw + 10;
	x0 = gutter + bw / 2;
	x1 = W - 10 - bw / 2;
	for (i = 0; i < n; i++) {
		int64_t t = rec_time(&r->recs[c->first + i]);
		double prop = tn > t0 ? (double)(t - t0) / (double)(tn - t0)
			: (n > 1 ? (double)i / (double)(n - 1) : 0.5);
		double room = x1 - x0 - (double)(n - 1) * minsp;
		if (room < 0)
			room = 0;
		xs[i] = n > 1 ? x0 + (double)i * minsp + room * prop : (x0 + x1) / 2;
	}
	size_t clip = (size_t)(bw / 7.0);

	buf_printf(b, "<svg class=\"tl\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"font-family=\"system-ui,Arial,sans-serif\">",
		W, H);
	buf_puts(b, "<title>Timeline of ");
	esc(b, r->recs[c->first].scenario);
	buf_puts(b, " for ");
	esc(b, r->recs[c->first].device);
	buf_puts(b, "</title>");
	buf_printf(b, "<g font-size=\"11\" fill=\"#57606a\"><text x=\"4\" y=\"52\">device</text>"
		"<text x=\"4\" y=\"%.0f\">date</text><text x=\"4\" y=\"%.0f\">chain</text></g>",
		axis + 20, axis + 38);
	/* The axis, gap by gap. */
	if (n == 1)
		buf_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" "
			"stroke=\"#8c959f\" stroke-width=\"2\"/>", gutter, axis, W - 10, axis);
	for (i = 0; i + 1 < n; i++) {
		const rep_rec *a = &r->recs[c->first + i], *z = &r->recs[c->first + i + 1];
		int64_t days = (rec_time(z) - rec_time(a)) / 86400;
		int off = a->status == REP_OFF || z->status == REP_OFF || days > 90;
		buf_printf(b, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" "
			"stroke=\"%s\" stroke-width=\"%s\"%s/>", xs[i], axis, xs[i + 1], axis,
			off ? "#afb8c1" : "#57606a", off ? "3" : "2",
			off ? " stroke-dasharray=\"7 5\"" : "");
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" "
			"fill=\"%s\">%s%lld day%s</text>", (xs[i] + xs[i + 1]) / 2, axis - 6,
			off ? "#8c959f" : "#57606a", off ? "offline " : "+", (long long)days,
			days == 1 ? "" : "s");
	}
	for (i = 0; i < n; i++) {
		const rep_rec *x = &r->recs[c->first + i];
		const char *fill, *stroke, *text;
		double px = xs[i];
		tl_colours(x->status, &fill, &stroke, &text);
		buf_printf(b, "<g><title>");
		esc(b, x->phase);
		buf_puts(b, ": ");
		esc(b, x->reason);
		buf_puts(b, "</title>");
		buf_printf(b, "<rect x=\"%.1f\" y=\"22\" width=\"%.0f\" height=\"54\" rx=\"7\" "
			"fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"%s/>", px - bw / 2, bw, fill,
			stroke, x->status == REP_OFF ? " stroke-dasharray=\"4 3\"" : "");
		buf_printf(b, "<text x=\"%.1f\" y=\"40\" font-size=\"12\" font-weight=\"700\" "
			"text-anchor=\"middle\" fill=\"%s\">", px, text);
		esc_clip(b, x->phase, clip);
		buf_puts(b, "</text>");
		buf_printf(b, "<text x=\"%.1f\" y=\"57\" font-size=\"12\" text-anchor=\"middle\" "
			"fill=\"%s\">", px, text);
		if (x->status == REP_OFF)
			buf_puts(b, "powered off");
		else
			esc_clip(b, scn_outcome_name(x->observed), clip);
		buf_puts(b, "</text>");
		buf_printf(b, "<text x=\"%.1f\" y=\"70\" font-size=\"10\" text-anchor=\"middle\" "
			"fill=\"%s\">", px, text);
		if (x->status != REP_OFF) {
			buf_t t = {0};
			buf_printf(&t, "%s, expected %s", status_label(x->status),
				scn_outcome_name(x->expected));
			esc_clip(b, buf_cstr(&t), clip + 4);
			buf_free(&t);
		}
		buf_puts(b, "</text>");
		buf_printf(b, "<line x1=\"%.1f\" y1=\"76\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"%s\"/>",
			px, px, axis - 6, stroke);
		buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.0f\" r=\"6\" fill=\"%s\" stroke=\"%s\" "
			"stroke-width=\"2\"/>", px, axis, x->status == REP_OFF ? "#fff" : stroke, stroke);
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\" "
			"fill=\"#1f2328\">", px, axis + 20);
		put_day(b, x->date);
		buf_puts(b, "</text>");
		buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"middle\" "
			"fill=\"#424a53\" font-family=\"ui-monospace,Menlo,Consolas,monospace\">", px,
			axis + 38);
		esc_clip(b, x->chain[0] ? x->chain : (x->status == REP_OFF ? "" : "(no chain seen)"),
			clip);
		buf_puts(b, "</text>");
		if (x->alert[0] || x->device_error[0]) {
			buf_printf(b, "<text x=\"%.1f\" y=\"%.0f\" font-size=\"10\" "
				"text-anchor=\"middle\" fill=\"#82071e\">", px, axis + 54);
			esc_clip(b, x->alert[0] ? x->alert : x->device_error, clip + 4);
			buf_puts(b, "</text>");
		}
		buf_puts(b, "</g>");
	}
	buf_puts(b, "</svg>\n");
}

static void
put_evidence(buf_t *b, const rep_run *r, const rep_rec *x, const rep_facts *f)
{
	static const struct {
		const char *file, *label;
	} ev[] = {
		{ "capture.pcap", "capture (pcap)" },
		{ "keylog.txt", "TLS key log" },
		{ "console.log", "console" },
		{ "server-events.jsonl", "server events" },
		{ "phase.json", "phase plan" },
		{ "run.json", "run record" },
	};
	size_t i;
	int any = 0;

	buf_puts(b, "<ul class=\"ev\">");
	for (i = 0; i < sizeof ev / sizeof ev[0]; i++) {
		if (!evidence_exists(r, x, ev[i].file))
			continue;
		any = 1;
		buf_puts(b, "<li><a href=\"");
		buf_t p = {0};
		buf_printf(&p, "%s/%s", x->evidence, ev[i].file);
		put_href(b, f->evidence_prefix, buf_cstr(&p));
		buf_free(&p);
		buf_puts(b, "\">");
		esc(b, ev[i].label);
		buf_puts(b, "</a></li>");
	}
	if (!any)
		buf_puts(b, "<li class=\"why\">no evidence files</li>");
	buf_puts(b, "</ul>");
}

static void
put_case(buf_t *b, const rep_run *r, size_t ci, const rep_facts *f)
{
	const rep_case *c = &r->cases[ci];
	const rep_rec *h = &r->recs[c->first];
	size_t k;

	buf_printf(b, "<article class=\"case %s\" id=\"case-%zu\" data-status=\"%s\">"
		"<div class=\"casehead\">", status_class(c->status), ci + 1,
		rep_status_name(c->status));
	status_badge(b, c->status);
	buf_puts(b, "<h3>");
	esc(b, h->scenario);
	buf_puts(b, " · <span class=\"mono\">");
	esc(b, h->device);
	buf_puts(b, "</span> @ ");
	esc(b, h->target);
	buf_puts(b, "</h3>");
	if (c->change != REP_CHANGE_NONE)
		badge(b, change_class(c->change), rep_change_name(c->change));
	buf_puts(b, "<a class=\"top\" href=\"#matrix\">back to the matrix</a></div>\n");
	put_timeline(b, r, c);
	buf_puts(b, "<table><thead><tr><th style=\"width:13%\">Phase</th>"
		"<th style=\"width:20%\">Expected</th><th style=\"width:14%\">Observed</th>"
		"<th>Reason</th><th style=\"width:13%\">Evidence</th></tr></thead><tbody>\n");
	for (k = c->first; k < c->first + c->n; k++) {
		const rep_rec *x = &r->recs[k];
		char *why = phase_why(r, x);
		buf_puts(b, "<tr><td><b>");
		esc(b, x->phase);
		buf_puts(b, "</b><br><span class=\"mono\">");
		put_day(b, x->date);
		buf_puts(b, "</span></td><td>");
		esc(b, scn_outcome_name(x->expected));
		buf_puts(b, " ");
		badge(b, "b-tier", x->required ? "Required" : "Recommended");
		if (why[0]) {
			buf_puts(b, "<div class=\"why\">");
			esc(b, why);
			buf_puts(b, "</div>");
		}
		buf_puts(b, "</td><td>");
		status_badge(b, x->status);
		buf_puts(b, "<br>");
		esc(b, scn_outcome_name(x->observed));
		if (x->change != REP_CHANGE_NONE && x->change != REP_CHANGE_UNCHANGED) {
			buf_puts(b, "<br>");
			badge(b, change_class(x->change), rep_change_name(x->change));
		}
		buf_puts(b, "</td><td>");
		esc(b, x->reason);
		if (x->chain[0] || x->reference[0]) {
			buf_puts(b, "<div class=\"why\">chain <span class=\"mono\">");
			esc(b, x->chain[0] ? x->chain : "none");
			buf_puts(b, "</span>");
			if (x->reference[0]) {
				buf_puts(b, "; a correct validation says <span class=\"mono\">");
				esc(b, x->reference);
				buf_puts(b, "</span>");
			}
			buf_puts(b, "</div>");
		}
		if (x->accept) {
			buf_puts(b, "<div class=\"accept\">Accepted as <b>");
			esc(b, x->accept->name);
			buf_puts(b, "</b> until ");
			esc(b, x->accept->expires);
			buf_puts(b, ": ");
			esc(b, x->accept->reason);
			buf_puts(b, "</div>");
		} else if (x->expired) {
			buf_puts(b, "<div class=\"expired\">Acceptance <b>");
			esc(b, x->expired->name);
			buf_puts(b, "</b> expired on ");
			esc(b, x->expired->expires);
			buf_puts(b, ": the finding counts.</div>");
		}
		buf_puts(b, "</td><td>");
		put_evidence(b, r, x, f);
		buf_puts(b, "</td></tr>\n");
		free(why);
	}
	buf_puts(b, "</tbody></table></article>\n");
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
		esc(b, f->hash_label[i]);
		buf_printf(b, "</td><td>%llu</td><td class=\"mono hash\">",
			(unsigned long long)f->hash_size[i]);
		esc(b, f->hash_hex[i]);
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
	buf_puts(b, " (");
	esc(b, meta(r, "finished"));
	buf_puts(b, ")</title>\n<style>");
	buf_puts(b, css);
	buf_puts(b, "</style></head><body>\n<header class=\"top\"><div class=\"inner\">"
		"<div class=\"brand\"><b>rotsim</b>certificate-rotation sign-off report</div>"
		"<div class=\"when\">run ");
	esc(b, meta(r, "finished"));
	buf_puts(b, " · seed <span class=\"mono\">");
	esc(b, meta(r, "seed"));
	buf_puts(b, "</span> · rotsim ");
	esc(b, meta(r, "rotsim"));
	buf_puts(b, "</div></div></header>\n<main>\n");
	put_headline(b, r);
	put_kpis(b, r);
	buf_puts(b, "<nav class=\"toc\"><a href=\"#matrix\">Matrix</a>");
	if (r->have_baseline)
		buf_puts(b, "<a href=\"#changes\">Changes</a>");
	buf_puts(b, "<a href=\"#required\">Required not met</a><a href=\"#recommended\">"
		"Recommended not met</a><a href=\"#accepted\">Accepted findings</a>"
		"<a href=\"#cases\">Cases</a><a href=\"#run\">The run</a>"
		"<a href=\"#firmware\">Firmware</a></nav>\n");
	put_matrix(b, r);
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
		put_case(b, r, i, f);
	buf_puts(b, "</section>\n");
	put_facts(b, r, f);
	put_hashes(b, f);
	buf_puts(b, "<footer>Written by rotsim ");
	esc(b, f->rotsim_version);
	buf_puts(b, " on ");
	esc(b, f->generated);
	buf_puts(b, ". Every verdict is decided from the evidence files; <span class=\"mono\">"
		"rotsim verdict DIR</span> decides them again.</footer>\n</main></body></html>\n");
}

/* ---- Markdown ---- */

static void
md_row(buf_t *b, const rep_rec *x)
{
	static const char *const icon[REP_STATUS_COUNT] = {
		[REP_OK] = "✅", [REP_FINDING] = "❌", [REP_ACCEPTED] = "⚠️",
		[REP_ERROR] = "⛔", [REP_OFF] = "",
	};
	buf_printf(b, "| %s %s | ", icon[x->status], status_label(x->status));
	rep_md_escape(b, x->scenario);
	buf_puts(b, " | ");
	rep_md_escape(b, x->device);
	buf_puts(b, " | ");
	rep_md_escape(b, x->target);
	buf_puts(b, " | ");
	rep_md_escape(b, x->phase);
	buf_puts(b, " | ");
	rep_md_escape(b, scn_outcome_name(x->expected));
	buf_puts(b, " | ");
	rep_md_escape(b, scn_outcome_name(x->observed));
	buf_printf(b, " | %s | %s |\n", x->required ? "Required" : "Recommended",
		x->change == REP_CHANGE_NONE ? "" : rep_change_name(x->change));
}

/* see report.h */
void
rep_markdown(const rep_run *r, const rep_accepts *acc, const rep_facts *f, buf_t *b)
{
	size_t i, shown = 0, more = 0;
	const size_t max_rows = 40;

	buf_printf(b, "### rotsim: release %s\n\n", r->release_pass ? "✅ PASS" : "❌ FAIL");
	buf_printf(b, "**%zu of %zu Required expectations met**", r->required_met,
		r->required_total);
	buf_printf(b, " · %zu Recommended not met · %zu accepted known finding%s · %zu harness "
		"error%s · %zu cases\n\n", r->recommended_failed, r->accepted,
		r->accepted == 1 ? "" : "s", r->errors, r->errors == 1 ? "" : "s", r->ncases);
	if (r->shards_missing)
		buf_printf(b, "**%zu shard%s missing: the results are incomplete.**\n\n",
			r->shards_missing, r->shards_missing == 1 ? "" : "s");
	if (r->have_baseline)
		buf_printf(b, "Since the baseline: **%zu new failure%s**, %zu fixed, %zu still "
			"failing, %zu unchanged.\n\n", r->changes[REP_CHANGE_NEW_FAILURE],
			r->changes[REP_CHANGE_NEW_FAILURE] == 1 ? "" : "s",
			r->changes[REP_CHANGE_FIXED], r->changes[REP_CHANGE_STILL_FAILING],
			r->changes[REP_CHANGE_UNCHANGED]);
	for (i = 0; i < r->n; i++) {
		const rep_rec *x = &r->recs[i];
		int show = x->status == REP_FINDING || x->status == REP_ERROR
			|| x->status == REP_ACCEPTED || x->change == REP_CHANGE_FIXED
			|| x->change == REP_CHANGE_NEW_FAILURE;
		if (!show)
			continue;
		if (shown == max_rows) {
			more++;
			continue;
		}
		if (shown++ == 0)
			buf_puts(b, "| | Scenario | Device | Target | Phase | Expected | Observed | "
				"Tier | Change |\n|---|---|---|---|---|---|---|---|---|\n");
		md_row(b, x);
	}
	if (more)
		buf_printf(b, "\n… and %zu more (see report.html).\n", more);
	if (shown == 0)
		buf_puts(b, "Every outcome is as expected.\n");
	buf_puts(b, "\n");
	if (r->accepted) {
		buf_puts(b, "**Accepted known findings**\n\n");
		for (i = 0; i < r->n; i++) {
			const rep_rec *x = &r->recs[i];
			if (x->status != REP_ACCEPTED)
				continue;
			buf_puts(b, "- ");
			rep_md_escape(b, x->scenario);
			buf_puts(b, " ");
			rep_md_escape(b, x->device);
			buf_puts(b, "@");
			rep_md_escape(b, x->target);
			buf_puts(b, " ");
			rep_md_escape(b, x->phase);
			buf_puts(b, ": ");
			rep_md_escape(b, x->accept->reason);
			buf_puts(b, " (accepted as ");
			rep_md_escape(b, x->accept->name);
			buf_puts(b, " until ");
			rep_md_escape(b, x->accept->expires);
			buf_puts(b, ")\n");
		}
		buf_puts(b, "\n");
	}
	for (i = 0; acc != NULL && i < acc->n; i++)
		if (acc->v[i].expired) {
			buf_puts(b, "- **expired acceptance** ");
			rep_md_escape(b, acc->v[i].name);
			buf_puts(b, " (expired ");
			rep_md_escape(b, acc->v[i].expires);
			buf_puts(b, "): no longer applies\n");
		}
	buf_printf(b, "\nrotsim %s · run %s · seed `", meta(r, "rotsim"), meta(r, "finished"));
	for (const char *s = meta(r, "seed"); *s; s++)
		if (*s != '`' && (unsigned char)*s >= 0x20)
			buf_putc(b, *s);
	buf_printf(b, "` · full report: report.html (written %s)\n", f->generated);
}

/* ---- JSON ---- */

/* see report.h */
void
rep_json(const rep_run *r, const rep_accepts *acc, const rep_facts *f, buf_t *b)
{
	size_t i;

	buf_printf(b, "{\"release\":\"%s\",\"required_total\":%zu,\"required_met\":%zu,"
		"\"required_failed\":%zu,\"required_errors\":%zu,\"recommended_total\":%zu,"
		"\"recommended_failed\":%zu,\"accepted\":%zu,\"errors\":%zu,\"shards_missing\":%zu,"
		"\"generated\":", r->release_pass ? "pass" : "fail", r->required_total,
		r->required_met, r->required_failed, r->required_errors, r->recommended_total,
		r->recommended_failed, r->accepted, r->errors, r->shards_missing);
	json_put_str(b, f->generated);
	buf_puts(b, ",\"baseline\":");
	if (r->have_baseline) {
		json_put_str(b, r->baseline_path);
		buf_printf(b, ",\"changes\":{\"new_failure\":%zu,\"fixed\":%zu,\"still_failing\":%zu,"
			"\"unchanged\":%zu,\"new\":%zu,\"removed\":%zu}",
			r->changes[REP_CHANGE_NEW_FAILURE], r->changes[REP_CHANGE_FIXED],
			r->changes[REP_CHANGE_STILL_FAILING], r->changes[REP_CHANGE_UNCHANGED],
			r->changes[REP_CHANGE_NEW], r->nremoved);
	} else {
		buf_puts(b, "null");
	}
	buf_puts(b, ",\"records\":[");
	for (i = 0; i < r->n; i++) {
		const rep_rec *x = &r->recs[i];
		buf_puts(b, i ? ",\n{" : "\n{");
		buf_puts(b, "\"scenario\":");
		json_put_str(b, x->scenario);
		buf_puts(b, ",\"device\":");
		json_put_str(b, x->device);
		buf_puts(b, ",\"target\":");
		json_put_str(b, x->target);
		buf_puts(b, ",\"phase\":");
		json_put_str(b, x->phase);
		buf_printf(b, ",\"tier\":\"%s\",\"status\":\"%s\",\"change\":\"%s\",\"accepted_by\":",
			x->required ? "required" : "recommended", rep_status_name(x->status),
			rep_change_name(x->change));
		if (x->accept)
			json_put_str(b, x->accept->name);
		else
			buf_puts(b, "null");
		buf_puts(b, "}");
	}
	buf_puts(b, "],\"acceptances\":[");
	for (i = 0; acc != NULL && i < acc->n; i++) {
		buf_puts(b, i ? "," : "");
		buf_puts(b, "{\"name\":");
		json_put_str(b, acc->v[i].name);
		buf_printf(b, ",\"expires\":\"%s\",\"expired\":%s,\"matched\":%zu,\"line\":%d}",
			acc->v[i].expires, acc->v[i].expired ? "true" : "false", acc->v[i].matched,
			acc->v[i].line);
	}
	buf_puts(b, "]}\n");
}
