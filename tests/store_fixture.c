/*
 * store_fixture.c — writes a verdict store the way rivd does (through
 * db/store.h and its writer thread) from lines on standard input, for the
 * rivctl tests (tests/cli_verdicts.sh).  Fields are separated by tabs;
 * "-" stands for an empty field; TIME is RFC 3339, a span before now
 * ("10m") or "now".
 *
 *	verdict ATTESTER STREAM TPM SUBSCRIPTION SEQUENCE RESULT TIME CODES
 *	    [REASON ...]
 *	attester NAME STATE DETAIL
 *	subscription ATTESTER STREAM ID STATE DETAIL
 *	sleep MS		(what came before is committed first)
 *
 * usage: store_fixture DB [SYNCHRONOUS] < lines; exit 0, or 1 with the
 * reason on standard error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "store.h"

#define FIELDS_MAX	(9 + STORE_REASONS_MAX)
#define LINE_MAX_LEN	8192

/* Items submitted and committed, to wait for the writer. */
struct progress {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	unsigned long	 submitted;
	unsigned long	 committed;
	int		 failed;
};

/* Commit callback: count, and wake a waiting `sleep`. */
static void
committed_cb(const uint64_t *cookies, size_t n, int ok, void *arg)
{
	struct progress *p = arg;

	(void)cookies;
	pthread_mutex_lock(&p->lock);
	p->committed += n;
	if (!ok)
		p->failed = 1;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

/* Wait until everything submitted is committed. */
static void
wait_committed(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->committed < p->submitted)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

/* Split a line at tabs into at most max fields; return how many. */
static int
split_fields(char *line, const char **f, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, "\t", &save); tok != NULL && n < max;
	    tok = strtok_r(NULL, "\t", &save))
		f[n++] = strcmp(tok, "-") == 0 ? "" : tok;
	return n;
}

/* Parse a TIME field into microseconds; -1 if it is none. */
static int
parse_time(const char *s, int64_t *us)
{
	if (strcmp(s, "now") == 0) {
		*us = db_now_us();
		return 0;
	}
	return db_time_parse(s, db_now_us(), us);
}

/* Build and submit the item of a verdict line; -1 if it is malformed. */
static int
submit_verdict(struct store *s, const char **f, int n,
    struct progress *p)
{
	struct store_item it;
	struct verdict *v = &it.verdict;
	int r, i;

	memset(&it, 0, sizeof(it));
	if (n < 9 || (r = verdict_result_by_name(f[6])) == -1 ||
	    parse_time(f[7], &v->received_us) == -1)
		return -1;
	snprintf(v->attester, sizeof(v->attester), "%s", f[1]);
	snprintf(v->stream, sizeof(v->stream), "%s", f[2]);
	snprintf(v->tpm, sizeof(v->tpm), "%s", f[3]);
	v->subscription = (uint32_t)strtoul(f[4], NULL, 10);
	v->sequence = strtoull(f[5], NULL, 10);
	v->result = (enum verdict_result)r;
	snprintf(v->codes, sizeof(v->codes), "%s", f[8]);
	for (i = 9; i < n; i++)
		snprintf(v->reasons[v->nreasons++], STORE_REASON_LEN, "%s",
		    f[i]);
	for (i = 0; i < 8; i++)
		v->nonce[i] = (uint8_t)(v->sequence >> (56 - 8 * i));
	v->nonce_len = 8;
	memset(v->pcr_digest, 0xab, 32);
	v->pcr_digest_len = 32;
	it.state = (struct store_state){ .sequence = v->sequence };
	memcpy(it.state.attester, v->attester, STORE_NAME_MAX);
	memcpy(it.state.stream, v->stream, STORE_NAME_MAX);
	memcpy(it.state.tpm, v->tpm, STORE_NAME_MAX);
	it.cookie = v->sequence;
	pthread_mutex_lock(&p->lock);
	p->submitted++;
	pthread_mutex_unlock(&p->lock);
	if (store_submit(s, &it) == -1) {
		fprintf(stderr, "store_fixture: submit: %s\n",
		    strerror(errno));
		exit(1);
	}
	return 0;
}

/* Act on one input line; -1 if it is malformed. */
static int
run_line(struct store *s, char *line, struct progress *p)
{
	const char *f[FIELDS_MAX];
	struct timespec ts;
	long ms;
	int n;

	if ((n = split_fields(line, f, FIELDS_MAX)) == 0)
		return 0;
	if (strcmp(f[0], "verdict") == 0)
		return submit_verdict(s, f, n, p);
	if (strcmp(f[0], "attester") == 0 && n >= 3)
		return store_note_attester(s, f[1], f[2], n > 3 ? f[3] : "");
	if (strcmp(f[0], "subscription") == 0 && n >= 5)
		return store_note_subscription(s, f[1], f[2],
		    (uint32_t)strtoul(f[3], NULL, 10), f[4], n > 5 ? f[5] : "");
	if (strcmp(f[0], "sleep") == 0 && n == 2) {
		wait_committed(p);
		ms = strtol(f[1], NULL, 10);
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = (ms % 1000) * 1000000;
		nanosleep(&ts, NULL);
		return 0;
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct progress p = { PTHREAD_MUTEX_INITIALIZER,
	    PTHREAD_COND_INITIALIZER, 0, 0, 0 };
	struct riv_err err = { "" };
	struct store *s;
	char line[LINE_MAX_LEN];
	unsigned long lineno = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: store_fixture DB [SYNCHRONOUS] "
		    "< lines\n");
		return 1;
	}
	if (store_open(argv[1], argc > 2 ? argv[2] : NULL, &s, &err) != 0 ||
	    store_start(s, 64, 0, committed_cb, &p, &err) != 0) {
		fprintf(stderr, "store_fixture: %s\n", err.msg);
		store_stop(s);
		return 1;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		lineno++;
		if (run_line(s, line, &p) == -1) {
			fprintf(stderr, "store_fixture: line %lu: malformed\n",
			    lineno);
			store_stop(s);
			return 1;
		}
	}
	store_stop(s);
	if (p.failed) {
		fprintf(stderr, "store_fixture: a batch failed to commit\n");
		return 1;
	}
	return 0;
}
