/*
 * Devices: the reference agent's profiles and device descriptions. See
 * devices.h.
 */
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "common/cfg.h"
#include "common/trust.h"
#include "common/util.h"
#include "fw/fw.h"
#include "plan/plan.h"
#include "time/simtime.h"
#include "paths.h"

#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* How long a chain of like may be before it is taken for a loop. */
#define LIKE_DEPTH 8

typedef enum { TRUST_UNSET, TRUST_FILES, TRUST_PINS, TRUST_NONE_, TRUST_SET, TRUST_PIN_SET }
	dev_trust;

/* A device description, read. Paths are absolute (or relative to the
 * description's directory as given when that directory cannot be resolved). */
typedef struct {
	char *name, *path;
	char *like, *target, *image, *signing_key, *version_signal, *client, *tls;
	char *image_path;		/* files/hawkbit: where the server offers the image */
	char *bundle;			/* files/hawkbit: "swu", what the image is packed as */
	char *trust_set;		/* TRUST_SET, TRUST_PIN_SET: the scenario PKI's anchor
				 * set or pin list */
	char *protocol, *clock, *sntp, *build_date, *description, *trust_text;
	char *heading;		/* the comment lines above [device NAME], or NULL */
	unsigned long version;
	dev_trust trust;
	char **files;		/* TRUST_FILES: the anchor files */
	size_t nfiles;
	char **pins;		/* TRUST_PINS: base64 SHA-256 of SPKIs */
	size_t npins;
	/* Lines, for messages of dev_check_all(). */
	int line, like_line, target_line, image_line, trust_line, key_line;
} dev_desc;

static void
desc_free(dev_desc *d)
{
	free(d->name); free(d->path); free(d->like); free(d->target); free(d->image);
	free(d->signing_key); free(d->version_signal); free(d->client); free(d->tls);
	free(d->image_path);
	free(d->bundle);
	free(d->trust_set);
	free(d->protocol); free(d->clock); free(d->sntp); free(d->build_date);
	free(d->description); free(d->trust_text); free(d->heading);
	cfg_list_free(d->files, d->nfiles);
	cfg_list_free(d->pins, d->npins);
	memset(d, 0, sizeof *d);
}

/* The keys of a [device] section, in the order of the guide. */
static const char *const desc_keys[] = {
	"like", "target", "image", "trust", "signing-key", "version", "version-signal",
	"client", "tls", "protocol", "image-path", "bundle", "clock", "sntp", "build-date", "description", NULL
};

static const char *const protocols[] = { "rotsim", "files", "hawkbit", NULL };
static const char *const clocks[] = { "rtc", "sntp", "none", NULL };

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

#define ERR_AT(line, ...) desc_err(err, errlen, path, line, __VA_ARGS__)

