/*
 * Child processes the harness starts and must stop: update servers, QEMU,
 * native agents. Following QEMU's qtest habits: each child gets its own
 * process group and PR_SET_PDEATHSIG(SIGKILL), so it dies with the harness
 * even when the harness is killed; waits have deadlines; a child that does not
 * stop on SIGTERM gets SIGKILL. Every live child is kept in a registry so a
 * signal handler can kill them all (proc_kill_all is async-signal-safe).
 */
#ifndef ROTSIM_PROC_H
#define ROTSIM_PROC_H

#include <stddef.h>
#include <sys/types.h>

typedef struct {
	pid_t pid;		/* 0 when not running */
	int status;		/* wait status once reaped */
	int reaped;
	int pidfd;		/* readable when the child exits, or -1 */
	char name[64];		/* for messages */
} proc;

typedef struct {
	const char *stdin_path;		/* NULL: /dev/null */
	const char *stdout_path;	/* NULL: /dev/null; else created/truncated */
	const char *stderr_path;	/* NULL: /dev/null; may equal stdout_path */
	int append;			/* open the output files for appending */
	int stdout_pipe;		/* 1: stdout to a pipe, read end in *out_fd */
	int *out_fd;
	const char *cwd;		/* NULL: unchanged */
	char *const *env;		/* extra NAME=VALUE entries, NULL-terminated, or NULL */
} proc_io;

/* Start argv[0] (searched in PATH) with io. Returns 0 or -1 with err (the
 * child's exec failure is reported as exit status 127). */
int proc_spawn(proc *p, const char *name, char *const argv[], const proc_io *io,
	char *err, size_t errlen);

/* Start fn(argc, argv) (argv NULL-terminated, argv[0] its name) in a forked
 * child, with io, as proc_spawn starts a program: its own process group, death
 * with the harness, default signals, only descriptors 0, 1 and 2 open; the
 * child's exit status is fn's return value. For a program that is this one
 * (the update server, rotsim serve): no exec, so no dynamic loading and no
 * relocations at each start. Only from a process that runs no other thread.
 * Returns 0 or -1 with err. */
int proc_spawn_fn(proc *p, const char *name, int (*fn)(int, char **), char *const argv[],
	const proc_io *io, char *err, size_t errlen);

/* Wait up to timeout_ms (-1: forever) for the child to exit. Returns 1 when it
 * has exited (status in p->status), 0 on timeout. */
int proc_wait(proc *p, int timeout_ms);

/* Stop the child's process group: SIGTERM, up to grace_ms, then SIGKILL; reap.
 * NULL-safe and idempotent. */
void proc_stop(proc *p, int grace_ms);

/* SIGKILL every registered process group. Async-signal-safe. */
void proc_kill_all(void);

/* Describe a wait status ("exit 0", "killed by signal 9"). */
const char *proc_status_text(int status, char *buf, size_t len);

/* Monotonic milliseconds. */
long long proc_now_ms(void);

/*
 * Read one line from fd (up to len-1 bytes, without the newline) within
 * timeout_ms. Returns the length, or -1 on timeout, end of file or error.
 */
long proc_read_line(int fd, char *buf, size_t len, int timeout_ms);

#endif
