/*
 * The agent's console lines and the BearSSL error and alert tables.
 */
#include "common/tlsnames.h"
#include "console.h"

#include <bearssl.h>
#include <stdarg.h>
#include <string.h>

/* A byte that forces quoting. */
static int
needs_quote(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '=';
}

/* see console.h */
size_t
con_quote(char *out, size_t outlen, const char *value)
{
	size_t n = 0, i;
	int quote = 0;
	const unsigned char *v = (const unsigned char *)(value != NULL ? value : "");

	if (v[0] == 0)
		quote = 1;
	for (i = 0; v[i] != 0; i++)
		if (needs_quote(v[i]))
			quote = 1;
#define PUT(ch) do { if (n + 1 < outlen) out[n] = (char)(ch); n++; } while (0)
	if (quote)
		PUT('"');
	for (i = 0; v[i] != 0; i++) {
		unsigned char c = v[i];

		if (!quote) {
			PUT(c);
		} else if (c == '"' || c == '\\') {
			PUT('\\');
			PUT(c);
		} else if (c < 0x20 || c >= 0x7f) {
			static const char hex[] = "0123456789abcdef";

			PUT('\\');
			PUT('x');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		} else {
			PUT(c);
		}
	}
	if (quote)
		PUT('"');
#undef PUT
	if (outlen > 0)
		out[n < outlen ? n : outlen - 1] = 0;
	return n;
}

/* see console.h */
void
con_begin(con_line *l, const char *name)
{
	int n = snprintf(l->text, sizeof l->text, "rotsim: %s", name);

	l->len = n < 0 ? 0 : (size_t)n;
	if (l->len >= sizeof l->text)
		l->len = sizeof l->text - 1;
	l->truncated = 0;
}

/* see console.h */
void
con_str(con_line *l, const char *key, const char *value)
{
	/* Room kept at the end for " truncated=1". */
	size_t room = CON_LINE_MAX - 12, klen = strlen(key), need;

	if (l->truncated)
		return;
	need = 2 + klen + con_quote(NULL, 0, value);
	if (l->len + need > room) {
		memcpy(l->text + l->len, " truncated=1", 13);
		l->len += 12;
		l->truncated = 1;
		return;
	}
	l->text[l->len++] = ' ';
	memcpy(l->text + l->len, key, klen);
	l->len += klen;
	l->text[l->len++] = '=';
	l->len += con_quote(l->text + l->len, sizeof l->text - l->len, value);
}

/* see console.h */
void
con_int(con_line *l, const char *key, long long value)
{
	char b[32];

	snprintf(b, sizeof b, "%lld", value);
	con_str(l, key, b);
}

/* see console.h */
void
con_uint(con_line *l, const char *key, unsigned long long value)
{
	char b[32];

	snprintf(b, sizeof b, "%llu", value);
	con_str(l, key, b);
}

/* see console.h */
void
con_fmt(con_line *l, const char *key, const char *fmt, ...)
{
	char b[CON_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	con_str(l, key, b);
}

/* see console.h */
const char *
con_emit(con_line *l, FILE *f)
{
	l->text[l->len] = 0;
	fprintf(f, "%s\n", l->text);
	fflush(f);
	return l->text;
}



/* see console.h */
const char *
con_error_name(int err)
{
	return tls_br_error_name(err);
}

/* see console.h */
const char *
con_error_text(int err)
{
	return tls_br_error_text(err);
}

/* see console.h */
const char *
con_alert_name(int alert)
{
	return tls_alert_name(alert);
}
