/*
 * rotsim-agent: the reference device's update agent.
 *
 * One run is one boot of the device: find what the flash runs (A/B slots,
 * else the factory firmware), take the time from the device's clock source,
 * connect to the update server by name and validate its chain with the
 * device's trust profile, fetch and verify the signed manifest, download,
 * check and install a newer bundle into the other slot, check in, and say
 * whether a reboot is wanted. Every step is one console line (README.md,
 * "Console protocol"); the exit status says how the boot ended.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/util.h"
#include "fw/fw.h"
#include "time/simclock.h"
#include "time/simtime.h"
#include "time/sntp.h"

#include "bundle.h"
#include "console.h"
#include "flash.h"
#include "net.h"
#include "trust.h"

/* The date a device without a clock assumes when nothing else says. */
#ifndef AGENT_BUILD_DATE
#define AGENT_BUILD_DATE "2024-01-15"
#endif
#define SERVER_NAME "updates.rotsim.test"

/* Exit statuses (README.md, "Exit status"). */
enum {
	EXIT_CURRENT = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_REJECTED = 3,
	EXIT_UNREACHABLE = 4,
	EXIT_REBOOT = 10
};

enum { CLOCK_RTC, CLOCK_SNTP, CLOCK_NONE };

typedef struct {
	/* Options. */
	const char *etc, *profile_path, *anchors_dir, *sigpub_path, *flash_path;
	const char *rtc, *sntp_addr, *connect, *hosts, *build_date, *device;
	int retries, backoff_ms, max_wait, timeout_ms;
	/* The profile. */
	char profile[65];
	char *anchors_name, *pins_name, *profile_sntp;
	int clock_src, insecure;
	uint32_t factory_version;
	int64_t build_time;
	/* Running state. */
	simclock clock;
	flash_dev flash;
	int running_slot;		/* 0, 1, or -1 for the factory firmware */
	uint32_t version;
	unsigned char *bundle_data;	/* the running bundle, if any */
	size_t bundle_len;
	bundle running;
	trust_store trust;
	int trust_mode;
	const char *trust_source;
	unsigned char sigpub[65];
	net_conn *net;
} agent;

static con_line L;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim-agent [--etc DIR] [--profile FILE] [--anchors DIR]\n"
"                    [--signing-pub FILE] [--flash PATH] [--rtc DATE]\n"
"                    [--sntp HOST:PORT] [--connect ADDR:PORT] [--hosts FILE]\n"
"                    [--build-date DATE] [--device NAME] [--retries N]\n"
"                    [--backoff-ms N] [--max-wait SECONDS] [--timeout SECONDS]\n"
"\n"
"One boot of the reference device: run what the flash holds, check for an\n"
"update at " SERVER_NAME ", install it into the other slot, check in.\n"
"\n"
"  --etc DIR          the device's read-only configuration (default /etc/rotsim):\n"
"                     DIR/profile, DIR/anchors/, DIR/signing-key.pub.pem, DIR/device\n"
"  --profile FILE     the trust profile (default DIR/profile)\n"
"  --anchors DIR      factory anchor sets NAME.pem and pin lists NAME.pins\n"
"                     (default DIR/anchors)\n"
"  --signing-pub FILE the firmware-signing public key, PEM or 65 raw bytes\n"
"                     (default DIR/signing-key.pub.pem)\n"
"  --flash PATH       the flash: a disk image or block device (default\n"
"                     /dev/vda); a directory means PATH/flash.img, created\n"
"                     empty when missing\n"
"  --rtc DATE         the RTC at power-on (native); default: the system clock\n"
"  --sntp HOST:PORT   the SNTP server (default: the profile's, else\n"
"                     " SERVER_NAME ":123)\n"
"  --connect A:P      connect there instead of resolving " SERVER_NAME "\n"
"                     (SNI and the name checked stay " SERVER_NAME ")\n"
"  --hosts FILE       name resolution (default /etc/hosts)\n"
"  --build-date DATE  the firmware's build date (default: the profile's, else\n"
"                     " AGENT_BUILD_DATE ")\n"
"  --device NAME      the device's name (default: DIR/device, else the profile)\n"
"  --retries N        attempts per step after the first (default 5)\n"
"  --backoff-ms N     first back-off between attempts, doubled each time (500)\n"
"  --max-wait S       longest Retry-After honoured (default 30)\n"
"  --timeout S        connect and read timeout (default 10)\n"
"\n"
"Exit status: 0 current (nothing newer), 10 updated (reboot requested),\n"
"3 rejected, 4 unreachable, 1 error, 2 usage.\n");
}

