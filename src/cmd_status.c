/*
 * cmd_status.c — `rivctl status`: what rivd's store says of each
 * attester while rivd runs: its overall posture, its connection, its
 * subscriptions and, per stream, the posture, the last verdict and the
 * verdicts counted by result.
 *
 * Everything is read in one read transaction, so the figures agree with
 * each other; in WAL mode it does not block the writer.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "json.h"
#include "rivctl.h"

#define TEXT_MAX	1024	/* bytes of one escaped field */

static const char usage[] =
    "usage: rivctl status [--db FILE] [--attester A] [--json]\n"
    "Show each attester rivd knows: its overall posture, connection,\n"
    "subscriptions and, per stream, the posture, the last verdict and the\n"
    "verdicts counted by result.  The database defaults to\n"
    DB_PATH_DEFAULT ".  Exit 0, or 2 on a usage error or an\n"
    "unreadable database.  See rivctl(1).\n";

/* The statements of one status report, all on one snapshot. */
enum status_stmt {
	SS_VERSION,
	SS_TOTALS,
	SS_LAST,
	SS_ATTESTERS,
	SS_SUBSCRIPTIONS,
	SS_STREAMS,
	SS_COUNT
};

static const char *const status_sql[SS_COUNT] = {
	[SS_VERSION] = "PRAGMA user_version",
	[SS_TOTALS] =
	    "SELECT coalesce(sum(npass), 0), coalesce(sum(nfail), 0), "
	    "coalesce(sum(nerror), 0), coalesce(sum(nstale), 0) FROM posture",
	[SS_LAST] =
	    "SELECT id, committed_us FROM verdicts ORDER BY id DESC LIMIT 1",
	[SS_ATTESTERS] =
	    "SELECT name, posture, posture_since_us, connection, detail, "
	    "connection_since_us FROM attesters "
	    "WHERE :attester IS NULL OR name = :attester ORDER BY name",
	[SS_SUBSCRIPTIONS] =
	    "SELECT stream, subscription, state, detail, since_us "
	    "FROM subscriptions WHERE attester = :attester ORDER BY stream",
	[SS_STREAMS] =
	    "SELECT p.stream, p.tpm, p.result, p.since_us, p.npass, p.nfail, "
	    "p.nerror, p.nstale, v.sequence, v.received_us, v.codes, "
	    "v.reasons FROM posture p LEFT JOIN verdicts v "
	    "ON v.id = p.verdict_id WHERE p.attester = :attester "
	    "ORDER BY p.stream, p.tpm",
};

/* Columns of SS_ATTESTERS. */
enum { AT_NAME, AT_POSTURE, AT_POSTURE_SINCE, AT_CONNECTION, AT_DETAIL,
    AT_CONNECTION_SINCE };
/* Columns of SS_SUBSCRIPTIONS. */
enum { SU_STREAM, SU_ID, SU_STATE, SU_DETAIL, SU_SINCE };
/* Columns of SS_STREAMS. */
enum { SM_STREAM, SM_TPM, SM_RESULT, SM_SINCE, SM_NPASS, SM_NFAIL,
    SM_NERROR, SM_NSTALE, SM_SEQUENCE, SM_TIME, SM_CODES, SM_REASONS };

/* What status was asked, and what it is reading. */
struct status {
	const char	*db_path;
	const char	*attester;
	int		 json;
	int		 help;
	sqlite3		*db;
	sqlite3_stmt	*st[SS_COUNT];
};

/* Report a failed read and return -1. */
static int
read_failed(struct status *s)
{
	fprintf(stderr, "rivctl status: %s: %s\n", s->db_path,
	    sqlite3_errmsg(s->db));
	return -1;
}

/* Step a statement that must give one row; 0, or -1 after a message. */
static int
step_one(struct status *s, enum status_stmt which)
{
	if (sqlite3_step(s->st[which]) != SQLITE_ROW)
		return read_failed(s);
	return 0;
}

/* Format a time column for a person into buf, "?" when NULL. */
static const char *
text_time(sqlite3_stmt *st, int i, char *buf)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		snprintf(buf, DB_TIME_LEN, "?");
	else
		db_time_format(sqlite3_column_int64(st, i), 0, buf);
	return buf;
}

