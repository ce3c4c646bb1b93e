/*
 * store.c — the verdict store's object: the bounded queue between the
 * daemon's loop and the writer thread, the thread itself (group commit:
 * up to `batch` records per transaction, at most one transaction begun
 * every `linger` ms unless a batch is full), and the loop's own read
 * connection for
 * store_load_state.
 *
 * Ownership: the loop (any thread, under the queue lock) submits; only
 * the writer thread touches the write connection once it started; the
 * commit callback runs on the writer thread without the lock held.  Items
 * are made compact at submit, on the caller's thread (reasons as JSON
 * text, nonce and digest as hex, one allocation per record), so a full
 * queue of typical verdicts holds a few hundred bytes per record.
 *
 * Back-pressure: the queue has a high-water mark, at which store_full
 * turns 1 (the loop stops reading its attesters), and a low-water mark,
 * at which it turns 0 again and the writer calls the drain callback to
 * wake the loop.  Both count the records of the batch being written as
 * well: a writer stuck on a lock does not make room.  Nothing here ever
 * makes the loop wait; the writer thread alone waits, to try a batch the
 * database refused for now again.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"

struct store {
	char		*path;
	sqlite3		*db;		/* the writer's connection */
	sqlite3		*rdb;		/* store_load_state's */
	sqlite3_stmt	*load;		/* on rdb */
	struct writer	*w;
	struct checkpointer *ckpt;	/* checkpoints the writer's WAL */

	pthread_mutex_t	 lock;		/* the queue and stats */
	pthread_cond_t	 cond;		/* the writer waits for records */
	struct store_rec **ring;
	size_t		 cap;
	size_t		 head;
	size_t		 count;
	size_t		 wake_at;	/* signal at this count; 0: none */
	int		 stopping;
	int		 cap_set;	/* store_set_queue_max was called */
	size_t		 taken;		/* records of the batch being written */
	size_t		 high, low;	/* watermarks of count + taken */
	int		 full;		/* reached high, not yet drained to low */
	store_drain_cb	 drain;
	void		*drain_arg;
	int		 failing;	/* the last batch failed: no retries */
	struct store_stats stats;

	int		 started;
	pthread_t	 thread;
	size_t		 batch;
	unsigned	 linger_ms;
	struct timespec	 began;		/* the last transaction (monotonic) */
	store_commit_cb	 cb;
	void		*cb_arg;
	struct store_rec **take;	/* the batch being written */
	uint64_t	*cookies;	/* its cookies, for the callback */
};

static void	set_capacity(struct store *, size_t);

/* Lengths of the strings of a verdict item, once checked. */
struct item_lens {
	size_t	 attester, stream, tpm, codes, reasons, nonce, pcr_digest;
	size_t	 st_attester, st_stream, st_tpm;
};

/* Store in *len the length of s if it ends within max bytes; else -1. */
static int
bounded_len(const char *s, size_t max, size_t *len)
{
	const char *nul = memchr(s, '\0', max);

	if (nul == NULL)
		return -1;
	*len = (size_t)(nul - s);
	return 0;
}

/* Return the length of the valid UTF-8 sequence at p (n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned lo = 0x80, hi = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		if (p[0] == 0xed)
			hi = 0x9f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		if (p[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

/* Append n bytes to out at *pos (out NULL: only count). */
static void
emit(char *out, size_t *pos, const char *s, size_t n)
{
	if (out != NULL)
		memcpy(out + *pos, s, n);
	*pos += n;
}

/*
 * Write s (len bytes) as a JSON string at *pos of out (NULL: only count).
 * Bytes that are not UTF-8 are taken as Latin-1, as json_put_string does.
 */
static void
emit_json_string(char *out, size_t *pos, const char *s, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	size_t i, n;

	emit(out, pos, "\"", 1);
	for (i = 0; i < len; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			emit(out, pos, "\\", 1);
			emit(out, pos, (const char *)p + i, 1);
		} else if (p[i] == '\n')
			emit(out, pos, "\\n", 2);
		else if (p[i] == '\t')
			emit(out, pos, "\\t", 2);
		else if (p[i] >= 0x20 && p[i] < 0x7f)
			emit(out, pos, (const char *)p + i, 1);
		else if (p[i] >= 0x80 && (n = utf8_len(p + i, len - i)) > 0) {
			emit(out, pos, (const char *)p + i, n);
			i += n - 1;
		} else {
			esc[4] = digits[p[i] >> 4];
			esc[5] = digits[p[i] & 0xf];
			emit(out, pos, esc, sizeof(esc));
		}
	}
	emit(out, pos, "\"", 1);
}

