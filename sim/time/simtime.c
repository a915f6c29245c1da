/*
 * Civil time conversions. See simtime.h.
 *
 * Days from civil uses the usual shift of the year to start in March, so that
 * the leap day is the last day of the shifted year; it holds for the whole
 * proleptic Gregorian calendar without tables.
 */
#include "time/simtime.h"
#include "common/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* see simtime.h */
int
simtime_days_in_month(int year, int month)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	return dm[month - 1] + (month == 2 && is_leap(year));
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = floordiv(yy, 400);
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* see simtime.h */
int
simtime_valid(const simtime_civil *c)
{
	return c->year >= 0 && c->year <= 9999
		&& c->month >= 1 && c->month <= 12
		&& c->day >= 1 && c->day <= simtime_days_in_month(c->year, c->month)
		&& c->hour >= 0 && c->hour <= 23
		&& c->min >= 0 && c->min <= 59
		&& c->sec >= 0 && c->sec <= 59;
}

/* see simtime.h */
int64_t
simtime_from_civil(const simtime_civil *c)
{
	return days_from_civil(c->year, c->month, c->day) * 86400
		+ c->hour * 3600 + c->min * 60 + c->sec;
}

/* see simtime.h */
void
simtime_to_civil(int64_t t, simtime_civil *c)
{
	int64_t days = floordiv(t, 86400);
	int64_t secs = t - days * 86400;
	int64_t z = days + 719468;
	int64_t era = floordiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	c->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	c->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	c->year = (int)(yoe + era * 400 + (c->month <= 2));
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
}

/* Read exactly n digits. */
static int
digits(const char **sp, int n, int *out)
{
	const char *s = *sp;
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	*out = v;
	return 0;
}

/* see simtime.h */
int
simtime_parse(const char *s, int64_t *t, char *err, size_t errlen)
{
	simtime_civil c = { 0, 0, 0, 0, 0, 0 };
	const char *p = s;

	if (digits(&p, 4, &c.year) || *p++ != '-' || digits(&p, 2, &c.month)
		|| *p++ != '-' || digits(&p, 2, &c.day))
		goto bad;
	if (*p == ' ' || *p == 'T') {
		p++;
		if (digits(&p, 2, &c.hour) || *p++ != ':' || digits(&p, 2, &c.min)
			|| *p++ != ':' || digits(&p, 2, &c.sec))
			goto bad;
		if (*p == 'Z')
			p++;
	}
	if (*p != 0)
		goto bad;
	if (!simtime_valid(&c))
		return util_err(err, errlen, "no such date or time \"%s\"", s);
	*t = simtime_from_civil(&c);
	return 0;
bad:
	return util_err(err, errlen,
		"bad date \"%s\" (want YYYY-MM-DD or YYYY-MM-DD HH:MM:SS, UTC)", s);
}

/* see simtime.h */
int
simtime_parse_duration(const char *s, int64_t *secs, char *err, size_t errlen)
{
	const char *p = s;
	int64_t v = 0, unit;

	if (*p == '+')
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p++ - '0');
		if (v > 100000000)
			return util_err(err, errlen, "duration \"%s\" is too long", s);
	}
	switch (*p++) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: goto bad;
	}
	if (*p != 0)
		goto bad;
	*secs = v * unit;
	return 0;
bad:
	return util_err(err, errlen,
		"bad duration \"%s\" (want a number and a unit s, m, h, d or w, as +90d)", s);
}

/* see simtime.h */
char *
simtime_format(char *out, size_t outlen, int64_t t)
{
	simtime_civil c;

	simtime_to_civil(t, &c);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		c.year, c.month, c.day, c.hour, c.min, c.sec);
	return out;
}

/* see simtime.h */
char *
simtime_format_http(char *out, size_t outlen, int64_t t)
{
	static const char *const wd[7] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
	static const char *const mn[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	simtime_civil c;
	int64_t days = floordiv(t, 86400);

	simtime_to_civil(t, &c);
	snprintf(out, outlen, "%s, %02d %s %04d %02d:%02d:%02d GMT",
		wd[(int)(((days % 7) + 7) % 7)], c.day, mn[c.month - 1], c.year,
		c.hour, c.min, c.sec);
	return out;
}

/* see simtime.h */
void
simtime_to_bearssl(int64_t t, uint32_t *days, uint32_t *seconds)
{
	int64_t d = floordiv(t, 86400);

	*days = (uint32_t)(d + SIMTIME_EPOCH_DAYS);
	*seconds = (uint32_t)(t - d * 86400);
}
