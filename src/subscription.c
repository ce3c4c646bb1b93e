/*
 * subscription.c — rivd's subscriptions to an attester's streams: the
 * establish-subscription and modify-subscription RPCs (a fresh random seed
 * each time) and their replies (the <rpc-reply> tree message.c parsed,
 * its elements found by namespace and local name), the nonce chain of
 * every subscription (replayed, reordered, missing and foreign
 * notifications), heartbeats (stale), re-seeding, and the hand-off of
 * each notification to its stream's appraiser and of the verdict to the
 * store.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <libyang/libyang.h>

#include "rivd.h"
#include "xdoc.h"

#define SN_NS	"urn:ietf:params:xml:ns:yang:ietf-subscribed-notifications"
#define RAS_NS	"urn:rivd:params:xml:ns:yang:riv-attestation-streams"
#define TAA_NS	"urn:ietf:params:xml:ns:yang:ietf-tcg-algs"
#define CONFIGURED_ID	0x52560000u	/* + stream kind + 1: the ids of
					   rivd's configured subscriptions */
#define RETRY_S	30	/* wait before re-subscribing after a refusal */
#define STORE_WAIT_MS	10000	/* most the loop waits for the store */
#define REPLY_S		30	/* time for an attester to answer an RPC (a
				   TPM may quote before it answers) */

static void sub_heartbeat_cb(evutil_socket_t, short, void *);
static void sub_reseed_cb(evutil_socket_t, short, void *);
static void sub_retry_cb(evutil_socket_t, short, void *);
static void sub_reply_due_cb(evutil_socket_t, short, void *);
static void sub_arm_reseed(struct subscription *);
static void sub_renew(struct subscription *, const char *);

/* Add a reason (printf-style) to verdict v. */
void
verdict_reason(struct verdict *v, const char *fmt, ...)
{
	va_list ap;

	if (v->nreasons == STORE_REASONS_MAX)
		return;
	char *r = v->reasons[v->nreasons++], *p;

	va_start(ap, fmt);
	vsnprintf(r, STORE_REASON_LEN, fmt, ap);
	va_end(ap);
	for (p = r; *p != '\0'; p++)	/* attester text: no control bytes */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* Add code to the failure codes of verdict v, once. */
static void
verdict_code(struct verdict *v, const char *code)
{
	size_t n = strlen(v->codes);
	const char *p;

	for (p = v->codes; (p = strstr(p, code)) != NULL; p++)
		if ((p == v->codes || p[-1] == ',') &&
		    (p[strlen(code)] == '\0' || p[strlen(code)] == ','))
			return;
	snprintf(v->codes + n, sizeof(v->codes) - n, "%s%s", n ? "," : "",
	    code);
}

/*
 * Add a failure code to verdict v and make it fail: the evidence shows
 * something wrong (a failure outranks an error).
 */
void
verdict_fail(struct verdict *v, const char *code)
{
	if (v->result == VERDICT_PASS || v->result == VERDICT_ERROR)
		v->result = VERDICT_FAIL;
	verdict_code(v, code);
}

/*
 * Add a code to verdict v and make it an error unless it failed already:
 * the evidence cannot be judged (malformed, incomplete).
 */
void
verdict_error(struct verdict *v, const char *code)
{
	if (v->result == VERDICT_PASS)
		v->result = VERDICT_ERROR;
	verdict_code(v, code);
}

/* Start a verdict on subscription s. */
void
verdict_start(struct verdict *v, const struct subscription *s,
    int64_t received)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->attester, sizeof(v->attester), "%s", s->att->name);
	snprintf(v->stream, sizeof(v->stream), "%s",
	    stream_kind_name(s->stream));
	v->subscription = s->id;
	v->result = VERDICT_PASS;
	v->received_us = received;
}

/*
 * Queue item in the store, never waiting: once the queue reaches its
 * high-water mark the sessions stop reading (session_store_check), and
 * the room above the mark takes what was read already.  Only a store
 * that fails for long fills it: then the verdict is refused.  0 or -1.
 */
static int
store_submit_wait(struct store_item *item)
{
	int rc;

	rc = store_submit(rivd.store, item);
	session_store_check();
	return rc;
}

/* Hand verdict v (and state st, if any) to the store. */
void
sub_record(struct subscription *s, const char *what, struct verdict *v,
    struct store_state *st)
{
	struct store_item item;

	memset(&item, 0, sizeof(item));
	item.verdict = *v;
	if (st != NULL)
		item.state = *st;
	if (s->conf != NULL && (int)v->result != s->last_result) {
		log_info("attester %s %s: %s -> %s", v->attester, v->stream,
		    s->last_result < 0 ? "none" : verdict_result_name(
		    (enum verdict_result)s->last_result),
		    verdict_result_name(v->result));
		s->last_result = (int)v->result;
	}
	if (v->result != VERDICT_PASS)
		log_info("attester %s %s %llu: %s [%s] %s", v->attester,
		    v->stream, (unsigned long long)v->sequence,
		    verdict_result_name(v->result), v->codes,
		    v->nreasons ? v->reasons[0] : "");
	else
		log_debug("attester %s %s %llu: pass (%s)", v->attester,
		    v->stream, (unsigned long long)v->sequence, what);
	if (store_submit_wait(&item) != 0) {
		log_warnx("attester %s: the store does not take verdicts "
		    "(%s): verdict on %s %llu lost", v->attester,
		    errno == EAGAIN ? "its queue is full" : strerror(errno),
		    v->stream, (unsigned long long)v->sequence);
		free(item.state.blob);
	}
}

