/*
 * Reference validation with BearSSL. See refcheck.h.
 */
#include "verdict/refcheck.h"
#include "common/tlsnames.h"
#include "common/util.h"
#include "common/trust.h"
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

/* Load every anchor set and the pin list into one trust store, as the
 * device's agent does (targets/firmware/trust.h). */
static int
load_store(trust_store *st, const ref_file *anchors, size_t nanchors, const ref_file *pins,
	char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < nanchors + (pins != NULL); i++) {
		const ref_file *f = i < nanchors ? &anchors[i] : pins;
		char msg[256];
		long r = i < nanchors ? trust_add_pem(st, f->data, f->len, msg, sizeof msg)
			: trust_add_pins(st, f->data, f->len, msg, sizeof msg);
		if (r < 0)
			return util_err(err, errlen, "%s: %s", f->name, msg);
	}
	return 0;
}

/* ---- The path a client builds from what was sent ----
 * TLS 1.2 (RFC 5246, 7.4.2) asks for the chain in order, each certificate
 * certifying the one before; TLS 1.3 (RFC 8446, 4.4.2) lets the certificates
 * after the server's own come in any order and lets clients ignore extras,
 * and most TLS libraries build their path that way for TLS 1.2 too. A client
 * that does so accepts honestly what BearSSL's in-order engine refuses, so the
 * reference also tries the path linked by names: the server's certificate
 * first (it always is), then the certificate whose subject is the previous
 * one's issuer, as long as there is one. */

/* One DER TLV at p[0..len): its tag, header length and content length.
 * 0, or -1 when it does not fit or is not in the subset certificates use. */
