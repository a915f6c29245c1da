/*
 * Inside the update server: the types and functions its files share.
 *
 *   server.c   configuration: credentials, firmware, logs, listening, free
 *   conn.c     the TLS engine of each connection, deadlines, the poll loop
 *   handler.c  HTTP: requests in, responses out
 *   faults.c   faults: added from their spec, applied where they act
 *   events.c   the event log and the names it uses
 *   pk.c       the private-key operations on libcrypto
 *
 * Nothing outside sim/server includes this file.
 */
#ifndef ROTSIM_SRV_INT_H
#define ROTSIM_SRV_INT_H

#include <bearssl.h>

#include "server/http.h"
#include "server/srv.h"

#define NOW_NEVER INT64_MAX

/* A chain and its key. The key lives in a BearSSL key decoder context, which
 * owns the key's bytes; it is wiped on release. */
struct srv_cred {
	char *name;			/* SNI name; NULL for the default */
	br_x509_certificate *chain;
	size_t chain_len;
	unsigned char (*hashes)[32];	/* SHA-256 of each certificate, in order */
	br_skey_decoder_context *skey;
	int key_type;			/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	/* The same key in libcrypto, and a context ready to sign with it
	 * (pk.c); both freed by srv_pk_free. */
	struct evp_pkey_st *pkey;
	struct evp_pkey_ctx_st *sign_ctx;
};

/* The policy that picks a credential by SNI. It is the first member of the
 * connection, so the policy pointer leads back to it. */
typedef struct {
	const br_ssl_server_policy_class *vtable;
	srv_server *srv;
	srv_conn *conn;
} sni_policy;

struct srv_conn {
	sni_policy policy;
	br_ssl_server_context sc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	srv_server *srv;
	uint64_t id;
	int rfd, wfd;
	char peer[64];
	const srv_cred *cred;		/* chosen during the handshake */
	int pk_signed;			/* libcrypto signed the key exchange */
	int hs_done;
	int peer_eof;			/* read() returned 0 */
	int io_error;			/* errno of a failed read/write */
	int cutting;			/* close without close_notify once flushed */
	int closing;			/* close_notify sent or to be sent */
	short want;			/* poll events asked for last time */
	short ready;			/* revents seen, or 1 to pump regardless */
	const char *end_reason;
	/* Deadlines (monotonic ms). Bytes of ciphertext never move them: only
	 * a step of the protocol does (a handshake, a request, a response
	 * byte the client took). */
	int64_t t_accept;		/* accepted: the handshake and lifetime */
	int64_t t_idle;			/* last step: handshake done, response sent */
	int64_t t_req;			/* first byte of the pending request */
	int64_t t_sent;			/* last response byte the client took */
	int64_t t_close;		/* close_notify queued: the linger starts */
	int64_t stalled_ms;		/* time spent in stall faults, added to
					   the lifetime */
	buf_t in;			/* application bytes received, unparsed */
	/* The response being sent. */
	int resp_active;
	buf_t head;
	size_t head_off;
	const unsigned char *body;
	uint64_t body_len, body_off;
	uint64_t body_base;		/* offset of body[0] in the image */
	const srv_image *body_image;	/* non-NULL when the body is an image */
	buf_t dyn;			/* a generated body (hawkbit JSON) */
	uint64_t cut_at;		/* body offset where the connection is cut */
	uint64_t stall_at;
	int64_t stall_ms, stall_until;	/* stall length; end of a running stall */
	int close_after;		/* Connection: close */
	/* The request being answered, for the event log. */
	char method[16];
	char target[SRV_HTTP_MAX_TARGET + 1];
	char range[128];
	int status;
	buf_t faults;			/* JSON array items of faults applied */
	char *report;			/* a check-in's body (POST /report, the
					   files check-in, a DDI feedback) */
	size_t report_len;
	const char *report_key;		/* its member in the event: "report"
					   or "feedback_body" */
	char feedback[160];		/* DDI feedback as parsed: JSON members
					   (each after a comma), or "" */
	const srv_image *log_image;	/* the request's body is (part of) it */
	uint64_t log_offset, log_size;	/* first byte sent, the file's size */
	unsigned nreq;
	uint64_t bytes_in, bytes_out;
};

/* events.c */
int64_t srv_mono_ms(void);
/* Start an event line {"event":NAME,"real":...,"sim":...[,"conn":ID]; end it
 * (written to the log if open, b released). */
void srv_ev_begin(const srv_server *s, buf_t *b, const char *name, uint64_t conn);
void srv_ev_end(const srv_server *s, buf_t *b);
/* The handshake event (ok or failed) and the key log line. */
void srv_log_handshake(srv_conn *c, int ok);
/* The request event, when its response ends (sent, cut, connection lost). */
void srv_log_request(srv_conn *c, const char *outcome);
/* The cipher suites offered, in order of preference. */
const uint16_t *srv_suites(size_t *n);

