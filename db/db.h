/*
 * db.h — inside the verdict store: the SQLite connections and the schema
 * (db.c), one write transaction (writer.c), the checkpointer
 * (checkpoint.c), the records the store's
 * queue carries to the writer thread (store.c), and stored values as
 * readers show them (show.c).  The daemon uses store.h and manage.h;
 * rivctl uses the reader half of db.c and show.c.
 */
#ifndef RIV_DB_H
#define RIV_DB_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "store.h"
#include "util.h"

#define DB_VERSION		6		/* schema version: migrations */
#define DB_APPLICATION_ID	0x72697664	/* "rivd" */
#define DB_BUSY_MS		5000		/* busy_timeout, ms */
#define DB_JOURNAL_MAX		(64 * 1024 * 1024) /* WAL size kept */
#define DB_PATH_DEFAULT		"/var/lib/rivd/rivd.db"
#define DB_TIME_LEN		80		/* db_time_format's buffer */

/* What a queued record asks the writer to store. */
enum store_rec_kind {
	STORE_REC_VERDICT,	/* a store_item: verdict, state, posture */
	STORE_REC_ATTESTER,	/* store_note_attester */
	STORE_REC_SUBSCRIPTION	/* store_note_subscription */
};

/*
 * One queued record: a store_item made compact (reasons as JSON text,
 * nonce and digest as hex) or a note.  The strings point into text[], the
 * same allocation; the blob is owned by the record.
 */
struct store_rec {
	enum store_rec_kind	 kind;
	uint64_t		 cookie;
	const char		*attester;
	const char		*stream;
	const char		*tpm;
	uint32_t		 subscription;
	uint64_t		 sequence;
	int			 evidence;	/* judges a notification */
	enum verdict_result	 result;
	const char		*codes;
	const char		*reasons;	/* JSON array of strings */
	const char		*nonce;		/* hex */
	const char		*pcr_digest;	/* hex */
	int64_t			 time_us;	/* received, or noted */
	const char		*state;		/* notes: the new state */
	const char		*detail;	/* notes */
	int			 has_state;	/* verdicts: st_* are set */
	const char		*st_attester;
	const char		*st_stream;
	const char		*st_tpm;
	uint64_t		 st_sequence;
	uint8_t			*blob;
	size_t			 blob_len;
	char			 text[];
};

/* What one committed transaction stored. */
struct writer_counts {
	uint64_t	 items;		/* verdict records */
	uint64_t	 notes;
	int		 transient;	/* failed for a reason that passes */
};

struct writer;

/* db.c */
int		 db_open(const char *, const char *, sqlite3 **,
		    struct riv_err *);
int		 db_open_reader(const char *, sqlite3 **, struct riv_err *);
int		 db_open_existing(const char *, int, sqlite3 **,
		    struct riv_err *);
int		 db_exec(sqlite3 *, const char *, struct riv_err *);
int64_t		 db_now_us(void);
void		 db_time_format(int64_t, int, char *);
int		 db_time_parse(const char *, int64_t, int64_t *);
int		 db_result_rank(const char *);

/* show.c */
const char	*show_col_text(sqlite3_stmt *, int);
const char	*show_escape(const char *, char *, size_t);
void		 show_time_json(FILE *, int64_t);
void		 show_time_col_json(FILE *, sqlite3_stmt *, int);
void		 show_text_or_null(FILE *, sqlite3_stmt *, int);
void		 show_codes_json(FILE *, const char *);
void		 show_reasons_json(FILE *, const char *);
const char	*show_first_reason(const char *, const char *, char *, size_t);

/* writer.c */
int		 writer_open(sqlite3 *, struct writer **, struct riv_err *);
void		 writer_close(struct writer *);
int		 writer_write(struct writer *, struct store_rec *const *,
		    size_t, int64_t, struct writer_counts *,
		    struct riv_err *);

/* checkpoint.c: the checkpointer thread (passive checkpoints). */
struct checkpointer;
int		 checkpointer_start(sqlite3 *, const char *, const char *,
		    struct checkpointer **, struct riv_err *);
uint64_t	 checkpointer_count(struct checkpointer *);
void		 checkpointer_stop(struct checkpointer *);

#endif
