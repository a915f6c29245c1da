/*
 * Reading .pki sections and checking the hierarchy. See pki.h.
 */
#include "pki/pki.h"
#include "pki/pki_int.h"
#include "pki/dn.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	pki_kind kind;
} kinds[] = {
	{ "root", PKI_ROOT },
	{ "intermediate", PKI_INTERMEDIATE },
	{ "cross", PKI_CROSS },
	{ "leaf", PKI_LEAF },
};

static const struct {
	const char *name;
	unsigned bit;
} ku_names[] = {
	{ "digitalSignature", PKI_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", PKI_KU_NON_REPUDIATION },
	{ "keyEncipherment", PKI_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", PKI_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", PKI_KU_KEY_AGREEMENT },
	{ "keyCertSign", PKI_KU_KEY_CERT_SIGN },
	{ "cRLSign", PKI_KU_CRL_SIGN },
};

static const struct {
	const char *name;
	const char *oid;
} eku_names[] = {
	{ "serverAuth", "1.3.6.1.5.5.7.3.1" },
	{ "clientAuth", "1.3.6.1.5.5.7.3.2" },
	{ "codeSigning", "1.3.6.1.5.5.7.3.3" },
	{ "emailProtection", "1.3.6.1.5.5.7.3.4" },
	{ "timeStamping", "1.3.6.1.5.5.7.3.8" },
	{ "OCSPSigning", "1.3.6.1.5.5.7.3.9" },
};

static const struct {
	const char *name;
	pki_hash hash;
} hash_names[] = {
	{ "sha1", PKI_SHA1 },
	{ "sha256", PKI_SHA256 },
	{ "sha384", PKI_SHA384 },
};

/* see pki.h */
const char *
pki_kind_name(pki_kind k)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == k)
			return kinds[i].name;
	return "?";
}

/* see pki.h */
int
pki_is_section_kind(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(kind, kinds[i].name) == 0)
			return 1;
	return strcmp(kind, "anchors") == 0 || strcmp(kind, "defaults") == 0;
}

/* see pki.h */
void
pki_init(pki *p)
{
	memset(p, 0, sizeof *p);
}

static void
cert_free(pki_cert *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	free(c->id);
	free(c->subject);
	free(c->key_label);
	free(c->issuer_id);
	free(c->of_id);
	cfg_list_free(c->eku, c->neku);
	cfg_list_free(c->san, c->nsan);
	for (i = 0; i < c->nchains; i++) {
		free(c->chains[i].name);
		for (j = 0; j < c->chains[i].n; j++)
			free(c->chains[i].ids[j]);
		free(c->chains[i].ids);
		free(c->chains[i].locs);
		free(c->chains[i].certs);
	}
	free(c->chains);
	free(c->description);
	buf_free(&c->name_der);
	free(c->der);
	free(c);
}

/* see pki.h */
void
pki_free(pki *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ncerts; i++)
		cert_free(p->certs[i]);
	free(p->certs);
	for (i = 0; i < p->nsets; i++) {
		cfg_list_free(p->sets[i].ids, p->sets[i].n);
		free(p->sets[i].name);
		free(p->sets[i].certs);
	}
	free(p->sets);
	for (i = 0; i < p->nfiles; i++)
		free(p->files[i]);
	free(p->files);
	for (i = 0; i < p->nkeys; i++) {
		if (p->keys[i].key != NULL)
			pki_key_wipe(p->keys[i].key);
		free(p->keys[i].key);
		free(p->keys[i].label);
	}
	free(p->keys);
	memset(p, 0, sizeof *p);
}

static const char *
intern(pki *p, const char *file)
{
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (strcmp(p->files[i], file) == 0)
			return p->files[i];
	p->files = xrealloc(p->files, (p->nfiles + 1) * sizeof *p->files);
	p->files[p->nfiles] = xstrdup(file);
	return p->files[p->nfiles++];
}

/* see pki.h */
pki_cert *
pki_find(const pki *p, const char *id)
{
	size_t i;

	for (i = 0; i < p->ncerts; i++)
		if (strcmp(p->certs[i]->id, id) == 0)
			return p->certs[i];
	return NULL;
}

/* see pki.h */
pki_anchor_set *
pki_find_anchors(const pki *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->nsets; i++)
		if (strcmp(p->sets[i].name, name) == 0)
			return &p->sets[i];
	return NULL;
}

