/*
 * Unit tests of harness/capture: the committed captures (real TLS between
 * openssl and curl, see tests/data/make-pcaps.sh), the same captures taken
 * apart and put back together out of order, retransmitted, split, wrapped
 * around the sequence space and carried over other link layers and IPv6,
 * TLS records and handshake messages cut at every byte, and live capture.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/cap_int.h"
#include "capture/capture.h"
#include "common/util.h"

static char tmpdir[] = "/tmp/rotsim-capture-XXXXXX";

static char *
data_path(const char *name)
{
	const char *top = getenv("ROTSIM_TOP");
	return xasprintf("%s/harness/capture/tests/data/%s", top != NULL ? top : ".", name);
}

static void
analyze_ok(const char *path, const cap_limits *lim, cap_report *r)
{
	char err[512];
	int rc = cap_analyze_file(path, lim, r, err, sizeof err);
	ck_assert_msg(rc == 0, "%s: %s", path, rc == 0 ? "" : err);
}

static void
analyze_data(const char *name, cap_report *r)
{
	char *p = data_path(name);
	analyze_ok(p, NULL, r);
	free(p);
}

static char *
story(const cap_report *r, int flags)
{
	buf_t b = { 0 };
	cap_render_text(r, flags, &b);
	return buf_cstr(&b);
}

/* The events of flow f of a type, counted. */
static size_t
count_events(const cap_flow *f, cap_ev_type t, int dir)
{
	size_t i, n = 0;
	for (i = 0; i < f->n_events; i++)
		if (f->events[i].type == t && (dir < 0 || f->events[i].dir == dir))
			n++;
	return n;
}

