/*
 * check_store.c — the verdict store (db/) on real SQLite files in a
 * temporary directory: schema and migrations (to schema 5: each source's
 * verdicts chained, verdicts_evidence gone; to 6: CHECKs without lists,
 * edited in place), group commit from two
 * threads, every verdict record stored (a key submitted twice too) and
 * chained to its source's previous one, backpressure (the queue's
 * capacity, its high- and low-water marks and the wake-up, a batch tried
 * again while another process holds the lock), engine state, posture and
 * events, a failed batch rolled back whole, and durability when the
 * process is killed with SIGKILL in the middle of committing; the
 * management server's side (manage.h): migration to schema 3, audit,
 * acknowledgements, attester state and verdict changes.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "json.h"
#include "manage.h"
#include "store.h"
#include "testutil.h"

/* 2026-12-01T06:05:00Z */
#define T0_US		INT64_C(1796105100000000)
#define SCHEMA_DUMP_MAX	(64 * 1024)

static const char *const streams[] = { "pcr-trust-evidence", "bios-log",
    "ima-log" };

/* A temporary directory and the database path inside it. */
struct tmpdb {
	char	dir[64];
	char	path[128];
};

/* What a commit callback saw. */
struct seen {
	pthread_mutex_t	 lock;
	uint64_t	*cookies;
	size_t		 n;
	size_t		 cap;
	size_t		 batches;
	size_t		 failed;
	size_t		 largest;	/* cookies in one call */
};

/* Make a temporary directory for one test's database. */
static void
tmpdb_make(struct tmpdb *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(t->dir));
	snprintf(t->path, sizeof(t->path), "%s/rivd.db", t->dir);
}

/* Remove the database, its WAL files and the directory. */
static void
tmpdb_remove(struct tmpdb *t)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
	    "-journal", ".ref", ".ref-wal", ".ref-shm", ".other" };
	char p[160];
	size_t i;

	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

/* Fill an item: a verdict and the state after it, with a blob. */
static void
fill_item(struct store_item *it, const char *attester, const char *stream,
    uint64_t seq, enum verdict_result r, uint64_t cookie)
{
	char blob[96];
	int n, i;

	memset(it, 0, sizeof(*it));
	snprintf(it->verdict.attester, STORE_NAME_MAX, "%s", attester);
	snprintf(it->verdict.stream, STORE_NAME_MAX, "%s", stream);
	it->verdict.subscription = 7;
	it->verdict.sequence = seq;
	it->verdict.result = r;
	if (r != VERDICT_PASS) {
		snprintf(it->verdict.codes, STORE_CODES_LEN, "nonce");
		snprintf(it->verdict.reasons[0], STORE_REASON_LEN,
		    "nonce mismatch at %" PRIu64, seq);
		it->verdict.nreasons = 1;
	}
	for (i = 0; i < 32; i++) {
		it->verdict.nonce[i] = (uint8_t)(seq + i);
		it->verdict.pcr_digest[i] = (uint8_t)(0xa0 + i);
	}
	it->verdict.nonce_len = it->verdict.pcr_digest_len = 32;
	it->verdict.received_us = T0_US + (int64_t)seq;
	snprintf(it->state.attester, STORE_NAME_MAX, "%s", attester);
	snprintf(it->state.stream, STORE_NAME_MAX, "%s", stream);
	it->state.sequence = seq;
	n = snprintf(blob, sizeof(blob), "state %s %s %" PRIu64, attester,
	    stream, seq);
	it->state.blob = malloc((size_t)n);
	ck_assert_ptr_nonnull(it->state.blob);
	memcpy(it->state.blob, blob, (size_t)n);
	it->state.blob_len = (size_t)n;
	it->cookie = cookie;
}

/* Sleep for ms milliseconds. */
static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Submit an item, waiting while the queue is full. */
static void
submit_wait(struct store *s, struct store_item *it)
{
	struct timespec ts = { 0, 100000 };

	while (store_submit(s, it) == -1) {
		ck_assert_int_eq(errno, EAGAIN);
		nanosleep(&ts, NULL);
	}
}

/* Commit callback: record the cookies reported. */
static void
seen_cb(const uint64_t *cookies, size_t n, int ok, void *arg)
{
	struct seen *sn = arg;

	pthread_mutex_lock(&sn->lock);
	if (!ok)
		sn->failed += n;
	else {
		if (sn->n + n > sn->cap) {
			sn->cap = (sn->n + n) * 2;
			sn->cookies = realloc(sn->cookies,
			    sn->cap * sizeof(*sn->cookies));
		}
		memcpy(sn->cookies + sn->n, cookies, n * sizeof(*cookies));
		sn->n += n;
	}
	sn->batches++;
	if (n > sn->largest)
		sn->largest = n;
	pthread_mutex_unlock(&sn->lock);
}

/* Start recording commits. */
static void
seen_init(struct seen *sn)
{
	memset(sn, 0, sizeof(*sn));
	pthread_mutex_init(&sn->lock, NULL);
}

/* Stop recording commits. */
static void
seen_free(struct seen *sn)
{
	free(sn->cookies);
	pthread_mutex_destroy(&sn->lock);
}

/* Open the store or fail the test with its reason. */
static struct store *
open_store(const char *path, const char *sync)
{
	struct riv_err err = { "" };
	struct store *s = NULL;

	ck_assert_msg(store_open(path, sync, &s, &err) == RIV_OK,
	    "store_open: %s", err.msg);
	return s;
}

/* Start the writer or fail the test with its reason. */
static void
start_store(struct store *s, size_t batch, unsigned linger,
    struct seen *sn)
{
	struct riv_err err = { "" };

	ck_assert_msg(store_start(s, batch, linger, sn != NULL ? seen_cb :
	    NULL, sn, &err) == RIV_OK, "store_start: %s", err.msg);
}

/* Open a plain connection to check what the store wrote. */
static sqlite3 *
open_raw(const char *path)
{
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

/* Run a query for one integer (the first column of the first row). */
static int64_t
query_i64(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Run a query for one string into buf ("" for NULL). */
static void
query_text(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	const unsigned char *s;
	sqlite3_stmt *st;

	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	s = sqlite3_column_text(st, 0);
	snprintf(buf, len, "%s", s != NULL ? (const char *)s : "");
	sqlite3_finalize(st);
}

/*
 * Append SQL to out with comments removed and white space reduced to what
 * separates words, so two texts of the same statement compare equal.
 */
static void
normalize_sql(const char *s, char *out, size_t len)
{
	size_t o = strlen(out);
	int space = 0, quote = 0;
	char prev = ' ';

	for (; *s != '\0' && o + 2 < len; s++) {
		if (!quote && s[0] == '-' && s[1] == '-') {
			while (*s != '\0' && *s != '\n')
				s++;
			space = 1;
			if (*s == '\0')
				break;
			continue;
		}
		if (!quote && (*s == ' ' || *s == '\t' || *s == '\n' ||
		    *s == '\r')) {
			space = 1;
			continue;
		}
		if (*s == '\'')
			quote = !quote;
		if (space && strchr("(),;", prev) == NULL &&
		    strchr("(),;", *s) == NULL)
			out[o++] = ' ';
		space = 0;
		out[o++] = *s;
		prev = *s;
	}
	out[o] = '\0';
}

/* Write db's schema, normalized, and its header values into out. */
static void
dump_schema(sqlite3 *db, char *out, size_t len)
{
	sqlite3_stmt *st;
	const char *sql;

	snprintf(out, len, "application_id %lld user_version %lld\n",
	    (long long)query_i64(db, "PRAGMA application_id"),
	    (long long)query_i64(db, "PRAGMA user_version"));
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, "
	    "sql FROM sqlite_schema ORDER BY type, name", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(out + strlen(out), len - strlen(out), "%s %s %s: ",
		    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
		    sqlite3_column_text(st, 2));
		sql = (const char *)sqlite3_column_text(st, 3);
		normalize_sql(sql != NULL ? sql : "", out, len);
		snprintf(out + strlen(out), len - strlen(out), "\n");
	}
	sqlite3_finalize(st);
	ck_assert_uint_lt(strlen(out), len - 1);
}

/* Read db/schema.sql from the source tree. */
static char *
read_schema_sql(void)
{
	const char *src = getenv("RIV_SRCDIR");
	struct riv_err err;
	char path[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len;

	snprintf(path, sizeof(path), "%s/db/schema.sql",
	    src != NULL && *src != '\0' ? src : ".");
	ck_assert_msg(file_read(path, 1 << 20, &buf, &len, &err) == RIV_OK,
	    "%s", err.msg);
	return (char *)buf;
}

/*
 * Check that migrated database db (at path; closed here) has the schema
 * db/schema.sql makes, in a database beside it.
 */
static void
check_schema_sql(sqlite3 *db, const char *path)
{
	char *a, *b, *sql, ref[PATH_MAX];

	a = calloc(1, SCHEMA_DUMP_MAX);
	b = calloc(1, SCHEMA_DUMP_MAX);
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	dump_schema(db, a, SCHEMA_DUMP_MAX);
	sqlite3_close(db);
	snprintf(ref, sizeof(ref), "%s.ref", path);
	sql = read_schema_sql();
	db = open_raw(ref);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	dump_schema(db, b, SCHEMA_DUMP_MAX);
	sqlite3_close(db);
	if (strcmp(a, b) != 0)
		fprintf(stderr, "--- migrated\n%s--- db/schema.sql\n%s", a, b);
	ck_assert_msg(strcmp(a, b) == 0, "the migrated schema is not "
	    "db/schema.sql's");
	free(sql);
	free(a);
	free(b);
}

START_TEST(test_schema_fresh_and_reopen)
{
	struct store_item it;
	struct tmpdb t;
	struct store *s;
	char buf[16];
	sqlite3 *db;
	int fd;

	tmpdb_make(&t);
	/* An empty file, as `touch` leaves it, is a new database. */
	fd = open(t.path, O_CREAT | O_WRONLY, 0600);
	ck_assert_int_ge(fd, 0);
	close(fd);
	s = open_store(t.path, NULL);
	fill_item(&it, "r1", "ima-log", 1, VERDICT_PASS, 1);
	ck_assert_int_eq(store_submit(s, &it), 0);
	ck_assert_ptr_null(it.state.blob);
	store_stop(s);		/* commits what is queued, never started */
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), DB_VERSION);
	ck_assert_int_eq(query_i64(db, "PRAGMA application_id"),
	    DB_APPLICATION_ID);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 1);
	sqlite3_close(db);

	s = open_store(t.path, "normal");
	start_store(s, 4, 0, NULL);
	fill_item(&it, "r1", "ima-log", 2, VERDICT_PASS, 2);
	ck_assert_int_eq(store_submit(s, &it), 0);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), DB_VERSION);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 2);
	query_text(db, "PRAGMA journal_mode", buf, sizeof(buf));
	ck_assert_str_eq(buf, "wal");
	sqlite3_close(db);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_schema_matches_reference)
{
	char *sql, *a, *b, ref[160];
	struct tmpdb t;
	struct store *s;
	sqlite3 *db;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	store_stop(s);
	snprintf(ref, sizeof(ref), "%s.ref", t.path);
	sql = read_schema_sql();
	db = open_raw(ref);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
	    "db/schema.sql: %s", sqlite3_errmsg(db));
	a = calloc(1, SCHEMA_DUMP_MAX);
	b = calloc(1, SCHEMA_DUMP_MAX);
	dump_schema(db, b, SCHEMA_DUMP_MAX);
	sqlite3_close(db);
	db = open_raw(t.path);
	dump_schema(db, a, SCHEMA_DUMP_MAX);
	sqlite3_close(db);
	if (strcmp(a, b) != 0)
		fprintf(stderr, "--- migrations\n%s--- db/schema.sql\n%s", a,
		    b);
	ck_assert_msg(strcmp(a, b) == 0, "migrations and db/schema.sql "
	    "differ (both on stderr)");
	ck_assert_ptr_nonnull(strstr(a, "table verdicts verdicts"));
	/* A database made from schema.sql is taken as it is. */
	s = open_store(ref, NULL);
	store_stop(s);
	db = open_raw(ref);
	memset(a, 0, SCHEMA_DUMP_MAX);
	dump_schema(db, a, SCHEMA_DUMP_MAX);
	sqlite3_close(db);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	free(sql);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_open_refused)
{
	struct riv_err err = { "" };
	struct tmpdb t;
	struct store *s = NULL;
	char path[160], sql[96];
	sqlite3 *db;
	FILE *f;

	tmpdb_make(&t);
	snprintf(path, sizeof(path), "%s/no/such/dir/rivd.db", t.dir);
	ck_assert_int_eq(store_open(path, NULL, &s, &err), RIV_MALFORMED);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);

	ck_assert_int_eq(store_open(t.path, "OFF", &s, &err), RIV_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.msg, "synchronous \"OFF\""));

	/* Another program's database is left alone. */
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE foo (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_open(t.path, NULL, &s, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "not a rivd database") != NULL, "%s",
	    err.msg);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM sqlite_schema"),
	    1);
	sqlite3_close(db);
	unlink(t.path);

	/* A newer schema than this build knows: the next one. */
	s = open_store(t.path, NULL);
	store_stop(s);
	db = open_raw(t.path);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    DB_VERSION + 1);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_open(t.path, NULL, &s, &err), RIV_MALFORMED);
	snprintf(sql, sizeof(sql), "schema version %d is newer than this "
	    "build knows (%d)", DB_VERSION + 1, DB_VERSION);
	ck_assert_msg(strstr(err.msg, sql) != NULL, "%s", err.msg);
	ck_assert_int_eq(db_open_reader(t.path, &db, &err), RIV_MALFORMED);
	ck_assert_ptr_null(db);

	/* Not a database at all. */
	snprintf(path, sizeof(path), "%s.other", t.path);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("this is not an SQLite database, not even close to one......"
	    "................................................................"
	    "................................................................",
	    f);
	fclose(f);
	ck_assert_int_eq(store_open(path, NULL, &s, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);
	ck_assert_int_eq(db_open_reader(path, &db, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, path) != NULL, "%s", err.msg);

	/* A reader does not create a missing database. */
	unlink(path);
	ck_assert_int_eq(db_open_reader(path, &db, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "No such file") != NULL, "%s", err.msg);
	ck_assert_int_eq(access(path, F_OK), -1);
	tmpdb_remove(&t);
}
END_TEST

/* One submitting thread of test_two_threads. */
struct submitter {
	struct store	*s;
	int		 id;
	int		 n;
};

/* Submit n items for attester "t<id>", round robin over the streams. */
static void *
submit_many(void *arg)
{
	struct submitter *sb = arg;
	struct store_item it;
	char name[16];
	int i;

	snprintf(name, sizeof(name), "t%d", sb->id);
	for (i = 0; i < sb->n; i++) {
		fill_item(&it, name, streams[i % 3], (uint64_t)(i / 3 + 1),
		    i % 97 == 96 ? VERDICT_FAIL : VERDICT_PASS,
		    (uint64_t)sb->id << 32 | (uint64_t)i);
		submit_wait(sb->s, &it);
	}
	return NULL;
}

