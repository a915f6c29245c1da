/*
 * Reading scenario files. See scenario.h and scenarios/FORMAT.md.
 */
#include "scenario/scenario.h"
#include "scenario/stack.h"
#include "scenario/devices.h"
#include "paths.h"
#include "net/labnet.h"
#include "common/cfg.h"
#include "common/fault.h"
#include "time/simtime.h"

#include <ctype.h>
#include <dirent.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const outcome_names[OUT_COUNT] = {
	"updated", "current", "rejected", "unreachable", "insecure",
	"off", "error", "interrupted"
};

/* see scenario.h */
const char *
scn_outcome_name(scn_outcome o)
{
	return (unsigned)o < OUT_COUNT ? outcome_names[o] : "?";
}

/* see scenario.h */
int
scn_outcome_from_name(const char *name)
{
	int i;

	for (i = 0; i < OUT_COUNT; i++)
		if (strcmp(name, outcome_names[i]) == 0)
			return i;
	return -1;
}

/* Dates a scenario may name: years 0000 to 9999, what every date written in
 * a scenario, a certificate or a device's RTC can be formatted as. */
#define DATE_MIN (-62167219200LL)	/* 0000-01-01T00:00:00Z */
#define DATE_MAX 253402300799LL		/* 9999-12-31T23:59:59Z */

static void
phase_free(scn_phase *ph)
{
	size_t i;

	free(ph->name);
	free(ph->leaf);
	free(ph->variant);
	cfg_list_free(ph->faults, ph->nfaults);
	cfg_list_free(ph->lab, ph->nlab);
	free(ph->firmware_trust);
	for (i = 0; i < ph->nexpects; i++) {
		free(ph->expects[i].device);
		free(ph->expects[i].why);
	}
	free(ph->expects);
	free(ph->note);
}

/* see scenario.h */
void
scn_free(scenario *s)
{
	size_t i;

	if (s == NULL)
		return;
	free(s->name);
	free(s->path);
	free(s->summary);
	free(s->event);
	free(s->source);
	free(s->pki_path);
	pki_free(&s->pki);
	cfg_list_free(s->devices, s->ndevices);
	for (i = 0; i < s->nphases; i++)
		phase_free(&s->phases[i]);
	free(s->phases);
	cfg_list_free(s->tags, s->ntags);
	free(s->host);
	memset(s, 0, sizeof *s);
}

#define ERR_AT(line, ...) \
	(snprintf(msg, sizeof msg, __VA_ARGS__), \
	util_err(err, errlen, "%s:%d: %s", path, (line), msg))

