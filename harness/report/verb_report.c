/*
 * rotsim report DIR [--out DIR2] [--baseline PREV] [--expected-failures FILE]
 *               [--product NAME] [--firmware-version V]
 * rotsim report --merge SHARD_DIR ... --out DIR [--baseline ...] [...]
 */
#include "report/report.h"
#include "target/target.h"
#include "common/cfg.h"
#include "verbs.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char verb_report_summary[] = "write the sign-off report of a run; merge CI shards";

static void
report_usage(FILE *f)
{
	fprintf(f,
"usage: rotsim report DIR [--out DIR2] [--baseline PREVIOUS]\n"
"                     [--expected-failures FILE] [--product NAME]\n"
"                     [--firmware-version V] [--build DIR] [-q]\n"
"       rotsim report --merge SHARD_DIR ... --out DIR [--baseline PREVIOUS]\n"
"                     [--expected-failures FILE] [--product NAME]\n"
"                     [--firmware-version V] [--build DIR] [-q]\n"
"\n"
"Write the sign-off report of the run in DIR (rotsim run --out DIR): report.html\n"
"(one self-contained page: release verdict, devices x scenarios matrix, per case\n"
"a timeline and links to the evidence), report.md (a short summary for a pull\n"
"request) and report.json, into DIR or DIR2.\n"
"\n"
"  --merge            merge the result folders of the shards of one run (each\n"
"                     from rotsim run --shard K/N) into --out: summary.json,\n"
"                     junit.xml and summary.txt in the unsharded run's order,\n"
"                     the evidence hard-linked or copied, then the report\n"
"  --out DIR          where to write (required with --merge)\n"
"  --baseline PREV    a previous run (its directory or summary.json): mark each\n"
"                     record new failure, fixed, still failing or unchanged\n"
"  --expected-failures FILE\n"
"                     accepted known findings, each with a reason and an expiry\n"
"                     date (see harness/report/README.md); expired entries no\n"
"                     longer apply and are flagged\n"
"  --product NAME     the product under test, named in the report's header and\n"
"                     sign-off block (default: \"not given\")\n"
"  --firmware-version V\n"
"                     the firmware version under test, likewise\n"
"  --build DIR        where the target images are, for their hashes (default:\n"
"                     $ROTSIM_BUILD, or beside rotsim)\n"
"  -q, --quiet        no summary on stdout\n"
"\n"
"Exit 0: the release passes (every Required expectation met, accepted findings\n"
"aside); 1: it does not; 2: usage or I/O error (FILE:LINE: ... for a bad\n"
"expected-failures file).\n");
}

/* The hashes the report lists. */
typedef struct {
	char **label, **hex;
	uint64_t *size;
	size_t n;
} hashes;

static void
hash_add(hashes *h, const char *path, const char *label)
{
	unsigned char *data, sha[32];
	size_t len;
	char err[256], hex[65];

	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return;
	util_sha256(sha, data, len);
	free(data);
	h->label = xrealloc(h->label, (h->n + 1) * sizeof *h->label);
	h->hex = xrealloc(h->hex, (h->n + 1) * sizeof *h->hex);
	h->size = xrealloc(h->size, (h->n + 1) * sizeof *h->size);
	h->label[h->n] = xstrdup(label);
	h->hex[h->n] = xstrdup(util_hex(hex, sha, 32));
	h->size[h->n] = len;
	h->n++;
}

/* Every regular file under dir, in name order, labelled by its path under
 * label_prefix. */
static void
hash_tree(hashes *h, const char *dir, const char *label)
{
	char **names;
	long ln = util_list_dir(dir, "", &names, NULL, 0);
	size_t n, i;

	if (ln < 0)
		return;
	n = (size_t)ln;
	for (i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]), *l = xasprintf("%s/%s", label, names[i]);
		struct stat st;
		if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
			hash_tree(h, p, l);
		else if (lstat(p, &st) == 0 && S_ISREG(st.st_mode))
			hash_add(h, p, l);
		free(p);
		free(l);
		free(names[i]);
	}
	free(names);
}

static void
hashes_free(hashes *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->label[i]);
		free(h->hex[i]);
	}
	free(h->label);
	free(h->hex);
	free(h->size);
}

/* The device images of the targets the run used: as the run recorded them,
 * else as the build directory holds them now. */
