/*
 * bank.c — PCR bank table and hashing.
 *
 * Digests are fetched from OpenSSL once; a bank whose digest OpenSSL lacks
 * (sm3_256 on some builds) is reported unavailable rather than failing.
 *
 * The SHA-1 and SHA-2 banks hash through OpenSSL's SHA1_Init/SHA256_Init
 * family, with the context on the stack.  OpenSSL 3.0 deprecates those
 * functions, but its EVP_DigestInit_ex2 frees and allocates the provider's
 * context on every call, even on a reused EVP_MD_CTX of the same digest:
 * measured here, that malloc, free and cleanse make a SHA-256 of 64 bytes
 * cost 160 ns through EVP and 100 ns without, and the IMA replay is made
 * of such hashes.  Both reach the same assembly (SHA-NI where the CPU has
 * it).  Other banks (sm3_256) go through a hasher's reusable EVP_MD_CTX.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA1_Init and the like, above */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bank.h"

static const struct bank banks[BANK_COUNT] = {
	{ TPM_ALG_SHA1,		"sha1",		20,	"SHA1" },
	{ TPM_ALG_SHA256,	"sha256",	32,	"SHA256" },
	{ TPM_ALG_SHA384,	"sha384",	48,	"SHA384" },
	{ TPM_ALG_SHA512,	"sha512",	64,	"SHA512" },
	{ TPM_ALG_SM3_256,	"sm3_256",	32,	"SM3" },
};

static EVP_MD	*bank_mds[BANK_COUNT];
static int	 bank_fetched[BANK_COUNT];

struct hasher {
	EVP_MD_CTX	*ctx[BANK_COUNT];	/* NULL: OpenSSL lacks the bank */
};

/* Return the bank with this id, or NULL. */
const struct bank *
bank_get(int id)
{
	if (id < 0 || id >= BANK_COUNT)
		return NULL;
	return &banks[id];
}

/* Return the bank id for a TPM_ALG_ID, or -1. */
int
bank_by_alg(uint16_t alg)
{
	int i;

	for (i = 0; i < BANK_COUNT; i++)
		if (banks[i].alg == alg)
			return i;
	return -1;
}

/* Return the bank id for a name such as "sha256", or -1. */
int
bank_by_name(const char *name)
{
	int i;

	for (i = 0; i < BANK_COUNT; i++)
		if (strcmp(banks[i].name, name) == 0)
			return i;
	return -1;
}

/* Return the OpenSSL digest of a bank, fetching it once; NULL if absent. */
static const EVP_MD *
fetch_md(int id)
{
	if (id < 0 || id >= BANK_COUNT)
		return NULL;
	if (!bank_fetched[id]) {
		bank_mds[id] = EVP_MD_fetch(NULL, banks[id].ossl, NULL);
		bank_fetched[id] = 1;
	}
	return bank_mds[id];
}

/* Tell whether OpenSSL can hash with this bank. */
int
bank_available(int id)
{
	return fetch_md(id) != NULL;
}

/*
 * Hash a (al bytes) then b (bl bytes) with a SHA-1 or SHA-2 bank into out
 * (which may overlap a or b), without EVP: 0, -1 on failure, or 1 if the
 * bank is not one of those.
 */
static int
hash_sha(int id, const void *a, size_t al, const void *b, size_t bl,
    uint8_t *out)
{
	SHA256_CTX c256;
	SHA512_CTX c512;
	SHA_CTX c1;
	int ok;

	switch (id) {
	case BANK_SHA1:
		ok = SHA1_Init(&c1) && SHA1_Update(&c1, a, al) &&
		    (bl == 0 || SHA1_Update(&c1, b, bl)) &&
		    SHA1_Final(out, &c1);
		break;
	case BANK_SHA256:
		ok = SHA256_Init(&c256) && SHA256_Update(&c256, a, al) &&
		    (bl == 0 || SHA256_Update(&c256, b, bl)) &&
		    SHA256_Final(out, &c256);
		break;
	case BANK_SHA384:
		ok = SHA384_Init(&c512) && SHA384_Update(&c512, a, al) &&
		    (bl == 0 || SHA384_Update(&c512, b, bl)) &&
		    SHA384_Final(out, &c512);
		break;
	case BANK_SHA512:
		ok = SHA512_Init(&c512) && SHA512_Update(&c512, a, al) &&
		    (bl == 0 || SHA512_Update(&c512, b, bl)) &&
		    SHA512_Final(out, &c512);
		break;
	default:
		return 1;
	}
	return ok ? 0 : -1;
}

