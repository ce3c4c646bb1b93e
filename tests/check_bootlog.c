/*
 * check_bootlog.c — unit tests for the measured-boot log parser and replay:
 * every corpus log against its expected PCR values, synthetic logs for the
 * replay rules (Startup Locality, H-CRTM, EV_NO_ACTION, PCR 0xFFFFFFFF,
 * padding) and for each kind of malformed input.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "bank.h"
#include "bootlog.h"
#include "pcrset.h"
#include "testutil.h"

#define TPM_ALG_SHA3_256	0x0027

/* A synthetic log under construction. */
struct logbuf {
	uint8_t	d[4096];
	size_t	n;
};

/* Corpus logs whose expected values must replay (so an empty directory
 * cannot pass), and whether the log is complete enough to touch PCR 0-7. */
static const struct {
	const char	*name;
	int		 all_0_7;
} known_logs[] = {
	{ "go-attestation__linux_tpm12.bin", 1 },
	{ "go-attestation__sb_cert_eventlog.bin", 0 },
	{ "go-tpm-tools__arch-linux-workstation.bin", 1 },
	{ "go-tpm-tools__cos-85-amd-sev.bin", 1 },
	{ "go-tpm-tools__debian-10.bin", 1 },
	{ "go-tpm-tools__rhel8-uefi.bin", 1 },
	{ "go-tpm-tools__ubuntu-1804-amd-sev.bin", 1 },
	{ "go-tpm-tools__ubuntu-2104-no-secure-boot.bin", 1 },
};

/* Corpus logs without expected values: they must at least parse. */
static const char *unverified_logs[] = {
	"go-attestation__crypto_agile_eventlog.bin",
	"ibmtss__amd635.bin",
	"ibmtss__deb1.bin",
};

/* Append a little-endian 32-bit integer. */
static void
put32(struct logbuf *b, uint32_t v)
{
	ck_assert_uint_le(b->n + 4, sizeof(b->d));
	b->d[b->n++] = v & 0xff;
	b->d[b->n++] = v >> 8 & 0xff;
	b->d[b->n++] = v >> 16 & 0xff;
	b->d[b->n++] = v >> 24 & 0xff;
}

/* Append a little-endian 16-bit integer. */
static void
put16(struct logbuf *b, uint16_t v)
{
	ck_assert_uint_le(b->n + 2, sizeof(b->d));
	b->d[b->n++] = v & 0xff;
	b->d[b->n++] = v >> 8;
}

/* Append bytes. */
static void
put(struct logbuf *b, const void *p, size_t len)
{
	ck_assert_uint_le(b->n + len, sizeof(b->d));
	memcpy(b->d + b->n, p, len);
	b->n += len;
}

/* Append len copies of byte c. */
static void
fill(struct logbuf *b, int c, size_t len)
{
	ck_assert_uint_le(b->n + len, sizeof(b->d));
	memset(b->d + b->n, c, len);
	b->n += len;
}

/* Append a legacy-layout event with a SHA1 digest of 20 bytes of dc. */
static void
add_legacy(struct logbuf *b, uint32_t pcr, uint32_t type, int dc,
    const void *data, uint32_t len)
{
	put32(b, pcr);
	put32(b, type);
	fill(b, dc, 20);
	put32(b, len);
	put(b, data, len);
}

/*
 * Append a Spec ID Event03 with n algorithms (ids and sizes) and vinfo
 * bytes of vendor info; vsize is the vendorInfoSize written.
 */
static void
add_specid(struct logbuf *b, const uint16_t *algs, const uint16_t *sizes,
    uint32_t n, uint8_t vsize, size_t vinfo)
{
	uint32_t i;

	put32(b, 0);
	put32(b, EV_NO_ACTION);
	fill(b, 0, 20);
	put32(b, (uint32_t)(28 + 4 * n + 1 + vinfo));
	put(b, "Spec ID Event03", 16);
	put32(b, 0);		/* platformClass */
	put(b, "\x00\x02\x00\x02", 4);	/* minor, major, errata, uintn */
	put32(b, n);
	for (i = 0; i < n; i++) {
		put16(b, algs[i]);
		put16(b, sizes[i]);
	}
	b->d[b->n++] = vsize;
	fill(b, 0x5a, vinfo);
}

/* Append a Spec ID event for sha1 and sha256. */
static void
add_specid_2(struct logbuf *b)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static const uint16_t sizes[] = { 20, 32 };

	add_specid(b, algs, sizes, 2, 0, 0);
}

/* Append an agile event with sha1 and sha256 digests of bytes dc. */
static void
add_agile(struct logbuf *b, uint32_t pcr, uint32_t type, int dc,
    const void *data, uint32_t len)
{
	put32(b, pcr);
	put32(b, type);
	put32(b, 2);
	put16(b, TPM_ALG_SHA1);
	fill(b, dc, 20);
	put16(b, TPM_ALG_SHA256);
	fill(b, dc, 32);
	put32(b, len);
	put(b, data, len);
}

/* Append an agile event with digests of bytes dc for the banks of mask. */
static void
add_agile_banks(struct logbuf *b, uint32_t pcr, uint32_t type, int dc,
    uint32_t mask)
{
	uint32_t n = 0;
	int k;

	for (k = 0; k < BANK_COUNT; k++)
		if (mask & (1u << k))
			n++;
	put32(b, pcr);
	put32(b, type);
	put32(b, n);
	for (k = 0; k < BANK_COUNT; k++)
		if (mask & (1u << k)) {
			put16(b, bank_get(k)->alg);
			fill(b, dc, bank_get(k)->size);
		}
	put32(b, 0);
}

/* Append a Startup Locality event. */
static void
add_locality(struct logbuf *b, int agile, uint8_t loc)
{
	uint8_t data[17];

	memcpy(data, "StartupLocality", 16);
	data[16] = loc;
	if (agile)
		add_agile(b, 0, EV_NO_ACTION, 0, data, sizeof(data));
	else
		add_legacy(b, 0, EV_NO_ACTION, 0, data, sizeof(data));
}

/* Reference extend without bank_extend: v = H(v || digest of bytes dc). */
static void
ref_extend(int bank, uint8_t *v, int dc)
{
	uint8_t buf[2 * DIGEST_MAX];
	size_t n = bank_get(bank)->size;

	memcpy(buf, v, n);
	memset(buf + n, dc, n);
	ck_assert_int_eq(bank_hash(bank, buf, 2 * n, v), 0);
}

/* Set v to the start value 0...0 last of a bank. */
static void
ref_start(int bank, uint8_t *v, uint8_t last)
{
	size_t n = bank_get(bank)->size;

	memset(v, 0, n);
	v[n - 1] = last;
}