static void
hash_images(hashes *h, const rep_run *r, const char *build)
{
	const json *rec = json_get(r->doc, "images");
	if (rec != NULL && rec->type == JSON_ARRAY && rec->n > 0) {
		size_t m;
		for (m = 0; m < rec->n; m++) {
			const char *label = json_get_str(rec->items[m], "label");
			const char *hex = json_get_str(rec->items[m], "sha256");
			int64_t size = 0;
			if (label == NULL || hex == NULL)
				continue;
			/* A run records an image per case; list each one once. */
			size_t k;
			char *l = xasprintf("%s (recorded by the run)", label);
			for (k = 0; k < h->n && (strcmp(h->label[k], l) != 0
				|| strcmp(h->hex[k], hex) != 0); k++)
				;
			if (k < h->n) {
				free(l);
				continue;
			}
			json_get_int(rec->items[m], "size", &size);
			h->label = xrealloc(h->label, (h->n + 1) * sizeof *h->label);
			h->hex = xrealloc(h->hex, (h->n + 1) * sizeof *h->hex);
			h->size = xrealloc(h->size, (h->n + 1) * sizeof *h->size);
			h->label[h->n] = l;
			h->hex[h->n] = xstrdup(hex);
			h->size[h->n] = (uint64_t)size;
			h->n++;
		}
		return;
	}
	/* A run that recorded no image hashes (an older rotsim): hash what each
	 * target's driver boots the run's devices from, as the build holds it
	 * now, and say so. */
	size_t i, k;
	for (i = 0; i < r->n; i++) {
		int seen = 0;
		for (k = 0; k < i; k++)
			seen |= strcmp(r->recs[k].target, r->recs[i].target) == 0
				&& strcmp(r->recs[k].device, r->recs[i].device) == 0;
		if (seen)
			continue;
		tgt t;
		char err[512], *labels[8], *paths[8];
		if (tgt_load(&t, r->recs[i].target, build, err, sizeof err) != 0)
			continue;
		size_t n = t.drv->boot_files(&t, r->recs[i].device, labels, paths, 8);
		for (k = 0; k < n; k++) {
			size_t bl = strlen(build);
			char *l = xasprintf("%s: %s (build, at report time)", t.name, paths[k]
				+ (strncmp(paths[k], build, bl) == 0 && paths[k][bl] == '/' ? bl + 1 : 0));
			hash_add(h, paths[k], l);
			free(l);
			free(labels[k]);
			free(paths[k]);
		}
		tgt_free(&t);
	}
}

/* The relative path from directory from to directory to, with a trailing
 * '/', or "" when they are the same (both must exist). */
static char *
rel_dir(const char *from, const char *to)
{
	char a[PATH_MAX], b[PATH_MAX];
	char **ca = NULL, **cb = NULL;
	size_t na, nb, i, common = 0;
	buf_t out = {0};
	char *ret;

	if (realpath(from, a) == NULL || realpath(to, b) == NULL)
		return xstrdup("");
	na = cfg_split(a + 1, '/', &ca);
	nb = cfg_split(b + 1, '/', &cb);
	while (common < na && common < nb && strcmp(ca[common], cb[common]) == 0)
		common++;
	for (i = common; i < na; i++)
		if (ca[i][0])
			buf_puts(&out, "../");
	for (i = common; i < nb; i++)
		if (cb[i][0])
			buf_printf(&out, "%s/", cb[i]);
	ret = xstrdup(out.len ? buf_cstr(&out) : "");
	buf_free(&out);
	cfg_list_free(ca, na);
	cfg_list_free(cb, nb);
	return ret;
}

static int
write_out(const char *dir, const char *name, buf_t *b, char *err, size_t errlen)
{
	char *p = xasprintf("%s/%s", dir, name);
	int r = util_write_atomic(p, b->data, b->len, 0644, err, errlen);
	free(p);
	return r;
}

/*
 * The report of the run in dir, its expected failures already read (acc,
 * NULL when none were given); nmerged shards were merged into dir just
 * before (0: none). Returns the verb's exit status.
 */
