/*
 * ima_log.c — the ima-log appraiser: the kernel's binary IMA records
 * arrive a chunk at a time and are replayed from the state saved after the
 * previous chunk, only in the banks the subscription quotes (and the
 * list's SHA-1); every entry goes through the runtime policy; at each quote
 * the replay must reach the quoted PCRs (the quote may lag the list).
 */
#include <stdlib.h>
#include <string.h>

#include "ima.h"
#include "ima_policy.h"
#include "json.h"
#include "stream.h"

#define IMA_PCR	10	/* the kernel's CONFIG_IMA_MEASURE_PCR_IDX */

/* The IMA state of one TPM (one kernel's list). */
struct ima_tpm {
	struct ima_state *st;
	struct ima_appraiser *ap;	/* NULL without a policy */
	uint32_t	 banks;
};

/* Where ima_feed reports to. */
struct ima_feed_arg {
	struct ima_tpm	*it;
	struct verdict	*v;
	const char	*tpm;
	unsigned	 failures;
};

/* A fresh state: the quoted bank and the list's own. */
static void *
ima_tpm_new(struct appraisal *ap)
{
	struct ima_tpm *it;

	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NULL;
	it->banks = (1u << ap->sub->conf->bank) | (1u << BANK_SHA1);
	if ((it->st = ima_state_new(it->banks)) == NULL ||
	    (ap->sub->att->policy != NULL && (it->ap = ima_appraiser_new(
	    ap->sub->att->policy)) == NULL)) {
		ima_state_free(it->st);
		free(it);
		return NULL;
	}
	return it;
}

/* The TPM was reset: a new boot, a new list. */
static void
ima_tpm_restart(void *t)
{
	struct ima_tpm *it = t;

	ima_state_init(it->st, it->banks);
}

/* Free a state. */
static void
ima_tpm_free(void *t)
{
	struct ima_tpm *it = t;

	ima_state_free(it->st);
	ima_appraiser_free(it->ap);
	free(it);
}

/* ima_feed callback: digest mismatches and policy failures fail. */
static int
ima_take(const struct ima_entry *e, int mismatch, void *arg)
{
	struct ima_feed_arg *fa = arg;
	char reason[256];

	if (mismatch) {
		verdict_fail(fa->v, "log");
		if (fa->failures++ < 8)
			verdict_reason(fa->v, "TPM %s IMA entry %llu: the "
			    "template digest does not match its data",
			    fa->tpm, (unsigned long long)e->index);
	}
	if (fa->it->ap != NULL && ima_appraise_entry(fa->it->ap, e, reason,
	    sizeof(reason)) != RIV_OK) {
		ima_state_fail(fa->it->st, e->index);
		verdict_fail(fa->v, "policy");
		if (fa->failures++ < 8)
			verdict_reason(fa->v, "TPM %s IMA entry %llu (%.*s): "
			    "%s", fa->tpm, (unsigned long long)e->index,
			    e->path_len > 200 ? 200 : (int)e->path_len,
			    e->path ? e->path : "", reason);
	}
	return 0;
}

/* Replay the raw records of a TPM entry. */
static int
ima_entries(struct appraisal *ap, void *t, struct tpm_part *tp,
    struct verdict *v)
{
	struct ima_tpm *it = t;
	struct ima_feed_arg fa = { it, v, tp->tpm->name, 0 };
	const uint8_t *raw;
	const char *first;
	struct riv_err err;
	size_t len;

	if ((first = xnode_text(tp->node, "first-event-number")) == NULL)
		return 0;
	if (xnode_child(tp->node, "ima-event-entry") != NULL) {
		verdict_error(v, "malformed");
		verdict_reason(v, "TPM %s: structured IMA entries; rivd "
		    "subscribes with raw ones", tp->tpm->name);
		return -1;
	}
	if (strtoull(first, NULL, 10) != it->st->next) {
		verdict_fail(v, "log");
		verdict_reason(v, "TPM %s: IMA entries start at %s, expected "
		    "%llu", tp->tpm->name, first,
		    (unsigned long long)it->st->next);
		return -1;
	}
	if ((raw = xnode_bin(tp->node, "raw-entries", &len)) == NULL)
		return 0;
	/* The boot aggregate is checked against quoted PCRs 0-9. */
	if (it->ap != NULL && tp->have_quote && quote_check_pcrs(&tp->quote,
	    &tp->reported, &err) == RIV_OK)
		ima_appraiser_set_pcrs(it->ap, &tp->reported);
	if (ima_feed(it->st, ap->hasher, raw, len, IMA_FORMAT_BINARY,
	    it->st->next, ima_take, &fa, &err) != RIV_OK) {
		verdict_fail(v, "log");
		verdict_reason(v, "TPM %s: IMA list: %s", tp->tpm->name,
		    err.msg);
		return -1;
	}
	if (it->st->failed > 0 && fa.failures == 0) {
		verdict_fail(v, "policy");
		verdict_reason(v, "TPM %s: %llu IMA entries of this boot failed "
		    "before (first %llu)", tp->tpm->name,
		    (unsigned long long)it->st->failed,
		    (unsigned long long)it->st->first_failed);
	}
	return 0;
}

