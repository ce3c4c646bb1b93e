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
 * costs one allocation.  The reader's pieces (struct json_reader) are
 * exported for a parser that reads some values without a tree: it reads
 * containers with json_read_items and strings with json_read_str and
 * json_read_key, and gets json_parse's errors.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* Member names of one object seen so far: indices hashed by name. */
struct nameset {
	uint32_t	*slots;		/* 1 + member index; 0 is empty */
	size_t		 mask;
};

/* A container being read into a tree: its node and its names so far. */
struct build {
	struct json	*v;
	struct nameset	 names;
};

/* Objects this small are searched for a repeated name without a hash. */
#define NAMESET_LINEAR	8
/* Longest member name quoted in an error. */
#define NAME_QUOTE_MAX	48

/* Broadcast a byte to the eight bytes of a word. */
#define BYTES(b)	(0x0101010101010101ull * (b))

/* Record a parse error at the reader's offset and return NULL. */
struct json *
json_fail(struct json_reader *r, const char *what)
{
	err_set(r->err, RIV_MALFORMED, "JSON: %s at byte offset %zu", what,
	    r->pos);
	return NULL;
}

/* Skip white space. */
void
json_skip_space(struct json_reader *r)
{
	while (r->pos < r->len && (r->buf[r->pos] == ' ' ||
	    r->buf[r->pos] == '\t' || r->buf[r->pos] == '\n' ||
	    r->buf[r->pos] == '\r'))
		r->pos++;
}

/* Count one more value against the reader's budget; -1 if over it. */
static int
count_value(struct json_reader *r)
{
	if (r->values >= r->max_values) {
		err_set(r->err, RIV_MALFORMED, "JSON: more than %zu values in "
		    "%zu bytes at byte offset %zu", r->max_values, r->len,
		    r->pos);
		return -1;
	}
	r->values++;
	return 0;
}

/*
 * Allocate a value (already counted) of a type at an offset, with room for
 * extra bytes of text (str) after it.
 */