/* Make a new random seed the current one of s. */
static int
sub_new_seed(struct subscription *s, uint64_t from)
{
	if (s->nseeds > 0)
		s->seeds[1] = s->seeds[0];
	s->nseeds = s->nseeds > 0 ? 2 : 1;
	s->seeds[0].len = 32;
	s->seeds[0].from = from;
	if (RAND_bytes(s->seeds[0].bytes, (int)s->seeds[0].len) != 1 ||
	    nonce_seed_id(s->hash, s->seeds[0].bytes, s->seeds[0].len,
	    s->seeds[0].id) != 0)
		return -1;
	return 0;
}

/* Write the seed, trigger and selection leaves of an RPC for s to f. */
static void
rpc_params(struct subscription *s, FILE *f, int establish)
{
	const struct conf_sub *c = s->conf;
	char seed[4 * NONCE_SEED_MAX / 3 + 8];
	size_t i;
	int p;

	EVP_EncodeBlock((unsigned char *)seed, s->seeds[0].bytes,
	    (int)s->seeds[0].len);
	fprintf(f, "<nonce-seed xmlns=\"%s\">%s</nonce-seed>", RAS_NS, seed);
	fprintf(f, "<trigger xmlns=\"%s\">", RAS_NS);
	if (c->period_cs)
		fprintf(f, "<period>%u</period>", c->period_cs);
	if (c->on_change)
		fprintf(f, "<on-change><dampening-period>%u</dampening-period>"
		    "</on-change>", c->dampening_cs);
	for (i = 0; i < c->nevents; i++)
		fprintf(f, "<device-event xmlns:ras=\"%s\">ras:%s"
		    "</device-event>", RAS_NS, strchr(c->events[i], ':') ?
		    strchr(c->events[i], ':') + 1 : c->events[i]);
	fprintf(f, "</trigger><heartbeat xmlns=\"%s\">%u</heartbeat>", RAS_NS,
	    c->heartbeat);
	fprintf(f, "<tpm20-pcr-selection xmlns=\"%s\"><tpm20-hash-algo "
	    "xmlns:taa=\"%s\">taa:%s</tpm20-hash-algo>", RAS_NS, TAA_NS,
	    tcgalg_name(c->bank));
	for (p = 0; p < PCR_COUNT; p++)
		if (c->pcrs & (1u << p))
			fprintf(f, "<pcr-index>%d</pcr-index>", p);
	fprintf(f, "</tpm20-pcr-selection>");
	if (s->stream != STREAM_PCR && establish) {
		fprintf(f, "<log-entry-encoding xmlns=\"%s\" xmlns:ras=\"%s\">"
		    "ras:raw</log-entry-encoding>", RAS_NS, RAS_NS);
		fprintf(f, "<max-entries xmlns=\"%s\">%u</max-entries>",
		    RAS_NS, rivd.conf->max_entries);
		appraisal_log_start(s->appraisal, f);
	}
}

/*
 * Close the memory stream f holding the RPC *rpc for s, send it and arm
 * the reply's deadline.  0 or -1.
 */
int
sub_send_stream(struct subscription *s, FILE *f, char **rpc)
{
	struct timeval tv = { REPLY_S, 0 };
	int rc;

	if (fclose(f) != 0) {
		free(*rpc);
		return -1;
	}
	rc = session_send_rpc(s->att, *rpc, &s->rpc_id);
	free(*rpc);
	if (rc != 0)
		return -1;
	if (s->reply_ev == NULL)
		s->reply_ev = evtimer_new(rivd.base, sub_reply_due_cb, s);
	if (s->reply_ev != NULL)
		evtimer_add(s->reply_ev, &tv);
	return 0;
}

/*
 * Send establish-subscription (establish set) or modify-subscription for
 * s with its current seed, and arm the reply's deadline.  0 or -1.
 */
static int
sub_send(struct subscription *s, int establish)
{
	const char *op = establish ? "establish-subscription" :
	    "modify-subscription";
	char *rpc = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&rpc, &len)) == NULL)
		return -1;
	fprintf(f, "<%s xmlns=\"%s\">", op, SN_NS);
	if (establish)
		fprintf(f, "<stream>%s</stream>", stream_kind_name(s->stream));
	else
		fprintf(f, "<id>%u</id>", s->id);
	rpc_params(s, f, establish);
	fprintf(f, "</%s>", op);
	return sub_send_stream(s, f, &rpc);
}

/*
 * Send the edit-config that writes s as a configured subscription into
 * the attester (replacing the entry of its id): its parameters with the
 * current seed, delivered by call home to rivd's listener; arm the
 * reply's deadline.  0 or -1.
 */
