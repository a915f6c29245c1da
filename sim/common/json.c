/*
 * JSON reader and string writer. See json.h.
 */
#include "common/json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	const char *s;
	size_t len, pos;
	char *err;
	size_t errlen;
	int failed;
} parser;

static int
fail(parser *p, const char *msg)
{
	if (!p->failed)
		util_err(p->err, p->errlen, "offset %zu: %s", p->pos, msg);
	p->failed = 1;
	return -1;
}

static void
skip_ws(parser *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'
		|| p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static json *
node(json_type t)
{
	json *j = xcalloc(1, sizeof *j);
	j->type = t;
	return j;
}

/* see json.h */
void
json_free(json *j)
{
	size_t i;

	if (j == NULL)
		return;
	for (i = 0; i < j->n; i++) {
		json_free(j->items[i]);
		if (j->keys != NULL)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
	free(j);
}

static int
hex4(parser *p, unsigned *v)
{
	unsigned r = 0;
	int i;

	if (p->len - p->pos < 4)
		return fail(p, "short \\u escape");
	for (i = 0; i < 4; i++) {
		char c = p->s[p->pos++];
		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			r |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			r |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad hex digit in \\u escape");
	}
	*v = r;
	return 0;
}

static void
put_utf8(buf_t *b, unsigned cp)
{
	if (cp < 0x80) {
		buf_putc(b, (int)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (int)(0xc0 | cp >> 6));
		buf_putc(b, (int)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (int)(0xe0 | cp >> 12));
		buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (int)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (int)(0xf0 | cp >> 18));
		buf_putc(b, (int)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (int)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (int)(0x80 | (cp & 0x3f)));
	}
}

/*
 * Length of a well-formed UTF-8 sequence at p (1..4) within avail bytes, or 0.
 * Well formed as Unicode defines it (table 3-7): the shortest form, no
 * surrogate (U+D800..U+DFFF), nothing above U+10FFFF. The second byte's range
 * depends on the first; the others are 80..BF.
 */
static size_t
utf8_len(const unsigned char *p, size_t avail)
{
	static const struct { unsigned char lo, hi, n, lo2, hi2; } forms[] = {
		{ 0xc2, 0xdf, 2, 0x80, 0xbf },
		{ 0xe0, 0xe0, 3, 0xa0, 0xbf },
		{ 0xe1, 0xec, 3, 0x80, 0xbf },
		{ 0xed, 0xed, 3, 0x80, 0x9f },
		{ 0xee, 0xef, 3, 0x80, 0xbf },
		{ 0xf0, 0xf0, 4, 0x90, 0xbf },
		{ 0xf1, 0xf3, 4, 0x80, 0xbf },
		{ 0xf4, 0xf4, 4, 0x80, 0x8f },
	};
	size_t k, i, n;

	if (avail == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	for (k = 0; k < sizeof forms / sizeof forms[0]; k++)
		if (p[0] >= forms[k].lo && p[0] <= forms[k].hi)
			break;
	if (k == sizeof forms / sizeof forms[0])
		return 0;
	n = forms[k].n;
	if (n > avail || p[1] < forms[k].lo2 || p[1] > forms[k].hi2)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static char *
parse_string(parser *p)
{
	buf_t b = {0};

	p->pos++;	/* the opening quote */
	for (;;) {
		if (p->pos >= p->len) {
			fail(p, "unterminated string");
			goto bad;
		}
		unsigned char c = (unsigned char)p->s[p->pos++];
		if (c == '"')
			break;
		if (c < 0x20) {
			p->pos--;
			fail(p, "control character in string");
			goto bad;
		}
		if (c >= 0x80) {
			size_t n = utf8_len((const unsigned char *)p->s + p->pos - 1,
				p->len - p->pos + 1);
			if (n == 0) {
				p->pos--;
				fail(p, "invalid UTF-8 in string");
				goto bad;
			}
			buf_append(&b, p->s + p->pos - 1, n);
			p->pos += n - 1;
			continue;
		}
		if (c != '\\') {
			buf_putc(&b, c);
			continue;
		}
		if (p->pos >= p->len) {
			fail(p, "unterminated escape");
			goto bad;
		}
		c = (unsigned char)p->s[p->pos++];
		switch (c) {
		case '"': case '\\': case '/': buf_putc(&b, c); break;
		case 'b': buf_putc(&b, '\b'); break;
		case 'f': buf_putc(&b, '\f'); break;
		case 'n': buf_putc(&b, '\n'); break;
		case 'r': buf_putc(&b, '\r'); break;
		case 't': buf_putc(&b, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (hex4(p, &cp) != 0)
				goto bad;
			if (cp >= 0xd800 && cp < 0xdc00) {
				if (p->len - p->pos < 2 || p->s[p->pos] != '\\'
					|| p->s[p->pos + 1] != 'u') {
					fail(p, "lone high surrogate");
					goto bad;
				}
				p->pos += 2;
				if (hex4(p, &lo) != 0)
					goto bad;
				if (lo < 0xdc00 || lo >= 0xe000) {
					fail(p, "bad low surrogate");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			} else if (cp >= 0xdc00 && cp < 0xe000) {
				fail(p, "lone low surrogate");
				goto bad;
			}
			if (cp == 0) {
				fail(p, "\\u0000 in string");
				goto bad;
			}
			put_utf8(&b, cp);
			break;
		}
		default:
			p->pos--;
			fail(p, "bad escape");
			goto bad;
		}
	}
	buf_cstr(&b);
	return (char *)b.data;
bad:
	buf_free(&b);
	return NULL;
}

static json *parse_value(parser *p, int depth);

static json *
parse_number(parser *p)
{
	size_t start = p->pos;
	const char *s = p->s;
	json *j;

	if (p->pos < p->len && s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
		fail(p, "bad number");
		return NULL;
	}
	if (s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
			fail(p, "bad fraction");
			return NULL;
		}
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || s[p->pos] < '0' || s[p->pos] > '9') {
			fail(p, "bad exponent");
			return NULL;
		}
		while (p->pos < p->len && s[p->pos] >= '0' && s[p->pos] <= '9')
			p->pos++;
	}
	j = node(JSON_NUMBER);
	j->str = xstrndup(s + start, p->pos - start);
	j->num = strtod(j->str, NULL);
	return j;
}

static int
literal(parser *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "unexpected character");
	p->pos += n;
	return 0;
}

static json *
parse_container(parser *p, int depth, int object)
{
	json *j = node(object ? JSON_OBJECT : JSON_ARRAY);
	char close = object ? '}' : ']';

	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		json *v;

		skip_ws(p);
		if (object) {
			if (p->pos >= p->len || p->s[p->pos] != '"') {
				fail(p, "expected a string key");
				goto bad;
			}
			if ((key = parse_string(p)) == NULL)
				goto bad;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				fail(p, "expected ':'");
				goto bad;
			}
			p->pos++;
		}
		if ((v = parse_value(p, depth + 1)) == NULL) {
			free(key);
			goto bad;
		}
		j->items = xrealloc(j->items, (j->n + 1) * sizeof *j->items);
		if (object) {
			j->keys = xrealloc(j->keys, (j->n + 1) * sizeof *j->keys);
			j->keys[j->n] = key;
		}
		j->items[j->n++] = v;
		skip_ws(p);
		if (p->pos < p->len && p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->pos < p->len && p->s[p->pos] == close) {
			p->pos++;
			return j;
		}
		fail(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad:
	json_free(j);
	return NULL;
}

static json *
parse_value(parser *p, int depth)
{
	json *j;

	if (depth > JSON_MAX_DEPTH) {
		fail(p, "nested too deeply");
		return NULL;
	}
	skip_ws(p);
	if (p->pos >= p->len) {
		fail(p, "unexpected end of text");
		return NULL;
	}
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, depth, 1);
	case '[':
		return parse_container(p, depth, 0);
	case '"': {
		char *s = parse_string(p);
		if (s == NULL)
			return NULL;
		j = node(JSON_STRING);
		j->str = s;
		return j;
	}
	case 't':
		if (literal(p, "true") != 0)
			return NULL;
		return node(JSON_TRUE);
	case 'f':
		if (literal(p, "false") != 0)
			return NULL;
		return node(JSON_FALSE);
	case 'n':
		if (literal(p, "null") != 0)
			return NULL;
		return node(JSON_NULL);
	default:
		return parse_number(p);
	}
}

