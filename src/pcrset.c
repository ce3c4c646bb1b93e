/*
 * pcrset.c — PCR value sets and their JSON form.
 */
#include <stdlib.h>
#include <string.h>

#include "pcrset.h"

/* Empty a set. */
void
pcrset_init(struct pcrset *s)
{
	memset(s->mask, 0, sizeof(s->mask));
}

/* Tell whether the set holds PCR pcr of bank. */
int
pcrset_has(const struct pcrset *s, int bank, unsigned pcr)
{
	if (bank < 0 || bank >= BANK_COUNT || pcr >= PCR_COUNT)
		return 0;
	return (s->mask[bank] >> pcr) & 1;
}

/* Return PCR pcr of bank, or NULL if the set lacks it. */
const uint8_t *
pcrset_get(const struct pcrset *s, int bank, unsigned pcr)
{
	if (!pcrset_has(s, bank, pcr))
		return NULL;
	return s->val[bank][pcr];
}

/* Store a value (of the bank's digest size) for PCR pcr of bank. */
void
pcrset_set(struct pcrset *s, int bank, unsigned pcr, const uint8_t *d)
{
	if (bank < 0 || bank >= BANK_COUNT || pcr >= PCR_COUNT)
		return;
	memcpy(s->val[bank][pcr], d, bank_get(bank)->size);
	s->mask[bank] |= 1u << pcr;
}

/*
 * Parse a PCR index as written in JSON member names: decimal, no leading
 * zero, below PCR_COUNT.  0 or -1.
 */
int
pcrset_parse_index(const char *s, unsigned *pcr)
{
	size_t n = strlen(s);

	if (n == 0 || n > 2 || s[0] < '0' || s[0] > '9' ||
	    (n == 2 && (s[0] == '0' || s[1] < '0' || s[1] > '9')))
		return -1;
	*pcr = (unsigned)atoi(s);
	return *pcr < PCR_COUNT ? 0 : -1;
}

/* Read one bank object {"0":"hex",...} into the set. */
static int
read_bank(const struct json *b, int bank, const char *bname,
    struct pcrset *s, struct riv_err *err)
{
	const struct bank *bk = bank_get(bank);
	uint8_t d[DIGEST_MAX];
	size_t i, n;
	unsigned pcr;

	if (b->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED,
		    "pcrs.%s: expected an object at byte offset %zu", bname,
		    b->offset);
	for (i = 0; i < b->n; i++) {
		if (pcrset_parse_index(b->keys[i], &pcr) == -1)
			return err_set(err, RIV_MALFORMED,
			    "pcrs.%s: bad PCR index \"%s\" (0-%d)", bname,
			    b->keys[i], PCR_COUNT - 1);
		if (b->items[i]->type != JSON_STRING ||
		    hex_decode(b->items[i]->str, b->items[i]->len, d,
		    sizeof(d), &n) == -1 || n != bk->size)
			return err_set(err, RIV_MALFORMED,
			    "pcrs.%s.%u: expected %zu bytes of hex at byte "
			    "offset %zu", bname, pcr, bk->size,
			    b->items[i]->offset);
		pcrset_set(s, bank, pcr, d);
	}
	return RIV_OK;
}

/*
 * Fill a set from a JSON document: an object with a "pcrs" member, or the
 * bank map itself.  Unknown bank names are an error.
 */
int
pcrset_from_json(const struct json *doc, struct pcrset *s,
    struct riv_err *err)
{
	const struct json *pcrs;
	size_t i;
	int bank, rc;

	pcrset_init(s);
	if ((pcrs = json_get(doc, "pcrs")) == NULL)
		pcrs = doc;
	if (pcrs == NULL || pcrs->type != JSON_OBJECT)
		return err_set(err, RIV_MALFORMED,
		    "expected an object of PCR banks");
	for (i = 0; i < pcrs->n; i++) {
		if ((bank = bank_by_name(pcrs->keys[i])) == -1)
			return err_set(err, RIV_MALFORMED,
			    "pcrs: unknown bank \"%s\"", pcrs->keys[i]);
		rc = read_bank(pcrs->items[i], bank, pcrs->keys[i], s, err);
		if (rc != RIV_OK)
			return rc;
	}
	return RIV_OK;
}

/* Read a set from a JSON file. */
int
pcrset_load(const char *path, struct pcrset *s, struct riv_err *err)
{
	struct json *doc;
	struct riv_err perr;
	int rc;

	if ((doc = json_load(path, err)) == NULL)
		return RIV_MALFORMED;
	rc = pcrset_from_json(doc, s, &perr);
	json_free(doc);
	if (rc != RIV_OK)
		return err_set(err, rc, "%s: %s", path, perr.msg);
	return RIV_OK;
}

/* Write the bank map {"sha1":{"0":"..."},...} (the value of "pcrs"). */
void
pcrset_write_json(FILE *f, const struct pcrset *s)
{
	int bank, first_bank = 1, first;
	unsigned pcr;

	fputc('{', f);
	for (bank = 0; bank < BANK_COUNT; bank++) {
		if (s->mask[bank] == 0)
			continue;
		fprintf(f, "%s\"%s\":{", first_bank ? "" : ",",
		    bank_get(bank)->name);
		first_bank = 0;
		first = 1;
		for (pcr = 0; pcr < PCR_COUNT; pcr++) {
			if (!pcrset_has(s, bank, pcr))
				continue;
			fprintf(f, "%s\"%u\":", first ? "" : ",", pcr);
			json_put_hex(f, s->val[bank][pcr],
			    bank_get(bank)->size);
			first = 0;
		}
		fputc('}', f);
	}
	fputc('}', f);
}
