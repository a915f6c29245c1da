/* Unit tests of the update server that need no network: the name tables, the
 * fault grammar as srv_add_fault reports it, and the firmware directory and
 * manifest. (The escaper is tested in sim/common/tests/check_json.c.) */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "server/srv.h"
#include "server/srv_int.h"

START_TEST(test_names)
{
	ck_assert_str_eq(srv_alert_name(48), "unknown_ca");
	ck_assert_str_eq(srv_alert_name(45), "certificate_expired");
	ck_assert_ptr_null(srv_alert_name(255));
	ck_assert_str_eq(srv_error_name(27), "BR_ERR_BAD_SIGNATURE");
	ck_assert_str_eq(srv_suite_name(0xC02F), "ECDHE_RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_str_eq(srv_suite_name(0x009C), "RSA_WITH_AES_128_GCM_SHA256");
	ck_assert_ptr_null(srv_suite_name(0x1234));
	/* Every suite the server offers is named by the one suite table. */
	size_t n, i;
	const uint16_t *offered = srv_suites(&n);
	ck_assert_uint_ge(n, 10);
	for (i = 0; i < n; i++)
		ck_assert_msg(srv_suite_name(offered[i]) != NULL, "suite 0x%04x has no name",
			offered[i]);
	ck_assert_str_eq(srv_version_name(0x0303), "TLS1.2");
	ck_assert_ptr_null(srv_version_name(0x0304));
}
END_TEST

START_TEST(test_fault_grammar)
{
	static const char *const good[] = {
		"drop-intermediate", "drop=1", "reverse", "append=/x.pem", "chain=/c.pem,key=/k.pem",
		"close-after=1000", "close-after=1000,count=0", "stall=5", "stall=5,at=100,count=2",
		"corrupt-byte=77", "bad-signature", "missing-image", "http=503",
		"http=503,retry-after=30,path=/manifest,count=1", "http=500",
	};
	static const struct { const char *spec, *msg; } bad[] = {
		{ "nonsense", "unknown fault" },
		{ "drop", "needs a value" },
		{ "reverse=1", "takes no value" },
		{ "close-after=abc", "is not a number" },
		{ "close-after=-1", "is not a number" },
		{ "http=200", "fault \"http=200\": http: 200 is not in 400..599" },
		{ "http=503,retry-after", "needs a value" },
		{ "http=503,path=manifest", "must start with /" },
		{ "stall=0", "stall: 0 is not in 1..86400" },
		{ "corrupt-byte=1,count=2", "no option \"count\"" },
		{ "drop-intermediate,x=1", "no option \"x\"" },
	};
	srv_server s;
	char err[256];
	size_t i;

	srv_init(&s);
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(srv_add_fault(&s, good[i], err, sizeof err) == 0, "%s: %s", good[i], err);
	ck_assert_uint_eq(s.nfaults, sizeof good / sizeof good[0]);
	ck_assert_uint_eq(s.faults[5].f.count, 1);	/* close-after: once by default */
	ck_assert_uint_eq(s.faults[6].f.count, 0);
	ck_assert_uint_eq(s.faults[8].f.at, 100);
	ck_assert_int_eq(s.faults[13].f.retry_after, 30);
	ck_assert_str_eq(s.faults[13].f.path, "/manifest");
	ck_assert_str_eq(s.faults[4].f.key, "/k.pem");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_msg(srv_add_fault(&s, bad[i].spec, err, sizeof err) == -1, "%s", bad[i].spec);
		ck_assert_msg(strstr(err, bad[i].msg) != NULL, "%s: %s", bad[i].spec, err);
	}
	srv_free(&s);
	srv_free(NULL);
}
END_TEST

