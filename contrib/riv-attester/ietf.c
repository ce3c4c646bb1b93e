/*
 * ietf.c — the stream `attestation` of draft-ietf-rats-network-device-
 * subscription-13 (module ietf-tpm-remote-attestation-stream, loaded from
 * the minimally patched copy in yang/): establish-subscription with
 * tras:nonce-value and tras:pcr-index, the first tpm20-attestation, the
 * pcr-extend notifications batched within marshalling-period and always
 * sent before the quote that includes them, the heartbeat quotes, the
 * replay of every extend since boot, and the end of a subscription when a
 * TPM resets or restarts.  Also RFC 9684's tpm20-challenge-response-
 * attestation and log-retrieval RPCs and the draft's augments of
 * /tpm:rats-support-structures in the operational data.
 *
 * These subscriptions are kept apart from subs.c's (no nonce chain, no
 * sequence numbers); they share the id counter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>
#include <libyang/libyang.h>
#include <nc_server.h>

#include "attester.h"
#include "ima.h"
#include "nonce.h"

#define TRAS		"ietf-tpm-remote-attestation-stream"
#define TPMM		"ietf-tpm-remote-attestation"
#define SN		"ietf-subscribed-notifications"
#define ES_INFO		"establish-subscription-stream-error-info"
#define DS_INFO		"delete-subscription-error-info"
#define IETF_STREAM	"attestation"
#define IETF_BATCH	64	/* attested events per pcr-extend */
#define IETF_LATE_MS	12000	/* hostile late quote: after 12 s */
#define IETF_QUOTE_BANK	BANK_SHA256	/* tras:tpm20-hash-algo */

/* One subscription to the stream attestation. */
struct ietf_sub {
	uint32_t	 id;
	struct nc_session *session;
	int		 dead;
	uint8_t		 nonce[64];	/* nonce-value, the qualifying data */
	size_t		 nonce_len;
	uint32_t	 pcrs;		/* pcr-index */
	int		 replay;	/* replay-start-time given */
	int		 started;	/* first quote sent */
	time_t		 stop_time;
	uint32_t	 boot_seen[ATT_TPM_MAX];
	int		 clock_seen[ATT_TPM_MAX];
	uint32_t	 reset[ATT_TPM_MAX], restart[ATT_TPM_MAX];
	uint64_t	 bios_next[ATT_TPM_MAX];	/* first unreported */
	uint64_t	 ima_next[ATT_TPM_MAX];
	uint32_t	 changes[ATT_TPM_MAX][PCR_COUNT];	/* flushed */
	int		 window;	/* extends wait in the window */
	struct timespec	 window_start;
	int		 quote_late;	/* hostile: a quote is held back */
	struct timespec	 quote_due;
	struct timespec	 last_quote;
	uint64_t	 sent;
};

static struct ietf_sub *ietf_subs[ATT_SUB_MAX];
static size_t ietf_nsubs;

static const char *const hostile_names[] = {
	"late-quote", "no-heartbeat", "extend-after-quote", "wrong-extend",
	"wrong-nonce"
};

/* Tell whether an establish-subscription asks for stream attestation. */
int
ietf_is_stream(const struct lyd_node *rpc)
{
	const char *v = yang_leaf(rpc, "stream");

	return v != NULL && strcmp(v, IETF_STREAM) == 0;
}

/* Find the live subscription with this id, or NULL. */
static struct ietf_sub *
ietf_find(uint32_t id)
{
	size_t i;

	for (i = 0; i < ietf_nsubs; i++)
		if (ietf_subs[i]->id == id && !ietf_subs[i]->dead)
			return ietf_subs[i];
	return NULL;
}

/* The wall-clock boot time of the device: its active TPMs' first boot. */
static struct timespec
ietf_boot_time(void)
{
	struct timespec ts = att.start_time;
	uint32_t set = device_active_set();
	size_t i;
	int any = 0;

	for (i = 0; i < att.ntpms; i++) {
		if (!(set & (1u << i)))
			continue;
		if (!any || att.tpms[i].boot_time.tv_sec < ts.tv_sec)
			ts = att.tpms[i].boot_time;
		any = 1;
	}
	return ts;
}

/* An establish-subscription error with an RFC 8639 reason. */
static struct nc_server_reply *
ietf_error(NC_ERR tag, const char *reason, const char *msg)
{
	return ncs_sn_error(tag, ES_INFO, reason, NULL, msg);
}

