/*
 * The HTTPS update server (see srv.h): its configuration (credentials,
 * firmware, logs), the listening socket and the release of it all. The
 * connections live in conn.c, HTTP in handler.c, faults in faults.c and the
 * event log in events.c.
 */
#include "common/json.h"
#include "server/srv_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
	srv_pk_free(c);
	free(c->name);
	free(c);
}

/* Read every CERTIFICATE of a PEM file; appends to *chain. */
/* see srv_int.h */
int
srv_read_certs(const char *path, br_x509_certificate **chain, size_t *n,
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
/* see srv_int.h */
int
srv_read_key(srv_cred *c, const char *path, char *err, size_t errlen)
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
	if (srv_pk_load(c, path, objs[i].data, objs[i].len, err, errlen) != 0)
		goto out;
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
	if (srv_read_certs(chain_path, &c->chain, &c->chain_len, err, errlen) != 0
		|| srv_read_key(c, key_path, err, errlen) != 0)
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
	/* The offered version packed as the device takes it: its bytes, under
	 * its name, everywhere the image is served and described. */
	if (s->image_file != NULL && s->protocol != SRV_PROTO_ROTSIM) {
		srv_image *o = &s->images[s->offered - s->images];
		unsigned char *data;
		size_t len;

		if (util_read_file(s->image_file, &data, &len, err, errlen) != 0)
			goto out;
		if (len == 0) {
			free(data);
			util_err(err, errlen, "%s: empty", s->image_file);
			goto out;
		}
		free(o->data);
		o->data = data;
		o->len = len;
	}
	memset(&m, 0, sizeof m);
	m.version = s->offered->version;
	m.size = s->offered->len;
	util_sha256(m.sha256, s->offered->data, s->offered->len);
	snprintf(m.url, sizeof m.url, "/firmware/%s", s->offered->name);
	free(s->manifest);
	s->manifest = fw_manifest_sign(&m, key, &s->manifest_len, err, errlen);
	if (s->manifest == NULL)
		goto out;
	if (s->protocol != SRV_PROTO_ROTSIM && srv_tree_build(s, key, err, errlen) != 0)
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
	memset(s, 0, sizeof *s);
	s->lfd = -1;
	s->extra_fd = -1;
	s->handshake_ms = 10000;
	s->idle_ms = 10000;
	s->request_ms = 10000;
	s->lifetime_ms = 300000;
	s->linger_ms = 2000;
	s->max_conns = 1024;
	s->evict_grace_ms = 1000;
	s->next_id = 1;
	s->poll_sleep = 10;
	simclock_set(&s->clock, (int64_t)time(NULL));
}

/* see srv.h */
int
srv_fit_fd_limit(srv_server *s, size_t reserve, int clamp, char *note, size_t notelen,
	char *err, size_t errlen)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(s->max_conns + reserve);

	if (note != NULL && notelen > 0)
		note[0] = 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return util_err(err, errlen, "getrlimit: %s", strerror(errno));
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
		/* Raising the soft limit up to the hard one needs no privilege. */
		struct rlimit up = rl;

		up.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want
			? want : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_cur <= reserve)
		return util_err(err, errlen, "the file descriptor limit (%llu, ulimit -n) "
			"leaves no room for connections", (unsigned long long)rl.rlim_cur);
	if (!clamp)
		return util_err(err, errlen, "--max-conns %zu needs %llu file descriptors; "
			"the limit is %llu (raise it with ulimit -n, or ask for at most %llu "
			"connections)", s->max_conns, (unsigned long long)want,
			(unsigned long long)rl.rlim_cur,
			(unsigned long long)(rl.rlim_cur - reserve));
	util_err(note, notelen, "serving at most %llu connections at once (not %zu): the "
		"file descriptor limit is %llu (ulimit -n)",
		(unsigned long long)(rl.rlim_cur - reserve), s->max_conns,
		(unsigned long long)rl.rlim_cur);
	s->max_conns = (size_t)(rl.rlim_cur - reserve);
	return 1;
}

/* see srv.h */
void
srv_set_time(srv_server *s, int64_t sim_time)
{
	simclock_set(&s->clock, sim_time);
}

/*
 * Create a log file that must not exist yet. The logs are evidence, and a
 * results folder may be shared: a symbolic link planted where a log goes
 * would otherwise have the server (perhaps run as root) write through it into
 * any file, and a file left by another run would mix two runs' events. So the
 * file is created new (O_EXCL), and a link in its place is refused, never
 * followed (O_NOFOLLOW): util_fopen_evidence.
 *
 * The one exception is a log shared by the processes of one server (--stdio:
 * a process per connection): there the file may exist and is appended to, but
 * it must be a regular file, and a link is refused all the same.
 */
static int
open_log(FILE **f, const char *path, int shared, char *err, size_t errlen)
{
	*f = util_fopen_evidence(path, shared ? UTIL_EV_APPEND : UTIL_EV_NEW, err, errlen);
	return *f == NULL ? -1 : 0;
}

/* see srv.h */
int
srv_open_events(srv_server *s, const char *path, char *err, size_t errlen)
{
	return open_log(&s->events, path, s->shared_logs, err, errlen);
}

