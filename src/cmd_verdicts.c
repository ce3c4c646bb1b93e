/*
 * cmd_verdicts.c — `rivctl verdicts` and `rivctl tail`: list the verdicts
 * of rivd's store, and follow new ones, while rivd runs.
 *
 * The connection is read-only with query_only set (db_open_reader), and
 * no read transaction outlives one query (verdicts) or one poll (tail):
 * in WAL mode readers never block the writer, and they do not hold back
 * its checkpoints for long.  Text from the database is escaped for people
 * (control bytes and backslashes as \xNN, \\) and for JSON (show.c).
 * tail finds new verdicts by id: the writer is alone and commits in id
 * order, so every verdict after the last one seen has a larger id.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "json.h"
#include "rivctl.h"

#define TAIL_LINES	10	/* existing verdicts tail shows first */
#define TAIL_POLL_MS	250
#define SQL_MAX		1024
#define TEXT_MAX	1024	/* bytes of one escaped field */

static const char verdicts_usage[] =
    "usage: rivctl verdicts [--db FILE] [--attester A] [--stream S]\n"
    "                       [--since T] [--result R] [--limit N] [--json]\n"
    "List stored verdicts, oldest first: all that match, or the last N.\n"
    "T is an RFC 3339 time (2026-12-01T06:05:00Z), a date, or a span\n"
    "before now (30s, 10m, 2h, 1d, 1w); R is pass, fail, error or stale,\n"
    "or several separated by commas.  --json prints one JSON array.\n"
    "Exit 0 (whatever the verdicts say), or 2 on a usage error or an\n"
    "unreadable database.  See rivctl(1).\n";

static const char tail_usage[] =
    "usage: rivctl tail [--db FILE] [--attester A] [--stream S] [--result R]\n"
    "                   [--lines N] [--count N] [--json]\n"
    "Print the last N verdicts (--lines, default 10), then each new one as\n"
    "rivd commits it, until interrupted or, with --count, after N new\n"
    "verdicts.  --json prints one JSON object per line.\n"
    "Exit 0, or 2 on a usage error or an unreadable database.\n"
    "See rivctl(1).\n";

/* What the three commands were asked. */
struct query {
	const char	*cmd;		/* "verdicts", for messages */
	const char	*usage;
	const char	*db;
	const char	*attester;
	const char	*stream;
	int64_t		 since;
	int		 has_since;
	unsigned	 results;	/* bit per verdict_result; 0: all */
	long long	 limit;		/* verdicts: last N; -1: all */
	long long	 lines;		/* tail: existing ones first */
	long long	 count;		/* tail: exit after N new; -1: never */
	int		 json;
	int		 help;
};

/* How verdict rows are printed. */
enum output {
	OUT_TABLE,		/* a line per verdict, for people */
	OUT_JSON_ARRAY,		/* members of one array (verdicts --json) */
	OUT_JSON_LINES		/* one object per line (tail --json) */
};

/* Where printing stands. */
struct printer {
	enum output	 out;
	int		 header;	/* the table header was printed */
	long long	 n;		/* rows printed */
	int64_t		 last_id;
};

/* Columns of the verdict queries, in order. */
enum verdict_col {
	VC_ID, VC_ATTESTER, VC_STREAM, VC_TPM, VC_SUBSCRIPTION, VC_SEQUENCE,
	VC_RESULT, VC_CODES, VC_REASONS, VC_NONCE, VC_PCR_DIGEST, VC_RECEIVED,
	VC_COMMITTED
};

