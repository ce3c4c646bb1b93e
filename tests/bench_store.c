/*
 * bench_store.c — verdicts committed per second by the store's writer
 * thread (batch 256, group commit) with synchronous FULL and NORMAL, and
 * with a transaction per verdict, on a database in $TMPDIR (else /tmp):
 * the figures depend on that file system's fsync.  Also the cost of
 * store_submit on the caller's thread and the database size per verdict.
 * Three shapes of load: "mixed" (100 attesters, three streams each, 1 KiB
 * of state, one verdict in 50 fails), "rivd" (rivd's own benchmark: 100
 * attesters, pcr-trust-evidence only, 200 B of state, all pass) and
 * "sources" (10,000 attesters, one stream each, 200 B).  RIV_BENCH_STORE
 * names the shapes to run (default: all).  Figures only, no assertions.
 */
#include <sys/stat.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "store.h"

#define BENCH_ITEMS	200000	/* verdicts per run */
#define BENCH_BATCH	256
#define BENCH_ONE_ITEMS	5000	/* verdicts of the run without batching */

void	bench_store(void);

/* A shape of load. */
struct shape {
	const char	*name;
	unsigned	 attesters;
	unsigned	 streams;	/* the first 1 to 3 of three */
	size_t		 blob;		/* bytes of engine state per verdict */
	unsigned	 fail_every;	/* a failed verdict in so many; 0: none */
};

static const struct shape shape_mixed = { "mixed", 100, 3, 1024, 50 };
static const struct shape shape_rivd = { "rivd", 100, 1, 200, 0 };
static const struct shape shape_sources = { "sources", 10000, 1, 200, 0 };

/* Commits seen by the callback. */
struct progress {
	pthread_mutex_t	 lock;
	pthread_cond_t	 done;
	size_t		 committed;
	size_t		 failed;
	size_t		 batches;
	size_t		 want;
	double		 end;		/* when the last one committed */
};

