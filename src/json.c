/*
 * json.c — bounded recursive-descent JSON reader and writer helpers.
 *
 * The input is hostile: nesting is limited to JSON_DEPTH_MAX, the number of
 * values to JSON_VALUES(len) (so memory stays proportional to the input),
 * member names must be unique within an object, every error names the byte
 * offset, strings must be valid UTF-8 after unescaping and may not contain NUL
 * (so they are safe as C strings).
 *
 * A scalar's text (string or number) is allocated with its node, so a value
 * costs one allocation.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct reader {
	const char	*buf;
	size_t		 len;
	size_t		 pos;
	size_t		 values;	/* values allocated so far */
	size_t		 max_values;
	struct riv_err	*err;
};

/* Member names of one object seen so far: indices hashed by name. */
struct nameset {
	uint32_t	*slots;		/* 1 + member index; 0 is empty */
	size_t		 mask;
};

/* Objects this small are searched for a repeated name without a hash. */
#define NAMESET_LINEAR	8
/* Longest member name quoted in an error. */
#define NAME_QUOTE_MAX	48

static struct json	*read_value(struct reader *, int);

/* Record a parse error at the reader's offset and return NULL. */
static struct json *
fail_at(struct reader *r, const char *what)
{
	err_set(r->err, RIV_MALFORMED, "JSON: %s at byte offset %zu", what,
	    r->pos);
	return NULL;
}

/* Skip white space. */
static void
skip_space(struct reader *r)
{
	while (r->pos < r->len && (r->buf[r->pos] == ' ' ||
	    r->buf[r->pos] == '\t' || r->buf[r->pos] == '\n' ||
	    r->buf[r->pos] == '\r'))
		r->pos++;
}

/*
 * Allocate a value of a type at the current offset, with room for extra bytes
 * of text (str) after it; counts against the reader's value budget.
 */
static struct json *
new_value(struct reader *r, enum json_type type, size_t extra)
{
	struct json *v;

	if (r->values >= r->max_values) {
		err_set(r->err, RIV_MALFORMED, "JSON: more than %zu values in "
		    "%zu bytes at byte offset %zu", r->max_values, r->len,
		    r->pos);
		return NULL;
	}
	if (extra > SIZE_MAX - sizeof(*v) ||
	    (v = calloc(1, sizeof(*v) + extra)) == NULL)
		return fail_at(r, "out of memory");
	r->values++;
	v->type = type;
	v->offset = r->pos;
	if (extra > 0)
		v->str = (char *)(v + 1);
	return v;
}

