/*
 * The lab network of one case. See labnet.h.
 *
 * The network is built with iproute2 and nftables commands run as children
 * (through run/proc.h, with deadlines): they are the tools every Linux lab
 * already has and knows how to read, and each step is one line in the
 * case's evidence (labnet.log) for a person repeating it by hand.
 */
#include "net/labnet.h"
#include "common/json.h"
#include "common/util.h"
#include "time/simtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Routing table and mark of the tproxy rule. */
#define LABNET_TABLE "77"
#define LABNET_MARK "0x77"
#define CMD_TIMEOUT_MS 10000

/* The namespace labnet_unshare() left (labnet_host_ns()). */
static int host_ns = -1;

/* see labnet.h */
int
labnet_unshare(char *err, size_t errlen)
{
	int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return util_err(err, errlen, "lab network: /proc/thread-self/ns/net: %s",
			strerror(errno));
	if (unshare(CLONE_NEWNET) != 0) {
		close(fd);
		return util_err(err, errlen, "the lab network needs root or CAP_NET_ADMIN: "
			"unshare(CLONE_NEWNET): %s", strerror(errno));
	}
	if (host_ns < 0)
		host_ns = fd;
	else
		close(fd);
	return 0;
}

/* see labnet.h */
int
labnet_host_ns(void)
{
	return host_ns;
}

/* see labnet.h */
int
labnet_available(char *why, size_t whylen)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return util_err(why, whylen, "fork: %s", strerror(errno)), 0;
	if (pid == 0)
		_exit(unshare(CLONE_NEWNET) == 0 ? 0 : 1);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		util_err(why, whylen, "the lab network needs root or CAP_NET_ADMIN "
			"(no rights to create a network namespace)");
		return 0;
	}
	return 1;
}

/* Run argv to the end; its output goes to log (appended). */
static int
run(const char *log, char *const argv[], char *err, size_t errlen)
{
	proc p;
	proc_io io;
	char e[256], st[64];
	size_t i;

	memset(&p, 0, sizeof p);
	memset(&io, 0, sizeof io);
	io.stdout_path = log;
	io.stderr_path = log;
	io.append = 1;
	if (log != NULL) {
		FILE *f = util_fopen_evidence(log, UTIL_EV_APPEND, NULL, 0);
		if (f != NULL) {
			fputs("$", f);
			for (i = 0; argv[i] != NULL; i++)
				fprintf(f, " %s", argv[i]);
			fputc('\n', f);
			fclose(f);
		}
	}
	if (proc_spawn(&p, argv[0], argv, &io, e, sizeof e) != 0)
		return util_err(err, errlen, "%s: %s", argv[0], e);
	if (!proc_wait(&p, CMD_TIMEOUT_MS)) {
		proc_stop(&p, 500);
		return util_err(err, errlen, "%s %s: no answer within %d s", argv[0],
			argv[1] ? argv[1] : "", CMD_TIMEOUT_MS / 1000);
	}
	if (!WIFEXITED(p.status) || WEXITSTATUS(p.status) != 0) {
		buf_t b = {0};
		for (i = 0; argv[i] != NULL; i++)
			buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
		util_err(err, errlen, "\"%s\" failed (%s)%s%s", buf_cstr(&b),
			proc_status_text(p.status, st, sizeof st), log ? ", see " : "", log ? log : "");
		buf_free(&b);
		return -1;
	}
	return 0;
}

#define RUN(...) do { \
	char *const av_[] = { __VA_ARGS__, NULL }; \
	if (run(log, av_, err, errlen) != 0) \
		goto out; \
} while (0)

/*
 * Write a value to a /proc/sys file of this namespace. A missing file is not
 * an error when optional (no bridge netfilter in this kernel).
 */
static int
sysctl_set(const char *path, const char *val, int optional, char *err, size_t errlen)
{
	FILE *f = fopen(path, "we");
	int bad;

	if (f == NULL)
		return optional && errno == ENOENT ? 0
			: util_err(err, errlen, "lab network: %s: %s", path, strerror(errno));
	bad = fputs(val, f) < 0;
	bad |= fclose(f) != 0;
	return bad ? util_err(err, errlen, "lab network: cannot write %s", path) : 0;
}

/* The nftables rules: everything arriving on the bridge that is not for a
 * lab service goes to the sink, and nothing is forwarded. */
