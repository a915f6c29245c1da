/*
 * The device profiles a run can use: the reference devices' profiles
 * (targets/firmware/profiles/NAME.profile) and the user's own.
 */
#ifndef ROTSIM_DEVICES_H
#define ROTSIM_DEVICES_H

#include <stddef.h>

/* The names of the known profiles in every devices directory
 * (harness/paths.h), sorted, NULL-terminated (release with cfg_list_free()).
 * Returns 0, or -1 when there is none. */
int dev_known_profiles(char ***names, size_t *n);

/* The profile file of a device (DEVICE@STACK: DEVICE's), first found in the devices directories,
 * allocated, or NULL. */
char *dev_profile_path(const char *device);

/* Write out, the profile the agent reads on a case's device: the device's
 * profile (DEVICE@STACK: DEVICE's) with "tls = STACK [VARIANT]" for the
 * stack the name says in place of its own; on bearssl (no '@') without a
 * tls line. Returns 0, or -1 with err. */
int dev_write_profile(const char *device, const char *out, char *err, size_t errlen);

/* The value of key in the [profile] section of a device's profile, allocated
 * with xmalloc(), or NULL when the device, the file or the key is missing. */
char *dev_profile_value(const char *device, const char *key);

#endif
