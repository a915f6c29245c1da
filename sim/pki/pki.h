/*
 * The test CA: a certificate hierarchy read from .pki sections (format in
 * sim/pki/FORMAT.md), built with BearSSL, and exported as files.
 *
 * Life cycle:
 *   pki_init(&p);
 *   pki_add_doc(&p, &doc, ...)      once per parsed file (a .pki file, or a
 *                                   scenario that holds PKI sections)
 *   pki_resolve(&p, ...)            link ids, apply defaults, check the whole
 *   pki_build(&p, seed, cache, ...) keys and certificates, in memory
 *   pki_write(&p, dir, ...)         the files
 *   pki_free(&p);
 *
 * Every function that can fail returns 0 or -1 with a message in err; messages
 * about the input start with "FILE:LINE: ". Nothing is written to disk before
 * pki_write(), so a bad file leaves no trace.
 */
#ifndef ROTSIM_PKI_H
#define ROTSIM_PKI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/cfg.h"
#include "common/util.h"
#include "pki/key.h"

typedef enum { PKI_ROOT, PKI_INTERMEDIATE, PKI_CROSS, PKI_LEAF } pki_kind;

typedef enum { PKI_HASH_DEFAULT = 0, PKI_SHA1, PKI_SHA256, PKI_SHA384 } pki_hash;

/* keyUsage bits, as numbered in RFC 5280 4.2.1.3. */
#define PKI_KU_DIGITAL_SIGNATURE	(1u << 0)
#define PKI_KU_NON_REPUDIATION		(1u << 1)
#define PKI_KU_KEY_ENCIPHERMENT		(1u << 2)
#define PKI_KU_DATA_ENCIPHERMENT	(1u << 3)
#define PKI_KU_KEY_AGREEMENT		(1u << 4)
#define PKI_KU_KEY_CERT_SIGN		(1u << 5)
#define PKI_KU_CRL_SIGN			(1u << 6)

/* Where something was written, for messages. */
typedef struct {
	const char *file;	/* owned by the pki (interned) */
	int line;
} pki_loc;

typedef struct {
	char *name;		/* NULL for the default chain */
	char **ids;
	pki_loc *locs;
	size_t n;
	struct pki_cert **certs;	/* resolved */
	pki_loc loc;
} pki_chain;

typedef struct pki_cert {
	char *id;
	pki_kind kind;
	pki_loc loc;

	/* As written (NULL or 0 when not set). */
	char *subject;
	pki_loc subject_loc;
	pki_key_type key_type;
	char *key_label;
	char *issuer_id, *of_id;
	pki_loc issuer_loc, of_loc;
	int64_t not_before, not_after;
	unsigned char serial[20];
	size_t serial_len;	/* 0: derived */
	pki_hash hash;
	int path_len;		/* -1: none */
	int bc_mode;		/* 0 critical, 1 non-critical, 2 none */
	int ku_set;		/* 0 default, 1 as ku, 2 none */
	unsigned ku;
	int eku_set;		/* 0 default, 1 as listed, 2 none */
	char **eku;		/* OIDs, dotted */
	size_t neku;
	char **san;		/* "dns:x" / "ip:1.2.3.4" as written */
	size_t nsan;
	pki_loc san_loc;
	int ski_mode, aki_mode;	/* 0 auto, 1 none, 2 explicit */
	unsigned char ski[32], aki[32];
	size_t ski_len, aki_len;
	pki_chain *chains;
	size_t nchains;
	char *description;

	/* Resolved. */
	struct pki_cert *issuer;	/* self for a root */
	struct pki_cert *of;		/* the cross-sign's subject; self otherwise */
	buf_t name_der;			/* subject Name */

	/* Built. */
	pki_key *key;			/* shared between a certificate and its crosses */
	unsigned char *der;
	size_t der_len;
	unsigned char key_id[20];	/* subjectKeyIdentifier as written in the cert */
	size_t key_id_len;
} pki_cert;

