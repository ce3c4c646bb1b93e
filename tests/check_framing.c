/*
 * check_framing.c — unit tests for NETCONF message framing (RFC 6242):
 * both framings fed whole, byte by byte and cut at every point, the
 * <hello>-then-chunked switch, the bounds, and every framing error with its
 * byte offset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "testutil.h"

#define RUN_MSGS	256	/* messages a run records */

/*
 * Fail unless cond holds.  For the loops that feed a stream thousands of
 * ways: a passing ck_assert costs a write to Check's pipe, this costs
 * nothing.
 */
#define REQUIRE(cond) do {						\
	if (!(cond))							\
		ck_abort_msg("Assertion '%s' failed", #cond);		\
} while (0)
#define BIG		((size_t)-1)	/* no practical maximum */

/* How a stream is framed. */
enum mode {
	MODE_EOM,	/* end-of-message throughout (NETCONF 1.0) */
	MODE_CHUNKED,	/* chunked from the first byte */
	MODE_HELLO	/* end-of-message <hello>, then chunked */
};

/* What feeding a stream produced. */
struct run {
	char		*msg[RUN_MSGS];
	size_t		 len[RUN_MSGS];
	size_t		 n;
	int		 failed;
	uint64_t	 err_offset;
	struct riv_err	 err;
	uint64_t	 offset;	/* framer_offset at the end */
	int		 partial;	/* framer_partial at the end */
};

/* A complete chunked message carrying "a": 9 bytes. */
#define ONE_A	"\n#1\na\n##\n"

/* The RFC 6242 §4.2 example message and its chunked framing. */
static const char rfc_msg[] =
    "<rpc message-id=\"102\"\n"
    "     xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n"
    "  <close-session/>\n"
    "</rpc>";
static const char rfc_framed[] =
    "\n#4\n"
    "<rpc"
    "\n#18\n"
    " message-id=\"102\"\n"
    "\n#79\n"
    "     xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">\n"
    "  <close-session/>\n"
    "</rpc>"
    "\n##\n";

/* Client <hello> announcing base:1.0 and base:1.1, end-of-message framed. */
static const char hello[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<hello xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"
    "<capabilities>"
    "<capability>urn:ietf:params:netconf:base:1.0</capability>"
    "<capability>urn:ietf:params:netconf:base:1.1</capability>"
    "</capabilities></hello>";

/* Start a framer for a mode. */
static void
start(struct framer *f, size_t max, enum mode mode)
{
	framer_init(f, max);
	if (mode == MODE_CHUNKED)
		REQUIRE(framer_set_chunked(f) == 0);
}

/*
 * Feed one piece to a framer, recording messages in r; a delivered message
 * is checked (NUL after it, within the maximum) and released.  Return 0, or
 * -1 once the framer failed.
 */
static int
feed_piece(struct framer *f, struct run *r, const uint8_t *p, size_t len,
    size_t max, enum mode mode)
{
	const uint8_t *m;
	size_t used, mlen;
	uint64_t before;
	int rc;

	while (len > 0) {
		before = framer_offset(f);
		rc = framer_feed(f, p, len, &used, &r->err);
		REQUIRE(used <= len);
		if (rc == -1) {
			r->failed = 1;
			r->err_offset = f->fr_err_offset;
			return -1;
		}
		REQUIRE(framer_offset(f) == before + used);
		p += used;
		len -= used;
		m = framer_message(f, &mlen);
		if (rc == 0) {
			REQUIRE(len == 0);
			REQUIRE(m == NULL);
			continue;
		}
		REQUIRE(rc == 1);
		REQUIRE(m != NULL);
		REQUIRE(mlen > 0);
		REQUIRE(mlen <= max);
		REQUIRE(m[mlen] == '\0');
		REQUIRE(r->n < RUN_MSGS);
		r->msg[r->n] = malloc(mlen + 1);
		REQUIRE(r->msg[r->n] != NULL);
		memcpy(r->msg[r->n], m, mlen + 1);
		r->len[r->n++] = mlen;
		REQUIRE(framer_partial(f) == 0);
		if (mode == MODE_HELLO && r->n == 1)
			REQUIRE(framer_set_chunked(f) == 0);
		framer_next(f);
		REQUIRE(framer_message(f, &mlen) == NULL);
	}
	return 0;
}

/*
 * Feed a stream cut at ncuts increasing points to a new framer; record the
 * outcome in r.
 */
static void
run_cuts(struct run *r, const char *s, size_t len, const size_t *cuts,
    size_t ncuts, size_t max, enum mode mode)
{
	struct framer f;
	size_t i, from = 0, to;

	memset(r, 0, sizeof(*r));
	start(&f, max, mode);
	for (i = 0; i <= ncuts; i++) {
		to = i < ncuts ? cuts[i] : len;
		if (feed_piece(&f, r, (const uint8_t *)s + from, to - from,
		    max, mode) == -1)
			break;
		from = to;
	}
	r->offset = framer_offset(&f);
	r->partial = framer_partial(&f);
	framer_free(&f);
}

/* Feed a stream in pieces of a fixed size (0: whole). */
static void
run_pieces(struct run *r, const char *s, size_t len, size_t piece,
    size_t max, enum mode mode)
{
	struct framer f;
	size_t off, n;

	memset(r, 0, sizeof(*r));
	start(&f, max, mode);
	for (off = 0; off < len; off += n) {
		n = piece == 0 || len - off < piece ? len - off : piece;
		if (feed_piece(&f, r, (const uint8_t *)s + off, n, max,
		    mode) == -1)
			break;
	}
	r->offset = framer_offset(&f);
	r->partial = framer_partial(&f);
	framer_free(&f);
}

/* Free what a run recorded. */
static void
run_free(struct run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->msg[i]);
	r->n = 0;
}

