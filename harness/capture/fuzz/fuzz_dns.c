/*
 * libFuzzer target: the DNS parser on arbitrary bytes, then the same bytes
 * as the UDP payload of a captured frame, rendered as text and JSON.
 */
#include <stddef.h>
#include <stdint.h>

#include "capture/fuzz/lab_frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cap_dns m;
	char err[128];

	cap_dns_parse(data, len, &m, err, sizeof err);
	fuzz_lab_frame(data, len, 53, 53);
	return 0;
}
