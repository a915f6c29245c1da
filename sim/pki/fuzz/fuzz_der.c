/* libFuzzer target: the DER reader walking arbitrary bytes as nested TLVs. */
#include <stddef.h>
#include <stdint.h>

#include "pki/der.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
walk(const unsigned char *p, const unsigned char *end, int depth)
{
	unsigned tag;
	const unsigned char *c;
	size_t l;

	while (p < end && depth < 64) {
		if (der_read(&p, end, &tag, &c, &l) != 0)
			return;
		if (tag & 0x20)
			walk(c, c + l, depth + 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	walk(data, data + len, 0);
	return 0;
}
