/*
 * Deciding a phase from its evidence. See verdict.h.
 *
 * Everything here works on the evidence value that evidence_load() read: no
 * file is opened, so the decision can be tested on any evidence and re-run on
 * old results.
 */
#include "verdict/verdict.h"
#include "verdict/lab.h"
#include "verdict/refcheck.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the wire shows, counted over every capture of the phase, on the
 * server's address (when the lab evidence names it) and port. */
typedef struct {
	const char *problem;		/* why the wire cannot be trusted whole, or NULL */
	char problem_buf[600];
	int client_hellos;
	int handshakes;			/* both Finished seen */
	int request_flows;		/* completed, then client application data */
	int alert;			/* the first clear alert the device sent, -1 */
	uint64_t app_to_device;		/* application data bytes, server to device */
} wire;

/* What the server's events say. */
typedef struct {
	int handshakes_ok, handshakes_failed;
	const ev_srv_event *ok_hs, *failed_hs;	/* the first of each */
	const char *alert_name;		/* the first alert the client sent */
	uint64_t image_bytes;
	int image_requests;
	int requests;			/* request events */
	int checkin_conns;		/* connections that carried a check-in */
	long reported_version;		/* the last check-in's version, -1 */
} served;

/* The running version a check-in body reports: a line "version 3" (the
 * reference agent's format, PROTOCOL.md) or a word "version=3". -1 if none. */
static long
report_version(const char *body)
{
	const char *p;

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

/* The console's last "rotsim: ... err=NAME", the device's own last word
 * ("done ...") and the time its clock took ("rotsim: clock source=S time=T":
 * "T (S)"), for the reason's detail only. Colour sequences and control
 * characters are removed first. */
static void
console_scan(const evidence *ev, char *errname, size_t errlen, char *done, size_t donelen,
	char *clock, size_t clocklen)
{
	buf_t b = {0};
	char *line, *save = NULL;

	errname[0] = 0;
	done[0] = 0;
	clock[0] = 0;
	if (ev->console == NULL)
		return;
	ev_clean_text(&b, ev->console, ev->console_len);
	for (line = strtok_r(buf_cstr(&b), "\n", &save); line != NULL;
		line = strtok_r(NULL, "\n", &save)) {
		char *r = strstr(line, "rotsim: ");
		if (r == NULL)
			continue;
		char *e = strstr(r, " err=");
		if (e != NULL) {
			e += 5;
			size_t n = strcspn(e, " ");
			if (n > 0 && n < errlen) {
				memcpy(errname, e, n);
				errname[n] = 0;
			}
		}
		if (strncmp(r + 8, "done ", 5) == 0)
			ev_set(done, donelen, "%s", r + 8);
		if (strncmp(r + 8, "clock ", 6) == 0) {
			char *src = strstr(r, " source="), *t = strstr(r, " time=");
			if (src != NULL && t != NULL)
				snprintf(clock, clocklen, "%.20s (%.*s)", t + 6,
					(int)strcspn(src + 8, " "), src + 8);
		}
	}
	buf_free(&b);
}

static void
wire_count(const evidence *ev, const verdict_lab *lab, wire *w)
{
	size_t i, k;
	int port = ev->plan.server_port;
	/* On the lab network the sink answers TCP for any address: only flows
	 * to the update server's own address count. */
	uint32_t addr = lab != NULL && lab->present ? lab->server_ip : 0;

	if (lab != NULL && lab->present && lab->server_port > 0)
		port = lab->server_port;
	memset(w, 0, sizeof *w);
	w->alert = -1;
	if (ev->ncaps == 0)
		w->problem = "no capture file";
	else if (ev->have_run && ev->run.capture_error != NULL) {
		ev_set(w->problem_buf, sizeof w->problem_buf, "the capture failed: %s",
			ev->run.capture_error);
		w->problem = w->problem_buf;
	}
	for (k = 0; k < ev->ncaps; k++) {
		const ev_capture *c = &ev->caps[k];
		if (!c->ok) {
			if (w->problem == NULL) {
				ev_set(w->problem_buf, sizeof w->problem_buf, "%s unreadable (%s)",
					c->name, c->error ? c->error : "?");
				w->problem = w->problem_buf;
			}
			continue;
		}
		if (c->rep.truncated && w->problem == NULL) {
			ev_set(w->problem_buf, sizeof w->problem_buf, "%s is cut short (it ends "
				"in mid-packet)", c->name);
			w->problem = w->problem_buf;
		}
		for (i = 0; i < c->rep.n_flows; i++) {
			const cap_flow *f = &c->rep.flows[i];
			int done;
			if (port > 0 && f->port[CAP_S2C] != port)
				continue;
			if (addr != 0 && (f->family != 4 || memcmp(f->addr[CAP_S2C], &addr, 4) != 0))
				continue;
			done = f->tls.finished[CAP_C2S] && f->tls.finished[CAP_S2C];
			w->client_hellos += f->tls.client_hello.seen;
			w->handshakes += done;
			w->request_flows += done && f->app_bytes[CAP_C2S] > 0;
			if (f->tls.alert_seen[CAP_C2S] && !f->tls.alert_encrypted[CAP_C2S]
				&& w->alert < 0)
				w->alert = f->tls.alert_desc[CAP_C2S];
			w->app_to_device += f->app_bytes[CAP_S2C];
		}
	}
}

/* Is conn already among seen[0..n)? If not, add it. */
static int
conn_new(long *seen, size_t *n, size_t max, long conn)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (seen[i] == conn)
			return 0;
	if (*n < max)
		seen[(*n)++] = conn;
	return 1;
}

