/*
 * rotsim-mkbundle: make a firmware bundle (bundle.h, README.md "Bundle
 * format"), or check and describe one.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include "common/util.h"
#include "fw/fw.h"

#include "common/bundle.h"
#include "common/trust.h"

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim-mkbundle --version N [--anchors PEM] [--pins FILE]\n"
"                       [--payload FILE | --payload-size BYTES] --out FILE\n"
"       rotsim-mkbundle --check FILE\n"
"       rotsim-mkbundle --signing-seed SEED [--key-out KEY.pem] [--pub-out PUB.pem]\n"
"\n"
"  --version N         the firmware version the bundle carries (1..4294967295)\n"
"  --anchors PEM       a trust store (PEM certificates) that replaces the\n"
"                      device's factory anchors when the bundle runs\n"
"  --pins FILE         a pin list (base64 SHA-256 of SPKIs, one per line) that\n"
"                      replaces a pin-leaf device's factory pins\n"
"  --payload FILE      application bytes carried as they are\n"
"  --payload-size N    instead, N bytes of filler derived from the version\n"
"                      (the same N and version give the same bytes)\n"
"  --out FILE          where to write the bundle (written atomically)\n"
"  --check FILE        parse FILE strictly and print what it holds\n"
"  --signing-seed SEED derive the test firmware-signing key (ECDSA P-256) from\n"
"                      SEED, the same on every machine, so that device images\n"
"                      embed its public key without a private key existing at\n"
"                      build time; --key-out writes the private key (mode 0600,\n"
"                      never over an existing file) for rotsim serve\n"
"                      --signing-key; --pub-out the public key (PEM)\n"
"\n"
"Exit status: 0 done, 1 the checked bundle is bad, 2 usage or I/O error.\n");
}

static int
read_section(const char *path, bundle_section *s, unsigned char **owned)
{
	char err[512];
	size_t n;

	if (util_read_file(path, owned, &n, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim-mkbundle: %s\n", err);
		return -1;
	}
	s->data = *owned;
	s->len = n;
	return 0;
}

/* Derive a P-256 key from a seed: HMAC-DRBG (SHA-256) seeded with a
 * domain-separated hash of the seed, as rotsim pki derives its keys. */
