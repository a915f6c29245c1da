/*
 * Deterministic key pairs for the test CA.
 *
 * A key is named by (seed, label, type). Its bits come from BearSSL's key
 * generators driven by an HMAC-DRBG (SHA-256) seeded with a hash of those three,
 * so the same name gives the same key on every machine. Generated keys can be
 * kept in a cache directory as PKCS#8 DER files, mode 0600.
 */
#ifndef ROTSIM_PKI_KEY_H
#define ROTSIM_PKI_KEY_H

#include <bearssl.h>
#include <stddef.h>

#include "common/util.h"

typedef enum {
	PKI_KEY_NONE = 0,
	PKI_RSA2048,
	PKI_RSA3072,
	PKI_RSA4096,
	PKI_P256,
	PKI_P384
} pki_key_type;

typedef struct {
	pki_key_type type;
	/* RSA: private and public parts point into the buffers below. */
	br_rsa_private_key rsa;
	br_rsa_public_key rsa_pub;
	unsigned char rsa_priv_buf[BR_RSA_KBUF_PRIV_SIZE(4096)];
	unsigned char rsa_n[512];
	unsigned char rsa_e[4];
	/* EC */
	br_ec_private_key ec;
	br_ec_public_key ec_pub;
	unsigned char ec_priv_buf[BR_EC_KBUF_PRIV_MAX_SIZE];
	unsigned char ec_pub_buf[BR_EC_KBUF_PUB_MAX_SIZE];
} pki_key;

/* The type for a name ("rsa2048", ...), or PKI_KEY_NONE. */
pki_key_type pki_key_type_from_name(const char *name);
const char *pki_key_type_name(pki_key_type t);
/* 1 for RSA types. */
int pki_key_is_rsa(pki_key_type t);

/*
 * Read the key (seed, label, type) from cache_dir into k. Returns 0 when a
 * cached copy exists and decodes to a key of that type and size, else -1 (the
 * caller then generates it). cache_dir may be NULL: always -1.
 */
int pki_key_load_cached(pki_key *k, const char *seed, const char *label,
	pki_key_type type, const char *cache_dir);

/* Store k in cache_dir (directories 0700, file 0600). 0 or -1 with err. */
int pki_key_store_cached(const pki_key *k, const char *seed, const char *label,
	const char *cache_dir, char *err, size_t errlen);

/* Generate without any cache. Returns 0, or -1 with err if BearSSL fails (it
 * should not for the types here; the check keeps a bad key from being used). */
int pki_key_generate(pki_key *k, const char *seed, const char *label, pki_key_type type,
	char *err, size_t errlen);

/* The private key as PKCS#8 DER (RFC 5208; for EC the key names its curve). */
void pki_key_pkcs8(const pki_key *k, buf_t *out);

/* The SubjectPublicKeyInfo DER. */
void pki_key_spki(const pki_key *k, buf_t *out);

/* The subjectPublicKey BIT STRING's bytes (for the key identifier): for RSA
 * the RSAPublicKey DER, for EC the uncompressed point. */
void pki_key_public_bits(const pki_key *k, buf_t *out);

/* Clear the private parts. */
void pki_key_wipe(pki_key *k);

#endif
