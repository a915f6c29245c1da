/*
 * DNS messages as a capture shows them. See lab.h.
 */
#include "capture/lab.h"
#include "common/util.h"

#include <string.h>

/* Compression pointers followed per name: a loop ends here. */
#define DNS_MAX_JUMPS 16

static unsigned
be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/*
 * Read the name at *off into out (dotted, printable characters only; others
 * become '?'). *off moves past the name as it stands in place. Returns 0 or -1.
 */
static int
read_name(const unsigned char *p, size_t len, size_t *off, char *out, size_t outlen)
{
	size_t pos = *off, o = 0, end = 0;
	int jumps = 0;

	out[0] = 0;
	for (;;) {
		if (pos >= len)
			return -1;
		unsigned l = p[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len || ++jumps > DNS_MAX_JUMPS)
				return -1;
			if (end == 0)
				end = pos + 2;
			pos = (size_t)(l & 0x3f) << 8 | p[pos + 1];
			continue;
		}
		if (l & 0xc0)
			return -1;
		pos++;
		if (l == 0)
			break;
		if (l > len - pos)
			return -1;
		if (o != 0 && o + 1 < outlen)
			out[o++] = '.';
		for (unsigned i = 0; i < l; i++) {
			unsigned char c = p[pos + i];
			if (o + 1 < outlen)
				out[o++] = c > 0x20 && c < 0x7f ? (char)c : '?';
		}
		out[o] = 0;
		pos += l;
	}
	*off = end != 0 ? end : pos;
	return 0;
}

/* see lab.h */
int
cap_dns_parse(const unsigned char *p, size_t len, cap_dns *out, char *err, size_t errlen)
{
	unsigned qd, an, i;
	size_t off = 12;
	char name[256];

	memset(out, 0, sizeof *out);
	if (len < 12)
		return util_err(err, errlen, "DNS: %zu bytes, shorter than a header", len);
	out->id = (uint16_t)be16(p);
	out->response = p[2] >> 7;
	if (((p[2] >> 3) & 0xf) != 0)
		return util_err(err, errlen, "DNS: opcode %u", (p[2] >> 3) & 0xf);
	out->rcode = p[3] & 0xf;
	qd = be16(p + 4);
	an = be16(p + 6);
	for (i = 0; i < qd; i++) {
		if (read_name(p, len, &off, name, sizeof name) != 0 || len - off < 4)
			return util_err(err, errlen, "DNS: question %u malformed", i + 1);
		if (i == 0) {
			memcpy(out->qname, name, sizeof out->qname);
			out->qtype = (uint16_t)be16(p + off);
		}
		off += 4;
	}
	for (i = 0; i < an; i++) {
		unsigned type, rdlen;
		if (read_name(p, len, &off, name, sizeof name) != 0 || len - off < 10)
			return util_err(err, errlen, "DNS: answer %u malformed", i + 1);
		type = be16(p + off);
		rdlen = be16(p + off + 8);
		off += 10;
		if (rdlen > len - off)
			return util_err(err, errlen, "DNS: answer %u overruns the message", i + 1);
		out->n_answers++;
		if (out->n_addr < CAP_DNS_MAX_ANSWERS && ((type == 1 && rdlen == 4)
			|| (type == 28 && rdlen == 16)))
		{
			out->addr_family[out->n_addr] = type == 1 ? 4 : 6;
			memcpy(out->addr[out->n_addr], p + off, rdlen);
			out->n_addr++;
		}
		off += rdlen;
	}
	return 0;
}
