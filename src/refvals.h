/*
 * refvals.h — reference values: for each bank and PCR, the set of values an
 * operator accepts.  File format: rivd-reference(5).
 */
#ifndef RIV_REFVALS_H
#define RIV_REFVALS_H

#include <stdio.h>

#include "pcrset.h"
#include "util.h"

#define REFVALS_PER_PCR_MAX	256	/* allowed values per PCR per bank */

struct refvals;

/* Called for each reference PCR that fails; the message says why. */
typedef void (*refvals_fail_cb)(int bank, unsigned pcr, const char *msg,
    void *arg);

struct refvals	*refvals_parse(const struct json *, struct riv_err *);
struct refvals	*refvals_load(const char *, struct riv_err *);
void		 refvals_free(struct refvals *);
int		 refvals_check(const struct refvals *, const struct pcrset *,
		    refvals_fail_cb, void *);
size_t		 refvals_count(const struct refvals *);
int		 refvals_accepts_quirk(const struct refvals *, const char *);

#endif
