/* libFuzzer target: a board's console stream (outside data) through the
 * board driver's console reader, in chunks of varying size: every byte is
 * logged, and "booted" is seen exactly when the stream holds it, whatever
 * the chunking. Input: one byte N (pattern length, mod 24), N bytes of
 * pattern (none when N is 0), then the stream. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "target/board_console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char want[32];
	size_t wl, off = 0;
	int p[2], null;
	bcon c;

	if (len < 1 || len > 60000)
		return 0;
	wl = data[0] % 24;
	if (len < 1 + wl)
		return 0;
	memcpy(want, data + 1, wl);
	want[wl] = 0;
	if (strlen(want) != wl)
		return 0;
	data += 1 + wl;
	len -= 1 + wl;
	if (pipe(p) != 0 || (null = open("/dev/null", O_WRONLY)) < 0)
		__builtin_trap();
	memset(&c, 0, sizeof c);
	c.kind = BCON_TCP;
	c.spec = "127.0.0.1:9";
	c.log_fd = null;
	c.want = wl ? want : NULL;
	bcon_init(&c);
	c.rfd = c.wfd = p[0];
	while (off < len) {
		size_t n = 1 + data[off] % 200;
		n = n < len - off ? n : len - off;
		if (write(p[1], data + off, n) != (ssize_t)n)
			__builtin_trap();
		off += n;
		bcon_pump(&c, 0);
	}
	if ((size_t)c.logged != len)
		__builtin_trap();
	if (wl && c.matched != (memmem(data, len, want, wl) != NULL))
		__builtin_trap();
	close(p[1]);
	bcon_close(&c);
	close(null);
	return 0;
}
