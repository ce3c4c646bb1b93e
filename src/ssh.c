/*
 * ssh.c — NETCONF over SSH for rivd's sessions (see rivd.h): libssh in
 * non-blocking mode, stepped by the loop.  Each SSH attester has a link:
 * a bufferevent pair (session.c holds one end, the link the other), an
 * ssh_session with its "netconf" subsystem channel, and events on the
 * session's socket.  Every libssh call returns at once (SSH_AGAIN, or a
 * partial write) and the link goes on when the socket is ready again, so a
 * slow, silent or hostile attester costs only its own session; the connect
 * deadline is session.c's.
 *
 * libssh 0.10 facts this file relies on (measured, src/socket.c and
 * src/channels.c of 0.10.6):
 * - When the non-blocking TCP connect completes, libssh turns the socket
 *   back to blocking (fcntl(fd, F_SETFL, 0)) and from then on relies on
 *   its own poll() before each read or write; a send() of its whole output
 *   buffer could then block on a peer that does not read.  The link sets
 *   O_NONBLOCK again: libssh only reads after POLLIN and writes after
 *   POLLOUT, so it never sees EAGAIN.
 * - ssh_get_poll_flags() reports SSH_WRITE_PENDING after every write,
 *   even a complete one, until libssh polls again; only a call that polls
 *   (connect, authentication, channel calls, a read from an empty channel)
 *   clears it.
 * - ssh_channel_write() writes at most the remote window and returns what
 *   it wrote; the link never offers more than ssh_channel_window_size().
 * - libssh resolves host names with getaddrinfo(), which blocks: names
 *   are resolved here with evdns and libssh gets the address.
 * - A socket given with SSH_OPTIONS_FD is not closed by ssh_disconnect or
 *   ssh_free, but libssh closes it (and ssh_get_fd() turns -1) when a
 *   read or write on it fails during the handshake: the link closes a
 *   call-home connection itself unless libssh did.
 *
 * Call home (RFC 8071): callhome.c accepts the TCP connection an attester
 * opens and ssh_call_accept runs the same client over it.  Until the host
 * key names the attester the link belongs to no attester; it
 * authenticates as that attester's user, opens the subsystem, then holds
 * still (reads nothing) until callhome.c gives it to the attester
 * (ssh_call_adopt).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/util.h>
#include <libssh/libssh.h>

#include "rivd.h"

#define LINK_CHUNK	16384		/* bytes per channel read or write */
#define LINK_HIGH_WATER	(256 * 1024)	/* toward rivd: stop reading */
#define LINK_LOW_WATER	(64 * 1024)	/* toward rivd: read again */
#define LINK_BUDGET	(256 * 1024)	/* bytes read per wake-up */

enum link_state {
	LINK_RESOLVING,		/* the attester's address */
	LINK_CONNECTING,	/* TCP, SSH transport, host key */
	LINK_AUTHENTICATING,	/* public key */
	LINK_OPENING,		/* the session channel */
	LINK_SUBSYSTEM,		/* the "netconf" subsystem */
	LINK_OPEN,		/* data flows */
	LINK_DONE		/* EOF or error signalled to session.c */
};

/* The SSH side of one attester's session. */
struct ssh_link {
	struct attester	*att;		/* NULL: a call not yet given */
	char		 who[RIVD_NAME_MAX + 64];	/* for the log */
	int		 call;		/* call home: accepted, not dialled */
	int		 held;		/* call home: open, not given yet */
	evutil_socket_t	 fd;		/* call home: the accepted socket */
	int		 fd_given;	/* libssh has fd (ssh_connect ran) */
	char		 call_name[RIVD_NAME_MAX];	/* call home: whose
					   host key it presented */
	char		*user;		/* the user rivd logs in as */
	char		*key_path;	/* rivd's private key, for the log */
	enum link_state	 state;
	struct bufferevent *rivd_end;	/* session.c's end of the pair */
	struct bufferevent *end;	/* the link's end */
	ssh_session	 s;
	ssh_channel	 ch;
	ssh_key		 key;		/* rivd's private key */
	ssh_key		 host_key;	/* the attester's expected host key */
	struct event	*read_ev, *write_ev;	/* on the session's socket */
	struct event	*step_ev;	/* one-shot: step again */
	struct link_lookup *lookup;	/* name lookup in flight */
	int		 throttled;	/* rivd's end is full: wait */
	char		 error[RIV_ERR_MAX];
};

