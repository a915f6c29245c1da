/*
 * The BearSSL backend of tls.h: br_ssl_client with br_x509_minimal against
 * the device's anchors at the device's time (TRUST_ANCHORS), or the lax
 * engine of trust.h (pins, insecure). TLS 1.2 only, as the reference device
 * has always spoken.
 */
#include "tls.h"

#include <bearssl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/util.h"
#include "time/simtime.h"

#include "console.h"

const char tls_stack[] = "bearssl";
const char *const tls_variants[] = { "default", NULL };

struct tls_session {
	int fd;
	int up;
	int mode;
	br_ssl_client_context cc;
	br_x509_minimal_context xc;
	trust_lax_context lax;
	br_sslio_context io;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

/* The engine's transport callbacks: whole reads and writes on a blocking
 * socket with timeouts; end of file and errors are both -1 to BearSSL. */
static int
sock_read(void *ctx, unsigned char *buf, size_t len)
{
	int fd = *(int *)ctx;

	for (;;) {
		ssize_t r = read(fd, buf, len);

		if (r < 0 && errno == EINTR)
			continue;
		return r <= 0 ? -1 : (int)r;
	}
}

static int
sock_write(void *ctx, const unsigned char *buf, size_t len)
{
	int fd = *(int *)ctx;

	for (;;) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		return w <= 0 ? -1 : (int)w;
	}
}

/* The class of a BearSSL error code; X.509 codes not listed are TLS_E_CERT,
 * others TLS_E_PROTOCOL. */
static int
br_class(int e, int mode)
{
	static const struct { int err, cls; } map[] = {
		{ BR_ERR_IO, TLS_E_IO },
		{ BR_ERR_X509_NOT_TRUSTED, TLS_E_UNTRUSTED },
		{ BR_ERR_X509_DN_MISMATCH, TLS_E_UNTRUSTED },
		{ BR_ERR_X509_EXPIRED, TLS_E_EXPIRED },
		{ BR_ERR_X509_TIME_UNKNOWN, TLS_E_EXPIRED },
		{ BR_ERR_X509_BAD_SERVER_NAME, TLS_E_NAME },
		{ BR_ERR_X509_BAD_SIGNATURE, TLS_E_SIGNATURE },
	};
	size_t i;

	if (e == BR_ERR_X509_NOT_TRUSTED && mode == TRUST_PIN_LEAF)
		return TLS_E_PIN;
	for (i = 0; i < sizeof map / sizeof map[0]; i++)
		if (map[i].err == e)
			return map[i].cls;
	if (e >= BR_ERR_RECV_FATAL_ALERT)
		return TLS_E_ALERT;
	return e > BR_ERR_X509_OK && e <= BR_ERR_X509_NOT_TRUSTED ? TLS_E_CERT : TLS_E_PROTOCOL;
}

/* The engine's last error into *err; an engine that stopped without one
 * lost its transport (BR_ERR_IO). */
static int
br_fail(tls_session *s, tls_error *err)
{
	int e = br_ssl_engine_last_error(&s->cc.eng);
	const char *name;

	if (e == 0)
		e = BR_ERR_IO;
	name = con_error_name(e);
	tls_fail(err, br_class(e, s->mode), e, name != NULL ? name : "unknown",
		con_error_text(e));
	if (e >= BR_ERR_RECV_FATAL_ALERT) {
		err->alert_from_device = e >= BR_ERR_SEND_FATAL_ALERT;
		err->alert = err->alert_from_device ? e - BR_ERR_SEND_FATAL_ALERT
			: e - BR_ERR_RECV_FATAL_ALERT;
	}
	return -1;
}

/* see tls.h */
tls_session *
tls_new(void)
{
	tls_session *s = xcalloc(1, sizeof *s);

	s->fd = -1;
	return s;
}

/* see tls.h */
void
tls_free(tls_session *s)
{
	if (s == NULL)
		return;
	tls_close(s);
	free(s);
}

/* see tls.h */
int
tls_handshake(tls_session *s, int fd, const tls_config *cfg, tls_error *err)
{
	br_ssl_engine_context *eng = &s->cc.eng;
	uint32_t days, secs;

	tls_close(s);
	s->fd = fd;
	s->mode = cfg->mode;
	br_ssl_client_init_full(&s->cc, &s->xc, cfg->trust->tas, cfg->trust->ntas);
	simtime_to_bearssl(cfg->now(cfg->now_ctx), &days, &secs);
	br_x509_minimal_set_time(&s->xc, days, secs);
	if (cfg->mode != TRUST_ANCHORS) {
		trust_lax_init(&s->lax, cfg->mode, cfg->trust);
		br_ssl_engine_set_x509(eng, &s->lax.vtable);
	}
	br_ssl_engine_set_versions(eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_buffer(eng, s->iobuf, sizeof s->iobuf, 1);
	if (!br_ssl_client_reset(&s->cc, cfg->server_name, 0))
		return br_fail(s, err);
	br_sslio_init(&s->io, eng, sock_read, &s->fd, sock_write, &s->fd);
	/* A flush with nothing to send runs the handshake to its end. */
	if (br_sslio_flush(&s->io) != 0 || br_ssl_engine_current_state(eng) == BR_SSL_CLOSED)
		return br_fail(s, err);
	s->up = 1;
	return 0;
}

/* see tls.h */
int
tls_write(tls_session *s, const void *buf, size_t len, tls_error *err)
{
	if (br_sslio_write_all(&s->io, buf, len) != 0)
		return br_fail(s, err);
	return 0;
}

/* see tls.h */
int
tls_flush(tls_session *s, tls_error *err)
{
	if (br_sslio_flush(&s->io) != 0)
		return br_fail(s, err);
	return 0;
}

/* see tls.h */
long
tls_read(tls_session *s, void *buf, size_t len, tls_error *err)
{
	int n = br_sslio_read(&s->io, buf, len);

	if (n <= 0)
		return br_fail(s, err);
	return n;
}

/* see tls.h */
void
tls_close(tls_session *s)
{
	if (s->up) {
		/* Send close_notify, best effort, without waiting for the server's. */
		br_ssl_engine_context *eng = &s->cc.eng;
		int rounds = 0;

		br_ssl_engine_close(eng);
		while ((br_ssl_engine_current_state(eng) & BR_SSL_SENDREC) && rounds++ < 8) {
			size_t len;
			unsigned char *buf = br_ssl_engine_sendrec_buf(eng, &len);
			int w = sock_write(&s->fd, buf, len);

			if (w < 0)
				break;
			br_ssl_engine_sendrec_ack(eng, (size_t)w);
		}
	}
	s->up = 0;
	s->fd = -1;
}

/* see tls.h */
const char *
tls_version(const tls_session *s)
{
	return br_ssl_engine_get_version(&s->cc.eng) == BR_TLS12 ? "TLS1.2" : "other";
}

/* see tls.h */
unsigned
tls_suite(const tls_session *s)
{
	return s->cc.eng.session.cipher_suite;
}

/* see tls.h */
int
tls_pin_index(const tls_session *s)
{
	return s->mode == TRUST_PIN_LEAF ? s->lax.pin_matched : -1;
}
