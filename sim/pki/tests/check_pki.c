/*
 * Unit tests of the test CA, sim/pki/: the certificates it builds, read back
 * field by field, checked by BearSSL's own X.509 validator, and the
 * determinism of keys.
 */
#include <bearssl.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pki/der.h"
#include "pki/dn.h"
#include "pki/pki.h"
#include "time/simtime.h"

static const char hierarchy[] =
	"[root x1]\n"
	"subject = C=US, O=Internet Security Research Group, CN=ISRG Root X1\n"
	"key = rsa2048\n"
	"not-before = 2015-06-04 11:04:38\n"
	"not-after = 2035-06-04 11:04:38\n"
	"serial = 8210cfb0d240e3594463e0bb63828b00\n"
	"[root dst]\n"
	"subject = O=Digital Signature Trust Co., CN=DST Root CA X3\n"
	"key = rsa2048\n"
	"hash = sha1\n"
	"not-before = 2000-09-30 21:12:19\n"
	"not-after = 2021-09-30 14:01:15\n"
	"[cross x1-by-dst]\n"
	"of = x1\n"
	"issuer = dst\n"
	"not-before = 2021-01-20 19:14:03\n"
	"not-after = 2024-09-30 18:14:03\n"
	"[root x2]\n"
	"subject = C=US, O=Internet Security Research Group, CN=ISRG Root X2\n"
	"key = p384\n"
	"not-before = 2020-09-04\n"
	"not-after = 2040-09-17 16:00:00\n"
	"[intermediate r3]\n"
	"issuer = x1\n"
	"subject = C=US, O=Let's Encrypt, CN=R3\n"
	"key = rsa2048\n"
	"not-before = 2020-09-04\n"
	"not-after = 2025-09-15 16:00:00\n"
	"path-len = 0\n"
	"[intermediate e5]\n"
	"issuer = x2\n"
	"subject = C=US, O=Let's Encrypt, CN=E5\n"
	"key = p384\n"
	"not-before = 2024-03-13\n"
	"not-after = 2027-03-12 23:59:59\n"
	"path-len = 0\n"
	"[leaf leaf-r3]\n"
	"issuer = r3\n"
	"subject = CN=updates.rotsim.test\n"
	"key = p256\n"
	"not-before = 2024-04-10\n"
	"not-after = +90d\n"
	"san = dns:updates.rotsim.test, ip:10.0.2.100, ip:::1\n"
	"chain.long = r3, x1-by-dst\n"
	"[leaf leaf-e5]\n"
	"issuer = e5\n"
	"subject = CN=updates.rotsim.test\n"
	"key = p256\n"
	"not-before = 2024-06-10\n"
	"not-after = +90d\n"
	"san = dns:updates.rotsim.test\n"
	"[anchors x1-only]\n"
	"certs = x1\n"
	"[anchors dst-only]\n"
	"certs = dst\n"
	"[anchors x2-only]\n"
	"certs = x2\n";

static pki P;
static char cache_dir[] = "/tmp/rotsim-check-pki-XXXXXX";

static int
load(pki *p, const char *text, const char *seed, char *err, size_t errlen)
{
	cfg_doc d;
	int r;

	pki_init(p);
	if (cfg_parse(&d, "t.pki", text, strlen(text), err, errlen) != 0)
		return -1;
	r = pki_add_doc(p, &d, 1, err, errlen);
	cfg_free(&d);
	if (r == 0)
		r = pki_resolve(p, err, errlen);
	if (r == 0 && seed != NULL)
		r = pki_build(p, seed, cache_dir, NULL, NULL, err, errlen);
	return r;
}

static void
setup(void)
{
	char err[512];
	ck_assert_ptr_nonnull(mkdtemp(cache_dir));
	ck_assert_msg(load(&P, hierarchy, "unit", err, sizeof err) == 0, "%s", err);
}

