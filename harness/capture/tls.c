/*
 * The TLS layer of a flow: records on each reassembled direction, handshake
 * messages across records, and the events and summary they give.
 *
 * The parser reads a stream, so a record may arrive in pieces of any size.
 * Application data and encrypted records are counted, never buffered: only
 * clear handshake bytes are held, up to one message of max_handshake bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/cap_int.h"

/* RFC 8446 4.1.3: a ServerHello with this random is a HelloRetryRequest. */
static const unsigned char hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c
};

/* see cap_int.h */
cap_event *
cap_flow_event(cap_flow *f, cap_time ts, cap_ev_type type, int dir)
{
	cap_event *e;

	/* Grow by doubling: n_events is a power of two when the array is full. */
	if (f->n_events == 0 || (f->n_events & (f->n_events - 1)) == 0)
		f->events = xrealloc(f->events,
			(f->n_events == 0 ? 8 : f->n_events * 2) * sizeof *f->events);
	e = &f->events[f->n_events++];
	memset(e, 0, sizeof *e);
	e->ts = ts;
	e->type = type;
	e->dir = dir;
	return e;
}

/* see cap_int.h */
void
cap_hello_free(cap_hello *h)
{
	size_t i;

	free(h->sni);
	free(h->versions);
	free(h->suites);
	free(h->sigalgs);
	free(h->groups);
	for (i = 0; i < h->n_alpn; i++)
		free(h->alpn[i]);
	free(h->alpn);
	memset(h, 0, sizeof *h);
}

static void
chain_free(cap_cert *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].subject_cn);
		free(c[i].issuer_cn);
	}
	free(c);
}

/* see cap_int.h */
void
cap_flow_free(cap_flow *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n_events; i++)
		free(f->events[i].why);
	free(f->events);
	cap_hello_free(&f->tls.client_hello);
	cap_hello_free(&f->tls.server_hello);
	chain_free(f->tls.chain, f->tls.chain_len);
	chain_free(f->tls.client_chain, f->tls.client_chain_len);
	memset(f, 0, sizeof *f);
}

/* see cap_int.h */
void
cap_tls_init(cap_tls_conn *c, cap_flow *f, size_t max_handshake)
{
	memset(c, 0, sizeof *c);
	c->f = f;
	c->max_handshake = max_handshake;
}

/* see cap_int.h */
void
cap_tls_clear(cap_tls_conn *c)
{
	buf_free(&c->t[0].hs);
	buf_free(&c->t[1].hs);
	memset(c, 0, sizeof *c);
}

/*
 * A printable copy of a name taken from the wire: bytes outside printable
 * ASCII become '?', so that text and JSON output stay one line and valid.
 */
