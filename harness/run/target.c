/*
 * Target descriptions and their drivers. See target.h.
 */
#include "run/target.h"
#include "run/cpio.h"
#include "common/cfg.h"
#include "common/json.h"
#include "common/util.h"
#include "time/simtime.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* see target.h */
char *
tgt_build_dir(void)
{
	const char *e = getenv("ROTSIM_BUILD");
	char exe[4096];
	ssize_t n;

	if (e != NULL && *e)
		return xstrdup(e);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return xstrdup("build");
	exe[n] = 0;
	return xstrdup(dirname(dirname(exe)));
}

/* see target.h */
char *
tgt_dir(void)
{
	static const char *const beside[] = { "../share/rotsim/targets", "../../targets",
		"../../../targets", NULL };
	const char *e = getenv("ROTSIM_TARGETS");

	if (e != NULL && *e)
		return util_is_dir(e) ? xstrdup(e) : NULL;
	return util_find_dir("targets", beside);
}

/* see target.h */
void
tgt_free(tgt *t)
{
	if (t == NULL)
		return;
	free(t->name);
	free(t->conf_path);
	free(t->qemu);
	free(t->machine);
	free(t->cpu);
	free(t->accel);
	free(t->memory);
	free(t->kernel);
	free(t->initramfs);
	free(t->flash);
	free(t->flash_device);
	free(t->append);
	free(t->nic);
	free(t->booted);
	free(t->agent);
	free(t->build_dir);
	memset(t, 0, sizeof *t);
}

static char *
get_str(cfg_section *s, const char *key)
{
	cfg_entry *e = cfg_get(s, key, NULL);
	return e != NULL ? xstrdup(e->val) : NULL;
}