/*
 * No IMA entry yet: the quoted PCR 10 must still be all zero in every
 * bank replayed, or something was measured that no entry explains.
 */
static int
check_unexplained(const struct ima_tpm *it, const struct tpm_part *tp,
    struct verdict *v)
{
	const uint8_t *val;
	int b;

	for (b = 0; b < BANK_COUNT; b++) {
		if (!(it->banks & (1u << b)) ||
		    (val = pcrset_get(&tp->reported, b, IMA_PCR)) == NULL)
			continue;
		if (!all_zero(val, bank_get(b)->size)) {
			verdict_fail(v, "log");
			verdict_reason(v, "TPM %s: %s PCR %d was extended but no "
			    "IMA entry explains it", tp->tpm->name,
			    bank_get(b)->name, IMA_PCR);
		}
	}
	return 0;
}

/* The quote must cover the reported values, and the replay reach them. */
static int
ima_pcrs(struct appraisal *ap, void *t, struct tpm_part *tp,
    struct verdict *v)
{
	struct ima_tpm *it = t;
	struct ima_quote q;
	struct riv_err err;

	(void)ap;
	if (quote_check_pcrs(&tp->quote, &tp->reported, &err) != RIV_OK) {
		verdict_fail(v, "pcr-digest");
		verdict_reason(v, "TPM %s: %s", tp->tpm->name, err.msg);
		return -1;
	}
	tp->verified = tp->reported;
	if (it->st->next == 0)
		return check_unexplained(it, tp, v);
	memset(&q, 0, sizeof(q));
	ima_quote_check(it->st, &tp->reported, &q);
	if (!q.matched) {
		verdict_fail(v, "log");
		verdict_reason(v, "TPM %s: the IMA list does not replay to the "
		    "quoted PCRs: %s", tp->tpm->name, q.reason);
	} else if (q.lagging) {
		verdict_fail(v, "log");
		verdict_reason(v, "TPM %s: the quotes keep lagging the IMA "
		    "list (%llu entries behind)", tp->tpm->name,
		    (unsigned long long)q.pending);
	}
	return 0;
}

/* Save the replay state (and the keys the policy learned). */
static void
ima_save(FILE *f, const void *t)
{
	const struct ima_tpm *it = t;

	fprintf(f, "\"next\":%llu,\"ima\":",
	    (unsigned long long)it->st->next);
	ima_state_write(f, it->st);
	if (it->ap != NULL) {
		fprintf(f, ",\"policy\":");
		ima_appraiser_write(f, it->ap);
	}
}

/* Load what ima_save wrote. */
static int
ima_load(void *t, const struct json *j, struct riv_err *err)
{
	struct ima_tpm *it = t;
	const struct json *s = json_get(j, "ima"), *p = json_get(j, "policy");

	if (s == NULL || ima_state_from_json(s, it->st, err) != RIV_OK ||
	    (it->ap != NULL && p != NULL && ima_appraiser_from_json(it->ap, p,
	    err) != RIV_OK)) {
		ima_state_init(it->st, it->banks);
		return -1;
	}
	return 0;
}

/* The next entry number. */
static uint64_t
ima_position(const void *t)
{
	return ((const struct ima_tpm *)t)->st->next;
}

const struct stream_ops ima_log_ops = {
	"ima-log",
	ima_tpm_new, ima_tpm_restart, ima_tpm_free,
	ima_entries, ima_pcrs, ima_save, ima_load, ima_position
};
