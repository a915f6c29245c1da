/*
 * One case, in its own process: for each phase the update server, the capture
 * and the device's boots, leaving the evidence in the phase's directory. See
 * run_int.h.
 */
#include "run/run_int.h"
#include "run/proc.h"
#include "target/target.h"
#include "capture/capture.h"
#include "net/labnet.h"
#include "common/fault.h"
#include "common/json.h"
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "time/simtime.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_BOOTS 4

/* The case's live capture handle, opened at its first phase that captures on
 * a host interface and kept for the next ones: its packet ring is made and
 * mapped once per case rather than once per phase. Closed by case_main. */
static cap_live *case_cap;

/* ---- Lab network (net/labnet.h): the case's own network, when the target
 * joins one (t->lab). Opened by case_main in this process's namespace. ---- */
static labnet lab;

/* The update server's entry, when the case starts it without exec (run_opts'
 * serve), else NULL. Set by case_main. */
static int (*serve_fn)(int, char **);

/* The update host's name: the scenario's, else the default. */
static const char *
update_host(const scenario *s)
{
	return s->host != NULL ? s->host : SCN_DEFAULT_HOST;
}

/* The lab-network parameters of a phase, from its "lab" options: DNS answers
 * the scenario's update host, SNTP serves the phase's date (the lab serves
 * the time, not the update server) unless the phase turns it off. */
static int
lab_phase_of(const scenario *s, const scn_phase *ph, const char *pdir, labnet_phase *lp,
	char *err, size_t errlen)
{
	memset(lp, 0, sizeof *lp);
	lp->dir = pdir;
	lp->names[0] = update_host(s);
	lp->date = ph->date;
	lp->server_port = 443;
	lp->options = (const char *const *)ph->lab;
	lp->noptions = ph->nlab;
	for (size_t i = 0; i < ph->nlab; i++)
		if (labnet_option(lp, ph->lab[i], err, errlen) != 0)
			return -1;
	if (!ph->sntp)
		lp->ntp_silent = 1;
	return 0;
}
/* ---- end lab network ---- */
/* ---- The update protocol a device speaks (sim/server/PROTOCOL.md) ---- */

/* From the device's description: "protocol" (rotsim, files, hawkbit),
 * "version-signal" (files: checkin:PATH, request:PATTERN, console:TEXT) and
 * "image-path" (files, hawkbit: where the image is served). */
typedef struct {
	char *protocol, *signal, *image_path;
	char *bundle;			/* "swu": the image is served as a signed bundle */
	char *checkin;			/* the PATH of a checkin: signal, or NULL */
} dev_proto;

static void
dev_proto_free(dev_proto *dp)
{
	free(dp->protocol);
	free(dp->signal);
	free(dp->image_path);
	free(dp->bundle);
	free(dp->checkin);
	memset(dp, 0, sizeof *dp);
}

/* Read and check the device's protocol keys. 0, or -1 with err. */
static int
dev_proto_read(const char *device, dev_proto *dp, char *err, size_t errlen)
{
	memset(dp, 0, sizeof *dp);
	dp->protocol = dev_profile_value(device, "protocol");
	dp->signal = dev_profile_value(device, "version-signal");
	dp->image_path = dev_profile_value(device, "image-path");
	dp->bundle = dev_profile_value(device, "bundle");
	if (dp->protocol == NULL || dp->protocol[0] == 0) {
		free(dp->protocol);
		dp->protocol = xstrdup("rotsim");
	}
	if (strcmp(dp->protocol, "rotsim") != 0 && strcmp(dp->protocol, "files") != 0
		&& strcmp(dp->protocol, "hawkbit") != 0)
		return util_err(err, errlen, "device %s: protocol \"%s\" is not rotsim, files or "
			"hawkbit", device, dp->protocol);
	if (strcmp(dp->protocol, "files") == 0) {
		const char *sg = dp->signal;

		if (sg == NULL || (strncmp(sg, "checkin:/", 9) != 0
			&& !(strncmp(sg, "request:", 8) == 0 && sg[8] != 0)
			&& !(strncmp(sg, "console:", 8) == 0 && sg[8] != 0)))
			return util_err(err, errlen, "device %s: protocol files needs version-signal "
				"= checkin:PATH, request:PATTERN or console:TEXT (\"%s\")", device,
				sg != NULL ? sg : "none");
		if (strncmp(sg, "checkin:", 8) == 0)
			dp->checkin = xstrdup(sg + 8);
	}
	if (dp->bundle != NULL && (strcmp(dp->bundle, "swu") != 0
		|| strcmp(dp->protocol, "rotsim") == 0))
		return util_err(err, errlen, "device %s: bundle \"%s\" needs protocol files or "
			"hawkbit and is swu", device, dp->bundle);
	return 0;
}