/* Write a verdict's reasons as a JSON array (out NULL: only count). */
static size_t
emit_reasons(const struct verdict *v, char *out)
{
	size_t pos = 0, i;

	emit(out, &pos, "[", 1);
	for (i = 0; i < v->nreasons; i++) {
		if (i > 0)
			emit(out, &pos, ",", 1);
		emit_json_string(out, &pos, v->reasons[i],
		    strnlen(v->reasons[i], STORE_REASON_LEN));
	}
	emit(out, &pos, "]", 1);
	return pos;
}

/* Check an item's bounds and measure its strings; -1 if out of bounds. */
static int
check_item(const struct store_item *it, struct item_lens *l)
{
	const struct verdict *v = &it->verdict;
	const struct store_state *st = &it->state;
	size_t i, n;

	if (bounded_len(v->attester, STORE_NAME_MAX, &l->attester) == -1 ||
	    bounded_len(v->stream, STORE_NAME_MAX, &l->stream) == -1 ||
	    bounded_len(v->tpm, STORE_NAME_MAX, &l->tpm) == -1 ||
	    bounded_len(v->codes, STORE_CODES_LEN, &l->codes) == -1 ||
	    l->attester == 0 || l->stream == 0)
		return -1;
	if ((unsigned)v->result > VERDICT_STALE ||
	    v->nreasons > STORE_REASONS_MAX ||
	    v->nonce_len > sizeof(v->nonce) ||
	    v->pcr_digest_len > sizeof(v->pcr_digest))
		return -1;
	for (i = 0; i < v->nreasons; i++)
		if (bounded_len(v->reasons[i], STORE_REASON_LEN, &n) == -1)
			return -1;
	l->reasons = emit_reasons(v, NULL);
	l->nonce = 2 * v->nonce_len;
	l->pcr_digest = 2 * v->pcr_digest_len;
	l->st_attester = l->st_stream = l->st_tpm = 0;
	if (st->blob_len > STORE_BLOB_MAX ||
	    (st->blob == NULL && st->blob_len != 0))
		return -1;
	if (st->attester[0] == '\0')
		return 0;
	if (bounded_len(st->attester, STORE_NAME_MAX, &l->st_attester) == -1 ||
	    bounded_len(st->stream, STORE_NAME_MAX, &l->st_stream) == -1 ||
	    bounded_len(st->tpm, STORE_NAME_MAX, &l->st_tpm) == -1 ||
	    l->st_stream == 0)
		return -1;
	return 0;
}

/* Copy a string of len bytes to *p, NUL-terminated; return the copy. */
static const char *
put_string(char **p, const char *s, size_t len)
{
	char *start = *p;

	memcpy(start, s, len);
	start[len] = '\0';
	*p += len + 1;
	return start;
}

/*
 * Make the compact record of an item (taking its blob pointer); NULL with
 * errno EINVAL or ENOMEM.
 */