/* Answer establish-subscription for stream attestation. */
struct nc_server_reply *
ietf_establish(struct lyd_node *rpc, struct nc_session *session)
{
	const struct lyd_value_binary *bin;
	struct nc_server_reply *r;
	struct lyd_node *n, *out = NULL;
	struct ly_set *set = NULL;
	struct ietf_sub *s;
	struct timespec boot;
	char msg[160], id[16], *when = NULL;
	const char *v;
	unsigned long p;
	uint32_t i, allowed;

	if ((r = ncs_validate(rpc, att.oper)) != NULL)
		return r;
	if ((v = yang_leaf(rpc, "encoding")) != NULL &&
	    strstr(v, "encode-xml") == NULL)
		return ietf_error(NC_ERR_INVALID_VALUE,
		    SN ":encoding-unsupported", "only XML encoding");
	if (lyd_find_path(rpc, "stream-filter-name", 0, NULL) == LY_SUCCESS ||
	    lyd_find_path(rpc, "stream-subtree-filter", 0, NULL) ==
	    LY_SUCCESS ||
	    lyd_find_path(rpc, "stream-xpath-filter", 0, NULL) == LY_SUCCESS)
		return ietf_error(NC_ERR_INVALID_VALUE, SN ":filter-unsupported",
		    "filters are not supported on stream attestation");
	if (ietf_nsubs == ATT_SUB_MAX)
		return ietf_error(NC_ERR_RES_DENIED,
		    SN ":insufficient-resources", "too many subscriptions");
	if (lyd_find_path(rpc, TRAS ":nonce-value", 0, &n) != LY_SUCCESS)
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, "nonce-value",
		    "nonce-value is missing");
	bin = yang_bin(n);
	if (bin->size == 0 || bin->size > 64)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL,
		    "/" SN ":establish-subscription/" TRAS ":nonce-value",
		    "nonce-value has %zu bytes; 1 to 64 are accepted",
		    bin->size);
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	memcpy(s->nonce, bin->data, bin->size);
	s->nonce_len = bin->size;
	allowed = att.ietf.pcrs_set ? att.ietf.pcrs : (1u << PCR_COUNT) - 1;
	if (lyd_find_xpath(rpc, TRAS ":pcr-index", &set) != LY_SUCCESS ||
	    set->count == 0) {
		ly_set_free(set, NULL);
		free(s);
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, "pcr-index",
		    "pcr-index is missing");
	}
	for (i = 0; i < set->count; i++) {
		p = strtoul(lyd_get_value(set->dnodes[i]), NULL, 10);
		if (p >= PCR_COUNT || !(allowed & (1u << p))) {
			snprintf(msg, sizeof(msg), "PCR %lu cannot be "
			    "subscribed (%s)", p, p >= PCR_COUNT ? "the TPMs "
			    "have PCRs 0 to 23" : "not in /tpm:rats-support-"
			    "structures/tpm:tpms/tras:tpm20-pcr-index");
			ly_set_free(set, NULL);
			free(s);
			return ietf_error(NC_ERR_INVALID_VALUE,
			    TRAS ":pcr-unsubscribable", msg);
		}
		s->pcrs |= 1u << p;
	}
	ly_set_free(set, NULL);
	if ((v = yang_leaf(rpc, "stop-time")) != NULL &&
	    ly_time_str2time(v, &s->stop_time, NULL) != LY_SUCCESS) {
		free(s);
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "bad stop-time");
	}
	s->replay = lyd_find_path(rpc, "replay-start-time", 0, NULL) ==
	    LY_SUCCESS;
	for (i = 0; i < att.ntpms; i++)
		s->boot_seen[i] = att.tpms[i].boot;
	s->id = att.next_id++;
	if (att.next_id == 0)
		att.next_id = SUB_DYNAMIC_ID_MIN;
	s->session = session;
	snprintf(id, sizeof(id), "%u", s->id);
	boot = ietf_boot_time();
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_path(out, NULL, "id", id, LYD_NEW_PATH_OUTPUT, NULL) !=
	    LY_SUCCESS || (s->replay && (ly_time_ts2str(&boot, &when) !=
	    LY_SUCCESS || lyd_new_path(out, NULL, "replay-start-time-revision",
	    when, LYD_NEW_PATH_OUTPUT, NULL) != LY_SUCCESS))) {
		log_warnx("establish reply: %s", ly_errmsg(att.ctx));
		free(when);
		lyd_free_all(out);
		free(s);
		return NULL;
	}
	free(when);
	nc_session_inc_notif_status(session);
	ietf_subs[ietf_nsubs++] = s;
	log_info("subscription %u: attestation for session %u (PCRs 0x%x%s)",
	    s->id, nc_session_get_id(session), s->pcrs, s->replay ?
	    ", replay" : "");
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/*
 * Answer delete-subscription (kill 0) or kill-subscription (kill 1) if the
 * id is one of this stream's; NULL if it is not (subs.c answers).
 */
struct nc_server_reply *
ietf_delete(struct lyd_node *rpc, struct nc_session *session, int kill)
{
	struct ietf_sub *s;
	const char *v;

	v = yang_leaf(rpc, "id");
	if (v == NULL || (s = ietf_find((uint32_t)strtoul(v, NULL, 10))) ==
	    NULL)
		return NULL;
	if (!kill && s->session != session)
		return ncs_sn_error(NC_ERR_INVALID_VALUE, DS_INFO,
		    SN ":no-such-subscription", NULL, "no such subscription "
		    "on this session");
	s->dead = 1;
	log_info("subscription %u %s", s->id, kill ? "killed" : "deleted");
	return nc_server_reply_ok();
}

