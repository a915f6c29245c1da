/*
 * The sink of the lab network: where every connection goes that is not for
 * the lab's services. See labnet.h.
 *
 * The tproxy rule hands TCP connections and UDP datagrams for any address to
 * two sockets with IP_TRANSPARENT: an accepted TCP socket's local address is
 * the destination the device asked for, and a UDP datagram carries it in an
 * IP_ORIGDSTADDR control message. One thread polls both and the open TCP
 * connections; nothing is ever answered.
 */
#include "net/labnet.h"
#include "common/json.h"
#include "common/util.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define SINK_FIRST 64		/* bytes kept of each attempt */
#define SINK_CONNS 32		/* TCP connections held at once */
#define SINK_HOLD_MS 2000	/* how long a TCP connection is held for its first bytes */
#define SINK_MAX_LINES 10000	/* log entries per phase: a flood is cut, and says so */

typedef struct {
	int fd;
	long long deadline;
	struct sockaddr_in src, dst;
} sink_conn;

struct labnet_sink {
	int tcp, udp;
	FILE *log;
	pthread_t thread;
	int started;
	atomic_int stop;
	long lines;
	int write_failed;
	sink_conn conns[SINK_CONNS];
};

static long long
now_ms(void)
{
	return proc_now_ms();
}

static void
put_addr(buf_t *b, const struct sockaddr_in *sa)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
	buf_printf(b, "\"%s:%u\"", ip, (unsigned)ntohs(sa->sin_port));
}

/* One log line. */
static void
sink_log(labnet_sink *s, const char *proto, const struct sockaddr_in *src,
	const struct sockaddr_in *dst, const unsigned char *data, size_t len, size_t total)
{
	buf_t b = {0};
	struct timeval tv;
	char d[40], hex[2 * SINK_FIRST + 1];

	if (s->lines >= SINK_MAX_LINES)
		return;
	gettimeofday(&tv, NULL);
	simtime_format(d, sizeof d, (int64_t)tv.tv_sec);
	if (len > SINK_FIRST)
		len = SINK_FIRST;
	util_hex(hex, data, len);
	buf_printf(&b, "{\"time\":\"%s\",\"proto\":\"%s\",\"src\":", d, proto);
	put_addr(&b, src);
	buf_puts(&b, ",\"dst\":");
	put_addr(&b, dst);
	buf_printf(&b, ",\"bytes\":%zu,\"first\":\"%s\"}\n", total, hex);
	if (++s->lines == SINK_MAX_LINES)
		buf_puts(&b, "{\"truncated\":true}\n");
	if (fwrite(b.data, 1, b.len, s->log) != b.len || fflush(s->log) != 0)
		s->write_failed = 1;
	buf_free(&b);
}

static void
conn_close(labnet_sink *s, sink_conn *c, const unsigned char *data, size_t len)
{
	sink_log(s, "tcp", &c->src, &c->dst, data, len, len);
	close(c->fd);
	c->fd = -1;
}

static void
on_accept(labnet_sink *s)
{
	struct sockaddr_in src, dst;
	socklen_t sl = sizeof src, dl = sizeof dst;
	int fd = accept4(s->tcp, (struct sockaddr *)&src, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
	size_t i;

	if (fd < 0)
		return;
	memset(&dst, 0, sizeof dst);
	getsockname(fd, (struct sockaddr *)&dst, &dl);
	for (i = 0; i < SINK_CONNS; i++)
		if (s->conns[i].fd < 0)
			break;
	if (i == SINK_CONNS) {
		/* Full: logged without waiting for its first bytes. */
		sink_log(s, "tcp", &src, &dst, NULL, 0, 0);
		close(fd);
		return;
	}
	s->conns[i].fd = fd;
	s->conns[i].src = src;
	s->conns[i].dst = dst;
	s->conns[i].deadline = now_ms() + SINK_HOLD_MS;
}

static void
on_datagram(labnet_sink *s)
{
	unsigned char data[2048], ctl[256];
	struct sockaddr_in src, dst;
	struct iovec iov = { data, sizeof data };
	struct msghdr m;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&m, 0, sizeof m);
	memset(&dst, 0, sizeof dst);
	m.msg_name = &src;
	m.msg_namelen = sizeof src;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = ctl;
	m.msg_controllen = sizeof ctl;
	n = recvmsg(s->udp, &m, MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0)
		return;
	for (cm = CMSG_FIRSTHDR(&m); cm != NULL; cm = CMSG_NXTHDR(&m, cm))
		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_ORIGDSTADDR)
			memcpy(&dst, CMSG_DATA(cm), sizeof dst);
	sink_log(s, "udp", &src, &dst, data, (size_t)n < sizeof data ? (size_t)n : sizeof data,
		(size_t)n);
}

