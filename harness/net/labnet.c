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
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Routing table and mark of the tproxy rule. */
#define LABNET_TABLE "77"
#define LABNET_MARK "0x77"
#define CMD_TIMEOUT_MS 10000

/* see labnet.h */
int
labnet_unshare(char *err, size_t errlen)
{
	if (unshare(CLONE_NEWNET) != 0)
		return util_err(err, errlen, "the lab network needs root or CAP_NET_ADMIN: "
			"unshare(CLONE_NEWNET): %s", strerror(errno));
	return 0;
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
	snprintf(ln->iface, sizeof ln->iface, "%s",
		conf->device_iface ? conf->device_iface : "rstap0");
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
	if (conf->create_tap)
		RUN("ip", "tuntap", "add", "dev", ln->iface, "mode", "tap");
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
	ln->open = 0;
}
