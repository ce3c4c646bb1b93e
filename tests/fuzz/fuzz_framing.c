/*
 * fuzz_framing.c — libFuzzer target for NETCONF message framing
 * (framing.c).
 *
 * The first input byte chooses the framing (bits 0-1: end-of-message,
 * chunked, or an end-of-message <hello> then chunked), the size of the
 * pieces the rest is fed in (bits 2-4) and the maximum message size (bits
 * 5-7).  The rest is the session's stream.  It is framed three ways: fed
 * whole, fed in pieces, and decoded by a plain whole-buffer reference
 * decoder written from RFC 6242 §4; all three must agree on every message,
 * on whether the stream failed and at which byte offset, and on whether a
 * message was left incomplete.  The messages are then sent again, chunked
 * with framer_chunk_header, and must come back the same.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

enum mode {
	MODE_EOM,
	MODE_CHUNKED,
	MODE_HELLO,
	MODE_CHUNKED2		/* chunked too: a quarter of the inputs */
};

static const size_t pieces[8] = { 1, 2, 3, 5, 13, 64, 1024, 4096 };
static const size_t maxima[8] = { 1, 5, 16, 64, 300, 4096, 65536,
    (size_t)-1 };

/* Messages and end state of one way of framing a stream. */
struct outcome {
	uint8_t		*data;		/* the messages, one after another */
	size_t		 used;
	size_t		*lens;
	size_t		 n;
	int		 failed;
	uint64_t	 err_offset;
	int		 partial;	/* part of a message was left */
};

/* Allocate room for the messages of a stream of len bytes. */
static void
outcome_init(struct outcome *o, size_t len)
{
	memset(o, 0, sizeof(*o));
	if ((o->data = malloc(len + 1)) == NULL ||
	    (o->lens = malloc((len + 1) * sizeof(*o->lens))) == NULL)
		abort();
}

/* Free an outcome. */
static void
outcome_free(struct outcome *o)
{
	free(o->data);
	free(o->lens);
}

/* Abort unless two outcomes agree. */
static void
outcome_same(const struct outcome *a, const struct outcome *b)
{
	size_t i;

	if (a->n != b->n || a->used != b->used || a->failed != b->failed)
		abort();
	for (i = 0; i < a->n; i++)
		if (a->lens[i] != b->lens[i])
			abort();
	if (memcmp(a->data, b->data, a->used) != 0)
		abort();
	if (a->failed ? a->err_offset != b->err_offset :
	    a->partial != b->partial)
		abort();
}

/* Record the framer's message in o, checking it. */
static void
take_message(struct framer *f, struct outcome *o, size_t max)
{
	const uint8_t *m;
	size_t len;

	if ((m = framer_message(f, &len)) == NULL || len == 0 || len > max ||
	    m[len] != '\0')
		abort();
	memcpy(o->data + o->used, m, len);
	o->used += len;
	o->lens[o->n++] = len;
}

/* Frame a stream fed in pieces of piece bytes; record the outcome. */
static void
run_framer(const uint8_t *in, size_t len, enum mode mode, size_t max,
    size_t piece, struct outcome *o)
{
	struct framer f;
	struct riv_err err;
	size_t off = 0, n, used;
	uint64_t before;
	int r;

	framer_init(&f, max);
	if ((mode == MODE_CHUNKED || mode == MODE_CHUNKED2) &&
	    framer_set_chunked(&f) != 0)
		abort();
	while (off < len) {
		n = len - off < piece ? len - off : piece;
		while (n > 0) {
			before = framer_offset(&f);
			r = framer_feed(&f, in + off, n, &used, &err);
			if (used > n || framer_offset(&f) < before)
				abort();
			if (r == -1) {
				o->failed = 1;
				o->err_offset = f.fr_err_offset;
				if (strstr(err.msg, "at byte offset") == NULL)
					abort();
				/* It stays failed. */
				if (framer_feed(&f, in, len, &used, &err) !=
				    -1 || used != 0)
					abort();
				framer_free(&f);
				return;
			}
			if (framer_offset(&f) != before + used)
				abort();
			off += used;
			n -= used;
			if (r == 0) {
				if (n != 0)
					abort();
				continue;
			}
			take_message(&f, o, max);
			if (mode == MODE_HELLO && o->n == 1 &&
			    framer_set_chunked(&f) != 0)
				abort();
			framer_next(&f);
		}
	}
	if (framer_offset(&f) != len)
		abort();
	o->partial = framer_partial(&f);
	framer_free(&f);
}

/*
 * Reference: decode one end-of-message framed message at *pos.  For every
 * byte, the bytes of the delimiter matched so far are the longest end of
 * the message that begins the delimiter; the rest is data.  Return 1 with
 * the message recorded, 0 if the stream ends first, -1 on an error.
 */
static int
ref_eom(const uint8_t *in, size_t len, size_t *pos, size_t max,
    struct outcome *o)
{
	size_t s = *pos, j, k, content;

