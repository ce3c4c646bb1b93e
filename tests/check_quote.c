/*
 * check_quote.c — unit tests for TPM 2.0 quote verification: the corpus
 * quotes (GCE vTPM, keylime) with their nonces and PCR values, each with
 * corrupted, truncated and padded variants; synthetic quotes signed here
 * with OpenSSL keys for every scheme (RSASSA, RSA-PSS, ECDSA P-256/P-384/
 * P-521) and hash, in every AK key form; and the negative cases (wrong
 * key, key/scheme mismatch, ECDSA r/s out of range, wrong magic or type).
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
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
	EVP_PKEY	*ak;
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
	ev->ak = akey_load(akbuf, klen, &err);
	ck_assert_msg(ev->ak != NULL, "%s: %s", c->ak, err.msg);
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
	EVP_PKEY_free(ev->ak);
}

/* Parse and verify; the first result that is not RIV_OK. */
static int
parse_verify(const uint8_t *a, size_t alen, const uint8_t *s, size_t slen,
    EVP_PKEY *ak, struct quote *q, struct riv_err *err)
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
	ck_assert_msg(parse_verify(ev.attest, ev.alen, ev.sig, ev.slen, ev.ak,
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
		    ev.slen, ev.ak, &q, &err), RIV_FAIL);
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
	    ev.ak, &q, &err), RIV_FAIL);
	ev.sig[ev.slen - 1] ^= 0x80;
	/* first byte of the RSA signature */
	ev.sig[6] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_FAIL);
	ev.sig[6] ^= 0x01;
	/* hash 0x000b -> 0x000a: unknown hash, fails */
	ev.sig[3] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "0x000a") != NULL, "%s", err.msg);
	ev.sig[3] ^= 0x01;
	/* hash 0x000b -> 0x0004 (sha1): verifies with the wrong hash */
	ev.sig[3] = 0x04;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_FAIL);
	ev.sig[3] = 0x0b;
	/* sigAlg 0x0014 -> 0x0015: not a signature algorithm */
	ev.sig[1] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "sigAlg") != NULL, "%s", err.msg);
	ev.sig[1] ^= 0x01;
	/* sigAlg 0x0014 -> 0x0016 (RSA-PSS): a PKCS#1 signature fails */
	ev.sig[1] = 0x16;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_FAIL);
	ev.sig[1] = 0x14;
	/* size 0x0100 -> 0x0000: 256 trailing bytes */
	ev.sig[4] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	ev.sig[4] ^= 0x01;
	/* size 0x0100 -> 0x0101: truncated */
	ev.sig[5] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "truncated") != NULL, "%s", err.msg);
	ev.sig[5] ^= 0x01;
	ck_assert_int_eq(quote_verify(ev.attest, ev.alen, ev.sig, ev.slen,
	    ev.ak, &q, &err), RIV_OK);
	evidence_free(&ev);
}
END_TEST

/* Every truncation of attest, signature and AK is malformed. */
START_TEST(test_corpus_truncated)
{
	struct evidence ev;
	struct quote q;
	struct riv_err err;
	EVP_PKEY *k;
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
		    ev.ak, &q, &err), RIV_MALFORMED);
	akbuf = corpus_read(cases[_i].ak, &klen);
	for (n = 0; n < klen; n += (cases[_i].keylime ? 7 : 1)) {
		k = akey_load(akbuf, n, &err);
		ck_assert_msg(k == NULL, "AK truncated to %zu bytes loads", n);
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
	    ev.ak, &q, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "trailing") != NULL, "%s", err.msg);
	free(buf);
	if (!cases[_i].keylime) {
		akbuf = corpus_read(cases[_i].ak, &klen);
		buf = malloc(klen + 1);
		memcpy(buf, akbuf, klen);
		buf[klen] = 0;
		ck_assert_ptr_null(akey_load(buf, klen + 1, &err));
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
	    ev.ak, &q, &err), RIV_OK);
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
	    ev.ak, &q, &err), RIV_FAIL);
	ev.attest[0] ^= 0x01;
	ev.attest[5] = 0x99;		/* type 0x8099 */
	ck_assert_int_eq(quote_parse(ev.attest, ev.alen, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "type 0x8099") != NULL, "%s", err.msg);
	evidence_free(&ev);
}
END_TEST

