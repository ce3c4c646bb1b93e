/*
 * manage.c — the management server's connection to the verdict store
 * (manage.h): the audit trail, acknowledgements, an attester's state and
 * the verdict changes.
 *
 * The connection is its own, read-write, beside the writer thread's.  A
 * mutex serialises the threads that share a handle; each call resets its
 * statements before it returns, so no transaction outlives a call.  Reads
 * that must agree with each other (manage_attester_state) run in one
 * deferred transaction, the acknowledgement's read-then-insert in one
 * BEGIN IMMEDIATE.  Stored text is input like any other: copied with its
 * length bounded, reasons parsed as JSON and kept raw if they are not.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "json.h"
#include "manage.h"

/* The prepared statements, by use. */
enum manage_stmt {
	MS_BEGIN,
	MS_BEGIN_IMMEDIATE,
	MS_COMMIT,
	MS_ROLLBACK,
	MS_INSERT_AUDIT,
	MS_LATEST_VERDICT,
	MS_VERDICT_OWNER,
	MS_LAST_ACK,
	MS_COUNT_PROBLEMS,
	MS_INSERT_ACK,
	MS_ATTESTER,
	MS_STREAMS,
	MS_POSTURES,
	MS_SUBSCRIPTIONS,
	MS_NOTIFICATIONS,
	MS_GAPS,
	MS_RECONNECTS,
	MS_CHANGES,
	MS_LAST_EVENT,
	MS_COUNT
};

/* Their SQL, indexed by enum manage_stmt. */
static const char *const manage_sql[MS_COUNT] = {
	[MS_BEGIN] = "BEGIN",
	[MS_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
	[MS_COMMIT] = "COMMIT",
	[MS_ROLLBACK] = "ROLLBACK",
	[MS_INSERT_AUDIT] =
	    "INSERT INTO audit (time_us, user, source, operation, detail, "
	    "outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	/* Every verdict updates its stream's posture row. */
	[MS_LATEST_VERDICT] =
	    "SELECT max(verdict_id) FROM posture WHERE attester = ?1",
	[MS_VERDICT_OWNER] =
	    "SELECT attester FROM verdicts WHERE id = ?1",
	[MS_LAST_ACK] =
	    "SELECT max(verdict_id) FROM acknowledgements WHERE attester = ?1",
	/* "result <> 'pass'" as in the index verdicts_problems. */
	[MS_COUNT_PROBLEMS] =
	    "SELECT count(*) FROM verdicts WHERE attester = ?1 AND "
	    "result <> 'pass' AND id > ?2 AND id <= ?3",
	[MS_INSERT_ACK] =
	    "INSERT INTO acknowledgements (time_us, user, attester, "
	    "verdict_id, comment) VALUES (?1, ?2, ?3, ?4, ?5)",
	[MS_ATTESTER] =
	    "SELECT connection, detail, connection_since_us, posture, "
	    "posture_since_us FROM attesters WHERE name = ?1",
	[MS_STREAMS] =
	    "SELECT stream FROM posture WHERE attester = ?1 UNION "
	    "SELECT stream FROM subscriptions WHERE attester = ?1 "
	    "ORDER BY 1",
	[MS_POSTURES] =
	    "SELECT p.stream, p.result, p.since_us, p.verdict_id, "
	    "v.sequence, p.npass, p.nfail, p.nerror, p.nstale "
	    "FROM posture p LEFT JOIN verdicts v ON v.id = p.verdict_id "
	    "WHERE p.attester = ?1",
	[MS_SUBSCRIPTIONS] =
	    "SELECT stream, subscription, state FROM subscriptions "
	    "WHERE attester = ?1",
	/* Counted by the writer: there is no index of verdicts by attester. */
	[MS_NOTIFICATIONS] =
	    "SELECT stream, sum(nevidence) FROM posture "
	    "WHERE attester = ?1 GROUP BY stream",
	/* A gap makes a verdict fail (subscription.c): never a pass. */
	[MS_GAPS] =
	    "SELECT stream, count(*) FROM verdicts "
	    "WHERE attester = ?1 AND result <> 'pass' AND "
	    "instr(',' || codes || ',', ',gap,') > 0 GROUP BY stream",
	[MS_RECONNECTS] =
	    "SELECT count(*) FROM events WHERE attester = ?1 AND "
	    "what = 'connection' AND new = 'connected'",
	/*
	 * The overall posture right after a change: the overall change
	 * the same verdict caused (the writer logs it right after, so its
	 * id is the next one), else the latest overall change before, else
	 * the attester's posture.
	 */
	[MS_CHANGES] =
	    "SELECT e.id, e.time_us, e.attester, e.stream, e.tpm, e.new, "
	    "e.old, coalesce(v.codes, e.detail), v.reasons, v.sequence, "
	    "e.verdict_id, coalesce("
	    "(SELECT o.new FROM events o WHERE o.id = e.id + 1 AND "
	    "o.attester = e.attester AND o.what = 'posture' AND "
	    "o.stream IS NULL AND o.verdict_id IS e.verdict_id), "
	    "(SELECT o.new FROM events o WHERE o.attester = e.attester AND "
	    "o.what = 'posture' AND o.stream IS NULL AND o.id < e.id "
	    "ORDER BY o.id DESC LIMIT 1), "
	    "(SELECT a.posture FROM attesters a WHERE a.name = e.attester)) "
	    "FROM events e LEFT JOIN verdicts v ON v.id = e.verdict_id "
	    "WHERE e.id > ?1 AND e.what = 'posture' AND "
	    "e.stream IS NOT NULL AND e.time_us >= ?2 "
	    "ORDER BY e.id LIMIT ?3",
	[MS_LAST_EVENT] = "SELECT max(id) FROM events",
};

struct manage_db {
	char		*path;
	sqlite3		*db;
	sqlite3_stmt	*st[MS_COUNT];
	pthread_mutex_t	 lock;		/* one call at a time */
};

/*
 * Copy at most len - 1 bytes of s (n bytes, stopping at a NUL) into buf,
 * cut at a UTF-8 character boundary; s NULL copies "".
 */
static void
copy_text(char *buf, size_t len, const char *s, size_t n)
{
	if (s == NULL)
		n = 0;
	else
		n = strnlen(s, n);
	if (n >= len) {
		n = len - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	if (n > 0)
		memcpy(buf, s, n);
	buf[n] = '\0';
}

/* Copy a text column into buf (len bytes; "" for NULL). */
static void
copy_col(sqlite3_stmt *st, int i, char *buf, size_t len)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	copy_text(buf, len, s, s != NULL ?
	    (size_t)sqlite3_column_bytes(st, i) : 0);
}

/* Bind a string (NULL binds ""); it must live until the reset. */
static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s != NULL ? s : "", -1, SQLITE_STATIC);
}

