/*
 * The wolfSSL 5.5 backend of tls.h, as an integrator writes it:
 * wolfSSL_CTX_new(wolfSSLv23_client_method()), each anchor loaded with
 * wolfSSL_CTX_load_verify_buffer() and the default load flags (one that does
 * not load is skipped, the device goes on with the others), WOLFSSL_VERIFY_PEER
 * without a callback, wolfSSL_UseSNI() and wolfSSL_check_domain_name() for
 * the name. As measured (tests/stacks.tsv, dst-expiry-long-legacy-dst), an
 * anchor's own dates are not checked, as with BearSSL.
 *
 * Chain building: Debian builds wolfSSL with WOLFSSL_ALT_CERT_CHAINS
 * (wolfssl/options.h), so a presented intermediate that does not verify is
 * skipped when a later one reaches an anchor; an upstream default build
 * lacks it. It is a build switch, not a run-time one, so there is no second
 * variant here.
 *
 * The device's time: wolfSSL's ASN code reads the time through wc_Time(),
 * which calls the callback set with wc_SetTimeCb() (wolfcrypt/asn_public.h;
 * exported by Debian's build); the agent points it at the device's clock.
 *
 * Pins (TRUST_PIN_LEAF): curl's way with wolfSSL (CURLOPT_PINNEDPUBLICKEY):
 * the handshake runs with WOLFSSL_VERIFY_NONE, then the leaf
 * (wolfSSL_get_peer_certificate, wolfSSL_X509_get_der) has the SHA-256 of its
 * SubjectPublicKeyInfo compared with the pins; a mismatch closes the
 * connection with curl's error name. TRUST_INSECURE is WOLFSSL_VERIFY_NONE.
 */
#include "tls.h"

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char tls_stack[] = "wolfssl";
const char *const tls_variants[] = { "default", NULL };

struct tls_session {
	WOLFSSL_CTX *ctx;
	WOLFSSL *ssl;
	int pin;
	int pin_checked;
	int up;
};

/* The device's clock for wc_SetTimeCb(). */
static const tls_config *time_cfg;

static time_t
device_time(time_t *t)
{
	time_t now = (time_t)time_cfg->now(time_cfg->now_ctx);

	if (t != NULL)
		*t = now;
	return now;
}

/* wolfSSL's error codes by name (error-ssl.h, wolfcrypt/error-crypt.h). */
#define E(code, cls) { code, #code, cls }
static const struct { int code; const char *name; int cls; } errs[] = {
	E(ASN_NO_SIGNER_E, TLS_E_UNTRUSTED),
	E(ASN_SELF_SIGNED_E, TLS_E_UNTRUSTED),
	E(ASN_AFTER_DATE_E, TLS_E_EXPIRED),
	E(ASN_BEFORE_DATE_E, TLS_E_EXPIRED),
	E(ASN_SIG_CONFIRM_E, TLS_E_SIGNATURE),
	E(ASN_SIG_OID_E, TLS_E_SIGNATURE),
	E(ASN_SIG_HASH_E, TLS_E_CERT),
	E(ASN_SIG_KEY_E, TLS_E_CERT),
	E(ASN_CRIT_EXT_E, TLS_E_CERT),
	E(ASN_NAME_INVALID_E, TLS_E_CERT),
	E(ASN_PATHLEN_SIZE_E, TLS_E_CERT),
	E(ASN_PATHLEN_INV_E, TLS_E_CERT),
	E(ASN_PARSE_E, TLS_E_CERT),
	E(DOMAIN_NAME_MISMATCH, TLS_E_NAME),
	E(VERIFY_CERT_ERROR, TLS_E_UNTRUSTED),
	E(NO_PEER_CERT, TLS_E_CERT),
	E(FATAL_ERROR, TLS_E_ALERT),
	E(SOCKET_ERROR_E, TLS_E_IO),
	E(SOCKET_PEER_CLOSED_E, TLS_E_IO),
	E(SOCKET_NODATA, TLS_E_IO),
	E(ZERO_RETURN, TLS_E_IO),
};
#undef E

static int
wl_fail(tls_session *s, int r, tls_error *err)
{
	int e = s->ssl != NULL ? wolfSSL_get_error(s->ssl, r) : r;
	char text[WOLFSSL_MAX_ERROR_SZ];
	size_t i;

	wolfSSL_ERR_error_string_n((unsigned long)e, text, sizeof text);
	for (i = 0; i < sizeof errs / sizeof errs[0]; i++)
		if (errs[i].code == e)
			break;
	tls_fail(err, i < sizeof errs / sizeof errs[0] ? errs[i].cls : TLS_E_PROTOCOL, e,
		i < sizeof errs / sizeof errs[0] ? errs[i].name : "WOLFSSL_ERROR_OTHER", text);
	return -1;
}

