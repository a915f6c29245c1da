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

typedef struct {
	const char *out;		/* results directory (created) */
	const char *seed;		/* PKI seed */
	const char *build_dir;		/* where images and the agent are */
	const char *cache;		/* key cache, NULL for the default */
	int jobs;			/* cases at once */
	int shard_k, shard_n;		/* the shard the plan holds, for the record */
	const char **targets;		/* the targets' names, for messages */
	size_t ntargets;
	int quiet;			/* no per-case lines */
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
 * compare with summary.json. Prints disagreements to stdout. Returns 0 when
 * all agree, 1 when some differ, 2 when the directory cannot be read.
 */
int run_reverdict(const char *dir, int verbose, char *err, size_t errlen);

/* Write summary.json, junit.xml and summary.txt for results[0..n) under dir.
 * meta is a JSON object's members (without braces) for summary.json. */
int run_write_results(const char *dir, const verdict_result *res, char *const *evidence,
	size_t n, const char *meta, char *err, size_t errlen);

#endif