static void
served_count(const evidence *ev, served *s)
{
	long seen[256];
	size_t i, nseen = 0;

	memset(s, 0, sizeof *s);
	s->reported_version = -1;
	for (i = 0; i < ev->nevents; i++) {
		const ev_srv_event *e = &ev->events[i];
		if (e->type == EV_SRV_HANDSHAKE && e->ok) {
			s->handshakes_ok++;
			if (s->ok_hs == NULL)
				s->ok_hs = e;
		} else if (e->type == EV_SRV_HANDSHAKE) {
			s->handshakes_failed++;
			if (s->failed_hs == NULL)
				s->failed_hs = e;
			if (s->alert_name == NULL && e->alert_from != NULL
				&& strcmp(e->alert_from, "client") == 0)
				s->alert_name = e->alert_name;
		} else if (e->type == EV_SRV_REQUEST) {
			s->requests++;
			if (e->path != NULL && strncmp(e->path, "/firmware/", 10) == 0
				&& (e->status == 200 || e->status == 206) && e->method != NULL
				&& strcmp(e->method, "GET") == 0) {
				s->image_bytes += e->bytes;
				s->image_requests++;
			}
			if (e->report != NULL && report_version(e->report) >= 0) {
				s->reported_version = report_version(e->report);
				s->checkin_conns += conn_new(seen, &nseen, 256, e->conn);
			}
		}
	}
}

/* Map the presented chain (hashes) to ids: "leaf-r10 <- r10". */
static void
chain_ids(const evidence *ev, const ev_srv_event *hs, char *out, size_t len)
{
	buf_t b = {0};
	size_t i;

	for (i = 0; hs != NULL && i < hs->nchain; i++) {
		const ev_cert *c = evidence_cert(ev, hs->chain[i]);
		if (i > 0)
			buf_puts(&b, " <- ");
		if (c != NULL)
			buf_puts(&b, c->id);
		else
			buf_printf(&b, "%.12s..", hs->chain[i]);
	}
	ev_set(out, len, "%s", b.len ? buf_cstr(&b) : "(no chain)");
	buf_free(&b);
}

/* The reference validation of the chain a handshake presented: 0 accepted,
 * else the code a correct device gets; its name in text. */
