/*
 * Targets: how a device is powered, clocked, connected, listened to and
 * captured. A target is described by targets/NAME/target.conf (section syntax;
 * every key is documented in targets/README.md) and run by one driver: qemu
 * (harness/target/qemu.c), native (harness/target/native.c) or board
 * (harness/target/board.c). Nothing outside
 * a driver's file knows which driver runs a target: the runner powers a device
 * on, waits, and asks what happened through this interface only.
 *
 * Every driver writes one boot's console to BOOT_DIR/console-N.log, so the
 * "booted", "done" and reboot patterns of a description are matched the same
 * way whatever runs the device.
 */
#ifndef ROTSIM_TARGET_H
#define ROTSIM_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/util.h"

typedef struct tgt tgt;
typedef struct tgt_power tgt_power;
typedef struct tgt_driver tgt_driver;

/* How a device asks to be booted again after installing an update. Several
 * may be set; the first that matches decides. */
typedef struct {
	int on_reset;		/* the machine reported a guest reset */
	int exit_status;	/* the device process exited with this status, or -1 */
	char *console;		/* this text on the boot's console, or NULL */
} tgt_reboot_rule;

/* A loaded target description. The generic keys are read by target.c; the
 * driver's own keys by the driver, into priv. */
struct tgt {
	char *name;
	char *conf_path;
	const tgt_driver *drv;
	void *priv;			/* the driver's own description */
	char *booted;			/* console text meaning "booted", NULL: at power-on */
	char *done;			/* console text meaning "finished", or NULL */
	char *client;			/* the update client its images run ("client =";
					 * default: the reference agent, rotsim-agent) */
	char *client_tls;		/* the TLS stack that client uses ("client-tls
					 * ="), or NULL: the device's stack id */
	tgt_reboot_rule reboot;
	int boot_timeout, run_timeout;	/* seconds */
	int udp;			/* the device reaches UDP services (SNTP) */
	int lab;			/* it joins the case's lab network (net/labnet.h) */
	int net_clock;			/* its clock comes from the lab's NTP, not from an
					 * RTC the harness sets (a board's clock = ntp) */
	const char *lab_iface;		/* lab: the host's interface the device is wired
					 * to (a board's), spliced to the lab; set by the
					 * driver's prepare (storage is the driver's);
					 * NULL: a TAP created for QEMU */
	char *build_dir;		/* where images and programs are */
};

/* One power-on of a device. */
typedef struct {
	const char *device;	/* device name: DEVICE or DEVICE@STACKID */
	const char *case_dir;	/* holds the flash and configuration that persist */
	const char *boot_dir;	/* the phase's directory: console-N.log, captures */
	int64_t rtc;		/* the RTC at power-on (simulated seconds) */
	int server_port;	/* the update server, on 127.0.0.1 */
	int sntp_port;		/* the SNTP responder on 127.0.0.1, 0 when off */
	int boot_index;		/* 0, 1, ... within a phase */
	const char *lab_iface;	/* on the lab network: the interface it joins by */
} tgt_boot_args;

/* How a power-on ended. */
typedef struct {
	int exited;		/* the device powered itself off */
	int reset;		/* the machine reported a guest reset */
	int has_status;		/* status holds the device process's wait status */
	int status;
	char how[96];		/* "exit 10", "guest reset", "killed", ... */
} tgt_end;

/* Where a phase's capture comes from. */
typedef struct {
	char iface[32];		/* live capture on this interface; "" when the
				 * driver writes BOOT_DIR/capture-N.pcap itself */
	char filter[160];	/* its BPF filter */
} tgt_capture;

/*
 * A driver. Every function receives the description it loaded. Errors are
 * returned as -1 with a message in err.
 */
