/*
 * Deciding a phase from its evidence. See verdict.h.
 */
#include "verdict/verdict.h"
#include "verdict/refcheck.h"
#include "capture/capture.h"
#include "common/json.h"
#include "time/simtime.h"

#include <bearssl.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A certificate of the case's PKI, by the SHA-256 of its DER. */
typedef struct {
	char id[80];
	unsigned char sha[32];
	unsigned char *der;
	size_t len;
} pki_file;

typedef struct {
	pki_file *f;
	size_t n;
} pki_files;

static void
pki_files_free(pki_files *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->f[i].der);
	free(p->f);
	memset(p, 0, sizeof *p);
}

static void
pki_files_load(pki_files *p, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	memset(p, 0, sizeof *p);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		char *path, err[256];
		unsigned char *data;
		size_t len;
		if (l <= 8 || strcmp(de->d_name + l - 8, ".crt.der") != 0 || l - 8 >= 80)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (util_read_file(path, &data, &len, err, sizeof err) == 0) {
			p->f = xrealloc(p->f, (p->n + 1) * sizeof *p->f);
			pki_file *f = &p->f[p->n++];
			memset(f, 0, sizeof *f);
			memcpy(f->id, de->d_name, l - 8);
			util_sha256(f->sha, data, len);
			f->der = data;
			f->len = len;
		}
		free(path);
	}
	closedir(d);
}

static const pki_file *
pki_by_hash(const pki_files *p, const char *hex)
{
	unsigned char h[32];
	size_t i;

	if (util_unhex(h, sizeof h, hex) != 32)
		return NULL;
	for (i = 0; i < p->n; i++)
		if (memcmp(p->f[i].sha, h, 32) == 0)
			return &p->f[i];
	return NULL;
}

static json *
read_json(const char *path, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	json *j;
	char msg[256];

	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return NULL;
	j = json_parse((const char *)data, len, msg, sizeof msg);
	free(data);
	if (j == NULL)
		util_err(err, errlen, "%s: %s", path, msg);
	return j;
}

/* The server's events: one JSON object per line; unreadable lines are
 * counted, not fatal (a server killed mid-write leaves half a line). */
typedef struct {
	json **ev;
	size_t n;
	size_t bad;
} events;

static void
events_load(events *e, const char *path)
{
	unsigned char *data;
	size_t len, off = 0;
	char err[256];

	memset(e, 0, sizeof *e);
	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return;
	while (off < len) {
		size_t end = off;
		while (end < len && data[end] != '\n')
			end++;
		if (end > off) {
			json *j = json_parse((const char *)data + off, end - off, err, sizeof err);
			if (j != NULL && j->type == JSON_OBJECT) {
				e->ev = xrealloc(e->ev, (e->n + 1) * sizeof *e->ev);
				e->ev[e->n++] = j;
			} else {
				json_free(j);
				e->bad++;
			}
		}
		off = end + 1;
	}
	free(data);
}

static void
events_free(events *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		json_free(e->ev[i]);
	free(e->ev);
}

static const char *
ev_type(const json *j)
{
	const char *t = json_get_str(j, "event");
	return t ? t : "";
}

/* The running version a check-in body reports: a line "version 3" (the
 * reference agent's format, PROTOCOL.md) or a word "version=3". -1 if none. */
static long
report_version(const char *body)
{
	const char *p = body;

	for (p = body; (p = strstr(p, "version")) != NULL; p += 7) {
		char *end;
		long v;
		int at_start = p == body || p[-1] == '\n' || p[-1] == ' ';
		if (!at_start || (p[7] != ' ' && p[7] != '='))
			continue;
		v = strtol(p + 8, &end, 10);
		if (end != p + 8 && (*end == 0 || *end == ' ' || *end == '\n'))
			return v;
	}
	return -1;
}

/* The console's last "rotsim: ... err=NAME" on a TLS or validation line,
 * and the device's own last word, for the reason's detail only. */