START_TEST(test_two_threads)
{
	struct submitter sb[2];
	struct store_state st;
	struct store_stats stats;
	struct riv_err err;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	pthread_t th[2];
	uint64_t next[2] = { 0, 0 }, c, last;
	char want[96], name[16];
	sqlite3 *db;
	size_t i;
	int k, j;

	tmpdb_make(&t);
	seen_init(&sn);
	s = open_store(t.path, "NORMAL");
	ck_assert_int_eq(store_set_queue_max(s, 512), 0);
	start_store(s, 8, 1, &sn);
	for (k = 0; k < 2; k++) {
		sb[k].s = s;
		sb[k].id = k;
		sb[k].n = 5000;
		ck_assert_int_eq(pthread_create(&th[k], NULL, submit_many,
		    &sb[k]), 0);
	}
	for (k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	/* The state the loop would resume from, read while running. */
	for (k = 0; k < 2; k++)
		for (j = 0; j < 3; j++) {
			snprintf(name, sizeof(name), "t%d", k);
			ck_assert_int_eq(store_load_state(s, name, streams[j],
			    "", &st, &err), 0);
			free(st.blob);
		}
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.queue_max, 512);
	store_stop(s);

	/* Every cookie once, in submission order per thread. */
	ck_assert_uint_eq(sn.n, 10000);
	ck_assert_uint_eq(sn.failed, 0);
	ck_assert_uint_le(sn.largest, 8);
	ck_assert_uint_ge(sn.batches, 10000 / 8);
	for (i = 0; i < sn.n; i++) {
		c = sn.cookies[i];
		k = (int)(c >> 32);
		ck_assert_int_le(k, 1);
		ck_assert_uint_eq(c & 0xffffffff, next[k]);
		next[k]++;
	}
	ck_assert_uint_eq(next[0], 5000);
	ck_assert_uint_eq(next[1], 5000);

	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 10000);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM (SELECT DISTINCT "
	    "attester, stream, sequence FROM verdicts)"), 10000);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts WHERE "
	    "result = 'fail'"), 2 * (5000 / 97));
	ck_assert_int_eq(query_i64(db, "SELECT sum(npass + nfail + nerror + "
	    "nstale) FROM posture"), 10000);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM state"), 6);
	sqlite3_close(db);

	/* States are those of the last item submitted per stream. */
	s = open_store(t.path, NULL);
	for (k = 0; k < 2; k++)
		for (j = 0; j < 3; j++) {
			snprintf(name, sizeof(name), "t%d", k);
			ck_assert_int_eq(store_load_state(s, name, streams[j],
			    NULL, &st, &err), 0);
			last = (uint64_t)((4999 - (4999 - j) % 3) / 3 + 1);
			ck_assert_uint_eq(st.sequence, last);
			snprintf(want, sizeof(want), "state %s %s %" PRIu64,
			    name, streams[j], last);
			ck_assert_uint_eq(st.blob_len, strlen(want));
			ck_assert_mem_eq(st.blob, want, st.blob_len);
			free(st.blob);
		}
	store_stop(s);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

/*
 * Walk the chain of the source attester/stream/tpm from its posture row's
 * verdict_id through prev_id, checking that every verdict on it is the
 * source's and that it ends at 0, and that it visits exactly the source's
 * verdicts in descending id order; write the ids walked, comma-separated,
 * into buf and return how many.
 */
static int64_t
walk_chain(sqlite3 *db, const char *attester, const char *stream,
    const char *tpm, char *buf, size_t len)
{
	sqlite3_stmt *head, *step, *all;
	const unsigned char *s;
	int64_t id, n = 0, total;
	size_t off = 0;

	total = query_i64(db, "SELECT count(*) FROM verdicts");
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT verdict_id FROM "
	    "posture WHERE attester = ?1 AND stream = ?2 AND tpm = ?3", -1,
	    &head, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT prev_id, "
	    "attester = ?2 AND stream = ?3 AND tpm = ?4 FROM verdicts "
	    "WHERE id = ?1", -1, &step, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT group_concat(id) "
	    "FROM (SELECT id FROM verdicts WHERE attester = ?1 AND "
	    "stream = ?2 AND tpm = ?3 ORDER BY id DESC)", -1, &all, NULL),
	    SQLITE_OK);
	sqlite3_bind_text(head, 1, attester, -1, SQLITE_STATIC);
	sqlite3_bind_text(head, 2, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(head, 3, tpm, -1, SQLITE_STATIC);
	ck_assert_msg(sqlite3_step(head) == SQLITE_ROW, "no posture for "
	    "%s/%s/%s", attester, stream, tpm);
	id = sqlite3_column_int64(head, 0);
	sqlite3_finalize(head);
	buf[0] = '\0';
	while (id != 0) {
		ck_assert_msg(n < total, "the chain of %s/%s/%s loops",
		    attester, stream, tpm);
		sqlite3_bind_int64(step, 1, id);
		sqlite3_bind_text(step, 2, attester, -1, SQLITE_STATIC);
		sqlite3_bind_text(step, 3, stream, -1, SQLITE_STATIC);
		sqlite3_bind_text(step, 4, tpm, -1, SQLITE_STATIC);
		ck_assert_msg(sqlite3_step(step) == SQLITE_ROW, "the chain of "
		    "%s/%s/%s names verdict %" PRId64 ", not stored",
		    attester, stream, tpm, id);
		ck_assert_msg(sqlite3_column_int(step, 1) == 1, "the chain "
		    "of %s/%s/%s goes through verdict %" PRId64 " of another "
		    "source", attester, stream, tpm, id);
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRId64,
		    n > 0 ? "," : "", id);
		ck_assert_uint_lt(off, len);
		n++;
		id = sqlite3_column_int64(step, 0);
		sqlite3_reset(step);
	}
	sqlite3_finalize(step);
	sqlite3_bind_text(all, 1, attester, -1, SQLITE_STATIC);
	sqlite3_bind_text(all, 2, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(all, 3, tpm, -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(all), SQLITE_ROW);
	s = sqlite3_column_text(all, 0);
	ck_assert_msg(strcmp(buf, s != NULL ? (const char *)s : "") == 0,
	    "the chain of %s/%s/%s is %s, its verdicts %s", attester, stream,
	    tpm, buf, s != NULL ? (const char *)s : "");
	sqlite3_finalize(all);
	return n;
}

/*
 * Check the chains and counts of every source in posture: each chain
 * holds exactly its source's verdicts, newest first, and together they
 * hold every verdict; each source's first verdict, and only it, has
 * prev_id 0; nevidence and npass..nstale count the source's verdicts on
 * evidence and by result.  Return the number of sources.
 */
static int64_t
check_chains(sqlite3 *db)
{
	char attester[STORE_NAME_MAX], stream[STORE_NAME_MAX];
	char tpm[STORE_NAME_MAX], buf[4096];
	int64_t n = 0, walked = 0;
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT attester, stream, "
	    "tpm FROM posture ORDER BY attester, stream, tpm", -1, &st, NULL),
	    SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		snprintf(attester, sizeof(attester), "%s",
		    (const char *)sqlite3_column_text(st, 0));
		snprintf(stream, sizeof(stream), "%s",
		    (const char *)sqlite3_column_text(st, 1));
		snprintf(tpm, sizeof(tpm), "%s",
		    (const char *)sqlite3_column_text(st, 2));
		walked += walk_chain(db, attester, stream, tpm, buf,
		    sizeof(buf));
		n++;
	}
	sqlite3_finalize(st);
	ck_assert_int_eq(walked, query_i64(db, "SELECT count(*) FROM "
	    "verdicts"));
	ck_assert_int_eq(n, query_i64(db, "SELECT count(*) FROM (SELECT "
	    "DISTINCT attester, stream, tpm FROM verdicts)"));
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts v "
	    "WHERE (prev_id = 0) <> (id = (SELECT min(id) FROM verdicts w "
	    "WHERE w.attester = v.attester AND w.stream = v.stream AND "
	    "w.tpm = v.tpm))"), 0);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM posture p "
	    "WHERE (nevidence, npass, nfail, nerror, nstale) IS NOT (SELECT "
	    "coalesce(sum(evidence = 1), 0), "
	    "coalesce(sum(result = 'pass'), 0), "
	    "coalesce(sum(result = 'fail'), 0), "
	    "coalesce(sum(result = 'error'), 0), "
	    "coalesce(sum(result = 'stale'), 0) FROM verdicts v "
	    "WHERE v.attester = p.attester AND v.stream = p.stream AND "
	    "v.tpm = p.tpm)"), 0);
	return n;
}

/* One record of test_verdict_chain. */
struct chain_rec {
	const char		*attester;
	const char		*stream;
	const char		*tpm;
	uint64_t		 seq;
	enum verdict_result	 r;
	int			 no_evidence;
	uint64_t		 state_seq;	/* 0: seq */
};

