/*
 * callhome.c — rivd's NETCONF call-home listeners (RFC 8071) for
 * attesters whose delivery is call-home: accept the TCP connection an
 * attester opens, act as the client of its secure transport, recognise
 * the attester, and hand the connection to session.c as that attester's
 * session.  Over TLS (RFC 7589) rivd presents its certificate, the
 * attester's must chain to the CA and names it; over SSH (RFC 6242,
 * ssh.c) the attester's host key names it before rivd authenticates as
 * its user.  Everything runs in the loop, non-blocking; a handshake has
 * connect-timeout seconds, and at most CALLS_MAX run at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/listener.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "rivd.h"

/* A call being set up: TLS or SSH handshake under way. */
struct call {
	struct bufferevent *bev;	/* TLS, or rivd's end of the SSH link */
	struct ssh_link	*link;		/* SSH: the link; NULL for TLS */
	struct event	*deadline;
	char		 peer[INET6_ADDRSTRLEN + 8];
	struct call	*next;		/* in calls */
};

#define CALLS_MAX	64	/* handshakes under way at once */
#define PAUSE_MS	1000	/* listening pauses without descriptors */

static struct evconnlistener *ch_listener;	/* TLS */
static struct evconnlistener *ch_ssh_listener;	/* SSH */
static struct event *ch_resume;
static SSL_CTX *ch_ssl;
static int ch_calls;		/* calls being set up */
static struct call *calls;	/* those calls */

/* Free call c (and its connection unless kept). */
static void
call_free(struct call *c, int keep_bev)
{
	struct call **cp;

	for (cp = &calls; *cp != NULL; cp = &(*cp)->next)
		if (*cp == c) {
			*cp = c->next;
			break;
		}
	ch_calls--;
	if (!keep_bev && c->bev != NULL)
		bufferevent_free(c->bev);
	if (!keep_bev)
		ssh_call_free(c->link);
	if (c->deadline != NULL)
		event_free(c->deadline);
	free(c);
}

/*
 * The attester waiting for a call whose name (tls/server-name, or its
 * address) the certificate x carries, or NULL.
 */
static struct attester *
call_attester(X509 *x)
{
	const struct conf_attester *c;
	struct attester *a;
	size_t i;

	for (i = 0; i < rivd.nattesters; i++) {
		a = rivd.attesters[i];
		c = a->conf;
		if (!c->callhome)
			continue;
		if (X509_check_ip_asc(x, c->server_name, 0) == 1 ||
		    X509_check_host(x, c->server_name, 0, 0, NULL) == 1)
			return a;
	}
	return NULL;
}

/*
 * Tell whether attester a waits for the call c brought; if not, log it and
 * close the call (the attester calls again).
 */
static int
call_awaited(struct call *c, struct attester *a)
{
	if (a->state == ATT_AWAIT)
		return 1;
	log_info("attester %s: call home from %s while %s: closed (it calls "
	    "again)", a->name, c->peer, a->state == ATT_UP ? "its session is "
	    "up" : "its subscriptions are being written");
	call_free(c, 0);
	return 0;
}

/* The handshake of call c ended (or failed). */
static void
call_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct call *c = arg;
	struct attester *a;
	unsigned long e;
	X509 *x;

	if (!(what & BEV_EVENT_CONNECTED)) {
		e = bufferevent_get_openssl_error(bev);
		log_warnx("call home from %s: %s", c->peer, e != 0 ?
		    tls_error(e) : "closed during the TLS handshake");
		call_free(c, 0);
		return;
	}
	x = SSL_get1_peer_certificate(bufferevent_openssl_get_ssl(bev));
	a = x != NULL ? call_attester(x) : NULL;
	X509_free(x);
	if (a == NULL) {
		log_warnx("call home from %s: its certificate names no "
		    "attester with delivery call-home: closed", c->peer);
		call_free(c, 0);
		return;
	}
	if (!call_awaited(c, a))
		return;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (session_adopt(a, bev) != 0) {
		call_free(c, 0);
		return;
	}
	call_free(c, 1);
}