/* Forget the subscriptions of a session that ended. */
void
ietf_session_gone(struct nc_session *session)
{
	size_t i;

	for (i = 0; i < ietf_nsubs; i++)
		if (ietf_subs[i]->session == session) {
			ietf_subs[i]->session = NULL;
			ietf_subs[i]->dead = 1;
		}
}

/* Send an RFC 8639 state notification (replay-completed, terminated). */
static int
ietf_state(struct ietf_sub *s, const char *name, const char *reason)
{
	const struct lys_module *mod;
	struct lyd_node *n = NULL;

	mod = ly_ctx_get_module_implemented(att.ctx, SN);
	if (lyd_new_inner(NULL, mod, name, 0, &n) != LY_SUCCESS ||
	    notify_uint(n, "id", s->id) != 0 || (reason != NULL &&
	    lyd_new_term(n, NULL, "reason", reason, 0, NULL) != LY_SUCCESS)) {
		lyd_free_all(n);
		return -1;
	}
	return notify_send(s->session, n);
}

/* End s with subscription-terminated (reason an identity). */
static void
ietf_terminate(struct ietf_sub *s, const char *reason, const char *why)
{
	log_info("subscription %u terminated: %s", s->id, why);
	if (s->session != NULL)
		ietf_state(s, "subscription-terminated", reason);
	s->dead = 1;
}

/*
 * The digest that IMA entry e (of a list in list_bank) extended into bank
 * of its PCR, into d.  Return 0 or -1.
 */
static int
ietf_ima_digest(const struct ima_entry *e, int list_bank, int bank,
    uint8_t *d)
{
	if (e->violation) {
		memset(d, 0xff, bank_get(bank)->size);
		return 0;
	}
	if (bank == list_bank) {
		memcpy(d, e->template_digest, bank_get(bank)->size);
		return 0;
	}
	return ima_template_hash(NULL, bank, e, d);
}

/*
 * Add one attested-event with extended-with d (size len) under the
 * pcr-extend n; *c is its inner container.
 */
static int
ietf_event(struct lyd_node *n, const uint8_t *d, size_t len,
    struct lyd_node **c)
{
	uint8_t alt[DIGEST_MAX];
	struct lyd_node *ae;

	memcpy(alt, d, len);
	if (att.ietf.hostile & IETF_WRONG_EXTEND)
		alt[0] ^= 0x5a;
	if (lyd_new_list(n, NULL, "attested-event", 0, &ae) != LY_SUCCESS ||
	    lyd_new_inner(ae, NULL, "attested-event", 0, c) != LY_SUCCESS ||
	    notify_bin(*c, "extended-with", alt, len) != 0)
		return -1;
	return 0;
}

/* Add IMA entry index of TPM t to pcr-extend n if its PCR is in pcrs. */
static int
ietf_add_ima(struct lyd_node *n, const struct att_tpm *t, uint64_t index,
    uint32_t pcrs, uint32_t *changed)
{
	const struct att_log *log = &t->ima;
	const uint8_t *rec = log->buf + log->off[index];
	size_t len = log->off[index + 1] - log->off[index];
	uint8_t d[DIGEST_MAX];
	struct ima_reader r;
	struct ima_entry e;
	struct riv_err err;
	struct lyd_node *c;
	int rc = -1;

	if (ima_reader_open(&r, rec, len, IMA_FORMAT_BINARY, -1, index,
	    &err) != RIV_OK)
		return -1;
	if (ima_reader_next(&r, &e, &err) != 1)
		goto done;
	if (e.pcr >= PCR_COUNT || !(pcrs & (1u << e.pcr))) {
		rc = 0;
		goto done;
	}
	if (ietf_ima_digest(&e, r.list_bank, IETF_QUOTE_BANK, d) != 0 ||
	    ietf_event(n, d, bank_get(IETF_QUOTE_BANK)->size, &c) != 0)
		goto done;
	/* An entry without a structured form goes without details. */
	if (notify_ima_entry(c, rec, len, index) != 0)
		log_debug("IMA entry %llu sent without details",
		    (unsigned long long)index);
	*changed |= 1u << e.pcr;
	rc = 1;
done:
	ima_reader_close(&r);
	return rc;
}

/*
 * Send the pcr-extend notifications of TPM index i for s: every extend
 * of the subscribed PCRs not reported yet, in the order of the boot log
 * then the IMA list, at most IETF_BATCH per notification.  Return 0 or
 * -1 (the session failed).
 */
