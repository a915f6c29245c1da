/*
 * The reference validation: what a correct device with the given anchors (or
 * SPKI pins) decides about a chain at a date, for a server name. It is
 * BearSSL's br_x509_minimal, so the facts of EVENTS.md hold (anchors without
 * dates, the first anchor match ends the chain); the harness uses it to tell
 * "insecure" (the device accepted what this refuses) from an honest accept.
 * A chain refused as sent is tried again as the path linked by names (the
 * server's certificate first, then each issuer found among the rest, extras
 * left out), as TLS libraries that build their own path do: sending the
 * intermediates out of order or with an unrelated extra is an operator's
 * mistake, not something a device is insecure for accepting.
 */
#ifndef ROTSIM_REFCHECK_H
#define ROTSIM_REFCHECK_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	const unsigned char *der;
	size_t len;
} ref_cert;

/*
 * Validate chain[0..n) (leaf first) at time t (Unix seconds) for server_name
 * against the certificates in the PEM files anchor_pems[0..nanchors) (CA
 * certificates become CA anchors; others direct-trust anchors) and, if
 * pins_path is not NULL, against the base64 SHA-256 SPKI pins in that file (a
 * pin check looks at the leaf's key only, as setFingerprint firmware does).
 * Returns 0 with *code set (0 accepted, else a BR_ERR_* code, or -1 "no
 * matching pin"), or -1 with err when the files cannot be read.
 */
int ref_validate(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const char *const *anchor_pems, size_t nanchors, const char *pins_path,
	int *code, char *err, size_t errlen);

/* The contents of an anchor or pin file, already read. */
typedef struct {
	const char *name;		/* for messages */
	const unsigned char *data;
	size_t len;
} ref_file;

/*
 * The same on files already in memory (anchors[0..nanchors), pins or NULL):
 * no I/O. Returns 0 with *code, or -1 with err when a file does not parse.
 */
int ref_validate_mem(const ref_cert *chain, size_t n, int64_t t, const char *server_name,
	const ref_file *anchors, size_t nanchors, const ref_file *pins, int *code, char *err,
	size_t errlen);

/* BR_ERR_X509_* and TLS-level names for codes; "ok" for 0. */
const char *ref_error_name(int code);

#endif
