/*
 * The native driver: a device as a host process. One run of the program is
 * one boot; it reaches the update server and the SNTP responder on
 * 127.0.0.1; its console is its standard output and error; the capture is
 * taken live on the loopback interface. See target.h and targets/README.md.
 */
#include "target/target.h"
#include "evidence/evidence.h"
#include "run/proc.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
	char *agent;		/* the program, relative to the build directory */
	char *stack_agent;	/* the program on a TLS stack other than bearssl
				 * ({stack}), or NULL */
	char *args;		/* its arguments, with placeholders */
	int capture;		/* capture = loopback */
} native_desc;

struct tgt_power {
	proc p;
};

static void
native_free(tgt *t)
{
	native_desc *d = t->priv;

	if (d == NULL)
		return;
	free(d->agent);
	free(d->stack_agent);
	free(d->args);
	free(d);
	t->priv = NULL;
}

static int
native_load(tgt *t, cfg_section *s, char *err, size_t errlen)
{
	native_desc *d = xcalloc(1, sizeof *d);
	char *cap;

	t->priv = d;
	d->agent = tgt_get(s, "agent");
	d->args = tgt_get(s, "args");
	d->stack_agent = tgt_get(s, "stack-agent");
	if (d->agent == NULL)
		return util_err(err, errlen, "%s: a native target needs \"agent\"", t->conf_path);
	cap = tgt_get(s, "capture");
	d->capture = cap == NULL || strcmp(cap, "loopback") == 0;
	if (cap != NULL && !d->capture && strcmp(cap, "none") != 0) {
		util_err(err, errlen, "%s: capture: \"%s\": want loopback or none", t->conf_path,
			cap);
		free(cap);
		return -1;
	}
	free(cap);
	t->udp = 1;
	if (t->reboot.exit_status < 0 && t->reboot.console == NULL && !t->reboot.on_reset)
		t->reboot.exit_status = 10;
	return 0;
}

/* The program of a device: the agent, or on a TLS stack other than bearssl
 * the stack's (variants are chosen at run time by the profile: one binary).
 * Allocated, or NULL when the target has none for the stack. */
static char *
native_program(const tgt *t, const char *device)
{
	const native_desc *d = t->priv;

	if (tgt_device_on_default_stack(device))
		return tgt_file(t, d->agent, device);
	return d->stack_agent != NULL ? tgt_file(t, d->stack_agent, device) : NULL;
}

static int
native_prepare(const tgt *t, const char *device, const char *case_dir, const char *etc_src,
	char *err, size_t errlen)
{
	char *agent = native_program(t, device);
	int ok = agent != NULL && access(agent, X_OK) == 0, r;

	if (agent == NULL)
		util_err(err, errlen, "%s: %s: the target runs no TLS stack but bearssl (no "
			"stack-agent in %s)", t->name, device, t->conf_path);
	else if (!ok)
		util_err(err, errlen, "%s: no program at %s (run make)", t->name, agent);
	free(agent);
	if (!ok)
		return -1;
	/* The device makes its flash in this directory at its first boot: a
	 * case starts from the factory state. */
	char *fdir = xasprintf("%s/flash", case_dir), *img = xasprintf("%s/flash.img", fdir);
	unlink(img);
	r = util_mkdirs(fdir, 0755, err, errlen);
	free(fdir);
	free(img);
	return r;
}

static void
native_finish(const tgt *t, const char *case_dir)
{
}

