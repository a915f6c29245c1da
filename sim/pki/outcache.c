/*
 * Output files and the output cache. See pki.h.
 *
 * A warm `rotsim pki` used to load every key and sign every certificate again
 * (RSA-4096 signatures in BearSSL's 31-bit code: most of a second) to write
 * the same bytes as last time. The cache keeps those bytes, keyed by a hash of
 * everything they depend on, and a warm run only copies them.
 */
#include "pki/pki.h"
#include "pki_build_id.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CACHE_SUBDIR "pki-v1"
#define INDEX_NAME "index"
#define INDEX_HEAD "rotsim-pki-cache 1\n"
/* Bounds for what a cache may hold, far above any real hierarchy. */
#define MAX_INDEX (4u << 20)
#define MAX_FILE (16u << 20)
#define MAX_TOTAL (64u << 20)

/* see pki.h */
int
pki_out_dirs(const char *dir, char *err, size_t errlen)
{
	static const char *const subs[] = { "chains", "anchors" };
	size_t i;
	int ret = 0;

	if (util_mkdirs(dir, 0755, err, errlen) != 0)
		return -1;
	for (i = 0; i < sizeof subs / sizeof subs[0] && ret == 0; i++) {
		char *sub = xasprintf("%s/%s", dir, subs[i]);
		ret = util_mkdirs(sub, 0755, err, errlen);
		free(sub);
	}
	return ret;
}

static int
write_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, data, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Create name in the directory dirfd (or the path dir when dirfd is AT_FDCWD)
 * under a temporary name, then rename it into place. No fsync: outputs and
 * cache entries can be made again, and a cache entry is checked on reading.
 */
static int
write_at(int dirfd, const char *dir, const char *name, mode_t mode,
	const unsigned char *data, size_t len, char *err, size_t errlen)
{
	char *path = dirfd == AT_FDCWD ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	char *tmp = NULL;
	int fd = -1, ret = -1;
	unsigned tries;

	for (tries = 0; tries < 100; tries++) {
		free(tmp);
		tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), tries);
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		util_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	/* O_CREAT honours the umask; the mode asked for is the mode wanted. */
	if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0) {
		util_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		util_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, path) != 0) {
		util_err(err, errlen, "%s/%s: rename: %s", dir, name, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0 && tmp != NULL)
		unlinkat(dirfd, tmp, 0);
	free(tmp);
	free(path);
	return ret;
}

/* see pki.h */
int
pki_write_file(const char *dir, const char *name, mode_t mode,
	const unsigned char *data, size_t len, char *err, size_t errlen)
{
	return write_at(AT_FDCWD, dir, name, mode, data, len, err, errlen);
}

/* see pki.h */
void
pki_inputs_init(pki_inputs *in, const char *seed, const char *version)
{
	static const char tag[] = "rotsim pki outputs v1";

	br_sha256_init(&in->h);
	br_sha256_update(&in->h, tag, sizeof tag);
	br_sha256_update(&in->h, PKI_BUILD_ID, sizeof PKI_BUILD_ID);
	br_sha256_update(&in->h, version, strlen(version) + 1);
	br_sha256_update(&in->h, seed, strlen(seed) + 1);
}

/* see pki.h */
void
pki_inputs_add(pki_inputs *in, const void *data, size_t len)
{
	unsigned char n[8];
	uint64_t l = len;
	int i;

	/* The length first, so that no two lists of files hash alike. */
	for (i = 0; i < 8; i++)
		n[i] = (unsigned char)(l >> (8 * i));
	br_sha256_update(&in->h, n, sizeof n);
	br_sha256_update(&in->h, data, len);
}

/* see pki.h */
void
pki_inputs_key(const pki_inputs *in, char key[65])
{
	unsigned char h[32];

	br_sha256_out(&in->h, h);
	util_hex(key, h, sizeof h);
}

/* A name as pki_each_output() makes them: [chains/|anchors/]FILE, FILE of
 * the characters of ids (letters, digits, '.', '_', '-', '+'), not starting
 * with '.'. */
