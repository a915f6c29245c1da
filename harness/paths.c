/*
 * Search paths for targets, devices and scenarios. See paths.h.
 */
#include "paths.h"
#include "common/cfg.h"
#include "common/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **added[3];
static size_t nadded[3];

static const char *const subdir[3] = { "targets", "devices", "scenarios" };
static const char *const envvar[3] = { "ROTSIM_TARGETS", "ROTSIM_PROFILES", "ROTSIM_SCENARIOS" };

/* see paths.h */
int
paths_add(paths_kind k, const char *dir, char *err, size_t errlen)
{
	if (!util_is_dir(dir))
		return util_err(err, errlen, "%s: no such directory", dir);
	added[k] = xrealloc(added[k], (nadded[k] + 1) * sizeof *added[k]);
	added[k][nadded[k]++] = xstrdup(dir);
	return 0;
}

/* The stock directory of a kind, or NULL. Devices have two, both of device
 * descriptions (NAME.device): the reference agent's devices and the other
 * stock devices, searched in that order (which 0 or 1). Installed, both are
 * one directory. */
static char *
stock_dir(paths_kind k, int which)
{
	static const char *const t[] = { "../share/rotsim/targets", "../../targets",
		"../../../targets", NULL };
	static const char *const d[] = { "../share/rotsim/devices",
		"../../targets/firmware/devices", "../../../targets/firmware/devices", NULL };
	static const char *const dd[] = { "../share/rotsim/devices",
		"../../targets/devices", "../../../targets/devices", NULL };
	static const char *const s[] = { "../share/rotsim/scenarios", "../../scenarios",
		"../../../scenarios", NULL };

	if (which > 0 && k != PATHS_DEVICES)
		return NULL;
	switch (k) {
	case PATHS_TARGETS: return util_find_dir("targets", t);
	case PATHS_DEVICES: return which == 0 ? util_find_dir("targets/firmware/devices", d)
		: util_find_dir("targets/devices", dd);
	default: return util_find_dir("scenarios", s);
	}
}

static void
push(char ***dirs, size_t *n, const char *dir)
{
	size_t i;

	if (dir == NULL || !util_is_dir(dir))
		return;
	for (i = 0; i < *n; i++)
		if (strcmp((*dirs)[i], dir) == 0)
			return;
	*dirs = xrealloc(*dirs, (*n + 2) * sizeof **dirs);
	(*dirs)[(*n)++] = xstrdup(dir);
	(*dirs)[*n] = NULL;
}

/* see paths.h */
size_t
paths_dirs(paths_kind k, char ***dirs)
{
	size_t n = 0, i;
	char *stock = stock_dir(k, 0), *stock2 = stock_dir(k, 1);
	const char *e;

	*dirs = NULL;
	if (k == PATHS_DEVICES) {
		push(dirs, &n, stock);
		push(dirs, &n, stock2);
	}
	for (i = 0; i < nadded[k]; i++)
		push(dirs, &n, added[k][i]);
	if ((e = getenv("ROTSIM_PATH")) != NULL && *e) {
		char **parts;
		size_t np = cfg_split(e, ':', &parts), j;
		for (j = 0; j < np; j++) {
			if (parts[j][0] == 0)
				continue;
			char *d = xasprintf("%s/%s", parts[j], subdir[k]);
			push(dirs, &n, d);
			free(d);
		}
		cfg_list_free(parts, np);
	}
	if ((e = getenv(envvar[k])) != NULL && *e)
		push(dirs, &n, e);
	if (k != PATHS_DEVICES)
		push(dirs, &n, stock);
	free(stock);
	free(stock2);
	return n;
}

