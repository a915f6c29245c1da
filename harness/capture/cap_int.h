/*
 * Internals of the capture module shared by its files and its tests and
 * fuzz targets: the per-direction TLS stream parser, fed by TCP reassembly.
 */
#ifndef ROTSIM_CAP_INT_H
#define ROTSIM_CAP_INT_H

#include "capture/capture.h"

/* The largest TLS record body: 2^14 plus the most expansion RFC 5246 allows. */
#define CAP_TLS_MAX_RECORD (16384 + 2048)

/* The TLS parser state of one direction of a flow. */
typedef struct {
	int dead;			/* not TLS, or a record-layer error: stop */
	int started;			/* the first record header was accepted */
	int encrypted;			/* after CCS (or a TLS 1.3 ServerHello) */
	unsigned char hdr[5];		/* the record header being read */
	size_t hdr_have;
	int rtype;			/* content type of the current record */
	size_t rlen;			/* its body length */
	size_t body_left;		/* body bytes not yet read */
	buf_t hs;			/* handshake bytes not yet parsed */
	int hs_overflow;		/* a handshake message over the limit */
	unsigned char alert[2];		/* a clear alert split across records */
	size_t alert_have;
	uint64_t rec_body;		/* body bytes of the current alert/CCS record */
	unsigned char small[2];		/* the first bytes of such a record */
} cap_tls_half;

/* One flow under analysis: the public flow plus the parsers' state. */
typedef struct {
	cap_flow *f;
	cap_tls_half t[2];
	size_t max_handshake;
	int tls13;			/* a TLS 1.3 ServerHello was seen */
} cap_tls_conn;

/* Start or end the TLS state of a flow (f is borrowed, not owned). */
void cap_tls_init(cap_tls_conn *c, cap_flow *f, size_t max_handshake);
void cap_tls_clear(cap_tls_conn *c);

/* Feed len in-order stream bytes of direction dir, received at ts. */
void cap_tls_feed(cap_tls_conn *c, int dir, const unsigned char *data, size_t len,
	cap_time ts);

/* bytes of direction dir are missing from the capture: the record layer of
 * that direction cannot be followed any more. */
void cap_tls_gap(cap_tls_conn *c, int dir, uint64_t bytes, cap_time ts);

/* Append an event to a flow and return it, zeroed but for ts, type and dir. */
cap_event *cap_flow_event(cap_flow *f, cap_time ts, cap_ev_type type, int dir);

/* Release what a flow holds (not f itself). */
void cap_flow_free(cap_flow *f);

/* Release a hello's lists. */
void cap_hello_free(cap_hello *h);

/*
 * Parse one certificate (DER) into c: SHA-256 and the subject and issuer
 * common names when they are plain strings. Never fails: a certificate that
 * does not parse keeps its fingerprint and has no names.
 */
void cap_cert_parse(cap_cert *c, const unsigned char *der, size_t len);

/* A DLT_ value's name ("EN10MB"), or NULL. */
const char *cap_linktype_name(int dlt);

#endif
