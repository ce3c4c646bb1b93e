/*
 * bank.c — PCR bank table and hashing.
 *
 * A bank is available when OpenSSL has its digest (some builds lack
 * sm3_256): quote.c verifies signatures with it.  Hashing, though, never
 * goes through EVP: OpenSSL 3.0's EVP_DigestInit_ex2 frees and allocates
 * the provider's context on every call, and the IMA replay is made of
 * short hashes (a template of about 100 bytes, an extend of two digests),
 * where that setup, SHA256_Update's buffering, the final padding's memset
 * and OPENSSL_cleanse cost as much as the blocks.  So each bank has a
 * compression function fed straight from the caller's bytes, and
 * run_start pads the tail itself: SHA1_Transform, SHA256_Transform and
 * SHA512_Transform (OpenSSL's assembly, SHA-NI where the CPU has it;
 * deprecated in 3.0 but exported) and sm3.c's own SM3, faster than
 * OpenSSL 3.0's plain C behind EVP.  The contexts are used only for their
 * chaining words, on the stack; nothing here is secret, so nothing is
 * cleansed.  hasher_batch runs independent hashes side by side.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* SHA1_Transform and the like */

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "bank.h"
#include "sm3.h"

static const struct bank banks[BANK_COUNT] = {
	{ TPM_ALG_SHA1,		"sha1",		20,	"SHA1" },
	{ TPM_ALG_SHA256,	"sha256",	32,	"SHA256" },
	{ TPM_ALG_SHA384,	"sha384",	48,	"SHA384" },
	{ TPM_ALG_SHA512,	"sha512",	64,	"SHA512" },
	{ TPM_ALG_SM3_256,	"sm3_256",	32,	"SM3" },
};

static EVP_MD	*bank_mds[BANK_COUNT];
static int	 bank_fetched[BANK_COUNT];

/* The chaining state of a bank's compression function. */
union hstate {
	SHA_CTX		 c1;
	SHA256_CTX	 c256;
	SHA512_CTX	 c512;
	uint32_t	 sm3[8];
};

/* A bank's Merkle-Damgard hash: its block, length field and functions. */
struct hashfn {
	size_t		  block;	/* bytes per block */
	unsigned	  shift;	/* log2 of block: no division */
	const uint8_t	 *pad;		/* the padding block after one block */
	size_t		  lenbytes;	/* bytes of the final length field */
	void		(*init)(union hstate *);
	void		(*compress)(union hstate *, const uint8_t *);
	void		(*output)(const union hstate *, uint8_t *);
};

#define BLOCK_MAX	128	/* largest block (SHA-384, SHA-512) */

/* A hasher holds nothing now; kept so callers need not change. */
struct hasher {
	int	unused;
};

/* Initial SHA-1 state (FIPS 180-4, 5.3.1). */
static void
sha1_init(union hstate *s)
{
	s->c1.h0 = 0x67452301;
	s->c1.h1 = 0xefcdab89;
	s->c1.h2 = 0x98badcfe;
	s->c1.h3 = 0x10325476;
	s->c1.h4 = 0xc3d2e1f0;
}

/* Initial SHA-256 state (FIPS 180-4, 5.3.3). */
static void
sha256_init(union hstate *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};
	int i;

	for (i = 0; i < 8; i++)
		s->c256.h[i] = iv[i];
}

/* Initial SHA-384 state (FIPS 180-4, 5.3.4). */
static void
sha384_init(union hstate *s)
{
	static const uint64_t iv[8] = {
		0xcbbb9d5dc1059ed8ull, 0x629a292a367cd507ull,
		0x9159015a3070dd17ull, 0x152fecd8f70e5939ull,
		0x67332667ffc00b31ull, 0x8eb44a8768581511ull,
		0xdb0c2e0d64f98fa7ull, 0x47b5481dbefa4fa4ull,
	};
	int i;

	for (i = 0; i < 8; i++)
		s->c512.h[i] = iv[i];
}

/* Initial SHA-512 state (FIPS 180-4, 5.3.5). */
static void
sha512_init(union hstate *s)
{
	static const uint64_t iv[8] = {
		0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull,
		0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
		0x510e527fade682d1ull, 0x9b05688c2b3e6c1full,
		0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
	};
	int i;

	for (i = 0; i < 8; i++)
		s->c512.h[i] = iv[i];
}

