/*
 * Live capture into a pcap file, for targets whose traffic the harness can
 * see on a host interface (the native target on loopback).
 *
 * The capture runs in its own thread: a non-blocking pcap handle in
 * immediate mode, polled together with an eventfd that cap_live_stop()
 * writes, so a stop is seen at once rather than at the next tick of a poll
 * timeout (a fixed 100 ms poll cost every phase about that much on its
 * way out). On stop the thread drains what the kernel
 * already holds before it returns, so every packet that reached the
 * interface before cap_live_stop() was called is written: on loopback the
 * kernel hands a packet to packet sockets while the sender is still in
 * send(), so "sent before stop" means "in the ring before stop".
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "capture/capture.h"

#define LIVE_SNAPLEN 262144
/* The kernel's ring: one frame per packet, each as large as the interface's
 * largest packet (64 KiB on loopback), so 16 MiB holds some 250 packets that
 * the capture thread has not read yet: the whole of a 4 MiB image (a slot's
 * size) sent at once in full-size segments, and the peer's acknowledgements.
 * The ring is made and its pages first touched when a case opens its
 * capture, which at 32 MiB cost some 25 ms per case. */
#define LIVE_BUFFER (16 << 20)
/* The packet buffer timeout, and the poll period when libpcap offers no
 * selectable descriptor (then a stop is seen within this time). */
#define LIVE_POLL_MS 100
/* A backstop only: packets and the stop request both wake the poll. */
#define LIVE_IDLE_MS 1000

struct cap_live {
	pcap_t *pc;
	pcap_dumper_t *dump;
	pthread_t thread;
	int thread_started;
	int wake;			/* eventfd: written once to stop the thread */
	atomic_int stop;
	uint64_t packets;
	unsigned drops0;		/* the handle's drop count when the file began */
	char *iface;
	int failed;			/* the loop hit a pcap error */
	char why[PCAP_ERRBUF_SIZE];
};

static void
on_packet(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *bytes)
{
	cap_live *l = (cap_live *)user;

	pcap_dump((unsigned char *)l->dump, h, bytes);
	l->packets++;
}

static void *
live_loop(void *arg)
{
	cap_live *l = arg;
	struct pollfd pfd[2];
	int rc, timeout;

	pfd[0].fd = pcap_get_selectable_fd(l->pc);
	pfd[0].events = POLLIN;
	pfd[1].fd = l->wake;
	pfd[1].events = POLLIN;
	/* Without a selectable descriptor, poll the wake-up alone with a
	 * short timeout and read whatever the handle holds each time. */
	timeout = pfd[0].fd >= 0 ? LIVE_IDLE_MS : LIVE_POLL_MS;
	while (!atomic_load(&l->stop)) {
		rc = pfd[0].fd >= 0 ? poll(pfd, 2, timeout) : poll(pfd + 1, 1, timeout);
		if (rc < 0 && errno != EINTR)
			break;
		if (pfd[1].revents != 0)
			break;
		rc = pcap_dispatch(l->pc, -1, on_packet, (unsigned char *)l);
		if (rc == PCAP_ERROR) {
			l->failed = 1;
			snprintf(l->why, sizeof l->why, "%s", pcap_geterr(l->pc));
			return NULL;
		}
	}
	/* Drain: whatever the kernel holds arrived before the stop. */
	do {
		rc = pcap_dispatch(l->pc, -1, on_packet, (unsigned char *)l);
	} while (rc > 0);
	if (rc == PCAP_ERROR) {
		l->failed = 1;
		snprintf(l->why, sizeof l->why, "%s", pcap_geterr(l->pc));
	}
	return NULL;
}

static void
live_free(cap_live *l)
{
	if (l == NULL)
		return;
	if (l->dump != NULL)
		pcap_dump_close(l->dump);
	if (l->pc != NULL)
		pcap_close(l->pc);
	if (l->wake >= 0)
		close(l->wake);
	free(l->iface);
	free(l);
}

static void
discard(unsigned char *user, const struct pcap_pkthdr *h, const unsigned char *bytes)
{
	(void)user;
	(void)h;
	(void)bytes;
}

