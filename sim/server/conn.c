/*
 * Connections of the update server: one non-blocking BearSSL engine each,
 * their deadlines, and the poll loop that drives them all.
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
 *
 * Hostile clients: every state of a connection has a deadline that only a step
 * of the protocol moves, never a byte of ciphertext: a client that trickles a
 * ClientHello, a TLS record or a request head a byte at a time is dropped
 * when its deadline passes, and so is one that never closes. The whole life of
 * a connection is bounded too, and a closing connection waits a bounded time
 * for the peer's close_notify. When a crowd holds every slot anyway, a
 * newcomer evicts the connection that has done least with its slot (see
 * evict_class), so a device is not left in the listen queue until a deadline.
 */
#include "common/json.h"
#include "server/srv_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the SNI policy ---- */

/*
 * Pick the credential for the client's SNI name (exact, case-insensitive
 * match; the default otherwise), install BearSSL's single-key policy for it in
 * the server context and let that policy choose the suite, the hash and the
 * chain. The engine reads the policy pointer afresh for the key exchange and
 * the signature: with libcrypto doing the private-key operations (srv_pk_impl),
 * the pointer comes back to this policy, whose do_sign signs on libcrypto;
 * with BearSSL alone it stays on BearSSL's policy.
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
	int r;

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
	r = (*sc->policy_vtable)->choose(sc->policy_vtable, cc, choices);
	if (p->srv->pk == SRV_PK_LIBCRYPTO)
		sc->policy_vtable = pctx;
	return r;
}

/* A static RSA key exchange (TLS_RSA_* suites, for old clients): BearSSL's
 * policy decrypts, with its constant-time padding check. */
static uint32_t
sni_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
	size_t *len)
{
	sni_policy *p = (sni_policy *)(void *)pctx;
	br_ssl_server_context *sc = &p->conn->sc;
	const br_ssl_server_policy_class **single = &sc->chain_handler.vtable;

	return (*single)->do_keyx(single, data, len);
}

/* The ServerKeyExchange signature, on libcrypto. */
static size_t
sni_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
	unsigned char *data, size_t hv_len, size_t len)
{
	sni_policy *p = (sni_policy *)(void *)pctx;
	size_t n;

	if (p->conn->cred == NULL)
		return 0;
	n = srv_pk_sign(p->conn->cred, algo_id, data, hv_len, len);
	p->conn->pk_signed = n > 0;
	return n;
}

static const br_ssl_server_policy_class sni_policy_vtable = {
	sizeof(sni_policy), sni_choose, sni_do_keyx, sni_do_sign
};

/* ---- connections ---- */

/*
 * BearSSL's full server profile (br_ssl_server_init_full_rsa) asks the CPU
 * which AES, GHASH, ChaCha20 and Poly1305 code it may use (cpuid) every time
 * it sets up a context. In a virtual machine each question traps to the
 * hypervisor, and the set-up of a connection cost about 25 us, a few percent
 * of a handshake. The answers never change: they are read once from a
 * context set up the full way, and each connection is then set up with the
 * same calls and those implementations (check_server holds the two set-ups
 * to the same bytes).
 */
static const br_ssl_engine_context *
full_profile(void)
{
	static br_ssl_server_context full;
	static int ready;

	if (!ready) {
		br_ssl_server_init_full_rsa(&full, NULL, 0, NULL);
		ready = 1;
	}
	return &full.eng;
}

