/*
 * A small JSON reader and writer: enough for rotsim's evidence files (one
 * object per line from the update server), summary.json and reports.
 *
 * The reader builds a tree; strings are decoded to UTF-8 (a \u0000 escape is
 * refused, so every string is a C string). Numbers keep their text and a
 * double; json_int() reads integral ones exactly. Nesting is limited to
 * JSON_MAX_DEPTH.
 */
#ifndef ROTSIM_JSON_H
#define ROTSIM_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

#define JSON_MAX_DEPTH 64

typedef enum {
	JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT
} json_type;

typedef struct json json;
struct json {
	json_type type;
	char *str;		/* STRING: the value; NUMBER: its text */
	double num;
	json **items;		/* ARRAY and OBJECT values */
	char **keys;		/* OBJECT keys, parallel to items */
	size_t n;
};

/* Parse text (len bytes). Returns the tree (release with json_free()), or
 * NULL with "offset N: message" in err. Whitespace around the value is
 * allowed; anything else after it is an error. */
json *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(json *j);

/* Member of an object by key (the first one), or NULL (also when j is not an
 * object or is NULL). */
const json *json_get(const json *j, const char *key);
/* A member's string, or NULL if absent or not a string. */
const char *json_get_str(const json *j, const char *key);
/* A member's integral number into *v: 0, or -1 if absent, not a number or
 * not an integer that fits. */
int json_get_int(const json *j, const char *key, int64_t *v);
int json_int(const json *j, int64_t *v);

/*
 * Writing: the JSON string literal (with quotes) of data[0..len), the one
 * escaper of rotsim. Well-formed UTF-8 passes unchanged; '"' and '\\' are
 * escaped, and so are control characters (\n, \r, \t, else \u00XX, DEL
 * included); every byte that starts no well-formed UTF-8 sequence (a stray
 * continuation byte, a truncated sequence, an overlong form, a surrogate, a
 * code point above U+10FFFF, 0xC0, 0xC1, 0xF5..0xFF) becomes U+FFFD, written
 * \ufffd. The output is valid JSON and valid UTF-8 whatever the
 * input; NUL bytes are written as \u0000.
 */
void json_put_strn(buf_t *b, const void *data, size_t len);
/* The same for a C string; NULL writes null. */
void json_put_str(buf_t *b, const char *s);

#endif
