/*
 * Reports: what a release manager and a nightly pipeline read from a finished
 * run (rotsim report).
 *
 * A results directory (written by rotsim run, or by rep_merge() from the
 * shards of one) is read back from its summary.json; every record is then
 * judged for sign-off:
 *   - a finding is a record whose observed outcome is not the expected one;
 *   - an accepted finding is a finding covered by an entry of an
 *     expected-failures file that has not expired;
 *   - the release passes when every Required expectation is met, accepted
 *     findings aside, no Required phase ended in a harness error, and no
 *     shard of a merged run is missing.
 * Against a baseline (the summary.json of a previous run), every record is
 * also marked new failure, fixed, still failing, unchanged or new.
 *
 * Errors are returned with a message in a caller-supplied buffer; nothing in
 * this module prints or exits.
 */
#ifndef ROTSIM_REPORT_H
#define ROTSIM_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "common/util.h"
#include "evidence/evidence.h"

/* ---- Expected failures ---- */

/*
 * The expected-failures file uses the section syntax of common/cfg.h:
 *
 *   [accept NAME]
 *   scenario = le-r3-to-r10          required
 *   device   = pin-r3                optional: any device when absent or "*"
 *   target   = native                optional: any target
 *   phase    = after                 optional: any phase
 *   reason   = why the team accepts it (required, shown in reports)
 *   expires  = 2027-01-01            required: applies before this date only
 *
 * An entry covers the failed records it matches. From its expiry date on it
 * no longer applies: the findings it covered count again and the entry is
 * flagged as expired in the report.
 */
typedef struct {
	char *name;
	char *scenario, *device, *target, *phase;	/* NULL: any */
	char *reason;
	char expires[11];				/* YYYY-MM-DD */
	int64_t expires_at;				/* seconds since the epoch */
	int line;
	int expired;					/* expires_at <= today */
	size_t matched;					/* failed records it matched */
} rep_accept;

typedef struct {
	char *path;
	rep_accept *v;
	size_t n;
} rep_accepts;

/*
 * Parse an expected-failures file held in text (len bytes) read from path.
 * today (seconds since the epoch) decides which entries have expired.
 * Returns 0 with a filled list (release with rep_accepts_free()), or -1 with
 * "PATH:LINE: message" in err and an empty list.
 */
int rep_accepts_parse(rep_accepts *a, const char *path, const char *text, size_t len,
	int64_t today, char *err, size_t errlen);
/* Read the file at path and parse it. */
int rep_accepts_load(rep_accepts *a, const char *path, int64_t today, char *err, size_t errlen);
/* NULL-safe. */
void rep_accepts_free(rep_accepts *a);

/*
 * The first entry that matches the record's scenario, device, target and
 * phase and is (expired != 0) or is not (expired == 0) expired; NULL if none.
 */
rep_accept *rep_accepts_match(const rep_accepts *a, const char *scn, const char *device,
	const char *target, const char *phase, int expired);

/* ---- Baseline ---- */

typedef enum {
	REP_CHANGE_NONE,		/* no baseline given */
	REP_CHANGE_NEW_FAILURE,		/* failing now, passing or absent before */
	REP_CHANGE_FIXED,		/* passing now, failing before */
	REP_CHANGE_STILL_FAILING,	/* failing now and before */
	REP_CHANGE_UNCHANGED,		/* passing now and before */
	REP_CHANGE_NEW,			/* passing now, absent before */
	REP_CHANGE_COUNT
} rep_change;

/* The change of one record: in_baseline says whether the baseline has the
 * same scenario, device, target and phase; the failed flags count harness
 * errors as failures. */
rep_change rep_change_classify(int have_baseline, int in_baseline, int failed_before,
	int failed_now);
/* "new failure", "fixed", "still failing", "unchanged", "new", "" */
const char *rep_change_name(rep_change c);

/* ---- Escaping ---- */

/* Text for HTML element content and quoted attribute values: & < > " ' are
 * written as entities, control characters but tab and newline are dropped. */
void rep_html_escape(buf_t *b, const char *s);
/* Text for a Markdown table cell: characters that Markdown or HTML would
 * interpret are backslash-escaped or written as entities; newlines become
 * spaces. */
void rep_md_escape(buf_t *b, const char *s);

/* ---- A run, judged ---- */

typedef enum {
	REP_OK,			/* outcome as expected */
	REP_FINDING,		/* outcome not as expected, not accepted */
	REP_ACCEPTED,		/* a finding covered by an unexpired acceptance */
	REP_ERROR,		/* the harness or the target failed, or interrupted */
	REP_OFF,		/* a power-off phase: nothing to judge */
	REP_STATUS_COUNT
} rep_status;

const char *rep_status_name(rep_status s);

/* One summary.json record, as the report reads it; the strings point into
 * the run's ev_summary (harness/evidence). */
typedef struct {
	const ev_record *rec;		/* the record itself */
	const char *scenario, *device, *target, *phase, *date, *reason, *why, *evidence,
		*chain, *alert, *device_error, *reference;
	scn_outcome expected, observed;
	int pass;			/* observed as expected */
	int required;
	rep_status status;
	rep_change change;
	const rep_accept *accept;	/* the acceptance covering it, or NULL */
	const rep_accept *expired;	/* an expired acceptance that would cover it */
	size_t ncase;			/* index of its case */
} rep_rec;