static char *
printable(const unsigned char *p, size_t len)
{
	char *s = xmalloc(len + 1);
	size_t i;

	for (i = 0; i < len; i++)
		s[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	s[len] = 0;
	return s;
}

static void
tls_error(cap_tls_conn *c, int dir, cap_time ts, const char *why)
{
	cap_event *e = cap_flow_event(c->f, ts, CAP_EV_TLS_ERROR, dir);
	e->why = xstrdup(why);
}

/* A bounded reader over a message: every get fails once the data runs out,
 * and the failure is sticky, so a parse reads fields and checks once. */
typedef struct {
	const unsigned char *p, *end;
	int bad;
} rd;

static unsigned
rd_u(rd *r, size_t n)
{
	unsigned v = 0;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	while (n-- > 0)
		v = (v << 8) | *r->p++;
	return v;
}

static const unsigned char *
rd_bytes(rd *r, size_t n)
{
	const unsigned char *q = r->p;

	if (r->bad || (size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return q;
}

/* A sub-reader over the next len-prefixed (lenlen bytes) vector. */
static rd
rd_vec(rd *r, size_t lenlen)
{
	rd s = { NULL, NULL, 1 };
	size_t n = rd_u(r, lenlen);
	const unsigned char *q = rd_bytes(r, n);

	if (q != NULL) {
		s.p = q;
		s.end = q + n;
		s.bad = 0;
	}
	return s;
}

static uint16_t *
read_u16_list(rd *r, size_t *n)
{
	size_t len = (size_t)(r->end - r->p), i;
	uint16_t *v;

	if (r->bad || len % 2 != 0) {
		r->bad = 1;
		*n = 0;
		return NULL;
	}
	v = xmalloc(len / 2 * sizeof *v + 1);
	for (i = 0; i < len / 2; i++)
		v[i] = (uint16_t)rd_u(r, 2);
	*n = len / 2;
	return v;
}

static int
parse_hello_extensions(cap_hello *h, rd *r, int client)
{
	rd exts;

	if (r->p == r->end)
		return 0;	/* no extensions: a legal TLS 1.0-1.2 hello */
	exts = rd_vec(r, 2);
	while (!exts.bad && exts.p < exts.end) {
		unsigned type = rd_u(&exts, 2);
		rd x = rd_vec(&exts, 2);

		if (exts.bad)
			break;
		if (type == 0 && client && h->sni == NULL) {
			/* server_name: a list of (type, name); take host_name. */
			rd list = rd_vec(&x, 2);
			while (!list.bad && list.p < list.end) {
				unsigned nt = rd_u(&list, 1);
				rd name = rd_vec(&list, 2);
				if (!list.bad && nt == 0 && h->sni == NULL)
					h->sni = printable(name.p, (size_t)(name.end - name.p));
			}
			x.bad |= list.bad;
		} else if (type == 43) {
			if (client) {
				rd v = rd_vec(&x, 1);
				free(h->versions);
				h->versions = read_u16_list(&v, &h->n_versions);
				x.bad |= v.bad;
			} else {
				h->version = (uint16_t)rd_u(&x, 2);
			}
		} else if (type == 13 && client) {
			rd v = rd_vec(&x, 2);
			free(h->sigalgs);
			h->sigalgs = read_u16_list(&v, &h->n_sigalgs);
			x.bad |= v.bad;
		} else if (type == 10 && client) {
			rd v = rd_vec(&x, 2);
			free(h->groups);
			h->groups = read_u16_list(&v, &h->n_groups);
			x.bad |= v.bad;
		} else if (type == 16 && client && h->alpn == NULL) {
			rd v = rd_vec(&x, 2);
			while (!v.bad && v.p < v.end) {
				rd name = rd_vec(&v, 1);
				if (v.bad)
					break;
				h->alpn = xrealloc(h->alpn, (h->n_alpn + 1) * sizeof *h->alpn);
				h->alpn[h->n_alpn++] = printable(name.p,
					(size_t)(name.end - name.p));
			}
			x.bad |= v.bad;
		}
		if (x.bad)
			return -1;
	}
	return exts.bad ? -1 : 0;
}

static int
parse_client_hello(cap_hello *h, const unsigned char *m, size_t len)
{
	rd r = { m, m + len, 0 }, s;
	const unsigned char *rnd;

	h->legacy_version = (uint16_t)rd_u(&r, 2);
	rnd = rd_bytes(&r, 32);
	if (rnd != NULL)
		memcpy(h->random, rnd, 32);
	(void)rd_vec(&r, 1);			/* session id */
	s = rd_vec(&r, 2);
	h->suites = read_u16_list(&s, &h->n_suites);
	(void)rd_vec(&r, 1);			/* compression methods */
	if (r.bad || s.bad)
		return -1;
	return parse_hello_extensions(h, &r, 1);
}

static int
parse_server_hello(cap_hello *h, const unsigned char *m, size_t len)
{
	rd r = { m, m + len, 0 };
	const unsigned char *rnd;

	h->legacy_version = (uint16_t)rd_u(&r, 2);
	rnd = rd_bytes(&r, 32);
	if (rnd != NULL)
		memcpy(h->random, rnd, 32);
	(void)rd_vec(&r, 1);			/* session id */
	h->suites = xmalloc(sizeof *h->suites);
	h->suites[0] = (uint16_t)rd_u(&r, 2);
	h->n_suites = 1;
	(void)rd_u(&r, 1);			/* compression method */
	if (r.bad)
		return -1;
	if (parse_hello_extensions(h, &r, 0) != 0)
		return -1;
	if (h->version == 0)
		h->version = h->legacy_version;
	return 0;
}

/*
 * A Certificate message: TLS 1.2 is a list of DER certificates; TLS 1.3 adds
 * a request context and extensions per entry (RFC 8446 4.4.2).
 */
static int
parse_certificate(cap_cert **out, size_t *n, const unsigned char *m, size_t len,
	int tls13)
{
	rd r = { m, m + len, 0 }, list;
	cap_cert *v = NULL;
	size_t k = 0;

	if (tls13)
		(void)rd_vec(&r, 1);
	list = rd_vec(&r, 3);
	while (!list.bad && list.p < list.end) {
		rd der = rd_vec(&list, 3);
		if (tls13)
			(void)rd_vec(&list, 2);
		if (list.bad)
			break;
		v = xrealloc(v, (k + 1) * sizeof *v);
		cap_cert_parse(&v[k], der.p, (size_t)(der.end - der.p));
		k++;
	}
	*out = v;
	*n = k;
	return (r.bad || list.bad || r.p != r.end) ? -1 : 0;
}

static void
handshake_message(cap_tls_conn *c, int dir, cap_time ts, int type,
	const unsigned char *m, size_t len)
{
	cap_tls *t = &c->f->tls;
	cap_event *e = cap_flow_event(c->f, ts, CAP_EV_HANDSHAKE, dir);
	cap_hello h;

	e->hs_type = type;
	e->bytes = len;
	memset(&h, 0, sizeof h);
	switch (type) {
	case CAP_HS_CLIENT_HELLO:
		if (parse_client_hello(&h, m, len) != 0) {
			cap_hello_free(&h);
			tls_error(c, dir, ts, "malformed ClientHello");
		} else if (!t->client_hello.seen) {
			h.seen = 1;
			t->client_hello = h;
		} else {
			cap_hello_free(&h);
		}
		break;
	case CAP_HS_SERVER_HELLO:
		if (parse_server_hello(&h, m, len) != 0) {
			cap_hello_free(&h);
			tls_error(c, dir, ts, "malformed ServerHello");
			break;
		}
		if (memcmp(h.random, hrr_random, 32) == 0) {
			e->hrr = 1;
			cap_hello_free(&h);
			break;
		}
		if (h.version == 0x0304) {
			/* From here on both sides encrypt their handshake. */
			c->tls13 = 1;
			c->t[0].encrypted = c->t[1].encrypted = 1;
		}
		if (!t->server_hello.seen) {
			h.seen = 1;
			t->server_hello = h;
		} else {
			cap_hello_free(&h);
		}
		break;
	case CAP_HS_CERTIFICATE: {
		cap_cert *v;
		size_t n;
		int bad = parse_certificate(&v, &n, m, len, c->tls13);

		if (bad)
			tls_error(c, dir, ts, "malformed Certificate");
		if (dir == CAP_S2C && !t->seen_chain) {
			t->seen_chain = 1;
			t->chain = v;
			t->chain_len = n;
		} else if (dir == CAP_C2S && t->client_chain == NULL) {
			t->client_chain = v;
			t->client_chain_len = n;
		} else {
			chain_free(v, n);
		}
		break;
	}
	case CAP_HS_SERVER_KEY_EXCHANGE:
		t->seen_server_key_exchange = 1;
		break;
	case CAP_HS_CERTIFICATE_REQUEST:
		t->seen_certificate_request = 1;
		break;
	case CAP_HS_SERVER_HELLO_DONE:
		t->seen_server_hello_done = 1;
		break;
	default:
		break;
	}
}

/* Take every complete handshake message out of the direction's buffer. */
static void
handshake_drain(cap_tls_conn *c, int dir, cap_time ts)
{
	cap_tls_half *h = &c->t[dir];
	size_t off = 0;

	while (h->hs.len - off >= 4) {
		const unsigned char *p = h->hs.data + off;
		size_t mlen = ((size_t)p[1] << 16) | ((size_t)p[2] << 8) | p[3];

		if (mlen > c->max_handshake) {
			tls_error(c, dir, ts, "handshake message over the size limit");
			h->hs_overflow = 1;
			h->hs.len = 0;
			return;
		}
		if (h->hs.len - off - 4 < mlen)
			break;
		handshake_message(c, dir, ts, p[0], p + 4, mlen);
		off += 4 + mlen;
	}
	if (off > 0) {
		memmove(h->hs.data, h->hs.data + off, h->hs.len - off);
		h->hs.len -= off;
	}
}

static void
alert(cap_tls_conn *c, int dir, cap_time ts, int level, int desc, int encrypted,
	uint64_t len)
{
	cap_tls *t = &c->f->tls;
	cap_event *e = cap_flow_event(c->f, ts,
		encrypted ? CAP_EV_ENC_ALERT : CAP_EV_ALERT, dir);

	e->level = level;
	e->desc = desc;
	e->bytes = len;
	if (!t->alert_seen[dir]) {
		t->alert_seen[dir] = 1;
		t->alert_encrypted[dir] = encrypted;
		t->alert_level[dir] = level;
		t->alert_desc[dir] = desc;
	}
}

static void
appdata(cap_tls_conn *c, int dir, cap_time ts, uint64_t len)
{
	cap_flow *f = c->f;
	cap_event *e = f->n_events > 0 ? &f->events[f->n_events - 1] : NULL;

	/* Runs of records one way make one event. */
	if (e == NULL || e->type != CAP_EV_APPDATA || e->dir != dir) {
		e = cap_flow_event(f, ts, CAP_EV_APPDATA, dir);
	}
	e->bytes += len;
	e->records++;
	e->ts_last = ts;
	f->app_bytes[dir] += len;
}

/* Check a record header; NULL if it may be TLS, else why not. */
static const char *
header_check(const unsigned char *h)
{
	size_t len = ((size_t)h[3] << 8) | h[4];

	if (h[0] < 20 || h[0] > 24)
		return "unknown record type";
	if (h[1] != 3 || h[2] > 4)
		return "unknown record version";
	if (len > CAP_TLS_MAX_RECORD)
		return "record over 18432 bytes";
	return NULL;
}

/* The body of the current record has been read: account for it. */
static void
record_done(cap_tls_conn *c, int dir, cap_time ts)
{
	cap_tls_half *h = &c->t[dir];

	switch (h->rtype) {
	case 20:
		cap_flow_event(c->f, ts, CAP_EV_CCS, dir);
		c->f->tls.ccs[dir] = 1;
		h->encrypted = 1;
		break;
	case 21:
		/* After CCS an alert is encrypted, but for TLS 1.3 a 2-byte
		 * alert record is still clear (encrypted ones travel as type 23). */
		if (h->encrypted && !(c->tls13 && h->rlen == 2)) {
			alert(c, dir, ts, 0, -1, 1, h->rlen);
		}
		break;
	case 22:
		if (h->encrypted) {
			cap_event *e = cap_flow_event(c->f, ts, CAP_EV_ENC_HANDSHAKE, dir);
			e->bytes = h->rlen;
			c->f->tls.finished[dir] = 1;
		} else if (!h->hs_overflow) {
			handshake_drain(c, dir, ts);
		}
		break;
	case 23:
		appdata(c, dir, ts, h->rlen);
		break;
	default:
		break;
	}
}

/* Body bytes of the current record. */
static void
record_body(cap_tls_conn *c, int dir, const unsigned char *p, size_t n, cap_time ts)
{
	cap_tls_half *h = &c->t[dir];
	size_t i;

	if (h->rtype == 22 && !h->encrypted && !h->hs_overflow) {
		buf_append(&h->hs, p, n);
		if (h->hs.len >= 4) {
			size_t mlen = ((size_t)h->hs.data[1] << 16)
				| ((size_t)h->hs.data[2] << 8) | h->hs.data[3];
			if (mlen > c->max_handshake) {
				tls_error(c, dir, ts, "handshake message over the size limit");
				h->hs_overflow = 1;
				buf_free(&h->hs);
			}
		}
	} else if (h->rtype == 21 && !(h->encrypted && !(c->tls13 && h->rlen == 2))) {
		/* Clear alerts: two bytes each, possibly split across records. */
		for (i = 0; i < n; i++) {
			h->alert[h->alert_have++] = p[i];
			if (h->alert_have == 2) {
				alert(c, dir, ts, h->alert[0], h->alert[1], 0, 2);
				h->alert_have = 0;
			}
		}
	}
}

/* see cap_int.h */
void
cap_tls_feed(cap_tls_conn *c, int dir, const unsigned char *data, size_t len,
	cap_time ts)
{
	cap_tls_half *h = &c->t[dir];

	while (len > 0 && !h->dead) {
		if (h->body_left == 0 && h->hdr_have < 5) {
			size_t n = 5 - h->hdr_have;
			const char *why;

			if (n > len)
				n = len;
			memcpy(h->hdr + h->hdr_have, data, n);
			h->hdr_have += n;
			data += n;
			len -= n;
			if (h->hdr_have < 5)
				break;
			why = header_check(h->hdr);
			if (why != NULL) {
				cap_event *e;

				h->dead = 1;
				if (!h->started) {
					e = cap_flow_event(c->f, ts, CAP_EV_NOT_TLS, dir);
					e->why = xstrdup(why);
				} else {
					tls_error(c, dir, ts, why);
				}
				break;
			}
			h->started = 1;
			c->f->tls.is_tls = 1;
			h->rtype = h->hdr[0];
			h->rlen = ((size_t)h->hdr[3] << 8) | h->hdr[4];
			h->body_left = h->rlen;
			if (h->rlen == 0) {
				h->hdr_have = 0;
				record_done(c, dir, ts);
			}
			continue;
		}
		{
			size_t n = h->body_left < len ? h->body_left : len;

			record_body(c, dir, data, n, ts);
			data += n;
			len -= n;
			h->body_left -= n;
			if (h->body_left == 0) {
				h->hdr_have = 0;
				record_done(c, dir, ts);
			}
		}
	}
}

/* see cap_int.h */
void
cap_tls_gap(cap_tls_conn *c, int dir, uint64_t bytes, cap_time ts)
{
	cap_tls_half *h = &c->t[dir];
	cap_event *e = cap_flow_event(c->f, ts, CAP_EV_GAP, dir);

	e->bytes = bytes;
	c->f->missing[dir] += bytes;
	/* Inside an application data record the gap only shortens it; record
	 * boundaries stay known while the gap ends inside the same record. */
	if (!h->dead && h->body_left > 0 && h->rtype == 23 && bytes < h->body_left) {
		h->body_left -= (size_t)bytes;
		return;
	}
	h->dead = 1;
}

/* ---- certificates ---------------------------------------------------- */

/* One DER TLV at *p within end; 0 with tag and content, or -1. */
static int
der_tlv(const unsigned char **p, const unsigned char *end, unsigned *tag,
	const unsigned char **val, size_t *len)
{
	const unsigned char *q = *p;
	size_t n;

	if (end - q < 2)
		return -1;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return -1;		/* high tag numbers do not occur here */
	n = *q++;
	if (n & 0x80) {
		size_t k = n & 0x7f;
		if (k == 0 || k > 4 || (size_t)(end - q) < k)
			return -1;
		n = 0;
		while (k-- > 0)
			n = (n << 8) | *q++;
	}
	if ((size_t)(end - q) < n)
		return -1;
	*val = q;
	*len = n;
	*p = q + n;
	return 0;
}

/* The first commonName (2.5.4.3) of a Name, as a printable string. */
static char *
name_cn(const unsigned char *p, size_t len)
{
	static const unsigned char cn_oid[] = { 0x55, 0x04, 0x03 };
	const unsigned char *end = p + len, *set, *atv, *v;
	size_t setlen, atvlen, vlen;
	unsigned tag;

	while (p < end) {
		if (der_tlv(&p, end, &tag, &set, &setlen) != 0 || tag != 0x31)
			return NULL;
		const unsigned char *sp = set, *send = set + setlen;
		while (sp < send) {
			const unsigned char *ap, *aend;
			if (der_tlv(&sp, send, &tag, &atv, &atvlen) != 0 || tag != 0x30)
				return NULL;
			ap = atv;
			aend = atv + atvlen;
			if (der_tlv(&ap, aend, &tag, &v, &vlen) != 0 || tag != 0x06)
				return NULL;
			if (vlen != sizeof cn_oid || memcmp(v, cn_oid, vlen) != 0)
				continue;
			if (der_tlv(&ap, aend, &tag, &v, &vlen) != 0)
				return NULL;
			/* UTF8String, PrintableString, T61String, IA5String. */
			if (tag == 0x0c || tag == 0x13 || tag == 0x14 || tag == 0x16)
				return printable(v, vlen);
			return NULL;
		}
	}
	return NULL;
}

/* see cap_int.h */
void
cap_cert_parse(cap_cert *c, const unsigned char *der, size_t len)
{
	const unsigned char *p = der, *end = der + len, *v, *issuer = NULL;
	size_t vlen, issuer_len = 0;
	unsigned tag;
	int i;

	memset(c, 0, sizeof *c);
	util_sha256(c->sha256, der, len);
	c->der_len = len;
	/* Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version
	 * OPTIONAL, serial, signature, issuer, validity, subject, ... } ... } */
	if (der_tlv(&p, end, &tag, &v, &vlen) != 0 || tag != 0x30)
		return;
	p = v;
	end = v + vlen;
	if (der_tlv(&p, end, &tag, &v, &vlen) != 0 || tag != 0x30)
		return;
	p = v;
	end = v + vlen;
	if (der_tlv(&p, end, &tag, &v, &vlen) != 0)
		return;
	if (tag == 0xa0 && der_tlv(&p, end, &tag, &v, &vlen) != 0)
		return;
	/* Now at the serial; then signature, issuer, validity, subject. */
	for (i = 0; i < 4; i++) {
		if (der_tlv(&p, end, &tag, &v, &vlen) != 0 || tag != 0x30)
			return;
		if (i == 1) {
			issuer = v;
			issuer_len = vlen;
		}
	}
	c->issuer_cn = name_cn(issuer, issuer_len);
	c->subject_cn = name_cn(v, vlen);
}