static int
desc_err(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
desc_err(char *err, size_t errlen, const char *path, int line, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return util_err(err, errlen, "%s:%d: %s", path, line, msg);
}

/* A path value, relative to the description's directory (dir) unless
 * absolute. Refused: empty, or with control characters (it goes into a
 * command line and a profile). */
static int
desc_path(const char *path, const char *dir, const cfg_entry *e, char **out, char *err,
	size_t errlen)
{
	const unsigned char *p;

	if (e->val[0] == 0)
		return ERR_AT(e->line, "%s: a file name is needed", e->key);
	for (p = (const unsigned char *)e->val; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return ERR_AT(e->line, "%s: a control character in the file name", e->key);
	*out = e->val[0] == '/' ? xstrdup(e->val) : xasprintf("%s/%s", dir, e->val);
	return 0;
}

/* The directory of a file, absolute when it can be resolved. */
static char *
dir_of(const char *path)
{
	char *copy = xstrdup(path), *d = dirname(copy), *abs = realpath(d, NULL), *r;

	r = abs != NULL ? xstrdup(abs) : xstrdup(d);
	free(abs);
	free(copy);
	return r;
}

/* trust = anchors:FILE[,FILE] | pins:SHA256-B64[,...] | set:NAME | pin-set:NAME
 * | none */
static int
desc_trust(dev_desc *d, const char *path, const char *dir, const cfg_entry *e, char *err,
	size_t errlen)
{
	char **items = NULL;
	size_t n = 0, i;
	int ret = -1;

	if (strcmp(e->val, "none") == 0) {
		d->trust = TRUST_NONE_;
		return 0;
	}
	/* set:NAME: an anchor set of the scenario's own PKI (pki/SCN/anchors/
	 * NAME.pem), for a stock description whose anchors are the test CA's;
	 * pin-set:NAME the same for a pin list (NAME.pins): the trust the
	 * reference agent's stock devices carry, made per PKI. */
	if (strncmp(e->val, "set:", 4) == 0 || strncmp(e->val, "pin-set:", 8) == 0) {
		int pins = e->val[0] == 'p';
		const char *name = e->val + (pins ? 8 : 4);
		if (!cfg_valid_id(name) || strchr(name, '@') != NULL
			|| strstr(name, ".device") != NULL)
			return ERR_AT(e->line, "trust: \"%.80s\" is not the name of %s of the "
				"scenario's PKI (%s, say)", name, pins ? "a pin list" : "an anchor set",
				pins ? "leaf-r3-pin" : "x1-only");
		d->trust = pins ? TRUST_PIN_SET : TRUST_SET;
		d->trust_set = xstrdup(name);
		return 0;
	}
	if (strncmp(e->val, "anchors:", 8) == 0) {
		n = cfg_split(e->val + 8, ',', &items);
		d->files = xcalloc(n + 1, sizeof *d->files);
		for (i = 0; i < n; i++) {
			cfg_entry one = *e;
			one.val = items[i];
			if (items[i][0] == 0) {
				ERR_AT(e->line, "trust: an empty file name in the anchors list");
				goto out;
			}
			if (desc_path(path, dir, &one, &d->files[d->nfiles], err, errlen) != 0)
				goto out;
			d->nfiles++;
		}
		d->trust = TRUST_FILES;
	} else if (strncmp(e->val, "pins:", 5) == 0) {
		n = cfg_split(e->val + 5, ',', &items);
		d->pins = xcalloc(n + 1, sizeof *d->pins);
		for (i = 0; i < n; i++) {
			unsigned char h[48];
			size_t len = strlen(items[i]);
			if (len == 0 || len > 60 || util_b64_decode(h, sizeof h, items[i], len) != 32) {
				ERR_AT(e->line, "trust: pin \"%.60s\" is not the base64 of a SHA-256 "
					"(44 characters, as openssl ... | base64 gives)", items[i]);
				goto out;
			}
			d->pins[d->npins++] = xstrdup(items[i]);
		}
		d->trust = TRUST_PINS;
	} else {
		return ERR_AT(e->line, "trust \"%.80s\": want anchors:FILE.pem[,FILE.pem], "
			"pins:SHA256-BASE64[,...], set:NAME, pin-set:NAME or none", e->val);
	}
	if (n == 0) {
		ERR_AT(e->line, "trust: the %s list is empty", d->trust == TRUST_FILES ? "anchors"
			: "pins");
		goto out;
	}
	ret = 0;
out:
	cfg_list_free(items, n);
	return ret;
}

/* The comment lines (and blank lines) a description opens with, allocated,
 * or NULL when it opens with something else: the reference agent's profile
 * of the description keeps them (desc_profile), so that the device's own
 * configuration explains it as its description does. */
static char *
desc_heading(const char *text, size_t len)
{
	size_t off = 0, end = 0;
	int comment = 0;

	while (off < len) {
		size_t n = 0, i = 0;
		while (off + n < len && text[off + n] != '\n')
			n++;
		while (i < n && (text[off + i] == ' ' || text[off + i] == '\t'))
			i++;
		if (i < n && text[off + i] != '#')
			break;
		comment |= i < n;
		off += n + (off + n < len);
		end = off;
	}
	if (!comment || memchr(text, 0, end) != NULL)
		return NULL;
	return xstrndup(text, end);
}

/* sntp = HOST[:PORT], as the reference agent resolves it: a host name or
 * address and a port from 1 to 65535. */
static int
valid_sntp(const char *v)
{
	const char *colon = strrchr(v, ':'), *p;
	size_t hl = colon != NULL ? (size_t)(colon - v) : strlen(v);

	if (hl == 0 || hl > 253)
		return 0;
	for (p = v; p < v + hl; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
			|| (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			return 0;
	if (colon != NULL) {
		char *end;
		unsigned long port;
		if (colon[1] < '1' || colon[1] > '9')
			return 0;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (*end != 0 || errno != 0 || port > 65535)
			return 0;
	}
	return 1;
}

/* Read a description from text into d (see dev_desc_check_text). */
static int
desc_parse(dev_desc *d, const char *path, const char *name, const char *text, size_t len,
	char *err, size_t errlen)
{
	cfg_doc doc;
	cfg_section *s = NULL;
	cfg_entry *e, *dup;
	char *dir = NULL;
	size_t i;
	int ret = -1;

	memset(d, 0, sizeof *d);
	d->version = 1;
	if (cfg_parse(&doc, path, text, len, err, errlen) != 0)
		return -1;
	for (i = 0; i < doc.n; i++) {
		cfg_section *sec = &doc.secs[i];
		if (strcmp(sec->kind, "profile") == 0) {
			ERR_AT(sec->line, "[profile]: a trust profile, the older form: a "
				"description says [device NAME] and trust = set:SET for anchors = "
				"SET, pin-set:SET for pins = SET, none for insecure = yes");
			goto out;
		}
		if (strcmp(sec->kind, "device") != 0) {
			ERR_AT(sec->line, "[%s]: a device description holds one [device NAME] "
				"section", sec->kind);
			goto out;
		}
		if (s != NULL) {
			ERR_AT(sec->line, "a second [device] section (the first is on line %d)",
				s->line);
			goto out;
		}
		s = sec;
	}
	if (s == NULL) {
		util_err(err, errlen, "%s:1: no [device NAME] section", path);
		goto out;
	}
	if (s->name == NULL || !cfg_valid_id(s->name) || strchr(s->name, '@') != NULL) {
		ERR_AT(s->line, "the device needs a name: [device NAME] (letters, digits, '-', "
			"'_', '.', '+')");
		goto out;
	}
	if (name != NULL && strcmp(name, s->name) != 0) {
		ERR_AT(s->line, "device \"%s\" is in a file named \"%s.device\" (the name and "
			"the file name must agree)", s->name, name);
		goto out;
	}
	d->name = xstrdup(s->name);
	d->path = xstrdup(path);
	d->line = s->line;
	d->heading = desc_heading(text, len);
	dir = dir_of(path);
	/* Every key once; then an unknown key is refused with the closest. */
	for (i = 0; desc_keys[i] != NULL; i++) {
		e = cfg_get(s, desc_keys[i], &dup);
		if (dup != NULL) {
			size_t k;
			for (k = 0; k < s->n && strcmp(s->ents[k].key, desc_keys[i]) != 0; k++)
				;
			ERR_AT(dup->line, "%s given twice (first on line %d)", desc_keys[i],
				s->ents[k].line);
			goto out;
		}
	}
	if ((e = cfg_unused(s)) != NULL) {
		size_t nk = sizeof desc_keys / sizeof desc_keys[0] - 1;
		const char *near = plan_closest(e->key, desc_keys, nk);
		if (near != NULL)
			ERR_AT(e->line, "unknown key \"%s\" (did you mean \"%s\"?)", e->key, near);
		else
			ERR_AT(e->line, "unknown key \"%s\" (a [device] section knows like, target, "
				"image, trust, signing-key, version, version-signal, client, tls, "
				"protocol, image-path, bundle, clock, sntp, build-date, description)", e->key);
		goto out;
	}
	if ((e = cfg_get(s, "like", NULL)) != NULL) {
		if (!cfg_valid_id(e->val) || strchr(e->val, '@') != NULL) {
			ERR_AT(e->line, "like: \"%.80s\" is not a device name", e->val);
			goto out;
		}
		if (strcmp(e->val, d->name) == 0) {
			ERR_AT(e->line, "like: a device cannot be like itself");
			goto out;
		}
		d->like = xstrdup(e->val);
		d->like_line = e->line;
	}
	if ((e = cfg_get(s, "target", NULL)) != NULL) {
		if (!cfg_valid_id(e->val)) {
			ERR_AT(e->line, "target: \"%.80s\" is not a target name", e->val);
			goto out;
		}
		d->target = xstrdup(e->val);
		d->target_line = e->line;
	}
	if ((e = cfg_get(s, "image", NULL)) != NULL) {
		if (desc_path(path, dir, e, &d->image, err, errlen) != 0)
			goto out;
		d->image_line = e->line;
	}
	if ((e = cfg_get(s, "trust", NULL)) == NULL) {
		ERR_AT(s->line, "[device %s] says nothing of its trust (trust = anchors:FILE.pem, "
			"pins:SHA256-BASE64 or none)", s->name);
		goto out;
	}
	d->trust_line = e->line;
	d->trust_text = xstrdup(e->val);
	if (desc_trust(d, path, dir, e, err, errlen) != 0)
		goto out;
	if ((e = cfg_get(s, "signing-key", NULL)) != NULL) {
		if (desc_path(path, dir, e, &d->signing_key, err, errlen) != 0)
			goto out;
		d->key_line = e->line;
	}
	if ((e = cfg_get(s, "version", NULL)) != NULL) {
		char *end;
		errno = 0;
		d->version = strtoul(e->val, &end, 10);
		if (e->val[0] < '1' || e->val[0] > '9' || *end != 0 || errno != 0
			|| d->version > UINT32_MAX) {
			ERR_AT(e->line, "version \"%.40s\": want a whole number from 1", e->val);
			goto out;
		}
	}
	if ((e = cfg_get(s, "version-signal", NULL)) != NULL)
		d->version_signal = xstrdup(e->val);
	if ((e = cfg_get(s, "client", NULL)) != NULL)
		d->client = xstrdup(e->val);
	if ((e = cfg_get(s, "tls", NULL)) != NULL) {
		if (scn_stack_from_tls(e->val) == NULL) {
			ERR_AT(e->line, "tls \"%.80s\": want STACK [VARIANT] (rotsim run --help lists "
				"the stacks)", e->val);
			goto out;
		}
		d->tls = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "protocol", NULL)) != NULL) {
		if (!in_list(protocols, e->val)) {
			ERR_AT(e->line, "protocol \"%.80s\": want rotsim, files or hawkbit", e->val);
			goto out;
		}
		d->protocol = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "image-path", NULL)) != NULL) {
		if (e->val[0] != '/' || strstr(e->val, "..") != NULL || strlen(e->val) > 200
			|| strpbrk(e->val, " \t?#%") != NULL) {
			ERR_AT(e->line, "image-path \"%.80s\": want an absolute URL path such as "
				"/firmware/update.swu (no \"..\", query or blanks)", e->val);
			goto out;
		}
		d->image_path = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "bundle", NULL)) != NULL) {
		if (strcmp(e->val, "swu") != 0) {
			ERR_AT(e->line, "bundle \"%.80s\": want swu (a signed SWUpdate bundle of "
				"the image)", e->val);
			goto out;
		}
		if (d->protocol == NULL || strcmp(d->protocol, "rotsim") == 0) {
			ERR_AT(e->line, "bundle: needs protocol = files or hawkbit (the rotsim "
				"protocol serves the image itself)");
			goto out;
		}
		d->bundle = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "clock", NULL)) != NULL) {
		if (!in_list(clocks, e->val)) {
			ERR_AT(e->line, "clock \"%.80s\": want rtc, sntp or none", e->val);
			goto out;
		}
		d->clock = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "sntp", NULL)) != NULL) {
		if (!valid_sntp(e->val)) {
			ERR_AT(e->line, "sntp \"%.80s\": want HOST[:PORT] (a name or an address, "
				"a port from 1 to 65535)", e->val);
			goto out;
		}
		if (d->clock == NULL || strcmp(d->clock, "sntp") != 0) {
			ERR_AT(e->line, "sntp: only for clock = sntp (the server the device asks "
				"for the time)");
			goto out;
		}
		d->sntp = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "build-date", NULL)) != NULL) {
		int64_t t;
		char msg[256];
		if (simtime_parse(e->val, &t, msg, sizeof msg) != 0) {
			ERR_AT(e->line, "build-date: %s", msg);
			goto out;
		}
		d->build_date = xstrdup(e->val);
	}
	if ((e = cfg_get(s, "description", NULL)) != NULL)
		d->description = xstrdup(e->val);
	ret = 0;
