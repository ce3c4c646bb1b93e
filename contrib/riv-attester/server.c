/*
 * server.c — riv-attester's NETCONF server (libnetconf2): TLS and SSH
 * endpoints, accepting and polling sessions in the one thread, and
 * dispatching RPCs to the subscription code.  Every RPC is validated with
 * libyang against the operational data before it is acted on.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <libyang/libyang.h>
#include <nc_server.h>

#include "attester.h"

static struct nc_pollsession *server_ps;
static char *server_ssh_user;

static struct ncs_keys server_keys;

#define SERVER_INTERLEAVE "urn:ietf:params:netconf:capability:interleave:1.0"

/* The NETCONF user of session s, or NULL. */
static const char *
session_user(const struct nc_session *s)
{
	const char *u = nc_session_get_username(s);

	return u != NULL ? u : callhome_user(s);
}

/* Split "ADDR:PORT" or "[V6ADDR]:PORT" into addr (cap bytes) and port. */
static int
parse_listen(const char *s, char *addr, size_t cap, uint16_t *port,
    struct riv_err *err)
{
	const char *colon = strrchr(s, ':');
	char *end;
	long p;
	size_t n;

	if (colon == NULL)
		return err_set(err, -1, "listen address %s: no :PORT", s);
	p = strtol(colon + 1, &end, 10);
	if (*end != '\0' || p < 1 || p > 65535)
		return err_set(err, -1, "listen address %s: bad port", s);
	n = (size_t)(colon - s);
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		s++;
		n -= 2;
	}
	if (n == 0 || n >= cap)
		return err_set(err, -1, "listen address %s: bad address", s);
	memcpy(addr, s, n);
	addr[n] = '\0';
	*port = (uint16_t)p;
	return 0;
}

/* Set up the TLS endpoint. */
static int
tls_setup(const struct server_conf *c, struct riv_err *err)
{
	char addr[256];
	uint16_t port;

	if (parse_listen(c->tls_listen, addr, sizeof(addr), &port, err) != 0)
		return -1;
	return ncs_listen_tls(addr, port, c->tls_cert, c->tls_key, c->tls_ca,
	    err);
}

/* Accept a public key offered by user name if it is an authorized one. */
static int
ssh_pubkey_clb(const struct nc_session *session, ssh_key key, void *arg)
{
	const char *user = session_user(session);

	(void)arg;
	if (user == NULL || strcmp(user, server_ssh_user) != 0)
		return 1;
	return ncs_keys_match(&server_keys, key) ? 0 : 1;
}

/* Set up the SSH endpoint. */
static int
ssh_setup(const struct server_conf *c, struct riv_err *err)
{
	char addr[256];
	uint16_t port;

	if (parse_listen(c->ssh_listen, addr, sizeof(addr), &port, err) != 0 ||
	    ncs_keys_load(c->ssh_authorized_keys, &server_keys, err) != 0)
		return -1;
	if ((server_ssh_user = strdup(c->ssh_user ? c->ssh_user : "rivd")) ==
	    NULL)
		return err_set(err, -1, "out of memory");
	return ncs_listen_ssh(addr, port, c->ssh_host_key, ssh_pubkey_clb,
	    err);
}

/*
 * Answer <get> of user: the operational data, the configured
 * subscriptions without the seeds user may not read and the YANG library,
 * through the filter.
 */
static struct nc_server_reply *
rpc_get(struct lyd_node *rpc, const char *user)
{
	struct lyd_node *data = NULL;

	if ((att.oper != NULL && lyd_dup_siblings(att.oper, NULL,
	    LYD_DUP_RECURSIVE, &data) != LY_SUCCESS) ||
	    config_oper(&data) != 0 || ncs_yang_library(&data) != 0) {
		log_warnx("get: %s", ly_errmsg(att.ctx));
		lyd_free_all(data);
		return NULL;
	}
	config_hide_seeds(data, user);
	return ncs_reply_data(rpc, data);
}

/* Dispatch one RPC (libnetconf2's global callback). */
static struct nc_server_reply *
server_rpc(struct lyd_node *rpc, struct nc_session *session)
{
	const char *mod = rpc->schema->module->name;
	const char *name = rpc->schema->name;
	const char *user = session_user(session);
	struct nc_server_reply *r;

	log_debug("session %u: rpc %s:%s", nc_session_get_id(session), mod,
	    name);
	if (strcmp(mod, "ietf-subscribed-notifications") == 0) {
		if (strcmp(name, "establish-subscription") == 0)
			return ietf_is_stream(rpc) ? ietf_establish(rpc,
			    session) : sub_establish(rpc, session);
		if (strcmp(name, "modify-subscription") == 0)
			return sub_modify(rpc, session);
		if (strcmp(name, "delete-subscription") == 0)
			return (r = ietf_delete(rpc, session, 0)) != NULL ? r :
			    sub_delete(rpc, session, 0);
		if (strcmp(name, "kill-subscription") == 0)
			return (r = ietf_delete(rpc, session, 1)) != NULL ? r :
			    sub_delete(rpc, session, 1);
	} else if (strcmp(mod, "ietf-tpm-remote-attestation") == 0) {
		if (strcmp(name, "tpm20-challenge-response-attestation") == 0)
			return ietf_challenge(rpc);
		if (strcmp(name, "log-retrieval") == 0)
			return ietf_log_retrieval(rpc);
	} else if (strcmp(mod, "ietf-netconf") == 0) {
		if (strcmp(name, "get") == 0)
			return rpc_get(rpc, user);
		if (strcmp(name, "get-config") == 0)
			return config_get(rpc, user);
		if (strcmp(name, "edit-config") == 0)
			return config_edit(rpc, user);
		if (strcmp(name, "lock") == 0 || strcmp(name, "unlock") == 0)
			return nc_server_reply_ok();
	}
	return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
	    "%s:%s is not supported by riv-attester", mod, name);
}

