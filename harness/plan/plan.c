/*
 * The plan of a run. See plan.h.
 */
#include "plan/plan.h"
#include "scenario/devices.h"
#include "scenario/stack.h"
#include "net/labnet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* see plan.h */
int
plan_in_shard(size_t index, int k, int n)
{
	return n <= 1 || (int)(index % (size_t)n) == k - 1;
}

/* Levenshtein distance, bounded: names are short ids (at most 64 bytes). */
static size_t
distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, row[65], prev, tmp;

	if (la > 64 || lb > 64)
		return (size_t)-1;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			size_t best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

/* see plan.h */
const char *
plan_closest(const char *want, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t i, bd = (size_t)-1;

	for (i = 0; i < n; i++) {
		size_t d = distance(want, names[i]);
		if (d < bd) {
			bd = d;
			best = names[i];
		}
	}
	/* A suggestion only when it is plausibly a typo: at most a third of
	 * the name wrong, or the wanted name is a prefix. */
	if (best != NULL && (bd * 3 <= strlen(want) + 1 || strncmp(best, want, strlen(want)) == 0))
		return best;
	return NULL;
}

/* Does the device need UDP services (time from SNTP)? Its profile says. */
static int
needs_udp(const char *device)
{
	char *clock = dev_profile_value(device, "clock");
	int r = clock != NULL && strcmp(clock, "sntp") == 0;

	free(clock);
	return r;
}

/* see plan.h */
/* Lab network (net/labnet.h): a scenario tagged lab-network (it judges what
 * a device does on a network: DNS, NTP servers, the sink) runs only on a
 * target that joins one; such a target runs only where a network namespace
 * can be created. Otherwise the case is skipped with the reason, found once
 * per run. */
static const char *
lab_skip(const scenario *s, const tgt *t)
{
	static int checked, ok;
	static char why[256];

	if (!t->lab)
		return scn_has_tag(s, "lab-network") ? "the scenario needs the lab network "
			"(a target with network = lab)" : NULL;
	if (!checked) {
		ok = labnet_available(why, sizeof why);
		checked = 1;
	}
	return ok ? NULL : why;
}

/* A target whose clock comes from the lab's NTP (a board with clock = ntp)
 * has no RTC the harness sets. It cannot give a phase's RTC a date or an
 * offset (rtc = DATE, +N), nor leave a device that relies on its RTC without
 * one (rtc = none: the board's NTP would set the clock such a device should
 * not have), nor keep a device without a clock (clock = none) from having
 * one. Such a case would be judged on a clock it never had, so it is skipped
 * with the reason. A device that takes its time from SNTP itself (clock =
 * sntp) is what rtc = none means on such a board. */
static const char *
clock_skip(const scenario *s, const char *dev, const tgt *t)
{
	const char *why = NULL;
	size_t i;

	if (!t->net_clock)
		return NULL;
	char *clk = dev_profile_value(dev, "clock");
	int sntp = clk != NULL && strcmp(clk, "sntp") == 0;
	if (clk != NULL && strcmp(clk, "none") == 0)
		why = "the device has no clock (clock = none), and this target's clock comes "
			"from the lab's NTP (clock = ntp)";
	free(clk);
	for (i = 0; why == NULL && i < s->nphases; i++) {
		if (s->phases[i].rtc == RTC_ABSOLUTE || s->phases[i].rtc == RTC_OFFSET)
			why = "the scenario sets the device's RTC (rtc =), and this target's clock "
				"comes from the lab's NTP (clock = ntp)";
		else if (s->phases[i].rtc == RTC_NONE && !sntp)
			why = "the scenario takes the device's RTC away (rtc = none) and the device "
				"does not ask SNTP itself; this target's clock comes from the lab's NTP "
				"(clock = ntp)";
	}
	return why;
}

int
plan_build(plan *p, scenario *scns, size_t nscn, const char *const *devices, size_t ndevices,
	const char *const *stacks, size_t nstacks, const tgt *targets, size_t ntargets,
	int shard_k, int shard_n, char *err, size_t errlen)
{
	size_t i, j, k, m, idx = 0;

	memset(p, 0, sizeof *p);
	for (m = 0; m < nstacks; m++)
		if (scn_stack_find(stacks[m]) == NULL) {
			size_t nids = 0;
			while (scn_stack_ids[nids] != NULL)
				nids++;
			const char *near = plan_closest(stacks[m], scn_stack_ids, nids);
			return util_err(err, errlen, "no TLS stack \"%s\"%s%s%s", stacks[m],
				near ? " (did you mean \"" : " (rotsim run --help lists them)",
				near ? near : "", near ? "\"?)" : "");
		}
	/* Every device asked for must be a device of some scenario. */
	for (k = 0; k < ndevices; k++) {
		const char **all = NULL;
		size_t nall = 0, found = 0;
		for (i = 0; i < nscn; i++)
			for (j = 0; j < scns[i].ndevices; j++) {
				found |= strcmp(scns[i].devices[j], devices[k]) == 0;
				all = xrealloc(all, (nall + 1) * sizeof *all);
				all[nall++] = scns[i].devices[j];
			}
		if (!found) {
			const char *near = plan_closest(devices[k], all, nall);
			util_err(err, errlen, "no scenario of this run has a device \"%s\"%s%s%s",
				devices[k], near ? " (did you mean \"" : "", near ? near : "",
				near ? "\"?)" : "");
			free(all);
			return -1;
		}
		free(all);
	}
	for (i = 0; i < nscn; i++)
		for (j = 0; j < scns[i].ndevices; j++) {
			const char *dev = scns[i].devices[j], *own[1];
			const char *const *on = stacks;
			size_t non = nstacks;
			int want = ndevices == 0, udp = -1;
			for (k = 0; k < ndevices; k++)
				want |= strcmp(devices[k], dev) == 0;
			if (!want)
				continue;
			if (nstacks == 0) {
				/* The device's own stack, as its profile says. */
				char *tls = dev_profile_value(dev, "tls");
				own[0] = tls != NULL ? scn_stack_from_tls(tls) : SCN_STACK_DEFAULT;
				if (own[0] == NULL) {
					util_err(err, errlen, "device %s: tls = %s names no TLS stack "
						"(rotsim run --help lists them)", dev, tls);
					free(tls);
					plan_free(p);
					return -1;
				}
				free(tls);
				on = own;
				non = 1;
			}
			for (m = 0; m < non; m++)
				for (k = 0; k < ntargets; k++, idx++) {
					if (!plan_in_shard(idx, shard_k, shard_n))
						continue;
					if (udp < 0)
						udp = needs_udp(dev);
					p->cases = xrealloc(p->cases, (p->n + 1) * sizeof *p->cases);
					plan_case *c = &p->cases[p->n++];
					c->index = idx;
					c->scn = &scns[i];
					c->stack = scn_stack_find(on[m]);
					c->device = scn_device_name(dev, c->stack);
					c->target = &targets[k];
					c->skip = udp && !targets[k].udp ? "the device takes its time from "
						"SNTP (UDP), which this target does not carry"
						: lab_skip(&scns[i], &targets[k]);
					if (c->skip == NULL)
						c->skip = clock_skip(&scns[i], dev, &targets[k]);
					p->skipped += c->skip != NULL;
				}
		}
	p->total = idx;
	if (p->n == 0) {
		plan_free(p);
		return util_err(err, errlen, "no case to run (check --device and --shard)");
	}
	return 0;
}

/* see plan.h */
void
plan_free(plan *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free((char *)p->cases[i].device);
	free(p->cases);
	memset(p, 0, sizeof *p);
}