/* Initial SM3 state. */
static void
sm3_start(union hstate *s)
{
	sm3_init(s->sm3);
}

/* Compress a SHA-1 block. */
static void
sha1_compress(union hstate *s, const uint8_t *p)
{
	SHA1_Transform(&s->c1, p);
}

/* Compress a SHA-256 block. */
static void
sha256_compress(union hstate *s, const uint8_t *p)
{
	SHA256_Transform(&s->c256, p);
}

/* Compress a SHA-384 or SHA-512 block. */
static void
sha512_compress(union hstate *s, const uint8_t *p)
{
	SHA512_Transform(&s->c512, p);
}

/* Compress an SM3 block. */
static void
sm3_compress(union hstate *s, const uint8_t *p)
{
	sm3_blocks(s->sm3, p, 1);
}

/* Store a 32-bit word big-endian, in one store. */
static inline void
put_be32(uint8_t *p, uint32_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap32(x);
#endif
	memcpy(p, &x, 4);
}

/* Store a 64-bit word big-endian, in one store. */
static inline void
put_be64(uint8_t *p, uint64_t x)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	memcpy(p, &x, 8);
}

/* Write n 32-bit words big-endian. */
static void
put_be32s(const uint32_t *w, size_t n, uint8_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		put_be32(out + 4 * i, w[i]);
}

/* Write a SHA-1 digest. */
static void
sha1_output(const union hstate *s, uint8_t *out)
{
	uint32_t w[5] = { s->c1.h0, s->c1.h1, s->c1.h2, s->c1.h3, s->c1.h4 };

	put_be32s(w, 5, out);
}

/* Write a SHA-256 digest. */
static void
sha256_output(const union hstate *s, uint8_t *out)
{
	int i;

	for (i = 0; i < 8; i++)
		put_be32(out + 4 * i, (uint32_t)s->c256.h[i]);
}

/* Write a SHA-384 digest (the first six words). */
static void
sha384_output(const union hstate *s, uint8_t *out)
{
	int i;

	for (i = 0; i < 6; i++)
		put_be64(out + 8 * i, (uint64_t)s->c512.h[i]);
}

/* Write a SHA-512 digest. */
static void
sha512_output(const union hstate *s, uint8_t *out)
{
	int i;

	for (i = 0; i < 8; i++)
		put_be64(out + 8 * i, (uint64_t)s->c512.h[i]);
}

/* Write an SM3 digest. */
static void
sm3_finish(const union hstate *s, uint8_t *out)
{
	put_be32s(s->sm3, 8, out);
}

/* The padding block after a message of one 64-byte block (512 bits). */
static const uint8_t pad64[64] = {
	[0] = 0x80, [62] = 0x02,
};

/* The padding block after a message of one 128-byte block (1024 bits). */
static const uint8_t pad128[128] = {
	[0] = 0x80, [126] = 0x04,
};

/* The hash of each bank, by bank id. */
static const struct hashfn hashfns[BANK_COUNT] = {
	{ 64,	6,	pad64,	8,	sha1_init,	sha1_compress,
	    sha1_output },
	{ 64,	6,	pad64,	8,	sha256_init,	sha256_compress,
	    sha256_output },
	{ 128,	7,	pad128,	16,	sha384_init,	sha512_compress,
	    sha384_output },
	{ 128,	7,	pad128,	16,	sha512_init,	sha512_compress,
	    sha512_output },
	{ 64,	6,	pad64,	8,	sm3_start,	sm3_compress,
	    sm3_finish },
};

/*
 * A hash in progress: its state and the whole blocks left to compress,
 * as up to four runs: blocks lying in a, the block across the end of a
 * and the start of b (copied), blocks lying in b, and the tail with its
 * padding (copied; one or two blocks).
 */
struct run {
	const struct hashfn	*fn;
	union hstate		 s;
	const uint8_t		*seg[4];
	size_t			 nblk[4];
	unsigned		 nseg, cur;
	uint8_t			 mid[BLOCK_MAX];
	uint8_t			 tail[2 * BLOCK_MAX];
};

