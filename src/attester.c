/*
 * attester.c — the attesters rivd watches, made from the configuration:
 * each one's TPMs and attestation keys, reference values, IMA policy and
 * subscriptions with their appraisal state (restored from the store), and
 * how a new configuration (SIGHUP) is applied to them live: a new attester
 * is connected, a removed one closed, one reached differently reconnected,
 * a changed subscription modified, an added one established and a removed
 * one deleted; keys, reference values and policies are read again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "ima_policy.h"
#include "refvals.h"
#include "rivd.h"

/* Load the AK of every TPM of c into tpms.  Return 0 or -1. */
static int
load_keys(const struct conf_attester *c, struct tpm_view *tpms,
    struct riv_err *err)
{
	uint8_t *buf = NULL;
	size_t len, i, failed;
	int rc;

	for (i = 0; i < c->ntpms; i++) {
		snprintf(tpms[i].name, sizeof(tpms[i].name), "%s",
		    c->tpms[i].name);
		if (file_read(c->tpms[i].ak_path, QUOTE_FILE_MAX, &buf, &len,
		    err) != RIV_OK) {
			if (strstr(err->msg, c->tpms[i].ak_path) == NULL)
				err_set(err, -1, "%s: %s", c->tpms[i].ak_path,
				    err->msg);
			goto fail;
		}
		rc = akey_load(buf, len, &tpms[i].ak, err);
		free(buf);
		buf = NULL;
		if (rc != RIV_OK) {
			err_set(err, -1, "%s: %s", c->tpms[i].ak_path,
			    err->msg);
			goto fail;
		}
	}
	return 0;
fail:
	failed = i;
	while (i-- > 0)
		akey_free(&tpms[i].ak);
	return err_set(err, -1, "attester %s TPM %s: %s", c->name,
	    c->tpms[failed].name, err->msg);
}

/* Free the keys of a's TPMs. */
static void
free_keys(struct attester *a)
{
	size_t i;

	for (i = 0; i < a->ntpms; i++)
		akey_free(&a->tpms[i].ak);
}

/*
 * Read the reference values and IMA policy of c.  Return 0 with *rv and
 * *pol set (NULL if not configured), or -1.
 */
static int
load_checks(const struct conf_attester *c, struct refvals **rv,
    struct ima_policy **pol, struct riv_err *err)
{
	*rv = NULL;
	*pol = NULL;
	if (c->refvals_path != NULL &&
	    (*rv = refvals_load(c->refvals_path, err)) == NULL)
		return err_set(err, -1, "attester %s: %s", c->name, err->msg);
	if (c->policy_path != NULL &&
	    (*pol = ima_policy_get(c->policy_path, err)) == NULL) {
		refvals_free(*rv);
		*rv = NULL;
		return err_set(err, -1, "attester %s: %s", c->name, err->msg);
	}
	return 0;
}

/* Restore the saved engine state of log subscription s, if any. */
static void
restore_state(struct subscription *s)
{
	struct store_state st;
	struct riv_err err;
	const char *name = s->att->name, *stream = stream_kind_name(s->stream);

	if (rivd.store == NULL)
		return;
	memset(&st, 0, sizeof(st));
	if (store_load_state(rivd.store, name, stream, "", &st, &err) != 0) {
		log_warnx("attester %s %s: saved state: %s", name, stream,
		    err.msg);
		return;
	}
	if (st.blob == NULL)
		return;
	if (appraisal_restore(s->appraisal, st.blob, st.blob_len, &err) != 0)
		log_warnx("attester %s %s: saved state unusable (%s): the "
		    "logs are appraised from the start", name, stream,
		    err.msg);
	else
		log_info("attester %s %s: resuming after sequence %llu", name,
		    stream, (unsigned long long)st.sequence);
	free(st.blob);
}

/*
 * Set up subscription k of a as c says, with the state saved in the store
 * if restore is set, else from the start of the logs.
 */
static int
sub_make(struct attester *a, enum stream_kind k, const struct conf_sub *c,
    int restore, struct riv_err *err)
{
	struct subscription *s = &a->subs[k];

	memset(s, 0, sizeof(*s));
	s->att = a;
	s->conf = c;
	s->stream = k;
	s->hash = BANK_SHA256;
	s->last_result = -1;
	if ((s->appraisal = appraisal_new(s, err)) == NULL) {
		s->conf = NULL;
		return -1;
	}
	if (k != STREAM_PCR && restore)
		restore_state(s);
	return 0;
}

