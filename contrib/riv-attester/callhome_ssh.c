/*
 * callhome_ssh.c — the SSH server side of RFC 8071 call home (NETCONF
 * over SSH, RFC 6242): on the connection the attester dialled, it is the
 * SSH server with its host key (--ssh-host-key), lets in the receiver's
 * user (--ssh-user, rivd) by public key from --ssh-authorized-keys (the
 * same as the SSH listener's), accepts one session channel with the
 * "netconf" subsystem, then a pump thread moves the channel's data to and
 * from a socketpair that libnetconf2 serves (callhome.c).
 *
 * The handshake runs in the loop thread with libssh in blocking mode and
 * a deadline, as the TLS handshake of callhome.c does; the session then
 * belongs to the pump thread alone.  libssh 0.10 closes the socket of a
 * server session (ssh_bind_accept_fd) itself, on a failed read or write
 * and in ssh_disconnect: once given to libssh, the socket is never
 * closed here.  libssh's timeout only bounds its poll(); its send() on
 * the blocking socket waits as long as the receiver does not read, so
 * SO_SNDTIMEO bounds that too (the handshake's deadline, then
 * CHSSH_WRITE_TIMEOUT_S).
 */
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>

#include "attester.h"

#define CHSSH_IO_TIMEOUT_S	10	/* the whole handshake */
#define CHSSH_WRITE_TIMEOUT_S	60	/* a receiver that stops reading */
#define CHSSH_AUTH_TRIES	8	/* refused requests, then close */
#define CHSSH_POLL_MS		1000

static ssh_bind		 chssh_bind;
static struct ncs_keys	 chssh_keys;
static char		*chssh_user;

/*
 * One SSH connection and the socketpair end it is pumped to.  libssh
 * keeps pointers to the callbacks for the session's life: they live here.
 */
struct chssh_pump {
	ssh_session	 s;
	ssh_channel	 ch;		/* the netconf channel once open */
	int		 pair;
	int		 authed;	/* the receiver's user is in */
	int		 netconf;	/* the subsystem was asked for */
	int		 refused;	/* authentication requests refused */
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
};

/*
 * Set up the SSH server side of call home: the host key, the authorized
 * keys and the user.  Nothing to do (0) without a host key or keys.
 */
int
callhome_ssh_init(const char *host_key, const char *auth_keys,
    const char *user, struct riv_err *err)
{
	if (host_key == NULL || auth_keys == NULL)
		return 0;
	if (access(host_key, R_OK) != 0)
		return err_set(err, -1, "call home: cannot read %s", host_key);
	if (ncs_keys_load(auth_keys, &chssh_keys, err) != 0)
		return -1;
	if ((chssh_user = strdup(user != NULL ? user : "rivd")) == NULL ||
	    (chssh_bind = ssh_bind_new()) == NULL) {
		callhome_ssh_free();
		return err_set(err, -1, "out of memory");
	}
	if (ssh_bind_options_set(chssh_bind, SSH_BIND_OPTIONS_HOSTKEY,
	    host_key) != SSH_OK) {
		err_set(err, -1, "call home: host key %s: %s", host_key,
		    ssh_get_error(chssh_bind));
		callhome_ssh_free();
		return -1;
	}
	return 0;
}

/* Tell whether SSH call home is set up. */
int
callhome_ssh_ready(void)
{
	return chssh_bind != NULL;
}

/* Forget the SSH call-home settings. */
void
callhome_ssh_free(void)
{
	if (chssh_bind != NULL)
		ssh_bind_free(chssh_bind);
	chssh_bind = NULL;
	ncs_keys_free(&chssh_keys);
	free(chssh_user);
	chssh_user = NULL;
}

/* Tell whether the deadline passed. */
static int
chssh_late(const struct timespec *deadline)
{
	struct timespec now;

	mono_now(&now);
	return ms_between(now, *deadline) <= 0;
}

/*
 * Bound each send() on the socket of s to ms milliseconds (at least one):
 * a receiver that does not read makes it fail instead of waiting.
 */
