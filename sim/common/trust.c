/*
 * Trust stores and the lax X.509 engine (trust.h).
 */
#include "common/trust.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fw/fw.h"

/* see trust.h */
void
trust_free(trust_store *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ntas; i++) {
		br_x509_trust_anchor *ta = &t->tas[i];

		free(ta->dn.data);
		if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
			free(ta->pkey.key.rsa.n);
			free(ta->pkey.key.rsa.e);
		} else {
			free(ta->pkey.key.ec.q);
		}
		free(t->certs[i].der);
	}
	free(t->tas);
	free(t->certs);
	free(t->pins);
	memset(t, 0, sizeof *t);
}

static void
dn_append(void *ctx, const void *data, size_t len)
{
	buf_append(ctx, data, len);
}

/* see trust.h */
long
trust_add_pem(trust_store *t, const void *pem, size_t len, char *err, size_t errlen)
{
	fw_pem_obj *objs = NULL;
	long n, i, added = 0, ret = -1;

	n = fw_pem_decode(pem, len, &objs, err, errlen);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		br_x509_decoder_context dc;
		const br_x509_pkey *pk;
		br_x509_trust_anchor *ta;
		buf_t dn = {0};

		if (strcmp(objs[i].name, "CERTIFICATE") != 0)
			continue;
		br_x509_decoder_init(&dc, dn_append, &dn);
		br_x509_decoder_push(&dc, objs[i].data, objs[i].len);
		pk = br_x509_decoder_get_pkey(&dc);
		if (pk == NULL) {
			util_err(err, errlen, "certificate %ld: BearSSL cannot decode it "
				"(error %d)", added + 1, br_x509_decoder_last_error(&dc));
			buf_free(&dn);
			goto out;
		}
		t->tas = xrealloc(t->tas, (t->ntas + 1) * sizeof *t->tas);
		t->certs = xrealloc(t->certs, (t->ntas + 1) * sizeof *t->certs);
		t->certs[t->ntas].der = xmemdup(objs[i].data, objs[i].len);
		t->certs[t->ntas].len = objs[i].len;
		ta = &t->tas[t->ntas];
		memset(ta, 0, sizeof *ta);
		ta->dn.data = xmemdup(dn.data != NULL ? dn.data : (unsigned char *)"", dn.len);
		ta->dn.len = dn.len;
		ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
		ta->pkey.key_type = pk->key_type;
		if (pk->key_type == BR_KEYTYPE_RSA) {
			ta->pkey.key.rsa.n = xmemdup(pk->key.rsa.n, pk->key.rsa.nlen);
			ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
			ta->pkey.key.rsa.e = xmemdup(pk->key.rsa.e, pk->key.rsa.elen);
			ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		} else {
			ta->pkey.key.ec.curve = pk->key.ec.curve;
			ta->pkey.key.ec.q = xmemdup(pk->key.ec.q, pk->key.ec.qlen);
			ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		}
		t->ntas++;
		added++;
		buf_free(&dn);
	}
	ret = added;
out:
	fw_pem_free(objs, (size_t)n);
	return ret;
}

/* see trust.h */
long
trust_add_pins(trust_store *t, const void *text, size_t len, char *err, size_t errlen)
{
	const char *p = text, *end = p + len;
	long added = 0, lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *s, *e;
		unsigned char h[33];

		if (nl == NULL)
			nl = end;
		lineno++;
		s = p;
		e = nl;
		p = nl < end ? nl + 1 : end;
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		if (util_b64_decode(h, sizeof h, s, (size_t)(e - s)) != 32)
			return util_err(err, errlen, "line %ld: not a base64 SHA-256", lineno);
		t->pins = xrealloc(t->pins, (t->npins + 1) * sizeof *t->pins);
		memcpy(t->pins[t->npins++], h, 32);
		added++;
	}
	return added;
}

/*
 * Read one DER element header at p[0..len): its tag (first byte; tags above
 * 30 are not used by certificates' outer structure), and the offset and
 * length of its value. Returns 0 or -1.
 */
static int
der_elem(const unsigned char *p, size_t len, int *tag, size_t *voff, size_t *vlen)
{
	size_t n, i, l;

	if (len < 2)
		return -1;
	*tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)
		return -1;
	if (p[1] < 0x80) {
		l = p[1];
		n = 2;
	} else {
		size_t k = p[1] & 0x7f;

		if (k == 0 || k > 4 || len < 2 + k)
			return -1;
		for (l = 0, i = 0; i < k; i++)
			l = (l << 8) | p[2 + i];
		n = 2 + k;
	}
	if (l > len - n)
		return -1;
	*voff = n;
	*vlen = l;
	return 0;
}

/* see trust.h */
int
trust_spki_sha256(unsigned char out[32], const unsigned char *der, size_t len)
{
	size_t off, vlen, tlen, pos, skip;
	const unsigned char *tbs;
	int tag, i;

	/* Certificate ::= SEQUENCE { tbsCertificate, ... } */
	if (der_elem(der, len, &tag, &off, &vlen) != 0 || tag != 0x30)
		return -1;
	der += off;
	len = vlen;
	if (der_elem(der, len, &tag, &off, &vlen) != 0 || tag != 0x30)
		return -1;
	tbs = der + off;
	tlen = vlen;
	pos = 0;
	/* [0] version (optional), serial, signature, issuer, validity, subject. */
	if (der_elem(tbs, tlen, &tag, &off, &vlen) != 0)
		return -1;
	skip = tag == 0xa0 ? 6 : 5;
	for (i = 0; i < (int)skip; i++) {
		if (der_elem(tbs + pos, tlen - pos, &tag, &off, &vlen) != 0)
			return -1;
		pos += off + vlen;
	}
	if (der_elem(tbs + pos, tlen - pos, &tag, &off, &vlen) != 0 || tag != 0x30)
		return -1;
	util_sha256(out, tbs + pos, off + vlen);
	return 0;
}

