/*
 * HTTP/1.1 request parsing (see http.h).
 */
#include "server/http.h"

#include <string.h>
#include <strings.h>

static const struct {
	int status;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 206, "Partial Content" },
	{ 400, "Bad Request" },
	{ 404, "Not Found" },
	{ 405, "Method Not Allowed" },
	{ 408, "Request Timeout" },
	{ 413, "Content Too Large" },
	{ 414, "URI Too Long" },
	{ 416, "Range Not Satisfiable" },
	{ 431, "Request Header Fields Too Large" },
	{ 500, "Internal Server Error" },
	{ 501, "Not Implemented" },
	{ 502, "Bad Gateway" },
	{ 503, "Service Unavailable" },
	{ 504, "Gateway Timeout" },
	{ 505, "HTTP Version Not Supported" },
};

/* see http.h */
const char *
srv_http_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

/* RFC 9110 tchar. */
static int
is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
		|| (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* Visible ASCII, space, tab, and obs-text in a field value. */
static int
is_vchar_ws(int c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}

/* Copy a field value into dst (truncation is an error: -1). */
static int
copy_value(char *dst, size_t dstlen, const char *v, size_t vlen)
{
	if (vlen >= dstlen)
		return -1;
	memcpy(dst, v, vlen);
	dst[vlen] = 0;
	return 0;
}

/* Strict decimal, no sign, at most 18 digits (fits comfortably in size_t on
 * 64-bit and is checked against the limit by the caller). */
static int
parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Does the comma-separated list v contain the token tok (case-insensitive)? */
static int
has_token(const char *v, size_t vlen, const char *tok)
{
	size_t tl = strlen(tok), i = 0;

	while (i < vlen) {
		size_t s, e;

		while (i < vlen && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < vlen && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return 1;
	}
	return 0;
}

/* see http.h */
long
srv_http_parse(srv_http_req *r, const void *buf, size_t len, int *status)
{
	const char *b = buf, *p, *end, *nl;
	size_t scan = len < SRV_HTTP_MAX_HEAD ? len : SRV_HTTP_MAX_HEAD;
	int line = 0, conn_close = 0, conn_keep = 0, have_cl = 0;
	uint64_t cl = 0;

	memset(r, 0, sizeof *r);
	*status = 400;
	p = b;
	end = b + scan;
	/* Empty lines before the request line are tolerated (RFC 9112 2.2). */
	while (p < end && (*p == '\r' || *p == '\n')) {
		if (*p == '\r' && (p + 1 >= end || p[1] != '\n'))
			break;
		p += (*p == '\r') ? 2 : 1;
	}
	for (;;) {
		const char *ls = p, *le;

		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			if (len >= SRV_HTTP_MAX_HEAD) {
				*status = line == 0 ? 414 : 431;
				return -1;
			}
			return 0;
		}
		le = nl;
		if (le > ls && le[-1] == '\r')
			le--;
		p = nl + 1;
		if (memchr(ls, '\r', (size_t)(le - ls)) != NULL
			|| memchr(ls, 0, (size_t)(le - ls)) != NULL)
			return -1;
		if (line == 0) {
			/* METHOD SP target SP HTTP/1.x */
			const char *sp1, *sp2;
			size_t i;

			sp1 = memchr(ls, ' ', (size_t)(le - ls));
			if (sp1 == NULL || sp1 == ls
				|| (size_t)(sp1 - ls) >= sizeof r->method)
				return -1;
			for (i = 0; ls + i < sp1; i++)
				if (!is_tchar((unsigned char)ls[i]))
					return -1;
			memcpy(r->method, ls, (size_t)(sp1 - ls));
			sp2 = memchr(sp1 + 1, ' ', (size_t)(le - sp1 - 1));
			if (sp2 == NULL || sp2 == sp1 + 1)
				return -1;
			if ((size_t)(sp2 - sp1 - 1) > SRV_HTTP_MAX_TARGET) {
				*status = 414;
				return -1;
			}
			if (sp1[1] != '/')
				return -1;
			for (i = 0; sp1 + 1 + i < sp2; i++) {
				unsigned char c = (unsigned char)sp1[1 + i];
				if (c <= ' ' || c >= 0x7f)
					return -1;
			}
			memcpy(r->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
			if (le - sp2 - 1 != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0
				|| sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.'
				|| sp2[8] < '0' || sp2[8] > '9')
				return -1;
			if (sp2[6] != '1' || sp2[8] > '1') {
				*status = 505;
				return -1;
			}
			r->minor = sp2[8] - '0';
			line++;
			continue;
		}
		if (le == ls)
			break;		/* the empty line: end of the head */
		line++;
		{
			const char *colon, *v, *ve;
			size_t nlen, vlen, i;

			/* Obsolete line folding is refused (RFC 9112 5.2). */
			if (*ls == ' ' || *ls == '\t')
				return -1;
			colon = memchr(ls, ':', (size_t)(le - ls));
			if (colon == NULL || colon == ls)
				return -1;
			nlen = (size_t)(colon - ls);
			for (i = 0; i < nlen; i++)
				if (!is_tchar((unsigned char)ls[i]))
					return -1;
			v = colon + 1;
			ve = le;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			vlen = (size_t)(ve - v);
			for (i = 0; i < vlen; i++)
				if (!is_vchar_ws((unsigned char)v[i]))
					return -1;
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(ls, name, nlen) == 0)
			if (IS("Content-Length")) {
				uint64_t n;

				if (parse_size(v, vlen, &n) != 0)
					return -1;
				if (have_cl && n != cl)
					return -1;
				have_cl = 1;
				cl = n;
			} else if (IS("Transfer-Encoding")) {
				*status = 501;
				return -1;
			} else if (IS("Connection")) {
				if (has_token(v, vlen, "close"))
					conn_close = 1;
				if (has_token(v, vlen, "keep-alive"))
					conn_keep = 1;
			} else if (IS("Range")) {
				if (r->has_range || copy_value(r->range, sizeof r->range, v, vlen) != 0)
					r->range[0] = 0;	/* ignored, as a server may */
				r->has_range = 1;
			} else if (IS("Host")) {
				if (r->host[0] != 0
					|| copy_value(r->host, sizeof r->host, v, vlen) != 0)
					return -1;
			}
#undef IS
		}
	}
	r->head_len = (size_t)(p - b);
	if (cl > SRV_HTTP_MAX_BODY) {
		*status = 413;
		return -1;
	}
	r->body_len = (size_t)cl;
	r->keep_alive = r->minor == 1 ? !conn_close : (conn_keep && !conn_close);
	if (len - r->head_len < r->body_len)
		return 0;
	*status = 0;
	return (long)(r->head_len + r->body_len);
}

/* see http.h */
int
srv_http_range(const srv_http_req *r, uint64_t size, uint64_t *first,
	uint64_t *last)
{
	const char *s = r->range, *dash;
	uint64_t a = 0, b = 0;
	int has_a, has_b;

	if (!r->has_range || strncasecmp(s, "bytes=", 6) != 0)
		return 0;
	s += 6;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strchr(s, ',') != NULL)
		return 0;
	dash = strchr(s, '-');
	if (dash == NULL)
		return 0;
	has_a = dash > s;
	if (has_a && parse_size(s, (size_t)(dash - s), &a) != 0)
		return 0;
	{
		const char *e = dash + 1 + strlen(dash + 1);
		while (e > dash + 1 && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		has_b = e > dash + 1;
		if (has_b && parse_size(dash + 1, (size_t)(e - dash - 1), &b) != 0)
			return 0;
	}
	if (!has_a && !has_b)
		return 0;
	if (has_a) {
		if (has_b && b < a)
			return 0;
		if (a >= size)
			return -1;
		*first = a;
		*last = (!has_b || b >= size) ? size - 1 : b;
		return 1;
	}
	/* Suffix range: the last b bytes. */
	if (b == 0 || size == 0)
		return -1;
	*first = b >= size ? 0 : size - b;
	*last = size - 1;
	return 1;
}
