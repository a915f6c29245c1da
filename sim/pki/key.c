/*
 * Deterministic keys and their cache. See key.h.
 *
 * Every key is a function of (seed, label, type) alone: a SHA-256 HMAC-DRBG
 * seeded from them draws all the random bytes, so the keys do not depend on
 * the CPU, the compiler or the library versions.
 *
 * EC keys: BearSSL's portable m31 code (br_ec_keygen).
 * RSA keys: rsa_keygen() below. Each prime is the first probable prime at or
 * after a start the DRBG draws; which number that is is a fact of arithmetic,
 * so any correct primality test finds the same one. The test and the big-number
 * arithmetic are OpenSSL's libcrypto (BN_check_prime): its Montgomery code runs
 * a 4096-bit key in a fraction of the time BearSSL's 31-bit code takes
 * (sim/pki/bench/bench_pki.sh), and cold hierarchies are mostly RSA key
 * generation. BearSSL builds and signs everything else.
 */
#include "pki/key.h"
#include "pki/der.h"

#include <openssl/bn.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	pki_key_type type;
	unsigned bits;
	int curve;
} key_types[] = {
	{ "rsa2048", PKI_RSA2048, 2048, 0 },
	{ "rsa3072", PKI_RSA3072, 3072, 0 },
	{ "rsa4096", PKI_RSA4096, 4096, 0 },
	{ "p256", PKI_P256, 0, BR_EC_secp256r1 },
	{ "p384", PKI_P384, 0, BR_EC_secp384r1 },
};

/* see key.h */
pki_key_type
pki_key_type_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
		if (strcmp(name, key_types[i].name) == 0)
			return key_types[i].type;
	return PKI_KEY_NONE;
}

