/*
 * Firmware signing: the ECDSA P-256 firmware-signing key, the update manifest
 * and its signature, and a small PEM reader shared with the update server.
 *
 * The manifest is a few lines of ASCII text, each "KEY VALUE\n":
 *
 *   rotsim-manifest 1
 *   version 2
 *   size 1048576
 *   sha256 <64 lower-case hex digits of the image's SHA-256>
 *   url /firmware/image-2.bin
 *   sig <base64 of the 64-byte raw signature r||s>
 *
 * The first line is fixed; version, size, sha256 and url appear once each, in
 * that order; sig is the last line. The signature is ECDSA P-256 over SHA-256
 * of every byte of the manifest before the "sig" line (the newline of the url
 * line included), so a device hashes a prefix of what it received and needs
 * nothing but BearSSL's br_ecdsa_i31_vrfy_raw() to check it. The signing key is
 * independent of any TLS key.
 *
 * Errors: every function that can fail returns 0 on success and -1 with a
 * message in the caller's err buffer (util_err), and never prints or exits.
 */
#ifndef ROTSIM_FW_H
#define ROTSIM_FW_H

#include <stddef.h>
#include <stdint.h>

/* A P-256 firmware-signing key pair. d is the private scalar, q the public
 * point in uncompressed form (0x04 || X || Y). Wipe with fw_key_wipe(). */
typedef struct {
	unsigned char d[32];
	unsigned char q[65];
} fw_key;

/* Generate a fresh key from the system's entropy source. */
int fw_key_generate(fw_key *k, char *err, size_t errlen);

/* Load a P-256 private key from PEM text: PKCS#8 ("PRIVATE KEY") or SEC 1
 * ("EC PRIVATE KEY"). The public point is recomputed from the scalar. */
int fw_key_parse(fw_key *k, const void *pem, size_t len, char *err, size_t errlen);
int fw_key_load(fw_key *k, const char *path, char *err, size_t errlen);

/*
 * Write the private key to path as PKCS#8 PEM with mode 0600. An existing file
 * (or a symbolic link) at path is never replaced: that is an error. The write is
 * atomic (util_write_atomic) and the encoded secret is wiped from memory.
 */
int fw_key_save(const fw_key *k, const char *path, char *err, size_t errlen);

/* The public key as PEM SubjectPublicKeyInfo ("PUBLIC KEY"), allocated with
 * xmalloc(); released by the caller. */
char *fw_key_pub_pem(const fw_key *k);

/* Clear the private scalar. NULL-safe. */
void fw_key_wipe(fw_key *k);

/* Decode a public key given as PEM SPKI or as 65 raw bytes (0x04 || X || Y)
 * into q. */
int fw_pub_parse(unsigned char q[65], const void *data, size_t len,
	char *err, size_t errlen);

#define FW_URL_MAX 255

/* A parsed manifest. signed_len is the length of the signed prefix. */
typedef struct {
	uint32_t version;
	uint64_t size;
	unsigned char sha256[32];
	char url[FW_URL_MAX + 1];
	unsigned char sig[64];
	size_t signed_len;
} fw_manifest;

/*
 * Parse manifest text (len bytes, need not be NUL-terminated). Strict: the
 * lines must be exactly as above, with '\n' line ends, a url that starts with
 * '/' and holds printable ASCII without spaces, decimal numbers without sign or
 * leading zeros, and nothing after the sig line. On error, the message names the
 * line ("line 3: bad size").
 */
int fw_manifest_parse(fw_manifest *m, const void *text, size_t len,
	char *err, size_t errlen);

/*
 * Write and sign a manifest for version, size, sha256 and url of m (its sig and
 * signed_len are set too). Returns the text (NUL-terminated, allocated with
 * xmalloc(), released by the caller) and its length in *len, or NULL with err
 * (a url that the parser would refuse, a signing failure).
 */
char *fw_manifest_sign(fw_manifest *m, const fw_key *k, size_t *len,
	char *err, size_t errlen);

/*
 * Check the signature of manifest text against the public point q (65 bytes,
 * uncompressed). Parses the text into m (m may be NULL). Uses only BearSSL's
 * SHA-256 and br_ecdsa_i31_vrfy_raw, as a device would.
 */
int fw_manifest_verify(fw_manifest *m, const void *text, size_t len,
	const unsigned char q[65], char *err, size_t errlen);

/* Check an image against a manifest: its size and its SHA-256. */
int fw_image_check(const fw_manifest *m, const void *img, size_t len,
	char *err, size_t errlen);

/*
 * PEM objects. fw_pem_decode() reads every object of a PEM text into an array
 * (allocated with xmalloc(), as is each name and data); release with
 * fw_pem_free(). Returns the number of objects (0 if there are none) or -1 on
 * malformed PEM with err.
 */
typedef struct {
	char *name;		/* the banner, e.g. "CERTIFICATE" */
	unsigned char *data;	/* the DER bytes */
	size_t len;
} fw_pem_obj;

long fw_pem_decode(const void *text, size_t len, fw_pem_obj **objs,
	char *err, size_t errlen);
void fw_pem_free(fw_pem_obj *objs, size_t n);

/* Read the file at path and decode its PEM objects, as fw_pem_decode() does;
 * the file's text is cleared from memory afterwards (it may hold a private
 * key); a message names the file. Returns the count or -1 with err. */
long fw_pem_read_file(const char *path, fw_pem_obj **objs, char *err, size_t errlen);

#endif