static int
der_tlv(const unsigned char *p, size_t len, unsigned *tag, size_t *hdr, size_t *clen)
{
	size_t i = 2, l;

	if (len < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	*tag = p[0];
	l = p[1];
	if (l & 0x80) {
		unsigned nb = l & 0x7f;
		if (nb == 0 || nb > 4 || len < 2 + (size_t)nb)
			return -1;
		l = 0;
		for (unsigned k = 0; k < nb; k++)
			l = (l << 8) | p[2 + k];
		i = 2 + nb;
	}
	if (l > len - i)
		return -1;
	*hdr = i;
	*clen = l;
	return 0;
}

/* The issuer and subject Names (whole DER elements) of a certificate:
 * Certificate ::= SEQUENCE { tbs SEQUENCE { [0] version OPTIONAL, serial,
 * signature, issuer, validity, subject, ... }, ... }. 0 or -1. */
static int
cert_names(const unsigned char *der, size_t len, ref_cert *issuer, ref_cert *subject)
{
	unsigned tag;
	size_t h, c;
	int field = 0;

	if (der_tlv(der, len, &tag, &h, &c) != 0 || tag != 0x30)
		return -1;
	der += h, len = c;
	if (der_tlv(der, len, &tag, &h, &c) != 0 || tag != 0x30)
		return -1;
	der += h, len = c;
	while (len > 0) {
		if (der_tlv(der, len, &tag, &h, &c) != 0)
			return -1;
		if (field == 0 && tag == 0xa0) {	/* the version */
			der += h + c, len -= h + c;
			continue;
		}
		if (field == 0 ? tag != 0x02 : field != 3 && tag != 0x30)
			return -1;
		if (field == 2)
			issuer->der = der, issuer->len = h + c;
		if (field == 4) {
			subject->der = der, subject->len = h + c;
			return 0;
		}
		field++;
		der += h + c, len -= h + c;
	}
	return -1;
}

static int
same_name(const ref_cert *a, const ref_cert *b)
{
	return a->len == b->len && memcmp(a->der, b->der, a->len) == 0;
}

/* The path linked by names from chain[0]: out[0..return). out has room for n. */
static size_t
linked_path(const ref_cert *chain, size_t n, ref_cert *out)
{
	ref_cert iss[16], sub[16];
	int used[16] = { 0 }, ok[16] = { 0 };
	size_t k = 0, cur = 0;

	if (n > 16)
		n = 16;
	for (size_t i = 0; i < n; i++)
		ok[i] = cert_names(chain[i].der, chain[i].len, &iss[i], &sub[i]) == 0;
	out[k++] = chain[0];
	used[0] = 1;
	while (ok[cur] && !same_name(&iss[cur], &sub[cur])) {
		size_t next = n;
		for (size_t j = 0; j < n && next == n; j++)
			if (!used[j] && ok[j] && same_name(&sub[j], &iss[cur]))
				next = j;
		if (next == n)
			break;
		used[next] = 1;
		out[k++] = chain[next];
		cur = next;
	}
	return k;
}

/* BearSSL's in-order validation of chain[0..n). */
static int
minimal_check(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const trust_store *st)
{
	br_x509_minimal_context ctx;
	uint32_t days, secs;

	br_x509_minimal_init_full(&ctx, st->tas, st->ntas);
	simtime_to_bearssl(t, &days, &secs);
	br_x509_minimal_set_time(&ctx, days, secs);
	ctx.vtable->start_chain(&ctx.vtable, server_name);
	for (size_t i = 0; i < n; i++) {
		ctx.vtable->start_cert(&ctx.vtable, (uint32_t)chain[i].len);
		ctx.vtable->append(&ctx.vtable, chain[i].der, chain[i].len);
		ctx.vtable->end_cert(&ctx.vtable);
	}
	return (int)ctx.vtable->end_chain(&ctx.vtable);
}

/* see refcheck.h */
int
ref_validate_mem(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const ref_file *anchors, size_t nanchors, const ref_file *pins, int *code, char *err,
	size_t errlen)
{
	trust_store st;
	size_t i;
	int ret = -1;

	memset(&st, 0, sizeof st);
	if (n == 0) {
		*code = BR_ERR_X509_EMPTY_CHAIN;
		return 0;
	}
	if (load_store(&st, anchors, nanchors, pins, err, errlen) != 0)
		goto out;
	if (pins != NULL) {
		/* A pin looks at the leaf's key and nothing else. */
		unsigned char h[32];
		*code = -1;
		if (trust_spki_sha256(h, chain[0].der, chain[0].len) == 0)
			for (i = 0; i < st.npins; i++)
				if (memcmp(st.pins[i], h, 32) == 0)
					*code = 0;
		ret = 0;
		goto out;
	}
	*code = minimal_check(chain, n, t, server_name, &st);
	if (*code != 0) {
		/* As sent it fails; the path a client links by names may not. */
		ref_cert path[16];
		size_t np = linked_path(chain, n, path);
		int differs = np != n;
		for (i = 0; i < np && !differs; i++)
			differs = path[i].der != chain[i].der;
		if (differs && minimal_check(path, np, t, server_name, &st) == 0)
			*code = 0;
	}
	ret = 0;
out:
	trust_free(&st);
	return ret;
}

/* see refcheck.h */
int
ref_validate(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const char *const *anchor_pems, size_t nanchors, const char *pins_path,
	int *code, char *err, size_t errlen)
{
	ref_file *f = xcalloc(nanchors + 1, sizeof *f);
	unsigned char **data = xcalloc(nanchors + 1, sizeof *data);
	size_t i, nread = 0;
	int ret = -1;

	for (i = 0; i < nanchors + (pins_path != NULL); i++) {
		f[i].name = i < nanchors ? anchor_pems[i] : pins_path;
		if (util_read_file(f[i].name, &data[i], &f[i].len, err, errlen) != 0)
			goto out;
		f[i].data = data[i];
		nread++;
	}
	ret = ref_validate_mem(chain, n, t, server_name, f, nanchors,
		pins_path != NULL ? &f[nanchors] : NULL, code, err, errlen);
out:
	for (i = 0; i < nread; i++)
		free(data[i]);
	free(data);
	free(f);
	return ret;
}
