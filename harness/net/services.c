/*
 * The lab's own services beside dnsmasq: the SNTP responder and the relay
 * that holds DNS answers for dns-slow. See labnet.h.
 *
 * Both run in a thread of the case process, as the sink does, so they live
 * in the case's namespace and die with it. The SNTP responder is the one of
 * time/sntp.h, reading a simclock of its own: on the lab network the time is
 * a service of the network (as NTP is for a real device), so a phase can
 * serve another date or a kiss-o'-death without touching the update server.
 *
 * The relay exists because this kernel has no netem (CONFIG_NET_SCH_NETEM is
 * off) to delay packets on the bridge port: it takes each question on port 53,
 * passes it to dnsmasq on another port of the same address (over loopback,
 * so the capture on the bridge shows the device's question and the late
 * answer only) and sends the answer back delay_s seconds after the question
 * arrived.
 */
#include "net/labnet.h"
#include "common/util.h"
#include "time/simclock.h"
#include "time/simtime.h"
#include "time/sntp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* Log lines per phase at most: a flood is cut, and says so. */
#define SVC_MAX_LINES 10000

/* A log of JSON lines, written by one thread. */
typedef struct {
	FILE *f;
	long lines;
	int failed;
} svc_log;

static int
log_open(svc_log *l, const char *path, const char *what, char *err, size_t errlen)
{
	memset(l, 0, sizeof *l);
	char why[300];
	l->f = util_fopen_evidence(path, UTIL_EV_NEW, why, sizeof why);
	if (l->f == NULL)
		return util_err(err, errlen, "%s: %s", what, why);
	return 0;
}

/* Append one line: {"time":NOW<body>}. */
static void
log_line(svc_log *l, const char *body)
{
	struct timeval tv;
	char d[40];

	if (l->f == NULL || l->lines >= SVC_MAX_LINES)
		return;
	gettimeofday(&tv, NULL);
	simtime_format(d, sizeof d, (int64_t)tv.tv_sec);
	if (fprintf(l->f, "{\"time\":\"%s\"%s}\n", d, body) < 0)
		l->failed = 1;
	if (++l->lines == SVC_MAX_LINES && fputs("{\"truncated\":true}\n", l->f) < 0)
		l->failed = 1;
	if (fflush(l->f) != 0)
		l->failed = 1;
}

/* Close the log: the lines written, or -1 with err when writing failed. */
static long
log_close(svc_log *l, const char *what, char *err, size_t errlen)
{
	if (l->f != NULL && fclose(l->f) != 0)
		l->failed = 1;
	l->f = NULL;
	return l->failed ? util_err(err, errlen, "%s: writing its log failed", what) : l->lines;
}

static void
addr_text(const struct sockaddr_in *sa, char *out, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
	snprintf(out, len, "%s:%u", ip, (unsigned)ntohs(sa->sin_port));
}

/* ---- SNTP ---- */

struct labnet_ntp {
	sntp_server srv;
	simclock clock;
	svc_log log;
	pthread_t thread;
	int started;
	atomic_int stop;
};

static void
ntp_logged(void *ctx, const sntp_event *ev)
{
	labnet_ntp *n = ctx;
	char line[256], t[40];

	if (ev->status == SNTP_OK)
		snprintf(line, sizeof line, ",\"peer\":\"%s\",\"status\":\"ok\",\"sent\":\"%s\"",
			ev->peer, simtime_format(t, sizeof t, ev->sim_time.sec));
	else if (ev->status == SNTP_ERR_KISS)
		snprintf(line, sizeof line, ",\"peer\":\"%s\",\"status\":\"kiss\",\"kiss\":\"%s\"",
			ev->peer, ev->kiss);
	else
		snprintf(line, sizeof line, ",\"peer\":\"%s\",\"status\":\"%s\"", ev->peer,
			sntp_status_name(ev->status));
	log_line(&n->log, line);
}

static void *
ntp_loop(void *arg)
{
	labnet_ntp *n = arg;
	char err[256];

	while (!atomic_load(&n->stop)) {
		struct pollfd pf = { .fd = sntp_server_fd(&n->srv), .events = POLLIN };
		if (poll(&pf, 1, 100) < 0 && errno != EINTR)
			break;
		if ((pf.revents & POLLIN) && sntp_server_handle(&n->srv, ntp_logged, n, err,
			sizeof err) < 0)
			break;
	}
	return NULL;
}