/* Hash len bytes with a bank's algorithm into out; 0 or -1. */
int
bank_hash(int id, const void *data, size_t len, uint8_t *out)
{
	const EVP_MD *md;
	int rc;

	if ((rc = hash_sha(id, data, len, NULL, 0, out)) != 1)
		return rc;
	if ((md = fetch_md(id)) == NULL)
		return -1;
	return EVP_Digest(data, len, out, NULL, md, NULL) == 1 ? 0 : -1;
}

/* Extend pcr in place: pcr = H(pcr || digest); 0 or -1. */
int
bank_extend(int id, uint8_t *pcr, const uint8_t *digest)
{
	uint8_t buf[2 * DIGEST_MAX];
	size_t n;

	if (id < 0 || id >= BANK_COUNT)
		return -1;
	n = banks[id].size;
	memcpy(buf, pcr, n);
	memcpy(buf + n, digest, n);
	return bank_hash(id, buf, 2 * n, pcr);
}

/*
 * Allocate a hasher for repeated hashing: one digest context per bank, so
 * that hashing in turn with several banks never makes OpenSSL free and
 * allocate a context's algorithm data.  NULL if out of memory.
 */
struct hasher *
hasher_new(void)
{
	struct hasher *h;
	int b;

	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	for (b = 0; b < BANK_COUNT; b++)
		if (bank_available(b) &&
		    (h->ctx[b] = EVP_MD_CTX_new()) == NULL) {
			hasher_free(h);
			return NULL;
		}
	return h;
}

/* Free a hasher. */
void
hasher_free(struct hasher *h)
{
	int b;

	if (h == NULL)
		return;
	for (b = 0; b < BANK_COUNT; b++)
		EVP_MD_CTX_free(h->ctx[b]);
	free(h);
}

/*
 * Hash a (al bytes) then b (bl bytes, may be 0) with a bank's algorithm
 * into out, which may overlap a or b; 0 or -1.
 */
int
hasher_hash2(struct hasher *h, int id, const void *a, size_t al,
    const void *b, size_t bl, uint8_t *out)
{
	EVP_MD_CTX *c;
	int rc;

	if ((rc = hash_sha(id, a, al, b, bl, out)) != 1)
		return rc;
	if (id < 0 || id >= BANK_COUNT || (c = h->ctx[id]) == NULL)
		return -1;
	if (EVP_DigestInit_ex2(c, fetch_md(id), NULL) != 1 ||
	    EVP_DigestUpdate(c, a, al) != 1 ||
	    (bl > 0 && EVP_DigestUpdate(c, b, bl) != 1) ||
	    EVP_DigestFinal_ex(c, out, NULL) != 1)
		return -1;
	return 0;
}

/* Hash len bytes with a bank's algorithm; 0 or -1. */
int
hasher_hash(struct hasher *h, int id, const void *data, size_t len,
    uint8_t *out)
{
	return hasher_hash2(h, id, data, len, NULL, 0, out);
}

/* Extend pcr in place with digest: pcr = H(pcr || digest); 0 or -1. */
int
hasher_extend(struct hasher *h, int id, uint8_t *pcr, const uint8_t *digest)
{
	size_t n;

	if (id < 0 || id >= BANK_COUNT)
		return -1;
	n = banks[id].size;
	return hasher_hash2(h, id, pcr, n, digest, n, pcr);
}
