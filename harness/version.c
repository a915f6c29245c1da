/* rotsim's version. See version.h. */
#include "version.h"

#ifndef ROTSIM_VERSION
#define ROTSIM_VERSION "0.1.0"
#endif

const char rotsim_version[] = ROTSIM_VERSION;
