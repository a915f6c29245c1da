/*
 * The agent's TLS client: the one interface between the update protocol and
 * a TLS library. Every agent binary links exactly one backend
 * (tls_bearssl.c, tls_mbedtls.c, tls_wolfssl.c, tls_openssl.c,
 * tls_gnutls.c); the protocol, flash, signature checks and console lines are
 * the same code for all of them.
 *
 * A backend validates the server's chain with the device's trust
 * (trust.h: anchors, SPKI pins of the leaf, or nothing), at the device's own
 * time (tls_config.now, never the host's clock), for the server's name (SNI
 * and the name checked), using its library the way an integrator would by
 * default: the library's usual verification with its default flags, unless
 * the profile names a variant (tls_variants) that sets one well-known switch.
 *
 * Errors: every failing call fills a tls_error with a stack-neutral class
 * (what the agent decides on: retry or reject) and the library's own name
 * and number for the console line ("err=NAME code=N").
 *
 * The caller owns the socket: tls_handshake() borrows a connected blocking
 * fd, tls_close() sends close_notify and releases the library's state but
 * never closes the fd. Nothing here prints or exits.
 */
#ifndef ROTSIM_FW_TLS_H
#define ROTSIM_FW_TLS_H

#include <stddef.h>
#include <stdint.h>

#include "common/trust.h"

/* The stack-neutral class of a failure. */
enum {
	TLS_E_NONE = 0,
	TLS_E_IO,		/* the transport broke: a retry may help */
	TLS_E_UNTRUSTED,	/* no path to an anchor (unknown issuer, no anchor) */
	TLS_E_EXPIRED,		/* a certificate outside its validity at the device's time */
	TLS_E_NAME,		/* the leaf does not carry the server's name */
	TLS_E_SIGNATURE,	/* a signature in the chain does not verify */
	TLS_E_CERT,		/* a certificate is malformed or breaks a constraint */
	TLS_E_PIN,		/* no pin matches the leaf's key */
	TLS_E_ALERT,		/* a fatal alert ended the handshake */
	TLS_E_PROTOCOL,		/* any other handshake or record failure */
	TLS_E_INTERNAL		/* the library could not be set up */
};

typedef struct {
	int cls;		/* TLS_E_* */
	long code;		/* the library's own number (0 when it has none) */
	char name[64];		/* the library's own name: "BR_ERR_X509_NOT_TRUSTED",
				 * "X509_V_ERR_CERT_HAS_EXPIRED", ... */
	char text[160];		/* one-line meaning */
	int alert;		/* the TLS alert, -1 when none is known */
	int alert_from_device;	/* 1: the device sent it, 0: the server did */
} tls_error;

typedef struct {
	const char *server_name;	/* SNI and the name the leaf must carry */
	int mode;			/* TRUST_ANCHORS, TRUST_PIN_LEAF, TRUST_INSECURE */
	const trust_store *trust;	/* borrowed for the session's life */
	int64_t (*now)(void *ctx);	/* the device's time, Unix seconds */
	void *now_ctx;
	int variant;			/* index into tls_variants; 0 is the default */
} tls_config;

typedef struct tls_session tls_session;

/* The backend's stack name, "bearssl", "openssl", ... */
extern const char tls_stack[];
/* The backend's variants, NULL-terminated; [0] is "default". */
extern const char *const tls_variants[];

/* Allocate a session (with xmalloc(): out of memory is fatal). Release it
 * with tls_free(). */
tls_session *tls_new(void);
/* Close (as tls_close) and release. NULL-safe. */
void tls_free(tls_session *s);

/* Run the handshake on fd with cfg. Returns 0, or -1 with *err. */
int tls_handshake(tls_session *s, int fd, const tls_config *cfg, tls_error *err);
/* Send len bytes (possibly buffered until tls_flush()). Returns 0 or -1. */
int tls_write(tls_session *s, const void *buf, size_t len, tls_error *err);
int tls_flush(tls_session *s, tls_error *err);
/* Read up to len bytes. Returns the number read (> 0), or -1 on end of
 * stream or error (*err). */
long tls_read(tls_session *s, void *buf, size_t len, tls_error *err);
/* Send close_notify (best effort) and drop the connection's state. Safe to
 * call on a session that never connected. */
void tls_close(tls_session *s);

/* After a successful handshake: the protocol version ("TLS1.2"), the cipher
 * suite's IANA number, and the index of the pin that matched (-1 if none). */
const char *tls_version(const tls_session *s);
unsigned tls_suite(const tls_session *s);
int tls_pin_index(const tls_session *s);

/* Shared by the backends (tls_common.c). */

/* Index of a variant name in tls_variants, or -1. */
int tls_variant_find(const char *name);
/* The index of the pin that the leaf's DER certificate matches, -1 when
 * none, -2 when the certificate is malformed. */
int tls_pin_match(const trust_store *t, const unsigned char *der, size_t len);
/* Fill *err; name and text are copied (cut to fit). Returns -1. */
int tls_fail(tls_error *err, int cls, long code, const char *name, const char *text);
/* The name of a class: "io", "untrusted", "expired", ... */
const char *tls_class_name(int cls);

#endif