static int
sub_send_config(struct subscription *s)
{
	char *rpc = NULL;
	size_t len = 0;
	FILE *f;

	if ((f = open_memstream(&rpc, &len)) == NULL)
		return -1;
	fprintf(f, "<edit-config><target><running/></target><config>"
	    "<subscriptions xmlns=\"%s\"><subscription xmlns:nc=\""
	    "urn:ietf:params:xml:ns:netconf:base:1.0\" nc:operation=\""
	    "replace\"><id>%u</id><stream>%s</stream><transport "
	    "xmlns:ras=\"%s\">ras:netconf-call-home</transport>", SN_NS,
	    s->id, stream_kind_name(s->stream), RAS_NS);
	rpc_params(s, f, 1);
	/* An SSH attester calls the SSH listener, over SSH. */
	fprintf(f, "<receivers><receiver><name>rivd</name><call-home "
	    "xmlns=\"%s\"><address>%s</address><port>%u</port>%s"
	    "</call-home></receiver></receivers></subscription>"
	    "</subscriptions></config></edit-config>", RAS_NS,
	    rivd.conf->ch_receiver, s->att->conf->ssh ?
	    rivd.conf->ch_ssh_port : rivd.conf->ch_port,
	    s->att->conf->ssh ? "<ssh/>" : "");
	return sub_send_stream(s, f, &rpc);
}

/*
 * Write s into its attester as a configured subscription with a new
 * seed (delivery call-home); the chain starts at the first number the
 * attester sends with it.
 */
static void
sub_configure(struct subscription *s)
{
	s->state = SUB_IDLE;
	s->nseeds = 0;
	s->stale = 0;
	s->conf_changed = 0;
	s->id = CONFIGURED_ID + (uint32_t)s->stream + 1;
	if (sub_new_seed(s, 0) != 0 || sub_send_config(s) != 0) {
		log_warnx("attester %s %s: cannot send edit-config",
		    s->att->name, stream_kind_name(s->stream));
		sub_plan_retry(s, RETRY_S);
		return;
	}
	s->state = SUB_PENDING;
}

/*
 * Once every configured subscription of a is written (none waits for a
 * reply) on the session rivd opened, wait for the attester's call home.
 */
static void
sub_await_callhome(struct attester *a)
{
	size_t k;

	if (!a->conf->callhome || a->via_callhome || a->state != ATT_UP)
		return;
	for (k = 0; k < STREAM_KINDS; k++)
		if (a->subs[k].conf != NULL && a->subs[k].state != SUB_ACTIVE)
			return;
	session_await_callhome(a);
}

/*
 * The attester took configured subscription s: it is active (its chain
 * opens with the first notification), and once every subscription of
 * the attester is written, rivd waits for the call home.
 */
static void
sub_configured(struct subscription *s)
{
	struct attester *a = s->att;

	s->state = SUB_ACTIVE;
	s->next_seq = 0;
	s->seen_base = 0;
	s->chain_open = 1;
	memset(s->seen, 0, sizeof(s->seen));
	sub_arm_heartbeat(s);
	sub_arm_reseed(s);
	sub_note(s, "active", a->via_callhome ? "configured" :
	    "configured, awaiting call home");
	log_info("attester %s: configured subscription %u to %s", a->name,
	    s->id, stream_kind_name(s->stream));
	if (s->conf_changed)
		sub_modify(s);
	sub_await_callhome(a);
}

/*
 * The attester called home and its session is up: the configured
 * subscriptions deliver on it (ones not written yet are written now).
 */
void
sub_callhome_up(struct attester *a)
{
	struct subscription *s;
	size_t k;

	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		if (s->conf == NULL)
			continue;
		if (s->state == SUB_IDLE)
			sub_configure(s);
		else
			sub_note(s, "active", "call home");
	}
}

/* Send establish-subscription for s with a new seed. */
void
sub_establish(struct subscription *s)
{
	if (s->stream == STREAM_ATTESTATION) {
		ietf_establish(s);	/* the draft's stream: no seed */
		return;
	}
	if (s->att->conf->callhome) {
		sub_configure(s);
		return;
	}
	s->state = SUB_IDLE;
	s->nseeds = 0;
	s->stale = 0;
	s->conf_changed = 0;
	if (sub_new_seed(s, 0) != 0 || sub_send(s, 1) != 0) {
		log_warnx("attester %s %s: cannot send establish-subscription",
		    s->att->name, stream_kind_name(s->stream));
		sub_plan_retry(s, RETRY_S);
		return;
	}
	s->state = SUB_PENDING;
}

/* Subscribe to every configured stream of a (its session just came up). */
void
sub_establish_all(struct attester *a)
{
	size_t k;

	for (k = 0; k < STREAM_KINDS; k++)
		if (a->subs[k].conf != NULL)
			sub_establish(&a->subs[k]);
}

/*
 * Take the id of s from reply, the reply to its establish-subscription;
 * without one, an error verdict and a retry later.  0 or -1.
 */
