/* libFuzzer target: the HTTP request parser and Range on arbitrary bytes,
 * consumed request by request as the server does with pipelined input. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "server/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	srv_http_req r;
	int status;

	while (len > 0) {
		long n = srv_http_parse(&r, data, len, &status);
		uint64_t f, l;

		if (n <= 0) {
			if (n < 0 && status != 400 && status != 413 && status != 414
				&& status != 431 && status != 501 && status != 505)
				__builtin_trap();
			break;
		}
		if ((size_t)n > len || r.head_len + r.body_len != (size_t)n
			|| r.target[0] != '/' || r.body_len > SRV_HTTP_MAX_BODY)
			__builtin_trap();
		if (srv_http_range(&r, 1000, &f, &l) == 1 && (f > l || l >= 1000))
			__builtin_trap();
		if (srv_http_range(&r, 0, &f, &l) == 1)
			__builtin_trap();
		data += n;
		len -= (size_t)n;
	}
	return 0;
}
