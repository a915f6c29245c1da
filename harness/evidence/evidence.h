/*
 * Evidence: the files a phase leaves behind, and the records a run writes
 * about them. This module is their only reader and writer.
 *
 * A results directory holds summary.json (one record per phase, below),
 * junit.xml and summary.txt, and per phase a directory
 * cases/SCENARIO/DEVICE@TARGET/NN-PHASE holding:
 *   phase.json          the plan of the phase (ev_plan)
 *   run.json            what the runner saw (ev_run)
 *   server-events.jsonl the update server's events, one JSON object a line
 *   console.log         the device's console, every boot of the phase
 *   capture.pcap        every packet of the device (native), or
 *   capture-N.pcap      one capture per boot (QEMU)
 * and, where phase.json's "pki" points (relative to the phase directory),
 * the case's certificates (NAME.crt.der) and anchors (anchors/SET.pem,
 * anchors/SET.pins).
 *
 * evidence_load() reads all of that into one value; the verdict decides from
 * that value alone (verdict_decide() in verdict/verdict.h does no I/O).
 *
 * Writers never leave a half-written file (util_write_atomic) and report
 * every failure. Errors are "PATH: what" in a caller-supplied buffer; nothing
 * here prints or exits.
 */
#ifndef ROTSIM_EVIDENCE_H
#define ROTSIM_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "common/json.h"
#include "common/util.h"
#include "scenario/scenario.h"

/*
 * Write a file of the results: under a temporary name, renamed into place, so
 * that no reader ever sees it half-written (util_write_atomic), and, with
 * EV_SYNC, flushed to the disk before the rename.
 *
 * What is flushed: each phase's run.json, the last record a phase writes
 * (ev_run_write), and the run's summary.json, junit.xml and summary.txt
 * (ev_results_write). The phase's other files (phase.json, protocol.json,
 * the device's boot command lines, its configuration) are written
 * EV_NOSYNC: a crash of the harness leaves them whole in the page cache, and
 * a crash of the machine could never find a phase's evidence complete from
 * its records alone (the capture, the console and the server's events are
 * written as they come, unsynced); one flush per phase costs little, one per
 * file cost a third of a phase's wall time.
 */
enum { EV_NOSYNC = 0, EV_SYNC = 1 };
int ev_write_file(const char *path, const void *data, size_t len, int sync, char *err,
	size_t errlen);

/* ---- phase.json: the plan of a phase ---- */

typedef struct {
	char *scenario, *device, *target, *phase;
	char *tls;			/* the device's TLS stack id (scenario/stack.h):
					 * "bearssl" when phase.json names none */
	char *date;			/* "2024-07-01T00:00:00Z" */
	int power_on;			/* 0: a power-off phase */
	scn_outcome expected;		/* OUT_ERROR when phase.json names none */
	int required;			/* a Required expectation (else Recommended) */
	char *why;			/* why it is expected, or NULL */
	long offered_version, version_before, image_size;	/* -1 when absent */
	int server_port;		/* where the device meets the server, -1 */
	char *server_name;		/* the name the device asks for */
	char *leaf, *variant;		/* the server's leaf and chain variant, or NULL */
	char **faults;
	size_t nfaults;
	char *pki;			/* the case's PKI: relative to the phase dir */
	char *trust;			/* "factory" or the anchor set a bundle installed */
	char **anchors;			/* the reference check's anchor sets */
	size_t nanchors;
	char *pins;			/* the reference check's pin set, or NULL */
	long case_index, phase_index;	/* in the unsharded plan; -1 when unknown */
} ev_plan;

/* Parse phase.json text; name is used in messages. Returns 0 (release with
 * ev_plan_free()), or -1 with "NAME: what" in err and *p empty. */
int ev_plan_parse(ev_plan *p, const char *name, const char *text, size_t len, char *err,
	size_t errlen);
/* Read DIR/phase.json. */
int ev_plan_read(ev_plan *p, const char *dir, char *err, size_t errlen);
/* Write DIR/phase.json. 0, or -1 with err (nothing half-written). */
int ev_plan_write(const ev_plan *p, const char *dir, char *err, size_t errlen);
void ev_plan_json(const ev_plan *p, buf_t *out);
/* NULL-safe; zeroes *p. */
void ev_plan_free(ev_plan *p);

