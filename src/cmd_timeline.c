/*
 * cmd_timeline.c — `rivctl timeline`: the history of attesters' posture
 * from rivd's store, for people: a line per posture change (time,
 * stream, old -> new result, the codes and reasons of the verdict that
 * made it), or a self-contained SVG picture (or an HTML page with the
 * picture and the list of changes) with a lane per stream, segments
 * coloured by result, a marker at each change and the reasons as
 * tooltips.
 *
 * The changes are the rows of the events table (what = 'posture': a
 * stream's, or with no stream the attester's overall posture; what =
 * 'connection' for the connection lane); the verdict that made a change
 * is the one of that attester, stream (and TPM) received at the change's
 * time.  Everything is read in one read transaction, which in WAL mode
 * does not block rivd.  Text from the database is escaped for people
 * (show.c) and, in SVG and HTML, for XML, with bytes that are not UTF-8
 * replaced.
 */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"
#include "json.h"
#include "rivctl.h"

#define TEXT_MAX	1024	/* bytes of one escaped field */
#define WHY_MAX		2048	/* bytes of a change's joined reasons */

/* The picture's geometry, in pixels. */
#define SVG_WIDTH	1100
#define SVG_LABEL	230	/* lane labels left of the plot */
#define SVG_RIGHT	20
#define SVG_TOP		78	/* title, range and axis labels */
#define SVG_HEAD	24	/* an attester's name row */
#define SVG_LANE	22	/* one lane, gap included */
#define SVG_BAR		14	/* height of a lane's segments */
#define SVG_GAP		10	/* after each attester */
#define SVG_LEGEND	40
#define SVG_PLOT	(SVG_WIDTH - SVG_LABEL - SVG_RIGHT)

static const char usage[] =
    "usage: rivctl timeline [--db FILE] [--attester A] [--since T]\n"
    "                       [--svg FILE | --html FILE]\n"
    "Show when the posture of each attester (or of A) changed and why,\n"
    "oldest first: a line per change of a stream's or the attester's\n"
    "overall posture, with the codes and reasons of the verdict that made\n"
    "it.  With --svg or --html, write instead a picture of it (a lane per\n"
    "stream, segments coloured by result, reasons as tooltips) to FILE\n"
    "(- for standard output).  T is an RFC 3339 time, a date or a span\n"
    "before now (10m, 2h, 1d).  Exit 0, or 2 on a usage error, an\n"
    "unreadable database, an unknown attester or a file that cannot be\n"
    "written.  See rivctl(1).\n";

/* What timeline prints. */
enum format {
	FMT_TEXT,
	FMT_SVG,
	FMT_HTML
};

/* The statements of one timeline, all on one snapshot. */
enum timeline_stmt {
	TS_KNOWN,
	TS_ATTESTERS,
	TS_CHANGES,
	TS_FIRST,
	TS_LAST,
	TS_LANES,
	TS_LANE,
	TS_BEFORE,
	TS_COUNT
};

/*
 * The verdict that made a posture change: same attester, the stream (or
 * for the overall posture, the stream named in detail), the TPM, and
 * received at the change's time.
 */
#define CAUSE_JOIN \
	"LEFT JOIN verdicts v ON e.what = 'posture' AND v.id = " \
	"(SELECT id FROM verdicts WHERE attester = e.attester AND " \
	"stream = coalesce(e.stream, e.detail) AND " \
	"(e.tpm IS NULL OR tpm = e.tpm) AND received_us = e.time_us " \
	"ORDER BY id LIMIT 1) "

