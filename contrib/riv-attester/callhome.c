/*
 * callhome.c — RFC 8071 call home for configured subscriptions: the
 * attester dials each receiver (the verifier's call-home listener), is the
 * TLS server on that connection (mutual X.509 authentication, the client
 * certificate's common name is the NETCONF user) or the SSH server
 * (callhome_ssh.c: host key, public-key authentication of --ssh-user),
 * and serves NETCONF on it.
 *
 * libnetconf2 2.0.24's own call-home runs a hidden thread per receiver that
 * does the TLS and NETCONF handshakes beside the loop thread, retries at a
 * fixed pace and has no backoff.  Instead the loop dials itself, with
 * exponential backoff and jitter; a small pump thread per connection moves
 * bytes between the TLS connection (or SSH channel) and a socketpair, and
 * libnetconf2 serves
 * the other end of the socketpair (nc_accept_inout) in the loop thread like
 * every other session.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "attester.h"

#define CH_BACKOFF_MIN_MS	1000
#define CH_BACKOFF_MAX_MS	300000
#define CH_CONNECT_TIMEOUT_MS	3000
#define CH_IO_TIMEOUT_S		10

static struct att_ch	*chs[ATT_CH_MAX];
static size_t		 nchs;
static SSL_CTX		*ch_ssl;

/* One TLS connection and the socketpair end it is pumped to. */
struct ch_pump {
	SSL	*ssl;
	int	 tcp;
	int	 pair;
};

/*
 * Set up the TLS server context for call home: the attester's certificate
 * and key, and the CA that client (receiver) certificates must chain to.
 */