static int
reference(const evidence *ev, const ev_srv_event *hs, char *text, size_t textlen)
{
	ref_cert rc[16];
	ref_file af[16], pf;
	size_t n = 0, na = 0, i;
	int64_t date = 0;
	int code = 0;
	char err[256];

	if (ev->trust_problem != NULL) {
		ev_set(text, textlen, "reference check failed: %s", ev->trust_problem);
		return -2;
	}
	for (i = 0; hs != NULL && i < hs->nchain && n < 16; i++) {
		const ev_cert *c = evidence_cert(ev, hs->chain[i]);
		if (c == NULL) {
			/* A certificate the case's PKI does not hold: stop there, as
			 * a device that cannot chain past it would. */
			break;
		}
		rc[n].der = c->der;
		rc[n].len = c->len;
		n++;
	}
	for (i = 0; i < ev->nanchors && na < 16; i++, na++) {
		af[na].name = ev->anchors[i].name;
		af[na].data = ev->anchors[i].data;
		af[na].len = ev->anchors[i].len;
	}
	pf.name = ev->pins.name;
	pf.data = ev->pins.data;
	pf.len = ev->pins.len;
	if (ev->plan.date == NULL || simtime_parse(ev->plan.date, &date, err, sizeof err) != 0)
		date = 0;
	if (ref_validate_mem(rc, n, date, ev->plan.server_name ? ev->plan.server_name
		: "updates.rotsim.test", af, na, ev->pins.data ? &pf : NULL, &code, err,
		sizeof err) != 0) {
		ev_set(text, textlen, "reference check failed: %s", err);
		return -2;
	}
	ev_set(text, textlen, "%s", ref_error_name(code));
	return code;
}

static void
identity(const evidence *ev, verdict_result *r)
{
	const ev_plan *p = &ev->plan;

	ev_record_init(r);
	ev_set(r->scenario, sizeof r->scenario, "%s", p->scenario ? p->scenario : "");
	ev_set(r->device, sizeof r->device, "%s", p->device ? p->device : "");
	ev_set(r->target, sizeof r->target, "%s", p->target ? p->target : "");
	ev_set(r->phase, sizeof r->phase, "%s", p->phase ? p->phase : "");
	ev_set(r->date, sizeof r->date, "%s", p->date ? p->date : "");
	ev_set(r->why, sizeof r->why, "%s", p->why ? p->why : "");
	r->case_index = p->case_index;
	r->phase_index = p->phase_index;
	r->expected = p->expected;
	r->required = p->required;
	r->offered_version = p->offered_version;
	r->version_before = p->version_before;
}

/* A completed handshake over a chain the reference refuses: insecure only
 * when the device then used the connection. */
static void
decide_refused(const evidence *ev, verdict_result *r, const wire *w, const served *s)
{
	int used = s->requests > 0 || (w->problem == NULL && w->request_flows > 0);

	if (used) {
		r->observed = OUT_INSECURE;
		ev_set(r->reason, sizeof r->reason, "device completed the handshake with chain "
			"%s, which a correct check with its anchors refuses on %.10s (%s), and sent "
			"requests over it (%d request event(s), %d connection(s) with client "
			"application data on the wire); %llu image bytes sent", r->chain_text,
			r->date, r->reference, s->requests, w->request_flows,
			(unsigned long long)r->image_bytes_sent);
	} else {
		r->observed = OUT_REJECTED;
		ev_set(r->reason, sizeof r->reason, "device completed the handshake with chain "
			"%s (which a correct check refuses: %s) but closed without a request: it "
			"refused the server after the handshake (a pin or other post-handshake "
			"check)%s%s%s", r->chain_text, r->reference,
			r->device_error[0] ? " (console: " : "", r->device_error,
			r->device_error[0] ? ")" : "");
	}
}

