/*
 * check_quote.c — unit tests for TPM 2.0 quote verification: the corpus
 * quotes (GCE vTPM, keylime) with their nonces and PCR values, each with
 * corrupted, truncated and padded variants; synthetic quotes signed here
 * with OpenSSL keys for every scheme (RSASSA, RSA-PSS, ECDSA P-256/P-384/
 * P-521) and hash, in every AK key form, over every bank; and the negative
 * cases (wrong key, key/scheme mismatch, TPM public areas of keys that are
 * no AK or fix another scheme, ECDSA r/s out of range, wrong magic or
 * type, PCRs above 23, oversized TPM2Bs, PEM trailing data).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <tss2/tss2_mu.h>

#include "bank.h"
#include "json.h"
#include "pcrset.h"
#include "quote.h"
#include "testutil.h"

#define GCE	"quotes/go-tpm-tools__gce-cos-85-nonce9009"
#define KL	"quotes/keylime__tpm_util_test_checkquote"
#define KL_NONCE "4169354d35536a596a6e6b797634503769744831"

/* A corpus quote with what it must verify against. */
struct corpus_case {
	const char	*attest;
	const char	*sig;
	const char	*ak;
	const char	*nonce;		/* hex */
	int		 keylime;	/* PCR values from the pcrblob */
	int		 bank;		/* the bank the quote selects */
	uint32_t	 mask;		/* the PCRs it selects */
	uint64_t	 clock;
	uint32_t	 reset_count;
	uint64_t	 firmware;
};

static const struct corpus_case cases[] = {
	{ GCE ".quote0_sha1.attest.bin", GCE ".quote0_sha1.sig.bin",
	    GCE ".akpub.bin", "9009", 0, BANK_SHA1, 0xffffff,
	    8219159479ULL, 10, 0x2016051100162800ULL },
	{ GCE ".quote1_sha256.attest.bin", GCE ".quote1_sha256.sig.bin",
	    GCE ".akpub.bin", "9009", 0, BANK_SHA256, 0xffffff,
	    8219159552ULL, 10, 0x2016051100162800ULL },
	{ GCE ".quote2_sha384.attest.bin", GCE ".quote2_sha384.sig.bin",
	    GCE ".akpub.bin", "9009", 0, BANK_SHA384, 0xffffff,
	    8219159625ULL, 10, 0x2016051100162800ULL },
	{ KL ".attest.bin", KL ".sig.bin", KL ".akpub.pem", KL_NONCE, 1,
	    BANK_SHA256, 1u << 16, 1284787942ULL, 3, 0x2019102300163636ULL },
	{ GCE ".quote1_sha256.attest.bin", GCE ".quote1_sha256.sig.bin",
	    GCE ".akcert.der", "9009", 0, BANK_SHA256, 0xffffff,
	    8219159552ULL, 10, 0x2016051100162800ULL },
};

#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

/* A corpus quote read into memory. */
struct evidence {
	uint8_t		*attest;
	size_t		 alen;
	uint8_t		*sig;
	size_t		 slen;
	struct akey	 ak;
	uint8_t		 nonce[64];
	size_t		 nlen;
	struct pcrset	 pcrs;
};

/* Read a little-endian 32-bit integer. */
static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Read a little-endian 16-bit integer. */
static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/*
 * Decode tpm2-tools' PCR output (host byte order): a TPML_PCR_SELECTION
 * (count, 16 entries of hash, sizeofSelect, pcrSelect[4], padding), the
 * number of TPML_DIGESTs, then TPML_DIGESTs of 8 TPM2B_DIGEST(64) each;
 * the values follow the selection's order.
 */
static void
load_pcrblob(struct pcrset *set)
{
	const uint8_t *sel, *dl, *d;
	uint8_t *blob;
	size_t len;
	uint32_t count, ndl, i, k = 0, n;
	unsigned p, j;
	int bank;

	blob = corpus_read(KL ".pcrblob.bin", &len);
	ck_assert_uint_eq(len, 4 + 16 * 8 + 4 + 4 + 8 * 66);
	count = le32(blob);
	ck_assert_uint_le(count, 16);
	ndl = le32(blob + 132);
	ck_assert_uint_eq(ndl, 1);
	dl = blob + 136;
	n = le32(dl);
	for (i = 0; i < count; i++) {
		sel = blob + 4 + 8 * i;
		bank = bank_by_alg(le16(sel));
		ck_assert_int_ge(bank, 0);
		for (j = 0; j < sel[2]; j++)
			for (p = 0; p < 8; p++) {
				if (!(sel[3 + j] >> p & 1))
					continue;
				ck_assert_uint_lt(k, n);
				d = dl + 4 + 66 * k++;
				ck_assert_uint_eq(le16(d),
				    bank_get(bank)->size);
				pcrset_set(set, bank, 8 * j + p, d + 2);
			}
	}
	free(blob);
}

/* Read the GCE quotes' expected PCR values (all three banks). */
static void
load_gce_pcrs(struct pcrset *set)
{
	const struct json *quotes, *q, *pcrs, *bname;
	struct json *doc;
	struct riv_err err;
	char path[4096];
	uint8_t d[DIGEST_MAX];
	size_t i, j, n;
	int bank;

	corpus_path(path, sizeof(path), GCE ".expected.json");
	doc = json_load(path, &err);
	ck_assert_msg(doc != NULL, "%s", err.msg);
	quotes = json_get(doc, "quotes");
	ck_assert_ptr_nonnull(quotes);
	ck_assert_uint_eq(quotes->n, 3);
	for (i = 0; i < quotes->n; i++) {
		q = quotes->items[i];
		bname = json_get(q, "bank");
		pcrs = json_get(q, "pcrs");
		ck_assert_ptr_nonnull(bname);
		ck_assert_ptr_nonnull(pcrs);
		bank = bank_by_name(bname->str);
		ck_assert_int_ge(bank, 0);
		ck_assert_uint_eq(pcrs->n, 24);
		for (j = 0; j < pcrs->n; j++) {
			ck_assert_int_eq(hex_decode(pcrs->items[j]->str,
			    pcrs->items[j]->len, d, sizeof(d), &n), 0);
			ck_assert_uint_eq(n, bank_get(bank)->size);
			pcrset_set(set, bank, (unsigned)atoi(pcrs->keys[j]), d);
		}
	}
	json_free(doc);
}

/* Read corpus case i into ev. */
static void
evidence_load(int i, struct evidence *ev)
{
	const struct corpus_case *c = &cases[i];
	struct riv_err err;
	uint8_t *akbuf;
	size_t klen;

	ev->attest = corpus_read(c->attest, &ev->alen);
	ev->sig = corpus_read(c->sig, &ev->slen);
	akbuf = corpus_read(c->ak, &klen);
	ck_assert_msg(akey_load(akbuf, klen, &ev->ak, &err) == RIV_OK, "%s: %s",
	    c->ak, err.msg);
	free(akbuf);
	ck_assert_int_eq(hex_decode(c->nonce, strlen(c->nonce), ev->nonce,
	    sizeof(ev->nonce), &ev->nlen), 0);
	pcrset_init(&ev->pcrs);
	if (c->keylime)
		load_pcrblob(&ev->pcrs);
	else
		load_gce_pcrs(&ev->pcrs);
}

/* Free what evidence_load read. */
static void
evidence_free(struct evidence *ev)
{
	free(ev->attest);
	free(ev->sig);
	akey_free(&ev->ak);
}

/* An AK of key k that says nothing about its use (as an SPKI would). */
#define AK(k)	(&(const struct akey){ .pkey = (k) })

/* Parse and verify; the first result that is not RIV_OK. */
static int
parse_verify(const uint8_t *a, size_t alen, const uint8_t *s, size_t slen,
    const struct akey *ak, struct quote *q, struct riv_err *err)
{
	int rc;

	if ((rc = quote_parse(a, alen, q, err)) != RIV_OK)
		return rc;
	return quote_verify(a, alen, s, slen, ak, q, err);
}

/* Every corpus quote verifies, with its nonce and PCR values. */
START_TEST(test_corpus_valid)
{
	const struct corpus_case *c = &cases[_i];
	struct evidence ev;
	struct quote q;
	struct riv_err err;

	evidence_load(_i, &ev);
	ck_assert_msg(parse_verify(ev.attest, ev.alen, ev.sig, ev.slen, &ev.ak,
	    &q, &err) == RIV_OK, "%s: %s", c->attest, err.msg);
	ck_assert_uint_eq(q.magic, 0xff544347);
	ck_assert_uint_eq(q.type, 0x8018);
	ck_assert_uint_eq(q.clock, c->clock);
	ck_assert_uint_eq(q.reset_count, c->reset_count);
	ck_assert_uint_eq(q.restart_count, 0);
	ck_assert_int_eq(q.safe, 1);
	ck_assert_uint_eq(q.firmware_version, c->firmware);
	ck_assert_uint_eq(q.signer_len, 34);
	ck_assert_uint_eq(q.nsel, 1);
	ck_assert_int_eq(q.sel[0].bank, c->bank);
	ck_assert_uint_eq(q.sel[0].mask, c->mask);
	ck_assert_uint_eq(q.sig_alg, TPM_ALG_RSASSA);
	ck_assert_int_eq(q.sig_bank, BANK_SHA256);
	ck_assert_uint_eq(q.pcr_digest_len, 32);
	ck_assert_msg(quote_check_nonce(&q, ev.nonce, ev.nlen, &err) ==
	    RIV_OK, "%s", err.msg);
	ck_assert_msg(quote_check_pcrs(&q, &ev.pcrs, &err) == RIV_OK, "%s",
	    err.msg);
	evidence_free(&ev);
}
END_TEST

