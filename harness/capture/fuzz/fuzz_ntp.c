/*
 * libFuzzer target: the NTP parser on arbitrary bytes, then the same bytes
 * as the UDP payload of a captured frame, rendered as text and JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cap_ntp m;
	cap_lab_report r;
	buf_t out = { 0 };
	unsigned char frame[1600];
	size_t n = len < sizeof frame - 42 ? len : sizeof frame - 42;
	char err[128];

	cap_ntp_parse(data, len, &m, err, sizeof err);
	/* Ethernet, IPv4, UDP to the service's port, then the input. */
	memset(frame, 0, 42);
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[16] = (unsigned char)((n + 28) >> 8);
	frame[17] = (unsigned char)(n + 28);
	frame[23] = 17;
	frame[34] = 0;
	frame[35] = 123;
	frame[36] = 0;
	frame[37] = 123;
	frame[38] = (unsigned char)((n + 8) >> 8);
	frame[39] = (unsigned char)(n + 8);
	memcpy(frame + 42, data, n);
	memset(&r, 0, sizeof r);
	cap_lab_frame(&r, 1, frame, n + 42, 0);
	cap_lab_render_text(&r, 0, &out);
	cap_lab_render_json(&r, &out);
	buf_free(&out);
	cap_lab_free(&r);
	return 0;
}
