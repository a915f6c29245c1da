/*
 * What the cases of a run share, prepared once before the first case: each
 * scenario's PKI and firmware bundles, and the firmware-signing key. See
 * run_int.h.
 */
#include "run/run_int.h"
#include "common/util.h"
#include "fw/fw.h"
#include "version.h"
#include "common/bundle.h"
#include "scenario/devices.h"

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

/* The trust of each described device of the scenario, beside the scenario's
 * anchor sets (OUT/pki/SCN/anchors/NAME.device.pem or .pins): the device's
 * configuration carries that directory, and the verdict's reference check
 * reads the set its phase.json names from there, so the evidence stays whole
 * without the description. */
static int
device_trust(const scenario *s, const char *pkidir, char *err, size_t errlen)
{
	char *adir = xasprintf("%s/anchors", pkidir);
	size_t i;
	int r = 0, wrote;

	for (i = 0; i < s->ndevices && r == 0; i++) {
		char *set = dev_trust_set(s->devices[i]);
		if (dev_is_description(s->devices[i]) && pki_find_anchors(&s->pki, set) != NULL)
			r = util_err(err, errlen, "%s: the anchor set \"%s\" of the scenario's PKI "
				"has the name device %s's trust takes", s->path, set, s->devices[i]);
		else
			r = dev_write_trust(s->devices[i], adir, &wrote, err, errlen);
		/* trust = set:NAME names a set the scenario's PKI must have. */
		char *a = dev_is_description(s->devices[i]) ? dev_profile_value(s->devices[i],
			"anchors") : NULL;
		if (r == 0 && a != NULL && strcmp(a, set) != 0 && pki_find_anchors(&s->pki, a) == NULL)
			r = util_err(err, errlen, "%s: device %s trusts the anchor set \"%s\", which "
				"the scenario's PKI does not have", s->path, s->devices[i], a);
		free(a);
		free(set);
	}
	free(adir);
	return r;
}

/* With a team's own signing key: the manifest it signs for each phase,
 * OUT/firmware/SCN/PHASE/manifest, the bytes the update server serves there
 * (ECDSA in BearSSL is deterministic, RFC 6979) but for a fault that changes
 * them, so that anyone can check with the public key which key signed. A
 * run's fresh key records none: its manifests would differ from run to run. */
static int
record_manifests(const scenario *s, const run_opts *o, char *err, size_t errlen)
{
	fw_key key;
	size_t i;
	int r;

	if (fw_key_load(&key, o->signing_key, err, errlen) != 0)
		return -1;
	for (i = 0, r = 0; i < s->nphases && r == 0; i++) {
		const scn_phase *ph = &s->phases[i];
		char *img = xasprintf("%s/firmware/%s/%s/image-%u.bin", o->out, s->name, ph->name,
			ph->firmware);
		char *mpath = xasprintf("%s/firmware/%s/%s/manifest", o->out, s->name, ph->name);
		unsigned char *data = NULL;
		size_t len = 0, mlen;
		char *text = NULL;
		fw_manifest m;
		memset(&m, 0, sizeof m);
		r = util_read_file(img, &data, &len, err, errlen);
		if (r == 0) {
			m.version = ph->firmware;
			m.size = len;
			util_sha256(m.sha256, data, len);
			snprintf(m.url, sizeof m.url, "/firmware/image-%u.bin", ph->firmware);
			text = fw_manifest_sign(&m, &key, &mlen, err, errlen);
			r = text != NULL ? util_write_atomic(mpath, text, mlen, 0644, err, errlen) : -1;
		}
		free(text);
		free(data);
		free(img);
		free(mpath);
	}
	fw_key_wipe(&key);
	return r;
}

/* see run_int.h */
int
prepare_scenario(scenario *s, const run_opts *o, char *err, size_t errlen)
{
	char *pkidir = xasprintf("%s/pki/%s", o->out, s->name);
	size_t i;
	int ret = -1;

	char *cache = o->cache != NULL ? xstrdup(o->cache) : pki_default_cache();
	char key[65];
	int hit = 0, r;
	/* The built hierarchy is cached by the hash of its inputs (the scenario
	 * file, which may hold PKI sections, and its .pki file), the seed and
	 * this rotsim: a warm run signs nothing. */
	pki_inputs in;
	pki_inputs_init(&in, o->seed, rotsim_version);
	const char *inputs[2] = { s->path, s->pki_path };
	for (i = 0; i < 2; i++) {
		unsigned char *text;
		size_t len;
		if (inputs[i] == NULL)
			continue;
		if (util_read_file(inputs[i], &text, &len, err, errlen) != 0) {
			free(cache);
			goto out;
		}
		pki_inputs_add(&in, text, len);
		free(text);
	}
	pki_inputs_key(&in, key);
	if (cache != NULL && (hit = pki_cache_get(cache, key, pkidir, err, errlen)) < 0) {
		free(cache);
		goto out;
	}
	r = 0;
	if (!hit) {
		r = pki_build(&s->pki, o->seed, cache, NULL, NULL, err, errlen);
		if (r == 0)
			r = pki_write(&s->pki, pkidir, err, errlen);
		/* A cache that cannot be written costs speed, not the run. */
		if (r == 0 && cache != NULL)
			pki_cache_put(&s->pki, cache, key, NULL, 0);
	}
	free(cache);
	if (r != 0 || device_trust(s, pkidir, err, errlen) != 0)
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
		if (ph->firmware_trust != NULL && hit) {
			/* From the cache: the anchor set as written. */
			unsigned char *pem;
			size_t plen;
			char *apath = xasprintf("%s/anchors/%s.pem", pkidir, ph->firmware_trust);
			r = util_read_file(apath, &pem, &plen, err, errlen);
			free(apath);
			if (r != 0) {
				buf_free(&payload);
				free(fwdir);
				free(img);
				goto out;
			}
			buf_append(&anchors, pem, plen);
			free(pem);
			sa.data = anchors.data;
			sa.len = anchors.len;
		} else if (ph->firmware_trust != NULL) {
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
	if (o->signing_key != NULL && record_manifests(s, o, err, errlen) != 0)
		goto out;
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
