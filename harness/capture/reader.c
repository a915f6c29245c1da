/*
 * Reading a pcap file: link layers, IPv4 and IPv6, TCP connections and
 * their reassembly by sequence number, handed in order to the TLS layer.
 *
 * Reassembly keeps, per direction, the next expected sequence number and a
 * sorted list of segments that arrived ahead of it. Sequence numbers are
 * compared as signed 32-bit differences, so a stream may wrap. Bytes seen
 * again (retransmissions, overlaps) are counted and dropped: the first copy
 * wins. When more than max_ooo_bytes wait ahead of a hole, or at the end of
 * the capture, the hole is declared missing and the data after it delivered.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "capture/cap_int.h"

#define DEFAULT_MAX_FLOWS 4096
#define DEFAULT_MAX_OOO (1u << 20)
#define DEFAULT_MAX_HANDSHAKE (256u << 10)
#define NBUCKETS 4096

/* TCP flags. */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_ACK 0x10

typedef struct seg {
	struct seg *next;
	uint32_t seq;		/* of the first byte */
	size_t len;		/* payload bytes on the wire */
	size_t have;		/* of which captured (the rest was cut by snaplen) */
	cap_time ts;
	unsigned char data[];
} seg;

typedef struct {
	int have_isn;
	uint32_t next;		/* next expected sequence number */
	seg *ooo;		/* ahead of next, sorted by sequence */
	size_t ooo_bytes;
	int fin_pending, fin_done;
	uint32_t fin_seq;
	cap_time fin_ts;
} half;

typedef struct conn {
	struct conn *hnext;
	int retired;		/* a newer connection took its addresses */
	half h[2];
	cap_tls_conn tls;
	cap_flow flow;
} conn;

typedef struct {
	cap_limits lim;
	cap_report *r;
	conn **conns;
	size_t n_conns, cap_conns;
	conn *bucket[NBUCKETS];
} reader;

/* A parsed TCP segment. */
typedef struct {
	int family;
	const unsigned char *src, *dst;	/* 4 or 16 bytes */
	uint16_t sport, dport;
	uint32_t seq;
	unsigned flags;
	const unsigned char *payload;
	size_t len, have;
} tcpseg;

static uint16_t
be16(const unsigned char *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t
be32(const unsigned char *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16)
		| ((uint32_t)p[2] << 8) | p[3];
}

/* ---- reassembly -------------------------------------------------------- */

static void
deliver(conn *c, int dir, const unsigned char *p, size_t len, size_t have,
	cap_time ts)
{
	half *h = &c->h[dir];

	if (have > 0) {
		c->flow.payload[dir] += have;
		cap_tls_feed(&c->tls, dir, p, have, ts);
	}
	if (len > have)
		cap_tls_gap(&c->tls, dir, len - have, ts);
	h->next += (uint32_t)len;
}

static void
fin_check(conn *c, int dir)
{
	half *h = &c->h[dir];

	if (h->fin_pending && !h->fin_done && h->next == h->fin_seq) {
		h->fin_done = 1;
		h->next++;
		c->flow.fin[dir] = 1;
		cap_flow_event(&c->flow, h->fin_ts, CAP_EV_FIN, dir);
	}
}

/* Deliver waiting segments that now start at or before next. */
static void
drain(conn *c, int dir)
{
	half *h = &c->h[dir];
	seg *s;

	while ((s = h->ooo) != NULL && (int32_t)(s->seq - h->next) <= 0) {
		int32_t over = (int32_t)(h->next - s->seq);

		h->ooo = s->next;
		h->ooo_bytes -= s->have;
		if ((size_t)over < s->len) {
			size_t skip = (size_t)over;
			size_t have = s->have > skip ? s->have - skip : 0;
			c->flow.retransmitted[dir] += skip;
			deliver(c, dir, s->data + (s->have > skip ? skip : s->have),
				s->len - skip, have, s->ts);
		} else {
			c->flow.retransmitted[dir] += s->len;
		}
		free(s);
		fin_check(c, dir);
	}
}

