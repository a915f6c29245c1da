/*
 * The update protocols real clients speak (PROTOCOL.md, "Other protocols"):
 * a plain HTTPS file tree, what curl, wget, SWUpdate's downloader and RAUC's
 * streaming install fetch, and the subset of hawkBit's DDI API that
 * SWUpdate's suricatta and rauc-hawkbit-updater use.
 *
 * Nothing here touches the file system while serving: the tree is the list
 * of paths built at start (srv_tree_build), a request names one of them
 * exactly or gets 404, so no path can reach outside it and no directory is
 * ever listed. Every hawkBit answer is generated from the offered image and
 * the request's own (checked) names.
 */
#include "common/json.h"
#include "server/ddi.h"
#include "server/srv_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* see srv.h */
const char *
srv_protocol_name(srv_protocol p)
{
	switch (p) {
	case SRV_PROTO_FILES: return "files";
	case SRV_PROTO_HAWKBIT: return "hawkbit";
	default: return "rotsim";
	}
}

/* An absolute path a tree may hold: printable ASCII without spaces, '?',
 * '%' or '#', no empty, "." or ".." segment, not ending in '/'. */
static int
path_valid(const char *p)
{
	size_t len = strlen(p), i;
	const char *seg;

	if (len < 2 || len > 255 || p[0] != '/' || p[len - 1] == '/')
		return 0;
	for (i = 0; i < len; i++)
		if (p[i] <= ' ' || p[i] >= 0x7f || p[i] == '?' || p[i] == '%' || p[i] == '#')
			return 0;
	for (seg = p; seg != NULL; seg = strchr(seg + 1, '/')) {
		size_t n = strcspn(seg + 1, "/");

		if (n == 0 || (n == 1 && seg[1] == '.') || (n == 2 && seg[1] == '.'
			&& seg[2] == '.'))
			return 0;
	}
	return 1;
}

/* 1..64 characters of [A-Za-z0-9._:-] (tenants, controller ids). */
static int
name_valid(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > 64)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = p[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
			|| (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'
			|| ch == ':'))
			return 0;
	}
	return 1;
}

/* see srv.h */
int
srv_set_protocol(srv_server *s, const char *name, const char *image_path,
	const char *checkin_path, const char *tenant, char *err, size_t errlen)
{
	srv_protocol p;

	if (name == NULL || strcmp(name, "rotsim") == 0)
		p = SRV_PROTO_ROTSIM;
	else if (strcmp(name, "files") == 0)
		p = SRV_PROTO_FILES;
	else if (strcmp(name, "hawkbit") == 0)
		p = SRV_PROTO_HAWKBIT;
	else
		return util_err(err, errlen, "unknown protocol \"%s\" (rotsim, files or "
			"hawkbit)", name);
	if (image_path != NULL && !path_valid(image_path))
		return util_err(err, errlen, "image path \"%s\": an absolute path of printable "
			"characters without spaces, '?', '%%', '#', \".\" or \"..\" segments, "
			"at most 255 bytes", image_path);
	if (checkin_path != NULL && !path_valid(checkin_path))
		return util_err(err, errlen, "check-in path \"%s\": an absolute path of "
			"printable characters without spaces, '?', '%%', '#', \".\" or \"..\" "
			"segments, at most 255 bytes", checkin_path);
	if (tenant != NULL && !name_valid(tenant, strlen(tenant)))
		return util_err(err, errlen, "tenant \"%s\": 1 to 64 of A-Z a-z 0-9 . _ : -",
			tenant);
	s->protocol = p;
	free(s->image_path);
	free(s->checkin_path);
	free(s->tenant);
	s->image_path = xstrdup(image_path != NULL ? image_path : "/firmware/update.bin");
	s->checkin_path = checkin_path != NULL ? xstrdup(checkin_path) : NULL;
	s->tenant = xstrdup(tenant != NULL ? tenant : "DEFAULT");
	return 0;
}

static srv_file *
tree_find(const srv_server *s, const char *path, size_t len)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (strlen(s->files[i].path) == len && memcmp(s->files[i].path, path, len) == 0)
			return &s->files[i];
	return NULL;
}

/* Add a file; own (may be NULL) is taken over. Refuses a path twice. */
static int
tree_add(srv_server *s, char *path, const unsigned char *data, size_t len,
	unsigned char *own, const srv_image *img, char *err, size_t errlen)
{
	srv_file *f;
	unsigned char h[32];
	char hex[65];

	if (tree_find(s, path, strlen(path)) != NULL) {
		util_err(err, errlen, "%s is served twice (choose another image path)", path);
		free(path);
		free(own);
		return -1;
	}
	s->files = xrealloc(s->files, (s->nfiles + 1) * sizeof *s->files);
	f = &s->files[s->nfiles++];
	memset(f, 0, sizeof *f);
	f->path = path;
	f->data = data;
	f->len = len;
	f->own = own;
	f->image = img;
	util_sha256(h, data, len);
	util_hex(hex, h, 32);
	snprintf(f->etag, sizeof f->etag, "\"%.16s\"", hex);
	return 0;
}

