/*
 * The agent's console: one line per step, "rotsim: NAME key=value ...", the
 * grammar of README.md ("Console protocol"), and the names of BearSSL errors
 * and TLS alerts that those lines carry.
 *
 * A line is built in a con_line (on the caller's stack, no allocation) and
 * written whole with con_emit(), so two lines never interleave and a line is
 * never cut by buffering. Values that are empty or hold a space, '"', '\\',
 * '=' or a byte outside printable ASCII are written in double quotes with
 * \" \\ and \xNN escapes; every other value is written as it is. A line
 * longer than CON_LINE_MAX is cut at a key=value boundary and ends with
 * " truncated=1".
 */
#ifndef ROTSIM_FW_CONSOLE_H
#define ROTSIM_FW_CONSOLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CON_LINE_MAX 1024

typedef struct {
	char text[CON_LINE_MAX + 1];
	size_t len;
	int truncated;
} con_line;

/* Start a line "rotsim: NAME". */
void con_begin(con_line *l, const char *name);
/* Append " key=value" (value quoted as above; NULL is written as ""). */
void con_str(con_line *l, const char *key, const char *value);
void con_int(con_line *l, const char *key, long long value);
void con_uint(con_line *l, const char *key, unsigned long long value);
/* Append " key=" and the value as printf would format it, then quoted as
 * above. */
void con_fmt(con_line *l, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Write the line and a newline to f and flush it. Returns the line (without
 * the newline), valid until the next con_begin() on l. */
const char *con_emit(con_line *l, FILE *f);

/*
 * Write value quoted as above into out (outlen bytes, NUL-terminated).
 * Returns the length it needs (without the NUL), like snprintf; the output is
 * cut when that is outlen or more.
 */
size_t con_quote(char *out, size_t outlen, const char *value);

/* "BR_ERR_X509_NOT_TRUSTED" for 62; for codes from BR_ERR_RECV_FATAL_ALERT
 * and BR_ERR_SEND_FATAL_ALERT, "BR_ERR_RECV_FATAL_ALERT" and
 * "BR_ERR_SEND_FATAL_ALERT". NULL for a code not in the table. */
const char *con_error_name(int err);
/* One-line meaning of an error code, "" when unknown. */
const char *con_error_text(int err);
/* "unknown_ca" for 48; NULL when unknown. */
const char *con_alert_name(int alert);

#endif