/* Print the database line and the totals, for a person or as JSON. */
static int
print_head(struct status *s)
{
	sqlite3_stmt *tot = s->st[SS_TOTALS], *last = s->st[SS_LAST];
	long long n[4];
	char when[DB_TIME_LEN];
	int i, version, rc;

	if (step_one(s, SS_VERSION) == -1 || step_one(s, SS_TOTALS) == -1)
		return -1;
	version = sqlite3_column_int(s->st[SS_VERSION], 0);
	for (i = 0; i < 4; i++)
		n[i] = sqlite3_column_int64(tot, i);
	if ((rc = sqlite3_step(last)) != SQLITE_ROW && rc != SQLITE_DONE)
		return read_failed(s);
	if (s->json) {
		printf("{\"database\":");
		json_put_string(stdout, s->db_path);
		printf(",\"schema_version\":%d,\"verdicts\":{\"total\":%lld,"
		    "\"pass\":%lld,\"fail\":%lld,\"error\":%lld,"
		    "\"stale\":%lld},"
		    "\"last_committed\":", version, n[0] + n[1] + n[2] + n[3],
		    n[0], n[1], n[2], n[3]);
		if (rc == SQLITE_ROW)
			show_time_col_json(stdout, last, 1);
		else
			printf("null");
		printf(",\"attesters\":[");
		return 0;
	}
	printf("database %s (schema version %d)\n", s->db_path, version);
	printf("verdicts: %lld (pass %lld, fail %lld, error %lld, stale %lld)",
	    n[0] + n[1] + n[2] + n[3], n[0], n[1], n[2], n[3]);
	if (rc == SQLITE_ROW)
		printf("; last committed %s", text_time(last, 1, when));
	printf("\n");
	return 0;
}

/* Print an attester's subscriptions as a JSON array. */
static int
print_subscriptions_json(struct status *s)
{
	sqlite3_stmt *st = s->st[SS_SUBSCRIPTIONS];
	int rc, first = 1;

	printf("[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		printf("%s{\"stream\":", first ? "" : ",");
		json_put_string(stdout, show_col_text(st, SU_STREAM));
		printf(",\"id\":%lld,\"state\":",
		    (long long)sqlite3_column_int64(st, SU_ID));
		json_put_string(stdout, show_col_text(st, SU_STATE));
		printf(",\"detail\":");
		json_put_string(stdout, show_col_text(st, SU_DETAIL));
		printf(",\"since\":");
		show_time_col_json(stdout, st, SU_SINCE);
		printf("}");
		first = 0;
	}
	printf("]");
	return rc == SQLITE_DONE ? 0 : read_failed(s);
}

/* Print an attester's streams (posture, last verdict) as a JSON array. */
static int
print_streams_json(struct status *s)
{
	sqlite3_stmt *st = s->st[SS_STREAMS];
	int rc, first = 1;

	printf("[");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		printf("%s{\"stream\":", first ? "" : ",");
		json_put_string(stdout, show_col_text(st, SM_STREAM));
		printf(",\"tpm\":");
		json_put_string(stdout, show_col_text(st, SM_TPM));
		printf(",\"result\":");
		json_put_string(stdout, show_col_text(st, SM_RESULT));
		printf(",\"since\":");
		show_time_col_json(stdout, st, SM_SINCE);
		printf(",\"counts\":{\"pass\":%lld,\"fail\":%lld,"
		    "\"error\":%lld,\"stale\":%lld},\"last\":",
		    (long long)sqlite3_column_int64(st, SM_NPASS),
		    (long long)sqlite3_column_int64(st, SM_NFAIL),
		    (long long)sqlite3_column_int64(st, SM_NERROR),
		    (long long)sqlite3_column_int64(st, SM_NSTALE));
		if (sqlite3_column_type(st, SM_SEQUENCE) == SQLITE_NULL)
			printf("null");
		else {
			printf("{\"sequence\":%llu,\"time\":",
			    (unsigned long long)sqlite3_column_int64(st,
			    SM_SEQUENCE));
			show_time_col_json(stdout, st, SM_TIME);
			printf(",\"codes\":");
			show_codes_json(stdout, show_col_text(st, SM_CODES));
			printf(",\"reasons\":");
			show_reasons_json(stdout, show_col_text(st,
			    SM_REASONS));
			printf("}");
		}
		printf("}");
		first = 0;
	}
	printf("]");
	return rc == SQLITE_DONE ? 0 : read_failed(s);
}