/* Declare the hole before the first waiting segment missing. */
static void
skip_hole(conn *c, int dir, cap_time ts)
{
	half *h = &c->h[dir];

	if (h->ooo == NULL)
		return;
	cap_tls_gap(&c->tls, dir, (uint32_t)(h->ooo->seq - h->next), ts);
	h->next = h->ooo->seq;
	drain(c, dir);
}

static void
segment(reader *rd, conn *c, int dir, const tcpseg *t, cap_time ts)
{
	half *h = &c->h[dir];
	uint32_t seq = t->seq;
	const unsigned char *p = t->payload;
	size_t len = t->len, have = t->have;
	int32_t off;

	if (t->flags & TH_SYN) {
		if (!h->have_isn) {
			h->have_isn = 1;
			h->next = seq + 1;
		}
		seq++;
	}
	if (!h->have_isn) {
		/* The SYN was not captured: the stream starts here. */
		h->have_isn = 1;
		h->next = seq;
	}
	if (t->flags & TH_FIN && !h->fin_pending) {
		h->fin_pending = 1;
		h->fin_seq = seq + (uint32_t)len;
		h->fin_ts = ts;
	}
	if (len > 0 && !h->fin_done) {
		off = (int32_t)(seq - h->next);
		if (off < 0) {
			size_t old = (size_t)(-(int64_t)off);
			if (old >= len) {
				c->flow.retransmitted[dir] += len;
				len = 0;
			} else {
				c->flow.retransmitted[dir] += old;
				p += old < have ? old : have;
				have = have > old ? have - old : 0;
				len -= old;
				seq = h->next;
				off = 0;
			}
		}
		if (len > 0 && off == 0) {
			deliver(c, dir, p, len, have, ts);
			drain(c, dir);
		} else if (len > 0) {
			/* Ahead of a hole: keep it, sorted; an exact duplicate of a
			 * waiting segment is a retransmission. */
			seg **pp = &h->ooo, *s;
			while (*pp != NULL && (int32_t)((*pp)->seq - seq) < 0)
				pp = &(*pp)->next;
			if (*pp != NULL && (*pp)->seq == seq && (*pp)->len >= len) {
				c->flow.retransmitted[dir] += len;
			} else {
				s = xmalloc(sizeof *s + have);
				s->seq = seq;
				s->len = len;
				s->have = have;
				s->ts = ts;
				memcpy(s->data, p, have);
				s->next = *pp;
				*pp = s;
				h->ooo_bytes += have;
				while (h->ooo_bytes > rd->lim.max_ooo_bytes)
					skip_hole(c, dir, ts);
			}
		}
	}
	fin_check(c, dir);
}

/* End of capture: whatever still waits is delivered after its hole. */
static void
conn_finish(conn *c)
{
	int dir;

	for (dir = 0; dir < 2; dir++) {
		half *h = &c->h[dir];
		while (h->ooo != NULL)
			skip_hole(c, dir, h->ooo->ts);
		if (h->fin_pending && !h->fin_done) {
			cap_tls_gap(&c->tls, dir, (uint32_t)(h->fin_seq - h->next), h->fin_ts);
			h->next = h->fin_seq;
			fin_check(c, dir);
		}
	}
}

static void
conn_free(conn *c)
{
	int dir;

	if (c == NULL)
		return;
	for (dir = 0; dir < 2; dir++) {
		seg *s, *n;
		for (s = c->h[dir].ooo; s != NULL; s = n) {
			n = s->next;
			free(s);
		}
	}
	cap_tls_clear(&c->tls);
	cap_flow_free(&c->flow);
	free(c);
}

/* ---- connections ------------------------------------------------------- */

static unsigned
hash_pair(const tcpseg *t)
{
	size_t alen = t->family == 4 ? 4 : 16, i;
	uint32_t a = 2166136261u, b = 2166136261u;

	/* Symmetric: the sum of the two endpoints' hashes. */
	for (i = 0; i < alen; i++) {
		a = (a ^ t->src[i]) * 16777619u;
		b = (b ^ t->dst[i]) * 16777619u;
	}
	a = (a ^ t->sport) * 16777619u;
	b = (b ^ t->dport) * 16777619u;
	return (a + b) % NBUCKETS;
}