/* Submit n records of test_verdict_chain, cookies from first on. */
static void
submit_chain_recs(struct store *s, const struct chain_rec *v, size_t n,
    uint64_t first)
{
	struct store_item it;
	size_t i;

	for (i = 0; i < n; i++) {
		fill_item(&it, v[i].attester, v[i].stream, v[i].seq, v[i].r,
		    first + i);
		snprintf(it.verdict.tpm, STORE_NAME_MAX, "%s", v[i].tpm);
		snprintf(it.state.tpm, STORE_NAME_MAX, "%s", v[i].tpm);
		it.verdict.no_evidence = v[i].no_evidence;
		if (v[i].state_seq != 0)
			it.state.sequence = v[i].state_seq;
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
}

/*
 * Every verdict record is stored, a notification's key submitted twice
 * too, its state applied and counted; the verdicts of each source
 * (attester, stream, TPM) form a chain from posture.verdict_id through
 * prev_id, across transactions and restarts.
 */
START_TEST(test_verdict_chain)
{
	/* Ids follow the order of submission: the first is 1. */
	static const struct chain_rec run1[] = {
		/* 1 */ { "r1", "ima-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 2 */ { "r1", "bios-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 3 */ { "r2", "ima-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 4 */ { "r1", "ima-log", "", 2, VERDICT_PASS, 0, 0 },
		/* 5 */ { "r1", "pcr-trust-evidence", "tpm0", 1,
		    VERDICT_PASS, 0, 0 },
		/* 6 */ { "r1", "ima-log", "", 0, VERDICT_STALE, 1, 0 },
		/* 7 */ { "r2", "ima-log", "", 2, VERDICT_FAIL, 0, 0 },
		/* 8 */ { "r1", "bios-log", "", 2, VERDICT_PASS, 0, 0 },
		/* 9 */ { "r1", "ima-log", "", 3, VERDICT_PASS, 0, 0 },
	};
	static const struct chain_rec run2[] = {
		/* 10 */ { "r1", "pcr-trust-evidence", "tpm0", 2,
		    VERDICT_PASS, 0, 0 },
		/* 11 */ { "r2", "ima-log", "", 3, VERDICT_PASS, 0, 0 },
		/* 9 again (the same key), after a restart. */
		/* 12 */ { "r1", "ima-log", "", 3, VERDICT_FAIL, 0, 98 },
		/* 13 */ { "r1", "pcr-trust-evidence", "tpm1", 1,
		    VERDICT_PASS, 0, 0 },
		/* 11 again, in the same transaction. */
		/* 14 */ { "r2", "ima-log", "", 3, VERDICT_PASS, 0, 99 },
		/* 15 */ { "r1", "bios-log", "", 0, VERDICT_ERROR, 1, 0 },
		/* No evidence again, the result unchanged. */
		/* 16 */ { "r1", "bios-log", "", 0, VERDICT_ERROR, 1, 0 },
	};
	struct store_state st;
	struct riv_err err;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	char buf[256];
	sqlite3 *db;
	size_t i;

	tmpdb_make(&t);
	/* All waiting when the writer starts: transactions of up to 4. */
	seen_init(&sn);
	s = open_store(t.path, NULL);
	submit_chain_recs(s, run1, sizeof(run1) / sizeof(run1[0]), 1);
	start_store(s, 4, 0, &sn);
	store_stop(s);
	ck_assert_uint_eq(sn.n, 9);
	ck_assert_uint_eq(sn.failed, 0);
	ck_assert_uint_ge(sn.batches, 3);
	seen_free(&sn);

	/* A restart: the chains go on from the posture rows. */
	seen_init(&sn);
	s = open_store(t.path, NULL);
	submit_chain_recs(s, run2, sizeof(run2) / sizeof(run2[0]), 10);
	start_store(s, 16, 0, &sn);
	store_stop(s);
	ck_assert_uint_eq(sn.n, 7);
	ck_assert_uint_eq(sn.failed, 0);
	ck_assert_uint_eq(sn.batches, 1);
	for (i = 0; i < sn.n; i++)
		ck_assert_uint_eq(sn.cookies[i], 10 + i);
	seen_free(&sn);

	db = open_raw(t.path);
	/* Every record stored, the same key twice (9 and 12, 11 and 14). */
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 16);
	ck_assert_int_eq(query_i64(db, "SELECT max(id) FROM verdicts"), 16);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts WHERE "
	    "evidence = 0"), 3);
	query_text(db, "SELECT group_concat(id) FROM (SELECT id FROM "
	    "verdicts WHERE attester = 'r1' AND stream = 'ima-log' AND "
	    "sequence = 3 AND subscription = 7 ORDER BY id)", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "9,12");
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts a JOIN "
	    "verdicts b ON a.id < b.id AND a.attester = b.attester AND "
	    "a.stream = b.stream AND a.tpm = b.tpm AND "
	    "a.subscription = b.subscription AND a.sequence = b.sequence AND "
	    "a.nonce = b.nonce AND a.evidence = 1 AND b.evidence = 1"), 2);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'verdicts_evidence'"), 0);

	/* The chains, newest first, each source's first ending at 0. */
	ck_assert_int_eq(check_chains(db), 5);
	walk_chain(db, "r1", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "12,9,6,4,1");
	walk_chain(db, "r1", "bios-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "16,15,8,2");
	walk_chain(db, "r2", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "14,11,7,3");
	walk_chain(db, "r1", "pcr-trust-evidence", "tpm0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "10,5");
	walk_chain(db, "r1", "pcr-trust-evidence", "tpm1", buf, sizeof(buf));
	ck_assert_str_eq(buf, "13");
	query_text(db, "SELECT group_concat(id || ':' || prev_id) FROM "
	    "(SELECT id, prev_id FROM verdicts ORDER BY id)", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "1:0,2:0,3:0,4:1,5:0,6:4,7:3,8:2,9:6,10:5,"
	    "11:7,12:9,13:0,14:11,15:8,16:15");

	/* Counted: all by result, those on evidence apart. */
	query_text(db, "SELECT group_concat(attester || ':' || stream || ':' "
	    "|| tpm || ':' || result || ':' || verdict_id || ':' || npass || "
	    "'/' || nfail || '/' || nerror || '/' || nstale || ':' || "
	    "nevidence, ' ') FROM (SELECT * FROM posture ORDER BY attester, "
	    "stream, tpm)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "r1:bios-log::error:16:2/0/2/0:2 "
	    "r1:ima-log::fail:12:3/1/0/1:4 "
	    "r1:pcr-trust-evidence:tpm0:pass:10:2/0/0/0:2 "
	    "r1:pcr-trust-evidence:tpm1:pass:13:1/0/0/0:1 "
	    "r2:ima-log::pass:14:3/1/0/0:4");
	ck_assert_int_eq(query_i64(db, "SELECT sum(npass + nfail + nerror + "
	    "nstale) FROM posture"), 16);
	ck_assert_int_eq(query_i64(db, "SELECT sum(nevidence) FROM posture"),
	    13);
	/* The failure and the recovery of r2/ima-log, each logged. */
	query_text(db, "SELECT group_concat(coalesce(old, '-') || '>' || new "
	    "|| ':' || verdict_id, ' ') FROM (SELECT * FROM events WHERE "
	    "what = 'posture' AND attester = 'r2' AND stream = 'ima-log' "
	    "ORDER BY id)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "->pass:3 pass>fail:7 fail>pass:11");
	sqlite3_close(db);

	/* The state of the last record of each source: a key's second. */
	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_load_state(s, "r2", "ima-log", "", &st, &err),
	    0);
	ck_assert_uint_eq(st.sequence, 99);
	free(st.blob);
	ck_assert_int_eq(store_load_state(s, "r1", "ima-log", "", &st, &err),
	    0);
	ck_assert_uint_eq(st.sequence, 98);
	free(st.blob);
	ck_assert_int_eq(store_load_state(s, "r1", "pcr-trust-evidence",
	    "tpm0", &st, &err), 0);
	ck_assert_uint_eq(st.sequence, 2);
	free(st.blob);
	store_stop(s);
	tmpdb_remove(&t);
}
END_TEST

/* Return how many cookies sn has seen committed. */
static size_t
seen_count(struct seen *sn)
{
	size_t n;

	pthread_mutex_lock(&sn->lock);
	n = sn->n;
	pthread_mutex_unlock(&sn->lock);
	return n;
}

/* Wait until the commit callback saw n items. */
static void
seen_wait(struct seen *sn, size_t n)
{
	size_t have;

	for (;;) {
		pthread_mutex_lock(&sn->lock);
		have = sn->n + sn->failed;
		pthread_mutex_unlock(&sn->lock);
		if (have >= n)
			break;
		nap_ms(1);
	}
	ck_assert_uint_eq(sn->failed, 0);
}

/*
 * linger spaces transactions: a record after a quiet spell is committed at
 * once; records that come within linger of the last transaction's start
 * wait until it passes and share one transaction; a full batch does not
 * wait.  (Margins of a second or more: linger is 2 s.)
 */
START_TEST(test_linger)
{
	struct store_item it;
	struct timespec t0, t1;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	uint64_t i;

	tmpdb_make(&t);
	seen_init(&sn);
	s = open_store(t.path, "NORMAL");
	start_store(s, 4, 2000, &sn);
	nap_ms(50);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fill_item(&it, "r1", "ima-log", 1, VERDICT_PASS, 1);
	ck_assert_int_eq(store_submit(s, &it), 0);
	seen_wait(&sn, 1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(ms_between(t0, t1), 1000);	/* not after 2 s */

	/* Within the linger of that transaction: they wait, together. */
	for (i = 2; i <= 3; i++) {
		fill_item(&it, "r1", "ima-log", i, VERDICT_PASS, i);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	nap_ms(500);
	ck_assert_uint_eq(seen_count(&sn), 1);
	seen_wait(&sn, 3);
	ck_assert_uint_eq(sn.batches, 2);
	ck_assert_uint_eq(sn.largest, 2);

	/* A full batch (4) is committed without waiting for the linger. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 4; i <= 7; i++) {
		fill_item(&it, "r1", "ima-log", i, VERDICT_PASS, i);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	seen_wait(&sn, 7);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ck_assert_int_lt(ms_between(t0, t1), 1000);
	ck_assert_uint_eq(sn.batches, 3);
	ck_assert_uint_eq(sn.largest, 4);
	store_stop(s);
	ck_assert_uint_eq(sn.failed, 0);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_queue_full)
{
	struct store_item it;
	struct store_stats stats;
	struct tmpdb t;
	struct store *s;
	sqlite3 *db;
	int i;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_set_queue_max(s, 0), -1);
	ck_assert_int_eq(store_set_queue_max(s, 4), 0);
	for (i = 0; i < 4; i++) {
		fill_item(&it, "r1", "bios-log", (uint64_t)i, VERDICT_PASS,
		    (uint64_t)i);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	ck_assert_int_eq(store_set_queue_max(s, 8), -1);
	fill_item(&it, "r1", "bios-log", 4, VERDICT_PASS, 4);
	errno = 0;
	ck_assert_int_eq(store_submit(s, &it), -1);
	ck_assert_int_eq(errno, EAGAIN);
	ck_assert_ptr_nonnull(it.state.blob);	/* still the caller's */
	free(it.state.blob);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected", ""), -1);
	ck_assert_int_eq(errno, EAGAIN);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.queued, 4);
	ck_assert_uint_eq(stats.queue_max, 4);
	start_store(s, 2, 0, NULL);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 4);
	sqlite3_close(db);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_invalid_items)
{
	struct store_item it;
	struct tmpdb t;
	struct store *s;
	char big[STORE_NAME_MAX + 8];

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	fill_item(&it, "r1", "ima-log", 1, VERDICT_PASS, 1);
	memset(it.verdict.attester, 'a', STORE_NAME_MAX);
	errno = 0;
	ck_assert_int_eq(store_submit(s, &it), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(it.state.blob);
	fill_item(&it, "r1", "ima-log", 1, (enum verdict_result)9, 1);
	ck_assert_int_eq(store_submit(s, &it), -1);
	ck_assert_int_eq(errno, EINVAL);
	it.verdict.result = VERDICT_PASS;
	it.verdict.nreasons = STORE_REASONS_MAX + 1;
	ck_assert_int_eq(store_submit(s, &it), -1);
	it.verdict.nreasons = 0;
	it.verdict.stream[0] = '\0';
	ck_assert_int_eq(store_submit(s, &it), -1);
	free(it.state.blob);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(store_note_attester(s, big, "connected", ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(store_note_attester(s, "r1", big, ""), -1);
	ck_assert_int_eq(store_note_subscription(s, "r1", NULL, 1, "active",
	    ""), -1);
	store_stop(s);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_load_state)
{
	struct store_item it;
	struct store_state st;
	struct riv_err err;
	struct tmpdb t;
	struct store *s;
	uint8_t *blob;
	int i;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_load_state(s, "r1", "ima-log", "", &st, &err),
	    0);
	ck_assert_str_eq(st.attester, "");
	ck_assert_ptr_null(st.blob);
	start_store(s, 4, 0, NULL);
	fill_item(&it, "r1", "ima-log", (1ull << 63) + 3, VERDICT_PASS, 1);
	snprintf(it.state.tpm, STORE_NAME_MAX, "tpm0");
	free(it.state.blob);
	blob = malloc(5000);
	for (i = 0; i < 5000; i++)
		blob[i] = (uint8_t)(i * 7);	/* zeros and all bytes */
	it.state.blob = malloc(5000);
	memcpy(it.state.blob, blob, 5000);
	it.state.blob_len = 5000;
	ck_assert_int_eq(store_submit(s, &it), 0);
	/* A verdict without state, then a state without a blob. */
	fill_item(&it, "r2", "bios-log", 1, VERDICT_STALE, 2);
	free(it.state.blob);
	memset(&it.state, 0, sizeof(it.state));
	ck_assert_int_eq(store_submit(s, &it), 0);
	fill_item(&it, "r3", "bios-log", 1, VERDICT_PASS, 3);
	free(it.state.blob);
	it.state.blob = NULL;
	it.state.blob_len = 0;
	ck_assert_int_eq(store_submit(s, &it), 0);
	store_stop(s);

	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_load_state(s, "r1", "ima-log", "tpm0", &st,
	    &err), 0);
	ck_assert_str_eq(st.attester, "r1");
	ck_assert_str_eq(st.stream, "ima-log");
	ck_assert_str_eq(st.tpm, "tpm0");
	ck_assert_uint_eq(st.sequence, (1ull << 63) + 3);
	ck_assert_uint_eq(st.blob_len, 5000);
	ck_assert_mem_eq(st.blob, blob, 5000);
	free(st.blob);
	ck_assert_int_eq(store_load_state(s, "r1", "ima-log", "", &st, &err),
	    0);
	ck_assert_str_eq(st.attester, "");
	ck_assert_int_eq(store_load_state(s, "r2", "bios-log", "", &st, &err),
	    0);
	ck_assert_str_eq(st.attester, "");
	ck_assert_int_eq(store_load_state(s, "r3", "bios-log", NULL, &st,
	    &err), 0);
	ck_assert_str_eq(st.attester, "r3");
	ck_assert_ptr_null(st.blob);
	ck_assert_uint_eq(st.sequence, 1);
	store_stop(s);
	free(blob);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_posture_and_events)
{
	static const enum verdict_result seq[] = { VERDICT_PASS, VERDICT_PASS,
	    VERDICT_FAIL, VERDICT_FAIL, VERDICT_PASS };
	struct store_item it;
	struct tmpdb t;
	struct store *s;
	char buf[256];
	sqlite3 *db;
	size_t i;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	start_store(s, 64, 0, NULL);
	ck_assert_int_eq(store_note_attester(s, "r1", "connecting", ""), 0);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected",
	    "tls 192.0.2.1:6513"), 0);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected", "again"),
	    0);
	ck_assert_int_eq(store_note_subscription(s, "r1", "ima-log", 3,
	    "active", ""), 0);
	ck_assert_int_eq(store_note_subscription(s, "r1", "ima-log", 3,
	    "active", "same"), 0);
	ck_assert_int_eq(store_note_subscription(s, "r1", "ima-log", 4,
	    "active", "re-established"), 0);
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		fill_item(&it, "r1", "ima-log", i + 1, seq[i], i);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	fill_item(&it, "r1", "bios-log", 1, VERDICT_STALE, 9);
	ck_assert_int_eq(store_submit(s, &it), 0);
	store_stop(s);

	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'connection'"), 2);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'subscription'"), 2);
	query_text(db, "SELECT group_concat(coalesce(old, '-') || '>' || new, "
	    " ' ') FROM (SELECT old, new FROM events WHERE what = 'posture' "
	    "AND stream = 'ima-log' ORDER BY id)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "->pass pass>fail fail>pass");
	query_text(db, "SELECT group_concat(coalesce(old, '-') || '>' || new, "
	    " ' ') FROM (SELECT old, new FROM events WHERE what = 'posture' "
	    "AND stream IS NULL ORDER BY id)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "->pass pass>fail fail>pass pass>stale");
	query_text(db, "SELECT connection || ' ' || detail || ' ' || posture "
	    "FROM attesters WHERE name = 'r1'", buf, sizeof(buf));
	ck_assert_str_eq(buf, "connected again stale");
	ck_assert_int_eq(query_i64(db, "SELECT connection_since_us = (SELECT "
	    "max(time_us) FROM events WHERE what = 'connection') FROM "
	    "attesters"), 1);
	query_text(db, "SELECT subscription || ' ' || state || ' ' || detail "
	    "FROM subscriptions", buf, sizeof(buf));
	ck_assert_str_eq(buf, "4 active re-established");
	ck_assert_int_eq(query_i64(db, "SELECT since_us FROM posture WHERE "
	    "stream = 'ima-log'"), T0_US + 5);
	query_text(db, "SELECT npass || ' ' || nfail || ' ' || result FROM "
	    "posture WHERE stream = 'ima-log'", buf, sizeof(buf));
	ck_assert_str_eq(buf, "3 2 pass");
	ck_assert_int_eq(query_i64(db, "SELECT v.sequence FROM posture p JOIN "
	    "verdicts v ON v.id = p.verdict_id WHERE p.stream = 'ima-log'"), 5);
	sqlite3_close(db);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_reasons_json)
{
	static const char r0[] = "quote \"x\" \\ tab\t nl\n ctl\x01 del\x7f";
	static const char r1[] = "bad \xff\xfe ok \xc3\xa9 \xe2\x82\xac "
	    "surrogate \xed\xa0\x80";
	struct store_item it;
	struct riv_err err;
	struct json *j;
	struct tmpdb t;
	struct store *s;
	char buf[1024], nonce[80];
	sqlite3 *db;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	fill_item(&it, "r1", "ima-log", 1, VERDICT_FAIL, 1);
	snprintf(it.verdict.reasons[0], STORE_REASON_LEN, "%s", r0);
	snprintf(it.verdict.reasons[1], STORE_REASON_LEN, "%s", r1);
	memset(it.verdict.reasons[2], 'z', STORE_REASON_LEN - 1);
	it.verdict.nreasons = 3;
	snprintf(it.verdict.codes, STORE_CODES_LEN, "nonce,replayed");
	it.verdict.nonce_len = 4;
	it.verdict.pcr_digest_len = 0;
	ck_assert_int_eq(store_submit(s, &it), 0);
	store_stop(s);
	db = open_raw(t.path);
	query_text(db, "SELECT reasons FROM verdicts", buf, sizeof(buf));
	query_text(db, "SELECT nonce || '/' || pcr_digest || '/' || codes "
	    "FROM verdicts", nonce, sizeof(nonce));
	sqlite3_close(db);
	ck_assert_str_eq(nonce, "01020304//nonce,replayed");
	j = json_parse(buf, strlen(buf), &err);
	ck_assert_msg(j != NULL, "%s: %s", buf, err.msg);
	ck_assert_int_eq(j->type, JSON_ARRAY);
	ck_assert_uint_eq(j->n, 3);
	ck_assert_str_eq(j->items[0]->str, r0);
	ck_assert_str_eq(j->items[1]->str, "bad \xc3\xbf\xc3\xbe ok \xc3\xa9 "
	    "\xe2\x82\xac surrogate \xc3\xad\xc2\xa0\xc2\x80");
	ck_assert_uint_eq(j->items[2]->len, STORE_REASON_LEN - 1);
	json_free(j);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_failed_batch)
{
	struct store_item it;
	struct store_stats stats;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	sqlite3 *db;

	tmpdb_make(&t);
	seen_init(&sn);
	s = open_store(t.path, NULL);
	fill_item(&it, "r1", "ima-log", 1, VERDICT_PASS, 1);
	ck_assert_int_eq(store_submit(s, &it), 0);
	start_store(s, 16, 0, &sn);
	do {
		nap_ms(1);
		store_get_stats(s, &stats);
	} while (stats.batches < 1);
	/* Posture can no longer be written: the verdict must not stay. */
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE posture", NULL, NULL,
	    NULL), SQLITE_OK);
	fill_item(&it, "r1", "ima-log", 2, VERDICT_PASS, 2);
	ck_assert_int_eq(store_submit(s, &it), 0);
	do {
		nap_ms(1);
		store_get_stats(s, &stats);
	} while (stats.failed_batches < 1);
	ck_assert_uint_eq(stats.failed_items, 1);
	ck_assert_msg(strstr(stats.last_error, "posture") != NULL, "%s",
	    stats.last_error);
	ck_assert_uint_eq(stats.retries, 0);	/* not a reason that passes */
	store_stop(s);
	ck_assert_uint_eq(sn.n, 1);
	ck_assert_uint_eq(sn.failed, 1);
	ck_assert_int_eq(query_i64(db, "SELECT max(sequence) FROM verdicts"),
	    1);
	ck_assert_int_eq(query_i64(db, "SELECT sequence FROM state"), 1);
	sqlite3_close(db);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

