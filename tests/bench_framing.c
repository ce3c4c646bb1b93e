/*
 * bench_framing.c — NETCONF framing throughput: a stream of 2 KB
 * notifications (one chunk each, and in 512-byte chunks), fed to one framer
 * in 1 KB, 16 KB and single-byte pieces as reads from a session would
 * deliver it.  Figures only; nothing here asserts a time (the aim is well
 * under 1 us of framing work per KB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "framing.h"

#define BENCH_MIN_SECONDS	0.2	/* per line */
#define BENCH_MIN_ITERS		5
#define BENCH_NOTIF		2070	/* bytes of a notification (XML) */
#define BENCH_NOTIFS		1000	/* notifications in the stream */

/*
 * Build a stream of BENCH_NOTIFS notifications into a malloc'd buffer, in
 * chunks of at most chunk bytes (or end-of-message framed if chunk is 0);
 * return it and its length in *len.
 */
static uint8_t *
gen_stream(size_t chunk, size_t *len)
{
	static const char head[] = "<notification xmlns=\"urn:ietf:params:xml:"
	    "ns:netconf:notification:1.0\"><eventTime>2026-01-01T00:00:00Z"
	    "</eventTime>";
	uint8_t *buf, *p, notif[BENCH_NOTIF];
	size_t i, off, n, hl;
	char h[FRAMER_HEADER_MAX];

	memset(notif, 'q', sizeof(notif));
	memcpy(notif, head, sizeof(head) - 1);
	if ((buf = malloc(BENCH_NOTIFS * (BENCH_NOTIF + 64 *
	    (BENCH_NOTIF / 512 + 2)))) == NULL)
		return NULL;
	p = buf;
	for (i = 0; i < BENCH_NOTIFS; i++) {
		if (chunk == 0) {
			memcpy(p, notif, sizeof(notif));
			memcpy(p + sizeof(notif), FRAMER_EOM, FRAMER_EOM_LEN);
			p += sizeof(notif) + FRAMER_EOM_LEN;
			continue;
		}
		for (off = 0; off < sizeof(notif); off += n) {
			n = sizeof(notif) - off < chunk ? sizeof(notif) - off :
			    chunk;
			hl = framer_chunk_header(h, sizeof(h), n);
			memcpy(p, h, hl);
			p += hl;
			memcpy(p, notif + off, n);
			p += n;
		}
		memcpy(p, FRAMER_END, FRAMER_END_LEN);
		p += FRAMER_END_LEN;
	}
	*len = (size_t)(p - buf);
	return buf;
}

/*
 * Feed a stream once in pieces of piece bytes; return the messages
 * delivered, or 0 on a framing error.
 */
static size_t
feed_stream(struct framer *f, const uint8_t *s, size_t len, size_t piece)
{
	struct riv_err err;
	size_t off, n, used, mlen, msgs = 0;
	int r;

	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		while (n > 0) {
			if ((r = framer_feed(f, s + off, n, &used, &err)) ==
			    -1) {
				printf("  framing error: %s\n", err.msg);
				return 0;
			}
			off += used;
			n -= used;
			if (r == 1) {
				if (framer_message(f, &mlen) != NULL &&
				    mlen == BENCH_NOTIF)
					msgs++;
				framer_next(f);
			}
		}
	}
	return msgs;
}

/* Time one framing and piece size and print its line. */
static void
bench_one(const char *name, size_t chunk, size_t piece)
{
	struct framer f;
	uint8_t *s;
	size_t len, msgs = 0;
	double start, elapsed;
	unsigned long iters = 0;

	if ((s = gen_stream(chunk, &len)) == NULL) {
		printf("  %-44s out of memory\n", name);
		return;
	}
	framer_init(&f, 64 * 1024);
	if (chunk != 0)
		framer_set_chunked(&f);
	start = bench_now();
	do {
		msgs += feed_stream(&f, s, len, piece);
		iters++;
		elapsed = bench_now() - start;
	} while (elapsed < BENCH_MIN_SECONDS || iters < BENCH_MIN_ITERS);
	if (msgs != (size_t)iters * BENCH_NOTIFS)
		printf("  %-44s wrong message count %zu\n", name, msgs);
	else
		printf("  %-44s %8.1f MB/s %8.1f ns/KB %7.3f us/notif\n", name,
		    (double)len * (double)iters / elapsed / 1e6,
		    elapsed / ((double)len * (double)iters / 1024) * 1e9,
		    elapsed / (double)msgs * 1e6);
	framer_free(&f);
	free(s);
}

/* Benchmark the framings over 2 KB notifications. */
void
bench_framing(void)
{
	printf("framing: %d notifications of %d bytes, fed in pieces\n",
	    BENCH_NOTIFS, BENCH_NOTIF);
	bench_one("chunked (1 chunk/msg), 1 KB pieces", BENCH_NOTIF, 1024);
	bench_one("chunked (1 chunk/msg), 16 KB pieces", BENCH_NOTIF, 16384);
	bench_one("chunked (1 chunk/msg), 1-byte pieces", BENCH_NOTIF, 1);
	bench_one("chunked (512 B chunks), 1 KB pieces", 512, 1024);
	bench_one("chunked (512 B chunks), 16 KB pieces", 512, 16384);
	bench_one("end-of-message, 16 KB pieces", 0, 16384);
	bench_one("end-of-message, 1-byte pieces", 0, 1);
}