static int
valid_name(const char *s)
{
	static const char *const dirs[] = { "chains/", "anchors/" };
	size_t i, n;

	for (i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		n = strlen(dirs[i]);
		if (strncmp(s, dirs[i], n) == 0) {
			s += n;
			break;
		}
	}
	if (*s == 0 || *s == '.' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= 'A' && *s <= 'Z')
			&& !(*s >= '0' && *s <= '9') && *s != '.' && *s != '_' && *s != '-'
			&& *s != '+')
			return 0;
	return 1;
}

/* see pki.h */
void
pki_cache_files_free(pki_cache_file *files, size_t n)
{
	size_t i;

	if (files == NULL)
		return;
	for (i = 0; i < n; i++)
		free(files[i].name);
	free(files);
}

/* see pki.h */
int
pki_cache_index_parse(const char *text, size_t len, pki_cache_file **files, size_t *n,
	char *err, size_t errlen)
{
	const char *p = text, *end = text + len;
	pki_cache_file *fs = NULL;
	size_t nf = 0, cap = 0, total = 0;
	int line = 1;

	*files = NULL;
	*n = 0;
	if (len < sizeof INDEX_HEAD - 1 || memcmp(text, INDEX_HEAD, sizeof INDEX_HEAD - 1) != 0)
		return util_err(err, errlen, "index:1: not a rotsim PKI cache index");
	p += sizeof INDEX_HEAD - 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char buf[320], hex[65], name[256];
		unsigned mode;
		unsigned long size;
		int used = -1;

		line++;
		if (nl == NULL || (size_t)(nl - p) >= sizeof buf) {
			util_err(err, errlen, "index:%d: line too long or not ended", line);
			goto fail;
		}
		memcpy(buf, p, (size_t)(nl - p));
		buf[nl - p] = 0;
		p = nl + 1;
		if (sscanf(buf, "%o %lu %64[0-9a-f] %255[^ ]%n", &mode, &size, hex, name, &used) != 4
			|| used < 0 || buf[used] != 0 || strlen(hex) != 64) {
			util_err(err, errlen, "index:%d: want \"MODE SIZE SHA256 NAME\"", line);
			goto fail;
		}
		if ((mode != 0600 && mode != 0644) || !valid_name(name)) {
			util_err(err, errlen, "index:%d: bad mode or name", line);
			goto fail;
		}
		if (size > MAX_FILE || total + size > MAX_TOTAL) {
			util_err(err, errlen, "index:%d: files too large", line);
			goto fail;
		}
		if (nf == PKI_CACHE_MAX_FILES) {
			util_err(err, errlen, "index:%d: too many files", line);
			goto fail;
		}
		if (nf == cap) {
			cap = cap ? 2 * cap : 64;
			fs = xrealloc(fs, cap * sizeof *fs);
		}
		fs[nf].name = xstrdup(name);
		fs[nf].mode = (mode_t)mode;
		fs[nf].size = (size_t)size;
		util_unhex(fs[nf].sha256, sizeof fs[nf].sha256, hex);
		total += size;
		nf++;
	}
	*files = fs;
	*n = nf;
	return 0;
fail:
	pki_cache_files_free(fs, nf);
	return -1;
}

/* Read the regular file name under dirfd (no link followed), at most max
 * bytes. 0 with *data (xmalloc) and *len, or -1. */
static int
read_at(int dirfd, const char *name, size_t max, unsigned char **data, size_t *len)
{
	struct stat st;
	unsigned char *b = NULL;
	size_t got = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret = -1;

	*data = NULL;
	*len = 0;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max)
		goto out;
	b = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, b + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	b[got] = 0;
	*data = b;
	*len = got;
	b = NULL;
	ret = 0;
out:
	free(b);
	close(fd);
	return ret;
}

/* The directory CACHE/pki-v1 (made, mode 0700, when make is set), opened
 * without following a link at pki-v1; -1 when absent. */
static int
open_cache_root(const char *cache_dir, int make)
{
	char *root = xasprintf("%s/" CACHE_SUBDIR, cache_dir);
	char e[256];
	int fd = -1;

	if (!make || util_mkdirs(root, 0700, e, sizeof e) == 0)
		fd = open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(root);
	return fd;
}

static char *
stored_name(size_t i)
{
	return xasprintf("f%zu", i);
}

