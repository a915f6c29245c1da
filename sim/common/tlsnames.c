/*
 * TLS and BearSSL names. See tlsnames.h.
 */
#include "common/tlsnames.h"

#include <bearssl.h>
#include <stddef.h>

/*
 * Every error code BearSSL's SSL engine and X.509 validator define, with the
 * name of its macro (so a console line can be searched for in the headers)
 * and what it means for a device.
 */
#define E(code, text) { code, #code, text }
static const struct {
	int code;
	const char *name;
	const char *text;
} errors[] = {
	E(BR_ERR_OK, "no error"),
	E(BR_ERR_BAD_PARAM, "caller-provided parameter is wrong"),
	E(BR_ERR_BAD_STATE, "engine used in a wrong state"),
	E(BR_ERR_UNSUPPORTED_VERSION, "peer's protocol version not supported"),
	E(BR_ERR_BAD_VERSION, "record version does not match the negotiated one"),
	E(BR_ERR_BAD_LENGTH, "record length is wrong"),
	E(BR_ERR_TOO_LARGE, "record larger than the buffer"),
	E(BR_ERR_BAD_MAC, "record MAC or decryption failed"),
	E(BR_ERR_NO_RANDOM, "no source of randomness"),
	E(BR_ERR_UNKNOWN_TYPE, "record of an unknown type"),
	E(BR_ERR_UNEXPECTED, "unexpected message or record"),
	E(BR_ERR_BAD_CCS, "ChangeCipherSpec malformed"),
	E(BR_ERR_BAD_ALERT, "alert message malformed"),
	E(BR_ERR_BAD_HANDSHAKE, "handshake message malformed"),
	E(BR_ERR_OVERSIZED_ID, "session ID too long"),
	E(BR_ERR_BAD_CIPHER_SUITE, "server chose a cipher suite we did not offer"),
	E(BR_ERR_BAD_COMPRESSION, "server chose a compression we did not offer"),
	E(BR_ERR_BAD_FRAGLEN, "bad maximum fragment length"),
	E(BR_ERR_BAD_SECRENEG, "secure renegotiation failed"),
	E(BR_ERR_EXTRA_EXTENSION, "server sent an extension we did not ask for"),
	E(BR_ERR_BAD_SNI, "bad server name indication"),
	E(BR_ERR_BAD_HELLO_DONE, "ServerHelloDone malformed"),
	E(BR_ERR_LIMIT_EXCEEDED, "an internal limit was exceeded"),
	E(BR_ERR_BAD_FINISHED, "Finished message does not verify"),
	E(BR_ERR_RESUME_MISMATCH, "session resumption parameters differ"),
	E(BR_ERR_INVALID_ALGORITHM, "unsupported or invalid algorithm"),
	E(BR_ERR_BAD_SIGNATURE, "server's key exchange signature is wrong"),
	E(BR_ERR_WRONG_KEY_USAGE, "server key not allowed for the key exchange"),
	E(BR_ERR_NO_CLIENT_AUTH, "server wanted a client certificate"),
	E(BR_ERR_IO, "the transport failed (connection closed or reset)"),
	E(BR_ERR_X509_OK, "chain validated"),
	E(BR_ERR_X509_INVALID_VALUE, "certificate field has an invalid value"),
	E(BR_ERR_X509_TRUNCATED, "certificate is truncated"),
	E(BR_ERR_X509_EMPTY_CHAIN, "server sent no certificate"),
	E(BR_ERR_X509_INNER_TRUNC, "certificate element is truncated"),
	E(BR_ERR_X509_BAD_TAG_CLASS, "unexpected ASN.1 tag class"),
	E(BR_ERR_X509_BAD_TAG_VALUE, "unexpected ASN.1 tag"),
	E(BR_ERR_X509_INDEFINITE_LENGTH, "indefinite length in DER"),
	E(BR_ERR_X509_EXTRA_ELEMENT, "extra element in a certificate"),
	E(BR_ERR_X509_UNEXPECTED, "unexpected element in a certificate"),
	E(BR_ERR_X509_NOT_CONSTRUCTED, "expected a constructed element"),
	E(BR_ERR_X509_NOT_PRIMITIVE, "expected a primitive element"),
	E(BR_ERR_X509_PARTIAL_BYTE, "BIT STRING with unused bits"),
	E(BR_ERR_X509_BAD_BOOLEAN, "BOOLEAN badly encoded"),
	E(BR_ERR_X509_OVERFLOW, "value too large"),
	E(BR_ERR_X509_BAD_DN, "distinguished name malformed"),
	E(BR_ERR_X509_BAD_TIME, "validity date malformed"),
	E(BR_ERR_X509_UNSUPPORTED, "unsupported certificate feature"),
	E(BR_ERR_X509_LIMIT_EXCEEDED, "a validator limit was exceeded"),
	E(BR_ERR_X509_WRONG_KEY_TYPE, "key type does not match the signature"),
	E(BR_ERR_X509_BAD_SIGNATURE, "certificate signature does not verify"),
	E(BR_ERR_X509_TIME_UNKNOWN, "the device has no time to check validity"),
	E(BR_ERR_X509_EXPIRED, "certificate expired or not yet valid at the device's time"),
	E(BR_ERR_X509_DN_MISMATCH, "issuer name does not match the next certificate"),
	E(BR_ERR_X509_BAD_SERVER_NAME, "leaf does not name the server"),
	E(BR_ERR_X509_CRITICAL_EXTENSION, "unknown critical extension"),
	E(BR_ERR_X509_NOT_CA, "issuing certificate is not a CA"),
	E(BR_ERR_X509_FORBIDDEN_KEY_USAGE, "key usage forbids this use"),
	E(BR_ERR_X509_WEAK_PUBLIC_KEY, "public key too small"),
	E(BR_ERR_X509_NOT_TRUSTED, "chain does not end at a trust anchor of the device"),
	E(BR_ERR_RECV_FATAL_ALERT, "the server sent a fatal alert"),
	E(BR_ERR_SEND_FATAL_ALERT, "the device sent a fatal alert"),
};
#undef E

