/*
 * bench_ima.c — IMA measurement list throughput: a generated 100,000-entry
 * ima-ng list (SHA-256 file digests, SHA-1 template digests) appraised
 * against a generated 10,000-path policy, in full (sha1+sha256, as rivctl
 * replays a SHA-1 list by default, and all five banks) and incrementally
 * (with the state saved and loaded and a quote checked at every step), and
 * replay-only figures per bank, beside the raw hashing ceiling, each
 * bank's cost per block and the bound they put on five banks.
 * Single-threaded and timed in the thread's CPU time, so entries per
 * second is entries per second per core, even while other work shares
 * the machine.  Each figure is the best of BENCH_RUNS runs.  Figures
 * only, never assertions.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "bench.h"
#include "ima.h"
#include "ima_policy.h"

#define BENCH_ENTRIES	100000
#define BENCH_POLICY	10000
#define BENCH_STEP	100	/* entries per incremental step */
#define BENCH_RUNS	7	/* runs per figure; the best is shown */
#define TARGET_BOTH	2000000	/* entries/s/core, sha1+sha256 + policy */
#define TARGET_ALL	1000000	/* entries/s/core, all five banks */
#define BLOCK_MSG	65536	/* message timed for a bank's block cost */

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

/*
 * Generate a Keylime runtime policy for every file of the list, as
 * keylime_create_policy writes one (", " and ": " separators): every tenth
 * path has a second digest, a few excludes; about 12 MB.
 */
static char *
gen_keylime(size_t *len)
{
	struct gbuf p = { NULL, 0, 0 };
	char path[256], hex[65], line[512];
	uint8_t d[32];
	size_t i;
	int n;

	gputs(&p, "{\"meta\": {\"version\": 1, \"generator\": 3, "
	    "\"timestamp\": \"2024-05-01 12:00:00.000000\"}, \"release\": 0, "
	    "\"digests\": {");
	for (i = 1; i < BENCH_ENTRIES; i++) {
		gen_file(i, path, sizeof(path), d);
		hex_encode(d, 32, hex);
		n = snprintf(line, sizeof(line), "%s\"%s\": [\"%s\"",
		    i > 1 ? ", " : "", path, hex);
		gput(&p, line, (size_t)n);
		if (i % 10 == 0) {
			d[0] ^= 0xff;
			hex_encode(d, 32, hex);
			n = snprintf(line, sizeof(line), ", \"%s\"", hex);
			gput(&p, line, (size_t)n);
		}
		gputs(&p, "]");
	}
	gputs(&p, "}, \"excludes\": [\"/tmp/.*\", \"/var/log/.*\", "
	    "\"/proc/.*\"], \"keyrings\": {}, \"ima\": {\"ignored_keyrings\": "
	    "[], \"log_hash_alg\": \"sha1\", \"dm_policy\": null}, "
	    "\"ima-buf\": {}, \"verification-keys\": \"\"}");
	*len = p.n;
	return (char *)p.d;
}

