/*
 * quote.c — TPM 2.0 quote verification.
 *
 * The TPM structures (TPMS_ATTEST, TPMT_SIGNATURE, TPMT_PUBLIC) are read
 * with libtss2-mu one field at a time, so that an error names the field and
 * its byte offset, and every structure must use its whole buffer: trailing
 * bytes are malformed.  Signatures are checked with OpenSSL 3 EVP over the
 * raw attest bytes, hashed with the bank's hash and the digest verified as
 * EVP_DigestVerify would; an AK given as a TPM public area becomes an
 * EVP_PKEY through EVP_PKEY_fromdata.  Nothing here reads files, so the
 * daemon can call it for every notification.
 *
 * Making a verify context (fetching by name) and reading the EC group
 * order for every quote cost a tenth of an ECDSA P-256 check, so akey_load
 * does both once per key (the context with the digest and padding of an
 * RSA AK's fixed scheme).  A quote verifies with that context itself
 * when it needs no other parameters (EVP_PKEY_verify may be called again
 * on a context for operations with the same parameters; rivd and rivctl
 * verify on one thread), else with a copy (EVP_PKEY_CTX_dup).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "pem.h"
#include "quote.h"

#define RSA_BITS_MIN	1024
#define RSA_BITS_MAX	16384
#define EC_FIELD_MAX	66		/* bytes of a P-521 coordinate */
#define PCR_CONCAT_MAX	(BANK_COUNT * PCR_COUNT * DIGEST_MAX)

/* struct quote's buffers hold what libtss2-mu reads, no more, no less. */
_Static_assert(sizeof(((struct quote *)0)->signer) ==
    sizeof(((TPM2B_NAME *)0)->name), "qualifiedSigner buffer");
_Static_assert(sizeof(((struct quote *)0)->extra) ==
    sizeof(((TPM2B_DATA *)0)->buffer), "extraData buffer");
_Static_assert(sizeof(((struct quote *)0)->pcr_digest) ==
    sizeof(((TPM2B_DIGEST *)0)->buffer), "pcrDigest buffer");
_Static_assert(QUOTE_SEL_MAX == TPM2_NUM_PCR_BANKS, "selection entries");

/* A NIST curve rivd accepts for an AK. */
struct curve {
	uint16_t	 tpm;		/* TPM_ECC_CURVE */
	const char	*name;		/* OpenSSL group name */
	size_t		 size;		/* bytes of a coordinate */
};

static const struct curve curves[] = {
	{ TPM2_ECC_NIST_P256,	"prime256v1",	32 },
	{ TPM2_ECC_NIST_P384,	"secp384r1",	48 },
	{ TPM2_ECC_NIST_P521,	"secp521r1",	66 },
};

/* Names of the TPMI_ST_ATTEST structure types. */
static const struct {
	uint16_t	 type;
	const char	*name;
} attest_types[] = {
	{ TPM2_ST_ATTEST_NV,		"nv" },
	{ TPM2_ST_ATTEST_COMMAND_AUDIT,	"command_audit" },
	{ TPM2_ST_ATTEST_SESSION_AUDIT,	"session_audit" },
	{ TPM2_ST_ATTEST_CERTIFY,	"certify" },
	{ TPM2_ST_ATTEST_QUOTE,		"quote" },
	{ TPM2_ST_ATTEST_TIME,		"time" },
	{ TPM2_ST_ATTEST_CREATION,	"creation" },
	{ 0x801c,			"nv_digest" },
};

/* Names of the signature schemes. */
static const struct {
	uint16_t	 alg;
	const char	*name;
} schemes[] = {
	{ TPM2_ALG_RSASSA,	"rsassa" },
	{ TPM2_ALG_RSAPSS,	"rsapss" },
	{ TPM2_ALG_ECDSA,	"ecdsa" },
	{ TPM2_ALG_ECDAA,	"ecdaa" },
	{ TPM2_ALG_SM2,		"sm2" },
	{ TPM2_ALG_ECSCHNORR,	"ecschnorr" },
	{ TPM2_ALG_HMAC,	"hmac" },
	{ TPM2_ALG_NULL,	"null" },
};

/*
 * Keep libtss2-mu from logging decoding errors to stderr (unless TSS2_LOG
 * already says otherwise): errors are reported through riv_err instead.
 */
static void
mu_quiet(void)
{
	static int done;

	if (!done) {
		setenv("TSS2_LOG", "marshal+none", 0);
		done = 1;
	}
}

/* Describe a libtss2-mu error for an operator. */
static const char *
mu_reason(TSS2_RC rc)
{
	switch (rc & 0xffff) {
	case TSS2_BASE_RC_INSUFFICIENT_BUFFER:
		return "truncated";
	case TSS2_BASE_RC_BAD_SIZE:
		return "size larger than the structure allows";
	case TSS2_BASE_RC_BAD_VALUE:
		return "unknown selector value";
	case TSS2_BASE_RC_MALFORMED_RESPONSE:
		return "count or size larger than the structure allows";
	default:
		return "cannot be decoded";
	}
}

/* Record a failure to read field what of structure st at byte offset at. */
static int
mu_fail(struct riv_err *err, const char *st, const char *what, size_t at,
    size_t len, TSS2_RC rc)
{
	return err_set(err, RIV_MALFORMED, "%s: %s at byte offset %zu: %s "
	    "(%zu bytes left)", st, what, at, mu_reason(rc),
	    at <= len ? len - at : 0);
}

/*
 * Check the size of a TPM2B of at most max bytes at byte offset at of
 * structure st before libtss2-mu reads it, so that a size beyond what the
 * structure allows is not reported as truncation.
 */
static int
check_tpm2b(const uint8_t *buf, size_t len, size_t at, size_t max,
    const char *st, const char *what, struct riv_err *err)
{
	size_t size;

	if (at > len || len - at < 2)
		return mu_fail(err, st, what, at, len,
		    TSS2_MU_RC_INSUFFICIENT_BUFFER);
	size = (size_t)buf[at] << 8 | buf[at + 1];
	if (size > max)
		return err_set(err, RIV_MALFORMED, "%s: %s: size %zu exceeds "
		    "%zu at byte offset %zu", st, what, size, max, at);
	if (size > len - at - 2)
		return err_set(err, RIV_MALFORMED, "%s: %s: size %zu exceeds "
		    "the %zu bytes left at byte offset %zu: truncated", st,
		    what, size, len - at - 2, at);
	return RIV_OK;
}

/* Record trailing bytes after structure st ends at byte offset off. */
static int
trailing_fail(struct riv_err *err, const char *st, size_t off, size_t len)
{
	return err_set(err, RIV_MALFORMED, "%s: %zu trailing bytes after the "
	    "structure ends at byte offset %zu", st, len - off, off);
}

