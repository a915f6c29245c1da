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

/* see refcheck.h */
int
ref_validate_mem(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const ref_file *anchors, size_t nanchors, const ref_file *pins, int *code, char *err,
	size_t errlen)
{
	trust_store st;
	br_x509_minimal_context ctx;
	uint32_t days, secs;
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
	br_x509_minimal_init_full(&ctx, st.tas, st.ntas);
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