/* see labnet.h */
int
labnet_ntp_start(labnet_ntp **out, const char *addr, int port, int64_t date,
	const char *kiss, const char *log_path, int *bound, char *err, size_t errlen)
{
	labnet_ntp *n = xcalloc(1, sizeof *n);
	char ap[64], e[256];

	*out = NULL;
	n->srv.fd = -1;
	atomic_init(&n->stop, 0);
	simclock_set(&n->clock, date);
	snprintf(ap, sizeof ap, "%s:%d", addr, port);
	if (sntp_server_open(&n->srv, ap, &n->clock, e, sizeof e) != 0) {
		util_err(err, errlen, "the lab's SNTP responder: %s", e);
		goto fail;
	}
	sntp_server_set_kiss(&n->srv, kiss);
	if (log_open(&n->log, log_path, "the lab's SNTP responder", err, errlen) != 0)
		goto fail;
	if (pthread_create(&n->thread, NULL, ntp_loop, n) != 0) {
		util_err(err, errlen, "the lab's SNTP responder: cannot start its thread");
		goto fail;
	}
	n->started = 1;
	if (bound != NULL)
		*bound = sntp_server_port(&n->srv);
	*out = n;
	return 0;
fail:
	labnet_ntp_stop(n, NULL, 0);
	return -1;
}

/* see labnet.h */
long
labnet_ntp_stop(labnet_ntp *n, char *err, size_t errlen)
{
	long r;

	if (n == NULL)
		return 0;
	atomic_store(&n->stop, 1);
	if (n->started)
		pthread_join(n->thread, NULL);
	sntp_server_close(&n->srv);
	r = log_close(&n->log, "the lab's SNTP responder", err, errlen);
	free(n);
	return r;
}

/* ---- The DNS relay of dns-slow ---- */

/* Questions held at once; more are logged and dropped, as a busy resolver
 * would. */
#define RELAY_SLOTS 64
/* The longest DNS message over UDP we relay (EDNS allows more than 512). */
#define RELAY_MSG 4096
/* How long dnsmasq may take to answer before the question is given up. */
#define RELAY_UPSTREAM_MS 10000

typedef struct {
	int fd;				/* to dnsmasq, connected; -1 when free */
	struct sockaddr_in client;
	long long asked_ms;		/* when the question arrived */
	size_t qbytes;
	unsigned char *answer;		/* held until asked_ms + delay */
	size_t alen;
} relay_slot;

struct labnet_relay {
	int fd;				/* the relay's port 53 */
	struct sockaddr_in upstream;
	long long delay_ms;
	svc_log log;
	pthread_t thread;
	int started;
	atomic_int stop;
	relay_slot slots[RELAY_SLOTS];
};

static void
slot_end(labnet_relay *r, relay_slot *s, int answered)
{
	char line[160], c[32];

	addr_text(&s->client, c, sizeof c);
	if (answered)
		snprintf(line, sizeof line, ",\"client\":\"%s\",\"bytes\":%zu,"
			"\"answered_after_ms\":%lld", c, s->qbytes, proc_now_ms() - s->asked_ms);
	else
		snprintf(line, sizeof line, ",\"client\":\"%s\",\"bytes\":%zu,\"answered\":false",
			c, s->qbytes);
	log_line(&r->log, line);
	if (s->fd >= 0)
		close(s->fd);
	free(s->answer);
	memset(s, 0, sizeof *s);
	s->fd = -1;
}