typedef struct {
	char *name;
	char **ids;
	size_t n;
	pki_cert **certs;
	pki_loc loc;
	pki_loc certs_loc;
} pki_anchor_set;

typedef struct {
	pki_key *key;
	char *label;
	pki_key_type type;
	int generated;
} pki_key_slot;

typedef struct {
	pki_cert **certs;
	size_t ncerts;
	pki_anchor_set *sets;
	size_t nsets;
	pki_hash default_hash;
	pki_loc defaults_loc;
	char **files;		/* interned file names */
	size_t nfiles;
	pki_key_slot *keys;
	size_t nkeys;
	int resolved, built;
} pki;

void pki_init(pki *p);
void pki_free(pki *p);

/*
 * Take the PKI sections of a parsed file ([root], [intermediate], [cross],
 * [leaf], [anchors], [defaults]). With strict set, any other section kind is
 * an error; without, other sections are left to the caller (a scenario
 * parser); with strict set, a document without any certificate or anchor set
 * is an error too (FILE:1). Returns 0 or -1 with "FILE:LINE: message".
 */
int pki_add_doc(pki *p, cfg_doc *doc, int strict, char *err, size_t errlen);
/* 1 if kind is a section kind the PKI reads. */
int pki_is_section_kind(const char *kind);

/* Link every reference, apply defaults and check the hierarchy as a whole
 * (unknown or wrong-kind ids, cycles, dates). */
int pki_resolve(pki *p, char *err, size_t errlen);

/* Progress report for long work: called before each key is generated (not for
 * keys read from the cache), with the key's label and type, its number (from 1)
 * and the number of keys. */
typedef void (*pki_progress_fn)(void *ctx, const char *label, const char *type,
	size_t done, size_t total);

/*
 * Get every key (cache_dir may be NULL) and build every certificate.
 * progress may be NULL.
 */
int pki_build(pki *p, const char *seed, const char *cache_dir,
	pki_progress_fn progress, void *ctx, char *err, size_t errlen);

/* The key cache used when none is given: $ROTSIM_CACHE, else
 * $XDG_CACHE_HOME/rotsim, else ~/.cache/rotsim. Allocated with xmalloc(), or
 * NULL when none of them is set. */
char *pki_default_cache(void);

/* Write every output file under dir (created if needed). Each file appears
 * whole or not at all (a temporary name renamed into place); files are not
 * flushed to the disk one by one, since they can be built again. */
int pki_write(const pki *p, const char *dir, char *err, size_t errlen);

/*
 * One output file, for pki_each_output(): its name under the output directory
 * ("ID.crt.pem", "chains/ID.pem", "anchors/NAME.h", ...), its mode (0600 for
 * private keys, 0644 otherwise) and its bytes, valid during the call only.
 * Returns 0, or non-zero with err to stop.
 */
typedef int (*pki_output_fn)(void *ctx, const char *name, mode_t mode,
	const unsigned char *data, size_t len, char *err, size_t errlen);

/* Call fn for every file pki_write() writes (after pki_build), in the same
 * order; private keys' bytes are wiped after the call. 0, or -1 with err. */
int pki_each_output(const pki *p, pki_output_fn fn, void *ctx, char *err, size_t errlen);

/* Make dir and its chains/ and anchors/ (mode 0755). 0 or -1 with err. */
int pki_out_dirs(const char *dir, char *err, size_t errlen);
/* Write dir/name whole (a temporary name with O_EXCL|O_NOFOLLOW, then rename:
 * a symlink planted at the name is replaced, never followed) with mode.
 * 0 or -1 with "PATH: reason". */
int pki_write_file(const char *dir, const char *name, mode_t mode,
	const unsigned char *data, size_t len, char *err, size_t errlen);