/* Replay a synthetic log, asserting success. */
static struct bootlog *
replay_ok(const struct logbuf *b)
{
	static struct bootlog log;
	struct riv_err err = { "" };
	int rc;

	rc = bootlog_replay(b->d, b->n, &log, NULL, NULL, &err);
	ck_assert_msg(rc == RIV_OK, "replay failed: %s", err.msg);
	return &log;
}

/* Replay bytes, asserting a malformed-input error containing want. */
static void
replay_bad(const uint8_t *d, size_t n, const char *want)
{
	struct bootlog log;
	struct riv_err err = { "" };
	int rc;

	rc = bootlog_replay(d, n, &log, NULL, NULL, &err);
	ck_assert_msg(rc == RIV_MALFORMED, "replay of a bad log returned %d",
	    rc);
	ck_assert_msg(strstr(err.msg, want) != NULL,
	    "error is \"%s\", wanted \"%s\"", err.msg, want);
}

/* Assert PCR pcr of bank in log equals v. */
static void
assert_pcr(const struct bootlog *log, int bank, unsigned pcr,
    const uint8_t *v)
{
	const uint8_t *got = pcrset_get(&log->pcrs, bank, pcr);

	ck_assert_msg(got != NULL, "%s PCR %u not touched",
	    bank_get(bank)->name, pcr);
	ck_assert_mem_eq(got, v, bank_get(bank)->size);
}

/* Tell whether a corpus file exists. */
static int
corpus_exists(const char *rel)
{
	char path[4096];
	FILE *f;

	corpus_path(path, sizeof(path), rel);
	if ((f = fopen(path, "rb")) == NULL)
		return 0;
	fclose(f);
	return 1;
}

/*
 * Replay corpus log name and compare with its expected values: every PCR
 * the log touches in every bank the JSON gives.  Returns the number of
 * values compared; *mask0_7 gets the PCRs among 0-7 compared in all banks.
 */
static size_t
check_corpus_log(const char *name, uint32_t *mask0_7)
{
	char rel[1024], path[4096];
	struct pcrset *exp;
	struct bootlog *log;
	struct riv_err err = { "" };
	uint8_t *buf;
	size_t len, compared = 0;
	uint32_t bank_pcrs;
	int b, rc;
	unsigned p;

	exp = malloc(sizeof(*exp));
	log = malloc(sizeof(*log));
	ck_assert_ptr_nonnull(exp);
	ck_assert_ptr_nonnull(log);
	snprintf(rel, sizeof(rel), "bios/%s", name);
	buf = corpus_read(rel, &len);
	rc = bootlog_replay(buf, len, log, NULL, NULL, &err);
	ck_assert_msg(rc == RIV_OK, "%s: %s", name, err.msg);
	snprintf(rel, sizeof(rel), "bios/%s.expected.json", name);
	corpus_path(path, sizeof(path), rel);
	ck_assert_msg(pcrset_load(path, exp, &err) == RIV_OK, "%s", err.msg);
	*mask0_7 = 0xff;
	for (b = 0; b < BANK_COUNT; b++) {
		if (exp->mask[b] == 0)
			continue;
		ck_assert_msg(log->pcrs.mask[b] != 0, "%s: no %s values "
		    "replayed", name, bank_get(b)->name);
		bank_pcrs = 0;
		for (p = 0; p < PCR_COUNT; p++) {
			if (!pcrset_has(exp, b, p) ||
			    !pcrset_has(&log->pcrs, b, p))
				continue;
			ck_assert_msg(memcmp(pcrset_get(exp, b, p),
			    pcrset_get(&log->pcrs, b, p),
			    bank_get(b)->size) == 0, "%s: %s PCR %u differs",
			    name, bank_get(b)->name, p);
			bank_pcrs |= 1u << p;
			compared++;
		}
		ck_assert_msg(bank_pcrs & 1, "%s: %s PCR 0 not compared", name,
		    bank_get(b)->name);
		*mask0_7 &= bank_pcrs;
	}
	free(buf);
	free(exp);
	free(log);
	return compared;
}

/* Tell whether name ends with suffix. */
static int
ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && strcmp(name + n - s, suffix) == 0;
}

START_TEST(test_corpus_directory)
{
	char dir[4096], rel[1024];
	struct bootlog *log;
	struct riv_err err = { "" };
	struct dirent *de;
	uint8_t *buf;
	size_t len, nexpected = 0, nparsed = 0;
	uint32_t mask;
	DIR *d;

	log = malloc(sizeof(*log));
	ck_assert_ptr_nonnull(log);
	corpus_path(dir, sizeof(dir), "bios");
	d = opendir(dir);
	ck_assert_msg(d != NULL, "cannot open %s", dir);
	while ((de = readdir(d)) != NULL) {
		if (!ends_with(de->d_name, ".bin"))
			continue;
		snprintf(rel, sizeof(rel), "bios/%s.expected.json",
		    de->d_name);
		if (corpus_exists(rel)) {
			ck_assert_uint_gt(check_corpus_log(de->d_name, &mask),
			    0);
			nexpected++;
			continue;
		}
		snprintf(rel, sizeof(rel), "bios/%s", de->d_name);
		buf = corpus_read(rel, &len);
		ck_assert_msg(bootlog_replay(buf, len, log, NULL, NULL, &err) ==
		    RIV_OK, "%s: %s", de->d_name, err.msg);
		ck_assert_uint_gt(log->nevents, 0);
		free(buf);
		nparsed++;
	}
	closedir(d);
	free(log);
	ck_assert_uint_ge(nexpected,
	    sizeof(known_logs) / sizeof(known_logs[0]));
	ck_assert_uint_ge(nparsed,
	    sizeof(unverified_logs) / sizeof(unverified_logs[0]));
}
END_TEST

START_TEST(test_corpus_known)
{
	size_t i;
	uint32_t mask;

	for (i = 0; i < sizeof(known_logs) / sizeof(known_logs[0]); i++) {
		ck_assert_uint_gt(check_corpus_log(known_logs[i].name, &mask),
		    0);
		if (known_logs[i].all_0_7)
			ck_assert_msg(mask == 0xff, "%s: PCRs 0-7 not all "
			    "compared (mask 0x%x)", known_logs[i].name, mask);
	}
}
END_TEST