START_TEST(test_firmware_dir)
{
	char dir[] = "/tmp/check_server.XXXXXX", err[256], *p;
	static const char *const names[] = { "image-2.bin", "image-10.bin", "image-010.bin",
		"image-3.bin.tmp", "notes.txt" };
	srv_server s;
	fw_key k;
	fw_manifest m;
	size_t i;

	ck_assert(mkdtemp(dir) != NULL);
	ck_assert(fw_key_generate(&k, err, sizeof err) == 0);
	srv_init(&s);
	ck_assert_int_eq(srv_set_firmware(&s, dir, &k, err, sizeof err), -1);
	ck_assert(strstr(err, "no firmware image") != NULL);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		ck_assert(util_write_atomic(p, names[i], strlen(names[i]), 0644, err, sizeof err) == 0);
		free(p);
	}
	ck_assert_msg(srv_set_firmware(&s, dir, &k, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(s.nimages, 2);
	ck_assert_str_eq(s.offered->name, "image-10.bin");
	ck_assert_msg(fw_manifest_verify(&m, s.manifest, s.manifest_len, k.q, err, sizeof err) == 0,
		"%s", err);
	ck_assert_uint_eq(m.version, 10);
	ck_assert_str_eq(m.url, "/firmware/image-10.bin");
	ck_assert_msg(fw_image_check(&m, "image-10.bin", 12, err, sizeof err) == 0, "%s", err);
	srv_free(&s);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	rmdir(dir);
}
END_TEST

/* --image-file: the offered version served as another file's bytes, under
 * its name, at the image path, with .sha256 describing those bytes. */
START_TEST(test_image_file)
{
	char dir[] = "/tmp/check_server.XXXXXX", err[256], hex[65], *img, *bundle, *want;
	static const char bytes[] = "a bundle of version 2";
	unsigned char h[32];
	srv_server s;
	fw_key k;
	size_t i;
	int seen = 0;

	ck_assert(mkdtemp(dir) != NULL);
	ck_assert(fw_key_generate(&k, err, sizeof err) == 0);
	img = xasprintf("%s/image-2.bin", dir);
	bundle = xasprintf("%s/update.swu", dir);
	ck_assert(util_write_atomic(img, "raw", 3, 0644, err, sizeof err) == 0);
	srv_init(&s);
	ck_assert(srv_set_protocol(&s, "files", "/firmware/update.swu", NULL, NULL, err,
		sizeof err) == 0);
	srv_set_image_file(&s, bundle);
	ck_assert_int_eq(srv_set_firmware(&s, dir, &k, err, sizeof err), -1);
	ck_assert(strstr(err, "update.swu") != NULL);
	srv_free(&s);
	ck_assert(util_write_atomic(bundle, bytes, sizeof bytes - 1, 0644, err, sizeof err) == 0);
	srv_init(&s);
	ck_assert(srv_set_protocol(&s, "files", "/firmware/update.swu", NULL, NULL, err,
		sizeof err) == 0);
	srv_set_image_file(&s, bundle);
	ck_assert_msg(srv_set_firmware(&s, dir, &k, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(s.offered->name, "image-2.bin");
	ck_assert_uint_eq(s.offered->len, sizeof bytes - 1);
	util_sha256(h, (const unsigned char *)bytes, sizeof bytes - 1);
	want = xasprintf("%s  update.swu\n", util_hex(hex, h, 32));
	for (i = 0; i < s.nfiles; i++) {
		const srv_file *f = &s.files[i];
		if (strcmp(f->path, "/firmware/update.swu") == 0
			|| strcmp(f->path, "/firmware/image-2.bin") == 0) {
			ck_assert(f->image == s.offered);
			ck_assert(f->len == sizeof bytes - 1 && memcmp(f->data, bytes, f->len) == 0);
			seen++;
		}
		if (strcmp(f->path, "/firmware/update.swu.sha256") == 0) {
			ck_assert(f->len == strlen(want) && memcmp(f->data, want, f->len) == 0);
			seen++;
		}
	}
	ck_assert_int_eq(seen, 3);
	srv_free(&s);
	unlink(img);
	unlink(bundle);
	rmdir(dir);
	free(img);
	free(bundle);
	free(want);
}
END_TEST

START_TEST(test_no_default_chain)
{
	srv_server s;
	char err[256];

	srv_init(&s);
	ck_assert_int_eq(srv_prepare(&s, err, sizeof err), -1);
	ck_assert(strstr(err, "no default chain") != NULL);
	ck_assert_int_eq(srv_add_cred(&s, NULL, "/nonexistent/chain.pem", "/nonexistent/key.pem",
		err, sizeof err), -1);
	ck_assert(strstr(err, "/nonexistent/chain.pem") != NULL);
	srv_free(&s);
}
END_TEST

static volatile sig_atomic_t stop_flag;

static void
on_alarm(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec
		+ (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * Out of descriptors: a client waits in the listen queue but accept4 fails
 * with EMFILE. The server must rest rather than retry at once (which spins a
 * core at 100 % until a descriptor frees), and say so in the event log.
 */
START_TEST(test_emfile_backoff)
{
	char dir[] = "/tmp/check_server_ev.XXXXXX", ev[64], bound[96], err[256], *text = NULL;
	struct rlimit rl = { 48, 48 };
	struct sockaddr_in a;
	srv_server s;
	size_t len = 0;
	double cpu;
	int cl, port, d, first = -1;

	/* The server creates its event log: a new file in a fresh directory. */
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(ev, sizeof ev, "%s/events.jsonl", dir);
	srv_init(&s);
	ck_assert_int_eq(srv_open_events(&s, ev, err, sizeof err), 0);
	ck_assert_msg(srv_listen(&s, "127.0.0.1:0", bound, sizeof bound, err, sizeof err) == 0,
		"%s", err);
	port = atoi(strrchr(bound, ':') + 1);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(cl = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(connect(cl, (struct sockaddr *)&a, sizeof a), 0);
	/* Every descriptor left is taken. */
	while ((d = dup(0)) >= 0)
		if (first < 0)
			first = d;
	ck_assert_int_eq(errno, EMFILE);
	signal(SIGALRM, on_alarm);
	alarm(2);
	cpu = cpu_seconds();
	ck_assert_int_eq(srv_run(&s, &stop_flag, NULL, err, sizeof err), 0);
	cpu = cpu_seconds() - cpu;
	ck_assert_msg(cpu < 0.5, "the server spun: %.2f s of CPU in 2 s", cpu);
	ck_assert_uint_ge(s.stat_accept_errors, 2);
	ck_assert_uint_le(s.stat_accept_errors, 40);
	ck_assert_uint_eq(s.nconns, 0);
	for (d = first; d >= 0 && d < 48; d++)
		close(d);
	close(cl);
	fflush(s.events);
	ck_assert_int_eq(util_read_file(ev, (unsigned char **)&text, &len, err, sizeof err), 0);
	ck_assert_msg(memmem(text, len, "\"event\":\"accept-paused\"", 23) != NULL, "%.*s",
		(int)len, text);
	free(text);
	srv_free(&s);
	unlink(ev);
	rmdir(dir);
}
END_TEST

/* A connection's engine is set up as BearSSL's full server profile sets one
 * up, to the byte, but for the suites and the policy, which the server sets
 * itself: they are set the same way here before the contexts are compared. */
START_TEST(test_engine_init)
{
	static br_ssl_server_context full, ours;
	size_t i;

	memset(&full, 0xA5, sizeof full);
	memset(&ours, 0x5A, sizeof ours);
	br_ssl_server_init_full_rsa(&full, NULL, 0, NULL);
	srv_engine_init(&ours);
	ck_assert_uint_gt(full.eng.suites_num, 10);
	br_ssl_engine_set_suites(&ours.eng, full.eng.suites_buf, full.eng.suites_num);
	br_ssl_server_set_single_rsa(&ours, NULL, 0, NULL, BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN,
		br_rsa_private_get_default(), br_rsa_pkcs1_sign_get_default());
	ck_assert_ptr_eq(full.policy_vtable, &full.chain_handler.vtable);
	ck_assert_ptr_eq(ours.policy_vtable, &ours.chain_handler.vtable);
	full.policy_vtable = ours.policy_vtable = NULL;
	for (i = 0; i < sizeof full; i++)
		if (((unsigned char *)&full)[i] != ((unsigned char *)&ours)[i])
			break;
	ck_assert_msg(i == sizeof full, "the contexts differ at byte %zu of %zu", i,
		sizeof full);
	/* And the test can tell: another AES implementation differs. */
	br_ssl_engine_set_aes_ctr(&ours.eng, full.eng.iaes_ctr == &br_aes_ct_ctr_vtable
		? &br_aes_big_ctr_vtable : &br_aes_ct_ctr_vtable);
	ck_assert_int_ne(memcmp(&full, &ours, sizeof full), 0);
}
END_TEST

/* ---- the private-key operations on libcrypto (pk.c) ---- */

/* A deterministic random source for the tests. */
static void
test_rng(br_hmac_drbg_context *rng, const char *seed)
{
	br_hmac_drbg_init(rng, &br_sha256_vtable, seed, strlen(seed));
}

/* A private key made by BearSSL and encoded as DER (PKCS#1 or SEC1), in a
 * credential decoded by BearSSL and loaded into libcrypto. */
typedef struct {
	srv_cred c;
	unsigned char der[4096];
	size_t der_len;
} test_key;

static void
test_key_load(test_key *k)
{
	char err[256];

	k->c.skey = xmalloc(sizeof *k->c.skey);
	br_skey_decoder_init(k->c.skey);
	br_skey_decoder_push(k->c.skey, k->der, k->der_len);
	ck_assert_int_eq(br_skey_decoder_last_error(k->c.skey), 0);
	k->c.key_type = br_skey_decoder_key_type(k->c.skey);
	ck_assert_msg(srv_pk_load(&k->c, "test.key", k->der, k->der_len, err, sizeof err) == 0,
		"%s", err);
}

static void
test_key_free(test_key *k)
{
	srv_pk_free(&k->c);
	free(k->c.skey);
}

static void
make_rsa(test_key *k, const char *seed, unsigned bits)
{
	static unsigned char kp[BR_RSA_KBUF_PRIV_SIZE(2048)], kq[BR_RSA_KBUF_PUB_SIZE(2048)];
	static unsigned char d[256];
	br_hmac_drbg_context rng;
	br_rsa_private_key sk;
	br_rsa_public_key pk;
	size_t dlen;

	memset(k, 0, sizeof *k);
	test_rng(&rng, seed);
	ck_assert(br_rsa_keygen_get_default()(&rng.vtable, &sk, kp, &pk, kq, bits, 65537));
	dlen = br_rsa_compute_privexp_get_default()(d, &sk, 65537);
	ck_assert_uint_gt(dlen, 0);
	k->der_len = br_encode_rsa_raw_der(k->der, &sk, &pk, d, dlen);
	ck_assert_uint_gt(k->der_len, 0);
	test_key_load(k);
}

static void
make_ec(test_key *k, const char *seed, int curve)
{
	unsigned char kbuf[BR_EC_KBUF_PRIV_MAX_SIZE], pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	br_hmac_drbg_context rng;
	br_ec_private_key sk;
	br_ec_public_key pk;

	memset(k, 0, sizeof *k);
	test_rng(&rng, seed);
	ck_assert_uint_gt(br_ec_keygen(&rng.vtable, &br_ec_all_m31, &sk, kbuf, curve), 0);
	ck_assert_uint_gt(br_ec_compute_pub(&br_ec_all_m31, &pk, pbuf, &sk), 0);
	k->der_len = br_encode_ec_raw_der(k->der, &sk, &pk);
	ck_assert_uint_gt(k->der_len, 0);
	test_key_load(k);
}

/*
 * ECDHE: libcrypto's multiplications give BearSSL's results, byte for byte,
 * on every curve the server offers, for multipliers drawn as the engine
 * draws them (the order's length, top bits cleared, odd); and a point BearSSL
 * would refuse is refused.
 */
START_TEST(test_pk_ec)
{
	static const int curves[] = { BR_EC_secp256r1, BR_EC_secp384r1, BR_EC_secp521r1,
		BR_EC_curve25519 };
	const br_ec_impl *lc = &srv_pk_ec, *br = &br_ec_all_m31;
	br_hmac_drbg_context rng;
	size_t ci;
	int round;

	ck_assert_uint_eq(lc->supported_curves, br->supported_curves);
	test_rng(&rng, "pk-ec");
	for (ci = 0; ci < sizeof curves / sizeof curves[0]; ci++) {
		int curve = curves[ci];

		for (round = 0; round < 4; round++) {
			unsigned char x[66], y[66], a[133], b[133], p[133], q[133];
			const unsigned char *order;
			size_t olen, alen, blen;
			unsigned mask = 0xFF;

			order = br->order(curve, &olen);
			while (mask >= order[0])
				mask >>= 1;
			br_hmac_drbg_generate(&rng, x, olen);
			br_hmac_drbg_generate(&rng, y, olen);
			x[0] &= mask;
			y[0] &= mask;
			x[olen - 1] |= 1;
			y[olen - 1] |= 1;
			/* mulgen: the key pair's public half. */
			alen = lc->mulgen(a, x, olen, curve);
			blen = br->mulgen(b, x, olen, curve);
			ck_assert_uint_gt(alen, 0);
			ck_assert_uint_eq(alen, blen);
			ck_assert_msg(memcmp(a, b, alen) == 0, "curve %d: mulgen differs", curve);
			/* mul: the shared secret from the peer's point. */
			br->mulgen(p, y, olen, curve);
			memcpy(q, p, alen);
			ck_assert_uint_eq(lc->mul(p, alen, x, olen, curve), 1);
			ck_assert_uint_eq(br->mul(q, alen, x, olen, curve), 1);
			ck_assert_msg(memcmp(p, q, alen) == 0, "curve %d: mul differs", curve);
			if (curve == BR_EC_curve25519)
				continue;
			/* Off the curve, compressed, or the wrong length: refused. */
			memcpy(p, b, blen);
			p[blen - 1] ^= 1;
			ck_assert_uint_eq(lc->mul(p, blen, x, olen, curve), 0);
			memcpy(p, b, blen);
			p[0] = 0x02;
			ck_assert_uint_eq(lc->mul(p, (blen + 1) / 2, x, olen, curve), 0);
			memcpy(p, b, blen);
			ck_assert_uint_eq(lc->mul(p, blen - 1, x, olen, curve), 0);
		}
	}
	/* A Curve25519 point of small order (zero) gives an all-zero secret:
	 * refused, where BearSSL would agree on it. */
	{
		unsigned char z[32] = { 0 }, x[32];

		memset(x, 0x55, sizeof x);
		ck_assert_uint_eq(lc->mul(z, 32, x, 32, BR_EC_curve25519), 0);
	}
}
END_TEST

/*
 * Signatures: RSA PKCS#1 v1.5 is deterministic, so libcrypto's signature must
 * be BearSSL's byte for byte, for every hash a ServerKeyExchange may use
 * (MD5+SHA-1 without a DigestInfo for TLS 1.0 and 1.1); ECDSA's must verify
 * with BearSSL. A key that BearSSL and libcrypto read differently is refused.
 */
START_TEST(test_pk_sign)
{
	static const struct { int id; const unsigned char *oid; size_t len; } hashes[] = {
		{ 0, NULL, 36 },
		{ br_sha1_ID, BR_HASH_OID_SHA1, 20 },
		{ br_sha224_ID, BR_HASH_OID_SHA224, 28 },
		{ br_sha256_ID, BR_HASH_OID_SHA256, 32 },
		{ br_sha384_ID, BR_HASH_OID_SHA384, 48 },
		{ br_sha512_ID, BR_HASH_OID_SHA512, 64 },
	};
	static const int curves[] = { BR_EC_secp256r1, BR_EC_secp384r1, BR_EC_secp521r1 };
	test_key rsa, other, ec;
	unsigned char buf[512], want[512], hv[64], pbuf[BR_EC_KBUF_PUB_MAX_SIZE];
	char err[256];
	size_t i, n;

	make_rsa(&rsa, "pk-rsa", 1024);
	for (i = 0; i < sizeof hashes / sizeof hashes[0]; i++) {
		const br_rsa_private_key *sk = br_skey_decoder_get_rsa(rsa.c.skey);

		memset(hv, (int)(0x11 * (i + 1)), sizeof hv);
		memcpy(buf, hv, hashes[i].len);
		n = srv_pk_sign(&rsa.c, 0xFF00 + (unsigned)hashes[i].id, buf, hashes[i].len,
			sizeof buf);
		ck_assert_uint_eq(n, 128);
		ck_assert(br_rsa_i31_pkcs1_sign(hashes[i].oid, hv, hashes[i].len, sk, want));
		ck_assert_msg(memcmp(buf, want, n) == 0, "hash %d: signatures differ",
			hashes[i].id);
		/* Too small a buffer, a hash of the wrong length, a raw algo_id. */
		memcpy(buf, hv, hashes[i].len);
		ck_assert_uint_eq(srv_pk_sign(&rsa.c, 0xFF00 + (unsigned)hashes[i].id, buf,
			hashes[i].len, 127), 0);
		ck_assert_uint_eq(srv_pk_sign(&rsa.c, 0xFF00 + (unsigned)hashes[i].id, buf,
			hashes[i].len + 1, sizeof buf), 0);
	}
	ck_assert_uint_eq(srv_pk_sign(&rsa.c, 0x0401, buf, 32, sizeof buf), 0);

	for (i = 0; i < sizeof curves / sizeof curves[0]; i++) {
		br_ec_public_key pk;

		make_ec(&ec, "pk-ec-sign", curves[i]);
		br_ec_compute_pub(&br_ec_all_m31, &pk, pbuf,
			br_skey_decoder_get_ec(ec.c.skey));
		memset(hv, 0x5a, 32);
		memcpy(buf, hv, 32);
		n = srv_pk_sign(&ec.c, 0xFF00 + br_sha256_ID, buf, 32, sizeof buf);
		ck_assert_uint_gt(n, 0);
		ck_assert_msg(br_ecdsa_i31_vrfy_asn1(&br_ec_all_m31, hv, 32, &pk, buf, n) == 1,
			"curve %d: the signature does not verify", curves[i]);
		buf[n / 2] ^= 1;
		ck_assert_uint_eq(br_ecdsa_i31_vrfy_asn1(&br_ec_all_m31, hv, 32, &pk, buf, n), 0);
		test_key_free(&ec);
	}

	/* BearSSL holds one key, libcrypto is handed another: refused. */
	make_rsa(&other, "pk-rsa-other", 1024);
	ck_assert_int_eq(srv_pk_load(&rsa.c, "other.key", other.der, other.der_len, err,
		sizeof err), -1);
	ck_assert_msg(strstr(err, "other.key: libcrypto and BearSSL read different RSA keys")
		!= NULL, "%s", err);
	ck_assert_ptr_null(rsa.c.sign_ctx);
	ck_assert_uint_eq(srv_pk_sign(&rsa.c, 0xFF00 + br_sha256_ID, buf, 32, sizeof buf), 0);
	ck_assert_int_eq(srv_pk_load(&rsa.c, "junk.key", (const unsigned char *)"junk", 4,
		err, sizeof err), -1);
	ck_assert_msg(strstr(err, "junk.key: libcrypto cannot decode") != NULL, "%s", err);
	test_key_free(&other);
	test_key_free(&rsa);
}
END_TEST

/* The implementation is chosen by name; the environment's choice is checked
 * when the server is prepared. */
START_TEST(test_pk_choice)
{
	srv_server s;
	char err[256];

	srv_init(&s);
	ck_assert_int_eq(s.pk, SRV_PK_LIBCRYPTO);
	ck_assert_int_eq(srv_set_pk(&s, "bearssl", err, sizeof err), 0);
	ck_assert_int_eq(s.pk, SRV_PK_BEARSSL);
	ck_assert_str_eq(srv_pk_name(s.pk), "bearssl");
	ck_assert_int_eq(srv_set_pk(&s, "openssl", err, sizeof err), -1);
	ck_assert_msg(strstr(err, "\"openssl\" (libcrypto or bearssl)") != NULL, "%s", err);
	setenv("ROTSIM_SERVE_PK", "gmp", 1);
	ck_assert_int_eq(srv_prepare(&s, err, sizeof err), -1);
	ck_assert_msg(strstr(err, "ROTSIM_SERVE_PK: unknown private-key implementation \"gmp\"")
		!= NULL, "%s", err);
	unsetenv("ROTSIM_SERVE_PK");
	srv_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("server");
	TCase *tc = tcase_create("server");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_fault_grammar);
	tcase_add_test(tc, test_firmware_dir);
	tcase_add_test(tc, test_image_file);
	tcase_add_test(tc, test_no_default_chain);
	tcase_add_test(tc, test_emfile_backoff);
	tcase_add_test(tc, test_engine_init);
	tcase_add_test(tc, test_pk_ec);
	tcase_add_test(tc, test_pk_sign);
	tcase_add_test(tc, test_pk_choice);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
