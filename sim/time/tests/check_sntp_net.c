/*
 * Unit tests of the SNTP responder and client (sim/time/sntp.c) over the
 * network, and a check that a real SNTP client that no one here wrote,
 * ntpdig from ntpsec, reads our simulated date.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "common/util.h"
#include "time/simclock.h"
#include "time/simtime.h"
#include "time/sntp.h"
#include "time/tests/sntp_test.h"

/* ---- The simulated clock ---- */

/* A valid reply to a request with transmit 0x1111..., to be damaged. */
static void
good_reply(unsigned char rep[SNTP_PACKET_LEN])
{
	sntp_packet q;
	unsigned char req[SNTP_PACKET_LEN];

	sntp_build_request(req, 0x1111111122222222ULL);
	ck_assert_int_eq(sntp_parse_request(&q, req, sizeof req), SNTP_OK);
	sntp_build_reply(rep, &q, 0xea2c700080000000ULL, 0xea2c700080000100ULL);
}


typedef struct {
	sntp_event ev[16];
	int n;
} events;

static void
record(void *ctx, const sntp_event *ev)
{
	events *e = ctx;

	if (e->n < 16)
		e->ev[e->n] = *ev;
	e->n++;
}

/* A UDP socket on 127.0.0.1 connected to port; *local gets its own port. */
static int
client_socket(uint16_t port, uint16_t *local)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	if (local != NULL)
		*local = ntohs(sa.sin_port);
	return fd;
}

static int
wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms);
}