static const char *const timeline_sql[TS_COUNT] = {
	[TS_KNOWN] = "SELECT count(*) FROM attesters WHERE name = :attester",
	[TS_ATTESTERS] =
	    "SELECT name, coalesce(posture, '') FROM attesters "
	    "WHERE :attester IS NULL OR name = :attester ORDER BY name",
	[TS_CHANGES] =
	    "SELECT e.time_us, e.attester, e.stream, e.tpm, e.old, e.new, "
	    "e.detail, v.codes, v.reasons FROM events e " CAUSE_JOIN
	    "WHERE e.what = 'posture' AND "
	    "(:attester IS NULL OR e.attester = :attester) AND "
	    "e.time_us >= :from ORDER BY e.time_us, e.id",
	[TS_FIRST] =
	    "SELECT min(time_us) FROM events "
	    "WHERE :attester IS NULL OR attester = :attester",
	/* The last verdict of each stream is in posture: no scan. */
	[TS_LAST] =
	    "SELECT max(t) FROM (SELECT max(time_us) AS t FROM events "
	    "WHERE :attester IS NULL OR attester = :attester UNION ALL "
	    "SELECT max(v.received_us) FROM posture p JOIN verdicts v "
	    "ON v.id = p.verdict_id "
	    "WHERE :attester IS NULL OR p.attester = :attester)",
	[TS_LANES] =
	    "SELECT DISTINCT stream, tpm FROM events WHERE "
	    "attester = :attester AND what = 'posture' AND "
	    "stream IS NOT NULL ORDER BY CASE stream "
	    "WHEN 'pcr-trust-evidence' THEN 0 WHEN 'bios-log' THEN 1 "
	    "WHEN 'ima-log' THEN 2 ELSE 3 END, stream, tpm",
	[TS_LANE] =
	    "SELECT e.time_us, e.old, e.new, e.detail, v.codes, v.reasons "
	    "FROM events e " CAUSE_JOIN
	    "WHERE e.attester = :attester AND e.what = :what AND "
	    "e.stream IS :stream AND e.tpm IS :tpm AND e.time_us >= :from "
	    "ORDER BY e.time_us, e.id",
	[TS_BEFORE] =
	    "SELECT e.time_us, e.old, e.new, e.detail, v.codes, v.reasons "
	    "FROM events e " CAUSE_JOIN
	    "WHERE e.attester = :attester AND e.what = :what AND "
	    "e.stream IS :stream AND e.tpm IS :tpm AND e.time_us < :from "
	    "ORDER BY e.time_us DESC, e.id DESC LIMIT 1",
};

/* Columns of TS_CHANGES. */
enum { CH_TIME, CH_ATTESTER, CH_STREAM, CH_TPM, CH_OLD, CH_NEW, CH_DETAIL,
    CH_CODES, CH_REASONS };
/* Columns of TS_LANE and TS_BEFORE. */
enum { LN_TIME, LN_OLD, LN_NEW, LN_DETAIL, LN_CODES, LN_REASONS };

/* What timeline was asked, and what it is reading. */
struct timeline {
	const char	*db_path;
	const char	*attester;	/* NULL: every attester */
	const char	*out_path;	/* --svg or --html */
	enum format	 fmt;
	int64_t		 since;
	int		 has_since;
	int		 help;
	sqlite3		*db;
	sqlite3_stmt	*st[TS_COUNT];
	FILE		*out;
	int64_t		 start, end;	/* the span of the picture */
};

/* A lane of the picture: which events it draws. */
struct lane {
	const char	*label;
	const char	*what;		/* posture or connection */
	const char	*stream;	/* NULL: the attester's */
	const char	*tpm;		/* NULL: none */
};

/* Report a failed read and return -1. */
static int
read_failed(struct timeline *t)
{
	fprintf(stderr, "rivctl timeline: %s: %s\n", t->db_path,
	    sqlite3_errmsg(t->db));
	return -1;
}

/* Bind a named text parameter (NULL binds NULL) if st has it. */
static void
bind_text(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i == 0)
		return;
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Bind a named integer parameter if st has it. */
static void
bind_int(sqlite3_stmt *st, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(st, name);

	if (i > 0)
		sqlite3_bind_int64(st, i, v);
}

/* Reset a statement and bind the attester and the first time shown. */
static sqlite3_stmt *
stmt_for(struct timeline *t, enum timeline_stmt which, const char *attester)
{
	sqlite3_stmt *st = t->st[which];

	sqlite3_reset(st);
	bind_text(st, ":attester", attester);
	bind_int(st, ":from", t->has_since ? t->since : INT64_MIN);
	return st;
}

/* Format a time for a person, to the millisecond: ...T10:07:16.435Z. */
static const char *
time_ms(int64_t us, char *buf)
{
	db_time_format(us, 1, buf);
	if (strlen(buf) == 27) {	/* 2026-12-01T10:07:16.435123Z */
		buf[23] = 'Z';
		buf[24] = '\0';
	}
	return buf;
}

/*
 * Append s to buf (len bytes) at *o, cutting it short with "..." when it
 * does not fit.
 */