/* see srv_int.h */
int
srv_tree_build(srv_server *s, const fw_key *key, char *err, size_t errlen)
{
	const srv_image *o = s->offered;
	br_sha1_context sha1;
	br_md5_context md5;
	size_t i;

	if (o == NULL)
		return util_err(err, errlen, "no image offered");
	br_sha1_init(&sha1);
	br_sha1_update(&sha1, o->data, o->len);
	br_sha1_out(&sha1, s->img_sha1);
	br_md5_init(&md5);
	br_md5_update(&md5, o->data, o->len);
	br_md5_out(&md5, s->img_md5);
	util_sha256(s->img_sha256, o->data, o->len);
	if (s->protocol != SRV_PROTO_FILES)
		return 0;
	/* The tree: every image under /firmware/, the offered one at the image
	 * path too, with its SHA-256, detached signature and version. */
	for (i = 0; i < s->nimages; i++)
		if (tree_add(s, xasprintf("/firmware/%s", s->images[i].name), s->images[i].data,
			s->images[i].len, NULL, &s->images[i], err, errlen) != 0)
			return -1;
	if (tree_find(s, s->image_path, strlen(s->image_path)) == NULL
		&& tree_add(s, xstrdup(s->image_path), o->data, o->len, NULL, o, err, errlen) != 0)
		return -1;
	if (tree_find(s, s->image_path, strlen(s->image_path))->image != o)
		return util_err(err, errlen, "%s is another image than the offered one",
			s->image_path);
	{
		const char *base = strrchr(s->image_path, '/') + 1;
		char hex[65], *t;
		unsigned char sig[80];
		br_ec_private_key sk;
		size_t n;

		t = xasprintf("%s  %s\n", util_hex(hex, s->img_sha256, 32), base);
		if (tree_add(s, xasprintf("%s.sha256", s->image_path), (unsigned char *)t,
			strlen(t), (unsigned char *)t, NULL, err, errlen) != 0)
			return -1;
		t = xasprintf("%lu\n", (unsigned long)o->version);
		if (tree_add(s, xasprintf("%s.version", s->image_path), (unsigned char *)t,
			strlen(t), (unsigned char *)t, NULL, err, errlen) != 0)
			return -1;
		sk.curve = BR_EC_secp256r1;
		sk.x = (unsigned char *)key->d;
		sk.xlen = 32;
		n = br_ecdsa_i31_sign_asn1(&br_ec_p256_m31, &br_sha256_vtable, s->img_sha256,
			&sk, sig);
		if (n == 0)
			return util_err(err, errlen, "ECDSA signing of the image failed");
		{
			unsigned char *d = xmemdup(sig, n);

			if (tree_add(s, xasprintf("%s.sig", s->image_path), d, n, d, NULL, err,
				errlen) != 0)
				return -1;
		}
	}
	return 0;
}

/* see srv_int.h */
void
srv_tree_free(srv_server *s)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++) {
		free(s->files[i].path);
		free(s->files[i].own);
	}
	free(s->files);
	s->files = NULL;
	s->nfiles = 0;
	free(s->image_path);
	free(s->checkin_path);
	free(s->tenant);
	free(s->image_file);
	s->image_path = s->checkin_path = s->tenant = s->image_file = NULL;
}

/* see srv.h */
void
srv_set_image_file(srv_server *s, const char *path)
{
	free(s->image_file);
	s->image_file = path != NULL ? xstrdup(path) : NULL;
}

static int
is_get(const srv_http_req *r)
{
	return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
}

/* Keep a request's body as the check-in evidence of the event. */
static void
keep_body(srv_conn *c, const unsigned char *body, size_t len, const char *key)
{
	free(c->report);
	c->report = xmemdup(body, len);
	c->report_len = len;
	c->report_key = key;
}

/* ---- files ---- */

