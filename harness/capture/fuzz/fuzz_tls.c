/*
 * libFuzzer target: the TLS record and handshake parser on arbitrary bytes.
 * The input is a script: each control byte says which direction the next
 * piece goes and how long it is (or declares a gap), so records and
 * handshake messages arrive cut at arbitrary places in both directions.
 * The flow is then rendered as text and JSON.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "capture/cap_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	cap_flow f;
	cap_tls_conn c;
	cap_report r;
	buf_t out = { 0 };
	size_t off = 0;
	cap_time ts = 0;

	memset(&f, 0, sizeof f);
	/* A small handshake limit, so that the limit is reached too. */
	cap_tls_init(&c, &f, 4096);
	while (off < len) {
		unsigned ctl = data[off++];
		size_t n = (ctl >> 1) + 1;

		if (ctl == 0xff) {
			cap_tls_gap(&c, CAP_S2C, 100, ts++);
			continue;
		}
		if (n > len - off)
			n = len - off;
		cap_tls_feed(&c, (int)(ctl & 1), data + off, n, ts++);
		off += n;
	}
	memset(&r, 0, sizeof r);
	r.flows = &f;
	r.n_flows = 1;
	cap_render_text(&r, 0, &out);
	cap_render_json(&r, &out);
	buf_free(&out);
	cap_tls_clear(&c);
	cap_flow_free(&f);
	return 0;
}
