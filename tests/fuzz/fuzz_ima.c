/*
 * fuzz_ima.c — libFuzzer target for the IMA measurement list parser,
 * template decoding, replay, quote check and state JSON round trip.
 *
 * The first byte selects the format: 'A' reads the rest as an ASCII list,
 * 'B' as a binary list; any other first byte is part of a list whose
 * format is detected (so corpus lists are seeds as they are).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "ima.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Callback: touch the decoded fields so sanitizers see them. */
static int
touch_entry(const struct ima_entry *e, int mismatch, void *arg)
{
	size_t *sum = arg;

	*sum += (size_t)mismatch + e->pcr + e->template_data_len;
	if (e->path_len > 0)
		*sum += (unsigned char)e->path[e->path_len - 1];
	if (e->file_digest_len > 0)
		*sum += e->file_digest[e->file_digest_len - 1];
	if (e->sig_len > 0)
		*sum += e->sig[e->sig_len - 1];
	if (e->buf_len > 0)
		*sum += e->buf[e->buf_len - 1];
	if (e->modsig_len > 0)
		*sum += e->modsig[e->modsig_len - 1];
	return 0;
}

/* Write a state to JSON and read it back. */
static void
roundtrip(struct ima_state *st)
{
	struct ima_state *copy;
	struct riv_err err;
	struct json *doc;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	if ((f = open_memstream(&text, &tlen)) == NULL)
		return;
	ima_state_write(f, st);
	fclose(f);
	if ((doc = json_parse(text, tlen, &err)) != NULL &&
	    (copy = ima_state_new(0)) != NULL) {
		if (ima_state_from_json(doc, copy, &err) != RIV_OK)
			abort();	/* what we wrote must read back */
		ima_state_free(copy);
	}
	json_free(doc);
	free(text);
}

/* Replay the input whole with a watched quote, then in two parts. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct ima_state *st;
	struct ima_reader r;
	struct ima_entry e;
	struct ima_quote q;
	struct pcrset quoted;
	struct hasher *h;
	struct riv_err err;
	size_t sum = 0, split = 0;
	int format = IMA_FORMAT_AUTO;

	if (len > 0 && (data[0] == 'A' || data[0] == 'B')) {
		format = data[0] == 'A' ? IMA_FORMAT_ASCII : IMA_FORMAT_BINARY;
		data++;
		len--;
	}
	if ((h = hasher_new()) == NULL)
		return 0;
	if ((st = ima_state_new(0)) == NULL) {
		hasher_free(h);
		return 0;
	}
	pcrset_init(&quoted);
	if (len >= 32) {
		pcrset_set(&quoted, BANK_SHA256, IMA_PCR, data);
		ima_quote_watch(st, &quoted);
		if (ima_feed(st, h, data, len, format, 0, touch_entry, &sum,
		    &err) == RIV_OK) {
			ima_quote_check(st, &quoted, &q);
			roundtrip(st);
		}
	}
	/* the same list in two parts, split after its first entry */
	ima_state_init(st, 0);
	if (ima_reader_open(&r, data, len, format, -1, 0, &err) == RIV_OK &&
	    ima_reader_next(&r, &e, &err) == 1) {
		split = r.off;
		if (ima_feed(st, h, data, split, format, 0, touch_entry, &sum,
		    &err) == RIV_OK) {
			roundtrip(st);
			ima_feed(st, h, data + split, len - split, format, 1,
			    touch_entry, &sum, &err);
		}
	}
	ima_reader_close(&r);
	ima_state_free(st);
	hasher_free(h);
	return 0;
}
