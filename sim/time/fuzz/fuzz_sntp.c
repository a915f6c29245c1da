/*
 * libFuzzer target: the SNTP packet parsers on arbitrary bytes. The first
 * eight bytes, when present, are the transmit timestamp the client is taken to
 * have sent; the rest is the datagram, parsed as a request and as a reply.
 * Whatever they accept must re-encode to the same 48 bytes, and timestamp
 * conversion must stay in range for every value.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "time/sntp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
check_roundtrip(const sntp_packet *p, const uint8_t *buf)
{
	unsigned char out[SNTP_PACKET_LEN];

	sntp_encode(out, p);
	if (memcmp(out, buf, SNTP_PACKET_LEN) != 0)
		abort();
}

static void
check_ts(uint64_t ts)
{
	simclock_time t = sntp_ts_to_unix(ts);
	uint64_t back;

	if (t.sec < SNTP_UNIX_MIN || t.sec > SNTP_UNIX_MAX || t.nsec >= 1000000000u)
		abort();
	if (sntp_ts_from_unix(t, &back) != SNTP_OK)
		abort();
	/* Seconds come back exactly. The fraction loses what is below a
	 * nanosecond (up to 4.3 units of 2^-32 s), never gains; the zero
	 * timestamp is nudged to 1. */
	if (ts != 0 && (back >> 32 != ts >> 32 || (back & 0xffffffffu) > (ts & 0xffffffffu)
			|| (ts & 0xffffffffu) - (back & 0xffffffffu) > 4))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	sntp_packet p;
	uint64_t sent = 0;
	unsigned char rep[SNTP_PACKET_LEN];
	size_t i;
	int st;

	if (len >= 8) {
		for (i = 0; i < 8; i++)
			sent = sent << 8 | data[i];
		data += 8;
		len -= 8;
	}
	st = sntp_parse_request(&p, data, len);
	if (st < SNTP_OK || st >= SNTP_STATUS_COUNT || sntp_status_name(st) == NULL)
		abort();
	if (st == SNTP_OK) {
		if (len < SNTP_PACKET_LEN || p.mode != SNTP_MODE_CLIENT || p.xmit_ts == 0)
			abort();
		check_roundtrip(&p, data);
		/* Answer it, and the answer must pass the client's checks. */
		sntp_build_reply(rep, &p, sent | 1, sent | 1);
		if (sntp_parse_reply(&p, rep, sizeof rep, p.xmit_ts) != SNTP_OK)
			abort();
	}
	st = sntp_parse_reply(&p, data, len, sent);
	if (st < SNTP_OK || st >= SNTP_STATUS_COUNT)
		abort();
	if (st == SNTP_OK) {
		if (p.mode != SNTP_MODE_SERVER || p.orig_ts != sent || p.xmit_ts == 0
				|| p.stratum == 0 || p.stratum > 15 || p.leap == 3)
			abort();
		check_roundtrip(&p, data);
	}
	check_ts(sent);
	return 0;
}
