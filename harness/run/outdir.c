/*
 * The results folder of a run: created fresh (or emptied on request), and
 * locked while the run writes to it, so that two runs never mix their
 * evidence and no file planted there beforehand is written through. See
 * runner.h.
 */
#include "run/runner.h"
#include "common/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a run (and rotsim report) writes at the top of its folder: only a
 * folder holding nothing else may be cleared by --force. */
static const char *const run_entries[] = { ".lock", "cases", "pki", "firmware", "keys",
	"summary.json", "junit.xml", "summary.txt", "report.html", "report.md", "report.json",
	NULL };

static int
known_entry(const char *name)
{
	size_t i;

	for (i = 0; run_entries[i] != NULL; i++)
		if (strcmp(run_entries[i], name) == 0)
			return 1;
	return 0;
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

/* see runner.h */
int
results_open(const char *dir, int force, int *lockfd, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	char *lock = NULL, *foreign = NULL;
	size_t n = 0;
	int fd = -1, ret = -1;

	*lockfd = -1;
	if (util_mkdirs(dir, 0755, err, errlen) != 0)
		return -1;
	lock = xasprintf("%s/.lock", dir);
	fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		util_err(err, errlen, "%s: %s", lock, strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		util_err(err, errlen, "%s is in use by another run", dir);
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		util_err(err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0
			|| strcmp(de->d_name, ".lock") == 0)
			continue;
		n++;
		if (!known_entry(de->d_name) && foreign == NULL)
			foreign = xstrdup(de->d_name);
	}
	closedir(d);
	if (n > 0 && !force) {
		util_err(err, errlen, "%s is not empty: give a new --out, or --force to clear an "
			"earlier run there", dir);
		goto out;
	}
	if (n > 0 && foreign != NULL) {
		util_err(err, errlen, "%s holds \"%s\", which no run writes: not clearing it", dir,
			foreign);
		goto out;
	}
	if (n > 0) {
		size_t i;
		for (i = 0; run_entries[i] != NULL; i++) {
			if (strcmp(run_entries[i], ".lock") == 0)
				continue;
			char *p = xasprintf("%s/%s", dir, run_entries[i]);
			int r = nftw(p, remove_one, 16, FTW_DEPTH | FTW_PHYS);
			int gone = access(p, F_OK) != 0 && errno == ENOENT;
			free(p);
			if (r != 0 && !gone) {
				util_err(err, errlen, "%s: cannot clear %s: %s", dir, run_entries[i],
					strerror(errno));
				goto out;
			}
		}
	}
	*lockfd = fd;
	fd = -1;
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	free(lock);
	free(foreign);
	return ret;
}
