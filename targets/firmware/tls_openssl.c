/*
 * The OpenSSL 3.0 backend of tls.h, as a Linux gateway's integrator writes
 * it: SSL_CTX from TLS_client_method(), the anchors added to the context's
 * X509_STORE, SSL_VERIFY_PEER with the library's own chain building and its
 * default flags (trusted-first is the default since 1.1.0), the name checked
 * with X509_VERIFY_PARAM_set1_host, and the device's time given with
 * X509_VERIFY_PARAM_set_time (without it OpenSSL validates at the host's
 * clock).
 *
 * Variants: "partial-chain" sets X509_V_FLAG_PARTIAL_CHAIN (an anchor that is
 * not self-signed, such as an intermediate, ends the chain);
 * "no-alt-chains" sets X509_V_FLAG_NO_ALT_CHAINS (no second try with another
 * chain when the first one fails).
 *
 * Pins (TRUST_PIN_LEAF): a verify callback that accepts every error above
 * the leaf and, at depth 0, compares the SHA-256 of the leaf's
 * SubjectPublicKeyInfo (i2d_X509_PUBKEY) with the pins: the pattern of
 * OpenSSL's pinning examples. TRUST_INSECURE is SSL_VERIFY_NONE.
 */
#include "tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char tls_stack[] = "openssl";
const char *const tls_variants[] = { "default", "partial-chain", "no-alt-chains", NULL };

struct tls_session {
	SSL_CTX *ctx;
	SSL *ssl;
	const trust_store *trust;
	int pin;
	int pin_checked;
};

/* The verification results an update client meets, by name (x509_vfy.h). */
static const struct { int code; const char *name; int cls; } verrs[] = {
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT", TLS_E_UNTRUSTED },
	{ X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, "X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY", TLS_E_UNTRUSTED },
	{ X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, "X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE", TLS_E_UNTRUSTED },
	{ X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, "X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT", TLS_E_UNTRUSTED },
	{ X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN, "X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN", TLS_E_UNTRUSTED },
	{ X509_V_ERR_CERT_UNTRUSTED, "X509_V_ERR_CERT_UNTRUSTED", TLS_E_UNTRUSTED },
	{ X509_V_ERR_CERT_REJECTED, "X509_V_ERR_CERT_REJECTED", TLS_E_UNTRUSTED },
	{ X509_V_ERR_CERT_HAS_EXPIRED, "X509_V_ERR_CERT_HAS_EXPIRED", TLS_E_EXPIRED },
	{ X509_V_ERR_CERT_NOT_YET_VALID, "X509_V_ERR_CERT_NOT_YET_VALID", TLS_E_EXPIRED },
	{ X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD, "X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD", TLS_E_CERT },
	{ X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD, "X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD", TLS_E_CERT },
	{ X509_V_ERR_CERT_SIGNATURE_FAILURE, "X509_V_ERR_CERT_SIGNATURE_FAILURE", TLS_E_SIGNATURE },
	{ X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE, "X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE", TLS_E_SIGNATURE },
	{ X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY, "X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY", TLS_E_CERT },
	{ X509_V_ERR_INVALID_CA, "X509_V_ERR_INVALID_CA", TLS_E_CERT },
	{ X509_V_ERR_PATH_LENGTH_EXCEEDED, "X509_V_ERR_PATH_LENGTH_EXCEEDED", TLS_E_CERT },
	{ X509_V_ERR_INVALID_PURPOSE, "X509_V_ERR_INVALID_PURPOSE", TLS_E_CERT },
	{ X509_V_ERR_KEYUSAGE_NO_CERTSIGN, "X509_V_ERR_KEYUSAGE_NO_CERTSIGN", TLS_E_CERT },
	{ X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION, "X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION", TLS_E_CERT },
	{ X509_V_ERR_PERMITTED_VIOLATION, "X509_V_ERR_PERMITTED_VIOLATION", TLS_E_CERT },
	{ X509_V_ERR_EXCLUDED_VIOLATION, "X509_V_ERR_EXCLUDED_VIOLATION", TLS_E_CERT },
	{ X509_V_ERR_CA_KEY_TOO_SMALL, "X509_V_ERR_CA_KEY_TOO_SMALL", TLS_E_CERT },
	{ X509_V_ERR_EE_KEY_TOO_SMALL, "X509_V_ERR_EE_KEY_TOO_SMALL", TLS_E_CERT },
	{ X509_V_ERR_CA_MD_TOO_WEAK, "X509_V_ERR_CA_MD_TOO_WEAK", TLS_E_CERT },
	{ X509_V_ERR_HOSTNAME_MISMATCH, "X509_V_ERR_HOSTNAME_MISMATCH", TLS_E_NAME },
	{ X509_V_ERR_APPLICATION_VERIFICATION, "X509_V_ERR_APPLICATION_VERIFICATION", TLS_E_PIN },
};

