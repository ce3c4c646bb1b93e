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

/*
 * SIGHUP: read the configuration file again and apply the difference
 * live; a file that does not validate, or names keys or files that cannot
 * be read, changes nothing.
 */
static void
signal_hup(evutil_socket_t sig, short what, void *arg)
{
	struct conf *nc;
	struct riv_err err;

	(void)sig; (void)what; (void)arg;
	log_info("SIGHUP: reading %s", rivd.conf_path);
	if (conf_load(rivd.conf_path, rivd.ctx, &nc, &err) != 0 ||
	    attesters_reload(nc, &err) != 0) {
		log_warnx("configuration not applied, the running one stays: "
		    "%s", err.msg);
		conf_free(nc);
		return;
	}
	request_conf_changed();	/* the management server reads it too */
}

/* Run the loop until a signal stops it. */
static int
run(void)
{
	struct event *ev_int, *ev_term, *ev_hup;
	struct riv_err err;

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
	if (callhome_init(&err) != 0 || request_init(&err) != 0 ||
	    manage_start(&err) != 0) {
		log_warnx("%s", err.msg);
		return 1;
	}
	attesters_start();
	log_info("running: %zu attester(s), store %s", rivd.nattesters,
	    rivd.conf->store_path);
	event_base_dispatch(rivd.base);
	request_shutdown();
	manage_stop();
	attesters_free();
	callhome_free();
	session_free_all();
	event_free(ev_int);
	event_free(ev_term);
	event_free(ev_hup);
	/*
	 * A bufferevent freed with its deferred callbacks pending (a session
	 * left lingering) lives until they run: run them, else they hold it.
	 * No signal is taken any more (a SIGHUP would configure anew).
	 */
	event_base_loop(rivd.base, EVLOOP_NONBLOCK);
	event_base_free(rivd.base);
	return 0;
}

/* Read the command line and configuration, open the store, run. */
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
	rivd.conf_path = conf_path;
	if (yang_context(yang_dir, 0, &rivd.ctx, &err) != 0 ||
	    conf_load(conf_path, rivd.ctx, &rivd.conf, &err) != 0) {
		fprintf(stderr, "rivd: %s\n", err.msg);
		rc = 1;
		goto done;
	}
	if (check) {
		rc = attesters_make(&err) != 0;
		if (rc)
			fprintf(stderr, "rivd: %s\n", err.msg);
		else
			printf("configuration OK: %zu attester(s)\n",
			    rivd.nattesters);
		goto done;
	}
	if (store_open(rivd.conf->store_path, rivd.conf->synchronous,
	    &rivd.store, &err) != 0 || store_start(rivd.store,
	    rivd.conf->batch, rivd.conf->linger_ms, committed, NULL,
	    &err) != 0 || attesters_make(&err) != 0 ||
	    manage_init(conf_path, yang_dir, rivd.conf->store_path,
	    &err) != 0) {
		fprintf(stderr, "rivd: %s\n", err.msg);
		rc = 1;
		goto done;
	}
	rc = run();
done:
	manage_stop();
	attesters_free();
	if (rivd.store != NULL)
		store_stop(rivd.store);
	rivd.store = NULL;
	conf_free(rivd.conf);
	if (rivd.ctx != NULL)
		ly_ctx_destroy(rivd.ctx);
	return rc;
}
