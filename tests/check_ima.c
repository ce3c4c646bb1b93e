/*
 * check_ima.c — unit tests for the IMA measurement list parser, template
 * decoding, digest verification, PCR replay, incremental state and quote
 * lag: every corpus list against its expected values, split replays equal
 * to full ones, synthetic lists for each template and each malformation;
 * and the hashing under them (bank.c, sm3.c): SM3's standard vectors,
 * every bank equal to OpenSSL's EVP on messages of many lengths, batches
 * equal to their jobs one by one.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "bank.h"
#include "ima.h"
#include "json.h"
#include "pcrset.h"
#include "testutil.h"

#define IMA_DIR		"ima"
#define KEYLIME_ASCII	"rust-keylime__ascii_runtime_measurements.txt"
#define IBM_SHA1	"ibmtss__ima_sha1.bin"
#define IBM_SHA256	"ibmtss__ima_sha256.bin"
#define TSS_NG		"tpm2-tss__sml-ima-ng-sha1.bin"
#define TSS_IMA		"tpm2-tss__sml-ima-sha1.bin"

/* Lists with expected values: each must be found and checked. */
static const char *known_expected[] = { IBM_SHA1, IBM_SHA256, TSS_NG,
    TSS_IMA };

/* Every list of the corpus, for the split tests. */
static const char *all_lists[] = { IBM_SHA1, IBM_SHA256, TSS_NG, TSS_IMA,
    KEYLIME_ASCII };

/* A growing byte buffer for synthetic lists. */
struct buf {
	uint8_t	*d;
	size_t	 n, cap;
};

/* Append bytes. */
static void
put(struct buf *b, const void *p, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2 + 64;
		b->d = realloc(b->d, b->cap);
		ck_assert_ptr_nonnull(b->d);
	}
	if (len > 0)
		memcpy(b->d + b->n, p, len);
	b->n += len;
}

/* Append a 32-bit integer in either byte order. */
static void
put32(struct buf *b, uint32_t v, int be)
{
	uint8_t x[4];
	int i;

	for (i = 0; i < 4; i++)
		x[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	put(b, x, 4);
}

/* Append a template field: length and bytes. */
static void
field(struct buf *b, const void *p, size_t len, int be)
{
	put32(b, (uint32_t)len, be);
	put(b, p, len);
}

/* Append a d-ng field "sha256:\0" and a digest of 32 bytes of c. */
static void
field_dng(struct buf *b, int c, int be)
{
	uint8_t f[8 + 32];

	memcpy(f, "sha256:", 8);
	memset(f + 8, c, 32);
	field(b, f, sizeof(f), be);
}

/* Append an n-ng field (with its NUL). */
static void
field_str(struct buf *b, const char *s, int be)
{
	field(b, s, strlen(s) + 1, be);
}

/*
 * Append a binary entry of template tname whose template data is td (a
 * SHA1 template digest of it, or zeros for a violation).
 */
static void
entry(struct buf *b, uint32_t pcr, const char *tname, const struct buf *td,
    int violation, int be)
{
	uint8_t d[20] = { 0 };

	if (!violation)
		ck_assert_int_eq(bank_hash(BANK_SHA1, td->d, td->n, d), 0);
	put32(b, pcr, be);
	put(b, d, 20);
	put32(b, (uint32_t)strlen(tname), be);
	put(b, tname, strlen(tname));
	put32(b, (uint32_t)td->n, be);
	put(b, td->d, td->n);
}

/* Append an ima-ng entry on a PCR for path with a digest of bytes c. */
static void
entry_ng_on(struct buf *b, uint32_t pcr, const char *path, int c,
    int violation, int be)
{
	struct buf td = { NULL, 0, 0 };

	field_dng(&td, c, be);
	field_str(&td, path, be);
	entry(b, pcr, "ima-ng", &td, violation, be);
	free(td.d);
}

/* Append an ima-ng entry on PCR 10 for path with a digest of bytes c. */
static void
entry_ng(struct buf *b, const char *path, int c, int violation, int be)
{
	entry_ng_on(b, IMA_PCR, path, c, violation, be);
}

/*
 * Append the ASCII line of an ima-ng entry on a PCR for path with a digest
 * of bytes c, as the kernel writes it ("%2d " PCR).
 */
static void
ascii_ng(struct buf *b, uint32_t pcr, const char *path, int c)
{
	struct buf td = { NULL, 0, 0 };
	char line[512], dh[41], fh[65];
	uint8_t d[20], f[32];

	field_dng(&td, c, 0);
	field_str(&td, path, 0);
	ck_assert_int_eq(bank_hash(BANK_SHA1, td.d, td.n, d), 0);
	hex_encode(d, 20, dh);
	memset(f, c, sizeof(f));
	hex_encode(f, 32, fh);
	snprintf(line, sizeof(line), "%2u %s ima-ng sha256:%s %s\n", pcr, dh,
	    fh, path);
	put(b, line, strlen(line));
	free(td.d);
}

/* Read a corpus list of the ima directory. */
static uint8_t *
read_list(const char *name, size_t *len)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "%s/%s", IMA_DIR, name);
	return corpus_read(rel, len);
}

/* A list in memory handed out a few bytes per read (struct ima_source). */
struct trickle {
	const uint8_t	*p;
	size_t		 len, off, step;
};

/* ima_source read callback: at most step bytes of the list. */
static long
trickle_read(void *arg, uint8_t *buf, size_t len)
{
	struct trickle *t = arg;
	size_t n = t->len - t->off;

	if (n > len)
		n = len;
	if (n > t->step)
		n = t->step;
	memcpy(buf, t->p + t->off, n);
	t->off += n;
	return (long)n;
}

static void assert_same_pcrs(const struct ima_state *,
    const struct ima_state *, const char *);

/*
 * Feed a list read in chunks (ima_feed_source) with windows of several
 * sizes, from one byte up; each must end exactly as the whole list did:
 * the same status, the same error (byte offsets included), the same state.
 */
static void
assert_chunked_same(const uint8_t *buf, size_t len, uint64_t first,
    const struct ima_state *init, const struct ima_state *want, int want_rc,
    const char *want_err)
{
	static const size_t chunks[] = { 1, 7, 64, 4096 };
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct riv_err err = { "" };
	struct ima_source src;
	struct trickle t;
	size_t i;
	int rc;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(h);
	for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]); i++) {
		*st = *init;
		t.p = buf;
		t.len = len;
		t.off = 0;
		t.step = i % 2 ? 3 : 1000;
		memset(&src, 0, sizeof(src));
		src.read = trickle_read;
		src.arg = &t;
		src.chunk = chunks[i];
		src.format = IMA_FORMAT_AUTO;
		err.msg[0] = '\0';
		rc = ima_feed_source(st, h, &src, first, NULL, NULL, &err);
		ck_assert_msg(rc == want_rc, "window %zu: status %d, not %d "
		    "(%s)", chunks[i], rc, want_rc, err.msg);
		if (rc != RIV_OK)
			ck_assert_msg(strcmp(err.msg, want_err) == 0, "window "
			    "%zu: \"%s\", not \"%s\"", chunks[i], err.msg,
			    want_err);
		else {
			assert_same_pcrs(st, want, "chunked");
			ck_assert_uint_eq(src.bytes, len);
			ck_assert_int_eq(src.format, len == 0 ?
			    IMA_FORMAT_AUTO : ima_detect_format(buf, len));
			ck_assert_uint_eq(st->failed, want->failed);
			ck_assert_int_eq(st->big_endian, want->big_endian);
			ck_assert_int_eq(st->list_bank, want->list_bank);
		}
	}
	hasher_free(h);
	ima_state_free(st);
}

/*
 * Replay a whole list into a fresh state (all banks); RIV_ status.  The
 * same list read in chunks must end the same way.
 */
static int
replay(const uint8_t *buf, size_t len, struct ima_state *st,
    ima_entry_cb cb, void *arg, struct riv_err *err)
{
	struct hasher *h = hasher_new();
	struct ima_state *init = ima_state_new(0);
	int rc;

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(init);
	ima_state_init(st, 0);
	*init = *st;
	rc = ima_feed(st, h, buf, len, IMA_FORMAT_AUTO, 0, cb, arg, err);
	hasher_free(h);
	if (rc == RIV_OK || rc == RIV_MALFORMED)
		assert_chunked_same(buf, len, 0, init, st, rc, err->msg);
	ima_state_free(init);
	return rc;
}

/* A state's per-bank running value of a PCR (NULL if untouched). */
static const uint8_t *
pcr_value(const struct ima_state *st, int bank, unsigned pcr)
{
	return pcrset_get(&st->val[IMA_RULE_BANK], bank, pcr);
}

/*
 * Assert that two states replayed the same PCR values in every bank under
 * every rule.
 */
static void
assert_same_pcrs(const struct ima_state *a, const struct ima_state *b,
    const char *what)
{
	int bank, r;
	unsigned p;

	for (r = 0; r < IMA_RULES; r++)
		for (bank = 0; bank < BANK_COUNT; bank++) {
			ck_assert_msg(a->val[r].mask[bank] ==
			    b->val[r].mask[bank], "%s: %s %s PCR masks differ",
			    what, ima_rule_name((unsigned)r),
			    bank_get(bank)->name);
			for (p = 0; p < PCR_COUNT; p++)
				if (pcrset_has(&a->val[r], bank, p))
					ck_assert_msg(memcmp(
					    a->val[r].val[bank][p],
					    b->val[r].val[bank][p],
					    bank_get(bank)->size) == 0,
					    "%s: %s %s PCR %u differs", what,
					    ima_rule_name((unsigned)r),
					    bank_get(bank)->name, p);
		}
	ck_assert_uint_eq(a->next, b->next);
	ck_assert_uint_eq(a->touched, b->touched);
	ck_assert(memcmp(a->rules, b->rules, sizeof(a->rules)) == 0);
}

/* Collected per-entry results. */
struct seen {
	size_t		 n, mismatches, violations;
	int64_t		 first_mismatch;
	uint8_t		 sha1[1024][20];	/* template hash per entry */
	struct hasher *h;
	struct ima_state *st;		/* to snapshot values, or NULL */
	uint8_t		 pcr_sha1[1024][20], pcr_sha256[1024][32];
};

/* ima_feed callback: record template hashes and mismatches. */
static int
see(const struct ima_entry *e, int mismatch, void *arg)
{
	struct seen *s = arg;

	if (s->n < 1024) {
		if (s->h != NULL)
			ck_assert_int_eq(ima_template_hash(s->h, BANK_SHA1, e,
			    s->sha1[s->n]), 0);
		if (s->st != NULL) {
			memcpy(s->pcr_sha1[s->n],
			    pcr_value(s->st, BANK_SHA1, IMA_PCR), 20);
			memcpy(s->pcr_sha256[s->n],
			    pcr_value(s->st, BANK_SHA256, IMA_PCR), 32);
		}
	}
	if (mismatch && s->mismatches++ == 0)
		s->first_mismatch = (int64_t)e->index;
	if (e->violation)
		s->violations++;
	s->n++;
	return 0;
}

