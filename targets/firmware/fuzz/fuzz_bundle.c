/*
 * libFuzzer target: the bundle parser (strict and with trailing bytes), and,
 * for a bundle that parses, its trust store and pins as the agent reads them,
 * and a rewrite that must parse to the same sections.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "common/bundle.h"
#include "common/trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *copy = xmemdup(data, size);
	char err[256];
	bundle b, b2;
	buf_t out = {0};
	trust_store t;

	memset(&t, 0, sizeof t);
	(void)bundle_parse(&b, copy, size, 1, err, sizeof err);
	if (bundle_parse(&b, copy, size, 0, err, sizeof err) == 0) {
		if (b.anchors.data != NULL)
			(void)trust_add_pem(&t, b.anchors.data, b.anchors.len, err, sizeof err);
		if (b.pins.data != NULL)
			(void)trust_add_pins(&t, b.pins.data, b.pins.len, err, sizeof err);
		bundle_write(&out, b.version, &b.anchors, &b.pins, &b.payload);
		if (bundle_parse(&b2, out.data, out.len, 0, err, sizeof err) != 0
			|| b2.version != b.version || b2.payload.len != b.payload.len
			|| b2.anchors.len != b.anchors.len || b2.pins.len != b.pins.len)
			abort();
	}
	trust_free(&t);
	buf_free(&out);
	free(copy);
	return 0;
}
