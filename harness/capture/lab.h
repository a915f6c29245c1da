/*
 * capture/lab: what a capture of the lab network shows besides TLS: the
 * DHCP, DNS and NTP a device used before it connected.
 *
 * Three parsers of one UDP payload each (pure, bounded: they read nothing
 * outside the payload and allocate nothing), and a pass over a pcap file
 * that hands every IPv4 UDP datagram on port 67/68, 53 or 123 to them and
 * keeps the result in order. cap_lab_render_text() prints it for a person
 * (rotsim inspect), cap_lab_render_json() as evidence.
 *
 * Errors as in capture.h: 0, or -1 with a one-line message.
 */
#ifndef ROTSIM_CAPTURE_LAB_H
#define ROTSIM_CAPTURE_LAB_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"

#define CAP_DHCP_MAX_ADDRS 4
#define CAP_DNS_MAX_ANSWERS 8

/* A DHCP message (RFC 2131, options of RFC 2132). Addresses in network
 * order; 0 when absent. */
typedef struct {
	int op;				/* 1 request, 2 reply */
	uint32_t xid;
	int type;			/* option 53: 1 DISCOVER ... 8 INFORM; 0 absent */
	uint32_t ciaddr, yiaddr;
	unsigned char chaddr[6];
	uint32_t server_id;		/* option 54 */
	uint32_t requested;		/* option 50 */
	uint32_t router[CAP_DHCP_MAX_ADDRS];	/* option 3 */
	size_t n_router;
	uint32_t dns[CAP_DHCP_MAX_ADDRS];	/* option 6 */
	size_t n_dns;
	uint32_t ntp[CAP_DHCP_MAX_ADDRS];	/* option 42 */
	size_t n_ntp;
	int has_lease;
	uint32_t lease;			/* option 51, seconds */
	int asks_ntp;			/* option 55 lists 42 */
} cap_dhcp;

/* A DNS message (RFC 1035): the first question and the A/AAAA answers. */
typedef struct {
	uint16_t id;
	int response;			/* QR */
	int rcode;			/* 0 NOERROR, 3 NXDOMAIN, ... */
	char qname[256];		/* dotted, "" when there is no question */
	uint16_t qtype;
	size_t n_answers;		/* every answer record */
	int n_addr;			/* addresses kept below */
	int addr_family[CAP_DNS_MAX_ANSWERS];	/* 4 or 6 */
	unsigned char addr[CAP_DNS_MAX_ANSWERS][16];
} cap_dns;

/* An NTP/SNTP packet (RFC 5905). */
typedef struct {
	int leap, version, mode;	/* mode 3 client, 4 server */
	int stratum;
	char kiss[5];			/* stratum 0: the kiss code ("RATE", "DENY") */
	int64_t transmit;		/* transmit timestamp, Unix seconds (0: none) */
} cap_ntp;

/* Parse one payload. Returns 0, or -1 when it is not such a message (err
 * says why). */
int cap_dhcp_parse(const unsigned char *p, size_t len, cap_dhcp *out, char *err, size_t errlen);
int cap_dns_parse(const unsigned char *p, size_t len, cap_dns *out, char *err, size_t errlen);
int cap_ntp_parse(const unsigned char *p, size_t len, cap_ntp *out, char *err, size_t errlen);

typedef enum { CAP_LAB_DHCP = 1, CAP_LAB_DNS, CAP_LAB_NTP } cap_lab_kind;

/* One datagram of the lab's services. */
typedef struct {
	cap_time ts;
	cap_lab_kind kind;
	uint32_t src, dst;		/* IPv4, network order */
	uint16_t sport, dport;
	int ok;				/* parsed; else why holds the reason */
	char why[96];
	union {
		cap_dhcp dhcp;
		cap_dns dns;
		cap_ntp ntp;
	} u;
} cap_lab_msg;

typedef struct {
	cap_lab_msg *msgs;
	size_t n, room;			/* messages held, and room for */
	uint64_t dropped;		/* over the limit of messages kept */
} cap_lab_report;

/* Messages kept per capture. */
#define CAP_LAB_MAX_MSGS 4096

/* Read the pcap file and fill *out (overwritten). Returns 0, or -1 with
 * "PATH: reason". Release with cap_lab_free(). */
int cap_lab_analyze_file(const char *pcap_path, cap_lab_report *out, char *err, size_t errlen);

/* Feed one link-layer frame (dlt as in pcap) to a report: for tests and the
 * fuzz targets. */
void cap_lab_frame(cap_lab_report *r, int dlt, const unsigned char *p, size_t caplen,
	cap_time ts);

void cap_lab_free(cap_lab_report *r);

/*
 * Append the story of the lab's services: one line per message, e.g.
 *   14:02:01.123 DHCP ACK 10.77.0.87 to 52:54:00:12:34:56 router=10.77.0.1
 *                dns=10.77.0.1 ntp=10.77.0.1 lease=3600s
 *   14:02:01.200 DNS answer updates.rotsim.test A -> 10.77.0.1
 *   14:02:01.300 NTP server 10.77.0.1 -> 10.77.0.87 time=2025-06-01T00:00:00Z
 * flags as for cap_render_text(). Nothing is appended when r holds nothing.
 */
void cap_lab_render_text(const cap_lab_report *r, int flags, buf_t *b);

/* Append the messages as a JSON array (keys in capture/FORMAT.md). */
void cap_lab_render_json(const cap_lab_report *r, buf_t *b);

#endif
