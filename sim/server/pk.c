/*
 * The server's private-key operations on libcrypto (see srv_int.h).
 *
 * Why: a full handshake costs the server one ephemeral key pair and one
 * shared secret (ECDHE) and one signature with the server key, and those
 * three are nearly all of its CPU time. Debian's BearSSL offers only its
 * portable code for them (br_ec_all_m31: p256_m31 and c25519_m31; RSA on
 * i62), which is many times slower than libcrypto's x86-64 code for the same
 * curves and keys. BearSSL stays the TLS engine; libcrypto only does the
 * arithmetic, through BearSSL's documented extension points: an EC
 * implementation (br_ec_impl, set on the engine) for ECDHE, and the policy's
 * do_sign (conn.c) for the signature.
 *
 * The EC implementation takes the curves BearSSL's br_ec_all_m31 takes, so
 * the curve a client gets is the one it got before. P-256, P-384, P-521 and
 * Curve25519 are all done by libcrypto; only muladd (ECDSA verification,
 * which a server that asks for no client certificate never does) stays
 * BearSSL's. Nothing falls back to BearSSL when libcrypto fails: the
 * operation fails and so does the handshake.
 */
#include "server/srv_int.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/rsa.h>

/* ---- the key ---- */

/* BearSSL's EC curve identifiers and libcrypto's names for them. */
static const struct {
	int curve;
	int nid;
	const char *name;	/* libcrypto's group name */
	size_t point_len;	/* an uncompressed point */
} prime_curves[] = {
	{ BR_EC_secp256r1, NID_X9_62_prime256v1, "prime256v1", 65 },
	{ BR_EC_secp384r1, NID_secp384r1, "secp384r1", 97 },
	{ BR_EC_secp521r1, NID_secp521r1, "secp521r1", 133 },
};
#define NPRIME (sizeof prime_curves / sizeof prime_curves[0])

static long
prime_index(int curve)
{
	size_t i;

	for (i = 0; i < NPRIME; i++)
		if (prime_curves[i].curve == curve)
			return (long)i;
	return -1;
}

/* 1 if the big-endian integer x[0..xlen) equals the libcrypto parameter
 * name of pkey. */
static int
param_equals(const EVP_PKEY *pkey, const char *name, const unsigned char *x, size_t xlen)
{
	BIGNUM *a = NULL, *b = NULL;
	int eq = 0;

	if (EVP_PKEY_get_bn_param(pkey, name, &a) == 1
		&& (b = BN_bin2bn(x, (int)xlen, NULL)) != NULL)
		eq = BN_cmp(a, b) == 0;
	BN_clear_free(a);
	BN_clear_free(b);
	return eq;
}

/* see srv_int.h */
void
srv_pk_free(srv_cred *c)
{
	EVP_PKEY_CTX_free(c->sign_ctx);
	EVP_PKEY_free(c->pkey);
	c->sign_ctx = NULL;
	c->pkey = NULL;
}

/*
 * The same DER that BearSSL decoded is decoded by libcrypto too, and the two
 * must agree (RSA: the first prime; EC: the curve and the private scalar), so
 * the key that signs is the key the configuration names whichever library
 * does the signing.
 */
/* see srv_int.h */
int
srv_pk_load(srv_cred *c, const char *path, const unsigned char *der, size_t len,
	char *err, size_t errlen)
{
	const unsigned char *p = der;
	EVP_PKEY *pkey = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	int ret = -1;

	srv_pk_free(c);
	pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
	if (pkey == NULL) {
		util_err(err, errlen, "%s: libcrypto cannot decode the private key", path);
		goto out;
	}
	if (c->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(c->skey);

		if (!EVP_PKEY_is_a(pkey, "RSA")
			|| !param_equals(pkey, OSSL_PKEY_PARAM_RSA_FACTOR1, sk->p, sk->plen))
		{
			util_err(err, errlen, "%s: libcrypto and BearSSL read different "
				"RSA keys", path);
			goto out;
		}
	} else {
		const br_ec_private_key *sk = br_skey_decoder_get_ec(c->skey);
		char group[64];
		long i = prime_index(sk->curve);

		if (i < 0) {
			util_err(err, errlen, "%s: EC key on an unsupported curve (%d)",
				path, sk->curve);
			goto out;
		}
		if (!EVP_PKEY_is_a(pkey, "EC")
			|| EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
				group, sizeof group, NULL) != 1
			|| strcmp(group, prime_curves[i].name) != 0
			|| !param_equals(pkey, OSSL_PKEY_PARAM_PRIV_KEY, sk->x, sk->xlen))
		{
			util_err(err, errlen, "%s: libcrypto and BearSSL read different "
				"EC keys", path);
			goto out;
		}
	}
	ctx = EVP_PKEY_CTX_new(pkey, NULL);
	if (ctx == NULL || EVP_PKEY_sign_init(ctx) != 1
		|| (c->key_type == BR_KEYTYPE_RSA
			&& EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1))
	{
		util_err(err, errlen, "%s: libcrypto cannot sign with the key", path);
		goto out;
	}
	c->pkey = pkey;
	c->sign_ctx = ctx;
	pkey = NULL;
	ctx = NULL;
	ret = 0;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return ret;
}

