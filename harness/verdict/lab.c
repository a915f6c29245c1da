/*
 * The lab network's evidence for the verdict. See lab.h.
 */
#include "verdict/lab.h"
#include "common/json.h"
#include "common/util.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* see lab.h */
void
verdict_lab_free(verdict_lab *lab)
{
	if (lab == NULL)
		return;
	free(lab->problem);
	memset(lab, 0, sizeof *lab);
}

static void
set_problem(verdict_lab *lab, const char *fmt, const char *what)
{
	if (lab->problem == NULL)
		lab->problem = xasprintf(fmt, what);
}

/* One sink line: "dst" and "proto" become "A:P/proto", kept once. */
static void
sink_line(verdict_lab *lab, const char *line, size_t len)
{
	char err[64], entry[40];
	json *j = json_parse(line, len, err, sizeof err);
	const char *dst, *proto;
	size_t i;

	if (j == NULL)
		return;
	dst = json_get_str(j, "dst");
	proto = json_get_str(j, "proto");
	if (dst != NULL && proto != NULL && strlen(dst) < 24 && strlen(proto) < 8) {
		lab->nsink++;
		snprintf(entry, sizeof entry, "%s/%s", dst, proto);
		for (i = 0; i < lab->nsink_distinct; i++)
			if (strcmp(lab->sink[i], entry) == 0)
				break;
		if (i == lab->nsink_distinct && i < VLAB_MAX_SINK)
			memcpy(lab->sink[lab->nsink_distinct++], entry, sizeof entry);
	}
	json_free(j);
}

/* see lab.h */
void
verdict_lab_parse(verdict_lab *lab, const char *lab_json, size_t lab_len, const char *sink,
	size_t sink_len)
{
	char err[128];
	json *j;
	const char *s;
	int64_t v;
	struct in_addr a;

	if (lab_json != NULL) {
		lab->present = 1;
		j = json_parse(lab_json, lab_len, err, sizeof err);
		if (j == NULL || j->type != JSON_OBJECT) {
			set_problem(lab, "lab.json: %s", j == NULL ? err : "not an object");
		} else {
			s = json_get_str(j, "server_addr");
			if (s != NULL && strlen(s) < sizeof lab->server_addr
				&& inet_pton(AF_INET, s, &a) == 1) {
				snprintf(lab->server_addr, sizeof lab->server_addr, "%s", s);
				lab->server_ip = a.s_addr;
			} else {
				set_problem(lab, "lab.json: %s", "no server_addr");
			}
			if (json_get_int(j, "server_port", &v) == 0 && v > 0 && v < 65536)
				lab->server_port = (int)v;
			else
				set_problem(lab, "lab.json: %s", "no server_port");
			s = json_get_str(j, "host");
			if (s != NULL && strlen(s) < sizeof lab->host)
				snprintf(lab->host, sizeof lab->host, "%s", s);
		}
		json_free(j);
	}
	while (sink != NULL && sink_len > 0) {
		const char *nl = memchr(sink, '\n', sink_len);
		size_t n = nl != NULL ? (size_t)(nl - sink) : sink_len;

		if (n > 0)
			sink_line(lab, sink, n);
		sink += n;
		sink_len -= n;
		if (nl != NULL) {
			sink++;
			sink_len--;
		}
	}
}

/* see lab.h */
void
verdict_lab_add_capture(verdict_lab *lab, const cap_lab_report *rep)
{
	size_t i, k;

	for (i = 0; i < rep->n; i++) {
		const cap_lab_msg *m = &rep->msgs[i];
		if (!m->ok)
			continue;
		if (m->kind == CAP_LAB_DHCP && m->u.dhcp.op == 2 && m->u.dhcp.type == 5)
			lab->dhcp_acks++;
		else if (m->kind == CAP_LAB_DNS && lab->host[0]
			&& strcasecmp(m->u.dns.qname, lab->host) == 0) {
			const cap_dns *d = &m->u.dns;
			if (!d->response) {
				lab->dns_questions++;
				continue;
			}
			lab->dns_answers++;
			if (d->rcode == 3)
				lab->dns_nxdomain++;
			/* How long after its question (same id, from the device). */
			for (k = i; k-- > 0;) {
				const cap_lab_msg *q = &rep->msgs[k];
				if (q->ok && q->kind == CAP_LAB_DNS && !q->u.dns.response
					&& q->u.dns.id == d->id && q->src == m->dst) {
					long long ms = (m->ts - q->ts) / 1000;
					if (ms > lab->dns_delay_ms)
						lab->dns_delay_ms = ms;
					break;
				}
			}
			for (int a = 0; a < d->n_addr && !lab->dns_got[0]; a++)
				if (d->addr_family[a] == 4)
					inet_ntop(AF_INET, d->addr[a], lab->dns_got, sizeof lab->dns_got);
		} else if (m->kind == CAP_LAB_NTP) {
			const cap_ntp *n = &m->u.ntp;
			if (n->mode == 3) {
				if (lab->ntp_requests++ == 0)
					lab->ntp_first_dst = m->dst;
			} else if (n->mode == 4) {
				lab->ntp_answers++;
				if (n->kiss[0] && !lab->ntp_kiss[0])
					memcpy(lab->ntp_kiss, n->kiss, sizeof lab->ntp_kiss);
				else if (!n->kiss[0] && n->transmit != 0 && lab->ntp_time == 0)
					lab->ntp_time = n->transmit;
			}
		}
	}
}

