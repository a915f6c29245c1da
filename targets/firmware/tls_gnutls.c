/*
 * The GnuTLS 3.7 backend of tls.h, as an integrator writes it: certificate
 * credentials holding the anchors (gnutls_certificate_set_x509_trust_mem),
 * gnutls_set_default_priority(), SNI, and the library's own verification
 * during the handshake with gnutls_session_set_verify_cert(session, name,
 * flags) and its default flags (unsorted chains tolerated; trusted
 * certificates checked for their dates unless told otherwise).
 *
 * The device's time: GnuTLS reads the time through one process-wide
 * function, gnutls_global_set_time_function() (gnutls.h, gnutls_time_func);
 * the agent points it at the device's clock before each handshake.
 *
 * Variants: "no-trusted-time-checks" adds
 * GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS (an anchor is never checked for
 * its dates, as BearSSL's anchors have none); "strict-order" adds
 * GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN (the chain must come in order).
 *
 * Pins (TRUST_PIN_LEAF): gnutls_certificate_set_verify_function(), the
 * callback GnuTLS users write for pinning: it takes the first peer
 * certificate (gnutls_certificate_get_peers) and compares the SHA-256 of its
 * SubjectPublicKeyInfo with the pins, checking nothing else.
 * TRUST_INSECURE verifies nothing.
 */
#include "tls.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char tls_stack[] = "gnutls";
const char *const tls_variants[] = { "default", "no-trusted-time-checks", "strict-order",
	NULL };

struct tls_session {
	gnutls_session_t sess;
	gnutls_certificate_credentials_t cred;
	const trust_store *trust;
	int pin;
	int pin_checked;
	int up;
};

/* The device's clock for gnutls_global_set_time_function(). */
static const tls_config *time_cfg;

static time_t
device_time(time_t *t)
{
	time_t now = (time_t)time_cfg->now(time_cfg->now_ctx);

	if (t != NULL)
		*t = now;
	return now;
}

/* Verification status bits by name (x509.h, gnutls_certificate_status_t),
 * the most telling first. */
static const struct { unsigned bit; const char *name; int cls; } statuses[] = {
	{ GNUTLS_CERT_EXPIRED, "GNUTLS_CERT_EXPIRED", TLS_E_EXPIRED },
	{ GNUTLS_CERT_NOT_ACTIVATED, "GNUTLS_CERT_NOT_ACTIVATED", TLS_E_EXPIRED },
	{ GNUTLS_CERT_SIGNATURE_FAILURE, "GNUTLS_CERT_SIGNATURE_FAILURE", TLS_E_SIGNATURE },
	{ GNUTLS_CERT_SIGNER_NOT_FOUND, "GNUTLS_CERT_SIGNER_NOT_FOUND", TLS_E_UNTRUSTED },
	{ GNUTLS_CERT_SIGNER_NOT_CA, "GNUTLS_CERT_SIGNER_NOT_CA", TLS_E_CERT },
	{ GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE",
		TLS_E_CERT },
	{ GNUTLS_CERT_INSECURE_ALGORITHM, "GNUTLS_CERT_INSECURE_ALGORITHM", TLS_E_CERT },
	{ GNUTLS_CERT_UNEXPECTED_OWNER, "GNUTLS_CERT_UNEXPECTED_OWNER", TLS_E_NAME },
	{ GNUTLS_CERT_PURPOSE_MISMATCH, "GNUTLS_CERT_PURPOSE_MISMATCH", TLS_E_CERT },
	{ GNUTLS_CERT_MISSING_OCSP_STATUS, "GNUTLS_CERT_MISSING_OCSP_STATUS", TLS_E_CERT },
	{ GNUTLS_CERT_REVOKED, "GNUTLS_CERT_REVOKED", TLS_E_CERT },
	{ GNUTLS_CERT_INVALID, "GNUTLS_CERT_INVALID", TLS_E_UNTRUSTED },
};

/* Library error codes that are the transport's, not a verdict. */
static int
gt_class(int r)
{
	switch (r) {
	case GNUTLS_E_PUSH_ERROR: case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_PREMATURE_TERMINATION: case GNUTLS_E_TIMEDOUT:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
		return TLS_E_IO;
	case GNUTLS_E_FATAL_ALERT_RECEIVED:
		return TLS_E_ALERT;
	case GNUTLS_E_CERTIFICATE_ERROR:
		return TLS_E_PIN;
	default:
		return TLS_E_PROTOCOL;
	}
}

static int
gt_fail(tls_session *s, int r, tls_error *err)
{
	const char *name = gnutls_strerror_name(r);
	size_t i;

	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
		unsigned st = gnutls_session_get_verify_cert_status(s->sess);
		gnutls_datum_t out = { NULL, 0 };

		for (i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
			if (st & statuses[i].bit)
				break;
		if (i == sizeof statuses / sizeof statuses[0])
			i--;
		gnutls_certificate_verification_status_print(st, GNUTLS_CRT_X509, &out, 0);
		tls_fail(err, statuses[i].cls, (long)st, statuses[i].name,
			out.data != NULL ? (const char *)out.data : "");
		gnutls_free(out.data);
		return -1;
	}
	tls_fail(err, gt_class(r), r, name != NULL ? name : "GNUTLS_E_OTHER", gnutls_strerror(r));
	if (r == GNUTLS_E_FATAL_ALERT_RECEIVED)
		err->alert = (int)gnutls_alert_get(s->sess);
	return -1;
}