/* Add a run of n blocks at p to a hash in progress. */
static void
run_add(struct run *r, const uint8_t *p, size_t n)
{
	if (n == 0)
		return;
	r->seg[r->nseg] = p;
	r->nblk[r->nseg++] = n;
}

/*
 * Start hashing a (al bytes) then b (bl bytes, may be 0): whole blocks
 * are compressed where they lie, only the block across a and b and the
 * tail are copied.  The padding is FIPS 180-4's (GB/T 32905 pads alike):
 * 0x80, zeros, the length in bits big-endian in the last 8 bytes (the
 * 16-byte field of SHA-384/512 has its upper half zero).  A message of
 * exactly one block (the extend of SHA-256, SHA-512 and SM3) takes the
 * constant padding block of its size.
 */
static void
run_start(struct run *r, const struct hashfn *fn, const uint8_t *a,
    size_t al, const uint8_t *b, size_t bl)
{
	uint64_t bits = (uint64_t)(al + bl) * 8;
	size_t bs = fn->block, t = al & (bs - 1), n, end;

	r->fn = fn;
	r->nseg = r->cur = 0;
	fn->init(&r->s);
	if (al > 0) {
		run_add(r, a, al >> fn->shift);
		a += al - t;
	}
	if (bl > 0 && t + bl >= bs) {
		n = bs - t;
		if (t > 0)
			memcpy(r->mid, a, t);
		memcpy(r->mid + t, b, n);
		run_add(r, r->mid, 1);
		b += n;
		bl -= n;
		run_add(r, b, bl >> fn->shift);
		t = bl & (bs - 1);
		if (t > 0)
			memcpy(r->tail, b + (bl - t), t);
	} else {
		if (t > 0)
			memcpy(r->tail, a, t);
		if (bl > 0)
			memcpy(r->tail + t, b, bl);
		t += bl;
	}
	if (t == 0 && bits == 8 * bs) {
		run_add(r, fn->pad, 1);
		return;
	}
	r->tail[t++] = 0x80;
	end = t + fn->lenbytes <= bs ? bs : 2 * bs;
	memset(r->tail + t, 0, end - 8 - t);
	put_be64(r->tail + end - 8, bits);
	run_add(r, r->tail, end >> fn->shift);
}

/* Compress the next block of a hash; 0 if none was left. */
static int
run_step(struct run *r)
{
	if (r->cur == r->nseg)
		return 0;
	r->fn->compress(&r->s, r->seg[r->cur]);
	r->seg[r->cur] += r->fn->block;
	if (--r->nblk[r->cur] == 0)
		r->cur++;
	return 1;
}

/* Compress every block left of a hash. */
static void
run_finish(struct run *r)
{
	const uint8_t *p;
	size_t n;

	for (; r->cur < r->nseg; r->cur++)
		for (p = r->seg[r->cur], n = r->nblk[r->cur]; n > 0;
		    n--, p += r->fn->block)
			r->fn->compress(&r->s, p);
}

/*
 * Hash a (al bytes) then b (bl bytes, may be 0) with a bank's hash into
 * out, which may overlap a or b (every input byte is read before out is
 * written).
 */
static void
hash_run(const struct hashfn *fn, const uint8_t *a, size_t al,
    const uint8_t *b, size_t bl, uint8_t *out)
{
	struct run r;

	run_start(&r, fn, a, al, b, bl);
	run_finish(&r);
	fn->output(&r.s, out);
}

/* Return the bank with this id, or NULL. */
const struct bank *
bank_get(int id)
{
	if (id < 0 || id >= BANK_COUNT)
		return NULL;
	return &banks[id];
}

/* Return the bank id for a TPM_ALG_ID, or -1. */
int
bank_by_alg(uint16_t alg)
{
	int i;

	for (i = 0; i < BANK_COUNT; i++)
		if (banks[i].alg == alg)
			return i;
	return -1;
}

/* Return the bank id for a name such as "sha256", or -1. */
int
bank_by_name(const char *name)
{
	int i;

	for (i = 0; i < BANK_COUNT; i++)
		if (strcmp(banks[i].name, name) == 0)
			return i;
	return -1;
}

