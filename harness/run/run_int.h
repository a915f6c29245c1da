/*
 * What the parts of the run share, inside harness/run: the case being run,
 * the interruption flag, and the functions each part offers the others.
 * Nothing outside harness/run includes this header.
 */
#ifndef ROTSIM_RUN_INT_H
#define ROTSIM_RUN_INT_H

#include <signal.h>
#include <stddef.h>

#include "common/util.h"
#include "evidence/evidence.h"
#include "run/runner.h"
#include "scenario/scenario.h"
#include "target/target.h"
#include "verdict/verdict.h"

/* One case of the run: a scenario, a device and a target. */
typedef struct {
	size_t index;		/* stable index in the unsharded plan (plan.h) */
	scenario *scn;
	const char *device;	/* DEVICE, or DEVICE@STACKID (scenario/stack.h) */
	const char *stack;	/* its TLS stack id */
	const char *target;	/* the target's name */
	const tgt *tgt;		/* its description */
	char *dir;		/* OUT/cases/SCN/DEVICE@TARGET */
	pid_t pid;
	int finished;
	/* Its verdicts, one per phase, decided when its process ended. */
	verdict_result *res;
	char **ev;
	size_t nres;
} run_case;

/* Write a text file of a case atomically, mode 0644, unsynced (the
 * evidence's policy: evidence/evidence.h, ev_write_file). Returns 0 or -1
 * with err. */
static inline int
write_text(const char *path, const buf_t *b, char *err, size_t errlen)
{
	return ev_write_file(path, b->data, b->len, EV_NOSYNC, err, errlen);
}

/* Set by SIGINT or SIGTERM, in the parent and in each case process. */
extern volatile sig_atomic_t interrupted;

/* prepare.c: the firmware-signing key of the run (OUT/keys/, created when
 * missing), then each scenario's PKI under OUT/pki/SCN and its firmware
 * bundles under OUT/firmware/SCN/PHASE. Return 0 or -1 with err. */
int prepare_keys(const run_opts *o, char *err, size_t errlen);
int prepare_scenario(scenario *s, const run_opts *o, char *err, size_t errlen);

/* phase.c: run one case in the calling (forked) process; the exit status of
 * that process (0, or 2 when interrupted or the target did not load). */
int case_main(run_case *c, const run_opts *o);

/* record.c: phase.json, the plan of a phase. version_before and trust say
 * what the device runs at power-on (trust: the anchor set its installed
 * bundle carries, NULL for the factory trust store). */
int write_phase_json(const run_case *c, const scn_phase *ph, const char *pdir,
	long version_before, const char *trust, long image_size, int port, char *err,
	size_t errlen);

/* record.c: run.json, what the runner saw during a phase; exits are the
 * members of a JSON array of strings ("\"exit 10\",\"exit 0\""). Both return 0,
 * or -1 with err when the file cannot be written (err may be NULL). */
int write_run_json(const char *pdir, int boots, const char *exits, const char *error,
	const char *capture_error, long long ms, char *err, size_t errlen);

/* results.c: decide the verdicts of a finished case, in phase order, and
 * tell each to the observer (may be NULL). */
void collect_case(run_case *c, const char *out, const run_observer *obs);

/* scheduler.c: tell the observer a line (printf-style). */
void run_note(const run_opts *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* warm.c: look up, in this process, the libcrypto algorithms an update
 * server started from it without exec uses with the private key at key_pem
 * (a PEM file) and for its key exchanges, so that each server does not look
 * them up again. Once per key type; failures are ignored (the server reports
 * its own). */
void warm_server_crypto(const char *key_pem);

/* results.c: 1 if the outcome is an infrastructure error or interruption. */
int is_error(const verdict_result *r);

#endif
