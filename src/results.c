/*
 * results.c — the event stream attestation-results (RFC 8639 dynamic
 * subscriptions on rivd's management server): one riv-verifier
 * verdict-change notification per change of a stream's result, read from
 * the store's events, filtered by attester and result, with replay from a
 * start time out of the store (then replay-completed).
 *
 * Runs on the management thread only.  results_poll reads what the
 * writer committed since the last poll and sends it; a subscriber that
 * does not read for NOTIF_TIMEOUT_MS loses its subscription.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libyang/libyang.h>
#include <nc_server.h>

#include "rivd.h"
#include "manage.h"
#include "ncserver.h"
#include "results.h"

#define SN		"ietf-subscribed-notifications"
#define RV		"riv-verifier"
#define FILTERS_MAX	64	/* attesters named in one subscription */
#define NOTIF_TIMEOUT_MS 2000
#define POLL_CHANGES	1000	/* changes read per subscription and poll */
#define SUBS_MAX	64	/* subscriptions at once */
#define SESSION_SUBS_MAX 8	/* of one session */

/* One subscription to attestation-results. */
struct rsub {
	uint32_t	 id;
	struct nc_session *session;
	char		*attesters[FILTERS_MAX];
	size_t		 nattesters;
	unsigned	 results;	/* bit per verdict result; 0: any */
	int		 replay;	/* replay still to send */
	int64_t		 replay_from_us;
	int64_t		 replay_cursor;	/* last event id replayed */
	int64_t		 stop_us;	/* 0: none */
	int64_t		 cursor;	/* last event id sent; -1: not set */
	int64_t		 live_from;	/* first live event id is above */
	int		 dead;
	struct rsub	*next;
};

static struct rsub	*rsubs;
static uint32_t		 rs_next_id = 1;
static int64_t		 rs_started_us;

/* Free subscription r. */
static void
rsub_free(struct rsub *r)
{
	size_t i;

	for (i = 0; i < r->nattesters; i++)
		free(r->attesters[i]);
	free(r);
}

/* The bit of a verdict result name, 0 if unknown. */
static unsigned
result_bit(const char *name)
{
	int r = verdict_result_by_name(name);

	return r < 0 ? 0 : 1u << r;
}

/* Whether change c passes the filters of r. */
static int
rsub_wants(const struct rsub *r, const struct manage_change *c)
{
	size_t i;

	if (r->results != 0 && (r->results & result_bit(c->result)) == 0)
		return 0;
	if (r->nattesters == 0)
		return 1;
	for (i = 0; i < r->nattesters; i++)
		if (strcmp(r->attesters[i], c->attester) == 0)
			return 1;
	return 0;
}

/* Send notification n (consumed) stamped us to r's session; 0 or -1. */
static int
rsub_send(struct rsub *r, struct lyd_node *n, int64_t us)
{
	struct nc_server_notif *ntf;
	struct timespec ts;
	char *when = NULL;
	NC_MSG_TYPE m;

	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	if (ly_time_ts2str(&ts, &when) != LY_SUCCESS ||
	    (ntf = nc_server_notif_new(n, when, NC_PARAMTYPE_FREE)) == NULL) {
		free(when);
		lyd_free_all(n);
		return -1;
	}
	/* libnetconf2 writes without a deadline: the guard has one. */
	ncs_guard((int)(intptr_t)nc_session_get_data(r->session) - 1,
	    NOTIF_TIMEOUT_MS);
	m = nc_server_notif_send(r->session, ntf, NOTIF_TIMEOUT_MS);
	ncs_unguard();
	nc_server_notif_free(ntf);
	if (m != NC_MSG_NOTIF) {
		log_warnx("attestation-results subscription %u: the "
		    "subscriber does not read: subscription ended", r->id);
		r->dead = 1;
		return -1;
	}
	return 0;
}

/*
 * Send the RFC 8639 notification name (replay-completed, ...) of r, with
 * the reason identity if not NULL.
 */
static int
rsub_send_state(struct rsub *r, const char *name, const char *reason)
{
	const struct ly_ctx *ctx = nc_session_get_ctx(r->session);
	struct lyd_node *n = NULL;
	char id[16];

	snprintf(id, sizeof(id), "%u", r->id);
	if (lyd_new_inner(NULL, ly_ctx_get_module_implemented(ctx, SN), name,
	    0, &n) != LY_SUCCESS || lyd_new_term(n, NULL, "id", id, 0,
	    NULL) != LY_SUCCESS || (reason != NULL && lyd_new_term(n, NULL,
	    "reason", reason, 0, NULL) != LY_SUCCESS)) {
		lyd_free_all(n);
		return -1;
	}
	return rsub_send(r, n, now_us());
}