/* Append code point cp as UTF-8 to out at *n. */
static void
put_utf8(char *out, size_t *n, unsigned long cp)
{
	if (cp < 0x80) {
		out[(*n)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*n)++] = (char)(0xc0 | cp >> 6);
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		out[(*n)++] = (char)(0xe0 | cp >> 12);
		out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*n)++] = (char)(0xf0 | cp >> 18);
		out[(*n)++] = (char)(0x80 | (cp >> 12 & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* Read four hex digits of a \u escape. */
static int
read_u4(struct reader *r, unsigned long *cp)
{
	int i, d;

	if (r->len - r->pos < 4)
		return -1;
	*cp = 0;
	for (i = 0; i < 4; i++) {
		if ((d = hex_value((unsigned char)r->buf[r->pos + i])) < 0)
			return -1;
		*cp = *cp << 4 | (unsigned long)d;
	}
	r->pos += 4;
	return 0;
}

/* Read one escape sequence (after the backslash) into out. */
static int
read_escape(struct reader *r, char *out, size_t *n)
{
	unsigned long cp, lo;
	char c;

	if (r->pos >= r->len)
		return -1;
	c = r->buf[r->pos++];
	switch (c) {
	case '"': case '\\': case '/':
		out[(*n)++] = c;
		return 0;
	case 'b': out[(*n)++] = '\b'; return 0;
	case 'f': out[(*n)++] = '\f'; return 0;
	case 'n': out[(*n)++] = '\n'; return 0;
	case 'r': out[(*n)++] = '\r'; return 0;
	case 't': out[(*n)++] = '\t'; return 0;
	case 'u':
		break;
	default:
		return -1;
	}
	if (read_u4(r, &cp) == -1 || cp == 0)
		return -1;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (r->len - r->pos < 2 || r->buf[r->pos] != '\\' ||
		    r->buf[r->pos + 1] != 'u')
			return -1;
		r->pos += 2;
		if (read_u4(r, &lo) == -1 || lo < 0xdc00 || lo > 0xdfff)
			return -1;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	put_utf8(out, n, cp);
	return 0;
}

/* Return the length of a valid UTF-8 sequence at s (max bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t max)
{
	size_t n, i;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n > max)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * Find the closing quote of the string opened at the reader's offset; -1 if
 * there is none.
 */
static int
string_end(struct reader *r, size_t *endp)
{
	size_t end;

	for (end = r->pos + 1; end < r->len && r->buf[end] != '"'; end++)
		if (r->buf[end] == '\\')
			end++;
	if (end >= r->len) {
		fail_at(r, "unterminated string");
		return -1;
	}
	*endp = end;
	return 0;
}

/*
 * Decode the string opened at the reader's offset and closed at end into out
 * (room for end - offset bytes), NUL ended; -1 on an error.
 */
static int
decode_string(struct reader *r, size_t end, char *out, size_t *lenp)
{
	size_t n = 0, u;

	r->pos++;
	while (r->pos < end) {
		unsigned char c = (unsigned char)r->buf[r->pos];

		if (c == '\\') {
			r->pos++;
			if (read_escape(r, out, &n) == -1 || r->pos > end) {
				fail_at(r, "bad escape in string");
				return -1;
			}
		} else if (c < 0x20) {
			fail_at(r, "control character in string");
			return -1;
		} else {
			if ((u = utf8_len((const unsigned char *)r->buf +
			    r->pos, end - r->pos)) == 0) {
				fail_at(r, "invalid UTF-8 in string");
				return -1;
			}
			memcpy(out + n, r->buf + r->pos, u);
			n += u;
			r->pos += u;
		}
	}
	r->pos = end + 1;
	out[n] = '\0';
	*lenp = n;
	return 0;
}

/* Read a member name (at its opening quote) into a malloc'd C string. */
static char *
read_name(struct reader *r)
{
	size_t end, n;
	char *out;

	if (string_end(r, &end) == -1)
		return NULL;
	if ((out = malloc(end - r->pos)) == NULL) {
		fail_at(r, "out of memory");
		return NULL;
	}
	if (decode_string(r, end, out, &n) == -1) {
		free(out);
		return NULL;
	}
	return out;
}

/* Read a string value (at its opening quote). */
static struct json *
read_string(struct reader *r)
{
	struct json *v;
	size_t end;

	if (string_end(r, &end) == -1 ||
	    (v = new_value(r, JSON_STRING, end - r->pos)) == NULL)
		return NULL;
	if (decode_string(r, end, v->str, &v->len) == -1) {
		free(v);
		return NULL;
	}
	return v;
}

/* Read a number, keeping its text. */
static struct json *
read_number(struct reader *r)
{
	size_t start = r->pos;
	struct json *v;

	if (r->pos < r->len && r->buf[r->pos] == '-')
		r->pos++;
	if (r->pos >= r->len || r->buf[r->pos] < '0' || r->buf[r->pos] > '9')
		return fail_at(r, "bad number");
	if (r->buf[r->pos] == '0')
		r->pos++;
	else
		while (r->pos < r->len && r->buf[r->pos] >= '0' &&
		    r->buf[r->pos] <= '9')
			r->pos++;
	if (r->pos < r->len && r->buf[r->pos] == '.') {
		r->pos++;
		if (r->pos >= r->len || r->buf[r->pos] < '0' ||
		    r->buf[r->pos] > '9')
			return fail_at(r, "bad number");
		while (r->pos < r->len && r->buf[r->pos] >= '0' &&
		    r->buf[r->pos] <= '9')
			r->pos++;
	}
	if (r->pos < r->len && (r->buf[r->pos] == 'e' ||
	    r->buf[r->pos] == 'E')) {
		r->pos++;
		if (r->pos < r->len && (r->buf[r->pos] == '+' ||
		    r->buf[r->pos] == '-'))
			r->pos++;
		if (r->pos >= r->len || r->buf[r->pos] < '0' ||
		    r->buf[r->pos] > '9')
			return fail_at(r, "bad number");
		while (r->pos < r->len && r->buf[r->pos] >= '0' &&
		    r->buf[r->pos] <= '9')
			r->pos++;
	}
	if ((v = new_value(r, JSON_NUMBER, r->pos - start + 1)) == NULL)
		return NULL;
	v->offset = start;
	v->len = r->pos - start;
	memcpy(v->str, r->buf + start, v->len);
	v->str[v->len] = '\0';
	return v;
}

/* Append item (and key, for objects) to a container. */
static int
append_item(struct reader *r, struct json *c, struct json *item, char *key)
{
	struct json **items;
	char **keys;
	size_t cap;

	/* Grow at powers of two. */
	if ((c->n & (c->n - 1)) == 0) {
		cap = c->n ? c->n * 2 : 4;
		if ((items = realloc(c->items, cap * sizeof(*items))) == NULL)
			goto oom;
		c->items = items;
		if (c->type == JSON_OBJECT) {
			if ((keys = realloc(c->keys, cap * sizeof(*keys))) ==
			    NULL)
				goto oom;
			c->keys = keys;
		}
	}
	c->items[c->n] = item;
	if (c->type == JSON_OBJECT)
		c->keys[c->n] = key;
	c->n++;
	return 0;
oom:
	fail_at(r, "out of memory");
	return -1;
}

/* Hash a member name (FNV-1a). */
static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* Put member index i of c into a name set (which has room). */
static void
nameset_put(struct nameset *s, const struct json *c, size_t i)
{
	size_t k;

	for (k = name_hash(c->keys[i]) & s->mask; s->slots[k] != 0;
	    k = (k + 1) & s->mask)
		;
	s->slots[k] = (uint32_t)(i + 1);
}

/*
 * Tell whether key names a member of object c already (1), after recording
 * it as member c->n (0); -1 if out of memory.  Small objects are searched
 * directly; larger ones through a hash set, kept at most half full.
 */
static int
name_seen(struct nameset *s, const struct json *c, const char *key)
{
	uint32_t *slots;
	size_t i, k, cap;

	if (c->n < NAMESET_LINEAR) {
		for (i = 0; i < c->n; i++)
			if (strcmp(c->keys[i], key) == 0)
				return 1;
		return 0;
	}
	if (c->n >= UINT32_MAX - 1)
		return -1;
	if (s->slots == NULL || 2 * (c->n + 1) > s->mask + 1) {
		for (cap = 32; cap < 4 * (c->n + 1); cap *= 2)
			;
		if ((slots = calloc(cap, sizeof(*slots))) == NULL)
			return -1;
		free(s->slots);
		s->slots = slots;
		s->mask = cap - 1;
		for (i = 0; i < c->n; i++)
			nameset_put(s, c, i);
	}
	for (k = name_hash(key) & s->mask; s->slots[k] != 0;
	    k = (k + 1) & s->mask)
		if (strcmp(c->keys[s->slots[k] - 1], key) == 0)
			return 1;
	s->slots[k] = (uint32_t)(c->n + 1);
	return 0;
}

/* Record a repeated member name (quoted printable, bounded) at offset. */
static void
fail_repeated(struct reader *r, const char *key, size_t offset)
{
	char q[NAME_QUOTE_MAX + 4];
	size_t i;

	for (i = 0; key[i] != '\0' && i < NAME_QUOTE_MAX; i++)
		q[i] = (unsigned char)key[i] < 0x20 || key[i] == 0x7f ? '?' :
		    key[i];
	if (key[i] != '\0') {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i] = '\0';
	err_set(r->err, RIV_MALFORMED, "JSON: member name \"%s\" repeated at "
	    "byte offset %zu", q, offset);
}

/*
 * Read an array or object (at its opening bracket).  A member name repeated
 * in one object is an error, so no reader of a document can be told one
 * value while another reader (or a person) sees the other.
 */
static struct json *
read_container(struct reader *r, int depth, enum json_type type)
{
	struct nameset names = { NULL, 0 };
	struct json *c, *item;
	char *key = NULL;
	size_t kpos;
	char close = type == JSON_ARRAY ? ']' : '}';
	int seen;

	if (depth >= JSON_DEPTH_MAX)
		return fail_at(r, "nesting too deep");
	if ((c = new_value(r, type, 0)) == NULL)
		return NULL;
	r->pos++;
	skip_space(r);
	if (r->pos < r->len && r->buf[r->pos] == close) {
		r->pos++;
		return c;
	}
	for (;;) {
		skip_space(r);
		key = NULL;
		if (type == JSON_OBJECT) {
			if (r->pos >= r->len || r->buf[r->pos] != '"') {
				fail_at(r, "expected member name");
				goto fail;
			}
			kpos = r->pos;
			if ((key = read_name(r)) == NULL)
				goto fail;
			if ((seen = name_seen(&names, c, key)) != 0) {
				if (seen == 1)
					fail_repeated(r, key, kpos);
				else
					fail_at(r, "out of memory");
				goto fail;
			}
			skip_space(r);
			if (r->pos >= r->len || r->buf[r->pos] != ':') {
				fail_at(r, "expected ':'");
				goto fail;
			}
			r->pos++;
		}
		if ((item = read_value(r, depth + 1)) == NULL)
			goto fail;
		if (append_item(r, c, item, key) == -1) {
			json_free(item);
			goto fail;
		}
		skip_space(r);
		if (r->pos < r->len && r->buf[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->buf[r->pos] == close) {
			r->pos++;
			free(names.slots);
			return c;
		}
		fail_at(r, type == JSON_ARRAY ? "expected ',' or ']'" :
		    "expected ',' or '}'");
		goto fail_nokey;
	}
fail:
	free(key);
fail_nokey:
	free(names.slots);
	json_free(c);
	return NULL;
}

/* Read a literal word such as "true". */
static struct json *
read_word(struct reader *r, const char *word, enum json_type type)
{
	size_t n = strlen(word);
	struct json *v;

	if (r->len - r->pos < n || memcmp(r->buf + r->pos, word, n) != 0)
		return fail_at(r, "unexpected character");
	if ((v = new_value(r, type, 0)) == NULL)
		return NULL;
	r->pos += n;
	return v;
}

/* Read any value. */
static struct json *
read_value(struct reader *r, int depth)
{
	skip_space(r);
	if (r->pos >= r->len)
		return fail_at(r, "unexpected end of input");
	switch (r->buf[r->pos]) {
	case '{':
		return read_container(r, depth, JSON_OBJECT);
	case '[':
		return read_container(r, depth, JSON_ARRAY);
	case '"':
		return read_string(r);
	case 't':
		return read_word(r, "true", JSON_TRUE);
	case 'f':
		return read_word(r, "false", JSON_FALSE);
	case 'n':
		return read_word(r, "null", JSON_NULL);
	default:
		return read_number(r);
	}
}

/*
 * Parse len bytes of JSON text; NULL with err set on any error.  The text may
 * hold at most JSON_VALUES(len) values.
 */
struct json *
json_parse(const char *buf, size_t len, struct riv_err *err)
{
	struct reader r = { buf, len, 0, 0, JSON_VALUES(len), err };
	struct json *v;

	if ((v = read_value(&r, 0)) == NULL)
		return NULL;
	skip_space(&r);
	if (r.pos != r.len) {
		json_free(v);
		return fail_at(&r, "trailing data");
	}
	return v;
}

/* Read and parse a JSON file; errors name the file. */
struct json *
json_load(const char *path, struct riv_err *err)
{
	uint8_t *buf;
	size_t len;
	struct json *v;
	struct riv_err perr;

	if (file_read(path, RIV_FILE_MAX, &buf, &len, err) != RIV_OK)
		return NULL;
	v = json_parse((const char *)buf, len, &perr);
	free(buf);
	if (v == NULL)
		err_set(err, RIV_MALFORMED, "%s: %s", path, perr.msg);
	return v;
}

/* Free a value and everything below it. */
void
json_free(struct json *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->n; i++) {
		json_free(v->items[i]);
		if (v->keys != NULL)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	if (v->str != (char *)(v + 1))
		free(v->str);
	free(v);
}

/* Return an object's member by name (names are unique), or NULL. */
const struct json *
json_get(const struct json *obj, const char *key)
{
	size_t i;

	if (obj == NULL || obj->type != JSON_OBJECT)
		return NULL;
	for (i = obj->n; i > 0; i--)
		if (strcmp(obj->keys[i - 1], key) == 0)
			return obj->items[i - 1];
	return NULL;
}

/* Name a JSON type for error messages. */
const char *
json_type_name(enum json_type t)
{
	switch (t) {
	case JSON_NULL: return "null";
	case JSON_FALSE: case JSON_TRUE: return "boolean";
	case JSON_NUMBER: return "number";
	case JSON_STRING: return "string";
	case JSON_ARRAY: return "array";
	case JSON_OBJECT: return "object";
	}
	return "?";
}

/*
 * Read a non-negative integer number no larger than max; 0 or -1 if the value
 * is not such a number.
 */
int
json_uint(const struct json *v, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long n = 0;
	size_t i;

	if (v == NULL || v->type != JSON_NUMBER || v->len == 0)
		return -1;
	for (i = 0; i < v->len; i++) {
		if (v->str[i] < '0' || v->str[i] > '9')
			return -1;
		if (n > (max - (unsigned)(v->str[i] - '0')) / 10)
			return -1;
		n = n * 10 + (unsigned)(v->str[i] - '0');
	}
	*out = n;
	return 0;
}

/* Write s as a JSON string literal. */
void
json_put_string(FILE *f, const char *s)
{
	const unsigned char *p;
	size_t n;

	fputc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else if (*p < 0x80)
			fputc(*p, f);
		else if ((n = utf8_len(p, strlen((const char *)p))) > 0) {
			fwrite(p, 1, n, f);
			p += n - 1;
		} else
			fprintf(f, "\\u%04x", *p);	/* not UTF-8: as Latin-1 */
	}
	fputc('"', f);
}

/* Write bytes as a JSON string of lowercase hex. */
void
json_put_hex(FILE *f, const unsigned char *b, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	fputc('"', f);
	for (i = 0; i < len; i++) {
		fputc(digits[b[i] >> 4], f);
		fputc(digits[b[i] & 0xf], f);
	}
	fputc('"', f);
}
