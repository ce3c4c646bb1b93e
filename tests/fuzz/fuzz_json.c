/*
 * fuzz_json.c — libFuzzer target for the JSON reader and the two formats
 * built on it: PCR value files and reference value files.
 */
#include <stdint.h>
#include <stdlib.h>

#include "json.h"
#include "pcrset.h"
#include "refvals.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse the input as JSON, then as a PCR set and as reference values. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct riv_err err;
	struct json *doc;
	struct pcrset *s;
	struct refvals *rv;

	if ((doc = json_parse((const char *)data, len, &err)) == NULL)
		return 0;
	if ((s = malloc(sizeof(*s))) != NULL) {
		if (pcrset_from_json(doc, s, &err) == RIV_OK &&
		    (rv = refvals_parse(doc, &err)) != NULL) {
			refvals_check(rv, s, NULL, NULL);
			refvals_free(rv);
		} else if ((rv = refvals_parse(doc, &err)) != NULL)
			refvals_free(rv);
		free(s);
	}
	json_free(doc);
	return 0;
}
