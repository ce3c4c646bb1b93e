/*
 * rivd.c — the streaming remote-attestation verifier: command line,
 * start-up (configuration, YANG context, keys and policies, store,
 * saved engine state), the event loop, signals and shutdown.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <libyang/libyang.h>

#include "ima_policy.h"
#include "refvals.h"
#include "rivd.h"

#ifndef RIV_YANGDIR
#define RIV_YANGDIR "/usr/local/share/rivd/yang"
#endif

struct rivd rivd;

/* Print the usage and exit with status. */
static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f,
"usage: rivd [-nv] -c FILE [-y DIR]\n"
"\n"
"Subscribe to the attesters' evidence streams and record a verdict on\n"
"every notification in the SQLite store.\n"
"\n"
"  -c FILE   configuration (rivd.conf(5): riv-verifier YANG data, JSON\n"
"            if FILE ends in .json, else XML)\n"
"  -n        check the configuration, keys and policies, then exit\n"
"  -v        debug logging\n"
"  -y DIR    YANG modules (default " RIV_YANGDIR ")\n"
"  -h        this help\n");
	exit(status);
}

/* Load the AK of every TPM of a. */
static int
load_keys(struct attester *a, struct riv_err *err)
{
	uint8_t *buf = NULL;
	size_t len, i;
	int rc;

	for (i = 0; i < a->ntpms; i++) {
		if (file_read(a->conf->tpms[i].ak_path, QUOTE_FILE_MAX, &buf,
		    &len, err) != RIV_OK)
			return err_set(err, -1, "attester %s TPM %s: %s",
			    a->name, a->tpms[i].name, err->msg);
		rc = akey_load(buf, len, &a->tpms[i].ak, err);
		free(buf);
		buf = NULL;
		if (rc != RIV_OK)
			return err_set(err, -1, "attester %s TPM %s: %s: %s",
			    a->name, a->tpms[i].name,
			    a->conf->tpms[i].ak_path, err->msg);
	}
	return 0;
}

/* Restore the saved engine state of each log stream of a. */
static void
restore_state(struct attester *a)
{
	struct store_state st;
	struct subscription *s;
	struct riv_err err;
	size_t i;

	for (i = 0; i < a->nsubs; i++) {
		s = &a->subs[i];
		if (s->stream == STREAM_PCR)
			continue;
		memset(&st, 0, sizeof(st));
		if (store_load_state(rivd.store, a->name,
		    stream_kind_name(s->stream), "", &st, &err) != 0) {
			log_warnx("attester %s %s: saved state: %s", a->name,
			    stream_kind_name(s->stream), err.msg);
			continue;
		}
		if (st.blob == NULL)
			continue;
		if (appraisal_restore(s->appraisal, st.blob, st.blob_len,
		    &err) != 0)
			log_warnx("attester %s %s: saved state unusable (%s): "
			    "the logs are appraised from the start", a->name,
			    stream_kind_name(s->stream), err.msg);
		else
			log_info("attester %s %s: resuming after sequence "
			    "%llu", a->name, stream_kind_name(s->stream),
			    (unsigned long long)st.sequence);
		free(st.blob);
	}
}

/* Build the attesters of the configuration.  Return 0 or -1. */
static int
make_attesters(struct riv_err *err)
{
	const struct conf_attester *c;
	struct attester *a;
	size_t i, j;

	if ((rivd.attesters = calloc(rivd.conf->nattesters + 1,
	    sizeof(*rivd.attesters))) == NULL)
		return err_set(err, -1, "out of memory");
	for (i = 0; i < rivd.conf->nattesters; i++) {
		c = &rivd.conf->attesters[i];
		a = &rivd.attesters[i];
		rivd.nattesters++;
		a->conf = c;
		snprintf(a->name, sizeof(a->name), "%s", c->name);
		a->ntpms = c->ntpms;
		for (j = 0; j < c->ntpms; j++)
			snprintf(a->tpms[j].name, sizeof(a->tpms[j].name),
			    "%s", c->tpms[j].name);
		if (load_keys(a, err) != 0)
			return -1;
		if (c->refvals_path != NULL &&
		    (a->refvals = refvals_load(c->refvals_path, err)) == NULL)
			return err_set(err, -1, "attester %s: %s", a->name,
			    err->msg);
		if (c->policy_path != NULL &&
		    (a->policy = ima_policy_get(c->policy_path, err)) == NULL)
			return err_set(err, -1, "attester %s: %s", a->name,
			    err->msg);
		for (j = 0; j < c->nsubs; j++) {
			a->subs[j].att = a;
			a->subs[j].conf = &c->subs[j];
			a->subs[j].stream = c->subs[j].stream;
			a->subs[j].hash = BANK_SHA256;
			if ((a->subs[j].appraisal = appraisal_new(&a->subs[j],
			    err)) == NULL)
				return -1;
			a->nsubs++;
		}
	}
	return 0;
}