/* ---- Time ---- */

static int64_t
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

static int
resolve(agent *a, const char *host_port, int defport, struct sockaddr_in *sa,
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

static char *
path_join(const char *dir, const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

/* Read the first [profile NAME] section of the profile file. */
static int
load_profile(agent *a)
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

static int
open_flash(agent *a)
{
	char err[600], *path = NULL;
	struct stat st;
	int ret = -1;

	if (stat(a->flash_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		path = path_join(a->flash_path, "flash.img");
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
 * boot-control block yet. */
static int
try_factory_slot_a(agent *a)
{
	unsigned char *d = xmalloc((size_t)a->flash.slot_size);
	char err[256];

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

static void
choose_boot(agent *a)
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

static int
load_trust(agent *a)
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

static int
load_sigpub(agent *a)
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

static void
set_clock(agent *a)
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
			: a->profile_sntp != NULL ? a->profile_sntp : SERVER_NAME ":123";
		struct sockaddr_in sa;
		char num[64], ip[INET_ADDRSTRLEN];

		if (resolve(a, srv, SNTP_PORT, &sa, err, sizeof err) == 0) {
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

/* ---- The link ---- */

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long
backoff(agent *a, int attempt)
{
	long ms = a->backoff_ms;

	while (--attempt > 0 && ms < 8L * a->backoff_ms)
		ms *= 2;
	return ms;
}

static void
emit_tls_failure(agent *a)
{
	net_conn *c = a->net;
	const char *name = con_error_name(c->tls_err);

	con_begin(&L, "tls");
	con_str(&L, "result", "failed");
	con_str(&L, "err", name != NULL ? name : "unknown");
	con_int(&L, "code", c->tls_err);
	if (c->tls_err > BR_ERR_RECV_FATAL_ALERT) {
		int al = c->tls_err >= BR_ERR_SEND_FATAL_ALERT
			? c->tls_err - BR_ERR_SEND_FATAL_ALERT : c->tls_err - BR_ERR_RECV_FATAL_ALERT;
		const char *an = con_alert_name(al);

		con_int(&L, "alert", al);
		con_str(&L, "alert-name", an != NULL ? an : "unknown");
		con_str(&L, "alert-from", c->tls_err >= BR_ERR_SEND_FATAL_ALERT
			? "device" : "server");
	}
	con_str(&L, "text", con_error_text(c->tls_err));
	con_emit(&L, stdout);
}

/*
 * Make sure a TLS connection is up. Returns 0, or the exit status the boot
 * ends with: EXIT_REJECTED when the server's chain or the handshake was
 * refused (not retried: it will not change within a boot), EXIT_UNREACHABLE
 * when no connection could be made after the retries.
 */
static int
ensure_link(agent *a)
{
	net_conn *c = a->net;
	int attempt;
	char ip[INET_ADDRSTRLEN];

	if (c->tls_up)
		return 0;
	inet_ntop(AF_INET, &c->addr.sin_addr, ip, sizeof ip);
	for (attempt = 1; attempt <= a->retries + 1; attempt++) {
		int r = net_connect(c);

		con_begin(&L, "connect");
		con_str(&L, "host", SERVER_NAME);
		con_str(&L, "addr", ip);
		con_uint(&L, "port", ntohs(c->addr.sin_port));
		con_int(&L, "attempt", attempt);
		if (r != 0 && c->err_kind == NET_ERR_CONNECT) {
			con_str(&L, "result", "failed");
			con_str(&L, "error", c->msg);
			con_emit(&L, stdout);
			if (attempt <= a->retries) {
				long ms = backoff(a, attempt);

				con_begin(&L, "retry");
				con_str(&L, "step", "connect");
				con_int(&L, "attempt", attempt + 1);
				con_int(&L, "wait-ms", ms);
				con_emit(&L, stdout);
				sleep_ms(ms);
			}
			continue;
		}
		con_str(&L, "result", "ok");
		con_emit(&L, stdout);
		if (r != 0) {
			emit_tls_failure(a);
			/* A transport failure in the handshake is not a verdict on
			 * the chain: try again. */
			if (c->tls_err == BR_ERR_IO && attempt <= a->retries) {
				sleep_ms(backoff(a, attempt));
				continue;
			}
			return c->tls_err == BR_ERR_IO ? EXIT_UNREACHABLE : EXIT_REJECTED;
		}
		con_begin(&L, "tls");
		con_str(&L, "result", "ok");
		con_str(&L, "version", c->version == BR_TLS12 ? "TLS1.2" : "other");
		con_fmt(&L, "cipher", "0x%04X", c->suite);
		if (a->trust_mode == TRUST_PIN_LEAF)
			con_int(&L, "pin", c->lax.pin_matched);
		if (a->trust_mode == TRUST_INSECURE)
			con_str(&L, "checked", "nothing");
		con_emit(&L, stdout);
		return 0;
	}
	return EXIT_UNREACHABLE;
}

static void
emit_http(const char *method, const char *path, const net_resp *r)
{
	con_begin(&L, "http");
	con_str(&L, "method", method);
	con_str(&L, "path", path);
	con_int(&L, "status", r->status);
	if (r->has_length)
		con_uint(&L, "length", r->content_length);
	if (r->retry_after >= 0)
		con_int(&L, "retry-after", r->retry_after);
	con_emit(&L, stdout);
}

/*
 * GET a small document (the manifest) into out. Retries connection losses
 * and 429/503 (honouring Retry-After). Returns 0 or an exit status.
 */
static int
get_small(agent *a, const char *path, buf_t *out, size_t max)
{
	net_conn *c = a->net;
	int attempt;

	for (attempt = 1; attempt <= a->retries + 1; attempt++) {
		net_resp r;
		long wait = -1;
		int st = ensure_link(a);

		if (st != 0)
			return st;
		if (net_request(c, "GET", path, -1, NULL, NULL, 0, &r) == 0) {
			emit_http("GET", path, &r);
			if (r.status == 200 && r.has_length && r.content_length <= max) {
				out->len = 0;
				buf_reserve(out, (size_t)r.content_length + 1);
				while (out->len < r.content_length) {
					long n = net_read_body(c, out->data + out->len,
						(size_t)r.content_length - out->len);

					if (n < 0)
						break;
					out->len += (size_t)n;
				}
				if (out->len == r.content_length) {
					if (r.close)
						net_close(c);
					return 0;
				}
			} else if (r.status == 503 || r.status == 429) {
				wait = r.retry_after;
				if (!r.has_length || net_skip_body(c, r.content_length) != 0 || r.close)
					net_close(c);
			} else {
				net_close(c);
				con_begin(&L, "error");
				con_str(&L, "step", path);
				con_int(&L, "status", r.status);
				con_emit(&L, stdout);
				return EXIT_ERROR;
			}
		}
		if (attempt <= a->retries) {
			long ms = wait >= 0 ? (wait > a->max_wait ? a->max_wait : wait) * 1000L
				: backoff(a, attempt);

			con_begin(&L, "retry");
			con_str(&L, "step", path);
			con_int(&L, "attempt", attempt + 1);
			con_int(&L, "wait-ms", ms);
			con_str(&L, "reason", wait >= 0 ? "retry-after" : c->msg);
			con_emit(&L, stdout);
			sleep_ms(ms);
		}
	}
	return EXIT_UNREACHABLE;
}

/*
 * Download the image of m into img (m->size bytes), resuming with Range
 * after a broken connection. Returns 0 or an exit status.
 */
static int
download(agent *a, const fw_manifest *m, unsigned char *img)
{
	net_conn *c = a->net;
	uint64_t have = 0;
	int attempt = 1;

	while (have < m->size) {
		net_resp r;
		long wait = -1;
		int st = ensure_link(a);
		const char *why = NULL;

		if (st != 0)
			return st;
		if (net_request(c, "GET", m->url, have > 0 ? (long long)have : -1, NULL, NULL,
			0, &r) != 0)
		{
			why = c->msg;
		} else if (r.status == 200 || r.status == 206) {
			uint64_t start = 0, got = 0;

			if (r.status == 206) {
				if (!r.has_range || r.range_first > have || r.range_total != m->size) {
					net_close(c);
					con_begin(&L, "download");
					con_str(&L, "result", "error");
					con_str(&L, "error", "bad Content-Range");
					con_emit(&L, stdout);
					return EXIT_ERROR;
				}
				start = r.range_first;
			}
			if (!r.has_length || start + r.content_length > m->size) {
				net_close(c);
				con_begin(&L, "download");
				con_str(&L, "result", "error");
				con_str(&L, "error", "body larger than the manifest's size");
				con_emit(&L, stdout);
				return EXIT_ERROR;
			}
			have = start;
			while (got < r.content_length) {
				long n = net_read_body(c, img + have, (size_t)(r.content_length - got));

				if (n < 0)
					break;
				got += (uint64_t)n;
				have += (uint64_t)n;
			}
			con_begin(&L, "download");
			con_uint(&L, "offset", start);
			con_int(&L, "status", r.status);
			con_uint(&L, "bytes", got);
			con_uint(&L, "have", have);
			con_uint(&L, "total", m->size);
			con_int(&L, "attempt", attempt);
			con_str(&L, "result", got == r.content_length ? "ok" : "cut");
			con_emit(&L, stdout);
			if (got == r.content_length) {
				if (r.close)
					net_close(c);
				continue;
			}
			why = "connection lost in the body";
		} else if (r.status == 503 || r.status == 429) {
			emit_http("GET", m->url, &r);
			wait = r.retry_after;
			why = "busy";
			if (!r.has_length || net_skip_body(c, r.content_length) != 0 || r.close)
				net_close(c);
		} else {
			emit_http("GET", m->url, &r);
			net_close(c);
			con_begin(&L, "download");
			con_str(&L, "result", "error");
			con_int(&L, "status", r.status);
			con_emit(&L, stdout);
			return EXIT_ERROR;
		}
		if (attempt > a->retries) {
			con_begin(&L, "download");
			con_str(&L, "result", "gave-up");
			con_uint(&L, "have", have);
			con_int(&L, "attempts", attempt);
			con_emit(&L, stdout);
			return EXIT_UNREACHABLE;
		}
		{
			long ms = wait >= 0 ? (wait > a->max_wait ? a->max_wait : wait) * 1000L
				: backoff(a, attempt);

			attempt++;
			con_begin(&L, "retry");
			con_str(&L, "step", "download");
			con_int(&L, "attempt", attempt);
			con_int(&L, "wait-ms", ms);
			con_uint(&L, "resume-at", have);
			con_str(&L, "reason", wait >= 0 ? "retry-after" : why);
			con_emit(&L, stdout);
			sleep_ms(ms);
		}
	}
	return 0;
}

/* Check in: POST /report with the running version and what this boot saw.
 * Best effort: a failed report does not change the boot's result. */
static void
report(agent *a, const char *status, uint32_t offered)
{
	net_conn *c = a->net;
	buf_t b = {0};
	net_resp r;
	int ok = 0;

	buf_printf(&b, "rotsim-report 1\ndevice %s\nprofile %s\nversion %lu\nstatus %s\n",
		a->device, a->profile, (unsigned long)a->version, status);
	if (offered != 0)
		buf_printf(&b, "offered %lu\n", (unsigned long)offered);
	buf_printf(&b, "trust %s\n", a->trust_source);
	if (ensure_link(a) == 0
		&& net_request(c, "POST", "/report", -1, "text/plain", b.data, b.len, &r) == 0)
	{
		if (r.has_length && net_skip_body(c, r.content_length) == 0)
			ok = r.status == 200;
		if (r.close)
			net_close(c);
	}
	con_begin(&L, "report");
	con_uint(&L, "version", a->version);
	con_str(&L, "status", status);
	con_str(&L, "result", ok ? "ok" : "failed");
	con_emit(&L, stdout);
	buf_free(&b);
}

static int
done(agent *a, const char *result, int status, uint32_t installed, const char *reason)
{
	con_begin(&L, "done");
	con_str(&L, "result", result);
	con_uint(&L, "version", a->version);
	if (installed != 0)
		con_uint(&L, "installed", installed);
	if (reason != NULL)
		con_str(&L, "reason", reason);
	con_int(&L, "exit", status);
	con_emit(&L, stdout);
	return status;
}

static const char *
status_result(int st)
{
	return st == EXIT_REJECTED ? "rejected" : st == EXIT_UNREACHABLE ? "unreachable"
		: st == EXIT_REBOOT ? "updated" : st == EXIT_CURRENT ? "current" : "error";
}

/* The update check of one boot, after the clock and the trust are set. */
static int
update(agent *a)
{
	char err[512], hex[65];
	buf_t mtext = {0};
	fw_manifest m;
	unsigned char *img = NULL;
	bundle nb;
	int st, slot, ret;

	st = get_small(a, "/manifest", &mtext, 4096);
	if (st != 0) {
		ret = done(a, status_result(st), st, 0, st == EXIT_REJECTED ? "tls" : "manifest");
		goto out;
	}
	if (fw_manifest_verify(&m, mtext.data, mtext.len, a->sigpub, err, sizeof err) != 0) {
		con_begin(&L, "manifest");
		con_str(&L, "sig", "bad");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		report(a, "manifest-rejected", 0);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "manifest-signature");
		goto out;
	}
	con_begin(&L, "manifest");
	con_str(&L, "sig", "ok");
	con_uint(&L, "version", m.version);
	con_uint(&L, "size", m.size);
	con_str(&L, "url", m.url);
	con_emit(&L, stdout);
	if (m.version <= a->version) {
		report(a, "current", m.version);
		ret = done(a, "current", EXIT_CURRENT, 0, NULL);
		goto out;
	}
	if (m.size == 0 || m.size > a->flash.slot_size) {
		con_begin(&L, "update");
		con_str(&L, "result", "refused");
		con_str(&L, "error", "image larger than a slot");
		con_emit(&L, stdout);
		report(a, "image-rejected", m.version);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "image-size");
		goto out;
	}
	slot = a->running_slot == 0 ? 1 : a->running_slot == 1 ? 0 : 0;
	if (a->running_slot < 0 && a->flash.bc_valid && a->flash.bc.active == 0
		&& a->flash.bc.slot[0].state == FLASH_SLOT_INSTALLED)
		slot = 1;	/* keep a good slot A we could not run for a fallback */
	con_begin(&L, "update");
	con_uint(&L, "from", a->version);
	con_uint(&L, "to", m.version);
	con_uint(&L, "size", m.size);
	con_fmt(&L, "slot", "%c", 'a' + slot);
	con_emit(&L, stdout);
	img = xmalloc((size_t)m.size);
	st = download(a, &m, img);
	if (st != 0) {
		ret = done(a, status_result(st), st, 0, "download");
		goto out;
	}
	if (fw_image_check(&m, img, (size_t)m.size, err, sizeof err) != 0) {
		unsigned char h[32];

		util_sha256(h, img, (size_t)m.size);
		con_begin(&L, "image");
		con_str(&L, "result", "bad");
		con_str(&L, "sha256", util_hex(hex, h, 32));
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		report(a, "image-rejected", m.version);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "image-sha256");
		goto out;
	}
	if (bundle_parse(&nb, img, (size_t)m.size, 0, err, sizeof err) != 0
		|| (nb.version != m.version && snprintf(err, sizeof err, "bundle version %lu, "
			"manifest %lu", (unsigned long)nb.version, (unsigned long)m.version) > 0))
	{
		con_begin(&L, "image");
		con_str(&L, "result", "bad");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		report(a, "image-rejected", m.version);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "bundle");
		goto out;
	}
	con_begin(&L, "image");
	con_str(&L, "result", "ok");
	con_str(&L, "sha256", util_hex(hex, m.sha256, 32));
	con_uint(&L, "version", nb.version);
	con_str(&L, "anchors", nb.anchors.data != NULL ? "yes" : "no");
	con_str(&L, "pins", nb.pins.data != NULL ? "yes" : "no");
	con_emit(&L, stdout);
	if (flash_install(&a->flash, slot, nb.version, img, (size_t)m.size, err, sizeof err) != 0) {
		con_begin(&L, "install");
		con_str(&L, "result", "failed");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		ret = done(a, "error", EXIT_ERROR, 0, "install");
		goto out;
	}
	con_begin(&L, "install");
	con_str(&L, "result", "ok");
	con_fmt(&L, "slot", "%c", 'a' + slot);
	con_uint(&L, "version", nb.version);
	con_uint(&L, "bytes", m.size);
	con_uint(&L, "seq", a->flash.bc.seq);
	con_emit(&L, stdout);
	report(a, "installed", m.version);
	con_begin(&L, "reboot");
	con_fmt(&L, "slot", "%c", 'a' + slot);
	con_uint(&L, "version", nb.version);
	con_emit(&L, stdout);
	ret = done(a, "updated", EXIT_REBOOT, nb.version, NULL);
out:
	free(img);
	buf_free(&mtext);
	return ret;
}

/* The device's name: the first line of ETC/device, else the profile's. */
static const char *
device_name(agent *a)
{
	static char name[64];
	char *p = path_join(a->etc, "device");
	FILE *f = fopen(p, "r");

	free(p);
	name[0] = 0;
	if (f != NULL) {
		if (fgets(name, sizeof name, f) == NULL)
			name[0] = 0;
		name[strcspn(name, "\r\n")] = 0;
		fclose(f);
	}
	return name[0] != 0 ? name : NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "etc", required_argument, NULL, 'E' },
		{ "profile", required_argument, NULL, 'p' },
		{ "anchors", required_argument, NULL, 'a' },
		{ "signing-pub", required_argument, NULL, 'k' },
		{ "flash", required_argument, NULL, 'f' },
		{ "rtc", required_argument, NULL, 'r' },
		{ "sntp", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'c' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "build-date", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "retries", required_argument, NULL, 'R' },
		{ "backoff-ms", required_argument, NULL, 'B' },
		{ "max-wait", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static agent A;
	agent *a = &A;
	char *owned[3] = { NULL, NULL, NULL }, err[512];
	int c, ret = EXIT_ERROR;

	a->etc = "/etc/rotsim";
	a->flash_path = "/dev/vda";
	a->hosts = "/etc/hosts";
	a->retries = 5;
	a->backoff_ms = 500;
	a->max_wait = 30;
	a->timeout_ms = 10000;
	a->running_slot = -1;
	a->flash.fd = -1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		long v;
		char *end;

		switch (c) {
		case 'E': a->etc = optarg; break;
		case 'p': a->profile_path = optarg; break;
		case 'a': a->anchors_dir = optarg; break;
		case 'k': a->sigpub_path = optarg; break;
		case 'f': a->flash_path = optarg; break;
		case 'r': a->rtc = optarg; break;
		case 's': a->sntp_addr = optarg; break;
		case 'c': a->connect = optarg; break;
		case 'H': a->hosts = optarg; break;
		case 'b': a->build_date = optarg; break;
		case 'd': a->device = optarg; break;
		case 'R': case 'B': case 'W': case 'T':
			v = strtol(optarg, &end, 10);
			if (*end != 0 || v < 0 || v > 100000) {
				fprintf(stderr, "rotsim-agent: bad number \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			if (c == 'R') a->retries = (int)v;
			else if (c == 'B') a->backoff_ms = (int)v;
			else if (c == 'W') a->max_wait = (int)v;
			else a->timeout_ms = v > 0 ? (int)v * 1000 : 1000;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rotsim-agent: unexpected argument \"%s\"\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (a->rtc != NULL) {
		int64_t t;

		if (simtime_parse(a->rtc, &t, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim-agent: --rtc \"%s\": %s\n", a->rtc, err);
			return EXIT_USAGE;
		}
	}
	if (a->profile_path == NULL)
		a->profile_path = owned[0] = path_join(a->etc, "profile");
	if (a->anchors_dir == NULL)
		a->anchors_dir = owned[1] = path_join(a->etc, "anchors");
	if (a->sigpub_path == NULL)
		a->sigpub_path = owned[2] = path_join(a->etc, "signing-key.pub.pem");
	a->net = xcalloc(1, sizeof *a->net);
	net_init(a->net);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (load_profile(a) != 0) {
		ret = done(a, "error", EXIT_ERROR, 0, "profile");
		goto out;
	}
	if (a->device == NULL)
		a->device = device_name(a);
	if (a->device == NULL)
		a->device = a->profile;
	con_begin(&L, "agent-start");
	con_str(&L, "agent", "rotsim-agent");
	con_str(&L, "device", a->device);
	con_str(&L, "profile", a->profile);
	con_uint(&L, "factory-version", a->factory_version);
	con_emit(&L, stdout);
	if (open_flash(a) != 0) {
		ret = done(a, "error", EXIT_ERROR, 0, "flash");
		goto out;
	}
	choose_boot(a);
	if (load_trust(a) != 0 || load_sigpub(a) != 0) {
		ret = done(a, "error", EXIT_ERROR, 0, "config");
		goto out;
	}
	set_clock(a);
	a->net->server_name = SERVER_NAME;
	a->net->mode = a->trust_mode;
	a->net->trust = &a->trust;
	a->net->now = agent_now;
	a->net->now_ctx = a;
	a->net->timeout_ms = a->timeout_ms;
	if (resolve(a, a->connect != NULL ? a->connect : SERVER_NAME ":443", 443,
		&a->net->addr, err, sizeof err) != 0)
	{
		con_begin(&L, "resolve");
		con_str(&L, "host", SERVER_NAME);
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		ret = done(a, "unreachable", EXIT_UNREACHABLE, 0, "resolve");
		goto out;
	}
	ret = update(a);
out:
	if (a->net != NULL)
		net_close(a->net);
	free(a->net);
	flash_close(&a->flash);
	trust_free(&a->trust);
	free(a->bundle_data);
	free(a->anchors_name);
	free(a->pins_name);
	free(a->profile_sntp);
	free(owned[0]);
	free(owned[1]);
	free(owned[2]);
	return ret;
}
