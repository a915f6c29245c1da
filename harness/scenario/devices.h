/*
 * The device profiles a run can use: the reference devices' profiles
 * (targets/firmware/profiles/NAME.profile) and the user's own.
 */
#ifndef ROTSIM_DEVICES_H
#define ROTSIM_DEVICES_H

#include <stddef.h>

/* Where profiles live: $ROTSIM_PROFILES, else ./targets/firmware/profiles, else
 * beside the program (../share/rotsim/profiles, the source tree). Allocated with
 * xmalloc(), or NULL when there is none. */
char *dev_profiles_dir(void);

/* The names of the known profiles, sorted (release with cfg_list_free()).
 * Returns 0, or -1 when there is no profiles directory. */
int dev_known_profiles(char ***names, size_t *n);

/* The value of key in the [profile] section of a device's profile, allocated
 * with xmalloc(), or NULL when the device, the file or the key is missing. */
char *dev_profile_value(const char *device, const char *key);

#endif
