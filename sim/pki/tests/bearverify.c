/*
 * bearverify: validate a certificate chain with BearSSL's own X.509 engine,
 * br_x509_minimal, at a given date, as a device running BearSSL would.
 *
 *   bearverify [-n NAME] ANCHORS.pem CHAIN.pem DATE
 *
 * ANCHORS.pem holds the trust anchors as certificates (each becomes a
 * br_x509_trust_anchor: DN, CA flag and public key, no dates, as BearSSL's
 * brssl tool builds them); CHAIN.pem holds the chain in the order a server
 * sends it, leaf first. DATE is "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" (UTC).
 * With -n, the leaf must match NAME; without it no name is checked.
 *
 * Prints one line, "CODE NAME" (0 for success, else the BR_ERR_X509_* code),
 * and exits 0 whenever the engine ran, whatever its verdict; exit 2 means the
 * tool could not run (bad usage, unreadable file, no certificate in a file).
 */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include "common/tlsnames.h"

#include "common/util.h"
#include "time/simtime.h"

/* One DER object from a PEM file. */
typedef struct {
	unsigned char *der;
	size_t len;
} der_obj;

/* The name of a code br_x509_minimal can end with: the shared table, with
 * "OK" for success. */
static const char *
error_name(int code)
{
	const char *n = code == 0 ? "OK" : tls_br_error_name(code);

	return n != NULL ? n : "UNKNOWN";
}

static void
usage(void)
{
	fprintf(stderr, "usage: bearverify [-n NAME] ANCHORS.pem CHAIN.pem DATE\n");
	exit(2);
}

static void
append_bytes(void *dest_ctx, const void *data, size_t len)
{
	buf_append(dest_ctx, data, len);
}

static void
free_objs(der_obj *objs, size_t num)
{
	size_t u;

	if (objs == NULL)
		return;
	for (u = 0; u < num; u++)
		free(objs[u].der);
	free(objs);
}

/*
 * Every CERTIFICATE object of a PEM file, in file order, decoded with
 * BearSSL's PEM decoder. Other object types are skipped. The array and each
 * der are allocated with xmalloc() and released with free_objs(). Exits on
 * an unreadable or malformed file, or one without a certificate.
 */
static der_obj *
read_pem_certs(const char *path, size_t *num)
{
	br_pem_decoder_context pc;
	unsigned char *data = NULL;
	size_t len, off = 0;
	der_obj *objs = NULL;
	size_t n = 0;
	buf_t cur = { 0 };
	int in_cert = 0, inobj = 0;
	char msg[512];

	if (util_read_file(path, &data, &len, msg, sizeof msg) != 0)
		errx(2, "%s", msg);
	br_pem_decoder_init(&pc);
	while (off < len) {
		size_t k = br_pem_decoder_push(&pc, data + off, len - off);

		off += k;
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			inobj = 1;
			in_cert = strcmp(br_pem_decoder_name(&pc), "CERTIFICATE") == 0;
			cur.len = 0;
			br_pem_decoder_setdest(&pc, in_cert ? append_bytes : NULL, &cur);
			break;
		case BR_PEM_END_OBJ:
			if (in_cert) {
				objs = xrealloc(objs, (n + 1) * sizeof *objs);
				objs[n].der = xmemdup(cur.data, cur.len);
				objs[n].len = cur.len;
				n++;
			}
			inobj = in_cert = 0;
			break;
		case BR_PEM_ERROR:
			errx(2, "%s: malformed PEM", path);
		default:
			break;
		}
	}
	/* A final object whose END line lacks a newline needs one more byte. */
	if (inobj) {
		if (br_pem_decoder_push(&pc, "\n", 1) == 1
			&& br_pem_decoder_event(&pc) == BR_PEM_END_OBJ && in_cert) {
			objs = xrealloc(objs, (n + 1) * sizeof *objs);
			objs[n].der = xmemdup(cur.data, cur.len);
			objs[n].len = cur.len;
			n++;
		} else {
			errx(2, "%s: unterminated PEM object", path);
		}
	}
	buf_free(&cur);
	free(data);
	if (n == 0)
		errx(2, "%s: no certificate", path);
	*num = n;
	return objs;
}

