/*
 * What a phase's update protocol shows, for the verdict of devices that speak
 * a plain HTTPS file tree or the hawkBit DDI subset (sim/server/PROTOCOL.md)
 * rather than rotsim's own protocol.
 *
 * A phase directory may hold protocol.json, written by the runner from the
 * device's description:
 *   {"protocol": "files", "image_path": "/firmware/update.bin",
 *    "signal": "checkin:/checkin"}
 * protocol is rotsim (the default: no protocol.json), files or hawkbit;
 * signal (files only) is how the new version shows after the reboot:
 *   checkin:PATH     a request to PATH after the image was complete, with
 *                    version=N in its query or body (N must be the offered
 *                    version)
 *   request:PATTERN  a request after the image was complete whose path (with
 *                    its query) starts with PATTERN, or matches it as a POSIX
 *                    extended regular expression when it starts with '^'
 *   console:TEXT     TEXT on the console of a boot after the first
 * "{version}" in PATTERN or TEXT stands for the offered version.
 *
 * The server's events say which bytes of which image each response carried
 * ("image", "offset", "bytes"), the check-in bodies, and the DDI feedback
 * bodies, which are parsed again here with the server's own parser
 * (server/ddi.h). Per-boot consoles are console-N.log.
 *
 * Evidence: the image must be covered whole by the byte ranges the server
 * sent (repeats and overlaps counted once), and the signal (files) or a
 * closed/success feedback (hawkbit) must come after that; without both a
 * phase is never "updated". Every input is outside data: any bytes are safe
 * (fuzz_verdict_proto.c).
 */
#ifndef ROTSIM_VERDICT_PROTO_H
#define ROTSIM_VERDICT_PROTO_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
	VPROTO_ROTSIM, VPROTO_FILES, VPROTO_HAWKBIT
} verdict_protocol;

typedef enum {
	VSIG_NONE, VSIG_CHECKIN, VSIG_REQUEST, VSIG_CONSOLE
} verdict_signal;

/* A request event, as far as the protocols need it. */
typedef struct {
	long conn;
	char *method, *path;
	long status;
	char *image;			/* the image its body was part of, or NULL */
	uint64_t offset, bytes, size;	/* first byte, body bytes sent, file size */
	char *report;			/* a check-in body, or NULL */
	char *feedback;			/* a DDI feedback body, or NULL */
} vp_request;

typedef struct {
	char *problem;			/* protocol.json unreadable or malformed, or
					   protocol.json and the server disagree */
	verdict_protocol protocol;
	char *image_path;		/* where the image was served, or NULL */
	verdict_signal signal;
	char *signal_arg;		/* the PATH, PATTERN or TEXT */
	char *signal_text;		/* the signal as written, for reasons */
	vp_request *reqs;		/* in the order of the event log */
	size_t nreqs;
	char **boots;			/* console text of each boot, in order */
	size_t nboots;
} verdict_proto;

/* What the evidence of such a phase shows. */
typedef struct {
	uint64_t covered;		/* distinct bytes of the offered image sent */
	uint64_t image_bytes;		/* all its body bytes sent, repeats too */
	int image_requests;
	long complete_at;		/* request index that made it whole, -1 */
	/* files */
	int signal_seen;		/* the signal, after the image was whole */
	long signal_version;		/* the version it stands for, -1 */
	int signal_conns;		/* connections that carried check-ins */
	char signal_detail[256];	/* what was seen */
	/* hawkbit */
	int feedbacks;			/* accepted feedback posts for the action */
	char finished[16];		/* the last closed feedback's result, "" */
	char detail[128];		/* its first detail */
	long closed_at;			/* request index of it, -1 */
} verdict_proto_facts;

/* Parse protocol.json text (NULL: none, rotsim unless the server's listen
 * event names another) and the server's events text (may be NULL). */
void verdict_proto_parse(verdict_proto *vp, const char *proto_json, size_t plen,
	const char *events, size_t elen);
/* Add the console of the next boot. */
void verdict_proto_add_boot(verdict_proto *vp, const char *text, size_t len);
/* Read dir/protocol.json, dir/server-events.jsonl and dir/console-N.log. */
void verdict_proto_load(const char *dir, verdict_proto *vp);
void verdict_proto_free(verdict_proto *vp);

/* The facts for the offered version and image size (-1: unknown). Pure. */
void verdict_proto_facts_of(const verdict_proto *vp, long offered, long image_size,
	verdict_proto_facts *f);

/* The protocol's name. */
const char *verdict_protocol_name(verdict_protocol p);

#endif