/* Print a verdict row as one JSON object (no newline). */
static void
print_verdict_json(sqlite3_stmt *st)
{
	printf("{\"id\":%lld,\"attester\":",
	    (long long)sqlite3_column_int64(st, VC_ID));
	json_put_string(stdout, show_col_text(st, VC_ATTESTER));
	printf(",\"stream\":");
	json_put_string(stdout, show_col_text(st, VC_STREAM));
	printf(",\"tpm\":");
	json_put_string(stdout, show_col_text(st, VC_TPM));
	printf(",\"subscription\":%lld,\"sequence\":%llu,\"result\":",
	    (long long)sqlite3_column_int64(st, VC_SUBSCRIPTION),
	    (unsigned long long)sqlite3_column_int64(st, VC_SEQUENCE));
	json_put_string(stdout, show_col_text(st, VC_RESULT));
	printf(",\"codes\":");
	show_codes_json(stdout, show_col_text(st, VC_CODES));
	printf(",\"reasons\":");
	show_reasons_json(stdout, show_col_text(st, VC_REASONS));
	printf(",\"nonce\":");
	show_text_or_null(stdout, st, VC_NONCE);
	printf(",\"pcr_digest\":");
	show_text_or_null(stdout, st, VC_PCR_DIGEST);
	printf(",\"time\":");
	show_time_json(stdout, sqlite3_column_int64(st, VC_RECEIVED));
	printf(",\"committed\":");
	show_time_json(stdout, sqlite3_column_int64(st, VC_COMMITTED));
	putchar('}');
}

/* Print the header of the verdict table. */
static void
print_verdict_header(void)
{
	printf("%-20s  %-16s %-18s %-6s %10s  %-6s %s\n", "TIME", "ATTESTER",
	    "STREAM", "TPM", "SEQUENCE", "RESULT", "REASON");
}

/* Print a verdict row as one line of the table. */
static void
print_verdict_text(sqlite3_stmt *st)
{
	char time[DB_TIME_LEN], a[TEXT_MAX], s[TEXT_MAX], t[TEXT_MAX];
	char r[TEXT_MAX], why[TEXT_MAX];
	const char *tpm = show_col_text(st, VC_TPM);

	db_time_format(sqlite3_column_int64(st, VC_RECEIVED), 0, time);
	printf("%-20s  %-16s %-18s %-6s %10llu  %-6s %s\n", time,
	    show_escape(show_col_text(st, VC_ATTESTER), a, sizeof(a)),
	    show_escape(show_col_text(st, VC_STREAM), s, sizeof(s)),
	    *tpm != '\0' ? show_escape(tpm, t, sizeof(t)) : "-",
	    (unsigned long long)sqlite3_column_int64(st, VC_SEQUENCE),
	    show_escape(show_col_text(st, VC_RESULT), r, sizeof(r)),
	    show_first_reason(show_col_text(st, VC_REASONS),
	    show_col_text(st, VC_CODES), why, sizeof(why)));
}

/* Parse a count option (0 or more); -1 (after a message) if not one. */
static int
parse_count(const struct query *q, const char *opt, const char *arg,
    long long *v)
{
	char *end;

	*v = strtoll(arg, &end, 10);
	if (*arg < '0' || *arg > '9' || *end != '\0' || *v == LLONG_MAX) {
		fprintf(stderr, "rivctl %s: %s: expected a number, not "
		    "\"%s\"\n", q->cmd, opt, arg);
		return -1;
	}
	return 0;
}

/* Parse --result: names separated by commas; -1 after a message. */
static int
parse_results(const struct query *q, const char *arg, unsigned *mask)
{
	char *copy, *tok, *save = NULL;
	int r, rc = 0;

	if ((copy = strdup(arg)) == NULL)
		return -1;
	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((r = verdict_result_by_name(tok)) == -1) {
			fprintf(stderr, "rivctl %s: --result: \"%s\" is not "
			    "pass, fail, error or stale\n", q->cmd, tok);
			rc = -1;
			break;
		}
		*mask |= 1u << r;
	}
	free(copy);
	if (rc == 0 && *mask == 0) {
		fprintf(stderr, "rivctl %s: --result: expected pass, fail, "
		    "error or stale\n", q->cmd);
		rc = -1;
	}
	return rc;
}