/* Fill err with SQLite's reason for a failed statement. */
static int
stmt_error(struct manage_db *m, enum manage_stmt which, struct riv_err *err)
{
	return err_set(err, RIV_MALFORMED, "%s: %.40s: %s", m->path,
	    manage_sql[which], sqlite3_errmsg(m->db));
}

/* Step a statement that returns no row, then reset it; 0 or -1. */
static int
run(struct manage_db *m, enum manage_stmt which, struct riv_err *err)
{
	sqlite3_stmt *st = m->st[which];

	if (sqlite3_step(st) != SQLITE_DONE) {
		stmt_error(m, which, err);
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return -1;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return 0;
}

/*
 * Step a query for one integer (the first column of its first row) into
 * *v, 0 for NULL or no row, then reset it; 0 or -1.
 */
static int
fetch_i64(struct manage_db *m, enum manage_stmt which, int64_t *v,
    struct riv_err *err)
{
	sqlite3_stmt *st = m->st[which];
	int rc;

	*v = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(st, 0);
	else if (rc != SQLITE_DONE)
		stmt_error(m, which, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* End a failed call's transaction, if one is open. */
static void
rollback(struct manage_db *m)
{
	if (!sqlite3_get_autocommit(m->db))
		sqlite3_step(m->st[MS_ROLLBACK]);
	sqlite3_reset(m->st[MS_ROLLBACK]);
}

/* Open the management connection; see manage.h. */
int
manage_open(const char *path, struct manage_db **mp, struct riv_err *err)
{
	struct manage_db *m;
	int i;

	*mp = NULL;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return err_set(err, -1, "out of memory");
	pthread_mutex_init(&m->lock, NULL);
	if ((m->path = strdup(path)) == NULL) {
		err_set(err, -1, "out of memory");
		goto fail;
	}
	if (db_open_existing(path, MANAGE_VERSION_MIN, &m->db, err) != RIV_OK)
		goto fail;
	for (i = 0; i < MS_COUNT; i++)
		if (sqlite3_prepare_v3(m->db, manage_sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &m->st[i], NULL) != SQLITE_OK) {
			err_set(err, -1, "%s: preparing \"%.40s\": %s", path,
			    manage_sql[i], sqlite3_errmsg(m->db));
			goto fail;
		}
	*mp = m;
	return 0;
fail:
	manage_close(m);
	return -1;
}

/* Close the management connection; m may be NULL. */
void
manage_close(struct manage_db *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < MS_COUNT; i++)
		sqlite3_finalize(m->st[i]);
	sqlite3_close(m->db);
	pthread_mutex_destroy(&m->lock);
	free(m->path);
	free(m);
}

/* Record an operation in the audit trail; see manage.h. */
int
manage_audit(struct manage_db *m, const char *user, const char *source,
    const char *operation, const char *detail, const char *outcome,
    struct riv_err *err)
{
	sqlite3_stmt *st = m->st[MS_INSERT_AUDIT];
	size_t n = 0;
	int rc;

	if (detail != NULL) {
		n = strnlen(detail, MANAGE_DETAIL_MAX + 1);
		if (n > MANAGE_DETAIL_MAX) {
			n = MANAGE_DETAIL_MAX;
			while (n > 0 &&
			    ((unsigned char)detail[n] & 0xc0) == 0x80)
				n--;
		}
	}
	pthread_mutex_lock(&m->lock);
	sqlite3_bind_int64(st, 1, db_now_us());
	bind_text(st, 2, user);
	bind_text(st, 3, source);
	bind_text(st, 4, operation);
	sqlite3_bind_text(st, 5, detail != NULL ? detail : "", (int)n,
	    SQLITE_STATIC);
	bind_text(st, 6, outcome);
	rc = run(m, MS_INSERT_AUDIT, err);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

/*
 * Check that verdict id is one of attester's; 0, or -1 with a message
 * saying it is not (or SQLite's reason).
 */
static int
check_owner(struct manage_db *m, const char *attester, uint64_t id,
    struct riv_err *err)
{
	sqlite3_stmt *st = m->st[MS_VERDICT_OWNER];
	const char *owner;
	int rc, ok = 0;

	sqlite3_bind_int64(st, 1, (int64_t)id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		owner = (const char *)sqlite3_column_text(st, 0);
		ok = owner != NULL && strcmp(owner, attester) == 0;
	} else if (rc != SQLITE_DONE)
		stmt_error(m, MS_VERDICT_OWNER, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	if (!ok)
		return err_set(err, -1, "verdict %llu is not one of %s's "
		    "verdicts", (unsigned long long)id, attester);
	return 0;
}

/*
 * Count attester's verdicts other than pass after the last one it had
 * acknowledged, up to verdict upto, into *n; 0 or -1.
 */
static int
count_unacknowledged(struct manage_db *m, const char *attester,
    int64_t upto, int64_t *n, struct riv_err *err)
{
	sqlite3_stmt *st = m->st[MS_COUNT_PROBLEMS];
	int64_t last;

	bind_text(m->st[MS_LAST_ACK], 1, attester);
	if (fetch_i64(m, MS_LAST_ACK, &last, err) == -1)
		return -1;
	bind_text(st, 1, attester);
	sqlite3_bind_int64(st, 2, last);
	sqlite3_bind_int64(st, 3, upto);
	return fetch_i64(m, MS_COUNT_PROBLEMS, n, err);
}

/* Acknowledge an attester's verdicts; see manage.h. */
int
manage_acknowledge(struct manage_db *m, const char *user,
    const char *attester, uint64_t verdict_id, const char *comment,
    uint64_t *count, struct riv_err *err)
{
	sqlite3_stmt *st;
	int64_t id = (int64_t)verdict_id, n = 0;

	*count = 0;
	if (attester == NULL)
		return err_set(err, -1, "acknowledge: no attester");
	pthread_mutex_lock(&m->lock);
	if (run(m, MS_BEGIN_IMMEDIATE, err) == -1)
		goto fail;
	if (verdict_id == 0) {
		bind_text(m->st[MS_LATEST_VERDICT], 1, attester);
		if (fetch_i64(m, MS_LATEST_VERDICT, &id, err) == -1)
			goto fail;
		if (id == 0)
			goto done;	/* no verdicts: nothing to record */
	} else if (verdict_id > INT64_MAX) {
		err_set(err, -1, "verdict %llu is not one of %s's verdicts",
		    (unsigned long long)verdict_id, attester);
		goto fail;
	} else if (check_owner(m, attester, verdict_id, err) == -1)
		goto fail;
	if (count_unacknowledged(m, attester, id, &n, err) == -1)
		goto fail;
	st = m->st[MS_INSERT_ACK];
	sqlite3_bind_int64(st, 1, db_now_us());
	bind_text(st, 2, user);
	bind_text(st, 3, attester);
	sqlite3_bind_int64(st, 4, id);
	bind_text(st, 5, comment);
	if (run(m, MS_INSERT_ACK, err) == -1)
		goto fail;
done:
	if (run(m, MS_COMMIT, err) == -1)
		goto fail;
	pthread_mutex_unlock(&m->lock);
	*count = (uint64_t)n;
	return 0;
fail:
	rollback(m);
	pthread_mutex_unlock(&m->lock);
	return -1;
}

/* Return the stream of a named stream, or NULL. */
static struct manage_stream *
find_stream(struct manage_attester *a, const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < a->nstreams; i++)
		if (strcmp(a->streams[i].name, name) == 0)
			return &a->streams[i];
	return NULL;
}

/*
 * Bind the attester to a query, step through its rows and hand each to
 * fn with the stream its first column names (skipped if not listed);
 * then reset.  0 or -1.
 */
static int
each_stream_row(struct manage_db *m, enum manage_stmt which,
    const char *attester, struct manage_attester *a,
    void (*fn)(sqlite3_stmt *, struct manage_stream *),
    struct riv_err *err)
{
	sqlite3_stmt *st = m->st[which];
	struct manage_stream *s;
	int rc;

	bind_text(st, 1, attester);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((s = find_stream(a, (const char *)sqlite3_column_text(st,
		    0))) != NULL)
			fn(st, s);
	if (rc != SQLITE_DONE)
		stmt_error(m, which, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Fold one TPM's posture row into its stream. */
static void
add_posture(sqlite3_stmt *st, struct manage_stream *s)
{
	const char *r = (const char *)sqlite3_column_text(st, 1);
	int64_t since = sqlite3_column_int64(st, 2);
	uint64_t id = (uint64_t)sqlite3_column_int64(st, 3);
	int rank = db_result_rank(r), cur = db_result_rank(s->result);

	if (s->result[0] == '\0' || rank > cur) {
		copy_col(st, 1, s->result, sizeof(s->result));
		s->result_since_us = since;
	} else if (rank == cur && since < s->result_since_us)
		s->result_since_us = since;
	if (id > s->last_verdict_id) {
		s->last_verdict_id = id;
		s->last_sequence = (uint64_t)sqlite3_column_int64(st, 4);
	}
	s->npass += (uint64_t)sqlite3_column_int64(st, 5);
	s->nfail += (uint64_t)sqlite3_column_int64(st, 6);
	s->nerror += (uint64_t)sqlite3_column_int64(st, 7);
	s->nstale += (uint64_t)sqlite3_column_int64(st, 8);
}

/* Note a stream's subscription. */
static void
add_subscription(sqlite3_stmt *st, struct manage_stream *s)
{
	s->has_subscription = 1;
	s->subscription_id = (uint32_t)sqlite3_column_int64(st, 1);
	copy_col(st, 2, s->subscription_state, sizeof(s->subscription_state));
}

/* Note a stream's count of verdicts on evidence. */
static void
add_notifications(sqlite3_stmt *st, struct manage_stream *s)
{
	s->notifications = (uint64_t)sqlite3_column_int64(st, 1);
}

/* Note a stream's count of verdicts on a gap. */
static void
add_gaps(sqlite3_stmt *st, struct manage_stream *s)
{
	s->gaps = (uint64_t)sqlite3_column_int64(st, 1);
}

/* Read the attester's row and its streams' names into a. */
static int
read_attester(struct manage_db *m, const char *attester,
    struct manage_attester *a, struct riv_err *err)
{
	sqlite3_stmt *st = m->st[MS_ATTESTER];
	int rc;

	bind_text(st, 1, attester);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		copy_col(st, 0, a->connection, sizeof(a->connection));
		copy_col(st, 1, a->connection_detail,
		    sizeof(a->connection_detail));
		a->connection_since_us = sqlite3_column_int64(st, 2);
		copy_col(st, 3, a->posture, sizeof(a->posture));
		a->posture_since_us = sqlite3_column_int64(st, 4);
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		stmt_error(m, MS_ATTESTER, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -1;
	st = m->st[MS_STREAMS];
	bind_text(st, 1, attester);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
	    a->nstreams < MANAGE_STREAMS_MAX)
		copy_col(st, 0, a->streams[a->nstreams++].name,
		    sizeof(a->streams[0].name));
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		stmt_error(m, MS_STREAMS, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Read the state of one attester; see manage.h. */
int
manage_attester_state(struct manage_db *m, const char *attester,
    struct manage_attester *a, struct riv_err *err)
{
	int64_t n;

	memset(a, 0, sizeof(*a));
	if (attester == NULL)
		return err_set(err, -1, "attester state: no attester");
	pthread_mutex_lock(&m->lock);
	if (run(m, MS_BEGIN, err) == -1 ||
	    read_attester(m, attester, a, err) == -1 ||
	    each_stream_row(m, MS_POSTURES, attester, a, add_posture,
	    err) == -1 ||
	    each_stream_row(m, MS_SUBSCRIPTIONS, attester, a,
	    add_subscription, err) == -1 ||
	    each_stream_row(m, MS_NOTIFICATIONS, attester, a,
	    add_notifications, err) == -1 ||
	    each_stream_row(m, MS_GAPS, attester, a, add_gaps, err) == -1)
		goto fail;
	bind_text(m->st[MS_RECONNECTS], 1, attester);
	if (fetch_i64(m, MS_RECONNECTS, &n, err) == -1)
		goto fail;
	a->reconnects = n > 1 ? (uint64_t)n - 1 : 0;
	if (count_unacknowledged(m, attester, INT64_MAX, &n, err) == -1)
		goto fail;
	a->unacknowledged = (uint64_t)n;
	if (run(m, MS_COMMIT, err) == -1)
		goto fail;
	pthread_mutex_unlock(&m->lock);
	return 0;
fail:
	rollback(m);
	pthread_mutex_unlock(&m->lock);
	memset(a, 0, sizeof(*a));
	return -1;
}

/*
 * Read a stored reasons array into c; text that is not a JSON array of
 * strings becomes one reason, the raw text.  NULL (no verdict) or ""
 * gives none.
 */
static void
parse_reasons(const char *text, size_t len, struct manage_change *c)
{
	struct json *j;
	size_t i;

	c->nreasons = 0;
	if (text == NULL || len == 0)
		return;
	if ((j = json_parse(text, len, NULL)) == NULL ||
	    j->type != JSON_ARRAY)
		goto raw;
	for (i = 0; i < j->n; i++)
		if (j->items[i]->type != JSON_STRING)
			goto raw;
	for (i = 0; i < j->n && i < STORE_REASONS_MAX; i++)
		copy_text(c->reasons[i], sizeof(c->reasons[i]),
		    j->items[i]->str, j->items[i]->len);
	c->nreasons = i;
	json_free(j);
	return;
raw:
	json_free(j);
	copy_text(c->reasons[0], sizeof(c->reasons[0]), text, len);
	c->nreasons = 1;
}

/* Fill a change from the current row of the changes query. */
static void
read_change(sqlite3_stmt *st, struct manage_change *c)
{
	c->event_id = sqlite3_column_int64(st, 0);
	c->time_us = sqlite3_column_int64(st, 1);
	copy_col(st, 2, c->attester, sizeof(c->attester));
	copy_col(st, 3, c->stream, sizeof(c->stream));
	copy_col(st, 4, c->tpm, sizeof(c->tpm));
	copy_col(st, 5, c->result, sizeof(c->result));
	copy_col(st, 6, c->previous, sizeof(c->previous));
	copy_col(st, 7, c->codes, sizeof(c->codes));
	parse_reasons((const char *)sqlite3_column_text(st, 8),
	    (size_t)sqlite3_column_bytes(st, 8), c);
	c->sequence = (uint64_t)sqlite3_column_int64(st, 9);
	c->verdict_id = (uint64_t)sqlite3_column_int64(st, 10);
	copy_col(st, 11, c->posture, sizeof(c->posture));
}

/* Pass the verdict changes to cb; see manage.h. */
int
manage_changes(struct manage_db *m, int64_t after_id, int64_t since_us,
    size_t max, manage_change_cb cb, void *arg, int64_t *last_id,
    struct riv_err *err)
{
	sqlite3_stmt *st = m->st[MS_CHANGES];
	struct manage_change *c;
	int rc;

	*last_id = after_id;
	if ((c = malloc(sizeof(*c))) == NULL)
		return err_set(err, -1, "out of memory");
	pthread_mutex_lock(&m->lock);
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int64(st, 2, since_us != 0 ? since_us : INT64_MIN);
	sqlite3_bind_int64(st, 3, max != 0 && max < INT64_MAX ?
	    (int64_t)max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(c, 0, sizeof(*c));
		read_change(st, c);
		*last_id = c->event_id;
		if (cb(c, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE)
		stmt_error(m, MS_CHANGES, err);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	pthread_mutex_unlock(&m->lock);
	free(c);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Read the id of the newest event; see manage.h. */
int
manage_last_event(struct manage_db *m, int64_t *id, struct riv_err *err)
{
	int rc;

	pthread_mutex_lock(&m->lock);
	rc = fetch_i64(m, MS_LAST_EVENT, id, err);
	pthread_mutex_unlock(&m->lock);
	return rc;
}