/* The handshake of call c took too long. */
static void
call_deadline_cb(evutil_socket_t fd, short what, void *arg)
{
	struct call *c = arg;

	(void)fd; (void)what;
	log_warnx("call home from %s: no %s handshake within %u s", c->peer,
	    c->link != NULL ? "SSH" : "TLS", rivd.conf->connect_timeout);
	call_free(c, 0);
}

/*
 * A TCP connection arrived from sa: a new call with its deadline, or NULL
 * (fd closed) when too many are under way or memory is short: no call
 * runs without a deadline.
 */
static struct call *
call_new(evutil_socket_t fd, struct sockaddr *sa)
{
	struct timeval tv = { rivd.conf->connect_timeout, 0 };
	struct call *c;
	char host[INET6_ADDRSTRLEN] = "?";

	if (ch_calls >= CALLS_MAX) {
		log_debug("call home: %d handshakes under way: connection "
		    "closed", ch_calls);
		evutil_closesocket(fd);
		return NULL;
	}
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, host,
		    sizeof(host));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr,
		    host, sizeof(host));
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->deadline = evtimer_new(rivd.base, call_deadline_cb, c)) ==
	    NULL) {
		log_warnx("call home from %s: out of memory: connection "
		    "closed", host);
		free(c);
		evutil_closesocket(fd);
		return NULL;
	}
	ch_calls++;
	c->next = calls;
	calls = c;
	snprintf(c->peer, sizeof(c->peer), "%s", host);
	evtimer_add(c->deadline, &tv);
	return c;
}

/* A TCP connection arrived: start the TLS handshake as the client. */
static void
call_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct call *c;
	SSL *ssl;

	(void)l; (void)len; (void)arg;
	if ((c = call_new(fd, sa)) == NULL)
		return;
	if ((ssl = SSL_new(ch_ssl)) == NULL) {
		evutil_closesocket(fd);
		call_free(c, 1);
		return;
	}
	SSL_set_read_ahead(ssl, 1);	/* see session_read_buffered */
	c->bev = bufferevent_openssl_socket_new(rivd.base, fd, ssl,
	    BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (c->bev == NULL) {
		SSL_free(ssl);
		evutil_closesocket(fd);
		call_free(c, 1);
		return;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(c->bev, 1);
	bufferevent_setcb(c->bev, NULL, NULL, call_event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	log_debug("call home from %s: TLS handshake", c->peer);
}

/*
 * The SSH handshake of call c ended: the subsystem is open (the attester
 * recognised by its host key, rivd authenticated), or it failed.
 */
static void
call_ssh_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct call *c = arg;
	struct attester *a;
	const char *e;

	if (!(what & BEV_EVENT_CONNECTED)) {
		e = ssh_call_error(c->link);
		log_warnx("call home from %s: %s", c->peer, e != NULL ? e :
		    "closed during the SSH handshake");
		call_free(c, 0);
		return;
	}
	if ((a = ssh_call_attester(c->link)) == NULL) {
		log_warnx("call home from %s: its attester is no longer "
		    "configured for call home over SSH: closed", c->peer);
		call_free(c, 0);
		return;
	}
	if (!call_awaited(c, a))
		return;
	bufferevent_setcb(bev, NULL, NULL, NULL, NULL);
	if (ssh_call_adopt(c->link, a) != 0) {
		call_free(c, 0);
		return;
	}
	call_free(c, 1);
}

/* A TCP connection arrived on the SSH listener: start the SSH client. */
static void
call_ssh_accept_cb(struct evconnlistener *l, evutil_socket_t fd,
    struct sockaddr *sa, int len, void *arg)
{
	struct riv_err err;
	struct call *c;

	(void)l; (void)len; (void)arg;
	if ((c = call_new(fd, sa)) == NULL)
		return;
	if ((c->link = ssh_call_accept(fd, c->peer, &c->bev, &err)) == NULL) {
		log_warnx("call home from %s: %s", c->peer, err.msg);
		call_free(c, 1);	/* ssh_call_accept closed fd */
		return;
	}
	bufferevent_setcb(c->bev, NULL, NULL, call_ssh_event_cb, c);
	log_debug("call home from %s: SSH handshake", c->peer);
}

/* Listening may go on again after a pause. */
static void
call_resume_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what; (void)arg;
	if (ch_listener != NULL)
		evconnlistener_enable(ch_listener);
	if (ch_ssh_listener != NULL)
		evconnlistener_enable(ch_ssh_listener);
}

