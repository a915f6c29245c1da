/*
 * Target descriptions: the keys every driver shares, the driver table, and
 * helpers the drivers use. See target.h.
 */
#include "target/target.h"
#include "scenario/devices.h"
#include "common/json.h"
#include "paths.h"
#include "scenario/stack.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* see target.h */
int tgt_cold_boot;

static const tgt_driver *const drivers[] = { &tgt_driver_qemu, &tgt_driver_native,
	&tgt_driver_board, NULL };

/* see target.h */
const tgt_driver *
tgt_driver_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && drivers[i] != NULL; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

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
	/* Installed (make install): PREFIX/bin/rotsim and PREFIX/lib/rotsim. */
	char *top = dirname(dirname(exe)), *lib = xasprintf("%s/lib/rotsim", top);
	if (util_is_dir(lib))
		return lib;
	free(lib);
	return xstrdup(top);
}

/* see target.h */
char *
tgt_get(cfg_section *s, const char *key)
{
	cfg_entry *e = cfg_get(s, key, NULL);
	return e != NULL ? xstrdup(e->val) : NULL;
}

/* see target.h */
void
tgt_free(tgt *t)
{
	if (t == NULL)
		return;
	if (t->drv != NULL && t->drv->free != NULL)
		t->drv->free(t);
	free(t->name);
	free(t->conf_path);
	free(t->booted);
	free(t->done);
	free(t->client);
	free(t->client_tls);
	free(t->reboot.console);
	free(t->build_dir);
	memset(t, 0, sizeof *t);
}

/* A whole number of seconds in 1..86400 from key, or dflt when absent. */
static int
get_seconds(cfg_section *s, const char *path, const char *key, int dflt, int *out, char *err,
	size_t errlen)
{
	cfg_entry *e = cfg_get(s, key, NULL);
	char *end;
	long v;

	*out = dflt;
	if (e == NULL)
		return 0;
	v = strtol(e->val, &end, 10);
	if (end == e->val || *end != 0 || v <= 0 || v > 86400)
		return util_err(err, errlen, "%s:%d: %s: want seconds from 1 to 86400, not \"%s\"",
			path, e->line, key, e->val);
	*out = (int)v;
	return 0;
}

/*
 * reboot = RULE[, RULE...] where RULE is "reset" (the machine reports a guest
 * reset), "exit=N" (the device process exits with N) or "console=TEXT" (the
 * boot's console shows TEXT).
 */
static int
parse_reboot(tgt *t, const cfg_entry *e, char *err, size_t errlen)
{
	char **items;
	size_t n = cfg_split(e->val, ',', &items), i;
	int ret = 0;

	t->reboot.exit_status = -1;
	for (i = 0; i < n && ret == 0; i++) {
		char *end;
		if (strcmp(items[i], "reset") == 0) {
			t->reboot.on_reset = 1;
		} else if (strncmp(items[i], "exit=", 5) == 0) {
			long v = strtol(items[i] + 5, &end, 10);
			if (end == items[i] + 5 || *end != 0 || v < 0 || v > 255)
				ret = util_err(err, errlen, "%s:%d: reboot: \"%s\": want exit=0..255",
					t->conf_path, e->line, items[i]);
			t->reboot.exit_status = (int)v;
		} else if (strncmp(items[i], "console=", 8) == 0 && items[i][8] != 0) {
			free(t->reboot.console);
			t->reboot.console = xstrdup(items[i] + 8);
		} else {
			ret = util_err(err, errlen, "%s:%d: reboot: \"%s\": want reset, exit=N or "
				"console=TEXT", t->conf_path, e->line, items[i]);
		}
	}
	cfg_list_free(items, n);
	return ret;
}