/* The keylime PCR blob decodes to the known value of sha256 PCR 16. */
START_TEST(test_pcrblob_value)
{
	static const char want[] =
	    "d471c0674951f0ef075aecdd42fbefa6eca6019820add0bd222d1c4e6242ce6f";
	char hex[2 * DIGEST_MAX + 1];
	struct pcrset set;

	pcrset_init(&set);
	load_pcrblob(&set);
	ck_assert_uint_eq(set.mask[BANK_SHA256], 1u << 16);
	ck_assert_uint_eq(set.mask[BANK_SHA1], 0);
	hex_encode(pcrset_get(&set, BANK_SHA256, 16), 32, hex);
	ck_assert_str_eq(hex, want);
}
END_TEST

/* A flipped byte in the signed data (nonce, clock, pcrDigest) fails. */
START_TEST(test_corpus_flip_attest)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;
	size_t offs[3], k;

	evidence_load(_i, &ev);
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_OK);
	offs[0] = 6 + 2 + q.signer_len + 2;		/* extraData */
	offs[1] = offs[0] + q.extra_len + 7;		/* clock */
	offs[2] = ev.alen - 1;				/* pcrDigest */
	for (k = 0; k < 3; k++) {
		ev.attest[offs[k]] ^= 0x01;
		ck_assert_int_eq(parse_verify(ev.attest, ev.alen, ev.sig,
		    ev.slen, &ev.ak, &q, &err), RIV_FAIL);
		ck_assert_msg(strstr(err.msg, "does not verify") != NULL,
		    "%s", err.msg);
		ev.attest[offs[k]] ^= 0x01;
	}
	evidence_free(&ev);
}
END_TEST

/* Flipped signature bytes: RSA data and hash fail, structure malformed. */
START_TEST(test_corpus_flip_sig)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;

	evidence_load(_i, &ev);
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_OK);
	/* last byte of the RSA signature: does not verify */
	ev.sig[ev.slen - 1] ^= 0x80;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_FAIL);
	ev.sig[ev.slen - 1] ^= 0x80;
	/* first byte of the RSA signature */
	ev.sig[6] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_FAIL);
	ev.sig[6] ^= 0x01;
	/* hash 0x000b -> 0x000a: unknown hash, fails */
	ev.sig[3] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "0x000a") != NULL, "%s", err.msg);
	ev.sig[3] ^= 0x01;
	/* hash 0x000b -> 0x0004 (sha1): verifies with the wrong hash */
	ev.sig[3] = 0x04;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_FAIL);
	ev.sig[3] = 0x0b;
	/* sigAlg 0x0014 -> 0x0015: not a signature algorithm */
	ev.sig[1] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "sigAlg") != NULL, "%s", err.msg);
	ev.sig[1] ^= 0x01;
	/* sigAlg 0x0014 -> 0x0016 (RSA-PSS): a PKCS#1 signature fails */
	ev.sig[1] = 0x16;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_FAIL);
	ev.sig[1] = 0x14;
	/* size 0x0100 -> 0x0000: 256 trailing bytes */
	ev.sig[4] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	ev.sig[4] ^= 0x01;
	/* size 0x0100 -> 0x0101: truncated */
	ev.sig[5] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
	ev.sig[5] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_OK);
	evidence_free(&ev);
}
END_TEST

/* Every truncation of attest, signature and AK is malformed. */
START_TEST(test_corpus_truncated)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;
	struct akey k;
	uint8_t *akbuf;
	size_t n, klen;

	evidence_load(_i, &ev);
	for (n = 0; n < ev.alen; n++) {
		ck_assert_int_eq(quote_parse(ev.attest, n, &q, &err),
		    RIV_MALFORMED);
		ck_assert_msg(strstr(err.msg, "byte offset") != NULL, "%s",
		    err.msg);
	}
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_OK);
	for (n = 0; n < ev.slen; n++)
		ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, n,
		    &ev.ak, &q, &err), RIV_MALFORMED);
	akbuf = corpus_read(cases[_i].ak, &klen);
	for (n = 0; n < klen; n += (cases[_i].keylime ? 7 : 1)) {
		ck_assert_msg(akey_load(akbuf, n, &k, &err) == RIV_MALFORMED,
		    "AK truncated to %zu bytes loads", n);
	}
	free(akbuf);
	evidence_free(&ev);
}
END_TEST

/* A byte after attest, signature or TPM AK is malformed. */
START_TEST(test_corpus_trailing)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;
	struct akey k;
	uint8_t *buf, *akbuf;
	size_t klen;

	evidence_load(_i, &ev);
	buf = malloc(ev.alen + ev.slen + 1);
	memcpy(buf, ev.attest, ev.alen);
	buf[ev.alen] = 0;
	ck_assert_int_eq(quote_parse(buf, ev.alen + 1, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "1 trailing byte") != NULL, "%s",
	    err.msg);
	memcpy(buf, ev.sig, ev.slen);
	buf[ev.slen] = 0xee;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, buf, ev.slen + 1,
	    &ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	free(buf);
	if (!cases[_i].keylime) {
		akbuf = corpus_read(cases[_i].ak, &klen);
		buf = malloc(klen + 1);
		memcpy(buf, akbuf, klen);
		buf[klen] = 0;
		ck_assert_int_eq(akey_load(buf, klen + 1, &k, &err),
		    RIV_MALFORMED);
		ck_assert_msg(strstr(err.msg, buf[0] == 0x30 ?
		    "fills the input exactly" :
		    "TPMT_PUBLIC: 1 trailing byte") != NULL, "%s", err.msg);
		free(buf);
		free(akbuf);
	}
	evidence_free(&ev);
}
END_TEST

/* A different nonce fails, whatever its length. */
START_TEST(test_corpus_wrong_nonce)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;

	evidence_load(_i, &ev);
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_OK);
	ev.nonce[ev.nlen - 1] ^= 0x01;
	ck_assert_int_eq(quote_check_nonce(&q, ev.nonce, ev.nlen, &err),
	    RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "nonce") != NULL, "%s", err.msg);
	ev.nonce[ev.nlen - 1] ^= 0x01;
	ck_assert_int_eq(quote_check_nonce(&q, ev.nonce, ev.nlen - 1, &err),
	    RIV_FAIL);
	ck_assert_int_eq(quote_check_nonce(&q, ev.nonce, 0, &err), RIV_FAIL);
	ck_assert_int_eq(quote_check_nonce(&q, ev.nonce, ev.nlen, &err),
	    RIV_OK);
	evidence_free(&ev);
}
END_TEST

/* A wrong PCR value fails; a missing one is malformed and named. */
START_TEST(test_corpus_wrong_pcr)
{
	const struct corpus_case *c = &cases[_i];
	struct evidence ev;
	struct quote q;
	struct riv_err err;
	uint8_t v[DIGEST_MAX];
	unsigned p = c->keylime ? 16 : 7;
	char want[64];

	evidence_load(_i, &ev);
	ck_assert_int_eq(parse_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_OK);
	memcpy(v, pcrset_get(&ev.pcrs, c->bank, p), DIGEST_MAX);
	v[0] ^= 0x01;
	pcrset_set(&ev.pcrs, c->bank, p, v);
	ck_assert_int_eq(quote_check_pcrs(&q, &ev.pcrs, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "pcrDigest") != NULL, "%s", err.msg);
	ev.pcrs.mask[c->bank] &= ~(1u << p);
	ck_assert_int_eq(quote_check_pcrs(&q, &ev.pcrs, &err), RIV_MALFORMED);
	snprintf(want, sizeof(want), "%s PCR %u", bank_get(c->bank)->name, p);
	ck_assert_msg(strstr(err.msg, want) != NULL, "%s", err.msg);
	/* other banks' values do not matter */
	v[0] ^= 0x01;
	pcrset_set(&ev.pcrs, c->bank, p, v);
	memset(v, 0x5a, sizeof(v));
	pcrset_set(&ev.pcrs, BANK_SHA512, 3, v);
	ck_assert_int_eq(quote_check_pcrs(&q, &ev.pcrs, &err), RIV_OK);
	evidence_free(&ev);
}
END_TEST

/* Wrong magic and a type that is no attestation structure fail. */
START_TEST(test_corpus_magic_type)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;

	evidence_load(_i, &ev);
	ev.attest[0] ^= 0x01;
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "magic 0xfe544347") != NULL, "%s",
	    err.msg);
	ck_assert_uint_eq(q.nsel, 1);	/* still parsed */
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    &ev.ak, &q, &err), RIV_FAIL);
	ev.attest[0] ^= 0x01;
	ev.attest[5] = 0x99;		/* type 0x8099 */
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "type 0x8099") != NULL, "%s", err.msg);
	evidence_free(&ev);
}
END_TEST

