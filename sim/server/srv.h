/*
 * The HTTPS update server: TLS 1.2 on BearSSL, a small HTTP/1.1 update protocol
 * (sim/server/PROTOCOL.md), chain selection by SNI, fault injection, simulated
 * time, and an event log that serves as evidence.
 *
 * Use: srv_init(), then configure (srv_add_cred, srv_add_fault, srv_set_firmware,
 * srv_open_events, srv_open_keylog, srv_set_time, srv_set_timeout), then
 * srv_prepare() once, then srv_listen() + srv_run() or srv_serve_fd(); srv_free()
 * at the end. Every function that can fail returns 0 or -1 with a message in the
 * caller's buffer; nothing here prints to stdout/stderr or exits.
 *
 * TLS private keys are read from files and kept in memory only; nothing here
 * ever writes one.
 */
#ifndef ROTSIM_SRV_H
#define ROTSIM_SRV_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/fault.h"
#include "common/util.h"
#include "fw/fw.h"
#include "time/simclock.h"

typedef struct srv_cred srv_cred;
typedef struct srv_conn srv_conn;

/* A fault of the server (common/fault.h) and how often it was applied. */
typedef struct {
	fault f;
	unsigned used;		/* times applied so far */
} srv_fault;

/* A file the server offers under /firmware/. */
typedef struct {
	char *name;		/* "image-2.bin" */
	unsigned char *data;
	size_t len;
	uint32_t version;
} srv_image;

/* The update protocol the server speaks (PROTOCOL.md). */
typedef enum {
	SRV_PROTO_ROTSIM,	/* GET /manifest, /firmware/image-N.bin, POST /report */
	SRV_PROTO_FILES,	/* a plain file tree: GET/HEAD by path, with Range */
	SRV_PROTO_HAWKBIT	/* the hawkBit DDI subset */
} srv_protocol;

/* A file of the served tree (files and hawkbit modes): exactly these paths
 * answer, nothing is looked up on disk while serving. */
typedef struct {
	char *path;		/* "/firmware/update.bin" */
	const unsigned char *data;
	size_t len;
	unsigned char *own;	/* data allocated for this file, or NULL */
	const srv_image *image;	/* the image these bytes are, or NULL */
	char etag[24];		/* "\"<16 hex of the SHA-256>\"" */
} srv_file;

/* Who does the private-key operations of a handshake (the ECDHE key pair and
 * shared secret, the ServerKeyExchange signature). */
typedef enum {
	SRV_PK_LIBCRYPTO,	/* libcrypto (the default: the fastest) */
	SRV_PK_BEARSSL		/* BearSSL alone (br_ec_all_m31, RSA i62/i31) */
} srv_pk_impl;