static int
ietf_send_extends(struct ietf_sub *s, size_t i)
{
	const struct lys_module *mod;
	struct att_tpm *t = &att.tpms[i];
	const struct bootlog_event *ev;
	struct lyd_node *n, *c;
	uint32_t changed;
	int count, p, rc;

	mod = ly_ctx_get_module_implemented(att.ctx, TRAS);
	while (s->bios_next[i] < t->bios.n || s->ima_next[i] < t->ima.n) {
		n = NULL;
		if (lyd_new_inner(NULL, mod, "pcr-extend", 0, &n) !=
		    LY_SUCCESS || lyd_new_term(n, NULL, "certificate-name",
		    t->cert, 0, NULL) != LY_SUCCESS)
			goto fail;
		changed = 0;
		count = 0;
		while (count < IETF_BATCH && s->bios_next[i] < t->bios.n) {
			ev = &t->bios.ev[s->bios_next[i]++];
			if (!ev->extended || ev->pcr >= PCR_COUNT ||
			    !(s->pcrs & (1u << ev->pcr)) ||
			    !(ev->bank_mask & (1u << IETF_QUOTE_BANK)))
				continue;
			if (ietf_event(n, ev->digests[IETF_QUOTE_BANK],
			    bank_get(IETF_QUOTE_BANK)->size, &c) != 0 ||
			    notify_bios_entry(c, ev) != 0)
				goto fail;
			changed |= 1u << ev->pcr;
			count++;
		}
		while (count < IETF_BATCH && s->ima_next[i] < t->ima.n) {
			if ((rc = ietf_add_ima(n, t, s->ima_next[i]++, s->pcrs,
			    &changed)) < 0)
				goto fail;
			count += rc;
		}
		if (count == 0) {
			lyd_free_all(n);
			break;
		}
		for (p = 0; p < PCR_COUNT; p++)
			if ((changed & (1u << p)) &&
			    notify_uint(n, "pcr-index-changed", (unsigned)p) !=
			    0)
				goto fail;
		if (notify_send(s->session, n) != 0)
			return -1;
		s->sent++;
		log_debug("subscription %u: pcr-extend of %s, %d events",
		    s->id, t->name, count);
	}
	return 0;
fail:
	log_warnx("subscription %u: pcr-extend: %s", s->id,
	    ly_errmsg(att.ctx));
	lyd_free_all(n);
	return -1;
}

/*
 * Add the quote of TPM index i (nonce, PCRs sel) under parent: the
 * tpm20-attestation grouping's leaves and certificate-name.  The quote's
 * clock info goes to q.
 */
static int
ietf_add_quote(struct lyd_node *parent, size_t i, const uint8_t *nonce,
    size_t nlen, const uint32_t sel[BANK_COUNT], struct tpm_quote *q,
    struct riv_err *err)
{
	struct att_tpm *t = &att.tpms[i];
	struct timespec now;

	if (tpm_quote(t->tpm, nonce, nlen, sel, q, err) != 0)
		return -1;
	clock_gettime(CLOCK_REALTIME, &now);
	if (lyd_new_term(parent, NULL, "certificate-name", t->cert, 0, NULL) !=
	    LY_SUCCESS || notify_bin(parent, "quote-data", q->attest,
	    q->attest_len) != 0 || notify_bin(parent, "quote-signature",
	    q->sig, q->sig_len) != 0 || notify_uint(parent, "up-time",
	    (unsigned long long)(now.tv_sec - t->boot_time.tv_sec)) != 0)
		return err_set(err, -1, "yang: %s", ly_errmsg(att.ctx));
	return notify_pcr_values(parent, t, sel, err);
}

/*
 * Send a tpm20-attestation of every active TPM for s, the nonce-value as
 * qualifying data.  A TPM whose resetCount or restartCount moved ends the
 * subscription.  Return 0, or -1 if s ended.
 */
static int
ietf_send_quotes(struct ietf_sub *s)
{
	const struct lys_module *mod;
	uint32_t sel[BANK_COUNT], set = device_active_set();
	uint8_t other[64];
	const uint8_t *nonce = s->nonce;
	struct tpm_quote q;
	struct lyd_node *n;
	struct riv_err err;
	size_t i;

	memset(sel, 0, sizeof(sel));
	sel[IETF_QUOTE_BANK] = s->pcrs;
	if (att.ietf.hostile & IETF_WRONG_NONCE) {
		RAND_bytes(other, (int)s->nonce_len);
		nonce = other;
	}
	mod = ly_ctx_get_module_implemented(att.ctx, TRAS);
	for (i = 0; i < att.ntpms; i++) {
		if (!(set & (1u << i)))
			continue;
		n = NULL;
		if (lyd_new_inner(NULL, mod, "tpm20-attestation", 0, &n) !=
		    LY_SUCCESS || ietf_add_quote(n, i, nonce, s->nonce_len,
		    sel, &q, &err) != 0) {
			lyd_free_all(n);
			log_warnx("subscription %u: TPM %s: %s", s->id,
			    att.tpms[i].name, err.msg);
			ietf_terminate(s, "riv-attestation-streams:tpm-failure",
			    "TPM failure");
			return -1;
		}
		if (s->clock_seen[i] && (q.reset_count != s->reset[i] ||
		    q.restart_count != s->restart[i])) {
			lyd_free_all(n);
			ietf_terminate(s, SN ":stream-unavailable",
			    "TPM resetCount or restartCount changed");
			return -1;
		}
		s->clock_seen[i] = 1;
		s->reset[i] = q.reset_count;
		s->restart[i] = q.restart_count;
		if (notify_send(s->session, n) != 0) {
			s->dead = 1;
			return -1;
		}
		s->sent++;
	}
	mono_now(&s->last_quote);
	log_debug("subscription %u: tpm20-attestation", s->id);
	return 0;
}