static int
known(const char *const *list, const char *name)
{
	if (list == NULL)
		return 1;
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* A DNS host name: dot-separated labels of letters, digits and '-', none
 * empty or longer than 63, not starting or ending with '-'. */
static int
host_name_ok(const char *h)
{
	size_t n = strlen(h), label = 0, i;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = h[i];
		if (c == '.' || c == 0) {
			if (label == 0 || label > 63 || h[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
			|| (c == '-' && label > 0)) {
			label++;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
parse_header(scenario *s, const char *path, cfg_section *sec, const char *const *known_devices,
	char *err, size_t errlen)
{
	char msg[512];
	size_t i, j;
	static const char *const keys[] = { "summary", "event", "source", "pki", "devices",
		"tags", "host", NULL };

	for (i = 0; i < sec->n; i++) {
		for (j = 0; keys[j] != NULL; j++)
			if (strcmp(sec->ents[i].key, keys[j]) == 0)
				break;
		if (keys[j] == NULL)
			return ERR_AT(sec->ents[i].line, "unknown key \"%s\" in [scenario] (want "
				"summary, event, source, pki, devices, tags, host)", sec->ents[i].key);
		for (j = 0; j < i; j++)
			if (strcmp(sec->ents[j].key, sec->ents[i].key) == 0)
				return ERR_AT(sec->ents[i].line, "\"%s\" given twice (first on line %d)",
					sec->ents[i].key, sec->ents[j].line);
	}
	cfg_entry *e;
	static const char *const required[] = { "summary", "event", "source", "devices", NULL };
	for (j = 0; required[j] != NULL; j++) {
		e = cfg_get(sec, required[j], NULL);
		if (e == NULL || e->val[0] == 0)
			return ERR_AT(e ? e->line : sec->line, "[scenario %s] needs \"%s\"",
				s->name, required[j]);
	}
	s->summary = xstrdup(cfg_get(sec, "summary", NULL)->val);
	s->event = xstrdup(cfg_get(sec, "event", NULL)->val);
	s->source = xstrdup(cfg_get(sec, "source", NULL)->val);
	e = cfg_get(sec, "devices", NULL);
	s->ndevices = cfg_split(e->val, ',', &s->devices);
	if (s->ndevices > SCN_MAX_DEVICES)
		return ERR_AT(e->line, "devices: %zu devices, at most %d in one scenario",
			s->ndevices, SCN_MAX_DEVICES);
	for (i = 0; i < s->ndevices; i++) {
		if (!cfg_valid_id(s->devices[i]))
			return ERR_AT(e->line, "devices: \"%s\" is not a valid name", s->devices[i]);
		if (!known(known_devices, s->devices[i]))
			return ERR_AT(e->line, "devices: no device \"%s\"", s->devices[i]);
		for (j = 0; j < i; j++)
			if (strcmp(s->devices[i], s->devices[j]) == 0)
				return ERR_AT(e->line, "devices: \"%s\" listed twice", s->devices[i]);
	}
	if ((e = cfg_get(sec, "tags", NULL)) != NULL)
		s->ntags = cfg_split(e->val, ',', &s->tags);
	/* The update host: a DNS name the device resolves, asks for (SNI) and
	 * checks the leaf against. */
	e = cfg_get(sec, "host", NULL);
	if (e != NULL && !host_name_ok(e->val))
		return ERR_AT(e->line, "host: \"%s\" is not a host name (letters, digits, '-' "
			"and '.', labels of 1 to 63, at most 253 characters)", e->val);
	s->host = xstrdup(e != NULL ? e->val : SCN_DEFAULT_HOST);
	if ((e = cfg_get(sec, "pki", NULL)) != NULL) {
		char *copy = xstrdup(path), *dir = dirname(copy);
		s->pki_path = e->val[0] == '/' ? xstrdup(e->val) : xasprintf("%s/%s", dir, e->val);
		free(copy);
		cfg_doc doc;
		if (cfg_parse_file(&doc, s->pki_path, msg, sizeof msg) != 0) {
			/* A missing file is the scenario's error; a bad one, the file's. */
			if (access(s->pki_path, R_OK) != 0)
				return ERR_AT(e->line, "pki: cannot read \"%s\"", s->pki_path);
			return util_err(err, errlen, "%s", msg);
		}
		int r = pki_add_doc(&s->pki, &doc, 1, err, errlen);
		cfg_free(&doc);
		if (r != 0)
			return -1;
	}
	return 0;
}

static int
parse_rtc(const char *path, cfg_entry *e, scn_phase *ph, char *err, size_t errlen)
{
	char msg[512], m2[256];
	const char *v = e->val;

	if (strcmp(v, "phase") == 0) {
		ph->rtc = RTC_PHASE;
	} else if (strcmp(v, "none") == 0) {
		ph->rtc = RTC_NONE;
	} else if (strncmp(v, "phase", 5) == 0 && (v[5] == '+' || v[5] == '-')) {
		if (simtime_parse_duration(v + 6, &ph->rtc_value, m2, sizeof m2) != 0)
			return ERR_AT(e->line, "rtc: %s", m2);
		if (v[5] == '-')
			ph->rtc_value = -ph->rtc_value;
		ph->rtc = RTC_OFFSET;
	} else if (simtime_parse(v, &ph->rtc_value, m2, sizeof m2) == 0) {
		ph->rtc = RTC_ABSOLUTE;
	} else {
		return ERR_AT(e->line, "rtc: want phase, none, phase+DURATION, phase-DURATION "
			"or a date, not \"%s\"", v);
	}
	return 0;
}

static int
on_off(const char *path, cfg_entry *e, int *out, char *err, size_t errlen)
{
	char msg[512];

	if (strcmp(e->val, "on") == 0)
		*out = 1;
	else if (strcmp(e->val, "off") == 0)
		*out = 0;
	else
		return ERR_AT(e->line, "%s: want on or off, not \"%s\"", e->key, e->val);
	return 0;
}

/* The expectation a phase gives a device by its own name: DEVICE@STACK-VARIANT,
 * then DEVICE@STACK, then DEVICE (the phase's "expect" was made one for each
 * device of the scenario when it was read). */
static const scn_expect *
expect_own(const scn_phase *ph, const char *device)
{
	size_t i;

	const char *at = strchr(device, '@'), *dash;
	size_t n[3], k;

	n[0] = strlen(device);
	dash = at != NULL ? strchr(at, '-') : NULL;
	n[1] = dash != NULL ? (size_t)(dash - device) : n[0];
	n[2] = at != NULL ? (size_t)(at - device) : n[0];
	for (k = 0; k < 3; k++)
		for (i = 0; i < ph->nexpects; i++)
			if (strlen(ph->expects[i].device) == n[k]
				&& strncmp(ph->expects[i].device, device, n[k]) == 0)
				return &ph->expects[i];
	return NULL;
}

/* Whether the device named by the first len bytes of name is a description
 * like one of the scenario's devices (directly or along a chain of like):
 * the scenario may then give it expect.NAME lines of its own, which win over
 * those of the device it is like (scn_expect_for), without making it one of
 * its devices. */
static int
like_of_scenario(const scenario *s, const char *name, size_t len)
{
	char *cur = xstrndup(name, len), *next;
	int depth, found = 0;
	size_t j;

	/* Only a name that can be a device's is looked up. */
	if (!cfg_valid_id(cur)) {
		free(cur);
		return 0;
	}
	for (depth = 0; cur != NULL && !found && depth <= SCN_LIKE_DEPTH; depth++) {
		next = dev_like(cur);
		free(cur);
		cur = next;
		for (j = 0; cur != NULL && j < s->ndevices && !found; j++)
			found = strcmp(s->devices[j], cur) == 0;
	}
	free(cur);
	return found;
}

static int
parse_expect(const char *path, cfg_entry *e, const char *device, scn_phase *ph,
	char *err, size_t errlen)
{
	char msg[512];
	char **w;
	size_t n, i;
	scn_expect x;
	char *why = NULL, *val = xstrdup(e->val), *hash;

	memset(&x, 0, sizeof x);
	/* "OUTCOME [required|recommended] [# why]" */
	if ((hash = strstr(val, " # ")) != NULL) {
		*hash = 0;
		why = xstrdup(hash + 3);
	}
	n = cfg_split(val, ' ', &w);
	free(val);
	size_t words = 0;
	for (i = 0; i < n; i++)
		if (w[i][0] != 0)
			w[words++] = w[i];
		else
			free(w[i]);
	int o = words > 0 ? scn_outcome_from_name(w[0]) : -1;
	if (o < 0 || o > OUT_INSECURE) {
		ERR_AT(e->line, "%s: want updated, current, rejected, unreachable or insecure, "
			"not \"%s\"", e->key, words > 0 ? w[0] : "");
		goto bad;
	}
	x.required = 1;
	if (words >= 2) {
		if (strcmp(w[1], "recommended") == 0)
			x.required = 0;
		else if (strcmp(w[1], "required") != 0) {
			ERR_AT(e->line, "%s: after the outcome, want required or recommended, not "
				"\"%s\"", e->key, w[1]);
			goto bad;
		}
	}
	if (words > 2) {
		ERR_AT(e->line, "%s: unexpected \"%s\" (an explanation goes after \" # \")",
			e->key, w[2]);
		goto bad;
	}
	x.outcome = (scn_outcome)o;
	x.device = xstrdup(device);
	x.why = why;
	x.loc.line = e->line;
	ph->expects = xrealloc(ph->expects, (ph->nexpects + 1) * sizeof *ph->expects);
	ph->expects[ph->nexpects++] = x;
	cfg_list_free(w, words);
	return 0;
bad:
	cfg_list_free(w, words);
	free(why);
	return -1;
}

/* One fault of a phase: the shared grammar (common/fault.h, in the form that
 * names PKI ids), then the ids against the scenario's PKI. */
static int
parse_fault(const char *path, int line, const scenario *s, const char *spec,
	char *err, size_t errlen)
{
	char msg[512], m2[256];
	const pki_cert *c;
	fault f;
	int ret = -1;

	if (fault_parse(&f, spec, FAULT_FORM_IDS, m2, sizeof m2) != 0)
		return ERR_AT(line, "faults: %s", m2);
	if (f.kind == FAULT_APPEND || f.kind == FAULT_CHAIN) {
		c = pki_find(&s->pki, f.path);
		if (c == NULL) {
			ERR_AT(line, "faults: %s: \"%s\" is not a certificate of the scenario's PKI",
				fault_name(f.kind), f.path);
			goto out;
		}
		if (f.kind == FAULT_CHAIN && (c->kind != PKI_LEAF
			|| pki_leaf_chain(c, f.variant) == NULL)) {
			ERR_AT(line, "faults: chain: \"%s%s%s\" is not a leaf chain", f.path,
				f.variant ? "." : "", f.variant ? f.variant : "");
			goto out;
		}
	}
	ret = 0;
out:
	fault_clear(&f);
	return ret;
}

static int
parse_phase(scenario *s, const char *path, cfg_section *sec, char *err, size_t errlen)
{
	char msg[512], m2[256];
	scn_phase *ph, *prev = s->nphases > 0 ? &s->phases[s->nphases - 1] : NULL;
	cfg_entry *e, *date = NULL, *after = NULL;
	size_t i, j;
	static const char *const keys[] = { "date", "after", "power", "chain", "faults",
		"firmware", "firmware.trust", "rtc", "sntp", "lab", "expect", "note", NULL };

	if (sec->name == NULL || !cfg_valid_id(sec->name))
		return ERR_AT(sec->line, "a phase needs a name: [phase NAME]");
	if (s->nphases == SCN_MAX_PHASES)
		return ERR_AT(sec->line, "too many phases: at most %d in one scenario",
			SCN_MAX_PHASES);
	for (i = 0; i < s->nphases; i++)
		if (strcmp(s->phases[i].name, sec->name) == 0)
			return ERR_AT(sec->line, "phase \"%s\" defined twice", sec->name);
	s->phases = xrealloc(s->phases, (s->nphases + 1) * sizeof *s->phases);
	prev = s->nphases > 0 ? &s->phases[s->nphases - 1] : NULL;
	ph = &s->phases[s->nphases++];
	memset(ph, 0, sizeof *ph);
	ph->name = xstrdup(sec->name);
	ph->loc.line = sec->line;
	ph->power = 1;
	ph->sntp = 1;
	ph->rtc = RTC_PHASE;

	for (i = 0; i < sec->n; i++) {
		e = &sec->ents[i];
		if (strncmp(e->key, "expect.", 7) != 0) {
			for (j = 0; keys[j] != NULL; j++)
				if (strcmp(e->key, keys[j]) == 0)
					break;
			if (keys[j] == NULL)
				return ERR_AT(e->line, "unknown key \"%s\" in [phase %s]", e->key,
					sec->name);
		}
		for (j = 0; j < i; j++)
			if (strcmp(sec->ents[j].key, e->key) == 0)
				return ERR_AT(e->line, "\"%s\" given twice (first on line %d)", e->key,
					sec->ents[j].line);
	}
	date = cfg_get(sec, "date", NULL);
	after = cfg_get(sec, "after", NULL);
	if (date != NULL && after != NULL)
		return ERR_AT(after->line, "give \"date\" or \"after\", not both");
	if (date != NULL) {
		if (simtime_parse(date->val, &ph->date, m2, sizeof m2) != 0)
			return ERR_AT(date->line, "date: %s", m2);
	} else if (after != NULL) {
		int64_t d;
		if (prev == NULL)
			return ERR_AT(after->line, "after: the first phase needs a date");
		if (simtime_parse_duration(after->val, &d, m2, sizeof m2) != 0)
			return ERR_AT(after->line, "after: %s", m2);
		if (d > DATE_MAX - prev->date)
			return ERR_AT(after->line, "after: %s after phase \"%s\" is past the year "
				"9999", after->val, prev->name);
		ph->date = prev->date + d;
	} else {
		return ERR_AT(sec->line, "[phase %s] needs \"date\" (or \"after\")", sec->name);
	}
	if (prev != NULL && ph->date < prev->date)
		return ERR_AT(date ? date->line : sec->line, "phase \"%s\" is dated before phase "
			"\"%s\"", ph->name, prev->name);
	if ((e = cfg_get(sec, "power", NULL)) != NULL && on_off(path, e, &ph->power, err, errlen))
		return -1;
	if ((e = cfg_get(sec, "sntp", NULL)) != NULL && on_off(path, e, &ph->sntp, err, errlen))
		return -1;
	if ((e = cfg_get(sec, "rtc", NULL)) != NULL && parse_rtc(path, e, ph, err, errlen))
		return -1;
	if (e != NULL && ph->rtc == RTC_OFFSET && (ph->date + ph->rtc_value > DATE_MAX
		|| ph->date + ph->rtc_value < DATE_MIN))
		return ERR_AT(e->line, "rtc: %s is outside the years 0000 to 9999", e->val);

	/* What the server presents and offers carries over from the previous
	 * phase unless the phase says otherwise; faults do not. */
	if ((e = cfg_get(sec, "chain", NULL)) != NULL) {
		char *dot = strchr(e->val, '.');
		ph->leaf = dot ? xstrndup(e->val, (size_t)(dot - e->val)) : xstrdup(e->val);
		ph->variant = dot ? xstrdup(dot + 1) : NULL;
		const pki_cert *c = pki_find(&s->pki, ph->leaf);
		if (c == NULL || c->kind != PKI_LEAF)
			return ERR_AT(e->line, "chain: \"%s\" is not a leaf of the scenario's PKI",
				ph->leaf);
		if (pki_leaf_chain(c, ph->variant) == NULL)
			return ERR_AT(e->line, "chain: leaf \"%s\" has no chain variant \"%s\"",
				ph->leaf, ph->variant);
	} else if (prev != NULL) {
		ph->leaf = xstrdup(prev->leaf);
		ph->variant = xstrdup(prev->variant);
	} else {
		return ERR_AT(sec->line, "[phase %s] needs \"chain\" (the first phase says what "
			"the server presents)", sec->name);
	}
	if ((e = cfg_get(sec, "firmware", NULL)) != NULL) {
		char *end;
		unsigned long v = strtoul(e->val, &end, 10);
		if (!isdigit((unsigned char)e->val[0]) || *end != 0 || v == 0 || v > 1000000)
			return ERR_AT(e->line, "firmware: want a version number 1..1000000, not \"%s\"",
				e->val);
		ph->firmware = (unsigned)v;
	} else if (prev != NULL) {
		ph->firmware = prev->firmware;
	} else {
		return ERR_AT(sec->line, "[phase %s] needs \"firmware\" (the version the server "
			"offers)", sec->name);
	}
	if ((e = cfg_get(sec, "firmware.trust", NULL)) != NULL) {
		if (pki_find_anchors(&s->pki, e->val) == NULL)
			return ERR_AT(e->line, "firmware.trust: no anchor set \"%s\" in the scenario's "
				"PKI", e->val);
		ph->firmware_trust = xstrdup(e->val);
	} else if (prev != NULL && prev->firmware == ph->firmware) {
		ph->firmware_trust = xstrdup(prev->firmware_trust);
	}
	if ((e = cfg_get(sec, "faults", NULL)) != NULL) {
		ph->nfaults = cfg_split(e->val, ';', &ph->faults);
		for (i = 0; i < ph->nfaults; i++)
			if (parse_fault(path, e->line, s, ph->faults[i], err, errlen) != 0)
				return -1;
	}
	/* Lab-network options: their table is the lab network's own. */
	if ((e = cfg_get(sec, "lab", NULL)) != NULL) {
		labnet_phase scratch;
		memset(&scratch, 0, sizeof scratch);
		ph->nlab = cfg_split(e->val, ';', &ph->lab);
		for (i = 0; i < ph->nlab; i++)
			if (labnet_option(&scratch, ph->lab[i], m2, sizeof m2) != 0)
				return ERR_AT(e->line, "lab: %s", m2);
	}
	if ((e = cfg_get(sec, "note", NULL)) != NULL)
		ph->note = xstrdup(e->val);

	/* Expectations: "expect = OUTCOME" for every device, "expect.DEVICE = ..."
	 * for one; each device of the scenario needs one in a powered phase. */
	cfg_entry *all = cfg_get(sec, "expect", NULL);
	for (i = 0; i < sec->n; i++) {
		e = &sec->ents[i];
		if (strncmp(e->key, "expect.", 7) != 0)
			continue;
		/* expect.DEVICE@STACK: the device on one TLS stack (stack.h). */
		const char *dev = e->key + 7, *at = strchr(dev, '@');
		size_t dlen = at != NULL ? (size_t)(at - dev) : strlen(dev);
		for (j = 0; j < s->ndevices; j++)
			if (strlen(s->devices[j]) == dlen && strncmp(s->devices[j], dev, dlen) == 0)
				break;
		if (j == s->ndevices && !like_of_scenario(s, dev, dlen))
			return ERR_AT(e->line, "%s: \"%.*s\" is not a device of this scenario "
				"(devices = ...)", e->key, (int)dlen, dev);
		if (at != NULL && (scn_stack_find(at + 1) == NULL
			|| strcmp(at + 1, SCN_STACK_DEFAULT) == 0)) {
			buf_t ids = {0};
			for (size_t k = 1; scn_stack_ids[k] != NULL; k++)
				buf_printf(&ids, "%s%s", k > 1 ? ", " : "", scn_stack_ids[k]);
			ERR_AT(e->line, "%s: \"%s\" is not a TLS stack besides bearssl (want %s)",
				e->key, at + 1, buf_cstr(&ids));
			buf_free(&ids);
			return -1;
		}
		if (!ph->power)
			return ERR_AT(e->line, "%s: the device is powered off in this phase",
				e->key);
		if (parse_expect(path, e, e->key + 7, ph, err, errlen) != 0)
			return -1;
	}
	if (all != NULL) {
		if (!ph->power)
			return ERR_AT(all->line, "expect: the device is powered off in this phase");
		for (j = 0; j < s->ndevices; j++)
			if (expect_own(ph, s->devices[j]) == NULL
				&& parse_expect(path, all, s->devices[j], ph, err, errlen) != 0)
				return -1;
	}
	if (ph->power)
		for (j = 0; j < s->ndevices; j++)
			if (scn_expect_for(ph, s->devices[j]) == NULL)
				return ERR_AT(sec->line, "[phase %s] has no expected outcome for device "
					"\"%s\" (expect.%s = ...)", ph->name, s->devices[j],
					s->devices[j]);
	return 0;
}

/* see scenario.h */
int
scn_has_tag(const scenario *s, const char *tag)
{
	size_t i;

	for (i = 0; i < s->ntags; i++)
		if (strcmp(s->tags[i], tag) == 0)
			return 1;
	return 0;
}

/* see scenario.h */
const scn_expect *
scn_expect_for(const scn_phase *ph, const char *device)
{
	const scn_expect *x = expect_own(ph, device);
	const char *at = strchr(device, '@');
	char *cur, *name;
	int depth;

	/* A device like another meets that device's expectations, on the same
	 * TLS stack (DEVICE@STACK: LIKE@STACK, then LIKE). */
	if (x != NULL)
		return x;
	cur = dev_like(device);
	for (depth = 0; cur != NULL && x == NULL && depth < SCN_LIKE_DEPTH; depth++) {
		name = xasprintf("%s%s", cur, at != NULL ? at : "");
		x = expect_own(ph, name);
		free(name);
		name = x == NULL ? dev_like(cur) : NULL;
		free(cur);
		cur = name;
	}
	free(cur);
	return x;
}

/* see scenario.h */
int
scn_join_like(scenario *s, const char *device)
{
	char *cur;
	size_t i;
	int depth, found = 0;

	for (i = 0; i < s->ndevices; i++)
		if (strcmp(s->devices[i], device) == 0)
			return 0;
	if (s->ndevices >= SCN_MAX_DEVICES)
		return 0;
	cur = dev_like(device);
	for (depth = 0; cur != NULL && !found && depth < SCN_LIKE_DEPTH; depth++) {
		for (i = 0; i < s->ndevices && !found; i++)
			found = strcmp(s->devices[i], cur) == 0;
		char *next = found ? NULL : dev_like(cur);
		free(cur);
		cur = next;
	}
	free(cur);
	if (!found)
		return 0;
	s->devices = xrealloc(s->devices, (s->ndevices + 2) * sizeof *s->devices);
	s->devices[s->ndevices++] = xstrdup(device);
	s->devices[s->ndevices] = NULL;
	return 1;
}

/* see scenario.h */
size_t
scn_join_added_devices(scenario *s, const char *const *known)
{
	size_t n = 0;

	for (; known != NULL && *known != NULL; known++) {
		char *path = dev_profile_path(*known);
		if (path != NULL && dev_is_description(*known)
			&& !paths_is_stock(PATHS_DEVICES, path))
			n += (size_t)scn_join_like(s, *known);
		free(path);
	}
	return n;
}

/* see scenario.h */
int
scn_rtc_time(const scn_phase *ph, int64_t *t)
{
	switch (ph->rtc) {
	case RTC_PHASE: *t = ph->date; return 1;
	case RTC_ABSOLUTE: *t = ph->rtc_value; return 1;
	case RTC_OFFSET: *t = ph->date + ph->rtc_value; return 1;
	default: return 0;
	}
}

/* see scenario.h */
int
scn_load(scenario *s, const char *path, const char *const *known_devices,
	char *err, size_t errlen)
{
	char msg[512];
	cfg_doc doc;
	size_t i;
	int ret = -1;
	cfg_section *head = NULL;

	memset(s, 0, sizeof *s);
	pki_init(&s->pki);
	if (cfg_parse_file(&doc, path, err, errlen) != 0)
		return -1;
	s->path = xstrdup(path);
	/* The [scenario] section first, wherever it is: it names the .pki file
	 * that the phases refer to. */
	for (i = 0; i < doc.n; i++) {
		cfg_section *sec = &doc.secs[i];
		if (strcmp(sec->kind, "scenario") != 0)
			continue;
		if (head != NULL) {
			ERR_AT(sec->line, "a second [scenario] section (the first is on line %d)",
				head->line);
			goto out;
		}
		head = sec;
	}
	if (head == NULL) {
		util_err(err, errlen, "%s:1: no [scenario NAME] section", path);
		goto out;
	}
	if (head->name == NULL || !cfg_valid_id(head->name)) {
		ERR_AT(head->line, "the scenario needs a name: [scenario NAME]");
		goto out;
	}
	{
		char *copy = xstrdup(path), *base = basename(copy), *dot = strrchr(base, '.');
		if (dot != NULL)
			*dot = 0;
		int same = strcmp(base, head->name) == 0;
		if (!same)
			ERR_AT(head->line, "scenario \"%s\" is in a file named \"%s.scn\" (the name "
				"and the file name must agree)", head->name, base);
		free(copy);
		if (!same)
			goto out;
	}
	s->name = xstrdup(head->name);
	s->line = head->line;
	if (parse_header(s, path, head, known_devices, err, errlen) != 0)
		goto out;
	/* The scenario's own PKI objects, then the whole hierarchy. */
	if (pki_add_doc(&s->pki, &doc, 0, err, errlen) != 0)
		goto out;
	if (pki_resolve(&s->pki, err, errlen) != 0)
		goto out;
	for (i = 0; i < doc.n; i++) {
		cfg_section *sec = &doc.secs[i];
		if (sec == head || pki_is_section_kind(sec->kind))
			continue;
		if (strcmp(sec->kind, "phase") != 0) {
			ERR_AT(sec->line, "unknown section kind \"%s\" (want scenario, phase, or a "
				"PKI section: root, intermediate, cross, leaf, anchors)", sec->kind);
			goto out;
		}
		if (parse_phase(s, path, sec, err, errlen) != 0)
			goto out;
	}
	if (s->nphases == 0) {
		ERR_AT(head->line, "scenario \"%s\" has no [phase NAME] section", s->name);
		goto out;
	}
	if (s->pki.ncerts == 0) {
		ERR_AT(head->line, "scenario \"%s\" has no certificates (pki = FILE, or its own "
			"sections)", s->name);
		goto out;
	}
	ret = 0;
out:
	cfg_free(&doc);
	if (ret != 0)
		scn_free(s);
	return ret;
}

/* see scenario.h */
char *
scn_dir(const char *dir, const char *argv0, char *err, size_t errlen)
{
	const char *e;

	if (dir != NULL) {
		if (!util_is_dir(dir)) {
			util_err(err, errlen, "%s: no such scenario directory", dir);
			return NULL;
		}
		return xstrdup(dir);
	}
	if ((e = getenv("ROTSIM_SCENARIOS")) != NULL && *e) {
		if (!util_is_dir(e)) {
			util_err(err, errlen, "ROTSIM_SCENARIOS=%s: no such directory", e);
			return NULL;
		}
		return xstrdup(e);
	}
	static const char *const beside[] = { "../share/rotsim/scenarios", "../../scenarios",
		"../../../scenarios", NULL };
	char *found = util_find_dir("scenarios", beside);
	(void)argv0;
	if (found != NULL)
		return found;
	util_err(err, errlen, "no scenario directory (run from the source tree, set "
		"ROTSIM_SCENARIOS or give --scenarios DIR)");
	return NULL;
}

/* see scenario.h */
long
scn_list(const char *dir, char ***names, char *err, size_t errlen)
{
	return util_list_dir(dir, ".scn", names, err, errlen);
}

static void
chain_text(const scenario *s, const scn_phase *ph, buf_t *out)
{
	const pki_cert *leaf = pki_find(&s->pki, ph->leaf);
	const pki_chain *ch = leaf ? pki_leaf_chain(leaf, ph->variant) : NULL;
	size_t i;

	buf_puts(out, ph->leaf);
	if (ch == NULL)
		return;
	for (i = 0; i < ch->n; i++)
		buf_printf(out, " <- %s", ch->ids[i]);
	if (ph->variant != NULL)
		buf_printf(out, " (chain %s)", ph->variant);
}

/* see scenario.h */
void
scn_describe(const scenario *s, buf_t *out)
{
	size_t i, j;
	char d[32];

	buf_printf(out, "%s: %s\n\n", s->name, s->summary);
	buf_printf(out, "event:   %s\nsource:  %s\n", s->event, s->source);
	if (s->host != NULL && strcmp(s->host, SCN_DEFAULT_HOST) != 0)
		buf_printf(out, "host:    %s\n", s->host);
	if (s->pki_path != NULL)
		buf_printf(out, "pki:     %s (%zu certificates, %zu anchor sets)\n", s->pki_path,
			s->pki.ncerts, s->pki.nsets);
	buf_puts(out, "devices:");
	for (i = 0; i < s->ndevices; i++) {
		char *like = dev_like(s->devices[i]);
		buf_printf(out, "%s %s", i ? "," : "", s->devices[i]);
		if (like != NULL)
			buf_printf(out, " (like %s)", like);
		free(like);
	}
	buf_puts(out, "\n");
	for (i = 0; i < s->nphases; i++) {
		const scn_phase *ph = &s->phases[i];
		int64_t t;
		simtime_format(d, sizeof d, ph->date);
		buf_printf(out, "\nphase %s: %.10s", ph->name, d);
		if (i > 0)
			buf_printf(out, " (%lld days after %s)",
				(long long)((ph->date - s->phases[i - 1].date) / 86400),
				s->phases[i - 1].name);
		buf_puts(out, "\n  server:   ");
		chain_text(s, ph, out);
		buf_printf(out, "\n  offers:   version %u", ph->firmware);
		if (ph->firmware_trust)
			buf_printf(out, " (carries trust store %s)", ph->firmware_trust);
		buf_puts(out, "\n");
		for (j = 0; j < ph->nfaults; j++)
			buf_printf(out, "  fault:    %s\n", ph->faults[j]);
		for (j = 0; j < ph->nlab; j++)
			buf_printf(out, "  lab:      %s\n", ph->lab[j]);
		if (!ph->power) {
			buf_puts(out, "  device:   powered off\n");
		} else {
			buf_puts(out, "  device:   powered on, RTC ");
			if (scn_rtc_time(ph, &t)) {
				simtime_format(d, sizeof d, t);
				buf_printf(out, "%s", d);
				if (ph->rtc == RTC_OFFSET)
					buf_printf(out, " (phase %+lld s)", (long long)ph->rtc_value);
			} else {
				buf_puts(out, "none");
			}
			buf_printf(out, ", SNTP %s\n", ph->sntp ? "on" : "off");
		}
		if (ph->note)
			buf_printf(out, "  note:     %s\n", ph->note);
		for (j = 0; j < ph->nexpects; j++) {
			const scn_expect *x = &ph->expects[j];
			buf_printf(out, "  expect:   %-14s %-11s %s%s%s\n", x->device,
				scn_outcome_name(x->outcome), x->required ? "Required" : "Recommended",
				x->why ? "  # " : "", x->why ? x->why : "");
		}
	}
}