typedef struct {
	/* Configuration. */
	srv_protocol protocol;
	srv_pk_impl pk;		/* srv_set_pk */
	char *image_path;	/* files: where the offered image is served
				   (default /firmware/update.bin); hawkbit: its
				   artifact name is the last part */
	char *checkin_path;	/* files: the check-in URL's path, or NULL */
	char *image_file;	/* files, hawkbit: the offered version's bytes
				   come from this file (a bundle of it), or NULL */
	char *tenant;		/* hawkbit: the tenant (default DEFAULT) */
	long installed_version;	/* hawkbit: the device's running version; a
				   deployment is pending when the offered one
				   is newer (default 0) */
	unsigned poll_sleep;	/* hawkbit: config.polling.sleep, seconds */
	srv_file *files;	/* files, hawkbit: the served tree */
	size_t nfiles;
	unsigned char img_sha1[20], img_md5[16], img_sha256[32];	/* offered */
	int action_closed;	/* hawkbit: feedback closed the action */
	srv_cred **creds;	/* creds[0] is the default (--chain/--key) */
	size_t ncreds;
	srv_fault *faults;
	size_t nfaults;
	srv_image *images;
	size_t nimages;
	char *manifest;		/* the text served at /manifest (NULL: 404) */
	size_t manifest_len;
	const srv_image *offered;	/* the image the manifest names */
	simclock clock;		/* simulated time (Date headers, events, SNTP) */
	/* Deadlines, in ms (srv_init sets the defaults). None is moved by
	 * bytes of ciphertext alone. */
	int64_t handshake_ms;	/* from accept to a finished handshake */
	int64_t idle_ms;	/* no request after the last response; a client
				   that takes no response byte */
	int64_t request_ms;	/* from a request's first byte to its end (408) */
	int64_t lifetime_ms;	/* a connection's whole life (stall faults'
				   time added) */
	int64_t linger_ms;	/* waiting for the peer's close_notify, or for
				   the last bytes to leave, once closing */
	size_t max_conns;	/* when all are taken, a newcomer evicts the
				   connection that has done least with its
				   slot (conn.c), or waits */
	int64_t evict_grace_ms;	/* no connection is evicted sooner than this
				   after its last step */
	FILE *events;
	FILE *keylog;
	int shared_logs;	/* set before opening the logs when the processes
				   of one server share them (--stdio: one per
				   connection): then they may exist already and
				   are appended to */
	/* Optional extra descriptor polled for POLLIN (the SNTP responder). */
	int extra_fd;
	void (*extra_fn)(void *ctx);
	void *extra_ctx;
	/* Runtime. */
	int lfd;
	srv_conn **conns;
	size_t nconns;
	uint64_t next_id;
	size_t peak_conns;
	uint64_t stat_conns, stat_requests;
	int64_t accept_pause_until;	/* after EMFILE/ENFILE: listener resting */
	int64_t accept_backoff_ms;
	uint64_t stat_accept_errors;
	uint64_t stat_evictions;	/* connections evicted for newcomers */
	/* Handshakes by who did their private-key operations: an ECDHE
	 * handshake counts once in ecdhe_* and once in sign_*; a static RSA
	 * one (TLS_RSA_*, whose decryption is BearSSL's) in keyx_bearssl. */
	uint64_t stat_ecdhe_libcrypto, stat_ecdhe_bearssl;
	uint64_t stat_sign_libcrypto, stat_sign_bearssl;
	uint64_t stat_keyx_bearssl;
} srv_server;

/* Set defaults: no credentials, real time, 1024 connections, eviction grace
 * 1 s; deadlines: handshake 10 s, idle 10 s, request 10 s, lifetime 300 s,
 * linger 2 s. */
void srv_init(srv_server *s);
/* Release everything (closes open connections, the listener and the log
 * files, wipes private keys). NULL-safe. */
void srv_free(srv_server *s);

/*
 * Load a chain (PEM, leaf first; at least one certificate) and its private key
 * (PEM: RSA, EC "PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY"). name is
 * the SNI host name it is presented for, or NULL for the default (which must be
 * added, and is added first). Checks that the key type matches the leaf's.
 */
int srv_add_cred(srv_server *s, const char *name, const char *chain_path,
	const char *key_path, char *err, size_t errlen);

/*
 * Add a fault in the server's form (common/fault.h: fault_parse with
 * FAULT_FORM_FILES). Chain faults apply to every chain, in the order given;
 * their files are read when srv_prepare() runs. Errors name the spec:
 * "fault \"SPEC\": what".
 */
int srv_add_fault(srv_server *s, const char *spec, char *err, size_t errlen);

/*
 * Offer the firmware of dir: every regular file named image-N.bin (N a decimal
 * version) is served under /firmware/; the highest version is offered in a
 * manifest signed with key. In the files protocol the tree also holds the
 * offered image at image_path with IMAGE_PATH.sha256 (sha256sum's format),
 * IMAGE_PATH.sig (ECDSA P-256 over SHA-256, DER, signed with key) and
 * IMAGE_PATH.version (the version, decimal); in hawkbit, the artifact.
 * Errors: no image-N.bin in dir, unreadable files.
 */
int srv_set_firmware(srv_server *s, const char *dir, const fw_key *key,
	char *err, size_t errlen);

/*
 * Choose the protocol by name ("rotsim", "files", "hawkbit") and its
 * settings; call before srv_set_firmware(). image_path (files, hawkbit; NULL
 * for the default) and checkin_path (files; NULL for none) are absolute
 * paths of printable ASCII without spaces, '?', '%', "//" or a "." or ".."
 * segment, at most 255 bytes. tenant (hawkbit; NULL: DEFAULT) is 1..64 of
 * [A-Za-z0-9._-]. Errors name the bad value.
 */
