/*
 * Reading a run back and judging it for sign-off: expected failures,
 * baseline changes, the release verdict. See report.h.
 */
#include "report/report.h"
#include "common/cfg.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- Expected failures ---- */

static void
accept_clear(rep_accept *e)
{
	free(e->name);
	free(e->scenario);
	free(e->device);
	free(e->target);
	free(e->phase);
	free(e->reason);
}

/* see report.h */
void
rep_accepts_free(rep_accepts *a)
{
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		accept_clear(&a->v[i]);
	free(a->v);
	free(a->path);
	memset(a, 0, sizeof *a);
}

/* An optional selector: absent or "*" matches anything (NULL). */
static int
selector(cfg_section *s, const char *key, int required, char **out, const char *path,
	char *err, size_t errlen)
{
	cfg_entry *dup = NULL, *e = cfg_get(s, key, &dup);

	*out = NULL;
	if (dup != NULL)
		return util_err(err, errlen, "%s:%d: %s given twice", path, dup->line, key);
	if (e == NULL) {
		if (required)
			return util_err(err, errlen, "%s:%d: [accept %s] needs %s = ...", path,
				s->line, s->name, key);
		return 0;
	}
	if (e->val[0] == 0)
		return util_err(err, errlen, "%s:%d: %s is empty", path, e->line, key);
	if (strcmp(e->val, "*") == 0) {
		if (required)
			return util_err(err, errlen, "%s:%d: %s must be named, not \"*\"", path,
				e->line, key);
		return 0;
	}
	if (!cfg_valid_id(e->val))
		return util_err(err, errlen, "%s:%d: %s \"%s\" is not a name", path, e->line, key,
			e->val);
	*out = xstrdup(e->val);
	return 0;
}

/* see report.h */
int
rep_accepts_parse(rep_accepts *a, const char *path, const char *text, size_t len,
	int64_t today, char *err, size_t errlen)
{
	cfg_doc doc;
	size_t i, j;
	int ret = -1;

	memset(a, 0, sizeof *a);
	if (cfg_parse(&doc, path, text, len, err, errlen) != 0)
		return -1;
	a->path = xstrdup(path);
	for (i = 0; i < doc.n; i++) {
		cfg_section *s = &doc.secs[i];
		cfg_entry *e, *dup = NULL;
		rep_accept *x;
		char msg[256];

		if (strcmp(s->kind, "accept") != 0) {
			util_err(err, errlen, "%s:%d: unknown section [%s] (only [accept NAME])", path,
				s->line, s->kind);
			goto out;
		}
		if (s->name == NULL) {
			util_err(err, errlen, "%s:%d: [accept] needs a name: [accept NAME]", path,
				s->line);
			goto out;
		}
		for (j = 0; j < a->n; j++)
			if (strcmp(a->v[j].name, s->name) == 0) {
				util_err(err, errlen, "%s:%d: [accept %s] given twice (first at line %d)",
					path, s->line, s->name, a->v[j].line);
				goto out;
			}
		a->v = xrealloc(a->v, (a->n + 1) * sizeof *a->v);
		x = &a->v[a->n++];
		memset(x, 0, sizeof *x);
		x->name = xstrdup(s->name);
		x->line = s->line;
		if (selector(s, "scenario", 1, &x->scenario, path, err, errlen) != 0
			|| selector(s, "device", 0, &x->device, path, err, errlen) != 0
			|| selector(s, "target", 0, &x->target, path, err, errlen) != 0
			|| selector(s, "phase", 0, &x->phase, path, err, errlen) != 0)
			goto out;
		e = cfg_get(s, "reason", &dup);
		if (dup != NULL) {
			util_err(err, errlen, "%s:%d: reason given twice", path, dup->line);
			goto out;
		}
		if (e == NULL || e->val[0] == 0) {
			util_err(err, errlen, "%s:%d: [accept %s] needs a reason = ... (why the team "
				"accepts this finding)", path, e ? e->line : s->line, s->name);
			goto out;
		}
		x->reason = xstrdup(e->val);
		dup = NULL;
		e = cfg_get(s, "expires", &dup);
		if (dup != NULL) {
			util_err(err, errlen, "%s:%d: expires given twice", path, dup->line);
			goto out;
		}
		if (e == NULL) {
			util_err(err, errlen, "%s:%d: [accept %s] needs expires = YYYY-MM-DD (an "
				"acceptance without an end is not allowed)", path, s->line, s->name);
			goto out;
		}
		if (strlen(e->val) != 10 || simtime_parse(e->val, &x->expires_at, msg, sizeof msg)
			!= 0) {
			util_err(err, errlen, "%s:%d: expires \"%s\" is not a date YYYY-MM-DD", path,
				e->line, e->val);
			goto out;
		}
		memcpy(x->expires, e->val, 11);
		x->expired = x->expires_at <= today;
		if ((e = cfg_unused(s)) != NULL) {
			util_err(err, errlen, "%s:%d: unknown key \"%s\" in [accept %s] (scenario, "
				"device, target, phase, reason, expires)", path, e->line, e->key,
				s->name);
			goto out;
		}
	}
	ret = 0;
out:
	cfg_free(&doc);
	if (ret != 0)
		rep_accepts_free(a);
	return ret;
}