/* What a drain callback saw. */
struct drained {
	pthread_mutex_t	 lock;
	int		 n;
};

/* Drain callback (writer thread, store lock held): count the wake-ups. */
static void
drained_cb(void *arg)
{
	struct drained *d = arg;

	pthread_mutex_lock(&d->lock);
	d->n++;
	pthread_mutex_unlock(&d->lock);
}

/* Wait up to ms for the n-th wake-up; return the wake-ups seen. */
static int
drained_wait(struct drained *d, int n, long ms)
{
	int have;

	for (;;) {
		pthread_mutex_lock(&d->lock);
		have = d->n;
		pthread_mutex_unlock(&d->lock);
		if (have >= n || ms-- <= 0)
			return have;
		nap_ms(1);
	}
}

/*
 * The watermarks: store_full from the high-water mark until the writer
 * drained the queue to the low-water mark, one wake-up then; the room
 * above the mark takes more, the capacity refuses; nothing is dropped.
 */
START_TEST(test_watermarks)
{
	struct store_item it;
	struct store_stats stats;
	struct drained d;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	sqlite3 *db;
	int i;

	tmpdb_make(&t);
	seen_init(&sn);
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.lock, NULL);
	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_set_queue_max(s, 8), 0);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.high_water, 4);
	ck_assert_uint_eq(stats.low_water, 2);
	/* low < high <= capacity */
	ck_assert_int_eq(store_set_watermarks(s, 9, 2, drained_cb, &d), -1);
	ck_assert_int_eq(store_set_watermarks(s, 3, 3, drained_cb, &d), -1);
	ck_assert_int_eq(store_set_watermarks(s, 6, 0, drained_cb, &d), 0);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.high_water, 6);
	ck_assert_uint_eq(stats.low_water, 2);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(store_full(s), i >= 6);
		fill_item(&it, "w1", "ima-log", (uint64_t)i + 1, VERDICT_PASS,
		    (uint64_t)i + 1);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	ck_assert_int_eq(store_full(s), 1);
	fill_item(&it, "w1", "ima-log", 9, VERDICT_PASS, 9);
	ck_assert_int_eq(store_submit(s, &it), -1);
	ck_assert_int_eq(errno, EAGAIN);
	free(it.state.blob);
	ck_assert_int_eq(drained_wait(&d, 1, 0), 0);
	/* One record per transaction: full until 2 are left, then once. */
	start_store(s, 1, 0, &sn);
	ck_assert_int_eq(drained_wait(&d, 1, 10000), 1);
	seen_wait(&sn, 8);
	ck_assert_int_eq(store_full(s), 0);
	ck_assert_int_eq(drained_wait(&d, 2, 200), 1);
	/* Full again while the writer waits for a lock (within the busy
	 * timeout): the record it holds counts. */
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	for (i = 9; i < 15; i++) {
		fill_item(&it, "w1", "ima-log", (uint64_t)i, VERDICT_PASS,
		    (uint64_t)i);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	do {
		nap_ms(1);
		store_get_stats(s, &stats);
	} while (stats.queued > 5);
	ck_assert_uint_eq(stats.queued, 5);
	ck_assert_int_eq(store_full(s), 1);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(drained_wait(&d, 2, 10000), 2);
	store_stop(s);
	ck_assert_uint_eq(sn.n, 14);
	ck_assert_uint_eq(sn.failed, 0);
	for (i = 0; i < 14; i++)
		ck_assert_uint_eq(sn.cookies[i], (uint64_t)i + 1);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(DISTINCT sequence) FROM "
	    "verdicts WHERE sequence BETWEEN 1 AND 14"), 14);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 14);
	sqlite3_close(db);
	pthread_mutex_destroy(&d.lock);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

/*
 * The checkpointer (checkpoint.c) copies the WAL back into the database
 * once commits have grown it past 1000 pages; under a stream of commits
 * that never leaves it a gap the writer does it at 4000 pages: every
 * verdict is there, and the WAL is reused from its start (its file stays
 * within 4000 pages of 4 KB).
 */
START_TEST(test_checkpointer)
{
	struct store_stats stats;
	struct store_item it;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	struct stat st;
	char wal[PATH_MAX];
	sqlite3 *db;
	int i, log = -1, copied = -1;

	tmpdb_make(&t);
	seen_init(&sn);
	s = open_store(t.path, "NORMAL");
	start_store(s, 1, 0, &sn);
	/* One verdict a transaction: each commit appends a few pages. */
	for (i = 1; i <= 1500; i++) {
		fill_item(&it, "c1", "ima-log", (uint64_t)i, VERDICT_PASS,
		    (uint64_t)i);
		submit_wait(s, &it);
	}
	seen_wait(&sn, 1500);
	for (i = 0; i < 500; i++) {
		store_get_stats(s, &stats);
		if (stats.checkpoints > 0)
			break;
		nap_ms(10);
	}
	ck_assert_uint_gt(stats.checkpoints, 0);
	snprintf(wal, sizeof(wal), "%s-wal", t.path);
	for (i = 1501; i <= 3000; i++) {
		fill_item(&it, "c1", "ima-log", (uint64_t)i, VERDICT_PASS,
		    (uint64_t)i);
		submit_wait(s, &it);
	}
	seen_wait(&sn, 3000);
	ck_assert_int_eq(stat(wal, &st), 0);
	/* 3000 commits of ~8 pages, but never more than ~4000 pages. */
	ck_assert_int_le(st.st_size, 4100 * (4096 + 24));
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_wal_checkpoint_v2(db, NULL,
	    SQLITE_CHECKPOINT_PASSIVE, &log, &copied), SQLITE_OK);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 3000);
	sqlite3_close(db);
	store_stop(s);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

/* The queue's default size: STORE_QUEUE_BATCHES batches, if fewer. */
START_TEST(test_queue_size)
{
	struct store_stats stats;
	struct tmpdb t;
	struct store *s;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.queue_max, STORE_QUEUE_MAX);
	ck_assert_uint_eq(stats.high_water, STORE_QUEUE_MAX / 2);
	start_store(s, 2, 0, NULL);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.queue_max, 2 * STORE_QUEUE_BATCHES);
	ck_assert_uint_eq(stats.high_water, STORE_QUEUE_BATCHES);
	ck_assert_uint_eq(stats.low_water, STORE_QUEUE_BATCHES / 2);
	store_stop(s);
	s = open_store(t.path, NULL);
	start_store(s, STORE_BATCH_DEFAULT, 0, NULL);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.queue_max, STORE_QUEUE_MAX);
	store_stop(s);
	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_set_queue_max(s, 100), 0);
	start_store(s, 2, 0, NULL);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.queue_max, 100);
	store_stop(s);
	tmpdb_remove(&t);
}
END_TEST

/*
 * Another process holds the database's write lock beyond the busy
 * timeout: the writer tries the batch again instead of dropping it, the
 * queue fills to its high-water mark, and once the lock is gone every
 * record is committed once, in order, and the loop is woken.
 */
START_TEST(test_locked_retry)
{
	struct store_item it;
	struct store_stats stats;
	struct drained d;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	sqlite3 *db, *lk;
	int i;

	tmpdb_make(&t);
	seen_init(&sn);
	memset(&d, 0, sizeof(d));
	pthread_mutex_init(&d.lock, NULL);
	s = open_store(t.path, NULL);
	ck_assert_int_eq(store_set_queue_max(s, 16), 0);
	ck_assert_int_eq(store_set_watermarks(s, 0, 0, drained_cb, &d), 0);
	start_store(s, 2, 0, &sn);
	lk = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(lk, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	for (i = 0; i < 12; i++) {
		fill_item(&it, "l1", "bios-log", (uint64_t)i + 1, VERDICT_PASS,
		    (uint64_t)i + 1);
		ck_assert_int_eq(store_submit(s, &it), 0);
	}
	ck_assert_int_eq(store_full(s), 1);
	/* Beyond DB_BUSY_MS: the first attempt failed, a retry waits. */
	do {
		nap_ms(50);
		store_get_stats(s, &stats);
	} while (stats.retries == 0);
	ck_assert_int_eq(stats.retrying, 1);
	ck_assert_uint_eq(stats.failed_batches, 0);
	ck_assert_uint_eq(stats.batches, 0);
	ck_assert_msg(strstr(stats.last_error, "locked") != NULL, "%s",
	    stats.last_error);
	ck_assert_int_eq(store_full(s), 1);
	ck_assert_int_eq(drained_wait(&d, 1, 0), 0);
	ck_assert_int_eq(sqlite3_exec(lk, "COMMIT", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(lk);
	ck_assert_int_eq(drained_wait(&d, 1, 10000), 1);
	seen_wait(&sn, 12);
	store_get_stats(s, &stats);
	ck_assert_uint_eq(stats.failed_batches, 0);
	ck_assert_int_eq(stats.retrying, 0);
	ck_assert_int_eq(store_full(s), 0);
	store_stop(s);
	for (i = 0; i < 12; i++)
		ck_assert_uint_eq(sn.cookies[i], (uint64_t)i + 1);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 12);
	ck_assert_int_eq(query_i64(db, "SELECT count(DISTINCT sequence) FROM "
	    "verdicts"), 12);
	ck_assert_int_eq(query_i64(db, "SELECT max(sequence) FROM verdicts"),
	    12);
	sqlite3_close(db);
	pthread_mutex_destroy(&d.lock);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

/* Open the management connection or fail the test with its reason. */
static struct manage_db *
open_manage(const char *path)
{
	struct riv_err err = { "" };
	struct manage_db *m = NULL;

	ck_assert_msg(manage_open(path, &m, &err) == 0, "manage_open: %s",
	    err.msg);
	return m;
}

/* Submit a verdict of attester/stream/tpm with codes and one reason. */
static void
submit_verdict(struct store *s, const char *attester, const char *stream,
    const char *tpm, uint64_t seq, enum verdict_result r, const char *codes,
    int64_t received_us)
{
	struct store_item it;

	fill_item(&it, attester, stream, seq, r, seq);
	snprintf(it.verdict.tpm, STORE_NAME_MAX, "%s", tpm);
	snprintf(it.verdict.codes, STORE_CODES_LEN, "%s", codes);
	if (received_us != 0)
		it.verdict.received_us = received_us;
	ck_assert_int_eq(store_submit(s, &it), 0);
}

/* The id of the verdict of attester/stream/tpm with sequence seq. */
static int64_t
verdict_id_of(sqlite3 *db, const char *attester, const char *stream,
    const char *tpm, uint64_t seq)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "SELECT id FROM verdicts WHERE attester = "
	    "'%s' AND stream = '%s' AND tpm = '%s' AND sequence = %" PRIu64,
	    attester, stream, tpm, seq);
	return query_i64(db, sql);
}

/* What a manage_changes callback saw. */
struct changes_seen {
	struct manage_change	 c[16];
	size_t			 n;
	size_t			 stop_after;	/* 0: never stop */
};

/* manage_changes callback: keep the change; stop after stop_after. */
static int
changes_cb(const struct manage_change *c, void *arg)
{
	struct changes_seen *cs = arg;

	ck_assert_uint_lt(cs->n, 16);
	cs->c[cs->n++] = *c;
	return cs->stop_after != 0 && cs->n >= cs->stop_after;
}

/* Run manage_changes into cs (cleared first); return *last_id. */
static int64_t
changes(struct manage_db *m, int64_t after, int64_t since, size_t max,
    size_t stop_after, struct changes_seen *cs)
{
	struct riv_err err = { "" };
	int64_t last = -1;

	memset(cs, 0, sizeof(*cs));
	cs->stop_after = stop_after;
	ck_assert_msg(manage_changes(m, after, since, max, changes_cb, cs,
	    &last, &err) == 0, "manage_changes: %s", err.msg);
	return last;
}

/*
 * Take a database rivd made (schema DB_VERSION) back to what schema 5 was
 * but for user_version: the CHECKs on verdicts.result and events.what
 * name lists of values, edited in place as migration 6 edits them.
 */
static void
back_to_schema_5(sqlite3 *db)
{
	int64_t cookie;
	char sql[64];

	ck_assert_msg(DB_VERSION == 6, "back_to_schema_5 takes schema 6 "
	    "back, not %d", DB_VERSION);
	cookie = query_i64(db, "PRAGMA schema_version");
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %lld",
	    (long long)cookie + 1);
	ck_assert_msg(sqlite3_exec(db, "BEGIN; PRAGMA writable_schema = ON; "
	    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (result = "
	    "''pass'' OR result = ''fail'' OR result = ''error'' "
	    "OR result = ''stale'')', 'CHECK (result IN (''pass'', ''fail'', "
	    "''error'', ''stale''))') WHERE name = 'verdicts'; "
	    "UPDATE sqlite_schema SET sql = replace(sql, 'CHECK (what = "
	    "''posture'' OR what = ''connection'' OR what = "
	    "''subscription'')', 'CHECK (what IN (''posture'', "
	    "''connection'', ''subscription''))') WHERE name = 'events'",
	    NULL, NULL, NULL) == SQLITE_OK, "back to schema 5: %s",
	    sqlite3_errmsg(db));
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA writable_schema = RESET; "
	    "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE sql LIKE '%CHECK (result IN (%' OR "
	    "sql LIKE '%CHECK (what IN (%'"), 2);
}

/*
 * Take a database rivd made (schema DB_VERSION) back to what schema 4 was
 * but for user_version: verdicts_evidence as schema 4 had it, no chains,
 * no count of verdicts on evidence.
 */
static void
back_to_schema_4(sqlite3 *db)
{
	back_to_schema_5(db);
	ck_assert_msg(sqlite3_exec(db, "CREATE UNIQUE INDEX verdicts_evidence "
	    "ON verdicts (attester, stream, tpm, subscription, sequence, "
	    "nonce) WHERE evidence = 1; "
	    "ALTER TABLE verdicts DROP COLUMN prev_id; "
	    "ALTER TABLE posture DROP COLUMN nevidence", NULL, NULL, NULL) ==
	    SQLITE_OK, "back to schema 4: %s", sqlite3_errmsg(db));
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM "
	    "pragma_table_info('verdicts')"), 14);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM "
	    "pragma_table_info('posture')"), 10);
}

/*
 * Start a store at path holding what the migration tests take back to an
 * old schema: r1 connected, a pass and then a failure (nonce) on its
 * ima-log.
 */
static struct store *
start_migration_store(const char *path)
{
	struct store *s = open_store(path, NULL);

	start_store(s, 16, 0, NULL);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected", ""), 0);
	submit_verdict(s, "r1", "ima-log", "", 1, VERDICT_PASS, "", 0);
	submit_verdict(s, "r1", "ima-log", "", 2, VERDICT_FAIL, "nonce", 0);
	return s;
}

