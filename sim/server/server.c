/*
 * The HTTPS update server (see srv.h).
 *
 * Concurrency: one thread, one poll() loop, one non-blocking BearSSL engine per
 * connection. A BearSSL engine is a plain state machine over caller-owned
 * buffers, so a connection costs one allocation of about 40 KiB (the context and
 * its full-duplex record buffer) and nothing else: 200 clients take 8 MiB,
 * allocated on accept and released on close, so memory stays flat however many
 * connections come and go. Threads would buy parallel handshakes on more cores,
 * but they would also make the event log's order and the "count" of a fault
 * depend on scheduling; a single loop keeps a run reproducible and needs no
 * locks. Firmware images are held once in memory and streamed from there into
 * each engine's buffer, so a download never copies the image.
 */
#include "common/tlsnames.h"
#include "server/srv.h"

#include <arpa/inet.h>
#include <bearssl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cfg.h"
#include "server/http.h"
#include "time/simtime.h"

/* A chain and its key. The key lives in a BearSSL key decoder context, which
 * owns the key's bytes; it is wiped on release. */
struct srv_cred {
	char *name;			/* SNI name; NULL for the default */
	br_x509_certificate *chain;
	size_t chain_len;
	unsigned char (*hashes)[32];	/* SHA-256 of each certificate, in order */
	br_skey_decoder_context *skey;
	int key_type;			/* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
};

/* The policy that picks a credential by SNI. It is the first member of the
 * connection, so the policy pointer leads back to it. */
typedef struct {
	const br_ssl_server_policy_class *vtable;
	srv_server *srv;
	srv_conn *conn;
} sni_policy;

struct srv_conn {
	sni_policy policy;
	br_ssl_server_context sc;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
	srv_server *srv;
	uint64_t id;
	int rfd, wfd;
	char peer[64];
	const srv_cred *cred;		/* chosen during the handshake */
	int hs_done;
	int peer_eof;			/* read() returned 0 */
	int io_error;			/* errno of a failed read/write */
	int cutting;			/* close without close_notify once flushed */
	int closing;			/* close_notify sent or to be sent */
	short want;			/* poll events asked for last time */
	short ready;			/* revents seen, or 1 to pump regardless */
	const char *end_reason;
	int64_t t_accept, t_last;	/* monotonic ms */
	int64_t t_req;			/* first byte of the pending request */
	buf_t in;			/* application bytes received, unparsed */
	/* The response being sent. */
	int resp_active;
	buf_t head;
	size_t head_off;
	const unsigned char *body;
	uint64_t body_len, body_off;
	uint64_t body_base;		/* offset of body[0] in the image */
	const srv_image *body_image;	/* non-NULL when the body is an image */
	uint64_t cut_at;		/* body offset where the connection is cut */
	uint64_t stall_at;
	int64_t stall_ms, stall_until;	/* stall length; end of a running stall */
	int close_after;		/* Connection: close */
	/* The request being answered, for the event log. */
	char method[16];
	char target[SRV_HTTP_MAX_TARGET + 1];
	char range[128];
	int status;
	buf_t faults;			/* JSON array items of faults applied */
	char *report;			/* POST /report body */
	size_t report_len;
	unsigned nreq;
	uint64_t bytes_in, bytes_out;
};

#define NOW_NEVER INT64_MAX

/* ---- names ---- */

static const struct { unsigned suite; const char *name; } suite_names[] = {
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE_ECDSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE_RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		"ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		"ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "ECDHE_ECDSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "ECDHE_RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, "ECDHE_ECDSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, "ECDHE_RSA_WITH_AES_256_CBC_SHA384" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "ECDHE_ECDSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "ECDHE_RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "ECDHE_ECDSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "ECDHE_RSA_WITH_AES_256_CBC_SHA" },
	{ BR_TLS_RSA_WITH_AES_128_GCM_SHA256, "RSA_WITH_AES_128_GCM_SHA256" },
	{ BR_TLS_RSA_WITH_AES_256_GCM_SHA384, "RSA_WITH_AES_256_GCM_SHA384" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA256, "RSA_WITH_AES_128_CBC_SHA256" },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA256, "RSA_WITH_AES_256_CBC_SHA256" },
	{ BR_TLS_RSA_WITH_AES_128_CBC_SHA, "RSA_WITH_AES_128_CBC_SHA" },
	{ BR_TLS_RSA_WITH_AES_256_CBC_SHA, "RSA_WITH_AES_256_CBC_SHA" },
};

/* The suites offered, in the order of suite_names (forward secrecy and AEAD
 * first; static RSA last, for old clients). */
static uint16_t suites[sizeof suite_names / sizeof suite_names[0]];

/* see srv.h */
const char *
srv_alert_name(int alert)
{
	return tls_alert_name(alert);
}

/* see srv.h */
const char *
srv_error_name(int err)
{
	return tls_br_error_name(err);
}

/* see srv.h */
const char *
srv_suite_name(unsigned suite)
{
	size_t i;

	for (i = 0; i < sizeof suite_names / sizeof suite_names[0]; i++)
		if (suite_names[i].suite == suite)
			return suite_names[i].name;
	return NULL;
}

/* see srv.h */
const char *
srv_version_name(unsigned version)
{
	switch (version) {
	case BR_TLS10: return "TLS1.0";
	case BR_TLS11: return "TLS1.1";
	case BR_TLS12: return "TLS1.2";
	default: return NULL;
	}
}

/* ---- time and JSON ---- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* see srv.h */
int64_t
srv_sim_now(const srv_server *s)
{
	return simclock_seconds(&s->clock);
}

