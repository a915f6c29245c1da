/*
 * The cache of saved machines. See snapshot.h.
 */
#include "target/snapshot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* see snapshot.h */
char *
snap_dir(const char *build_dir)
{
	const char *e = getenv("ROTSIM_SNAPSHOTS");

	if (e != NULL && *e)
		return xstrdup(e);
	return xasprintf("%s/cache/snapshots", build_dir);
}

/* see snapshot.h */
int
snap_dir_check(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(dir, &st) != 0) {
		if (errno != ENOENT)
			return util_err(err, errlen, "%s: %s", dir, strerror(errno));
		if (util_mkdirs(dir, 0700, err, errlen) != 0)
			return -1;
		if (lstat(dir, &st) != 0)
			return util_err(err, errlen, "%s: %s", dir, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return util_err(err, errlen, "%s: not a directory", dir);
	if (st.st_uid != geteuid())
		return util_err(err, errlen, "%s: owned by another user", dir);
	if (st.st_mode & 022)
		return util_err(err, errlen, "%s: others may write it (mode %03o)", dir,
			(unsigned)(st.st_mode & 0777));
	return 0;
}

/* see snapshot.h */
void
snap_key(const buf_t *material, char hex[65])
{
	unsigned char h[32];

	util_sha256(h, material->data, material->len);
	util_hex(hex, h, 32);
}

/* see snapshot.h */
int
snap_material_file(buf_t *material, const char *label, const char *path, char *err,
	size_t errlen)
{
	unsigned char *data, h[32];
	size_t len;
	char hex[65];

	if (util_read_file(path, &data, &len, err, errlen) != 0)
		return -1;
	util_sha256(h, data, len);
	free(data);
	buf_printf(material, "%s %s %zu\n", label, util_hex(hex, h, 32), len);
	return 0;
}

/* see snapshot.h */
int
snap_lock(const char *dir, const char *key, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s.lock", dir, key);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		free(path);
		return -1;
	}
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			util_err(err, errlen, "%s: flock: %s", path, strerror(errno));
			close(fd);
			free(path);
			return -1;
		}
	}
	free(path);
	return fd;
}

/* see snapshot.h */
int
snap_open(const char *dir, const char *key)
{
	char *path = xasprintf("%s/%s.snap", dir, key);
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	free(path);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()
		|| st.st_size == 0) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	futimens(fd, NULL);	/* used now: the bound keeps it longest */
	return fd;
}

typedef struct {
	char *key;
	time_t mtime;
} snap_ent;

static int
by_age(const void *a, const void *b)
{
	const snap_ent *x = a, *y = b;
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : strcmp(x->key, y->key);
}

/* Remove what a save killed midway left (.tmp-KEY-XXXXXX, over an hour
 * old): its files, then the directory. */
static void
prune_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	time_t now = time(NULL);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strncmp(de->d_name, ".tmp-", 5) != 0)
			continue;
		char *t = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(t, &st) == 0 && S_ISDIR(st.st_mode) && st.st_mtime < now - 3600) {
			static const char *const files[] = { "initrd.img", "flash.img",
				"console.log", "qemu.log", "machine.snap" };
			for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
				char *f = xasprintf("%s/%s", t, files[i]);
				unlink(f);
				free(f);
			}
			rmdir(t);
		}
		free(t);
	}
	closedir(d);
}

/* see snapshot.h */
void
snap_prune(const char *dir, const char *keep)
{
	char **names, err[256];
	long n, i, kept = 0;
	snap_ent *e;

	prune_tmp(dir);
	n = util_list_dir(dir, ".snap", &names, err, sizeof err);

	if (n <= SNAP_MAX) {
		for (i = 0; i < n; i++)
			free(names[i]);
		if (n >= 0)
			free(names);
		return;
	}
	e = xcalloc((size_t)n, sizeof *e);
	for (i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s.snap", dir, names[i]);
		struct stat st;
		e[i].key = names[i];
		e[i].mtime = lstat(p, &st) == 0 ? st.st_mtime : 0;
		free(p);
	}
	qsort(e, (size_t)n, sizeof *e, by_age);
	for (i = 0; i < n; i++) {
		if (kept < SNAP_MAX || strcmp(e[i].key, keep) == 0) {
			kept++;
			continue;
		}
		char *p = xasprintf("%s/%s.snap", dir, e[i].key);
		char *m = xasprintf("%s/%s.json", dir, e[i].key);
		char *l = xasprintf("%s/%s.lock", dir, e[i].key);
		unlink(p);
		unlink(m);
		unlink(l);
		free(p);
		free(m);
		free(l);
	}
	for (i = 0; i < n; i++)
		free(e[i].key);
	free(e);
	free(names);
}

/* see snapshot.h */
int
snap_accept(int lfd, int timeout_ms)
{
	struct pollfd pfd = { lfd, POLLIN, 0 };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* see snapshot.h */
int
snap_write_all(int fd, const void *data, size_t len, int timeout_ms)
{
	const unsigned char *p = data;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (len > 0) {
		struct pollfd pfd = { fd, POLLOUT, 0 };
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long el = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= timeout_ms)
			return -1;
		if (poll(&pfd, 1, (int)(timeout_ms - el)) <= 0)
			continue;
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
