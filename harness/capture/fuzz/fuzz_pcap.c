/*
 * libFuzzer target: a whole capture file on arbitrary bytes: the pcap
 * reader, link layers, IP, TCP reassembly and TLS, then both renderings.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	/* Small limits, so that the limits are exercised. */
	cap_limits lim = { 8, 4096, 4096 };
	cap_report r;
	buf_t out = { 0 };
	char err[256];
	FILE *fp;

	if (len == 0)
		return 0;
	fp = fmemopen((void *)data, len, "rb");
	if (fp == NULL)
		return 0;
	if (cap_analyze_fp(fp, "fuzz", &lim, &r, err, sizeof err) == 0) {
		cap_render_text(&r, 0, &out);
		cap_render_json(&r, &out);
		buf_free(&out);
		cap_report_free(&r);
	}
	return 0;
}
