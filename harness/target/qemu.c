/*
 * The qemu driver: a device image booted in QEMU, with its clock from the
 * RTC, its network user-mode with one forward to the update server, every
 * frame captured by QEMU's filter-dump, its console on the serial port, and
 * how it ended told by QMP. See target.h and targets/README.md.
 */
#include "target/target.h"
#include "target/qmp.h"
#include "run/cpio.h"
#include "run/proc.h"
#include "scenario/stack.h"
#include "time/simtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

typedef struct {
	char *qemu, *machine, *cpu, *accel, *memory;
	char *kernel, *initramfs, *append, *bios, *pflash;
	char *flash, *flash_device, *nic, *qemu_args;
	char *stack_overlay;		/* an archive putting the device on {stack}, or NULL */
	char *guest_server;		/* host of the update server as the guest sees it */
	int guest_port;
	int network;			/* 1 user-restricted or lab, 0 none */
	int lab;			/* network = lab */
	int filter_dump;		/* capture = filter-dump */
	int rtc;			/* clock = rtc */
	int config_initramfs;		/* config = initramfs */
} qemu_desc;

struct tgt_power {
	proc p;
	tgt_qmp q;
};

static void
qemu_free(tgt *t)
{
	qemu_desc *d = t->priv;

	if (d == NULL)
		return;
	free(d->qemu); free(d->machine); free(d->cpu); free(d->accel); free(d->memory);
	free(d->kernel); free(d->initramfs); free(d->append); free(d->bios); free(d->pflash);
	free(d->flash); free(d->flash_device); free(d->nic); free(d->qemu_args);
	free(d->stack_overlay);
	free(d->guest_server);
	free(d);
	t->priv = NULL;
}