/* see pki.h */
const pki_chain *
pki_leaf_chain(const pki_cert *leaf, const char *variant)
{
	size_t i;

	for (i = 0; i < leaf->nchains; i++) {
		const char *n = leaf->chains[i].name;
		if ((variant == NULL && n == NULL)
			|| (variant != NULL && n != NULL && strcmp(variant, n) == 0))
			return &leaf->chains[i];
	}
	return NULL;
}


static int
parse_date(const char *file, cfg_entry *e, int64_t *t, char *err, size_t errlen)
{
	char msg[256];

	if (simtime_parse(e->val, t, msg, sizeof msg) != 0)
		return util_err(err, errlen, "%s:%d: %s: %s", file, e->line, e->key, msg);
	return 0;
}

static int
parse_ip(const char *s, unsigned char *out, size_t *len)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*len = 16;
		return 0;
	}
	return -1;
}

/* A hostname for dNSName: labels of letters, digits and '-', optionally a
 * leading "*." wildcard. Bad names are allowed on purpose only through the
 * explicit "dns-raw:" form, which the scenarios may use to test clients. */
static int
valid_dns(const char *s)
{
	const char *p = s;
	size_t label = 0;

	if (strncmp(p, "*.", 2) == 0)
		p += 2;
	if (*p == 0 || strlen(s) > 253)
		return 0;
	for (; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!(isalnum((unsigned char)*p) || *p == '-') || ++label > 63)
			return 0;
	}
	return label > 0;
}

static int
parse_key_id(const char *file, cfg_entry *e, int *mode, unsigned char *out,
	size_t *len, char *err, size_t errlen)
{
	char msg[256];
	long n;

	if (strcmp(e->val, "auto") == 0) {
		*mode = 0;
		return 0;
	}
	if (strcmp(e->val, "none") == 0) {
		*mode = 1;
		return 0;
	}
	n = util_unhex(out, 32, e->val);
	if (n <= 0)
		return ERR_AT(file, e->line, "%s: want auto, none, or 1 to 32 bytes of hex, "
			"not \"%s\"", e->key, e->val);
	*mode = 2;
	*len = (size_t)n;
	return 0;
}

/* Keys allowed per section kind: a string of flags per key. */
enum {
	K_ROOT = 1, K_INT = 2, K_CROSS = 4, K_LEAF = 8,
	K_CA = K_ROOT | K_INT | K_CROSS, K_ALL = K_CA | K_LEAF
};

static const struct {
	const char *key;
	int kinds;
} cert_keys[] = {
	{ "subject", K_ROOT | K_INT | K_LEAF },
	{ "key", K_ROOT | K_INT | K_LEAF },
	{ "key-label", K_ROOT | K_INT | K_LEAF },
	{ "issuer", K_INT | K_CROSS | K_LEAF },
	{ "of", K_CROSS },
	{ "not-before", K_ALL },
	{ "not-after", K_ALL },
	{ "serial", K_ALL },
	{ "hash", K_ALL },
	{ "path-len", K_CA },
	{ "basic-constraints", K_ALL },
	{ "key-usage", K_ALL },
	{ "ext-key-usage", K_ALL },
	{ "san", K_ALL },
	{ "ski", K_ALL },
	{ "aki", K_ALL },
	{ "chain", K_LEAF },
	{ "description", K_ALL },
};

static int
kind_flag(pki_kind k)
{
	switch (k) {
	case PKI_ROOT: return K_ROOT;
	case PKI_INTERMEDIATE: return K_INT;
	case PKI_CROSS: return K_CROSS;
	default: return K_LEAF;
	}
}

