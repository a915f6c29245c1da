/*
 * Planning and running cases. See runner.h.
 *
 * The parent plans, prepares what cases share (each scenario's PKI and
 * firmware bundles, the firmware-signing key) and runs up to -j cases at once,
 * each in a forked child of its own. A case child starts the update server and
 * the device for each phase, keeps the flash between phases and writes
 * evidence files; it never decides a verdict for the record. The parent decides
 * every verdict from those files, as `rotsim verdict` does later.
 */
#include "run/run_int.h"
#include "run/proc.h"
#include "plan/plan.h"
#include "target/target.h"
#include "common/json.h"
#include "version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* see run_int.h */
void
run_note(const run_opts *o, const char *fmt, ...)
{
	va_list ap;
	char *line = NULL;
	int r;

	if (o->obs == NULL || o->obs->note == NULL)
		return;
	va_start(ap, fmt);
	r = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	o->obs->note(o->obs->ctx, line);
	free(line);
}

/* Tell the observer how far the run is: phases decided, of all. */
static void
progress(const run_opts *o, size_t done, size_t total, long long t0, const run_case *cases,
	size_t ncases)
{
	buf_t b = {0};
	size_t i, shown = 0;

	if (o->obs == NULL || o->obs->progress == NULL)
		return;
	for (i = 0; i < ncases; i++)
		if (cases[i].pid > 0 && shown++ < 3)
			buf_printf(&b, "%s%s %s@%s", shown > 1 ? ", " : "", cases[i].scn->name,
				cases[i].device, cases[i].target);
	o->obs->progress(o->obs->ctx, done, total, proc_now_ms() - t0, b.len ? buf_cstr(&b) : "");
	buf_free(&b);
}

/*
 * Prepare each scenario of the run (its PKI and firmware bundles) before the
 * first case, several at once: a cold PKI is seconds of RSA arithmetic per
 * scenario, and one after another they kept every core but one idle. Each
 * scenario is prepared in a child process of its own (what it writes is on
 * disk under OUT, and the cases read it from there, never from this
 * process's memory), one per CPU at most. The first failure, in scenario
 * order, is the run's error; no scenario is started after a failure or an
 * interruption, and those running are stopped. Returns 0 (also when
 * interrupted: the caller then records the cases as not run), or -1 with err.
 */
static int
prepare_all(const run_case *cases, size_t ncases, const run_opts *o, char *err, size_t errlen)
{
	const run_case **todo = NULL;
	pid_t *pids = NULL;
	int *fds = NULL;
	char **why = NULL;
	size_t n = 0, i, j, next = 0, running = 0, ready = 0;
	int stopping = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t width = cpus > 0 ? (size_t)cpus : 1;
	pid_t parent = getpid();
	int ret = -1;

	for (i = 0; i < ncases; i++) {
		for (j = 0; j < i && cases[j].scn != cases[i].scn; j++)
			;
		if (j == i) {
			todo = xrealloc(todo, (n + 1) * sizeof *todo);
			todo[n++] = &cases[i];
		}
	}
	pids = xcalloc(n ? n : 1, sizeof *pids);
	fds = xcalloc(n ? n : 1, sizeof *fds);
	why = xcalloc(n ? n : 1, sizeof *why);
	for (i = 0; i < n; i++)
		fds[i] = -1;
	if (width > n)
		width = n;
	fflush(stdout);
	fflush(stderr);
	for (;;) {
		int failed = 0;
		for (i = 0; i < next; i++)
			failed |= why[i] != NULL;
		if (!failed)
			run_note(o, "preparing %zu scenario%s (PKI, firmware), %zu at once: "
				"%zu ready", n, n == 1 ? "" : "s", width, ready);
		while (!interrupted && !failed && running < width && next < n) {
			int pfd[2];
			if (pipe2(pfd, O_CLOEXEC) != 0) {
				why[next++] = xasprintf("pipe: %s", strerror(errno));
				failed = 1;
				break;
			}
			pid_t pid = fork();
			if (pid == 0) {
				char e[1024] = "";
				close(pfd[0]);
				signal(SIGINT, SIG_DFL);
				signal(SIGTERM, SIG_DFL);
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(2);
				if (prepare_scenario(todo[next]->scn, o, e, sizeof e) == 0)
					_exit(0);
				/* At most an error line: the pipe holds it whole. */
				ssize_t w = write(pfd[1], e, strnlen(e, sizeof e));
				(void)w;
				_exit(1);
			}
			close(pfd[1]);
			if (pid < 0) {
				close(pfd[0]);
				why[next++] = xasprintf("fork: %s", strerror(errno));
				failed = 1;
				break;
			}
			pids[next] = pid;
			fds[next++] = pfd[0];
			running++;
		}
		if (running == 0)
			break;
		if ((interrupted || failed) && !stopping) {
			stopping = 1;
			for (i = 0; i < next; i++)
				if (pids[i] > 0)
					kill(pids[i], SIGTERM);
		}
		int st;
		pid_t w = waitpid(-1, &st, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			util_err(err, errlen, "waitpid: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < next && pids[i] != w; i++)
			;
		if (i == next)
			continue;	/* not one of ours */
		pids[i] = 0;
		running--;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
			ready++;
			continue;
		}
		char msg[1024];
		ssize_t r = read(fds[i], msg, sizeof msg - 1);
		msg[r > 0 ? r : 0] = 0;
		if (r > 0)
			why[i] = xstrdup(msg);
		else if (!stopping && !interrupted) {
			char st_text[96];
			why[i] = xasprintf("preparing %s: %s", todo[i]->scn->name,
				proc_status_text(st, st_text, sizeof st_text));
		}
	}
	for (i = 0; i < n; i++)
		if (why[i] != NULL) {
			util_err(err, errlen, "%s", why[i]);
			goto out;
		}
	/* Interrupted: the caller records every case as not run. */
	ret = 0;
out:
	for (i = 0; i < n; i++) {
		if (pids[i] > 0) {
			kill(pids[i], SIGKILL);
			waitpid(pids[i], NULL, 0);
		}
		if (fds[i] >= 0)
			close(fds[i]);
		free(why[i]);
	}
	free(todo);
	free(pids);
	free(fds);
	free(why);
	return ret;
}

/* Start case c in a forked child of its own. 0, or -1 with err (the run is
 * then stopped as if interrupted). */
static int
start_case(run_case *c, const run_opts *o, pid_t parent, const sigset_t *oldmask, char *err,
	size_t errlen)
{
	util_mkdirs(c->dir, 0755, NULL, 0);
	pid_t pid = fork();
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, oldmask, NULL);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(2);
		_exit(case_main(c, o));
	}
	if (pid < 0) {
		util_err(err, errlen, "fork: %s", strerror(errno));
		interrupted = 1;
		return -1;
	}
	c->pid = pid;
	return 0;
}

