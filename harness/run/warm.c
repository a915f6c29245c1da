/*
 * The case's warm-up of libcrypto for the update servers it forks (see
 * run_int.h).
 *
 * Each phase's server (rotsim serve, started without exec: phase.c) does its
 * private-key operations on libcrypto. libcrypto looks up its algorithms (key
 * managers, decoders, signatures, key exchange) the first time a process uses
 * each, and that first look-up costs more than the rest of a server's start
 * (about 15 ms against well under 1 ms for a key read afterwards). Done once
 * here, in the process the servers are forked from, it is done for all of
 * them. Nothing here changes what a server does: the same key is read again,
 * by the server, from its own file.
 */
#include "run/run_int.h"

#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

/* The key types warmed so far (one bit each: RSA, EC), and whether the
 * key exchanges were. */
static unsigned warmed;
#define WARM_RSA 1u
#define WARM_EC 2u
#define WARM_KEX 4u

/* The key exchanges as the server does them (sim/server/pk.c): X25519 on
 * raw keys, the NIST curves on EC points. */
static void
warm_kex(void)
{
	unsigned char ka[32], kb[32], pub[32], s[32];
	size_t n = sizeof pub;
	EVP_PKEY *a = NULL, *b = NULL, *peer = NULL;
	EVP_PKEY_CTX *d = NULL;
	EC_GROUP *g = NULL;
	EC_POINT *r = NULL;
	BIGNUM *x = NULL;

	memset(ka, 0x5a, sizeof ka);
	memset(kb, 0xa5, sizeof kb);
	if ((a = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, ka, sizeof ka)) != NULL
		&& (b = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, kb, sizeof kb)) != NULL
		&& EVP_PKEY_get_raw_public_key(b, pub, &n) == 1
		&& (peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, n)) != NULL
		&& (d = EVP_PKEY_CTX_new(a, NULL)) != NULL && EVP_PKEY_derive_init(d) == 1
		&& EVP_PKEY_derive_set_peer(d, peer) == 1) {
		n = sizeof s;
		(void)EVP_PKEY_derive(d, s, &n);
	}
	if ((g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1)) != NULL
		&& (r = EC_POINT_new(g)) != NULL && (x = BN_bin2bn(ka, sizeof ka, NULL)) != NULL)
		(void)EC_POINT_mul(g, r, x, NULL, NULL, NULL);
	BN_free(x);
	EC_POINT_free(r);
	EC_GROUP_free(g);
	EVP_PKEY_CTX_free(d);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	EVP_PKEY_free(peer);
	OPENSSL_cleanse(s, sizeof s);
}

/* see run_int.h */
void
warm_server_crypto(const char *key_pem)
{
	BIO *bio = NULL;
	EVP_PKEY *key = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL, hash[32] = { 0 }, sig[1024];
	const unsigned char *p;
	size_t siglen = sizeof sig;
	long len = 0;
	unsigned bit;

	if (!(warmed & WARM_KEX)) {
		warmed |= WARM_KEX;
		warm_kex();
	}
	/* The key's DER as the server has it (the PEM block's bytes, which
	 * it decodes with BearSSL and hands to libcrypto as they are). */
	if ((bio = BIO_new_file(key_pem, "r")) == NULL
		|| PEM_read_bio(bio, &name, &header, &der, &len) != 1 || len <= 0)
		goto out;
	p = der;
	if ((key = d2i_AutoPrivateKey(NULL, &p, len)) == NULL)
		goto out;
	bit = EVP_PKEY_is_a(key, "RSA") ? WARM_RSA : EVP_PKEY_is_a(key, "EC") ? WARM_EC : 0;
	if (bit == 0 || (warmed & bit))
		goto out;
	warmed |= bit;
	if ((ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL || EVP_PKEY_sign_init(ctx) != 1
		|| (bit == WARM_RSA && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1)
		|| EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1)
		goto out;
	(void)EVP_PKEY_sign(ctx, sig, &siglen, hash, sizeof hash);
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(key);
	BIO_free(bio);
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (der != NULL)
		OPENSSL_clear_free(der, (size_t)len);
}
