/*
 * QEMU's machine protocol (QMP), as far as a target driver needs it: learn
 * how a guest ended (a reset it asked for, or a power-off), and run the
 * commands that save a machine and resume it (stop, getfd, migrate,
 * migrate-incoming, query-migrate). In the manner of
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
	int resumed;		/* a RESUME event: the machine runs (again) */
	int replies;		/* replies to qmp_command's commands so far */
	int failed;		/* the last reply was an error */
	char answer[160];	/* the last reply's error description, or its
				 * "status" member (query-migrate), or "" */
} tgt_qmp;

/* Listen on a new abstract socket. Returns 0, or -1 with err. */
int qmp_listen(tgt_qmp *q, char *err, size_t errlen);

/* QEMU's -chardev value that connects to it, allocated with xmalloc(). */
char *qmp_chardev(const tgt_qmp *q, const char *id);

/* Accept QEMU's connection and read what it sent, for up to timeout_ms
 * (returns as soon as something arrives). Returns 1 while the connection is
 * open or not yet made, 0 once QEMU closed it. */
int qmp_pump(tgt_qmp *q, int timeout_ms);

/* Send one command (a JSON object, without the newline) once the
 * capabilities are negotiated, passing fd along with it (SCM_RIGHTS, for
 * getfd) unless it is -1, and wait up to timeout_ms for its reply (events
 * arriving meanwhile are read as qmp_pump reads them). Returns 0 with the
 * reply's status or "" in q->answer, or -1 with err: an error reply (its
 * description), QEMU gone, or no reply in time. */
int qmp_command(tgt_qmp *q, const char *cmd, int fd, int timeout_ms, char *err,
	size_t errlen);

/* Close; NULL-safe and idempotent. */
void qmp_close(tgt_qmp *q);

#endif
