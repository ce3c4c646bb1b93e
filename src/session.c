/*
 * session.c — rivd's NETCONF client sessions to attesters, owned by the one
 * event loop: TCP and TLS (libevent bufferevents over OpenSSL, mutual X.509
 * authentication, the attester's name checked), RFC 6242 framing with
 * bounded buffers (framing.c), rivd's own hello and capability check, a
 * connect deadline and a per-message deadline, and reconnection with
 * exponential backoff and jitter.  A slow, silent or hostile attester costs
 * only its own session: nothing here blocks.  TLS reads ahead: one read(2)
 * takes every record that arrived (see session_read_buffered).
 *
 * Back-pressure from the store: when its queue reaches the high-water
 * mark, every session stops reading (the bytes wait in the kernel, and TCP
 * flow control holds the attesters back; over SSH the link stops reading
 * the channel once rivd's end is full) and holds the deadlines that judge
 * the attester on what it sends, since rivd, not the attester, is late:
 * heartbeats, probes, the message deadline and RPC replies.  Timers of
 * rivd's own (reconnection, re-seeding, call home) and management go on.
 * When the writer drained the queue to the low-water mark it wakes the
 * loop through a pipe; every session reads again and its held deadlines
 * start afresh, a whole interval from then.
 *
 * libnetconf2's client is not used on this path: it blocks inside a
 * message, and connects with extra round trips (notes/libnetconf2.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <event2/dns.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <libyang/libyang.h>

#include "framing.h"
#include "rivd.h"

#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		300000
#define READ_HIGH_WATER		(256 * 1024)
#define READ_BUDGET		16	/* messages per read callback */
#define CAP_BASE11		"urn:ietf:params:netconf:base:1.1"
#define CAP_BASE10		"urn:ietf:params:netconf:base:1.0"
#define CALLHOME_WAIT_S		60	/* for an attester to call home */
#define LINGER_S		5	/* to send the last bytes at a stop */
#define HOLD_TICK_S		1	/* while paused: hold what came up */
#define HELD_REPLY_S		30	/* an RPC's reply deadline, restarted
					   (subscription.c's REPLY_S) */

static struct evdns_base *session_dns;

/* One SSL_CTX per distinct (certificate, key, CA). */
struct tls_ctx {
	char		*cert, *key, *ca;
	SSL_CTX		*ctx;
	struct tls_ctx	*next;
};
static struct tls_ctx *tls_ctxs;

/* Reading paused for the store (back-pressure). */
static int		 paused;
static struct timespec	 paused_at;
static int64_t		 paused_ms;	/* paused in all, before paused_at */
static struct event	*drain_ev;	/* the writer's wake-up */
static struct event	*hold_ev;	/* every HOLD_TICK_S while paused */
static int		 drain_pipe[2] = { -1, -1 };

static void session_read_cb(struct bufferevent *, void *);
static void session_read_buffered(struct bufferevent *);
static void session_event_cb(struct bufferevent *, short, void *);
static void session_retry_cb(evutil_socket_t, short, void *);
static void session_deadline_cb(evutil_socket_t, short, void *);
static void session_probe_cb(evutil_socket_t, short, void *);
static void session_drain_cb(evutil_socket_t, short, void *);
static void session_hold_cb(evutil_socket_t, short, void *);
static void session_deadline(struct attester *, int);
static void session_wire(struct attester *);
static int session_hello(struct attester *);

/* OpenSSL's reason for error e, never NULL. */
const char *
tls_error(unsigned long e)
{
	const char *r = ERR_reason_error_string(e);

	return r != NULL ? r : "unknown TLS error";
}

/*
 * The store's queue drained to its low-water mark (writer thread, store
 * lock held): wake the loop.  A byte already waiting in the pipe will do.
 */
static void
session_store_drained(void *arg)
{
	ssize_t n;

	(void)arg;
	n = write(drain_pipe[1], "", 1);
	(void)n;
}

/*
 * Set up what every session shares (DNS, the store's wake-up).  Return 0
 * or -1.
 */
int
session_init(struct riv_err *err)
{
	if ((session_dns = evdns_base_new(rivd.base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (session_dns = evdns_base_new(rivd.base, 0)) == NULL)
		return err_set(err, -1, "cannot start the DNS resolver");
	if (pipe(drain_pipe) != 0 ||
	    fcntl(drain_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(drain_pipe[1], F_SETFL, O_NONBLOCK) != 0)
		return err_set(err, -1, "pipe: %s", strerror(errno));
	if ((drain_ev = event_new(rivd.base, drain_pipe[0], EV_READ |
	    EV_PERSIST, session_drain_cb, NULL)) == NULL ||
	    (hold_ev = evtimer_new(rivd.base, session_hold_cb, NULL)) ==
	    NULL || event_add(drain_ev, NULL) != 0)
		return err_set(err, -1, "out of memory");
	if (store_set_watermarks(rivd.store, 0, 0, session_store_drained,
	    NULL) != 0)
		return err_set(err, -1, "cannot watch the store's queue");
	return 0;
}

/*
 * Stop reading the session of a, which is up, and hold the deadlines that
 * judge the attester on what it sends (see the top of the file).  Done
 * again on every HOLD_TICK_S: an RPC sent meanwhile arms its reply
 * deadline anew.
 */
static void
session_hold(struct attester *a)
{
	struct subscription *s;
	size_t k;

	bufferevent_disable(a->bev, EV_READ);
	session_deadline(a, 0);
	if (a->probe_ev != NULL)
		evtimer_del(a->probe_ev);
	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		if (s->heartbeat_ev != NULL)
			evtimer_del(s->heartbeat_ev);
		if (s->reply_ev != NULL)
			evtimer_del(s->reply_ev);
	}
}

/*
 * Read the session of a again and start its held deadlines afresh: a
 * whole heartbeat (and a quarter) for every subscription that has one,
 * the reply deadline of a pending RPC, the probe's and the message's.
 * What waits in the input buffer is taken on the next pass.
 */
static void
session_release(struct attester *a)
{
	struct timeval reply = { HELD_REPLY_S, 0 };
	struct timeval probe = { rivd.conf->message_timeout, 0 };
	struct subscription *s;
	size_t k;

	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		if (s->conf == NULL)
			continue;
		if (s->state == SUB_ACTIVE || s->state == SUB_MODIFYING)
			sub_arm_heartbeat(s);
		if (s->rpc_id != 0 && s->reply_ev != NULL)
			evtimer_add(s->reply_ev, &reply);
	}
	if (a->probe_id != 0 && a->probe_ev != NULL)
		evtimer_add(a->probe_ev, &probe);
	if (framer_partial(a->framer))
		session_deadline(a, rivd.conf->message_timeout);
	bufferevent_enable(a->bev, EV_READ);
	if (evbuffer_get_length(bufferevent_get_input(a->bev)) > 0)
		bufferevent_trigger(a->bev, EV_READ,
		    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
	session_read_buffered(a->bev);
}

/* Hold every session that is up (reading paused). */
static void
session_hold_all(void)
{
	struct timeval tv = { HOLD_TICK_S, 0 };
	size_t i;

	for (i = 0; i < rivd.nattesters; i++)
		if (rivd.attesters[i]->bev != NULL &&
		    rivd.attesters[i]->state == ATT_UP)
			session_hold(rivd.attesters[i]);
	evtimer_add(hold_ev, &tv);
}

/* The store's queue reached its high-water mark: stop reading. */
static void
session_pause(void)
{
	struct store_stats st;

	store_get_stats(rivd.store, &st);
	paused = 1;
	clock_gettime(CLOCK_MONOTONIC, &paused_at);
	log_warnx("store: %zu records queued (high-water mark %zu): reading "
	    "from attesters paused%s%s", st.queued, st.high_water,
	    st.retrying ? "; the writer retries: " : "",
	    st.retrying ? st.last_error : "");
	session_hold_all();
}

/* The store's queue drained to its low-water mark: read again. */
static void
session_resume(void)
{
	struct store_stats st;
	struct timespec now;
	size_t i;

	store_get_stats(rivd.store, &st);
	clock_gettime(CLOCK_MONOTONIC, &now);
	paused = 0;
	paused_ms += ms_between(paused_at, now);
	evtimer_del(hold_ev);
	log_info("store: %zu records queued (low-water mark %zu): reading from "
	    "attesters resumed after %.1f s", st.queued, st.low_water,
	    ms_between(paused_at, now) / 1000.0);
	for (i = 0; i < rivd.nattesters; i++)
		if (rivd.attesters[i]->bev != NULL &&
		    rivd.attesters[i]->state == ATT_UP)
			session_release(rivd.attesters[i]);
}

/*
 * How long, in all, reading was paused for the store (milliseconds, up to
 * now): the TPM clock rule does not count it against an attester.
 */
int64_t
session_paused_ms(void)
{
	struct timespec now;

	if (!paused)
		return paused_ms;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return paused_ms + ms_between(paused_at, now);
}

/*
 * Whether reading is paused for the store: pause now if its queue
 * reached the high-water mark.  Never waits.
 */
int
session_store_check(void)
{
	if (!paused && hold_ev != NULL && store_full(rivd.store))
		session_pause();
	return paused;
}

/* The writer woke the loop: read again unless the queue filled since. */
static void
session_drain_cb(evutil_socket_t fd, short what, void *arg)
{
	char buf[64];

	(void)what; (void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (paused && !store_full(rivd.store))
		session_resume();
}

/*
 * While paused: hold the sessions that came up and the deadlines armed
 * since; resume if a wake-up was missed.
 */
static void
session_hold_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (!paused)
		return;
	if (!store_full(rivd.store))
		session_resume();
	else
		session_hold_all();
}

/* Return the TLS context for an attester's credentials, made once. */
static SSL_CTX *
tls_ctx_get(const struct conf_attester *c, struct riv_err *err)
{
	struct tls_ctx *t;

	for (t = tls_ctxs; t != NULL; t = t->next)
		if (strcmp(t->cert, c->tls_cert) == 0 &&
		    strcmp(t->key, c->tls_key) == 0 &&
		    strcmp(t->ca, c->tls_ca) == 0)
			return t->ctx;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		goto fail;
	if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(t->ctx, c->tls_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t->ctx, c->tls_key,
	    SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(t->ctx, c->tls_ca, NULL) != 1) {
		err_set(err, -1, "cannot load TLS files %s, %s, %s: %s",
		    c->tls_cert, c->tls_key, c->tls_ca,
		    tls_error(ERR_get_error()));
		SSL_CTX_free(t->ctx);
		free(t);
		return NULL;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, NULL);
	/* Idle sessions give their record buffers back (about 30 KB). */
	SSL_CTX_set_mode(t->ctx, SSL_MODE_RELEASE_BUFFERS);
	t->cert = strdup(c->tls_cert);
	t->key = strdup(c->tls_key);
	t->ca = strdup(c->tls_ca);
	t->next = tls_ctxs;
	tls_ctxs = t;
	return t->ctx;
fail:
	free(t);
	err_set(err, -1, "out of memory");
	return NULL;
}

/* Arm (seconds > 0) or disarm the session's deadline. */
static void
session_deadline(struct attester *a, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (seconds > 0)
		evtimer_add(a->deadline_ev, &tv);
	else
		evtimer_del(a->deadline_ev);
}

/* Plan the next connection attempt after the backoff (with jitter). */
static void
session_plan_retry(struct attester *a)
{
	struct timeval tv;
	uint32_t jitter = 0, ms;

	RAND_bytes((unsigned char *)&jitter, sizeof(jitter));
	ms = a->backoff_ms + jitter % (a->backoff_ms / 2 + 1);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(a->retry_ev, &tv);
	a->backoff_ms = a->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS :
	    a->backoff_ms * 2;
}

/* Free the connection of a and what belongs to it. */
static void
session_drop(struct attester *a)
{
	bufferevent_free(a->bev);
	a->bev = NULL;
	ssh_close(a);
	framer_free(a->framer);
	free(a->framer);
	a->framer = NULL;
	session_deadline(a, 0);
	if (a->probe_ev != NULL)
		evtimer_del(a->probe_ev);
	a->probe_id = 0;
}

/*
 * Close the session of a (reason for the log), forget its subscriptions'
 * session state and plan a reconnection.
 */
void
session_close(struct attester *a, const char *reason)
{
	if (a->bev == NULL)
		return;
	log_info("attester %s: session closed: %s (reconnect in about %u s)",
	    a->name, reason, a->backoff_ms / 1000);
	snprintf(a->last_error, sizeof(a->last_error), "%s", reason);
	store_note_attester(rivd.store, a->name, "disconnected", reason);
	session_drop(a);
	a->state = ATT_IDLE;
	a->via_callhome = 0;
	sub_session_down(a);
	a->reconnects++;
	session_plan_retry(a);
}

/*
 * The configured subscriptions of a (delivery call-home) are written:
 * close the session that wrote them and wait for the attester to call
 * home.  If it does not within CALLHOME_WAIT_S, connect and write them
 * again.
 */
void
session_await_callhome(struct attester *a)
{
	struct timeval tv = { CALLHOME_WAIT_S, 0 };

	if (a->bev == NULL)
		return;
	log_info("attester %s: subscriptions configured; waiting for it to "
	    "call home", a->name);
	store_note_attester(rivd.store, a->name, "awaiting call home", "");
	session_drop(a);
	a->state = ATT_AWAIT;
	evtimer_add(a->retry_ev, &tv);
}

/*
 * Take bev, a TLS connection the attester a opened to rivd's call-home
 * listener (RFC 8071; handshake done, the attester's certificate
 * checked), as a's session: NETCONF starts with the hellos.  0, or -1
 * (bev is not taken) if a does not wait for a call.
 */
int
session_adopt(struct attester *a, struct bufferevent *bev)
{
	if (a->state != ATT_AWAIT || a->bev != NULL ||
	    (a->framer = calloc(1, sizeof(*a->framer))) == NULL)
		return -1;
	evtimer_del(a->retry_ev);
	framer_init(a->framer, rivd.conf->max_message);
	a->chunked = 0;
	a->via_callhome = 1;
	a->bev = bev;
	session_wire(a);
	a->state = ATT_HELLO;
	log_info("attester %s: called home", a->name);
	if (session_hello(a) != 0)
		session_close(a, "cannot send hello");
	return 0;
}

/* Send raw bytes of a message with the session's framing. */
static int
session_write(struct attester *a, const char *msg, size_t len)
{
	struct evbuffer *out = bufferevent_get_output(a->bev);
	char hdr[32];
	size_t n;

	if (a->chunked) {
		n = framer_chunk_header(hdr, sizeof(hdr), len);
		if (evbuffer_add(out, hdr, n) != 0 ||
		    evbuffer_add(out, msg, len) != 0 ||
		    evbuffer_add(out, "\n##\n", 4) != 0)
			return -1;
		return 0;
	}
	if (evbuffer_add(out, msg, len) != 0 ||
	    evbuffer_add(out, "]]>]]>", 6) != 0)
		return -1;
	return 0;
}

/*
 * Send an RPC (the XML of the operation, without <rpc>); its message-id
 * in *msgid.  Return 0 or -1.
 */
int
session_send_rpc(struct attester *a, const char *op, uint32_t *msgid)
{
	size_t cap = strlen(op) + 128;
	char *msg;
	int n, rc;

	if (a->bev == NULL || a->state != ATT_UP ||
	    (msg = malloc(cap)) == NULL)
		return -1;
	*msgid = ++a->next_msgid;
	n = snprintf(msg, cap, "<rpc xmlns=\"urn:ietf:params:xml:ns:netconf:"
	    "base:1.0\" message-id=\"%u\">%s</rpc>", *msgid, op);
	rc = n > 0 && (size_t)n < cap ? session_write(a, msg, (size_t)n) : -1;
	free(msg);
	return rc;
}

/* Send rivd's hello. */
static int
session_hello(struct attester *a)
{
	static const char hello[] =
	    "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
	    "<capabilities>"
	    "<capability>urn:ietf:params:netconf:base:1.0</capability>"
	    "<capability>urn:ietf:params:netconf:base:1.1</capability>"
	    "</capabilities></hello>";

	return session_write(a, hello, sizeof(hello) - 1);
}

/*
 * Take the attester's hello: one <hello> of the NETCONF base namespace
 * (parsed by message_parse), whose <capabilities> must offer base:1.0 or
 * base:1.1 (a <capability> whose text, trimmed, is the URI); base:1.1
 * switches both directions to chunked framing.  Whether the attester
 * serves riv-attestation-streams shows in the establish-subscription
 * replies: YANG 1.1 modules are announced by the YANG library, not in the
 * hello (RFC 7950, 5.6.4), and rivd loads every module locally.
 */
static int
session_take_hello(struct attester *a, const char *msg)
{
	const struct lyd_node *c;
	struct lyd_node *t;
	char why[256], uri[256];
	int base10 = 0, base11 = 0;

	if ((t = message_parse(msg, "hello", why, sizeof(why))) == NULL) {
		log_debug("attester %s: hello: %s", a->name, why);
		session_close(a, "the first message is not a hello");
		return -1;
	}
	LY_LIST_FOR(lyd_child(message_child(t, NETCONF_NS, "capabilities")),
	    c)
		if (message_is(c, NETCONF_NS, "capability") &&
		    message_value(c, uri, sizeof(uri)) != NULL) {
			base10 |= strcmp(uri, CAP_BASE10) == 0;
			base11 |= strcmp(uri, CAP_BASE11) == 0;
		}
	lyd_free_all(t);
	if (!base10 && !base11) {
		session_close(a, "the attester's hello offers neither "
		    "base:1.0 nor base:1.1");
		return -1;
	}
	if (base11) {
		a->chunked = 1;
		framer_set_chunked(a->framer);
	}
	a->state = ATT_UP;
	a->backoff_ms = BACKOFF_MIN_MS;
	session_deadline(a, 0);
	log_info("attester %s: session up (%s framing)", a->name,
	    a->chunked ? "chunked" : "end-of-message");
	store_note_attester(rivd.store, a->name, "connected",
	    a->via_callhome ? "call home" : "");
	if (a->via_callhome)
		sub_callhome_up(a);
	else
		sub_establish_all(a);
	return 0;
}

/* Handle one complete message from a session (the hello, or the rest). */
static void
session_take_message(struct attester *a, const char *msg, size_t len,
    int64_t received)
{
	if (a->state == ATT_HELLO) {
		session_take_hello(a, msg);
		return;
	}
	if (a->probe_ev != NULL)
		evtimer_del(a->probe_ev);	/* any message: it lives */
	message_take(a, msg, len, received);
}

/*
 * TLS sessions read ahead (SSL_set_read_ahead: one read(2) takes as many
 * records as have arrived, not a header and a body per record), so OpenSSL
 * may hold whole records the socket no longer signals: have libevent's TLS
 * reader run again while it holds any.  Called after each read callback,
 * on resuming and on wiring; a no-op for SSH or with reading disabled.
 */
static void
session_read_buffered(struct bufferevent *bev)
{
	SSL *ssl;

	if (bev != NULL && (ssl = bufferevent_openssl_get_ssl(bev)) != NULL &&
	    SSL_has_pending(ssl) && (bufferevent_get_enabled(bev) & EV_READ))
		event_active(&bev->ev_read, EV_READ, 1);
}

/*
 * Frame what arrived and handle the complete messages, at most budget of
 * them (0: all) before the other sessions get their turn.
 */
static void
session_take_input(struct attester *a, struct bufferevent *bev, int budget)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	struct riv_err err;
	const uint8_t *m;
	struct timespec now;
	size_t used, len;
	int r, delivered = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	while (a->bev != NULL && evbuffer_peek(in, -1, NULL, &v, 1) > 0 &&
	    v.iov_len > 0) {
		if (budget > 0 && a->state == ATT_UP &&
		    session_store_check()) {
			/* The store is full: the rest waits (in the kernel). */
			session_hold(a);
			return;
		}
		if (budget > 0 && delivered == budget) {
			/* Fairness: the others' turn; the rest comes later. */
			bufferevent_trigger(bev, EV_READ,
			    BEV_TRIG_IGNORE_WATERMARKS |
			    BEV_TRIG_DEFER_CALLBACKS);
			break;
		}
		if (!framer_partial(a->framer))
			a->msg_start = now;	/* a message begins here */
		r = framer_feed(a->framer, v.iov_base, v.iov_len, &used, &err);
		evbuffer_drain(in, used);
		if (r < 0) {
			sub_malformed(a, err.msg, 0, now_us());
			session_close(a, err.msg);
			return;
		}
		if (r == 0)
			continue;
		m = framer_message(a->framer, &len);
		delivered++;	/* the next message gets its own deadline */
		a->read_at = a->msg_start;	/* the quote's arrival */
		session_take_message(a, (const char *)m, len, now_us());
		if (a->framer != NULL)
			framer_next(a->framer);
	}
	/* A peer in the middle of a message has message-timeout seconds to
	 * finish it; between messages it may be silent (heartbeats watch
	 * that).  While paused, session_release arms it. */
	if (a->bev == NULL || a->state != ATT_UP || paused)
		return;
	if (!framer_partial(a->framer))
		session_deadline(a, 0);
	else if (delivered || !evtimer_pending(a->deadline_ev, NULL))
		session_deadline(a, rivd.conf->message_timeout);
}

/* Bytes arrived: take them, READ_BUDGET messages at a time. */
static void
session_read_cb(struct bufferevent *bev, void *arg)
{
	struct attester *a = arg;

	session_take_input(a, bev, READ_BUDGET);
	if (a->bev == bev)
		session_read_buffered(bev);
}

/* Connected, closed, or failed. */
static void
session_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct attester *a = arg;
	char reason[RIV_ERR_MAX];
	unsigned long e;

	if (what & BEV_EVENT_CONNECTED) {
		a->state = ATT_HELLO;
		if (session_hello(a) != 0)
			session_close(a, "cannot send hello");
		else	/* the attester's hello may have come with the
			 * handshake's last read (TLS 1.2) */
			session_read_buffered(bev);
		return;
	}
	/* What arrived before the end is appraised first. */
	if (a->state == ATT_UP)
		session_take_input(a, bev, 0);
	if (a->bev == NULL)
		return;		/* closed while taking it */
	if (a->ssh != NULL && ssh_error(a) != NULL)
		snprintf(reason, sizeof(reason), "SSH: %s", ssh_error(a));
	else if (what & BEV_EVENT_EOF)
		snprintf(reason, sizeof(reason), "closed by the attester");
	else if ((e = bufferevent_get_openssl_error(a->bev)) != 0)
		snprintf(reason, sizeof(reason), "TLS: %s", tls_error(e));
	else if (what & BEV_EVENT_ERROR)
		snprintf(reason, sizeof(reason), "%s", evutil_socket_error_to_string(
		    EVUTIL_SOCKET_ERROR()));
	else
		snprintf(reason, sizeof(reason), "event 0x%x", what);
	session_close(a, reason);
}

/* The connect or message deadline passed. */
static void
session_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct attester *a = arg;

	(void)fd; (void)what;
	if (a->state == ATT_UP)
		sub_malformed(a, "message deadline passed: the attester stalled "
		    "inside a message", 0, now_us());
	session_close(a, a->state == ATT_UP ? "message deadline passed: the "
	    "attester stalled inside a message" : "connect deadline passed");
}

