/*
 * The lab-network options of a phase. See labnet.h.
 */
#include "net/labnet.h"
#include "common/util.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

typedef int (*option_fn)(labnet_phase *ph, const char *val, char *err, size_t errlen);

static int
opt_nxdomain(labnet_phase *ph, const char *val, char *err, size_t errlen)
{
	ph->nxdomain = 1;
	return 0;
}

static int
opt_wrong_address(labnet_phase *ph, const char *val, char *err, size_t errlen)
{
	struct in_addr a;

	if (inet_pton(AF_INET, val, &a) != 1)
		return util_err(err, errlen, "wrong-address: \"%s\" is not an IPv4 address", val);
	snprintf(ph->wrong_buf, sizeof ph->wrong_buf, "%s", val);
	ph->wrong_address = ph->wrong_buf;
	return 0;
}

static int
opt_no_ntp_option(labnet_phase *ph, const char *val, char *err, size_t errlen)
{
	ph->no_ntp_option = 1;
	return 0;
}

static int
opt_ntp_silent(labnet_phase *ph, const char *val, char *err, size_t errlen)
{
	ph->ntp_silent = 1;
	return 0;
}

static int
opt_lease(labnet_phase *ph, const char *val, char *err, size_t errlen)
{
	char *end;
	long s = strtol(val, &end, 10);

	if (*val == 0 || *end != 0 || s < 60 || s > 86400)
		return util_err(err, errlen, "lease: \"%s\": want seconds from 60 to 86400", val);
	ph->lease_s = (int)s;
	return 0;
}

static const struct {
	const char *name;
	int value;		/* 0 none, 1 required */
	option_fn fn;		/* NULL: not yet, with the reason */
	const char *why;
} options[] = {
	{ "nxdomain", 0, opt_nxdomain, NULL },
	{ "wrong-address", 1, opt_wrong_address, NULL },
	{ "no-ntp-option", 0, opt_no_ntp_option, NULL },
	{ "ntp-silent", 0, opt_ntp_silent, NULL },
	{ "lease", 1, opt_lease, NULL },
	{ "dns-slow", 1, NULL, "not yet supported (no way to delay DNS answers here)" },
	{ "ntp-date", 1, NULL, "not yet supported (the SNTP responder serves the phase's date)" },
	{ "kiss-of-death", 0, NULL, "not yet supported by the SNTP responder" },
};

/* see labnet.h */
int
labnet_option(labnet_phase *ph, const char *spec, char *err, size_t errlen)
{
	const char *eq = strchr(spec, '=');
	size_t nl = eq ? (size_t)(eq - spec) : strlen(spec), i;

	for (i = 0; i < sizeof options / sizeof options[0]; i++)
		if (strlen(options[i].name) == nl && strncmp(spec, options[i].name, nl) == 0)
			break;
	if (i == sizeof options / sizeof options[0])
		return util_err(err, errlen, "unknown lab option \"%.*s\" (want nxdomain, "
			"wrong-address=A, no-ntp-option, ntp-silent or lease=S)", (int)nl, spec);
	if (options[i].fn == NULL)
		return util_err(err, errlen, "%s: %s", options[i].name, options[i].why);
	if (options[i].value && eq == NULL)
		return util_err(err, errlen, "%s needs a value (%s=...)", options[i].name,
			options[i].name);
	if (!options[i].value && eq != NULL)
		return util_err(err, errlen, "%s takes no value", options[i].name);
	return options[i].fn(ph, eq ? eq + 1 : "", err, errlen);
}
