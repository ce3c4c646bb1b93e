/*
 * bootlog.h — TCG PC Client measured-boot event log: parse the legacy SHA1
 * and the crypto-agile formats and replay them into PCR values.
 *
 * One-shot use: bootlog_replay() on the whole log.  Incremental use (the
 * daemon receiving events a few at a time): bootlog_init() a state, then
 * bootlog_feed() successive chunks, each starting at the first byte the
 * previous call left unconsumed, and bootlog_result() whenever values are
 * wanted.
 *
 * An event that lacks the digest of a bank the Spec ID event declares
 * (Windows boot manager events on PCRs 11-14, fixtures that declare banks
 * they never fill) extends its PCR in the banks it carries; in the others
 * that PCR becomes incomplete: bootlog_result() reports it in incomplete[]
 * and leaves its value out of pcrs, so it is never compared as if it were
 * the TPM's.
 */
#ifndef RIV_BOOTLOG_H
#define RIV_BOOTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "pcrset.h"
#include "util.h"

#define BOOTLOG_ALGS_MAX	16	/* digests per event we accept */
#define BOOTLOG_DATA_MAX	(16u * 1024 * 1024)	/* event data limit */
#define BOOTLOG_DIGEST_SKIP_MAX	512	/* largest digest of an unknown alg */
#define BOOTLOG_PCR_NONE	0xffffffffu	/* event extends no PCR */

/* PC Client event types the replay treats specially. */
#define EV_NO_ACTION		0x00000003u
#define EV_EFI_ACTION		0x80000007u
#define EV_EFI_HCRTM_EVENT	0x80000010u

#define BOOTLOG_QUIRK_EXTENDS_MAX 3	/* unlogged extends of one quirk */

enum bootlog_format {
	BOOTLOG_LEGACY,		/* TCG_PCClientPCREvent, SHA1 only */
	BOOTLOG_AGILE		/* Spec ID Event03 then TCG_PCR_EVENT2 */
};

/* One event as it stands in the log. */
struct bootlog_event {
	uint32_t	 number;	/* 0 for the first event */
	size_t		 offset;	/* byte offset of the event in the log */
	uint32_t	 pcr;
	uint32_t	 type;
	uint32_t	 bank_mask;	/* bit b: digests[b] is present */
	uint8_t		 digests[BANK_COUNT][DIGEST_MAX];
	const uint8_t	*data;		/* event data, inside the log buffer */
	uint32_t	 data_len;
	int		 extended;	/* replay extended it into its PCR */
	uint32_t	 missing_mask;	/* banks of the log this extended
					   event carries no digest for */
};

/* The first event that left a bank's PCR incomplete. */
struct bootlog_gap {
	uint32_t	 event;		/* event number */
	size_t		 offset;	/* its byte offset in the log */
};

/* The outcome of a replay. */
struct bootlog {
	enum bootlog_format format;
	uint32_t	 bank_mask;	/* banks whose digests the log carries */
	uint32_t	 unavailable_mask;	/* of those, not replayed:
					   OpenSSL lacks the digest */
	uint16_t	 unknown_algs[BOOTLOG_ALGS_MAX];	/* skipped */
	size_t		 nunknown_algs;
	uint32_t	 nevents;
	int		 startup_locality;	/* -1 if the log has none */
	int		 hcrtm;		/* an H-CRTM event started PCR 0 */
	size_t		 length;	/* bytes of events (without padding) */
	struct pcrset	 pcrs;		/* replayed values of touched PCRs,
					   without the incomplete ones */
	uint32_t	 incomplete[BANK_COUNT];	/* per replayed bank, PCRs
					   an event extended without a digest
					   for the bank: no value for them */
	struct bootlog_gap gap[BANK_COUNT][PCR_COUNT];	/* the first such
					   event of each incomplete PCR */
	uint32_t	 quirk_logged;	/* bit i: the log holds an event of
					   quirk i, which then cannot apply */
};

/*
 * A known firmware defect: events the platform extends into a PCR without
 * logging them (rivd-reference(5) lists each and why).  Several entries may
 * share a name: the variants of one defect.
 */
struct bootlog_quirk {
	const char	*name;		/* as in reference files and reports */
	unsigned	 pcr;
	uint32_t	 type;		/* event type of the unlogged events */
	size_t		 nextends;
	const char	*extends[BOOTLOG_QUIRK_EXTENDS_MAX];	/* event data,
					   extended as its digest, in order */
};

/* The replay compared with given PCR values (bootlog_match). */
struct bootlog_match {
	uint32_t	 compared[BANK_COUNT];	/* PCRs with both a replayed
					   and a given value */
	uint32_t	 mismatched[BANK_COUNT];	/* of those, the ones the
					   plain replay gets wrong */
	size_t		 ncompared;
	int		 matched;	/* every compared PCR equal */
	int		 quirk;		/* table index of the quirk needed for
					   that, or -1 */
	struct pcrset	 pcrs;		/* the replay, with the quirk's extends
					   if one was needed */
};

/* Digest algorithm of the Spec ID event. */
struct bootlog_alg {
	uint16_t	 alg;		/* TPM_ALG_ID */
	uint16_t	 size;		/* digest size in bytes */
	int		 bank;		/* bank id, or -1 if rivd lacks it */
};

/* Parser and replay state between chunks of a log. */
struct bootlog_state {
	int		 started;	/* the first event has been read */
	enum bootlog_format format;
	size_t		 offset;	/* log offset of the next event */
	uint32_t	 nevents;
	struct bootlog_alg algs[BOOTLOG_ALGS_MAX];
	size_t		 nalgs;
	uint32_t	 bank_mask;	/* known banks the log carries */
	uint32_t	 replay_mask;	/* of those, the ones replayed */
	int		 startup_locality;
	int		 hcrtm;
	int		 pcr0_extended;	/* an event has extended PCR 0 */
	struct pcrset	 pcrs;		/* mask: touched PCRs per bank */
	uint32_t	 incomplete[BANK_COUNT];	/* see struct bootlog */
	struct bootlog_gap gap[BANK_COUNT][PCR_COUNT];
	uint32_t	 quirk_logged;	/* see struct bootlog */
};

/*
 * Called once per event after it has been applied; a non-zero return
 * stops the parse and is returned by bootlog_feed/bootlog_replay.
 */
typedef int (*bootlog_cb)(const struct bootlog_event *, void *);

void	bootlog_init(struct bootlog_state *);
int	bootlog_feed(struct bootlog_state *, const uint8_t *, size_t, int,
	    size_t *, bootlog_cb, void *, struct riv_err *);
void	bootlog_result(const struct bootlog_state *, struct bootlog *);
int	bootlog_replay(const uint8_t *, size_t, struct bootlog *, bootlog_cb,
	    void *, struct riv_err *);
const char *bootlog_event_type_name(uint32_t);
int	bootlog_incomplete(const struct bootlog *, int, unsigned, char *,
	    size_t);
void	bootlog_incomplete_json(FILE *, const struct bootlog *);

size_t	bootlog_quirk_count(void);
const struct bootlog_quirk *bootlog_quirk_get(size_t);
int	bootlog_quirk_known(const char *);
int	bootlog_quirk_apply(const struct bootlog *, size_t, struct pcrset *);
int	bootlog_match(const struct bootlog *, const struct pcrset *,
	    struct bootlog_match *);
void	bootlog_quirk_json(FILE *, size_t);

#endif
