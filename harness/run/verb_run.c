/*
 * rotsim run [NAME ...|--all] [--target T] [--device D] [--stack LIST] [-j N] [--shard K/N]
 *            [--out DIR] [--seed S]
 * rotsim verdict DIR
 */
#include "report/report.h"
#include "run/runner.h"
#include "fw/fw.h"
#include "paths.h"
#include "plan/plan.h"
#include "target/target.h"
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "verbs.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char verb_run_summary[] = "run scenarios on targets and judge every device from evidence";
const char verb_verdict_summary[] = "decide a finished run's verdicts again from its evidence";

static void
run_usage(FILE *f)
{
	fprintf(f,
"usage: rotsim run [NAME ... | --all | --tag TAG] [--target T ...] [--device D ...]\n"
"                  [--stack LIST] [-j N] [--shard K/N] [--out DIR] [--force] [--seed S]\n"
"                  [--scenarios DIR] [--targets DIR] [--devices DIR]\n"
"                  [--build DIR] [--cache DIR] [--dry-run] [--cold-boot]\n"
"                  [--signing-key FILE] [--no-report] [--product NAME]\n"
"                  [--firmware-version V] [-q]\n"
"\n"
"Run named scenarios (scenarios/NAME.scn; with no name, those tagged \"default\")\n"
"on a target: for every device of a scenario and every phase, start the update\n"
"server with the phase's chain, time and faults, power the device on with its\n"
"clock, capture its traffic, power it off (the flash stays), and decide the\n"
"outcome from the console, the server's events and the capture together.\n"
"\n"
"  --all            every scenario\n"
"  --tag TAG        the scenarios with this tag (rotsim list shows tags)\n"
"  --target T       qemu-x86_64 (default), qemu-aarch64, native; repeatable.\n"
"                   Default: the target the --device descriptions name\n"
"                   (target = NAME), when those that name one agree\n"
"  --device D       only this device (repeatable); a described device like\n"
"                   one of a scenario's devices (like = NAME) runs in it\n"
"  --stack LIST     run every device of each case on each TLS stack of LIST\n"
"                   (comma-separated stack ids, or \"all\": the five plain\n"
"                   stacks): bearssl, mbedtls, mbedtls-no-time-date, wolfssl,\n"
"                   openssl, openssl-partial-chain, openssl-no-alt-chains,\n"
"                   gnutls, gnutls-no-trusted-time-checks, gnutls-strict-order;\n"
"                   a device on a stack other than bearssl is named\n"
"                   DEVICE@STACK and meets the scenario's expect.DEVICE@STACK\n"
"                   lines first. Default: the stack the device's description\n"
"                   names (tls = STACK [VARIANT]), else bearssl\n"
"  -j N             cases at once (default 1)\n"
"  --shard K/N      run the K-th of N slices of the cases (for CI matrices)\n"
"  --out DIR        results (default results/DATE-TIME, with results/latest);\n"
"                   it must be new or empty\n"
"  --force          clear a non-empty --out DIR that holds an earlier run first\n"
"  --dry-run        print the cases the run would run (index, scenario,\n"
"                   device@target; device@stack@target on a stack) and exit\n"
"  --no-report      do not write report.html, report.md and report.json\n"
"  --product NAME, --firmware-version V\n"
"                   the product and firmware version under test, named in the\n"
"                   report's header and sign-off block (rotsim report has them too)\n"
"  --signing-key F  sign manifests and bundles with this P-256 key (PEM), the\n"
"                   one the device's firmware trusts; default: the key the\n"
"                   run's device descriptions name (signing-key = FILE), else\n"
"                   a fresh key per run, whose public half the device's\n"
"                   configuration carries\n"
"  --seed S         PKI key seed (default \"rotsim\")\n"
"  --scenarios DIR  also look for scenarios (NAME.scn) in DIR (repeatable)\n"
"  --targets DIR    also look for targets (NAME/target.conf) in DIR\n"
"  --devices DIR    also look for devices (NAME.device; NAME.profile, the\n"
"                   reference agent's older form) in DIR,\n"
"                   after the stock ones; a described device there that is\n"
"                   like a scenario's device runs in that scenario too;\n"
"                   ROTSIM_PATH=D1:D2 adds D/scenarios, D/targets and\n"
"                   D/devices of each (targets/BRING-YOUR-OWN.md)\n"
"  --build DIR      where images and the agent are (default: beside rotsim)\n"
"  --cache DIR      PKI key cache\n"
"  --cold-boot      boot every device from its image, even on a target that\n"
"                   resumes a saved machine (snapshot = power-on)\n"
"  -q, --quiet      no line per case\n"
"\n"
"Prints one line per case and phase, verdict first (PASS, FAIL, MISS for a\n"
"Recommended expectation not met, ERROR for infrastructure trouble), and writes\n"
"summary.json, junit.xml, summary.txt, per case its console, capture, key log,\n"
"server events and PKI, and the report (report.html, .md, .json). Exit 0: every\n"
"outcome as expected; 1: some are not; 2: usage, infrastructure error or\n"
"interruption (Ctrl-C stops the run,\n""kills every QEMU and server it started and keeps the partial results).\n");
}

