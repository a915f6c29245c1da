/*
 * Building keys and certificates, and exporting them. See pki.h.
 */
#include "pki/pki.h"
#include "pki/der.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pki_key_slot *
key_slot(pki *p, const char *label, pki_key_type type)
{
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		if (p->keys[i].type == type && strcmp(p->keys[i].label, label) == 0)
			return &p->keys[i];
	p->keys = xrealloc(p->keys, (p->nkeys + 1) * sizeof *p->keys);
	memset(&p->keys[p->nkeys], 0, sizeof p->keys[0]);
	p->keys[p->nkeys].label = xstrdup(label);
	p->keys[p->nkeys].type = type;
	return &p->keys[p->nkeys++];
}

static void
serial_for(const char *seed, const char *id, unsigned char out[16])
{
	br_sha256_context c;
	unsigned char h[32];

	br_sha256_init(&c);
	br_sha256_update(&c, "rotsim serial v1", 17);
	br_sha256_update(&c, seed, strlen(seed) + 1);
	br_sha256_update(&c, id, strlen(id) + 1);
	br_sha256_out(&c, h);
	memcpy(out, h, 16);
	/* Positive, and exactly 16 octets once encoded. */
	out[0] = (unsigned char)((out[0] & 0x7f) | 0x40);
}

static void
key_identifier(const pki_key *k, unsigned char out[20])
{
	buf_t bits = {0};
	br_sha1_context c;

	pki_key_public_bits(k, &bits);
	br_sha1_init(&c);
	br_sha1_update(&c, bits.data, bits.len);
	br_sha1_out(&c, out);
	buf_free(&bits);
}

static const char *
sig_oid(pki_key_type issuer_type, pki_hash h)
{
	if (pki_key_is_rsa(issuer_type))
		return h == PKI_SHA1 ? "1.2.840.113549.1.1.5"
			: h == PKI_SHA384 ? "1.2.840.113549.1.1.12" : "1.2.840.113549.1.1.11";
	return h == PKI_SHA1 ? "1.2.840.10045.4.1"
		: h == PKI_SHA384 ? "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2";
}

static void
sig_alg(buf_t *b, pki_key_type issuer_type, pki_hash h)
{
	size_t m = der_begin(b, DER_SEQUENCE);

	der_oid(b, sig_oid(issuer_type, h));
	/* RSA signature algorithms carry NULL parameters; ECDSA ones none
	 * (RFC 3279 2.2.1, RFC 5758 3.2). */
	if (pki_key_is_rsa(issuer_type))
		der_null(b);
	der_end(b, m);
}

static void
extension_begin(buf_t *b, const char *oid, int critical, size_t *ext, size_t *oct)
{
	*ext = der_begin(b, DER_SEQUENCE);
	der_oid(b, oid);
	if (critical)
		der_bool(b, 1);
	*oct = der_begin(b, DER_OCTET_STRING);
}

static void
extension_end(buf_t *b, size_t ext, size_t oct)
{
	der_end(b, oct);
	der_end(b, ext);
}

static int
is_ca_cert(const pki_cert *c)
{
	return c->kind != PKI_LEAF && !(c->kind == PKI_CROSS && c->of->kind == PKI_LEAF);
}

static void
put_key_usage(buf_t *b, unsigned ku)
{
	unsigned char bytes[2] = { 0, 0 };
	int bit, last = -1;
	size_t n;

	/* Named bit list: bit 0 is the most significant bit of the first byte,
	 * and trailing zero bits are not encoded (X.690 11.2.2). */
	for (bit = 0; bit < 9; bit++) {
		if (ku & (1u << bit)) {
			bytes[bit / 8] |= (unsigned char)(0x80 >> (bit % 8));
			last = bit;
		}
	}
	n = (size_t)(last / 8 + 1);
	der_bit_string(b, bytes, n, (unsigned)(7 - last % 8));
}

