/*
 * DHCP messages as a capture shows them. See lab.h.
 */
#include "capture/lab.h"
#include "common/util.h"

#include <string.h>

#define DHCP_FIXED 236		/* op .. file, before the magic cookie */
#define DHCP_COOKIE 0x63825363u

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Addresses of an option, in network order as on the wire. */
static size_t
addrs(const unsigned char *v, size_t len, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (; len >= 4 && n < max; v += 4, len -= 4)
		memcpy(&out[n++], v, 4);
	return n;
}

/* see lab.h */
int
cap_dhcp_parse(const unsigned char *p, size_t len, cap_dhcp *out, char *err, size_t errlen)
{
	size_t off;

	memset(out, 0, sizeof *out);
	if (len < DHCP_FIXED + 4)
		return util_err(err, errlen, "DHCP: %zu bytes, shorter than a message", len);
	if (p[0] != 1 && p[0] != 2)
		return util_err(err, errlen, "DHCP: op %u", p[0]);
	if (be32(p + DHCP_FIXED) != DHCP_COOKIE)
		return util_err(err, errlen, "DHCP: no magic cookie (BOOTP)");
	out->op = p[0];
	out->xid = be32(p + 4);
	memcpy(&out->ciaddr, p + 12, 4);
	memcpy(&out->yiaddr, p + 16, 4);
	memcpy(out->chaddr, p + 28, 6);
	for (off = DHCP_FIXED + 4; off < len;) {
		unsigned code = p[off++], olen;
		const unsigned char *v;

		if (code == 0)
			continue;
		if (code == 255)
			break;
		if (off >= len)
			return util_err(err, errlen, "DHCP: option %u cut short", code);
		olen = p[off++];
		if (olen > len - off)
			return util_err(err, errlen, "DHCP: option %u overruns the message", code);
		v = p + off;
		off += olen;
		switch (code) {
		case 53:
			if (olen >= 1)
				out->type = v[0];
			break;
		case 54:
			if (olen >= 4)
				memcpy(&out->server_id, v, 4);
			break;
		case 50:
			if (olen >= 4)
				memcpy(&out->requested, v, 4);
			break;
		case 51:
			if (olen >= 4) {
				out->has_lease = 1;
				out->lease = be32(v);
			}
			break;
		case 3:
			out->n_router = addrs(v, olen, out->router, CAP_DHCP_MAX_ADDRS);
			break;
		case 6:
			out->n_dns = addrs(v, olen, out->dns, CAP_DHCP_MAX_ADDRS);
			break;
		case 42:
			out->n_ntp = addrs(v, olen, out->ntp, CAP_DHCP_MAX_ADDRS);
			break;
		case 55:
			for (unsigned i = 0; i < olen; i++)
				if (v[i] == 42)
					out->asks_ntp = 1;
			break;
		default:
			break;
		}
	}
	return 0;
}