/* The phase's protocol.json, which the verdict reads (verdict/proto.h). */
static int
write_protocol_json(const char *pdir, const dev_proto *dp, char *err, size_t errlen)
{
	buf_t b = {0};
	char *path = xasprintf("%s/protocol.json", pdir);
	int r;

	buf_puts(&b, "{\"protocol\":");
	json_put_str(&b, dp->protocol);
	if (strcmp(dp->protocol, "rotsim") != 0) {
		buf_puts(&b, ",\"image_path\":");
		json_put_str(&b, dp->image_path != NULL ? dp->image_path : "/firmware/update.bin");
	}
	if (dp->signal != NULL && strcmp(dp->protocol, "files") == 0) {
		buf_puts(&b, ",\"signal\":");
		json_put_str(&b, dp->signal);
	}
	buf_puts(&b, "}\n");
	r = write_text(path, &b, err, errlen);
	buf_free(&b);
	free(path);
	return r;
}

/* How long a device whose console said "done" may take to power off or
 * reset by itself before the harness powers it off. */
#define DONE_GRACE_MS 3000

/* ---- Small file helpers ---- */

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


/* A file's text, NUL-terminated, allocated; NULL if unreadable. */
static char *
file_text(const char *path)
{
	unsigned char *data;
	size_t len;
	char err[64];

	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return NULL;
	data = xrealloc(data, len + 1);
	data[len] = 0;
	return (char *)data;
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
	if ((f = util_fopen_evidence(to, UTIL_EV_APPEND, NULL, 0)) != NULL) {
		fwrite(data, 1, len, f);
		fclose(f);
	}
	free(data);
}

/* The server's arguments for a phase; fault ids become files. */
static void
server_argv(const scn_phase *ph, const char *pdir, const char *pkid, const char *fwdir,
	const char *signing, int sntp, const char *host, const dev_proto *dp,
	const char *bundle, long version_before, char **argv, char **own, size_t *nown)
{
	size_t n = 0, i;
	/* host: where to listen (the lab's address on the lab network) */

#define ARG(s) (argv[n++] = (s))
#define OWN(s) (argv[n++] = own[(*nown)++] = (s))
	OWN(self_exe());
	ARG("serve");
	ARG("--listen");
	OWN(host ? xasprintf("%s:443", host) : xstrdup("127.0.0.1:0"));
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
		OWN(host ? xasprintf("%s:123", host) : xstrdup("127.0.0.1:0"));
	}
	/* The device's protocol; hawkBit's server knows what the device runs,
	 * as a real one does from its own records. */
	if (strcmp(dp->protocol, "rotsim") != 0) {
		ARG("--protocol");
		ARG(dp->protocol);
		if (dp->image_path != NULL) {
			ARG("--image-path");
			ARG(dp->image_path);
		}
		if (dp->checkin != NULL) {
			ARG("--checkin");
			ARG(dp->checkin);
		}
		if (bundle != NULL) {
			ARG("--image-file");
			ARG((char *)bundle);
		}
		if (strcmp(dp->protocol, "hawkbit") == 0) {
			ARG("--installed-version");
			OWN(xasprintf("%ld", version_before > 0 ? version_before : 0));
			ARG("--poll-sleep");
			ARG("1");
		}
	}
	/* The scenario's faults name PKI ids; the server's name files of the
	 * phase's PKI directory. The scenario was checked when it was read, so
	 * a fault that does not translate is passed as written and the server
	 * refuses it with its own message (in server.log). */
	for (i = 0; i < ph->nfaults && n < 56; i++) {
		char ferr[256], *f = fault_server_arg(ph->faults[i], pkid, ferr, sizeof ferr);

		ARG("--fault");
		OWN(f != NULL ? f : xstrdup(ph->faults[i]));
	}
	ARG(NULL);