static void
tbs_extensions(buf_t *b, const pki_cert *c)
{
	size_t outer = der_begin(b, DER_CTX_CONS(3)), seq = der_begin(b, DER_SEQUENCE);
	size_t ext, oct, m, i;

	if (c->bc_mode != 2) {
		extension_begin(b, "2.5.29.19", c->bc_mode == 0, &ext, &oct);
		m = der_begin(b, DER_SEQUENCE);
		if (is_ca_cert(c)) {
			der_bool(b, 1);
			if (c->path_len >= 0)
				der_int(b, c->path_len);
		}
		der_end(b, m);
		extension_end(b, ext, oct);
	}
	if (c->ku_set != 2) {
		extension_begin(b, "2.5.29.15", 1, &ext, &oct);
		put_key_usage(b, c->ku);
		extension_end(b, ext, oct);
	}
	if (c->neku > 0) {
		extension_begin(b, "2.5.29.37", 0, &ext, &oct);
		m = der_begin(b, DER_SEQUENCE);
		for (i = 0; i < c->neku; i++)
			der_oid(b, c->eku[i]);
		der_end(b, m);
		extension_end(b, ext, oct);
	}
	if (c->nsan > 0) {
		extension_begin(b, "2.5.29.17", 0, &ext, &oct);
		m = der_begin(b, DER_SEQUENCE);
		for (i = 0; i < c->nsan; i++) {
			const char *v = c->san[i];
			if (strncmp(v, "dns:", 4) == 0) {
				der_string(b, DER_CTX_PRIM(2), v + 4);
			} else {
				unsigned char ip[16];
				size_t len = 4;
				if (inet_pton(AF_INET, v + 3, ip) != 1) {
					inet_pton(AF_INET6, v + 3, ip);
					len = 16;
				}
				der_prim(b, DER_CTX_PRIM(7), ip, len);
			}
		}
		der_end(b, m);
		extension_end(b, ext, oct);
	}
	if (c->key_id_len > 0) {
		extension_begin(b, "2.5.29.14", 0, &ext, &oct);
		der_prim(b, DER_OCTET_STRING, c->key_id, c->key_id_len);
		extension_end(b, ext, oct);
	}
	if (c->aki_mode != 1) {
		const unsigned char *id = c->aki;
		size_t len = c->aki_len;
		if (c->aki_mode == 0) {
			id = c->issuer->key_id;
			len = c->issuer->key_id_len;
		}
		if (len > 0) {
			extension_begin(b, "2.5.29.35", 0, &ext, &oct);
			m = der_begin(b, DER_SEQUENCE);
			der_prim(b, DER_CTX_PRIM(0), id, len);
			der_end(b, m);
			extension_end(b, ext, oct);
		}
	}
	der_end(b, seq);
	der_end(b, outer);
}

static const br_hash_class *
hash_class(pki_hash h, const unsigned char **oid)
{
	switch (h) {
	case PKI_SHA1:
		*oid = BR_HASH_OID_SHA1;
		return &br_sha1_vtable;
	case PKI_SHA384:
		*oid = BR_HASH_OID_SHA384;
		return &br_sha384_vtable;
	default:
		*oid = BR_HASH_OID_SHA256;
		return &br_sha256_vtable;
	}
}