/*
 * Ask the attester for a sign of life after a missed heartbeat: an RPC any
 * NETCONF server answers (a reply or an rpc-error will do).  If no message
 * comes within message-timeout, the session is dead: close it (and
 * reconnect).
 */
void
session_probe(struct attester *a)
{
	static const char probe[] = "<get-config><source><running/>"
	    "</source><filter type=\"subtree\"><subscriptions xmlns=\""
	    "urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications\"/>"
	    "</filter></get-config>";
	struct timeval tv = { rivd.conf->message_timeout, 0 };

	if (a->state != ATT_UP || (a->probe_ev != NULL &&
	    evtimer_pending(a->probe_ev, NULL)))
		return;
	if (a->probe_ev == NULL &&
	    (a->probe_ev = evtimer_new(rivd.base, session_probe_cb, a)) ==
	    NULL)
		return;
	if (session_send_rpc(a, probe, &a->probe_id) != 0) {
		session_close(a, "cannot send a probe");
		return;
	}
	log_info("attester %s: a heartbeat was missed: probing the session",
	    a->name);
	evtimer_add(a->probe_ev, &tv);
}

/* The probe went unanswered. */
static void
session_probe_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	session_close(arg, "no answer to a probe after a missed heartbeat");
}

/* Time to try connecting again (or the call home did not come). */
static void
session_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct attester *a = arg;

	(void)fd; (void)what;
	if (a->state == ATT_AWAIT) {
		log_warnx("attester %s: no call home within %d s: configuring "
		    "its subscriptions again", a->name, CALLHOME_WAIT_S);
		snprintf(a->last_error, sizeof(a->last_error), "no call home "
		    "within %d s", CALLHOME_WAIT_S);
		sub_session_down(a);
		a->state = ATT_IDLE;
	}
	session_start(a);
}

