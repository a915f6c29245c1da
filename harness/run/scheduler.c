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
#include "run/target.h"
#include "net/labnet.h"
#include "common/json.h"
#include "version.h"

#include <errno.h>
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

static void
progress(size_t done, size_t total, const run_case *cases, size_t ncases)
{
	size_t i, shown = 0;

	fprintf(stderr, "\r\033[K[%zu/%zu cases] running:", done, total);
	for (i = 0; i < ncases && shown < 3; i++)
		if (cases[i].pid > 0) {
			fprintf(stderr, " %s/%s@%s", cases[i].scn->name, cases[i].device, cases[i].target);
			shown++;
		}
	fflush(stderr);
}

/* see runner.h */
int
run_scenarios(scenario *scns, size_t nscn, const run_opts *o, char *err, size_t errlen)
{
	run_case *cases = NULL;
	size_t ncases = 0, i, j, k, idx = 0, running = 0, next = 0, done = 0;
	verdict_result *res = NULL;
	char **ev = NULL;
	size_t nres = 0;
	int tty = isatty(1) && isatty(2), ret = 2;
	struct sigaction sa;

	/* Plan: scenario x device x target, in a fixed order; a shard takes
	 * every n-th case. A scenario tagged native-only (it needs what only
	 * the native target offers, such as SNTP over UDP) is left out of
	 * other targets, and the run says so. */
	/* Lab network (net/labnet.h): a target that carries UDP (native, or
	 * network = lab) runs the native-only scenarios too; a lab target on a
	 * machine without the rights to create a namespace runs nothing, and
	 * the run says so in one line. */
	int *udp = xmalloc((o->ntargets + 1) * sizeof *udp);
	int *nolab = xmalloc((o->ntargets + 1) * sizeof *nolab);
	for (k = 0; k < o->ntargets; k++) {
		tgt tt;
		char why[256];
		udp[k] = strcmp(o->targets[k], "native") == 0;
		nolab[k] = 0;
		if (tgt_load(&tt, o->targets[k], o->build_dir, why, sizeof why) != 0)
			continue;
		udp[k] = tt.sntp;
		if (tt.lab && !labnet_available(why, sizeof why)) {
			nolab[k] = 1;
			fprintf(stderr, "rotsim run: %s skipped: %s\n", o->targets[k], why);
		}
		tgt_free(&tt);
	}
	/* ---- end lab network ---- */
	for (i = 0; i < nscn; i++)
		for (k = 0; k < o->ntargets; k++)
			if (scn_has_tag(&scns[i], "native-only") && !udp[k] && !nolab[k])
				fprintf(stderr, "rotsim run: %s is tagged native-only: not run on %s\n",
					scns[i].name, o->targets[k]);
	for (i = 0; i < nscn; i++)
		for (j = 0; j < scns[i].ndevices; j++) {
			int want = o->ndevices == 0;
			for (k = 0; k < o->ndevices; k++)
				want |= strcmp(o->devices[k], scns[i].devices[j]) == 0;
			if (!want)
				continue;
			for (k = 0; k < o->ntargets; k++, idx++) {
				if ((scn_has_tag(&scns[i], "native-only") && !udp[k]) || nolab[k])
					continue;
				if (o->shard_n > 1 && (int)(idx % (size_t)o->shard_n) != o->shard_k - 1)
					continue;
				cases = xrealloc(cases, (ncases + 1) * sizeof *cases);
				run_case *c = &cases[ncases++];
				memset(c, 0, sizeof *c);
				c->scn = &scns[i];
				c->device = scns[i].devices[j];
				c->target = o->targets[k];
				c->dir = xasprintf("%s/cases/%s/%s@%s", o->out, c->scn->name, c->device,
					c->target);
			}
		}
	if (ncases == 0) {
		util_err(err, errlen, "no case to run (check --device and --shard)");
		goto out;
	}

	if (!o->quiet) {
		size_t used = 0;
		for (i = 0; i < nscn; i++) {
			for (j = 0; j < ncases && cases[j].scn != &scns[i]; j++)
				;
			if (j < ncases)
				fprintf(stderr, "%s%s", used++ ? ", " : "rotsim run: ", scns[i].name);
		}
		fprintf(stderr, ": %zu case%s on", ncases, ncases == 1 ? "" : "s");
		for (k = 0; k < o->ntargets; k++)
			fprintf(stderr, " %s", o->targets[k]);
		fprintf(stderr, ", %d at once; results in %s\n", o->jobs, o->out);
	}

	/* What cases share. */
	if (prepare_keys(o, err, errlen) != 0)
		goto out;
	for (i = 0; i < nscn; i++) {
		int used = 0;
		for (j = 0; j < ncases; j++)
			used |= cases[j].scn == &scns[i];
		if (used) {
			if (!o->quiet && tty)
				fprintf(stderr, "\r\033[Kpreparing %s (PKI, firmware)", scns[i].name);
			if (prepare_scenario(&scns[i], o, err, errlen) != 0)
				goto out;
		}
	}

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid();
	while (done < ncases) {
		while (!interrupted && running < (size_t)(o->jobs > 0 ? o->jobs : 1) && next < ncases) {
			run_case *c = &cases[next++];
			util_mkdirs(c->dir, 0755, NULL, 0);
			pid_t pid = fork();
			if (pid == 0) {
				prctl(PR_SET_PDEATHSIG, SIGKILL);
				if (getppid() != parent)
					_exit(2);
				_exit(case_main(c, o));
			}
			if (pid < 0) {
				util_err(err, errlen, "fork: %s", strerror(errno));
				interrupted = 1;
				break;
			}
			c->pid = pid;
			running++;
		}
		if (tty && !o->quiet)
			progress(done, ncases, cases, ncases);
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
		pid_t w = waitpid(-1, &st, 0);
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
			/* One line per phase as the case finishes. */
			collect_case(&cases[i], o->out, o->quiet, tty && !o->quiet);
		}
	}
	if (tty && !o->quiet)
		fprintf(stderr, "\r\033[K");
	/* Cases that never ran (an interruption) are recorded too; then all in
	 * plan order. */
	for (i = 0; i < ncases; i++) {
		if (cases[i].nres == 0)
			collect_case(&cases[i], o->out, o->quiet, 0);
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
	buf_printf(&meta, ",\"cases\":%zu,\"shard\":\"%d/%d\",\"interrupted\":%s", ncases,
		o->shard_k, o->shard_n, interrupted ? "true" : "false");
	/* What the devices booted from, and the emulator, as this run found them. */
	{
		int first = 1;
		char *qv = NULL;
		buf_puts(&meta, ",\"images\":[");
		for (k = 0; k < o->ntargets; k++) {
			tgt t;
			if (tgt_load(&t, o->targets[k], o->build_dir, err, errlen) != 0)
				continue;
			if (qv == NULL)
				qv = tgt_emulator_version(&t);
			for (i = 0; i < ncases; i++) {
				for (j = 0; j < i; j++)
					if (strcmp(cases[j].device, cases[i].device) == 0
						&& strcmp(cases[j].target, cases[i].target) == 0)
						break;
				if (j == i && strcmp(cases[i].target, o->targets[k]) == 0)
					first = tgt_image_hashes(&t, cases[i].device, &meta, first);
			}
			tgt_free(&t);
		}
		buf_puts(&meta, "]");
		if (qv != NULL) {
			buf_puts(&meta, ",\"qemu\":");
			json_put_str(&meta, qv);
			free(qv);
		}
	}
	if (run_write_results(o->out, res, ev, nres, buf_cstr(&meta), err, errlen) != 0) {
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
	printf("\n%zu passed, %zu failed, %zu errors; results in %s\n", pass, fails, errors, o->out);
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
	free(udp);
	free(nolab);
	return ret;
}