/* see target.h */
int
tgt_load(tgt *t, const char *name, const char *build_dir, char *err, size_t errlen)
{
	char *drv = NULL, *v;
	cfg_doc doc;
	cfg_section *s = NULL;
	cfg_entry *e;
	size_t i;
	int ret = -1;

	memset(t, 0, sizeof *t);
	memset(&doc, 0, sizeof doc);
	t->reboot.exit_status = -1;
	if (!cfg_valid_id(name)) {
		util_err(err, errlen, "\"%s\" is not a target name", name);
		goto out;
	}
	if ((t->conf_path = paths_find(PATHS_TARGETS, name, "/target.conf")) == NULL) {
		util_err(err, errlen, "no target \"%s\" (no %s/target.conf in the targets "
			"directories: --targets DIR, $ROTSIM_PATH, the stock targets/)", name, name);
		goto out;
	}
	if (cfg_parse_file(&doc, t->conf_path, err, errlen) != 0)
		goto out;
	for (i = 0; i < doc.n; i++) {
		if (strcmp(doc.secs[i].kind, "target") != 0) {
			util_err(err, errlen, "%s:%d: unknown section [%s]", t->conf_path,
				doc.secs[i].line, doc.secs[i].kind);
			goto out;
		}
		if (s != NULL) {
			util_err(err, errlen, "%s:%d: a second [target] section", t->conf_path,
				doc.secs[i].line);
			goto out;
		}
		s = &doc.secs[i];
	}
	if (s == NULL) {
		util_err(err, errlen, "%s: no [target NAME] section", t->conf_path);
		goto out;
	}
	t->name = xstrdup(name);
	t->build_dir = xstrdup(build_dir);
	drv = tgt_get(s, "driver");
	if ((t->drv = tgt_driver_find(drv)) == NULL) {
		buf_t want = {0};
		for (i = 0; drivers[i] != NULL; i++)
			buf_printf(&want, "%s%s", i ? ", " : "", drivers[i]->name);
		util_err(err, errlen, "%s:%d: driver: \"%s\": want one of %s", t->conf_path, s->line,
			drv ? drv : "", buf_cstr(&want));
		buf_free(&want);
		goto out;
	}
	t->booted = tgt_get(s, "booted");
	t->done = tgt_get(s, "done");
	if ((t->client = tgt_get(s, "client")) == NULL)
		t->client = xstrdup("rotsim-agent");
	t->client_tls = tgt_get(s, "client-tls");
	if ((e = cfg_get(s, "reboot", NULL)) != NULL && parse_reboot(t, e, err, errlen) != 0)
		goto out;
	if (get_seconds(s, t->conf_path, "boot-timeout", 30, &t->boot_timeout, err, errlen) != 0
		|| get_seconds(s, t->conf_path, "run-timeout", 120, &t->run_timeout, err,
		errlen) != 0)
		goto out;
	if (t->drv->load(t, s, err, errlen) != 0)
		goto out;
	/* "udp = yes": the device reaches the SNTP responder; a driver may have
	 * set the default from its network. */
	if ((v = tgt_get(s, "udp")) != NULL) {
		if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
			util_err(err, errlen, "%s: udp: want yes or no, not \"%s\"", t->conf_path, v);
			free(v);
			goto out;
		}
		t->udp = strcmp(v, "yes") == 0;
		free(v);
	}
	if ((e = cfg_unused(s)) != NULL) {
		util_err(err, errlen, "%s:%d: unknown key \"%s\" for driver %s (targets/README.md "
			"lists the keys)", t->conf_path, e->line, e->key, t->drv->name);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		tgt_free(t);
	free(drv);
	cfg_free(&doc);
	return ret;
}

/* see target.h */
char *
tgt_file(const tgt *t, const char *pattern, const char *device)
{
	buf_t b = {0};
	const char *p = pattern, *q, *stack = scn_device_stack(device);
	size_t base = scn_device_base_len(device), slen = strcspn(stack, "-");

	/* {image}: the image a device description names (an absolute path),
	 * so a pattern starting with it is not under the build directory. */
	if (pattern[0] != '/' && strncmp(pattern, "{image}", 7) != 0)
		buf_printf(&b, "%s/", t->build_dir);
	while ((q = strchr(p, '{')) != NULL) {
		buf_append(&b, p, (size_t)(q - p));
		if (strncmp(q, "{image}", 7) == 0) {
			char *img = dev_profile_value(device, "image");
			buf_puts(&b, img != NULL ? img : "{image: the device names none}");
			free(img);
			p = q + 7;
		} else if (strncmp(q, "{device}", 8) == 0) {
			buf_append(&b, device, base);
			p = q + 8;
		} else if (strncmp(q, "{stack}", 7) == 0) {
			buf_append(&b, stack, slen);
			p = q + 7;
		} else {
			buf_putc(&b, '{');
			p = q + 1;
		}
	}
	buf_puts(&b, p);
	return buf_cstr(&b);
}