START_TEST(test_corpus_unverified)
{
	struct bootlog *log = malloc(sizeof(*log));
	struct riv_err err = { "" };
	char rel[1024];
	uint8_t *buf;
	size_t i, len;

	ck_assert_ptr_nonnull(log);
	for (i = 0; i < sizeof(unverified_logs) / sizeof(unverified_logs[0]);
	    i++) {
		snprintf(rel, sizeof(rel), "bios/%s", unverified_logs[i]);
		buf = corpus_read(rel, &len);
		ck_assert_msg(bootlog_replay(buf, len, log, NULL, NULL, &err) ==
		    RIV_OK, "%s: %s", unverified_logs[i], err.msg);
		ck_assert_int_eq(log->format, BOOTLOG_AGILE);
		ck_assert_msg(pcrset_has(&log->pcrs, BANK_SHA256, 0),
		    "%s: sha256 PCR 0 not replayed", unverified_logs[i]);
		free(buf);
	}
	free(log);
}
END_TEST

/* A fixed value, independent of the JSON files. */
START_TEST(test_corpus_values)
{
	struct bootlog *log = malloc(sizeof(*log));
	struct riv_err err = { "" };
	uint8_t *buf, v[DIGEST_MAX];
	size_t len, n;

	ck_assert_ptr_nonnull(log);
	buf = corpus_read("bios/go-tpm-tools__debian-10.bin", &len);
	ck_assert_int_eq(bootlog_replay(buf, len, log, NULL, NULL, &err),
	    RIV_OK);
	ck_assert_int_eq(log->format, BOOTLOG_LEGACY);
	ck_assert_uint_eq(log->bank_mask, 1u << BANK_SHA1);
	ck_assert_uint_eq(log->nevents, 25);
	ck_assert_int_eq(log->startup_locality, -1);
	ck_assert_int_eq(hex_decode("0f2d3a2a1adaa479aeeca8f5df76aadc41b862ea",
	    40, v, sizeof(v), &n), 0);
	assert_pcr(log, BANK_SHA1, 0, v);
	free(buf);
	buf = corpus_read("bios/go-tpm-tools__rhel8-uefi.bin", &len);
	ck_assert_int_eq(bootlog_replay(buf, len, log, NULL, NULL, &err),
	    RIV_OK);
	ck_assert_int_eq(log->format, BOOTLOG_AGILE);
	ck_assert_uint_eq(log->bank_mask, 1u << BANK_SHA1 |
	    1u << BANK_SHA256 | 1u << BANK_SHA384);
	ck_assert_uint_eq(log->nevents, 83);
	ck_assert_uint_eq(log->length, len);
	free(buf);
	free(log);
}
END_TEST

/* Callback: check numbering and offsets and count extended events. */
static int
count_events(const struct bootlog_event *ev, void *arg)
{
	size_t *counts = arg;

	ck_assert_uint_eq(ev->number, counts[0]);
	ck_assert_uint_ge(ev->offset, counts[2]);
	counts[2] = ev->offset;
	counts[0]++;
	if (ev->extended)
		counts[1]++;
	return 0;
}

START_TEST(test_callback)
{
	struct bootlog *log = malloc(sizeof(*log));
	struct riv_err err = { "" };
	size_t counts[3] = { 0, 0, 0 }, len;
	uint8_t *buf;

	ck_assert_ptr_nonnull(log);
	buf = corpus_read("bios/go-tpm-tools__cos-85-amd-sev.bin", &len);
	ck_assert_int_eq(bootlog_replay(buf, len, log, count_events, counts,
	    &err), RIV_OK);
	ck_assert_uint_eq(counts[0], log->nevents);
	ck_assert_uint_gt(counts[1], 0);
	ck_assert_uint_lt(counts[1], counts[0]);	/* Spec ID not extended */
	free(buf);
	free(log);
}
END_TEST

/* Callback that stops at the third event. */
static int
stop_at_two(const struct bootlog_event *ev, void *arg)
{
	(void)arg;
	return ev->number == 2 ? 7 : 0;
}

START_TEST(test_callback_stop)
{
	struct bootlog log;
	struct riv_err err = { "" };
	size_t len;
	uint8_t *buf;

	buf = corpus_read("bios/go-tpm-tools__debian-10.bin", &len);
	ck_assert_int_eq(bootlog_replay(buf, len, &log, stop_at_two, NULL,
	    &err), 7);
	ck_assert_ptr_nonnull(strstr(err.msg, "event 2 at byte offset"));
	free(buf);
}
END_TEST

/* Feeding a log a few bytes at a time replays like the one-shot call. */
START_TEST(test_incremental)
{
	struct bootlog_state *st = malloc(sizeof(*st));
	struct bootlog *one = malloc(sizeof(*one)), *inc = malloc(sizeof(*inc));
	struct riv_err err = { "" };
	size_t len, start = 0, end, used;
	uint8_t *buf;
	int b;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(one);
	ck_assert_ptr_nonnull(inc);
	buf = corpus_read("bios/go-tpm-tools__ubuntu-2104-no-secure-boot.bin",
	    &len);
	ck_assert_int_eq(bootlog_replay(buf, len, one, NULL, NULL, &err),
	    RIV_OK);
	bootlog_init(st);
	/* The unconsumed tail stays at buf + start; each call sees 7 more. */
	for (end = 7; end < len; end += 7) {
		ck_assert_int_eq(bootlog_feed(st, buf + start, end - start, 0,
		    &used, NULL, NULL, &err), RIV_OK);
		start += used;
		ck_assert_uint_eq(st->offset, start);
	}
	ck_assert_int_eq(bootlog_feed(st, buf + start, len - start, 1, &used,
	    NULL, NULL, &err), RIV_OK);
	ck_assert_uint_eq(start + used, len);
	bootlog_result(st, inc);
	ck_assert_uint_eq(inc->nevents, one->nevents);
	for (b = 0; b < BANK_COUNT; b++) {
		ck_assert_uint_eq(inc->pcrs.mask[b], one->pcrs.mask[b]);
		if (one->pcrs.mask[b] != 0)
			ck_assert_mem_eq(inc->pcrs.val[b], one->pcrs.val[b],
			    sizeof(one->pcrs.val[b]));
	}
	/* A non-final feed of a partial event consumes nothing. */
	bootlog_init(st);
	ck_assert_int_eq(bootlog_feed(st, buf, 20, 0, &used, NULL, NULL,
	    &err), RIV_OK);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(st->nevents, 0);
	free(buf);
	free(st);
	free(one);
	free(inc);
}
END_TEST

/* bootlog callback: collect each event's missing banks. */
static int
collect_missing(const struct bootlog_event *ev, void *arg)
{
	uint32_t *missing = arg;

	if (ev->number < 16)
		missing[ev->number] = ev->missing_mask;
	return 0;
}

/*
 * Events that lack a bank's digest extend the banks they carry; the PCR is
 * incomplete, without a value, in the others (Windows boot manager events
 * on PCR 12 with SHA-256 only; a fixture declaring SHA-384 it never fills).
 */
