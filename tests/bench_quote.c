/*
 * bench_quote.c — quote verifications per second: the RSA-2048/SHA-256 GCE
 * corpus quote, the same attest signed here with an ECDSA P-256 key, and
 * AK loading from a TPMT_PUBLIC.  Figures only, no assertions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <tss2/tss2_mu.h>

#include "bench.h"
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
	printf("quote verify (%s): %.0f per second\n", label, n / el);
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
	printf("akey_load (TPMT_PUBLIC rsa-2048): %.0f per second\n", n / el);
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

/* Print quote verifications per second. */
void
bench_quote(const char *corpus)
{
	uint8_t *attest = NULL, *sig = NULL, *akbuf = NULL, esig[256];
	size_t alen, slen, klen, elen;
	struct akey ak, eckey;
	struct riv_err err;

	memset(&ak, 0, sizeof(ak));
	memset(&eckey, 0, sizeof(eckey));	/* an SPKI-like AK */

	if ((attest = read_corpus(corpus, GCE_QUOTE ".attest.bin",
	    &alen)) == NULL ||
	    (sig = read_corpus(corpus, GCE_QUOTE ".sig.bin", &slen)) == NULL ||
	    (akbuf = read_corpus(corpus, GCE_AK, &klen)) == NULL)
		goto done;
	if (akey_load(akbuf, klen, &ak, &err) != RIV_OK) {
		printf("quote: skipped: %s\n", err.msg);
		goto done;
	}
	run_verify("rsassa-2048/sha256", attest, alen, sig, slen, &ak);
	if (sign_p256(attest, alen, &eckey.pkey, esig, sizeof(esig),
	    &elen) == 0)
		run_verify("ecdsa-p256/sha256", attest, alen, esig, elen,
		    &eckey);
	else
		printf("quote verify (ecdsa-p256/sha256): cannot sign\n");
	run_akey_load(akbuf, klen);
done:
	akey_free(&ak);
	akey_free(&eckey);
	free(attest);
	free(sig);
	free(akbuf);
}