static int
sign(const pki_key *k, pki_hash h, const buf_t *tbs, buf_t *sig, char *err, size_t errlen)
{
	const unsigned char *oid;
	const br_hash_class *hc = hash_class(h, &oid);
	br_hash_compat_context ctx;
	unsigned char hv[64], out[512];
	size_t hlen = (hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK, len;

	hc->init(&ctx.vtable);
	hc->update(&ctx.vtable, tbs->data, tbs->len);
	hc->out(&ctx.vtable, hv);
	if (pki_key_is_rsa(k->type)) {
		len = (k->rsa.n_bitlen + 7) / 8;
		if (!br_rsa_i31_pkcs1_sign(oid, hv, hlen, &k->rsa, out))
			return util_err(err, errlen, "RSA signature failed");
	} else {
		len = br_ecdsa_i31_sign_asn1(&br_ec_all_m31, hc, hv, &k->ec, out);
		if (len == 0)
			return util_err(err, errlen, "ECDSA signature failed");
	}
	buf_append(sig, out, len);
	return 0;
}

static int
build_cert(pki *p, pki_cert *c, const char *seed, char *err, size_t errlen)
{
	buf_t tbs = {0}, cert = {0}, sig = {0}, spki = {0};
	unsigned char serial[16];
	size_t m, v;
	int ret = -1;

	m = der_begin(&tbs, DER_SEQUENCE);
	v = der_begin(&tbs, DER_CTX_CONS(0));
	der_int(&tbs, 2);
	der_end(&tbs, v);
	if (c->serial_len > 0) {
		der_uint(&tbs, c->serial, c->serial_len);
	} else {
		serial_for(seed, c->id, serial);
		der_uint(&tbs, serial, sizeof serial);
	}
	sig_alg(&tbs, c->issuer->key->type, c->hash);
	der_raw(&tbs, c->issuer->name_der.data, c->issuer->name_der.len);
	v = der_begin(&tbs, DER_SEQUENCE);
	der_time(&tbs, c->not_before);
	der_time(&tbs, c->not_after);
	der_end(&tbs, v);
	der_raw(&tbs, c->name_der.data, c->name_der.len);
	pki_key_spki(c->key, &spki);
	der_raw(&tbs, spki.data, spki.len);
	tbs_extensions(&tbs, c);
	der_end(&tbs, m);

	if (sign(c->issuer->key, c->hash, &tbs, &sig, err, errlen) != 0) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", err);
		util_err(err, errlen, "%s:%d: %s: %s", c->loc.file, c->loc.line, c->id, msg);
		goto out;
	}
	m = der_begin(&cert, DER_SEQUENCE);
	der_raw(&cert, tbs.data, tbs.len);
	sig_alg(&cert, c->issuer->key->type, c->hash);
	der_bit_string(&cert, sig.data, sig.len, 0);
	der_end(&cert, m);
	free(c->der);
	c->der = cert.data;
	c->der_len = cert.len;
	cert.data = NULL;
	ret = 0;
	(void)p;
out:
	buf_free(&tbs);
	buf_free(&cert);
	buf_free(&sig);
	buf_free(&spki);
	return ret;
}

/* see pki.h */
int
pki_build(pki *p, const char *seed, const char *cache_dir,
	pki_progress_fn progress, void *ctx, char *err, size_t errlen)
{
	size_t i, done = 0;

	if (!p->resolved && pki_resolve(p, err, errlen) != 0)
		return -1;
	/* One key per (label, type); a cross-sign shares its subject's. */
	for (i = 0; i < p->ncerts; i++) {
		pki_cert *c = p->certs[i];
		key_slot(p, c->key_label, c->key_type);
	}
	for (i = 0; i < p->nkeys; i++) {
		pki_key_slot *s = &p->keys[i];
		if (s->key != NULL)
			continue;
		s->key = xmalloc(sizeof *s->key);
		done++;
		if (pki_key_load_cached(s->key, seed, s->label, s->type, cache_dir) == 0)
			continue;
		if (progress != NULL)
			progress(ctx, s->label, pki_key_type_name(s->type), done, p->nkeys);
		if (pki_key_generate(s->key, seed, s->label, s->type, err, errlen) != 0)
			return -1;
		s->generated = 1;
		if (cache_dir != NULL && pki_key_store_cached(s->key, seed, s->label,
			cache_dir, err, errlen) != 0)
			return -1;
	}
	for (i = 0; i < p->ncerts; i++) {
		pki_cert *c = p->certs[i];
		c->key = key_slot(p, c->key_label, c->key_type)->key;
		if (c->ski_mode == 0) {
			key_identifier(c->key, c->key_id);
			c->key_id_len = 20;
		} else if (c->ski_mode == 2) {
			memcpy(c->key_id, c->ski, c->ski_len);
			c->key_id_len = c->ski_len;
		} else {
			c->key_id_len = 0;
		}
	}
	/* A cross-sign's issuer's SKI must be known before its AKI is written,
	 * and that holds for every certificate since all SKIs come first. */
	for (i = 0; i < p->ncerts; i++)
		if (build_cert(p, p->certs[i], seed, err, errlen) != 0)
			return -1;
	p->built = 1;
	return 0;
}

/* see pki.h */
char *
pki_default_cache(void)
{
	const char *e;

	if ((e = getenv("ROTSIM_CACHE")) != NULL && *e)
		return xstrdup(e);
	if ((e = getenv("XDG_CACHE_HOME")) != NULL && *e)
		return xasprintf("%s/rotsim", e);
	if ((e = getenv("HOME")) != NULL && *e)
		return xasprintf("%s/.cache/rotsim", e);
	return NULL;
}

/* see pki.h */
void
pki_pem(buf_t *out, const char *label, const void *der, size_t len)
{
	size_t n = br_pem_encode(NULL, der, len, label, BR_PEM_LINE64);

	buf_reserve(out, n + 1);
	br_pem_encode(out->data + out->len, der, len, label, BR_PEM_LINE64);
	out->len += n;
}

