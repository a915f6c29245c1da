/*
 * The results of a run: verdicts collected from the evidence of each case,
 * and deciding a finished run again. The results files themselves are
 * written by harness/evidence (ev_results_write).
 * See runner.h and run_int.h.
 */
#include "run/run_int.h"
#include "evidence/evidence.h"
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Results ---- */

/* see run_int.h */
int
is_error(const verdict_result *r)
{
	return ev_record_is_error(r);
}

/* Decide the verdicts of a finished case, in phase order, and print them. */
/* see run_int.h */
void
collect_case(run_case *c, const char *out, const run_observer *obs)
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
			ev_record_init(&r);
			ev_set(r.scenario, sizeof r.scenario, "%s", c->scn->name);
			ev_set(r.device, sizeof r.device, "%s", c->device);
			ev_set(r.target, sizeof r.target, "%s", c->target);
			ev_set(r.phase, sizeof r.phase, "%s", c->scn->phases[i].name);
			simtime_format(r.date, sizeof r.date, c->scn->phases[i].date);
			const scn_expect *x = scn_expect_for(&c->scn->phases[i], c->device);
			r.case_index = (long)c->index;
			r.phase_index = (long)i;
			r.expected = x ? x->outcome : OUT_OFF;
			r.required = x ? x->required : 0;
			r.observed = interrupted ? OUT_INTERRUPTED : OUT_ERROR;
			ev_set(r.reason, sizeof r.reason, "%s", interrupted
				? "the run was interrupted before this phase" : err);
		}
		/* The update client and its TLS stack, for the report: those a
		 * device description names, else the target's own client and
		 * its stack (client-tls), else the reference agent on the
		 * device's stack. */
		char *client = dev_profile_value(c->device, "client");
		const char *ctls = client == NULL && c->tgt != NULL ? c->tgt->client_tls : NULL;
		ev_set(r.tls, sizeof r.tls, "%s", ctls != NULL ? ctls : c->stack != NULL ? c->stack
			: scn_device_stack(c->device));
		ev_set(r.client, sizeof r.client, "%s", client != NULL ? client
			: c->tgt != NULL ? c->tgt->client : "");
		free(client);
		ev_set(r.evidence, sizeof r.evidence, "%s", pdir + strlen(out) + 1);
		*res = xrealloc(*res, (*n + 1) * sizeof **res);
		*ev = xrealloc(*ev, (*n + 1) * sizeof **ev);
		(*res)[*n] = r;
		(*ev)[*n] = xstrdup(pdir + strlen(out) + 1);
		(*n)++;
		if (obs != NULL && obs->phase != NULL && r.observed != OUT_OFF)
			obs->phase(obs->ctx, &r);
		free(pdir);
	}
}

/* see runner.h */
int
run_reverdict(const char *dir, int verbose, void (*say)(void *ctx, const char *line),
	void *ctx, char *err, size_t errlen)
{
	ev_summary sum;
	size_t i, agree = 0, differ = 0;
	char msg[512];

	if (ev_summary_read(&sum, dir, err, errlen) != 0)
		return 2;
	for (i = 0; i < sum.n; i++) {
		const ev_record *was = &sum.recs[i];
		verdict_result v;
		char *pdir = xasprintf("%s/%s", dir, was->evidence[0] ? was->evidence : "?");
		if (verdict_phase(pdir, &v, msg, sizeof msg) != 0) {
			if (was->observed == OUT_INTERRUPTED) {
				agree++;
			} else {
				char *l = xasprintf("%s: %s", was->evidence, msg);
				say(ctx, l);
				free(l);
				differ++;
			}
		} else if (was->observed != v.observed || was->pass != v.pass) {
			char *l = xasprintf("%s: the run said %s/%s, the evidence says %s/%s (%s)",
				was->evidence, scn_outcome_name(was->observed),
				was->pass ? "pass" : "fail", scn_outcome_name(v.observed),
				v.pass ? "pass" : "fail", v.reason);
			say(ctx, l);
			free(l);
			differ++;
		} else {
			agree++;
			if (verbose) {
				buf_t line = {0};
				ev_record_line(&v, &line);
				say(ctx, buf_cstr(&line));
				buf_free(&line);
			}
		}
		free(pdir);
	}
	ev_summary_free(&sum);
	char *l = xasprintf("%zu records: %zu agree with the evidence, %zu differ", agree + differ,
		agree, differ);
	say(ctx, l);
	free(l);
	return differ ? 1 : 0;
}
