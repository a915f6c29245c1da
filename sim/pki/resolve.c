/*
 * Checking a read hierarchy: every reference resolved, issuers that can
 * issue, chains that lead somewhere. See pki.h (pki_resolve).
 */
#include "pki/pki.h"
#include "pki/pki_int.h"
#include "pki/dn.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int
is_ca(const pki_cert *c)
{
	return c->kind != PKI_LEAF && !(c->kind == PKI_CROSS && c->of != NULL
		&& c->of->kind == PKI_LEAF);
}

/* see pki.h */
int
pki_resolve(pki *p, char *err, size_t errlen)
{
	char msg[256];
	size_t i, j, n;

	/* References. */
	for (i = 0; i < p->ncerts; i++) {
		pki_cert *c = p->certs[i];
		if (c->kind == PKI_ROOT) {
			c->issuer = c;
		} else {
			c->issuer = pki_find(p, c->issuer_id);
			if (c->issuer == NULL)
				return ERR_AT(c->issuer_loc.file, c->issuer_loc.line,
					"issuer \"%s\" is not defined", c->issuer_id);
			if (c->issuer == c)
				return ERR_AT(c->issuer_loc.file, c->issuer_loc.line,
					"\"%s\" names itself as issuer (use [root %s] for a "
					"self-signed certificate)", c->id, c->id);
			if (c->issuer->kind == PKI_LEAF)
				return ERR_AT(c->issuer_loc.file, c->issuer_loc.line,
					"issuer \"%s\" is a leaf, not a CA", c->issuer_id);
		}
		c->of = c;
		if (c->kind == PKI_CROSS) {
			c->of = pki_find(p, c->of_id);
			if (c->of == NULL)
				return ERR_AT(c->of_loc.file, c->of_loc.line,
					"of: \"%s\" is not defined", c->of_id);
			if (c->of == c)
				return ERR_AT(c->of_loc.file, c->of_loc.line,
					"of: a cross-sign cannot be \"of\" itself");
		}
	}
	/* "of" chains end at a certificate with its own subject and key. */
	for (i = 0; i < p->ncerts; i++) {
		pki_cert *c = p->certs[i], *o = c;
		for (n = 0; o->kind == PKI_CROSS && n <= p->ncerts; n++)
			o = o->of;
		if (n > p->ncerts)
			return ERR_AT(c->of_loc.file, c->of_loc.line,
				"of: cycle through \"%s\"", c->of_id);
		if (c->kind == PKI_CROSS) {
			c->of = o;
			c->key_type = o->key_type;
			c->key_label = xstrdup(o->key_label);
			c->subject = xstrdup(o->subject);
			buf_append(&c->name_der, o->name_der.data, o->name_der.len);
		}
	}
	/* Every issuer chain ends at a root, and issuers are CAs. */
	for (i = 0; i < p->ncerts; i++) {
		pki_cert *c = p->certs[i], *x = c;
		if (c->kind != PKI_ROOT && !is_ca(c->issuer))
			return ERR_AT(c->issuer_loc.file, c->issuer_loc.line,
				"issuer \"%s\" is a cross-sign of a leaf, not a CA", c->issuer_id);
		for (n = 0; x->kind != PKI_ROOT && n <= p->ncerts; n++)
			x = x->issuer;
		if (n > p->ncerts) {
			buf_t path = {0};
			x = c;
			for (n = 0; n <= p->ncerts && (n == 0 || x != c); n++) {
				buf_printf(&path, "%s -> ", x->id);
				x = x->issuer;
			}
			buf_printf(&path, "%s", c->id);
			ERR_AT(c->issuer_loc.file, c->issuer_loc.line,
				"issuer cycle: %s (no root above \"%s\")", buf_cstr(&path), c->id);
			buf_free(&path);
			return -1;
		}
	}
	/* Defaults that depend on kind, and checks across sections. */
	for (i = 0; i < p->ncerts; i++) {
		pki_cert *c = p->certs[i];
		if (c->hash == PKI_HASH_DEFAULT)
			c->hash = p->default_hash != PKI_HASH_DEFAULT ? p->default_hash
				: c->issuer->key_type == PKI_P384 ? PKI_SHA384 : PKI_SHA256;
		if (c->ku_set == 0) {
			if (is_ca(c))
				c->ku = PKI_KU_DIGITAL_SIGNATURE | PKI_KU_KEY_CERT_SIGN | PKI_KU_CRL_SIGN;
			else
				c->ku = PKI_KU_DIGITAL_SIGNATURE
					| (pki_key_is_rsa(c->key_type) ? PKI_KU_KEY_ENCIPHERMENT : 0);
		}
		if (c->eku_set == 0 && !is_ca(c)) {
			c->neku = cfg_split("1.3.6.1.5.5.7.3.1, 1.3.6.1.5.5.7.3.2", ',', &c->eku);
		}
		if (c->nsan > 0 && is_ca(c))
			return ERR_AT(c->san_loc.file, c->san_loc.line,
				"san: a CA certificate takes no subjectAltName here");
		if (c->kind != PKI_LEAF)
			continue;
		/* The default chain: issuers up to the first root, not included. */
		if (pki_leaf_chain(c, NULL) == NULL) {
			pki_chain ch;
			pki_cert *x;
			memset(&ch, 0, sizeof ch);
			ch.loc = c->loc;
			for (x = c->issuer; x->kind != PKI_ROOT; x = x->issuer) {
				ch.ids = xrealloc(ch.ids, (ch.n + 1) * sizeof *ch.ids);
				ch.locs = xrealloc(ch.locs, (ch.n + 1) * sizeof *ch.locs);
				ch.ids[ch.n] = xstrdup(x->id);
				ch.locs[ch.n++] = c->loc;
			}
			c->chains = xrealloc(c->chains, (c->nchains + 1) * sizeof *c->chains);
			memmove(c->chains + 1, c->chains, c->nchains * sizeof *c->chains);
			c->chains[0] = ch;
			c->nchains++;
		}
		for (j = 0; j < c->nchains; j++) {
			pki_chain *ch = &c->chains[j];
			free(ch->certs);
			ch->certs = xcalloc(ch->n ? ch->n : 1, sizeof *ch->certs);
			for (n = 0; n < ch->n; n++) {
				ch->certs[n] = pki_find(p, ch->ids[n]);
				if (ch->certs[n] == NULL)
					return ERR_AT(ch->locs[n].file, ch->locs[n].line,
						"chain: \"%s\" is not defined", ch->ids[n]);
			}
			for (n = 0; n < j; n++) {
				const char *a = c->chains[n].name, *b = ch->name;
				if (a != NULL && b != NULL && strcmp(a, b) == 0)
					return ERR_AT(ch->loc.file, ch->loc.line,
						"chain.%s given twice", b);
			}
		}
	}
	for (i = 0; i < p->nsets; i++) {
		pki_anchor_set *a = &p->sets[i];
		free(a->certs);
		a->certs = xcalloc(a->n ? a->n : 1, sizeof *a->certs);
		for (n = 0; n < a->n; n++) {
			a->certs[n] = pki_find(p, a->ids[n]);
			if (a->certs[n] == NULL)
				return ERR_AT(a->certs_loc.file, a->certs_loc.line,
					"certs: \"%s\" is not defined", a->ids[n]);
		}
	}
	p->resolved = 1;
	return 0;
}
