/*
 * db.c — the verdict store's SQLite connections and schema.
 *
 * The writer's connection (db_open) creates the database, switches it to
 * WAL and applies the numbered migrations below, by PRAGMA user_version,
 * in one transaction.  Readers (db_open_reader: store_load_state, rivctl)
 * open it read-only with query_only set; in WAL mode they never block the
 * writer, nor it them.
 *
 * Adding a migration: append its SQL to migrations[] (never edit one that
 * shipped), raise DB_VERSION in db.h, and change db/schema.sql to the
 * schema that results; tests/check_store.c compares the two.
 *
 * Also here: the store's vocabulary (result names) and its times, which
 * are microseconds since the epoch, shown as RFC 3339 in UTC.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "db.h"

/* migrations[v] takes the schema from version v to v + 1. */
static const char *const migrations[DB_VERSION] = {
	/* 1: the first schema. */
	"CREATE TABLE verdicts (\n"
	"	id		INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	attester	TEXT NOT NULL,\n"
	"	stream		TEXT NOT NULL,\n"
	"	tpm		TEXT NOT NULL DEFAULT '',\n"
	"	subscription	INTEGER NOT NULL,\n"
	"	sequence	INTEGER NOT NULL,\n"
	"	result		TEXT NOT NULL\n"
	"			CHECK (result IN ('pass', 'fail', 'error', "
	"'stale')),\n"
	"	codes		TEXT NOT NULL DEFAULT '',\n"
	"	reasons		TEXT NOT NULL DEFAULT '[]',\n"
	"	nonce		TEXT NOT NULL DEFAULT '',\n"
	"	pcr_digest	TEXT NOT NULL DEFAULT '',\n"
	"	received_us	INTEGER NOT NULL,\n"
	"	committed_us	INTEGER NOT NULL,\n"
	"	UNIQUE (attester, stream, tpm, subscription, sequence)\n"
	");\n"
	"CREATE INDEX verdicts_received ON verdicts (received_us);\n"
	"CREATE INDEX verdicts_result ON verdicts (result);\n"
	"CREATE TABLE state (\n"
	"	attester	TEXT NOT NULL,\n"
	"	stream		TEXT NOT NULL,\n"
	"	tpm		TEXT NOT NULL DEFAULT '',\n"
	"	sequence	INTEGER NOT NULL,\n"
	"	blob		BLOB,\n"
	"	updated_us	INTEGER NOT NULL,\n"
	"	PRIMARY KEY (attester, stream, tpm)\n"
	");\n"
	"CREATE TABLE posture (\n"
	"	attester	TEXT NOT NULL,\n"
	"	stream		TEXT NOT NULL,\n"
	"	tpm		TEXT NOT NULL DEFAULT '',\n"
	"	result		TEXT NOT NULL,\n"
	"	since_us	INTEGER NOT NULL,\n"
	"	verdict_id	INTEGER NOT NULL,\n"
	"	npass		INTEGER NOT NULL DEFAULT 0,\n"
	"	nfail		INTEGER NOT NULL DEFAULT 0,\n"
	"	nerror		INTEGER NOT NULL DEFAULT 0,\n"
	"	nstale		INTEGER NOT NULL DEFAULT 0,\n"
	"	PRIMARY KEY (attester, stream, tpm)\n"
	");\n"
	"CREATE TABLE attesters (\n"
	"	name		TEXT PRIMARY KEY,\n"
	"	connection	TEXT,\n"
	"	detail		TEXT NOT NULL DEFAULT '',\n"
	"	connection_since_us INTEGER,\n"
	"	posture		TEXT,\n"
	"	posture_since_us INTEGER,\n"
	"	updated_us	INTEGER NOT NULL\n"
	");\n"
	"CREATE TABLE subscriptions (\n"
	"	attester	TEXT NOT NULL,\n"
	"	stream		TEXT NOT NULL,\n"
	"	subscription	INTEGER NOT NULL,\n"
	"	state		TEXT NOT NULL,\n"
	"	detail		TEXT NOT NULL DEFAULT '',\n"
	"	since_us	INTEGER NOT NULL,\n"
	"	updated_us	INTEGER NOT NULL,\n"
	"	PRIMARY KEY (attester, stream)\n"
	");\n"
	"CREATE TABLE events (\n"
	"	id		INTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"	time_us		INTEGER NOT NULL,\n"
	"	attester	TEXT NOT NULL,\n"
	"	stream		TEXT,\n"
	"	tpm		TEXT,\n"
	"	what		TEXT NOT NULL\n"
	"			CHECK (what IN ('posture', 'connection', "
	"'subscription')),\n"
	"	old		TEXT,\n"
	"	new		TEXT NOT NULL,\n"
	"	detail		TEXT NOT NULL DEFAULT ''\n"
	");\n"
	"CREATE INDEX events_attester ON events (attester, id);\n",
	/*
	 * 2: verdicts that judge no notification (stale, malformed,
	 * foreign, a refused subscription) are never duplicates: the
	 * uniqueness of (attester, stream, tpm, subscription, sequence)
	 * holds for verdicts on evidence only.
	 */
	"ALTER TABLE verdicts RENAME TO verdicts_v1;\n"
	"CREATE TABLE verdicts (\n"
	"\tid\t\tINTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"\tattester\tTEXT NOT NULL,\n"
	"\tstream\t\tTEXT NOT NULL,\n"
	"\ttpm\t\tTEXT NOT NULL DEFAULT '',\n"
	"\tsubscription\tINTEGER NOT NULL,\n"
	"\tsequence\tINTEGER NOT NULL,\n"
	"\tresult\t\tTEXT NOT NULL\n"
	"\t\t\tCHECK (result IN ('pass', 'fail', 'error', 'stale')),\n"
	"\tcodes\t\tTEXT NOT NULL DEFAULT '',\n"
	"\treasons\t\tTEXT NOT NULL DEFAULT '[]',\n"
	"\tnonce\t\tTEXT NOT NULL DEFAULT '',\n"
	"\tpcr_digest\tTEXT NOT NULL DEFAULT '',\n"
	"\treceived_us\tINTEGER NOT NULL,\n"
	"\tcommitted_us\tINTEGER NOT NULL,\n"
	"\tevidence\tINTEGER NOT NULL DEFAULT 1 CHECK (evidence IN (0, 1))\n"
	");\n"
	"INSERT INTO verdicts (id, attester, stream, tpm, subscription, "
	"sequence, result, codes, reasons, nonce, pcr_digest, received_us, "
	"committed_us, evidence) SELECT id, attester, stream, tpm, "
	"subscription, sequence, result, codes, reasons, nonce, pcr_digest, "
	"received_us, committed_us, 1 FROM verdicts_v1;\n"
	"DROP TABLE verdicts_v1;\n"
	"CREATE UNIQUE INDEX verdicts_evidence ON verdicts\n"
	"\t(attester, stream, tpm, subscription, sequence) WHERE evidence = 1;\n"
	"CREATE INDEX verdicts_received ON verdicts (received_us);\n"
	"CREATE INDEX verdicts_result ON verdicts (result);\n",
	/*
	 * 3: the management server.  A posture change names the verdict
	 * that caused it; operations are audited; operators acknowledge an
	 * attester's verdicts.  Two partial indexes serve its reads: the
	 * attester's overall posture changes, and its verdicts that did
	 * not pass.  Evidence is one verdict per nonce too: a subscription
	 * id and sequence number come again when an attester restarts its
	 * ids, or a configured subscription is written anew.
	 */
	"DROP INDEX verdicts_evidence;\n"
	"CREATE UNIQUE INDEX verdicts_evidence ON verdicts\n"
	"\t(attester, stream, tpm, subscription, sequence, nonce)\n"
	"\tWHERE evidence = 1;\n"
	"ALTER TABLE events ADD COLUMN verdict_id INTEGER;\n"
	"CREATE INDEX events_overall ON events (attester, id)\n"
	"\tWHERE what = 'posture' AND stream IS NULL;\n"
	"CREATE INDEX verdicts_problems ON verdicts (attester, id)\n"
	"\tWHERE result <> 'pass';\n"
	"CREATE TABLE audit (\n"
	"\tid\t\tINTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"\ttime_us\t\tINTEGER NOT NULL,\n"
	"\tuser\t\tTEXT NOT NULL,\n"
	"\tsource\t\tTEXT NOT NULL DEFAULT '',\n"
	"\toperation\tTEXT NOT NULL,\n"
	"\tdetail\t\tTEXT NOT NULL DEFAULT '',\n"
	"\toutcome\t\tTEXT NOT NULL\n"
	");\n"
	"CREATE TABLE acknowledgements (\n"
	"\tid\t\tINTEGER PRIMARY KEY AUTOINCREMENT,\n"
	"\ttime_us\t\tINTEGER NOT NULL,\n"
	"\tuser\t\tTEXT NOT NULL,\n"
	"\tattester\tTEXT NOT NULL,\n"
	"\tverdict_id\tINTEGER NOT NULL,\n"
	"\tcomment\t\tTEXT NOT NULL DEFAULT ''\n"
	");\n"
	"CREATE INDEX acknowledgements_attester ON acknowledgements\n"
	"\t(attester, verdict_id);\n",
	/*
	 * 4: verdicts are indexed by result only when they did not pass.
	 * Every verdict paid for the whole index (an entry to insert, its
	 * pages to write), and it served only readers looking for results
	 * other than pass, which say "result <> 'pass'" to use this one.
	 */
	"DROP INDEX verdicts_result;\n"
	"CREATE INDEX verdicts_result ON verdicts (result)\n"
	"\tWHERE result <> 'pass';\n",
	/*
	 * 5: each verdict names the previous one of its attester, stream
	 * and TPM (prev_id; the chain starts at posture.verdict_id), and
	 * posture counts the verdicts on evidence.  verdicts_evidence is
	 * gone: ordered by source, it made every commit write one index
	 * page per attester, half of the writer's work; the chain serves
	 * the reads by attester it served, and the nonce chain, not the
	 * store, keeps a notification from being appraised twice
	 * (schema.sql).
	 */
	"ALTER TABLE verdicts ADD COLUMN prev_id INTEGER NOT NULL DEFAULT 0;\n"
	"UPDATE verdicts SET prev_id = c.prev FROM (SELECT id, lag(id, 1, 0) "
	"OVER (PARTITION BY attester, stream, tpm ORDER BY id) AS prev "
	"FROM verdicts) AS c WHERE c.id = verdicts.id AND c.prev <> 0;\n"
	"ALTER TABLE posture ADD COLUMN nevidence INTEGER NOT NULL DEFAULT 0;\n"
	"UPDATE posture SET nevidence = c.n FROM (SELECT attester, stream, "
	"tpm, count(*) AS n FROM verdicts WHERE evidence = 1 "
	"GROUP BY attester, stream, tpm) AS c WHERE c.attester = "
	"posture.attester AND c.stream = posture.stream AND "
	"c.tpm = posture.tpm;\n"
	"DROP INDEX verdicts_evidence;\n",
	/*
	 * 6: the CHECKs that named a list of values name each value
	 * instead.  SQLite 3.40 builds a temporary B-tree of the list for
	 * every row it checks "x IN (a, b, c, ...)" on: a seventh of the
	 * writer's work per verdict.  The expressions are equivalent, so
	 * the table definitions are edited in place (SQLite's procedure
	 * for changes that leave stored rows valid, "ALTER TABLE" 7):
	 * nothing is rewritten.  RESET reads the schema again; migrate()
	 * moves the schema cookie so that every other connection does too.
	 */
	"PRAGMA writable_schema = ON;\n"
	"UPDATE sqlite_schema SET sql = replace(sql, "
	"'CHECK (result IN (''pass'', ''fail'', ''error'', ''stale''))', "
	"'CHECK (result = ''pass'' OR result = ''fail'' OR "
	"result = ''error'' OR result = ''stale'')') "
	"WHERE type = 'table' AND name = 'verdicts';\n"
	"UPDATE sqlite_schema SET sql = replace(sql, "
	"'CHECK (what IN (''posture'', ''connection'', ''subscription''))', "
	"'CHECK (what = ''posture'' OR what = ''connection'' OR "
	"what = ''subscription'')') "
	"WHERE type = 'table' AND name = 'events';\n"
	"PRAGMA writable_schema = RESET;\n"
};

