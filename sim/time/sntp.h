/*
 * SNTP (RFC 4330, packet format of RFC 5905): a codec, a UDP responder that
 * reports the simulated time of a simclock, and a one-shot client.
 *
 * Three layers, each usable alone:
 *  - Timestamps and packets: pure functions on buffers, no I/O, no allocation.
 *    They return a status (SNTP_OK or an SNTP_ERR_* code, see
 *    sntp_status_name()) instead of a message, so the reference firmware agent
 *    can use them as they are.
 *  - The responder (sntp_server_*): one non-blocking UDP socket that the
 *    caller polls; every datagram, answered or not, is reported as an
 *    sntp_event so the update server can log it.
 *  - The client (sntp_query): one request, one reply, with a timeout.
 *
 * Everything here needs libc only (this file, sntp.c and simclock.c build
 * into the firmware agent without BearSSL or the rest of rotsim). Functions
 * that can fail for reasons outside the packet (sockets, addresses) return -1
 * with a message in a caller-supplied buffer (char *err, size_t errlen), in
 * the manner of util_err(). Nothing here prints or exits.
 *
 * NTP era and range. An NTP timestamp holds 32 bits of seconds. As in RFC 4330
 * section 3, a timestamp whose most significant bit is set counts from
 * 1900-01-01 (era 0), and one whose bit is clear counts from
 * 2036-02-07T06:28:16Z (era 1). Times from 1968-01-20T03:14:08Z
 * (SNTP_UNIX_MIN) to 2104-02-26T09:42:23Z (SNTP_UNIX_MAX) therefore round-trip
 * exactly; times outside are refused (SNTP_ERR_RANGE), never wrapped.
 * The all-zero timestamp means "not set" on the wire; the one instant that
 * would encode to it, 2036-02-07T06:28:16.000000000Z, is sent one fraction
 * unit (233 picoseconds) later instead.
 */
#ifndef ROTSIM_SNTP_H
#define ROTSIM_SNTP_H

#include <stddef.h>
#include <stdint.h>

#include "time/simclock.h"

/* Length of an SNTP packet without extension fields or MAC. */
#define SNTP_PACKET_LEN 48
/* The default NTP port. */
#define SNTP_PORT 123

/* First and last Unix second that an NTP timestamp can carry (see above). */
#define SNTP_UNIX_MIN (-61505152LL)
#define SNTP_UNIX_MAX 4233462143LL

/* Protocol modes (RFC 5905 figure 10). */
enum {
	SNTP_MODE_CLIENT = 3,
	SNTP_MODE_SERVER = 4
};

/* Status of a codec or responder step. SNTP_OK is 0; the rest are reasons to
 * ignore a packet. */
enum sntp_status {
	SNTP_OK = 0,
	SNTP_ERR_SHORT,		/* fewer than 48 bytes */
	SNTP_ERR_VERSION,	/* version outside 1..4 */
	SNTP_ERR_MODE,		/* not a client request (mode 3) or not a server reply (4) */
	SNTP_ERR_NO_XMIT,	/* transmit timestamp is zero */
	SNTP_ERR_KISS,		/* stratum 0: a kiss-o'-death (code in ref_id) */
	SNTP_ERR_STRATUM,	/* stratum above 15 */
	SNTP_ERR_UNSYNC,	/* leap indicator 3: server clock not synchronised */
	SNTP_ERR_ORIGIN,	/* originate timestamp is not our request's transmit */
	SNTP_ERR_RANGE,		/* time outside SNTP_UNIX_MIN..SNTP_UNIX_MAX */
	SNTP_STATUS_COUNT
};

/* Short name ("short", "mode", ...) and one-line meaning of a status; both
 * static strings, "unknown" for a code out of range. */
const char *sntp_status_name(int status);
const char *sntp_status_text(int status);

/* The fields of a packet, in host order. Timestamps are raw 64-bit NTP
 * timestamps (32 bits of seconds, 32 bits of fraction). */
typedef struct {
	unsigned leap;		/* 0..3 */
	unsigned version;	/* 0..7 */
	unsigned mode;		/* 0..7 */
	unsigned stratum;	/* 0..255 */
	int poll;		/* log2 seconds */
	int precision;		/* log2 seconds */
	uint32_t root_delay;	/* 16.16 fixed point seconds */
	uint32_t root_dispersion;
	unsigned char ref_id[4];
	uint64_t ref_ts, orig_ts, recv_ts, xmit_ts;
} sntp_packet;

/*
 * Unix time to an NTP timestamp with the era rule above. Returns SNTP_OK, or
 * SNTP_ERR_RANGE (*ts untouched) when t is outside the range or t.nsec is not
 * below 10^9.
 */
int sntp_ts_from_unix(simclock_time t, uint64_t *ts);
/* NTP timestamp to Unix time; every timestamp maps into the range. */
simclock_time sntp_ts_to_unix(uint64_t ts);

/* Write the 48 bytes of p to out; fields are masked to their widths. */
void sntp_encode(unsigned char out[SNTP_PACKET_LEN], const sntp_packet *p);
/* Read the first 48 bytes of buf without checking them. SNTP_ERR_SHORT if
 * len < 48, else SNTP_OK. */
int sntp_decode(sntp_packet *p, const void *buf, size_t len);

/* A version 4 client request whose transmit timestamp is xmit (which should
 * be unique per request: it comes back as the reply's originate timestamp). */
void sntp_build_request(unsigned char out[SNTP_PACKET_LEN], uint64_t xmit);