START_TEST(test_migrate_2_to_3)
{
	struct changes_seen cs;
	struct riv_err err = { "" };
	struct manage_db *m = NULL;
	struct tmpdb t;
	struct store *s;
	int64_t v3;
	sqlite3 *db;

	tmpdb_make(&t);
	s = start_migration_store(t.path);
	store_stop(s);
	/* Take it back to what schema 2 was: a database of rivd 2. */
	db = open_raw(t.path);
	back_to_schema_4(db);
	ck_assert_int_eq(sqlite3_exec(db, "DROP INDEX verdicts_evidence; "
	    "CREATE UNIQUE INDEX verdicts_evidence ON verdicts "
	    "(attester, stream, tpm, subscription, sequence) "
	    "WHERE evidence = 1; DROP TABLE audit; "
	    "DROP TABLE acknowledgements; DROP INDEX events_overall; "
	    "DROP INDEX verdicts_problems; "
	    "ALTER TABLE events DROP COLUMN verdict_id; "
	    "DROP INDEX verdicts_result; "
	    "CREATE INDEX verdicts_result ON verdicts (result); "
	    "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM "
	    "pragma_table_info('events')"), 9);
	sqlite3_close(db);

	/* rivctl reads it as it is; the management server refuses it. */
	ck_assert_int_eq(db_open_reader(t.path, &db, &err), RIV_OK);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 2);
	sqlite3_close(db);
	ck_assert_int_eq(manage_open(t.path, &m, &err), -1);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err.msg, t.path) != NULL &&
	    strstr(err.msg, "schema version 2") != NULL, "%s", err.msg);

	/* rivd opens it: migrated, rows kept, new changes name verdicts. */
	s = open_store(t.path, NULL);
	start_store(s, 16, 0, NULL);
	submit_verdict(s, "r1", "ima-log", "", 3, VERDICT_PASS, "", 0);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), DB_VERSION);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 3);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'connection'"), 1);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'posture' AND verdict_id IS NULL"), 4);
	v3 = verdict_id_of(db, "r1", "ima-log", "", 3);
	ck_assert_int_eq(v3, 3);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'posture' AND verdict_id = 3"), 2);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM audit"), 0);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM "
	    "acknowledgements"), 0);
	ck_assert_int_eq(check_chains(db), 1);
	check_schema_sql(db, t.path);

	/* Old changes have no verdict; the posture after each is right. */
	m = open_manage(t.path);
	ck_assert_int_eq(changes(m, 0, 0, 0, 0, &cs), cs.c[2].event_id);
	ck_assert_uint_eq(cs.n, 3);
	ck_assert_str_eq(cs.c[0].previous, "");
	ck_assert_str_eq(cs.c[0].result, "pass");
	ck_assert_uint_eq(cs.c[0].verdict_id, 0);
	ck_assert_uint_eq(cs.c[0].sequence, 0);
	ck_assert_str_eq(cs.c[0].posture, "pass");
	ck_assert_str_eq(cs.c[1].previous, "pass");
	ck_assert_str_eq(cs.c[1].result, "fail");
	ck_assert_str_eq(cs.c[1].codes, "nonce");
	ck_assert_uint_eq(cs.c[1].nreasons, 0);
	ck_assert_str_eq(cs.c[1].posture, "fail");
	ck_assert_str_eq(cs.c[2].result, "pass");
	ck_assert_uint_eq(cs.c[2].verdict_id, 3);
	ck_assert_uint_eq(cs.c[2].sequence, 3);
	ck_assert_str_eq(cs.c[2].posture, "pass");
	manage_close(m);
	tmpdb_remove(&t);
}
END_TEST

/* Write the query plan of sql, its details joined by "; ", into buf. */
static void
query_plan(sqlite3 *db, const char *sql, char *buf, size_t len)
{
	sqlite3_stmt *st;
	char q[512];
	size_t off = 0;

	snprintf(q, sizeof(q), "EXPLAIN QUERY PLAN %s", sql);
	ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &st, NULL), SQLITE_OK);
	buf[0] = '\0';
	while (off < len && sqlite3_step(st) == SQLITE_ROW)
		off += (size_t)snprintf(buf + off, len - off, "%s; ",
		    (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
}

START_TEST(test_migrate_3_to_4)
{
	struct tmpdb t;
	struct store *s;
	char buf[512];
	int64_t last;
	sqlite3 *db;

	tmpdb_make(&t);
	s = start_migration_store(t.path);
	submit_verdict(s, "r2", "bios-log", "", 1, VERDICT_PASS, "", 0);
	store_stop(s);
	/* Take it back to schema 3: verdicts_result indexed every verdict. */
	db = open_raw(t.path);
	back_to_schema_4(db);
	ck_assert_int_eq(sqlite3_exec(db, "DROP INDEX verdicts_result; "
	    "CREATE INDEX verdicts_result ON verdicts (result); "
	    "PRAGMA user_version = 3", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'verdicts_result' AND sql NOT LIKE '%WHERE%'"), 1);
	last = query_i64(db, "SELECT max(id) FROM verdicts");
	sqlite3_close(db);

	/* rivd opens it: migrated to the current schema, rows kept, ids go
	 * on. */
	s = open_store(t.path, NULL);
	start_store(s, 16, 0, NULL);
	submit_verdict(s, "r1", "ima-log", "", 3, VERDICT_PASS, "", 0);
	submit_verdict(s, "r2", "bios-log", "", 2, VERDICT_ERROR, "quote", 0);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), DB_VERSION);
	ck_assert_int_ge(DB_VERSION, 4);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 5);
	ck_assert_int_eq(query_i64(db, "SELECT min(id) FROM verdicts WHERE "
	    "sequence = 3 OR stream = 'bios-log' AND sequence = 2"), last + 1);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM state"), 2);
	ck_assert_int_eq(query_i64(db, "SELECT npass + nfail FROM posture "
	    "WHERE attester = 'r1'"), 3);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'posture'"), 10);
	/* Verdicts that did not pass are found through the index. */
	query_plan(db, "SELECT id FROM verdicts WHERE 1 AND result IN "
	    "('fail') AND result <> 'pass' ORDER BY id", buf, sizeof(buf));
	ck_assert_msg(strstr(buf, "verdicts_result") != NULL, "%s", buf);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts "
	    "INDEXED BY verdicts_result WHERE result <> 'pass'"), 2);
	ck_assert_int_eq(check_chains(db), 2);
	check_schema_sql(db, t.path);
	tmpdb_remove(&t);
}
END_TEST

/*
 * Count the temporary B-trees (OpenEphemeral) SQLite's plan for sql opens
 * on db.
 */
static int
count_ephemeral(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	char explain[512];
	int n = 0;

	snprintf(explain, sizeof(explain), "EXPLAIN %s", sql);
	ck_assert_msg(sqlite3_prepare_v2(db, explain, -1, &st, NULL) ==
	    SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 1),
		    "OpenEphemeral") == 0)
			n++;
	sqlite3_finalize(st);
	return n;
}

/* A verdict and an event whose result and what are ?1. */
static const char insert_verdict_sql[] = "INSERT INTO verdicts (attester, "
    "stream, subscription, sequence, result, received_us, committed_us) "
    "VALUES ('r9', 'ima-log', 1, 1, ?1, 1, 1)";
static const char insert_event_sql[] = "INSERT INTO events (time_us, "
    "attester, what, new) VALUES (1, 'r9', ?1, 'x')";

/*
 * Schema 5 to 6: the CHECKs on lists of values become comparisons, edited
 * in place: the rows stay, the checks hold, no temporary B-tree per row
 * (SQLite 3.40, Debian 12's, builds one for a list of more than two), and
 * a reader that had read schema 5 reads the new one.
 */
START_TEST(test_migrate_5_to_6)
{
	struct tmpdb t;
	struct store *s;
	sqlite3 *db, *reader;
	sqlite3_stmt *st;
	char ok[16];

	tmpdb_make(&t);
	s = start_migration_store(t.path);
	store_stop(s);
	db = open_raw(t.path);
	/* Schema 6 checks each row without a temporary B-tree. */
	ck_assert_int_eq(count_ephemeral(db, insert_verdict_sql), 0);
	ck_assert_int_eq(count_ephemeral(db, insert_event_sql), 0);
	back_to_schema_5(db);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 5", NULL,
	    NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(count_ephemeral(db, insert_verdict_sql), 1);
	ck_assert_int_eq(count_ephemeral(db, insert_event_sql), 1);
	sqlite3_close(db);

	/* A reader has read schema 5 when rivd migrates. */
	reader = open_raw(t.path);
	ck_assert_int_eq(query_i64(reader, "SELECT count(*) FROM verdicts"), 2);
	ck_assert_int_eq(count_ephemeral(reader, insert_verdict_sql), 1);

	s = start_migration_store(t.path);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), DB_VERSION);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 4);
	ck_assert_int_eq(check_chains(db), 1);
	ck_assert_int_eq(count_ephemeral(db, insert_verdict_sql), 0);
	ck_assert_int_eq(count_ephemeral(db, insert_event_sql), 0);
	/* The checks hold as before. */
	ck_assert_int_eq(sqlite3_prepare_v2(db, insert_verdict_sql, -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, "passed", -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_CONSTRAINT);
	ck_assert_int_eq(sqlite3_extended_errcode(db),
	    SQLITE_CONSTRAINT_CHECK);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "stale", -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	ck_assert_int_eq(sqlite3_prepare_v2(db, insert_event_sql, -1, &st,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, "postures", -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_CONSTRAINT);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "connection", -1, SQLITE_STATIC);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	query_text(db, "PRAGMA integrity_check", ok, sizeof(ok));
	ck_assert_str_eq(ok, "ok");
	/* The reader reads the schema again: the cookie moved. */
	ck_assert_int_eq(query_i64(reader, "SELECT count(*) FROM verdicts"),
	    5);
	ck_assert_int_eq(count_ephemeral(reader, insert_verdict_sql), 0);
	sqlite3_close(reader);
	check_schema_sql(db, t.path);
	tmpdb_remove(&t);
}
END_TEST

/*
 * A schema 5 whose CHECK on a list is written otherwise than rivd wrote it
 * is refused, not taken for schema 6 with its list; nothing changes.
 */
START_TEST(test_migrate_6_refuses_other_text)
{
	struct riv_err err = { "" };
	struct store *s = NULL;
	struct tmpdb t;
	sqlite3 *db;

	tmpdb_make(&t);
	s = start_migration_store(t.path);
	store_stop(s);
	db = open_raw(t.path);
	back_to_schema_5(db);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA writable_schema = ON; "
	    "UPDATE sqlite_schema SET sql = replace(sql, 'result IN (''pass'', "
	    "''fail''', 'result IN (''pass'',''fail''') WHERE name = "
	    "'verdicts'; PRAGMA writable_schema = RESET; "
	    "PRAGMA user_version = 5", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(store_open(t.path, NULL, &s, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "migration to schema version 6") !=
	    NULL, "%s", err.msg);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), 5);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 2);
	sqlite3_close(db);
	tmpdb_remove(&t);
}
END_TEST

/*
 * Schema 4 to 5: verdicts_evidence dropped, each source's verdicts
 * chained (prev_id) and those on evidence counted (posture.nevidence),
 * for the rows there and those stored after.
 */
START_TEST(test_migrate_4_to_5)
{
	/* Sources interleaved: one attester's TPMs, streams, attesters. */
	static const struct chain_rec before[] = {
		/* 1 */ { "r1", "ima-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 2 */ { "r2", "ima-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 3 */ { "r1", "ima-log", "", 2, VERDICT_FAIL, 0, 0 },
		/* 4 */ { "r1", "bios-log", "tpm0", 1, VERDICT_PASS, 0, 0 },
		/* 5 */ { "r2", "ima-log", "", 0, VERDICT_STALE, 1, 0 },
		/* 6 */ { "r1", "bios-log", "tpm1", 1, VERDICT_PASS, 0, 0 },
		/* 7 */ { "r1", "ima-log", "", 3, VERDICT_PASS, 0, 0 },
		/* 8 */ { "r2", "ima-log", "", 2, VERDICT_PASS, 0, 0 },
		/* 9 */ { "r1", "bios-log", "tpm0", 2, VERDICT_PASS, 0, 0 },
		/* 10 */ { "r1", "bios-log", "tpm1", 2, VERDICT_PASS, 0, 0 },
		/* 11 */ { "r2", "bios-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 12 */ { "r2", "ima-log", "", 3, VERDICT_PASS, 0, 0 },
	};
	static const struct chain_rec after[] = {
		/* 13 */ { "r1", "ima-log", "", 4, VERDICT_PASS, 0, 0 },
		/* 12 again: schema 4 refused it. */
		/* 14 */ { "r2", "ima-log", "", 3, VERDICT_PASS, 0, 0 },
		/* 15 */ { "r3", "ima-log", "", 1, VERDICT_PASS, 0, 0 },
		/* 16 */ { "r1", "bios-log", "tpm0", 0, VERDICT_ERROR, 1, 0 },
		/* 17 */ { "r1", "bios-log", "tpm0", 0, VERDICT_ERROR, 1, 0 },
		/* 18 */ { "r1", "bios-log", "tpm1", 3, VERDICT_PASS, 0, 0 },
	};
	struct tmpdb t;
	struct store *s;
	char buf[256];
	sqlite3 *db;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	submit_chain_recs(s, before, sizeof(before) / sizeof(before[0]), 1);
	start_store(s, 4, 0, NULL);
	store_stop(s);
	/* Take it back to schema 4. */
	db = open_raw(t.path);
	back_to_schema_4(db);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 4", NULL,
	    NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 12);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'verdicts_evidence'"), 1);
	sqlite3_close(db);

	/* rivd opens it: the rows there chained and counted. */
	s = open_store(t.path, NULL);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "PRAGMA user_version"), DB_VERSION);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM sqlite_schema "
	    "WHERE name = 'verdicts_evidence'"), 0);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 12);
	ck_assert_int_eq(check_chains(db), 5);
	query_text(db, "SELECT group_concat(id || ':' || prev_id) FROM "
	    "(SELECT id, prev_id FROM verdicts ORDER BY id)", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "1:0,2:0,3:1,4:0,5:2,6:0,7:3,8:5,9:4,10:6,"
	    "11:0,12:8");
	walk_chain(db, "r1", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "7,3,1");
	walk_chain(db, "r2", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "12,8,5,2");
	walk_chain(db, "r1", "bios-log", "tpm0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "9,4");
	walk_chain(db, "r1", "bios-log", "tpm1", buf, sizeof(buf));
	ck_assert_str_eq(buf, "10,6");
	query_text(db, "SELECT group_concat(attester || ':' || stream || ':' "
	    "|| tpm || ':' || nevidence || ':' || (npass + nfail + nerror + "
	    "nstale), ' ') FROM (SELECT * FROM posture ORDER BY attester, "
	    "stream, tpm)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "r1:bios-log:tpm0:2:2 r1:bios-log:tpm1:2:2 "
	    "r1:ima-log::3:3 r2:bios-log::1:1 r2:ima-log::3:4");
	sqlite3_close(db);

	/* The chains go on, the key of 12 stored again. */
	s = open_store(t.path, NULL);
	submit_chain_recs(s, after, sizeof(after) / sizeof(after[0]), 13);
	start_store(s, 16, 0, NULL);
	store_stop(s);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 18);
	ck_assert_int_eq(check_chains(db), 6);
	walk_chain(db, "r1", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "13,7,3,1");
	walk_chain(db, "r2", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "14,12,8,5,2");
	walk_chain(db, "r1", "bios-log", "tpm0", buf, sizeof(buf));
	ck_assert_str_eq(buf, "17,16,9,4");
	walk_chain(db, "r1", "bios-log", "tpm1", buf, sizeof(buf));
	ck_assert_str_eq(buf, "18,10,6");
	walk_chain(db, "r3", "ima-log", "", buf, sizeof(buf));
	ck_assert_str_eq(buf, "15");
	query_text(db, "SELECT group_concat(attester || ':' || stream || ':' "
	    "|| tpm || ':' || nevidence || ':' || (npass + nfail + nerror + "
	    "nstale), ' ') FROM (SELECT * FROM posture ORDER BY attester, "
	    "stream, tpm)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "r1:bios-log:tpm0:2:4 r1:bios-log:tpm1:3:3 "
	    "r1:ima-log::4:4 r2:bios-log::1:1 r2:ima-log::4:5 "
	    "r3:ima-log::1:1");
	check_schema_sql(db, t.path);
	tmpdb_remove(&t);
}
END_TEST