/* server.c */
/* Read every CERTIFICATE of a PEM file, appended to *chain. */
int srv_read_certs(const char *path, br_x509_certificate **chain, size_t *n,
	char *err, size_t errlen);
/* Read a private key into c->skey (replacing one there). */
int srv_read_key(srv_cred *c, const char *path, char *err, size_t errlen);

/* faults.c: where faults act. */
/* Apply the chain faults to a credential's chain, in order. */
int srv_faults_chain(srv_server *s, srv_cred *c, char *err, size_t errlen);
/* Apply the manifest faults that change the manifest itself. */
int srv_faults_manifest(srv_server *s, char *err, size_t errlen);
/* Record on c's current request that a fault was applied. */
void srv_fault_applied(srv_conn *c, srv_fault *f);
/* An HTTP fault for this request: 1 if one answered it. */
int srv_faults_request(srv_conn *c, const char *target);
/* The offered image is made missing: 1 if so. */
int srv_faults_missing_image(srv_conn *c);
/* The transfer faults of an image response for bytes [first, last]. */
void srv_faults_image(srv_conn *c, uint64_t first, uint64_t last);
/* Corrupt what a fault says in buf, which holds n body bytes at body_off. */
void srv_faults_corrupt(const srv_conn *c, unsigned char *buf, size_t n);

/* handler.c */
/* Parse and answer the next buffered request, if any and none is in progress. */
void srv_next_request(srv_conn *c);
/* Move response bytes into the engine. Returns 1 if any moved. */
int srv_push_response(srv_conn *c, int64_t now);
/* Answer status with a short text body; extra is more header lines or NULL. */
void srv_respond_text(srv_conn *c, int status, const char *extra);

/* tree.c: the files and hawkbit protocols. */
/* Build s->files for the protocol (after the images are read). */
int srv_tree_build(srv_server *s, const fw_key *key, char *err, size_t errlen);
void srv_tree_free(srv_server *s);
/* Answer one request in the files or hawkbit protocol. */
void srv_tree_request(srv_conn *c, const srv_http_req *r, const unsigned char *body);

/* handler.c, for tree.c */
void srv_respond(srv_conn *c, int status, const char *ctype, const void *body,
	uint64_t len, const char *extra);
/* Serve data[0..len) (an image when img is not NULL: transfer faults apply,
 * the event names it) with Range. */
void srv_serve_bytes(srv_conn *c, const srv_http_req *r, const unsigned char *data,
	size_t len, const srv_image *img, const char *ctype, const char *extra);

/* pk.c: the private-key operations on libcrypto. */
/* Decode der (the PKCS#8, PKCS#1 or SEC1 key c->skey was decoded from, read
 * from path) into c->pkey, replacing a key there, and check that it is the
 * key BearSSL decoded. Errors name path. */
int srv_pk_load(srv_cred *c, const char *path, const unsigned char *der, size_t len,
	char *err, size_t errlen);
/* Release c->pkey and its context (NULL-safe members). */
void srv_pk_free(srv_cred *c);
/* Sign for a ServerKeyExchange as br_ssl_server_policy_class.do_sign does:
 * algo_id is 0xFF00 + a TLS hash identifier (0: MD5+SHA-1, RSA only) and
 * data[0..hv_len) the hash value; the signature (RSA PKCS#1 v1.5, or ECDSA
 * in ASN.1 DER) is written over data, at most len bytes. Returns its length,
 * 0 on error (nothing falls back to BearSSL). */
size_t srv_pk_sign(const srv_cred *c, unsigned algo_id, unsigned char *data,
	size_t hv_len, size_t len);
/* An EC implementation for ECDHE: the curves of br_ec_all_m31 (P-256, P-384,
 * P-521, Curve25519), their mul and mulgen on libcrypto, muladd BearSSL's. */
extern const br_ec_impl srv_pk_ec;
/* Free the X25519 keys srv_pk_ec keeps from mulgen for their mul. */
void srv_pk_forget(void);

/* conn.c */
/* Set up sc as br_ssl_server_init_full_rsa(sc, NULL, 0, NULL) does, with the
 * symmetric implementations it chose once (no key, no policy, its suites not
 * set: the caller sets its own). */
void srv_engine_init(br_ssl_server_context *sc);
srv_conn *srv_conn_new(srv_server *s, int rfd, int wfd, const char *peer);
/* Log the end of the connection, close its descriptors, release it. */
void srv_conn_free(srv_conn *c);
/* Release connection i of s (the last one takes its place). */
void srv_remove_conn(srv_server *s, size_t i);

#endif