/* Read a "VmRSS:"-style line of /proc/self/status in KiB; -1 if absent. */
static long
status_kib(const char *name)
{
	char line[128];
	size_t n = strlen(name);
	long kib = -1;
	FILE *f;

	if ((f = fopen("/proc/self/status", "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, n) == 0) {
			kib = strtol(line + n, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

/*
 * In a child (so the bench's freed memory is not reused), reset the peak
 * RSS, load the policy file and return how much the peak rose, in KiB; -1
 * if the kernel cannot reset the peak (clear_refs, Linux 4.0).
 */
static long
policy_rss(const char *path)
{
	struct ima_policy *pol;
	struct riv_err err;
	long kib = -1, before, peak;
	int fds[2], status;
	pid_t pid;
	FILE *f;

	if (pipe(fds) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[0]);
		/*
		 * Allocate as a fresh rivctl or rivd would: the bench's
		 * frees raised glibc's mmap threshold, which would serve
		 * big blocks from the heap (calloc then touches them).
		 */
		mallopt(M_MMAP_THRESHOLD, 128 * 1024);
		before = status_kib("VmRSS:");
		if ((f = fopen("/proc/self/clear_refs", "w")) == NULL ||
		    fputs("5", f) == EOF || fclose(f) == EOF)
			_exit(1);
		pol = ima_policy_load(path, &err);
		peak = status_kib("VmHWM:");
		if (pol != NULL && before >= 0 && peak >= before) {
			kib = peak - before;
			if (write(fds[1], &kib, sizeof(kib)) != sizeof(kib))
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], &kib, sizeof(kib)) != sizeof(kib))
		kib = -1;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return kib;
}

/*
 * Time loading a generated Keylime runtime policy from a file (read,
 * SHA-256, parse) and measure the memory it takes; targets 100 MB/s and a
 * peak within twice the file's size.
 */
static void
print_policy_load(void)
{
	char path[] = "/tmp/rivd-bench-pol-XXXXXX";
	struct ima_policy *pol;
	struct riv_err err;
	double t0, dt, best = 0;
	size_t len, paths = 0;
	char *text;
	long kib;
	FILE *f;
	int fd, i;

	text = gen_keylime(&len);
	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL) {
		free(text);
		return;
	}
	fwrite(text, 1, len, f);
	fclose(f);
	free(text);
	/* First, while the bench has freed no policy a child could reuse. */
	kib = policy_rss(path);
	for (i = 0; i < BENCH_RUNS; i++) {
		t0 = bench_now();
		pol = ima_policy_load(path, &err);
		dt = bench_now() - t0;
		if (pol == NULL) {
			printf("  policy load failed: %s\n", err.msg);
			goto done;
		}
		paths = ima_policy_paths(pol);
		ima_policy_unref(pol);
		if (i == 0 || dt < best)
			best = dt;
	}
	printf("  policy load: Keylime, %zu paths, %.1f MB: %.0f MB/s (%.3f s; "
	    "target 100 MB/s)\n", paths, len / 1e6, len / 1e6 / best, best);
	if (kib >= 0)
		printf("  policy load peak RSS: +%.1f MiB for a %.1f MiB file "
		    "(%.2fx; target 2x)\n", kib / 1024.0, len / 1048576.0,
		    kib * 1024.0 / (double)len);
done:
	unlink(path);
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

/* A benchmark's input: the list, its entry offsets, the policy. */
struct input {
	struct gbuf		 list;
	size_t			*off;
	struct ima_policy	*pol;
	uint32_t		 mask;	/* banks replayed */
	int			 known;	/* settle the rules first */
	struct pcrset		*quotes;	/* after every step */
};

/*
 * Settle the rules as a first quote does: apply entry 0 and check a quote
 * of its per-bank values in every bank.
 */
static void
settle(const struct input *in, struct ima_state *st, struct hasher *h)
{
	struct ima_quote q;
	struct pcrset v;
	struct riv_err err;

	if (ima_feed(st, h, in->list.d, in->off[1], IMA_FORMAT_BINARY, 0,
	    NULL, NULL, &err) != RIV_OK)
		printf("  ima feed failed: %s\n", err.msg);
	ima_state_values(st, &v);
	if (ima_quote_check(st, &v, &q) != RIV_OK)
		printf("  quote failed: %s\n", q.reason);
}

/* Replay the list once (appraising if t); return seconds. */
static double
run_full(const struct input *in, struct tally *t)
{
	struct ima_state *st = ima_state_new(in->mask);
	struct hasher *h = hasher_new();
	struct riv_err err;
	double t0, dt;
	size_t first = 0;

	if (t != NULL && (t->ap = ima_appraiser_new(in->pol)) == NULL)
		return 0;
	if (in->known) {
		settle(in, st, h);
		first = 1;
	}
	t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
	if (ima_feed(st, h, in->list.d + in->off[first],
	    in->list.n - in->off[first], IMA_FORMAT_BINARY, first,
	    t != NULL ? appraise : NULL, t, &err) != RIV_OK)
		printf("  ima feed failed: %s\n", err.msg);
	dt = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
	if (t != NULL)
		ima_appraiser_free(t->ap);
	hasher_free(h);
	ima_state_free(st);
	return dt;
}

/* Save a state to a malloc'd JSON text; NULL if out of memory. */
static char *
state_save(const struct ima_state *st, size_t *len)
{
	char *text = NULL;
	FILE *f;

	if ((f = open_memstream(&text, len)) == NULL)
		return NULL;
	ima_state_write(f, st);
	fclose(f);
	return text;
}

/* Load a state from JSON text; 0 or -1. */
static int
state_load(const char *text, size_t len, struct ima_state *st)
{
	struct riv_err err;
	struct json *doc;
	int rc;

	if ((doc = json_parse(text, len, &err)) == NULL) {
		printf("  state parse failed: %s\n", err.msg);
		return -1;
	}
	rc = ima_state_from_json(doc, st, &err);
	json_free(doc);
	if (rc != RIV_OK)
		printf("  state load failed: %s\n", err.msg);
	return rc == RIV_OK ? 0 : -1;
}

/*
 * Appraise the list BENCH_STEP entries at a time as rivd will: load the
 * state saved by the previous step, feed the new entries, check the quote
 * that came with them, save the state.  Return seconds.
 */
static double
run_steps(const struct input *in, struct tally *t)
{
	struct ima_state *st = ima_state_new(in->mask);
	struct hasher *h = hasher_new();
	struct ima_quote q;
	struct riv_err err;
	double t0, dt;
	size_t i, j, len;
	char *text;

	if ((t->ap = ima_appraiser_new(in->pol)) == NULL)
		return 0;
	text = state_save(st, &len);
	t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < BENCH_ENTRIES && text != NULL; i += BENCH_STEP) {
		j = i + BENCH_STEP < BENCH_ENTRIES ? i + BENCH_STEP :
		    BENCH_ENTRIES;
		if (state_load(text, len, st) == -1)
			break;
		free(text);
		text = NULL;
		ima_quote_watch(st, &in->quotes[i / BENCH_STEP]);
		if (ima_feed(st, h, in->list.d + in->off[i],
		    in->off[j] - in->off[i], IMA_FORMAT_BINARY, i, appraise,
		    t, &err) != RIV_OK) {
			printf("  ima step failed: %s\n", err.msg);
			break;
		}
		if (ima_quote_check(st, &in->quotes[i / BENCH_STEP], &q) !=
		    RIV_OK) {
			printf("  quote at step %zu failed: %s\n", i, q.reason);
			break;
		}
		text = state_save(st, &len);
	}
	dt = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
	free(text);
	ima_appraiser_free(t->ap);
	hasher_free(h);
	ima_state_free(st);
	return dt;
}

/*
 * Record the quote of every step: the per-bank values after it of the
 * banks in mask.
 */
static struct pcrset *
gen_quotes(const struct input *in, uint32_t mask)
{
	struct ima_state *st = ima_state_new(mask);
	struct hasher *h = hasher_new();
	struct pcrset *q;
	struct riv_err err;
	size_t i, j, n = (BENCH_ENTRIES + BENCH_STEP - 1) / BENCH_STEP;

	if ((q = calloc(n, sizeof(*q))) == NULL || st == NULL || h == NULL)
		goto done;
	for (i = 0; i < BENCH_ENTRIES; i += BENCH_STEP) {
		j = i + BENCH_STEP < BENCH_ENTRIES ? i + BENCH_STEP :
		    BENCH_ENTRIES;
		if (ima_feed(st, h, in->list.d + in->off[i],
		    in->off[j] - in->off[i], IMA_FORMAT_BINARY, i, NULL, NULL,
		    &err) != RIV_OK)
			break;
		ima_state_values(st, &q[i / BENCH_STEP]);
	}
done:
	hasher_free(h);
	ima_state_free(st);
	return q;
}

/* Time parsing alone (no hashing). */
static double
run_parse(const struct input *in, struct tally *t)
{
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	double t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);

	(void)t;
	if (ima_reader_open(&r, in->list.d, in->list.n, IMA_FORMAT_BINARY, -1,
	    0, &err) != RIV_OK)
		return 0;
	while (ima_reader_next(&r, &e, &err) == 1)
		;
	ima_reader_close(&r);
	return bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
}

/*
 * Run a benchmark BENCH_RUNS times and print its best figure, beside its
 * target (entries per second) if it has one.
 */
static void
figure_target(const char *what, double (*run)(const struct input *,
    struct tally *), const struct input *in, int policy, double target)
{
	struct tally t = { NULL, 0, 0 };
	double secs, best = 0;
	int i;

	for (i = 0; i < BENCH_RUNS; i++) {
		t.fails = t.mismatches = 0;
		secs = run(in, policy ? &t : NULL);
		if (i == 0 || secs < best)
			best = secs;
	}
	printf("  %-50s %9.0f entries/s/core (%.3f s)", what,
	    best > 0 ? BENCH_ENTRIES / best : 0, best);
	if (target > 0)
		printf(" target %.0f: %s", target, best > 0 &&
		    BENCH_ENTRIES / best >= target ? "met" : "NOT met");
	printf("\n");
	if (policy && (t.fails != 0 || t.mismatches != 0))
		printf("    (policy failures %zu, digest mismatches %zu)\n",
		    t.fails, t.mismatches);
}

/* Run a benchmark without a target and print its best figure. */
static void
figure(const char *what, double (*run)(const struct input *,
    struct tally *), const struct input *in, int policy)
{
	figure_target(what, run, in, policy, 0);
}

/*
 * The raw hashing ceiling: SHA-256 of one 64-byte block per second through
 * bank_hash, the cheapest hash the replay makes (an extend).
 */
static void
print_ceiling(void)
{
	uint8_t block[64] = { 1 }, out[DIGEST_MAX];
	double t0, best = 0, dt;
	size_t i, n = 1000000;
	int run;

	for (run = 0; run < BENCH_RUNS; run++) {
		t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
		for (i = 0; i < n; i++) {
			bank_hash(BANK_SHA256, block, sizeof(block), out);
			block[0] = out[0];
		}
		dt = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
		if (run == 0 || dt < best)
			best = dt;
	}
	printf("  hashing ceiling: SHA-256 of a 64-byte block: %.0f per second "
	    "(%.0f ns)\n", (double)n / best, best / (double)n * 1e9);
}

/*
 * A bank's cost per compressed block, in seconds: the best of BENCH_RUNS
 * hashes of a BLOCK_MSG-byte message, over its blocks.  One hash is a
 * chain of dependent blocks, as an extend chain is.
 */
static double
block_cost(int bank, size_t block)
{
	static uint8_t msg[BLOCK_MSG];
	uint8_t out[DIGEST_MAX];
	double t0, dt, best = 0;
	int run;

	for (run = 0; run < BENCH_RUNS; run++) {
		t0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
		bank_hash(bank, msg, sizeof(msg), out);
		dt = bench_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
		msg[0] = out[0];
		if (run == 0 || dt < best)
			best = dt;
	}
	return best / (double)(sizeof(msg) / block + 1);
}

/* Blocks a bank compresses for a message of len bytes (FIPS 180-4). */
static double
blocks_of(size_t len, size_t block)
{
	size_t lenbytes = block == 128 ? 16 : 8;

	return (double)((len + 1 + lenbytes + block - 1) / block);
}

/*
 * Why five banks at TARGET_ALL cannot be had on this machine: the blocks
 * of SHA-384, SHA-512 (OpenSSL's AVX2 or scalar code, no SHA-NI) and SM3
 * (sm3.c, scalar) are bound by the ALUs, not by latency, so they do not
 * overlap one another (hasher_batch interleaves them to no gain), and
 * each entry needs its template hash and its extend in each bank.  Print
 * the blocks per entry of the generated list, their measured cost, and
 * the rate they allow even if parsing, SHA-1, SHA-256 and the policy
 * cost nothing; and the same for the extend chains alone, which are
 * serial whatever else were done in parallel.
 */
static void
print_bound(const struct input *in)
{
	static const int slow[] = { BANK_SHA384, BANK_SHA512, BANK_SM3_256 };
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	double cost[BANK_COUNT], tmpl[BANK_COUNT], ext[BANK_COUNT];
	double all = 0, chain = 0;
	size_t n = 0, bs, k;
	int b;

	memset(tmpl, 0, sizeof(tmpl));
	if (ima_reader_open(&r, in->list.d, in->list.n, IMA_FORMAT_BINARY, -1,
	    0, &err) != RIV_OK)
		return;
	while (ima_reader_next(&r, &e, &err) == 1) {
		for (b = 0; b < BANK_COUNT; b++)
			tmpl[b] += blocks_of(e.template_data_len,
			    bank_get(b)->size > 32 ? 128 : 64);
		n++;
	}
	ima_reader_close(&r);
	if (n == 0)
		return;
	printf("  block costs (%d-byte messages):", BLOCK_MSG);
	for (b = 0; b < BANK_COUNT; b++) {
		bs = bank_get(b)->size > 32 ? 128 : 64;
		tmpl[b] /= (double)n;
		ext[b] = blocks_of(2 * bank_get(b)->size, bs);
		cost[b] = bank_available(b) ? block_cost(b, bs) : 0;
		printf(" %s %.0f ns%s", bank_get(b)->name, cost[b] * 1e9,
		    b + 1 < BANK_COUNT ? "," : "\n");
	}
	printf("  lower bound, all banks: per entry");
	for (k = 0; k < sizeof(slow) / sizeof(slow[0]); k++) {
		b = slow[k];
		all += (tmpl[b] + ext[b]) * cost[b];
		chain += ext[b] * cost[b];
		printf(" %s %.2f+%.0f", bank_get(b)->name, tmpl[b], ext[b]);
	}
	printf(" blocks (template+extend) = %.0f ns: at most %.0f "
	    "entries/s/core (target %d)\n", all * 1e9, all > 0 ? 1 / all : 0,
	    TARGET_ALL);
	printf("  lower bound, their extend chains alone:");
	for (k = 0; k < sizeof(slow) / sizeof(slow[0]); k++)
		printf(" %s %.0f", bank_get(slow[k])->name, ext[slow[k]]);
	printf(" blocks = %.0f ns: at most %.0f entries/s/core\n",
	    chain * 1e9, chain > 0 ? 1 / chain : 0);
}

/*
 * Run `rivctl ima-log FILE --json` (./src/rivctl, as make bench runs it
 * in the build directory, or $RIVCTL) under /usr/bin/time and return its
 * peak RSS in KiB, or -1.  A child forked from the bench would count the
 * bench's own pages in its peak: time forks rivctl from a small process.
 */
static long
rivctl_rss(const char *path)
{
	const char *rivctl = getenv("RIVCTL");
	char out[64] = "/tmp/rivd-bench-rss-XXXXXX";
	long kib = -1;
	pid_t pid;
	FILE *f;
	int status, fd;

	if (rivctl == NULL || *rivctl == '\0')
		rivctl = "./src/rivctl";
	if ((fd = mkstemp(out)) == -1)
		return -1;
	close(fd);
	if ((pid = fork()) == -1)
		goto done;
	if (pid == 0) {
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/bin/time", "time", "-f", "%M", "-o", out, rivctl,
		    "ima-log", path, "--json", (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) == -1 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) == 127)
		goto done;
	if ((f = fopen(out, "r")) != NULL) {
		if (fscanf(f, "%ld", &kib) != 1)
			kib = -1;
		fclose(f);
	}
done:
	unlink(out);
	return kib;
}