/* The digest of a TLS hash identifier (0: the MD5+SHA-1 concatenation, which
 * libcrypto signs without a DigestInfo, as TLS 1.0 and 1.1 want). */
static const EVP_MD *
hash_md(unsigned id)
{
	switch (id) {
	case 0: return EVP_md5_sha1();
	case br_md5_ID: return EVP_md5();
	case br_sha1_ID: return EVP_sha1();
	case br_sha224_ID: return EVP_sha224();
	case br_sha256_ID: return EVP_sha256();
	case br_sha384_ID: return EVP_sha384();
	case br_sha512_ID: return EVP_sha512();
	default: return NULL;
	}
}

/* see srv_int.h */
size_t
srv_pk_sign(const srv_cred *c, unsigned algo_id, unsigned char *data, size_t hv_len,
	size_t len)
{
	unsigned char hv[64];
	size_t siglen = len;

	/* BearSSL's single-key policies choose 0xFF00 + hash id: data holds the
	 * hash value. */
	if (c->sign_ctx == NULL || algo_id < 0xFF00 || hv_len > sizeof hv)
		return 0;
	if (c->key_type == BR_KEYTYPE_RSA) {
		const EVP_MD *md = hash_md(algo_id & 0xFF);

		if (md == NULL || (size_t)EVP_MD_get_size(md) != hv_len
			|| EVP_PKEY_CTX_set_signature_md(c->sign_ctx, md) != 1)
			return 0;
	}
	/* The signature is written over the hash value. */
	memcpy(hv, data, hv_len);
	if (EVP_PKEY_sign(c->sign_ctx, data, &siglen, hv, hv_len) != 1)
		siglen = 0;
	return siglen;
}

/* ---- ECDHE ---- */

/* The groups, made once: the multiplications run for every handshake. */
static EC_GROUP *groups[NPRIME];

static EC_GROUP *
group_of(size_t i)
{
	if (groups[i] == NULL)
		groups[i] = EC_GROUP_new_by_curve_name(prime_curves[i].nid);
	return groups[i];
}

/*
 * R = k*P on a prime curve (P NULL: the generator), written uncompressed in
 * out[0..point_len). P, when given, must be an uncompressed point on the curve
 * (libcrypto checks that it is on the curve; the cofactor is 1). Returns 1 or
 * 0 (bad point, result at infinity, libcrypto failing).
 */
static uint32_t
prime_mul(size_t ci, unsigned char *out, const unsigned char *P, size_t plen,
	const unsigned char *k, size_t klen)
{
	const EC_GROUP *g = group_of(ci);
	BN_CTX *bctx = NULL;
	EC_POINT *in = NULL, *r = NULL;
	BIGNUM *x = NULL;
	size_t olen = prime_curves[ci].point_len;
	uint32_t ok = 0;

	if (g == NULL || klen == 0 || klen > 66)
		return 0;
	if (P != NULL && (plen != olen || P[0] != 0x04))
		return 0;
	if ((bctx = BN_CTX_new()) == NULL || (r = EC_POINT_new(g)) == NULL
		|| (x = BN_bin2bn(k, (int)klen, NULL)) == NULL)
		goto out;
	BN_set_flags(x, BN_FLG_CONSTTIME);
	if (P != NULL) {
		if ((in = EC_POINT_new(g)) == NULL
			|| EC_POINT_oct2point(g, in, P, plen, bctx) != 1
			|| EC_POINT_mul(g, r, NULL, in, x, bctx) != 1)
			goto out;
	} else if (EC_POINT_mul(g, r, x, NULL, NULL, bctx) != 1) {
		goto out;
	}
	if (EC_POINT_is_at_infinity(g, r)
		|| EC_POINT_point2oct(g, r, POINT_CONVERSION_UNCOMPRESSED, out, olen,
			bctx) != olen)
		goto out;
	ok = 1;
out:
	BN_clear_free(x);
	EC_POINT_free(in);
	EC_POINT_clear_free(r);
	BN_CTX_free(bctx);
	return ok;
}

/*
 * Curve25519 as BearSSL's c25519 code takes it: 32-byte points and results
 * as RFC 7748 has them (little-endian u, the top bit ignored), and a 32-byte
 * multiplier in the RFC's own byte order, clamped as the RFC says (a unit
 * test holds the two libraries to the same results). The engine always draws
 * 32 bytes; a shorter multiplier is refused. libcrypto refuses a point of
 * small order (an all-zero result): the handshake fails rather than agree on
 * a known secret.
 */
static EVP_PKEY *
x25519_key(const unsigned char *k, size_t klen)
{
	if (klen != 32)
		return NULL;
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, k, klen);
}

