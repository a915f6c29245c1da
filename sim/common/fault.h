/*
 * The faults of a phase: one table for their grammar, their bounds and their
 * help text, shared by the scenario reader, the harness, the update server and
 * the lab network. The update server applies the server faults (chain,
 * transfer, manifest and HTTP faults: the scenario key "faults", rotsim serve
 * --fault); the lab network applies the network faults (DHCP, DNS and NTP:
 * the scenario key "lab", harness/net/labnet.h). Each form below accepts the
 * faults of one side only, so a network fault given to the server is refused
 * with the key it belongs to, never ignored.
 *
 * A fault is written NAME[=VALUE][,OPTION=VALUE]... It comes in two forms
 * that differ only in what a certificate value names:
 *   FAULT_FORM_FILES  the server's form (rotsim serve --fault): append=FILE,
 *                     chain=FILE[,key=KEY]
 *   FAULT_FORM_IDS    the scenario's form (faults = ...): append=ID, chain=ID
 *                     or chain=ID.VARIANT, IDs of the scenario's PKI; the key
 *                     of a chain is the leaf's own
 *   FAULT_FORM_LAB    the network's form (lab = ...): nxdomain,
 *                     wrong-address=A, dns-slow=S, no-ntp-option, lease=S,
 *                     ntp-silent, ntp-date=DATE, kiss-of-death[=CODE]
 * fault_server_arg() turns the second into the first. Every other server
 * fault reads the same in both forms. Nothing here reads a file or prints.
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
	FAULT_HTTP,
	/* Network faults (FAULT_FORM_LAB). */
	FAULT_NXDOMAIN,
	FAULT_WRONG_ADDRESS,
	FAULT_DNS_SLOW,
	FAULT_NO_NTP_OPTION,
	FAULT_LEASE,
	FAULT_NTP_SILENT,
	FAULT_NTP_DATE,
	FAULT_KISS_OF_DEATH
} fault_kind;

/* When a fault acts. */
typedef enum {
	FAULT_ON_CHAIN,		/* once, on every chain the server presents */
	FAULT_ON_REQUEST,	/* on a request, before it is routed */
	FAULT_ON_MANIFEST,	/* on the manifest or the image it names */
	FAULT_ON_BODY,		/* on an image body being sent */
	/* Applied by the lab network, for the whole phase. */
	FAULT_ON_DHCP,		/* the DHCP server's offer */
	FAULT_ON_DNS,		/* the DNS server's answers */
	FAULT_ON_NTP		/* the SNTP responder */
} fault_stage;

typedef enum { FAULT_FORM_FILES, FAULT_FORM_IDS, FAULT_FORM_LAB } fault_form;

/* 1 for the stages the lab network applies. */
#define FAULT_STAGE_LAB(s) ((s) == FAULT_ON_DHCP || (s) == FAULT_ON_DNS || (s) == FAULT_ON_NTP)

typedef struct {
	fault_kind kind;
	fault_stage stage;
	char *spec;		/* as given */
	uint64_t value;		/* bytes, offset, seconds, index or status */
	int64_t date;		/* ntp-date: the date served, Unix seconds */
	uint64_t at;		/* stall: body offset where the stall starts */
	int64_t retry_after;	/* http: Retry-After seconds, -1 for none */
	char *path;		/* append/chain: the file or the PKI id; http: the
				   path prefix (NULL: every path); wrong-address:
				   the IPv4 address; kiss-of-death: the kiss code */
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

/* Append the table of server faults, as rotsim serve --help shows it, to b. */
void fault_help(buf_t *b);

/* Append the table of network faults (the scenario key "lab") to b. */
void fault_lab_help(buf_t *b);

#endif
