/* Unit tests of the plan, harness/plan/plan.c: stable indices, the shard rule,
 * skipped cases and name suggestions. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "plan/plan.h"

static char *devs_a[] = { "root-x1", "pin-r3", "clocky" };
static char *devs_b[] = { "pin-r3", "insecure" };
static scenario scns[2];
static tgt tgts[2];
static char profdir[] = "/tmp/rotsim-plan-XXXXXX";

static void
setup(void)
{
	memset(scns, 0, sizeof scns);
	memset(tgts, 0, sizeof tgts);
	scns[0].name = "first";
	scns[0].devices = devs_a;
	scns[0].ndevices = 3;
	scns[1].name = "second";
	scns[1].devices = devs_b;
	scns[1].ndevices = 2;
	tgts[0].name = "with-udp";
	tgts[0].udp = 1;
	tgts[1].name = "tcp-only";
	tgts[1].udp = 0;
	/* One device that takes its time from SNTP: its cases need UDP. */
	ck_assert_ptr_nonnull(mkdtemp(profdir));
	char *p = xasprintf("%s/clocky.device", profdir);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[device clocky]\ntrust = none\nclock = sntp\n", f);
	fclose(f);
	free(p);
	/* One whose description names its TLS stack, and one whose profile (the
	 * older form, read as it is) names one that does not exist. */
	p = xasprintf("%s/stacky.device", profdir);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[device stacky]\ntrust = set:x1-only\ntls = openssl partial-chain\n", f);
	fclose(f);
	free(p);
	p = xasprintf("%s/badstack.profile", profdir);
	f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[profile badstack]\ntls = openssl trusted-last\n", f);
	fclose(f);
	free(p);
	setenv("ROTSIM_PROFILES", profdir, 1);
}

static void
teardown(void)
{
	static const char *const files[] = { "clocky.device", "stacky.device",
		"badstack.profile" };
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s/%s", profdir, files[i]);
		unlink(p);
		free(p);
	}
	rmdir(profdir);
	strcpy(profdir, "/tmp/rotsim-plan-XXXXXX");
}

START_TEST(test_indices_in_order)
{
	plan p;
	char err[256];
	size_t i;

	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	ck_assert_uint_eq(p.total, (3 + 2) * 2);
	ck_assert_uint_eq(p.n, p.total);
	for (i = 0; i < p.n; i++)
		ck_assert_uint_eq(p.cases[i].index, i);
	/* scenario, then device, then target */
	ck_assert_str_eq(p.cases[0].device, "root-x1");
	ck_assert_str_eq(p.cases[0].target->name, "with-udp");
	ck_assert_str_eq(p.cases[1].target->name, "tcp-only");
	ck_assert_str_eq(p.cases[6].scn->name, "second");
	plan_free(&p);
}
END_TEST

