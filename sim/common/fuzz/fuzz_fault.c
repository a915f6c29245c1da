/* libFuzzer target: the fault grammar on arbitrary bytes, in every form, and
 * the translation of the scenario's form into the server's. A spec that parses
 * must come out of fault_server_arg as a spec the server's form accepts; a
 * spec the lab network's form accepts is a network fault, which neither of
 * the server's forms may accept. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/fault.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *spec, err[256], *arg;
	fault f;

	if (len > 4096)
		return 0;
	spec = malloc(len + 1);
	memcpy(spec, data, len);
	spec[len] = 0;
	if (fault_parse(&f, spec, FAULT_FORM_FILES, err, sizeof err) == 0)
		fault_clear(&f);
	if (fault_parse(&f, spec, FAULT_FORM_IDS, err, sizeof err) == 0) {
		fault_clear(&f);
		arg = fault_server_arg(spec, "/pki", err, sizeof err);
		if (arg == NULL || fault_parse(&f, arg, FAULT_FORM_FILES, err, sizeof err) != 0)
			abort();
		fault_clear(&f);
		free(arg);
	}
	if (fault_parse(&f, spec, FAULT_FORM_LAB, err, sizeof err) == 0) {
		if (!FAULT_STAGE_LAB(f.stage))
			abort();
		fault_clear(&f);
		if (fault_parse(&f, spec, FAULT_FORM_FILES, err, sizeof err) == 0
			|| fault_parse(&f, spec, FAULT_FORM_IDS, err, sizeof err) == 0)
			abort();
	}
	free(spec);
	return 0;
}
