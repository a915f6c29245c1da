/*
 * The DER writer. See der.h.
 */
#include "pki/der.h"
#include "time/simtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see der.h */
size_t
der_begin(buf_t *b, unsigned tag)
{
	buf_putc(b, (int)tag);
	return b->len;
}

static size_t
length_size(size_t len)
{
	size_t n = 1;

	if (len < 0x80)
		return 1;
	while (len > 0) {
		n++;
		len >>= 8;
	}
	return n;
}

static void
encode_length(unsigned char *out, size_t len, size_t n)
{
	size_t i;

	if (n == 1) {
		out[0] = (unsigned char)len;
		return;
	}
	out[0] = (unsigned char)(0x80 | (n - 1));
	for (i = n - 1; i >= 1; i--) {
		out[i] = (unsigned char)len;
		len >>= 8;
	}
}

/* see der.h */
void
der_end(buf_t *b, size_t mark)
{
	size_t content = b->len - mark;
	size_t n = length_size(content);

	buf_reserve(b, n);
	memmove(b->data + mark + n, b->data + mark, content);
	encode_length(b->data + mark, content, n);
	b->len += n;
}

/* see der.h */
void
der_put_length(buf_t *b, size_t len)
{
	unsigned char tmp[sizeof(size_t) + 1];
	size_t n = length_size(len);

	encode_length(tmp, len, n);
	buf_append(b, tmp, n);
}

/* see der.h */
void
der_prim(buf_t *b, unsigned tag, const void *data, size_t len)
{
	buf_putc(b, (int)tag);
	der_put_length(b, len);
	buf_append(b, data, len);
}

/* see der.h */
void
der_raw(buf_t *b, const void *data, size_t len)
{
	buf_append(b, data, len);
}

/* see der.h */
void
der_uint(buf_t *b, const unsigned char *mag, size_t len)
{
	while (len > 1 && mag[0] == 0) {
		mag++;
		len--;
	}
	if (len == 0) {
		static const unsigned char zero = 0;
		der_prim(b, DER_INTEGER, &zero, 1);
		return;
	}
	buf_putc(b, DER_INTEGER);
	if (mag[0] & 0x80) {
		der_put_length(b, len + 1);
		buf_putc(b, 0);
	} else {
		der_put_length(b, len);
	}
	buf_append(b, mag, len);
}

/* see der.h */
void
der_int(buf_t *b, int64_t v)
{
	unsigned char tmp[8];
	size_t n = 8, i;
	uint64_t u = (uint64_t)v;

	for (i = 0; i < 8; i++)
		tmp[7 - i] = (unsigned char)(u >> (8 * i));
	/* Drop redundant leading bytes of the two's complement form. */
	i = 0;
	while (n - i > 1 && ((tmp[i] == 0x00 && !(tmp[i + 1] & 0x80))
		|| (tmp[i] == 0xff && (tmp[i + 1] & 0x80))))
		i++;
	der_prim(b, DER_INTEGER, tmp + i, n - i);
}

/* see der.h */
void
der_bool(buf_t *b, int v)
{
	unsigned char c = v ? 0xff : 0x00;
	der_prim(b, DER_BOOLEAN, &c, 1);
}

/* see der.h */
void
der_null(buf_t *b)
{
	der_prim(b, DER_NULL, NULL, 0);
}

static void
put_base128(buf_t *b, uint64_t v)
{
	unsigned char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (unsigned char)(v & 0x7f);
		v >>= 7;
	} while (v > 0);
	while (n > 1)
		buf_putc(b, tmp[--n] | 0x80);
	buf_putc(b, tmp[0]);
}

/* see der.h */
int
der_oid(buf_t *b, const char *dotted)
{
	uint64_t arcs[32];
	size_t n = 0, i;
	const char *p = dotted;
	buf_t body = {0};

	for (;;) {
		uint64_t v = 0;
		if (!isdigit((unsigned char)*p) || n == 32)
			return -1;
		if (*p == '0' && isdigit((unsigned char)p[1]))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (v > (UINT64_MAX - 9) / 10 / 2)
				return -1;
			v = v * 10 + (uint64_t)(*p++ - '0');
		}
		arcs[n++] = v;
		if (*p == 0)
			break;
		if (*p++ != '.')
			return -1;
	}
	if (n < 2 || arcs[0] > 2 || (arcs[0] < 2 && arcs[1] > 39))
		return -1;
	put_base128(&body, arcs[0] * 40 + arcs[1]);
	for (i = 2; i < n; i++)
		put_base128(&body, arcs[i]);
	der_prim(b, DER_OID, body.data, body.len);
	buf_free(&body);
	return 0;
}

/* see der.h */
void
der_bit_string(buf_t *b, const void *data, size_t len, unsigned unused)
{
	buf_putc(b, DER_BIT_STRING);
	der_put_length(b, len + 1);
	buf_putc(b, (int)unused);
	buf_append(b, data, len);
}

/* see der.h */
void
der_string(buf_t *b, unsigned tag, const char *s)
{
	der_prim(b, tag, s, strlen(s));
}

/* see der.h */
void
der_time(buf_t *b, int64_t t)
{
	simtime_civil c;
	char s[20];

	simtime_to_civil(t, &c);
	if (c.year >= 1950 && c.year < 2050) {
		snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", c.year % 100,
			c.month, c.day, c.hour, c.min, c.sec);
		der_string(b, DER_UTC_TIME, s);
	} else {
		snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", c.year,
			c.month, c.day, c.hour, c.min, c.sec);
		der_string(b, DER_GENERALIZED_TIME, s);
	}
}

/* see der.h */
int
der_read(const unsigned char **p, const unsigned char *end, unsigned *tag,
	const unsigned char **content, size_t *len)
{
	const unsigned char *q = *p;
	size_t l;

	if (q >= end || end - q < 2)
		return -1;
	*tag = *q++;
	if ((*tag & 0x1f) == 0x1f)
		return -1;	/* high tag numbers are never written here */
	l = *q++;
	if (l & 0x80) {
		size_t n = l & 0x7f;
		if (n == 0 || n > sizeof(size_t) || (size_t)(end - q) < n)
			return -1;
		l = 0;
		while (n-- > 0)
			l = (l << 8) | *q++;
	}
	if ((size_t)(end - q) < l)
		return -1;
	*content = q;
	*len = l;
	*p = q + l;
	return 0;
}