/* Load buf as an AK that must load; return its key. */
static EVP_PKEY *
ak_must_load(const uint8_t *buf, size_t len, struct akey *ak)
{
	struct riv_err err;

	ck_assert_msg(akey_load(buf, len, ak, &err) == RIV_OK, "%s", err.msg);
	ck_assert_ptr_nonnull(ak->pkey);
	return ak->pkey;
}

/* Fail unless buf is refused as an AK with a reason containing want. */
static void
ak_must_fail(const uint8_t *buf, size_t len, const char *want)
{
	struct riv_err err;
	struct akey ak;

	ck_assert_int_eq(akey_load(buf, len, &ak, &err), RIV_MALFORMED);
	ck_assert_ptr_null(ak.pkey);
	ck_assert_msg(strstr(err.msg, want) != NULL, "wanted \"%s\": %s",
	    want, err.msg);
}

/*
 * The AK in every accepted form: TPMT_PUBLIC (which says it is a restricted
 * RSASSA/SHA-256 signing key), TPM2B_PUBLIC, DER and PEM certificate, DER
 * and PEM SPKI (which say nothing of the key's use).
 */
START_TEST(test_ak_forms)
{
	static const char *ak_files[] = { GCE ".akpub.bin", GCE ".akcert.der",
	    KL ".akpub.pem" };
	uint8_t *buf, *der = NULL, *wrapped;
	struct akey ref, k;
	size_t len, i;
	BIO *bio;
	X509 *x;
	char *pem;
	long plen;
	int dlen;

	for (i = 0; i < 3; i++) {
		buf = corpus_read(ak_files[i], &len);
		ak_must_load(buf, len, &ref);
		ck_assert_int_eq(EVP_PKEY_get_bits(ref.pkey), 2048);
		ck_assert_int_eq(ref.tpm, i == 0);
		if (i == 0) {
			ck_assert_uint_eq(ref.attrs & 0x00070000, 0x00050000);
			ck_assert_uint_eq(ref.symmetric, TPM_ALG_NULL);
			ck_assert_uint_eq(ref.scheme, TPM_ALG_RSASSA);
			ck_assert_uint_eq(ref.hash, TPM_ALG_SHA256);
		} else
			ck_assert_uint_eq(ref.scheme, TPM_ALG_NULL);
		/* DER SubjectPublicKeyInfo of the same key */
		der = NULL;
		dlen = i2d_PUBKEY(ref.pkey, &der);
		ck_assert_int_gt(dlen, 0);
		ak_must_load(der, (size_t)dlen, &k);
		ck_assert_int_eq(EVP_PKEY_eq(k.pkey, ref.pkey), 1);
		ck_assert_int_eq(k.tpm, 0);
		akey_free(&k);
		OPENSSL_free(der);
		akey_free(&ref);
		if (i == 0) {
			/* the TPMT_PUBLIC as a TPM2B_PUBLIC */
			wrapped = malloc(len + 2);
			wrapped[0] = (uint8_t)(len >> 8);
			wrapped[1] = (uint8_t)len;
			memcpy(wrapped + 2, buf, len);
			ak_must_load(wrapped, len + 2, &k);
			ck_assert_int_eq(k.tpm, 1);
			akey_free(&k);
			wrapped[1]++;		/* size too large */
			ak_must_fail(wrapped, len + 2, "TPM2B_PUBLIC: size 281 "
			    "at byte offset 0 does not match the 280 bytes");
			wrapped[1] -= 2;	/* size too small */
			ak_must_fail(wrapped, len + 2,
			    "TPM2B_PUBLIC: size 279");
			free(wrapped);
		}
		if (i == 1) {
			/* the certificate as PEM */
			const uint8_t *p = buf;

			x = d2i_X509(NULL, &p, (long)len);
			ck_assert_ptr_nonnull(x);
			bio = BIO_new(BIO_s_mem());
			PEM_write_bio_X509(bio, x);
			plen = BIO_get_mem_data(bio, &pem);
			ak_must_load((uint8_t *)pem, (size_t)plen, &k);
			akey_free(&k);
			BIO_free(bio);
			X509_free(x);
		}
		free(buf);
	}
}
END_TEST

/* A PEM AK may be surrounded by white space, nothing else. */
START_TEST(test_ak_pem_trailing)
{
	uint8_t *pem, *buf;
	struct akey k;
	size_t len;
	char want[64];

	pem = corpus_read(KL ".akpub.pem", &len);
	buf = malloc(2 * len + 16);
	memcpy(buf, "\n \t", 3);
	memcpy(buf + 3, pem, len);
	memcpy(buf + 3 + len, "\r\n\n  \t\n", 7);
	ak_must_load(buf, len + 10, &k);
	akey_free(&k);
	/* any other byte after the block, at the offset named */
	memcpy(buf + 3 + len, "\nx\n", 3);
	snprintf(want, sizeof(want), "PEM: data at byte offset %zu after",
	    len + 4);
	ak_must_fail(buf, len + 6, want);
	/* a second block */
	memcpy(buf + 3 + len, pem, len);
	ak_must_fail(buf, 3 + 2 * len, "only white space may follow");
	free(buf);
	free(pem);
}
END_TEST

