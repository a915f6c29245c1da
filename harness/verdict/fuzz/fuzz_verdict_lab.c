/*
 * libFuzzer target: the verdict's reader of the lab evidence (lab.json and
 * sink.jsonl) on arbitrary bytes, then its story. The input is split at the
 * first NUL: lab.json before it, the sink's log after it (no NUL: lab.json
 * alone). The texts are copied so that a read past them is caught.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verdict/lab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *nul = memchr(data, 0, len);
	size_t jl = nul != NULL ? (size_t)(nul - data) : len;
	size_t sl = nul != NULL ? len - jl - 1 : 0;
	char *j = malloc(jl ? jl : 1), *s = malloc(sl ? sl : 1);
	verdict_lab lab;
	buf_t b = {0};

	memcpy(j, data, jl);
	if (sl)
		memcpy(s, nul + 1, sl);
	memset(&lab, 0, sizeof lab);
	verdict_lab_parse(&lab, j, jl, nul != NULL ? s : NULL, sl);
	verdict_lab_story(&lab, 1719792000, "2024-01-15", &b);
	if (lab.nsink_distinct > VLAB_MAX_SINK || (lab.server_addr[0] && !lab.server_ip
		&& strcmp(lab.server_addr, "0.0.0.0") != 0))
		abort();
	buf_free(&b);
	verdict_lab_free(&lab);
	free(j);
	free(s);
	return 0;
}
