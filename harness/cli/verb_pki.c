/*
 * rotsim pki FILE --out DIR [--seed S] [--cache DIR | --no-cache] [--check] [-q]
 */
#include "pki/pki.h"
#include "verbs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char verb_pki_summary[] = "build a test certificate hierarchy from a .pki file";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim pki FILE... --out DIR [--seed S] [--cache DIR | --no-cache] [-q]\n"
"       rotsim pki FILE... --check\n"
"\n"
"Build the certificate hierarchy described by one or more .pki files\n"
"(format: sim/pki/FORMAT.md) and write, under DIR:\n"
"  ID.crt.pem, ID.crt.der   every certificate\n"
"  ID.key.pem               every certificate's private key (PKCS#8, mode 0600)\n"
"  chains/ID[.VARIANT].pem  every leaf followed by its chain\n"
"  anchors/NAME.pem|.h|.pins  every anchor set: PEM bundle, BearSSL trust\n"
"                           anchors, base64 SHA-256 SPKI pins\n"
"  manifest.txt             one line per certificate\n"
"\n"
"options:\n"
"  --out DIR     where to write (created if needed)\n"
"  --seed S      key seed (default \"rotsim\"): the same files and seed give\n"
"                byte-identical keys and certificates\n"
"  --cache DIR   key cache (default $ROTSIM_CACHE, else $XDG_CACHE_HOME/rotsim,\n"
"                else ~/.cache/rotsim)\n"
"  --no-cache    generate every key, keep none\n"
"  --check       only read and check the files; write nothing\n"
"  -q, --quiet   no progress lines\n"
"\n"
"Errors are reported as FILE:LINE: message; nothing is written then.\n");
}

static void
progress(void *ctx, const char *label, const char *type, size_t done, size_t total)
{
	(void)ctx;
	fprintf(stderr, "rotsim pki: generating key %zu/%zu: %s (%s)\n", done, total, label,
		type);
}

/* see verbs.h */
int
verb_pki(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "cache", required_argument, NULL, 'c' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "check", no_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *out = NULL, *seed = "rotsim";
	char *cache = NULL;
	int no_cache = 0, check = 0, quiet = 0, ch, ret = 2, i;
	char err[1024];
	pki p;

	pki_init(&p);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "o:s:c:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'o': out = optarg; break;
		case 's': seed = optarg; break;
		case 'c': free(cache); cache = xstrdup(optarg); break;
		case 'n': no_cache = 1; break;
		case 'k': check = 1; break;
		case 'q': quiet = 1; break;
		case 'h': usage(stdout); ret = 0; goto done;
		default: usage(stderr); goto done;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "rotsim pki: no .pki file given\n");
		usage(stderr);
		goto done;
	}
	if (out == NULL && !check) {
		fprintf(stderr, "rotsim pki: --out DIR is required (or --check)\n");
		goto done;
	}
	if (no_cache && cache != NULL) {
		fprintf(stderr, "rotsim pki: --cache and --no-cache together\n");
		goto done;
	}
	for (i = optind; i < argc; i++) {
		cfg_doc doc;
		if (cfg_parse_file(&doc, argv[i], err, sizeof err) != 0
			|| pki_add_doc(&p, &doc, 1, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			cfg_free(&doc);
			ret = 1;
			goto done;
		}
		cfg_free(&doc);
	}
	if (pki_resolve(&p, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		ret = 1;
		goto done;
	}
	if (check) {
		printf("%s: %zu certificates, %zu anchor sets: ok\n", argv[optind],
			p.ncerts, p.nsets);
		ret = 0;
		goto done;
	}
	if (!no_cache && cache == NULL)
		cache = pki_default_cache();
	if (pki_build(&p, seed, no_cache ? NULL : cache, quiet ? NULL : progress, NULL,
		err, sizeof err) != 0) {
		fprintf(stderr, "rotsim pki: %s\n", err);
		goto done;
	}
	if (pki_write(&p, out, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim pki: %s\n", err);
		goto done;
	}
	if (!quiet) {
		size_t gen = 0, k;
		for (k = 0; k < p.nkeys; k++)
			gen += (size_t)p.keys[k].generated;
		fprintf(stderr, "rotsim pki: wrote %zu certificates, %zu anchor sets to %s "
			"(%zu keys: %zu generated, %zu from cache)\n", p.ncerts, p.nsets, out,
			p.nkeys, gen, p.nkeys - gen);
	}
	ret = 0;
done:
	pki_free(&p);
	free(cache);
	return ret;
}
