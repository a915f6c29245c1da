/*
 * The firmware bundle: what image-N.bin holds and what a flash slot holds
 * once installed. README.md ("Bundle format") is the specification:
 *
 *   rotsim-bundle 1\n
 *   version N\n
 *   anchors LEN\n        optional: a trust store, PEM certificates
 *   pins LEN\n           optional: a pin list, one base64 SHA-256 per line
 *   payload LEN\n        optional: opaque application bytes
 *   \n                   an empty line ends the header
 *   <anchors bytes><pins bytes><payload bytes>
 *
 * Sections appear at most once each, in that order; numbers are decimal
 * without sign or leading zeros; the header is at most BUNDLE_HEAD_MAX
 * bytes; the bundle ends exactly after the last section. A trust store in a
 * bundle replaces the device's factory trust store when the bundle runs.
 *
 * Pure functions on buffers: no I/O; bundle_parse() allocates nothing (the
 * parsed sections point into the caller's buffer).
 */
#ifndef ROTSIM_FW_BUNDLE_H
#define ROTSIM_FW_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define BUNDLE_MAGIC "rotsim-bundle 1\n"
#define BUNDLE_HEAD_MAX 4096

typedef struct {
	const unsigned char *data;	/* NULL when the section is absent */
	size_t len;
} bundle_section;

typedef struct {
	uint32_t version;		/* 1 .. 4294967295 */
	bundle_section anchors;
	bundle_section pins;
	bundle_section payload;
	size_t head_len;		/* bytes of the header, its empty line included */
	size_t total_len;		/* head_len + every section */
} bundle;

/*
 * Parse a bundle from data[0..len). Returns 0, or -1 with a message in err
 * ("line 2: bad version", "anchors: 12 bytes missing"). When allow_trailing is
 * non-zero, bytes after the bundle are ignored (a flash slot is larger than
 * the bundle it holds); otherwise they are an error.
 */
int bundle_parse(bundle *b, const void *data, size_t len, int allow_trailing,
	char *err, size_t errlen);

/* 1 if data starts with the bundle magic line. */
int bundle_is_bundle(const void *data, size_t len);

/*
 * Append a bundle to out. Sections with a NULL data pointer are left out (an
 * empty but present section is written with length 0). version must be at
 * least 1.
 */
void bundle_write(buf_t *out, uint32_t version, const bundle_section *anchors,
	const bundle_section *pins, const bundle_section *payload);

#endif
