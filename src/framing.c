/*
 * framing.c — NETCONF message framing (RFC 6242 §4): end-of-message and
 * chunked, incremental and bounded (framing.h).
 *
 * Chunked framing is read by a small state machine, one byte at a time in
 * chunk headers and by memcpy in chunk data.  End-of-message framing copies
 * the input as it comes and finds the delimiter with memchr and a
 * six-state matcher; the bytes of a delimiter still being matched sit at the
 * end of the buffer and do not count against the maximum until they turn out
 * to be data.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"

enum framer_state {
	FR_EOM,		/* end-of-message: in a message */
	FR_LF,		/* chunked: LF opening a chunk or end-of-chunks */
	FR_HASH,	/* chunked: '#' after that LF */
	FR_SIZE1,	/* chunked: first digit of chunk-size, or '#' */
	FR_SIZE,	/* chunked: more digits, or the LF ending the header */
	FR_DATA,	/* chunked: chunk data */
	FR_END,		/* chunked: the LF ending end-of-chunks */
	FR_READY,	/* a message is delivered */
	FR_FAILED	/* the stream is broken */
};

/* Smallest buffer allocated; buffers double from there. */
#define FRAMER_MIN_CAP	256

/*
 * Largest maximum message accepted by framer_init, so that the maximum plus
 * a delimiter and a NUL cannot overflow a size_t.
 */
#define FRAMER_MAX_LIMIT	(SIZE_MAX / 2)

/* Digits of the largest chunk-size, 4294967295. */
#define FRAMER_DIGITS_MAX	10

/* Record a framing error at offset off; return -1. */
static int
framer_fail(struct framer *f, uint64_t off, const char *what,
    struct riv_err *err)
{
	f->fr_state = FR_FAILED;
	f->fr_err_offset = off;
	f->fr_err_what = what;
	err_set(err, RIV_MALFORMED, "NETCONF framing: %s at byte offset %"
	    PRIu64, what, off);
	return -1;
}

/*
 * Make room for need bytes of buffer plus a NUL, doubling the buffer up to
 * the largest size the framing can need; -1 if out of memory.
 */
static int
framer_reserve(struct framer *f, size_t need)
{
	size_t cap, limit;
	uint8_t *buf;

	if (need < f->fr_cap)
		return 0;
	limit = f->fr_max + FRAMER_EOM_LEN + 1;
	cap = f->fr_cap != 0 ? f->fr_cap : FRAMER_MIN_CAP;
	while (cap <= need && cap <= limit / 2)
		cap *= 2;
	if (cap <= need || cap > limit)
		cap = limit;
	if ((buf = realloc(f->fr_buf, cap)) == NULL)
		return -1;
	f->fr_buf = buf;
	f->fr_cap = cap;
	return 0;
}

/* Deliver the first len bytes of the buffer as a message. */
static void
framer_deliver(struct framer *f, size_t len)
{
	f->fr_len = len;
	f->fr_buf[len] = '\0';
	f->fr_state = FR_READY;
}

/*
 * Advance the end-of-message matcher: k delimiter bytes matched, then c.
 * Return the bytes matched after c (6: the delimiter is complete).
 */
static unsigned
eom_step(unsigned k, uint8_t c)
{
	if (c == ']')
		return k == 2 || k == 5 ? 2 : k + 1;
	if (c == '>' && (k == 2 || k == 5))
		return k + 1;
	return 0;
}

/*
 * Feed end-of-message framed bytes: find the end of the message (or of the
 * input), check the bound, then copy.  Return as framer_feed.
 */
static int
framer_feed_eom(struct framer *f, const uint8_t *in, size_t len,
    size_t *used, struct riv_err *err)
{
	const uint8_t *p;
	size_t i = 0, n, content;
	unsigned k = f->fr_match;
	int r;

	content = f->fr_len - k;
	while (i < len && k != FRAMER_EOM_LEN) {
		if (k == 0) {
			p = memchr(in + i, ']', len - i);
			n = (p == NULL ? len : (size_t)(p - in)) - i;
			if (n > f->fr_max - content) {
				*used = i + (f->fr_max - content);
				goto too_large;
			}
			content += n;
			i += n;
			if (i == len)
				break;
		}
		n = eom_step(k, in[i]);
		content += k + 1 - n;
		if (content > f->fr_max) {
			*used = i;
			goto too_large;
		}
		k = (unsigned)n;
		i++;
	}
	if (k == FRAMER_EOM_LEN && content == 0) {
		/* The delimiter may have begun in an earlier feed. */
		r = framer_fail(f, f->fr_offset + i - FRAMER_EOM_LEN,
		    "empty message (']]>]]>' with nothing before it)", err);
		f->fr_offset += i;
		*used = i;
		return r;
	}
	if (framer_reserve(f, f->fr_len + i) == -1) {
		*used = 0;
		return framer_fail(f, f->fr_offset, "out of memory", err);
	}
	memcpy(f->fr_buf + f->fr_len, in, i);
	f->fr_len += i;
	f->fr_offset += i;
	*used = i;
	if (k != FRAMER_EOM_LEN) {
		f->fr_match = (uint8_t)k;
		return 0;
	}
	f->fr_match = 0;
	framer_deliver(f, content);
	return 1;

too_large:
	framer_fail(f, f->fr_offset + *used, "message too large", err);
	err_set(err, RIV_MALFORMED, "NETCONF framing: message larger than the "
	    "maximum of %zu bytes (no ']]>]]>' yet) at byte offset %" PRIu64,
	    f->fr_max, f->fr_err_offset);
	f->fr_offset = f->fr_err_offset;
	return -1;
}

