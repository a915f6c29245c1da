/*
 * What the SNTP tests share: dates by name and clock readings.
 */
#ifndef ROTSIM_SNTP_TEST_H
#define ROTSIM_SNTP_TEST_H

#include <check.h>
#include <stdint.h>

#include "time/simclock.h"
#include "time/simtime.h"

#define NS 1000000000LL
/* 2024-07-01T00:00:00Z */
#define JULY_2024 1719792000LL

static inline int64_t
date(const char *s)
{
	int64_t t;
	char err[128];

	ck_assert_msg(simtime_parse(s, &t, err, sizeof err) == 0, "%s: %s", s, err);
	return t;
}

static inline simclock_time
at(int64_t sec, uint32_t nsec)
{
	simclock_time t = { sec, nsec };
	return t;
}

#endif
