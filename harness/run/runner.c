/*
 * Planning and running cases. See runner.h.
 *
 * The parent plans, prepares what cases share (each scenario's PKI and
 * firmware bundles, the firmware-signing key) and runs up to -j cases at once,
 * each in a forked child of its own. A case child starts the update server and
 * the device for each phase, keeps the flash between phases and writes
 * evidence files; it never decides a verdict for the record. The parent decides
 * every verdict from those files, as `rotsim verdict` does later.
 */
#include "run/runner.h"
#include "run/proc.h"
#include "run/target.h"
#include "capture/capture.h"
#include "common/cfg.h"
#include "common/json.h"
#include "fw/fw.h"
#include "scenario/devices.h"
#include "time/simtime.h"
#include "version.h"
#include "targets/firmware/bundle.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_BOOTS 4

typedef struct {
	scenario *scn;
	const char *device;
	const char *target;
	char *dir;		/* OUT/cases/SCN/DEVICE@TARGET */
	pid_t pid;
	int finished;
	/* Its verdicts, one per phase, decided when its process ended. */
	verdict_result *res;
	char **ev;
	size_t nres;
} run_case;

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* ---- Small file helpers ---- */

static int
write_text(const char *path, const buf_t *b, char *err, size_t errlen)
{
	return util_write_atomic(path, b->data, b->len, 0644, err, errlen);
}

static int
copy_file(const char *from, const char *to, mode_t mode, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r;

	if (util_read_file(from, &data, &len, err, errlen) != 0)
		return -1;
	r = util_write_atomic(to, data, len, mode, err, errlen);
	free(data);
	return r;
}

static int
copy_dir(const char *from, const char *to, char *err, size_t errlen)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int ret = 0;

	if (d == NULL)
		return util_err(err, errlen, "%s: cannot open", from);
	if (util_mkdirs(to, 0755, err, errlen) != 0) {
		closedir(d);
		return -1;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *a = xasprintf("%s/%s", from, de->d_name), *b = xasprintf("%s/%s", to,
			de->d_name);
		ret = copy_file(a, b, 0644, err, errlen);
		free(a);
		free(b);
	}
	closedir(d);
	return ret;
}

/* The value of key in a profile's [profile] section, allocated, or NULL. */
static char *
profile_value(const char *device, const char *key)
{
	char *dir = dev_profiles_dir(), *path, err[256], *v = NULL;
	cfg_doc doc;
	size_t i;

	if (dir == NULL)
		return NULL;
	path = xasprintf("%s/%s.profile", dir, device);
	if (cfg_parse_file(&doc, path, err, sizeof err) == 0) {
		for (i = 0; i < doc.n; i++) {
			if (strcmp(doc.secs[i].kind, "profile") != 0)
				continue;
			cfg_entry *e = cfg_get(&doc.secs[i], key, NULL);
			if (e != NULL)
				v = xstrdup(e->val);
		}
		cfg_free(&doc);
	}
	free(path);
	free(dir);
	return v;
}

/* ---- What cases share: PKI, bundles, signing key ---- */

/* Deterministic firmware payload: what a real image would carry. */
static void
payload_for(const char *scn, unsigned version, buf_t *out)
{
	unsigned char block[32];
	br_sha256_context c;
	size_t i;
	char seed[160];

	snprintf(seed, sizeof seed, "rotsim firmware %s %u", scn, version);
	util_sha256(block, seed, strlen(seed));
	for (i = 0; i < 196608 / 32; i++) {
		buf_append(out, block, sizeof block);
		br_sha256_init(&c);
		br_sha256_update(&c, block, sizeof block);
		br_sha256_out(&c, block);
	}
}

static int
prepare_scenario(scenario *s, const run_opts *o, char *err, size_t errlen)
{
	char *pkidir = xasprintf("%s/pki/%s", o->out, s->name);
	size_t i;
	int ret = -1;

	char *cache = o->cache != NULL ? xstrdup(o->cache) : pki_default_cache();
	int r = pki_build(&s->pki, o->seed, cache, NULL, NULL, err, errlen);
	free(cache);
	if (r != 0 || pki_write(&s->pki, pkidir, err, errlen) != 0)
		goto out;
	for (i = 0; i < s->nphases; i++) {
		scn_phase *ph = &s->phases[i];
		char *fwdir = xasprintf("%s/firmware/%s/%s", o->out, s->name, ph->name);
		char *img = xasprintf("%s/image-%u.bin", fwdir, ph->firmware);
		buf_t b = {0}, payload = {0}, anchors = {0};
		bundle_section sa = { NULL, 0 }, sp;
		payload_for(s->name, ph->firmware, &payload);
		sp.data = payload.data;
		sp.len = payload.len;
		if (ph->firmware_trust != NULL) {
			pki_anchors_pem(pki_find_anchors(&s->pki, ph->firmware_trust), &anchors);
			sa.data = anchors.data;
			sa.len = anchors.len;
		}
		bundle_write(&b, ph->firmware, &sa, NULL, &sp);
		r = util_mkdirs(fwdir, 0755, err, errlen) == 0
			? util_write_atomic(img, b.data, b.len, 0644, err, errlen) : -1;
		buf_free(&b);
		buf_free(&payload);
		buf_free(&anchors);
		free(fwdir);
		free(img);
		if (r != 0)
			goto out;
	}
	ret = 0;
out:
	free(pkidir);
	return ret;
}