/* Input that is no key at all is refused with a reason. */
START_TEST(test_ak_garbage)
{
	static const char pem_priv[] = "-----BEGIN PRIVATE KEY-----\nMII=\n"
	    "-----END PRIVATE KEY-----\n";
	static const char pem_bad[] = "-----BEGIN PUBLIC KEY-----\nAAAA\n"
	    "-----END PUBLIC KEY-----\n";
	static const uint8_t der_bad[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	static const uint8_t keyedhash[] = { 0x00, 0x08, 0x00, 0x0b };
	static const uint8_t nokey[] = { 0x00, 0x14, 0x00, 0x0b, 0x01 };

	ak_must_fail((const uint8_t *)"", 0, "empty");
	ak_must_fail((const uint8_t *)" \n", 2, "empty");
	ak_must_fail((const uint8_t *)pem_priv, strlen(pem_priv),
	    "PUBLIC KEY or CERTIFICATE");
	ak_must_fail((const uint8_t *)pem_bad, strlen(pem_bad),
	    "not a valid SubjectPublicKeyInfo");
	ak_must_fail(der_bad, sizeof(der_bad), "DER");
	ak_must_fail(keyedhash, sizeof(keyedhash), "not an RSA or ECC key");
	ak_must_fail(nokey, sizeof(nokey), "nor is 0x0014 the type of a "
	    "TPMT_PUBLIC");
}
END_TEST

/* ---- synthetic quotes signed here ---- */

/* One synthetic quote: how it is signed and what it says. */
struct synth {
	EVP_PKEY	*key;
	uint16_t	 scheme;	/* TPM_ALG_RSASSA, _RSAPSS, _ECDSA */
	uint16_t	 hash;		/* signature hash */
	int		 salt;		/* RSA-PSS salt length (OpenSSL mode) */
	TPMS_ATTEST	 info;
	uint8_t		 attest[1024];
	size_t		 alen;
	TPMT_SIGNATURE	 ts;
	uint8_t		 sig[1200];
	size_t		 slen;
	struct pcrset	 pcrs;
};

/* Generate a key: "RSA" with bits, or "EC" with a curve name. */
static EVP_PKEY *
make_key(const char *type, size_t bits, const char *curve)
{
	EVP_PKEY *k;

	if (strcmp(type, "RSA") == 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", bits);
	else
		k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", curve);
	ck_assert_ptr_nonnull(k);
	return k;
}

/* The OpenSSL name of a TPM hash algorithm. */
static const char *
md_name(uint16_t hash)
{
	int b = bank_by_alg(hash);

	ck_assert_int_ge(b, 0);
	return bank_get(b)->ossl;
}

/*
 * Fill s->info with a quote over sha1 {0,1,2} and sha256 {0,7,16} whose
 * pcrDigest uses the signature hash, and the PCR values into s->pcrs.
 */
static void
synth_info(struct synth *s)
{
	TPMS_ATTEST *a = &s->info;
	TPML_PCR_SELECTION *sel = &a->attested.quote.pcrSelect;
	static const unsigned sha1_pcrs[] = { 0, 1, 2 };
	static const unsigned sha256_pcrs[] = { 0, 7, 16 };
	uint8_t v[DIGEST_MAX], cat[6 * DIGEST_MAX];
	unsigned int dlen;
	size_t i, n = 0;

	memset(a, 0, sizeof(*a));
	a->magic = TPM2_GENERATED_VALUE;
	a->type = TPM2_ST_ATTEST_QUOTE;
	a->qualifiedSigner.size = 34;
	a->qualifiedSigner.name[1] = 0x0b;
	memset(a->qualifiedSigner.name + 2, 0xaa, 32);
	a->extraData.size = 8;
	memcpy(a->extraData.buffer, "nonce-42", 8);
	a->clockInfo.clock = 123456789;
	a->clockInfo.resetCount = 5;
	a->clockInfo.restartCount = 2;
	a->clockInfo.safe = 1;
	a->firmwareVersion = 0x0102030405060708ULL;
	sel->count = 2;
	sel->pcrSelections[0].hash = TPM2_ALG_SHA1;
	sel->pcrSelections[0].sizeofSelect = 3;
	sel->pcrSelections[0].pcrSelect[0] = 0x07;
	sel->pcrSelections[1].hash = TPM2_ALG_SHA256;
	sel->pcrSelections[1].sizeofSelect = 3;
	sel->pcrSelections[1].pcrSelect[0] = 0x81;
	sel->pcrSelections[1].pcrSelect[2] = 0x01;
	pcrset_init(&s->pcrs);
	for (i = 0; i < 3; i++) {
		memset(v, 0x10 + (int)sha1_pcrs[i], sizeof(v));
		pcrset_set(&s->pcrs, BANK_SHA1, sha1_pcrs[i], v);
		memcpy(cat + n, v, 20);
		n += 20;
	}
	for (i = 0; i < 3; i++) {
		memset(v, 0x40 + (int)sha256_pcrs[i], sizeof(v));
		pcrset_set(&s->pcrs, BANK_SHA256, sha256_pcrs[i], v);
		memcpy(cat + n, v, 32);
		n += 32;
	}
	/* values of unselected PCRs that must not count */
	memset(v, 0xee, sizeof(v));
	pcrset_set(&s->pcrs, BANK_SHA1, 3, v);
	pcrset_set(&s->pcrs, BANK_SHA256, 1, v);
	ck_assert_int_eq(EVP_Digest(cat, n, a->attested.quote.pcrDigest.buffer,
	    &dlen, EVP_get_digestbyname(md_name(s->hash)), NULL), 1);
	a->attested.quote.pcrDigest.size = (UINT16)dlen;
}

/* Marshal s->info into s->attest. */
static void
synth_marshal(struct synth *s)
{
	s->alen = 0;
	ck_assert_int_eq(Tss2_MU_TPMS_ATTEST_Marshal(&s->info, s->attest,
	    sizeof(s->attest), &s->alen), TSS2_RC_SUCCESS);
}

/* Sign s->attest with s->key into s->ts and marshal it into s->sig. */
static void
synth_sign(struct synth *s)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t raw[1024];
	size_t rlen = sizeof(raw);
	const unsigned char *p = raw;
	const BIGNUM *r, *sv;
	ECDSA_SIG *es;
	int field;

	ck_assert_int_eq(EVP_DigestSignInit_ex(ctx, &pctx, md_name(s->hash),
	    NULL, NULL, s->key, NULL), 1);
	if (s->scheme == TPM_ALG_RSAPSS) {
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_padding(pctx,
		    RSA_PKCS1_PSS_PADDING), 1);
		ck_assert_int_eq(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
		    s->salt), 1);
	}
	ck_assert_int_eq(EVP_DigestSign(ctx, raw, &rlen, s->attest, s->alen),
	    1);
	EVP_MD_CTX_free(ctx);
	memset(&s->ts, 0, sizeof(s->ts));
	s->ts.sigAlg = s->scheme;
	if (s->scheme == TPM_ALG_ECDSA) {
		field = (EVP_PKEY_get_bits(s->key) + 7) / 8;
		es = d2i_ECDSA_SIG(NULL, &p, (long)rlen);
		ck_assert_ptr_nonnull(es);
		ECDSA_SIG_get0(es, &r, &sv);
		s->ts.signature.ecdsa.hash = s->hash;
		s->ts.signature.ecdsa.signatureR.size = (UINT16)field;
		s->ts.signature.ecdsa.signatureS.size = (UINT16)field;
		BN_bn2binpad(r, s->ts.signature.ecdsa.signatureR.buffer, field);
		BN_bn2binpad(sv, s->ts.signature.ecdsa.signatureS.buffer,
		    field);
		ECDSA_SIG_free(es);
	} else {
		s->ts.signature.rsassa.hash = s->hash;
		s->ts.signature.rsassa.sig.size = (UINT16)rlen;
		memcpy(s->ts.signature.rsassa.sig.buffer, raw, rlen);
	}
}

/* Marshal s->ts into s->sig. */
static void
synth_marshal_sig(struct synth *s)
{
	s->slen = 0;
	ck_assert_int_eq(Tss2_MU_TPMT_SIGNATURE_Marshal(&s->ts, s->sig,
	    sizeof(s->sig), &s->slen), TSS2_RC_SUCCESS);
}

/* Build, sign and marshal a complete synthetic quote. */
static void
synth_make(struct synth *s, EVP_PKEY *key, uint16_t scheme, uint16_t hash,
    int salt)
{
	s->key = key;
	s->scheme = scheme;
	s->hash = hash;
	s->salt = salt;
	synth_info(s);
	synth_marshal(s);
	synth_sign(s);
	synth_marshal_sig(s);
}

/* Describe key as a TPMT_PUBLIC (RSA exponent 0 if zero_exp and 65537). */
static void
key_to_tpmt(EVP_PKEY *key, TPMT_PUBLIC *pub, int zero_exp)
{
	BIGNUM *n = NULL, *e = NULL, *x = NULL, *y = NULL;
	int bits = EVP_PKEY_get_bits(key), field;

	memset(pub, 0, sizeof(*pub));
	pub->nameAlg = TPM2_ALG_SHA256;
	pub->objectAttributes = 0x00050072;	/* restricted signing AK */
	if (EVP_PKEY_is_a(key, "RSA")) {
		pub->type = TPM2_ALG_RSA;
		pub->parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_NULL;
		pub->parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
		pub->parameters.rsaDetail.keyBits = (UINT16)bits;
		ck_assert_int_eq(EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_RSA_N, &n), 1);
		ck_assert_int_eq(EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_RSA_E, &e), 1);
		pub->parameters.rsaDetail.exponent = (UINT32)BN_get_word(e);
		if (zero_exp && BN_get_word(e) == 65537)
			pub->parameters.rsaDetail.exponent = 0;
		pub->unique.rsa.size = (UINT16)(bits / 8);
		BN_bn2binpad(n, pub->unique.rsa.buffer, bits / 8);
	} else {
		pub->type = TPM2_ALG_ECC;
		pub->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_NULL;
		pub->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
		pub->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
		pub->parameters.eccDetail.curveID = bits == 256 ?
		    TPM2_ECC_NIST_P256 : bits == 384 ? TPM2_ECC_NIST_P384 :
		    TPM2_ECC_NIST_P521;
		field = (bits + 7) / 8;
		ck_assert_int_eq(EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_EC_PUB_X, &x), 1);
		ck_assert_int_eq(EVP_PKEY_get_bn_param(key,
		    OSSL_PKEY_PARAM_EC_PUB_Y, &y), 1);
		pub->unique.ecc.x.size = (UINT16)field;
		pub->unique.ecc.y.size = (UINT16)field;
		BN_bn2binpad(x, pub->unique.ecc.x.buffer, field);
		BN_bn2binpad(y, pub->unique.ecc.y.buffer, field);
	}
	BN_free(n);
	BN_free(e);
	BN_free(x);
	BN_free(y);
}

/* Fix the signing scheme and hash in a public area. */
static void
key_scheme(TPMT_PUBLIC *pub, uint16_t scheme, uint16_t hash)
{
	if (pub->type == TPM2_ALG_RSA) {
		pub->parameters.rsaDetail.scheme.scheme = scheme;
		pub->parameters.rsaDetail.scheme.details.anySig.hashAlg = hash;
	} else {
		pub->parameters.eccDetail.scheme.scheme = scheme;
		pub->parameters.eccDetail.scheme.details.anySig.hashAlg = hash;
	}
}

/* Marshal pub and load it through akey_load, which must succeed. */
static void
tpmt_load(const TPMT_PUBLIC *pub, struct akey *ak)
{
	uint8_t buf[1200];
	size_t len = 0;

	ck_assert_int_eq(Tss2_MU_TPMT_PUBLIC_Marshal(pub, buf, sizeof(buf),
	    &len), TSS2_RC_SUCCESS);
	ak_must_load(buf, len, ak);
}

/* Load key through akey_load into ak in form 0 TPMT_PUBLIC, 1 TPM2B_PUBLIC,
 * 2 DER SPKI, 3 PEM SPKI; the loaded key equals the original. */
