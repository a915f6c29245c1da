/*
 * labnet: the lab network of one case.
 *
 * A case that runs on the lab network lives in a network namespace of its
 * own: the case process calls labnet_unshare() first, so every process it
 * starts afterwards (the update server, dnsmasq, QEMU) is inside, and when the
 * case process and its children die, the kernel removes the namespace with
 * its bridge, TAP and rules. Nothing is named in the host's namespace list
 * (no "ip netns add"), so nothing can outlive the case.
 *
 * In the namespace, labnet_open() brings loopback up and builds the network:
 *   - a bridge (conf.bridge, default rsbr0) holding the lab's address
 *     (conf.addr, default 10.77.0.1/24): router, DHCP, DNS, NTP and update
 *     server are all that one address;
 *   - the interface the device joins by (conf.device_iface): a TAP created
 *     here for QEMU (conf.create_tap), an interface already in the
 *     namespace, or, for a board wired to an interface of the host
 *     (conf.host_iface), the case's end of a veth pair whose host end and
 *     the board's interface hand every frame to each other (tc ingress
 *     redirects, "splicing" them), attached to the bridge;
 *   - the sink: every TCP connection and UDP datagram that arrives on the
 *     bridge for anything but the lab's services (8.8.8.8:53, a public NTP
 *     pool, the host's own addresses, another port of the gateway) is diverted
 *     by an nftables tproxy rule to one transparent socket pair and logged
 *     with its original destination and first bytes; nothing is forwarded, so
 *     the namespace has no way out.
 *
 * Per phase, labnet_phase_start() starts dnsmasq (DHCP and DNS, bound to the
 * bridge, configuration and log in the phase directory), the lab's SNTP
 * responder on port 123 (at the phase's date, or the date or kiss-o'-death a
 * fault asks for; its log is ntp.jsonl), for dns-slow a relay on port 53 that
 * holds each DNS answer (dnsmasq then answers on port 5353 behind it; its log
 * is dns-relay.jsonl), opens the sink's log and starts the capture on the
 * bridge; labnet_phase_stop() ends them all. The update server is the
 * caller's: it listens on the lab's address, port 443 (labnet_server_addr()).
 * labnet_phase_start() also writes lab.json, the lab evidence of the phase:
 * where the update server is, the host name DNS answers and the faults.
 *
 * A board's interface stays in the host's namespace (its addresses and its
 * place in the host's configuration are untouched; frames arriving on it go
 * to the lab before the host's stack sees them) and is given back when the
 * case ends: labnet_close() removes the redirects and the veth pair. A guard
 * process, in the host's namespace and a session of its own, holds one end
 * of a socket the case holds the other end of; when the case process dies
 * without labnet_close() (SIGKILL, a crash) the socket closes and the guard
 * does the same cleanup, its commands appended to labnet.log. The guard is
 * outside the harness's process registry, so Ctrl-C does not stop it half-way.
 *
 * Errors: functions return 0, or -1 with "what: why" in err. Nothing here
 * prints or exits. Commands (ip, nft, dnsmasq) run through run/proc.h.
 */
#ifndef ROTSIM_LABNET_H
#define ROTSIM_LABNET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "run/proc.h"

#define LABNET_MAX_NAMES 8

typedef struct {
	const char *bridge;		/* NULL: "rsbr0" */
	const char *addr;		/* the lab's IPv4 address; NULL: "10.77.0.1" */
	const char *device_iface;	/* NULL: "rstap0" */
	int create_tap;			/* 1: create device_iface as a TAP for QEMU */
	const char *host_iface;		/* a board's interface in the namespace
					 * labnet_unshare() left, spliced to the
					 * bridge (device_iface, default
					 * "rsboard0", is then the case's end of
					 * the veth pair); NULL: none */
	const char *dir;		/* evidence: labnet.log (the commands and their
					 * output) and labnet.nft (the rules) */
} labnet_conf;

