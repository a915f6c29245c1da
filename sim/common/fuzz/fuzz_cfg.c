/* libFuzzer target: the section-file lexer on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "common/cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cfg_doc d;
	char err[256];
	size_t i, j;

	if (cfg_parse(&d, "fuzz", (const char *)data, len, err, sizeof err) == 0) {
		for (i = 0; i < d.n; i++) {
			for (j = 0; j < d.secs[i].n; j++) {
				char **it;
				size_t n = cfg_split(d.secs[i].ents[j].val, ',', &it);
				cfg_list_free(it, n);
				(void)cfg_valid_id(d.secs[i].ents[j].key);
			}
			(void)cfg_get(&d.secs[i], "key", NULL);
		}
		cfg_free(&d);
	}
	return 0;
}
