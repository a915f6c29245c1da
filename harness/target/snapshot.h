/*
 * The cache of saved machines a qemu target resumes instead of booting
 * (targets/qemu-x86_64/README.md, "Resume"). One file per key, the key being
 * the SHA-256 of everything that makes a saved machine what it is: the target
 * description, the boot files' hashes (not the factory flash's, which the
 * machine has not read at its power-on point), the emulator's version and
 * binary, the host's CPU and the format of the save. Kept in a directory of the user's
 * own (mode 0700, never through a symbolic link), written under a lock to a
 * temporary name and renamed, and bounded: the least recently used beyond
 * SNAP_MAX are removed.
 */
#ifndef ROTSIM_SNAPSHOT_H
#define ROTSIM_SNAPSHOT_H

#include <stddef.h>

#include "common/util.h"

#define SNAP_MAX 24	/* saved machines kept in one cache directory */

/* The cache directory: $ROTSIM_SNAPSHOTS, else BUILD/cache/snapshots.
 * Allocated. */
char *snap_dir(const char *build_dir);

/* Create dir if needed (0700) and check it is a directory of this user that
 * no one else may write, reached without a symbolic link at its end.
 * 0, or -1 with err. */
int snap_dir_check(const char *dir, char *err, size_t errlen);

/* The key of a saved machine from its material (a text naming every input):
 * 64 hex digits into hex[65]. */
void snap_key(const buf_t *material, char hex[65]);

/* Append to material the SHA-256 of the file at path, labelled. -1 with err
 * when it cannot be read. */
int snap_material_file(buf_t *material, const char *label, const char *path, char *err,
	size_t errlen);

/* Take the lock of key in dir (flock, waiting). The descriptor, or -1 with
 * err. Release with close(). */
int snap_lock(const char *dir, const char *key, char *err, size_t errlen);

/* Open the saved machine DIR/KEY.snap for reading: a regular file of this
 * user, not a symbolic link; its use is recorded (mtime) for the bound.
 * The descriptor (close-on-exec), or -1 (errno ENOENT when there is none). */
int snap_open(const char *dir, const char *key);

/* Remove the least recently used saved machines beyond SNAP_MAX, never
 * keep's, and what saves killed midway left over an hour ago. */
void snap_prune(const char *dir, const char *keep);

/* Accept one connection on a listening socket within timeout_ms; the
 * connection, or -1. */
int snap_accept(int lfd, int timeout_ms);

/* Write all of data to fd (blocking, within timeout_ms). 0 or -1. */
int snap_write_all(int fd, const void *data, size_t len, int timeout_ms);

#endif
