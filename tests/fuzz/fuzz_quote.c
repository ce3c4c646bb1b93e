/*
 * fuzz_quote.c — libFuzzer target for quote verification.  The input is
 * tried as a TPMS_ATTEST (quote_parse), as an AK key (akey_load, and if it
 * loads, as the AK of a fixed quote), as a TPMT_SIGNATURE over a fixed
 * attest with fixed RSA and EC keys, and split (two length bytes, attest,
 * signature) through the whole check sequence.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "quote.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct akey rsa_key, ec_key;
static struct pcrset zero_pcrs;

/* Generate the fixed keys and PCR values once. */
static void
setup(void)
{
	static const uint8_t zero[DIGEST_MAX];
	unsigned p;
	int b;

	if (rsa_key.pkey != NULL)
		return;
	setenv("TSS2_LOG", "all+none", 0);
	rsa_key.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ec_key.pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (rsa_key.pkey == NULL || ec_key.pkey == NULL)
		abort();
	pcrset_init(&zero_pcrs);
	for (b = 0; b < BANK_COUNT; b++)
		for (p = 0; p < PCR_COUNT; p++)
			pcrset_set(&zero_pcrs, b, p, zero);
}

/* Run every check on one attest and signature with key. */
static void
check_all(const uint8_t *attest, size_t alen, const uint8_t *sig,
    size_t slen, const struct akey *key)
{
	struct quote q;
	struct riv_err err;

	if (quote_parse(attest, alen, &q, &err) == RIV_MALFORMED)
		return;
	(void)quote_verify(attest, alen, sig, slen, key, &q, &err);
	(void)quote_check_nonce(&q, attest, alen < 64 ? alen : 64, &err);
	(void)quote_check_selection(&q, &err);
	(void)quote_check_pcrs(&q, &zero_pcrs, &err);
}

/* Feed the input to the parsers and verifiers; never crash or leak. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t attest[] = "fixed attest bytes";
	static const uint8_t sig[] = { 0x00, 0x14, 0x00, 0x0b, 0x00, 0x01,
	    0x00 };
	struct quote q;
	struct riv_err err;
	struct akey k;
	size_t alen;

	setup();
	(void)quote_parse(data, size, &q, &err);
	if (akey_load(data, size, &k, &err) == RIV_OK) {
		(void)quote_verify(attest, sizeof(attest), sig, sizeof(sig),
		    &k, &q, &err);
		akey_free(&k);
	}
	(void)quote_verify(attest, sizeof(attest), data, size, &rsa_key, &q,
	    &err);
	(void)quote_verify(attest, sizeof(attest), data, size, &ec_key, NULL,
	    &err);
	if (size >= 2) {
		alen = (size_t)data[0] << 8 | data[1];
		if (alen <= size - 2) {
			check_all(data + 2, alen, data + 2 + alen,
			    size - 2 - alen, &rsa_key);
			check_all(data + 2, alen, data + 2 + alen,
			    size - 2 - alen, &ec_key);
		}
	}
	return 0;
}