/* ---- The lax engine ---- */

static void
lax_start_chain(const br_x509_class **ctx, const char *server_name)
{
	trust_lax_context *c = (trust_lax_context *)(void *)ctx;

	(void)server_name;
	c->ncerts = 0;
	c->leaf_len = 0;
	c->leaf_overflow = 0;
	c->err = 0;
	c->pin_matched = -1;
}

static void
lax_start_cert(const br_x509_class **ctx, uint32_t length)
{
	trust_lax_context *c = (trust_lax_context *)(void *)ctx;

	if (c->ncerts == 0) {
		br_x509_decoder_init(&c->dc, NULL, NULL);
		c->leaf_len = 0;
		c->leaf_overflow = length > TRUST_LEAF_MAX;
	}
}

static void
lax_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	trust_lax_context *c = (trust_lax_context *)(void *)ctx;

	if (c->ncerts != 0)
		return;
	br_x509_decoder_push(&c->dc, buf, len);
	if (len > TRUST_LEAF_MAX - c->leaf_len) {
		c->leaf_overflow = 1;
		return;
	}
	memcpy(c->leaf + c->leaf_len, buf, len);
	c->leaf_len += len;
}

static void
lax_end_cert(const br_x509_class **ctx)
{
	trust_lax_context *c = (trust_lax_context *)(void *)ctx;

	c->ncerts++;
}

/* Copy the decoded key out of the decoder into the context's own buffer. */
static int
lax_keep_key(trust_lax_context *c, const br_x509_pkey *pk)
{
	c->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		if (pk->key.rsa.nlen + pk->key.rsa.elen > sizeof c->keybuf)
			return -1;
		memcpy(c->keybuf, pk->key.rsa.n, pk->key.rsa.nlen);
		memcpy(c->keybuf + pk->key.rsa.nlen, pk->key.rsa.e, pk->key.rsa.elen);
		c->pkey.key.rsa.n = c->keybuf;
		c->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		c->pkey.key.rsa.e = c->keybuf + pk->key.rsa.nlen;
		c->pkey.key.rsa.elen = pk->key.rsa.elen;
	} else {
		if (pk->key.ec.qlen > sizeof c->keybuf)
			return -1;
		memcpy(c->keybuf, pk->key.ec.q, pk->key.ec.qlen);
		c->pkey.key.ec.curve = pk->key.ec.curve;
		c->pkey.key.ec.q = c->keybuf;
		c->pkey.key.ec.qlen = pk->key.ec.qlen;
	}
	return 0;
}

static unsigned
lax_end_chain(const br_x509_class **ctx)
{
	trust_lax_context *c = (trust_lax_context *)(void *)ctx;
	const br_x509_pkey *pk;
	unsigned char h[32];
	size_t i;

	if (c->ncerts == 0)
		return (unsigned)(c->err = BR_ERR_X509_EMPTY_CHAIN);
	pk = br_x509_decoder_get_pkey(&c->dc);
	if (pk == NULL) {
		int e = br_x509_decoder_last_error(&c->dc);

		return (unsigned)(c->err = e != 0 ? e : BR_ERR_X509_UNSUPPORTED);
	}
	if (lax_keep_key(c, pk) != 0)
		return (unsigned)(c->err = BR_ERR_X509_LIMIT_EXCEEDED);
	if (c->mode == TRUST_PIN_LEAF) {
		if (c->leaf_overflow)
			return (unsigned)(c->err = BR_ERR_X509_LIMIT_EXCEEDED);
		if (trust_spki_sha256(h, c->leaf, c->leaf_len) != 0)
			return (unsigned)(c->err = BR_ERR_X509_INVALID_VALUE);
		for (i = 0; i < c->store->npins; i++)
			if (memcmp(h, c->store->pins[i], 32) == 0)
				c->pin_matched = (int)i;
		if (c->pin_matched < 0)
			return (unsigned)(c->err = BR_ERR_X509_NOT_TRUSTED);
	}
	return (unsigned)(c->err = 0);
}

static const br_x509_pkey *
lax_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const trust_lax_context *c = (const trust_lax_context *)(const void *)ctx;

	if (usages != NULL)
		*usages = BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN;
	return c->err == 0 && c->ncerts > 0 ? &c->pkey : NULL;
}

static const br_x509_class lax_vtable = {
	sizeof(trust_lax_context),
	lax_start_chain,
	lax_start_cert,
	lax_append,
	lax_end_cert,
	lax_end_chain,
	lax_get_pkey
};

/* see trust.h */
void
trust_lax_init(trust_lax_context *c, int mode, const trust_store *store)
{
	memset(c, 0, sizeof *c);
	c->vtable = &lax_vtable;
	c->mode = mode;
	c->store = store;
	c->pin_matched = -1;
}