static int
callhome_tls_init(const char *cert, const char *key, const char *ca,
    struct riv_err *err)
{
	if (cert == NULL || key == NULL || ca == NULL)
		return 0;
	if ((ch_ssl = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ch_ssl, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_use_certificate_chain_file(ch_ssl, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ch_ssl, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_load_verify_locations(ch_ssl, ca, NULL) != 1) {
		SSL_CTX_free(ch_ssl);
		ch_ssl = NULL;
		return err_set(err, -1, "call home: cannot load %s, %s or %s",
		    cert, key, ca);
	}
	SSL_CTX_set_verify(ch_ssl, SSL_VERIFY_PEER |
	    SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return 0;
}

/*
 * Set up call home with the server's credentials: TLS with its
 * certificate, SSH with its host key and authorized keys (those it has).
 */
int
callhome_init(const struct server_conf *c, struct riv_err *err)
{
	if (callhome_tls_init(c->tls_cert, c->tls_key, c->tls_ca, err) != 0 ||
	    callhome_ssh_init(c->ssh_host_key, c->ssh_authorized_keys,
	    c->ssh_user, err) != 0)
		return -1;
	return 0;
}

/*
 * Find or add the call-home destination host:port over TLS, or SSH if
 * ssh is set; NULL if full.
 */
struct att_ch *
callhome_get(const char *host, uint16_t port, int ssh)
{
	struct att_ch *ch;
	size_t i;

	for (i = 0; i < nchs; i++)
		if (chs[i]->port == port && chs[i]->ssh == ssh &&
		    strcmp(chs[i]->host, host) == 0)
			return chs[i];
	if (nchs == ATT_CH_MAX || strlen(host) >= sizeof(ch->host) ||
	    (ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	snprintf(ch->host, sizeof(ch->host), "%s", host);
	ch->port = port;
	ch->ssh = ssh;
	ch->fd = -1;
	ch->backoff_ms = CH_BACKOFF_MIN_MS;
	mono_now(&ch->next_try);
	chs[nchs++] = ch;
	return ch;
}

/* Move bytes between the TLS connection and the socketpair until either
 * side closes. */
static void *
pump_run(void *arg)
{
	struct ch_pump *p = arg;
	struct pollfd pf[2];
	char buf[16384];
	int n, m, off;

	pf[0].fd = p->tcp;
	pf[1].fd = p->pair;
	pf[0].events = pf[1].events = POLLIN;
	for (;;) {
		if (SSL_pending(p->ssl) == 0 && poll(pf, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (SSL_pending(p->ssl) > 0 || (pf[0].revents & (POLLIN |
		    POLLHUP | POLLERR))) {
			if ((n = SSL_read(p->ssl, buf, sizeof(buf))) <= 0)
				break;
			for (off = 0; off < n; off += m)
				if ((m = (int)write(p->pair, buf + off,
				    (size_t)(n - off))) <= 0)
					goto done;
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = (int)read(p->pair, buf, sizeof(buf))) <= 0)
				break;
			if (SSL_write(p->ssl, buf, n) != n)
				break;
		}
	}
done:
	SSL_shutdown(p->ssl);
	SSL_free(p->ssl);
	close(p->tcp);
	close(p->pair);
	free(p);
	return NULL;
}

/* Connect to host:port within the connect timeout; the socket or -1. */
static int
dial(const char *host, uint16_t port, struct riv_err *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pf;
	char portstr[8];
	socklen_t len;
	int fd = -1, e, flags;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if ((e = getaddrinfo(host, portstr, &hints, &res)) != 0)
		return err_set(err, -1, "%s: %s", host, gai_strerror(e));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype, 0)) == -1)
			continue;
		flags = fcntl(fd, F_GETFL);
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			goto connected;
		if (errno == EINPROGRESS) {
			pf.fd = fd;
			pf.events = POLLOUT;
			len = sizeof(e);
			if (poll(&pf, 1, CH_CONNECT_TIMEOUT_MS) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) ==
			    0 && e == 0)
				goto connected;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return err_set(err, -1, "cannot connect to %s port %u", host, port);
connected:
	freeaddrinfo(res);
	fcntl(fd, F_SETFL, flags);
	return fd;
}

/*
 * Accept TLS on fd as the server and return the client certificate's
 * common name in user (the NETCONF user name).
 */
static SSL *
tls_accept(int fd, char *user, size_t cap, struct riv_err *err)
{
	struct timeval tv = { CH_IO_TIMEOUT_S, 0 };
	X509 *peer;
	SSL *ssl;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if ((ssl = SSL_new(ch_ssl)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_accept(ssl) != 1) {
		err_set(err, -1, "TLS handshake failed: %s",
		    ERR_reason_error_string(ERR_get_error()));
		SSL_free(ssl);
		return NULL;
	}
	ERR_clear_error();
	if ((peer = SSL_get1_peer_certificate(ssl)) == NULL ||
	    X509_NAME_get_text_by_NID(X509_get_subject_name(peer),
	    NID_commonName, user, (int)cap) <= 0) {
		X509_free(peer);
		SSL_free(ssl);
		err_set(err, -1, "the receiver's certificate has no common "
		    "name");
		return NULL;
	}
	X509_free(peer);
	tv.tv_sec = 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return ssl;
}

/*
 * NETCONF on the socketpair end fd, a call home to ch over user's secure
 * transport.  Return 0 (session up), or -1 (fd closed).
 */
static int
ch_serve(struct att_ch *ch, int fd, const char *user, struct riv_err *err)
{
	struct nc_session *s = NULL;

	if (nc_accept_inout(fd, fd, user, &s) != NC_MSG_HELLO) {
		close(fd);	/* the pump sees EOF and cleans up */
		return err_set(err, -1, "no NETCONF hello from %s port %u",
		    ch->host, ch->port);
	}
	ch->session = s;
	ch->fd = fd;
	snprintf(ch->user, sizeof(ch->user), "%s", user);
	server_note_fd(s, fd);
	server_add_session(s);
	log_info("call home to %s port %u: session %u (%s)%s", ch->host,
	    ch->port, nc_session_get_id(s), user, ch->ssh ? " over SSH" : "");
	return 0;
}

/* Call ch home once over SSH.  Return 0 (session up) or -1. */
static int
ch_connect_ssh(struct att_ch *ch, struct riv_err *err)
{
	char user[256];
	int fd, sp[2];

	if (!callhome_ssh_ready())
		return err_set(err, -1, "call home over SSH needs "
		    "--ssh-host-key and --ssh-authorized-keys");
	if ((fd = dial(ch->host, ch->port, err)) == -1)
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1) {
		close(fd);
		return err_set(err, -1, "call home: %s", strerror(errno));
	}
	/* Takes fd; on success the pump thread owns sp[0]. */
	if (callhome_ssh_connect(fd, sp[0], user, sizeof(user), err) != 0) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	return ch_serve(ch, sp[1], user, err);
}

/* Call ch home once.  Return 0 (session up) or -1. */
static int
ch_connect(struct att_ch *ch, struct riv_err *err)
{
	struct ch_pump *p = NULL;
	pthread_t tid;
	char user[256];
	int fd, sp[2] = { -1, -1 };
	SSL *ssl;

	if (ch->ssh)
		return ch_connect_ssh(ch, err);
	if (ch_ssl == NULL)
		return err_set(err, -1, "call home needs --tls-cert, "
		    "--tls-key and --tls-ca");
	if ((fd = dial(ch->host, ch->port, err)) == -1)
		return -1;
	if ((ssl = tls_accept(fd, user, sizeof(user), err)) == NULL) {
		close(fd);
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == -1 ||
	    (p = calloc(1, sizeof(*p))) == NULL) {
		err_set(err, -1, "call home: %s", strerror(errno));
		goto fail;
	}
	p->ssl = ssl;
	p->tcp = fd;
	p->pair = sp[0];
	if (pthread_create(&tid, NULL, pump_run, p) != 0) {
		err_set(err, -1, "call home: cannot start a thread");
		goto fail;
	}
	pthread_detach(tid);
	return ch_serve(ch, sp[1], user, err);
fail:
	free(p);
	if (sp[0] != -1)
		close(sp[0]);
	if (sp[1] != -1)
		close(sp[1]);
	SSL_free(ssl);
	close(fd);
	return -1;
}

/* Schedule the next attempt of ch after a failure: double the wait. */
static void
ch_backoff(struct att_ch *ch)
{
	uint32_t jitter = 0;

	RAND_bytes((unsigned char *)&jitter, sizeof(jitter));
	mono_now(&ch->next_try);
	ts_add_cs(&ch->next_try, (ch->backoff_ms +
	    jitter % (ch->backoff_ms / 4 + 1)) / 10);
	ch->backoff_ms = ch->backoff_ms * 2 > CH_BACKOFF_MAX_MS ?
	    CH_BACKOFF_MAX_MS : ch->backoff_ms * 2;
}

/* Dial the destinations that have subscriptions and no session. */
void
callhome_run(void)
{
	struct riv_err err;
	struct timespec now;
	struct att_ch *ch;
	size_t i;

	mono_now(&now);
	for (i = 0; i < nchs; i++) {
		ch = chs[i];
		if (ch->close_pending) {
			ch->close_pending = 0;
			if (ch->session != NULL && ch->refs == 0)
				server_end_session(ch->session);
		}
		if (ch->refs == 0 || ch->session != NULL ||
		    ms_between(ch->next_try, now) < 0)
			continue;
		if (ch_connect(ch, &err) != 0) {
			log_warnx("call home to %s port %u: %s (next try in "
			    "%u ms)", ch->host, ch->port, err.msg,
			    ch->backoff_ms);
			ch_backoff(ch);
			continue;
		}
		ch->backoff_ms = CH_BACKOFF_MIN_MS;
		sub_callhome_up(ch);
	}
}

/*
 * A session ended: if it was a call-home session, forget it and plan a new
 * call.  Return the fd the caller closes after freeing the session, or -1.
 */
int
callhome_session_gone(struct nc_session *s)
{
	size_t i;
	int fd;

	for (i = 0; i < nchs; i++) {
		if (chs[i]->session != s)
			continue;
		chs[i]->session = NULL;
		fd = chs[i]->fd;
		chs[i]->fd = -1;
		ch_backoff(chs[i]);
		return fd;
	}
	return -1;
}

/*
 * The NETCONF user of call-home session s (libnetconf2 2.0.24 keeps no
 * user name for a session made by nc_accept_inout), or NULL.
 */
const char *
callhome_user(const struct nc_session *s)
{
	size_t i;

	for (i = 0; i < nchs; i++)
		if (chs[i]->session == s)
			return chs[i]->user;
	return NULL;
}

/* Free the destinations no subscription uses (closing their sessions is
 * the server's job). */
void
callhome_free(void)
{
	size_t i;

	for (i = 0; i < nchs; i++)
		free(chs[i]);
	nchs = 0;
	SSL_CTX_free(ch_ssl);
	ch_ssl = NULL;
	callhome_ssh_free();
}
