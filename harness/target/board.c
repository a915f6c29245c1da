/*
 * The board driver: a device on the bench, driven through the lab's own
 * tools. Its console is a serial port, a TCP port (ser2net, raw) or a command
 * whose standard input and output are the console (labgrid-client console);
 * its power, deploy and factory reset are commands (uhubctl, a PDU's command
 * line, labgrid-client power). A lock file gives one case at a time a board;
 * a pool of boards of one kind is one description with {board} in its keys.
 * A watchdog process powers the board off if the harness dies. With
 * "network", the board's interface on the host joins the case's lab network
 * (net/labnet.h splices it to the lab's bridge); the case then runs in a
 * network namespace of its own, and every command and the console run in the
 * host's namespace, where the lab's tools reach the board. See target.h and
 * targets/README.md.
 */
#include "target/target.h"
#include "target/board_console.h"
#include "common/json.h"
#include "net/labnet.h"
#include "run/proc.h"
#include "time/simtime.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { CLK_NONE, CLK_POWER_ON, CLK_CONSOLE, CLK_NTP };

#define POOL_MAX 64

typedef struct {
	int con;			/* BCON_* (board_console.h) */
	char *console;			/* the part after "serial:", "tcp:", "command:" */
	char *power_on, *power_off, *power_cycle, *deploy, *deploy_image, *reset;
	char *acquire, *release;	/* the lab's own reservation (labgrid places) */
	int clock;			/* CLK_* */
	char *clock_cmd;		/* clock = console:COMMAND */
	char *lock, *pool, *dir;
	char *network;			/* the board's interface on the host, or NULL */
	int pool_size, loopback;
	int power_timeout, deploy_timeout, lock_timeout;
	/* The case this process runs (set by prepare, one case per process). */
	int slot, lock_fd, acquired;
	char image_sha[65];
	char net_iface[IFNAMSIZ];	/* network, expanded for the board taken
					 * (t->lab_iface points here) */
} board_desc;

struct tgt_power {
	const tgt *t;
	board_desc *d;
	char **off_argv;		/* power-off, expanded for this boot */
	char *boot_dir, *blog;		/* board-N.log: the driver's own notes */
	int idx, log_fd;		/* console-N.log */
	bcon con;
	char *con_spec;
	char **con_argv;
	pid_t wd;			/* the watchdog */
	int wd_fd;
	int clock_sent;
	char date[32], epoch[24];
};

static void
board_free(tgt *t)
{
	board_desc *d = t->priv;

	if (d == NULL)
		return;
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->console); free(d->power_on); free(d->power_off); free(d->power_cycle);
	free(d->deploy); free(d->deploy_image); free(d->reset); free(d->clock_cmd);
	free(d->lock); free(d->pool); free(d->dir); free(d->acquire); free(d->release);
	free(d->network);
	free(d);
	t->priv = NULL;
}

/* The placeholders of every command; a key's allowed set is a prefix count
 * of this table's order (see the *_NAMES constants). */
static const char *const var_names[] = { "board", "target", "pool", "dir", "device", "case",
	"etc", "image", "boot-dir", "date", "epoch", "port", "server" };
#define LOCK_NAMES 4		/* board target pool dir */
#define DEPLOY_NAMES 8		/* ... device case etc image */
#define POWER_NAMES 13		/* ... boot-dir date epoch port server */

typedef struct {
	const char *v[POWER_NAMES];
	char board[12];
} board_vars;

static void
vars_init(board_vars *bv, const tgt *t, int slot)
{
	const board_desc *d = t->priv;

	memset(bv, 0, sizeof *bv);
	snprintf(bv->board, sizeof bv->board, "%d", slot);
	bv->v[0] = bv->board;
	bv->v[1] = t->name;
	bv->v[2] = d->pool ? d->pool : t->name;
	bv->v[3] = d->dir;
	for (size_t i = LOCK_NAMES; i < POWER_NAMES; i++)
		bv->v[i] = "";
}

/* A command line of the description, expanded; argv allocated. */
static int
expand(const tgt *t, const char *key, const char *value, const board_vars *bv, size_t nnames,
	char ***argv, char *err, size_t errlen)
{
	size_t n = 0;
	char msg[256];

	*argv = NULL;
	int r = tgt_expand_words(value, var_names, bv->v, nnames, argv, &n, msg, sizeof msg);
	if (r != 0 || n == 0) {
		for (size_t i = 0; i < n; i++)
			free((*argv)[i]);
		free(*argv);
		*argv = NULL;
		return util_err(err, errlen, "%s: %s: %s", t->conf_path, key,
			r != 0 ? msg : "an empty command");
	}
	return 0;
}

