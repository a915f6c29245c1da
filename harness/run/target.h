/*
 * Targets: how a device is powered, clocked, connected, listened to and
 * captured. A target is described by targets/NAME/target.conf (section syntax,
 * keys in targets/qemu-x86_64/README.md); a driver (qemu or native) turns a
 * description and one boot's facts into a running process.
 */
#ifndef ROTSIM_TARGET_H
#define ROTSIM_TARGET_H

#include <stddef.h>
#include <stdint.h>

#include "common/util.h"
#include "run/proc.h"

typedef enum { TGT_NATIVE, TGT_QEMU } tgt_driver;

typedef struct {
	char *name;
	char *conf_path;
	tgt_driver driver;
	/* qemu */
	char *qemu, *machine, *cpu, *accel, *memory, *kernel, *initramfs, *flash;
	char *flash_device, *append, *nic, *booted;
	/* native */
	char *agent;
	/* both */
	int boot_timeout, run_timeout;
	int sntp;		/* 1 if the device can reach the SNTP responder */
	int lab;		/* network = lab: the case's lab network (net/labnet.h) */
	char *build_dir;	/* where images and programs are (paths are relative to it) */
} tgt;

/* Read targets/NAME/target.conf from the targets directory (found like the
 * profiles: $ROTSIM_TARGETS, ./targets, beside the program). build_dir is
 * where relative paths of the description point (the build directory). */
int tgt_load(tgt *t, const char *name, const char *build_dir, char *err, size_t errlen);
void tgt_free(tgt *t);

/* Where images and programs are: $ROTSIM_BUILD, else the directory above the
 * running program's bin/ (BUILD/bin/rotsim). Allocated with xmalloc(). */
char *tgt_build_dir(void);

/* The targets directory, allocated with xmalloc(), or NULL. */
char *tgt_dir(void);

/* A path of the description (pattern as in target.conf, {device} replaced,
 * relative to the build directory). Allocated with xmalloc(). */
char *tgt_file(const tgt *t, const char *pattern, const char *device);

/*
 * Append to out, as JSON array members (comma-separated objects with label,
 * sha256 and size), the files a device boots from on this target: kernel,
 * initramfs and factory flash under QEMU, the agent natively. first says
 * whether out holds no member yet; returns the new value.
 */
int tgt_image_hashes(const tgt *t, const char *device, buf_t *out, int first);

/* The first line of the emulator's --version, allocated with xmalloc(), or
 * NULL (native, or the emulator does not run). */
char *tgt_emulator_version(const tgt *t);

/* One power-on of a device. */
typedef struct {
	const char *device;	/* profile name */
	const char *case_dir;	/* holds the flash and etc/ that persist between boots */
	const char *boot_dir;	/* console.log, capture.pcap of this phase */
	int64_t rtc;		/* the RTC at power-on, or INT64_MIN for none */
	int server_port;	/* 127.0.0.1:PORT, the update server */
	int sntp_port;		/* 127.0.0.1:PORT, 0 when off */
	int boot_index;		/* 0, 1, ... within a phase */
	const char *lab_iface;	/* lab network: the interface the device joins by */
} tgt_boot_args;

/*
 * Prepare a case on this target: create its flash (from the image's factory
 * flash, or empty for native) and the device's configuration etc/ (profile,
 * anchors, signing key, hosts) under case_dir. etc_src is a directory whose
 * contents become /etc/rotsim on the device.
 */
int tgt_prepare(const tgt *t, const char *device, const char *case_dir, const char *etc_src,
	char *err, size_t errlen);

/* Power on: start the process whose console goes to boot_dir/console.log
 * (appended). */
int tgt_boot(const tgt *t, const tgt_boot_args *a, proc *p, char *err, size_t errlen);

#endif