/* Mark every extend up to now as seen by the window of s. */
static void
ietf_flush_mark(struct ietf_sub *s)
{
	size_t i;

	for (i = 0; i < att.ntpms; i++)
		memcpy(s->changes[i], att.tpms[i].pcr_changes,
		    sizeof(s->changes[i]));
	s->window = 0;
}

/* Send every unreported extend of s's active TPMs.  0 or -1. */
static int
ietf_flush(struct ietf_sub *s)
{
	uint32_t set = device_active_set();
	size_t i;

	ietf_flush_mark(s);
	for (i = 0; i < att.ntpms; i++)
		if ((set & (1u << i)) && ietf_send_extends(s, i) != 0) {
			s->dead = 1;
			return -1;
		}
	return 0;
}

/* Report the extends so far, then quote (or the hostile orders). */
static int
ietf_extends_then_quote(struct ietf_sub *s, int late_ok)
{
	struct timespec now;

	if (att.ietf.hostile & IETF_EXTEND_AFTER) {
		ietf_flush_mark(s);
		if (ietf_send_quotes(s) != 0)
			return -1;
		return ietf_flush(s);
	}
	if (ietf_flush(s) != 0)
		return -1;
	if (late_ok && (att.ietf.hostile & IETF_LATE_QUOTE)) {
		if (!s->quote_late) {
			mono_now(&now);
			s->quote_due = now;
			s->quote_due.tv_sec += IETF_LATE_MS / 1000;
			s->quote_late = 1;
		}
		return 0;
	}
	s->quote_late = 0;
	return ietf_send_quotes(s);
}

/*
 * Start s: with replay, a pcr-extend of every extend since boot of the
 * subscribed PCRs, then replay-completed; without, the logs so far count
 * as reported.  Then the first quote.
 */
static void
ietf_start(struct ietf_sub *s)
{
	size_t i;

	s->started = 1;
	for (i = 0; i < att.ntpms; i++) {
		s->bios_next[i] = s->replay ? 0 : att.tpms[i].bios.n;
		s->ima_next[i] = s->replay ? 0 : att.tpms[i].ima.n;
	}
	if (s->replay) {
		if (ietf_flush(s) != 0)
			return;
		if (ietf_state(s, "replay-completed", NULL) != 0) {
			s->dead = 1;
			return;
		}
	}
	ietf_flush_mark(s);
	ietf_send_quotes(s);
}

/* Tell whether a subscribed PCR of an active TPM was extended since the
 * last window. */
static int
ietf_extended(const struct ietf_sub *s)
{
	uint32_t set = device_active_set();
	size_t i;
	int p;

	for (i = 0; i < att.ntpms; i++) {
		if (!(set & (1u << i)))
			continue;
		for (p = 0; p < PCR_COUNT; p++)
			if ((s->pcrs & (1u << p)) &&
			    att.tpms[i].pcr_changes[p] != s->changes[i][p])
				return 1;
	}
	return 0;
}

/* Decide what s sends now. */
static void
ietf_run_one(struct ietf_sub *s, const struct timespec *now)
{
	size_t i;

	if (sub_stopped(s->id, s->stop_time, &s->dead) || s->session == NULL)
		return;
	for (i = 0; i < att.ntpms; i++)
		if (att.tpms[i].boot != s->boot_seen[i]) {
			ietf_terminate(s, SN ":stream-unavailable", "a TPM "
			    "was reset (resetCount changed)");
			return;
		}
	if (!s->started) {
		ietf_start(s);
		return;
	}
	if (!s->window && ietf_extended(s)) {
		s->window = 1;
		s->window_start = *now;
	}
	if (s->window && ms_between(s->window_start, *now) >=
	    (int64_t)att.ietf.marshalling * 1000) {
		ietf_extends_then_quote(s, 1);
		return;
	}
	if (s->quote_late && ms_between(s->quote_due, *now) >= 0) {
		ietf_extends_then_quote(s, 0);
		return;
	}
	if (!(att.ietf.hostile & IETF_NO_HEARTBEAT) && !s->quote_late &&
	    ms_between(s->last_quote, *now) >=
	    (int64_t)att.ietf.heartbeat * 1000)
		ietf_extends_then_quote(s, 0);
}

/*
 * Run every subscription of the stream, or end them all (shutdown); free
 * those that ended.
 */
void
ietf_run(int end)
{
	struct timespec now;
	size_t i = 0;

	mono_now(&now);
	for (i = 0; i < ietf_nsubs; i++)
		if (end)
			ietf_subs[i]->dead = 1;
		else if (!ietf_subs[i]->dead)
			ietf_run_one(ietf_subs[i], &now);
	i = 0;
	while (i < ietf_nsubs) {
		if (!ietf_subs[i]->dead) {
			i++;
			continue;
		}
		if (ietf_subs[i]->session != NULL)
			nc_session_dec_notif_status(ietf_subs[i]->session);
		free(ietf_subs[i]);
		ietf_subs[i] = ietf_subs[--ietf_nsubs];
	}
}