/*
 * A name lookup of a link.  evdns runs the callback of a cancelled lookup
 * later, from the loop (libevent 2.1 evdns.c: reply_schedule_callback), so
 * the lookup outlives a link closed meanwhile.
 */
struct link_lookup {
	struct ssh_link	*l;		/* NULL: the link is gone */
	struct evdns_getaddrinfo_request *req;
};

static struct evdns_base *ssh_dns;	/* made on demand */
static size_t ssh_nlinks;		/* links alive */
static size_t ssh_nlookups;		/* lookups whose callback is due */

static void link_fail(struct ssh_link *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
static void link_step(struct ssh_link *);
static int link_identify(struct ssh_link *);
static void link_io_cb(evutil_socket_t, short, void *);

/*
 * Give up on l: remember why and tell session.c (BEV_EVENT_ERROR).  libssh
 * quotes the peer's banner in some errors ("... (banner: SSH-9.9-...)"):
 * control characters become '?' before the reason reaches the log.
 */
static void
link_fail(struct ssh_link *l, const char *fmt, ...)
{
	va_list ap;
	unsigned char *p;

	if (l->state == LINK_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(l->error, sizeof(l->error), fmt, ap);
	va_end(ap);
	if (l->error[0] == '\0')
		snprintf(l->error, sizeof(l->error), "unknown SSH error");
	for (p = (unsigned char *)l->error; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f)
			*p = '?';
	l->state = LINK_DONE;
	if (l->read_ev != NULL)
		event_del(l->read_ev);
	if (l->write_ev != NULL)
		event_del(l->write_ev);
	bufferevent_trigger_event(l->rivd_end, BEV_EVENT_ERROR,
	    BEV_TRIG_DEFER_CALLBACKS);
}

/* libssh's last error on l's session, never empty. */
static const char *
link_ssh_error(struct ssh_link *l)
{
	const char *e = ssh_get_error(l->s);

	return e != NULL && *e != '\0' ? e : "unknown SSH error";
}

/* The attester closed the channel: pass what is left, then EOF. */
static void
link_eof(struct ssh_link *l)
{
	l->state = LINK_DONE;
	if (l->read_ev != NULL)
		event_del(l->read_ev);
	if (l->write_ev != NULL)
		event_del(l->write_ev);
	log_debug("%s: SSH channel closed by the attester", l->who);
	/* Moves the rest to rivd's end and runs its BEV_EVENT_EOF. */
	bufferevent_flush(l->end, EV_WRITE, BEV_FINISHED);
}

/* Step l again from the loop, soon. */
static void
link_again(struct ssh_link *l)
{
	event_active(l->step_ev, EV_TIMEOUT, 0);
}

/*
 * Make l's socket non-blocking again: libssh turns it blocking when the
 * TCP connect completes.
 */
static void
link_nonblock(struct ssh_link *l)
{
	socket_t fd = ssh_get_fd(l->s);
	int fl;

	if (fd == SSH_INVALID_SOCKET || (fl = fcntl(fd, F_GETFL)) == -1 ||
	    (fl & O_NONBLOCK))
		return;
	if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		log_warnx("%s: cannot make the SSH socket non-blocking",
		    l->who);
}

/*
 * Watch l's socket for what libssh waits for: always readable, writable
 * while it holds output; nothing while rivd's end is full or l is done.
 */
static void
link_watch(struct ssh_link *l)
{
	socket_t fd = ssh_get_fd(l->s);

	if (fd != SSH_INVALID_SOCKET && l->read_ev == NULL) {
		l->read_ev = event_new(rivd.base, fd, EV_READ | EV_PERSIST,
		    link_io_cb, l);
		l->write_ev = event_new(rivd.base, fd, EV_WRITE | EV_PERSIST,
		    link_io_cb, l);
		if (l->read_ev == NULL || l->write_ev == NULL) {
			link_fail(l, "out of memory");
			return;
		}
	}
	if (l->read_ev == NULL)
		return;
	if (l->state == LINK_DONE || l->throttled || l->held) {
		event_del(l->read_ev);
		event_del(l->write_ev);
		return;
	}
	if (!event_pending(l->read_ev, EV_READ, NULL))
		event_add(l->read_ev, NULL);
	if (ssh_get_poll_flags(l->s) & SSH_WRITE_PENDING) {
		if (!event_pending(l->write_ev, EV_WRITE, NULL))
			event_add(l->write_ev, NULL);
	} else
		event_del(l->write_ev);
}

/* Set the session's host: address, now known, and start connecting. */
static void
link_connect_to(struct ssh_link *l, const char *address)
{
	if (ssh_options_set(l->s, SSH_OPTIONS_HOST, address) != SSH_OK) {
		link_fail(l, "bad address %s: %s", address, link_ssh_error(l));
		return;
	}
	l->state = LINK_CONNECTING;
	link_again(l);
}

/* A name lookup is over: the attester's name is resolved (or not). */
static void
link_resolved_cb(int result, struct evutil_addrinfo *res, void *arg)
{
	struct link_lookup *lk = arg;
	struct ssh_link *l = lk->l;
	char addr[128];
	const void *p;

	free(lk);
	ssh_nlookups--;
	if (l == NULL)
		goto done;	/* closed meanwhile (EVUTIL_EAI_CANCEL) */
	l->lookup = NULL;
	if (result != 0 || res == NULL) {
		link_fail(l, "cannot resolve %s: %s", l->att->conf->address,
		    evutil_gai_strerror(result));
		goto done;
	}
	if (res->ai_family == AF_INET6)
		p = &((struct sockaddr_in6 *)(void *)res->ai_addr)->sin6_addr;
	else
		p = &((struct sockaddr_in *)(void *)res->ai_addr)->sin_addr;
	if (evutil_inet_ntop(res->ai_family, p, addr, sizeof(addr)) == NULL) {
		link_fail(l, "cannot resolve %s", l->att->conf->address);
		goto done;
	}
	log_debug("attester %s: %s is %s", l->att->name,
	    l->att->conf->address, addr);
	link_connect_to(l, addr);
done:
	if (res != NULL)
		evutil_freeaddrinfo(res);
}

/* Resolve the attester's address unless it is numeric. */
static void
link_resolve(struct ssh_link *l)
{
	const char *host = l->att->conf->address;
	struct evdns_getaddrinfo_request *req;
	struct evutil_addrinfo hints;
	struct link_lookup *lk;
	struct in6_addr a6;

	if (evutil_inet_pton(AF_INET, host, &a6) == 1 ||
	    evutil_inet_pton(AF_INET6, host, &a6) == 1) {
		link_connect_to(l, host);
		return;
	}
	if (ssh_dns == NULL && (ssh_dns = evdns_base_new(rivd.base,
	    EVDNS_BASE_INITIALIZE_NAMESERVERS)) == NULL &&
	    (ssh_dns = evdns_base_new(rivd.base, 0)) == NULL) {
		link_fail(l, "cannot start the DNS resolver");
		return;
	}
	if ((lk = calloc(1, sizeof(*lk))) == NULL) {
		link_fail(l, "out of memory");
		return;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	lk->l = l;
	l->lookup = lk;
	ssh_nlookups++;
	/* NULL when the callback already ran (hosts file, failure). */
	req = evdns_getaddrinfo(ssh_dns, host, NULL, &hints, link_resolved_cb,
	    lk);
	if (req != NULL)
		lk->req = req;
}

/* Refuse the attester unless it presented the configured host key. */
static int
link_check_host_key(struct ssh_link *l)
{
	unsigned char *hash = NULL;
	ssh_key srv = NULL;
	char *fp = NULL;
	size_t hlen;
	int same;

	if (ssh_get_server_publickey(l->s, &srv) != SSH_OK) {
		link_fail(l, "no host key from %s: %s", l->att->name,
		    link_ssh_error(l));
		return -1;
	}
	same = ssh_key_cmp(srv, l->host_key, SSH_KEY_CMP_PUBLIC) == 0;
	if (!same) {
		if (ssh_get_publickey_hash(srv, SSH_PUBLICKEY_HASH_SHA256,
		    &hash, &hlen) == 0)
			fp = ssh_get_fingerprint_hash(
			    SSH_PUBLICKEY_HASH_SHA256, hash, hlen);
		link_fail(l, "host key of %s does not match %s (it presented "
		    "%s %s)", l->att->name, l->att->conf->ssh_host_key,
		    ssh_key_type_to_char(ssh_key_type(srv)),
		    fp != NULL ? fp : "?");
		ssh_string_free_char(fp);
		ssh_clean_pubkey_hash(&hash);
	}
	ssh_key_free(srv);
	return same ? 0 : -1;
}

/*
 * Move the channel's data to the link's end until nothing is left, rivd's
 * end is full (throttled: resumed by link_write_callback) or the budget of
 * this wake-up is spent.  Return 0, or -1 if l is done.
 */
static int
link_from_channel(struct ssh_link *l)
{
	struct evbuffer *out = bufferevent_get_output(l->end);
	char buf[LINK_CHUNK];
	size_t moved = 0;
	int n;

	for (;;) {
		if (evbuffer_get_length(out) >= LINK_HIGH_WATER) {
			l->throttled = 1;
			return 0;
		}
		if (moved >= LINK_BUDGET) {
			link_again(l);
			return 0;
		}
		n = ssh_channel_read_nonblocking(l->ch, buf, sizeof(buf), 0);
		if (n > 0) {
			if (bufferevent_write(l->end, buf, (size_t)n) != 0) {
				link_fail(l, "out of memory");
				return -1;
			}
			moved += (size_t)n;
			continue;
		}
		if (n == 0 && !ssh_channel_is_eof(l->ch) &&
		    !ssh_channel_is_closed(l->ch))
			return 0;
		if (n == 0 || n == SSH_EOF) {
			link_eof(l);
			return -1;
		}
		link_fail(l, "%s", link_ssh_error(l));
		return -1;
	}
}

/*
 * Move what session.c wrote to the channel, no more than the attester's
 * window allows and only while libssh holds no unsent output; the rest
 * waits in the link's end.  Return 0, or -1 if l failed.
 */
static int
link_to_channel(struct ssh_link *l)
{
	struct evbuffer *in = bufferevent_get_input(l->end);
	uint32_t win;
	size_t len;
	int n;

	while ((len = evbuffer_get_length(in)) > 0) {
		if (ssh_get_poll_flags(l->s) & SSH_WRITE_PENDING)
			break;	/* on writable, link_pump polls first */
		if ((win = ssh_channel_window_size(l->ch)) == 0)
			break;	/* a window adjust will come to read */
		if (len > win)
			len = win;
		if (len > LINK_CHUNK)
			len = LINK_CHUNK;
		n = ssh_channel_write(l->ch, evbuffer_pullup(in, len),
		    (uint32_t)len);
		if (n < 0) {
			link_fail(l, "%s", link_ssh_error(l));
			return -1;
		}
		evbuffer_drain(in, (size_t)n);
		if ((size_t)n < len)
			break;
	}
	return 0;
}

/* Move data both ways on an open link. */
static void
link_pump(struct ssh_link *l)
{
	if ((ssh_get_poll_flags(l->s) & SSH_WRITE_PENDING) &&
	    ssh_blocking_flush(l->s, 0) == SSH_ERROR) {
		link_fail(l, "%s", link_ssh_error(l));
		return;
	}
	if (!l->throttled && link_from_channel(l) != 0)
		return;
	link_to_channel(l);
}

/*
 * Take the connect one step further, then check the host key.  Return 1
 * to wait for the socket, 0 when done, -1 when l failed.
 */
static int
link_step_connect(struct ssh_link *l)
{
	int rc;

	l->fd_given = 1;
	rc = ssh_connect(l->s);
	link_nonblock(l);
	if (rc == SSH_AGAIN)
		return 1;
	if (rc != SSH_OK && l->call) {
		link_fail(l, "SSH: %s", link_ssh_error(l));
		return -1;
	}
	if (rc != SSH_OK) {
		link_fail(l, "cannot connect to %s port %u: %s",
		    l->att->conf->address, l->att->conf->port,
		    link_ssh_error(l));
		return -1;
	}
	if (l->call ? link_identify(l) != 0 : link_check_host_key(l) != 0)
		return -1;
	log_debug("%s: SSH host key checked", l->who);
	l->state = LINK_AUTHENTICATING;
	return 0;
}

/* Take public-key authentication one step further (as link_step_connect). */
static int
link_step_auth(struct ssh_link *l)
{
	const char *name = l->call ? l->call_name : l->att->name;
	int rc;

	rc = ssh_userauth_publickey(l->s, l->user, l->key);
	if (rc == SSH_AUTH_AGAIN)
		return 1;
	if (rc == SSH_AUTH_ERROR) {
		link_fail(l, "authentication failed: %s", link_ssh_error(l));
		return -1;
	}
	if (rc != SSH_AUTH_SUCCESS) {
		link_fail(l, "authentication failed: %s refused user %s with "
		    "the key %s", name, l->user, l->key_path);
		return -1;
	}
	log_debug("%s: SSH authenticated as %s", l->who, l->user);
	if ((l->ch = ssh_channel_new(l->s)) == NULL) {
		link_fail(l, "cannot make a channel: %s", link_ssh_error(l));
		return -1;
	}
	l->state = LINK_OPENING;
	return 0;
}

/*
 * Take the channel and its subsystem one step further (as
 * link_step_connect); once open, tell session.c (BEV_EVENT_CONNECTED).
 */
static int
link_step_channel(struct ssh_link *l)
{
	int rc;

	if (l->state == LINK_OPENING) {
		if ((rc = ssh_channel_open_session(l->ch)) == SSH_AGAIN)
			return 1;
		if (rc != SSH_OK) {
			link_fail(l, "cannot open a channel: %s",
			    link_ssh_error(l));
			return -1;
		}
		l->state = LINK_SUBSYSTEM;
	}
	if ((rc = ssh_channel_request_subsystem(l->ch, "netconf")) ==
	    SSH_AGAIN)
		return 1;
	if (rc != SSH_OK) {
		link_fail(l, "the netconf subsystem was refused: %s",
		    link_ssh_error(l));
		return -1;
	}
	l->state = LINK_OPEN;
	l->held = l->call;	/* until callhome.c gives it */
	log_debug("%s: SSH netconf subsystem open", l->who);
	bufferevent_trigger_event(l->rivd_end, BEV_EVENT_CONNECTED,
	    BEV_TRIG_DEFER_CALLBACKS);
	return 0;
}

/*
 * Run l's state machine as far as it goes now, then watch the socket for
 * what libssh waits for.
 */
static void
link_step(struct ssh_link *l)
{
	int r = 0;

	if (l->state == LINK_RESOLVING) {
		link_resolve(l);
		return;
	}
	if (l->state == LINK_CONNECTING)
		r = link_step_connect(l);
	if (r == 0 && l->state == LINK_AUTHENTICATING)
		r = link_step_auth(l);
	if (r == 0 && (l->state == LINK_OPENING ||
	    l->state == LINK_SUBSYSTEM))
		r = link_step_channel(l);
	if (r == 0 && l->state == LINK_OPEN && !l->held)
		link_pump(l);
	if (r >= 0 && l->state != LINK_DONE)
		link_watch(l);
}

/* The session's socket is ready. */
static void
link_io_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	link_step(arg);
}

/* Step l (link_again). */
static void
link_step_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	link_step(arg);
}

/* session.c wrote to its end: send it on. */
static void
link_read_callback(struct bufferevent *bev, void *arg)
{
	struct ssh_link *l = arg;

	(void)bev;
	if (l->state != LINK_OPEN || l->held)
		return;		/* sent once the channel is open */
	if (link_to_channel(l) == 0)
		link_watch(l);
}

/* rivd's end took what waited for it: read the channel again. */
static void
link_write_callback(struct bufferevent *bev, void *arg)
{
	struct ssh_link *l = arg;

	(void)bev;
	if (!l->throttled)
		return;
	l->throttled = 0;
	if (l->state == LINK_OPEN && !l->held)
		link_step(l);
}

/* The host key algorithms that match the configured host key. */
static const char *
link_host_key_algs(ssh_key k)
{
	switch (ssh_key_type(k)) {
	case SSH_KEYTYPE_RSA:
		return "rsa-sha2-512,rsa-sha2-256";
	default:
		return ssh_key_type_to_char(ssh_key_type(k));
	}
}

/* Set the options of l's session (the host comes once resolved). */
static int
link_options(struct ssh_link *l, struct riv_err *err)
{
	const struct conf_attester *c = l->att->conf;
	const char *algs = link_host_key_algs(l->host_key);
	bool no = false;
	int port = c->port;

	if (ssh_options_set(l->s, SSH_OPTIONS_PROCESS_CONFIG, &no) !=
	    SSH_OK || ssh_options_set(l->s, SSH_OPTIONS_PORT, &port) !=
	    SSH_OK || ssh_options_set(l->s, SSH_OPTIONS_USER, c->ssh_user) !=
	    SSH_OK)
		return err_set(err, -1, "attester %s: SSH options: %s",
		    l->att->name, ssh_get_error(l->s));
	/* Ask for the configured key's type: no known_hosts guesswork. */
	if (algs == NULL || ssh_options_set(l->s, SSH_OPTIONS_HOSTKEYS,
	    algs) != SSH_OK)
		return err_set(err, -1, "attester %s: host key %s: libssh "
		    "does not take keys of type %s", l->att->name,
		    c->ssh_host_key, algs ? algs : "unknown");
	ssh_set_blocking(l->s, 0);
	return 0;
}

/* Free l and everything it holds. */
static void
link_free(struct ssh_link *l)
{
	if (l->lookup != NULL) {
		l->lookup->l = NULL;	/* its callback comes later */
		evdns_getaddrinfo_cancel(l->lookup->req);
	}
	if (l->read_ev != NULL)
		event_free(l->read_ev);
	if (l->write_ev != NULL)
		event_free(l->write_ev);
	if (l->step_ev != NULL)
		event_free(l->step_ev);
	if (l->ch != NULL)
		ssh_channel_free(l->ch);
	if (l->s != NULL) {
		if (l->fd != -1 && l->fd_given && ssh_get_fd(l->s) != l->fd)
			l->fd = -1;	/* libssh closed it on an error */
		ssh_disconnect(l->s);
		ssh_free(l->s);
	}
	if (l->fd != -1)
		evutil_closesocket(l->fd);
	free(l->user);
	free(l->key_path);
	ssh_key_free(l->key);
	ssh_key_free(l->host_key);
	if (l->end != NULL)
		bufferevent_free(l->end);
	free(l);
}

/*
 * Make l's bufferevent pair and its step event, and schedule the first
 * step.  0, or -1 (memory).
 */
static int
link_pair(struct ssh_link *l, struct riv_err *err)
{
	struct bufferevent *pair[2] = { NULL, NULL };

	if (bufferevent_pair_new(rivd.base, BEV_OPT_DEFER_CALLBACKS,
	    pair) != 0 || (l->step_ev = event_new(rivd.base, -1, 0,
	    link_step_cb, l)) == NULL) {
		if (pair[0] != NULL)
			bufferevent_free(pair[0]);
		if (pair[1] != NULL)
			bufferevent_free(pair[1]);
		return err_set(err, -1, "out of memory");
	}
	l->rivd_end = pair[0];
	l->end = pair[1];
	bufferevent_setcb(l->end, link_read_callback, link_write_callback,
	    NULL, l);
	bufferevent_setwatermark(l->end, EV_READ, 0, LINK_HIGH_WATER);
	bufferevent_setwatermark(l->end, EV_WRITE, LINK_LOW_WATER, 0);
	bufferevent_enable(l->end, EV_READ | EV_WRITE);
	link_again(l);
	return 0;
}

/*
 * Start connecting attester a over SSH; *bev is rivd's end of the pair.
 * Every step runs from the loop, so session.c's callbacks are set before
 * any event.  Return 0, or -1 (files, memory).
 */
int
ssh_open(struct attester *a, struct bufferevent **bev, struct riv_err *err)
{
	const struct conf_attester *c = a->conf;
	struct ssh_link *l;

	*bev = NULL;
	ssh_close(a);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return err_set(err, -1, "out of memory");
	l->att = a;
	l->fd = -1;
	l->state = LINK_RESOLVING;
	snprintf(l->who, sizeof(l->who), "attester %s", a->name);
	if ((l->user = strdup(c->ssh_user)) == NULL ||
	    (l->key_path = strdup(c->ssh_key)) == NULL) {
		err_set(err, -1, "out of memory");
		goto fail;
	}
	if (ssh_pki_import_privkey_file(c->ssh_key, NULL, NULL, NULL,
	    &l->key) != SSH_OK) {
		err_set(err, -1, "cannot read the SSH key %s (a private key "
		    "without a passphrase)", c->ssh_key);
		goto fail;
	}
	if (ssh_pki_import_pubkey_file(c->ssh_host_key, &l->host_key) !=
	    SSH_OK) {
		err_set(err, -1, "cannot read the SSH host key %s (one "
		    "public key line: TYPE BASE64)", c->ssh_host_key);
		goto fail;
	}
	if ((l->s = ssh_new()) == NULL) {
		err_set(err, -1, "out of memory");
		goto fail;
	}
	if (link_options(l, err) != 0 || link_pair(l, err) != 0)
		goto fail;
	a->ssh = l;
	ssh_nlinks++;
	*bev = l->rivd_end;
	return 0;
fail:
	link_free(l);
	return -1;
}

/*
 * The SHA-256 fingerprint of key k ("SHA256:..."), to free with
 * ssh_string_free_char, or NULL.
 */
static char *
link_fingerprint(ssh_key k)
{
	unsigned char *hash = NULL;
	char *fp = NULL;
	size_t hlen;

	if (ssh_get_publickey_hash(k, SSH_PUBLICKEY_HASH_SHA256, &hash,
	    &hlen) == 0)
		fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash,
		    hlen);
	ssh_clean_pubkey_hash(&hash);
	return fp;
}

