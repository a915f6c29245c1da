/*
 * The mbedTLS 2.28 backend of tls.h, as an integrator writes it (the
 * ssl_client1 example's shape): mbedtls_ssl_config_defaults() for a client
 * with MBEDTLS_SSL_PRESET_DEFAULT, MBEDTLS_SSL_VERIFY_REQUIRED, the anchors
 * parsed into one mbedtls_x509_crt chain given to mbedtls_ssl_conf_ca_chain(),
 * mbedtls_ssl_set_hostname() for SNI and the name check, and the library's
 * own chain building (x509_crt_verify_chain).
 *
 * The device's time: Debian builds mbedTLS with MBEDTLS_HAVE_TIME_DATE and
 * without MBEDTLS_PLATFORM_TIME_ALT (mbedtls/config.h), so validity is
 * checked against the C library's time(), the way a device's mbedTLS reads
 * its libc clock. The agent is that libc clock: this file defines time()
 * to return the device's clock once a handshake is configured (the host's
 * clock before), and the library's call to time() binds to it.
 *
 * Variant "no-time-date": the certificate bundle of ESP-IDF and many other
 * embedded builds leave MBEDTLS_HAVE_TIME_DATE off, so no date is ever
 * checked. Debian's library has it on; the variant clears the date flags
 * (MBEDTLS_X509_BADCERT_EXPIRED, _FUTURE) in the verify callback
 * (mbedtls_ssl_conf_verify), which is what that build reports. (Parent
 * selection in such a build also ignores dates; here it still prefers a
 * parent valid at the device's time.)
 *
 * Pins (TRUST_PIN_LEAF): curl's way with mbedTLS (CURLOPT_PINNEDPUBLICKEY):
 * a device with pins only has no CA chain, and mbedTLS refuses to verify
 * without one (MBEDTLS_ERR_SSL_CA_CHAIN_REQUIRED), so the handshake runs with
 * MBEDTLS_SSL_VERIFY_NONE and then the SHA-256 of the peer leaf's
 * SubjectPublicKeyInfo (mbedtls_ssl_get_peer_cert()->pk_raw) is compared
 * with the pins; a mismatch closes the connection with curl's error name.
 * TRUST_INSECURE is MBEDTLS_SSL_VERIFY_NONE.
 */
#include "tls.h"

#include <errno.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/sha256.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

const char tls_stack[] = "mbedtls";
const char *const tls_variants[] = { "default", "no-time-date", NULL };

