/*
 * The fault table (see fault.h).
 */
#include "common/fault.h"
#include "common/cfg.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a fault's value is: none, a number, a certificate, a leaf, an IPv4
 * address, a date, or a kiss code (optional: RATE when none is given). */
enum { V_NONE, V_NUM, V_CERT, V_LEAF, V_ADDR, V_DATE, V_KISS };

/* Options a fault may take. */
enum { O_COUNT = 1, O_AT = 2, O_RETRY = 4, O_PATH = 8, O_KEY = 16 };

/* Offsets into an image: a terabyte is far beyond any firmware. */
#define MAX_OFFSET (1ULL << 40)

static const struct fault_def {
	const char *name;
	fault_kind kind;
	fault_stage stage;
	int value;
	uint64_t min, max;	/* bounds of a numeric value */
	unsigned count;		/* default count */
	unsigned opts;
	const char *syntax;	/* for the help; FILE/ID both read "FILE" there */
	const char *help;
} defs[] = {
	{ "drop-intermediate", FAULT_DROP_INTERMEDIATE, FAULT_ON_CHAIN, V_NONE, 0, 0, 0, 0,
		"drop-intermediate", "present the leaf alone" },
	{ "drop", FAULT_DROP, FAULT_ON_CHAIN, V_NUM, 0, 63, 0, 0,
		"drop=INDEX", "leave out the certificate at INDEX (0 = leaf; 0..63)" },
	{ "reverse", FAULT_REVERSE, FAULT_ON_CHAIN, V_NONE, 0, 0, 0, 0,
		"reverse", "present the chain in reverse order" },
	{ "append", FAULT_APPEND, FAULT_ON_CHAIN, V_CERT, 0, 0, 0, 0,
		"append=FILE", "append the certificates of FILE (an expired cross-sign, for\n"
		"example)" },
	{ "chain", FAULT_CHAIN, FAULT_ON_CHAIN, V_LEAF, 0, 0, 0, O_KEY,
		"chain=FILE[,key=KEY]", "present FILE instead (a leaf for another host, from a rogue\n"
		"CA, expired, not yet valid)" },
	{ "close-after", FAULT_CLOSE_AFTER, FAULT_ON_BODY, V_NUM, 0, MAX_OFFSET, 1, O_COUNT,
		"close-after=BYTES[,count=N]", "cut the connection after BYTES bytes of an image, without\n"
		"close_notify; N responses (default 1, 0 = all)" },
	{ "stall", FAULT_STALL, FAULT_ON_BODY, V_NUM, 1, 86400, 1, O_COUNT | O_AT,
		"stall=SECONDS[,at=BYTES][,count=N]", "pause an image SECONDS (1..86400) after BYTES (default 0);\n"
		"N responses (default 1, 0 = all)" },
	{ "corrupt-byte", FAULT_CORRUPT_BYTE, FAULT_ON_BODY, V_NUM, 0, MAX_OFFSET, 0, 0,
		"corrupt-byte=OFFSET", "flip the image byte at OFFSET (of the image)" },
	{ "bad-signature", FAULT_BAD_SIGNATURE, FAULT_ON_MANIFEST, V_NONE, 0, 0, 0, 0,
		"bad-signature", "the manifest's signature is wrong" },
	{ "missing-image", FAULT_MISSING_IMAGE, FAULT_ON_MANIFEST, V_NONE, 0, 0, 0, 0,
		"missing-image", "the manifest's image answers 404" },
	{ "http", FAULT_HTTP, FAULT_ON_REQUEST, V_NUM, 400, 599, 0, O_COUNT | O_RETRY | O_PATH,
		"http=STATUS[,retry-after=S][,path=PREFIX][,count=N]", "answer STATUS (400..599) to requests under PREFIX (default\n"
		"all); N times (default 0 = always)" },
	/* The lab network's faults, for the whole phase. */
	{ "no-ntp-option", FAULT_NO_NTP_OPTION, FAULT_ON_DHCP, V_NONE, 0, 0, 0, 0,
		"no-ntp-option", "DHCP leaves out the NTP server (option 42)" },
	{ "lease", FAULT_LEASE, FAULT_ON_DHCP, V_NUM, 60, 86400, 0, 0,
		"lease=SECONDS", "the DHCP lease time (60..86400; default 3600)" },
	{ "nxdomain", FAULT_NXDOMAIN, FAULT_ON_DNS, V_NONE, 0, 0, 0, 0,
		"nxdomain", "the update host's name gets NXDOMAIN" },
	{ "wrong-address", FAULT_WRONG_ADDRESS, FAULT_ON_DNS, V_ADDR, 0, 0, 0, 0,
		"wrong-address=A", "DNS answers the update host with the IPv4 address A (where\n"
		"the backend used to be)" },
	{ "dns-slow", FAULT_DNS_SLOW, FAULT_ON_DNS, V_NUM, 1, 60, 0, 0,
		"dns-slow=SECONDS", "every DNS answer leaves SECONDS (1..60) after its question" },
	{ "ntp-silent", FAULT_NTP_SILENT, FAULT_ON_NTP, V_NONE, 0, 0, 0, 0,
		"ntp-silent", "no SNTP responder (as the phase key sntp = off)" },
	{ "ntp-date", FAULT_NTP_DATE, FAULT_ON_NTP, V_DATE, 0, 0, 0, 0,
		"ntp-date=DATE", "the SNTP responder serves DATE (YYYY-MM-DD[THH:MM:SSZ]) instead\n"
		"of the phase's date, advancing from there" },
	{ "kiss-of-death", FAULT_KISS_OF_DEATH, FAULT_ON_NTP, V_KISS, 0, 0, 0, 0,
		"kiss-of-death[=CODE]", "the SNTP responder answers every request with a\n"
		"kiss-o'-death: stratum 0, reference id CODE (RATE, DENY or\n"
		"RSTR; default RATE), RFC 5905 7.4" },
};