/* Wire a's new bufferevent (TLS or SSH) to the session's callbacks. */
static void
session_wire(struct attester *a)
{
	bufferevent_setcb(a->bev, session_read_cb, NULL, session_event_cb, a);
	bufferevent_setwatermark(a->bev, EV_READ, 0, READ_HIGH_WATER);
	bufferevent_enable(a->bev, EV_READ | EV_WRITE);
	a->state = ATT_CONNECTING;
	session_deadline(a, rivd.conf->connect_timeout);
	session_read_buffered(a->bev);	/* an adopted call's first bytes */
}

/* Connect to attester a over SSH (or plan a retry on failure). */
static void
session_start_ssh(struct attester *a)
{
	struct riv_err err;

	if ((a->framer = calloc(1, sizeof(*a->framer))) == NULL) {
		log_warnx("attester %s: out of memory", a->name);
		session_plan_retry(a);
		return;
	}
	framer_init(a->framer, rivd.conf->max_message);
	a->chunked = 0;
	if (ssh_open(a, &a->bev, &err) != 0) {
		free(a->framer);
		a->framer = NULL;
		a->bev = NULL;
		log_warnx("attester %s: %s", a->name, err.msg);
		snprintf(a->last_error, sizeof(a->last_error), "%s", err.msg);
		session_plan_retry(a);
		return;
	}
	session_wire(a);
	log_debug("attester %s: connecting to %s port %u (SSH)", a->name,
	    a->conf->address, a->conf->port);
}