/* What the person at the terminal sees: one line per phase, verdict first,
 * within about 120 columns (the whole reason is in summary.txt and the
 * report), and on a terminal a progress line with an estimate. */
typedef struct {
	int quiet;
	int tty;
	int progress_shown;
} term;

static void
term_clear(term *t)
{
	if (t->progress_shown) {
		fputs("\r\033[K", stderr);
		t->progress_shown = 0;
	}
}

static void
term_note(void *ctx, const char *line)
{
	term *t = ctx;

	if (strncmp(line, "preparing ", 10) == 0) {
		/* Transient: only where it can be overwritten. */
		if (!t->quiet && t->tty) {
			fprintf(stderr, "\r\033[K%s", line);
			t->progress_shown = 1;
		}
		return;
	}
	term_clear(t);
	fprintf(stderr, "rotsim run: %s\n", line);
}

/* The verdict word: ERROR for infrastructure, MISS for a Recommended
 * expectation not met, FAIL for a Required one. */
static const char *
verdict_word(const verdict_result *r)
{
	if (r->observed == OUT_ERROR || r->observed == OUT_INTERRUPTED)
		return "ERROR";
	if (r->pass)
		return "PASS";
	return r->required ? "FAIL" : "MISS";
}

static void
term_phase(void *ctx, const verdict_result *r)
{
	term *t = ctx;
	char detail[256], line[160];
	const char *d = r->device_error[0] ? r->device_error : r->alert[0] ? r->alert : NULL;
	size_t n;

	if (t->quiet)
		return;
	term_clear(t);
	if (d == NULL) {
		/* The reason up to its first clause. */
		n = strcspn(r->reason, ";(");
		snprintf(detail, sizeof detail, "%.*s", (int)(n < 200 ? n : 200), r->reason);
		while ((n = strlen(detail)) > 0 && detail[n - 1] == ' ')
			detail[n - 1] = 0;
		d = detail;
	} else {
		snprintf(detail, sizeof detail, "%s", d);
		d = detail;
	}
	n = (size_t)snprintf(line, sizeof line, "%-5s %s %s @%s %s: %s", verdict_word(r),
		r->scenario, r->device, r->phase, scn_outcome_name(r->observed), d);
	if (n >= 118)
		memcpy(line + 114, "...", 4);
	fputs(line, stdout);
	if (!r->pass && r->observed != OUT_ERROR && r->observed != OUT_INTERRUPTED)
		printf(" (expected %s)", scn_outcome_name(r->expected));
	putchar('\n');
	fflush(stdout);
}

static void
term_progress(void *ctx, size_t done, size_t total, long long ms, const char *running)
{
	term *t = ctx;
	long long s = ms / 1000;

	if (t->quiet || !t->tty)
		return;
	fprintf(stderr, "\r\033[K[%zu/%zu phases, %lld:%02lld", done, total, s / 60, s % 60);
	if (done > 0 && done < total) {
		long long left = s * (long long)(total - done) / (long long)done;
		fprintf(stderr, ", about %lld:%02lld left", left / 60, left % 60);
	}
	fprintf(stderr, "] %.60s", running);
	fflush(stderr);
	t->progress_shown = 1;
}