out:
	free(dir);
	cfg_free(&doc);
	if (ret != 0)
		desc_free(d);
	return ret;
}

/* see devices.h */
int
dev_desc_check_text(const char *path, const char *name, const char *text, size_t len,
	char *err, size_t errlen)
{
	dev_desc d;

	if (desc_parse(&d, path, name, text, len, err, errlen) != 0)
		return -1;
	desc_free(&d);
	return 0;
}

/* 1 if path ends in ".device". */
static int
is_device_file(const char *path)
{
	size_t n = strlen(path);

	return n > 7 && strcmp(path + n - 7, ".device") == 0;
}

/* Read the description at path (its name: the file's). */
static int
desc_load(dev_desc *d, const char *path, char *err, size_t errlen)
{
	unsigned char *text;
	size_t len;
	int r;

	memset(d, 0, sizeof *d);
	if (util_read_file(path, &text, &len, err, errlen) != 0)
		return -1;
	char *copy = xstrdup(path), *base = basename(copy);
	base[strlen(base) - 7] = 0;
	r = desc_parse(d, path, base, (const char *)text, len, err, errlen);
	free(copy);
	free(text);
	return r;
}

/* The description of a device, when it is one: 1 and d filled, 0 when the
 * device is a profile or unknown, -1 with err when it does not read. */