/* see key.h */
const char *
pki_key_type_name(pki_key_type t)
{
	size_t i;

	for (i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
		if (key_types[i].type == t)
			return key_types[i].name;
	return "none";
}

/* see key.h */
int
pki_key_is_rsa(pki_key_type t)
{
	return t == PKI_RSA2048 || t == PKI_RSA3072 || t == PKI_RSA4096;
}

static unsigned
type_bits(pki_key_type t)
{
	size_t i;

	for (i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
		if (key_types[i].type == t)
			return key_types[i].bits;
	return 0;
}

static int
type_curve(pki_key_type t)
{
	size_t i;

	for (i = 0; i < sizeof key_types / sizeof key_types[0]; i++)
		if (key_types[i].type == t)
			return key_types[i].curve;
	return 0;
}

static void
derive_seed(unsigned char out[32], const char *seed, const char *label, pki_key_type type)
{
	br_sha256_context c;
	const char *tn = pki_key_type_name(type);

	br_sha256_init(&c);
	br_sha256_update(&c, "rotsim key v1", 14);
	br_sha256_update(&c, seed, strlen(seed) + 1);
	br_sha256_update(&c, label, strlen(label) + 1);
	br_sha256_update(&c, tn, strlen(tn) + 1);
	br_sha256_out(&c, out);
}

/*
 * Fill the RSA public key from the private one. The modulus is computed with
 * the i15 code: in BearSSL 0.6, br_rsa_i31_compute_modulus() returns 0 (no
 * modulus) for 4096-bit keys, while i15 handles every size we make. Returns 0,
 * or -1 if a value could not be computed.
 */
static int
rsa_fill_public(pki_key *k)
{
	size_t nlen = br_rsa_i15_compute_modulus(NULL, &k->rsa);
	uint32_t e = br_rsa_i15_compute_pubexp(&k->rsa);
	size_t off = 0;

	if (nlen == 0 || nlen > sizeof k->rsa_n || nlen != (k->rsa.n_bitlen + 7) / 8 || e == 0)
		return -1;
	br_rsa_i15_compute_modulus(k->rsa_n, &k->rsa);
	k->rsa_e[0] = (unsigned char)(e >> 24);
	k->rsa_e[1] = (unsigned char)(e >> 16);
	k->rsa_e[2] = (unsigned char)(e >> 8);
	k->rsa_e[3] = (unsigned char)e;
	k->rsa_pub.n = k->rsa_n;
	k->rsa_pub.nlen = nlen;
	/* Strip leading zero bytes of the exponent. */
	while (off < 3 && k->rsa_e[off] == 0)
		off++;
	k->rsa_pub.e = k->rsa_e + off;
	k->rsa_pub.elen = 4 - off;
	return 0;
}

/* Small odd primes: a candidate one of them divides is skipped before the
 * expensive test. */
static const unsigned short small_primes[] = {
	3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79,
	83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
	173, 179, 181, 191, 193, 197, 199, 211, 223, 227, 229, 233, 239, 241, 251, 257,
	263, 269, 271, 277, 281, 283, 293, 307, 311, 313, 317, 331, 337, 347, 349, 353,
	359, 367, 373, 379, 383, 389, 397, 401, 409, 419, 421, 431, 433, 439, 443, 449,
	457, 461, 463, 467, 479, 487, 491, 499, 503, 509, 521, 523, 541, 547, 557, 563,
	569, 571, 577, 587, 593, 599, 601, 607, 613, 617, 619, 631, 641, 643, 647, 653,
	659, 661, 673, 677, 683, 691, 701, 709, 719, 727, 733, 739, 743, 751, 757, 761,
	769, 773, 787, 797, 809, 811, 821, 823, 827, 829, 839, 853, 857, 859, 863, 877,
	881, 883, 887, 907, 911, 919, 929, 937, 941, 947, 953, 967, 971, 977, 983, 991,
	997,
};
#define N_SMALL (sizeof small_primes / sizeof small_primes[0])
#define RSA_E 65537u

/* One prime of exactly bits bits (bits a multiple of 8), its two top bits set
 * (so that the product of two has exactly twice as many), p = 3 mod 4 (as
 * BearSSL's own generator makes them: its br_rsa_*_compute_pubexp, which the
 * key's public half is computed with, needs (p - 1) / 2 odd) and p mod e != 1
 * (so that e is invertible mod p - 1): the first such probable prime at or
 * after a start drawn from rng, searched upwards in steps of 4. Returns 0, or
 * -1 on an error of the library. */
static int
rsa_prime(br_hmac_drbg_context *rng, unsigned bits, BIGNUM *p, BN_CTX *ctx)
{
	unsigned char buf[256];
	size_t len = bits / 8;
	unsigned rem[N_SMALL];
	unsigned long emod;

	for (;;) {
		unsigned long delta;
		size_t i;

		br_hmac_drbg_generate(rng, buf, len);
		buf[0] |= 0xC0;
		buf[len - 1] |= 3;
		if (BN_bin2bn(buf, (int)len, p) == NULL)
			return -1;
		/* Residues of the start, updated as delta grows: no division
		 * of the big number per candidate. */
		for (i = 0; i < N_SMALL; i++) {
			BN_ULONG r = BN_mod_word(p, small_primes[i]);
			if (r == (BN_ULONG)-1)
				return -1;
			rem[i] = (unsigned)r;
		}
		if ((emod = BN_mod_word(p, RSA_E)) == (unsigned long)(BN_ULONG)-1)
			return -1;
		/* A 4096-bit key's primes are about 1420 apart on average; a
		 * start without one in 2^16 steps draws a new start. */
		for (delta = 0; delta < (1ul << 18); delta += 4) {
			int r;

			for (i = 0; i < N_SMALL; i++)
				if ((rem[i] + delta) % small_primes[i] == 0)
					break;
			if (i < N_SMALL || (emod + delta) % RSA_E == 1)
				continue;
			if (!BN_add_word(p, (BN_ULONG)delta))
				return -1;
			if (BN_num_bits(p) != (int)bits)
				break;
			if ((r = BN_check_prime(p, ctx, NULL)) < 0)
				return -1;
			if (r == 1)
				return 0;
			if (!BN_sub_word(p, (BN_ULONG)delta))
				return -1;
		}
	}
}

/* Writes x into the next len bytes at *buf, big-endian, left-padded with
 * zeros; returns where they start, or NULL when x does not fit. */
static unsigned char *
rsa_put(unsigned char **buf, size_t *left, const BIGNUM *x, size_t len)
{
	unsigned char *at = *buf;

	if (len > *left || BN_bn2binpad(x, at, (int)len) != (int)len)
		return NULL;
	*buf += len;
	*left -= len;
	return at;
}

/* An RSA key of bits bits, e = 65537, into k->rsa and k->rsa_priv_buf.
 * Returns 0 or -1. */
static int
rsa_keygen(pki_key *k, br_hmac_drbg_context *rng, unsigned bits)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *p = BN_new(), *q = BN_new(), *n = BN_new(), *e = BN_new(), *t = BN_new();
	BIGNUM *dp = BN_new(), *dq = BN_new(), *iq = BN_new();
	unsigned char *buf = k->rsa_priv_buf;
	size_t left = sizeof k->rsa_priv_buf, plen = (bits / 2 + 7) / 8;
	int ret = -1;

	if (ctx == NULL || p == NULL || q == NULL || n == NULL || e == NULL || t == NULL
		|| dp == NULL || dq == NULL || iq == NULL || bits % 16 != 0
		|| plen > 256 || !BN_set_word(e, RSA_E))
		goto out;
	do {
		if (rsa_prime(rng, bits / 2, p, ctx) != 0 || rsa_prime(rng, bits / 2, q, ctx) != 0)
			goto out;
	} while (BN_cmp(p, q) == 0);
	if (BN_cmp(p, q) < 0)
		BN_swap(p, q);
	if (!BN_mul(n, p, q, ctx) || BN_num_bits(n) != (int)bits)
		goto out;
	/* dp = e^-1 mod (p - 1), dq = e^-1 mod (q - 1), iq = q^-1 mod p. */
	if (BN_copy(t, p) == NULL || !BN_sub_word(t, 1) || BN_mod_inverse(dp, e, t, ctx) == NULL
		|| BN_copy(t, q) == NULL || !BN_sub_word(t, 1)
		|| BN_mod_inverse(dq, e, t, ctx) == NULL || BN_mod_inverse(iq, q, p, ctx) == NULL)
		goto out;
	k->rsa.n_bitlen = bits;
	if ((k->rsa.p = rsa_put(&buf, &left, p, plen)) == NULL
		|| (k->rsa.q = rsa_put(&buf, &left, q, plen)) == NULL
		|| (k->rsa.dp = rsa_put(&buf, &left, dp, plen)) == NULL
		|| (k->rsa.dq = rsa_put(&buf, &left, dq, plen)) == NULL
		|| (k->rsa.iq = rsa_put(&buf, &left, iq, plen)) == NULL)
		goto out;
	k->rsa.plen = k->rsa.qlen = k->rsa.dplen = k->rsa.dqlen = k->rsa.iqlen = plen;
	ret = 0;
out:
	BN_clear_free(p);
	BN_clear_free(q);
	BN_free(n);
	BN_free(e);
	BN_clear_free(t);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(iq);
	BN_CTX_free(ctx);
	return ret;
}

/* see key.h */
int
pki_key_generate(pki_key *k, const char *seed, const char *label, pki_key_type type,
	char *err, size_t errlen)
{
	br_hmac_drbg_context rng;
	unsigned char s[32];
	int ret = -1;

	memset(k, 0, sizeof *k);
	k->type = type;
	derive_seed(s, seed, label, type);
	br_hmac_drbg_init(&rng, &br_sha256_vtable, s, sizeof s);
	if (pki_key_is_rsa(type)) {
		if (rsa_keygen(k, &rng, type_bits(type)) != 0 || rsa_fill_public(k) != 0) {
			util_err(err, errlen, "%s: %s key generation failed", label,
				pki_key_type_name(type));
			goto out;
		}
	} else {
		if (br_ec_keygen(&rng.vtable, &br_ec_all_m31, &k->ec, k->ec_priv_buf,
			type_curve(type)) == 0
			|| br_ec_compute_pub(&br_ec_all_m31, &k->ec_pub, k->ec_pub_buf, &k->ec) == 0) {
			util_err(err, errlen, "%s: %s key generation failed", label,
				pki_key_type_name(type));
			goto out;
		}
	}
	ret = 0;
out:
	util_wipe(s, sizeof s);
	util_wipe(&rng, sizeof rng);
	return ret;
}

/* Load a key from PKCS#8 DER. Returns 0 or -1 when it does not decode to a
 * key of the wanted type. */
static int
key_from_pkcs8(pki_key *k, pki_key_type type, const unsigned char *der, size_t len)
{
	br_skey_decoder_context dc;
	int ret = -1;

	memset(k, 0, sizeof *k);
	k->type = type;
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	if (br_skey_decoder_last_error(&dc) != 0)
		goto out;
	if (pki_key_is_rsa(type)) {
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&dc);
		if (sk == NULL || sk->n_bitlen != type_bits(type))
			goto out;
		size_t off = 0;
		unsigned char *buf = k->rsa_priv_buf;
#define COPY(f) do { \
		if (off + sk->f##len > sizeof k->rsa_priv_buf) goto out; \
		memcpy(buf + off, sk->f, sk->f##len); \
		k->rsa.f = buf + off; k->rsa.f##len = sk->f##len; off += sk->f##len; \
	} while (0)
		COPY(p); COPY(q); COPY(dp); COPY(dq); COPY(iq);
#undef COPY
		k->rsa.n_bitlen = sk->n_bitlen;
		if (rsa_fill_public(k) != 0)
			goto out;
	} else {
		const br_ec_private_key *sk = br_skey_decoder_get_ec(&dc);
		if (sk == NULL || sk->curve != type_curve(type) || sk->xlen > sizeof k->ec_priv_buf)
			goto out;
		memcpy(k->ec_priv_buf, sk->x, sk->xlen);
		k->ec.curve = sk->curve;
		k->ec.x = k->ec_priv_buf;
		k->ec.xlen = sk->xlen;
		if (br_ec_compute_pub(&br_ec_all_m31, &k->ec_pub, k->ec_pub_buf, &k->ec) == 0)
			goto out;
	}
	ret = 0;
out:
	util_wipe(&dc, sizeof dc);
	return ret;
}

/* see key.h */
void
pki_key_pkcs8(const pki_key *k, buf_t *out)
{
	size_t len;

	if (pki_key_is_rsa(k->type)) {
		unsigned char d[512];
		size_t dlen = br_rsa_i15_compute_privexp(d, &k->rsa, 65537);
		len = br_encode_rsa_pkcs8_der(NULL, &k->rsa, &k->rsa_pub, d, dlen);
		buf_reserve(out, len);
		br_encode_rsa_pkcs8_der(out->data + out->len, &k->rsa, &k->rsa_pub, d, dlen);
		util_wipe(d, sizeof d);
	} else {
		len = br_encode_ec_pkcs8_der(NULL, &k->ec, &k->ec_pub);
		buf_reserve(out, len);
		br_encode_ec_pkcs8_der(out->data + out->len, &k->ec, &k->ec_pub);
	}
	out->len += len;
}

/* see key.h */
void
pki_key_public_bits(const pki_key *k, buf_t *out)
{
	if (pki_key_is_rsa(k->type)) {
		size_t m = der_begin(out, DER_SEQUENCE);
		der_uint(out, k->rsa_pub.n, k->rsa_pub.nlen);
		der_uint(out, k->rsa_pub.e, k->rsa_pub.elen);
		der_end(out, m);
	} else {
		buf_append(out, k->ec_pub.q, k->ec_pub.qlen);
	}
}

/* see key.h */
void
pki_key_spki(const pki_key *k, buf_t *out)
{
	buf_t bits = {0};
	size_t m = der_begin(out, DER_SEQUENCE), a = der_begin(out, DER_SEQUENCE);

	if (pki_key_is_rsa(k->type)) {
		der_oid(out, "1.2.840.113549.1.1.1");
		der_null(out);
	} else {
		der_oid(out, "1.2.840.10045.2.1");
		der_oid(out, k->type == PKI_P256 ? "1.2.840.10045.3.1.7" : "1.3.132.0.34");
	}
	der_end(out, a);
	pki_key_public_bits(k, &bits);
	der_bit_string(out, bits.data, bits.len, 0);
	der_end(out, m);
	buf_free(&bits);
}

/* see key.h */
void
pki_key_wipe(pki_key *k)
{
	util_wipe(k, sizeof *k);
}

static char *
cache_path(const char *cache_dir, const char *seed, const char *label, pki_key_type type)
{
	unsigned char h[32];
	char hex[65];

	util_sha256(h, seed, strlen(seed));
	util_hex(hex, h, 8);
	return xasprintf("%s/keys-v2/%s/%s.%s.p8", cache_dir, hex, label, pki_key_type_name(type));
}

/* see key.h */
int
pki_key_load_cached(pki_key *k, const char *seed, const char *label,
	pki_key_type type, const char *cache_dir)
{
	char *path;
	unsigned char *data = NULL;
	size_t len = 0;
	char rerr[256];
	int ret = -1;

	if (cache_dir == NULL)
		return -1;
	/* The file's name holds the seed's hash, the label, the type and the
	 * derivation's version, and only pki_key_store_cached() writes there; a
	 * file that does not decode to a key of the right type and size is
	 * treated as absent, and the caller regenerates and replaces it. */
	path = cache_path(cache_dir, seed, label, type);
	if (util_read_file(path, &data, &len, rerr, sizeof rerr) == 0)
		ret = key_from_pkcs8(k, type, data, len);
	if (data != NULL) {
		util_wipe(data, len);
		free(data);
	}
	free(path);
	return ret;
}

/* see key.h */
int
pki_key_store_cached(const pki_key *k, const char *seed, const char *label,
	const char *cache_dir, char *err, size_t errlen)
{
	char *path = cache_path(cache_dir, seed, label, k->type), *dir = xstrdup(path);
	buf_t der = {0};
	int ret = -1;

	*strrchr(dir, '/') = 0;
	if (util_mkdirs(dir, 0700, err, errlen) != 0)
		goto out;
	pki_key_pkcs8(k, &der);
	ret = util_write_atomic(path, der.data, der.len, 0600, err, errlen);
out:
	if (der.data != NULL)
		util_wipe(der.data, der.len);
	buf_free(&der);
	free(path);
	free(dir);
	return ret;
}
