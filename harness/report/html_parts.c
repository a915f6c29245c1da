/*
 * Small pieces of report.html shared by its writers: escaping, links, badges
 * and names of records. See report_int.h.
 */
#include "report/report.h"
#include "report/report_int.h"
#include "time/simtime.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- Small pieces ---- */

void
rh_esc(buf_t *b, const char *s)
{
	rep_html_escape(b, s);
}

/* A relative URL from path bytes: unreserved bytes and '/' as they are,
 * everything else percent-encoded (':' too, so no scheme can appear). */
void
rh_put_href(buf_t *b, const char *prefix, const char *path)
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

const char *
rh_status_class(rep_status s)
{
	static const char *const cls[REP_STATUS_COUNT] = {
		[REP_OK] = "ok", [REP_FINDING] = "fail", [REP_ACCEPTED] = "acc",
		[REP_ERROR] = "err", [REP_OFF] = "off",
	};
	return s < REP_STATUS_COUNT ? cls[s] : "off";
}

const char *
rh_status_label(rep_status s)
{
	static const char *const lab[REP_STATUS_COUNT] = {
		[REP_OK] = "PASS", [REP_FINDING] = "FAIL", [REP_ACCEPTED] = "ACCEPTED",
		[REP_ERROR] = "ERROR", [REP_OFF] = "OFF",
	};
	return s < REP_STATUS_COUNT ? lab[s] : "?";
}

const char *
rh_change_class(rep_change c)
{
	switch (c) {
	case REP_CHANGE_NEW_FAILURE: return "chg-new";
	case REP_CHANGE_FIXED: return "chg-fixed";
	case REP_CHANGE_STILL_FAILING: return "chg-still";
	default: return "chg-same";
	}
}

const char *
rh_meta(const rep_run *r, const char *key)
{
	const char *s = json_get_str(r->doc, key);
	return s ? s : "";
}

/* Why the phase's outcome is expected: from its record; a record of an older
 * rotsim (without the plan's indexes) did not carry it, so the phase's plan
 * is read for it. */
char *
rh_phase_why(const rep_run *r, const rep_rec *x)
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

int
rh_evidence_exists(const rep_run *r, const rep_rec *x, const char *file)
{
	char *path = xasprintf("%s/%s/%s", r->dir, x->evidence, file);
	int ok = x->evidence[0] && access(path, R_OK) == 0;
	free(path);
	return ok;
}

/* The date part of "2024-07-01T00:00:00Z". */
void
rh_put_day(buf_t *b, const char *date)
{
	char d[11];
	snprintf(d, sizeof d, "%s", date);
	rh_esc(b, d);
}

int64_t
rh_rec_time(const rep_rec *x)
{
	int64_t t = 0;
	char err[128];
	if (simtime_parse(x->date, &t, err, sizeof err) != 0)
		return 0;
	return t;
}

void
rh_badge(buf_t *b, const char *cls, const char *text)
{
	buf_printf(b, "<span class=\"badge %s\">", cls);
	rh_esc(b, text);
	buf_puts(b, "</span>");
}

void
rh_status_badge(buf_t *b, rep_status s)
{
	char cls[16];
	snprintf(cls, sizeof cls, "b-%s", rh_status_class(s));
	rh_badge(b, cls, rh_status_label(s));
}

void
rh_rec_name(buf_t *b, const rep_rec *x)
{
	rh_esc(b, x->scenario);
	buf_puts(b, " · ");
	rh_esc(b, x->device);
	buf_puts(b, " @ ");
	rh_esc(b, x->target);
	buf_puts(b, " · ");
	rh_esc(b, x->phase);
	buf_puts(b, " (");
	rh_put_day(b, x->date);
	buf_puts(b, ")");
}

/* ---- Kinds: a status, with findings split into blockers and misses ---- */

rh_kind
rh_rec_kind(const rep_rec *x)
{
	switch (x->status) {
	case REP_OK: return RH_PASS;
	case REP_FINDING: return x->required ? RH_BLOCKER : RH_MISS;
	case REP_ACCEPTED: return RH_ACCEPTED;
	case REP_ERROR: return RH_ERROR;
	default: return RH_OFF;
	}
}

/* The worst kind of its records; a blocker outweighs a harness error, which
 * outweighs a Recommended miss. */
rh_kind
rh_case_kind(const rep_run *r, const rep_case *c)
{
	static const int weight[RH_KIND_COUNT] = {
		[RH_OFF] = 0, [RH_PASS] = 1, [RH_ACCEPTED] = 2, [RH_MISS] = 3, [RH_ERROR] = 4,
		[RH_BLOCKER] = 5,
	};
	rh_kind worst = RH_OFF;
	size_t k;

	for (k = c->first; k < c->first + c->n; k++) {
		rh_kind x = rh_rec_kind(&r->recs[k]);
		if (weight[x] > weight[worst])
			worst = x;
	}
	return worst;
}

static const struct {
	const char *cls, *label, *note;
} kinds[RH_KIND_COUNT] = {
	[RH_PASS] = { "ok", "PASS", "" },
	[RH_BLOCKER] = { "fail", "FAIL", "release blocker" },
	[RH_MISS] = { "rec", "MISS", "Recommended, not a blocker" },
	[RH_ACCEPTED] = { "acc", "ACCEPTED", "" },
	[RH_ERROR] = { "err", "ERROR", "" },
	[RH_OFF] = { "off", "OFF", "" },
};

const char *
rh_kind_class(rh_kind k)
{
	return k < RH_KIND_COUNT ? kinds[k].cls : "off";
}

const char *
rh_kind_label(rh_kind k)
{
	return k < RH_KIND_COUNT ? kinds[k].label : "?";
}

const char *
rh_kind_note(rh_kind k)
{
	return k < RH_KIND_COUNT ? kinds[k].note : "";
}

void
rh_kind_badge(buf_t *b, rh_kind k)
{
	buf_printf(b, "<span class=\"badge b-%s\">%s", rh_kind_class(k), rh_kind_label(k));
	if (rh_kind_note(k)[0])
		buf_printf(b, " <span class=\"kn\">· %s</span>", rh_kind_note(k));
	buf_puts(b, "</span>");
}

void
rh_put_duration(buf_t *b, long long ms)
{
	if (ms < 0)
		ms = 0;
	if (ms < 60000)
		buf_printf(b, "%lld.%lld s", ms / 1000, ms % 1000 / 100);
	else
		buf_printf(b, "%lld min %02lld s", ms / 60000, ms % 60000 / 1000);
}

long long
rh_case_ms(const rep_run *r, const rep_case *c)
{
	long long ms = 0;
	int any = 0;
	size_t k;

	for (k = c->first; k < c->first + c->n; k++)
		if (r->recs[k].rec->duration_ms > 0) {
			ms += r->recs[k].rec->duration_ms;
			any = 1;
		}
	return any ? ms : -1;
}

const char *
rh_device_stack(const char *device)
{
	const char *at = strchr(device, '@');
	return at != NULL && at[1] ? at + 1 : "bearssl";
}

size_t
rh_device_base_len(const char *device)
{
	const char *at = strchr(device, '@');
	return at != NULL && at[1] ? (size_t)(at - device) : strlen(device);
}