START_TEST(test_incomplete_bank)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256,
	    TPM_ALG_SHA384 };
	static const uint16_t sizes[] = { 20, 32, 48 };
	const uint32_t s1 = 1u << BANK_SHA1, s256 = 1u << BANK_SHA256;
	struct logbuf b = { .n = 0 };
	struct bootlog_state *st;
	const struct bootlog *log;
	struct bootlog *inc;
	struct riv_err err = { "" };
	uint32_t missing[16] = { 0 };
	uint8_t v[DIGEST_MAX];
	size_t off2, used, i, start;
	char why[256], want[160];

	add_specid_2(&b);
	add_agile_banks(&b, 0, 0x8, 0x11, s1 | s256);
	off2 = b.n;
	add_agile_banks(&b, 12, 0x80000007, 0x22, s256);	/* no sha1 */
	add_agile_banks(&b, 12, 0x80000007, 0x33, s1 | s256);
	add_agile_banks(&b, 4, 0x80000003, 0x44, s1);	/* no sha256 */
	add_agile_banks(&b, 5, 0x80000007, 0x55, s256);
	add_agile_banks(&b, 5, 0x80000007, 0x66, s1);
	log = replay_ok(&b);
	ck_assert_uint_eq(log->nevents, 7);
	ck_assert_uint_eq(log->incomplete[BANK_SHA1], 1u << 12 | 1u << 5);
	ck_assert_uint_eq(log->incomplete[BANK_SHA256], 1u << 4 | 1u << 5);
	/* Incomplete PCRs have no value; the others replay normally. */
	ck_assert(!pcrset_has(&log->pcrs, BANK_SHA1, 12));
	ck_assert(!pcrset_has(&log->pcrs, BANK_SHA256, 4));
	ck_assert(!pcrset_has(&log->pcrs, BANK_SHA1, 5));
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA1], 1u << 0 | 1u << 4);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA256], 1u << 0 | 1u << 12);
	ref_start(BANK_SHA256, v, 0);
	ref_extend(BANK_SHA256, v, 0x22);
	ref_extend(BANK_SHA256, v, 0x33);
	assert_pcr(log, BANK_SHA256, 12, v);
	ref_start(BANK_SHA1, v, 0);
	ref_extend(BANK_SHA1, v, 0x44);
	assert_pcr(log, BANK_SHA1, 4, v);
	ref_start(BANK_SHA1, v, 0);
	ref_extend(BANK_SHA1, v, 0x11);
	assert_pcr(log, BANK_SHA1, 0, v);
	/* The first event that left the PCR incomplete is named. */
	ck_assert_uint_eq(log->gap[BANK_SHA1][12].event, 2);
	ck_assert_uint_eq(log->gap[BANK_SHA1][12].offset, off2);
	ck_assert(bootlog_incomplete(log, BANK_SHA1, 12, why, sizeof(why)));
	snprintf(want, sizeof(want), "the boot log is incomplete for sha1 PCR "
	    "12: event 2 at byte offset %zu carries no sha1 digest", off2);
	ck_assert_str_eq(why, want);
	ck_assert(!bootlog_incomplete(log, BANK_SHA256, 12, why, sizeof(why)));
	ck_assert(!bootlog_incomplete(log, BANK_SHA1, 0, NULL, 0));
	ck_assert(!bootlog_incomplete(log, BANK_SHA1, 99, NULL, 0));
	ck_assert(!bootlog_incomplete(log, -1, 12, NULL, 0));
	/* Each event says which banks it lacked. */
	ck_assert_int_eq(bootlog_replay(b.d, b.n, &(struct bootlog){ 0 },
	    collect_missing, missing, &err), RIV_OK);
	ck_assert_uint_eq(missing[0], 0);
	ck_assert_uint_eq(missing[1], 0);
	ck_assert_uint_eq(missing[2], s1);
	ck_assert_uint_eq(missing[3], 0);
	ck_assert_uint_eq(missing[4], s256);
	ck_assert_uint_eq(missing[5], s1);
	ck_assert_uint_eq(missing[6], s256);

	/* Fed a byte at a time, the same gaps. */
	st = malloc(sizeof(*st));
	inc = malloc(sizeof(*inc));
	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(inc);
	bootlog_init(st);
	for (i = 1, start = 0; i < b.n; i++) {
		ck_assert_int_eq(bootlog_feed(st, b.d + start, i - start, 0,
		    &used, NULL, NULL, &err), RIV_OK);
		start += used;
	}
	ck_assert_int_eq(bootlog_feed(st, b.d + start, b.n - start, 1, &used,
	    NULL, NULL, &err), RIV_OK);
	bootlog_result(st, inc);
	ck_assert_mem_eq(inc->incomplete, log->incomplete,
	    sizeof(log->incomplete));
	ck_assert_mem_eq(inc->gap, log->gap, sizeof(log->gap));
	ck_assert_mem_eq(inc->pcrs.mask, log->pcrs.mask,
	    sizeof(log->pcrs.mask));
	free(st);
	free(inc);

	/* SHA-384 declared, never carried: every touched PCR incomplete. */
	b.n = 0;
	add_specid(&b, algs, sizes, 3, 0, 0);
	add_agile_banks(&b, 0, 0x8, 0x11, s1 | s256);
	add_agile_banks(&b, 7, 0x80000001, 0x22, s1 | s256);
	log = replay_ok(&b);
	ck_assert_uint_eq(log->bank_mask, s1 | s256 | 1u << BANK_SHA384);
	ck_assert_uint_eq(log->incomplete[BANK_SHA384], 1u << 0 | 1u << 7);
	ck_assert_uint_eq(log->incomplete[BANK_SHA1], 0);
	ck_assert_uint_eq(log->incomplete[BANK_SHA256], 0);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA384], 0);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA256], 1u << 0 | 1u << 7);
	ref_start(BANK_SHA256, v, 0);
	ref_extend(BANK_SHA256, v, 0x22);
	assert_pcr(log, BANK_SHA256, 7, v);

	/* A complete log has no gaps. */
	b.n = 0;
	add_specid_2(&b);
	add_agile(&b, 0, 0x8, 0x11, "", 0);
	log = replay_ok(&b);
	ck_assert_uint_eq(log->incomplete[BANK_SHA1], 0);
	ck_assert_uint_eq(log->incomplete[BANK_SHA256], 0);

	/* A digest of a bank absent from the Spec ID event stays malformed. */
	b.n = 0;
	add_specid_2(&b);
	add_agile_banks(&b, 0, 0x8, 0x11, 1u << BANK_SHA384);
	replay_bad(b.d, b.n, "digest algorithm 0x000c at byte offset");
	/* So does an extended event with no digest at all. */
	b.n = 0;
	add_specid_2(&b);
	off2 = b.n;
	add_agile_banks(&b, 5, 0x80000007, 0x11, 0);
	snprintf(want, sizeof(want), "event 1 at byte offset %zu: digest count "
	    "0 at byte offset %zu, but the event extends PCR 5", off2,
	    off2 + 8);
	replay_bad(b.d, b.n, want);
	/* ...unless it extends nothing. */
	b.n = 0;
	add_specid_2(&b);
	add_agile_banks(&b, BOOTLOG_PCR_NONE, 0x80000007, 0x11, 0);
	add_agile_banks(&b, 1, EV_NO_ACTION, 0x11, 0);
	log = replay_ok(&b);
	ck_assert_uint_eq(log->nevents, 3);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA1], 0);
}
END_TEST

