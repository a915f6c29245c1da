/*
 * rotsim serve: the HTTPS update server of a phase.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "fw/fw.h"
#include "server/srv.h"
#include "time/simtime.h"
#include "time/sntp.h"
#include "verbs.h"

const char verb_serve_summary[] = "run the HTTPS update server of a phase";

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
usage(FILE *f)
{
	buf_t faults = {0};

	fault_help(&faults);
	fprintf(f,
"usage: rotsim serve --chain CHAIN.pem --key KEY.pem --firmware DIR\n"
"                    [--listen 127.0.0.1:PORT | --stdio] [--sni NAME=CHAIN.pem,KEY.pem ...]\n"
"                    [--signing-key KEY.pem] [--time DATE] [--fault SPEC ...]\n"
"                    [--events FILE] [--keylog FILE] [--sntp 127.0.0.1:PORT]\n"
"                    [--timeout S] [--handshake-timeout S] [--idle-timeout S]\n"
"                    [--request-timeout S] [--lifetime S] [--linger S] [--max-conns N]\n"
"                    [--protocol rotsim|files|hawkbit] [--image-path PATH]\n"
"                    [--checkin PATH] [--tenant NAME] [--installed-version N]\n"
"                    [--image-file FILE]\n"
"                    [--poll-sleep S]\n"
"\n"
"Serves firmware updates over HTTPS (TLS 1.2 on BearSSL) with the protocol of\n"
"sim/server/PROTOCOL.md: GET /manifest, GET /firmware/image-N.bin (with Range),\n"
"POST /report; or, with --protocol, a plain file tree or the hawkBit DDI subset.\n"
"\n"
"  --listen ADDR        HOST:PORT to listen on (default 127.0.0.1:0; port 0 lets\n"
"                       the kernel choose). The first line on stdout is\n"
"                       \"listening HOST:PORT\"; with --sntp, the second is\n"
"                       \"sntp PORT\".\n"
"  --stdio              serve one connection on stdin/stdout instead, then exit\n"
"                       (for QEMU's guestfwd=...-cmd:); nothing else is written\n"
"                       to stdout\n"
"  --chain CHAIN.pem    the default chain, presented as given (leaf first)\n"
"  --key KEY.pem        its private key (RSA or EC, PEM); read, never written\n"
"  --sni NAME=CHAIN.pem,KEY.pem\n"
"                       the chain and key for clients that send SNI NAME\n"
"                       (repeatable); other names and no SNI get the default\n"
"  --firmware DIR       serve DIR/image-N.bin; the highest N is offered in a\n"
"                       manifest signed with the firmware-signing key\n"
"  --signing-key KEY.pem  the firmware-signing key (ECDSA P-256); created there\n"
"                       if missing. Without it: signing-key.pem beside the\n"
"                       --events file, or in DIR's parent, loaded if present,\n"
"                       else created. Its public key is written beside it as\n"
"                       signing-key.pub.pem. stderr says which file was used.\n"
"  --time DATE          the simulated time at start (\"2024-07-01\",\n"
"                       \"2024-07-01T12:00:00Z\"); it advances with real time.\n"
"                       Used by the Date header, the events and SNTP.\n"
"  --fault SPEC         inject a fault (repeatable), see below\n"
"  --events FILE        write one JSON object per line for each connection,\n"
"                       handshake, request and SNTP query to FILE, a new file\n"
"                       (with --stdio, shared by the processes: appended to)\n"
"  --keylog FILE        write NSS key log lines (CLIENT_RANDOM ...) for\n"
"                       Wireshark, the same way\n"
"  --sntp ADDR          answer SNTP (UDP) on ADDR with the simulated time\n"
"  --protocol P         rotsim (default), files (a plain file tree: GET and\n"
"                       HEAD by path, with Range) or hawkbit (the DDI subset of\n"
"                       suricatta and rauc-hawkbit-updater); PROTOCOL.md\n"
"  --image-path PATH    files: where the offered image is served, with\n"
"                       PATH.sha256, PATH.sig and PATH.version (default\n"
"                       /firmware/update.bin); hawkbit: the artifact is named\n"
"                       after its last part\n"
"  --image-file FILE    files, hawkbit: serve the offered version as FILE's\n"
"                       bytes (its bundle, as the device's client takes it):\n"
"                       at the image path and under its image-N.bin name,\n"
"                       with .sha256, .sig and .version describing FILE\n"
"  --checkin PATH       files: the check-in URL (GET, POST or PUT; 200)\n"
"  --tenant NAME        hawkbit: the tenant (default DEFAULT)\n"
"  --installed-version N  hawkbit: the device's running version; a deployment\n"
"                       is offered when the firmware is newer (default 0)\n"
"  --poll-sleep S       hawkbit: config.polling.sleep, seconds (default 10)\n"
"  --max-conns N        connections served at once (default 1024, or fewer when\n"
"                       the file descriptor limit, ulimit -n, is lower: stderr\n"
"                       says so). A value above that limit is an error.\n"
"\n"
"Deadlines, in seconds (decimals allowed, 0.05..86400). Bytes of ciphertext\n"
"alone never move one: a client that trickles its handshake, a TLS record or a\n"
"request a byte at a time is dropped when it passes.\n"
"  --handshake-timeout S  from accept to a finished handshake (default 10)\n"
"  --idle-timeout S     no request after a handshake or a response; a client\n"
"                       that takes no byte of its response (default 10)\n"
"  --request-timeout S  from a request's first byte to its last; then 408 and\n"
"                       close (default 10)\n"
"  --lifetime S         a connection's whole life, stall faults' time not\n"
"                       counted (default 300)\n"
"  --linger S           once closing (after Connection: close, a 408, a cut), how\n"
"                       long to wait for the peer's close_notify (default 2)\n"
"  --timeout S          sets the handshake, idle and request timeouts at once\n"
"\n"
"Faults (SPEC is NAME[=VALUE][,OPTION=VALUE]...):\n"
"%s"
"\n"
"Private-key operations (the ServerKeyExchange signature, ECDHE) run on\n"
"OpenSSL's libcrypto; BearSSL stays the TLS engine. ROTSIM_SERVE_PK=bearssl in\n"
"the environment runs them on BearSSL instead (the listen event names which).\n"
"\n"
"Runs until SIGTERM or SIGINT, then closes connections, flushes the logs and\n"
"exits 0. Exit 2 on a usage or start-up error.\n", buf_cstr(&faults));
	buf_free(&faults);
}

/* A duration in seconds (decimals allowed) into ms, within 50 ms..1 day. */
static int
seconds_ms(const char *opt, const char *v, int64_t *ms)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != 0 || errno != 0 || !(d >= 0.05 && d <= 86400)) {
		fprintf(stderr, "rotsim serve: bad %s \"%s\" (seconds, 0.05..86400)\n", opt, v);
		return -1;
	}
	*ms = (int64_t)(d * 1000 + 0.5);
	return 0;
}

