/*
 * bench_store.c — verdicts committed per second by the store's writer
 * thread (batch 256, group commit) with synchronous FULL and NORMAL, and
 * with a transaction per verdict, on a database in $TMPDIR (else /tmp):
 * the figures depend on that file system's fsync.  Also the cost of
 * store_submit on the caller's thread and the database size per verdict.
 * Figures only, no assertions.
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
#define BENCH_BLOB	1024	/* bytes of engine state per verdict */
#define BENCH_ATTESTERS	100

void	bench_store(void);

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

/* Fill item i: a verdict of one of 100 attesters' three streams. */
static void
fill_bench_item(struct store_item *it, uint64_t i)
{
	static const char *const streams[] = { "pcr-trust-evidence",
	    "bios-log", "ima-log" };

	memset(&it->verdict, 0, sizeof(it->verdict));
	snprintf(it->verdict.attester, STORE_NAME_MAX, "router%03u",
	    (unsigned)(i % BENCH_ATTESTERS));
	snprintf(it->verdict.stream, STORE_NAME_MAX, "%s",
	    streams[(i / BENCH_ATTESTERS) % 3]);
	it->verdict.subscription = 1;
	it->verdict.sequence = i;
	if (i % 50 == 0) {
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
	it->state.blob = malloc(BENCH_BLOB);
	if (it->state.blob != NULL)
		memset(it->state.blob, (int)(i & 0xff), BENCH_BLOB);
	it->state.blob_len = it->state.blob != NULL ? BENCH_BLOB : 0;
	it->cookie = i;
}

/* Commit n verdicts, at most batch per transaction; print the rates. */
static void
run_store(const char *dir, const char *sync, size_t batch, uint64_t n)
{
	struct timespec nap = { 0, 50000 };
	struct progress p;
	struct riv_err err;
	struct store_item it;
	struct store *s;
	struct stat sb;
	double start, submit_time = 0, t;
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
	for (i = 0; i < n; i++) {
		fill_bench_item(&it, i);
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
	store_stop(s);
	printf("store commit (synchronous %s, batch %zu, %d B state): %.0f "
	    "verdicts/s, %.0f transactions/s, %.0f per transaction%s\n",
	    sync, batch, BENCH_BLOB, p.committed / (p.end - start),
	    p.batches / (p.end - start), (double)p.want / p.batches,
	    p.failed ? " (some failed)" : "");
	if (batch > 1 && stat(path, &sb) == 0)
		printf("store size (synchronous %s): %.0f bytes per verdict; "
		    "store_submit %.2f us\n", sync, (double)sb.st_size / n,
		    submit_time / n * 1e6);
done:
	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
	pthread_cond_destroy(&p.done);
	pthread_mutex_destroy(&p.lock);
}

/*
 * Benchmark the store with synchronous FULL (the default), then NORMAL;
 * then FULL without group commit (a transaction per verdict), to show
 * what batching saves.
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
	run_store(dir, "FULL", BENCH_BATCH, BENCH_ITEMS);
	run_store(dir, "NORMAL", BENCH_BATCH, BENCH_ITEMS);
	run_store(dir, "FULL", 1, BENCH_ONE_ITEMS);
	rmdir(dir);
}
