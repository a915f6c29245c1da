/*
 * The hawkBit DDI feedback parser (see ddi.h).
 */
#include "server/ddi.h"
#include "common/json.h"
#include "common/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const executions[] = {
	"closed", "proceeding", "canceled", "scheduled", "rejected", "resumed",
	"downloaded", "download", NULL
};
static const char *const results[] = { "success", "failure", "none", NULL };

/* Copy v into dst if it is one of list: 0, else -1. */
static int
one_of(char *dst, size_t dstlen, const char *v, const char *const *list)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++) {
		if (strcmp(v, list[i]) == 0) {
			snprintf(dst, dstlen, "%s", v);
			return 0;
		}
	}
	return -1;
}

/* see ddi.h */
int
srv_ddi_feedback_parse(srv_ddi_feedback *fb, const char *body, size_t len, char *err,
	size_t errlen)
{
	json *j;
	const json *st, *res, *id, *det;
	const char *v;
	char msg[96];
	int ret = -1;

	memset(fb, 0, sizeof *fb);
	fb->id = -1;
	j = json_parse(body, len, msg, sizeof msg);
	if (j == NULL)
		return util_err(err, errlen, "not JSON: %s", msg);
	if (j->type != JSON_OBJECT) {
		util_err(err, errlen, "not a JSON object");
		goto out;
	}
	id = json_get(j, "id");
	if (id != NULL) {
		int64_t n;
		char *end;

		if (id->type == JSON_NUMBER && json_int(id, &n) == 0 && n >= 0
			&& n <= 0x7fffffff) {
			fb->id = (long)n;
		} else if (id->type == JSON_STRING && id->str[0] >= '0' && id->str[0] <= '9'
			&& strlen(id->str) <= 10 && (n = strtoll(id->str, &end, 10), *end == 0)
			&& n <= 0x7fffffff) {
			fb->id = (long)n;
		} else {
			util_err(err, errlen, "id: not an action number");
			goto out;
		}
	}
	st = json_get(j, "status");
	if (st == NULL || st->type != JSON_OBJECT) {
		util_err(err, errlen, "no status object");
		goto out;
	}
	v = json_get_str(st, "execution");
	if (v == NULL) {
		util_err(err, errlen, "status.execution: missing or not a string");
		goto out;
	}
	if (one_of(fb->execution, sizeof fb->execution, v, executions) != 0) {
		util_err(err, errlen, "status.execution: unknown value \"%.32s\"", v);
		goto out;
	}
	res = json_get(st, "result");
	if (res != NULL && res->type != JSON_OBJECT) {
		util_err(err, errlen, "status.result: not an object");
		goto out;
	}
	v = json_get_str(res, "finished");
	if (v != NULL && one_of(fb->finished, sizeof fb->finished, v, results) != 0) {
		util_err(err, errlen, "status.result.finished: unknown value \"%.32s\"", v);
		goto out;
	}
	if (json_get(res, "finished") != NULL && v == NULL) {
		util_err(err, errlen, "status.result.finished: not a string");
		goto out;
	}
	if (strcmp(fb->execution, "closed") == 0 && fb->finished[0] == 0) {
		util_err(err, errlen, "status.execution closed without result.finished");
		goto out;
	}
	det = json_get(st, "details");
	if (det != NULL && det->type == JSON_ARRAY && det->n > 0
		&& det->items[0]->type == JSON_STRING)
		snprintf(fb->detail, sizeof fb->detail, "%s", det->items[0]->str);
	ret = 0;
out:
	json_free(j);
	return ret;
}
