/*
 * Merging the result folders of the shards of one run. See report.h.
 *
 * rotsim run numbers its cases (scenario x device x target, in a fixed order)
 * and shard K of N takes the cases whose index i has i % N == K - 1, in
 * order. Taking one case from each shard in turn, shard 1 first, therefore
 * rebuilds the order of the unsharded run, and the records are written again
 * by the runner's own writer (run_write_results) so that the merged
 * summary.json and junit.xml have the unsharded run's form.
 */
#include "report/report.h"
#include "run/runner.h"
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

/* Link (or copy) one file; an existing destination is kept: the PKI and
 * firmware folders are the same in every shard of a run. */
static int
link_file(const char *from, const char *to, mode_t mode, char *err, size_t errlen)
{
	unsigned char *data;
	size_t len;
	int r;

	if (access(to, F_OK) == 0)
		return 0;
	if (link(from, to) == 0)
		return 0;
	if (util_read_file(from, &data, &len, err, errlen) != 0)
		return -1;
	r = util_write_atomic(to, data, len, mode & 0777, err, errlen);
	free(data);
	return r;
}

/* Link the tree under from into to, directory by directory. */
static int
link_tree(const char *from, const char *to, char *err, size_t errlen)
{
	DIR *d;
	struct dirent *de;
	int ret = 0;

	if ((d = opendir(from)) == NULL)
		return errno == ENOENT ? 0 : util_err(err, errlen, "%s: %s", from, strerror(errno));
	if (util_mkdirs(to, 0755, err, errlen) != 0) {
		closedir(d);
		return -1;
	}
	while (ret == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		char *a, *b;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		a = xasprintf("%s/%s", from, de->d_name);
		b = xasprintf("%s/%s", to, de->d_name);
		if (lstat(a, &st) != 0)
			ret = util_err(err, errlen, "%s: %s", a, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			ret = link_tree(a, b, err, errlen);
		else if (S_ISREG(st.st_mode))
			ret = link_file(a, b, st.st_mode, err, errlen);
		/* Sockets, fifos and symbolic links are not evidence. */
		free(a);
		free(b);
	}
	closedir(d);
	return ret;
}

static const char *
meta_str(const rep_run *r, const char *key)
{
	const char *s = json_get_str(r->doc, key);
	return s ? s : "";
}

/* A summary.json record back into the verdict the runner wrote it from. */
static void
record_to_verdict(const json *j, verdict_result *v)
{
	int64_t n;
	const json *b;
	int o;

	memset(v, 0, sizeof *v);
#define S(field, key) snprintf(v->field, sizeof v->field, "%s", \
	json_get_str(j, key) ? json_get_str(j, key) : "")
	S(scenario, "scenario");
	S(device, "device");
	S(target, "target");
	S(phase, "phase");
	S(date, "date");
	S(reason, "reason");
	S(alert, "alert");
	S(device_error, "device_error");
	S(chain_text, "chain");
	S(reference, "reference");
#undef S
	o = scn_outcome_from_name(json_get_str(j, "observed") ? json_get_str(j, "observed") : "");
	v->observed = o < 0 ? OUT_ERROR : (scn_outcome)o;
	o = scn_outcome_from_name(json_get_str(j, "expected") ? json_get_str(j, "expected") : "");
	v->expected = o < 0 ? OUT_OFF : (scn_outcome)o;
	v->required = json_get_str(j, "tier") == NULL
		|| strcmp(json_get_str(j, "tier"), "recommended") != 0;
	v->pass = json_get_str(j, "verdict") != NULL && strcmp(json_get_str(j, "verdict"), "pass")
		== 0;
#define I(field, key) v->field = json_get_int(j, key, &n) == 0 ? n : 0
	I(handshakes_ok, "handshakes_ok");
	I(handshakes_failed, "handshakes_failed");
	I(image_bytes_sent, "image_bytes_sent");
	I(wire_app_bytes, "wire_app_bytes");
	I(capture_handshakes, "capture_handshakes");
	I(offered_version, "offered_version");
	I(version_before, "version_before");
#undef I
	v->reported_version = json_get_int(j, "reported_version", &n) == 0 ? n : -1;
	b = json_get(j, "capture_ok");
	v->capture_ok = b != NULL && b->type == JSON_TRUE;
}

/* see report.h */
int
rep_merge(const char *const *dirs, size_t ndirs, const char *out, char *err, size_t errlen)
{
	shard *sh = NULL;
	size_t i, j, nres = 0, total_cases = 0, missing = 0;
	verdict_result *res = NULL;
	char **ev = NULL;
	buf_t meta = {0};
	int ret = -1, n = 0, interrupted = 0;
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
			int r = link_tree(a, b, err, errlen);
			free(a);
			free(b);
			if (r != 0)
				goto out;
		}

	/* Case by case in the order of the unsharded run: case index c is in
	 * shard c % n + 1. A missing shard's cases are skipped. */
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
		const json *recs = json_get(sh[i].run.doc, "records");
		for (j = rc->first; j < rc->first + rc->n; j++) {
			res = xrealloc(res, (nres + 1) * sizeof *res);
			ev = xrealloc(ev, (nres + 1) * sizeof *ev);
			record_to_verdict(recs->items[j], &res[nres]);
			ev[nres] = xstrdup(sh[i].run.recs[j].evidence);
			nres++;
		}
	}

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
	if (run_write_results(out, res, ev, nres, buf_cstr(&meta), err, errlen) != 0)
		goto out;
	ret = 0;
out:
	for (i = 0; i < ndirs && sh != NULL; i++)
		rep_run_free(&sh[i].run);
	free(sh);
	for (i = 0; i < nres; i++)
		free(ev[i]);
	free(ev);
	free(res);
	buf_free(&meta);
	return ret;
}
