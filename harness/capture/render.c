/*
 * A report as text for a person (the TLS story of each flow) and as JSON for
 * the evidence files.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "capture/cap_int.h"
#include "common/json.h"

static const char *const side[2] = { "client", "server" };

static void
fmt_addr(char *out, size_t outlen, const cap_flow *f, int which)
{
	if (inet_ntop(f->family == 4 ? AF_INET : AF_INET6, f->addr[which], out,
		(socklen_t)outlen) == NULL)
		snprintf(out, outlen, "?");
}

/* "HH:MM:SS.mmm" (UTC), or with date "YYYY-MM-DD HH:MM:SS.uuuuuu". */
static void
fmt_time(char *out, size_t outlen, cap_time t, int full)
{
	time_t s = (time_t)(t / 1000000);
	long us = (long)(t % 1000000);
	struct tm tm;

	if (us < 0) {
		us += 1000000;
		s--;
	}
	gmtime_r(&s, &tm);
	if (full == 2)
		snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	else if (full)
		snprintf(out, outlen, "%04d-%02d-%02d %02d:%02d:%02d.%06ld UTC",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour, tm.tm_min, tm.tm_sec, us);
	else
		snprintf(out, outlen, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min,
			tm.tm_sec, us / 1000);
}

typedef const char *(*namer)(unsigned);

static void
put_name(buf_t *b, namer fn, unsigned code)
{
	const char *n = fn(code);

	if (n != NULL)
		buf_puts(b, n);
	else
		buf_printf(b, "0x%04x", code);
}

static void
put_list(buf_t *b, namer fn, const uint16_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		put_name(b, fn, v[i]);
	}
}

static const char *
alert_level_name(int level)
{
	return level == CAP_ALERT_WARNING ? "warning"
		: level == CAP_ALERT_FATAL ? "fatal" : NULL;
}

static void
put_alert(buf_t *b, int level, int desc)
{
	const char *ln = alert_level_name(level), *dn = cap_alert_name(desc);

	if (ln != NULL)
		buf_puts(b, ln);
	else
		buf_printf(b, "level_%d", level);
	if (dn != NULL)
		buf_printf(b, " %s", dn);
	else
		buf_printf(b, " alert_%d", desc);
}

static void
put_chain(buf_t *b, const cap_cert *c, size_t n)
{
	size_t i;
	char hex[65];

	if (n == 0)
		buf_puts(b, " (empty)");
	for (i = 0; i < n; i++) {
		util_hex(hex, c[i].sha256, 32);
		buf_printf(b, "%s%.8s..", i == 0 ? " " : " <- ", hex);
		if (c[i].subject_cn != NULL)
			buf_printf(b, "(CN=%s)", c[i].subject_cn);
	}
}