/* Add leaf name = value to n; 0 or -1. */
static int
add_leaf(struct lyd_node *n, const char *name, const char *value)
{
	return lyd_new_term(n, NULL, name, value, 0, NULL) == LY_SUCCESS ?
	    0 : -1;
}

/* The verdict-change notification of change c, or NULL. */
static struct lyd_node *
change_notif(const struct ly_ctx *ctx, const struct manage_change *c)
{
	struct lyd_node *n = NULL;
	struct timespec ts;
	char buf[32], codes[sizeof(c->codes)], *code, *save, *t = NULL;
	size_t i;
	int rc = 0;

	if (lyd_new_inner(NULL, ly_ctx_get_module_implemented(ctx, RV),
	    "verdict-change", 0, &n) != LY_SUCCESS)
		return NULL;
	rc |= add_leaf(n, "attester", c->attester);
	rc |= add_leaf(n, "stream", c->stream);
	if (c->tpm[0] != '\0')
		rc |= add_leaf(n, "tpm", c->tpm);
	rc |= add_leaf(n, "result", c->result);
	if (c->previous[0] != '\0')
		rc |= add_leaf(n, "previous-result", c->previous);
	snprintf(codes, sizeof(codes), "%s", c->codes);
	for (code = strtok_r(codes, ",", &save); code != NULL;
	    code = strtok_r(NULL, ",", &save))
		rc |= add_leaf(n, "code", code);
	for (i = 0; i < c->nreasons; i++)
		rc |= add_leaf(n, "reason", c->reasons[i]);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)c->sequence);
	rc |= add_leaf(n, "sequence", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)c->verdict_id);
	rc |= add_leaf(n, "verdict-id", buf);
	ts.tv_sec = c->time_us / 1000000;
	ts.tv_nsec = (c->time_us % 1000000) * 1000;
	if (ly_time_ts2str(&ts, &t) != LY_SUCCESS)
		rc = -1;
	else
		rc |= add_leaf(n, "time", t);
	free(t);
	if (c->posture[0] != '\0')
		rc |= add_leaf(n, "posture", c->posture);
	if (rc != 0) {
		lyd_free_all(n);
		return NULL;
	}
	return n;
}

/* What a scan of changes for one subscription needs. */
struct scan {
	struct rsub	*r;
	int64_t		 until;		/* stop after this event id; 0: no */
};

/* Send change c to the subscription of the scan if it wants it. */
static int
scan_change(const struct manage_change *c, void *arg)
{
	struct scan *sc = arg;
	struct lyd_node *n;

	if (sc->until != 0 && c->event_id > sc->until)
		return 1;
	if (!rsub_wants(sc->r, c))
		return 0;
	if ((n = change_notif(nc_session_get_ctx(sc->r->session), c)) ==
	    NULL) {
		log_warnx("attestation-results subscription %u: verdict %llu "
		    "cannot be made a notification: subscription ended",
		    sc->r->id, (unsigned long long)c->verdict_id);
		sc->r->dead = 1;
		return 1;
	}
	return rsub_send(sc->r, n, c->time_us) != 0;
}

/*
 * Send r the next page of its replay (changes from its start time up to
 * where its live part begins), and replay-completed after the last.
 */
static void
rsub_replay(struct manage_db *db, struct rsub *r)
{
	struct scan sc = { r, r->live_from };
	struct riv_err err;
	int64_t before = r->replay_cursor;

	if (r->live_from > r->replay_cursor && manage_changes(db,
	    r->replay_cursor, r->replay_from_us, POLL_CHANGES, scan_change, &sc,
	    &r->replay_cursor, &err) != 0) {
		log_warnx("attestation-results replay: %s", err.msg);
		r->dead = 1;
		return;
	}
	if (r->dead || (r->replay_cursor != before &&
	    r->replay_cursor < r->live_from))
		return;		/* more next time */
	r->replay = 0;
	rsub_send_state(r, "replay-completed", NULL);
}

/* Send r the changes committed since its cursor. */
static void
rsub_live(struct manage_db *db, struct rsub *r)
{
	struct scan sc = { r, 0 };
	struct riv_err err;

	if (manage_changes(db, r->cursor, 0, POLL_CHANGES, scan_change, &sc,
	    &r->cursor, &err) != 0)
		log_warnx("attestation-results: %s", err.msg);
}

/*
 * Send every subscription what the store committed since the last poll
 * (a new subscription starts with its replay); drop ended ones.
 */