static int
write_report(const char *dir, const rep_options *o, rep_accepts *acc, int nmerged)
{
	const char *out = o->out ? o->out : dir;
	char *build = NULL, *qemu = NULL, *prefix = NULL, err[2048], when[32];
	int ret = 2;
	rep_run run;
	rep_facts facts;
	hashes h = { 0 };
	buf_t html = {0}, md = {0}, js = {0};
	time_t now = time(NULL);

	memset(&run, 0, sizeof run);
	memset(&facts, 0, sizeof facts);
	if (rep_run_load(&run, dir, err, sizeof err) != 0
		|| rep_run_judge(&run, acc, o->baseline, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim report: %s\n", err);
		goto done;
	}
	if (util_mkdirs(out, 0755, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim report: %s\n", err);
		goto done;
	}

	build = o->build ? xstrdup(o->build) : tgt_build_dir();
	char *fw = xasprintf("%s/firmware", dir);
	hash_tree(&h, fw, "firmware");
	free(fw);
	hash_images(&h, &run, build);
	/* The emulator's version as the run recorded it; a run that recorded
	 * none used no emulator, or was made by an older rotsim. */
	qemu = json_get_str(run.doc, "qemu") != NULL ? xstrdup(json_get_str(run.doc, "qemu")) : NULL;
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	prefix = rel_dir(out, dir);
	facts.subject = o->subject;
	facts.generated = when;
	facts.rotsim_version = rotsim_version;
	facts.qemu_version = qemu;
	facts.baseline = o->baseline;
	facts.expected_failures = o->expected_failures;
	facts.hash_label = (const char **)h.label;
	facts.hash_hex = (const char **)h.hex;
	facts.hash_size = h.size;
	facts.nhash = h.n;
	facts.evidence_prefix = prefix;

	rep_html(&run, acc, &facts, &html);
	rep_markdown(&run, acc, &facts, &md);
	rep_json(&run, acc, &facts, &js);
	if (write_out(out, "report.html", &html, err, sizeof err) != 0
		|| write_out(out, "report.md", &md, err, sizeof err) != 0
		|| write_out(out, "report.json", &js, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim report: %s\n", err);
		goto done;
	}
	for (size_t i = 0; acc != NULL && i < acc->n; i++)
		if (acc->v[i].expired)
			fprintf(stderr, "%s:%d: warning: [accept %s] expired on %s and no longer "
				"applies\n", acc->path, acc->v[i].line, acc->v[i].name,
				acc->v[i].expires);
	if (!o->quiet) {
		if (nmerged)
			printf("merged %d shard%s into %s\n", nmerged, nmerged == 1 ? "" : "s", out);
		printf("release: %s (%zu of %zu Required expectations met; %zu Recommended not met; "
			"%zu accepted; %zu errors)\n", run.release_pass ? "PASS" : "FAIL",
			run.required_met, run.required_total, run.recommended_failed, run.accepted,
			run.errors);
		if (run.shards_missing)
			printf("incomplete: %zu shard%s missing\n", run.shards_missing,
				run.shards_missing == 1 ? "" : "s");
		if (run.have_baseline)
			printf("since the baseline: %zu new failure%s, %zu fixed, %zu still failing\n",
				run.changes[REP_CHANGE_NEW_FAILURE],
				run.changes[REP_CHANGE_NEW_FAILURE] == 1 ? "" : "s",
				run.changes[REP_CHANGE_FIXED], run.changes[REP_CHANGE_STILL_FAILING]);
		printf("report: %s/report.html, %s/report.md\n", out, out);
	}
	ret = run.release_pass ? 0 : 1;
done:
	rep_run_free(&run);
	hashes_free(&h);
	buf_free(&html);
	buf_free(&md);
	buf_free(&js);
	free(build);
	free(qemu);
	free(prefix);
	return ret;
}

/* see report.h */
int
rep_report_dir(const char *dir, const rep_options *o)
{
	static const rep_options none;
	rep_accepts acc;
	char err[2048];
	int ret;

	if (o == NULL)
		o = &none;
	memset(&acc, 0, sizeof acc);
	if (o->expected_failures != NULL && rep_accepts_load(&acc, o->expected_failures,
		(int64_t)time(NULL), err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	ret = write_report(dir, o, o->expected_failures ? &acc : NULL, 0);
	rep_accepts_free(&acc);
	return ret;
}

/* see verbs.h */
int
verb_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "merge", no_argument, NULL, 'm' },
		{ "out", required_argument, NULL, 'o' },
		{ "baseline", required_argument, NULL, 'B' },
		{ "expected-failures", required_argument, NULL, 'x' },
		{ "build", required_argument, NULL, 'b' },
		{ "product", required_argument, NULL, 'P' },
		{ "firmware-version", required_argument, NULL, 'F' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char err[2048];
	int merge = 0, ch, ret = 2;
	rep_accepts acc;
	rep_options o;

	memset(&acc, 0, sizeof acc);
	memset(&o, 0, sizeof o);
	optind = 1;
	while ((ch = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'm': merge = 1; break;
		case 'o': o.out = optarg; break;
		case 'B': o.baseline = optarg; break;
		case 'x': o.expected_failures = optarg; break;
		case 'b': o.build = optarg; break;
		case 'P': o.subject.product = optarg; break;
		case 'F': o.subject.firmware_version = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'h': report_usage(stdout); return 0;
		default: report_usage(stderr); return 2;
		}
	}
	if (merge) {
		if (optind >= argc) {
			fprintf(stderr, "rotsim report: --merge needs the shards' result folders\n");
			goto done;
		}
		if (o.out == NULL) {
			fprintf(stderr, "rotsim report: --merge needs --out DIR for the merged run\n");
			goto done;
		}
		for (int i = optind; i < argc; i++) {
			struct stat st;
			char *p = xasprintf("%s/summary.json", argv[i]);
			int ok = stat(p, &st) == 0;
			free(p);
			if (!ok) {
				fprintf(stderr, "rotsim report: %s: no summary.json (not a run's "
					"results)\n", argv[i]);
				goto done;
			}
		}
	} else if (optind + 1 != argc) {
		fprintf(stderr, "rotsim report: give one results directory (or --merge DIR ...)\n");
		goto done;
	} else {
		/* One run: the same call rotsim run makes. */
		ret = rep_report_dir(argv[optind], &o);
		goto done;
	}
	/* The expected failures are read before the shards are merged, so that a
	 * mistake in them costs nothing. */
	if (o.expected_failures != NULL && rep_accepts_load(&acc, o.expected_failures,
		(int64_t)time(NULL), err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		goto done;
	}
	if (rep_merge((const char *const *)argv + optind, (size_t)(argc - optind), o.out, err,
		sizeof err) != 0) {
		fprintf(stderr, "rotsim report: %s\n", err);
		goto done;
	}
	ret = write_report(o.out, &o, o.expected_failures ? &acc : NULL, argc - optind);
done:
	rep_accepts_free(&acc);
	return ret;
}