START_TEST(test_startup_locality)
{
	struct logbuf b = { .n = 0 };
	const struct bootlog *log;
	uint8_t v[DIGEST_MAX];

	add_specid_2(&b);
	add_locality(&b, 1, 3);
	add_agile(&b, 0, 0x8, 0x11, "v1", 2);
	log = replay_ok(&b);
	ck_assert_int_eq(log->startup_locality, 3);
	ck_assert_int_eq(log->hcrtm, 0);
	ck_assert_uint_eq(log->nevents, 3);
	ref_start(BANK_SHA256, v, 3);
	ref_extend(BANK_SHA256, v, 0x11);
	assert_pcr(log, BANK_SHA256, 0, v);
	ref_start(BANK_SHA1, v, 3);
	ref_extend(BANK_SHA1, v, 0x11);
	assert_pcr(log, BANK_SHA1, 0, v);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA256], 1);

	/* Touched by the locality alone: PCR 0 is 0...03. */
	b.n = 0;
	add_specid_2(&b);
	add_locality(&b, 1, 3);
	add_agile(&b, 4, 0x80000007, 0x22, "act", 3);
	log = replay_ok(&b);
	ref_start(BANK_SHA256, v, 3);
	assert_pcr(log, BANK_SHA256, 0, v);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA256], 1u << 0 | 1u << 4);

	/* Legacy format too. */
	b.n = 0;
	add_locality(&b, 0, 3);
	add_legacy(&b, 0, 0x8, 0x11, "v1", 2);
	log = replay_ok(&b);
	ck_assert_int_eq(log->format, BOOTLOG_LEGACY);
	ref_start(BANK_SHA1, v, 3);
	ref_extend(BANK_SHA1, v, 0x11);
	assert_pcr(log, BANK_SHA1, 0, v);
}
END_TEST

START_TEST(test_startup_locality_bad)
{
	struct logbuf b = { .n = 0 };
	size_t off;

	add_specid_2(&b);
	add_agile(&b, 0, 0x8, 0x11, "v1", 2);
	off = b.n;
	add_locality(&b, 1, 3);
	replay_bad(b.d, b.n, "after PCR 0 was extended");
	{
		char want[64];

		snprintf(want, sizeof(want), "event 2 at byte offset %zu", off);
		replay_bad(b.d, b.n, want);
	}
	b.n = 0;
	add_specid_2(&b);
	add_locality(&b, 1, 3);
	add_locality(&b, 1, 0);
	replay_bad(b.d, b.n, "second Startup Locality");
	b.n = 0;
	add_specid_2(&b);
	add_agile(&b, 0, EV_NO_ACTION, 0, "StartupLocality\0\3\3", 18);
	replay_bad(b.d, b.n, "Startup Locality event of 18 bytes");
}
END_TEST

START_TEST(test_hcrtm)
{
	struct logbuf b = { .n = 0 };
	const struct bootlog *log;
	uint8_t v[DIGEST_MAX];
	size_t off;
	char want[64];
	int bank;

	/* A Startup Locality of 3 is overridden: H-CRTM starts PCR 0 at 4. */
	add_specid_2(&b);
	add_locality(&b, 1, 3);
	add_agile(&b, 0, EV_EFI_HCRTM_EVENT, 0x33, "HCRTM", 5);
	add_agile(&b, 0, 0x8, 0x44, "v", 1);
	log = replay_ok(&b);
	ck_assert_int_eq(log->hcrtm, 1);
	ck_assert_int_eq(log->startup_locality, 3);
	for (bank = BANK_SHA1; bank <= BANK_SHA256; bank++) {
		ref_start(bank, v, 4);
		ref_extend(bank, v, 0x33);
		ref_extend(bank, v, 0x44);
		assert_pcr(log, bank, 0, v);
	}
	/* After another PCR 0 extension it cannot be genuine. */
	b.n = 0;
	add_specid_2(&b);
	add_agile(&b, 0, 0x8, 0x44, "v", 1);
	off = b.n;
	add_agile(&b, 0, EV_EFI_HCRTM_EVENT, 0x33, "HCRTM", 5);
	snprintf(want, sizeof(want), "event 2 at byte offset %zu: H-CRTM",
	    off);
	replay_bad(b.d, b.n, want);
	/* On another PCR it is an ordinary extension. */
	b.n = 0;
	add_specid_2(&b);
	add_agile(&b, 1, EV_EFI_HCRTM_EVENT, 0x33, "HCRTM", 5);
	log = replay_ok(&b);
	ck_assert_int_eq(log->hcrtm, 0);
	ref_start(BANK_SHA256, v, 0);
	ref_extend(BANK_SHA256, v, 0x33);
	assert_pcr(log, BANK_SHA256, 1, v);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA256], 1u << 1);
}
END_TEST

/* Callback: remember which events were extended. */
static int
note_extended(const struct bootlog_event *ev, void *arg)
{
	uint32_t *mask = arg;

	if (ev->extended)
		*mask |= 1u << ev->number;
	return 0;
}

START_TEST(test_not_extended)
{
	struct logbuf b = { .n = 0 };
	struct bootlog log;
	struct riv_err err = { "" };
	uint8_t v[DIGEST_MAX];
	uint32_t ext = 0;

	add_specid_2(&b);
	add_agile(&b, BOOTLOG_PCR_NONE, 0x5, 0x55, "x", 1);	/* 1 */
	add_agile(&b, 5, EV_NO_ACTION, 0x66, "nothing", 7);	/* 2 */
	add_agile(&b, 5, 0x80000006, 0x77, "gpt", 3);		/* 3 */
	add_agile(&b, BOOTLOG_PCR_NONE, 0x80000001, 0x88, "", 0);	/* 4 */
	ck_assert_int_eq(bootlog_replay(b.d, b.n, &log, note_extended, &ext,
	    &err), RIV_OK);
	ck_assert_uint_eq(ext, 1u << 3);
	ck_assert_uint_eq(log.pcrs.mask[BANK_SHA1], 1u << 5);
	ck_assert_uint_eq(log.pcrs.mask[BANK_SHA256], 1u << 5);
	ref_start(BANK_SHA256, v, 0);
	ref_extend(BANK_SHA256, v, 0x77);
	assert_pcr(&log, BANK_SHA256, 5, v);
	ck_assert_int_eq(log.startup_locality, -1);
}
END_TEST