/* ---- One case, in its own process ---- */

static void
case_signal(int sig)
{
	(void)sig;
	interrupted = 1;
	proc_kill_all();
}

static char *
self_exe(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

	if (n <= 0)
		return xstrdup("rotsim");
	buf[n] = 0;
	return xstrdup(buf);
}

/* Anchors a correct device would use, for the verdict's reference check: the
 * device's own, or, for one that has neither anchors nor pins (the insecure
 * control), the anchors of the scenario's other devices. */
static void
reference_anchors(const scenario *s, const char *device, const char *trust, buf_t *json_out)
{
	char *a = profile_value(device, "anchors"), *pins = profile_value(device, "pins");
	size_t i, j, n = 0;

	/* A bundle that carries a trust store replaces the factory's while it
	 * runs (targets/firmware/README.md); a device that checks nothing is
	 * judged by the others' anchors whatever it installed. */
	if (trust != NULL && (a != NULL || pins != NULL)) {
		free(a);
		free(pins);
		a = xstrdup(trust);
		pins = NULL;
	}
	buf_puts(json_out, "\"anchors\":[");
	if (a != NULL) {
		json_put_str(json_out, a);
		n++;
	} else if (pins == NULL) {
		char *seen[64];
		size_t ns = 0;
		for (i = 0; i < s->ndevices && ns < 64; i++) {
			char *b = profile_value(s->devices[i], "anchors");
			if (b == NULL)
				continue;
			for (j = 0; j < ns; j++)
				if (strcmp(seen[j], b) == 0)
					break;
			if (j == ns) {
				seen[ns++] = b;
				if (n++)
					buf_putc(json_out, ',');
				json_put_str(json_out, b);
			} else {
				free(b);
			}
		}
		for (j = 0; j < ns; j++)
			free(seen[j]);
	}
	buf_puts(json_out, "],\"pins\":");
	if (pins != NULL)
		json_put_str(json_out, pins);
	else
		buf_puts(json_out, "null");
	free(a);
	free(pins);
}

/*
 * The plan of a phase: version_before and trust say what the device runs at
 * power-on (trust: the anchor set its installed bundle carries, NULL for the
 * factory trust store).
 */
static void
write_phase_json(const run_case *c, const scn_phase *ph, const char *pdir, long version_before,
	const char *trust, long image_size, int port)
{
	buf_t b = {0};
	char d[32];
	const scn_expect *x = scn_expect_for(ph, c->device);

	simtime_format(d, sizeof d, ph->date);
	buf_puts(&b, "{\"scenario\":");
	json_put_str(&b, c->scn->name);
	buf_puts(&b, ",\"device\":");
	json_put_str(&b, c->device);
	buf_puts(&b, ",\"target\":");
	json_put_str(&b, c->target);
	buf_puts(&b, ",\"phase\":");
	json_put_str(&b, ph->name);
	buf_printf(&b, ",\"date\":\"%s\",\"power\":\"%s\"", d, ph->power ? "on" : "off");
	buf_puts(&b, ",\"expected\":");
	json_put_str(&b, x ? scn_outcome_name(x->outcome) : "off");
	buf_printf(&b, ",\"required\":%s", x == NULL || x->required ? "true" : "false");
	if (x != NULL && x->why != NULL) {
		buf_puts(&b, ",\"why\":");
		json_put_str(&b, x->why);
	}
	buf_printf(&b, ",\"offered_version\":%u,\"version_before\":%ld,\"image_size\":%ld,"
		"\"server_port\":%d,\"server_name\":\"updates.rotsim.test\",\"leaf\":",
		ph->firmware, version_before, image_size, port);
	json_put_str(&b, ph->leaf);
	buf_puts(&b, ",\"variant\":");
	if (ph->variant)
		json_put_str(&b, ph->variant);
	else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"faults\":[");
	for (size_t i = 0; i < ph->nfaults; i++) {
		if (i)
			buf_putc(&b, ',');
		json_put_str(&b, ph->faults[i]);
	}
	buf_printf(&b, "],\"pki\":\"../../../../pki/%s\",\"trust\":", c->scn->name);
	if (trust != NULL)
		json_put_str(&b, trust);
	else
		buf_puts(&b, "\"factory\"");
	buf_putc(&b, ',');
	reference_anchors(c->scn, c->device, trust, &b);
	buf_puts(&b, "}\n");
	char *path = xasprintf("%s/phase.json", pdir);
	write_text(path, &b, NULL, 0);
	free(path);
	buf_free(&b);
}

static void
write_run_json(const char *pdir, int boots, const char *exits, const char *error,
	const char *capture_error, long long ms)
{
	buf_t b = {0};

	buf_printf(&b, "{\"boots\":%d,\"exits\":[%s],\"error\":", boots, exits);
	if (error != NULL)
		json_put_str(&b, error);
	else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"capture_error\":");
	if (capture_error != NULL)
		json_put_str(&b, capture_error);
	else
		buf_puts(&b, "null");
	buf_printf(&b, ",\"interrupted\":%s,\"duration_ms\":%lld}\n",
		interrupted ? "true" : "false", ms);
	char *path = xasprintf("%s/run.json", pdir);
	write_text(path, &b, NULL, 0);
	free(path);
	buf_free(&b);
}