static void
term_finished(void *ctx, size_t passed, size_t failed, size_t errors, const char *out)
{
	term *t = ctx;

	term_clear(t);
	printf("\n%zu passed, %zu failed, %zu errors; results in %s\n", passed, failed, errors,
		out);
	fflush(stdout);
}

/* The target the --device descriptions name (target = NAME), when those
 * that name one name the same: 0 and *target allocated, else -1. */
static int
device_target(const char *const *devices, size_t n, char **target)
{
	size_t i;

	*target = NULL;
	for (i = 0; i < n; i++) {
		char *t = dev_profile_value(devices[i], "target");
		if (t != NULL && *target != NULL && strcmp(t, *target) != 0) {
			free(t);
			free(*target);
			*target = NULL;
			return -1;
		}
		if (t != NULL) {
			free(*target);
			*target = t;
		}
	}
	return *target != NULL ? 0 : -1;
}

/* The signing key the plan's devices name (signing-key = FILE in a
 * description), allocated in *key, or NULL when none names one. A run signs
 * with one key: devices that name different keys are refused, unless
 * --signing-key (given) says which key signs for all. */
static int
plan_signing_key(const plan *pl, const char *given, char **key, char *err, size_t errlen)
{
	const char *from = NULL;
	size_t i;

	*key = NULL;
	for (i = 0; i < pl->n; i++) {
		char *k = dev_profile_value(pl->cases[i].device, "signing-key");
		if (k == NULL || given != NULL || (*key != NULL && strcmp(k, *key) == 0)) {
			free(k);
			continue;
		}
		if (*key != NULL) {
			util_err(err, errlen, "devices %s and %s name different signing keys "
				"(%s, %s): run them apart, or give --signing-key", from,
				pl->cases[i].device, *key, k);
			free(k);
			free(*key);
			*key = NULL;
			return -1;
		}
		*key = k;
		from = pl->cases[i].device;
	}
	return 0;
}