/* A key whose value must be one of a list; the first is the default. */
static int
get_choice(cfg_section *s, const tgt *t, const char *key, const char *const *choices, int *out,
	char *err, size_t errlen)
{
	cfg_entry *e = cfg_get(s, key, NULL);
	size_t i;

	*out = 0;
	if (e == NULL)
		return 0;
	for (i = 0; choices[i] != NULL; i++)
		if (strcmp(e->val, choices[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	buf_t want = {0};
	for (i = 0; choices[i] != NULL; i++)
		buf_printf(&want, "%s%s", i ? " or " : "", choices[i]);
	util_err(err, errlen, "%s:%d: %s: \"%s\": want %s", t->conf_path, e->line, key, e->val,
		buf_cstr(&want));
	buf_free(&want);
	return -1;
}

static int
qemu_load(tgt *t, cfg_section *s, char *err, size_t errlen)
{
	static const char *const networks[] = { "user-restricted", "none", "lab", NULL };
	static const char *const captures[] = { "filter-dump", "none", "bridge", NULL };
	static const char *const clocks[] = { "rtc", "none", NULL };
	static const char *const configs[] = { "initramfs", "none", NULL };
	static const char *const consoles[] = { "serial", NULL };
	qemu_desc *d = xcalloc(1, sizeof *d);
	int net, cap, clk, cfg, con;
	char *server;

	t->priv = d;
	d->qemu = tgt_get(s, "qemu");
	d->machine = tgt_get(s, "machine");
	d->cpu = tgt_get(s, "cpu");
	d->accel = tgt_get(s, "accel");
	d->memory = tgt_get(s, "memory");
	d->kernel = tgt_get(s, "kernel");
	d->initramfs = tgt_get(s, "initramfs");
	d->append = tgt_get(s, "append");
	d->bios = tgt_get(s, "bios");
	d->pflash = tgt_get(s, "pflash");
	d->flash = tgt_get(s, "flash");
	d->flash_device = tgt_get(s, "flash-device");
	d->nic = tgt_get(s, "nic");
	d->qemu_args = tgt_get(s, "qemu-args");
	d->stack_overlay = tgt_get(s, "stack-overlay");
	if (get_choice(s, t, "network", networks, &net, err, errlen) != 0
		|| get_choice(s, t, "capture", captures, &cap, err, errlen) != 0
		|| get_choice(s, t, "clock", clocks, &clk, err, errlen) != 0
		|| get_choice(s, t, "config", configs, &cfg, err, errlen) != 0
		|| get_choice(s, t, "console", consoles, &con, err, errlen) != 0)
		return -1;
	d->network = net == 0 || net == 2;
	d->lab = net == 2;	/* the lab network: a TAP on the case's bridge */
	d->filter_dump = cap == 0 && d->network;
	if (d->lab != (cap == 2))	/* the lab network captures on its bridge */
		return util_err(err, errlen, "%s: network = lab goes with capture = bridge, "
			"and only it", t->conf_path);
	d->rtc = clk == 0;
	d->config_initramfs = cfg == 0;
	if (d->qemu == NULL || d->machine == NULL || d->memory == NULL)
		return util_err(err, errlen, "%s: a qemu target needs \"qemu\", \"machine\" and "
			"\"memory\"", t->conf_path);
	if (d->kernel == NULL && d->bios == NULL && d->pflash == NULL && d->flash == NULL)
		return util_err(err, errlen, "%s: nothing to boot: set \"kernel\", \"bios\", "
			"\"pflash\" or \"flash\"", t->conf_path);
	if (d->stack_overlay != NULL && (d->kernel == NULL || d->initramfs == NULL))
		return util_err(err, errlen, "%s: stack-overlay needs \"kernel\" and "
			"\"initramfs\" (it is appended to the initramfs)", t->conf_path);
	if (d->config_initramfs && (d->kernel == NULL || d->initramfs == NULL))
		return util_err(err, errlen, "%s: config = initramfs needs \"kernel\" and "
			"\"initramfs\" (or set config = none)", t->conf_path);
	if (d->flash != NULL && d->flash_device == NULL)
		return util_err(err, errlen, "%s: \"flash\" needs \"flash-device\"", t->conf_path);
	if (d->network && d->nic == NULL)
		return util_err(err, errlen, "%s: network = user-restricted needs \"nic\"",
			t->conf_path);
	server = tgt_get(s, "server");
	d->guest_server = xstrdup("10.0.2.100");
	d->guest_port = 443;
	if (server != NULL) {
		char *colon = strrchr(server, ':'), *end;
		long port = colon ? strtol(colon + 1, &end, 10) : 0;
		if (colon == NULL || *end != 0 || port <= 0 || port > 65535 || colon == server) {
			util_err(err, errlen, "%s: server: \"%s\": want ADDRESS:PORT as the guest "
				"sees it", t->conf_path, server);
			free(server);
			return -1;
		}
		*colon = 0;
		free(d->guest_server);
		d->guest_server = xstrdup(server);
		d->guest_port = (int)port;
		free(server);
	}
	/* User-mode networking forwards TCP only: no SNTP over UDP. The lab
	 * network carries everything. */
	t->udp = d->lab;
	t->lab = d->lab;
	if (t->reboot.exit_status < 0 && t->reboot.console == NULL)
		t->reboot.on_reset = 1;
	return 0;
}

static int
qemu_prepare(const tgt *t, const char *device, const char *case_dir, const char *etc_src,
	char *err, size_t errlen)
{
	qemu_desc *d = t->priv;
	char *path = NULL, *init = NULL;
	buf_t b = {0};
	unsigned char *img = NULL;
	size_t len;
	int ret = -1;

	if (d->kernel != NULL) {
		path = tgt_file(t, d->kernel, device);
		if (access(path, R_OK) != 0) {
			util_err(err, errlen, "%s: no kernel at %s (run make images)", t->name, path);
			goto out;
		}
		free(path);
		path = NULL;
	}
	if (d->flash != NULL) {
		char msg[512], *to = xasprintf("%s/flash.img", case_dir);
		path = tgt_file(t, d->flash, device);
		int r = util_copy_file(path, to, 0644, 0, msg, sizeof msg);
		free(to);
		if (r != 0) {
			util_err(err, errlen, "%s: no factory flash for %s (run make images): %s",
				t->name, device, msg);
			goto out;
		}
		free(path);
		path = NULL;
	}
	if (!tgt_device_on_default_stack(device) && d->stack_overlay == NULL) {
		util_err(err, errlen, "%s: %s: the target runs no TLS stack but bearssl (no "
			"stack-overlay in %s)", t->name, device, t->conf_path);
		goto out;
	}
	if (d->initramfs != NULL) {
		init = tgt_file(t, d->initramfs, device);
		if (util_read_file(init, &img, &len, err, errlen) != 0) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s", err);
			util_err(err, errlen, "%s: no initramfs for %s (run make images): %s",
				t->name, device, msg);
			goto out;
		}
		/* One initrd for the whole case: the image's archive, then (config =
		 * initramfs) an archive holding the device's configuration as
		 * /etc/rotsim and an /etc/hosts naming the update server. It is
		 * removed when the case ends (its recipe and hash are the evidence). */
		buf_append(&b, img, len);
		/* A device on another TLS stack: the stack's agent (and what it
		 * needs) over the image's, at the same path. Archives are joined
		 * on 4-byte boundaries; the kernel skips the zeros between. */
		if (!tgt_device_on_default_stack(device)) {
			unsigned char *ov;
			size_t ovlen;
			char msg[512], *ovp = tgt_file(t, d->stack_overlay, device);
			if (util_read_file(ovp, &ov, &ovlen, msg, sizeof msg) != 0) {
				util_err(err, errlen, "%s: no agent for TLS stack %.*s at %s (run make "
					"images-stacks)", t->name, (int)strcspn(scn_device_stack(device), "-"),
					scn_device_stack(device), ovp);
				free(ovp);
				goto out;
			}
			free(ovp);
			while (b.len % 4)
				buf_putc(&b, 0);
			buf_append(&b, ov, ovlen);
			free(ov);
		}
		if (d->config_initramfs) {
			while (b.len % 4)
				buf_putc(&b, 0);
			cpio_dir(&b, "etc", 0755);
			if (cpio_tree(&b, etc_src, "etc/rotsim", err, errlen) != 0)
				goto out;
			char *hosts = xasprintf("127.0.0.1 localhost\n%s updates.rotsim.test\n",
				d->guest_server);
			cpio_file(&b, "etc/hosts", 0644, hosts, strlen(hosts));
			free(hosts);
			cpio_end(&b);
		}
		path = xasprintf("%s/initrd.img", case_dir);
		if (util_write_atomic(path, b.data, b.len, 0600, err, errlen) != 0)
			goto out;
	}
	ret = 0;
out:
	free(path);
	free(init);
	free(img);
	buf_free(&b);
	return ret;
}

static void
qemu_finish(const tgt *t, const char *case_dir)
{
	char *path = xasprintf("%s/initrd.img", case_dir);

	unlink(path);
	free(path);
}

/*
 * The host's TSC rate in kHz, measured once per process against
 * CLOCK_MONOTONIC_RAW over about 20 ms (each end read between two clock
 * readings, the tightest of a few tries), or 0 where there is no TSC. Under
 * TCG (and KVM) a guest's TSC counts at the host's rate, so a guest told this
 * rate (tsc_early_khz=) does not calibrate its TSC against emulated timers,
 * which on a loaded host can go wrong and leave the guest hanging.
 */
static long
host_tsc_khz(void)
{
#if defined(__x86_64__) || defined(__i386__)
	static long khz = -1;
	struct { long long ns; unsigned long long tsc; } at[2];
	int end, k;

	if (khz >= 0)
		return khz;
	for (end = 0; end < 2; end++) {
		long long best = -1;
		if (end == 1) {
			struct timespec ts = { 0, 20 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		for (k = 0; k < 5; k++) {
			struct timespec a, b;
			unsigned long long c;
			clock_gettime(CLOCK_MONOTONIC_RAW, &a);
			c = __rdtsc();
			clock_gettime(CLOCK_MONOTONIC_RAW, &b);
			long long na = a.tv_sec * 1000000000LL + a.tv_nsec;
			long long nb = b.tv_sec * 1000000000LL + b.tv_nsec;
			if (best < 0 || nb - na < best) {
				best = nb - na;
				at[end].ns = na + (nb - na) / 2;
				at[end].tsc = c;
			}
		}
	}
	long long dns = at[1].ns - at[0].ns;
	khz = dns > 0 ? (long)((at[1].tsc - at[0].tsc) * 1000000ULL / (unsigned long long)dns) : 0;
	return khz;
#else
	return 0;
#endif
}

/* The kernel command line of a boot: append with {host-tsc-khz} replaced
 * (host_tsc_khz()). NULL with err when the host has no TSC to tell. */
static char *
kernel_cmdline(const tgt *t, const char *append, int lab, char *err, size_t errlen)
{
	static const char ph[] = "{host-tsc-khz}";
	buf_t b = {0};
	const char *p = append, *q;

	while ((q = strstr(p, ph)) != NULL) {
		long khz = host_tsc_khz();
		if (khz <= 0) {
			buf_free(&b);
			util_err(err, errlen, "%s: append: {host-tsc-khz}: this host has no TSC "
				"to measure", t->conf_path);
			return NULL;
		}
		buf_append(&b, p, (size_t)(q - p));
		buf_printf(&b, "%ld", khz);
		p = q + sizeof ph - 1;
	}
	buf_puts(&b, p);
	/* On the lab network /init joins by DHCP (init.sh). */
	if (lab)
		buf_puts(&b, " rotsim.net=dhcp");
	char *s = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return s;
}

static int
qemu_power_on(const tgt *t, const tgt_boot_args *a, tgt_power **out, char *err, size_t errlen)
{
	qemu_desc *d = t->priv;
	tgt_power *pw = xcalloc(1, sizeof *pw);
	char **argv = NULL, d32[32];
	size_t n = 0, i;
	proc_io io;
	int ret = -1;

#define ARG(s) do { argv = xrealloc(argv, (n + 2) * sizeof *argv); \
	argv[n++] = (s); argv[n] = NULL; } while (0)
	pw->q.lfd = pw->q.fd = -1;
	if (qmp_listen(&pw->q, err, errlen) != 0)
		goto out;
	ARG(xstrdup(d->qemu));
	ARG(xstrdup("-nographic")); ARG(xstrdup("-nodefaults")); ARG(xstrdup("-no-user-config"));
	/* A guest reset ends this QEMU; QMP says it was a reset, and the
	 * runner powers the device on again with its flash. */
	ARG(xstrdup("-no-reboot"));
	ARG(xstrdup("-chardev")); ARG(qmp_chardev(&pw->q, "qmp"));
	ARG(xstrdup("-mon")); ARG(xstrdup("chardev=qmp,mode=control"));
	ARG(xstrdup("-M")); ARG(xstrdup(d->machine));
	ARG(xstrdup("-m")); ARG(xstrdup(d->memory));
	if (d->cpu != NULL && d->cpu[0]) {
		ARG(xstrdup("-cpu"));
		ARG(xstrdup(d->cpu));
	}
	ARG(xstrdup("-accel"));
	ARG(xstrdup(d->accel && d->accel[0] ? d->accel : "tcg"));
	if (d->rtc) {
		simtime_format(d32, sizeof d32, a->rtc);
		d32[19] = 0;	/* QEMU takes the form without "Z" */
		ARG(xstrdup("-rtc"));
		ARG(xasprintf("base=%s", d32));
	}
	if (d->bios != NULL) {
		ARG(xstrdup("-bios"));
		ARG(tgt_file(t, d->bios, a->device));
	}
	if (d->pflash != NULL) {
		char *pf = tgt_file(t, d->pflash, a->device);
		ARG(xstrdup("-drive"));
		ARG(xasprintf("if=pflash,format=raw,readonly=on,file=%s", pf));
		free(pf);
	}
	if (d->kernel != NULL) {
		ARG(xstrdup("-kernel"));
		ARG(tgt_file(t, d->kernel, a->device));
		if (d->initramfs != NULL) {
			ARG(xstrdup("-initrd"));
			ARG(xasprintf("%s/initrd.img", a->case_dir));
		}
		if (d->append != NULL) {
			char *cl = kernel_cmdline(t, d->append, d->lab, err, errlen);
			if (cl == NULL)
				goto out;
			ARG(xstrdup("-append"));
			ARG(cl);
		}
	}
	ARG(xstrdup("-serial"));
	ARG(xasprintf("file:%s/console-%d.log", a->boot_dir, a->boot_index));
	if (d->network) {
		ARG(xstrdup("-netdev"));
		if (d->lab)	/* the lab network captures on its bridge */
			ARG(xasprintf("tap,id=n0,ifname=%s,script=no,downscript=no",
				a->lab_iface ? a->lab_iface : "rstap0"));
		else
			ARG(xasprintf("user,id=n0,restrict=on,ipv6=off,guestfwd=tcp:%s:%d-cmd:"
				"socat - TCP:127.0.0.1:%d", d->guest_server, d->guest_port,
				a->server_port));
		ARG(xstrdup("-device"));
		ARG(xasprintf("%s,netdev=n0,romfile=", d->nic));
		if (d->filter_dump && !d->lab) {
			ARG(xstrdup("-object"));
			ARG(xasprintf("filter-dump,id=f0,netdev=n0,file=%s/capture-%d.pcap",
				a->boot_dir, a->boot_index));
		}
	}
	if (d->flash != NULL) {
		ARG(xstrdup("-drive"));
		ARG(xasprintf("file=%s/flash.img,format=raw,if=none,id=flash0", a->case_dir));
		ARG(xstrdup("-device"));
		ARG(xasprintf("%s,drive=flash0", d->flash_device));
	}
	if (d->qemu_args != NULL) {
		static const char *const names[] = { "device", "case", "boot-dir" };
		const char *vals[] = { a->device, a->case_dir, a->boot_dir };
		if (tgt_expand_words(d->qemu_args, names, vals, 3, &argv, &n, err, errlen) != 0) {
			char msg[256];
			snprintf(msg, sizeof msg, "%s", err);
			util_err(err, errlen, "%s: qemu-args: %s", t->conf_path, msg);
			goto out;
		}
	}
#undef ARG
	/* The exact command, for a person who wants to repeat a boot. */
	buf_t cmd = {0};
	for (i = 0; i < n; i++)
		buf_printf(&cmd, "%s'%s'", i ? " " : "", argv[i]);
	buf_putc(&cmd, '\n');
	char *path = xasprintf("%s/boot-%d.cmd", a->boot_dir, a->boot_index);
	char *qlog = xasprintf("%s/qemu-%d.log", a->boot_dir, a->boot_index);
	int wr = util_write_atomic(path, cmd.data, cmd.len, 0644, err, errlen);
	free(path);
	buf_free(&cmd);
	if (wr != 0) {
		free(qlog);
		goto out;
	}
	memset(&io, 0, sizeof io);
	io.stdout_path = qlog;
	io.stderr_path = qlog;
	ret = proc_spawn(&pw->p, "qemu", argv, &io, err, errlen);
	free(qlog);
out:
	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
	if (ret != 0) {
		qmp_close(&pw->q);
		free(pw);
		pw = NULL;
	}
	*out = pw;
	return ret;
}

static int
qemu_wait(tgt_power *pw, int timeout_ms)
{
	long long end = proc_now_ms() + timeout_ms;

	for (;;) {
		long long left = end - proc_now_ms();
		qmp_pump(&pw->q, left > 20 ? 20 : left > 0 ? (int)left : 0);
		if (proc_wait(&pw->p, 0))
			return 1;
		if (proc_now_ms() >= end)
			return 0;
	}
}

static void
qemu_power_off(tgt_power *pw, tgt_end *end)
{
	char st[64];
	int i;

	memset(end, 0, sizeof *end);
	if (pw == NULL)
		return;
	if (pw->p.pid > 0 && !pw->p.reaped) {
		end->exited = proc_wait(&pw->p, 0);
		if (!end->exited)
			proc_stop(&pw->p, 2000);
	} else {
		end->exited = pw->p.reaped;
	}
	/* What QEMU said before it closed the socket. */
	for (i = 0; i < 50 && qmp_pump(&pw->q, 10); i++)
		;
	end->reset = pw->q.reset;
	end->has_status = 0;
	if (!end->exited)
		snprintf(end->how, sizeof end->how, "powered off by the harness");
	else if (pw->q.shutdown)
		snprintf(end->how, sizeof end->how, "%s (qemu %s)", pw->q.reset ? "guest reset"
			: "guest power-off", proc_status_text(pw->p.status, st, sizeof st));
	else
		snprintf(end->how, sizeof end->how, "qemu %s",
			proc_status_text(pw->p.status, st, sizeof st));
	qmp_close(&pw->q);
	free(pw);
}

static void
qemu_capture(const tgt *t, int server_port, int sntp_port, tgt_capture *c)
{
	memset(c, 0, sizeof *c);
}

static int
qemu_wire_port(const tgt *t, int server_port)
{
	const qemu_desc *d = t->priv;
	return d->guest_port;
}

static size_t
qemu_boot_files(const tgt *t, const char *device, char **labels, char **paths, size_t max)
{
	const qemu_desc *d = t->priv;
	const char *pats[6] = { d->kernel, d->initramfs,
		tgt_device_on_default_stack(device) ? NULL : d->stack_overlay, d->flash, d->bios,
		d->pflash };
	static const char *const names[6] = { "kernel", "initramfs", "stack-overlay", "flash",
		"bios", "pflash" };
	size_t n = 0, i;

	for (i = 0; i < 6 && n < max; i++)
		if (pats[i] != NULL) {
			labels[n] = xstrdup(names[i]);
			paths[n++] = tgt_file(t, pats[i], device);
		}
	return n;
}

static char *
qemu_emulator_version(const tgt *t)
{
	const qemu_desc *d = t->priv;
	char *cmd, line[256];
	FILE *f;

	cmd = xasprintf("'%s' --version 2>/dev/null", d->qemu);
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL)
		return NULL;
	line[0] = 0;
	if (fgets(line, sizeof line, f) == NULL)
		line[0] = 0;
	pclose(f);
	line[strcspn(line, "\r\n")] = 0;
	return line[0] ? xstrdup(line) : NULL;
}

const tgt_driver tgt_driver_qemu = {
	.name = "qemu",
	.load = qemu_load,
	.free = qemu_free,
	.prepare = qemu_prepare,
	.finish = qemu_finish,
	.power_on = qemu_power_on,
	.wait = qemu_wait,
	.power_off = qemu_power_off,
	.capture = qemu_capture,
	.wire_port = qemu_wire_port,
	.boot_files = qemu_boot_files,
	.emulator_version = qemu_emulator_version,
};