/* SHA-256 of each certificate of a PEM file, in order. */
static size_t
pem_fingerprints(const char *path, unsigned char fp[][32], size_t max)
{
	unsigned char *text, der[8192];
	size_t len, n = 0;
	char err[256], *p, *e;

	ck_assert_int_eq(util_read_file(path, &text, &len, err, sizeof err), 0);
	p = (char *)text;
	while (n < max && (p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL) {
		buf_t b64 = { 0 };
		p = strchr(p, '\n') + 1;
		e = strstr(p, "-----END CERTIFICATE-----");
		ck_assert_ptr_nonnull(e);
		for (; p < e; p++)
			if (*p != '\n' && *p != '\r')
				buf_putc(&b64, *p);
		long dl = util_b64_decode(der, sizeof der, (char *)b64.data, b64.len);
		ck_assert_int_gt(dl, 0);
		util_sha256(fp[n++], der, (size_t)dl);
		buf_free(&b64);
	}
	free(text);
	return n;
}

/* ---- the committed captures ------------------------------------------ */

START_TEST(test_names)
{
	ck_assert_str_eq(cap_alert_name(48), "unknown_ca");
	ck_assert_str_eq(cap_alert_name(42), "bad_certificate");
	ck_assert_str_eq(cap_alert_name(45), "certificate_expired");
	ck_assert_str_eq(cap_alert_name(0), "close_notify");
	ck_assert_ptr_null(cap_alert_name(199));
	ck_assert_str_eq(cap_suite_name(0xc02f), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_str_eq(cap_suite_name(0xcca9), "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256");
	ck_assert_str_eq(cap_version_name(0x0303), "TLS1.2");
	ck_assert_str_eq(cap_sigalg_name(0x0403), "ecdsa_secp256r1_sha256");
	ck_assert_str_eq(cap_hs_name(11), "Certificate");
	ck_assert_str_eq(cap_ev_name(CAP_EV_ENC_ALERT), "encrypted_alert");
}
END_TEST

START_TEST(test_unknown_ca)
{
	cap_report r;
	unsigned char fp[4][32];
	char *pem = data_path("chain.pem"), *s;
	size_t n = pem_fingerprints(pem, fp, 4), i;
	const cap_flow *f;

	analyze_data("tls12-unknown-ca.pcap", &r);
	ck_assert_uint_eq(r.n_flows, 1);
	f = &r.flows[0];
	ck_assert_int_eq(f->roles_by_syn, 1);
	ck_assert_uint_eq(f->port[1], 44330);
	ck_assert_str_eq(f->tls.client_hello.sni, "updates.rotsim.test");
	ck_assert_uint_eq(f->tls.client_hello.legacy_version, 0x0303);
	ck_assert_uint_gt(f->tls.client_hello.n_suites, 1);
	ck_assert_uint_gt(f->tls.client_hello.n_sigalgs, 1);
	ck_assert_uint_eq(f->tls.server_hello.version, 0x0303);
	/* The chain is the leaf and R10, as in the PEM the server was given. */
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(f->tls.chain_len, 2);
	for (i = 0; i < n; i++)
		ck_assert(memcmp(f->tls.chain[i].sha256, fp[i], 32) == 0);
	ck_assert_str_eq(f->tls.chain[0].subject_cn, "updates.rotsim.test");
	ck_assert_str_eq(f->tls.chain[0].issuer_cn, "R10");
	ck_assert_str_eq(f->tls.chain[1].subject_cn, "R10");
	ck_assert_str_eq(f->tls.chain[1].issuer_cn, "Rotsim Test Root X1");
	ck_assert_int_eq(f->tls.seen_server_key_exchange, 1);
	ck_assert_int_eq(f->tls.seen_server_hello_done, 1);
	/* The client refused: a clear fatal unknown_ca, from the client. */
	ck_assert_int_eq(f->tls.alert_seen[CAP_C2S], 1);
	ck_assert_int_eq(f->tls.alert_seen[CAP_S2C], 0);
	ck_assert_int_eq(f->tls.alert_encrypted[CAP_C2S], 0);
	ck_assert_int_eq(f->tls.alert_level[CAP_C2S], CAP_ALERT_FATAL);
	ck_assert_int_eq(f->tls.alert_desc[CAP_C2S], 48);
	ck_assert_int_eq(f->tls.ccs[0] | f->tls.ccs[1], 0);
	ck_assert_uint_eq(f->app_bytes[0] + f->app_bytes[1], 0);
	ck_assert_int_eq(f->fin[0], 1);
	ck_assert_int_eq(f->fin[1], 1);
	ck_assert_uint_eq(count_events(f, CAP_EV_ALERT, CAP_C2S), 1);
	s = story(&r, 0);
	ck_assert_msg(strstr(s, "client -> server  Alert fatal unknown_ca\n") != NULL, "%s", s);
	ck_assert_msg(strstr(s, "(CN=updates.rotsim.test) <- ") != NULL, "%s", s);
	free(s);
	free(pem);
	cap_report_free(&r);
	cap_report_free(&r);	/* a second free is harmless */
}
END_TEST

START_TEST(test_ok_download)
{
	cap_report r;
	const cap_flow *f;
	buf_t j = { 0 };

	analyze_data("tls12-ok.pcap", &r);
	ck_assert_uint_eq(r.n_flows, 1);
	f = &r.flows[0];
	ck_assert_int_eq(f->tls.ccs[0], 1);
	ck_assert_int_eq(f->tls.ccs[1], 1);
	ck_assert_int_eq(f->tls.finished[0], 1);
	ck_assert_int_eq(f->tls.finished[1], 1);
	/* 64 KiB of body plus HTTP headers and AEAD overhead. */
	ck_assert_uint_gt(f->app_bytes[CAP_S2C], 65536);
	ck_assert_uint_lt(f->app_bytes[CAP_S2C], 70000);
	ck_assert_uint_gt(f->app_bytes[CAP_C2S], 0);
	/* close_notify after CCS: encrypted, both ways. */
	ck_assert_uint_eq(count_events(f, CAP_EV_ENC_ALERT, CAP_C2S), 1);
	ck_assert_uint_eq(count_events(f, CAP_EV_ENC_ALERT, CAP_S2C), 1);
	ck_assert_uint_eq(count_events(f, CAP_EV_ALERT, -1), 0);
	ck_assert_int_eq(f->tls.alert_encrypted[CAP_C2S], 1);
	ck_assert_uint_eq(f->missing[0] + f->missing[1], 0);
	ck_assert_uint_eq(f->tls.client_hello.n_alpn, 2);
	cap_render_json(&r, &j);
	ck_assert(strstr(buf_cstr(&j), "\"event\": \"encrypted_alert\"") != NULL);
	buf_free(&j);
	cap_report_free(&r);
}
END_TEST

START_TEST(test_server_alert_and_expired)
{
	cap_report r;

	analyze_data("tls12-no-shared-suite.pcap", &r);
	ck_assert_uint_eq(r.n_flows, 1);
	ck_assert_int_eq(r.flows[0].tls.server_hello.seen, 0);
	ck_assert_int_eq(r.flows[0].tls.alert_seen[CAP_S2C], 1);
	ck_assert_int_eq(r.flows[0].tls.alert_desc[CAP_S2C], 40);
	ck_assert_int_eq(r.flows[0].tls.alert_seen[CAP_C2S], 0);
	cap_report_free(&r);
	analyze_data("tls12-expired.pcap", &r);
	ck_assert_int_eq(r.flows[0].tls.alert_desc[CAP_C2S], 45);
	cap_report_free(&r);
}
END_TEST

START_TEST(test_tls13)
{
	cap_report r;
	const cap_flow *f;

	analyze_data("tls13-ok.pcap", &r);
	f = &r.flows[0];
	ck_assert_uint_eq(f->tls.server_hello.version, 0x0304);
	ck_assert_uint_eq(f->tls.server_hello.suites[0], 0x1302);
	ck_assert_uint_eq(f->tls.client_hello.n_versions, 1);
	ck_assert_uint_eq(f->tls.client_hello.versions[0], 0x0304);
	ck_assert_int_eq(f->tls.seen_chain, 0);	/* encrypted in TLS 1.3 */
	ck_assert_uint_gt(f->app_bytes[CAP_S2C], 65536);
	ck_assert_uint_eq(count_events(f, CAP_EV_TLS_ERROR, -1), 0);
	cap_report_free(&r);
}
END_TEST

/* ---- captures rebuilt packet by packet ------------------------------- */

typedef struct {
	struct pcap_pkthdr h;
	unsigned char *d;
} pkt;

typedef struct {
	pkt *v;
	size_t n;
} pktlist;

static void
pl_add(pktlist *l, const struct pcap_pkthdr *h, const unsigned char *d)
{
	l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
	l->v[l->n].h = *h;
	l->v[l->n].d = xmemdup(d, h->caplen);
	l->n++;
}

static void
pl_free(pktlist *l)
{
	size_t i;
	for (i = 0; i < l->n; i++)
		free(l->v[i].d);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static pktlist
load(const char *name)
{
	char perr[PCAP_ERRBUF_SIZE], *path = data_path(name);
	pcap_t *pc = pcap_open_offline(path, perr);
	struct pcap_pkthdr *h;
	const unsigned char *d;
	pktlist l = { NULL, 0 };

	ck_assert_msg(pc != NULL, "%s: %s", path, perr);
	ck_assert_int_eq(pcap_datalink(pc), DLT_EN10MB);
	while (pcap_next_ex(pc, &h, &d) == 1)
		pl_add(&l, h, d);
	pcap_close(pc);
	free(path);
	return l;
}

static char *
save(const pktlist *l, int dlt, const char *name)
{
	char *path = xasprintf("%s/%s", tmpdir, name);
	pcap_t *pc = pcap_open_dead(dlt, 262144);
	pcap_dumper_t *dp = pcap_dump_open(pc, path);
	size_t i;

	ck_assert_ptr_nonnull(dp);
	for (i = 0; i < l->n; i++)
		pcap_dump((unsigned char *)dp, &l->v[i].h, l->v[i].d);
	pcap_dump_close(dp);
	pcap_close(pc);
	return path;
}

/* Offsets in an Ethernet + IPv4 + TCP frame of the test captures. */
static size_t ip_hl(const pkt *p) { return (size_t)(p->d[14] & 15) * 4; }
static unsigned char *tcp_of(const pkt *p) { return p->d + 14 + ip_hl(p); }
static size_t tcp_hl(const pkt *p) { return (size_t)(tcp_of(p)[12] >> 4) * 4; }
static size_t
payload_len(const pkt *p)
{
	size_t total = ((size_t)p->d[16] << 8) | p->d[17];
	return total - ip_hl(p) - tcp_hl(p);
}
static uint32_t
get32(const unsigned char *b)
{
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}
static void
put32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24); b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8); b[3] = (unsigned char)v;
}