/* see lab.h */
void
verdict_lab_load(const char *dir, const char *const *captures, size_t ncaptures,
	verdict_lab *lab)
{
	size_t jl = 0, sl = 0, i;
	char *j, *s;

	memset(lab, 0, sizeof *lab);
	j = util_slurp(dir, "lab.json", &jl);
	if (j == NULL)
		return;
	s = util_slurp(dir, "sink.jsonl", &sl);
	verdict_lab_parse(lab, j, jl, s, sl);
	for (i = 0; i < ncaptures; i++) {
		cap_lab_report rep;
		char err[256], *p = xasprintf("%s/%s", dir, captures[i]);
		if (cap_lab_analyze_file(p, &rep, err, sizeof err) == 0)
			verdict_lab_add_capture(lab, &rep);
		cap_lab_free(&rep);
		free(p);
	}
	free(j);
	free(s);
}

static void
sep(buf_t *out)
{
	if (out->len > 0)
		buf_puts(out, "; ");
}

/* see lab.h */
void
verdict_lab_story(const verdict_lab *lab, int64_t phase_date, const char *device_clock,
	buf_t *out)
{
	char d[40], ip[INET_ADDRSTRLEN];
	const char *clk = device_clock != NULL && device_clock[0] ? device_clock : NULL;

	if (!lab->present)
		return;
	if (lab->dhcp_acks == 0) {
		sep(out);
		buf_puts(out, "no DHCP lease");
	}
	/* DNS: what the device was told about its update host. */
	if (lab->host[0]) {
		if (lab->dns_nxdomain > 0 && !lab->dns_got[0]) {
			sep(out);
			buf_printf(out, "DNS NXDOMAIN for %s", lab->host);
		} else if (lab->dns_got[0]) {
			sep(out);
			buf_printf(out, "resolved %s, got %s", lab->host, lab->dns_got);
			if (lab->server_addr[0] && strcmp(lab->dns_got, lab->server_addr) != 0)
				buf_printf(out, " (the update server is %s)", lab->server_addr);
			if (lab->dns_delay_ms >= 1000)
				buf_printf(out, " after %lld.%lld s", lab->dns_delay_ms / 1000,
					lab->dns_delay_ms % 1000 / 100);
		} else if (lab->dns_questions > 0) {
			sep(out);
			buf_printf(out, "no DNS answer for %s (%d question(s))", lab->host,
				lab->dns_questions);
		}
	}
	/* NTP: the time the network gave, if the device asked. */
	if (lab->ntp_requests > 0) {
		sep(out);
		inet_ntop(AF_INET, &lab->ntp_first_dst, ip, sizeof ip);
		if (lab->ntp_kiss[0])
			buf_printf(out, "NTP kiss-of-death %s from %s", lab->ntp_kiss, ip);
		else if (lab->ntp_time == 0)
			buf_printf(out, "no NTP answer from %s (%d request(s))", ip,
				lab->ntp_requests);
		else if (phase_date != 0 && (lab->ntp_time - phase_date > 86400
			|| phase_date - lab->ntp_time > 86400))
			buf_printf(out, "NTP served %s, not the phase's date",
				simtime_format(d, sizeof d, lab->ntp_time));
		else
			buf_printf(out, "NTP served %s", simtime_format(d, sizeof d, lab->ntp_time));
		if (clk != NULL && (lab->ntp_kiss[0] || lab->ntp_time == 0))
			buf_printf(out, ": clock at %s", clk);
	}
	/* Where else it went. */
	if (lab->nsink_distinct > 0) {
		sep(out);
		buf_puts(out, "tried ");
		for (size_t i = 0; i < lab->nsink_distinct; i++)
			buf_printf(out, "%s%s", i ? ", " : "", lab->sink[i]);
		buf_printf(out, " (sink%s)", lab->nsink > lab->nsink_distinct ? ", repeated" : "");
	}
}
