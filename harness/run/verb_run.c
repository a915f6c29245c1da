/*
 * rotsim run [NAME ...|--all] [--target T] [--device D] [-j N] [--shard K/N]
 *            [--out DIR] [--seed S]
 * rotsim verdict DIR
 */
#include "run/runner.h"
#include "plan/plan.h"
#include "target/target.h"
#include "scenario/devices.h"
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
"usage: rotsim run [NAME ... | --all] [--target T ...] [--device D ...] [-j N]\n"
"                  [--shard K/N] [--out DIR] [--seed S] [--scenarios DIR]\n"
"                  [--build DIR] [--cache DIR] [--force] [--dry-run] [-q]\n"
"\n"
"Run named scenarios (scenarios/NAME.scn; with no name, those tagged \"default\")\n"
"on a target: for every device of a scenario and every phase, start the update\n"
"server with the phase's chain, time and faults, power the device on with its\n"
"clock, capture its traffic, power it off (the flash stays), and decide the\n"
"outcome from the console, the server's events and the capture together.\n"
"\n"
"  --all            every scenario\n"
"  --target T       qemu-x86_64 (default), qemu-aarch64, native; repeatable\n"
"  --device D       only this device profile (repeatable)\n"
"  -j N             cases at once (default 1)\n"
"  --shard K/N      run the K-th of N slices of the cases (for CI matrices)\n"
"  --out DIR        results (default results/DATE-TIME, with results/latest);\n"
"                   it must be new or empty\n"
"  --force          clear a non-empty --out DIR that holds an earlier run first\n"
"  --dry-run        print the cases the run would run (index, scenario,\n"
"                   device@target) and exit\n"
"  --seed S         PKI key seed (default \"rotsim\")\n"
"  --scenarios DIR  where scenarios are\n"
"  --build DIR      where images and the agent are (default: beside rotsim)\n"
"  --cache DIR      PKI key cache\n"
"  -q, --quiet      no line per case\n"
"\n"
"Prints one line per case and phase with the reason, and writes summary.json,\n"
"junit.xml, summary.txt and per case its console, capture, key log, server\n"
"events and PKI. Exit 0: every outcome as expected; 1: some are not; 2: usage,\n"
"infrastructure error or interruption (Ctrl-C stops the run, kills every QEMU\n"
"and server it started and keeps the partial results).\n");
}

/* see verbs.h */
int
verb_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "target", required_argument, NULL, 't' },
		{ "device", required_argument, NULL, 'd' },
		{ "shard", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 'S' },
		{ "scenarios", required_argument, NULL, 'D' },
		{ "build", required_argument, NULL, 'b' },
		{ "cache", required_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "force", no_argument, NULL, 'F' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	run_opts o;
	const char *targets[8], *devices[64], *scndir_arg = NULL, *out = NULL;
	char *scndir = NULL, *build = NULL, err[2048], **names = NULL, **devs = NULL;
	size_t ndevs = 0, nnames = 0, i, nscn = 0;
	scenario *scns = NULL;
	int all = 0, ch, ret = 2, force = 0, dry_run = 0, lockfd = -1;
	tgt tgts[8];
	size_t ntgts = 0, ndevices = 0;
	plan pl;
	long n;

	memset(&o, 0, sizeof o);
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
		case 'D': scndir_arg = optarg; break;
		case 'b': free(build); build = xstrdup(optarg); break;
		case 'c': o.cache = optarg; break;
		case 'q': o.quiet = 1; break;
		case 'F': force = 1; break;
		case 'n': dry_run = 1; break;
		case 'h': run_usage(stdout); free(build); return 0;
		default: run_usage(stderr); free(build); return 2;
		}
	}
	if (all && optind < argc) {
		fprintf(stderr, "rotsim run: give scenario names or --all, not both\n");
		goto done;
	}
	if (o.ntargets == 0)
		targets[o.ntargets++] = "qemu-x86_64";
	o.targets = targets;
	if (build == NULL)
		build = tgt_build_dir();
	o.build_dir = build;
	if ((scndir = scn_dir(scndir_arg, argv[0], err, sizeof err)) == NULL) {
		fprintf(stderr, "rotsim run: %s\n", err);
		goto done;
	}
	if (optind < argc) {
		for (i = (size_t)optind; i < (size_t)argc; i++) {
			names = xrealloc(names, (nnames + 1) * sizeof *names);
			names[nnames++] = xstrdup(argv[i]);
		}
	} else {
		if ((n = scn_list(scndir, &names, err, sizeof err)) < 0) {
			fprintf(stderr, "rotsim run: %s\n", err);
			goto done;
		}
		nnames = (size_t)n;
	}
	if (dev_known_profiles(&devs, &ndevs) != 0) {
		fprintf(stderr, "rotsim run: no device profiles (targets/firmware/profiles)\n");
		goto done;
	}
	/* Every scenario is read and checked before anything runs. */
	for (i = 0; i < nnames; i++) {
		char *path = strchr(names[i], '/') ? xstrdup(names[i])
			: xasprintf("%s/%s.scn", scndir, names[i]);
		scenario s;
		if (access(path, R_OK) != 0) {
			char **known = NULL;
			long nk = scn_list(scndir, &known, err, sizeof err);
			const char *near = nk > 0 ? plan_closest(names[i], (const char *const *)known,
				(size_t)nk) : NULL;
			fprintf(stderr, "rotsim run: no scenario \"%s\" (%s)%s%s%s; rotsim list shows "
				"them\n", names[i], path, near ? "; did you mean \"" : "",
				near ? near : "", near ? "\"?" : "");
			if (nk > 0)
				cfg_list_free(known, (size_t)nk);
			free(path);
			goto done;
		}
		if (scn_load(&s, path, (const char *const *)devs, err, sizeof err) != 0) {
			fprintf(stderr, "%s\n", err);
			free(path);
			goto done;
		}
		free(path);
		int take = all || optind < argc || scn_has_tag(&s, "default");
		if (!take) {
			scn_free(&s);
			continue;
		}
		scns = xrealloc(scns, (nscn + 1) * sizeof *scns);
		scns[nscn++] = s;
	}
	if (nscn == 0) {
		fprintf(stderr, "rotsim run: no scenario to run (name some, or --all)\n");
		goto done;
	}
	/* Targets and the plan, checked before anything is created. */
	for (i = 0; i < o.ntargets; i++) {
		if (tgt_load(&tgts[ntgts], targets[i], build, err, sizeof err) != 0) {
			char **known = NULL, *tdir = tgt_dir();
			long nk = tdir ? util_list_dir(tdir, "", &known, NULL, 0) : -1;
			const char *near = nk > 0 ? plan_closest(targets[i], (const char *const *)known,
				(size_t)nk) : NULL;
			fprintf(stderr, "rotsim run: %s%s%s%s\n", err, near ? " (did you mean \"" : "",
				near ? near : "", near ? "\"?)" : "");
			if (nk > 0)
				cfg_list_free(known, (size_t)nk);
			free(tdir);
			goto done;
		}
		ntgts++;
	}
	if (plan_build(&pl, scns, nscn, (const char *const *)devices, ndevices, tgts, ntgts,
		o.shard_k, o.shard_n, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim run: %s\n", err);
		goto done;
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
	free(outdir);
done:
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
	free(scndir);
	free(build);
	return ret;
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
	r = run_reverdict(argv[optind], verbose, err, sizeof err);
	if (r == 2)
		fprintf(stderr, "rotsim verdict: %s\n", err);
	return r;
}
