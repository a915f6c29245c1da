/*
 * HTTP in the update server: a complete request in, its response out through
 * the connection's TLS engine (see PROTOCOL.md).
 */
#include "server/srv_int.h"
#include "time/simtime.h"

#include <stdlib.h>
#include <string.h>

/* Start a response: the head is built here; the body is body[0..len). */
/* see srv_int.h */
void
srv_respond(srv_conn *c, int status, const char *ctype, const void *body,
	uint64_t len, const char *extra)
{
	char date[40];

	c->status = status;
	c->head.len = 0;
	c->head_off = 0;
	simtime_format_http(date, sizeof date, srv_sim_now(c->srv));
	buf_printf(&c->head, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: rotsim\r\n"
		"Content-Length: %llu\r\n", status, srv_http_reason(status), date,
		(unsigned long long)len);
	if (ctype != NULL)
		buf_printf(&c->head, "Content-Type: %s\r\n", ctype);
	if (extra != NULL)
		buf_puts(&c->head, extra);
	if (c->close_after)
		buf_puts(&c->head, "Connection: close\r\n");
	buf_puts(&c->head, "\r\n");
	if (strcmp(c->method, "HEAD") == 0)
		len = 0;
	c->body = body;
	c->body_len = len;
	c->body_off = 0;
	c->resp_active = 1;
	c->t_sent = srv_mono_ms();
	/* No transfer fault unless serve_image() sets one. */
	c->body_image = NULL;
	c->body_base = 0;
	c->cut_at = UINT64_MAX;
	c->stall_ms = 0;
	c->stall_until = 0;
}

#define respond srv_respond

static const char plain[] = "text/plain";

/* see srv_int.h */
void
srv_respond_text(srv_conn *c, int status, const char *extra)
{
	/* Static texts: "404 Not Found\n" and so on. */
	static char texts[600][48];
	char *t = texts[status % 600];

	snprintf(t, sizeof texts[0], "%d %s\n", status, srv_http_reason(status));
	respond(c, status, plain, t, strlen(t), extra);
}

/* see srv_int.h */
void
srv_serve_bytes(srv_conn *c, const srv_http_req *r, const unsigned char *data,
	size_t len, const srv_image *img, const char *ctype, const char *extra)
{
	uint64_t first = 0, last = len ? len - 1 : 0;
	int rr = srv_http_range(r, len, &first, &last);
	char head[320];

	if (rr < 0) {
		snprintf(head, sizeof head, "Content-Range: bytes */%zu\r\n", len);
		srv_respond_text(c, 416, head);
		return;
	}
	if (rr > 0) {
		snprintf(head, sizeof head, "Accept-Ranges: bytes\r\n"
			"Content-Range: bytes %llu-%llu/%zu\r\n%s", (unsigned long long)first,
			(unsigned long long)last, len, extra != NULL ? extra : "");
		respond(c, 206, ctype, data + first, last - first + 1, head);
	} else {
		snprintf(head, sizeof head, "Accept-Ranges: bytes\r\n%s",
			extra != NULL ? extra : "");
		respond(c, 200, ctype, data, len, head);
	}
	c->log_image = img;
	c->log_offset = first;
	c->log_size = len;
	if (img == NULL)
		return;
	c->body_image = img;
	c->body_base = first;
	srv_faults_image(c, first, last);
}

/* Serve a firmware image, with Range and the transfer faults. */
static void
serve_image(srv_conn *c, const srv_http_req *r, const srv_image *img)
{
	srv_serve_bytes(c, r, img->data, img->len, img, "application/octet-stream", NULL);
}