/* Assert that two runs of one stream produced the same outcome. */
static void
run_same(const struct run *a, const struct run *b, const char *how)
{
	size_t i;

	if (a->n != b->n)
		ck_abort_msg("%s: %zu messages, not %zu", how, b->n, a->n);
	for (i = 0; i < a->n; i++)
		if (a->len[i] != b->len[i] ||
		    memcmp(a->msg[i], b->msg[i], a->len[i]) != 0)
			ck_abort_msg("%s: message %zu differs", how, i);
	if (a->failed != b->failed)
		ck_abort_msg("%s: failed %d, not %d", how, b->failed,
		    a->failed);
	if (a->failed) {
		if (strcmp(a->err.msg, b->err.msg) != 0)
			ck_abort_msg("%s: error \"%s\", not \"%s\"", how,
			    b->err.msg, a->err.msg);
		REQUIRE(a->err_offset == b->err_offset);
	} else {
		REQUIRE(a->offset == b->offset);
		REQUIRE(a->partial == b->partial);
	}
}

/*
 * Feed a stream whole, byte by byte, in pieces of 2, 3 and 7 bytes, cut at
 * every point and, if it is short, at every pair of points; assert that
 * every way gives the same outcome, recorded in r.
 */
static void
run_all_ways(struct run *r, const char *s, size_t len, size_t max,
    enum mode mode)
{
	static const size_t pieces[] = { 1, 2, 3, 7 };
	struct run o;
	size_t i, j, cuts[2];
	char how[64];

	run_pieces(r, s, len, 0, max, mode);
	for (i = 0; i < sizeof(pieces) / sizeof(*pieces); i++) {
		run_pieces(&o, s, len, pieces[i], max, mode);
		snprintf(how, sizeof(how), "pieces of %zu", pieces[i]);
		run_same(r, &o, how);
		run_free(&o);
	}
	for (i = 0; i <= len; i++) {
		cuts[0] = i;
		run_cuts(&o, s, len, cuts, 1, max, mode);
		snprintf(how, sizeof(how), "cut at %zu", i);
		run_same(r, &o, how);
		run_free(&o);
	}
	if (len > 400)
		return;
	for (i = 0; i <= len; i++)
		for (j = i; j <= len; j++) {
			cuts[0] = i;
			cuts[1] = j;
			run_cuts(&o, s, len, cuts, 2, max, mode);
			snprintf(how, sizeof(how), "cut at %zu and %zu", i, j);
			run_same(r, &o, how);
			run_free(&o);
		}
}

/* Assert message i of a run. */
static void
msg_is(const struct run *r, size_t i, const char *want)
{
	ck_assert_msg(i < r->n, "no message %zu (%zu messages)", i, r->n);
	ck_assert_uint_eq(r->len[i], strlen(want));
	ck_assert_mem_eq(r->msg[i], want, r->len[i]);
}

/*
 * Assert that a stream fails every way it is fed, after nmsg messages, at
 * byte offset off, for a reason containing why.
 */
static void
fails(const char *s, size_t max, enum mode mode, size_t nmsg,
    uint64_t off, const char *why)
{
	struct run r;
	char want[64];

	run_all_ways(&r, s, strlen(s), max, mode);
	ck_assert_msg(r.failed, "stream did not fail (%zu messages)", r.n);
	ck_assert_uint_eq(r.n, nmsg);
	ck_assert_uint_eq(r.err_offset, off);
	ck_assert_msg(strstr(r.err.msg, why) != NULL,
	    "error \"%s\", wanted \"%s\"", r.err.msg, why);
	snprintf(want, sizeof(want), "at byte offset %llu",
	    (unsigned long long)off);
	ck_assert_msg(strstr(r.err.msg, want) != NULL,
	    "error \"%s\", wanted \"%s\"", r.err.msg, want);
	ck_assert_msg(strncmp(r.err.msg, "NETCONF framing: ", 17) == 0,
	    "error \"%s\" does not name the layer", r.err.msg);
	run_free(&r);
}