/* Commit callback: count, and note when everything is in. */
static void
progress_cb(const uint64_t *cookies, size_t n, int ok, void *arg)
{
	struct progress *p = arg;

	(void)cookies;
	pthread_mutex_lock(&p->lock);
	if (ok)
		p->committed += n;
	else
		p->failed += n;
	p->batches++;
	if (p->committed + p->failed >= p->want) {
		p->end = bench_now();
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
}

/* Fill item i: a verdict of one of the shape's attesters and streams. */
static void
fill_bench_item(const struct shape *sh, struct store_item *it, uint64_t i)
{
	static const char *const streams[] = { "pcr-trust-evidence",
	    "bios-log", "ima-log" };

	memset(&it->verdict, 0, sizeof(it->verdict));
	snprintf(it->verdict.attester, STORE_NAME_MAX, "router%03u",
	    (unsigned)(i % sh->attesters));
	snprintf(it->verdict.stream, STORE_NAME_MAX, "%s",
	    streams[(i / sh->attesters) % sh->streams]);
	it->verdict.subscription = 1;
	it->verdict.sequence = i;
	if (sh->fail_every != 0 && i % sh->fail_every == 0) {
		it->verdict.result = VERDICT_FAIL;
		snprintf(it->verdict.codes, STORE_CODES_LEN, "policy");
		snprintf(it->verdict.reasons[0], STORE_REASON_LEN,
		    "IMA entry %" PRIu64 ": /usr/bin/example: digest not in "
		    "the policy", i);
		it->verdict.nreasons = 1;
	}
	memset(it->verdict.nonce, 0x5a, 32);
	it->verdict.nonce_len = 32;
	memset(it->verdict.pcr_digest, 0xa5, 32);
	it->verdict.pcr_digest_len = 32;
	it->verdict.received_us = (int64_t)i;
	memcpy(it->state.attester, it->verdict.attester, STORE_NAME_MAX);
	memcpy(it->state.stream, it->verdict.stream, STORE_NAME_MAX);
	it->state.tpm[0] = '\0';
	it->state.sequence = i;
	it->state.blob = malloc(sh->blob);
	if (it->state.blob != NULL)
		memset(it->state.blob, (int)(i & 0xff), sh->blob);
	it->state.blob_len = it->state.blob != NULL ? sh->blob : 0;
	it->cookie = i;
}

/*
 * Commit n verdicts of a shape, at most batch per transaction; print the
 * rates.
 */
static void
run_store(const char *dir, const struct shape *sh, const char *sync,
    size_t batch, uint64_t n)
{
	struct timespec nap = { 0, 50000 };
	struct progress p;
	struct riv_err err;
	struct store_item it;
	struct store *s;
	struct stat sb;
	double start, submit_time = 0, t, cpu0, own0, store_cpu;
	char path[4200], side[4300];
	uint64_t i;

	snprintf(path, sizeof(path), "%s/bench.db", dir);
	memset(&p, 0, sizeof(p));
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.done, NULL);
	p.want = n;
	if (store_open(path, sync, &s, &err) != RIV_OK ||
	    store_start(s, batch, 0, progress_cb, &p, &err) != RIV_OK) {
		printf("store (%s): failed: %s\n", sync, err.msg);
		store_stop(s);
		goto done;
	}
	memset(&it, 0, sizeof(it));
	start = bench_now();
	cpu0 = bench_cpu(CLOCK_PROCESS_CPUTIME_ID);
	own0 = bench_cpu(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < n; i++) {
		fill_bench_item(sh, &it, i);
		for (;;) {
			t = bench_now();
			if (store_submit(s, &it) == 0)
				break;
			if (errno != EAGAIN)
				break;
			nanosleep(&nap, NULL);	/* full: backpressure */
		}
		submit_time += bench_now() - t;
		free(it.state.blob);	/* NULL once submitted */
	}
	pthread_mutex_lock(&p.lock);
	while (p.committed + p.failed < p.want)
		pthread_cond_wait(&p.done, &p.lock);
	pthread_mutex_unlock(&p.lock);
	store_cpu = bench_cpu(CLOCK_PROCESS_CPUTIME_ID) - cpu0 -
	    (bench_cpu(CLOCK_THREAD_CPUTIME_ID) - own0);
	store_stop(s);
	printf("store commit (%s: %u attesters x %u streams, synchronous %s, "
	    "batch %zu, %zu B state): %.0f verdicts/s, %.0f transactions/s, "
	    "%.0f per transaction%s\n", sh->name, sh->attesters, sh->streams,
	    sync, batch, sh->blob, p.committed / (p.end - start),
	    p.batches / (p.end - start), (double)p.want / p.batches,
	    p.failed ? " (some failed)" : "");
	printf("store CPU (%s, synchronous %s, batch %zu): %.1f us per "
	    "verdict (writer and checkpointer threads): %.0f verdicts per "
	    "CPU-second\n", sh->name, sync, batch, store_cpu / n * 1e6,
	    n / store_cpu);
	if (batch > 1 && stat(path, &sb) == 0)
		printf("store size (%s, synchronous %s): %.0f bytes per "
		    "verdict; store_submit %.2f us\n", sh->name, sync,
		    (double)sb.st_size / n, submit_time / n * 1e6);
done:
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	pthread_cond_destroy(&p.done);
	pthread_mutex_destroy(&p.lock);
}

/* Whether RIV_BENCH_STORE names the shape (all are wanted when unset). */
static int
is_shape_wanted(const char *name)
{
	const char *want = getenv("RIV_BENCH_STORE");
	size_t len = strlen(name);
	const char *p;

	if (want == NULL || *want == '\0')
		return 1;
	for (p = want; (p = strstr(p, name)) != NULL; p += len)
		if ((p == want || p[-1] == ',') &&
		    (p[len] == '\0' || p[len] == ','))
			return 1;
	return 0;
}

/*
 * Benchmark the store with synchronous FULL (the default), then NORMAL;
 * then FULL without group commit (a transaction per verdict), to show
 * what batching saves; then rivd's shape and many sources, with FULL.
 */
void
bench_store(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/bench_store.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		printf("store: skipped: %s: %s\n", dir, strerror(errno));
		return;
	}
	if (is_shape_wanted(shape_mixed.name)) {
		run_store(dir, &shape_mixed, "FULL", BENCH_BATCH,
		    BENCH_ITEMS);
		run_store(dir, &shape_mixed, "NORMAL", BENCH_BATCH,
		    BENCH_ITEMS);
		run_store(dir, &shape_mixed, "FULL", 1, BENCH_ONE_ITEMS);
	}
	if (is_shape_wanted(shape_rivd.name))
		run_store(dir, &shape_rivd, "FULL", BENCH_BATCH, BENCH_ITEMS);
	if (is_shape_wanted(shape_sources.name))
		run_store(dir, &shape_sources, "FULL", BENCH_BATCH,
		    BENCH_ITEMS);
	rmdir(dir);
}
