/*
 * check_common.c — unit tests for the shared pieces: hex, banks, the JSON
 * reader, PCR sets and reference values.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "bank.h"
#include "json.h"
#include "pcrset.h"
#include "pem.h"
#include "refvals.h"
#include "testutil.h"

/* Parse text as JSON, asserting success. */
static struct json *
parse_ok(const char *text)
{
	struct riv_err err;
	struct json *v = json_parse(text, strlen(text), &err);

	ck_assert_msg(v != NULL, "parse of %s failed: %s", text, err.msg);
	return v;
}

/* Parse text as JSON, asserting failure with a message containing want. */
static void
parse_bad(const char *text, const char *want)
{
	struct riv_err err = { "" };
	struct json *v = json_parse(text, strlen(text), &err);

	ck_assert_msg(v == NULL, "parse of %s succeeded", text);
	ck_assert_msg(strstr(err.msg, want) != NULL,
	    "error for %s is \"%s\", wanted \"%s\"", text, err.msg, want);
}

START_TEST(test_hex)
{
	uint8_t out[4];
	char hex[9];
	size_t n;

	ck_assert_int_eq(hex_decode("00fFa5", 6, out, sizeof(out), &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(out[1], 0xff);
	ck_assert_uint_eq(out[2], 0xa5);
	hex_encode(out, 3, hex);
	ck_assert_str_eq(hex, "00ffa5");
	ck_assert_int_eq(hex_decode("abc", 3, out, sizeof(out), &n), -1);
	ck_assert_int_eq(hex_decode("zz", 2, out, sizeof(out), &n), -1);
	ck_assert_int_eq(hex_decode("0011223344", 10, out, sizeof(out), &n),
	    -1);
}
END_TEST

/* Decode s with flags into out; the length, or -1. */
static long
b64(const char *s, int flags, uint8_t *out, size_t max)
{
	size_t n;

	if (b64_decode(s, strlen(s), out, max, &n, flags) != 0)
		return -1;
	return (long)n;
}

START_TEST(test_base64)
{
	static const char *const vec[][2] = {	/* RFC 4648, section 10 */
		{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" },
		{ "foo", "Zm9v" }, { "foob", "Zm9vYg==" },
		{ "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" }
	};
	static const char *const bad[] = { "Zm9", "Zg=a", "=Zg=", "Z===",
	    "Zm9v=", "Zm9v\xff", "Zm-v", "Zg", "Zm8" };
	uint8_t out[64], raw[48];
	char enc[80];
	size_t i, k, len;
	int flags;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++)
		for (flags = 0; flags <= B64_CANONICAL; flags++) {
			ck_assert_int_eq(b64(vec[i][1], flags, out,
			    sizeof(out)), (long)strlen(vec[i][0]));
			ck_assert_mem_eq(out, vec[i][0], strlen(vec[i][0]));
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		for (flags = 0; flags <= B64_CANONICAL; flags++)
			ck_assert_msg(b64(bad[i], flags, out, sizeof(out)) ==
			    -1, "%s taken (flags %d)", bad[i], flags);
	/* Unused bits set and white space: only the lenient form. */
	ck_assert_int_eq(b64("Zh==", 0, out, sizeof(out)), 1);
	ck_assert_int_eq(b64("Zh==", B64_CANONICAL, out, sizeof(out)), -1);
	ck_assert_int_eq(b64("Zm9#", B64_CANONICAL, out, sizeof(out)), -1);
	ck_assert_int_eq(b64("Zm9w", 0, out, sizeof(out)), 3);
	ck_assert_int_eq(b64(" Zm9v\nYmFy ", 0, out, sizeof(out)), 6);
	ck_assert_mem_eq(out, "foobar", 6);
	ck_assert_int_eq(b64("Zm9v YmFy", B64_CANONICAL, out, sizeof(out)),
	    -1);
	/* The output bound is kept. */
	ck_assert_int_eq(b64("Zm9vYmFy", 0, out, 5), -1);
	ck_assert_int_eq(b64("Zm9vYmFy", B64_CANONICAL, out, 5), -1);
	ck_assert_int_eq(b64("Zm9vYmE=", B64_CANONICAL, out, 5), 5);
	/* Every length up to 48 bytes, against OpenSSL's encoder. */
	for (len = 0; len <= sizeof(raw); len++) {
		for (k = 0; k < len; k++)
			raw[k] = (uint8_t)(k * 37 + len * 11);
		EVP_EncodeBlock((unsigned char *)enc, raw, (int)len);
		ck_assert_int_eq(b64(enc, B64_CANONICAL, out, sizeof(out)),
		    (long)len);
		ck_assert_mem_eq(out, raw, len);
	}
}
END_TEST

START_TEST(test_bank_hash_extend)
{
	uint8_t d[DIGEST_MAX], pcr[DIGEST_MAX] = { 0 }, ext[DIGEST_MAX];
	char hex[2 * DIGEST_MAX + 1];
	struct hasher *h;

	ck_assert_int_eq(bank_by_name("sha256"), BANK_SHA256);
	ck_assert_int_eq(bank_by_alg(TPM_ALG_SHA384), BANK_SHA384);
	ck_assert_int_eq(bank_by_alg(0x0027), -1);
	ck_assert_int_eq(bank_by_name("md5"), -1);
	ck_assert_int_eq(bank_hash(BANK_SHA256, "abc", 3, d), 0);
	hex_encode(d, 32, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	/* extend = H(zero || H("abc")) computed two ways */
	ck_assert_int_eq(bank_extend(BANK_SHA256, pcr, d), 0);
	memset(ext, 0, 32);
	memcpy(ext + 32, d, 32);
	ck_assert_int_eq(bank_hash(BANK_SHA256, ext, 64, d), 0);
	ck_assert_mem_eq(pcr, d, 32);
	h = hasher_new();
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(hasher_hash(h, BANK_SHA1, "abc", 3, d), 0);
	hex_encode(d, 20, hex);
	ck_assert_str_eq(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	hasher_free(h);
}
END_TEST

START_TEST(test_json_values)
{
	struct json *v;
	const struct json *m;
	unsigned long long n;

	v = parse_ok(" {\"a\": [1, -2.5e3, true, false, null], "
	    "\"s\": \"x\\u00e9\\ud83d\\ude00\\n\", \"b\": 7 } ");
	ck_assert_int_eq(v->type, JSON_OBJECT);
	m = json_get(v, "b");
	ck_assert_int_eq(json_uint(m, 100, &n), 0);
	ck_assert_uint_eq(n, 7);
	m = json_get(v, "a");
	ck_assert_int_eq(m->type, JSON_ARRAY);
	ck_assert_uint_eq(m->n, 5);
	ck_assert_str_eq(m->items[1]->str, "-2.5e3");
	ck_assert_uint_eq(m->items[1]->len, 6);
	ck_assert_uint_eq(m->items[1]->offset, 11);
	m = json_get(v, "s");
	ck_assert_uint_eq(m->offset, 44);
	ck_assert_uint_eq(m->len, 8);
	ck_assert_str_eq(m->str, "x\xc3\xa9\xf0\x9f\x98\x80\n");
	ck_assert_ptr_null(json_get(v, "missing"));
	json_free(v);
	v = parse_ok("18446744073709551615");
	ck_assert_int_eq(json_uint(v, ~0ULL, &n), 0);
	json_free(v);
	v = parse_ok("18446744073709551616");
	ck_assert_int_eq(json_uint(v, ~0ULL, &n), -1);
	json_free(v);
}
END_TEST

START_TEST(test_json_errors)
{
	char deep[200];

	parse_bad("", "end of input at byte offset 0");
	parse_bad("{\"a\":1,}", "expected member name at byte offset 7");
	parse_bad("[1 2]", "expected ',' or ']' at byte offset 3");
	parse_bad("\"abc", "unterminated string");
	parse_bad("\"a\\x\"", "bad escape");
	parse_bad("\"\\ud800\"", "bad escape");
	parse_bad("\"\\u0000\"", "bad escape");
	parse_bad("\"\xff\"", "invalid UTF-8");
	parse_bad("\"\xc0\xaf\"", "invalid UTF-8");
	parse_bad("\"a\tb\"", "control character");
	parse_bad("01", "trailing data at byte offset 1");
	parse_bad("-", "bad number");
	parse_bad("1.", "bad number");
	parse_bad("tru", "unexpected character");
	parse_bad("{} {}", "trailing data at byte offset 3");
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	parse_bad(deep, "nesting too deep");
}
END_TEST

START_TEST(test_json_repeated)
{
	char *text, *p;
	struct json *v;
	size_t i;

	parse_bad("{\"version\":1,\"allow_unlisted\":false,"
	    "\"allow_unlisted\":true}",
	    "JSON: member name \"allow_unlisted\" repeated at byte offset 36");
	/* Names are compared after unescaping. */
	parse_bad("{\"ab\":1,\"a\\u0062\":2}",
	    "member name \"ab\" repeated at byte offset 8");
	/* Control characters are not copied into the message; long names cut. */
	parse_bad("{\"a\\nb\":1,\"a\\nb\":2}", "\"a?b\" repeated");
	parse_bad("{\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":1,"
	    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":2}",
	    "xxxxxxxx...\" repeated at byte offset 66");
	/* The same name in different objects, or in nested ones, is fine. */
	v = parse_ok("{\"a\":{\"a\":1,\"b\":{\"a\":2}},\"b\":[{\"a\":3},"
	    "{\"a\":4}],\"A\":5,\"a \":6}");
	ck_assert_uint_eq(v->n, 4);
	json_free(v);
	parse_bad("{\"a\":{\"b\":1,\"c\":{},\"b\":{}}}",
	    "\"b\" repeated at byte offset 19");

	/* A large object (hashed names): every position is checked. */
	text = malloc(3000 * 16 + 64);
	ck_assert_ptr_nonnull(text);
	p = text + sprintf(text, "{");
	for (i = 0; i < 3000; i++)
		p += sprintf(p, "%s\"k%zu\":%zu", i ? "," : "", i, i);
	strcpy(p, "}");
	v = parse_ok(text);
	ck_assert_uint_eq(v->n, 3000);
	ck_assert_ptr_nonnull(json_get(v, "k2999"));
	json_free(v);
	/* k1234 again, as the last member. */
	sprintf(p, ",\"k1234\":0}");
	parse_bad(text, "member name \"k1234\" repeated at byte offset");
	/* Repeated early, then many more names. */
	p = text + sprintf(text, "{\"k7\":0");
	for (i = 0; i < 2000; i++)
		p += sprintf(p, ",\"k%zu\":%zu", i + 100, i);
	strcpy(p, ",\"k7\":1}");
	parse_bad(text, "member name \"k7\" repeated");
	free(text);
}
END_TEST

START_TEST(test_json_budget)
{
	struct riv_err err = { "" };
	struct json *v;
	char *text, *p, want[128];
	size_t i, n = 200000;

	/* Tiny values: a bounded number of them, the error names an offset. */
	text = malloc(n * 70 + 64);
	ck_assert_ptr_nonnull(text);
	p = text + sprintf(text, "{\"version\":1,\"comment\":[");
	for (i = 0; i < n; i++)
		p += sprintf(p, "%s0", i ? "," : "");
	strcpy(p, "]}");
	ck_assert_ptr_null(json_parse(text, strlen(text), &err));
	snprintf(want, sizeof(want), "JSON: more than %zu values in %zu bytes "
	    "at byte offset ", JSON_VALUES(strlen(text)), strlen(text));
	ck_assert_msg(strstr(err.msg, want) != NULL, "error \"%s\"", err.msg);
	/* The offset is the value that went over the budget. */
	ck_assert_ptr_nonnull(strstr(err.msg, "at byte offset 102073"));

	/* Small documents and real data (hex digests) are not limited. */
	v = parse_ok("[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,[],[],{},{}]");
	ck_assert_uint_eq(v->n, 24);
	json_free(v);
	p = text + sprintf(text, "[");
	for (i = 0; i < n; i++) {
		p += sprintf(p, "%s\"", i ? "," : "");
		memset(p, 'a', 64);
		p += 64;
		*p++ = '"';
	}
	strcpy(p, "]");
	v = parse_ok(text);
	ck_assert_uint_eq(v->n, n);
	ck_assert_uint_eq(v->items[n - 1]->len, 64);
	json_free(v);
	free(text);
}
END_TEST

START_TEST(test_pcrset_json)
{
	static const char text[] = "{\"pcrs\":{\"sha1\":{\"0\":"
	    "\"a9993e364706816aba3e25717850c26c9cd0d89d\"},"
	    "\"sha256\":{\"23\":\"ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad\"}}}";
	struct pcrset s;
	struct riv_err err;
	struct json *v = parse_ok(text);
	char *out = NULL;
	size_t outlen;
	FILE *f;

	ck_assert_int_eq(pcrset_from_json(v, &s, &err), RIV_OK);
	json_free(v);
	ck_assert(pcrset_has(&s, BANK_SHA1, 0));
	ck_assert(!pcrset_has(&s, BANK_SHA1, 1));
	ck_assert(pcrset_has(&s, BANK_SHA256, 23));
	ck_assert_uint_eq(pcrset_get(&s, BANK_SHA256, 23)[0], 0xba);
	f = open_memstream(&out, &outlen);
	fputs("{\"pcrs\":", f);
	pcrset_write_json(f, &s);
	fputc('}', f);
	fclose(f);
	ck_assert_str_eq(out, text);
	free(out);
}
END_TEST

/* Assert that text fails pcrset_from_json with an error containing want. */
static void
pcrset_bad(const char *text, const char *want)
{
	struct pcrset s;
	struct riv_err err = { "" };
	struct json *v = parse_ok(text);

	ck_assert_int_eq(pcrset_from_json(v, &s, &err), RIV_MALFORMED);
	json_free(v);
	ck_assert_msg(strstr(err.msg, want) != NULL, "error \"%s\" lacks "
	    "\"%s\"", err.msg, want);
}

START_TEST(test_pcrset_errors)
{
	pcrset_bad("{\"pcrs\":{\"md5\":{}}}", "unknown bank \"md5\"");
	pcrset_bad("{\"pcrs\":{\"sha1\":{\"24\":\"00\"}}}", "bad PCR index");
	pcrset_bad("{\"pcrs\":{\"sha1\":{\"07\":\"00\"}}}", "bad PCR index");
	pcrset_bad("{\"pcrs\":{\"sha1\":{\"7\":\"00\"}}}",
	    "pcrs.sha1.7: expected 20 bytes of hex");
	pcrset_bad("{\"pcrs\":{\"sha1\":[]}}", "expected an object");
	pcrset_bad("{\"pcrs\":3}", "expected an object");
}
END_TEST

/* refvals_check callback counting failures. */
static void
count_failure(int bank, unsigned pcr, const char *msg, void *arg)
{
	(void)bank;
	(void)pcr;
	(void)msg;
	(*(int *)arg)++;
}

START_TEST(test_refvals)
{
	static const char text[] = "{\"version\":1,\"pcrs\":{\"sha1\":{"
	    "\"0\":[\"1111111111111111111111111111111111111111\","
	    "\"2222222222222222222222222222222222222222\"],"
	    "\"7\":\"7777777777777777777777777777777777777777\"}}}";
	uint8_t v1[20], v2[20], v7[20], bad[20];
	struct riv_err err;
	struct json *doc = parse_ok(text);
	struct refvals *rv = refvals_parse(doc, &err);
	struct pcrset s;
	int fails;

	ck_assert_msg(rv != NULL, "%s", err.msg);
	json_free(doc);
	ck_assert_uint_eq(refvals_count(rv), 2);
	memset(v1, 0x11, 20);
	memset(v2, 0x22, 20);
	memset(v7, 0x77, 20);
	memset(bad, 0x33, 20);
	pcrset_init(&s);
	pcrset_set(&s, BANK_SHA1, 0, v2);
	pcrset_set(&s, BANK_SHA1, 7, v7);
	pcrset_set(&s, BANK_SHA1, 8, bad);	/* no reference: ignored */
	fails = 0;
	ck_assert_int_eq(refvals_check(rv, &s, count_failure, &fails), RIV_OK);
	ck_assert_int_eq(fails, 0);
	pcrset_set(&s, BANK_SHA1, 0, v1);
	ck_assert_int_eq(refvals_check(rv, &s, count_failure, &fails), RIV_OK);
	pcrset_set(&s, BANK_SHA1, 7, bad);
	ck_assert_int_eq(refvals_check(rv, &s, count_failure, &fails),
	    RIV_FAIL);
	ck_assert_int_eq(fails, 1);
	/* A reference PCR absent from the evidence fails too. */
	pcrset_init(&s);
	pcrset_set(&s, BANK_SHA1, 0, v1);
	fails = 0;
	ck_assert_int_eq(refvals_check(rv, &s, count_failure, &fails),
	    RIV_FAIL);
	ck_assert_int_eq(fails, 1);
	ck_assert_int_eq(refvals_accepts_quirk(rv, "ebs-unlogged"), 0);
	refvals_free(rv);

	/* accept_quirks: the quirks accepted by name. */
	doc = parse_ok("{\"pcrs\":{},\"accept_quirks\":[\"ebs-unlogged\"]}");
	rv = refvals_parse(doc, &err);
	json_free(doc);
	ck_assert_msg(rv != NULL, "%s", err.msg);
	ck_assert_int_eq(refvals_accepts_quirk(rv, "ebs-unlogged"), 1);
	ck_assert_int_eq(refvals_accepts_quirk(rv, "ebs"), 0);
	ck_assert_int_eq(refvals_accepts_quirk(NULL, "ebs-unlogged"), 0);
	refvals_free(rv);
	doc = parse_ok("{\"pcrs\":{},\"accept_quirks\":[]}");
	rv = refvals_parse(doc, &err);
	json_free(doc);
	ck_assert_msg(rv != NULL, "%s", err.msg);
	ck_assert_int_eq(refvals_accepts_quirk(rv, "ebs-unlogged"), 0);
	refvals_free(rv);
}
END_TEST

/* Assert that text is rejected as reference values with want in the error. */
static void
refvals_bad(const char *text, const char *want)
{
	struct riv_err err = { "" };
	struct json *doc = parse_ok(text);
	struct refvals *rv = refvals_parse(doc, &err);

	json_free(doc);
	ck_assert_msg(rv == NULL, "%s accepted", text);
	ck_assert_msg(strstr(err.msg, want) != NULL, "error \"%s\" lacks "
	    "\"%s\"", err.msg, want);
}

START_TEST(test_refvals_errors)
{
	refvals_bad("[]", "expected a JSON object");
	refvals_bad("{\"version\":2,\"pcrs\":{}}", "only version 1");
	refvals_bad("{\"version\":1}", "expected a \"pcrs\" object");
	refvals_bad("{\"pcrs\":{},\"accept_quirks\":\"ebs-unlogged\"}",
	    "accept_quirks: expected an array of quirk names at byte offset 27");
	refvals_bad("{\"pcrs\":{},\"accept_quirks\":[1]}",
	    "accept_quirks: expected a quirk name at byte offset 28");
	refvals_bad("{\"pcrs\":{},\"accept_quirks\":[\"EBS-unlogged\"]}",
	    "unknown quirk \"EBS-unlogged\" at byte offset 28");
	refvals_bad("{\"pcrs\":{},\"accept_quirks\":[\"ebs-unlogged\","
	    "\"ebs-unlogged\"]}", "\"ebs-unlogged\" listed twice");
	refvals_bad("{\"pcrs\":{\"sha3\":{}}}", "unknown bank");
	refvals_bad("{\"pcrs\":{\"sha1\":{\"0\":[]}}}", "empty list");
	refvals_bad("{\"pcrs\":{\"sha1\":{\"0\":[\"00\"]}}}",
	    "pcrs.sha1.0: expected 20 bytes of hex");
	refvals_bad("{\"pcrs\":{\"sha1\":{\"0\":5}}}", "expected a hex string");
	/* A PCR listed twice is a repeated JSON member name. */
	parse_bad("{\"pcrs\":{\"sha1\":{\"0\":\"1111111111111111111111111111"
	    "111111111111\",\"0\":\"1111111111111111111111111111111111111111\"}}}",
	    "member name \"0\" repeated at byte offset 64");
	refvals_bad("{\"pcrs\":{\"sha1\":{\"x\":[]}}}", "bad PCR index");
}
END_TEST

/* Write a PEM block (a key, or a certificate if x) into out. */
static size_t
pem_text(EVP_PKEY *pk, X509 *x, char *out, size_t max)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *m;
	long n;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(x != NULL ? PEM_write_bio_X509(b, x) :
	    PEM_write_bio_PUBKEY(b, pk), 1);
	n = BIO_get_mem_data(b, &m);
	ck_assert_int_gt(n, 0);
	ck_assert_uint_lt((size_t)n, max);
	memcpy(out, m, (size_t)n);
	out[n] = '\0';
	BIO_free(b);
	return (size_t)n;
}

/* Assert that pem_load refuses text with want in the reason. */
static void
pem_bad(const char *text, size_t len, const char *want)
{
	struct riv_err err = { "" };
	EVP_PKEY *pk = (EVP_PKEY *)1;
	X509 *x = (X509 *)1;

	ck_assert_int_eq(pem_load(text, len, &pk, &x, &err), RIV_MALFORMED);
	ck_assert_ptr_null(pk);
	ck_assert_ptr_null(x);
	ck_assert_msg(strstr(err.msg, want) != NULL, "error \"%s\" lacks "
	    "\"%s\"", err.msg, want);
}

/* The one PEM rule: one block, space/tab/CR/LF around it, no headers. */
START_TEST(test_pem_load)
{
	static char key[8192], cert[8192], buf[20000], want[96];
	static unsigned char spki[512], b64[1024];
	struct riv_err err = { "" };
	const unsigned char *p;
	unsigned char *q;
	uint8_t *der;
	EVP_PKEY *pk, *got;
	X509 *x, *gx;
	size_t klen, clen, dlen, n;
	char *body;

	pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ck_assert_ptr_nonnull(pk);
	klen = pem_text(pk, NULL, key, sizeof(key));
	der = corpus_read("quotes/go-tpm-tools__gce-cos-85-nonce9009.akcert.der",
	    &dlen);
	p = der;
	ck_assert_ptr_nonnull(x = d2i_X509(NULL, &p, (long)dlen));
	clen = pem_text(NULL, x, cert, sizeof(cert));

	/* A public key with white space around it: no certificate. */
	n = (size_t)snprintf(buf, sizeof(buf), " \t\r\n%s\r\n \t", key);
	gx = (X509 *)1;
	ck_assert_msg(pem_load(buf, n, &got, &gx, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_ptr_null(gx);
	ck_assert_int_eq(EVP_PKEY_eq(got, pk), 1);
	EVP_PKEY_free(got);
	/* A certificate: its key, and the certificate if asked for. */
	ck_assert_msg(pem_load(cert, clen, &got, &gx, &err) == RIV_OK, "%s",
	    err.msg);
	ck_assert_ptr_nonnull(gx);
	ck_assert_int_eq(X509_cmp(gx, x), 0);
	X509_free(gx);
	EVP_PKEY_free(got);
	ck_assert_int_eq(pem_load(cert, clen, &got, NULL, &err), RIV_OK);
	EVP_PKEY_free(got);

	/* Only space, tab, CR and LF count as white space. */
	n = (size_t)snprintf(buf, sizeof(buf), "\f%s", key);
	pem_bad(buf, n, "expected a PUBLIC KEY or CERTIFICATE block first, "
	    "at byte offset 0");
	n = (size_t)snprintf(buf, sizeof(buf), "%s\v\n", key);
	snprintf(want, sizeof(want), "data at byte offset %zu after", klen);
	pem_bad(buf, n, want);
	memcpy(buf, key, klen);
	buf[klen] = '\0';
	pem_bad(buf, klen + 1, want);
	/* One block: a second one, or any other text, is data after it. */
	n = (size_t)snprintf(buf, sizeof(buf), "%s%s", key, cert);
	pem_bad(buf, n, want);
	n = (size_t)snprintf(buf, sizeof(buf), "junk\n%s", key);
	pem_bad(buf, n, "block first, at byte offset 0");
	/* Other labels, even ones OpenSSL reads as certificates. */
	pem_bad("-----BEGIN X509 CERTIFICATE-----\nMII=\n"
	    "-----END X509 CERTIFICATE-----\n", 66, "block first");
	pem_bad("-----BEGIN PRIVATE KEY-----\nMII=\n"
	    "-----END PRIVATE KEY-----\n", 58, "block first");
	/* An END line for another label, or none. */
	n = (size_t)snprintf(buf, sizeof(buf), "%.*s-----END CERTIFICATE-----\n",
	    (int)(klen - 25), key);
	pem_bad(buf, n, "is not well formed");
	pem_bad(key, klen - 25, "is not well formed");
	/* Headers (an "encrypted" key): refused, no password prompt. */
	body = strchr(key, '\n') + 1;
	n = (size_t)snprintf(buf, sizeof(buf), "-----BEGIN PUBLIC KEY-----\n"
	    "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
	    "00112233445566778899AABBCCDDEEFF\n\n%s", body);
	pem_bad(buf, n, "has headers");
	/* DER that does not fill the block, or is not the label's. */
	n = (size_t)i2d_PUBKEY(pk, NULL);
	ck_assert_uint_lt(n + 2, sizeof(spki));
	q = spki;
	ck_assert_int_eq(i2d_PUBKEY(pk, &q), (int)n);
	spki[n] = spki[n + 1] = 0;
	ck_assert_int_gt(EVP_EncodeBlock(b64, spki, (int)n + 2), 0);
	n = (size_t)snprintf(buf, sizeof(buf), "-----BEGIN PUBLIC KEY-----\n"
	    "%s\n-----END PUBLIC KEY-----\n", (char *)b64);
	pem_bad(buf, n, "not a valid SubjectPublicKeyInfo");
	n = (size_t)snprintf(buf, sizeof(buf), "-----BEGIN CERTIFICATE-----\n"
	    "%.*s-----END CERTIFICATE-----\n",
	    (int)(strstr(key, "-----END") - body), body);
	pem_bad(buf, n, "not a valid X.509 certificate");
	pem_bad(buf, PEM_TEXT_MAX + 1, "exceed the limit");
	pem_bad("", 0, "block first");

	X509_free(x);
	free(der);
	EVP_PKEY_free(pk);
}
END_TEST

START_TEST(test_file_read_limits)
{
	struct riv_err err = { "" };
	uint8_t *buf;
	size_t len;
	char path[] = "/tmp/rivd-check-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "0123456789", 10), 10);
	close(fd);
	ck_assert_int_eq(file_read(path, 10, &buf, &len, &err), RIV_OK);
	ck_assert_uint_eq(len, 10);
	ck_assert_uint_eq(buf[10], 0);
	free(buf);
	ck_assert_int_eq(file_read(path, 9, &buf, &len, &err), RIV_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than the limit"));
	unlink(path);
	ck_assert_int_eq(file_read(path, 9, &buf, &len, &err), RIV_MALFORMED);
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("common");
	TCase *tc = tcase_create("common");

	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_bank_hash_extend);
	tcase_add_test(tc, test_json_values);
	tcase_add_test(tc, test_json_errors);
	tcase_add_test(tc, test_json_repeated);
	tcase_add_test(tc, test_json_budget);
	tcase_add_test(tc, test_pcrset_json);
	tcase_add_test(tc, test_pcrset_errors);
	tcase_add_test(tc, test_refvals);
	tcase_add_test(tc, test_refvals_errors);
	tcase_add_test(tc, test_file_read_limits);
	tcase_add_test(tc, test_pem_load);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