static int
derive_key(const char *seed, const char *key_out, const char *pub_out)
{
	br_hmac_drbg_context rng;
	br_ec_private_key sk;
	br_ec_public_key pk;
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pbuf[BR_EC_KBUF_PUB_MAX_SIZE], h[32];
	br_sha256_context sc;
	fw_key k;
	char err[512], *pem = NULL;
	int ret = 2;

	br_sha256_init(&sc);
	br_sha256_update(&sc, "rotsim firmware signing key v1", 31);
	br_sha256_update(&sc, seed, strlen(seed));
	br_sha256_out(&sc, h);
	br_hmac_drbg_init(&rng, &br_sha256_vtable, h, sizeof h);
	memset(&k, 0, sizeof k);
	if (br_ec_keygen(&rng.vtable, &br_ec_p256_m31, &sk, kbuf, BR_EC_secp256r1) != 32
		|| br_ec_compute_pub(&br_ec_p256_m31, &pk, pbuf, &sk) != 65)
	{
		fprintf(stderr, "rotsim-mkbundle: key derivation failed\n");
		goto out;
	}
	memcpy(k.d, sk.x, 32);
	memcpy(k.q, pk.q, 65);
	if (key_out != NULL && fw_key_save(&k, key_out, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim-mkbundle: %s\n", err);
		goto out;
	}
	pem = fw_key_pub_pem(&k);
	if (pub_out != NULL) {
		if (util_write_atomic(pub_out, pem, strlen(pem), 0644, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim-mkbundle: %s\n", err);
			goto out;
		}
	} else if (key_out == NULL) {
		fputs(pem, stdout);
	}
	ret = 0;
out:
	free(pem);
	fw_key_wipe(&k);
	util_wipe(kbuf, sizeof kbuf);
	util_wipe(&rng, sizeof rng);
	util_wipe(h, sizeof h);
	return ret;
}

static int
check(const char *path)
{
	unsigned char *d = NULL, h[32];
	char err[512], hex[65];
	size_t n;
	bundle b;
	trust_store t;
	int ret = 1;

	memset(&t, 0, sizeof t);
	if (util_read_file(path, &d, &n, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim-mkbundle: %s\n", err);
		return 2;
	}
	if (bundle_parse(&b, d, n, 0, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim-mkbundle: %s: %s\n", path, err);
		goto out;
	}
	printf("version %lu\n", (unsigned long)b.version);
	if (b.anchors.data != NULL) {
		long k = trust_add_pem(&t, b.anchors.data, b.anchors.len, err, sizeof err);

		if (k < 0) {
			fprintf(stderr, "rotsim-mkbundle: %s: anchors: %s\n", path, err);
			goto out;
		}
		printf("anchors %zu bytes, %ld certificates\n", b.anchors.len, k);
	}
	if (b.pins.data != NULL) {
		long k = trust_add_pins(&t, b.pins.data, b.pins.len, err, sizeof err);

		if (k < 0) {
			fprintf(stderr, "rotsim-mkbundle: %s: pins: %s\n", path, err);
			goto out;
		}
		printf("pins %zu bytes, %ld pins\n", b.pins.len, k);
	}
	if (b.payload.data != NULL)
		printf("payload %zu bytes\n", b.payload.len);
	util_sha256(h, d, n);
	printf("size %zu\nsha256 %s\n", n, util_hex(hex, h, 32));
	ret = 0;
out:
	trust_free(&t);
	free(d);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "version", required_argument, NULL, 'v' },
		{ "anchors", required_argument, NULL, 'a' },
		{ "pins", required_argument, NULL, 'p' },
		{ "payload", required_argument, NULL, 'P' },
		{ "payload-size", required_argument, NULL, 'S' },
		{ "out", required_argument, NULL, 'o' },
		{ "check", required_argument, NULL, 'c' },
		{ "signing-seed", required_argument, NULL, 'x' },
		{ "key-out", required_argument, NULL, 'K' },
		{ "pub-out", required_argument, NULL, 'U' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *anchors = NULL, *pins = NULL, *payload = NULL, *out = NULL, *chk = NULL;
	const char *seed = NULL, *key_out = NULL, *pub_out = NULL;
	unsigned char *own[3] = { NULL, NULL, NULL };
	bundle_section sa = { NULL, 0 }, sp = { NULL, 0 }, sl = { NULL, 0 };
	unsigned long long version = 0, fill = 0;
	int have_fill = 0, c, ret = 2;
	char err[512], *end;
	buf_t b = {0};
	trust_store t;

	memset(&t, 0, sizeof t);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			version = strtoull(optarg, &end, 10);
			if (*end != 0 || version < 1 || version > UINT32_MAX) {
				fprintf(stderr, "rotsim-mkbundle: bad --version \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'a': anchors = optarg; break;
		case 'p': pins = optarg; break;
		case 'P': payload = optarg; break;
		case 'S':
			fill = strtoull(optarg, &end, 10);
			if (*end != 0 || fill > 64ull * 1048576) {
				fprintf(stderr, "rotsim-mkbundle: bad --payload-size \"%s\"\n", optarg);
				return 2;
			}
			have_fill = 1;
			break;
		case 'o': out = optarg; break;
		case 'c': chk = optarg; break;
		case 'x': seed = optarg; break;
		case 'K': key_out = optarg; break;
		case 'U': pub_out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rotsim-mkbundle: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (seed != NULL) {
		if (version != 0 || out != NULL || chk || anchors || pins || payload || have_fill) {
			fprintf(stderr, "rotsim-mkbundle: --signing-seed takes only --key-out "
				"and --pub-out\n");
			return 2;
		}
		return derive_key(seed, key_out, pub_out);
	}
	if (key_out != NULL || pub_out != NULL) {
		fprintf(stderr, "rotsim-mkbundle: --key-out and --pub-out need --signing-seed\n");
		return 2;
	}
	if (chk != NULL) {
		if (version != 0 || out != NULL || anchors || pins || payload || have_fill) {
			fprintf(stderr, "rotsim-mkbundle: --check takes no other option\n");
			return 2;
		}
		return check(chk);
	}
	if (version == 0 || out == NULL) {
		fprintf(stderr, "rotsim-mkbundle: --version and --out are required\n");
		return 2;
	}
	if (payload != NULL && have_fill) {
		fprintf(stderr, "rotsim-mkbundle: --payload and --payload-size exclude each other\n");
		return 2;
	}
	if (anchors != NULL) {
		if (read_section(anchors, &sa, &own[0]) != 0)
			goto done;
		/* A trust store the device could not use must not be shipped. */
		if (trust_add_pem(&t, sa.data, sa.len, err, sizeof err) <= 0) {
			fprintf(stderr, "rotsim-mkbundle: %s: %s\n", anchors,
				t.ntas == 0 && err[0] == 0 ? "no certificate" : err);
			goto done;
		}
	}
	if (pins != NULL) {
		if (read_section(pins, &sp, &own[1]) != 0)
			goto done;
		err[0] = 0;
		if (trust_add_pins(&t, sp.data, sp.len, err, sizeof err) <= 0) {
			fprintf(stderr, "rotsim-mkbundle: %s: %s\n", pins,
				err[0] != 0 ? err : "no pin");
			goto done;
		}
	}
	if (payload != NULL && read_section(payload, &sl, &own[2]) != 0)
		goto done;
	if (have_fill) {
		/* Filler: SHA-256 in counter mode over the version, so images of
		 * different versions differ and rebuilds are identical. */
		unsigned long long i;
		unsigned char blk[32], in[16];

		own[2] = xmalloc((size_t)fill + 1);
		for (i = 0; i < fill; i += 32) {
			snprintf((char *)in, sizeof in, "%08llx%07llu", i / 32, version % 10000000);
			util_sha256(blk, in, 15);
			memcpy(own[2] + i, blk, fill - i < 32 ? (size_t)(fill - i) : 32);
		}
		sl.data = own[2];
		sl.len = (size_t)fill;
	}
	bundle_write(&b, (uint32_t)version, &sa, &sp, &sl);
	if (util_write_atomic(out, b.data, b.len, 0644, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim-mkbundle: %s\n", err);
		goto done;
	}
	ret = 0;
done:
	trust_free(&t);
	buf_free(&b);
	free(own[0]);
	free(own[1]);
	free(own[2]);
	return ret;
}