/* see srv.h */
void
srv_json_str(buf_t *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0;

	buf_putc(b, '"');
	while (i < len) {
		unsigned c = p[i];
		size_t n = 0, k;
		uint32_t cp;

		if (c == '"' || c == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (int)c);
			i++;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\n': buf_puts(b, "\\n"); break;
			case '\r': buf_puts(b, "\\r"); break;
			case '\t': buf_puts(b, "\\t"); break;
			default: buf_printf(b, "\\u%04x", c); break;
			}
			i++;
			continue;
		}
		if (c < 0x80) {
			buf_putc(b, (int)c);
			i++;
			continue;
		}
		/* A UTF-8 sequence: copied when well formed (shortest form, no
		 * surrogates, at most U+10FFFF), else one U+FFFD per bad byte. */
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			cp = 0;
		}
		for (k = 1; n > 0 && k <= n; k++) {
			if (i + k >= len || (p[i + k] & 0xc0) != 0x80) {
				n = 0;
				break;
			}
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if (n == 0 || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
			|| cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		{
			buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		buf_append(b, p + i, n + 1);
		i += n + 1;
	}
	buf_putc(b, '"');
}

static void
json_cstr(buf_t *b, const char *s)
{
	if (s == NULL)
		buf_puts(b, "null");
	else
		srv_json_str(b, s, strlen(s));
}

/* Start an event line: {"event":NAME,"real":...,"sim":...,"conn":ID. */
static void
ev_begin(const srv_server *s, buf_t *b, const char *name, uint64_t conn)
{
	struct timespec ts;
	char real[32], sim[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	simtime_format(real, sizeof real, (int64_t)ts.tv_sec);
	real[19] = 0;	/* drop the Z: milliseconds follow */
	simtime_format(sim, sizeof sim, srv_sim_now(s));
	buf_printf(b, "{\"event\":\"%s\",\"real\":\"%s.%03ldZ\",\"sim\":\"%s\"",
		name, real, ts.tv_nsec / 1000000, sim);
	if (conn != 0)
		buf_printf(b, ",\"conn\":%llu", (unsigned long long)conn);
}

static void
ev_end(const srv_server *s, buf_t *b)
{
	buf_puts(b, "}\n");
	if (s->events != NULL) {
		fwrite(b->data, 1, b->len, s->events);
		fflush(s->events);
	}
	buf_free(b);
}

/* see srv.h */
void
srv_event(srv_server *s, const char *name, const char *fields)
{
	buf_t b = {0};

	ev_begin(s, &b, name, 0);
	buf_puts(&b, fields);
	ev_end(s, &b);
}

/* ---- credentials ---- */

static void
cred_free(srv_cred *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->chain_len; i++)
		free(c->chain[i].data);
	free(c->chain);
	free(c->hashes);
	if (c->skey != NULL) {
		util_wipe(c->skey, sizeof *c->skey);
		free(c->skey);
	}
	free(c->name);
	free(c);
}

/* Read every CERTIFICATE of a PEM file; appends to *chain. */
static int
read_certs(const char *path, br_x509_certificate **chain, size_t *n,
	char *err, size_t errlen)
{
	size_t i, added = 0;
	fw_pem_obj *objs = NULL;
	long nobj;
	int ret = -1;

	if ((nobj = fw_pem_read_file(path, &objs, err, errlen)) < 0)
		return -1;
	for (i = 0; i < (size_t)nobj; i++) {
		if (strcmp(objs[i].name, "CERTIFICATE") != 0
			&& strcmp(objs[i].name, "X509 CERTIFICATE") != 0)
			continue;
		*chain = xrealloc(*chain, (*n + 1) * sizeof **chain);
		(*chain)[*n].data = objs[i].data;
		(*chain)[*n].data_len = objs[i].len;
		objs[i].data = NULL;
		(*n)++;
		added++;
	}
	if (added == 0) {
		util_err(err, errlen, "%s: no certificate in the file", path);
		goto out;
	}
	ret = 0;
out:
	fw_pem_free(objs, (size_t)nobj);
	return ret;
}

/* Read a private key; the decoder context (which owns it) goes to c->skey. */
static int
read_key(srv_cred *c, const char *path, char *err, size_t errlen)
{
	size_t i;
	fw_pem_obj *objs = NULL;
	long nobj;
	int ret = -1;

	if ((nobj = fw_pem_read_file(path, &objs, err, errlen)) < 0)
		return -1;
	for (i = 0; i < (size_t)nobj; i++)
		if (strstr(objs[i].name, "PRIVATE KEY") != NULL)
			break;
	if (i == (size_t)nobj) {
		util_err(err, errlen, "%s: no private key in the file", path);
		goto out;
	}
	if (c->skey == NULL)
		c->skey = xmalloc(sizeof *c->skey);
	br_skey_decoder_init(c->skey);
	br_skey_decoder_push(c->skey, objs[i].data, objs[i].len);
	if (br_skey_decoder_last_error(c->skey) != 0) {
		util_err(err, errlen, "%s: undecodable private key (BearSSL error %d)",
			path, br_skey_decoder_last_error(c->skey));
		goto out;
	}
	c->key_type = br_skey_decoder_key_type(c->skey);
	ret = 0;
out:
	for (i = 0; objs != NULL && i < (size_t)nobj; i++)
		util_wipe(objs[i].data, objs[i].len);
	fw_pem_free(objs, (size_t)nobj);
	return ret;
}

/* The key type of a certificate's public key, or 0. */
static int
cert_key_type(const br_x509_certificate *cert)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;

	br_x509_decoder_init(&dc, NULL, NULL);
	br_x509_decoder_push(&dc, cert->data, cert->data_len);
	pk = br_x509_decoder_get_pkey(&dc);
	return pk == NULL ? 0 : pk->key_type;
}

/* see srv.h */
int
srv_add_cred(srv_server *s, const char *name, const char *chain_path,
	const char *key_path, char *err, size_t errlen)
{
	srv_cred *c = xcalloc(1, sizeof *c);
	int kt;

	if (name == NULL && s->ncreds > 0 && s->creds[0]->name == NULL) {
		util_err(err, errlen, "a default chain is already set");
		goto fail;
	}
	if (read_certs(chain_path, &c->chain, &c->chain_len, err, errlen) != 0
		|| read_key(c, key_path, err, errlen) != 0)
		goto fail;
	kt = cert_key_type(&c->chain[0]);
	if (kt == 0) {
		util_err(err, errlen, "%s: cannot decode the first certificate", chain_path);
		goto fail;
	}
	if (kt != c->key_type) {
		util_err(err, errlen, "%s is an %s key but the leaf of %s has an %s key",
			key_path, c->key_type == BR_KEYTYPE_RSA ? "RSA" : "EC",
			chain_path, kt == BR_KEYTYPE_RSA ? "RSA" : "EC");
		goto fail;
	}
	c->name = name != NULL ? xstrdup(name) : NULL;
	s->creds = xrealloc(s->creds, (s->ncreds + 1) * sizeof *s->creds);
	if (name == NULL) {
		memmove(s->creds + 1, s->creds, s->ncreds * sizeof *s->creds);
		s->creds[0] = c;
	} else {
		s->creds[s->ncreds] = c;
	}
	s->ncreds++;
	return 0;
fail:
	cred_free(c);
	return -1;
}

/* ---- faults ---- */

static const struct {
	const char *name;
	int kind;
	int value;	/* 0 none, 1 number, 2 file/string */
	unsigned count;	/* default count */
} fault_kinds[] = {
	{ "drop-intermediate", SRV_FAULT_DROP_INTERMEDIATE, 0, 0 },
	{ "drop", SRV_FAULT_DROP, 1, 0 },
	{ "reverse", SRV_FAULT_REVERSE, 0, 0 },
	{ "append", SRV_FAULT_APPEND, 2, 0 },
	{ "chain", SRV_FAULT_CHAIN, 2, 0 },
	{ "close-after", SRV_FAULT_CLOSE_AFTER, 1, 1 },
	{ "stall", SRV_FAULT_STALL, 1, 1 },
	{ "corrupt-byte", SRV_FAULT_CORRUPT_BYTE, 1, 0 },
	{ "bad-signature", SRV_FAULT_BAD_SIGNATURE, 0, 0 },
	{ "missing-image", SRV_FAULT_MISSING_IMAGE, 0, 0 },
	{ "http", SRV_FAULT_HTTP, 1, 0 },
};

static int
parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return (errno != 0 || *end != 0) ? -1 : 0;
}

