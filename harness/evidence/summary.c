/*
 * summary.json records, and the results files written from them (summary.json,
 * junit.xml, summary.txt). See evidence.h.
 */
#include "evidence/evidence.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* How much of a failing phase's console junit.xml shows: its end. */
#define CONSOLE_TAIL 4096

/* see evidence.h */
int
ev_set(char *dst, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;
	static const char mark[] = "[...]";

	if (len == 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(dst, len, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < len)
		return 0;
	if (len > sizeof mark) {
		/* Cut at a character boundary, then mark the cut. */
		size_t at = len - sizeof mark;
		while (at > 0 && ((unsigned char)dst[at] & 0xc0) == 0x80)
			at--;
		memcpy(dst + at, mark, sizeof mark);
	}
	return -1;
}

/* see evidence.h */
void
ev_record_init(ev_record *r)
{
	memset(r, 0, sizeof *r);
	r->case_index = r->phase_index = -1;
	r->reported_version = r->offered_version = r->version_before = -1;
	r->observed = OUT_ERROR;
	r->expected = OUT_OFF;
	r->required = 1;
}

/* see evidence.h */
int
ev_record_is_error(const ev_record *r)
{
	return r->observed == OUT_ERROR || r->observed == OUT_INTERRUPTED;
}

static void
put_member(buf_t *b, const char *key, const char *val)
{
	buf_printf(b, ",\"%s\":", key);
	json_put_str(b, val);
}

/* see evidence.h */
void
ev_record_json(const ev_record *r, buf_t *out)
{
	buf_puts(out, "{\"scenario\":");
	json_put_str(out, r->scenario);
	put_member(out, "device", r->device);
	put_member(out, "target", r->target);
	put_member(out, "tls", ev_record_tls(r));
	if (r->client[0])
		put_member(out, "client", r->client);
	put_member(out, "phase", r->phase);
	if (r->case_index >= 0)
		buf_printf(out, ",\"case_index\":%ld", r->case_index);
	if (r->phase_index >= 0)
		buf_printf(out, ",\"phase_index\":%ld", r->phase_index);
	put_member(out, "date", r->date);
	put_member(out, "expected", scn_outcome_name(r->expected));
	buf_printf(out, ",\"tier\":\"%s\"", r->required ? "required" : "recommended");
	put_member(out, "observed", scn_outcome_name(r->observed));
	buf_printf(out, ",\"verdict\":\"%s\"", r->pass ? "pass" : "fail");
	put_member(out, "reason", r->reason);
	if (r->why[0])
		put_member(out, "why", r->why);
	put_member(out, "evidence", r->evidence);
	put_member(out, "chain", r->chain_text);
	put_member(out, "alert", r->alert);
	put_member(out, "device_error", r->device_error);
	put_member(out, "reference", r->reference);
	buf_printf(out, ",\"handshakes_ok\":%d,\"handshakes_failed\":%d,"
		"\"image_bytes_sent\":%llu,\"wire_app_bytes\":%llu,\"capture_ok\":%s,"
		"\"capture_handshakes\":%d,\"reported_version\":%ld,\"offered_version\":%ld,"
		"\"version_before\":%ld,\"duration_ms\":%lld}", r->handshakes_ok,
		r->handshakes_failed, (unsigned long long)r->image_bytes_sent,
		(unsigned long long)r->wire_app_bytes, r->capture_ok ? "true" : "false",
		r->capture_handshakes, r->reported_version, r->offered_version, r->version_before,
		r->duration_ms);
}

static long
get_long(const json *j, const char *key, long dflt)
{
	int64_t v;
	return json_get_int(j, key, &v) == 0 ? (long)v : dflt;
}

/* see evidence.h */
int
ev_record_from_json(const json *j, ev_record *r)
{
	const char *s;
	int o;

	ev_record_init(r);
	if (j == NULL || j->type != JSON_OBJECT || json_get_str(j, "scenario") == NULL
		|| json_get_str(j, "device") == NULL || json_get_str(j, "phase") == NULL)
		return -1;
#define S(field, key) ev_set(r->field, sizeof r->field, "%s", \
	json_get_str(j, key) ? json_get_str(j, key) : "")
	S(scenario, "scenario");
	S(device, "device");
	S(target, "target");
	S(tls, "tls");
	S(client, "client");
	S(phase, "phase");
	S(date, "date");
	S(reason, "reason");
	S(why, "why");
	S(evidence, "evidence");
	S(alert, "alert");
	S(device_error, "device_error");
	S(chain_text, "chain");
	S(reference, "reference");
#undef S
	r->case_index = get_long(j, "case_index", -1);
	r->phase_index = get_long(j, "phase_index", -1);
	s = json_get_str(j, "observed");
	o = scn_outcome_from_name(s ? s : "");
	r->observed = o < 0 ? OUT_ERROR : (scn_outcome)o;
	s = json_get_str(j, "expected");
	o = scn_outcome_from_name(s ? s : "");
	r->expected = o < 0 ? OUT_OFF : (scn_outcome)o;
	s = json_get_str(j, "tier");
	r->required = s == NULL || strcmp(s, "recommended") != 0;
	s = json_get_str(j, "verdict");
	r->pass = s != NULL && strcmp(s, "pass") == 0;
	r->handshakes_ok = (int)get_long(j, "handshakes_ok", 0);
	r->handshakes_failed = (int)get_long(j, "handshakes_failed", 0);
	r->image_bytes_sent = (uint64_t)get_long(j, "image_bytes_sent", 0);
	r->wire_app_bytes = (uint64_t)get_long(j, "wire_app_bytes", 0);
	r->capture_handshakes = (int)get_long(j, "capture_handshakes", 0);
	r->reported_version = get_long(j, "reported_version", -1);
	r->offered_version = get_long(j, "offered_version", -1);
	r->version_before = get_long(j, "version_before", -1);
	r->duration_ms = get_long(j, "duration_ms", 0);
	r->capture_ok = json_get(j, "capture_ok") != NULL
		&& json_get(j, "capture_ok")->type == JSON_TRUE;
	return 0;
}

