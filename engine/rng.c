/*
 * rng — Philox4x32-10 counter-based generator.
 *
 * Round function and constants from Salmon, Moraes, Dror & Shaw (2011),
 * "Parallel random numbers: as easy as 1, 2, 3", Proc. SC'11: multipliers
 * 0xD2511F53 and 0xCD9E8D57, Weyl key increments 0x9E3779B9 and 0xBB67AE85,
 * ten rounds.
 */
#include "engine/rng.h"

#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void ms__philox4x32_10(const uint32_t in[4], const uint32_t key[2],
                       uint32_t out[4])
{
	uint32_t c0 = in[0], c1 = in[1], c2 = in[2], c3 = in[3];
	uint32_t k0 = key[0], k1 = key[1];

	for (int round = 0; round < 10; round++) {
		uint64_t p0 = (uint64_t)PHILOX_M0 * c0;
		uint64_t p1 = (uint64_t)PHILOX_M1 * c2;
		uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
		uint32_t n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
		c1 = (uint32_t)p1;
		c3 = (uint32_t)p0;
		c0 = n0;
		c2 = n2;
		k0 += PHILOX_W0;
		k1 += PHILOX_W1;
	}
	out[0] = c0;
	out[1] = c1;
	out[2] = c2;
	out[3] = c3;
}

void ms__rng_init(ms__rng *r, uint64_t seed, int purpose, uint32_t owner,
                  uint32_t unit)
{
	r->key[0] = (uint32_t)seed;
	r->key[1] = (uint32_t)(seed >> 32);
	r->ctr[0] = owner;
	r->ctr[1] = unit;
	r->ctr[2] = 0;
	r->ctr[3] = (uint32_t)purpose << 24;
	r->left = 0;
}

uint32_t ms__rng_owner(const char *name)
{
	/* FNV-1a, 32 bits. */
	uint32_t h = 2166136261u;

	for (; *name; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	return h;
}

#define BLOCK_HI_MASK 0xFFFFFFu

void ms__rng_seek(ms__rng *r, uint64_t block)
{
	r->ctr[2] = (uint32_t)block;
	r->ctr[3] = (r->ctr[3] & ~BLOCK_HI_MASK) |
	            ((uint32_t)(block >> 32) & BLOCK_HI_MASK);
	r->left = 0;
}

static void refill(ms__rng *r)
{
	ms__philox4x32_10(r->ctr, r->key, r->buf);
	if (++r->ctr[2] == 0)
		r->ctr[3] = (r->ctr[3] & ~BLOCK_HI_MASK) |
		            ((r->ctr[3] + 1) & BLOCK_HI_MASK);
	r->left = 4;
}

uint32_t ms__rng_u32(ms__rng *r)
{
	if (r->left == 0)
		refill(r);
	return r->buf[4 - r->left--];
}

uint64_t ms__rng_u64(ms__rng *r)
{
	uint64_t hi;

	/* Two words of the current block when it has them; the sequence is
	 * that of two ms__rng_u32 calls. */
	if (r->left >= 2) {
		const uint32_t *w = &r->buf[4 - r->left];
		r->left -= 2;
		return (uint64_t)w[0] << 32 | w[1];
	}
	hi = ms__rng_u32(r);
	return hi << 32 | ms__rng_u32(r);
}

double ms__rng_uniform(ms__rng *r)
{
	return (double)(ms__rng_u64(r) >> 11) * 0x1.0p-53;
}

double ms__rng_exp(ms__rng *r)
{
	/* 1 - u lies in (0, 1], so the logarithm is finite. */
	return -log(1.0 - ms__rng_uniform(r));
}

/*
 * Box & Muller (1958), "A note on the generation of random normal
 * deviates", Ann. Math. Stat. 29:610: z = sqrt(-2 ln u1) cos(2 pi u2). Only
 * the cosine variate is used, so every normal consumes exactly two uniforms
 * and a stream position never holds half a pair: a seeked stream gives the
 * same normals whatever was drawn before. u1 = 1 - uniform lies in (0, 1],
 * so the logarithm is finite.
 */
double ms__rng_normal(ms__rng *r)
{
	double u1 = 1.0 - ms__rng_uniform(r);
	double u2 = ms__rng_uniform(r);

	return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t ms__rng_below(ms__rng *r, uint64_t n)
{
	/* Rejection keeps every value equally likely (Lemire's threshold). */
	uint64_t threshold = (0 - n) % n;
	for (;;) {
		uint64_t x = ms__rng_u64(r);
		if (x >= threshold)
			return x % n;
	}
}
