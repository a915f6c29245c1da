/*
 * Firmware signing key, manifest writer, parser and verifier; a PEM reader.
 */
#include "fw/fw.h"

#include <bearssl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"

/* The DER prefix of a SubjectPublicKeyInfo for an uncompressed P-256 point:
 * SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 0, ... } }. */
static const unsigned char spki_p256_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02,
	0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03,
	0x42, 0x00
};

static const char manifest_magic[] = "rotsim-manifest 1";

/* Fill the public point of k from its scalar. */
static int
key_compute_pub(fw_key *k, char *err, size_t errlen)
{
	br_ec_private_key sk;
	br_ec_public_key pk;
	unsigned char kbuf[BR_EC_KBUF_PUB_MAX_SIZE];

	sk.curve = BR_EC_secp256r1;
	sk.x = k->d;
	sk.xlen = sizeof k->d;
	if (br_ec_compute_pub(&br_ec_p256_m31, &pk, kbuf, &sk) != 65)
		return util_err(err, errlen, "invalid P-256 private key");
	memcpy(k->q, pk.q, 65);
	return 0;
}

/* see fw.h */
int
fw_key_generate(fw_key *k, char *err, size_t errlen)
{
	br_hmac_drbg_context rng;
	br_prng_seeder seeder;
	br_ec_private_key sk;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE];
	int ret = -1;

	seeder = br_prng_seeder_system(NULL);
	if (seeder == 0)
		return util_err(err, errlen, "no system entropy source");
	br_hmac_drbg_init(&rng, &br_sha256_vtable, NULL, 0);
	if (!seeder(&rng.vtable)) {
		util_err(err, errlen, "system entropy source failed");
		goto out;
	}
	if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, kbuf,
		BR_EC_secp256r1) != 32)
	{
		util_err(err, errlen, "P-256 key generation failed");
		goto out;
	}
	memcpy(k->d, sk.x, 32);
	ret = key_compute_pub(k, err, errlen);
out:
	util_wipe(kbuf, sizeof kbuf);
	util_wipe(&rng, sizeof rng);
	return ret;
}

/* see fw.h */
int
fw_key_parse(fw_key *k, const void *pem, size_t len, char *err, size_t errlen)
{
	fw_pem_obj *objs = NULL;
	long n;
	size_t i;
	br_skey_decoder_context dc;
	const br_ec_private_key *sk;
	int ret = -1;

	n = fw_pem_decode(pem, len, &objs, err, errlen);
	if (n < 0)
		return -1;
	for (i = 0; i < (size_t)n; i++) {
		if (strcmp(objs[i].name, "PRIVATE KEY") == 0
			|| strcmp(objs[i].name, "EC PRIVATE KEY") == 0)
			break;
	}
	if (i == (size_t)n) {
		util_err(err, errlen, "no PRIVATE KEY or EC PRIVATE KEY object");
		goto out;
	}
	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, objs[i].data, objs[i].len);
	if (br_skey_decoder_last_error(&dc) != 0) {
		util_err(err, errlen, "undecodable private key (BearSSL error %d)",
			br_skey_decoder_last_error(&dc));
		goto out;
	}
	if (br_skey_decoder_key_type(&dc) != BR_KEYTYPE_EC) {
		util_err(err, errlen, "not an EC key (the firmware key is P-256)");
		goto out;
	}
	sk = br_skey_decoder_get_ec(&dc);
	if (sk->curve != BR_EC_secp256r1 || sk->xlen == 0 || sk->xlen > 32) {
		util_err(err, errlen, "not a P-256 key");
		goto out;
	}
	memset(k->d, 0, sizeof k->d);
	memcpy(k->d + 32 - sk->xlen, sk->x, sk->xlen);
	ret = key_compute_pub(k, err, errlen);
out:
	util_wipe(&dc, sizeof dc);
	for (i = 0; objs != NULL && i < (size_t)n; i++)
		util_wipe(objs[i].data, objs[i].len);
	fw_pem_free(objs, n > 0 ? (size_t)n : 0);
	return ret;
}

