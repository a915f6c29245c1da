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
 *   lab.json, sink.jsonl on the lab network: where the server was, and the
 *                       attempts the sink caught (verdict/lab.h)
 *
 * The outcome never rests on the device's word alone, nor on the server's:
 *  - "updated" needs the image bytes sent by the server and seen on the wire,
 *    and the new version reported after the download;
 *  - "insecure" needs a completed handshake with a chain that a correct
 *    validation refuses, and a request over it (client application data on
 *    the wire, or a request event): a client that checks a pin after the
 *    handshake and closes without a request has rejected the server;
 *  - neither is decided without a whole capture: a missing, unreadable or
 *    cut capture makes them "error" (evidence incomplete);
 *  - the server's events and the wire are counted against each other
 *    (completed handshakes, image bytes, check-in connections); when they
 *    disagree the outcome is "error", with both numbers.
 */
#ifndef ROTSIM_VERDICT_H
#define ROTSIM_VERDICT_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "evidence/evidence.h"
#include "scenario/scenario.h"
#include "verdict/lab.h"
#include "verdict/proto.h"

/* A verdict is one summary.json record (evidence/evidence.h). */
typedef ev_record verdict_result;

/*
 * Decide a phase from its evidence: pure, no I/O, the same evidence gives the
 * same result. Always fills *r (an infrastructure problem or evidence that
 * does not hold together is the outcome "error"); r->evidence is left empty
 * for the caller.
 */
void verdict_decide(const evidence *ev, verdict_result *r);

/*
 * The same with the lab network's evidence (verdict/lab.h; NULL or not
 * present: none): only flows to the update server's address and port count,
 * and a device that was rejected or never reached the server gets what the
 * network shows after its reason ("; network: DNS NXDOMAIN for ...").
 */
void verdict_decide_lab(const evidence *ev, const verdict_lab *lab, verdict_result *r);

/*
 * The same for a device that speaks another update protocol
 * (verdict/proto.h; NULL or rotsim: rotsim's own). In the files protocol
 * "updated" needs the offered image covered whole by the bytes the server
 * sent and the wire carried, then the device's configured signal after a
 * reboot with the offered version; in hawkbit the artifact covered whole,
 * then a closed feedback with result success for the action. The reason
 * says what was seen.
 */
void verdict_decide_proto(const evidence *ev, const verdict_lab *lab,
	const verdict_proto *vp, verdict_result *r);

/*
 * evidence_load() then verdict_decide() on the phase in dir (with its lab
 * and protocol evidence). Returns 0 with r
 * filled, or -1 with err when dir is not a phase directory (no readable
 * phase.json).
 */
int verdict_phase(const char *dir, verdict_result *r, char *err, size_t errlen);

#endif
