/*
 * What the lab network shows of a phase, for the verdict: where the update
 * server was (so that only flows to its address and port count as update
 * flows), and the DHCP, DNS, NTP and sink evidence that explains a device
 * that did not get there ("resolved api.example.com, got 10.77.0.2", "DNS
 * NXDOMAIN for api.example.com", "NTP kiss-of-death RATE", "tried
 * 8.8.8.8:53/udp (sink)").
 *
 * A lab phase leaves in its directory:
 *   lab.json      the lab's plan (net/labnet.h): server_addr, server_port,
 *                 host, dns_answer, dns_delay_s, dhcp_ntp_option, ntp,
 *                 ntp_date or ntp_kiss, options
 *   sink.jsonl    every diverted attempt: proto, src, dst
 *   capture.pcap  the bridge, with DHCP, DNS and NTP (capture/lab.h)
 * A phase without lab.json is not a lab phase: the verdict then filters by
 * port alone, as before.
 */
#ifndef ROTSIM_VERDICT_LAB_H
#define ROTSIM_VERDICT_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "capture/lab.h"
#include "common/util.h"

#define VLAB_MAX_SINK 8

typedef struct {
	int present;			/* lab.json was read */
	char *problem;			/* lab.json unreadable or malformed, or NULL */
	/* lab.json */
	char server_addr[16];		/* dotted quad */
	uint32_t server_ip;		/* network order; 0 when unknown */
	int server_port;
	char host[256];
	/* From the captures (DHCP, DNS, NTP), in order. */
	int dhcp_acks;
	int dns_questions;		/* for host */
	int dns_answers;		/* responses for host */
	int dns_nxdomain;		/* of them, NXDOMAIN */
	char dns_got[64];		/* the first address answered for host */
	long long dns_delay_ms;		/* the longest question-to-answer time */
	int ntp_requests, ntp_answers;
	char ntp_kiss[5];		/* the first kiss code answered */
	int64_t ntp_time;		/* the first time answered (0: none) */
	uint32_t ntp_first_dst;		/* where the first NTP request went */
	/* sink.jsonl */
	size_t nsink;			/* attempts logged */
	char sink[VLAB_MAX_SINK][40];	/* distinct "A:P/proto", in order */
	size_t nsink_distinct;
} verdict_lab;

/*
 * Read the lab evidence of the phase in dir: lab.json, sink.jsonl and the lab
 * messages of the given capture files (names relative to dir). Fills *lab
 * (present = 0 when dir holds no lab.json; problem set when it holds a bad
 * one). Release with verdict_lab_free().
 */
void verdict_lab_load(const char *dir, const char *const *captures, size_t ncaptures,
	verdict_lab *lab);

/*
 * The pure part: lab.json text (may be NULL), sink.jsonl text (may be NULL)
 * and the capture's lab messages into *lab. Every input is outside data: any
 * bytes are safe (the fuzz target feeds it).
 */
void verdict_lab_parse(verdict_lab *lab, const char *lab_json, size_t lab_len,
	const char *sink, size_t sink_len);
void verdict_lab_add_capture(verdict_lab *lab, const cap_lab_report *rep);

void verdict_lab_free(verdict_lab *lab);

/*
 * What the network shows, in words, for a reason ("" when it shows nothing of
 * note): the DNS answer for the host (or NXDOMAIN, or none), NTP (kiss,
 * silence, a date other than phase_date), a missing lease, and the sink's
 * attempts. phase_date is Unix seconds (0: unknown); device_clock, when not
 * NULL or "", is the time the device's console says it took ("2024-01-15",
 * detail only: the network's part stands on the capture).
 */
void verdict_lab_story(const verdict_lab *lab, int64_t phase_date, const char *device_clock,
	buf_t *out);

#endif