static void
decide_accepted(const evidence *ev, verdict_result *r, const wire *w, const served *s,
	const char *done)
{
	long image_size = ev->plan.image_size;
	int image_complete = image_size > 0 && r->image_bytes_sent >= (uint64_t)image_size;

	if (r->offered_version > r->version_before && image_complete
		&& r->reported_version == r->offered_version) {
		r->observed = OUT_UPDATED;
		ev_set(r->reason, sizeof r->reason, "downloaded %llu bytes of version %ld over "
			"chain %s (%llu bytes of application data on the wire), installed it and "
			"checked in with version %ld", (unsigned long long)r->image_bytes_sent,
			r->offered_version, r->chain_text, (unsigned long long)r->wire_app_bytes,
			r->reported_version);
		return;
	}
	r->observed = OUT_CURRENT;
	if (r->offered_version <= r->version_before)
		ev_set(r->reason, sizeof r->reason, "validated chain %s; nothing newer offered "
			"(running %ld, offered %ld)", r->chain_text, r->version_before,
			r->offered_version);
	else if (r->reported_version == r->offered_version)
		ev_set(r->reason, sizeof r->reason, "validated chain %s; reports version %ld, "
			"but the image was not seen complete (%llu of %ld bytes sent, %llu on the "
			"wire): not counted as updated", r->chain_text, r->reported_version,
			(unsigned long long)r->image_bytes_sent, image_size,
			(unsigned long long)r->wire_app_bytes);
	else
		ev_set(r->reason, sizeof r->reason, "validated chain %s but did not install "
			"version %ld (%d image request(s), %llu of %ld bytes sent; last check-in "
			"version %ld)%s%s", r->chain_text, r->offered_version, s->image_requests,
			(unsigned long long)r->image_bytes_sent, image_size, r->reported_version,
			done[0] ? "; console: " : "", done);
}

/* A device on the files or hawkbit protocol whose chain checked out. */
static void
decide_accepted_proto(const evidence *ev, verdict_result *r, const verdict_proto *vp,
	const verdict_proto_facts *f, const char *done)
{
	long size = ev->plan.image_size, v = r->offered_version;
	const char *name = verdict_protocol_name(vp->protocol);
	char got[256];
	int complete = f->complete_at >= 0;

	r->observed = OUT_CURRENT;
	ev_set(got, sizeof got, "%llu of %ld bytes of version %ld covered by %d image "
		"request(s)%s%s", (unsigned long long)f->covered, size, v, f->image_requests,
		vp->image_path != NULL ? " at " : "", vp->image_path != NULL ? vp->image_path : "");
	if (v <= r->version_before) {
		ev_set(r->reason, sizeof r->reason, "validated chain %s; nothing newer offered "
			"(running %ld, offered %ld; %s protocol)", r->chain_text, r->version_before,
			v, name);
		return;
	}
	if (vp->protocol == VPROTO_HAWKBIT) {
		int success = strcmp(f->finished, "success") == 0;

		if (complete && success && f->closed_at > f->complete_at) {
			r->observed = OUT_UPDATED;
			ev_set(r->reason, sizeof r->reason, "downloaded the whole artifact (%s) over "
				"chain %s (%llu bytes of application data on the wire), then sent "
				"hawkBit feedback closed/success for action %ld", got, r->chain_text,
				(unsigned long long)r->wire_app_bytes, v);
		} else if (f->finished[0] != 0 && !success) {
			ev_set(r->reason, sizeof r->reason, "validated chain %s; hawkBit feedback "
				"closed/%s for action %ld%s%s%s (%s): not installed", r->chain_text,
				f->finished, v, f->detail[0] ? " (\"" : "", f->detail,
				f->detail[0] ? "\")" : "", got);
		} else if (success) {
			ev_set(r->reason, sizeof r->reason, "validated chain %s; hawkBit feedback "
				"closed/success for action %ld, but %s: not counted as updated",
				r->chain_text, v, complete ? "it came before the artifact was "
				"complete" : "the artifact was not seen complete");
			ev_set(r->reason + strlen(r->reason), sizeof r->reason - strlen(r->reason),
				" (%s)", got);
		} else {
			ev_set(r->reason, sizeof r->reason, "validated chain %s but no closed "
				"hawkBit feedback for action %ld (%d feedback post(s); %s)%s%s",
				r->chain_text, v, f->feedbacks, got, done[0] ? "; console: " : "",
				done);
		}
		return;
	}
	/* files */
	if (vp->signal == VSIG_NONE) {
		ev_set(r->reason, sizeof r->reason, "validated chain %s; %s, but the device has "
			"no version signal (version-signal): an update cannot be proven",
			r->chain_text, got);
		return;
	}
	if (complete && f->signal_seen && f->signal_version == v
		&& (vp->signal == VSIG_CONSOLE || (ev->have_run && ev->run.boots >= 2))) {
		r->observed = OUT_UPDATED;
		ev_set(r->reason, sizeof r->reason, "downloaded the whole image (%s) over chain "
			"%s (%llu bytes of application data on the wire), rebooted and gave the "
			"signal %s: %s", got, r->chain_text, (unsigned long long)r->wire_app_bytes,
			vp->signal_text, f->signal_detail);
		return;
	}
	if (!complete)
		ev_set(r->reason, sizeof r->reason, "validated chain %s but the image was not "
			"seen complete (%s)%s%s%s%s", r->chain_text, got,
			f->signal_seen ? "; signal seen: " : "", f->signal_seen ? f->signal_detail : "",
			done[0] ? "; console: " : "", done);
	else if (!f->signal_seen)
		ev_set(r->reason, sizeof r->reason, "validated chain %s and the image was "
			"complete (%s), but no signal %s after it: not counted as updated%s%s",
			r->chain_text, got, vp->signal_text, done[0] ? "; console: " : "", done);
	else if (f->signal_version != v)
		ev_set(r->reason, sizeof r->reason, "validated chain %s and the image was "
			"complete (%s), but the signal names version %ld, not %ld: %s",
			r->chain_text, got, f->signal_version, v, f->signal_detail);
	else
		ev_set(r->reason, sizeof r->reason, "validated chain %s, the image was complete "
			"(%s) and the signal was seen (%s), but the device was not booted again: "
			"not counted as updated", r->chain_text, got, f->signal_detail);
}

