/*
 * Reading every evidence file of a phase into one value. See evidence.h.
 */
#include "evidence/evidence.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A path beside the phase: absolute, or relative to the phase directory. */
static char *
beside(const char *dir, const char *rel)
{
	return rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", dir, rel);
}

/* Every NAME.crt.der of the case's PKI directory. */
static void
load_certs(evidence *ev, const char *pkidir)
{
	DIR *d = opendir(pkidir);
	struct dirent *de;

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *path, err[256];
		unsigned char *data;
		size_t len;
		if (l <= 8 || strcmp(de->d_name + l - 8, ".crt.der") != 0)
			continue;
		path = xasprintf("%s/%s", pkidir, de->d_name);
		if (util_read_file(path, &data, &len, err, sizeof err) == 0) {
			ev_cert *c;
			ev->certs = xrealloc(ev->certs, (ev->ncerts + 1) * sizeof *ev->certs);
			c = &ev->certs[ev->ncerts++];
			c->id = xstrndup(de->d_name, l - 8);
			util_sha256(c->sha, data, len);
			c->der = data;
			c->len = len;
		}
		free(path);
	}
	closedir(d);
}

static int
load_blob(ev_blob *b, const char *path, char **problem)
{
	char err[512];

	b->name = xstrdup(path);
	if (util_read_file(path, &b->data, &b->len, err, sizeof err) != 0) {
		b->data = NULL;
		if (*problem == NULL)
			*problem = xstrdup(err);
		return -1;
	}
	return 0;
}

/* The anchor sets and pins the plan names, for the reference check. */
static void
load_trust(evidence *ev, const char *pkidir)
{
	size_t i;

	ev->anchors = xcalloc(ev->plan.nanchors + 1, sizeof *ev->anchors);
	for (i = 0; i < ev->plan.nanchors; i++) {
		char *p = xasprintf("%s/anchors/%s.pem", pkidir, ev->plan.anchors[i]);
		load_blob(&ev->anchors[ev->nanchors++], p, &ev->trust_problem);
		free(p);
	}
	if (ev->plan.pins != NULL) {
		char *p = xasprintf("%s/anchors/%s.pins", pkidir, ev->plan.pins);
		load_blob(&ev->pins, p, &ev->trust_problem);
		free(p);
	}
}

static void
load_captures(evidence *ev)
{
	int k;

	for (k = -1; k < EV_MAX_CAPTURES; k++) {
		char *name = k < 0 ? xstrdup("capture.pcap") : xasprintf("capture-%d.pcap", k);
		char *path = xasprintf("%s/%s", ev->dir, name), err[512];
		ev_capture *c;
		if (access(path, F_OK) != 0) {
			free(name);
			free(path);
			continue;
		}
		ev->caps = xrealloc(ev->caps, (ev->ncaps + 1) * sizeof *ev->caps);
		c = &ev->caps[ev->ncaps++];
		memset(c, 0, sizeof *c);
		c->name = name;
		if (cap_analyze_file(path, NULL, &c->rep, err, sizeof err) == 0)
			c->ok = 1;
		else
			c->error = xstrdup(err);
		free(path);
	}
}

/* see evidence.h */
int
evidence_load(const char *dir, evidence *ev, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	char *path, msg[512];

	memset(ev, 0, sizeof *ev);
	ev->dir = xstrdup(dir);
	if (ev_plan_read(&ev->plan, dir, err, errlen) != 0)
		return -1;
	if (ev_run_read(&ev->run, dir, msg, sizeof msg) == 0)
		ev->have_run = 1;
	else
		ev->run_problem = xstrdup(msg);

	path = xasprintf("%s/server-events.jsonl", dir);
	if (util_read_file(path, &data, &len, msg, sizeof msg) == 0) {
		ev->have_events = 1;
		ev_events_parse(&ev->events, &ev->nevents, &ev->bad_events, (const char *)data,
			len);
		free(data);
	}
	free(path);

	path = xasprintf("%s/console.log", dir);
	if (util_read_file(path, &data, &len, msg, sizeof msg) == 0) {
		ev->console = (char *)data;
		ev->console_len = len;
	}
	free(path);

	load_captures(ev);

	char *pkidir = beside(dir, ev->plan.pki ? ev->plan.pki : ".");
	load_certs(ev, pkidir);
	load_trust(ev, pkidir);
	free(pkidir);
	return 0;
}

/* see evidence.h */
void
evidence_free(evidence *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	free(ev->dir);
	ev_plan_free(&ev->plan);
	ev_run_free(&ev->run);
	free(ev->run_problem);
	ev_events_free(ev->events, ev->nevents);
	free(ev->console);
	for (i = 0; i < ev->ncaps; i++) {
		free(ev->caps[i].name);
		free(ev->caps[i].error);
		cap_report_free(&ev->caps[i].rep);
	}
	free(ev->caps);
	for (i = 0; i < ev->ncerts; i++) {
		free(ev->certs[i].id);
		free(ev->certs[i].der);
	}
	free(ev->certs);
	for (i = 0; i < ev->nanchors; i++) {
		free(ev->anchors[i].name);
		free(ev->anchors[i].data);
	}
	free(ev->anchors);
	free(ev->pins.name);
	free(ev->pins.data);
	free(ev->trust_problem);
	memset(ev, 0, sizeof *ev);
}

/* see evidence.h */
const ev_cert *
evidence_cert(const evidence *ev, const char *hex)
{
	unsigned char h[32];
	size_t i;

	if (hex == NULL || util_unhex(h, sizeof h, hex) != 32)
		return NULL;
	for (i = 0; i < ev->ncerts; i++)
		if (memcmp(ev->certs[i].sha, h, 32) == 0)
			return &ev->certs[i];
	return NULL;
}