static int
desc_of(const char *device, dev_desc *d, char *err, size_t errlen)
{
	char *path = dev_profile_path(device);
	int r = 0;

	if (path != NULL && is_device_file(path))
		r = desc_load(d, path, err, errlen) == 0 ? 1 : -1;
	free(path);
	return r;
}

/* see devices.h */
int
dev_known_profiles(char ***names, size_t *n)
{
	char **a = NULL, **b = NULL;
	size_t na = paths_names(PATHS_DEVICES, ".profile", &a);
	size_t nb = paths_names(PATHS_DEVICES, ".device", &b), i, j, k = 0;

	*names = xcalloc(na + nb + 1, sizeof **names);
	/* Merge the two sorted lists; a name in both once (paths_shadowed_device
	 * refuses that). */
	for (i = j = 0; i < na || j < nb; ) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);
		if (c <= 0) {
			(*names)[k++] = xstrdup(a[i++]);
			j += c == 0;
		} else {
			(*names)[k++] = xstrdup(b[j++]);
		}
	}
	cfg_list_free(a, na);
	cfg_list_free(b, nb);
	*n = k;
	if (k == 0) {
		free(*names);
		*names = NULL;
		return -1;
	}
	return 0;
}

/* see devices.h */
char *
dev_profile_path(const char *device)
{
	/* A device on a TLS stack (DEVICE@STACK) is its device's file. */
	char *base = xstrndup(device, scn_device_base_len(device)), **dirs, *found = NULL;
	size_t n = paths_dirs(PATHS_DEVICES, &dirs), i;
	int k;

	for (i = 0; i < n && found == NULL && cfg_valid_id(base); i++)
		for (k = 0; k < 2 && found == NULL; k++) {
			char *p = xasprintf("%s/%s%s", dirs[i], base, k ? ".device" : ".profile");
			if (access(p, F_OK) == 0)
				found = p;
			else
				free(p);
		}
	cfg_list_free(dirs, n);
	free(base);
	return found;
}

