/*
 * A small DER writer: just what X.509 certificates and keys need.
 *
 * Output goes to a buf_t. A constructed value is opened with der_begin(),
 * which writes its tag and returns a mark, and closed with der_end(mark),
 * which computes the length of what was written since and inserts it. Marks
 * nest like parentheses. Nothing here fails but on out-of-memory (fatal).
 */
#ifndef ROTSIM_DER_H
#define ROTSIM_DER_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

/* Universal tags used here. */
#define DER_BOOLEAN		0x01
#define DER_INTEGER		0x02
#define DER_BIT_STRING		0x03
#define DER_OCTET_STRING	0x04
#define DER_NULL		0x05
#define DER_OID			0x06
#define DER_UTF8_STRING		0x0c
#define DER_PRINTABLE_STRING	0x13
#define DER_IA5_STRING		0x16
#define DER_UTC_TIME		0x17
#define DER_GENERALIZED_TIME	0x18
#define DER_SEQUENCE		0x30
#define DER_SET			0x31
/* Context-specific tags: [n] constructed and [n] primitive. */
#define DER_CTX_CONS(n)		(0xa0 | (n))
#define DER_CTX_PRIM(n)		(0x80 | (n))

/* Open a constructed value with the given tag; returns its mark. */
size_t der_begin(buf_t *b, unsigned tag);
/* Close the value opened at mark: insert its definite length. */
void der_end(buf_t *b, size_t mark);

/* Append the length octets for len (short or long form). */
void der_put_length(buf_t *b, size_t len);
/* A primitive value: tag, length, contents. */
void der_prim(buf_t *b, unsigned tag, const void *data, size_t len);
/* Append already encoded DER as it is. */
void der_raw(buf_t *b, const void *data, size_t len);

/* INTEGER from an unsigned big-endian magnitude: leading zero bytes are
 * dropped and a 0x00 is added when the top bit is set (so it stays positive). */
void der_uint(buf_t *b, const unsigned char *mag, size_t len);
/* INTEGER from a small signed value. */
void der_int(buf_t *b, int64_t v);
void der_bool(buf_t *b, int v);
void der_null(buf_t *b);
/* OBJECT IDENTIFIER from dotted text ("1.2.840.113549.1.1.11"). Returns 0, or
 * -1 (writing nothing) when the text is not a valid OID. */
int der_oid(buf_t *b, const char *dotted);
/* BIT STRING with the given number of unused bits in the last byte. */
void der_bit_string(buf_t *b, const void *data, size_t len, unsigned unused);
/* A string type (PrintableString, UTF8String, IA5String) from text. */
void der_string(buf_t *b, unsigned tag, const char *s);
/* UTCTime for 1950 <= year < 2050, GeneralizedTime otherwise (RFC 5280
 * 4.1.2.5), always to the second with "Z". */
void der_time(buf_t *b, int64_t t);

/*
 * A reader for what the writer makes, for tests and for walking DER we
 * produced: read one TLV at *p (advancing it) within end. Returns 0 with the
 * tag, content pointer and length, or -1 on a truncated or malformed header.
 */
int der_read(const unsigned char **p, const unsigned char *end, unsigned *tag,
	const unsigned char **content, size_t *len);

#endif
