/*
 * QMP: listen, accept QEMU, negotiate, read events. See qmp.h.
 */
#include "target/qmp.h"
#include "common/json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* see qmp.h */
int
qmp_listen(tgt_qmp *q, char *err, size_t errlen)
{
	static unsigned counter;
	struct sockaddr_un sa;
	struct timespec ts;
	socklen_t len;

	memset(q, 0, sizeof *q);
	q->fd = -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(q->name, sizeof q->name, "rotsim-qmp-%ld-%u-%ld", (long)getpid(), counter++,
		(long)ts.tv_nsec);
	q->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->lfd < 0)
		return util_err(err, errlen, "qmp: socket: %s", strerror(errno));
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path + 1, q->name, strlen(q->name));
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(q->name));
	if (bind(q->lfd, (struct sockaddr *)&sa, len) != 0 || listen(q->lfd, 1) != 0) {
		util_err(err, errlen, "qmp: listen on @%s: %s", q->name, strerror(errno));
		close(q->lfd);
		q->lfd = -1;
		return -1;
	}
	return 0;
}

/* see qmp.h */
char *
qmp_chardev(const tgt_qmp *q, const char *id)
{
	return xasprintf("socket,id=%s,path=%s,abstract=on", id, q->name);
}

static void
send_text(tgt_qmp *q, const char *text)
{
	size_t off = 0, len = strlen(text);

	while (off < len) {
		ssize_t n = write(q->fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* One message from QEMU: the greeting, a reply or an event. */
static void
on_message(tgt_qmp *q, const char *text, size_t len)
{
	char err[128];
	json *j = json_parse(text, len, err, sizeof err);
	const char *ev;

	if (j == NULL)
		return;
	if (json_get(j, "QMP") != NULL) {
		send_text(q, "{\"execute\":\"qmp_capabilities\"}\n");
	} else if (json_get(j, "return") != NULL || json_get(j, "error") != NULL) {
		const json *r = json_get(j, "return"), *e = json_get(j, "error");
		const char *st = r != NULL && r->type == JSON_OBJECT ? json_get_str(r, "status")
			: NULL;
		const char *desc = e != NULL && e->type == JSON_OBJECT ? json_get_str(e, "desc")
			: NULL;
		if (!q->ready) {	/* the reply to qmp_capabilities */
			q->ready = 1;
		} else {
			q->replies++;
			q->failed = e != NULL;
			snprintf(q->answer, sizeof q->answer, "%s", e != NULL ? (desc ? desc : "error")
				: st ? st : "");
		}
	} else if ((ev = json_get_str(j, "event")) != NULL) {
		const json *d = json_get(j, "data");
		const char *reason = d != NULL ? json_get_str(d, "reason") : NULL;
		if (strcmp(ev, "SHUTDOWN") == 0) {
			q->shutdown = 1;
			snprintf(q->reason, sizeof q->reason, "%s", reason ? reason : "");
			if (reason != NULL && strcmp(reason, "guest-reset") == 0)
				q->reset = 1;
		} else if (strcmp(ev, "RESET") == 0 && reason != NULL
			&& strcmp(reason, "guest-reset") == 0) {
			q->reset = 1;
		} else if (strcmp(ev, "RESUME") == 0) {
			q->resumed = 1;
		}
	}
	json_free(j);
}

/* see qmp.h */
int
qmp_pump(tgt_qmp *q, int timeout_ms)
{
	struct pollfd pfd;
	char chunk[4096];
	ssize_t n;

	if (q->lfd < 0 && q->fd < 0)
		return 0;
	pfd.fd = q->fd >= 0 ? q->fd : q->lfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, timeout_ms) <= 0)
		return 1;
	if (q->fd < 0) {
		q->fd = accept4(q->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (q->fd < 0)
			return 1;
		close(q->lfd);
		q->lfd = -1;
		return 1;
	}
	n = read(q->fd, chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0) {
		close(q->fd);
		q->fd = -1;
		return 0;
	}
	buf_append(&q->in, chunk, (size_t)n);
	/* Messages are one JSON object per line. A line longer than 64 KiB is
	 * not QMP: drop the buffer rather than grow it. */
	for (;;) {
		char *nl = memchr(q->in.data, '\n', q->in.len);
		if (nl == NULL)
			break;
		size_t l = (size_t)(nl - (char *)q->in.data);
		on_message(q, (const char *)q->in.data, l);
		memmove(q->in.data, nl + 1, q->in.len - l - 1);
		q->in.len -= l + 1;
	}
	if (q->in.len > 65536)
		q->in.len = 0;
	return 1;
}

/* see qmp.h */
int
qmp_command(tgt_qmp *q, const char *cmd, int fd, int timeout_ms, char *err, size_t errlen)
{
	long long end;
	struct timespec ts;
	int before;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 + timeout_ms;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long left = end - (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000);
		if (q->ready && q->fd >= 0)
			break;
		if (left <= 0)
			return util_err(err, errlen, "qmp: QEMU did not answer within %d ms",
				timeout_ms);
		if (!qmp_pump(q, left > 50 ? 50 : (int)left))
			return util_err(err, errlen, "qmp: QEMU closed its control socket");
	}
	before = q->replies;
	{
		char *text = xasprintf("%s\n", cmd);
		struct iovec iov = { text, strlen(text) };
		union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
		struct msghdr m;
		ssize_t n;

		memset(&m, 0, sizeof m);
		m.msg_iov = &iov;
		m.msg_iovlen = 1;
		if (fd >= 0) {
			memset(&u, 0, sizeof u);
			m.msg_control = u.b;
			m.msg_controllen = sizeof u.b;
			struct cmsghdr *c = CMSG_FIRSTHDR(&m);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &fd, sizeof(int));
		}
		/* The fd goes with the first byte; the rest follows as text. */
		do
			n = sendmsg(q->fd, &m, MSG_NOSIGNAL);
		while (n < 0 && errno == EINTR);
		if (n > 0 && (size_t)n < iov.iov_len) {
			char *rest = text + n;
			send_text(q, rest);
		}
		free(text);
		if (n <= 0)
			return util_err(err, errlen, "qmp: send: %s", n < 0 ? strerror(errno)
				: "nothing sent");
	}
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long left = end - (ts.tv_sec * 1000LL + ts.tv_nsec / 1000000);
		if (q->replies > before)
			break;
		if (left <= 0)
			return util_err(err, errlen, "qmp: no reply within %d ms", timeout_ms);
		if (!qmp_pump(q, left > 50 ? 50 : (int)left) && q->replies == before)
			return util_err(err, errlen, "qmp: QEMU closed its control socket");
	}
	if (q->failed)
		return util_err(err, errlen, "qmp: %s", q->answer);
	return 0;
}

/* see qmp.h */
void
qmp_close(tgt_qmp *q)
{
	if (q == NULL)
		return;
	if (q->fd >= 0)
		close(q->fd);
	if (q->lfd >= 0)
		close(q->lfd);
	q->fd = q->lfd = -1;
	buf_free(&q->in);
}
