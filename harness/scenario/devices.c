/*
 * Device profiles. See devices.h.
 */
#include "scenario/devices.h"
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
	return paths_find(PATHS_DEVICES, device, ".profile");
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
