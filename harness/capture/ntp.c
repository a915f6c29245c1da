/*
 * NTP and SNTP packets as a capture shows them. See lab.h.
 */
#include "capture/lab.h"
#include "common/util.h"

#include <string.h>

/* Seconds from the NTP epoch (1900) to the Unix epoch. */
#define NTP_UNIX_DELTA 2208988800LL

/* see lab.h */
int
cap_ntp_parse(const unsigned char *p, size_t len, cap_ntp *out, char *err, size_t errlen)
{
	uint32_t secs;
	size_t i;

	memset(out, 0, sizeof *out);
	if (len < 48)
		return util_err(err, errlen, "NTP: %zu bytes, shorter than a packet", len);
	out->leap = p[0] >> 6;
	out->version = (p[0] >> 3) & 7;
	out->mode = p[0] & 7;
	if (out->version < 1 || out->version > 4)
		return util_err(err, errlen, "NTP: version %d", out->version);
	out->stratum = p[1];
	if (out->stratum == 0 && out->mode == 4) {
		for (i = 0; i < 4; i++)
			out->kiss[i] = p[12 + i] >= 0x20 && p[12 + i] < 0x7f ? (char)p[12 + i] : '?';
		out->kiss[4] = 0;
	}
	secs = (uint32_t)p[40] << 24 | (uint32_t)p[41] << 16 | (uint32_t)p[42] << 8 | p[43];
	/* Era 0 until 2036; later seconds wrap (RFC 5905 6): a value before
	 * 1968 is taken as era 1. */
	if (secs != 0)
		out->transmit = (int64_t)secs - NTP_UNIX_DELTA
			+ (secs < 0x80000000u ? 4294967296LL : 0);
	return 0;
}