/* The server's events against the wire; "" when they agree. On another
 * protocol (other) the image's bytes were checked with its own evidence,
 * each byte once. */
static void
cross_check(const wire *w, const served *s, int other, buf_t *why)
{
	if (s->handshakes_ok != w->handshakes)
		buf_printf(why, "%sthe server logged %d completed handshake(s), the wire shows %d",
			why->len ? "; " : "", s->handshakes_ok, w->handshakes);
	if (!other && s->image_bytes > w->app_to_device)
		buf_printf(why, "%sthe server logged %llu image bytes sent, the wire carried "
			"only %llu bytes of application data to the device", why->len ? "; " : "",
			(unsigned long long)s->image_bytes, (unsigned long long)w->app_to_device);
	if (s->checkin_conns > w->request_flows)
		buf_printf(why, "%sthe server logged check-ins on %d connection(s), the wire "
			"shows client requests on %d", why->len ? "; " : "", s->checkin_conns,
			w->request_flows);
}

/* see verdict.h */
void
verdict_decide(const evidence *ev, verdict_result *r)
{
	verdict_decide_lab(ev, NULL, r);
}

/* A device that did not reach the server: what the lab network shows of
 * why, after the reason. */
static void
add_network_story(const evidence *ev, const verdict_lab *lab, const char *clock,
	verdict_result *r)
{
	buf_t b = {0};
	int64_t date = 0;
	char err[64];
	size_t l;

	if (lab == NULL || !lab->present)
		return;
	if (ev->plan.date == NULL || simtime_parse(ev->plan.date, &date, err, sizeof err) != 0)
		date = 0;
	verdict_lab_story(lab, date, clock, &b);
	if (lab->problem != NULL)
		buf_printf(&b, "%s%s", b.len ? "; " : "", lab->problem);
	l = strlen(r->reason);
	if (b.len > 0)
		ev_set(r->reason + l, sizeof r->reason - l, "; network: %s", buf_cstr(&b));
	buf_free(&b);
}

