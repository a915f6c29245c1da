/*
 * rotsim-agent: the reference device's update agent.
 *
 * One run is one boot of the device: find what the flash runs (A/B slots,
 * else the factory firmware), take the time from the device's clock source,
 * connect to the update server by name and validate its chain with the
 * device's trust profile, fetch and verify the signed manifest, download,
 * check and install a newer bundle into the other slot, check in, and say
 * whether a reboot is wanted. Every step is one console line (README.md,
 * "Console protocol"); the exit status says how the boot ended.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "time/simtime.h"

#include "agent.h"
#include "console.h"
#include "tls.h"

static con_line L;


static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim-agent [--etc DIR] [--profile FILE] [--anchors DIR]\n"
"                    [--signing-pub FILE] [--flash PATH] [--rtc DATE]\n"
"                    [--sntp HOST:PORT] [--connect ADDR:PORT] [--hosts FILE]\n"
"                    [--host NAME]\n"
"                    [--build-date DATE] [--device NAME] [--retries N]\n"
"                    [--backoff-ms N] [--max-wait SECONDS] [--timeout SECONDS]\n"
"                    [--no-flash-sync] [--tcp-nodelay]\n"
"\n"
"One boot of the reference device: run what the flash holds, check for an\n"
"update at the update host (default " SERVER_NAME "), install it into the other\n"
"slot, check in.\n"
"\n"
"  --etc DIR          the device's read-only configuration (default /etc/rotsim):\n"
"                     DIR/profile, DIR/anchors/, DIR/signing-key.pub.pem, DIR/device\n"
"  --profile FILE     the trust profile (default DIR/profile)\n"
"  --anchors DIR      factory anchor sets NAME.pem and pin lists NAME.pins\n"
"                     (default DIR/anchors)\n"
"  --signing-pub FILE the firmware-signing public key, PEM or 65 raw bytes\n"
"                     (default DIR/signing-key.pub.pem)\n"
"  --flash PATH       the flash: a disk image or block device (default\n"
"                     /dev/vda); a directory means PATH/flash.img, created\n"
"                     empty when missing\n"
"  --rtc DATE         the RTC at power-on (native); default: the system clock\n"
"  --sntp HOST:PORT   the SNTP server (default: the profile's, else the update\n"
"                     host, port 123)\n"
"  --connect A:P      connect there instead of resolving the update host\n"
"                     (SNI and the name checked stay the host's name)\n"
"  --hosts FILE       name resolution (default /etc/hosts)\n"
"  --host NAME        the update host: the name resolved, sent as SNI and\n"
"                     checked in the leaf (default: the first line of DIR/host,\n"
"                     else " SERVER_NAME ")\n"
"  --build-date DATE  the firmware's build date (default: the profile's, else\n"
"                     " AGENT_BUILD_DATE ")\n"
"  --device NAME      the device's name (default: DIR/device, else the profile)\n"
"  --retries N        attempts per step after the first (default 5)\n"
"  --backoff-ms N     first back-off between attempts, doubled each time (500)\n"
"  --max-wait S       longest Retry-After honoured (default 30)\n"
"  --timeout S        connect and read timeout (default 10)\n"
"  --no-flash-sync    do not fsync the flash after writing it: for a flash file\n"
"                     of a device that is a host process (native), whose\n"
"                     writes outlive its power-off in the host's page cache\n"
"  --tcp-nodelay      set TCP_NODELAY on its connections (default off, as many\n"
"                     devices leave it: a handshake flight written in several\n"
"                     sends then waits for the server's delayed ACK)\n"
"\n"
"Exit status: 0 current (nothing newer), 10 updated (reboot requested),\n"
"3 rejected, 4 unreachable, 1 error, 2 usage.\n");
}

static int
done(agent *a, const char *result, int status, uint32_t installed, const char *reason)
{
	con_begin(&L, "done");
	con_str(&L, "result", result);
	con_uint(&L, "version", a->version);
	if (installed != 0)
		con_uint(&L, "installed", installed);
	if (reason != NULL)
		con_str(&L, "reason", reason);
	con_int(&L, "exit", status);
	con_emit(&L, stdout);
	return status;
}

static const char *
status_result(int st)
{
	return st == EXIT_REJECTED ? "rejected" : st == EXIT_UNREACHABLE ? "unreachable"
		: st == EXIT_REBOOT ? "updated" : st == EXIT_CURRENT ? "current" : "error";
}

/* The update check of one boot, after the clock and the trust are set. */
static int
update(agent *a)
{
	char err[512], hex[65];
	buf_t mtext = {0};
	fw_manifest m;
	unsigned char *img = NULL;
	bundle nb;
	int st, slot, ret;

	st = agent_get_small(a, "/manifest", &mtext, 4096);
	if (st != 0) {
		ret = done(a, status_result(st), st, 0, st == EXIT_REJECTED ? "tls" : "manifest");
		goto out;
	}
	if (fw_manifest_verify(&m, mtext.data, mtext.len, a->sigpub, err, sizeof err) != 0) {
		con_begin(&L, "manifest");
		con_str(&L, "sig", "bad");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		agent_report(a, "manifest-rejected", 0);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "manifest-signature");
		goto out;
	}
	con_begin(&L, "manifest");
	con_str(&L, "sig", "ok");
	con_uint(&L, "version", m.version);
	con_uint(&L, "size", m.size);
	con_str(&L, "url", m.url);
	con_emit(&L, stdout);
	if (m.version <= a->version) {
		agent_report(a, "current", m.version);
		ret = done(a, "current", EXIT_CURRENT, 0, NULL);
		goto out;
	}
	if (m.size == 0 || m.size > a->flash.slot_size) {
		con_begin(&L, "update");
		con_str(&L, "result", "refused");
		con_str(&L, "error", "image larger than a slot");
		con_emit(&L, stdout);
		agent_report(a, "image-rejected", m.version);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "image-size");
		goto out;
	}
	slot = a->running_slot == 0 ? 1 : a->running_slot == 1 ? 0 : 0;
	if (a->running_slot < 0 && a->flash.bc_valid && a->flash.bc.active == 0
		&& a->flash.bc.slot[0].state == FLASH_SLOT_INSTALLED)
		slot = 1;	/* keep a good slot A we could not run for a fallback */
	con_begin(&L, "update");
	con_uint(&L, "from", a->version);
	con_uint(&L, "to", m.version);
	con_uint(&L, "size", m.size);
	con_fmt(&L, "slot", "%c", 'a' + slot);
	con_emit(&L, stdout);
	img = xmalloc((size_t)m.size);
	st = agent_download(a, &m, img);
	if (st != 0) {
		ret = done(a, status_result(st), st, 0, "download");
		goto out;
	}
	if (fw_image_check(&m, img, (size_t)m.size, err, sizeof err) != 0) {
		unsigned char h[32];

		util_sha256(h, img, (size_t)m.size);
		con_begin(&L, "image");
		con_str(&L, "result", "bad");
		con_str(&L, "sha256", util_hex(hex, h, 32));
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		agent_report(a, "image-rejected", m.version);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "image-sha256");
		goto out;
	}
	if (bundle_parse(&nb, img, (size_t)m.size, 0, err, sizeof err) != 0
		|| (nb.version != m.version && snprintf(err, sizeof err, "bundle version %lu, "
			"manifest %lu", (unsigned long)nb.version, (unsigned long)m.version) > 0))
	{
		con_begin(&L, "image");
		con_str(&L, "result", "bad");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		agent_report(a, "image-rejected", m.version);
		ret = done(a, "rejected", EXIT_REJECTED, 0, "bundle");
		goto out;
	}
	con_begin(&L, "image");
	con_str(&L, "result", "ok");
	con_str(&L, "sha256", util_hex(hex, m.sha256, 32));
	con_uint(&L, "version", nb.version);
	con_str(&L, "anchors", nb.anchors.data != NULL ? "yes" : "no");
	con_str(&L, "pins", nb.pins.data != NULL ? "yes" : "no");
	con_emit(&L, stdout);
	if (flash_install(&a->flash, slot, nb.version, img, (size_t)m.size, err, sizeof err) != 0) {
		con_begin(&L, "install");
		con_str(&L, "result", "failed");
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		ret = done(a, "error", EXIT_ERROR, 0, "install");
		goto out;
	}
	con_begin(&L, "install");
	con_str(&L, "result", "ok");
	con_fmt(&L, "slot", "%c", 'a' + slot);
	con_uint(&L, "version", nb.version);
	con_uint(&L, "bytes", m.size);
	con_uint(&L, "seq", a->flash.bc.seq);
	con_emit(&L, stdout);
	agent_report(a, "installed", m.version);
	con_begin(&L, "reboot");
	con_fmt(&L, "slot", "%c", 'a' + slot);
	con_uint(&L, "version", nb.version);
	con_emit(&L, stdout);
	ret = done(a, "updated", EXIT_REBOOT, nb.version, NULL);
