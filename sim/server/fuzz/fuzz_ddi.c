/* libFuzzer target: the hawkBit DDI feedback parser on arbitrary bytes. What
 * it accepts must be within its lists. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/ddi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	srv_ddi_feedback fb;
	char err[160];

	if (srv_ddi_feedback_parse(&fb, (const char *)data, len, err, sizeof err) == 0) {
		if (fb.execution[0] == 0 || fb.id < -1
			|| (strcmp(fb.execution, "closed") == 0 && fb.finished[0] == 0))
			__builtin_trap();
	} else if (err[0] == 0) {
		__builtin_trap();
	}
	return 0;
}