/* see paths.h */
char *
paths_find(paths_kind k, const char *name, const char *suffix)
{
	char **dirs, *found = NULL;
	size_t n = paths_dirs(k, &dirs), i;

	for (i = 0; i < n && found == NULL && cfg_valid_id(name); i++) {
		char *p = xasprintf("%s/%s%s", dirs[i], name, suffix);
		if (access(p, F_OK) == 0)
			found = p;
		else
			free(p);
	}
	cfg_list_free(dirs, n);
	return found;
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see paths.h */
size_t
paths_names(paths_kind k, const char *suffix, char ***names)
{
	char **dirs;
	size_t n = paths_dirs(k, &dirs), i, count = 0;
	int nested = suffix[0] == '/';

	*names = NULL;
	for (i = 0; i < n; i++) {
		char **here = NULL;
		long m = util_list_dir(dirs[i], nested ? "" : suffix, &here, NULL, 0), j;
		for (j = 0; j < m; j++) {
			char *p = xasprintf("%s/%s%s", dirs[i], here[j], nested ? suffix : "");
			int ok = !nested || access(p, F_OK) == 0;
			free(p);
			if (ok && cfg_valid_id(here[j])) {
				*names = xrealloc(*names, (count + 2) * sizeof **names);
				(*names)[count++] = here[j];
				here[j] = NULL;
			}
		}
		if (m > 0)
			cfg_list_free(here, (size_t)m);
	}
	cfg_list_free(dirs, n);
	if (count == 0)
		return 0;
	qsort(*names, count, sizeof **names, by_name);
	for (i = 1; i < count; ) {
		if (strcmp((*names)[i], (*names)[i - 1]) == 0) {
			free((*names)[i]);
			memmove(&(*names)[i], &(*names)[i + 1], (count - i - 1) * sizeof **names);
			count--;
		} else {
			i++;
		}
	}
	(*names)[count] = NULL;
	return count;
}

/* see paths.h */
int
paths_is_stock(paths_kind k, const char *path)
{
	int which, r = 0;

	for (which = 0; which < 2 && !r; which++) {
		char *sd = stock_dir(k, which);
		size_t n = sd != NULL ? strlen(sd) : 0;
		r = sd != NULL && strncmp(path, sd, n) == 0 && path[n] == '/'
			&& strchr(path + n + 1, '/') == NULL;
		free(sd);
	}
	return r;
}

/* Is dir one of the stock devices directories? */
static int
stock_devices_dir(const char *dir)
{
	int which, r = 0;

	for (which = 0; which < 2 && !r; which++) {
		char *sd = stock_dir(PATHS_DEVICES, which);
		r = sd != NULL && strcmp(sd, dir) == 0;
		free(sd);
	}
	return r;
}

/* see paths.h */
char *
paths_shadowed_device(void)
{
	static const char *const suffix[2] = { ".profile", ".device" };
	char **dirs, *found = NULL;
	size_t n = paths_dirs(PATHS_DEVICES, &dirs), i, j;
	int a, b;

	/* For each device file: the same name in the same directory with the
	 * other suffix, or, for a file of an added directory, in a stock one. */
	for (i = 0; i < n && found == NULL; i++) {
		int from_added = !stock_devices_dir(dirs[i]);
		for (a = 0; a < 2 && found == NULL; a++) {
			char **here = NULL;
			long m = util_list_dir(dirs[i], suffix[a], &here, NULL, 0), k;
			for (k = 0; k < m && found == NULL; k++)
				for (j = 0; j < n && found == NULL; j++) {
					if (j != i && !(from_added && stock_devices_dir(dirs[j])))
						continue;
					for (b = 0; b < 2 && found == NULL; b++) {
						if (j == i && b == a)
							continue;
						char *p = xasprintf("%s/%s%s", dirs[j], here[k],
							suffix[b]);
						if (access(p, F_OK) == 0)
							found = xasprintf("%s/%s%s", dirs[i],
								here[k], suffix[a]);
						free(p);
					}
				}
			if (m > 0)
				cfg_list_free(here, (size_t)m);
		}
	}
	cfg_list_free(dirs, n);
	return found;
}