static void
append(char *buf, size_t len, size_t *o, const char *s)
{
	size_t n = strlen(s);

	if (*o + 4 >= len)
		return;
	if (*o + n + 4 >= len) {
		n = len - *o - 4;
		memcpy(buf + *o, s, n);
		memcpy(buf + *o + n, "...", 4);
		*o = len - 1;
		return;
	}
	memcpy(buf + *o, s, n + 1);
	*o += n;
}

/*
 * Write into buf (len bytes) why a change happened: for an overall
 * posture the stream that moved, then the verdict's codes in brackets
 * and its reasons joined by "; ", escaped for a person; "" when there is
 * nothing to say.  A damaged reasons column is shown raw.
 */
static const char *
format_why(const char *moved, const char *codes, const char *reasons,
    char *buf, size_t len)
{
	char esc[TEXT_MAX];
	struct json *j;
	size_t o = 0, i;

	buf[0] = '\0';
	if (moved != NULL && *moved != '\0') {
		append(buf, len, &o, "by ");
		append(buf, len, &o, show_escape(moved, esc, sizeof(esc)));
		append(buf, len, &o, ":");
	}
	if (codes != NULL && *codes != '\0') {
		append(buf, len, &o, o ? " [" : "[");
		append(buf, len, &o, show_escape(codes, esc, sizeof(esc)));
		append(buf, len, &o, "]");
	}
	if (reasons == NULL || *reasons == '\0')
		goto done;
	j = json_parse(reasons, strlen(reasons), NULL);
	if (j == NULL || j->type != JSON_ARRAY) {
		append(buf, len, &o, o ? " " : "");
		append(buf, len, &o, show_escape(reasons, esc, sizeof(esc)));
	} else
		for (i = 0; i < j->n; i++) {
			if (j->items[i]->type != JSON_STRING)
				continue;
			append(buf, len, &o, o ? (i ? "; " : " ") : "");
			append(buf, len, &o, show_escape(j->items[i]->str, esc,
			    sizeof(esc)));
		}
	json_free(j);
done:
	if (o > 0 && buf[o - 1] == ':')
		buf[o - 1] = '\0';	/* "by stream" and nothing to add */
	return buf;
}

/* The label of a stream lane: "stream", or "stream/tpm". */
static const char *
stream_label(const char *stream, const char *tpm, char *buf, size_t len)
{
	char a[TEXT_MAX], b[TEXT_MAX];

	if (stream == NULL || *stream == '\0')
		snprintf(buf, len, "(overall)");
	else if (tpm == NULL || *tpm == '\0')
		snprintf(buf, len, "%s", show_escape(stream, a, sizeof(a)));
	else
		snprintf(buf, len, "%s/%s", show_escape(stream, a, sizeof(a)),
		    show_escape(tpm, b, sizeof(b)));
	return buf;
}

/* Return a text column, or NULL when it is NULL. */
static const char *
col_or_null(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return show_col_text(st, i);
}

/* Print the posture changes, a line each; 0, or -1 after a message. */
static int
print_text(struct timeline *t)
{
	sqlite3_stmt *st = stmt_for(t, TS_CHANGES, t->attester);
	char when[DB_TIME_LEN], a[TEXT_MAX], lane[2 * TEXT_MAX + 2];
	char change[2 * TEXT_MAX + 8], why[WHY_MAX], o[TEXT_MAX];
	char n[TEXT_MAX];
	const char *old, *stream;
	int rc, lines = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (lines++ == 0)
			printf("%-24s  %-12s %-24s %-14s %s\n", "TIME",
			    "ATTESTER", "STREAM", "CHANGE", "REASONS");
		stream = col_or_null(st, CH_STREAM);
		old = col_or_null(st, CH_OLD);
		snprintf(change, sizeof(change), "%s -> %s",
		    old ? show_escape(old, o, sizeof(o)) : "-",
		    show_escape(show_col_text(st, CH_NEW), n, sizeof(n)));
		printf("%-24s  %-12s %-24s %-14s %s\n",
		    time_ms(sqlite3_column_int64(st, CH_TIME), when),
		    show_escape(show_col_text(st, CH_ATTESTER), a, sizeof(a)),
		    stream_label(stream, col_or_null(st, CH_TPM), lane,
		    sizeof(lane)), change,
		    format_why(stream == NULL ? show_col_text(st, CH_DETAIL) :
		    NULL, col_or_null(st, CH_CODES),
		    col_or_null(st, CH_REASONS), why, sizeof(why)));
	}
	if (rc != SQLITE_DONE)
		return read_failed(t);
	if (lines == 0)
		printf("no posture changes\n");
	return 0;
}

