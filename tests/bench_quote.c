/*
 * bench_quote.c — quote verifications per second: the RSA-2048/SHA-256 GCE
 * corpus quote, the same attest signed here with an ECDSA P-256 key, each
 * with the AK in the forms rivd loads (a TPM public area, which fixes the
 * scheme, and a SubjectPublicKeyInfo, which does not) and as a bare
 * EVP_PKEY that akey_load never saw; AK loading from a TPMT_PUBLIC; and
 * nonce_derive, which rivd calls for every notification.  Figures only, no
 * assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "bench.h"
#include "nonce.h"
#include "quote.h"

#define GCE_QUOTE "quotes/go-tpm-tools__gce-cos-85-nonce9009.quote1_sha256"
#define GCE_AK "quotes/go-tpm-tools__gce-cos-85-nonce9009.akpub.bin"
#define BENCH_SECONDS 1.0

/* Read corpus file rel into a malloc'd buffer; NULL (after a message). */
static uint8_t *
read_corpus(const char *corpus, const char *rel, size_t *len)
{
	char path[4096];
	struct riv_err err;
	uint8_t *buf;

	snprintf(path, sizeof(path), "%s/%s", corpus, rel);
	if (file_read(path, RIV_FILE_MAX, &buf, len, &err) != RIV_OK) {
		printf("quote: skipped: %s\n", err.msg);
		return NULL;
	}
	return buf;
}

/* Parse and verify a quote repeatedly for a second; print the rate. */
static void
run_verify(const char *label, const uint8_t *attest, size_t alen,
    const uint8_t *sig, size_t slen, const struct akey *ak)
{
	struct quote q;
	struct riv_err err;
	double start = bench_now(), el;
	unsigned long n = 0;

	do {
		if (quote_parse(attest, alen, &q, &err) != RIV_OK ||
		    quote_verify(attest, alen, sig, slen, ak, &q, &err) !=
		    RIV_OK) {
			printf("quote verify (%s): failed: %s\n", label,
			    err.msg);
			return;
		}
		n++;
	} while ((el = bench_now() - start) < BENCH_SECONDS);
	printf("quote verify (%s): %.0f per second (%.1f us)\n", label,
	    n / el, el * 1e6 / n);
}

/* Load the AK repeatedly for a second; print the rate. */
static void
run_akey_load(const uint8_t *buf, size_t len)
{
	struct riv_err err;
	double start = bench_now(), el;
	unsigned long n = 0;
	struct akey k;

	do {
		if (akey_load(buf, len, &k, &err) != RIV_OK) {
			printf("akey_load (TPMT_PUBLIC): failed: %s\n", err.msg);
			return;
		}
		akey_free(&k);
		n++;
	} while ((el = bench_now() - start) < BENCH_SECONDS);
	printf("akey_load (TPMT_PUBLIC rsa-2048): %.0f per second "
	    "(%.1f us)\n", n / el, el * 1e6 / n);
}

/* Sign attest with a new P-256 key as a TPM would; 0 or -1. */
static int
sign_p256(const uint8_t *attest, size_t alen, EVP_PKEY **key, uint8_t *out,
    size_t max, size_t *outlen)
{
	TPMT_SIGNATURE ts;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *es = NULL;
	const BIGNUM *r, *s;
	uint8_t der[128];
	const unsigned char *p = der;
	size_t dlen = sizeof(der);
	int rc = -1;

	memset(&ts, 0, sizeof(ts));
	if ((*key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit_ex(ctx, NULL, "SHA256", NULL, NULL, *key,
	    NULL) != 1 ||
	    EVP_DigestSign(ctx, der, &dlen, attest, alen) != 1 ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)dlen)) == NULL)
		goto done;
	ECDSA_SIG_get0(es, &r, &s);
	ts.sigAlg = TPM2_ALG_ECDSA;
	ts.signature.ecdsa.hash = TPM2_ALG_SHA256;
	ts.signature.ecdsa.signatureR.size = 32;
	ts.signature.ecdsa.signatureS.size = 32;
	BN_bn2binpad(r, ts.signature.ecdsa.signatureR.buffer, 32);
	BN_bn2binpad(s, ts.signature.ecdsa.signatureS.buffer, 32);
	*outlen = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(&ts, out, max, outlen) == 0)
		rc = 0;
done:
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * Load a P-256 key as an AK the way a TPM describes one, a restricted
 * signing key fixed to ECDSA with SHA-256; RIV_OK or another value.
 */
