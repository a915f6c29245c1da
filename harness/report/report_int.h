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

/* html_case.c: the section of case ci (timeline, phases, evidence links). */
void rh_put_case(buf_t *b, const rep_run *r, size_t ci, const rep_facts *f);

#endif
