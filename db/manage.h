/*
 * manage.h — the verdict store as rivd's management server uses it: its
 * own read-write connection to the database rivd opened and migrated,
 * beside the writer thread's.  It records the audit trail and operators'
 * acknowledgements, and reads an attester's state and the verdict changes
 * that feed the verdict-change notifications.
 *
 * Every call is one short transaction at most; none stays open between
 * calls, and in WAL mode reading never blocks the writer.  A handle may be
 * shared by several threads (calls are serialised on it), but a
 * manage_changes callback must not call manage_* on the same handle.
 */
#ifndef RIV_MANAGE_H
#define RIV_MANAGE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

#define MANAGE_VERSION_MIN	5		/* schema it needs (nevidence) */
#define MANAGE_DETAIL_MAX	(64 * 1024)	/* audit detail kept, bytes */
#define MANAGE_STREAMS_MAX	8		/* streams of one attester */

/* One stream of an attester: subscription and posture over its TPMs. */
struct manage_stream {
	char		 name[STORE_NAME_MAX];
	uint32_t	 subscription_id;
	int		 has_subscription;
	char		 subscription_state[32];
	char		 result[8];		/* worst over TPMs; "": none */
	int64_t		 result_since_us;
	uint64_t	 last_verdict_id;	/* the latest over TPMs */
	uint64_t	 last_sequence;		/* its sequence number */
	uint64_t	 notifications;		/* verdicts on evidence */
	uint64_t	 npass, nfail, nerror, nstale;
	uint64_t	 gaps;			/* verdicts with code gap */
};

/* One attester as the store knows it (all zero: not at all). */
struct manage_attester {
	char		 connection[32];	/* "": never noted */
	char		 connection_detail[256];
	int64_t		 connection_since_us;
	char		 posture[8];		/* "": no verdict yet */
	int64_t		 posture_since_us;
	uint64_t	 reconnects;		/* connected again */
	uint64_t	 unacknowledged;	/* not pass, since the ack */
	struct manage_stream streams[MANAGE_STREAMS_MAX];
	size_t		 nstreams;
};

/* A verdict change: a stream's posture event joined with its verdict. */
struct manage_change {
	int64_t		 event_id;
	int64_t		 time_us;
	char		 attester[STORE_NAME_MAX];
	char		 stream[STORE_NAME_MAX];
	char		 tpm[STORE_NAME_MAX];
	char		 result[8];
	char		 previous[8];		/* "": the first */
	char		 codes[STORE_CODES_LEN];
	char		 reasons[STORE_REASONS_MAX][STORE_REASON_LEN];
	size_t		 nreasons;
	uint64_t	 sequence;		/* 0 with verdict_id 0 */
	uint64_t	 verdict_id;		/* 0: unknown (before v3) */
	char		 posture[8];		/* overall, right after */
};

typedef int (*manage_change_cb)(const struct manage_change *, void *);

struct manage_db;

/*
 * manage_open: open the database at path, which rivd already opened and
 * migrated (schema version MANAGE_VERSION_MIN at least, WAL); else an
 * error naming the path.
 * manage_close: close it; NULL is fine.
 * manage_audit: record an operation (NULL strings are ""; detail is cut
 * to MANAGE_DETAIL_MAX bytes at a character boundary).
 * manage_acknowledge: acknowledge the attester's verdicts up to verdict_id
 * (0: its latest).  *count is the number of its verdicts that did not
 * pass with an id after the greatest acknowledged before and up to
 * verdict_id.  A verdict_id that is not one of the attester's verdicts is
 * an error saying so; an attester without verdicts gives 0 with *count 0
 * and records nothing.
 * manage_attester_state: the state of one attester (all zero if the
 * store knows nothing of it): one stream per posture or subscription row,
 * in name order, MANAGE_STREAMS_MAX at most; posture aggregated over the
 * TPMs (worst result, fail > error > stale > pass, since the earliest of
 * the TPMs with it; counts summed; the latest verdict).
 * manage_changes: call cb for each change with event id > after_id and
 * time_us >= since_us (0: no bound), in id order, max at most (0: no
 * limit).  *last_id is the id of the last change passed to cb (after_id
 * if none).  cb returning non-zero stops the scan after that change (not
 * an error).  The caller filters by attester or result in cb.
 * manage_last_event: the id of the newest event (0 if none), where a
 * live subscriber starts.
 * All return 0, or -1 with the reason in err.
 */
int	 manage_open(const char *, struct manage_db **, struct riv_err *);
void	 manage_close(struct manage_db *);
int	 manage_audit(struct manage_db *, const char *, const char *,
	    const char *, const char *, const char *, struct riv_err *);
int	 manage_acknowledge(struct manage_db *, const char *, const char *,
	    uint64_t, const char *, uint64_t *, struct riv_err *);
int	 manage_attester_state(struct manage_db *, const char *,
	    struct manage_attester *, struct riv_err *);
int	 manage_changes(struct manage_db *, int64_t, int64_t, size_t,
	    manage_change_cb, void *, int64_t *, struct riv_err *);
int	 manage_last_event(struct manage_db *, int64_t *, struct riv_err *);

#endif