START_TEST(test_shards_partition_the_plan)
{
	plan whole, part;
	char err[256];
	int n, k;
	size_t i, seen;

	ck_assert_int_eq(plan_build(&whole, scns, 2, NULL, 0, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	for (n = 1; n <= 7; n++) {
		unsigned char hit[64];
		memset(hit, 0, sizeof hit);
		seen = 0;
		for (k = 1; k <= n; k++) {
			int r = plan_build(&part, scns, 2, NULL, 0, NULL, 0, tgts, 2, k, n, err, sizeof err);
			if ((size_t)k > whole.total) {
				/* more shards than cases: an empty shard is an error */
				ck_assert_int_eq(r, -1);
				continue;
			}
			ck_assert_int_eq(r, 0);
			ck_assert_uint_eq(part.total, whole.total);
			for (i = 0; i < part.n; i++) {
				size_t x = part.cases[i].index;
				ck_assert(plan_in_shard(x, k, n));
				ck_assert(!hit[x]);
				hit[x] = 1;
				seen++;
				/* the same case as in the whole plan */
				ck_assert_str_eq(part.cases[i].device, whole.cases[x].device);
				ck_assert_ptr_eq(part.cases[i].target, whole.cases[x].target);
				if (i > 0)
					ck_assert_uint_gt(x, part.cases[i - 1].index);
			}
			plan_free(&part);
		}
		ck_assert_uint_eq(seen, whole.total);
	}
	plan_free(&whole);
}
END_TEST

START_TEST(test_skip_keeps_index)
{
	plan p;
	char err[256];
	size_t i, skipped = 0;

	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	for (i = 0; i < p.n; i++) {
		int want = strcmp(p.cases[i].device, "clocky") == 0 && !p.cases[i].target->udp;
		ck_assert_int_eq(p.cases[i].skip != NULL, want);
		skipped += want;
	}
	ck_assert_uint_eq(skipped, 1);
	ck_assert_uint_eq(p.skipped, 1);
	/* clocky is the third device of the first scenario: cases 4 and 5 */
	ck_assert_ptr_null(p.cases[4].skip);
	ck_assert_ptr_nonnull(p.cases[5].skip);
	plan_free(&p);
}
END_TEST

START_TEST(test_network_clock_skips_rtc_scenarios)
{
	plan p;
	char err[256];
	size_t i;
	scn_phase ph[2];

	memset(ph, 0, sizeof ph);
	ph[1].rtc = RTC_OFFSET;		/* the second scenario sets the RTC */
	scns[1].phases = ph;
	scns[1].nphases = 2;
	tgts[1].udp = 1;
	tgts[1].net_clock = 1;		/* a board whose clock is the lab's NTP */
	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	for (i = 0; i < p.n; i++) {
		int want = p.cases[i].target->net_clock && p.cases[i].scn == &scns[1];
		ck_assert_msg((p.cases[i].skip != NULL) == want, "case %zu (%s on %s): skip %s", i,
			p.cases[i].device, p.cases[i].target->name,
			p.cases[i].skip ? p.cases[i].skip : "none");
		if (want)
			ck_assert_ptr_nonnull(strstr(p.cases[i].skip, "clock = ntp"));
	}
	ck_assert_uint_eq(p.skipped, scns[1].ndevices);
	plan_free(&p);
	/* The phase's own date (no rtc key): nothing is skipped. */
	ph[1].rtc = RTC_PHASE;
	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	ck_assert_uint_eq(p.skipped, 0);
	plan_free(&p);
	/* rtc = none: a device that asks SNTP itself (clocky) runs; those that
	 * rely on their RTC (root-x1, pin-r3) are skipped on that target. */
	ph[0].rtc = RTC_NONE;
	scns[0].phases = ph;
	scns[0].nphases = 1;
	ph[1].rtc = RTC_PHASE;
	scns[1].nphases = 0;
	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	for (i = 0; i < p.n; i++) {
		int want = p.cases[i].target->net_clock && p.cases[i].scn == &scns[0]
			&& strcmp(p.cases[i].device, "clocky") != 0;
		ck_assert_msg((p.cases[i].skip != NULL) == want, "rtc none: case %zu (%s on %s): %s",
			i, p.cases[i].device, p.cases[i].target->name,
			p.cases[i].skip ? p.cases[i].skip : "not skipped");
	}
	ck_assert_uint_eq(p.skipped, 2);
	plan_free(&p);
}
END_TEST

START_TEST(test_device_filter_and_suggestion)
{
	plan p;
	char err[256];
	const char *one[] = { "pin-r3" }, *typo[] = { "pin-r4" }, *far[] = { "zzzzzzzz" };

	ck_assert_int_eq(plan_build(&p, scns, 2, one, 1, NULL, 0, tgts, 2, 1, 1, err, sizeof err), 0);
	ck_assert_uint_eq(p.n, 4);
	ck_assert_str_eq(p.cases[0].scn->name, "first");
	ck_assert_str_eq(p.cases[3].scn->name, "second");
	plan_free(&p);
	ck_assert_int_eq(plan_build(&p, scns, 2, typo, 1, NULL, 0, tgts, 2, 1, 1, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "\"pin-r4\""));
	ck_assert_ptr_nonnull(strstr(err, "did you mean \"pin-r3\""));
	ck_assert_int_eq(plan_build(&p, scns, 2, far, 1, NULL, 0, tgts, 2, 1, 1, err, sizeof err), -1);
	ck_assert_ptr_null(strstr(err, "did you mean"));
}
END_TEST

START_TEST(test_stacks)
{
	plan p, whole;
	char err[256];
	const char *two[] = { "mbedtls", "bearssl" }, *typo[] = { "mbedtsl" };
	const char *one[] = { "pin-r3" };
	size_t i;

	/* Every device on each stack, in the order given; targets innermost;
	 * bearssl keeps the plain name. */
	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, two, 2, tgts, 2, 1, 1, err,
		sizeof err), 0);
	ck_assert_uint_eq(p.total, (3 + 2) * 2 * 2);
	for (i = 0; i < p.n; i++)
		ck_assert_uint_eq(p.cases[i].index, i);
	ck_assert_str_eq(p.cases[0].device, "root-x1@mbedtls");
	ck_assert_str_eq(p.cases[0].stack, "mbedtls");
	ck_assert_str_eq(p.cases[1].device, "root-x1@mbedtls");
	ck_assert_str_eq(p.cases[1].target->name, "tcp-only");
	ck_assert_str_eq(p.cases[2].device, "root-x1");
	ck_assert_str_eq(p.cases[2].stack, "bearssl");
	ck_assert_str_eq(p.cases[4].device, "pin-r3@mbedtls");
	/* The SNTP device is skipped on the TCP-only target on every stack. */
	ck_assert_uint_eq(p.skipped, 2);
	plan_free(&p);
	/* Shards of a plan with stacks take the same cases. */
	ck_assert_int_eq(plan_build(&whole, scns, 2, one, 1, two, 2, tgts, 2, 1, 1, err,
		sizeof err), 0);
	ck_assert_int_eq(plan_build(&p, scns, 2, one, 1, two, 2, tgts, 2, 2, 3, err,
		sizeof err), 0);
	for (i = 0; i < p.n; i++)
		ck_assert_str_eq(p.cases[i].device, whole.cases[p.cases[i].index].device);
	plan_free(&p);
	plan_free(&whole);
	/* An unknown stack id names the closest. */
	ck_assert_int_eq(plan_build(&p, scns, 2, NULL, 0, typo, 1, tgts, 2, 1, 1, err,
		sizeof err), -1);
	ck_assert_str_eq(err, "no TLS stack \"mbedtsl\" (did you mean \"mbedtls\"?)");
	/* Without --stack a profile's tls picks the stack. */
	static char *devs_c[] = { "stacky", "root-x1" };
	scenario own;
	memset(&own, 0, sizeof own);
	own.name = "own";
	own.devices = devs_c;
	own.ndevices = 2;
	ck_assert_int_eq(plan_build(&p, &own, 1, NULL, 0, NULL, 0, tgts, 1, 1, 1, err,
		sizeof err), 0);
	ck_assert_uint_eq(p.n, 2);
	ck_assert_str_eq(p.cases[0].device, "stacky@openssl-partial-chain");
	ck_assert_str_eq(p.cases[1].device, "root-x1");
	plan_free(&p);
	static char *devs_d[] = { "badstack" };
	own.devices = devs_d;
	own.ndevices = 1;
	ck_assert_int_eq(plan_build(&p, &own, 1, NULL, 0, NULL, 0, tgts, 1, 1, 1, err,
		sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "tls = openssl trusted-last names no TLS stack"));
}
END_TEST

START_TEST(test_closest)
{
	const char *names[] = { "le-r3-to-r10", "dst-root-expiry", "qemu-x86_64", "native" };

	ck_assert_str_eq(plan_closest("le-r3-to-r11", names, 4), "le-r3-to-r10");
	ck_assert_str_eq(plan_closest("qemu-x86", names, 4), "qemu-x86_64");
	ck_assert_str_eq(plan_closest("nativ", names, 4), "native");
	ck_assert_ptr_null(plan_closest("completely-else", names, 4));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("plan");
	TCase *tc = tcase_create("plan");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_indices_in_order);
	tcase_add_test(tc, test_shards_partition_the_plan);
	tcase_add_test(tc, test_skip_keeps_index);
	tcase_add_test(tc, test_network_clock_skips_rtc_scenarios);
	tcase_add_test(tc, test_device_filter_and_suggestion);
	tcase_add_test(tc, test_stacks);
	tcase_add_test(tc, test_closest);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