int
sub_take_id(struct subscription *s, const struct lyd_node *reply)
{
	char buf[64];
	uint32_t id;

	if (message_text(reply, SN_NS, "id", buf, sizeof(buf)) == NULL ||
	    message_uint32(buf, &id) != 0) {
		sub_error_verdict(s, "subscription", buf[0] == '\0' ?
		    "establish-subscription reply without an id" :
		    "establish-subscription reply with an id that is not a "
		    "uint32");
		s->state = SUB_IDLE;
		sub_plan_retry(s, RETRY_S);
		return -1;
	}
	s->id = id;
	return 0;
}

/* Arm (or re-arm) the heartbeat deadline of s. */
void
sub_arm_heartbeat(struct subscription *s)
{
	struct timeval tv;
	uint32_t ms = s->conf->heartbeat * 1250u;	/* + a quarter */

	if (s->heartbeat_ev == NULL &&
	    (s->heartbeat_ev = evtimer_new(rivd.base, sub_heartbeat_cb, s)) ==
	    NULL)
		return;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(s->heartbeat_ev, &tv);
}

/* Arm the re-seed timer of s. */
static void
sub_arm_reseed(struct subscription *s)
{
	struct timeval tv = { (time_t)s->conf->reseed, 0 };

	if (s->conf->reseed == 0)
		return;
	if (s->reseed_ev == NULL &&
	    (s->reseed_ev = evtimer_new(rivd.base, sub_reseed_cb, s)) == NULL)
		return;
	evtimer_add(s->reseed_ev, &tv);
}

/* Record an error verdict for s about the attester's reply or message. */
void
sub_error_verdict(struct subscription *s, const char *code, const char *why)
{
	struct verdict v;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	verdict_start(&v, s, (int64_t)ts.tv_sec * 1000000 +
	    ts.tv_nsec / 1000);
	v.result = VERDICT_ERROR;
	v.no_evidence = 1;
	snprintf(v.codes, sizeof(v.codes), "%s", code);
	verdict_reason(&v, "%s", why);
	v.sequence = s->next_seq;
	sub_record(s, code, &v, NULL);
}

/* Note the state of subscription s in the store (rivctl status). */
void
sub_note(struct subscription *s, const char *state, const char *detail)
{
	store_note_subscription(rivd.store, s->att->name,
	    stream_kind_name(s->stream), s->id, state, detail);
}

/* Try establish-subscription for s again in seconds. */
void
sub_plan_retry(struct subscription *s, int seconds)
{
	struct timeval tv = { seconds, 0 };

	if (s->retry_ev == NULL)
		s->retry_ev = evtimer_new(rivd.base, sub_retry_cb, s);
	if (s->retry_ev != NULL)
		evtimer_add(s->retry_ev, &tv);
}

/* Retry timer: subscribe again if the session is still up. */
static void
sub_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct subscription *s = arg;

	(void)fd; (void)what;
	if (s->att->state == ATT_UP && s->state == SUB_IDLE)
		sub_establish(s);
}

/*
 * Send the edit-config that removes the configured subscriptions ids (n
 * of them) from a, in one RPC the attester applies whole.  0 or -1.
 */
static int
sub_remove_configured(struct attester *a, const uint32_t *ids, size_t n)
{
	char *rpc = NULL;
	size_t i, len = 0;
	uint32_t msgid;
	FILE *f;
	int rc;

	if ((f = open_memstream(&rpc, &len)) == NULL)
		return -1;
	fprintf(f, "<edit-config><target><running/></target><config>"
	    "<subscriptions xmlns=\"%s\" xmlns:nc=\"urn:ietf:params:xml:ns:"
	    "netconf:base:1.0\">", SN_NS);
	for (i = 0; i < n; i++)
		fprintf(f, "<subscription nc:operation=\"remove\"><id>%u</id>"
		    "</subscription>", ids[i]);
	fprintf(f, "</subscriptions></config></edit-config>");
	rc = fclose(f) == 0 ? session_send_rpc(a, rpc, &msgid) : -1;
	free(rpc);
	return rc;
}

/* Delete the attester's subscription id, which rivd will not use. */
void
sub_drop_id(struct attester *a, uint32_t id)
{
	char rpc[256];
	uint32_t msgid;

	if (a->conf->callhome) {
		sub_remove_configured(a, &id, 1);
		return;
	}
	snprintf(rpc, sizeof(rpc), "<delete-subscription xmlns=\"%s\">"
	    "<id>%u</id></delete-subscription>", SN_NS, id);
	session_send_rpc(a, rpc, &msgid);
}

/*
 * The reply to an RPC of a subscription of a arrived: reply, the parsed
 * <rpc-reply> (message_parse).
 */