out:
	free(img);
	buf_free(&mtext);
	return ret;
}

/* The first line of ETC/FILE into out, or NULL when there is none. */
static const char *
etc_line(agent *a, const char *file, char *out, size_t len)
{
	char *p = agent_path_join(a->etc, file);
	FILE *f = fopen(p, "r");

	free(p);
	out[0] = 0;
	if (f != NULL) {
		if (fgets(out, (int)len, f) == NULL)
			out[0] = 0;
		out[strcspn(out, "\r\n")] = 0;
		fclose(f);
	}
	return out[0] != 0 ? out : NULL;
}

/* The device's name: the first line of ETC/device, else the profile's. */
static const char *
device_name(agent *a)
{
	static char name[64];

	return etc_line(a, "device", name, sizeof name);
}

/* The update host's name: --host, else the first line of ETC/host (the
 * device's configuration, as a field device is provisioned with its
 * backend's name), else SERVER_NAME. */
static const char *
host_name(agent *a)
{
	static char name[256];

	if (a->host != NULL)
		return a->host;
	return etc_line(a, "host", name, sizeof name) ? name : SERVER_NAME;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "etc", required_argument, NULL, 'E' },
		{ "profile", required_argument, NULL, 'p' },
		{ "anchors", required_argument, NULL, 'a' },
		{ "signing-pub", required_argument, NULL, 'k' },
		{ "flash", required_argument, NULL, 'f' },
		{ "rtc", required_argument, NULL, 'r' },
		{ "sntp", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'c' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "host", required_argument, NULL, 'N' },
		{ "build-date", required_argument, NULL, 'b' },
		{ "device", required_argument, NULL, 'd' },
		{ "retries", required_argument, NULL, 'R' },
		{ "backoff-ms", required_argument, NULL, 'B' },
		{ "max-wait", required_argument, NULL, 'W' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "no-flash-sync", no_argument, NULL, 'S' },
		{ "tcp-nodelay", no_argument, NULL, 'D' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	static agent A;
	agent *a = &A;
	char *owned[3] = { NULL, NULL, NULL }, err[512];
	int c, ret = EXIT_ERROR;

	a->etc = "/etc/rotsim";
	a->flash_path = "/dev/vda";
	a->hosts = "/etc/hosts";
	a->retries = 5;
	a->backoff_ms = 500;
	a->max_wait = 30;
	a->timeout_ms = 10000;
	a->running_slot = -1;
	a->flash.fd = -1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		long v;
		char *end;

		switch (c) {
		case 'E': a->etc = optarg; break;
		case 'p': a->profile_path = optarg; break;
		case 'a': a->anchors_dir = optarg; break;
		case 'k': a->sigpub_path = optarg; break;
		case 'f': a->flash_path = optarg; break;
		case 'r': a->rtc = optarg; break;
		case 's': a->sntp_addr = optarg; break;
		case 'c': a->connect = optarg; break;
		case 'H': a->hosts = optarg; break;
		case 'N': a->host = optarg; break;
		case 'b': a->build_date = optarg; break;
		case 'd': a->device = optarg; break;
		case 'S': flash_set_sync(0); break;
		case 'D': a->nodelay = 1; break;
		case 'R': case 'B': case 'W': case 'T':
			v = strtol(optarg, &end, 10);
			if (*end != 0 || v < 0 || v > 100000) {
				fprintf(stderr, "rotsim-agent: bad number \"%s\"\n", optarg);
				return EXIT_USAGE;
			}
			if (c == 'R') a->retries = (int)v;
			else if (c == 'B') a->backoff_ms = (int)v;
			else if (c == 'W') a->max_wait = (int)v;
			else a->timeout_ms = v > 0 ? (int)v * 1000 : 1000;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rotsim-agent: unexpected argument \"%s\"\n", argv[optind]);
		return EXIT_USAGE;
	}
	if (a->rtc != NULL) {
		int64_t t;

		if (simtime_parse(a->rtc, &t, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim-agent: --rtc \"%s\": %s\n", a->rtc, err);
			return EXIT_USAGE;
		}
	}
	if (a->profile_path == NULL)
		a->profile_path = owned[0] = agent_path_join(a->etc, "profile");
	if (a->anchors_dir == NULL)
		a->anchors_dir = owned[1] = agent_path_join(a->etc, "anchors");
	if (a->sigpub_path == NULL)
		a->sigpub_path = owned[2] = agent_path_join(a->etc, "signing-key.pub.pem");
	a->net = xcalloc(1, sizeof *a->net);
	net_init(a->net);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (agent_load_profile(a) != 0) {
		ret = done(a, "error", EXIT_ERROR, 0, "profile");
		goto out;
	}
	a->host = host_name(a);
	if (a->device == NULL)
		a->device = device_name(a);
	if (a->device == NULL)
		a->device = a->profile;
	con_begin(&L, "agent-start");
	if (strcmp(tls_stack, "bearssl") == 0) {
		con_str(&L, "agent", "rotsim-agent");
	} else {
		con_fmt(&L, "agent", "rotsim-agent-%s", tls_stack);
	}
	con_str(&L, "device", a->device);
	con_str(&L, "profile", a->profile);
	con_uint(&L, "factory-version", a->factory_version);
	/* The stack is the binary's; BearSSL's line stays as it always was. */
	if (strcmp(tls_stack, "bearssl") != 0) {
		con_str(&L, "tls", tls_stack);
		con_str(&L, "variant", tls_variants[a->tls_variant]);
	}
	con_emit(&L, stdout);
	if (agent_open_flash(a) != 0) {
		ret = done(a, "error", EXIT_ERROR, 0, "flash");
		goto out;
	}
	agent_choose_boot(a);
	if (agent_load_trust(a) != 0 || agent_load_sigpub(a) != 0) {
		ret = done(a, "error", EXIT_ERROR, 0, "config");
		goto out;
	}
	agent_set_clock(a);
	a->net->tls.server_name = a->host;
	a->net->tls.mode = a->trust_mode;
	a->net->tls.trust = &a->trust;
	a->net->tls.now = agent_now;
	a->net->tls.now_ctx = a;
	a->net->tls.variant = a->tls_variant;
	a->net->timeout_ms = a->timeout_ms;
	a->net->nodelay = a->nodelay;
	if (agent_resolve(a, a->connect != NULL ? a->connect : a->host, 443,
		&a->net->addr, err, sizeof err) != 0)
	{
		con_begin(&L, "resolve");
		con_str(&L, "host", a->host);
		con_str(&L, "error", err);
		con_emit(&L, stdout);
		ret = done(a, "unreachable", EXIT_UNREACHABLE, 0, "resolve");
		goto out;
	}
	ret = update(a);
out:
	net_free(a->net);
	free(a->net);
	flash_close(&a->flash);
	trust_free(&a->trust);
	free(a->bundle_data);
	free(a->anchors_name);
	free(a->pins_name);
	free(a->profile_sntp);
	free(owned[0]);
	free(owned[1]);
	free(owned[2]);
	return ret;
}