/* libFuzzer target: the JSON reader on arbitrary bytes, and the writer on
 * every string it decodes (the writer's output must parse back). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static void
walk(const json *j)
{
	size_t i;

	if (j->type == JSON_STRING) {
		buf_t b = {0};
		char err[128];
		json_put_str(&b, j->str);
		json *back = json_parse((const char *)b.data, b.len, err, sizeof err);
		if (back == NULL || strcmp(back->str, j->str) != 0)
			abort();
		json_free(back);
		buf_free(&b);
	}
	for (i = 0; i < j->n; i++)
		walk(j->items[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[128];
	json *j = json_parse((const char *)data, len, err, sizeof err);

	if (j != NULL) {
		walk(j);
		json_free(j);
	}
	return 0;
}
