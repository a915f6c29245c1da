/* libFuzzer target: the output cache's index parser on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "pki/pki.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	pki_cache_file *files;
	size_t n;
	char err[256];

	if (pki_cache_index_parse((const char *)data, len, &files, &n, err, sizeof err) == 0)
		pki_cache_files_free(files, n);
	return 0;
}