/*
 * Call home: the attester whose ssh/host-key is srv, among those with
 * delivery call-home over SSH; NULL with why set when none is, or more
 * than one.
 */
static struct attester *
link_host_owner(ssh_key srv, char *why, size_t cap)
{
	const struct conf_attester *c;
	struct attester *a, *found = NULL;
	ssh_key k;
	size_t i;

	for (i = 0; i < rivd.nattesters; i++) {
		a = rivd.attesters[i];
		c = a->conf;
		if (!c->callhome || !c->ssh)
			continue;
		k = NULL;
		if (ssh_pki_import_pubkey_file(c->ssh_host_key, &k) !=
		    SSH_OK) {
			log_warnx("attester %s: cannot read the SSH host key "
			    "%s", a->name, c->ssh_host_key);
			continue;
		}
		if (ssh_key_cmp(srv, k, SSH_KEY_CMP_PUBLIC) == 0) {
			if (found != NULL) {
				ssh_key_free(k);
				snprintf(why, cap, "is the ssh/host-key of "
				    "attesters %s and %s", found->name,
				    a->name);
				return NULL;
			}
			found = a;
		}
		ssh_key_free(k);
	}
	if (found == NULL)
		snprintf(why, cap, "is the ssh/host-key of no attester with "
		    "delivery call-home");
	return found;
}

