/*
 * The lab network's services in a capture: DHCP, DNS and NTP. See lab.h.
 */
#include "capture/lab.h"
#include "common/json.h"
#include "common/util.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
add(cap_lab_report *r, const cap_lab_msg *m)
{
	if (r->n >= CAP_LAB_MAX_MSGS) {
		r->dropped++;
		return;
	}
	if (r->n == r->room) {
		size_t room = r->room ? r->room * 2 : 16;
		cap_lab_msg *nm = xmalloc(room * sizeof *nm);
		if (r->n)
			memcpy(nm, r->msgs, r->n * sizeof *nm);
		free(r->msgs);
		r->msgs = nm;
		r->room = room;
	}
	r->msgs[r->n++] = *m;
}

/* One IPv4 packet. */
static void
ipv4(cap_lab_report *r, const unsigned char *p, size_t len, cap_time ts)
{
	size_t ihl, tot;
	cap_lab_msg m;
	unsigned sport, dport, ulen;
	const unsigned char *u;
	int rc;

	if (len < 20 || (p[0] >> 4) != 4)
		return;
	ihl = (size_t)(p[0] & 0xf) * 4;
	tot = be16(p + 2);
	if (ihl < 20 || tot < ihl || tot > len)
		tot = len;
	if (ihl < 20 || ihl + 8 > tot || p[9] != 17)
		return;
	if ((be16(p + 6) & 0x3fff) != 0)	/* a fragment */
		return;
	u = p + ihl;
	sport = be16(u);
	dport = be16(u + 2);
	ulen = be16(u + 4);
	if (ulen < 8 || ulen > tot - ihl)
		ulen = (unsigned)(tot - ihl);
	memset(&m, 0, sizeof m);
	m.ts = ts;
	memcpy(&m.src, p + 12, 4);
	memcpy(&m.dst, p + 16, 4);
	m.sport = (uint16_t)sport;
	m.dport = (uint16_t)dport;
	if ((sport == 67 || sport == 68) && (dport == 67 || dport == 68)) {
		m.kind = CAP_LAB_DHCP;
		rc = cap_dhcp_parse(u + 8, ulen - 8, &m.u.dhcp, m.why, sizeof m.why);
	} else if (sport == 53 || dport == 53) {
		m.kind = CAP_LAB_DNS;
		rc = cap_dns_parse(u + 8, ulen - 8, &m.u.dns, m.why, sizeof m.why);
	} else if (sport == 123 || dport == 123) {
		m.kind = CAP_LAB_NTP;
		rc = cap_ntp_parse(u + 8, ulen - 8, &m.u.ntp, m.why, sizeof m.why);
	} else {
		return;
	}
	m.ok = rc == 0;
	add(r, &m);
}

/* see lab.h */
void
cap_lab_frame(cap_lab_report *r, int dlt, const unsigned char *p, size_t len, cap_time ts)
{
	unsigned type;
	size_t off;

	switch (dlt) {
	case DLT_EN10MB:
		if (len < 14)
			return;
		type = be16(p + 12);
		off = 14;
		while ((type == 0x8100 || type == 0x88a8) && len >= off + 4) {
			type = be16(p + off + 2);
			off += 4;
		}
		break;
	case DLT_LINUX_SLL:
		if (len < 16)
			return;
		type = be16(p + 14);
		off = 16;
		break;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return;
		type = be16(p);
		off = 20;
		break;
	case DLT_NULL:
	case DLT_LOOP:
		if (len < 4)
			return;
		type = 0x0800;
		off = 4;
		break;
	case DLT_RAW:
	case DLT_IPV4:
		type = 0x0800;
		off = 0;
		break;
	default:
		return;
	}
	if (type == 0x0800 && off <= len)
		ipv4(r, p + off, len - off, ts);
}

/* see lab.h */
int
cap_lab_analyze_file(const char *path, cap_lab_report *out, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const unsigned char *d;
	pcap_t *pc;
	int dlt, rc;

	memset(out, 0, sizeof *out);
	pc = pcap_open_offline(path, ebuf);
	if (pc == NULL)
		return util_err(err, errlen, "%s: %s", path, ebuf);
	dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1)
		cap_lab_frame(out, dlt, d, h->caplen,
			(cap_time)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
	/* A file cut in mid-record (-2 is the end) keeps what came before, as
	 * the TLS reader does. */
	(void)rc;
	pcap_close(pc);
	return 0;
}

/* see lab.h */
void
cap_lab_free(cap_lab_report *r)
{
	if (r == NULL)
		return;
	free(r->msgs);
	memset(r, 0, sizeof *r);
}

/* ---- Rendering ---- */

