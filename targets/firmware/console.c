/*
 * The agent's console lines and the BearSSL error and alert tables.
 */
#include "console.h"

#include <bearssl.h>
#include <stdarg.h>
#include <string.h>

/* A byte that forces quoting. */
static int
needs_quote(unsigned char c)
{
	return c <= 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '=';
}

/* see console.h */
size_t
con_quote(char *out, size_t outlen, const char *value)
{
	size_t n = 0, i;
	int quote = 0;
	const unsigned char *v = (const unsigned char *)(value != NULL ? value : "");

	if (v[0] == 0)
		quote = 1;
	for (i = 0; v[i] != 0; i++)
		if (needs_quote(v[i]))
			quote = 1;
#define PUT(ch) do { if (n + 1 < outlen) out[n] = (char)(ch); n++; } while (0)
	if (quote)
		PUT('"');
	for (i = 0; v[i] != 0; i++) {
		unsigned char c = v[i];

		if (!quote) {
			PUT(c);
		} else if (c == '"' || c == '\\') {
			PUT('\\');
			PUT(c);
		} else if (c < 0x20 || c >= 0x7f) {
			static const char hex[] = "0123456789abcdef";

			PUT('\\');
			PUT('x');
			PUT(hex[c >> 4]);
			PUT(hex[c & 15]);
		} else {
			PUT(c);
		}
	}
	if (quote)
		PUT('"');
#undef PUT
	if (outlen > 0)
		out[n < outlen ? n : outlen - 1] = 0;
	return n;
}

/* see console.h */
void
con_begin(con_line *l, const char *name)
{
	int n = snprintf(l->text, sizeof l->text, "rotsim: %s", name);

	l->len = n < 0 ? 0 : (size_t)n;
	if (l->len >= sizeof l->text)
		l->len = sizeof l->text - 1;
	l->truncated = 0;
}

/* see console.h */
void
con_str(con_line *l, const char *key, const char *value)
{
	/* Room kept at the end for " truncated=1". */
	size_t room = CON_LINE_MAX - 12, klen = strlen(key), need;

	if (l->truncated)
		return;
	need = 2 + klen + con_quote(NULL, 0, value);
	if (l->len + need > room) {
		memcpy(l->text + l->len, " truncated=1", 13);
		l->len += 12;
		l->truncated = 1;
		return;
	}
	l->text[l->len++] = ' ';
	memcpy(l->text + l->len, key, klen);
	l->len += klen;
	l->text[l->len++] = '=';
	l->len += con_quote(l->text + l->len, sizeof l->text - l->len, value);
}

/* see console.h */
void
con_int(con_line *l, const char *key, long long value)
{
	char b[32];

	snprintf(b, sizeof b, "%lld", value);
	con_str(l, key, b);
}

/* see console.h */
void
con_uint(con_line *l, const char *key, unsigned long long value)
{
	char b[32];

	snprintf(b, sizeof b, "%llu", value);
	con_str(l, key, b);
}

/* see console.h */
void
con_fmt(con_line *l, const char *key, const char *fmt, ...)
{
	char b[CON_LINE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(b, sizeof b, fmt, ap);
	va_end(ap);
	con_str(l, key, b);
}

/* see console.h */
const char *
con_emit(con_line *l, FILE *f)
{
	l->text[l->len] = 0;
	fprintf(f, "%s\n", l->text);
	fflush(f);
	return l->text;
}

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

/* Find the table entry of a code; alert codes map to their base. */
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

/* see console.h */
const char *
con_error_name(int err)
{
	int i = error_index(err);

	return i < 0 ? NULL : errors[i].name;
}

/* see console.h */
const char *
con_error_text(int err)
{
	int i = error_index(err);

	return i < 0 ? "" : errors[i].text;
}

/* TLS alerts by number (RFC 5246 section 7.2 and later registrations). */
static const struct {
	int code;
	const char *name;
} alerts[] = {
	{ BR_ALERT_CLOSE_NOTIFY, "close_notify" },
	{ BR_ALERT_UNEXPECTED_MESSAGE, "unexpected_message" },
	{ BR_ALERT_BAD_RECORD_MAC, "bad_record_mac" },
	{ BR_ALERT_RECORD_OVERFLOW, "record_overflow" },
	{ BR_ALERT_DECOMPRESSION_FAILURE, "decompression_failure" },
	{ BR_ALERT_HANDSHAKE_FAILURE, "handshake_failure" },
	{ BR_ALERT_BAD_CERTIFICATE, "bad_certificate" },
	{ BR_ALERT_UNSUPPORTED_CERTIFICATE, "unsupported_certificate" },
	{ BR_ALERT_CERTIFICATE_REVOKED, "certificate_revoked" },
	{ BR_ALERT_CERTIFICATE_EXPIRED, "certificate_expired" },
	{ BR_ALERT_CERTIFICATE_UNKNOWN, "certificate_unknown" },
	{ BR_ALERT_ILLEGAL_PARAMETER, "illegal_parameter" },
	{ BR_ALERT_UNKNOWN_CA, "unknown_ca" },
	{ BR_ALERT_ACCESS_DENIED, "access_denied" },
	{ BR_ALERT_DECODE_ERROR, "decode_error" },
	{ BR_ALERT_DECRYPT_ERROR, "decrypt_error" },
	{ BR_ALERT_PROTOCOL_VERSION, "protocol_version" },
	{ BR_ALERT_INSUFFICIENT_SECURITY, "insufficient_security" },
	{ BR_ALERT_INTERNAL_ERROR, "internal_error" },
	{ BR_ALERT_USER_CANCELED, "user_canceled" },
	{ BR_ALERT_NO_RENEGOTIATION, "no_renegotiation" },
	{ BR_ALERT_UNSUPPORTED_EXTENSION, "unsupported_extension" },
	{ BR_ALERT_NO_APPLICATION_PROTOCOL, "no_application_protocol" },
};

/* see console.h */
const char *
con_alert_name(int alert)
{
	size_t i;

	for (i = 0; i < sizeof alerts / sizeof alerts[0]; i++)
		if (alerts[i].code == alert)
			return alerts[i].name;
	return NULL;
}
