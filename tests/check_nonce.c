/*
 * check_nonce.c — the seeded nonce chain (src/nonce.c) against values
 * computed independently (Python's hmac and hashlib), and its bounds; a
 * chain's keyed context (struct nonce_key) against nonce_derive.
 */
#include <stdint.h>
#include <string.h>

#include "nonce.h"
#include "testutil.h"

/* Decode hex into buf (the test's own constant: must be valid). */
static size_t
unhex(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;

	ck_assert_int_eq(hex_decode(hex, strlen(hex), buf, cap, &n), 0);
	return n;
}

/* Fill a 16-byte seed 00 01 .. 0f. */
static void
seed16(uint8_t *seed)
{
	int i;

	for (i = 0; i < 16; i++)
		seed[i] = (uint8_t)i;
}

START_TEST(test_nonce_known_answers)
{
	static const struct {
		int		bank;
		uint64_t	n;
		const char	*hex;
	} v[] = {
		{ BANK_SHA256, 0, "c6b0c5d1fb6453704bbc7024fa5bca77"
		    "a7bf4b446651140d7be0b4e3218eb9de" },
		{ BANK_SHA256, 1, "0825399ee1cbb62b832ba5c2ac01c026"
		    "9aa30ba3df2186d67475a54eb1985551" },
		{ BANK_SHA256, (1ull << 40) + 5, "9ad13cb401fb97a9490e3cf1"
		    "83c942dc7251c8d887b829602d2f30e811480e89" },
		{ BANK_SHA1, 7, "198c1da9bf2d7a3cf1ddec448bafbf222c8171e2" },
	};
	uint8_t seed[16], got[DIGEST_MAX], want[DIGEST_MAX];
	size_t i, len, wlen;

	seed16(seed);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		wlen = unhex(v[i].hex, want, sizeof(want));
		ck_assert_int_eq(nonce_derive(v[i].bank, seed, 16, v[i].n,
		    got, &len), 0);
		ck_assert_uint_eq(len, wlen);
		ck_assert_mem_eq(got, want, wlen);
	}
}
END_TEST

START_TEST(test_nonce_chain_distinct)
{
	uint8_t seed[16], a[DIGEST_MAX], b[DIGEST_MAX];
	size_t la, lb;

	seed16(seed);
	ck_assert_int_eq(nonce_derive(BANK_SHA256, seed, 16, 41, a, &la), 0);
	ck_assert_int_eq(nonce_derive(BANK_SHA256, seed, 16, 42, b, &lb), 0);
	ck_assert_mem_ne(a, b, la);
	seed[15] ^= 1;		/* another seed, same n */
	ck_assert_int_eq(nonce_derive(BANK_SHA256, seed, 16, 41, b, &lb), 0);
	ck_assert_mem_ne(a, b, la);
}
END_TEST

START_TEST(test_nonce_bounds)
{
	uint8_t seed[NONCE_SEED_MAX + 1], out[DIGEST_MAX], id[NONCE_SEED_ID];
	size_t len;

	memset(seed, 0x5a, sizeof(seed));
	ck_assert_int_eq(nonce_derive(BANK_SHA256, seed, 15, 0, out, &len),
	    -1);
	ck_assert_int_eq(nonce_derive(BANK_SHA256, seed, 65, 0, out, &len),
	    -1);
	ck_assert_int_eq(nonce_derive(BANK_SHA256, seed, 64, 0, out, &len),
	    0);
	ck_assert_int_eq(nonce_derive(BANK_SHA512, seed, 64, 0, out, &len),
	    0);
	ck_assert_uint_eq(len, 64);
	ck_assert_int_eq(nonce_derive(-1, seed, 16, 0, out, &len), -1);
	ck_assert_int_eq(nonce_derive(BANK_COUNT, seed, 16, 0, out, &len),
	    -1);
	ck_assert_int_eq(nonce_seed_id(BANK_SHA256, seed, 8, id), -1);
}
END_TEST

/*
 * A chain's keyed context gives nonce_derive's nonces, in any order, beside
 * another chain's; it knows its seed and bank; its bounds are the same.
 */