static struct json *
new_value(struct json_reader *r, enum json_type type, size_t extra,
    size_t offset)
{
	struct json *v;

	if (extra > SIZE_MAX - sizeof(*v) ||
	    (v = calloc(1, sizeof(*v) + extra)) == NULL)
		return json_fail(r, "out of memory");
	v->type = type;
	v->offset = offset;
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
read_u4(struct json_reader *r, unsigned long *cp)
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
read_escape(struct json_reader *r, char *out, size_t *n)
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
 * Tell whether eight bytes hold one that is not plain in a string: a quote,
 * a backslash, a control character, DEL or a byte of UTF-8.
 */
static int
word_special(const unsigned char *p)
{
	uint64_t w, q, b, d;

	memcpy(&w, p, 8);
	q = w ^ BYTES(0x22);
	b = w ^ BYTES(0x5c);
	d = w ^ BYTES(0x7f);
	return (((q - BYTES(1)) & ~q) | ((b - BYTES(1)) & ~b) |
	    ((d - BYTES(1)) & ~d) | ((w - BYTES(0x20)) & ~w) | w) &
	    BYTES(0x80) ? 1 : 0;
}

/*
 * Find the closing quote of the string opened at the reader's offset; -1 if
 * there is none.  *plain tells whether the string has only printable ASCII
 * and no escape, so its bytes are its value.
 */
static int
string_end(struct json_reader *r, size_t *endp, int *plain)
{
	const unsigned char *p, *e;
	unsigned char c;

	p = (const unsigned char *)r->buf + r->pos + 1;
	e = (const unsigned char *)r->buf + r->len;
	*plain = 1;
	for (; p < e; p++) {
		/* Skip eight plain bytes at a time. */
		while (e - p >= 8 && !word_special(p))
			p += 8;
		if (p >= e)
			break;
		c = *p;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		if (c == '"')
			break;
		*plain = 0;
		if (c == '\\')
			p++;
	}
	if (p >= e) {
		json_fail(r, "unterminated string");
		return -1;
	}
	*endp = (size_t)((const char *)p - r->buf);
	return 0;
}

/*
 * Decode the string opened at the reader's offset and closed at end into out
 * (room for end - offset bytes), NUL ended; -1 on an error.
 */
static int
decode_string(struct json_reader *r, size_t end, char *out, size_t *lenp)
{
	size_t n = 0, u;

	r->pos++;
	while (r->pos < end) {
		unsigned char c = (unsigned char)r->buf[r->pos];

		if (c == '\\') {
			r->pos++;
			if (read_escape(r, out, &n) == -1 || r->pos > end) {
				json_fail(r, "bad escape in string");
				return -1;
			}
		} else if (c < 0x20) {
			json_fail(r, "control character in string");
			return -1;
		} else {
			if ((u = utf8_len((const unsigned char *)r->buf +
			    r->pos, end - r->pos)) == 0) {
				json_fail(r, "invalid UTF-8 in string");
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

/*
 * Read a string (at its opening quote), a value (counted) or a member name:
 * *s and *lenp are its bytes in the text if they are its value, else its
 * value decoded into the reader's scratch buffer (valid until the next
 * string).  It holds no NUL.
 */
static int
read_chars(struct json_reader *r, int value, const char **s, size_t *lenp)
{
	size_t end;
	char *p;
	int plain;

	if (string_end(r, &end, &plain) == -1 ||
	    (value && count_value(r) == -1))
		return -1;
	if (plain) {
		*s = r->buf + r->pos + 1;
		*lenp = end - r->pos - 1;
		r->pos = end + 1;
		return 0;
	}
	if (end - r->pos > r->scratchlen) {
		if ((p = realloc(r->scratch, end - r->pos)) == NULL) {
			json_fail(r, "out of memory");
			return -1;
		}
		r->scratch = p;
		r->scratchlen = end - r->pos;
	}
	if (decode_string(r, end, r->scratch, lenp) == -1)
		return -1;
	*s = r->scratch;
	return 0;
}

/* Read a string value (as read_chars); it counts as a value. */
int
json_read_str(struct json_reader *r, const char **s, size_t *lenp)
{
	return read_chars(r, 1, s, lenp);
}

/* Read a member name (as read_chars), not the ':' after it. */
int
json_read_key(struct json_reader *r, const char **s, size_t *lenp)
{
	return read_chars(r, 0, s, lenp);
}

/* Read the ':' after a member name. */
int
json_read_colon(struct json_reader *r)
{
	json_skip_space(r);
	if (r->pos >= r->len || r->buf[r->pos] != ':') {
		json_fail(r, "expected ':'");
		return -1;
	}
	r->pos++;
	return 0;
}

/* Read a string value (at its opening quote). */
static struct json *
read_string(struct json_reader *r)
{
	struct json *v;
	const char *s;
	size_t start = r->pos, n;

	if (json_read_str(r, &s, &n) == -1 ||
	    (v = new_value(r, JSON_STRING, n + 1, start)) == NULL)
		return NULL;
	memcpy(v->str, s, n);
	v->str[n] = '\0';
	v->len = n;
	return v;
}

/* Skip a run of decimal digits. */
static void
skip_digits(struct json_reader *r)
{
	while (r->pos < r->len && r->buf[r->pos] >= '0' &&
	    r->buf[r->pos] <= '9')
		r->pos++;
}

/* Tell whether the reader is at a decimal digit. */
static int
at_digit(const struct json_reader *r)
{
	return r->pos < r->len && r->buf[r->pos] >= '0' &&
	    r->buf[r->pos] <= '9';
}

/* Read a number, keeping its text. */
static struct json *
read_number(struct json_reader *r)
{
	size_t start = r->pos;
	struct json *v;

	if (r->pos < r->len && r->buf[r->pos] == '-')
		r->pos++;
	if (!at_digit(r))
		return json_fail(r, "bad number");
	if (r->buf[r->pos] == '0')
		r->pos++;
	else
		skip_digits(r);
	if (r->pos < r->len && r->buf[r->pos] == '.') {
		r->pos++;
		if (!at_digit(r))
			return json_fail(r, "bad number");
		skip_digits(r);
	}
	if (r->pos < r->len && (r->buf[r->pos] == 'e' ||
	    r->buf[r->pos] == 'E')) {
		r->pos++;
		if (r->pos < r->len && (r->buf[r->pos] == '+' ||
		    r->buf[r->pos] == '-'))
			r->pos++;
		if (!at_digit(r))
			return json_fail(r, "bad number");
		skip_digits(r);
	}
	if (count_value(r) == -1 || (v = new_value(r, JSON_NUMBER,
	    r->pos - start + 1, start)) == NULL)
		return NULL;
	v->len = r->pos - start;
	memcpy(v->str, r->buf + start, v->len);
	v->str[v->len] = '\0';
	return v;
}

/* Append item (and key, for objects) to a container. */
static int
append_item(struct json_reader *r, struct json *c, struct json *item,
    char *key)
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
	json_fail(r, "out of memory");
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

/*
 * Record a member name (len bytes) repeated at offset, quoted printable and
 * bounded.
 */
void
json_fail_repeated(struct json_reader *r, const char *key, size_t len,
    size_t offset)
{
	char q[NAME_QUOTE_MAX + 4];
	size_t i;

	for (i = 0; i < len && i < NAME_QUOTE_MAX; i++)
		q[i] = (unsigned char)key[i] < 0x20 || key[i] == 0x7f ? '?' :
		    key[i];
	if (i < len) {
		memcpy(q + i, "...", 3);
		i += 3;
	}
	q[i] = '\0';
	err_set(r->err, RIV_MALFORMED, "JSON: member name \"%s\" repeated at "
	    "byte offset %zu", q, offset);
}

/*
 * Read an array or object (at its opening bracket), counted as one value:
 * fn reads each item, called at its first byte (an object's member: at its
 * name, which it reads with the ':' and the value) with the item's depth.
 * The reader checks the nesting, the separators and the brackets.
 */
int
json_read_items(struct json_reader *r, int depth, json_item_fn *fn,
    void *arg)
{
	char close = r->buf[r->pos] == '[' ? ']' : '}';
	size_t i;

	if (depth >= JSON_DEPTH_MAX) {
		json_fail(r, "nesting too deep");
		return -1;
	}
	if (count_value(r) == -1)
		return -1;
	r->pos++;
	json_skip_space(r);
	if (r->pos < r->len && r->buf[r->pos] == close) {
		r->pos++;
		return 0;
	}
	for (i = 0;; i++) {
		json_skip_space(r);
		if (close == '}' && (r->pos >= r->len ||
		    r->buf[r->pos] != '"')) {
			json_fail(r, "expected member name");
			return -1;
		}
		if (fn(r, arg, i, depth + 1) == -1)
			return -1;
		json_skip_space(r);
		if (r->pos < r->len && r->buf[r->pos] == ',') {
			r->pos++;
			continue;
		}
		if (r->pos < r->len && r->buf[r->pos] == close) {
			r->pos++;
			return 0;
		}
		json_fail(r, close == ']' ? "expected ',' or ']'" :
		    "expected ',' or '}'");
		return -1;
	}
}

/*
 * Read one item of a container into its tree.  A member name repeated in
 * one object is an error, so no reader of a document can be told one value
 * while another reader (or a person) sees the other.
 */
static int
build_item(struct json_reader *r, void *arg, size_t idx, int depth)
{
	struct build *b = arg;
	struct json *item;
	const char *s;
	char *key = NULL;
	size_t n, kpos = r->pos;
	int seen;

	(void)idx;
	if (b->v->type == JSON_OBJECT) {
		if (json_read_key(r, &s, &n) == -1)
			return -1;
		if ((key = malloc(n + 1)) == NULL) {
			json_fail(r, "out of memory");
			return -1;
		}
		memcpy(key, s, n);
		key[n] = '\0';
		if ((seen = name_seen(&b->names, b->v, key)) != 0) {
			if (seen == 1)
				json_fail_repeated(r, key, n, kpos);
			else
				json_fail(r, "out of memory");
			goto fail;
		}
		if (json_read_colon(r) == -1)
			goto fail;
	}
	if ((item = key != NULL && r->member != NULL ?
	    r->member(r, depth, key) : json_read_value(r, depth)) == NULL)
		goto fail;
	if (append_item(r, b->v, item, key) == -1) {
		json_free(item);
		goto fail;
	}
	return 0;
fail:
	free(key);
	return -1;
}

/* Read an array or object (at its opening bracket) into a tree. */
static struct json *
read_container(struct json_reader *r, int depth, enum json_type type)
{
	struct build b = { NULL, { NULL, 0 } };

	if ((b.v = new_value(r, type, 0, r->pos)) == NULL)
		return NULL;
	if (json_read_items(r, depth, build_item, &b) == -1) {
		json_free(b.v);
		b.v = NULL;
	}
	free(b.names.slots);
	return b.v;
}

/* Read a literal word such as "true". */
static struct json *
read_word(struct json_reader *r, const char *word, enum json_type type)
{
	size_t n = strlen(word);
	struct json *v;

	if (r->len - r->pos < n || memcmp(r->buf + r->pos, word, n) != 0)
		return json_fail(r, "unexpected character");
	if (count_value(r) == -1 ||
	    (v = new_value(r, type, 0, r->pos)) == NULL)
		return NULL;
	r->pos += n;
	return v;
}

/* Read any value, at a depth (0: the text's). */
struct json *
json_read_value(struct json_reader *r, int depth)
{
	json_skip_space(r);
	if (r->pos >= r->len)
		return json_fail(r, "unexpected end of input");
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

/* Set a reader at the start of len bytes of text; errors go to err. */
void
json_reader_init(struct json_reader *r, const char *buf, size_t len,
    struct riv_err *err)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	r->max_values = JSON_VALUES(len);
	r->err = err;
}

/*
 * Read the text of a reader: one value and white space; NULL with the
 * reader's err set on any error.  Frees the scratch buffer.
 */
struct json *
json_read(struct json_reader *r)
{
	struct json *v;

	if ((v = json_read_value(r, 0)) != NULL) {
		json_skip_space(r);
		if (r->pos != r->len) {
			json_free(v);
			v = json_fail(r, "trailing data");
		}
	}
	free(r->scratch);
	r->scratch = NULL;
	r->scratchlen = 0;
	return v;
}

/*
 * Parse len bytes of JSON text; NULL with err set on any error.  The text may
 * hold at most JSON_VALUES(len) values.
 */
struct json *
json_parse(const char *buf, size_t len, struct riv_err *err)
{
	struct json_reader r;

	json_reader_init(&r, buf, len, err);
	return json_read(&r);
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