static char *
nft_rules(const labnet *ln)
{
	return xasprintf(
		"table ip rotsim {\n"
		"\tchain pre {\n"
		"\t\ttype filter hook prerouting priority mangle; policy accept;\n"
		"\t\tiifname != \"%s\" accept\n"
		"\t\tip daddr { 255.255.255.255, 224.0.0.0/4 } accept\n"
		"\t\tudp dport { 67, 68 } accept\n"
		"\t\tip daddr %s tcp dport 443 accept\n"
		"\t\tip daddr %s udp dport { 53, 123 } accept\n"
		"\t\tip daddr %s tcp dport 53 accept\n"
		"\t\tmeta l4proto tcp tproxy to :%d meta mark set %s accept\n"
		"\t\tmeta l4proto udp tproxy to :%d meta mark set %s accept\n"
		"\t}\n"
		"\tchain forward_none {\n"
		"\t\ttype filter hook forward priority filter; policy drop;\n"
		"\t}\n"
		"}\n",
		ln->bridge, ln->addr, ln->addr, ln->addr, LABNET_SINK_PORT, LABNET_MARK,
		LABNET_SINK_PORT, LABNET_MARK);
}

/* A line of our own in labnet.log. */
static void
log_note(const char *log, const char *text)
{
	FILE *f = util_fopen_evidence(log, UTIL_EV_APPEND, NULL, 0);

	if (f == NULL)
		return;
	fprintf(f, "# %s\n", text);
	fclose(f);
}

/* Move the calling thread into namespace fd; returns a descriptor of the one
 * it was in, for ns_back(), or -1 with err. */
static int
ns_enter(int fd, char *err, size_t errlen)
{
	int back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);

	if (back < 0)
		return util_err(err, errlen, "lab network: /proc/thread-self/ns/net: %s",
			strerror(errno));
	if (setns(fd, CLONE_NEWNET) != 0) {
		util_err(err, errlen, "lab network: setns: %s", strerror(errno));
		close(back);
		return -1;
	}
	return back;
}

static void
ns_back(int back)
{
	if (back < 0)
		return;
	/* Going back where we came from cannot fail for want of rights. */
	if (setns(back, CLONE_NEWNET) != 0)
		abort();
	close(back);
}

/*
 * The guard of a spliced interface ($1, the veth's host end $2): it reads
 * lines until "stop" or the end of the socket (the case died), then removes
 * what the case set up on the host: the ingress qdisc with its redirect
 * ("qdisc" said it was added), the veth pair, and the interface's up state
 * ("down": it was down before).
 */
static const char guard_script[] =
	"q= d= x=; while read -r x; do case $x in qdisc) q=1 ;; down) d=1 ;; stop) break ;; "
	"esac; done; [ \"$x\" = stop ] || echo \"# the case is gone: the guard gives $1 back\"; "
	"if [ -n \"$q\" ]; then echo \"$ tc qdisc del dev $1 ingress\"; "
	"tc qdisc del dev \"$1\" ingress; fi; "
	"if ip link show dev \"$2\" >/dev/null 2>&1; then echo \"$ ip link del $2\"; "
	"ip link del \"$2\"; fi; "
	"if [ -n \"$d\" ]; then echo \"$ ip link set $1 down\"; ip link set \"$1\" down; fi; "
	"exit 0";

