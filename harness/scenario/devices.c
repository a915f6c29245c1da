/*
 * Device profiles. See devices.h.
 */
#include "scenario/devices.h"
#include "common/cfg.h"
#include "common/util.h"

#include <dirent.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* see devices.h */
char *
dev_profiles_dir(void)
{
	const char *e = getenv("ROTSIM_PROFILES");
	char exe[4096];
	ssize_t n;

	if (e != NULL && *e)
		return is_dir(e) ? xstrdup(e) : NULL;
	if (is_dir("targets/firmware/profiles"))
		return xstrdup("targets/firmware/profiles");
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = 0;
		char *d = dirname(exe);
		static const char *const rel[] = { "../share/rotsim/profiles",
			"../../targets/firmware/profiles", "../../../targets/firmware/profiles" };
		size_t i;
		for (i = 0; i < sizeof rel / sizeof rel[0]; i++) {
			char *p = xasprintf("%s/%s", d, rel[i]);
			if (is_dir(p))
				return p;
			free(p);
		}
	}
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see devices.h */
int
dev_known_profiles(char ***names, size_t *n)
{
	char *dir = dev_profiles_dir();
	DIR *d;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if (dir == NULL || (d = opendir(dir)) == NULL) {
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (l <= 8 || strcmp(de->d_name + l - 8, ".profile") != 0)
			continue;
		*names = xrealloc(*names, (*n + 2) * sizeof **names);
		(*names)[(*n)++] = xstrndup(de->d_name, l - 8);
		(*names)[*n] = NULL;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*names, *n, sizeof **names, cmp_str);
	return 0;
}