/* see devices.h */
int
dev_is_description(const char *device)
{
	char *path = dev_profile_path(device);
	int r = path != NULL && is_device_file(path);

	free(path);
	return r;
}

/* see devices.h */
char *
dev_trust_set(const char *device)
{
	return xasprintf("%.*s.device", (int)scn_device_base_len(device), device);
}

/* A description's answer to dev_profile_value(). */
static char *
desc_value(const dev_desc *d, const char *key)
{
	static const struct { const char *key; size_t off; } plain[] = {
		{ "like", offsetof(dev_desc, like) },
		{ "target", offsetof(dev_desc, target) },
		{ "image", offsetof(dev_desc, image) },
		{ "trust", offsetof(dev_desc, trust_text) },
		{ "signing-key", offsetof(dev_desc, signing_key) },
		{ "version-signal", offsetof(dev_desc, version_signal) },
		{ "image-path", offsetof(dev_desc, image_path) },
		{ "bundle", offsetof(dev_desc, bundle) },
		{ "client", offsetof(dev_desc, client) },
		{ "tls", offsetof(dev_desc, tls) },
		{ "clock", offsetof(dev_desc, clock) },
		{ "sntp", offsetof(dev_desc, sntp) },
		{ "build-date", offsetof(dev_desc, build_date) },
		{ "description", offsetof(dev_desc, description) },
	};
	size_t i;

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++)
		if (strcmp(key, plain[i].key) == 0) {
			const char *v = *(char *const *)((const char *)d + plain[i].off);
			return v != NULL ? xstrdup(v) : NULL;
		}
	if (strcmp(key, "version") == 0)
		return xasprintf("%lu", d->version);
	if (strcmp(key, "protocol") == 0)
		return d->protocol != NULL ? xstrdup(d->protocol) : NULL;
	if (strcmp(key, "anchors") == 0 && d->trust == TRUST_FILES)
		return dev_trust_set(d->name);
	if (strcmp(key, "anchors") == 0 && d->trust == TRUST_SET)
		return xstrdup(d->trust_set);
	if (strcmp(key, "pins") == 0 && d->trust == TRUST_PINS)
		return dev_trust_set(d->name);
	if (strcmp(key, "pins") == 0 && d->trust == TRUST_PIN_SET)
		return xstrdup(d->trust_set);
	if (strcmp(key, "insecure") == 0 && d->trust == TRUST_NONE_)
		return xstrdup("yes");
	return NULL;
}

/* see devices.h */
char *
dev_profile_value(const char *device, const char *key)
{
	char *path = dev_profile_path(device), err[512], *v = NULL;
	cfg_doc doc;
	size_t i;

	if (path == NULL)
		return NULL;
	if (is_device_file(path)) {
		dev_desc d;
		if (desc_load(&d, path, err, sizeof err) == 0) {
			v = desc_value(&d, key);
			desc_free(&d);
		}
	} else if (cfg_parse_file(&doc, path, err, sizeof err) == 0) {
		for (i = 0; i < doc.n && v == NULL; i++) {
			if (strcmp(doc.secs[i].kind, "profile") != 0)
				continue;
			cfg_entry *e = cfg_get(&doc.secs[i], key, NULL);
			if (e != NULL)
				v = xstrdup(e->val);
		}
		cfg_free(&doc);
	}
	free(path);
	return v;
}