/* Result names, indexed by enum verdict_result; worst last but one. */
static const char *const result_names[] = { "pass", "fail", "error", "stale" };

/* What the header and schema of an open database say. */
struct identity {
	int	 app_id;
	int	 version;
	int	 objects;	/* rows of sqlite_schema */
};

/* Return the name of a result ("pass", "fail", "error", "stale"). */
const char *
verdict_result_name(enum verdict_result r)
{
	if ((unsigned)r >= sizeof(result_names) / sizeof(result_names[0]))
		return "unknown";
	return result_names[r];
}

/* Return the result a name stands for, or -1. */
int
verdict_result_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
		if (strcmp(name, result_names[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Return how bad a result is, for an attester's overall posture (the worst
 * of its streams'): pass 0, stale 1, error 2, fail 3; -1 if unknown.
 */
int
db_result_rank(const char *name)
{
	static const char *const ranked[] = { "pass", "stale", "error",
	    "fail" };
	size_t i;

	for (i = 0; i < sizeof(ranked) / sizeof(ranked[0]); i++)
		if (name != NULL && strcmp(name, ranked[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Fill err for a failure of SQLite on the database at path, with the
 * system's reason when the file could not be opened, read or written.
 */
static int
set_db_error(struct riv_err *err, sqlite3 *db, const char *path,
    const char *what)
{
	const char *sep = *what != '\0' ? ": " : "";
	int code, e;

	if (db == NULL)
		return err_set(err, RIV_MALFORMED, "%s: %s%sout of memory",
		    path, what, sep);
	code = sqlite3_errcode(db) & 0xff;
	e = sqlite3_system_errno(db);
	if ((code == SQLITE_CANTOPEN || code == SQLITE_IOERR) && e != 0)
		return err_set(err, RIV_MALFORMED, "%s: %s%s%s (%s)", path,
		    what, sep, sqlite3_errmsg(db), strerror(e));
	return err_set(err, RIV_MALFORMED, "%s: %s%s%s", path, what, sep,
	    sqlite3_errmsg(db));
}

/* Run SQL without results; RIV_OK, or RIV_MALFORMED with SQLite's reason. */
int
db_exec(sqlite3 *db, const char *sql, struct riv_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		err_set(err, RIV_MALFORMED, "%s",
		    msg != NULL ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return RIV_MALFORMED;
	}
	return RIV_OK;
}

/* Run a query whose first row's first column is an integer into *v. */
static int
query_int(sqlite3 *db, const char *sql, int *v)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/* Read the application id, schema version and object count. */
static int
read_identity(sqlite3 *db, struct identity *id)
{
	if (query_int(db, "PRAGMA application_id", &id->app_id) == -1 ||
	    query_int(db, "PRAGMA user_version", &id->version) == -1 ||
	    query_int(db, "SELECT count(*) FROM sqlite_schema",
	    &id->objects) == -1)
		return -1;
	return 0;
}

/*
 * Check that the database is rivd's (or empty, when empty_ok) and not of a
 * newer schema than this build knows.
 */
static int
check_identity(const char *path, const struct identity *id, int empty_ok,
    struct riv_err *err)
{
	if (id->app_id != 0 && id->app_id != DB_APPLICATION_ID)
		return err_set(err, RIV_MALFORMED, "%s: not a rivd database "
		    "(application_id 0x%08x)", path, (unsigned)id->app_id);
	if (id->version == 0 && id->objects > 0)
		return err_set(err, RIV_MALFORMED, "%s: not a rivd database "
		    "(tables but no schema version)", path);
	if (id->version == 0 && !empty_ok)
		return err_set(err, RIV_MALFORMED, "%s: no rivd schema yet "
		    "(rivd creates it)", path);
	if (id->version < 0 || id->version > DB_VERSION)
		return err_set(err, RIV_MALFORMED, "%s: schema version %d is "
		    "newer than this build knows (%d)", path, id->version,
		    DB_VERSION);
	return RIV_OK;
}

/*
 * Move the schema cookie on by one, so that every connection reads the
 * schema again before its next statement: a migration that edits
 * sqlite_schema itself (6) does not move it.
 */
static int
move_schema_cookie(sqlite3 *db, struct riv_err *err)
{
	char sql[64];
	int cookie;

	if (query_int(db, "PRAGMA schema_version", &cookie) == -1)
		return err_set(err, RIV_MALFORMED, "schema version: %s",
		    sqlite3_errmsg(db));
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %lld",
	    ((long long)cookie + 1) & 0x7fffffff);
	return db_exec(db, sql, err);
}

/*
 * Fail unless no CHECK names a list of values, as migration 6 leaves it:
 * its edits match the text the migrations before wrote, and a definition
 * written otherwise would keep its list under schema 6.
 */
static int
check_no_lists(sqlite3 *db, struct riv_err *err)
{
	int n = -1;

	if (query_int(db, "SELECT count(*) FROM sqlite_schema WHERE sql LIKE "
	    "'%CHECK (result IN (%' OR sql LIKE '%CHECK (what IN (%'", &n) ==
	    -1 || n != 0)
		return err_set(err, RIV_MALFORMED, "migration to schema "
		    "version 6: %s", n < 0 ? sqlite3_errmsg(db) : "a CHECK "
		    "on a list of values is not written as migration 6 knows "
		    "it");
	return RIV_OK;
}

/*
 * Bring the schema to DB_VERSION: the migrations from user_version on,
 * in one transaction that also sets user_version and application_id and
 * moves the schema cookie (every other connection reads the schema
 * again).  Defensive mode is off meanwhile: migration 6 edits
 * sqlite_schema.
 */
static int
migrate(sqlite3 *db, const char *path, struct riv_err *err)
{
	struct identity id;
	struct riv_err sub;
	char sql[96];
	int v, defensive = 0;

	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, -1, &defensive);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 0, (int *)NULL);
	if (db_exec(db, "BEGIN IMMEDIATE", &sub) != RIV_OK) {
		err_set(err, RIV_MALFORMED, "%s: %s", path, sub.msg);
		goto fail;
	}
	if (read_identity(db, &id) == -1) {
		set_db_error(err, db, path, "");
		goto fail;
	}
	if (check_identity(path, &id, 1, err) != RIV_OK)
		goto fail;
	for (v = id.version; v < DB_VERSION; v++)
		if (db_exec(db, migrations[v], &sub) != RIV_OK) {
			err_set(err, RIV_MALFORMED, "%s: migration to schema "
			    "version %d: %s", path, v + 1, sub.msg);
			goto fail;
		}
	if (id.version < 6 && check_no_lists(db, &sub) != RIV_OK) {
		err_set(err, RIV_MALFORMED, "%s: %s", path, sub.msg);
		goto fail;
	}
	if (id.version < DB_VERSION && move_schema_cookie(db, &sub) != RIV_OK) {
		err_set(err, RIV_MALFORMED, "%s: %s", path, sub.msg);
		goto fail;
	}
	snprintf(sql, sizeof(sql), "PRAGMA application_id = %d; "
	    "PRAGMA user_version = %d", DB_APPLICATION_ID, DB_VERSION);
	if (id.version < DB_VERSION && db_exec(db, sql, &sub) != RIV_OK) {
		err_set(err, RIV_MALFORMED, "%s: %s", path, sub.msg);
		goto fail;
	}
	if (db_exec(db, "COMMIT", &sub) != RIV_OK) {
		err_set(err, RIV_MALFORMED, "%s: %s", path, sub.msg);
		goto fail;
	}
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, defensive, (int *)NULL);
	return RIV_OK;
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, defensive, (int *)NULL);
	return RIV_MALFORMED;
}

/* Return the PRAGMA synchronous value s names (default FULL), or NULL. */
static const char *
synchronous_value(const char *s)
{
	static const char *const values[] = { "FULL", "NORMAL", "EXTRA" };
	size_t i;

	if (s == NULL || *s == '\0')
		return "FULL";
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (strcasecmp(s, values[i]) == 0)
			return values[i];
	return NULL;
}

/*
 * Open (create) the database at path for the writer: WAL, synchronous as
 * given (NULL: FULL; FULL, NORMAL or EXTRA), busy_timeout, the schema
 * migrated to DB_VERSION.  The parent directory must exist; every error
 * names the path.
 */
int
db_open(const char *path, const char *synchronous, sqlite3 **dbp,
    struct riv_err *err)
{
	const char *sync = synchronous_value(synchronous);
	struct identity id;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char sql[96];

	*dbp = NULL;
	if (sync == NULL)
		return err_set(err, RIV_MALFORMED, "synchronous \"%s\": "
		    "expected FULL, NORMAL or EXTRA", synchronous);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		set_db_error(err, db, path, "");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_BUSY_MS);
	/* Refuse another program's database before changing its mode. */
	if (read_identity(db, &id) == -1) {
		set_db_error(err, db, path, "");
		goto fail;
	}
	if (check_identity(path, &id, 1, err) != RIV_OK)
		goto fail;
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode = WAL", -1, &st,
	    NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		set_db_error(err, db, path, "journal_mode WAL");
		goto fail;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		err_set(err, RIV_MALFORMED, "%s: cannot use WAL (journal mode "
		    "stays %s)", path, sqlite3_column_text(st, 0));
		goto fail;
	}
	sqlite3_finalize(st);
	st = NULL;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s; "
	    "PRAGMA journal_size_limit = %d", sync, DB_JOURNAL_MAX);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		set_db_error(err, db, path, "");
		goto fail;
	}
	if (migrate(db, path, err) != RIV_OK)
		goto fail;
	*dbp = db;
	return RIV_OK;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return RIV_MALFORMED;
}