/* see srv.h */
int
srv_add_fault(srv_server *s, const char *spec, char *err, size_t errlen)
{
	srv_fault f;
	char **items = NULL, *eq;
	size_t n, i, k;
	int ret = -1;

	memset(&f, 0, sizeof f);
	f.retry_after = -1;
	n = cfg_split(spec, ',', &items);
	eq = strchr(items[0], '=');
	if (eq != NULL)
		*eq++ = 0;
	for (k = 0; k < sizeof fault_kinds / sizeof fault_kinds[0]; k++)
		if (strcmp(items[0], fault_kinds[k].name) == 0)
			break;
	if (k == sizeof fault_kinds / sizeof fault_kinds[0]) {
		util_err(err, errlen, "fault \"%s\": unknown fault \"%s\" "
			"(rotsim serve --help lists them)", spec, items[0]);
		goto out;
	}
	f.kind = fault_kinds[k].kind;
	f.count = fault_kinds[k].count;
	if ((fault_kinds[k].value != 0) != (eq != NULL && *eq != 0)) {
		util_err(err, errlen, "fault \"%s\": %s %s", spec, items[0],
			fault_kinds[k].value ? "needs a value (NAME=VALUE)" : "takes no value");
		goto out;
	}
	if (fault_kinds[k].value == 1 && parse_u64(eq, &f.value) != 0) {
		util_err(err, errlen, "fault \"%s\": \"%s\" is not a number", spec, eq);
		goto out;
	}
	if (fault_kinds[k].value == 2)
		f.path = xstrdup(eq);
	if (f.kind == SRV_FAULT_HTTP && (f.value < 400 || f.value > 599)) {
		util_err(err, errlen, "fault \"%s\": status must be 400..599", spec);
		goto out;
	}
	for (i = 1; i < n; i++) {
		char *o = items[i], *v = strchr(o, '=');
		uint64_t x;

		if (v == NULL) {
			util_err(err, errlen, "fault \"%s\": option \"%s\" needs a value", spec, o);
			goto out;
		}
		*v++ = 0;
		if (strcmp(o, "count") == 0 && (f.kind == SRV_FAULT_CLOSE_AFTER
			|| f.kind == SRV_FAULT_STALL || f.kind == SRV_FAULT_HTTP)
			&& parse_u64(v, &x) == 0 && x <= 1000000)
			f.count = (unsigned)x;
		else if (strcmp(o, "at") == 0 && f.kind == SRV_FAULT_STALL
			&& parse_u64(v, &x) == 0)
			f.at = x;
		else if (strcmp(o, "retry-after") == 0 && f.kind == SRV_FAULT_HTTP
			&& parse_u64(v, &x) == 0 && x < 100000000)
			f.retry_after = (int64_t)x;
		else if (strcmp(o, "path") == 0 && f.kind == SRV_FAULT_HTTP && v[0] == '/') {
			free(f.path);
			f.path = xstrdup(v);
		} else if (strcmp(o, "key") == 0 && f.kind == SRV_FAULT_CHAIN && *v != 0) {
			free(f.key);
			f.key = xstrdup(v);
		} else {
			util_err(err, errlen, "fault \"%s\": bad option \"%s=%s\"", spec, o, v);
			goto out;
		}
	}
	if (f.kind == SRV_FAULT_STALL && (f.value == 0 || f.value > 86400)) {
		util_err(err, errlen, "fault \"%s\": stall of 1..86400 seconds", spec);
		goto out;
	}
	f.spec = xstrdup(spec);
	s->faults = xrealloc(s->faults, (s->nfaults + 1) * sizeof *s->faults);
	s->faults[s->nfaults++] = f;
	memset(&f, 0, sizeof f);
	ret = 0;
out:
	free(f.path);
	free(f.key);
	cfg_list_free(items, n);
	return ret;
}

/* ---- firmware ---- */

/* "image-N.bin" with N a decimal without leading zero: 1 and *v, else 0. */
static int
image_version(const char *name, uint32_t *v)
{
	size_t len = strlen(name);
	uint64_t x = 0;
	size_t i;

	if (len < 11 || strncmp(name, "image-", 6) != 0
		|| strcmp(name + len - 4, ".bin") != 0 || name[6] == '0')
		return 0;
	for (i = 6; i < len - 4; i++) {
		if (name[i] < '0' || name[i] > '9' || i > 15)
			return 0;
		x = x * 10 + (uint64_t)(name[i] - '0');
	}
	if (x == 0 || x > UINT32_MAX)
		return 0;
	*v = (uint32_t)x;
	return 1;
}

/* see srv.h */
int
srv_set_firmware(srv_server *s, const char *dir, const fw_key *key,
	char *err, size_t errlen)
{
	DIR *d = NULL;
	struct dirent *de;
	fw_manifest m;
	size_t i;
	int ret = -1;

	d = opendir(dir);
	if (d == NULL)
		return util_err(err, errlen, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		uint32_t v;
		char *path;
		struct stat st;
		srv_image img;

		if (!image_version(de->d_name, &v))
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		memset(&img, 0, sizeof img);
		if (util_read_file(path, &img.data, &img.len, err, errlen) != 0) {
			free(path);
			goto out;
		}
		free(path);
		img.name = xstrdup(de->d_name);
		img.version = v;
		s->images = xrealloc(s->images, (s->nimages + 1) * sizeof *s->images);
		s->images[s->nimages++] = img;
	}
	if (s->nimages == 0) {
		util_err(err, errlen, "%s: no firmware image (a file named image-N.bin, "
			"N the version)", dir);
		goto out;
	}
	s->offered = &s->images[0];
	for (i = 1; i < s->nimages; i++)
		if (s->images[i].version > s->offered->version)
			s->offered = &s->images[i];
	memset(&m, 0, sizeof m);
	m.version = s->offered->version;
	m.size = s->offered->len;
	util_sha256(m.sha256, s->offered->data, s->offered->len);
	snprintf(m.url, sizeof m.url, "/firmware/%s", s->offered->name);
	free(s->manifest);
	s->manifest = fw_manifest_sign(&m, key, &s->manifest_len, err, errlen);
	if (s->manifest == NULL)
		goto out;
	ret = 0;
out:
	closedir(d);
	return ret;
}

/* ---- setup ---- */

/* see srv.h */
void
srv_init(srv_server *s)
{
	size_t i;

	memset(s, 0, sizeof *s);
	s->lfd = -1;
	s->extra_fd = -1;
	s->timeout_ms = 10000;
	s->max_conns = 1024;
	s->next_id = 1;
	simclock_set(&s->clock, (int64_t)time(NULL));
	for (i = 0; i < sizeof suite_names / sizeof suite_names[0]; i++)
		suites[i] = (uint16_t)suite_names[i].suite;
}

/* see srv.h */
void
srv_set_time(srv_server *s, int64_t sim_time)
{
	simclock_set(&s->clock, sim_time);
}