struct tgt_driver {
	const char *name;
	/* Read the driver's keys from the [target] section into t->priv. */
	int (*load)(tgt *t, cfg_section *s, char *err, size_t errlen);
	void (*free)(tgt *t);
	/* Create a case's persistent state under case_dir (flash, the device's
	 * configuration from etc_src, which becomes /etc/rotsim). */
	int (*prepare)(const tgt *t, const char *device, const char *case_dir,
		const char *etc_src, char *err, size_t errlen);
	/* Remove what prepare made that is not evidence. */
	void (*finish)(const tgt *t, const char *case_dir);
	/* Power the device on. */
	int (*power_on)(const tgt *t, const tgt_boot_args *a, tgt_power **pw, char *err,
		size_t errlen);
	/* Wait up to timeout_ms; 1 when the device is off. */
	int (*wait)(tgt_power *pw, int timeout_ms);
	/* Power off if still on, say how the power-on ended, release pw. */
	void (*power_off)(tgt_power *pw, tgt_end *end);
	/* Where the capture is, for a server on 127.0.0.1 server_port (and
	 * SNTP on sntp_port, 0 when off). */
	void (*capture)(const tgt *t, int server_port, int sntp_port, tgt_capture *c);
	/* The server's port as the device sees it on the wire. */
	int (*wire_port)(const tgt *t, int server_port);
	/* The files a device boots from, as (label, path) pairs: path
	 * allocated with xmalloc(); returns the count (at most max). */
	size_t (*boot_files)(const tgt *t, const char *device, char **labels, char **paths,
		size_t max);
	/* The emulator's version line, allocated, or NULL. */
	char *(*emulator_version)(const tgt *t);
	/* Optional: what identifies the device's hardware for the report (a
	 * board: its pool, console, lock, deploy image hash), as one JSON object,
	 * allocated. NULL: tgt_identity's generic record. */
	char *(*identity)(const tgt *t, const char *device);
};

/* Read NAME/target.conf from the targets directories (harness/paths.h). build_dir is where relative paths of the
 * description point. Every key is checked: an unknown key is an error. */
int tgt_load(tgt *t, const char *name, const char *build_dir, char *err, size_t errlen);
void tgt_free(tgt *t);

/* Where images and programs are: $ROTSIM_BUILD, else PREFIX/lib/rotsim for an
 * installed PREFIX/bin/rotsim, else the directory above the running program's
 * bin/ (BUILD/bin/rotsim). Allocated with xmalloc(). */
char *tgt_build_dir(void);

/* A path of the description: pattern with {device} replaced by the device's
 * name and {stack} by the name of its TLS stack (device may be
 * DEVICE@STACKID, scenario/stack.h: {device} is DEVICE, {stack} the STACK
 * part of the id, "bearssl" without '@'), relative to the build directory
 * unless absolute. Allocated with xmalloc(). */
char *tgt_file(const tgt *t, const char *pattern, const char *device);

/* 1 if the device (DEVICE or DEVICE@STACKID) runs on bearssl, the stack a
 * device image carries unless told otherwise. */
int tgt_device_on_default_stack(const char *device);

/*
 * Split a description's value into words (blanks separate them) after
 * replacing each {NAME} by the value vals[i] for names[i]. An unknown
 * placeholder is an error naming it. Words are added to *argv (grown with
 * xrealloc, NULL-terminated, each word allocated).
 */
int tgt_expand_words(const char *value, const char *const *names, const char *const *vals,
	size_t n, char ***argv, size_t *argc, char *err, size_t errlen);

/*
 * Append to out, as JSON array members (comma-separated objects with label,
 * sha256 and size), the files a device boots from on this target. first says
 * whether out holds no member yet; returns the new value.
 */
int tgt_image_hashes(const tgt *t, const char *device, buf_t *out, int first);

/* Decide whether a power-on that ended as end asked for a reboot; console is
 * that boot's console text. Returns 1 and a description in why, or 0. */
int tgt_reboot_requested(const tgt *t, const tgt_end *end, const char *console,
	char *why, size_t whylen);

/* The target's identity as one JSON object ({"target", "driver", ...}),
 * allocated with xmalloc(); for the report's record of what ran a case. */
char *tgt_identity(const tgt *t, const char *device);

/* The drivers, and the one for a name (NULL if none). */
extern const tgt_driver tgt_driver_qemu, tgt_driver_native, tgt_driver_board;
const tgt_driver *tgt_driver_find(const char *name);

/* rotsim run --cold-boot: every device boots cold, even on a target that can
 * resume a saved machine (qemu: snapshot = power-on). */
extern int tgt_cold_boot;

/* A helper the drivers share: the value of a key, allocated, or NULL. */
char *tgt_get(cfg_section *s, const char *key);

#endif
