/*
 * writer.c — one write transaction of the verdict store: a batch of queued
 * records stored between BEGIN IMMEDIATE and COMMIT with prepared
 * statements.  Runs on the writer thread only (store.c); knows nothing of
 * threads or queues.
 *
 * For each verdict record: the verdict, linked to the previous one of its
 * attester, stream and TPM (prev_id: the one posture names), the engine
 * state, the posture of its stream and, when
 * that changes, the attester's overall posture, each change logged in
 * events with the verdict's id (the overall change right after its
 * stream's, in the same transaction: its id is the next one).  For each
 * note: the attester's connection or a subscription's state, a change
 * logged in events.  A transaction that fails is rolled back whole, and
 * says whether its reason passes (a lock, a full disk) so that the store
 * tries it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* The prepared statements, by use. */
enum writer_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_INSERT_VERDICT,
	ST_PUT_STATE,
	ST_BUMP_POSTURE,
	ST_GET_POSTURE,
	ST_PUT_POSTURE,
	ST_STREAM_RESULTS,
	ST_GET_ATTESTER,
	ST_PUT_OVERALL,
	ST_PUT_CONNECTION,
	ST_ENSURE_ATTESTER,
	ST_GET_SUBSCRIPTION,
	ST_PUT_SUBSCRIPTION,
	ST_INSERT_EVENT,
	ST_COUNT
};

/* Their SQL, indexed by enum writer_stmt. */
static const char *const writer_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_INSERT_VERDICT] =
	    "INSERT INTO verdicts (attester, stream, tpm, subscription, "
	    "sequence, result, codes, reasons, nonce, pcr_digest, "
	    "received_us, committed_us, evidence, prev_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
	    "coalesce((SELECT verdict_id FROM posture WHERE attester = ?1 AND "
	    "stream = ?2 AND tpm = ?3), 0))",
	[ST_PUT_STATE] =
	    "INSERT INTO state (attester, stream, tpm, sequence, blob, "
	    "updated_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
	    "ON CONFLICT (attester, stream, tpm) DO UPDATE SET "
	    "sequence = excluded.sequence, blob = excluded.blob, "
	    "updated_us = excluded.updated_us",
	/* The common case: the stream's result does not change. */
	[ST_BUMP_POSTURE] =
	    "UPDATE posture SET verdict_id = ?5, "
	    "npass = npass + (result = 'pass'), "
	    "nfail = nfail + (result = 'fail'), "
	    "nerror = nerror + (result = 'error'), "
	    "nstale = nstale + (result = 'stale'), "
	    "nevidence = nevidence + ?6 "
	    "WHERE attester = ?1 AND stream = ?2 AND tpm = ?3 AND "
	    "result = ?4",
	[ST_GET_POSTURE] =
	    "SELECT result FROM posture "
	    "WHERE attester = ?1 AND stream = ?2 AND tpm = ?3",
	[ST_PUT_POSTURE] =
	    "INSERT INTO posture (attester, stream, tpm, result, since_us, "
	    "verdict_id, npass, nfail, nerror, nstale, nevidence) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?4 = 'pass', ?4 = 'fail', "
	    "?4 = 'error', ?4 = 'stale', ?7) "
	    "ON CONFLICT (attester, stream, tpm) DO UPDATE SET "
	    "result = excluded.result, since_us = excluded.since_us, "
	    "verdict_id = excluded.verdict_id, "
	    "npass = npass + excluded.npass, "
	    "nfail = nfail + excluded.nfail, "
	    "nerror = nerror + excluded.nerror, "
	    "nstale = nstale + excluded.nstale, "
	    "nevidence = nevidence + excluded.nevidence",
	/* The session pseudo-stream (malformed messages) never recovers
	 * by itself, so it does not weigh on the overall posture. */
	[ST_STREAM_RESULTS] =
	    "SELECT result FROM posture WHERE attester = ?1 AND "
	    "stream <> 'session'",
	[ST_GET_ATTESTER] =
	    "SELECT connection, posture FROM attesters WHERE name = ?1",
	[ST_PUT_OVERALL] =
	    "INSERT INTO attesters (name, posture, posture_since_us, "
	    "updated_us) VALUES (?1, ?2, ?3, ?3) "
	    "ON CONFLICT (name) DO UPDATE SET posture = excluded.posture, "
	    "posture_since_us = excluded.posture_since_us, "
	    "updated_us = excluded.updated_us",
	[ST_PUT_CONNECTION] =
	    "INSERT INTO attesters (name, connection, detail, "
	    "connection_since_us, updated_us) VALUES (?1, ?2, ?3, ?4, ?4) "
	    "ON CONFLICT (name) DO UPDATE SET "
	    "connection_since_us = CASE WHEN connection IS "
	    "excluded.connection THEN connection_since_us "
	    "ELSE excluded.connection_since_us END, "
	    "connection = excluded.connection, detail = excluded.detail, "
	    "updated_us = excluded.updated_us",
	[ST_ENSURE_ATTESTER] =
	    "INSERT INTO attesters (name, updated_us) VALUES (?1, ?2) "
	    "ON CONFLICT (name) DO NOTHING",
	[ST_GET_SUBSCRIPTION] =
	    "SELECT subscription, state FROM subscriptions "
	    "WHERE attester = ?1 AND stream = ?2",
	[ST_PUT_SUBSCRIPTION] =
	    "INSERT INTO subscriptions (attester, stream, subscription, "
	    "state, detail, since_us, updated_us) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) "
	    "ON CONFLICT (attester, stream) DO UPDATE SET "
	    "since_us = CASE WHEN subscription = excluded.subscription AND "
	    "state = excluded.state THEN since_us "
	    "ELSE excluded.since_us END, "
	    "subscription = excluded.subscription, state = excluded.state, "
	    "detail = excluded.detail, updated_us = excluded.updated_us",
	[ST_INSERT_EVENT] =
	    "INSERT INTO events (time_us, attester, stream, tpm, what, old, "
	    "new, detail, verdict_id) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

