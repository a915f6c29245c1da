/* SNTP codec, responder and client; libc only (see sntp.h). */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include "time/sntp.h"

/* Seconds from 1900-01-01 (NTP era 0) to 1970-01-01. */
#define NTP_UNIX_OFFSET 2208988800LL
#define NS_PER_SEC 1000000000ULL
/* Datagrams answered per sntp_server_handle() call at most. */
#define HANDLE_BATCH 64
/* What the responder says of itself: a stratum 1 server with about a
 * microsecond of precision and a millisecond of dispersion. */
#define REPLY_PRECISION (-20)
#define REPLY_DISPERSION 0x00000042u

/*
 * Format a message into err, like util_err() in common/util.h; repeated here
 * so that this file needs nothing but libc. Always returns -1.
 */
static int
sntp_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
sntp_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const struct {
	const char *name;
	const char *text;
} status_table[SNTP_STATUS_COUNT] = {
	[SNTP_OK] = { "ok", "accepted" },
	[SNTP_ERR_SHORT] = { "short", "shorter than the 48 bytes of an SNTP packet" },
	[SNTP_ERR_VERSION] = { "version", "NTP version outside 1..4" },
	[SNTP_ERR_MODE] = { "mode", "wrong mode (not a client request, or not a server reply)" },
	[SNTP_ERR_NO_XMIT] = { "no-transmit", "transmit timestamp is zero" },
	[SNTP_ERR_KISS] = { "kiss", "kiss-o'-death (stratum 0) from the server" },
	[SNTP_ERR_STRATUM] = { "stratum", "stratum above 15 (server unsynchronised)" },
	[SNTP_ERR_UNSYNC] = { "unsynchronised", "leap indicator 3 (server clock not synchronised)" },
	[SNTP_ERR_ORIGIN] = { "origin", "originate timestamp does not match the request" },
	[SNTP_ERR_RANGE] = { "range", "time outside 1968-01-20..2104-02-26, the NTP era range" },
};

/* see sntp.h */
const char *
sntp_status_name(int status)
{
	if (status < 0 || status >= SNTP_STATUS_COUNT)
		return "unknown";
	return status_table[status].name;
}

/* see sntp.h */
const char *
sntp_status_text(int status)
{
	if (status < 0 || status >= SNTP_STATUS_COUNT)
		return "unknown";
	return status_table[status].text;
}

/*
 * The fraction is rounded up when encoding and down when decoding: a fraction
 * unit (2^-32 s) is smaller than a nanosecond, so every nanosecond value comes
 * back exactly and a decoded value never reaches 10^9.
 */
/* see sntp.h */
int
sntp_ts_from_unix(simclock_time t, uint64_t *ts)
{
	int64_t ntp;
	uint64_t frac, v;

	if (t.nsec >= NS_PER_SEC || t.sec < SNTP_UNIX_MIN || t.sec > SNTP_UNIX_MAX)
		return SNTP_ERR_RANGE;
	ntp = t.sec + NTP_UNIX_OFFSET;
	frac = (((uint64_t)t.nsec << 32) + NS_PER_SEC - 1) / NS_PER_SEC;
	v = ((uint64_t)ntp & 0xffffffffu) << 32 | frac;
	/* Zero means "no timestamp" on the wire; see the header. */
	*ts = v == 0 ? 1 : v;
	return SNTP_OK;
}

