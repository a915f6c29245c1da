/*
 * The evidence of the files and hawkbit protocols (see proto.h).
 */
#include "verdict/proto.h"
#include "common/json.h"
#include "common/util.h"
#include "server/ddi.h"

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* At most this many request events are kept: a phase has a few dozen. */
#define VP_MAX_REQS 4096
#define VP_MAX_BOOTS 16

/* see proto.h */
const char *
verdict_protocol_name(verdict_protocol p)
{
	switch (p) {
	case VPROTO_FILES: return "files";
	case VPROTO_HAWKBIT: return "hawkbit";
	default: return "rotsim";
	}
}

static int
protocol_of(const char *name, verdict_protocol *p)
{
	if (strcmp(name, "rotsim") == 0)
		*p = VPROTO_ROTSIM;
	else if (strcmp(name, "files") == 0)
		*p = VPROTO_FILES;
	else if (strcmp(name, "hawkbit") == 0)
		*p = VPROTO_HAWKBIT;
	else
		return -1;
	return 0;
}

static char *
dup_str(const json *j, const char *key)
{
	const char *s = json_get_str(j, key);

	return s != NULL ? xstrdup(s) : NULL;
}

static uint64_t
get_u64(const json *j, const char *key)
{
	int64_t v;

	return json_get_int(j, key, &v) == 0 && v > 0 ? (uint64_t)v : 0;
}

static void
set_problem(verdict_proto *vp, const char *fmt, const char *a, const char *b)
{
	if (vp->problem == NULL)
		vp->problem = xasprintf(fmt, a, b);
}

/* The signal "KIND:ARG". */
static void
parse_signal(verdict_proto *vp, const char *sig)
{
	static const struct {
		const char *prefix;
		verdict_signal kind;
	} kinds[] = {
		{ "checkin:", VSIG_CHECKIN }, { "request:", VSIG_REQUEST },
		{ "console:", VSIG_CONSOLE },
	};
	size_t i;

	vp->signal_text = xstrdup(sig);
	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(sig, kinds[i].prefix, n) == 0 && sig[n] != 0) {
			vp->signal = kinds[i].kind;
			vp->signal_arg = xstrdup(sig + n);
			return;
		}
	}
	set_problem(vp, "protocol.json: signal \"%.80s\" is not checkin:PATH, "
		"request:PATTERN or console:TEXT%s", sig, "");
}

static void
add_request(verdict_proto *vp, const json *j)
{
	vp_request *q;
	int64_t v;

	if (vp->nreqs >= VP_MAX_REQS)
		return;
	vp->reqs = xrealloc(vp->reqs, (vp->nreqs + 1) * sizeof *vp->reqs);
	q = &vp->reqs[vp->nreqs++];
	memset(q, 0, sizeof *q);
	q->conn = json_get_int(j, "conn", &v) == 0 ? (long)v : -1;
	q->status = json_get_int(j, "status", &v) == 0 ? (long)v : -1;
	q->method = dup_str(j, "method");
	q->path = dup_str(j, "path");
	q->image = dup_str(j, "image");
	q->offset = get_u64(j, "offset");
	q->bytes = get_u64(j, "bytes");
	q->size = get_u64(j, "size");
	q->report = dup_str(j, "report");
	q->feedback = dup_str(j, "feedback_body");
}

/* see proto.h */
void
verdict_proto_parse(verdict_proto *vp, const char *proto_json, size_t plen,
	const char *events, size_t elen)
{
	char err[96];
	const char *listen_proto = NULL;
	json *pj = NULL, *lj = NULL;
	size_t off = 0;
	int have_proto = 0;

	memset(vp, 0, sizeof *vp);
	if (proto_json != NULL) {
		const char *p;

		pj = json_parse(proto_json, plen, err, sizeof err);
		if (pj == NULL || pj->type != JSON_OBJECT) {
			set_problem(vp, "protocol.json: not a JSON object (%s)%s",
				pj == NULL ? err : "", "");
		} else if ((p = json_get_str(pj, "protocol")) == NULL
			|| protocol_of(p, &vp->protocol) != 0) {
			set_problem(vp, "protocol.json: protocol \"%.40s\" is not rotsim, files "
				"or hawkbit%s", p != NULL ? p : "(none)", "");
		} else {
			const char *sig = json_get_str(pj, "signal");

			have_proto = 1;
			vp->image_path = dup_str(pj, "image_path");
			if (sig != NULL && sig[0] != 0)
				parse_signal(vp, sig);
		}
	}
	while (events != NULL && off < elen) {
		size_t end = off;
		json *j;
		const char *ev;

		while (end < elen && events[end] != '\n')
			end++;
		j = end > off ? json_parse(events + off, end - off, err, sizeof err) : NULL;
		off = end + 1;
		if (j == NULL || j->type != JSON_OBJECT || (ev = json_get_str(j, "event")) == NULL) {
			json_free(j);
			continue;
		}
		if (strcmp(ev, "request") == 0) {
			add_request(vp, j);
		} else if (strcmp(ev, "listen") == 0 && lj == NULL) {
			lj = j;
			j = NULL;
			listen_proto = json_get_str(lj, "protocol");
		}
		json_free(j);
	}
	/* The server says what it spoke; the plan and the server must agree. */
	if (listen_proto != NULL) {
		verdict_protocol sp;

		if (protocol_of(listen_proto, &sp) != 0)
			set_problem(vp, "the server's events name an unknown protocol \"%.40s\"%s",
				listen_proto, "");
		else if (!have_proto)
			vp->protocol = sp;
		else if (sp != vp->protocol)
			set_problem(vp, "protocol.json says %s but the server spoke %s",
				verdict_protocol_name(vp->protocol), listen_proto);
		if (vp->image_path == NULL && json_get_str(lj, "image_path") != NULL)
			vp->image_path = dup_str(lj, "image_path");
	}
	json_free(pj);
	json_free(lj);
}

