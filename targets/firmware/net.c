/*
 * TCP and HTTP for the device, TLS through tls.h (net.h).
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "time/simtime.h"

static int
fail(net_conn *c, int kind, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
fail(net_conn *c, int kind, const char *fmt, ...)
{
	va_list ap;

	c->err_kind = kind;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof c->msg, fmt, ap);
	va_end(ap);
	return -1;
}

/* see net.h */
void
net_init(net_conn *c)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->timeout_ms = 10000;
	c->ts = tls_new();
}

/* see net.h */
void
net_free(net_conn *c)
{
	if (c == NULL)
		return;
	net_close(c);
	tls_free(c->ts);
	c->ts = NULL;
}

/* see net.h */
void
net_close(net_conn *c)
{
	if (c->tls_up)
		tls_close(c->ts);
	c->tls_up = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->rpos = c->rlen = 0;
}

/* Connect with a deadline: non-blocking connect, poll, then blocking I/O
 * with send and receive timeouts. */
static int
tcp_connect(net_conn *c)
{
	struct pollfd p;
	struct timeval tv;
	int fd, e = 0, r;
	socklen_t el = sizeof e;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fail(c, NET_ERR_CONNECT, "socket: %s", strerror(errno));
	r = connect(fd, (struct sockaddr *)&c->addr, sizeof c->addr);
	if (r != 0 && errno != EINPROGRESS) {
		e = errno;
		goto bad;
	}
	if (r != 0) {
		p.fd = fd;
		p.events = POLLOUT;
		do
			r = poll(&p, 1, c->timeout_ms);
		while (r < 0 && errno == EINTR);
		if (r == 0) {
			e = ETIMEDOUT;
			goto bad;
		}
		if (r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0) {
			e = errno;
			goto bad;
		}
		if (e != 0)
			goto bad;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	tv.tv_sec = c->timeout_ms / 1000;
	tv.tv_usec = (c->timeout_ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (c->nodelay) {
		int one = 1;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	c->fd = fd;
	return 0;
bad:
	close(fd);
	c->sys_errno = e;
	return fail(c, NET_ERR_CONNECT, "%s", strerror(e));
}

/* see net.h */
int
net_connect(net_conn *c)
{
	net_close(c);
	c->err_kind = NET_OK;
	memset(&c->tls_err, 0, sizeof c->tls_err);
	c->sys_errno = 0;
	c->msg[0] = 0;
	if (tcp_connect(c) != 0)
		return -1;
	if (tls_handshake(c->ts, c->fd, &c->tls, &c->tls_err) != 0) {
		tls_close(c->ts);
		close(c->fd);
		c->fd = -1;
		return fail(c, NET_ERR_TLS, "handshake failed");
	}
	c->tls_up = 1;
	return 0;
}

/* Case-insensitive prefix match of a header name, returning the value. */
static const char *
header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);

	if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* see net.h */
int
net_parse_head(net_resp *r, const char *head, size_t len)
{
	const char *p = head, *end = head + len;
	int first = 1;

	memset(r, 0, sizeof *r);
	r->retry_after = -1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *v;
		size_t l;
		char line[512];

		if (nl == NULL)
			return -1;
		l = (size_t)(nl - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l >= sizeof line)
			l = sizeof line - 1;
		memcpy(line, p, l);
		line[l] = 0;
		p = nl + 1;
		if (first) {
			int minor, st;
			char sp;

			if (sscanf(line, "HTTP/1.%1d %3d%c", &minor, &st, &sp) < 2
				|| st < 100 || st > 599)
				return -1;
			r->status = st;
			first = 0;
			continue;
		}
		if (l == 0)
			break;
		if ((v = header_value(line, l, "Content-Length")) != NULL) {
			char *e;
			unsigned long long n = strtoull(v, &e, 10);

			if (e == v || *e != 0)
				return -1;
			r->content_length = n;
			r->has_length = 1;
		} else if ((v = header_value(line, l, "Content-Range")) != NULL) {
			unsigned long long a, b, t;

			if (sscanf(v, "bytes %llu-%llu/%llu", &a, &b, &t) == 3 && a <= b && b < t) {
				r->range_first = a;
				r->range_last = b;
				r->range_total = t;
				r->has_range = 1;
			}
		} else if ((v = header_value(line, l, "Retry-After")) != NULL) {
			char *e;
			long n = strtol(v, &e, 10);

			if (e != v && *e == 0 && n >= 0)
				r->retry_after = n;
		} else if ((v = header_value(line, l, "Connection")) != NULL) {
			if (strcasecmp(v, "close") == 0)
				r->close = 1;
		}
	}
	return first ? -1 : 0;
}

/* Read the response head into rbuf, leaving any body bytes after it. */
static int
read_head(net_conn *c, net_resp *r)
{
	c->rpos = c->rlen = 0;
	for (;;) {
		unsigned char *e = NULL;
		size_t i;
		long n;

		for (i = 0; i + 3 < c->rlen; i++)
			if (memcmp(c->rbuf + i, "\r\n\r\n", 4) == 0) {
				e = c->rbuf + i + 4;
				break;
			}
		if (e != NULL) {
			size_t hl = (size_t)(e - c->rbuf);

			if (net_parse_head(r, (const char *)c->rbuf, hl) != 0)
				return fail(c, NET_ERR_HTTP, "malformed response head");
			c->rpos = hl;
			return 0;
		}
		if (c->rlen == sizeof c->rbuf)
			return fail(c, NET_ERR_HTTP, "response head over %zu bytes", sizeof c->rbuf);
		n = tls_read(c->ts, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen, &c->tls_err);
		if (n < 0) {
			net_close(c);
			return fail(c, NET_ERR_IO, "connection lost before the response");
		}
		c->rlen += (size_t)n;
	}
}

/* see net.h */
int
net_request(net_conn *c, const char *method, const char *path, long long range_from,
	const char *ctype, const void *body, size_t blen, net_resp *r)
{
	char head[1024];
	int n;

	if (!c->tls_up)
		return fail(c, NET_ERR_IO, "not connected");
	n = snprintf(head, sizeof head, "%s %s HTTP/1.1\r\nHost: %s\r\n"
		"User-Agent: rotsim-agent/1\r\n", method, path, c->tls.server_name);
	if (range_from >= 0 && n > 0 && (size_t)n < sizeof head)
		n += snprintf(head + n, sizeof head - (size_t)n, "Range: bytes=%lld-\r\n",
			range_from);
	if (body != NULL && n > 0 && (size_t)n < sizeof head)
		n += snprintf(head + n, sizeof head - (size_t)n,
			"Content-Type: %s\r\nContent-Length: %zu\r\n", ctype, blen);
	if (n > 0 && (size_t)n < sizeof head)
		n += snprintf(head + n, sizeof head - (size_t)n, "\r\n");
	if (n < 0 || (size_t)n >= sizeof head)
		return fail(c, NET_ERR_HTTP, "request head too long");
	if (tls_write(c->ts, head, (size_t)n, &c->tls_err) != 0
		|| (body != NULL && blen > 0 && tls_write(c->ts, body, blen, &c->tls_err) != 0)
		|| tls_flush(c->ts, &c->tls_err) != 0)
	{
		net_close(c);
		return fail(c, NET_ERR_IO, "connection lost while sending");
	}
	return read_head(c, r);
}

/* see net.h */
long
net_read_body(net_conn *c, void *buf, size_t len)
{
	long n;

	if (c->rpos < c->rlen) {
		size_t k = c->rlen - c->rpos;

		if (k > len)
			k = len;
		memcpy(buf, c->rbuf + c->rpos, k);
		c->rpos += k;
		return (long)k;
	}
	if (!c->tls_up)
		return fail(c, NET_ERR_IO, "not connected");
	if (len > 65536)
		len = 65536;
	n = tls_read(c->ts, buf, len, &c->tls_err);
	if (n <= 0) {
		net_close(c);
		return fail(c, NET_ERR_IO, "connection lost in the body");
	}
	return n;
}

/* see net.h */
int
net_skip_body(net_conn *c, uint64_t n)
{
	unsigned char b[4096];

	while (n > 0) {
		long r = net_read_body(c, b, n < sizeof b ? (size_t)n : sizeof b);

		if (r < 0)
			return -1;
		n -= (uint64_t)r;
	}
	return 0;
}