/* see sntp.h */
simclock_time
sntp_ts_to_unix(uint64_t ts)
{
	simclock_time t;
	int64_t secs = (int64_t)(ts >> 32);

	/* RFC 4330 section 3: the most significant bit clear means era 1. */
	if (!(secs & 0x80000000))
		secs += 1LL << 32;
	t.sec = secs - NTP_UNIX_OFFSET;
	t.nsec = (uint32_t)(((ts & 0xffffffffu) * NS_PER_SEC) >> 32);
	return t;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void
put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t
get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/* see sntp.h */
void
sntp_encode(unsigned char out[SNTP_PACKET_LEN], const sntp_packet *p)
{
	out[0] = (unsigned char)((p->leap & 3) << 6 | (p->version & 7) << 3 | (p->mode & 7));
	out[1] = (unsigned char)p->stratum;
	out[2] = (unsigned char)(signed char)p->poll;
	out[3] = (unsigned char)(signed char)p->precision;
	put32(out + 4, p->root_delay);
	put32(out + 8, p->root_dispersion);
	memcpy(out + 12, p->ref_id, 4);
	put64(out + 16, p->ref_ts);
	put64(out + 24, p->orig_ts);
	put64(out + 32, p->recv_ts);
	put64(out + 40, p->xmit_ts);
}

/* see sntp.h */
int
sntp_decode(sntp_packet *p, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	memset(p, 0, sizeof *p);
	if (len < SNTP_PACKET_LEN)
		return SNTP_ERR_SHORT;
	p->leap = b[0] >> 6;
	p->version = (b[0] >> 3) & 7;
	p->mode = b[0] & 7;
	p->stratum = b[1];
	p->poll = (signed char)b[2];
	p->precision = (signed char)b[3];
	p->root_delay = get32(b + 4);
	p->root_dispersion = get32(b + 8);
	memcpy(p->ref_id, b + 12, 4);
	p->ref_ts = get64(b + 16);
	p->orig_ts = get64(b + 24);
	p->recv_ts = get64(b + 32);
	p->xmit_ts = get64(b + 40);
	return SNTP_OK;
}

/* see sntp.h */
void
sntp_build_request(unsigned char out[SNTP_PACKET_LEN], uint64_t xmit)
{
	sntp_packet p;

	memset(&p, 0, sizeof p);
	p.version = 4;
	p.mode = SNTP_MODE_CLIENT;
	p.xmit_ts = xmit;
	sntp_encode(out, &p);
}

/* see sntp.h */
int
sntp_parse_request(sntp_packet *req, const void *buf, size_t len)
{
	int st = sntp_decode(req, buf, len);

	if (st != SNTP_OK)
		return st;
	if (req->version < 1 || req->version > 4)
		return SNTP_ERR_VERSION;
	/* Only client requests: answering control (6) or private (7) modes, or
	 * symmetric peers, is how NTP servers become traffic amplifiers. */
	if (req->mode != SNTP_MODE_CLIENT)
		return SNTP_ERR_MODE;
	if (req->xmit_ts == 0)
		return SNTP_ERR_NO_XMIT;
	return SNTP_OK;
}

/* see sntp.h */
void
sntp_build_reply(unsigned char out[SNTP_PACKET_LEN], const sntp_packet *req,
	uint64_t recv, uint64_t xmit)
{
	sntp_packet p;
	uint32_t ref_secs = (uint32_t)(recv >> 32) - 1;

	memset(&p, 0, sizeof p);
	p.leap = 0;
	p.version = req->version;
	p.mode = SNTP_MODE_SERVER;
	p.stratum = 1;
	p.poll = req->poll;
	p.precision = REPLY_PRECISION;
	p.root_delay = 0;
	p.root_dispersion = REPLY_DISPERSION;
	memcpy(p.ref_id, "ROTS", 4);
	/* "Last set a second ago": never later than the receive time, and the
	 * unsigned subtraction crosses the era boundary as the era rule wants. */
	p.ref_ts = (uint64_t)ref_secs << 32;
	if (p.ref_ts == 0)
		p.ref_ts = 1;
	p.orig_ts = req->xmit_ts;
	p.recv_ts = recv;
	p.xmit_ts = xmit;
	sntp_encode(out, &p);
}

/* see sntp.h */
void
sntp_build_kiss(unsigned char out[SNTP_PACKET_LEN], const sntp_packet *req,
	const char code[4])
{
	sntp_packet p;

	memset(&p, 0, sizeof p);
	p.leap = 3;
	p.version = req->version;
	p.mode = SNTP_MODE_SERVER;
	p.stratum = 0;
	p.poll = req->poll;
	p.precision = REPLY_PRECISION;
	memcpy(p.ref_id, code, 4);
	p.orig_ts = req->xmit_ts;
	sntp_encode(out, &p);
}

/* see sntp.h */
int
sntp_parse_reply(sntp_packet *rep, const void *buf, size_t len, uint64_t sent_xmit)
{
	int st = sntp_decode(rep, buf, len);

	if (st != SNTP_OK)
		return st;
	if (rep->version < 1 || rep->version > 4)
		return SNTP_ERR_VERSION;
	if (rep->mode != SNTP_MODE_SERVER)
		return SNTP_ERR_MODE;
	/* The originate check comes before the others: a reply to someone
	 * else's request (or a forged one) says nothing about our server. */
	if (rep->orig_ts != sent_xmit)
		return SNTP_ERR_ORIGIN;
	if (rep->stratum == 0)
		return SNTP_ERR_KISS;
	if (rep->stratum > 15)
		return SNTP_ERR_STRATUM;
	if (rep->leap == 3)
		return SNTP_ERR_UNSYNC;
	if (rep->xmit_ts == 0)
		return SNTP_ERR_NO_XMIT;
	return SNTP_OK;
}

/* ---- Addresses ---- */

/*
 * Split "HOST:PORT", "[V6]:PORT", "HOST" or "PORT" into host and port.
 * A string of digits alone is a port when port_alone is set (the server's
 * "12345"), else a host. A host with several colons and no brackets is a bare
 * IPv6 address. Missing parts keep the defaults already in host and port.
 */
static int
split_host_port(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
	int port_alone, char *err, size_t errlen)
{
	const char *colon, *h = s, *p = NULL;
	size_t hl;
	unsigned long v = 0;
	const char *q;

	if (s == NULL || *s == '\0')
		return 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return sntp_err(err, errlen, "\"%s\": bad address (want [V6]:PORT)", s);
		h = s + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			p = close + 2;
	} else if ((colon = strchr(s, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - s);
		p = colon + 1;
	} else if (port_alone && strspn(s, "0123456789") == strlen(s)) {
		hl = 0;
		p = s;
	} else {
		hl = strlen(s);
	}
	if (hl > 0) {
		if (hl >= hostlen)
			return sntp_err(err, errlen, "\"%s\": host name too long", s);
		memcpy(host, h, hl);
		host[hl] = '\0';
	}
	if (p != NULL) {
		if (*p == '\0' || strspn(p, "0123456789") != strlen(p) || strlen(p) > 5)
			return sntp_err(err, errlen, "\"%s\": bad port \"%s\"", s, p);
		for (q = p; *q; q++)
			v = v * 10 + (unsigned long)(*q - '0');
		if (v > 65535)
			return sntp_err(err, errlen, "\"%s\": port %lu out of range", s, v);
		snprintf(port, portlen, "%lu", v);
	}
	return 0;
}

/* "127.0.0.1:123" or "[::1]:123" for a socket address. */
static void
format_peer(char *out, size_t outlen, const struct sockaddr *sa, socklen_t salen)
{
	char host[48], serv[8];	/* numeric: an IPv6 address is at most 45 */

	if (getnameinfo(sa, salen, host, sizeof host, serv, sizeof serv,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	if (sa->sa_family == AF_INET6)
		snprintf(out, outlen, "[%s]:%s", host, serv);
	else
		snprintf(out, outlen, "%s:%s", host, serv);
}

/* ---- The responder ---- */

/* see sntp.h */
int
sntp_server_open(sntp_server *s, const char *addr_port, const simclock *clk,
	char *err, size_t errlen)
{
	char host[256] = "127.0.0.1", port[8] = "0";
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	int fd = -1, rc, ret = -1;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->clk = clk;
	if (split_host_port(addr_port, host, sizeof host, port, sizeof port, 1,
			err, errlen) < 0)
		goto out;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		sntp_err(err, errlen, "sntp: %s: %s (want a numeric address)", host,
			gai_strerror(rc));
		goto out;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sntp_err(err, errlen, "sntp: socket: %s", strerror(errno));
		goto out;
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		sntp_err(err, errlen, "sntp: bind %s:%s: %s%s", host, port, strerror(errno),
			errno == EACCES ? " (ports below 1024 need root)" : "");
		goto out;
	}
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		sntp_err(err, errlen, "sntp: getsockname: %s", strerror(errno));
		goto out;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		: ((struct sockaddr_in *)&ss)->sin_port);
	s->fd = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return ret;
}

/* see sntp.h */
void
sntp_server_set_kiss(sntp_server *s, const char *code)
{
	memset(s->kiss, 0, sizeof s->kiss);
	if (code != NULL)
		strncpy(s->kiss, code, 4);
}

/* see sntp.h */
uint16_t
sntp_server_port(const sntp_server *s)
{
	return s->port;
}

/* see sntp.h */
int
sntp_server_fd(const sntp_server *s)
{
	return s->fd;
}

/*
 * Answer one datagram. The receive timestamp is read right after the datagram
 * was taken from the socket, the transmit timestamp right before the reply is
 * sent, both from the simulated clock.
 */
static void
answer(sntp_server *s, const unsigned char *buf, size_t len,
	const struct sockaddr *peer, socklen_t peerlen, sntp_event *ev)
{
	sntp_packet req;
	unsigned char out[SNTP_PACKET_LEN];
	uint64_t recv_ts, xmit_ts;
	simclock_time now = simclock_now(s->clk);

	ev->status = sntp_parse_request(&req, buf, len);
	ev->version = req.version;
	ev->client_xmit = req.xmit_ts;
	ev->client_time = sntp_ts_to_unix(req.xmit_ts);
	if (ev->status != SNTP_OK)
		return;
	if (s->kiss[0] != 0) {
		sntp_build_kiss(out, &req, s->kiss);
		memcpy(ev->kiss, s->kiss, sizeof ev->kiss);
		ev->status = SNTP_ERR_KISS;
		(void)sendto(s->fd, out, sizeof out, MSG_DONTWAIT, peer, peerlen);
		return;
	}
	ev->status = sntp_ts_from_unix(now, &recv_ts);
	if (ev->status != SNTP_OK)
		return;
	ev->sim_time = simclock_now(s->clk);
	ev->status = sntp_ts_from_unix(ev->sim_time, &xmit_ts);
	if (ev->status != SNTP_OK)
		return;
	sntp_build_reply(out, &req, recv_ts, xmit_ts);
	/* A reply the kernel cannot send now (full buffer, unreachable peer)
	 * is lost as UDP is; the client asks again. */
	(void)sendto(s->fd, out, sizeof out, MSG_DONTWAIT, peer, peerlen);
}

/* see sntp.h */
int
sntp_server_handle(sntp_server *s, sntp_event_fn fn, void *ctx, char *err, size_t errlen)
{
	unsigned char buf[512];
	struct sockaddr_storage peer;
	socklen_t peerlen;
	ssize_t n;
	int count = 0;
	sntp_event ev;

	if (s->fd < 0)
		return sntp_err(err, errlen, "sntp: responder is not open");
	while (count < HANDLE_BATCH) {
		peerlen = sizeof peer;
		/* MSG_TRUNC: n is the datagram's real length even when it is
		 * longer than buf, so the event reports what was sent. */
		n = recvfrom(s->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC,
			(struct sockaddr *)&peer, &peerlen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			/* An ICMP error for an earlier reply, if the kernel
			 * reports one, concerns that peer only. */
			if (errno == ECONNREFUSED || errno == EHOSTUNREACH
					|| errno == ENETUNREACH)
				continue;
			return sntp_err(err, errlen, "sntp: recvfrom: %s", strerror(errno));
		}
		count++;
		memset(&ev, 0, sizeof ev);
		format_peer(ev.peer, sizeof ev.peer, (struct sockaddr *)&peer, peerlen);
		ev.len = (size_t)n;
		answer(s, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf,
			(struct sockaddr *)&peer, peerlen, &ev);
		if (ev.status == SNTP_OK)
			s->answered++;
		else
			s->ignored++;
		if (fn != NULL)
			fn(ctx, &ev);
	}
	return count;
}

/* see sntp.h */
void
sntp_server_close(sntp_server *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* ---- The client ---- */

/*
 * The transmit timestamp of a request: the local clock, as RFC 4330 asks, so
 * the server's log shows the device's own idea of the time. Its low fraction
 * bits carry the monotonic nanoseconds, so two requests in the same
 * microsecond still differ; a local clock outside the NTP range sends the
 * monotonic reading alone.
 */
static uint64_t
request_stamp(void)
{
	struct timespec ts;
	simclock_time t;
	uint64_t v = 0;
	uint64_t mono = (uint64_t)simclock_mono_ns();

	if (clock_gettime(CLOCK_REALTIME, &ts) == 0) {
		t.sec = ts.tv_sec;
		t.nsec = (uint32_t)ts.tv_nsec;
		if (sntp_ts_from_unix(t, &v) != SNTP_OK)
			v = 0;
	}
	v ^= mono & 0xff;
	if (v == 0)
		v = mono | 1;
	return v;
}

/* Signed nanoseconds from NTP timestamp a to b, for intervals of seconds. */
static int64_t
ts_diff_ns(uint64_t a, uint64_t b)
{
	int64_t d = (int64_t)(b - a);	/* 32.32 fixed point, wraps as eras do */
	int64_t secs = d >> 32;		/* arithmetic shift: floor */
	uint64_t frac = (uint64_t)d & 0xffffffffu;

	return secs * (int64_t)NS_PER_SEC + (int64_t)((frac * NS_PER_SEC) >> 32);
}

/* see sntp.h */
int
sntp_query(const char *host_port, int timeout_ms, int64_t *unix_time,
	char *err, size_t errlen)
{
	char host[256] = "127.0.0.1", port[8] = "123";
	struct addrinfo hints, *ai = NULL;
	unsigned char req[SNTP_PACKET_LEN], buf[512];
	sntp_packet rep;
	uint64_t xmit;
	int64_t t1, t4, deadline, rtt;
	int fd = -1, rc, ret = -1, last = SNTP_OK;
	ssize_t n;

	if (host_port == NULL || *host_port == '\0')
		return sntp_err(err, errlen, "sntp: no server address");
	if (split_host_port(host_port, host, sizeof host, port, sizeof port, 0,
			err, errlen) < 0)
		goto out;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc != 0) {
		sntp_err(err, errlen, "sntp: %s: %s", host, gai_strerror(rc));
		goto out;
	}
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		sntp_err(err, errlen, "sntp: socket: %s", strerror(errno));
		goto out;
	}
	/* Connected, so the kernel drops datagrams from other peers and
	 * reports an ICMP port unreachable as ECONNREFUSED. */
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		sntp_err(err, errlen, "sntp: %s: connect: %s", host_port, strerror(errno));
		goto out;
	}
	xmit = request_stamp();
	sntp_build_request(req, xmit);
	t1 = simclock_mono_ns();
	deadline = t1 + (int64_t)(timeout_ms > 0 ? timeout_ms : 0) * 1000000;
	if (send(fd, req, sizeof req, 0) < 0) {
		sntp_err(err, errlen, "sntp: %s: send: %s", host_port, strerror(errno));
		goto out;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - simclock_mono_ns();

		if (left <= 0) {
			if (last != SNTP_OK)
				sntp_err(err, errlen, "sntp: %s: no valid reply within %d ms "
					"(last one ignored: %s)", host_port, timeout_ms,
					sntp_status_text(last));
			else
				sntp_err(err, errlen, "sntp: %s: no reply within %d ms",
					host_port, timeout_ms);
			goto out;
		}
		rc = poll(&pfd, 1, (int)((left + 999999) / 1000000));
		if (rc < 0 && errno != EINTR) {
			sntp_err(err, errlen, "sntp: poll: %s", strerror(errno));
			goto out;
		}
		if (rc <= 0)
			continue;
		n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			sntp_err(err, errlen, "sntp: %s: %s%s", host_port, strerror(errno),
				errno == ECONNREFUSED ? " (nothing listens there)" : "");
			goto out;
		}
		t4 = simclock_mono_ns();
		last = sntp_parse_reply(&rep, buf, (size_t)n, xmit);
		if (last == SNTP_ERR_KISS) {
			sntp_err(err, errlen, "sntp: %s: kiss-o'-death \"%.4s\"", host_port,
				(const char *)rep.ref_id);
			goto out;
		}
		if (last == SNTP_OK)
			break;
	}
	/* Round trip less the server's own processing time, as RFC 4330 does
	 * for the delay; the reply spent about half of it on the way back. */
	rtt = (t4 - t1) - ts_diff_ns(rep.recv_ts, rep.xmit_ts);
	if (rtt < 0)
		rtt = 0;
	{
		simclock_time t = sntp_ts_to_unix(rep.xmit_ts);
		*unix_time = t.sec + ((int64_t)t.nsec + rtt / 2) / (int64_t)NS_PER_SEC;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ai != NULL)
		freeaddrinfo(ai);
	return ret;
}
