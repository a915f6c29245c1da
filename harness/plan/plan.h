/*
 * The plan of a run, as a value: scenarios x devices x targets -> cases.
 *
 * Every case has a stable index: its position in the whole, unsharded plan
 * of the same scenarios, devices and targets (scenario order, then the
 * scenario's device order, then target order). The index is recorded with
 * each result (summary.json's case_index), a shard takes the cases whose
 * index falls in it (plan_in_shard, the only place that rule lives), and
 * merging shards orders records by it, so merged shards equal the unsharded
 * run record for record and in order.
 *
 * A case a target cannot run (a scenario that needs UDP services on a target
 * without them) stays in the plan with its index and the reason it is
 * skipped; it is reported, never silently dropped or passed.
 */
#ifndef ROTSIM_PLAN_H
#define ROTSIM_PLAN_H

#include <stddef.h>

#include "scenario/scenario.h"
#include "target/target.h"

typedef struct {
	size_t index;		/* stable position in the unsharded plan */
	scenario *scn;
	const char *device;	/* the device's name on its stack: a device of scn,
				 * or DEVICE@STACKID (scenario/stack.h); owned by
				 * the plan */
	const char *stack;	/* its TLS stack id (static text) */
	const tgt *target;	/* one of the plan's targets */
	const char *skip;	/* NULL, or why this case is not run (static text) */
} plan_case;

typedef struct {
	plan_case *cases;	/* the cases of the selected shard, in index order */
	size_t n;
	size_t total;		/* cases in the unsharded plan */
	size_t skipped;		/* cases of this shard that are skipped */
} plan;

/*
 * Build the plan. devices (ndevices, 0: every device of each scenario)
 * restricts the devices; a name that no scenario has is an error naming the
 * closest device. stacks (nstacks stack ids, scenario/stack.h) runs every
 * device on each of them, in that order (the cases of one device and stack
 * stay together, targets innermost); with none, each device runs on the
 * stack its profile names (tls = STACK [VARIANT]), else on bearssl. A
 * device on a stack other than bearssl is named DEVICE@STACKID. shard_k of
 * shard_n (1 of 1: all) selects a slice. Returns 0, or -1 with err (an
 * unknown stack id, a profile's tls that names none, no case at all).
 */
int plan_build(plan *p, scenario *scns, size_t nscn, const char *const *devices,
	size_t ndevices, const char *const *stacks, size_t nstacks, const tgt *targets,
	size_t ntargets, int shard_k, int shard_n, char *err, size_t errlen);
void plan_free(plan *p);

/* 1 if the case with this index belongs to shard k of n. */
int plan_in_shard(size_t index, int k, int n);

/* The name in names[0..n) closest to want (edit distance), or NULL when none
 * is close enough to suggest. */
const char *plan_closest(const char *want, const char *const *names, size_t n);

#endif