/*
 * Read one byte of a chunk header or of end-of-chunks at offset off.
 * Return 0 to go on, 1 when a message is complete, -1 on an error.
 */
static int
framer_header_byte(struct framer *f, uint8_t c, uint64_t off,
    struct riv_err *err)
{
	uint64_t v;

	switch (f->fr_state) {
	case FR_LF:
		if (c != '\n')
			return framer_fail(f, off, f->fr_len == 0 ?
			    "expected LF opening a chunk header" :
			    "expected LF opening a chunk header or "
			    "end-of-chunks", err);
		f->fr_state = FR_HASH;
		return 0;
	case FR_HASH:
		if (c != '#')
			return framer_fail(f, off,
			    "expected '#' after LF in a chunk header", err);
		f->fr_state = FR_SIZE1;
		return 0;
	case FR_SIZE1:
		if (c == '#') {
			if (f->fr_len == 0)
				return framer_fail(f, off, "end-of-chunks with "
				    "no chunk before it (empty message)", err);
			f->fr_state = FR_END;
			return 0;
		}
		if (c == '0')
			return framer_fail(f, off,
			    "chunk-size with a leading zero", err);
		if (c < '1' || c > '9')
			return framer_fail(f, off, f->fr_len == 0 ?
			    "expected chunk-size (digit 1-9)" :
			    "expected chunk-size (digit 1-9) or '#'", err);
		f->fr_chunk = (uint32_t)(c - '0');
		f->fr_digits = 1;
		f->fr_state = FR_SIZE;
		return 0;
	case FR_SIZE:
		if (c >= '0' && c <= '9') {
			if (f->fr_digits == FRAMER_DIGITS_MAX)
				return framer_fail(f, off, "chunk header longer "
				    "than 13 bytes (chunk-size of more than 10 "
				    "digits)", err);
			v = (uint64_t)f->fr_chunk * 10 + (uint64_t)(c - '0');
			if (v > FRAMER_CHUNK_MAX)
				return framer_fail(f, off,
				    "chunk-size larger than 4294967295", err);
			f->fr_chunk = (uint32_t)v;
			f->fr_digits++;
			return 0;
		}
		if (c != '\n')
			return framer_fail(f, off,
			    "expected digit or LF after chunk-size", err);
		if (f->fr_chunk > f->fr_max - f->fr_len) {
			off -= 2 + f->fr_digits;
			framer_fail(f, off, "chunk too large", err);
			err_set(err, RIV_MALFORMED, "NETCONF framing: chunk "
			    "of %" PRIu32 " bytes, more than the %zu left of "
			    "the message maximum of %zu, in the chunk header "
			    "at byte offset %" PRIu64, f->fr_chunk,
			    f->fr_max - f->fr_len, f->fr_max, off);
			return -1;
		}
		f->fr_state = FR_DATA;
		return 0;
	case FR_END:
		if (c != '\n')
			return framer_fail(f, off,
			    "expected LF ending end-of-chunks", err);
		framer_deliver(f, f->fr_len);
		return 1;
	}
	return framer_fail(f, off, "internal error: bad state", err);
}

/*
 * Feed chunk framed bytes until a message is complete or the input is used.
 * Return as framer_feed.
 */
static int
framer_feed_chunked(struct framer *f, const uint8_t *in, size_t len,
    size_t *used, struct riv_err *err)
{
	size_t i = 0, n;
	int r;

	while (i < len) {
		if (f->fr_state == FR_DATA) {
			n = len - i;
			if (n > f->fr_chunk)
				n = f->fr_chunk;
			if (framer_reserve(f, f->fr_len + n) == -1) {
				r = framer_fail(f, f->fr_offset + i,
				    "out of memory", err);
				goto out;
			}
			memcpy(f->fr_buf + f->fr_len, in + i, n);
			f->fr_len += n;
			f->fr_chunk -= (uint32_t)n;
			i += n;
			if (f->fr_chunk == 0)
				f->fr_state = FR_LF;
			continue;
		}
		if ((r = framer_header_byte(f, in[i], f->fr_offset + i,
		    err)) != 0) {
			if (r == 1)
				i++;
			goto out;
		}
		i++;
	}
	r = 0;
out:
	f->fr_offset += i;
	*used = i;
	return r;
}