/* see tls.h */
tls_session *
tls_new(void)
{
	tls_session *s = xcalloc(1, sizeof *s);

	/* The library writes to the socket with send() without MSG_NOSIGNAL:
	 * a server that hangs up must not kill the device. */
	signal(SIGPIPE, SIG_IGN);
	wolfSSL_Init();
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
	wolfSSL_Cleanup();
}

/* The leaf against the pins after the handshake (see the top). */
static int
check_pin(tls_session *s, const tls_config *cfg, tls_error *err)
{
	WOLFSSL_X509 *x = wolfSSL_get_peer_certificate(s->ssl);
	const unsigned char *der;
	int len = 0;

	s->pin_checked = 1;
	der = x != NULL ? wolfSSL_X509_get_der(x, &len) : NULL;
	s->pin = der != NULL && len > 0 ? tls_pin_match(cfg->trust, der, (size_t)len) : -1;
	wolfSSL_X509_free(x);
	if (s->pin >= 0)
		return 0;
	return tls_fail(err, TLS_E_PIN, 90, "CURLE_SSL_PINNEDPUBKEYNOTMATCH",
		"the leaf's public key matches no pin");
}

/* see tls.h */
int
tls_handshake(tls_session *s, int fd, const tls_config *cfg, tls_error *err)
{
	size_t i;
	int r;

	tls_close(s);
	s->pin = -1;
	s->pin_checked = 0;
	time_cfg = cfg;
	wc_SetTimeCb(device_time);
	if ((s->ctx = wolfSSL_CTX_new(wolfSSLv23_client_method())) == NULL)
		return tls_fail(err, TLS_E_INTERNAL, 0, "wolfSSL_CTX_new", "no context");
	for (i = 0; i < cfg->trust->ntas; i++)
		(void)wolfSSL_CTX_load_verify_buffer(s->ctx, cfg->trust->certs[i].der,
			(long)cfg->trust->certs[i].len, WOLFSSL_FILETYPE_ASN1);
	wolfSSL_CTX_set_verify(s->ctx, cfg->mode == TRUST_ANCHORS ? WOLFSSL_VERIFY_PEER
		: WOLFSSL_VERIFY_NONE, NULL);
	if ((s->ssl = wolfSSL_new(s->ctx)) == NULL)
		return tls_fail(err, TLS_E_INTERNAL, 0, "wolfSSL_new", "no session");
	if (wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, cfg->server_name,
		(unsigned short)strlen(cfg->server_name)) != WOLFSSL_SUCCESS
		|| (cfg->mode == TRUST_ANCHORS
			&& wolfSSL_check_domain_name(s->ssl, cfg->server_name) != WOLFSSL_SUCCESS)
		|| wolfSSL_set_fd(s->ssl, fd) != WOLFSSL_SUCCESS)
		return tls_fail(err, TLS_E_INTERNAL, 0, "wolfSSL_new", "session setup");
	r = wolfSSL_connect(s->ssl);
	if (r != WOLFSSL_SUCCESS)
		return wl_fail(s, r, err);
	s->up = 1;
	if (cfg->mode == TRUST_PIN_LEAF && check_pin(s, cfg, err) != 0)
		return -1;
	return 0;
}

/* see tls.h */
int
tls_write(tls_session *s, const void *buf, size_t len, tls_error *err)
{
	const unsigned char *p = buf;

	while (len > 0) {
		int r = wolfSSL_write(s->ssl, p, (int)(len > 16384 ? 16384 : len));

		if (r <= 0)
			return wl_fail(s, r, err);
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
	int r = wolfSSL_read(s->ssl, buf, (int)(len > 65536 ? 65536 : len));

	return r > 0 ? r : wl_fail(s, r, err);
}

/* see tls.h */
void
tls_close(tls_session *s)
{
	if (s->up)
		wolfSSL_shutdown(s->ssl);
	wolfSSL_free(s->ssl);
	wolfSSL_CTX_free(s->ctx);
	s->ssl = NULL;
	s->ctx = NULL;
	s->up = 0;
}

/* see tls.h */
const char *
tls_version(const tls_session *s)
{
	const char *v = wolfSSL_get_version(s->ssl);

	return strcmp(v, "TLSv1.2") == 0 ? "TLS1.2" : strcmp(v, "TLSv1.3") == 0 ? "TLS1.3"
		: "other";
}

/* see tls.h */
unsigned
tls_suite(const tls_session *s)
{
	return (unsigned)wolfSSL_get_current_cipher_suite(s->ssl) & 0xffff;
}

/* see tls.h */
int
tls_pin_index(const tls_session *s)
{
	return s->pin_checked ? s->pin : -1;
}
