/*
 * The qemu driver: a device image booted in QEMU, with its clock from the
 * RTC, its network user-mode with one forward to the update server, every
 * frame captured by QEMU's filter-dump, its console on the serial port, and
 * how it ended told by QMP. See target.h and targets/README.md.
 */
#include "target/target.h"
#include "target/qmp.h"
#include "target/snapshot.h"
#include "run/cpio.h"
#include "run/proc.h"
#include "scenario/stack.h"
#include "time/simtime.h"
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
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
	int snapshot;			/* snapshot = power-on: resume a saved machine */
	/* The case's saved machine (prepare; each case runs in a process of its
	 * own): its cache directory and key, the configuration the power-on
	 * message carries, or why its boots are cold. */
	char *snap_dir;
	char snap_key[65];
	int snap_ready;
	char snap_why[300];
	buf_t snap_config;
	buf_t snap_overlay;		/* the stack overlay, for the message */
} qemu_desc;

/* The date a machine is saved at (-rtc base=): the power-on message sets
 * the phase's. 2000-01-01T00:00:00Z. */
#define SNAP_SAVE_RTC 946684800LL
/* The format of a saved machine: part of its key, raised whenever what the
 * harness gives QEMU or the guest around the power-on point changes. */
#define SNAP_FORMAT "rotsim-snapshot 2"
/* What a machine with a power-on point adds to the kernel's command line:
 * init.sh's switch, and freed memory zeroed (a saved machine holds only
 * the pages in use: about 40% less to save and load). */
#define SNAP_APPEND " rotsim.snapshot init_on_free=1"
/* The power-on port: the same devices where saved and where resumed. */
#define SNAP_PORT_DEVICES "virtio-serial-pci,id=vser0", \
	"virtserialport,bus=vser0.0,chardev=pwr,name=rotsim.power-on"
/* The marker of the power-on point on the console (init.sh). */
#define SNAP_MARKER "rotsim: waiting for power-on"

struct tgt_power {
	proc p;
	tgt_qmp q;
	tgt_qmp pl;			/* the power-on port's listener (resumed) */
	int pconn;			/* its connection, or -1 */
	int resumed;			/* this boot resumed a saved machine */
	char *rec;			/* BOOT_DIR/boot-N.json, written at power-off */
	char *cons;			/* BOOT_DIR/console-N.log */
	const char *booted;		/* the target's booted text, or NULL */
	long long t0, booted_ms;	/* power-on; "booted" seen, ms after t0 or -1 */
	long long cons_size;
	buf_t info;			/* boot-N.json's members so far */
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
	free(d->snap_dir);
	buf_free(&d->snap_config);
	buf_free(&d->snap_overlay);
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
	static const char *const snapshots[] = { "none", "power-on", NULL };
	qemu_desc *d = xcalloc(1, sizeof *d);
	int net, cap, clk, cfg, con, snp;
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
		|| get_choice(s, t, "console", consoles, &con, err, errlen) != 0
		|| get_choice(s, t, "snapshot", snapshots, &snp, err, errlen) != 0)
		return -1;
	d->snapshot = snp == 1;
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
	/* A saved machine is one per image: nothing of a case may be in it. */
	if (d->snapshot && (d->kernel == NULL || d->initramfs == NULL || d->append == NULL
		|| d->lab || (d->qemu_args != NULL && (strstr(d->qemu_args, "{case}") != NULL
		|| strstr(d->qemu_args, "{boot-dir}") != NULL))))
		return util_err(err, errlen, "%s: snapshot = power-on needs \"kernel\", "
			"\"initramfs\" and \"append\", not network = lab, and no {case} or "
			"{boot-dir} in qemu-args", t->conf_path);
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

static void snap_prepare(const tgt *t, qemu_desc *d, const char *device, const buf_t *initrd);
static size_t qemu_boot_files(const tgt *t, const char *device, char **labels, char **paths,
	size_t max);
static char *qemu_emulator_version(const tgt *t);

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
		/* The saved machine of this image is made of the image's archive
		 * alone: a device on any TLS stack resumes it, its overlay and
		 * configuration come with the power-on message. */
		snap_prepare(t, d, device, &b);
		buf_free(&d->snap_overlay);
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
			buf_append(&d->snap_overlay, ov, ovlen);
			free(ov);
		}
		/* The case's configuration: appended to the initrd of a cold boot,
		 * carried by the power-on message of a resumed one. */
		buf_t cfg = {0};
		if (d->config_initramfs) {
			cpio_dir(&cfg, "etc", 0755);
			if (cpio_tree(&cfg, etc_src, "etc/rotsim", err, errlen) != 0) {
				buf_free(&cfg);
				goto out;
			}
			char *hosts = xasprintf("127.0.0.1 localhost\n%s updates.rotsim.test\n",
				d->guest_server);
			cpio_file(&cfg, "etc/hosts", 0644, hosts, strlen(hosts));
			free(hosts);
			cpio_end(&cfg);
		}
		buf_free(&d->snap_config);
		buf_append(&d->snap_config, cfg.data, cfg.len);
		if (cfg.len > 0) {
			while (b.len % 4)
				buf_putc(&b, 0);
			buf_append(&b, cfg.data, cfg.len);
		}
		buf_free(&cfg);
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

