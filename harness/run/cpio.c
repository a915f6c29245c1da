/*
 * newc cpio writer. See cpio.h.
 */
#include "run/cpio.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static unsigned ino = 1000;

static void
header(buf_t *b, const char *name, unsigned mode, size_t size)
{
	size_t nlen = strlen(name) + 1;

	buf_printf(b, "070701%08X%08X%08X%08X%08X%08X%08zX%08X%08X%08X%08X%08zX%08X",
		ino++, mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, nlen, 0u);
	buf_append(b, name, nlen);
	while (b->len % 4)
		buf_putc(b, 0);
}

/* see cpio.h */
void
cpio_dir(buf_t *b, const char *name, mode_t mode)
{
	header(b, name, 0040000 | (mode & 07777), 0);
}

/* see cpio.h */
void
cpio_file(buf_t *b, const char *name, mode_t mode, const void *data, size_t len)
{
	header(b, name, 0100000 | (mode & 07777), len);
	buf_append(b, data, len);
	while (b->len % 4)
		buf_putc(b, 0);
}

/* see cpio.h */
void
cpio_end(buf_t *b)
{
	header(b, "TRAILER!!!", 0, 0);
	/* Pad the archive to a 512-byte block, as cpio(1) does. */
	while (b->len % 512)
		buf_putc(b, 0);
}

/* see cpio.h */
int
cpio_tree(buf_t *b, const char *dir, const char *prefix, char *err, size_t errlen)
{
	char **names;
	long ln = util_list_dir(dir, "", &names, err, errlen);
	size_t n, i;
	int ret = -1;

	if (ln < 0)
		return -1;
	n = (size_t)ln;
	cpio_dir(b, prefix, 0755);
	for (i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		char *name = xasprintf("%s/%s", prefix, names[i]);
		struct stat st;
		int r = 0;
		if (stat(path, &st) != 0) {
			r = util_err(err, errlen, "%s: cannot stat", path);
		} else if (S_ISDIR(st.st_mode)) {
			r = cpio_tree(b, path, name, err, errlen);
		} else {
			unsigned char *data;
			size_t len;
			r = util_read_file(path, &data, &len, err, errlen);
			if (r == 0) {
				cpio_file(b, name, st.st_mode & 0777, data, len);
				util_wipe(data, len);
				free(data);
			}
		}
		free(path);
		free(name);
		if (r != 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return ret;
}