START_TEST(test_padding)
{
	struct logbuf b = { .n = 0 };
	struct bootlog plain;
	const struct bootlog *log;
	size_t n;
	int c;

	add_specid_2(&b);
	add_agile(&b, 0, 0x8, 0x11, "v1", 2);
	add_agile(&b, 7, 0x80000001, 0x22, "sb", 2);
	n = b.n;
	plain = *replay_ok(&b);
	ck_assert_uint_eq(plain.length, n);
	for (c = 0x00; c <= 0xff; c += 0xff) {
		b.n = n;
		fill(&b, c, 1);
		log = replay_ok(&b);
		ck_assert_uint_eq(log->nevents, 3);
		fill(&b, c, 200);
		log = replay_ok(&b);
		ck_assert_uint_eq(log->nevents, 3);
		ck_assert_uint_eq(log->length, n);
		ck_assert_mem_eq(&log->pcrs, &plain.pcrs, sizeof(plain.pcrs));
	}
	/* Mixed padding is not padding: it must parse as an event. */
	b.n = n;
	fill(&b, 0x00, 40);
	fill(&b, 0xff, 40);
	replay_bad(b.d, b.n, "event 3 at byte offset");
	/* Legacy format with 0xFF padding. */
	b.n = 0;
	add_legacy(&b, 0, 0x8, 0x11, "v1", 2);
	fill(&b, 0xff, 64);
	log = replay_ok(&b);
	ck_assert_uint_eq(log->nevents, 1);
	ck_assert_int_eq(log->format, BOOTLOG_LEGACY);
}
END_TEST

START_TEST(test_unknown_alg)
{
	static const uint16_t algs[] = { TPM_ALG_SHA3_256, TPM_ALG_SHA256 };
	static const uint16_t sizes[] = { 32, 32 };
	struct logbuf b = { .n = 0 };
	const struct bootlog *log;
	uint8_t v[DIGEST_MAX];

	add_specid(&b, algs, sizes, 2, 0, 0);
	put32(&b, 0);
	put32(&b, 0x8);
	put32(&b, 2);
	put16(&b, TPM_ALG_SHA3_256);
	fill(&b, 0x99, 32);
	put16(&b, TPM_ALG_SHA256);
	fill(&b, 0x11, 32);
	put32(&b, 0);
	log = replay_ok(&b);
	ck_assert_uint_eq(log->bank_mask, 1u << BANK_SHA256);
	ck_assert_uint_eq(log->nunknown_algs, 1);
	ck_assert_uint_eq(log->unknown_algs[0], TPM_ALG_SHA3_256);
	ref_start(BANK_SHA256, v, 0);
	ref_extend(BANK_SHA256, v, 0x11);
	assert_pcr(log, BANK_SHA256, 0, v);
}
END_TEST

START_TEST(test_legacy_synthetic)
{
	struct logbuf b = { .n = 0 };
	const struct bootlog *log;
	uint8_t v[DIGEST_MAX];

	add_legacy(&b, 0, 0x8, 0x11, "v1", 2);
	add_legacy(&b, 0, 0x1, 0x22, "", 0);
	add_legacy(&b, 23, 0x1, 0x33, "x", 1);
	log = replay_ok(&b);
	ck_assert_int_eq(log->format, BOOTLOG_LEGACY);
	ck_assert_uint_eq(log->nevents, 3);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA1], 1u << 0 | 1u << 23);
	ck_assert_uint_eq(log->pcrs.mask[BANK_SHA256], 0);
	ref_start(BANK_SHA1, v, 0);
	ref_extend(BANK_SHA1, v, 0x11);
	ref_extend(BANK_SHA1, v, 0x22);
	assert_pcr(log, BANK_SHA1, 0, v);
}
END_TEST

START_TEST(test_bad_empty_garbage)
{
	static const char garbage[] = "this is not a measured boot log at all";
	uint8_t zeros[64];

	replay_bad((const uint8_t *)"", 0, "empty log");
	memset(zeros, 0, sizeof(zeros));
	replay_bad(zeros, sizeof(zeros), "event 0 at byte offset 0");
	replay_bad(zeros, sizeof(zeros), "padding");
	replay_bad((const uint8_t *)garbage, sizeof(garbage) - 1,
	    "event 0 at byte offset 0: PCR index");
	replay_bad(zeros, 5, "event 0 at byte offset 0");
	zeros[0] = 1;
	replay_bad(zeros, 31, "truncated");
}
END_TEST

START_TEST(test_bad_truncated)
{
	struct logbuf b = { .n = 0 };
	size_t off, n;
	char want[80];

	add_specid_2(&b);
	add_agile(&b, 0, 0x8, 0x11, "v1", 2);
	off = b.n;
	add_agile(&b, 7, 0x80000001, 0x22, "secureboot", 10);
	snprintf(want, sizeof(want), "event 2 at byte offset %zu: truncated",
	    off);
	/* Cut inside the header, the digests, the size and the data. */
	for (n = off + 1; n < b.n; n += 5)
		replay_bad(b.d, n, want);
	replay_bad(b.d, b.n - 1, want);
	/* Cut inside the Spec ID event. */
	replay_bad(b.d, 40, "event 0 at byte offset 0: truncated");
	/* An event size larger than what remains. */
	b.n = off;
	add_agile(&b, 7, 0x80000001, 0x22, "", 0);
	b.n -= 4;
	put32(&b, 1000);
	put(&b, "abc", 3);
	replay_bad(b.d, b.n, want);
	/* An event size over the limit. */
	b.n -= 7;
	put32(&b, BOOTLOG_DATA_MAX + 1);
	snprintf(want, sizeof(want), "event 2 at byte offset %zu: event data "
	    "size %u at byte offset %zu exceeds", off, BOOTLOG_DATA_MAX + 1,
	    b.n - 4);
	replay_bad(b.d, b.n, want);
}
END_TEST