static int
open_log(FILE **f, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return util_err(err, errlen, "%s: %s", path, strerror(errno));
	*f = fdopen(fd, "a");
	if (*f == NULL) {
		close(fd);
		return util_err(err, errlen, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* see srv.h */
int
srv_open_events(srv_server *s, const char *path, char *err, size_t errlen)
{
	return open_log(&s->events, path, err, errlen);
}

/* see srv.h */
int
srv_open_keylog(srv_server *s, const char *path, char *err, size_t errlen)
{
	return open_log(&s->keylog, path, err, errlen);
}

/* Apply one chain fault to a credential's chain. */
static int
chain_fault(srv_cred *c, const srv_fault *f, char *err, size_t errlen)
{
	size_t i;

	switch (f->kind) {
	case SRV_FAULT_DROP_INTERMEDIATE:
		for (i = 1; i < c->chain_len; i++)
			free(c->chain[i].data);
		c->chain_len = 1;
		break;
	case SRV_FAULT_DROP:
		if (f->value >= c->chain_len)
			return util_err(err, errlen, "fault \"%s\": the chain has %zu "
				"certificates", f->spec, c->chain_len);
		if (c->chain_len == 1)
			return util_err(err, errlen, "fault \"%s\": cannot drop the only "
				"certificate", f->spec);
		free(c->chain[f->value].data);
		memmove(c->chain + f->value, c->chain + f->value + 1,
			(c->chain_len - f->value - 1) * sizeof *c->chain);
		c->chain_len--;
		break;
	case SRV_FAULT_REVERSE:
		for (i = 0; i < c->chain_len / 2; i++) {
			br_x509_certificate t = c->chain[i];
			c->chain[i] = c->chain[c->chain_len - 1 - i];
			c->chain[c->chain_len - 1 - i] = t;
		}
		break;
	case SRV_FAULT_APPEND:
		return read_certs(f->path, &c->chain, &c->chain_len, err, errlen);
	case SRV_FAULT_CHAIN:
		for (i = 0; i < c->chain_len; i++)
			free(c->chain[i].data);
		c->chain_len = 0;
		if (read_certs(f->path, &c->chain, &c->chain_len, err, errlen) != 0)
			return -1;
		if (f->key != NULL && read_key(c, f->key, err, errlen) != 0)
			return -1;
		break;
	default:
		break;
	}
	return 0;
}

/* see srv.h */
int
srv_prepare(srv_server *s, char *err, size_t errlen)
{
	size_t i, j;

	if (s->ncreds == 0 || s->creds[0]->name != NULL)
		return util_err(err, errlen, "no default chain (--chain and --key)");
	for (i = 0; i < s->ncreds; i++) {
		srv_cred *c = s->creds[i];

		for (j = 0; j < s->nfaults; j++)
			if (chain_fault(c, &s->faults[j], err, errlen) != 0)
				return -1;
		c->hashes = xrealloc(c->hashes, (c->chain_len ? c->chain_len : 1)
			* sizeof *c->hashes);
		for (j = 0; j < c->chain_len; j++)
			util_sha256(c->hashes[j], c->chain[j].data, c->chain[j].data_len);
	}
	for (j = 0; j < s->nfaults; j++) {
		if (s->faults[j].kind == SRV_FAULT_BAD_SIGNATURE && s->manifest != NULL) {
			/* Flip one bit of r, keeping the text valid base64. */
			fw_manifest m;
			char *sig64;
			size_t off;

			if (fw_manifest_parse(&m, s->manifest, s->manifest_len, err, errlen) != 0)
				return -1;
			m.sig[10] ^= 0x01;
			sig64 = util_b64_encode(m.sig, 64);
			off = m.signed_len + 4;
			memcpy(s->manifest + off, sig64, strlen(sig64));
			free(sig64);
		}
	}
	return 0;
}

/* ---- the SNI policy ---- */

/*
 * Pick the credential for the client's SNI name (exact, case-insensitive
 * match; the default otherwise), install BearSSL's single-key policy for it in
 * the server context and let that policy choose the suite. The engine reads the
 * policy pointer afresh for the key exchange and the signature, so they go to
 * the installed policy.
 */
static int
sni_choose(const br_ssl_server_policy_class **pctx,
	const br_ssl_server_context *cc, br_ssl_server_choices *choices)
{
	sni_policy *p = (sni_policy *)(void *)pctx;
	br_ssl_server_context *sc = (br_ssl_server_context *)(uintptr_t)cc;
	const char *name = br_ssl_engine_get_server_name(&sc->eng);
	const srv_cred *c = p->srv->creds[0];
	size_t i;

	for (i = 1; name != NULL && name[0] != 0 && i < p->srv->ncreds; i++) {
		if (strcasecmp(p->srv->creds[i]->name, name) == 0) {
			c = p->srv->creds[i];
			break;
		}
	}
	p->conn->cred = c;
	if (c->key_type == BR_KEYTYPE_RSA) {
		br_ssl_server_set_single_rsa(sc, c->chain, c->chain_len,
			br_skey_decoder_get_rsa(c->skey),
			BR_KEYTYPE_KEYX | BR_KEYTYPE_SIGN,
			br_rsa_private_get_default(), br_rsa_pkcs1_sign_get_default());
	} else {
		/* ECDHE_ECDSA only: static ECDH would depend on the issuer's key. */
		br_ssl_server_set_single_ec(sc, c->chain, c->chain_len,
			br_skey_decoder_get_ec(c->skey), BR_KEYTYPE_SIGN,
			BR_KEYTYPE_EC, br_ec_get_default(),
			br_ecdsa_sign_asn1_get_default());
	}
	return (*sc->policy_vtable)->choose(sc->policy_vtable, cc, choices);
}

/* Never called: sni_choose() replaces the policy before the key exchange. */
static uint32_t
sni_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
	size_t *len)
{
	return 0;
}

static size_t
sni_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
	unsigned char *data, size_t hv_len, size_t len)
{
	return 0;
}

static const br_ssl_server_policy_class sni_policy_vtable = {
	sizeof(sni_policy), sni_choose, sni_do_keyx, sni_do_sign
};

/* ---- connections ---- */

static srv_conn *
conn_new(srv_server *s, int rfd, int wfd, const char *peer)
{
	srv_conn *c = xcalloc(1, sizeof *c);
	br_ssl_engine_context *eng = &c->sc.eng;

	c->srv = s;
	c->id = s->next_id++;
	c->rfd = rfd;
	c->wfd = wfd;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->t_accept = c->t_last = mono_ms();
	c->t_req = NOW_NEVER;
	c->stall_until = 0;
	c->ready = 1;
	/* The full server profile (all hashes, PRFs, ciphers, ECDHE), then our
	 * suite list for RSA and EC keys alike, and the SNI policy. */
	br_ssl_server_init_full_rsa(&c->sc, NULL, 0, NULL);
	br_ssl_engine_set_suites(eng, suites, sizeof suites / sizeof suites[0]);
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	c->policy.vtable = &sni_policy_vtable;
	c->policy.srv = s;
	c->policy.conn = c;
	br_ssl_server_set_policy(&c->sc, &c->policy.vtable);
	br_ssl_engine_set_buffer(eng, c->iobuf, sizeof c->iobuf, 1);
	br_ssl_server_reset(&c->sc);
	s->stat_conns++;
	return c;
}

static void
json_chain(buf_t *b, const srv_cred *c)
{
	size_t i;
	char hex[65];

	buf_puts(b, ",\"chain\":[");
	for (i = 0; c != NULL && i < c->chain_len; i++)
		buf_printf(b, "%s\"%s\"", i ? "," : "", util_hex(hex, c->hashes[i], 32));
	buf_puts(b, "]");
}

/* The handshake event: on success when it completes, on failure when the
 * connection ends before that. */
static void
log_handshake(srv_conn *c, int ok)
{
	srv_server *s = c->srv;
	br_ssl_engine_context *eng = &c->sc.eng;
	const char *sni = br_ssl_engine_get_server_name(eng);
	buf_t b = {0};

	ev_begin(s, &b, "handshake", c->id);
	buf_puts(&b, ",\"peer\":");
	json_cstr(&b, c->peer);
	buf_puts(&b, ",\"sni\":");
	json_cstr(&b, sni != NULL && sni[0] != 0 ? sni : NULL);
	if (c->cred != NULL) {
		buf_puts(&b, ",\"cred\":");
		json_cstr(&b, c->cred->name != NULL ? c->cred->name : "default");
	}
	json_chain(&b, c->cred);
	buf_printf(&b, ",\"result\":\"%s\"", ok ? "ok" : "failed");
	if (ok) {
		const char *v = srv_version_name(br_ssl_engine_get_version(eng));
		const char *cs = srv_suite_name(eng->session.cipher_suite);

		buf_puts(&b, ",\"version\":");
		json_cstr(&b, v);
		buf_printf(&b, ",\"cipher\":");
		json_cstr(&b, cs);
		buf_printf(&b, ",\"cipher_id\":%u", (unsigned)eng->session.cipher_suite);
	} else {
		int e = br_ssl_engine_last_error(eng);

		if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) {
			int a = e - BR_ERR_RECV_FATAL_ALERT;
			buf_printf(&b, ",\"alert\":%d,\"alert_name\":", a);
			json_cstr(&b, srv_alert_name(a));
			buf_puts(&b, ",\"alert_from\":\"client\"");
		} else if (e >= BR_ERR_SEND_FATAL_ALERT) {
			int a = e - BR_ERR_SEND_FATAL_ALERT;
			buf_printf(&b, ",\"alert\":%d,\"alert_name\":", a);
			json_cstr(&b, srv_alert_name(a));
			buf_puts(&b, ",\"alert_from\":\"server\"");
		} else if (e != 0) {
			buf_printf(&b, ",\"error\":%d,\"error_name\":", e);
			json_cstr(&b, srv_error_name(e));
		}
		buf_puts(&b, ",\"reason\":");
		json_cstr(&b, c->end_reason != NULL ? c->end_reason
			: (e != 0 ? "tls error" : "closed by peer"));
	}
	buf_printf(&b, ",\"open\":%zu", s->nconns);
	ev_end(s, &b);
	if (ok && s->keylog != NULL) {
		char cr[65], ms[97];

		fprintf(s->keylog, "CLIENT_RANDOM %s %s\n",
			util_hex(cr, eng->client_random, 32),
			util_hex(ms, eng->session.master_secret, 48));
		fflush(s->keylog);
	}
}