START_TEST(test_eom_messages)
{
	static const char s[] =
	    "<hello>a</hello>]]>]]>"
	    "<rpc>]]]</rpc>]]>]]>"
	    "x]]>]]y]]]>]]>"
	    "]]]]>]]>"
	    "\n<rpc/>\n]]>]]>"
	    "a]]>]]]b]]>]]>"
	    "x]]>]]]>]]>";
	struct run r;

	run_all_ways(&r, s, strlen(s), BIG, MODE_EOM);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 7);
	msg_is(&r, 0, "<hello>a</hello>");
	msg_is(&r, 1, "<rpc>]]]</rpc>");
	msg_is(&r, 2, "x]]>]]y]");
	msg_is(&r, 3, "]]");
	msg_is(&r, 4, "\n<rpc/>\n");
	msg_is(&r, 5, "a]]>]]]b");
	msg_is(&r, 6, "x]]>]");
	ck_assert_uint_eq(r.offset, strlen(s));
	ck_assert_int_eq(r.partial, 0);
	run_free(&r);
}
END_TEST

START_TEST(test_chunked_messages)
{
	static const char s[] =
	    "\n#5\n<rpc>\n#3\n]]>\n#1\n\n\n#6\n</rpc>\n##\n"
	    "\n#12\n<notif>#</n>\n##\n"
	    "\n#1\n#\n#1\n\n\n##\n";
	struct run r;

	run_all_ways(&r, s, strlen(s), BIG, MODE_CHUNKED);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 3);
	msg_is(&r, 0, "<rpc>]]>\n</rpc>");
	msg_is(&r, 1, "<notif>#</n>");
	msg_is(&r, 2, "#\n");
	ck_assert_uint_eq(r.offset, strlen(s));
	ck_assert_int_eq(r.partial, 0);
	run_free(&r);
}
END_TEST

START_TEST(test_rfc6242_example)
{
	struct run r;

	/* The chunk sizes of the RFC are those of the text. */
	ck_assert_uint_eq(strlen(rfc_msg), 4 + 18 + 79);
	run_all_ways(&r, rfc_framed, strlen(rfc_framed), BIG, MODE_CHUNKED);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 1);
	msg_is(&r, 0, rfc_msg);
	run_free(&r);
	/* Exactly as large as the maximum is fine. */
	run_pieces(&r, rfc_framed, strlen(rfc_framed), 1, strlen(rfc_msg),
	    MODE_CHUNKED);
	ck_assert_int_eq(r.failed, 0);
	msg_is(&r, 0, rfc_msg);
	run_free(&r);
}
END_TEST

START_TEST(test_hello_then_chunked)
{
	char s[2048];
	struct framer f;
	struct riv_err err;
	struct run r;
	const uint8_t *m;
	size_t n, used, more, mlen;

	n = (size_t)snprintf(s, sizeof(s), "%s]]>]]>%s\n#2\nab\n##\n", hello,
	    rfc_framed);
	ck_assert_uint_lt(n, sizeof(s));

	/* All of it arrives at once: the hello is delivered first. */
	framer_init(&f, 4096);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)s, n, &used, &err),
	    1);
	ck_assert_uint_eq(used, strlen(hello) + FRAMER_EOM_LEN);
	m = framer_message(&f, &mlen);
	ck_assert_uint_eq(mlen, strlen(hello));
	ck_assert_str_eq((const char *)m, hello);
	ck_assert_ptr_nonnull(strstr((const char *)m,
	    "urn:ietf:params:netconf:base:1.1"));
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	framer_next(&f);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)s + used, n - used,
	    &more, &err), 1);
	used += more;
	m = framer_message(&f, &mlen);
	ck_assert_str_eq((const char *)m, rfc_msg);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)s + used, n - used,
	    &more, &err), 1);
	ck_assert_uint_eq(used + more, n);
	m = framer_message(&f, &mlen);
	ck_assert_str_eq((const char *)m, "ab");
	ck_assert_uint_eq(framer_offset(&f), n);
	framer_free(&f);

	/* Any split gives the same three messages. */
	run_all_ways(&r, s, n, 4096, MODE_HELLO);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 3);
	msg_is(&r, 0, hello);
	msg_is(&r, 1, rfc_msg);
	msg_is(&r, 2, "ab");
	run_free(&r);

	/* A 1.0 peer goes on with end-of-message framing. */
	n = (size_t)snprintf(s, sizeof(s), "%s]]>]]><rpc/>]]>]]>", hello);
	run_all_ways(&r, s, n, 4096, MODE_EOM);
	ck_assert_uint_eq(r.n, 2);
	msg_is(&r, 1, "<rpc/>");
	run_free(&r);

	/* After the switch, the end-of-message delimiter is an error. */
	n = (size_t)snprintf(s, sizeof(s), "%s]]>]]><rpc/>]]>]]>", hello);
	run_all_ways(&r, s, n, 4096, MODE_HELLO);
	ck_assert_int_eq(r.failed, 1);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.err_offset, strlen(hello) + FRAMER_EOM_LEN);
	ck_assert_ptr_nonnull(strstr(r.err.msg,
	    "expected LF opening a chunk header"));
	run_free(&r);
}
END_TEST