/* Return the OpenSSL digest of a bank, fetching it once; NULL if absent. */
static const EVP_MD *
fetch_md(int id)
{
	if (id < 0 || id >= BANK_COUNT)
		return NULL;
	if (!bank_fetched[id]) {
		bank_mds[id] = EVP_MD_fetch(NULL, banks[id].ossl, NULL);
		bank_fetched[id] = 1;
	}
	return bank_mds[id];
}

/* Tell whether OpenSSL can hash with this bank. */
int
bank_available(int id)
{
	return fetch_md(id) != NULL;
}

/* Hash len bytes with a bank's algorithm into out; 0 or -1. */
int
bank_hash(int id, const void *data, size_t len, uint8_t *out)
{
	if (id < 0 || id >= BANK_COUNT)
		return -1;
	hash_run(&hashfns[id], data, len, NULL, 0, out);
	return 0;
}

/* Extend pcr in place: pcr = H(pcr || digest); 0 or -1. */
int
bank_extend(int id, uint8_t *pcr, const uint8_t *digest)
{
	if (id < 0 || id >= BANK_COUNT)
		return -1;
	hash_run(&hashfns[id], pcr, banks[id].size, digest, banks[id].size,
	    pcr);
	return 0;
}

/*
 * Allocate a hasher for repeated hashing.  Hashing no longer keeps a
 * context (see the top of this file): a hasher is a token callers pass
 * on.  NULL if out of memory.
 */
struct hasher *
hasher_new(void)
{
	return calloc(1, sizeof(struct hasher));
}

/* Free a hasher. */
void
hasher_free(struct hasher *h)
{
	free(h);
}

/*
 * Hash a (al bytes) then b (bl bytes, may be 0) with a bank's algorithm
 * into out, which may overlap a or b; 0 or -1.
 */
int
hasher_hash2(struct hasher *h, int id, const void *a, size_t al,
    const void *b, size_t bl, uint8_t *out)
{
	(void)h;
	if (id < 0 || id >= BANK_COUNT)
		return -1;
	hash_run(&hashfns[id], a, al, b, bl, out);
	return 0;
}

/* Hash len bytes with a bank's algorithm; 0 or -1. */
int
hasher_hash(struct hasher *h, int id, const void *data, size_t len,
    uint8_t *out)
{
	return hasher_hash2(h, id, data, len, NULL, 0, out);
}

/* Extend pcr in place with digest: pcr = H(pcr || digest); 0 or -1. */
int
hasher_extend(struct hasher *h, int id, uint8_t *pcr, const uint8_t *digest)
{
	size_t n;

	if (id < 0 || id >= BANK_COUNT)
		return -1;
	n = banks[id].size;
	return hasher_hash2(h, id, pcr, n, digest, n, pcr);
}

/*
 * Run a batch of independent hashes: no job's out may overlap another
 * job's input (its own may).  The jobs' blocks are compressed in turn,
 * one block of each job before the next of any: every hash is a chain
 * of dependent blocks, latency-bound (SHA-NI rounds, or SM3's), and a
 * block of another chain placed beside it runs in the same cycles.  Two
 * independent SHA-256 blocks cost 1.3 times one, here, not twice.
 * Jobs go HASH_BATCH at a time.  0, or -1 if a bank is unknown (and no
 * hash was written).
 */
int
hasher_batch(struct hasher *h, const struct hash_job *jobs, size_t n)
{
	struct run r[HASH_BATCH];
	size_t i, k, m;
	int more;

	(void)h;
	for (i = 0; i < n; i++)
		if (jobs[i].bank < 0 || jobs[i].bank >= BANK_COUNT)
			return -1;
	for (i = 0; i < n; i += m) {
		m = n - i < HASH_BATCH ? n - i : HASH_BATCH;
		for (k = 0; k < m; k++)
			run_start(&r[k], &hashfns[jobs[i + k].bank],
			    jobs[i + k].a, jobs[i + k].al, jobs[i + k].b,
			    jobs[i + k].bl);
		do {
			more = 0;
			for (k = 0; k < m; k++)
				more |= run_step(&r[k]);
		} while (more);
		for (k = 0; k < m; k++)
			r[k].fn->output(&r[k].s, jobs[i + k].out);
	}
	return 0;
}