/*
 * Length of the UTF-8 sequence at s if it is a valid one of a character
 * XML allows, else 0.
 */
static size_t
utf8_len(const unsigned char *s)
{
	uint32_t c;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 ||
	    c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff) ||
	    c == 0xfffe || c == 0xffff)
		return 0;
	return n;
}

/*
 * Write text already escaped for a person (no control bytes) as XML
 * character data or attribute value: markup characters as entities,
 * bytes that are not UTF-8 as "?".
 */
static void
put_xml(FILE *f, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n;

	while (*s != '\0') {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			if ((n = utf8_len(s)) == 0) {
				fputc('?', f);
				break;
			}
			fwrite(s, 1, n, f);
			s += n;
			continue;
		}
		s++;
	}
}

/* Write raw database text escaped for a person, then for XML. */
static void
put_xml_raw(FILE *f, const char *text)
{
	char buf[TEXT_MAX];

	put_xml(f, show_escape(text, buf, sizeof(buf)));
}

/* The fill colour of a result or connection state. */
static const char *
color_of(const char *what, const char *state)
{
	if (strcmp(what, "connection") == 0)
		return strcmp(state, "connected") == 0 ? "#9ecae1" : "#e4e4e4";
	if (strcmp(state, "pass") == 0)
		return "#2ca02c";
	if (strcmp(state, "fail") == 0)
		return "#d62728";
	if (strcmp(state, "error") == 0)
		return "#ff7f0e";
	if (strcmp(state, "stale") == 0)
		return "#9e9e9e";
	return "#ffffff";
}

/* The x coordinate of a time in the plot. */
static double
x_of(const struct timeline *t, int64_t us)
{
	double x;

	if (us <= t->start)
		return SVG_LABEL;
	x = SVG_LABEL + (double)(us - t->start) * SVG_PLOT /
	    (double)(t->end - t->start);
	return x > SVG_LABEL + SVG_PLOT ? SVG_LABEL + SVG_PLOT : x;
}

/*
 * Read the span of the picture: from --since or the first event, to the
 * last event or verdict; at least a second.  0, or -1 after a message.
 */
static int
read_span(struct timeline *t)
{
	sqlite3_stmt *st;
	int64_t now = db_now_us();

	st = stmt_for(t, TS_FIRST, t->attester);
	if (sqlite3_step(st) != SQLITE_ROW)
		return read_failed(t);
	t->start = sqlite3_column_type(st, 0) == SQLITE_NULL ? now :
	    sqlite3_column_int64(st, 0);
	if (t->has_since)
		t->start = t->since;
	st = stmt_for(t, TS_LAST, t->attester);
	if (sqlite3_step(st) != SQLITE_ROW)
		return read_failed(t);
	t->end = sqlite3_column_type(st, 0) == SQLITE_NULL ? t->start :
	    sqlite3_column_int64(st, 0);
	if (t->end < t->start + 1000000)
		t->end = t->start + 1000000;
	return 0;
}

/* Count the lanes of an attester (stream lanes, overall, connection). */
static int
count_lanes(struct timeline *t, const char *attester)
{
	sqlite3_stmt *st = stmt_for(t, TS_LANES, attester);
	int n = 2, rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n++;
	if (rc != SQLITE_DONE)
		return read_failed(t);
	return n;
}

/* Print the time axis: ticks, labels and grid lines over height h. */
static void
print_axis(struct timeline *t, int h)
{
	static const int64_t steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300,
	    600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800,
	    604800, 2592000, 31536000 };
	int64_t span = (t->end - t->start) / 1000000, step = steps[0];
	int64_t tick;
	struct tm tm;
	time_t secs;
	char label[32];
	size_t i;
	double x;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		step = steps[i];
		if (span / step <= 8)
			break;
	}
	for (tick = (t->start / 1000000 / step + 1) * step;
	    tick * 1000000 <= t->end; tick += step) {
		x = x_of(t, tick * 1000000);
		secs = (time_t)tick;
		if (gmtime_r(&secs, &tm) == NULL)
			continue;
		if (span < 86400)
			strftime(label, sizeof(label), "%H:%M:%S", &tm);
		else if (span < 180 * 86400)
			strftime(label, sizeof(label), "%m-%d %H:%M", &tm);
		else
			strftime(label, sizeof(label), "%Y-%m-%d", &tm);
		fprintf(t->out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" "
		    "y2=\"%d\" stroke=\"#e0e0e0\"/>\n<text x=\"%.1f\" "
		    "y=\"%d\" text-anchor=\"middle\" fill=\"#555\">%s</text>\n",
		    x, SVG_TOP - 8, x, h - SVG_LEGEND, x, SVG_TOP - 12, label);
	}
}