START_TEST(test_set_chunked_boundary)
{
	struct framer f;
	struct riv_err err;
	size_t used, mlen;

	/* Not in the middle of a message, nor after an error. */
	framer_init(&f, 100);
	ck_assert_int_eq(framer_partial(&f), 0);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"<hel", 4, &used,
	    &err), 0);
	ck_assert_int_eq(framer_partial(&f), 1);
	ck_assert_int_eq(framer_set_chunked(&f), -1);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"lo/>]]", 6, &used,
	    &err), 0);
	ck_assert_int_eq(framer_set_chunked(&f), -1);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)">]]>", 4, &used,
	    &err), 1);
	ck_assert_int_eq(framer_partial(&f), 0);
	ck_assert_str_eq((const char *)framer_message(&f, &mlen), "<hello/>");
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	/* framer_feed drops the delivered message itself. */
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"\n#", 2, &used,
	    &err), 0);
	ck_assert_ptr_null(framer_message(&f, &mlen));
	ck_assert_int_eq(framer_partial(&f), 1);
	ck_assert_int_eq(framer_set_chunked(&f), -1);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"0", 1, &used,
	    &err), -1);
	ck_assert_int_eq(framer_set_chunked(&f), -1);
	framer_free(&f);

	/* Before any byte, and again at a boundary: no-op. */
	framer_init(&f, 100);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)ONE_A, 9, &used,
	    &err), 1);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	framer_free(&f);
}
END_TEST

START_TEST(test_many_messages)
{
	static char s[64 * 1024];
	char body[64], *p = s;
	struct run r;
	size_t i, n, len, half;

	/* 200 notifications in one buffer, one to three chunks each. */
	for (i = 0; i < 200; i++) {
		len = (size_t)snprintf(body, sizeof(body),
		    "<notification>%zu</notification>", i);
		switch (i % 3) {
		case 0:
			p += sprintf(p, "\n#%zu\n%s", len, body);
			break;
		case 1:
			half = len / 2;
			p += sprintf(p, "\n#%zu\n%.*s\n#%zu\n%s", half,
			    (int)half, body, len - half, body + half);
			break;
		default:
			p += sprintf(p, "\n#1\n%c\n#%zu\n%.*s\n#1\n%c",
			    body[0], len - 2, (int)(len - 2), body + 1,
			    body[len - 1]);
			break;
		}
		p += sprintf(p, "\n##\n");
	}
	n = (size_t)(p - s);
	for (i = 0; i < 4; i++) {
		run_pieces(&r, s, n, i == 0 ? 0 : i == 1 ? 1 : i == 2 ? 1024 :
		    13, 4096, MODE_CHUNKED);
		ck_assert_int_eq(r.failed, 0);
		ck_assert_uint_eq(r.n, 200);
		snprintf(body, sizeof(body), "<notification>%d</notification>",
		    0);
		msg_is(&r, 0, body);
		snprintf(body, sizeof(body), "<notification>%d</notification>",
		    137);
		msg_is(&r, 137, body);
		snprintf(body, sizeof(body), "<notification>%d</notification>",
		    199);
		msg_is(&r, 199, body);
		ck_assert_uint_eq(r.offset, n);
		run_free(&r);
	}

	/* And end-of-message framed. */
	p = s;
	for (i = 0; i < 200; i++)
		p += sprintf(p, "<rpc-reply>%zu]]</rpc-reply>]]>]]>", i);
	n = (size_t)(p - s);
	run_pieces(&r, s, n, 0, 4096, MODE_EOM);
	ck_assert_uint_eq(r.n, 200);
	msg_is(&r, 42, "<rpc-reply>42]]</rpc-reply>");
	run_free(&r);
	run_pieces(&r, s, n, 1, 4096, MODE_EOM);
	ck_assert_uint_eq(r.n, 200);
	msg_is(&r, 199, "<rpc-reply>199]]</rpc-reply>");
	run_free(&r);
}
END_TEST