static void
key_reload(EVP_PKEY *key, int form, struct akey *ak)
{
	uint8_t buf[1200], *der = NULL;
	TPM2B_PUBLIC p2b;
	size_t len = 0;
	char *pem;
	long plen;
	BIO *bio;
	int dlen;

	memset(&p2b, 0, sizeof(p2b));
	key_to_tpmt(key, &p2b.publicArea, 1);
	if (form == 0)
		tpmt_load(&p2b.publicArea, ak);
	else if (form == 1) {
		ck_assert_int_eq(Tss2_MU_TPM2B_PUBLIC_Marshal(&p2b, buf,
		    sizeof(buf), &len), TSS2_RC_SUCCESS);
		ck_assert_uint_eq((size_t)(buf[0] << 8 | buf[1]), len - 2);
		ak_must_load(buf, len, ak);
	} else if (form == 2) {
		dlen = i2d_PUBKEY(key, &der);
		ck_assert_int_gt(dlen, 0);
		ak_must_load(der, (size_t)dlen, ak);
		OPENSSL_free(der);
	} else {
		bio = BIO_new(BIO_s_mem());
		ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, key), 1);
		plen = BIO_get_mem_data(bio, &pem);
		ak_must_load((uint8_t *)pem, (size_t)plen, ak);
		BIO_free(bio);
	}
	ck_assert_int_eq(ak->tpm, form < 2);
	ck_assert_int_eq(EVP_PKEY_eq(ak->pkey, key), 1);
}

/* Keys shared by the synthetic tests (generated once per process). */
static EVP_PKEY *rsa_key, *rsa_key2, *p256_key, *p384_key, *p521_key;

/* Generate the shared keys. */
static void
keys_setup(void)
{
	rsa_key = make_key("RSA", 2048, NULL);
	rsa_key2 = make_key("RSA", 2048, NULL);
	p256_key = make_key("EC", 0, "P-256");
	p384_key = make_key("EC", 0, "P-384");
	p521_key = make_key("EC", 0, "P-521");
}

/* Free the shared keys. */
static void
keys_teardown(void)
{
	EVP_PKEY_free(rsa_key);
	EVP_PKEY_free(rsa_key2);
	EVP_PKEY_free(p256_key);
	EVP_PKEY_free(p384_key);
	EVP_PKEY_free(p521_key);
}

/* A scheme/hash/key combination that must verify. */
struct combo {
	const char	*key;		/* "rsa", "p256", "p384", "p521" */
	uint16_t	 scheme;
	uint16_t	 hash;
	int		 salt;
};

static const struct combo combos[] = {
	{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA1, 0 },
	{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA256, 0 },
	{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA384, 0 },
	{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA512, 0 },
	{ "rsa", TPM_ALG_RSAPSS, TPM_ALG_SHA1, RSA_PSS_SALTLEN_DIGEST },
	{ "rsa", TPM_ALG_RSAPSS, TPM_ALG_SHA256, RSA_PSS_SALTLEN_DIGEST },
	{ "rsa", TPM_ALG_RSAPSS, TPM_ALG_SHA384, RSA_PSS_SALTLEN_DIGEST },
	{ "rsa", TPM_ALG_RSAPSS, TPM_ALG_SHA512, RSA_PSS_SALTLEN_DIGEST },
	{ "rsa", TPM_ALG_RSAPSS, TPM_ALG_SHA256, RSA_PSS_SALTLEN_MAX },
	{ "p256", TPM_ALG_ECDSA, TPM_ALG_SHA256, 0 },
	{ "p256", TPM_ALG_ECDSA, TPM_ALG_SHA1, 0 },
	{ "p256", TPM_ALG_ECDSA, TPM_ALG_SHA384, 0 },
	{ "p256", TPM_ALG_ECDSA, TPM_ALG_SHA512, 0 },
	{ "p384", TPM_ALG_ECDSA, TPM_ALG_SHA384, 0 },
	{ "p384", TPM_ALG_ECDSA, TPM_ALG_SHA256, 0 },
	{ "p384", TPM_ALG_ECDSA, TPM_ALG_SHA512, 0 },
	{ "p521", TPM_ALG_ECDSA, TPM_ALG_SHA512, 0 },
};

#define NCOMBOS ((int)(sizeof(combos) / sizeof(combos[0])))

/* Return a shared key by name. */
static EVP_PKEY *
combo_key(const char *name)
{
	if (strcmp(name, "rsa") == 0)
		return rsa_key;
	if (strcmp(name, "p256") == 0)
		return p256_key;
	if (strcmp(name, "p384") == 0)
		return p384_key;
	return p521_key;
}

/*
 * Every combination verifies with the key in each form, reports what was
 * quoted, and its pcrDigest (in the signature's hash) matches the values.
 */
START_TEST(test_synth_valid)
{
	const struct combo *c = &combos[_i];
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;
	struct akey k;
	TPMT_PUBLIC pub;
	int form;

	synth_make(s, combo_key(c->key), c->scheme, c->hash, c->salt);
	for (form = 0; form < 5; form++) {
		if (form < 4)
			key_reload(s->key, form, &k);
		else {
			/* a public area that fixes the scheme used */
			key_to_tpmt(s->key, &pub, 0);
			key_scheme(&pub, c->scheme, c->hash);
			tpmt_load(&pub, &k);
			ck_assert_uint_eq(k.scheme, c->scheme);
			ck_assert_uint_eq(k.hash, c->hash);
		}
		ck_assert_msg(parse_verify(s->attest, s->alen, s->sig, s->slen,
		    &k, &q, &err) == RIV_OK, "%s %s/%s form %d: %s", c->key,
		    quote_scheme_name(c->scheme), md_name(c->hash), form,
		    err.msg);
		akey_free(&k);
	}
	ck_assert_uint_eq(q.sig_alg, c->scheme);
	ck_assert_int_eq(q.sig_bank, bank_by_alg(c->hash));
	ck_assert_uint_eq(q.clock, 123456789);
	ck_assert_uint_eq(q.reset_count, 5);
	ck_assert_uint_eq(q.restart_count, 2);
	ck_assert_uint_eq(q.firmware_version, 0x0102030405060708ULL);
	ck_assert_uint_eq(q.nsel, 2);
	ck_assert_int_eq(q.sel[0].bank, BANK_SHA1);
	ck_assert_uint_eq(q.sel[0].mask, 0x7);
	ck_assert_int_eq(q.sel[1].bank, BANK_SHA256);
	ck_assert_uint_eq(q.sel[1].mask, 0x10081);
	ck_assert_int_eq(quote_check_nonce(&q, (const uint8_t *)"nonce-42", 8,
	    &err), RIV_OK);
	ck_assert_msg(quote_check_pcrs(&q, &s->pcrs, &err) == RIV_OK, "%s",
	    err.msg);
	/* a flipped attest byte or signature byte fails */
	s->attest[20] ^= 0x04;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(s->key), &q, &err), RIV_FAIL);
	s->attest[20] ^= 0x04;
	s->sig[s->slen - 1] ^= 0x04;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(s->key), &q, &err), RIV_FAIL);
	s->sig[s->slen - 1] ^= 0x04;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(s->key), &q, &err), RIV_OK);
	free(s);
}
END_TEST

/* A signature by another key of the same kind fails. */
START_TEST(test_synth_wrong_key)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(rsa_key2), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "rsassa/sha256 signature does not "
	    "verify") != NULL, "%s", err.msg);
	synth_make(s, p384_key, TPM_ALG_ECDSA, TPM_ALG_SHA384, 0);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p521_key), &q, &err), RIV_FAIL);
	free(s);
}
END_TEST

/* An ECDSA signature with an RSA AK, and the reverse, fail. */
START_TEST(test_synth_key_mismatch)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(rsa_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "ecdsa/sha256 signature, but the AK is "
	    "an RSA key") != NULL, "%s", err.msg);
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "but the AK is an EC key") != NULL, "%s",
	    err.msg);
	/* an RSA-PSS signature labelled RSASSA, and the reverse */
	synth_make(s, rsa_key, TPM_ALG_RSAPSS, TPM_ALG_SHA256,
	    RSA_PSS_SALTLEN_DIGEST);
	s->ts.sigAlg = TPM_ALG_RSASSA;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(rsa_key), &q, &err), RIV_FAIL);
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->ts.sigAlg = TPM_ALG_RSAPSS;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(rsa_key), &q, &err), RIV_FAIL);
	/* a signature claiming another hash than it was made with */
	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	s->ts.signature.ecdsa.hash = TPM2_ALG_SHA384;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	free(s);
}
END_TEST

/* Set an ECDSA value to a big-endian number given in hex. */
static void
set_ecc_param(TPM2B_ECC_PARAMETER *v, const char *hex)
{
	size_t n;

	ck_assert_int_eq(hex_decode(hex, strlen(hex), v->buffer,
	    sizeof(v->buffer), &n), 0);
	v->size = (UINT16)n;
}

