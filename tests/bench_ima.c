/*
 * bench_ima.c — IMA measurement list throughput: a generated 100,000-entry
 * ima-ng list (SHA-256 file digests, SHA-1 template digests) appraised
 * against a generated 10,000-path policy, in full and incrementally, and
 * replay-only figures per bank.  Single-threaded, so entries per second
 * is entries per second per core.  Figures only, never assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ima.h"
#include "ima_policy.h"

#define BENCH_ENTRIES	100000
#define BENCH_POLICY	10000
#define BENCH_STEP	100	/* entries per incremental step */

static const char *dirs[] = {
	"/usr/bin/", "/usr/lib/x86_64-linux-gnu/", "/usr/sbin/",
	"/usr/lib/systemd/", "/usr/libexec/", "/etc/", "/usr/share/perl5/",
	"/usr/lib/python3/dist-packages/",
};

/* A growing byte buffer. */
struct gbuf {
	uint8_t	*d;
	size_t	 n, cap;
};

/* Append bytes; exits on out of memory (a benchmark, not a library). */
static void
gput(struct gbuf *b, const void *p, size_t len)
{
	if (b->n + len > b->cap) {
		b->cap = (b->n + len) * 2;
		if ((b->d = realloc(b->d, b->cap)) == NULL) {
			perror("bench_ima");
			exit(1);
		}
	}
	memcpy(b->d + b->n, p, len);
	b->n += len;
}

/* Append a string without its NUL. */
static void
gputs(struct gbuf *b, const char *s)
{
	gput(b, s, strlen(s));
}

/* Append a little-endian u32. */
static void
gput32(struct gbuf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };

	gput(b, x, 4);
}

/* The path and file digest of generated entry i. */
static void
gen_file(size_t i, char *path, size_t plen, uint8_t *digest)
{
	uint32_t x = (uint32_t)i * 2654435761u + 1;
	size_t k;

	snprintf(path, plen, "%slib%s-%zu.so.%zu", dirs[i % 8],
	    i % 3 ? "component" : "x", i, i % 7);
	for (k = 0; k < 32; k++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		digest[k] = (uint8_t)x;
	}
}

/* Generate the list (entry 0 is boot_aggregate) and byte offsets. */
static void
gen_list(struct gbuf *list, size_t *off)
{
	struct gbuf td = { NULL, 0, 0 };
	uint8_t dng[8 + 32], tdig[20];
	char path[256];
	size_t i;

	memcpy(dng, "sha256:", 8);
	for (i = 0; i < BENCH_ENTRIES; i++) {
		if (i == 0) {
			snprintf(path, sizeof(path), "boot_aggregate");
			memset(dng + 8, 0x5a, 32);
		} else
			gen_file(i, path, sizeof(path), dng + 8);
		td.n = 0;
		gput32(&td, sizeof(dng));
		gput(&td, dng, sizeof(dng));
		gput32(&td, (uint32_t)strlen(path) + 1);
		gput(&td, path, strlen(path) + 1);
		bank_hash(BANK_SHA1, td.d, td.n, tdig);
		off[i] = list->n;
		gput32(list, IMA_PCR);
		gput(list, tdig, 20);
		gput32(list, 6);
		gput(list, "ima-ng", 6);
		gput32(list, (uint32_t)td.n);
		gput(list, td.d, td.n);
	}
	off[BENCH_ENTRIES] = list->n;
	free(td.d);
}

/* Generate the policy text: the first BENCH_POLICY files' digests. */
static char *
gen_policy(size_t *len)
{
	struct gbuf p = { NULL, 0, 0 };
	char path[256], hex[65], line[400];
	uint8_t d[32];
	size_t i;
	int n;

	gputs(&p, "{\"version\":1,\"allow_unlisted\":true,"
	    "\"boot_aggregate\":\"sha256:");
	memset(d, 0x5a, 32);
	hex_encode(d, 32, hex);
	gput(&p, hex, 64);
	gputs(&p, "\",\"digests\":{");
	for (i = 1; i <= BENCH_POLICY; i++) {
		gen_file(i, path, sizeof(path), d);
		hex_encode(d, 32, hex);
		n = snprintf(line, sizeof(line), "%s\"%s\":\"sha256:%s\"",
		    i > 1 ? "," : "", path, hex);
		gput(&p, line, (size_t)n);
	}
	gput(&p, "}}", 3);
	*len = p.n - 1;
	return (char *)p.d;
}

/* What the appraising callback counts. */
struct tally {
	struct ima_appraiser	*ap;
	size_t			 fails, mismatches;
};