/* see evidence.h */
void
ev_record_line(const ev_record *r, buf_t *out)
{
	buf_printf(out, "%s %s @ %s (%.10s): %s: %s; expected %s%s: %s", r->scenario,
		r->device, r->phase, r->date, scn_outcome_name(r->observed), r->reason,
		scn_outcome_name(r->expected), r->required ? "" : " (recommended)",
		r->pass ? "PASS" : "FAIL");
}

/* ---- summary.json ---- */

/* see evidence.h */
void
ev_summary_free(ev_summary *s)
{
	if (s == NULL)
		return;
	json_free(s->doc);
	free(s->recs);
	memset(s, 0, sizeof *s);
}

/* see evidence.h */
int
ev_summary_parse(ev_summary *s, const char *name, const char *text, size_t len, char *err,
	size_t errlen)
{
	char msg[256];
	const json *recs;
	size_t i;

	memset(s, 0, sizeof *s);
	if ((s->doc = json_parse(text, len, msg, sizeof msg)) == NULL)
		return util_err(err, errlen, "%s: %s", name, msg);
	recs = json_get(s->doc, "records");
	if (recs == NULL || recs->type != JSON_ARRAY) {
		ev_summary_free(s);
		return util_err(err, errlen, "%s: no \"records\" array (not a rotsim summary)",
			name);
	}
	s->recs = xcalloc(recs->n + 1, sizeof *s->recs);
	for (i = 0; i < recs->n; i++) {
		if (ev_record_from_json(recs->items[i], &s->recs[i]) != 0) {
			ev_summary_free(s);
			return util_err(err, errlen, "%s: record %zu lacks scenario, device or phase",
				name, i + 1);
		}
		s->n++;
	}
	return 0;
}

