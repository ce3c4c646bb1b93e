/*
 * refvals.c — reference values for PCRs, several allowed values per PCR per
 * bank, read from a JSON file (rivd-reference(5)):
 *
 *	{"version":1,"pcrs":{"sha256":{"0":["hex",...],"7":"hex"}}},
 *	 "accept_quirks":["ebs-unlogged"]}
 *
 * accept_quirks names the known firmware defects (bootlog.h) under which a
 * boot log that matches the quote only with the defect is accepted.
 */
#include <stdlib.h>
#include <string.h>

#include "bootlog.h"
#include "refvals.h"

#define QUIRK_NAMES_MAX	32	/* distinct names accept_quirks may list */

/* The allowed values of one PCR in one bank. */
struct refpcr {
	size_t		  n;
	uint8_t		(*vals)[DIGEST_MAX];
};

struct refvals {
	struct refpcr	pcr[BANK_COUNT][PCR_COUNT];
	size_t		count;		/* PCRs with reference values */
	const char	*quirks[QUIRK_NAMES_MAX];	/* accepted quirk names
					   (the quirk table's strings) */
	size_t		nquirks;
};

/* Add one hex value to the allowed values of a PCR. */
static int
add_value(struct refpcr *rp, int bank, const char *where,
    const struct json *v, struct riv_err *err)
{
	size_t size = bank_get(bank)->size, n;
	uint8_t d[DIGEST_MAX];

	if (v->type != JSON_STRING || hex_decode(v->str, v->len, d,
	    sizeof(d), &n) == -1 || n != size)
		return err_set(err, RIV_MALFORMED,
		    "%s: expected %zu bytes of hex at byte offset %zu", where,
		    size, v->offset);
	if (rp->n >= REFVALS_PER_PCR_MAX)
		return err_set(err, RIV_MALFORMED,
		    "%s: more than %d allowed values", where,
		    REFVALS_PER_PCR_MAX);
	memcpy(rp->vals[rp->n++], d, size);
	return RIV_OK;
}