/* The consecutive records of one scenario x device x target. */
typedef struct {
	size_t first, n;
	rep_status status;		/* the worst of its records */
	rep_change change;		/* the most notable change of its records */
} rep_case;

typedef struct {
	char *dir;			/* the results directory */
	ev_summary sum;			/* its summary.json */
	const json *doc;		/* sum.doc: the meta members */
	rep_rec *recs;
	size_t n;
	rep_case *cases;
	size_t ncases;
	/* Judgement. */
	int release_pass;
	size_t required_total, required_met, required_failed, required_errors;
	size_t recommended_total, recommended_failed;
	size_t accepted, errors, findings;
	size_t shards_missing;		/* from the merge metadata */
	/* Baseline. */
	int have_baseline;
	char *baseline_path;
	size_t changes[REP_CHANGE_COUNT];
	char **removed;			/* baseline records absent now */
	size_t nremoved;
} rep_run;

/*
 * Read the results in dir (its summary.json). Returns 0 (release with
 * rep_run_free()), or -1 with err.
 */
int rep_run_load(rep_run *r, const char *dir, char *err, size_t errlen);
void rep_run_free(rep_run *r);

/*
 * Judge the run: each record's status under the acceptances (may be NULL),
 * each record's change against the baseline (a results directory or a
 * summary.json; NULL for none), and the release verdict. Marks the
 * acceptances' matched counts. Returns 0, or -1 with err when the baseline
 * cannot be read.
 */
int rep_run_judge(rep_run *r, rep_accepts *acc, const char *baseline, char *err,
	size_t errlen);

/* ---- Writing ---- */

/*
 * What is under test, as the person who signs the report names it (rotsim
 * report --product NAME --firmware-version V; rotsim run passes its own on).
 * The report's header and its sign-off block show both; NULL or "" is shown
 * as "not given".
 */
typedef struct {
	const char *product;		/* "Acme Gateway GW-200" */
	const char *firmware_version;	/* "4.1.0-rc2" */
} rep_subject;

/* Facts gathered at report time, shown in the report's header. */
typedef struct {
	rep_subject subject;		/* the product and firmware under test */
	const char *generated;		/* "2026-11-27T10:00:00Z" */
	const char *rotsim_version;	/* the rotsim that writes the report */
	const char *qemu_version;	/* "QEMU emulator version 7.2.x", or NULL */
	const char *baseline;		/* as given, or NULL */
	const char *expected_failures;	/* as given, or NULL */
	/* Files whose hashes the report lists: label, size and SHA-256 hex. */
	const char **hash_label;
	const char **hash_hex;
	const uint64_t *hash_size;
	size_t nhash;
	/* From the report's directory to the results' directory ("" when they
	 * are the same), so that evidence links work. */
	const char *evidence_prefix;
} rep_facts;

/*
 * The report as one self-contained HTML page: no script, no external
 * resource; every text from the results is escaped. Appends to out.
 * acc may be NULL.
 */
void rep_html(const rep_run *r, const rep_accepts *acc, const rep_facts *f, buf_t *out);
/* A short Markdown summary for a pull-request comment. */
void rep_markdown(const rep_run *r, const rep_accepts *acc, const rep_facts *f, buf_t *out);
/* report.json: the release verdict and each record's status and change. */
void rep_json(const rep_run *r, const rep_accepts *acc, const rep_facts *f, buf_t *out);

/* ---- The report of a results directory, as one call ---- */

/* What rotsim report takes besides the results directory. Zero it, then set
 * what is given: every NULL member means "not given". */
typedef struct {
	const char *out;		/* write there; NULL: into the results */
	const char *baseline;		/* --baseline, or NULL */
	const char *expected_failures;	/* --expected-failures, or NULL */
	const char *build;		/* --build; NULL: $ROTSIM_BUILD or beside rotsim */
	rep_subject subject;		/* --product, --firmware-version */
	int quiet;			/* nothing on stdout */
} rep_options;

/*
 * Write report.html, report.md and report.json of the run in dir, as
 * "rotsim report DIR" does with the options o (NULL: none): the verb's
 * summary on stdout unless o->quiet, its errors on stderr. Unlike the rest of
 * this module it prints, because it is the verb's own body; rotsim run calls
 * it for the report of its run. Returns the verb's exit status: 0 the
 * release passes, 1 it does not, 2 a usage or I/O error (nothing written).
 * Defined beside the verb, in verb_report.c.
 */
int rep_report_dir(const char *dir, const rep_options *o);

/* ---- Merging shards ---- */

/*
 * Merge the results of the shards of one run (each from rotsim run --shard
 * K/N) into out: the evidence of every case is hard-linked (or copied when a
 * link is impossible) to the same relative place, and summary.json,
 * junit.xml and summary.txt are written with the records in the order of the
 * unsharded run: by (case_index, phase_index) when every record has them,
 * else case by case from each shard in turn (the runner's modulo rule). The meta object of summary.json names the shards and any
 * that are missing. Returns 0, or -1 with err (two shards with the same K,
 * shards of different N or seeds, an unreadable shard).
 */
int rep_merge(const char *const *dirs, size_t ndirs, const char *out, char *err,
	size_t errlen);

#endif