/* What one QEMU is started for: a cold boot, the save of a machine at its
 * power-on point, or the resume of one. */
typedef struct {
	const char *device;
	const char *initrd;		/* the initrd, or NULL for none */
	const char *flash;		/* the flash drive's file (with "flash") */
	const char *serial;		/* the console's file */
	const char *capture;		/* filter-dump's file, or NULL */
	int64_t rtc;
	int server_port;		/* the update server on 127.0.0.1 */
	const char *lab_iface;
	const char *case_dir, *boot_dir;	/* for qemu-args */
	const char *pwr_chardev;	/* the power-on port's chardev: a machine
					 * with a power-on point (rotsim.snapshot) */
	int incoming;			/* -incoming defer */
} qemu_run;

#define ARG(s) do { *argv = xrealloc(*argv, (*n + 2) * sizeof **argv); \
	(*argv)[(*n)++] = (s); (*argv)[*n] = NULL; } while (0)

/* QEMU's command line for r (q's control socket). A saved machine and the
 * QEMU that resumes it get the same devices in the same order; only the
 * files behind them differ. 0, or -1 with err. */
static int
qemu_argv(const tgt *t, const qemu_run *r, const tgt_qmp *q, char ***argv, size_t *n,
	char *err, size_t errlen)
{
	qemu_desc *d = t->priv;
	char d32[32];

	ARG(xstrdup(d->qemu));
	ARG(xstrdup("-nographic")); ARG(xstrdup("-nodefaults")); ARG(xstrdup("-no-user-config"));
	/* A guest reset ends this QEMU; QMP says it was a reset, and the
	 * runner powers the device on again with its flash. */
	ARG(xstrdup("-no-reboot"));
	ARG(xstrdup("-chardev")); ARG(qmp_chardev(q, "qmp"));
	ARG(xstrdup("-mon")); ARG(xstrdup("chardev=qmp,mode=control"));
	ARG(xstrdup("-M")); ARG(xstrdup(d->machine));
	ARG(xstrdup("-m")); ARG(xstrdup(d->memory));
	if (d->cpu != NULL && d->cpu[0]) {
		ARG(xstrdup("-cpu"));
		ARG(xstrdup(d->cpu));
	}
	ARG(xstrdup("-accel"));
	ARG(xstrdup(d->accel && d->accel[0] ? d->accel : "tcg"));
	/* Resumed, the RTC is the saved machine's (the power-on message sets
	 * the phase's date); -rtc base still dates filter-dump's frames. */
	if (d->rtc) {
		simtime_format(d32, sizeof d32, r->rtc);
		d32[19] = 0;	/* QEMU takes the form without "Z" */
		ARG(xstrdup("-rtc"));
		ARG(xasprintf("base=%s", d32));
	}
	if (d->bios != NULL) {
		ARG(xstrdup("-bios"));
		ARG(tgt_file(t, d->bios, r->device));
	}
	if (d->pflash != NULL) {
		char *pf = tgt_file(t, d->pflash, r->device);
		ARG(xstrdup("-drive"));
		ARG(xasprintf("if=pflash,format=raw,readonly=on,file=%s", pf));
		free(pf);
	}
	if (d->kernel != NULL) {
		ARG(xstrdup("-kernel"));
		ARG(tgt_file(t, d->kernel, r->device));
		if (r->initrd != NULL) {
			ARG(xstrdup("-initrd"));
			ARG(xstrdup(r->initrd));
		}
		if (d->append != NULL) {
			char *cl = kernel_cmdline(t, d->append, d->lab, err, errlen);
			if (cl == NULL)
				return -1;
			ARG(xstrdup("-append"));
			if (r->pwr_chardev != NULL) {
				ARG(xasprintf("%s%s", cl, SNAP_APPEND));
				free(cl);
			} else {
				ARG(cl);
			}
		}
	}
	ARG(xstrdup("-serial"));
	ARG(xasprintf("file:%s", r->serial));
	if (d->network) {
		ARG(xstrdup("-netdev"));
		if (d->lab)	/* the lab network captures on its bridge */
			ARG(xasprintf("tap,id=n0,ifname=%s,script=no,downscript=no",
				r->lab_iface ? r->lab_iface : "rstap0"));
		else
			ARG(xasprintf("user,id=n0,restrict=on,ipv6=off,guestfwd=tcp:%s:%d-cmd:"
				"socat - TCP:127.0.0.1:%d", d->guest_server, d->guest_port,
				r->server_port));
		ARG(xstrdup("-device"));
		ARG(xasprintf("%s,netdev=n0,romfile=", d->nic));
		if (d->filter_dump && !d->lab && r->capture != NULL) {
			ARG(xstrdup("-object"));
			ARG(xasprintf("filter-dump,id=f0,netdev=n0,file=%s", r->capture));
		}
	}
	if (d->flash != NULL) {
		ARG(xstrdup("-drive"));
		ARG(xasprintf("file=%s,format=raw,if=none,id=flash0", r->flash));
		ARG(xstrdup("-device"));
		ARG(xasprintf("%s,drive=flash0", d->flash_device));
	}
	if (r->pwr_chardev != NULL) {
		ARG(xstrdup("-chardev"));
		ARG(xstrdup(r->pwr_chardev));
		static const char *const port[] = { SNAP_PORT_DEVICES };
		for (size_t i = 0; i < sizeof port / sizeof port[0]; i++) {
			ARG(xstrdup("-device"));
			ARG(xstrdup(port[i]));
		}
	}
	if (d->qemu_args != NULL) {
		static const char *const names[] = { "device", "case", "boot-dir" };
		const char *vals[] = { r->device, r->case_dir, r->boot_dir };
		if (tgt_expand_words(d->qemu_args, names, vals, 3, argv, n, err, errlen) != 0) {
			char msg[256];
			snprintf(msg, sizeof msg, "%s", err);
			return util_err(err, errlen, "%s: qemu-args: %s", t->conf_path, msg);
		}
	}
	if (r->incoming) {
		ARG(xstrdup("-incoming"));
		ARG(xstrdup("defer"));
	}
	return 0;
}
#undef ARG

