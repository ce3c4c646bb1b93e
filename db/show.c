/*
 * show.c — stored values as readers show them (rivctl status, verdicts,
 * tail): text escaped for people, times as RFC 3339, codes and reasons
 * as JSON arrays.  The database is read as input like any other: a
 * damaged reasons column is shown raw, never trusted to be JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "json.h"

/* Return a text column, "" for NULL. */
const char *
show_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s != NULL ? (const char *)s : "";
}

/*
 * Copy s into buf (len bytes, at least 8) for a person: bytes below 0x20,
 * 0x7f and the backslash escaped (\x1b, \\); cut short with "..." if it
 * does not fit.  Return buf.
 */
const char *
show_escape(const char *s, char *buf, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	for (; *p != '\0'; p++) {
		if (o + 8 >= len) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (*p == '\\') {
			buf[o++] = '\\';
			buf[o++] = '\\';
		} else if (*p < 0x20 || *p == 0x7f) {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = digits[*p >> 4];
			buf[o++] = digits[*p & 0xf];
		} else
			buf[o++] = (char)*p;
	}
	buf[o] = '\0';
	return buf;
}

/* Write a time as a JSON string, RFC 3339 in UTC with microseconds. */
void
show_time_json(FILE *f, int64_t us)
{
	char buf[DB_TIME_LEN];

	db_time_format(us, 1, buf);
	fprintf(f, "\"%s\"", buf);
}

/* Write a time column as a JSON string, or null. */
void
show_time_col_json(FILE *f, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		fputs("null", f);
	else
		show_time_json(f, sqlite3_column_int64(st, i));
}

/* Write a text column as a JSON string, or null when NULL or empty. */
void
show_text_or_null(FILE *f, sqlite3_stmt *st, int i)
{
	const char *s = show_col_text(st, i);

	if (*s == '\0')
		fputs("null", f);
	else
		json_put_string(f, s);
}

/* Write comma-separated codes as a JSON array of strings. */
void
show_codes_json(FILE *f, const char *codes)
{
	char *copy, *tok, *save = NULL;
	int first = 1;

	fputc('[', f);
	if ((copy = strdup(codes)) != NULL) {
		for (tok = strtok_r(copy, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save)) {
			fputs(first ? "" : ",", f);
			json_put_string(f, tok);
			first = 0;
		}
		free(copy);
	}
	fputc(']', f);
}

/*
 * Parse a stored reasons array; NULL if it is not a JSON array of
 * strings (rivd writes nothing else).
 */
static struct json *
parse_reasons(const char *text)
{
	struct json *j;
	size_t i;

	if ((j = json_parse(text, strlen(text), NULL)) == NULL)
		return NULL;
	if (j->type != JSON_ARRAY)
		goto bad;
	for (i = 0; i < j->n; i++)
		if (j->items[i]->type != JSON_STRING)
			goto bad;
	return j;
bad:
	json_free(j);
	return NULL;
}

/*
 * Write stored reasons as a JSON array of strings; a damaged column
 * becomes one reason, its raw text.
 */
void
show_reasons_json(FILE *f, const char *text)
{
	struct json *j;
	size_t i;

	fputc('[', f);
	if ((j = parse_reasons(text)) == NULL)
		json_put_string(f, text);
	else
		for (i = 0; i < j->n; i++) {
			fputs(i ? "," : "", f);
			json_put_string(f, j->items[i]->str);
		}
	fputc(']', f);
	json_free(j);
}

/*
 * Copy the first stored reason, else the codes, else "-", escaped for a
 * person, into buf (len bytes).  Return buf.
 */
const char *
show_first_reason(const char *reasons, const char *codes, char *buf,
    size_t len)
{
	struct json *j;

	if ((j = parse_reasons(reasons)) == NULL)
		show_escape(reasons, buf, len);
	else if (j->n > 0)
		show_escape(j->items[0]->str, buf, len);
	else if (*codes != '\0')
		show_escape(codes, buf, len);
	else
		snprintf(buf, len, "-");
	json_free(j);
	return buf;
}
