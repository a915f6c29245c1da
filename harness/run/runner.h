/*
 * The run: plan cases (scenario x device x target), run each in its own
 * process, write the evidence of every phase, decide verdicts from it, and
 * write the results (summary.json, junit.xml, summary.txt).
 */
#ifndef ROTSIM_RUNNER_H
#define ROTSIM_RUNNER_H

#include <stddef.h>

#include "scenario/scenario.h"
#include "verdict/verdict.h"

typedef struct {
	const char *out;		/* results directory (created) */
	const char *seed;		/* PKI seed */
	const char *build_dir;		/* where images and the agent are */
	const char *cache;		/* key cache, NULL for the default */
	int jobs;			/* cases at once */
	int shard_k, shard_n;		/* run cases with index % n == k - 1 */
	const char **targets;
	size_t ntargets;
	const char **devices;		/* NULL: every device of each scenario */
	size_t ndevices;
	int quiet;			/* no per-case lines */
} run_opts;

/*
 * Run the scenarios. Returns the exit status of rotsim run: 0 every outcome as
 * expected, 1 some are not, 2 an infrastructure error or an interruption (err
 * then says why when nothing could run).
 */
int run_scenarios(scenario *scns, size_t n, const run_opts *o, char *err, size_t errlen);

/*
 * Decide every phase under a results directory again, from its evidence, and
 * compare with summary.json. Prints disagreements to stdout. Returns 0 when
 * all agree, 1 when some differ, 2 when the directory cannot be read.
 */
int run_reverdict(const char *dir, int verbose, char *err, size_t errlen);

#endif