static int
load_p256_tpm(EVP_PKEY *key, struct akey *ak, struct riv_err *err)
{
	TPMT_PUBLIC p;
	BIGNUM *x = NULL, *y = NULL;
	uint8_t buf[sizeof(TPMT_PUBLIC)];
	size_t off = 0;
	int rc = RIV_MALFORMED;

	memset(&p, 0, sizeof(p));
	p.type = TPM2_ALG_ECC;
	p.nameAlg = TPM2_ALG_SHA256;
	p.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	p.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
	p.parameters.eccDetail.scheme.scheme = TPM2_ALG_ECDSA;
	p.parameters.eccDetail.scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	p.parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p.parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	p.unique.ecc.x.size = p.unique.ecc.y.size = 32;
	if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &x) == 1 &&
	    EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &y) == 1 &&
	    BN_bn2binpad(x, p.unique.ecc.x.buffer, 32) == 32 &&
	    BN_bn2binpad(y, p.unique.ecc.y.buffer, 32) == 32 &&
	    Tss2_MU_TPMT_PUBLIC_Marshal(&p, buf, sizeof(buf), &off) == 0)
		rc = akey_load(buf, off, ak, err);
	BN_free(x);
	BN_free(y);
	return rc;
}

/* Load key as an AK from its DER SubjectPublicKeyInfo; RIV_OK or other. */
static int
load_spki(EVP_PKEY *key, struct akey *ak, struct riv_err *err)
{
	unsigned char *der = NULL;
	int len, rc = RIV_MALFORMED;

	if ((len = i2d_PUBKEY(key, &der)) > 0)
		rc = akey_load(der, (size_t)len, ak, err);
	OPENSSL_free(der);
	return rc;
}

/* Verify with the P-256 key in each AK form. */
static void
bench_p256(const uint8_t *attest, size_t alen)
{
	struct akey bare, tpm, spki;
	struct riv_err err;
	uint8_t sig[256];
	size_t slen;

	memset(&bare, 0, sizeof(bare));	/* never through akey_load */
	memset(&tpm, 0, sizeof(tpm));
	memset(&spki, 0, sizeof(spki));
	if (sign_p256(attest, alen, &bare.pkey, sig, sizeof(sig),
	    &slen) != 0) {
		printf("quote verify (ecdsa-p256/sha256): cannot sign\n");
		goto done;
	}
	if (load_p256_tpm(bare.pkey, &tpm, &err) == RIV_OK)
		run_verify("ecdsa-p256/sha256, TPM AK", attest, alen, sig,
		    slen, &tpm);
	if (load_spki(bare.pkey, &spki, &err) == RIV_OK)
		run_verify("ecdsa-p256/sha256, SPKI AK", attest, alen, sig,
		    slen, &spki);
	run_verify("ecdsa-p256/sha256, bare EVP_PKEY", attest, alen, sig,
	    slen, &bare);
done:
	akey_free(&bare);
	akey_free(&tpm);
	akey_free(&spki);
}

/* Derive nonces of one chain for a second with bank's hash; print the rate. */
static void
run_nonce(int bank, const char *label)
{
	uint8_t seed[32], out[DIGEST_MAX];
	double start = bench_now(), el;
	unsigned long n = 0;
	size_t len;

	memset(seed, 0x5a, sizeof(seed));
	do {
		if (nonce_derive(bank, seed, sizeof(seed), n, out, &len) != 0) {
			printf("nonce_derive (%s): failed\n", label);
			return;
		}
		n++;
	} while ((el = bench_now() - start) < BENCH_SECONDS);
	printf("nonce_derive (%s, 32-byte seed): %.0f per second (%.2f us)\n",
	    label, n / el, el * 1e6 / n);
}

/* Print quote verifications and nonce derivations per second. */
void
bench_quote(const char *corpus)
{
	uint8_t *attest = NULL, *sig = NULL, *akbuf = NULL;
	size_t alen, slen, klen;
	struct akey ak, spki;
	struct riv_err err;

	memset(&ak, 0, sizeof(ak));
	memset(&spki, 0, sizeof(spki));

	if ((attest = read_corpus(corpus, GCE_QUOTE ".attest.bin",
	    &alen)) == NULL ||
	    (sig = read_corpus(corpus, GCE_QUOTE ".sig.bin", &slen)) == NULL ||
	    (akbuf = read_corpus(corpus, GCE_AK, &klen)) == NULL)
		goto nonce;
	if (akey_load(akbuf, klen, &ak, &err) != RIV_OK) {
		printf("quote: skipped: %s\n", err.msg);
		goto nonce;
	}
	run_verify("rsassa-2048/sha256, TPM AK", attest, alen, sig, slen, &ak);
	if (load_spki(ak.pkey, &spki, &err) == RIV_OK)
		run_verify("rsassa-2048/sha256, SPKI AK", attest, alen, sig,
		    slen, &spki);
	bench_p256(attest, alen);
	run_akey_load(akbuf, klen);
nonce:
	run_nonce(BANK_SHA256, "sha256");
	run_nonce(BANK_SHA384, "sha384");
	akey_free(&ak);
	akey_free(&spki);
	free(attest);
	free(sig);
	free(akbuf);
}