/* see fw.h */
int
fw_key_load(fw_key *k, const char *path, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	char e[200];
	int ret;

	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	ret = fw_key_parse(k, data, len, e, sizeof e);
	if (ret != 0)
		util_err(err, errlen, "%s: %s", path, e);
	util_wipe(data, len);
	free(data);
	return ret;
}

/* see fw.h */
int
fw_key_save(const fw_key *k, const char *path, char *err, size_t errlen)
{
	br_ec_private_key sk;
	br_ec_public_key pk;
	unsigned char *der = NULL;
	char *pem = NULL;
	size_t dlen = 0, plen = 0;
	struct stat st;
	int ret = -1;

	if (lstat(path, &st) == 0)
		return util_err(err, errlen, "%s: already exists (not replaced)", path);
	if (errno != ENOENT)
		return util_err(err, errlen, "%s: %s", path, strerror(errno));
	sk.curve = BR_EC_secp256r1;
	sk.x = (unsigned char *)k->d;
	sk.xlen = 32;
	pk.curve = BR_EC_secp256r1;
	pk.q = (unsigned char *)k->q;
	pk.qlen = 65;
	dlen = br_encode_ec_pkcs8_der(NULL, &sk, &pk);
	if (dlen == 0) {
		util_err(err, errlen, "cannot encode the key");
		goto out;
	}
	der = xmalloc(dlen);
	br_encode_ec_pkcs8_der(der, &sk, &pk);
	plen = br_pem_encode(NULL, der, dlen, "PRIVATE KEY", BR_PEM_LINE64);
	pem = xmalloc(plen + 1);
	br_pem_encode(pem, der, dlen, "PRIVATE KEY", BR_PEM_LINE64);
	ret = util_write_atomic(path, pem, plen, 0600, err, errlen);
out:
	if (der != NULL)
		util_wipe(der, dlen);
	if (pem != NULL)
		util_wipe(pem, plen);
	free(der);
	free(pem);
	return ret;
}

/* see fw.h */
char *
fw_key_pub_pem(const fw_key *k)
{
	unsigned char der[sizeof spki_p256_prefix + 65];
	size_t plen;
	char *pem;

	memcpy(der, spki_p256_prefix, sizeof spki_p256_prefix);
	memcpy(der + sizeof spki_p256_prefix, k->q, 65);
	plen = br_pem_encode(NULL, der, sizeof der, "PUBLIC KEY", BR_PEM_LINE64);
	pem = xmalloc(plen + 1);
	br_pem_encode(pem, der, sizeof der, "PUBLIC KEY", BR_PEM_LINE64);
	return pem;
}

/* see fw.h */
void
fw_key_wipe(fw_key *k)
{
	if (k != NULL)
		util_wipe(k->d, sizeof k->d);
}

/* see fw.h */
int
fw_pub_parse(unsigned char q[65], const void *data, size_t len,
	char *err, size_t errlen)
{
	fw_pem_obj *objs = NULL;
	long n;
	int ret = -1;

	if (len == 65 && ((const unsigned char *)data)[0] == 0x04) {
		memcpy(q, data, 65);
		return 0;
	}
	n = fw_pem_decode(data, len, &objs, err, errlen);
	if (n < 0)
		return -1;
	if (n < 1 || strcmp(objs[0].name, "PUBLIC KEY") != 0
		|| objs[0].len != sizeof spki_p256_prefix + 65
		|| memcmp(objs[0].data, spki_p256_prefix, sizeof spki_p256_prefix) != 0)
	{
		util_err(err, errlen, "not a P-256 public key (PEM SPKI or 65 raw bytes)");
		goto out;
	}
	memcpy(q, objs[0].data + sizeof spki_p256_prefix, 65);
	ret = 0;
out:
	fw_pem_free(objs, n > 0 ? (size_t)n : 0);
	return ret;
}

/*
 * A decimal number without sign or leading zero, within max. The parser is
 * written so that a device can copy it: no strtoul(), whose sign and blank
 * handling would accept more than the format allows.
 */
static int
parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

static int
url_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > FW_URL_MAX || s[0] != '/')
		return 0;
	for (i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return 1;
}