/* Does a file contain a string? */
static int
file_has(const char *path, const char *needle)
{
	unsigned char *data;
	size_t len;
	char err[64];
	int r;

	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return 0;
	r = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return r;
}

static void
append_file(const char *from, const char *to)
{
	unsigned char *data;
	size_t len;
	char err[64];
	FILE *f;

	if (util_read_file(from, &data, &len, err, sizeof err) != 0)
		return;
	if ((f = fopen(to, "ab")) != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	free(data);
}

/* The server's arguments for a phase; fault ids become files. */
static void
server_argv(const scn_phase *ph, const char *pdir, const char *pkid, const char *fwdir,
	const char *signing, int sntp, char **argv, char **own, size_t *nown)
{
	size_t n = 0, i;

#define ARG(s) (argv[n++] = (s))
#define OWN(s) (argv[n++] = own[(*nown)++] = (s))
	OWN(self_exe());
	ARG("serve");
	ARG("--listen");
	ARG("127.0.0.1:0");
	ARG("--chain");
	OWN(ph->variant ? xasprintf("%s/chains/%s.%s.pem", pkid, ph->leaf, ph->variant)
		: xasprintf("%s/chains/%s.pem", pkid, ph->leaf));
	ARG("--key");
	OWN(xasprintf("%s/%s.key.pem", pkid, ph->leaf));
	ARG("--firmware");
	ARG((char *)fwdir);
	ARG("--signing-key");
	ARG((char *)signing);
	ARG("--time");
	char date[32];
	OWN(xstrdup(simtime_format(date, sizeof date, ph->date)));
	ARG("--events");
	OWN(xasprintf("%s/server-events.jsonl", pdir));
	ARG("--keylog");
	OWN(xasprintf("%s/keylog.txt", pdir));
	if (sntp) {
		ARG("--sntp");
		ARG("127.0.0.1:0");
	}
	for (i = 0; i < ph->nfaults && n < 56; i++) {
		const char *f = ph->faults[i];
		ARG("--fault");
		if (strncmp(f, "append=", 7) == 0) {
			OWN(xasprintf("append=%s/%s.crt.pem", pkid, f + 7));
		} else if (strncmp(f, "chain=", 6) == 0) {
			char *id = xstrdup(f + 6), *rest = strchr(id, ','), *dot;
			if (rest)
				*rest++ = 0;
			dot = strchr(id, '.');
			if (dot)
				*dot++ = 0;
			OWN(xasprintf("chain=%s/chains/%s%s%s.pem,key=%s/%s.key.pem%s%s", pkid, id,
				dot ? "." : "", dot ? dot : "", pkid, id, rest ? "," : "",
				rest ? rest : ""));
			free(id);
		} else {
			ARG((char *)f);
		}
	}
	ARG(NULL);
#undef ARG
#undef OWN
}

/* Run one phase: server, capture, boots. Leaves the evidence in pdir. */
static void
run_phase(const run_case *c, const tgt *t, const scn_phase *ph, const char *pdir,
	const char *pkid, const char *fwdir, const char *signing, long version_before,
	const char *trust, long image_size)
{
	char *argv[64], *own[64], line[256], err[512], exits[256] = "";
	size_t nown = 0, i;
	proc srv, dev;
	int fd = -1, port = 0, sntp_port = 0, boots = 0;
	int want_sntp = ph->sntp && t->sntp;
	const char *error = NULL;
	char errbuf[768], caperr[512] = "";
	cap_live *live = NULL;
	long long t0 = proc_now_ms();
	proc_io io;

	memset(&srv, 0, sizeof srv);
	memset(&dev, 0, sizeof dev);
	server_argv(ph, pdir, pkid, fwdir, signing, want_sntp, argv, own, &nown);
	memset(&io, 0, sizeof io);
	io.stdout_pipe = 1;
	io.out_fd = &fd;
	char *slog = xasprintf("%s/server.log", pdir);
	io.stderr_path = slog;
	if (proc_spawn(&srv, "server", argv, &io, err, sizeof err) != 0) {
		snprintf(errbuf, sizeof errbuf, "the update server did not start: %s", err);
		error = errbuf;
		goto done;
	}
	if (proc_read_line(fd, line, sizeof line, 10000) < 0
		|| sscanf(line, "listening 127.0.0.1:%d", &port) != 1) {
		snprintf(errbuf, sizeof errbuf, "the update server did not start (see %s)", slog);
		error = errbuf;
		goto done;
	}
	if (want_sntp && (proc_read_line(fd, line, sizeof line, 5000) < 0
		|| sscanf(line, "sntp %d", &sntp_port) != 1)) {
		snprintf(errbuf, sizeof errbuf, "the SNTP responder did not start (see %s)", slog);
		error = errbuf;
		goto done;
	}
	if (t->driver == TGT_NATIVE) {
		char filter[96], *pcap = xasprintf("%s/capture.pcap", pdir);
		if (sntp_port > 0)
			snprintf(filter, sizeof filter, "tcp port %d or udp port %d", port, sntp_port);
		else
			snprintf(filter, sizeof filter, "tcp port %d", port);
		if (cap_live_start("lo", filter, pcap, &live, caperr, sizeof caperr) != 0)
			live = NULL;
		free(pcap);
	}
	/* The server's port, for the verdict: natively the real one; a QEMU
	 * guest talks to 10.0.2.100:443. */
	write_phase_json(c, ph, pdir, version_before, trust, image_size,
		t->driver == TGT_QEMU ? 443 : port);
	char *console = xasprintf("%s/console.log", pdir);
	for (boots = 0; boots < MAX_BOOTS && !interrupted; boots++) {
		tgt_boot_args a;
		int64_t rtc;
		memset(&a, 0, sizeof a);
		a.device = c->device;
		a.case_dir = c->dir;
		a.boot_dir = pdir;
		/* A device without an RTC starts at the epoch; a reboot keeps the
		 * time that passed in the phase. */
		a.rtc = scn_rtc_time(ph, &rtc) ? rtc + (proc_now_ms() - t0) / 1000 : 0;
		a.server_port = port;
		a.sntp_port = sntp_port;
		a.boot_index = boots;
		if (tgt_boot(t, &a, &dev, err, sizeof err) != 0) {
			snprintf(errbuf, sizeof errbuf, "%s", err);
			error = errbuf;
			break;
		}
		char *cons = xasprintf("%s/console-%d.log", pdir, boots);
		long long start = proc_now_ms();
		int booted = t->driver == TGT_NATIVE || t->booted == NULL, exited = 0;
		while (!interrupted) {
			if (proc_wait(&dev, 100)) {
				exited = 1;
				break;
			}
			if (!booted && file_has(cons, t->booted))
				booted = 1;
			long long el = proc_now_ms() - start;
			if (!booted && el > t->boot_timeout * 1000LL) {
				snprintf(errbuf, sizeof errbuf, "the device did not boot: no \"%s\" on its "
					"console within %d s", t->booted, t->boot_timeout);
				error = errbuf;
				break;
			}
			if (el > t->run_timeout * 1000LL) {
				snprintf(errbuf, sizeof errbuf, "the device did not finish within %d s "
					"(run-timeout)", t->run_timeout);
				error = errbuf;
				break;
			}
		}
		if (!exited)
			proc_stop(&dev, 2000);
		char st[64];
		snprintf(exits + strlen(exits), sizeof exits - strlen(exits), "%s\"%s\"",
			boots ? "," : "", exited ? proc_status_text(dev.status, st, sizeof st) : "killed");
		append_file(cons, console);
		if (error != NULL || !exited) {
			free(cons);
			boots++;
			break;
		}
		/* Boot again when the device asked for a reboot after installing:
		 * the agent's exit 10, which init reports on a QEMU console. */
		int reboot = t->driver == TGT_NATIVE
			? WIFEXITED(dev.status) && WEXITSTATUS(dev.status) == 10
			: file_has(cons, "agent-exit status=10");
		if (t->driver == TGT_QEMU && !booted && error == NULL) {
			snprintf(errbuf, sizeof errbuf, "the device powered off without booting (see "
				"%s)", cons);
			error = errbuf;
		}
		free(cons);
		if (!reboot) {
			boots++;
			break;
		}
	}
	free(console);
done:
	if (live != NULL) {
		uint64_t pk;
		if (cap_live_stop(live, &pk, err, sizeof err) != 0)
			snprintf(caperr, sizeof caperr, "%s", err);
	}
	proc_stop(&dev, 2000);
	proc_stop(&srv, 5000);
	if (fd >= 0)
		close(fd);
	write_run_json(pdir, boots, exits, error, caperr[0] ? caperr : NULL, proc_now_ms() - t0);
	free(slog);
	for (i = 0; i < nown; i++)
		free(own[i]);
}

static int
case_main(run_case *c, const run_opts *o)
{
	char err[1024];
	tgt t;
	size_t i;
	char *etc = xasprintf("%s/etc", c->dir), *pkid = xasprintf("%s/pki/%s", o->out, c->scn->name);
	char *signing = xasprintf("%s/keys/signing-key.pem", o->out);
	int ret = 2;

	signal(SIGINT, case_signal);
	signal(SIGTERM, case_signal);
	if (tgt_load(&t, c->target, o->build_dir, err, sizeof err) != 0) {
		/* Every phase gets the reason. */
		for (i = 0; i < c->scn->nphases; i++) {
			char *pdir = xasprintf("%s/%02zu-%s", c->dir, i + 1, c->scn->phases[i].name);
			util_mkdirs(pdir, 0755, NULL, 0);
			write_phase_json(c, &c->scn->phases[i], pdir, 1, NULL, 0, 0);
			write_run_json(pdir, 0, "", err, NULL, 0);
			free(pdir);
		}
		goto out;
	}
	/* The device's configuration: its profile, the PKI's anchor sets, the
	 * firmware-signing public key and its name. */
	char *profdir = dev_profiles_dir();
	char *prof = profdir ? xasprintf("%s/%s.profile", profdir, c->device) : NULL;
	char *anchors = xasprintf("%s/anchors", etc), *pkianchors = xasprintf("%s/anchors", pkid);
	char *devname = xasprintf("%s/device", etc), *pub = xasprintf("%s/signing-key.pub.pem", etc);
	char *profout = xasprintf("%s/profile", etc);
	char *pubsrc = xasprintf("%s/keys/signing-key.pub.pem", o->out);
	buf_t nb = {0};
	buf_printf(&nb, "%s\n", c->device);
	const char *prep_err = NULL;
	if (util_mkdirs(etc, 0755, err, sizeof err) != 0
		|| prof == NULL || copy_file(prof, profout, 0644, err, sizeof err) != 0
		|| copy_dir(pkianchors, anchors, err, sizeof err) != 0
		|| copy_file(pubsrc, pub, 0644, err, sizeof err) != 0
		|| write_text(devname, &nb, err, sizeof err) != 0
		|| tgt_prepare(&t, c->device, c->dir, etc, err, sizeof err) != 0)
		prep_err = prof == NULL ? "no device profiles directory" : err;
	free(profdir); free(prof); free(anchors); free(pkianchors); free(devname); free(pub);
	free(profout); free(pubsrc);
	buf_free(&nb);

	char *v = profile_value(c->device, "version");
	long version = v ? atol(v) : 1;
	const char *trust = NULL;
	free(v);
	for (i = 0; i < c->scn->nphases; i++) {
		const scn_phase *ph = &c->scn->phases[i];
		char *pdir = xasprintf("%s/%02zu-%s", c->dir, i + 1, ph->name);
		char *fwdir = xasprintf("%s/firmware/%s/%s", o->out, c->scn->name, ph->name);
		char *img = xasprintf("%s/image-%u.bin", fwdir, ph->firmware);
		struct stat st;
		long size = stat(img, &st) == 0 ? (long)st.st_size : -1;
		util_mkdirs(pdir, 0755, NULL, 0);
		write_phase_json(c, ph, pdir, version, trust, size, 0);
		if (prep_err != NULL)
			write_run_json(pdir, 0, "", prep_err, NULL, 0);
		else if (interrupted || !ph->power)
			write_run_json(pdir, 0, "", NULL, NULL, 0);
		else
			run_phase(c, &t, ph, pdir, pkid, fwdir, signing, version, trust, size);
		/* What the device runs next comes from the evidence, by the same
		 * standard as an update: the whole image sent and the new version
		 * checked in (an insecure device that installed counts too). Its
		 * trust store is then the one the new bundle carries, if any. */
		verdict_result r;
		if (ph->power && verdict_phase(pdir, &r, err, sizeof err) == 0
			&& (long)ph->firmware > version && r.reported_version == (long)ph->firmware
			&& size > 0 && r.image_bytes_sent >= (uint64_t)size) {
			version = (long)ph->firmware;
			trust = ph->firmware_trust;
		}
		free(pdir);
		free(fwdir);
		free(img);
	}
	ret = interrupted ? 2 : 0;
	tgt_free(&t);
out:
	free(etc);
	free(pkid);
	free(signing);
	return ret;
}

/* ---- Results ---- */

static void
xml_escape(buf_t *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': buf_puts(b, "&lt;"); break;
		case '>': buf_puts(b, "&gt;"); break;
		case '&': buf_puts(b, "&amp;"); break;
		case '"': buf_puts(b, "&quot;"); break;
		case '\'': buf_puts(b, "&apos;"); break;
		default:
			if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
				buf_printf(b, "&#%d;", *s);
			else
				buf_putc(b, *s);
		}
	}
}

