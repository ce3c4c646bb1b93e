/*
 * nonce.h — the seeded nonce chain of the riv-attestation-streams module,
 * computed the same way by attester and verifier, and the names of the
 * ietf-tcg-algs hash identities rivd maps to its banks.
 *
 *   nonce_n = HMAC-H(key = seed, message = n as 8-byte big-endian)
 *   seed-id = the first 8 bytes of H(seed)
 *
 * H is the subscription's nonce-hash-algo (default SHA-256); the full HMAC
 * output is the nonce, and it is every quote's qualifying data.
 */
#ifndef RIV_NONCE_H
#define RIV_NONCE_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"

#define NONCE_SEED_MIN	16	/* nonce-seed length bounds (YANG) */
#define NONCE_SEED_MAX	64
#define NONCE_SEED_ID	8	/* bytes of a seed-id */

struct nonce_key;

int		 nonce_derive(int, const uint8_t *, size_t, uint64_t,
		    uint8_t *, size_t *);
struct nonce_key *nonce_key_new(int, const uint8_t *, size_t);
int		 nonce_key_is(const struct nonce_key *, int, const uint8_t *,
		    size_t);
int		 nonce_key_derive(struct nonce_key *, uint64_t, uint8_t *,
		    size_t *);
void		 nonce_key_free(struct nonce_key *);
int		 nonce_seed_id(int, const uint8_t *, size_t, uint8_t *);
int		 tcgalg_bank(const char *);
const char	*tcgalg_name(int);

#endif
