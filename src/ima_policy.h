/*
 * ima_policy.h — IMA runtime policy: allowed digests per path, excludes,
 * signature keys, allowed ima-buf digests, violations.
 *
 * A policy is parsed once per version and shared (reference counted) by every
 * attester that uses it; the per-attester state that appraisal builds up
 * (keys measured into the .ima keyring) lives in an ima_appraiser.
 */
#ifndef RIV_IMA_POLICY_H
#define RIV_IMA_POLICY_H

#include "ima.h"
#include "util.h"

#define IMA_REASON_MAX	256

struct ima_policy;
struct ima_appraiser;

struct ima_policy	*ima_policy_load(const char *, struct riv_err *);
struct ima_policy	*ima_policy_parse(const char *, size_t,
			    struct riv_err *);
struct ima_policy	*ima_policy_ref(struct ima_policy *);
void			 ima_policy_unref(struct ima_policy *);

struct ima_appraiser	*ima_appraiser_new(struct ima_policy *);
void			 ima_appraiser_free(struct ima_appraiser *);
int			 ima_appraise_entry(struct ima_appraiser *,
			    const struct ima_entry *, char *, size_t);

#endif
