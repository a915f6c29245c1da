/*
 * The device's link to the update server: TCP, TLS through the agent's one
 * TLS interface (tls.h) with the device's trust, and the few HTTP/1.1
 * exchanges the update protocol needs, over one connection kept alive
 * between requests.
 *
 * The caller owns the net_conn (net_init() allocates its TLS session,
 * net_free() releases it). Every function returns 0 or -1 and leaves the
 * reason in the connection (net_conn.err_kind, .tls_err, .msg); nothing here
 * prints.
 */
#ifndef ROTSIM_FW_NET_H
#define ROTSIM_FW_NET_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "tls.h"
#include "common/trust.h"

/* Why the last operation failed. */
enum {
	NET_OK = 0,
	NET_ERR_CONNECT,	/* no TCP connection (refused, timeout) */
	NET_ERR_TLS,		/* the handshake failed: tls_err says why */
	NET_ERR_IO,		/* the connection broke after the handshake */
	NET_ERR_HTTP		/* a malformed or oversized response */
};

typedef struct {
	int status;		/* 200, 206, 503, ... */
	uint64_t content_length;
	int has_length;
	uint64_t range_first, range_last, range_total;	/* Content-Range */
	int has_range;
	long retry_after;	/* seconds, -1 if absent */
	int close;		/* Connection: close */
} net_resp;

typedef struct {
	/* Set by the caller before net_connect(). */
	struct sockaddr_in addr;
	tls_config tls;			/* server_name, trust, time, variant */
	int timeout_ms;
	int nodelay;			/* TCP_NODELAY (the agent leaves it off
					   unless --tcp-nodelay) */
	/* State. */
	int fd;				/* -1 when not connected */
	int tls_up;
	tls_session *ts;
	unsigned char rbuf[8192];	/* bytes read past a response head */
	size_t rpos, rlen;
	/* The last failure. */
	int err_kind;
	tls_error tls_err;		/* the TLS layer's, for NET_ERR_TLS and _IO */
	int sys_errno;
	char msg[256];
} net_conn;

/* Prepare a connection (not connected) and allocate its TLS session. */
void net_init(net_conn *c);

/* Close and release the TLS session. NULL-safe. */
void net_free(net_conn *c);

/* TCP connect with a timeout, then the TLS handshake. */
int net_connect(net_conn *c);

/* Close the connection (sends close_notify if the TLS session is up).
 * Safe to call when not connected. */
void net_close(net_conn *c);

/*
 * Send a request: method, path, optional Range start (range_from < 0: none),
 * optional body with its content type. Then read the response head into *r.
 */
int net_request(net_conn *c, const char *method, const char *path, long long range_from,
	const char *ctype, const void *body, size_t blen, net_resp *r);

/*
 * Read up to len bytes of the response body into buf. Returns the number read
 * (> 0), or -1 when the connection broke (err_kind NET_ERR_IO).
 */
long net_read_body(net_conn *c, void *buf, size_t len);

/* Read and drop n bytes of body. */
int net_skip_body(net_conn *c, uint64_t n);

/* Parse a response head (through the empty line) into *r. Returns 0 or -1.
 * Pure: exposed for tests. */
int net_parse_head(net_resp *r, const char *head, size_t len);

#endif
