/*
 * The records a case writes for the verdict: the plan of a phase (phase.json)
 * and what the runner saw (run.json). See run_int.h.
 */
#include "run/run_int.h"
#include "evidence/evidence.h"
#include "common/cfg.h"
#include "common/json.h"
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Anchors a correct device would use, for the verdict's reference check: the
 * device's own (the same on every TLS stack: the reference is one validation,
 * whatever library the device runs), or, for one that has neither anchors nor pins (the insecure
 * control), the anchors of the scenario's other devices. Fills the plan's
 * anchors and pins. */
static void
reference_anchors(const scenario *s, const char *device, const char *trust, ev_plan *p)
{
	char *a = dev_profile_value(device, "anchors"), *pins = dev_profile_value(device, "pins");
	size_t i, j;

	/* A bundle that carries a trust store replaces the factory's while it
	 * runs (targets/firmware/README.md); a device that checks nothing is
	 * judged by the others' anchors whatever it installed. */
	if (trust != NULL && (a != NULL || pins != NULL)) {
		free(a);
		free(pins);
		a = xstrdup(trust);
		pins = NULL;
	}
	p->anchors = xcalloc(s->ndevices + 1, sizeof *p->anchors);
	p->nanchors = 0;
	if (a != NULL) {
		p->anchors[p->nanchors++] = a;
		a = NULL;
	} else if (pins == NULL) {
		for (i = 0; i < s->ndevices; i++) {
			char *b = dev_profile_value(s->devices[i], "anchors");
			if (b == NULL)
				continue;
			for (j = 0; j < p->nanchors; j++)
				if (strcmp(p->anchors[j], b) == 0)
					break;
			if (j == p->nanchors)
				p->anchors[p->nanchors++] = b;
			else
				free(b);
		}
	}
	p->pins = pins;
	free(a);
}

/* The fields of phase.json a device description adds (none for a profile):
 * "client" (its update client), "like" (whose expectations it shares) and
 * "protocol", each when it says one. */
static void
device_fields(const char *device, buf_t *b)
{
	static const char *const keys[] = { "client", "like", "protocol", NULL };
	size_t i;

	if (!dev_is_description(device))
		return;
	for (i = 0; keys[i] != NULL; i++) {
		char *v = dev_profile_value(device, keys[i]);
		if (v == NULL)
			continue;
		buf_printf(b, ",\"%s\":", keys[i]);
		json_put_str(b, v);
		free(v);
	}
}

/* see run_int.h */
int
write_phase_json(const run_case *c, const scn_phase *ph, const char *pdir, long version_before,
	const char *trust, long image_size, int port, char *err, size_t errlen)
{
	ev_plan p;
	char d[32];
	const scn_expect *x = scn_expect_for(ph, c->device);
	int r;

	memset(&p, 0, sizeof p);
	simtime_format(d, sizeof d, ph->date);
	p.scenario = xstrdup(c->scn->name);
	p.device = xstrdup(c->device);
	p.tls = xstrdup(c->stack != NULL ? c->stack : scn_device_stack(c->device));
	p.target = xstrdup(c->target);
	p.phase = xstrdup(ph->name);
	p.date = xstrdup(d);
	p.power_on = ph->power != 0;
	p.expected = x ? x->outcome : OUT_OFF;
	p.required = x == NULL || x->required;
	p.why = x != NULL && x->why != NULL ? xstrdup(x->why) : NULL;
	p.case_index = (long)c->index;
	p.phase_index = (long)(ph - c->scn->phases);
	p.offered_version = (long)ph->firmware;
	p.version_before = version_before;
	p.image_size = image_size;
	p.server_port = port;
	p.server_name = xstrdup(c->scn->host != NULL ? c->scn->host : SCN_DEFAULT_HOST);
	p.leaf = ph->leaf ? xstrdup(ph->leaf) : NULL;
	p.variant = ph->variant ? xstrdup(ph->variant) : NULL;
	p.faults = xcalloc(ph->nfaults + 1, sizeof *p.faults);
	for (p.nfaults = 0; p.nfaults < ph->nfaults; p.nfaults++)
		p.faults[p.nfaults] = xstrdup(ph->faults[p.nfaults]);
	p.pki = xasprintf("../../../../pki/%s", c->scn->name);
	p.trust = xstrdup(trust != NULL ? trust : "factory");
	reference_anchors(c->scn, c->device, trust, &p);
	/* The plan, and what a device description says of the device for the
	 * report: its update client, the device it is like, its protocol. */
	buf_t b = {0};
	char *path = xasprintf("%s/phase.json", pdir);
	ev_plan_json(&p, &b);
	if (b.len > 0 && b.data[b.len - 1] == '}')
		b.len--;
	device_fields(c->device, &b);
	buf_puts(&b, "}\n");
	r = ev_write_file(path, b.data, b.len, EV_NOSYNC, err, errlen);
	free(path);
	buf_free(&b);
	ev_plan_free(&p);
	return r;
}

/* see run_int.h */
int
write_run_json(const char *pdir, int boots, const char *exits, const char *error,
	const char *capture_error, long long ms, char *err, size_t errlen)
{
	ev_run r;
	char *text = xasprintf("[%s]", exits), msg[128];
	json *j = json_parse(text, strlen(text), msg, sizeof msg);
	size_t i;
	int ret;

	memset(&r, 0, sizeof r);
	r.boots = boots;
	r.exits = xcalloc(j != NULL ? j->n + 1 : 1, sizeof *r.exits);
	for (i = 0; j != NULL && j->type == JSON_ARRAY && i < j->n; i++)
		if (j->items[i]->type == JSON_STRING)
			r.exits[r.nexits++] = xstrdup(j->items[i]->str);
	r.error = error ? xstrdup(error) : NULL;
	r.capture_error = capture_error ? xstrdup(capture_error) : NULL;
	r.interrupted = interrupted != 0;
	r.duration_ms = ms;
	ret = ev_run_write(&r, pdir, err, errlen);
	ev_run_free(&r);
	json_free(j);
	free(text);
	return ret;
}
