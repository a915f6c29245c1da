/*
 * rotsim sign: make a firmware-signing key, sign a manifest for an image,
 * export the public key a device embeds, or check a manifest as a device would.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "fw/fw.h"
#include "verbs.h"

const char verb_sign_summary[] = "sign a firmware image: key, manifest, public key";

static void
usage(FILE *f)
{
	fprintf(f,
"usage: rotsim sign --key KEY.pem [--genkey] --version N --image FILE\n"
"                   [--url PATH] [--out MANIFEST] [--pubkey FILE [--raw]]\n"
"       rotsim sign --key KEY.pem [--genkey] --pubkey FILE [--raw]\n"
"       rotsim sign --verify MANIFEST --pub PUBKEY [--image FILE]\n"
"\n"
"Signs firmware update manifests with an ECDSA P-256 key (independent of any\n"
"TLS key). The manifest format is in sim/server/PROTOCOL.md.\n"
"\n"
"  --key KEY.pem      the firmware-signing key (PKCS#8 or SEC 1 PEM)\n"
"  --genkey           create KEY.pem first (mode 0600; an existing file is an\n"
"                     error, never overwritten)\n"
"  --version N        the image's version (a positive integer)\n"
"  --image FILE       the firmware image to describe\n"
"  --url PATH         where the device fetches it (default /firmware/image-N.bin)\n"
"  --out MANIFEST     write the signed manifest there (default: stdout)\n"
"  --pubkey FILE      write the public key a device embeds: PEM SPKI, or with\n"
"                     --raw the 65-byte uncompressed point\n"
"  --verify MANIFEST  check MANIFEST's signature with --pub (PEM or raw), and\n"
"                     with --image, the image's size and SHA-256; exit 1 if bad\n"
"\n"
"Exit status: 0 done, 1 verification failed, 2 usage or I/O error.\n");
}

static int
do_verify(const char *mpath, const char *pubpath, const char *imgpath)
{
	unsigned char *mtext = NULL, *pub = NULL, *img = NULL, q[65];
	size_t mlen, publen, imglen;
	fw_manifest m;
	char err[512];
	int ret = 2;

	if (util_read_file(mpath, &mtext, &mlen, err, sizeof err) != 0
		|| util_read_file(pubpath, &pub, &publen, err, sizeof err) != 0
		|| (imgpath != NULL
			&& util_read_file(imgpath, &img, &imglen, err, sizeof err) != 0))
	{
		fprintf(stderr, "rotsim sign: %s\n", err);
		goto out;
	}
	if (fw_pub_parse(q, pub, publen, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim sign: %s: %s\n", pubpath, err);
		goto out;
	}
	ret = 1;
	if (fw_manifest_verify(&m, mtext, mlen, q, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim sign: %s: %s\n", mpath, err);
		goto out;
	}
	if (img != NULL && fw_image_check(&m, img, imglen, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim sign: %s: %s\n", imgpath, err);
		goto out;
	}
	printf("ok version %lu size %llu url %s\n", (unsigned long)m.version,
		(unsigned long long)m.size, m.url);
	ret = 0;
out:
	free(mtext);
	free(pub);
	free(img);
	return ret;
}

/* see verbs.h */
int
verb_sign(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "genkey", no_argument, NULL, 'g' },
		{ "version", required_argument, NULL, 'v' },
		{ "image", required_argument, NULL, 'i' },
		{ "url", required_argument, NULL, 'u' },
		{ "out", required_argument, NULL, 'o' },
		{ "pubkey", required_argument, NULL, 'p' },
		{ "raw", no_argument, NULL, 'r' },
		{ "verify", required_argument, NULL, 'V' },
		{ "pub", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *keypath = NULL, *imgpath = NULL, *url = NULL, *out = NULL;
	const char *pubout = NULL, *verify = NULL, *pubin = NULL, *vstr = NULL;
	int genkey = 0, raw = 0, c, ret = 2;
	fw_key key;
	fw_manifest m;
	unsigned char *img = NULL;
	size_t imglen = 0, mlen;
	char *mtext = NULL, *pem = NULL, *urlbuf = NULL, err[512];

	memset(&key, 0, sizeof key);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k': keypath = optarg; break;
		case 'g': genkey = 1; break;
		case 'v': vstr = optarg; break;
		case 'i': imgpath = optarg; break;
		case 'u': url = optarg; break;
		case 'o': out = optarg; break;
		case 'p': pubout = optarg; break;
		case 'r': raw = 1; break;
		case 'V': verify = optarg; break;
		case 'P': pubin = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "rotsim sign: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (verify != NULL) {
		if (pubin == NULL) {
			fprintf(stderr, "rotsim sign: --verify needs --pub PUBKEY\n");
			return 2;
		}
		return do_verify(verify, pubin, imgpath);
	}
	if (keypath == NULL) {
		fprintf(stderr, "rotsim sign: --key KEY.pem is required\n");
		usage(stderr);
		return 2;
	}
	if (vstr == NULL && imgpath == NULL && pubout == NULL && !genkey) {
		fprintf(stderr, "rotsim sign: nothing to do (give --version and --image, "
			"--pubkey or --genkey)\n");
		return 2;
	}
	if ((vstr == NULL) != (imgpath == NULL)) {
		fprintf(stderr, "rotsim sign: --version and --image go together\n");
		return 2;
	}
	if (vstr != NULL) {
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(vstr, &end, 10);
		if (errno != 0 || *end != 0 || end == vstr || vstr[0] == '-'
			|| v == 0 || v > UINT32_MAX)
		{
			fprintf(stderr, "rotsim sign: bad --version \"%s\" "
				"(a positive integer)\n", vstr);
			return 2;
		}
		memset(&m, 0, sizeof m);
		m.version = (uint32_t)v;
	}
	if (genkey) {
		if (fw_key_generate(&key, err, sizeof err) != 0
			|| fw_key_save(&key, keypath, err, sizeof err) != 0)
		{
			fprintf(stderr, "rotsim sign: %s\n", err);
			goto out;
		}
	} else if (fw_key_load(&key, keypath, err, sizeof err) != 0) {
		fprintf(stderr, "rotsim sign: %s\n", err);
		goto out;
	}
	if (pubout != NULL) {
		const void *data;
		size_t len;

		if (raw) {
			data = key.q;
			len = sizeof key.q;
		} else {
			pem = fw_key_pub_pem(&key);
			data = pem;
			len = strlen(pem);
		}
		if (util_write_atomic(pubout, data, len, 0644, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim sign: %s\n", err);
			goto out;
		}
	}
	if (imgpath != NULL) {
		if (util_read_file(imgpath, &img, &imglen, err, sizeof err) != 0) {
			fprintf(stderr, "rotsim sign: %s\n", err);
			goto out;
		}
		if (url == NULL)
			url = urlbuf = xasprintf("/firmware/image-%lu.bin",
				(unsigned long)m.version);
		if (strlen(url) > FW_URL_MAX) {
			fprintf(stderr, "rotsim sign: --url longer than %d bytes\n", FW_URL_MAX);
			goto out;
		}
		strcpy(m.url, url);
		m.size = imglen;
		util_sha256(m.sha256, img, imglen);
		mtext = fw_manifest_sign(&m, &key, &mlen, err, sizeof err);
		if (mtext == NULL) {
			fprintf(stderr, "rotsim sign: %s\n", err);
			goto out;
		}
		if (out != NULL) {
			if (util_write_atomic(out, mtext, mlen, 0644, err, sizeof err) != 0) {
				fprintf(stderr, "rotsim sign: %s\n", err);
				goto out;
			}
		} else if (fwrite(mtext, 1, mlen, stdout) != mlen || fflush(stdout) != 0) {
			fprintf(stderr, "rotsim sign: stdout: %s\n", strerror(errno));
			goto out;
		}
	}
	ret = 0;
out:
	fw_key_wipe(&key);
	free(img);
	free(mtext);
	free(pem);
	free(urlbuf);
	return ret;
}