static void
text_event(buf_t *b, const cap_flow *f, const cap_event *e, int flags, int *printed)
{
	const cap_tls *t = &f->tls;
	const char *from = side[e->dir], *to = side[!e->dir];
	char tbuf[64];

	buf_puts(b, "  ");
	if (!(flags & CAP_RENDER_NO_TIMES)) {
		fmt_time(tbuf, sizeof tbuf, e->ts, 0);
		buf_printf(b, "%s ", tbuf);
	}
	switch (e->type) {
	case CAP_EV_SYN:
		buf_printf(b, "%s SYN", from);
		break;
	case CAP_EV_SYNACK:
		buf_printf(b, "%s SYN+ACK", from);
		break;
	case CAP_EV_FIN:
		buf_printf(b, "%s FIN", from);
		break;
	case CAP_EV_RST:
		buf_printf(b, "%s RST", from);
		break;
	case CAP_EV_HANDSHAKE: {
		const char *n = cap_hs_name(e->hs_type);

		buf_printf(b, "%s -> %s  ", from, to);
		if (e->hrr)
			buf_puts(b, "HelloRetryRequest");
		else if (n != NULL)
			buf_puts(b, n);
		else
			buf_printf(b, "handshake type %d", e->hs_type);
		if (e->hs_type == CAP_HS_CLIENT_HELLO && !printed[0] && t->client_hello.seen) {
			const cap_hello *h = &t->client_hello;
			size_t i;

			printed[0] = 1;
			buf_printf(b, " sni=%s versions=", h->sni != NULL ? h->sni : "(none)");
			if (h->n_versions > 0)
				put_list(b, cap_version_name, h->versions, h->n_versions);
			else
				put_name(b, cap_version_name, h->legacy_version);
			buf_printf(b, " suites=%zu sigalgs=", h->n_suites);
			if (h->n_sigalgs > 0)
				put_list(b, cap_sigalg_name, h->sigalgs, h->n_sigalgs);
			else
				buf_puts(b, "(none)");
			for (i = 0; i < h->n_alpn; i++)
				buf_printf(b, "%s%s", i == 0 ? " alpn=" : ",", h->alpn[i]);
		} else if (e->hs_type == CAP_HS_SERVER_HELLO && !e->hrr && !printed[1]
			&& t->server_hello.seen)
		{
			const cap_hello *h = &t->server_hello;

			printed[1] = 1;
			buf_puts(b, " version=");
			put_name(b, cap_version_name, h->version);
			buf_puts(b, " suite=");
			put_name(b, cap_suite_name, h->suites[0]);
		} else if (e->hs_type == CAP_HS_CERTIFICATE && e->dir == CAP_S2C
			&& !printed[2] && t->seen_chain)
		{
			printed[2] = 1;
			buf_puts(b, " chain:");
			put_chain(b, t->chain, t->chain_len);
		} else if (e->hs_type == CAP_HS_CERTIFICATE && e->dir == CAP_C2S
			&& !printed[3] && t->client_chain != NULL)
		{
			printed[3] = 1;
			buf_puts(b, " chain:");
			put_chain(b, t->client_chain, t->client_chain_len);
		}
		break;
	}
	case CAP_EV_CCS:
		buf_printf(b, "%s -> %s  ChangeCipherSpec", from, to);
		break;
	case CAP_EV_ENC_HANDSHAKE:
		buf_printf(b, "%s -> %s  encrypted handshake record %" PRIu64 " bytes",
			from, to, e->bytes);
		break;
	case CAP_EV_ALERT:
		buf_printf(b, "%s -> %s  Alert ", from, to);
		put_alert(b, e->level, e->desc);
		break;
	case CAP_EV_ENC_ALERT:
		buf_printf(b, "%s -> %s  encrypted Alert record %" PRIu64 " bytes",
			from, to, e->bytes);
		break;
	case CAP_EV_APPDATA:
		buf_printf(b, "%s -> %s  application data %" PRIu64 " bytes in %" PRIu32
			" record%s", from, to, e->bytes, e->records, e->records == 1 ? "" : "s");
		if (!(flags & CAP_RENDER_NO_TIMES) && e->ts_last != e->ts) {
			fmt_time(tbuf, sizeof tbuf, e->ts_last, 0);
			buf_printf(b, " until %s", tbuf);
		}
		break;
	case CAP_EV_GAP:
		buf_printf(b, "%s -> %s  %" PRIu64 " bytes missing from the capture",
			from, to, e->bytes);
		break;
	case CAP_EV_NOT_TLS:
		buf_printf(b, "%s -> %s  not TLS (%s)", from, to, e->why != NULL ? e->why : "?");
		break;
	case CAP_EV_TLS_ERROR:
		buf_printf(b, "%s -> %s  TLS error: %s", from, to, e->why != NULL ? e->why : "?");
		break;
	}
	buf_putc(b, '\n');
}