static struct store_rec *
make_verdict_rec(const struct store_item *it)
{
	const struct verdict *v = &it->verdict;
	const struct store_state *st = &it->state;
	struct store_rec *r;
	struct item_lens l;
	size_t total;
	char *p;

	if (check_item(it, &l) == -1) {
		errno = EINVAL;
		return NULL;
	}
	total = l.attester + l.stream + l.tpm + l.codes + l.reasons +
	    l.nonce + l.pcr_digest + l.st_attester + l.st_stream + l.st_tpm +
	    10;
	if ((r = calloc(1, sizeof(*r) + total)) == NULL)
		return NULL;
	p = r->text;
	r->kind = STORE_REC_VERDICT;
	r->cookie = it->cookie;
	r->attester = put_string(&p, v->attester, l.attester);
	r->stream = put_string(&p, v->stream, l.stream);
	r->tpm = put_string(&p, v->tpm, l.tpm);
	r->subscription = v->subscription;
	r->evidence = !v->no_evidence;
	r->sequence = v->sequence;
	r->result = v->result;
	r->codes = put_string(&p, v->codes, l.codes);
	emit_reasons(v, p);
	p[l.reasons] = '\0';
	r->reasons = p;
	p += l.reasons + 1;
	hex_encode(v->nonce, v->nonce_len, p);
	r->nonce = p;
	p += l.nonce + 1;
	hex_encode(v->pcr_digest, v->pcr_digest_len, p);
	r->pcr_digest = p;
	p += l.pcr_digest + 1;
	r->time_us = v->received_us;
	r->has_state = st->attester[0] != '\0';
	r->st_attester = put_string(&p, st->attester, l.st_attester);
	r->st_stream = put_string(&p, st->stream, l.st_stream);
	r->st_tpm = put_string(&p, st->tpm, l.st_tpm);
	r->st_sequence = st->sequence;
	r->blob = st->blob;
	r->blob_len = st->blob_len;
	return r;
}

/*
 * Make the record of a note (attester connection or subscription state);
 * NULL with errno EINVAL or ENOMEM.
 */
static struct store_rec *
make_note_rec(enum store_rec_kind kind, const char *attester,
    const char *stream, uint32_t subscription, const char *state,
    const char *detail)
{
	size_t la, ls = 0, lst, ld = 0;
	struct store_rec *r;
	char *p;

	if (attester == NULL || state == NULL ||
	    bounded_len(attester, STORE_NAME_MAX, &la) == -1 || la == 0 ||
	    bounded_len(state, STORE_NAME_MAX, &lst) == -1 || lst == 0 ||
	    (stream != NULL && (bounded_len(stream, STORE_NAME_MAX, &ls) ==
	    -1 || ls == 0))) {
		errno = EINVAL;
		return NULL;
	}
	if (detail != NULL)
		ld = strnlen(detail, STORE_DETAIL_LEN - 1);
	if ((r = calloc(1, sizeof(*r) + la + ls + lst + ld + 4)) == NULL)
		return NULL;
	p = r->text;
	r->kind = kind;
	r->attester = put_string(&p, attester, la);
	r->stream = put_string(&p, stream != NULL ? stream : "", ls);
	r->tpm = "";
	r->subscription = subscription;
	r->state = put_string(&p, state, lst);
	r->detail = put_string(&p, detail != NULL ? detail : "", ld);
	r->time_us = db_now_us();
	return r;
}

/* Free a record and its blob. */
static void
free_rec(struct store_rec *r)
{
	if (r == NULL)
		return;
	free(r->blob);
	free(r);
}

/* Queue a record; 0, or -1 if the queue is full or stopping. */
static int
enqueue(struct store *s, struct store_rec *r)
{
	pthread_mutex_lock(&s->lock);
	if (s->stopping || s->count == s->cap) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	s->ring[(s->head + s->count) % s->cap] = r;
	s->count++;
	if (s->count + s->taken >= s->high)
		s->full = 1;
	if (s->wake_at != 0 && s->count >= s->wake_at) {
		s->wake_at = 0;
		pthread_cond_signal(&s->cond);
	}
	pthread_mutex_unlock(&s->lock);
	return 0;
}

/* Queue a record made by the caller; free it (not its blob) if full. */
static int
submit_rec(struct store *s, struct store_rec *r)
{
	if (r == NULL)
		return -1;
	if (enqueue(s, r) == -1) {
		r->blob = NULL;
		free_rec(r);
		errno = EAGAIN;
		return -1;
	}
	return 0;
}

/* Free what store_open made; s may be NULL or half made. */
static void
free_store(struct store *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->count; i++)
		free_rec(s->ring[(s->head + i) % s->cap]);
	sqlite3_finalize(s->load);
	checkpointer_stop(s->ckpt);
	writer_close(s->w);
	sqlite3_close(s->rdb);
	sqlite3_close(s->db);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s->ring);
	free(s->take);
	free(s->cookies);
	free(s->path);
	free(s);
}