/* see srv_int.h */
void
srv_engine_init(br_ssl_server_context *sc)
{
	static const br_hash_class *const hashes[] = {
		&br_md5_vtable, &br_sha1_vtable, &br_sha224_vtable,
		&br_sha256_vtable, &br_sha384_vtable, &br_sha512_vtable
	};
	const br_ssl_engine_context *f = full_profile();
	br_ssl_engine_context *eng = &sc->eng;
	int id;

	br_ssl_server_zero(sc);
	br_ssl_engine_set_versions(eng, BR_TLS10, BR_TLS12);
	for (id = br_md5_ID; id <= br_sha512_ID; id++)
		br_ssl_engine_set_hash(eng, id, hashes[id - br_md5_ID]);
	br_ssl_engine_set_prf10(eng, &br_tls10_prf);
	br_ssl_engine_set_prf_sha256(eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_prf_sha384(eng, &br_tls12_sha384_prf);
	br_ssl_engine_set_aes_cbc(eng, f->iaes_cbcenc, f->iaes_cbcdec);
	br_ssl_engine_set_cbc(eng, f->icbc_in, f->icbc_out);
	br_ssl_engine_set_aes_ctr(eng, f->iaes_ctr);
	br_ssl_engine_set_ghash(eng, f->ighash);
	br_ssl_engine_set_gcm(eng, f->igcm_in, f->igcm_out);
	br_ssl_engine_set_aes_ctrcbc(eng, f->iaes_ctrcbc);
	br_ssl_engine_set_ccm(eng, f->iccm_in, f->iccm_out);
	br_ssl_engine_set_des_cbc(eng, f->ides_cbcenc, f->ides_cbcdec);
	br_ssl_engine_set_chacha20(eng, f->ichacha);
	br_ssl_engine_set_poly1305(eng, f->ipoly);
	br_ssl_engine_set_chapol(eng, f->ichapol_in, f->ichapol_out);
	br_ssl_engine_set_ec(eng, f->iec);
}

/* see srv_int.h */
srv_conn *
srv_conn_new(srv_server *s, int rfd, int wfd, const char *peer)
{
	srv_conn *c = xcalloc(1, sizeof *c);
	br_ssl_engine_context *eng = &c->sc.eng;
	const uint16_t *suites;
	size_t nsuites;

	c->srv = s;
	c->id = s->next_id++;
	c->rfd = rfd;
	c->wfd = wfd;
	snprintf(c->peer, sizeof c->peer, "%s", peer);
	c->t_accept = c->t_idle = c->t_sent = srv_mono_ms();
	c->t_req = NOW_NEVER;
	c->stall_until = 0;
	c->ready = 1;
	/* The full server profile (all hashes, PRFs, ciphers, ECDHE), then our
	 * suite list for RSA and EC keys alike, and the SNI policy. */
	srv_engine_init(&c->sc);
	suites = srv_suites(&nsuites);
	br_ssl_engine_set_suites(eng, suites, nsuites);
	br_ssl_engine_add_flags(eng, BR_OPT_NO_RENEGOTIATION);
	if (s->pk == SRV_PK_LIBCRYPTO)
		br_ssl_engine_set_ec(eng, &srv_pk_ec);
	c->policy.vtable = &sni_policy_vtable;
	c->policy.srv = s;
	c->policy.conn = c;
	br_ssl_server_set_policy(&c->sc, &c->policy.vtable);
	br_ssl_engine_set_buffer(eng, c->iobuf, sizeof c->iobuf, 1);
	br_ssl_server_reset(&c->sc);
	s->stat_conns++;
	return c;
}

/* see srv_int.h */
void
srv_conn_free(srv_conn *c)
{
	srv_server *s = c->srv;
	buf_t b = {0};
	const char *reason = c->end_reason;

	if (!c->hs_done)
		srv_log_handshake(c, 0);
	if (c->resp_active)
		srv_log_request(c, "connection lost");
	if (reason == NULL)
		reason = c->peer_eof ? "closed by peer" : "closed";
	srv_ev_begin(s, &b, "close", c->id);
	buf_printf(&b, ",\"requests\":%u,\"bytes_in\":%llu,\"bytes_out\":%llu,"
		"\"reason\":", c->nreq, (unsigned long long)c->bytes_in,
		(unsigned long long)c->bytes_out);
	json_put_str(&b, reason);
	{
		int e = br_ssl_engine_last_error(&c->sc.eng);
		if (e != 0) {
			buf_printf(&b, ",\"error\":%d", e);
			if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) {
				buf_puts(&b, ",\"alert_name\":");
				json_put_str(&b, srv_alert_name(e - BR_ERR_RECV_FATAL_ALERT));
			}
		}
	}
	srv_ev_end(s, &b);
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	buf_free(&c->in);
	buf_free(&c->head);
	buf_free(&c->faults);
	buf_free(&c->dyn);
	free(c->report);
	util_wipe(&c->sc, sizeof c->sc);
	free(c);
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
	int64_t now = srv_mono_ms();

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
			c->t_idle = now;
			srv_log_handshake(c, 1);
		}
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(eng, &len);
			k = write(c->wfd, buf, len);
			if (k > 0) {
				br_ssl_engine_sendrec_ack(eng, (size_t)k);
				c->bytes_out += (uint64_t)k;
				c->t_sent = now;
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
			srv_next_request(c);
			if (c->resp_active && (st & BR_SSL_SENDAPP)
				&& srv_push_response(c, now))
				progress = 1;
		}
		if ((st & BR_SSL_RECVREC) && !c->peer_eof) {
			buf = br_ssl_engine_recvrec_buf(eng, &len);
			k = read(c->rfd, buf, len);
			if (k > 0) {
				br_ssl_engine_recvrec_ack(eng, (size_t)k);
				c->bytes_in += (uint64_t)k;
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

/* The earliest of the deadlines that apply to c now, and the reason that
 * ends it there. */
static int64_t
conn_next_deadline(const srv_conn *c, const char **why)
{
	const srv_server *s = c->srv;
	int64_t d, life = c->t_accept + s->lifetime_ms + c->stalled_ms;

	if (c->stall_until != 0) {
		/* A stall fault runs: its time does not count against the
		 * connection, and its end is the next thing to do. */
		*why = NULL;
		return c->stall_until;
	}
	if (c->closing || c->cutting) {
		*why = "timeout: linger (no close_notify from the peer)";
		d = c->t_close + s->linger_ms;
	} else if (!c->hs_done) {
		*why = "timeout: handshake";
		d = c->t_accept + s->handshake_ms;
	} else if (c->resp_active) {
		*why = "timeout: client not reading";
		d = c->t_sent + s->idle_ms;
	} else if (c->in.len > 0 && c->t_req != NOW_NEVER) {
		*why = "timeout: half request";
		d = c->t_req + s->request_ms;
	} else {
		*why = "timeout: idle";
		d = c->t_idle + s->idle_ms;
	}
	if (life < d && !c->closing && !c->cutting) {
		*why = "timeout: connection lifetime";
		d = life;
	}
	return d;
}

/*
 * When this connection next needs attention without I/O (a deadline or the
 * end of a stall), in monotonic ms. Ends it (-1) when a deadline has passed;
 * a half request is answered 408 first (then the connection closes, with a
 * bounded linger).
 */
static int
conn_deadline(srv_conn *c, int64_t now, int64_t *when)
{
	const char *why;
	int64_t d = conn_next_deadline(c, &why);

	if (now < d || why == NULL) {
		*when = d;
		return 0;
	}
	if (strcmp(why, "timeout: half request") == 0) {
		snprintf(c->method, sizeof c->method, "%s", "");
		snprintf(c->target, sizeof c->target, "%s", "");
		c->range[0] = 0;
		c->close_after = 1;
		c->nreq++;
		srv_respond_text(c, 408, NULL);
		c->in.len = 0;
		c->t_req = NOW_NEVER;
		c->end_reason = "timeout: half request";
		*when = now;
		return 0;
	}
	/* A reason given before (a fault's cut, a 408) stays the reason. */
	if (c->end_reason == NULL)
		c->end_reason = why;
	return -1;
}

static void
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* see srv_int.h */
void
srv_remove_conn(srv_server *s, size_t i)
{
	srv_conn_free(s->conns[i]);
	s->conns[i] = s->conns[--s->nconns];
}

/* ---- eviction ---- */

/*
 * When every slot is taken and a client waits in the listen queue, one
 * connection makes room for it, chosen by what it has done for its slot. The
 * classes go in this order, the oldest first within a class:
 *
 *   0  "closing": the server has said its last word and everything has left;
 *      only the courtesy wait for the peer's close_notify remains.
 *   1  "no ClientHello": not a whole ClientHello yet. An honest client sends
 *      its ClientHello in one piece as soon as it is connected, so by the time
 *      the server accepts it, it is there; a connection without one is slow or
 *      hostile, and dropping it costs nobody any work.
 *   2  "idle" or "half request": a finished handshake but no complete request
 *      waiting (keep-alive between requests, or a request head that has not
 *      ended). HTTP lets a server close an idle keep-alive connection at any
 *      time (clients retry on a fresh one), and an honest client sends a
 *      request head in one piece.
 *   3  "handshake": the ClientHello answered, the client's reply not yet in:
 *      an honest client is here for one round trip, so this class goes last.
 *
 * A connection that is being answered (a response in flight, a stall fault, a
 * closing one with bytes still to leave) is never evicted: that is a device
 * getting its update. Nor is one that entered its state less than
 * evict_grace_ms ago (1 s): a crowd that keeps the listen queue full would
 * otherwise evict a client it has just let in before that client is given
 * the CPU to take its next step, since the crowd's own connections sit in the
 * later classes. With the grace a newcomer has its second to send a
 * ClientHello or a request, the crowd turns over at most max_conns
 * connections per grace period, and the crowd only evicts its own.
 * Without this, a full server leaves new clients in the listen queue until a
 * deadline frees a slot, and with 10 s deadlines a crowd that reconnects at
 * once keeps a device out for minutes.
 */
static int
evict_class(const srv_conn *c, int64_t *since, const char **state)
{
	unsigned st = br_ssl_engine_current_state(&c->sc.eng);

	if (c->resp_active || c->stall_until != 0)
		return -1;
	if (c->closing || c->cutting) {
		if (st & BR_SSL_SENDREC)
			return -1;
		*since = c->t_close;
		*state = "closing";
		return 0;
	}
	if (!c->hs_done) {
		*since = c->t_accept;
		*state = c->bytes_out == 0 ? "no ClientHello" : "handshake";
		return c->bytes_out == 0 ? 1 : 3;
	}
	if (c->in.len > 0 && c->t_req != NOW_NEVER) {
		*since = c->t_req;
		*state = "half request";
		return 2;
	}
	*since = c->t_idle;
	*state = "idle";
	return 2;
}

/* The connection to evict for a newcomer now (its index), or -1 when none
 * may go; then *when (if not NULL) is when one may, or NOW_NEVER. */
static long
evict_pick(const srv_server *s, int64_t now, int64_t *when)
{
	long best = -1;
	int best_class = 4;
	int64_t best_since = NOW_NEVER, soonest = NOW_NEVER;
	size_t i;

	for (i = 0; i < s->nconns; i++) {
		const char *state;
		int64_t since;
		int k = evict_class(s->conns[i], &since, &state);

		if (k < 0)
			continue;
		if (now - since < s->evict_grace_ms) {
			if (since + s->evict_grace_ms < soonest)
				soonest = since + s->evict_grace_ms;
			continue;
		}
		if (k > best_class || (k == best_class && since >= best_since))
			continue;
		best = (long)i;
		best_class = k;
		best_since = since;
	}
	if (when != NULL)
		*when = best >= 0 ? now : soonest;
	return best;
}

/* Evict connection i for the connection newcomer, with an event. */
static void
evict(srv_server *s, size_t i, uint64_t newcomer, int64_t now)
{
	srv_conn *c = s->conns[i];
	const char *state = "";
	int64_t since = now;
	buf_t b = {0};

	evict_class(c, &since, &state);
	srv_ev_begin(s, &b, "evict", c->id);
	buf_puts(&b, ",\"peer\":");
	json_put_str(&b, c->peer);
	buf_puts(&b, ",\"state\":");
	json_put_str(&b, state);
	buf_printf(&b, ",\"age_ms\":%lld,\"in_state_ms\":%lld,\"requests\":%u,"
		"\"open\":%zu,\"for_conn\":%llu", (long long)(now - c->t_accept),
		(long long)(now - since), c->nreq, s->nconns,
		(unsigned long long)newcomer);
	srv_ev_end(s, &b);
	s->stat_evictions++;
	/* The reason of a 408 or a fault's cut stays: the eviction only ends
	 * the wait that followed it. */
	if (c->end_reason == NULL)
		c->end_reason = "evicted: slots full";
	srv_remove_conn(s, i);
}

/*
 * Accept what is waiting, up to max_conns; beyond it, each newcomer evicts a
 * connection (see evict_class), or waits in the listen queue when none may go.
 * When the process or the system is out of descriptors (EMFILE, ENFILE) or
 * memory, accept4 would fail again at once for as long as the condition
 * lasts: the listener rests instead, 50 ms at first and twice as long each
 * time after (at most 2 s), and an event says so once per episode.
 */
static void
accept_some(srv_server *s, int64_t now)
{
	int k;

	for (k = 0; k < 64; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		char host[INET6_ADDRSTRLEN], peer[80];
		int fd, one = 1;
		uint16_t port = 0;
		long victim = -1;
		srv_conn *nc;

		/* Full: a newcomer takes the slot of the connection that has
		 * done least with its own, if one may go; else it waits in the
		 * listen queue. */
		if (s->nconns >= s->max_conns && (victim = evict_pick(s, now, NULL)) < 0)
			return;
		fd = accept4(s->lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS
				|| errno == ENOMEM)
			{
				char f[96];

				s->stat_accept_errors++;
				if (s->accept_backoff_ms == 0) {
					snprintf(f, sizeof f, ",\"error\":\"%s\",\"open\":%zu",
						strerror(errno), s->nconns);
					srv_event(s, "accept-paused", f);
				}
				s->accept_backoff_ms = s->accept_backoff_ms == 0 ? 50
					: s->accept_backoff_ms * 2;
				if (s->accept_backoff_ms > 2000)
					s->accept_backoff_ms = 2000;
				s->accept_pause_until = now + s->accept_backoff_ms;
			}
			return;
		}
		s->accept_backoff_ms = 0;
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
		nc = srv_conn_new(s, fd, fd, peer);
		if (victim >= 0)
			evict(s, (size_t)victim, nc->id, now);
		s->conns = xrealloc(s->conns, (s->nconns + 1) * sizeof *s->conns);
		s->conns[s->nconns++] = nc;
		if (s->nconns > s->peak_conns)
			s->peak_conns = s->nconns;
	}
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
		long lslot = -1;
		int64_t now = srv_mono_ms(), next = NOW_NEVER;
		struct timespec ts, *tsp = NULL;
		int r;

		if (until_empty && s->nconns == 0)
			break;
		if (cap < s->nconns + 2) {
			cap = s->nconns + 64;
			pfd = xrealloc(pfd, cap * sizeof *pfd);
		}
		/* The listener's place; whether it is polled is decided after the
		 * connections have moved (a slot may have freed up, or a
		 * connection may have become one that can be evicted). */
		if (s->lfd >= 0) {
			lslot = n;
			pfd[n].fd = -1;
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
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
					srv_remove_conn(s, i);
					continue;
				}
				c->ready = 0;
			}
			if (conn_deadline(c, now, &when) != 0) {
				srv_remove_conn(s, i);
				continue;
			}
			if (when <= now) {
				/* The deadline produced work (a 408, a stall's end). */
				if (conn_pump(c, &ev) != 0
					|| conn_deadline(c, now, &when) != 0)
				{
					srv_remove_conn(s, i);
					continue;
				}
				/* Still due (a stall's end waiting for the client
				 * to read): poll will say when it can go on. */
				if (when <= now)
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
		if (lslot >= 0) {
			int64_t room = now;

			if (s->nconns >= s->max_conns)
				evict_pick(s, now, &room);
			if (room < s->accept_pause_until)
				room = s->accept_pause_until;
			if (room <= now)
				pfd[lslot].fd = s->lfd;
			else if (room < next)
				next = room;
		}
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
				accept_some(s, srv_mono_ms());
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
	s->conns[s->nconns++] = srv_conn_new(s, rfd, wfd, peer);
	s->peak_conns = 1;
	return event_loop(s, stop, sigmask, 1, err, errlen);
}

/* see srv.h */