/* The request event, when its response ends (sent, cut, or connection lost). */
static void
log_request(srv_conn *c, const char *outcome)
{
	srv_server *s = c->srv;
	buf_t b = {0};

	ev_begin(s, &b, "request", c->id);
	buf_puts(&b, ",\"method\":");
	json_cstr(&b, c->method);
	buf_puts(&b, ",\"path\":");
	json_cstr(&b, c->target);
	if (c->range[0] != 0) {
		buf_puts(&b, ",\"range\":");
		json_cstr(&b, c->range);
	}
	buf_printf(&b, ",\"status\":%d,\"bytes\":%llu,\"body_size\":%llu",
		c->status, (unsigned long long)c->body_off,
		(unsigned long long)c->body_len);
	buf_puts(&b, ",\"outcome\":");
	json_cstr(&b, outcome);
	buf_puts(&b, ",\"faults\":[");
	if (c->faults.len > 0)
		buf_append(&b, c->faults.data, c->faults.len);
	buf_puts(&b, "]");
	if (c->report != NULL) {
		buf_puts(&b, ",\"report\":");
		srv_json_str(&b, c->report, c->report_len);
	}
	ev_end(s, &b);
	s->stat_requests++;
	c->faults.len = 0;
	free(c->report);
	c->report = NULL;
}

static void
conn_free(srv_conn *c)
{
	srv_server *s = c->srv;
	buf_t b = {0};
	const char *reason = c->end_reason;

	if (!c->hs_done)
		log_handshake(c, 0);
	if (c->resp_active)
		log_request(c, "connection lost");
	if (reason == NULL)
		reason = c->peer_eof ? "closed by peer" : "closed";
	ev_begin(s, &b, "close", c->id);
	buf_printf(&b, ",\"requests\":%u,\"bytes_in\":%llu,\"bytes_out\":%llu,"
		"\"reason\":", c->nreq, (unsigned long long)c->bytes_in,
		(unsigned long long)c->bytes_out);
	json_cstr(&b, reason);
	{
		int e = br_ssl_engine_last_error(&c->sc.eng);
		if (e != 0) {
			buf_printf(&b, ",\"error\":%d", e);
			if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) {
				buf_puts(&b, ",\"alert_name\":");
				json_cstr(&b, srv_alert_name(e - BR_ERR_RECV_FATAL_ALERT));
			}
		}
	}
	ev_end(s, &b);
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	buf_free(&c->in);
	buf_free(&c->head);
	buf_free(&c->faults);
	free(c->report);
	util_wipe(&c->sc, sizeof c->sc);
	free(c);
}

/* Record that a fault was applied to the current request. */
static void
fault_applied(srv_conn *c, srv_fault *f)
{
	if (c->faults.len > 0)
		buf_putc(&c->faults, ',');
	json_cstr(&c->faults, f->spec);
	f->used++;
}

static int
fault_available(const srv_fault *f)
{
	return f->count == 0 || f->used < f->count;
}

/* Start a response: the head is built here; the body is body[0..len). */
static void
respond(srv_conn *c, int status, const char *ctype, const void *body,
	uint64_t len, const char *extra)
{
	char date[40];

	c->status = status;
	c->head.len = 0;
	c->head_off = 0;
	simtime_format_http(date, sizeof date, srv_sim_now(c->srv));
	buf_printf(&c->head, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: rotsim\r\n"
		"Content-Length: %llu\r\n", status, srv_http_reason(status), date,
		(unsigned long long)len);
	if (ctype != NULL)
		buf_printf(&c->head, "Content-Type: %s\r\n", ctype);
	if (extra != NULL)
		buf_puts(&c->head, extra);
	if (c->close_after)
		buf_puts(&c->head, "Connection: close\r\n");
	buf_puts(&c->head, "\r\n");
	if (strcmp(c->method, "HEAD") == 0)
		len = 0;
	c->body = body;
	c->body_len = len;
	c->body_off = 0;
	c->resp_active = 1;
	/* No transfer fault unless serve_image() sets one. */
	c->body_image = NULL;
	c->body_base = 0;
	c->cut_at = UINT64_MAX;
	c->stall_ms = 0;
	c->stall_until = 0;
}

