/*
 * ncserver.h — helpers for the NETCONF servers of the project (rivd's
 * management server and riv-attester), on top of libnetconf2's server:
 * error replies, data replies through <get>/<get-config> filters, the
 * cert-to-name fingerprint of a CA, and OpenSSH authorized_keys files.
 *
 * libnetconf2 2.0.24 has one server per process with one libyang context;
 * ncs_init records that context for the functions below.
 */
#ifndef RIV_NCSERVER_H
#define RIV_NCSERVER_H

#include <stddef.h>
#include <stdint.h>

#include <nc_server.h>

#include "util.h"

#define NCS_AUTHKEYS_MAX	64	/* keys of one authorized_keys file */

/* The public keys of one authorized_keys file. */
struct ncs_keys {
	ssh_key		 keys[NCS_AUTHKEYS_MAX];
	size_t		 n;
};

void		 ncs_init(struct ly_ctx *);
int		 ncs_yang_library(struct lyd_node **);
struct nc_server_reply *ncs_error(NC_ERR, const char *, const char *,
		    const char *, ...) __attribute__((format(printf, 4, 5)));
struct nc_server_reply *ncs_sn_error(NC_ERR, const char *, const char *,
		    const char *, const char *);
struct nc_server_reply *ncs_libyang_error(void);
struct nc_server_reply *ncs_validate(struct lyd_node *,
		    const struct lyd_node *);
struct nc_server_reply *ncs_filter(const struct lyd_node *,
		    struct lyd_node **);
struct nc_server_reply *ncs_reply_data(struct lyd_node *, struct lyd_node *);
int		 ncs_fingerprint(const char *, char *, size_t,
		    struct riv_err *);
int		 ncs_keys_load(const char *, struct ncs_keys *,
		    struct riv_err *);
int		 ncs_keys_match(const struct ncs_keys *, ssh_key);
void		 ncs_keys_free(struct ncs_keys *);
int		 ncs_listen_tls(const char *, uint16_t, const char *,
		    const char *, const char *, struct riv_err *);
int		 ncs_listen_ssh(const char *, uint16_t, const char *,
		    int (*)(const struct nc_session *, ssh_key, void *),
		    struct riv_err *);
void		 ncs_free(void);
int		 ncs_session_socket(const struct nc_session *);
int		 ncs_guard(int, int);
void		 ncs_unguard(void);
void		 ncs_watchdog_stop(void);

#endif