/*
 * Submit the verdicts and notes of test_batch_equivalence: two
 * attesters' streams passing, failing and passing again, interleaved.
 */
static void
submit_interleaved(struct store *s)
{
	static const struct {
		const char		*attester;
		const char		*stream;
		uint64_t		 seq;
		enum verdict_result	 r;
	} v[] = {
		{ "r1", "ima-log", 1, VERDICT_PASS },
		{ "r1", "ima-log", 2, VERDICT_PASS },
		{ "r1", "bios-log", 1, VERDICT_PASS },
		{ "r1", "ima-log", 3, VERDICT_FAIL },
		{ "r2", "ima-log", 1, VERDICT_PASS },
		{ "r1", "ima-log", 4, VERDICT_FAIL },
		{ "r1", "bios-log", 2, VERDICT_PASS },
		{ NULL, NULL, 0, VERDICT_PASS },	/* a note */
		{ "r1", "ima-log", 5, VERDICT_PASS },
		{ "r2", "ima-log", 2, VERDICT_PASS },
		{ "r1", "ima-log", 6, VERDICT_PASS },
		{ "r1", "bios-log", 3, VERDICT_PASS },
		{ "r2", "ima-log", 3, VERDICT_STALE },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i].attester == NULL)
			ck_assert_int_eq(store_note_subscription(s, "r1",
			    "ima-log", 3, "active", ""), 0);
		else
			submit_verdict(s, v[i].attester, v[i].stream, "",
			    v[i].seq, v[i].r, v[i].r == VERDICT_PASS ? "" :
			    "nonce", 0);
}

/*
 * Write what test_batch_equivalence compares of the store at path into
 * buf: every row, but for the commit times and the times of notes.
 */
static void
dump_outcome(const char *path, char *buf, size_t len)
{
	static const char *const queries[] = {
	    "SELECT group_concat(id || ',' || attester || ',' || stream || "
	    "',' || subscription || ',' || sequence || ',' || result || ',' || "
	    "codes || ',' || nonce || ',' || received_us || ',' || prev_id, "
	    "' ') FROM (SELECT * FROM verdicts ORDER BY id)",
	    "SELECT group_concat(attester || ',' || stream || ',' || sequence "
	    "|| ',' || CAST(blob AS TEXT), ' ') FROM (SELECT * FROM state "
	    "ORDER BY attester, stream)",
	    "SELECT group_concat(attester || ',' || stream || ',' || result || "
	    "',' || since_us || ',' || verdict_id || ',' || npass || ',' || "
	    "nfail || ',' || nerror || ',' || nstale || ',' || nevidence, ' ') "
	    "FROM (SELECT * FROM posture ORDER BY attester, stream)",
	    "SELECT group_concat(id || ',' || attester || ',' || "
	    "coalesce(stream, '*') || ',' || what || ',' || coalesce(old, '-') "
	    "|| ',' || new || ',' || detail || ',' || coalesce(verdict_id, '-') "
	    "|| ',' || CASE what WHEN 'posture' THEN time_us ELSE '' END, ' ') "
	    "FROM (SELECT * FROM events ORDER BY id)",
	    "SELECT group_concat(name || ',' || coalesce(posture, '-') || ',' "
	    "|| coalesce(posture_since_us, '-'), ' ') FROM (SELECT * FROM "
	    "attesters ORDER BY name)",
	};
	char row[4096];
	sqlite3 *db;
	size_t i, off = 0;

	db = open_raw(path);
	buf[0] = '\0';
	for (i = 0; i < sizeof(queries) / sizeof(queries[0]); i++) {
		query_text(db, queries[i], row, sizeof(row));
		ck_assert_uint_lt(strlen(row), sizeof(row) - 1);
		off += (size_t)snprintf(buf + off, len - off, "%s\n", row);
		ck_assert_uint_lt(off, len);
	}
	sqlite3_close(db);
}

/*
 * Fill a store at path: a first transaction, then the records of
 * submit_interleaved committed batch at a time.
 */
static void
fill_interleaved(const char *path, size_t batch, struct seen *sn)
{
	struct store *s;

	s = open_store(path, NULL);
	start_store(s, 16, 0, NULL);
	submit_verdict(s, "r1", "ima-log", "", 10, VERDICT_FAIL, "nonce", 0);
	submit_verdict(s, "r2", "ima-log", "", 10, VERDICT_PASS, "", 0);
	store_stop(s);
	s = open_store(path, NULL);
	submit_interleaved(s);		/* all waiting when the writer starts */
	start_store(s, batch, 0, sn);
	store_stop(s);
}

/*
 * The same records committed one per transaction and all in one give the
 * same store: state of the last verdict, counts, chains, events on
 * changes with the verdict that caused them.
 */