/* Return the name of a TPMI_ST_ATTEST type ("quote", ...), or NULL. */
const char *
quote_type_name(uint16_t type)
{
	size_t i;

	for (i = 0; i < sizeof(attest_types) / sizeof(attest_types[0]); i++)
		if (attest_types[i].type == type)
			return attest_types[i].name;
	return NULL;
}

/* Return the name of a signature scheme ("rsassa", ...), or NULL. */
const char *
quote_scheme_name(uint16_t alg)
{
	size_t i;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].alg == alg)
			return schemes[i].name;
	return NULL;
}

/* Return the name of a hash algorithm, or NULL if rivd lacks it. */
static const char *
hash_name(uint16_t alg)
{
	int b = bank_by_alg(alg);

	return b < 0 ? NULL : bank_get(b)->name;
}

/* Read magic, type, qualifiedSigner and extraData of a TPMS_ATTEST. */
static int
parse_names(const uint8_t *buf, size_t len, size_t *off, struct quote *q,
    struct riv_err *err)
{
	TPM2B_NAME name;
	TPM2B_DATA data;
	size_t at;
	TSS2_RC r;
	int rc;

	at = *off;
	if ((r = Tss2_MU_UINT32_Unmarshal(buf, len, off, &q->magic)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "magic", at, len, r);
	at = *off;
	if ((r = Tss2_MU_UINT16_Unmarshal(buf, len, off, &q->type)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "type", at, len, r);
	at = *off;
	if ((rc = check_tpm2b(buf, len, at, sizeof(name.name), "TPMS_ATTEST",
	    "qualifiedSigner", err)) != RIV_OK)
		return rc;
	if ((r = Tss2_MU_TPM2B_NAME_Unmarshal(buf, len, off, &name)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "qualifiedSigner", at, len,
		    r);
	memcpy(q->signer, name.name, name.size);
	q->signer_len = name.size;
	at = *off;
	if ((rc = check_tpm2b(buf, len, at, sizeof(data.buffer), "TPMS_ATTEST",
	    "extraData", err)) != RIV_OK)
		return rc;
	if ((r = Tss2_MU_TPM2B_DATA_Unmarshal(buf, len, off, &data)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "extraData", at, len, r);
	memcpy(q->extra, data.buffer, data.size);
	q->extra_len = data.size;
	return RIV_OK;
}

/* Read clockInfo and firmwareVersion of a TPMS_ATTEST. */
static int
parse_clock(const uint8_t *buf, size_t len, size_t *off, struct quote *q,
    struct riv_err *err)
{
	TPMS_CLOCK_INFO ci;
	size_t at;
	TSS2_RC r;

	at = *off;
	if ((r = Tss2_MU_TPMS_CLOCK_INFO_Unmarshal(buf, len, off, &ci)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "clockInfo", at, len, r);
	if (ci.safe > 1)
		return err_set(err, RIV_MALFORMED, "TPMS_ATTEST: clockInfo.safe "
		    "at byte offset %zu is %u, neither YES (1) nor NO (0)",
		    at + 16, ci.safe);
	q->clock = ci.clock;
	q->reset_count = ci.resetCount;
	q->restart_count = ci.restartCount;
	q->safe = ci.safe;
	at = *off;
	if ((r = Tss2_MU_UINT64_Unmarshal(buf, len, off,
	    &q->firmware_version)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "firmwareVersion", at, len, r);
	return RIV_OK;
}

/*
 * Turn a TPML_PCR_SELECTION read at byte offset at into the quote's
 * selection; a hash algorithm listed twice is malformed.
 */
static int
store_selection(const TPML_PCR_SELECTION *ps, size_t at, struct quote *q,
    struct riv_err *err)
{
	const TPMS_PCR_SELECTION *s;
	size_t i, j, entry = at + 4;
	unsigned k;

	for (i = 0; i < ps->count; i++) {
		s = &ps->pcrSelections[i];
		for (j = 0; j < i; j++)
			if (q->sel[j].alg == s->hash)
				return err_set(err, RIV_MALFORMED,
				    "TPMS_ATTEST: attested.quote.pcrSelect "
				    "entry %zu at byte offset %zu repeats hash "
				    "algorithm 0x%04x", i, entry, s->hash);
		q->sel[i].alg = s->hash;
		q->sel[i].bank = bank_by_alg(s->hash);
		q->sel[i].mask = 0;
		for (k = 0; k < s->sizeofSelect; k++)
			q->sel[i].mask |= (uint32_t)s->pcrSelect[k] << (8 * k);
		entry += 3 + s->sizeofSelect;
	}
	q->nsel = ps->count;
	return RIV_OK;
}

/* Read the TPMS_QUOTE_INFO (PCR selection and pcrDigest) of a quote. */
static int
parse_quote_info(const uint8_t *buf, size_t len, size_t *off,
    struct quote *q, struct riv_err *err)
{
	TPML_PCR_SELECTION ps;
	TPM2B_DIGEST dig;
	size_t at;
	TSS2_RC r;
	int rc;

	at = *off;
	if ((r = Tss2_MU_TPML_PCR_SELECTION_Unmarshal(buf, len, off, &ps)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "attested.quote.pcrSelect",
		    at, len, r);
	if ((rc = store_selection(&ps, at, q, err)) != RIV_OK)
		return rc;
	at = *off;
	if ((rc = check_tpm2b(buf, len, at, sizeof(dig.buffer), "TPMS_ATTEST",
	    "attested.quote.pcrDigest", err)) != RIV_OK)
		return rc;
	if ((r = Tss2_MU_TPM2B_DIGEST_Unmarshal(buf, len, off, &dig)) != 0)
		return mu_fail(err, "TPMS_ATTEST", "attested.quote.pcrDigest",
		    at, len, r);
	memcpy(q->pcr_digest, dig.buffer, dig.size);
	q->pcr_digest_len = dig.size;
	return RIV_OK;
}

/* Fail unless the structure is TPM-generated and a quote. */
static int
check_magic_type(const struct quote *q, struct riv_err *err)
{
	const char *name;

	if (q->magic != TPM_GENERATED_VALUE)
		return err_set(err, RIV_FAIL, "TPMS_ATTEST: magic 0x%08x is not "
		    "TPM_GENERATED_VALUE (0xff544347): not generated by a TPM",
		    q->magic);
	if (q->type != TPM_ST_ATTEST_QUOTE) {
		name = quote_type_name(q->type);
		return err_set(err, RIV_FAIL, "TPMS_ATTEST: type 0x%04x (%s) "
		    "is not TPM_ST_ATTEST_QUOTE (0x8018)", q->type,
		    name != NULL ? name : "unknown");
	}
	return RIV_OK;
}

/*
 * Read the attested union of a structure that is not a quote, only to tell
 * a malformed structure from a well-formed one of another type.
 */
static int
skip_attested(const uint8_t *buf, size_t len, size_t *off,
    const struct quote *q, struct riv_err *err)
{
	TPMU_ATTEST *u;
	size_t at = *off;
	TSS2_RC r;

	if (quote_type_name(q->type) == NULL)
		return check_magic_type(q, err);
	if ((u = malloc(sizeof(*u))) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	r = Tss2_MU_TPMU_ATTEST_Unmarshal(buf, len, off, q->type, u);
	free(u);
	if (r == 0)
		return RIV_OK;
	if ((r & 0xffff) == TSS2_BASE_RC_BAD_VALUE)
		return check_magic_type(q, err);
	return mu_fail(err, "TPMS_ATTEST", "attested", at, len, r);
}

/*
 * Parse a marshalled TPMS_ATTEST into q.  RIV_MALFORMED if it cannot be
 * read or has trailing bytes; RIV_FAIL (with q filled in) if it is well
 * formed but not a TPM-generated quote.
 */
int
quote_parse(const uint8_t *buf, size_t len, struct quote *q,
    struct riv_err *err)
{
	size_t off = 0;
	int rc;

	mu_quiet();
	memset(q, 0, sizeof(*q));
	q->sig_bank = -1;
	if ((rc = parse_names(buf, len, &off, q, err)) != RIV_OK ||
	    (rc = parse_clock(buf, len, &off, q, err)) != RIV_OK)
		return rc;
	if (q->type == TPM_ST_ATTEST_QUOTE)
		rc = parse_quote_info(buf, len, &off, q, err);
	else
		rc = skip_attested(buf, len, &off, q, err);
	if (rc != RIV_OK)
		return rc;
	if (off != len)
		return trailing_fail(err, "TPMS_ATTEST", off, len);
	return check_magic_type(q, err);
}

/*
 * Check the fields of an RSA or ECC signature before libtss2-mu reads
 * them, so that an error names the field: hash at byte offset 2, then the
 * RSA signature or ECC r and s.
 */
static int
check_sig_fields(const uint8_t *buf, size_t len, uint16_t alg,
    struct riv_err *err)
{
	const size_t rsa_max = sizeof(((TPM2B_PUBLIC_KEY_RSA *)0)->buffer);
	const size_t ecc_max = sizeof(((TPM2B_ECC_PARAMETER *)0)->buffer);
	int rc;

	switch (alg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
	case TPM2_ALG_ECDSA:
	case TPM2_ALG_ECDAA:
	case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
		break;
	default:
		return RIV_OK;
	}
	if (len < 4)
		return mu_fail(err, "TPMT_SIGNATURE", "signature.hash", 2, len,
		    TSS2_MU_RC_INSUFFICIENT_BUFFER);
	if (alg == TPM2_ALG_RSASSA || alg == TPM2_ALG_RSAPSS)
		return check_tpm2b(buf, len, 4, rsa_max, "TPMT_SIGNATURE",
		    "signature.sig", err);
	if ((rc = check_tpm2b(buf, len, 4, ecc_max, "TPMT_SIGNATURE",
	    "signature.signatureR", err)) != RIV_OK)
		return rc;
	return check_tpm2b(buf, len, 6 + ((size_t)buf[4] << 8 | buf[5]),
	    ecc_max, "TPMT_SIGNATURE", "signature.signatureS", err);
}

/* Parse a marshalled TPMT_SIGNATURE that must fill the whole buffer. */
static int
parse_signature(const uint8_t *buf, size_t len, TPMT_SIGNATURE *ts,
    struct riv_err *err)
{
	size_t off = 0;
	TSS2_RC r;
	int rc;

	if ((r = Tss2_MU_UINT16_Unmarshal(buf, len, &off, &ts->sigAlg)) != 0)
		return mu_fail(err, "TPMT_SIGNATURE", "sigAlg", 0, len, r);
	if ((rc = check_sig_fields(buf, len, ts->sigAlg, err)) != RIV_OK)
		return rc;
	r = Tss2_MU_TPMU_SIGNATURE_Unmarshal(buf, len, &off, ts->sigAlg,
	    &ts->signature);
	if (r != 0 && (r & 0xffff) == TSS2_BASE_RC_BAD_VALUE)
		return err_set(err, RIV_MALFORMED, "TPMT_SIGNATURE: sigAlg "
		    "0x%04x at byte offset 0 is not a signature algorithm",
		    ts->sigAlg);
	if (r != 0)
		return mu_fail(err, "TPMT_SIGNATURE", "signature", 2, len, r);
	if (off != len)
		return trailing_fail(err, "TPMT_SIGNATURE", off, len);
	return RIV_OK;
}

/* Return the hash algorithm a signature names (0 for a NULL signature). */
static uint16_t
signature_hash(const TPMT_SIGNATURE *ts)
{
	switch (ts->sigAlg) {
	case TPM2_ALG_RSASSA:
	case TPM2_ALG_RSAPSS:
		return ts->signature.rsassa.hash;
	case TPM2_ALG_ECDSA:
	case TPM2_ALG_ECDAA:
	case TPM2_ALG_SM2:
	case TPM2_ALG_ECSCHNORR:
		return ts->signature.ecdsa.hash;
	case TPM2_ALG_HMAC:
		return ts->signature.hmac.hashAlg;
	default:
		return 0;
	}
}

/* Return "RSA", "EC" or "other" for an AK, for messages. */
static const char *
key_kind(EVP_PKEY *ak)
{
	if (EVP_PKEY_is_a(ak, "RSA"))
		return "RSA";
	if (EVP_PKEY_is_a(ak, "EC"))
		return "EC";
	return "other";
}

/*
 * Set a bank's digest and an RSA padding mode in a verify context, as
 * EVP_DigestVerifyInit and EVP_PKEY_CTX_set_rsa_padding would; 1 or 0.
 */
static int
set_rsa_scheme(EVP_PKEY_CTX *ctx, int bank, int padding)
{
	OSSL_PARAM params[2];

	params[0] = OSSL_PARAM_construct_utf8_string(
	    OSSL_SIGNATURE_PARAM_DIGEST, (char *)bank_get(bank)->ossl, 0);
	params[1] = OSSL_PARAM_construct_end();
	return EVP_PKEY_CTX_set_params(ctx, params) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(ctx, padding) == 1 &&
	    (padding != RSA_PKCS1_PSS_PADDING ||
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_AUTO) == 1);
}

/*
 * Make the verify context of a quote: the AK's prepared one if its
 * parameters are those the quote needs (same), else a copy of it, or a
 * new one.  RIV_OK with *ctx set, RIV_FAIL (out of memory) or
 * RIV_MALFORMED if OpenSSL cannot verify with the key.
 */
static int
verify_ctx(const struct akey *ak, int same, EVP_PKEY_CTX **ctx)
{
	if (ak->vctx != NULL && same)
		*ctx = ak->vctx;
	else if (ak->vctx != NULL)
		*ctx = EVP_PKEY_CTX_dup(ak->vctx);
	else
		*ctx = EVP_PKEY_CTX_new_from_pkey(NULL, ak->pkey, NULL);
	if (*ctx == NULL)
		return RIV_FAIL;
	if (ak->vctx == NULL && EVP_PKEY_verify_init(*ctx) != 1) {
		EVP_PKEY_CTX_free(*ctx);
		*ctx = NULL;
		return RIV_MALFORMED;
	}
	return RIV_OK;
}

/*
 * Verify sig over msg with the AK and a bank's hash; padding is an RSA
 * padding mode, or 0 for ECDSA; preset says the AK's verify context has
 * them already.  The message is hashed here and the digest verified, as
 * EVP_DigestVerify does.  RIV_OK, RIV_FAIL, or RIV_MALFORMED if OpenSSL
 * cannot verify this scheme and hash at all (RSA with SM3-256 in OpenSSL
 * 3.0).
 */
static int
digest_verify(const struct akey *ak, int bank, int padding, int preset,
    const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t mlen,
    const char *what, struct riv_err *err)
{
	uint8_t digest[DIGEST_MAX];
	EVP_PKEY_CTX *ctx = NULL;
	int rc;

	if ((rc = verify_ctx(ak, padding == 0 || preset, &ctx)) == RIV_FAIL) {
		rc = err_set(err, RIV_FAIL, "out of memory");
		goto done;
	}
	if (rc != RIV_OK || (padding != 0 && !preset &&
	    !set_rsa_scheme(ctx, bank, padding))) {
		rc = err_set(err, RIV_MALFORMED, "%s signature: not supported: "
		    "OpenSSL %s cannot verify this scheme and hash with an %s "
		    "key", what, OpenSSL_version(OPENSSL_VERSION_STRING),
		    key_kind(ak->pkey));
		goto done;
	}
	if (bank_hash(bank, msg, mlen, digest) == 0 &&
	    EVP_PKEY_verify(ctx, sig, siglen, digest,
	    bank_get(bank)->size) == 1)
		rc = RIV_OK;
	else
		rc = err_set(err, RIV_FAIL, "%s signature does not verify with "
		    "the AK", what);
done:
	if (ctx != ak->vctx)
		EVP_PKEY_CTX_free(ctx);
	ERR_clear_error();
	return rc;
}

/* Verify an RSASSA or RSA-PSS signature over msg. */
static int
verify_rsa(const uint8_t *msg, size_t mlen, const TPMT_SIGNATURE *ts,
    const struct akey *ak, int bank, const char *what, struct riv_err *err)
{
	const TPMS_SIGNATURE_RSA *s = &ts->signature.rsassa;
	int size, preset;

	if (!EVP_PKEY_is_a(ak->pkey, "RSA"))
		return err_set(err, RIV_FAIL, "%s signature, but the AK is an "
		    "%s key", what, key_kind(ak->pkey));
	size = EVP_PKEY_get_size(ak->pkey);
	if (size <= 0 || s->sig.size != (unsigned)size)
		return err_set(err, RIV_FAIL, "%s signature is %u bytes, but "
		    "the AK's modulus is %d bytes", what, s->sig.size, size);
	preset = ak->vset && ts->sigAlg == ak->scheme &&
	    bank == bank_by_alg(ak->hash);
	return digest_verify(ak, bank, ts->sigAlg == TPM2_ALG_RSAPSS ?
	    RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING, preset, s->sig.buffer,
	    s->sig.size, msg, mlen, what, err);
}

/* Fail unless an ECDSA value (r or s) lies in [1, order - 1]. */
static int
check_ec_scalar(const BIGNUM *v, const BIGNUM *order, const char *name,
    const char *what, struct riv_err *err)
{
	if (BN_is_zero(v))
		return err_set(err, RIV_FAIL, "%s signature: %s is zero", what,
		    name);
	if (BN_cmp(v, order) >= 0)
		return err_set(err, RIV_FAIL, "%s signature: %s is not below "
		    "the curve order", what, name);
	return RIV_OK;
}

/* Verify an ECDSA signature (r, s) over msg. */
static int
verify_ecdsa(const uint8_t *msg, size_t mlen, const TPMT_SIGNATURE *ts,
    const struct akey *ak, int bank, const char *what, struct riv_err *err)
{
	const TPMS_SIGNATURE_ECC *s = &ts->signature.ecdsa;
	BIGNUM *r = NULL, *sv = NULL, *own = NULL;
	const BIGNUM *order = ak->order;
	ECDSA_SIG *es = NULL;
	unsigned char *der = NULL;
	int dlen, rc;

	if (!EVP_PKEY_is_a(ak->pkey, "EC"))
		return err_set(err, RIV_FAIL, "%s signature, but the AK is an "
		    "%s key", what, key_kind(ak->pkey));
	r = BN_bin2bn(s->signatureR.buffer, s->signatureR.size, NULL);
	sv = BN_bin2bn(s->signatureS.buffer, s->signatureS.size, NULL);
	if (order == NULL && EVP_PKEY_get_bn_param(ak->pkey,
	    OSSL_PKEY_PARAM_EC_ORDER, &own) == 1)
		order = own;
	if (r == NULL || sv == NULL || order == NULL) {
		rc = err_set(err, RIV_FAIL, "%s signature: out of memory",
		    what);
		goto done;
	}
	if ((rc = check_ec_scalar(r, order, "r", what, err)) != RIV_OK ||
	    (rc = check_ec_scalar(sv, order, "s", what, err)) != RIV_OK)
		goto done;
	if ((es = ECDSA_SIG_new()) == NULL || ECDSA_SIG_set0(es, r, sv) != 1) {
		rc = err_set(err, RIV_FAIL, "%s signature: out of memory",
		    what);
		goto done;
	}
	r = sv = NULL;		/* owned by es now */
	if ((dlen = i2d_ECDSA_SIG(es, &der)) <= 0) {
		rc = err_set(err, RIV_FAIL, "%s signature: cannot encode it",
		    what);
		goto done;
	}
	rc = digest_verify(ak, bank, 0, 0, der, (size_t)dlen, msg, mlen, what,
	    err);
done:
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	BN_free(r);
	BN_free(sv);
	BN_free(own);
	ERR_clear_error();
	return rc;
}

/*
 * Write "scheme/hash" into buf (32 bytes), numbers for unknown ones (no
 * formatting for known ones: every quote names its scheme).
 */
static void
scheme_string(char *buf, size_t len, uint16_t scheme, uint16_t hash)
{
	const char *sn = quote_scheme_name(scheme), *hn = hash_name(hash);
	char sx[8], hx[8];
	size_t sl, hl;

	if (sn == NULL) {
		snprintf(sx, sizeof(sx), "0x%04x", scheme);
		sn = sx;
	}
	if (hn == NULL) {
		snprintf(hx, sizeof(hx), "0x%04x", hash);
		hn = hx;
	}
	sl = strlen(sn);
	hl = strlen(hn);
	if (sl + 1 + hl >= len) {
		snprintf(buf, len, "%s/%s", sn, hn);
		return;
	}
	memcpy(buf, sn, sl);
	buf[sl] = '/';
	memcpy(buf + sl + 1, hn, hl + 1);
}

/*
 * Fail unless an AK loaded from a TPM public area is a restricted signing
 * key: only such a key signs nothing but structures the TPM made itself.
 */
static int
check_ak(const struct akey *ak, struct riv_err *err)
{
	const char *why = NULL;

	if (!ak->tpm)
		return RIV_OK;
	if (!(ak->attrs & TPMA_OBJECT_SIGN_ENCRYPT))
		why = "sign is clear";
	else if (ak->attrs & TPMA_OBJECT_DECRYPT)
		why = "decrypt is set";
	else if (!(ak->attrs & TPMA_OBJECT_RESTRICTED))
		why = "restricted is clear, so it signs any data the holder "
		    "chooses, a forged TPMS_ATTEST too";
	if (why != NULL)
		return err_set(err, RIV_FAIL, "the AK is not a restricted "
		    "signing key: objectAttributes 0x%08x: %s", ak->attrs, why);
	if (ak->symmetric != TPM2_ALG_NULL)
		return err_set(err, RIV_FAIL, "the AK is not a signing key: "
		    "its symmetric algorithm is 0x%04x, not TPM_ALG_NULL",
		    ak->symmetric);
	return RIV_OK;
}

/*
 * Verify a marshalled TPMT_SIGNATURE over the raw attest bytes with the AK
 * and record its scheme and hash in q (if not NULL).  RIV_MALFORMED if the
 * signature cannot be read or OpenSSL cannot verify its scheme and hash;
 * RIV_FAIL if it does not verify, its scheme or hash is not supported, it
 * does not suit the AK's key type or fixed scheme, or the AK (as a TPM
 * public area) is no restricted signing key.
 */
int
quote_verify(const uint8_t *attest, size_t alen, const uint8_t *sig,
    size_t slen, const struct akey *ak, struct quote *q, struct riv_err *err)
{
	TPMT_SIGNATURE ts;
	char what[32], want[32];
	uint16_t hash;
	int bank, rc;

	mu_quiet();
	if ((rc = parse_signature(sig, slen, &ts, err)) != RIV_OK)
		return rc;
	hash = signature_hash(&ts);
	bank = bank_by_alg(hash);
	if (q != NULL) {
		q->sig_alg = ts.sigAlg;
		q->sig_hash = hash;
		q->sig_bank = bank;
	}
	if ((rc = check_ak(ak, err)) != RIV_OK)
		return rc;
	scheme_string(what, sizeof(what), ts.sigAlg, hash);
	if (ts.sigAlg == TPM2_ALG_NULL)
		return err_set(err, RIV_FAIL, "TPMT_SIGNATURE: the signature "
		    "is TPM_ALG_NULL: the quote is not signed");
	if (ts.sigAlg != TPM2_ALG_RSASSA && ts.sigAlg != TPM2_ALG_RSAPSS &&
	    ts.sigAlg != TPM2_ALG_ECDSA)
		return err_set(err, RIV_FAIL, "TPMT_SIGNATURE: scheme %s is not "
		    "supported (only rsassa, rsapss and ecdsa)", what);
	if (ak->tpm && ak->scheme != TPM2_ALG_NULL &&
	    (ak->scheme != ts.sigAlg || ak->hash != hash)) {
		scheme_string(want, sizeof(want), ak->scheme, ak->hash);
		return err_set(err, RIV_FAIL, "TPMT_SIGNATURE: %s signature, "
		    "but the AK's public area fixes its scheme to %s", what,
		    want);
	}
	if (hash_name(hash) == NULL)
		return err_set(err, RIV_FAIL, "TPMT_SIGNATURE: hash algorithm "
		    "0x%04x at byte offset 2 is not known", hash);
	if (!bank_available(bank))
		return err_set(err, RIV_MALFORMED, "TPMT_SIGNATURE: %s "
		    "signature: not supported: OpenSSL lacks the hash", what);
	if (ts.sigAlg == TPM2_ALG_ECDSA)
		return verify_ecdsa(attest, alen, &ts, ak, bank, what, err);
	return verify_rsa(attest, alen, &ts, ak, bank, what, err);
}

/* Write up to 64 bytes as hex into out (129 bytes), marking longer data. */
static void
hex_short(const uint8_t *b, size_t len, char *out)
{
	if (len > 64) {
		hex_encode(b, 60, out);
		strcpy(out + 120, "...");
	} else
		hex_encode(b, len, out);
}

/* Compare the quote's extraData with the expected nonce. */
int
quote_check_nonce(const struct quote *q, const uint8_t *nonce, size_t len,
    struct riv_err *err)
{
	char got[129], want[129];

	if (q->extra_len == len && CRYPTO_memcmp(q->extra, nonce, len) == 0)
		return RIV_OK;
	hex_short(q->extra, q->extra_len, got);
	hex_short(nonce, len, want);
	return err_set(err, RIV_FAIL, "extraData \"%s\" (%zu bytes) does not "
	    "match the expected nonce \"%s\" (%zu bytes)", got, q->extra_len,
	    want, len);
}

/*
 * Fail (RIV_MALFORMED) if the quote selects PCRs rivd cannot check: in a
 * bank it does not know, or above PCR 23 (a selection may name 32).
 */
int
quote_check_selection(const struct quote *q, struct riv_err *err)
{
	const struct quote_sel *s;
	size_t i;
	unsigned p;

	for (i = 0; i < q->nsel; i++) {
		s = &q->sel[i];
		if (s->mask == 0)
			continue;
		if (s->bank < 0)
			return err_set(err, RIV_MALFORMED, "the quote selects "
			    "PCRs of hash algorithm 0x%04x, which rivd does "
			    "not know", s->alg);
		for (p = PCR_COUNT; p < 32; p++)
			if (s->mask >> p & 1)
				return err_set(err, RIV_MALFORMED, "the quote "
				    "selects %s PCR %u, but rivd supports PCRs "
				    "0-%d only", bank_get(s->bank)->name, p,
				    PCR_COUNT - 1);
	}
	return RIV_OK;
}

/*
 * Concatenate the supplied values of the selected PCRs (banks in the
 * selection's order, PCRs ascending) into buf; RIV_MALFORMED naming the
 * first selected PCR rivd cannot check or that has no value.
 */
static int
concat_pcrs(const struct quote *q, const struct pcrset *set, uint8_t *buf,
    size_t max, size_t *lenp, struct riv_err *err)
{
	const struct quote_sel *s;
	const uint8_t *v;
	size_t i, len = 0, size;
	unsigned p;
	int rc;

	if ((rc = quote_check_selection(q, err)) != RIV_OK)
		return rc;
	for (i = 0; i < q->nsel; i++) {
		s = &q->sel[i];
		if (s->mask == 0)
			continue;
		size = bank_get(s->bank)->size;
		for (p = 0; p < PCR_COUNT; p++) {
			if (!(s->mask >> p & 1))
				continue;
			if ((v = pcrset_get(set, s->bank, p)) == NULL)
				return err_set(err, RIV_MALFORMED, "the quote "
				    "selects %s PCR %u but no value was given "
				    "for it", bank_get(s->bank)->name, p);
			if (len + size > max)
				return err_set(err, RIV_MALFORMED, "the quote "
				    "selects too many PCRs");
			memcpy(buf + len, v, size);
			len += size;
		}
	}
	*lenp = len;
	return RIV_OK;
}

/* Tell whether hashing the concatenated values with bank gives pcrDigest. */
static int
digest_matches(const struct quote *q, int bank, const uint8_t *buf,
    size_t len, uint8_t *out)
{
	if (!bank_available(bank) || bank_get(bank)->size != q->pcr_digest_len)
		return 0;
	if (bank_hash(bank, buf, len, out) == -1)
		return 0;
	return CRYPTO_memcmp(out, q->pcr_digest, q->pcr_digest_len) == 0;
}

/*
 * Check pcrDigest against the supplied PCR values of the quoted selection,
 * hashed with the signature's hash (or, before quote_verify, any available
 * hash of pcrDigest's size).  RIV_MALFORMED if a selected PCR has no value.
 */
int
quote_check_pcrs(const struct quote *q, const struct pcrset *set,
    struct riv_err *err)
{
	uint8_t *buf, out[DIGEST_MAX];
	char got[129], want[129];
	size_t len = 0;
	int b, rc;

	memset(out, 0, sizeof(out));
	if ((buf = malloc(PCR_CONCAT_MAX)) == NULL)
		return err_set(err, RIV_MALFORMED, "out of memory");
	if ((rc = concat_pcrs(q, set, buf, PCR_CONCAT_MAX, &len, err)) !=
	    RIV_OK)
		goto done;
	rc = RIV_FAIL;
	if (q->sig_bank >= 0) {
		if (digest_matches(q, q->sig_bank, buf, len, out))
			rc = RIV_OK;
	} else
		for (b = 0; b < BANK_COUNT && rc != RIV_OK; b++)
			if (digest_matches(q, b, buf, len, out))
				rc = RIV_OK;
	if (rc == RIV_OK)
		goto done;
	hex_short(q->pcr_digest, q->pcr_digest_len, got);
	if (q->sig_bank < 0)
		err_set(err, RIV_FAIL, "pcrDigest %s does not match any digest "
		    "of the supplied values of the selected PCRs", got);
	else if (bank_get(q->sig_bank)->size != q->pcr_digest_len)
		err_set(err, RIV_FAIL, "pcrDigest is %zu bytes, but the "
		    "signature's hash %s makes %zu", q->pcr_digest_len,
		    bank_get(q->sig_bank)->name, bank_get(q->sig_bank)->size);
	else {
		hex_short(out, bank_get(q->sig_bank)->size, want);
		err_set(err, RIV_FAIL, "pcrDigest %s does not match the %s "
		    "digest %s of the supplied values of the selected PCRs",
		    got, bank_get(q->sig_bank)->name, want);
	}
done:
	free(buf);
	return rc;
}

/*
 * Load a PEM PUBLIC KEY or CERTIFICATE block with nothing but white space
 * around it (pem_load's rule).
 */
static EVP_PKEY *
load_pem(const uint8_t *buf, size_t len, struct riv_err *err)
{
	EVP_PKEY *pk;

	if (pem_load((const char *)buf, len, &pk, NULL, err) != RIV_OK)
		return NULL;
	return pk;
}

/* Load a DER SubjectPublicKeyInfo or X.509 certificate filling buf. */
static EVP_PKEY *
load_der(const uint8_t *buf, size_t len, struct riv_err *err)
{
	const unsigned char *p = buf;
	EVP_PKEY *pk = NULL;
	X509 *x;

	if (len > LONG_MAX)
		goto fail;
	if ((pk = d2i_PUBKEY(NULL, &p, (long)len)) != NULL) {
		if (p == buf + len)
			goto done;
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	p = buf;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p == buf + len)
			pk = X509_get_pubkey(x);
		X509_free(x);
		if (pk != NULL)
			goto done;
	}
fail:
	err_set(err, RIV_MALFORMED, "DER: neither a SubjectPublicKeyInfo nor "
	    "an X.509 certificate that fills the input exactly");
done:
	ERR_clear_error();
	return pk;
}

/* Build an EVP_PKEY of type name ("RSA", "EC") from parameters. */
static EVP_PKEY *
key_fromdata(const char *name, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pk = NULL;

	if ((params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, name, NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	ERR_clear_error();
	return pk;
}

/* Build an RSA key from a TPM public area's parameters and modulus. */
static EVP_PKEY *
build_rsa(const TPMS_RSA_PARMS *parms, const TPM2B_PUBLIC_KEY_RSA *n,
    struct riv_err *err)
{
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *bn = NULL, *e = NULL;
	EVP_PKEY *pk = NULL;

	if ((unsigned)n->size * 8 != parms->keyBits) {
		err_set(err, RIV_MALFORMED, "TPMT_PUBLIC: unique.rsa is %u "
		    "bytes, but parameters.keyBits says %u bits", n->size,
		    parms->keyBits);
		return NULL;
	}
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    (bn = BN_bin2bn(n->buffer, n->size, NULL)) == NULL ||
	    (e = BN_new()) == NULL ||
	    BN_set_word(e, parms->exponent ? parms->exponent : 65537) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    (pk = key_fromdata("RSA", bld)) == NULL)
		err_set(err, RIV_MALFORMED, "TPMT_PUBLIC: OpenSSL cannot build "
		    "an RSA key from it");
	BN_free(bn);
	BN_free(e);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/* Build an EC key from a TPM public area's parameters and point. */
static EVP_PKEY *
build_ec(const TPMS_ECC_PARMS *parms, const TPMS_ECC_POINT *pt,
    struct riv_err *err)
{
	uint8_t oct[1 + 2 * EC_FIELD_MAX];
	const struct curve *c = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pk = NULL;
	size_t i, n;

	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].tpm == parms->curveID)
			c = &curves[i];
	if (c == NULL) {
		err_set(err, RIV_MALFORMED, "TPMT_PUBLIC: curve 0x%04x is not "
		    "supported (only NIST P-256, P-384, P-521)", parms->curveID);
		return NULL;
	}
	n = c->size;
	if (pt->x.size > n || pt->y.size > n) {
		err_set(err, RIV_MALFORMED, "TPMT_PUBLIC: unique.ecc "
		    "coordinates are %u and %u bytes, longer than %zu",
		    pt->x.size, pt->y.size, n);
		return NULL;
	}
	memset(oct, 0, sizeof(oct));
	oct[0] = 0x04;
	memcpy(oct + 1 + n - pt->x.size, pt->x.buffer, pt->x.size);
	memcpy(oct + 1 + 2 * n - pt->y.size, pt->y.buffer, pt->y.size);
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	    c->name, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, oct,
	    1 + 2 * n) != 1 ||
	    (pk = key_fromdata("EC", bld)) == NULL)
		err_set(err, RIV_MALFORMED, "TPMT_PUBLIC: unique.ecc is not a "
		    "point on curve %s", c->name);
	OSSL_PARAM_BLD_free(bld);
	return pk;
}

/*
 * Check the TPM2Bs of a public area's unique field at byte offset at (the
 * RSA modulus, or ECC x and y) before libtss2-mu reads them.
 */
static int
check_unique(const uint8_t *buf, size_t len, size_t at, uint16_t type,
    struct riv_err *err)
{
	const size_t rsa_max = sizeof(((TPM2B_PUBLIC_KEY_RSA *)0)->buffer);
	const size_t ecc_max = sizeof(((TPM2B_ECC_PARAMETER *)0)->buffer);
	int rc;

	if (type == TPM2_ALG_RSA)
		return check_tpm2b(buf, len, at, rsa_max, "TPMT_PUBLIC",
		    "unique.rsa", err);
	if ((rc = check_tpm2b(buf, len, at, ecc_max, "TPMT_PUBLIC",
	    "unique.ecc.x", err)) != RIV_OK)
		return rc;
	return check_tpm2b(buf, len, at + 2 + ((size_t)buf[at] << 8 |
	    buf[at + 1]), ecc_max, "TPMT_PUBLIC", "unique.ecc.y", err);
}

/* Record in ak what a TPM public area says about its use. */
static void
keep_usage(struct akey *ak, uint16_t type, TPMA_OBJECT attrs,
    const TPMU_PUBLIC_PARMS *parms)
{
	ak->tpm = 1;
	ak->attrs = attrs;
	if (type == TPM2_ALG_RSA) {
		ak->symmetric = parms->rsaDetail.symmetric.algorithm;
		ak->scheme = parms->rsaDetail.scheme.scheme;
		ak->hash = parms->rsaDetail.scheme.details.anySig.hashAlg;
	} else {
		ak->symmetric = parms->eccDetail.symmetric.algorithm;
		ak->scheme = parms->eccDetail.scheme.scheme;
		ak->hash = parms->eccDetail.scheme.details.anySig.hashAlg;
	}
	if (ak->scheme == TPM2_ALG_NULL)
		ak->hash = TPM2_ALG_NULL;
}

/*
 * Load a marshalled TPMT_PUBLIC starting at byte offset off and ending
 * exactly at len; keep its attributes and scheme in ak.
 */
static EVP_PKEY *
load_tpmt_public(const uint8_t *buf, size_t len, size_t off,
    struct akey *ak, struct riv_err *err)
{
	TPMI_ALG_PUBLIC type;
	TPMI_ALG_HASH name_alg;
	TPMA_OBJECT attrs;
	TPM2B_DIGEST policy;
	TPMU_PUBLIC_PARMS parms;
	TPMU_PUBLIC_ID unique;
	const char *what = "type";
	size_t at = off;
	TSS2_RC r;

	if ((r = Tss2_MU_UINT16_Unmarshal(buf, len, &off, &type)) != 0)
		goto fail;
	if (type != TPM2_ALG_RSA && type != TPM2_ALG_ECC) {
		err_set(err, RIV_MALFORMED, "TPMT_PUBLIC: type 0x%04x at byte "
		    "offset %zu is not an RSA or ECC key", type, at);
		return NULL;
	}
	at = off;
	what = "nameAlg";
	if ((r = Tss2_MU_UINT16_Unmarshal(buf, len, &off, &name_alg)) != 0)
		goto fail;
	at = off;
	what = "objectAttributes";
	if ((r = Tss2_MU_UINT32_Unmarshal(buf, len, &off, &attrs)) != 0)
		goto fail;
	at = off;
	what = "authPolicy";
	if (check_tpm2b(buf, len, at, sizeof(policy.buffer), "TPMT_PUBLIC",
	    what, err) != RIV_OK)
		return NULL;
	if ((r = Tss2_MU_TPM2B_DIGEST_Unmarshal(buf, len, &off, &policy)) != 0)
		goto fail;
	at = off;
	what = "parameters";
	memset(&parms, 0, sizeof(parms));
	if ((r = Tss2_MU_TPMU_PUBLIC_PARMS_Unmarshal(buf, len, &off, type,
	    &parms)) != 0)
		goto fail;
	at = off;
	what = "unique";
	if (check_unique(buf, len, at, type, err) != RIV_OK)
		return NULL;
	if ((r = Tss2_MU_TPMU_PUBLIC_ID_Unmarshal(buf, len, &off, type,
	    &unique)) != 0)
		goto fail;
	if (off != len) {
		trailing_fail(err, "TPMT_PUBLIC", off, len);
		return NULL;
	}
	keep_usage(ak, type, attrs, &parms);
	if (type == TPM2_ALG_RSA)
		return build_rsa(&parms.rsaDetail, &unique.rsa, err);
	return build_ec(&parms.eccDetail, &unique.ecc, err);
fail:
	mu_fail(err, "TPMT_PUBLIC", what, at, len, r);
	return NULL;
}

/* Tell whether v is a TPMI_ALG_PUBLIC, the type a TPMT_PUBLIC starts with. */
static int
is_public_type(size_t v)
{
	return v == TPM2_ALG_RSA || v == TPM2_ALG_KEYEDHASH ||
	    v == TPM2_ALG_ECC || v == TPM2_ALG_SYMCIPHER;
}

/* Fail unless the AK is an RSA key of sane size or on a supported curve. */
static int
check_key(EVP_PKEY *pk, struct riv_err *err)
{
	BIGNUM *n = NULL, *e = NULL;
	char group[64];
	size_t i, glen;
	int bits, rc = RIV_OK;

	if (EVP_PKEY_is_a(pk, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(pk,
		    OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
		    &glen) != 1)
			return err_set(err, RIV_MALFORMED, "the AK's EC key "
			    "has no named curve");
		for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
			if (strcmp(curves[i].name, group) == 0)
				return RIV_OK;
		return err_set(err, RIV_MALFORMED, "the AK's curve %s is not "
		    "supported (only NIST P-256, P-384, P-521)", group);
	}
	if (!EVP_PKEY_is_a(pk, "RSA"))
		return err_set(err, RIV_MALFORMED, "the AK is neither an RSA "
		    "nor an EC key");
	bits = EVP_PKEY_get_bits(pk);
	if (bits < RSA_BITS_MIN || bits > RSA_BITS_MAX)
		return err_set(err, RIV_MALFORMED, "the AK's RSA modulus has "
		    "%d bits (%d to %d supported)", bits, RSA_BITS_MIN,
		    RSA_BITS_MAX);
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e) != 1)
		rc = err_set(err, RIV_MALFORMED, "the AK's RSA key cannot be "
		    "read");
	else if (!BN_is_odd(n))
		rc = err_set(err, RIV_MALFORMED, "the AK's RSA modulus is even");
	else if (!BN_is_odd(e) || BN_is_one(e))
		rc = err_set(err, RIV_MALFORMED, "the AK's RSA exponent is not "
		    "an odd number of at least 3");
	BN_free(n);
	BN_free(e);
	return rc;
}

/*
 * Prepare in ak what every verification with it needs (struct akey), as
 * far as OpenSSL lets: what is not prepared here is made for each quote.
 */
static void
prepare_key(struct akey *ak)
{
	EVP_PKEY_CTX *set;
	BIGNUM *order = NULL;
	int bank = bank_by_alg(ak->hash);

	if (EVP_PKEY_is_a(ak->pkey, "EC") && EVP_PKEY_get_bn_param(ak->pkey,
	    OSSL_PKEY_PARAM_EC_ORDER, &order) == 1)
		ak->order = order;
	if ((ak->vctx = EVP_PKEY_CTX_new_from_pkey(NULL, ak->pkey,
	    NULL)) != NULL && EVP_PKEY_verify_init(ak->vctx) != 1) {
		EVP_PKEY_CTX_free(ak->vctx);
		ak->vctx = NULL;
	}
	if (ak->vctx != NULL && ak->tpm && EVP_PKEY_is_a(ak->pkey, "RSA") &&
	    (ak->scheme == TPM2_ALG_RSASSA || ak->scheme == TPM2_ALG_RSAPSS) &&
	    bank_available(bank) &&
	    (set = EVP_PKEY_CTX_dup(ak->vctx)) != NULL) {
		if (set_rsa_scheme(set, bank, ak->scheme == TPM2_ALG_RSAPSS ?
		    RSA_PKCS1_PSS_PADDING : RSA_PKCS1_PADDING)) {
			EVP_PKEY_CTX_free(ak->vctx);
			ak->vctx = set;
			ak->vset = 1;
		} else
			EVP_PKEY_CTX_free(set);
	}
	ERR_clear_error();
}

/*
 * Load an attestation key from memory into ak: PEM or DER
 * SubjectPublicKeyInfo, PEM or DER X.509 certificate, marshalled
 * TPM2B_PUBLIC or TPMT_PUBLIC (detected in that order).  RIV_OK, or
 * RIV_MALFORMED (with a reason) if it cannot be loaded.
 */
int
akey_load(const uint8_t *buf, size_t len, struct akey *ak,
    struct riv_err *err)
{
	size_t sp = 0, head;

	mu_quiet();
	memset(ak, 0, sizeof(*ak));
	ak->symmetric = ak->scheme = ak->hash = TPM2_ALG_NULL;
	while (sp < len && pem_is_space(buf[sp]))
		sp++;
	if (sp == len)
		return err_set(err, RIV_MALFORMED, "the AK key is empty");
	head = len >= 2 ? (size_t)buf[0] << 8 | buf[1] : 0;
	if (len - sp >= 11 && memcmp(buf + sp, "-----BEGIN ", 11) == 0)
		ak->pkey = load_pem(buf, len, err);
	else if (buf[0] == 0x30)
		ak->pkey = load_der(buf, len, err);
	else if (len >= 2 && head == len - 2) {
		if (len == 2)
			return err_set(err, RIV_MALFORMED, "TPM2B_PUBLIC: "
			    "empty");
		ak->pkey = load_tpmt_public(buf, len, 2, ak, err);
	} else if (len < 2 || is_public_type(head))
		ak->pkey = load_tpmt_public(buf, len, 0, ak, err);
	else
		return err_set(err, RIV_MALFORMED, "TPM2B_PUBLIC: size %zu at "
		    "byte offset 0 does not match the %zu bytes that follow "
		    "(nor is 0x%04zx the type of a TPMT_PUBLIC)", head, len - 2,
		    head);
	if (ak->pkey == NULL)
		return RIV_MALFORMED;
	if (check_key(ak->pkey, err) != RIV_OK) {
		akey_free(ak);
		return RIV_MALFORMED;
	}
	prepare_key(ak);
	return RIV_OK;
}

/* Free what akey_load loaded and prepared into ak. */
void
akey_free(struct akey *ak)
{
	EVP_PKEY_free(ak->pkey);
	ak->pkey = NULL;
	EVP_PKEY_CTX_free(ak->vctx);
	ak->vctx = NULL;
	ak->vset = 0;
	BN_free(ak->order);
	ak->order = NULL;
}
