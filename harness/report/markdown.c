/*
 * report.md (a short summary for a pull-request comment) and report.json.
 * See report.h.
 */
#include "report/report.h"
#include "report/report_int.h"
#include "time/simtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Markdown ---- */

static void
md_row(buf_t *b, const rep_rec *x)
{
	static const char *const icon[RH_KIND_COUNT] = {
		[RH_PASS] = "✅", [RH_BLOCKER] = "❌", [RH_MISS] = "🔸", [RH_ACCEPTED] = "⚠️",
		[RH_ERROR] = "⛔", [RH_OFF] = "",
	};
	rh_kind k = rh_rec_kind(x);
	buf_printf(b, "| %s %s | ", icon[k], rh_kind_label(k));
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
	buf_puts(b, "Product: ");
	rep_md_escape(b, f->subject.product && *f->subject.product ? f->subject.product
		: "not given");
	buf_puts(b, " · firmware version: ");
	rep_md_escape(b, f->subject.firmware_version && *f->subject.firmware_version
		? f->subject.firmware_version : "not given");
	buf_puts(b, "\n\n");
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
	buf_printf(b, "\nrotsim %s · run %s · seed `", rh_meta(r, "rotsim"), rh_meta(r, "finished"));
	for (const char *s = rh_meta(r, "seed"); *s; s++)
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
	buf_puts(b, ",\"product\":");
	if (f->subject.product && *f->subject.product)
		json_put_str(b, f->subject.product);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\"firmware_version\":");
	if (f->subject.firmware_version && *f->subject.firmware_version)
		json_put_str(b, f->subject.firmware_version);
	else
		buf_puts(b, "null");
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