static void
argv_free(char **argv, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(argv[i]);
	free(argv);
}

/* Write the exact command, for a person who wants to repeat it. */
static int
write_cmd(const char *path, char **argv, size_t n, char *err, size_t errlen)
{
	buf_t cmd = {0};
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		buf_printf(&cmd, "%s'%s'", i ? " " : "", argv[i]);
	buf_putc(&cmd, '\n');
	r = util_write_atomic(path, cmd.data, cmd.len, 0644, err, errlen);
	buf_free(&cmd);
	return r;
}

/* The emulator program as a path: QEMU searched in PATH, or NULL. */
static char *
qemu_program(const char *qemu)
{
	const char *path = getenv("PATH"), *p, *c;

	if (strchr(qemu, '/') != NULL)
		return xstrdup(qemu);
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *c ? c + 1 : c) {
		c = strchr(p, ':');
		if (c == NULL)
			c = p + strlen(p);
		char *f = xasprintf("%.*s/%s", (int)(c - p), p, qemu);
		if (access(f, X_OK) == 0)
			return f;
		free(f);
	}
	return NULL;
}

/* Poll QEMU's migration (query-migrate) every poll_ms until it has
 * completed: 0. A failed or cancelled one is -1 with "WHAT STATUS (see QLOG)";
 * the deadline passing is -1 with LATE. */
static int
migrate_wait(tgt_qmp *q, long long deadline, int poll_ms, const char *what,
	const char *qlog, const char *late, char *err, size_t errlen)
{
	for (;;) {
		if (qmp_command(q, "{\"execute\":\"query-migrate\"}", -1, 10000, err, errlen) != 0)
			return -1;
		if (strcmp(q->answer, "completed") == 0)
			return 0;
		if (strcmp(q->answer, "failed") == 0 || strcmp(q->answer, "cancelled") == 0) {
			util_err(err, errlen, "%s %s (see %s)", what, q->answer, qlog);
			return -1;
		}
		if (proc_now_ms() > deadline) {
			util_err(err, errlen, "%s", late);
			return -1;
		}
		struct timespec ts = { 0, poll_ms * 1000L * 1000L };
		nanosleep(&ts, NULL);
	}
}

/* Save the machine of an image at its power-on point into DIR/KEY.snap:
 * boot it with rotsim.snapshot (the image's initrd without a case's
 * configuration, a copy of the factory flash, a fixed date), wait for the
 * marker, stop it and migrate it into a file of its own, renamed into place
 * once complete. 0, or -1 with err. */
