/*
 * The board driver without a board: descriptions it must refuse, power
 * commands that fail, a serial console on a pty, a command console, the clock
 * typed on the console, the lock and the pool, deploy and identity, and the
 * watchdog that powers the board off when the harness is killed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target/target.h"

static char top[256];		/* a temporary targets directory */

/* The fake lab: power.sh records each command in CASE/power and fails with
 * its message when CASE/fail exists; deploy.sh copies the image. */
static const char power_sh[] =
	"#!/bin/sh\n"
	"echo \"$1\" >> \"$2/power\"\n"
	"if [ -e \"$2/fail-$1\" ]; then echo \"relay 2 does not answer\"; exit 3; fi\n"
	"echo \"power $1 done\"\n";
static const char deploy_sh[] =
	"#!/bin/sh\n"
	"[ -f \"$2\" ] || { echo \"no image $2\"; exit 4; }\n"
	"cp \"$2\" \"$1/deployed\"\n";
/* A console program: says it booted, then echoes what it is sent. */
static const char console_sh[] =
	"#!/bin/sh\n"
	"echo 'U-Boot 2024.01'; echo 'rotsim: booted'\n"
	"while read -r l; do echo \"got: $l\"; done\n";

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static char *
slurp(const char *dir, const char *name)
{
	char *path = xasprintf("%s/%s", dir, name);
	unsigned char *data;
	size_t len;

	int r = util_read_file(path, &data, &len, NULL, 0);

	free(path);
	if (r != 0)
		return xstrdup("");
	data = xrealloc(data, len + 1);
	data[len] = 0;
	return (char *)data;
}

/* targets/NAME/target.conf: a board with these extra lines. */
static void
board_conf(const char *name, const char *extra)
{
	char *dir = xasprintf("%s/%s", top, name), *path = xasprintf("%s/target.conf", dir);
	char *text = xasprintf("[target %s]\ndriver = board\n%s", name, extra);

	mkdir(dir, 0755);
	write_file(path, text, 0644);
	free(dir); free(path); free(text);
}

/* The keys every test board shares, then extra. */
static char *
conf_with(const char *extra)
{
	return xasprintf("power-on = %s/power.sh on {case}\npower-off = %s/power.sh off {case}\n"
		"power-timeout = 5\nlock = %s/lock-{target}-{board}\nlock-timeout = 0\n"
		"done = rotsim: done\n%s", top, top, top, extra);
}

static void
setup(void)
{
	char *p;

	snprintf(top, sizeof top, "/tmp/check-board-XXXXXX");
	ck_assert(mkdtemp(top) != NULL);
	setenv("ROTSIM_TARGETS", top, 1);
	p = xasprintf("%s/power.sh", top);
	write_file(p, power_sh, 0755);
	free(p);
	p = xasprintf("%s/deploy.sh", top);
	write_file(p, deploy_sh, 0755);
	free(p);
	p = xasprintf("%s/console.sh", top);
	write_file(p, console_sh, 0755);
	free(p);
}

