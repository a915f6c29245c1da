/*
 * The HTTP/1.1 request parser of the update server: a pure function on a
 * buffer (no I/O, no allocation), so it can be tested and fuzzed alone.
 *
 * What it accepts is deliberately small: a request line
 * "METHOD SP /target SP HTTP/1.x", header fields "Name: value", lines ending
 * in CRLF or a bare LF, and a body only through Content-Length (Transfer-Encoding
 * is refused with 501, as a server may when it does not implement it).
 * Limits: SRV_HTTP_MAX_HEAD bytes of head (431 beyond), SRV_HTTP_MAX_BODY bytes
 * of body (413 beyond), targets of at most SRV_HTTP_MAX_TARGET bytes (414).
 */
#ifndef ROTSIM_SRV_HTTP_H
#define ROTSIM_SRV_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define SRV_HTTP_MAX_HEAD 8192
#define SRV_HTTP_MAX_BODY 65536
#define SRV_HTTP_MAX_TARGET 1024

typedef struct {
	char method[16];
	char target[SRV_HTTP_MAX_TARGET + 1];
	int minor;		/* HTTP/1.minor: 0 or 1 */
	int keep_alive;		/* 1 if the connection may carry another request */
	char range[128];	/* the Range header's value, "" if none */
	char host[256];		/* the Host header's value, "" if none */
	int has_range;
	size_t head_len;	/* bytes of the request line and header fields */
	size_t body_len;	/* Content-Length; the body follows the head */
} srv_http_req;

/*
 * Parse the request at the start of buf[0..len). Leading empty lines are
 * skipped (and counted in head_len). Returns:
 *   > 0  the request is complete; the value is head_len + body_len, the bytes
 *        to consume (the body is at buf + head_len);
 *     0  more bytes are needed;
 *    -1  the request is malformed; *status is the HTTP status to answer with
 *        (400, 413, 414, 431, 501 or 505) and the connection must be closed.
 */
long srv_http_parse(srv_http_req *r, const void *buf, size_t len, int *status);

/*
 * Resolve r's Range header against a representation of size bytes (RFC 7233,
 * one byte range: "bytes=F-L", "bytes=F-", "bytes=-N"). Returns 1 and sets
 * [*first, *last] for a 206; 0 when the whole representation should be sent
 * (no Range, a unit other than bytes, several ranges, a malformed value: a
 * server may ignore Range); -1 when the range is not satisfiable (416).
 */
int srv_http_range(const srv_http_req *r, uint64_t size, uint64_t *first,
	uint64_t *last);

/* The reason phrase of a status ("Partial Content"), "Unknown" if unknown. */
const char *srv_http_reason(int status);

#endif