static void
free_anchor(br_x509_trust_anchor *ta)
{
	free(ta->dn.data);
	switch (ta->pkey.key_type) {
	case BR_KEYTYPE_RSA:
		free(ta->pkey.key.rsa.n);
		free(ta->pkey.key.rsa.e);
		break;
	case BR_KEYTYPE_EC:
		free(ta->pkey.key.ec.q);
		break;
	}
}

/*
 * A trust anchor from a certificate, as BearSSL's tools/certs.c makes one:
 * the subject DN, BR_X509_TA_CA when basicConstraints says CA, and a copy of
 * the public key. Exits if the certificate cannot be decoded.
 */
static void
cert_to_anchor(const der_obj *cert, const char *path, br_x509_trust_anchor *ta)
{
	br_x509_decoder_context dc;
	buf_t dn = { 0 };
	br_x509_pkey *pk;
	int e;

	br_x509_decoder_init(&dc, append_bytes, &dn);
	br_x509_decoder_push(&dc, cert->der, cert->len);
	pk = br_x509_decoder_get_pkey(&dc);
	if (pk == NULL) {
		e = br_x509_decoder_last_error(&dc);
		errx(2, "%s: cannot decode anchor certificate: %d %s",
			path, e, error_name(e));
	}
	memset(ta, 0, sizeof *ta);
	ta->dn.data = xmemdup(dn.data, dn.len);
	ta->dn.len = dn.len;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	switch (pk->key_type) {
	case BR_KEYTYPE_RSA:
		ta->pkey.key.rsa.n = xmemdup(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = xmemdup(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		break;
	case BR_KEYTYPE_EC:
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = xmemdup(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		break;
	default:
		errx(2, "%s: anchor key type %d not supported", path, pk->key_type);
	}
	buf_free(&dn);
}

int
main(int argc, char **argv)
{
	const char *name = NULL;
	der_obj *anchor_certs = NULL, *chain = NULL;
	br_x509_trust_anchor *tas = NULL;
	size_t num_anchors = 0, num_chain = 0, u;
	br_x509_minimal_context xc;
	const br_x509_class **vt;
	uint32_t days, secs;
	int64_t t;
	char msg[256];
	int c, code;

	while ((c = getopt(argc, argv, "n:")) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 3)
		usage();
	if (simtime_parse(argv[2], &t, msg, sizeof msg) != 0)
		errx(2, "date \"%s\": %s", argv[2], msg);
	simtime_to_bearssl(t, &days, &secs);

	anchor_certs = read_pem_certs(argv[0], &num_anchors);
	chain = read_pem_certs(argv[1], &num_chain);
	tas = xcalloc(num_anchors, sizeof *tas);
	for (u = 0; u < num_anchors; u++)
		cert_to_anchor(&anchor_certs[u], argv[0], &tas[u]);

	/* The engine as a BearSSL client sets it up: every hash and the default
	 * RSA and ECDSA implementations, then the time. */
	br_x509_minimal_init_full(&xc, tas, num_anchors);
	br_x509_minimal_set_time(&xc, days, secs);
	vt = &xc.vtable;
	(*vt)->start_chain(vt, name);
	for (u = 0; u < num_chain; u++) {
		(*vt)->start_cert(vt, (uint32_t)chain[u].len);
		(*vt)->append(vt, chain[u].der, chain[u].len);
		(*vt)->end_cert(vt);
	}
	code = (int)(*vt)->end_chain(vt);
	printf("%d %s\n", code, error_name(code));

	for (u = 0; u < num_anchors; u++)
		free_anchor(&tas[u]);
	free(tas);
	free_objs(anchor_certs, num_anchors);
	free_objs(chain, num_chain);
	return 0;
}