/* ECDSA r or s of zero, of the curve order or beyond fails. */
START_TEST(test_synth_ecdsa_range)
{
	static const char n256[] = "ffffffff00000000ffffffffffffffff"
	    "bce6faada7179e84f3b9cac2fc632551";
	struct synth *s = calloc(1, sizeof(*s));
	TPMS_SIGNATURE_ECC good;
	struct riv_err err;
	struct quote q;

	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	good = s->ts.signature.ecdsa;
	/* r = 0 */
	set_ecc_param(&s->ts.signature.ecdsa.signatureR, "00");
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "r is zero") != NULL, "%s", err.msg);
	/* r empty (also zero) */
	s->ts.signature.ecdsa.signatureR.size = 0;
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	/* s = 0 */
	s->ts.signature.ecdsa = good;
	set_ecc_param(&s->ts.signature.ecdsa.signatureS, "0000");
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "s is zero") != NULL, "%s", err.msg);
	/* r = n */
	s->ts.signature.ecdsa = good;
	set_ecc_param(&s->ts.signature.ecdsa.signatureR, n256);
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "r is not below the curve order") !=
	    NULL, "%s", err.msg);
	/* s = n + r (a valid s shifted by the order) is out of range too */
	s->ts.signature.ecdsa = good;
	s->ts.signature.ecdsa.signatureS.size = 40;
	memset(s->ts.signature.ecdsa.signatureS.buffer, 0xff, 40);
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "s is not below the curve order") !=
	    NULL, "%s", err.msg);
	/* the good one still verifies */
	s->ts.signature.ecdsa = good;
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_OK);
	free(s);
}
END_TEST

/* Signatures rivd cannot check (NULL, HMAC, SM2) fail with a reason. */
START_TEST(test_synth_unsupported_scheme)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	s->ts.sigAlg = TPM2_ALG_SM2;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "scheme sm2/sha256 is not supported") !=
	    NULL, "%s", err.msg);
	memset(&s->ts, 0, sizeof(s->ts));
	s->ts.sigAlg = TPM2_ALG_NULL;
	synth_marshal_sig(s);
	ck_assert_uint_eq(s->slen, 2);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "not signed") != NULL, "%s", err.msg);
	s->ts.sigAlg = TPM2_ALG_HMAC;
	s->ts.signature.hmac.hashAlg = TPM2_ALG_SHA256;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	/* empty signature file */
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, 0,
	    AK(p256_key), &q, &err), RIV_MALFORMED);
	free(s);
}
END_TEST

/* A pcrDigest not made with the signature's hash fails. */
START_TEST(test_synth_pcr_digest_hash)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	/* pcrDigest in sha256, signature in sha384 */
	synth_make(s, p384_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	s->hash = TPM_ALG_SHA384;
	synth_sign(s);
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p384_key), &q, &err), RIV_OK);
	ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "sha384") != NULL, "%s", err.msg);
	/* without quote_verify the digest's hash is guessed by its size */
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err), RIV_OK);
	free(s);
}
END_TEST

/* Structures that are not TPM-generated quotes fail; broken ones are
 * malformed. */
START_TEST(test_synth_structure)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	/* a signed TPMS_ATTEST of type certify */
	s->info.type = TPM2_ST_ATTEST_CERTIFY;
	memset(&s->info.attested, 0, sizeof(s->info.attested));
	s->info.attested.certify.name.size = 4;
	s->info.attested.certify.qualifiedName.size = 4;
	synth_marshal(s);
	synth_sign(s);
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "(certify) is not TPM_ST_ATTEST_QUOTE")
	    != NULL, "%s", err.msg);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(rsa_key), &q, &err), RIV_OK);
	/* the same with a byte more is malformed */
	s->attest[s->alen] = 0;
	ck_assert_int_eq(quote_parse(s->attest, s->alen + 1, &q, &err),
	    RIV_MALFORMED);
	/* magic of something not generated by a TPM */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->info.magic = 0x12345678;
	synth_marshal(s);
	synth_sign(s);
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "magic 0x12345678") != NULL, "%s",
	    err.msg);
	/* clockInfo.safe neither YES nor NO */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->info.clockInfo.safe = 2;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "clockInfo.safe at byte offset 68") !=
	    NULL, "%s", err.msg);
	/* a bank selected twice */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->info.attested.quote.pcrSelect.pcrSelections[1].hash =
	    TPM2_ALG_SHA1;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "entry 1") != NULL, "%s", err.msg);
	/* sizeofSelect 5 (more than 32 PCRs) */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	ck_assert_uint_eq(s->attest[83], 3);	/* first sizeofSelect */
	s->attest[83] = 5;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "pcrSelect at byte offset 77") != NULL,
	    "%s", err.msg);
	free(s);
}
END_TEST

/* A selected bank rivd lacks, and selected PCRs above 23, cannot be
 * checked: malformed with the reason. */
START_TEST(test_synth_unknown_bank)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->info.attested.quote.pcrSelect.pcrSelections[1].hash = 0x0027;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	ck_assert_int_eq(q.sel[1].bank, -1);
	ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "hash algorithm 0x0027") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(quote_check_selection(&q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "0x0027") != NULL, "%s", err.msg);
	/* an unknown bank with nothing selected does not matter */
	s->info.attested.quote.pcrSelect.pcrSelections[1].pcrSelect[0] = 0;
	s->info.attested.quote.pcrSelect.pcrSelections[1].pcrSelect[2] = 0;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	ck_assert_int_eq(quote_check_selection(&q, &err), RIV_OK);
	/* sizeofSelect 4 (legal): PCR 31, and PCR 24 alone */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->info.attested.quote.pcrSelect.pcrSelections[1].sizeofSelect = 4;
	s->info.attested.quote.pcrSelect.pcrSelections[1].pcrSelect[3] = 0x80;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	ck_assert_uint_eq(q.sel[1].mask, 0x80010081);
	ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "the quote selects sha256 PCR 31, but "
	    "rivd supports PCRs 0-23 only") != NULL, "%s", err.msg);
	memset(s->info.attested.quote.pcrSelect.pcrSelections[0].pcrSelect, 0,
	    4);
	memset(s->info.attested.quote.pcrSelect.pcrSelections[1].pcrSelect, 0,
	    4);
	s->info.attested.quote.pcrSelect.pcrSelections[0].sizeofSelect = 4;
	s->info.attested.quote.pcrSelect.pcrSelections[0].pcrSelect[3] = 0x01;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	ck_assert_int_eq(quote_check_selection(&q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "sha1 PCR 24, but rivd supports PCRs "
	    "0-23") != NULL, "%s", err.msg);
	free(s);
}
END_TEST

/* A PCR bank chosen for a synthetic quote: PCRs and their value bytes. */
struct pick {
	int		 bank;
	unsigned	 pcrs[3];
	uint8_t		 fill;
};

/*
 * Select the picked banks and PCRs in s (sizeofSelect 3), give them values
 * and recompute pcrDigest with the signature hash; then marshal and sign.
 */
static void
synth_select(struct synth *s, const struct pick *pk, size_t n)
{
	TPML_PCR_SELECTION *sel = &s->info.attested.quote.pcrSelect;
	TPM2B_DIGEST *dig = &s->info.attested.quote.pcrDigest;
	uint8_t v[DIGEST_MAX], cat[9 * DIGEST_MAX];
	unsigned int dlen;
	size_t i, j, len = 0, size;

	memset(sel, 0, sizeof(*sel));
	pcrset_init(&s->pcrs);
	sel->count = (UINT32)n;
	for (i = 0; i < n; i++) {
		size = bank_get(pk[i].bank)->size;
		sel->pcrSelections[i].hash = bank_get(pk[i].bank)->alg;
		sel->pcrSelections[i].sizeofSelect = 3;
		for (j = 0; j < 3; j++) {
			sel->pcrSelections[i].pcrSelect[pk[i].pcrs[j] / 8] |=
			    (uint8_t)(1u << pk[i].pcrs[j] % 8);
			memset(v, pk[i].fill + (int)j, sizeof(v));
			pcrset_set(&s->pcrs, pk[i].bank, pk[i].pcrs[j], v);
			memcpy(cat + len, v, size);	/* pcrs ascending */
			len += size;
		}
	}
	ck_assert_int_eq(EVP_Digest(cat, len, dig->buffer, &dlen,
	    EVP_get_digestbyname(md_name(s->hash)), NULL), 1);
	dig->size = (UINT16)dlen;
	synth_marshal(s);
	synth_sign(s);
	synth_marshal_sig(s);
}

/* Quotes over the sha512 and sm3_256 banks, signed with each hash. */
START_TEST(test_synth_banks)
{
	static const struct pick picks[] = {
		{ BANK_SHA512, { 0, 7, 23 }, 0x51 },
		{ BANK_SM3_256, { 1, 8, 16 }, 0x33 },
		{ BANK_SHA1, { 2, 3, 4 }, 0x11 },
	};
	static const uint16_t hashes[] = { TPM_ALG_SHA512, TPM_ALG_SM3_256,
	    TPM_ALG_SHA256 };
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;
	uint8_t v[DIGEST_MAX];
	size_t i;

	ck_assert_msg(bank_available(BANK_SM3_256), "OpenSSL lacks SM3");
	for (i = 0; i < 3; i++) {
		synth_make(s, p384_key, TPM_ALG_ECDSA, hashes[i], 0);
		synth_select(s, picks, 3);
		ck_assert_msg(parse_verify(s->attest, s->alen, s->sig, s->slen,
		    AK(p384_key), &q, &err) == RIV_OK, "%s", err.msg);
		ck_assert_uint_eq(q.nsel, 3);
		ck_assert_int_eq(q.sel[0].bank, BANK_SHA512);
		ck_assert_uint_eq(q.sel[0].mask, 1u | 1u << 7 | 1u << 23);
		ck_assert_int_eq(q.sel[1].bank, BANK_SM3_256);
		ck_assert_uint_eq(q.sel[1].mask, 1u << 1 | 1u << 8 | 1u << 16);
		ck_assert_int_eq(q.sig_bank, bank_by_alg(hashes[i]));
		ck_assert_msg(quote_check_pcrs(&q, &s->pcrs, &err) == RIV_OK,
		    "%s", err.msg);
		/* one sm3_256 value off: the digest fails */
		memset(v, 0x34, sizeof(v));
		v[31] = 0;
		pcrset_set(&s->pcrs, BANK_SM3_256, 8, v);
		ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err),
		    RIV_FAIL);
		/* one missing sha512 value: named */
		s->pcrs.mask[BANK_SHA512] &= ~(1u << 23);
		ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err),
		    RIV_MALFORMED);
		ck_assert_msg(strstr(err.msg, "sha512 PCR 23") != NULL, "%s",
		    err.msg);
	}
	free(s);
}
END_TEST