/* see verdict.h */
void
verdict_decide_lab(const evidence *ev, const verdict_lab *lab, verdict_result *r)
{
	verdict_decide_proto(ev, lab, NULL, r);
}

/* see verdict.h */
void
verdict_decide_proto(const evidence *ev, const verdict_lab *lab, const verdict_proto *vp,
	verdict_result *r)
{
	wire w;
	served s;
	verdict_proto_facts pf;
	int other = vp != NULL && vp->protocol != VPROTO_ROTSIM;
	char done[256], clock[64];
	buf_t why = {0};
	const char *fail_reason;

	identity(ev, r);
	wire_count(ev, lab, &w);
	served_count(ev, &s);
	console_scan(ev, r->device_error, sizeof r->device_error, done, sizeof done, clock,
		sizeof clock);
	r->handshakes_ok = s.handshakes_ok;
	r->handshakes_failed = s.handshakes_failed;
	r->image_bytes_sent = s.image_bytes;
	r->reported_version = s.reported_version;
	r->wire_app_bytes = w.app_to_device;
	r->capture_handshakes = w.handshakes;
	r->capture_ok = w.problem == NULL;
	r->duration_ms = ev->have_run ? ev->run.duration_ms : 0;
	if (s.alert_name != NULL)
		ev_set(r->alert, sizeof r->alert, "%s", s.alert_name);
	else if (w.alert >= 0)
		ev_set(r->alert, sizeof r->alert, "%s", cap_alert_name(w.alert));
	chain_ids(ev, s.ok_hs ? s.ok_hs : s.failed_hs, r->chain_text, sizeof r->chain_text);
	fail_reason = s.failed_hs && s.failed_hs->reason ? s.failed_hs->reason : "no alert";
	if (other) {
		/* The protocol's own evidence: the image's coverage, the signal or
		 * the feedback. It must fit on the wire as rotsim's does. */
		verdict_proto_facts_of(vp, r->offered_version, ev->plan.image_size, &pf);
		r->image_bytes_sent = pf.covered;
		r->reported_version = vp->protocol == VPROTO_HAWKBIT
			? (strcmp(pf.finished, "success") == 0 ? r->offered_version : -1)
			: (pf.signal_seen ? pf.signal_version : -1);
		/* Each byte of the image once: a client that fetches the whole
		 * image again and stops reading once it sees it has it (SWUpdate's
		 * downloader refusing a reinstall) leaves what the server wrote
		 * after that in buffers the wire never carries. */
		if (w.problem == NULL && pf.covered > w.app_to_device)
			buf_printf(&why, "the server logged %llu bytes of the image sent, the wire "
				"carried only %llu bytes of application data to the device",
				(unsigned long long)pf.covered,
				(unsigned long long)w.app_to_device);
		if (w.problem == NULL && pf.signal_conns > w.request_flows)
			buf_printf(&why, "%sthe server logged check-ins on %d connection(s), the "
				"wire shows client requests on %d", why.len ? "; " : "",
				pf.signal_conns, w.request_flows);
	}

	/* What happened to the phase itself comes first: an interrupted or
	 * powered-off phase, or one the harness could not run, has no device
	 * outcome to check against the wire. */
	if (ev->have_run && ev->run.interrupted) {
		r->observed = OUT_INTERRUPTED;
		ev_set(r->reason, sizeof r->reason, "the run was interrupted during this phase");
	} else if (!ev->plan.power_on) {
		r->observed = OUT_OFF;
		ev_set(r->reason, sizeof r->reason, "the device was powered off");
	} else if (!ev->have_run || ev->run.error != NULL) {
		r->observed = OUT_ERROR;
		ev_set(r->reason, sizeof r->reason, "%s", ev->have_run ? ev->run.error
			: ev->run_problem ? ev->run_problem : "no run.json");
	} else if (!ev->have_events) {
		r->observed = OUT_ERROR;
		ev_set(r->reason, sizeof r->reason, "evidence incomplete: no server events "
			"(server-events.jsonl)");
	} else if (vp != NULL && vp->problem != NULL) {
		r->observed = OUT_ERROR;
		ev_set(r->reason, sizeof r->reason, "evidence disagrees: %s", vp->problem);
	} else if (w.problem == NULL && (cross_check(&w, &s, other, &why), why.len > 0)) {
		r->observed = OUT_ERROR;
		ev_set(r->reason, sizeof r->reason, "evidence disagrees: %s", buf_cstr(&why));
	} else if (s.handshakes_ok == 0 && s.handshakes_failed == 0 && w.client_hellos == 0) {
		r->observed = OUT_UNREACHABLE;
		ev_set(r->reason, sizeof r->reason, "the device never completed a TLS connection "
			"to the server (no ClientHello on the wire)%s%s", done[0] ? "; console: "
			: "", done);
	} else if (s.handshakes_ok == 0) {
		r->observed = OUT_REJECTED;
		if (r->alert[0])
			ev_set(r->reason, sizeof r->reason, "device sent alert %s after chain %s%s%s%s",
				r->alert, r->chain_text, r->device_error[0] ? " (console: " : "",
				r->device_error, r->device_error[0] ? ")" : "");
		else
			ev_set(r->reason, sizeof r->reason, "device closed the handshake after chain "
				"%s (%s)%s%s%s", r->chain_text, fail_reason,
				r->device_error[0] ? " (console: " : "", r->device_error,
				r->device_error[0] ? ")" : "");
	} else if (reference(ev, s.ok_hs, r->reference, sizeof r->reference) != 0) {
		decide_refused(ev, r, &w, &s);
	} else if (other) {
		decide_accepted_proto(ev, r, vp, &pf, done);
	} else {
		decide_accepted(ev, r, &w, &s, done);
	}
	buf_free(&why);
	if (r->observed == OUT_REJECTED || r->observed == OUT_UNREACHABLE)
		add_network_story(ev, lab, clock, r);

	/*
	 * Without a whole capture the wire cannot confirm what the server says.
	 * "updated" and "insecure" claim that something happened on the wire (an
	 * image went through, a forged chain was used), so they need it: on the
	 * server's word alone they are errors. The other device outcomes say
	 * that something did not happen, which a missing capture cannot
	 * contradict; they stand, with a note. Phases decided before the device
	 * (interrupted, off, harness error) are not about the wire at all.
	 */
	if (w.problem != NULL && (r->observed == OUT_UPDATED || r->observed == OUT_INSECURE)) {
		char was[sizeof r->reason];
		memcpy(was, r->reason, sizeof was);
		ev_set(r->reason, sizeof r->reason, "evidence incomplete: %s; the server's events "
			"alone would make it %s (%s)", w.problem, scn_outcome_name(r->observed), was);
		r->observed = OUT_ERROR;
	} else if (w.problem != NULL && r->observed != OUT_OFF && r->observed != OUT_INTERRUPTED
		&& r->observed != OUT_ERROR) {
		size_t l = strlen(r->reason);
		ev_set(r->reason + l, sizeof r->reason - l, " (wire not checked: %s)", w.problem);
	}
	r->pass = r->observed == r->expected;
}

/* see verdict.h */
int
verdict_phase(const char *dir, verdict_result *r, char *err, size_t errlen)
{
	evidence ev;
	int ret = -1;

	if (evidence_load(dir, &ev, err, errlen) == 0) {
		verdict_lab lab;
		const char *names[EV_MAX_CAPTURES];
		size_t i, n = 0;

		for (i = 0; i < ev.ncaps && n < EV_MAX_CAPTURES; i++)
			names[n++] = ev.caps[i].name;
		verdict_proto vp;

		verdict_lab_load(dir, names, n, &lab);
		verdict_proto_load(dir, &vp);
		verdict_decide_proto(&ev, &lab, &vp, r);
		verdict_proto_free(&vp);
		verdict_lab_free(&lab);
		ret = 0;
	}
	evidence_free(&ev);
	return ret;
}