static void
argv_free(char **argv)
{
	for (size_t i = 0; argv != NULL && argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* One string expanded (a path or a console address). */
static char *
expand_one(const tgt *t, const char *value, int slot)
{
	board_vars bv;
	char **argv = NULL, err[256];
	size_t n = 0;
	buf_t b = {0};

	vars_init(&bv, t, slot);
	if (tgt_expand_words(value, var_names, bv.v, LOCK_NAMES, &argv, &n, err, sizeof err) != 0)
		return xstrdup(value);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
	argv_free(argv);
	return buf_cstr(&b);
}

static int
get_int(cfg_section *s, const tgt *t, const char *key, int lo, int hi, int dflt, int *out,
	char *err, size_t errlen)
{
	cfg_entry *e = cfg_get(s, key, NULL);
	char *end;
	long v;

	*out = dflt;
	if (e == NULL)
		return 0;
	v = strtol(e->val, &end, 10);
	if (end == e->val || *end != 0 || v < lo || v > hi)
		return util_err(err, errlen, "%s:%d: %s: want a whole number from %d to %d, not "
			"\"%s\"", t->conf_path, e->line, key, lo, hi, e->val);
	*out = (int)v;
	return 0;
}

/* The keys naming commands, the placeholders each may use. */
static const struct {
	const char *key;
	size_t off, names;
	int required;
} cmd_keys[] = {
	{ "power-on", offsetof(board_desc, power_on), POWER_NAMES, 1 },
	{ "power-off", offsetof(board_desc, power_off), POWER_NAMES, 1 },
	{ "power-cycle", offsetof(board_desc, power_cycle), POWER_NAMES, 0 },
	{ "deploy", offsetof(board_desc, deploy), DEPLOY_NAMES, 0 },
	{ "reset", offsetof(board_desc, reset), DEPLOY_NAMES, 0 },
	{ "acquire", offsetof(board_desc, acquire), LOCK_NAMES, 0 },
	{ "release", offsetof(board_desc, release), LOCK_NAMES, 0 },
};

static int
board_load(tgt *t, cfg_section *s, char *err, size_t errlen)
{
	static const char *const cons[] = { "serial:", "tcp:", "command:" };
	board_desc *d = xcalloc(1, sizeof *d);
	char *v = NULL, **argv = NULL;
	board_vars bv;
	size_t i;
	int ret = -1;

	t->priv = d;
	d->slot = -1;
	d->lock_fd = -1;
	d->dir = xstrdup(t->conf_path);
	*strrchr(d->dir, '/') = 0;
	d->pool = tgt_get(s, "pool");
	if (get_int(s, t, "pool-size", 1, POOL_MAX, 1, &d->pool_size, err, errlen) != 0
		|| get_int(s, t, "power-timeout", 1, 3600, 30, &d->power_timeout, err, errlen) != 0
		|| get_int(s, t, "deploy-timeout", 1, 86400, 600, &d->deploy_timeout, err,
		errlen) != 0
		|| get_int(s, t, "lock-timeout", 0, 86400, 600, &d->lock_timeout, err, errlen) != 0)
		goto out;
	if (d->pool_size > 1 && d->pool == NULL) {
		util_err(err, errlen, "%s: pool-size needs \"pool\" (the name of the boards' kind)",
			t->conf_path);
		goto out;
	}
	vars_init(&bv, t, 0);
	for (i = 0; i < sizeof cmd_keys / sizeof *cmd_keys; i++) {
		char **slot = (char **)((char *)d + cmd_keys[i].off);
		*slot = tgt_get(s, cmd_keys[i].key);
		if (*slot == NULL && cmd_keys[i].required) {
			util_err(err, errlen, "%s: a board needs \"%s\" (a command)", t->conf_path,
				cmd_keys[i].key);
			goto out;
		}
		if (*slot != NULL) {
			if (expand(t, cmd_keys[i].key, *slot, &bv, cmd_keys[i].names, &argv, err,
				errlen) != 0)
				goto out;
			argv_free(argv);
			argv = NULL;
		}
	}
	d->deploy_image = tgt_get(s, "deploy-image");
	if (d->deploy_image != NULL && d->deploy == NULL) {
		util_err(err, errlen, "%s: deploy-image needs \"deploy\"", t->conf_path);
		goto out;
	}
	if ((v = tgt_get(s, "console")) == NULL) {
		util_err(err, errlen, "%s: a board needs \"console\" (serial:DEVICE,BAUD, "
			"tcp:HOST:PORT or command:COMMAND)", t->conf_path);
		goto out;
	}
	for (d->con = 0; d->con < 3; d->con++)
		if (strncmp(v, cons[d->con], strlen(cons[d->con])) == 0)
			break;
	if (d->con == 3 || v[strlen(cons[d->con])] == 0) {
		util_err(err, errlen, "%s: console: \"%s\": want serial:DEVICE[,BAUD], tcp:HOST:PORT "
			"or command:COMMAND", t->conf_path, v);
		goto out;
	}
	d->console = xstrdup(v + strlen(cons[d->con]));
	free(v);
	if ((d->con == BCON_TCP && strrchr(d->console, ':') == NULL) || (d->con == BCON_COMMAND
		&& expand(t, "console", d->console, &bv, LOCK_NAMES, &argv, err, errlen) != 0)) {
		if (d->con == BCON_TCP)
			util_err(err, errlen, "%s: console: tcp:%s: want tcp:HOST:PORT", t->conf_path,
				d->console);
		v = NULL;
		goto out;
	}
	argv_free(argv);
	argv = NULL;
	v = tgt_get(s, "clock");
	if (v == NULL || strcmp(v, "none") == 0) {
		d->clock = CLK_NONE;
	} else if (strcmp(v, "power-on") == 0) {
		d->clock = CLK_POWER_ON;
		if (strstr(d->power_on, "{date}") == NULL && strstr(d->power_on, "{epoch}") == NULL) {
			util_err(err, errlen, "%s: clock = power-on: power-on does not use {date} or "
				"{epoch}", t->conf_path);
			goto out;
		}
	} else if (strncmp(v, "console:", 8) == 0 && v[8] != 0) {
		d->clock = CLK_CONSOLE;
		d->clock_cmd = xstrdup(v + 8);
	} else if (strcmp(v, "ntp") == 0) {
		d->clock = CLK_NTP;
		t->net_clock = 1;
	} else {
		util_err(err, errlen, "%s: clock: \"%s\": want none, power-on, console:COMMAND or "
			"ntp", t->conf_path, v);
		goto out;
	}
	free(v);
	v = NULL;
	/* The lab network: the board's interface on the host, {board} telling
	 * a pool's apart; DHCP, DNS, NTP, the server and the capture are the
	 * lab's, as for a QEMU guest on it. */
	if ((d->network = tgt_get(s, "network")) != NULL) {
		if (expand(t, "network", d->network, &bv, LOCK_NAMES, &argv, err, errlen) != 0)
			goto out;
		if (argv[1] != NULL || strlen(argv[0]) >= IFNAMSIZ || strpbrk(argv[0], "/:") != NULL) {
			util_err(err, errlen, "%s: network: \"%s\": want the name of the host's "
				"interface the board is wired to (eth1, enx00e04c680001, up to %d "
				"characters)", t->conf_path, d->network, IFNAMSIZ - 1);
			goto out;
		}
		argv_free(argv);
		argv = NULL;
		t->lab = 1;
		t->lab_iface = d->net_iface;
	}
	if (d->clock == CLK_NTP && d->network == NULL) {
		util_err(err, errlen, "%s: clock = ntp needs \"network\": the board takes the "
			"phase's date from the SNTP responder of the case's lab network", t->conf_path);
		goto out;
	}
	v = tgt_get(s, "capture");
	if (d->network != NULL) {
		if (v != NULL && strcmp(v, "bridge") != 0) {
			util_err(err, errlen, "%s: capture = %s: a board on the lab network is "
				"captured on the lab's bridge (capture = bridge, the default with "
				"network)", t->conf_path, v);
			goto out;
		}
	} else if (v != NULL && strcmp(v, "loopback") != 0 && strcmp(v, "none") != 0) {
		util_err(err, errlen, "%s: capture: \"%s\": want loopback or none (bridge goes "
			"with network)", t->conf_path, v);
		goto out;
	}
	d->loopback = v != NULL && strcmp(v, "loopback") == 0;
	free(v);
	v = tgt_get(s, "lock");
	d->lock = v ? v : xstrdup(d->pool_size > 1 || d->pool
		? "/run/lock/rotsim-board-{pool}-{board}.lock" : "/run/lock/rotsim-board-{target}.lock");
	v = NULL;
	if (expand(t, "lock", d->lock, &bv, LOCK_NAMES, &argv, err, errlen) != 0)
		goto out;
	if (d->pool_size > 1 && strstr(d->lock, "{board}") == NULL) {
		util_err(err, errlen, "%s: lock: a pool of %d boards needs {board} in its lock file",
			t->conf_path, d->pool_size);
		goto out;
	}
	/* A board's end is its console's "done": the harness cannot see a board
	 * power itself off. */
	if (t->done == NULL) {
		util_err(err, errlen, "%s: a board needs \"done\" (the console text after which it "
			"is powered off)", t->conf_path);
		goto out;
	}
	/* Only the lab network carries UDP (SNTP) to a board. */
	t->udp = t->lab;
	ret = 0;
out:
	argv_free(argv);
	free(v);
	return ret;
}

/*
 * On the lab network the case process lives in the lab's namespace, but the
 * board's tools (a TCP console, labgrid-client, a PDU on the lab's LAN) reach
 * the board through the host's: the driver's work runs there, on the calling
 * thread only (the lab's own threads stay), and goes back before it returns.
 * *back: the namespace to go back to, or -1 when nothing was switched.
 */
static int
host_enter(const board_desc *d, int *back, char *err, size_t errlen)
{
	int h = labnet_host_ns();

	*back = -1;
	if (d->network == NULL || h < 0)
		return 0;
	*back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (*back < 0)
		return util_err(err, errlen, "board: /proc/thread-self/ns/net: %s", strerror(errno));
	if (setns(h, CLONE_NEWNET) != 0) {
		util_err(err, errlen, "board: into the host's network namespace: %s",
			strerror(errno));
		close(*back);
		*back = -1;
		return -1;
	}
	return 0;
}

static void
host_leave(int back)
{
	if (back < 0)
		return;
	/* The namespace this thread came from: going back cannot be refused,
	 * and staying would run the lab's services on the host. */
	if (setns(back, CLONE_NEWNET) != 0)
		abort();
	close(back);
}

/* The last line of a command's output, for an error message. */
static void
tail_line(const char *path, char *out, size_t len)
{
	unsigned char *data = NULL;
	size_t n = 0, end, start;

	out[0] = 0;
	if (util_read_file(path, &data, &n, NULL, 0) != 0)
		return;
	end = n;
	while (end > 0 && (data[end - 1] == '\n' || data[end - 1] == '\r' || data[end - 1] == ' '))
		end--;
	start = end;
	while (start > 0 && data[start - 1] != '\n')
		start--;
	snprintf(out, len, "%.*s", (int)(end - start), (const char *)data + start);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	free(data);
}

/*
 * Read the console; with clock = console:, type the phase's date once it
 * shows "booted" (at once without a "booted" pattern).
 */
static void
console_pump(tgt_power *pw, int timeout_ms)
{
	const char *names[] = { "date", "epoch" }, *vals[] = { pw->date, pw->epoch };
	char **argv = NULL, msg[128];
	size_t argc = 0;
	buf_t b = {0};

	bcon_pump(&pw->con, timeout_ms);
	if (pw->d->clock != CLK_CONSOLE || pw->clock_sent || pw->con.wfd < 0
		|| (pw->t->booted != NULL && !pw->con.matched))
		return;
	pw->clock_sent = 1;
	if (tgt_expand_words(pw->d->clock_cmd, names, vals, 2, &argv, &argc, msg, sizeof msg) == 0)
		for (size_t i = 0; i < argc; i++)
			buf_printf(&b, "%s%s", i ? " " : "", argv[i]);
	argv_free(argv);
	buf_putc(&b, '\n');
	bcon_type(&pw->con, buf_cstr(&b));
	buf_free(&b);
}

/*
 * Run one of the board's commands with its output in log, within timeout
 * seconds, keeping the console read while it runs (pw may be NULL).
 */
static int
run_cmd(const char *what, char **argv, const char *log, int timeout, tgt_power *pw, char *err,
	size_t errlen)
{
	proc p;
	proc_io io;
	char st[64], last[200];
	long long end = proc_now_ms() + timeout * 1000LL;

	memset(&io, 0, sizeof io);
	io.stdout_path = log;
	io.stderr_path = log;
	if (proc_spawn(&p, what, argv, &io, err, errlen) != 0)
		return -1;
	while (!proc_wait(&p, pw ? 0 : 100)) {
		if (proc_now_ms() > end) {
			proc_stop(&p, 2000);
			tail_line(log, last, sizeof last);
			return util_err(err, errlen, "%s: %s did not finish within %d s (%s)%s%s",
				what, argv[0], timeout, log, last[0] ? ": " : "", last);
		}
		if (pw != NULL)
			console_pump(pw, 50);
	}
	if (WIFEXITED(p.status) && WEXITSTATUS(p.status) == 0)
		return 0;
	tail_line(log, last, sizeof last);
	return util_err(err, errlen, "%s: %s %s (%s)%s%s", what, argv[0],
		proc_status_text(p.status, st, sizeof st), log, last[0] ? ": " : "", last);
}

/* Take the lock of the first free board, waiting up to lock-timeout. */
static int
take_lock(const tgt *t, board_desc *d, const char *case_dir, char *err, size_t errlen)
{
	long long end = proc_now_ms() + d->lock_timeout * 1000LL;
	char *path = NULL;
	int intr;

	for (;;) {
		for (int i = 0; i < d->pool_size; i++) {
			int start = (int)(getpid() % d->pool_size), slot = (start + i) % d->pool_size;
			free(path);
			path = expand_one(t, d->lock, slot);
			int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
			if (fd < 0) {
				util_err(err, errlen, "%s: lock %s: %s", t->name, path, strerror(errno));
				free(path);
				return -1;
			}
			if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
				/* For a person wondering who holds the board. */
				char who[512];
				int n = snprintf(who, sizeof who, "pid %ld: %s\n", (long)getpid(),
					case_dir);
				if (ftruncate(fd, 0) != 0 || write(fd, who, (size_t)n) != n)
					who[0] = 0;
				d->lock_fd = fd;
				d->slot = slot;
				free(path);
				return 0;
			}
			close(fd);
		}
		struct timespec ts = { 0, 200 * 1000000L };
		intr = 0;
		if (proc_now_ms() > end || (intr = nanosleep(&ts, NULL) != 0)) {
			util_err(err, errlen, "%s: %s (%s is held%s)", t->name, intr
				? "interrupted while waiting for a free board" : "every board is in use",
				path, intr ? "" : " past lock-timeout");
			free(path);
			return -1;
		}
	}
}

/* The board's identity as a JSON object, allocated. */
static char *
board_identity(const tgt *t, const char *device)
{
	const board_desc *d = t->priv;
	static const char *const kinds[] = { "serial", "tcp", "command" };
	buf_t b = {0};
	char *con = expand_one(t, d->console, d->slot < 0 ? 0 : d->slot);
	char *lock = expand_one(t, d->lock, d->slot < 0 ? 0 : d->slot);

	buf_puts(&b, "{\"target\":");
	json_put_str(&b, t->name);
	buf_puts(&b, ",\"driver\":\"board\",\"pool\":");
	json_put_str(&b, d->pool ? d->pool : t->name);
	if (d->slot >= 0)
		buf_printf(&b, ",\"board\":%d", d->slot);
	buf_printf(&b, ",\"console\":\"%s:", kinds[d->con]);
	buf_t c = {0};
	json_put_str(&c, con);
	buf_append(&b, buf_cstr(&c) + 1, c.len - 1);	/* into the open string */
	buf_free(&c);
	buf_puts(&b, ",\"lock\":");
	json_put_str(&b, lock);
	if (d->network != NULL) {
		char *net = expand_one(t, d->network, d->slot < 0 ? 0 : d->slot);
		buf_puts(&b, ",\"network\":");
		json_put_str(&b, net);
		free(net);
	}
	{
		static const char *const clocks[] = { "none", "power-on", "console", "ntp" };
		buf_printf(&b, ",\"clock\":\"%s\"", clocks[d->clock]);
	}
	if (d->deploy_image != NULL) {
		char *img = tgt_file(t, d->deploy_image, device);
		buf_puts(&b, ",\"deploy_image\":");
		json_put_str(&b, img);
		free(img);
		if (d->image_sha[0])
			buf_printf(&b, ",\"deploy_image_sha256\":\"%s\"", d->image_sha);
	}
	buf_puts(&b, "}");
	free(con);
	free(lock);
	return buf_cstr(&b);
}

/*
 * A case gets a board: its lock, then the factory reset and the deploy of
 * the image under test, their output in the case's reset.log and
 * deploy.log, and board.json saying which board it was.
 */
static int
board_prepare(const tgt *t, const char *device, const char *case_dir, const char *etc_src,
	char *err, size_t errlen)
{
	board_desc *d = t->priv;
	board_vars bv;
	char **argv = NULL, *img = NULL, *log = NULL, *id = NULL, *path = NULL;
	int ret = -1;

	if (d->lock_fd < 0 && take_lock(t, d, case_dir, err, errlen) != 0)
		return -1;
	d->image_sha[0] = 0;
	if (d->network != NULL) {
		/* The interface of the board taken: the lab network joins it. */
		char *net = expand_one(t, d->network, d->slot);
		snprintf(d->net_iface, sizeof d->net_iface, "%s", net);
		free(net);
	}
	vars_init(&bv, t, d->slot);
	bv.v[4] = device;
	bv.v[5] = case_dir;
	bv.v[6] = etc_src;
	if (d->deploy_image != NULL) {
		unsigned char *data, h[32];
		size_t len;
		char msg[256];
		img = tgt_file(t, d->deploy_image, device);
		if (util_read_file(img, &data, &len, msg, sizeof msg) != 0) {
			util_err(err, errlen, "%s: no deploy image for %s (run make images): %s",
				t->name, device, msg);
			goto out;
		}
		util_sha256(h, data, len);
		free(data);
		util_hex(d->image_sha, h, 32);
		bv.v[7] = img;
	}
	if (d->acquire != NULL) {
		log = xasprintf("%s/acquire.log", case_dir);
		if (expand(t, "acquire", d->acquire, &bv, LOCK_NAMES, &argv, err, errlen) != 0
			|| run_cmd("acquire", argv, log, d->power_timeout, NULL, err, errlen) != 0)
			goto out;
		d->acquired = 1;
		argv_free(argv);
		argv = NULL;
		free(log);
		log = NULL;
	}
	if (d->reset != NULL) {
		log = xasprintf("%s/reset.log", case_dir);
		if (expand(t, "reset", d->reset, &bv, DEPLOY_NAMES, &argv, err, errlen) != 0
			|| run_cmd("reset", argv, log, d->deploy_timeout, NULL, err, errlen) != 0)
			goto out;
		argv_free(argv);
		argv = NULL;
		free(log);
		log = NULL;
	}
	if (d->deploy != NULL) {
		log = xasprintf("%s/deploy.log", case_dir);
		if (expand(t, "deploy", d->deploy, &bv, DEPLOY_NAMES, &argv, err, errlen) != 0
			|| run_cmd("deploy", argv, log, d->deploy_timeout, NULL, err, errlen) != 0)
			goto out;
	}
	id = board_identity(t, device);
	path = xasprintf("%s/board.json", case_dir);
	size_t idlen = strlen(id);
	id[idlen] = '\n';
	ret = util_write_atomic(path, id, idlen + 1, 0644, err, errlen);
out:
	argv_free(argv);
	free(img); free(log); free(id); free(path);
	return ret;
}

/* The case is over: the board is free for the next one. */
static void
board_finish(const tgt *t, const char *case_dir)
{
	board_desc *d = t->priv;
	board_vars bv;
	char **argv = NULL, err[256];
	int back = -1;

	if (d->acquired && d->release != NULL) {
		char *log = xasprintf("%s/release.log", case_dir);
		vars_init(&bv, t, d->slot);
		if (expand(t, "release", d->release, &bv, LOCK_NAMES, &argv, err, sizeof err) == 0
			&& host_enter(d, &back, err, sizeof err) == 0)
			run_cmd("release", argv, log, d->power_timeout, NULL, err, sizeof err);
		host_leave(back);
		argv_free(argv);
		free(log);
	}
	d->acquired = 0;
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	d->lock_fd = -1;
	d->slot = -1;
}

/* Append a note to board-N.log. */
static void
note(void *ctx, const char *fmt, const char *arg)
{
	tgt_power *pw = ctx;
	FILE *f = util_fopen_evidence(pw->blog, UTIL_EV_APPEND, NULL, 0);

	if (f == NULL)
		return;
	fprintf(f, "%.3f ", (double)proc_now_ms() / 1000.0);
	fprintf(f, fmt, arg);
	fputc('\n', f);
	fclose(f);
}

/*
 * The watchdog: a shell that reads one line from a socket the harness holds.
 * "stop" ends it quietly; "off" makes it run power-off (into power-off-N.log)
 * and exit with its status; the end of the socket (the harness died, even by
 * SIGKILL) makes it run power-off too (into watchdog-N.log). It holds the
 * board's lock as fd 3 until the board is off. It is in a session of its own
 * and outside the harness's process registry, so neither the terminal's
 * signals nor the harness's kill-everything on Ctrl-C stop a power-off
 * half-way: the harness's own power-off goes through it for that reason.
 */
static int
watchdog_start(tgt_power *pw, char *err, size_t errlen)
{
	static const char script[] = "read -r x; [ \"$x\" = stop ] && exit 0; t=$1 log=$2; "
		"[ \"$x\" = off ] && log=$3; shift 3; [ \"$x\" = off ] || echo \"the harness is "
		"gone: powering the board off\" >>\"$log\"; "
		"timeout -k 2 \"$t\" \"$@\" >>\"$log\" 2>&1 </dev/null 3>&-";
	size_t n = 0, i;
	char **argv, tmo[16], *log, *offlog;
	int sv[2];
	pid_t pid;

	while (pw->off_argv[n] != NULL)
		n++;
	argv = xcalloc(n + 8, sizeof *argv);
	snprintf(tmo, sizeof tmo, "%d", pw->d->power_timeout);
	log = xasprintf("%s/watchdog-%d.log", pw->boot_dir, pw->idx);
	offlog = xasprintf("%s/power-off-%d.log", pw->boot_dir, pw->idx);
	argv[0] = "sh"; argv[1] = "-c"; argv[2] = (char *)script; argv[3] = "rotsim-watchdog";
	argv[4] = tmo; argv[5] = log; argv[6] = offlog;
	for (i = 0; i < n; i++)
		argv[7 + i] = pw->off_argv[i];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		free(argv);
		free(log);
		free(offlog);
		return util_err(err, errlen, "watchdog: %s", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		/* Only async-signal-safe calls until exec. */
		int nul = open("/dev/null", O_RDWR);
		setsid();
		dup2(sv[1], 0);
		dup2(nul, 1);
		dup2(nul, 2);
		if (pw->d->lock_fd == 3)
			fcntl(3, F_SETFD, 0);
		else if (pw->d->lock_fd >= 0)
			dup2(pw->d->lock_fd, 3);
		else
			close(3);
		close_range(4, ~0U, 0);
		execv("/bin/sh", argv);
		_exit(127);
	}
	close(sv[1]);
	free(argv);
	free(log);
	free(offlog);
	if (pid < 0) {
		close(sv[0]);
		return util_err(err, errlen, "watchdog: fork: %s", strerror(errno));
	}
	pw->wd = pid;
	pw->wd_fd = sv[0];
	return 0;
}

static void
watchdog_stop(tgt_power *pw)
{
	int st;

	if (pw->wd <= 0)
		return;
	/* It reads the line and exits at once. */
	if (send(pw->wd_fd, "stop\n", 5, MSG_NOSIGNAL) != 5)
		kill(pw->wd, SIGKILL);
	close(pw->wd_fd);
	waitpid(pw->wd, &st, 0);
	pw->wd = 0;
}

/* Run power-off (on every way out of a power-on), through the watchdog,
 * reading the console meanwhile. */
static int
power_off_now(tgt_power *pw, char *err, size_t errlen)
{
	char *log = xasprintf("%s/power-off-%d.log", pw->boot_dir, pw->idx), last[200], st[64];
	long long end = proc_now_ms() + (pw->d->power_timeout + 5) * 1000LL;
	int status = 0, r = -1;
	pid_t w = 0;

	if (send(pw->wd_fd, "off\n", 4, MSG_NOSIGNAL) != 4)
		note(pw, "watchdog: %s", strerror(errno));
	close(pw->wd_fd);
	while ((w = waitpid(pw->wd, &status, WNOHANG)) == 0 && proc_now_ms() < end)
		console_pump(pw, 50);
	if (w == 0) {
		kill(pw->wd, SIGKILL);
		waitpid(pw->wd, &status, 0);
	}
	pw->wd = 0;
	if (w > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r = 0;
	} else {
		tail_line(log, last, sizeof last);
		util_err(err, errlen, "power-off: %s %s (%s)%s%s", pw->off_argv[0], w == 0 ? "hung"
			: WIFEXITED(status) && WEXITSTATUS(status) == 124 ? "timed out"
			: proc_status_text(status, st, sizeof st), log, last[0] ? ": " : "", last);
	}
	note(pw, "power-off: %s", r == 0 ? "ok" : err);
	free(log);
	return r;
}

static void
power_free(tgt_power *pw)
{
	bcon_close(&pw->con);
	watchdog_stop(pw);
	free(pw->con_spec);
	argv_free(pw->con_argv);
	if (pw->log_fd >= 0)
		close(pw->log_fd);
	argv_free(pw->off_argv);
	free(pw->boot_dir);
	free(pw->blog);
	free(pw);
}

/*
 * Power on: the console first (so the first byte is logged), the watchdog,
 * then power-on (or power-cycle). A failing power-on powers the board off
 * again and is an error with the command's output.
 */
static int
power_on_here(const tgt *t, const tgt_boot_args *a, tgt_power **out, char *err,
	size_t errlen)
{
	board_desc *d = t->priv;
	tgt_power *pw = xcalloc(1, sizeof *pw);
	board_vars bv;
	char **argv = NULL, port[16], server[32], *path = NULL;
	const char *key = d->power_cycle ? "power-cycle" : "power-on";
	int ret = -1;

	*out = NULL;
	pw->t = t;
	pw->d = d;
	pw->idx = a->boot_index;
	pw->wd_fd = -1;
	bcon_init(&pw->con);
	pw->boot_dir = xstrdup(a->boot_dir);
	pw->blog = xasprintf("%s/board-%d.log", a->boot_dir, a->boot_index);
	path = xasprintf("%s/console-%d.log", a->boot_dir, a->boot_index);
	pw->log_fd = util_open_evidence(path, UTIL_EV_NEW, 0644, err, errlen);
	if (pw->log_fd < 0)
		goto fail;
	if (d->lock_fd < 0 && take_lock(t, d, a->case_dir, err, errlen) != 0)
		goto fail;
	simtime_format(pw->date, sizeof pw->date, a->rtc);
	pw->date[19] = 0;
	snprintf(pw->epoch, sizeof pw->epoch, "%lld", (long long)a->rtc);
	snprintf(port, sizeof port, "%d", a->server_port);
	snprintf(server, sizeof server, "127.0.0.1:%d", a->server_port);
	vars_init(&bv, t, d->slot);
	bv.v[4] = a->device; bv.v[5] = a->case_dir; bv.v[8] = a->boot_dir;
	bv.v[9] = pw->date; bv.v[10] = pw->epoch; bv.v[11] = port; bv.v[12] = server;
	if (expand(t, "power-off", d->power_off, &bv, POWER_NAMES, &pw->off_argv, err,
		errlen) != 0 || expand(t, key, d->power_cycle ? d->power_cycle : d->power_on, &bv,
		POWER_NAMES, &argv, err, errlen) != 0)
		goto fail;
	/* The exact command, for a person who wants to repeat a boot. */
	buf_t cmd = {0};
	for (size_t i = 0; argv[i] != NULL; i++)
		buf_printf(&cmd, "%s'%s'", i ? " " : "", argv[i]);
	buf_putc(&cmd, '\n');
	free(path);
	path = xasprintf("%s/boot-%d.cmd", a->boot_dir, a->boot_index);
	int wr = util_write_atomic(path, cmd.data, cmd.len, 0644, err, errlen);
	buf_free(&cmd);
	if (wr != 0 || watchdog_start(pw, err, errlen) != 0)
		goto fail;
	/* The console before the power: its first byte is in the log. */
	pw->con.kind = d->con;
	pw->con.spec = pw->con_spec = expand_one(t, d->console, d->slot);
	if (d->con == BCON_COMMAND && expand(t, "console", d->console, &bv, LOCK_NAMES,
		&pw->con_argv, err, errlen) != 0)
		goto fail;
	pw->con.argv = pw->con_argv;
	pw->con.stderr_log = pw->blog;
	pw->con.log_fd = pw->log_fd;
	pw->con.want = t->booted;
	pw->con.note = note;
	pw->con.ctx = pw;
	if (d->con == BCON_COMMAND && bcon_open(&pw->con, err, errlen) != 0)
		goto fail;
	console_pump(pw, 0);
	free(path);
	path = xasprintf("%s/%s-%d.log", a->boot_dir, key, a->boot_index);
	if (run_cmd(key, argv, path, d->power_timeout, pw, err, errlen) != 0) {
		char msg[256];
		note(pw, "%s failed", key);
		power_off_now(pw, msg, sizeof msg);
		goto fail;
	}
	note(pw, "%s: ok", key);
	ret = 0;
	*out = pw;
	pw = NULL;
fail:
	if (pw != NULL)
		power_free(pw);
	argv_free(argv);
	free(path);
	return ret;
}

/* Power on, from the host's network namespace (host_enter). */
static int
board_power_on(const tgt *t, const tgt_boot_args *a, tgt_power **out, char *err,
	size_t errlen)
{
	int back, r;

	*out = NULL;
	if (host_enter(t->priv, &back, err, errlen) != 0)
		return -1;
	r = power_on_here(t, a, out, err, errlen);
	host_leave(back);
	return r;
}

/* The board runs until the harness powers it off: its console says when. */
static int
board_wait(tgt_power *pw, int timeout_ms)
{
	char err[256];
	int back;

	if (host_enter(pw->d, &back, err, sizeof err) != 0) {
		note(pw, "%s", err);
		return 0;
	}
	console_pump(pw, timeout_ms);
	host_leave(back);
	return 0;
}

static void
board_power_off(tgt_power *pw, tgt_end *end)
{
	char msg[256];
	int back = -1;

	memset(end, 0, sizeof *end);
	if (pw == NULL)
		return;
	/* The watchdog runs power-off; only the console needs the host. */
	if (host_enter(pw->d, &back, msg, sizeof msg) != 0)
		note(pw, "%s", msg);
	console_pump(pw, 100);
	if (power_off_now(pw, msg, sizeof msg) == 0)
		snprintf(end->how, sizeof end->how, "powered off by the harness%s",
			pw->con.lost ? " (the console had closed)" : "");
	else
		snprintf(end->how, sizeof end->how, "power-off failed: %.70s", msg);
	power_free(pw);
	host_leave(back);
}

static void
board_capture(const tgt *t, int server_port, int sntp_port, tgt_capture *c)
{
	const board_desc *d = t->priv;

	memset(c, 0, sizeof *c);
	if (!d->loopback)
		return;
	snprintf(c->iface, sizeof c->iface, "lo");
	snprintf(c->filter, sizeof c->filter, "tcp port %d", server_port);
}

static int
board_wire_port(const tgt *t, int server_port)
{
	return server_port;
}

static size_t
board_boot_files(const tgt *t, const char *device, char **labels, char **paths, size_t max)
{
	const board_desc *d = t->priv;

	if (max < 1 || d->deploy_image == NULL)
		return 0;
	labels[0] = xstrdup("deploy-image");
	paths[0] = tgt_file(t, d->deploy_image, device);
	return 1;
}

static char *
board_emulator_version(const tgt *t) { return NULL; }

const tgt_driver tgt_driver_board = {
	.name = "board",
	.load = board_load,
	.free = board_free,
	.prepare = board_prepare,
	.finish = board_finish,
	.power_on = board_power_on,
	.wait = board_wait,
	.power_off = board_power_off,
	.capture = board_capture,
	.wire_port = board_wire_port,
	.boot_files = board_boot_files,
	.emulator_version = board_emulator_version,
	.identity = board_identity,
};
