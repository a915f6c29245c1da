/*
 * rotsim-mkprofile: the reference agent's profile (its guest configuration,
 * README.md "Trust profiles") of a stock device description, for the
 * build's device images (module.mk). The description's reader is the
 * harness's own (harness/scenario/devices.h), so that the image and a run
 * read one file the same way.
 */
#include <stdio.h>
#include <string.h>

#include "scenario/devices.h"

int
main(int argc, char **argv)
{
	char err[1024];

	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: rotsim-mkprofile NAME.device OUT\n"
			"Writes OUT, the reference agent's profile of the device description.\n");
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: rotsim-mkprofile NAME.device OUT\n");
		return 2;
	}
	if (dev_write_agent_profile(argv[1], argv[2], err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	return 0;
}
