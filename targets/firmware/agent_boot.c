/*
 * The boot before the network (agent.h): profile, flash and the slot that
 * runs, trust store, signing key, clock, and name resolution.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "time/simtime.h"
#include "time/sntp.h"

#include "agent.h"
#include "console.h"
#include "tls.h"

static con_line L;

/* ---- Time ---- */

/* see agent.h */
int64_t
agent_now(void *ctx)
{
	agent *a = ctx;

	return simclock_seconds(&a->clock);
}

static void
emit_clock(agent *a, const char *source, const char *error)
{
	char t[40];

	con_begin(&L, "clock");
	con_str(&L, "source", source);
	con_str(&L, "time", simtime_format(t, sizeof t, agent_now(a)));
	if (error != NULL)
		con_str(&L, "error", error);
	con_emit(&L, stdout);
}

/* ---- Name resolution: /etc/hosts only, as a static binary in an initramfs
 * has no resolver libraries and the simulated network no DNS. ---- */

/* see agent.h */
int
agent_resolve(agent *a, const char *host_port, int defport, struct sockaddr_in *sa,
	char *err, size_t errlen)
{
	char host[256], line[512];
	const char *colon = strrchr(host_port, ':');
	size_t hl = colon != NULL ? (size_t)(colon - host_port) : strlen(host_port);
	long port = defport;
	FILE *f;
	int found = 0;

	if (hl >= sizeof host)
		return util_err(err, errlen, "host name too long");
	memcpy(host, host_port, hl);
	host[hl] = 0;
	if (colon != NULL) {
		char *e;

		port = strtol(colon + 1, &e, 10);
		if (*e != 0 || port < 1 || port > 65535)
			return util_err(err, errlen, "bad port in \"%s\"", host_port);
	}
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) == 1)
		return 0;
	f = fopen(a->hosts, "r");
	if (f == NULL)
		return util_err(err, errlen, "%s: %s", a->hosts, strerror(errno));
	while (!found && fgets(line, sizeof line, f) != NULL) {
		char *save = NULL, *addr, *name;

		line[strcspn(line, "#\r\n")] = 0;
		addr = strtok_r(line, " \t", &save);
		if (addr == NULL)
			continue;
		while ((name = strtok_r(NULL, " \t", &save)) != NULL)
			if (strcasecmp(name, host) == 0
				&& inet_pton(AF_INET, addr, &sa->sin_addr) == 1)
			{
				found = 1;
				break;
			}
	}
	fclose(f);
	if (!found)
		return util_err(err, errlen, "%s: not in %s", host, a->hosts);
	return 0;
}

/* ---- Profile ---- */