/*
 * Peak memory of rivctl ima-log on the generated list and on one four
 * times as long (its entries after boot_aggregate repeated): a list read
 * in chunks costs the same whatever its size.
 */
static void
print_rss(const struct input *in)
{
	char path[] = "/tmp/rivd-bench-XXXXXX";
	size_t first = in->off[1], k;
	long rss[2] = { -1, -1 };
	FILE *f;
	int fd, i;

	if ((fd = mkstemp(path)) == -1 || (f = fdopen(fd, "w")) == NULL)
		return;
	for (i = 0; i < 2; i++) {
		if (i == 0)
			fwrite(in->list.d, 1, in->list.n, f);
		else
			for (k = 0; k < 3; k++)
				fwrite(in->list.d + first, 1, in->list.n - first,
				    f);
		fflush(f);
		rss[i] = rivctl_rss(path);
	}
	fclose(f);
	unlink(path);
	if (rss[0] < 0 || rss[1] < 0) {
		printf("  rivctl ima-log peak RSS: cannot run %s under "
		    "/usr/bin/time\n", getenv("RIVCTL") != NULL ?
		    getenv("RIVCTL") : "./src/rivctl");
		return;
	}
	printf("  rivctl ima-log peak RSS: %.1f MiB for %d entries (%.1f MiB), "
	    "%.1f MiB for %d (%.1f MiB)\n", rss[0] / 1024.0, BENCH_ENTRIES,
	    in->list.n / 1048576.0, rss[1] / 1024.0, 4 * BENCH_ENTRIES - 3,
	    (in->list.n + 3 * (in->list.n - first)) / 1048576.0);
}

