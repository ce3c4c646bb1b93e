/*
 * appraise.c — where a notification is appraised: its place in the nonce
 * chain, then for every TPM entry the stream's log entries (stream ops),
 * the quote (signature with the TPM's AK, extraData = nonce_n, TPM clock,
 * resetCount and restartCount), the quoted PCRs against the replay, and
 * the reference values; one verdict per notification, and the engine state
 * it leaves, which the store commits with it.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "refvals.h"
#include "stream.h"

#define CLOCK_DRIFT	0.15	/* TPM clock vs. verifier time, each way */
#define CLOCK_SLACK_MS	2000	/* transport delays the drift ignores */

static const struct stream_ops *const stream_ops[STREAM_KINDS] = {
	&pcr_evidence_ops, &bios_log_ops, &ima_log_ops, &ietf_attestation_ops
};

/* Create the appraisal state of subscription s. */
struct appraisal *
appraisal_new(struct subscription *s, struct riv_err *err)
{
	struct appraisal *ap;
	size_t i;

	if ((ap = calloc(1, sizeof(*ap))) == NULL ||
	    (ap->hasher = hasher_new()) == NULL) {
		free(ap);
		err_set(err, -1, "out of memory");
		return NULL;
	}
	ap->sub = s;
	ap->ops = stream_ops[s->stream];
	for (i = 0; i < s->att->ntpms; i++)
		if ((ap->tpm[i] = ap->ops->tpm_new(ap)) == NULL) {
			appraisal_free(ap);
			err_set(err, -1, "out of memory");
			return NULL;
		}
	return ap;
}

/* Free an appraisal. */
void
appraisal_free(struct appraisal *ap)
{
	size_t i;

	if (ap == NULL)
		return;
	for (i = 0; i < RIVD_TPM_MAX; i++)
		if (ap->tpm[i] != NULL)
			ap->ops->tpm_free(ap->tpm[i]);
	hasher_free(ap->hasher);
	free(ap);
}

/* The entries appraised so far, over every TPM (0: none). */
uint64_t
appraisal_position(const struct appraisal *ap)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; i < ap->sub->att->ntpms; i++)
		if (ap->tpm[i] != NULL)
			n += ap->ops->position(ap->tpm[i]);
	return n;
}

/* Forget every TPM's log and clock state: appraise from the start. */
void
appraisal_reset(struct appraisal *ap)
{
	size_t i;

	for (i = 0; i < ap->sub->att->ntpms; i++) {
		if (ap->tpm[i] != NULL)
			ap->ops->tpm_restart(ap->tpm[i]);
		memset(&ap->clock[i], 0, sizeof(ap->clock[i]));
	}
	ap->resync = 0;
	ap->dirty = 1;
}

/*
 * Whether the last notification showed that the logs must be appraised
 * again from their start (sub_resync).
 */
int
appraisal_wants_resync(const struct appraisal *ap)
{
	return ap->resync;
}

/*
 * Write the log-start list of an establish-subscription (entries after the
 * last one appraised per TPM) to f.
 */
void
appraisal_log_start(const struct appraisal *ap, FILE *f)
{
	const struct attester *a = ap->sub->att;
	uint64_t pos;
	size_t i;

	for (i = 0; i < a->ntpms; i++) {
		if (ap->tpm[i] == NULL || (pos = ap->ops->position(
		    ap->tpm[i])) == 0)
			continue;
		fprintf(f, "<log-start xmlns=\"urn:rivd:params:xml:ns:yang:"
		    "riv-attestation-streams\"><tpm-name>%s</tpm-name>"
		    "<last-index-number>%llu</last-index-number></log-start>",
		    a->tpms[i].name, (unsigned long long)(pos - 1));
	}
}

/*
 * Read the unsigned-pcr-values of quote q (the node that holds them) into
 * set.  A pcr-values entry without its value is malformed if need_value,
 * else left out.  0, or -1 with v in error.
 */
int
read_reported(const struct xnode *q, int need_value, struct pcrset *set,
    struct verdict *v)
{
	const struct xnode *bank, *val;
	const uint8_t *d;
	const char *alg;
	size_t len;
	unsigned long p;
	int b;