/* see target.h */
int
tgt_load(tgt *t, const char *name, const char *build_dir, char *err, size_t errlen)
{
	char *dir = tgt_dir(), msg[512];
	cfg_doc doc;
	cfg_section *s = NULL;
	size_t i;
	int ret = -1;

	memset(t, 0, sizeof *t);
	memset(&doc, 0, sizeof doc);
	if (dir == NULL)
		return util_err(err, errlen, "no targets directory (set ROTSIM_TARGETS)");
	if (!cfg_valid_id(name)) {
		util_err(err, errlen, "\"%s\" is not a target name", name);
		goto out;
	}
	t->conf_path = xasprintf("%s/%s/target.conf", dir, name);
	if (access(t->conf_path, R_OK) != 0) {
		util_err(err, errlen, "no target \"%s\" (%s: %s)", name, t->conf_path,
			strerror(errno));
		goto out;
	}
	if (cfg_parse_file(&doc, t->conf_path, err, errlen) != 0)
		goto out;
	for (i = 0; i < doc.n; i++)
		if (strcmp(doc.secs[i].kind, "target") == 0)
			s = &doc.secs[i];
	if (s == NULL) {
		util_err(err, errlen, "%s: no [target NAME] section", t->conf_path);
		goto out;
	}
	t->name = xstrdup(name);
	t->build_dir = xstrdup(build_dir);
	char *drv = get_str(s, "driver");
	if (drv != NULL && strcmp(drv, "qemu") == 0)
		t->driver = TGT_QEMU;
	else if (drv != NULL && strcmp(drv, "native") == 0)
		t->driver = TGT_NATIVE;
	else {
		util_err(err, errlen, "%s:%d: driver: want qemu or native", t->conf_path, s->line);
		free(drv);
		goto out;
	}
	free(drv);
	t->qemu = get_str(s, "qemu");
	t->machine = get_str(s, "machine");
	t->cpu = get_str(s, "cpu");
	t->accel = get_str(s, "accel");
	t->memory = get_str(s, "memory");
	t->kernel = get_str(s, "kernel");
	t->initramfs = get_str(s, "initramfs");
	t->flash = get_str(s, "flash");
	t->flash_device = get_str(s, "flash-device");
	t->append = get_str(s, "append");
	t->nic = get_str(s, "nic");
	t->booted = get_str(s, "booted");
	t->agent = get_str(s, "agent");
	char *v = get_str(s, "boot-timeout");
	t->boot_timeout = v ? atoi(v) : 30;
	free(v);
	v = get_str(s, "run-timeout");
	t->run_timeout = v ? atoi(v) : 120;
	free(v);
	/* SNTP is UDP: QEMU's restricted user network forwards only TCP, so
	 * only a target that says so reaches the responder. */
	/* network = lab: the device joins the case's lab network (DHCP, DNS,
	 * NTP, the update server, the sink; net/labnet.h), which carries UDP. */
	v = get_str(s, "network");
	t->lab = v != NULL && strcmp(v, "lab") == 0;
	free(v);
	v = get_str(s, "sntp");
	t->sntp = v != NULL ? strcmp(v, "yes") == 0 : t->driver == TGT_NATIVE || t->lab;
	free(v);
	if (t->driver == TGT_QEMU) {
		static const char *const need[] = { "qemu", "machine", "memory", "kernel",
			"initramfs", "flash", "flash-device", "append", "nic", NULL };
		for (i = 0; need[i] != NULL; i++)
			if (cfg_get(s, need[i], NULL) == NULL) {
				snprintf(msg, sizeof msg, "%s: target %s needs \"%s\"", t->conf_path,
					name, need[i]);
				util_err(err, errlen, "%s", msg);
				goto out;
			}
	} else if (t->agent == NULL) {
		t->agent = xstrdup("bin/rotsim-agent");
	}
	if (t->boot_timeout <= 0 || t->run_timeout <= 0) {
		util_err(err, errlen, "%s: timeouts must be positive", t->conf_path);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		tgt_free(t);
	cfg_free(&doc);
	free(dir);
	return ret;
}

/* see target.h */
char *
tgt_file(const tgt *t, const char *pattern, const char *device)
{
	buf_t b = {0};
	const char *p = pattern, *q;

	if (pattern[0] != '/')
		buf_printf(&b, "%s/", t->build_dir);
	while ((q = strstr(p, "{device}")) != NULL) {
		buf_append(&b, p, (size_t)(q - p));
		buf_puts(&b, device);
		p = q + 8;
	}
	buf_puts(&b, p);
	return buf_cstr(&b);
}

static int
copy_file(const char *from, const char *to, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r;

	if (util_read_file(from, &data, &len, err, errlen) != 0)
		return -1;
	r = util_write_atomic(to, data, len, 0644, err, errlen);
	free(data);
	return r;
}

/* see target.h */
int
tgt_prepare(const tgt *t, const char *device, const char *case_dir, const char *etc_src,
	char *err, size_t errlen)
{
	char *flash = xasprintf("%s/flash.img", case_dir), *src = NULL, *kernel = NULL;
	int ret = -1;

	if (t->driver == TGT_QEMU) {
		kernel = tgt_file(t, t->kernel, device);
		if (access(kernel, R_OK) != 0) {
			util_err(err, errlen, "%s: no kernel at %s (run make images)", t->name, kernel);
			goto out;
		}
		src = tgt_file(t, t->flash, device);
		if (copy_file(src, flash, err, errlen) != 0) {
			char msg[512];
			snprintf(msg, sizeof msg, "%s", err);
			util_err(err, errlen, "%s: no factory flash for %s (run make images): %s",
				t->name, device, msg);
			goto out;
		}
		char *init = tgt_file(t, t->initramfs, device);
		int ok = access(init, R_OK) == 0;
		if (!ok)
			util_err(err, errlen, "%s: no initramfs for %s at %s (run make images)",
				t->name, device, init);
		free(init);
		if (!ok)
			goto out;
		/* The device's configuration rides in an archive appended to the
		 * image's initramfs (see cpio.h). */
		buf_t b = {0};
		cpio_dir(&b, "etc", 0755);
		if (cpio_tree(&b, etc_src, "etc/rotsim", err, errlen) != 0) {
			buf_free(&b);
			goto out;
		}
		static const char hosts[] = "127.0.0.1 localhost\n10.0.2.100 updates.rotsim.test\n";
		cpio_file(&b, "etc/hosts", 0644, hosts, sizeof hosts - 1);
		cpio_end(&b);
		char *path = xasprintf("%s/etc.cpio", case_dir);
		int r = util_write_atomic(path, b.data, b.len, 0600, err, errlen);
		free(path);
		buf_free(&b);
		if (r != 0)
			goto out;
	} else {
		char *agent = tgt_file(t, t->agent, device);
		int ok = access(agent, X_OK) == 0;
		if (!ok)
			util_err(err, errlen, "%s: no agent at %s (run make)", t->name, agent);
		free(agent);
		if (!ok)
			goto out;
		/* The agent creates an empty flash in this directory on its first
		 * boot; a case starts from the factory state. */
		char *fdir = xasprintf("%s/flash", case_dir), *img = xasprintf("%s/flash.img", fdir);
		unlink(img);
		int r = util_mkdirs(fdir, 0755, err, errlen);
		free(fdir);
		free(img);
		if (r != 0)
			goto out;
	}
	ret = 0;
out:
	free(flash);
	free(src);
	free(kernel);
	return ret;
}

static char *
rtc_text(int64_t rtc)
{
	char d[32];

	simtime_format(d, sizeof d, rtc == INT64_MIN ? 0 : rtc);
	d[19] = 0;	/* no "Z": both QEMU and the agent take the bare form */
	return xstrdup(d);
}

/* see target.h */
int
tgt_boot(const tgt *t, const tgt_boot_args *a, proc *p, char *err, size_t errlen)
{
	char *argv[64], *own[64];
	size_t n = 0, nown = 0, i;
	char *console = xasprintf("%s/console-%d.log", a->boot_dir, a->boot_index);
	char *rtc = rtc_text(a->rtc);
	proc_io io;
	int ret = -1;

#define ARG(s) (argv[n++] = (s))
#define OWN(s) (argv[n++] = own[nown++] = (s))
	memset(&io, 0, sizeof io);
	io.stdout_path = console;
	io.stderr_path = console;
	if (t->driver == TGT_NATIVE) {
		OWN(tgt_file(t, t->agent, a->device));
		ARG("--etc");
		OWN(xasprintf("%s/etc", a->case_dir));
		ARG("--flash");
		OWN(xasprintf("%s/flash", a->case_dir));
		ARG("--connect");
		OWN(xasprintf("127.0.0.1:%d", a->server_port));
		ARG("--rtc");
		ARG(rtc);
		ARG("--sntp");
		OWN(a->sntp_port > 0 ? xasprintf("127.0.0.1:%d", a->sntp_port)
			: xstrdup("127.0.0.1:9"));
		ARG("--timeout");
		ARG("5");
		ARG("--backoff-ms");
		ARG("200");
		ARG(NULL);
	} else {
		char *initrd = tgt_file(t, t->initramfs, a->device);
		char *etc = xasprintf("%s/etc.cpio", a->case_dir);
		char *joined = xasprintf("%s/initrd-%d.img", a->boot_dir, a->boot_index);
		unsigned char *d1 = NULL, *d2 = NULL;
		size_t l1, l2;
		/* The image's archive, then the case's: one initrd. */
		if (util_read_file(initrd, &d1, &l1, err, errlen) != 0
			|| util_read_file(etc, &d2, &l2, err, errlen) != 0) {
			free(d1);
			free(initrd);
			free(etc);
			free(joined);
			goto out;
		}
		buf_t b = {0};
		buf_append(&b, d1, l1);
		while (b.len % 4)
			buf_putc(&b, 0);
		buf_append(&b, d2, l2);
		int r = util_write_atomic(joined, b.data, b.len, 0600, err, errlen);
		buf_free(&b);
		free(d1);
		free(d2);
		free(initrd);
		free(etc);
		if (r != 0) {
			free(joined);
			goto out;
		}
		OWN(xstrdup(t->qemu));
		ARG("-nographic"); ARG("-nodefaults"); ARG("-no-user-config");
		ARG("-no-reboot"); ARG("-monitor"); ARG("none");
		ARG("-M"); ARG(t->machine);
		ARG("-m"); ARG(t->memory);
		if (t->cpu != NULL && t->cpu[0]) {
			ARG("-cpu");
			ARG(t->cpu);
		}
		ARG("-accel");
		ARG(t->accel && t->accel[0] ? t->accel : "tcg");
		ARG("-rtc");
		OWN(xasprintf("base=%s", rtc));
		ARG("-kernel");
		OWN(tgt_file(t, t->kernel, a->device));
		ARG("-initrd");
		OWN(joined);
		ARG("-append");
		if (t->lab)	/* /init joins by DHCP (targets/qemu-x86_64/init.sh) */
			OWN(xasprintf("%s rotsim.net=dhcp", t->append));
		else
			ARG(t->append);
		ARG("-serial");
		OWN(xasprintf("file:%s", console));
		ARG("-netdev");
		if (t->lab)	/* the lab network captures on its bridge */
			OWN(xasprintf("tap,id=n0,ifname=%s,script=no,downscript=no",
				a->lab_iface ? a->lab_iface : "rstap0"));
		else
			OWN(xasprintf("user,id=n0,restrict=on,ipv6=off,guestfwd=tcp:10.0.2.100:443-"
				"cmd:socat - TCP:127.0.0.1:%d", a->server_port));
		ARG("-device");
		OWN(xasprintf("%s,netdev=n0,romfile=", t->nic));
		if (!t->lab) {
			ARG("-object");
			OWN(xasprintf("filter-dump,id=f0,netdev=n0,file=%s/capture-%d.pcap",
				a->boot_dir, a->boot_index));
		}
		ARG("-drive");
		OWN(xasprintf("file=%s/flash.img,format=raw,if=none,id=flash0", a->case_dir));
		ARG("-device");
		OWN(xasprintf("%s,drive=flash0", t->flash_device));
		ARG(NULL);
		/* QEMU's own messages; the console is the serial file. */
		io.stdout_path = NULL;
		char *qlog = xasprintf("%s/qemu-%d.log", a->boot_dir, a->boot_index);
		io.stdout_path = qlog;
		io.stderr_path = qlog;
		own[nown++] = qlog;
	}
	/* The exact command, for a person who wants to repeat a boot. */
	{
		buf_t cmd = {0};
		for (i = 0; argv[i] != NULL; i++)
			buf_printf(&cmd, "%s'%s'", i ? " " : "", argv[i]);
		buf_putc(&cmd, '\n');
		char *path = xasprintf("%s/boot-%d.cmd", a->boot_dir, a->boot_index);
		util_write_atomic(path, cmd.data, cmd.len, 0644, NULL, 0);
		free(path);
		buf_free(&cmd);
	}
	ret = proc_spawn(p, t->driver == TGT_QEMU ? "qemu" : "agent", argv, &io, err, errlen);
out:
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(console);
	free(rtc);
	return ret;
#undef ARG
#undef OWN
}

/* see target.h */
int
tgt_image_hashes(const tgt *t, const char *device, buf_t *out, int first)
{
	const char *pats[3];
	size_t n = 0, i;

	if (t->driver == TGT_QEMU) {
		pats[n++] = t->kernel;
		pats[n++] = t->initramfs;
		pats[n++] = t->flash;
	} else {
		pats[n++] = t->agent;
	}
	for (i = 0; i < n; i++) {
		char *path = tgt_file(t, pats[i], device), err[256], hex[65];
		unsigned char *data, h[32];
		size_t len;
		if (util_read_file(path, &data, &len, err, sizeof err) == 0) {
			util_sha256(h, data, len);
			free(data);
			char *label = xasprintf("%s: %s", t->name, path + (strncmp(path, t->build_dir,
				strlen(t->build_dir)) == 0 ? strlen(t->build_dir) + 1 : 0));
			buf_puts(out, first ? "" : ",");
			buf_puts(out, "{\"label\":");
			json_put_str(out, label);
			buf_printf(out, ",\"sha256\":\"%s\",\"size\":%zu}", util_hex(hex, h, 32), len);
			first = 0;
			free(label);
		}
		free(path);
	}
	return first;
}

/* see target.h */
char *
tgt_emulator_version(const tgt *t)
{
	char *cmd, line[256];
	FILE *f;

	if (t->driver != TGT_QEMU || t->qemu == NULL)
		return NULL;
	cmd = xasprintf("'%s' --version 2>/dev/null", t->qemu);
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
