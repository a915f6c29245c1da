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

/* see devices.h */
char *
dev_profiles_dir(void)
{
	static const char *const beside[] = { "../share/rotsim/profiles",
		"../../targets/firmware/profiles", "../../../targets/firmware/profiles", NULL };
	const char *e = getenv("ROTSIM_PROFILES");

	if (e != NULL && *e)
		return util_is_dir(e) ? xstrdup(e) : NULL;
	return util_find_dir("targets/firmware/profiles", beside);
}

/* see devices.h */
int
dev_known_profiles(char ***names, size_t *n)
{
	char *dir = dev_profiles_dir();
	long r;

	*names = NULL;
	*n = 0;
	if (dir == NULL)
		return -1;
	r = util_list_dir(dir, ".profile", names, NULL, 0);
	free(dir);
	if (r < 0)
		return -1;
	/* NULL-terminated too, for scn_load's list of known devices. */
	*names = xrealloc(*names, ((size_t)r + 1) * sizeof **names);
	(*names)[r] = NULL;
	*n = (size_t)r;
	return 0;
}

/* see devices.h */
char *
dev_profile_value(const char *device, const char *key)
{
	char *dir = dev_profiles_dir(), *path, err[256], *v = NULL;
	cfg_doc doc;
	size_t i;

	if (dir == NULL || !cfg_valid_id(device)) {
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/%s.profile", dir, device);
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
	free(dir);
	return v;
}
