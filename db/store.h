/*
 * store.h — rivd's verdict store: one SQLite database (WAL), written by one
 * writer thread with group commit, read by anyone (rivctl status, verdicts,
 * tail) without blocking the writer.
 *
 * The daemon's loop thread hands the writer a batch item per appraised
 * notification: its verdict and the engine state that results, committed
 * together in one transaction with the other items of the same batch, so
 * that after kill -9 rivd resumes exactly where its last commit left off.
 * The writer reports each committed batch back through a callback (called
 * on the writer thread: it must only queue and wake the loop).
 */
#ifndef RIV_STORE_H
#define RIV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define STORE_NAME_MAX		64	/* attester, stream, TPM names */
#define STORE_REASONS_MAX	16	/* reasons kept per verdict */
#define STORE_REASON_LEN	256	/* bytes of one reason */
#define STORE_CODES_LEN		128	/* failure codes, comma-separated */
#define STORE_DETAIL_LEN	256	/* bytes of a note's detail kept */
#define STORE_BLOB_MAX		(64u * 1024 * 1024) /* one engine state */
#define STORE_QUEUE_MAX		65536	/* records queued, by default */
#define STORE_QUEUE_BATCHES	256	/* or batches of records, if fewer */
#define STORE_BATCH_DEFAULT	256	/* items per transaction */
#define STORE_RETRY_MS		60000	/* a batch the database refuses for
					   now (locked, busy, disk full) is
					   tried again for this long */

enum verdict_result {
	VERDICT_PASS,
	VERDICT_FAIL,
	VERDICT_ERROR,
	VERDICT_STALE
};

/* One verdict on one notification (or on a missed heartbeat: stale). */
struct verdict {
	char		 attester[STORE_NAME_MAX];
	char		 stream[STORE_NAME_MAX];	/* pcr-trust-evidence, ... */
	char		 tpm[STORE_NAME_MAX];		/* "" if not per TPM */
	uint32_t	 subscription;
	uint64_t	 sequence;	/* the evidence's sequence number */
	int		 no_evidence;	/* judges no notification (stale,
					   malformed, foreign, a refused
					   subscription) */
	enum verdict_result result;
	char		 codes[STORE_CODES_LEN];	/* e.g. "nonce,replayed" */
	char		 reasons[STORE_REASONS_MAX][STORE_REASON_LEN];
	size_t		 nreasons;
	uint8_t		 nonce[64];
	size_t		 nonce_len;
	uint8_t		 pcr_digest[64];
	size_t		 pcr_digest_len;
	int64_t		 received_us;	/* wall clock, microseconds */
	int64_t		 committed_us;	/* set by the writer */
};

/*
 * Engine state of one attester/stream/TPM after a verdict: an opaque
 * blob (the appraiser's serialised state) and the position it stands at.
 */
struct store_state {
	char		 attester[STORE_NAME_MAX];
	char		 stream[STORE_NAME_MAX];
	char		 tpm[STORE_NAME_MAX];
	uint64_t	 sequence;	/* last sequence number appraised */
	uint8_t		*blob;		/* owned by the item; may be NULL */
	size_t		 blob_len;
};

/* What the loop hands the writer for one appraised notification. */
struct store_item {
	struct verdict	 verdict;
	struct store_state state;	/* state.attester[0] == '\0': none */
	uint64_t	 cookie;	/* returned in the commit callback */
};

struct store;

/*
 * Called on the writer thread after a batch committed (ok 1) or failed
 * (ok 0, items not stored: the transaction was rolled back, the reason is
 * in store_stats.last_error); cookies of the batch's items, in the order
 * they were submitted.
 */
typedef void (*store_commit_cb)(const uint64_t *, size_t, int, void *);

/*
 * Called on the writer thread, with the store's lock held, when the
 * queue, having reached its high-water mark, drained to its low-water
 * mark (see store_set_watermarks): it must only wake the loop (write to
 * a pipe), never call the store.
 */
typedef void (*store_drain_cb)(void *);

/* What the writer did so far, for the daemon's log and status. */
struct store_stats {
	uint64_t	 items;		/* items committed */
	uint64_t	 notes;		/* notes committed */
	uint64_t	 batches;	/* transactions committed */
	uint64_t	 failed_batches;
	uint64_t	 failed_items;	/* items of those: not stored */
	uint64_t	 retries;	/* transactions tried again */
	uint64_t	 checkpoints;	/* WAL checkpoints (checkpoint.c) */
	int		 retrying;	/* a batch waits to be tried again */
	size_t		 queued;	/* records waiting now */
	size_t		 queue_max;
	size_t		 high_water, low_water;
	char		 last_error[RIV_ERR_MAX];	/* of a failed batch */
};

