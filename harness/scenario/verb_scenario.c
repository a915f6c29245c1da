/*
 * rotsim list [--scenarios DIR]
 * rotsim show NAME|FILE [--scenarios DIR]
 */
#include "scenario/scenario.h"
#include "scenario/devices.h"
#include "paths.h"
#include "verbs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char verb_list_summary[] = "list the named scenarios with their summaries";
const char verb_show_summary[] = "print the timeline and expectations of a scenario";

/* Load a scenario by name (from the scenarios directories) or by path, checking its devices against
 * the known profiles when there are any. */
static int
load_named(scenario *s, const char *name, char *err, size_t errlen)
{
	char *path, **devs = NULL;
	size_t ndevs = 0;
	int r;

	if (strchr(name, '/') != NULL || (strlen(name) > 4
		&& strcmp(name + strlen(name) - 4, ".scn") == 0))
		path = xstrdup(name);
	else if ((path = paths_find(PATHS_SCENARIOS, name, ".scn")) == NULL)
		return util_err(err, errlen, "no scenario \"%s\" in the scenarios directories "
			"(rotsim list shows them)", name);
	if (dev_known_profiles(&devs, &ndevs) != 0) {
		devs = NULL;
		ndevs = 0;
	}
	r = scn_load(s, path, ndevs ? (const char *const *)devs : NULL, err, errlen);
	/* A team's described device like one of the scenario's runs in it. */
	if (r == 0 && ndevs > 0)
		scn_join_added_devices(s, (const char *const *)devs);
	cfg_list_free(devs, ndevs);
	free(path);
	return r;
}

static int
parse_common(int argc, char **argv, const char **dir, const char **tag, int *names_only,
	int *help, void (*usage)(FILE *))
{
	static const struct option opts[] = {
		{ "scenarios", required_argument, NULL, 'd' },
		{ "devices", required_argument, NULL, 'D' },
		{ "tag", required_argument, NULL, 't' },
		{ "names", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	optind = 1;
	*help = 0;
	while ((ch = getopt_long(argc, argv, "d:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (paths_add(PATHS_SCENARIOS, optarg, NULL, 0) != 0) {
				fprintf(stderr, "rotsim: --scenarios %s: no such directory\n", optarg);
				return -1;
			}
			*dir = optarg;
			break;
		case 'D':
			if (paths_add(PATHS_DEVICES, optarg, NULL, 0) != 0) {
				fprintf(stderr, "rotsim: --devices %s: no such directory\n", optarg);
				return -1;
			}
			break;
		case 'N':
			if (names_only == NULL) {
				usage(stderr);
				return -1;
			}
			*names_only = 1;
			break;
		case 't':
			if (tag == NULL) {
				usage(stderr);
				return -1;
			}
			*tag = optarg;
			break;
		case 'h': usage(stdout); *help = 1; return 0;
		default: usage(stderr); return -1;
		}
	}
	return 0;
}

static void
list_usage(FILE *f)
{
	fprintf(f, "usage: rotsim list [--tag TAG] [--names] [--scenarios DIR] [--devices DIR]\n\n"
		"List the named scenarios (DIR/*.scn) with the event each replays, its tags\n"
		"and its summary; \"*\" marks the default set (tag \"default\": what rotsim run\n"
		"runs with no name). A scenario with an error is listed with the error\n"
		"(FILE:LINE) and makes the exit status 1.\n\n"
		"  --tag TAG        only the scenarios with this tag\n"
		"  --names          only the names, one per line (for scripts)\n"
		"  --scenarios DIR  also look for scenarios in DIR (besides $ROTSIM_PATH's\n"
		"                   DIR/scenarios, $ROTSIM_SCENARIOS and the stock ones)\n"
		"  --devices DIR    also look for the devices scenarios name in DIR\n");
}

/* see verbs.h */
int
verb_list(int argc, char **argv)
{
	const char *dirarg = NULL, *tag = NULL;
	char *dir = NULL, **names = NULL, err[1024];
	long n, i, shown = 0;
	int help, bad = 0, names_only = 0;

	if (parse_common(argc, argv, &dirarg, &tag, &names_only, &help, list_usage) != 0)
		return 2;
	if (help)
		return 0;
	if (optind < argc) {
		fprintf(stderr, "rotsim list: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	n = (long)paths_names(PATHS_SCENARIOS, ".scn", &names);
	for (i = 0; i < n; i++) {
		scenario s;
		if (load_named(&s, names[i], err, sizeof err) != 0) {
			printf("%-28s ERROR %s\n", names[i], err);
			bad = 1;
			continue;
		}
		if (tag != NULL && !scn_has_tag(&s, tag)) {
			scn_free(&s);
			continue;
		}
		if (names_only) {
			printf("%s\n", s.name);
			shown++;
			scn_free(&s);
			continue;
		}
		buf_t tags = {0};
		for (size_t k = 0; k < s.ntags; k++)
			buf_printf(&tags, "%s%s", k ? ", " : "", s.tags[k]);
		printf("%c %-28s %s\n  %-28s [%s] %s\n", scn_has_tag(&s, "default") ? '*' : ' ',
			s.name, s.event, "", buf_cstr(&tags), s.summary);
		buf_free(&tags);
		shown++;
		scn_free(&s);
	}
	if (n == 0)
		printf("no scenarios in the scenarios directories (--scenarios DIR, $ROTSIM_PATH, "
			"the stock scenarios/)\n");
	else if (tag != NULL && shown == 0) {
		fprintf(stderr, "rotsim list: no scenario has the tag \"%s\"\n", tag);
		bad = 1;
	}
	cfg_list_free(names, (size_t)n);
	free(dir);
	return bad;
}

static void
show_usage(FILE *f)
{
	fprintf(f, "usage: rotsim show NAME|FILE.scn [--scenarios DIR] [--devices DIR]\n\n"
		"Print a scenario's timeline: each phase's date, the chain the server\n"
		"presents, the firmware it offers, faults, the device's power and clock, and\n"
		"the outcome expected of each device (Required or Recommended). The devices\n"
		"line names the devices a team added (--devices DIR, $ROTSIM_PATH's\n"
		"DIR/devices) that are like one of the scenario's: \"NAME (like OTHER)\".\n");
}

/* see verbs.h */
int
verb_show(int argc, char **argv)
{
	const char *dirarg = NULL;
	char *dir = NULL, err[1024];
	int help, ret = 2;
	scenario s;
	buf_t out = {0};

	if (parse_common(argc, argv, &dirarg, NULL, NULL, &help, show_usage) != 0)
		return 2;
	if (help)
		return 0;
	if (optind + 1 != argc) {
		fprintf(stderr, "rotsim show: give one scenario name\n");
		return 2;
	}
	if (load_named(&s, argv[optind], err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		ret = 1;
		goto out;
	}
	scn_describe(&s, &out);
	fwrite(out.data, 1, out.len, stdout);
	scn_free(&s);
	ret = 0;
out:
	buf_free(&out);
	free(dir);
	return ret;
}