/* see evidence.h */
int
ev_summary_read(ev_summary *s, const char *path, char *err, size_t errlen)
{
	struct stat st;
	size_t n = strlen(path), len;
	char *file;
	unsigned char *data;
	int r = -1;

	memset(s, 0, sizeof *s);
	if ((stat(path, &st) == 0 && S_ISDIR(st.st_mode)) || n < 5
		|| strcmp(path + n - 5, ".json") != 0)
		file = xasprintf("%s/summary.json", path);
	else
		file = xstrdup(path);
	if (util_read_file(file, &data, &len, err, errlen) == 0) {
		r = ev_summary_parse(s, file, (const char *)data, len, err, errlen);
		free(data);
	}
	free(file);
	return r;
}

/* ---- The results files ---- */

static void
xml_str(buf_t *b, const char *s)
{
	ev_xml_escape(b, s, strlen(s));
}

/* The end of a phase's console, cleaned, into junit.xml: what a person reads
 * first when a phase fails. */
static void
xml_console_tail(buf_t *b, const char *dir, const char *rel)
{
	char *path = xasprintf("%s/%s/console.log", dir, rel), err[256];
	unsigned char *data;
	size_t len, off = 0;

	if (rel[0] && util_read_file(path, &data, &len, err, sizeof err) == 0) {
		if (len > CONSOLE_TAIL) {
			off = len - CONSOLE_TAIL;
			while (off < len && data[off - 1] != '\n')
				off++;
		}
		buf_puts(b, "\nconsole (end):\n");
		ev_xml_escape(b, (const char *)data + off, len - off);
		free(data);
	}
	free(path);
}

/* A duration for a time="" attribute: plain decimal seconds, as the JUnit
 * schema (junit.xsd) and its readers want. Durations come from evidence files
 * (run.json, a shard's summary.json): one that is negative, from a damaged or
 * edited file, is written as 0 rather than as "-1.-500". */
static void
xml_seconds(buf_t *b, long long ms)
{
	if (ms < 0)
		ms = 0;
	buf_printf(b, "%lld.%03lld", ms / 1000, ms % 1000);
}

/* A Recommended expectation not met: not a failure of the release, so not
 * a <failure> for the CI either, but said in the testcase. */
static int
recommended_miss(const ev_record *r)
{
	return !ev_record_is_error(r) && !r->pass && !r->required;
}

static void
junit_case(buf_t *xml, const char *dir, const ev_record *r)
{
	int err = ev_record_is_error(r), bad = err || (!r->pass && r->required);
	const char *tag = err ? "error" : "failure";

	buf_puts(xml, "    <testcase classname=\"");
	xml_str(xml, r->scenario);
	buf_putc(xml, '.');
	xml_str(xml, r->device);
	buf_putc(xml, '@');
	xml_str(xml, r->target);
	buf_puts(xml, "\" name=\"");
	xml_str(xml, r->phase);
	buf_puts(xml, " (");
	ev_xml_escape(xml, r->date, strnlen(r->date, 10));
	buf_puts(xml, ")\" time=\"");
	xml_seconds(xml, r->duration_ms);
	buf_puts(xml, "\">\n");
	if (recommended_miss(r)) {
		buf_printf(xml, "      <properties><property name=\"recommended-miss\" value=\""
			"observed %s, expected %s\"/></properties>\n", scn_outcome_name(r->observed),
			scn_outcome_name(r->expected));
	}
	if (bad) {
		buf_t line = {0};
		ev_record_line(r, &line);
		buf_printf(xml, "      <%s type=\"%s\" message=\"", tag,
			scn_outcome_name(r->observed));
		xml_str(xml, buf_cstr(&line));
		buf_puts(xml, "\">");
		xml_str(xml, buf_cstr(&line));
		buf_puts(xml, "\nevidence: ");
		xml_str(xml, r->evidence);
		buf_printf(xml, "</%s>\n", tag);
		buf_free(&line);
	}
	buf_puts(xml, "      <system-out>");
	xml_str(xml, r->evidence);
	if (recommended_miss(r)) {
		buf_t line = {0};
		ev_record_line(r, &line);
		buf_puts(xml, "\nRecommended expectation not met (not a release blocker): ");
		xml_str(xml, buf_cstr(&line));
		buf_free(&line);
	}
	if (bad)
		xml_console_tail(xml, dir, r->evidence);
	buf_puts(xml, "</system-out>\n    </testcase>\n");
}

