/* libFuzzer target: .pki text through the lexer, the PKI reader and the
 * whole-hierarchy checks (everything before key generation). */
#include <stddef.h>
#include <stdint.h>

#include "pki/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cfg_doc d;
	pki p;
	char err[512];

	if (cfg_parse(&d, "fuzz.pki", (const char *)data, len, err, sizeof err) != 0)
		return 0;
	pki_init(&p);
	if (pki_add_doc(&p, &d, 1, err, sizeof err) == 0)
		(void)pki_resolve(&p, err, sizeof err);
	pki_free(&p);
	cfg_free(&d);
	return 0;
}