/* Tell whether this OpenSSL can verify RSA PKCS#1 signatures with SM3. */
static int
rsa_sm3_works(void)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok;

	ok = EVP_DigestVerifyInit_ex(ctx, &pctx, "SM3", NULL, NULL, rsa_key,
	    NULL) == 1 && EVP_PKEY_CTX_set_rsa_padding(pctx,
	    RSA_PKCS1_PADDING) == 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}

/*
 * ECDSA with SM3-256 verifies; RSA with SM3-256, which OpenSSL 3.0 cannot
 * verify, is unsupported (malformed) rather than a failed signature.
 */
START_TEST(test_synth_sm3_signature)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;

	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SM3_256, 0);
	ck_assert_msg(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err) == RIV_OK, "%s", err.msg);
	ck_assert_int_eq(q.sig_bank, BANK_SM3_256);
	ck_assert_msg(quote_check_pcrs(&q, &s->pcrs, &err) == RIV_OK, "%s",
	    err.msg);
	/* an RSA signature labelled SM3-256 (OpenSSL 3.0 cannot make one) */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->ts.signature.rsassa.hash = TPM_ALG_SM3_256;
	synth_marshal_sig(s);
	if (rsa_sm3_works())
		ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig,
		    s->slen, AK(rsa_key), &q, &err), RIV_FAIL);
	else {
		ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig,
		    s->slen, AK(rsa_key), &q, &err), RIV_MALFORMED);
		ck_assert_msg(strstr(err.msg, "rsassa/sm3_256 signature: not "
		    "supported: OpenSSL") != NULL, "%s", err.msg);
	}
	free(s);
}
END_TEST

/*
 * ECDSA r and s without their leading zero bytes (as some TPM stacks send
 * them) verify; padded with zeros beyond the field size they verify too.
 */
START_TEST(test_synth_ecdsa_short)
{
	struct synth *s = calloc(1, sizeof(*s));
	TPMS_SIGNATURE_ECC *e = &s->ts.signature.ecdsa;
	struct riv_err err;
	struct quote q;
	int tries;

	/* sign until r or s starts with a zero byte (1 in 128 each) */
	for (tries = 0; tries < 5000; tries++) {
		synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
		if (e->signatureR.buffer[0] == 0 ||
		    e->signatureS.buffer[0] == 0)
			break;
	}
	ck_assert_int_lt(tries, 5000);
	while (e->signatureR.size > 0 && e->signatureR.buffer[0] == 0) {
		memmove(e->signatureR.buffer, e->signatureR.buffer + 1,
		    --e->signatureR.size);
	}
	while (e->signatureS.size > 0 && e->signatureS.buffer[0] == 0) {
		memmove(e->signatureS.buffer, e->signatureS.buffer + 1,
		    --e->signatureS.size);
	}
	ck_assert_uint_lt(e->signatureR.size + e->signatureS.size, 64);
	synth_marshal_sig(s);
	ck_assert_uint_lt(s->slen, 2 + 2 + 2 + 32 + 2 + 32);
	ck_assert_msg(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err) == RIV_OK, "%s", err.msg);
	/* the same, one byte flipped, fails */
	s->sig[s->slen - 1] ^= 0x01;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_FAIL);
	free(s);
}
END_TEST

/* TPM2Bs longer than their structure allows are named as such. */
START_TEST(test_synth_tpm2b_sizes)
{
	struct synth *s = calloc(1, sizeof(*s));
	struct riv_err err;
	struct quote q;
	size_t at;

	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	/* qualifiedSigner at 6 (TPM2B_NAME, 68 bytes) */
	s->attest[6] = 0;
	s->attest[7] = 69;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "TPMS_ATTEST: qualifiedSigner: size 69 "
	    "exceeds 68 at byte offset 6") != NULL, "%s", err.msg);
	s->attest[7] = 34;
	/* extraData at 42 (TPM2B_DATA, 64 bytes) */
	s->attest[43] = 65;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "extraData: size 65 exceeds 64 at byte "
	    "offset 42") != NULL, "%s", err.msg);
	s->attest[42] = 0xff;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "extraData: size 65345 exceeds 64") !=
	    NULL, "%s", err.msg);
	s->attest[42] = 0;
	s->attest[43] = 8;
	/* pcrDigest, the last TPM2B: too large, then past the end */
	at = s->alen - 34;
	ck_assert_uint_eq(s->attest[at + 1], 32);
	s->attest[at + 1] = 65;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "pcrDigest: size 65 exceeds 64") !=
	    NULL, "%s", err.msg);
	s->attest[at + 1] = 33;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err),
	    RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "pcrDigest: size 33 exceeds the 32 "
	    "bytes left") != NULL, "%s", err.msg);
	s->attest[at + 1] = 32;
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	/* ECDSA r at 4 and s at 38 (TPM2B_ECC_PARAMETER, 128 bytes) */
	s->sig[5] = 129;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "signature.signatureR: size 129 exceeds "
	    "128 at byte offset 4") != NULL, "%s", err.msg);
	s->sig[5] = 32;
	s->sig[39] = 33;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "signature.signatureS: size 33 exceeds "
	    "the 32 bytes left at byte offset 38") != NULL, "%s", err.msg);
	s->sig[39] = 32;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, 3,
	    AK(p256_key), &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "signature.hash at byte offset 2") !=
	    NULL, "%s", err.msg);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(p256_key), &q, &err), RIV_OK);
	/* an RSA signature at 4 (TPM2B_PUBLIC_KEY_RSA, 512 bytes) */
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->sig[4] = 0x02;
	s->sig[5] = 0x01;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    AK(rsa_key), &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "signature.sig: size 513 exceeds 512 at "
	    "byte offset 4") != NULL, "%s", err.msg);
	free(s);
}
END_TEST

/* Marshal pub; fail unless akey_load refuses it with a reason with want. */
static void
tpmt_must_fail(const TPMT_PUBLIC *pub, const char *want)
{
	uint8_t buf[1200];
	size_t len = 0;

	ck_assert_int_eq(Tss2_MU_TPMT_PUBLIC_Marshal(pub, buf, sizeof(buf),
	    &len), TSS2_RC_SUCCESS);
	ak_must_fail(buf, len, want);
}

/* TPM public areas: exponent 0 means 65537; broken ones are refused. */
START_TEST(test_tpm_public)
{
	TPMT_PUBLIC pub;
	struct akey k;

	key_to_tpmt(rsa_key, &pub, 0);
	ck_assert_uint_eq(pub.parameters.rsaDetail.exponent, 65537);
	tpmt_load(&pub, &k);
	ck_assert_int_eq(EVP_PKEY_eq(k.pkey, rsa_key), 1);
	akey_free(&k);
	/* exponent 1 would make every signature forgeable */
	pub.parameters.rsaDetail.exponent = 1;
	tpmt_must_fail(&pub, "exponent");
	/* keyBits that disagree with the modulus */
	key_to_tpmt(rsa_key, &pub, 1);
	pub.parameters.rsaDetail.keyBits = 3072;
	tpmt_must_fail(&pub, "keyBits");
	/* an EC point off the curve */
	key_to_tpmt(p256_key, &pub, 1);
	pub.unique.ecc.y.buffer[31] ^= 0x01;
	tpmt_must_fail(&pub, "not a point");
	/* a curve rivd does not take (BN P-256) */
	key_to_tpmt(p256_key, &pub, 1);
	pub.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
	tpmt_must_fail(&pub, "curve 0x0010");
	/* a P-256 coordinate longer than 32 bytes */
	key_to_tpmt(p256_key, &pub, 1);
	pub.unique.ecc.x.size = 33;
	tpmt_must_fail(&pub, "longer than 32");
}
END_TEST