/* The table entry of a code; codes in the alert ranges map to their base. */
static int
error_index(int err)
{
	size_t i;

	if (err > BR_ERR_SEND_FATAL_ALERT)
		err = BR_ERR_SEND_FATAL_ALERT;
	else if (err > BR_ERR_RECV_FATAL_ALERT && err < BR_ERR_SEND_FATAL_ALERT)
		err = BR_ERR_RECV_FATAL_ALERT;
	for (i = 0; i < sizeof errors / sizeof errors[0]; i++)
		if (errors[i].code == err)
			return (int)i;
	return -1;
}

/* see tlsnames.h */
const char *
tls_br_error_name(int err)
{
	int i = error_index(err);

	return i < 0 ? NULL : errors[i].name;
}

/* see tlsnames.h */
const char *
tls_br_error_text(int err)
{
	int i = error_index(err);

	return i < 0 ? "" : errors[i].text;
}

/* RFC 8446 6, RFC 5246 7.2 and the IANA registry. */
static const struct {
	int code;
	const char *name;
} alerts[] = {
	{ 0, "close_notify" },
	{ 10, "unexpected_message" },
	{ 20, "bad_record_mac" },
	{ 21, "decryption_failed" },
	{ 22, "record_overflow" },
	{ 30, "decompression_failure" },
	{ 40, "handshake_failure" },
	{ 41, "no_certificate" },
	{ 42, "bad_certificate" },
	{ 43, "unsupported_certificate" },
	{ 44, "certificate_revoked" },
	{ 45, "certificate_expired" },
	{ 46, "certificate_unknown" },
	{ 47, "illegal_parameter" },
	{ 48, "unknown_ca" },
	{ 49, "access_denied" },
	{ 50, "decode_error" },
	{ 51, "decrypt_error" },
	{ 60, "export_restriction" },
	{ 70, "protocol_version" },
	{ 71, "insufficient_security" },
	{ 80, "internal_error" },
	{ 86, "inappropriate_fallback" },
	{ 90, "user_canceled" },
	{ 100, "no_renegotiation" },
	{ 109, "missing_extension" },
	{ 110, "unsupported_extension" },
	{ 111, "certificate_unobtainable" },
	{ 112, "unrecognized_name" },
	{ 113, "bad_certificate_status_response" },
	{ 114, "bad_certificate_hash_value" },
	{ 115, "unknown_psk_identity" },
	{ 116, "certificate_required" },
	{ 120, "no_application_protocol" },
};

/* see tlsnames.h */
const char *
tls_alert_name(int desc)
{
	size_t i;

	for (i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
		if (alerts[i].code == desc)
			return alerts[i].name;
	return NULL;
}

/* The suites BearSSL implements, the TLS 1.3 suites, and a few that
 * OpenSSL and curl offer by default. */
static const struct {
	unsigned code;
	const char *name;
} suites[] = {
	{ 0x0004, "TLS_RSA_WITH_RC4_128_MD5" },
	{ 0x0005, "TLS_RSA_WITH_RC4_128_SHA" },
	{ 0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256" },
	{ 0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV" },
	{ 0x1301, "TLS_AES_128_GCM_SHA256" },
	{ 0x1302, "TLS_AES_256_GCM_SHA384" },
	{ 0x1303, "TLS_CHACHA20_POLY1305_SHA256" },
	{ 0x1304, "TLS_AES_128_CCM_SHA256" },
	{ 0x1305, "TLS_AES_128_CCM_8_SHA256" },
	{ 0x5600, "TLS_FALLBACK_SCSV" },
	{ 0xc003, "TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc004, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc005, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc008, "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ 0xc00d, "TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc00e, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc00f, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA" },
	{ 0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ 0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ 0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc025, "TLS_ECDH_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc026, "TLS_ECDH_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc029, "TLS_ECDH_RSA_WITH_AES_128_CBC_SHA256" },
	{ 0xc02a, "TLS_ECDH_RSA_WITH_AES_256_CBC_SHA384" },
	{ 0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02d, "TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc02e, "TLS_ECDH_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc031, "TLS_ECDH_RSA_WITH_AES_128_GCM_SHA256" },
	{ 0xc032, "TLS_ECDH_RSA_WITH_AES_256_GCM_SHA384" },
	{ 0xc09c, "TLS_RSA_WITH_AES_128_CCM" },
	{ 0xc09d, "TLS_RSA_WITH_AES_256_CCM" },
	{ 0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8" },
	{ 0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8" },
	{ 0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM" },
	{ 0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM" },
	{ 0xc0ae, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8" },
	{ 0xc0af, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8" },
	{ 0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ 0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
};

/* see tlsnames.h */
const char *
tls_suite_name(unsigned suite)
{
	size_t i;

	for (i = 0; i < sizeof suites / sizeof suites[0]; i++)
		if (suites[i].code == suite)
			return suites[i].name;
	return NULL;
}
