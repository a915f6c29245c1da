/*
 * Scenarios: a named rotation timeline (scenarios/NAME.scn) with the outcome
 * each device profile must reach in each phase. The language is described in
 * scenarios/FORMAT.md; it shares the section syntax of .pki files, names a
 * .pki hierarchy and may add PKI objects of its own.
 *
 * Every error is "FILE:LINE: message", found before anything runs.
 */
#ifndef ROTSIM_SCENARIO_H
#define ROTSIM_SCENARIO_H

#include <stddef.h>
#include <stdint.h>

#include "pki/pki.h"

/* Outcomes of a phase for one device (see ARCHITECTURE.md). The first five
 * may be expected; OFF, ERROR and INTERRUPTED are only observed. */
typedef enum {
	OUT_UPDATED, OUT_CURRENT, OUT_REJECTED, OUT_UNREACHABLE, OUT_INSECURE,
	OUT_OFF, OUT_ERROR, OUT_INTERRUPTED, OUT_COUNT
} scn_outcome;

const char *scn_outcome_name(scn_outcome o);
/* The outcome for a name, or -1. */
int scn_outcome_from_name(const char *name);

/* Bounds of one scenario (scenarios/FORMAT.md): every phase of every device
 * is a boot with its own evidence on disk, so a scenario stays small. */
#define SCN_MAX_PHASES 256
#define SCN_MAX_DEVICES 64

typedef enum { RTC_PHASE, RTC_ABSOLUTE, RTC_OFFSET, RTC_NONE } scn_rtc_mode;

typedef struct {
	char *device;		/* DEVICE, or DEVICE@STACKID for one TLS stack */
	scn_outcome outcome;
	int required;		/* 1 Required, 0 Recommended */
	char *why;		/* optional explanation, NULL if none */
	pki_loc loc;
} scn_expect;

typedef struct {
	char *name;
	pki_loc loc;
	int64_t date;		/* resolved: absolute simulated date of the phase */
	int power;		/* 1: the device is powered on in this phase */
	char *leaf;		/* the leaf the server presents (a pki leaf id) */
	char *variant;		/* its chain variant, NULL for the default */
	char **faults;		/* server fault specs, ids not yet mapped to files */
	size_t nfaults;
	unsigned firmware;	/* the version offered */
	char *firmware_trust;	/* anchor set carried by the offered bundle, or NULL */
	scn_rtc_mode rtc;
	int64_t rtc_value;	/* RTC_ABSOLUTE: the date; RTC_OFFSET: seconds */
	int sntp;		/* 1: the SNTP responder answers */
	char **lab;		/* lab-network options (net/labnet.h labnet_option) */
	size_t nlab;
	scn_expect *expects;
	size_t nexpects;
	char *note;
} scn_phase;

typedef struct {
	char *name;
	char *path;		/* the .scn file */
	int line;
	char *summary, *event, *source;
	char *pki_path;		/* resolved path of the .pki file, or NULL */
	pki pki;		/* the hierarchy: the .pki file plus the scenario's own */
	char **devices;
	size_t ndevices;
	scn_phase *phases;
	size_t nphases;
	char **tags;
	size_t ntags;
	char *host;		/* the update host's name; SCN_DEFAULT_HOST unless set */
} scenario;

/* The update host's name when a scenario names none. */
#define SCN_DEFAULT_HOST "updates.rotsim.test"

/*
 * Read a scenario file. known_devices (NULL-terminated, may be NULL) lists the
 * device profiles that exist; a device outside it is an error. Reads the .pki
 * file the scenario names (relative to the scenario's directory) and checks
 * the whole hierarchy (pki_resolve), but builds no key. Returns 0, or -1 with
 * "FILE:LINE: message" in err (s is then empty).
 */
int scn_load(scenario *s, const char *path, const char *const *known_devices,
	char *err, size_t errlen);
void scn_free(scenario *s);

/* 1 if the scenario has the tag. */
int scn_has_tag(const scenario *s, const char *tag);

/* The expectation of a device in a phase, or NULL. A device on a TLS stack
 * (scenario/stack.h: DEVICE@STACK-VARIANT) takes the first of
 * expect.DEVICE@STACK-VARIANT, expect.DEVICE@STACK, expect.DEVICE (or the
 * phase's expect) the scenario gives. When the scenario gives none for the
 * device's own name, a device described "like = OTHER" (scenario/devices.h)
 * takes OTHER's, looked up the same way with OTHER in place of DEVICE (and so
 * on along a chain of like, at most SCN_LIKE_DEPTH long). */
const scn_expect *scn_expect_for(const scn_phase *ph, const char *device);

#define SCN_LIKE_DEPTH 8

/* Add a device the scenario does not list to its devices when the device is
 * like one it lists (directly or along a chain of like): the scenario's
 * expectations then apply to it unchanged (scn_expect_for). Returns 1 when
 * it was added, 0 otherwise (listed already, like none of them, or the
 * scenario full). */
int scn_join_like(scenario *s, const char *device);

/* scn_join_like() for each device of known (NULL-terminated) that a team
 * added: a description (NAME.device) outside the stock devices directories
 * (harness/paths.h). So a team's device like a stock one runs in every stock
 * scenario that stock device runs in. Returns how many were added. */
size_t scn_join_added_devices(scenario *s, const char *const *known);

/* The device's RTC at power-on in a phase: 1 and *t set, or 0 for no RTC. */
int scn_rtc_time(const scn_phase *ph, int64_t *t);

/*
 * Where scenarios live: dir if not NULL, else $ROTSIM_SCENARIOS, else
 * ./scenarios, else beside the program (../share/rotsim/scenarios, then the
 * source tree's scenarios/). Returns a string allocated with xmalloc() or NULL
 * with err.
 */
char *scn_dir(const char *dir, const char *argv0, char *err, size_t errlen);

/* The names (without .scn) of the scenarios in dir, sorted; allocated with
 * xmalloc(), released with cfg_list_free(). Returns the count or -1. */
long scn_list(const char *dir, char ***names, char *err, size_t errlen);

/* Print the timeline of a scenario for a person. */
void scn_describe(const scenario *s, buf_t *out);

#endif