/* Read the allowed values of one PCR: a hex string or an array of them. */
static int
read_pcr(struct refvals *rv, int bank, const char *bname, const char *key,
    const struct json *v, struct riv_err *err)
{
	struct refpcr *rp;
	char where[64];
	unsigned pcr;
	size_t i, n;
	int rc;

	if (pcrset_parse_index(key, &pcr) == -1)
		return err_set(err, RIV_MALFORMED,
		    "pcrs.%s: bad PCR index \"%s\" (0-%d)", bname, key,
		    PCR_COUNT - 1);
	snprintf(where, sizeof(where), "pcrs.%s.%u", bname, pcr);
	rp = &rv->pcr[bank][pcr];
	if (rp->n > 0)
		return err_set(err, RIV_MALFORMED, "%s: listed twice", where);
	if (v->type != JSON_STRING && v->type != JSON_ARRAY)
		return err_set(err, RIV_MALFORMED,
		    "%s: expected a hex string or an array at byte offset %zu",
		    where, v->offset);
	n = v->type == JSON_ARRAY ? v->n : 1;
	if (n == 0)
		return err_set(err, RIV_MALFORMED,
		    "%s: empty list of allowed values", where);
	if (n > REFVALS_PER_PCR_MAX)
		return err_set(err, RIV_MALFORMED,
		    "%s: more than %d allowed values", where,
		    REFVALS_PER_PCR_MAX);
	if ((rp->vals = calloc(n, sizeof(*rp->vals))) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	for (i = 0; i < n; i++) {
		rc = add_value(rp, bank, where,
		    v->type == JSON_ARRAY ? v->items[i] : v, err);
		if (rc != RIV_OK)
			return rc;
	}
	rv->count++;
	return RIV_OK;
}

/* Read accept_quirks: an array of known quirk names, each listed once. */
static int
read_quirks(struct refvals *rv, const struct json *v, struct riv_err *err)
{
	const struct bootlog_quirk *q;
	const struct json *it;
	size_t i, k;

	if (v->type != JSON_ARRAY)
		return err_set(err, RIV_MALFORMED, "accept_quirks: expected an "
		    "array of quirk names at byte offset %zu", v->offset);
	for (i = 0; i < v->n; i++) {
		it = v->items[i];
		if (it->type != JSON_STRING)
			return err_set(err, RIV_MALFORMED, "accept_quirks: "
			    "expected a quirk name at byte offset %zu",
			    it->offset);
		for (k = 0; (q = bootlog_quirk_get(k)) != NULL; k++)
			if (strcmp(q->name, it->str) == 0)
				break;
		if (q == NULL)
			return err_set(err, RIV_MALFORMED, "accept_quirks: "
			    "unknown quirk \"%s\" at byte offset %zu (see "
			    "rivd-reference(5))", it->str, it->offset);
		if (refvals_accepts_quirk(rv, q->name))
			return err_set(err, RIV_MALFORMED, "accept_quirks: "
			    "\"%s\" listed twice (byte offset %zu)", it->str,
			    it->offset);
		if (rv->nquirks >= QUIRK_NAMES_MAX)
			return err_set(err, RIV_MALFORMED, "accept_quirks: "
			    "more than %d names", QUIRK_NAMES_MAX);
		rv->quirks[rv->nquirks++] = q->name;
	}
	return RIV_OK;
}

/* Build reference values from a parsed document. */
struct refvals *
refvals_parse(const struct json *doc, struct riv_err *err)
{
	const struct json *ver, *pcrs, *b, *aq;
	struct refvals *rv;
	unsigned long long version;
	size_t i, j;
	int bank;

	if (doc == NULL || doc->type != JSON_OBJECT) {
		err_set(err, RIV_MALFORMED, "expected a JSON object");
		return NULL;
	}
	if ((ver = json_get(doc, "version")) != NULL &&
	    (json_uint(ver, 1000, &version) == -1 || version != 1)) {
		err_set(err, RIV_MALFORMED,
		    "version: only version 1 is understood");
		return NULL;
	}
	if ((pcrs = json_get(doc, "pcrs")) == NULL ||
	    pcrs->type != JSON_OBJECT) {
		err_set(err, RIV_MALFORMED, "expected a \"pcrs\" object");
		return NULL;
	}
	if ((rv = calloc(1, sizeof(*rv))) == NULL) {
		err_set(err, RIV_MALFORMED, "out of memory");
		return NULL;
	}
	for (i = 0; i < pcrs->n; i++) {
		if ((bank = bank_by_name(pcrs->keys[i])) == -1) {
			err_set(err, RIV_MALFORMED, "pcrs: unknown bank \"%s\"",
			    pcrs->keys[i]);
			goto fail;
		}
		b = pcrs->items[i];
		if (b->type != JSON_OBJECT) {
			err_set(err, RIV_MALFORMED,
			    "pcrs.%s: expected an object at byte offset %zu",
			    pcrs->keys[i], b->offset);
			goto fail;
		}
		for (j = 0; j < b->n; j++)
			if (read_pcr(rv, bank, pcrs->keys[i], b->keys[j],
			    b->items[j], err) != RIV_OK)
				goto fail;
	}
	if ((aq = json_get(doc, "accept_quirks")) != NULL &&
	    read_quirks(rv, aq, err) != RIV_OK)
		goto fail;
	return rv;
fail:
	refvals_free(rv);
	return NULL;
}

/* Read reference values from a file; errors name the file. */
struct refvals *
refvals_load(const char *path, struct riv_err *err)
{
	struct json *doc;
	struct refvals *rv;
	struct riv_err perr;

	if ((doc = json_load(path, err)) == NULL)
		return NULL;
	rv = refvals_parse(doc, &perr);
	json_free(doc);
	if (rv == NULL)
		err_set(err, RIV_MALFORMED, "%s: %s", path, perr.msg);
	return rv;
}

/* Free reference values. */
void
refvals_free(struct refvals *rv)
{
	int b;
	unsigned p;

	if (rv == NULL)
		return;
	for (b = 0; b < BANK_COUNT; b++)
		for (p = 0; p < PCR_COUNT; p++)
			free(rv->pcr[b][p].vals);
	free(rv);
}

/* Return how many bank/PCR pairs have reference values. */
size_t
refvals_count(const struct refvals *rv)
{
	return rv->count;
}

/* Tell whether the reference values accept the quirk called name. */
int
refvals_accepts_quirk(const struct refvals *rv, const char *name)
{
	size_t i;

	if (rv == NULL)
		return 0;
	for (i = 0; i < rv->nquirks; i++)
		if (strcmp(rv->quirks[i], name) == 0)
			return 1;
	return 0;
}

/* Tell whether value d is among the allowed values of rp. */
static int
is_allowed(const struct refpcr *rp, const uint8_t *d, size_t size)
{
	size_t i;

	for (i = 0; i < rp->n; i++)
		if (memcmp(rp->vals[i], d, size) == 0)
			return 1;
	return 0;
}

/*
 * Compare evidence with the reference values: every PCR that has reference
 * values must be present in the evidence and equal one of them.  Calls fail
 * for each PCR that does not; returns RIV_OK or RIV_FAIL.
 */
int
refvals_check(const struct refvals *rv, const struct pcrset *ev,
    refvals_fail_cb fail, void *arg)
{
	char msg[256], hex[2 * DIGEST_MAX + 1];
	const uint8_t *d;
	size_t size;
	int b, rc = RIV_OK;
	unsigned p;

	for (b = 0; b < BANK_COUNT; b++) {
		size = bank_get(b)->size;
		for (p = 0; p < PCR_COUNT; p++) {
			if (rv->pcr[b][p].n == 0)
				continue;
			if ((d = pcrset_get(ev, b, p)) == NULL) {
				snprintf(msg, sizeof(msg), "%s PCR %u: no "
				    "verified value to compare with the "
				    "reference", bank_get(b)->name, p);
			} else if (!is_allowed(&rv->pcr[b][p], d, size)) {
				hex_encode(d, size, hex);
				snprintf(msg, sizeof(msg), "%s PCR %u: value "
				    "%s is not an allowed reference value",
				    bank_get(b)->name, p, hex);
			} else
				continue;
			rc = RIV_FAIL;
			if (fail != NULL)
				fail(b, p, msg, arg);
		}
	}
	return rc;
}