/* see pki.h */
void
pki_cert_pem(const pki_cert *c, buf_t *out)
{
	pki_pem(out, "CERTIFICATE", c->der, c->der_len);
}

/* see pki.h */
void
pki_chain_pem(const pki_cert *leaf, const pki_chain *ch, buf_t *out)
{
	size_t i;

	pki_cert_pem(leaf, out);
	for (i = 0; i < ch->n; i++)
		pki_cert_pem(ch->certs[i], out);
}

/* see pki.h */
void
pki_anchors_pem(const pki_anchor_set *s, buf_t *out)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		pki_cert_pem(s->certs[i], out);
}

static void
c_array(buf_t *out, const char *name, const unsigned char *data, size_t len)
{
	size_t i;

	buf_printf(out, "static const unsigned char %s[] = {", name);
	for (i = 0; i < len; i++)
		buf_printf(out, "%s0x%02x%s", i % 12 == 0 ? "\n\t" : "", data[i],
			i + 1 < len ? "," : "");
	buf_puts(out, "\n};\n\n");
}

/* see pki.h */
void
pki_anchors_header(const pki_anchor_set *s, buf_t *out)
{
	size_t i;
	char name[64];

	buf_printf(out, "/*\n * Trust anchors \"%s\", for BearSSL's br_x509_minimal. Made by\n"
		" * \"rotsim pki\"; the keys are a test CA's, never a real CA's.\n *\n",
		s->name);
	for (i = 0; i < s->n; i++)
		buf_printf(out, " * TA%zu: %s (%s)\n", i, s->certs[i]->id, s->certs[i]->subject);
	buf_puts(out, " */\n\n#include <bearssl.h>\n\n");
	for (i = 0; i < s->n; i++) {
		const pki_cert *c = s->certs[i];
		snprintf(name, sizeof name, "TA%zu_DN", i);
		c_array(out, name, c->name_der.data, c->name_der.len);
		if (pki_key_is_rsa(c->key->type)) {
			snprintf(name, sizeof name, "TA%zu_RSA_N", i);
			c_array(out, name, c->key->rsa_pub.n, c->key->rsa_pub.nlen);
			snprintf(name, sizeof name, "TA%zu_RSA_E", i);
			c_array(out, name, c->key->rsa_pub.e, c->key->rsa_pub.elen);
		} else {
			snprintf(name, sizeof name, "TA%zu_EC_Q", i);
			c_array(out, name, c->key->ec_pub.q, c->key->ec_pub.qlen);
		}
	}
	buf_printf(out, "static const br_x509_trust_anchor TAs[%zu] = {\n", s->n);
	for (i = 0; i < s->n; i++) {
		const pki_cert *c = s->certs[i];
		/* A leaf as anchor is trusted directly (BearSSL: no CA flag). */
		const char *flags = is_ca_cert(c) ? "BR_X509_TA_CA" : "0";
		buf_printf(out, "\t{\n\t\t{ (unsigned char *)TA%zu_DN, sizeof TA%zu_DN },\n"
			"\t\t%s,\n", i, i, flags);
		if (pki_key_is_rsa(c->key->type))
			buf_printf(out, "\t\t{ BR_KEYTYPE_RSA, { .rsa = {\n"
				"\t\t\t(unsigned char *)TA%zu_RSA_N, sizeof TA%zu_RSA_N,\n"
				"\t\t\t(unsigned char *)TA%zu_RSA_E, sizeof TA%zu_RSA_E,\n"
				"\t\t} } }\n", i, i, i, i);
		else
			buf_printf(out, "\t\t{ BR_KEYTYPE_EC, { .ec = {\n"
				"\t\t\t%s,\n\t\t\t(unsigned char *)TA%zu_EC_Q, sizeof TA%zu_EC_Q,\n"
				"\t\t} } }\n", c->key->type == PKI_P256 ? "BR_EC_secp256r1"
				: "BR_EC_secp384r1", i, i);
		buf_printf(out, "\t},\n");
	}
	buf_printf(out, "};\n\n#define TAs_NUM %zu\n", s->n);
}