/*
 * Parse the command line of status, verdicts or tail (each takes the
 * options in its own table); -1 (after a message) on a usage error.
 */
static int
parse_query(int argc, char **argv, const struct option *opts,
    struct query *q)
{
	int c;

	q->db = DB_PATH_DEFAULT;
	q->limit = q->count = -1;
	q->lines = TAIL_LINES;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			q->db = optarg;
			break;
		case 'a':
			q->attester = optarg;
			break;
		case 's':
			q->stream = optarg;
			break;
		case 'S':
			if (db_time_parse(optarg, db_now_us(), &q->since) ==
			    -1) {
				fprintf(stderr, "rivctl %s: --since \"%s\": "
				    "expected an RFC 3339 time, a date, or a "
				    "span such as 10m, 2h, 1d\n", q->cmd,
				    optarg);
				return -1;
			}
			q->has_since = 1;
			break;
		case 'r':
			if (parse_results(q, optarg, &q->results) == -1)
				return -1;
			break;
		case 'l':
			if (parse_count(q, "--limit", optarg, &q->limit) == -1)
				return -1;
			break;
		case 'n':
			if (parse_count(q, "--lines", optarg, &q->lines) == -1)
				return -1;
			break;
		case 'c':
			if (parse_count(q, "--count", optarg, &q->count) == -1)
				return -1;
			break;
		case 'j':
			q->json = 1;
			break;
		case 'h':
			q->help = 1;
			return 0;
		default:
			fputs(q->usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rivctl %s: unexpected argument \"%s\"\n%s",
		    q->cmd, argv[optind], q->usage);
		return -1;
	}
	return 0;
}

/* Which verdicts build_verdict_sql selects, besides q's filters. */
#define SEL_AFTER	0x1	/* id > :after */
#define SEL_UPTO	0x2	/* id <= :upto */
#define SEL_LAST	0x4	/* the last :limit, not the first */

/*
 * Write into with the WITH clause that names the ids of one attester's
 * verdicts (chain): the chain of each of its streams and TPMs, walked back
 * from the latest verdict (posture) along prev_id, no further than :after
 * and :since allow (a source's verdicts are chained in the order they are
 * received, as long as the wall clock does not step back) and, for the
 * last :limit verdicts of all (SEL_LAST, no result filter), no more than
 * :limit of each source.  The store has no index by attester
 * (db/schema.sql).
 */
static void
build_chain_sql(const struct query *q, int flags, char *with, size_t len)
{
	int depth = (flags & SEL_LAST) && q->results == 0;

	snprintf(with, len, "WITH RECURSIVE chain(id, n) AS ("
	    "SELECT verdict_id, 1 FROM posture WHERE attester = :attester%s%s "
	    "UNION ALL SELECT v.prev_id, chain.n + 1 FROM chain JOIN verdicts "
	    "v ON v.id = chain.id WHERE v.prev_id %s%s%s) ",
	    q->stream != NULL ? " AND stream = :stream" : "",
	    flags & SEL_AFTER ? " AND verdict_id > :after" : "",
	    flags & SEL_AFTER ? "> :after" : "<> 0",
	    q->has_since ? " AND v.received_us >= :since" : "",
	    depth ? " AND chain.n < :limit" : "");
}

/*
 * Whether the verdicts of q's attester are read along their chains:
 * schema 5 on (rivd migrates at start; a reader may come first), and not
 * when only results other than pass are wanted (the index
 * verdicts_problems finds those of one attester).
 */
static int
is_chained(sqlite3 *db, const struct query *q)
{
	sqlite3_stmt *st;
	int version = 0;

	if (q->attester == NULL || (q->results != 0 &&
	    !(q->results & (1u << VERDICT_PASS))))
		return 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return version >= 5;
}

/*
 * Write into sql the SELECT of the verdicts that match q and the SEL_*
 * flags, at most :limit of them, oldest first; chained: q's attester's
 * verdicts are read along their chains (is_chained).
 */