/* Milliseconds until a subscription may have to send, at most 1 s. */
int64_t
ietf_next_due_ms(void)
{
	struct timespec now;
	struct ietf_sub *s;
	int64_t due = 1000, d;
	size_t i;

	mono_now(&now);
	for (i = 0; i < ietf_nsubs; i++) {
		s = ietf_subs[i];
		if (s->session == NULL || s->dead)
			continue;
		if (!s->started)
			return 0;
		if (s->window && (d = ts_ms_left(&now, &s->window_start,
		    att.ietf.marshalling)) < due)
			due = d;
		if (s->quote_late && (d = ms_between(now, s->quote_due)) <
		    due)
			due = d;
		if ((d = ts_ms_left(&now, &s->last_quote,
		    att.ietf.heartbeat)) < due)
			due = d;
	}
	return due < 0 ? 0 : due;
}

/* Write the subscriptions of the stream to f (control status). */
void
ietf_status(FILE *f)
{
	const struct ietf_sub *s;
	size_t i;

	for (i = 0; i < ietf_nsubs; i++) {
		s = ietf_subs[i];
		if (s->dead)
			continue;
		fprintf(f, "subscription %u attestation session %u pcrs 0x%x "
		    "sent %llu\n", s->id, s->session ?
		    nc_session_get_id(s->session) : 0, s->pcrs,
		    (unsigned long long)s->sent);
	}
	fprintf(f, "attestation marshalling-period %u heartbeat %u "
	    "hostile 0x%x\n", att.ietf.marshalling, att.ietf.heartbeat,
	    att.ietf.hostile);
}

/*
 * Set the hostile modes (test only) from a comma-separated list of
 * names, or "none".  Return 0 or -1.
 */
int
ietf_hostile(const char *list, struct riv_err *err)
{
	char buf[256], *tok, *save;
	uint32_t modes = 0;
	size_t k;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ", ", &save); tok != NULL;
	    tok = strtok_r(NULL, ", ", &save)) {
		if (strcmp(tok, "none") == 0)
			continue;
		for (k = 0; k < sizeof(hostile_names) /
		    sizeof(hostile_names[0]); k++)
			if (strcmp(tok, hostile_names[k]) == 0)
				break;
		if (k == sizeof(hostile_names) / sizeof(hostile_names[0]))
			return err_set(err, -1, "hostile mode %s: none, "
			    "late-quote, no-heartbeat, extend-after-quote, "
			    "wrong-extend or wrong-nonce", tok);
		modes |= 1u << k;
	}
	att.ietf.hostile = modes;
	log_info("attestation stream hostile modes: 0x%x (test only)", modes);
	return 0;
}

/* Answer RFC 9684 tpm20-challenge-response-attestation. */
struct nc_server_reply *
ietf_challenge(struct lyd_node *rpc)
{
	const struct lyd_value_binary *bin;
	struct nc_server_reply *r;
	struct lyd_node *ch, *n, *out = NULL, *e;
	uint32_t sel[BANK_COUNT], set = device_active_set();
	struct tpm_quote q;
	struct riv_err err;
	size_t i;

	if ((r = ncs_validate(rpc, att.oper)) != NULL)
		return r;
	if (lyd_find_path(rpc, "tpm20-attestation-challenge", 0, &ch) !=
	    LY_SUCCESS || lyd_find_path(ch, "nonce-value", 0, &n) !=
	    LY_SUCCESS)
		return ncs_error(NC_ERR_MISSING_ELEM, NULL, "nonce-value",
		    "tpm20-attestation-challenge/nonce-value is missing");
	bin = yang_bin(n);
	if (bin->size == 0 || bin->size > 64)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "nonce-value has %zu bytes; 1 to 64 are accepted",
		    bin->size);
	if (sub_parse_pcrs(ch, "tpm20-pcr-selection", set, sel, &err) != 0)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL, "%s",
		    err.msg);
	for (i = 0; i < BANK_COUNT && sel[i] == 0; i++)
		;
	if (i == BANK_COUNT)
		return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
		    "no PCR selected");
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS)
		return NULL;
	for (i = 0; i < att.ntpms; i++) {
		if (!(set & (1u << i)))
			continue;
		if (lyd_new_list(out, NULL, "tpm20-attestation-response", 1,
		    &e) != LY_SUCCESS) {
			lyd_free_all(out);
			return ncs_libyang_error();
		}
		if (ietf_add_quote(e, i, bin->data, bin->size, sel, &q,
		    &err) != 0) {
			lyd_free_all(out);
			return ncs_error(NC_ERR_OP_FAILED, NULL, NULL,
			    "TPM %s: %s", att.tpms[i].name, err.msg);
		}
	}
	log_info("tpm20-challenge-response-attestation answered");
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

/* One log-selector of log-retrieval. */
struct ietf_selector {
	uint32_t	 tpms;		/* named TPMs */
	int		 have_index;
	uint64_t	 last_index;
	const struct lyd_value_binary *last_entry;
	uint64_t	 quantity;	/* 0: all */
};

