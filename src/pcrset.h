/*
 * pcrset.h — a set of PCR values per bank, as quoted, replayed or expected,
 * and its JSON form {"pcrs":{"sha256":{"0":"3d45..."}}}.
 */
#ifndef RIV_PCRSET_H
#define RIV_PCRSET_H

#include <stdint.h>
#include <stdio.h>

#include "bank.h"
#include "json.h"
#include "util.h"

#define PCR_COUNT 24		/* PCRs of a PC Client TPM */

struct pcrset {
	uint32_t	mask[BANK_COUNT];	/* bit n: PCR n present */
	uint8_t		val[BANK_COUNT][PCR_COUNT][DIGEST_MAX];
};

void		 pcrset_init(struct pcrset *);
int		 pcrset_has(const struct pcrset *, int, unsigned);
const uint8_t	*pcrset_get(const struct pcrset *, int, unsigned);
void		 pcrset_set(struct pcrset *, int, unsigned, const uint8_t *);
int		 pcrset_parse_index(const char *, unsigned *);
int		 pcrset_from_json(const struct json *, struct pcrset *,
		    struct riv_err *);
int		 pcrset_load(const char *, struct pcrset *, struct riv_err *);
void		 pcrset_write_json(FILE *, const struct pcrset *);

#endif
