/*
 * request.c — what the management thread (manage.c) asks of the loop
 * thread, which owns every attester: apply a new configuration file,
 * ask an attester for fresh evidence, restart an attester's appraisal.
 *
 * The management thread hands over one request at a time and waits for
 * it; a byte on a pipe wakes the loop, which carries the request out
 * between two events and signals it done.  The loop never waits for the
 * management thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "rivd.h"

static pthread_mutex_t	 req_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	 req_cond = PTHREAD_COND_INITIALIZER;
static struct request	*req_pending;
static int		 req_closing;
static int		 req_pipe[2] = { -1, -1 };
static struct event	*req_ev;
static atomic_uint	 req_generation;

/* Apply the configuration file r->path and make it rivd's file. */
static void
request_apply(struct request *r)
{
	struct conf *nc = NULL;
	struct riv_err err;

	if (conf_load(r->path, rivd.ctx, &nc, &err) != 0 ||
	    attesters_reload(nc, &err) != 0) {
		conf_free(nc);
		unlink(r->path);
		r->rc = err_set(&r->err, -1, "%s", err.msg);
		return;
	}
	request_conf_changed();
	if (rename(r->path, rivd.conf_path) != 0) {
		/* Applied all the same (the reply is ok); the log says where
		 * the configuration is kept. */
		log_warnx("configuration changed over NETCONF by %s and "
		    "applied, but %s cannot be replaced (%s): the file does "
		    "not hold it; it stays in %s", r->user, rivd.conf_path,
		    strerror(errno), r->path);
		return;
	}
	log_info("configuration changed over NETCONF by %s and saved in %s",
	    r->user, rivd.conf_path);
}

/*
 * Ask the active subscriptions of r->attester (to r->stream only, unless
 * it is -1) for fresh evidence: modify-subscription with a new seed.
 */
static void
request_appraise(struct request *r, struct attester *a)
{
	struct subscription *s;
	size_t k;

	if (a->state != ATT_UP || (a->conf->callhome && !a->via_callhome)) {
		r->rc = err_set(&r->err, -1, "attester %s is not connected%s%s",
		    a->name, a->last_error[0] ? ": " : "", a->state == ATT_UP ?
		    " (its call home is awaited)" : a->last_error);
		return;
	}
	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		if (s->conf == NULL || (r->stream != -1 &&
		    (int)s->stream != r->stream) || s->state != SUB_ACTIVE)
			continue;
		sub_modify(s);
		r->count++;
	}
	if (r->count == 0)
		r->rc = err_set(&r->err, -1, "attester %s has no active "
		    "subscription%s", a->name, r->stream != -1 ? " to that "
		    "stream" : "");
}

/* Carry out request r on the loop thread. */
static void
request_execute(struct request *r)
{
	struct attester *a = NULL;
	size_t k;

	r->rc = 0;
	r->count = 0;
	if (r->kind != REQ_APPLY &&
	    (a = attester_find(r->attester)) == NULL) {
		r->rc = err_set(&r->err, -1, "no attester %s", r->attester);
		return;
	}
	switch (r->kind) {
	case REQ_APPLY:
		request_apply(r);
		break;
	case REQ_APPRAISE:
		request_appraise(r, a);
		break;
	case REQ_RESYNC:
		for (k = 0; k < STREAM_KINDS; k++)
			if (a->subs[k].conf != NULL) {
				sub_resync(&a->subs[k]);
				r->count++;
			}
		log_info("attester %s: appraisal restarted from the full logs "
		    "by %s", a->name, r->user);
		break;
	}
}

/* The pipe woke the loop: carry out the pending request. */
static void
request_cb(evutil_socket_t fd, short what, void *arg)
{
	struct request *r;
	char buf[64];

	(void)what; (void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&req_lock);
	r = req_pending;
	pthread_mutex_unlock(&req_lock);
	if (r == NULL)
		return;
	request_execute(r);
	pthread_mutex_lock(&req_lock);
	r->done = 1;
	req_pending = NULL;
	pthread_cond_broadcast(&req_cond);
	pthread_mutex_unlock(&req_lock);
}

/* Set up the pipe and its event on the loop.  0 or -1. */
int
request_init(struct riv_err *err)
{
	if (pipe(req_pipe) != 0 ||
	    fcntl(req_pipe[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(req_pipe[1], F_SETFL, O_NONBLOCK) != 0)
		return err_set(err, -1, "pipe: %s", strerror(errno));
	req_ev = event_new(rivd.base, req_pipe[0], EV_READ | EV_PERSIST,
	    request_cb, NULL);
	if (req_ev == NULL || event_add(req_ev, NULL) != 0)
		return err_set(err, -1, "cannot watch the request pipe");
	return 0;
}

/*
 * The loop stops: a request waiting now, and any made later, fail.
 * Called on the loop thread before the management thread is stopped.
 */
void
request_shutdown(void)
{
	pthread_mutex_lock(&req_lock);
	req_closing = 1;
	if (req_pending != NULL) {
		req_pending->rc = err_set(&req_pending->err, -1,
		    "rivd is stopping");
		req_pending->done = 1;
		req_pending = NULL;
	}
	pthread_cond_broadcast(&req_cond);
	pthread_mutex_unlock(&req_lock);
	if (req_ev != NULL)
		event_free(req_ev);
	req_ev = NULL;
	if (req_pipe[0] != -1) {
		close(req_pipe[0]);
		close(req_pipe[1]);
	}
	req_pipe[0] = req_pipe[1] = -1;
}

/*
 * Management thread: hand r to the loop and wait until it is carried out.
 * Return r->rc (0, or -1 with r->err).
 */
int
request_run(struct request *r)
{
	pthread_mutex_lock(&req_lock);
	while (req_pending != NULL && !req_closing)
		pthread_cond_wait(&req_cond, &req_lock);
	if (req_closing) {
		pthread_mutex_unlock(&req_lock);
		return err_set(&r->err, -1, "rivd is stopping");
	}
	r->done = 0;
	req_pending = r;
	if (write(req_pipe[1], "r", 1) != 1 && errno != EAGAIN) {
		req_pending = NULL;
		pthread_mutex_unlock(&req_lock);
		return err_set(&r->err, -1, "cannot wake the loop: %s",
		    strerror(errno));
	}
	while (!r->done)
		pthread_cond_wait(&req_cond, &req_lock);
	pthread_mutex_unlock(&req_lock);
	return r->rc;
}

/* The configuration file changed and was applied (SIGHUP or NETCONF). */
void
request_conf_changed(void)
{
	atomic_fetch_add(&req_generation, 1);
}

/* How many times the configuration was applied since start. */
unsigned
request_conf_generation(void)
{
	return atomic_load(&req_generation);
}
