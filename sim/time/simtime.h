/*
 * Civil UTC time for rotsim: dates as written in .pki and scenario files,
 * seconds since the Unix epoch (int64_t, so dates past 2038 and before 1970
 * work), and BearSSL's (days since year 0, seconds in day) pair.
 *
 * There are no leap seconds (X.509 and BearSSL ignore them too).
 */
#ifndef ROTSIM_SIMTIME_H
#define ROTSIM_SIMTIME_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	int year;	/* 0..9999 */
	int month;	/* 1..12 */
	int day;	/* 1..31 */
	int hour, min, sec;
} simtime_civil;

/* The Unix epoch as BearSSL counts days (days since 0000-01-01, proleptic
 * Gregorian calendar). */
#define SIMTIME_EPOCH_DAYS 719528

/* Days in a month of a year (1..12), or 0 for a bad month. */
int simtime_days_in_month(int year, int month);

/* Civil date to seconds since the epoch. The fields must be valid (see
 * simtime_valid). */
int64_t simtime_from_civil(const simtime_civil *c);
void simtime_to_civil(int64_t t, simtime_civil *c);
/* 1 if every field is in range for a real date (2024-02-30 is not). */
int simtime_valid(const simtime_civil *c);

/*
 * Parse a date: "YYYY-MM-DD", "YYYY-MM-DD HH:MM:SS", "YYYY-MM-DDTHH:MM:SS",
 * either of the last two with a trailing "Z". Returns 0, or -1 with a message
 * (without a location prefix) in err.
 */
int simtime_parse(const char *s, int64_t *t, char *err, size_t errlen);

/*
 * Parse a duration: digits followed by a unit s, m, h, d or w ("90d", "6d",
 * "1h"); an optional leading '+'. Returns 0 or -1 with err.
 */
int simtime_parse_duration(const char *s, int64_t *secs, char *err, size_t errlen);

/* "2024-07-01T00:00:00Z" into out (at least 21 bytes). Returns out. */
char *simtime_format(char *out, size_t outlen, int64_t t);
/* RFC 7231 IMF-fixdate, "Mon, 01 Jul 2024 00:00:00 GMT" (30 bytes). */
char *simtime_format_http(char *out, size_t outlen, int64_t t);

/* BearSSL's br_x509_minimal_set_time() arguments for a time. */
void simtime_to_bearssl(int64_t t, uint32_t *days, uint32_t *seconds);

#endif
