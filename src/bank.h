/*
 * bank.h — the PCR banks (TPM hash algorithms) rivd knows, and hashing with
 * them through OpenSSL 3.
 */
#ifndef RIV_BANK_H
#define RIV_BANK_H

#include <stddef.h>
#include <stdint.h>

enum bank_id {
	BANK_SHA1,
	BANK_SHA256,
	BANK_SHA384,
	BANK_SHA512,
	BANK_SM3_256,
	BANK_COUNT
};

#define DIGEST_MAX 64		/* largest digest of any bank */

/* TPM_ALG_ID values (TPM 2.0 Part 2, table 9). */
#define TPM_ALG_SHA1	0x0004
#define TPM_ALG_SHA256	0x000b
#define TPM_ALG_SHA384	0x000c
#define TPM_ALG_SHA512	0x000d
#define TPM_ALG_SM3_256	0x0012

struct bank {
	uint16_t	 alg;		/* TPM_ALG_ID */
	const char	*name;		/* name in JSON and on the command line */
	size_t		 size;		/* digest size in bytes */
	const char	*ossl;		/* OpenSSL digest name */
};

struct hasher;

/* One hash of a batch (hasher_batch): a, then b (bl may be 0), into out. */
struct hash_job {
	int		 bank;
	const uint8_t	*a;
	size_t		 al;
	const uint8_t	*b;
	size_t		 bl;
	uint8_t		*out;
};

#define HASH_BATCH	8	/* jobs whose blocks hasher_batch interleaves */

const struct bank	*bank_get(int);
int			 bank_by_alg(uint16_t);
int			 bank_by_name(const char *);
int			 bank_available(int);
int			 bank_hash(int, const void *, size_t, uint8_t *);
int			 bank_extend(int, uint8_t *, const uint8_t *);

struct hasher		*hasher_new(void);
void			 hasher_free(struct hasher *);
int			 hasher_hash(struct hasher *, int, const void *, size_t,
			    uint8_t *);
int			 hasher_hash2(struct hasher *, int, const void *, size_t,
			    const void *, size_t, uint8_t *);
int			 hasher_extend(struct hasher *, int, uint8_t *,
			    const uint8_t *);
int			 hasher_batch(struct hasher *, const struct hash_job *,
			    size_t);

#endif