/* Connect to attester a (or plan a retry on failure). */
void
session_start(struct attester *a)
{
	const struct conf_attester *c = a->conf;
	struct riv_err err;
	SSL_CTX *ctx;
	SSL *ssl = NULL;

	if (a->retry_ev == NULL) {
		a->retry_ev = evtimer_new(rivd.base, session_retry_cb, a);
		a->deadline_ev = evtimer_new(rivd.base, session_deadline_cb,
		    a);
		a->backoff_ms = BACKOFF_MIN_MS;
		if (a->retry_ev == NULL || a->deadline_ev == NULL) {
			log_warnx("attester %s: out of memory: not connected",
			    a->name);
			return;
		}
	}
	if (c->ssh) {
		session_start_ssh(a);
		return;
	}
	if ((ctx = tls_ctx_get(c, &err)) == NULL)
		goto fail;
	if ((ssl = SSL_new(ctx)) == NULL ||
	    (a->framer = calloc(1, sizeof(*a->framer))) == NULL) {
		err_set(&err, -1, "out of memory");
		goto fail;
	}
	SSL_set_tlsext_host_name(ssl, c->server_name);
	if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl),
	    c->server_name) != 1 && SSL_set1_host(ssl, c->server_name) != 1) {
		/* Never connect without the name check. */
		err_set(&err, -1, "cannot set the expected name %s",
		    c->server_name);
		goto fail;
	}
	SSL_set_read_ahead(ssl, 1);	/* see session_read_buffered */
	framer_init(a->framer, rivd.conf->max_message);
	a->chunked = 0;
	a->bev = bufferevent_openssl_socket_new(rivd.base, -1, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (a->bev == NULL) {
		err_set(&err, -1, "cannot create a TLS connection");
		goto fail;
	}
	ssl = NULL;	/* owned by the bufferevent */
	bufferevent_openssl_set_allow_dirty_shutdown(a->bev, 1);
	session_wire(a);
	if (bufferevent_socket_connect_hostname(a->bev, session_dns,
	    AF_UNSPEC, c->address, c->port) != 0) {
		session_close(a, "cannot connect");
		return;
	}
	log_debug("attester %s: connecting to %s port %u", a->name,
	    c->address, c->port);
	return;
fail:
	SSL_free(ssl);
	free(a->framer);
	a->framer = NULL;
	log_warnx("attester %s: %s", a->name, err.msg);
	snprintf(a->last_error, sizeof(a->last_error), "%s", err.msg);
	session_plan_retry(a);
}