static int
native_power_on(const tgt *t, const tgt_boot_args *a, tgt_power **out, char *err,
	size_t errlen)
{
	const native_desc *d = t->priv;
	tgt_power *pw = xcalloc(1, sizeof *pw);
	char **argv = NULL, date[32], *etc, *flash, *port, *server, *sntp, *sntp_port, *console;
	size_t n = 0, i;
	proc_io io;
	int ret = -1;

	simtime_format(date, sizeof date, a->rtc);
	date[19] = 0;
	etc = xasprintf("%s/etc", a->case_dir);
	flash = xasprintf("%s/flash", a->case_dir);
	port = xasprintf("%d", a->server_port);
	server = xasprintf("127.0.0.1:%d", a->server_port);
	/* With SNTP off, port 9 (discard): the device's request goes nowhere. */
	sntp_port = xasprintf("%d", a->sntp_port > 0 ? a->sntp_port : 9);
	sntp = xasprintf("127.0.0.1:%s", sntp_port);
	const char *names[] = { "etc", "flash", "case", "device", "date", "port", "server",
		"sntp", "sntp-port", "boot-dir" };
	const char *vals[] = { etc, flash, a->case_dir, a->device, date, port, server, sntp,
		sntp_port, a->boot_dir };
	argv = xcalloc(2, sizeof *argv);
	if ((argv[n] = native_program(t, a->device)) == NULL) {
		util_err(err, errlen, "%s: the target runs no TLS stack but bearssl", t->name);
		goto out;
	}
	n++;
	if (d->args != NULL && tgt_expand_words(d->args, names, vals, sizeof names / sizeof *names,
		&argv, &n, err, errlen) != 0) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s", err);
		util_err(err, errlen, "%s: args: %s", t->conf_path, msg);
		goto out;
	}
	buf_t cmd = {0};
	for (i = 0; i < n; i++)
		buf_printf(&cmd, "%s'%s'", i ? " " : "", argv[i]);
	buf_putc(&cmd, '\n');
	char *path = xasprintf("%s/boot-%d.cmd", a->boot_dir, a->boot_index);
	int wr = ev_write_file(path, cmd.data, cmd.len, EV_NOSYNC, err, errlen);
	free(path);
	buf_free(&cmd);
	if (wr != 0)
		goto out;
	console = xasprintf("%s/console-%d.log", a->boot_dir, a->boot_index);
	memset(&io, 0, sizeof io);
	io.stdout_path = console;
	io.stderr_path = console;
	ret = proc_spawn(&pw->p, "device", argv, &io, err, errlen);
	free(console);
out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	free(etc); free(flash); free(port); free(server); free(sntp); free(sntp_port);
	if (ret != 0) {
		free(pw);
		pw = NULL;
	}
	*out = pw;
	return ret;
}

static int
native_wait(tgt_power *pw, int timeout_ms)
{
	return proc_wait(&pw->p, timeout_ms);
}

static void
native_power_off(tgt_power *pw, tgt_end *end)
{
	char st[64];

	memset(end, 0, sizeof *end);
	if (pw == NULL)
		return;
	end->exited = pw->p.reaped || proc_wait(&pw->p, 0);
	if (!end->exited)
		proc_stop(&pw->p, 2000);
	end->has_status = end->exited;
	end->status = pw->p.status;
	snprintf(end->how, sizeof end->how, "%s", end->exited ? proc_status_text(pw->p.status,
		st, sizeof st) : "killed by the harness");
	free(pw);
}

static void
native_capture(const tgt *t, int server_port, int sntp_port, tgt_capture *c)
{
	const native_desc *d = t->priv;

	memset(c, 0, sizeof *c);
	if (!d->capture)
		return;
	snprintf(c->iface, sizeof c->iface, "lo");
	if (sntp_port > 0)
		snprintf(c->filter, sizeof c->filter, "tcp port %d or udp port %d", server_port,
			sntp_port);
	else
		snprintf(c->filter, sizeof c->filter, "tcp port %d", server_port);
}

static int
native_wire_port(const tgt *t, int server_port)
{
	return server_port;
}

static size_t
native_boot_files(const tgt *t, const char *device, char **labels, char **paths, size_t max)
{
	if (max < 1 || (paths[0] = native_program(t, device)) == NULL)
		return 0;
	labels[0] = xstrdup("agent");
	return 1;
}

static char *
native_emulator_version(const tgt *t)
{
	return NULL;
}

const tgt_driver tgt_driver_native = {
	.name = "native",
	.load = native_load,
	.free = native_free,
	.prepare = native_prepare,
	.finish = native_finish,
	.power_on = native_power_on,
	.wait = native_wait,
	.power_off = native_power_off,
	.capture = native_capture,
	.wire_port = native_wire_port,
	.boot_files = native_boot_files,
	.emulator_version = native_emulator_version,
};
