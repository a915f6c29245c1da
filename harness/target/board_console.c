/*
 * The board's console. See board_console.h.
 */
#include "target/board_console.h"
#include "common/util.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* A console log stops growing here: a babbling board cannot fill the disk. */
#define CONSOLE_MAX (64L << 20)

static const struct { int baud; speed_t speed; } bauds[] = {
	{ 9600, B9600 }, { 19200, B19200 }, { 38400, B38400 }, { 57600, B57600 },
	{ 115200, B115200 }, { 230400, B230400 }, { 460800, B460800 }, { 921600, B921600 },
	{ 1000000, B1000000 }, { 1500000, B1500000 }, { 3000000, B3000000 },
};

/* serial:DEVICE[,BAUD]: raw, 8N1, no flow control. */
static int
open_serial(const char *spec, char *err, size_t errlen)
{
	char *dev = xstrdup(spec), *comma = strchr(dev, ',');
	int baud = 115200, fd = -1;
	size_t i;
	struct termios tio;

	if (comma != NULL) {
		*comma = 0;
		baud = atoi(comma + 1);
	}
	for (i = 0; i < sizeof bauds / sizeof *bauds; i++)
		if (bauds[i].baud == baud)
			break;
	if (i == sizeof bauds / sizeof *bauds) {
		util_err(err, errlen, "serial %s: unsupported baud rate %d", dev, baud);
		goto out;
	}
	fd = open(dev, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || tcgetattr(fd, &tio) != 0) {
		util_err(err, errlen, "serial %s: %s", dev, strerror(errno));
		goto fail;
	}
	cfmakeraw(&tio);
	tio.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CSTOPB | CRTSCTS);
	tio.c_cflag |= CS8 | CLOCAL | CREAD;
	tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF | IXANY);
	cfsetispeed(&tio, bauds[i].speed);
	cfsetospeed(&tio, bauds[i].speed);
	if (tcsetattr(fd, TCSANOW, &tio) == 0)
		goto out;
	util_err(err, errlen, "serial %s: %s", dev, strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	fd = -1;
out:
	free(dev);
	return fd;
}

/* tcp:HOST:PORT (ser2net raw), connected within a second. */
static int
open_tcp(const char *spec, char *err, size_t errlen)
{
	char *host = xstrdup(spec), *colon = strrchr(host, ':');
	struct addrinfo hints, *res = NULL, *ai;
	int fd = -1, r;

	*colon = 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, colon + 1, &hints, &res)) != 0) {
		util_err(err, errlen, "tcp %s: %s", spec, gai_strerror(r));
		goto out;
	}
	util_err(err, errlen, "tcp %s: no address", spec);
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		int e = 0;
		fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			struct pollfd p = { fd, POLLOUT, 0 };
			socklen_t sl = sizeof e;
			e = errno;
			if (e == EINPROGRESS && (poll(&p, 1, 1000) != 1
				|| getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) != 0))
				e = ETIMEDOUT;
		}
		if (e != 0) {
			util_err(err, errlen, "tcp %s: %s", spec, strerror(e));
			close(fd);
			fd = -1;
		}
	}
out:
	if (res != NULL)
		freeaddrinfo(res);
	free(host);
	return fd;
}

/* command: its stdin and stdout are the console, its stderr goes to a log. */
static int
open_command(bcon *c, char *err, size_t errlen)
{
	char *in = NULL;
	int p[2] = { -1, -1 }, ret = -1;
	proc_io io;

	if (pipe2(p, O_CLOEXEC) != 0) {
		util_err(err, errlen, "console: pipe: %s", strerror(errno));
		goto out;
	}
	in = xasprintf("/proc/self/fd/%d", p[0]);
	memset(&io, 0, sizeof io);
	io.stdin_path = in;
	io.stdout_pipe = 1;
	io.out_fd = &c->rfd;
	io.stderr_path = c->stderr_log;
	io.append = 1;
	if (proc_spawn(&c->cp, "console", c->argv, &io, err, errlen) != 0)
		goto out;
	fcntl(c->rfd, F_SETFL, O_NONBLOCK);
	c->wfd = p[1];
	p[1] = -1;
	ret = 0;
out:
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	free(in);
	return ret;
}

