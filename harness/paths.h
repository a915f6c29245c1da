/*
 * Where rotsim finds targets, devices and scenarios. Directories add up:
 *
 *   1. those given on the command line (--targets, --devices, --scenarios),
 *   2. DIR/targets, DIR/devices, DIR/scenarios of each DIR in $ROTSIM_PATH
 *      (colon-separated: one variable for a team's whole tree),
 *   3. $ROTSIM_TARGETS, $ROTSIM_PROFILES, $ROTSIM_SCENARIOS (one directory each),
 *   4. the stock directory (./targets, ./scenarios, or the installed or
 *      source-tree copy beside the program); for devices two, both of device
 *      descriptions (NAME.device): the reference agent's devices
 *      (./targets/firmware/devices) and the other stock devices
 *      (./targets/devices).
 *
 * A name is looked up in that order, except that devices are looked up in
 * the stock directory first: a stock device keeps its meaning whatever a team
 * adds (a team's device of the same name is refused, not silently shadowed).
 * An added devices directory may still hold the older form of a device of
 * the reference agent, a trust profile (NAME.profile, [profile NAME]).
 */
#ifndef ROTSIM_PATHS_H
#define ROTSIM_PATHS_H

#include <stddef.h>

typedef enum { PATHS_TARGETS, PATHS_DEVICES, PATHS_SCENARIOS } paths_kind;

/* Add a directory given on the command line. Returns 0, or -1 with err when
 * it is not a directory. */
int paths_add(paths_kind k, const char *dir, char *err, size_t errlen);

/* The search list, in order, each an existing directory; allocated with
 * xmalloc() (release with cfg_list_free()). Returns the count. */
size_t paths_dirs(paths_kind k, char ***dirs);

/* The first DIR/NAME+suffix that exists ("/target.conf", ".profile",
 * ".scn"), allocated, or NULL. name must be a valid id. */
char *paths_find(paths_kind k, const char *name, const char *suffix);

/* The names found in every directory of the list, suffix removed, sorted,
 * each once; allocated (cfg_list_free()), NULL-terminated. Returns the
 * count. For targets the suffix is "/target.conf". */
size_t paths_names(paths_kind k, const char *suffix, char ***names);

/* A device name defined both in a stock directory and in an added one (as
 * NAME.profile or NAME.device), or twice in one directory (NAME.profile and
 * NAME.device): the second file's path (allocated), or NULL when there is
 * none. */
char *paths_shadowed_device(void);

/* 1 if path (as paths_find() or paths_dirs() spell it) is a file of a stock
 * directory of that kind. */
int paths_is_stock(paths_kind k, const char *path);

#endif
