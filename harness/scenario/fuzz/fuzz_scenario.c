/* libFuzzer target: scenario text through the whole reader (phases,
 * expectations, faults, the scenario's own PKI sections). The input is written
 * to a file because scn_load reads the scenario and the .pki it names from
 * disk; the seed corpus names no .pki, so the PKI comes from the input alone.
 * Every expectation is then looked up for every device on every TLS stack: a
 * powered phase has one for each. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/scenario.h"
#include "scenario/stack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static char path[64];
	scenario s;
	char err[1024];
	FILE *f;

	if (path[0] == 0)
		snprintf(path, sizeof path, "/tmp/fuzz-%ld/fz.scn", (long)getpid());
	if (path[0] != 0) {
		char dir[64];
		snprintf(dir, sizeof dir, "/tmp/fuzz-%ld", (long)getpid());
		(void)mkdir(dir, 0700);
	}
	if ((f = fopen(path, "wb")) == NULL)
		return 0;
	fwrite(data, 1, len, f);
	fclose(f);
	if (scn_load(&s, path, NULL, err, sizeof err) == 0) {
		buf_t b = {0};
		scn_describe(&s, &b);
		buf_free(&b);
		/* Every device's expectation on every TLS stack: the lookup
		 * through DEVICE@STACK-VARIANT, DEVICE@STACK and DEVICE. */
		for (size_t i = 0; i < s.nphases; i++)
			for (size_t j = 0; j < s.ndevices; j++)
				for (size_t k = 0; scn_stack_ids[k] != NULL; k++) {
					char *name = scn_device_name(s.devices[j], scn_stack_ids[k]);
					const scn_expect *x = scn_expect_for(&s.phases[i], name);
					if (s.phases[i].power && x == NULL)
						__builtin_trap();
					free(name);
				}
		scn_free(&s);
	}
	return 0;
}