/* Free subscription s (its session is gone or it was deleted). */
static void
sub_free(struct subscription *s)
{
	if (s->conf == NULL)
		return;
	sub_stop(s);
	appraisal_free(s->appraisal);
	if (s->heartbeat_ev != NULL)
		event_free(s->heartbeat_ev);
	if (s->reseed_ev != NULL)
		event_free(s->reseed_ev);
	if (s->retry_ev != NULL)
		event_free(s->retry_ev);
	if (s->reply_ev != NULL)
		event_free(s->reply_ev);
	memset(s, 0, sizeof(*s));
}

/* Free attester a: its session, subscriptions, keys and checks. */
static void
attester_free(struct attester *a)
{
	size_t k;

	if (a == NULL)
		return;
	session_stop(a);
	for (k = 0; k < STREAM_KINDS; k++)
		sub_free(&a->subs[k]);
	free_keys(a);
	refvals_free(a->refvals);
	if (a->policy != NULL)
		ima_policy_unref(a->policy);
	free(a);
}

/* Make the attester that c describes.  NULL on error. */
static struct attester *
attester_new(const struct conf_attester *c, struct riv_err *err)
{
	struct attester *a;
	size_t k;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		err_set(err, -1, "out of memory");
		return NULL;
	}
	a->conf = c;
	snprintf(a->name, sizeof(a->name), "%s", c->name);
	if (load_keys(c, a->tpms, err) != 0) {
		free(a);
		return NULL;
	}
	a->ntpms = c->ntpms;
	if (load_checks(c, &a->refvals, &a->policy, err) != 0)
		goto fail;
	for (k = 0; k < STREAM_KINDS; k++)
		if (c->subs[k].enabled &&
		    sub_make(a, (enum stream_kind)k, &c->subs[k], 1, err) != 0)
			goto fail;
	return a;
fail:
	attester_free(a);
	return NULL;
}

/* Make every attester of the configuration.  Return 0 or -1. */
int
attesters_make(struct riv_err *err)
{
	size_t i, n = rivd.conf->nattesters;

	if ((rivd.attesters = calloc(n + 1, sizeof(*rivd.attesters))) ==
	    NULL)
		return err_set(err, -1, "out of memory");
	for (i = 0; i < n; i++) {
		rivd.attesters[i] = attester_new(&rivd.conf->attesters[i],
		    err);
		if (rivd.attesters[i] == NULL)
			return -1;
		rivd.nattesters++;
	}
	return 0;
}

/* Connect to every attester. */
void
attesters_start(void)
{
	size_t i;

	for (i = 0; i < rivd.nattesters; i++)
		session_start(rivd.attesters[i]);
}

/* Close and free every attester. */
void
attesters_free(void)
{
	size_t i;

	for (i = 0; i < rivd.nattesters; i++)
		attester_free(rivd.attesters[i]);
	free(rivd.attesters);
	rivd.attesters = NULL;
	rivd.nattesters = 0;
}

/* The attester called name in list (n entries), or NULL. */
static struct attester *
attester_find_in(struct attester **list, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i]->name, name) == 0)
			return list[i];
	return NULL;
}

/* The attester of the running configuration called name, or NULL. */
struct attester *
attester_find(const char *name)
{
	return attester_find_in(rivd.attesters, rivd.nattesters, name);
}

/*
 * Apply c to attester a, which it reaches the same way: new keys,
 * checks and subscription settings.  The new keys and checks are read
 * first: on error a is left as it was.  Return 0 or -1.
 */
static int
attester_update(struct attester *a, const struct conf_attester *c,
    struct riv_err *err)
{
	struct tpm_view tpms[RIVD_TPM_MAX];
	struct refvals *rv;
	struct ima_policy *pol;
	struct subscription *s;
	const struct conf_sub *old;
	size_t i, k;
	int ima_fresh = 0;

