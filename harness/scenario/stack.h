/*
 * TLS stacks a device can run on (targets/firmware/README.md, "TLS stacks"),
 * and the names of devices on them.
 *
 * A stack id is "STACK" or "STACK-VARIANT" (a stack's name holds no '-'):
 * bearssl, mbedtls, mbedtls-no-time-date, wolfssl, openssl,
 * openssl-partial-chain, openssl-no-alt-chains, gnutls,
 * gnutls-no-trusted-time-checks, gnutls-strict-order. A device on a stack
 * other than bearssl is named "DEVICE@STACKID" in plans, results and reports
 * ('@' is no character of a device name, so the split is unambiguous); on
 * bearssl, the default, it keeps its own name.
 */
#ifndef ROTSIM_STACK_H
#define ROTSIM_STACK_H

#include <stddef.h>

/* The default stack, on which a device keeps its plain name. */
#define SCN_STACK_DEFAULT "bearssl"

/* Every stack id, NULL-terminated, in the order above. */
extern const char *const scn_stack_ids[];
/* The five plain stacks (rotsim run --stack all), NULL-terminated. */
extern const char *const scn_stack_plain[];

/* The table's own string for a stack id, or NULL when it is none. */
const char *scn_stack_find(const char *id);

/*
 * The stack id of a profile's "tls = STACK [VARIANT]" value ("default" is no
 * variant): the table's string, or NULL when the value names no stack id.
 */
const char *scn_stack_from_tls(const char *value);

/* The profile value "STACK" or "STACK VARIANT" for a stack id, in buf. */
void scn_stack_tls(const char *id, char *buf, size_t len);

/* The stack of a device name: what follows '@', else bearssl. */
const char *scn_device_stack(const char *name);

/* The length of the device part of a name (up to '@'). */
size_t scn_device_base_len(const char *name);

/* The device's name on a stack: "DEVICE", or "DEVICE@ID" when id is not
 * bearssl. Allocated with xmalloc(). */
char *scn_device_name(const char *device, const char *id);

#endif