/* The IMA benchmark (the corpus is not used: the list is generated). */
void
bench_ima(const char *corpus)
{
	struct input in;
	struct riv_err err;
	size_t plen;
	char *ptext, what[80];
	double t0, secs;
	uint32_t both = 1u << BANK_SHA1 | 1u << BANK_SHA256;
	int b;

	(void)corpus;
	memset(&in, 0, sizeof(in));
	printf("ima: %d-entry ima-ng list (sha256 file digests), %d-path "
	    "policy; targets 2,000,000 entries/s/core for sha1+sha256 with "
	    "the policy, 1,000,000 with all five banks; best of %d runs, CPU "
	    "time\n",
	    BENCH_ENTRIES, BENCH_POLICY, BENCH_RUNS);
	print_ceiling();
	print_policy_load();
	if ((in.off = calloc(BENCH_ENTRIES + 1, sizeof(*in.off))) == NULL)
		return;
	gen_list(&in.list, in.off);
	ptext = gen_policy(&plen);
	t0 = bench_now();
	in.pol = ima_policy_parse(ptext, plen, &err);
	secs = bench_now() - t0;
	if (in.pol == NULL) {
		printf("  policy parse failed: %s\n", err.msg);
		goto done;
	}
	printf("  policy parse: %.3f s (%zu bytes)\n", secs, plen);
	figure("parse only", run_parse, &in, 0);
	in.known = 1;
	for (b = 0; b < BANK_COUNT; b++) {
		if (!bank_available(b))
			continue;
		in.mask = 1u << b;
		snprintf(what, sizeof(what), "replay only, %s%s",
		    bank_get(b)->name, b == BANK_SHA1 ? " (the list's bank)" :
		    " (+ sha1, the list's bank)");
		figure(what, run_full, &in, 0);
	}
	in.mask = both;
	figure_target("full: sha1+sha256 replay + policy", run_full, &in, 1,
	    TARGET_BOTH);
	in.mask = ima_default_banks();
	figure_target("full: all banks (--banks all) replay + policy",
	    run_full, &in, 1, TARGET_ALL);
	print_bound(&in);
	in.known = 0;
	figure("  the same, first run (every rule replayed)", run_full, &in,
	    1);
	in.mask = both;
	if ((in.quotes = gen_quotes(&in, both)) != NULL)
		figure("incremental: 100/step, state load+save, quote",
		    run_steps, &in, 1);
	free(in.quotes);
	in.mask = ima_default_banks();
	if ((in.quotes = gen_quotes(&in, in.mask)) != NULL)
		figure("  the same, all banks", run_steps, &in, 1);
	free(in.quotes);
	print_rss(&in);
	ima_policy_unref(in.pol);
done:
	free(ptext);
	free(in.off);
	free(in.list.d);
}
