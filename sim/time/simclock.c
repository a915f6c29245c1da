/* The simulated clock: simulated time that advances with real monotonic time. */
#include <time.h>

#include "time/simclock.h"

#define NS_PER_SEC 1000000000LL
/* Longest elapsed time the rate arithmetic accepts without overflow (about
 * 146 years); a reading further from the anchor is taken as this far. */
#define MAX_ELAPSED_NS (1LL << 62)

/* see simclock.h */
int64_t
simclock_mono_ns(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* see simclock.h */
void
simclock_set_at(simclock *c, simclock_time t, int64_t mono_ns)
{
	c->base.sec = t.sec + t.nsec / NS_PER_SEC;
	c->base.nsec = (uint32_t)(t.nsec % NS_PER_SEC);
	c->anchor_ns = mono_ns;
	c->drift_ppm = 0;
}

/* see simclock.h */
void
simclock_set(simclock *c, int64_t unix_time)
{
	simclock_time t = { unix_time, 0 };

	simclock_set_at(c, t, simclock_mono_ns());
}

/*
 * Simulated nanoseconds elapsed for a real interval. The product elapsed * ppm
 * would overflow 64 bits after a few hours, so it is split into whole
 * millions of nanoseconds and the rest.
 */
static int64_t
scaled_elapsed(int64_t elapsed, int32_t ppm)
{
	if (elapsed < 0)
		elapsed = 0;
	if (elapsed > MAX_ELAPSED_NS)
		elapsed = MAX_ELAPSED_NS;
	return elapsed + (elapsed / 1000000) * ppm + (elapsed % 1000000) * ppm / 1000000;
}

/* see simclock.h */
simclock_time
simclock_now_at(const simclock *c, int64_t mono_ns)
{
	simclock_time t;
	int64_t ns;

	/* ppm >= -1000000, so the scaled interval is never negative. */
	ns = (int64_t)c->base.nsec + scaled_elapsed(mono_ns - c->anchor_ns, c->drift_ppm);
	t.sec = c->base.sec + ns / NS_PER_SEC;
	t.nsec = (uint32_t)(ns % NS_PER_SEC);
	return t;
}

/* see simclock.h */
simclock_time
simclock_now(const simclock *c)
{
	return simclock_now_at(c, simclock_mono_ns());
}

/* see simclock.h */
int64_t
simclock_seconds(const simclock *c)
{
	return simclock_now(c).sec;
}

/* see simclock.h */
void
simclock_step(simclock *c, int64_t delta)
{
	c->base.sec += delta;
}

/* see simclock.h */
int
simclock_set_drift_at(simclock *c, int32_t ppm, int64_t mono_ns)
{
	if (ppm < SIMCLOCK_DRIFT_MIN || ppm > SIMCLOCK_DRIFT_MAX)
		return -1;
	/* Re-anchor at the current reading so the change applies from now on. */
	c->base = simclock_now_at(c, mono_ns);
	c->anchor_ns = mono_ns;
	c->drift_ppm = ppm;
	return 0;
}

/* see simclock.h */
int
simclock_set_drift(simclock *c, int32_t ppm)
{
	return simclock_set_drift_at(c, ppm, simclock_mono_ns());
}