/*
 * Call home: recognise the attester by the host key it presented (before
 * authenticating) and take its user and key.  0, or -1 when l failed.
 */
static int
link_identify(struct ssh_link *l)
{
	const struct conf_attester *c;
	struct attester *a;
	ssh_key srv = NULL;
	char why[RIVD_NAME_MAX * 2 + 64], *fp;

	if (ssh_get_server_publickey(l->s, &srv) != SSH_OK) {
		link_fail(l, "no host key: %s", link_ssh_error(l));
		return -1;
	}
	if ((a = link_host_owner(srv, why, sizeof(why))) == NULL) {
		fp = link_fingerprint(srv);
		link_fail(l, "its host key %s %s %s: refused",
		    ssh_key_type_to_char(ssh_key_type(srv)),
		    fp != NULL ? fp : "?", why);
		ssh_string_free_char(fp);
		ssh_key_free(srv);
		return -1;
	}
	ssh_key_free(srv);
	c = a->conf;
	snprintf(l->call_name, sizeof(l->call_name), "%s", a->name);
	snprintf(l->who + strlen(l->who), sizeof(l->who) - strlen(l->who),
	    " (attester %s)", a->name);
	if ((l->user = strdup(c->ssh_user)) == NULL ||
	    (l->key_path = strdup(c->ssh_key)) == NULL) {
		link_fail(l, "out of memory");
		return -1;
	}
	if (ssh_pki_import_privkey_file(c->ssh_key, NULL, NULL, NULL,
	    &l->key) != SSH_OK) {
		link_fail(l, "cannot read the SSH key %s of attester %s",
		    c->ssh_key, a->name);
		return -1;
	}
	return 0;
}