/* ---- run.json: what the runner saw ---- */

typedef struct {
	int boots;
	char **exits;			/* per boot: "exit 0", "signal 9", "killed" */
	size_t nexits;
	char *error;			/* an infrastructure error, or NULL */
	char *capture_error;		/* the capture failed (why), or NULL */
	int interrupted;
	long long duration_ms;
} ev_run;

int ev_run_parse(ev_run *r, const char *name, const char *text, size_t len, char *err,
	size_t errlen);
int ev_run_read(ev_run *r, const char *dir, char *err, size_t errlen);
int ev_run_write(const ev_run *r, const char *dir, char *err, size_t errlen);
void ev_run_free(ev_run *r);

/* ---- server-events.jsonl ---- */

typedef enum {
	EV_SRV_OTHER, EV_SRV_HANDSHAKE, EV_SRV_REQUEST, EV_SRV_CLOSE
} ev_srv_type;

typedef struct {
	ev_srv_type type;
	long conn;			/* the server's connection number, -1 */
	/* EV_SRV_HANDSHAKE */
	int ok;				/* result "ok" */
	char **chain;			/* SHA-256 hex of each certificate presented */
	size_t nchain;
	char *alert_from, *alert_name, *reason;	/* a failed handshake, or NULL */
	/* EV_SRV_REQUEST */
	char *method, *path;
	long status;
	uint64_t bytes;			/* body bytes sent */
	char *report;			/* a check-in's body, or NULL */
} ev_srv_event;

/* Parse the events text: lines that are not JSON objects are counted in
 * *bad (a server killed mid-write leaves half a line), never fatal. */
void ev_events_parse(ev_srv_event **ev, size_t *n, size_t *bad, const char *text,
	size_t len);
void ev_events_free(ev_srv_event *ev, size_t n);

/* ---- Everything a phase left ---- */

/* A certificate of the case's PKI, known by the SHA-256 of its DER. */
typedef struct {
	char *id;			/* file name without .crt.der */
	unsigned char sha[32];
	unsigned char *der;
	size_t len;
} ev_cert;

/* A file's name and contents. */
typedef struct {
	char *name;
	unsigned char *data;
	size_t len;
} ev_blob;

/* One capture file. */
typedef struct {
	char *name;			/* "capture.pcap", "capture-0.pcap" */
	int ok;				/* it was read: rep holds it */
	char *error;			/* why not, when !ok */
	cap_report rep;
} ev_capture;

typedef struct {
	char *dir;
	ev_plan plan;
	int have_run;			/* run.json was read */
	ev_run run;
	char *run_problem;		/* why run.json could not be read, or NULL */
	ev_srv_event *events;
	size_t nevents, bad_events;
	int have_events;		/* server-events.jsonl was read */
	char *console;			/* console.log, NUL-terminated, or NULL */
	size_t console_len;
	ev_capture *caps;		/* every capture file of the phase */
	size_t ncaps;
	ev_cert *certs;			/* the case's certificates */
	size_t ncerts;
	ev_blob *anchors;		/* the plan's anchor sets (PEM) */
	size_t nanchors;
	ev_blob pins;			/* the plan's pin set, data NULL when none */
	char *trust_problem;		/* an anchor or pin file unreadable, or NULL */
} evidence;

/* The capture files a phase may hold, tried in this order. */
#define EV_MAX_CAPTURES 16

/*
 * Read every evidence file of the phase directory dir into *ev. Only a
 * missing or unreadable phase.json is a failure (-1 with err): what else is
 * missing or broken is recorded in *ev for the verdict to weigh. Release with
 * evidence_free() (also after a failure).
 */
int evidence_load(const char *dir, evidence *ev, char *err, size_t errlen);
void evidence_free(evidence *ev);

/* The certificate whose SHA-256 is hex, or NULL. */
const ev_cert *evidence_cert(const evidence *ev, const char *hex);

/* ---- summary.json: one record per phase ---- */

/*
 * The texts are bounded; ev_set() writes them and marks a text that did not
 * fit with a trailing "[...]" rather than cutting it silently.
 */
