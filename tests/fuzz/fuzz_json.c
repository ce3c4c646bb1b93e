/*
 * fuzz_json.c — libFuzzer target for the JSON reader and the formats built
 * on it: PCR value files, reference value files and the IMA appraiser state
 * (restored against a fixed policy that allows one key in .ima; the seed
 * tests/fuzz/seeds/json/appraiser-state.json is a valid state for it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ima_policy.h"
#include "json.h"
#include "pcrset.h"
#include "refvals.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The policy appraiser states are restored against. */
static const char state_policy[] = "{\"version\":1,\"keyrings\":{\".ima\":"
    "[\"sha256:52c7d328ff7e1763da919ac6cc3fe00504b094ce80ad03cecd0fc7758d7b07f3"
    "\"]}}";

/* Restore the document as an appraiser state. */
static void
restore_state(const struct json *doc)
{
	static struct ima_policy *pol;
	struct ima_appraiser *a;
	struct riv_err err;

	if (pol == NULL && (pol = ima_policy_parse(state_policy,
	    strlen(state_policy), &err)) == NULL)
		abort();
	if ((a = ima_appraiser_new(pol)) == NULL)
		return;
	if (ima_appraiser_from_json(a, doc, &err) != RIV_OK &&
	    ima_appraiser_keys(a) != 0)
		abort();
	ima_appraiser_free(a);
}

/* Parse the input as JSON, then as a PCR set, reference values, a state. */
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
	restore_state(doc);
	json_free(doc);
	return 0;
}