/* Whether PATH is a regular file (not a link) holding exactly PEM. */
static int
pub_is(const char *path, const char *pem)
{
	struct stat st;
	unsigned char *data;
	size_t len, want = strlen(pem);
	char err[256];
	int same;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size != want)
		return 0;
	if (util_read_file(path, &data, &len, err, sizeof err) != 0)
		return 0;
	same = len == want && memcmp(data, pem, want) == 0;
	free(data);
	return same;
}

/* Resolve, load or create the firmware-signing key. */
static int
signing_key(fw_key *k, const char *given, const char *events, const char *fwdir)
{
	char *path = NULL, *pubpath = NULL, *pem = NULL, *tmp = NULL, err[512];
	struct stat st;
	int created = 0, ret = -1;

	if (given != NULL) {
		path = xstrdup(given);
	} else {
		const char *base = events != NULL ? events : fwdir;
		size_t n;

		tmp = xstrdup(base);
		n = strlen(tmp);
		while (n > 1 && tmp[n - 1] == '/')
			tmp[--n] = 0;
		path = xasprintf("%s/signing-key.pem", dirname(tmp));
	}
	if (stat(path, &st) == 0) {
		if (fw_key_load(k, path, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim serve: %s\n", err);
			goto out;
		}
	} else {
		if (fw_key_generate(k, err, sizeof err) != 0
			|| fw_key_save(k, path, err, sizeof err) != 0)
		{
			fprintf(stderr, "rotsim serve: %s\n", err);
			goto out;
		}
		created = 1;
	}
	pubpath = xasprintf("%.*s.pub.pem", (int)(strlen(path) - 4), path);
	if (strlen(path) < 4 || strcmp(path + strlen(path) - 4, ".pem") != 0) {
		free(pubpath);
		pubpath = xasprintf("%s.pub.pem", path);
	}
	pem = fw_key_pub_pem(k);
	if (pub_is(pubpath, pem)) {
		/* Already there (every phase of a run serves with one key). */
	} else if (util_write_atomic(pubpath, pem, strlen(pem), 0644, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: %s\n", err);
		goto out;
	}
	fprintf(stderr, "rotsim serve: firmware signing key %s (%s), public key %s\n",
		path, created ? "created" : "loaded", pubpath);
	ret = 0;
out:
	free(path);
	free(pubpath);
	free(pem);
	free(tmp);
	return ret;
}

/* SNTP requests become events of the server's log. */
static void
sntp_logged(void *ctx, const sntp_event *ev)
{
	srv_server *s = ctx;
	buf_t b = {0};
	char t[32];

	buf_puts(&b, ",\"peer\":");
	json_put_str(&b, ev->peer);
	buf_printf(&b, ",\"len\":%zu,\"status\":\"%s\",\"version\":%u",
		ev->len, sntp_status_name(ev->status), ev->version);
	if (ev->status == SNTP_OK)
		buf_printf(&b, ",\"sent\":\"%s\"",
			simtime_format(t, sizeof t, ev->sim_time.sec));
	srv_event(s, "sntp", buf_cstr(&b));
	buf_free(&b);
}

static void
sntp_ready(void *ctx)
{
	sntp_server *ss = ((void **)ctx)[0];
	srv_server *s = ((void **)ctx)[1];
	char err[256];

	if (sntp_server_handle(ss, sntp_logged, s, err, sizeof err) < 0) {
		buf_t b = {0};
		buf_puts(&b, ",\"error\":");
		json_put_str(&b, err);
		srv_event(s, "sntp", buf_cstr(&b));
		buf_free(&b);
	}
}

/* see verbs.h */
int
verb_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "stdio", no_argument, NULL, 'S' },
		{ "chain", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "sni", required_argument, NULL, 'n' },
		{ "firmware", required_argument, NULL, 'f' },
		{ "signing-key", required_argument, NULL, 's' },
		{ "time", required_argument, NULL, 't' },
		{ "fault", required_argument, NULL, 'F' },
		{ "events", required_argument, NULL, 'e' },
		{ "keylog", required_argument, NULL, 'K' },
		{ "sntp", required_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "handshake-timeout", required_argument, NULL, 'H' },
		{ "idle-timeout", required_argument, NULL, 'I' },
		{ "request-timeout", required_argument, NULL, 'R' },
		{ "lifetime", required_argument, NULL, 'L' },
		{ "linger", required_argument, NULL, 'G' },
		{ "max-conns", required_argument, NULL, 'M' },
		{ "protocol", required_argument, NULL, 'P' },
		{ "image-path", required_argument, NULL, 'i' },
		{ "checkin", required_argument, NULL, 'C' },
		{ "image-file", required_argument, NULL, 'B' },
		{ "tenant", required_argument, NULL, 'A' },
		{ "installed-version", required_argument, NULL, 'V' },
		{ "poll-sleep", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *listen_addr = "127.0.0.1:0", *chain = NULL, *key = NULL;
	const char *fwdir = NULL, *sigkey = NULL, *timestr = NULL, *events = NULL;
	const char *keylog = NULL, *sntp_addr = NULL, *protocol = NULL, *image_path = NULL;
	const char *checkin = NULL, *tenant = NULL, *image_file = NULL;
	char **snis = NULL, **faults = NULL, err[512], bound[96], note[256];
	size_t nsni = 0, nfault = 0, i;
	int stdio_mode = 0, c, ret = 2, maxc_given = 0;
	unsigned long maxc = 1024;
	int64_t ms;
	srv_server s;
	sntp_server ss;
	void *sntp_ctx[2];
	fw_key fk;
	struct sigaction sa;
	sigset_t block, old;

	srv_init(&s);
	ss.fd = -1;
	memset(&fk, 0, sizeof fk);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'l': listen_addr = optarg; break;
		case 'S': stdio_mode = 1; break;
		case 'c': chain = optarg; break;
		case 'k': key = optarg; break;
		case 'n':
			snis = xrealloc(snis, (nsni + 1) * sizeof *snis);
			snis[nsni++] = optarg;
			break;
		case 'f': fwdir = optarg; break;
		case 's': sigkey = optarg; break;
		case 't': timestr = optarg; break;
		case 'F':
			faults = xrealloc(faults, (nfault + 1) * sizeof *faults);
			faults[nfault++] = optarg;
			break;
		case 'e': events = optarg; break;
		case 'K': keylog = optarg; break;
		case 'N': sntp_addr = optarg; break;
		case 'T':
			if (seconds_ms("--timeout", optarg, &ms) != 0)
				goto out;
			s.handshake_ms = s.idle_ms = s.request_ms = ms;
			break;
		case 'H':
			if (seconds_ms("--handshake-timeout", optarg, &s.handshake_ms) != 0)
				goto out;
			break;
		case 'I':
			if (seconds_ms("--idle-timeout", optarg, &s.idle_ms) != 0)
				goto out;
			break;
		case 'R':
			if (seconds_ms("--request-timeout", optarg, &s.request_ms) != 0)
				goto out;
			break;
		case 'L':
			if (seconds_ms("--lifetime", optarg, &s.lifetime_ms) != 0)
				goto out;
			break;
		case 'G':
			if (seconds_ms("--linger", optarg, &s.linger_ms) != 0)
				goto out;
			break;
		case 'M':
			maxc = strtoul(optarg, &end, 10);
			if (*end != 0 || maxc < 1 || maxc > 100000) {
				fprintf(stderr, "rotsim serve: bad --max-conns \"%s\" "
					"(1..100000)\n", optarg);
				goto out;
			}
			maxc_given = 1;
			break;
		case 'P': protocol = optarg; break;
		case 'i': image_path = optarg; break;
		case 'C': checkin = optarg; break;
		case 'B': image_file = optarg; break;
		case 'A': tenant = optarg; break;
		case 'V':
			errno = 0;
			s.installed_version = strtol(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != 0 || errno != 0
				|| s.installed_version > 4294967295L) {
				fprintf(stderr, "rotsim serve: bad --installed-version \"%s\" "
					"(0..4294967295)\n", optarg);
				goto out;
			}
			break;
		case 'W': {
			unsigned long sl = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end != 0 || sl > 86400) {
				fprintf(stderr, "rotsim serve: bad --poll-sleep \"%s\" "
					"(seconds, 0..86400)\n", optarg);
				goto out;
			}
			s.poll_sleep = (unsigned)sl;
			break;
		}
		case 'h':
			usage(stdout);
			ret = 0;
			goto out;
		default:
			usage(stderr);
			goto out;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rotsim serve: unexpected argument \"%s\"\n", argv[optind]);
		goto out;
	}
	if (chain == NULL || key == NULL) {
		fprintf(stderr, "rotsim serve: --chain and --key are required\n");
		goto out;
	}
	if ((image_path != NULL || checkin != NULL || tenant != NULL || image_file != NULL)
		&& (protocol == NULL || strcmp(protocol, "rotsim") == 0)) {
		fprintf(stderr, "rotsim serve: --image-path, --image-file, --checkin and --tenant need "
			"--protocol files or hawkbit\n");
		goto out;
	}
	if (checkin != NULL && strcmp(protocol, "files") != 0) {
		fprintf(stderr, "rotsim serve: --checkin is for --protocol files (hawkBit's "
			"check-in is the feedback)\n");
		goto out;
	}
	if (srv_set_protocol(&s, protocol, image_path, checkin, tenant, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: --protocol: %s\n", err);
		goto out;
	}
	srv_set_image_file(&s, image_file);
	if (s.protocol != SRV_PROTO_ROTSIM && fwdir == NULL) {
		fprintf(stderr, "rotsim serve: --protocol %s needs --firmware\n", protocol);
		goto out;
	}
	s.max_conns = maxc;
	if (!stdio_mode) {
		/* The listener, the logs, SNTP, the files read at start. */
		int r = srv_fit_fd_limit(&s, 32, !maxc_given, note, sizeof note,
			err, sizeof err);

		if (r < 0) {
			fprintf(stderr, "rotsim serve: %s\n", err);
			goto out;
		}
		if (r > 0)
			fprintf(stderr, "rotsim serve: %s\n", note);
	}
	if (timestr != NULL) {
		int64_t t;

		if (simtime_parse(timestr, &t, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim serve: --time \"%s\": %s\n", timestr, err);
			goto out;
		}
		srv_set_time(&s, t);
	}
	if (srv_add_cred(&s, NULL, chain, key, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: %s\n", err);
		goto out;
	}
	for (i = 0; i < nsni; i++) {
		char *spec = xstrdup(snis[i]), *eq = strchr(spec, '='), *comma;
		int r = -1;

		comma = eq != NULL ? strchr(eq, ',') : NULL;
		if (eq == NULL || comma == NULL || eq == spec) {
			fprintf(stderr, "rotsim serve: --sni \"%s\": expected "
				"NAME=CHAIN.pem,KEY.pem\n", snis[i]);
		} else {
			*eq = 0;
			*comma = 0;
			r = srv_add_cred(&s, spec, eq + 1, comma + 1, err, sizeof err);
			if (r != 0)
				fprintf(stderr, "rotsim serve: --sni %s: %s\n", spec, err);
		}
		free(spec);
		if (r != 0)
			goto out;
	}
	for (i = 0; i < nfault; i++) {
		if (srv_add_fault(&s, faults[i], err, sizeof err) != 0) {
			fprintf(stderr, "rotsim serve: --%s\n", err);
			goto out;
		}
	}
	s.shared_logs = stdio_mode;	/* a process per connection, one log */
	if (events != NULL && srv_open_events(&s, events, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: --events: %s\n", err);
		goto out;
	}
	if (keylog != NULL && srv_open_keylog(&s, keylog, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: --keylog: %s\n", err);
		goto out;
	}
	if (fwdir != NULL) {
		if (signing_key(&fk, sigkey, events, fwdir) != 0)
			goto out;
		if (srv_set_firmware(&s, fwdir, &fk, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim serve: --firmware: %s\n", err);
			goto out;
		}
	}
	if (srv_prepare(&s, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: %s\n", err);
		goto out;
	}
	/* SIGTERM and SIGINT are delivered only while waiting in ppoll(). */
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &old);
	if (sntp_addr != NULL) {
		char f[160];

		if (sntp_server_open(&ss, sntp_addr, &s.clock, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim serve: --sntp: %s\n", err);
			goto out;
		}
		sntp_ctx[0] = &ss;
		sntp_ctx[1] = &s;
		s.extra_fd = sntp_server_fd(&ss);
		s.extra_fn = sntp_ready;
		s.extra_ctx = sntp_ctx;
		snprintf(f, sizeof f, ",\"address\":\"%s\",\"port\":%u", sntp_addr,
			(unsigned)sntp_server_port(&ss));
		srv_event(&s, "sntp-listen", f);
		if (!stdio_mode)
			fprintf(stderr, "rotsim serve: sntp on port %u\n",
				(unsigned)sntp_server_port(&ss));
	}
	if (stdio_mode) {
		if (srv_serve_fd(&s, 0, 1, "stdio", &stop_flag, &old, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim serve: %s\n", err);
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (srv_listen(&s, listen_addr, bound, sizeof bound, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: --listen: %s\n", err);
		goto out;
	}
	printf("listening %s\n", bound);
	if (sntp_addr != NULL)
		printf("sntp %u\n", (unsigned)sntp_server_port(&ss));
	fflush(stdout);
	if (srv_run(&s, &stop_flag, &old, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim serve: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	sntp_server_close(&ss);
	srv_free(&s);
	fw_key_wipe(&fk);
	free(snis);
	free(faults);
	return ret;
}
