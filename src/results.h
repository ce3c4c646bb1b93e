/*
 * results.h — the event stream attestation-results of rivd's management
 * server: RFC 8639 dynamic subscriptions whose notifications are the
 * verdict changes the store records (manage.c's thread only).
 */
#ifndef RIV_RESULTS_H
#define RIV_RESULTS_H

struct lyd_node;
struct nc_session;
struct manage_db;

#define RESULTS_STREAM	"attestation-results"

struct nc_server_reply *results_rpc(struct lyd_node *, struct nc_session *,
		    int);
void		 results_session_gone(struct nc_session *);
void		 results_poll(struct manage_db *);
int		 results_streams(struct lyd_node **);
void		 results_free(void);

#endif