	for (j = s; j < len; j++) {
		for (k = j + 1 - s < FRAMER_EOM_LEN ? j + 1 - s :
		    FRAMER_EOM_LEN; k > 0; k--)
			if (memcmp(in + j + 1 - k, FRAMER_EOM, k) == 0)
				break;
		content = j + 1 - s - k;
		if (content > max) {
			o->failed = 1;
			o->err_offset = j;
			return -1;
		}
		if (k < FRAMER_EOM_LEN)
			continue;
		if (content == 0) {
			o->failed = 1;
			o->err_offset = s;
			return -1;
		}
		memcpy(o->data + o->used, in + s, content);
		o->used += content;
		o->lens[o->n++] = content;
		*pos = j + 1;
		return 1;
	}
	o->partial = len > s;
	return 0;
}

/*
 * Reference: decode one chunked message at *pos (RFC 6242 §4.2 ABNF, with
 * chunk-size at most 4294967295 and the message at most max bytes).
 * Return as ref_eom.
 */
static int
ref_chunked(const uint8_t *in, size_t len, size_t *pos, size_t max,
    struct outcome *o)
{
	size_t s = *pos, q = s, hdr, msg = 0, nd;
	uint64_t v;

	for (;;) {
		hdr = q;
		if (q == len)
			goto partial;
		if (in[q] != '\n')
			goto fail;
		if (++q == len)
			goto partial;
		if (in[q] != '#')
			goto fail;
		if (++q == len)
			goto partial;
		if (in[q] == '#') {
			if (msg == 0)
				goto fail;
			if (++q == len)
				goto partial;
			if (in[q] != '\n')
				goto fail;
			o->lens[o->n++] = msg;
			o->used += msg;
			*pos = q + 1;
			return 1;
		}
		if (in[q] < '1' || in[q] > '9')
			goto fail;
		v = 0;
		for (nd = 0; q < len && in[q] >= '0' && in[q] <= '9'; nd++) {
			if (nd == 10)
				goto fail;
			v = v * 10 + (uint64_t)(in[q] - '0');
			if (v > 4294967295u)
				goto fail;
			q++;
		}
		if (q == len)
			goto partial;
		if (in[q] != '\n')
			goto fail;
		if (v > max - msg) {
			q = hdr;
			goto fail;
		}
		q++;
		if (len - q < v)
			goto partial;
		memcpy(o->data + o->used + msg, in + q, (size_t)v);
		msg += (size_t)v;
		q += (size_t)v;
	}
partial:
	o->partial = q > s;
	return 0;
fail:
	o->failed = 1;
	o->err_offset = q;
	return -1;
}

/* Reference: decode a whole stream. */
static void
run_reference(const uint8_t *in, size_t len, enum mode mode, size_t max,
    struct outcome *o)
{
	size_t pos = 0;
	int chunked = mode == MODE_CHUNKED || mode == MODE_CHUNKED2;

	while (pos < len) {
		if ((chunked ? ref_chunked(in, len, &pos, max, o) :
		    ref_eom(in, len, &pos, max, o)) != 1)
			return;
		if (mode == MODE_HELLO)
			chunked = 1;
	}
}

/*
 * Send the messages of o again in chunks of piece bytes (header written by
 * framer_chunk_header) and check they come back the same.
 */
static void
reframe(const struct outcome *o, size_t max, size_t piece)
{
	struct outcome back;
	uint8_t *s, *p;
	size_t i, off, n, from = 0;
	char h[FRAMER_HEADER_MAX];

	if (o->n == 0)
		return;
	/* At most one header per byte, plus end-of-chunks per message. */
	if ((s = malloc(o->used * (FRAMER_HEADER_MAX + 1) + o->n *
	    FRAMER_END_LEN)) == NULL)
		abort();
	p = s;
	for (i = 0; i < o->n; i++) {
		for (off = 0; off < o->lens[i]; off += n) {
			n = o->lens[i] - off < piece ? o->lens[i] - off : piece;
			if ((n = framer_chunk_header(h, sizeof(h), n)) == 0)
				abort();
			memcpy(p, h, n);
			p += n;
			n = o->lens[i] - off < piece ? o->lens[i] - off : piece;
			memcpy(p, o->data + from + off, n);
			p += n;
		}
		from += o->lens[i];
		memcpy(p, FRAMER_END, FRAMER_END_LEN);
		p += FRAMER_END_LEN;
	}
	outcome_init(&back, (size_t)(p - s));
	run_framer(s, (size_t)(p - s), MODE_CHUNKED, max, piece + 1, &back);
	if (back.failed || back.partial || back.n != o->n ||
	    back.used != o->used ||
	    memcmp(back.data, o->data, o->used) != 0)
		abort();
	outcome_free(&back);
	free(s);
}

/* Frame the input three ways and compare. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct outcome whole, split, ref;
	enum mode mode;
	size_t max, piece;

	if (len < 1)
		return 0;
	mode = (enum mode)(data[0] & 3);
	piece = pieces[(data[0] >> 2) & 7];
	max = maxima[(data[0] >> 5) & 7];
	data++;
	len--;
	outcome_init(&whole, len);
	outcome_init(&split, len);
	outcome_init(&ref, len);
	run_framer(data, len, mode, max, len + 1, &whole);
	run_framer(data, len, mode, max, piece, &split);
	run_reference(data, len, mode, max, &ref);
	outcome_same(&ref, &whole);
	outcome_same(&ref, &split);
	reframe(&whole, max, piece);
	outcome_free(&whole);
	outcome_free(&split);
	outcome_free(&ref);
	return 0;
}
