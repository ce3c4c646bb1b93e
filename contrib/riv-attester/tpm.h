/*
 * tpm.h — riv-attester's TPM: one TPM 2.0 reached through a TCTI (swtpm in
 * tests, /dev/tpmrm0 on hardware) with tpm2-tss ESYS.  It extends PCRs,
 * keeps a restricted signing attestation key (AK) and quotes PCRs with a
 * caller-given nonce.  The TPM is never bypassed: every quote is the TPM's.
 *
 * Not thread-safe: one thread uses a struct tpm at a time.
 */
#ifndef RIV_ATTESTER_TPM_H
#define RIV_ATTESTER_TPM_H

#include <stddef.h>
#include <stdint.h>

#include "bank.h"
#include "pcrset.h"
#include "util.h"

#define TPM_ATTEST_MAX	1024	/* sizeof(TPMS_ATTEST) marshalled, bounded */
#define TPM_SIG_MAX	1024	/* TPMT_SIGNATURE marshalled */
#define TPM_PUB_MAX	1024	/* TPM2B_PUBLIC marshalled */

enum tpm_ak_alg {
	TPM_AK_RSA,		/* RSA-2048, RSASSA-SHA256 */
	TPM_AK_ECC		/* ECC NIST P-256, ECDSA-SHA256 */
};

/* A quote as the TPM returned it. */
struct tpm_quote {
	uint8_t		attest[TPM_ATTEST_MAX];	/* TPMS_ATTEST, no size */
	size_t		attest_len;
	uint8_t		sig[TPM_SIG_MAX];	/* TPMT_SIGNATURE */
	size_t		sig_len;
	uint64_t	clock;		/* from the quote's clockInfo */
	uint32_t	reset_count;
	uint32_t	restart_count;
};

struct tpm;

/*
 * tpm_open: connect through TCTI configuration string tcti (the tctildr
 * syntax: "swtpm:host=127.0.0.1,port=2321", "device:/dev/tpmrm0"; NULL:
 * tctildr's default), start the TPM if it needs TPM2_Startup
 * (TPM_SU_CLEAR), and learn its allocated PCR banks.  name labels errors
 * (and names the AK files).  A swtpm configuration may give host and
 * port only (defaults 127.0.0.1 and 2321).
 * tpm_banks: mask of allocated banks (bit = enum bank_id), banks rivd knows.
 * tpm_ak: create (deterministically, as a primary key in the endorsement
 * hierarchy, whose authValue must be empty, so the same TPM always yields
 * the same key) and load the AK, replacing one loaded before; its
 * marshalled TPM2B_PUBLIC is copied to pub (TPM_PUB_MAX bytes, or NULL)
 * and its length to *publen (or NULL; its value on entry is not used)
 * and, if dir is not NULL, written to DIR/NAME-ak.pub (TPM2B_PUBLIC) and
 * DIR/NAME-ak.pem (SubjectPublicKeyInfo), each through a temporary file
 * renamed over it.
 * tpm_ak_generation: choose the AK generation (0 when opened) that
 * tpm_ak and tpm_reset use: generation g != 0 puts g (4 bytes,
 * big-endian) into the template's unique field, so the TPM derives
 * another key (an AK rotation); the same generation gives the same key.
 * tpm_extend: TPM2_PCR_Extend of PCR pcr with the digests of the banks in
 * mask (digests[bank]); banks the TPM has not allocated are skipped.
 * tpm_pcr_read: read the PCRs of mask in bank into values: the set's
 * mask and values of that bank are replaced (mask[bank] is then mask),
 * those of other banks are left as they were, so one set can collect
 * several banks; a bank the TPM has not allocated is an error.
 * tpm_quote: TPM2_Quote of the selection (bit n of sel[bank]: PCR n) with
 * the AK, qualifying data nonce (at most 64 bytes), the AK's own scheme;
 * selecting a bank the TPM has not allocated is an error naming it.
 * tpm_reset: for a swtpm TCTI only: TPM2_Shutdown(CLEAR) (an orderly
 * power cycle: swtpm counts each disorderly one after the AK was used as
 * a failed authorization and locks the AK out after three), power-cycle
 * the TPM through swtpm's control channel (CMD_INIT on port + 1, so swtpm
 * needs --ctrl type=tcp,port=PORT+1) and TPM2_Startup(CLEAR), a TPM Reset
 * (resetCount moves, every PCR restarts); with locality 3 the startup is
 * sent from that locality (swtpm's CMD_SET_LOCALITY, which needs no
 * --locality flag) so PCR 0 starts as 0...03, as a log's StartupLocality
 * event says; a TPM accepts TPM2_Startup from locality 0 and 3 only, so
 * others are refused.  The AK is recreated (same key).
 * tpm_swtpm: whether the TCTI is a swtpm (tpm_reset possible).
 * All but the accessors return 0, or -1 with err set.
 */
int	 tpm_open(const char *, const char *, struct tpm **, struct riv_err *);
void	 tpm_close(struct tpm *);
const char *tpm_name(const struct tpm *);
uint32_t tpm_banks(const struct tpm *);
int	 tpm_swtpm(const struct tpm *);
int	 tpm_ak(struct tpm *, enum tpm_ak_alg, const char *, uint8_t *,
	    size_t *, struct riv_err *);
void	 tpm_ak_generation(struct tpm *, uint32_t);
int	 tpm_extend(struct tpm *, unsigned,
	    const uint8_t [BANK_COUNT][DIGEST_MAX], uint32_t, struct riv_err *);
int	 tpm_pcr_read(struct tpm *, int, uint32_t, struct pcrset *,
	    struct riv_err *);
int	 tpm_quote(struct tpm *, const uint8_t *, size_t,
	    const uint32_t [BANK_COUNT], struct tpm_quote *, struct riv_err *);
int	 tpm_reset(struct tpm *, int, struct riv_err *);

#endif