/* see report.h */
int
rep_accepts_load(rep_accepts *a, const char *path, int64_t today, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r;

	memset(a, 0, sizeof *a);
	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	r = rep_accepts_parse(a, path, (const char *)data, len, today, err, errlen);
	free(data);
	return r;
}

static int
sel_match(const char *sel, const char *v)
{
	return sel == NULL || (v != NULL && strcmp(sel, v) == 0);
}

/* see report.h */
rep_accept *
rep_accepts_match(const rep_accepts *a, const char *scn, const char *device,
	const char *target, const char *phase, int expired)
{
	size_t i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < a->n; i++) {
		rep_accept *x = &a->v[i];
		if (!x->expired == !expired && sel_match(x->scenario, scn)
			&& sel_match(x->device, device) && sel_match(x->target, target)
			&& sel_match(x->phase, phase))
			return x;
	}
	return NULL;
}

/* ---- Baseline ---- */

static const char *const change_names[REP_CHANGE_COUNT] = {
	[REP_CHANGE_NONE] = "",
	[REP_CHANGE_NEW_FAILURE] = "new failure",
	[REP_CHANGE_FIXED] = "fixed",
	[REP_CHANGE_STILL_FAILING] = "still failing",
	[REP_CHANGE_UNCHANGED] = "unchanged",
	[REP_CHANGE_NEW] = "new",
};

/* see report.h */
const char *
rep_change_name(rep_change c)
{
	return c < REP_CHANGE_COUNT ? change_names[c] : "";
}

/* see report.h */
rep_change
rep_change_classify(int have_baseline, int in_baseline, int failed_before, int failed_now)
{
	if (!have_baseline)
		return REP_CHANGE_NONE;
	if (!in_baseline)
		return failed_now ? REP_CHANGE_NEW_FAILURE : REP_CHANGE_NEW;
	if (failed_now)
		return failed_before ? REP_CHANGE_STILL_FAILING : REP_CHANGE_NEW_FAILURE;
	return failed_before ? REP_CHANGE_FIXED : REP_CHANGE_UNCHANGED;
}

/* ---- Escaping ---- */

/* see report.h */
void
rep_html_escape(buf_t *b, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '&': buf_puts(b, "&amp;"); break;
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&#39;"); break;
		default:
			if (c >= 0x20 || c == '\n' || c == '\t')
				buf_putc(b, c);
			/* Other control characters have no place in a report. */
		}
	}
}

/* see report.h */
void
rep_md_escape(buf_t *b, const char *s)
{
	if (s == NULL)
		return;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		switch (c) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '\n': case '\r': case '\t': buf_putc(b, ' '); break;
		case '|': case '\\': case '`': case '*': case '_': case '[': case ']':
		case '#': case '!': case '~':
			buf_putc(b, '\\');
			buf_putc(b, c);
			break;
		default:
			if (c >= 0x20)
				buf_putc(b, c);
		}
	}
}