/* Print the attester of the current SS_ATTESTERS row as JSON. */
static int
print_attester_json(struct status *s, int first)
{
	sqlite3_stmt *st = s->st[SS_ATTESTERS];

	printf("%s{\"name\":", first ? "" : ",");
	json_put_string(stdout, show_col_text(st, AT_NAME));
	printf(",\"posture\":");
	show_text_or_null(stdout, st, AT_POSTURE);
	printf(",\"posture_since\":");
	show_time_col_json(stdout, st, AT_POSTURE_SINCE);
	printf(",\"connection\":");
	show_text_or_null(stdout, st, AT_CONNECTION);
	printf(",\"connection_detail\":");
	json_put_string(stdout, show_col_text(st, AT_DETAIL));
	printf(",\"connection_since\":");
	show_time_col_json(stdout, st, AT_CONNECTION_SINCE);
	printf(",\"subscriptions\":");
	if (print_subscriptions_json(s) == -1)
		return -1;
	printf(",\"streams\":");
	if (print_streams_json(s) == -1)
		return -1;
	printf("}");
	return 0;
}

/* Print an attester's subscriptions, a line each, for a person. */
static int
print_subscriptions_text(struct status *s)
{
	sqlite3_stmt *st = s->st[SS_SUBSCRIPTIONS];
	char a[TEXT_MAX], b[TEXT_MAX], d[TEXT_MAX], when[DB_TIME_LEN];
	const char *detail;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		detail = show_col_text(st, SU_DETAIL);
		printf("  subscription  %s: id %lld, %s since %s%s%s\n",
		    show_escape(show_col_text(st, SU_STREAM), a, sizeof(a)),
		    (long long)sqlite3_column_int64(st, SU_ID),
		    show_escape(show_col_text(st, SU_STATE), b, sizeof(b)),
		    text_time(st, SU_SINCE, when), *detail ? ": " : "",
		    show_escape(detail, d, sizeof(d)));
	}
	return rc == SQLITE_DONE ? 0 : read_failed(s);
}

/* Print an attester's streams, three lines each, for a person. */
static int
print_streams_text(struct status *s)
{
	sqlite3_stmt *st = s->st[SS_STREAMS];
	char a[TEXT_MAX], t[TEXT_MAX], r[TEXT_MAX], why[TEXT_MAX];
	char since[DB_TIME_LEN], when[DB_TIME_LEN];
	const char *tpm;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tpm = show_col_text(st, SM_TPM);
		printf("  stream        %s%s%s%s: %s since %s\n",
		    show_escape(show_col_text(st, SM_STREAM), a, sizeof(a)),
		    *tpm ? " (TPM " : "", show_escape(tpm, t, sizeof(t)),
		    *tpm ? ")" : "",
		    show_escape(show_col_text(st, SM_RESULT), r, sizeof(r)),
		    text_time(st, SM_SINCE, since));
		if (sqlite3_column_type(st, SM_SEQUENCE) != SQLITE_NULL)
			printf("                last verdict: sequence %llu at "
			    "%s: %s\n", (unsigned long long)
			    sqlite3_column_int64(st, SM_SEQUENCE),
			    text_time(st, SM_TIME, when),
			    show_first_reason(show_col_text(st, SM_REASONS),
			    show_col_text(st, SM_CODES), why, sizeof(why)));
		printf("                verdicts: pass %lld, fail %lld, "
		    "error %lld, stale %lld\n",
		    (long long)sqlite3_column_int64(st, SM_NPASS),
		    (long long)sqlite3_column_int64(st, SM_NFAIL),
		    (long long)sqlite3_column_int64(st, SM_NERROR),
		    (long long)sqlite3_column_int64(st, SM_NSTALE));
	}
	return rc == SQLITE_DONE ? 0 : read_failed(s);
}

