/*
 * Faults of the update server: one table for their grammar, their bounds and
 * their help text, shared by the scenario reader, the harness and the server.
 *
 * A fault is written NAME[=VALUE][,OPTION=VALUE]... It comes in two forms
 * that differ only in what a certificate value names:
 *   FAULT_FORM_FILES  the server's form (rotsim serve --fault): append=FILE,
 *                     chain=FILE[,key=KEY]
 *   FAULT_FORM_IDS    the scenario's form (faults = ...): append=ID, chain=ID
 *                     or chain=ID.VARIANT, IDs of the scenario's PKI; the key
 *                     of a chain is the leaf's own
 * fault_server_arg() turns the second into the first. Every other fault reads
 * the same in both forms. Nothing here reads a file or prints.
 */
#ifndef ROTSIM_FAULT_H
#define ROTSIM_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

typedef enum {
	FAULT_DROP_INTERMEDIATE = 1,
	FAULT_DROP,
	FAULT_REVERSE,
	FAULT_APPEND,
	FAULT_CHAIN,
	FAULT_CLOSE_AFTER,
	FAULT_STALL,
	FAULT_CORRUPT_BYTE,
	FAULT_BAD_SIGNATURE,
	FAULT_MISSING_IMAGE,
	FAULT_HTTP
} fault_kind;

/* When a fault acts. */
typedef enum {
	FAULT_ON_CHAIN,		/* once, on every chain the server presents */
	FAULT_ON_REQUEST,	/* on a request, before it is routed */
	FAULT_ON_MANIFEST,	/* on the manifest or the image it names */
	FAULT_ON_BODY		/* on an image body being sent */
} fault_stage;

typedef enum { FAULT_FORM_FILES, FAULT_FORM_IDS } fault_form;

typedef struct {
	fault_kind kind;
	fault_stage stage;
	char *spec;		/* as given */
	uint64_t value;		/* bytes, offset, seconds, index or status */
	uint64_t at;		/* stall: body offset where the stall starts */
	int64_t retry_after;	/* http: Retry-After seconds, -1 for none */
	char *path;		/* append/chain: the file or the PKI id; http: the
				   path prefix (NULL: every path) */
	char *variant;		/* chain, ids form: the chain variant or NULL */
	char *key;		/* chain, files form: the key file or NULL */
	unsigned count;		/* times to apply, 0 for always */
} fault;

/*
 * Parse spec in the given form into f (which the caller owns; release with
 * fault_clear()). Checks the name, that a value is present exactly when the
 * fault takes one, every number against the fault's bounds and every option.
 * Returns 0, or -1 with a one-line message in err that names the part at
 * fault ("stall: 0 is not in 1..86400"); the caller adds where the spec came
 * from. f is then cleared.
 */
int fault_parse(fault *f, const char *spec, fault_form form, char *err, size_t errlen);

/* Release what f holds and zero it. NULL-safe. */
void fault_clear(fault *f);

/* The fault's name ("close-after"), or "?" for an unknown kind. */
const char *fault_name(fault_kind kind);

/*
 * The server's form of a fault given in the scenario's form, with the PKI
 * built in pkidir (as rotsim pki writes it): append=ID becomes
 * append=PKIDIR/ID.crt.pem, chain=ID[.VARIANT] becomes
 * chain=PKIDIR/chains/ID[.VARIANT].pem,key=PKIDIR/ID.key.pem; the other faults
 * are returned as given. Returns a string allocated with xmalloc() (released
 * by the caller), or NULL with err when spec is not a valid fault.
 */
char *fault_server_arg(const char *spec, const char *pkidir, char *err, size_t errlen);

/* Append the table of faults, as rotsim serve --help shows it, to b. */
void fault_help(buf_t *b);

#endif