static void *
sink_loop(void *arg)
{
	labnet_sink *s = arg;
	struct pollfd pf[2 + SINK_CONNS];
	int map[2 + SINK_CONNS];
	size_t i, n;

	while (!atomic_load(&s->stop)) {
		n = 0;
		pf[n].fd = s->tcp;
		pf[n++].events = POLLIN;
		pf[n].fd = s->udp;
		pf[n++].events = POLLIN;
		for (i = 0; i < SINK_CONNS; i++)
			if (s->conns[i].fd >= 0) {
				map[n] = (int)i;
				pf[n].fd = s->conns[i].fd;
				pf[n++].events = POLLIN;
			}
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & POLLIN)
			on_accept(s);
		if (pf[1].revents & POLLIN)
			on_datagram(s);
		for (i = 2; i < n; i++) {
			sink_conn *c = &s->conns[map[i]];
			if (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				unsigned char data[SINK_FIRST];
				ssize_t r = read(c->fd, data, sizeof data);
				conn_close(s, c, data, r > 0 ? (size_t)r : 0);
			}
		}
		for (i = 0; i < SINK_CONNS; i++)
			if (s->conns[i].fd >= 0 && now_ms() > s->conns[i].deadline)
				conn_close(s, &s->conns[i], NULL, 0);
	}
	for (i = 0; i < SINK_CONNS; i++)
		if (s->conns[i].fd >= 0)
			conn_close(s, &s->conns[i], NULL, 0);
	return NULL;
}

static int
transparent_socket(int type, int port, char *err, size_t errlen)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), one = 1;
	const char *what = type == SOCK_STREAM ? "tcp" : "udp";

	if (fd < 0)
		return util_err(err, errlen, "sink: %s socket: %s", what, strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0
		|| setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof one) != 0
		|| (type == SOCK_DGRAM
			&& setsockopt(fd, IPPROTO_IP, IP_RECVORIGDSTADDR, &one, sizeof one) != 0)
		|| bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0
		|| (type == SOCK_STREAM && listen(fd, 64) != 0))
	{
		util_err(err, errlen, "sink: %s 0.0.0.0:%d: %s", what, port, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* see labnet.h */
int
labnet_sink_start(labnet_sink **out, int port, const char *log_path, char *err, size_t errlen)
{
	labnet_sink *s = xmalloc(sizeof *s);
	size_t i;

	memset(s, 0, sizeof *s);
	s->tcp = s->udp = -1;
	for (i = 0; i < SINK_CONNS; i++)
		s->conns[i].fd = -1;
	atomic_init(&s->stop, 0);
	*out = NULL;
	if ((s->tcp = transparent_socket(SOCK_STREAM, port, err, errlen)) < 0
		|| (s->udp = transparent_socket(SOCK_DGRAM, port, err, errlen)) < 0)
		goto fail;
	char why[300];
	s->log = util_fopen_evidence(log_path, UTIL_EV_NEW, why, sizeof why);
	if (s->log == NULL) {
		util_err(err, errlen, "sink: %s", why);
		goto fail;
	}
	if (pthread_create(&s->thread, NULL, sink_loop, s) != 0) {
		util_err(err, errlen, "sink: cannot start its thread");
		goto fail;
	}
	s->started = 1;
	*out = s;
	return 0;
fail:
	labnet_sink_stop(s, NULL, 0);
	return -1;
}

/* see labnet.h */
long
labnet_sink_stop(labnet_sink *s, char *err, size_t errlen)
{
	long n;

	if (s == NULL)
		return 0;
	atomic_store(&s->stop, 1);
	if (s->started)
		pthread_join(s->thread, NULL);
	if (s->tcp >= 0)
		close(s->tcp);
	if (s->udp >= 0)
		close(s->udp);
	if (s->log != NULL && fclose(s->log) != 0)
		s->write_failed = 1;
	n = s->write_failed ? util_err(err, errlen, "sink: writing its log failed") : s->lines;
	free(s);
	return n;
}