/* The AK in every accepted form: TPM2B_PUBLIC, PEM certificate, DER SPKI. */
START_TEST(test_ak_forms)
{
	static const char *ak_files[] = { GCE ".akpub.bin", GCE ".akcert.der",
	    KL ".akpub.pem" };
	uint8_t *buf, *der = NULL, *wrapped;
	EVP_PKEY *ref, *k;
	struct riv_err err;
	size_t len, i;
	BIO *bio;
	X509 *x;
	char *pem;
	long plen;
	int dlen;

	for (i = 0; i < 3; i++) {
		buf = corpus_read(ak_files[i], &len);
		ref = akey_load(buf, len, &err);
		ck_assert_msg(ref != NULL, "%s: %s", ak_files[i], err.msg);
		ck_assert_int_eq(EVP_PKEY_get_bits(ref), 2048);
		/* DER SubjectPublicKeyInfo of the same key */
		der = NULL;
		dlen = i2d_PUBKEY(ref, &der);
		ck_assert_int_gt(dlen, 0);
		k = akey_load(der, (size_t)dlen, &err);
		ck_assert_msg(k != NULL, "%s", err.msg);
		ck_assert_int_eq(EVP_PKEY_eq(k, ref), 1);
		EVP_PKEY_free(k);
		OPENSSL_free(der);
		EVP_PKEY_free(ref);
		if (i == 0) {
			/* the TPMT_PUBLIC as a TPM2B_PUBLIC */
			wrapped = malloc(len + 2);
			wrapped[0] = (uint8_t)(len >> 8);
			wrapped[1] = (uint8_t)len;
			memcpy(wrapped + 2, buf, len);
			k = akey_load(wrapped, len + 2, &err);
			ck_assert_msg(k != NULL, "%s", err.msg);
			EVP_PKEY_free(k);
			wrapped[1]++;		/* size too large */
			ck_assert_ptr_null(akey_load(wrapped, len + 2, &err));
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
			k = akey_load((uint8_t *)pem, (size_t)plen, &err);
			ck_assert_msg(k != NULL, "%s", err.msg);
			EVP_PKEY_free(k);
			BIO_free(bio);
			X509_free(x);
		}
		free(buf);
	}
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
	struct riv_err err;

	ck_assert_ptr_null(akey_load((const uint8_t *)"", 0, &err));
	ck_assert_ptr_null(akey_load((const uint8_t *)pem_priv,
	    strlen(pem_priv), &err));
	ck_assert_msg(strstr(err.msg, "PUBLIC KEY or CERTIFICATE") != NULL,
	    "%s", err.msg);
	ck_assert_ptr_null(akey_load((const uint8_t *)pem_bad,
	    strlen(pem_bad), &err));
	ck_assert_ptr_null(akey_load(der_bad, sizeof(der_bad), &err));
	ck_assert_msg(strstr(err.msg, "DER") != NULL, "%s", err.msg);
	ck_assert_ptr_null(akey_load(keyedhash, sizeof(keyedhash), &err));
	ck_assert_msg(strstr(err.msg, "not an RSA or ECC key") != NULL, "%s",
	    err.msg);
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

/* Load key through akey_load in form 0 TPMT_PUBLIC, 1 TPM2B_PUBLIC,
 * 2 DER SPKI, 3 PEM SPKI; the loaded key equals the original. */
static EVP_PKEY *
key_reload(EVP_PKEY *key, int form)
{
	uint8_t buf[1200], *der = NULL;
	TPM2B_PUBLIC p2b;
	struct riv_err err;
	EVP_PKEY *k = NULL;
	size_t len = 0;
	char *pem;
	long plen;
	BIO *bio;
	int dlen;

	memset(&p2b, 0, sizeof(p2b));
	key_to_tpmt(key, &p2b.publicArea, 1);
	if (form == 0) {
		ck_assert_int_eq(Tss2_MU_TPMT_PUBLIC_Marshal(&p2b.publicArea,
		    buf, sizeof(buf), &len), TSS2_RC_SUCCESS);
		k = akey_load(buf, len, &err);
	} else if (form == 1) {
		ck_assert_int_eq(Tss2_MU_TPM2B_PUBLIC_Marshal(&p2b, buf,
		    sizeof(buf), &len), TSS2_RC_SUCCESS);
		ck_assert_uint_eq((size_t)(buf[0] << 8 | buf[1]), len - 2);
		k = akey_load(buf, len, &err);
	} else if (form == 2) {
		dlen = i2d_PUBKEY(key, &der);
		ck_assert_int_gt(dlen, 0);
		k = akey_load(der, (size_t)dlen, &err);
		OPENSSL_free(der);
	} else {
		bio = BIO_new(BIO_s_mem());
		ck_assert_int_eq(PEM_write_bio_PUBKEY(bio, key), 1);
		plen = BIO_get_mem_data(bio, &pem);
		k = akey_load((uint8_t *)pem, (size_t)plen, &err);
		BIO_free(bio);
	}
	ck_assert_msg(k != NULL, "form %d: %s", form, err.msg);
	ck_assert_int_eq(EVP_PKEY_eq(k, key), 1);
	return k;
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
	EVP_PKEY *k;
	int form;

	synth_make(s, combo_key(c->key), c->scheme, c->hash, c->salt);
	for (form = 0; form < 4; form++) {
		k = key_reload(s->key, form);
		ck_assert_msg(parse_verify(s->attest, s->alen, s->sig, s->slen,
		    k, &q, &err) == RIV_OK, "%s %s/%s form %d: %s", c->key,
		    quote_scheme_name(c->scheme), md_name(c->hash), form,
		    err.msg);
		EVP_PKEY_free(k);
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
	    s->key, &q, &err), RIV_FAIL);
	s->attest[20] ^= 0x04;
	s->sig[s->slen - 1] ^= 0x04;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    s->key, &q, &err), RIV_FAIL);
	s->sig[s->slen - 1] ^= 0x04;
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    s->key, &q, &err), RIV_OK);
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
	    rsa_key2, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "rsassa/sha256 signature does not "
	    "verify") != NULL, "%s", err.msg);
	synth_make(s, p384_key, TPM_ALG_ECDSA, TPM_ALG_SHA384, 0);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    p521_key, &q, &err), RIV_FAIL);
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
	    rsa_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "ecdsa/sha256 signature, but the AK is "
	    "an RSA key") != NULL, "%s", err.msg);
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "but the AK is an EC key") != NULL, "%s",
	    err.msg);
	/* an RSA-PSS signature labelled RSASSA, and the reverse */
	synth_make(s, rsa_key, TPM_ALG_RSAPSS, TPM_ALG_SHA256,
	    RSA_PSS_SALTLEN_DIGEST);
	s->ts.sigAlg = TPM_ALG_RSASSA;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    rsa_key, &q, &err), RIV_FAIL);
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->ts.sigAlg = TPM_ALG_RSAPSS;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    rsa_key, &q, &err), RIV_FAIL);
	/* a signature claiming another hash than it was made with */
	synth_make(s, p256_key, TPM_ALG_ECDSA, TPM_ALG_SHA256, 0);
	s->ts.signature.ecdsa.hash = TPM2_ALG_SHA384;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
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
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "r is zero") != NULL, "%s", err.msg);
	/* r empty (also zero) */
	s->ts.signature.ecdsa.signatureR.size = 0;
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	/* s = 0 */
	s->ts.signature.ecdsa = good;
	set_ecc_param(&s->ts.signature.ecdsa.signatureS, "0000");
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "s is zero") != NULL, "%s", err.msg);
	/* r = n */
	s->ts.signature.ecdsa = good;
	set_ecc_param(&s->ts.signature.ecdsa.signatureR, n256);
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "r is not below the curve order") !=
	    NULL, "%s", err.msg);
	/* s = n + r (a valid s shifted by the order) is out of range too */
	s->ts.signature.ecdsa = good;
	s->ts.signature.ecdsa.signatureS.size = 40;
	memset(s->ts.signature.ecdsa.signatureS.buffer, 0xff, 40);
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "s is not below the curve order") !=
	    NULL, "%s", err.msg);
	/* the good one still verifies */
	s->ts.signature.ecdsa = good;
	synth_marshal_sig(s);
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_OK);
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
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "sm2 is not supported") != NULL, "%s",
	    err.msg);
	memset(&s->ts, 0, sizeof(s->ts));
	s->ts.sigAlg = TPM2_ALG_NULL;
	synth_marshal_sig(s);
	ck_assert_uint_eq(s->slen, 2);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	ck_assert_msg(strstr(err.msg, "not signed") != NULL, "%s", err.msg);
	s->ts.sigAlg = TPM2_ALG_HMAC;
	s->ts.signature.hmac.hashAlg = TPM2_ALG_SHA256;
	synth_marshal_sig(s);
	ck_assert_int_eq(parse_verify(s->attest, s->alen, s->sig, s->slen,
	    p256_key, &q, &err), RIV_FAIL);
	/* empty signature file */
	ck_assert_int_eq(quote_verify(s->attest, s->alen, s->sig, 0,
	    p256_key, &q, &err), RIV_MALFORMED);
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
	    p384_key, &q, &err), RIV_OK);
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
	    rsa_key, &q, &err), RIV_OK);
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
	ck_assert_msg(strstr(err.msg, "0x0027") != NULL, "%s", err.msg);
	synth_make(s, rsa_key, TPM_ALG_RSASSA, TPM_ALG_SHA256, 0);
	s->info.attested.quote.pcrSelect.pcrSelections[1].sizeofSelect = 4;
	s->info.attested.quote.pcrSelect.pcrSelections[1].pcrSelect[3] = 0x80;
	synth_marshal(s);
	ck_assert_int_eq(quote_parse(s->attest, s->alen, &q, &err), RIV_OK);
	ck_assert_int_eq(quote_check_pcrs(&q, &s->pcrs, &err), RIV_MALFORMED);
	ck_assert_msg(strstr(err.msg, "sha256 PCR 31") != NULL, "%s", err.msg);
	free(s);
}
END_TEST