/*
 * Call home: run the SSH client over fd, a connection an attester opened
 * to the listener (peer: its address); *bev is rivd's end of the pair.
 * The link owns fd from here on, even on failure.  The link, or NULL.
 */
struct ssh_link *
ssh_call_accept(evutil_socket_t fd, const char *peer,
    struct bufferevent **bev, struct riv_err *err)
{
	struct ssh_link *l;
	socket_t sfd = fd;
	bool no = false;

	*bev = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		evutil_closesocket(fd);
		err_set(err, -1, "out of memory");
		return NULL;
	}
	l->fd = fd;
	l->call = 1;
	l->state = LINK_CONNECTING;
	snprintf(l->who, sizeof(l->who), "call home from %s", peer);
	if ((l->s = ssh_new()) == NULL) {
		err_set(err, -1, "out of memory");
		goto fail;
	}
	/*
	 * The host key decides who calls, so ask for every usual type (no
	 * known_hosts guesswork); the host name only names the session.
	 */
	if (ssh_options_set(l->s, SSH_OPTIONS_PROCESS_CONFIG, &no) !=
	    SSH_OK || ssh_options_set(l->s, SSH_OPTIONS_HOST, peer) !=
	    SSH_OK || ssh_options_set(l->s, SSH_OPTIONS_FD, &sfd) != SSH_OK ||
	    ssh_options_set(l->s, SSH_OPTIONS_HOSTKEYS, "ssh-ed25519,"
	    "ecdsa-sha2-nistp521,ecdsa-sha2-nistp384,ecdsa-sha2-nistp256,"
	    "rsa-sha2-512,rsa-sha2-256") != SSH_OK) {
		err_set(err, -1, "SSH options: %s", ssh_get_error(l->s));
		goto fail;
	}
	ssh_set_blocking(l->s, 0);
	if (link_pair(l, err) != 0)
		goto fail;
	*bev = l->rivd_end;
	return l;
