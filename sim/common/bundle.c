/*
 * The firmware bundle codec (bundle.h).
 */
#include "common/bundle.h"

#include <string.h>

/* Parse a decimal number without sign or leading zeros from s[0..n) into *v
 * (at most max). Returns 0 or -1. */
static int
parse_dec(const unsigned char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (x > (max - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return 0;
}

/* see bundle.h */
int
bundle_is_bundle(const void *data, size_t len)
{
	size_t m = strlen(BUNDLE_MAGIC);

	return len >= m && memcmp(data, BUNDLE_MAGIC, m) == 0;
}

/* see bundle.h */
int
bundle_parse(bundle *b, const void *data, size_t len, int allow_trailing,
	char *err, size_t errlen)
{
	static const char *const names[] = { "anchors", "pins", "payload" };
	const unsigned char *p = data;
	bundle_section *secs[3];
	size_t off, lineno = 1, next = 0, i;
	uint64_t sum = 0;
	int have_version = 0;

	memset(b, 0, sizeof *b);
	secs[0] = &b->anchors;
	secs[1] = &b->pins;
	secs[2] = &b->payload;
	if (!bundle_is_bundle(data, len))
		return util_err(err, errlen, "line 1: not a bundle (want \"rotsim-bundle 1\")");
	off = strlen(BUNDLE_MAGIC);
	for (;;) {
		const unsigned char *line = p + off, *nl, *sp;
		size_t llen, klen, limit = len < BUNDLE_HEAD_MAX ? len : BUNDLE_HEAD_MAX;
		uint64_t v;

		lineno++;
		if (off >= limit)
			return util_err(err, errlen, "line %zu: header not ended by an "
				"empty line within %d bytes", lineno, BUNDLE_HEAD_MAX);
		nl = memchr(line, '\n', limit - off);
		if (nl == NULL)
			return util_err(err, errlen, "line %zu: header not ended by an "
				"empty line within %d bytes", lineno, BUNDLE_HEAD_MAX);
		llen = (size_t)(nl - line);
		off += llen + 1;
		if (llen == 0)
			break;
		sp = memchr(line, ' ', llen);
		if (sp == NULL)
			return util_err(err, errlen, "line %zu: expected \"KEY VALUE\"", lineno);
		klen = (size_t)(sp - line);
		if (!have_version) {
			if (klen != 7 || memcmp(line, "version", 7) != 0)
				return util_err(err, errlen, "line %zu: expected version", lineno);
			if (parse_dec(sp + 1, llen - klen - 1, UINT32_MAX, &v) != 0 || v == 0)
				return util_err(err, errlen, "line %zu: bad version", lineno);
			b->version = (uint32_t)v;
			have_version = 1;
			continue;
		}
		for (i = next; i < 3; i++)
			if (strlen(names[i]) == klen && memcmp(line, names[i], klen) == 0)
				break;
		if (i == 3) {
			size_t j;

			for (j = 0; j < 3; j++)
				if (strlen(names[j]) == klen && memcmp(line, names[j], klen) == 0)
					return util_err(err, errlen, "line %zu: %s repeated or "
						"out of order", lineno, names[j]);
			return util_err(err, errlen, "line %zu: unknown key \"%.*s\"",
				lineno, (int)(klen > 32 ? 32 : klen), (const char *)line);
		}
		if (parse_dec(sp + 1, llen - klen - 1, UINT32_MAX, &v) != 0)
			return util_err(err, errlen, "line %zu: bad %s length", lineno, names[i]);
		secs[i]->len = (size_t)v;
		secs[i]->data = p;	/* placed below */
		sum += v;
		next = i + 1;
	}
	if (!have_version)
		return util_err(err, errlen, "line %zu: no version", lineno);
	b->head_len = off;
	if (sum > len - off)
		return util_err(err, errlen, "sections: %llu bytes missing",
			(unsigned long long)(sum - (len - off)));
	if (!allow_trailing && sum < len - off)
		return util_err(err, errlen, "%llu bytes after the last section",
			(unsigned long long)(len - off - sum));
	for (i = 0; i < 3; i++) {
		if (secs[i]->data == NULL)
			continue;
		secs[i]->data = p + off;
		off += secs[i]->len;
	}
	b->total_len = off;
	return 0;
}

/* see bundle.h */
void
bundle_write(buf_t *out, uint32_t version, const bundle_section *anchors,
	const bundle_section *pins, const bundle_section *payload)
{
	const bundle_section *secs[3] = { anchors, pins, payload };
	static const char *const names[] = { "anchors", "pins", "payload" };
	size_t i;

	buf_puts(out, BUNDLE_MAGIC);
	buf_printf(out, "version %lu\n", (unsigned long)version);
	for (i = 0; i < 3; i++)
		if (secs[i] != NULL && secs[i]->data != NULL)
			buf_printf(out, "%s %zu\n", names[i], secs[i]->len);
	buf_putc(out, '\n');
	for (i = 0; i < 3; i++)
		if (secs[i] != NULL && secs[i]->data != NULL)
			buf_append(out, secs[i]->data, secs[i]->len);
}