/* see proto.h */
void
verdict_proto_add_boot(verdict_proto *vp, const char *text, size_t len)
{
	if (vp->nboots >= VP_MAX_BOOTS)
		return;
	vp->boots = xrealloc(vp->boots, (vp->nboots + 1) * sizeof *vp->boots);
	vp->boots[vp->nboots] = xmalloc(len + 1);
	memcpy(vp->boots[vp->nboots], text, len);
	vp->boots[vp->nboots][len] = 0;
	vp->nboots++;
}

/* see proto.h */
void
verdict_proto_load(const char *dir, verdict_proto *vp)
{
	size_t plen = 0, elen = 0, i;
	char *pj = util_slurp(dir, "protocol.json", &plen), *ev = util_slurp(dir, "server-events.jsonl",
		&elen);

	verdict_proto_parse(vp, pj, plen, ev, elen);
	free(pj);
	free(ev);
	for (i = 0; i < VP_MAX_BOOTS; i++) {
		char name[32], *t;
		size_t len;

		snprintf(name, sizeof name, "console-%zu.log", i);
		if ((t = util_slurp(dir, name, &len)) == NULL)
			break;
		verdict_proto_add_boot(vp, t, len);
		free(t);
	}
}

/* see proto.h */
void
verdict_proto_free(verdict_proto *vp)
{
	size_t i;

	if (vp == NULL)
		return;
	for (i = 0; i < vp->nreqs; i++) {
		free(vp->reqs[i].method);
		free(vp->reqs[i].path);
		free(vp->reqs[i].image);
		free(vp->reqs[i].report);
		free(vp->reqs[i].feedback);
	}
	free(vp->reqs);
	for (i = 0; i < vp->nboots; i++)
		free(vp->boots[i]);
	free(vp->boots);
	free(vp->problem);
	free(vp->image_path);
	free(vp->signal_arg);
	free(vp->signal_text);
	memset(vp, 0, sizeof *vp);
}

/* ---- the facts ---- */

typedef struct {
	uint64_t a, b;			/* [a, b) */
} span;

static int
span_cmp(const void *x, const void *y)
{
	const span *p = x, *q = y;

	return p->a < q->a ? -1 : p->a > q->a;
}

/* Bytes of [0, size) the spans cover, each byte once. Sorts s. */
static uint64_t
covered(span *s, size_t n, uint64_t size)
{
	uint64_t total = 0, end = 0;
	size_t i;

	qsort(s, n, sizeof *s, span_cmp);
	for (i = 0; i < n; i++) {
		uint64_t a = s[i].a > end ? s[i].a : end, b = s[i].b < size ? s[i].b : size;

		if (b > a)
			total += b - a;
		if (s[i].b > end)
			end = s[i].b;
	}
	return total;
}

/* text with every "{version}" replaced by v, allocated. */
static char *
with_version(const char *text, long v)
{
	buf_t b = {0};
	const char *p = text, *q;
	char *out;

	while ((q = strstr(p, "{version}")) != NULL) {
		buf_append(&b, p, (size_t)(q - p));
		buf_printf(&b, "%ld", v);
		p = q + 9;
	}
	buf_puts(&b, p);
	out = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return out;
}

/* The version a check-in names: "version=N" in the query or the body
 * (a word), or a body line "version N". -1 if none. */
static long
checkin_version(const char *path, const char *body)
{
	const char *srcs[2] = { path != NULL ? strchr(path, '?') : NULL, body };
	size_t k;

	for (k = 0; k < 2; k++) {
		const char *p;

		for (p = srcs[k]; p != NULL && (p = strstr(p, "version")) != NULL; p += 7) {
			const char *start = k == 0 ? srcs[0] : body;
			char *end;
			long v;

			if (p != start && strchr("?&\n ", p[-1]) == NULL)
				continue;
			if (p[7] != '=' && !(k == 1 && p[7] == ' '))
				continue;
			if (p[8] < '0' || p[8] > '9')
				continue;
			v = strtol(p + 8, &end, 10);
			if (*end == 0 || strchr("&\n \r", *end) != NULL)
				return v;
		}
	}
	return -1;
}

static int
conn_seen(long *seen, size_t *n, long conn)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (seen[i] == conn)
			return 1;
	if (*n < 64)
		seen[(*n)++] = conn;
	return 0;
}