/*
 * Open the existing rivd database file at path with flags (SQLITE_OPEN_*;
 * a read-only one is query_only as well), with busy_timeout, and read
 * its identity into id: a missing file, another program's database and a
 * newer schema are errors naming the path.
 */
static int
open_existing(const char *path, int flags, sqlite3 **dbp,
    struct identity *id, struct riv_err *err)
{
	struct stat sb;
	sqlite3 *db = NULL;

	*dbp = NULL;
	if (stat(path, &sb) == -1)
		return err_set(err, RIV_MALFORMED, "%s: %s", path,
		    strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return err_set(err, RIV_MALFORMED, "%s: not a regular file",
		    path);
	if (sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		set_db_error(err, db, path, "");
		goto fail;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, DB_BUSY_MS);
	if (((flags & SQLITE_OPEN_READONLY) && sqlite3_exec(db,
	    "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) ||
	    read_identity(db, id) == -1) {
		set_db_error(err, db, path, "");
		goto fail;
	}
	if (check_identity(path, id, 0, err) != RIV_OK)
		goto fail;
	*dbp = db;
	return RIV_OK;
fail:
	sqlite3_close(db);
	return RIV_MALFORMED;
}

/*
 * Open an existing rivd database at path to read it: read-only and
 * query_only, with busy_timeout.  A missing file, another program's
 * database and a newer schema are errors naming the path.
 */
int
db_open_reader(const char *path, sqlite3 **dbp, struct riv_err *err)
{
	struct identity id;

	return open_existing(path, SQLITE_OPEN_READONLY, dbp, &id, err);
}

/*
 * Open an existing rivd database at path read-write, beside the writer's
 * connection (the management server's): busy_timeout, WAL, a schema of
 * version min at least (rivd migrates it when it opens the database) and
 * not newer than this build knows.  Errors name the path.
 */
int
db_open_existing(const char *path, int min, sqlite3 **dbp,
    struct riv_err *err)
{
	struct identity id;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	const unsigned char *mode;

	*dbp = NULL;
	if (open_existing(path, SQLITE_OPEN_READWRITE, &db, &id, err) !=
	    RIV_OK)
		return RIV_MALFORMED;
	if (id.version < min) {
		err_set(err, RIV_MALFORMED, "%s: schema version %d, %d at "
		    "least needed (rivd migrates it when it opens it)", path,
		    id.version, min);
		goto fail;
	}
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL) !=
	    SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		set_db_error(err, db, path, "journal_mode");
		goto fail;
	}
	mode = sqlite3_column_text(st, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		err_set(err, RIV_MALFORMED, "%s: journal mode %s, not WAL "
		    "(rivd sets it when it opens the database)", path,
		    mode != NULL ? (const char *)mode : "unknown");
		goto fail;
	}
	sqlite3_finalize(st);
	*dbp = db;
	return RIV_OK;
fail:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return RIV_MALFORMED;
}

/* Return the wall-clock time in microseconds since the epoch. */
int64_t
db_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Write a time as RFC 3339 in UTC into buf (DB_TIME_LEN bytes):
 * 2026-12-01T06:05:00Z, or with frac 2026-12-01T06:05:00.123456Z.
 */
void
db_time_format(int64_t us, int frac, char *buf)
{
	int64_t secs = us / 1000000, rest = us % 1000000;
	struct tm tm;
	time_t t;

	if (rest < 0) {
		rest += 1000000;
		secs--;
	}
	t = (time_t)secs;
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, DB_TIME_LEN, "@%lld", (long long)us);
		return;
	}
	if (frac)
		snprintf(buf, DB_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02d."
		    "%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)rest);
	else
		snprintf(buf, DB_TIME_LEN, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
}

/* Return the days from 1970-01-01 to a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Read exactly n decimal digits at *sp into *v; advance; -1 if not. */
static int
read_digits(const char **sp, int n, int *v)
{
	const char *s = *sp;
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	return 0;
}

/* Parse a relative time ("30s", "10m", "2h", "1d", "1w") before now. */
static int
parse_relative(const char *s, int64_t now_us, int64_t *us)
{
	const int64_t max_secs = INT64_C(10000) * 366 * 86400;
	static const struct {
		char	 unit;
		int64_t	 secs;
	} units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
		{ 'w', 604800 }
	};
	int64_t n = 0;
	size_t i, k;

	for (k = 0; s[k] >= '0' && s[k] <= '9'; k++) {
		if (k >= 9)
			return -1;
		n = n * 10 + (s[k] - '0');
	}
	if (k == 0 || s[k] == '\0' || s[k + 1] != '\0')
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (s[k] == units[i].unit) {
			if (n * units[i].secs > max_secs)
				return -1;	/* 10,000 years at most */
			*us = now_us - n * units[i].secs * 1000000;
			return 0;
		}
	return -1;
}