/* Read log-selector sn (NULL: none) into sel.  NULL or the error. */
static struct nc_server_reply *
ietf_parse_selector(const struct lyd_node *sn, struct ietf_selector *sel)
{
	struct ly_set *set = NULL;
	struct lyd_node *n;
	const char *v;
	uint32_t i;
	int k;

	memset(sel, 0, sizeof(*sel));
	sel->tpms = device_active_set();
	if (sn == NULL)
		return NULL;
	if (lyd_find_xpath(sn, "name", &set) == LY_SUCCESS &&
	    set->count > 0) {
		sel->tpms = 0;
		for (i = 0; i < set->count; i++) {
			v = lyd_get_value(set->dnodes[i]);
			if ((k = device_tpm_index(v)) < 0) {
				ly_set_free(set, NULL);
				return ncs_error(NC_ERR_INVALID_VALUE, NULL,
				    NULL, "no TPM named %s", v);
			}
			sel->tpms |= 1u << k;
		}
	}
	ly_set_free(set, NULL);
	if ((v = yang_leaf(sn, "last-index-number")) != NULL) {
		sel->have_index = 1;
		sel->last_index = strtoull(v, NULL, 10);
	}
	if (lyd_find_path(sn, "last-entry-value", 0, &n) == LY_SUCCESS)
		sel->last_entry = yang_bin(n);
	if (lyd_find_path(sn, "timestamp", 0, NULL) == LY_SUCCESS)
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "log entries carry no time here: select by "
		    "last-index-number or last-entry-value");
	if ((v = yang_leaf(sn, "log-entry-quantity")) != NULL)
		sel->quantity = strtoull(v, NULL, 10);
	return NULL;
}

/* Add TPM t's entries of log (ima or bios) chosen by sel under node-data
 * nd.  NULL or the error. */
static struct nc_server_reply *
ietf_add_log(struct lyd_node *nd, const struct att_tpm *t, int ima,
    const struct ietf_selector *sel)
{
	const struct att_log *log = ima ? &t->ima : &t->bios;
	struct lyd_node *lr, *lc;
	uint64_t from = 0, e, count = 0, num;
	int found;

	if (sel->last_entry != NULL) {
		found = 0;
		for (e = 0; e < log->n && !found; e++)
			found = log->off[e + 1] - log->off[e] ==
			    sel->last_entry->size && memcmp(log->buf +
			    log->off[e], sel->last_entry->data,
			    sel->last_entry->size) == 0;
		if (!found)
			return ncs_error(NC_ERR_INVALID_VALUE, NULL, NULL,
			    "TPM %s: no log entry with this last-entry-value",
			    t->name);
		from = e;
	}
	if (lyd_new_inner(nd, NULL, "log-result", 0, &lr) != LY_SUCCESS ||
	    lyd_new_inner(lr, NULL, ima ? "ima-event-logs" :
	    "bios-event-logs", 0, &lc) != LY_SUCCESS)
		return ncs_libyang_error();
	for (e = from; e < log->n; e++) {
		num = ima ? e : log->ev[e].number;
		if (sel->have_index && sel->last_index != 0 &&
		    num <= sel->last_index)
			continue;
		if (sel->quantity != 0 && count == sel->quantity)
			break;
		if ((ima ? notify_ima_entry(lc, log->buf + log->off[e],
		    log->off[e + 1] - log->off[e], e) :
		    notify_bios_entry(lc, &log->ev[e])) != 0)
			return ncs_error(NC_ERR_OP_FAILED, NULL, NULL,
			    "TPM %s: log entry %llu has no structured form",
			    t->name, (unsigned long long)e);
		count++;
	}
	return NULL;
}

/* Answer RFC 9684 log-retrieval (bios and ima logs). */
struct nc_server_reply *
ietf_log_retrieval(struct lyd_node *rpc)
{
	struct nc_server_reply *r;
	struct lyd_node *out = NULL, *logs, *nd;
	struct ly_set *set = NULL;
	struct ietf_selector sel;
	struct timespec now;
	const char *type;
	uint32_t done = 0, k, nsel;
	size_t i;
	int ima;

	if ((r = ncs_validate(rpc, att.oper)) != NULL)
		return r;
	type = yang_leaf(rpc, "log-type");
	if (type != NULL && strchr(type, ':') != NULL)
		type = strchr(type, ':') + 1;
	if (type == NULL || (strcmp(type, "bios") != 0 &&
	    strcmp(type, "ima") != 0))
		return ncs_error(NC_ERR_OP_NOT_SUPPORTED, NULL, NULL,
		    "log-type %s: bios and ima logs only", type ? type : "?");
	ima = strcmp(type, "ima") == 0;
	if (lyd_find_xpath(rpc, "log-selector", &set) != LY_SUCCESS)
		set = NULL;
	nsel = set != NULL && set->count > 0 ? set->count : 1;
	clock_gettime(CLOCK_REALTIME, &now);
	if (lyd_dup_single(rpc, NULL, 0, &out) != LY_SUCCESS ||
	    lyd_new_inner(out, NULL, "system-event-logs", 1, &logs) !=
	    LY_SUCCESS) {
		r = ncs_libyang_error();
		goto fail;
	}
	for (k = 0; k < nsel; k++) {
		if ((r = ietf_parse_selector(set != NULL && set->count > 0 ?
		    set->dnodes[k] : NULL, &sel)) != NULL)
			goto fail;
		for (i = 0; i < att.ntpms; i++) {
			if (!(sel.tpms & (1u << i)) || (done & (1u << i)))
				continue;
			done |= 1u << i;
			if (lyd_new_list(logs, NULL, "node-data", 0, &nd) !=
			    LY_SUCCESS || lyd_new_term(nd, NULL, "name",
			    att.tpms[i].name, 0, NULL) != LY_SUCCESS ||
			    notify_uint(nd, "up-time", (unsigned long long)
			    (now.tv_sec - att.tpms[i].boot_time.tv_sec)) != 0) {
				r = ncs_libyang_error();
				goto fail;
			}
			if ((r = ietf_add_log(nd, &att.tpms[i], ima, &sel)) !=
			    NULL)
				goto fail;
		}
	}
	ly_set_free(set, NULL);
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
fail:
	ly_set_free(set, NULL);
	lyd_free_all(out);
	return r;
}