/*
 * Forget the TLS contexts made so far: sessions made from now on read
 * their certificate, key and CA files again (SIGHUP).  Sessions up keep
 * theirs (OpenSSL counts the references).
 */
void
session_forget_tls(void)
{
	struct tls_ctx *t, *next;

	for (t = tls_ctxs; t != NULL; t = next) {
		next = t->next;
		SSL_CTX_free(t->ctx);
		free(t->cert);
		free(t->key);
		free(t->ca);
		free(t);
	}
	tls_ctxs = NULL;
}

/*
 * A connection closing once the attester has read its last bytes: closed
 * with unread input, the socket would send a reset, and a reset discards
 * what the attester has not read yet (the removal of its configured
 * subscriptions).  So it is read (and dropped) until the attester answers.
 */
struct lingering {
	struct bufferevent *bev;
	struct ssh_link	*ssh;		/* SSH: the link behind bev */
	struct event	*deadline;	/* LINGER_S after it began */
	int		 answered;	/* an rpc-reply came */
	struct lingering	*next;
};
static struct lingering *lingers;

/* Free lingering connection l. */
static void
linger_free(struct lingering *l)
{
	struct lingering **lp;

	for (lp = &lingers; *lp != NULL; lp = &(*lp)->next)
		if (*lp == l) {
			*lp = l->next;
			break;
		}
	if (l->deadline != NULL)
		event_free(l->deadline);
	bufferevent_free(l->bev);
	if (l->ssh != NULL)
		ssh_release(l->ssh);
	free(l);
}

