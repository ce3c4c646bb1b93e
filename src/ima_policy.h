/*
 * ima_policy.h — IMA runtime policy: allowed digests per path, excludes,
 * signature keys, allowed ima-buf digests, violations.
 *
 * A policy is parsed once per version and shared (reference counted) by every
 * attester that uses it: ima_policy_get() returns the policy already loaded
 * from a file with the same contents (same SHA-256, ima_policy_digest()), or
 * parses and registers a new one.  The per-attester state that appraisal
 * builds up (keys measured into the .ima keyring) lives in an ima_appraiser;
 * ima_appraiser_write() and ima_appraiser_from_json() carry it from one
 * incremental run to the next (restoring only under the same policy digest).
 * ima_appraiser_set_pcrs() gives an appraiser the quoted PCRs that the boot
 * aggregate (entry 0) is checked against; the appraiser keeps its own copy.
 * ima_policy_load() and ima_policy_parse() return unregistered policies.
 *
 * The file format (native, or a Keylime runtime policy, detected
 * automatically) and the appraisal rules are described in rivd-ima-policy(5).
 */
#ifndef RIV_IMA_POLICY_H
#define RIV_IMA_POLICY_H

#include <stdio.h>

#include "ima.h"
#include "json.h"
#include "pcrset.h"
#include "util.h"

#define IMA_REASON_MAX	256

/* Limits of a policy; see rivd-ima-policy(5). */
#define IMA_POLICY_FILE_MAX		(256u * 1024 * 1024)	/* bytes */
#define IMA_POLICY_NAMES_MAX		2000000	/* names per section */
#define IMA_POLICY_DIGESTS_MAX		64	/* allowed digests per name */
#define IMA_POLICY_NAME_MAX		4096	/* bytes in a path or name */
#define IMA_POLICY_EXCLUDES_MAX		1024	/* exclude patterns */
#define IMA_POLICY_EXCLUDES_LEN_MAX	65536	/* bytes, all patterns */
#define IMA_POLICY_REPEAT_MAX		1024	/* expansion of a pattern */
#define IMA_POLICY_EXPANDED_MAX		262144	/* expansion of all */
#define IMA_POLICY_GROUPS_MAX		64	/* groups "(" in a pattern */
#define IMA_POLICY_GROUP_DEPTH_MAX	32	/* nesting of groups */
#define IMA_POLICY_KEYS_MAX		256	/* configured keys */
#define IMA_POLICY_KEY_LEN_MAX		65536	/* bytes of one key */
#define IMA_POLICY_IGNORED_MAX		256	/* ignored keyrings */
#define IMA_POLICY_LEARNED_MAX		64	/* keys learned per attester */
#define IMA_POLICY_DIGEST_LEN		32	/* SHA-256 of the policy file */
#define IMA_POLICY_RELEASE_MAX		64	/* Keylime "release" kept */

/* The input format a policy was read from. */
enum ima_policy_format {
	IMA_POLICY_NATIVE,
	IMA_POLICY_KEYLIME
};

struct ima_policy;
struct ima_appraiser;

struct ima_policy	*ima_policy_get(const char *, struct riv_err *);
struct ima_policy	*ima_policy_load(const char *, struct riv_err *);
struct ima_policy	*ima_policy_parse(const char *, size_t,
			    struct riv_err *);
struct ima_policy	*ima_policy_ref(struct ima_policy *);
void			 ima_policy_unref(struct ima_policy *);
enum ima_policy_format	 ima_policy_format(const struct ima_policy *);
size_t			 ima_policy_paths(const struct ima_policy *);
const uint8_t		*ima_policy_digest(const struct ima_policy *);
const char		*ima_policy_release(const struct ima_policy *);

struct ima_appraiser	*ima_appraiser_new(struct ima_policy *);
void			 ima_appraiser_free(struct ima_appraiser *);
void			 ima_appraiser_set_pcrs(struct ima_appraiser *,
			    const struct pcrset *);
int			 ima_appraise_entry(struct ima_appraiser *,
			    const struct ima_entry *, char *, size_t);
size_t			 ima_appraiser_keys(const struct ima_appraiser *);
void			 ima_appraiser_write(FILE *,
			    const struct ima_appraiser *);
int			 ima_appraiser_from_json(struct ima_appraiser *,
			    const struct json *, struct riv_err *);

#endif