/* Print the attester of the current SS_ATTESTERS row for a person. */
static int
print_attester_text(struct status *s)
{
	sqlite3_stmt *st = s->st[SS_ATTESTERS];
	char n[TEXT_MAX], c[TEXT_MAX], d[TEXT_MAX], when[DB_TIME_LEN];
	const char *posture = show_col_text(st, AT_POSTURE);
	const char *detail = show_col_text(st, AT_DETAIL);

	printf("\n%s: ", show_escape(show_col_text(st, AT_NAME), n,
	    sizeof(n)));
	if (*posture != '\0')
		printf("%s since %s\n", show_escape(posture, c, sizeof(c)),
		    text_time(st, AT_POSTURE_SINCE, when));
	else
		printf("no verdict yet\n");
	if (sqlite3_column_type(st, AT_CONNECTION) != SQLITE_NULL)
		printf("  connection    %s since %s%s%s\n",
		    show_escape(show_col_text(st, AT_CONNECTION), c, sizeof(c)),
		    text_time(st, AT_CONNECTION_SINCE, when),
		    *detail ? ": " : "", show_escape(detail, d, sizeof(d)));
	if (print_subscriptions_text(s) == -1)
		return -1;
	return print_streams_text(s);
}

/* Print every attester (or the one asked for). */
static int
print_attesters(struct status *s)
{
	sqlite3_stmt *st = s->st[SS_ATTESTERS];
	const char *name;
	int rc, printed, n = 0, i;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = show_col_text(st, AT_NAME);
		for (i = SS_SUBSCRIPTIONS; i <= SS_STREAMS; i++) {
			sqlite3_reset(s->st[i]);
			sqlite3_bind_text(s->st[i], 1, name, -1,
			    SQLITE_TRANSIENT);
		}
		if (s->json)
			printed = print_attester_json(s, n == 0);
		else
			printed = print_attester_text(s);
		if (printed == -1)
			return -1;
		n++;
	}
	if (rc != SQLITE_DONE)
		return read_failed(s);
	if (s->json)
		printf("]}\n");
	else if (n == 0 && s->attester != NULL)
		printf("\nno attester \"%s\" in the store\n", s->attester);
	else if (n == 0)
		printf("\nno attesters yet\n");
	return 0;
}

/* Parse the command line; -1 (after a message) on a usage error. */
static int
parse_args(int argc, char **argv, struct status *s)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "attester", required_argument, NULL, 'a' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	s->db_path = DB_PATH_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			s->db_path = optarg;
			break;
		case 'a':
			s->attester = optarg;
			break;
		case 'j':
			s->json = 1;
			break;
		case 'h':
			s->help = 1;
			return 0;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rivctl status: unexpected argument \"%s\"\n%s",
		    argv[optind], usage);
		return -1;
	}
	return 0;
}

/* rivctl status: see usage. */
int
cmd_status(int argc, char **argv)
{
	struct riv_err err = { "" };
	struct status s;
	int i, rc = RIV_MALFORMED;

	memset(&s, 0, sizeof(s));
	if (parse_args(argc, argv, &s) == -1)
		return RIV_MALFORMED;
	if (s.help) {
		fputs(usage, stdout);
		return RIV_OK;
	}
	if (db_open_reader(s.db_path, &s.db, &err) != RIV_OK) {
		fprintf(stderr, "rivctl status: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	if (sqlite3_exec(s.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		read_failed(&s);
		goto done;
	}
	for (i = 0; i < SS_COUNT; i++)
		if (sqlite3_prepare_v2(s.db, status_sql[i], -1, &s.st[i],
		    NULL) != SQLITE_OK) {
			read_failed(&s);
			goto done;
		}
	if (s.attester != NULL)
		sqlite3_bind_text(s.st[SS_ATTESTERS], 1, s.attester, -1,
		    SQLITE_STATIC);
	if (print_head(&s) == -1 || print_attesters(&s) == -1)
		goto done;
	rc = RIV_OK;
done:
	for (i = 0; i < SS_COUNT; i++)
		sqlite3_finalize(s.st[i]);
	if (!sqlite3_get_autocommit(s.db))
		sqlite3_exec(s.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(s.db);
	return rc;
}