/* ima_feed callback: appraise against the policy. */
static int
appraise(const struct ima_entry *e, int mismatch, void *arg)
{
	struct tally *t = arg;
	char reason[IMA_REASON_MAX];

	if (mismatch)
		t->mismatches++;
	if (t->ap != NULL && ima_appraise_entry(t->ap, e, reason,
	    sizeof(reason)) != RIV_OK)
		t->fails++;
	return 0;
}

/* Replay the whole list once with mask; return seconds. */
static double
run_full(const struct gbuf *list, uint32_t mask, struct tally *t)
{
	struct ima_state *st = ima_state_new(mask);
	struct hasher *h = hasher_new();
	struct riv_err err;
	double t0 = bench_now(), dt;

	if (ima_feed(st, h, list->d, list->n, IMA_FORMAT_BINARY, 0,
	    t != NULL ? appraise : NULL, t, &err) != RIV_OK)
		printf("  ima feed failed: %s\n", err.msg);
	dt = bench_now() - t0;
	hasher_free(h);
	ima_state_free(st);
	return dt;
}

/* Replay the list BENCH_STEP entries at a time; return seconds. */
static double
run_steps(const struct gbuf *list, const size_t *off, uint32_t mask,
    struct tally *t)
{
	struct ima_state *st = ima_state_new(mask);
	struct hasher *h = hasher_new();
	struct riv_err err;
	double t0 = bench_now(), dt;
	size_t i, j;

	for (i = 0; i < BENCH_ENTRIES; i += BENCH_STEP) {
		j = i + BENCH_STEP < BENCH_ENTRIES ? i + BENCH_STEP :
		    BENCH_ENTRIES;
		if (ima_feed(st, h, list->d + off[i], off[j] - off[i],
		    IMA_FORMAT_BINARY, i, appraise, t, &err) != RIV_OK) {
			printf("  ima step failed: %s\n", err.msg);
			break;
		}
	}
	dt = bench_now() - t0;
	hasher_free(h);
	ima_state_free(st);
	return dt;
}

/* Time parsing alone (no hashing). */
static double
run_parse(const struct gbuf *list)
{
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	double t0 = bench_now();

	if (ima_reader_open(&r, list->d, list->n, IMA_FORMAT_BINARY, -1, 0,
	    &err) != RIV_OK)
		return 0;
	while (ima_reader_next(&r, &e, &err) == 1)
		;
	ima_reader_close(&r);
	return bench_now() - t0;
}

/* Print one figure line. */
static void
figure(const char *what, double secs)
{
	printf("  %-44s %10.0f entries/s/core (%.3f s)\n", what,
	    secs > 0 ? BENCH_ENTRIES / secs : 0, secs);
}

/* The IMA benchmark (the corpus is not used: the list is generated). */
void
bench_ima(const char *corpus)
{
	struct gbuf list = { NULL, 0, 0 };
	struct tally t = { NULL, 0, 0 };
	struct ima_policy *pol;
	struct riv_err err;
	size_t *off, plen;
	char *ptext, what[64];
	double t0, secs;
	int b;

	(void)corpus;
	printf("ima: %d-entry ima-ng list (sha256 file digests), %d-path "
	    "policy; target 1,000,000 entries/s/core\n", BENCH_ENTRIES,
	    BENCH_POLICY);
	if ((off = calloc(BENCH_ENTRIES + 1, sizeof(*off))) == NULL)
		return;
	gen_list(&list, off);
	ptext = gen_policy(&plen);
	t0 = bench_now();
	pol = ima_policy_parse(ptext, plen, &err);
	secs = bench_now() - t0;
	if (pol == NULL) {
		printf("  policy parse failed: %s\n", err.msg);
		goto done;
	}
	printf("  policy parse: %.3f s (%zu bytes)\n", secs, plen);
	figure("parse only", run_parse(&list));
	for (b = 0; b < BANK_COUNT; b++) {
		if (!bank_available(b))
			continue;
		snprintf(what, sizeof(what), "replay only, %s bank "
		    "(+ sha1 verify)", bank_get(b)->name);
		figure(what, run_full(&list, 1u << b, NULL));
	}
	t.ap = ima_appraiser_new(pol);
	secs = run_full(&list, 1u << BANK_SHA1 | 1u << BANK_SHA256, &t);
	figure("full: sha1+sha256 replay + policy", secs);
	printf("  (policy failures %zu, digest mismatches %zu)\n", t.fails,
	    t.mismatches);
	ima_appraiser_free(t.ap);
	t.ap = ima_appraiser_new(pol);
	figure("incremental, 100 entries/step, same work",
	    run_steps(&list, off, 1u << BANK_SHA1 | 1u << BANK_SHA256, &t));
	ima_appraiser_free(t.ap);
	ima_policy_unref(pol);
done:
	free(ptext);
	free(off);
	free(list.d);
}
