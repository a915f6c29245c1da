/*
 * What the lab-protocol fuzz targets share: the input as the UDP payload of a
 * captured frame between two ports, read and rendered as text and JSON.
 */
#ifndef ROTSIM_FUZZ_LAB_FRAME_H
#define ROTSIM_FUZZ_LAB_FRAME_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/lab.h"

static void
fuzz_lab_frame(const uint8_t *data, size_t len, unsigned sport, unsigned dport)
{
	cap_lab_report r;
	buf_t out = { 0 };
	unsigned char frame[1600];
	size_t n = len < sizeof frame - 42 ? len : sizeof frame - 42;

	/* Ethernet, IPv4, UDP between the ports, then the input. */
	memset(frame, 0, 42);
	frame[12] = 0x08;
	frame[14] = 0x45;
	frame[16] = (unsigned char)((n + 28) >> 8);
	frame[17] = (unsigned char)(n + 28);
	frame[23] = 17;
	frame[34] = (unsigned char)(sport >> 8);
	frame[35] = (unsigned char)sport;
	frame[36] = (unsigned char)(dport >> 8);
	frame[37] = (unsigned char)dport;
	frame[38] = (unsigned char)((n + 8) >> 8);
	frame[39] = (unsigned char)(n + 8);
	memcpy(frame + 42, data, n);
	memset(&r, 0, sizeof r);
	cap_lab_frame(&r, 1, frame, n + 42, 0);
	cap_lab_render_text(&r, 0, &out);
	cap_lab_render_json(&r, &out);
	buf_free(&out);
	cap_lab_free(&r);
}

#endif