/* A copy of p carrying payload bytes [off, off+len) only. */
static pkt
slice(const pkt *p, size_t off, size_t len)
{
	size_t hdr = 14 + ip_hl(p) + tcp_hl(p), total = ip_hl(p) + tcp_hl(p) + len;
	pkt q;

	q.h = p->h;
	q.h.caplen = q.h.len = (bpf_u_int32)(hdr + len);
	q.d = xmalloc(hdr + len);
	memcpy(q.d, p->d, hdr);
	memcpy(q.d + hdr, p->d + hdr + off, len);
	q.d[16] = (unsigned char)(total >> 8);
	q.d[17] = (unsigned char)total;
	put32(tcp_of(&q) + 4, get32(tcp_of(p) + 4) + (uint32_t)off);
	if (off + len < payload_len(p))
		tcp_of(&q)[13] &= (unsigned char)~0x01;	/* FIN only on the last piece */
	return q;
}

/* The story of the flows, without the first line (link type, packet count). */
static char *
story_of(const pktlist *l, int dlt, const char *name, cap_report *r)
{
	char *path = save(l, dlt, name), *s, *nl, *body;
	analyze_ok(path, NULL, r);
	s = story(r, CAP_RENDER_NO_TIMES | CAP_RENDER_NO_ADDRS);
	nl = strchr(s, '\n');
	body = xstrdup(nl != NULL ? nl + 1 : s);
	free(s);
	/* TCP statistics (retransmitted bytes) differ by design. */
	while ((nl = strstr(body, "\n  tcp: ")) != NULL) {
		char *end = strchr(nl + 1, '\n');
		memmove(nl + 1, end + 1, strlen(end + 1) + 1);
	}
	free(path);
	return body;
}