/* What the statements are for: the writer connection's. */
struct writer {
	sqlite3		*db;
	sqlite3_stmt	*st[ST_COUNT];
};

/* One row of events. */
struct event {
	int64_t		 time_us;
	const char	*attester;
	const char	*stream;	/* NULL: the attester as a whole */
	const char	*tpm;
	const char	*what;		/* posture, connection, subscription */
	const char	*old;		/* NULL: nothing before */
	const char	*new;
	const char	*detail;
	int64_t		 verdict_id;	/* posture: its cause; 0: NULL */
};

/* Prepare the statements on db, the writer's connection. */
int
writer_open(sqlite3 *db, struct writer **wp, struct riv_err *err)
{
	struct writer *w;
	int i;

	*wp = NULL;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	w->db = db;
	for (i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v3(db, writer_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL) != SQLITE_OK) {
			err_set(err, RIV_MALFORMED, "preparing \"%.40s\": %s",
			    writer_sql[i], sqlite3_errmsg(db));
			writer_close(w);
			return RIV_MALFORMED;
		}
	*wp = w;
	return RIV_OK;
}

/* Finalize the statements (not the connection); w may be NULL. */
void
writer_close(struct writer *w)
{
	int i;

	if (w == NULL)
		return;
	for (i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(w->st[i]);
	free(w);
}

/* Bind a string (NULL binds NULL); it must live until the reset. */
static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/*
 * Step a statement that returns no row, then reset it; 0, or -1 with
 * SQLite's reason in err.
 */
static int
run(struct writer *w, enum writer_stmt which, struct riv_err *err)
{
	sqlite3_stmt *st = w->st[which];

	if (sqlite3_step(st) != SQLITE_DONE) {
		err_set(err, RIV_MALFORMED, "%.40s: %s", writer_sql[which],
		    sqlite3_errmsg(w->db));
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

/*
 * Step a query for at most one row and copy its column col as text into
 * buf (len bytes; "" for NULL); 1 if a row came, 0 if none, -1 on error.
 */
static int
fetch_text(struct writer *w, enum writer_stmt which, int col, char *buf,
    size_t len, struct riv_err *err)
{
	sqlite3_stmt *st = w->st[which];
	const unsigned char *s;
	int rc;

	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s = sqlite3_column_text(st, col);
		snprintf(buf, len, "%s", s != NULL ? (const char *)s : "");
		sqlite3_reset(st);
		return 1;
	}
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return 0;
	}
	err_set(err, RIV_MALFORMED, "%.40s: %s", writer_sql[which],
	    sqlite3_errmsg(w->db));
	sqlite3_reset(st);
	return -1;
}

/* Insert one row of events. */
static int
put_event(struct writer *w, const struct event *ev, struct riv_err *err)
{
	sqlite3_stmt *st = w->st[ST_INSERT_EVENT];

	sqlite3_bind_int64(st, 1, ev->time_us);
	bind_text(st, 2, ev->attester);
	bind_text(st, 3, ev->stream);
	bind_text(st, 4, ev->tpm);
	bind_text(st, 5, ev->what);
	bind_text(st, 6, ev->old);
	bind_text(st, 7, ev->new);
	bind_text(st, 8, ev->detail != NULL ? ev->detail : "");
	if (ev->verdict_id != 0)
		sqlite3_bind_int64(st, 9, ev->verdict_id);
	else
		sqlite3_bind_null(st, 9);
	return run(w, ST_INSERT_EVENT, err);
}

/*
 * Recompute an attester's overall posture, the worst of its streams', and
 * record and log it if it changed; why names the stream that moved, id
 * the verdict that moved it.
 */
static int
put_overall(struct writer *w, const char *attester, int64_t time_us,
    const char *why, int64_t id, struct riv_err *err)
{
	sqlite3_stmt *st = w->st[ST_STREAM_RESULTS];
	const char *worst = NULL, *r;
	char old[STORE_NAME_MAX];
	struct event ev;
	int rc, have;

	bind_text(st, 1, attester);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = (const char *)sqlite3_column_text(st, 0);
		if (db_result_rank(r) > db_result_rank(worst))
			worst = verdict_result_name(verdict_result_by_name(r));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		err_set(err, RIV_MALFORMED, "posture of %s: %s", attester,
		    sqlite3_errmsg(w->db));
		return -1;
	}
	if (worst == NULL)
		return 0;
	bind_text(w->st[ST_GET_ATTESTER], 1, attester);
	if ((have = fetch_text(w, ST_GET_ATTESTER, 1, old, sizeof(old),
	    err)) == -1)
		return -1;
	if (have && strcmp(old, worst) == 0)
		return 0;
	st = w->st[ST_PUT_OVERALL];
	bind_text(st, 1, attester);
	bind_text(st, 2, worst);
	sqlite3_bind_int64(st, 3, time_us);
	if (run(w, ST_PUT_OVERALL, err) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.time_us = time_us;
	ev.attester = attester;
	ev.what = "posture";
	ev.old = have && old[0] != '\0' ? old : NULL;
	ev.new = worst;
	ev.detail = why;
	ev.verdict_id = id;
	return put_event(w, &ev, err);
}

/*
 * Count a verdict in its stream's posture; if the result changed, record
 * since when, log the change and update the attester's overall posture.
 */
static int
put_posture(struct writer *w, const struct store_rec *r, int64_t id,
    struct riv_err *err)
{
	const char *result = verdict_result_name(r->result);
	char old[STORE_NAME_MAX];
	sqlite3_stmt *st;
	struct event ev;
	int have;

	st = w->st[ST_BUMP_POSTURE];
	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->stream);
	bind_text(st, 3, r->tpm);
	bind_text(st, 4, result);
	sqlite3_bind_int64(st, 5, id);
	sqlite3_bind_int(st, 6, r->evidence);
	if (run(w, ST_BUMP_POSTURE, err) == -1)
		return -1;
	if (sqlite3_changes(w->db) == 1)
		return 0;
	st = w->st[ST_GET_POSTURE];
	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->stream);
	bind_text(st, 3, r->tpm);
	if ((have = fetch_text(w, ST_GET_POSTURE, 0, old, sizeof(old),
	    err)) == -1)
		return -1;
	st = w->st[ST_PUT_POSTURE];
	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->stream);
	bind_text(st, 3, r->tpm);
	bind_text(st, 4, result);
	sqlite3_bind_int64(st, 5, r->time_us);
	sqlite3_bind_int64(st, 6, id);
	sqlite3_bind_int(st, 7, r->evidence);
	if (run(w, ST_PUT_POSTURE, err) == -1)
		return -1;
	memset(&ev, 0, sizeof(ev));
	ev.time_us = r->time_us;
	ev.attester = r->attester;
	ev.stream = r->stream;
	ev.tpm = r->tpm;
	ev.what = "posture";
	ev.old = have ? old : NULL;
	ev.new = result;
	ev.detail = r->codes;
	ev.verdict_id = id;
	if (put_event(w, &ev, err) == -1)
		return -1;
	return put_overall(w, r->attester, r->time_us, r->stream, id, err);
}

