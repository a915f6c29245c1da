/*
 * rotsim lab: run one command on a lab network of its own, with DHCP, DNS,
 * the sink and a capture, as a phase of a case would. For a person looking
 * at a device's first minutes on a network, and for the module's tests.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/util.h"
#include "net/labnet.h"
#include "run/proc.h"
#include "verbs.h"

const char verb_lab_summary[] = "run a command on a lab network of its own (DHCP, DNS, sink)";

static volatile sig_atomic_t stopped;

static void
on_signal(int sig)
{
	(void)sig;
	stopped = 1;
	proc_kill_all();
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim lab --dir DIR [--host NAME ...] [--option OPT ...] [--timeout S]\n"
"                  -- COMMAND [ARG ...]\n"
"\n"
"Creates a network namespace with the bridge rsbr0 (10.77.0.1/24) and the TAP\n"
"rstap0, starts dnsmasq (DHCP with router, DNS and NTP server options; DNS\n"
"answering the --host names with 10.77.0.1 and NXDOMAIN for the rest), the\n"
"sink for every other connection and a capture of the bridge, then runs\n"
"COMMAND inside (for example a QEMU with -netdev tap,ifname=rstap0). When it\n"
"ends, everything ends with the namespace. Evidence in DIR: capture.pcap,\n"
"sink.jsonl, dnsmasq.conf, dnsmasq.log, labnet.log, command.log.\n"
"\n"
"  --option OPT  a lab option of a scenario phase: nxdomain, wrong-address=A,\n"
"                no-ntp-option, ntp-silent, lease=S\n"
"\n"
"Exit status: the command's (0 when it succeeded), 2 when the lab could not\n"
"be built or the command did not end within --timeout (default 300 s).\n");
}

/* see verbs.h */
int
verb_lab(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "host", required_argument, NULL, 'H' },
		{ "option", required_argument, NULL, 'o' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	labnet ln;
	labnet_conf conf;
	labnet_phase ph;
	proc cmd;
	proc_io io;
	size_t nnames = 0;
	int c, ret = 2, timeout = 300;
	char err[512], st[64], *cmdlog = NULL;

	memset(&ln, 0, sizeof ln);
	memset(&conf, 0, sizeof conf);
	memset(&ph, 0, sizeof ph);
	memset(&cmd, 0, sizeof cmd);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': ph.dir = optarg; break;
		case 'H':
			if (nnames + 1 >= LABNET_MAX_NAMES) {
				fprintf(stderr, "rotsim lab: at most %d --host names\n",
					LABNET_MAX_NAMES - 1);
				return 2;
			}
			ph.names[nnames++] = optarg;
			break;
		case 'o':
			if (labnet_option(&ph, optarg, err, sizeof err) != 0) {
				fprintf(stderr, "rotsim lab: --option %s: %s\n", optarg, err);
				return 2;
			}
			break;
		case 't': timeout = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (ph.dir == NULL || optind >= argc) {
		fprintf(stderr, "rotsim lab: %s\n", ph.dir == NULL ? "no --dir given"
			: "no command given (rotsim lab --dir DIR -- COMMAND)");
		return 2;
	}
	if (timeout <= 0) {
		fprintf(stderr, "rotsim lab: --timeout takes positive seconds\n");
		return 2;
	}
	if (util_mkdirs(ph.dir, 0755, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim lab: %s\n", err);
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	cmdlog = xasprintf("%s/command.log", ph.dir);
	conf.create_tap = 1;
	conf.dir = ph.dir;
	if (labnet_unshare(err, sizeof err) != 0 || labnet_open(&ln, &conf, err, sizeof err) != 0
		|| labnet_phase_start(&ln, &ph, err, sizeof err) != 0)
	{
		fprintf(stderr, "rotsim lab: %s\n", err);
		goto out;
	}
	memset(&io, 0, sizeof io);
	io.stdout_path = cmdlog;
	io.stderr_path = cmdlog;
	if (proc_spawn(&cmd, "command", argv + optind, &io, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim lab: %s\n", err);
		goto out;
	}
	long long end = proc_now_ms() + timeout * 1000LL;
	while (!stopped && !proc_wait(&cmd, 200) && proc_now_ms() < end)
		;
	if (!cmd.reaped) {
		proc_stop(&cmd, 2000);
		fprintf(stderr, "rotsim lab: %s\n", stopped ? "interrupted"
			: "the command did not end in time");
		goto out;
	}
	ret = WIFEXITED(cmd.status) && WEXITSTATUS(cmd.status) == 0 ? 0
		: WIFEXITED(cmd.status) ? WEXITSTATUS(cmd.status) : 2;
	printf("lab: command %s\n", proc_status_text(cmd.status, st, sizeof st));
out:
	if (labnet_phase_stop(&ln, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim lab: %s\n", err);
		ret = 2;
	}
	labnet_close(&ln);
	free(cmdlog);
	return ret;
}
