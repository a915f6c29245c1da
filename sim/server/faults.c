/*
 * Faults of the update server: added from their spec (the grammar is the
 * shared table of common/fault.h) and applied where each acts.
 */
#include "common/json.h"
#include "server/srv_int.h"

#include <stdlib.h>
#include <string.h>

/* see srv.h */
int
srv_add_fault(srv_server *s, const char *spec, char *err, size_t errlen)
{
	srv_fault sf;
	char msg[256];

	memset(&sf, 0, sizeof sf);
	if (fault_parse(&sf.f, spec, FAULT_FORM_FILES, msg, sizeof msg) != 0)
		return util_err(err, errlen, "fault \"%s\": %s", spec, msg);
	s->faults = xrealloc(s->faults, (s->nfaults + 1) * sizeof *s->faults);
	s->faults[s->nfaults++] = sf;
	return 0;
}

static int
available(const srv_fault *sf)
{
	return sf->f.count == 0 || sf->used < sf->f.count;
}

/* see srv_int.h */
void
srv_fault_applied(srv_conn *c, srv_fault *sf)
{
	if (c->faults.len > 0)
		buf_putc(&c->faults, ',');
	json_put_str(&c->faults, sf->f.spec);
	sf->used++;
}

/* ---- chain faults ---- */

static void
drop_all_from(srv_cred *c, size_t from)
{
	size_t i;

	for (i = from; i < c->chain_len; i++)
		free(c->chain[i].data);
	c->chain_len = from;
}

static int
fault_drop_intermediate(srv_cred *c, const fault *f, char *err, size_t errlen)
{
	drop_all_from(c, 1);
	return 0;
}

static int
fault_drop(srv_cred *c, const fault *f, char *err, size_t errlen)
{
	if (f->value >= c->chain_len)
		return util_err(err, errlen, "fault \"%s\": the chain has %zu certificates",
			f->spec, c->chain_len);
	if (c->chain_len == 1)
		return util_err(err, errlen, "fault \"%s\": cannot drop the only certificate",
			f->spec);
	free(c->chain[f->value].data);
	memmove(c->chain + f->value, c->chain + f->value + 1,
		(c->chain_len - f->value - 1) * sizeof *c->chain);
	c->chain_len--;
	return 0;
}

static int
fault_reverse(srv_cred *c, const fault *f, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < c->chain_len / 2; i++) {
		br_x509_certificate t = c->chain[i];
		c->chain[i] = c->chain[c->chain_len - 1 - i];
		c->chain[c->chain_len - 1 - i] = t;
	}
	return 0;
}

static int
fault_append(srv_cred *c, const fault *f, char *err, size_t errlen)
{
	return srv_read_certs(f->path, &c->chain, &c->chain_len, err, errlen);
}

static int
fault_chain(srv_cred *c, const fault *f, char *err, size_t errlen)
{
	drop_all_from(c, 0);
	if (srv_read_certs(f->path, &c->chain, &c->chain_len, err, errlen) != 0)
		return -1;
	if (f->key != NULL && srv_read_key(c, f->key, err, errlen) != 0)
		return -1;
	return 0;
}

static const struct {
	fault_kind kind;
	int (*apply)(srv_cred *, const fault *, char *, size_t);
} chain_faults[] = {
	{ FAULT_DROP_INTERMEDIATE, fault_drop_intermediate },
	{ FAULT_DROP, fault_drop },
	{ FAULT_REVERSE, fault_reverse },
	{ FAULT_APPEND, fault_append },
	{ FAULT_CHAIN, fault_chain },
};

/* see srv_int.h */
int
srv_faults_chain(srv_server *s, srv_cred *c, char *err, size_t errlen)
{
	size_t i, k;

	for (i = 0; i < s->nfaults; i++) {
		const fault *f = &s->faults[i].f;

		if (f->stage != FAULT_ON_CHAIN)
			continue;
		for (k = 0; k < sizeof chain_faults / sizeof chain_faults[0]; k++)
			if (chain_faults[k].kind == f->kind
				&& chain_faults[k].apply(c, f, err, errlen) != 0)
				return -1;
	}
	return 0;
}

/* ---- manifest faults ---- */

/* see srv_int.h */
int
srv_faults_manifest(srv_server *s, char *err, size_t errlen)
{
	size_t j;

	for (j = 0; j < s->nfaults; j++) {
		/* Flip one bit of r, keeping the text valid base64. */
		fw_manifest m;
		char *sig64;
		size_t off;

		if (s->faults[j].f.kind != FAULT_BAD_SIGNATURE || s->manifest == NULL)
			continue;
		if (fw_manifest_parse(&m, s->manifest, s->manifest_len, err, errlen) != 0)
			return -1;
		m.sig[10] ^= 0x01;
		sig64 = util_b64_encode(m.sig, 64);
		off = m.signed_len + 4;
		memcpy(s->manifest + off, sig64, strlen(sig64));
		free(sig64);
	}
	return 0;
}

/* see srv_int.h */
int
srv_faults_missing_image(srv_conn *c)
{
	srv_server *s = c->srv;
	size_t i;
	int missing = 0;

	for (i = 0; i < s->nfaults; i++) {
		if (s->faults[i].f.kind == FAULT_MISSING_IMAGE) {
			srv_fault_applied(c, &s->faults[i]);
			missing = 1;
		}
	}
	return missing;
}

/* ---- request and transfer faults ---- */

/* see srv_int.h */
int
srv_faults_request(srv_conn *c, const char *target)
{
	srv_server *s = c->srv;
	size_t i;

	for (i = 0; i < s->nfaults; i++) {
		srv_fault *sf = &s->faults[i];
		char extra[64] = "";

		if (sf->f.kind != FAULT_HTTP || !available(sf) || (sf->f.path != NULL
			&& strncmp(target, sf->f.path, strlen(sf->f.path)) != 0))
			continue;
		if (sf->f.retry_after >= 0)
			snprintf(extra, sizeof extra, "Retry-After: %lld\r\n",
				(long long)sf->f.retry_after);
		srv_fault_applied(c, sf);
		srv_respond_text(c, (int)sf->f.value, extra);
		return 1;
	}
	return 0;
}

/* see srv_int.h */
void
srv_faults_image(srv_conn *c, uint64_t first, uint64_t last)
{
	srv_server *s = c->srv;
	size_t i;

	for (i = 0; i < s->nfaults; i++) {
		srv_fault *sf = &s->faults[i];
		const fault *f = &sf->f;

		if (f->kind == FAULT_CLOSE_AFTER && available(sf) && c->cut_at == UINT64_MAX) {
			c->cut_at = f->value;
			srv_fault_applied(c, sf);
		} else if (f->kind == FAULT_STALL && available(sf) && c->stall_ms == 0) {
			c->stall_at = f->at;
			c->stall_ms = (int64_t)f->value * 1000;
			srv_fault_applied(c, sf);
		} else if (f->kind == FAULT_CORRUPT_BYTE && f->value >= first
			&& f->value <= last && c->body_len > 0)
		{
			srv_fault_applied(c, sf);
		}
	}
}

/* see srv_int.h */
void
srv_faults_corrupt(const srv_conn *c, unsigned char *buf, size_t n)
{
	uint64_t at = c->body_base + c->body_off;
	size_t i;

	if (c->body_image == NULL)
		return;
	for (i = 0; i < c->srv->nfaults; i++) {
		const fault *f = &c->srv->faults[i].f;

		if (f->kind == FAULT_CORRUPT_BYTE && f->value >= at && f->value < at + n)
			buf[f->value - at] ^= 0xff;
	}
}
