/*
 * The results of a run: verdicts collected from the evidence of each case,
 * summary.json, junit.xml, summary.txt, and deciding a finished run again.
 * See runner.h and run_int.h.
 */
#include "run/run_int.h"
#include "common/json.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Results ---- */

static void
xml_escape(buf_t *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&apos;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				buf_printf(b, "&#%d;", *s);
			else
				buf_putc(b, *s);
		}
	}
}

/* see run_int.h */
int
is_error(const verdict_result *r)
{
	return r->observed == OUT_ERROR || r->observed == OUT_INTERRUPTED;
}

/* see runner.h */
int
run_write_results(const char *dir, const verdict_result *res, char *const *evidence,
	size_t n, const char *meta, char *err, size_t errlen)
{
	buf_t js = {0}, xml = {0}, txt = {0};
	size_t i, j, pass = 0, fail = 0, errors = 0, req_fail = 0;
	int ret = -1;

	for (i = 0; i < n; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		if (is_error(&res[i]))
			errors++;
		else if (res[i].pass)
			pass++;
		else {
			fail++;
			req_fail += res[i].required;
		}
	}
	buf_printf(&js, "{%s%s\"passed\":%zu,\"failed\":%zu,\"errors\":%zu,"
		"\"required_failed\":%zu,\"records\":[\n", meta, meta[0] ? "," : "", pass, fail,
		errors, req_fail);
	for (i = 0; i < n; i++) {
		if (i)
			buf_puts(&js, ",\n");
		verdict_json(&res[i], evidence[i], &js);
	}
	buf_puts(&js, "\n]}\n");

	buf_printf(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rotsim\" "
		"tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", pass + fail + errors, fail, errors);
	for (i = 0; i < n; i = j) {
		size_t t = 0, f = 0, e = 0;
		for (j = i; j < n && strcmp(res[j].scenario, res[i].scenario) == 0; j++) {
			if (res[j].observed == OUT_OFF)
				continue;
			t++;
			e += is_error(&res[j]);
			f += !is_error(&res[j]) && !res[j].pass;
		}
		buf_puts(&xml, "  <testsuite name=\"");
		xml_escape(&xml, res[i].scenario);
		buf_printf(&xml, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", t, f, e);
		for (size_t k = i; k < j; k++) {
			const verdict_result *r = &res[k];
			if (r->observed == OUT_OFF)
				continue;
			buf_puts(&xml, "    <testcase classname=\"");
			xml_escape(&xml, r->scenario);
			buf_putc(&xml, '.');
			xml_escape(&xml, r->device);
			buf_putc(&xml, '@');
			xml_escape(&xml, r->target);
			buf_puts(&xml, "\" name=\"");
			xml_escape(&xml, r->phase);
			buf_printf(&xml, " (%.10s)\">\n", r->date);
			if (is_error(r) || !r->pass) {
				buf_printf(&xml, "      <%s type=\"%s\" message=\"", is_error(r)
					? "error" : "failure", scn_outcome_name(r->observed));
				buf_t line = {0};
				verdict_line(r, &line);
				xml_escape(&xml, buf_cstr(&line));
				buf_puts(&xml, "\">");
				xml_escape(&xml, buf_cstr(&line));
				buf_printf(&xml, "\nevidence: %s</%s>\n", evidence[k],
					is_error(r) ? "error" : "failure");
				buf_free(&line);
			}
			buf_puts(&xml, "      <system-out>");
			xml_escape(&xml, evidence[k]);
			buf_puts(&xml, "</system-out>\n    </testcase>\n");
		}
		buf_puts(&xml, "  </testsuite>\n");
	}
	buf_puts(&xml, "</testsuites>\n");

	for (i = 0; i < n; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		verdict_line(&res[i], &txt);
		buf_putc(&txt, '\n');
	}
	buf_printf(&txt, "\n%zu passed, %zu failed, %zu errors (%zu Required expectations not met)\n",
		pass, fail, errors, req_fail);

	char *p1 = xasprintf("%s/summary.json", dir), *p2 = xasprintf("%s/junit.xml", dir),
		*p3 = xasprintf("%s/summary.txt", dir);
	if (write_text(p1, &js, err, errlen) == 0 && write_text(p2, &xml, err, errlen) == 0
		&& write_text(p3, &txt, err, errlen) == 0)
		ret = 0;
	free(p1);
	free(p2);
	free(p3);
	buf_free(&js);
	buf_free(&xml);
	buf_free(&txt);
	return ret;
}

/* Decide the verdicts of a finished case, in phase order, and print them. */
/* see run_int.h */
void
collect_case(run_case *c, const char *out, int quiet, int tty)
{
	verdict_result **res = &c->res;
	char ***ev = &c->ev;
	size_t *n = &c->nres;

	size_t i;
	char err[512];

	for (i = 0; i < c->scn->nphases; i++) {
		char *pdir = xasprintf("%s/%02zu-%s", c->dir, i + 1, c->scn->phases[i].name);
		verdict_result r;
		if (verdict_phase(pdir, &r, err, sizeof err) != 0) {
			/* Never started (interrupted before it): say so. */
			memset(&r, 0, sizeof r);
			snprintf(r.scenario, sizeof r.scenario, "%s", c->scn->name);
			snprintf(r.device, sizeof r.device, "%s", c->device);
			snprintf(r.target, sizeof r.target, "%s", c->target);
			snprintf(r.phase, sizeof r.phase, "%s", c->scn->phases[i].name);
			simtime_format(r.date, sizeof r.date, c->scn->phases[i].date);
			const scn_expect *x = scn_expect_for(&c->scn->phases[i], c->device);
			r.expected = x ? x->outcome : OUT_OFF;
			r.required = x ? x->required : 0;
			r.observed = interrupted ? OUT_INTERRUPTED : OUT_ERROR;
			r.reported_version = -1;
			snprintf(r.reason, sizeof r.reason, "%s", interrupted
				? "the run was interrupted before this phase" : err);
		}
		*res = xrealloc(*res, (*n + 1) * sizeof **res);
		*ev = xrealloc(*ev, (*n + 1) * sizeof **ev);
		(*res)[*n] = r;
		(*ev)[*n] = xstrdup(pdir + strlen(out) + 1);
		(*n)++;
		if (!quiet && r.observed != OUT_OFF) {
			buf_t line = {0};
			verdict_line(&r, &line);
			printf("%s%s\n", tty ? "\r\033[K" : "", buf_cstr(&line));
			buf_free(&line);
		}
		free(pdir);
	}
	fflush(stdout);
}

/* see runner.h */
int
run_reverdict(const char *dir, int verbose, char *err, size_t errlen)
{
	char *path = xasprintf("%s/summary.json", dir);
	unsigned char *data;
	size_t len, i, agree = 0, differ = 0;
	json *j;
	char msg[256];

	if (util_read_file(path, &data, &len, err, errlen) != 0) {
		free(path);
		return 2;
	}
	j = json_parse((const char *)data, len, msg, sizeof msg);
	free(data);
	if (j == NULL) {
		util_err(err, errlen, "%s: %s", path, msg);
		free(path);
		return 2;
	}
	free(path);
	const json *recs = json_get(j, "records");
	if (recs == NULL || recs->type != JSON_ARRAY) {
		util_err(err, errlen, "%s/summary.json: no records", dir);
		json_free(j);
		return 2;
	}
	for (i = 0; i < recs->n; i++) {
		const json *r = recs->items[i];
		const char *evd = json_get_str(r, "evidence"), *obs = json_get_str(r, "observed"),
			*ver = json_get_str(r, "verdict");
		verdict_result v;
		char *pdir = xasprintf("%s/%s", dir, evd ? evd : "?");
		if (verdict_phase(pdir, &v, msg, sizeof msg) != 0) {
			if (obs != NULL && strcmp(obs, "interrupted") == 0) {
				agree++;
			} else {
				printf("%s: %s\n", evd ? evd : "?", msg);
				differ++;
			}
		} else if (obs == NULL || ver == NULL || strcmp(obs, scn_outcome_name(v.observed)) != 0
			|| strcmp(ver, v.pass ? "pass" : "fail") != 0) {
			printf("%s: the run said %s/%s, the evidence says %s/%s (%s)\n", evd,
				obs ? obs : "?", ver ? ver : "?", scn_outcome_name(v.observed),
				v.pass ? "pass" : "fail", v.reason);
			differ++;
		} else {
			agree++;
			if (verbose) {
				buf_t line = {0};
				verdict_line(&v, &line);
				printf("%s\n", buf_cstr(&line));
				buf_free(&line);
			}
		}
		free(pdir);
	}
	json_free(j);
	printf("%zu records: %zu agree with the evidence, %zu differ\n", agree + differ, agree,
		differ);
	return differ ? 1 : 0;
}