/* Start the guard (the calling thread is in the host's namespace). */
static int
guard_start(labnet *ln, const char *log, char *err, size_t errlen)
{
	int sv[2], out;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		return util_err(err, errlen, "lab network: guard: socketpair: %s", strerror(errno));
	out = open(log, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		int nul = open("/dev/null", O_WRONLY);
		setsid();
		dup2(sv[1], 0);
		dup2(out >= 0 ? out : nul, 1);
		dup2(out >= 0 ? out : nul, 2);
		close_range(3, ~0U, 0);
		execl("/bin/sh", "sh", "-c", guard_script, "rotsim-lab-guard", ln->host_iface,
			ln->host_veth, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	if (out >= 0)
		close(out);
	if (pid < 0) {
		close(sv[0]);
		return util_err(err, errlen, "lab network: guard: fork: %s", strerror(errno));
	}
	ln->guard = pid;
	ln->guard_fd = sv[0];
	return 0;
}

static void
guard_tell(labnet *ln, const char *line)
{
	if (ln->guard > 0)
		(void)send(ln->guard_fd, line, strlen(line), MSG_NOSIGNAL);
}

/* Tell the guard to clean up and wait for it (10 s at most). */
static void
guard_stop(labnet *ln)
{
	long long end = proc_now_ms() + 10000;
	int st;

	if (ln->guard <= 0)
		return;
	guard_tell(ln, "stop\n");
	close(ln->guard_fd);
	ln->guard_fd = -1;
	while (waitpid(ln->guard, &st, WNOHANG) == 0) {
		struct timespec ts = { 0, 20 * 1000000L };
		if (proc_now_ms() > end) {
			kill(ln->guard, SIGKILL);
			waitpid(ln->guard, &st, 0);
			break;
		}
		nanosleep(&ts, NULL);
	}
	ln->guard = 0;
}

/*
 * Splice the board's interface of the host's namespace to the bridge: a veth
 * pair made there, its case end moved here (renamed ln->iface), and tc
 * ingress redirects both ways between the board's interface and the host
 * end. The guard starts as soon as the host holds something to give back.
 */
static int
splice_in(labnet *ln, const char *iface, const char *log, char *err, size_t errlen)
{
	char casetmp[16], *casepath = NULL;
	int back = -1, casefd = -1, sock = -1, ret = -1;
	struct ifreq ifr;

	if (host_ns < 0)
		return util_err(err, errlen, "lab network: the board's interface %s: the host's "
			"namespace is unknown (labnet_unshare first)", iface);
	if (iface[0] == 0 || strlen(iface) >= IFNAMSIZ || strpbrk(iface, "/: \t") != NULL)
		return util_err(err, errlen, "lab network: \"%s\" is not an interface name", iface);
	snprintf(ln->host_iface, sizeof ln->host_iface, "%s", iface);
	snprintf(ln->host_veth, sizeof ln->host_veth, "rsb%ldh", (long)getpid());
	snprintf(casetmp, sizeof casetmp, "rsb%ldc", (long)getpid());
	casefd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (casefd < 0) {
		util_err(err, errlen, "lab network: /proc/thread-self/ns/net: %s", strerror(errno));
		goto out;
	}
	casepath = xasprintf("/proc/%ld/fd/%d", (long)getpid(), casefd);
	log_note(log, "in the host's network namespace: the board's interface spliced to the lab");
	if ((back = ns_enter(host_ns, err, errlen)) < 0)
		goto out;
	memset(&ifr, 0, sizeof ifr);
	snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", iface);
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) != 0) {
		util_err(err, errlen, "lab network: the board's interface %s: %s", iface,
			errno == ENODEV ? "no such interface in the host's namespace" : strerror(errno));
		goto out;
	}
	RUN("ip", "link", "add", ln->host_veth, "type", "veth", "peer", "name", casetmp);
	if (guard_start(ln, log, err, errlen) != 0) {
		char *const av[] = { "ip", "link", "del", ln->host_veth, NULL };
		char e2[64];
		run(log, av, e2, sizeof e2);
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP))
		guard_tell(ln, "down\n");
	RUN("ip", "link", "set", casetmp, "netns", casepath);
	{
		/* The host's stack has nothing to say on the lab (router
		 * solicitations in the capture). */
		char *v6 = xasprintf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", ln->host_veth);
		int r = sysctl_set(v6, "1", 1, err, errlen);
		free(v6);
		if (r != 0)
			goto out;
	}
	RUN("ip", "link", "set", ln->host_veth, "up");
	RUN("ip", "link", "set", (char *)iface, "up");
	{
		char *const av[] = { "tc", "qdisc", "add", "dev", (char *)iface, "ingress", NULL };
		char e2[256];
		if (run(log, av, e2, sizeof e2) != 0) {
			util_err(err, errlen, "lab network: %s: no ingress qdisc could be added (%s); if "
				"one is left from a run that died with its guard, \"tc qdisc del dev %s "
				"ingress\" removes it", iface, e2, iface);
			goto out;
		}
	}
	guard_tell(ln, "qdisc\n");
	RUN("tc", "filter", "add", "dev", (char *)iface, "ingress", "protocol", "all", "u32",
		"match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev",
		ln->host_veth);
	RUN("tc", "qdisc", "add", "dev", ln->host_veth, "ingress");
	RUN("tc", "filter", "add", "dev", ln->host_veth, "ingress", "protocol", "all", "u32",
		"match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev",
		(char *)iface);
	ns_back(back);
	back = -1;
	log_note(log, "back in the case's network namespace");
	RUN("ip", "link", "set", casetmp, "name", ln->iface);
	ret = 0;