/* see runner.h */
int
run_scenarios(const plan *pl, const run_opts *o, char *err, size_t errlen)
{
	run_case *cases = NULL;
	size_t ncases = 0, i, j, running = 0, next = 0, done = 0;
	verdict_result *res = NULL;
	char **ev = NULL;
	size_t nres = 0;
	int ret = 2;
	size_t nphases = 0, phases_done = 0;
	long long t0 = proc_now_ms();
	struct sigaction sa;

	/* Ctrl-C and SIGTERM from the first moment: preparing a large run takes
	 * a while, and an interruption then must still leave results. */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The plan's cases of this shard; those a target cannot run are said
	 * and left out. */
	for (i = 0; i < pl->n; i++) {
		const plan_case *pc = &pl->cases[i];
		if (pc->skip != NULL) {
			run_note(o, "skipped %s %s@%s: %s", pc->scn->name, pc->device,
				pc->target->name, pc->skip);
			continue;
		}
		cases = xrealloc(cases, (ncases + 1) * sizeof *cases);
		run_case *c = &cases[ncases++];
		memset(c, 0, sizeof *c);
		c->index = pc->index;
		c->scn = pc->scn;
		c->device = pc->device;
		c->stack = pc->stack;
		c->target = pc->target->name;
		c->tgt = pc->target;
		c->dir = xasprintf("%s/cases/%s/%s@%s", o->out, c->scn->name, c->device, c->target);
	}
	if (ncases == 0) {
		util_err(err, errlen, "every case of this run is skipped (see above)");
		goto out;
	}

	{
		buf_t b = {0};
		size_t used = 0;
		for (i = 0; i < ncases; i++) {
			for (j = 0; j < i && cases[j].scn != cases[i].scn; j++)
				;
			if (j == i)
				buf_printf(&b, "%s%s", used++ ? ", " : "", cases[i].scn->name);
			nphases += cases[i].scn->nphases;
		}
		buf_printf(&b, ": %zu case%s (%zu phases) on", ncases, ncases == 1 ? "" : "s",
			nphases);
		for (i = 0; i < o->ntargets; i++)
			buf_printf(&b, " %s", o->targets[i]);
		buf_printf(&b, ", %d at once; results in %s", o->jobs, o->out);
		run_note(o, "%s", buf_cstr(&b));
		buf_free(&b);
	}

	/* What cases share. */
	if (prepare_keys(o, err, errlen) != 0)
		goto out;
	if (prepare_all(cases, ncases, o, err, errlen) != 0)
		goto out;

	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	/* SIGCHLD held pending, so that a wait for it cannot miss one that
	 * arrives between a waitpid() and the wait: a finished case frees its
	 * slot at once rather than at the next tick of the progress. */
	sigset_t chld, oldmask;
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &oldmask);
	size_t *pending = xcalloc(ncases, sizeof *pending), npending = 0;
	while (done < ncases) {
		while (!interrupted && running < (size_t)(o->jobs > 0 ? o->jobs : 1)
			&& next < ncases && start_case(&cases[next++], o, parent, &oldmask,
			err, errlen) == 0)
			running++;
		progress(o, phases_done, nphases, t0, cases, ncases);
		if (interrupted) {
			/* Stop every running case: each kills its server and device. */
			for (i = 0; i < ncases; i++)
				if (cases[i].pid > 0)
					kill(cases[i].pid, SIGTERM);
		}
		if (running == 0) {
			/* Interrupted before these cases started. */
			for (; next < ncases; next++) {
				cases[next].finished = 1;
				done++;
			}
			break;
		}
		int st;
		pid_t w = waitpid(-1, &st, WNOHANG);
		if (w == 0) {
			/* Nothing finished yet: wait for a case to end, and tell the
			 * progress now and then. A signal (Ctrl-C) ends the wait too. */
			struct timespec ts = { 0, 250 * 1000000L };
			sigtimedwait(&chld, NULL, &ts);
			continue;
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < ncases; i++) {
			if (cases[i].pid != w)
				continue;
			cases[i].pid = 0;
			cases[i].finished = 1;
			running--;
			done++;
			pending[npending++] = i;
		}
		/* One verdict per phase as the case finishes, once the cases
		 * that take the freed slots are running: a slot does not sit
		 * idle while the verdicts are decided. */
		while (!interrupted && running < (size_t)(o->jobs > 0 ? o->jobs : 1)
			&& next < ncases && start_case(&cases[next++], o, parent, &oldmask,
			err, errlen) == 0)
			running++;
		for (i = 0; i < npending; i++) {
			collect_case(&cases[pending[i]], o->out, o->obs);
			phases_done += cases[pending[i]].scn->nphases;
		}
		npending = 0;
	}
	free(pending);
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	/* Cases that never ran (an interruption) are recorded too; then all in
	 * plan order. */
	for (i = 0; i < ncases; i++) {
		if (cases[i].nres == 0)
			collect_case(&cases[i], o->out, o->obs);
		for (j = 0; j < cases[i].nres; j++) {
			res = xrealloc(res, (nres + 1) * sizeof *res);
			ev = xrealloc(ev, (nres + 1) * sizeof *ev);
			res[nres] = cases[i].res[j];
			ev[nres++] = cases[i].ev[j];
		}
		free(cases[i].res);
		free(cases[i].ev);
		cases[i].res = NULL;
		cases[i].ev = NULL;
	}

	buf_t meta = {0};
	time_t now = time(NULL);
	char when[32];
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	buf_printf(&meta, "\"rotsim\":\"%s\",\"finished\":\"%s\",\"seed\":", rotsim_version, when);
	json_put_str(&meta, o->seed);
	buf_printf(&meta, ",\"cases\":%zu,\"plan_cases\":%zu,\"shard\":\"%d/%d\",\"interrupted\":%s",
		ncases, pl->total, o->shard_k, o->shard_n, interrupted ? "true" : "false");
	/* What the devices booted from, and the emulator, as this run found them. */
	{
		int first = 1;
		char *qv = NULL;
		buf_puts(&meta, ",\"images\":[");
		for (i = 0; i < ncases; i++) {
			const tgt *t = cases[i].tgt;
			if (qv == NULL)
				qv = t->drv->emulator_version(t);
			for (j = 0; j < i; j++)
				if (strcmp(cases[j].device, cases[i].device) == 0 && cases[j].tgt == t)
					break;
			if (j == i)
				first = tgt_image_hashes(t, cases[i].device, &meta, first);
		}
		buf_puts(&meta, "]");
		if (qv != NULL) {
			buf_puts(&meta, ",\"qemu\":");
			json_put_str(&meta, qv);
			free(qv);
		}
	}
	/* The plan's cases this shard skipped, with why. */
	ev_skip *skips = NULL;
	size_t nskips = 0;
	for (i = 0; i < pl->n; i++) {
		if (pl->cases[i].skip == NULL)
			continue;
		skips = xrealloc(skips, (nskips + 1) * sizeof *skips);
		skips[nskips].scenario = pl->cases[i].scn->name;
		skips[nskips].device = pl->cases[i].device;
		skips[nskips].target = pl->cases[i].target->name;
		skips[nskips].reason = pl->cases[i].skip;
		skips[nskips++].case_index = (long)pl->cases[i].index;
	}
	int wr = ev_results_write(o->out, res, nres, skips, nskips, buf_cstr(&meta), err, errlen);
	free(skips);
	if (wr != 0) {
		buf_free(&meta);
		goto out;
	}
	buf_free(&meta);
	size_t fails = 0, errors = 0;
	for (i = 0; i < nres; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		errors += is_error(&res[i]);
		fails += !is_error(&res[i]) && !res[i].pass;
	}
	size_t pass = 0;
	for (i = 0; i < nres; i++)
		pass += res[i].observed != OUT_OFF && !is_error(&res[i]) && res[i].pass;
	if (o->obs != NULL && o->obs->finished != NULL)
		o->obs->finished(o->obs->ctx, pass, fails, errors, o->out);
	ret = interrupted || errors ? 2 : fails ? 1 : 0;
	if (interrupted)
		util_err(err, errlen, "interrupted: partial results in %s", o->out);
	else
		err[0] = 0;
out:
	for (i = 0; i < ncases; i++)
		free(cases[i].dir);
	free(cases);
	for (i = 0; i < nres; i++)
		free(ev[i]);
	free(ev);
	free(res);
	return ret;
}
