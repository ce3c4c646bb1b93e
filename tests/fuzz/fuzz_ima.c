/*
 * fuzz_ima.c — libFuzzer target for the IMA measurement list parser,
 * template decoding, replay, quote check and the replay state's JSON form.
 *
 * The first byte selects the format: 'A' reads the rest as an ASCII list,
 * 'B' as a binary list; any other first byte is part of a list whose
 * format is detected (so corpus lists are seeds as they are).  Every input
 * is also read as a saved state (json_parse, ima_state_from_json): a state
 * that loads is used (a list fed to it, whole and as a tail, a quote
 * checked) and must read back as it was written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ima.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A list for loaded states: three entries on PCRs 10 and 11. */
static const char state_list[] =
    "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
    "sha1:0000000000000000000000000000000000000000 boot_aggregate\n"
    "11 0000000000000000000000000000000000000000 ima-ng "
    "sha1:0000000000000000000000000000000000000000 /etc/x\n"
    " 9 c156ebdcbfcd28fe1060ef4cdec0aab04d3a9b63 ima-ng "
    "sha1:19f13b42c2745066347e76454788c0fe083643f3 /init\n";

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

/* Write a state to JSON and read it back: it must read, and the same. */
static void
roundtrip(struct ima_state *st)
{
	struct ima_state *copy;
	struct riv_err err;
	struct json *doc;
	char *text = NULL, *text2 = NULL;
	size_t tlen = 0, tlen2 = 0;
	FILE *f;

	if ((f = open_memstream(&text, &tlen)) == NULL)
		return;
	ima_state_write(f, st);
	fclose(f);
	if ((doc = json_parse(text, tlen, &err)) != NULL &&
	    (copy = ima_state_new(0)) != NULL) {
		if (ima_state_from_json(doc, copy, &err) != RIV_OK)
			abort();	/* what we wrote must read back */
		if ((f = open_memstream(&text2, &tlen2)) != NULL) {
			ima_state_write(f, copy);
			fclose(f);
			if (tlen != tlen2 || memcmp(text, text2, tlen) != 0)
				abort();
			free(text2);
		}
		ima_state_free(copy);
	}
	json_free(doc);
	free(text);
}

/*
 * Read the input as a saved state; if it loads, write it back, feed it a
 * list (whole, then a tail) and check a quote against it.
 */
static void
fuzz_state(const uint8_t *data, size_t len, struct hasher *h)
{
	struct ima_state *st;
	struct ima_quote q;
	struct pcrset quoted;
	struct riv_err err;
	struct json *doc;
	uint8_t v[32] = { 0 };
	size_t sum = 0;

	if ((doc = json_parse((const char *)data, len, &err)) == NULL)
		return;
	memcpy(v, data, len < sizeof(v) ? len : sizeof(v));
	if ((st = ima_state_new(0)) == NULL)
		goto done;
	if (ima_state_from_json(doc, st, &err) != RIV_OK)
		goto done;
	roundtrip(st);
	pcrset_init(&quoted);
	pcrset_set(&quoted, BANK_SHA256, IMA_PCR, v);
	pcrset_set(&quoted, BANK_SHA1, 11, v);
	ima_quote_watch(st, &quoted);
	ima_feed(st, h, (const uint8_t *)state_list, sizeof(state_list) - 1,
	    IMA_FORMAT_AUTO, 0, touch_entry, &sum, &err);
	ima_feed(st, h, (const uint8_t *)state_list, sizeof(state_list) - 1,
	    IMA_FORMAT_AUTO, st->next, touch_entry, &sum, &err);
	ima_quote_check(st, &quoted, &q);
	roundtrip(st);
done:
	ima_state_free(st);
	json_free(doc);
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

	if ((h = hasher_new()) == NULL)
		return 0;
	fuzz_state(data, len, h);
	if (len > 0 && (data[0] == 'A' || data[0] == 'B')) {
		format = data[0] == 'A' ? IMA_FORMAT_ASCII : IMA_FORMAT_BINARY;
		data++;
		len--;
	}
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
			/* the whole list again: covered entries re-extended */
			if (ima_feed(st, h, data, len, format, 0, touch_entry,
			    &sum, &err) != RIV_OK)
				abort();
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