START_TEST(test_bad_specid)
{
	static const uint16_t algs[] = { TPM_ALG_SHA1, TPM_ALG_SHA256 };
	static const uint16_t sizes[] = { 20, 32 };
	static const uint16_t bad_sizes[] = { 20, 20 };
	static const uint16_t zero_sizes[] = { 20, 0 };
	static const uint16_t dup[] = { TPM_ALG_SHA1, TPM_ALG_SHA1 };
	struct logbuf b = { .n = 0 };

	/* vendorInfoSize 3 but 5 bytes follow (event size says 5). */
	add_specid(&b, algs, sizes, 2, 3, 5);
	replay_bad(b.d, b.n, "vendorInfoSize 3 at byte offset 68 disagrees");
	/* vendorInfoSize 9 but the event ends after 5. */
	b.n = 0;
	add_specid(&b, algs, sizes, 2, 9, 5);
	replay_bad(b.d, b.n, "vendorInfoSize 9 at byte offset 68 disagrees");
	/* numberOfAlgorithms 0 and absurd. */
	b.n = 0;
	add_specid(&b, algs, sizes, 0, 0, 0);
	replay_bad(b.d, b.n, "numberOfAlgorithms 0 at byte offset 56");
	b.n = 0;
	add_specid(&b, algs, sizes, 2, 0, 0);
	b.d[56] = 0xe8;		/* 1000 */
	b.d[57] = 0x03;
	replay_bad(b.d, b.n, "numberOfAlgorithms 1000 at byte offset 56");
	b.d[56] = 0xff;
	b.d[57] = b.d[58] = b.d[59] = 0xff;
	replay_bad(b.d, b.n, "numberOfAlgorithms 4294967295");
	/* A known algorithm with the wrong size, a zero size, a duplicate. */
	b.n = 0;
	add_specid(&b, algs, bad_sizes, 2, 0, 0);
	replay_bad(b.d, b.n, "sha256 a digest size of 20, not 32 (byte "
	    "offset 66)");
	b.n = 0;
	add_specid(&b, dup, sizes, 2, 0, 0);
	replay_bad(b.d, b.n, "algorithm 0x0004 twice (byte offset 64)");
	b.n = 0;
	add_specid(&b, algs, zero_sizes, 2, 0, 0);
	replay_bad(b.d, b.n, "digest size of 0");
	/* Too short to hold its header. */
	b.n = 0;
	put32(&b, 0);
	put32(&b, EV_NO_ACTION);
	fill(&b, 0, 20);
	put32(&b, 20);
	put(&b, "Spec ID Event03\0abcd", 20);
	replay_bad(b.d, b.n, "shorter than its 28-byte header");
	/* A second Spec ID event. */
	b.n = 0;
	add_specid_2(&b);
	add_agile(&b, 0, EV_NO_ACTION, 0, "Spec ID Event03", 16);
	replay_bad(b.d, b.n, "event 1 at byte offset 69: a Spec ID event may "
	    "only be the first");
}
END_TEST

START_TEST(test_bad_events)
{
	struct logbuf b = { .n = 0 };
	size_t off;
	char want[96];

	/* Digest algorithm absent from the Spec ID table. */
	add_specid_2(&b);
	off = b.n;
	put32(&b, 0);
	put32(&b, 0x8);
	put32(&b, 1);
	put16(&b, TPM_ALG_SHA384);
	fill(&b, 0, 48);
	put32(&b, 0);
	snprintf(want, sizeof(want), "event 1 at byte offset %zu: digest "
	    "algorithm 0x000c at byte offset %zu is not in the Spec ID", off,
	    off + 12);
	replay_bad(b.d, b.n, want);
	/* Absurd digest count. */
	b.n = off;
	put32(&b, 0);
	put32(&b, 0x8);
	put32(&b, 0x7fffffff);
	snprintf(want, sizeof(want), "event 1 at byte offset %zu: digest "
	    "count 2147483647 at byte offset %zu", off, off + 8);
	replay_bad(b.d, b.n, want);
	/* The same algorithm twice. */
	b.n = off;
	put32(&b, 0);
	put32(&b, 0x8);
	put32(&b, 2);
	put16(&b, TPM_ALG_SHA1);
	fill(&b, 0, 20);
	put16(&b, TPM_ALG_SHA1);
	fill(&b, 0, 20);
	put32(&b, 0);
	replay_bad(b.d, b.n, "algorithm 0x0004 repeated");
	/* PCR index out of range, agile and legacy. */
	b.n = off;
	add_agile(&b, 24, 0x8, 0, "", 0);
	snprintf(want, sizeof(want), "event 1 at byte offset %zu: PCR index "
	    "24 out of range", off);
	replay_bad(b.d, b.n, want);
	b.n = 0;
	add_legacy(&b, 0, 0x8, 0, "", 0);
	add_legacy(&b, 0x80000000u, 0x8, 0, "", 0);
	replay_bad(b.d, b.n, "event 1 at byte offset 32: PCR index "
	    "2147483648");
}
END_TEST

/* v = H(v || H(s)) in bank: an EV_EFI_ACTION string extended, by hand. */
static void
ref_extend_string(int bank, uint8_t *v, const char *s)
{
	uint8_t buf[2 * DIGEST_MAX];
	size_t n = bank_get(bank)->size;

	memcpy(buf, v, n);
	ck_assert_int_eq(bank_hash(bank, s, strlen(s), buf + n), 0);
	ck_assert_int_eq(bank_hash(bank, buf, 2 * n, v), 0);
}

/* A sha1+sha256 log extending PCRs 0 and 5, plus one event on pcr5ev. */
static struct bootlog *
quirk_log(struct bootlog *out, uint32_t pcr5ev, const void *data,
    uint32_t len)
{
	struct logbuf b = { .n = 0 };
	struct riv_err err = { "" };

	add_specid_2(&b);
	add_agile(&b, 0, 0x80000008, 0x22, "fw", 2);
	add_agile(&b, 5, 0x4, 0x11, "\0\0\0\0", 4);
	if (data != NULL)
		add_agile(&b, pcr5ev, EV_EFI_ACTION, 0x33, data, len);
	ck_assert_msg(bootlog_replay(b.d, b.n, out, NULL, NULL, &err) ==
	    RIV_OK, "%s", err.msg);
	return out;
}