/* Add path = value to tree; 0 or -1. */
static int
ietf_set(struct lyd_node **tree, const char *path, const char *value)
{
	return lyd_new_path(*tree, att.ctx, path, value, 0,
	    *tree == NULL ? tree : NULL) == LY_SUCCESS ? 0 : -1;
}

/*
 * Add the configurable leaves of the draft's augments of
 * /tpm:rats-support-structures (marshalling-period, heartbeat, the
 * subscribable PCRs) to tree.  Return 0 or -1.
 */
int
ietf_config_tree(struct lyd_node **tree)
{
	char num[12];
	int p, rc = 0;

	snprintf(num, sizeof(num), "%u", att.ietf.marshalling);
	rc |= ietf_set(tree, "/" TPMM ":rats-support-structures/" TRAS
	    ":marshalling-period", num);
	snprintf(num, sizeof(num), "%u", att.ietf.heartbeat);
	rc |= ietf_set(tree, "/" TPMM ":rats-support-structures/" TRAS
	    ":tpm20-subscription-heartbeat", num);
	for (p = 0; p < PCR_COUNT && att.ietf.pcrs_set; p++) {
		if (!(att.ietf.pcrs & (1u << p)))
			continue;
		snprintf(num, sizeof(num), "%d", p);
		rc |= ietf_set(tree, "/" TPMM ":rats-support-structures/"
		    "tpms/" TRAS ":tpm20-pcr-index", num);
	}
	return rc == 0 ? 0 : -1;
}

/*
 * Add the draft's /tpm:rats-support-structures nodes to the operational
 * data tree, and the stream attestation to /sn:streams.  Return 0 or -1.
 */
int
ietf_oper(struct lyd_node **tree)
{
	struct timespec boot = ietf_boot_time();
	char num[12], *when = NULL;
	uint32_t set = device_active_set();
	int p, rc = 0;
	size_t i;

	if (ly_time_ts2str(&boot, &when) != LY_SUCCESS)
		return -1;
	rc |= ietf_set(tree, "/" SN ":streams/stream[name='" IETF_STREAM
	    "']/description", "draft-ietf-rats-network-device-subscription-13"
	    " attestation stream (tpm20-attestation, pcr-extend)");
	rc |= ietf_set(tree, "/" SN ":streams/stream[name='" IETF_STREAM
	    "']/replay-support", NULL);
	rc |= ietf_set(tree, "/" SN ":streams/stream[name='" IETF_STREAM
	    "']/replay-log-creation-time", when);
	free(when);
	rc |= ietf_config_tree(tree);
	rc |= ietf_set(tree, "/" TPMM ":rats-support-structures/" TRAS
	    ":tpm20-subscribed-signature-scheme", att.ak_alg == TPM_AK_RSA ?
	    "ietf-tcg-algs:TPM_ALG_RSA" : "ietf-tcg-algs:TPM_ALG_ECC");
	for (i = 0; i < att.ntpms; i++)
		if (set & (1u << i)) {
			rc |= ietf_set(tree, "/" TPMM ":rats-support-structures"
			    "/tpms/" TRAS ":subscription-aik",
			    att.tpms[i].cert);
			break;
		}
	rc |= ietf_set(tree, "/" TPMM ":rats-support-structures/tpms/" TRAS
	    ":tpm20-hash-algo", "ietf-tcg-algs:TPM_ALG_SHA256");
	if (!att.ietf.pcrs_set)
		for (p = 0; p < PCR_COUNT; p++) {
			snprintf(num, sizeof(num), "%d", p);
			rc |= ietf_set(tree, "/" TPMM ":rats-support-structures"
			    "/tpms/" TRAS ":tpm20-pcr-index", num);
		}
	return rc == 0 ? 0 : -1;
}
