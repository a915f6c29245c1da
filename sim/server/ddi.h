/*
 * The hawkBit DDI feedback a device posts to
 * /{tenant}/controller/v1/{controllerId}/deploymentBase/{actionId}/feedback:
 * a pure parser (no I/O), shared by the update server, which answers it, and
 * the verdict, which reads the body the server logged, so both take the same
 * bytes the same way. Outside data: any bytes are safe (fuzz_ddi.c).
 *
 * The shape read (other members are ignored):
 *   {"id": "3",                       optional, a string or a number
 *    "status": {"execution": "closed",
 *               "result": {"finished": "success"},
 *               "details": ["..."]}}  optional, strings
 */
#ifndef ROTSIM_SRV_DDI_H
#define ROTSIM_SRV_DDI_H

#include <stddef.h>

typedef struct {
	long id;		/* the "id" member, -1 when absent */
	char execution[16];	/* closed, proceeding, canceled, scheduled,
				   rejected, resumed, downloaded, download */
	char finished[16];	/* success, failure, none ("" when absent) */
	char detail[128];	/* the first detail, cut to fit, or "" */
} srv_ddi_feedback;

/*
 * Parse a feedback body of len bytes. Returns 0 with *fb filled, or -1 with
 * what is wrong in err ("status.execution: unknown value \"x\""): not JSON,
 * not an object, no status object, an execution or finished value outside
 * the lists above, "closed" without result.finished.
 */
int srv_ddi_feedback_parse(srv_ddi_feedback *fb, const char *body, size_t len, char *err,
	size_t errlen);

#endif