/* Leaf pins in the verify callback (see the comment at the top). */
static int
pin_verify(int ok, X509_STORE_CTX *x)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
	tls_session *s = SSL_get_app_data(ssl);
	X509 *leaf = X509_STORE_CTX_get_current_cert(x);
	unsigned char *der = NULL, h[32];
	unsigned int hl = 0;
	size_t i;
	int len;

	(void)ok;
	if (X509_STORE_CTX_get_error_depth(x) > 0)
		return 1;
	s->pin_checked = 1;
	s->pin = -1;
	len = leaf != NULL ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der) : -1;
	if (len > 0 && EVP_Digest(der, (size_t)len, h, &hl, EVP_sha256(), NULL) == 1)
		for (i = 0; i < s->trust->npins && s->pin < 0; i++)
			if (memcmp(h, s->trust->pins[i], 32) == 0)
				s->pin = (int)i;
	OPENSSL_free(der);
	if (s->pin >= 0) {
		X509_STORE_CTX_set_error(x, X509_V_OK);
		return 1;
	}
	X509_STORE_CTX_set_error(x, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* The reason the handshake failed: the verification result when there is
 * one, else the SSL error queue, else the transport. */
static int
ossl_fail(tls_session *s, int r, tls_error *err)
{
	long v = s->ssl != NULL ? SSL_get_verify_result(s->ssl) : X509_V_OK;
	int se = s->ssl != NULL ? SSL_get_error(s->ssl, r) : SSL_ERROR_SSL;
	unsigned long e = ERR_peek_last_error();
	char text[160];
	size_t i;

	if (v != X509_V_OK) {
		for (i = 0; i < sizeof verrs / sizeof verrs[0]; i++)
			if (verrs[i].code == v)
				break;
		tls_fail(err, i < sizeof verrs / sizeof verrs[0] ? verrs[i].cls : TLS_E_CERT, v,
			i < sizeof verrs / sizeof verrs[0] ? verrs[i].name : "X509_V_ERR_OTHER",
			X509_verify_cert_error_string(v));
	} else if (se == SSL_ERROR_SSL && e != 0) {
		ERR_error_string_n(e, text, sizeof text);
		tls_fail(err, ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET ? TLS_E_ALERT
			: TLS_E_PROTOCOL, (long)ERR_GET_REASON(e), "SSL_ERROR_SSL", text);
		if (ERR_GET_REASON(e) >= SSL_AD_REASON_OFFSET && ERR_GET_REASON(e) < 1256)
			err->alert = ERR_GET_REASON(e) - SSL_AD_REASON_OFFSET;
	} else {
		tls_fail(err, TLS_E_IO, se, se == SSL_ERROR_ZERO_RETURN ? "SSL_ERROR_ZERO_RETURN"
			: "SSL_ERROR_SYSCALL", "the connection was closed or broke");
	}
	ERR_clear_error();
	return -1;
}

/* see tls.h */
tls_session *
tls_new(void)
{
	tls_session *s = xcalloc(1, sizeof *s);

	/* The library writes to the socket with write(): a server that hangs
	 * up must not kill the device. */
	signal(SIGPIPE, SIG_IGN);
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
	X509_VERIFY_PARAM *param;
	X509_STORE *store;
	size_t i;
	int r;

	tls_close(s);
	s->trust = cfg->trust;
	s->pin = -1;
	s->pin_checked = 0;
	if ((s->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return tls_fail(err, TLS_E_INTERNAL, 0, "SSL_CTX_new", "no SSL context");
	store = SSL_CTX_get_cert_store(s->ctx);
	for (i = 0; i < cfg->trust->ntas; i++) {
		const unsigned char *p = cfg->trust->certs[i].der;
		X509 *x = d2i_X509(NULL, &p, (long)cfg->trust->certs[i].len);

		if (x == NULL || X509_STORE_add_cert(store, x) != 1) {
			X509_free(x);
			return tls_fail(err, TLS_E_INTERNAL, (long)i, "X509_STORE_add_cert",
				"an anchor does not load");
		}
		X509_free(x);
	}
	param = SSL_CTX_get0_param(s->ctx);
	X509_VERIFY_PARAM_set_time(param, (time_t)cfg->now(cfg->now_ctx));
	if (strcmp(tls_variants[cfg->variant], "partial-chain") == 0)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
	else if (strcmp(tls_variants[cfg->variant], "no-alt-chains") == 0)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_ALT_CHAINS);
	if (cfg->mode == TRUST_ANCHORS) {
		X509_VERIFY_PARAM_set1_host(param, cfg->server_name, 0);
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
	} else if (cfg->mode == TRUST_PIN_LEAF) {
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, pin_verify);
	} else {
		SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
	}
	if ((s->ssl = SSL_new(s->ctx)) == NULL)
		return tls_fail(err, TLS_E_INTERNAL, 0, "SSL_new", "no SSL object");
	SSL_set_app_data(s->ssl, s);
	SSL_set_fd(s->ssl, fd);
	SSL_set_tlsext_host_name(s->ssl, cfg->server_name);
	ERR_clear_error();
	r = SSL_connect(s->ssl);
	if (r != 1) {
		ossl_fail(s, r, err);
		SSL_free(s->ssl);
		s->ssl = NULL;
		return -1;
	}
	return 0;
}

/* see tls.h */
int
tls_write(tls_session *s, const void *buf, size_t len, tls_error *err)
{
	int r;

	if (len == 0)
		return 0;
	ERR_clear_error();
	r = SSL_write(s->ssl, buf, (int)len);
	return r == (int)len ? 0 : ossl_fail(s, r, err);
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

	ERR_clear_error();
	r = SSL_read(s->ssl, buf, len > 65536 ? 65536 : (int)len);
	return r > 0 ? r : ossl_fail(s, r, err);
}

/* see tls.h */
void
tls_close(tls_session *s)
{
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
	}
	SSL_CTX_free(s->ctx);
	s->ssl = NULL;
	s->ctx = NULL;
}

/* see tls.h */
const char *
tls_version(const tls_session *s)
{
	int v = SSL_version(s->ssl);

	return v == TLS1_2_VERSION ? "TLS1.2" : v == TLS1_3_VERSION ? "TLS1.3" : "other";
}

/* see tls.h */
unsigned
tls_suite(const tls_session *s)
{
	return SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(s->ssl)) & 0xffff;
}

/* see tls.h */
int
tls_pin_index(const tls_session *s)
{
	return s->pin_checked ? s->pin : -1;
}
