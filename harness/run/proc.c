/*
 * Child processes. See proc.h.
 */
#include "run/proc.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LIVE 256

/* Process groups to kill on a signal; a slot is 0 when free. Written by the
 * main flow, read by signal handlers, so plain sig_atomic_t-sized stores. */
static volatile pid_t live[MAX_LIVE];

static void
live_add(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_LIVE; i++)
		if (live[i] == 0) {
			live[i] = pid;
			return;
		}
}

static void
live_del(pid_t pid)
{
	int i;

	for (i = 0; i < MAX_LIVE; i++)
		if (live[i] == pid)
			live[i] = 0;
}

/* see proc.h */
void
proc_kill_all(void)
{
	int i;

	for (i = 0; i < MAX_LIVE; i++)
		if (live[i] > 0)
			kill(-live[i], SIGKILL);
}

/* see proc.h */
long long
proc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A child's output file: new (or appended to, when the caller appends to its
 * own file), never through a symbolic link (util_open_evidence). */
static int
open_out(const char *path, int append)
{
	if (path == NULL)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	return util_open_evidence(path, append ? UTIL_EV_APPEND : UTIL_EV_NEW, 0644, NULL, 0);
}

/* The environment of a child: ours, with each NAME=VALUE of extra in place of
 * ours of that NAME. Allocated array of borrowed strings (free the array
 * only), or NULL for ours unchanged. Built before the child exists: a
 * vfork()ed child must not allocate. */
static char **
child_env(char *const *extra)
{
	extern char **environ;
	size_t n = 0, k = 0, i, j;
	char **env;

	if (extra == NULL)
		return NULL;
	while (environ[n] != NULL)
		n++;
	while (extra[k] != NULL)
		k++;
	env = xcalloc(n + k + 1, sizeof *env);
	for (i = 0; i < n; i++) {
		size_t len = strcspn(environ[i], "=");
		for (j = 0; j < k; j++)
			if (strncmp(extra[j], environ[i], len) == 0 && extra[j][len] == '=')
				break;
		env[i] = j < k ? NULL : environ[i];
	}
	/* Squeeze out the overridden entries, then add the extra ones. */
	for (i = j = 0; i < n; i++)
		if (env[i] != NULL)
			env[j++] = env[i];
	for (i = 0; i < k; i++)
		env[j++] = extra[i];
	env[j] = NULL;
	return env;
}

/* A descriptor that becomes readable when the child exits (pidfd_open), so a
 * wait sleeps until the exit rather than in fixed ticks; -1 where the kernel
 * has none (the wait then polls). */
static int
open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
	long fd = syscall(SYS_pidfd_open, pid, 0);
	return fd >= 0 ? (int)fd : -1;
#else
	(void)pid;
	return -1;
#endif
}

/* What a child needs between vfork and exec, prepared by the parent. */
typedef struct {
	pid_t parent;
	int in, out, errfd, efd;	/* its 0, 1, 2; the exec-error pipe */
	const char *cwd;
	sigset_t mask;			/* the signal mask to restore */
	char *const *argv;
	char **env;			/* NULL for ours */
	int (*fn)(int, char **);	/* run this instead of exec (proc_spawn_fn) */
} child_args;

/* The child's side: its own process group, death with the harness, default
 * signal handling, the descriptors in place, then exec. Only system calls:
 * after vfork() this runs on the parent's memory. Does not return. */
static void __attribute__((noreturn))
child_main(const child_args *a)
{
	int e = 0;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != a->parent)
		_exit(127);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigprocmask(SIG_SETMASK, &a->mask, NULL);
	if (a->fn != NULL) {
		/* Whatever our stdio held is the parent's to write, not ours. */
		__fpurge(stdout);
		__fpurge(stderr);
	}
	dup2(a->in, 0);
	dup2(a->out, 1);
	dup2(a->errfd, 2);
	if (a->fn != NULL) {
		char **argv = (char **)a->argv;
		int argc = 0, r;

		/* What exec would have left: 0, 1 and 2 (the descriptors of the
		 * parent, such as a capture handle, are not the child's). */
		if (a->cwd != NULL && chdir(a->cwd) != 0)
			_exit(127);
		close_range(3, ~0U, 0);
		if (a->env != NULL) {
			extern char **environ;
			environ = a->env;
		}
		while (argv[argc] != NULL)
			argc++;
		r = a->fn(argc, argv);
		fflush(stdout);
		fflush(stderr);
		_exit(r);
	}
	if (a->cwd != NULL && chdir(a->cwd) != 0) {
		e = errno;
	} else {
		if (a->env != NULL)
			execvpe(a->argv[0], a->argv, a->env);
		else
			execvp(a->argv[0], a->argv);
		e = errno;
	}
	(void)!write(a->efd, &e, sizeof e);
	_exit(127);
}

/* vfork and run child_main in the child: no copy of this process's memory
 * for a child that only sets itself up and execs (fork copied the page tables
 * of the whole harness for every server and device boot, and both processes
 * then took copy-on-write faults). Apart, so that no variable of the caller
 * lives across vfork(). */
static pid_t __attribute__((noinline))
start_child(const child_args *a)
{
	/* A child that runs a function of ours rather than exec needs its own
	 * memory: fork. */
	pid_t pid = a->fn != NULL ? fork() : vfork();

	if (pid == 0)
		child_main(a);
	return pid;
}

