/*
 * The agent's boot, split by job: agent.c (options, the update check, exit),
 * agent_boot.c (profile, flash and slot choice, trust, signing key, clock,
 * name resolution) and agent_link.c (the TLS link with retries, the manifest
 * and image transfers, the check-in). Every step prints its console line
 * (README.md, "Console protocol") where it happens.
 *
 * Internal to the agent binaries: one agent (static storage in main) is
 * passed to every function.
 */
#ifndef ROTSIM_FW_AGENT_H
#define ROTSIM_FW_AGENT_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "fw/fw.h"
#include "time/simclock.h"

#include "common/bundle.h"
#include "flash.h"
#include "net.h"
#include "common/trust.h"

/* The date a device without a clock assumes when nothing else says. */
#ifndef AGENT_BUILD_DATE
#define AGENT_BUILD_DATE "2024-01-15"
#endif
#define SERVER_NAME "updates.rotsim.test"

/* Exit statuses (README.md, "Exit status"). */
enum {
	EXIT_CURRENT = 0,
	EXIT_ERROR = 1,
	EXIT_USAGE = 2,
	EXIT_REJECTED = 3,
	EXIT_UNREACHABLE = 4,
	EXIT_REBOOT = 10
};

enum { CLOCK_RTC, CLOCK_SNTP, CLOCK_NONE };

typedef struct {
	/* Options. */
	const char *etc, *profile_path, *anchors_dir, *sigpub_path, *flash_path;
	const char *rtc, *sntp_addr, *connect, *hosts, *build_date, *device;
	const char *host;		/* the update host's name (SNI, name check) */
	int retries, backoff_ms, max_wait, timeout_ms;
	int nodelay;			/* --tcp-nodelay */
	/* The profile. */
	char profile[65];
	char *anchors_name, *pins_name, *profile_sntp;
	int clock_src, insecure;
	int tls_variant;		/* index into tls_variants */
	uint32_t factory_version;
	int64_t build_time;
	/* Running state. */
	simclock clock;
	flash_dev flash;
	int running_slot;		/* 0, 1, or -1 for the factory firmware */
	uint32_t version;
	unsigned char *bundle_data;	/* the running bundle, if any */
	size_t bundle_len;
	bundle running;
	trust_store trust;
	int trust_mode;
	const char *trust_source;
	unsigned char sigpub[65];
	net_conn *net;
} agent;

/* ---- agent_boot.c ---- */

/* The device's time, Unix seconds (ctx is the agent). */
int64_t agent_now(void *ctx);
/* "DIR/NAME", allocated with xmalloc(). */
char *agent_path_join(const char *dir, const char *name);
/*
 * HOST[:PORT] to an address: a literal IPv4 address, else a name from the
 * hosts file. Returns 0 or -1 with err.
 */
int agent_resolve(agent *a, const char *host_port, int defport, struct sockaddr_in *sa,
	char *err, size_t errlen);
/* Each of these prints its console line and returns 0 or -1. */
int agent_load_profile(agent *a);
int agent_open_flash(agent *a);
int agent_load_trust(agent *a);
int agent_load_sigpub(agent *a);
/* Choose what runs (A/B, fallback, factory) and set a->version. */
void agent_choose_boot(agent *a);
/* Set the device's clock from its source (rtc, sntp, build date). */
void agent_set_clock(agent *a);

/* ---- agent_link.c ---- */

void agent_sleep_ms(long ms);
/* The back-off before attempt+1: backoff_ms doubled per attempt, at most 8x. */
long agent_backoff(agent *a, int attempt);
/*
 * Make sure a TLS connection is up. Returns 0, or the exit status the boot
 * ends with: EXIT_REJECTED when the server's chain or the handshake was
 * refused, EXIT_UNREACHABLE when no connection could be made.
 */
int agent_ensure_link(agent *a);
/* GET a small document (at most max bytes) into out, with retries. Returns 0
 * or an exit status. */
int agent_get_small(agent *a, const char *path, buf_t *out, size_t max);
/* Download m's image into img (m->size bytes), resuming with Range. Returns 0
 * or an exit status. */
int agent_download(agent *a, const fw_manifest *m, unsigned char *img);
/* Check in (POST /report), best effort. */
void agent_report(agent *a, const char *status, uint32_t offered);

#endif
