/*
 * rotsim-seed: mix fresh bytes into a resumed guest's random pool and reseed
 * its CRNG at once.
 *
 * usage: rotsim-seed HEX
 *
 * A guest resumed from a saved state carries the random state it was saved
 * with, so every resume would hand out the same random numbers (TLS client
 * randoms, keys) until the kernel reseeds on its own schedule. /init runs this
 * right after the power-on message (targets/qemu-x86_64/README.md, "Resume"):
 * the harness's seed (HEX, 16 to 256 bytes) is added to the input pool and
 * credited (RNDADDENTROPY), and the CRNG is reseeded from it now
 * (RNDRESEEDCRNG), before any program asks for a random byte.
 * Exit 0, or 1 with one line on standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/random.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_SEED 256

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
main(int argc, char **argv)
{
	/* struct rand_pool_info with room for the bytes */
	struct {
		int entropy_count;
		int buf_size;
		unsigned char buf[MAX_SEED];
	} p;
	size_t len, i;
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: rotsim-seed HEX\n");
		return 1;
	}
	len = strlen(argv[1]);
	if (len % 2 != 0 || len < 32 || len > 2 * MAX_SEED) {
		fprintf(stderr, "rotsim-seed: want 16 to %d bytes as hex\n", MAX_SEED);
		return 1;
	}
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(argv[1][2 * i]), lo = hexval(argv[1][2 * i + 1]);
		if (hi < 0 || lo < 0) {
			fprintf(stderr, "rotsim-seed: not hex\n");
			return 1;
		}
		p.buf[i] = (unsigned char)(hi << 4 | lo);
	}
	p.buf_size = (int)(len / 2);
	p.entropy_count = p.buf_size * 8;
	if ((fd = open("/dev/urandom", O_RDWR | O_CLOEXEC)) < 0) {
		fprintf(stderr, "rotsim-seed: /dev/urandom: %s\n", strerror(errno));
		return 1;
	}
	if (ioctl(fd, RNDADDENTROPY, &p) != 0) {
		fprintf(stderr, "rotsim-seed: RNDADDENTROPY: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	if (ioctl(fd, RNDRESEEDCRNG) != 0) {
		fprintf(stderr, "rotsim-seed: RNDRESEEDCRNG: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