START_TEST(test_server_answers)
{
	simclock clk;
	sntp_server s;
	events e = { .n = 0 };
	char err[256], peer[64];
	unsigned char req[SNTP_PACKET_LEN], rep[512];
	uint16_t local;
	uint64_t cx;
	sntp_packet r;
	ssize_t n;
	int fd;
	simclock_time got;

	simclock_set(&clk, JULY_2024);
	ck_assert_msg(sntp_server_open(&s, NULL, &clk, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_ne(sntp_server_port(&s), 0);
	ck_assert_int_ge(sntp_server_fd(&s), 0);
	/* Nothing pending: 0, not blocking. */
	ck_assert_int_eq(sntp_server_handle(&s, record, &e, err, sizeof err), 0);

	fd = client_socket(sntp_server_port(&s), &local);
	ck_assert_int_eq(sntp_ts_from_unix(at(date("2026-11-27"), 0), &cx), SNTP_OK);
	sntp_build_request(req, cx);
	ck_assert_int_eq(send(fd, req, sizeof req, 0), (ssize_t)sizeof req);
	ck_assert_int_eq(wait_readable(sntp_server_fd(&s), 2000), 1);
	ck_assert_int_eq(sntp_server_handle(&s, record, &e, err, sizeof err), 1);
	ck_assert_int_eq(e.n, 1);
	snprintf(peer, sizeof peer, "127.0.0.1:%u", local);
	ck_assert_str_eq(e.ev[0].peer, peer);
	ck_assert_int_eq(e.ev[0].status, SNTP_OK);
	ck_assert_uint_eq(e.ev[0].len, 48);
	ck_assert_uint_eq(e.ev[0].version, 4);
	ck_assert_uint_eq(e.ev[0].client_xmit, cx);
	ck_assert_int_eq(e.ev[0].client_time.sec, date("2026-11-27"));
	ck_assert_int_ge(e.ev[0].sim_time.sec, JULY_2024);
	ck_assert_int_le(e.ev[0].sim_time.sec, JULY_2024 + 2);

	ck_assert_int_eq(wait_readable(fd, 2000), 1);
	n = recv(fd, rep, sizeof rep, 0);
	ck_assert_int_eq(n, SNTP_PACKET_LEN);
	ck_assert_int_eq(sntp_parse_reply(&r, rep, (size_t)n, cx), SNTP_OK);
	got = sntp_ts_to_unix(r.xmit_ts);
	ck_assert_int_eq(got.sec, e.ev[0].sim_time.sec);
	ck_assert_uint_eq(got.nsec, e.ev[0].sim_time.nsec);

	/* The clock is borrowed: stepping it changes the next answer. */
	simclock_step(&clk, 26 * 365 * 86400LL);	/* into era 1, 2050 */
	sntp_build_request(req, cx + 1);
	ck_assert_int_eq(send(fd, req, sizeof req, 0), (ssize_t)sizeof req);
	ck_assert_int_eq(wait_readable(sntp_server_fd(&s), 2000), 1);
	ck_assert_int_eq(sntp_server_handle(&s, record, &e, err, sizeof err), 1);
	ck_assert_int_eq(wait_readable(fd, 2000), 1);
	n = recv(fd, rep, sizeof rep, 0);
	ck_assert_int_eq(sntp_parse_reply(&r, rep, (size_t)n, cx + 1), SNTP_OK);
	ck_assert_int_ge(sntp_ts_to_unix(r.xmit_ts).sec, JULY_2024 + 26 * 365 * 86400LL);
	ck_assert_int_le(sntp_ts_to_unix(r.xmit_ts).sec, JULY_2024 + 26 * 365 * 86400LL + 2);
	ck_assert_uint_eq(s.answered, 2);

	close(fd);
	sntp_server_close(&s);
	ck_assert_int_eq(sntp_server_fd(&s), -1);
	sntp_server_close(&s);
	sntp_server_close(NULL);
	ck_assert_int_eq(sntp_server_handle(&s, record, &e, err, sizeof err), -1);
}
END_TEST

START_TEST(test_server_ignores_garbage)
{
	simclock clk;
	sntp_server s;
	events e = { .n = 0 };
	char err[256];
	unsigned char b[600], rep[64];
	int fd, i;
	ssize_t n;
	static const int want[] = { SNTP_ERR_SHORT, SNTP_ERR_SHORT, SNTP_ERR_MODE,
		SNTP_ERR_VERSION, SNTP_ERR_NO_XMIT, SNTP_OK };

	simclock_set(&clk, JULY_2024);
	ck_assert_msg(sntp_server_open(&s, "127.0.0.1:0", &clk, err, sizeof err) == 0,
		"%s", err);
	fd = client_socket(sntp_server_port(&s), NULL);
	memset(b, 0, sizeof b);
	ck_assert_int_eq(send(fd, b, 0, 0), 0);			/* empty datagram */
	sntp_build_request(b, 99);
	ck_assert_int_eq(send(fd, b, 47, 0), 47);		/* one byte short */
	b[0] = 0x26;
	ck_assert_int_eq(send(fd, b, 48, 0), 48);		/* ntpq control */
	b[0] = 0x03;
	ck_assert_int_eq(send(fd, b, 48, 0), 48);		/* version 0 */
	sntp_build_request(b, 0);
	ck_assert_int_eq(send(fd, b, 48, 0), 48);		/* no transmit time */
	sntp_build_request(b, 99);
	ck_assert_int_eq(send(fd, b, 600, 0), 600);		/* with extensions: fine */

	/* Loopback delivers all six at once; collect them. */
	for (i = 0; i < 20 && e.n < 6; i++) {
		ck_assert_int_eq(wait_readable(sntp_server_fd(&s), 2000), 1);
		ck_assert_int_ge(sntp_server_handle(&s, record, &e, err, sizeof err), 1);
	}
	ck_assert_int_eq(e.n, 6);
	for (i = 0; i < 6; i++)
		ck_assert_msg(e.ev[i].status == want[i], "datagram %d: %s, want %s", i,
			sntp_status_name(e.ev[i].status), sntp_status_name(want[i]));
	ck_assert_uint_eq(e.ev[5].len, 600);
	ck_assert_uint_eq(s.answered, 1);
	ck_assert_uint_eq(s.ignored, 5);
	/* Exactly one reply, to the last. */
	ck_assert_int_eq(wait_readable(fd, 2000), 1);
	n = recv(fd, rep, sizeof rep, 0);
	ck_assert_int_eq(n, 48);
	ck_assert_int_eq(wait_readable(fd, 300), 0);
	{
		sntp_packet r;
		ck_assert_int_eq(sntp_parse_reply(&r, rep, 48, 99), SNTP_OK);
	}
	close(fd);
	sntp_server_close(&s);
}
END_TEST

START_TEST(test_server_out_of_range)
{
	/* A simulated date the wire cannot carry is not wrapped: no answer. */
	simclock clk;
	sntp_server s;
	events e = { .n = 0 };
	char err[256];
	unsigned char b[48];
	int fd;

	simclock_set(&clk, date("2110-01-01"));
	ck_assert_msg(sntp_server_open(&s, "0", &clk, err, sizeof err) == 0, "%s", err);
	fd = client_socket(sntp_server_port(&s), NULL);
	sntp_build_request(b, 7);
	ck_assert_int_eq(send(fd, b, 48, 0), 48);
	ck_assert_int_eq(wait_readable(sntp_server_fd(&s), 2000), 1);
	ck_assert_int_eq(sntp_server_handle(&s, record, &e, err, sizeof err), 1);
	ck_assert_int_eq(e.ev[0].status, SNTP_ERR_RANGE);
	ck_assert_int_eq(wait_readable(fd, 300), 0);
	close(fd);
	sntp_server_close(&s);
}
END_TEST

START_TEST(test_server_open_errors)
{
	simclock clk;
	sntp_server s, t;
	char err[256], addr[64];

	simclock_set(&clk, JULY_2024);
	static const char *bad[] = { "127.0.0.1:70000", "127.0.0.1:", "127.0.0.1:x",
		"localhost:123", "[::1", "[::1]x", "999.1.1.1:5", "127.0.0.1:123456" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		ck_assert_msg(sntp_server_open(&s, bad[i], &clk, err, sizeof err) == -1,
			"accepted \"%s\"", bad[i]);
		ck_assert_int_eq(sntp_server_fd(&s), -1);
		ck_assert_msg(err[0] != '\0', "no message for \"%s\"", bad[i]);
		sntp_server_close(&s);
	}
	/* The port is taken. */
	ck_assert_int_eq(sntp_server_open(&s, "127.0.0.1:0", &clk, err, sizeof err), 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", sntp_server_port(&s));
	ck_assert_int_eq(sntp_server_open(&t, addr, &clk, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "in use"));
	ck_assert_ptr_nonnull(strstr(err, addr));
	sntp_server_close(&t);
	sntp_server_close(&s);
}
END_TEST

/* ---- The client against the responder in a child process ---- */

/* Serve in a child until killed; returns its pid. */
static pid_t
serve_in_child(sntp_server *s)
{
	pid_t pid = fork();
	char err[256];

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			if (wait_readable(sntp_server_fd(s), 1000) > 0
					&& sntp_server_handle(s, NULL, NULL, err, sizeof err) < 0)
				_exit(3);
		}
	}
	return pid;
}

static void
stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

START_TEST(test_query_loopback)
{
	simclock clk;
	sntp_server s;
	char err[256], addr[64];
	int64_t t = 0;
	pid_t pid;

	simclock_set(&clk, JULY_2024);
	ck_assert_int_eq(sntp_server_open(&s, "127.0.0.1:0", &clk, err, sizeof err), 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", sntp_server_port(&s));
	pid = serve_in_child(&s);
	ck_assert_msg(sntp_query(addr, 3000, &t, err, sizeof err) == 0, "%s", err);
	ck_assert_int_ge(t, JULY_2024);
	ck_assert_int_le(t, JULY_2024 + 2);
	/* The host name form and a second query on the same responder. */
	snprintf(addr, sizeof addr, "localhost:%u", sntp_server_port(&s));
	ck_assert_msg(sntp_query(addr, 3000, &t, err, sizeof err) == 0, "%s", err);
	ck_assert_int_ge(t, JULY_2024);
	ck_assert_int_le(t, JULY_2024 + 2);
	stop_child(pid);
	sntp_server_close(&s);

	/* A responder past the era boundary. */
	simclock_set(&clk, date("2100-01-01"));
	ck_assert_int_eq(sntp_server_open(&s, "127.0.0.1:0", &clk, err, sizeof err), 0);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", sntp_server_port(&s));
	pid = serve_in_child(&s);
	ck_assert_msg(sntp_query(addr, 3000, &t, err, sizeof err) == 0, "%s", err);
	ck_assert_int_ge(t, date("2100-01-01"));
	ck_assert_int_le(t, date("2100-01-01") + 2);
	stop_child(pid);
	sntp_server_close(&s);
}
END_TEST

START_TEST(test_query_failures)
{
	char err[256], addr[64];
	int64_t t = 0;
	uint16_t port;
	int fd;
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	int64_t start;

	/* A bound socket that never answers: a timeout, on time. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", port);
	start = simclock_mono_ns();
	ck_assert_int_eq(sntp_query(addr, 300, &t, err, sizeof err), -1);
	ck_assert_int_ge(simclock_mono_ns() - start, 290 * 1000000LL);
	ck_assert_int_lt(simclock_mono_ns() - start, 2000 * 1000000LL);
	ck_assert_msg(strstr(err, "no reply within 300 ms") != NULL, "%s", err);

	/* A wrong reply (bad origin) is ignored, and said so on timeout. */
	{
		unsigned char b[512], rep[48];
		struct sockaddr_in peer;
		socklen_t pl = sizeof peer;
		pid_t pid;

		/* Drop the request of the timed-out query above. */
		while (recv(fd, b, sizeof b, MSG_DONTWAIT) >= 0)
			;
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (recvfrom(fd, b, sizeof b, 0, (struct sockaddr *)&peer, &pl) < 48)
				_exit(1);
			good_reply(rep);	/* answers some other request */
			sendto(fd, rep, 48, 0, (struct sockaddr *)&peer, pl);
			_exit(0);
		}
		ck_assert_int_eq(sntp_query(addr, 500, &t, err, sizeof err), -1);
		ck_assert_msg(strstr(err, "last one ignored: originate") != NULL, "%s", err);
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	close(fd);

	/* Nothing listens: refused at once, not a timeout. */
	start = simclock_mono_ns();
	ck_assert_int_eq(sntp_query(addr, 5000, &t, err, sizeof err), -1);
	ck_assert_int_lt(simclock_mono_ns() - start, 2000 * 1000000LL);
	ck_assert_msg(strstr(err, "refused") != NULL, "%s", err);

	ck_assert_int_eq(sntp_query("", 100, &t, err, sizeof err), -1);
	ck_assert_int_eq(sntp_query("127.0.0.1:99999", 100, &t, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "99999"));
	ck_assert_int_eq(sntp_query("[::1", 100, &t, err, sizeof err), -1);
}
END_TEST

/* ---- A real client: ntpdig (ntpsec) ---- */

/*
 * ntpdig always asks port 123, which only root may bind. So the responder and
 * ntpdig run together in a network namespace of their own (in a user
 * namespace too when not root): port 123 there is ours alone, whatever runs
 * beside the test, and nothing outside the namespace is touched.
 */
#define REAL_CLIENT "ntpdig"
#define SKIP_STATUS 77

static int
enter_netns(void)
{
	struct ifreq ifr;
	int fd;

	if (geteuid() == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			return -1;
	} else {
		char map[64];
		uid_t uid = geteuid();
		gid_t gid = getegid();
		int f;

		if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			return -1;
		if ((f = open("/proc/self/setgroups", O_WRONLY)) >= 0) {
			if (write(f, "deny", 4) < 0) { /* older kernels lack it */ }
			close(f);
		}
		snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
		if ((f = open("/proc/self/uid_map", O_WRONLY)) < 0
				|| write(f, map, strlen(map)) < 0)
			return -1;
		close(f);
		snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
		if ((f = open("/proc/self/gid_map", O_WRONLY)) < 0
				|| write(f, map, strlen(map)) < 0)
			return -1;
		close(f);
	}
	/* The new namespace's loopback starts down. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return close(fd), -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		return close(fd), -1;
	close(fd);
	return 0;
}

/*
 * In a child: enter the namespace, serve the simulated date on 127.0.0.1:123,
 * run ntpdig -j against it and write to out "sim SECONDS" for each answer we
 * sent, then ntpdig's output. Exits 0, SKIP_STATUS without namespaces, or 1
 * with a reason on out.
 */
static void
real_client_child(int out, int64_t sim_date)
{
	simclock clk;
	sntp_server s;
	char err[256];
	int pfd[2], status = 0;
	pid_t pid;
	int64_t deadline;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	dup2(out, 2);
	if (enter_netns() < 0) {
		dprintf(out, "no network namespace: %s\n", strerror(errno));
		_exit(SKIP_STATUS);
	}
	simclock_set(&clk, sim_date);
	if (sntp_server_open(&s, "127.0.0.1:123", &clk, err, sizeof err) < 0) {
		dprintf(out, "%s\n", err);
		_exit(1);
	}
	if (pipe(pfd) < 0)
		_exit(1);
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		execlp(REAL_CLIENT, REAL_CLIENT, "-j", "-t", "3", "127.0.0.1", (char *)NULL);
		dprintf(1, "exec %s: %s\n", REAL_CLIENT, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	deadline = simclock_mono_ns() + 15 * NS;
	for (;;) {
		events e = { .n = 0 };
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (simclock_mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			dprintf(out, "%s did not finish in 15 s\n", REAL_CLIENT);
			_exit(1);
		}
		if (wait_readable(sntp_server_fd(&s), 50) > 0) {
			if (sntp_server_handle(&s, record, &e, err, sizeof err) < 0) {
				dprintf(out, "%s\n", err);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				_exit(1);
			}
			for (int i = 0; i < e.n && i < 16; i++)
				dprintf(out, "sim %lld %s\n", (long long)e.ev[i].sim_time.sec,
					sntp_status_name(e.ev[i].status));
		}
	}
	{
		char buf[4096];
		ssize_t n;
		while ((n = read(pfd[0], buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) < 0)
				break;
	}
	sntp_server_close(&s);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		dprintf(out, "%s exited with status %d\n", REAL_CLIENT, status);
		_exit(1);
	}
	_exit(0);
}

/* Run the child for a date; returns its exit status, output in buf. */
static int
run_real_client(int64_t sim_date, char *buf, size_t buflen)
{
	int pfd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		real_client_child(pfd[1], sim_date);
	}
	close(pfd[1]);
	while (len + 1 < buflen && (n = read(pfd[0], buf + len, buflen - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died: status %d\n%s", status, buf);
	return WEXITSTATUS(status);
}

/* The seconds ntpdig printed ("time":"2024-07-01T00:00:00.365266+0000"). */
static int64_t
real_client_time(const char *out)
{
	const char *p = strstr(out, "\"time\":\"");
	char d[20];

	ck_assert_msg(p != NULL, "no \"time\" in the output of " REAL_CLIENT ":\n%s", out);
	p += 8;
	ck_assert_msg(strlen(p) >= 19, "%s", out);
	memcpy(d, p, 19);
	d[19] = '\0';
	return date(d);
}

/* The simulated second of the one answer we sent. */
static int64_t
answer_time(const char *out)
{
	const char *p = strstr(out, "sim ");
	long long v;

	ck_assert_msg(p != NULL && sscanf(p, "sim %lld ok", &v) == 1,
		"the responder sent no answer:\n%s", out);
	ck_assert_msg(strstr(p + 4, "sim ") == NULL, "more than one request:\n%s", out);
	return v;
}

START_TEST(test_real_client)
{
	char out[8192];
	int rc;
	int64_t sim, seen, t2050 = date("2050-01-01T12:00:00Z");

	if (system("command -v " REAL_CLIENT " >/dev/null") != 0)
		ck_abort_msg(REAL_CLIENT " not found: install ntpsec-ntpdig (make deps)");
	rc = run_real_client(JULY_2024, out, sizeof out);
	if (rc == SKIP_STATUS) {
		fprintf(stderr, "SKIP test_real_client: %s", out);
		return;
	}
	ck_assert_msg(rc == 0, "%s", out);
	/* ntpdig reads the simulated date, not the host's. */
	sim = answer_time(out);
	seen = real_client_time(out);
	ck_assert_msg(sim >= JULY_2024 && sim <= JULY_2024 + 5, "%s", out);
	ck_assert_msg(seen >= sim - 2 && seen <= sim + 2, "%s", out);
	ck_assert_msg(strstr(out, "\"stratum\":1") != NULL, "%s", out);

	/*
	 * Past 2036, ntpsec 1.2.2's ntpdig does not apply the era rule and reads
	 * era 0 (2050 shows as 1913). What it can tell us is that our 32 bits of
	 * seconds are right: its reading is ours modulo 2^32, to a second or two.
	 */
	rc = run_real_client(t2050, out, sizeof out);
	ck_assert_msg(rc == 0, "%s", out);
	sim = answer_time(out);
	seen = real_client_time(out);
	ck_assert_msg(sim >= t2050 && sim <= t2050 + 5, "%s", out);
	int64_t d = (sim - seen) % (1LL << 32);
	if (d > (1LL << 31))
		d -= 1LL << 32;
	ck_assert_msg(d >= -2 && d <= 2, "%s", out);
}
END_TEST

static Suite *
sntp_suite(void)
{
	Suite *s = suite_create("sntp-net");
	TCase *tc = tcase_create("net");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_server_answers);
	tcase_add_test(tc, test_server_ignores_garbage);
	tcase_add_test(tc, test_server_out_of_range);
	tcase_add_test(tc, test_server_open_errors);
	tcase_add_test(tc, test_query_loopback);
	tcase_add_test(tc, test_query_failures);
	tcase_add_test(tc, test_real_client);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(sntp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