START_TEST(test_nonce_key)
{
	static const int banks[] = { BANK_SHA1, BANK_SHA256, BANK_SHA384,
	    BANK_SHA512 };
	static const uint64_t ns[] = { 0, 1, (1ull << 40) + 5, UINT64_MAX, 1 };
	uint8_t seed[NONCE_SEED_MAX], other[16], got[DIGEST_MAX];
	uint8_t want[DIGEST_MAX];
	struct nonce_key *k, *k2;
	size_t i, j, len, wlen;

	memset(seed, 0x5a, sizeof(seed));
	seed16(other);
	for (i = 0; i < sizeof(banks) / sizeof(banks[0]); i++) {
		k = nonce_key_new(banks[i], seed, 32);
		k2 = nonce_key_new(banks[i], other, 16);
		ck_assert_ptr_nonnull(k);
		ck_assert_ptr_nonnull(k2);
		for (j = 0; j < sizeof(ns) / sizeof(ns[0]); j++) {
			ck_assert_int_eq(nonce_derive(banks[i], seed, 32,
			    ns[j], want, &wlen), 0);
			ck_assert_int_eq(nonce_key_derive(k, ns[j], got,
			    &len), 0);
			ck_assert_uint_eq(len, wlen);
			ck_assert_mem_eq(got, want, wlen);
			ck_assert_int_eq(nonce_derive(banks[i], other, 16,
			    ns[j], want, &wlen), 0);
			ck_assert_int_eq(nonce_key_derive(k2, ns[j], got,
			    &len), 0);
			ck_assert_mem_eq(got, want, wlen);
		}
		ck_assert_int_eq(nonce_key_is(k, banks[i], seed, 32), 1);
		ck_assert_int_eq(nonce_key_is(k, banks[i], seed, 31), 0);
		ck_assert_int_eq(nonce_key_is(k, banks[i], other, 16), 0);
		ck_assert_int_eq(nonce_key_is(k, banks[i] == BANK_SHA1 ?
		    BANK_SHA256 : BANK_SHA1, seed, 32), 0);
		nonce_key_free(k);
		nonce_key_free(k2);
	}
	/* The known answer of test_nonce_known_answers' first vector. */
	k = nonce_key_new(BANK_SHA256, other, 16);
	ck_assert_int_eq(nonce_key_derive(k, 0, got, &len), 0);
	wlen = unhex("c6b0c5d1fb6453704bbc7024fa5bca77a7bf4b446651140d7be0b4e3"
	    "218eb9de", want, sizeof(want));
	ck_assert_uint_eq(len, wlen);
	ck_assert_mem_eq(got, want, wlen);
	nonce_key_free(k);
	ck_assert_int_eq(nonce_key_is(NULL, BANK_SHA256, other, 16), 0);
	ck_assert_ptr_null(nonce_key_new(BANK_SHA256, seed, 15));
	ck_assert_ptr_null(nonce_key_new(BANK_SHA256, seed, 65));
	ck_assert_ptr_null(nonce_key_new(-1, seed, 16));
	ck_assert_ptr_null(nonce_key_new(BANK_COUNT, seed, 16));
	nonce_key_free(NULL);
}
END_TEST

START_TEST(test_seed_id)
{
	uint8_t seed[16], id[NONCE_SEED_ID], want[NONCE_SEED_ID];

	seed16(seed);
	unhex("be45cb2605bf36be", want, sizeof(want));
	ck_assert_int_eq(nonce_seed_id(BANK_SHA256, seed, 16, id), 0);
	ck_assert_mem_eq(id, want, NONCE_SEED_ID);
}
END_TEST

START_TEST(test_tcgalg_names)
{
	ck_assert_int_eq(tcgalg_bank("TPM_ALG_SHA256"), BANK_SHA256);
	ck_assert_int_eq(tcgalg_bank("taa:TPM_ALG_SHA1"), BANK_SHA1);
	ck_assert_int_eq(tcgalg_bank("ietf-tcg-algs:TPM_ALG_SHA384"),
	    BANK_SHA384);
	ck_assert_int_eq(tcgalg_bank("TPM_ALG_SM3_256"), BANK_SM3_256);
	ck_assert_int_eq(tcgalg_bank("TPM_ALG_RSA"), -1);
	ck_assert_int_eq(tcgalg_bank("sha256"), -1);
	ck_assert_str_eq(tcgalg_name(BANK_SHA512), "TPM_ALG_SHA512");
	ck_assert_ptr_null(tcgalg_name(BANK_COUNT));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nonce");
	TCase *tc = tcase_create("nonce");

	tcase_add_test(tc, test_nonce_known_answers);
	tcase_add_test(tc, test_nonce_chain_distinct);
	tcase_add_test(tc, test_nonce_bounds);
	tcase_add_test(tc, test_nonce_key);
	tcase_add_test(tc, test_seed_id);
	tcase_add_test(tc, test_tcgalg_names);
	suite_add_tcase(s, tc);
	return run_suite(s);
}