static void
build_verdict_sql(const struct query *q, int flags, int chained, char *sql,
    size_t len)
{
	static const char cols[] = "SELECT id, attester, stream, tpm, "
	    "subscription, sequence, result, codes, reasons, nonce, "
	    "pcr_digest, received_us, committed_us FROM verdicts WHERE 1";
	char with[SQL_MAX] = "", where[SQL_MAX] = "";
	int r, first = 1;

	if (chained) {
		build_chain_sql(q, flags, with, sizeof(with));
		strcat(where, " AND id IN (SELECT id FROM chain)");
	}
	if (q->attester != NULL)
		strcat(where, " AND attester = :attester");
	if (q->stream != NULL)
		strcat(where, " AND stream = :stream");
	if (q->has_since)
		strcat(where, " AND received_us >= :since");
	if (flags & SEL_AFTER)
		strcat(where, " AND id > :after");
	if (flags & SEL_UPTO)
		strcat(where, " AND id <= :upto");
	if (q->results != 0) {
		strcat(where, " AND result IN (");
		for (r = VERDICT_PASS; r <= VERDICT_STALE; r++)
			if (q->results & (1u << r)) {
				strcat(where, first ? "'" : ", '");
				strcat(where, verdict_result_name(r));
				strcat(where, "'");
				first = 0;
			}
		strcat(where, ")");
		/* The index verdicts_result holds these only (v4). */
		if (!(q->results & (1u << VERDICT_PASS)))
			strcat(where, " AND result <> 'pass'");
	}
	if (flags & SEL_LAST)
		snprintf(sql, len, "%sSELECT * FROM (%s%s ORDER BY id DESC "
		    "LIMIT :limit) ORDER BY id", with, cols, where);
	else
		snprintf(sql, len, "%s%s%s ORDER BY id LIMIT :limit", with,
		    cols, where);
}

/* Bind a named parameter if the statement has it. */
static void
bind_named_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* Bind a named integer parameter if the statement has it. */
static void
bind_named_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

/* Prepare a verdict query (SEL_* flags) and bind q's filters; or NULL. */
static sqlite3_stmt *
prepare_verdicts(sqlite3 *db, const struct query *q, int flags)
{
	char sql[3 * SQL_MAX];
	sqlite3_stmt *st;

	build_verdict_sql(q, flags, is_chained(db, q), sql, sizeof(sql));
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "rivctl %s: %s: %s\n", q->cmd, q->db,
		    sqlite3_errmsg(db));
		return NULL;
	}
	bind_named_text(st, ":attester", q->attester);
	bind_named_text(st, ":stream", q->stream);
	bind_named_int(st, ":since", q->since);
	return st;
}

/*
 * Print the rows of a verdict query as pr asks, counting them and noting
 * the last id; 0, or -1 (after a message) if reading failed.  The
 * statement is reset: its read transaction ends here.
 */
static int
print_rows(sqlite3_stmt *st, const struct query *q, struct printer *pr)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		switch (pr->out) {
		case OUT_TABLE:
			if (!pr->header)
				print_verdict_header();
			pr->header = 1;
			print_verdict_text(st);
			break;
		case OUT_JSON_ARRAY:
			printf("%s\n", pr->n == 0 ? "" : ",");
			print_verdict_json(st);
			break;
		case OUT_JSON_LINES:
			print_verdict_json(st);
			putchar('\n');
			break;
		}
		pr->last_id = sqlite3_column_int64(st, VC_ID);
		pr->n++;
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "rivctl %s: %s: %s\n", q->cmd, q->db,
		    sqlite3_errmsg(sqlite3_db_handle(st)));
		return -1;
	}
	return 0;
}