/* Free l if all was sent and the attester answered it: 1 if freed. */
static int
linger_check(struct lingering *l)
{
	if (l->answered &&
	    evbuffer_get_length(bufferevent_get_output(l->bev)) == 0) {
		linger_free(l);
		return 1;
	}
	return 0;
}

/* A lingering connection sent what it had. */
static void
linger_done_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	linger_check(arg);
}

/* A lingering connection received: drop it, note an rpc-reply. */
static void
linger_read_cb(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct lingering *l = arg;
	struct evbuffer_ptr at;

	at = evbuffer_search(in, "rpc-reply", 9, NULL);
	if (at.pos != -1)
		l->answered = 1;
	/* Keep a tail: the next read may complete a name cut here. */
	if (evbuffer_get_length(in) > 16)
		evbuffer_drain(in, evbuffer_get_length(in) - 16);
	if (linger_check(l) == 0)
		session_read_buffered(bev);
}

/* A lingering connection ended or failed: free it. */
static void
linger_event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev; (void)what;
	linger_free(arg);
}

/* A lingering connection's time is up: free it. */
static void
linger_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	linger_free(arg);
}

/*
 * Close bev (and SSH link ssh behind it, if any) once what is queued on it
 * (e.g. the removal of configured subscriptions) is sent and the attester
 * answered, within LINGER_S; at once if nothing is queued and no RPC
 * awaits its reply (pending).
 */
