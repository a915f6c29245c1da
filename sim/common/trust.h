/*
 * What a device trusts: a set of BearSSL trust anchors decoded from PEM
 * certificates (the factory store or an installed bundle's), a list of leaf
 * SPKI pins, and the X.509 engine that checks a chain against them.
 *
 * Three modes, one per kind of trust profile:
 *  - TRUST_ANCHORS: br_x509_minimal against the anchors, at the device's time,
 *    for the server's name (root-x1, pin-r3, legacy-dst, ...).
 *  - TRUST_PIN_LEAF: accept a chain whose first certificate's
 *    SubjectPublicKeyInfo has a SHA-256 in the pin list, and check nothing
 *    else (no time, no name, no issuer): the ESP8266 setFingerprint habit.
 *  - TRUST_INSECURE: accept any chain, take the leaf's key (the negative
 *    control).
 */
#ifndef ROTSIM_FW_TRUST_H
#define ROTSIM_FW_TRUST_H

#include <bearssl.h>
#include <stddef.h>
#include <stdint.h>

enum { TRUST_ANCHORS, TRUST_PIN_LEAF, TRUST_INSECURE };

typedef struct {
	unsigned char *der;
	size_t len;
} trust_cert;

typedef struct {
	br_x509_trust_anchor *tas;	/* each DN and key allocated with xmalloc() */
	trust_cert *certs;		/* the anchors' certificates (DER), one per
					 * anchor, for the TLS stacks that load
					 * certificates rather than names and keys */
	size_t ntas;
	unsigned char (*pins)[32];	/* SHA-256 of SPKIs */
	size_t npins;
} trust_store;

/* Release everything; the store is empty after. NULL-safe. */
void trust_free(trust_store *t);

/*
 * Add an anchor for every CERTIFICATE in PEM text (other objects are
 * skipped). A certificate that BearSSL cannot decode is an error. Anchors
 * are CA anchors when the certificate says CA (basicConstraints), else
 * end-entity anchors (as brssl does). Returns the number added or -1 with err.
 */
long trust_add_pem(trust_store *t, const void *pem, size_t len, char *err, size_t errlen);

/* Add the pins of a pin list: one base64 SHA-256 per line, blank lines and
 * '#' comments ignored. Returns the number added or -1 with err. */
long trust_add_pins(trust_store *t, const void *text, size_t len, char *err, size_t errlen);

/*
 * The SHA-256 of the SubjectPublicKeyInfo of a DER certificate (found with a
 * small DER walk, so the hash is over the exact bytes the certificate holds).
 * Returns 0 or -1 when the certificate is malformed.
 */
int trust_spki_sha256(unsigned char out[32], const unsigned char *der, size_t len);

/*
 * The X.509 engine for TRUST_PIN_LEAF and TRUST_INSECURE: a br_x509_class
 * that keeps the first certificate of the chain, decodes its key and, at the
 * end of the chain, accepts it (insecure) or compares its SPKI hash with the
 * pins (BR_ERR_X509_NOT_TRUSTED when none matches).
 */
#define TRUST_LEAF_MAX 16384

typedef struct {
	const br_x509_class *vtable;
	int mode;
	const trust_store *store;	/* borrowed */
	br_x509_decoder_context dc;
	unsigned char leaf[TRUST_LEAF_MAX];
	size_t leaf_len;
	int leaf_overflow;
	unsigned ncerts;
	br_x509_pkey pkey;
	unsigned char keybuf[1024];	/* the key's bytes, copied out of dc */
	int err;
	int pin_matched;		/* index of the pin that matched, -1 if none */
} trust_lax_context;

void trust_lax_init(trust_lax_context *c, int mode, const trust_store *store);

#endif