/*
 * Start the NETCONF server on the configured endpoints.  Return 0 or -1.
 */
int
server_init(const struct server_conf *c, struct riv_err *err)
{
	if (nc_server_init(att.ctx) != 0)
		return err_set(err, -1, "cannot start libnetconf2");
	ncs_init(att.ctx);
	nc_server_set_capability(SERVER_INTERLEAVE);
	nc_set_global_rpc_clb(server_rpc);
	nc_server_set_hello_timeout(10);
	if (callhome_init(c, err) != 0 ||
	    (c->tls_listen != NULL && tls_setup(c, err) != 0) ||
	    (c->ssh_listen != NULL && ssh_setup(c, err) != 0))
		return -1;
	if ((server_ps = nc_ps_new()) == NULL)
		return err_set(err, -1, "out of memory");
	return 0;
}

/* End one session: its subscriptions go, then the session. */
void
server_end_session(struct nc_session *s)
{
	int fd;

	log_info("session %u (%s) closed", nc_session_get_id(s),
	    session_user(s) ? session_user(s) : "?");
	sub_session_gone(s);
	ietf_session_gone(s);
	fd = callhome_session_gone(s);
	nc_ps_del_session(server_ps, s);
	nc_session_free(s, NULL);
	if (fd != -1)
		close(fd);
}

/*
 * Remember fd as the socket (or socketpair end) of session s, so that a
 * send that stalls can be cut off (notify.c); kept as the session's data.
 */
void
server_note_fd(struct nc_session *s, int fd)
{
	nc_session_set_data(s, (void *)(intptr_t)(fd + 1));
}

/* Return the socket of session s, or -1 if unknown. */
int
server_session_fd(struct nc_session *s)
{
	return (int)(intptr_t)nc_session_get_data(s) - 1;
}

/* Poll a session made elsewhere (call home) with the others. */
void
server_add_session(struct nc_session *s)
{
	if (nc_ps_add_session(server_ps, s) != 0)
		log_warnx("session %u: cannot poll it", nc_session_get_id(s));
}

/*
 * Accept new sessions and answer RPCs, waiting at most timeout ms for
 * something to happen.
 */
void
server_poll(int timeout)
{
	struct nc_session *s = NULL;
	NC_MSG_TYPE m;
	int r, i, fd;

	m = nc_accept(0, &s);
	if (m == NC_MSG_HELLO) {
		log_info("session %u from %s (%s)", nc_session_get_id(s),
		    nc_session_get_host(s) ? nc_session_get_host(s) : "?",
		    session_user(s) ? session_user(s) :
		    "?");
		fd = ncs_session_socket(s);
		if (fd == -1)
			log_warnx("session %u: its socket is unknown: a client "
			    "that stops reading stalls the attester",
			    nc_session_get_id(s));
		server_note_fd(s, fd);
		if (nc_ps_add_session(server_ps, s) != 0)
			nc_session_free(s, NULL);
	} else if (m != NC_MSG_WOULDBLOCK && m != NC_MSG_ERROR)
		log_debug("accept: message type %d", m);
	if (nc_ps_session_count(server_ps) == 0) {
		poll(NULL, 0, timeout);
		return;
	}
	for (i = 0; i < 64; i++) {
		s = NULL;
		r = nc_ps_poll(server_ps, i == 0 ? timeout : 0, &s);
		if (r & (NC_PSPOLL_SESSION_TERM | NC_PSPOLL_SESSION_ERROR)) {
			if (s != NULL)
				server_end_session(s);
		} else if (r & NC_PSPOLL_SSH_CHANNEL) {
			log_debug("extra SSH channel ignored");
		}
		if (r & (NC_PSPOLL_TIMEOUT | NC_PSPOLL_NOSESSIONS |
		    NC_PSPOLL_ERROR))
			break;
	}
}

/* Close every session and stop the server. */
void
server_free(void)
{
	struct nc_session *s;

	if (server_ps != NULL) {
		while ((s = nc_ps_get_session(server_ps, 0)) != NULL)
			server_end_session(s);
		nc_ps_free(server_ps);
		server_ps = NULL;
	}
	callhome_free();
	nc_server_destroy();
	ncs_free();
	free(server_ssh_user);
	ncs_keys_free(&server_keys);
}
