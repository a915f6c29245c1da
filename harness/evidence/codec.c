/*
 * The codecs of phase.json, run.json and server-events.jsonl. See evidence.h.
 */
#include "evidence/evidence.h"
#include "scenario/stack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A member's string, duplicated, or NULL. */
static char *
dup_str(const json *j, const char *key)
{
	const char *s = json_get_str(j, key);
	return s ? xstrdup(s) : NULL;
}

static long
get_long(const json *j, const char *key, long dflt)
{
	int64_t v;
	return json_get_int(j, key, &v) == 0 ? (long)v : dflt;
}

static int
get_bool(const json *j, const char *key, int dflt)
{
	const json *b = json_get(j, key);
	if (b == NULL)
		return dflt;
	return b->type == JSON_TRUE;
}

/* The strings of an array member. */
static char **
dup_strs(const json *j, const char *key, size_t *n)
{
	const json *a = json_get(j, key);
	char **v = NULL;
	size_t i;

	*n = 0;
	if (a == NULL || a->type != JSON_ARRAY)
		return NULL;
	v = xcalloc(a->n + 1, sizeof *v);
	for (i = 0; i < a->n; i++)
		if (a->items[i]->type == JSON_STRING)
			v[(*n)++] = xstrdup(a->items[i]->str);
	return v;
}