static int
is_error(const verdict_result *r)
{
	return r->observed == OUT_ERROR || r->observed == OUT_INTERRUPTED;
}

/* see runner.h */
int
run_write_results(const char *dir, const verdict_result *res, char *const *evidence,
	size_t n, const char *meta, char *err, size_t errlen)
{
	buf_t js = {0}, xml = {0}, txt = {0};
	size_t i, j, pass = 0, fail = 0, errors = 0, req_fail = 0;
	int ret = -1;

	for (i = 0; i < n; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		if (is_error(&res[i]))
			errors++;
		else if (res[i].pass)
			pass++;
		else {
			fail++;
			req_fail += res[i].required;
		}
	}
	buf_printf(&js, "{%s%s\"passed\":%zu,\"failed\":%zu,\"errors\":%zu,"
		"\"required_failed\":%zu,\"records\":[\n", meta, meta[0] ? "," : "", pass, fail,
		errors, req_fail);
	for (i = 0; i < n; i++) {
		if (i)
			buf_puts(&js, ",\n");
		verdict_json(&res[i], evidence[i], &js);
	}
	buf_puts(&js, "\n]}\n");

	buf_printf(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rotsim\" "
		"tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", pass + fail + errors, fail, errors);
	for (i = 0; i < n; i = j) {
		size_t t = 0, f = 0, e = 0;
		for (j = i; j < n && strcmp(res[j].scenario, res[i].scenario) == 0; j++) {
			if (res[j].observed == OUT_OFF)
				continue;
			t++;
			e += is_error(&res[j]);
			f += !is_error(&res[j]) && !res[j].pass;
		}
		buf_puts(&xml, "  <testsuite name=\"");
		xml_escape(&xml, res[i].scenario);
		buf_printf(&xml, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\">\n", t, f, e);
		for (size_t k = i; k < j; k++) {
			const verdict_result *r = &res[k];
			if (r->observed == OUT_OFF)
				continue;
			buf_puts(&xml, "    <testcase classname=\"");
			xml_escape(&xml, r->scenario);
			buf_putc(&xml, '.');
			xml_escape(&xml, r->device);
			buf_putc(&xml, '@');
			xml_escape(&xml, r->target);
			buf_puts(&xml, "\" name=\"");
			xml_escape(&xml, r->phase);
			buf_printf(&xml, " (%.10s)\">\n", r->date);
			if (is_error(r) || !r->pass) {
				buf_printf(&xml, "      <%s type=\"%s\" message=\"", is_error(r)
					? "error" : "failure", scn_outcome_name(r->observed));
				buf_t line = {0};
				verdict_line(r, &line);
				xml_escape(&xml, buf_cstr(&line));
				buf_puts(&xml, "\">");
				xml_escape(&xml, buf_cstr(&line));
				buf_printf(&xml, "\nevidence: %s</%s>\n", evidence[k],
					is_error(r) ? "error" : "failure");
				buf_free(&line);
			}
			buf_puts(&xml, "      <system-out>");
			xml_escape(&xml, evidence[k]);
			buf_puts(&xml, "</system-out>\n    </testcase>\n");
		}
		buf_puts(&xml, "  </testsuite>\n");
	}
	buf_puts(&xml, "</testsuites>\n");

	for (i = 0; i < n; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		verdict_line(&res[i], &txt);
		buf_putc(&txt, '\n');
	}
	buf_printf(&txt, "\n%zu passed, %zu failed, %zu errors (%zu Required expectations not met)\n",
		pass, fail, errors, req_fail);

	char *p1 = xasprintf("%s/summary.json", dir), *p2 = xasprintf("%s/junit.xml", dir),
		*p3 = xasprintf("%s/summary.txt", dir);
	if (write_text(p1, &js, err, errlen) == 0 && write_text(p2, &xml, err, errlen) == 0
		&& write_text(p3, &txt, err, errlen) == 0)
		ret = 0;
	free(p1);
	free(p2);
	free(p3);
	buf_free(&js);
	buf_free(&xml);
	buf_free(&txt);
	return ret;
}