/* Leaf pins in the verify function (see the comment at the top). */
static int
pin_verify(gnutls_session_t sess)
{
	tls_session *s = gnutls_session_get_ptr(sess);
	const gnutls_datum_t *peers;
	unsigned n = 0;

	s->pin_checked = 1;
	peers = gnutls_certificate_get_peers(sess, &n);
	s->pin = peers != NULL && n > 0 ? tls_pin_match(s->trust, peers[0].data, peers[0].size)
		: -1;
	return s->pin >= 0 ? 0 : GNUTLS_E_CERTIFICATE_ERROR;
}

/* see tls.h */
tls_session *
tls_new(void)
{
	tls_session *s = xcalloc(1, sizeof *s);

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
	const char *v = tls_variants[cfg->variant];
	unsigned flags = 0;
	size_t i;
	int r;

	tls_close(s);
	s->trust = cfg->trust;
	s->pin = -1;
	s->pin_checked = 0;
	time_cfg = cfg;
	gnutls_global_set_time_function(device_time);
	if ((r = gnutls_certificate_allocate_credentials(&s->cred)) < 0)
		return gt_fail(s, r, err);
	for (i = 0; i < cfg->trust->ntas; i++) {
		gnutls_datum_t d = { cfg->trust->certs[i].der, (unsigned)cfg->trust->certs[i].len };

		if ((r = gnutls_certificate_set_x509_trust_mem(s->cred, &d,
			GNUTLS_X509_FMT_DER)) < 0)
			return gt_fail(s, r, err);
	}
	if (strcmp(v, "no-trusted-time-checks") == 0)
		flags |= GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
	else if (strcmp(v, "strict-order") == 0)
		flags |= GNUTLS_VERIFY_DO_NOT_ALLOW_UNSORTED_CHAIN;
	if (cfg->mode == TRUST_PIN_LEAF)
		gnutls_certificate_set_verify_function(s->cred, pin_verify);
	if ((r = gnutls_init(&s->sess, GNUTLS_CLIENT)) < 0)
		return gt_fail(s, r, err);
	gnutls_session_set_ptr(s->sess, s);
	if ((r = gnutls_set_default_priority(s->sess)) < 0
		|| (r = gnutls_server_name_set(s->sess, GNUTLS_NAME_DNS, cfg->server_name,
			strlen(cfg->server_name))) < 0
		|| (r = gnutls_credentials_set(s->sess, GNUTLS_CRD_CERTIFICATE, s->cred)) < 0)
		return gt_fail(s, r, err);
	if (cfg->mode == TRUST_ANCHORS)
		gnutls_session_set_verify_cert(s->sess, cfg->server_name, flags);
	gnutls_transport_set_int(s->sess, fd);
	do
		r = gnutls_handshake(s->sess);
	while (r < 0 && gnutls_error_is_fatal(r) == 0);
	if (r < 0)
		return gt_fail(s, r, err);
	s->up = 1;
	return 0;
}

/* see tls.h */
int
tls_write(tls_session *s, const void *buf, size_t len, tls_error *err)
{
	const unsigned char *p = buf;

	while (len > 0) {
		ssize_t r = gnutls_record_send(s->sess, p, len);

		if (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN)
			continue;
		if (r < 0)
			return gt_fail(s, (int)r, err);
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
	ssize_t r;

	do
		r = gnutls_record_recv(s->sess, buf, len);
	while (r == GNUTLS_E_INTERRUPTED || r == GNUTLS_E_AGAIN);
	if (r == 0)
		return tls_fail(err, TLS_E_IO, 0, "GNUTLS_E_SUCCESS", "end of stream");
	return r > 0 ? (long)r : gt_fail(s, (int)r, err);
}

/* see tls.h */
void
tls_close(tls_session *s)
{
	if (s->up)
		gnutls_bye(s->sess, GNUTLS_SHUT_WR);
	if (s->sess != NULL)
		gnutls_deinit(s->sess);
	if (s->cred != NULL)
		gnutls_certificate_free_credentials(s->cred);
	s->sess = NULL;
	s->cred = NULL;
	s->up = 0;
}

/* see tls.h */
const char *
tls_version(const tls_session *s)
{
	gnutls_protocol_t v = gnutls_protocol_get_version(s->sess);

	return v == GNUTLS_TLS1_2 ? "TLS1.2" : v == GNUTLS_TLS1_3 ? "TLS1.3" : "other";
}

/* see tls.h */
unsigned
tls_suite(const tls_session *s)
{
	unsigned char id[2];
	gnutls_kx_algorithm_t kx = gnutls_kx_get(s->sess);
	gnutls_cipher_algorithm_t ci = gnutls_cipher_get(s->sess);
	gnutls_mac_algorithm_t mac = gnutls_mac_get(s->sess);
	size_t i;

	/* The suite's number is found by walking the library's suite list. */
	for (i = 0; ; i++) {
		gnutls_kx_algorithm_t k;
		gnutls_cipher_algorithm_t c;
		gnutls_mac_algorithm_t m;

		if (gnutls_cipher_suite_info(i, id, &k, &c, &m, NULL) == NULL)
			return 0;
		if (k == kx && c == ci && m == mac)
			return (unsigned)id[0] << 8 | id[1];
	}
}

/* see tls.h */
int
tls_pin_index(const tls_session *s)
{
	return s->pin_checked ? s->pin : -1;
}
