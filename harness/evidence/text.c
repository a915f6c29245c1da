/*
 * Cleaning text that came from a device before it reaches a record or an XML
 * file. See evidence.h.
 *
 * A console is whatever the firmware printed: colour sequences (Zephyr's
 * logging colours by default), carriage returns, stray control bytes and
 * bytes that are not UTF-8. XML 1.0 forbids most control characters even as
 * character references, so they are dropped, not escaped.
 */
#include "evidence/evidence.h"
#include "scenario/stack.h"

#include <string.h>

/* Length of the escape sequence at s[0] == ESC (at most len), so that it can
 * be skipped: CSI "ESC [ params intermediates final", OSC "ESC ] ... BEL or
 * ESC \", and two-byte "ESC X". */
static size_t
escape_len(const unsigned char *s, size_t len)
{
	size_t i;

	if (len < 2)
		return len;
	if (s[1] == '[') {
		for (i = 2; i < len && s[i] >= 0x30 && s[i] <= 0x3f; i++)
			;
		for (; i < len && s[i] >= 0x20 && s[i] <= 0x2f; i++)
			;
		return i < len && s[i] >= 0x40 && s[i] <= 0x7e ? i + 1 : i;
	}
	if (s[1] == ']') {
		for (i = 2; i < len; i++) {
			if (s[i] == 0x07)
				return i + 1;
			if (s[i] == 0x1b && i + 1 < len && s[i + 1] == '\\')
				return i + 2;
		}
		return len;
	}
	return s[1] >= 0x20 && s[1] <= 0x7e ? 2 : 1;
}

/* Decode one UTF-8 character at s (len > 0): its code point, or -1 when the
 * bytes are not valid UTF-8 (then one byte is consumed). *used says how many
 * bytes were consumed. */
static long
utf8_next(const unsigned char *s, size_t len, size_t *used)
{
	unsigned c = s[0];
	size_t n, i;
	long cp, min;

	*used = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07, min = 0x10000;
	else
		return -1;
	if (len < n)
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*used = n;
	return cp;
}

/* Characters XML 1.0 allows (section 2.2). */
static int
xml_char(long cp)
{
	return cp == 0x9 || cp == 0xa || (cp >= 0x20 && cp <= 0xd7ff)
		|| (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* Walk s: skip escape sequences and characters that do not belong, and hand
 * every other character to the writer. */
static void
clean(buf_t *b, const char *text, size_t len, int xml)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, used;

	if (s == NULL)
		return;
	while (i < len) {
		long cp;
		if (s[i] == 0x1b) {
			i += escape_len(s + i, len - i);
			continue;
		}
		cp = utf8_next(s + i, len - i, &used);
		if (cp < 0) {
			buf_puts(b, "\xef\xbf\xbd");	/* U+FFFD */
			i += used;
			continue;
		}
		if (!xml_char(cp) || cp == 0x7f) {
			i += used;
			continue;
		}
		if (xml) {
			switch (cp) {
			case '<': buf_puts(b, "&lt;"); break;
			case '>': buf_puts(b, "&gt;"); break;
			case '&': buf_puts(b, "&amp;"); break;
			case '"': buf_puts(b, "&quot;"); break;
			case '\'': buf_puts(b, "&apos;"); break;
			default: buf_append(b, s + i, used);
			}
		} else {
			buf_append(b, s + i, used);
		}
		i += used;
	}
}

/* see evidence.h */
void
ev_xml_escape(buf_t *b, const char *s, size_t len)
{
	clean(b, s, len, 1);
}

/* see evidence.h */
void
ev_clean_text(buf_t *b, const char *s, size_t len)
{
	clean(b, s, len, 0);
}

/* see evidence.h */
const char *
ev_record_tls(const ev_record *r)
{
	return r->tls[0] ? r->tls : scn_device_stack(r->device);
}