static const char *const dhcp_types[] = { "?", "DISCOVER", "OFFER", "REQUEST", "DECLINE",
	"ACK", "NAK", "RELEASE", "INFORM" };

static const char *
dhcp_type_name(int t)
{
	return t > 0 && t < (int)(sizeof dhcp_types / sizeof dhcp_types[0]) ? dhcp_types[t]
		: "BOOTP";
}

static const struct { int code; const char *name; } rcodes[] = {
	{ 0, "NOERROR" }, { 1, "FORMERR" }, { 2, "SERVFAIL" }, { 3, "NXDOMAIN" },
	{ 4, "NOTIMP" }, { 5, "REFUSED" }
};

static const char *
rcode_name(int c)
{
	for (size_t i = 0; i < sizeof rcodes / sizeof rcodes[0]; i++)
		if (rcodes[i].code == c)
			return rcodes[i].name;
	return "RCODE?";
}

static const char *
qtype_name(unsigned t, char *buf, size_t len)
{
	static const struct { unsigned t; const char *n; } names[] = {
		{ 1, "A" }, { 28, "AAAA" }, { 5, "CNAME" }, { 12, "PTR" }, { 16, "TXT" },
		{ 33, "SRV" }, { 65, "HTTPS" }, { 15, "MX" }, { 2, "NS" }, { 6, "SOA" }
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].t == t)
			return names[i].n;
	snprintf(buf, len, "TYPE%u", t);
	return buf;
}

static void
put_ip(buf_t *b, uint32_t a)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof s);
	buf_puts(b, s);
}

static void
put_ips(buf_t *b, const char *key, const uint32_t *a, size_t n)
{
	buf_printf(b, " %s=", key);
	for (size_t i = 0; i < n; i++) {
		if (i)
			buf_putc(b, ',');
		put_ip(b, a[i]);
	}
}

