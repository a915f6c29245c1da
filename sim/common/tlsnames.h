/*
 * Names for what TLS and BearSSL report: BearSSL error codes (with a one-line
 * meaning a firmware engineer can read) and TLS alert descriptions. One table
 * for the device agent's console, the update server's events, the capture
 * reader and the verdict, so they all say the same.
 */
#ifndef ROTSIM_TLSNAMES_H
#define ROTSIM_TLSNAMES_H

/* "BR_ERR_X509_NOT_TRUSTED" for 62. Codes in BearSSL's alert ranges give
 * "BR_ERR_RECV_FATAL_ALERT" / "BR_ERR_SEND_FATAL_ALERT". NULL when unknown. */
const char *tls_br_error_name(int err);
/* The meaning of an error code in a few words, "" when unknown. */
const char *tls_br_error_text(int err);
/* "unknown_ca" for 48 (RFC 5246 7.2, RFC 8446 6, IANA). NULL when unknown. */
const char *tls_alert_name(int desc);
/* "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" for 0xc02f (IANA TLS Cipher Suites):
 * the suites BearSSL implements, TLS 1.3's, and a few that OpenSSL and curl
 * offer. NULL when unknown. The one suite table of rotsim. */
const char *tls_suite_name(unsigned suite);

#endif