void
sub_rpc_reply(struct attester *a, uint32_t msgid,
    const struct lyd_node *reply)
{
	struct subscription *s = NULL;
	const struct lyd_node *err;
	char buf[640], tag[256], b64[64];
	uint8_t id[NONCE_SEED_ID + 2];
	size_t i, idlen;

	for (i = 0; i < STREAM_KINDS; i++)
		if (a->subs[i].conf != NULL && a->subs[i].rpc_id == msgid &&
		    msgid != 0)
			s = &a->subs[i];
	if (s == NULL)
		return;
	s->rpc_id = 0;
	if (s->reply_ev != NULL)
		evtimer_del(s->reply_ev);
	if (s->stream == STREAM_ATTESTATION) {
		ietf_rpc_reply(s, reply);	/* get, establish, challenge */
		return;
	}
	if ((err = message_child(reply, NETCONF_NS, "rpc-error")) != NULL) {
		snprintf(buf, sizeof(buf), "%s refused: %s (%s)",
		    a->conf->callhome ? "edit-config of the configured "
		    "subscription" : s->state == SUB_PENDING ?
		    "establish-subscription" : "modify-subscription",
		    message_text(err, NETCONF_NS, "error-message", tag,
		    sizeof(tag)) ? tag : "no message",
		    message_text(err, NETCONF_NS, "error-app-tag", b64,
		    sizeof(b64)) ? b64 : "no app tag");
		log_warnx("attester %s %s: %s", a->name,
		    stream_kind_name(s->stream), buf);
		sub_error_verdict(s, "subscription", buf);
		if (s->state == SUB_MODIFYING) {
			/* No keeping the old seed: a fresh subscription. */
			sub_renew(s, "modify-subscription refused");
			return;
		}
		s->state = SUB_IDLE;
		if (message_tag_is(b64, "log-position-unavailable") &&
		    appraisal_position(s->appraisal)) {
			/* The log restarted while rivd was away. */
			log_info("attester %s %s: the saved log position is "
			    "gone; appraising the log from its start",
			    a->name, stream_kind_name(s->stream));
			appraisal_reset(s->appraisal);
			sub_establish(s);
			return;
		}
		sub_note(s, "refused", buf);
		sub_plan_retry(s, RETRY_S);
		return;
	}
	if (s->state == SUB_PENDING && a->conf->callhome) {
		sub_configured(s);
		return;
	}
	if (s->state == SUB_MODIFYING) {
		/* From now on the attester uses the new seed only. */
		s->state = SUB_ACTIVE;
		s->nseeds = 1;
		memset(&s->seeds[1], 0, sizeof(s->seeds[1]));
		sub_note(s, "active", "modified");
		sub_arm_reseed(s);
		if (s->conf_changed)
			sub_modify(s);
		sub_await_callhome(a);
		return;
	}
	if (sub_take_id(s, reply) != 0)
		return;
	/* Exactly 8 bytes, in canonical base64: anything else is wrong. */
	if (message_text(reply, RAS_NS, "seed-id", b64, sizeof(b64)) ==
	    NULL || b64_decode(b64, strlen(b64), id, sizeof(id), &idlen,
	    B64_CANONICAL) != 0 || idlen != NONCE_SEED_ID ||
	    memcmp(id, s->seeds[0].id, NONCE_SEED_ID) != 0) {
		sub_error_verdict(s, "seed", "the attester's seed-id is not "
		    "the first 8 bytes of the hash of our seed");
		sub_drop_id(a, s->id);
		s->state = SUB_IDLE;
		sub_plan_retry(s, RETRY_S);
		return;
	}
	s->state = SUB_ACTIVE;
	s->next_seq = 0;
	s->seen_base = 0;
	memset(s->seen, 0, sizeof(s->seen));
	sub_arm_heartbeat(s);
	sub_arm_reseed(s);
	sub_note(s, "active", "");
	log_info("attester %s: subscribed to %s (id %u)", a->name,
	    stream_kind_name(s->stream), s->id);
	if (s->conf_changed)
		sub_modify(s);
}

/*
 * Replace subscription s by a fresh one (a new seed the attester must
 * take or refuse): delete the attester's, establish again.
 */
static void
sub_renew(struct subscription *s, const char *why)
{
	log_info("attester %s %s: %s: subscribing again", s->att->name,
	    stream_kind_name(s->stream), why);
	if (s->state == SUB_ACTIVE || s->state == SUB_MODIFYING)
		sub_drop_id(s->att, s->id);
	sub_stop(s);
	sub_establish(s);
}

/*
 * Restart the appraisal of s from the attester's full logs: forget its
 * state and, if the session is up, subscribe again (the logs start at
 * their first entry, the chain at a new seed).
 */
void
sub_resync(struct subscription *s)
{
	if (s->appraisal != NULL)
		appraisal_reset(s->appraisal);
	if (s->att->state == ATT_UP)
		sub_renew(s, "resync requested");
}

/* The reply to a subscription's RPC did not come in time. */
static void
sub_reply_due_cb(evutil_socket_t fd, short what, void *arg)
{
	struct subscription *s = arg;
	char why[128];

	(void)fd; (void)what;
	snprintf(why, sizeof(why), "no reply to %s within %d s",
	    s->att->conf->callhome ? "edit-config" : s->state ==
	    SUB_MODIFYING ? "modify-subscription" : "establish-subscription",
	    REPLY_S);
	sub_error_verdict(s, "subscription", why);
	s->rpc_id = 0;
	if (s->state == SUB_MODIFYING) {
		sub_renew(s, why);
		return;
	}
	s->state = SUB_IDLE;
	sub_note(s, "refused", why);
	sub_plan_retry(s, RETRY_S);
}