/* see fw.h */
int
fw_manifest_parse(fw_manifest *m, const void *text, size_t len,
	char *err, size_t errlen)
{
	static const char *const keys[] = { "version", "size", "sha256", "url", "sig" };
	const char *p = text, *end = p + len;
	unsigned line;

	memset(m, 0, sizeof *m);
	for (line = 1; line <= 6; line++) {
		const char *nl, *val;
		size_t klen, vlen;
		uint64_t v;

		if (p == end)
			return util_err(err, errlen, "line %u: unexpected end", line);
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			return util_err(err, errlen, "line %u: no newline", line);
		if (line == 1) {
			if ((size_t)(nl - p) != sizeof manifest_magic - 1
				|| memcmp(p, manifest_magic, sizeof manifest_magic - 1) != 0)
				return util_err(err, errlen,
					"line 1: not \"%s\"", manifest_magic);
			p = nl + 1;
			continue;
		}
		klen = strlen(keys[line - 2]);
		if ((size_t)(nl - p) < klen + 1 || memcmp(p, keys[line - 2], klen) != 0
			|| p[klen] != ' ')
			return util_err(err, errlen, "line %u: expected \"%s VALUE\"",
				line, keys[line - 2]);
		val = p + klen + 1;
		vlen = (size_t)(nl - val);
		switch (line) {
		case 2:
			if (parse_dec(val, vlen, UINT32_MAX, &v) != 0)
				return util_err(err, errlen, "line 2: bad version");
			m->version = (uint32_t)v;
			break;
		case 3:
			if (parse_dec(val, vlen, UINT64_MAX, &v) != 0)
				return util_err(err, errlen, "line 3: bad size");
			m->size = v;
			break;
		case 4: {
			char hex[65];
			size_t i;

			if (vlen != 64)
				return util_err(err, errlen, "line 4: sha256 is not 64 hex digits");
			for (i = 0; i < 64; i++)
				if (!((val[i] >= '0' && val[i] <= '9')
					|| (val[i] >= 'a' && val[i] <= 'f')))
					return util_err(err, errlen,
						"line 4: sha256 is not lower-case hex");
			memcpy(hex, val, 64);
			hex[64] = 0;
			if (util_unhex(m->sha256, 32, hex) != 32)
				return util_err(err, errlen, "line 4: bad sha256");
			break;
		}
		case 5:
			if (!url_valid(val, vlen))
				return util_err(err, errlen, "line 5: bad url");
			memcpy(m->url, val, vlen);
			m->url[vlen] = 0;
			m->signed_len = (size_t)(nl + 1 - (const char *)text);
			break;
		case 6:
			if (vlen != 88 || util_b64_decode(m->sig, sizeof m->sig, val, vlen) != 64)
				return util_err(err, errlen,
					"line 6: sig is not base64 of 64 bytes");
			break;
		}
		p = nl + 1;
	}
	if (p != end)
		return util_err(err, errlen, "line 7: data after the sig line");
	return 0;
}

/* see fw.h */
char *
fw_manifest_sign(fw_manifest *m, const fw_key *k, size_t *len,
	char *err, size_t errlen)
{
	buf_t b = {0};
	char hex[65], *sig64 = NULL;
	unsigned char hash[32];
	br_ec_private_key sk;

	if (!url_valid(m->url, strlen(m->url))) {
		util_err(err, errlen, "bad url \"%s\" (an absolute path of printable "
			"characters without spaces)", m->url);
		return NULL;
	}
	buf_printf(&b, "%s\nversion %lu\nsize %llu\nsha256 %s\nurl %s\n",
		manifest_magic, (unsigned long)m->version,
		(unsigned long long)m->size, util_hex(hex, m->sha256, 32), m->url);
	m->signed_len = b.len;
	util_sha256(hash, b.data, b.len);
	sk.curve = BR_EC_secp256r1;
	sk.x = (unsigned char *)k->d;
	sk.xlen = 32;
	if (br_ecdsa_i31_sign_raw(&br_ec_p256_m31, &br_sha256_vtable, hash, &sk,
		m->sig) != 64)
	{
		util_err(err, errlen, "ECDSA signing failed");
		buf_free(&b);
		return NULL;
	}
	sig64 = util_b64_encode(m->sig, 64);
	buf_printf(&b, "sig %s\n", sig64);
	free(sig64);
	*len = b.len;
	return buf_cstr(&b);
}