/* Compare a list's replay with its expected.json; returns 1 if checked. */
static int
check_expected(const char *name)
{
	char rel[5120];
	struct json *exp;
	const struct json *hashes;
	struct pcrset want, got;
	struct ima_state *st = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct riv_err err;
	uint8_t *buf, d[20];
	size_t len, i, n;
	int bank, checked = 0;
	unsigned p;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(s);
	snprintf(rel, sizeof(rel), "%s/%s/%s.expected.json", corpus_dir(),
	    IMA_DIR, name);
	exp = json_load(rel, &err);
	ck_assert_msg(exp != NULL, "%s", err.msg);
	buf = read_list(name, &len);
	s->h = hasher_new();
	ck_assert_msg(replay(buf, len, st, see, s, &err) == RIV_OK, "%s: %s",
	    name, err.msg);
	ima_state_values(st, &got);
	ck_assert_uint_eq(s->mismatches, 0);
	if (json_get(exp, "pcrs") != NULL) {
		ck_assert_int_eq(pcrset_from_json(exp, &want, &err), RIV_OK);
		for (bank = 0; bank < BANK_COUNT; bank++)
			for (p = 0; p < PCR_COUNT; p++) {
				if (!pcrset_has(&want, bank, p))
					continue;
				ck_assert_msg(pcrset_has(&got, bank, p),
				    "%s: no %s PCR %u", name,
				    bank_get(bank)->name, p);
				ck_assert_msg(memcmp(pcrset_get(&want, bank, p),
				    pcrset_get(&got, bank, p),
				    bank_get(bank)->size) == 0,
				    "%s: %s PCR %u differs", name,
				    bank_get(bank)->name, p);
				checked++;
			}
	}
	if ((hashes = json_get(exp, "template_hashes_sha1")) != NULL) {
		ck_assert_uint_eq(hashes->n, s->n);
		for (i = 0; i < hashes->n; i++) {
			ck_assert_int_eq(hex_decode(hashes->items[i]->str,
			    hashes->items[i]->len, d, sizeof(d), &n), 0);
			ck_assert_msg(memcmp(d, s->sha1[i], 20) == 0,
			    "%s: entry %zu template hash differs", name, i);
			checked++;
		}
	}
	ck_assert_msg(checked > 0, "%s: nothing to compare", name);
	hasher_free(s->h);
	free(s);
	json_free(exp);
	free(buf);
	ima_state_free(st);
	return 1;
}

/* Every corpus list with expected values replays to them. */
START_TEST(test_corpus_expected)
{
	char dir[4096], name[512];
	struct dirent *de;
	size_t i, n, found[4] = { 0 };
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", corpus_dir(), IMA_DIR);
	ck_assert_msg((d = opendir(dir)) != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (n <= 14 || strcmp(de->d_name + n - 14, ".expected.json"))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 14),
		    de->d_name);
		check_expected(name);
		for (i = 0; i < 4; i++)
			if (strcmp(name, known_expected[i]) == 0)
				found[i]++;
	}
	closedir(d);
	for (i = 0; i < 4; i++)
		ck_assert_msg(found[i] == 1, "%s not checked",
		    known_expected[i]);
}
END_TEST

/* The SHA-256 list is detected as one: 32-byte template digests. */
START_TEST(test_detect_sha256)
{
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	uint8_t *buf;
	size_t len;

	buf = read_list(IBM_SHA256, &len);
	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO, -1, 0,
	    &err), RIV_OK);
	ck_assert_int_eq(r.format, IMA_FORMAT_BINARY);
	ck_assert_int_eq(r.list_bank, BANK_SHA256);
	ck_assert_uint_eq(r.digest_size, 32);
	ck_assert_int_eq(r.big_endian, 0);
	ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
	ck_assert_str_eq(e.template_name, "ima-sig");
	ck_assert_str_eq(e.file_algo, "sha256");
	ck_assert_uint_eq(e.file_digest_len, 32);
	ck_assert_uint_eq(e.path_len, 14);
	ck_assert(memcmp(e.path, "boot_aggregate", 14) == 0);
	ck_assert_ptr_null(e.sig);
	ima_reader_close(&r);
	free(buf);
}
END_TEST

/*
 * 32-byte template digests are SHA-256 or SM3, told apart by verifying the
 * first entry, in a list of either byte order.
 */
START_TEST(test_detect_sm3)
{
	struct buf b = { NULL, 0, 0 }, td = { NULL, 0, 0 };
	struct ima_reader r;
	struct riv_err err;
	uint8_t d[32];
	int be, bank;

	for (be = 0; be < 2; be++)
		for (bank = BANK_SHA256; bank <= BANK_SM3_256;
		    bank += BANK_SM3_256 - BANK_SHA256) {
			if (!bank_available(bank))
				continue;
			b.n = td.n = 0;
			field_dng(&td, 1, be);
			field_str(&td, "boot_aggregate", be);
			ck_assert_int_eq(bank_hash(bank, td.d, td.n, d), 0);
			put32(&b, 10, be);
			put(&b, d, 32);
			put32(&b, 6, be);
			put(&b, "ima-ng", 6);
			put32(&b, (uint32_t)td.n, be);
			put(&b, td.d, td.n);
			ck_assert_int_eq(ima_reader_open(&r, b.d, b.n,
			    IMA_FORMAT_AUTO, -1, 0, &err), RIV_OK);
			ck_assert_int_eq(r.big_endian, be);
			ck_assert_int_eq(r.list_bank, bank);
			ima_reader_close(&r);
		}
	free(b.d);
	free(td.d);
}
END_TEST

/* Forcing the wrong template digest size is malformed. */
START_TEST(test_forced_bank)
{
	struct ima_reader r;
	struct riv_err err;
	uint8_t *buf;
	size_t len;

	buf = read_list(IBM_SHA256, &len);
	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO,
	    BANK_SHA1, 0, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "entry 0 at byte offset 0") != NULL,
	    "%s", err.msg);
	ima_reader_close(&r);
	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO,
	    BANK_SHA256, 0, &err), RIV_OK);
	ima_reader_close(&r);
	free(buf);
}
END_TEST

/* The "ima" template: d, name, and the padded-name template hash. */
START_TEST(test_legacy_decode)
{
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	struct hasher *h = hasher_new();
	uint8_t *buf;
	size_t len;

	buf = read_list(TSS_IMA, &len);
	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO, -1, 0,
	    &err), RIV_OK);
	ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
	ck_assert_int_eq(e.legacy, 1);
	ck_assert_str_eq(e.template_name, "ima");
	ck_assert_uint_eq(e.template_data_len, 20 + 4 + 14);
	ck_assert(memcmp(e.path, "boot_aggregate", 14) == 0);
	ck_assert_str_eq(e.file_algo, "sha1");
	ck_assert_int_eq(ima_verify_entry(h, BANK_SHA1, &e), RIV_OK);
	ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
	ck_assert_uint_eq(e.path_len, 5);
	ck_assert(memcmp(e.path, "/init", 5) == 0);
	while (ima_reader_next(&r, &e, &err) == 1)
		;
	ck_assert_uint_eq(r.index, 12);
	ck_assert_int_eq(r.trailing_newline, 1);
	ima_reader_close(&r);
	hasher_free(h);
	free(buf);
}
END_TEST

/* Convert an ASCII list to binary from its decoded entries. */
static void
ascii_to_binary(const uint8_t *buf, size_t len, struct buf *out)
{
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	int got;

	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO, -1, 0,
	    &err), RIV_OK);
	ck_assert_int_eq(r.format, IMA_FORMAT_ASCII);
	while ((got = ima_reader_next(&r, &e, &err)) == 1) {
		put32(out, e.pcr, 0);
		put(out, e.template_digest, e.template_digest_len);
		put32(out, (uint32_t)strlen(e.template_name), 0);
		put(out, e.template_name, strlen(e.template_name));
		if (!e.legacy)
			put32(out, (uint32_t)e.template_data_len, 0);
		put(out, e.template_data, e.template_data_len);
	}
	ck_assert_msg(got == 0, "%s", err.msg);
	ima_reader_close(&r);
}

/* The ASCII list verifies, and replays as its binary conversion does. */
START_TEST(test_keylime_ascii)
{
	static const char sha1_ref[] =
	    "82231c67a69da98dc5b3aa10f6343d33109225fc";
	static const char sha256_ref[] =
	    "c4a065637fc6a7c55f2811dd06cb45dd037133be2b3dc5c3e6fbe6bf061db724";
	struct ima_state *a = ima_state_new(0), *b = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct buf bin = { NULL, 0, 0 };
	struct riv_err err;
	char hex[129];
	uint8_t *buf;
	size_t len;

	buf = read_list(KEYLIME_ASCII, &len);
	ck_assert_msg(replay(buf, len, a, see, s, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_uint_eq(s->n, 826);
	ck_assert_uint_eq(s->mismatches, 0);
	ascii_to_binary(buf, len, &bin);
	ck_assert_msg(replay(bin.d, bin.n, b, NULL, NULL, &err) == RIV_OK,
	    "%s", err.msg);
	assert_same_pcrs(a, b, "ASCII vs binary");
	hex_encode(pcr_value(a, BANK_SHA1, 10), 20, hex);
	ck_assert_str_eq(hex, sha1_ref);
	hex_encode(pcr_value(a, BANK_SHA256, 10), 32, hex);
	ck_assert_str_eq(hex, sha256_ref);
	free(bin.d);
	free(s);
	free(buf);
	ima_state_free(a);
	ima_state_free(b);
}
END_TEST

/* Byte offsets of every entry of a list, and the list's end. */
static size_t
entry_offsets(const uint8_t *buf, size_t len, size_t *off, size_t max)
{
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	size_t n = 0;

	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO, -1, 0,
	    &err), RIV_OK);
	while (ima_reader_next(&r, &e, &err) == 1) {
		ck_assert_uint_lt(n, max);
		off[n++] = e.byte_offset;
	}
	off[n] = r.off;
	ima_reader_close(&r);
	return n;
}

/* Round-trip a state through its JSON form. */
static void
roundtrip(struct ima_state *st)
{
	struct ima_state *copy = ima_state_new(0);
	struct riv_err err;
	struct json *doc;
	char *text = NULL, *text2 = NULL;
	size_t tlen = 0, tlen2 = 0;
	FILE *f;

	ck_assert_ptr_nonnull(f = open_memstream(&text, &tlen));
	ima_state_write(f, st);
	fclose(f);
	doc = json_parse(text, tlen, &err);
	ck_assert_msg(doc != NULL, "%s", err.msg);
	ck_assert_msg(ima_state_from_json(doc, copy, &err) == RIV_OK, "%s",
	    err.msg);
	json_free(doc);
	ck_assert_ptr_nonnull(f = open_memstream(&text2, &tlen2));
	ima_state_write(f, copy);
	fclose(f);
	ck_assert_str_eq(text, text2);
	assert_same_pcrs(st, copy, "JSON round trip");
	*st = *copy;
	free(text);
	free(text2);
	ima_state_free(copy);
}