/* ---- A run ---- */

static const char *const status_names[REP_STATUS_COUNT] = {
	[REP_OK] = "pass",
	[REP_FINDING] = "fail",
	[REP_ACCEPTED] = "accepted",
	[REP_ERROR] = "error",
	[REP_OFF] = "off",
};

/* see report.h */
const char *
rep_status_name(rep_status s)
{
	return s < REP_STATUS_COUNT ? status_names[s] : "?";
}

/* see report.h */
void
rep_run_free(rep_run *r)
{
	size_t i;

	if (r == NULL)
		return;
	ev_summary_free(&r->sum);
	free(r->dir);
	free(r->recs);
	free(r->cases);
	free(r->baseline_path);
	for (i = 0; i < r->nremoved; i++)
		free(r->removed[i]);
	free(r->removed);
	memset(r, 0, sizeof *r);
}

static int
same_case(const rep_rec *a, const rep_rec *b)
{
	return strcmp(a->scenario, b->scenario) == 0 && strcmp(a->device, b->device) == 0
		&& strcmp(a->target, b->target) == 0;
}

/* see report.h */
int
rep_run_load(rep_run *r, const char *dir, char *err, size_t errlen)
{
	size_t i;
	int64_t v;

	memset(r, 0, sizeof *r);
	if (ev_summary_read(&r->sum, dir, err, errlen) != 0)
		return -1;
	r->dir = xstrdup(dir);
	r->doc = r->sum.doc;
	r->recs = xcalloc(r->sum.n + 1, sizeof *r->recs);
	for (i = 0; i < r->sum.n; i++) {
		const ev_record *e = &r->sum.recs[i];
		rep_rec *x = &r->recs[r->n];
		x->rec = e;
		x->scenario = e->scenario;
		x->device = e->device;
		x->target = e->target;
		x->phase = e->phase;
		x->date = e->date;
		x->reason = e->reason;
		x->why = e->why;
		x->evidence = e->evidence;
		x->chain = e->chain_text;
		x->alert = e->alert;
		x->device_error = e->device_error;
		x->reference = e->reference;
		x->expected = e->expected;
		x->observed = e->observed;
		x->pass = e->pass;
		x->required = e->required;
		if (r->n == 0 || !same_case(x, &r->recs[r->n - 1])) {
			r->cases = xrealloc(r->cases, (r->ncases + 1) * sizeof *r->cases);
			memset(&r->cases[r->ncases], 0, sizeof *r->cases);
			r->cases[r->ncases].first = r->n;
			r->ncases++;
		}
		x->ncase = r->ncases - 1;
		r->cases[r->ncases - 1].n++;
		r->n++;
	}
	if (json_get_int(r->doc, "shards_missing", &v) == 0 && v > 0)
		r->shards_missing = (size_t)v;
	return 0;
}

/* A record that counts as failed against a baseline: harness errors too. */
static int
rec_failed(const ev_record *e)
{
	if (e->observed == OUT_OFF)
		return 0;
	return !e->pass || ev_record_is_error(e);
}

/* How much a status or change weighs when a case shows one for all its
 * records: the worst wins. */
static const int status_weight[REP_STATUS_COUNT] = {
	[REP_OFF] = 0, [REP_OK] = 1, [REP_ACCEPTED] = 2, [REP_ERROR] = 3, [REP_FINDING] = 4,
};
static const int change_weight[REP_CHANGE_COUNT] = {
	[REP_CHANGE_NONE] = 0, [REP_CHANGE_UNCHANGED] = 1, [REP_CHANGE_NEW] = 2,
	[REP_CHANGE_STILL_FAILING] = 3, [REP_CHANGE_FIXED] = 4, [REP_CHANGE_NEW_FAILURE] = 5,
};

