/*
 * sm3.c — the SM3 hash's compression function, written from GB/T
 * 32905-2016 (also draft-shen-sm3-hash): eight 32-bit words of state, 64
 * rounds per 64-byte block over a message schedule of 68 words.
 *
 * OpenSSL 3.0 has SM3 in plain C behind EVP, whose per-call context setup
 * costs as much as a block; this one is called straight from bank.c and
 * its rounds keep the state in registers: four rounds per loop pass, each
 * round naming the words in the order the previous one left them, so no
 * word is moved between rounds.
 */
#include <stdint.h>
#include <string.h>

#include "sm3.h"

/* The initial value IV. */
static const uint32_t sm3_iv[8] = {
	0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600,
	0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e,
};

/* T_j rotated left by j mod 32: 0x79cc4519 for j < 16, else 0x7a879d8a. */
static const uint32_t sm3_t[64] = {
	0x79cc4519, 0xf3988a32, 0xe7311465, 0xce6228cb,
	0x9cc45197, 0x3988a32f, 0x7311465e, 0xe6228cbc,
	0xcc451979, 0x988a32f3, 0x311465e7, 0x6228cbce,
	0xc451979c, 0x88a32f39, 0x11465e73, 0x228cbce6,
	0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c,
	0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
	0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec,
	0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
	0x7a879d8a, 0xf50f3b14, 0xea1e7629, 0xd43cec53,
	0xa879d8a7, 0x50f3b14f, 0xa1e7629e, 0x43cec53d,
	0x879d8a7a, 0x0f3b14f5, 0x1e7629ea, 0x3cec53d4,
	0x79d8a7a8, 0xf3b14f50, 0xe7629ea1, 0xcec53d43,
	0x9d8a7a87, 0x3b14f50f, 0x7629ea1e, 0xec53d43c,
	0xd8a7a879, 0xb14f50f3, 0x629ea1e7, 0xc53d43ce,
	0x8a7a879d, 0x14f50f3b, 0x29ea1e76, 0x53d43cec,
	0xa7a879d8, 0x4f50f3b1, 0x9ea1e762, 0x3d43cec5,
};

/* Rotate a word left by n (1-31). */
static inline uint32_t
rotl(uint32_t x, unsigned n)
{
	return x << n | x >> (32 - n);
}

/* The permutation P0 of the compression function. */
static inline uint32_t
p0(uint32_t x)
{
	return x ^ rotl(x, 9) ^ rotl(x, 17);
}

/* The permutation P1 of the message expansion. */
static inline uint32_t
p1(uint32_t x)
{
	return x ^ rotl(x, 15) ^ rotl(x, 23);
}

/* Read a big-endian word. */
static inline uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * One round j of the first 16 (FF and GG are XORs): with the words in
 * the order a..h it replaces d by the new A and h by the new E and
 * rotates b and f, so the next round takes them as (d, a, b, c, h, e, f,
 * g).  w is W_j, wp is W'_j = W_j ^ W_j+4.
 */
static inline void
round_low(uint32_t a, uint32_t *b, uint32_t c, uint32_t *d, uint32_t e,
    uint32_t *f, uint32_t g, uint32_t *h, uint32_t w, uint32_t wp,
    uint32_t t)
{
	uint32_t a12 = rotl(a, 12), ss1, ss2, tt1, tt2;

	ss1 = rotl(a12 + e + t, 7);
	ss2 = ss1 ^ a12;
	tt1 = (a ^ *b ^ c) + *d + ss2 + wp;
	tt2 = (e ^ *f ^ g) + *h + ss1 + w;
	*b = rotl(*b, 9);
	*f = rotl(*f, 19);
	*d = tt1;
	*h = p0(tt2);
}

/* One round j of the last 48 (FF is majority, GG is choice), as above. */
static inline void
round_high(uint32_t a, uint32_t *b, uint32_t c, uint32_t *d, uint32_t e,
    uint32_t *f, uint32_t g, uint32_t *h, uint32_t w, uint32_t wp,
    uint32_t t)
{
	uint32_t a12 = rotl(a, 12), ss1, ss2, tt1, tt2;

	ss1 = rotl(a12 + e + t, 7);
	ss2 = ss1 ^ a12;
	tt1 = ((a & *b) | (a & c) | (*b & c)) + *d + ss2 + wp;
	tt2 = ((e & *f) | (~e & g)) + *h + ss1 + w;
	*b = rotl(*b, 9);
	*f = rotl(*f, 19);
	*d = tt1;
	*h = p0(tt2);
}

/* Set a state to the initial value. */
void
sm3_init(uint32_t *v)
{
	memcpy(v, sm3_iv, sizeof(sm3_iv));
}

/* Expand the message word W_j (16 <= j < 68) from the ones before it. */
static inline uint32_t
expand(const uint32_t *w, int j)
{
	return p1(w[j - 16] ^ w[j - 9] ^ rotl(w[j - 3], 15)) ^
	    rotl(w[j - 13], 7) ^ w[j - 6];
}

/*
 * Compress n 64-byte blocks at p into the state v (eight words).  The
 * schedule is expanded four words ahead of the rounds that use them, so
 * the expansion fills the rounds' latency instead of running apart.
 */
void
sm3_blocks(uint32_t *v, const uint8_t *p, size_t n)
{
	uint32_t w[68], a, b, c, d, e, f, g, h;
	int j;

	for (; n > 0; n--, p += SM3_BLOCK) {
		for (j = 0; j < 16; j++)
			w[j] = get_be32(p + 4 * j);
		a = v[0];
		b = v[1];
		c = v[2];
		d = v[3];
		e = v[4];
		f = v[5];
		g = v[6];
		h = v[7];
		for (j = 0; j < 64; j += 4) {
			if (j >= 12) {
				w[j + 4] = expand(w, j + 4);
				w[j + 5] = expand(w, j + 5);
				w[j + 6] = expand(w, j + 6);
				w[j + 7] = expand(w, j + 7);
			}
			if (j < 16) {
				round_low(a, &b, c, &d, e, &f, g, &h, w[j],
				    w[j] ^ w[j + 4], sm3_t[j]);
				round_low(d, &a, b, &c, h, &e, f, &g, w[j + 1],
				    w[j + 1] ^ w[j + 5], sm3_t[j + 1]);
				round_low(c, &d, a, &b, g, &h, e, &f, w[j + 2],
				    w[j + 2] ^ w[j + 6], sm3_t[j + 2]);
				round_low(b, &c, d, &a, f, &g, h, &e, w[j + 3],
				    w[j + 3] ^ w[j + 7], sm3_t[j + 3]);
				continue;
			}
			round_high(a, &b, c, &d, e, &f, g, &h, w[j],
			    w[j] ^ w[j + 4], sm3_t[j]);
			round_high(d, &a, b, &c, h, &e, f, &g, w[j + 1],
			    w[j + 1] ^ w[j + 5], sm3_t[j + 1]);
			round_high(c, &d, a, &b, g, &h, e, &f, w[j + 2],
			    w[j + 2] ^ w[j + 6], sm3_t[j + 2]);
			round_high(b, &c, d, &a, f, &g, h, &e, w[j + 3],
			    w[j + 3] ^ w[j + 7], sm3_t[j + 3]);
		}
		v[0] ^= a;
		v[1] ^= b;
		v[2] ^= c;
		v[3] ^= d;
		v[4] ^= e;
		v[5] ^= f;
		v[6] ^= g;
		v[7] ^= h;
	}
}