static const char plain[] = "text/plain";

static void
respond_text(srv_conn *c, int status, const char *extra)
{
	/* Static texts: "404 Not Found\n" and so on. */
	static char texts[600][48];
	char *t = texts[status % 600];

	snprintf(t, sizeof texts[0], "%d %s\n", status, srv_http_reason(status));
	respond(c, status, plain, t, strlen(t), extra);
}

/* Serve a firmware image, with Range and the transfer faults. */
static void
serve_image(srv_conn *c, const srv_http_req *r, const srv_image *img)
{
	srv_server *s = c->srv;
	uint64_t first = 0, last = img->len ? img->len - 1 : 0;
	int rr = srv_http_range(r, img->len, &first, &last);
	char extra[160];
	size_t i;

	if (rr < 0) {
		snprintf(extra, sizeof extra, "Content-Range: bytes */%zu\r\n", img->len);
		respond_text(c, 416, extra);
		return;
	}
	if (rr > 0) {
		snprintf(extra, sizeof extra, "Accept-Ranges: bytes\r\n"
			"Content-Range: bytes %llu-%llu/%zu\r\n", (unsigned long long)first,
			(unsigned long long)last, img->len);
		respond(c, 206, "application/octet-stream", img->data + first,
			last - first + 1, extra);
	} else {
		respond(c, 200, "application/octet-stream", img->data, img->len,
			"Accept-Ranges: bytes\r\n");
	}
	c->body_image = img;
	c->body_base = first;
	for (i = 0; i < s->nfaults; i++) {
		srv_fault *f = &s->faults[i];

		if (f->kind == SRV_FAULT_CLOSE_AFTER && fault_available(f)
			&& c->cut_at == UINT64_MAX)
		{
			c->cut_at = f->value;
			fault_applied(c, f);
		} else if (f->kind == SRV_FAULT_STALL && fault_available(f)
			&& c->stall_ms == 0)
		{
			c->stall_at = f->at;
			c->stall_ms = (int64_t)f->value * 1000;
			fault_applied(c, f);
		} else if (f->kind == SRV_FAULT_CORRUPT_BYTE && f->value >= first
			&& f->value <= last && c->body_len > 0)
		{
			fault_applied(c, f);
		}
	}
}

/* Answer one complete request. */
static void
handle_request(srv_conn *c, const srv_http_req *r, const unsigned char *body)
{
	srv_server *s = c->srv;
	const char *t = r->target;
	int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
	size_t i, tlen;

	c->nreq++;
	snprintf(c->method, sizeof c->method, "%s", r->method);
	memcpy(c->target, r->target, sizeof c->target);
	snprintf(c->range, sizeof c->range, "%s", r->has_range ? r->range : "");
	c->close_after = !r->keep_alive;
	tlen = strcspn(t, "?");
	for (i = 0; i < s->nfaults; i++) {
		srv_fault *f = &s->faults[i];

		if (f->kind == SRV_FAULT_HTTP && fault_available(f)
			&& (f->path == NULL || strncmp(t, f->path, strlen(f->path)) == 0))
		{
			char extra[64] = "";

			if (f->retry_after >= 0)
				snprintf(extra, sizeof extra, "Retry-After: %lld\r\n",
					(long long)f->retry_after);
			fault_applied(c, f);
			respond_text(c, (int)f->value, extra);
			return;
		}
	}
	if (tlen == 9 && strncmp(t, "/manifest", 9) == 0) {
		if (!get) {
			respond_text(c, 405, "Allow: GET, HEAD\r\n");
		} else if (s->manifest == NULL) {
			respond_text(c, 404, NULL);
		} else {
			for (i = 0; i < s->nfaults; i++)
				if (s->faults[i].kind == SRV_FAULT_BAD_SIGNATURE)
					fault_applied(c, &s->faults[i]);
			respond(c, 200, plain, s->manifest, s->manifest_len, NULL);
		}
		return;
	}
	if (tlen == 7 && strncmp(t, "/report", 7) == 0) {
		if (strcmp(r->method, "POST") != 0) {
			respond_text(c, 405, "Allow: POST\r\n");
			return;
		}
		c->report = xmemdup(body, r->body_len);
		c->report_len = r->body_len;
		respond(c, 200, plain, "ok\n", 3, NULL);
		return;
	}
	if (tlen > 10 && strncmp(t, "/firmware/", 10) == 0) {
		const srv_image *img = NULL;

		for (i = 0; i < s->nimages; i++)
			if (strlen(s->images[i].name) == tlen - 10
				&& strncmp(t + 10, s->images[i].name, tlen - 10) == 0)
				img = &s->images[i];
		if (img != NULL && img == s->offered) {
			for (i = 0; i < s->nfaults; i++) {
				if (s->faults[i].kind == SRV_FAULT_MISSING_IMAGE) {
					fault_applied(c, &s->faults[i]);
					img = NULL;
				}
			}
		}
		if (img == NULL)
			respond_text(c, 404, NULL);
		else if (!get)
			respond_text(c, 405, "Allow: GET, HEAD\r\n");
		else
			serve_image(c, r, img);
		return;
	}
	respond_text(c, 404, NULL);
}

/* Parse and answer the next buffered request, if any and none is in progress. */
static void
next_request(srv_conn *c)
{
	srv_http_req r;
	long n;
	int status;

	if (c->resp_active || c->closing || c->cutting || c->in.len == 0)
		return;
	n = srv_http_parse(&r, c->in.data, c->in.len, &status);
	if (n == 0)
		return;
	if (n < 0) {
		c->nreq++;
		snprintf(c->method, sizeof c->method, "%s", r.method);
		memcpy(c->target, r.target, sizeof c->target);
		c->range[0] = 0;
		c->close_after = 1;
		respond_text(c, status, NULL);
		c->in.len = 0;
		return;
	}
	handle_request(c, &r, c->in.data + r.head_len);
	memmove(c->in.data, c->in.data + n, c->in.len - (size_t)n);
	c->in.len -= (size_t)n;
	c->t_req = c->in.len > 0 ? mono_ms() : NOW_NEVER;
}

