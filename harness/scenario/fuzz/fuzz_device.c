/* libFuzzer target: device description text (NAME.device, [device NAME])
 * through the whole reader: sections, every key and the form of every value
 * (trust lists, pins in base64, paths, versions, stacks, dates). The files the
 * values name are not opened: that is dev_check_all's part, on a user's own
 * files. */
#include <stddef.h>
#include <stdint.h>

#include "scenario/devices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[1024];

	/* Once with the name the section must have, once with any. */
	(void)dev_desc_check_text("/nonexistent/fz.device", "fz", (const char *)data, len, err,
		sizeof err);
	(void)dev_desc_check_text("fz.device", NULL, (const char *)data, len, err, sizeof err);
	return 0;
}