#undef ARG
#undef OWN
}

/* Occurrences of needle in the file at path (0 when unreadable). */
static size_t
file_count(const char *path, const char *needle)
{
	unsigned char *data, *p;
	size_t len, n = 0, k = strlen(needle);
	char err[64];

	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return 0;
	for (p = data; (p = memmem(p, len - (size_t)(p - data), needle, k)) != NULL; p += k)
		n++;
	free(data);
	return n;
}

/* How long the server may take, after the device's last power-off, to finish
 * the connections the device left. A bound only: the wait ends as soon as the
 * server's events say every connection is closed. */
#define SETTLE_MS 2000

/*
 * Wait until the server has closed every connection it logged (one
 * "handshake" and one "close" event each, srv_conn_free in sim/server/conn.c), at most
 * SETTLE_MS: after the device is off, its side of each connection is closed,
 * and the server's own close (its events, its FIN on the wire) follows when it
 * has read that. Stopping the server earlier would end such a connection as
 * "server stopped", and a capture stopped earlier would miss the server's
 * FIN. Woken by inotify at each write to the events file (the server flushes
 * every event), so no tick is waited out.
 */
static void
server_settle(const char *events)
{
	long long end = proc_now_ms() + SETTLE_MS;
	int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	int wd = in >= 0 ? inotify_add_watch(in, events, IN_MODIFY) : -1;

	for (;;) {
		/* Watch first, then count: a write after the count wakes the
		 * poll. */
		if (file_count(events, "\"event\":\"close\"")
			>= file_count(events, "\"event\":\"handshake\""))
			break;
		long long left = end - proc_now_ms();
		if (left <= 0)
			break;
		if (wd < 0) {
			struct timespec ts = { 0, 5 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			continue;
		}
		struct pollfd pf = { in, POLLIN, 0 };
		if (poll(&pf, 1, (int)left) > 0) {
			char ev[4096];
			while (read(in, ev, sizeof ev) > 0)
				;
		}
	}
	if (in >= 0)
		close(in);
}

/* Whether this process runs one thread only (/proc/self/status): a fork
 * that goes on running the server's code, not exec, is safe only then, as
 * another thread may hold a lock the child would wait on for ever. */
static int
one_thread(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "re");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n == 1;
}

/* Run one phase: server, capture, boots. Leaves the evidence in pdir.
 * Returns 0, or -1 when its evidence could not be written. */