/* see agent.h */
char *
agent_path_join(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/*
 * The profile's "tls = STACK [VARIANT]": the stack must be this binary's (the
 * harness picks the binary by it); the variant must be one of its variants.
 */
static int
agent_profile_tls(agent *a, const char *val, char *err, size_t errlen)
{
	char stack[32], variant[64];
	int n = 0, v = 0, i;

	variant[0] = 0;
	if (sscanf(val, "%31s %63s %n", stack, variant, &n) < 1 || (variant[0] != 0 && val[n] != 0))
		return util_err(err, errlen, "tls \"%s\" (want STACK [VARIANT])", val);
	if (strcmp(stack, tls_stack) != 0)
		return util_err(err, errlen, "tls \"%s\": this agent is built on %s "
			"(run rotsim-agent-%s)", stack, tls_stack, stack);
	if (variant[0] != 0 && (v = tls_variant_find(variant)) < 0) {
		int k = snprintf(err, errlen, "tls variant \"%s\" (want", variant);

		for (i = 0; tls_variants[i] != NULL && k > 0 && (size_t)k < errlen; i++)
			k += snprintf(err + k, errlen - (size_t)k, " %s", tls_variants[i]);
		if (k > 0 && (size_t)k < errlen)
			snprintf(err + k, errlen - (size_t)k, ")");
		return -1;
	}
	a->tls_variant = v;
	return 0;
}

/* Read the first [profile NAME] section of the profile file. */
int
agent_load_profile(agent *a)
{
	static const struct { const char *name; int src; } clocks[] = {
		{ "rtc", CLOCK_RTC }, { "sntp", CLOCK_SNTP }, { "none", CLOCK_NONE },
	};
	cfg_doc doc;
	cfg_section *s = NULL;
	cfg_entry *e, *dup;
	char err[512];
	const char *bd = a->build_date;
	size_t i;
	int ret = -1;

	memset(&doc, 0, sizeof doc);
	if (cfg_parse_file(&doc, a->profile_path, err, sizeof err) != 0) {
		con_begin(&L, "profile");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		return -1;
	}
	for (i = 0; i < doc.n && s == NULL; i++)
		if (strcmp(doc.secs[i].kind, "profile") == 0)
			s = &doc.secs[i];
	if (s == NULL || s->name == NULL) {
		snprintf(err, sizeof err, "%s: no [profile NAME] section", a->profile_path);
		goto bad;
	}
	snprintf(a->profile, sizeof a->profile, "%s", s->name);
	a->factory_version = 1;
	a->clock_src = CLOCK_RTC;
	/* GET(key) sets e to the entry (or NULL) and fails on a repeated key. */
#define GET(key) (e = cfg_get(s, key, &dup), dup != NULL \
	? (snprintf(err, sizeof err, "%s:%d: %s given twice", a->profile_path, \
		dup->line, key), -1) : 0)
	if (GET("anchors") != 0)
		goto bad;
	if (e != NULL)
		a->anchors_name = xstrdup(e->val);
	if (GET("pins") != 0)
		goto bad;
	if (e != NULL)
		a->pins_name = xstrdup(e->val);
	if (GET("clock") != 0)
		goto bad;
	if (e != NULL) {
		for (i = 0; i < sizeof clocks / sizeof clocks[0]; i++)
			if (strcmp(e->val, clocks[i].name) == 0)
				break;
		if (i == sizeof clocks / sizeof clocks[0]) {
			snprintf(err, sizeof err, "%s:%d: clock \"%s\" (want rtc, sntp or none)",
				a->profile_path, e->line, e->val);
			goto bad;
		}
		a->clock_src = clocks[i].src;
	}
	if (GET("sntp") != 0)
		goto bad;
	if (e != NULL)
		a->profile_sntp = xstrdup(e->val);
	if (GET("insecure") != 0)
		goto bad;
	if (e != NULL) {
		if (strcmp(e->val, "yes") != 0 && strcmp(e->val, "no") != 0) {
			snprintf(err, sizeof err, "%s:%d: insecure \"%s\" (want yes or no)",
				a->profile_path, e->line, e->val);
			goto bad;
		}
		a->insecure = strcmp(e->val, "yes") == 0;
	}
	if (GET("version") != 0)
		goto bad;
	if (e != NULL) {
		char *end;
		unsigned long v = strtoul(e->val, &end, 10);

		if (*end != 0 || v < 1 || v > UINT32_MAX) {
			snprintf(err, sizeof err, "%s:%d: bad version \"%s\"", a->profile_path,
				e->line, e->val);
			goto bad;
		}
		a->factory_version = (uint32_t)v;
	}
	if (GET("build-date") != 0)
		goto bad;
	if (bd == NULL)
		bd = e != NULL ? e->val : AGENT_BUILD_DATE;
	{
		char e2[256];

		if (simtime_parse(bd, &a->build_time, e2, sizeof e2) != 0) {
			snprintf(err, sizeof err, "build date \"%s\": %s", bd, e2);
			goto bad;
		}
	}
	if (GET("description") != 0)
		goto bad;
	if (GET("tls") != 0)
		goto bad;
	if (e != NULL) {
		char e3[256];

		if (agent_profile_tls(a, e->val, e3, sizeof e3) != 0) {
			snprintf(err, sizeof err, "%s:%d: %.256s", a->profile_path, e->line, e3);
			goto bad;
		}
	}
#undef GET
	if ((e = cfg_unused(s)) != NULL) {
		snprintf(err, sizeof err, "%s:%d: unknown key \"%s\"", a->profile_path,
			e->line, e->key);
		goto bad;
	}
	if (!a->insecure && a->anchors_name == NULL && a->pins_name == NULL) {
		snprintf(err, sizeof err, "%s: the profile names no anchors and no pins",
			a->profile_path);
		goto bad;
	}
	a->trust_mode = a->insecure ? TRUST_INSECURE
		: a->pins_name != NULL ? TRUST_PIN_LEAF : TRUST_ANCHORS;
	ret = 0;
	goto out;
bad:
	con_begin(&L, "profile");
	con_str(&L, "error", err);
	con_emit(&L, stdout);
out:
	cfg_free(&doc);
	return ret;
}

/* ---- Boot: what the flash runs ---- */