void
results_poll(struct manage_db *db)
{
	struct rsub **rp, *r;
	struct riv_err err;
	int64_t last;

	if (rs_started_us == 0)
		rs_started_us = now_us();
	for (rp = &rsubs; (r = *rp) != NULL; ) {
		if (r->cursor == -1) {
			if (manage_last_event(db, &last, &err) != 0) {
				log_warnx("attestation-results: %s", err.msg);
				rp = &r->next;
				continue;
			}
			r->cursor = r->live_from = last;
		}
		if (r->replay)
			rsub_replay(db, r);
		else if (!r->dead)
			rsub_live(db, r);
		if (!r->dead && r->stop_us != 0 && now_us() >= r->stop_us) {
			rsub_send_state(r, "subscription-completed", NULL);
			r->dead = 1;
		}
		if (r->dead) {
			nc_session_dec_notif_status(r->session);
			*rp = r->next;
			rsub_free(r);
			continue;
		}
		rp = &r->next;
	}
}

/* Microseconds since 1970 of the date-and-time leaf path of rpc, or 0. */
static int64_t
rpc_time(const struct lyd_node *rpc, const char *path)
{
	struct lyd_node *n;
	struct timespec ts;

	if (lyd_find_path(rpc, path, 0, &n) != LY_SUCCESS ||
	    ly_time_str2ts(lyd_get_value(n), &ts) != LY_SUCCESS)
		return 0;
	return ts_us(&ts);
}

/* An establish-subscription error with RFC 8639 reason identity. */
static struct nc_server_reply *
establish_error(const char *reason, const char *msg)
{
	char id[128];

	snprintf(id, sizeof(id), SN ":%s", reason);
	return ncs_sn_error(NC_ERR_INVALID_VALUE,
	    "establish-subscription-stream-error-info", id, NULL, msg);
}

/* Take the filters of establish-subscription rpc into r; 0 or reply. */
static struct nc_server_reply *
establish_filters(const struct lyd_node *rpc, struct rsub *r)
{
	const struct lyd_node *c;
	const char *name;

	LY_LIST_FOR(lyd_child(rpc), c) {
		name = c->schema->name;
		if (strcmp(c->schema->module->name, SN) == 0 &&
		    (strcmp(name, "stream-subtree-filter") == 0 ||
		    strcmp(name, "stream-xpath-filter") == 0 ||
		    strcmp(name, "stream-filter-name") == 0))
			return establish_error("filter-unsupported", "filter "
			    "attestation-results with the riv-verifier "
			    "leaf-lists attester and result");
		if (strcmp(c->schema->module->name, SN) == 0 &&
		    strcmp(name, "encoding") == 0 &&
		    strstr(lyd_get_value(c), "encode-xml") == NULL)
			return establish_error("encoding-unsupported", "rivd "
			    "sends XML");
		if (strcmp(c->schema->module->name, RV) != 0)
			continue;
		if (strcmp(name, "result") == 0)
			r->results |= result_bit(lyd_get_value(c));
		else if (strcmp(name, "attester") == 0) {
			if (r->nattesters == FILTERS_MAX)
				return ncs_error(NC_ERR_TOO_BIG, NULL, NULL,
				    "at most %d attesters per subscription",
				    FILTERS_MAX);
			if ((r->attesters[r->nattesters] =
			    strdup(lyd_get_value(c))) == NULL)
				return ncs_error(NC_ERR_OP_FAILED, NULL, NULL,
				    "out of memory");
			r->nattesters++;
		}
	}
	return NULL;
}