static void
on_question(labnet_relay *r)
{
	unsigned char q[RELAY_MSG];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(r->fd, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
	size_t i;
	int fd;

	if (n <= 0)
		return;
	for (i = 0; i < RELAY_SLOTS; i++)
		if (r->slots[i].fd < 0 && r->slots[i].answer == NULL)
			break;
	if (i == RELAY_SLOTS) {
		char line[96], c[32];
		addr_text(&from, c, sizeof c);
		snprintf(line, sizeof line, ",\"client\":\"%s\",\"bytes\":%zd,\"dropped\":true",
			c, n);
		log_line(&r->log, line);
		return;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (connect(fd, (struct sockaddr *)&r->upstream, sizeof r->upstream) != 0
		|| send(fd, q, (size_t)n, 0) != n) {
		close(fd);
		return;
	}
	r->slots[i].fd = fd;
	r->slots[i].client = from;
	r->slots[i].asked_ms = proc_now_ms();
	r->slots[i].qbytes = (size_t)n;
}

static void *
relay_loop(void *arg)
{
	labnet_relay *r = arg;
	struct pollfd pf[1 + RELAY_SLOTS];
	int map[1 + RELAY_SLOTS];
	size_t i, n;

	while (!atomic_load(&r->stop)) {
		n = 0;
		pf[n].fd = r->fd;
		pf[n++].events = POLLIN;
		for (i = 0; i < RELAY_SLOTS; i++)
			if (r->slots[i].fd >= 0 && r->slots[i].answer == NULL) {
				map[n] = (int)i;
				pf[n].fd = r->slots[i].fd;
				pf[n++].events = POLLIN;
			}
		if (poll(pf, n, 20) < 0 && errno != EINTR)
			break;
		if (pf[0].revents & POLLIN)
			on_question(r);
		for (i = 1; i < n; i++) {
			relay_slot *s = &r->slots[map[i]];
			unsigned char a[RELAY_MSG];
			ssize_t got;
			if (!(pf[i].revents & (POLLIN | POLLERR)))
				continue;
			got = recv(s->fd, a, sizeof a, MSG_DONTWAIT);
			if (got <= 0)
				continue;
			s->answer = xmalloc((size_t)got);
			memcpy(s->answer, a, (size_t)got);
			s->alen = (size_t)got;
			close(s->fd);
			s->fd = -1;
		}
		/* Answers whose time has come, and questions dnsmasq left. */
		for (i = 0; i < RELAY_SLOTS; i++) {
			relay_slot *s = &r->slots[i];
			if (s->fd >= 0 && proc_now_ms() - s->asked_ms > RELAY_UPSTREAM_MS)
				slot_end(r, s, 0);
			else if (s->answer != NULL && proc_now_ms() - s->asked_ms >= r->delay_ms) {
				(void)sendto(r->fd, s->answer, s->alen, MSG_DONTWAIT,
					(struct sockaddr *)&s->client, sizeof s->client);
				slot_end(r, s, 1);
			}
		}
	}
	for (i = 0; i < RELAY_SLOTS; i++)
		if (r->slots[i].fd >= 0 || r->slots[i].answer != NULL)
			slot_end(r, &r->slots[i], 0);
	return NULL;
}

/* see labnet.h */
int
labnet_relay_start(labnet_relay **out, const char *addr, int port, int upstream_port,
	int delay_s, const char *log_path, int *bound, char *err, size_t errlen)
{
	labnet_relay *r = xcalloc(1, sizeof *r);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	size_t i;

	*out = NULL;
	r->fd = -1;
	for (i = 0; i < RELAY_SLOTS; i++)
		r->slots[i].fd = -1;
	atomic_init(&r->stop, 0);
	r->delay_ms = (long long)delay_s * 1000;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		util_err(err, errlen, "the DNS relay: \"%s\" is not an IPv4 address", addr);
		goto fail;
	}
	r->upstream = sa;
	r->upstream.sin_port = htons((uint16_t)upstream_port);
	r->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || bind(r->fd, (struct sockaddr *)&sa, sizeof sa) != 0
		|| getsockname(r->fd, (struct sockaddr *)&sa, &sl) != 0) {
		util_err(err, errlen, "the DNS relay: %s:%d: %s", addr, port, strerror(errno));
		goto fail;
	}
	if (log_open(&r->log, log_path, "the DNS relay", err, errlen) != 0)
		goto fail;
	if (pthread_create(&r->thread, NULL, relay_loop, r) != 0) {
		util_err(err, errlen, "the DNS relay: cannot start its thread");
		goto fail;
	}
	r->started = 1;
	if (bound != NULL)
		*bound = ntohs(sa.sin_port);
	*out = r;
	return 0;
fail:
	labnet_relay_stop(r, NULL, 0);
	return -1;
}

/* see labnet.h */
long
labnet_relay_stop(labnet_relay *r, char *err, size_t errlen)
{
	long n;

	if (r == NULL)
		return 0;
	atomic_store(&r->stop, 1);
	if (r->started)
		pthread_join(r->thread, NULL);
	if (r->fd >= 0)
		close(r->fd);
	n = log_close(&r->log, "the DNS relay", err, errlen);
	free(r);
	return n;
}
