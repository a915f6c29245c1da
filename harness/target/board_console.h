/*
 * The board driver's console (harness/target/board.c): a serial port (raw,
 * 8N1, no flow control), a TCP port (ser2net in raw mode) or a command whose
 * standard input and output are the console. Everything read is appended to
 * a log, up to a bound; a console that closes is opened again (serial, TCP)
 * every second, since the board behind it may still run. Library code: errors
 * go to err, notes to the caller's note function.
 */
#ifndef ROTSIM_BOARD_CONSOLE_H
#define ROTSIM_BOARD_CONSOLE_H

#include <stddef.h>

#include "run/proc.h"

enum { BCON_SERIAL, BCON_TCP, BCON_COMMAND };

typedef struct {
	/* Set by the caller. */
	int kind;			/* BCON_* */
	const char *spec;		/* serial: DEVICE[,BAUD]; tcp: HOST:PORT */
	char *const *argv;		/* command: its words */
	const char *stderr_log;		/* command: where its stderr goes */
	int log_fd;			/* the console log */
	const char *want;		/* text to watch for, or NULL */
	void (*note)(void *ctx, const char *fmt, const char *arg);
	void *ctx;
	/* State. */
	int rfd, wfd, lost, matched;	/* matched: want was seen */
	proc cp;
	long long logged, next_try;
	char win[4096];			/* the console's tail, for want */
	size_t winlen;
} bcon;

/* Prepare c (after the caller's fields are set): nothing is open yet. */
void bcon_init(bcon *c);

/* Open the console now. Returns 0, or -1 with err. */
int bcon_open(bcon *c, char *err, size_t errlen);

/* Read the console into the log for up to timeout_ms, opening it again when
 * it is closed (not a command console). */
void bcon_pump(bcon *c, int timeout_ms);

/* Type text on the console; a closed console is not an error (nor SIGPIPE). */
void bcon_type(bcon *c, const char *text);

/* Close the console (stop its command). NULL-safe fields, idempotent. */
void bcon_close(bcon *c);

#endif