START_TEST(test_batch_equivalence)
{
	struct tmpdb t;
	struct seen sn;
	char *one, *all, buf[256], path[160];
	sqlite3 *db;

	tmpdb_make(&t);
	one = calloc(1, 64 * 1024);
	all = calloc(1, 64 * 1024);
	ck_assert_ptr_nonnull(one);
	ck_assert_ptr_nonnull(all);

	/* A transaction per record. */
	snprintf(path, sizeof(path), "%s.ref", t.path);
	seen_init(&sn);
	fill_interleaved(path, 1, &sn);
	ck_assert_uint_eq(sn.n, 12);
	seen_free(&sn);
	dump_outcome(path, one, 64 * 1024);

	/* All in one transaction: the same outcome. */
	seen_init(&sn);
	fill_interleaved(t.path, 256, &sn);
	ck_assert_uint_eq(sn.batches, 1);
	ck_assert_uint_eq(sn.n, 12);
	seen_free(&sn);
	dump_outcome(t.path, all, 64 * 1024);
	if (strcmp(one, all) != 0)
		fprintf(stderr, "--- a transaction per record\n%s--- one "
		    "transaction\n%s", one, all);
	ck_assert_msg(strcmp(one, all) == 0, "one transaction stored "
	    "another outcome than a transaction per record");

	/* And that outcome is the right one. */
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"), 14);
	/* The state of each stream's last verdict. */
	query_text(db, "SELECT group_concat(stream || ':' || sequence || ':' "
	    "|| CAST(blob AS TEXT), ' ') FROM (SELECT * FROM state WHERE "
	    "attester = 'r1' ORDER BY stream)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "bios-log:3:state r1 bios-log 3 "
	    "ima-log:6:state r1 ima-log 6");
	query_text(db, "SELECT sequence || ':' || CAST(blob AS TEXT) FROM "
	    "state WHERE attester = 'r2'", buf, sizeof(buf));
	ck_assert_str_eq(buf, "3:state r2 ima-log 3");
	/* Every verdict counted once; the latest named, the chains whole. */
	query_text(db, "SELECT group_concat(attester || ':' || stream || ':' "
	    "|| result || ':' || npass || '/' || nfail || '/' || nerror || "
	    "'/' || nstale, ' ') FROM (SELECT * FROM posture ORDER BY "
	    "attester, stream)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "r1:bios-log:pass:3/0/0/0 "
	    "r1:ima-log:pass:4/3/0/0 r2:ima-log:stale:3/0/0/1");
	ck_assert_int_eq(query_i64(db, "SELECT verdict_id FROM posture WHERE "
	    "attester = 'r1' AND stream = 'ima-log'"),
	    verdict_id_of(db, "r1", "ima-log", "", 6));
	ck_assert_int_eq(query_i64(db, "SELECT sum(npass + nfail + nerror + "
	    "nstale) FROM posture"), 14);
	ck_assert_int_eq(check_chains(db), 3);
	/* An event on each change only, naming the verdict that made it. */
	query_text(db, "SELECT group_concat(coalesce(e.old, '-') || '>' || "
	    "e.new || ':' || v.sequence, ' ') FROM (SELECT * FROM events "
	    "WHERE what = 'posture' AND attester = 'r1' AND stream = "
	    "'ima-log' ORDER BY id) e JOIN verdicts v ON v.id = e.verdict_id",
	    buf, sizeof(buf));
	ck_assert_str_eq(buf, "->fail:10 fail>pass:1 pass>fail:3 "
	    "fail>pass:5");
	query_text(db, "SELECT group_concat(coalesce(e.old, '-') || '>' || "
	    "e.new || ':' || e.detail || ':' || v.sequence, ' ') FROM (SELECT "
	    "* FROM events WHERE what = 'posture' AND attester = 'r1' AND "
	    "stream IS NULL ORDER BY id) e JOIN verdicts v ON "
	    "v.id = e.verdict_id", buf, sizeof(buf));
	ck_assert_str_eq(buf, "->fail:ima-log:10 fail>pass:ima-log:1 "
	    "pass>fail:ima-log:3 fail>pass:ima-log:5");
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'posture' AND stream = 'bios-log'"), 1);
	sqlite3_close(db);
	free(one);
	free(all);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_manage_open_refused)
{
	struct riv_err err = { "" };
	struct manage_db *m = NULL;
	struct tmpdb t;
	char *sql;
	sqlite3 *db;

	tmpdb_make(&t);
	/* Not there: the management server does not create it. */
	ck_assert_int_eq(manage_open(t.path, &m, &err), -1);
	ck_assert_ptr_null(m);
	ck_assert_msg(strstr(err.msg, t.path) != NULL &&
	    strstr(err.msg, "No such file") != NULL, "%s", err.msg);
	ck_assert_int_eq(access(t.path, F_OK), -1);
	/* Made by db/schema.sql but never opened by rivd: not WAL. */
	sql = read_schema_sql();
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(sql);
	ck_assert_int_eq(manage_open(t.path, &m, &err), -1);
	ck_assert_msg(strstr(err.msg, "not WAL") != NULL, "%s", err.msg);
	/* Another program's database. */
	unlink(t.path);
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE foo (x)", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(manage_open(t.path, &m, &err), -1);
	ck_assert_msg(strstr(err.msg, "not a rivd database") != NULL, "%s",
	    err.msg);
	/* rivd's, but not migrated to the schema the server reads yet. */
	unlink(t.path);
	store_stop(open_store(t.path, NULL));
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 4", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(manage_open(t.path, &m, &err), -1);
	ck_assert_msg(strstr(err.msg, "schema version 4, 5 at least needed") !=
	    NULL, "%s", err.msg);
	manage_close(NULL);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_event_verdict_id)
{
	struct tmpdb t;
	struct store *s;
	char buf[256];
	sqlite3 *db;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	start_store(s, 16, 0, NULL);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected", ""), 0);
	ck_assert_int_eq(store_note_subscription(s, "r1", "ima-log", 3,
	    "active", ""), 0);
	submit_verdict(s, "r1", "ima-log", "", 1, VERDICT_PASS, "", 0);
	submit_verdict(s, "r1", "ima-log", "", 2, VERDICT_PASS, "", 0);
	submit_verdict(s, "r1", "ima-log", "", 3, VERDICT_FAIL, "nonce", 0);
	submit_verdict(s, "r1", "bios-log", "tpm0", 1, VERDICT_PASS, "", 0);
	store_stop(s);
	db = open_raw(t.path);
	/* Each change, stream or overall (*), names the verdict behind. */
	query_text(db, "SELECT group_concat(new || ':' || sequence || ':' || "
	    "coalesce(stream, '*'), ' ') FROM (SELECT e.new, v.sequence, "
	    "e.stream FROM events e JOIN verdicts v ON v.id = e.verdict_id "
	    "WHERE e.what = 'posture' AND (e.stream IS NULL OR "
	    "e.stream = v.stream) ORDER BY e.id)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "pass:1:ima-log pass:1:* fail:3:ima-log "
	    "fail:3:* pass:1:bios-log");
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what = 'posture' AND verdict_id IS NULL"), 0);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM events WHERE "
	    "what <> 'posture' AND verdict_id IS NULL"), 2);
	ck_assert_int_eq(query_i64(db, "SELECT verdict_id FROM events WHERE "
	    "stream = 'bios-log' AND what = 'posture'"),
	    verdict_id_of(db, "r1", "bios-log", "tpm0", 1));
	sqlite3_close(db);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_audit)
{
	struct riv_err err = { "" };
	struct manage_db *m;
	struct tmpdb t;
	struct store *s;
	int64_t before, after;
	char buf[256], *big;
	sqlite3 *db;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	store_stop(s);
	m = open_manage(t.path);
	before = db_now_us();
	ck_assert_int_eq(manage_audit(m, "alice", "ssh 127.0.0.1",
	    "edit-config", "<config><attester>r1</attester></config>", "ok",
	    &err), 0);
	ck_assert_int_eq(manage_audit(m, "bob", NULL, "resync", NULL,
	    "access denied", &err), 0);
	/* 64 KiB of detail at most, not cutting a character in two. */
	big = malloc(100000);
	memset(big, 'x', 100000);
	memcpy(big + MANAGE_DETAIL_MAX - 1, "\xc3\xa9", 2);
	big[99999] = '\0';
	ck_assert_int_eq(manage_audit(m, "carol", "tls ::1", "edit-config",
	    big, "ok", &err), 0);
	after = db_now_us();
	manage_close(m);
	db = open_raw(t.path);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM audit"), 3);
	query_text(db, "SELECT group_concat(id || '|' || user || '|' || "
	    "source || '|' || operation || '|' || outcome, ' ') FROM "
	    "(SELECT * FROM audit ORDER BY id)", buf, sizeof(buf));
	ck_assert_str_eq(buf, "1|alice|ssh 127.0.0.1|edit-config|ok "
	    "2|bob||resync|access denied 3|carol|tls ::1|edit-config|ok");
	query_text(db, "SELECT detail FROM audit WHERE id = 1", buf,
	    sizeof(buf));
	ck_assert_str_eq(buf, "<config><attester>r1</attester></config>");
	ck_assert_int_eq(query_i64(db, "SELECT length(detail) FROM audit "
	    "WHERE id = 2"), 0);
	ck_assert_int_eq(query_i64(db, "SELECT length(CAST(detail AS BLOB)) "
	    "FROM audit WHERE id = 3"), MANAGE_DETAIL_MAX - 1);
	ck_assert_int_ge(query_i64(db, "SELECT min(time_us) FROM audit"),
	    before);
	ck_assert_int_le(query_i64(db, "SELECT max(time_us) FROM audit"),
	    after);
	sqlite3_close(db);
	free(big);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_acknowledge)
{
	struct riv_err err = { "" };
	struct manage_attester a;
	struct manage_db *m;
	struct seen sn;
	struct tmpdb t;
	struct store *s;
	int64_t id3, id5, other;
	uint64_t count = 99;
	char buf[256], want[256];
	sqlite3 *db;

	tmpdb_make(&t);
	seen_init(&sn);
	s = open_store(t.path, NULL);
	start_store(s, 16, 0, &sn);
	m = open_manage(t.path);
	/* Acknowledged while the writer runs: neither blocks the other. */
	submit_verdict(s, "a1", "ima-log", "", 1, VERDICT_PASS, "", 0);
	submit_verdict(s, "a1", "ima-log", "", 2, VERDICT_FAIL, "nonce", 0);
	submit_verdict(s, "a1", "ima-log", "", 3, VERDICT_ERROR, "parse", 0);
	submit_verdict(s, "a1", "ima-log", "", 4, VERDICT_PASS, "", 0);
	submit_verdict(s, "a1", "bios-log", "", 1, VERDICT_STALE, "late", 0);
	submit_verdict(s, "a2", "ima-log", "", 1, VERDICT_FAIL, "nonce", 0);
	seen_wait(&sn, 6);
	db = open_raw(t.path);
	id3 = verdict_id_of(db, "a1", "ima-log", "", 3);
	id5 = verdict_id_of(db, "a1", "bios-log", "", 1);
	other = verdict_id_of(db, "a2", "ima-log", "", 1);

	/* Not one of a1's verdicts, or none at all. */
	ck_assert_int_eq(manage_acknowledge(m, "alice", "a1",
	    (uint64_t)other, "", &count, &err), -1);
	ck_assert_uint_eq(count, 0);
	snprintf(buf, sizeof(buf), "verdict %lld is not one of a1's "
	    "verdicts", (long long)other);
	ck_assert_str_eq(err.msg, buf);
	ck_assert_int_eq(manage_acknowledge(m, "alice", "a1", 999, "", &count,
	    &err), -1);
	ck_assert_str_eq(err.msg, "verdict 999 is not one of a1's verdicts");
	ck_assert_int_eq(manage_acknowledge(m, "alice", "a1", UINT64_MAX, "",
	    &count, &err), -1);
	/* An attester without verdicts: nothing to acknowledge. */
	count = 99;
	ck_assert_int_eq(manage_acknowledge(m, "alice", "a3", 0, "", &count,
	    &err), 0);
	ck_assert_uint_eq(count, 0);
	ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM "
	    "acknowledgements"), 0);

	ck_assert_int_eq(manage_attester_state(m, "a1", &a, &err), 0);
	ck_assert_uint_eq(a.unacknowledged, 3);
	/* Up to the error: the fail and the error. */
	ck_assert_int_eq(manage_acknowledge(m, "alice", "a1", (uint64_t)id3,
	    "seen it", &count, &err), 0);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(manage_attester_state(m, "a1", &a, &err), 0);
	ck_assert_uint_eq(a.unacknowledged, 1);
	/* Then the latest: only the stale one is new. */
	ck_assert_int_eq(manage_acknowledge(m, "bob", "a1", 0, NULL, &count,
	    &err), 0);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(manage_attester_state(m, "a1", &a, &err), 0);
	ck_assert_uint_eq(a.unacknowledged, 0);
	/* An older verdict again: recorded, nothing newly acknowledged. */
	ck_assert_int_eq(manage_acknowledge(m, "bob", "a1", (uint64_t)id3,
	    "again", &count, &err), 0);
	ck_assert_uint_eq(count, 0);
	/* a2's acknowledgements are its own. */
	ck_assert_int_eq(manage_attester_state(m, "a2", &a, &err), 0);
	ck_assert_uint_eq(a.unacknowledged, 1);

	/* New failures after the acknowledgements. */
	submit_verdict(s, "a1", "ima-log", "", 5, VERDICT_FAIL, "nonce", 0);
	submit_verdict(s, "a1", "ima-log", "", 6, VERDICT_PASS, "", 0);
	submit_verdict(s, "a1", "ima-log", "", 7, VERDICT_FAIL, "nonce", 0);
	seen_wait(&sn, 9);
	ck_assert_int_eq(manage_attester_state(m, "a1", &a, &err), 0);
	ck_assert_uint_eq(a.unacknowledged, 2);
	ck_assert_int_eq(manage_acknowledge(m, "carol", "a1", 0, "fixed",
	    &count, &err), 0);
	ck_assert_uint_eq(count, 2);
	store_stop(s);
	manage_close(m);

	query_text(db, "SELECT group_concat(user || ':' || verdict_id || ':' "
	    "|| attester || ':' || comment, ' ') FROM (SELECT * FROM "
	    "acknowledgements ORDER BY id)", buf, sizeof(buf));
	snprintf(want, sizeof(want), "alice:%lld:a1:seen it bob:%lld:a1: "
	    "bob:%lld:a1:again carol:%lld:a1:fixed", (long long)id3,
	    (long long)id5, (long long)id3,
	    (long long)verdict_id_of(db, "a1", "ima-log", "", 7));
	ck_assert_str_eq(buf, want);
	ck_assert_int_gt(query_i64(db, "SELECT min(time_us) FROM "
	    "acknowledgements"), T0_US);
	sqlite3_close(db);
	seen_free(&sn);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_attester_state)
{
	static const struct manage_attester zero;
	struct riv_err err = { "" };
	struct manage_attester a;
	const struct manage_stream *st;
	struct store_item it;
	struct manage_db *m;
	struct tmpdb t;
	struct store *s;
	uint64_t count;
	sqlite3 *db;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	start_store(s, 64, 0, NULL);
	ck_assert_int_eq(store_note_attester(s, "r1", "connecting", ""), 0);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected",
	    "tls 192.0.2.1:6513"), 0);
	ck_assert_int_eq(store_note_attester(s, "r1", "disconnected",
	    "reset"), 0);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected",
	    "tls 192.0.2.1:6513"), 0);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected", "again"),
	    0);
	ck_assert_int_eq(store_note_subscription(s, "r1", "ima-log", 3,
	    "active", ""), 0);
	ck_assert_int_eq(store_note_subscription(s, "r1", "bios-log", 4,
	    "suspended", "no heartbeat"), 0);
	submit_verdict(s, "r1", "pcr-trust-evidence", "", 1, VERDICT_ERROR,
	    "reordered,gap", 0);
	submit_verdict(s, "r1", "ima-log", "tpm0", 1, VERDICT_PASS, "", 0);
	submit_verdict(s, "r1", "ima-log", "tpm1", 1, VERDICT_PASS, "", 0);
	submit_verdict(s, "r1", "ima-log", "tpm0", 2, VERDICT_FAIL, "gap", 0);
	fill_item(&it, "r1", "ima-log", 2, VERDICT_STALE, 2);
	snprintf(it.verdict.tpm, STORE_NAME_MAX, "tpm1");
	snprintf(it.verdict.codes, STORE_CODES_LEN, "heartbeat");
	it.verdict.no_evidence = 1;
	ck_assert_int_eq(store_submit(s, &it), 0);
	submit_verdict(s, "r1", "ima-log", "tpm0", 3, VERDICT_FAIL, "gapless",
	    0);
	submit_verdict(s, "r1", "ima-log", "tpm1", 3, VERDICT_FAIL, "nonce",
	    0);
	submit_verdict(s, "r2", "ima-log", "", 1, VERDICT_FAIL, "gap", 0);
	store_stop(s);

	m = open_manage(t.path);
	ck_assert_msg(manage_attester_state(m, "r1", &a, &err) == 0, "%s",
	    err.msg);
	ck_assert_str_eq(a.connection, "connected");
	ck_assert_str_eq(a.connection_detail, "again");
	db = open_raw(t.path);
	ck_assert_int_eq(a.connection_since_us, query_i64(db, "SELECT "
	    "max(time_us) FROM events WHERE what = 'connection'"));
	ck_assert_str_eq(a.posture, "fail");
	ck_assert_int_eq(a.posture_since_us, T0_US + 2);
	ck_assert_uint_eq(a.reconnects, 1);
	ck_assert_uint_eq(a.unacknowledged, 5);
	ck_assert_uint_eq(a.nstreams, 3);

	st = &a.streams[0];
	ck_assert_str_eq(st->name, "bios-log");
	ck_assert_int_eq(st->has_subscription, 1);
	ck_assert_uint_eq(st->subscription_id, 4);
	ck_assert_str_eq(st->subscription_state, "suspended");
	ck_assert_str_eq(st->result, "");
	ck_assert_uint_eq(st->last_verdict_id, 0);
	ck_assert_uint_eq(st->npass + st->nfail + st->nerror + st->nstale +
	    st->notifications + st->gaps, 0);

	/* Two TPMs: the worst result since the earliest, counts summed. */
	st = &a.streams[1];
	ck_assert_str_eq(st->name, "ima-log");
	ck_assert_int_eq(st->has_subscription, 1);
	ck_assert_uint_eq(st->subscription_id, 3);
	ck_assert_str_eq(st->subscription_state, "active");
	ck_assert_str_eq(st->result, "fail");
	ck_assert_int_eq(st->result_since_us, T0_US + 2);
	ck_assert_uint_eq(st->last_verdict_id,
	    (uint64_t)verdict_id_of(db, "r1", "ima-log", "tpm1", 3));
	ck_assert_uint_eq(st->last_sequence, 3);
	ck_assert_uint_eq(st->notifications, 5);
	ck_assert_uint_eq(st->npass, 2);
	ck_assert_uint_eq(st->nfail, 3);
	ck_assert_uint_eq(st->nerror, 0);
	ck_assert_uint_eq(st->nstale, 1);
	ck_assert_uint_eq(st->gaps, 1);

	st = &a.streams[2];
	ck_assert_str_eq(st->name, "pcr-trust-evidence");
	ck_assert_int_eq(st->has_subscription, 0);
	ck_assert_str_eq(st->subscription_state, "");
	ck_assert_str_eq(st->result, "error");
	ck_assert_int_eq(st->result_since_us, T0_US + 1);
	ck_assert_uint_eq(st->last_sequence, 1);
	ck_assert_uint_eq(st->notifications, 1);
	ck_assert_uint_eq(st->nerror, 1);
	ck_assert_uint_eq(st->gaps, 1);

	/* Acknowledged up to the first gap: three remain. */
	ck_assert_int_eq(manage_acknowledge(m, "alice", "r1",
	    (uint64_t)verdict_id_of(db, "r1", "ima-log", "tpm0", 2), "",
	    &count, &err), 0);
	ck_assert_uint_eq(count, 2);
	ck_assert_int_eq(manage_attester_state(m, "r1", &a, &err), 0);
	ck_assert_uint_eq(a.unacknowledged, 3);

	/* Another attester; one the store never heard of. */
	ck_assert_int_eq(manage_attester_state(m, "r2", &a, &err), 0);
	ck_assert_str_eq(a.connection, "");
	ck_assert_str_eq(a.posture, "fail");
	ck_assert_uint_eq(a.reconnects, 0);
	ck_assert_uint_eq(a.nstreams, 1);
	ck_assert_uint_eq(a.streams[0].gaps, 1);
	ck_assert_uint_eq(a.unacknowledged, 1);
	memset(&a, 0xa5, sizeof(a));
	ck_assert_int_eq(manage_attester_state(m, "nobody", &a, &err), 0);
	ck_assert_mem_eq(&a, &zero, sizeof(a));
	sqlite3_close(db);
	manage_close(m);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_changes)
{
	struct riv_err err = { "" };
	struct changes_seen cs;
	struct store_item it;
	struct manage_db *m;
	struct tmpdb t;
	struct store *s;
	int64_t id[6], last;
	sqlite3 *db;
	size_t i;

	tmpdb_make(&t);
	s = open_store(t.path, NULL);
	m = open_manage(t.path);
	ck_assert_int_eq(manage_last_event(m, &last, &err), 0);
	ck_assert_int_eq(last, 0);
	ck_assert_int_eq(changes(m, 0, 0, 0, 0, &cs), 0);
	ck_assert_uint_eq(cs.n, 0);
	start_store(s, 64, 0, NULL);
	ck_assert_int_eq(store_note_attester(s, "r1", "connected", ""), 0);
	submit_verdict(s, "r1", "ima-log", "", 1, VERDICT_PASS, "", 0);
	submit_verdict(s, "r1", "ima-log", "", 2, VERDICT_PASS, "", 0);
	fill_item(&it, "r1", "ima-log", 3, VERDICT_FAIL, 3);
	snprintf(it.verdict.codes, STORE_CODES_LEN, "nonce,replayed");
	snprintf(it.verdict.reasons[0], STORE_REASON_LEN, "nonce \"x\" "
	    "mismatch");
	snprintf(it.verdict.reasons[1], STORE_REASON_LEN, "replayed \xc3\xa9");
	it.verdict.nreasons = 2;
	ck_assert_int_eq(store_submit(s, &it), 0);
	submit_verdict(s, "r1", "ima-log", "", 4, VERDICT_PASS, "", 0);
	submit_verdict(s, "r2", "bios-log", "tpm0", 1, VERDICT_STALE,
	    "heartbeat", T0_US + 10);
	submit_verdict(s, "r1", "session", "", 1, VERDICT_ERROR, "malformed",
	    T0_US + 11);
	submit_verdict(s, "r1", "bios-log", "", 1, VERDICT_FAIL, "pcr",
	    T0_US + 12);
	store_stop(s);
	/* Damaged reasons are shown raw, never trusted. */
	db = open_raw(t.path);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE verdicts SET reasons = "
	    "'not json [' WHERE stream = 'ima-log' AND sequence = 4; "
	    "UPDATE verdicts SET reasons = '[\"ok\", 1]' WHERE "
	    "stream = 'bios-log' AND attester = 'r1'; "
	    "UPDATE verdicts SET reasons = '' WHERE stream = 'session'",
	    NULL, NULL, NULL), SQLITE_OK);

	/* All of them, in order. */
	last = changes(m, 0, 0, 0, 0, &cs);
	ck_assert_uint_eq(cs.n, 6);
	for (i = 0; i < 6; i++) {
		id[i] = cs.c[i].event_id;
		ck_assert(i == 0 || id[i] > id[i - 1]);
	}
	ck_assert_int_eq(last, id[5]);
	ck_assert_str_eq(cs.c[0].attester, "r1");
	ck_assert_str_eq(cs.c[0].stream, "ima-log");
	ck_assert_str_eq(cs.c[0].previous, "");
	ck_assert_str_eq(cs.c[0].result, "pass");
	ck_assert_str_eq(cs.c[0].posture, "pass");
	ck_assert_uint_eq(cs.c[0].sequence, 1);
	ck_assert_int_eq(cs.c[0].time_us, T0_US + 1);
	ck_assert_uint_eq(cs.c[0].nreasons, 0);

	ck_assert_str_eq(cs.c[1].previous, "pass");
	ck_assert_str_eq(cs.c[1].result, "fail");
	ck_assert_str_eq(cs.c[1].posture, "fail");
	ck_assert_str_eq(cs.c[1].codes, "nonce,replayed");
	ck_assert_uint_eq(cs.c[1].nreasons, 2);
	ck_assert_str_eq(cs.c[1].reasons[0], "nonce \"x\" mismatch");
	ck_assert_str_eq(cs.c[1].reasons[1], "replayed \xc3\xa9");
	ck_assert_uint_eq(cs.c[1].sequence, 3);
	ck_assert_uint_eq(cs.c[1].verdict_id,
	    (uint64_t)verdict_id_of(db, "r1", "ima-log", "", 3));
	ck_assert_int_eq(cs.c[1].time_us, T0_US + 3);

	ck_assert_str_eq(cs.c[2].previous, "fail");
	ck_assert_str_eq(cs.c[2].result, "pass");
	ck_assert_str_eq(cs.c[2].posture, "pass");
	ck_assert_uint_eq(cs.c[2].nreasons, 1);
	ck_assert_str_eq(cs.c[2].reasons[0], "not json [");

	ck_assert_str_eq(cs.c[3].attester, "r2");
	ck_assert_str_eq(cs.c[3].stream, "bios-log");
	ck_assert_str_eq(cs.c[3].tpm, "tpm0");
	ck_assert_str_eq(cs.c[3].result, "stale");
	ck_assert_str_eq(cs.c[3].posture, "stale");
	ck_assert_str_eq(cs.c[3].codes, "heartbeat");
	ck_assert_uint_eq(cs.c[3].nreasons, 1);
	ck_assert_str_eq(cs.c[3].reasons[0], "nonce mismatch at 1");

	/* The session stream does not weigh on the overall posture. */
	ck_assert_str_eq(cs.c[4].stream, "session");
	ck_assert_str_eq(cs.c[4].result, "error");
	ck_assert_str_eq(cs.c[4].posture, "pass");
	ck_assert_uint_eq(cs.c[4].nreasons, 0);

	ck_assert_str_eq(cs.c[5].stream, "bios-log");
	ck_assert_str_eq(cs.c[5].result, "fail");
	ck_assert_str_eq(cs.c[5].posture, "fail");
	ck_assert_uint_eq(cs.c[5].nreasons, 1);
	ck_assert_str_eq(cs.c[5].reasons[0], "[\"ok\", 1]");

	/* A cursor. */
	ck_assert_int_eq(changes(m, id[1], 0, 0, 0, &cs), id[5]);
	ck_assert_uint_eq(cs.n, 4);
	ck_assert_int_eq(cs.c[0].event_id, id[2]);
	/* A time bound. */
	ck_assert_int_eq(changes(m, 0, T0_US + 4, 0, 0, &cs), id[5]);
	ck_assert_uint_eq(cs.n, 4);
	ck_assert_int_eq(cs.c[0].event_id, id[2]);
	ck_assert_int_eq(changes(m, 0, T0_US + 11, 0, 0, &cs), id[5]);
	ck_assert_uint_eq(cs.n, 2);
	ck_assert_int_eq(cs.c[0].event_id, id[4]);
	ck_assert_int_eq(changes(m, id[4], T0_US + 4, 0, 0, &cs), id[5]);
	ck_assert_uint_eq(cs.n, 1);
	/* At most max, then on from where that stopped. */
	ck_assert_int_eq(changes(m, 0, 0, 2, 0, &cs), id[1]);
	ck_assert_uint_eq(cs.n, 2);
	ck_assert_int_eq(changes(m, id[1], 0, 2, 0, &cs), id[3]);
	ck_assert_uint_eq(cs.n, 2);
	ck_assert_int_eq(cs.c[0].event_id, id[2]);
	/* Stopped by the callback: that change was passed. */
	ck_assert_int_eq(changes(m, 0, 0, 0, 2, &cs), id[1]);
	ck_assert_uint_eq(cs.n, 2);
	/* Nothing after the newest event: where a subscriber starts. */
	ck_assert_int_eq(manage_last_event(m, &last, &err), 0);
	ck_assert_int_eq(last, query_i64(db, "SELECT max(id) FROM events"));
	ck_assert_int_gt(last, id[5]);	/* the overall change after it */
	ck_assert_int_eq(changes(m, last, 0, 0, 0, &cs), last);
	ck_assert_uint_eq(cs.n, 0);
	sqlite3_close(db);
	manage_close(m);
	tmpdb_remove(&t);
}
END_TEST