/* Splitting a list anywhere (through saved state) equals the full replay. */
START_TEST(test_incremental)
{
	const char *name = all_lists[_i];
	struct ima_state *full = ima_state_new(0), *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct riv_err err;
	size_t off[1100], len, n, k, j, splits[6];
	uint8_t *buf;

	buf = read_list(name, &len);
	ck_assert_int_eq(replay(buf, len, full, NULL, NULL, &err), RIV_OK);
	n = entry_offsets(buf, len, off, 1099);
	ck_assert_uint_eq(n, full->next);
	splits[0] = 1;
	splits[1] = 2;
	splits[2] = n / 3;
	splits[3] = n / 2;
	splits[4] = n - 1;
	splits[5] = n;
	for (j = 0; j < 6; j++) {
		k = splits[j];
		/* the first k entries, a JSON round trip, then the tail */
		ima_state_init(st, 0);
		ck_assert_int_eq(ima_feed(st, h, buf, off[k], IMA_FORMAT_AUTO,
		    0, NULL, NULL, &err), RIV_OK);
		ck_assert_uint_eq(st->next, k);
		roundtrip(st);
		ck_assert_msg(ima_feed(st, h, buf + off[k], len - off[k],
		    IMA_FORMAT_AUTO, k, NULL, NULL, &err) == RIV_OK, "%s: "
		    "split at %zu: %s", name, k, err.msg);
		assert_same_pcrs(full, st, name);
		/* the same, re-reading the whole list (rivctl --from) */
		ima_state_init(st, 0);
		ck_assert_int_eq(ima_feed(st, h, buf, off[k], IMA_FORMAT_AUTO,
		    0, NULL, NULL, &err), RIV_OK);
		roundtrip(st);
		ck_assert_msg(ima_feed(st, h, buf, len, IMA_FORMAT_AUTO, 0,
		    NULL, NULL, &err) == RIV_OK, "%s", err.msg);
		assert_same_pcrs(full, st, name);
	}
	/* one entry at a time, with a JSON round trip each */
	ima_state_init(st, 0);
	for (k = 0; k < n; k++) {
		ck_assert_msg(ima_feed(st, h, buf + off[k], off[k + 1] - off[k],
		    IMA_FORMAT_AUTO, k, NULL, NULL, &err) == RIV_OK,
		    "%s entry %zu: %s", name, k, err.msg);
		if (k % 7 == 0)
			roundtrip(st);
	}
	assert_same_pcrs(full, st, name);
	/* an empty tail applies nothing; a gap is refused */
	ck_assert_int_eq(ima_feed(st, h, buf, 0, IMA_FORMAT_AUTO, n, NULL,
	    NULL, &err), RIV_OK);
	ima_state_init(st, 0);
	ck_assert_int_eq(ima_feed(st, h, buf + off[2], len - off[2],
	    IMA_FORMAT_AUTO, 2, NULL, NULL, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "starts at entry 2") != NULL, "%s",
	    err.msg);
	/* a tail starting inside what the state covers is refused too */
	ck_assert_int_eq(ima_feed(st, h, buf, off[3], IMA_FORMAT_AUTO, 0,
	    NULL, NULL, &err), RIV_OK);
	ck_assert_int_eq(ima_feed(st, h, buf + off[1], len - off[1],
	    IMA_FORMAT_AUTO, 1, NULL, NULL, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "starts at entry 1, inside the entries "
	    "the state covers (before 3)") != NULL, "%s", err.msg);
	ck_assert_uint_eq(st->next, 3);
	hasher_free(h);
	free(buf);
	ima_state_free(full);
	ima_state_free(st);
}
END_TEST

