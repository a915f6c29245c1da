/*
 * The update server's event log (see srv.h and PROTOCOL.md) and the names it
 * uses: one JSON object per line, written and flushed as it happens.
 */
#include "common/json.h"
#include "common/tlsnames.h"
#include "server/srv_int.h"
#include "time/simtime.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- names ---- */

/* The suites offered, in this order: forward secrecy and AEAD first; static
 * RSA last, for old clients. Their names come from the one suite table
 * (common/tlsnames.h). */
static const uint16_t suites[] = {
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384,
	BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	BR_TLS_RSA_WITH_AES_128_GCM_SHA256, BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA256, BR_TLS_RSA_WITH_AES_256_CBC_SHA256,
	BR_TLS_RSA_WITH_AES_128_CBC_SHA, BR_TLS_RSA_WITH_AES_256_CBC_SHA,
};

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
	const char *name = tls_suite_name(suite);

	/* The events name suites without the "TLS_" every name starts with. */
	return name != NULL && strncmp(name, "TLS_", 4) == 0 ? name + 4 : name;
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

/* see srv_int.h */
const uint16_t *
srv_suites(size_t *n)
{
	*n = sizeof suites / sizeof suites[0];
	return suites;
}

/* ---- time ---- */

/* see srv_int.h */
int64_t
srv_mono_ms(void)
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

/* see srv_int.h */
void
srv_ev_begin(const srv_server *s, buf_t *b, const char *name, uint64_t conn)
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

/* see srv_int.h */
void
srv_ev_end(const srv_server *s, buf_t *b)
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

	srv_ev_begin(s, &b, name, 0);
	buf_puts(&b, fields);
	srv_ev_end(s, &b);
}

/* ---- connection events ---- */

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

/*
 * Who did the private-key operations of c's finished handshake, counted on
 * the server: "libcrypto" when libcrypto did them all, else "bearssl". The
 * suites the server offers are ECDHE (0xC0xx, 0xCCxx: an ECDHE key pair and
 * shared secret on the engine's EC implementation, and a signature) or static
 * RSA (a decryption, BearSSL's).
 */
static const char *
count_pk(srv_conn *c)
{
	srv_server *s = c->srv;
	br_ssl_engine_context *eng = &c->sc.eng;
	unsigned hi = eng->session.cipher_suite >> 8;
	int ec_lc, sign_lc;

	if (hi != 0xC0 && hi != 0xCC) {
		s->stat_keyx_bearssl++;
		return "bearssl";
	}
	ec_lc = br_ssl_engine_get_ec(eng) == &srv_pk_ec;
	sign_lc = c->pk_signed;
	if (ec_lc)
		s->stat_ecdhe_libcrypto++;
	else
		s->stat_ecdhe_bearssl++;
	if (sign_lc)
		s->stat_sign_libcrypto++;
	else
		s->stat_sign_bearssl++;
	return ec_lc && sign_lc ? "libcrypto" : "bearssl";
}

/* see srv_int.h */
void
srv_log_handshake(srv_conn *c, int ok)
{
	srv_server *s = c->srv;
	br_ssl_engine_context *eng = &c->sc.eng;
	const char *sni = br_ssl_engine_get_server_name(eng);
	buf_t b = {0};

	srv_ev_begin(s, &b, "handshake", c->id);
	buf_puts(&b, ",\"peer\":");
	json_put_str(&b, c->peer);
	buf_puts(&b, ",\"sni\":");
	json_put_str(&b, sni != NULL && sni[0] != 0 ? sni : NULL);
	if (c->cred != NULL) {
		buf_puts(&b, ",\"cred\":");
		json_put_str(&b, c->cred->name != NULL ? c->cred->name : "default");
	}
	json_chain(&b, c->cred);
	buf_printf(&b, ",\"result\":\"%s\"", ok ? "ok" : "failed");
	if (ok) {
		const char *v = srv_version_name(br_ssl_engine_get_version(eng));
		const char *cs = srv_suite_name(eng->session.cipher_suite);

		buf_puts(&b, ",\"version\":");
		json_put_str(&b, v);
		buf_printf(&b, ",\"cipher\":");
		json_put_str(&b, cs);
		buf_printf(&b, ",\"cipher_id\":%u", (unsigned)eng->session.cipher_suite);
		buf_printf(&b, ",\"pk\":\"%s\"", count_pk(c));
	} else {
		int e = br_ssl_engine_last_error(eng);

		if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) {
			int a = e - BR_ERR_RECV_FATAL_ALERT;
			buf_printf(&b, ",\"alert\":%d,\"alert_name\":", a);
			json_put_str(&b, srv_alert_name(a));
			buf_puts(&b, ",\"alert_from\":\"client\"");
		} else if (e >= BR_ERR_SEND_FATAL_ALERT) {
			int a = e - BR_ERR_SEND_FATAL_ALERT;
			buf_printf(&b, ",\"alert\":%d,\"alert_name\":", a);
			json_put_str(&b, srv_alert_name(a));
			buf_puts(&b, ",\"alert_from\":\"server\"");
		} else if (e != 0) {
			buf_printf(&b, ",\"error\":%d,\"error_name\":", e);
			json_put_str(&b, srv_error_name(e));
		}
		buf_puts(&b, ",\"reason\":");
		json_put_str(&b, c->end_reason != NULL ? c->end_reason
			: (e != 0 ? "tls error" : "closed by peer"));
	}
	buf_printf(&b, ",\"open\":%zu", s->nconns);
	srv_ev_end(s, &b);
	if (ok && s->keylog != NULL) {
		char cr[65], ms[97];

		fprintf(s->keylog, "CLIENT_RANDOM %s %s\n",
			util_hex(cr, eng->client_random, 32),
			util_hex(ms, eng->session.master_secret, 48));
		fflush(s->keylog);
	}
}

/* see srv_int.h */
void
srv_log_request(srv_conn *c, const char *outcome)
{
	srv_server *s = c->srv;
	buf_t b = {0};

	srv_ev_begin(s, &b, "request", c->id);
	buf_puts(&b, ",\"method\":");
	json_put_str(&b, c->method);
	buf_puts(&b, ",\"path\":");
	json_put_str(&b, c->target);
	if (c->range[0] != 0) {
		buf_puts(&b, ",\"range\":");
		json_put_str(&b, c->range);
	}
	buf_printf(&b, ",\"status\":%d,\"bytes\":%llu,\"body_size\":%llu",
		c->status, (unsigned long long)c->body_off,
		(unsigned long long)c->body_len);
	buf_puts(&b, ",\"outcome\":");
	json_put_str(&b, outcome);
	buf_puts(&b, ",\"faults\":[");
	if (c->faults.len > 0)
		buf_append(&b, c->faults.data, c->faults.len);
	buf_puts(&b, "]");
	if (c->log_image != NULL) {
		buf_puts(&b, ",\"image\":");
		json_put_str(&b, c->log_image->name);
	}
	if (c->log_size > 0 || c->log_image != NULL)
		buf_printf(&b, ",\"offset\":%llu,\"size\":%llu",
			(unsigned long long)c->log_offset, (unsigned long long)c->log_size);
	if (c->report != NULL) {
		buf_printf(&b, ",\"%s\":", c->report_key != NULL ? c->report_key : "report");
		json_put_strn(&b, c->report, c->report_len);
	}
	buf_puts(&b, c->feedback);
	srv_ev_end(s, &b);
	s->stat_requests++;
	c->faults.len = 0;
	free(c->report);
	c->report = NULL;
	c->feedback[0] = 0;
	c->log_image = NULL;
	c->log_size = 0;
}