static void
chssh_send_timeout(ssh_session s, int64_t ms)
{
	struct timeval tv;
	socket_t fd = ssh_get_fd(s);

	if (fd == SSH_INVALID_SOCKET)
		return;
	if (ms < 1)
		ms = 1;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * A public key is offered (state NONE) or signed with (VALID, signature
 * checked by libssh): the user must be chssh_user and the key one of the
 * authorized keys.  Once the user is in, every further request is refused
 * without a look at chssh_user or chssh_keys: the pump thread may run this
 * while the loop thread frees them (callhome_ssh_free).
 */
static int
chssh_auth_cb(ssh_session s, const char *user, struct ssh_key_struct *key,
    char state, void *arg)
{
	struct chssh_pump *p = arg;

	(void)s;
	if (p->authed)
		return SSH_AUTH_DENIED;
	if (user != NULL && strcmp(user, chssh_user) == 0 &&
	    ncs_keys_match(&chssh_keys, key)) {
		if (state == SSH_PUBLICKEY_STATE_NONE)
			return SSH_AUTH_SUCCESS;	/* the key would do */
		if (state == SSH_PUBLICKEY_STATE_VALID) {
			p->authed = 1;
			return SSH_AUTH_SUCCESS;
		}
	}
	p->refused++;
	log_debug("call home: SSH authentication of %s refused",
	    user != NULL ? user : "?");
	return SSH_AUTH_DENIED;
}

/* The receiver asks for a subsystem: only "netconf", once. */
static int
chssh_subsystem_cb(ssh_session s, ssh_channel ch, const char *name,
    void *arg)
{
	struct chssh_pump *p = arg;

	(void)s; (void)ch;
	if (p->netconf || name == NULL || strcmp(name, "netconf") != 0)
		return -1;
	p->netconf = 1;
	return 0;
}

/* The receiver opens a session channel: one, once authenticated. */
static ssh_channel
chssh_channel_cb(ssh_session s, void *arg)
{
	struct chssh_pump *p = arg;

	if (!p->authed || p->ch != NULL ||
	    (p->ch = ssh_channel_new(s)) == NULL)
		return NULL;
	ssh_set_channel_callbacks(p->ch, &p->ccb);
	return p->ch;
}

/*
 * Serve the SSH handshake of p until the receiver's user is in and its
 * "netconf" subsystem channel is open.  0, or -1 with err set.
 */
static int
chssh_handshake(struct chssh_pump *p, struct riv_err *err)
{
	struct timespec deadline, now;
	ssh_event ev;
	int rc = -1;

	mono_now(&deadline);
	ts_add_cs(&deadline, CHSSH_IO_TIMEOUT_S * 100);
	chssh_send_timeout(p->s, CHSSH_IO_TIMEOUT_S * 1000);
	if (ssh_handle_key_exchange(p->s) != SSH_OK)
		return err_set(err, -1, "SSH key exchange failed: %s",
		    ssh_get_error(p->s));
	if ((ev = ssh_event_new()) == NULL ||
	    ssh_event_add_session(ev, p->s) != SSH_OK) {
		if (ev != NULL)
			ssh_event_free(ev);
		return err_set(err, -1, "out of memory");
	}
	while (p->ch == NULL || !p->netconf) {
		if (chssh_late(&deadline)) {
			err_set(err, -1, "no SSH session within %d s",
			    CHSSH_IO_TIMEOUT_S);
			goto done;
		}
		if (p->refused >= CHSSH_AUTH_TRIES) {
			err_set(err, -1, "SSH authentication refused (user %s, "
			    "--ssh-authorized-keys)", chssh_user);
			goto done;
		}
		mono_now(&now);
		chssh_send_timeout(p->s, ms_between(now, deadline));
		if (ssh_event_dopoll(ev, CHSSH_POLL_MS) == SSH_ERROR ||
		    !ssh_is_connected(p->s)) {
			err_set(err, -1, "SSH handshake: %s",
			    *ssh_get_error(p->s) ? ssh_get_error(p->s) :
			    "closed by the receiver");
			goto done;
		}
	}
	rc = 0;
done:
	ssh_event_remove_session(ev, p->s);
	ssh_event_free(ev);
	return rc;
}

/* Write all of buf to fd.  0 or -1. */
static int
chssh_write_all(int fd, const char *buf, size_t len)
{
	ssize_t m;
	size_t off;

	for (off = 0; off < len; off += (size_t)m)
		if ((m = write(fd, buf + off, len - off)) <= 0) {
			if (m == -1 && errno == EINTR) {
				m = 0;
				continue;
			}
			return -1;
		}
	return 0;
}

/*
 * Move bytes between the channel and the socketpair until either side
 * closes; then free everything.
 */
static void *
chssh_pump_run(void *arg)
{
	struct chssh_pump *p = arg;
	struct pollfd pf[2];
	char buf[16384];
	int n;

	pf[0].fd = ssh_get_fd(p->s);
	pf[1].fd = p->pair;
	pf[0].events = pf[1].events = POLLIN;
	for (;;) {
		/* Reads what the socket holds, never waits. */
		n = ssh_channel_read_nonblocking(p->ch, buf, sizeof(buf), 0);
		if (n > 0) {
			if (chssh_write_all(p->pair, buf, (size_t)n) != 0)
				break;
			continue;
		}
		if (n < 0 || ssh_channel_is_eof(p->ch) ||
		    ssh_channel_is_closed(p->ch))
			break;
		if (poll(pf, 2, CHSSH_POLL_MS) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if ((n = (int)read(p->pair, buf, sizeof(buf))) <= 0)
				break;
			/* Blocking: waits for the receiver's window. */
			if (ssh_channel_write(p->ch, buf, (uint32_t)n) != n)
				break;
		}
	}
	ssh_channel_close(p->ch);
	ssh_channel_free(p->ch);
	ssh_disconnect(p->s);	/* closes the socket */
	ssh_free(p->s);
	close(p->pair);
	free(p);
	return NULL;
}

/*
 * Be the SSH server on fd, a connection dialled to a receiver: when the
 * receiver's user is in and its netconf subsystem open, start a pump
 * thread between the channel and pair, which then owns pair.  fd is
 * taken (closed on failure).  The NETCONF user goes to user.  0, or -1
 * (pair not taken).
 */
int
callhome_ssh_connect(int fd, int pair, char *user, size_t cap,
    struct riv_err *err)
{
	long timeout = CHSSH_IO_TIMEOUT_S;
	struct chssh_pump *p;
	pthread_t tid;

	if (chssh_bind == NULL || (p = calloc(1, sizeof(*p))) == NULL) {
		close(fd);
		return err_set(err, -1, chssh_bind == NULL ? "call home over "
		    "SSH needs --ssh-host-key and --ssh-authorized-keys" :
		    "out of memory");
	}
	if ((p->s = ssh_new()) == NULL) {
		free(p);
		close(fd);
		return err_set(err, -1, "out of memory");
	}
	p->pair = pair;
	p->scb.userdata = p;
	p->scb.auth_pubkey_function = chssh_auth_cb;
	p->scb.channel_open_request_session_function = chssh_channel_cb;
	ssh_callbacks_init(&p->scb);
	p->ccb.userdata = p;
	p->ccb.channel_subsystem_request_function = chssh_subsystem_cb;
	ssh_callbacks_init(&p->ccb);
	if (ssh_bind_accept_fd(chssh_bind, p->s, fd) != SSH_OK) {
		err_set(err, -1, "SSH: %s", ssh_get_error(chssh_bind));
		/* It may fail before it took fd. */
		if (ssh_get_fd(p->s) != fd)
			close(fd);
		goto fail;
	}
	ssh_options_set(p->s, SSH_OPTIONS_TIMEOUT, &timeout);
	ssh_set_auth_methods(p->s, SSH_AUTH_METHOD_PUBLICKEY);
	ssh_set_server_callbacks(p->s, &p->scb);
	if (chssh_handshake(p, err) != 0)
		goto fail;
	timeout = CHSSH_WRITE_TIMEOUT_S;
	ssh_options_set(p->s, SSH_OPTIONS_TIMEOUT, &timeout);
	chssh_send_timeout(p->s, CHSSH_WRITE_TIMEOUT_S * 1000);
	if (pthread_create(&tid, NULL, chssh_pump_run, p) != 0) {
		err_set(err, -1, "call home: cannot start a thread");
		goto fail;
	}
	pthread_detach(tid);
	snprintf(user, cap, "%s", chssh_user);
	return 0;
fail:
	if (p->ch != NULL)
		ssh_channel_free(p->ch);
	ssh_disconnect(p->s);	/* closes fd */
	ssh_free(p->s);
	free(p);
	return -1;
}