/*
 * Write the files of a cache entry into dir, each whole, at the least cost in
 * file-system operations (a warm run is mostly those):
 *  - dir missing: every file is made in a new sibling directory, each with
 *    O_EXCL (no temporary name: nobody else sees that directory), and the
 *    directory is renamed into place, so dir appears complete or not at all;
 *  - dir present: a file that already holds the bytes with the mode (a
 *    regular file, not a link) is left alone; any other is written as
 *    pki_write_file() does. Rewriting identical files cost a warm run most of
 *    its time, renaming over an existing file makes ext4 write it out.
 * 0, or -1 with err.
 */
static int
put_out(const char *dir, const pki_cache_file *files, size_t nfiles, unsigned char **data,
	char *err, size_t errlen)
{
	struct stat st;
	char *tmp = NULL;
	size_t i;
	int ret = -1, dfd = -1;

	if (dir[0] != 0 && dir[strlen(dir) - 1] != '/' && lstat(dir, &st) != 0 && errno == ENOENT) {
		char *parent = xstrdup(dir), *slash = strrchr(parent, '/');
		unsigned tries;
		int made = -1;
		/* The parent, as pki_out_dirs() would make it. */
		if (slash != NULL && slash != parent) {
			*slash = 0;
			made = util_mkdirs(parent, 0755, err, errlen);
		} else
			made = 0;
		free(parent);
		for (tries = 0; made == 0 && tries < 100; tries++) {
			free(tmp);
			tmp = xasprintf("%s.new.%ld.%u", dir, (long)getpid(), tries);
			if (mkdir(tmp, 0755) == 0 || errno != EEXIST)
				break;
		}
		if (made == 0 && (dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW
			| O_CLOEXEC)) >= 0
			&& mkdirat(dfd, "chains", 0755) == 0 && mkdirat(dfd, "anchors", 0755) == 0) {
			for (i = 0; i < nfiles; i++) {
				int fd = openat(dfd, files[i].name, O_WRONLY | O_CREAT | O_EXCL
					| O_NOFOLLOW | O_CLOEXEC, files[i].mode);
				int bad = fd < 0 || fchmod(fd, files[i].mode) != 0
					|| write_all(fd, data[i], files[i].size) != 0;
				if (fd >= 0 && close(fd) != 0)
					bad = 1;
				if (bad)
					break;
			}
			if (i == nfiles && rename(tmp, dir) == 0)
				ret = 0;
		}
		if (dfd >= 0)
			close(dfd);
		if (ret == 0 || tmp == NULL)
			goto out;
		/* Someone made dir meanwhile, or the directory could not be
		 * written: the file-by-file way below says why, if it fails. */
		if ((dfd = open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
			static const char *const subs[] = { "chains", "anchors" };
			for (i = 0; i < nfiles; i++)
				unlinkat(dfd, files[i].name, 0);
			for (i = 0; i < 2; i++)
				unlinkat(dfd, subs[i], AT_REMOVEDIR);
			close(dfd);
			dfd = -1;
		}
		rmdir(tmp);
	}
	if (pki_out_dirs(dir, err, errlen) != 0)
		goto out;
	for (i = 0; i < nfiles; i++) {
		char *path = xasprintf("%s/%s", dir, files[i].name);
		unsigned char *have = NULL;
		size_t hlen = 0;
		int same = 0;
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode)
			&& (st.st_mode & 07777) == files[i].mode && (size_t)st.st_size == files[i].size
			&& read_at(AT_FDCWD, path, files[i].size, &have, &hlen) == 0)
			same = hlen == files[i].size && memcmp(have, data[i], hlen) == 0;
		if (have != NULL)
			util_wipe(have, hlen);
		free(have);
		free(path);
		if (!same && pki_write_file(dir, files[i].name, files[i].mode, data[i],
			files[i].size, err, errlen) != 0)
			goto out;
	}
	ret = 0;
out:
	if (dfd >= 0)
		close(dfd);
	free(tmp);
	return ret;
}