fail:
	link_free(l);
	return NULL;
}

/* Why call l failed, or NULL (a clean EOF). */
const char *
ssh_call_error(const struct ssh_link *l)
{
	return l->error[0] != '\0' ? l->error : NULL;
}

/*
 * The attester call l presented the host key of, if it is still one
 * with delivery call-home over SSH; else NULL.
 */
struct attester *
ssh_call_attester(const struct ssh_link *l)
{
	struct attester *a;

	if (l->call_name[0] == '\0' ||
	    (a = attester_find(l->call_name)) == NULL ||
	    !a->conf->callhome || !a->conf->ssh)
		return NULL;
	return a;
}

/*
 * Give call l (its subsystem open) to attester a as a's session: from
 * here on l is a's (ssh_close frees it).  0, or -1 (l is not taken).
 */
int
ssh_call_adopt(struct ssh_link *l, struct attester *a)
{
	if (a->ssh != NULL)
		return -1;
	l->att = a;
	l->held = 0;
	a->ssh = l;
	ssh_nlinks++;
	snprintf(l->who, sizeof(l->who), "attester %s", a->name);
	link_again(l);		/* what arrived meanwhile */
	/* On success session.c may already have closed (and freed) l. */
	if (session_adopt(a, l->rivd_end) == 0)
		return 0;
	event_del(l->step_ev);
	a->ssh = NULL;
	ssh_nlinks--;
	l->att = NULL;
	l->held = 1;
	return -1;
}

