/*
 * What the writers of report.html and report.md share, inside harness/report.
 * Nothing outside harness/report includes this header.
 */
#ifndef ROTSIM_REPORT_INT_H
#define ROTSIM_REPORT_INT_H

#include <stdint.h>

#include "report/report.h"

/* html_parts.c: text for HTML (rep_html_escape). */
void rh_esc(buf_t *b, const char *s);
/* A relative link: prefix, then path with every byte outside a safe set
 * percent-encoded. */
void rh_put_href(buf_t *b, const char *prefix, const char *path);
/* CSS class and label of a status or change. */
const char *rh_status_class(rep_status s);
const char *rh_status_label(rep_status s);
const char *rh_change_class(rep_change c);
/* A meta member of the run's summary.json as text ("" when absent). */
const char *rh_meta(const rep_run *r, const char *key);
/* Why the phase's outcome is expected (allocated; "" when not said). */
char *rh_phase_why(const rep_run *r, const rep_rec *x);
/* Is the evidence file there (DIR/EVIDENCE/file)? */
int rh_evidence_exists(const rep_run *r, const rep_rec *x, const char *file);
/* The day of a date, escaped. */
void rh_put_day(buf_t *b, const char *date);
/* The record's date in seconds since the epoch, 0 when unknown. */
int64_t rh_rec_time(const rep_rec *x);
/* A badge, a status badge, and "scenario device@target phase" of a record. */
void rh_badge(buf_t *b, const char *cls, const char *text);
void rh_status_badge(buf_t *b, rep_status s);
void rh_rec_name(buf_t *b, const rep_rec *x);

/*
 * How a record or a case is shown. It is its status, except that a finding
 * splits in two: one in a Required expectation blocks the release (shown
 * "FAIL", release blocker), one in Recommended expectations only does not
 * (shown "MISS", Recommended). The two differ in colour, border, word and
 * marker, so that they stay apart on paper in black and white too.
 */
typedef enum {
	RH_PASS, RH_BLOCKER, RH_MISS, RH_ACCEPTED, RH_ERROR, RH_OFF, RH_KIND_COUNT
} rh_kind;

rh_kind rh_rec_kind(const rep_rec *x);
rh_kind rh_case_kind(const rep_run *r, const rep_case *c);
/* CSS class ("ok", "fail", "rec", "acc", "err", "off"), label ("PASS",
 * "FAIL", "MISS", ...) and what it means for the release ("release blocker",
 * "Recommended, not a blocker", or ""). */
const char *rh_kind_class(rh_kind k);
const char *rh_kind_label(rh_kind k);
const char *rh_kind_note(rh_kind k);
/* A badge: the label, and the note when there is one. */
void rh_kind_badge(buf_t *b, rh_kind k);
/* A wall time in milliseconds for a person: "0.8 s", "12.4 s", "3 min 05 s". */
void rh_put_duration(buf_t *b, long long ms);
/* The case's wall time (its phases' durations summed); -1 when the run
 * recorded none. */
long long rh_case_ms(const rep_run *r, const rep_case *c);
/* The TLS stack of a device profile name "DEV@STACK" (STACK), "bearssl" for
 * a name without '@'; and the length of its DEV part. */
const char *rh_device_stack(const char *device);
size_t rh_device_base_len(const char *device);

/* html_case.c: the section of case ci (timeline, phases, evidence links). */
void rh_put_case(buf_t *b, const rep_run *r, size_t ci, const rep_facts *f);

#endif