/* see pki.h */
int
pki_cache_get(const char *cache_dir, const char *key, const char *dir,
	char *err, size_t errlen)
{
	pki_cache_file *files = NULL;
	unsigned char **data = NULL, *index = NULL;
	size_t nfiles = 0, ilen = 0, i, *lens = NULL;
	int root = -1, entry = -1, ret = 0;
	char perr[256];

	if (cache_dir == NULL)
		return 0;
	if ((root = open_cache_root(cache_dir, 0)) < 0)
		goto out;
	entry = openat(root, key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (entry < 0 || read_at(entry, INDEX_NAME, MAX_INDEX, &index, &ilen) != 0
		|| pki_cache_index_parse((const char *)index, ilen, &files, &nfiles, perr,
			sizeof perr) != 0)
		goto out;
	/* Every file read and checked before the first is written. */
	data = xcalloc(nfiles ? nfiles : 1, sizeof *data);
	lens = xcalloc(nfiles ? nfiles : 1, sizeof *lens);
	for (i = 0; i < nfiles; i++) {
		unsigned char h[32];
		char *sn = stored_name(i);
		int r = read_at(entry, sn, files[i].size, &data[i], &lens[i]);
		free(sn);
		if (r != 0 || lens[i] != files[i].size)
			goto out;
		util_sha256(h, data[i], lens[i]);
		if (memcmp(h, files[i].sha256, sizeof h) != 0)
			goto out;
	}
	ret = -1;
	if (put_out(dir, files, nfiles, data, err, errlen) != 0)
		goto out;
	/* Used: the entry is the last one trimming removes (cache_trim). */
	futimens(entry, NULL);
	ret = 1;
out:
	if (data != NULL) {
		for (i = 0; i < nfiles; i++) {
			if (data[i] != NULL)
				util_wipe(data[i], lens[i]);
			free(data[i]);
		}
		free(data);
	}
	free(lens);
	pki_cache_files_free(files, nfiles);
	free(index);
	if (entry >= 0)
		close(entry);
	if (root >= 0)
		close(root);
	return ret;
}

typedef struct {
	int dirfd;
	const char *dir;
	size_t n;
	buf_t index;
} put_ctx;

static int
put_one(void *ctx, const char *name, mode_t mode, const unsigned char *data, size_t len,
	char *err, size_t errlen)
{
	put_ctx *c = ctx;
	unsigned char h[32];
	char hex[65], *sn = stored_name(c->n);
	int r = write_at(c->dirfd, c->dir, sn, 0600, data, len, err, errlen);

	free(sn);
	if (r != 0)
		return -1;
	util_sha256(h, data, len);
	buf_printf(&c->index, "%o %zu %s %s\n", (unsigned)mode, len, util_hex(hex, h, 32), name);
	c->n++;
	return 0;
}

/* Remove the directory name under root and the files in it, links as links;
 * a subdirectory is left (and so is the directory then). */
static void
remove_entry(int root, const char *name)
{
	int fd = openat(root, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d;
	struct dirent *de;

	if (fd < 0) {
		unlinkat(root, name, 0);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlinkat(fd, de->d_name, 0);
	closedir(d);
	unlinkat(root, name, AT_REMOVEDIR);
}

/* see pki.h */
uint64_t
pki_cache_limit(void)
{
	const char *v = getenv("ROTSIM_PKI_CACHE_MAX");
	char *end;
	unsigned long long n;

	if (v == NULL || *v == 0)
		return PKI_CACHE_MAX_BYTES;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno != 0 || end == v || *end != 0)
		return PKI_CACHE_MAX_BYTES;
	return n;
}

typedef struct {
	char name[65];
	uint64_t bytes;
	struct timespec used;
} trim_entry;

static int
by_use(const void *a, const void *b)
{
	const trim_entry *x = a, *y = b;

	if (x->used.tv_sec != y->used.tv_sec)
		return x->used.tv_sec < y->used.tv_sec ? -1 : 1;
	if (x->used.tv_nsec != y->used.tv_nsec)
		return x->used.tv_nsec < y->used.tv_nsec ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Keep the cache under pki_cache_limit() bytes: the entries used least
 * recently (an entry's directory time is set on each hit) are removed first,
 * never keep (the entry just made). An entry whose index cannot be read counts
 * as its index's bound, so it goes early. Leftovers of interrupted writers
 * (".new.*", ".old.*") older than an hour are removed; younger ones may be a
 * concurrent run's work.
 */
static void
cache_trim(int root, const char *keep)
{
	trim_entry *es = NULL;
	size_t n = 0, cap = 0, i;
	uint64_t total = 0, limit = pki_cache_limit();
	struct timespec now;
	struct dirent *de;
	int dfd = dup(root);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;

	if (d == NULL) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(root, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (de->d_name[0] == '.') {
			if ((strncmp(de->d_name, ".new.", 5) == 0 || strncmp(de->d_name, ".old.", 5) == 0)
				&& now.tv_sec - st.st_mtim.tv_sec > 3600)
				remove_entry(root, de->d_name);
			continue;
		}
		if (strlen(de->d_name) != 64 || strspn(de->d_name, "0123456789abcdef") != 64)
			continue;	/* not ours */
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			es = xrealloc(es, cap * sizeof *es);
		}
		memcpy(es[n].name, de->d_name, 65);
		es[n].used = st.st_mtim;
		es[n].bytes = MAX_INDEX;
		int efd = openat(root, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		unsigned char *index = NULL;
		size_t ilen = 0, nf = 0, k;
		pki_cache_file *files = NULL;
		char perr[128];
		if (efd >= 0 && read_at(efd, INDEX_NAME, MAX_INDEX, &index, &ilen) == 0
			&& pki_cache_index_parse((const char *)index, ilen, &files, &nf, perr,
				sizeof perr) == 0) {
			es[n].bytes = ilen;
			for (k = 0; k < nf; k++)
				es[n].bytes += files[k].size;
		}
		pki_cache_files_free(files, nf);
		free(index);
		if (efd >= 0)
			close(efd);
		total += es[n].bytes;
		n++;
	}
	closedir(d);
	if (total > limit) {
		qsort(es, n, sizeof *es, by_use);
		for (i = 0; i < n && total > limit; i++) {
			if (strcmp(es[i].name, keep) == 0)
				continue;
			remove_entry(root, es[i].name);
			total -= es[i].bytes;
		}
	}
	free(es);
}

/* see pki.h */
int
pki_cache_put(const pki *p, const char *cache_dir, const char *key,
	char *err, size_t errlen)
{
	put_ctx c = { -1, NULL, 0, {0} };
	char *tmp = NULL, *old = NULL, *tdir = NULL;
	int root = -1, ret = -1;
	unsigned tries;

	if ((root = open_cache_root(cache_dir, 1)) < 0) {
		util_err(err, errlen, "%s/" CACHE_SUBDIR ": %s", cache_dir, strerror(errno));
		goto out;
	}
	for (tries = 0; tries < 100; tries++) {
		free(tmp);
		tmp = xasprintf(".new.%s.%ld.%u", key, (long)getpid(), tries);
		if (mkdirat(root, tmp, 0700) == 0 || errno != EEXIST)
			break;
	}
	tdir = xasprintf("%s/" CACHE_SUBDIR "/%s", cache_dir, tmp);
	c.dirfd = openat(root, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (c.dirfd < 0) {
		util_err(err, errlen, "%s: %s", tdir, strerror(errno));
		goto out;
	}
	c.dir = tdir;
	buf_puts(&c.index, INDEX_HEAD);
	if (pki_each_output(p, put_one, &c, err, errlen) != 0
		|| write_at(c.dirfd, tdir, INDEX_NAME, 0600, c.index.data, c.index.len,
			err, errlen) != 0)
		goto out;
	/* Publish; an entry already there (a bad one, or one a concurrent
	 * run just made) is moved aside first and removed after. */
	if (renameat(root, tmp, root, key) != 0) {
		if (errno != EEXIST && errno != ENOTEMPTY && errno != ENOTDIR) {
			util_err(err, errlen, "%s/" CACHE_SUBDIR "/%s: %s", cache_dir, key,
				strerror(errno));
			goto out;
		}
		old = xasprintf(".old.%s.%ld", key, (long)getpid());
		remove_entry(root, old);
		if (renameat(root, key, root, old) != 0 || renameat(root, tmp, root, key) != 0) {
			util_err(err, errlen, "%s/" CACHE_SUBDIR "/%s: %s", cache_dir, key,
				strerror(errno));
			goto out;
		}
		remove_entry(root, old);
	}
	cache_trim(root, key);
	ret = 0;
out:
	if (c.dirfd >= 0)
		close(c.dirfd);
	if (ret != 0 && root >= 0 && tmp != NULL)
		remove_entry(root, tmp);
	if (root >= 0)
		close(root);
	buf_free(&c.index);
	free(tmp);
	free(old);
	free(tdir);
	return ret;
}