/*
 * accept() failed (out of descriptors): pause listening for PAUSE_MS
 * instead of being called again at once for the same connection.
 */
static void
call_error_cb(struct evconnlistener *l, void *arg)
{
	struct timeval tv = { PAUSE_MS / 1000, (PAUSE_MS % 1000) * 1000 };
	int e = EVUTIL_SOCKET_ERROR();

	(void)arg;
	log_warnx("call home: accept: %s: listening pauses",
	    evutil_socket_error_to_string(e));
	evconnlistener_disable(l);
	if (ch_resume != NULL)
		evtimer_add(ch_resume, &tv);
}

/* The TLS client context of call-home sessions.  0 or -1. */
static int
callhome_tls(const struct conf *cf, struct riv_err *err)
{
	if ((ch_ssl = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ch_ssl, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ch_ssl, cf->ch_cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ch_ssl, cf->ch_key,
	    SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ch_ssl, cf->ch_ca, NULL) != 1)
		return err_set(err, -1, "call-home: cannot load TLS files %s, "
		    "%s, %s: %s", cf->ch_cert, cf->ch_key, cf->ch_ca,
		    tls_error(ERR_get_error()));
	SSL_CTX_set_verify(ch_ssl, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(ch_ssl, SSL_MODE_RELEASE_BUFFERS);
	return 0;
}

/*
 * Listen on the call-home address, port port, calling cb for each
 * connection (what: "TLS" or "SSH", for the log).  The listener, or NULL
 * with err set.
 */
static struct evconnlistener *
callhome_listen(uint16_t port, evconnlistener_cb cb, const char *what,
    struct riv_err *err)
{
	const struct conf *cf = rivd.conf;
	struct evconnlistener *l;
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(cf->ch_address, (struct sockaddr *)&ss,
	    &len) != 0) {
		err_set(err, -1, "call-home: bad address %s", cf->ch_address);
		return NULL;
	}
	if (ss.ss_family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
	l = evconnlistener_new_bind(rivd.base, cb, NULL,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
	    -1, (struct sockaddr *)&ss, len);
	if (l == NULL) {
		err_set(err, -1, "call-home: cannot listen for %s on %s port "
		    "%u: %s", what, cf->ch_address, port, strerror(errno));
		return NULL;
	}
	evconnlistener_set_error_cb(l, call_error_cb);
	log_info("call home: listening on %s port %u%s", cf->ch_address, port,
	    strcmp(what, "SSH") == 0 ? " (SSH)" : "");
	return l;
}

/*
 * Listen for call home if the configuration asks for it: over TLS when
 * it has the TLS credentials, over SSH when it has call-home/ssh.  0 or
 * -1.  (A changed listener applies when rivd next starts.)
 */
int
callhome_init(struct riv_err *err)
{
	const struct conf *cf = rivd.conf;

	if (cf->ch_address == NULL)
		return 0;
	if (cf->ch_cert != NULL && (callhome_tls(cf, err) != 0 ||
	    (ch_listener = callhome_listen(cf->ch_port, call_accept_cb, "TLS",
	    err)) == NULL))
		return -1;
	if (cf->ch_ssh_port != 0 && (ch_ssh_listener = callhome_listen(
	    cf->ch_ssh_port, call_ssh_accept_cb, "SSH", err)) == NULL)
		return -1;
	ch_resume = evtimer_new(rivd.base, call_resume_cb, NULL);
	return 0;
}

/* Stop listening; close the calls still being set up. */
void
callhome_free(void)
{
	while (calls != NULL)
		call_free(calls, 0);
	if (ch_listener != NULL)
		evconnlistener_free(ch_listener);
	ch_listener = NULL;
	if (ch_ssh_listener != NULL)
		evconnlistener_free(ch_ssh_listener);
	ch_ssh_listener = NULL;
	if (ch_resume != NULL)
		event_free(ch_resume);
	ch_resume = NULL;
	SSL_CTX_free(ch_ssl);
	ch_ssl = NULL;
}