/* Does a request match the signal's pattern? */
static int
pattern_match(const char *pat, const char *path)
{
	regex_t re;
	int m;

	if (pat[0] != '^')
		return strncmp(path, pat, strlen(pat)) == 0;
	if (regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	m = regexec(&re, path, 0, NULL, 0) == 0;
	regfree(&re);
	return m;
}

/* Is request q the feedback of action a (".../deploymentBase/A/feedback")? */
static int
feedback_of(const vp_request *q, long a)
{
	char tail[64];
	size_t pl, tl;

	if (q->path == NULL || q->feedback == NULL || q->status != 200)
		return 0;
	snprintf(tail, sizeof tail, "/deploymentBase/%ld/feedback", a);
	pl = strcspn(q->path, "?");
	tl = strlen(tail);
	return pl >= tl && strncmp(q->path + pl - tl, tail, tl) == 0;
}

/* The signal seen in request q, standing for version v. */
static void
note_signal(verdict_proto_facts *f, const vp_request *q, long v)
{
	char *c;

	f->signal_seen = 1;
	f->signal_version = v;
	snprintf(f->signal_detail, sizeof f->signal_detail, "%s %.160s%s%.40s",
		q->method != NULL ? q->method : "?", q->path,
		q->report != NULL ? " with body " : "", q->report != NULL ? q->report : "");
	for (c = f->signal_detail; *c != 0; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			*c = ' ';
}

/* see proto.h */
void
verdict_proto_facts_of(const verdict_proto *vp, long offered, long image_size,
	verdict_proto_facts *f)
{
	char img[40];
	span *spans = NULL;
	size_t ns = 0, i, nseen = 0;
	long seen[64];
	char *arg = NULL;

	memset(f, 0, sizeof *f);
	f->complete_at = -1;
	f->closed_at = -1;
	f->signal_version = -1;
	snprintf(img, sizeof img, "image-%ld.bin", offered);
	for (i = 0; i < vp->nreqs; i++) {
		const vp_request *q = &vp->reqs[i];

		if (q->image == NULL || strcmp(q->image, img) != 0 || q->method == NULL
			|| strcmp(q->method, "GET") != 0 || (q->status != 200 && q->status != 206)
			|| q->bytes == 0 || image_size <= 0 || q->size != (uint64_t)image_size)
			continue;
		f->image_requests++;
		f->image_bytes += q->bytes;
		spans = xrealloc(spans, (ns + 1) * sizeof *spans);
		spans[ns].a = q->offset;
		spans[ns].b = q->offset + q->bytes < q->offset ? UINT64_MAX : q->offset + q->bytes;
		ns++;
		if (f->complete_at < 0) {
			span *tmp = xmemdup(spans, ns * sizeof *spans);

			f->covered = covered(tmp, ns, (uint64_t)image_size);
			free(tmp);
			if (f->covered == (uint64_t)image_size)
				f->complete_at = (long)i;
		}
	}
	if (f->complete_at < 0 && ns > 0)
		f->covered = covered(spans, ns, (uint64_t)image_size);
	free(spans);
	if (vp->signal_arg != NULL)
		arg = with_version(vp->signal_arg, offered);
	for (i = 0; i < vp->nreqs; i++) {
		const vp_request *q = &vp->reqs[i];
		int after = f->complete_at >= 0 && (long)i > f->complete_at;

		if (vp->protocol == VPROTO_FILES && arg != NULL && q->path != NULL
			&& q->status >= 200 && q->status < 300) {
			if (vp->signal == VSIG_CHECKIN) {
				size_t pl = strcspn(q->path, "?");
				long v;

				if (pl != strlen(arg) || strncmp(q->path, arg, pl) != 0)
					continue;
				if (!conn_seen(seen, &nseen, q->conn))
					f->signal_conns++;
				v = checkin_version(q->path, q->report);
				if (after)
					note_signal(f, q, v);
			} else if (vp->signal == VSIG_REQUEST && after
				&& pattern_match(arg, q->path)) {
				note_signal(f, q, offered);
			}
		}
		if (vp->protocol == VPROTO_HAWKBIT && feedback_of(q, offered)) {
			srv_ddi_feedback fb;
			char err[128];

			if (srv_ddi_feedback_parse(&fb, q->feedback, strlen(q->feedback), err,
				sizeof err) != 0)
				continue;
			f->feedbacks++;
			if (strcmp(fb.execution, "closed") == 0) {
				snprintf(f->finished, sizeof f->finished, "%s", fb.finished);
				snprintf(f->detail, sizeof f->detail, "%s", fb.detail);
				f->closed_at = (long)i;
			}
		}
	}
	if (vp->protocol == VPROTO_FILES && vp->signal == VSIG_CONSOLE && arg != NULL) {
		for (i = 1; i < vp->nboots; i++) {
			if (strstr(vp->boots[i], arg) != NULL) {
				f->signal_seen = 1;
				f->signal_version = offered;
				snprintf(f->signal_detail, sizeof f->signal_detail,
					"\"%.120s\" on the console of boot %zu", arg, i + 1);
				break;
			}
		}
	}
	free(arg);
}