/* Re-seed timer: modify-subscription with a new seed. */
static void
sub_reseed_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd; (void)what;
	sub_modify(arg);
}

/*
 * Send modify-subscription for s with a new seed and its configured
 * trigger, heartbeat and PCR selection (an active subscription; one
 * still being set up takes its configuration when it is).
 */
void
sub_modify(struct subscription *s)
{
	if (s->stream == STREAM_ATTESTATION) {
		ietf_modify(s);	/* no modify in the draft */
		return;
	}
	if (s->state == SUB_PENDING || s->state == SUB_MODIFYING) {
		s->conf_changed = 1;	/* sent when the reply comes */
		return;
	}
	if (s->state != SUB_ACTIVE)
		return;
	s->conf_changed = 0;
	if (sub_new_seed(s, s->next_seq) != 0 || (s->att->conf->callhome ?
	    sub_send_config(s) : sub_send(s, 0)) != 0) {
		log_warnx("attester %s %s: cannot send modify-subscription",
		    s->att->name, stream_kind_name(s->stream));
		sub_renew(s, "modify-subscription could not be sent");
		return;
	}
	s->state = SUB_MODIFYING;
}

/* No evidence within the heartbeat: stale, and a dead session closes. */
static void
sub_heartbeat_cb(evutil_socket_t fd, short what, void *arg)
{
	struct subscription *s = arg;
	struct verdict v;
	struct timespec ts;

	(void)fd; (void)what;
	clock_gettime(CLOCK_REALTIME, &ts);
	verdict_start(&v, s, (int64_t)ts.tv_sec * 1000000 +
	    ts.tv_nsec / 1000);
	v.result = VERDICT_STALE;
	v.no_evidence = 1;
	v.sequence = s->next_seq;
	snprintf(v.codes, sizeof(v.codes), "stale");
	verdict_reason(&v, "no %s notification for %.2f seconds (heartbeat "
	    "%u s and a quarter)", stream_kind_name(s->stream),
	    s->conf->heartbeat * 1.25, s->conf->heartbeat);
	sub_record(s, "stale", &v, NULL);
	s->stale++;
	sub_arm_heartbeat(s);
	session_probe(s->att);
}

/*
 * The attester answered the probe after a missed heartbeat: it lives, but
 * its stale subscriptions are silent, so rivd subscribes to them again.
 */
void
sub_probe_answered(struct attester *a)
{
	struct subscription *s;
	size_t k;

	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		if (s->conf == NULL || !s->stale || s->state != SUB_ACTIVE)
			continue;
		log_info("attester %s: answers but its %s subscription %u is "
		    "silent: subscribing again", a->name,
		    stream_kind_name(s->stream), s->id);
		sub_renew(s, "silent after a missed heartbeat");
	}
}

/* Send delete-subscription for s if it is established. */
void
sub_delete(struct subscription *s)
{
	if (s->conf == NULL || (s->state != SUB_ACTIVE &&
	    s->state != SUB_MODIFYING))
		return;
	sub_drop_id(s->att, s->id);
	sub_note(s, "deleted", "");
}

/*
 * Delete every established subscription of a: the configured ones
 * (delivery call-home) in one edit-config, which the attester applies
 * whole even if the session closes right after it.
 */
void
sub_delete_all(struct attester *a)
{
	struct subscription *s;
	uint32_t ids[STREAM_KINDS];
	size_t k, n = 0;

	if (!a->conf->callhome) {
		for (k = 0; k < STREAM_KINDS; k++)
			sub_delete(&a->subs[k]);
		return;
	}
	for (k = 0; k < STREAM_KINDS; k++) {
		s = &a->subs[k];
		if (s->conf == NULL || (s->state != SUB_ACTIVE &&
		    s->state != SUB_MODIFYING))
			continue;
		ids[n++] = s->id;
		sub_note(s, "deleted", "");
	}
	if (n == 0)
		return;
	if (sub_remove_configured(a, ids, n) == 0) {
		log_info("attester %s: removing its %zu configured "
		    "subscription(s)", a->name, n);
		a->removing = 1;
	} else
		log_warnx("attester %s: its configured subscriptions "
		    "cannot be removed: no session", a->name);
}

/* Subscription s ends (its session went down, or it is removed). */
void
sub_stop(struct subscription *s)
{
	s->state = SUB_IDLE;
	s->rpc_id = 0;
	s->nseeds = 0;
	nonce_key_free(s->nkey);
	s->nkey = NULL;
	if (s->retry_ev != NULL)
		evtimer_del(s->retry_ev);
	if (s->reply_ev != NULL)
		evtimer_del(s->reply_ev);
	if (s->heartbeat_ev != NULL)
		evtimer_del(s->heartbeat_ev);
	if (s->reseed_ev != NULL)
		evtimer_del(s->reseed_ev);
}

/* The session of a went down: every subscription ends with it. */
void
sub_session_down(struct attester *a)
{
	size_t k;

	for (k = 0; k < STREAM_KINDS; k++) {
		if (a->subs[k].conf == NULL)
			continue;
		if (a->subs[k].state != SUB_IDLE)
			sub_note(&a->subs[k], "ended", "session closed");
		sub_stop(&a->subs[k]);
	}
}

