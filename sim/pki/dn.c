/*
 * Distinguished names. See dn.h.
 */
#include "pki/dn.h"
#include "pki/der.h"
#include "common/cfg.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { STR_AUTO, STR_PRINTABLE, STR_IA5 };

static const struct {
	const char *name;
	const char *oid;
	int str;
	size_t maxlen;	/* upper bounds of RFC 5280 appendix A; 0: none */
} attrs[] = {
	{ "C", "2.5.4.6", STR_PRINTABLE, 2 },
	{ "ST", "2.5.4.8", STR_AUTO, 128 },
	{ "L", "2.5.4.7", STR_AUTO, 128 },
	{ "O", "2.5.4.10", STR_AUTO, 64 },
	{ "OU", "2.5.4.11", STR_AUTO, 64 },
	{ "CN", "2.5.4.3", STR_AUTO, 64 },
	{ "serialNumber", "2.5.4.5", STR_PRINTABLE, 64 },
	{ "dnQualifier", "2.5.4.46", STR_PRINTABLE, 0 },
	{ "DC", "0.9.2342.19200300.100.1.25", STR_IA5, 0 },
	{ "emailAddress", "1.2.840.113549.1.9.1", STR_IA5, 255 },
};

/* see dn.h */
int
pki_dn_printable(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (!(isalnum(c) || strchr(" '()+,-./:=?", c) != NULL) || c >= 0x80)
			return 0;
	}
	return 1;
}

static int
ia5(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* Valid UTF-8, no control characters. */
static int
utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n;
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80)
			n = 0;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			n = 1;
		else if ((*p & 0xf0) == 0xe0)
			n = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			n = 3;
		else
			return 0;
		p++;
		while (n-- > 0) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			p++;
		}
	}
	return 1;
}

/* see dn.h */
int
pki_dn_encode(const char *text, buf_t *out, char *err, size_t errlen)
{
	char **items;
	size_t n = cfg_split(text, ',', &items), i, j;
	buf_t b = {0};
	int ret = -1;
	size_t seq;

	if (n == 0) {
		util_err(err, errlen, "empty distinguished name");
		goto out;
	}
	seq = der_begin(&b, DER_SEQUENCE);
	for (i = 0; i < n; i++) {
		char *eq = strchr(items[i], '=');
		if (eq == NULL) {
			util_err(err, errlen, "\"%s\" in a DN is not ATTR=value", items[i]);
			goto out;
		}
		*eq = 0;
		const char *an = items[i], *val = eq + 1;
		while (*val == ' ')
			val++;
		size_t k = strlen(an);
		while (k > 0 && an[k - 1] == ' ')
			items[i][--k] = 0;
		for (j = 0; j < sizeof attrs / sizeof attrs[0]; j++)
			if (strcmp(an, attrs[j].name) == 0)
				break;
		if (j == sizeof attrs / sizeof attrs[0]) {
			util_err(err, errlen, "unknown DN attribute \"%s\" (want C, ST, L, O, OU, "
				"CN, serialNumber, dnQualifier, DC or emailAddress)", an);
			goto out;
		}
		if (*val == 0) {
			util_err(err, errlen, "DN attribute %s has an empty value", an);
			goto out;
		}
		if (!utf8_ok(val)) {
			util_err(err, errlen, "DN attribute %s is not valid UTF-8 text", an);
			goto out;
		}
		if (attrs[j].maxlen != 0 && strlen(val) > attrs[j].maxlen) {
			util_err(err, errlen, "DN attribute %s is longer than %zu characters",
				an, attrs[j].maxlen);
			goto out;
		}
		unsigned tag;
		switch (attrs[j].str) {
		case STR_PRINTABLE:
			if (!pki_dn_printable(val) || (j == 0 && strlen(val) != 2)) {
				util_err(err, errlen, "DN attribute %s=\"%s\" must be %s", an, val,
					j == 0 ? "a two-letter country code" : "PrintableString");
				goto out;
			}
			tag = DER_PRINTABLE_STRING;
			break;
		case STR_IA5:
			if (!ia5(val)) {
				util_err(err, errlen, "DN attribute %s must be ASCII", an);
				goto out;
			}
			tag = DER_IA5_STRING;
			break;
		default:
			tag = pki_dn_printable(val) ? DER_PRINTABLE_STRING : DER_UTF8_STRING;
			break;
		}
		size_t set = der_begin(&b, DER_SET), atv = der_begin(&b, DER_SEQUENCE);
		der_oid(&b, attrs[j].oid);
		der_string(&b, tag, val);
		der_end(&b, atv);
		der_end(&b, set);
	}
	der_end(&b, seq);
	buf_append(out, b.data, b.len);
	ret = 0;
out:
	buf_free(&b);
	cfg_list_free(items, n);
	return ret;
}
