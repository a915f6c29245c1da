/*
 * What the cases of a run share, prepared once before the first case: each
 * scenario's PKI and firmware bundles, and the firmware-signing key. See
 * run_int.h.
 */
#include "run/run_int.h"
#include "common/util.h"
#include "fw/fw.h"
#include "common/bundle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Deterministic firmware payload: what a real image would carry. */
static void
payload_for(const char *scn, unsigned version, buf_t *out)
{
	unsigned char block[32];
	br_sha256_context c;
	size_t i;
	char seed[160];

	snprintf(seed, sizeof seed, "rotsim firmware %s %u", scn, version);
	util_sha256(block, seed, strlen(seed));
	for (i = 0; i < 196608 / 32; i++) {
		buf_append(out, block, sizeof block);
		br_sha256_init(&c);
		br_sha256_update(&c, block, sizeof block);
		br_sha256_out(&c, block);
	}
}

/* see run_int.h */
int
prepare_scenario(scenario *s, const run_opts *o, char *err, size_t errlen)
{
	char *pkidir = xasprintf("%s/pki/%s", o->out, s->name);
	size_t i;
	int ret = -1;

	char *cache = o->cache != NULL ? xstrdup(o->cache) : pki_default_cache();
	int r = pki_build(&s->pki, o->seed, cache, NULL, NULL, err, errlen);
	free(cache);
	if (r != 0 || pki_write(&s->pki, pkidir, err, errlen) != 0)
		goto out;
	for (i = 0; i < s->nphases; i++) {
		scn_phase *ph = &s->phases[i];
		char *fwdir = xasprintf("%s/firmware/%s/%s", o->out, s->name, ph->name);
		char *img = xasprintf("%s/image-%u.bin", fwdir, ph->firmware);
		buf_t b = {0}, payload = {0}, anchors = {0};
		size_t j;
		/* Phases that offer the same bundle (version and trust store)
		 * share one file: a hard link, not another copy. */
		for (j = 0; j < i; j++)
			if (s->phases[j].firmware == ph->firmware
				&& (s->phases[j].firmware_trust == NULL) == (ph->firmware_trust == NULL)
				&& (ph->firmware_trust == NULL
				|| strcmp(s->phases[j].firmware_trust, ph->firmware_trust) == 0))
				break;
		if (j < i) {
			char *first = xasprintf("%s/firmware/%s/%s/image-%u.bin", o->out, s->name,
				s->phases[j].name, ph->firmware);
			r = util_mkdirs(fwdir, 0755, err, errlen);
			if (r == 0 && link(first, img) != 0)
				r = util_err(err, errlen, "%s: %s", img, strerror(errno));
			free(first);
			free(fwdir);
			free(img);
			if (r != 0)
				goto out;
			continue;
		}
		bundle_section sa = { NULL, 0 }, sp;
		payload_for(s->name, ph->firmware, &payload);
		sp.data = payload.data;
		sp.len = payload.len;
		if (ph->firmware_trust != NULL) {
			pki_anchors_pem(pki_find_anchors(&s->pki, ph->firmware_trust), &anchors);
			sa.data = anchors.data;
			sa.len = anchors.len;
		}
		bundle_write(&b, ph->firmware, &sa, NULL, &sp);
		r = util_mkdirs(fwdir, 0755, err, errlen) == 0
			? util_write_atomic(img, b.data, b.len, 0644, err, errlen) : -1;
		buf_free(&b);
		buf_free(&payload);
		buf_free(&anchors);
		free(fwdir);
		free(img);
		if (r != 0)
			goto out;
	}
	ret = 0;
out:
	free(pkidir);
	return ret;
}

/* see run_int.h */
int
prepare_keys(const run_opts *o, char *err, size_t errlen)
{
	char *keys = xasprintf("%s/keys", o->out);
	char *sk = xasprintf("%s/signing-key.pem", keys), *pub = xasprintf("%s/signing-key.pub.pem",
		keys);
	fw_key key;
	int kr = util_mkdirs(keys, 0700, err, errlen);
	/* A team's own key is used where it is (a copy of it stays out of the
	 * results); otherwise the run makes one. */
	if (kr == 0 && o->signing_key != NULL) {
		char msg[512];
		if ((kr = fw_key_load(&key, o->signing_key, msg, sizeof msg)) != 0)
			util_err(err, errlen, "--signing-key %s: %s", o->signing_key, msg);
	} else if (kr == 0 && access(sk, R_OK) != 0)
		kr = fw_key_generate(&key, err, errlen) == 0 ? fw_key_save(&key, sk, err, errlen) : -1;
	else if (kr == 0)
		kr = fw_key_load(&key, sk, err, errlen);
	if (kr == 0) {
		char *pem = fw_key_pub_pem(&key);
		kr = util_write_atomic(pub, pem, strlen(pem), 0644, err, errlen);
		free(pem);
	}
	fw_key_wipe(&key);
	free(keys);
	free(sk);
	free(pub);
	return kr;
}
