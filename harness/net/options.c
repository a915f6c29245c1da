/*
 * The lab-network options of a phase. See labnet.h.
 *
 * Their grammar and bounds are the shared fault table's (common/fault.h,
 * the network faults): one table of every per-phase fault, where the form
 * says which side applies it. Here each parsed fault becomes a setting of
 * the phase's network.
 */
#include "net/labnet.h"
#include "common/fault.h"
#include "common/util.h"

#include <stdio.h>
#include <string.h>

/* see labnet.h */
int
labnet_option(labnet_phase *ph, const char *spec, char *err, size_t errlen)
{
	fault f;

	if (fault_parse(&f, spec, FAULT_FORM_LAB, err, errlen) != 0)
		return -1;
	switch (f.kind) {
	case FAULT_NXDOMAIN: ph->nxdomain = 1; break;
	case FAULT_WRONG_ADDRESS:
		snprintf(ph->wrong_buf, sizeof ph->wrong_buf, "%s", f.path);
		ph->wrong_address = ph->wrong_buf;
		break;
	case FAULT_DNS_SLOW: ph->dns_slow_s = (int)f.value; break;
	case FAULT_NO_NTP_OPTION: ph->no_ntp_option = 1; break;
	case FAULT_LEASE: ph->lease_s = (int)f.value; break;
	case FAULT_NTP_SILENT: ph->ntp_silent = 1; break;
	case FAULT_NTP_DATE:
		ph->ntp_date_set = 1;
		ph->ntp_date = f.date;
		break;
	case FAULT_KISS_OF_DEATH:
		snprintf(ph->kiss, sizeof ph->kiss, "%s", f.path);
		break;
	default:	/* fault_parse() gives network faults only in this form */
		fault_clear(&f);
		return util_err(err, errlen, "%s: not a lab option", spec);
	}
	fault_clear(&f);
	return 0;
}