	pcrset_init(set);
	for (bank = xnode_child(q, "unsigned-pcr-values"); bank != NULL;
	    bank = xnode_next_named(bank)) {
		alg = xnode_text(bank, "tpm20-hash-algo");
		if ((b = alg ? tcgalg_bank(alg) : BANK_SHA256) < 0)
			continue;
		for (val = xnode_child(bank, "pcr-values"); val != NULL;
		    val = xnode_next_named(val)) {
			p = strtoul(xnode_text(val, "pcr-index"), NULL, 10);
			d = xnode_bin(val, "pcr-value", &len);
			if (d == NULL && !need_value)
				continue;
			if (p >= PCR_COUNT || d == NULL ||
			    len != bank_get(b)->size) {
				verdict_error(v, "malformed");
				verdict_reason(v, "unsigned-pcr-values: %s PCR "
				    "%lu has %zu bytes", bank_get(b)->name, p,
				    len);
				return -1;
			}
			pcrset_set(set, b, (unsigned)p, d);
		}
	}
	return 0;
}

/*
 * Check the pace of a TPM clock that reads clock now against anchors p:
 * not faster than rivd's time since the least delayed quote, not slower
 * than rivd's time since the first less the time reading was paused for
 * the store (±CLOCK_DRIFT, plus CLOCK_SLACK_MS for transport).  0, or -1
 * with v failed.
 */
int
clock_pace_check(const struct clock_pace *p, const char *tpm, uint64_t clock,
    struct timespec now, struct verdict *v)
{
	int64_t dv, dt;

	dv = ms_between(p->early_seen, now);
	dt = (int64_t)(clock - p->early_clock);
	if (dt <= dv * (1 + CLOCK_DRIFT) + CLOCK_SLACK_MS) {
		dv = ms_between(p->first_seen, now) - (session_paused_ms() -
		    p->first_paused);
		dt = (int64_t)(clock - p->first_clock);
		if (dt >= dv * (1 - CLOCK_DRIFT) - CLOCK_SLACK_MS)
			return 0;
	}
	verdict_fail(v, "clock");
	verdict_reason(v, "TPM %s: its clock advanced %lld ms while %lld ms "
	    "passed here (within 15 %%)", tpm, (long long)dt, (long long)dv);
	return -1;
}

/*
 * Note a quote's clock, read now, in anchors p: both anchors start anew
 * if anew (first quote, reset, clock gone back); otherwise it becomes the
 * early anchor if it was read with less delay.
 */
void
clock_pace_note(struct clock_pace *p, int anew, uint64_t clock,
    struct timespec now)
{
	if (anew) {
		p->first_clock = p->early_clock = clock;
		p->first_seen = p->early_seen = now;
		p->first_paused = session_paused_ms();
	} else if (ms_between(p->early_seen, now) <
	    (int64_t)(clock - p->early_clock)) {
		p->early_clock = clock;
		p->early_seen = now;
	}
}

/*
 * The TPM clock rules (draft-ietf-rats-network-device-subscription): the
 * clock never goes back within a boot and advances in step (±15 %) with
 * the verifier's own time; a resetCount or restartCount change is a
 * reboot.  rivd's time is when it read the notification (now) from the
 * session.  Returns 1 if the TPM was reset since its previous quote on this
 * subscription.
 */
static int
check_clock(struct tpm_clock *c, const char *tpm, const struct quote *q,
    struct timespec now, struct verdict *v)
{
	int reset = 0, anew = !c->have_clock;