static int
check_keys(const char *file, cfg_section *s, pki_kind kind, char *err, size_t errlen)
{
	char msg[256];
	size_t i, j, k;

	for (i = 0; i < s->n; i++) {
		const char *key = s->ents[i].key;
		int ok = 0;
		if (strncmp(key, "chain.", 6) == 0) {
			ok = kind == PKI_LEAF && cfg_valid_id(key + 6);
			if (!ok)
				return ERR_AT(file, s->ents[i].line, kind == PKI_LEAF
					? "bad chain variant name \"%s\""
					: "\"%s\": only a leaf has chains", key);
		}
		for (j = 0; !ok && j < sizeof cert_keys / sizeof cert_keys[0]; j++) {
			if (strcmp(key, cert_keys[j].key) != 0)
				continue;
			if (!(cert_keys[j].kinds & kind_flag(kind)))
				return ERR_AT(file, s->ents[i].line,
					"\"%s\" is not allowed in a [%s] section%s", key,
					pki_kind_name(kind),
					kind == PKI_CROSS && (!strcmp(key, "subject")
					|| !strcmp(key, "key") || !strcmp(key, "key-label"))
					? " (a cross-sign takes its subject and key from \"of\")"
					: kind == PKI_ROOT && !strcmp(key, "issuer")
					? " (a root is its own issuer)" : "");
			ok = 1;
		}
		if (!ok)
			return ERR_AT(file, s->ents[i].line, "unknown key \"%s\" in [%s %s]",
				key, s->kind, s->name);
		for (k = 0; k < i; k++)
			if (strcmp(s->ents[k].key, key) == 0)
				return ERR_AT(file, s->ents[i].line,
					"\"%s\" given twice (first on line %d)", key, s->ents[k].line);
	}
	return 0;
}

static cfg_entry *
get(cfg_section *s, const char *key)
{
	return cfg_get(s, key, NULL);
}

static int
require(const char *file, cfg_section *s, const char *key, cfg_entry **e,
	char *err, size_t errlen)
{
	char msg[256];

	*e = get(s, key);
	if (*e == NULL || (*e)->val[0] == 0)
		return ERR_AT(file, *e ? (*e)->line : s->line, "[%s %s] needs \"%s\"",
			s->kind, s->name, key);
	return 0;
}

static int
parse_id_ref(const char *file, cfg_entry *e, char **out, pki_loc *loc, pki *p,
	char *err, size_t errlen)
{
	char msg[256];

	if (!cfg_valid_id(e->val))
		return ERR_AT(file, e->line, "%s: \"%s\" is not a valid id", e->key, e->val);
	*out = xstrdup(e->val);
	loc->file = intern(p, file);
	loc->line = e->line;
	return 0;
}

static int
parse_chain(pki *p, pki_cert *c, const char *file, cfg_entry *e, const char *variant,
	char *err, size_t errlen)
{
	char msg[256];
	char **items;
	size_t n = cfg_split(e->val, ',', &items), i;
	pki_chain *ch;

	c->chains = xrealloc(c->chains, (c->nchains + 1) * sizeof *c->chains);
	ch = &c->chains[c->nchains++];
	memset(ch, 0, sizeof *ch);
	ch->name = xstrdup(variant);
	ch->loc.file = intern(p, file);
	ch->loc.line = e->line;
	ch->ids = items;
	ch->n = n;
	ch->locs = xcalloc(n ? n : 1, sizeof *ch->locs);
	for (i = 0; i < n; i++) {
		ch->locs[i] = ch->loc;
		if (!cfg_valid_id(items[i]))
			return ERR_AT(file, e->line, "%s: \"%s\" is not a valid id", e->key, items[i]);
	}
	return 0;
}