/*
 * libcrypto computes the public half of an X25519 key whenever it makes one
 * from a private key, which is a third of the ECDHE work if the key is made
 * twice, for the ServerKeyExchange (mulgen) and again for the shared secret
 * (mul). So the keys mulgen makes wait here for their mul, at most
 * X25519_KEPT of them (one per handshake in that state), each taken out and
 * freed by its mul; an older one is freed when a newer one needs its place,
 * and srv_pk_forget frees them all (libcrypto clears a key it frees).
 */
#define X25519_KEPT 16
static struct {
	unsigned char k[32];
	EVP_PKEY *key;
} x25519_kept[X25519_KEPT];
static size_t x25519_next;

static void
x25519_keep(const unsigned char *k, EVP_PKEY *key)
{
	size_t i = x25519_next++ % X25519_KEPT;

	EVP_PKEY_free(x25519_kept[i].key);
	memcpy(x25519_kept[i].k, k, 32);
	x25519_kept[i].key = key;
}

/* The key kept for k (the caller frees it), or NULL. */
static EVP_PKEY *
x25519_take(const unsigned char *k, size_t klen)
{
	size_t i;
	EVP_PKEY *key;

	if (klen != 32)
		return NULL;
	for (i = 0; i < X25519_KEPT; i++) {
		if (x25519_kept[i].key != NULL
			&& CRYPTO_memcmp(x25519_kept[i].k, k, 32) == 0)
		{
			key = x25519_kept[i].key;
			x25519_kept[i].key = NULL;
			util_wipe(x25519_kept[i].k, 32);
			return key;
		}
	}
	return NULL;
}

/* see srv_int.h */
void
srv_pk_forget(void)
{
	size_t i;

	for (i = 0; i < X25519_KEPT; i++) {
		EVP_PKEY_free(x25519_kept[i].key);
		x25519_kept[i].key = NULL;
		util_wipe(x25519_kept[i].k, 32);
	}
}

static uint32_t
x25519_mul(unsigned char *G, size_t Glen, const unsigned char *k, size_t klen)
{
	EVP_PKEY *key = NULL, *peer = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	size_t olen = 32;
	uint32_t ok = 0;

	if (Glen != 32)
		return 0;
	if (((key = x25519_take(k, klen)) == NULL && (key = x25519_key(k, klen)) == NULL)
		|| (peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, G, 32)) == NULL
		|| (ctx = EVP_PKEY_CTX_new(key, NULL)) == NULL
		|| EVP_PKEY_derive_init(ctx) != 1
		|| EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1
		|| EVP_PKEY_derive(ctx, G, &olen) != 1 || olen != 32)
		goto out;
	ok = 1;
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	EVP_PKEY_free(key);
	return ok;
}

static size_t
x25519_mulgen(unsigned char *R, const unsigned char *k, size_t klen)
{
	EVP_PKEY *key;
	size_t olen = 32;

	if ((key = x25519_key(k, klen)) == NULL)
		return 0;
	if (EVP_PKEY_get_raw_public_key(key, R, &olen) != 1 || olen != 32) {
		EVP_PKEY_free(key);
		return 0;
	}
	x25519_keep(k, key);
	return olen;
}

/* The br_ec_impl methods. The curve constants are BearSSL's own. */

static const unsigned char *
pk_generator(int curve, size_t *len)
{
	return br_ec_all_m31.generator(curve, len);
}

static const unsigned char *
pk_order(int curve, size_t *len)
{
	return br_ec_all_m31.order(curve, len);
}

static size_t
pk_xoff(int curve, size_t *len)
{
	return br_ec_all_m31.xoff(curve, len);
}

static uint32_t
pk_mul(unsigned char *G, size_t Glen, const unsigned char *x, size_t xlen, int curve)
{
	long i;

	if (curve == BR_EC_curve25519)
		return x25519_mul(G, Glen, x, xlen);
	if ((i = prime_index(curve)) < 0)
		return 0;
	return prime_mul((size_t)i, G, G, Glen, x, xlen);
}

static size_t
pk_mulgen(unsigned char *R, const unsigned char *x, size_t xlen, int curve)
{
	long i;

	if (curve == BR_EC_curve25519)
		return x25519_mulgen(R, x, xlen);
	if ((i = prime_index(curve)) < 0)
		return 0;
	return prime_mul((size_t)i, R, NULL, 0, x, xlen)
		? prime_curves[i].point_len : 0;
}

static uint32_t
pk_muladd(unsigned char *A, const unsigned char *B, size_t len,
	const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen, int curve)
{
	return br_ec_all_m31.muladd(A, B, len, x, xlen, y, ylen, curve);
}

/* see srv_int.h */
const br_ec_impl srv_pk_ec = {
	(uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1
		| (uint32_t)1 << BR_EC_secp521r1 | (uint32_t)1 << BR_EC_curve25519,
	pk_generator, pk_order, pk_xoff, pk_mul, pk_mulgen, pk_muladd
};
