/*
 * testagent: the stand-in for the reference device agent, until it exists.
 *
 * It proves the image and the boot path, not TLS: it says which device it is
 * (from the payload the initramfs carries), reads the flash header from the
 * virtio-blk disk, says whether the kernel's random pool is ready (a TLS
 * client blocks on it otherwise), then makes one plain HTTP request to the
 * update server's forwarded address and reports the status line. Each step is one console
 * line, "rotsim: event NAME key=value ...", as the real agent will print them.
 *
 * usage: testagent [-a ADDR] [-p PORT] [-f FLASH] [PATH]
 * Exit status: 0 when every step worked, 1 otherwise, 2 for a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define FLASH_MAGIC "ROTSIMFL"

static void
usage(void)
{
	fprintf(stderr, "usage: testagent [-a ADDR] [-p PORT] [-f FLASH] [PATH]\n");
	exit(2);
}

static uint64_t
get_le(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

/* The device's name: the first line of /etc/rotsim/device, or "unknown". */
static void
report_device(void)
{
	char name[64] = "unknown";
	FILE *f;

	f = fopen("/etc/rotsim/device", "r");
	if (f != NULL) {
		if (fgets(name, sizeof name, f) == NULL)
			strcpy(name, "unknown");
		name[strcspn(name, "\r\n")] = '\0';
		fclose(f);
	}
	printf("rotsim: event agent-start agent=testagent device=%s\n", name);
}

/* Read the flash header (see README.md, "Flash layout") and report it. */
static int
report_flash(const char *path)
{
	unsigned char h[128];
	ssize_t r;
	int fd, ret = -1;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("rotsim: event flash error=open path=%s errno=%d\n", path, errno);
		return -1;
	}
	r = pread(fd, h, sizeof h, 0);
	if (r != (ssize_t)sizeof h) {
		printf("rotsim: event flash error=short-read path=%s\n", path);
		goto out;
	}
	if (memcmp(h, FLASH_MAGIC, 8) != 0) {
		printf("rotsim: event flash error=bad-magic path=%s\n", path);
		goto out;
	}
	printf("rotsim: event flash path=%s layout=%u slot-size=%llu slot-a=%llu slot-b=%llu\n",
		path, (unsigned)get_le(h + 8, 4),
		(unsigned long long)get_le(h + 16, 8),
		(unsigned long long)get_le(h + 24, 8),
		(unsigned long long)get_le(h + 32, 8));
	ret = 0;
out:
	close(fd);
	return ret;
}

/* One HTTP/1.0 GET; reports the status code and the number of bytes read. */
static int
fetch(const char *addr, int port, const char *path)
{
	struct sockaddr_in sa;
	struct timeval tv = { 10, 0 };
	char req[512], buf[4096], line[128] = "";
	size_t total = 0;
	ssize_t r;
	int fd = -1, n, code = 0, ret = -1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		printf("rotsim: event fetch error=bad-address addr=%s\n", addr);
		goto out;
	}
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0) {
		printf("rotsim: event fetch error=socket errno=%d\n", errno);
		goto out;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		printf("rotsim: event fetch error=connect addr=%s port=%d errno=%d\n",
			addr, port, errno);
		goto out;
	}
	n = snprintf(req, sizeof req,
		"GET %s HTTP/1.0\r\nHost: updates.rotsim.test\r\n"
		"User-Agent: rotsim-testagent\r\n\r\n", path);
	if (n < 0 || (size_t)n >= sizeof req) {
		printf("rotsim: event fetch error=path-too-long\n");
		goto out;
	}
	if (write(fd, req, (size_t)n) != n) {
		printf("rotsim: event fetch error=write errno=%d\n", errno);
		goto out;
	}
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		if (total == 0) {
			size_t l = strcspn(buf, "\r\n");
			if (l >= sizeof line)
				l = sizeof line - 1;
			if (l > (size_t)r)
				l = (size_t)r;
			memcpy(line, buf, l);
			line[l] = '\0';
		}
		total += (size_t)r;
	}
	if (r < 0) {
		printf("rotsim: event fetch error=read errno=%d bytes=%zu\n", errno, total);
		goto out;
	}
	if (sscanf(line, "HTTP/%*d.%*d %d", &code) != 1) {
		printf("rotsim: event fetch error=no-status bytes=%zu\n", total);
		goto out;
	}
	printf("rotsim: event fetch addr=%s port=%d path=%s status=%d bytes=%zu\n",
		addr, port, path, code, total);
	ret = code == 200 ? 0 : -1;
out:
	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * Whether the random pool was ready when the agent started: getrandom() with
 * GRND_NONBLOCK fails with EAGAIN until the kernel's CRNG is seeded. A guest
 * without an entropy source at boot (rdrand on x86_64, the device tree's
 * rng-seed on the virt board) waits about a second here before its first
 * ClientHello; the target descriptions give it one.
 */
static void
report_entropy(void)
{
	unsigned char b[16];
	ssize_t n = getrandom(b, sizeof b, GRND_NONBLOCK);

	printf("rotsim: event entropy ready=%s\n", n == (ssize_t)sizeof b ? "yes"
		: n < 0 && errno == EAGAIN ? "no" : "error");
}

int
main(int argc, char **argv)
{
	const char *addr = "10.0.2.100", *flash = "/dev/vda", *path = "/probe";
	int port = 443, c, bad = 0;

	while ((c = getopt(argc, argv, "a:p:f:")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'f': flash = optarg; break;
		default: usage();
		}
	}
	if (argc - optind > 1)
		usage();
	if (optind < argc)
		path = argv[optind];
	setvbuf(stdout, NULL, _IOLBF, 0);
	report_device();
	report_entropy();
	if (report_flash(flash) != 0)
		bad = 1;
	if (fetch(addr, port, path) != 0)
		bad = 1;
	printf("rotsim: event agent-done status=%s\n", bad ? "fail" : "ok");
	return bad;
}
