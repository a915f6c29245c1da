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

/* Distinct values of one record field in first-seen order. */
