/*
 * libFuzzer target: the verdict's reader of a phase's protocol evidence
 * (protocol.json and the server's events, split at the first NUL; a second
 * NUL starts a boot's console) and the facts drawn from it, on arbitrary
 * bytes. The texts are copied so that a read past them is caught.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "verdict/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const uint8_t *nul = memchr(data, 0, len), *nul2 = NULL;
	size_t jl = nul != NULL ? (size_t)(nul - data) : len, el = 0, cl = 0;
	char *j = malloc(jl ? jl : 1), *e, *c;
	verdict_proto vp;
	verdict_proto_facts f;

	memcpy(j, data, jl);
	if (nul != NULL) {
		nul2 = memchr(nul + 1, 0, len - jl - 1);
		el = nul2 != NULL ? (size_t)(nul2 - nul - 1) : len - jl - 1;
	}
	e = malloc(el ? el : 1);
	if (el)
		memcpy(e, nul + 1, el);
	cl = nul2 != NULL ? len - (size_t)(nul2 + 1 - data) : 0;
	c = malloc(cl ? cl : 1);
	if (cl)
		memcpy(c, nul2 + 1, cl);
	verdict_proto_parse(&vp, j, jl, nul != NULL ? e : NULL, el);
	verdict_proto_add_boot(&vp, "", 0);
	if (nul2 != NULL)
		verdict_proto_add_boot(&vp, c, cl);
	verdict_proto_facts_of(&vp, 3, 1000, &f);
	if (f.covered > 1000 || (f.complete_at >= 0 && f.covered != 1000)
		|| f.complete_at >= (long)vp.nreqs || f.closed_at >= (long)vp.nreqs)
		abort();
	verdict_proto_facts_of(&vp, -1, -1, &f);
	if (f.covered != 0)
		abort();
	verdict_proto_free(&vp);
	free(j);
	free(e);
	free(c);
	return 0;
}
