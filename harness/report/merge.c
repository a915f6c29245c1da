/*
 * Merging the result folders of the shards of one run. See report.h.
 *
 * Every record carries the index of its case in the unsharded plan and of its
 * phase in its scenario; sorting by them rebuilds the unsharded run's order,
 * and the records are written again by the one writer of results files
 * (ev_results_write) so that the merged summary.json and junit.xml have the
 * unsharded run's form.
 */
#include "report/report.h"
#include "version.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
	const char *dir;
	rep_run run;
	int k, n;
	size_t next;		/* next case to take */
} shard;

static int
skip_by_index(const void *pa, const void *pb)
{
	const ev_skip *a = pa, *b = pb;

	return a->case_index < b->case_index ? -1 : a->case_index > b->case_index;
}

static const char *
meta_str(const rep_run *r, const char *key)
{
	const char *s = json_get_str(r->doc, key);
	return s ? s : "";
}

/* Records in the order of the plan: by case index, then phase index. */
static int
by_index(const void *pa, const void *pb)
{
	const ev_record *a = pa, *b = pb;

	if (a->case_index != b->case_index)
		return a->case_index < b->case_index ? -1 : 1;
	if (a->phase_index != b->phase_index)
		return a->phase_index < b->phase_index ? -1 : 1;
	return 0;
}

static void
add_record(ev_record **res, size_t *n, const ev_record *r)
{
	*res = xrealloc(*res, (*n + 1) * sizeof **res);
	(*res)[(*n)++] = *r;
}

/* The records of every shard in the order of the unsharded run. With the
 * plan's indexes in every record that order is theirs. Without them (a run of
 * an older rotsim), the runner's rule rebuilds it: case index c is in shard
 * c % n + 1, so one case from each shard in turn, shard 1 first; a missing
 * shard's cases are skipped. */
static void
merge_order(shard *sh, size_t ndirs, int n, ev_record **res, size_t *nres)
{
	size_t i, j;
	int indexed = 1;

	for (i = 0; i < ndirs; i++)
		for (j = 0; j < sh[i].run.sum.n; j++)
			indexed &= sh[i].run.sum.recs[j].case_index >= 0
				&& sh[i].run.sum.recs[j].phase_index >= 0;
	if (indexed) {
		for (i = 0; i < ndirs; i++)
			for (j = 0; j < sh[i].run.sum.n; j++)
				add_record(res, nres, &sh[i].run.sum.recs[j]);
		if (*nres > 1)
			qsort(*res, *nres, sizeof **res, by_index);
		return;
	}
	for (size_t c = 0;; c++) {
		int k = (int)(c % (size_t)n) + 1, left = 0;
		for (i = 0; i < ndirs; i++)
			left |= sh[i].next < sh[i].run.ncases;
		if (!left)
			break;
		for (i = 0; i < ndirs && sh[i].k != k; i++)
			;
		if (i == ndirs || sh[i].next >= sh[i].run.ncases)
			continue;
		const rep_case *rc = &sh[i].run.cases[sh[i].next++];
		for (j = rc->first; j < rc->first + rc->n; j++)
			add_record(res, nres, sh[i].run.recs[j].rec);
	}
}