/* see board_console.h */
void
bcon_init(bcon *c)
{
	c->rfd = c->wfd = -1;
	c->lost = c->matched = 0;
	c->logged = c->next_try = 0;
	c->winlen = 0;
	memset(&c->cp, 0, sizeof c->cp);
}

/* see board_console.h */
int
bcon_open(bcon *c, char *err, size_t errlen)
{
	if (c->kind == BCON_COMMAND)
		return open_command(c, err, errlen);
	c->rfd = c->kind == BCON_SERIAL ? open_serial(c->spec, err, errlen)
		: open_tcp(c->spec, err, errlen);
	c->wfd = c->rfd;
	return c->rfd >= 0 ? 0 : -1;
}

/* see board_console.h */
void
bcon_close(bcon *c)
{
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	if (c->rfd >= 0)
		close(c->rfd);
	c->rfd = c->wfd = -1;
	if (c->cp.pid > 0)
		proc_stop(&c->cp, 1000);
}

/* see board_console.h */
void
bcon_type(bcon *c, const char *text)
{
	sigset_t s, old;
	struct timespec zero = { 0, 0 };
	size_t len = strlen(text), off = 0;

	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	sigprocmask(SIG_BLOCK, &s, &old);
	while (off < len && c->wfd >= 0) {
		ssize_t n = write(c->wfd, text + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { c->wfd, POLLOUT, 0 };
			if (poll(&p, 1, 1000) == 1)
				continue;
		}
		break;
	}
	if (sigtimedwait(&s, NULL, &zero) < 0)
		errno = 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (c->note != NULL)
		c->note(c->ctx, "typed on the console: %s", text);
}

/* Watch for want across reads: the window keeps the console's tail. */
static void
match(bcon *c, const char *data, size_t n)
{
	size_t wl;

	if (c->want == NULL || c->matched)
		return;
	wl = strlen(c->want);
	if (n > sizeof c->win - c->winlen) {
		size_t keep = wl < sizeof c->win / 2 ? wl : sizeof c->win / 2;
		keep = keep < c->winlen ? keep : c->winlen;
		memmove(c->win, c->win + c->winlen - keep, keep);
		c->winlen = keep;
		if (n > sizeof c->win - keep) {
			data += n - (sizeof c->win - keep);
			n = sizeof c->win - keep;
		}
	}
	memcpy(c->win + c->winlen, data, n);
	c->winlen += n;
	c->matched = memmem(c->win, c->winlen, c->want, wl) != NULL;
}

/* see board_console.h */
void
bcon_pump(bcon *c, int timeout_ms)
{
	long long end = proc_now_ms() + timeout_ms;
	char buf[16384], msg[256];

	for (;;) {
		long long now = proc_now_ms(), left = end - now;
		if (c->rfd < 0 && now >= c->next_try && c->kind != BCON_COMMAND) {
			c->next_try = now + (c->lost ? 1000 : 200);
			if (bcon_open(c, msg, sizeof msg) == 0 && c->note != NULL)
				c->note(c->ctx, "console connected%s", c->lost ? " again" : "");
		}
		if (c->rfd < 0) {
			struct timespec ts = { 0, (left > 50 ? 50 : left > 0 ? left : 0) * 1000000L };
			nanosleep(&ts, NULL);
		} else {
			struct pollfd p = { c->rfd, POLLIN, 0 };
			if (poll(&p, 1, left > 0 ? (int)left : 0) == 1) {
				ssize_t n = read(c->rfd, buf, sizeof buf);
				if (n > 0) {
					if (c->logged < CONSOLE_MAX && write(c->log_fd, buf, (size_t)n) == n)
						c->logged += n;
					match(c, buf, (size_t)n);
				} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
					if (c->note != NULL)
						c->note(c->ctx, "console closed: %s", n == 0
							? "end of file" : strerror(errno));
					c->lost = 1;
					bcon_close(c);
				}
			}
		}
		if (proc_now_ms() >= end)
			return;
	}
}