static void
text_flow(buf_t *b, const cap_flow *f, size_t idx, int flags)
{
	const cap_tls *t = &f->tls;
	char a[2][64], tb[2][64];
	int printed[4] = { 0, 0, 0, 0 }, dir, any;
	size_t i;

	buf_printf(b, "flow %zu", idx);
	if (!(flags & CAP_RENDER_NO_ADDRS)) {
		fmt_addr(a[0], sizeof a[0], f, 0);
		fmt_addr(a[1], sizeof a[1], f, 1);
		buf_printf(b, f->family == 6 ? ": client [%s]:%u -> server [%s]:%u"
			: ": client %s:%u -> server %s:%u",
			a[0], f->port[0], a[1], f->port[1]);
	}
	buf_printf(b, " (roles by %s)\n", f->roles_by_syn ? "SYN" : "port");
	if (!(flags & CAP_RENDER_NO_TIMES)) {
		fmt_time(tb[0], sizeof tb[0], f->first, 1);
		fmt_time(tb[1], sizeof tb[1], f->last, 1);
		buf_printf(b, "  %s .. %s, %" PRIu64 " packets\n", tb[0], tb[1], f->packets);
	}
	for (i = 0; i < f->n_events; i++)
		text_event(b, f, &f->events[i], flags, printed);
	buf_puts(b, "  result:");
	if (t->server_hello.seen) {
		buf_puts(b, " ");
		put_name(b, cap_version_name, t->server_hello.version);
		buf_puts(b, " ");
		put_name(b, cap_suite_name, t->server_hello.suites[0]);
		buf_puts(b, ";");
	} else if (!t->is_tls) {
		buf_puts(b, " no TLS;");
	} else {
		buf_puts(b, " no ServerHello;");
	}
	for (dir = 0; dir < 2; dir++) {
		if (t->alert_seen[dir]) {
			buf_printf(b, " %s sent ", side[dir]);
			if (t->alert_encrypted[dir])
				buf_puts(b, "an encrypted alert;");
			else {
				buf_puts(b, "alert ");
				put_alert(b, t->alert_level[dir], t->alert_desc[dir]);
				buf_puts(b, ";");
			}
		}
	}
	buf_printf(b, " application data client->server %" PRIu64
		" bytes, server->client %" PRIu64 " bytes%s;", f->app_bytes[0], f->app_bytes[1],
		t->server_hello.seen && t->server_hello.version == 0x0304
		? " (with the encrypted TLS 1.3 handshake)" : "");
	buf_puts(b, " closed:");
	any = 0;
	for (dir = 0; dir < 2; dir++) {
		if (f->fin[dir]) {
			buf_printf(b, "%s %s FIN", any ? "," : "", side[dir]);
			any = 1;
		}
		if (f->rst[dir]) {
			buf_printf(b, "%s %s RST", any ? "," : "", side[dir]);
			any = 1;
		}
	}
	if (!any)
		buf_puts(b, " not seen");
	buf_putc(b, '\n');
	if (f->retransmitted[0] + f->retransmitted[1] + f->missing[0] + f->missing[1] > 0)
		buf_printf(b, "  tcp: retransmitted %" PRIu64 "/%" PRIu64 " bytes, missing %"
			PRIu64 "/%" PRIu64 " bytes (client->server/server->client)\n",
			f->retransmitted[0], f->retransmitted[1], f->missing[0], f->missing[1]);
}

/* see capture.h */
void
cap_render_text(const cap_report *r, int flags, buf_t *b)
{
	const char *ln = cap_linktype_name(r->linktype);
	size_t i;

	buf_printf(b, "capture: link type %s, %" PRIu64 " packets, %zu TCP flow%s",
		ln != NULL ? ln : "?", r->packets, r->n_flows, r->n_flows == 1 ? "" : "s");
	if (r->skipped > 0)
		buf_printf(b, ", %" PRIu64 " packets not TCP or not readable", r->skipped);
	if (r->dropped > 0)
		buf_printf(b, ", %" PRIu64 " packets over the flow limit", r->dropped);
	if (r->truncated)
		buf_puts(b, ", the file is truncated");
	buf_putc(b, '\n');
	for (i = 0; i < r->n_flows; i++) {
		buf_putc(b, '\n');
		text_flow(b, &r->flows[i], i + 1, flags);
	}
}

/* ---- JSON ---------------------------------------------------------------- */

static void
json_str(buf_t *b, const char *s)
{
	/* The one escaper (sim/common/json.h): valid UTF-8 passes, bad bytes
	 * become U+FFFD, NULL is null. */
	json_put_str(b, s);
}