/* A case that was not run: one testcase, skipped, with the reason. */
static void
junit_skip(buf_t *xml, const ev_skip *s)
{
	buf_puts(xml, "    <testcase classname=\"");
	xml_str(xml, s->scenario);
	buf_putc(xml, '.');
	xml_str(xml, s->device);
	buf_putc(xml, '@');
	xml_str(xml, s->target);
	buf_puts(xml, "\" name=\"(every phase)\" time=\"0.000\">\n      <skipped message=\"");
	xml_str(xml, s->reason);
	buf_puts(xml, "\"/>\n    </testcase>\n");
}

/* see evidence.h */
int
ev_results_write(const char *dir, const ev_record *res, size_t n, const ev_skip *skips,
	size_t nskips, const char *meta, char *err, size_t errlen)
{
	buf_t js = {0}, xml = {0}, txt = {0};
	size_t i, j, pass = 0, fail = 0, errors = 0, req_fail = 0, junit_fail = 0;
	int ret = -1;
	char host[256], stamp[32];
	time_t now = time(NULL);

	/* The suites' hostname: never empty (the schema wants a name). */
	if (gethostname(host, sizeof host) != 0)
		host[0] = 0;
	host[sizeof host - 1] = 0;
	if (host[0] == 0)
		snprintf(host, sizeof host, "localhost");
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", gmtime(&now));

	for (i = 0; i < n; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		if (ev_record_is_error(&res[i]))
			errors++;
		else if (res[i].pass)
			pass++;
		else {
			fail++;
			req_fail += res[i].required;
			junit_fail += res[i].required;
		}
	}
	buf_printf(&js, "{%s%s\"passed\":%zu,\"failed\":%zu,\"errors\":%zu,"
		"\"required_failed\":%zu,\"records\":[\n", meta, meta[0] ? "," : "", pass, fail,
		errors, req_fail);
	for (i = 0; i < n; i++) {
		if (i)
			buf_puts(&js, ",\n");
		ev_record_json(&res[i], &js);
	}
	buf_puts(&js, "\n],\"skipped\":[");
	for (i = 0; i < nskips; i++) {
		buf_puts(&js, i ? ",\n{\"scenario\":" : "\n{\"scenario\":");
		json_put_str(&js, skips[i].scenario);
		buf_puts(&js, ",\"device\":");
		json_put_str(&js, skips[i].device);
		buf_puts(&js, ",\"target\":");
		json_put_str(&js, skips[i].target);
		buf_puts(&js, ",\"reason\":");
		json_put_str(&js, skips[i].reason);
		buf_printf(&js, ",\"case_index\":%ld}", skips[i].case_index);
	}
	buf_puts(&js, "]}\n");

	buf_printf(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"rotsim\" "
		"tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
		pass + fail + errors + nskips, junit_fail, errors, nskips);
	for (i = 0; i < n; i = j) {
		size_t t = 0, f = 0, e = 0, s = 0;
		long long ms = 0;
		for (j = i; j < n && strcmp(res[j].scenario, res[i].scenario) == 0; j++) {
			if (res[j].observed == OUT_OFF)
				continue;
			t++;
			/* Saturating: durations come from files. */
			if (res[j].duration_ms > 0)
				ms = res[j].duration_ms > LLONG_MAX - ms ? LLONG_MAX
					: ms + res[j].duration_ms;
			e += ev_record_is_error(&res[j]);
			f += !ev_record_is_error(&res[j]) && !res[j].pass && res[j].required;
		}
		/* Records of one scenario are contiguous in a run; should they not
		 * be, its skipped cases go with the first suite of its name. */
		size_t first;
		for (first = 0; first < i && strcmp(res[first].scenario, res[i].scenario) != 0;
			first++)
			;
		for (size_t k = 0; k < nskips && first == i; k++)
			s += strcmp(skips[k].scenario, res[i].scenario) == 0;
		buf_puts(&xml, "  <testsuite name=\"");
		xml_str(&xml, res[i].scenario);
		buf_printf(&xml, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
			"time=\"", t + s, f, e, s);
		xml_seconds(&xml, ms);
		buf_printf(&xml, "\" timestamp=\"%s\" hostname=\"", stamp);
		xml_str(&xml, host);
		buf_puts(&xml, "\">\n");
		for (size_t k = i; k < j; k++)
			if (res[k].observed != OUT_OFF)
				junit_case(&xml, dir, &res[k]);
		for (size_t k = 0; k < nskips && first == i; k++)
			if (strcmp(skips[k].scenario, res[i].scenario) == 0)
				junit_skip(&xml, &skips[k]);
		buf_puts(&xml, "  </testsuite>\n");
	}
	/* A scenario whose every case was skipped still has a suite. */
	for (size_t k = 0; k < nskips; k++) {
		for (i = 0; i < n && strcmp(res[i].scenario, skips[k].scenario) != 0; i++)
			;
		size_t m;
		for (m = 0; m < k && strcmp(skips[m].scenario, skips[k].scenario) != 0; m++)
			;
		if (i < n || m < k)
			continue;
		size_t s = 0;
		for (m = k; m < nskips; m++)
			s += strcmp(skips[m].scenario, skips[k].scenario) == 0;
		buf_puts(&xml, "  <testsuite name=\"");
		xml_str(&xml, skips[k].scenario);
		buf_printf(&xml, "\" tests=\"%zu\" failures=\"0\" errors=\"0\" skipped=\"%zu\" "
			"time=\"0.000\" timestamp=\"%s\" hostname=\"", s, s, stamp);
		xml_str(&xml, host);
		buf_puts(&xml, "\">\n");
		for (m = k; m < nskips; m++)
			if (strcmp(skips[m].scenario, skips[k].scenario) == 0)
				junit_skip(&xml, &skips[m]);
		buf_puts(&xml, "  </testsuite>\n");
	}
	buf_puts(&xml, "</testsuites>\n");

	for (i = 0; i < n; i++) {
		if (res[i].observed == OUT_OFF)
			continue;
		ev_record_line(&res[i], &txt);
		buf_putc(&txt, '\n');
	}
	for (i = 0; i < nskips; i++)
		buf_printf(&txt, "skipped: %s %s@%s: %s\n", skips[i].scenario, skips[i].device,
			skips[i].target, skips[i].reason);
	buf_printf(&txt, "\n%zu passed, %zu failed, %zu errors (%zu Required expectations not met)"
		"%s", pass, fail, errors, req_fail, nskips ? "" : "\n");
	if (nskips)
		buf_printf(&txt, ", %zu cases skipped\n", nskips);

	char *p1 = xasprintf("%s/summary.json", dir), *p2 = xasprintf("%s/junit.xml", dir),
		*p3 = xasprintf("%s/summary.txt", dir);
	if (util_write_atomic(p1, js.data, js.len, 0644, err, errlen) == 0
		&& util_write_atomic(p2, xml.data, xml.len, 0644, err, errlen) == 0
		&& util_write_atomic(p3, txt.data, txt.len, 0644, err, errlen) == 0)
		ret = 0;
	free(p1);
	free(p2);
	free(p3);
	buf_free(&js);
	buf_free(&xml);
	buf_free(&txt);
	return ret;
}