START_TEST(test_bad_chunk_headers)
{
	fails("\n#0\n", BIG, MODE_CHUNKED, 0, 2, "leading zero");
	fails(ONE_A "\n#01\na\n##\n", BIG, MODE_CHUNKED, 1, 11,
	    "leading zero");
	fails("\n#abc\n", BIG, MODE_CHUNKED, 0, 2,
	    "expected chunk-size (digit 1-9)");
	fails(ONE_A ONE_A "\n#\n", BIG, MODE_CHUNKED, 2, 20,
	    "expected chunk-size");
	fails("\n#+5\n", BIG, MODE_CHUNKED, 0, 2, "expected chunk-size");
	fails("\n# 5\n", BIG, MODE_CHUNKED, 0, 2, "expected chunk-size");
	fails("\n#-1\n", BIG, MODE_CHUNKED, 0, 2, "expected chunk-size");
	fails("\n#4294967296\n", BIG, MODE_CHUNKED, 0, 11,
	    "chunk-size larger than 4294967295");
	fails("\n#9999999999\n", BIG, MODE_CHUNKED, 0, 11,
	    "chunk-size larger than 4294967295");
	fails("\n#12345678901\n", BIG, MODE_CHUNKED, 0, 12,
	    "chunk header longer than 13 bytes");
	/* Missing LF after chunk-size. */
	fails("\n#5<rpc/>", BIG, MODE_CHUNKED, 0, 3,
	    "expected digit or LF after chunk-size");
	fails("\n#5\r\n<rpc/>", BIG, MODE_CHUNKED, 0, 3,
	    "expected digit or LF after chunk-size");
	/* Missing LF or '#' before chunk-size. */
	fails("#5\n<rpc/>\n##\n", BIG, MODE_CHUNKED, 0, 0,
	    "expected LF opening a chunk header");
	fails("\r\n#5\n<rpc/>\n##\n", BIG, MODE_CHUNKED, 0, 0,
	    "expected LF opening a chunk header");
	fails("\n5\n<rpc/>\n##\n", BIG, MODE_CHUNKED, 0, 1,
	    "expected '#' after LF");
	/* end-of-chunks not ended by LF. */
	fails("\n#1\na\n##x", BIG, MODE_CHUNKED, 0, 8,
	    "expected LF ending end-of-chunks");
	fails("\n#1\na\n###\n", BIG, MODE_CHUNKED, 0, 8,
	    "expected LF ending end-of-chunks");
}
END_TEST

START_TEST(test_largest_chunk_size)
{
	struct framer f;
	struct riv_err err;
	size_t used;

	/* 4294967295 is a valid chunk-size; nothing is allocated for it. */
	framer_init(&f, BIG);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"\n#4294967295\n",
	    FRAMER_HEADER_MAX, &used, &err), 0);
	ck_assert_uint_eq(used, FRAMER_HEADER_MAX);
	ck_assert_uint_eq(f.fr_cap, 0);
	ck_assert_ptr_null(f.fr_buf);
	ck_assert_int_eq(framer_partial(&f), 1);
	/* The buffer follows the data, not the announcement. */
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"<rpc", 4, &used,
	    &err), 0);
	ck_assert_uint_le(f.fr_cap, 256);
	ck_assert_uint_eq(f.fr_len, 4);
	framer_free(&f);
}
END_TEST

START_TEST(test_chunk_over_maximum)
{
	static char s[512];
	struct framer f;
	struct riv_err err;
	struct run r;
	size_t used;
	int n;

	/* The first header already announces too much: nothing buffered. */
	framer_init(&f, 100);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"\n#101\n<rpc",
	    10, &used, &err), -1);
	ck_assert_uint_eq(used, 5);
	ck_assert_ptr_null(f.fr_buf);
	ck_assert_str_eq(err.msg, "NETCONF framing: chunk of 101 bytes, more "
	    "than the 100 left of the message maximum of 100, in the chunk "
	    "header at byte offset 0");
	framer_free(&f);
	fails("\n#4294967295\n", 1024 * 1024, MODE_CHUNKED, 0, 0,
	    "chunk of 4294967295 bytes, more than the 1048576 left");

	/* The second chunk goes past the maximum. */
	n = snprintf(s, sizeof(s), "\n#60\n%060d\n#41\n%041d\n##\n", 0, 0);
	ck_assert_int_lt(n, (int)sizeof(s));
	fails(s, 100, MODE_CHUNKED, 0, 5 + 60,
	    "chunk of 41 bytes, more than the 40 left");

	/* In a later message: the allowance is per message. */
	n = snprintf(s, sizeof(s), "\n#60\n%060d\n#40\n%040d\n##\n"
	    "\n#100\n%0100d\n##\n" "\n#50\n%050d\n#51\n", 0, 0, 0, 0);
	ck_assert_int_lt(n, (int)sizeof(s));
	fails(s, 100, MODE_CHUNKED, 2, 5 + 60 + 5 + 40 + 4 + 6 + 100 + 4 + 5 +
	    50, "chunk of 51 bytes, more than the 50 left");
	run_all_ways(&r, s, (size_t)n - 5, 100, MODE_CHUNKED);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.len[0], 100);
	ck_assert_uint_eq(r.len[1], 100);
	ck_assert_int_eq(r.partial, 1);
	run_free(&r);
}
END_TEST

