/* Unit tests of child-process control, harness/run/proc.c. */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "run/proc.h"

START_TEST(test_exit_status_and_output)
{
	char tmpl[] = "/tmp/rotsim-proc-XXXXXX", err[256], *out;
	proc p;
	proc_io io;
	unsigned char *data;
	size_t len;
	char *const argv[] = { "sh", "-c", "echo hello; echo oops >&2; exit 3", NULL };

	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	out = xasprintf("%s/out", tmpl);
	memset(&io, 0, sizeof io);
	io.stdout_path = out;
	io.stderr_path = out;
	ck_assert_int_eq(proc_spawn(&p, "sh", argv, &io, err, sizeof err), 0);
	ck_assert_int_eq(proc_wait(&p, 5000), 1);
	ck_assert(WIFEXITED(p.status));
	ck_assert_int_eq(WEXITSTATUS(p.status), 3);
	ck_assert_int_eq(util_read_file(out, &data, &len, err, sizeof err), 0);
	ck_assert_str_eq((char *)data, "hello\noops\n");
	free(data);
	unlink(out);
	rmdir(tmpl);
	free(out);
}
END_TEST

START_TEST(test_exec_failure_reported)
{
	proc p;
	char err[256];
	char *const argv[] = { "/nonexistent/program", NULL };
	ck_assert_int_eq(proc_spawn(&p, "ghost", argv, NULL, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot run /nonexistent/program"));
	ck_assert_int_eq(p.pid, 0);
}
END_TEST

START_TEST(test_timeout_then_stop_kills_group)
{
	proc p;
	char err[256], line[64];
	int fd;
	proc_io io;
	/* The child starts a grandchild that ignores SIGTERM; stopping the
	 * group must still end both. */
	char *const argv[] = { "sh", "-c",
		"sh -c 'trap \"\" TERM; echo $$; sleep 60' & wait", NULL };

	memset(&io, 0, sizeof io);
	io.stdout_pipe = 1;
	io.out_fd = &fd;
	ck_assert_int_eq(proc_spawn(&p, "sleeper", argv, &io, err, sizeof err), 0);
	ck_assert_int_gt(proc_read_line(fd, line, sizeof line, 5000), 0);
	pid_t grandchild = (pid_t)atoi(line);
	ck_assert_int_gt(grandchild, 1);
	ck_assert_int_eq(proc_wait(&p, 200), 0);
	long long t0 = proc_now_ms();
	proc_stop(&p, 300);
	ck_assert_int_lt(proc_now_ms() - t0, 3000);
	ck_assert_int_eq(p.pid, 0);
	/* The grandchild is gone (or a zombie about to be reaped by init). */
	usleep(100000);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)grandchild);
	FILE *f = fopen(path, "r");
	if (f != NULL) {
		char state = 0;
		ck_assert_int_eq(fscanf(f, "%*d %*s %c", &state), 1);
		fclose(f);
		ck_assert_msg(state == 'Z', "grandchild still running (state %c)", state);
	}
	close(fd);
	proc_stop(&p, 100);	/* idempotent */
}
END_TEST

START_TEST(test_read_line_timeout)
{
	int fds[2];
	char buf[16];
	ck_assert_int_eq(pipe(fds), 0);
	long long t0 = proc_now_ms();
	ck_assert_int_eq(proc_read_line(fds[0], buf, sizeof buf, 100), -1);
	ck_assert_int_ge(proc_now_ms() - t0, 90);
	ck_assert_int_eq(write(fds[1], "listening x\nrest", 16), 16);
	ck_assert_int_eq(proc_read_line(fds[0], buf, sizeof buf, 100), 11);
	ck_assert_str_eq(buf, "listening x");
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* proc_spawn_fn: the function's arguments, its output on a pipe, its return
 * value as the exit status; the parent's buffered output is not written again
 * by the child, and no descriptor of the parent but 0, 1 and 2 is open in it. */
static int spy_fd = -1;

static int
spy_main(int argc, char **argv)
{
	printf("%d %s %s open=%d\n", argc, argv[0], argv[argc - 1],
		fcntl(spy_fd, F_GETFD) != -1);
	fflush(stdout);
	return 7;
}

START_TEST(test_spawn_fn)
{
	proc p;
	proc_io io;
	char err[256], line[128];
	int fd = -1;
	char *const argv[] = { "serve", "--x", "last", NULL };

	spy_fd = open("/dev/null", O_RDONLY);	/* not close-on-exec */
	ck_assert_int_ge(spy_fd, 3);
	/* Buffered, never flushed here: a child that wrote it would put it
	 * before its own line. */
	setvbuf(stdout, NULL, _IOFBF, 4096);
	printf("parent's pending output\n");
	memset(&io, 0, sizeof io);
	io.stdout_pipe = 1;
	io.out_fd = &fd;
	ck_assert_int_eq(proc_spawn_fn(&p, "spy", spy_main, argv, &io, err, sizeof err), 0);
	ck_assert_int_ge(proc_read_line(fd, line, sizeof line, 5000), 0);
	ck_assert_str_eq(line, "3 serve last open=0");
	ck_assert_int_eq(proc_wait(&p, 5000), 1);
	ck_assert(WIFEXITED(p.status));
	ck_assert_int_eq(WEXITSTATUS(p.status), 7);
	close(fd);
	close(spy_fd);
	fflush(stdout);
}
END_TEST

/* The child dies with its parent: PR_SET_PDEATHSIG. */
START_TEST(test_child_dies_with_parent)
{
	int fds[2];
	char line[32];
	ck_assert_int_eq(pipe(fds), 0);
	pid_t mid = fork();
	if (mid == 0) {
		proc p;
		char err[128];
		proc_io io;
		char *const argv[] = { "sleep", "60", NULL };
		memset(&io, 0, sizeof io);
		if (proc_spawn(&p, "sleep", argv, &io, err, sizeof err) != 0)
			_exit(1);
		dprintf(fds[1], "%d\n", (int)p.pid);
		pause();
		_exit(0);
	}
	ck_assert_int_gt(proc_read_line(fds[0], line, sizeof line, 5000), 0);
	pid_t child = (pid_t)atoi(line);
	kill(mid, SIGKILL);
	waitpid(mid, NULL, 0);
	int gone = 0;
	for (int i = 0; i < 100 && !gone; i++) {
		char path[64], state = 0;
		snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
		FILE *f = fopen(path, "r");
		if (f == NULL) {
			gone = 1;
			break;
		}
		if (fscanf(f, "%*d %*s %c", &state) == 1 && state == 'Z')
			gone = 1;
		fclose(f);
		usleep(20000);
	}
	ck_assert_msg(gone, "child %d outlived its parent", (int)child);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_exit_status_and_output);
	tcase_add_test(tc, test_exec_failure_reported);
	tcase_add_test(tc, test_timeout_then_stop_kills_group);
	tcase_add_test(tc, test_read_line_timeout);
	tcase_add_test(tc, test_spawn_fn);
	tcase_add_test(tc, test_child_dies_with_parent);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
