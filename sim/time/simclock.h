/*
 * The simulated clock: the "network time" of ARCHITECTURE.md's three clocks.
 *
 * A simclock is set to a simulated Unix time at a real instant and from then
 * on advances with the real CLOCK_MONOTONIC clock, so a phase dated
 * 2024-07-01 reads 2024-07-01T00:00:05Z five real seconds after it was set,
 * whatever the host's own date is. A rate error (drift, in parts per million)
 * and a step (a fixed offset) let it stand for a device clock that runs fast,
 * slow, or days and years off.
 *
 * The caller owns the struct (on the stack or inside its own context); there
 * is no allocation and nothing to release. Only libc is used, so the
 * reference firmware agent can build this file as it is.
 *
 * The *_at functions take the monotonic reading as an argument (nanoseconds
 * of CLOCK_MONOTONIC) so tests can drive the clock without sleeping; the
 * others read CLOCK_MONOTONIC themselves.
 */
#ifndef ROTSIM_SIMCLOCK_H
#define ROTSIM_SIMCLOCK_H

#include <stdint.h>

/* A point in simulated time: seconds since the Unix epoch and nanoseconds
 * (0..999999999) after them. */
typedef struct {
	int64_t sec;
	uint32_t nsec;
} simclock_time;

typedef struct {
	simclock_time base;	/* simulated time at the anchor */
	int64_t anchor_ns;	/* CLOCK_MONOTONIC at the anchor, nanoseconds */
	int32_t drift_ppm;	/* rate error: +1000 runs 1 ms per second fast */
} simclock;

/* Bounds of simclock_set_drift(): -1000000 stops the clock, +1000000 runs it
 * at twice the real rate. */
#define SIMCLOCK_DRIFT_MIN (-1000000)
#define SIMCLOCK_DRIFT_MAX 1000000

/* CLOCK_MONOTONIC now, in nanoseconds. */
int64_t simclock_mono_ns(void);

/* Set the clock to read unix_time (whole seconds) now, with no drift. */
void simclock_set(simclock *c, int64_t unix_time);
void simclock_set_at(simclock *c, simclock_time t, int64_t mono_ns);

/* The simulated time now. */
simclock_time simclock_now(const simclock *c);
simclock_time simclock_now_at(const simclock *c, int64_t mono_ns);
/* The whole seconds of simclock_now(). */
int64_t simclock_seconds(const simclock *c);

/* Move the clock by delta seconds (negative: back), keeping its rate. */
void simclock_step(simclock *c, int64_t delta);

/*
 * Change the rate error, from now on: the reading is continuous across the
 * change. Returns 0, or -1 (clock unchanged) for ppm outside
 * SIMCLOCK_DRIFT_MIN..SIMCLOCK_DRIFT_MAX.
 */
int simclock_set_drift(simclock *c, int32_t ppm);
int simclock_set_drift_at(simclock *c, int32_t ppm, int64_t mono_ns);

#endif