	if (c->have_counts && (q->reset_count != c->reset_count ||
	    q->restart_count != c->restart_count)) {
		if (q->reset_count < c->reset_count ||
		    (q->reset_count == c->reset_count &&
		    q->restart_count < c->restart_count)) {
			verdict_fail(v, "clock");
			verdict_reason(v, "TPM %s: resetCount/restartCount "
			    "went back (%u/%u after %u/%u)", tpm,
			    q->reset_count, q->restart_count, c->reset_count,
			    c->restart_count);
		} else
			verdict_reason(v, "TPM %s was reset (reboot): "
			    "resetCount %u, restartCount %u", tpm,
			    q->reset_count, q->restart_count);
		reset = anew = 1;
	} else if (c->have_clock && q->clock < c->clock) {
		verdict_fail(v, "clock");
		verdict_reason(v, "TPM %s: the clock went back from %llu to "
		    "%llu ms", tpm, (unsigned long long)c->clock,
		    (unsigned long long)q->clock);
		anew = 1;
	} else if (c->have_clock)
		clock_pace_check(&c->pace, tpm, q->clock, now, v);
	if (!q->safe)
		verdict_reason(v, "TPM %s: the clock is not marked safe", tpm);
	clock_pace_note(&c->pace, anew, q->clock, now);
	c->have_counts = c->have_clock = 1;
	c->clock = q->clock;
	c->reset_count = q->reset_count;
	c->restart_count = q->restart_count;
	return reset;
}

/* Verify the quote of a TPM entry: signature, structure and nonce. */
static int
check_quote(struct tpm_part *tp, const uint8_t *nonce, size_t nlen,
    struct verdict *v)
{
	const uint8_t *att, *sig;
	size_t alen, slen;
	struct riv_err err;
	const struct xnode *q;

	if ((q = xnode_child(tp->node, "quote")) == NULL)
		return 0;
	att = xnode_bin(q, "quote-data", &alen);
	sig = xnode_bin(q, "quote-signature", &slen);
	if (att == NULL || sig == NULL) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: a quote without data or signature",
		    tp->tpm->name);
		return -1;
	}
	if (quote_parse(att, alen, &tp->quote, &err) != RIV_OK) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: %s", tp->tpm->name, err.msg);
		return -1;
	}
	if (quote_verify(att, alen, sig, slen, &tp->tpm->ak, &tp->quote,
	    &err) != RIV_OK) {
		verdict_fail(v, "signature");
		verdict_reason(v, "TPM %s: %s", tp->tpm->name, err.msg);
		return -1;
	}
	if (quote_check_nonce(&tp->quote, nonce, nlen, &err) != RIV_OK) {
		verdict_fail(v, "nonce");
		verdict_reason(v, "TPM %s: %s (not this notification's "
		    "nonce)", tp->tpm->name, err.msg);
		return -1;
	}
	if (quote_check_selection(&tp->quote, &err) != RIV_OK) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: %s", tp->tpm->name, err.msg);
		return -1;
	}
	if (read_reported(q, 1, &tp->reported, v) != 0)
		return -1;
	if (v->pcr_digest_len == 0) {
		memcpy(v->pcr_digest, tp->quote.pcr_digest,
		    tp->quote.pcr_digest_len);
		v->pcr_digest_len = tp->quote.pcr_digest_len;
	}
	tp->have_quote = 1;
	return 0;
}

/* The PCRs the quote of tp selects, a mask per bank, into sel. */
static void
quote_selection(const struct tpm_part *tp, uint32_t sel[BANK_COUNT])
{
	size_t i;

	memset(sel, 0, BANK_COUNT * sizeof(sel[0]));
	for (i = 0; i < tp->quote.nsel; i++)
		if (tp->quote.sel[i].bank >= 0)
			sel[tp->quote.sel[i].bank] |= tp->quote.sel[i].mask;
}

/*
 * The quote of tp must select at least the bank and PCRs the subscription
 * asks for: a PCR left out would escape the reference values.
 */
static int
quote_covers_subscription(const struct tpm_part *tp,
    const struct conf_sub *c, struct verdict *v)
{
	uint32_t sel[BANK_COUNT];

	quote_selection(tp, sel);
	if ((sel[c->bank] & c->pcrs) == c->pcrs)
		return 1;
	verdict_fail(v, "selection");
	verdict_reason(v, "TPM %s: the quote leaves out subscribed %s PCRs "
	    "(mask 0x%x of 0x%x)", tp->tpm->name, bank_get(c->bank)->name,
	    c->pcrs & ~sel[c->bank], c->pcrs);
	return 0;
}

/* Keep in set only the PCRs the quote of tp selects. */
static void
keep_quoted(const struct tpm_part *tp, struct pcrset *set)
{
	uint32_t sel[BANK_COUNT];
	int b;

	quote_selection(tp, sel);
	for (b = 0; b < BANK_COUNT; b++)
		set->mask[b] &= sel[b];
}

