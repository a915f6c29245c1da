/*
 * A writer for the "newc" cpio format, enough to add a device's configuration
 * to a Linux initramfs: the kernel unpacks archives appended one after the
 * other, so a small uncompressed archive after the image's own sets up
 * /etc/rotsim for one case without rebuilding the image.
 */
#ifndef ROTSIM_CPIO_H
#define ROTSIM_CPIO_H

#include <stddef.h>
#include <sys/types.h>

#include "common/util.h"

/* Append a directory entry (mode without the type bits). */
void cpio_dir(buf_t *b, const char *name, mode_t mode);
/* Append a regular file. */
void cpio_file(buf_t *b, const char *name, mode_t mode, const void *data, size_t len);
/* Append the trailer that ends an archive. */
void cpio_end(buf_t *b);

/* Add the tree under dir (files and directories, sorted, mtime 0) with names
 * prefixed by prefix ("etc/rotsim"). 0 or -1 with err. */
int cpio_tree(buf_t *b, const char *dir, const char *prefix, char *err, size_t errlen);

#endif