/* Free call l, never given to an attester. */
void
ssh_call_free(struct ssh_link *l)
{
	if (l != NULL)
		link_free(l);
}

/* Why the SSH side of a failed, or NULL (none, or a clean EOF). */
const char *
ssh_error(const struct attester *a)
{
	if (a->ssh == NULL || a->ssh->error[0] == '\0')
		return NULL;
	return a->ssh->error;
}

/*
 * Free the SSH side of a (session.c frees rivd's end itself); safe to
 * call again, and for a TLS attester.
 */
void
ssh_close(struct attester *a)
{
	struct ssh_link *l = a->ssh;

	if (l == NULL)
		return;
	a->ssh = NULL;
	ssh_release(l);
}

/*
 * Take a's open SSH link away from a, for a lingering close: it goes on
 * moving data between the attester and rivd's end (which session.c keeps)
 * until ssh_release.  NULL if a has no open link (then ssh_close).
 */
struct ssh_link *
ssh_detach(struct attester *a)
{
	struct ssh_link *l = a->ssh;

	if (l == NULL || l->state != LINK_OPEN)
		return NULL;
	a->ssh = NULL;
	l->att = NULL;		/* only the steps before LINK_OPEN use it */
	snprintf(l->who, sizeof(l->who), "removed attester %s", a->name);
	return l;
}

/* Free link l (ssh_close's, or one ssh_detach took away). */
void
ssh_release(struct ssh_link *l)
{
	link_free(l);
	/* Not while a cancelled lookup's callback is due: it uses ssh_dns. */
	if (--ssh_nlinks == 0 && ssh_nlookups == 0 && ssh_dns != NULL) {
		evdns_base_free(ssh_dns, 0);
		ssh_dns = NULL;
	}
}