static int
snap_save(const tgt *t, qemu_desc *d, const char *device, const buf_t *initrd,
	const buf_t *material, char *err, size_t errlen)
{
	const char *dir = d->snap_dir, *key = d->snap_key;
	char *tmp = xasprintf("%s/.tmp-%.16s-XXXXXX", dir, key), *initrd_p = NULL;
	char *flash_p = NULL, *cons = NULL, *qlog = NULL, *snap_p = NULL, *pwr = NULL;
	char *final = xasprintf("%s/%s.snap", dir, key), **argv = NULL, st[64];
	size_t n = 0;
	tgt_qmp q, pl;
	proc p;
	proc_io io;
	qemu_run r;
	int ret = -1, pconn = -1, sfd = -1, spawned = 0;
	long long t0 = proc_now_ms(), deadline;

	memset(&p, 0, sizeof p);
	q.lfd = q.fd = pl.lfd = pl.fd = -1;
	memset(&q.in, 0, sizeof q.in);
	memset(&pl.in, 0, sizeof pl.in);
	if (mkdtemp(tmp) == NULL) {
		util_err(err, errlen, "%s: %s", tmp, strerror(errno));
		free(tmp);
		tmp = NULL;
		goto out;
	}
	initrd_p = xasprintf("%s/initrd.img", tmp);
	flash_p = xasprintf("%s/flash.img", tmp);
	cons = xasprintf("%s/console.log", tmp);
	qlog = xasprintf("%s/qemu.log", tmp);
	snap_p = xasprintf("%s/machine.snap", tmp);
	if (util_write_atomic(initrd_p, initrd->data, initrd->len, 0600, err, errlen) != 0)
		goto out;
	if (d->flash != NULL) {
		char *f = tgt_file(t, d->flash, device);
		int c = util_copy_file(f, flash_p, 0600, 0, err, errlen);
		free(f);
		if (c != 0)
			goto out;
	}
	if (qmp_listen(&q, err, errlen) != 0 || qmp_listen(&pl, err, errlen) != 0)
		goto out;
	pwr = xasprintf("socket,id=pwr,path=%s,abstract=on", pl.name);
	memset(&r, 0, sizeof r);
	r.device = device;
	r.initrd = initrd_p;
	r.flash = flash_p;
	r.serial = cons;
	r.rtc = SNAP_SAVE_RTC;
	r.server_port = 9;	/* nothing connects before the power-on point */
	r.case_dir = r.boot_dir = tmp;
	r.pwr_chardev = pwr;
	if (qemu_argv(t, &r, &q, &argv, &n, err, errlen) != 0)
		goto out;
	memset(&io, 0, sizeof io);
	io.stdout_path = io.stderr_path = qlog;
	if (proc_spawn(&p, "qemu", argv, &io, err, errlen) != 0)
		goto out;
	spawned = 1;
	deadline = proc_now_ms() + t->boot_timeout * 1000LL;
	for (;;) {
		qmp_pump(&q, 50);
		if (pconn < 0 && pl.lfd >= 0)
			pconn = snap_accept(pl.lfd, 0);
		if (util_file_contains(cons, SNAP_MARKER))
			break;
		if (proc_wait(&p, 0)) {
			util_err(err, errlen, "QEMU ended (%s) before the power-on point (see %s)",
				proc_status_text(p.status, st, sizeof st), qlog);
			goto out;
		}
		if (proc_now_ms() > deadline) {
			util_err(err, errlen, "no \"%s\" on the console within %d s", SNAP_MARKER,
				t->boot_timeout);
			goto out;
		}
	}
	if (qmp_command(&q, "{\"execute\":\"stop\"}", -1, 10000, err, errlen) != 0)
		goto out;
	sfd = open(snap_p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (sfd < 0) {
		util_err(err, errlen, "%s: %s", snap_p, strerror(errno));
		goto out;
	}
	if (qmp_command(&q, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"snap\"}}", sfd,
		10000, err, errlen) != 0
		|| qmp_command(&q, "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"fd:snap\"}}", -1,
		10000, err, errlen) != 0)
		goto out;
	if (migrate_wait(&q, proc_now_ms() + 120000, 20, "saving the machine", qlog,
		"saving the machine took over 120 s", err, errlen) != 0)
		goto out;
	qmp_command(&q, "{\"execute\":\"quit\"}", -1, 5000, err, errlen);
	if (!proc_wait(&p, 10000))
		proc_stop(&p, 2000);
	spawned = 0;
	if (fsync(sfd) != 0 || close(sfd) != 0) {
		sfd = -1;
		util_err(err, errlen, "%s: %s", snap_p, strerror(errno));
		goto out;
	}
	sfd = -1;
	if (rename(snap_p, final) != 0) {
		util_err(err, errlen, "%s: %s", final, strerror(errno));
		goto out;
	}
	/* What the saved machine is, beside it. */
	{
		struct stat sst;
		buf_t m = {0};
		char *mp = xasprintf("%s/%s.json", dir, key);
		buf_puts(&m, "{\"key\":");
		json_put_str(&m, key);
		buf_puts(&m, ",\"material\":");
		json_put_str(&m, buf_cstr((buf_t *)material));
		buf_printf(&m, ",\"bytes\":%lld,\"save_ms\":%lld}\n",
			stat(final, &sst) == 0 ? (long long)sst.st_size : -1LL, proc_now_ms() - t0);
		util_write_atomic(mp, m.data, m.len, 0644, err, errlen);
		buf_free(&m);
		free(mp);
	}
	ret = 0;
out:
	if (spawned)
		proc_stop(&p, 2000);
	if (sfd >= 0)
		close(sfd);
	if (pconn >= 0)
		close(pconn);
	qmp_close(&q);
	qmp_close(&pl);
	if (tmp != NULL) {
		const char *files[] = { initrd_p, flash_p, cons, qlog, snap_p };
		/* The console and QEMU's messages of a failed save stay for a
		 * person to read, beside the cache's files. */
		if (ret != 0) {
			char *keepc = xasprintf("%s/%s.failed-console.log", dir, key);
			char *keepq = xasprintf("%s/%s.failed-qemu.log", dir, key);
			rename(cons, keepc);
			rename(qlog, keepq);
			free(keepc);
			free(keepq);
		}
		for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
			if (files[i] != NULL)
				unlink(files[i]);
		rmdir(tmp);
	}
	argv_free(argv, n);
	free(tmp); free(initrd_p); free(flash_p); free(cons); free(qlog); free(snap_p);
	free(final); free(pwr);
	return ret;
}

/* The case's saved machine (prepare): find it in the cache by its key, or
 * save it there; if that fails, say so in one line and boot the case cold. */
static void
snap_prepare(const tgt *t, qemu_desc *d, const char *device, const buf_t *initrd)
{
	char err[600], *labels[8], *paths[8], *prog = NULL, *ver = NULL;
	buf_t m = {0};
	size_t nf, i;
	int lk = -1, fd;

	d->snap_ready = 0;
	d->snap_why[0] = 0;
	d->snap_key[0] = 0;
	free(d->snap_dir);
	d->snap_dir = NULL;
	if (!d->snapshot) {
		snprintf(d->snap_why, sizeof d->snap_why, "the target has no snapshot point");
		return;
	}
	if (tgt_cold_boot) {
		snprintf(d->snap_why, sizeof d->snap_why, "cold boot asked for (--cold-boot)");
		return;
	}
	d->snap_dir = snap_dir(t->build_dir);
	if (snap_dir_check(d->snap_dir, err, sizeof err) != 0)
		goto fail;
	/* The key: everything the saved machine is made of. */
	buf_printf(&m, "%s\ntarget %s\nappend+%s\n", SNAP_FORMAT, t->name, SNAP_APPEND);
	{
		static const char *const port[] = { SNAP_PORT_DEVICES };
		for (size_t k = 0; k < sizeof port / sizeof port[0]; k++)
			buf_printf(&m, "device %s\n", port[k]);
	}
	if (snap_material_file(&m, "target.conf", t->conf_path, err, sizeof err) != 0)
		goto fail;
	nf = qemu_boot_files(t, device, labels, paths, 8);
	int bad = 0;
	for (i = 0; i < nf; i++) {
		/* Not the stack overlay: the message brings it. Not the factory
		 * flash: nothing of it is in a saved machine (the point comes
		 * before the block driver reads a sector, and QEMU migrates no
		 * drive's contents), and every resume gets the case's flash,
		 * which after an install is no factory flash anyway. So devices
		 * that share an image share its saved machine. Its size is in
		 * the key: the drive the machine was saved with had that size. */
		if (!bad && strcmp(labels[i], "flash") == 0) {
			struct stat fst;
			if (stat(paths[i], &fst) != 0) {
				snprintf(err, sizeof err, "%s: %s", paths[i], strerror(errno));
				bad = 1;
			} else {
				buf_printf(&m, "flash-size %lld\n", (long long)fst.st_size);
			}
		} else if (!bad && strcmp(labels[i], "stack-overlay") != 0
			&& snap_material_file(&m, labels[i], paths[i], err, sizeof err) != 0) {
			bad = 1;
		}
		free(labels[i]);
		free(paths[i]);
	}
	if (bad)
		goto fail;
	buf_printf(&m, "initrd %zu\n", initrd->len);
	if ((ver = qemu_emulator_version(t)) == NULL || (prog = qemu_program(d->qemu)) == NULL) {
		snprintf(err, sizeof err, "%s: no version (is it installed?)", d->qemu);
		goto fail;
	}
	buf_printf(&m, "emulator %s\n", ver);
	if (snap_material_file(&m, "emulator-binary", prog, err, sizeof err) != 0)
		goto fail;
	{
		/* The host's CPU: a guest calibrated its clock on it. */
		unsigned char *ci;
		size_t cl;
		char e2[64];
		if (util_read_file("/proc/cpuinfo", &ci, &cl, e2, sizeof e2) == 0) {
			char *mn = strstr((char *)ci, "model name");
			if (mn != NULL)
				buf_printf(&m, "cpu %.*s\n", (int)strcspn(mn, "\n"), mn);
			free(ci);
		}
	}
	snap_key(&m, d->snap_key);
	if ((fd = snap_open(d->snap_dir, d->snap_key)) >= 0) {
		close(fd);
		d->snap_ready = 1;
		goto out;
	}
	if ((lk = snap_lock(d->snap_dir, d->snap_key, err, sizeof err)) < 0)
		goto fail;
	/* Another case may have saved it while this one waited. */
	if ((fd = snap_open(d->snap_dir, d->snap_key)) >= 0) {
		close(fd);
		d->snap_ready = 1;
		goto out;
	}
	if (snap_save(t, d, device, initrd, &m, err, sizeof err) != 0)
		goto fail;
	snap_prune(d->snap_dir, d->snap_key);
	d->snap_ready = 1;
	goto out;
fail:
	snprintf(d->snap_why, sizeof d->snap_why, "no saved machine: %.260s", err);
	fprintf(stderr, "rotsim: warning: %s: %s: %s; booting cold\n", t->name, device,
		d->snap_why);
out:
	if (lk >= 0)
		close(lk);
	free(prog);
	free(ver);
	buf_free(&m);
}

/* The power-on message (init.sh): the date, a fresh seed, the configuration. */
static void
power_on_message(const qemu_desc *d, const tgt_boot_args *a, buf_t *b)
{
	unsigned char seed[64];
	char hex[129];
	size_t got = 0;

	while (got < sizeof seed) {
		ssize_t r = getrandom(seed + got, sizeof seed - got, 0);
		if (r > 0)
			got += (size_t)r;
		else if (errno != EINTR)
			break;
	}
	buf_puts(b, "rotsim-power-on 1\n");
	if (d->rtc)
		buf_printf(b, "date=%lld\n", (long long)a->rtc);
	else
		buf_puts(b, "date=none\n");
	/* A seed that could not be drawn is left out: the guest then says
	 * reseed=no on its console. */
	if (got == sizeof seed)
		buf_printf(b, "seed=%s\n", util_hex(hex, seed, sizeof seed));
	util_wipe(seed, sizeof seed);
	buf_printf(b, "overlay=%zu\nconfig=%zu\nend\n", d->snap_overlay.len, d->snap_config.len);
	buf_append(b, d->snap_overlay.data, d->snap_overlay.len);
	buf_append(b, d->snap_config.data, d->snap_config.len);
}

/* Resume the case's saved machine for a boot: QEMU with -incoming defer,
 * the saved file passed over QMP, the machine running, then the power-on
 * message. 0, or -1 with err (QEMU stopped; the caller boots cold). */
static int
qemu_resume(const tgt *t, const tgt_boot_args *a, tgt_power *pw, char *err, size_t errlen)
{
	qemu_desc *d = t->priv;
	char **argv = NULL, *initrd = xasprintf("%s/initrd.img", a->case_dir);
	char *flash = xasprintf("%s/flash.img", a->case_dir), *pwr = NULL;
	char *cons = xasprintf("%s/console-%d.log", a->boot_dir, a->boot_index);
	char *cap = xasprintf("%s/capture-%d.pcap", a->boot_dir, a->boot_index);
	char *qlog = xasprintf("%s/qemu-%d.log", a->boot_dir, a->boot_index);
	char *cmdp = xasprintf("%s/boot-%d.cmd", a->boot_dir, a->boot_index);
	size_t n = 0;
	qemu_run r;
	proc_io io;
	buf_t msg = {0};
	int ret = -1, sfd = -1, spawned = 0;
	long long t_ready, t_sent, deadline;
	char late[96];

	if ((sfd = snap_open(d->snap_dir, d->snap_key)) < 0) {
		util_err(err, errlen, "the saved machine %.16s is gone: %s", d->snap_key,
			strerror(errno));
		goto out;
	}
	if (qmp_listen(&pw->q, err, errlen) != 0 || qmp_listen(&pw->pl, err, errlen) != 0)
		goto out;
	pwr = xasprintf("socket,id=pwr,path=%s,abstract=on", pw->pl.name);
	memset(&r, 0, sizeof r);
	r.device = a->device;
	r.initrd = d->initramfs != NULL ? initrd : NULL;
	r.flash = flash;
	r.serial = cons;
	r.capture = cap;
	r.rtc = a->rtc;
	r.server_port = a->server_port;
	r.case_dir = a->case_dir;
	r.boot_dir = a->boot_dir;
	r.pwr_chardev = pwr;
	r.incoming = 1;
	if (qemu_argv(t, &r, &pw->q, &argv, &n, err, errlen) != 0
		|| write_cmd(cmdp, argv, n, err, errlen) != 0)
		goto out;
	memset(&io, 0, sizeof io);
	io.stdout_path = io.stderr_path = qlog;
	pw->t0 = proc_now_ms();
	if (proc_spawn(&pw->p, "qemu", argv, &io, err, errlen) != 0)
		goto out;
	spawned = 1;
	/* No announcement after loading (QEMU's RARPs, the guest's gratuitous
	 * ARP): a cold boot sends none, and the capture is evidence. */
	if (qmp_command(&pw->q, "{\"execute\":\"getfd\",\"arguments\":{\"fdname\":\"snap\"}}",
		sfd, t->boot_timeout * 1000, err, errlen) != 0
		|| qmp_command(&pw->q, "{\"execute\":\"migrate-set-parameters\",\"arguments\":"
		"{\"announce-rounds\":0}}", -1, 10000, err, errlen) != 0
		|| qmp_command(&pw->q, "{\"execute\":\"migrate-incoming\",\"arguments\":"
		"{\"uri\":\"fd:snap\"}}", -1, 10000, err, errlen) != 0)
		goto out;
	close(sfd);
	sfd = -1;
	/* The machine was saved stopped, so it arrives stopped: cont once
	 * all of it is in. */
	deadline = proc_now_ms() + t->boot_timeout * 1000LL;
	snprintf(late, sizeof late, "the saved machine was not loaded within %d s",
		t->boot_timeout);
	if (migrate_wait(&pw->q, deadline, 10, "loading the saved machine", qlog, late, err,
		errlen) != 0)
		goto out;
	if (qmp_command(&pw->q, "{\"execute\":\"cont\"}", -1, 10000, err, errlen) != 0)
		goto out;
	while (!pw->q.resumed) {
		if (!qmp_pump(&pw->q, 20) || proc_wait(&pw->p, 0)) {
			util_err(err, errlen, "QEMU ended while loading the saved machine (see %s)",
				qlog);
			goto out;
		}
		if (proc_now_ms() > deadline) {
			util_err(err, errlen, "the saved machine did not run within %d s",
				t->boot_timeout);
			goto out;
		}
	}
	t_ready = proc_now_ms();
	if ((pw->pconn = snap_accept(pw->pl.lfd, 5000)) < 0) {
		util_err(err, errlen, "QEMU did not open the power-on port");
		goto out;
	}
	power_on_message(d, a, &msg);
	if (snap_write_all(pw->pconn, msg.data, msg.len, 10000) != 0) {
		util_err(err, errlen, "the power-on message was not taken");
		goto out;
	}
	t_sent = proc_now_ms();
	buf_printf(&pw->info, "\"boot\":\"resumed\",\"snapshot\":\"%s\",\"restore_ms\":%lld,"
		"\"message_ms\":%lld,\"message_bytes\":%zu", d->snap_key, t_ready - pw->t0,
		t_sent - pw->t0, msg.len);
	pw->resumed = 1;
	ret = 0;
out:
	if (ret != 0 && spawned)
		proc_stop(&pw->p, 1000);
	if (ret != 0) {
		qmp_close(&pw->q);
		qmp_close(&pw->pl);
		if (pw->pconn >= 0)
			close(pw->pconn);
		pw->pconn = -1;
		/* The resume's own messages stay beside the cold boot's. */
		char *keep = xasprintf("%s/qemu-%d.resume.log", a->boot_dir, a->boot_index);
		rename(qlog, keep);
		free(keep);
		unlink(cap);
		unlink(cons);
	}
	if (sfd >= 0)
		close(sfd);
	buf_free(&msg);
	argv_free(argv, n);
	free(initrd); free(flash); free(pwr); free(cons); free(cap); free(qlog); free(cmdp);
	return ret;
}

static int
qemu_power_on(const tgt *t, const tgt_boot_args *a, tgt_power **out, char *err, size_t errlen)
{
	qemu_desc *d = t->priv;
	tgt_power *pw = xcalloc(1, sizeof *pw);
	char **argv = NULL;
	size_t n = 0;
	proc_io io;
	qemu_run r;
	int ret = -1;

	pw->q.lfd = pw->q.fd = pw->pl.lfd = pw->pl.fd = -1;
	pw->pconn = -1;
	pw->booted_ms = -1;
	pw->booted = t->booted;
	pw->cons = xasprintf("%s/console-%d.log", a->boot_dir, a->boot_index);
	pw->rec = xasprintf("%s/boot-%d.json", a->boot_dir, a->boot_index);
	if (d->snap_ready) {
		char rerr[512];
		if (qemu_resume(t, a, pw, rerr, sizeof rerr) == 0) {
			*out = pw;
			return 0;
		}
		/* Never a verdict without evidence: the boot happens cold, and
		 * both the console and boot-N.json say why. */
		fprintf(stderr, "rotsim: warning: %s: %s: resuming failed (%s); booting cold\n",
			t->name, a->device, rerr);
		buf_puts(&pw->info, "\"boot\":\"cold\",\"why\":");
		char *why = xasprintf("resuming failed: %s", rerr);
		json_put_str(&pw->info, why);
		free(why);
		memset(&pw->p, 0, sizeof pw->p);
	} else {
		buf_puts(&pw->info, "\"boot\":\"cold\",\"why\":");
		json_put_str(&pw->info, d->snap_why[0] ? d->snap_why : "cold boot");
	}
	if (qmp_listen(&pw->q, err, errlen) != 0)
		goto out;
	char *initrd = xasprintf("%s/initrd.img", a->case_dir);
	char *flash = xasprintf("%s/flash.img", a->case_dir);
	char *cap = xasprintf("%s/capture-%d.pcap", a->boot_dir, a->boot_index);
	char *cmdp = xasprintf("%s/boot-%d.cmd", a->boot_dir, a->boot_index);
	char *qlog = xasprintf("%s/qemu-%d.log", a->boot_dir, a->boot_index);
	memset(&r, 0, sizeof r);
	r.device = a->device;
	r.initrd = d->initramfs != NULL ? initrd : NULL;
	r.flash = flash;
	r.serial = pw->cons;
	r.capture = cap;
	r.rtc = a->rtc;
	r.server_port = a->server_port;
	r.lab_iface = a->lab_iface;
	r.case_dir = a->case_dir;
	r.boot_dir = a->boot_dir;
	if (qemu_argv(t, &r, &pw->q, &argv, &n, err, errlen) == 0
		&& write_cmd(cmdp, argv, n, err, errlen) == 0) {
		memset(&io, 0, sizeof io);
		io.stdout_path = qlog;
		io.stderr_path = qlog;
		pw->t0 = proc_now_ms();
		ret = proc_spawn(&pw->p, "qemu", argv, &io, err, errlen);
	}
	free(initrd); free(flash); free(cap); free(cmdp); free(qlog);
out:
	argv_free(argv, n);
	if (ret != 0) {
		qmp_close(&pw->q);
		buf_free(&pw->info);
		free(pw->cons);
		free(pw->rec);
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
		/* When the console first shows "booted", for boot-N.json. */
		if (pw->booted_ms < 0 && pw->booted != NULL) {
			struct stat st;
			if (stat(pw->cons, &st) == 0 && st.st_size != pw->cons_size) {
				pw->cons_size = st.st_size;
				if (util_file_contains(pw->cons, pw->booted))
					pw->booted_ms = proc_now_ms() - pw->t0;
			}
		}
		if (proc_wait(&pw->p, 0))
			return 1;
		if (proc_now_ms() >= end)
			return 0;
	}
}

static void
qemu_power_off(tgt_power *pw, tgt_end *end)
{
	char st[64], err[256];
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
	/* How this boot was made and how long it took. */
	if (pw->booted_ms < 0 && pw->booted != NULL && util_file_contains(pw->cons, pw->booted))
		pw->booted_ms = proc_now_ms() - pw->t0;	/* at the latest */
	buf_t b = {0};
	buf_printf(&b, "{%s,\"booted_ms\":%lld,\"ran_ms\":%lld}\n", buf_cstr(&pw->info),
		pw->booted_ms, proc_now_ms() - pw->t0);
	util_write_atomic(pw->rec, b.data, b.len, 0644, err, sizeof err);
	buf_free(&b);
	buf_free(&pw->info);
	if (pw->pconn >= 0)
		close(pw->pconn);
	qmp_close(&pw->pl);
	qmp_close(&pw->q);
	free(pw->cons);
	free(pw->rec);
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
