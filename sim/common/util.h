/*
 * Small helpers shared by every module: allocation, error buffers, files.
 *
 * Library code reports errors to its caller through a caller-supplied buffer
 * (char *err, size_t errlen) and a return value; it never prints or exits.
 * The one exception is running out of memory, which is fatal in xmalloc()
 * and friends, as in BearSSL's tools.
 */
#ifndef ROTSIM_UTIL_H
#define ROTSIM_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/types.h>

/* Allocate or die ("rotsim: out of memory" on stderr, exit 2). xmalloc(0)
 * returns a valid pointer. Released with free(). */
void *xmalloc(size_t len);
void *xcalloc(size_t n, size_t len);
void *xrealloc(void *p, size_t len);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A copy of buf[0..len), allocated with xmalloc(); NULL in, NULL out. */
void *xmemdup(const void *buf, size_t len);
/* printf into a new string allocated with xmalloc(). */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Format a message into err (if err is not NULL and errlen > 0); always
 * returns -1 so that "return util_err(err, errlen, ...)" reads naturally. */
int util_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A growable byte buffer. Zero-initialise it ({0}); release with buf_free(). */
typedef struct {
	unsigned char *data;
	size_t len;
	size_t cap;
} buf_t;

void buf_reserve(buf_t *b, size_t extra);
void buf_append(buf_t *b, const void *data, size_t len);
void buf_putc(buf_t *b, int c);
void buf_puts(buf_t *b, const char *s);
void buf_printf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make the contents a NUL-terminated string (the NUL is not counted in len). */
char *buf_cstr(buf_t *b);
void buf_free(buf_t *b);

/* Read a whole file into memory (allocated with xmalloc(), one extra NUL byte
 * after the data). Returns 0, or -1 with a message "PATH: reason" in err. */
int util_read_file(const char *path, unsigned char **data, size_t *len,
	char *err, size_t errlen);

/* The file NAME in DIR, whole and NUL-terminated (allocated, its length in
 * *len), or NULL when it cannot be read: for evidence files a reader treats
 * as absent when unreadable. */
char *util_slurp(const char *dir, const char *name, size_t *len);

/* 1 when the file at path holds text anywhere (a console log and the line a
 * target waits for), 0 when it does not or cannot be read. */
int util_file_contains(const char *path, const char *text);

/* Write a file so that it is never seen half-written: the data goes to a
 * temporary name in the same directory (created with O_EXCL|O_NOFOLLOW and the
 * given mode), is flushed, and is renamed over PATH. Returns 0 or -1 with err. */
int util_write_atomic(const char *path, const void *data, size_t len,
	mode_t mode, char *err, size_t errlen);

/* util_write_atomic without the flush (fsync) before the rename: never seen
 * half-written, but a crash of the machine may lose it. */
int util_write_atomic_unsynced(const char *path, const void *data, size_t len,
	mode_t mode, char *err, size_t errlen);

/*
 * Open an evidence file for writing: never through a symbolic link
 * (O_NOFOLLOW) and close-on-exec. UTIL_EV_NEW creates it and fails if
 * anything is already there (O_EXCL: a file planted in a results folder is
 * an error, not a target); UTIL_EV_APPEND appends to a regular file the run
 * itself created earlier, creating it when missing. Returns the descriptor,
 * or -1 with "PATH: why" in err (err may be NULL).
 */
#define UTIL_EV_NEW	0
#define UTIL_EV_APPEND	1
int util_open_evidence(const char *path, int how, mode_t mode, char *err, size_t errlen);

/* The same as a stdio stream ("w" or "a"), or NULL with err. */
FILE *util_fopen_evidence(const char *path, int how, char *err, size_t errlen);

/* mkdir -p with the given mode for directories it creates. 0 or -1 with err. */
int util_mkdirs(const char *path, mode_t mode, char *err, size_t errlen);

/* 1 if path names a directory. */
int util_is_dir(const char *path);

/* Flags of util_copy_file() and util_copy_tree(). */
#define UTIL_COPY_LINK 1	/* a hard link where the file system allows one */
#define UTIL_COPY_KEEP 2	/* an existing destination is kept as it is */

/* Copy the regular file from to to (atomically, with mode), or link it with
 * UTIL_COPY_LINK. Returns 0, or -1 with err. */
int util_copy_file(const char *from, const char *to, mode_t mode, int flags, char *err,
	size_t errlen);

/* Copy the tree under from into to, directory by directory: regular files
 * with their modes (or links, per flags); symbolic links, sockets and fifos
 * are left out, and names starting with "." too. A missing from is an empty
 * tree. Returns 0, or -1 with err. */
int util_copy_tree(const char *from, const char *to, int flags, char *err, size_t errlen);

/*
 * Find a data directory of rotsim's: local (a path relative to the working
 * directory, as in the source tree) if it is a directory, else the first of
 * beside[] (NULL-terminated paths relative to the directory of the running
 * program, as in an installation) that is one. Returns a path allocated with
 * xmalloc(), or NULL.
 */
char *util_find_dir(const char *local, const char *const *beside);

/* The names in directory dir that end with suffix ("" for every name but "."
 * and ".."), the suffix removed, sorted; an array allocated with xmalloc() as
 * is each name (release with cfg_list_free() or free each). Returns the count,
 * or -1 with err when dir cannot be read. */
long util_list_dir(const char *dir, const char *suffix, char ***names, char *err,
	size_t errlen);

/* Lower-case hex of data into out (2*len+1 bytes). Returns out. */
char *util_hex(char *out, const void *data, size_t len);
/* Parse hex digits (no separators but optional ':'); returns the number of
 * bytes written to out, or -1 on a bad digit, odd length or overflow. */
long util_unhex(unsigned char *out, size_t outlen, const char *hex);

/* Standard base64 (RFC 4648, with padding). Encode returns the string,
 * allocated with xmalloc(). Decode returns the length or -1. */
char *util_b64_encode(const void *data, size_t len);
long util_b64_decode(unsigned char *out, size_t outlen, const char *s, size_t slen);

/* SHA-256 of data into out[32]. */
void util_sha256(unsigned char out[32], const void *data, size_t len);

/* Clear memory that held a secret, in a way the compiler keeps. */
void util_wipe(void *p, size_t len);

#endif