/* Open the store at path; see store.h. */
int
store_open(const char *path, const char *synchronous, struct store **sp,
    struct riv_err *err)
{
	pthread_condattr_t ca;
	struct store *s;

	*sp = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	set_capacity(s, STORE_QUEUE_MAX);
	if ((s->path = strdup(path)) == NULL ||
	    (s->ring = calloc(s->cap, sizeof(*s->ring))) == NULL) {
		err_set(err, RIV_MALFORMED, "out of memory");
		goto fail;
	}
	if (db_open(path, synchronous, &s->db, err) != RIV_OK ||
	    checkpointer_start(s->db, path, synchronous, &s->ckpt, err) !=
	    RIV_OK || writer_open(s->db, &s->w, err) != RIV_OK ||
	    db_open_reader(path, &s->rdb, err) != RIV_OK)
		goto fail;
	if (sqlite3_prepare_v3(s->rdb, "SELECT sequence, blob FROM state "
	    "WHERE attester = ?1 AND stream = ?2 AND tpm = ?3", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->load, NULL) != SQLITE_OK) {
		err_set(err, RIV_MALFORMED, "%s: %s", path,
		    sqlite3_errmsg(s->rdb));
		goto fail;
	}
	*sp = s;
	return RIV_OK;
fail:
	free_store(s);
	return RIV_MALFORMED;
}

/*
 * Set the queue's capacity and its default watermarks (half and a quarter
 * of it: the other half takes what the loop already read); the ring is
 * the caller's to make.
 */
static void
set_capacity(struct store *s, size_t max)
{
	s->cap = s->stats.queue_max = max;
	s->high = max / 2 > 0 ? max / 2 : 1;
	s->low = max / 4;
}

/*
 * Make the empty queue hold max records (under the lock); 0, or -1 if it
 * is not empty or out of memory.
 */
static int
resize_queue(struct store *s, size_t max)
{
	struct store_rec **ring;

	if (max == 0 || s->count != 0 ||
	    (ring = calloc(max, sizeof(*ring))) == NULL)
		return -1;
	free(s->ring);
	s->ring = ring;
	s->head = 0;
	set_capacity(s, max);
	s->full = s->count + s->taken >= s->high;
	return 0;
}

/* Change the queue's capacity while it is empty; 0 or -1. */
int
store_set_queue_max(struct store *s, size_t max)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	if ((rc = resize_queue(s, max)) == 0)
		s->cap_set = 1;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Set the watermarks and the drain callback; see store.h. */