/* The lab network of a phase: its evidence directory and the scenario's
 * lab options (see labnet_option below). */
typedef struct {
	const char *dir;		/* the phase's evidence directory */
	const char *names[LABNET_MAX_NAMES];	/* host names DNS answers; NULL-ended;
						 * names[0] is the update host */
	int64_t date;			/* the phase's simulated date (SNTP) */
	int server_port;		/* the update server's port, for lab.json */
	int nxdomain;			/* the names get NXDOMAIN too */
	const char *wrong_address;	/* answer this address instead (NULL: the lab's) */
	int dns_slow_s;			/* hold each DNS answer this long; 0: none */
	int no_ntp_option;		/* DHCP leaves out option 42 */
	int lease_s;			/* DHCP lease time; 0: 3600 */
	int ntp_silent;			/* no SNTP responder (also the phase's sntp = off) */
	int ntp_date_set;		/* SNTP serves ntp_date instead of date */
	int64_t ntp_date;
	char kiss[5];			/* SNTP answers with this kiss code; "": no */
	char wrong_buf[16];		/* storage for wrong_address from an option */
	const char *const *options;	/* the options as written, for lab.json */
	size_t noptions;
} labnet_phase;

/*
 * The lab-network options of a phase (the scenario key "lab", a list
 * separated by ';'), parsed one at a time into ph. Their grammar is the
 * shared fault table's (common/fault.h, FAULT_FORM_LAB; fault_lab_help()):
 *   nxdomain            the update host's name gets NXDOMAIN
 *   wrong-address=A     DNS answers the update host with A (an IPv4 address
 *                       in the lab: where the backend used to be); the sink
 *                       catches what goes there
 *   dns-slow=S          every DNS answer leaves S seconds (1..60) after its
 *                       question (a relay in front of dnsmasq holds it)
 *   no-ntp-option       DHCP leaves out the NTP server (option 42)
 *   lease=S             the DHCP lease time (60 .. 86400)
 *   ntp-silent          no SNTP responder on the lab (as the phase key
 *                       sntp = off)
 *   ntp-date=DATE       the SNTP responder serves DATE, not the phase's date
 *   kiss-of-death[=C]   the SNTP responder answers with a kiss-o'-death,
 *                       code C (RATE, DENY, RSTR; default RATE)
 * Returns 0, or -1 with "what: why" in err.
 */
int labnet_option(labnet_phase *ph, const char *spec, char *err, size_t errlen);

/* The sink: diverted TCP and UDP, logged as JSON lines. */
typedef struct labnet_sink labnet_sink;
/* The lab's SNTP responder and the DNS relay of dns-slow (services.c). */
typedef struct labnet_ntp labnet_ntp;
typedef struct labnet_relay labnet_relay;

typedef struct {
	char bridge[16], iface[16];
	char addr[16];			/* dotted quad */
	int prefix;
	int open;
	/* The phase in progress. */
	proc dnsmasq;
	cap_live *live;
	labnet_sink *sink;
	labnet_ntp *ntp;
	labnet_relay *relay;
	char *capture_path;		/* PHASE/capture.pcap */
	/* A board's interface spliced in (conf.host_iface). */
	char host_iface[16], host_veth[16];
	pid_t guard;			/* gives host_iface back; 0: none */
	int guard_fd;
} labnet;

/*
 * Move the calling process into a new network namespace. Returns 0, or -1
 * with a one-line reason (no rights: "the lab network needs root or
 * CAP_NET_ADMIN: unshare(CLONE_NEWNET): Operation not permitted"). The
 * namespace it leaves stays reachable through labnet_host_ns().
 */
int labnet_unshare(char *err, size_t errlen);

/* A descriptor of the network namespace the process was in before
 * labnet_unshare() (close-on-exec, owned here), or -1 before it. A driver
 * whose tools reach the board through the host's network (a TCP console,
 * labgrid-client, a PDU) runs them there (setns(2) on the calling thread). */