/* Whether sequence number n of s was received already (window). */
static int
seq_seen(const struct subscription *s, uint64_t n)
{
	uint64_t i;

	if (n < s->seen_base)
		return 1;	/* too old to tell: treat as replayed */
	i = n - s->seen_base;
	if (i >= RIVD_SEEN_WINDOW)
		return 0;
	return (s->seen[i / 8] >> (i % 8)) & 1;
}

/* Remember that n was received, sliding the window forward. */
static void
seq_mark(struct subscription *s, uint64_t n)
{
	uint64_t i, shift;
	uint8_t copy[sizeof(s->seen)];

	if (n < s->seen_base)
		return;
	if (n - s->seen_base >= RIVD_SEEN_WINDOW) {
		shift = n - s->seen_base - RIVD_SEEN_WINDOW / 2;
		memset(copy, 0, sizeof(copy));
		for (i = shift; i < RIVD_SEEN_WINDOW; i++)
			if ((s->seen[i / 8] >> (i % 8)) & 1)
				copy[(i - shift) / 8] |= 1u << ((i - shift) % 8);
		memcpy(s->seen, copy, sizeof(copy));
		s->seen_base += shift;
	}
	i = n - s->seen_base;
	s->seen[i / 8] |= 1u << (i % 8);
}

/*
 * Check a notification's place in the nonce chain of s: sequence number n
 * and seed-id.  Fills the expected nonce; adds codes and reasons to v;
 * changes nothing (chain_commit does, once a quote verified).  Return 0 to
 * appraise the evidence, -1 if it must not be (replayed, unknown seed).
 */
int
chain_check(struct subscription *s, uint64_t n, const uint8_t *seed_id,
    size_t seed_id_len, uint8_t *nonce, size_t *nonce_len, struct verdict *v)
{
	const struct seed *seed = NULL;
	int i;

	for (i = 0; i < s->nseeds; i++)
		if (seed_id_len == NONCE_SEED_ID &&
		    memcmp(s->seeds[i].id, seed_id, NONCE_SEED_ID) == 0)
			seed = &s->seeds[i];
	if (seed == NULL) {
		verdict_fail(v, "seed");
		v->no_evidence = 1;	/* not this subscription's evidence */
		verdict_reason(v, "notification %llu names a seed this "
		    "subscription does not hold", (unsigned long long)n);
		return -1;
	}
	if (seq_seen(s, n)) {
		verdict_fail(v, "replayed");
		v->no_evidence = 1;	/* the original keeps its verdict */
		verdict_reason(v, "sequence number %llu was received before: "
		    "a replayed notification", (unsigned long long)n);
		return -1;
	}
	if (s->chain_open) {
		/* A configured subscription written anew: its first
		 * number starts the chain. */
	} else if (n < s->next_seq) {
		verdict_fail(v, "reordered");
		verdict_reason(v, "sequence number %llu arrived after %llu",
		    (unsigned long long)n,
		    (unsigned long long)(s->next_seq - 1));
	} else if (n > s->next_seq) {
		verdict_fail(v, "gap");
		verdict_reason(v, "sequence numbers %llu to %llu are missing",
		    (unsigned long long)s->next_seq,
		    (unsigned long long)(n - 1));
	}
	if (!nonce_key_is(s->nkey, s->hash, seed->bytes, seed->len)) {
		nonce_key_free(s->nkey);
		s->nkey = nonce_key_new(s->hash, seed->bytes, seed->len);
	}
	if (s->nkey == NULL || nonce_key_derive(s->nkey, n, nonce,
	    nonce_len) != 0) {
		verdict_error(v, "internal");
		verdict_reason(v, "cannot derive the nonce of notification "
		    "%llu", (unsigned long long)n);
		return -1;
	}
	return 0;
}

/*
 * Notification n, which chain_check let through, was appraised (seed
 * seed_id): it moves the chain (the numbers seen, the next one expected,
 * the gaps, the seed in use).  appraise.c commits a number ahead of the
 * chain only when a quote over its nonce verified.
 */
void
chain_commit(struct subscription *s, uint64_t n, const uint8_t *seed_id)
{
	if (s->chain_open) {
		s->chain_open = 0;
		s->next_seq = s->seen_base = n;
	}
	if (n < s->next_seq && s->gaps > 0)
		s->gaps--;
	else if (n > s->next_seq)
		s->gaps += n - s->next_seq;
	if (s->nseeds == 2 && n >= s->seeds[0].from &&
	    memcmp(s->seeds[0].id, seed_id, NONCE_SEED_ID) == 0)
		s->nseeds = 1;	/* the attester switched: old seed done */
	seq_mark(s, n);
	if (n >= s->next_seq)
		s->next_seq = n + 1;
}