static void
files_request(srv_conn *c, const srv_http_req *r, const unsigned char *body)
{
	srv_server *s = c->srv;
	const char *t = r->target;
	size_t tlen = strcspn(t, "?");
	const srv_file *f;
	char extra[96];
	size_t n;
	int text;

	if (s->checkin_path != NULL && strlen(s->checkin_path) == tlen
		&& strncmp(t, s->checkin_path, tlen) == 0) {
		if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "POST") != 0
			&& strcmp(r->method, "PUT") != 0) {
			srv_respond_text(c, 405, "Allow: GET, POST, PUT\r\n");
			return;
		}
		if (r->body_len > 0)
			keep_body(c, body, r->body_len, "report");
		srv_respond(c, 200, "text/plain", "ok\n", 3, NULL);
		return;
	}
	f = tree_find(s, t, tlen);
	if (f != NULL && f->image != NULL && f->image == s->offered
		&& srv_faults_missing_image(c))
		f = NULL;
	if (f == NULL) {
		srv_respond_text(c, 404, NULL);
		return;
	}
	if (!is_get(r)) {
		srv_respond_text(c, 405, "Allow: GET, HEAD\r\n");
		return;
	}
	snprintf(extra, sizeof extra, "ETag: %s\r\n", f->etag);
	/* Text for the SHA-256 and version files, bytes for the rest. */
	n = strlen(f->path);
	text = f->image == NULL && ((n > 7 && strcmp(f->path + n - 7, ".sha256") == 0)
		|| (n > 8 && strcmp(f->path + n - 8, ".version") == 0));
	srv_serve_bytes(c, r, f->data, f->len, f->image, text ? "text/plain"
		: "application/octet-stream", extra);
}

/* ---- hawkBit DDI ---- */

#define DDI_MAX_SEGS 9

/* The request's own host for links: the Host header when it holds only
 * host-name characters, else the default name. */
static const char *
link_host(const srv_http_req *r)
{
	size_t i, n = strlen(r->host);

	if (n == 0 || n > 255)
		return "updates.rotsim.test";
	for (i = 0; i < n; i++) {
		char ch = r->host[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
			|| (ch >= '0' && ch <= '9') || ch == '.' || ch == '-' || ch == ':'
			|| ch == '[' || ch == ']'))
			return "updates.rotsim.test";
	}
	return r->host;
}

/* The artifact's file name: the last part of the image path. */
static const char *
artifact_name(const srv_server *s)
{
	return strrchr(s->image_path, '/') + 1;
}

static int
pending(const srv_server *s)
{
	return s->offered != NULL && (long)s->offered->version > s->installed_version
		&& !s->action_closed;
}

/* Does segment seg (n bytes) spell the decimal number v? */
static int
seg_is_num(const char *seg, size_t n, unsigned long v)
{
	char want[24];

	snprintf(want, sizeof want, "%lu", v);
	return strlen(want) == n && memcmp(seg, want, n) == 0;
}

#define SEG_IS(k, lit) (len[k] == sizeof(lit) - 1 && memcmp(seg[k], lit, len[k]) == 0)

static void
ddi_json(srv_conn *c)
{
	srv_respond(c, 200, "application/hal+json", c->dyn.data, c->dyn.len, NULL);
}

