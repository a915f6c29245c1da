/*
 * The link to the update server (agent.h): the TLS connection with its
 * retries and console lines, the manifest and image transfers, the check-in.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "console.h"
#include "tls.h"

static con_line L;

/* ---- The link ---- */

/* see agent.h */
void
agent_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* see agent.h */
long
agent_backoff(agent *a, int attempt)
{
	long ms = a->backoff_ms;

	while (--attempt > 0 && ms < 8L * a->backoff_ms)
		ms *= 2;
	return ms;
}

/* The handshake's failure. BearSSL's line is the one the catalogue was
 * written against; every other stack adds the stack-neutral class. */
static void
emit_tls_failure(agent *a)
{
	const tls_error *e = &a->net->tls_err;

	con_begin(&L, "tls");
	con_str(&L, "result", "failed");
	con_str(&L, "err", e->name);
	con_int(&L, "code", e->code);
	if (e->alert >= 0) {
		const char *an = con_alert_name(e->alert);

		con_int(&L, "alert", e->alert);
		con_str(&L, "alert-name", an != NULL ? an : "unknown");
		con_str(&L, "alert-from", e->alert_from_device ? "device" : "server");
	}
	if (strcmp(tls_stack, "bearssl") != 0)
		con_str(&L, "class", tls_class_name(e->cls));
	con_str(&L, "text", e->text);
	con_emit(&L, stdout);
}

/*
 * Make sure a TLS connection is up. Returns 0, or the exit status the boot
 * ends with: EXIT_REJECTED when the server's chain or the handshake was
 * refused (not retried: it will not change within a boot), EXIT_UNREACHABLE
 * when no connection could be made after the retries.
 */
int
agent_ensure_link(agent *a)
{
	net_conn *c = a->net;
	int attempt;
	char ip[INET_ADDRSTRLEN];

	if (c->tls_up)
		return 0;
	inet_ntop(AF_INET, &c->addr.sin_addr, ip, sizeof ip);
	for (attempt = 1; attempt <= a->retries + 1; attempt++) {
		int r = net_connect(c);

		con_begin(&L, "connect");
		con_str(&L, "host", a->host);
		con_str(&L, "addr", ip);
		con_uint(&L, "port", ntohs(c->addr.sin_port));
		con_int(&L, "attempt", attempt);
		if (r != 0 && c->err_kind == NET_ERR_CONNECT) {
			con_str(&L, "result", "failed");
			con_str(&L, "error", c->msg);
			con_emit(&L, stdout);
			if (attempt <= a->retries) {
				long ms = agent_backoff(a, attempt);

				con_begin(&L, "retry");
				con_str(&L, "step", "connect");
				con_int(&L, "attempt", attempt + 1);
				con_int(&L, "wait-ms", ms);
				con_emit(&L, stdout);
				agent_sleep_ms(ms);
			}
			continue;
		}
		con_str(&L, "result", "ok");
		con_emit(&L, stdout);
		if (r != 0) {
			emit_tls_failure(a);
			/* A transport failure in the handshake is not a verdict on
			 * the chain: try again. */
			if (c->tls_err.cls == TLS_E_IO && attempt <= a->retries) {
				agent_sleep_ms(agent_backoff(a, attempt));
				continue;
			}
			return c->tls_err.cls == TLS_E_IO ? EXIT_UNREACHABLE : EXIT_REJECTED;
		}
		con_begin(&L, "tls");
		con_str(&L, "result", "ok");
		con_str(&L, "version", tls_version(c->ts));
		con_fmt(&L, "cipher", "0x%04X", tls_suite(c->ts));
		if (a->trust_mode == TRUST_PIN_LEAF)
			con_int(&L, "pin", tls_pin_index(c->ts));
		if (a->trust_mode == TRUST_INSECURE)
			con_str(&L, "checked", "nothing");
		con_emit(&L, stdout);
		return 0;
	}
	return EXIT_UNREACHABLE;
}

static void
emit_http(const char *method, const char *path, const net_resp *r)
{
	con_begin(&L, "http");
	con_str(&L, "method", method);
	con_str(&L, "path", path);
	con_int(&L, "status", r->status);
	if (r->has_length)
		con_uint(&L, "length", r->content_length);
	if (r->retry_after >= 0)
		con_int(&L, "retry-after", r->retry_after);
	con_emit(&L, stdout);
}

/*
 * GET a small document (the manifest) into out. Retries connection losses
 * and 429/503 (honouring Retry-After). Returns 0 or an exit status.
 */
int
agent_get_small(agent *a, const char *path, buf_t *out, size_t max)
{
	net_conn *c = a->net;
	int attempt;

	for (attempt = 1; attempt <= a->retries + 1; attempt++) {
		net_resp r;
		long wait = -1;
		int st = agent_ensure_link(a);

		if (st != 0)
			return st;
		if (net_request(c, "GET", path, -1, NULL, NULL, 0, &r) == 0) {
			emit_http("GET", path, &r);
			if (r.status == 200 && r.has_length && r.content_length <= max) {
				out->len = 0;
				buf_reserve(out, (size_t)r.content_length + 1);
				while (out->len < r.content_length) {
					long n = net_read_body(c, out->data + out->len,
						(size_t)r.content_length - out->len);

					if (n < 0)
						break;
					out->len += (size_t)n;
				}
				if (out->len == r.content_length) {
					if (r.close)
						net_close(c);
					return 0;
				}
			} else if (r.status == 503 || r.status == 429) {
				wait = r.retry_after;
				if (!r.has_length || net_skip_body(c, r.content_length) != 0 || r.close)
					net_close(c);
			} else {
				net_close(c);
				con_begin(&L, "error");
				con_str(&L, "step", path);
				con_int(&L, "status", r.status);
				con_emit(&L, stdout);
				return EXIT_ERROR;
			}
		}
		if (attempt <= a->retries) {
			long ms = wait >= 0 ? (wait > a->max_wait ? a->max_wait : wait) * 1000L
				: agent_backoff(a, attempt);

			con_begin(&L, "retry");
			con_str(&L, "step", path);
			con_int(&L, "attempt", attempt + 1);
			con_int(&L, "wait-ms", ms);
			con_str(&L, "reason", wait >= 0 ? "retry-after" : c->msg);
			con_emit(&L, stdout);
			agent_sleep_ms(ms);
		}
	}
	return EXIT_UNREACHABLE;
}