START_TEST(test_eom_over_maximum)
{
	struct run r;

	run_all_ways(&r, "0123456789]]>]]>", 16, 10, MODE_EOM);
	ck_assert_int_eq(r.failed, 0);
	msg_is(&r, 0, "0123456789");
	run_free(&r);
	fails("0123456789a]]>]]>", 10, MODE_EOM, 0, 10,
	    "message larger than the maximum of 10 bytes (no ']]>]]>' yet)");
	fails("<a/>]]>]]>0123456789a]]>]]>", 10, MODE_EOM, 1, 20,
	    "message larger than the maximum of 10 bytes");
	/* A partial delimiter does not count until it turns out to be data. */
	run_all_ways(&r, "0123456789]]>]]", 15, 10, MODE_EOM);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 0);
	ck_assert_int_eq(r.partial, 1);
	ck_assert_uint_eq(r.offset, 15);
	run_free(&r);
	fails("0123456789]]>]]x]]>]]>", 10, MODE_EOM, 0, 15,
	    "message larger than the maximum of 10 bytes");
	fails("01234567]]]>]]>", 8, MODE_EOM, 0, 10,
	    "message larger than the maximum of 8 bytes");
	/* During the <hello>, before the switch. */
	fails("<hello>0123456789</hello>]]>]]>", 16, MODE_HELLO, 0, 16,
	    "message larger than the maximum of 16 bytes");
}
END_TEST

START_TEST(test_garbage_between_messages)
{
	fails(ONE_A "junk" ONE_A, BIG, MODE_CHUNKED, 1, 9,
	    "expected LF opening a chunk header");
	fails(ONE_A "\n" ONE_A, BIG, MODE_CHUNKED, 1, 10,
	    "expected '#' after LF");
	fails(ONE_A " " ONE_A, BIG, MODE_CHUNKED, 1, 9,
	    "expected LF opening a chunk header");
	/* Chunk data longer than its chunk-size. */
	fails("\n#1\nab\n##\n", BIG, MODE_CHUNKED, 0, 5,
	    "expected LF opening a chunk header or end-of-chunks");
	/* Chunk data shorter than its chunk-size eats the next header. */
	fails("\n#3\nab\n##\n", BIG, MODE_CHUNKED, 0, 7,
	    "expected LF opening a chunk header or end-of-chunks");
	/* An end-of-message delimiter in chunked framing. */
	fails(ONE_A "<rpc/>]]>]]>", BIG, MODE_CHUNKED, 1, 9,
	    "expected LF opening a chunk header");
}
END_TEST

START_TEST(test_empty_message)
{
	/* RFC 6242 §4.2: a message has at least one chunk. */
	fails("\n##\n", BIG, MODE_CHUNKED, 0, 2,
	    "end-of-chunks with no chunk before it (empty message)");
	fails(ONE_A "\n##\n", BIG, MODE_CHUNKED, 1, 11, "empty message");
	fails("]]>]]>", BIG, MODE_EOM, 0, 0, "empty message");
	fails("a]]>]]>]]>]]>", BIG, MODE_EOM, 1, 7, "empty message");
}
END_TEST

START_TEST(test_truncated)
{
	static const char *const chunked[] = {
		"\n", "\n#", "\n#1", "\n#10", "\n#10\n", "\n#10\nabc",
		"\n#3\nabc", "\n#3\nabc\n", "\n#3\nabc\n#", "\n#3\nabc\n##",
		ONE_A "\n#2\na",
	};
	static const char *const eom[] = {
		"<", "<rpc/>", "<rpc/>]", "<rpc/>]]>]]", "<a/>]]>]]><b",
	};
	struct run r;
	size_t i, len;

	for (i = 0; i < sizeof(chunked) / sizeof(*chunked); i++) {
		len = strlen(chunked[i]);
		run_all_ways(&r, chunked[i], len, BIG, MODE_CHUNKED);
		ck_assert_int_eq(r.failed, 0);
		ck_assert_uint_eq(r.n, i == 10 ? 1 : 0);
		ck_assert_int_eq(r.partial, 1);
		ck_assert_uint_eq(r.offset, len);
		run_free(&r);
	}
	for (i = 0; i < sizeof(eom) / sizeof(*eom); i++) {
		len = strlen(eom[i]);
		run_all_ways(&r, eom[i], len, BIG, MODE_EOM);
		ck_assert_int_eq(r.failed, 0);
		ck_assert_uint_eq(r.n, i == 4 ? 1 : 0);
		ck_assert_int_eq(r.partial, 1);
		ck_assert_uint_eq(r.offset, len);
		run_free(&r);
	}
}
END_TEST