/*
 * Print a segment of a lane, from us to until, with its tooltip: the
 * state, since when, until when, and why.
 */
static void
print_segment(struct timeline *t, const struct lane *l, int y, int64_t us,
    int64_t until, const char *state, const char *why)
{
	char a[DB_TIME_LEN], b[DB_TIME_LEN];
	double x0 = x_of(t, us), x1 = x_of(t, until);

	if (*state == '\0')
		return;
	fprintf(t->out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" "
	    "height=\"%d\" fill=\"%s\"><title>", x0, y, x1 - x0 < 1 ? 1 :
	    x1 - x0, SVG_BAR, color_of(l->what, state));
	put_xml(t->out, l->label);
	fputs(": ", t->out);
	put_xml_raw(t->out, state);
	fprintf(t->out, " from %s to %s", time_ms(us, a), time_ms(until, b));
	if (*why != '\0') {
		fputs("\n", t->out);
		put_xml(t->out, why);
	}
	fputs("</title></rect>\n", t->out);
}

/* Print the marker of a change at us, with its tooltip. */
static void
print_marker(struct timeline *t, const struct lane *l, int y, int64_t us,
    const char *old, const char *new, const char *why)
{
	char when[DB_TIME_LEN];
	double x = x_of(t, us);

	fprintf(t->out, "<path d=\"M%.1f,%d l-4,-6 h8 z\" fill=\"%s\" "
	    "stroke=\"#333\" stroke-width=\"0.6\"><title>%s ", x, y,
	    color_of(l->what, new), time_ms(us, when));
	put_xml(t->out, l->label);
	fputs(": ", t->out);
	if (old != NULL)
		put_xml_raw(t->out, old);
	else
		fputs("-", t->out);
	fputs(" -&gt; ", t->out);
	put_xml_raw(t->out, new);
	if (*why != '\0') {
		fputs("\n", t->out);
		put_xml(t->out, why);
	}
	fputs("</title></path>\n", t->out);
}

/*
 * Write into buf (len bytes) why the change of the current row of st
 * (TS_LANE or TS_BEFORE) happened, for lane l.
 */
static const char *
lane_why(const struct lane *l, sqlite3_stmt *st, char *buf, size_t len)
{
	if (strcmp(l->what, "connection") == 0)
		return show_escape(show_col_text(st, LN_DETAIL), buf, len);
	return format_why(l->stream == NULL ? show_col_text(st, LN_DETAIL) :
	    NULL, col_or_null(st, LN_CODES), col_or_null(st, LN_REASONS), buf,
	    len);
}

/*
 * Print one lane at y: its label, the state in force before the span,
 * then a segment and a marker per change.  0, or -1 after a message.
 */
static int
print_lane(struct timeline *t, const char *attester, const struct lane *l,
    int y)
{
	sqlite3_stmt *st;
	char state[TEXT_MAX] = "", why[WHY_MAX] = "", nwhy[WHY_MAX];
	int64_t since = t->start, us;
	int rc;

	fprintf(t->out, "<text x=\"%d\" y=\"%d\">", 24, y + SVG_BAR - 3);
	put_xml(t->out, l->label);
	fprintf(t->out, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"#fafafa\" stroke=\"#eee\"/>\n", SVG_LABEL,
	    y, SVG_PLOT, SVG_BAR);
	st = stmt_for(t, TS_BEFORE, attester);
	bind_text(st, ":what", l->what);
	bind_text(st, ":stream", l->stream);
	bind_text(st, ":tpm", l->tpm);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(state, sizeof(state), "%s",
		    show_col_text(st, LN_NEW));
		lane_why(l, st, why, sizeof(why));
	} else if (rc != SQLITE_DONE)
		return read_failed(t);
	st = stmt_for(t, TS_LANE, attester);
	bind_text(st, ":what", l->what);
	bind_text(st, ":stream", l->stream);
	bind_text(st, ":tpm", l->tpm);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		us = sqlite3_column_int64(st, LN_TIME);
		print_segment(t, l, y, since, us, state, why);
		lane_why(l, st, nwhy, sizeof(nwhy));
		print_marker(t, l, y, us, col_or_null(st, LN_OLD),
		    show_col_text(st, LN_NEW), nwhy);
		snprintf(state, sizeof(state), "%s",
		    show_col_text(st, LN_NEW));
		memcpy(why, nwhy, sizeof(why));
		since = us;
	}
	if (rc != SQLITE_DONE)
		return read_failed(t);
	print_segment(t, l, y, since, t->end, state, why);
	return 0;
}