int srv_set_protocol(srv_server *s, const char *name, const char *image_path,
	const char *checkin_path, const char *tenant, char *err, size_t errlen);
/*
 * Files and hawkbit: the offered version is served with the bytes of path
 * instead of its image-N.bin (the image packed as the device's update client
 * takes it, a .swu bundle say), under the offered image's name, at the image
 * path, and described by IMAGE_PATH.sha256, .sig and .version. Call after
 * srv_set_protocol() and before srv_set_firmware(), which reads the file.
 */
void srv_set_image_file(srv_server *s, const char *path);
/* The protocol's name ("rotsim", "files", "hawkbit"). */
const char *srv_protocol_name(srv_protocol p);

/* Set the simulated time at start (seconds since the epoch). */
void srv_set_time(srv_server *s, int64_t sim_time);

/* Create the event log (JSON lines) or the NSS key log: a new file, never
 * one that exists (unless shared_logs is set: then appended to), and never
 * through a symbolic link. Errors name the path. */
int srv_open_events(srv_server *s, const char *path, char *err, size_t errlen);
int srv_open_keylog(srv_server *s, const char *path, char *err, size_t errlen);

/*
 * Choose who does the private-key operations by name: "libcrypto" (the
 * default) or "bearssl". Errors name the value.
 */
int srv_set_pk(srv_server *s, const char *name, char *err, size_t errlen);
/* The name of a srv_pk_impl ("libcrypto", "bearssl"). */
const char *srv_pk_name(srv_pk_impl pk);

/* Apply the chain faults and check the configuration (a default credential
 * exists). Call once, after configuring and before serving. The environment
 * variable ROTSIM_SERVE_PK, when set and not empty, is passed to srv_set_pk
 * here (benchmarks compare the two). */
int srv_prepare(srv_server *s, char *err, size_t errlen);

/*
 * Bind and listen on "HOST:PORT" (numeric IPv4 or [IPv6] address; "PORT" alone
 * means 127.0.0.1). Writes the bound address ("127.0.0.1:43817") into bound.
 */
int srv_listen(srv_server *s, const char *addr, char *bound, size_t boundlen,
	char *err, size_t errlen);

/*
 * Check max_conns against the descriptors the process may open
 * (RLIMIT_NOFILE, with reserve more for logs and listeners), raising the soft
 * limit towards the hard one when needed. Returns 0 when it fits; 1 when
 * max_conns was lowered to fit (clamp != 0; note says so); -1 with err when it
 * does not fit and clamp is 0.
 */
int srv_fit_fd_limit(srv_server *s, size_t reserve, int clamp, char *note,
	size_t notelen, char *err, size_t errlen);

/*
 * Serve connections until *stop becomes non-zero. sigmask (may be NULL) is the
 * signal mask in effect while waiting (ppoll), so a caller that blocks SIGTERM
 * can have it delivered only there. Returns 0 when stopped, -1 with err on a
 * fatal error (poll failing).
 */
int srv_run(srv_server *s, volatile sig_atomic_t *stop, const sigset_t *sigmask,
	char *err, size_t errlen);

/* Serve exactly one connection read from rfd and written to wfd (both made
 * non-blocking), then return 0; peer names it in the event log. */
int srv_serve_fd(srv_server *s, int rfd, int wfd, const char *peer,
	volatile sig_atomic_t *stop, const sigset_t *sigmask, char *err, size_t errlen);

/* The simulated time now. */
int64_t srv_sim_now(const srv_server *s);

/* Write one event line {"event":NAME,"real":...,"sim":...FIELDS} to the event
 * log (if open). fields is "" or JSON members each preceded by a comma. */
void srv_event(srv_server *s, const char *name, const char *fields);


/* Names for the log: a TLS alert ("unknown_ca"), a BearSSL error
 * ("BR_ERR_BAD_CCS"), a cipher suite ("ECDHE_RSA_WITH_AES_128_GCM_SHA256"), a
 * protocol version ("TLS1.2"). Static strings; NULL when unknown. */
const char *srv_alert_name(int alert);
const char *srv_error_name(int err);
const char *srv_suite_name(unsigned suite);
const char *srv_version_name(unsigned version);

#endif