/*
 * store_open: open (create) the database at path, apply db/schema and
 * the numbered migrations (PRAGMA user_version), WAL mode, synchronous
 * as given (NULL or "FULL" keeps commits across power loss, "NORMAL"
 * across process crashes only; "EXTRA" too).  The parent directory must
 * exist; errors name the path.
 * store_set_queue_max: change the queue's capacity (default: the smaller
 * of STORE_QUEUE_MAX records and STORE_QUEUE_BATCHES batches, set by
 * store_start) while it is empty; the watermarks become half and a
 * quarter of it.  0 or -1.
 * store_set_watermarks: set the queue's high-water mark (records queued
 * or being written at which store_full turns 1) and low-water mark (at
 * which it turns 0 again and drain is called on the writer thread, with
 * arg); 0 for either keeps it.  The room between the high-water mark and
 * the capacity takes what the loop already read when it stops reading.
 * 0, or -1 unless low < high <= capacity.
 * store_full: 1 once the queue reached its high-water mark, until it
 * drained to its low-water mark; the loop stops reading its attesters
 * meanwhile (back-pressure) and never waits for the store.
 * store_start: start the writer thread with a batch limit (items) and a
 * linger: a batch that is not full waits until linger ms after the last
 * transaction began (0: commit what is there at once), so that under load
 * a transaction every linger ms takes what came meanwhile, while a record
 * after a quiet spell waits for nothing.  Signals are blocked in the
 * thread.
 * Unless store_set_queue_max was called, an empty queue is made to hold
 * STORE_QUEUE_BATCHES batches if that is fewer records.  A
 * batch the database refuses for a reason that passes (SQLITE_BUSY or
 * SQLITE_LOCKED: another process holds the lock beyond DB_BUSY_MS;
 * SQLITE_FULL) is tried again, with pauses growing to a second, for up
 * to STORE_RETRY_MS; then, or at once for any other reason, it fails
 * (reported to the commit callback with ok 0), and until a batch
 * commits again failing batches are not retried.
 * store_submit: queue an item (copied; blob ownership passes to the
 * store, and item->state.blob is set to NULL); 0, or -1 with errno
 * EAGAIN if the queue is at its capacity (the loop stopped reading at
 * the high-water mark: only a store that fails for a long time gets
 * there), EINVAL if the item breaks a bound above (a
 * string without its NUL, a result out of range, a blob larger than
 * STORE_BLOB_MAX), ENOMEM; on -1 the caller keeps the blob.  Items
 * submitted before store_start wait for it.
 * store_stop: commit what is queued, stop the writer, close, free.
 * store_load_state: read the last committed state of one
 * attester/stream/TPM (tpm NULL: ""), with its own connection (call it
 * from one thread at a time); 0 with state->attester[0] == '\0' if there
 * is none, 0 with the state (blob malloc'ed, NULL if empty), or -1.
 * store_note_attester: queue an attester's connection state (e.g.
 * "connecting", "connected", "disconnected"; at most STORE_NAME_MAX - 1
 * bytes) and a detail (truncated to STORE_DETAIL_LEN - 1 bytes), in order
 * with the items; a change is logged in events.  0 or -1 as store_submit.
 * store_note_subscription: the same for the subscription of an attester
 * to a stream: its id and state (e.g. "active", "suspended",
 * "terminated").
 * store_get_stats: copy the writer's counters.
 */
int	 store_open(const char *, const char *, struct store **,
	    struct riv_err *);
int	 store_set_queue_max(struct store *, size_t);
int	 store_set_watermarks(struct store *, size_t, size_t, store_drain_cb,
	    void *);
int	 store_full(struct store *);
int	 store_start(struct store *, size_t, unsigned, store_commit_cb, void *,
	    struct riv_err *);
int	 store_submit(struct store *, struct store_item *);
void	 store_stop(struct store *);
int	 store_load_state(struct store *, const char *, const char *,
	    const char *, struct store_state *, struct riv_err *);
int	 store_note_attester(struct store *, const char *, const char *,
	    const char *);
int	 store_note_subscription(struct store *, const char *, const char *,
	    uint32_t, const char *, const char *);
void	 store_get_stats(struct store *, struct store_stats *);

const char *verdict_result_name(enum verdict_result);
int	 verdict_result_by_name(const char *);

#endif