/* see verbs.h */
int
verb_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "target", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "stack", required_argument, NULL, 'k' },
		{ "shard", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 'S' },
		{ "scenarios", required_argument, NULL, 'D' },
		{ "build", required_argument, NULL, 'b' },
		{ "cache", required_argument, NULL, 'c' },
		{ "cold-boot", no_argument, NULL, 'B' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "tag", required_argument, NULL, 'T' },
		{ "targets", required_argument, NULL, 'U' },
		{ "devices", required_argument, NULL, 'V' },
		{ "no-report", no_argument, NULL, 'R' },
		{ "signing-key", required_argument, NULL, 'K' },
		{ "product", required_argument, NULL, 'P' },
		{ "firmware-version", required_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	run_opts o;
	const char *targets[8], *devices[64], *out = NULL, *tag = NULL;
	const char *product = NULL, *fw_version = NULL;
	char *signing_abs = NULL, *dev_target = NULL, *dev_key = NULL, *build = NULL, err[2048], **names = NULL, **devs = NULL;
	char **stacks = NULL;
	const char *stack_args[8];
	size_t ndevs = 0, nnames = 0, i, nscn = 0, nstacks = 0, nstack_args = 0;
	scenario *scns = NULL;
	int all = 0, ch, ret = 2, force = 0, no_report = 0, dry_run = 0, lockfd = -1;
	tgt tgts[8];
	size_t ntgts = 0, ndevices = 0;
	plan pl;
	term tm;
	run_observer obs;

	memset(&o, 0, sizeof o);
	memset(&tm, 0, sizeof tm);
	tm.tty = isatty(1) && isatty(2);
	obs.ctx = &tm;
	obs.note = term_note;
	obs.phase = term_phase;
	obs.progress = term_progress;
	obs.finished = term_finished;
	o.obs = &obs;
	o.serve = verb_serve;
	memset(&pl, 0, sizeof pl);
	o.seed = "rotsim";
	o.jobs = 1;
	o.shard_k = 1;
	o.shard_n = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "j:qh", opts, NULL)) != -1) {
		switch (ch) {
		case 'a': all = 1; break;
		case 't':
			if (o.ntargets == 8) {
				fprintf(stderr, "rotsim run: too many --target\n");
				return 2;
			}
			targets[o.ntargets++] = optarg;
			break;
		case 'd':
			if (ndevices == 64) {
				fprintf(stderr, "rotsim run: too many --device\n");
				return 2;
			}
			devices[ndevices++] = optarg;
			break;
		case 'k':
			if (nstack_args == 8) {
				fprintf(stderr, "rotsim run: too many --stack\n");
				return 2;
			}
			stack_args[nstack_args++] = optarg;
			break;
		case 'j':
			o.jobs = atoi(optarg);
			if (o.jobs < 1 || o.jobs > 64) {
				fprintf(stderr, "rotsim run: -j wants 1..64, not \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (sscanf(optarg, "%d/%d", &o.shard_k, &o.shard_n) != 2 || o.shard_n < 1
				|| o.shard_k < 1 || o.shard_k > o.shard_n) {
				fprintf(stderr, "rotsim run: --shard wants K/N with 1 <= K <= N, not "
					"\"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'o': out = optarg; break;
		case 'S': o.seed = optarg; break;
		case 'D': case 'U': case 'V':
			if (paths_add(ch == 'D' ? PATHS_SCENARIOS : ch == 'U' ? PATHS_TARGETS
				: PATHS_DEVICES, optarg, err, sizeof err) != 0) {
				fprintf(stderr, "rotsim run: %s\n", err);
				free(build);
				return 2;
			}
			break;
		case 'b': free(build); build = xstrdup(optarg); break;
		case 'c': o.cache = optarg; break;
		case 'B': tgt_cold_boot = 1; break;
		case 'q': tm.quiet = 1; break;
		case 'F': force = 1; break;
		case 'n': dry_run = 1; break;
		case 'T': tag = optarg; break;
		case 'R': no_report = 1; break;
		case 'K': o.signing_key = optarg; break;
		case 'P': product = optarg; break;
		case 'W': fw_version = optarg; break;
		case 'h': run_usage(stdout); free(build); return 0;
		default: run_usage(stderr); free(build); return 2;
		}
	}
	if ((all != 0) + (optind < argc) + (tag != NULL) > 1) {
		fprintf(stderr, "rotsim run: give scenario names, --all or --tag, not two of them\n");
		goto done;
	}
	/* --stack LIST: stack ids (checked with the plan, against the table),
	 * "all" the plain stacks; each once, in the order given. */
	for (i = 0; i < nstack_args; i++) {
		char **items;
		size_t n = cfg_split(stack_args[i], ',', &items), k;
		for (k = 0; k < n; k++) {
			const char *const *add, *one[2] = { items[k], NULL };
			add = strcmp(items[k], "all") == 0 ? scn_stack_plain : one;
			for (; *add != NULL; add++) {
				size_t m;
				for (m = 0; m < nstacks && strcmp(stacks[m], *add) != 0; m++)
					;
				if (m < nstacks)
					continue;
				stacks = xrealloc(stacks, (nstacks + 1) * sizeof *stacks);
				stacks[nstacks++] = xstrdup(*add);
			}
		}
		cfg_list_free(items, n);
		if (n == 0) {
			fprintf(stderr, "rotsim run: --stack wants stack ids, not \"%s\"\n",
				stack_args[i]);
			goto done;
		}
	}
	if (o.ntargets == 0 && device_target(devices, ndevices, &dev_target) == 0)
		targets[o.ntargets++] = dev_target;
	if (o.ntargets == 0)
		targets[o.ntargets++] = "qemu-x86_64";
	o.targets = targets;
	if (build == NULL)
		build = tgt_build_dir();
	o.build_dir = build;
	if (optind < argc) {
		for (i = (size_t)optind; i < (size_t)argc; i++) {
			names = xrealloc(names, (nnames + 1) * sizeof *names);
			names[nnames++] = xstrdup(argv[i]);
		}
	} else {
		nnames = paths_names(PATHS_SCENARIOS, ".scn", &names);
		if (nnames == 0) {
			fprintf(stderr, "rotsim run: no scenario in the scenarios directories "
				"(--scenarios DIR, $ROTSIM_PATH, the stock scenarios/)\n");
			goto done;
		}
	}
	if (dev_known_profiles(&devs, &ndevs) != 0) {
		fprintf(stderr, "rotsim run: no devices (targets/firmware/devices)\n");
		goto done;
	}
	char *shadow = paths_shadowed_device();
	if (shadow != NULL) {
		/* The name, without its directory and suffix. */
		char *base = strrchr(shadow, '/') ? strrchr(shadow, '/') + 1 : shadow;
		size_t bl = strlen(base);
		char *name = xstrndup(base, bl > 7 && strcmp(base + bl - 7, ".device") == 0
			? bl - 7 : bl > 8 ? bl - 8 : bl);
		char *first = dev_profile_path(name);
		if (first != NULL && paths_is_stock(PATHS_DEVICES, first))
			fprintf(stderr, "rotsim run: %s has the name of a stock device: give it "
				"another name (a device can say like = NAME to share the stock "
				"expectations)\n", shadow);
		else
			fprintf(stderr, "rotsim run: %s: device %s is defined twice in its directory "
				"(NAME.profile and NAME.device): keep one\n", shadow, name);
		free(first);
		free(name);
		free(shadow);
		goto done;
	}
	/* Every device description is checked before anything runs: its
	 * keys, its like, its target and the files it names. */
	if (dev_check_all(err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		goto done;
	}
	/* Every scenario is read and checked before anything runs. */
	for (i = 0; i < nnames; i++) {
		char *path = strchr(names[i], '/') ? xstrdup(names[i])
			: paths_find(PATHS_SCENARIOS, names[i], ".scn");
		scenario s;
		if (path == NULL || access(path, R_OK) != 0) {
			char **known = NULL;
			size_t nk = paths_names(PATHS_SCENARIOS, ".scn", &known);
			const char *near = plan_closest(names[i], (const char *const *)known, nk);
			fprintf(stderr, "rotsim run: no scenario \"%s\"%s%s%s (rotsim list shows them)\n",
				names[i], near ? "; did you mean \"" : "", near ? near : "",
				near ? "\"?" : "");
			cfg_list_free(known, nk);
			free(path);
			goto done;
		}
		if (scn_load(&s, path, (const char *const *)devs, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			free(path);
			goto done;
		}
		free(path);
		/* A team's described device like one of the scenario's runs in it,
		 * as does a --device like one of them. */
		scn_join_added_devices(&s, (const char *const *)devs);
		for (size_t k = 0; k < ndevices; k++)
			scn_join_like(&s, devices[k]);
		int take = all || optind < argc || scn_has_tag(&s, tag != NULL ? tag : "default");
		if (!take) {
			scn_free(&s);
			continue;
		}
		scns = xrealloc(scns, (nscn + 1) * sizeof *scns);
		scns[nscn++] = s;
	}
	if (nscn == 0) {
		if (tag != NULL)
			fprintf(stderr, "rotsim run: no scenario has the tag \"%s\" (rotsim list shows "
				"the tags)\n", tag);
		else
			fprintf(stderr, "rotsim run: no scenario to run (name some, or --all)\n");
		goto done;
	}
	/* Targets and the plan, checked before anything is created. */
	for (i = 0; i < o.ntargets; i++) {
		if (tgt_load(&tgts[ntgts], targets[i], build, err, sizeof err) != 0) {
			char **known = NULL;
			size_t nk = paths_names(PATHS_TARGETS, "/target.conf", &known);
			const char *near = plan_closest(targets[i], (const char *const *)known, nk);
			fprintf(stderr, "rotsim run: %s%s%s%s\n", err, near ? " (did you mean \"" : "",
				near ? near : "", near ? "\"?)" : "");
			cfg_list_free(known, nk);
			goto done;
		}
		ntgts++;
	}
	if (plan_build(&pl, scns, nscn, (const char *const *)devices, ndevices,
		(const char *const *)stacks, nstacks, tgts, ntgts, o.shard_k, o.shard_n, err,
		sizeof err) != 0) {
		fprintf(stderr, "rotsim run: %s\n", err);
		goto done;
	}
	if (plan_signing_key(&pl, o.signing_key, &dev_key, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim run: %s\n", err);
		goto done;
	}
	if (o.signing_key == NULL)
		o.signing_key = dev_key;
	if (o.signing_key != NULL) {
		fw_key k;
		char *abs = realpath(o.signing_key, NULL);
		if (abs == NULL || fw_key_load(&k, abs, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim run: --signing-key %s: %s\n", o.signing_key,
				abs == NULL ? strerror(errno) : err);
			free(abs);
			goto done;
		}
		fw_key_wipe(&k);
		o.signing_key = signing_abs = abs;
	}
	if (dry_run) {
		for (i = 0; i < pl.n; i++)
			printf("%zu %s %s@%s%s%s\n", pl.cases[i].index, pl.cases[i].scn->name,
				pl.cases[i].device, pl.cases[i].target->name,
				pl.cases[i].skip ? ": skipped: " : "", pl.cases[i].skip ? pl.cases[i].skip : "");
		printf("%zu case%s of %zu in the plan (%zu skipped)\n", pl.n, pl.n == 1 ? "" : "s",
			pl.total, pl.skipped);
		ret = 0;
		goto done;
	}
	char *outdir = NULL;
	if (out == NULL) {
		char stamp[32];
		time_t now = time(NULL);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
		outdir = xasprintf("results/%s", stamp);
		/* Two runs in one second get distinct directories. */
		for (int k = 2; access(outdir, F_OK) == 0; k++) {
			free(outdir);
			outdir = xasprintf("results/%s-%d", stamp, k);
		}
	} else {
		outdir = xstrdup(out);
	}
	if (results_open(outdir, force, &lockfd, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim run: %s\n", err);
		free(outdir);
		goto done;
	}
	if (out == NULL) {
		/* results/latest points to the newest run. */
		char *tmp = xasprintf("results/latest.tmp.%ld", (long)getpid());
		unlink(tmp);
		if (symlink(outdir + strlen("results/"), tmp) == 0)
			rename(tmp, "results/latest");
		free(tmp);
	}
	o.out = outdir;
	ret = run_scenarios(&pl, &o, err, sizeof err);
	if (ret == 2 && err[0])
		fprintf(stderr, "rotsim run: %s\n", err);
	/* The sign-off report of the run, beside its results (also of an
	 * interrupted run: its partial results are what the report shows). */
	char *sum = xasprintf("%s/summary.json", outdir);
	if (!no_report && access(sum, R_OK) == 0) {
		rep_options ro;
		memset(&ro, 0, sizeof ro);
		ro.subject.product = product;
		ro.subject.firmware_version = fw_version;
		ro.quiet = tm.quiet;
		fflush(stdout);
		if (rep_report_dir(outdir, &ro) == 2)
			fprintf(stderr, "rotsim run: the report of %s was not written (rotsim report "
				"%s says why)\n", outdir, outdir);
	}
	free(sum);
	free(outdir);
done:
	free(signing_abs);
	free(dev_target);
	free(dev_key);
	if (lockfd >= 0)
		close(lockfd);
	plan_free(&pl);
	for (i = 0; i < ntgts; i++)
		tgt_free(&tgts[i]);
	for (i = 0; i < nscn; i++)
		scn_free(&scns[i]);
	free(scns);
	cfg_list_free(names, nnames);
	cfg_list_free(devs, ndevs);
	cfg_list_free(stacks, nstacks);
	free(build);
	return ret;
}

static void
say_line(void *ctx, const char *line)
{
	fprintf(ctx, "%s\n", line);
}

static void
verdict_usage(FILE *f)
{
	fprintf(f, "usage: rotsim verdict DIR [-v]\n\n"
		"Decide every phase of the run in DIR again from the evidence on disk (console,\n"
		"server events, capture, PKI) and compare with its summary.json. Prints every\n"
		"disagreement; -v prints every verdict. Exit 0 when all agree, 1 when some\n"
		"differ, 2 when DIR cannot be read.\n");
}

/* see verbs.h */
int
verb_verdict(int argc, char **argv)
{
	int ch, verbose = 0, r;
	char err[1024];

	optind = 1;
	static const struct option opts[] = {
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	while ((ch = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'v': verbose = 1; break;
		case 'h': verdict_usage(stdout); return 0;
		default: verdict_usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "rotsim verdict: give one results directory\n");
		return 2;
	}
	r = run_reverdict(argv[optind], verbose, say_line, stdout, err, sizeof err);
	if (r == 2)
		fprintf(stderr, "rotsim verdict: %s\n", err);
	return r;
}