START_TEST(test_error_offset)
{
	char s[1024];
	size_t n;

	/* An error in the third message names its offset in the stream. */
	n = (size_t)snprintf(s, sizeof(s), "%s]]>]]>%s" ONE_A "\n#7<rpc/>",
	    hello, rfc_framed);
	ck_assert_uint_lt(n, sizeof(s));
	fails(s, 4096, MODE_HELLO, 3, n - 6,
	    "expected digit or LF after chunk-size");
	n = (size_t)snprintf(s, sizeof(s), "%s]]>]]>%s" ONE_A "\n#3\n<rpc/>",
	    hello, rfc_framed);
	fails(s, 4096, MODE_HELLO, 3, n - 3,
	    "expected LF opening a chunk header or end-of-chunks");
}
END_TEST

START_TEST(test_error_sticks)
{
	struct framer f;
	struct riv_err err;
	size_t used = 99;

	framer_init(&f, 100);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)ONE_A "\n#0\n", 13,
	    &used, &err), 1);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)"\n#0\n", 4, &used,
	    &err), -1);
	ck_assert_uint_eq(used, 2);
	ck_assert_uint_eq(framer_offset(&f), 11);
	ck_assert_str_eq(err.msg, "NETCONF framing: chunk-size with a leading "
	    "zero at byte offset 11");
	/* Good data later does not revive it. */
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)ONE_A, 9, &used,
	    &err), -1);
	ck_assert_uint_eq(used, 0);
	ck_assert_str_eq(err.msg, "NETCONF framing: stream failed earlier at "
	    "byte offset 11: chunk-size with a leading zero");
	ck_assert_int_eq(framer_feed(&f, NULL, 0, &used, &err), -1);
	ck_assert_uint_eq(framer_offset(&f), 11);
	ck_assert_int_eq(framer_partial(&f), 0);
	ck_assert_ptr_null(framer_message(&f, &used));
	framer_free(&f);
	/* A freed framer fails too; framer_free takes NULL. */
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)ONE_A, 9, &used,
	    &err), -1);
	framer_free(NULL);
}
END_TEST

START_TEST(test_chunk_header_writer)
{
	static uint8_t msg[10000];
	static char s[20000];
	char h[FRAMER_HEADER_MAX + 1];
	struct run r;
	size_t i, n = 0, take, hl;

	memset(h, 'x', sizeof(h));
	ck_assert_uint_eq(framer_chunk_header(h, sizeof(h), 1), 4);
	ck_assert_mem_eq(h, "\n#1\n", 4);
	ck_assert_uint_eq(framer_chunk_header(h, sizeof(h), 4294967295u),
	    FRAMER_HEADER_MAX);
	ck_assert_mem_eq(h, "\n#4294967295\n", FRAMER_HEADER_MAX);
	ck_assert_uint_eq(h[FRAMER_HEADER_MAX], 'x');
	ck_assert_uint_eq(framer_chunk_header(h, FRAMER_HEADER_MAX,
	    1000000000), FRAMER_HEADER_MAX);
	ck_assert_uint_eq(framer_chunk_header(h, FRAMER_HEADER_MAX - 1,
	    1000000000), 0);
	ck_assert_uint_eq(framer_chunk_header(h, 4, 9), 4);
	ck_assert_uint_eq(framer_chunk_header(h, 4, 10), 0);
	ck_assert_uint_eq(framer_chunk_header(h, sizeof(h), 0), 0);
	ck_assert_uint_eq(framer_chunk_header(h, sizeof(h), 4294967296ull),
	    0);

	/* A 10000-byte message sent in chunks of 1, 2, 3 ... bytes. */
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 1);
	for (i = 0, take = 1; i < sizeof(msg); i += take, take++) {
		if (take > sizeof(msg) - i)
			take = sizeof(msg) - i;
		hl = framer_chunk_header(s + n, sizeof(s) - n, take);
		ck_assert_uint_gt(hl, 0);
		memcpy(s + n + hl, msg + i, take);
		n += hl + take;
	}
	memcpy(s + n, FRAMER_END, FRAMER_END_LEN);
	n += FRAMER_END_LEN;
	run_pieces(&r, s, n, 0, sizeof(msg), MODE_CHUNKED);
	ck_assert_int_eq(r.failed, 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.len[0], sizeof(msg));
	ck_assert_mem_eq(r.msg[0], msg, sizeof(msg));
	run_free(&r);
}
END_TEST