static int
run_phase(const run_case *c, const tgt *t, const scn_phase *ph, const char *pdir,
	const char *pkid, const char *fwdir, const char *signing, long version_before,
	const char *trust, long image_size, const dev_proto *dp, const char *bundle)
{
	char *argv[64], *own[64], line[256], err[512], exits[256] = "";
	size_t nown = 0, i;
	proc srv;
	int fd = -1, port = 0, sntp_port = 0, boots = 0;
	int want_sntp = ph->sntp && t->udp;
	const char *error = NULL;
	char errbuf[768], caperr[512] = "", werr[512];
	cap_live *live = NULL;
	int ret = 0, planned = 0;
	long long t0 = proc_now_ms();
	proc_io io;
	labnet_phase lp;	/* lab network */
	char *slog = xasprintf("%s/server.log", pdir);

	memset(&srv, 0, sizeof srv);
	memset(&lp, 0, sizeof lp);
	if (t->lab) {		/* lab network: DHCP, DNS, sink and capture first */
		if (lab_phase_of(c->scn, ph, pdir, &lp, err, sizeof err) != 0
			|| labnet_phase_start(&lab, &lp, err, sizeof err) != 0) {
			snprintf(errbuf, sizeof errbuf, "the lab network: %s", err);
			error = errbuf;
			goto done;
		}
		want_sntp = 0;	/* the lab's own responder (labnet_phase_start) */
	}
	server_argv(ph, pdir, pkid, fwdir, signing, want_sntp,
		t->lab ? labnet_server_addr(&lab) : NULL, dp, bundle, version_before, argv, own,
		&nown);
	memset(&io, 0, sizeof io);
	io.stdout_pipe = 1;
	io.out_fd = &fd;
	io.stderr_path = slog;
	/* Without exec where this process runs no thread of its own (a lab
	 * network's services are threads): a fork of the case starts in a
	 * fraction of the time a new rotsim takes to load. */
	int fork_server = serve_fn != NULL && !t->lab && one_thread();
	if (fork_server) {
		char *key = xasprintf("%s/%s.key.pem", pkid, ph->leaf);
		warm_server_crypto(key);
		free(key);
	}
	if ((fork_server
		? proc_spawn_fn(&srv, "server", serve_fn, argv + 1, &io, err, sizeof err)
		: proc_spawn(&srv, "server", argv, &io, err, sizeof err)) != 0) {
		snprintf(errbuf, sizeof errbuf, "the update server did not start: %s", err);
		error = errbuf;
		goto done;
	}
	if (proc_read_line(fd, line, sizeof line, 10000) < 0
		|| sscanf(line, "listening %*[0-9.]:%d", &port) != 1) {
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
	tgt_capture cp;
	t->drv->capture(t, port, sntp_port, &cp);
	if (cp.iface[0]) {
		char *pcap = xasprintf("%s/capture.pcap", pdir);
		if (case_cap != NULL && strcmp(cap_live_iface(case_cap), cp.iface) != 0) {
			cap_live_close(case_cap);
			case_cap = NULL;
		}
		if ((case_cap != NULL || cap_live_open(cp.iface, &case_cap, caperr,
			sizeof caperr) == 0)
			&& cap_live_begin(case_cap, cp.filter, pcap, caperr, sizeof caperr) == 0)
			live = case_cap;
		free(pcap);
	}
	/* The server's port as the device sees it on the wire, for the
	 * verdict's reading of the capture. */
	if (write_phase_json(c, ph, pdir, version_before, trust, image_size,
		t->drv->wire_port(t, port), werr, sizeof werr) != 0) {
		/* A phase whose plan is not on disk has no evidence to judge. */
		snprintf(errbuf, sizeof errbuf, "evidence not written: %s", werr);
		error = errbuf;
		goto done;
	}
	planned = 1;
	char *console = xasprintf("%s/console.log", pdir);
	for (boots = 0; boots < MAX_BOOTS && !interrupted; boots++) {
		tgt_boot_args a;
		tgt_power *pw = NULL;
		tgt_end end;
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
		a.lab_iface = t->lab ? lab.iface : NULL;
		if (t->drv->power_on(t, &a, &pw, err, sizeof err) != 0) {
			snprintf(errbuf, sizeof errbuf, "%s", err);
			error = errbuf;
			break;
		}
		char *cons = xasprintf("%s/console-%d.log", pdir, boots);
		long long start = proc_now_ms(), done_at = -1;
		int booted = t->booted == NULL, off = 0;
		while (!interrupted) {
			if (t->drv->wait(pw, 100)) {
				off = 1;
				break;
			}
			if (!booted && util_file_contains(cons, t->booted))
				booted = 1;
			long long now = proc_now_ms(), el = now - start;
			/* A device that keeps running after its work (real firmware
			 * does) is powered off once its console says it is done, after
			 * a grace period in which it may still power off or reset. */
			if (booted && t->done != NULL && done_at < 0 && util_file_contains(cons, t->done))
				done_at = now;
			if (done_at >= 0 && now - done_at > DONE_GRACE_MS)
				break;
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
		t->drv->power_off(pw, &end);
		if (!booted && util_file_contains(cons, t->booted))
			booted = 1;
		snprintf(exits + strlen(exits), sizeof exits - strlen(exits), "%s\"%s\"",
			boots ? "," : "", end.how);
		append_file(cons, console);
		if (error != NULL || (!off && done_at < 0)) {
			free(cons);
			boots++;
			break;
		}
		if (!booted) {
			snprintf(errbuf, sizeof errbuf, "the device powered off without booting: no "
				"\"%s\" on its console (see %s)", t->booted, cons + strlen(pdir) + 1);
			error = errbuf;
			free(cons);
			boots++;
			break;
		}
		/* Boot again when the device asked for a reboot after installing,
		 * in a way the description names: a guest reset, an exit status or
		 * a console line. */
		char *text = file_text(cons), why[128];
		int reboot = tgt_reboot_requested(t, &end, text, why, sizeof why);
		free(text);
		free(cons);
		if (!reboot) {
			boots++;
			break;
		}
	}
	free(console);
done:
	/* The server first, once it has finished with the device: all it sent
	 * is then on the wire, and in the capture, before the capture ends. */
	if (port > 0 && !interrupted) {
		char *events = xasprintf("%s/server-events.jsonl", pdir);
		server_settle(events);
		free(events);
	}
	proc_stop(&srv, 5000);
	if (live != NULL) {
		uint64_t pk;
		if (cap_live_end(live, &pk, err, sizeof err) != 0)
			snprintf(caperr, sizeof caperr, "%s", err);
	}
	if (t->lab && labnet_phase_stop(&lab, err, sizeof err) != 0)	/* lab network */
		snprintf(caperr, sizeof caperr, "%s", err);
	if (fd >= 0)
		close(fd);
	/* A phase that ended before its plan was written (its server did not
	 * start) has it without a port. */
	if (!planned && write_phase_json(c, ph, pdir, version_before, trust, image_size, 0,
		werr, sizeof werr) != 0)
		ret = -1;
	if (write_run_json(pdir, boots, exits, error, caperr[0] ? caperr : NULL,
		proc_now_ms() - t0, werr, sizeof werr) != 0)
		ret = -1;
	free(slog);
	for (i = 0; i < nown; i++)
		free(own[i]);
	return ret;
}

/* ---- Bundles: the image packed as the device's update client takes it ---- */

/* rotsim-mkswu beside this rotsim (the build's bin/, an installed bin/), else
 * on PATH. */
static char *
mkswu_path(void)
{
	char *exe = self_exe(), *slash = strrchr(exe, '/'), *p;

	if (slash != NULL) {
		*slash = 0;
		p = xasprintf("%s/rotsim-mkswu", exe);
		if (access(p, X_OK) == 0) {
			free(exe);
			return p;
		}
		free(p);
	}
	free(exe);
	return xstrdup("rotsim-mkswu");
}

/* Run rotsim-mkswu with args (NULL-terminated, after the program), its
 * output appended to log. 0, or -1 with err. */
static int
mkswu(char *const *args, const char *log, char *err, size_t errlen)
{
	char *argv[16], st[64];
	size_t n = 0;
	proc p;
	proc_io io;
	int r = -1;

	argv[n++] = mkswu_path();
	while (*args != NULL && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	memset(&p, 0, sizeof p);
	memset(&io, 0, sizeof io);
	io.stdout_path = io.stderr_path = log;
	io.append = 1;
	if (proc_spawn(&p, "mkswu", argv, &io, err, errlen) != 0)
		goto out;
	if (proc_wait(&p, 120000) != 1) {
		proc_stop(&p, 1000);
		util_err(err, errlen, "%s did not finish within 120 s (see %s)", argv[0], log);
		goto out;
	}
	if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0) {
		util_err(err, errlen, "%s: %s (see %s)", argv[0],
			proc_status_text(p.status, st, sizeof st), log);
		goto out;
	}
	r = 0;
out:
	free(argv[0]);
	return r;
}

/* The device's side of a bundle: bundle-ca.pem, the certificate its client
 * checks bundles against (made from the run's signing key), and url, where
 * it fetches the bundle. 0, or -1 with err. */
static int
bundle_etc(const run_case *c, const dev_proto *dp, const char *etc, const char *signing,
	char *err, size_t errlen)
{
	char *ca = xasprintf("%s/bundle-ca.pem", etc), *url = xasprintf("%s/url", etc);
	char *log = xasprintf("%s/bundle.log", c->dir);
	char *args[] = { "--make-cert", (char *)signing, ca, NULL };
	buf_t b = {0};
	int r;

	buf_printf(&b, "https://%s%s\n", update_host(c->scn),
		dp->image_path != NULL ? dp->image_path : "/firmware/update.bin");
	r = mkswu(args, log, err, errlen) == 0 && write_text(url, &b, err, errlen) == 0 ? 0 : -1;
	buf_free(&b);
	free(ca);
	free(url);
	free(log);
	return r;
}

/* The phase's bundle, pdir/bundle.swu: the offered image of version v signed
 * with the run's key. Its path, or NULL with err. */
static char *
bundle_make(const run_case *c, const char *pdir, const char *etc, const char *signing,
	const char *img, unsigned v, char *err, size_t errlen)
{
	char *out = xasprintf("%s/bundle.swu", pdir), *ca = xasprintf("%s/bundle-ca.pem", etc);
	char *log = xasprintf("%s/bundle.log", c->dir), ver[24];
	char *args[] = { "--key", (char *)signing, "--cert", ca, "--version", ver, "--image",
		(char *)img, out, NULL };

	snprintf(ver, sizeof ver, "%u", v);
	if (mkswu(args, log, err, errlen) != 0) {
		free(out);
		out = NULL;
	}
	free(ca);
	free(log);
	return out;
}

/* see run_int.h */
int
case_main(run_case *c, const run_opts *o)
{
	char err[1024];
	const tgt *t = c->tgt;
	size_t i;
	char *etc = xasprintf("%s/etc", c->dir), *pkid = xasprintf("%s/pki/%s", o->out, c->scn->name);
	char *signing = o->signing_key != NULL ? xstrdup(o->signing_key)
		: xasprintf("%s/keys/signing-key.pem", o->out);
	int ret = 0;

	signal(SIGINT, case_signal);
	signal(SIGTERM, case_signal);
	serve_fn = o->serve;
	/* The device's configuration: its profile, the PKI's anchor sets, the
	 * firmware-signing public key, its name and the update host's name. */
	char *prof = dev_profile_path(c->device);
	char *anchors = xasprintf("%s/anchors", etc), *pkianchors = xasprintf("%s/anchors", pkid);
	char *devname = xasprintf("%s/device", etc), *pub = xasprintf("%s/signing-key.pub.pem", etc);
	char *profout = xasprintf("%s/profile", etc);
	char *pubsrc = xasprintf("%s/keys/signing-key.pub.pem", o->out);
	buf_t nb = {0}, hb = {0};
	char *hostfile = xasprintf("%s/host", etc);
	/* The device's own name: on another TLS stack (DEVICE@STACK) the same
	 * device, whose firmware says its stack on the console. */
	buf_printf(&nb, "%.*s\n", (int)scn_device_base_len(c->device), c->device);
	buf_printf(&hb, "%s\n", update_host(c->scn));
	/* The update protocol the device speaks. */
	static char proterr[600];
	dev_proto dp;
	const char *prep_err = NULL;
	if (dev_proto_read(c->device, &dp, proterr, sizeof proterr) != 0)
		prep_err = proterr;
	/* A device that takes bundles gets their certificate and URL. The
	 * anchor sets and the public key are the run's own files, linked
	 * rather than copied where the file system allows (nothing writes to
	 * them; a copy cost a write and an fsync per file, some forty per
	 * case). */
	else if (util_mkdirs(etc, 0755, err, sizeof err) != 0
		|| prof == NULL || dev_write_profile(c->device, profout, err, sizeof err) != 0
		|| util_copy_tree(pkianchors, anchors, UTIL_COPY_LINK, err, sizeof err) != 0
		|| util_copy_file(pubsrc, pub, 0644, UTIL_COPY_LINK, err, sizeof err) != 0
		|| write_text(devname, &nb, err, sizeof err) != 0
		|| write_text(hostfile, &hb, err, sizeof err) != 0
		|| (dp.bundle != NULL && bundle_etc(c, &dp, etc, signing, err, sizeof err) != 0)
		|| t->drv->prepare(t, c->device, c->dir, etc, err, sizeof err) != 0)
		prep_err = prof == NULL ? "no profile of this device in the devices directories" : err;
	/* Lab network: this process (and so all it starts) moves to a network
	 * namespace of its own, which dies with the case. */
	static char laberr[600];
	if (prep_err == NULL && t->lab) {
		labnet_conf lc;
		memset(&lc, 0, sizeof lc);
		lc.create_tap = t->lab_iface == NULL;
		lc.host_iface = t->lab_iface;	/* a board's interface */
		lc.dir = c->dir;
		if (labnet_unshare(laberr, sizeof laberr) != 0
			|| labnet_open(&lab, &lc, laberr, sizeof laberr) != 0)
			prep_err = laberr;
	}
	free(prof); free(anchors); free(pkianchors); free(devname); free(pub);
	free(profout); free(pubsrc); free(hostfile);
	buf_free(&nb);
	buf_free(&hb);


	char *v = dev_profile_value(c->device, "version");
	long version = v ? atol(v) : 1;
	const char *trust = NULL;
	free(v);
	for (i = 0; i < c->scn->nphases; i++) {
		const scn_phase *ph = &c->scn->phases[i];
		char *pdir = xasprintf("%s/%02zu-%s", c->dir, i + 1, ph->name);
		char *fwdir = xasprintf("%s/firmware/%s/%s", o->out, c->scn->name, ph->name);
		char *img = xasprintf("%s/image-%u.bin", fwdir, ph->firmware);
		struct stat st;
		char *bundle = NULL;
		/* A device that takes a bundle is offered the phase's image in
		 * one; the whole bundle is then what must cross the wire. */
		if (prep_err == NULL && dp.bundle != NULL && ph->power
			&& util_mkdirs(pdir, 0755, err, sizeof err) == 0
			&& (bundle = bundle_make(c, pdir, etc, signing, img, ph->firmware, proterr,
			sizeof proterr)) == NULL)
			prep_err = proterr;
		long size = stat(bundle != NULL ? bundle : img, &st) == 0 ? (long)st.st_size : -1;
		/* Evidence that cannot be written makes the case's exit status 3;
		 * the phase is then judged an error for want of its records. A
		 * phase that runs writes its plan once its server's port is known
		 * (run_phase), one that does not here. */
		int runs = prep_err == NULL && !interrupted && ph->power;
		if (util_mkdirs(pdir, 0755, err, sizeof err) != 0
			|| (!runs && write_phase_json(c, ph, pdir, version, trust, size, 0, err,
			sizeof err) != 0)
			|| (prep_err == NULL && write_protocol_json(pdir, &dp, err, sizeof err) != 0))
			ret = 3;
		else if (!runs) {
			if (write_run_json(pdir, 0, "", prep_err, NULL, 0, err, sizeof err) != 0)
				ret = 3;
		} else if (run_phase(c, t, ph, pdir, pkid, fwdir, signing, version, trust,
			size, &dp, bundle) != 0)
			ret = 3;
		/* What the device runs next comes from the evidence, by the same
		 * standard as an update: the whole image sent and the new version
		 * checked in (an insecure device that installed counts too). Its
		 * trust store is then the one the new bundle carries, if any. The
		 * evidence is read only when the phase offered a newer image and a
		 * phase follows. */
		verdict_result r;
		if (i + 1 < c->scn->nphases && ph->power && (long)ph->firmware > version && size > 0
			&& verdict_phase(pdir, &r, err, sizeof err) == 0
			&& r.reported_version == (long)ph->firmware
			&& r.image_bytes_sent >= (uint64_t)size) {
			version = (long)ph->firmware;
			trust = ph->firmware_trust;
		}
		free(pdir);
		free(fwdir);
		free(img);
		free(bundle);
	}
	dev_proto_free(&dp);
	if (interrupted)
		ret = 2;
	cap_live_close(case_cap);
	case_cap = NULL;
	labnet_close(&lab);	/* lab network; harmless when never opened */
	t->drv->finish(t, c->dir);
	free(etc);
	free(pkid);
	free(signing);
	return ret;
}