out:
	ns_back(back);
	if (sock >= 0)
		close(sock);
	if (casefd >= 0)
		close(casefd);
	free(casepath);
	return ret;
}

/* see labnet.h */
int
labnet_open(labnet *ln, const labnet_conf *conf, char *err, size_t errlen)
{
	char *log = NULL, *cidr = NULL, *rules = NULL, *rpath = NULL;
	struct in_addr ia;
	int ret = -1;

	memset(ln, 0, sizeof *ln);
	if (conf->dir == NULL)
		return util_err(err, errlen, "lab network: no evidence directory");
	log = xasprintf("%s/labnet.log", conf->dir);
	rpath = xasprintf("%s/labnet.nft", conf->dir);
	snprintf(ln->bridge, sizeof ln->bridge, "%s", conf->bridge ? conf->bridge : "rsbr0");
	snprintf(ln->iface, sizeof ln->iface, "%s", conf->device_iface ? conf->device_iface
		: conf->host_iface ? "rsboard0" : "rstap0");
	ln->guard_fd = -1;
	snprintf(ln->addr, sizeof ln->addr, "%s", conf->addr ? conf->addr : "10.77.0.1");
	ln->prefix = 24;
	if (inet_pton(AF_INET, ln->addr, &ia) != 1) {
		util_err(err, errlen, "lab network: \"%s\" is not an IPv4 address", ln->addr);
		goto out;
	}
	cidr = xasprintf("%s/%d", ln->addr, ln->prefix);
	RUN("ip", "link", "set", "lo", "up");
	/* Bridge netfilter would run the tproxy rule at the bridge layer, and
	 * the IP layer then drops the socket it assigned: the rules belong to
	 * the IP layer only. Loose reverse-path checks let the sink answer
	 * for any address. */
	if (sysctl_set("/proc/sys/net/bridge/bridge-nf-call-iptables", "0", 1, err, errlen) != 0
		|| sysctl_set("/proc/sys/net/ipv4/conf/all/rp_filter", "0", 0, err, errlen) != 0
		|| sysctl_set("/proc/sys/net/ipv4/conf/default/rp_filter", "0", 0, err, errlen) != 0)
		goto out;
	RUN("ip", "link", "add", ln->bridge, "type", "bridge", "stp_state", "0",
		"forward_delay", "0");
	RUN("ip", "addr", "add", cidr, "dev", ln->bridge);
	RUN("ip", "link", "set", ln->bridge, "up");
	if (conf->create_tap && conf->host_iface == NULL)
		RUN("ip", "tuntap", "add", "dev", ln->iface, "mode", "tap");
	if (conf->host_iface != NULL && splice_in(ln, conf->host_iface, log, err, errlen) != 0)
		goto out;
	RUN("ip", "link", "set", ln->iface, "master", ln->bridge);
	RUN("ip", "link", "set", ln->iface, "up");
	/* tproxy: marked packets are delivered locally, whatever their address. */
	RUN("ip", "rule", "add", "fwmark", LABNET_MARK, "lookup", LABNET_TABLE);
	RUN("ip", "route", "add", "local", "0.0.0.0/0", "dev", "lo", "table", LABNET_TABLE);
	rules = nft_rules(ln);
	if (util_write_atomic(rpath, rules, strlen(rules), 0644, err, errlen) != 0)
		goto out;
	RUN("nft", "-f", rpath);
	ln->open = 1;
	ret = 0;
out:
	if (ret != 0)
		guard_stop(ln);		/* a board's interface back at once */
	free(log);
	free(rpath);
	free(rules);
	free(cidr);
	return ret;
}

/* see labnet.h */
const char *
labnet_server_addr(const labnet *ln)
{
	return ln->addr;
}

/* see labnet.h */
const char *
labnet_capture_path(const labnet *ln)
{
	return ln->capture_path;
}

/* Where dnsmasq answers DNS when the relay of dns-slow is in front of it. */
#define LABNET_DNS_BEHIND_PORT 5353

/* The lab evidence of a phase (lab.json): where the update server is, the
 * name DNS answers for it and with what, and the network's faults. */