/* Decide the verdicts of a finished case, in phase order, and print them. */
static void
collect_case(run_case *c, const char *out, int quiet, int tty)
{
	verdict_result **res = &c->res;
	char ***ev = &c->ev;
	size_t *n = &c->nres;

	size_t i;
	char err[512];

	for (i = 0; i < c->scn->nphases; i++) {
		char *pdir = xasprintf("%s/%02zu-%s", c->dir, i + 1, c->scn->phases[i].name);
		verdict_result r;
		if (verdict_phase(pdir, &r, err, sizeof err) != 0) {
			/* Never started (interrupted before it): say so. */
			memset(&r, 0, sizeof r);
			snprintf(r.scenario, sizeof r.scenario, "%s", c->scn->name);
			snprintf(r.device, sizeof r.device, "%s", c->device);
			snprintf(r.target, sizeof r.target, "%s", c->target);
			snprintf(r.phase, sizeof r.phase, "%s", c->scn->phases[i].name);
			simtime_format(r.date, sizeof r.date, c->scn->phases[i].date);
			const scn_expect *x = scn_expect_for(&c->scn->phases[i], c->device);
			r.expected = x ? x->outcome : OUT_OFF;
			r.required = x ? x->required : 0;
			r.observed = interrupted ? OUT_INTERRUPTED : OUT_ERROR;
			r.reported_version = -1;
			snprintf(r.reason, sizeof r.reason, "%s", interrupted
				? "the run was interrupted before this phase" : err);
		}
		*res = xrealloc(*res, (*n + 1) * sizeof **res);
		*ev = xrealloc(*ev, (*n + 1) * sizeof **ev);
		(*res)[*n] = r;
		(*ev)[*n] = xstrdup(pdir + strlen(out) + 1);
		(*n)++;
		if (!quiet && r.observed != OUT_OFF) {
			buf_t line = {0};
			verdict_line(&r, &line);
			printf("%s%s\n", tty ? "\r\033[K" : "", buf_cstr(&line));
			buf_free(&line);
		}
		free(pdir);
	}
	fflush(stdout);
}

