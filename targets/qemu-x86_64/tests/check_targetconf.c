/*
 * The QEMU target descriptions (target.conf of qemu-x86_64 and qemu-aarch64)
 * read with the project's own section-file lexer, sim/common/cfg.c: one
 * [target NAME] section, every key README.md documents and no other, each once,
 * with values the qemu driver can use. boot.sh reads the same files with awk; this test
 * keeps them within the syntax the harness's C driver will parse.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"

#include <stdio.h>

static const char *const conf_paths[] = {
	"targets/qemu-x86_64/target.conf",
	"targets/qemu-aarch64/target.conf",
};

/* Every key of a [target] section; "cpu" alone may be empty. */
static const char *const keys[] = {
	"driver", "qemu", "machine", "cpu", "accel", "memory", "kernel",
	"initramfs", "flash", "flash-device", "append", "console", "clock",
	"network", "nic", "server", "capture", "booted", "reboot", "boot-timeout",
	"run-timeout",
};

/* Values the current driver understands, for the keys that name a method. */
static const struct { const char *key, *val; } methods[] = {
	{ "driver", "qemu" },
	{ "console", "serial" },
	{ "clock", "rtc" },
	{ "network", "user-restricted" },
	{ "capture", "filter-dump" },
	{ "server", "10.0.2.100:443" },
};

/* Whether the guest's /init prints text (the done and reboot console lines
 * must be lines it prints). */
static int
init_prints(const char *text)
{
	FILE *f = fopen("targets/qemu-x86_64/init.sh", "r");
	char line[512];
	int found = 0;

	ck_assert_msg(f != NULL, "targets/qemu-x86_64/init.sh: cannot open");
	while (!found && fgets(line, sizeof line, f) != NULL)
		found = strstr(line, "echo") != NULL && strstr(line, text) != NULL;
	fclose(f);
	return found;
}

static long
positive(const cfg_entry *e)
{
	char *end;
	long v = strtol(e->val, &end, 10);

	ck_assert_msg(*e->val != '\0' && *end == '\0' && v > 0,
		"line %d: %s = \"%s\" is not a positive number", e->line, e->key, e->val);
	return v;
}

START_TEST(test_target_conf)
{
	const char *path = conf_paths[_i];
	cfg_doc d;
	cfg_section *s;
	cfg_entry *e, *dup;
	char err[256];
	size_t i;

	ck_assert_msg(cfg_parse_file(&d, path, err, sizeof err) == 0, "%s", err);
	ck_assert_int_eq(d.n, 1);
	s = &d.secs[0];
	ck_assert_str_eq(s->kind, "target");
	ck_assert_ptr_nonnull(s->name);
	ck_assert_msg(strstr(path, s->name) != NULL, "%s: section [target %s] is not named for its directory",
		path, s->name);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		dup = NULL;
		e = cfg_get(s, keys[i], &dup);
		ck_assert_msg(dup == NULL, "%s:%d: \"%s\" given twice", path, dup ? dup->line : 0, keys[i]);
		ck_assert_msg(e != NULL, "%s: no \"%s\"", path, keys[i]);
		ck_assert_msg(*e->val != '\0' || strcmp(keys[i], "cpu") == 0,
			"%s:%d: \"%s\" is empty", path, e->line, keys[i]);
	}
	/* Optional keys: present in some descriptions only. */
	static const char *const optional[] = { "stack-overlay" };
	for (i = 0; i < sizeof optional / sizeof optional[0]; i++)
		if ((e = cfg_get(s, optional[i], &dup)) != NULL) {
			ck_assert_msg(dup == NULL, "%s:%d: \"%s\" given twice", path, dup->line,
				optional[i]);
			ck_assert_ptr_nonnull(strstr(e->val, "{stack}"));
		}
	/* The power-on point (README.md, "Resume"): qemu-x86_64 declares it. */
	if ((e = cfg_get(s, "snapshot", &dup)) != NULL) {
		ck_assert_msg(dup == NULL, "%s:%d: \"snapshot\" given twice", path, dup->line);
		ck_assert_msg(strcmp(e->val, "power-on") == 0 || strcmp(e->val, "none") == 0,
			"%s:%d: snapshot = \"%s\"", path, e->line, e->val);
	}
	ck_assert_msg(strstr(path, "qemu-x86_64/") == NULL || e != NULL,
		"%s: the default target declares no power-on point", path);
	/* done (optional): a line /init prints before it powers off or resets. */
	if ((e = cfg_get(s, "done", &dup)) != NULL)
		ck_assert_msg(dup == NULL && *e->val != '\0' && init_prints(e->val),
			"%s:%d: done = \"%s\" is not a line init.sh prints", path, e->line, e->val);
	/* reboot: a guest reset, and optionally the console line /init prints
	 * before it resets. */
	e = cfg_get(s, "reboot", NULL);
	ck_assert_msg(strncmp(e->val, "reset", 5) == 0 && (e->val[5] == '\0'
		|| (strncmp(e->val + 5, ", console=", 10) == 0 && init_prints(e->val + 15))),
		"%s:%d: reboot = \"%s\"", path, e->line, e->val);
	e = cfg_unused(s);
	ck_assert_msg(e == NULL, "%s:%d: unknown key \"%s\"", path, e ? e->line : 0, e ? e->key : "");
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++)
		ck_assert_str_eq(cfg_get(s, methods[i].key, NULL)->val, methods[i].val);
	ck_assert_int_ge(positive(cfg_get(s, "memory", NULL)), 64);
	ck_assert_int_le(positive(cfg_get(s, "boot-timeout", NULL)),
		positive(cfg_get(s, "run-timeout", NULL)));
	ck_assert_ptr_nonnull(strstr(cfg_get(s, "initramfs", NULL)->val, "{device}"));
	ck_assert_ptr_nonnull(strstr(cfg_get(s, "flash", NULL)->val, "{device}"));
	ck_assert_ptr_nonnull(strstr(cfg_get(s, "append", NULL)->val, "console="));
	cfg_free(&d);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("targetconf");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_target_conf, 0, sizeof conf_paths / sizeof conf_paths[0]);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