static int
write_lab_json(const labnet *ln, const labnet_phase *ph, char *err, size_t errlen)
{
	buf_t b = {0};
	char d[40], *path = xasprintf("%s/lab.json", ph->dir);
	size_t i;
	int r;

	buf_puts(&b, "{\"server_addr\":");
	json_put_str(&b, ln->addr);
	buf_printf(&b, ",\"server_port\":%d,\"host\":", ph->server_port > 0 ? ph->server_port
		: 443);
	json_put_str(&b, ph->names[0] ? ph->names[0] : "");
	buf_puts(&b, ",\"dns_answer\":");
	if (ph->nxdomain)
		buf_puts(&b, "null");
	else
		json_put_str(&b, ph->wrong_address ? ph->wrong_address : ln->addr);
	buf_printf(&b, ",\"dns_delay_s\":%d,\"dhcp_ntp_option\":%s,\"ntp\":\"%s\"",
		ph->dns_slow_s, ph->no_ntp_option ? "false" : "true", ph->ntp_silent ? "silent"
		: ph->kiss[0] ? "kiss" : "answers");
	if (!ph->ntp_silent && ph->kiss[0]) {
		buf_puts(&b, ",\"ntp_kiss\":");
		json_put_str(&b, ph->kiss);
	} else if (!ph->ntp_silent) {
		buf_puts(&b, ",\"ntp_date\":");
		json_put_str(&b, simtime_format(d, sizeof d, ph->ntp_date_set ? ph->ntp_date
			: ph->date));
	}
	buf_puts(&b, ",\"options\":[");
	for (i = 0; i < ph->noptions; i++) {
		if (i)
			buf_putc(&b, ',');
		json_put_str(&b, ph->options[i]);
	}
	buf_puts(&b, "]}\n");
	r = util_write_atomic(path, b.data, b.len, 0644, err, errlen);
	buf_free(&b);
	free(path);
	return r;
}

/* The DHCP pool: addresses 50 to 150 of the lab's /24. */
static void
pool(const labnet *ln, int last, char *out, size_t len)
{
	char net[16];
	char *dot;

	snprintf(net, sizeof net, "%s", ln->addr);
	dot = strrchr(net, '.');
	if (dot != NULL)
		*dot = 0;
	snprintf(out, len, "%s.%d", net, last);
}

static char *
dnsmasq_conf(const labnet *ln, const labnet_phase *ph)
{
	buf_t b = {0};
	char lo[32], hi[32];
	size_t i;

	pool(ln, 50, lo, sizeof lo);
	pool(ln, 150, hi, sizeof hi);
	buf_printf(&b,
		"# The lab network's DHCP and DNS for this phase.\n"
		"interface=%s\n"
		"bind-interfaces\n"
		"except-interface=lo\n"
		"no-resolv\n"
		"no-hosts\n"
		"no-poll\n"
		"no-negcache\n"
		"local=/#/\n"
		"log-queries=extra\n"
		"log-dhcp\n"
		"log-facility=%s/dnsmasq.log\n"
		"dhcp-leasefile=%s/dnsmasq.leases\n"
		"dhcp-authoritative\n"
		"no-ping\n"
		"dhcp-range=%s,%s,255.255.255.0,%d\n"
		"dhcp-option=option:router,%s\n"
		"dhcp-option=option:dns-server,%s\n",
		ln->bridge, ph->dir, ph->dir, lo, hi, ph->lease_s > 0 ? ph->lease_s : 3600,
		ln->addr, ln->addr);
	/* dns-slow: the relay takes port 53 and holds the answers dnsmasq
	 * gives it on the port behind. */
	if (ph->dns_slow_s > 0)
		buf_printf(&b, "port=%d\n", LABNET_DNS_BEHIND_PORT);
	if (!ph->no_ntp_option)
		buf_printf(&b, "dhcp-option=option:ntp-server,%s\n", ln->addr);
	if (!ph->nxdomain)
		for (i = 0; i < LABNET_MAX_NAMES && ph->names[i] != NULL; i++)
			buf_printf(&b, "host-record=%s,%s\n", ph->names[i],
				ph->wrong_address ? ph->wrong_address : ln->addr);
	return buf_cstr(&b);
}