/*
 * Every way of delivering the same bytes tells the same story: segments cut
 * into overlapping pieces sent backwards, every data segment sent twice,
 * neighbours swapped.
 */
START_TEST(test_reorder_retransmit_split)
{
	static const char *const names[] = { "tls12-ok.pcap", "tls12-unknown-ca.pcap",
		"tls13-ok.pcap" };
	size_t k;

	for (k = 0; k < sizeof names / sizeof names[0]; k++) {
		pktlist orig = load(names[k]), v = { NULL, 0 };
		cap_report r0, r1;
		char *s0 = story_of(&orig, DLT_EN10MB, "orig.pcap", &r0), *s1;
		size_t i, j;
		int mode;

		for (mode = 0; mode < 3; mode++) {
			for (i = 0; i < orig.n; i++) {
				const pkt *p = &orig.v[i];
				size_t len = payload_len(p);
				if (len < 8) {
					pl_add(&v, &p->h, p->d);
					continue;
				}
				if (mode == 0) {
					/* Four pieces overlapping by 3 bytes, last first. */
					size_t q = len / 4;
					for (j = 4; j-- > 0;) {
						size_t a = j * q, b = j == 3 ? len : (j + 1) * q + 3;
						if (b > len)
							b = len;
						pkt s = slice(p, a, b - a);
						pl_add(&v, &s.h, s.d);
						free(s.d);
					}
				} else if (mode == 1) {
					pl_add(&v, &p->h, p->d);
					pl_add(&v, &p->h, p->d);
				} else {
					/* The second half first, the whole again later. */
					pkt s = slice(p, len / 2, len - len / 2);
					pl_add(&v, &s.h, s.d);
					free(s.d);
					pl_add(&v, &p->h, p->d);
				}
			}
			s1 = story_of(&v, DLT_EN10MB, "variant.pcap", &r1);
			ck_assert_msg(strcmp(s0, s1) == 0, "%s mode %d:\n%s\n---\n%s",
				names[k], mode, s0, s1);
			if (mode > 0)
				ck_assert_uint_gt(r1.flows[0].retransmitted[0]
					+ r1.flows[0].retransmitted[1], 0);
			ck_assert_uint_eq(r1.flows[0].missing[0] + r1.flows[0].missing[1], 0);
			free(s1);
			cap_report_free(&r1);
			pl_free(&v);
		}
		free(s0);
		cap_report_free(&r0);
		pl_free(&orig);
	}
}
END_TEST

