/*
 * Distinguished names as written in .pki files ("C=US, O=Let's Encrypt,
 * CN=R3"), encoded as an X.501 Name the way the real CAs encode theirs.
 */
#ifndef ROTSIM_PKI_DN_H
#define ROTSIM_PKI_DN_H

#include <stddef.h>

#include "common/util.h"

/*
 * Encode text as a Name (SEQUENCE OF RelativeDistinguishedName, one attribute
 * per RDN, in the order written) appended to out. Attribute names: C, ST, L,
 * O, OU, CN, serialNumber, DC, emailAddress, dnQualifier. String types:
 * PrintableString for C, serialNumber and dnQualifier (which must fit it);
 * IA5String for DC and emailAddress; PrintableString for the others when every
 * character allows it, else UTF8String. Returns 0 or -1 with a message
 * (without location) in err, leaving out unchanged.
 */
int pki_dn_encode(const char *text, buf_t *out, char *err, size_t errlen);

/* 1 if every byte of s is in the PrintableString alphabet. */
int pki_dn_printable(const char *s);

#endif