/* see pki.h */
void
pki_anchors_pins(const pki_anchor_set *s, buf_t *out)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		buf_t spki = {0};
		unsigned char h[32];
		pki_key_spki(s->certs[i]->key, &spki);
		util_sha256(h, spki.data, spki.len);
		char *b64 = util_b64_encode(h, sizeof h);
		buf_printf(out, "%s\n", b64);
		free(b64);
		buf_free(&spki);
	}
}

/* see pki.h */
int
pki_each_output(const pki *p, pki_output_fn fn, void *ctx, char *err, size_t errlen)
{
	char *name = NULL;
	buf_t b = {0}, manifest = {0};
	size_t i, j;
	int ret = -1;

	if (!p->built)
		return util_err(err, errlen, "pki_each_output: the hierarchy is not built");
	for (i = 0; i < p->ncerts; i++) {
		const pki_cert *c = p->certs[i];
		unsigned char h[32];
		char hex[65], nb[32], na[32];

		free(name);
		name = xasprintf("%s.crt.der", c->id);
		if (fn(ctx, name, 0644, c->der, c->der_len, err, errlen) != 0)
			goto out;
		b.len = 0;
		pki_cert_pem(c, &b);
		free(name);
		name = xasprintf("%s.crt.pem", c->id);
		if (fn(ctx, name, 0644, b.data, b.len, err, errlen) != 0)
			goto out;
		b.len = 0;
		buf_t der = {0};
		pki_key_pkcs8(c->key, &der);
		pki_pem(&b, "PRIVATE KEY", der.data, der.len);
		util_wipe(der.data, der.len);
		buf_free(&der);
		free(name);
		name = xasprintf("%s.key.pem", c->id);
		int r = fn(ctx, name, 0600, b.data, b.len, err, errlen);
		util_wipe(b.data, b.len);
		if (r != 0)
			goto out;
		for (j = 0; j < c->nchains; j++) {
			const pki_chain *ch = &c->chains[j];
			b.len = 0;
			pki_chain_pem(c, ch, &b);
			free(name);
			name = ch->name ? xasprintf("chains/%s.%s.pem", c->id, ch->name)
				: xasprintf("chains/%s.pem", c->id);
			if (fn(ctx, name, 0644, b.data, b.len, err, errlen) != 0)
				goto out;
		}
		util_sha256(h, c->der, c->der_len);
		buf_printf(&manifest, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c->id,
			pki_kind_name(c->kind), util_hex(hex, h, 32),
			simtime_format(nb, sizeof nb, c->not_before),
			simtime_format(na, sizeof na, c->not_after),
			pki_key_type_name(c->key_type), c->subject, c->issuer->subject);
	}
	for (i = 0; i < p->nsets; i++) {
		const pki_anchor_set *s = &p->sets[i];
		static const struct {
			const char *ext;
			void (*fn)(const pki_anchor_set *, buf_t *);
		} outs[] = {
			{ "pem", pki_anchors_pem },
			{ "h", pki_anchors_header },
			{ "pins", pki_anchors_pins },
		};
		for (j = 0; j < sizeof outs / sizeof outs[0]; j++) {
			b.len = 0;
			outs[j].fn(s, &b);
			free(name);
			name = xasprintf("anchors/%s.%s", s->name, outs[j].ext);
			if (fn(ctx, name, 0644, b.data, b.len, err, errlen) != 0)
				goto out;
		}
	}
	b.len = 0;
	buf_puts(&b, "# id\tkind\tsha256\tnot-before\tnot-after\tkey\tsubject\tissuer\n");
	buf_append(&b, manifest.data, manifest.len);
	if (fn(ctx, "manifest.txt", 0644, b.data, b.len, err, errlen) != 0)
		goto out;
	ret = 0;
out:
	free(name);
	buf_free(&b);
	buf_free(&manifest);
	return ret;
}

static int
write_one(void *ctx, const char *name, mode_t mode, const unsigned char *data, size_t len,
	char *err, size_t errlen)
{
	return pki_write_file(ctx, name, mode, data, len, err, errlen);
}

/* see pki.h */
int
pki_write(const pki *p, const char *dir, char *err, size_t errlen)
{
	if (!p->built)
		return util_err(err, errlen, "pki_write: the hierarchy is not built");
	if (pki_out_dirs(dir, err, errlen) != 0)
		return -1;
	return pki_each_output(p, write_one, (void *)dir, err, errlen);
}