/*
 * Print an attester's rows from y: its name and posture, then its
 * lanes.  Return the y after them, or -1 after a message.
 */
static int
print_attester_svg(struct timeline *t, const char *name,
    const char *posture, int y)
{
	struct lane l = { "(overall)", "posture", NULL, NULL };
	char label[2 * TEXT_MAX + 2], stream[TEXT_MAX], tpm[TEXT_MAX];
	sqlite3_stmt *st;
	int rc;

	fprintf(t->out, "<text x=\"10\" y=\"%d\" font-weight=\"bold\">",
	    y + 16);
	put_xml_raw(t->out, name);
	fputs("</text>\n", t->out);
	if (*posture != '\0') {
		fprintf(t->out, "<text x=\"%d\" y=\"%d\">now ", SVG_LABEL,
		    y + 16);
		put_xml_raw(t->out, posture);
		fputs("</text>\n", t->out);
	}
	y += SVG_HEAD;
	if (print_lane(t, name, &l, y) == -1)
		return -1;
	y += SVG_LANE;
	l = (struct lane){ "connection", "connection", NULL, NULL };
	if (print_lane(t, name, &l, y) == -1)
		return -1;
	y += SVG_LANE;
	/* print_lane steps other statements only: TS_LANES stays put. */
	st = stmt_for(t, TS_LANES, name);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(stream, sizeof(stream), "%s", show_col_text(st, 0));
		snprintf(tpm, sizeof(tpm), "%s", show_col_text(st, 1));
		l.label = stream_label(stream, tpm, label, sizeof(label));
		l.what = "posture";
		l.stream = stream;
		l.tpm = col_or_null(st, 1) != NULL ? tpm : NULL;
		if (print_lane(t, name, &l, y) == -1)
			return -1;
		y += SVG_LANE;
	}
	if (rc != SQLITE_DONE)
		return read_failed(t);
	return y + SVG_GAP;
}

/* Print the legend at y. */
static void
print_legend(struct timeline *t, int y)
{
	static const char *const keys[][2] = {
		{ "posture", "pass" }, { "posture", "fail" },
		{ "posture", "error" }, { "posture", "stale" },
		{ "connection", "connected" },
		{ "connection", "disconnected" }
	};
	size_t i;
	int x = SVG_LABEL;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		fprintf(t->out, "<rect x=\"%d\" y=\"%d\" width=\"14\" "
		    "height=\"%d\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s"
		    "</text>\n", x, y, SVG_BAR, color_of(keys[i][0],
		    keys[i][1]), x + 18, y + SVG_BAR - 3, keys[i][1]);
		x += 120;
	}
}

/*
 * Print the picture: a title, the time axis, each attester's lanes and a
 * legend; standalone, as an SVG file of its own (else inside HTML).  0,
 * or -1 after a message.
 */
