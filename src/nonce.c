/*
 * nonce.c — the seeded nonce chain (nonce.h) and the ietf-tcg-algs hash
 * identity names of the banks.
 *
 * rivd derives a nonce for every notification.  The one-shot HMAC() of
 * OpenSSL 3 fetches HMAC and the digest and builds a context on each call;
 * here each thread keeps an HMAC context per bank, its digest set once,
 * and only keys it for each nonce (nonce_derive), or a subscription keeps
 * one keyed with its seed (struct nonce_key): keying costs twice what the
 * nonce does.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "nonce.h"

/* ietf-tcg-algs identity of each bank, in enum bank_id order. */
static const char *const tcgalg_names[BANK_COUNT] = {
	"TPM_ALG_SHA1",
	"TPM_ALG_SHA256",
	"TPM_ALG_SHA384",
	"TPM_ALG_SHA512",
	"TPM_ALG_SM3_256",
};

/* A chain's HMAC context, keyed with its seed once. */
struct nonce_key {
	int		 bank;
	uint8_t		 seed[NONCE_SEED_MAX];
	size_t		 seedlen;
	EVP_MAC_CTX	*ctx;
};

/* A new HMAC context with the hash of bank b, not keyed; or NULL. */
static EVP_MAC_CTX *
hmac_new(const struct bank *b)
{
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	EVP_MAC *mac;

	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		return NULL;
	ctx = EVP_MAC_CTX_new(mac);	/* holds its own reference */
	EVP_MAC_free(mac);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)b->ossl, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (ctx != NULL && EVP_MAC_CTX_set_params(ctx, params) != 1) {
		EVP_MAC_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

/*
 * Return this thread's HMAC context with the hash of bank b (which OpenSSL
 * has), making it on first use; NULL if it cannot be made.  It holds the
 * key of the last nonce derived until the next one.
 */
static EVP_MAC_CTX *
hmac_ctx(int bank, const struct bank *b)
{
	static _Thread_local EVP_MAC_CTX *ctx[BANK_COUNT];

	if (ctx[bank] == NULL)
		ctx[bank] = hmac_new(b);
	return ctx[bank];
}

/*
 * Finish nonce n with ctx, keyed and initialised, into out (DIGEST_MAX
 * bytes) and its length, b's digest size, into outlen.  0, or -1.
 */
static int
hmac_finish(EVP_MAC_CTX *ctx, const struct bank *b, uint64_t n,
    uint8_t *out, size_t *outlen)
{
	uint8_t msg[8];
	size_t len = 0;
	int i;

	for (i = 7; i >= 0; i--) {
		msg[i] = n & 0xff;
		n >>= 8;
	}
	if (EVP_MAC_update(ctx, msg, sizeof(msg)) != 1 ||
	    EVP_MAC_final(ctx, out, &len, DIGEST_MAX) != 1 || len != b->size)
		return -1;
	*outlen = len;
	return 0;
}

/*
 * The bank of a chain under bank's hash seeded with seedlen bytes, or NULL
 * if the hash is unknown or unavailable or the seed out of bounds.
 */
static const struct bank *
chain_bank(int bank, size_t seedlen)
{
	if (seedlen < NONCE_SEED_MIN || seedlen > NONCE_SEED_MAX ||
	    !bank_available(bank))
		return NULL;
	return bank_get(bank);
}

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
	EVP_MAC_CTX *ctx;

	if ((b = chain_bank(bank, seedlen)) == NULL ||
	    (ctx = hmac_ctx(bank, b)) == NULL ||
	    EVP_MAC_init(ctx, seed, seedlen, NULL) != 1)
		return -1;
	return hmac_finish(ctx, b, n, out, outlen);
}

/*
 * A context for the nonces of the chain seeded with seed under bank's
 * hash, or NULL (bounds as nonce_derive's, or out of memory).
 */
struct nonce_key *
nonce_key_new(int bank, const uint8_t *seed, size_t seedlen)
{
	const struct bank *b;
	struct nonce_key *k;

	if ((b = chain_bank(bank, seedlen)) == NULL ||
	    (k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->bank = bank;
	memcpy(k->seed, seed, seedlen);
	k->seedlen = seedlen;
	if ((k->ctx = hmac_new(b)) == NULL ||
	    EVP_MAC_init(k->ctx, seed, seedlen, NULL) != 1) {
		nonce_key_free(k);
		return NULL;
	}
	return k;
}

/* Tell whether k is the context of the chain of seed under bank's hash. */
int
nonce_key_is(const struct nonce_key *k, int bank, const uint8_t *seed,
    size_t seedlen)
{
	return k != NULL && k->bank == bank && k->seedlen == seedlen &&
	    memcmp(k->seed, seed, seedlen) == 0;
}

/* Compute nonce n of k's chain, as nonce_derive does.  0, or -1. */
int
nonce_key_derive(struct nonce_key *k, uint64_t n, uint8_t *out,
    size_t *outlen)
{
	/* No key: the one set before, again (EVP_MAC_init(3); OpenSSL
	 * 3.0.3 on, which configure requires). */
	if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1)
		return -1;
	return hmac_finish(k->ctx, bank_get(k->bank), n, out, outlen);
}

/* Free a chain's context. */
void
nonce_key_free(struct nonce_key *k)
{
	if (k == NULL)
		return;
	EVP_MAC_CTX_free(k->ctx);
	OPENSSL_cleanse(k->seed, sizeof(k->seed));
	free(k);
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