/* Which direction t travels on c, or -1 if t is not on c. */
static int
conn_dir(const conn *c, const tcpseg *t)
{
	size_t alen = t->family == 4 ? 4 : 16;
	const cap_flow *f = &c->flow;

	if (f->family != t->family)
		return -1;
	if (f->port[0] == t->sport && f->port[1] == t->dport
		&& memcmp(f->addr[0], t->src, alen) == 0
		&& memcmp(f->addr[1], t->dst, alen) == 0)
		return CAP_C2S;
	if (f->port[1] == t->sport && f->port[0] == t->dport
		&& memcmp(f->addr[1], t->src, alen) == 0
		&& memcmp(f->addr[0], t->dst, alen) == 0)
		return CAP_S2C;
	return -1;
}

static int
conn_closed(const conn *c)
{
	return c->flow.rst[0] || c->flow.rst[1]
		|| (c->h[0].fin_done && c->h[1].fin_done);
}

static conn *
conn_new(reader *rd, const tcpseg *t, unsigned b)
{
	size_t alen = t->family == 4 ? 4 : 16;
	int client_is_src;
	conn *c;

	if (rd->n_conns >= rd->lim.max_flows)
		return NULL;
	c = xcalloc(1, sizeof *c);
	if ((t->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		client_is_src = 1;
		c->flow.roles_by_syn = 1;
	} else if ((t->flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		client_is_src = 0;
		c->flow.roles_by_syn = 1;
	} else {
		/* An ephemeral port faces a service port. */
		client_is_src = t->sport >= t->dport;
	}
	c->flow.family = t->family;
	memcpy(c->flow.addr[client_is_src ? 0 : 1], t->src, alen);
	memcpy(c->flow.addr[client_is_src ? 1 : 0], t->dst, alen);
	c->flow.port[client_is_src ? 0 : 1] = t->sport;
	c->flow.port[client_is_src ? 1 : 0] = t->dport;
	cap_tls_init(&c->tls, &c->flow, rd->lim.max_handshake);
	c->hnext = rd->bucket[b];
	rd->bucket[b] = c;
	if (rd->n_conns == rd->cap_conns) {
		rd->cap_conns = rd->cap_conns == 0 ? 16 : rd->cap_conns * 2;
		rd->conns = xrealloc(rd->conns, rd->cap_conns * sizeof *rd->conns);
	}
	rd->conns[rd->n_conns++] = c;
	return c;
}

static void
tcp_packet(reader *rd, const tcpseg *t, cap_time ts)
{
	unsigned b = hash_pair(t);
	conn *c;
	int dir = -1;

	for (c = rd->bucket[b]; c != NULL; c = c->hnext) {
		if (!c->retired && (dir = conn_dir(c, t)) >= 0)
			break;
	}
	/* A new SYN on the addresses of a finished connection starts another. */
	if (c != NULL && (t->flags & (TH_SYN | TH_ACK)) == TH_SYN && conn_closed(c)) {
		c->retired = 1;
		c = NULL;
	}
	if (c == NULL) {
		c = conn_new(rd, t, b);
		if (c == NULL) {
			rd->r->dropped++;
			return;
		}
		dir = conn_dir(c, t);
		c->flow.first = ts;
	}
	c->flow.last = ts;
	c->flow.packets++;
	if ((t->flags & TH_SYN) && !c->h[dir].have_isn)
		cap_flow_event(&c->flow, ts,
			(t->flags & TH_ACK) ? CAP_EV_SYNACK : CAP_EV_SYN, dir);
	segment(rd, c, dir, t, ts);
	if ((t->flags & TH_RST) && !c->flow.rst[dir]) {
		c->flow.rst[dir] = 1;
		cap_flow_event(&c->flow, ts, CAP_EV_RST, dir);
	}
}

/* ---- layers ------------------------------------------------------------ */

/* TCP in an IP payload. -1 when it is not a TCP segment we can use. */
static int
tcp_parse(tcpseg *t, const unsigned char *p, size_t caplen, size_t wirelen)
{
	size_t hl;

	if (caplen < 20)
		return -1;
	hl = (size_t)(p[12] >> 4) * 4;
	if (hl < 20 || hl > caplen || hl > wirelen)
		return -1;
	t->sport = be16(p);
	t->dport = be16(p + 2);
	t->seq = be32(p + 4);
	t->flags = p[13];
	t->payload = p + hl;
	t->len = wirelen - hl;
	t->have = caplen - hl;
	return 0;
}

static int
ipv4_parse(tcpseg *t, const unsigned char *p, size_t caplen)
{
	size_t hl, total;

	if (caplen < 20 || (p[0] >> 4) != 4)
		return -1;
	hl = (size_t)(p[0] & 15) * 4;
	total = be16(p + 2);
	/* total bounds the payload (Ethernet pads short frames). A zero total
	 * comes from segmentation offload: take the captured length. */
	if (total == 0)
		total = caplen;
	if (hl < 20 || hl > caplen || total < hl)
		return -1;
	if ((be16(p + 6) & 0x3fff) != 0 || p[9] != 6)
		return -1;	/* a fragment, or not TCP */
	if (caplen > total)
		caplen = total;
	t->family = 4;
	t->src = p + 12;
	t->dst = p + 16;
	return tcp_parse(t, p + hl, caplen - hl, total - hl);
}

static int
ipv6_parse(tcpseg *t, const unsigned char *p, size_t caplen)
{
	size_t off = 40, total;
	unsigned nh;

	if (caplen < 40 || (p[0] >> 4) != 6)
		return -1;
	total = 40 + (size_t)be16(p + 4);
	if (total == 40)
		total = caplen;	/* a jumbogram or offload: trust the capture */
	if (caplen > total)
		caplen = total;
	nh = p[6];
	for (;;) {
		if (nh == 6)
			break;
		if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44) {
			size_t xl;
			if (off + 8 > caplen)
				return -1;
			if (nh == 44) {
				if ((be16(p + off + 2) & 0xfff9) != 0)
					return -1;	/* a fragment */
				xl = 8;
			} else if (nh == 51) {
				xl = ((size_t)p[off + 1] + 2) * 4;
			} else {
				xl = ((size_t)p[off + 1] + 1) * 8;
			}
			nh = p[off];
			off += xl;
			if (off > caplen)
				return -1;
			continue;
		}
		return -1;
	}
	if (off > total)
		return -1;
	t->family = 6;
	t->src = p + 8;
	t->dst = p + 24;
	return tcp_parse(t, p + off, caplen - off, total - off);
}

static int
ip_parse(tcpseg *t, const unsigned char *p, size_t caplen)
{
	if (caplen < 1)
		return -1;
	switch (p[0] >> 4) {
	case 4: return ipv4_parse(t, p, caplen);
	case 6: return ipv6_parse(t, p, caplen);
	default: return -1;
	}
}

static int
ethertype_ip(tcpseg *t, unsigned type, const unsigned char *p, size_t caplen)
{
	if (type == 0x0800 || type == 0x86dd)
		return ip_parse(t, p, caplen);
	return -1;
}

/* The link layer: find the IP packet. */
static int
link_parse(int dlt, tcpseg *t, const unsigned char *p, size_t caplen)
{
	unsigned type;

	switch (dlt) {
	case DLT_EN10MB:
		if (caplen < 14)
			return -1;
		type = be16(p + 12);
		p += 14;
		caplen -= 14;
		/* 802.1Q and 802.1ad tags. */
		while ((type == 0x8100 || type == 0x88a8) && caplen >= 4) {
			type = be16(p + 2);
			p += 4;
			caplen -= 4;
		}
		return ethertype_ip(t, type, p, caplen);
	case DLT_LINUX_SLL:
		if (caplen < 16)
			return -1;
		return ethertype_ip(t, be16(p + 14), p + 16, caplen - 16);
	case DLT_LINUX_SLL2:
		if (caplen < 20)
			return -1;
		return ethertype_ip(t, be16(p), p + 20, caplen - 20);
	case DLT_NULL:
	case DLT_LOOP:
		/* The address family's value differs between systems and byte
		 * orders: the IP version nibble says more. */
		if (caplen < 4)
			return -1;
		return ip_parse(t, p + 4, caplen - 4);
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return ip_parse(t, p, caplen);
	default:
		return -1;
	}
}

/* ---- the report -------------------------------------------------------- */

/* see capture.h */
void
cap_report_free(cap_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_flows; i++)
		cap_flow_free(&r->flows[i]);
	free(r->flows);
	memset(r, 0, sizeof *r);
}

