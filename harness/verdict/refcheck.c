/*
 * Reference validation with BearSSL. See refcheck.h.
 */
#include "verdict/refcheck.h"
#include "common/tlsnames.h"
#include "common/util.h"
#include "fw/fw.h"
#include "pki/der.h"
#include "time/simtime.h"

#include <bearssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see refcheck.h */
const char *
ref_error_name(int code)
{
	const char *n = code == 0 ? "ok" : code == -1 ? "no matching pin" : tls_br_error_name(code);

	return n != NULL ? n : "BR_ERR_X509_OTHER";
}

/* The SubjectPublicKeyInfo TLV of a certificate. */
static int
spki_of(const unsigned char *der, size_t len, const unsigned char **spki, size_t *slen)
{
	const unsigned char *p = der, *end = der + len, *c, *t, *tend;
	unsigned tag;
	size_t l;
	int i;

	if (der_read(&p, end, &tag, &c, &l) != 0 || tag != DER_SEQUENCE)
		return -1;
	p = c;
	end = c + l;
	if (der_read(&p, end, &tag, &c, &l) != 0 || tag != DER_SEQUENCE)
		return -1;
	t = c;
	tend = c + l;
	/* [0] version (optional), serial, signature, issuer, validity, subject, SPKI */
	for (i = 0; i < 7; i++) {
		const unsigned char *start = t;
		if (der_read(&t, tend, &tag, &c, &l) != 0)
			return -1;
		if (i == 0 && tag != DER_CTX_CONS(0))
			i++;	/* no version field: this was the serial */
		if (i == 6) {
			*spki = start;
			*slen = (size_t)(t - start);
			return tag == DER_SEQUENCE ? 0 : -1;
		}
	}
	return -1;
}

/* see refcheck.h */
int
ref_spki_pin(const unsigned char *der, size_t len, char out[64])
{
	const unsigned char *spki;
	size_t slen;
	unsigned char h[32];

	if (spki_of(der, len, &spki, &slen) != 0)
		return -1;
	util_sha256(h, spki, slen);
	char *b = util_b64_encode(h, sizeof h);
	snprintf(out, 64, "%s", b);
	free(b);
	return 0;
}

typedef struct {
	br_x509_trust_anchor *tas;
	size_t n;
	buf_t dn;
} anchors;

static void
dn_append(void *ctx, const void *buf, size_t len)
{
	buf_append(ctx, buf, len);
}

static void
anchors_free(anchors *a)
{
	size_t i;

	for (i = 0; i < a->n; i++) {
		free(a->tas[i].dn.data);
		if (a->tas[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(a->tas[i].pkey.key.rsa.n);
			free(a->tas[i].pkey.key.rsa.e);
		} else {
			free(a->tas[i].pkey.key.ec.q);
		}
	}
	free(a->tas);
	buf_free(&a->dn);
}

static int
anchors_add(anchors *a, const unsigned char *der, size_t len, char *err, size_t errlen)
{
	br_x509_decoder_context dc;
	buf_t dn = {0};
	const br_x509_pkey *pk;
	br_x509_trust_anchor *ta;

	br_x509_decoder_init(&dc, dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL) {
		buf_free(&dn);
		return util_err(err, errlen, "anchor certificate does not decode (error %d)",
			br_x509_decoder_last_error(&dc));
	}
	a->tas = xrealloc(a->tas, (a->n + 1) * sizeof *a->tas);
	ta = &a->tas[a->n++];
	memset(ta, 0, sizeof *ta);
	ta->dn.data = dn.data;
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
	return 0;
}

static int
anchors_load(anchors *a, const char *path, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len, i;
	fw_pem_obj *objs = NULL;
	long n;
	char msg[256];
	int ret = -1;

	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	n = fw_pem_decode(data, len, &objs, msg, sizeof msg);
	free(data);
	if (n < 0)
		return util_err(err, errlen, "%s: %s", path, msg);
	for (i = 0; i < (size_t)n; i++) {
		if (strcmp(objs[i].name, "CERTIFICATE") != 0)
			continue;
		if (anchors_add(a, objs[i].data, objs[i].len, msg, sizeof msg) != 0) {
			util_err(err, errlen, "%s: %s", path, msg);
			goto out;
		}
	}
	ret = 0;
out:
	fw_pem_free(objs, n > 0 ? (size_t)n : 0);
	return ret;
}

static int
pin_matches(const char *pins_path, const unsigned char *der, size_t len, int *match,
	char *err, size_t errlen)
{
	unsigned char *data;
	size_t dlen;
	char pin[64], *line, *save = NULL;

	*match = 0;
	if (util_read_file(pins_path, &data, &dlen, err, errlen) != 0)
		return -1;
	if (ref_spki_pin(der, len, pin) != 0) {
		free(data);
		return 0;
	}
	for (line = strtok_r((char *)data, "\n", &save); line != NULL;
		line = strtok_r(NULL, "\n", &save))
		if (strcmp(line, pin) == 0)
			*match = 1;
	free(data);
	return 0;
}

/* see refcheck.h */
int
ref_validate(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const char *const *anchor_pems, size_t nanchors, const char *pins_path,
	int *code, char *err, size_t errlen)
{
	anchors a;
	br_x509_minimal_context ctx;
	uint32_t days, secs;
	size_t i;
	int ret = -1;

	memset(&a, 0, sizeof a);
	if (n == 0) {
		*code = BR_ERR_X509_EMPTY_CHAIN;
		return 0;
	}
	if (pins_path != NULL) {
		int match;
		if (pin_matches(pins_path, chain[0].der, chain[0].len, &match, err, errlen) != 0)
			return -1;
		*code = match ? 0 : -1;
		return 0;
	}
	for (i = 0; i < nanchors; i++)
		if (anchors_load(&a, anchor_pems[i], err, errlen) != 0)
			goto out;
	br_x509_minimal_init_full(&ctx, a.tas, a.n);
	simtime_to_bearssl(t, &days, &secs);
	br_x509_minimal_set_time(&ctx, days, secs);
	ctx.vtable->start_chain(&ctx.vtable, server_name);
	for (i = 0; i < n; i++) {
		ctx.vtable->start_cert(&ctx.vtable, (uint32_t)chain[i].len);
		ctx.vtable->append(&ctx.vtable, chain[i].der, chain[i].len);
		ctx.vtable->end_cert(&ctx.vtable);
	}
	*code = (int)ctx.vtable->end_chain(&ctx.vtable);
	ret = 0;
out:
	anchors_free(&a);
	return ret;
}
