/*
 * Allocation, buffers, files, encodings. See util.h.
 */
#include "common/util.h"

#include <bearssl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
oom(void)
{
	fputs("rotsim: out of memory\n", stderr);
	exit(2);
}

/* see util.h */
void *
xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);
	if (p == NULL)
		oom();
	return p;
}

/* see util.h */
void *
xcalloc(size_t n, size_t len)
{
	void *p = calloc(n ? n : 1, len ? len : 1);
	if (p == NULL)
		oom();
	return p;
}

/* see util.h */
void *
xrealloc(void *p, size_t len)
{
	p = realloc(p, len ? len : 1);
	if (p == NULL)
		oom();
	return p;
}

/* see util.h */
char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : xmemdup(s, strlen(s) + 1);
}

/* see util.h */
char *
xstrndup(const char *s, size_t n)
{
	size_t l = strnlen(s, n);
	char *r = xmalloc(l + 1);
	memcpy(r, s, l);
	r[l] = 0;
	return r;
}

/* see util.h */
void *
xmemdup(const void *buf, size_t len)
{
	void *p;

	if (buf == NULL)
		return NULL;
	p = xmalloc(len);
	memcpy(p, buf, len);
	return p;
}

/* see util.h */
char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		oom();
	va_end(ap);
	return s;
}

/* see util.h */
int
util_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* see util.h */
void
buf_reserve(buf_t *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len)
		oom();
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

/* see util.h */
void
buf_append(buf_t *b, const void *data, size_t len)
{
	if (len == 0)
		return;
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
}

/* see util.h */
void
buf_putc(buf_t *b, int c)
{
	unsigned char ch = (unsigned char)c;
	buf_append(b, &ch, 1);
}

