/*
 * Names for the numbers on the wire: alerts, cipher suites, versions,
 * signature algorithms, groups, handshake messages, link types, events.
 * Tables, looked up linearly: they are short and read once per line printed.
 */
#include <stddef.h>

#include <pcap/dlt.h>

#include "common/tlsnames.h"
#include "capture/cap_int.h"

typedef struct {
	unsigned code;
	const char *name;
} name_entry;

static const char *
lookup(const name_entry *t, size_t n, unsigned code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

#define LOOKUP(t, code) lookup(t, sizeof t / sizeof t[0], code)




static const name_entry versions[] = {
	{ 0x0300, "SSL3.0" },
	{ 0x0301, "TLS1.0" },
	{ 0x0302, "TLS1.1" },
	{ 0x0303, "TLS1.2" },
	{ 0x0304, "TLS1.3" },
};

/* RFC 8446 4.2.3 SignatureScheme (TLS 1.2 hash/signature pairs included). */
static const name_entry sigalgs[] = {
	{ 0x0201, "rsa_pkcs1_sha1" },
	{ 0x0202, "dsa_sha1" },
	{ 0x0203, "ecdsa_sha1" },
	{ 0x0301, "rsa_pkcs1_sha224" },
	{ 0x0302, "dsa_sha224" },
	{ 0x0303, "ecdsa_sha224" },
	{ 0x0401, "rsa_pkcs1_sha256" },
	{ 0x0402, "dsa_sha256" },
	{ 0x0403, "ecdsa_secp256r1_sha256" },
	{ 0x0501, "rsa_pkcs1_sha384" },
	{ 0x0502, "dsa_sha384" },
	{ 0x0503, "ecdsa_secp384r1_sha384" },
	{ 0x0601, "rsa_pkcs1_sha512" },
	{ 0x0602, "dsa_sha512" },
	{ 0x0603, "ecdsa_secp521r1_sha512" },
	{ 0x0804, "rsa_pss_rsae_sha256" },
	{ 0x0805, "rsa_pss_rsae_sha384" },
	{ 0x0806, "rsa_pss_rsae_sha512" },
	{ 0x0807, "ed25519" },
	{ 0x0808, "ed448" },
	{ 0x0809, "rsa_pss_pss_sha256" },
	{ 0x080a, "rsa_pss_pss_sha384" },
	{ 0x080b, "rsa_pss_pss_sha512" },
	{ 0x081a, "ecdsa_brainpoolP256r1tls13_sha256" },
	{ 0x081b, "ecdsa_brainpoolP384r1tls13_sha384" },
	{ 0x081c, "ecdsa_brainpoolP512r1tls13_sha512" },
};

static const name_entry groups[] = {
	{ 23, "secp256r1" },
	{ 24, "secp384r1" },
	{ 25, "secp521r1" },
	{ 29, "x25519" },
	{ 30, "x448" },
	{ 256, "ffdhe2048" },
	{ 257, "ffdhe3072" },
	{ 258, "ffdhe4096" },
};

static const name_entry hs_types[] = {
	{ 0, "HelloRequest" },
	{ 1, "ClientHello" },
	{ 2, "ServerHello" },
	{ 4, "NewSessionTicket" },
	{ 5, "EndOfEarlyData" },
	{ 8, "EncryptedExtensions" },
	{ 11, "Certificate" },
	{ 12, "ServerKeyExchange" },
	{ 13, "CertificateRequest" },
	{ 14, "ServerHelloDone" },
	{ 15, "CertificateVerify" },
	{ 16, "ClientKeyExchange" },
	{ 20, "Finished" },
	{ 22, "CertificateStatus" },
	{ 24, "KeyUpdate" },
};

static const name_entry ev_types[] = {
	{ CAP_EV_SYN, "syn" },
	{ CAP_EV_SYNACK, "synack" },
	{ CAP_EV_HANDSHAKE, "handshake" },
	{ CAP_EV_CCS, "change_cipher_spec" },
	{ CAP_EV_ENC_HANDSHAKE, "encrypted_handshake" },
	{ CAP_EV_ALERT, "alert" },
	{ CAP_EV_ENC_ALERT, "encrypted_alert" },
	{ CAP_EV_APPDATA, "application_data" },
	{ CAP_EV_FIN, "fin" },
	{ CAP_EV_RST, "rst" },
	{ CAP_EV_NOT_TLS, "not_tls" },
	{ CAP_EV_TLS_ERROR, "tls_error" },
	{ CAP_EV_GAP, "gap" },
};

static const name_entry linktypes[] = {
	{ DLT_NULL, "NULL" },
	{ DLT_EN10MB, "EN10MB" },
	{ DLT_RAW, "RAW" },
	{ DLT_LOOP, "LOOP" },
	{ DLT_LINUX_SLL, "LINUX_SLL" },
	{ DLT_LINUX_SLL2, "LINUX_SLL2" },
	{ DLT_IPV4, "IPV4" },
	{ DLT_IPV6, "IPV6" },
};

/* see capture.h */
const char *
cap_alert_name(int desc)
{
	return tls_alert_name(desc);
}

/* see capture.h */
const char *
cap_suite_name(unsigned suite)
{
	return tls_suite_name(suite);
}

/* see capture.h */
const char *
cap_version_name(unsigned version)
{
	return LOOKUP(versions, version);
}

/* see capture.h */
const char *
cap_sigalg_name(unsigned sigalg)
{
	return LOOKUP(sigalgs, sigalg);
}

/* see capture.h */
const char *
cap_group_name(unsigned group)
{
	return LOOKUP(groups, group);
}

/* see capture.h */
const char *
cap_hs_name(int hs_type)
{
	return hs_type < 0 ? NULL : LOOKUP(hs_types, (unsigned)hs_type);
}

/* see capture.h */
const char *
cap_ev_name(cap_ev_type t)
{
	return LOOKUP(ev_types, (unsigned)t);
}

/* see cap_int.h */
const char *
cap_linktype_name(int dlt)
{
	return dlt < 0 ? NULL : LOOKUP(linktypes, (unsigned)dlt);
}