/* rivctl verdicts: see verdicts_usage. */
int
cmd_verdicts(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "attester", required_argument, NULL, 'a' },
		{ "stream", required_argument, NULL, 's' },
		{ "since", required_argument, NULL, 'S' },
		{ "result", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct query q = { .cmd = "verdicts", .usage = verdicts_usage };
	struct printer pr = { OUT_TABLE, 0, 0, 0 };
	struct riv_err err = { "" };
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int rc = RIV_MALFORMED;

	if (parse_query(argc, argv, opts, &q) == -1)
		return RIV_MALFORMED;
	if (q.help) {
		fputs(verdicts_usage, stdout);
		return RIV_OK;
	}
	if (db_open_reader(q.db, &db, &err) != RIV_OK) {
		fprintf(stderr, "rivctl verdicts: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	if ((st = prepare_verdicts(db, &q, q.limit >= 0 ? SEL_LAST : 0)) ==
	    NULL)
		goto done;
	bind_named_int(st, ":limit", q.limit);
	if (q.json) {
		pr.out = OUT_JSON_ARRAY;
		printf("[");
	}
	if (print_rows(st, &q, &pr) == -1)
		goto done;
	if (q.json)
		printf("%s]\n", pr.n > 0 ? "\n" : "");
	else if (pr.n == 0)
		printf("no verdicts\n");
	rc = RIV_OK;
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* Sleep for ms milliseconds. */
static void
nap(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Return the largest verdict id (0 if none); -1 on error. */
static int64_t
max_verdict_id(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t id = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(id), 0) FROM verdicts",
	    -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

/*
 * In one read transaction: print the verdicts that match after pr->last_id
 * up to the newest (at most limit; -1: all) and move pr->last_id to the
 * newest.  0, or -1 (after a message).
 */
static int
tail_poll(sqlite3 *db, sqlite3_stmt *st, const struct query *q,
    struct printer *pr, long long limit)
{
	int64_t upto;
	int rc = -1;

	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    (upto = max_verdict_id(db)) == -1) {
		fprintf(stderr, "rivctl tail: %s: %s\n", q->db,
		    sqlite3_errmsg(db));
		goto done;
	}
	bind_named_int(st, ":after", pr->last_id);
	bind_named_int(st, ":upto", upto);
	bind_named_int(st, ":limit", limit);
	if (print_rows(st, q, pr) == -1)
		goto done;
	pr->last_id = upto;
	rc = 0;
done:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	fflush(stdout);
	return rc;
}

/* rivctl tail: see tail_usage. */
int
cmd_tail(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "attester", required_argument, NULL, 'a' },
		{ "stream", required_argument, NULL, 's' },
		{ "result", required_argument, NULL, 'r' },
		{ "lines", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct query q = { .cmd = "tail", .usage = tail_usage };
	struct printer pr = { OUT_TABLE, 0, 0, 0 };
	struct riv_err err = { "" };
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	long long old;
	int rc = RIV_MALFORMED;

	if (parse_query(argc, argv, opts, &q) == -1)
		return RIV_MALFORMED;
	if (q.help) {
		fputs(tail_usage, stdout);
		return RIV_OK;
	}
	if (q.json)
		pr.out = OUT_JSON_LINES;
	if (db_open_reader(q.db, &db, &err) != RIV_OK) {
		fprintf(stderr, "rivctl tail: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	/* The last --lines verdicts first; --count counts only new ones. */
	if ((st = prepare_verdicts(db, &q, SEL_AFTER | SEL_UPTO |
	    SEL_LAST)) == NULL || tail_poll(db, st, &q, &pr, q.lines) == -1)
		goto done;
	sqlite3_finalize(st);
	old = pr.n;
	if ((st = prepare_verdicts(db, &q, SEL_AFTER | SEL_UPTO)) == NULL)
		goto done;
	while (q.count < 0 || pr.n - old < q.count) {
		if (tail_poll(db, st, &q, &pr, q.count < 0 ? -1 :
		    q.count - (pr.n - old)) == -1)
			goto done;
		if (q.count < 0 || pr.n - old < q.count)
			nap(TAIL_POLL_MS);
	}
	rc = RIV_OK;
done:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