/*
 * Download the image of m into img (m->size bytes), resuming with Range
 * after a broken connection. Returns 0 or an exit status.
 */
int
agent_download(agent *a, const fw_manifest *m, unsigned char *img)
{
	net_conn *c = a->net;
	uint64_t have = 0;
	int attempt = 1;

	while (have < m->size) {
		net_resp r;
		long wait = -1;
		int st = agent_ensure_link(a);
		const char *why = NULL;

		if (st != 0)
			return st;
		if (net_request(c, "GET", m->url, have > 0 ? (long long)have : -1, NULL, NULL,
			0, &r) != 0)
		{
			why = c->msg;
		} else if (r.status == 200 || r.status == 206) {
			uint64_t start = 0, got = 0;

			if (r.status == 206) {
				if (!r.has_range || r.range_first > have || r.range_total != m->size) {
					net_close(c);
					con_begin(&L, "download");
					con_str(&L, "result", "error");
					con_str(&L, "error", "bad Content-Range");
					con_emit(&L, stdout);
					return EXIT_ERROR;
				}
				start = r.range_first;
			}
			if (!r.has_length || start + r.content_length > m->size) {
				net_close(c);
				con_begin(&L, "download");
				con_str(&L, "result", "error");
				con_str(&L, "error", "body larger than the manifest's size");
				con_emit(&L, stdout);
				return EXIT_ERROR;
			}
			have = start;
			while (got < r.content_length) {
				long n = net_read_body(c, img + have, (size_t)(r.content_length - got));

				if (n < 0)
					break;
				got += (uint64_t)n;
				have += (uint64_t)n;
			}
			con_begin(&L, "download");
			con_uint(&L, "offset", start);
			con_int(&L, "status", r.status);
			con_uint(&L, "bytes", got);
			con_uint(&L, "have", have);
			con_uint(&L, "total", m->size);
			con_int(&L, "attempt", attempt);
			con_str(&L, "result", got == r.content_length ? "ok" : "cut");
			con_emit(&L, stdout);
			if (got == r.content_length) {
				if (r.close)
					net_close(c);
				continue;
			}
			why = "connection lost in the body";
		} else if (r.status == 503 || r.status == 429) {
			emit_http("GET", m->url, &r);
			wait = r.retry_after;
			why = "busy";
			if (!r.has_length || net_skip_body(c, r.content_length) != 0 || r.close)
				net_close(c);
		} else {
			emit_http("GET", m->url, &r);
			net_close(c);
			con_begin(&L, "download");
			con_str(&L, "result", "error");
			con_int(&L, "status", r.status);
			con_emit(&L, stdout);
			return EXIT_ERROR;
		}
		if (attempt > a->retries) {
			con_begin(&L, "download");
			con_str(&L, "result", "gave-up");
			con_uint(&L, "have", have);
			con_int(&L, "attempts", attempt);
			con_emit(&L, stdout);
			return EXIT_UNREACHABLE;
		}
		{
			long ms = wait >= 0 ? (wait > a->max_wait ? a->max_wait : wait) * 1000L
				: agent_backoff(a, attempt);

			attempt++;
			con_begin(&L, "retry");
			con_str(&L, "step", "download");
			con_int(&L, "attempt", attempt);
			con_int(&L, "wait-ms", ms);
			con_uint(&L, "resume-at", have);
			con_str(&L, "reason", wait >= 0 ? "retry-after" : why);
			con_emit(&L, stdout);
			agent_sleep_ms(ms);
		}
	}
	return 0;
}

/* Check in: POST /report with the running version and what this boot saw.
 * Best effort: a failed report does not change the boot's result. */
void
agent_report(agent *a, const char *status, uint32_t offered)
{
	net_conn *c = a->net;
	buf_t b = {0};
	net_resp r;
	int ok = 0;

	buf_printf(&b, "rotsim-report 1\ndevice %s\nprofile %s\nversion %lu\nstatus %s\n",
		a->device, a->profile, (unsigned long)a->version, status);
	if (offered != 0)
		buf_printf(&b, "offered %lu\n", (unsigned long)offered);
	buf_printf(&b, "trust %s\n", a->trust_source);
	if (agent_ensure_link(a) == 0
		&& net_request(c, "POST", "/report", -1, "text/plain", b.data, b.len, &r) == 0)
	{
		if (r.has_length && net_skip_body(c, r.content_length) == 0)
			ok = r.status == 200;
		if (r.close)
			net_close(c);
	}
	con_begin(&L, "report");
	con_uint(&L, "version", a->version);
	con_str(&L, "status", status);
	con_str(&L, "result", ok ? "ok" : "failed");
	con_emit(&L, stdout);
	buf_free(&b);
}
