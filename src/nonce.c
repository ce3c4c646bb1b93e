/*
 * nonce.c — the seeded nonce chain (nonce.h) and the ietf-tcg-algs hash
 * identity names of the banks.
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "nonce.h"

/* ietf-tcg-algs identity of each bank, in enum bank_id order. */
static const char *const tcgalg_names[BANK_COUNT] = {
	"TPM_ALG_SHA1",
	"TPM_ALG_SHA256",
	"TPM_ALG_SHA384",
	"TPM_ALG_SHA512",
	"TPM_ALG_SM3_256",
};

/*
 * Compute nonce n of the chain seeded with seed under bank's hash into out
 * (DIGEST_MAX bytes), its length into outlen.  Return 0, or -1 if the seed
 * length is out of bounds or the hash is unavailable.
 */
int
nonce_derive(int bank, const uint8_t *seed, size_t seedlen, uint64_t n,
    uint8_t *out, size_t *outlen)
{
	const struct bank *b;
	const EVP_MD *md;
	uint8_t msg[8];
	unsigned int len = 0;
	int i;

	if ((b = bank_get(bank)) == NULL || !bank_available(bank) ||
	    seedlen < NONCE_SEED_MIN || seedlen > NONCE_SEED_MAX)
		return -1;
	if ((md = EVP_get_digestbyname(b->ossl)) == NULL)
		return -1;
	for (i = 7; i >= 0; i--) {
		msg[i] = n & 0xff;
		n >>= 8;
	}
	if (HMAC(md, seed, (int)seedlen, msg, sizeof(msg), out, &len) == NULL ||
	    len != b->size)
		return -1;
	*outlen = len;
	return 0;
}

/* Compute the 8-byte seed-id of seed under bank's hash.  Return 0 or -1. */
int
nonce_seed_id(int bank, const uint8_t *seed, size_t seedlen, uint8_t *id)
{
	uint8_t d[DIGEST_MAX];

	if (seedlen < NONCE_SEED_MIN || seedlen > NONCE_SEED_MAX ||
	    bank_hash(bank, seed, seedlen, d) != 0)
		return -1;
	memcpy(id, d, NONCE_SEED_ID);
	return 0;
}

/*
 * Return the bank of an ietf-tcg-algs hash identity ("TPM_ALG_SHA256", with
 * or without a module prefix such as "taa:" or "ietf-tcg-algs:"), or -1.
 */
int
tcgalg_bank(const char *name)
{
	const char *colon;
	int i;

	if ((colon = strchr(name, ':')) != NULL)
		name = colon + 1;
	for (i = 0; i < BANK_COUNT; i++)
		if (strcmp(tcgalg_names[i], name) == 0)
			return i;
	return -1;
}

/* Return the ietf-tcg-algs identity name of a bank, or NULL. */
const char *
tcgalg_name(int bank)
{
	if (bank < 0 || bank >= BANK_COUNT)
		return NULL;
	return tcgalg_names[bank];
}