static void
progress(size_t done, size_t total, const run_case *cases, size_t ncases)
{
	size_t i, shown = 0;

	fprintf(stderr, "\r\033[K[%zu/%zu cases] running:", done, total);
	for (i = 0; i < ncases && shown < 3; i++)
		if (cases[i].pid > 0) {
			fprintf(stderr, " %s/%s@%s", cases[i].scn->name, cases[i].device, cases[i].target);
			shown++;
		}
	fflush(stderr);
}

/* see runner.h */
int
run_scenarios(scenario *scns, size_t nscn, const run_opts *o, char *err, size_t errlen)
{
	run_case *cases = NULL;
	size_t ncases = 0, i, j, k, idx = 0, running = 0, next = 0, done = 0;
	verdict_result *res = NULL;
	char **ev = NULL;
	size_t nres = 0;
	int tty = isatty(1) && isatty(2), ret = 2;
	struct sigaction sa;

	/* Plan: scenario x device x target, in a fixed order; a shard takes
	 * every n-th case. A scenario tagged native-only (it needs what only
	 * the native target offers, such as SNTP over UDP) is left out of
	 * other targets, and the run says so. */
	for (i = 0; i < nscn; i++)
		for (k = 0; k < o->ntargets; k++)
			if (scn_has_tag(&scns[i], "native-only") && strcmp(o->targets[k], "native") != 0)
				fprintf(stderr, "rotsim run: %s is tagged native-only: not run on %s\n",
					scns[i].name, o->targets[k]);
	for (i = 0; i < nscn; i++)
		for (j = 0; j < scns[i].ndevices; j++) {
			int want = o->ndevices == 0;
			for (k = 0; k < o->ndevices; k++)
				want |= strcmp(o->devices[k], scns[i].devices[j]) == 0;
			if (!want)
				continue;
			for (k = 0; k < o->ntargets; k++, idx++) {
				if (scn_has_tag(&scns[i], "native-only")
					&& strcmp(o->targets[k], "native") != 0)
					continue;
				if (o->shard_n > 1 && (int)(idx % (size_t)o->shard_n) != o->shard_k - 1)
					continue;
				cases = xrealloc(cases, (ncases + 1) * sizeof *cases);
				run_case *c = &cases[ncases++];
				memset(c, 0, sizeof *c);
				c->scn = &scns[i];
				c->device = scns[i].devices[j];
				c->target = o->targets[k];
				c->dir = xasprintf("%s/cases/%s/%s@%s", o->out, c->scn->name, c->device,
					c->target);
			}
		}
	if (ncases == 0) {
		util_err(err, errlen, "no case to run (check --device and --shard)");
		goto out;
	}

	if (!o->quiet) {
		size_t used = 0;
		for (i = 0; i < nscn; i++) {
			for (j = 0; j < ncases && cases[j].scn != &scns[i]; j++)
				;
			if (j < ncases)
				fprintf(stderr, "%s%s", used++ ? ", " : "rotsim run: ", scns[i].name);
		}
		fprintf(stderr, ": %zu case%s on", ncases, ncases == 1 ? "" : "s");
		for (k = 0; k < o->ntargets; k++)
			fprintf(stderr, " %s", o->targets[k]);
		fprintf(stderr, ", %d at once; results in %s\n", o->jobs, o->out);
	}

	/* What cases share. */
	char *keys = xasprintf("%s/keys", o->out);
	char *sk = xasprintf("%s/signing-key.pem", keys), *pub = xasprintf("%s/signing-key.pub.pem",
		keys);
	fw_key key;
	int kr = util_mkdirs(keys, 0700, err, errlen);
	if (kr == 0 && access(sk, R_OK) != 0)
		kr = fw_key_generate(&key, err, errlen) == 0 ? fw_key_save(&key, sk, err, errlen) : -1;
	else if (kr == 0)
		kr = fw_key_load(&key, sk, err, errlen);
	if (kr == 0) {
		char *pem = fw_key_pub_pem(&key);
		kr = util_write_atomic(pub, pem, strlen(pem), 0644, err, errlen);
		free(pem);
	}
	fw_key_wipe(&key);
	free(keys);
	free(sk);
	free(pub);
	if (kr != 0)
		goto out;
	for (i = 0; i < nscn; i++) {
		int used = 0;
		for (j = 0; j < ncases; j++)
			used |= cases[j].scn == &scns[i];
		if (used) {
			if (!o->quiet && tty)
				fprintf(stderr, "\r\033[Kpreparing %s (PKI, firmware)", scns[i].name);
			if (prepare_scenario(&scns[i], o, err, errlen) != 0)
				goto out;
		}
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	while (done < ncases) {
		while (!interrupted && running < (size_t)(o->jobs > 0 ? o->jobs : 1) && next < ncases) {
			run_case *c = &cases[next++];
			util_mkdirs(c->dir, 0755, NULL, 0);
			pid_t pid = fork();
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(2);
				_exit(case_main(c, o));
			}
			if (pid < 0) {
				util_err(err, errlen, "fork: %s", strerror(errno));
				interrupted = 1;
				break;
			}
			c->pid = pid;
			running++;
		}
		if (tty && !o->quiet)
			progress(done, ncases, cases, ncases);
		if (interrupted) {
			/* Stop every running case: each kills its server and device. */
			for (i = 0; i < ncases; i++)
				if (cases[i].pid > 0)
					kill(cases[i].pid, SIGTERM);
		}
		if (running == 0) {
			/* Interrupted before these cases started. */
			for (; next < ncases; next++) {
				cases[next].finished = 1;
				done++;
			}
			break;
		}
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < ncases; i++) {
			if (cases[i].pid != w)
				continue;
			cases[i].pid = 0;
			cases[i].finished = 1;
			running--;
			done++;
			/* One line per phase as the case finishes. */
			collect_case(&cases[i], o->out, o->quiet, tty && !o->quiet);
		}
	}
	if (tty && !o->quiet)
		fprintf(stderr, "\r\033[K");
	/* Cases that never ran (an interruption) are recorded too; then all in
	 * plan order. */
	for (i = 0; i < ncases; i++) {
		if (cases[i].nres == 0)
			collect_case(&cases[i], o->out, o->quiet, 0);
		for (j = 0; j < cases[i].nres; j++) {
			res = xrealloc(res, (nres + 1) * sizeof *res);
			ev = xrealloc(ev, (nres + 1) * sizeof *ev);
			res[nres] = cases[i].res[j];
			ev[nres++] = cases[i].ev[j];
		}
		free(cases[i].res);
		free(cases[i].ev);
		cases[i].res = NULL;
		cases[i].ev = NULL;
	}

	buf_t meta = {0};
	time_t now = time(NULL);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	buf_printf(&meta, "\"rotsim\":\"%s\",\"finished\":\"%s\",\"seed\":", rotsim_version, when);
	json_put_str(&meta, o->seed);
	buf_printf(&meta, ",\"cases\":%zu,\"shard\":\"%d/%d\",\"interrupted\":%s", ncases,
		o->shard_k, o->shard_n, interrupted ? "true" : "false");
	/* What the devices booted from, and the emulator, as this run found them. */
	{
		int first = 1;
		char *qv = NULL;
		buf_puts(&meta, ",\"images\":[");
		for (k = 0; k < o->ntargets; k++) {
			tgt t;
			if (tgt_load(&t, o->targets[k], o->build_dir, err, errlen) != 0)
				continue;
			if (qv == NULL)
				qv = tgt_emulator_version(&t);
			for (i = 0; i < ncases; i++) {
				for (j = 0; j < i; j++)
					if (strcmp(cases[j].device, cases[i].device) == 0
						&& strcmp(cases[j].target, cases[i].target) == 0)
						break;
				if (j == i && strcmp(cases[i].target, o->targets[k]) == 0)
					first = tgt_image_hashes(&t, cases[i].device, &meta, first);
			}
			tgt_free(&t);
		}
		buf_puts(&meta, "]");
		if (qv != NULL) {
			buf_puts(&meta, ",\"qemu\":");
			json_put_str(&meta, qv);
			free(qv);
		}
	}
	if (run_write_results(o->out, res, ev, nres, buf_cstr(&meta), err, errlen) != 0) {
		buf_free(&meta);
		goto out;
	}
	buf_free(&meta);
	size_t fails = 0, errors = 0;
	for (i = 0; i < nres; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		errors += is_error(&res[i]);
		fails += !is_error(&res[i]) && !res[i].pass;
	}
	size_t pass = 0;
	for (i = 0; i < nres; i++)
		pass += res[i].observed != OUT_OFF && !is_error(&res[i]) && res[i].pass;
	printf("\n%zu passed, %zu failed, %zu errors; results in %s\n", pass, fails, errors, o->out);
	ret = interrupted || errors ? 2 : fails ? 1 : 0;
	if (interrupted)
		util_err(err, errlen, "interrupted: partial results in %s", o->out);
	else
		err[0] = 0;
