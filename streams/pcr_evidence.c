/*
 * pcr_evidence.c — the pcr-trust-evidence appraiser: quotes only.  The
 * reported PCR values count once the quote's digest covers them; reference
 * values are then applied to them (appraise.c).
 */
#include <string.h>

#include "stream.h"

static int pcr_evidence_dummy;

/* No per-TPM state: a quote stands on its own. */
static void *
pcr_tpm_new(struct appraisal *ap)
{
	(void)ap;
	return &pcr_evidence_dummy;
}

/* Nothing to restart or free. */
static void
pcr_tpm_nothing(void *t)
{
	(void)t;
}

/* The reported values must be the ones the quote's PCR digest covers. */
static int
pcr_check(struct appraisal *ap, void *t, struct tpm_part *tp,
    struct verdict *v)
{
	struct riv_err err;

	(void)ap; (void)t;
	if (quote_check_pcrs(&tp->quote, &tp->reported, &err) != RIV_OK) {
		verdict_fail(v, "pcr-digest");
		verdict_reason(v, "TPM %s: %s", tp->tpm->name, err.msg);
		return -1;
	}
	tp->verified = tp->reported;
	return 0;
}

/* No state to save. */
void
pcr_save(FILE *f, const void *t)
{
	(void)f; (void)t;
}

/* No state to load. */
int
pcr_load(void *t, const struct json *j, struct riv_err *err)
{
	(void)t; (void)j; (void)err;
	return 0;
}

/* Quotes have no log position. */
uint64_t
pcr_position(const void *t)
{
	(void)t;
	return 0;
}

const struct stream_ops pcr_evidence_ops = {
	"pcr-trust-evidence",
	pcr_tpm_new, pcr_tpm_nothing, pcr_tpm_nothing,
	NULL, pcr_check, pcr_save, pcr_load, pcr_position
};