/* Sequence numbers that wrap past 2^32 in the middle of the download. */
START_TEST(test_sequence_wrap)
{
	pktlist l = load("tls12-ok.pcap");
	cap_report r0, r1;
	char *s0 = story_of(&l, DLT_EN10MB, "orig.pcap", &r0), *s1;
	uint32_t isn[2] = { 0, 0 };
	size_t i;

	for (i = 0; i < l.n; i++) {
		unsigned char *t = tcp_of(&l.v[i]);
		int dir = (t[0] << 8 | t[1]) == 44330;
		if (t[13] & 0x02)
			isn[dir] = get32(t + 4);
	}
	for (i = 0; i < l.n; i++) {
		unsigned char *t = tcp_of(&l.v[i]);
		int dir = (t[0] << 8 | t[1]) == 44330;
		/* Put each ISN 20000 bytes before the wrap. */
		put32(t + 4, get32(t + 4) - isn[dir] - 20000);
		put32(t + 8, get32(t + 8) - isn[!dir] - 20000);
	}
	s1 = story_of(&l, DLT_EN10MB, "wrap.pcap", &r1);
	ck_assert_str_eq(s0, s1);
	ck_assert_uint_eq(r1.flows[0].app_bytes[1], r0.flows[0].app_bytes[1]);
	free(s0);
	free(s1);
	cap_report_free(&r0);
	cap_report_free(&r1);
	pl_free(&l);
}
END_TEST

/* The same packets over other link layers, and over IPv6. */
START_TEST(test_link_types)
{
	static const int dlts[] = { DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP,
		DLT_RAW, DLT_IPV4, DLT_EN10MB /* with IPv6 */ };
	pktlist l = load("tls12-unknown-ca.pcap");
	cap_report r0, r1;
	char *s0 = story_of(&l, DLT_EN10MB, "orig.pcap", &r0), *s1;
	size_t k, i;

	for (k = 0; k < sizeof dlts / sizeof dlts[0]; k++) {
		pktlist v = { NULL, 0 };
		int v6 = dlts[k] == DLT_EN10MB;

		for (i = 0; i < l.n; i++) {
			const pkt *p = &l.v[i];
			const unsigned char *ip = p->d + 14;
			size_t iplen = p->h.caplen - 14, hl = ip_hl(p), off = 0;
			unsigned char b[70000];
			struct pcap_pkthdr h = p->h;

			memset(b, 0, 64);
			switch (dlts[k]) {
			case DLT_LINUX_SLL:
				b[1] = 4; b[3] = 0x04; b[2] = 0x03; b[5] = 6;
				b[14] = 0x08;
				off = 16;
				break;
			case DLT_LINUX_SLL2:
				b[0] = 0x08; b[7] = 1; b[9] = 0x04; b[8] = 0x03; b[11] = 6;
				off = 20;
				break;
			case DLT_NULL:
				b[0] = 2;	/* AF_INET, little-endian host order */
				off = 4;
				break;
			case DLT_LOOP:
				b[3] = 2;
				off = 4;
				break;
			case DLT_EN10MB:
				b[12] = 0x86; b[13] = 0xdd;
				off = 14;
				break;
			default:
				break;
			}
			if (v6) {
				size_t plen = iplen - hl;
				unsigned char *x = b + off;
				x[0] = 0x60;
				x[4] = (unsigned char)(plen >> 8); x[5] = (unsigned char)plen;
				x[6] = 6; x[7] = 64;
				x[8] = 0xfd; memcpy(x + 20, ip + 12, 4);
				x[24] = 0xfd; memcpy(x + 36, ip + 16, 4);
				memcpy(x + 40, ip + hl, plen);
				h.caplen = h.len = (bpf_u_int32)(off + 40 + plen);
			} else {
				memcpy(b + off, ip, iplen);
				h.caplen = h.len = (bpf_u_int32)(off + iplen);
			}
			pl_add(&v, &h, b);
		}
		s1 = story_of(&v, dlts[k], "link.pcap", &r1);
		ck_assert_msg(strcmp(s0, s1) == 0, "dlt %d:\n%s\n---\n%s", dlts[k], s0, s1);
		ck_assert_int_eq(r1.flows[0].family, v6 ? 6 : 4);
		ck_assert_int_eq(r1.linktype, dlts[k]);
		free(s1);
		cap_report_free(&r1);
		pl_free(&v);
	}
	free(s0);
	cap_report_free(&r0);
	pl_free(&l);
}
END_TEST