/* Between two files the handle lets nothing in, and what the ring holds is
 * thrown away: nothing of one phase (a late packet of a connection that ended
 * with it) can land in the next one's file, even when the kernel gives the
 * next phase's server the same port. 0, or -1 with err. */
static int
live_idle(cap_live *l, char *err, size_t errlen)
{
	struct bpf_insn none = BPF_STMT(BPF_RET | BPF_K, 0);
	struct bpf_program prog = { 1, &none };
	int rc;

	if (pcap_setfilter(l->pc, &prog) != 0)
		return util_err(err, errlen, "live capture: %s", pcap_geterr(l->pc));
	do
		rc = pcap_dispatch(l->pc, -1, discard, NULL);
	while (rc > 0);
	if (rc == PCAP_ERROR)
		return util_err(err, errlen, "live capture: %s", pcap_geterr(l->pc));
	return 0;
}

/* see capture.h */
int
cap_live_open(const char *iface, cap_live **out, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE];
	cap_live *l;
	int rc;

	*out = NULL;
	perr[0] = 0;
	l = xcalloc(1, sizeof *l);
	atomic_init(&l->stop, 0);
	l->iface = xstrdup(iface);
	l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (l->wake < 0) {
		util_err(err, errlen, "live capture: eventfd: %s", strerror(errno));
		goto fail;
	}
	l->pc = pcap_create(iface, perr);
	if (l->pc == NULL) {
		util_err(err, errlen, "live capture on %s: %s", iface, perr);
		goto fail;
	}
	pcap_set_snaplen(l->pc, LIVE_SNAPLEN);
	pcap_set_promisc(l->pc, 0);
	pcap_set_immediate_mode(l->pc, 1);
	pcap_set_buffer_size(l->pc, LIVE_BUFFER);
	pcap_set_timeout(l->pc, LIVE_POLL_MS);
	rc = pcap_activate(l->pc);
	if (rc == PCAP_ERROR_PERM_DENIED) {
		util_err(err, errlen, "live capture on %s needs root or CAP_NET_RAW: %s",
			iface, pcap_geterr(l->pc));
		goto fail;
	}
	if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
		util_err(err, errlen, "live capture: no interface \"%s\"", iface);
		goto fail;
	}
	if (rc < 0) {
		util_err(err, errlen, "live capture on %s: %s", iface,
			rc == PCAP_ERROR ? pcap_geterr(l->pc) : pcap_statustostr(rc));
		goto fail;
	}
	if (pcap_setnonblock(l->pc, 1, perr) != 0) {
		util_err(err, errlen, "live capture on %s: %s", iface, perr);
		goto fail;
	}
	/* The programs a case starts (its servers, its device) do not hold
	 * the capture: it is the case's. */
	if (pcap_get_selectable_fd(l->pc) >= 0)
		(void)fcntl(pcap_get_selectable_fd(l->pc), F_SETFD, FD_CLOEXEC);
	if (live_idle(l, err, errlen) != 0)
		goto fail;
	*out = l;
	return 0;
fail:
	live_free(l);
	return -1;
}

/* see capture.h */
const char *
cap_live_iface(const cap_live *l)
{
	return l != NULL ? l->iface : NULL;
}