static void
console_scan(const char *path, char *errname, size_t errlen, char *done, size_t donelen)
{
	unsigned char *data;
	size_t len;
	char err[256], *line, *save = NULL;

	errname[0] = 0;
	done[0] = 0;
	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return;
	for (line = strtok_r((char *)data, "\n", &save); line != NULL;
		line = strtok_r(NULL, "\n", &save)) {
		char *r = strstr(line, "rotsim: ");
		if (r == NULL)
			continue;
		char *e = strstr(r, " err=");
		if (e != NULL) {
			e += 5;
			size_t n = strcspn(e, " \r");
			if (n > 0 && n < errlen) {
				memcpy(errname, e, n);
				errname[n] = 0;
			}
		}
		if (strncmp(r + 8, "done ", 5) == 0) {
			size_t n = strcspn(r + 8, "\r");
			snprintf(done, donelen, "%.*s", (int)n, r + 8);
		}
	}
	free(data);
}

static int64_t
jint(const json *j, const char *key, int64_t dflt)
{
	int64_t v;
	return json_get_int(j, key, &v) == 0 ? v : dflt;
}

static void
copy_str(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

/* Map the presented chain (hashes) to ids: "leaf-r10 <- r10". */
static void
chain_ids(const json *chain, const pki_files *pf, char *out, size_t len)
{
	buf_t b = {0};
	size_t i;

	for (i = 0; chain != NULL && chain->type == JSON_ARRAY && i < chain->n; i++) {
		const json *h = chain->items[i];
		const pki_file *f = h->type == JSON_STRING ? pki_by_hash(pf, h->str) : NULL;
		if (i > 0)
			buf_puts(&b, " <- ");
		if (f != NULL)
			buf_puts(&b, f->id);
		else
			buf_printf(&b, "%.12s..", h->type == JSON_STRING ? h->str : "?");
	}
	copy_str(out, len, b.len ? buf_cstr(&b) : "(no chain)");
	buf_free(&b);
}

/* Run the reference validation on the chain a handshake presented. */
static void
reference(const json *phase, const json *chain, const pki_files *pf, const char *dir,
	int64_t date, int *code, char *text, size_t textlen)
{
	ref_cert rc[16];
	size_t n = 0, i;
	const json *anch = json_get(phase, "anchors");
	const char *pins = json_get_str(phase, "pins");
	const char *pkidir = json_get_str(phase, "pki");
	const char *name = json_get_str(phase, "server_name");
	char *paths[16], *pinpath = NULL, err[256];
	size_t np = 0;

	*code = 0;
	copy_str(text, textlen, "ok");
	for (i = 0; chain != NULL && chain->type == JSON_ARRAY && i < chain->n && n < 16; i++) {
		const pki_file *f = chain->items[i]->type == JSON_STRING
			? pki_by_hash(pf, chain->items[i]->str) : NULL;
		if (f == NULL) {
			/* A certificate the case's PKI does not hold: stop there, as
			 * a device that cannot chain past it would. */
			break;
		}
		rc[n].der = f->der;
		rc[n].len = f->len;
		n++;
	}
	for (i = 0; anch != NULL && anch->type == JSON_ARRAY && i < anch->n && np < 16; i++)
		if (anch->items[i]->type == JSON_STRING)
			paths[np++] = pkidir[0] == '/'
				? xasprintf("%s/anchors/%s.pem", pkidir, anch->items[i]->str)
				: xasprintf("%s/%s/anchors/%s.pem", dir, pkidir, anch->items[i]->str);
	if (pkidir == NULL)
		pkidir = ".";
	if (pins != NULL)
		pinpath = pkidir[0] == '/' ? xasprintf("%s/anchors/%s.pins", pkidir, pins)
			: xasprintf("%s/%s/anchors/%s.pins", dir, pkidir, pins);
	if (ref_validate(rc, n, date, name ? name : "updates.rotsim.test",
		(const char *const *)paths, np, pinpath, code, err, sizeof err) != 0) {
		*code = -2;
		snprintf(text, textlen, "reference check failed: %.100s", err);
	} else if (*code != 0) {
		snprintf(text, textlen, "%s", ref_error_name(*code));
	}
	for (i = 0; i < np; i++)
		free(paths[i]);
	free(pinpath);
}

/* see verdict.h */
int
verdict_phase(const char *dir, verdict_result *r, char *err, size_t errlen)
{
	char *path, msg[512], done[256];
	json *phase, *run = NULL;
	events ev;
	pki_files pf;
	cap_report cap;
	int64_t date = 0;
	size_t i;
	const json *ok_chain = NULL, *fail_chain = NULL;
	const char *alert_name = NULL, *fail_reason = NULL;

	memset(r, 0, sizeof *r);
	memset(&cap, 0, sizeof cap);
	r->reported_version = -1;
	path = xasprintf("%s/phase.json", dir);
	phase = read_json(path, err, errlen);
	free(path);
	if (phase == NULL)
		return -1;
	copy_str(r->scenario, sizeof r->scenario, json_get_str(phase, "scenario"));
	copy_str(r->device, sizeof r->device, json_get_str(phase, "device"));
	copy_str(r->target, sizeof r->target, json_get_str(phase, "target"));
	copy_str(r->phase, sizeof r->phase, json_get_str(phase, "phase"));
	copy_str(r->date, sizeof r->date, json_get_str(phase, "date"));
	int exp = scn_outcome_from_name(json_get_str(phase, "expected")
		? json_get_str(phase, "expected") : "");
	r->expected = exp < 0 ? OUT_ERROR : (scn_outcome)exp;
	r->required = json_get(phase, "required") == NULL
		|| json_get(phase, "required")->type != JSON_FALSE;
	r->offered_version = (long)jint(phase, "offered_version", -1);
	r->version_before = (long)jint(phase, "version_before", -1);
	int64_t image_size = jint(phase, "image_size", -1);
	int64_t server_port = jint(phase, "server_port", -1);
	if (simtime_parse(r->date, &date, msg, sizeof msg) != 0)
		date = 0;

	path = xasprintf("%s/run.json", dir);
	run = read_json(path, msg, sizeof msg);
	free(path);
	path = xasprintf("%s/server-events.jsonl", dir);
	events_load(&ev, path);
	free(path);
	const char *pkidir = json_get_str(phase, "pki");
	path = pkidir == NULL ? NULL : pkidir[0] == '/' ? xstrdup(pkidir)
		: xasprintf("%s/%s", dir, pkidir);
	pki_files_load(&pf, path ? path : dir);
	free(path);
	path = xasprintf("%s/console.log", dir);
	console_scan(path, r->device_error, sizeof r->device_error, done, sizeof done);
	free(path);
	/* The wire: every capture of the phase (one per boot under QEMU, one
	 * live capture natively): completed handshakes, the device's alerts,
	 * bytes to it. */
	int wire_client_hello = 0, wire_alert = -1, ncap = 0;
	for (int k = -1; k < 16; k++) {
		path = k < 0 ? xasprintf("%s/capture.pcap", dir)
			: xasprintf("%s/capture-%d.pcap", dir, k);
		if (access(path, R_OK) != 0) {
			free(path);
			continue;
		}
		memset(&cap, 0, sizeof cap);
		if (cap_analyze_file(path, NULL, &cap, msg, sizeof msg) != 0) {
			free(path);
			r->capture_ok = 0;
			ncap = -1000;
			break;
		}
		free(path);
		ncap++;
		for (i = 0; i < cap.n_flows; i++) {
			const cap_flow *f = &cap.flows[i];
			if (server_port > 0 && f->port[CAP_S2C] != server_port)
				continue;
			if (f->tls.client_hello.seen)
				wire_client_hello++;
			if (f->tls.finished[CAP_C2S] && f->tls.finished[CAP_S2C])
				r->capture_handshakes++;
			if (f->tls.alert_seen[CAP_C2S] && !f->tls.alert_encrypted[CAP_C2S]
				&& wire_alert < 0)
				wire_alert = f->tls.alert_desc[CAP_C2S];
			r->wire_app_bytes += f->app_bytes[CAP_S2C];
		}
		cap_report_free(&cap);
	}
	r->capture_ok = ncap > 0;

	/* The server: handshakes, the image it sent, check-ins. */
	int image_requests = 0;
	for (i = 0; i < ev.n; i++) {
		const json *e = ev.ev[i];
		const char *t = ev_type(e);
		if (strcmp(t, "handshake") == 0) {
			const char *res = json_get_str(e, "result");
			if (res != NULL && strcmp(res, "ok") == 0) {
				r->handshakes_ok++;
				if (ok_chain == NULL)
					ok_chain = json_get(e, "chain");
			} else {
				r->handshakes_failed++;
				if (fail_chain == NULL)
					fail_chain = json_get(e, "chain");
				const char *from = json_get_str(e, "alert_from");
				if (alert_name == NULL && from != NULL && strcmp(from, "client") == 0)
					alert_name = json_get_str(e, "alert_name");
				if (fail_reason == NULL)
					fail_reason = json_get_str(e, "reason");
			}
		} else if (strcmp(t, "request") == 0) {
			const char *p = json_get_str(e, "path");
			int64_t st = jint(e, "status", 0);
			const char *m = json_get_str(e, "method");
			if (p != NULL && strncmp(p, "/firmware/", 10) == 0 && (st == 200 || st == 206)
				&& m != NULL && strcmp(m, "GET") == 0) {
				r->image_bytes_sent += (uint64_t)jint(e, "bytes", 0);
				image_requests++;
			}
			const char *body = json_get_str(e, "report");
			if (body != NULL && report_version(body) >= 0)
				r->reported_version = report_version(body);
		}
	}
	if (alert_name != NULL)
		copy_str(r->alert, sizeof r->alert, alert_name);
	else if (wire_alert >= 0)
		copy_str(r->alert, sizeof r->alert, cap_alert_name(wire_alert));
	chain_ids(ok_chain ? ok_chain : fail_chain, &pf, r->chain_text, sizeof r->chain_text);

	/* Decide. */
	const char *run_error = run ? json_get_str(run, "error") : "no run.json";
	const json *intr = run ? json_get(run, "interrupted") : NULL;
	if (intr != NULL && intr->type == JSON_TRUE) {
		r->observed = OUT_INTERRUPTED;
		snprintf(r->reason, sizeof r->reason, "the run was interrupted during this phase");
	} else if (json_get_str(phase, "power") && strcmp(json_get_str(phase, "power"), "off") == 0) {
		r->observed = OUT_OFF;
		snprintf(r->reason, sizeof r->reason, "the device was powered off");
	} else if (run_error != NULL) {
		r->observed = OUT_ERROR;
		snprintf(r->reason, sizeof r->reason, "%s", run_error);
	} else if (r->capture_ok && r->capture_handshakes == 0 && r->handshakes_ok > 0) {
		r->observed = OUT_ERROR;
		snprintf(r->reason, sizeof r->reason, "evidence disagrees: the server logged %d "
			"completed handshake(s) but the capture shows none", r->handshakes_ok);
	} else if (r->handshakes_ok == 0 && r->handshakes_failed == 0 && wire_client_hello == 0) {
		r->observed = OUT_UNREACHABLE;
		snprintf(r->reason, sizeof r->reason, "the device never completed a TLS "
			"connection to the server (no ClientHello on the wire)%s%s%s",
			done[0] ? "; console: " : "", done, "");
	} else if (r->handshakes_ok == 0) {
		r->observed = OUT_REJECTED;
		if (r->alert[0])
			snprintf(r->reason, sizeof r->reason, "device sent alert %s after chain %s%s%s%s",
				r->alert, r->chain_text, r->device_error[0] ? " (console: " : "",
				r->device_error, r->device_error[0] ? ")" : "");
		else
			snprintf(r->reason, sizeof r->reason, "device closed the handshake after chain "
				"%s (%s)%s%s%s", r->chain_text, fail_reason ? fail_reason : "no alert",
				r->device_error[0] ? " (console: " : "", r->device_error,
				r->device_error[0] ? ")" : "");
	} else {
		int code;
		reference(phase, ok_chain, &pf, dir, date, &code, r->reference,
			sizeof r->reference);
		int image_complete = image_size > 0 && r->image_bytes_sent >= (uint64_t)image_size;
		int wire_ok = !r->capture_ok || r->wire_app_bytes >= (uint64_t)(image_size > 0
			? image_size : 0);
		if (code != 0) {
			r->observed = OUT_INSECURE;
			snprintf(r->reason, sizeof r->reason, "device completed the handshake with "
				"chain %s, which a correct check with its anchors refuses on %.10s (%s); "
				"%llu image bytes sent", r->chain_text, r->date, r->reference,
				(unsigned long long)r->image_bytes_sent);
		} else if (r->offered_version > r->version_before && image_complete && wire_ok
			&& r->reported_version == r->offered_version) {
			r->observed = OUT_UPDATED;
			snprintf(r->reason, sizeof r->reason, "downloaded %llu bytes of version %ld "
				"over chain %s (%llu bytes of application data on the wire), installed it "
				"and checked in with version %ld", (unsigned long long)r->image_bytes_sent,
				r->offered_version, r->chain_text,
				(unsigned long long)r->wire_app_bytes, r->reported_version);
		} else {
			r->observed = OUT_CURRENT;
			if (r->offered_version <= r->version_before)
				snprintf(r->reason, sizeof r->reason, "validated chain %s; nothing newer "
					"offered (running %ld, offered %ld)", r->chain_text,
					r->version_before, r->offered_version);
			else if (r->reported_version == r->offered_version)
				snprintf(r->reason, sizeof r->reason, "validated chain %s; reports version "
					"%ld, but the image was not seen complete (%llu of %lld bytes sent, "
					"%llu on the wire): not counted as updated", r->chain_text,
					r->reported_version, (unsigned long long)r->image_bytes_sent,
					(long long)image_size, (unsigned long long)r->wire_app_bytes);
			else
				snprintf(r->reason, sizeof r->reason, "validated chain %s but did not "
					"install version %ld (%d image request(s), %llu of %lld bytes sent; "
					"last check-in version %ld)%s%s", r->chain_text, r->offered_version,
					image_requests, (unsigned long long)r->image_bytes_sent,
					(long long)image_size, r->reported_version,
					done[0] ? "; console: " : "", done);
		}
	}
	/* Say when the wire could not be checked: the verdict then rests on the
	 * server's events and the console alone. */
	if (!r->capture_ok && r->observed != OUT_OFF && r->observed != OUT_INTERRUPTED
		&& r->observed != OUT_ERROR) {
		size_t l = strlen(r->reason);
		snprintf(r->reason + l, sizeof r->reason - l, " (no capture to check the wire)");
	}
	r->pass = r->observed == r->expected;
	json_free(phase);
	json_free(run);
	events_free(&ev);
	pki_files_free(&pf);
	return 0;
}

/* see verdict.h */
void
verdict_json(const verdict_result *r, const char *evidence_dir, buf_t *out)
{
	buf_puts(out, "{\"scenario\":");
	json_put_str(out, r->scenario);
	buf_puts(out, ",\"device\":");
	json_put_str(out, r->device);
	buf_puts(out, ",\"target\":");
	json_put_str(out, r->target);
	buf_puts(out, ",\"phase\":");
	json_put_str(out, r->phase);
	buf_puts(out, ",\"date\":");
	json_put_str(out, r->date);
	buf_puts(out, ",\"expected\":");
	json_put_str(out, scn_outcome_name(r->expected));
	buf_printf(out, ",\"tier\":\"%s\"", r->required ? "required" : "recommended");
	buf_puts(out, ",\"observed\":");
	json_put_str(out, scn_outcome_name(r->observed));
	buf_printf(out, ",\"verdict\":\"%s\"", r->pass ? "pass" : "fail");
	buf_puts(out, ",\"reason\":");
	json_put_str(out, r->reason);
	buf_puts(out, ",\"evidence\":");
	json_put_str(out, evidence_dir);
	buf_puts(out, ",\"chain\":");
	json_put_str(out, r->chain_text);
	buf_puts(out, ",\"alert\":");
	json_put_str(out, r->alert);
	buf_puts(out, ",\"device_error\":");
	json_put_str(out, r->device_error);
	buf_puts(out, ",\"reference\":");
	json_put_str(out, r->reference);
	buf_printf(out, ",\"handshakes_ok\":%d,\"handshakes_failed\":%d,"
		"\"image_bytes_sent\":%llu,\"wire_app_bytes\":%llu,\"capture_ok\":%s,"
		"\"capture_handshakes\":%d,\"reported_version\":%ld,\"offered_version\":%ld,"
		"\"version_before\":%ld}", r->handshakes_ok, r->handshakes_failed,
		(unsigned long long)r->image_bytes_sent, (unsigned long long)r->wire_app_bytes,
		r->capture_ok ? "true" : "false", r->capture_handshakes, r->reported_version,
		r->offered_version, r->version_before);
}

/* see verdict.h */
void
verdict_line(const verdict_result *r, buf_t *out)
{
	buf_printf(out, "%s %s @ %s (%.10s): %s: %s; expected %s%s: %s", r->scenario,
		r->device, r->phase, r->date, scn_outcome_name(r->observed), r->reason,
		scn_outcome_name(r->expected), r->required ? "" : " (recommended)",
		r->pass ? "PASS" : "FAIL");
}