/* Without the SYNs the roles come from the ports; a lost segment is a gap. */
START_TEST(test_no_syn_and_gap)
{
	pktlist l = load("tls12-ok.pcap"), v = { NULL, 0 };
	cap_report r;
	size_t i, dropped = 0, biggest = 0, at = 0;
	char *path;

	for (i = 0; i < l.n; i++)
		if (payload_len(&l.v[i]) > biggest) {
			biggest = payload_len(&l.v[i]);
			at = i;
		}
	for (i = 0; i < l.n; i++) {
		if (tcp_of(&l.v[i])[13] & 0x02)
			continue;
		if (i == at) {
			dropped = payload_len(&l.v[i]);
			continue;
		}
		pl_add(&v, &l.v[i].h, l.v[i].d);
	}
	path = save(&v, DLT_EN10MB, "nosyn.pcap");
	analyze_ok(path, NULL, &r);
	ck_assert_uint_eq(r.n_flows, 1);
	ck_assert_int_eq(r.flows[0].roles_by_syn, 0);
	ck_assert_uint_eq(r.flows[0].port[1], 44330);
	ck_assert_str_eq(r.flows[0].tls.client_hello.sni, "updates.rotsim.test");
	ck_assert_uint_eq(r.flows[0].missing[CAP_S2C], dropped);
	ck_assert_uint_eq(count_events(&r.flows[0], CAP_EV_GAP, CAP_S2C), 1);
	ck_assert_int_eq(r.flows[0].fin[CAP_S2C], 1);
	cap_report_free(&r);
	free(path);
	pl_free(&v);
	pl_free(&l);
}
END_TEST

/* Two connections, a flow cap of one; then a file cut in mid-record. */
START_TEST(test_limits_and_truncation)
{
	pktlist a = load("tls12-unknown-ca.pcap"), b = load("tls12-expired.pcap");
	cap_limits lim = { 1, 0, 0 };
	cap_report r;
	char *path, err[256];
	size_t i;
	struct stat st;

	for (i = 0; i < b.n; i++)
		pl_add(&a, &b.v[i].h, b.v[i].d);
	path = save(&a, DLT_EN10MB, "two.pcap");
	analyze_ok(path, NULL, &r);
	ck_assert_uint_eq(r.n_flows, 2);
	cap_report_free(&r);
	analyze_ok(path, &lim, &r);
	ck_assert_uint_eq(r.n_flows, 1);
	ck_assert_uint_eq(r.dropped, b.n);
	cap_report_free(&r);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(truncate(path, st.st_size - 10), 0);
	analyze_ok(path, NULL, &r);
	ck_assert_int_eq(r.truncated, 1);
	ck_assert_uint_eq(r.n_flows, 2);
	cap_report_free(&r);
	free(path);
	/* Not a capture at all, and a link type we do not read. */
	path = xasprintf("%s/junk.pcap", tmpdir);
	ck_assert_int_eq(util_write_atomic(path, "not a pcap file", 15, 0644, err, sizeof err), 0);
	ck_assert_int_eq(cap_analyze_file(path, NULL, &r, err, sizeof err), -1);
	ck_assert_msg(strstr(err, path) != NULL, "%s", err);
	free(path);
	pl_free(&b);
	b.n = 0;
	path = save(&b, DLT_IEEE802_11, "wifi.pcap");
	ck_assert_int_eq(cap_analyze_file(path, NULL, &r, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "not supported") != NULL, "%s", err);
	ck_assert_uint_eq(r.n_flows, 0);
	free(path);
	pl_free(&a);
}
END_TEST

/* ---- the TLS layer alone --------------------------------------------- */

static void
put16(buf_t *b, unsigned v)
{
	buf_putc(b, (int)(v >> 8));
	buf_putc(b, (int)(v & 255));
}

/* A ClientHello with SNI, supported_versions and signature_algorithms. */
static void
client_hello(buf_t *m)
{
	static const char host[] = "updates.rotsim.test";
	buf_t e = { 0 };
	size_t i;

	put16(&e, 0); put16(&e, 5 + sizeof host - 1); put16(&e, 3 + sizeof host - 1);
	buf_putc(&e, 0); put16(&e, sizeof host - 1); buf_puts(&e, host);
	put16(&e, 43); put16(&e, 5); buf_putc(&e, 4); put16(&e, 0x0304); put16(&e, 0x0303);
	put16(&e, 13); put16(&e, 6); put16(&e, 4); put16(&e, 0x0403); put16(&e, 0x0804);
	buf_putc(m, 1); buf_putc(m, 0); put16(m, (unsigned)(2 + 32 + 1 + 6 + 2 + 2 + e.len));
	put16(m, 0x0303);
	for (i = 0; i < 32; i++)
		buf_putc(m, (int)i);
	buf_putc(m, 0);
	put16(m, 4); put16(m, 0xc02b); put16(m, 0xcca9);
	buf_putc(m, 1); buf_putc(m, 0);
	put16(m, (unsigned)e.len);
	buf_append(m, e.data, e.len);
	buf_free(&e);
}