/* see fw.h */
int
fw_manifest_verify(fw_manifest *m, const void *text, size_t len,
	const unsigned char q[65], char *err, size_t errlen)
{
	fw_manifest tmp;
	br_sha256_context sc;
	br_ec_public_key pk;
	unsigned char hash[32];

	if (m == NULL)
		m = &tmp;
	if (fw_manifest_parse(m, text, len, err, errlen) != 0)
		return -1;
	br_sha256_init(&sc);
	br_sha256_update(&sc, text, m->signed_len);
	br_sha256_out(&sc, hash);
	pk.curve = BR_EC_secp256r1;
	pk.q = (unsigned char *)q;
	pk.qlen = 65;
	if (br_ecdsa_i31_vrfy_raw(&br_ec_p256_m31, hash, 32, &pk, m->sig, 64) != 1)
		return util_err(err, errlen, "bad manifest signature");
	return 0;
}

/* see fw.h */
int
fw_image_check(const fw_manifest *m, const void *img, size_t len,
	char *err, size_t errlen)
{
	unsigned char hash[32];

	if ((uint64_t)len != m->size)
		return util_err(err, errlen, "image is %zu bytes, manifest says %llu",
			len, (unsigned long long)m->size);
	util_sha256(hash, img, len);
	if (memcmp(hash, m->sha256, 32) != 0)
		return util_err(err, errlen, "image SHA-256 does not match the manifest");
	return 0;
}

/* Collects the bytes of the current PEM object. */
static void
pem_dest(void *ctx, const void *data, size_t len)
{
	buf_append(ctx, data, len);
}

/* see fw.h */
long
fw_pem_decode(const void *text, size_t len, fw_pem_obj **objs,
	char *err, size_t errlen)
{
	br_pem_decoder_context pc;
	const unsigned char *p = text;
	fw_pem_obj *v = NULL;
	size_t n = 0, cap = 0;
	buf_t cur = {0};
	int inobj = 0, final = 0;

	*objs = NULL;
	br_pem_decoder_init(&pc);
	/* A final newline lets the decoder see an END line at the very end. */
	while (len > 0 || !final) {
		size_t k;

		if (len == 0) {
			final = 1;
			p = (const unsigned char *)"\n";
			len = 1;
		}
		k = br_pem_decoder_push(&pc, p, len);
		p += k;
		len -= k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			if (n == cap) {
				cap = cap ? 2 * cap : 4;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[n].name = xstrdup(br_pem_decoder_name(&pc));
			v[n].data = NULL;
			v[n].len = 0;
			cur.len = 0;
			br_pem_decoder_setdest(&pc, pem_dest, &cur);
			inobj = 1;
			break;
		case BR_PEM_END_OBJ:
			if (inobj) {
				v[n].data = xmemdup(cur.data != NULL ? cur.data
					: (const unsigned char *)"", cur.len);
				v[n].len = cur.len;
				n++;
				inobj = 0;
			}
			break;
		case BR_PEM_ERROR:
			goto fail;
		default:
			break;
		}
		if (final && len == 0)
			break;
	}
	if (inobj)
		goto fail;
	if (cur.data != NULL)
		util_wipe(cur.data, cur.cap);
	buf_free(&cur);
	*objs = v;
	return (long)n;
fail:
	if (inobj)
		free(v[n].name);
	if (cur.data != NULL)
		util_wipe(cur.data, cur.cap);
	buf_free(&cur);
	fw_pem_free(v, n);
	return util_err(err, errlen, "malformed PEM");
}

/* see fw.h */
void
fw_pem_free(fw_pem_obj *objs, size_t n)
{
	size_t i;

	if (objs == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(objs[i].name);
		free(objs[i].data);
	}
	free(objs);
}

/* see fw.h */
long
fw_pem_read_file(const char *path, fw_pem_obj **objs, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	char e[200];
	long n;

	*objs = NULL;
	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	n = fw_pem_decode(data, len, objs, e, sizeof e);
	/* The file may hold a private key: clear its text before freeing it. */
	util_wipe(data, len);
	free(data);
	if (n < 0)
		return util_err(err, errlen, "%s: %s", path, e);
	return n;
}