/* see devices.h */
char *
dev_like(const char *device)
{
	return dev_is_description(device) ? dev_profile_value(device, "like") : NULL;
}

/* A line "tls = ..." (leading blanks allowed)? */
static int
is_tls_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 3 || memcmp(line + i, "tls", 3) != 0)
		return 0;
	for (i += 3; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < len && line[i] == '=';
}

/*
 * The reference agent's profile of a description (targets/firmware/README.md,
 * "Trust profiles"), for the device on stack (NULL or SCN_STACK_DEFAULT: no
 * tls line but the description's own). The description's opening comments
 * come first, then [profile NAME] and its keys in a fixed order, so that a
 * stock device's profile is the same bytes from build to build.
 */
static void
desc_profile_text(const dev_desc *d, const char *stack, buf_t *b)
{
	char tls[128], *set = dev_trust_set(d->name);

	if (d->heading != NULL)
		buf_puts(b, d->heading);
	else
		buf_printf(b, "# The reference agent's profile of the device description "
			"%s.device.\n", d->name);
	buf_printf(b, "[profile %s]\n", d->name);
	if (d->trust == TRUST_FILES)
		buf_printf(b, "anchors    = %s\n", set);
	else if (d->trust == TRUST_SET)
		buf_printf(b, "anchors    = %s\n", d->trust_set);
	else if (d->trust == TRUST_PINS)
		buf_printf(b, "pins       = %s\n", set);
	else if (d->trust == TRUST_PIN_SET)
		buf_printf(b, "pins       = %s\n", d->trust_set);
	else
		buf_puts(b, "insecure   = yes\n");
	free(set);
	if (d->clock != NULL)
		buf_printf(b, "clock      = %s\n", d->clock);
	if (d->sntp != NULL)
		buf_printf(b, "sntp       = %s\n", d->sntp);
	if (d->build_date != NULL)
		buf_printf(b, "build-date = %s\n", d->build_date);
	buf_printf(b, "version    = %lu\n", d->version);
	/* The update protocol, for a client that speaks more than one (as a
	 * profile says it, targets/curl-client/README.md). */
	if (d->protocol != NULL && strcmp(d->protocol, "rotsim") != 0)
		buf_printf(b, "protocol   = %s\n", d->protocol);
	if (stack != NULL && strcmp(stack, SCN_STACK_DEFAULT) != 0) {
		scn_stack_tls(stack, tls, sizeof tls);
		buf_printf(b, "tls        = %s\n", tls);
	}
}

/* The reference agent's profile of a description, for a device on a stack. */
static int
desc_profile(const char *device, buf_t *b, char *err, size_t errlen)
{
	dev_desc d;

	if (desc_of(device, &d, err, errlen) != 1)
		return -1;
	desc_profile_text(&d, scn_device_stack(device), b);
	desc_free(&d);
	return 0;
}

/* see devices.h */
int
dev_write_profile(const char *device, const char *out, char *err, size_t errlen)
{
	char *path = dev_profile_path(device), tls[128];
	unsigned char *text = NULL;
	size_t len, off = 0;
	buf_t b = {0};
	int ret = -1, done = 0, skipping = 0;

	if (path == NULL)
		return util_err(err, errlen, "no profile of device \"%s\" in the devices "
			"directories", device);
	if (is_device_file(path)) {
		if (desc_profile(device, &b, err, errlen) == 0)
			ret = util_write_atomic(out, b.data, b.len, 0644, err, errlen);
		goto out;
	}
	if (util_read_file(path, &text, &len, err, errlen) != 0)
		goto out;
	/* On bearssl, the default, the profile says no stack: it stays as it
	 * is (a firmware of a team's own may not know the key). */
	done = strcmp(scn_device_stack(device), SCN_STACK_DEFAULT) == 0;
	scn_stack_tls(scn_device_stack(device), tls, sizeof tls);
	while (off < len) {
		const char *line = (const char *)text + off;
		size_t n = 0;
		while (off + n < len && line[n] != '\n')
			n++;
		size_t next = off + n + (off + n < len);
		/* The profile's own stack gives way to the case's, with the
		 * continuation lines of its value. */
		if (skipping && n > 0 && (line[0] == ' ' || line[0] == '\t')) {
			off = next;
			continue;
		}
		skipping = 0;
		if (is_tls_line(line, n)) {
			skipping = 1;
			off = next;
			continue;
		}
		buf_append(&b, line, next - off);
		if (next - off == n)
			buf_putc(&b, '\n');
		if (!done && n > 8 && memcmp(line, "[profile", 8) == 0) {
			buf_printf(&b, "tls = %s\n", tls);
			done = 1;
		}
		off = next;
	}
	if (!done) {
		util_err(err, errlen, "%s: no [profile NAME] section", path);
		goto out;
	}
	ret = util_write_atomic(out, b.data, b.len, 0644, err, errlen);
out:
	buf_free(&b);
	free(text);
	free(path);
	return ret;
}

