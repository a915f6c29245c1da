/*
 * capture: packets of a case as pcap, and what they say about TLS.
 *
 * Two halves:
 *  - a reader: cap_analyze_file() opens a pcap file with libpcap, reassembles
 *    every TCP stream per direction by sequence number, parses TLS records on
 *    each reassembled stream and produces a cap_report: one cap_flow per TCP
 *    connection, with the TLS summary (ClientHello, ServerHello, the server's
 *    chain as SHA-256 fingerprints, alerts with who sent them), the bytes of
 *    application data each way, who closed, and every event in order with its
 *    time. cap_render_text() and cap_render_json() turn a report into the
 *    "TLS story" for a person and into evidence for a verdict.
 *  - live capture: cap_live_start() / cap_live_stop() write the packets of an
 *    interface (loopback for the native target) to a pcap file.
 *
 * Link types read: Ethernet (DLT_EN10MB: QEMU's filter-dump and Linux
 * loopback), Linux cooked (DLT_LINUX_SLL, DLT_LINUX_SLL2), BSD loopback
 * (DLT_NULL, DLT_LOOP) and raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6); IPv4 (not
 * fragmented) and IPv6 (extension headers skipped). Checksums are not
 * verified: loopback captures carry offloaded, unfinished checksums.
 *
 * What cannot be seen: records after a ChangeCipherSpec, and everything after
 * a TLS 1.3 ServerHello, are encrypted. Such handshake and alert records are
 * reported as "encrypted handshake" and "encrypted alert" with their
 * direction; for TLS 1.3 the server's chain and alerts are not visible at
 * all, and the encrypted handshake is counted with the application data.
 *
 * Errors: functions that can fail return 0 on success or -1 with a one-line
 * message in err (when err is not NULL and errlen > 0). Nothing here prints
 * or exits; only running out of memory is fatal (xmalloc).
 */
#ifndef ROTSIM_CAPTURE_H
#define ROTSIM_CAPTURE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/util.h"

/* A direction on a TCP connection. The client is the side that sent the SYN;
 * when the SYN was not captured, the side with the higher port (an ephemeral
 * port faces a service port). */
enum {
	CAP_C2S = 0,	/* client to server */
	CAP_S2C = 1	/* server to client */
};

/* Times are microseconds since the epoch, UTC, as in the capture. */
typedef int64_t cap_time;

/* What happened on a flow, in the order it happened on the wire. */
typedef enum {
	CAP_EV_SYN = 1,		/* the client's SYN */
	CAP_EV_SYNACK,		/* the server's SYN+ACK */
	CAP_EV_HANDSHAKE,	/* a clear-text handshake message (hs_type) */
	CAP_EV_CCS,		/* ChangeCipherSpec: that side now encrypts */
	CAP_EV_ENC_HANDSHAKE,	/* a handshake record after CCS (Finished) */
	CAP_EV_ALERT,		/* a clear-text alert (level, desc) */
	CAP_EV_ENC_ALERT,	/* an alert record after CCS: content unknown */
	CAP_EV_APPDATA,		/* a run of application data records (bytes) */
	CAP_EV_FIN,		/* that side closed its half (in sequence order) */
	CAP_EV_RST,		/* that side reset the connection */
	CAP_EV_NOT_TLS,		/* that side's stream does not start as TLS */
	CAP_EV_TLS_ERROR,	/* a malformed record or message: parsing stops */
	CAP_EV_GAP		/* bytes missing from the capture (bytes) */
} cap_ev_type;

/* TLS handshake message types (RFC 8446 4, RFC 5246 7.4). */
enum {
	CAP_HS_HELLO_REQUEST = 0,
	CAP_HS_CLIENT_HELLO = 1,
	CAP_HS_SERVER_HELLO = 2,
	CAP_HS_NEW_SESSION_TICKET = 4,
	CAP_HS_ENCRYPTED_EXTENSIONS = 8,
	CAP_HS_CERTIFICATE = 11,
	CAP_HS_SERVER_KEY_EXCHANGE = 12,
	CAP_HS_CERTIFICATE_REQUEST = 13,
	CAP_HS_SERVER_HELLO_DONE = 14,
	CAP_HS_CERTIFICATE_VERIFY = 15,
	CAP_HS_CLIENT_KEY_EXCHANGE = 16,
	CAP_HS_FINISHED = 20
};