/* Move response bytes into the engine. Returns 1 if any moved. */
static int
push_response(srv_conn *c, int64_t now)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	unsigned char *buf;
	size_t avail, n;
	int moved = 0;

	while ((buf = br_ssl_engine_sendapp_buf(eng, &avail)) != NULL && avail > 0) {
		if (c->head_off < c->head.len) {
			n = c->head.len - c->head_off;
			if (n > avail)
				n = avail;
			memcpy(buf, c->head.data + c->head_off, n);
			c->head_off += n;
			br_ssl_engine_sendapp_ack(eng, n);
			moved = 1;
			continue;
		}
		if (c->body_off >= c->body_len)
			break;
		/* The transfer faults act at body offsets of this response. */
		if (c->stall_ms > 0 && c->body_off >= c->stall_at) {
			if (c->stall_until == 0) {
				c->stall_until = now + c->stall_ms;
				br_ssl_engine_flush(eng, 0);
			}
			if (now < c->stall_until)
				break;
			c->stall_ms = 0;
			c->stall_until = 0;
			c->t_last = now;
		}
		n = c->body_len - c->body_off;
		if (c->cut_at != UINT64_MAX && c->body_off + n > c->cut_at)
			n = c->cut_at - c->body_off;
		if (c->stall_ms > 0 && c->body_off < c->stall_at
			&& c->body_off + n > c->stall_at)
			n = c->stall_at - c->body_off;
		if (n > avail)
			n = avail;
		if (n == 0) {
			/* At the cut: flush what was written and drop the connection. */
			br_ssl_engine_flush(eng, 0);
			c->cutting = 1;
			c->end_reason = "fault: close-after";
			log_request(c, "cut");
			c->resp_active = 0;
			return 1;
		}
		memcpy(buf, c->body + c->body_off, n);
		if (c->body_image != NULL) {
			size_t i;
			for (i = 0; i < c->srv->nfaults; i++) {
				const srv_fault *f = &c->srv->faults[i];
				uint64_t at = c->body_base + c->body_off;
				if (f->kind == SRV_FAULT_CORRUPT_BYTE && f->value >= at
					&& f->value < at + n)
					buf[f->value - at] ^= 0xff;
			}
		}
		c->body_off += n;
		br_ssl_engine_sendapp_ack(eng, n);
		moved = 1;
	}
	if (c->resp_active && c->head_off == c->head.len && c->body_off >= c->body_len) {
		br_ssl_engine_flush(eng, 0);
		c->resp_active = 0;
		log_request(c, "sent");
		if (c->close_after) {
			c->closing = 1;
			br_ssl_engine_close(eng);
		}
		moved = 1;
	}
	return moved;
}

/*
 * Drive one connection as far as it goes without blocking. Returns 0 to keep
 * it, -1 when it is finished (the caller frees it). *events receives what to
 * poll for.
 */
static int
conn_pump(srv_conn *c, short *events)
{
	br_ssl_engine_context *eng = &c->sc.eng;
	int64_t now = mono_ms();

	*events = 0;
	for (;;) {
		unsigned st = br_ssl_engine_current_state(eng);
		int progress = 0;
		unsigned char *buf;
		size_t len;
		ssize_t k;

		if (st == BR_SSL_CLOSED) {
			if (c->end_reason == NULL)
				c->end_reason = br_ssl_engine_last_error(eng) == 0
					? "close_notify" : "tls error";
			return -1;
		}
		if (!c->hs_done && (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP)) != 0) {
			c->hs_done = 1;
			log_handshake(c, 1);
		}
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			k = write(c->wfd, buf, len);
			if (k > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)k);
				c->bytes_out += (uint64_t)k;
				c->t_last = now;
				progress = 1;
			} else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
				*events |= POLLOUT;
			} else if (k < 0 && errno != EINTR) {
				c->io_error = errno;
				c->end_reason = "write error";
				return -1;
			}
			if (progress)
				continue;
		} else if (c->cutting) {
			return -1;
		}
		if (st & BR_SSL_RECVAPP) {
			buf = br_ssl_engine_recvapp_buf(eng, &len);
			if (c->in.len + len > SRV_HTTP_MAX_HEAD + SRV_HTTP_MAX_BODY + 1)
				len = SRV_HTTP_MAX_HEAD + SRV_HTTP_MAX_BODY + 1 - c->in.len;
			if (len > 0) {
				if (c->in.len == 0)
					c->t_req = now;
				buf_append(&c->in, buf, len);
				br_ssl_engine_recvapp_ack(eng, len);
				progress = 1;
			}
		}
		if (c->hs_done && !c->cutting) {
			next_request(c);
			if (c->resp_active && (st & BR_SSL_SENDAPP)
				&& push_response(c, now))
				progress = 1;
		}
		if ((st & BR_SSL_RECVREC) && !c->peer_eof) {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			k = read(c->rfd, buf, len);
			if (k > 0) {
				br_ssl_engine_recvrec_ack(eng, (size_t)k);
				c->bytes_in += (uint64_t)k;
				c->t_last = now;
				progress = 1;
			} else if (k == 0) {
				c->peer_eof = 1;
				return -1;
			} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
				*events |= POLLIN;
			} else if (errno != EINTR) {
				c->io_error = errno;
				c->end_reason = "read error";
				return -1;
			}
		}
		if (!progress)
			break;
	}
	return 0;
}

/* When this connection next needs attention without I/O (a timeout or the end
 * of a stall), in monotonic ms; NOW_NEVER if never. Ends it (-1) when a
 * timeout has passed. */
static int
conn_deadline(srv_conn *c, int64_t now, int64_t *when)
{
	int64_t to = c->srv->timeout_ms, d;

	if (!c->hs_done)
		d = c->t_accept + to;
	else if (c->stall_until != 0)
		d = c->stall_until;
	else
		d = c->t_last + to;
	if (c->hs_done && c->stall_until == 0 && !c->resp_active && c->in.len > 0
		&& c->t_req != NOW_NEVER && c->t_req + to < d)
		d = c->t_req + to;
	if (now < d) {
		*when = d;
		return 0;
	}
	if (c->stall_until != 0) {
		*when = now;
		return 0;
	}
	if (c->hs_done && !c->resp_active && c->in.len > 0 && !c->closing) {
		/* Half a request: answer 408 and close. */
		snprintf(c->method, sizeof c->method, "%s", "");
		snprintf(c->target, sizeof c->target, "%s", "");
		c->range[0] = 0;
		c->close_after = 1;
		c->nreq++;
		respond_text(c, 408, NULL);
		c->in.len = 0;
		c->t_last = now;
		c->end_reason = "timeout: half request";
		*when = now;
		return 0;
	}
	c->end_reason = !c->hs_done ? "timeout: handshake"
		: c->resp_active ? "timeout: client not reading" : "timeout: idle";
	return -1;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void
remove_conn(srv_server *s, size_t i)
{
	conn_free(s->conns[i]);
	s->conns[i] = s->conns[--s->nconns];
}

static void
accept_some(srv_server *s)
{
	int k;

	for (k = 0; k < 64 && s->nconns < s->max_conns; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char host[INET6_ADDRSTRLEN], peer[80];
		int fd, one = 1;
		uint16_t port = 0;

		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		host[0] = 0;
		if (ss.ss_family == AF_INET) {
			struct sockaddr_in *a = (struct sockaddr_in *)&ss;
			inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
			port = ntohs(a->sin_port);
			snprintf(peer, sizeof peer, "%s:%u", host, port);
		} else {
			struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
			inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
			port = ntohs(a->sin6_port);
			snprintf(peer, sizeof peer, "[%s]:%u", host, port);
		}
		s->conns = xrealloc(s->conns, (s->nconns + 1) * sizeof *s->conns);
		s->conns[s->nconns++] = conn_new(s, fd, fd, peer);
		if (s->nconns > s->peak_conns)
			s->peak_conns = s->nconns;
	}
}

/* see srv.h */
int
srv_listen(srv_server *s, const char *addr, char *bound, size_t boundlen,
	char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[INET6_ADDRSTRLEN + 2], *colon;
	const char *portstr;
	uint64_t port;
	int fd = -1, one = 1;

	memset(&ss, 0, sizeof ss);
	colon = strrchr(addr, ':');
	if (colon == NULL) {
		snprintf(host, sizeof host, "127.0.0.1");
		portstr = addr;
	} else {
		size_t hl = (size_t)(colon - addr);
		if (hl >= sizeof host)
			return util_err(err, errlen, "bad address \"%s\"", addr);
		memcpy(host, addr, hl);
		host[hl] = 0;
		portstr = colon + 1;
	}
	if (parse_u64(portstr, &port) != 0 || port > 65535)
		return util_err(err, errlen, "bad port in \"%s\"", addr);
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		host[strlen(host) - 1] = 0;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return util_err(err, errlen, "bad IPv6 address in \"%s\"", addr);
		sl = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &a->sin_addr) != 1)
			return util_err(err, errlen, "bad address \"%s\" (a numeric "
				"address and a port, such as 127.0.0.1:8443)", addr);
		sl = sizeof *a;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return util_err(err, errlen, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 1024) != 0) {
		util_err(err, errlen, "%s: %s", addr, strerror(errno));
		close(fd);
		return -1;
	}
	sl = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
		snprintf(bound, boundlen, "%s:%u", host, ntohs(a->sin_port));
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
		snprintf(bound, boundlen, "[%s]:%u", host, ntohs(a->sin6_port));
	}
	s->lfd = fd;
	{
		buf_t b = {0};
		ev_begin(s, &b, "listen", 0);
		buf_puts(&b, ",\"address\":");
		json_cstr(&b, bound);
		if (s->manifest != NULL && s->offered != NULL)
			buf_printf(&b, ",\"offered_version\":%lu",
				(unsigned long)s->offered->version);
		ev_end(s, &b);
	}
	return 0;
}

