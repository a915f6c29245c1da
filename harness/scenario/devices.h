/*
 * The devices a run can use. A device is found by name in the devices
 * directories (harness/paths.h), in one of two forms:
 *
 *  - a trust profile of the reference agent, NAME.profile with a
 *    [profile NAME] section (targets/firmware/profiles; the agent reads it);
 *  - a device description, NAME.device with a [device NAME] section: any
 *    firmware, its target and image, the trust it carries, its signing key,
 *    its version and how it reports it, its update client, TLS stack and
 *    protocol, and the stock device whose expectations it shares (like).
 *    The keys are described in targets/BRING-YOUR-OWN.md.
 *
 * Everything that asks about a device goes through this module, so that both
 * forms answer the same questions (dev_profile_value).
 */
#ifndef ROTSIM_DEVICES_H
#define ROTSIM_DEVICES_H

#include <stddef.h>

/* The names of the known devices (profiles and descriptions) in every devices
 * directory (harness/paths.h), sorted, each once, NULL-terminated (release
 * with cfg_list_free()). Returns 0, or -1 when there is none. */
int dev_known_profiles(char ***names, size_t *n);

/* The file of a device (DEVICE@STACK: DEVICE's), NAME.profile or NAME.device,
 * first found in the devices directories, allocated, or NULL. */
char *dev_profile_path(const char *device);

/* Write out, the profile the reference agent reads on a case's device: the
 * device's profile (DEVICE@STACK: DEVICE's) with "tls = STACK [VARIANT]" for
 * the stack the name says in place of its own; on bearssl (no '@') without a
 * tls line. A description becomes the profile of the same device: its trust
 * as the anchor set or pin list dev_trust_set() names (none: insecure = yes),
 * its version, clock, sntp and build-date. Returns 0, or -1 with err. */
int dev_write_profile(const char *device, const char *out, char *err, size_t errlen);

/*
 * The value of key for a device, allocated with xmalloc(), or NULL when the
 * device, the file or the key is missing (or a description does not read).
 * A profile: the key of its [profile] section. A description: the key of its
 * [device] section, its paths (image, signing-key) absolute, version "1"
 * and protocol "rotsim" when not given; and, so that both forms answer the
 * questions asked of a profile, "anchors" or "pins" (the set dev_trust_set()
 * names, when its trust is anchors: or pins:) and "insecure" ("yes" for
 * trust = none).
 */
char *dev_profile_value(const char *device, const char *key);

/* 1 if the device (DEVICE@STACK: DEVICE) is a description (NAME.device). */
int dev_is_description(const char *device);

/* The device whose expectations a device shares (its like), allocated, or
 * NULL. */
char *dev_like(const char *device);

/* The name of the anchor set (SET.pem) or pin list (SET.pins) that holds a
 * described device's trust in a case's anchors directory: "NAME.device".
 * Allocated. */
char *dev_trust_set(const char *device);

/*
 * Write a described device's trust into dir: dir/SET.pem (its anchor files,
 * one after the other) or dir/SET.pins (one pin a line), SET as
 * dev_trust_set() names it. Nothing for a profile or trust = none (returns
 * 0, *wrote 0). Returns 0 (*wrote 1 when a file was written), or -1 with err.
 */
int dev_write_trust(const char *device, const char *dir, int *wrote, char *err,
	size_t errlen);

/*
 * Check every device description in the devices directories, everything a
 * run needs of it: the keys and their values (dev_desc_parse), the like
 * (a known device, no loop), the target (a known target), the files (the
 * image exists; every trust file holds PEM certificates BearSSL decodes; the
 * signing key is a P-256 private key that only its owner can read). Returns 0,
 * or -1 with "FILE:LINE: what" in err.
 */
int dev_check_all(char *err, size_t errlen);

/*
 * Parse the text of a description (len bytes) read from path (for messages
 * and for relative paths, which are relative to path's directory). name, if
 * not NULL, is the name the section must have (the file's). Checks the
 * section, every key and the form of every value, not the files they name.
 * Returns 0, or -1 with "PATH:LINE: what" in err (an unknown key names the
 * closest known one). Exposed for the fuzz target.
 */
int dev_desc_check_text(const char *path, const char *name, const char *text, size_t len,
	char *err, size_t errlen);

#endif
