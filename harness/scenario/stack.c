/*
 * TLS stack ids and device names on stacks. See stack.h.
 */
#include "scenario/stack.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

/* see stack.h */
const char *const scn_stack_ids[] = {
	"bearssl",
	"mbedtls", "mbedtls-no-time-date",
	"wolfssl",
	"openssl", "openssl-partial-chain", "openssl-no-alt-chains",
	"gnutls", "gnutls-no-trusted-time-checks", "gnutls-strict-order",
	NULL
};

/* see stack.h */
const char *const scn_stack_plain[] = {
	"bearssl", "mbedtls", "wolfssl", "openssl", "gnutls", NULL
};

/* see stack.h */
const char *
scn_stack_find(const char *id)
{
	size_t i;

	for (i = 0; id != NULL && scn_stack_ids[i] != NULL; i++)
		if (strcmp(scn_stack_ids[i], id) == 0)
			return scn_stack_ids[i];
	return NULL;
}

/* see stack.h */
const char *
scn_stack_from_tls(const char *value)
{
	char stack[32], variant[64], id[100];
	int n = 0;

	variant[0] = 0;
	if (sscanf(value, "%31s %63s %n", stack, variant, &n) < 1
		|| (variant[0] != 0 && value[n] != 0) || strchr(stack, '-') != NULL)
		return NULL;
	if (variant[0] == 0 || strcmp(variant, "default") == 0)
		return scn_stack_find(stack);
	snprintf(id, sizeof id, "%s-%s", stack, variant);
	return scn_stack_find(id);
}

/* see stack.h */
void
scn_stack_tls(const char *id, char *buf, size_t len)
{
	const char *dash = strchr(id, '-');

	if (dash == NULL)
		snprintf(buf, len, "%s", id);
	else
		snprintf(buf, len, "%.*s %s", (int)(dash - id), id, dash + 1);
}

/* see stack.h */
const char *
scn_device_stack(const char *name)
{
	const char *at = strchr(name, '@');

	return at != NULL ? at + 1 : SCN_STACK_DEFAULT;
}

/* see stack.h */
size_t
scn_device_base_len(const char *name)
{
	return strcspn(name, "@");
}

/* see stack.h */
char *
scn_device_name(const char *device, const char *id)
{
	size_t n = scn_device_base_len(device);

	if (id == NULL || strcmp(id, SCN_STACK_DEFAULT) == 0)
		return xstrndup(device, n);
	return xasprintf("%.*s@%s", (int)n, device, id);
}