/* Records of type t holding data, cut every step bytes. */
static void
records(buf_t *out, int t, const unsigned char *d, size_t len, size_t step)
{
	size_t off;
	for (off = 0; off < len; off += step) {
		size_t n = len - off < step ? len - off : step;
		buf_putc(out, t); put16(out, 0x0301); put16(out, (unsigned)n);
		buf_append(out, d + off, n);
	}
}

/* The handshake message spans records and the stream is fed a byte at a
 * time; alerts split across records still read as one. */
START_TEST(test_tls_pieces)
{
	static const size_t steps[] = { 1, 7, 50, 16384 };
	buf_t m = { 0 };
	size_t k, i;

	client_hello(&m);
	for (k = 0; k < sizeof steps / sizeof steps[0]; k++) {
		buf_t s = { 0 };
		cap_flow f;
		cap_tls_conn c;
		static const unsigned char al[2] = { 2, 42 };

		memset(&f, 0, sizeof f);
		cap_tls_init(&c, &f, 65536);
		records(&s, 22, m.data, m.len, steps[k]);
		records(&s, 21, al, 2, steps[k] == 1 ? 1 : 2);
		for (i = 0; i < s.len; i++)
			cap_tls_feed(&c, CAP_C2S, s.data + i, 1, (cap_time)i);
		ck_assert_int_eq(f.tls.client_hello.seen, 1);
		ck_assert_str_eq(f.tls.client_hello.sni, "updates.rotsim.test");
		ck_assert_uint_eq(f.tls.client_hello.n_versions, 2);
		ck_assert_uint_eq(f.tls.client_hello.versions[0], 0x0304);
		ck_assert_uint_eq(f.tls.client_hello.n_sigalgs, 2);
		ck_assert_uint_eq(f.tls.client_hello.n_suites, 2);
		ck_assert_uint_eq(f.tls.client_hello.suites[1], 0xcca9);
		ck_assert_uint_eq(f.tls.client_hello.random[31], 31);
		ck_assert_int_eq(f.tls.alert_desc[CAP_C2S], 42);
		ck_assert_uint_eq(count_events(&f, CAP_EV_TLS_ERROR, -1), 0);
		cap_tls_clear(&c);
		cap_flow_free(&f);
		buf_free(&s);
	}
	buf_free(&m);
}
END_TEST

/* A HelloRetryRequest is told by its random, SHA-256("HelloRetryRequest"). */
START_TEST(test_hrr)
{
	buf_t m = { 0 }, s = { 0 };
	unsigned char rnd[32];
	cap_flow f;
	cap_tls_conn c;

	util_sha256(rnd, "HelloRetryRequest", 17);
	buf_putc(&m, 2); buf_putc(&m, 0); put16(&m, 2 + 32 + 1 + 2 + 1 + 2 + 6);
	put16(&m, 0x0303); buf_append(&m, rnd, 32); buf_putc(&m, 0);
	put16(&m, 0x1301); buf_putc(&m, 0);
	put16(&m, 6); put16(&m, 43); put16(&m, 2); put16(&m, 0x0304);
	records(&s, 22, m.data, m.len, 16384);
	memset(&f, 0, sizeof f);
	cap_tls_init(&c, &f, 65536);
	cap_tls_feed(&c, CAP_S2C, s.data, s.len, 1);
	ck_assert_uint_eq(f.n_events, 1);
	ck_assert_int_eq(f.events[0].hrr, 1);
	ck_assert_int_eq(f.tls.server_hello.seen, 0);
	ck_assert_int_eq(c.tls13, 0);
	/* The real ServerHello then switches the flow to TLS 1.3. */
	rnd[0] ^= 1;
	memcpy(s.data + 5 + 6, rnd, 32);
	cap_tls_feed(&c, CAP_S2C, s.data, s.len, 2);
	ck_assert_int_eq(f.tls.server_hello.seen, 1);
	ck_assert_uint_eq(f.tls.server_hello.version, 0x0304);
	ck_assert_int_eq(c.tls13, 1);
	cap_tls_clear(&c);
	cap_flow_free(&f);
	buf_free(&m);
	buf_free(&s);
}
END_TEST