START_TEST(test_time)
{
	char buf[DB_TIME_LEN];
	int64_t us;

	ck_assert_int_eq(db_time_parse("2026-12-01T06:05:00Z", 0, &us), 0);
	ck_assert_int_eq(us, T0_US);
	ck_assert_int_eq(db_time_parse("2026-12-01t07:35:00.25+01:30", 0,
	    &us), 0);
	ck_assert_int_eq(us, T0_US + 250000);
	ck_assert_int_eq(db_time_parse("2026-12-01 01:05:00.1234567-05:00",
	    0, &us), 0);
	ck_assert_int_eq(us, T0_US + 123456);
	ck_assert_int_eq(db_time_parse("2024-02-29", 0, &us), 0);
	ck_assert_int_eq(us, INT64_C(1709164800000000));
	ck_assert_int_eq(db_time_parse("1969-12-31T23:59:59Z", 0, &us), 0);
	ck_assert_int_eq(us, -1000000);
	ck_assert_int_eq(db_time_parse("10m", T0_US, &us), 0);
	ck_assert_int_eq(us, T0_US - 600 * INT64_C(1000000));
	ck_assert_int_eq(db_time_parse("2h", T0_US, &us), 0);
	ck_assert_int_eq(us, T0_US - 7200 * INT64_C(1000000));
	ck_assert_int_eq(db_time_parse("1d", T0_US, &us), 0);
	ck_assert_int_eq(us, T0_US - 86400 * INT64_C(1000000));
	ck_assert_int_eq(db_time_parse("30s", T0_US, &us), 0);
	ck_assert_int_eq(db_time_parse("2026-02-29", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("2026-13-01", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("2026-12-01T24:00:00Z", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("2026-12-01T06:05Z", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("2026-12-01T06:05:00", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("2026-12-01T06:05:00.Z", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("2026-12-01T06:05:00Zjunk", 0, &us),
	    -1);
	ck_assert_int_eq(db_time_parse("10x", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("m", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("1234567890d", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("999999999w", 0, &us), -1);
	ck_assert_int_eq(db_time_parse("520000w", T0_US, &us), 0);
	db_time_format(T0_US + 42, 1, buf);
	ck_assert_str_eq(buf, "2026-12-01T06:05:00.000042Z");
	db_time_format(T0_US + 999999, 0, buf);
	ck_assert_str_eq(buf, "2026-12-01T06:05:00Z");
	db_time_format(-1, 1, buf);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999999Z");
	ck_assert_int_eq(db_time_parse(buf, 0, &us), 0);
	ck_assert_int_eq(us, -1);
}
END_TEST

START_TEST(test_result_names)
{
	ck_assert_str_eq(verdict_result_name(VERDICT_PASS), "pass");
	ck_assert_str_eq(verdict_result_name(VERDICT_FAIL), "fail");
	ck_assert_str_eq(verdict_result_name(VERDICT_ERROR), "error");
	ck_assert_str_eq(verdict_result_name(VERDICT_STALE), "stale");
	ck_assert_int_eq(verdict_result_by_name("stale"), VERDICT_STALE);
	ck_assert_int_eq(verdict_result_by_name("ok"), -1);
	ck_assert_int_gt(db_result_rank("fail"), db_result_rank("error"));
	ck_assert_int_gt(db_result_rank("error"), db_result_rank("stale"));
	ck_assert_int_gt(db_result_rank("stale"), db_result_rank("pass"));
}
END_TEST

/* The kill -9 child's commit callback: write the cookies to the pipe. */
static void
pipe_cb(const uint64_t *cookies, size_t n, int ok, void *arg)
{
	int fd = *(int *)arg;
	size_t off, chunk;

	if (!ok)
		return;
	/* At most PIPE_BUF bytes per write(): never half a cookie. */
	for (off = 0; off < n; off += chunk) {
		chunk = n - off < 64 ? n - off : 64;
		if (write(fd, cookies + off, chunk * sizeof(*cookies)) < 0)
			_exit(3);
	}
}

/*
 * The kill -9 child: open the store as rivd does and submit verdicts of
 * one stream with increasing sequence numbers from `from`, until killed.
 */
static void
durability_child(const char *path, int fd, uint64_t from)
{
	struct riv_err err;
	struct store_item it;
	struct store *s;
	uint64_t seq;

	if (store_open(path, NULL, &s, &err) != RIV_OK ||
	    store_start(s, 16, 1, pipe_cb, &fd, &err) != RIV_OK) {
		fprintf(stderr, "child: %s\n", err.msg);
		_exit(2);
	}
	for (seq = from;; seq++) {
		fill_item(&it, "k9", "ima-log", seq, seq % 10 == 0 ?
		    VERDICT_FAIL : VERDICT_PASS, seq);
		submit_wait(s, &it);
	}
}

/* Read cookies from fd until want more arrived or EOF; return count. */
static size_t
read_cookies(int fd, uint64_t **cookies, size_t *n, size_t *cap,
    size_t want)
{
	uint8_t buf[4096];
	size_t got = 0, have = 0;
	ssize_t r;

	while (want == 0 || got < want) {
		r = read(fd, buf + have, sizeof(buf) - have);
		if (r <= 0)
			break;
		have += (size_t)r;
		while (have >= sizeof(uint64_t)) {
			if (*n == *cap) {
				*cap = *cap ? *cap * 2 : 4096;
				*cookies = realloc(*cookies, *cap *
				    sizeof(**cookies));
			}
			memcpy(&(*cookies)[(*n)++], buf, sizeof(uint64_t));
			memmove(buf, buf + sizeof(uint64_t), have -
			    sizeof(uint64_t));
			have -= sizeof(uint64_t);
			got++;
		}
	}
	ck_assert_uint_eq(have, 0);
	return got;
}

START_TEST(test_kill9_durability)
{
	uint64_t *cookies = NULL, next = 1, max, maxrep = 0;
	struct store_state st;
	struct riv_err err;
	struct tmpdb t;
	struct store *s;
	sqlite3_stmt *q;
	size_t n = 0, cap = 0, i;
	sqlite3 *db;
	int round, fds[2], status;
	pid_t pid;

	tmpdb_make(&t);
	for (round = 0; round < 4; round++) {
		ck_assert_int_eq(pipe(fds), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fds[0]);
			durability_child(t.path, fds[1], next);
		}
		close(fds[1]);
		/* Let it commit a few hundred, at a different point each. */
		read_cookies(fds[0], &cookies, &n, &cap,
		    200 + 150 * (size_t)round);
		kill(pid, SIGKILL);
		read_cookies(fds[0], &cookies, &n, &cap, 0);
		close(fds[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

		/* Resume as rivd does: from the last committed state. */
		s = open_store(t.path, NULL);
		ck_assert_int_eq(store_load_state(s, "k9", "ima-log", "", &st,
		    &err), 0);
		store_stop(s);
		db = open_raw(t.path);
		max = (uint64_t)query_i64(db, "SELECT max(sequence) FROM "
		    "verdicts");
		/* No gap and nothing twice: exactly 1..max. */
		ck_assert_int_eq(query_i64(db, "SELECT count(*) FROM verdicts"),
		    (int64_t)max);
		ck_assert_int_eq(query_i64(db, "SELECT count(DISTINCT "
		    "sequence) FROM verdicts"), (int64_t)max);
		ck_assert_int_eq(query_i64(db, "SELECT min(sequence) FROM "
		    "verdicts"), 1);
		ck_assert_int_eq(query_i64(db, "SELECT sum(npass + nfail) FROM "
		    "posture"), (int64_t)max);
		/* Every cookie reported committed is there. */
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM "
		    "verdicts WHERE sequence = ?1", -1, &q, NULL), SQLITE_OK);
		for (i = 0; i < n; i++) {
			sqlite3_bind_int64(q, 1, (int64_t)cookies[i]);
			ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
			ck_assert_msg(sqlite3_column_int(q, 0) == 1, "cookie "
			    "%" PRIu64 " reported committed, not stored",
			    cookies[i]);
			sqlite3_reset(q);
			if (cookies[i] > maxrep)
				maxrep = cookies[i];
		}
		sqlite3_finalize(q);
		sqlite3_close(db);
		ck_assert_uint_ge(max, maxrep);
		/* The state is that of the last verdict committed. */
		ck_assert_str_eq(st.attester, "k9");
		ck_assert_uint_eq(st.sequence, max);
		ck_assert_ptr_nonnull(st.blob);
		free(st.blob);
		next = max + 1;
	}
	ck_assert_uint_ge(n, 200 + 350 + 500 + 650);
	free(cookies);
	tmpdb_remove(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *schema = tcase_create("schema");
	TCase *writer = tcase_create("writer");
	TCase *manage = tcase_create("manage");
	TCase *crash = tcase_create("crash");

	tcase_add_test(schema, test_schema_fresh_and_reopen);
	tcase_add_test(schema, test_schema_matches_reference);
	tcase_add_test(schema, test_open_refused);
	tcase_add_test(schema, test_time);
	tcase_add_test(schema, test_result_names);
	tcase_set_timeout(schema, 60);
	suite_add_tcase(s, schema);
	tcase_add_test(writer, test_two_threads);
	tcase_add_test(writer, test_verdict_chain);
	tcase_add_test(writer, test_queue_full);
	tcase_add_test(writer, test_linger);
	tcase_add_test(writer, test_invalid_items);
	tcase_add_test(writer, test_load_state);
	tcase_add_test(writer, test_posture_and_events);
	tcase_add_test(writer, test_reasons_json);
	tcase_add_test(writer, test_failed_batch);
	tcase_add_test(writer, test_event_verdict_id);
	tcase_add_test(writer, test_batch_equivalence);
	tcase_add_test(writer, test_watermarks);
	tcase_add_test(writer, test_queue_size);
	tcase_add_test(writer, test_checkpointer);
	tcase_add_test(writer, test_locked_retry);
	tcase_set_timeout(writer, 120);
	suite_add_tcase(s, writer);
	tcase_add_test(manage, test_migrate_2_to_3);
	tcase_add_test(manage, test_migrate_3_to_4);
	tcase_add_test(manage, test_migrate_4_to_5);
	tcase_add_test(manage, test_migrate_5_to_6);
	tcase_add_test(manage, test_migrate_6_refuses_other_text);
	tcase_add_test(manage, test_manage_open_refused);
	tcase_add_test(manage, test_audit);
	tcase_add_test(manage, test_acknowledge);
	tcase_add_test(manage, test_attester_state);
	tcase_add_test(manage, test_changes);
	tcase_set_timeout(manage, 60);
	suite_add_tcase(s, manage);
	tcase_add_test(crash, test_kill9_durability);
	tcase_set_timeout(crash, 120);
	suite_add_tcase(s, crash);
	return run_suite(s);
}
