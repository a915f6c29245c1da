/*
 * The run: the cases of a plan (harness/plan), each in its own process, write the evidence of every phase, decide verdicts from it, and
 * write the results (summary.json, junit.xml, summary.txt).
 */
#ifndef ROTSIM_RUNNER_H
#define ROTSIM_RUNNER_H

#include <stddef.h>

#include "plan/plan.h"
#include "scenario/scenario.h"
#include "verdict/verdict.h"

/*
 * What a run tells the person watching it. The run never prints: the front
 * end (rotsim run) does, through these. Any member may be NULL.
 */
typedef struct {
	void *ctx;
	/* A line about the run: what runs where, skipped cases, preparation. */
	void (*note)(void *ctx, const char *line);
	/* A phase's verdict, as soon as its case has finished. */
	void (*phase)(void *ctx, const verdict_result *r);
	/* Phases decided of all phases of the run, the time since the run
	 * began, and the cases running ("scn device@target, ..."). */
	void (*progress)(void *ctx, size_t done, size_t total, long long elapsed_ms,
		const char *running);
	/* The run's totals, once its results are written. */
	void (*finished)(void *ctx, size_t passed, size_t failed, size_t errors,
		const char *out);
} run_observer;

typedef struct {
	const char *out;		/* results directory (created) */
	const char *seed;		/* PKI seed */
	const char *build_dir;		/* where images and the agent are */
	const char *cache;		/* key cache, NULL for the default */
	const char *signing_key;	/* the firmware-signing key (P-256 PEM), or NULL:
					 * a fresh key in OUT/keys/ */
	int jobs;			/* cases at once */
	int shard_k, shard_n;		/* the shard the plan holds, for the record */
	const char **targets;		/* the targets' names, for messages */
	size_t ntargets;
	const run_observer *obs;	/* NULL: nothing is told */
	/* The update server's entry (rotsim serve's, argv[0] "serve"), run
	 * in a forked child of the case rather than by running rotsim again;
	 * NULL: the server is this program run again. */
	int (*serve)(int argc, char **argv);
} run_opts;

/*
 * Run the cases of a plan (skipped ones are said, not run). Returns the exit status of rotsim run: 0 every outcome as
 * expected, 1 some are not, 2 an infrastructure error or an interruption (err
 * then says why when nothing could run).
 */
int run_scenarios(const plan *p, const run_opts *o, char *err, size_t errlen);

/*
 * Make dir the results folder of a run: created if missing; a folder that
 * holds anything is refused unless force, and then cleared only if it holds
 * nothing but what a run writes. The folder is locked (dir/.lock, flock) for
 * as long as *lockfd stays open, so two runs cannot share it. Returns 0, or
 * -1 with err.
 */
int results_open(const char *dir, int force, int *lockfd, char *err, size_t errlen);

/*
 * Decide every phase under a results directory again, from its evidence, and
 * compare with summary.json. Tells say() every disagreement (every verdict when
 * verbose) and a closing count. Returns 0 when
 * all agree, 1 when some differ, 2 when the directory cannot be read.
 */
int run_reverdict(const char *dir, int verbose, void (*say)(void *ctx, const char *line),
	void *ctx, char *err, size_t errlen);

#endif
