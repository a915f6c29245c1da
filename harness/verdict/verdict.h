/*
 * Verdicts: the observed outcome of one phase of one case, decided from the
 * evidence files in the phase's directory alone, so that it can be decided
 * again later (rotsim verdict) and give the same answer.
 *
 * A phase directory holds:
 *   phase.json          what was planned: scenario, device, target, phase,
 *                       date, expected outcome and tier, offered version, the
 *                       version before, image size, server port, the device's
 *                       anchors or pins, and where the PKI is
 *   run.json            what the runner saw: boots, exit statuses, timeouts,
 *                       an infrastructure error if any, interruption
 *   console.log         the device's console
 *   server-events.jsonl the update server's events
 *   capture.pcap        every packet of the device
 *
 * The outcome never rests on the device's word alone: "updated" needs the
 * image bytes sent by the server and seen on the wire, and the new version
 * reported after the download; "insecure" needs a completed handshake with a
 * chain that a correct validation refuses.
 */
#ifndef ROTSIM_VERDICT_H
#define ROTSIM_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "scenario/scenario.h"

typedef struct {
	scn_outcome observed;
	scn_outcome expected;
	int required;
	int pass;			/* observed == expected */
	char reason[768];		/* in words a firmware engineer reads */
	/* Evidence, for summary.json and reports. */
	int handshakes_ok, handshakes_failed;
	char alert[48];			/* the first alert the device sent, or "" */
	char device_error[64];		/* the BearSSL error the console names, or "" */
	char chain_text[256];		/* "leaf-r10 <- r10" as presented */
	char reference[160];		/* "ok" or the error a correct validation gives */
	uint64_t image_bytes_sent;	/* server events: firmware body bytes */
	uint64_t wire_app_bytes;	/* capture: application data to the device */
	int capture_ok;			/* the capture could be read */
	int capture_handshakes;		/* completed handshakes seen on the wire */
	long reported_version;		/* last check-in version, -1 if none */
	long offered_version, version_before;
	char scenario[128], device[64], target[64], phase[64], date[32];
} verdict_result;

/*
 * Decide the phase in dir. Returns 0 with r filled (an infrastructure problem
 * is an outcome, "error", not a failure of this function), or -1 with err when
 * dir is not a phase directory (no readable phase.json).
 */
int verdict_phase(const char *dir, verdict_result *r, char *err, size_t errlen);

/* The verdict as a JSON object (one summary.json record, without a newline). */
void verdict_json(const verdict_result *r, const char *evidence_dir, buf_t *out);

/* One line for a person: "pin-r3 @ after (2024-07-01): rejected: ...;
 * expected rejected: PASS". */
void verdict_line(const verdict_result *r, buf_t *out);

#endif
