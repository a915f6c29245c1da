/*
 * Device profiles. See devices.h.
 */
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "common/cfg.h"
#include "common/util.h"
#include "paths.h"

#include <dirent.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* see devices.h */
int
dev_known_profiles(char ***names, size_t *n)
{
	*n = paths_names(PATHS_DEVICES, ".profile", names);
	if (*n == 0) {
		*names = NULL;
		return -1;
	}
	return 0;
}

/* see devices.h */
char *
dev_profile_path(const char *device)
{
	/* A device on a TLS stack (DEVICE@STACK) is its device's profile. */
	char *base = xstrndup(device, scn_device_base_len(device));
	char *path = paths_find(PATHS_DEVICES, base, ".profile");

	free(base);
	return path;
}

/* see devices.h */
char *
dev_profile_value(const char *device, const char *key)
{
	char *path = dev_profile_path(device), err[256], *v = NULL;
	cfg_doc doc;
	size_t i;

	if (path == NULL)
		return NULL;
	if (cfg_parse_file(&doc, path, err, sizeof err) == 0) {
		for (i = 0; i < doc.n && v == NULL; i++) {
			if (strcmp(doc.secs[i].kind, "profile") != 0)
				continue;
			cfg_entry *e = cfg_get(&doc.secs[i], key, NULL);
			if (e != NULL)
				v = xstrdup(e->val);
		}
		cfg_free(&doc);
	}
	free(path);
	return v;
}

/* A line "tls = ..." (leading blanks allowed)? */
static int
is_tls_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i < 3 || memcmp(line + i, "tls", 3) != 0)
		return 0;
	for (i += 3; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	return i < len && line[i] == '=';
}

/* see devices.h */
int
dev_write_profile(const char *device, const char *out, char *err, size_t errlen)
{
	char *path = dev_profile_path(device), tls[128];
	unsigned char *text = NULL;
	size_t len, off = 0;
	buf_t b = {0};
	int ret = -1, done = 0, skipping = 0;

	if (path == NULL)
		return util_err(err, errlen, "no profile of device \"%s\" in the devices "
			"directories", device);
	if (util_read_file(path, &text, &len, err, errlen) != 0)
		goto out;
	/* On bearssl, the default, the profile says no stack: it stays as it
	 * is (a firmware of a team's own may not know the key). */
	done = strcmp(scn_device_stack(device), SCN_STACK_DEFAULT) == 0;
	scn_stack_tls(scn_device_stack(device), tls, sizeof tls);
	while (off < len) {
		const char *line = (const char *)text + off;
		size_t n = 0;
		while (off + n < len && line[n] != '\n')
			n++;
		size_t next = off + n + (off + n < len);
		/* The profile's own stack gives way to the case's, with the
		 * continuation lines of its value. */
		if (skipping && n > 0 && (line[0] == ' ' || line[0] == '\t')) {
			off = next;
			continue;
		}
		skipping = 0;
		if (is_tls_line(line, n)) {
			skipping = 1;
			off = next;
			continue;
		}
		buf_append(&b, line, next - off);
		if (next - off == n)
			buf_putc(&b, '\n');
		if (!done && n > 8 && memcmp(line, "[profile", 8) == 0) {
			buf_printf(&b, "tls = %s\n", tls);
			done = 1;
		}
		off = next;
	}
	if (!done) {
		util_err(err, errlen, "%s: no [profile NAME] section", path);
		goto out;
	}
	ret = util_write_atomic(out, b.data, b.len, 0644, err, errlen);
out:
	buf_free(&b);
	free(text);
	free(path);
	return ret;
}