/* proc_spawn and proc_spawn_fn: exec argv, or run fn(argc, argv). */
static int
spawn(proc *p, const char *name, int (*fn)(int, char **), char *const argv[],
	const proc_io *io, char *err, size_t errlen)
{
	int in = -1, out = -1, errfd = -1, pfd[2] = { -1, -1 }, efd[2] = { -1, -1 };
	pid_t parent = getpid(), pid;
	int ret = -1;
	proc_io none;
	char **env = NULL;
	sigset_t all;

	memset(p, 0, sizeof *p);
	p->pidfd = -1;
	snprintf(p->name, sizeof p->name, "%s", name);
	if (io == NULL) {
		memset(&none, 0, sizeof none);
		io = &none;
	}
	in = open(io->stdin_path ? io->stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		util_err(err, errlen, "%s: %s: %s", name, io->stdin_path, strerror(errno));
		goto out;
	}
	if (io->stdout_pipe) {
		if (pipe2(pfd, O_CLOEXEC) != 0) {
			util_err(err, errlen, "%s: pipe: %s", name, strerror(errno));
			goto out;
		}
		out = pfd[1];
	} else if ((out = open_out(io->stdout_path, io->append)) < 0) {
		util_err(err, errlen, "%s: %s: %s", name, io->stdout_path, strerror(errno));
		goto out;
	}
	if (io->stderr_path != NULL && io->stdout_path != NULL
		&& strcmp(io->stderr_path, io->stdout_path) == 0) {
		errfd = dup(out);
	} else {
		errfd = open_out(io->stderr_path, io->append);
	}
	if (errfd < 0) {
		util_err(err, errlen, "%s: %s: %s", name, io->stderr_path, strerror(errno));
		goto out;
	}
	/* The exec error travels back through a close-on-exec pipe. */
	if (pipe2(efd, O_CLOEXEC) != 0) {
		util_err(err, errlen, "%s: pipe: %s", name, strerror(errno));
		goto out;
	}
	env = child_env(io->env);
	child_args ca = { .parent = parent, .in = in, .out = out, .errfd = errfd,
		.efd = efd[1], .cwd = io->cwd, .argv = argv, .env = env, .fn = fn };
	/* No signal handler of ours may run in the child before it has reset
	 * them (after vfork it would run on our memory). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &ca.mask);
	pid = start_child(&ca);
	pthread_sigmask(SIG_SETMASK, &ca.mask, NULL);
	free(env);
	if (pid < 0) {
		util_err(err, errlen, "%s: fork: %s", name, strerror(errno));
		goto out;
	}
	/* Also set the group from the parent: no race with a kill right after. */
	setpgid(pid, pid);
	close(efd[1]);
	efd[1] = -1;
	int e = 0;
	ssize_t n;
	do
		n = read(efd[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof e) {
		waitpid(pid, NULL, 0);
		util_err(err, errlen, "%s: cannot run %s: %s", name, argv[0], strerror(e));
		goto out;
	}
	p->pid = pid;
	p->pidfd = open_pidfd(pid);
	live_add(pid);
	if (io->stdout_pipe) {
		*io->out_fd = pfd[0];
		pfd[0] = -1;
	}
	ret = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (errfd >= 0)
		close(errfd);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (efd[0] >= 0)
		close(efd[0]);
	if (efd[1] >= 0)
		close(efd[1]);
	return ret;
}

/* see proc.h */
int
proc_spawn(proc *p, const char *name, char *const argv[], const proc_io *io,
	char *err, size_t errlen)
{
	return spawn(p, name, NULL, argv, io, err, errlen);
}

/* see proc.h */
int
proc_spawn_fn(proc *p, const char *name, int (*fn)(int, char **), char *const argv[],
	const proc_io *io, char *err, size_t errlen)
{
	return spawn(p, name, fn, argv, io, err, errlen);
}

/* see proc.h */
int
proc_wait(proc *p, int timeout_ms)
{
	long long end = proc_now_ms() + timeout_ms;

	if (p->pid <= 0)
		return 1;
	for (;;) {
		int st;
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid || (r < 0 && errno == ECHILD)) {
			p->status = r == p->pid ? st : 0;
			p->reaped = 1;
			live_del(p->pid);
			/* The group may hold children of the child: end them too. */
			kill(-p->pid, SIGKILL);
			p->pid = 0;
			if (p->pidfd >= 0)
				close(p->pidfd);
			p->pidfd = -1;
			return 1;
		}
		long long left = end - proc_now_ms();
		if (timeout_ms >= 0 && left <= 0)
			return 0;
		if (p->pidfd >= 0) {
			/* Readable at the exit: no tick to wait out. */
			struct pollfd pf = { p->pidfd, POLLIN, 0 };
			(void)poll(&pf, 1, timeout_ms < 0 ? -1 : (int)left);
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
}

/* see proc.h */
void
proc_stop(proc *p, int grace_ms)
{
	if (p == NULL || p->pid <= 0)
		return;
	kill(-p->pid, SIGTERM);
	kill(p->pid, SIGTERM);
	if (proc_wait(p, grace_ms))
		return;
	kill(-p->pid, SIGKILL);
	kill(p->pid, SIGKILL);
	proc_wait(p, -1);
}

/* see proc.h */
const char *
proc_status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
	return buf;
}

/* see proc.h */
long
proc_read_line(int fd, char *buf, size_t len, int timeout_ms)
{
	size_t n = 0;
	long long end = proc_now_ms() + timeout_ms;

	while (n + 1 < len) {
		long long left = end - proc_now_ms();
		struct pollfd pf = { fd, POLLIN, 0 };
		char c;
		if (left <= 0)
			return -1;
		int r = poll(&pf, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		ssize_t k = read(fd, &c, 1);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		if (c == '\n')
			break;
		buf[n++] = c;
	}
	buf[n] = 0;
	return (long)n;
}