/* Free the attesters. */
static void
free_attesters(void)
{
	struct attester *a;
	size_t i, j;

	for (i = 0; i < rivd.nattesters; i++) {
		a = &rivd.attesters[i];
		for (j = 0; j < a->ntpms; j++)
			akey_free(&a->tpms[j].ak);
		for (j = 0; j < a->nsubs; j++) {
			appraisal_free(a->subs[j].appraisal);
			if (a->subs[j].heartbeat_ev != NULL)
				event_free(a->subs[j].heartbeat_ev);
			if (a->subs[j].reseed_ev != NULL)
				event_free(a->subs[j].reseed_ev);
		}
		refvals_free(a->refvals);
		if (a->policy != NULL)
			ima_policy_unref(a->policy);
	}
	free(rivd.attesters);
	rivd.attesters = NULL;
	rivd.nattesters = 0;
}

/* The store committed a batch (writer thread): nothing to do yet. */
static void
committed(const uint64_t *cookies, size_t n, int ok, void *arg)
{
	(void)cookies; (void)arg;
	if (!ok)
		log_warnx("store: a batch of %zu verdicts failed to commit", n);
}

/* SIGINT, SIGTERM: leave the loop. */
static void
signal_quit(evutil_socket_t sig, short what, void *arg)
{
	(void)what; (void)arg;
	log_info("signal %d: stopping", (int)sig);
	event_base_loopbreak(rivd.base);
}

/* SIGHUP: reload (not yet: say so). */
static void
signal_hup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig; (void)what; (void)arg;
	log_warnx("SIGHUP: reloading the configuration is not implemented "
	    "yet; restart rivd to apply a new one");
}

/* Run the loop until a signal stops it. */
static int
run(void)
{
	struct event *ev_int, *ev_term, *ev_hup;
	struct riv_err err;
	size_t i;

	signal(SIGPIPE, SIG_IGN);
	if ((rivd.base = event_base_new()) == NULL ||
	    session_init(&err) != 0) {
		log_warnx("%s", "cannot start the event loop");
		return 1;
	}
	ev_int = evsignal_new(rivd.base, SIGINT, signal_quit, NULL);
	ev_term = evsignal_new(rivd.base, SIGTERM, signal_quit, NULL);
	ev_hup = evsignal_new(rivd.base, SIGHUP, signal_hup, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_hup, NULL);
	for (i = 0; i < rivd.nattesters; i++)
		session_start(&rivd.attesters[i]);
	log_info("running: %zu attester(s), store %s", rivd.nattesters,
	    rivd.conf->store_path);
	event_base_dispatch(rivd.base);
	session_free_all();
	free_attesters();
	event_free(ev_int);
	event_free(ev_term);
	event_free(ev_hup);
	event_base_free(rivd.base);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *conf_path = NULL, *yang_dir = RIV_YANGDIR;
	struct riv_err err;
	int ch, check = 0, rc;

	while ((ch = getopt(argc, argv, "c:hnvy:")) != -1) {
		switch (ch) {
		case 'c': conf_path = optarg; break;
		case 'n': check = 1; break;
		case 'v': rivd.verbose = 1; break;
		case 'y': yang_dir = optarg; break;
		case 'h': usage(0); break;
		default: usage(2);
		}
	}
	if (conf_path == NULL || optind != argc)
		usage(2);
	log_init(rivd.verbose);
	if (yang_context(yang_dir, &rivd.ctx, &err) != 0 ||
	    conf_load(conf_path, rivd.ctx, &rivd.conf, &err) != 0 ||
	    make_attesters(&err) != 0) {
		fprintf(stderr, "rivd: %s\n", err.msg);
		rc = 1;
		goto done;
	}
	if (check) {
		printf("configuration OK: %zu attester(s)\n", rivd.nattesters);
		rc = 0;
		goto done;
	}
	if (store_open(rivd.conf->store_path, rivd.conf->synchronous,
	    &rivd.store, &err) != 0 || store_start(rivd.store,
	    rivd.conf->batch, rivd.conf->linger_ms, committed, NULL,
	    &err) != 0) {
		fprintf(stderr, "rivd: %s\n", err.msg);
		rc = 1;
		goto done;
	}
	for (ch = 0; (size_t)ch < rivd.nattesters; ch++)
		restore_state(&rivd.attesters[ch]);
	rc = run();
	store_stop(rivd.store);
	rivd.store = NULL;
done:
	if (rivd.attesters != NULL)
		free_attesters();
	conf_free(rivd.conf);
	if (rivd.ctx != NULL)
		ly_ctx_destroy(rivd.ctx);
	return rc;
}