/* see labnet.h */
int
labnet_phase_start(labnet *ln, const labnet_phase *ph, char *err, size_t errlen)
{
	char *conf = NULL, *cpath = NULL, *sinklog = NULL, *arg = NULL;
	proc_io io;
	char e[256];
	int ret = -1;

	if (!ln->open)
		return util_err(err, errlen, "lab network: not open");
	labnet_phase_stop(ln, NULL, 0);
	if (write_lab_json(ln, ph, err, errlen) != 0)
		goto out;
	conf = dnsmasq_conf(ln, ph);
	cpath = xasprintf("%s/dnsmasq.conf", ph->dir);
	if (util_write_atomic(cpath, conf, strlen(conf), 0644, err, errlen) != 0)
		goto out;
	arg = xasprintf("--conf-file=%s", cpath);
	{
		char *const argv[] = { "dnsmasq", "--keep-in-foreground", "--pid-file=",
			"--user=root", "--group=root", arg, NULL };
		char *out = xasprintf("%s/dnsmasq.out", ph->dir);
		memset(&io, 0, sizeof io);
		io.stdout_path = out;
		io.stderr_path = out;
		int r = proc_spawn(&ln->dnsmasq, "dnsmasq", argv, &io, e, sizeof e);
		free(out);
		if (r != 0) {
			util_err(err, errlen, "dnsmasq did not start: %s", e);
			goto out;
		}
	}
	sinklog = xasprintf("%s/sink.jsonl", ph->dir);
	if (labnet_sink_start(&ln->sink, LABNET_SINK_PORT, sinklog, err, errlen) != 0)
		goto out;
	if (!ph->ntp_silent) {
		char *nlog = xasprintf("%s/ntp.jsonl", ph->dir);
		int r = labnet_ntp_start(&ln->ntp, ln->addr, 123, ph->ntp_date_set ? ph->ntp_date
			: ph->date, ph->kiss, nlog, NULL, err, errlen);
		free(nlog);
		if (r != 0)
			goto out;
	}
	if (ph->dns_slow_s > 0) {
		char *rlog = xasprintf("%s/dns-relay.jsonl", ph->dir);
		int r = labnet_relay_start(&ln->relay, ln->addr, 53, LABNET_DNS_BEHIND_PORT,
			ph->dns_slow_s, rlog, NULL, err, errlen);
		free(rlog);
		if (r != 0)
			goto out;
	}
	ln->capture_path = xasprintf("%s/capture.pcap", ph->dir);
	if (cap_live_start(ln->bridge, NULL, ln->capture_path, &ln->live, err, errlen) != 0) {
		ln->live = NULL;
		goto out;
	}
	/* dnsmasq binds before it answers; give it a moment, and notice an
	 * early death (a bad option, a port in use). */
	for (int i = 0; i < 20; i++) {
		if (proc_wait(&ln->dnsmasq, 25)) {
			char st[64];
			util_err(err, errlen, "dnsmasq ended at start (%s), see %s/dnsmasq.out",
				proc_status_text(ln->dnsmasq.status, st, sizeof st), ph->dir);
			goto out;
		}
	}
	ret = 0;
out:
	if (ret != 0)
		labnet_phase_stop(ln, NULL, 0);
	free(conf);
	free(cpath);
	free(sinklog);
	free(arg);
	return ret;
}

/* see labnet.h */
int
labnet_phase_stop(labnet *ln, char *err, size_t errlen)
{
	char e[256] = "";
	int ret = 0;

	if (ln == NULL)
		return 0;
	if (ln->live != NULL) {
		if (cap_live_stop(ln->live, NULL, e, sizeof e) != 0) {
			util_err(err, errlen, "%s", e);
			ret = -1;
		}
		ln->live = NULL;
	}
	if (ln->sink != NULL) {
		if (labnet_sink_stop(ln->sink, e, sizeof e) < 0 && ret == 0) {
			util_err(err, errlen, "%s", e);
			ret = -1;
		}
		ln->sink = NULL;
	}
	if (ln->ntp != NULL) {
		if (labnet_ntp_stop(ln->ntp, e, sizeof e) < 0 && ret == 0) {
			util_err(err, errlen, "%s", e);
			ret = -1;
		}
		ln->ntp = NULL;
	}
	if (ln->relay != NULL) {
		if (labnet_relay_stop(ln->relay, e, sizeof e) < 0 && ret == 0) {
			util_err(err, errlen, "%s", e);
			ret = -1;
		}
		ln->relay = NULL;
	}
	proc_stop(&ln->dnsmasq, 2000);
	memset(&ln->dnsmasq, 0, sizeof ln->dnsmasq);
	free(ln->capture_path);
	ln->capture_path = NULL;
	return ret;
}

/* see labnet.h */
void
labnet_close(labnet *ln)
{
	if (ln == NULL)
		return;
	labnet_phase_stop(ln, NULL, 0);
	guard_stop(ln);
	ln->open = 0;
}
