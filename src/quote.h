/*
 * quote.h — TPM 2.0 quote verification: TPMS_ATTEST + TPMT_SIGNATURE checked
 * against an attestation key (AK), an expected nonce and PCR values.
 */
#ifndef RIV_QUOTE_H
#define RIV_QUOTE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "pcrset.h"
#include "util.h"

#define QUOTE_SEL_MAX	16	/* TPM2_NUM_PCR_BANKS: entries of a selection */
#define QUOTE_NAME_MAX	68	/* TPMU_NAME: algorithm id + largest digest */
#define QUOTE_DATA_MAX	64	/* TPM2B_DATA: sizeof(TPMU_HA) in libtss2 */
#define QUOTE_FILE_MAX	(64u * 1024)	/* largest attest, signature, AK file */

#define TPM_GENERATED_VALUE	0xff544347u
#define TPM_ST_ATTEST_QUOTE	0x8018

/* TPM_ALG_ID of the signature schemes (TPM 2.0 Part 2, table 9). */
#define TPM_ALG_RSASSA	0x0014
#define TPM_ALG_RSAPSS	0x0016
#define TPM_ALG_ECDSA	0x0018
#define TPM_ALG_NULL	0x0010

/*
 * An attestation key.  Loaded from a TPM public area, it also says whether
 * the TPM made it a restricted signing key and which scheme it fixes; from
 * a SubjectPublicKeyInfo or certificate nothing of that is known.
 *
 * akey_load also prepares what every verification with the key needs: a
 * verify context (with the digest and padding of an RSA key's fixed
 * scheme), copied for each quote, and an EC key's group order.  A key with
 * only pkey set (all else zero) verifies too, preparing them every time.
 */
struct akey {
	EVP_PKEY	*pkey;
	int		 tpm;		/* loaded from a TPMT_PUBLIC */
	uint32_t	 attrs;		/* its objectAttributes */
	uint16_t	 symmetric;	/* its parameters.symmetric.algorithm */
	uint16_t	 scheme;	/* its scheme; TPM_ALG_NULL: any */
	uint16_t	 hash;		/* the scheme's hash */
	EVP_PKEY_CTX	*vctx;		/* verify context, or NULL */
	int		 vset;		/* vctx has the scheme's digest, padding */
	BIGNUM		*order;		/* EC: the group order, or NULL */
};

/* The PCRs a quote covers in one bank. */
struct quote_sel {
	uint16_t	alg;		/* TPM_ALG_ID as quoted */
	int		bank;		/* bank id, or -1 if rivd lacks it */
	uint32_t	mask;		/* bit n: PCR n selected */
};

/* What a parsed TPMS_ATTEST of type TPM_ST_ATTEST_QUOTE says. */
struct quote {
	uint32_t	magic;
	uint16_t	type;
	uint8_t		signer[QUOTE_NAME_MAX];	/* qualifiedSigner */
	size_t		signer_len;
	uint8_t		extra[QUOTE_DATA_MAX];	/* extraData (the nonce) */
	size_t		extra_len;
	uint64_t	clock;
	uint32_t	reset_count;
	uint32_t	restart_count;
	int		safe;
	uint64_t	firmware_version;
	struct quote_sel sel[QUOTE_SEL_MAX];	/* in quoted order */
	size_t		nsel;
	uint8_t		pcr_digest[DIGEST_MAX];
	size_t		pcr_digest_len;
	uint16_t	sig_alg;		/* TPM_ALG_RSASSA, _RSAPSS, _ECDSA */
	uint16_t	sig_hash;		/* TPM_ALG_ID of the signature's hash */
	int		sig_bank;		/* bank of the signature's hash, or -1 */
};

/*
 * Return values: RIV_OK, RIV_FAIL (well formed but not valid: bad signature,
 * an AK that is no restricted signing key or another scheme than its own,
 * not a TPM-generated quote, other nonce, other PCR digest) or RIV_MALFORMED
 * (unparseable or unsupported input: a signature OpenSSL cannot check, a
 * selected bank rivd lacks or PCR above 23; for quote_check_pcrs a selected
 * PCR without a value).
 *
 * akey_load fills ak (free it with akey_free) and accepts a well-formed TPM
 * public area of any key: quote_verify fails unless it is an AK.
 * quote_parse fills the quote even when it returns RIV_FAIL for a wrong magic
 * or type (as far as the structure could be read); quote_verify checks the
 * signature over the raw attest bytes and records its scheme and hash in the
 * quote (which may be NULL); quote_check_selection tells whether rivd can
 * check the selected PCRs; quote_check_pcrs does so, hashing the supplied
 * values of the selected PCRs with the signature's hash (call quote_verify
 * first).
 */

int		 akey_load(const uint8_t *, size_t, struct akey *,
		    struct riv_err *);
void		 akey_free(struct akey *);
int		 quote_parse(const uint8_t *, size_t, struct quote *,
		    struct riv_err *);
int		 quote_verify(const uint8_t *, size_t, const uint8_t *, size_t,
		    const struct akey *, struct quote *, struct riv_err *);
int		 quote_check_nonce(const struct quote *, const uint8_t *, size_t,
		    struct riv_err *);
int		 quote_check_selection(const struct quote *, struct riv_err *);
int		 quote_check_pcrs(const struct quote *, const struct pcrset *,
		    struct riv_err *);
const char	*quote_type_name(uint16_t);
const char	*quote_scheme_name(uint16_t);

#endif