/* TPM2Bs in a public area longer than their structure or input allows. */
START_TEST(test_tpm_public_sizes)
{
	TPMT_PUBLIC pub;
	uint8_t buf[1200];
	size_t len = 0;

	key_to_tpmt(p256_key, &pub, 1);
	ck_assert_int_eq(Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf),
	    &len), TSS2_RC_SUCCESS);
	/* type, nameAlg, objectAttributes, then authPolicy at 8 */
	buf[8] = 0x00;
	buf[9] = 65;
	ak_must_fail(buf, len, "authPolicy: size 65 exceeds 64 at byte "
	    "offset 8");
	buf[9] = 0;
	/* unique.ecc.x follows the 8 bytes of ECC parameters at 10 */
	ck_assert_uint_eq(buf[18] << 8 | buf[19], 32);
	buf[18] = 0x01;
	ak_must_fail(buf, len, "unique.ecc.x: size 288 exceeds 128 at byte "
	    "offset 18");
	buf[18] = 0x00;
	buf[19] = 0x7f;
	ak_must_fail(buf, len, "unique.ecc.x: size 127 exceeds the 66 bytes "
	    "left at byte offset 18");
	buf[19] = 32;
	ck_assert_uint_eq(buf[52] << 8 | buf[53], 32);
	buf[53] = 33;
	ak_must_fail(buf, len, "unique.ecc.y: size 33 exceeds the 32 bytes "
	    "left at byte offset 52");
	buf[53] = 32;
	ak_must_fail(buf, len - 1, "unique.ecc.y: size 32 exceeds the 31 "
	    "bytes left");
}
END_TEST

/*
 * Only a restricted signing key is an AK: a TPM public area of any other
 * key loads, but its quotes fail (exit 1), whatever they say.
 */
START_TEST(test_tpm_public_not_ak)
{
	static const struct {
		uint32_t	 attrs;
		const char	*why;
	} bad[] = {
		{ 0x00040072, "restricted is clear" },	/* unrestricted sign */
		{ 0x00020072, "sign is clear" },	/* decrypt only */
		{ 0x00030072, "sign is clear" },	/* storage key */
		{ 0x00060072, "decrypt is set" },	/* sign and decrypt */
		{ 0x00070072, "decrypt is set" },
		{ 0x00010072, "sign is clear" },	/* restricted only */
	};
	struct synth *s = calloc(1, sizeof(*s));
	TPMT_PUBLIC pub;
	struct riv_err err;
	struct quote q;
	struct akey k;
	size_t i;

	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		key_to_tpmt(rsa_key, &pub, 1);
		pub.objectAttributes = bad[i].attrs;
		tpmt_load(&pub, &k);
		ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig,
		    s->slen, &k, &q, &err), RIV_FAIL);
		ck_assert_msg(strstr(err.msg, "not a restricted signing key") !=
		    NULL && strstr(err.msg, bad[i].why) != NULL, "0x%08x: %s",
		    bad[i].attrs, err.msg);
		/* what the signature says is still recorded */
		ck_assert_uint_eq(q.sig_alg, TPM_ALG_RSASSA);
		ck_assert_int_eq(q.sig_bank, BANK_SHA256);
		akey_free(&k);
	}
	/* a symmetric algorithm: no signing key (P-256 AK this time) */
	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	key_to_tpmt(p256_key, &pub, 1);
	pub.parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	pub.parameters.eccDetail.symmetric.keyBits.aes = 128;
	pub.parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	tpmt_load(&pub, &k);
	ck_assert_uint_eq(k.symmetric, TPM2_ALG_AES);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    &k, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "symmetric algorithm is 0x0006") !=
	    NULL, "%s", err.msg);
	akey_free(&k);
	/* the same key as a restricted signing key verifies */
	key_to_tpmt(p256_key, &pub, 1);
	tpmt_load(&pub, &k);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    &k, &q, &err), RIV_OK);
	akey_free(&k);
	free(s);
}
END_TEST

/* A signature in another scheme or hash than the AK's own fails. */
START_TEST(test_tpm_public_scheme)
{
	static const struct {
		const char	*key;
		uint16_t	 scheme, hash;		/* the key's */
		uint16_t	 sscheme, shash;	/* the signature's */
		int		 salt;
		const char	*msg;
	} cases_[] = {
		{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA256, TPM_ALG_RSAPSS,
		    TPM_ALG_SHA256, RSA_PSS_SALTLEN_DIGEST, "rsapss/sha256 "
		    "signature, but the AK's public area fixes its scheme to "
		    "rsassa/sha256" },
		{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA256, TPM_ALG_RSAPSS,
		    TPM_ALG_SHA384, RSA_PSS_SALTLEN_DIGEST, "rsapss/sha384 "
		    "signature, but" },
		{ "rsa", TPM_ALG_RSAPSS, TPM_ALG_SHA256, TPM_ALG_RSASSA,
		    TPM_ALG_SHA256, 0, "fixes its scheme to rsapss/sha256" },
		{ "rsa", TPM_ALG_RSASSA, TPM_ALG_SHA256, TPM_ALG_RSASSA,
		    TPM_ALG_SHA384, 0, "rsassa/sha384 signature, but" },
		{ "p256", TPM_ALG_ECDSA, TPM_ALG_SHA256, TPM_ALG_ECDSA,
		    TPM_ALG_SHA384, 0, "ecdsa/sha384 signature, but the AK's "
		    "public area fixes its scheme to ecdsa/sha256" },
		{ "p384", TPM_ALG_ECDSA, TPM_ALG_SHA384, TPM_ALG_ECDSA,
		    TPM_ALG_SHA256, 0, "fixes its scheme to ecdsa/sha384" },
	};
	struct synth *s = calloc(1, sizeof(*s));
	TPMT_PUBLIC pub;
	struct riv_err err;
	struct quote q;
	struct akey k;
	size_t i;

	for (i = 0; i < sizeof(cases_) / sizeof(cases_[0]); i++) {
		synth_make(s, combo_key(cases_[i].key), cases_[i].sscheme,
		    cases_[i].shash, cases_[i].salt);
		/* verifies with the key as SPKI, or with a NULL scheme */
		ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig,
		    s->slen, AK(s->key), &q, &err), RIV_OK);
		key_to_tpmt(s->key, &pub, 1);
		tpmt_load(&pub, &k);
		ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig,
		    s->slen, &k, &q, &err), RIV_OK);
		akey_free(&k);
		/* but not with another scheme fixed */
		key_scheme(&pub, cases_[i].scheme, cases_[i].hash);
		tpmt_load(&pub, &k);
		ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig,
		    s->slen, &k, &q, &err), RIV_FAIL);
		ck_assert_msg(strstr(err.msg, cases_[i].msg) != NULL, "%zu: %s",
		    i, err.msg);
		akey_free(&k);
	}
	free(s);
}
END_TEST

/* Run the corpus and synthetic test cases. */
int
main(void)
{
	Suite *s = suite_create("quote");
	TCase *corpus = tcase_create("corpus");
	TCase *synth = tcase_create("synthetic");

	/* libtss2-mu logs decoding errors unless told not to */
	setenv("TSS2_LOG", "marshal+none", 0);

	tcase_add_loop_test(corpus, test_corpus_valid, 0, NCASES);
	tcase_add_test(corpus, test_pcrblob_value);
	tcase_add_loop_test(corpus, test_corpus_flip_attest, 0, NCASES);
	tcase_add_loop_test(corpus, test_corpus_flip_sig, 0, NCASES);
	tcase_add_loop_test(corpus, test_corpus_truncated, 0, NCASES);
	tcase_add_loop_test(corpus, test_corpus_trailing, 0, NCASES);
	tcase_add_loop_test(corpus, test_corpus_wrong_nonce, 0, NCASES);
	tcase_add_loop_test(corpus, test_corpus_wrong_pcr, 0, NCASES);
	tcase_add_loop_test(corpus, test_corpus_magic_type, 0, NCASES);
	tcase_add_test(corpus, test_ak_forms);
	tcase_add_test(corpus, test_ak_pem_trailing);
	tcase_add_test(corpus, test_ak_garbage);
	tcase_set_timeout(corpus, 60);
	suite_add_tcase(s, corpus);

	tcase_add_unchecked_fixture(synth, keys_setup, keys_teardown);
	tcase_add_loop_test(synth, test_synth_valid, 0, NCOMBOS);
	tcase_add_test(synth, test_synth_wrong_key);
	tcase_add_test(synth, test_synth_key_mismatch);
	tcase_add_test(synth, test_synth_ecdsa_range);
	tcase_add_test(synth, test_synth_unsupported_scheme);
	tcase_add_test(synth, test_synth_pcr_digest_hash);
	tcase_add_test(synth, test_synth_structure);
	tcase_add_test(synth, test_synth_unknown_bank);
	tcase_add_test(synth, test_synth_banks);
	tcase_add_test(synth, test_synth_sm3_signature);
	tcase_add_test(synth, test_synth_ecdsa_short);
	tcase_add_test(synth, test_synth_tpm2b_sizes);
	tcase_add_test(synth, test_tpm_public);
	tcase_add_test(synth, test_tpm_public_sizes);
	tcase_add_test(synth, test_tpm_public_not_ak);
	tcase_add_test(synth, test_tpm_public_scheme);
	tcase_set_timeout(synth, 120);
	suite_add_tcase(s, synth);
	return run_suite(s);
}
