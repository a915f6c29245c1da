/*
 * Deterministic keys and their cache. See key.h.
 *
 * The generators are pinned to BearSSL's portable implementations (i31 for
 * RSA, m31 for EC) so that the random bytes they draw, and so the keys, do not
 * depend on what the CPU or compiler offers.
 */
#include "pki/key.h"
#include "pki/der.h"

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
		unsigned char pubtmp[BR_RSA_KBUF_PUB_SIZE(4096)];
		br_rsa_public_key pk;
		if (!br_rsa_i31_keygen(&rng.vtable, &k->rsa, k->rsa_priv_buf, &pk, pubtmp,
			type_bits(type), 65537) || rsa_fill_public(k) != 0) {
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
	return xasprintf("%s/keys-v1/%s/%s.%s.p8", cache_dir, hex, label, pki_key_type_name(type));
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
