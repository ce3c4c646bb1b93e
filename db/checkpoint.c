/*
 * checkpoint.c — the store's checkpointer: a thread with a connection of
 * its own that copies the WAL back into the database (a passive
 * checkpoint) whenever the writer's commits have grown it by
 * CHECKPOINT_PAGES pages.  SQLite's automatic checkpoint runs inside the
 * commit that crosses its threshold, in the writer: every thousandth page
 * or so, one commit then waited for the copy and the database file's
 * fsync, and that set the latency's 99th percentile.  A passive
 * checkpoint waits for nobody: the writer goes on appending to the WAL and
 * readers go on reading while it runs.  The WAL starts over from its
 * beginning only when a checkpoint has copied all of it before the next
 * commit; under a commit stream too dense for that, the writer checkpoints
 * itself at CHECKPOINT_WRITER pages and has the WAL start over (a restart
 * checkpoint, which waits for the checkpointer's), so the WAL stays
 * bounded.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"

#define CHECKPOINT_PAGES	1000	/* SQLite's own default threshold */
#define CHECKPOINT_WRITER	4000	/* the writer checkpoints itself */

struct checkpointer {
	sqlite3		*db;		/* the checkpointer's connection */
	sqlite3		*wdb;		/* the writer's, whose WAL it follows */
	pthread_t	 thread;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 due;		/* a checkpoint was asked for */
	int		 running;	/* a checkpoint runs (either thread) */
	int		 stopping;
	uint64_t	 done;		/* checkpoints run */
};

/*
 * The writer committed and its WAL holds pages pages (SQLite's WAL hook,
 * on the writer thread): ask for a checkpoint past the threshold, or run
 * one here when the checkpointer cannot keep up.
 */
static int
note_commit(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct checkpointer *c = arg;

	if (pages < CHECKPOINT_PAGES)
		return SQLITE_OK;
	if (pages >= CHECKPOINT_WRITER) {
		/* Wait for the checkpointer's, copy all, start over. */
		pthread_mutex_lock(&c->lock);
		while (c->running)
			pthread_cond_wait(&c->cond, &c->lock);
		c->running = 1;
		pthread_mutex_unlock(&c->lock);
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART,
		    NULL, NULL);
		pthread_mutex_lock(&c->lock);
		c->running = 0;
		c->done++;
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&c->lock);
	if (!c->due) {
		c->due = 1;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return SQLITE_OK;
}

/* The thread: run a passive checkpoint each time one is asked for. */
static void *
checkpoint_main(void *arg)
{
	struct checkpointer *c = arg;
	int log, copied;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		while ((!c->due || c->running) && !c->stopping)
			pthread_cond_wait(&c->cond, &c->lock);
		if (c->stopping)
			break;
		c->due = 0;
		c->running = 1;
		pthread_mutex_unlock(&c->lock);
		/* Busy (a reader holds old frames) is no error: next time. */
		sqlite3_wal_checkpoint_v2(c->db, NULL,
		    SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
		pthread_mutex_lock(&c->lock);
		c->running = 0;
		c->done++;
		pthread_cond_broadcast(&c->cond);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/*
 * Start checkpointing the database at path (synchronous as the writer's,
 * already checked) for the writer's connection wdb, in place of SQLite's
 * automatic checkpoint.  RIV_OK, or an error naming the path.
 */
int
checkpointer_start(sqlite3 *wdb, const char *path, const char *synchronous,
    struct checkpointer **cp, struct riv_err *err)
{
	struct checkpointer *c;
	sigset_t all, old;
	char sql[64];
	int rc;

	*cp = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->wdb = wdb;
	snprintf(sql, sizeof(sql), "PRAGMA synchronous = %s",
	    synchronous != NULL ? synchronous : "FULL");
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(c->db, DB_BUSY_MS) != SQLITE_OK ||
	    sqlite3_exec(c->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		err_set(err, RIV_MALFORMED, "%s: the checkpointer's "
		    "connection: %s", path, sqlite3_errmsg(c->db));
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&c->thread, NULL, checkpoint_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		err_set(err, RIV_MALFORMED, "%s: cannot start the "
		    "checkpointer", path);
		goto fail;
	}
	sqlite3_wal_hook(wdb, note_commit, c);
	*cp = c;
	return RIV_OK;
fail:
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
	return RIV_MALFORMED;
}

/* The checkpoints run so far. */
uint64_t
checkpointer_count(struct checkpointer *c)
{
	uint64_t n;

	if (c == NULL)
		return 0;
	pthread_mutex_lock(&c->lock);
	n = c->done;
	pthread_mutex_unlock(&c->lock);
	return n;
}

/*
 * Stop the checkpointer (the writer is no longer committing) and free it;
 * the last connection to close checkpoints what is left.
 */
void
checkpointer_stop(struct checkpointer *c)
{
	if (c == NULL)
		return;
	sqlite3_wal_hook(c->wdb, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->stopping = 1;
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	sqlite3_close(c->db);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