/* The loop behind srv_run and srv_serve_fd: until *stop, or (once) until no
 * connection is left. */
static int
event_loop(srv_server *s, volatile sig_atomic_t *stop, const sigset_t *sigmask,
	int until_empty, char *err, size_t errlen)
{
	struct pollfd *pfd = NULL;
	size_t cap = 0;
	int ret = -1;

	while (stop == NULL || !*stop) {
		size_t i, n = 0, base;
		int64_t now = mono_ms(), next = NOW_NEVER;
		struct timespec ts, *tsp = NULL;
		int r;

		if (until_empty && s->nconns == 0)
			break;
		if (cap < s->nconns + 2) {
			cap = s->nconns + 64;
			pfd = xrealloc(pfd, cap * sizeof *pfd);
		}
		if (s->lfd >= 0 && s->nconns < s->max_conns) {
			pfd[n].fd = s->lfd;
			pfd[n].events = POLLIN;
			n++;
		}
		if (s->extra_fd >= 0) {
			pfd[n].fd = s->extra_fd;
			pfd[n].events = POLLIN;
			n++;
		}
		base = n;
		for (i = 0; i < s->nconns; ) {
			srv_conn *c = s->conns[i];
			short ev;
			int64_t when;

			/* Only connections with news are driven: a readiness from
			 * poll, or nothing asked for last time (new work). */
			ev = c->want;
			if (c->ready != 0 || c->want == 0) {
				if (conn_pump(c, &ev) != 0) {
					remove_conn(s, i);
					continue;
				}
				c->ready = 0;
			}
			if (conn_deadline(c, now, &when) != 0) {
				remove_conn(s, i);
				continue;
			}
			if (when <= now) {
				/* The deadline produced work (a 408, a stall's end). */
				if (conn_pump(c, &ev) != 0) {
					remove_conn(s, i);
					continue;
				}
				when = now + 1000;
			}
			c->want = ev;
			if (when < next)
				next = when;
			/* Both directions are polled through the read side when the
			 * descriptors are one socket. */
			pfd[base + i].fd = (ev & POLLOUT) ? c->wfd : c->rfd;
			pfd[base + i].events = ev;
			if (ev == (POLLIN | POLLOUT) && c->rfd != c->wfd)
				pfd[base + i].events = POLLOUT;
			pfd[base + i].revents = 0;
			i++;
		}
		n = base + s->nconns;
		if (until_empty && s->nconns == 0)
			break;
		if (next != NOW_NEVER) {
			int64_t d = next - now;
			if (d < 0)
				d = 0;
			ts.tv_sec = d / 1000;
			ts.tv_nsec = (d % 1000) * 1000000;
			tsp = &ts;
		}
		r = ppoll(pfd, n, tsp, sigmask);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			util_err(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < s->nconns; i++)
			s->conns[i]->ready = pfd[base + i].revents;
		for (i = 0; i < base; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (pfd[i].fd == s->lfd)
				accept_some(s);
			else if (pfd[i].fd == s->extra_fd && s->extra_fn != NULL)
				s->extra_fn(s->extra_ctx);
		}
	}
	ret = 0;
out:
	free(pfd);
	return ret;
}

/* see srv.h */
int
srv_run(srv_server *s, volatile sig_atomic_t *stop, const sigset_t *sigmask,
	char *err, size_t errlen)
{
	if (s->lfd < 0)
		return util_err(err, errlen, "not listening");
	return event_loop(s, stop, sigmask, 0, err, errlen);
}

/* see srv.h */
int
srv_serve_fd(srv_server *s, int rfd, int wfd, const char *peer,
	volatile sig_atomic_t *stop, const sigset_t *sigmask, char *err, size_t errlen)
{
	set_nonblock(rfd);
	set_nonblock(wfd);
	s->conns = xrealloc(s->conns, (s->nconns + 1) * sizeof *s->conns);
	s->conns[s->nconns++] = conn_new(s, rfd, wfd, peer);
	s->peak_conns = 1;
	return event_loop(s, stop, sigmask, 1, err, errlen);
}

/* see srv.h */
void
srv_free(srv_server *s)
{
	size_t i;

	if (s == NULL)
		return;
	while (s->nconns > 0) {
		s->conns[s->nconns - 1]->end_reason = "server stopped";
		remove_conn(s, s->nconns - 1);
	}
	free(s->conns);
	if (s->events != NULL) {
		buf_t b = {0};
		ev_begin(s, &b, "stop", 0);
		buf_printf(&b, ",\"connections\":%llu,\"requests\":%llu,\"peak_open\":%zu",
			(unsigned long long)s->stat_conns,
			(unsigned long long)s->stat_requests, s->peak_conns);
		ev_end(s, &b);
		fclose(s->events);
	}
	if (s->keylog != NULL)
		fclose(s->keylog);
	if (s->lfd >= 0)
		close(s->lfd);
	for (i = 0; i < s->ncreds; i++)
		cred_free(s->creds[i]);
	free(s->creds);
	for (i = 0; i < s->nfaults; i++) {
		free(s->faults[i].spec);
		free(s->faults[i].path);
		free(s->faults[i].key);
	}
	free(s->faults);
	for (i = 0; i < s->nimages; i++) {
		free(s->images[i].name);
		free(s->images[i].data);
	}
	free(s->images);
	free(s->manifest);
	memset(s, 0, sizeof *s);
	s->lfd = -1;
	s->extra_fd = -1;
}