/* TLS alert levels. */
enum { CAP_ALERT_WARNING = 1, CAP_ALERT_FATAL = 2 };

typedef struct {
	cap_time ts;
	cap_ev_type type;
	int dir;		/* CAP_C2S or CAP_S2C: who sent it */
	int hs_type;		/* CAP_EV_HANDSHAKE: message type */
	int hrr;		/* CAP_EV_HANDSHAKE: a HelloRetryRequest */
	int level, desc;	/* CAP_EV_ALERT */
	uint64_t bytes;		/* CAP_EV_APPDATA, CAP_EV_GAP, CAP_EV_ENC_*: payload */
	uint32_t records;	/* CAP_EV_APPDATA: records in the run */
	cap_time ts_last;	/* CAP_EV_APPDATA: time of the last record */
	char *why;		/* CAP_EV_TLS_ERROR, CAP_EV_NOT_TLS: a short reason */
} cap_event;

/* One certificate of a Certificate message. */
typedef struct {
	unsigned char sha256[32];	/* of the DER */
	size_t der_len;
	char *subject_cn;		/* NULL when there is none or it is not text */
	char *issuer_cn;
} cap_cert;

typedef struct {
	int seen;			/* the message was seen (the fields are set) */
	uint16_t legacy_version;	/* the record-layer hello's version field */
	unsigned char random[32];
	char *sni;			/* ClientHello: host_name, or NULL */
	uint16_t *versions;		/* supported_versions list (ClientHello) */
	size_t n_versions;
	uint16_t *suites;		/* ClientHello: offered; ServerHello: 1 chosen */
	size_t n_suites;
	uint16_t *sigalgs;		/* ClientHello: signature_algorithms */
	size_t n_sigalgs;
	uint16_t *groups;		/* ClientHello: supported_groups */
	size_t n_groups;
	char **alpn;			/* ClientHello: ALPN protocols */
	size_t n_alpn;
	uint16_t version;		/* ServerHello: negotiated (supported_versions or legacy) */
} cap_hello;

/* What the TLS layer of a flow shows; the first of each message counts
 * (a HelloRetryRequest is not taken as the ServerHello). */
typedef struct {
	int is_tls;			/* some side spoke TLS records */
	cap_hello client_hello;
	cap_hello server_hello;
	cap_cert *chain;		/* the server's Certificate message, leaf first */
	size_t chain_len;
	int seen_chain;
	cap_cert *client_chain;		/* a client certificate, if one was sent */
	size_t client_chain_len;
	int seen_server_key_exchange, seen_certificate_request;
	int seen_server_hello_done;
	int ccs[2];			/* ChangeCipherSpec seen, per direction */
	int finished[2];		/* an encrypted handshake record after CCS */
	/* The first alert of each direction (clear or encrypted). */
	int alert_seen[2], alert_encrypted[2], alert_level[2], alert_desc[2];
} cap_tls;

typedef struct {
	int family;			/* 4 or 6 */
	unsigned char addr[2][16];	/* [CAP_C2S] client, [CAP_S2C] server */
	uint16_t port[2];		/* client port, server port */
	int roles_by_syn;		/* roles known from the SYN (else by port) */
	cap_time first, last;
	uint64_t packets;
	uint64_t payload[2];		/* TCP payload bytes delivered in order, each way */
	uint64_t app_bytes[2];		/* TLS application_data payload each way */
	uint64_t retransmitted[2];	/* payload bytes seen again */
	uint64_t missing[2];		/* payload bytes never captured (gaps) */
	int fin[2], rst[2];		/* who closed: per direction */
	cap_tls tls;
	cap_event *events;
	size_t n_events;
} cap_flow;

typedef struct {
	int linktype;			/* DLT_ of the capture */
	uint64_t packets;		/* records in the file */
	uint64_t skipped;		/* not IP/TCP, fragments, malformed */
	uint64_t dropped;		/* packets of connections over the flow cap */
	int truncated;			/* the file ended in mid-record */
	cap_flow *flows;		/* in the order their first packet was seen */
	size_t n_flows;
} cap_report;