/* Store the engine state that came with a verdict. */
static int
put_state(struct writer *w, const struct store_rec *r, int64_t now,
    struct riv_err *err)
{
	sqlite3_stmt *st = w->st[ST_PUT_STATE];

	bind_text(st, 1, r->st_attester);
	bind_text(st, 2, r->st_stream);
	bind_text(st, 3, r->st_tpm);
	sqlite3_bind_int64(st, 4, (int64_t)r->st_sequence);
	if (r->blob != NULL)
		sqlite3_bind_blob64(st, 5, r->blob, r->blob_len,
		    SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 5);
	sqlite3_bind_int64(st, 6, now);
	return run(w, ST_PUT_STATE, err);
}

/* Store a verdict record: the verdict, then its state and posture. */
static int
put_verdict(struct writer *w, const struct store_rec *r, int64_t now,
    struct writer_counts *c, struct riv_err *err)
{
	sqlite3_stmt *st = w->st[ST_INSERT_VERDICT];
	int64_t id;

	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->stream);
	bind_text(st, 3, r->tpm);
	sqlite3_bind_int64(st, 4, r->subscription);
	sqlite3_bind_int64(st, 5, (int64_t)r->sequence);
	bind_text(st, 6, verdict_result_name(r->result));
	bind_text(st, 7, r->codes);
	bind_text(st, 8, r->reasons);
	bind_text(st, 9, r->nonce);
	bind_text(st, 10, r->pcr_digest);
	sqlite3_bind_int64(st, 11, r->time_us);
	sqlite3_bind_int64(st, 12, now);
	sqlite3_bind_int(st, 13, r->evidence);
	if (run(w, ST_INSERT_VERDICT, err) == -1)
		return -1;
	c->items++;
	id = sqlite3_last_insert_rowid(w->db);
	if (r->has_state && put_state(w, r, now, err) == -1)
		return -1;
	return put_posture(w, r, id, err);
}