/* see agent.h */
int
agent_open_flash(agent *a)
{
	char err[600], *path = NULL;
	struct stat st;
	int ret = -1;

	if (stat(a->flash_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		path = agent_path_join(a->flash_path, "flash.img");
		if (access(path, F_OK) != 0 && flash_create(path, FLASH_DEFAULT_SLOT_SIZE,
			a->device, err, sizeof err) != 0)
			goto bad;
	} else {
		path = xstrdup(a->flash_path);
	}
	if (flash_open(&a->flash, path, err, sizeof err) != 0)
		goto bad;
	con_begin(&L, "flash");
	con_str(&L, "path", path);
	con_int(&L, "layout", 1);
	con_uint(&L, "slot-size", a->flash.slot_size);
	con_str(&L, "boot-control", a->flash.bc_valid ? "valid" : "none");
	if (a->flash.bc_valid) {
		con_fmt(&L, "active", "%c", 'a' + (int)a->flash.bc.active);
		con_uint(&L, "seq", a->flash.bc.seq);
	}
	con_emit(&L, stdout);
	ret = 0;
	goto out;
bad:
	con_begin(&L, "flash");
	con_str(&L, "path", path != NULL ? path : a->flash_path);
	con_str(&L, "error", err);
	con_emit(&L, stdout);
out:
	free(path);
	return ret;
}

/* Try to run slot i: its bytes must match the boot-control record and parse
 * as a bundle. */
static int
try_slot(agent *a, int i, char *err, size_t errlen)
{
	unsigned char *d;
	size_t n;

	if (flash_load_slot(&a->flash, i, &d, &n, err, errlen) != 0)
		return -1;
	if (bundle_parse(&a->running, d, n, 0, err, errlen) != 0) {
		free(d);
		return -1;
	}
	a->bundle_data = d;
	a->bundle_len = n;
	a->running_slot = i;
	a->version = a->running.version;
	return 0;
}

/* A factory image made with mkflash.sh -a has a bundle in slot A and no
 * boot-control block yet. The slot is read whole only when it starts with a
 * bundle's magic: a flash the device made itself at its first boot has an
 * empty slot A, and reading its 4 MiB cost every first boot more than the
 * rest of its start. */
static int
try_factory_slot_a(agent *a)
{
	unsigned char magic[sizeof BUNDLE_MAGIC - 1], *d;
	char err[256];

	if (a->flash.slot_size < sizeof magic
		|| flash_read_slot(&a->flash, 0, 0, magic, sizeof magic, err, sizeof err) != 0
		|| !bundle_is_bundle(magic, sizeof magic))
		return -1;
	d = xmalloc((size_t)a->flash.slot_size);
	if (flash_read_slot(&a->flash, 0, 0, d, (size_t)a->flash.slot_size, err, sizeof err) != 0
		|| !bundle_is_bundle(d, (size_t)a->flash.slot_size)
		|| bundle_parse(&a->running, d, (size_t)a->flash.slot_size, 1, err, sizeof err) != 0)
	{
		free(d);
		return -1;
	}
	a->bundle_data = d;
	a->bundle_len = a->running.total_len;
	a->running_slot = 0;
	a->version = a->running.version;
	/* Record it, so that the first install keeps it as the fallback. */
	a->flash.bc.active = 0;
	a->flash.bc.slot[0].state = FLASH_SLOT_INSTALLED;
	a->flash.bc.slot[0].version = a->version;
	a->flash.bc.slot[0].len = a->bundle_len;
	util_sha256(a->flash.bc.slot[0].sha256, d, a->bundle_len);
	return 0;
}

/* see agent.h */
void
agent_choose_boot(agent *a)
{
	char err[512];
	const char *how = "factory";

	a->running_slot = -1;
	a->version = a->factory_version;
	if (a->flash.bc_valid) {
		int act = (int)a->flash.bc.active;

		if (try_slot(a, act, err, sizeof err) == 0) {
			how = "slot";
		} else {
			con_begin(&L, "boot-fallback");
			con_fmt(&L, "slot", "%c", 'a' + act);
			con_str(&L, "reason", err);
			con_emit(&L, stdout);
			if (a->flash.bc.slot[1 - act].state == FLASH_SLOT_INSTALLED
				&& try_slot(a, 1 - act, err, sizeof err) == 0)
				how = "fallback";
		}
	} else if (try_factory_slot_a(a) == 0) {
		how = "factory-slot";
	}
	con_begin(&L, "boot");
	if (a->running_slot >= 0)
		con_fmt(&L, "slot", "%c", 'a' + a->running_slot);
	else
		con_str(&L, "slot", "factory");
	con_str(&L, "how", how);
	con_uint(&L, "version", a->version);
	con_emit(&L, stdout);
}

/* ---- Trust ---- */

/* see agent.h */
int
agent_load_trust(agent *a)
{
	char err[512], *path = NULL;
	unsigned char *d = NULL;
	size_t n;
	long k = 0;
	int ret = -1;
	static const char *const modes[] = { "anchors", "pin-leaf", "insecure" };

	a->trust_source = "factory";
	if (a->running_slot >= 0 && a->running.anchors.data != NULL && a->trust_mode == TRUST_ANCHORS) {
		a->trust_source = "bundle";
		k = trust_add_pem(&a->trust, a->running.anchors.data, a->running.anchors.len,
			err, sizeof err);
	} else if (a->running_slot >= 0 && a->running.pins.data != NULL
		&& a->trust_mode == TRUST_PIN_LEAF)
	{
		a->trust_source = "bundle";
		k = trust_add_pins(&a->trust, a->running.pins.data, a->running.pins.len,
			err, sizeof err);
	} else if (a->trust_mode == TRUST_ANCHORS) {
		path = xasprintf("%s/%s.pem", a->anchors_dir, a->anchors_name);
		if (util_read_file(path, &d, &n, err, sizeof err) == 0)
			k = trust_add_pem(&a->trust, d, n, err, sizeof err);
		else
			k = -1;
	} else if (a->trust_mode == TRUST_PIN_LEAF) {
		path = xasprintf("%s/%s.pins", a->anchors_dir, a->pins_name);
		if (util_read_file(path, &d, &n, err, sizeof err) == 0)
			k = trust_add_pins(&a->trust, d, n, err, sizeof err);
		else
			k = -1;
	}
	con_begin(&L, "trust");
	con_str(&L, "profile", a->profile);
	con_str(&L, "mode", modes[a->trust_mode]);
	con_str(&L, "source", a->trust_source);
	/* A set name is the factory's: a bundle's trust store has none. */
	if (strcmp(a->trust_source, "factory") != 0)
		;
	else if (a->trust_mode == TRUST_ANCHORS)
		con_str(&L, "set", a->anchors_name);
	else if (a->trust_mode == TRUST_PIN_LEAF)
		con_str(&L, "set", a->pins_name);
	if (k < 0) {
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		goto out;
	}
	con_uint(&L, "anchors", a->trust.ntas);
	con_uint(&L, "pins", a->trust.npins);
	con_emit(&L, stdout);
	ret = 0;
out:
	free(path);
	free(d);
	return ret;
}

/* see agent.h */
int
agent_load_sigpub(agent *a)
{
	char err[512];
	unsigned char *d = NULL;
	size_t n;
	int ret = -1;

	if (util_read_file(a->sigpub_path, &d, &n, err, sizeof err) == 0
		&& fw_pub_parse(a->sigpub, d, n, err, sizeof err) == 0)
		ret = 0;
	if (ret != 0) {
		con_begin(&L, "signing-key");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
	}
	free(d);
	return ret;
}

/* ---- The clock ---- */

/* see agent.h */
void
agent_set_clock(agent *a)
{
	char err[512];
	int64_t t;

	if (a->clock_src == CLOCK_RTC) {
		if (a->rtc != NULL) {
			if (simtime_parse(a->rtc, &t, err, sizeof err) != 0)
				t = a->build_time;	/* refused in main already */
		} else {
			t = (int64_t)time(NULL);
		}
		simclock_set(&a->clock, t);
		emit_clock(a, "rtc", NULL);
		return;
	}
	if (a->clock_src == CLOCK_SNTP) {
		const char *srv = a->sntp_addr != NULL ? a->sntp_addr
			: a->profile_sntp != NULL ? a->profile_sntp : a->host;
		struct sockaddr_in sa;
		char num[64], ip[INET_ADDRSTRLEN];

		if (agent_resolve(a, srv, SNTP_PORT, &sa, err, sizeof err) == 0) {
			inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
			snprintf(num, sizeof num, "%s:%u", ip, (unsigned)ntohs(sa.sin_port));
			if (sntp_query(num, 3000, &t, err, sizeof err) == 0) {
				simclock_set(&a->clock, t);
				emit_clock(a, "sntp", NULL);
				return;
			}
		}
		/* No answer: the device falls back to its floor, the build date. */
		simclock_set(&a->clock, a->build_time);
		emit_clock(a, "build-date", err);
		return;
	}
	simclock_set(&a->clock, a->build_time);
	emit_clock(a, "build-date", NULL);
}