static void
teardown(void)
{
	char *cmd = xasprintf("rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
	free(cmd);
}

/* Load a board described by extra (after the shared keys, or alone when it
 * starts with "!"); 0 or -1 with err. */
static int
load(tgt *t, const char *name, const char *extra, char *err, size_t errlen)
{
	char *c = extra[0] == '!' ? xstrdup(extra + 1) : conf_with(extra);
	int r;

	board_conf(name, c);
	free(c);
	r = tgt_load(t, name, top, err, errlen);
	return r;
}

static const struct { const char *extra, *want; } refused[] = {
	{ "console = tcp:127.0.0.1:4000\nbaud = 9600\n", "unknown key \"baud\"" },
	{ "console = telnet:h:1\n", "want serial:DEVICE[,BAUD], tcp:HOST:PORT" },
	{ "console = tcp:nohostport\n", "want tcp:HOST:PORT" },
	{ "console = tcp:h:1\nclock = ntp\n", "clock = ntp needs \"network\"" },
	{ "console = tcp:h:1\nnetwork = eth1 eth2\n", "network: \"eth1 eth2\": want the name" },
	{ "console = tcp:h:1\nnetwork = an-interface-name-too-long\n", "up to 15 characters" },
	{ "console = tcp:h:1\nnetwork = eth{slot}\n", "unknown placeholder {slot}" },
	{ "console = tcp:h:1\nnetwork = eth1\ncapture = loopback\n", "captured on the lab's bridge" },
	{ "console = tcp:h:1\ncapture = bridge\n", "bridge goes with network" },
	{ "console = tcp:h:1\nclock = sundial\n", "clock: \"sundial\"" },
	{ "console = tcp:h:1\nclock = power-on\n", "power-on does not use {date}" },
	{ "console = tcp:h:1\npower-cycle = cycle {plug}\n", "unknown placeholder {plug}" },
	{ "console = tcp:h:1\npool-size = 2\n", "pool-size needs \"pool\"" },
	{ "!console = tcp:h:1\npool = p\npool-size = 2\nlock = /tmp/x.lock\npower-on = a\n"
		"power-off = b\ndone = d\n", "needs {board}" },
	{ "console = tcp:h:1\ndeploy-image = x.img\n", "deploy-image needs \"deploy\"" },
	{ "!console = tcp:h:1\npower-timeout = 0\npower-on = a\npower-off = b\ndone = d\n",
		"power-timeout: want a whole number" },
	{ "", "a board needs \"console\"" },
};

START_TEST(test_refused)
{
	tgt t;
	char err[512] = "";

	ck_assert_int_eq(load(&t, "bad", refused[_i].extra, err, sizeof err), -1);
	ck_assert_msg(strstr(err, refused[_i].want) != NULL, "got \"%s\", want \"%s\"", err,
		refused[_i].want);
	ck_assert_msg(strstr(err, "bad/target.conf") != NULL, "no path in \"%s\"", err);
}
END_TEST

START_TEST(test_no_done)
{
	tgt t;
	char err[512] = "", *c = xasprintf("console = tcp:h:1\npower-on = a\npower-off = b\n");

	board_conf("nodone", c);
	free(c);
	ck_assert_int_eq(tgt_load(&t, "nodone", top, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "needs \"done\"") != NULL, "%s", err);
}
END_TEST

/* A boot with the command console: logged, the clock typed after "booted". */
START_TEST(test_command_console_clock)
{
	tgt t;
	tgt_power *pw = NULL;
	tgt_boot_args a;
	tgt_end end;
	char err[512], *extra = xasprintf("console = command:%s/console.sh\n"
		"clock = console:date -s @{epoch} # {date}\nbooted = rotsim: booted\n", top);
	char *cs = xasprintf("%s/case", top), *text;

	ck_assert_msg(load(&t, "cmdcon", extra, err, sizeof err) == 0, "%s", err);
	mkdir(cs, 0755);
	ck_assert_msg(t.drv->prepare(&t, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	memset(&a, 0, sizeof a);
	a.device = "dev"; a.case_dir = cs; a.boot_dir = cs; a.rtc = 1719792000;
	ck_assert_msg(t.drv->power_on(&t, &a, &pw, err, sizeof err) == 0, "%s", err);
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(t.drv->wait(pw, 100), 0);
		text = slurp(cs, "console-0.log");
		int got = strstr(text, "got: date -s @1719792000 # 2024-07-01T00:00:00") != NULL;
		free(text);
		if (got)
			break;
	}
	t.drv->power_off(pw, &end);
	text = slurp(cs, "console-0.log");
	ck_assert_msg(strstr(text, "U-Boot 2024.01\nrotsim: booted\n") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "got: date -s @1719792000 # 2024-07-01T00:00:00") != NULL,
		"the clock was not typed: %s", text);
	free(text);
	text = slurp(cs, "power");
	ck_assert_str_eq(text, "on\noff\n");
	free(text);
	ck_assert_msg(strstr(end.how, "powered off by the harness") != NULL, "%s", end.how);
	t.drv->finish(&t, cs);
	tgt_free(&t);
	free(extra); free(cs);
}
END_TEST

/* A failing power-on is an error with its output; the board is powered
 * off again. */
START_TEST(test_power_on_fails)
{
	tgt t;
	tgt_power *pw = NULL;
	tgt_boot_args a;
	char err[512], *cs = xasprintf("%s/case", top), *f, *text;

	ck_assert_msg(load(&t, "failon", "console = tcp:127.0.0.1:9\n", err, sizeof err) == 0,
		"%s", err);
	mkdir(cs, 0755);
	f = xasprintf("%s/fail-on", cs);
	write_file(f, "", 0644);
	memset(&a, 0, sizeof a);
	a.device = "dev"; a.case_dir = cs; a.boot_dir = cs;
	ck_assert_int_eq(t.drv->power_on(&t, &a, &pw, err, sizeof err), -1);
	ck_assert_ptr_null(pw);
	ck_assert_msg(strstr(err, "power-on") && strstr(err, "exit 3")
		&& strstr(err, "relay 2 does not answer"), "%s", err);
	text = slurp(cs, "power");
	ck_assert_str_eq(text, "on\noff\n");
	free(text);
	tgt_free(&t);
	free(cs); free(f);
}
END_TEST

/* serial:DEVICE,BAUD on a pty: raw bytes logged, the clock typed back. */
START_TEST(test_serial_pty)
{
	tgt t;
	tgt_power *pw = NULL;
	tgt_boot_args a;
	tgt_end end;
	char err[512], buf[256] = "", *cs = xasprintf("%s/case", top), *extra, *text;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	size_t got = 0;

	ck_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
	extra = xasprintf("console = serial:%s,115200\nclock = console:date -s @{epoch}\n"
		"booted = login:\n", ptsname(m));
	ck_assert_msg(load(&t, "serial", extra, err, sizeof err) == 0, "%s", err);
	mkdir(cs, 0755);
	memset(&a, 0, sizeof a);
	a.device = "dev"; a.case_dir = cs; a.boot_dir = cs; a.rtc = 86400;
	ck_assert_msg(t.drv->power_on(&t, &a, &pw, err, sizeof err) == 0, "%s", err);
	/* The pattern split across two writes still matches. */
	ck_assert_int_eq(write(m, "\x00\xff" "board log", 11), 11);
	t.drv->wait(pw, 200);
	ck_assert_int_eq(write(m, "in: \n", 5), 5);
	for (int i = 0; i < 20 && strstr(buf, "\n") == NULL; i++) {
		t.drv->wait(pw, 100);
		fcntl(m, F_SETFL, O_NONBLOCK);
		ssize_t n = read(m, buf + got, sizeof buf - 1 - got);
		if (n > 0)
			got += (size_t)n;
		buf[got] = 0;
	}
	ck_assert_msg(strstr(buf, "date -s @86400") != NULL, "typed \"%s\"", buf);
	t.drv->power_off(pw, &end);
	text = slurp(cs, "console-0.log");
	ck_assert_int_eq(memcmp(text, "\x00\xff" "board login: \n", 16), 0);
	free(text);
	close(m);
	t.drv->finish(&t, cs);
	tgt_free(&t);
	free(cs); free(extra);
}
END_TEST

/* network = IFACE puts the board on the lab network: it carries UDP (SNTP),
 * the interface of the board a case took is the one the lab joins, and the
 * identity names it. */
START_TEST(test_network)
{
	tgt t, n;
	char err[512], *cs = xasprintf("%s/case", top), *id;

	mkdir(cs, 0755);
	ck_assert_msg(load(&n, "nonet", "console = tcp:h:1\n", err, sizeof err) == 0, "%s", err);
	ck_assert(!n.lab && !n.udp && n.lab_iface == NULL);
	tgt_free(&n);
	ck_assert_msg(load(&t, "net", "console = tcp:h:1\npool = p\npool-size = 2\n"
		"network = rsbq{board}\nclock = ntp\n", err, sizeof err) == 0, "%s", err);
	ck_assert(t.lab && t.udp && t.lab_iface != NULL);
	ck_assert_msg(t.drv->prepare(&t, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	id = tgt_identity(&t, "dev");
	ck_assert_msg((strcmp(t.lab_iface, "rsbq0") == 0 && strstr(id, "\"network\":\"rsbq0\""))
		|| (strcmp(t.lab_iface, "rsbq1") == 0 && strstr(id, "\"network\":\"rsbq1\"")),
		"%s %s", t.lab_iface, id);
	ck_assert_msg(strstr(id, "\"clock\":\"ntp\"") != NULL, "%s", id);
	t.drv->finish(&t, cs);
	tgt_free(&t);
	free(id);
	free(cs);
}
END_TEST

/* One case per board: a second case waits for (here: is refused) the lock;
 * a pool of two gives two cases two boards. */
START_TEST(test_lock_and_pool)
{
	tgt a, b, c;
	char err[512], *cs = xasprintf("%s/case", top), *j1, *j2;

	mkdir(cs, 0755);
	ck_assert_msg(load(&a, "one", "console = tcp:h:1\n", err, sizeof err) == 0, "%s", err);
	ck_assert_msg(tgt_load(&b, "one", top, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(a.drv->prepare(&a, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(b.drv->prepare(&b, "dev", cs, cs, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "every board is in use") != NULL, "%s", err);
	a.drv->finish(&a, cs);
	ck_assert_msg(b.drv->prepare(&b, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	b.drv->finish(&b, cs);
	tgt_free(&a);
	tgt_free(&b);

	ck_assert_msg(load(&a, "pool", "console = tcp:h:1\npool = p\npool-size = 2\n", err,
		sizeof err) == 0, "%s", err);
	ck_assert(tgt_load(&b, "pool", top, err, sizeof err) == 0);
	ck_assert(tgt_load(&c, "pool", top, err, sizeof err) == 0);
	ck_assert_msg(a.drv->prepare(&a, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	j1 = tgt_identity(&a, "dev");
	ck_assert_msg(b.drv->prepare(&b, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	j2 = tgt_identity(&b, "dev");
	ck_assert_int_eq(c.drv->prepare(&c, "dev", cs, cs, err, sizeof err), -1);
	ck_assert_msg((strstr(j1, "\"board\":0") && strstr(j2, "\"board\":1"))
		|| (strstr(j1, "\"board\":1") && strstr(j2, "\"board\":0")), "%s %s", j1, j2);
	ck_assert_msg(strstr(j1, "\"pool\":\"p\"") != NULL, "%s", j1);
	a.drv->finish(&a, cs);
	ck_assert_msg(c.drv->prepare(&c, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	b.drv->finish(&b, cs);
	c.drv->finish(&c, cs);
	tgt_free(&a); tgt_free(&b); tgt_free(&c);
	free(cs); free(j1); free(j2);
}
END_TEST

/* Deploy writes the image, its hash is the board's identity; a failing
 * deploy is an error with its output. */
START_TEST(test_deploy_identity)
{
	tgt t, q;
	char err[512], *cs = xasprintf("%s/case", top), *img = xasprintf("%s/image.bin", top);
	char *extra = xasprintf("console = tcp:h:1\ndeploy = %s/deploy.sh {case} {image}\n"
		"deploy-image = %s\nacquire = %s/power.sh acquire %s\n"
		"release = %s/power.sh release %s\n", top, img, top, top, top, top), *text, *id;

	mkdir(cs, 0755);
	write_file(img, "abc", 0644);
	ck_assert_msg(load(&t, "dep", extra, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(t.drv->prepare(&t, "dev", cs, cs, err, sizeof err) == 0, "%s", err);
	text = slurp(cs, "deployed");
	ck_assert_str_eq(text, "abc");
	free(text);
	text = slurp(cs, "board.json");
	ck_assert_msg(strstr(text, "\"deploy_image_sha256\":\"ba7816bf8f01cfea414140de5dae2223"
		"b00361a396177a9cb410ff61f20015ad\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"target\":\"dep\",\"driver\":\"board\"") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "\"console\":\"tcp:h:1\"") != NULL, "%s", text);
	free(text);
	t.drv->finish(&t, cs);
	/* The lab's reservation is taken and given back around the case. */
	text = slurp(top, "power");
	ck_assert_str_eq(text, "acquire\nrelease\n");
	free(text);
	unlink(img);
	ck_assert_int_eq(t.drv->prepare(&t, "dev", cs, cs, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "no deploy image") != NULL, "%s", err);
	t.drv->finish(&t, cs);
	tgt_free(&t);

	/* Other drivers get the generic identity. */
	char *qd = xasprintf("%s/q", top), *qc = xasprintf("%s/target.conf", qd);
	mkdir(qd, 0755);
	write_file(qc, "[target q]\ndriver = qemu\nqemu = qemu-system-x86_64\nmachine = q35\n"
		"memory = 256\nkernel = k\ninitramfs = i\nnic = virtio-net-pci\n", 0644);
	ck_assert_msg(tgt_load(&q, "q", top, err, sizeof err) == 0, "%s", err);
	id = tgt_identity(&q, "dev");
	ck_assert_str_eq(id, "{\"target\":\"q\",\"driver\":\"qemu\"}");
	tgt_free(&q);
	free(id); free(qd); free(qc); free(cs); free(img); free(extra);
}
END_TEST

/* The harness killed with SIGKILL while the board is on: the watchdog
 * powers it off, then the lock is free. */
START_TEST(test_watchdog)
{
	char *cs = xasprintf("%s/case", top), *lock = xasprintf("%s/lock-wd-0", top), *text = NULL;
	int p[2], st, fd, i;
	pid_t pid;

	mkdir(cs, 0755);
	{
		tgt t;
		char err[512];
		ck_assert_msg(load(&t, "wd", "console = tcp:127.0.0.1:9\n", err, sizeof err) == 0,
			"%s", err);
		tgt_free(&t);
	}
	ck_assert(pipe(p) == 0);
	pid = fork();
	if (pid == 0) {
		tgt t;
		tgt_power *pw;
		tgt_boot_args a;
		char err[512];
		close(p[0]);
		if (tgt_load(&t, "wd", top, err, sizeof err) != 0
			|| t.drv->prepare(&t, "dev", cs, cs, err, sizeof err) != 0)
			_exit(1);
		memset(&a, 0, sizeof a);
		a.device = "dev"; a.case_dir = cs; a.boot_dir = cs;
		if (t.drv->power_on(&t, &a, &pw, err, sizeof err) != 0)
			_exit(2);
		if (write(p[1], "x", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	char c;
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	close(p[0]);
	text = slurp(cs, "power");
	ck_assert_str_eq(text, "on\n");
	free(text);
	/* While the "harness" lives, the board is locked. */
	fd = open(lock, O_RDWR);
	ck_assert(fd >= 0);
	ck_assert_int_eq(flock(fd, LOCK_EX | LOCK_NB), -1);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	for (i = 0; i < 100; i++) {
		text = slurp(cs, "power");
		if (strcmp(text, "on\noff\n") == 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
			break;
		free(text);
		text = NULL;
		usleep(50000);
	}
	ck_assert_msg(text != NULL, "no power-off or the lock still held after SIGKILL");
	ck_assert_str_eq(text, "on\noff\n");
	free(text);
	text = slurp(cs, "watchdog-0.log");
	ck_assert_msg(strstr(text, "the harness is gone") && strstr(text, "power off done"), "%s",
		text);
	free(text);
	close(fd);
	free(cs); free(lock);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("board");
	TCase *tc = tcase_create("board");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_refused, 0, sizeof refused / sizeof *refused);
	tcase_add_test(tc, test_no_done);
	tcase_add_test(tc, test_command_console_clock);
	tcase_add_test(tc, test_power_on_fails);
	tcase_add_test(tc, test_serial_pty);
	tcase_add_test(tc, test_network);
	tcase_add_test(tc, test_lock_and_pool);
	tcase_add_test(tc, test_deploy_identity);
	tcase_add_test(tc, test_watchdog);
	tcase_set_timeout(tc, 30);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