/* Record an attester's connection state; log a change. */
static int
put_connection(struct writer *w, const struct store_rec *r,
    struct riv_err *err)
{
	char old[STORE_NAME_MAX];
	sqlite3_stmt *st;
	struct event ev;
	int have;

	bind_text(w->st[ST_GET_ATTESTER], 1, r->attester);
	if ((have = fetch_text(w, ST_GET_ATTESTER, 0, old, sizeof(old),
	    err)) == -1)
		return -1;
	st = w->st[ST_PUT_CONNECTION];
	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->state);
	bind_text(st, 3, r->detail);
	sqlite3_bind_int64(st, 4, r->time_us);
	if (run(w, ST_PUT_CONNECTION, err) == -1)
		return -1;
	if (have && old[0] != '\0' && strcmp(old, r->state) == 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.time_us = r->time_us;
	ev.attester = r->attester;
	ev.what = "connection";
	ev.old = have && old[0] != '\0' ? old : NULL;
	ev.new = r->state;
	ev.detail = r->detail;
	return put_event(w, &ev, err);
}

/* Record a subscription's id and state; log a change. */
static int
put_subscription(struct writer *w, const struct store_rec *r,
    struct riv_err *err)
{
	char old[STORE_NAME_MAX + 16], new[STORE_NAME_MAX + 16];
	sqlite3_stmt *st = w->st[ST_GET_SUBSCRIPTION];
	struct event ev;
	int rc, have = 0;

	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->stream);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(old, sizeof(old), "%lld %s",
		    (long long)sqlite3_column_int64(st, 0),
		    (const char *)sqlite3_column_text(st, 1));
		have = 1;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		err_set(err, RIV_MALFORMED, "subscription of %s: %s",
		    r->attester, sqlite3_errmsg(w->db));
		return -1;
	}
	bind_text(w->st[ST_ENSURE_ATTESTER], 1, r->attester);
	sqlite3_bind_int64(w->st[ST_ENSURE_ATTESTER], 2, r->time_us);
	if (run(w, ST_ENSURE_ATTESTER, err) == -1)
		return -1;
	st = w->st[ST_PUT_SUBSCRIPTION];
	bind_text(st, 1, r->attester);
	bind_text(st, 2, r->stream);
	sqlite3_bind_int64(st, 3, r->subscription);
	bind_text(st, 4, r->state);
	bind_text(st, 5, r->detail);
	sqlite3_bind_int64(st, 6, r->time_us);
	if (run(w, ST_PUT_SUBSCRIPTION, err) == -1)
		return -1;
	snprintf(new, sizeof(new), "%lu %s", (unsigned long)r->subscription,
	    r->state);
	if (have && strcmp(old, new) == 0)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.time_us = r->time_us;
	ev.attester = r->attester;
	ev.stream = r->stream;
	ev.what = "subscription";
	ev.old = have ? old : NULL;
	ev.new = new;
	ev.detail = r->detail;
	return put_event(w, &ev, err);
}