/* see devices.h */
int
dev_agent_profile_text(const char *path, const char *name, const char *text, size_t len,
	char **out, size_t *outlen, char *err, size_t errlen)
{
	/* What an image of the reference agent cannot honour: it boots the
	 * agent, carries the anchor sets and pin lists of the stock PKIs and
	 * the key of the build's signing seed, and speaks rotsim's protocol. */
	static const char *const not_here[] = { "image", "signing-key", "version-signal",
		"image-path", "bundle", NULL };
	dev_desc d;
	cfg_doc doc;
	cfg_entry *e;
	buf_t b = {0};
	size_t i;
	int ret = -1;

	*out = NULL;
	*outlen = 0;
	if (desc_parse(&d, path, name, text, len, err, errlen) != 0)
		return -1;
	/* It read as a description: the same text reads as sections again. */
	if (cfg_parse(&doc, path, text, len, err, errlen) != 0) {
		desc_free(&d);
		return -1;
	}
	for (i = 0; not_here[i] != NULL; i++)
		if ((e = cfg_get(&doc.secs[0], not_here[i], NULL)) != NULL) {
			ERR_AT(e->line, "%s: a device of the reference agent's images cannot say "
				"it (they boot the agent, signed with the build's key, over rotsim's "
				"protocol)", e->key);
			goto out;
		}
	if (d.protocol != NULL && strcmp(d.protocol, "rotsim") != 0) {
		e = cfg_get(&doc.secs[0], "protocol", NULL);
		ERR_AT(e != NULL ? e->line : d.line, "protocol: the reference agent speaks rotsim's "
			"protocol only");
		goto out;
	}
	if (d.trust == TRUST_FILES || d.trust == TRUST_PINS) {
		ERR_AT(d.trust_line, "trust: an image of the reference agent carries the anchor "
			"sets and pin lists of the stock PKIs: want set:NAME, pin-set:NAME or none");
		goto out;
	}
	desc_profile_text(&d, NULL, &b);
	*outlen = b.len;
	*out = xstrndup(b.data != NULL ? (const char *)b.data : "", b.len);
	ret = 0;
out:
	buf_free(&b);
	cfg_free(&doc);
	desc_free(&d);
	return ret;
}

/* see devices.h */
int
dev_write_agent_profile(const char *path, const char *out, char *err, size_t errlen)
{
	unsigned char *text = NULL;
	char *copy, *base, *profile = NULL;
	size_t len, plen;
	int ret = -1;

	if (!is_device_file(path))
		return util_err(err, errlen, "%s:1: not a device description (NAME.device)", path);
	if (util_read_file(path, &text, &len, err, errlen) != 0)
		return -1;
	copy = xstrdup(path);
	base = basename(copy);
	base[strlen(base) - 7] = 0;
	if (dev_agent_profile_text(path, base, (const char *)text, len, &profile, &plen, err,
		errlen) == 0)
		ret = util_write_atomic(out, profile, plen, 0644, err, errlen);
	free(profile);
	free(copy);
	free(text);
	return ret;
}

/* see devices.h */
int
dev_write_trust(const char *device, const char *dir, int *wrote, char *err, size_t errlen)
{
	dev_desc d;
	buf_t b = {0};
	char *set = NULL, *out = NULL;
	size_t i;
	int r = desc_of(device, &d, err, errlen), ret = -1;

	*wrote = 0;
	if (r <= 0)
		return r;
	if (d.trust == TRUST_NONE_ || d.trust == TRUST_SET
		|| d.trust == TRUST_PIN_SET) {
		ret = 0;
		goto done;
	}
	set = dev_trust_set(device);
	for (i = 0; i < d.nfiles; i++) {
		unsigned char *pem;
		size_t len;
		if (util_read_file(d.files[i], &pem, &len, err, errlen) != 0)
			goto done;
		buf_append(&b, pem, len);
		if (len > 0 && pem[len - 1] != '\n')
			buf_putc(&b, '\n');
		free(pem);
	}
	for (i = 0; i < d.npins; i++)
		buf_printf(&b, "%s\n", d.pins[i]);
	out = xasprintf("%s/%s.%s", dir, set, d.trust == TRUST_FILES ? "pem" : "pins");
	if (util_mkdirs(dir, 0755, err, errlen) != 0
		|| util_write_atomic(out, b.data, b.len, 0644, err, errlen) != 0)
		goto done;
	*wrote = 1;
	ret = 0;
done:
	buf_free(&b);
	free(set);
	free(out);
	desc_free(&d);
	return ret;
}