static int
print_svg(struct timeline *t, int standalone)
{
	char name[TEXT_MAX], posture[TEXT_MAX], a[DB_TIME_LEN], b[DB_TIME_LEN];
	sqlite3_stmt *st;
	int rc, n, h = SVG_TOP, y, attesters = 0;

	st = stmt_for(t, TS_ATTESTERS, t->attester);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((n = count_lanes(t, show_col_text(st, 0))) == -1)
			return -1;
		h += SVG_HEAD + n * SVG_LANE + SVG_GAP;
		attesters++;
	}
	if (rc != SQLITE_DONE)
		return read_failed(t);
	if (attesters == 0)
		h += SVG_HEAD;
	h += SVG_LEGEND;
	if (standalone)
		fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", t->out);
	fprintf(t->out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n"
	    "<text x=\"10\" y=\"20\" font-size=\"16\" font-weight=\"bold\">"
	    "rivd timeline</text>\n<text x=\"10\" y=\"38\" fill=\"#555\">",
	    SVG_WIDTH, h, SVG_WIDTH, h, SVG_WIDTH, h);
	put_xml_raw(t->out, t->db_path);
	fprintf(t->out, ": %s to %s (UTC)</text>\n", time_ms(t->start, a),
	    time_ms(t->end, b));
	print_axis(t, h);
	y = SVG_TOP;
	st = stmt_for(t, TS_ATTESTERS, t->attester);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		snprintf(name, sizeof(name), "%s", show_col_text(st, 0));
		snprintf(posture, sizeof(posture), "%s", show_col_text(st, 1));
		if ((y = print_attester_svg(t, name, posture, y)) == -1)
			return -1;
	}
	if (rc != SQLITE_DONE)
		return read_failed(t);
	if (attesters == 0)
		fprintf(t->out, "<text x=\"10\" y=\"%d\">no attesters yet"
		    "</text>\n", y + 16);
	print_legend(t, h - SVG_LEGEND + 12);
	fputs("</svg>\n", t->out);
	return 0;
}

/* Print the posture changes as the rows of an HTML table. */
static int
print_html_changes(struct timeline *t)
{
	sqlite3_stmt *st = stmt_for(t, TS_CHANGES, t->attester);
	char when[DB_TIME_LEN], lane[2 * TEXT_MAX + 2], why[WHY_MAX];
	const char *stream, *old;
	int rc, rows = 0;

	fputs("<table>\n<tr><th>time (UTC)</th><th>attester</th>"
	    "<th>stream</th><th>change</th><th>reasons</th></tr>\n", t->out);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rows++;
		stream = col_or_null(st, CH_STREAM);
		old = col_or_null(st, CH_OLD);
		fprintf(t->out, "<tr><td>%s</td><td>",
		    time_ms(sqlite3_column_int64(st, CH_TIME), when));
		put_xml_raw(t->out, show_col_text(st, CH_ATTESTER));
		fputs("</td><td>", t->out);
		put_xml(t->out, stream_label(stream, col_or_null(st, CH_TPM),
		    lane, sizeof(lane)));
		fputs("</td><td>", t->out);
		put_xml_raw(t->out, old != NULL ? old : "-");
		fprintf(t->out, " -&gt; <b style=\"color:%s\">",
		    color_of("posture", show_col_text(st, CH_NEW)));
		put_xml_raw(t->out, show_col_text(st, CH_NEW));
		fputs("</b></td><td>", t->out);
		put_xml(t->out, format_why(stream == NULL ?
		    show_col_text(st, CH_DETAIL) : NULL,
		    col_or_null(st, CH_CODES), col_or_null(st, CH_REASONS), why,
		    sizeof(why)));
		fputs("</td></tr>\n", t->out);
	}
	if (rc != SQLITE_DONE)
		return read_failed(t);
	if (rows == 0)
		fputs("<tr><td colspan=\"5\">no posture changes</td></tr>\n",
		    t->out);
	fputs("</table>\n", t->out);
	return 0;
}

/* Print an HTML page: the picture, then the list of changes. */
static int
print_html(struct timeline *t)
{
	fputs("<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" "
	    "lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
	    "<title>rivd timeline</title>\n<style>\n"
	    "body { font-family: sans-serif; margin: 1em; }\n"
	    "table { border-collapse: collapse; font-size: 13px; }\n"
	    "td, th { border-bottom: 1px solid #ddd; padding: 2px 8px; "
	    "text-align: left; vertical-align: top; }\n"
	    "td:first-child { white-space: nowrap; }\n"
	    "</style>\n</head>\n<body>\n", t->out);
	if (print_svg(t, 0) == -1)
		return -1;
	fputs("<h2>Posture changes</h2>\n", t->out);
	if (print_html_changes(t) == -1)
		return -1;
	fputs("<p>Hover over a segment or a marker for its reasons.  "
	    "Written by rivctl timeline.</p>\n</body>\n</html>\n", t->out);
	return 0;
}