/* see srv.h */
int
srv_open_keylog(srv_server *s, const char *path, char *err, size_t errlen)
{
	return open_log(&s->keylog, path, s->shared_logs, err, errlen);
}

/* see srv.h */
const char *
srv_pk_name(srv_pk_impl pk)
{
	return pk == SRV_PK_BEARSSL ? "bearssl" : "libcrypto";
}

/* see srv.h */
int
srv_set_pk(srv_server *s, const char *name, char *err, size_t errlen)
{
	if (strcmp(name, "libcrypto") == 0)
		s->pk = SRV_PK_LIBCRYPTO;
	else if (strcmp(name, "bearssl") == 0)
		s->pk = SRV_PK_BEARSSL;
	else
		return util_err(err, errlen, "unknown private-key implementation \"%s\" "
			"(libcrypto or bearssl)", name);
	return 0;
}

/* see srv.h */
int
srv_prepare(srv_server *s, char *err, size_t errlen)
{
	const char *pk = getenv("ROTSIM_SERVE_PK");
	size_t i, j;

	if (pk != NULL && pk[0] != 0 && srv_set_pk(s, pk, err, errlen) != 0)
		return util_err(err, errlen, "ROTSIM_SERVE_PK: unknown private-key "
			"implementation \"%s\" (libcrypto or bearssl)", pk);
	if (s->ncreds == 0 || s->creds[0]->name != NULL)
		return util_err(err, errlen, "no default chain (--chain and --key)");
	for (i = 0; i < s->ncreds; i++) {
		srv_cred *c = s->creds[i];

		if (srv_faults_chain(s, c, err, errlen) != 0)
			return -1;
		c->hashes = xrealloc(c->hashes, (c->chain_len ? c->chain_len : 1)
			* sizeof *c->hashes);
		for (j = 0; j < c->chain_len; j++)
			util_sha256(c->hashes[j], c->chain[j].data, c->chain[j].data_len);
	}
	return srv_faults_manifest(s, err, errlen);
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
	unsigned long long port;
	char *end;
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
	errno = 0;
	port = strtoull(portstr, &end, 10);
	if (*portstr < '0' || *portstr > '9' || *end != 0 || errno != 0 || port > 65535)
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
		srv_ev_begin(s, &b, "listen", 0);
		buf_puts(&b, ",\"address\":");
		json_put_str(&b, bound);
		if (s->manifest != NULL && s->offered != NULL)
			buf_printf(&b, ",\"offered_version\":%lu",
				(unsigned long)s->offered->version);
		buf_printf(&b, ",\"protocol\":\"%s\"", srv_protocol_name(s->protocol));
		if (s->protocol != SRV_PROTO_ROTSIM && s->offered != NULL) {
			buf_puts(&b, ",\"image_path\":");
			json_put_str(&b, s->image_path);
			buf_printf(&b, ",\"image_size\":%zu", s->offered->len);
		}
		if (s->checkin_path != NULL && s->protocol == SRV_PROTO_FILES) {
			buf_puts(&b, ",\"checkin_path\":");
			json_put_str(&b, s->checkin_path);
		}
		if (s->protocol == SRV_PROTO_HAWKBIT)
			buf_printf(&b, ",\"tenant\":\"%s\",\"installed_version\":%ld",
				s->tenant, s->installed_version);
		buf_printf(&b, ",\"pk\":\"%s\"", srv_pk_name(s->pk));
		srv_ev_end(s, &b);
	}
	return 0;
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
		srv_remove_conn(s, s->nconns - 1);
	}
	free(s->conns);
	if (s->events != NULL) {
		buf_t b = {0};
		srv_ev_begin(s, &b, "stop", 0);
		buf_printf(&b, ",\"connections\":%llu,\"requests\":%llu,\"peak_open\":%zu"
			",\"accept_errors\":%llu,\"evictions\":%llu", (unsigned long long)s->stat_conns,
			(unsigned long long)s->stat_requests, s->peak_conns,
			(unsigned long long)s->stat_accept_errors,
			(unsigned long long)s->stat_evictions);
		buf_printf(&b, ",\"pk_ops\":{\"ecdhe_libcrypto\":%llu,\"ecdhe_bearssl\":%llu,"
			"\"sign_libcrypto\":%llu,\"sign_bearssl\":%llu,\"keyx_bearssl\":%llu}",
			(unsigned long long)s->stat_ecdhe_libcrypto,
			(unsigned long long)s->stat_ecdhe_bearssl,
			(unsigned long long)s->stat_sign_libcrypto,
			(unsigned long long)s->stat_sign_bearssl,
			(unsigned long long)s->stat_keyx_bearssl);
		srv_ev_end(s, &b);
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
		fault_clear(&s->faults[i].f);
	}
	free(s->faults);
	srv_tree_free(s);
	for (i = 0; i < s->nimages; i++) {
		free(s->images[i].name);
		free(s->images[i].data);
	}
	free(s->images);
	free(s->manifest);
	srv_pk_forget();
	memset(s, 0, sizeof *s);
	s->lfd = -1;
	s->extra_fd = -1;
}