/* The subscription of a with attester id, or NULL. */
static struct subscription *
sub_by_id(struct attester *a, uint32_t id)
{
	size_t i;

	for (i = 0; i < STREAM_KINDS; i++)
		if (a->subs[i].conf != NULL && (a->subs[i].state == SUB_ACTIVE ||
		    a->subs[i].state == SUB_MODIFYING) && a->subs[i].id == id)
			return &a->subs[i];
	return NULL;
}

/* An RFC 8639 state-change notification for a subscription of a. */
static void
sub_state_change(struct attester *a, struct lyd_node *op)
{
	struct subscription *s;
	struct lyd_node *n;
	const char *name = op->schema->name;

	if (lyd_find_path(op, "id", 0, &n) != LY_SUCCESS ||
	    (s = sub_by_id(a, (uint32_t)strtoul(lyd_get_value(n), NULL,
	    10))) == NULL)
		return;
	if (strcmp(name, "subscription-terminated") == 0) {
		log_warnx("attester %s: subscription %u to %s terminated",
		    a->name, s->id, stream_kind_name(s->stream));
		sub_error_verdict(s, "terminated", "the attester terminated "
		    "the subscription; re-subscribing");
		sub_note(s, "terminated", "");
		sub_establish(s);
	} else if (s->stream == STREAM_ATTESTATION &&
	    strcmp(name, "replay-completed") == 0)
		ietf_replay_completed(s);
	else
		log_debug("attester %s: %s for subscription %u", a->name,
		    name, s->id);
}

/*
 * A notification other than evidence arrived from a (libyang's tree):
 * a subscription's state change (message.c hands evidence, the IETF
 * stream's too, to sub_evidence and ietf_evidence as xdoc.c reads it).
 */
void
sub_notification(struct attester *a, struct lyd_node *op, int64_t received)
{
	if (strcmp(op->schema->module->name,
	    "ietf-subscribed-notifications") == 0)
		sub_state_change(a, op);
	else
		sub_malformed(a, "an unexpected notification", 0, received);
}

/*
 * Evidence of subscription id on stream k that rivd does not hold: a
 * foreign verdict, and the subscription is stopped if nobody holds it.
 */
static void
sub_foreign(struct attester *a, int k, const char *id, const char *seq,
    int64_t received)
{
	struct subscription fake;
	struct verdict v;

	memset(&fake, 0, sizeof(fake));
	fake.att = a;
	fake.stream = (enum stream_kind)k;
	fake.id = (uint32_t)strtoul(id, NULL, 10);
	verdict_start(&v, &fake, received);
	if (seq != NULL)
		v.sequence = strtoull(seq, NULL, 10);
	verdict_fail(&v, "foreign");
	v.no_evidence = 1;
	/* Nobody else subscribes on rivd's session: stop it. */
	if (sub_by_id(a, fake.id) == NULL)
		sub_drop_id(a, fake.id);
	verdict_reason(&v, "%s notification for subscription %s, which rivd "
	    "does not hold", stream_kind_name((enum stream_kind)k), id);
	sub_record(&fake, "foreign", &v, NULL);
}

/*
 * Evidence arrived from a (op, read by xdoc.c): check it against its
 * subscription's nonce chain, appraise it and record the verdict.
 */
void
sub_evidence(struct attester *a, const struct xnode *op, int64_t received)
{
	struct subscription *s = NULL;
	struct store_state st;
	struct verdict v;
	const char *id;
	size_t i;
	int k = -1;

	for (i = 0; i < STREAM_KINDS; i++)
		if (strcmp(op->name, stream_kind_name(i)) == 0)
			k = (int)i;
	if (k < 0 || (id = xnode_text(op, "subscription-id")) == NULL) {
		sub_malformed(a, k < 0 ? "an unexpected notification" :
		    "a notification without subscription-id", 0, received);
		return;
	}
	s = sub_by_id(a, (uint32_t)strtoul(id, NULL, 10));
	if (s == NULL || (int)s->stream != k) {
		sub_foreign(a, k, id, xnode_text(op, "sequence-number"),
		    received);
		return;
	}
	verdict_start(&v, s, received);
	memset(&st, 0, sizeof(st));
	s->notifications++;
	/* Only a quote that verifies is a sign of fresh evidence. */
	if (appraise_notification(s, op, &v, &st) > 0) {
		s->stale = 0;
		sub_arm_heartbeat(s);
	}
	sub_record(s, "appraised", &v, st.attester[0] ? &st : NULL);
	if (s->appraisal != NULL && appraisal_wants_resync(s->appraisal))
		sub_resync(s);
}

/* A message from a could not be parsed: an error verdict. */
void
sub_malformed(struct attester *a, const char *why, size_t len,
    int64_t received)
{
	struct subscription fake;
	struct verdict v;

	memset(&fake, 0, sizeof(fake));
	fake.att = a;
	fake.stream = STREAM_PCR;
	verdict_start(&v, &fake, received);
	snprintf(v.stream, sizeof(v.stream), "session");
	v.result = VERDICT_ERROR;
	v.no_evidence = 1;
	snprintf(v.codes, sizeof(v.codes), "malformed");
	verdict_reason(&v, "malformed message (%zu bytes): %s", len,
	    why ? why : "?");
	sub_record(&fake, "malformed", &v, NULL);
}