/* Kiss codes a responder may send to a client to make it stop (RFC 5905 7.4). */
static const char *const kiss_codes[] = { "RATE", "DENY", "RSTR", NULL };

#define NDEFS (sizeof defs / sizeof defs[0])

static const struct {
	const char *name;
	unsigned opt;
	uint64_t max;
} opt_defs[] = {
	{ "count", O_COUNT, 1000000 },
	{ "at", O_AT, MAX_OFFSET },
	{ "retry-after", O_RETRY, 99999999 },
	{ "path", O_PATH, 0 },
	{ "key", O_KEY, 0 },
};

/* see fault.h */
const char *
fault_name(fault_kind kind)
{
	size_t i;

	for (i = 0; i < NDEFS; i++)
		if (defs[i].kind == kind)
			return defs[i].name;
	return "?";
}

/* A decimal without sign or blanks, within [min, max]. */
static int
number(const char *what, const char *s, uint64_t min, uint64_t max, uint64_t *v,
	char *err, size_t errlen)
{
	char *end;

	if (*s < '0' || *s > '9')
		return util_err(err, errlen, "%s: \"%s\" is not a number", what, s);
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (*end != 0)
		return util_err(err, errlen, "%s: \"%s\" is not a number", what, s);
	if (errno != 0 || *v < min || *v > max)
		return util_err(err, errlen, "%s: %s is not in %llu..%llu", what, s,
			(unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* The certificate value of append and chain. */
static int
cert_value(fault *f, const struct fault_def *d, const char *v, fault_form form,
	char *err, size_t errlen)
{
	if (form == FAULT_FORM_FILES) {
		f->path = xstrdup(v);
		return 0;
	}
	if (d->value == V_LEAF) {
		const char *dot = strchr(v, '.');

		f->path = dot != NULL ? xstrndup(v, (size_t)(dot - v)) : xstrdup(v);
		f->variant = dot != NULL ? xstrdup(dot + 1) : NULL;
	} else {
		f->path = xstrdup(v);
	}
	if (!cfg_valid_id(f->path) || (f->variant != NULL && !cfg_valid_id(f->variant)))
		return util_err(err, errlen, "%s: \"%s\" is not a certificate id%s", d->name,
			v, d->value == V_LEAF ? " (ID or ID.VARIANT)" : "");
	return 0;
}

/* The value of a network fault: an address, a date or a kiss code (eq is
 * NULL when none was given). */
static int
lab_value(fault *f, const struct fault_def *d, const char *v, char *err, size_t errlen)
{
	struct in_addr a;
	char msg[128];
	size_t i;

	switch (d->value) {
	case V_ADDR:
		if (inet_pton(AF_INET, v, &a) != 1)
			return util_err(err, errlen, "%s: \"%s\" is not an IPv4 address", d->name, v);
		f->path = xstrdup(v);
		return 0;
	case V_DATE:
		if (simtime_parse(v, &f->date, msg, sizeof msg) != 0)
			return util_err(err, errlen, "%s: %s", d->name, msg);
		/* The dates an NTP timestamp carries (time/sntp.h). */
		if (f->date < -61505152LL || f->date > 4233462143LL)
			return util_err(err, errlen, "%s: %s is outside 1968..2104, the dates "
				"NTP can carry", d->name, v);
		return 0;
	case V_KISS:
		if (v == NULL) {
			f->path = xstrdup("RATE");
			return 0;
		}
		for (i = 0; kiss_codes[i] != NULL; i++)
			if (strcmp(v, kiss_codes[i]) == 0) {
				f->path = xstrdup(v);
				return 0;
			}
		return util_err(err, errlen, "%s: kiss code \"%s\" (want RATE, DENY or RSTR)",
			d->name, v);
	}
	return 0;
}

static int
option(fault *f, const struct fault_def *d, char *o, fault_form form, unsigned *seen,
	char *err, size_t errlen)
{
	char *v = strchr(o, '=');
	size_t i;
	uint64_t x = 0;

	if (v != NULL)
		*v++ = 0;
	if (v == NULL || *v == 0)
		return util_err(err, errlen, "%s: option \"%s\" needs a value (OPTION=VALUE)",
			d->name, o);
	for (i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
		if (strcmp(o, opt_defs[i].name) == 0)
			break;
	if (i == sizeof opt_defs / sizeof opt_defs[0] || (d->opts & opt_defs[i].opt) == 0
		|| (opt_defs[i].opt == O_KEY && form == FAULT_FORM_IDS))
		return util_err(err, errlen, "%s: no option \"%s\"", d->name, o);
	if (*seen & opt_defs[i].opt)
		return util_err(err, errlen, "%s: option \"%s\" given twice", d->name, o);
	*seen |= opt_defs[i].opt;
	if (opt_defs[i].max != 0) {
		char what[64];

		snprintf(what, sizeof what, "%s: %s", d->name, o);
		if (number(what, v, 0, opt_defs[i].max, &x, err, errlen) != 0)
			return -1;
	}
	switch (opt_defs[i].opt) {
	case O_COUNT: f->count = (unsigned)x; break;
	case O_AT: f->at = x; break;
	case O_RETRY: f->retry_after = (int64_t)x; break;
	case O_PATH:
		if (v[0] != '/' || strlen(v) > 1024 || strpbrk(v, " \t") != NULL)
			return util_err(err, errlen, "%s: path \"%s\" must start with / "
				"(a path prefix such as /firmware/)", d->name, v);
		f->path = xstrdup(v);
		break;
	case O_KEY: f->key = xstrdup(v); break;
	}
	return 0;
}

/* see fault.h */
int
fault_parse(fault *f, const char *spec, fault_form form, char *err, size_t errlen)
{
	char **items = NULL, *eq;
	const struct fault_def *d = NULL;
	size_t n, i;
	unsigned seen = 0;
	int ret = -1;

	memset(f, 0, sizeof *f);
	f->retry_after = -1;
	n = cfg_split(spec, ',', &items);
	if (n == 0) {
		util_err(err, errlen, "unknown fault \"\" (see rotsim serve --help)");
		goto out;
	}
	eq = strchr(items[0], '=');
	if (eq != NULL)
		*eq++ = 0;
	for (i = 0; i < NDEFS; i++)
		if (strcmp(items[0], defs[i].name) == 0)
			d = &defs[i];
	if (d == NULL) {
		if (form == FAULT_FORM_LAB)
			util_err(err, errlen, "unknown lab option \"%s\" (want nxdomain, "
				"wrong-address=A, dns-slow=S, no-ntp-option, lease=S, ntp-silent, "
				"ntp-date=DATE or kiss-of-death[=CODE])", items[0]);
		else
			util_err(err, errlen, "unknown fault \"%s\" (see rotsim serve --help)",
				items[0]);
		goto out;
	}
	if ((form == FAULT_FORM_LAB) != FAULT_STAGE_LAB(d->stage)) {
		util_err(err, errlen, form == FAULT_FORM_LAB
			? "%s is a fault of the update server, not of the lab network (the phase "
			"key faults)" : "%s is a fault of the lab network, not of the update server "
			"(the phase key lab)", d->name);
		goto out;
	}
	f->kind = d->kind;
	f->stage = d->stage;
	f->count = d->count;
	if (d->value != V_KISS && (d->value != V_NONE) != (eq != NULL)) {
		util_err(err, errlen, "\"%s\" %s", d->name, eq == NULL
			? "needs a value (NAME=VALUE)" : "takes no value");
		goto out;
	}
	if (d->value != V_NONE && eq != NULL && *eq == 0) {
		util_err(err, errlen, "%s: empty value", d->name);
		goto out;
	}
	if (d->value == V_NUM && number(d->name, eq, d->min, d->max, &f->value,
		err, errlen) != 0)
		goto out;
	if ((d->value == V_CERT || d->value == V_LEAF)
		&& cert_value(f, d, eq, form, err, errlen) != 0)
		goto out;
	if (d->value >= V_ADDR && lab_value(f, d, eq, err, errlen) != 0)
		goto out;
	for (i = 1; i < n; i++)
		if (option(f, d, items[i], form, &seen, err, errlen) != 0)
			goto out;
	f->spec = xstrdup(spec);
	ret = 0;
out:
	cfg_list_free(items, n);
	if (ret != 0)
		fault_clear(f);
	return ret;
}

/* see fault.h */
void
fault_clear(fault *f)
{
	if (f == NULL)
		return;
	free(f->spec);
	free(f->path);
	free(f->variant);
	free(f->key);
	memset(f, 0, sizeof *f);
	f->retry_after = -1;
}

/* see fault.h */
char *
fault_server_arg(const char *spec, const char *pkidir, char *err, size_t errlen)
{
	fault f;
	char *out;

	if (fault_parse(&f, spec, FAULT_FORM_IDS, err, errlen) != 0)
		return NULL;
	if (f.kind == FAULT_APPEND)
		out = xasprintf("append=%s/%s.crt.pem", pkidir, f.path);
	else if (f.kind == FAULT_CHAIN)
		out = xasprintf("chain=%s/chains/%s%s%s.pem,key=%s/%s.key.pem", pkidir, f.path,
			f.variant != NULL ? "." : "", f.variant != NULL ? f.variant : "",
			pkidir, f.path);
	else
		out = xstrdup(spec);
	fault_clear(&f);
	return out;
}

struct help_group {
	fault_stage stage;
	const char *title;
};

static void help_groups(buf_t *b, const struct help_group *groups, size_t ngroups);

/* see fault.h */
void
fault_help(buf_t *b)
{
	static const struct help_group groups[] = {
		{ FAULT_ON_CHAIN, "chain faults, applied to every chain in the order given" },
		{ FAULT_ON_BODY, "transfer faults (image bodies; offsets count from the first "
			"body byte)" },
		{ FAULT_ON_MANIFEST, "manifest faults" },
		{ FAULT_ON_REQUEST, "HTTP faults" },
	};

	help_groups(b, groups, sizeof groups / sizeof groups[0]);
}

/* see fault.h */
void
fault_lab_help(buf_t *b)
{
	static const struct help_group groups[] = {
		{ FAULT_ON_DHCP, "DHCP" },
		{ FAULT_ON_DNS, "DNS (the update host's name)" },
		{ FAULT_ON_NTP, "NTP (the lab's SNTP responder)" },
	};

	help_groups(b, groups, sizeof groups / sizeof groups[0]);
}

static void
help_groups(buf_t *b, const struct help_group *groups, size_t ngroups)
{
	size_t g, i;

	for (g = 0; g < ngroups; g++) {
		buf_printf(b, "  %s:\n", groups[g].title);
		for (i = 0; i < NDEFS; i++) {
			const char *h = defs[i].help, *nl;

			if (defs[i].stage != groups[g].stage)
				continue;
			buf_printf(b, "    %s\n", defs[i].syntax);
			for (; *h != 0; h = *nl ? nl + 1 : nl) {
				nl = strchr(h, '\n');
				if (nl == NULL)
					nl = h + strlen(h);
				buf_printf(b, "        %.*s\n", (int)(nl - h), h);
			}
		}
	}
}