static int
parse_cert(pki *p, const char *file, cfg_section *s, pki_kind kind, char *err, size_t errlen)
{
	char msg[256];
	pki_cert *c = xcalloc(1, sizeof *c);
	cfg_entry *e;
	size_t i;

	c->id = xstrdup(s->name);
	c->kind = kind;
	c->loc.file = intern(p, file);
	c->loc.line = s->line;
	c->path_len = -1;
	p->certs = xrealloc(p->certs, (p->ncerts + 1) * sizeof *p->certs);
	p->certs[p->ncerts++] = c;

	if (check_keys(file, s, kind, err, errlen) != 0)
		return -1;

	if (kind != PKI_CROSS) {
		if (require(file, s, "subject", &e, err, errlen) != 0)
			return -1;
		c->subject = xstrdup(e->val);
		c->subject_loc.file = c->loc.file;
		c->subject_loc.line = e->line;
		if (pki_dn_encode(c->subject, &c->name_der, msg, sizeof msg) != 0)
			return util_err(err, errlen, "%s:%d: subject: %s", file, e->line, msg);
		if (require(file, s, "key", &e, err, errlen) != 0)
			return -1;
		c->key_type = pki_key_type_from_name(e->val);
		if (c->key_type == PKI_KEY_NONE)
			return ERR_AT(file, e->line, "unknown key type \"%s\" (want rsa2048, "
				"rsa3072, rsa4096, p256 or p384)", e->val);
		if ((e = get(s, "key-label")) != NULL) {
			if (!cfg_valid_id(e->val))
				return ERR_AT(file, e->line, "key-label: \"%s\" is not a valid label",
					e->val);
			c->key_label = xstrdup(e->val);
		} else {
			c->key_label = xstrdup(c->id);
		}
	}
	if (kind != PKI_ROOT) {
		if (require(file, s, "issuer", &e, err, errlen) != 0)
			return -1;
		if (parse_id_ref(file, e, &c->issuer_id, &c->issuer_loc, p, err, errlen) != 0)
			return -1;
	}
	if (kind == PKI_CROSS) {
		if (require(file, s, "of", &e, err, errlen) != 0)
			return -1;
		if (parse_id_ref(file, e, &c->of_id, &c->of_loc, p, err, errlen) != 0)
			return -1;
	}
	if (require(file, s, "not-before", &e, err, errlen) != 0
		|| parse_date(file, e, &c->not_before, err, errlen) != 0)
		return -1;
	if (require(file, s, "not-after", &e, err, errlen) != 0)
		return -1;
	if (e->val[0] == '+') {
		int64_t d;
		if (simtime_parse_duration(e->val, &d, msg, sizeof msg) != 0)
			return util_err(err, errlen, "%s:%d: not-after: %s", file, e->line, msg);
		c->not_after = c->not_before + d;
	} else if (parse_date(file, e, &c->not_after, err, errlen) != 0) {
		return -1;
	}
	if (c->not_after <= c->not_before)
		return ERR_AT(file, e->line, "not-after is not after not-before");
	simtime_civil cv;
	simtime_to_civil(c->not_after, &cv);
	if (cv.year > 9999)
		return ERR_AT(file, e->line, "not-after is past the year 9999");

	if ((e = get(s, "serial")) != NULL) {
		long n = util_unhex(c->serial, sizeof c->serial, e->val);
		if (n <= 0)
			return ERR_AT(file, e->line, "serial: want 1 to 20 bytes of hex, not \"%s\"",
				e->val);
		c->serial_len = (size_t)n;
		for (i = 0; i < c->serial_len && c->serial[i] == 0; i++)
			;
		if (i == c->serial_len)
			return ERR_AT(file, e->line, "serial: must be positive, not zero");
		if ((c->serial[0] & 0x80) && c->serial_len == 20)
			return ERR_AT(file, e->line, "serial: longer than 20 octets once encoded "
				"(RFC 5280 4.1.2.2)");
	}
	if ((e = get(s, "hash")) != NULL) {
		for (i = 0; i < sizeof hash_names / sizeof hash_names[0]; i++)
			if (strcmp(e->val, hash_names[i].name) == 0)
				c->hash = hash_names[i].hash;
		if (c->hash == PKI_HASH_DEFAULT)
			return ERR_AT(file, e->line, "unknown hash \"%s\" (want sha256, sha384 "
				"or sha1)", e->val);
	}
	if ((e = get(s, "path-len")) != NULL && strcmp(e->val, "none") != 0) {
		char *end;
		long v = strtol(e->val, &end, 10);
		if (!isdigit((unsigned char)e->val[0]) || *end != 0 || v > 255)
			return ERR_AT(file, e->line, "path-len: want a number 0..255 or none, "
				"not \"%s\"", e->val);
		c->path_len = (int)v;
	}
	if ((e = get(s, "basic-constraints")) != NULL) {
		if (strcmp(e->val, "critical") == 0)
			c->bc_mode = 0;
		else if (strcmp(e->val, "non-critical") == 0)
			c->bc_mode = 1;
		else if (strcmp(e->val, "none") == 0)
			c->bc_mode = 2;
		else
			return ERR_AT(file, e->line, "basic-constraints: want critical, "
				"non-critical or none, not \"%s\"", e->val);
	}
	if ((e = get(s, "key-usage")) != NULL) {
		char **items;
		size_t n = cfg_split(e->val, ',', &items), j;
		c->ku_set = 1;
		for (i = 0; i < n; i++) {
			if (n == 1 && strcmp(items[i], "none") == 0) {
				c->ku_set = 2;
				break;
			}
			for (j = 0; j < sizeof ku_names / sizeof ku_names[0]; j++)
				if (strcmp(items[i], ku_names[j].name) == 0)
					break;
			if (j == sizeof ku_names / sizeof ku_names[0]) {
				ERR_AT(file, e->line, "key-usage: unknown usage \"%s\"", items[i]);
				cfg_list_free(items, n);
				return -1;
			}
			c->ku |= ku_names[j].bit;
		}
		cfg_list_free(items, n);
		if (c->ku_set == 1 && c->ku == 0)
			return ERR_AT(file, e->line, "key-usage: empty (write none to omit it)");
	}
	if ((e = get(s, "ext-key-usage")) != NULL) {
		char **items;
		size_t n = cfg_split(e->val, ',', &items), j;
		c->eku_set = 1;
		if (n == 1 && strcmp(items[0], "none") == 0) {
			c->eku_set = 2;
			n = 0;
			free(items[0]);
		}
		for (i = 0; i < n; i++) {
			for (j = 0; j < sizeof eku_names / sizeof eku_names[0]; j++)
				if (strcmp(items[i], eku_names[j].name) == 0)
					break;
			if (j == sizeof eku_names / sizeof eku_names[0]) {
				ERR_AT(file, e->line, "ext-key-usage: unknown purpose \"%s\"", items[i]);
				cfg_list_free(items, n);
				return -1;
			}
			free(items[i]);
			items[i] = xstrdup(eku_names[j].oid);
		}
		c->eku = items;
		c->neku = n;
		if (c->eku_set == 1 && n == 0)
			return ERR_AT(file, e->line, "ext-key-usage: empty (write none to omit it)");
	}
	if ((e = get(s, "san")) != NULL) {
		c->nsan = cfg_split(e->val, ',', &c->san);
		c->san_loc.file = c->loc.file;
		c->san_loc.line = e->line;
		for (i = 0; i < c->nsan; i++) {
			unsigned char ip[16];
			size_t iplen;
			const char *v = c->san[i];
			if (strncmp(v, "dns:", 4) == 0) {
				if (!valid_dns(v + 4))
					return ERR_AT(file, e->line, "san: \"%s\" is not a host name", v + 4);
			} else if (strncmp(v, "ip:", 3) == 0) {
				if (parse_ip(v + 3, ip, &iplen) != 0)
					return ERR_AT(file, e->line, "san: \"%s\" is not an IP address",
						v + 3);
			} else {
				return ERR_AT(file, e->line, "san: \"%s\": want dns:NAME or ip:ADDRESS", v);
			}
		}
	}
	if ((e = get(s, "ski")) != NULL
		&& parse_key_id(file, e, &c->ski_mode, c->ski, &c->ski_len, err, errlen) != 0)
		return -1;
	if ((e = get(s, "aki")) != NULL) {
		if (parse_key_id(file, e, &c->aki_mode, c->aki, &c->aki_len, err, errlen) != 0)
			return -1;
	} else if (kind == PKI_ROOT) {
		c->aki_mode = 1;
	}
	if ((e = get(s, "description")) != NULL)
		c->description = xstrdup(e->val);
	for (i = 0; i < s->n; i++) {
		e = &s->ents[i];
		if (strcmp(e->key, "chain") == 0) {
			if (parse_chain(p, c, file, e, NULL, err, errlen) != 0)
				return -1;
		} else if (strncmp(e->key, "chain.", 6) == 0) {
			if (parse_chain(p, c, file, e, e->key + 6, err, errlen) != 0)
				return -1;
		}
		e->used = 1;
	}
	return 0;
}