static int
baseline_judge(rep_run *r, const char *baseline, char *err, size_t errlen)
{
	ev_summary b;
	size_t i, k;
	char *seen;

	if (ev_summary_read(&b, baseline, err, errlen) != 0)
		return -1;
	r->have_baseline = 1;
	r->baseline_path = xstrdup(baseline);
	seen = xcalloc(b.n + 1, 1);
	for (i = 0; i < r->n; i++) {
		rep_rec *x = &r->recs[i];
		int in = 0, before = 0;
		if (x->status == REP_OFF)
			continue;
		for (k = 0; k < b.n; k++) {
			const ev_record *p = &b.recs[k];
			if (strcmp(p->scenario, x->scenario) == 0 && strcmp(p->device, x->device) == 0
				&& strcmp(p->target, x->target) == 0
				&& strcmp(p->phase, x->phase) == 0) {
				in = 1;
				seen[k] = 1;
				before = rec_failed(p);
				break;
			}
		}
		x->change = rep_change_classify(1, in, before, x->status == REP_FINDING
			|| x->status == REP_ACCEPTED || x->status == REP_ERROR);
		r->changes[x->change]++;
	}
	for (k = 0; k < b.n; k++) {
		const ev_record *p = &b.recs[k];
		if (seen[k] || p->observed == OUT_OFF)
			continue;
		r->removed = xrealloc(r->removed, (r->nremoved + 1) * sizeof *r->removed);
		r->removed[r->nremoved++] = xasprintf("%s %s@%s %s", p->scenario, p->device,
			p->target, p->phase);
	}
	free(seen);
	ev_summary_free(&b);
	return 0;
}

/* see report.h */
int
rep_run_judge(rep_run *r, rep_accepts *acc, const char *baseline, char *err, size_t errlen)
{
	size_t i;

	if (acc != NULL)
		for (i = 0; i < acc->n; i++)
			acc->v[i].matched = 0;
	r->required_total = r->required_met = r->required_failed = r->required_errors = 0;
	r->recommended_total = r->recommended_failed = 0;
	r->accepted = r->errors = r->findings = 0;
	for (i = 0; i < r->n; i++) {
		rep_rec *x = &r->recs[i];
		x->accept = x->expired = NULL;
		if (x->observed == OUT_OFF) {
			x->status = REP_OFF;
			continue;
		}
		if (x->observed == OUT_ERROR || x->observed == OUT_INTERRUPTED)
			x->status = REP_ERROR;
		else if (x->pass)
			x->status = REP_OK;
		else {
			x->status = REP_FINDING;
			x->accept = rep_accepts_match(acc, x->scenario, x->device, x->target,
				x->phase, 0);
			if (x->accept != NULL) {
				x->status = REP_ACCEPTED;
				((rep_accept *)x->accept)->matched++;
			} else {
				x->expired = rep_accepts_match(acc, x->scenario, x->device, x->target,
					x->phase, 1);
				if (x->expired != NULL)
					((rep_accept *)x->expired)->matched++;
			}
		}
		if (x->required) {
			r->required_total++;
			r->required_met += x->status == REP_OK;
			r->required_failed += x->status == REP_FINDING;
			r->required_errors += x->status == REP_ERROR;
		} else {
			r->recommended_total++;
			r->recommended_failed += x->status == REP_FINDING;
		}
		r->accepted += x->status == REP_ACCEPTED;
		r->errors += x->status == REP_ERROR;
		r->findings += x->status == REP_FINDING;
	}
	if (baseline != NULL && baseline_judge(r, baseline, err, errlen) != 0)
		return -1;
	for (i = 0; i < r->ncases; i++) {
		rep_case *c = &r->cases[i];
		size_t k;
		c->status = REP_OFF;
		c->change = REP_CHANGE_NONE;
		for (k = c->first; k < c->first + c->n; k++) {
			if (status_weight[r->recs[k].status] > status_weight[c->status])
				c->status = r->recs[k].status;
			if (change_weight[r->recs[k].change] > change_weight[c->change])
				c->change = r->recs[k].change;
		}
	}
	r->release_pass = r->required_total > 0 && r->required_failed == 0
		&& r->required_errors == 0 && r->shards_missing == 0;
	return 0;
}