static void
free_strs(char **v, size_t n)
{
	size_t i;

	for (i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

static void
put_str_or_null(buf_t *b, const char *s)
{
	if (s != NULL)
		json_put_str(b, s);
	else
		buf_puts(b, "null");
}

static void
put_strs(buf_t *b, char *const *v, size_t n)
{
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		json_put_str(b, v[i]);
	}
	buf_putc(b, ']');
}

static json *
parse_object(const char *name, const char *text, size_t len, char *err, size_t errlen)
{
	char msg[256];
	json *j = json_parse(text, len, msg, sizeof msg);

	if (j == NULL) {
		util_err(err, errlen, "%s: %s", name, msg);
		return NULL;
	}
	if (j->type != JSON_OBJECT) {
		util_err(err, errlen, "%s: not a JSON object", name);
		json_free(j);
		return NULL;
	}
	return j;
}

/* Read DIR/FILE and parse it with fn. */
static int
read_with(const char *dir, const char *file, char **pathp, unsigned char **data, size_t *len,
	char *err, size_t errlen)
{
	*pathp = xasprintf("%s/%s", dir, file);
	return util_read_file(*pathp, data, len, err, errlen);
}

/* see evidence.h */
int
ev_write_file(const char *path, const void *data, size_t len, int sync, char *err,
	size_t errlen)
{
	return sync ? util_write_atomic(path, data, len, 0644, err, errlen)
		: util_write_atomic_unsynced(path, data, len, 0644, err, errlen);
}

static int
write_buf(const char *dir, const char *file, buf_t *b, int sync, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", dir, file);
	int r = ev_write_file(path, b->data ? (const void *)b->data : "", b->len, sync, err,
		errlen);
	free(path);
	return r;
}

/* ---- phase.json ---- */

/* see evidence.h */
void
ev_plan_free(ev_plan *p)
{
	if (p == NULL)
		return;
	free(p->scenario);
	free(p->device);
	free(p->target);
	free(p->tls);
	free(p->phase);
	free(p->date);
	free(p->why);
	free(p->server_name);
	free(p->leaf);
	free(p->variant);
	free_strs(p->faults, p->nfaults);
	free(p->pki);
	free(p->trust);
	free_strs(p->anchors, p->nanchors);
	free(p->pins);
	memset(p, 0, sizeof *p);
}

/* see evidence.h */
int
ev_plan_parse(ev_plan *p, const char *name, const char *text, size_t len, char *err,
	size_t errlen)
{
	json *j;
	const char *s;
	int o;

	memset(p, 0, sizeof *p);
	if ((j = parse_object(name, text, len, err, errlen)) == NULL)
		return -1;
	p->scenario = dup_str(j, "scenario");
	p->device = dup_str(j, "device");
	p->target = dup_str(j, "target");
	p->phase = dup_str(j, "phase");
	p->tls = dup_str(j, "tls");
	if (p->tls == NULL)	/* phase.json of a rotsim before TLS stacks */
		p->tls = xstrdup(SCN_STACK_DEFAULT);
	p->date = dup_str(j, "date");
	s = json_get_str(j, "power");
	p->power_on = s == NULL || strcmp(s, "off") != 0;
	s = json_get_str(j, "expected");
	o = scn_outcome_from_name(s ? s : "");
	p->expected = o < 0 ? OUT_ERROR : (scn_outcome)o;
	p->required = get_bool(j, "required", 1);
	p->why = dup_str(j, "why");
	p->offered_version = get_long(j, "offered_version", -1);
	p->version_before = get_long(j, "version_before", -1);
	p->image_size = get_long(j, "image_size", -1);
	p->server_port = (int)get_long(j, "server_port", -1);
	p->server_name = dup_str(j, "server_name");
	p->leaf = dup_str(j, "leaf");
	p->variant = dup_str(j, "variant");
	p->faults = dup_strs(j, "faults", &p->nfaults);
	p->pki = dup_str(j, "pki");
	p->trust = dup_str(j, "trust");
	p->anchors = dup_strs(j, "anchors", &p->nanchors);
	p->pins = dup_str(j, "pins");
	p->case_index = get_long(j, "case_index", -1);
	p->phase_index = get_long(j, "phase_index", -1);
	json_free(j);
	if (p->scenario == NULL || p->device == NULL || p->phase == NULL) {
		ev_plan_free(p);
		return util_err(err, errlen, "%s: no scenario, device or phase (not a phase plan)",
			name);
	}
	return 0;
}

/* see evidence.h */
int
ev_plan_read(ev_plan *p, const char *dir, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	char *path;
	int r = -1;

	memset(p, 0, sizeof *p);
	if (read_with(dir, "phase.json", &path, &data, &len, err, errlen) == 0) {
		r = ev_plan_parse(p, path, (const char *)data, len, err, errlen);
		free(data);
	}
	free(path);
	return r;
}

/* see evidence.h */
void
ev_plan_json(const ev_plan *p, buf_t *b)
{
	buf_puts(b, "{\"scenario\":");
	put_str_or_null(b, p->scenario);
	buf_puts(b, ",\"device\":");
	put_str_or_null(b, p->device);
	buf_puts(b, ",\"target\":");
	put_str_or_null(b, p->target);
	buf_puts(b, ",\"phase\":");
	put_str_or_null(b, p->phase);
	buf_puts(b, ",\"tls\":");
	json_put_str(b, p->tls != NULL ? p->tls : SCN_STACK_DEFAULT);
	buf_puts(b, ",\"date\":");
	put_str_or_null(b, p->date);
	buf_printf(b, ",\"power\":\"%s\",\"expected\":", p->power_on ? "on" : "off");
	json_put_str(b, scn_outcome_name(p->expected));
	buf_printf(b, ",\"required\":%s", p->required ? "true" : "false");
	if (p->why != NULL) {
		buf_puts(b, ",\"why\":");
		json_put_str(b, p->why);
	}
	if (p->case_index >= 0)
		buf_printf(b, ",\"case_index\":%ld", p->case_index);
	if (p->phase_index >= 0)
		buf_printf(b, ",\"phase_index\":%ld", p->phase_index);
	buf_printf(b, ",\"offered_version\":%ld,\"version_before\":%ld,\"image_size\":%ld,"
		"\"server_port\":%d,\"server_name\":", p->offered_version, p->version_before,
		p->image_size, p->server_port);
	put_str_or_null(b, p->server_name);
	buf_puts(b, ",\"leaf\":");
	put_str_or_null(b, p->leaf);
	buf_puts(b, ",\"variant\":");
	put_str_or_null(b, p->variant);
	buf_puts(b, ",\"faults\":");
	put_strs(b, p->faults, p->nfaults);
	buf_puts(b, ",\"pki\":");
	put_str_or_null(b, p->pki);
	buf_puts(b, ",\"trust\":");
	put_str_or_null(b, p->trust);
	buf_puts(b, ",\"anchors\":");
	put_strs(b, p->anchors, p->nanchors);
	buf_puts(b, ",\"pins\":");
	put_str_or_null(b, p->pins);
	buf_puts(b, "}");
}

/* see evidence.h */
int
ev_plan_write(const ev_plan *p, const char *dir, char *err, size_t errlen)
{
	buf_t b = {0};
	int r;

	ev_plan_json(p, &b);
	buf_putc(&b, '\n');
	r = write_buf(dir, "phase.json", &b, EV_NOSYNC, err, errlen);
	buf_free(&b);
	return r;
}

/* ---- run.json ---- */

/* see evidence.h */
void
ev_run_free(ev_run *r)
{
	if (r == NULL)
		return;
	free_strs(r->exits, r->nexits);
	free(r->error);
	free(r->capture_error);
	memset(r, 0, sizeof *r);
}

/* see evidence.h */
int
ev_run_parse(ev_run *r, const char *name, const char *text, size_t len, char *err,
	size_t errlen)
{
	json *j;
	int64_t v;

	memset(r, 0, sizeof *r);
	if ((j = parse_object(name, text, len, err, errlen)) == NULL)
		return -1;
	r->boots = (int)get_long(j, "boots", 0);
	r->exits = dup_strs(j, "exits", &r->nexits);
	r->error = dup_str(j, "error");
	r->capture_error = dup_str(j, "capture_error");
	r->interrupted = get_bool(j, "interrupted", 0);
	r->duration_ms = json_get_int(j, "duration_ms", &v) == 0 ? v : 0;
	json_free(j);
	return 0;
}

/* see evidence.h */
int
ev_run_read(ev_run *r, const char *dir, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	char *path;
	int ret = -1;

	memset(r, 0, sizeof *r);
	if (read_with(dir, "run.json", &path, &data, &len, err, errlen) == 0) {
		ret = ev_run_parse(r, path, (const char *)data, len, err, errlen);
		free(data);
	}
	free(path);
	return ret;
}

/* see evidence.h */
int
ev_run_write(const ev_run *r, const char *dir, char *err, size_t errlen)
{
	buf_t b = {0};
	int ret;

	buf_printf(&b, "{\"boots\":%d,\"exits\":", r->boots);
	put_strs(&b, r->exits, r->nexits);
	buf_puts(&b, ",\"error\":");
	put_str_or_null(&b, r->error);
	buf_puts(&b, ",\"capture_error\":");
	put_str_or_null(&b, r->capture_error);
	buf_printf(&b, ",\"interrupted\":%s,\"duration_ms\":%lld}\n",
		r->interrupted ? "true" : "false", r->duration_ms);
	ret = write_buf(dir, "run.json", &b, EV_SYNC, err, errlen);
	buf_free(&b);
	return ret;
}

/* ---- server-events.jsonl ---- */

static const struct {
	const char *name;
	ev_srv_type type;
} srv_types[] = {
	{ "handshake", EV_SRV_HANDSHAKE },
	{ "request", EV_SRV_REQUEST },
	{ "close", EV_SRV_CLOSE },
};

static void
event_from_json(const json *j, ev_srv_event *e)
{
	const char *t = json_get_str(j, "event"), *res;
	size_t i;
	int64_t v;

	memset(e, 0, sizeof *e);
	e->type = EV_SRV_OTHER;
	for (i = 0; t != NULL && i < sizeof srv_types / sizeof srv_types[0]; i++)
		if (strcmp(t, srv_types[i].name) == 0)
			e->type = srv_types[i].type;
	e->conn = get_long(j, "conn", -1);
	res = json_get_str(j, "result");
	e->ok = res != NULL && strcmp(res, "ok") == 0;
	e->chain = dup_strs(j, "chain", &e->nchain);
	e->alert_from = dup_str(j, "alert_from");
	e->alert_name = dup_str(j, "alert_name");
	e->reason = dup_str(j, "reason");
	e->method = dup_str(j, "method");
	e->path = dup_str(j, "path");
	e->status = get_long(j, "status", 0);
	e->bytes = json_get_int(j, "bytes", &v) == 0 && v > 0 ? (uint64_t)v : 0;
	e->report = dup_str(j, "report");
}

/* see evidence.h */
void
ev_events_parse(ev_srv_event **ev, size_t *n, size_t *bad, const char *text, size_t len)
{
	size_t off = 0;
	char err[64];

	*ev = NULL;
	*n = 0;
	*bad = 0;
	while (off < len) {
		size_t end = off;
		while (end < len && text[end] != '\n')
			end++;
		if (end > off) {
			json *j = json_parse(text + off, end - off, err, sizeof err);
			if (j != NULL && j->type == JSON_OBJECT) {
				*ev = xrealloc(*ev, (*n + 1) * sizeof **ev);
				event_from_json(j, &(*ev)[(*n)++]);
			} else {
				(*bad)++;
			}
			json_free(j);
		}
		off = end + 1;
	}
}

/* see evidence.h */
void
ev_events_free(ev_srv_event *ev, size_t n)
{
	size_t i;

	for (i = 0; ev != NULL && i < n; i++) {
		free_strs(ev[i].chain, ev[i].nchain);
		free(ev[i].alert_from);
		free(ev[i].alert_name);
		free(ev[i].reason);
		free(ev[i].method);
		free(ev[i].path);
		free(ev[i].report);
	}
	free(ev);
}
