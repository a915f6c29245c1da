/*
 * What every TLS backend shares (tls.h): variant names, leaf pins, errors.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

/* see tls.h */
int
tls_variant_find(const char *name)
{
	int i;

	for (i = 0; tls_variants[i] != NULL; i++)
		if (strcmp(tls_variants[i], name) == 0)
			return i;
	return -1;
}

/* see tls.h */
int
tls_pin_match(const trust_store *t, const unsigned char *der, size_t len)
{
	unsigned char h[32];
	size_t i;

	if (trust_spki_sha256(h, der, len) != 0)
		return -2;
	for (i = 0; i < t->npins; i++)
		if (memcmp(h, t->pins[i], 32) == 0)
			return (int)i;
	return -1;
}

/* see tls.h */
int
tls_fail(tls_error *err, int cls, long code, const char *name, const char *text)
{
	err->cls = cls;
	err->code = code;
	snprintf(err->name, sizeof err->name, "%s", name != NULL ? name : "unknown");
	snprintf(err->text, sizeof err->text, "%s", text != NULL ? text : "");
	err->alert = -1;
	err->alert_from_device = 0;
	return -1;
}

/* see tls.h */
const char *
tls_class_name(int cls)
{
	static const char *const names[] = {
		[TLS_E_NONE] = "none", [TLS_E_IO] = "io", [TLS_E_UNTRUSTED] = "untrusted",
		[TLS_E_EXPIRED] = "expired", [TLS_E_NAME] = "name",
		[TLS_E_SIGNATURE] = "signature", [TLS_E_CERT] = "cert", [TLS_E_PIN] = "pin",
		[TLS_E_ALERT] = "alert", [TLS_E_PROTOCOL] = "protocol",
		[TLS_E_INTERNAL] = "internal",
	};

	return cls >= 0 && (size_t)cls < sizeof names / sizeof names[0] ? names[cls] : "unknown";
}
