/*
 * bootlog.h — TCG PC Client measured-boot event log: parse the legacy SHA1
 * and the crypto-agile formats and replay them into PCR values.
 */
#ifndef RIV_BOOTLOG_H
#define RIV_BOOTLOG_H

#include <stddef.h>
#include <stdint.h>

#include "pcrset.h"
#include "util.h"

#define BOOTLOG_ALGS_MAX	16	/* digests per event we accept */

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
};

/* The outcome of a replay. */
struct bootlog {
	enum bootlog_format format;
	uint32_t	 bank_mask;	/* banks whose digests the log carries */
	uint32_t	 nevents;
	int		 startup_locality;	/* -1 if the log has none */
	struct pcrset	 pcrs;		/* replayed values of touched PCRs */
};

typedef int (*bootlog_cb)(const struct bootlog_event *, void *);

int	bootlog_replay(const uint8_t *, size_t, struct bootlog *, bootlog_cb,
	    void *, struct riv_err *);
const char *bootlog_event_type_name(uint32_t);

#endif