/*
 * Decode and check a datagram received by a server. Accepted: 48 bytes or
 * more (extension fields and MAC are ignored), version 1..4, mode 3, a
 * non-zero transmit timestamp. Returns SNTP_OK, or the first failed check;
 * *req is filled as far as the packet was long enough to decode.
 */
int sntp_parse_request(sntp_packet *req, const void *buf, size_t len);

/*
 * A server reply to req: leap 0, req's version, mode 4, stratum 1, reference
 * id "ROTS", poll copied from req, originate = req's transmit, receive = recv,
 * transmit = xmit, reference = one second before recv's whole second.
 */
void sntp_build_reply(unsigned char out[SNTP_PACKET_LEN], const sntp_packet *req,
	uint64_t recv, uint64_t xmit);

/*
 * A kiss-o'-death reply to req (RFC 5905 7.4): leap 3 (not synchronised),
 * req's version, mode 4, stratum 0, the four-letter kiss code (such as
 * "RATE" or "DENY") as reference id, originate = req's transmit so that the
 * client can match it to its request, and no time at all: reference, receive
 * and transmit timestamps are zero. A client must not take the time from it.
 */
void sntp_build_kiss(unsigned char out[SNTP_PACKET_LEN], const sntp_packet *req,
	const char code[4]);

/*
 * Decode and check a datagram received by a client that sent a request with
 * transmit timestamp sent_xmit. Accepted: 48 bytes or more, version 1..4,
 * mode 4, leap 0..2, stratum 1..15, originate equal to sent_xmit, non-zero
 * transmit. Returns SNTP_OK or the first failed check (SNTP_ERR_KISS leaves
 * the kiss code, such as "RATE" or "DENY", in rep->ref_id).
 */
int sntp_parse_reply(sntp_packet *rep, const void *buf, size_t len, uint64_t sent_xmit);

/* ---- The responder ---- */

/* One datagram the responder received. */
typedef struct {
	char peer[64];		/* "127.0.0.1:40123" or "[::1]:40123" */
	size_t len;		/* bytes received */
	int status;		/* SNTP_OK if answered, else why it was ignored */
	unsigned version;	/* the request's version (0 if too short to tell) */
	uint64_t client_xmit;	/* the request's transmit timestamp, raw */
	simclock_time client_time; /* the same as Unix time: the client's clock
				    (meaningless when client_xmit is 0) */
	simclock_time sim_time;	/* the simulated time sent as transmit (if answered) */
	char kiss[5];		/* the kiss code sent instead (status SNTP_ERR_KISS) */
} sntp_event;

/* Called once per datagram by sntp_server_handle(); ev is valid only during
 * the call. */
typedef void (*sntp_event_fn)(void *ctx, const sntp_event *ev);

/* A responder. The caller owns the struct; open it with sntp_server_open(),
 * release it with sntp_server_close(). */
typedef struct {
	int fd;			/* -1 when closed */
	const simclock *clk;	/* borrowed: must outlive the responder */
	uint16_t port;		/* the bound port */
	unsigned long answered, ignored;	/* counters since open */
	char kiss[5];		/* "": answer with the time; else this kiss code */
} sntp_server;

/*
 * Bind a non-blocking UDP socket. addr_port is "HOST:PORT", "[V6]:PORT" or
 * "PORT" with a numeric host; NULL or "" means "127.0.0.1:0". Port 0 lets the
 * kernel pick one (read it with sntp_server_port()). The responder reads the
 * time from clk at each request, so the caller may step or re-set clk while it
 * runs. Returns 0, or -1 with a message in err and s->fd == -1 (so
 * sntp_server_close() is still safe).
 */
int sntp_server_open(sntp_server *s, const char *addr_port, const simclock *clk,
	char *err, size_t errlen);

/* From now on answer every valid request with a kiss-o'-death of this code
 * (four characters; longer codes are cut, shorter padded with NULs), or with
 * the time again when code is NULL or "". Such requests are reported with
 * status SNTP_ERR_KISS and the code in the event's kiss. */
void sntp_server_set_kiss(sntp_server *s, const char *code);

/* The bound port, and the socket to poll for POLLIN (-1 when closed). */
uint16_t sntp_server_port(const sntp_server *s);
int sntp_server_fd(const sntp_server *s);

/*
 * Read and answer the pending datagrams (at most 64 per call, so a flood does
 * not starve the caller's other work) without blocking; call it when the fd
 * polls readable. Each datagram is reported through fn (which may be NULL)
 * whether it was answered or ignored. Returns the number of datagrams read
 * (0 if none was pending), or -1 with err if the socket failed; a failed
 * send of one reply is not a failure of the responder.
 */
int sntp_server_handle(sntp_server *s, sntp_event_fn fn, void *ctx,
	char *err, size_t errlen);

/* Close the socket. NULL-safe, and safe to call twice. */
void sntp_server_close(sntp_server *s);

/* ---- The client ---- */

/*
 * Ask the server at host_port ("HOST:PORT", "[V6]:PORT", or "HOST" for port
 * 123; the host may be a name) for the time: one request, then wait up to
 * timeout_ms for a reply that passes sntp_parse_reply(), ignoring others.
 * *unix_time is the server's transmit time plus half the round trip, in whole
 * seconds. Returns 0, or -1 with err (no reply in time, the port refused,
 * a kiss-o'-death, a bad address).
 */
int sntp_query(const char *host_port, int timeout_ms, int64_t *unix_time,
	char *err, size_t errlen);

#endif