/*
 * Start a session's framer: end-of-message framing, messages of at most max
 * bytes (at most SIZE_MAX / 2).  Allocates nothing.
 */
void
framer_init(struct framer *f, size_t max)
{
	memset(f, 0, sizeof(*f));
	f->fr_buf = NULL;
	f->fr_err_what = NULL;
	f->fr_max = max < FRAMER_MAX_LIMIT ? max : FRAMER_MAX_LIMIT;
	f->fr_state = FR_EOM;
}

/*
 * Switch to chunked framing, for the message after the one delivered (the
 * <hello>) or the next one.  Return 0, or -1 if part of a message has been
 * fed already or the stream failed.
 */
int
framer_set_chunked(struct framer *f)
{
	if (f->fr_state == FR_FAILED || framer_partial(f))
		return -1;
	f->fr_chunked = 1;
	if (f->fr_state == FR_EOM)
		f->fr_state = FR_LF;
	return 0;
}

/*
 * Feed len bytes of the session's stream.  Consume bytes until a message is
 * complete (return 1; framer_message has it; *used may be less than len) or
 * until all are used (return 0).  On a framing error return -1 with err
 * naming the byte offset and what was expected there (*used: the bytes
 * consumed before the error was found); a failed framer fails every later
 * feed.  A message delivered earlier is dropped first (as framer_next).
 */
int
framer_feed(struct framer *f, const uint8_t *in, size_t len, size_t *used,
    struct riv_err *err)
{
	*used = 0;
	if (f->fr_state == FR_READY)
		framer_next(f);
	if (f->fr_state == FR_FAILED) {
		err_set(err, RIV_MALFORMED, "NETCONF framing: stream failed "
		    "earlier at byte offset %" PRIu64 ": %s", f->fr_err_offset,
		    f->fr_err_what);
		return -1;
	}
	if (len == 0)
		return 0;
	if (f->fr_chunked)
		return framer_feed_chunked(f, in, len, used, err);
	return framer_feed_eom(f, in, len, used, err);
}

/*
 * Return the message framer_feed delivered, its length in *len, or NULL if
 * there is none.  A NUL follows the message (not counted in *len), so XML
 * parsers may take it as a string; the message itself may hold NUL bytes.
 * It stays valid until framer_next, framer_feed or framer_free.
 */
const uint8_t *
framer_message(const struct framer *f, size_t *len)
{
	if (f->fr_state != FR_READY) {
		*len = 0;
		return NULL;
	}
	*len = f->fr_len;
	return f->fr_buf;
}

/*
 * Drop the delivered message, if any.  The buffer is kept for the next
 * message unless it is larger than FRAMER_KEEP.
 */
void
framer_next(struct framer *f)
{
	if (f->fr_state != FR_READY)
		return;
	f->fr_len = 0;
	f->fr_state = f->fr_chunked ? FR_LF : FR_EOM;
	if (f->fr_cap > FRAMER_KEEP) {
		free(f->fr_buf);
		f->fr_buf = NULL;
		f->fr_cap = 0;
	}
}

/*
 * Tell whether part of a message has been fed but the message is not
 * complete: a session's read deadline applies then.
 */
int
framer_partial(const struct framer *f)
{
	switch (f->fr_state) {
	case FR_EOM:
		return f->fr_len != 0;
	case FR_LF:
		return f->fr_len != 0;
	case FR_HASH:
	case FR_SIZE1:
	case FR_SIZE:
	case FR_DATA:
	case FR_END:
		return 1;
	default:
		return 0;
	}
}

/* Return the bytes of the session's stream consumed so far. */
uint64_t
framer_offset(const struct framer *f)
{
	return f->fr_offset;
}

/* Free the buffer; the framer must be initialized again to be used. */
void
framer_free(struct framer *f)
{
	if (f == NULL)
		return;
	free(f->fr_buf);
	f->fr_buf = NULL;
	f->fr_cap = 0;
	f->fr_len = 0;
	f->fr_state = FR_FAILED;
	f->fr_err_what = "framer freed";
}

/*
 * Write the chunk header "\n#<len>\n" for a chunk of len bytes into buf (cap
 * bytes; FRAMER_HEADER_MAX is always enough), without a NUL.  Return its
 * length, or 0 if len is 0 or above FRAMER_CHUNK_MAX, or buf is too small.
 */
size_t
framer_chunk_header(char *buf, size_t cap, uint64_t len)
{
	char digits[FRAMER_DIGITS_MAX];
	size_t n = 0, i;

	if (len == 0 || len > FRAMER_CHUNK_MAX)
		return 0;
	for (; len > 0; len /= 10)
		digits[n++] = (char)('0' + len % 10);
	if (cap < n + 3)
		return 0;
	buf[0] = '\n';
	buf[1] = '#';
	for (i = 0; i < n; i++)
		buf[2 + i] = digits[n - 1 - i];
	buf[2 + n] = '\n';
	return n + 3;
}