static void
session_linger(struct bufferevent *bev, struct ssh_link *ssh, int pending)
{
	struct timeval tv = { LINGER_S, 0 };
	struct lingering *l = NULL;

	if ((!pending && evbuffer_get_length(bufferevent_get_output(bev)) ==
	    0) || (l = calloc(1, sizeof(*l))) == NULL ||
	    (l->deadline = evtimer_new(rivd.base, linger_deadline_cb, l)) ==
	    NULL) {
		free(l);
		bufferevent_free(bev);
		if (ssh != NULL)
			ssh_release(ssh);
		return;
	}
	l->bev = bev;
	l->ssh = ssh;
	l->next = lingers;
	lingers = l;
	bufferevent_setcb(bev, linger_read_cb, linger_done_cb,
	    linger_event_cb, l);
	bufferevent_setwatermark(bev, EV_WRITE, 0, 0);
	bufferevent_setwatermark(bev, EV_READ, 0, 0);
	bufferevent_set_timeouts(bev, NULL, NULL);
	evtimer_add(l->deadline, &tv);
	bufferevent_enable(bev, EV_READ);
	/* The answer may be read already (reading was held, or it is in
	 * OpenSSL's read-ahead buffer): nothing would announce it. */
	bufferevent_trigger(bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS |
	    BEV_TRIG_DEFER_CALLBACKS);
	session_read_buffered(bev);
}