	memset(tpms, 0, sizeof(tpms));
	if (load_keys(c, tpms, err) != 0)
		return -1;
	if (load_checks(c, &rv, &pol, err) != 0) {
		for (i = 0; i < c->ntpms; i++)
			akey_free(&tpms[i].ak);
		return -1;
	}
	free_keys(a);
	memcpy(a->tpms, tpms, sizeof(tpms));
	refvals_free(a->refvals);
	a->refvals = rv;
	a->conf = c;
	if (pol != a->policy) {
		/* Another policy: the IMA list is appraised again under it. */
		if (a->subs[STREAM_IMA].conf != NULL) {
			log_info("attester %s: new IMA policy: the IMA list is "
			    "appraised again from its start", a->name);
			sub_delete(&a->subs[STREAM_IMA]);
			sub_free(&a->subs[STREAM_IMA]);
			ima_fresh = 1;
		}
		if (a->policy != NULL)
			ima_policy_unref(a->policy);
		a->policy = pol;
	} else if (pol != NULL)
		ima_policy_unref(pol);	/* the same one, held already */
	/* The IMA replay's banks follow the quoted bank: start again. */
	if (a->subs[STREAM_IMA].conf != NULL && c->subs[STREAM_IMA].enabled &&
	    a->subs[STREAM_IMA].conf->bank != c->subs[STREAM_IMA].bank) {
		log_info("attester %s: new ima-log bank: the IMA list is "
		    "appraised again from its start", a->name);
		sub_delete(&a->subs[STREAM_IMA]);
		sub_free(&a->subs[STREAM_IMA]);
		ima_fresh = 1;
	}
	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		old = s->conf;
		if (!c->subs[k].enabled) {
			if (old != NULL)
				log_info("attester %s: unsubscribing from %s",
				    a->name, stream_kind_name(k));
			sub_delete(s);
			sub_free(s);
			continue;
		}
		if (old == NULL) {
			if (sub_make(a, (enum stream_kind)k, &c->subs[k],
			    k != STREAM_IMA || !ima_fresh, err) != 0)
				return -1;
			if (a->state == ATT_UP)
				sub_establish(s);
			continue;
		}
		s->conf = &c->subs[k];
		if (!conf_same_sub(old, s->conf)) {
			log_info("attester %s: %s subscription changed",
			    a->name, stream_kind_name(k));
			sub_modify(s);
		}
	}
	return 0;
}

/*
 * Check that every attester of nc can be made: its keys, reference values
 * and policy read.  Return 0 or -1.
 */
static int
attesters_check(const struct conf *nc, struct riv_err *err)
{
	struct tpm_view tpms[RIVD_TPM_MAX];
	struct refvals *rv;
	struct ima_policy *pol;
	size_t i, j;
	int rc;

	for (i = 0; i < nc->nattesters; i++) {
		memset(tpms, 0, sizeof(tpms));
		if (load_keys(&nc->attesters[i], tpms, err) != 0)
			return -1;
		rc = load_checks(&nc->attesters[i], &rv, &pol, err);
		for (j = 0; j < nc->attesters[i].ntpms; j++)
			akey_free(&tpms[j].ak);
		if (rc != 0)
			return -1;
		refvals_free(rv);
		if (pol != NULL)
			ima_policy_unref(pol);
	}
	return 0;
}

/*
 * Apply configuration nc (SIGHUP): every attester is updated, replaced,
 * made or closed to match it, then nc becomes rivd.conf (and is owned by
 * it).  Settings of the store and limits apply at the next start.  If an
 * attester's keys or files cannot be read, nothing changes: return -1
 * (nc is the caller's to free).  Return 0.
 */
int
attesters_reload(struct conf *nc, struct riv_err *err)
{
	struct attester **next, *a, *b;
	const struct conf_attester *c;
	struct riv_err e;
	size_t i, n = 0;

	if (!conf_same_callhome(rivd.conf, nc))
		return err_set(err, -1, "verifier/call-home changed: it "
		    "applies when rivd starts again");
	if (attesters_check(nc, err) != 0)
		return -1;
	session_forget_tls();	/* certificates may have been renewed */
	if ((next = calloc(nc->nattesters + 1, sizeof(*next))) == NULL)
		return err_set(err, -1, "out of memory");
	for (i = 0; i < rivd.nattesters; i++)
		rivd.attesters[i]->kept = 0;
	for (i = 0; i < nc->nattesters; i++) {
		c = &nc->attesters[i];
		if ((a = attester_find(c->name)) != NULL &&
		    conf_same_connection(a->conf, c) &&
		    attester_update(a, c, &e) == 0) {
			a->kept = 1;
			next[n++] = a;
			continue;
		}
		if (a != NULL)
			log_info("attester %s: reconnecting with its new "
			    "configuration", c->name);
		if ((next[n] = attester_new(c, &e)) == NULL) {
			log_warnx("%s", e.msg);
			continue;
		}
		session_start(next[n++]);
	}
	for (i = 0; i < rivd.nattesters; i++) {
		a = rivd.attesters[i];
		if (a->kept)
			continue;
		if ((b = attester_find_in(next, n, a->name)) == NULL)
			log_info("attester %s: removed from the configuration",
			    a->name);
		/* Its subscriptions go first (configured ones stay on
		 * the attester otherwise). */
		if (b == NULL || (a->conf->callhome && !b->conf->callhome))
			sub_delete_all(a);
		attester_free(a);
	}
	free(rivd.attesters);
	rivd.attesters = next;
	rivd.nattesters = n;
	conf_free(rivd.conf);
	rivd.conf = nc;
	log_info("configuration applied: %zu attester(s)", n);
	return 0;
}