out:
	for (i = 0; i < ncases; i++)
		free(cases[i].dir);
	free(cases);
	for (i = 0; i < nres; i++)
		free(ev[i]);
	free(ev);
	free(res);
	return ret;
}

/* see runner.h */
int
run_reverdict(const char *dir, int verbose, char *err, size_t errlen)
{
	char *path = xasprintf("%s/summary.json", dir);
	unsigned char *data;
	size_t len, i, agree = 0, differ = 0;
	json *j;
	char msg[256];

	if (util_read_file(path, &data, &len, err, errlen) != 0) {
		free(path);
		return 2;
	}
	j = json_parse((const char *)data, len, msg, sizeof msg);
	free(data);
	if (j == NULL) {
		util_err(err, errlen, "%s: %s", path, msg);
		free(path);
		return 2;
	}
	free(path);
	const json *recs = json_get(j, "records");
	if (recs == NULL || recs->type != JSON_ARRAY) {
		util_err(err, errlen, "%s/summary.json: no records", dir);
		json_free(j);
		return 2;
	}
	for (i = 0; i < recs->n; i++) {
		const json *r = recs->items[i];
		const char *evd = json_get_str(r, "evidence"), *obs = json_get_str(r, "observed"),
			*ver = json_get_str(r, "verdict");
		verdict_result v;
		char *pdir = xasprintf("%s/%s", dir, evd ? evd : "?");
		if (verdict_phase(pdir, &v, msg, sizeof msg) != 0) {
			if (obs != NULL && strcmp(obs, "interrupted") == 0) {
				agree++;
			} else {
				printf("%s: %s\n", evd ? evd : "?", msg);
				differ++;
			}
		} else if (obs == NULL || ver == NULL || strcmp(obs, scn_outcome_name(v.observed)) != 0
			|| strcmp(ver, v.pass ? "pass" : "fail") != 0) {
			printf("%s: the run said %s/%s, the evidence says %s/%s (%s)\n", evd,
				obs ? obs : "?", ver ? ver : "?", scn_outcome_name(v.observed),
				v.pass ? "pass" : "fail", v.reason);
			differ++;
		} else {
			agree++;
			if (verbose) {
				buf_t line = {0};
				verdict_line(&v, &line);
				printf("%s\n", buf_cstr(&line));
				buf_free(&line);
			}
		}
		free(pdir);
	}
	json_free(j);
	printf("%zu records: %zu agree with the evidence, %zu differ\n", agree + differ, agree,
		differ);
	return differ ? 1 : 0;
}
