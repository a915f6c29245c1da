/*
 * rotsim: one command, many verbs, in the manner of BearSSL's brssl.
 */
#include "verbs.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

typedef struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} verb;

static const verb verbs[] = {
#define VERB(name) { #name, verb_##name, verb_##name##_summary },
#include "verbs.inc"
#undef VERB
	{ NULL, NULL, NULL }
};

static void
usage(FILE *f)
{
	const verb *v;

	fprintf(f, "usage: rotsim VERB [options]\n\nverbs:\n");
	for (v = verbs; v->name != NULL; v++)
		fprintf(f, "  %-10s %s\n", v->name, v->summary);
	fprintf(f, "\n'rotsim VERB --help' describes one verb.\n");
}

int
main(int argc, char **argv)
{
	const verb *v;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0
		|| strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("rotsim %s\n", rotsim_version);
		return 0;
	}
	for (v = verbs; v->name != NULL; v++)
		if (strcmp(argv[1], v->name) == 0)
			return v->fn(argc - 1, argv + 1);
	fprintf(stderr, "rotsim: unknown verb \"%s\" (rotsim --help lists them)\n", argv[1]);
	return 2;
}