struct tls_session {
	int fd;
	int ready;		/* the contexts below are initialised */
	int up;
	int mode;
	int no_time;
	const trust_store *trust;
	int pin;
	int pin_checked;
	mbedtls_ssl_context ssl;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/* The device's clock, as the C library's time() (see the comment at the
 * top). Before a handshake names the device's clock, the host's. */
static const tls_config *time_cfg;

time_t
time(time_t *t)
{
	struct timespec ts;
	time_t now;

	if (time_cfg != NULL) {
		now = (time_t)time_cfg->now(time_cfg->now_ctx);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		now = ts.tv_sec;
	}
	if (t != NULL)
		*t = now;
	return now;
}

/* Verification flags by name (x509.h), the most telling first. */
static const struct { uint32_t bit; const char *name; int cls; } badcerts[] = {
	{ MBEDTLS_X509_BADCERT_EXPIRED, "MBEDTLS_X509_BADCERT_EXPIRED", TLS_E_EXPIRED },
	{ MBEDTLS_X509_BADCERT_FUTURE, "MBEDTLS_X509_BADCERT_FUTURE", TLS_E_EXPIRED },
	{ MBEDTLS_X509_BADCERT_CN_MISMATCH, "MBEDTLS_X509_BADCERT_CN_MISMATCH", TLS_E_NAME },
	{ MBEDTLS_X509_BADCERT_KEY_USAGE, "MBEDTLS_X509_BADCERT_KEY_USAGE", TLS_E_CERT },
	{ MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "MBEDTLS_X509_BADCERT_EXT_KEY_USAGE", TLS_E_CERT },
	{ MBEDTLS_X509_BADCERT_BAD_MD, "MBEDTLS_X509_BADCERT_BAD_MD", TLS_E_CERT },
	{ MBEDTLS_X509_BADCERT_BAD_PK, "MBEDTLS_X509_BADCERT_BAD_PK", TLS_E_CERT },
	{ MBEDTLS_X509_BADCERT_BAD_KEY, "MBEDTLS_X509_BADCERT_BAD_KEY", TLS_E_CERT },
	{ MBEDTLS_X509_BADCERT_OTHER, "MBEDTLS_X509_BADCERT_OTHER", TLS_E_CERT },
	{ MBEDTLS_X509_BADCERT_NOT_TRUSTED, "MBEDTLS_X509_BADCERT_NOT_TRUSTED", TLS_E_UNTRUSTED },
};

/* Library errors by name (ssl.h, net_sockets.h): the ones a handshake meets. */
static const struct { int code; const char *name; int cls; } errs[] = {
	{ MBEDTLS_ERR_NET_RECV_FAILED, "MBEDTLS_ERR_NET_RECV_FAILED", TLS_E_IO },
	{ MBEDTLS_ERR_NET_SEND_FAILED, "MBEDTLS_ERR_NET_SEND_FAILED", TLS_E_IO },
	{ MBEDTLS_ERR_NET_CONN_RESET, "MBEDTLS_ERR_NET_CONN_RESET", TLS_E_IO },
	{ MBEDTLS_ERR_SSL_CONN_EOF, "MBEDTLS_ERR_SSL_CONN_EOF", TLS_E_IO },
	{ MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY, "MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY", TLS_E_IO },
	{ MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE, "MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE", TLS_E_ALERT },
	{ MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE, "MBEDTLS_ERR_SSL_BAD_HS_CERTIFICATE", TLS_E_CERT },
	{ MBEDTLS_ERR_X509_CERT_VERIFY_FAILED, "MBEDTLS_ERR_X509_CERT_VERIFY_FAILED", TLS_E_UNTRUSTED },
};

static int
mb_fail(tls_session *s, int r, tls_error *err)
{
	char text[160];
	size_t i;

	if (r == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && s->ready) {
		uint32_t f = mbedtls_ssl_get_verify_result(&s->ssl);

		for (i = 0; i < sizeof badcerts / sizeof badcerts[0]; i++)
			if (f & badcerts[i].bit)
				break;
		if (i < sizeof badcerts / sizeof badcerts[0]) {
			mbedtls_x509_crt_verify_info(text, sizeof text, "", f);
			text[strcspn(text, "\n")] = 0;
			return tls_fail(err, badcerts[i].cls, (long)f, badcerts[i].name, text);
		}
	}
	mbedtls_strerror(r, text, sizeof text);
	for (i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].code == r)
			break;
	tls_fail(err, i < sizeof errs / sizeof errs[0] ? errs[i].cls : TLS_E_PROTOCOL, r,
		i < sizeof errs / sizeof errs[0] ? errs[i].name : "MBEDTLS_ERR_OTHER", text);
	if (r == MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE && s->ready)
		err->alert = s->ssl.in_msg != NULL ? s->ssl.in_msg[1] : -1;
	return -1;
}

/* The transport: whole sends and reads on the blocking socket. */
static int
bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	tls_session *s = ctx;
	ssize_t w;

	do
		w = send(s->fd, buf, len, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	return w < 0 ? (errno == EPIPE || errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
		: MBEDTLS_ERR_NET_SEND_FAILED) : (int)w;
}

static int
bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	tls_session *s = ctx;
	ssize_t r;

	do
		r = read(s->fd, buf, len);
	while (r < 0 && errno == EINTR);
	return r < 0 ? (errno == ECONNRESET ? MBEDTLS_ERR_NET_CONN_RESET
		: MBEDTLS_ERR_NET_RECV_FAILED) : (int)r;
}

/* The verify callback of the "no-time-date" variant (see the top). */
static int
verify_cb(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	(void)ctx;
	(void)crt;
	(void)depth;
	*flags &= ~(uint32_t)(MBEDTLS_X509_BADCERT_EXPIRED | MBEDTLS_X509_BADCERT_FUTURE);
	return 0;
}

/* The leaf against the pins after the handshake (see the top). */
static int
check_pin(tls_session *s, tls_error *err)
{
	const mbedtls_x509_crt *leaf = mbedtls_ssl_get_peer_cert(&s->ssl);
	unsigned char h[32];
	size_t i;

	s->pin_checked = 1;
	s->pin = -1;
	if (leaf != NULL && mbedtls_sha256_ret(leaf->pk_raw.p, leaf->pk_raw.len, h, 0) == 0)
		for (i = 0; i < s->trust->npins && s->pin < 0; i++)
			if (memcmp(h, s->trust->pins[i], 32) == 0)
				s->pin = (int)i;
	if (s->pin >= 0)
		return 0;
	return tls_fail(err, TLS_E_PIN, 90, "CURLE_SSL_PINNEDPUBKEYNOTMATCH",
		"the leaf's public key matches no pin");
}