/* Answer one complete request. */
static void
handle_request(srv_conn *c, const srv_http_req *r, const unsigned char *body)
{
	srv_server *s = c->srv;
	const char *t = r->target;
	int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	size_t i, tlen;

	c->nreq++;
	snprintf(c->method, sizeof c->method, "%s", r->method);
	memcpy(c->target, r->target, sizeof c->target);
	snprintf(c->range, sizeof c->range, "%s", r->has_range ? r->range : "");
	c->close_after = !r->keep_alive;
	tlen = strcspn(t, "?");
	c->log_image = NULL;
	c->log_offset = c->log_size = 0;
	c->report_key = "report";
	c->feedback[0] = 0;
	if (srv_faults_request(c, t))
		return;
	if (s->protocol != SRV_PROTO_ROTSIM) {
		srv_tree_request(c, r, body);
		return;
	}
	if (tlen == 9 && strncmp(t, "/manifest", 9) == 0) {
		if (!get) {
			srv_respond_text(c, 405, "Allow: GET, HEAD\r\n");
		} else if (s->manifest == NULL) {
			srv_respond_text(c, 404, NULL);
		} else {
			for (i = 0; i < s->nfaults; i++)
				if (s->faults[i].f.kind == FAULT_BAD_SIGNATURE)
					srv_fault_applied(c, &s->faults[i]);
			respond(c, 200, plain, s->manifest, s->manifest_len, NULL);
		}
		return;
	}
	if (tlen == 7 && strncmp(t, "/report", 7) == 0) {
		if (strcmp(r->method, "POST") != 0) {
			srv_respond_text(c, 405, "Allow: POST\r\n");
			return;
		}
		c->report = xmemdup(body, r->body_len);
		c->report_len = r->body_len;
		respond(c, 200, plain, "ok\n", 3, NULL);
		return;
	}
	if (tlen > 10 && strncmp(t, "/firmware/", 10) == 0) {
		const srv_image *img = NULL;

		for (i = 0; i < s->nimages; i++)
			if (strlen(s->images[i].name) == tlen - 10
				&& strncmp(t + 10, s->images[i].name, tlen - 10) == 0)
				img = &s->images[i];
		if (img != NULL && img == s->offered && srv_faults_missing_image(c))
			img = NULL;
		if (img == NULL)
			srv_respond_text(c, 404, NULL);
		else if (!get)
			srv_respond_text(c, 405, "Allow: GET, HEAD\r\n");
		else
			serve_image(c, r, img);
		return;
	}
	srv_respond_text(c, 404, NULL);
}

/* see srv_int.h */
void
srv_next_request(srv_conn *c)
{
	srv_http_req r;
	long n;
	int status;

	if (c->resp_active || c->closing || c->cutting || c->in.len == 0)
		return;
	n = srv_http_parse(&r, c->in.data, c->in.len, &status);
	if (n == 0)
		return;
	if (n < 0) {
		c->nreq++;
		snprintf(c->method, sizeof c->method, "%s", r.method);
		memcpy(c->target, r.target, sizeof c->target);
		c->range[0] = 0;
		c->close_after = 1;
		srv_respond_text(c, status, NULL);
		c->in.len = 0;
		return;
	}
	handle_request(c, &r, c->in.data + r.head_len);
	memmove(c->in.data, c->in.data + n, c->in.len - (size_t)n);
	c->in.len -= (size_t)n;
	c->t_req = c->in.len > 0 ? srv_mono_ms() : NOW_NEVER;
}

/* see srv_int.h */
int
srv_push_response(srv_conn *c, int64_t now)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	unsigned char *buf;
	size_t avail, n;
	int moved = 0;

	while ((buf = br_ssl_engine_sendapp_buf(eng, &avail)) != NULL && avail > 0) {
		if (c->head_off < c->head.len) {
			n = c->head.len - c->head_off;
			if (n > avail)
				n = avail;
			memcpy(buf, c->head.data + c->head_off, n);
			c->head_off += n;
			br_ssl_engine_sendapp_ack(eng, n);
			moved = 1;
			continue;
		}
		if (c->body_off >= c->body_len)
			break;
		/* The transfer faults act at body offsets of this response. */
		if (c->stall_ms > 0 && c->body_off >= c->stall_at) {
			if (c->stall_until == 0) {
				c->stall_until = now + c->stall_ms;
				br_ssl_engine_flush(eng, 0);
			}
			if (now < c->stall_until)
				break;
			c->stalled_ms += c->stall_ms;
			c->stall_ms = 0;
			c->stall_until = 0;
			c->t_sent = now;
		}
		n = c->body_len - c->body_off;
		if (c->cut_at != UINT64_MAX && c->body_off + n > c->cut_at)
			n = c->cut_at - c->body_off;
		if (c->stall_ms > 0 && c->body_off < c->stall_at
			&& c->body_off + n > c->stall_at)
			n = c->stall_at - c->body_off;
		if (n > avail)
			n = avail;
		if (n == 0) {
			/* At the cut: flush what was written and drop the connection. */
			br_ssl_engine_flush(eng, 0);
			c->cutting = 1;
			c->t_close = now;
			c->end_reason = "fault: close-after";
			srv_log_request(c, "cut");
			c->resp_active = 0;
			return 1;
		}
		memcpy(buf, c->body + c->body_off, n);
		srv_faults_corrupt(c, buf, n);
		c->body_off += n;
		br_ssl_engine_sendapp_ack(eng, n);
		moved = 1;
	}
	if (c->resp_active && c->head_off == c->head.len && c->body_off >= c->body_len) {
		br_ssl_engine_flush(eng, 0);
		c->resp_active = 0;
		c->t_idle = now;
		srv_log_request(c, "sent");
		if (c->close_after) {
			c->closing = 1;
			c->t_close = now;
			br_ssl_engine_close(eng);
		}
		moved = 1;
	}
	return moved;
}