/*
 * The output cache: a built hierarchy's files kept whole under
 * CACHE/pki-v1/KEY/, KEY being the SHA-256 of everything the files depend on:
 * the input files' contents in order, the seed, rotsim's version and the code
 * that builds them (a hash of its sources, taken at build time). A warm build
 * copies the files out and signs nothing.
 *
 *   pki_inputs in;
 *   pki_inputs_init(&in, seed, version);
 *   pki_inputs_add(&in, text, len);          once per input file
 *   pki_inputs_key(&in, key);
 *   pki_cache_get(cache, key, dir, ...)      1: done; 0: build, pki_write,
 *   pki_cache_put(&p, cache, key, ...)         then keep the result
 *
 * An entry holds an index (the names, modes, sizes and SHA-256 of the files)
 * and the files; it is written under a temporary name and renamed into place,
 * so a reader sees all of it or nothing. Entries are read through descriptors
 * opened with O_NOFOLLOW below the cache directory, and every file is checked
 * against the index before anything is written: a planted link, a truncated or
 * altered file makes the entry a miss, and pki_cache_put() replaces it.
 * pki_cache_get() writes into a missing dir by renaming a complete directory
 * into place, and leaves files of an existing dir alone when they already
 * hold the entry's bytes and mode.
 */
typedef struct {
	br_sha256_context h;
} pki_inputs;

void pki_inputs_init(pki_inputs *in, const char *seed, const char *version);
void pki_inputs_add(pki_inputs *in, const void *data, size_t len);
/* The key as 64 lower-case hex digits. */
void pki_inputs_key(const pki_inputs *in, char key[65]);

/* Copy the entry key into dir, with the recorded modes. Returns 1 when every
 * file was written, 0 when there is no good entry (nothing written), -1 with
 * err when dir could not be written. */
int pki_cache_get(const char *cache_dir, const char *key, const char *dir,
	char *err, size_t errlen);

/* Keep p's outputs (after pki_build) as the entry key, replacing a bad one.
 * Directories 0700, files 0600. Then the cache is trimmed to
 * pki_cache_limit() bytes, the entries used least recently going first.
 * 0, or -1 with err (nothing is published). */
int pki_cache_put(const pki *p, const char *cache_dir, const char *key,
	char *err, size_t errlen);

/* The most the output cache holds, in bytes: $ROTSIM_PKI_CACHE_MAX when it is
 * a number, else PKI_CACHE_MAX_BYTES (a whole run's scenarios take about
 * 30 MiB per seed). */
#define PKI_CACHE_MAX_BYTES (256ull << 20)
uint64_t pki_cache_limit(void);

/* One line of an entry's index. */
typedef struct {
	char *name;		/* output name, checked as pki_each_output() makes them */
	mode_t mode;		/* 0600 or 0644 */
	size_t size;
	unsigned char sha256[32];
} pki_cache_file;

/* Parse an index (at most PKI_CACHE_MAX_FILES lines). Returns 0 with *files
 * (allocated with xmalloc(), free with pki_cache_files_free()) and *n, or -1
 * with "index:LINE: what". */
#define PKI_CACHE_MAX_FILES 100000
int pki_cache_index_parse(const char *text, size_t len, pki_cache_file **files, size_t *n,
	char *err, size_t errlen);
void pki_cache_files_free(pki_cache_file *files, size_t n);

/* Lookups; NULL when there is none. */
pki_cert *pki_find(const pki *p, const char *id);
pki_anchor_set *pki_find_anchors(const pki *p, const char *name);
/* A leaf's chain by variant name (NULL: the default). */
const pki_chain *pki_leaf_chain(const pki_cert *leaf, const char *variant);

/* Exporters, appending to out (after pki_build). */
void pki_cert_pem(const pki_cert *c, buf_t *out);
void pki_chain_pem(const pki_cert *leaf, const pki_chain *ch, buf_t *out);
void pki_anchors_pem(const pki_anchor_set *s, buf_t *out);
void pki_anchors_header(const pki_anchor_set *s, buf_t *out);
void pki_anchors_pins(const pki_anchor_set *s, buf_t *out);

/* PEM armour of DER data with the given label ("CERTIFICATE", ...). */
void pki_pem(buf_t *out, const char *label, const void *der, size_t len);

/* Names for kinds and hashes, for messages and the manifest. */
const char *pki_kind_name(pki_kind k);

#endif