/* Parse the command line; -1 (after a message) on a usage error. */
static int
parse_args(int argc, char **argv, struct timeline *t)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, 'd' },
		{ "attester", required_argument, NULL, 'a' },
		{ "since", required_argument, NULL, 'S' },
		{ "svg", required_argument, NULL, 's' },
		{ "html", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	t->db_path = DB_PATH_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			t->db_path = optarg;
			break;
		case 'a':
			t->attester = optarg;
			break;
		case 'S':
			if (db_time_parse(optarg, db_now_us(), &t->since) ==
			    -1) {
				fprintf(stderr, "rivctl timeline: --since "
				    "\"%s\": expected an RFC 3339 time, a "
				    "date, or a span such as 10m, 2h, 1d\n",
				    optarg);
				return -1;
			}
			t->has_since = 1;
			break;
		case 's':
		case 'H':
			if (t->out_path != NULL) {
				fprintf(stderr, "rivctl timeline: --svg and "
				    "--html: one file at a time\n");
				return -1;
			}
			t->out_path = optarg;
			t->fmt = c == 's' ? FMT_SVG : FMT_HTML;
			break;
		case 'h':
			t->help = 1;
			return 0;
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "rivctl timeline: unexpected argument \"%s\"\n"
		    "%s", argv[optind], usage);
		return -1;
	}
	return 0;
}

/*
 * Check that the attester asked for is in the store; 0, or -1 after a
 * message.
 */
static int
check_attester(struct timeline *t)
{
	sqlite3_stmt *st;

	if (t->attester == NULL)
		return 0;
	st = stmt_for(t, TS_KNOWN, t->attester);
	if (sqlite3_step(st) != SQLITE_ROW)
		return read_failed(t);
	if (sqlite3_column_int64(st, 0) == 0) {
		fprintf(stderr, "rivctl timeline: %s: no attester \"%s\" in "
		    "the store\n", t->db_path, t->attester);
		return -1;
	}
	return 0;
}

/*
 * Write the picture to out_path ("-": standard output); 0, or -1 after
 * a message (a partial file is removed).
 */
static int
write_picture(struct timeline *t)
{
	int rc, tostdout = strcmp(t->out_path, "-") == 0;

	if (tostdout)
		t->out = stdout;
	else if ((t->out = fopen(t->out_path, "w")) == NULL) {
		fprintf(stderr, "rivctl timeline: %s: %s\n", t->out_path,
		    strerror(errno));
		return -1;
	}
	rc = t->fmt == FMT_SVG ? print_svg(t, 1) : print_html(t);
	if (fflush(t->out) == EOF || ferror(t->out)) {
		if (rc == 0)
			fprintf(stderr, "rivctl timeline: %s: %s\n",
			    t->out_path, strerror(errno));
		rc = -1;
	}
	if (!tostdout && fclose(t->out) == EOF && rc == 0) {
		fprintf(stderr, "rivctl timeline: %s: %s\n", t->out_path,
		    strerror(errno));
		rc = -1;
	}
	if (rc == -1 && !tostdout)
		unlink(t->out_path);
	return rc;
}

/* rivctl timeline: see usage. */
int
cmd_timeline(int argc, char **argv)
{
	struct riv_err err = { "" };
	struct timeline t;
	int i, rc = RIV_MALFORMED;

	memset(&t, 0, sizeof(t));
	if (parse_args(argc, argv, &t) == -1)
		return RIV_MALFORMED;
	if (t.help) {
		fputs(usage, stdout);
		return RIV_OK;
	}
	if (db_open_reader(t.db_path, &t.db, &err) != RIV_OK) {
		fprintf(stderr, "rivctl timeline: %s\n", err.msg);
		return RIV_MALFORMED;
	}
	if (sqlite3_exec(t.db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		read_failed(&t);
		goto done;
	}
	for (i = 0; i < TS_COUNT; i++)
		if (sqlite3_prepare_v2(t.db, timeline_sql[i], -1, &t.st[i],
		    NULL) != SQLITE_OK) {
			read_failed(&t);
			goto done;
		}
	if (check_attester(&t) == -1)
		goto done;
	if (t.out_path == NULL) {
		if (print_text(&t) == -1)
			goto done;
	} else if (read_span(&t) == -1 || write_picture(&t) == -1)
		goto done;
	rc = RIV_OK;
done:
	for (i = 0; i < TS_COUNT; i++)
		sqlite3_finalize(t.st[i]);
	if (!sqlite3_get_autocommit(t.db))
		sqlite3_exec(t.db, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(t.db);
	return rc;
}