int
store_set_watermarks(struct store *s, size_t high, size_t low,
    store_drain_cb drain, void *arg)
{
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	if (high == 0)
		high = s->high;
	if (low == 0 && high > s->low)
		low = s->low;
	if (low < high && high <= s->cap) {
		s->high = high;
		s->low = low;
		s->drain = drain;
		s->drain_arg = arg;
		s->full = s->count + s->taken >= s->high;
		rc = 0;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* Whether the queue is above its high-water mark; see store.h. */
int
store_full(struct store *s)
{
	int full;

	pthread_mutex_lock(&s->lock);
	full = s->full;
	pthread_mutex_unlock(&s->lock);
	return full;
}

/*
 * Wait for records and move up to batch of them into s->take.  A batch
 * that is not full waits until linger_ms after the last transaction
 * began (unless stopping): under load, a transaction every linger_ms
 * takes what came meanwhile; a record that comes after a quiet spell
 * waits for nothing.  Return how many; 0 once stopping with the queue
 * empty.
 */
static size_t
take_batch(struct store *s)
{
	struct timespec until;
	size_t n, i;

	pthread_mutex_lock(&s->lock);
	while (s->count == 0 && !s->stopping) {
		s->wake_at = 1;
		pthread_cond_wait(&s->cond, &s->lock);
	}
	if (s->count < s->batch && s->linger_ms > 0 && !s->stopping) {
		until = s->began;
		ts_add_ms(&until, s->linger_ms);
		while (s->count < s->batch && !s->stopping) {
			s->wake_at = s->batch;
			if (pthread_cond_timedwait(&s->cond, &s->lock,
			    &until) == ETIMEDOUT)
				break;
		}
	}
	s->wake_at = 0;
	clock_gettime(CLOCK_MONOTONIC, &s->began);
	n = s->count < s->batch ? s->count : s->batch;
	for (i = 0; i < n; i++) {
		s->take[i] = s->ring[s->head];
		s->head = (s->head + 1) % s->cap;
	}
	s->count -= n;
	s->taken = n;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/*
 * Whether a batch that failed (transient: for a reason that passes),
 * first tried at start, should be tried again; if so, wait *pause_ms
 * (doubled for the next time, up to a second) and count the retry.
 */
static int
retry_batch(struct store *s, int transient, const struct timespec *start,
    unsigned *pause_ms, const struct riv_err *err)
{
	struct timespec now, until;
	long waited;
	int retry;

	clock_gettime(CLOCK_MONOTONIC, &now);
	waited = (long)ms_between(*start, now);
	pthread_mutex_lock(&s->lock);
	retry = transient && !s->failing && waited < STORE_RETRY_MS;
	if (retry) {
		s->stats.retries++;
		s->stats.retrying = 1;
		memcpy(s->stats.last_error, err->msg, sizeof(err->msg));
		clock_gettime(CLOCK_MONOTONIC, &until);
		ts_add_ms(&until, *pause_ms);
		while (pthread_cond_timedwait(&s->cond, &s->lock, &until) !=
		    ETIMEDOUT)
			;	/* store_stop too: it commits what is queued */
		*pause_ms = *pause_ms * 2 > 1000 ? 1000 : *pause_ms * 2;
	}
	pthread_mutex_unlock(&s->lock);
	return retry;
}

/*
 * The batch of the writer is done (written or failed): its records no
 * longer count against the watermarks.  Call the drain callback if the
 * queue drained to its low-water mark (under the lock, so that once
 * store_set_watermarks took the callback away it is not running).
 */
static void
end_batch(struct store *s)
{
	pthread_mutex_lock(&s->lock);
	s->taken = 0;
	s->stats.retrying = 0;
	if (s->full && s->count <= s->low) {
		s->full = 0;
		if (s->drain != NULL)
			s->drain(s->drain_arg);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Write the n records of s->take in one transaction, report, free them. */
static void
commit_batch(struct store *s, size_t n)
{
	struct writer_counts c;
	struct riv_err err = { "" };
	struct timespec start;
	unsigned pause_ms = 50;
	size_t i, k = 0;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((rc = writer_write(s->w, s->take, n, db_now_us(), &c,
	    &err)) != RIV_OK && retry_batch(s, c.transient, &start, &pause_ms,
	    &err))
		;
	for (i = 0; i < n; i++)
		if (s->take[i]->kind == STORE_REC_VERDICT)
			s->cookies[k++] = s->take[i]->cookie;
	pthread_mutex_lock(&s->lock);
	if (rc == RIV_OK) {
		s->stats.items += c.items;
		s->stats.notes += c.notes;
		s->stats.batches++;
		s->failing = 0;
	} else {
		s->failing = 1;
		s->stats.failed_batches++;
		s->stats.failed_items += k;
		memcpy(s->stats.last_error, err.msg, sizeof(err.msg));
	}
	pthread_mutex_unlock(&s->lock);
	if (s->cb != NULL && k > 0)
		s->cb(s->cookies, k, rc == RIV_OK, s->cb_arg);
	for (i = 0; i < n; i++) {
		free_rec(s->take[i]);
		s->take[i] = NULL;
	}
	end_batch(s);
}

/* The writer thread: batches until stopped and drained. */
static void *
writer_main(void *arg)
{
	struct store *s = arg;
	size_t n;

	while ((n = take_batch(s)) > 0)
		commit_batch(s, n);
	return NULL;
}

/* Start the writer thread; see store.h. */
int
store_start(struct store *s, size_t batch, unsigned linger_ms,
    store_commit_cb cb, void *arg, struct riv_err *err)
{
	sigset_t all, old;
	int rc;

	if (s->started)
		return err_set(err, RIV_MALFORMED, "store already started");
	if (batch == 0)
		return err_set(err, RIV_MALFORMED, "batch must be at least 1");
	if ((s->take = calloc(batch, sizeof(*s->take))) == NULL ||
	    (s->cookies = calloc(batch, sizeof(*s->cookies))) == NULL) {
		free(s->take);
		s->take = NULL;
		return err_set(err, RIV_MALFORMED, "out of memory");
	}
	pthread_mutex_lock(&s->lock);
	if (!s->cap_set && batch < STORE_QUEUE_MAX / STORE_QUEUE_BATCHES)
		resize_queue(s, batch * STORE_QUEUE_BATCHES);
	pthread_mutex_unlock(&s->lock);
	s->batch = batch;
	s->linger_ms = linger_ms;
	s->cb = cb;
	s->cb_arg = arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&s->thread, NULL, writer_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		free(s->take);
		free(s->cookies);
		s->take = NULL;
		s->cookies = NULL;
		return err_set(err, RIV_MALFORMED, "writer thread: %s",
		    strerror(rc));
	}
	s->started = 1;
	return RIV_OK;
}

/* Queue an item; see store.h. */
int
store_submit(struct store *s, struct store_item *it)
{
	if (submit_rec(s, make_verdict_rec(it)) == -1)
		return -1;
	it->state.blob = NULL;
	it->state.blob_len = 0;
	return 0;
}

/* Queue an attester's connection state; see store.h. */
int
store_note_attester(struct store *s, const char *attester,
    const char *state, const char *detail)
{
	return submit_rec(s, make_note_rec(STORE_REC_ATTESTER, attester, NULL,
	    0, state, detail));
}

/* Queue a subscription's id and state; see store.h. */
int
store_note_subscription(struct store *s, const char *attester,
    const char *stream, uint32_t id, const char *state, const char *detail)
{
	if (stream == NULL) {
		errno = EINVAL;
		return -1;
	}
	return submit_rec(s, make_note_rec(STORE_REC_SUBSCRIPTION, attester,
	    stream, id, state, detail));
}

/* Commit what is queued, stop the writer and free the store. */
void
store_stop(struct store *s)
{
	if (s == NULL)
		return;
	if (!s->started && s->count > 0)
		store_start(s, STORE_BATCH_DEFAULT, 0, NULL, NULL, NULL);
	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = 1;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->thread, NULL);
	}
	free_store(s);
}

/* Read the last committed state of attester/stream/tpm; see store.h. */
int
store_load_state(struct store *s, const char *attester, const char *stream,
    const char *tpm, struct store_state *st, struct riv_err *err)
{
	const void *blob;
	int rc, len;

	memset(st, 0, sizeof(*st));
	if (tpm == NULL)
		tpm = "";
	sqlite3_bind_text(s->load, 1, attester, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->load, 2, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->load, 3, tpm, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->load);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(s->load);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		err_set(err, RIV_MALFORMED, "%s: state of %s/%s: %s", s->path,
		    attester, stream, sqlite3_errmsg(s->rdb));
		goto fail;
	}
	blob = sqlite3_column_blob(s->load, 1);
	len = sqlite3_column_bytes(s->load, 1);
	if (blob != NULL && len > 0) {
		if ((st->blob = malloc((size_t)len)) == NULL) {
			err_set(err, RIV_MALFORMED, "out of memory");
			goto fail;
		}
		memcpy(st->blob, blob, (size_t)len);
		st->blob_len = (size_t)len;
	}
	st->sequence = (uint64_t)sqlite3_column_int64(s->load, 0);
	snprintf(st->attester, sizeof(st->attester), "%s", attester);
	snprintf(st->stream, sizeof(st->stream), "%s", stream);
	snprintf(st->tpm, sizeof(st->tpm), "%s", tpm);
	sqlite3_reset(s->load);
	return 0;
fail:
	sqlite3_reset(s->load);
	return -1;
}

/* Copy the writer's counters. */
void
store_get_stats(struct store *s, struct store_stats *out)
{
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	out->checkpoints = checkpointer_count(s->ckpt);
	out->queued = s->count;
	out->high_water = s->high;
	out->low_water = s->low;
	pthread_mutex_unlock(&s->lock);
}