static int
parse_anchors(pki *p, const char *file, cfg_section *s, char *err, size_t errlen)
{
	char msg[256];
	pki_anchor_set *a;
	cfg_entry *e;
	size_t i;

	p->sets = xrealloc(p->sets, (p->nsets + 1) * sizeof *p->sets);
	a = &p->sets[p->nsets++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(s->name);
	a->loc.file = intern(p, file);
	a->loc.line = s->line;
	for (i = 0; i < s->n; i++) {
		const char *k = s->ents[i].key;
		if (strcmp(k, "certs") != 0 && strcmp(k, "description") != 0)
			return ERR_AT(file, s->ents[i].line, "unknown key \"%s\" in [anchors %s] "
				"(want certs, description)", k, s->name);
	}
	cfg_entry *dup;
	e = cfg_get(s, "certs", &dup);
	if (dup != NULL)
		return ERR_AT(file, dup->line, "\"certs\" given twice");
	if (e == NULL || e->val[0] == 0)
		return ERR_AT(file, e ? e->line : s->line, "[anchors %s] needs \"certs\"", s->name);
	a->certs_loc.file = a->loc.file;
	a->certs_loc.line = e->line;
	a->n = cfg_split(e->val, ',', &a->ids);
	for (i = 0; i < a->n; i++)
		if (!cfg_valid_id(a->ids[i]))
			return ERR_AT(file, e->line, "certs: \"%s\" is not a valid id", a->ids[i]);
	return 0;
}

static int
parse_defaults(pki *p, const char *file, cfg_section *s, char *err, size_t errlen)
{
	char msg[256];
	size_t i, j;

	if (p->defaults_loc.line != 0)
		return ERR_AT(file, s->line, "a second [defaults] section (the first is at %s:%d)",
			p->defaults_loc.file, p->defaults_loc.line);
	p->defaults_loc.file = intern(p, file);
	p->defaults_loc.line = s->line;
	for (i = 0; i < s->n; i++) {
		cfg_entry *e = &s->ents[i];
		if (strcmp(e->key, "hash") != 0)
			return ERR_AT(file, e->line, "unknown key \"%s\" in [defaults] (want hash)",
				e->key);
		for (j = 0; j < sizeof hash_names / sizeof hash_names[0]; j++)
			if (strcmp(e->val, hash_names[j].name) == 0)
				p->default_hash = hash_names[j].hash;
		if (p->default_hash == PKI_HASH_DEFAULT)
			return ERR_AT(file, e->line, "unknown hash \"%s\"", e->val);
	}
	return 0;
}

static int
name_taken(const pki *p, const char *name, pki_loc *where)
{
	size_t i;

	for (i = 0; i < p->ncerts; i++)
		if (strcmp(p->certs[i]->id, name) == 0) {
			*where = p->certs[i]->loc;
			return 1;
		}
	for (i = 0; i < p->nsets; i++)
		if (strcmp(p->sets[i].name, name) == 0) {
			*where = p->sets[i].loc;
			return 1;
		}
	return 0;
}

/* see pki.h */
int
pki_add_doc(pki *p, cfg_doc *doc, int strict, char *err, size_t errlen)
{
	char msg[256];
	size_t i, k, objects = 0;

	for (i = 0; i < doc->n; i++) {
		cfg_section *s = &doc->secs[i];
		int is_cert = -1;
		pki_loc where;

		for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
			if (strcmp(s->kind, kinds[k].name) == 0)
				is_cert = (int)k;
		if (is_cert < 0 && strcmp(s->kind, "anchors") != 0
			&& strcmp(s->kind, "defaults") != 0) {
			if (strict)
				return ERR_AT(doc->path, s->line, "unknown section kind \"%s\" (want "
					"root, intermediate, cross, leaf, anchors or defaults)", s->kind);
			continue;
		}
		if (strcmp(s->kind, "defaults") == 0) {
			if (s->name != NULL)
				return ERR_AT(doc->path, s->line, "[defaults] takes no name");
			if (parse_defaults(p, doc->path, s, err, errlen) != 0)
				return -1;
			continue;
		}
		if (s->name == NULL)
			return ERR_AT(doc->path, s->line, "[%s] needs an id: [%s ID]", s->kind, s->kind);
		if (!cfg_valid_id(s->name))
			return ERR_AT(doc->path, s->line, "\"%s\" is not a valid id (letters, digits, "
				"'-', '_', '.', '+'; at most 64)", s->name);
		if (name_taken(p, s->name, &where))
			return ERR_AT(doc->path, s->line, "duplicate id \"%s\" (first defined at %s:%d)",
				s->name, where.file, where.line);
		if (is_cert >= 0) {
			if (parse_cert(p, doc->path, s, kinds[is_cert].kind, err, errlen) != 0)
				return -1;
		} else if (parse_anchors(p, doc->path, s, err, errlen) != 0) {
			return -1;
		}
		objects++;
	}
	/* A .pki file that describes nothing is a mistake (a wrong or truncated
	 * file), not an empty hierarchy to build. */
	if (strict && objects == 0)
		return ERR_AT(doc->path, 1, "no certificate or anchor set in the file (want "
			"[root ID], [intermediate ID], [cross ID], [leaf ID] or [anchors NAME])");
	return 0;
}