static void
hawkbit_request(srv_conn *c, const srv_http_req *r, const unsigned char *body)
{
	srv_server *s = c->srv;
	const char *t = r->target, *seg[DDI_MAX_SEGS];
	size_t tlen = strcspn(t, "?"), len[DDI_MAX_SEGS], n = 0, i;
	unsigned long v = s->offered != NULL ? (unsigned long)s->offered->version : 0;
	char hex[65], base[400];
	buf_t *b = &c->dyn;

	/* Split the path into segments; too many is simply not ours. */
	for (i = 1; i <= tlen && n < DDI_MAX_SEGS; ) {
		size_t k = i;

		while (k < tlen && t[k] != '/')
			k++;
		seg[n] = t + i;
		len[n++] = k - i;
		i = k + 1;
	}
	if (i <= tlen || n < 4 || !SEG_IS(1, "controller") || !SEG_IS(2, "v1")
		|| len[0] != strlen(s->tenant) || strncasecmp(seg[0], s->tenant, len[0]) != 0
		|| !name_valid(seg[3], len[3])) {
		srv_respond_text(c, 404, NULL);
		return;
	}
	snprintf(base, sizeof base, "https://%s/%s/controller/v1/%.*s", link_host(r),
		s->tenant, (int)len[3], seg[3]);
	b->len = 0;
	if (n == 4) {
		/* The base poll: when to poll again, and the action if any. */
		if (!is_get(r)) {
			srv_respond_text(c, 405, "Allow: GET, HEAD\r\n");
			return;
		}
		buf_printf(b, "{\"config\":{\"polling\":{\"sleep\":\"%02u:%02u:%02u\"}}",
			s->poll_sleep / 3600, s->poll_sleep / 60 % 60, s->poll_sleep % 60);
		if (pending(s))
			buf_printf(b, ",\"_links\":{\"deploymentBase\":{\"href\":"
				"\"%s/deploymentBase/%lu?c=%lu\"}}", base, v, v);
		buf_puts(b, "}");
		ddi_json(c);
		return;
	}
	if (n == 6 && SEG_IS(4, "deploymentBase")) {
		if (!is_get(r)) {
			srv_respond_text(c, 405, "Allow: GET, HEAD\r\n");
			return;
		}
		if (!pending(s) || !seg_is_num(seg[5], len[5], v)) {
			srv_respond_text(c, 404, NULL);
			return;
		}
		buf_printf(b, "{\"id\":\"%lu\",\"deployment\":{\"download\":\"forced\","
			"\"update\":\"forced\",\"chunks\":[{\"part\":\"os\",\"version\":\"%lu\","
			"\"name\":\"rotsim firmware\",\"artifacts\":[{\"filename\":\"%s\","
			"\"hashes\":{", v, v, artifact_name(s));
		buf_printf(b, "\"sha1\":\"%s\",", util_hex(hex, s->img_sha1, 20));
		buf_printf(b, "\"md5\":\"%s\",", util_hex(hex, s->img_md5, 16));
		buf_printf(b, "\"sha256\":\"%s\"},", util_hex(hex, s->img_sha256, 32));
		buf_printf(b, "\"size\":%zu,\"_links\":{\"download\":{\"href\":"
			"\"%s/softwaremodules/%lu/artifacts/%s\"},\"download-http\":{\"href\":"
			"\"%s/softwaremodules/%lu/artifacts/%s\"}}}]}]}}", s->offered->len,
			base, v, artifact_name(s), base, v, artifact_name(s));
		ddi_json(c);
		return;
	}
	if (n == 7 && SEG_IS(4, "deploymentBase") && SEG_IS(6, "feedback")) {
		srv_ddi_feedback fb;
		char ferr[160];
		buf_t f = {0};

		if (strcmp(r->method, "POST") != 0) {
			srv_respond_text(c, 405, "Allow: POST\r\n");
			return;
		}
		if (s->offered == NULL || !seg_is_num(seg[5], len[5], v)) {
			srv_respond_text(c, 404, NULL);
			return;
		}
		keep_body(c, body, r->body_len, "feedback_body");
		if (srv_ddi_feedback_parse(&fb, (const char *)body, r->body_len, ferr,
			sizeof ferr) != 0
			|| (fb.id >= 0 && (unsigned long)fb.id != v
			&& util_err(ferr, sizeof ferr, "id %ld is not action %lu", fb.id, v))) {
			buf_puts(&f, ",\"feedback_error\":");
			json_put_str(&f, ferr);
			snprintf(c->feedback, sizeof c->feedback, "%s", buf_cstr(&f));
			buf_free(&f);
			srv_respond_text(c, 400, NULL);
			return;
		}
		snprintf(c->feedback, sizeof c->feedback, ",\"action\":%lu,\"execution\":\"%s\""
			",\"finished\":\"%s\"", v, fb.execution, fb.finished);
		if (strcmp(fb.execution, "closed") == 0)
			s->action_closed = 1;
		srv_respond(c, 200, NULL, "", 0, NULL);
		return;
	}
	if (n == 8 && SEG_IS(4, "softwaremodules") && SEG_IS(6, "artifacts")) {
		const char *an = artifact_name(s);

		if (s->offered == NULL || !seg_is_num(seg[5], len[5], v) || len[7] != strlen(an)
			|| memcmp(seg[7], an, len[7]) != 0 || srv_faults_missing_image(c)) {
			srv_respond_text(c, 404, NULL);
			return;
		}
		if (!is_get(r)) {
			srv_respond_text(c, 405, "Allow: GET, HEAD\r\n");
			return;
		}
		srv_serve_bytes(c, r, s->offered->data, s->offered->len, s->offered,
			"application/octet-stream", NULL);
		return;
	}
	if (n == 5 && SEG_IS(4, "configData")) {
		if (strcmp(r->method, "PUT") != 0) {
			srv_respond_text(c, 405, "Allow: PUT\r\n");
			return;
		}
		srv_respond(c, 200, NULL, "", 0, NULL);
		return;
	}
	srv_respond_text(c, 404, NULL);
}

/* see srv_int.h */
void
srv_tree_request(srv_conn *c, const srv_http_req *r, const unsigned char *body)
{
	if (c->srv->protocol == SRV_PROTO_FILES)
		files_request(c, r, body);
	else
		hawkbit_request(c, r, body);
}