START_TEST(test_not_tls_and_limits)
{
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	unsigned char big[4] = { 11, 0x10, 0, 0 };	/* a 1 MiB Certificate */
	buf_t s = { 0 };
	cap_flow f;
	cap_tls_conn c;

	memset(&f, 0, sizeof f);
	cap_tls_init(&c, &f, 65536);
	cap_tls_feed(&c, CAP_C2S, (const unsigned char *)http, sizeof http - 1, 1);
	ck_assert_uint_eq(count_events(&f, CAP_EV_NOT_TLS, CAP_C2S), 1);
	ck_assert_int_eq(f.tls.is_tls, 0);
	records(&s, 22, big, 4, 4);
	cap_tls_feed(&c, CAP_S2C, s.data, s.len, 2);
	ck_assert_uint_eq(count_events(&f, CAP_EV_TLS_ERROR, CAP_S2C), 1);
	ck_assert_uint_eq(c.t[CAP_S2C].hs.cap, 0);	/* nothing held */
	cap_tls_clear(&c);
	cap_flow_free(&f);
	buf_free(&s);
}
END_TEST

/* ---- live capture ----------------------------------------------------- */

START_TEST(test_live_loopback)
{
	char err[512], filter[64], *path = xasprintf("%s/live.pcap", tmpdir);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int ls, cs, as;
	unsigned char *chunk = xcalloc(1, 100000);
	cap_live *l, *l2;
	struct timespec t0, t1;
	cap_report r;
	uint64_t n;
	size_t got = 0;
	ssize_t k;

	ls = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(listen(ls, 1), 0);
	ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&sa, &sl), 0);
	snprintf(filter, sizeof filter, "tcp port %u", ntohs(sa.sin_port));
	if (cap_live_start("lo", filter, path, &l, err, sizeof err) != 0) {
		/* Without privileges the error must say what is missing. */
		ck_assert_msg(geteuid() != 0, "as root: %s", err);
		ck_assert_msg(strstr(err, "CAP_NET_RAW") != NULL, "%s", err);
		goto out;
	}
	ck_assert_int_eq(cap_live_start("no-such-if0", NULL, path, &l2, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no-such-if0") != NULL, "%s", err);
	ck_assert_ptr_null(l2);
	cs = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(cs, (struct sockaddr *)&sa, sizeof sa), 0);
	as = accept(ls, NULL, NULL);
	ck_assert_int_ge(as, 0);
	ck_assert_int_eq(write(cs, chunk, 100000), 100000);
	close(cs);
	while ((k = read(as, chunk, 100000)) > 0)
		got += (size_t)k;
	ck_assert_uint_eq(got, 100000);
	close(as);
	/* Stop at once: the last packets were sent just now. Stopping takes
	 * well under a second. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_msg(cap_live_stop(l, &n, err, sizeof err) == 0, "%s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000, 1000);
	ck_assert_uint_gt(n, 3);
	analyze_ok(path, NULL, &r);
	ck_assert_uint_eq(r.n_flows, 1);
	ck_assert_uint_eq(r.flows[0].payload[CAP_C2S], 100000);
	ck_assert_int_eq(r.flows[0].fin[CAP_C2S], 1);
	ck_assert_int_eq(r.flows[0].fin[CAP_S2C], 1);
	ck_assert_uint_eq(count_events(&r.flows[0], CAP_EV_NOT_TLS, CAP_C2S), 1);
	cap_report_free(&r);
out:
	ck_assert_int_eq(cap_live_stop(NULL, NULL, err, sizeof err), 0);
	close(ls);
	free(chunk);
	free(path);
}
END_TEST

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
	strcpy(tmpdir, "/tmp/rotsim-capture-XXXXXX");
}

int
main(void)
{
	Suite *s = suite_create("capture");
	TCase *tc = tcase_create("capture");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_unknown_ca);
	tcase_add_test(tc, test_ok_download);
	tcase_add_test(tc, test_server_alert_and_expired);
	tcase_add_test(tc, test_tls13);
	tcase_add_test(tc, test_reorder_retransmit_split);
	tcase_add_test(tc, test_sequence_wrap);
	tcase_add_test(tc, test_link_types);
	tcase_add_test(tc, test_no_syn_and_gap);
	tcase_add_test(tc, test_limits_and_truncation);
	tcase_add_test(tc, test_tls_pieces);
	tcase_add_test(tc, test_hrr);
	tcase_add_test(tc, test_not_tls_and_limits);
	tcase_add_test(tc, test_live_loopback);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