/* Limits on what one capture may hold in memory. */
typedef struct {
	size_t max_flows;		/* connections kept per capture (default 4096) */
	size_t max_ooo_bytes;		/* out-of-order bytes held per direction (1 MiB) */
	size_t max_handshake;		/* one handshake message (256 KiB) */
} cap_limits;

/*
 * Read the pcap file at pcap_path and fill *out (which the caller provides;
 * it is overwritten). limits may be NULL for the defaults. Returns 0, or -1
 * with "PATH: reason" in err and *out left empty (safe to free). A file that
 * ends in mid-record is not an error: report->truncated is set and what came
 * before is kept. The report owns everything it points to: release it with
 * cap_report_free().
 */
int cap_analyze_file(const char *pcap_path, const cap_limits *limits,
	cap_report *out, char *err, size_t errlen);

/* The same on an open stream holding a pcap file; fp is closed in all cases.
 * name is used in messages. */
int cap_analyze_fp(FILE *fp, const char *name, const cap_limits *limits,
	cap_report *out, char *err, size_t errlen);

/* Release what a report holds and zero it. NULL-safe. */
void cap_report_free(cap_report *r);

/* Rendering flags. */
enum {
	CAP_RENDER_NO_TIMES = 1,	/* leave out times (for comparisons) */
	CAP_RENDER_NO_ADDRS = 2		/* leave out addresses and ports */
};

/*
 * Append the TLS story of a report to b: one block per flow, one line per
 * event, e.g.
 *   14:02:01.123 client -> server  ClientHello sni=updates.rotsim.test ...
 * Times are UTC.
 */
void cap_render_text(const cap_report *r, int flags, buf_t *b);

/*
 * Append the report as one JSON document to b: {"linktype":..., "flows":[...]}
 * with one event per line. Strings are escaped; fingerprints are lower-case
 * hex. The keys are documented in harness/capture/FORMAT.md.
 */
void cap_render_json(const cap_report *r, buf_t *b);

/* Names from the tables: a static string, or NULL when unknown. */
const char *cap_alert_name(int desc);
const char *cap_suite_name(unsigned suite);
const char *cap_version_name(unsigned version);
const char *cap_sigalg_name(unsigned sigalg);
const char *cap_group_name(unsigned group);
const char *cap_hs_name(int hs_type);
const char *cap_ev_name(cap_ev_type t);

/*
 * Live capture into a pcap file. cap_live_start() opens iface (for the native
 * target "lo"), applies the BPF filter (a pcap-filter(7) expression, or NULL
 * for everything), opens pcap_out for writing and runs the capture in a
 * thread. Returns 0 with *out set, or -1 with err; opening an interface needs
 * root or CAP_NET_RAW, and the message says so.
 *
 * cap_live_stop() stops the thread (at once: it wakes the thread's poll),
 * writes every packet the kernel delivered before the call, flushes and
 * closes the file, and frees l. Returns 0, or -1 with err if writing failed or packets were
 * dropped by the kernel (the file is complete for what was received).
 * NULL-safe (returns 0). packets, if not NULL, receives the count written.
 */
typedef struct cap_live cap_live;

/*
 * The same in two steps, for a handle kept open across files (a case's
 * phases: the packet ring is made and mapped once, not once per phase).
 * cap_live_open() opens iface; cap_live_begin() applies the filter (NULL:
 * everything; what the ring holds from before that the filter does not let in
 * is set aside), opens pcap_out and starts the thread; cap_live_end() is
 * cap_live_stop() without closing the handle (drops are counted from the
 * begin); then begin again. cap_live_close() ends a running file and frees l
 * (NULL-safe). cap_live_iface() is the interface l was opened on.
 */
int cap_live_open(const char *iface, cap_live **out, char *err, size_t errlen);
int cap_live_begin(cap_live *l, const char *bpf_filter, const char *pcap_out, char *err,
	size_t errlen);
int cap_live_end(cap_live *l, uint64_t *packets, char *err, size_t errlen);
void cap_live_close(cap_live *l);
const char *cap_live_iface(const cap_live *l);

int cap_live_start(const char *iface, const char *bpf_filter, const char *pcap_out,
	cap_live **out, char *err, size_t errlen);
int cap_live_stop(cap_live *l, uint64_t *packets, char *err, size_t errlen);

#endif