/* see target.h */
int
tgt_device_on_default_stack(const char *device)
{
	return strcmp(scn_device_stack(device), SCN_STACK_DEFAULT) == 0;
}

/* see target.h */
int
tgt_expand_words(const char *value, const char *const *names, const char *const *vals,
	size_t n, char ***argv, size_t *argc, char *err, size_t errlen)
{
	const char *p = value;

	while (*p) {
		buf_t w = {0};
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (*p == 0)
			break;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n') {
			const char *close;
			size_t i, len;
			if (*p != '{' || (close = strchr(p, '}')) == NULL) {
				buf_putc(&w, *p++);
				continue;
			}
			len = (size_t)(close - p - 1);
			for (i = 0; i < n; i++)
				if (strlen(names[i]) == len && memcmp(names[i], p + 1, len) == 0)
					break;
			if (i == n) {
				buf_free(&w);
				return util_err(err, errlen, "unknown placeholder {%.*s}", (int)len,
					p + 1);
			}
			buf_puts(&w, vals[i]);
			p = close + 1;
		}
		*argv = xrealloc(*argv, (*argc + 2) * sizeof **argv);
		(*argv)[(*argc)++] = buf_cstr(&w);
		(*argv)[*argc] = NULL;
	}
	return 0;
}

/* see target.h */
int
tgt_image_hashes(const tgt *t, const char *device, buf_t *out, int first)
{
	char *labels[8], *paths[8];
	size_t n = t->drv->boot_files(t, device, labels, paths, 8), i;

	for (i = 0; i < n; i++) {
		char err[256], hex[65];
		unsigned char *data, h[32];
		size_t len;
		if (util_read_file(paths[i], &data, &len, err, sizeof err) == 0) {
			util_sha256(h, data, len);
			free(data);
			size_t bl = strlen(t->build_dir);
			char *label = xasprintf("%s: %s", t->name, paths[i]
				+ (strncmp(paths[i], t->build_dir, bl) == 0 && paths[i][bl] == '/'
				? bl + 1 : 0));
			buf_puts(out, first ? "" : ",");
			buf_puts(out, "{\"label\":");
			json_put_str(out, label);
			buf_printf(out, ",\"sha256\":\"%s\",\"size\":%zu}", util_hex(hex, h, 32), len);
			first = 0;
			free(label);
		}
		free(labels[i]);
		free(paths[i]);
	}
	return first;
}

/* see target.h */
char *
tgt_identity(const tgt *t, const char *device)
{
	buf_t b = {0};

	if (t->drv->identity != NULL)
		return t->drv->identity(t, device);
	buf_puts(&b, "{\"target\":");
	json_put_str(&b, t->name);
	buf_puts(&b, ",\"driver\":");
	json_put_str(&b, t->drv->name);
	buf_puts(&b, "}");
	return buf_cstr(&b);
}

/* see target.h */
int
tgt_reboot_requested(const tgt *t, const tgt_end *end, const char *console, char *why,
	size_t whylen)
{
	if (t->reboot.on_reset && end->reset) {
		snprintf(why, whylen, "guest reset");
		return 1;
	}
	if (t->reboot.exit_status >= 0 && end->has_status && WIFEXITED(end->status)
		&& WEXITSTATUS(end->status) == t->reboot.exit_status) {
		snprintf(why, whylen, "exit status %d", t->reboot.exit_status);
		return 1;
	}
	if (t->reboot.console != NULL && console != NULL && strstr(console, t->reboot.console)) {
		snprintf(why, whylen, "console: %s", t->reboot.console);
		return 1;
	}
	return 0;
}