/* A state refuses another boot's list and a list shorter than it. */
START_TEST(test_state_other_list)
{
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct riv_err err;
	uint8_t *a, *b;
	size_t alen, blen;

	a = read_list(TSS_NG, &alen);
	b = read_list(IBM_SHA1, &blen);
	ck_assert_int_eq(ima_feed(st, h, b, blen, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	ck_assert_int_eq(ima_feed(st, h, a, alen, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "another boot") != NULL, "%s", err.msg);
	ck_assert_uint_eq(st->next, 362);
	ima_state_init(st, 0);
	ck_assert_int_eq(ima_feed(st, h, b, blen, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	ck_assert_int_eq(ima_feed(st, h, b, blen / 2, IMA_FORMAT_AUTO, 0,
	    NULL, NULL, &err), RIV_MALFORMED);
	hasher_free(h);
	free(a);
	free(b);
	ima_state_free(st);
}
END_TEST

/* Build a quote of PCR 10 from recorded values after entry k. */
static void
quote_at(const struct seen *s, size_t k, struct pcrset *q, int sha1_only)
{
	pcrset_init(q);
	pcrset_set(q, BANK_SHA1, 10, s->pcr_sha1[k]);
	if (!sha1_only)
		pcrset_set(q, BANK_SHA256, 10, s->pcr_sha256[k]);
}

/* A lagging quote finds its checkpoint; a growing lag is flagged. */
START_TEST(test_quote_lag)
{
	static const size_t batches[] = { 100, 200, 300, 362 };
	static const size_t quoted[] = { 95, 190, 285, 340 };
	struct ima_state *st = ima_state_new(0), *st2 = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct hasher *h = hasher_new();
	struct ima_quote q;
	struct pcrset pq;
	struct riv_err err;
	size_t off[400], len, n, i;
	uint8_t *buf;

	buf = read_list(IBM_SHA256, &len);
	s->st = st;
	ck_assert_int_eq(replay(buf, len, st, see, s, &err), RIV_OK);
	n = s->n;
	ck_assert_uint_eq(n, 362);
	/* the current value: checkpoint is the last entry */
	quote_at(s, n - 1, &pq, 0);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_int_eq(q.matched, 1);
	ck_assert_int_eq(q.full, 1);
	ck_assert_uint_eq(q.checkpoint, n - 1);
	ck_assert_uint_eq(q.pending, 0);
	/* an earlier value: sha1 and sha256; sha1 alone (sha1 replayed) */
	for (i = 0; i < 2; i++) {
		ima_state_init(st, i == 0 ? 0 : 1u << BANK_SHA1);
		ck_assert_int_eq(ima_feed(st, h, buf, len, IMA_FORMAT_AUTO, 0,
		    NULL, NULL, &err), RIV_OK);
		quote_at(s, 200, &pq, i == 1);
		ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
		ck_assert_uint_eq(q.checkpoint, 200);
		ck_assert_uint_eq(q.pending, n - 200 - 1);
		ck_assert_int_eq(q.lagging, 0);
	}
	/* an older value than the last checkpoint no longer matches */
	quote_at(s, 150, &pq, 0);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	ck_assert_int_eq(q.matched, 0);
	/* before any quote the history keeps sha1 too: sha1 alone finds */
	ima_state_init(st, 0);
	ck_assert_int_eq(replay(buf, len, st, NULL, NULL, &err), RIV_OK);
	quote_at(s, 200, &pq, 1);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_uint_eq(q.checkpoint, 200);
	ck_assert_int_eq(q.full, 1);
	quote_at(s, 361, &pq, 1);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	/* a value matching no prefix fails */
	ima_state_init(st, 0);
	ck_assert_int_eq(replay(buf, len, st, NULL, NULL, &err), RIV_OK);
	quote_at(s, 10, &pq, 0);
	pq.val[BANK_SHA256][10][0] ^= 1;
	pq.val[BANK_SHA1][10][0] ^= 1;
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	ck_assert_msg(strstr(q.reason, "PCRs (10 extended") != NULL, "%s",
	    q.reason);
	ck_assert_int_eq(q.found, 0);
	/* current sha256 right but sha1 wrong: a bank mismatch fails */
	quote_at(s, n - 1, &pq, 0);
	pq.val[BANK_SHA1][10][0] ^= 1;
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	/* growing lag over batches, through the JSON state */
	n = entry_offsets(buf, len, off, 399);
	ima_state_init(st2, 0);
	for (i = 0; i < 4; i++) {
		size_t from = i ? batches[i - 1] : 0;

		ck_assert_int_eq(ima_feed(st2, h, buf + off[from],
		    off[batches[i]] - off[from], IMA_FORMAT_AUTO, from, NULL,
		    NULL, &err), RIV_OK);
		quote_at(s, quoted[i], &pq, 0);
		ck_assert_int_eq(ima_quote_check(st2, &pq, &q), RIV_OK);
		ck_assert_uint_eq(q.checkpoint, quoted[i]);
		ck_assert_uint_eq(q.pending, batches[i] - quoted[i] - 1);
		ck_assert_int_eq(q.lagging, i == 3);
		roundtrip(st2);
	}
	/* a quote that catches up clears the flag */
	quote_at(s, 361, &pq, 0);
	ck_assert_int_eq(ima_quote_check(st2, &pq, &q), RIV_OK);
	ck_assert_uint_eq(q.pending, 0);
	ck_assert_int_eq(q.lagging, 0);
	/* no PCR 10 in a replayed bank */
	pcrset_init(&pq);
	ck_assert_int_eq(ima_quote_check(st2, &pq, &q), RIV_FAIL);
	hasher_free(h);
	free(s);
	free(buf);
	ima_state_free(st);
	ima_state_free(st2);
}
END_TEST

/* A watched quote is found beyond the history; unwatched it is not. */
START_TEST(test_quote_watch)
{
	struct ima_state *st = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct hasher *h = hasher_new();
	struct ima_quote q;
	struct pcrset pq;
	struct riv_err err;
	uint8_t *buf;
	size_t len;

	buf = read_list(KEYLIME_ASCII, &len);
	s->st = st;
	ck_assert_int_eq(replay(buf, len, st, see, s, &err), RIV_OK);
	ck_assert_uint_eq(s->n, 826);
	quote_at(s, 100, &pq, 0);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	ima_state_init(st, 0);
	ima_quote_watch(st, &pq);
	ck_assert_int_eq(ima_feed(st, h, buf, len, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_int_eq(q.full, 1);
	ck_assert_uint_eq(q.checkpoint, 100);
	ck_assert_uint_eq(q.pending, 725);
	ck_assert_ptr_null(st->watch);
	hasher_free(h);
	free(s);
	free(buf);
	ima_state_free(st);
}
END_TEST

/* A violation extends all-ones and is no mismatch; ff in every bank. */
START_TEST(test_violation)
{
	struct ima_state *st = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct buf b = { NULL, 0, 0 }, td = { NULL, 0, 0 };
	struct riv_err err;
	uint8_t want[DIGEST_MAX], d[DIGEST_MAX], ff[DIGEST_MAX];
	int bank;

	memset(ff, 0xff, sizeof(ff));
	entry_ng(&b, "boot_aggregate", 1, 0, 0);
	entry_ng(&b, "/etc/passwd", 0, 1, 0);
	entry_ng(&b, "/bin/sh", 2, 0, 0);
	ck_assert_msg(replay(b.d, b.n, st, see, s, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_uint_eq(s->n, 3);
	ck_assert_uint_eq(s->violations, 1);
	ck_assert_uint_eq(s->mismatches, 0);
	for (bank = 0; bank < BANK_COUNT; bank++) {
		if (!bank_available(bank))
			continue;
		memset(want, 0, sizeof(want));
		td.n = 0;
		field_dng(&td, 1, 0);
		field_str(&td, "boot_aggregate", 0);
		ck_assert_int_eq(bank_hash(bank, td.d, td.n, d), 0);
		ck_assert_int_eq(bank_extend(bank, want, d), 0);
		ck_assert_int_eq(bank_extend(bank, want, ff), 0);
		td.n = 0;
		field_dng(&td, 2, 0);
		field_str(&td, "/bin/sh", 0);
		ck_assert_int_eq(bank_hash(bank, td.d, td.n, d), 0);
		ck_assert_int_eq(bank_extend(bank, want, d), 0);
		ck_assert_msg(memcmp(want, pcr_value(st, bank, 10),
		    bank_get(bank)->size) == 0, "bank %s",
		    bank_get(bank)->name);
	}
	free(td.d);
	free(b.d);
	free(s);
	ima_state_free(st);
}
END_TEST

/* Flipping a byte of template data is a mismatch of that entry only. */
START_TEST(test_mismatch)
{
	static const char sha1_ref[] =
	    "9be6bac02bf18d09d17e726c2df00bca4e8831ea";
	struct ima_state *st = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct riv_err err;
	size_t off[400], len;
	char hex[41];
	uint8_t *buf;

	buf = read_list(IBM_SHA1, &len);
	entry_offsets(buf, len, off, 399);
	buf[off[5] + 39 + 4 + 12] ^= 0x20;	/* entry 5's file digest */
	ck_assert_int_eq(replay(buf, len, st, see, s, &err), RIV_OK);
	ck_assert_uint_eq(s->mismatches, 1);
	ck_assert_int_eq(s->first_mismatch, 5);
	/* the list bank extends the logged digests: still the quote's */
	hex_encode(pcr_value(st, BANK_SHA1, 10), 20, hex);
	ck_assert_str_eq(hex, sha1_ref);
	free(s);
	free(buf);
	ima_state_free(st);
}
END_TEST

/* Expect a list to be malformed with a message containing want. */
static void
expect_malformed(const uint8_t *buf, size_t len, const char *want)
{
	struct ima_state *st = ima_state_new(0);
	struct riv_err err = { "" };

	ck_assert_int_eq(replay(buf, len, st, NULL, NULL, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, want) != NULL, "wanted \"%s\" in \"%s\"",
	    want, err.msg);
	ima_state_free(st);
}

/* Malformed binary lists name the entry and its byte offset. */
START_TEST(test_malformed_binary)
{
	struct ima_reader r;
	struct riv_err err;
	size_t off[400], len;
	uint8_t *buf, *copy;
	char want[128];

	ck_assert_int_eq(ima_reader_open(&r, (const uint8_t *)"", 0,
	    IMA_FORMAT_AUTO, -1, 0, &err), RIV_MALFORMED);
	ck_assert(strstr(err.msg, "empty") != NULL);
	buf = read_list(IBM_SHA1, &len);
	entry_offsets(buf, len, off, 399);
	copy = malloc(len);
	/* truncated inside entry 3 */
	snprintf(want, sizeof(want), "entry 3 at byte offset %zu: truncated",
	    off[3]);
	expect_malformed(buf, off[3] + 30, want);
	expect_malformed(buf, off[3] + 2, want);
	/* absurd template name length of entry 2 */
	memcpy(copy, buf, len);
	copy[off[2] + 24] = 0;
	copy[off[2] + 26] = 0x10;
	snprintf(want, sizeof(want), "entry 2 at byte offset %zu: template "
	    "name length 1048576 at byte offset %zu", off[2], off[2] + 24);
	expect_malformed(copy, len, want);
	/* unknown template in entry 1 */
	memcpy(copy, buf, len);
	memcpy(copy + off[1] + 28, "ima-xyz", 7);
	snprintf(want, sizeof(want), "entry 1 at byte offset %zu: unknown "
	    "template \"ima-xyz\"", off[1]);
	expect_malformed(copy, len, want);
	/* template data length beyond the list */
	memcpy(copy, buf, len);
	copy[off[4] + 35 + 3] = 0x7f;
	snprintf(want, sizeof(want), "entry 4 at byte offset %zu: template "
	    "data length", off[4]);
	expect_malformed(copy, len, want);
	/* a field length that does not fill the template data */
	memcpy(copy, buf, len);
	copy[off[1] + 39]++;	/* first field's length */
	snprintf(want, sizeof(want), "entry 1 at byte offset %zu: template "
	    "ima-sig:", off[1]);
	expect_malformed(copy, len, want);
	/* PCR out of range */
	memcpy(copy, buf, len);
	copy[off[7]] = 24;
	snprintf(want, sizeof(want), "entry 7 at byte offset %zu: PCR 24",
	    off[7]);
	expect_malformed(copy, len, want);
	/* garbage after the last entry (not one newline) */
	snprintf(want, sizeof(want), "entry 362 at byte offset %zu: "
	    "truncated", len);
	free(copy);
	copy = malloc(len + 2);
	memcpy(copy, buf, len);
	copy[len] = '\n';
	copy[len + 1] = '\n';
	expect_malformed(copy, len + 2, want);
	free(copy);
	free(buf);
}
END_TEST

/* Malformed ASCII lists name the entry and line. */
START_TEST(test_malformed_ascii)
{
	static const char *bad[][2] = {
		{ "10 zz8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:0000000000000000000000000000000000000000 x\n",
		    "entry 0, line 1 (byte offset 0): template digest" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00000000000000000000000000000000000000 x\n"
		    "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:0000000000000000000000000000000000000q x\n",
		    "entry 1, line 2 (byte offset 97): field d-ng" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00\n", "entry 0, line 1 (byte offset 0): template "
		    "ima-ng needs 2" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-foo "
		    "sha1:00 x\n", "unknown template \"ima-foo\"" },
		{ "30 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00 x\n", "PCR 30 is beyond the TPM PCRs" },
		{ "64 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00 x\n", "PCR 64 is out of range (IMA's pcr= "
		    "accepts 0-63)" },
		{ "1\x1b 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00 x\n", "PCR \"1?\" is not a decimal number" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:0000000000000000000000000000000000000000 x\n"
		    "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:0000000000000000000000000000000000000000 x",
		    "entry 1, line 2 (byte offset 99): truncated: the line "
		    "does not end with a newline" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00 x\n  9 1d8d532d463c9f8c205d0df7787669a85f93e260 "
		    "ima-ng sha1:00 x\n", "entry 1, line 2 (byte offset 61): "
		    "expected \"PCR" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00 x\n\n10 1d8d", "line 2 (byte offset 61): empty" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima-ng "
		    "sha1:00 x\n10 1d8d", "entry 1, line 2" },
		{ "10 1d8d532d463c9f8c205d0df7787669a85f93e260 ima "
		    "00 x\n", "\"ima\" template needs a 20-byte" },
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_malformed((const uint8_t *)bad[i][0],
		    strlen(bad[i][0]), bad[i][1]);
}
END_TEST

/*
 * Append the ASCII line of an entry of template tname whose template data
 * is td (its SHA1 template digest computed here) and whose field text is
 * text (each field preceded by a space, as the kernel writes it).
 */
static void
ascii_line(struct buf *b, const char *tname, const struct buf *td,
    const char *text)
{
	char line[1024], dh[41];
	uint8_t d[20];

	ck_assert_int_eq(bank_hash(BANK_SHA1, td->d, td->n, d), 0);
	hex_encode(d, 20, dh);
	snprintf(line, sizeof(line), "10 %s %s%s\n", dh, tname, text);
	put(b, line, strlen(line));
}

/*
 * An ASCII list edited by a tool that strips trailing white space: the
 * kernel's " " of an empty ima-sig signature (or the three empty fields of
 * ima-modsig) is gone.  Those fields are taken as empty and the template
 * digest still proves the entry; a missing field that was not empty is a
 * digest mismatch, and fields up to the name cannot be missing.
 */
START_TEST(test_ascii_trailing)
{
	struct buf kern = { NULL, 0, 0 }, cut = { NULL, 0, 0 };
	struct buf td = { NULL, 0, 0 };
	struct ima_state *a = ima_state_new(0), *b = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct riv_err err = { "" };
	char fh[65], text[256];
	uint8_t f[32];

	ck_assert_ptr_nonnull(s);
	memset(f, 0x21, sizeof(f));
	hex_encode(f, 32, fh);
	ascii_ng(&kern, 10, "boot_aggregate", 7);
	ascii_ng(&cut, 10, "boot_aggregate", 7);
	/* ima-sig, empty signature: "... /usr/bin/a \n" */
	field_dng(&td, 0x21, 0);
	field_str(&td, "/usr/bin/a", 0);
	field(&td, "", 0, 0);
	snprintf(text, sizeof(text), " sha256:%s /usr/bin/a ", fh);
	ascii_line(&kern, "ima-sig", &td, text);
	text[strlen(text) - 1] = '\0';
	ascii_line(&cut, "ima-sig", &td, text);
	/* ima-modsig without sig, d-modsig, modsig: three spaces lost */
	td.n = 0;
	field_dng(&td, 0x21, 0);
	field_str(&td, "/lib/m.ko", 0);
	field(&td, "", 0, 0);
	field(&td, "", 0, 0);
	field(&td, "", 0, 0);
	snprintf(text, sizeof(text), " sha256:%s /lib/m.ko   ", fh);
	ascii_line(&kern, "ima-modsig", &td, text);
	snprintf(text, sizeof(text), " sha256:%s /lib/m.ko", fh);
	ascii_line(&cut, "ima-modsig", &td, text);
	ck_assert_msg(replay(kern.d, kern.n, a, NULL, NULL, &err) == RIV_OK,
	    "%s", err.msg);
	ck_assert_msg(replay(cut.d, cut.n, b, see, s, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_uint_eq(s->n, 3);
	ck_assert_uint_eq(s->mismatches, 0);
	assert_same_pcrs(a, b, "edited list vs the kernel's");

	/* A signature that was there and is gone: the digest tells. */
	td.n = 0;
	field_dng(&td, 0x21, 0);
	field_str(&td, "/usr/bin/b", 0);
	field(&td, "\x03\x02\x04", 3, 0);
	snprintf(text, sizeof(text), " sha256:%s /usr/bin/b", fh);
	ascii_line(&cut, "ima-sig", &td, text);
	memset(s, 0, sizeof(*s));
	ck_assert_msg(replay(cut.d, cut.n, b, see, s, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_uint_eq(s->n, 4);
	ck_assert_uint_eq(s->mismatches, 1);
	ck_assert_int_eq(s->first_mismatch, 3);

	/* The path cannot be missing, in ima-sig nor in ima-ng. */
	cut.n = 0;
	snprintf(text, sizeof(text), " sha256:%s", fh);
	ascii_line(&cut, "ima-sig", &td, text);
	expect_malformed(cut.d, cut.n, "entry 0, line 1 (byte offset 0): "
	    "template ima-sig needs 3 space-separated fields");
	cut.n = 0;
	ascii_line(&cut, "ima-ng", &td, text);
	expect_malformed(cut.d, cut.n, "template ima-ng needs 2");
	/* Nor the name of a template that ends with it. */
	cut.n = 0;
	ascii_line(&cut, "ima", &td, " 0000000000000000000000000000000000000000");
	expect_malformed(cut.d, cut.n, "template ima needs 2");
	free(kern.d);
	free(cut.d);
	free(td.d);
	free(s);
	ima_state_free(a);
	ima_state_free(b);
}
END_TEST

/*
 * Custom and less common templates in binary and ASCII: ima-buf, ima-sigv2
 * (d-ngv2), a custom format with iuid/igid/imode, ima-modsig; an ASCII
 * name with spaces; a big-endian list.
 */
START_TEST(test_templates)
{
	struct buf b = { NULL, 0, 0 }, td = { NULL, 0, 0 };
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	struct seen *s = calloc(1, sizeof(*s));
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	uint8_t v2[16 + 32], modsig[3] = { 1, 2, 3 };
	uint32_t uid = 1000;
	uint16_t mode = 0100644;
	int be, k;
	char line[1024], *big;

	for (be = 0; be < 2; be++) {
		b.n = 0;
		entry_ng(&b, "boot_aggregate", 7, 0, be);
		td.n = 0;
		field_dng(&td, 3, be);
		field_str(&td, "kernel_version", be);
		field(&td, "6.1.0", 5, be);
		entry(&b, 10, "ima-buf", &td, 0, be);
		td.n = 0;
		memcpy(v2, "verity:sha256:", 15);
		memset(v2 + 15, 9, 32);
		field(&td, v2, 15 + 32, be);
		field_str(&td, "/usr/bin/v", be);
		field(&td, "\x03\x02", 2, be);
		entry(&b, 10, "ima-sigv2", &td, 0, be);
		td.n = 0;
		field_dng(&td, 4, be);
		field_str(&td, "/etc/shadow", be);
		field(&td, be ? "\0\0\x03\xe8" : "\xe8\x03\0\0", 4, be);
		field(&td, be ? "\x81\xa4" : "\xa4\x81", 2, be);
		entry(&b, 11, "d-ng|n-ng|iuid|imode", &td, 0, be);
		td.n = 0;
		field_dng(&td, 5, be);
		field_str(&td, "/lib/modules/x.ko", be);
		field(&td, "", 0, be);
		field_dng(&td, 6, be);
		field(&td, modsig, 3, be);
		entry(&b, 10, "ima-modsig", &td, 0, be);
		ck_assert_int_eq(ima_reader_open(&r, b.d, b.n, IMA_FORMAT_AUTO,
		    -1, 0, &err), RIV_OK);
		ck_assert_int_eq(r.big_endian, be);
		ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
		ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
		ck_assert_str_eq(e.template_name, "ima-buf");
		ck_assert_uint_eq(e.buf_len, 5);
		ck_assert(memcmp(e.buf, "6.1.0", 5) == 0);
		ck_assert_uint_eq(e.path_len, 14);
		ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
		ck_assert_str_eq(e.digest_type, "verity");
		ck_assert_str_eq(e.file_algo, "sha256");
		ck_assert_uint_eq(e.file_digest_len, 32);
		ck_assert_uint_eq(e.file_digest[0], 9);
		ck_assert_uint_eq(e.sig_len, 2);
		ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
		ck_assert_uint_eq(e.pcr, 11);
		ck_assert_int_eq(e.has_uid, 1);
		ck_assert_uint_eq(e.uid, uid);
		ck_assert_int_eq(e.has_mode, 1);
		ck_assert_uint_eq(e.mode, mode);
		ck_assert_int_eq(e.has_gid, 0);
		ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
		ck_assert_ptr_null(e.sig);
		ck_assert_str_eq(e.modsig_algo, "sha256");
		ck_assert_uint_eq(e.modsig_digest_len, 32);
		ck_assert_uint_eq(e.modsig_len, 3);
		ck_assert_int_eq(ima_verify_entry(h, BANK_SHA1, &e), RIV_OK);
		ck_assert_int_eq(ima_reader_next(&r, &e, &err), 0);
		ima_reader_close(&r);
		s->n = s->mismatches = 0;
		ck_assert_msg(replay(b.d, b.n, st, see, s, &err) == RIV_OK,
		    "%s", err.msg);
		ck_assert_uint_eq(s->n, 5);
		ck_assert_uint_eq(s->mismatches, 0);
		ck_assert_uint_eq(st->touched, 1u << 10 | 1u << 11);
	}
	/* ASCII: a custom template, and an old-style name with spaces */
	td.n = 0;
	field_dng(&td, 4, 0);
	field_str(&td, "/a b  c", 0);
	field(&td, "\xe8\x03\0\0", 4, 0);
	{
		uint8_t d[20];
		char dh[41], fh[65];

		ck_assert_int_eq(bank_hash(BANK_SHA1, td.d, td.n, d), 0);
		hex_encode(d, 20, dh);
		memset(fh, '0', 64);
		fh[64] = '\0';
		for (k = 0; k < 64; k += 2)
			memcpy(fh + k, "04", 2);
		snprintf(line, sizeof(line), "10 %s d-ng|n-ng|iuid sha256:%s "
		    "/a b  c 1000\n", dh, fh);
	}
	ck_assert_int_eq(ima_reader_open(&r, (uint8_t *)line, strlen(line),
	    IMA_FORMAT_AUTO, -1, 0, &err), RIV_OK);
	ck_assert_int_eq(ima_reader_next(&r, &e, &err), 1);
	ck_assert_uint_eq(e.path_len, 7);
	ck_assert(memcmp(e.path, "/a b  c", 7) == 0);
	ck_assert_uint_eq(e.uid, 1000);
	ck_assert_int_eq(ima_verify_entry(h, BANK_SHA1, &e), RIV_OK);
	ima_reader_close(&r);
	/* "ima" template names longer than 255 bytes are malformed */
	b.n = 0;
	td.n = 0;
	put(&td, v2, 20);
	big = malloc(300);
	memset(big, 'a', 300);
	put32(&td, 300, 0);
	put(&td, big, 300);
	put32(&b, 10, 0);
	put(&b, v2, 20);
	put32(&b, 3, 0);
	put(&b, "ima", 3);
	put(&b, td.d, td.n);
	expect_malformed(b.d, b.n, "\"ima\" template name length 300");
	free(big);
	hasher_free(h);
	ima_state_free(st);
	free(s);
	free(td.d);
	free(b.d);
}
END_TEST

/* Extend v with a digest zero-padded from 20 bytes to the bank's size. */
static void
extend_padded(int bank, uint8_t *v, const uint8_t *d20)
{
	uint8_t pad[DIGEST_MAX] = { 0 };

	memcpy(pad, d20, 20);
	ck_assert_int_eq(bank_extend(bank, v, pad), 0);
}

/*
 * A kernel before 5.8 extends sha256 with the SHA1 template digests
 * zero-padded: the replay keeps that value beside the per-bank one, a
 * quote tells which the attester uses, and from then on only that one is
 * computed.
 */
START_TEST(test_padded_rule)
{
	static const char padded_ref[] =
	    "a3d362a5e9bbe6132d9090da2d727f0fc698ad0c70009a8a87bb5d6e7d5ea6aa";
	static const char per_bank_ref[] =
	    "7fac48c81837d6d29046008aef0cdad8c2745cc98c3340cbba9bfdf39b4124b8";
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct ima_reader r;
	struct ima_entry e;
	struct ima_quote q;
	struct pcrset pq, shown;
	struct riv_err err;
	uint8_t *buf, v[32] = { 0 }, v99[32], d[32];
	size_t len, off[400], n;
	char hex[65];

	buf = read_list(IBM_SHA1, &len);
	n = entry_offsets(buf, len, off, 399);
	/* the padded value, computed here from the logged digests */
	ck_assert_int_eq(ima_reader_open(&r, buf, len, IMA_FORMAT_AUTO, -1, 0,
	    &err), RIV_OK);
	while (ima_reader_next(&r, &e, &err) == 1) {
		ck_assert_int_eq(e.violation, 0);
		ck_assert_uint_eq(e.pcr, 10);
		extend_padded(BANK_SHA256, v, e.template_digest);
		if (e.index == 99)
			memcpy(v99, v, 32);
	}
	ima_reader_close(&r);
	hex_encode(v, 32, hex);
	ck_assert_str_eq(hex, padded_ref);
	/* replayed beside the per-bank value, which is what is shown */
	ck_assert_int_eq(replay(buf, len, st, NULL, NULL, &err), RIV_OK);
	ck_assert(memcmp(pcrset_get(&st->val[IMA_RULE_PAD], BANK_SHA256, 10),
	    v, 32) == 0);
	ima_state_values(st, &shown);
	hex_encode(pcrset_get(&shown, BANK_SHA256, 10), 32, hex);
	ck_assert_str_eq(hex, per_bank_ref);
	/* a quote of the padded value matches it, and says so */
	pcrset_init(&pq);
	pcrset_set(&pq, BANK_SHA256, 10, v);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_int_eq(q.matched, 1);
	ck_assert_int_eq(q.full, 1);
	ck_assert_uint_eq(q.checkpoint, n - 1);
	ck_assert_uint_eq(q.rules[BANK_SHA256],
	    1u << IMA_RULE_PAD | 1u << IMA_RULE_PADFF);
	ck_assert_uint_eq(q.rules[BANK_SHA1], 0);
	ck_assert_uint_eq(st->rules[BANK_SHA256],
	    1u << IMA_RULE_PAD | 1u << IMA_RULE_PADFF);
	ck_assert_uint_eq(st->rules[BANK_SHA384], IMA_RULES_ALL);
	ima_state_values(st, &shown);
	ck_assert(memcmp(pcrset_get(&shown, BANK_SHA256, 10), v, 32) == 0);
	roundtrip(st);
	ck_assert_uint_eq(st->rules[BANK_SHA256],
	    1u << IMA_RULE_PAD | 1u << IMA_RULE_PADFF);
	/* the per-bank value no longer matches */
	hex_decode(per_bank_ref, 64, d, sizeof(d), &len);
	pcrset_set(&pq, BANK_SHA256, 10, d);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	/* once known after entry 99, only the padded value is computed */
	free(buf);
	buf = read_list(IBM_SHA1, &len);
	ima_state_init(st, 0);
	ck_assert_int_eq(ima_feed(st, h, buf, off[100], IMA_FORMAT_AUTO, 0,
	    NULL, NULL, &err), RIV_OK);
	pcrset_set(&pq, BANK_SHA256, 10, v99);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_uint_eq(q.checkpoint, 99);
	roundtrip(st);
	ck_assert_int_eq(ima_feed(st, h, buf + off[100], len - off[100],
	    IMA_FORMAT_AUTO, 100, NULL, NULL, &err), RIV_OK);
	ck_assert_uint_eq(st->val[IMA_RULE_BANK].mask[BANK_SHA256], 0);
	ck_assert(memcmp(pcrset_get(&st->val[IMA_RULE_PAD], BANK_SHA256, 10),
	    v, 32) == 0);
	/* a per-bank quote reports per-bank */
	ck_assert_int_eq(replay(buf, len, st, NULL, NULL, &err), RIV_OK);
	pcrset_set(&pq, BANK_SHA256, 10, d);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_uint_eq(q.rules[BANK_SHA256], 1u << IMA_RULE_BANK);
	ck_assert_uint_eq(st->val[IMA_RULE_PAD].mask[BANK_SHA256], 0);
	hasher_free(h);
	free(buf);
	ima_state_free(st);
}
END_TEST

/*
 * A violation tells the padded rules apart: before 5.8, 20 bytes of 0xff
 * then zeros; 5.8+ for a bank it cannot hash, all-ones.
 */
START_TEST(test_padded_violation)
{
	struct ima_state *st = ima_state_new(0);
	struct buf b = { NULL, 0, 0 };
	struct ima_reader r;
	struct ima_entry e;
	struct ima_quote q;
	struct pcrset pq, shown;
	struct riv_err err;
	uint8_t pre58[32] = { 0 }, ff[32] = { 0 }, ones[32], v20[20];
	int k;

	memset(ones, 0xff, sizeof(ones));
	memset(v20, 0xff, sizeof(v20));
	entry_ng(&b, "boot_aggregate", 1, 0, 0);
	entry_ng(&b, "/etc/passwd", 0, 1, 0);
	entry_ng(&b, "/bin/sh", 2, 0, 0);
	ck_assert_int_eq(ima_reader_open(&r, b.d, b.n, IMA_FORMAT_AUTO, -1, 0,
	    &err), RIV_OK);
	while (ima_reader_next(&r, &e, &err) == 1) {
		if (e.violation) {
			extend_padded(BANK_SHA256, pre58, v20);
			ck_assert_int_eq(bank_extend(BANK_SHA256, ff, ones), 0);
		} else {
			extend_padded(BANK_SHA256, pre58, e.template_digest);
			extend_padded(BANK_SHA256, ff, e.template_digest);
		}
	}
	ima_reader_close(&r);
	ck_assert(memcmp(pre58, ff, 32) != 0);
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(replay(b.d, b.n, st, NULL, NULL, &err),
		    RIV_OK);
		ck_assert_uint_eq(st->pad_split & (1u << BANK_SHA256),
		    1u << BANK_SHA256);
		roundtrip(st);
		pcrset_init(&pq);
		pcrset_set(&pq, BANK_SHA256, 10, k == 0 ? pre58 : ff);
		ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
		ck_assert_uint_eq(q.rules[BANK_SHA256], 1u << (k == 0 ?
		    IMA_RULE_PAD : IMA_RULE_PADFF));
		roundtrip(st);
		ima_state_values(st, &shown);
		ck_assert(memcmp(pcrset_get(&shown, BANK_SHA256, 10),
		    k == 0 ? pre58 : ff, 32) == 0);
	}
	free(b.d);
	ima_state_free(st);
}
END_TEST

/*
 * ASCII lists write PCRs 0-9 as " 9" ("%2d "): such a list is ASCII,
 * whether PCR 9 comes first or in the middle, and replays as its binary
 * form.
 */
START_TEST(test_space_pcr)
{
	static const uint32_t pcrs[2][3] = { { 9, 10, 10 }, { 10, 9, 10 } };
	struct ima_state *a = ima_state_new(0), *bs = ima_state_new(0);
	struct seen *s = calloc(1, sizeof(*s));
	struct buf txt = { NULL, 0, 0 }, bin = { NULL, 0, 0 };
	struct riv_err err;
	int k, i;

	for (k = 0; k < 2; k++) {
		txt.n = bin.n = 0;
		for (i = 0; i < 3; i++) {
			ascii_ng(&txt, pcrs[k][i], i ? "/bin/x" :
			    "boot_aggregate", i + 1);
			entry_ng_on(&bin, pcrs[k][i], i ? "/bin/x" :
			    "boot_aggregate", i + 1, 0, 0);
		}
		ck_assert_int_eq(k == 0 ? txt.d[0] : ((uint8_t *)memchr(txt.d,
		    '\n', txt.n))[1], ' ');
		ck_assert_int_eq(ima_detect_format(txt.d, txt.n),
		    IMA_FORMAT_ASCII);
		s->n = s->mismatches = 0;
		ck_assert_msg(replay(txt.d, txt.n, a, see, s, &err) == RIV_OK,
		    "%s", err.msg);
		ck_assert_uint_eq(s->n, 3);
		ck_assert_uint_eq(s->mismatches, 0);
		ck_assert_uint_eq(a->touched, 1u << 9 | 1u << 10);
		ck_assert_int_eq(replay(bin.d, bin.n, bs, NULL, NULL, &err),
		    RIV_OK);
		assert_same_pcrs(a, bs, "ASCII with \" 9\" vs binary");
	}
	free(txt.d);
	free(bin.d);
	free(s);
	ima_state_free(a);
	ima_state_free(bs);
}
END_TEST

/* Count the entries an ima_feed callback sees. */
static int
count_cb(const struct ima_entry *e, int mismatch, void *arg)
{
	(void)e;
	(void)mismatch;
	(*(size_t *)arg)++;
	return 0;
}

/*
 * After a reboot the new list may share boot_aggregate and even the entry
 * at the state's last index with the old one: the state must still refuse
 * it, and accept the same boot's list grown.
 */
START_TEST(test_other_boot)
{
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct buf b1 = { NULL, 0, 0 }, b2 = { NULL, 0, 0 }, b3 = { NULL, 0,
	    0 };
	struct riv_err err;
	size_t seen = 0;

	entry_ng(&b1, "boot_aggregate", 1, 0, 0);
	entry_ng(&b1, "/etc/x", 2, 1, 0);	/* a violation */
	entry_ng(&b1, "/bin/y", 3, 0, 0);
	entry_ng(&b2, "boot_aggregate", 1, 0, 0);
	entry_ng(&b2, "/etc/z", 4, 0, 0);
	entry_ng(&b2, "/bin/y", 3, 0, 0);	/* entry 2 as in boot 1 */
	entry_ng(&b2, "/bin/w", 5, 0, 0);
	put(&b3, b1.d, b1.n);
	entry_ng(&b3, "/bin/w", 5, 0, 0);
	ck_assert_int_eq(ima_feed(st, h, b1.d, b1.n, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	roundtrip(st);
	ck_assert_int_eq(ima_feed(st, h, b2.d, b2.n, IMA_FORMAT_AUTO, 0,
	    count_cb, &seen, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "entries 0-2 (the ones the state "
	    "covers) do not replay to the state's sha1 PCR 10: the state "
	    "belongs to another boot") != NULL, "%s", err.msg);
	ck_assert_uint_eq(seen, 0);
	ck_assert_uint_eq(st->next, 3);
	ck_assert_int_eq(ima_feed(st, h, b3.d, b3.n, IMA_FORMAT_AUTO, 0,
	    count_cb, &seen, &err), RIV_OK);
	ck_assert_uint_eq(seen, 1);
	ck_assert_uint_eq(st->next, 4);
	hasher_free(h);
	free(b1.d);
	free(b2.d);
	free(b3.d);
	ima_state_free(st);
}
END_TEST

/*
 * Entries on a PCR other than 10 are compared with the quote: a forged
 * PCR 11 entry fails, and a quote without PCR 11 does not cover them.
 */
START_TEST(test_pcr_uncovered)
{
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct buf real = { NULL, 0, 0 }, forged = { NULL, 0, 0 },
	    late = { NULL, 0, 0 };
	struct ima_quote q;
	struct pcrset pq;
	struct riv_err err;
	uint8_t v10[32], v11[32], v1[32];

	entry_ng(&real, "boot_aggregate", 1, 0, 0);
	entry_ng_on(&real, 11, "/opt/good.sh", 2, 0, 0);
	entry_ng(&real, "/bin/x", 3, 0, 0);
	entry_ng(&forged, "boot_aggregate", 1, 0, 0);
	entry_ng_on(&forged, 11, "/opt/evil.sh", 9, 0, 0);
	entry_ng(&forged, "/bin/x", 3, 0, 0);
	ck_assert_int_eq(replay(real.d, real.n, st, NULL, NULL, &err),
	    RIV_OK);
	memcpy(v10, pcr_value(st, BANK_SHA256, 10), 32);
	memcpy(v11, pcr_value(st, BANK_SHA256, 11), 32);
	/* both PCRs quoted: matched */
	pcrset_init(&pq);
	pcrset_set(&pq, BANK_SHA256, 10, v10);
	pcrset_set(&pq, BANK_SHA256, 11, v11);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_uint_eq(q.uncovered, 0);
	/* the forged PCR 11 entry: PCR 10 still matches, PCR 11 does not */
	ck_assert_int_eq(replay(forged.d, forged.n, st, NULL, NULL, &err),
	    RIV_OK);
	ck_assert(memcmp(pcr_value(st, BANK_SHA256, 10), v10, 32) == 0);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	ck_assert_int_eq(q.found, 0);
	/* a quote without PCR 11 does not cover the entry on it */
	pcrset_init(&pq);
	pcrset_set(&pq, BANK_SHA256, 10, v10);
	ck_assert_int_eq(replay(forged.d, forged.n, st, NULL, NULL, &err),
	    RIV_OK);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	ck_assert_int_eq(q.found, 1);
	ck_assert_int_eq(q.matched, 0);
	ck_assert_uint_eq(q.uncovered, 1u << 11);
	ck_assert_msg(strstr(q.reason, "entries on PCR 11 are not covered "
	    "by the quote") != NULL, "%s", q.reason);
	/* a PCR extended after the checkpoint is quoted as zeros */
	entry_ng(&late, "boot_aggregate", 1, 0, 0);
	entry_ng(&late, "/bin/x", 3, 0, 0);
	ck_assert_int_eq(replay(late.d, late.n, st, NULL, NULL, &err),
	    RIV_OK);
	memcpy(v1, pcr_value(st, BANK_SHA256, 10), 32);
	entry_ng_on(&late, 11, "/opt/good.sh", 2, 0, 0);
	memset(v11, 0, sizeof(v11));
	pcrset_set(&pq, BANK_SHA256, 10, v1);
	pcrset_set(&pq, BANK_SHA256, 11, v11);
	ck_assert_int_eq(replay(late.d, late.n, st, NULL, NULL, &err),
	    RIV_OK);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_uint_eq(q.checkpoint, 1);
	ck_assert_uint_eq(q.pending, 1);
	v11[0] = 1;
	pcrset_set(&pq, BANK_SHA256, 11, v11);
	ck_assert_int_eq(replay(late.d, late.n, st, NULL, NULL, &err),
	    RIV_OK);
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_FAIL);
	hasher_free(h);
	free(real.d);
	free(forged.d);
	free(late.d);
	ima_state_free(st);
}
END_TEST

/*
 * A quote stuck at one entry while the list grows past the history, run
 * after run through the JSON state: lagging, never "matches no entry";
 * with sha1 and sha256, and with sha1 alone.
 */
START_TEST(test_lag_stuck)
{
	static const size_t ends[] = { 100, 400, 700, 1000, 1300 };
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct buf b = { NULL, 0, 0 };
	struct ima_quote q;
	struct pcrset pq;
	struct riv_err err;
	size_t *off, i, k, from;
	char path[32];
	int sha1_only;

	off = calloc(1400, sizeof(*off));
	for (i = 0; i < 1300; i++) {
		off[i] = b.n;
		snprintf(path, sizeof(path), "/usr/bin/f%zu", i);
		entry_ng(&b, i ? path : "boot_aggregate", (int)(i & 0xff), 0,
		    0);
	}
	off[i] = b.n;
	ck_assert_int_eq(ima_feed(st, h, b.d, off[11], IMA_FORMAT_AUTO, 0,
	    NULL, NULL, &err), RIV_OK);
	pcrset_init(&pq);
	pcrset_set(&pq, BANK_SHA1, 10, pcr_value(st, BANK_SHA1, 10));
	pcrset_set(&pq, BANK_SHA256, 10, pcr_value(st, BANK_SHA256, 10));
	for (sha1_only = 0; sha1_only < 2; sha1_only++) {
		if (sha1_only)
			pq.mask[BANK_SHA256] = 0;
		ima_state_init(st, 0);
		for (k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
			from = k ? ends[k - 1] : 0;
			if (k == 0)
				ima_quote_watch(st, &pq);
			ck_assert_int_eq(ima_feed(st, h, b.d + off[from],
			    off[ends[k]] - off[from], IMA_FORMAT_AUTO, from,
			    NULL, NULL, &err), RIV_OK);
			ck_assert_msg(ima_quote_check(st, &pq, &q) == RIV_OK,
			    "run %zu: %s", k, q.reason);
			ck_assert_uint_eq(q.checkpoint, 10);
			ck_assert_uint_eq(q.pending, ends[k] - 11);
			ck_assert_int_eq(q.lagging, k >= 3);
			ck_assert_int_eq(q.full, 1);
			roundtrip(st);
		}
		ck_assert_uint_eq(st->hist_len, IMA_HISTORY_MAX);
	}
	free(off);
	free(b.d);
	hasher_free(h);
	ima_state_free(st);
}
END_TEST

/* A failed entry stays counted in the state, run after run. */
START_TEST(test_failures_persist)
{
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct riv_err err;
	size_t off[400], len;
	uint8_t *buf;

	buf = read_list(IBM_SHA1, &len);
	entry_offsets(buf, len, off, 399);
	buf[off[5] + 39 + 4 + 12] ^= 0x20;	/* entry 5's file digest */
	ck_assert_int_eq(ima_feed(st, h, buf, off[100], IMA_FORMAT_AUTO, 0,
	    NULL, NULL, &err), RIV_OK);
	ck_assert_uint_eq(st->failed, 1);
	ck_assert_uint_eq(st->first_failed, 5);
	roundtrip(st);
	ck_assert_int_eq(ima_feed(st, h, buf + off[100], len - off[100],
	    IMA_FORMAT_AUTO, 100, NULL, NULL, &err), RIV_OK);
	ck_assert_uint_eq(st->failed, 1);
	ck_assert_uint_eq(st->first_failed, 5);
	ima_state_fail(st, 200);	/* a policy failure */
	ima_state_fail(st, 200);	/* the same entry again */
	roundtrip(st);
	ck_assert_uint_eq(st->failed, 2);
	ck_assert_uint_eq(st->first_failed, 5);
	ck_assert_uint_eq(st->last_failed, 200);
	hasher_free(h);
	free(buf);
	ima_state_free(st);
}
END_TEST

/*
 * Append an ASCII line of a "d-ng|n-ng|iuid|imode" entry whose template
 * digest was computed over big- or little-endian template data (a kernel
 * without ima_canonical_fmt); corrupt flips the file digest after hashing.
 */
static void
ascii_native(struct buf *out, const char *path, int c, int be, int corrupt)
{
	struct buf td = { NULL, 0, 0 };
	char line[512], dh[41], fh[65];
	uint8_t d[20], f[32];

	field_dng(&td, c, be);
	field_str(&td, path, be);
	field(&td, be ? "\0\0\x03\xe8" : "\xe8\x03\0\0", 4, be);
	field(&td, be ? "\x81\xa4" : "\xa4\x81", 2, be);
	ck_assert_int_eq(bank_hash(BANK_SHA1, td.d, td.n, d), 0);
	hex_encode(d, 20, dh);
	memset(f, c ^ (corrupt ? 1 : 0), sizeof(f));
	hex_encode(f, 32, fh);
	snprintf(line, sizeof(line), "10 %s d-ng|n-ng|iuid|imode sha256:%s "
	    "%s 1000 33188\n", dh, fh, path);
	put(out, line, strlen(line));
	free(td.d);
}

/*
 * An ASCII list of a big-endian kernel without ima_canonical_fmt: the
 * rebuilt template data must be big-endian; the order found is kept for
 * the rest of the list and in the state.
 */
START_TEST(test_ascii_be)
{
	struct ima_state *st = ima_state_new(0), *bs = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct seen *s = calloc(1, sizeof(*s));
	struct buf txt = { NULL, 0, 0 }, tail = { NULL, 0, 0 }, bin = { NULL,
	    0, 0 }, td = { NULL, 0, 0 };
	struct ima_reader r;
	struct riv_err err;
	int be;

	for (be = 0; be < 2; be++) {
		txt.n = bin.n = 0;
		ascii_native(&txt, "boot_aggregate", 1, be, 0);
		ascii_native(&txt, "/usr/bin/bash", 2, be, 0);
		ck_assert_int_eq(ima_reader_open(&r, txt.d, txt.n,
		    IMA_FORMAT_AUTO, -1, 0, &err), RIV_OK);
		ck_assert_int_eq(r.big_endian, be);
		ck_assert_int_eq(r.be_known, 1);
		ima_reader_close(&r);
		s->n = s->mismatches = 0;
		ck_assert_msg(replay(txt.d, txt.n, st, see, s, &err) == RIV_OK,
		    "%s", err.msg);
		ck_assert_uint_eq(s->n, 2);
		ck_assert_uint_eq(s->mismatches, 0);
		ck_assert_int_eq(st->big_endian, be);
		/* the same entries as a binary list of that kernel */
		td.n = 0;
		field_dng(&td, 1, be);
		field_str(&td, "boot_aggregate", be);
		field(&td, be ? "\0\0\x03\xe8" : "\xe8\x03\0\0", 4, be);
		field(&td, be ? "\x81\xa4" : "\xa4\x81", 2, be);
		entry(&bin, 10, "d-ng|n-ng|iuid|imode", &td, 0, be);
		td.n = 0;
		field_dng(&td, 2, be);
		field_str(&td, "/usr/bin/bash", be);
		field(&td, be ? "\0\0\x03\xe8" : "\xe8\x03\0\0", 4, be);
		field(&td, be ? "\x81\xa4" : "\xa4\x81", 2, be);
		entry(&bin, 10, "d-ng|n-ng|iuid|imode", &td, 0, be);
		ck_assert_int_eq(replay(bin.d, bin.n, bs, NULL, NULL, &err),
		    RIV_OK);
		assert_same_pcrs(st, bs, "ASCII vs binary, native order");
	}
	/*
	 * A tail whose first entry verifies in no order (corrupt) keeps
	 * the order the state learnt: only that entry mismatches.
	 */
	txt.n = tail.n = 0;
	ascii_native(&txt, "boot_aggregate", 1, 1, 0);
	ascii_native(&tail, "/usr/bin/evil", 3, 1, 1);
	ascii_native(&tail, "/usr/bin/bash", 2, 1, 0);
	ima_state_init(st, 0);
	ck_assert_int_eq(ima_feed(st, h, txt.d, txt.n, IMA_FORMAT_AUTO, 0,
	    NULL, NULL, &err), RIV_OK);
	roundtrip(st);
	ck_assert_int_eq(st->big_endian, 1);
	s->n = s->mismatches = 0;
	ck_assert_int_eq(ima_feed(st, h, tail.d, tail.n, IMA_FORMAT_AUTO, 1,
	    see, s, &err), RIV_OK);
	ck_assert_uint_eq(s->n, 2);
	ck_assert_uint_eq(s->mismatches, 1);
	ck_assert_int_eq(s->first_mismatch, 1);
	hasher_free(h);
	free(txt.d);
	free(tail.d);
	free(bin.d);
	free(td.d);
	free(s);
	ima_state_free(st);
	ima_state_free(bs);
}
END_TEST

/* PCRs beyond 23 in a binary list: refused, saying why. */
START_TEST(test_pcr_range)
{
	struct buf b = { NULL, 0, 0 };

	entry_ng_on(&b, 30, "/x", 1, 0, 0);
	expect_malformed(b.d, b.n, "entry 0 at byte offset 0: PCR 30 is "
	    "beyond the TPM PCRs rivd replays (0-23; IMA's pcr= accepts up "
	    "to 63");
	b.n = 0;
	entry_ng(&b, "boot_aggregate", 1, 0, 0);
	entry_ng_on(&b, 64, "/x", 1, 0, 0);
	expect_malformed(b.d, b.n, "PCR 64 is out of range (IMA's pcr= "
	    "accepts 0-63)");
	free(b.d);
}
END_TEST

/* Replace the first occurrence of from in s by to; the result is new. */
static char *
subst(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	char *out;

	ck_assert_msg(p != NULL, "\"%s\" not in the state", from);
	out = malloc(strlen(s) - strlen(from) + strlen(to) + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, s, (size_t)(p - s));
	strcpy(out + (p - s), to);
	strcat(out, p + strlen(from));
	return out;
}

/* Bad state JSON is refused with the member named. */
/*
 * The state records whether entry 0 was boot_aggregate (the kernel always
 * measures it first): unknown before entry 0, and kept when a tail is fed.
 */
START_TEST(test_boot_aggregate_first)
{
	struct ima_state *st = ima_state_new(0);
	struct hasher *h = hasher_new();
	struct buf b = { NULL, 0, 0 };
	struct riv_err err;
	size_t half;

	ck_assert_int_eq(st->aggregate, -1);
	entry_ng(&b, "boot_aggregate", 1, 0, 0);
	entry_ng(&b, "/bin/a", 2, 0, 0);
	ck_assert_int_eq(ima_feed(st, h, b.d, b.n, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	ck_assert_int_eq(st->aggregate, 1);
	b.n = 0;
	entry_ng(&b, "/bin/a", 2, 0, 0);
	half = b.n;
	entry_ng(&b, "boot_aggregate", 1, 0, 0);
	ima_state_init(st, 0);
	ck_assert_int_eq(ima_feed(st, h, b.d, half, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	ck_assert_int_eq(st->aggregate, 0);
	/* boot_aggregate later does not make entry 0 one */
	ck_assert_int_eq(ima_feed(st, h, b.d + half, b.n - half,
	    IMA_FORMAT_AUTO, 1, NULL, NULL, &err), RIV_OK);
	ck_assert_int_eq(st->aggregate, 0);
	ck_assert_uint_eq(st->next, 2);
	/* the whole list again: entry 0 is covered, the fact unchanged */
	ck_assert_int_eq(ima_feed(st, h, b.d, b.n, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	ck_assert_int_eq(st->aggregate, 0);
	roundtrip(st);
	ck_assert_int_eq(st->aggregate, 0);
	free(b.d);
	hasher_free(h);
	ima_state_free(st);
}
END_TEST

START_TEST(test_state_json_bad)
{
	static const char *bad[][3] = {
		{ "\"version\":2", "\"version\":1", "version" },
		{ "\"list_bank\":\"sha1\"", "\"list_bank\":null",
		    "list_bank" },
		{ "\"banks\":[\"sha1\",\"sha256\"]", "\"banks\":[\"md5\"]",
		    "banks" },
		{ "\"sha1\":[\"per-bank\"]", "\"sha1\":[\"padded-sha1\"]",
		    "rules: sha1 cannot follow" },
		{ "\"sha256\":[\"per-bank\"]", "\"sha256\":[\"per-bank\","
		    "\"per-bank\"]", "rules" },
		{ "\"big_endian\":false", "\"big_endian\":7", "big_endian" },
		{ "\"pcrs\":{\"per-bank\":{\"sha1\":{\"10\"",
		    "\"pcrs\":{\"per-bank\":{\"sha1\":{\"11\"",
		    "pcrs: per-bank.sha256: not the PCRs" },
		{ "\"count\":0,\"first\":null", "\"count\":1,\"first\":null",
		    "failures" },
		{ "\"checkpoint\":{\"index\":2", "\"checkpoint\":{\"index\":3",
		    "quote.checkpoint.index" },
		{ "\"pending\":0", "\"pending\":null", "quote.pending" },
		{ "\"entries\":[]", "\"entries\":[[2,10,\"00\",\"00\"]]",
		    "quote.history.entries[0]" },
		{ "\"columns\":[[\"sha256\",\"per-bank\"]",
		    "\"columns\":[[\"sha256\",\"padded-sha1\"]",
		    "quote.history.columns[0]" },
		{ "\"dropped_last\":null", "\"dropped_last\":1",
		    "quote.history.dropped_last" },
		{ "\"boot_aggregate\":true", "\"boot_aggregate\":1",
		    "boot_aggregate: expected true or false" },
	};
	struct ima_state *st = ima_state_new(1u << BANK_SHA1 |
	    1u << BANK_SHA256);
	struct hasher *h = hasher_new();
	struct buf b = { NULL, 0, 0 };
	struct ima_quote q;
	struct pcrset pq;
	struct riv_err err;
	struct json *doc;
	char *text = NULL, *bad_text;
	size_t tlen = 0, i;
	FILE *f;

	entry_ng(&b, "boot_aggregate", 1, 0, 0);
	entry_ng(&b, "/bin/a", 2, 0, 0);
	entry_ng(&b, "/bin/b", 3, 0, 0);
	ck_assert_int_eq(ima_feed(st, h, b.d, b.n, IMA_FORMAT_AUTO, 0, NULL,
	    NULL, &err), RIV_OK);
	pcrset_init(&pq);
	pcrset_set(&pq, BANK_SHA256, 10, pcr_value(st, BANK_SHA256, 10));
	ck_assert_int_eq(ima_quote_check(st, &pq, &q), RIV_OK);
	ck_assert_ptr_nonnull(f = open_memstream(&text, &tlen));
	ima_state_write(f, st);
	fclose(f);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bad_text = subst(text, bad[i][0], bad[i][1]);
		doc = json_parse(bad_text, strlen(bad_text), &err);
		ck_assert_msg(doc != NULL, "%s", err.msg);
		ck_assert_int_eq(ima_state_from_json(doc, st, &err),
		    RIV_MALFORMED);
		ck_assert_msg(strstr(err.msg, bad[i][2]) != NULL,
		    "wanted \"%s\" in \"%s\"", bad[i][2], err.msg);
		json_free(doc);
		free(bad_text);
	}
	/* and the state as written reads back */
	doc = json_parse(text, tlen, &err);
	ck_assert_msg(doc != NULL, "%s", err.msg);
	ck_assert_msg(ima_state_from_json(doc, st, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_int_eq(st->aggregate, 1);
	json_free(doc);
	/* a state of before boot_aggregate was kept: unknown */
	bad_text = subst(text, "\"boot_aggregate\":true,", "");
	doc = json_parse(bad_text, strlen(bad_text), &err);
	ck_assert_int_eq(ima_state_from_json(doc, st, &err), RIV_OK);
	ck_assert_int_eq(st->aggregate, -1);
	json_free(doc);
	free(bad_text);
	doc = json_parse("[]", 2, &err);
	ck_assert_int_eq(ima_state_from_json(doc, st, &err), RIV_MALFORMED);
	json_free(doc);
	free(text);
	free(b.d);
	hasher_free(h);
	ima_state_free(st);
}
END_TEST

/* GB/T 32905-2016, appendix A: SM3 of "abc" and of "abcd" 16 times. */
START_TEST(test_sm3_vectors)
{
	static const char *want[2] = {
		"66c7f0f462eeedd9d1f2d46bdc10e4e2"
		    "4167c4875cf2f7a2297da02b8f4ba8e0",
		"debe9ff92275b8a138604889c18e5a4d"
		    "6fdb70e5387e5765293dcba39c0c5732",
	};
	char msg[65], hex[2 * DIGEST_MAX + 1];
	uint8_t d[DIGEST_MAX];
	int i;

	for (i = 0; i < 16; i++)
		memcpy(msg + 4 * i, "abcd", 4);
	ck_assert_int_eq(bank_hash(BANK_SM3_256, "abc", 3, d), 0);
	hex_encode(d, 32, hex);
	ck_assert_str_eq(hex, want[0]);
	ck_assert_int_eq(bank_hash(BANK_SM3_256, msg, 64, d), 0);
	hex_encode(d, 32, hex);
	ck_assert_str_eq(hex, want[1]);
}
END_TEST

/* Fill a buffer with a reproducible pseudo-random sequence. */
static void
fill_random(uint8_t *p, size_t n, uint32_t *x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		*x ^= *x << 13;
		*x ^= *x >> 17;
		*x ^= *x << 5;
		p[i] = (uint8_t)(*x >> 7);
	}
}

/* Hash with OpenSSL's EVP: the reference bank.c must equal. */
static void
evp_hash(int bank, const uint8_t *p, size_t n, uint8_t *out)
{
	EVP_MD *md = EVP_MD_fetch(NULL, bank_get(bank)->ossl, NULL);

	ck_assert_ptr_nonnull(md);
	ck_assert_int_eq(EVP_Digest(p, n, out, NULL, md, NULL), 1);
	EVP_MD_free(md);
}

/*
 * Every bank hashes as OpenSSL's EVP does: pseudo-random messages of every
 * length up to 300 bytes (around one, two and three blocks of either
 * size) and a few long ones, whole and split in two at several points
 * (the block across the split is the copied one), and extends in place.
 */
START_TEST(test_hash_vs_evp)
{
	static const size_t longer[] = { 511, 512, 1000, 4096 + 17, 70000 };
	uint8_t msg[70000], want[DIGEST_MAX], got[DIGEST_MAX];
	uint8_t pcr[DIGEST_MAX], cat[2 * DIGEST_MAX];
	struct hasher *h = hasher_new();
	size_t len, cut, n, i, k;
	uint32_t x = 0x1234567;
	int b;

	ck_assert_ptr_nonnull(h);
	fill_random(msg, sizeof(msg), &x);
	for (b = 0; b < BANK_COUNT; b++) {
		if (!bank_available(b))
			continue;
		n = bank_get(b)->size;
		for (i = 0; i <= 300 + sizeof(longer) / sizeof(longer[0]); i++) {
			len = i <= 300 ? i : longer[i - 301];
			evp_hash(b, msg, len, want);
			ck_assert_int_eq(bank_hash(b, msg, len, got), 0);
			ck_assert_msg(memcmp(got, want, n) == 0,
			    "%s of %zu bytes", bank_get(b)->name, len);
			for (k = 0; k < 7; k++) {
				cut = len * k / 6;
				memset(got, 0, sizeof(got));
				ck_assert_int_eq(hasher_hash2(h, b, msg, cut,
				    msg + cut, len - cut, got), 0);
				ck_assert_msg(memcmp(got, want, n) == 0,
				    "%s of %zu bytes cut at %zu",
				    bank_get(b)->name, len, cut);
			}
		}
		memcpy(pcr, msg, n);
		memcpy(cat, msg, n);
		memcpy(cat + n, msg + 100, n);
		evp_hash(b, cat, 2 * n, want);
		ck_assert_int_eq(hasher_extend(h, b, pcr, msg + 100), 0);
		ck_assert_mem_eq(pcr, want, n);
		memcpy(pcr, msg, n);
		ck_assert_int_eq(bank_extend(b, pcr, msg + 100), 0);
		ck_assert_mem_eq(pcr, want, n);
	}
	ck_assert_int_eq(bank_hash(BANK_COUNT, msg, 1, got), -1);
	hasher_free(h);
}
END_TEST

/*
 * A batch gives what the jobs give one by one: more jobs than
 * HASH_BATCH, of every bank, of lengths across block boundaries, with
 * extends in place (out over a) and empty messages.
 */
START_TEST(test_hasher_batch)
{
	struct hash_job jobs[3 * HASH_BATCH + 3];
	uint8_t msg[600], cat[600];
	uint8_t pcr[3 * HASH_BATCH + 3][DIGEST_MAX];
	uint8_t out[3 * HASH_BATCH + 3][DIGEST_MAX];
	uint8_t want[3 * HASH_BATCH + 3][DIGEST_MAX];
	size_t nj = sizeof(jobs) / sizeof(jobs[0]), i, n;
	uint32_t x = 0xfeed;
	int b;

	fill_random(msg, sizeof(msg), &x);
	fill_random(&pcr[0][0], sizeof(pcr), &x);
	for (i = 0; i < nj; i++) {
		b = (int)(i % BANK_COUNT);
		n = bank_get(b)->size;
		jobs[i].bank = b;
		if (i % 3 == 0) {	/* an extend, in place */
			jobs[i].a = pcr[i];
			jobs[i].al = n;
			jobs[i].b = msg + i;
			jobs[i].bl = n;
			jobs[i].out = pcr[i];
		} else {
			jobs[i].a = msg;
			jobs[i].al = (i * 37) % 300;
			jobs[i].b = msg + 300;
			jobs[i].bl = (i * 53) % 290;
			jobs[i].out = out[i];
		}
		memcpy(cat, jobs[i].a, jobs[i].al);
		memcpy(cat + jobs[i].al, jobs[i].b, jobs[i].bl);
		ck_assert_int_eq(bank_hash(b, cat, jobs[i].al + jobs[i].bl,
		    want[i]), 0);
	}
	ck_assert_int_eq(hasher_batch(NULL, jobs, 0), 0);
	ck_assert_int_eq(hasher_batch(NULL, jobs, nj), 0);
	for (i = 0; i < nj; i++)
		ck_assert_msg(memcmp(jobs[i].out, want[i],
		    bank_get(jobs[i].bank)->size) == 0, "job %zu (%s)", i,
		    bank_get(jobs[i].bank)->name);
	jobs[1].bank = -1;
	ck_assert_int_eq(hasher_batch(NULL, jobs, nj), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ima");
	TCase *corpus = tcase_create("corpus");
	TCase *synth = tcase_create("synthetic");

	tcase_set_timeout(corpus, 120);
	tcase_add_test(corpus, test_corpus_expected);
	tcase_add_test(corpus, test_detect_sha256);
	tcase_add_test(corpus, test_forced_bank);
	tcase_add_test(corpus, test_legacy_decode);
	tcase_add_test(corpus, test_keylime_ascii);
	tcase_add_loop_test(corpus, test_incremental, 0,
	    sizeof(all_lists) / sizeof(all_lists[0]));
	tcase_add_test(corpus, test_state_other_list);
	tcase_add_test(corpus, test_quote_lag);
	tcase_add_test(corpus, test_quote_watch);
	tcase_add_test(corpus, test_mismatch);
	tcase_add_test(corpus, test_malformed_binary);
	suite_add_tcase(s, corpus);
	tcase_add_test(synth, test_violation);
	tcase_add_test(synth, test_malformed_ascii);
	tcase_add_test(synth, test_templates);
	tcase_add_test(synth, test_ascii_trailing);
	tcase_add_test(synth, test_boot_aggregate_first);
	tcase_add_test(synth, test_state_json_bad);
	tcase_add_test(corpus, test_padded_rule);
	tcase_add_test(synth, test_padded_violation);
	tcase_add_test(synth, test_space_pcr);
	tcase_add_test(synth, test_other_boot);
	tcase_add_test(synth, test_pcr_uncovered);
	tcase_add_test(synth, test_lag_stuck);
	tcase_add_test(corpus, test_failures_persist);
	tcase_add_test(synth, test_ascii_be);
	tcase_add_test(synth, test_pcr_range);
	tcase_add_test(synth, test_detect_sm3);
	tcase_add_test(synth, test_sm3_vectors);
	tcase_add_test(synth, test_hash_vs_evp);
	tcase_add_test(synth, test_hasher_batch);
	suite_add_tcase(s, synth);
	return run_suite(s);
}