typedef struct {
	char scenario[128], device[64], target[64], phase[64], date[32];
	char tls[48];			/* the device's TLS stack id; "" in a record
					 * built without it: then the stack its name
					 * says (DEVICE@STACKID, else bearssl) */
	char client[64];		/* the device's update client, as its
					 * description names it, or "" */
	long case_index, phase_index;	/* in the unsharded plan; -1 when unknown */
	scn_outcome observed, expected;
	int required;
	int pass;			/* observed == expected */
	char reason[1024];		/* in words a firmware engineer reads */
	char why[512];			/* why the outcome is expected, or "" */
	char evidence[512];		/* the phase directory, relative to the results */
	int handshakes_ok, handshakes_failed;
	char alert[48];			/* the first alert the device sent, or "" */
	char device_error[64];		/* the BearSSL error the console names, or "" */
	char chain_text[512];		/* "leaf-r10 <- r10" as presented */
	char reference[160];		/* "ok" or the error a correct validation gives */
	uint64_t image_bytes_sent;	/* server events: firmware body bytes */
	uint64_t wire_app_bytes;	/* capture: application data to the device */
	int capture_ok;			/* every capture could be read, whole */
	int capture_handshakes;		/* completed handshakes seen on the wire */
	long reported_version;		/* last check-in version, -1 if none */
	long offered_version, version_before;
	long long duration_ms;		/* the phase's wall time, from run.json */
} ev_record;

/* A case of the plan that was not run (a target that cannot carry what its
 * device needs), for the results. */
typedef struct {
	const char *scenario, *device, *target, *reason;
	long case_index;
} ev_skip;

/* The TLS stack id of a record: its tls, else the one its device's name
 * says. */
const char *ev_record_tls(const ev_record *r);

/* printf into a bounded text; returns 0, or -1 when it did not fit (it then
 * ends in "[...]"). */
int ev_set(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A record with everything unknown: indexes -1, reported_version -1. */
void ev_record_init(ev_record *r);
/* The record as one JSON object (no newline). */
void ev_record_json(const ev_record *r, buf_t *out);
/* A summary.json record back into *r; -1 when it lacks scenario, device or
 * phase. Records of an older rotsim without indexes get -1 there. */
int ev_record_from_json(const json *j, ev_record *r);
/* One line for a person: "s pin-r3 @ after (2024-07-01): rejected: ...;
 * expected rejected: PASS". */
void ev_record_line(const ev_record *r, buf_t *out);
/* An infrastructure error or an interruption (not a finding). */
int ev_record_is_error(const ev_record *r);

typedef struct {
	json *doc;			/* the whole document, for its meta members */
	ev_record *recs;
	size_t n;
} ev_summary;

/* Parse summary.json text. 0 (release with ev_summary_free()), or -1. */
int ev_summary_parse(ev_summary *s, const char *name, const char *text, size_t len,
	char *err, size_t errlen);
/* Read path: a results directory (its summary.json) or a summary.json. */
int ev_summary_read(ev_summary *s, const char *path, char *err, size_t errlen);
void ev_summary_free(ev_summary *s);

/*
 * Write dir/summary.json (meta: a JSON object's members without braces, may
 * be ""), dir/junit.xml and dir/summary.txt for recs[0..n). A failing or
 * erroneous phase's console (dir/EVIDENCE/console.log, its last lines) goes
 * into junit.xml's system-out. The skipped cases (may be none) are listed in
 * summary.json's "skipped", as <skipped> testcases and in summary.txt. A
 * Recommended expectation not met is a property and a note in junit.xml, not
 * a <failure>. Returns 0, or -1 with err.
 */
int ev_results_write(const char *dir, const ev_record *recs, size_t n, const ev_skip *skips,
	size_t nskips, const char *meta, char *err, size_t errlen);

/*
 * Text for XML 1.0 content or a quoted attribute: markup characters as
 * entities, ANSI escape sequences (ESC [ ... final byte) removed, other
 * characters XML 1.0 does not allow dropped, bytes that are not UTF-8 written
 * as U+FFFD.
 */
void ev_xml_escape(buf_t *b, const char *s, size_t len);

/* The same text cleaned for a person or a record: ANSI sequences removed,
 * control characters but tab and newline dropped, invalid UTF-8 as U+FFFD. */
void ev_clean_text(buf_t *b, const char *s, size_t len);

#endif
