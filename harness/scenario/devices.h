/*
 * The devices a run can use. A device is found by name in the devices
 * directories (harness/paths.h) as a device description, NAME.device with a
 * [device NAME] section: any firmware, its target and image, the trust it
 * carries, its signing key, its version and how it reports it, its clock,
 * its update client, TLS stack and protocol, and the stock device whose
 * expectations it shares (like). The keys are described in
 * targets/BRING-YOUR-OWN.md. The stock devices of the reference agent are
 * descriptions too (targets/firmware/devices): the agent reads its profile of
 * one (dev_write_profile, dev_write_agent_profile).
 *
 * For compatibility an added devices directory may hold the older form of a
 * device of the reference agent, its trust profile (NAME.profile with a
 * [profile NAME] section, targets/firmware/README.md), which is given to the
 * agent as it is. Everything that asks about a device goes through this
 * module, so that both forms answer the same questions (dev_profile_value).
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

/* Write out, the profile the reference agent reads on a case's device. A
 * description becomes the profile of the same device: its opening comments,
 * its trust as the anchor set or pin list it names (set:NAME, pin-set:NAME)
 * or dev_trust_set() names (anchors:, pins:), none as insecure = yes, its
 * clock, sntp, build-date and version, and on a stack (DEVICE@STACK)
 * "tls = STACK [VARIANT]" for the stack the name says. A profile is given
 * as it is, its own tls line replaced by the stack's (on bearssl, no '@',
 * left as it is). Returns 0, or -1 with err. */
int dev_write_profile(const char *device, const char *out, char *err, size_t errlen);

/*
 * The value of key for a device, allocated with xmalloc(), or NULL when the
 * device, the file or the key is missing (or a description does not read).
 * A profile: the key of its [profile] section. A description: the key of its
 * [device] section, its paths (image, signing-key) absolute, version "1"
 * when not given (a protocol not given is NULL, as for a profile: rotsim's);
 * and, so that both forms answer the questions asked of a profile, "anchors"
 * or "pins" (the set dev_trust_set() names, when its trust is anchors: or
 * pins:; the set's own name for set:NAME or pin-set:NAME) and "insecure"
 * ("yes" for trust = none).
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
 * Write out the reference agent's profile (its guest configuration,
 * targets/firmware/README.md) of the description at path, a device of the
 * agent's own images (targets/firmware/devices): its opening comments, then
 * [profile NAME] with its trust (set:NAME as anchors, pin-set:NAME as pins,
 * none as insecure = yes), clock, sntp, build-date and version. Refused, with
 * "PATH:LINE: what", besides what a run refuses: what such an image cannot
 * honour (an image, a signing key, another protocol, trust in files of its
 * own). Returns 0, or -1 with err (nothing written).
 */
int dev_write_agent_profile(const char *path, const char *out, char *err, size_t errlen);

/* The profile dev_write_agent_profile() writes, of the text of a description
 * (len bytes) read from path, name as for dev_desc_check_text(): *out
 * allocated (NUL-terminated, *outlen bytes). Returns 0, or -1 with
 * "PATH:LINE: what" in err. Exposed for the fuzz target. */
int dev_agent_profile_text(const char *path, const char *name, const char *text, size_t len,
	char **out, size_t *outlen, char *err, size_t errlen);

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