/* see tls.h */
tls_session *
tls_new(void)
{
	tls_session *s = xcalloc(1, sizeof *s);

	s->fd = -1;
	s->pin = -1;
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
	static const char pers[] = "rotsim-agent";
	size_t i;
	int r;

	tls_close(s);
	s->fd = fd;
	s->mode = cfg->mode;
	s->trust = cfg->trust;
	s->no_time = strcmp(tls_variants[cfg->variant], "no-time-date") == 0;
	s->pin = -1;
	s->pin_checked = 0;
	time_cfg = cfg;
	mbedtls_ssl_init(&s->ssl);
	mbedtls_ssl_config_init(&s->conf);
	mbedtls_x509_crt_init(&s->ca);
	mbedtls_entropy_init(&s->entropy);
	mbedtls_ctr_drbg_init(&s->drbg);
	s->ready = 1;
	if ((r = mbedtls_ctr_drbg_seed(&s->drbg, mbedtls_entropy_func, &s->entropy,
		(const unsigned char *)pers, sizeof pers - 1)) != 0)
		return mb_fail(s, r, err);
	for (i = 0; i < cfg->trust->ntas; i++)
		if ((r = mbedtls_x509_crt_parse_der(&s->ca, cfg->trust->certs[i].der,
			cfg->trust->certs[i].len)) != 0)
			return mb_fail(s, r, err);
	if ((r = mbedtls_ssl_config_defaults(&s->conf, MBEDTLS_SSL_IS_CLIENT,
		MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT)) != 0)
		return mb_fail(s, r, err);
	mbedtls_ssl_conf_rng(&s->conf, mbedtls_ctr_drbg_random, &s->drbg);
	mbedtls_ssl_conf_authmode(&s->conf, cfg->mode == TRUST_ANCHORS
		? MBEDTLS_SSL_VERIFY_REQUIRED : MBEDTLS_SSL_VERIFY_NONE);
	mbedtls_ssl_conf_ca_chain(&s->conf, cfg->trust->ntas > 0 ? &s->ca : NULL, NULL);
	if (s->no_time)
		mbedtls_ssl_conf_verify(&s->conf, verify_cb, s);
	if ((r = mbedtls_ssl_setup(&s->ssl, &s->conf)) != 0
		|| (r = mbedtls_ssl_set_hostname(&s->ssl, cfg->server_name)) != 0)
		return mb_fail(s, r, err);
	mbedtls_ssl_set_bio(&s->ssl, s, bio_send, bio_recv, NULL);
	while ((r = mbedtls_ssl_handshake(&s->ssl)) != 0)
		if (r != MBEDTLS_ERR_SSL_WANT_READ && r != MBEDTLS_ERR_SSL_WANT_WRITE)
			return mb_fail(s, r, err);
	s->up = 1;
	if (cfg->mode == TRUST_PIN_LEAF && check_pin(s, err) != 0)
		return -1;
	return 0;
}

/* see tls.h */
int
tls_write(tls_session *s, const void *buf, size_t len, tls_error *err)
{
	const unsigned char *p = buf;

	while (len > 0) {
		int r = mbedtls_ssl_write(&s->ssl, p, len);

		if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE)
			continue;
		if (r < 0)
			return mb_fail(s, r, err);
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* see tls.h */
int
tls_flush(tls_session *s, tls_error *err)
{
	(void)s;
	(void)err;
	return 0;
}

/* see tls.h */
long
tls_read(tls_session *s, void *buf, size_t len, tls_error *err)
{
	int r;

	do
		r = mbedtls_ssl_read(&s->ssl, buf, len);
	while (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE);
	if (r == 0)
		return tls_fail(err, TLS_E_IO, 0, "MBEDTLS_ERR_SSL_CONN_EOF", "end of stream");
	return r > 0 ? r : mb_fail(s, r, err);
}

/* see tls.h */
void
tls_close(tls_session *s)
{
	if (s->up)
		mbedtls_ssl_close_notify(&s->ssl);
	if (s->ready) {
		mbedtls_ssl_free(&s->ssl);
		mbedtls_ssl_config_free(&s->conf);
		mbedtls_x509_crt_free(&s->ca);
		mbedtls_ctr_drbg_free(&s->drbg);
		mbedtls_entropy_free(&s->entropy);
	}
	s->ready = 0;
	s->up = 0;
	s->fd = -1;
}

/* see tls.h */
const char *
tls_version(const tls_session *s)
{
	const char *v = mbedtls_ssl_get_version(&s->ssl);

	return strcmp(v, "TLSv1.2") == 0 ? "TLS1.2" : "other";
}

/* see tls.h */
unsigned
tls_suite(const tls_session *s)
{
	return (unsigned)mbedtls_ssl_get_ciphersuite_id(mbedtls_ssl_get_ciphersuite(&s->ssl));
}

/* see tls.h */
int
tls_pin_index(const tls_session *s)
{
	return s->pin_checked ? s->pin : -1;
}
