/*
 * stream.h — the appraisers of rivd's three evidence streams behind one
 * small ops table: each decodes its part of a notification (the entries
 * of one TPM), feeds the engine from its saved state, and checks the
 * quoted PCRs against what it replayed.  appraise.c does what every
 * stream shares: the nonce chain, the quote's signature, nonce and clock,
 * reference values, and the verdict.
 */
#ifndef RIV_STREAM_H
#define RIV_STREAM_H

#include <stddef.h>
#include <stdio.h>

#include "rivd.h"
#include "xdoc.h"

struct json;
struct xnode;

/* What the appraisal of one TPM's part of a notification works with. */
struct tpm_part {
	struct tpm_view	*tpm;
	int		 index;		/* in the attester's TPMs */
	const struct xnode *node;	/* the notification's tpm entry */
	struct quote	 quote;
	int		 have_quote;	/* verified signature and nonce */
	int		 reset;		/* the TPM was reset since last time */
	/* Last, 15 KB of values that appraise_tpm leaves uncleared. */
	struct pcrset	 reported;	/* unsigned-pcr-values */
	struct pcrset	 verified;	/* values the quote's digest covers */
};
_Static_assert(offsetof(struct tpm_part, verified) + sizeof(struct pcrset) ==
    sizeof(struct tpm_part) && offsetof(struct tpm_part, reported) +
    sizeof(struct pcrset) == offsetof(struct tpm_part, verified),
    "appraise_tpm clears struct tpm_part up to its two PCR sets, the last");

/* One stream's appraiser. */
struct stream_ops {
	const char	*name;
	/* Per-TPM state: allocate, restart (TPM reset), free. */
	void		*(*tpm_new)(struct appraisal *);
	void		 (*tpm_restart)(void *);
	void		 (*tpm_free)(void *);
	/* Take the log entries of a TPM entry (NULL for quotes only). */
	int		 (*entries)(struct appraisal *, void *,
			    struct tpm_part *, struct verdict *);
	/* Check the quoted PCR values against the replay; fill verified. */
	int		 (*pcrs)(struct appraisal *, void *, struct tpm_part *,
			    struct verdict *);
	/* Serialise (JSON object members) and restore the state. */
	void		 (*save)(FILE *, const void *);
	int		 (*load)(void *, const struct json *, struct riv_err *);
	/* Entries taken so far (the next entry number). */
	uint64_t	 (*position)(const void *);
};

/*
 * The two anchors that judge a TPM clock's pace (clock_pace_check): the
 * quote read with the least delay (smallest read time minus TPM clock),
 * against which the clock must not run fast, and the first quote, against
 * which it must not run slow.  A notification read late — rivd busy, a
 * full socket — then makes the clock look neither fast (the anchor was
 * read early) nor, once time has passed, slow; and the time rivd itself
 * paused reading (store back-pressure) is not counted against the clock.
 */
struct clock_pace {
	uint64_t	 early_clock;	/* the least delayed quote's clock */
	struct timespec	 early_seen;	/* and when it was read (monotonic) */
	uint64_t	 first_clock;	/* the first quote's clock */
	struct timespec	 first_seen;
	int64_t		 first_paused;	/* session_paused_ms() then */
};

/*
 * What one subscription saw of a TPM's clock in this boot: each stream
 * notices a reset on its own, and the counters are saved with the
 * stream's state.
 */
struct tpm_clock {
	int		 have_counts;	/* reset/restart counts are known */
	int		 have_clock;	/* and the clock's pace anchors */
	uint64_t	 clock;		/* TPM clock of the last quote (ms) */
	uint32_t	 reset_count, restart_count;
	struct clock_pace pace;
};

/* The appraisal state of one subscription. */
struct appraisal {
	struct subscription *sub;
	const struct stream_ops *ops;
	struct hasher	*hasher;
	void		*tpm[RIVD_TPM_MAX];	/* ops->tpm_new per TPM */
	struct tpm_clock clock[RIVD_TPM_MAX];
	int		 dirty;		/* changed since it was last saved */
	int		 restart_pending[RIVD_TPM_MAX];	/* a log restarted in a
					   chunk without a quote */
	int		 resync;	/* appraise the logs again from their
					   start (a reset rivd did not see) */
};

extern const struct stream_ops pcr_evidence_ops;
extern const struct stream_ops bios_log_ops;
extern const struct stream_ops ima_log_ops;
extern const struct stream_ops ietf_attestation_ops;	/* ietf_attestation.c */

/* What refvals_failed needs: the verdict and the subscription's PCRs. */
struct refvals_arg {
	struct verdict	*v;
	const struct conf_sub *sub;
};

/* appraise.c: helpers for the stream files. */
int		 tpm_index(const struct attester *, const char *);
int		 read_reported(const struct xnode *, int, struct pcrset *,
		    struct verdict *);
void		 refvals_failed(int, unsigned, const char *, void *);
int		 clock_pace_check(const struct clock_pace *, const char *,
		    uint64_t, struct timespec, struct verdict *);
void		 clock_pace_note(struct clock_pace *, int, uint64_t,
		    struct timespec);

/*
 * pcr_evidence.c: the ops of a stream that keeps no state between
 * notifications (ietf_attestation.c's too).
 */
void		 pcr_save(FILE *, const void *);
int		 pcr_load(void *, const struct json *, struct riv_err *);
uint64_t	 pcr_position(const void *);

#endif