/* see util.h */
void
buf_puts(buf_t *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

/* see util.h */
void
buf_printf(buf_t *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

/* see util.h */
char *
buf_cstr(buf_t *b)
{
	buf_reserve(b, 1);
	b->data[b->len] = 0;
	return (char *)b->data;
}

/* see util.h */
void
buf_free(buf_t *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* see util.h */
int
util_read_file(const char *path, unsigned char **data, size_t *len,
	char *err, size_t errlen)
{
	buf_t b = {0};
	int fd;
	ssize_t r;

	*data = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return util_err(err, errlen, "%s: %s", path, strerror(errno));
	for (;;) {
		buf_reserve(&b, 65536);
		r = read(fd, b.data + b.len, 65536);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			util_err(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			buf_free(&b);
			return -1;
		}
		if (r == 0)
			break;
		b.len += (size_t)r;
	}
	close(fd);
	buf_cstr(&b);
	*data = b.data;
	*len = b.len;
	return 0;
}

/* see util.h */
int
util_open_evidence(const char *path, int how, mode_t mode, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO planted at the path must not block the open; it is
	 * then refused as no regular file. */
	int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, fd;
	struct stat st;

	flags |= how == UTIL_EV_APPEND ? O_APPEND : O_EXCL;
	fd = open(path, flags, mode);
	if (fd < 0) {
		if (errno == ELOOP || (errno == EEXIST && lstat(path, &st) == 0 && S_ISLNK(st.st_mode)))
			util_err(err, errlen, "%s: a symbolic link is in the way of an evidence "
				"file: not followed", path);
		else if (errno == EEXIST)
			util_err(err, errlen, "%s: already exists: evidence files are created "
				"new", path);
		else
			util_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		util_err(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

/* see util.h */
FILE *
util_fopen_evidence(const char *path, int how, char *err, size_t errlen)
{
	int fd = util_open_evidence(path, how, 0644, err, errlen);
	FILE *f;

	if (fd < 0)
		return NULL;
	if ((f = fdopen(fd, how == UTIL_EV_APPEND ? "a" : "w")) == NULL) {
		util_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
	}
	return f;
}

/* util_write_atomic, with or without the fsync before the rename. */
static int
write_atomic(const char *path, const void *data, size_t len, mode_t mode, int sync,
	char *err, size_t errlen)
{
	char *tmp = NULL;
	const unsigned char *p = data;
	int fd = -1, ret = -1;
	unsigned tries;

	for (tries = 0; tries < 100; tries++) {
		free(tmp);
		tmp = xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), tries);
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		util_err(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	/* O_CREAT honours the umask; the mode asked for is the mode wanted. */
	if (fchmod(fd, mode) != 0) {
		util_err(err, errlen, "%s: chmod: %s", tmp, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			util_err(err, errlen, "%s: %s", tmp, strerror(errno));
			goto out;
		}
		p += w;
		len -= (size_t)w;
	}
	if (sync && fsync(fd) != 0 && errno != EINVAL) {
		util_err(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		util_err(err, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		util_err(err, errlen, "%s: rename: %s", path, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (ret != 0 && tmp != NULL)
		unlink(tmp);
	free(tmp);
	return ret;
}

/* see util.h */
int
util_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, char *err, size_t errlen)
{
	return write_atomic(path, data, len, mode, 1, err, errlen);
}

/* see util.h */
int
util_write_atomic_unsynced(const char *path, const void *data, size_t len,
	mode_t mode, char *err, size_t errlen)
{
	return write_atomic(path, data, len, mode, 0, err, errlen);
}

/* see util.h */
int
util_mkdirs(const char *path, mode_t mode, char *err, size_t errlen)
{
	char *p = xstrdup(path), *s;
	struct stat st;
	int ret = -1;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != 0)
			continue;
		char c = *s;
		*s = 0;
		if (mkdir(p, mode) != 0 && errno != EEXIST) {
			util_err(err, errlen, "%s: %s", p, strerror(errno));
			goto out;
		}
		*s = c;
		if (c == 0)
			break;
	}
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		util_err(err, errlen, "%s: not a directory", path);
		goto out;
	}
	ret = 0;
out:
	free(p);
	return ret;
}

/* see util.h */
int
util_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* see util.h */
char *
util_find_dir(const char *local, const char *const *beside)
{
	char exe[4096], *d;
	ssize_t n;

	if (local != NULL && util_is_dir(local))
		return xstrdup(local);
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	if ((d = strrchr(exe, '/')) != NULL)
		*d = 0;
	for (; beside != NULL && *beside != NULL; beside++) {
		char *p = xasprintf("%s/%s", exe, *beside);
		if (util_is_dir(p))
			return p;
		free(p);
	}
	return NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* see util.h */
long
util_list_dir(const char *dir, const char *suffix, char ***names, char *err, size_t errlen)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **out = NULL;
	size_t n = 0, sl = strlen(suffix);

	*names = NULL;
	if (d == NULL)
		return util_err(err, errlen, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (l <= sl || strcmp(de->d_name + l - sl, suffix) != 0)
			continue;
		out = xrealloc(out, (n + 1) * sizeof *out);
		out[n++] = xstrndup(de->d_name, l - sl);
	}
	closedir(d);
	if (n > 1)
		qsort(out, n, sizeof *out, cmp_str);
	*names = out;
	return (long)n;
}

/* see util.h */
char *
util_hex(char *out, const void *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * len] = 0;
	return out;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* see util.h */
long
util_unhex(unsigned char *out, size_t outlen, const char *hex)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		if (*hex == ':')
			continue;
		int v = hexval((unsigned char)*hex);
		if (v < 0)
			return -1;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= outlen)
			return -1;
		out[n++] = (unsigned char)(hi << 4 | v);
		hi = -1;
	}
	return hi >= 0 ? -1 : (long)n;
}

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* see util.h */
char *
util_b64_encode(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = b64chars[(v >> 6) & 63];
		*o++ = b64chars[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		*o++ = b64chars[v >> 18];
		*o++ = b64chars[(v >> 12) & 63];
		*o++ = i + 1 < len ? b64chars[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	*o = 0;
	return out;
}

/* see util.h */
long
util_b64_decode(unsigned char *out, size_t outlen, const char *s, size_t slen)
{
	uint32_t acc = 0;
	size_t n = 0, i;
	int bits = 0, pad = 0;

	for (i = 0; i < slen; i++) {
		int c = (unsigned char)s[i];
		const char *q;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || c == 0 || (q = strchr(b64chars, c)) == NULL)
			return -1;
		acc = acc << 6 | (uint32_t)(q - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n >= outlen)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (pad > 2 || bits >= 6 || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return (long)n;
}

/* see util.h */
void
util_sha256(unsigned char out[32], const void *data, size_t len)
{
	br_sha256_context c;

	br_sha256_init(&c);
	br_sha256_update(&c, data, len);
	br_sha256_out(&c, out);
}

/* see util.h */
void
util_wipe(void *p, size_t len)
{
	if (p != NULL)
		explicit_bzero(p, len);
}

/* see util.h */
int
util_copy_file(const char *from, const char *to, mode_t mode, int flags, char *err,
	size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r;

	if ((flags & UTIL_COPY_KEEP) && access(to, F_OK) == 0)
		return 0;
	if ((flags & UTIL_COPY_LINK) && link(from, to) == 0)
		return 0;
	if (util_read_file(from, &data, &len, err, errlen) != 0)
		return -1;
	r = util_write_atomic(to, data, len, mode & 0777, err, errlen);
	free(data);
	return r;
}

/* see util.h */
int
util_copy_tree(const char *from, const char *to, int flags, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if ((d = opendir(from)) == NULL)
		return errno == ENOENT ? 0 : util_err(err, errlen, "%s: %s", from, strerror(errno));
	if (util_mkdirs(to, 0755, err, errlen) != 0) {
		closedir(d);
		return -1;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char *a, *b;
		if (de->d_name[0] == '.')
			continue;
		a = xasprintf("%s/%s", from, de->d_name);
		b = xasprintf("%s/%s", to, de->d_name);
		if (lstat(a, &st) != 0)
			ret = util_err(err, errlen, "%s: %s", a, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			ret = util_copy_tree(a, b, flags, err, errlen);
		else if (S_ISREG(st.st_mode))
			ret = util_copy_file(a, b, st.st_mode, flags, err, errlen);
		free(a);
		free(b);
	}
	closedir(d);
	return ret;
}

/* see util.h */
char *
util_slurp(const char *dir, const char *name, size_t *len)
{
	char *p = xasprintf("%s/%s", dir, name), err[64];
	unsigned char *data = NULL;

	if (util_read_file(p, &data, len, err, sizeof err) != 0)
		data = NULL;
	free(p);
	return (char *)data;
}

/* see util.h */
int
util_file_contains(const char *path, const char *text)
{
	unsigned char *data;
	size_t len;
	char err[64];
	int r;

	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return 0;
	r = memmem(data, len, text, strlen(text)) != NULL;
	free(data);
	return r;
}
