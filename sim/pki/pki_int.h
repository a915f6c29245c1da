/*
 * What the files of the .pki reader share, inside sim/pki.
 */
#ifndef ROTSIM_PKI_INT_H
#define ROTSIM_PKI_INT_H

#include <stdio.h>

#include "common/util.h"

/* "FILE:LINE: message" into err, through a local char msg[]; -1. */
#define ERR_AT(file, line, ...) \
	(snprintf(msg, sizeof msg, __VA_ARGS__), \
	util_err(err, errlen, "%s:%d: %s", (file), (line), msg))

#endif