/* TPM public areas: exponent 0 means 65537; broken ones are refused. */
START_TEST(test_tpm_public)
{
	TPMT_PUBLIC pub;
	struct riv_err err;
	uint8_t buf[1200];
	EVP_PKEY *k;
	size_t len;

	key_to_tpmt(rsa_key, &pub, 0);
	ck_assert_uint_eq(pub.parameters.rsaDetail.exponent, 65537);
	len = 0;
	Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &len);
	k = akey_load(buf, len, &err);
	ck_assert_msg(k != NULL, "%s", err.msg);
	ck_assert_int_eq(EVP_PKEY_eq(k, rsa_key), 1);
	EVP_PKEY_free(k);
	/* exponent 1 would make every signature forgeable */
	pub.parameters.rsaDetail.exponent = 1;
	len = 0;
	Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &len);
	ck_assert_ptr_null(akey_load(buf, len, &err));
	ck_assert_msg(strstr(err.msg, "exponent") != NULL, "%s", err.msg);
	/* keyBits that disagree with the modulus */
	key_to_tpmt(rsa_key, &pub, 1);
	pub.parameters.rsaDetail.keyBits = 3072;
	len = 0;
	Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &len);
	ck_assert_ptr_null(akey_load(buf, len, &err));
	ck_assert_msg(strstr(err.msg, "keyBits") != NULL, "%s", err.msg);
	/* an EC point off the curve */
	key_to_tpmt(p256_key, &pub, 1);
	pub.unique.ecc.y.buffer[31] ^= 0x01;
	len = 0;
	Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &len);
	ck_assert_ptr_null(akey_load(buf, len, &err));
	ck_assert_msg(strstr(err.msg, "not a point") != NULL, "%s", err.msg);
	/* a curve rivd does not take (BN P-256) */
	key_to_tpmt(p256_key, &pub, 1);
	pub.parameters.eccDetail.curveID = TPM2_ECC_BN_P256;
	len = 0;
	Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &len);
	ck_assert_ptr_null(akey_load(buf, len, &err));
	ck_assert_msg(strstr(err.msg, "curve 0x0010") != NULL, "%s", err.msg);
	/* a P-256 coordinate longer than 32 bytes */
	key_to_tpmt(p256_key, &pub, 1);
	pub.unique.ecc.x.size = 33;
	len = 0;
	Tss2_MU_TPMT_PUBLIC_Marshal(&pub, buf, sizeof(buf), &len);
	ck_assert_ptr_null(akey_load(buf, len, &err));
	ck_assert_msg(strstr(err.msg, "longer than 32") != NULL, "%s", err.msg);
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
	tcase_add_test(synth, test_tpm_public);
	tcase_set_timeout(synth, 120);
	suite_add_tcase(s, synth);
	return run_suite(s);
}
