/* rotsim's version, for messages, results and reports. */
#ifndef ROTSIM_VERSION_H
#define ROTSIM_VERSION_H

extern const char rotsim_version[];

#endif
