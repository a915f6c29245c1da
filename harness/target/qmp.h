/*
 * QEMU's machine protocol (QMP), as far as a target driver needs it: learn
 * how a guest ended (a reset it asked for, or a power-off). In the manner of
 * QEMU's qtest: the harness listens on the control socket before it starts
 * QEMU, and QEMU connects to it, so no connection can be missed or stolen.
 * The socket is an abstract Unix socket, so nothing is left on disk.
 */
#ifndef ROTSIM_QMP_H
#define ROTSIM_QMP_H

#include <stddef.h>

#include "common/util.h"

typedef struct {
	int lfd;		/* listening socket, -1 once accepted */
	int fd;			/* the connection, -1 before or after */
	char name[96];		/* the abstract socket's name (without the NUL) */
	buf_t in;		/* bytes not yet parsed */
	int ready;		/* capabilities negotiated */
	int reset;		/* a SHUTDOWN with reason guest-reset, or a RESET by the guest */
	int shutdown;		/* a SHUTDOWN event */
	char reason[48];	/* its reason ("guest-shutdown", "guest-reset", ...) */
} tgt_qmp;

/* Listen on a new abstract socket. Returns 0, or -1 with err. */
int qmp_listen(tgt_qmp *q, char *err, size_t errlen);

/* QEMU's -chardev value that connects to it, allocated with xmalloc(). */
char *qmp_chardev(const tgt_qmp *q, const char *id);

/* Accept QEMU's connection and read what it sent, for up to timeout_ms
 * (returns as soon as something arrives). Returns 1 while the connection is
 * open or not yet made, 0 once QEMU closed it. */
int qmp_pump(tgt_qmp *q, int timeout_ms);

/* Close; NULL-safe and idempotent. */
void qmp_close(tgt_qmp *q);

#endif
