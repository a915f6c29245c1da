/* libFuzzer target: device description text (NAME.device, [device NAME])
 * through the whole reader: sections, every key and the form of every value
 * (trust lists, pins in base64, anchor sets and pin lists by name, paths,
 * versions, stacks, clocks, SNTP servers, dates). The files the values name
 * are not opened: that is dev_check_all's part, on a user's own files. A
 * description that reads is also turned into the reference agent's profile,
 * which must read again as one [profile NAME] section of the same name: what
 * the agent in an image does with it. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/cfg.h"
#include "scenario/devices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char err[1024], *profile = NULL;
	size_t plen = 0, i, nprofile = 0;
	cfg_doc doc;

	/* Once with the name the section must have, once with any. */
	(void)dev_desc_check_text("/nonexistent/fz.device", "fz", (const char *)data, len, err,
		sizeof err);
	(void)dev_desc_check_text("fz.device", NULL, (const char *)data, len, err, sizeof err);
	if (dev_agent_profile_text("/nonexistent/fz.device", "fz", (const char *)data, len,
		&profile, &plen, err, sizeof err) != 0)
		return 0;
	if (cfg_parse(&doc, "profile", profile, plen, err, sizeof err) != 0)
		abort();
	for (i = 0; i < doc.n; i++)
		if (strcmp(doc.secs[i].kind, "profile") == 0) {
			if (doc.secs[i].name == NULL || strcmp(doc.secs[i].name, "fz") != 0)
				abort();
			nprofile++;
		}
	if (doc.n != 1 || nprofile != 1)
		abort();
	cfg_free(&doc);
	free(profile);
	return 0;
}