/*
 * Tell whether the reported (unsigned) values of tp stay within the PCRs
 * its quote selects; a value outside is one nothing vouches for, and the
 * notification is malformed.
 */
static int
reported_within_quote(const struct tpm_part *tp, struct verdict *v)
{
	uint32_t sel[BANK_COUNT];
	int b;

	quote_selection(tp, sel);
	for (b = 0; b < BANK_COUNT; b++)
		if (tp->reported.mask[b] & ~sel[b]) {
			verdict_error(v, "malformed");
			verdict_reason(v, "TPM %s: %s PCR values the quote "
			    "does not cover", tp->tpm->name,
			    bank_get(b)->name);
			return 0;
		}
	return 1;
}

/*
 * Reference values: a PCR the file names fails when its verified value is
 * not allowed; PCRs and banks the subscription does not quote are another
 * stream's business.
 */
void
refvals_failed(int bank, unsigned pcr, const char *msg, void *arg)
{
	struct refvals_arg *ra = arg;

	if (bank != ra->sub->bank || !(ra->sub->pcrs & (1u << pcr)))
		return;
	verdict_fail(ra->v, "reference");
	verdict_reason(ra->v, "%s", msg);
}

/* The index of the attester's TPM called name, or -1. */
int
tpm_index(const struct attester *a, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < a->ntpms; i++)
		if (strcmp(a->tpms[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Appraise one TPM entry of a notification: the quote first (the
 * appraisers may use its verified PCRs), then the log entries, then the
 * quoted PCRs against the replay, then the reference values.  Return 1 if
 * its quote verified (signature and nonce), else 0.
 */
static int
appraise_tpm(struct appraisal *ap, const struct xnode *node,
    const uint8_t *nonce, size_t nlen, struct verdict *v)
{
	struct attester *a = ap->sub->att;
	struct refvals_arg ra = { v, ap->sub->conf };
	struct tpm_part tp;
	const char *name = xnode_text(node, "name");
	uint64_t pos;
	int i, restarted, was_restarted, rc, known, covered = 1;

	memset(&tp, 0, offsetof(struct tpm_part, reported));
	pcrset_init(&tp.reported);
	pcrset_init(&tp.verified);
	if ((i = tpm_index(a, name)) < 0) {
		verdict_fail(v, "tpm");
		verdict_reason(v, "evidence of TPM %s, which is not configured "
		    "for this attester", name ? name : "?");
		return 0;
	}
	tp.tpm = &a->tpms[i];
	tp.index = i;
	tp.node = node;
	restarted = xnode_child(node, "log-restarted") != NULL;
	if (check_quote(&tp, nonce, nlen, v) != 0)
		return 0;
	if (!tp.have_quote && (ap->sub->stream == STREAM_PCR ||
	    xnode_child(node, "more-entries") == NULL)) {
		verdict_fail(v, "quote");
		verdict_reason(v, "TPM %s: evidence without a quote", name);
		return 0;
	}
	if (tp.have_quote) {
		known = ap->clock[i].have_counts;
		tp.reset = check_clock(&ap->clock[i], tp.tpm->name, &tp.quote,
		    a->read_at, v);
		/* A restart may have come with the first chunk of this log. */
		was_restarted = restarted || ap->restart_pending[i];
		ap->restart_pending[i] = 0;
		if (tp.reset && !was_restarted &&
		    ap->sub->stream != STREAM_PCR) {
			/* A reboot while rivd was away: the subscription
			 * went on from the saved position of the old boot's
			 * log.  Nothing to replay it against: start over. */
			verdict_error(v, "reset");
			verdict_reason(v, "TPM %s was reset and its log did "
			    "not restart from its first entry: it is "
			    "appraised again from there", tp.tpm->name);
			ap->resync = 1;
			return 0;
		}
		if (was_restarted && !tp.reset && known) {
			/* Only a reset starts a TPM's logs again. */
			verdict_fail(v, "log");
			verdict_reason(v, "TPM %s: its log restarted without a "
			    "TPM reset", tp.tpm->name);
			restarted = 0;	/* not applied (a pending one was) */
		}
		covered = quote_covers_subscription(&tp, ap->sub->conf, v);
	} else if (restarted) {
		/* The quote comes with the last chunk: judged then. */
		ap->restart_pending[i] = 1;
	}
	if (restarted)
		ap->ops->tpm_restart(ap->tpm[i]);
	/* New entries, a restart or new counts change the saved state. */
	if (restarted || tp.reset || !ap->clock[i].have_counts)
		ap->dirty = 1;
	pos = ap->ops->position(ap->tpm[i]);
	if (ap->ops->entries != NULL) {
		rc = ap->ops->entries(ap, ap->tpm[i], &tp, v);
		if (ap->ops->position(ap->tpm[i]) != pos)
			ap->dirty = 1;
		if (rc != 0)
			return tp.have_quote;
	}
	if (!tp.have_quote) {
		verdict_reason(v, "TPM %s: log entries only; the next quote "
		    "covers them", tp.tpm->name);
		return 0;
	}
	if (!covered || !reported_within_quote(&tp, v) ||
	    ap->ops->pcrs(ap, ap->tpm[i], &tp, v) != 0)
		return 1;
	keep_quoted(&tp, &tp.verified);
	if (a->refvals != NULL)
		refvals_check(a->refvals, &tp.verified, refvals_failed, &ra);
	return 1;
}

/* Serialise the state of every TPM of ap into st (JSON). */
static void
appraisal_save(struct appraisal *ap, uint64_t seq, struct store_state *st)
{
	struct attester *a = ap->sub->att;
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;

	if ((f = open_memstream(&buf, &len)) == NULL)
		return;
	fprintf(f, "{\"tpms\":{");
	for (i = 0; i < a->ntpms; i++) {
		fprintf(f, "%s\"%s\":{", i ? "," : "", a->tpms[i].name);
		if (ap->clock[i].have_counts)
			fprintf(f, "\"reset_count\":%u,\"restart_count\":%u,",
			    ap->clock[i].reset_count,
			    ap->clock[i].restart_count);
		ap->ops->save(f, ap->tpm[i]);
		fprintf(f, "}");
	}
	fprintf(f, "}}");
	if (fclose(f) != 0) {
		free(buf);
		return;
	}
	snprintf(st->attester, sizeof(st->attester), "%s", a->name);
	snprintf(st->stream, sizeof(st->stream), "%s",
	    stream_kind_name(ap->sub->stream));
	st->sequence = seq;
	st->blob = (uint8_t *)buf;
	st->blob_len = len;
}

/* Restore the reset and restart counts saved for a TPM, if any. */
static void
restore_counts(struct tpm_clock *c, const struct json *t)
{
	unsigned long long r, s;

	if (json_uint(json_get(t, "reset_count"), UINT32_MAX, &r) != 0 ||
	    json_uint(json_get(t, "restart_count"), UINT32_MAX, &s) != 0)
		return;
	c->reset_count = (uint32_t)r;
	c->restart_count = (uint32_t)s;
	c->have_counts = 1;
}

/*
 * Restore the state saved in blob (from the store).  Return 0, or -1 (the
 * appraisal then starts from the beginning of the logs).
 */
int
appraisal_restore(struct appraisal *ap, const uint8_t *blob, size_t len,
    struct riv_err *err)
{
	struct attester *a = ap->sub->att;
	const struct json *tpms, *t;
	struct json *doc;
	size_t i;

	if ((doc = json_parse((const char *)blob, len, err)) == NULL)
		return -1;
	tpms = json_get(doc, "tpms");
	for (i = 0; tpms != NULL && i < a->ntpms; i++) {
		if ((t = json_get(tpms, a->tpms[i].name)) == NULL)
			continue;
		restore_counts(&ap->clock[i], t);
		if (ap->ops->load(ap->tpm[i], t, err) != 0) {
			json_free(doc);
			return -1;
		}
	}
	json_free(doc);
	return 0;
}

/*
 * Name in v what triggered notification op when it was not the period: a
 * device event (with its detail) or an on-change.
 */
static void
note_trigger(const struct xnode *op, struct verdict *v)
{
	const char *t = xnode_text(op, "trigger");
	const char *d = xnode_text(op, "trigger-detail");
	const char *colon;

	if (t == NULL)
		return;
	if ((colon = strchr(t, ':')) != NULL)
		t = colon + 1;
	if (strcmp(t, "periodic") == 0)
		return;
	verdict_reason(v, "trigger: %s%s%s%s", t, d ? " (" : "", d ? d : "",
	    d ? ")" : "");
}

/* The number of siblings from first on with first's name. */
static size_t
count_named(const struct xnode *first)
{
	size_t n = 0;

	for (; first != NULL; first = xnode_next_named(first))
		n++;
	return n;
}

/* Whether TPM entry t has the name of an entry before it. */
static int
tpm_listed_before(const struct xnode *first, const struct xnode *t)
{
	const char *a = xnode_text(t, "name"), *b;
	const struct xnode *o;

	for (o = first; a != NULL && o != t; o = xnode_next_named(o))
		if ((b = xnode_text(o, "name")) != NULL && strcmp(a, b) == 0)
			return 1;
	return 0;
}

/*
 * Appraise notification op of subscription s into verdict v; the engine
 * state that results goes into st (NULL blob if none).  Return how many
 * of its quotes verified (signature and this notification's nonce).
 */
int
appraise_notification(struct subscription *s, const struct xnode *op,
    struct verdict *v, struct store_state *st)
{
	uint8_t nonce[DIGEST_MAX];
	const uint8_t *seed_id;
	const struct xnode *first, *t;
	const char *seq;
	size_t nlen, idlen;
	int quoted = 0;

	seq = xnode_text(op, "sequence-number");
	seed_id = xnode_bin(op, "seed-id", &idlen);
	if (seq == NULL || seed_id == NULL) {
		if (seq != NULL)
			v->sequence = strtoull(seq, NULL, 10);
		else
			v->no_evidence = 1;
		v->result = VERDICT_ERROR;
		verdict_error(v, "malformed");
		verdict_reason(v, "no sequence-number or seed-id");
		return 0;
	}
	v->sequence = strtoull(seq, NULL, 10);
	if (v->sequence == UINT64_MAX) {
		/* The chain would have no next number. */
		verdict_error(v, "malformed");
		verdict_reason(v, "sequence-number %s is the last one there "
		    "is", seq);
		return 0;
	}
	if (chain_check(s, v->sequence, seed_id, idlen, nonce, &nlen, v) != 0)
		return 0;
	memcpy(v->nonce, nonce, nlen);
	v->nonce_len = nlen;
	if ((first = xnode_child(op, "tpm")) == NULL) {
		verdict_error(v, "malformed");
		verdict_reason(v, "a notification without TPM evidence");
		goto commit;
	}
	if (count_named(first) > RIVD_TPM_MAX) {
		/* An attester has at most RIVD_TPM_MAX TPMs. */
		verdict_error(v, "malformed");
		verdict_reason(v, "%zu TPM entries in one notification",
		    count_named(first));
		goto commit;
	}
	for (t = first; t != NULL; t = xnode_next_named(t)) {
		if (tpm_listed_before(first, t)) {
			verdict_error(v, "malformed");
			verdict_reason(v, "TPM %s twice in one notification",
			    xnode_text(t, "name"));
			continue;
		}
		quoted += appraise_tpm(s->appraisal, t, nonce, nlen, v);
	}
	/* A number ahead of the chain moves it only with a verified quote:
	 * a forged one cannot poison the window. */
	if (quoted > 0 || v->sequence <= s->next_seq)
		chain_commit(s, v->sequence, seed_id);
	note_trigger(op, v);
	/* Only a changed state is written: the store keeps the last one. */
	if (s->stream != STREAM_PCR && s->appraisal->dirty) {
		appraisal_save(s->appraisal, v->sequence, st);
		s->appraisal->dirty = 0;
	}
	return quoted;
commit:
	/* Judged without a quote: as above, a number not ahead of the
	 * chain is taken in, so that the same notification again is a
	 * replay. */
	if (v->sequence <= s->next_seq)
		chain_commit(s, v->sequence, seed_id);
	return 0;
}