/* Answer establish-subscription of session s. */
static struct nc_server_reply *
establish(struct lyd_node *rpc, struct nc_session *s)
{
	struct nc_server_reply *e;
	struct lyd_node *out = NULL, *n;
	struct rsub *r;
	char id[16];
	int total, mine;

	if (lyd_find_path(rpc, "stream", 0, &n) != LY_SUCCESS ||
	    strcmp(lyd_get_value(n), RESULTS_STREAM) != 0)
		return establish_error("stream-unavailable", "rivd publishes "
		    "the stream " RESULTS_STREAM " only");
	for (r = rsubs, total = mine = 0; r != NULL; r = r->next) {
		total++;
		mine += r->session == s;
	}
	if (total >= SUBS_MAX || mine >= SESSION_SUBS_MAX)
		return ncs_error(NC_ERR_RES_DENIED, NULL, NULL, "at most %d "
		    "subscriptions to " RESULTS_STREAM " (%d per session)",
		    SUBS_MAX, SESSION_SUBS_MAX);
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((e = establish_filters(rpc, r)) != NULL) {
		rsub_free(r);
		return e;
	}
	r->session = s;
	r->cursor = -1;
	r->stop_us = rpc_time(rpc, "stop-time");
	if (lyd_find_path(rpc, "replay-start-time", 0, NULL) == LY_SUCCESS) {
		r->replay = 1;
		r->replay_from_us = rpc_time(rpc, "replay-start-time");
	}
	r->id = rs_next_id++;
	snprintf(id, sizeof(id), "%u", r->id);
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_path(out, NULL, "id", id, LYD_NEW_PATH_OUTPUT, NULL) !=
	    LY_SUCCESS) {
		lyd_free_all(out);
		rsub_free(r);
		return NULL;
	}
	nc_session_inc_notif_status(s);
	r->next = rsubs;
	rsubs = r;
	log_info("management session %u: attestation-results subscription "
	    "%u%s", nc_session_get_id(s), r->id, r->replay ? " with replay" :
	    "");
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/*
 * Answer delete-subscription (kill unset: the session's own) or
 * kill-subscription of session s.
 */
static struct nc_server_reply *
delete(struct lyd_node *rpc, struct nc_session *s, int kill)
{
	struct lyd_node *n;
	struct rsub *r;
	uint32_t id;

	if (lyd_find_path(rpc, "id", 0, &n) != LY_SUCCESS)
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, NULL, "no id");
	id = (uint32_t)strtoul(lyd_get_value(n), NULL, 10);
	for (r = rsubs; r != NULL; r = r->next)
		if (r->id == id && !r->dead && (kill || r->session == s))
			break;
	if (r == NULL)
		return ncs_sn_error(NC_ERR_INVALID_VALUE,
		    "delete-subscription-error-info",
		    SN ":no-such-subscription", NULL, kill ?
		    "no such subscription" : "no such subscription on this "
		    "session");
	if (kill && r->session != s)
		rsub_send_state(r, "subscription-terminated",
		    SN ":no-such-subscription");
	r->dead = 1;
	return nc_server_reply_ok();
}

/* Answer an RPC of ietf-subscribed-notifications from session s. */
struct nc_server_reply *
results_rpc(struct lyd_node *rpc, struct nc_session *s, int write)
{
	const char *name = rpc->schema->name;

	(void)write;
	if (strcmp(name, "establish-subscription") == 0)
		return establish(rpc, s);
	if (strcmp(name, "delete-subscription") == 0)
		return delete(rpc, s, 0);
	if (strcmp(name, "kill-subscription") == 0)
		return delete(rpc, s, 1);
	return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL, "%s is not "
	    "supported for " RESULTS_STREAM, name);
}

/* Session s closed: its subscriptions end with it. */
void
results_session_gone(struct nc_session *s)
{
	struct rsub **rp, *r;

	for (rp = &rsubs; (r = *rp) != NULL; ) {
		if (r->session == s) {
			*rp = r->next;
			rsub_free(r);
		} else
			rp = &r->next;
	}
}

/* Describe the stream under /sn:streams in *tree (for <get>). */
int
results_streams(struct lyd_node **tree)
{
	const struct ly_ctx *ctx;
	struct timespec ts;
	char *t = NULL;
	int rc = 0;

	if (*tree == NULL)
		return 0;
	ctx = LYD_CTX(*tree);
	ts.tv_sec = rs_started_us / 1000000;
	ts.tv_nsec = 0;
	if (ly_time_ts2str(&ts, &t) != LY_SUCCESS)
		return -1;
	if (lyd_new_path(*tree, ctx, "/" SN ":streams/stream[name='"
	    RESULTS_STREAM "']/description", "Verdict changes of rivd's "
	    "attesters (riv-verifier:verdict-change).", 0, NULL) !=
	    LY_SUCCESS || lyd_new_path(*tree, ctx, "/" SN ":streams/stream"
	    "[name='" RESULTS_STREAM "']/replay-support", NULL, 0, NULL) !=
	    LY_SUCCESS || lyd_new_path(*tree, ctx, "/" SN ":streams/stream"
	    "[name='" RESULTS_STREAM "']/replay-log-creation-time", t, 0,
	    NULL) != LY_SUCCESS)
		rc = -1;
	free(t);
	return rc;
}

/* Free every subscription (the sessions are gone). */
void
results_free(void)
{
	struct rsub *r;

	while ((r = rsubs) != NULL) {
		rsubs = r->next;
		rsub_free(r);
	}
}
