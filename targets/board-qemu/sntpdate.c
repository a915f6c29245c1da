/*
 * sntpdate: the QEMU board's boot-time clock (targets/board-qemu-lab). One
 * SNTP query to the server DHCP named, the answer printed as
 * "YYYY-MM-DD hh:mm:ss" (UTC) for busybox date -u -s, as a board without a
 * battery-backed clock sets its time at boot. Built static into the board's
 * firmware by board.sh deploy; the query is the agent's own (sim/time/sntp.c).
 *
 * usage: sntpdate ADDRESS:PORT    exit 0 with the date, 1 with the reason
 */
#include "time/sntp.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

int
main(int argc, char **argv)
{
	char err[256], out[32];
	int64_t t;
	time_t tt;
	struct tm tm;

	if (argc != 2) {
		fprintf(stderr, "usage: sntpdate ADDRESS:PORT\n");
		return 2;
	}
	if (sntp_query(argv[1], 3000, &t, err, sizeof err) != 0) {
		fprintf(stderr, "sntpdate: %s: %s\n", argv[1], err);
		return 1;
	}
	tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
		fprintf(stderr, "sntpdate: %s: a date out of range\n", argv[1]);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}