int labnet_host_ns(void);

/* Can this process create a lab network? Tries in a short-lived child, so
 * the caller's namespace is untouched. 1 yes, 0 no with the reason in why. */
int labnet_available(char *why, size_t whylen);

/* Build the network in the (unshared) current namespace. conf->dir is
 * required; other fields may be 0 for the defaults. On failure the namespace
 * may hold a part of it; it goes with the namespace. */
int labnet_open(labnet *ln, const labnet_conf *conf, char *err, size_t errlen);

/* Start dnsmasq, the sink's log and the capture of a phase. On failure what
 * was started is stopped again. */
int labnet_phase_start(labnet *ln, const labnet_phase *ph, char *err, size_t errlen);

/*
 * Stop the phase's services. Returns 0, or -1 when the capture lost packets
 * or could not be written (the services are stopped in any case). NULL-safe,
 * idempotent.
 */
int labnet_phase_stop(labnet *ln, char *err, size_t errlen);

/* Stop whatever runs and give a board's interface back (the guard removes
 * the redirects and the veth pair, within 10 s). The network itself goes with
 * the namespace. NULL-safe, idempotent. */
void labnet_close(labnet *ln);

/* The lab's address, where the update server and SNTP responder listen. */
const char *labnet_server_addr(const labnet *ln);

/* Where the capture of the running phase is written (NULL when none). */
const char *labnet_capture_path(const labnet *ln);

/* ---- The sink, usable alone (its tests use it on loopback) ---- */

/*
 * Open the sink's sockets on 0.0.0.0:port (IP_TRANSPARENT, so the tproxy
 * rule may hand them connections for any address) and log to log_path, one
 * JSON object per line: {"time":..., "proto":"tcp"|"udp", "src":"A:P",
 * "dst":"A:P", "bytes":N, "first":"HEX"}. The first 64 bytes are kept; a TCP
 * connection is held at most 2 s, never answered, then closed.
 */
int labnet_sink_start(labnet_sink **out, int port, const char *log_path, char *err,
	size_t errlen);

/* Stop the sink and close its log; returns the number of entries logged, or
 * -1 with err when writing the log failed. NULL-safe (returns 0). */
long labnet_sink_stop(labnet_sink *s, char *err, size_t errlen);

/* The port the sink listens on inside the namespace. */
#define LABNET_SINK_PORT 9

/* ---- The lab's SNTP responder and DNS relay, usable alone ---- */

/*
 * Answer SNTP on addr:port (port 0: the kernel picks; *bound receives it when
 * not NULL) with the simulated date `date` (advancing in real time from the
 * call), or with a kiss-o'-death when kiss is not NULL or "". Every request
 * is one JSON line of log_path: {"time":..., "peer":"A:P", "status":...,
 * "sent":DATE} or {..., "kiss":"RATE"}.
 */
int labnet_ntp_start(labnet_ntp **out, const char *addr, int port, int64_t date,
	const char *kiss, const char *log_path, int *bound, char *err, size_t errlen);
/* Stop it; the number of requests logged, or -1 with err when writing the
 * log failed. NULL-safe (returns 0). */
long labnet_ntp_stop(labnet_ntp *n, char *err, size_t errlen);

/*
 * Relay DNS over UDP from addr:port to the server at addr:upstream_port,
 * holding each answer delay_s seconds after its question arrived. Each
 * question is one JSON line of log_path: {"time":..., "client":"A:P",
 * "bytes":N, "answered_after_ms":N} (or "answered":false when the phase ended
 * first). *bound as for labnet_ntp_start().
 */
int labnet_relay_start(labnet_relay **out, const char *addr, int port, int upstream_port,
	int delay_s, const char *log_path, int *bound, char *err, size_t errlen);
long labnet_relay_stop(labnet_relay *r, char *err, size_t errlen);

#endif