static int
supported_dlt(int dlt)
{
	return dlt == DLT_EN10MB || dlt == DLT_LINUX_SLL || dlt == DLT_LINUX_SLL2
		|| dlt == DLT_NULL || dlt == DLT_LOOP || dlt == DLT_RAW
		|| dlt == DLT_IPV4 || dlt == DLT_IPV6;
}

static int
analyze(pcap_t *pc, const char *name, const cap_limits *limits, cap_report *out,
	char *err, size_t errlen)
{
	reader *rd = xcalloc(1, sizeof *rd);
	struct pcap_pkthdr *ph;
	const unsigned char *pkt;
	size_t i;
	int rc, ret = -1;

	rd->r = out;
	if (limits != NULL)
		rd->lim = *limits;
	if (rd->lim.max_flows == 0)
		rd->lim.max_flows = DEFAULT_MAX_FLOWS;
	if (rd->lim.max_ooo_bytes == 0)
		rd->lim.max_ooo_bytes = DEFAULT_MAX_OOO;
	if (rd->lim.max_handshake == 0)
		rd->lim.max_handshake = DEFAULT_MAX_HANDSHAKE;
	out->linktype = pcap_datalink(pc);
	if (!supported_dlt(out->linktype)) {
		const char *n = pcap_datalink_val_to_name(out->linktype);
		util_err(err, errlen, "%s: link type %d (%s) is not supported", name,
			out->linktype, n != NULL ? n : "unknown");
		goto done;
	}
	while ((rc = pcap_next_ex(pc, &ph, &pkt)) == 1) {
		tcpseg t;
		cap_time ts = (cap_time)ph->ts.tv_sec * 1000000 + ph->ts.tv_usec;
		size_t caplen = ph->caplen;

		out->packets++;
		if (caplen > ph->len)
			caplen = ph->len;
		memset(&t, 0, sizeof t);
		if (link_parse(out->linktype, &t, pkt, caplen) != 0) {
			out->skipped++;
			continue;
		}
		tcp_packet(rd, &t, ts);
	}
	if (rc == PCAP_ERROR)
		out->truncated = 1;
	for (i = 0; i < rd->n_conns; i++)
		conn_finish(rd->conns[i]);
	out->flows = xcalloc(rd->n_conns + 1, sizeof *out->flows);
	for (i = 0; i < rd->n_conns; i++) {
		/* The flow moves into the report; the TLS state pointed at it. */
		out->flows[i] = rd->conns[i]->flow;
		memset(&rd->conns[i]->flow, 0, sizeof rd->conns[i]->flow);
	}
	out->n_flows = rd->n_conns;
	ret = 0;
done:
	for (i = 0; i < rd->n_conns; i++)
		conn_free(rd->conns[i]);
	free(rd->conns);
	free(rd);
	return ret;
}

/* see capture.h */
int
cap_analyze_fp(FILE *fp, const char *name, const cap_limits *limits,
	cap_report *out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	pcap_t *pc;
	int ret;

	memset(out, 0, sizeof *out);
	perr[0] = 0;
	pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO,
		perr);
	if (pc == NULL) {
		fclose(fp);
		return util_err(err, errlen, "%s: %s", name, perr);
	}
	ret = analyze(pc, name, limits, out, err, errlen);
	pcap_close(pc);
	if (ret != 0)
		cap_report_free(out);
	return ret;
}

/* see capture.h */
int
cap_analyze_file(const char *pcap_path, const cap_limits *limits, cap_report *out,
	char *err, size_t errlen)
{
	FILE *fp;

	memset(out, 0, sizeof *out);
	fp = fopen(pcap_path, "rb");
	if (fp == NULL)
		return util_err(err, errlen, "%s: %s", pcap_path, strerror(errno));
	return cap_analyze_fp(fp, pcap_path, limits, out, err, errlen);
}