/*
 * Parse a time for --since: RFC 3339 (2026-12-01T06:05:00Z, with an
 * optional fraction and a numeric offset instead of Z), a date alone
 * (midnight UTC), or a span before now_us ("10m", "2h", "1d").  Store
 * microseconds since the epoch in *us; 0, or -1 if s is none of these.
 */
int
db_time_parse(const char *s, int64_t now_us, int64_t *us)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, sign, i;
	int64_t frac = 0, scale = 100000, days;

	if (parse_relative(s, now_us, us) == 0)
		return 0;
	if (read_digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    read_digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    read_digits(&s, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0))))
		return -1;
	days = days_from_civil(y, mo, d);
	if (*s == '\0') {
		*us = days * 86400 * 1000000;
		return 0;
	}
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (read_digits(&s, 2, &h) == -1 || *s++ != ':' ||
	    read_digits(&s, 2, &mi) == -1 || *s++ != ':' ||
	    read_digits(&s, 2, &sec) == -1)
		return -1;
	if (h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*s == '.') {
		for (s++, i = 0; *s >= '0' && *s <= '9'; s++, i++) {
			frac += (*s - '0') * scale;
			scale /= 10;
		}
		if (i == 0 || i > 9)
			return -1;
	}
	if ((*s == 'Z' || *s == 'z') && s[1] == '\0')
		oh = om = 0;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (read_digits(&s, 2, &oh) == -1 || *s++ != ':' ||
		    read_digits(&s, 2, &om) == -1 || *s != '\0' || oh > 23 ||
		    om > 59)
			return -1;
		oh *= sign;
		om *= sign;
	} else
		return -1;
	*us = ((days * 86400 + h * 3600 + mi * 60 + sec) -
	    (oh * 3600 + om * 60)) * 1000000 + frac;
	return 0;
}