static void
teardown(void)
{
	char cmd[256];
	pki_free(&P);
	snprintf(cmd, sizeof cmd, "rm -rf %s", cache_dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The elements of a certificate's TBSCertificate, by position. */
typedef struct {
	const unsigned char *c[10];
	size_t len[10];
	unsigned tag[10];
	size_t n;
	const unsigned char *tbs_start;
	size_t tbs_len;
	const unsigned char *sig;
	size_t sig_len;
} fields;

static void
split(const pki_cert *cert, fields *f)
{
	const unsigned char *p = cert->der, *end = p + cert->der_len, *c, *q, *qend;
	unsigned tag;
	size_t len;

	memset(f, 0, sizeof *f);
	ck_assert_int_eq(der_read(&p, end, &tag, &c, &len), 0);
	ck_assert_uint_eq(tag, DER_SEQUENCE);
	ck_assert_ptr_eq(p, end);
	q = c;
	qend = c + len;
	f->tbs_start = q;
	ck_assert_int_eq(der_read(&q, qend, &tag, &c, &len), 0);
	f->tbs_len = (size_t)(q - f->tbs_start);
	const unsigned char *t = c, *tend = c + len;
	while (t < tend) {
		ck_assert_int_lt(f->n, 10);
		ck_assert_int_eq(der_read(&t, tend, &f->tag[f->n], &f->c[f->n], &f->len[f->n]), 0);
		f->n++;
	}
	ck_assert_int_eq(der_read(&q, qend, &tag, &c, &len), 0);	/* sigAlg */
	ck_assert_int_eq(der_read(&q, qend, &tag, &f->sig, &f->sig_len), 0);
	ck_assert_uint_eq(tag, DER_BIT_STRING);
	ck_assert_ptr_eq(q, qend);
}

/* Find an extension's value (inside the OCTET STRING) by OID bytes. */
static int
find_ext(const fields *f, const unsigned char *oid, size_t oidlen, int *critical,
	const unsigned char **val, size_t *vlen)
{
	const unsigned char *p, *end, *c;
	unsigned tag;
	size_t len;

	ck_assert_uint_eq(f->tag[7], DER_CTX_CONS(3));
	p = f->c[7];
	end = p + f->len[7];
	ck_assert_int_eq(der_read(&p, end, &tag, &c, &len), 0);
	p = c;
	end = c + len;
	while (p < end) {
		const unsigned char *e, *eend, *oc;
		size_t olen;
		ck_assert_int_eq(der_read(&p, end, &tag, &c, &len), 0);
		e = c;
		eend = c + len;
		ck_assert_int_eq(der_read(&e, eend, &tag, &oc, &olen), 0);
		ck_assert_uint_eq(tag, DER_OID);
		*critical = 0;
		ck_assert_int_eq(der_read(&e, eend, &tag, &c, &len), 0);
		if (tag == DER_BOOLEAN) {
			*critical = c[0] == 0xff;
			ck_assert_int_eq(der_read(&e, eend, &tag, &c, &len), 0);
		}
		ck_assert_uint_eq(tag, DER_OCTET_STRING);
		if (olen == oidlen && memcmp(oc, oid, oidlen) == 0) {
			*val = c;
			*vlen = len;
			return 1;
		}
	}
	return 0;
}

static void
expect_ext(const pki_cert *c, const char *oid_hex, int critical, const char *val_hex)
{
	fields f;
	unsigned char oid[16];
	const unsigned char *v;
	size_t vlen;
	int crit;
	char hex[600];
	long n = util_unhex(oid, sizeof oid, oid_hex);

	split(c, &f);
	ck_assert_msg(find_ext(&f, oid, (size_t)n, &crit, &v, &vlen),
		"%s: no extension %s", c->id, oid_hex);
	ck_assert_msg(crit == critical, "%s: extension %s critical=%d", c->id, oid_hex, crit);
	ck_assert_msg(vlen * 2 < sizeof hex, "extension too long");
	ck_assert_str_eq(util_hex(hex, v, vlen), val_hex);
}

static int
has_ext(const pki_cert *c, const char *oid_hex)
{
	fields f;
	unsigned char oid[16];
	const unsigned char *v;
	size_t vlen;
	int crit;
	long n = util_unhex(oid, sizeof oid, oid_hex);

	split(c, &f);
	return find_ext(&f, oid, (size_t)n, &crit, &v, &vlen);
}

START_TEST(test_structure_fields)
{
	pki_cert *r3 = pki_find(&P, "r3"), *x1 = pki_find(&P, "x1");
	fields f;
	char hex[300];

	split(r3, &f);
	ck_assert_int_eq(f.n, 8);
	/* version [0] INTEGER 2 */
	ck_assert_uint_eq(f.tag[0], DER_CTX_CONS(0));
	ck_assert_str_eq(util_hex(hex, f.c[0], f.len[0]), "020102");
	/* sha256WithRSAEncryption with NULL parameters */
	ck_assert_str_eq(util_hex(hex, f.c[2], f.len[2]), "06092a864886f70d01010b0500");
	/* issuer is X1's subject, byte for byte */
	ck_assert_int_eq(f.len[3] + 2, x1->name_der.len);
	ck_assert(memcmp(f.c[3], x1->name_der.data + 2, f.len[3]) == 0);
	/* validity: UTCTime 200904000000Z .. 250915160000Z */
	ck_assert_str_eq(util_hex(hex, f.c[4], f.len[4]),
		"170d3230303930343030303030305a170d3235303931353136303030305a");
	/* the subject DN: C PrintableString, O PrintableString "Let's Encrypt" */
	buf_t dn = {0};
	char err[128];
	ck_assert_int_eq(pki_dn_encode("C=US, O=Let's Encrypt, CN=R3", &dn, err, sizeof err), 0);
	ck_assert_str_eq(util_hex(hex, dn.data, dn.len),
		"3032310b3009060355040613025553311630140603550"
		"40a130d4c6574277320456e6372797074310b300906035504031302523"
		"3");
	ck_assert(memcmp(f.c[5], dn.data + 2, f.len[5]) == 0);
	buf_free(&dn);
	/* explicit serial as written */
	split(x1, &f);
	ck_assert_str_eq(util_hex(hex, f.c[1], f.len[1]), "008210cfb0d240e3594463e0bb63828b00");
}
END_TEST

START_TEST(test_extensions)
{
	pki_cert *r3 = pki_find(&P, "r3"), *x1 = pki_find(&P, "x1"),
		*leaf = pki_find(&P, "leaf-r3");
	/* basicConstraints critical, cA TRUE, pathLen 0 */
	expect_ext(r3, "551d13", 1, "30060101ff020100");
	/* a root without path-len: cA TRUE only */
	expect_ext(x1, "551d13", 1, "30030101ff");
	/* a leaf: critical, empty */
	expect_ext(leaf, "551d13", 1, "3000");
	/* keyUsage critical: digitalSignature, keyCertSign, cRLSign = 03 02 01 86 */
	expect_ext(r3, "551d0f", 1, "03020186");
	/* an EC leaf: digitalSignature only = 03 02 07 80 */
	expect_ext(leaf, "551d0f", 1, "03020780");
	/* EKU serverAuth, clientAuth */
	expect_ext(leaf, "551d25", 0, "301406082b0601050507030106082b06010505070302");
	/* SAN dNSName, iPAddress v4 and v6 */
	expect_ext(leaf, "551d11", 0, "302d8213757064617465732e726f7473696d2e746573748704"
		"0a0002648710" "00000000000000000000000000000001");
	/* SKI of r3 is the AKI of the leaf */
	char ski[41], want[100];
	util_hex(ski, r3->key_id, 20);
	snprintf(want, sizeof want, "0414%s", ski);
	expect_ext(r3, "551d0e", 0, want);
	snprintf(want, sizeof want, "30168014%s", ski);
	expect_ext(leaf, "551d23", 0, want);
	/* A root has no AKI by default; a CA has no EKU by default. */
	ck_assert(!has_ext(x1, "551d23"));
	ck_assert(!has_ext(r3, "551d25"));
	/* SKI is SHA-1 of the subjectPublicKey bits (RFC 5280 method 1). */
	buf_t bits = {0};
	unsigned char h[20];
	br_sha1_context sc;
	pki_key_public_bits(r3->key, &bits);
	br_sha1_init(&sc);
	br_sha1_update(&sc, bits.data, bits.len);
	br_sha1_out(&sc, h);
	ck_assert(memcmp(h, r3->key_id, 20) == 0);
	buf_free(&bits);
}
END_TEST

START_TEST(test_cross_sign)
{
	pki_cert *x1 = pki_find(&P, "x1"), *cross = pki_find(&P, "x1-by-dst"),
		*dst = pki_find(&P, "dst");
	fields a, b;
	split(x1, &a);
	split(cross, &b);
	/* same subject and same SubjectPublicKeyInfo, another issuer */
	ck_assert_int_eq(a.len[5], b.len[5]);
	ck_assert(memcmp(a.c[5], b.c[5], a.len[5]) == 0);
	ck_assert_int_eq(a.len[6], b.len[6]);
	ck_assert(memcmp(a.c[6], b.c[6], a.len[6]) == 0);
	ck_assert_int_eq(b.len[3] + 2, dst->name_der.len);
	ck_assert(memcmp(b.c[3], dst->name_der.data + 2, b.len[3]) == 0);
	ck_assert_ptr_eq(x1->key, cross->key);
	/* DST signs with SHA-1 as written: sha1WithRSAEncryption */
	char hex[100];
	split(dst, &a);
	ck_assert_str_eq(util_hex(hex, a.c[2], a.len[2]), "06092a864886f70d0101050500");
	/* ... and the cross-sign, issued by DST, with the default sha256 */
	ck_assert_str_eq(util_hex(hex, b.c[2], b.len[2]), "06092a864886f70d01010b0500");
	/* an EC issuer: ecdsa-with-SHA384 without parameters */
	split(pki_find(&P, "e5"), &a);
	ck_assert_str_eq(util_hex(hex, a.c[2], a.len[2]), "06082a8648ce3d040303");
}
END_TEST

START_TEST(test_chains)
{
	pki_cert *leaf = pki_find(&P, "leaf-r3");
	const pki_chain *def = pki_leaf_chain(leaf, NULL), *lng = pki_leaf_chain(leaf, "long");
	ck_assert_ptr_nonnull(def);
	ck_assert_int_eq(def->n, 1);
	ck_assert_str_eq(def->certs[0]->id, "r3");
	ck_assert_ptr_nonnull(lng);
	ck_assert_int_eq(lng->n, 2);
	ck_assert_str_eq(lng->certs[1]->id, "x1-by-dst");
	ck_assert_ptr_null(pki_leaf_chain(leaf, "nope"));
}
END_TEST

/* Run br_x509_minimal over a chain at a date, against an anchor set. */
static unsigned
bearssl_validate(const char *leaf_id, const char *variant, const char *anchors,
	const char *date)
{
	pki_cert *leaf = pki_find(&P, leaf_id);
	const pki_chain *ch = pki_leaf_chain(leaf, variant);
	pki_anchor_set *set = pki_find_anchors(&P, anchors);
	br_x509_trust_anchor tas[4];
	br_x509_minimal_context ctx;
	size_t i;
	int64_t t;
	uint32_t days, secs;
	char err[64];

	ck_assert_ptr_nonnull(ch);
	ck_assert_ptr_nonnull(set);
	for (i = 0; i < set->n; i++) {
		pki_cert *a = set->certs[i];
		tas[i].dn.data = a->name_der.data;
		tas[i].dn.len = a->name_der.len;
		tas[i].flags = BR_X509_TA_CA;
		if (pki_key_is_rsa(a->key->type)) {
			tas[i].pkey.key_type = BR_KEYTYPE_RSA;
			tas[i].pkey.key.rsa = a->key->rsa_pub;
		} else {
			tas[i].pkey.key_type = BR_KEYTYPE_EC;
			tas[i].pkey.key.ec = a->key->ec_pub;
		}
	}
	br_x509_minimal_init_full(&ctx, tas, set->n);
	ck_assert_int_eq(simtime_parse(date, &t, err, sizeof err), 0);
	simtime_to_bearssl(t, &days, &secs);
	br_x509_minimal_set_time(&ctx, days, secs);
	ctx.vtable->start_chain(&ctx.vtable, "updates.rotsim.test");
	for (i = 0; i <= ch->n; i++) {
		const pki_cert *c = i == 0 ? leaf : ch->certs[i - 1];
		ctx.vtable->start_cert(&ctx.vtable, (uint32_t)c->der_len);
		ctx.vtable->append(&ctx.vtable, c->der, c->der_len);
		ctx.vtable->end_cert(&ctx.vtable);
	}
	return ctx.vtable->end_chain(&ctx.vtable);
}

START_TEST(test_bearssl_accepts_and_refuses)
{
	ck_assert_uint_eq(bearssl_validate("leaf-r3", NULL, "x1-only", "2024-05-01"), 0);
	ck_assert_uint_eq(bearssl_validate("leaf-r3", NULL, "x1-only", "2024-08-01"),
		BR_ERR_X509_EXPIRED);
	ck_assert_uint_eq(bearssl_validate("leaf-r3", NULL, "dst-only", "2024-05-01"),
		BR_ERR_X509_NOT_TRUSTED);
	/* The long chain ends at DST: a DST-only device accepts it while the
	 * cross-sign is valid (BearSSL anchors carry no dates). */
	ck_assert_uint_eq(bearssl_validate("leaf-r3", "long", "dst-only", "2024-05-01"), 0);
	/* ... and an X1 device stops at r3, the first certificate X1 issued. */
	ck_assert_uint_eq(bearssl_validate("leaf-r3", "long", "x1-only", "2024-05-01"), 0);
	ck_assert_uint_eq(bearssl_validate("leaf-e5", NULL, "x2-only", "2024-07-01"), 0);
	ck_assert_uint_eq(bearssl_validate("leaf-e5", NULL, "x1-only", "2024-07-01"),
		BR_ERR_X509_NOT_TRUSTED);
}
END_TEST

START_TEST(test_deterministic)
{
	pki q;
	char err[512];
	size_t i;

	/* The same seed gives the same bytes (keys come from the cache here,
	 * so also rebuild without it). */
	char *saved = xstrdup(cache_dir);
	ck_assert_int_eq(load(&q, hierarchy, NULL, err, sizeof err), 0);
	ck_assert_int_eq(pki_build(&q, "unit", NULL, NULL, NULL, err, sizeof err), 0);
	for (i = 0; i < P.ncerts; i++) {
		ck_assert_int_eq(P.certs[i]->der_len, q.certs[i]->der_len);
		ck_assert_msg(memcmp(P.certs[i]->der, q.certs[i]->der, q.certs[i]->der_len) == 0,
			"%s differs", P.certs[i]->id);
	}
	pki_free(&q);
	/* Another seed: other keys and serials. */
	ck_assert_int_eq(load(&q, hierarchy, NULL, err, sizeof err), 0);
	ck_assert_int_eq(pki_build(&q, "other", NULL, NULL, NULL, err, sizeof err), 0);
	for (i = 0; i < P.ncerts; i++) {
		buf_t a = {0}, b = {0};
		pki_key_spki(P.certs[i]->key, &a);
		pki_key_spki(q.certs[i]->key, &b);
		ck_assert(a.len != b.len || memcmp(a.data, b.data, a.len) != 0);
		buf_free(&a);
		buf_free(&b);
	}
	pki_free(&q);
	free(saved);
}
END_TEST

START_TEST(test_key_cache_roundtrip)
{
	pki_key a, b;
	char err[256];
	ck_assert_int_eq(pki_key_generate(&a, "s", "lbl", PKI_P256, err, sizeof err), 0);
	ck_assert_int_eq(pki_key_load_cached(&b, "s", "lbl", PKI_P256, cache_dir), -1);
	ck_assert_int_eq(pki_key_store_cached(&a, "s", "lbl", cache_dir, err, sizeof err), 0);
	ck_assert_int_eq(pki_key_load_cached(&b, "s", "lbl", PKI_P256, cache_dir), 0);
	ck_assert_int_eq(a.ec_pub.qlen, b.ec_pub.qlen);
	ck_assert(memcmp(a.ec_pub.q, b.ec_pub.q, a.ec_pub.qlen) == 0);
	/* The same label with another type is another key. */
	ck_assert_int_eq(pki_key_load_cached(&b, "s", "lbl", PKI_P384, cache_dir), -1);
	/* A corrupt cache file is not used. */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "for f in $(find %s -name 'lbl.p256.p8'); do "
		"printf garbage > $f; done", cache_dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(pki_key_load_cached(&b, "s", "lbl", PKI_P256, cache_dir), -1);
}
END_TEST

/* Every RSA size has a full modulus and survives the PKCS#8 round trip
 * through the cache (BearSSL 0.6's i31 modulus code gives 0 for 4096 bits). */
START_TEST(test_rsa_sizes)
{
	static const pki_key_type types[] = { PKI_RSA2048, PKI_RSA3072, PKI_RSA4096 };
	static const size_t bytes[] = { 256, 384, 512 };
	size_t i;
	char err[256];

	for (i = 0; i < 3; i++) {
		pki_key a, b;
		ck_assert_int_eq(pki_key_generate(&a, "sizes", "k", types[i], err, sizeof err), 0);
		ck_assert_uint_eq(a.rsa_pub.nlen, bytes[i]);
		ck_assert_uint_eq(a.rsa_pub.n[0] & 0x80, 0x80);
		ck_assert_uint_eq(a.rsa_pub.elen, 3);
		ck_assert_int_eq(pki_key_store_cached(&a, "sizes", "k", cache_dir, err, sizeof err), 0);
		ck_assert_int_eq(pki_key_load_cached(&b, "sizes", "k", types[i], cache_dir), 0);
		ck_assert_uint_eq(b.rsa_pub.nlen, bytes[i]);
		ck_assert(memcmp(a.rsa_pub.n, b.rsa_pub.n, bytes[i]) == 0);
		/* A signature made with the key verifies with its public half. */
		unsigned char h[32], sig[512];
		memset(h, 7, sizeof h);
		ck_assert(br_rsa_i31_pkcs1_sign(BR_HASH_OID_SHA256, h, 32, &b.rsa, sig));
		unsigned char back[32];
		ck_assert(br_rsa_i15_pkcs1_vrfy(sig, bytes[i], BR_HASH_OID_SHA256, 32, &a.rsa_pub,
			back));
		ck_assert(memcmp(back, h, 32) == 0);
	}
}
END_TEST

START_TEST(test_dn_encoding)
{
	buf_t b = {0};
	char err[256], hex[400];
	ck_assert_int_eq(pki_dn_encode("CN=Z\xc3\xbcrich, O=A\\, B", &b, err, sizeof err), 0);
	/* UTF8String for a non-printable character; an escaped comma stays. */
	ck_assert_str_eq(util_hex(hex, b.data, b.len),
		"30213110300e06035504030c075ac3bc72696368310d300b060355040a1304412c2042");
	b.len = 0;
	ck_assert_int_eq(pki_dn_encode("C=USA", &b, err, sizeof err), -1);
	ck_assert_int_eq(pki_dn_encode("X=1", &b, err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown DN attribute \"X\""));
	ck_assert_int_eq(pki_dn_encode("CN=", &b, err, sizeof err), -1);
	ck_assert_int_eq(pki_dn_encode("CN", &b, err, sizeof err), -1);
	ck_assert_int_eq(pki_dn_encode("CN=\xff", &b, err, sizeof err), -1);
	ck_assert_int_eq(b.len, 0);
	buf_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("pki");
	TCase *tc = tcase_create("built");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_structure_fields);
	tcase_add_test(tc, test_extensions);
	tcase_add_test(tc, test_cross_sign);
	tcase_add_test(tc, test_chains);
	tcase_add_test(tc, test_bearssl_accepts_and_refuses);
	tcase_add_test(tc, test_deterministic);
	tcase_add_test(tc, test_key_cache_roundtrip);
	tcase_add_test(tc, test_rsa_sizes);
	tcase_add_test(tc, test_dn_encoding);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? 0 : 1;
}
