/*
 * The records a case writes for the verdict: the plan of a phase (phase.json)
 * and what the runner saw (run.json). See run_int.h.
 */
#include "run/run_int.h"
#include "common/cfg.h"
#include "common/json.h"
#include "scenario/devices.h"
#include "time/simtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of key in a profile's [profile] section, allocated, or NULL. */
/* see run_int.h */
char *
profile_value(const char *device, const char *key)
{
	char *dir = dev_profiles_dir(), *path, err[256], *v = NULL;
	cfg_doc doc;
	size_t i;

	if (dir == NULL)
		return NULL;
	path = xasprintf("%s/%s.profile", dir, device);
	if (cfg_parse_file(&doc, path, err, sizeof err) == 0) {
		for (i = 0; i < doc.n; i++) {
			if (strcmp(doc.secs[i].kind, "profile") != 0)
				continue;
			cfg_entry *e = cfg_get(&doc.secs[i], key, NULL);
			if (e != NULL)
				v = xstrdup(e->val);
		}
		cfg_free(&doc);
	}
	free(path);
	free(dir);
	return v;
}

/* Anchors a correct device would use, for the verdict's reference check: the
 * device's own, or, for one that has neither anchors nor pins (the insecure
 * control), the anchors of the scenario's other devices. */
static void
reference_anchors(const scenario *s, const char *device, const char *trust, buf_t *json_out)
{
	char *a = profile_value(device, "anchors"), *pins = profile_value(device, "pins");
	size_t i, j, n = 0;

	/* A bundle that carries a trust store replaces the factory's while it
	 * runs (targets/firmware/README.md); a device that checks nothing is
	 * judged by the others' anchors whatever it installed. */
	if (trust != NULL && (a != NULL || pins != NULL)) {
		free(a);
		free(pins);
		a = xstrdup(trust);
		pins = NULL;
	}
	buf_puts(json_out, "\"anchors\":[");
	if (a != NULL) {
		json_put_str(json_out, a);
		n++;
	} else if (pins == NULL) {
		char *seen[64];
		size_t ns = 0;
		for (i = 0; i < s->ndevices && ns < 64; i++) {
			char *b = profile_value(s->devices[i], "anchors");
			if (b == NULL)
				continue;
			for (j = 0; j < ns; j++)
				if (strcmp(seen[j], b) == 0)
					break;
			if (j == ns) {
				seen[ns++] = b;
				if (n++)
					buf_putc(json_out, ',');
				json_put_str(json_out, b);
			} else {
				free(b);
			}
		}
		for (j = 0; j < ns; j++)
			free(seen[j]);
	}
	buf_puts(json_out, "],\"pins\":");
	if (pins != NULL)
		json_put_str(json_out, pins);
	else
		buf_puts(json_out, "null");
	free(a);
	free(pins);
}

/*
 * The plan of a phase: version_before and trust say what the device runs at
 * power-on (trust: the anchor set its installed bundle carries, NULL for the
 * factory trust store).
 */
/* see run_int.h */
void
write_phase_json(const run_case *c, const scn_phase *ph, const char *pdir, long version_before,
	const char *trust, long image_size, int port)
{
	buf_t b = {0};
	char d[32];
	const scn_expect *x = scn_expect_for(ph, c->device);

	simtime_format(d, sizeof d, ph->date);
	buf_puts(&b, "{\"scenario\":");
	json_put_str(&b, c->scn->name);
	buf_puts(&b, ",\"device\":");
	json_put_str(&b, c->device);
	buf_puts(&b, ",\"target\":");
	json_put_str(&b, c->target);
	buf_puts(&b, ",\"phase\":");
	json_put_str(&b, ph->name);
	buf_printf(&b, ",\"date\":\"%s\",\"power\":\"%s\"", d, ph->power ? "on" : "off");
	buf_puts(&b, ",\"expected\":");
	json_put_str(&b, x ? scn_outcome_name(x->outcome) : "off");
	buf_printf(&b, ",\"required\":%s", x == NULL || x->required ? "true" : "false");
	if (x != NULL && x->why != NULL) {
		buf_puts(&b, ",\"why\":");
		json_put_str(&b, x->why);
	}
	buf_printf(&b, ",\"offered_version\":%u,\"version_before\":%ld,\"image_size\":%ld,"
		"\"server_port\":%d,\"server_name\":\"updates.rotsim.test\",\"leaf\":",
		ph->firmware, version_before, image_size, port);
	json_put_str(&b, ph->leaf);
	buf_puts(&b, ",\"variant\":");
	if (ph->variant)
		json_put_str(&b, ph->variant);
	else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"faults\":[");
	for (size_t i = 0; i < ph->nfaults; i++) {
		if (i)
			buf_putc(&b, ',');
		json_put_str(&b, ph->faults[i]);
	}
	buf_printf(&b, "],\"pki\":\"../../../../pki/%s\",\"trust\":", c->scn->name);
	if (trust != NULL)
		json_put_str(&b, trust);
	else
		buf_puts(&b, "\"factory\"");
	buf_putc(&b, ',');
	reference_anchors(c->scn, c->device, trust, &b);
	buf_puts(&b, "}\n");
	char *path = xasprintf("%s/phase.json", pdir);
	write_text(path, &b, NULL, 0);
	free(path);
	buf_free(&b);
}

/* see run_int.h */
void
write_run_json(const char *pdir, int boots, const char *exits, const char *error,
	const char *capture_error, long long ms)
{
	buf_t b = {0};

	buf_printf(&b, "{\"boots\":%d,\"exits\":[%s],\"error\":", boots, exits);
	if (error != NULL)
		json_put_str(&b, error);
	else
		buf_puts(&b, "null");
	buf_puts(&b, ",\"capture_error\":");
	if (capture_error != NULL)
		json_put_str(&b, capture_error);
	else
		buf_puts(&b, "null");
	buf_printf(&b, ",\"interrupted\":%s,\"duration_ms\":%lld}\n",
		interrupted ? "true" : "false", ms);
	char *path = xasprintf("%s/run.json", pdir);
	write_text(path, &b, NULL, 0);
	free(path);
	buf_free(&b);
}