static void
put_time(buf_t *b, cap_time ts)
{
	time_t s = (time_t)(ts / 1000000);
	struct tm tm;

	gmtime_r(&s, &tm);
	buf_printf(b, "%02d:%02d:%02d.%03d ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		(int)(ts % 1000000 / 1000));
}

static void
text_dhcp(buf_t *b, const cap_dhcp *d, int flags)
{
	buf_printf(b, "DHCP %s", dhcp_type_name(d->type));
	if (!(flags & CAP_RENDER_NO_ADDRS)) {
		buf_printf(b, " client=%02x:%02x:%02x:%02x:%02x:%02x", d->chaddr[0], d->chaddr[1],
			d->chaddr[2], d->chaddr[3], d->chaddr[4], d->chaddr[5]);
		if (d->yiaddr) {
			buf_puts(b, " address=");
			put_ip(b, d->yiaddr);
		}
		if (d->requested) {
			buf_puts(b, " requested=");
			put_ip(b, d->requested);
		}
		if (d->n_router)
			put_ips(b, "router", d->router, d->n_router);
		if (d->n_dns)
			put_ips(b, "dns", d->dns, d->n_dns);
		if (d->n_ntp)
			put_ips(b, "ntp", d->ntp, d->n_ntp);
	}
	if (d->op == 2 && (d->type == 2 || d->type == 5) && d->n_ntp == 0)
		buf_puts(b, " ntp=none");
	if (d->has_lease)
		buf_printf(b, " lease=%us", (unsigned)d->lease);
	if (d->op == 1 && d->asks_ntp)
		buf_puts(b, " asks=ntp");
}

static void
text_dns(buf_t *b, const cap_dns *d, int flags)
{
	char t[16];

	buf_printf(b, "DNS %s %s %s", d->response ? "answer" : "question",
		d->qname[0] ? d->qname : "(none)", qtype_name(d->qtype, t, sizeof t));
	if (!d->response)
		return;
	if (d->rcode != 0) {
		buf_printf(b, " %s", rcode_name(d->rcode));
		return;
	}
	if (d->n_addr == 0) {
		buf_printf(b, " no address (%zu answers)", d->n_answers);
		return;
	}
	buf_puts(b, " ->");
	for (int i = 0; i < d->n_addr; i++) {
		char s[INET6_ADDRSTRLEN];
		inet_ntop(d->addr_family[i] == 4 ? AF_INET : AF_INET6, d->addr[i], s, sizeof s);
		buf_printf(b, " %s", (flags & CAP_RENDER_NO_ADDRS) ? "ADDR" : s);
	}
}

static void
text_ntp(buf_t *b, const cap_ntp *n)
{
	char d[40];

	buf_printf(b, "NTP %s v%d", n->mode == 3 ? "request" : n->mode == 4 ? "answer"
		: "packet", n->version);
	if (n->mode == 4) {
		buf_printf(b, " stratum=%d", n->stratum);
		if (n->kiss[0])
			buf_printf(b, " kiss=%s", n->kiss);
		else if (n->transmit != 0)
			buf_printf(b, " time=%s", simtime_format(d, sizeof d, n->transmit));
	}
}

/* see lab.h */
void
cap_lab_render_text(const cap_lab_report *r, int flags, buf_t *b)
{
	if (r->n == 0)
		return;
	buf_puts(b, "lab network: DHCP, DNS and NTP\n");
	for (size_t i = 0; i < r->n; i++) {
		const cap_lab_msg *m = &r->msgs[i];
		buf_puts(b, "  ");
		if (!(flags & CAP_RENDER_NO_TIMES))
			put_time(b, m->ts);
		if (!(flags & CAP_RENDER_NO_ADDRS)) {
			put_ip(b, m->src);
			buf_printf(b, ":%u -> ", m->sport);
			put_ip(b, m->dst);
			buf_printf(b, ":%u  ", m->dport);
		}
		if (!m->ok)
			buf_printf(b, "%s", m->why);
		else if (m->kind == CAP_LAB_DHCP)
			text_dhcp(b, &m->u.dhcp, flags);
		else if (m->kind == CAP_LAB_DNS)
			text_dns(b, &m->u.dns, flags);
		else
			text_ntp(b, &m->u.ntp);
		buf_putc(b, '\n');
	}
	if (r->dropped)
		buf_printf(b, "  (%llu more not kept)\n", (unsigned long long)r->dropped);
}

static void
json_ip(buf_t *b, const char *key, uint32_t a)
{
	buf_printf(b, ",\"%s\":\"", key);
	put_ip(b, a);
	buf_putc(b, '"');
}

static void
json_ips(buf_t *b, const char *key, const uint32_t *a, size_t n)
{
	buf_printf(b, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		buf_puts(b, i ? ",\"" : "\"");
		put_ip(b, a[i]);
		buf_putc(b, '"');
	}
	buf_putc(b, ']');
}

/* see lab.h */
void
cap_lab_render_json(const cap_lab_report *r, buf_t *b)
{
	static const char *const kinds[] = { "", "dhcp", "dns", "ntp" };
	char d[40], t[16];

	buf_putc(b, '[');
	for (size_t i = 0; i < r->n; i++) {
		const cap_lab_msg *m = &r->msgs[i];
		buf_printf(b, "%s\n{\"ts_us\":%lld,\"kind\":\"%s\"", i ? "," : "",
			(long long)m->ts, kinds[m->kind]);
		json_ip(b, "src", m->src);
		json_ip(b, "dst", m->dst);
		buf_printf(b, ",\"sport\":%u,\"dport\":%u", m->sport, m->dport);
		if (!m->ok) {
			buf_puts(b, ",\"error\":");
			json_put_str(b, m->why);
		} else if (m->kind == CAP_LAB_DHCP) {
			const cap_dhcp *x = &m->u.dhcp;
			buf_puts(b, ",\"type\":");
			json_put_str(b, dhcp_type_name(x->type));
			json_ip(b, "address", x->yiaddr);
			json_ips(b, "router", x->router, x->n_router);
			json_ips(b, "dns", x->dns, x->n_dns);
			json_ips(b, "ntp", x->ntp, x->n_ntp);
			if (x->has_lease)
				buf_printf(b, ",\"lease\":%u", (unsigned)x->lease);
		} else if (m->kind == CAP_LAB_DNS) {
			const cap_dns *x = &m->u.dns;
			buf_printf(b, ",\"response\":%s,\"id\":%u,\"name\":",
				x->response ? "true" : "false", (unsigned)x->id);
			json_put_str(b, x->qname);
			buf_printf(b, ",\"qtype\":\"%s\",\"rcode\":\"%s\",\"addresses\":[",
				qtype_name(x->qtype, t, sizeof t), rcode_name(x->rcode));
			for (int k = 0; k < x->n_addr; k++) {
				char s[INET6_ADDRSTRLEN];
				inet_ntop(x->addr_family[k] == 4 ? AF_INET : AF_INET6, x->addr[k], s,
					sizeof s);
				buf_printf(b, "%s\"%s\"", k ? "," : "", s);
			}
			buf_putc(b, ']');
		} else {
			const cap_ntp *x = &m->u.ntp;
			buf_printf(b, ",\"mode\":%d,\"stratum\":%d", x->mode, x->stratum);
			if (x->kiss[0]) {
				buf_puts(b, ",\"kiss\":");
				json_put_str(b, x->kiss);
			}
			if (x->transmit != 0)
				buf_printf(b, ",\"time\":\"%s\"", simtime_format(d, sizeof d,
					x->transmit));
		}
		buf_putc(b, '}');
	}
	buf_puts(b, "\n]");
}