/* see json.h */
json *
json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	parser p = { text, len, 0, err, errlen, 0 };
	json *j = parse_value(&p, 0);

	if (j == NULL)
		return NULL;
	skip_ws(&p);
	if (p.pos != len) {
		fail(&p, "text after the value");
		json_free(j);
		return NULL;
	}
	return j;
}

/* see json.h */
const json *
json_get(const json *j, const char *key)
{
	size_t i;

	if (j == NULL || j->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < j->n; i++)
		if (strcmp(j->keys[i], key) == 0)
			return j->items[i];
	return NULL;
}

/* see json.h */
const char *
json_get_str(const json *j, const char *key)
{
	const json *v = json_get(j, key);

	return v != NULL && v->type == JSON_STRING ? v->str : NULL;
}

/* see json.h */
int
json_int(const json *j, int64_t *v)
{
	char *end;
	long long r;

	if (j == NULL || j->type != JSON_NUMBER)
		return -1;
	errno = 0;
	r = strtoll(j->str, &end, 10);
	if (errno != 0 || *end != 0)
		return -1;
	*v = r;
	return 0;
}

/* see json.h */
int
json_get_int(const json *j, const char *key, int64_t *v)
{
	return json_int(json_get(j, key), v);
}

/* see json.h */
void
json_put_strn(buf_t *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0, n;

	buf_putc(b, '"');
	while (i < len) {
		switch (p[i]) {
		case '"': buf_puts(b, "\\\""); i++; continue;
		case '\\': buf_puts(b, "\\\\"); i++; continue;
		case '\n': buf_puts(b, "\\n"); i++; continue;
		case '\r': buf_puts(b, "\\r"); i++; continue;
		case '\t': buf_puts(b, "\\t"); i++; continue;
		}
		if (p[i] < 0x20 || p[i] == 0x7f) {
			buf_printf(b, "\\u%04x", p[i]);
			i++;
			continue;
		}
		n = utf8_len(p + i, len - i);
		if (n == 0) {
			/* One replacement character per byte that starts no
			 * well-formed sequence. */
			buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		buf_append(b, p + i, n);
		i += n;
	}
	buf_putc(b, '"');
}

/* see json.h */
void
json_put_str(buf_t *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "null");
	else
		json_put_strn(b, s, strlen(s));
}
