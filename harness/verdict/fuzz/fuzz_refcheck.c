/* Fuzz the reference check's path linking: the input is cut into up to 8
 * "certificates" (each a 2-byte big-endian length, then its bytes) validated
 * against an empty trust store and against a pin list. */
#include <stddef.h>
#include <stdint.h>

#include "verdict/refcheck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ref_cert chain[8];
	size_t n = 0;
	int code;
	char err[128];
	static const char pin_text[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
	ref_file pins = { "pins", (const unsigned char *)pin_text, sizeof pin_text - 1 };

	while (n < 8 && size >= 2) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2, size -= 2;
		if (len > size)
			len = size;
		chain[n].der = data;
		chain[n].len = len;
		n++;
		data += len, size -= len;
	}
	(void)ref_validate_mem(chain, n, 1719792000, "updates.rotsim.test", NULL, 0, NULL,
		&code, err, sizeof err);
	(void)ref_validate_mem(chain, n, 1719792000, "updates.rotsim.test", NULL, 0, &pins,
		&code, err, sizeof err);
	return 0;
}