/*
 * Stop a's session for good (the attester is removed or rivd stops): no
 * reconnection.  What is queued for the attester is still sent.
 */
void
session_stop(struct attester *a)
{
	struct ssh_link *ssh;
	int pending = a->removing;
	size_t k;

	if (a->bev != NULL) {
		for (k = 0; k < STREAM_KINDS; k++)
			if (a->subs[k].rpc_id != 0)
				pending = 1;
		if (a->ssh == NULL)
			session_linger(a->bev, NULL, pending);
		else if ((ssh = ssh_detach(a)) != NULL)
			session_linger(a->bev, ssh, pending);
		else
			bufferevent_free(a->bev);
		a->bev = NULL;
		store_note_attester(rivd.store, a->name, "disconnected",
		    "stopped");
	}
	ssh_close(a);
	framer_free(a->framer);
	free(a->framer);
	a->framer = NULL;
	if (a->retry_ev != NULL)
		event_free(a->retry_ev);
	if (a->deadline_ev != NULL)
		event_free(a->deadline_ev);
	if (a->probe_ev != NULL)
		event_free(a->probe_ev);
	a->retry_ev = a->deadline_ev = a->probe_ev = NULL;
	a->state = ATT_IDLE;
	a->via_callhome = 0;
	sub_session_down(a);
}

/* Free what sessions share (shutdown, after every session stopped). */
void
session_free_all(void)
{
	if (rivd.store != NULL)
		store_set_watermarks(rivd.store, 0, 0, NULL, NULL);
	if (drain_ev != NULL)
		event_free(drain_ev);
	if (hold_ev != NULL)
		event_free(hold_ev);
	drain_ev = hold_ev = NULL;
	if (drain_pipe[0] != -1) {
		close(drain_pipe[0]);
		close(drain_pipe[1]);
	}
	drain_pipe[0] = drain_pipe[1] = -1;
	paused = 0;
	while (lingers != NULL)
		linger_free(lingers);
	session_forget_tls();
	if (session_dns != NULL)
		evdns_base_free(session_dns, 0);
	session_dns = NULL;
}