START_TEST(test_quirk_ebs)
{
	static struct bootlog log, logged;
	static struct bootlog_match m;
	static struct pcrset want, alt;
	const struct bootlog_quirk *q;
	uint8_t v[DIGEST_MAX];
	size_t i;
	int b;

	ck_assert_uint_ge(bootlog_quirk_count(), 3);
	ck_assert_ptr_null(bootlog_quirk_get(bootlog_quirk_count()));
	ck_assert_int_eq(bootlog_quirk_known("ebs-unlogged"), 1);
	ck_assert_int_eq(bootlog_quirk_known("ebs"), 0);
	q = bootlog_quirk_get(0);
	ck_assert_str_eq(q->name, "ebs-unlogged");
	ck_assert_uint_eq(q->pcr, 5);
	ck_assert_uint_eq(q->nextends, 2);

	/* The tolerant replay: PCR 5 extended with the two strings. */
	quirk_log(&log, 5, NULL, 0);
	ck_assert_int_eq(bootlog_quirk_apply(&log, 0, &alt), 0);
	for (b = BANK_SHA1; b <= BANK_SHA256; b++) {
		memcpy(v, pcrset_get(&log.pcrs, b, 5), bank_get(b)->size);
		ref_extend_string(b, v, "Exit Boot Services Invocation");
		ref_extend_string(b, v,
		    "Exit Boot Services Returned with Success");
		ck_assert_mem_eq(pcrset_get(&alt, b, 5), v, bank_get(b)->size);
		ck_assert_mem_eq(pcrset_get(&alt, b, 0),
		    pcrset_get(&log.pcrs, b, 0), bank_get(b)->size);
	}
	ck_assert_int_eq(bootlog_quirk_apply(&log, bootlog_quirk_count(),
	    &alt), -1);

	/* Plain values match without a quirk. */
	ck_assert_int_eq(bootlog_match(&log, &log.pcrs, &m), RIV_OK);
	ck_assert_int_eq(m.quirk, -1);
	ck_assert_uint_eq(m.ncompared, 4);

	/* Each variant is recognised, and only with every bank agreeing. */
	for (i = 0; i < bootlog_quirk_count(); i++) {
		ck_assert_int_eq(bootlog_quirk_apply(&log, i, &want), 0);
		ck_assert_int_eq(bootlog_match(&log, &want, &m), RIV_OK);
		ck_assert_int_eq(m.quirk, (int)i);
		ck_assert_uint_eq(m.mismatched[BANK_SHA1], 1u << 5);
		ck_assert_mem_eq(pcrset_get(&m.pcrs, BANK_SHA256, 5),
		    pcrset_get(&want, BANK_SHA256, 5), 32);
	}
	ck_assert_int_eq(bootlog_quirk_apply(&log, 0, &want), 0);
	pcrset_set(&want, BANK_SHA1, 5, pcrset_get(&log.pcrs, BANK_SHA1, 5));
	ck_assert_int_eq(bootlog_match(&log, &want, &m), RIV_FAIL);
	ck_assert_int_eq(m.quirk, -1);
	ck_assert_uint_eq(m.mismatched[BANK_SHA256], 1u << 5);

	/* The quirk cannot excuse another PCR. */
	ck_assert_int_eq(bootlog_quirk_apply(&log, 0, &want), 0);
	memset(v, 0x44, sizeof(v));
	pcrset_set(&want, BANK_SHA256, 0, v);
	ck_assert_int_eq(bootlog_match(&log, &want, &m), RIV_FAIL);
	ck_assert_int_eq(m.quirk, -1);
	ck_assert_uint_eq(m.mismatched[BANK_SHA256], 1u << 0 | 1u << 5);

	/* Nothing in common: no match. */
	pcrset_init(&want);
	pcrset_set(&want, BANK_SHA256, 16, v);
	ck_assert_int_eq(bootlog_match(&log, &want, &m), RIV_FAIL);
	ck_assert_uint_eq(m.ncompared, 0);

	/* A log that holds an EBS event (with a NUL) rules the quirk out. */
	quirk_log(&logged, 5, "Exit Boot Services Invocation", 30);
	for (i = 0; i < bootlog_quirk_count(); i++)
		ck_assert_int_eq(bootlog_quirk_apply(&logged, i, &alt), -1);
	/* On another PCR, or another string, it does not. */
	quirk_log(&logged, 4, "Exit Boot Services Invocation", 29);
	ck_assert_int_eq(bootlog_quirk_apply(&logged, 0, &alt), 0);
	quirk_log(&logged, 5, "Exit Boot Services Invocation!", 30);
	ck_assert_int_eq(bootlog_quirk_apply(&logged, 0, &alt), 0);
}
END_TEST

START_TEST(test_type_names)
{
	ck_assert_str_eq(bootlog_event_type_name(0x0), "EV_PREBOOT_CERT");
	ck_assert_str_eq(bootlog_event_type_name(0x3), "EV_NO_ACTION");
	ck_assert_str_eq(bootlog_event_type_name(0x8), "EV_S_CRTM_VERSION");
	ck_assert_str_eq(bootlog_event_type_name(0x80000003),
	    "EV_EFI_BOOT_SERVICES_APPLICATION");
	ck_assert_str_eq(bootlog_event_type_name(0x80000010),
	    "EV_EFI_HCRTM_EVENT");
	ck_assert_str_eq(bootlog_event_type_name(0x800000e0),
	    "EV_EFI_VARIABLE_AUTHORITY");
	ck_assert_str_eq(bootlog_event_type_name(0x800000e1),
	    "EV_EFI_SPDM_FIRMWARE_BLOB");
	ck_assert_ptr_null(bootlog_event_type_name(0x14));
	ck_assert_ptr_null(bootlog_event_type_name(0x800000ff));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("bootlog");
	TCase *corpus = tcase_create("corpus");
	TCase *rules = tcase_create("rules");
	TCase *bad = tcase_create("malformed");

	tcase_add_test(corpus, test_corpus_directory);
	tcase_add_test(corpus, test_corpus_known);
	tcase_add_test(corpus, test_corpus_unverified);
	tcase_add_test(corpus, test_corpus_values);
	tcase_add_test(corpus, test_callback);
	tcase_add_test(corpus, test_callback_stop);
	tcase_add_test(corpus, test_incremental);
	tcase_add_test(rules, test_startup_locality);
	tcase_add_test(rules, test_hcrtm);
	tcase_add_test(rules, test_not_extended);
	tcase_add_test(rules, test_padding);
	tcase_add_test(rules, test_unknown_alg);
	tcase_add_test(rules, test_incomplete_bank);
	tcase_add_test(rules, test_legacy_synthetic);
	tcase_add_test(rules, test_type_names);
	tcase_add_test(rules, test_quirk_ebs);
	tcase_add_test(bad, test_startup_locality_bad);
	tcase_add_test(bad, test_bad_empty_garbage);
	tcase_add_test(bad, test_bad_truncated);
	tcase_add_test(bad, test_bad_specid);
	tcase_add_test(bad, test_bad_events);
	suite_add_tcase(s, corpus);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, bad);
	return run_suite(s);
}