/* The files a description names, checked. */
static int
desc_check_files(const dev_desc *d, char *err, size_t errlen)
{
	const char *path = d->path;
	struct stat st;
	size_t i;

	if (d->image != NULL && stat(d->image, &st) != 0)
		return ERR_AT(d->image_line, "image: %s: %s", d->image, strerror(errno));
	if (d->image != NULL && !S_ISREG(st.st_mode))
		return ERR_AT(d->image_line, "image: %s: not a file", d->image);
	for (i = 0; i < d->nfiles; i++) {
		unsigned char *pem;
		size_t len;
		char msg[512];
		trust_store ts;
		long n;
		if (util_read_file(d->files[i], &pem, &len, msg, sizeof msg) != 0)
			return ERR_AT(d->trust_line, "trust: %s", msg);
		memset(&ts, 0, sizeof ts);
		n = trust_add_pem(&ts, pem, len, msg, sizeof msg);
		trust_free(&ts);
		free(pem);
		if (n < 0)
			return ERR_AT(d->trust_line, "trust: %s: not PEM certificates (%s)",
				d->files[i], msg);
		if (n == 0)
			return ERR_AT(d->trust_line, "trust: %s: no certificate in it (want PEM "
				"\"BEGIN CERTIFICATE\" blocks)", d->files[i]);
	}
	if (d->signing_key != NULL) {
		fw_key k;
		char msg[512];
		if (stat(d->signing_key, &st) != 0)
			return ERR_AT(d->key_line, "signing-key: %s: %s", d->signing_key,
				strerror(errno));
		if (!S_ISREG(st.st_mode))
			return ERR_AT(d->key_line, "signing-key: %s: not a file", d->signing_key);
		if ((st.st_mode & 077) != 0)
			return ERR_AT(d->key_line, "signing-key: %s can be read by others than its "
				"owner (chmod 600 it)", d->signing_key);
		if (fw_key_load(&k, d->signing_key, msg, sizeof msg) != 0)
			return ERR_AT(d->key_line, "signing-key: %s", msg);
		fw_key_wipe(&k);
	}
	return 0;
}

/* The like of a description: a known device, and no loop. */
static int
desc_check_like(const dev_desc *d, const char *const *known, size_t nknown, char *err,
	size_t errlen)
{
	const char *path = d->path;
	char *cur;
	int depth;
	size_t i;

	if (d->like == NULL)
		return 0;
	for (i = 0; i < nknown && strcmp(known[i], d->like) != 0; i++)
		;
	if (i == nknown) {
		const char *near = plan_closest(d->like, known, nknown);
		return ERR_AT(d->like_line, "like: no device \"%s\"%s%s%s", d->like,
			near ? " (did you mean \"" : " in the devices directories", near ? near : "",
			near ? "\"?)" : "");
	}
	cur = xstrdup(d->like);
	for (depth = 0; cur != NULL && depth < LIKE_DEPTH; depth++) {
		char *next = strcmp(cur, d->name) == 0 ? NULL : dev_like(cur);
		if (strcmp(cur, d->name) == 0) {
			free(cur);
			return ERR_AT(d->like_line, "like: %s leads back to %s (a loop)", d->like,
				d->name);
		}
		free(cur);
		cur = next;
	}
	if (cur != NULL) {
		free(cur);
		return ERR_AT(d->like_line, "like: more than %d devices in a row are like "
			"another", LIKE_DEPTH);
	}
	return 0;
}

/* see devices.h */
int
dev_check_all(char *err, size_t errlen)
{
	char **known = NULL;
	size_t nknown = 0, i;
	int ret = 0;

	if (dev_known_profiles(&known, &nknown) != 0)
		return 0;
	for (i = 0; i < nknown && ret == 0; i++) {
		char *path = dev_profile_path(known[i]);
		dev_desc d;
		if (path != NULL && is_device_file(path)) {
			if (desc_load(&d, path, err, errlen) != 0) {
				ret = -1;
			} else {
				const char *p = d.path;
				char *t = d.target != NULL
					? paths_find(PATHS_TARGETS, d.target, "/target.conf") : NULL;
				if (desc_check_like(&d, (const char *const *)known, nknown, err,
					errlen) != 0 || desc_check_files(&d, err, errlen) != 0)
					ret = -1;
				else if (d.target != NULL && t == NULL)
					ret = desc_err(err, errlen, p, d.target_line, "target: no "
						"target \"%s\" in the targets directories", d.target);
				free(t);
				desc_free(&d);
			}
		}
		free(path);
	}
	cfg_list_free(known, nknown);
	return ret;
}