START_TEST(test_buffer_growth)
{
	const size_t size = 1024 * 1024;
	struct framer f;
	struct riv_err err;
	char h[FRAMER_HEADER_MAX];
	uint8_t *data, *keep;
	const uint8_t *m;
	size_t off, used, mlen, hl, piece = 1000;
	int rc = 0;

	data = malloc(size);
	ck_assert_ptr_nonnull(data);
	memset(data, 'n', size);

	/* One chunk of 1 MiB: the buffer grows with the data, doubling. */
	framer_init(&f, 2 * size);
	ck_assert_int_eq(framer_set_chunked(&f), 0);
	hl = framer_chunk_header(h, sizeof(h), size);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)h, hl, &used, &err),
	    0);
	ck_assert_uint_eq(f.fr_cap, 0);
	for (off = 0; off < size; off += used) {
		rc = framer_feed(&f, data + off, size - off < piece ?
		    size - off : piece, &used, &err);
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_gt(f.fr_cap, f.fr_len);
		ck_assert_uint_le(f.fr_cap, f.fr_len < 256 ? 256 :
		    2 * f.fr_len);
	}
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)FRAMER_END,
	    FRAMER_END_LEN, &used, &err), 1);
	m = framer_message(&f, &mlen);
	ck_assert_uint_eq(mlen, size);
	ck_assert_mem_eq(m, data, size);
	/* A buffer this large is not kept for the next message ... */
	framer_next(&f);
	ck_assert_ptr_null(f.fr_buf);
	ck_assert_uint_eq(f.fr_cap, 0);
	/* ... a small one is. */
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)ONE_A, 9, &used,
	    &err), 1);
	keep = f.fr_buf;
	ck_assert_uint_eq(f.fr_cap, 256);
	framer_next(&f);
	ck_assert_ptr_eq(f.fr_buf, keep);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)ONE_A, 9, &used,
	    &err), 1);
	ck_assert_ptr_eq(f.fr_buf, keep);
	framer_free(&f);

	/* Never more than the maximum (plus a delimiter and a NUL). */
	framer_init(&f, 1000);
	for (off = 0; off < 1000; off += used)
		ck_assert_int_eq(framer_feed(&f, data + off, 1000 - off < 7 ?
		    1000 - off : 7, &used, &err), 0);
	ck_assert_uint_le(f.fr_cap, 1000 + FRAMER_EOM_LEN + 1);
	ck_assert_int_eq(framer_feed(&f, (const uint8_t *)FRAMER_EOM,
	    FRAMER_EOM_LEN, &used, &err), 1);
	ck_assert_uint_le(f.fr_cap, 1000 + FRAMER_EOM_LEN + 1);
	m = framer_message(&f, &mlen);
	ck_assert_uint_eq(mlen, 1000);
	ck_assert_uint_eq(m[1000], '\0');
	framer_free(&f);
	free(data);
}
END_TEST

START_TEST(test_message_with_nul)
{
	static const char s[] = "\n#3\na\0b\n##\n";
	struct run r;

	/* NUL bytes are data; the length, not the NUL, ends a message. */
	run_all_ways(&r, s, sizeof(s) - 1, BIG, MODE_CHUNKED);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.len[0], 3);
	ck_assert_mem_eq(r.msg[0], "a\0b", 4);
	run_free(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("framing");
	TCase *tc = tcase_create("framing");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_eom_messages);
	tcase_add_test(tc, test_chunked_messages);
	tcase_add_test(tc, test_rfc6242_example);
	tcase_add_test(tc, test_hello_then_chunked);
	tcase_add_test(tc, test_set_chunked_boundary);
	tcase_add_test(tc, test_many_messages);
	tcase_add_test(tc, test_bad_chunk_headers);
	tcase_add_test(tc, test_largest_chunk_size);
	tcase_add_test(tc, test_chunk_over_maximum);
	tcase_add_test(tc, test_eom_over_maximum);
	tcase_add_test(tc, test_garbage_between_messages);
	tcase_add_test(tc, test_empty_message);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_error_offset);
	tcase_add_test(tc, test_error_sticks);
	tcase_add_test(tc, test_chunk_header_writer);
	tcase_add_test(tc, test_buffer_growth);
	tcase_add_test(tc, test_message_with_nul);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