/* see capture.h */
int
cap_live_begin(cap_live *l, const char *bpf_filter, const char *pcap_out, char *err,
	size_t errlen)
{
	struct bpf_program prog;
	struct pcap_stat st;
	uint64_t drain;
	int rc;

	if (l->thread_started || l->dump != NULL)
		return util_err(err, errlen, "live capture: a capture is already running");
	/* A filter for everything when none is asked for: the handle may
	 * carry the filter of an earlier file. Setting it also sets aside what
	 * the ring holds that the new filter does not let in. */
	if (pcap_compile(l->pc, &prog, bpf_filter != NULL ? bpf_filter : "", 1,
		PCAP_NETMASK_UNKNOWN) != 0)
		return util_err(err, errlen, "capture filter \"%s\": %s",
			bpf_filter != NULL ? bpf_filter : "", pcap_geterr(l->pc));
	rc = pcap_setfilter(l->pc, &prog);
	pcap_freecode(&prog);
	if (rc != 0)
		return util_err(err, errlen, "capture filter \"%s\": %s",
			bpf_filter != NULL ? bpf_filter : "", pcap_geterr(l->pc));
	/* The wake-up of an earlier file's stop, if any, is spent. */
	if (read(l->wake, &drain, sizeof drain) < 0 && errno != EAGAIN)
		return util_err(err, errlen, "live capture: eventfd: %s", strerror(errno));
	/* Drops are counted from here: the handle's counts run on. */
	l->drops0 = pcap_stats(l->pc, &st) == 0 ? st.ps_drop : 0;
	l->packets = 0;
	l->failed = 0;
	l->why[0] = 0;
	atomic_store(&l->stop, 0);
	/* A new file, never through a link planted in the results folder. */
	FILE *pf = util_fopen_evidence(pcap_out, UTIL_EV_NEW, err, errlen);
	if (pf == NULL)
		return -1;
	l->dump = pcap_dump_fopen(l->pc, pf);
	if (l->dump == NULL) {
		util_err(err, errlen, "%s: %s", pcap_out, pcap_geterr(l->pc));
		fclose(pf);
		return -1;
	}
	/* The header is on disk at once, so a reader never sees an empty file. */
	pcap_dump_flush(l->dump);
	rc = pthread_create(&l->thread, NULL, live_loop, l);
	if (rc != 0) {
		util_err(err, errlen, "live capture: cannot start a thread: %s", strerror(rc));
		pcap_dump_close(l->dump);
		l->dump = NULL;
		return -1;
	}
	l->thread_started = 1;
	return 0;
}

/* see capture.h */
int
cap_live_end(cap_live *l, uint64_t *packets, char *err, size_t errlen)
{
	struct pcap_stat st;
	char ebuf[PCAP_ERRBUF_SIZE + 32];
	int ret = 0;

	if (packets != NULL)
		*packets = 0;
	if (l == NULL || l->dump == NULL)
		return 0;
	atomic_store(&l->stop, 1);
	if (l->thread_started) {
		uint64_t one = 1;
		/* One write to an eventfd read empty cannot fail; were it to,
		 * the thread still sees the flag within LIVE_IDLE_MS. */
		ssize_t w = write(l->wake, &one, sizeof one);
		(void)w;
		pthread_join(l->thread, NULL);
		l->thread_started = 0;
	}
	if (packets != NULL)
		*packets = l->packets;
	if (l->failed) {
		ret = util_err(err, errlen, "live capture: %s", l->why);
	} else if (pcap_stats(l->pc, &st) == 0 && st.ps_drop > l->drops0) {
		ret = util_err(err, errlen, "live capture: the kernel dropped %u packets "
			"(the capture is incomplete)", st.ps_drop - l->drops0);
	}
	if (pcap_dump_flush(l->dump) != 0 && ret == 0)
		ret = util_err(err, errlen, "live capture: cannot write the capture file");
	pcap_dump_close(l->dump);
	l->dump = NULL;
	if (live_idle(l, ebuf, sizeof ebuf) != 0 && ret == 0)
		ret = util_err(err, errlen, "%s", ebuf);
	return ret;
}

/* see capture.h */
void
cap_live_close(cap_live *l)
{
	uint64_t pk;
	char err[64];

	if (l == NULL)
		return;
	(void)cap_live_end(l, &pk, err, sizeof err);
	live_free(l);
}

/* see capture.h */
int
cap_live_start(const char *iface, const char *bpf_filter, const char *pcap_out,
	cap_live **out, char *err, size_t errlen)
{
	cap_live *l;

	*out = NULL;
	if (cap_live_open(iface, &l, err, errlen) != 0)
		return -1;
	if (cap_live_begin(l, bpf_filter, pcap_out, err, errlen) != 0) {
		live_free(l);
		return -1;
	}
	*out = l;
	return 0;
}

/* see capture.h */
int
cap_live_stop(cap_live *l, uint64_t *packets, char *err, size_t errlen)
{
	int ret;

	if (packets != NULL)
		*packets = 0;
	if (l == NULL)
		return 0;
	ret = cap_live_end(l, packets, err, errlen);
	live_free(l);
	return ret;
}