/* Whether SQLite's result code rc names a reason that passes. */
static int
is_transient(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
		return 1;
	default:
		return 0;
	}
}

/*
 * Store n records in one transaction, now being the commit time of its
 * verdicts; count what was stored into c.  RIV_OK once committed, or
 * RIV_MALFORMED (rolled back: nothing stored) with the reason in err and
 * c->transient set if trying again later may succeed.
 */
int
writer_write(struct writer *w, struct store_rec *const *recs, size_t n,
    int64_t now, struct writer_counts *c, struct riv_err *err)
{
	const struct store_rec *r;
	size_t i;
	int rc = 0, transient;

	memset(c, 0, sizeof(*c));
	if (run(w, ST_BEGIN, err) == -1)
		goto fail;
	for (i = 0; i < n && rc == 0; i++) {
		r = recs[i];
		switch (r->kind) {
		case STORE_REC_VERDICT:
			rc = put_verdict(w, r, now, c, err);
			break;
		case STORE_REC_ATTESTER:
			rc = put_connection(w, r, err);
			c->notes++;
			break;
		case STORE_REC_SUBSCRIPTION:
			rc = put_subscription(w, r, err);
			c->notes++;
			break;
		}
	}
	if (rc == -1 || run(w, ST_COMMIT, err) == -1)
		goto fail;
	return RIV_OK;
fail:
	transient = is_transient(sqlite3_extended_errcode(w->db));
	if (!sqlite3_get_autocommit(w->db))
		sqlite3_step(w->st[ST_ROLLBACK]);
	sqlite3_reset(w->st[ST_ROLLBACK]);
	memset(c, 0, sizeof(*c));
	c->transient = transient;
	return RIV_MALFORMED;
}