/* see report.h */
int
rep_merge(const char *const *dirs, size_t ndirs, const char *out, char *err, size_t errlen)
{
	shard *sh = NULL;
	size_t i, j, nres = 0, total_cases = 0, missing = 0;
	ev_record *res = NULL;
	buf_t meta = {0};
	int ret = -1, n = 0, interrupted = 0;
	ev_skip *skips = NULL;
	size_t nskips = 0;
	const char *finished = "";
	static const char *const shared[] = { "pki", "firmware", "cases" };

	if (ndirs == 0)
		return util_err(err, errlen, "no shard to merge");
	sh = xcalloc(ndirs, sizeof *sh);
	for (i = 0; i < ndirs; i++) {
		const char *s;
		sh[i].dir = dirs[i];
		if (rep_run_load(&sh[i].run, dirs[i], err, errlen) != 0)
			goto out;
		s = meta_str(&sh[i].run, "shard");
		if (sscanf(s, "%d/%d", &sh[i].k, &sh[i].n) != 2 || sh[i].n < 1 || sh[i].k < 1
			|| sh[i].k > sh[i].n) {
			util_err(err, errlen, "%s/summary.json: no shard K/N in its meta (\"%s\"): not "
				"the result of rotsim run", dirs[i], s);
			goto out;
		}
		if (i == 0)
			n = sh[i].n;
		if (sh[i].n != n) {
			util_err(err, errlen, "%s is shard %d/%d but %s is shard %d/%d: not one run",
				dirs[i], sh[i].k, sh[i].n, dirs[0], sh[0].k, sh[0].n);
			goto out;
		}
		if (strcmp(meta_str(&sh[i].run, "seed"), meta_str(&sh[0].run, "seed")) != 0) {
			util_err(err, errlen, "%s has seed \"%s\" but %s has \"%s\": not one run",
				dirs[i], meta_str(&sh[i].run, "seed"), dirs[0],
				meta_str(&sh[0].run, "seed"));
			goto out;
		}
		for (j = 0; j < i; j++)
			if (sh[j].k == sh[i].k) {
				util_err(err, errlen, "%s and %s are both shard %d/%d", dirs[j], dirs[i],
					sh[i].k, n);
				goto out;
			}
		const json *b = json_get(sh[i].run.doc, "interrupted");
		interrupted |= b != NULL && b->type == JSON_TRUE;
		if (strcmp(meta_str(&sh[i].run, "finished"), finished) > 0)
			finished = meta_str(&sh[i].run, "finished");
		total_cases += sh[i].run.ncases;
	}
	/* Shards in K order, for the meta object and messages. */
	for (i = 1; i < ndirs; i++)
		for (j = i; j > 0 && sh[j - 1].k > sh[j].k; j--) {
			shard t = sh[j];
			sh[j] = sh[j - 1];
			sh[j - 1] = t;
		}
	missing = (size_t)n - ndirs;
	if (util_mkdirs(out, 0755, err, errlen) != 0)
		goto out;
	for (i = 0; i < ndirs; i++)
		for (j = 0; j < sizeof shared / sizeof shared[0]; j++) {
			char *a = xasprintf("%s/%s", sh[i].dir, shared[j]);
			char *b = xasprintf("%s/%s", out, shared[j]);
			/* The PKI and firmware folders are the same in every shard
			 * of a run: the first shard's are kept. */
			int r = util_copy_tree(a, b, UTIL_COPY_LINK | UTIL_COPY_KEEP, err, errlen);
			free(a);
			free(b);
			if (r != 0)
				goto out;
		}

	merge_order(sh, ndirs, n, &res, &nres);

	buf_puts(&meta, "\"rotsim\":");
	json_put_str(&meta, meta_str(&sh[0].run, "rotsim"));
	buf_puts(&meta, ",\"finished\":");
	json_put_str(&meta, finished);
	buf_puts(&meta, ",\"seed\":");
	json_put_str(&meta, meta_str(&sh[0].run, "seed"));
	buf_printf(&meta, ",\"cases\":%zu,\"shard\":\"merged\",\"interrupted\":%s,"
		"\"merged_by\":\"%s\",\"shards_total\":%d,\"shards_missing\":%zu,\"shards\":[",
		total_cases, interrupted ? "true" : "false", rotsim_version, n, missing);
	for (i = 0; i < ndirs; i++) {
		buf_printf(&meta, "%s{\"shard\":\"%d/%d\",\"dir\":", i ? "," : "", sh[i].k, n);
		json_put_str(&meta, sh[i].dir);
		buf_puts(&meta, ",\"finished\":");
		json_put_str(&meta, meta_str(&sh[i].run, "finished"));
		buf_printf(&meta, ",\"cases\":%zu}", sh[i].run.ncases);
	}
	buf_puts(&meta, "]");
	/* The cases the shards skipped, in the order of the plan. */
	for (i = 0; i < ndirs; i++) {
		const json *sk = json_get(sh[i].run.doc, "skipped");
		for (j = 0; sk != NULL && sk->type == JSON_ARRAY && j < sk->n; j++) {
			const json *e = sk->items[j];
			int64_t idx = -1;
			if (json_get_str(e, "scenario") == NULL || json_get_str(e, "device") == NULL
				|| json_get_str(e, "target") == NULL)
				continue;
			json_get_int(e, "case_index", &idx);
			skips = xrealloc(skips, (nskips + 1) * sizeof *skips);
			skips[nskips].scenario = json_get_str(e, "scenario");
			skips[nskips].device = json_get_str(e, "device");
			skips[nskips].target = json_get_str(e, "target");
			skips[nskips].reason = json_get_str(e, "reason") ? json_get_str(e, "reason") : "";
			skips[nskips++].case_index = (long)idx;
		}
	}
	qsort(skips, nskips, sizeof *skips, skip_by_index);
	if (ev_results_write(out, res, nres, skips, nskips, buf_cstr(&meta), err, errlen) != 0)
		goto out;
	ret = 0;
out:
	free(skips);
	for (i = 0; i < ndirs && sh != NULL; i++)
		rep_run_free(&sh[i].run);
	free(sh);
	free(res);
	buf_free(&meta);
	return ret;
}