static void
json_codes(buf_t *b, const char *key, namer fn, const uint16_t *v, size_t n)
{
	size_t i;

	buf_printf(b, ", \"%s\": [", key);
	for (i = 0; i < n; i++) {
		const char *name = fn(v[i]);
		buf_printf(b, "%s{\"code\": %u, \"name\": ", i == 0 ? "" : ", ", v[i]);
		json_str(b, name);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
json_hello(buf_t *b, const cap_hello *h, int client)
{
	char hex[65];
	size_t i;

	if (!h->seen) {
		buf_puts(b, "null");
		return;
	}
	buf_printf(b, "{\"legacy_version\": %u", h->legacy_version);
	buf_printf(b, ", \"random\": \"%s\"", util_hex(hex, h->random, 32));
	if (client) {
		buf_puts(b, ", \"sni\": ");
		json_str(b, h->sni);
		json_codes(b, "versions", cap_version_name, h->versions, h->n_versions);
		json_codes(b, "suites", cap_suite_name, h->suites, h->n_suites);
		json_codes(b, "sigalgs", cap_sigalg_name, h->sigalgs, h->n_sigalgs);
		json_codes(b, "groups", cap_group_name, h->groups, h->n_groups);
		buf_puts(b, ", \"alpn\": [");
		for (i = 0; i < h->n_alpn; i++) {
			if (i > 0)
				buf_puts(b, ", ");
			json_str(b, h->alpn[i]);
		}
		buf_putc(b, ']');
	} else {
		buf_printf(b, ", \"version\": %u, \"version_name\": ", h->version);
		json_str(b, cap_version_name(h->version));
		buf_printf(b, ", \"suite\": %u, \"suite_name\": ", h->suites[0]);
		json_str(b, cap_suite_name(h->suites[0]));
	}
	buf_putc(b, '}');
}

static void
json_chain(buf_t *b, const cap_cert *c, size_t n)
{
	char hex[65];
	size_t i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		buf_printf(b, "%s\n      {\"sha256\": \"%s\", \"der_len\": %zu, \"subject_cn\": ",
			i == 0 ? "" : ",", util_hex(hex, c[i].sha256, 32), c[i].der_len);
		json_str(b, c[i].subject_cn);
		buf_puts(b, ", \"issuer_cn\": ");
		json_str(b, c[i].issuer_cn);
		buf_putc(b, '}');
	}
	buf_putc(b, ']');
}

static void
json_event(buf_t *b, const cap_event *e)
{
	char tb[64];

	fmt_time(tb, sizeof tb, e->ts, 2);
	buf_printf(b, "{\"t_us\": %" PRId64 ", \"time\": \"%s\", \"from\": \"%s\", "
		"\"event\": ", e->ts, tb, side[e->dir]);
	json_str(b, cap_ev_name(e->type));
	switch (e->type) {
	case CAP_EV_HANDSHAKE:
		buf_printf(b, ", \"type\": %d, \"name\": ", e->hs_type);
		json_str(b, e->hrr ? "HelloRetryRequest" : cap_hs_name(e->hs_type));
		buf_printf(b, ", \"bytes\": %" PRIu64, e->bytes);
		break;
	case CAP_EV_ALERT:
		buf_printf(b, ", \"level\": %d, \"level_name\": ", e->level);
		json_str(b, alert_level_name(e->level));
		buf_printf(b, ", \"desc\": %d, \"desc_name\": ", e->desc);
		json_str(b, cap_alert_name(e->desc));
		break;
	case CAP_EV_APPDATA:
		buf_printf(b, ", \"bytes\": %" PRIu64 ", \"records\": %" PRIu32
			", \"t_last_us\": %" PRId64, e->bytes, e->records, e->ts_last);
		break;
	case CAP_EV_ENC_ALERT:
	case CAP_EV_ENC_HANDSHAKE:
	case CAP_EV_GAP:
		buf_printf(b, ", \"bytes\": %" PRIu64, e->bytes);
		break;
	case CAP_EV_NOT_TLS:
	case CAP_EV_TLS_ERROR:
		buf_puts(b, ", \"why\": ");
		json_str(b, e->why);
		break;
	default:
		break;
	}
	buf_putc(b, '}');
}

static void
json_flow(buf_t *b, const cap_flow *f)
{
	const cap_tls *t = &f->tls;
	char a[2][64], tb[2][64];
	size_t i;
	int dir;

	fmt_addr(a[0], sizeof a[0], f, 0);
	fmt_addr(a[1], sizeof a[1], f, 1);
	fmt_time(tb[0], sizeof tb[0], f->first, 2);
	fmt_time(tb[1], sizeof tb[1], f->last, 2);
	buf_printf(b, "{\"client\": \"%s\", \"client_port\": %u, \"server\": \"%s\", "
		"\"server_port\": %u, \"roles_by\": \"%s\",\n", a[0], f->port[0], a[1],
		f->port[1], f->roles_by_syn ? "syn" : "port");
	buf_printf(b, "   \"first\": \"%s\", \"last\": \"%s\", \"first_us\": %" PRId64
		", \"last_us\": %" PRId64 ", \"packets\": %" PRIu64 ",\n",
		tb[0], tb[1], f->first, f->last, f->packets);
	buf_printf(b, "   \"payload\": {\"c2s\": %" PRIu64 ", \"s2c\": %" PRIu64 "}, "
		"\"app_bytes\": {\"c2s\": %" PRIu64 ", \"s2c\": %" PRIu64 "}, "
		"\"retransmitted\": {\"c2s\": %" PRIu64 ", \"s2c\": %" PRIu64 "}, "
		"\"missing\": {\"c2s\": %" PRIu64 ", \"s2c\": %" PRIu64 "},\n",
		f->payload[0], f->payload[1], f->app_bytes[0], f->app_bytes[1],
		f->retransmitted[0], f->retransmitted[1], f->missing[0], f->missing[1]);
	buf_printf(b, "   \"closed\": {\"client\": %s, \"server\": %s},\n",
		f->rst[0] ? "\"rst\"" : f->fin[0] ? "\"fin\"" : "null",
		f->rst[1] ? "\"rst\"" : f->fin[1] ? "\"fin\"" : "null");
	buf_printf(b, "   \"tls\": {\"is_tls\": %s,\n    \"client_hello\": ",
		t->is_tls ? "true" : "false");
	json_hello(b, &t->client_hello, 1);
	buf_puts(b, ",\n    \"server_hello\": ");
	json_hello(b, &t->server_hello, 0);
	buf_puts(b, ",\n    \"chain\": ");
	if (t->seen_chain)
		json_chain(b, t->chain, t->chain_len);
	else
		buf_puts(b, "null");
	buf_puts(b, ",\n    \"client_chain\": ");
	if (t->client_chain != NULL)
		json_chain(b, t->client_chain, t->client_chain_len);
	else
		buf_puts(b, "null");
	buf_printf(b, ",\n    \"server_key_exchange\": %s, \"certificate_request\": %s, "
		"\"server_hello_done\": %s,\n",
		t->seen_server_key_exchange ? "true" : "false",
		t->seen_certificate_request ? "true" : "false",
		t->seen_server_hello_done ? "true" : "false");
	buf_printf(b, "    \"ccs\": {\"client\": %s, \"server\": %s}, "
		"\"finished\": {\"client\": %s, \"server\": %s},\n",
		t->ccs[0] ? "true" : "false", t->ccs[1] ? "true" : "false",
		t->finished[0] ? "true" : "false", t->finished[1] ? "true" : "false");
	buf_puts(b, "    \"first_alert\": {");
	for (dir = 0; dir < 2; dir++) {
		buf_printf(b, "%s\"%s\": ", dir == 0 ? "" : ", ", side[dir]);
		if (!t->alert_seen[dir]) {
			buf_puts(b, "null");
		} else if (t->alert_encrypted[dir]) {
			buf_puts(b, "{\"encrypted\": true}");
		} else {
			buf_printf(b, "{\"encrypted\": false, \"level\": %d, \"desc\": %d, "
				"\"desc_name\": ", t->alert_level[dir], t->alert_desc[dir]);
			json_str(b, cap_alert_name(t->alert_desc[dir]));
			buf_putc(b, '}');
		}
	}
	buf_puts(b, "}},\n   \"events\": [");
	for (i = 0; i < f->n_events; i++) {
		buf_puts(b, i == 0 ? "\n    " : ",\n    ");
		json_event(b, &f->events[i]);
	}
	buf_puts(b, "]}");
}

/* see capture.h */
void
cap_render_json(const cap_report *r, buf_t *b)
{
	size_t i;

	buf_puts(b, "{\"linktype\": ");
	json_str(b, cap_linktype_name(r->linktype));
	buf_printf(b, ", \"packets\": %" PRIu64 ", \"skipped\": %" PRIu64
		", \"dropped\": %" PRIu64 ", \"truncated\": %s,\n \"flows\": [",
		r->packets, r->skipped, r->dropped, r->truncated ? "true" : "false");
	for (i = 0; i < r->n_flows; i++) {
		buf_puts(b, i == 0 ? "\n  " : ",\n  ");
		json_flow(b, &r->flows[i]);
	}
	buf_puts(b, "]}\n");
}
