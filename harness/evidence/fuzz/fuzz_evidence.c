/*
 * libFuzzer target: the evidence codecs on arbitrary bytes: phase.json,
 * run.json, server-events.jsonl and summary.json, then the text cleaning
 * that junit.xml relies on.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "evidence/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *text = (const char *)data;
	char err[256];
	ev_plan p;
	ev_run r;
	ev_summary s;
	ev_srv_event *ev;
	size_t n, bad, i;
	buf_t b = {0};

	if (ev_plan_parse(&p, "fuzz", text, len, err, sizeof err) == 0) {
		ev_plan_json(&p, &b);
		ev_plan_free(&p);
	}
	if (ev_run_parse(&r, "fuzz", text, len, err, sizeof err) == 0)
		ev_run_free(&r);
	ev_events_parse(&ev, &n, &bad, text, len);
	ev_events_free(ev, n);
	if (ev_summary_parse(&s, "fuzz", text, len, err, sizeof err) == 0) {
		for (i = 0; i < s.n; i++) {
			ev_record_json(&s.recs[i], &b);
			ev_record_line(&s.recs[i], &b);
		}
		ev_summary_free(&s);
	}
	ev_xml_escape(&b, text, len);
	ev_clean_text(&b, text, len);
	buf_free(&b);
	return 0;
}
