/*
 * rng — counter-based random streams (Philox4x32-10, Salmon et al. 2011,
 * "Parallel random numbers: as easy as 1, 2, 3", SC'11).
 *
 * A stream is keyed by (seed, purpose, population or projection, unit) and
 * its n-th draw depends only on that key and n, so results do not depend on
 * the number of threads or on the order in which objects were built.
 */
#ifndef MS_ENGINE_RNG_H
#define MS_ENGINE_RNG_H

#include <stdint.h>

enum ms__rng_purpose {
	MS__RNG_INIT = 1,
	MS__RNG_CONNECT = 2,
	MS__RNG_POISSON = 3,
	MS__RNG_DEVICE = 4,
	MS__RNG_NOISE = 5,
};

typedef struct ms__rng {
	uint32_t key[2];
	uint32_t ctr[4]; /* owner, unit, block (low), purpose << 24 | block
	                    (high 24 bits) */
	uint32_t buf[4];
	int left; /* unread words in buf */
} ms__rng;

/* Start the stream (seed, purpose, owner, unit) at draw 0. owner is a
 * hash of the owning object's name (ms__rng_owner), not its index, so that
 * streams do not depend on the order objects were created in. */
void ms__rng_init(ms__rng *r, uint64_t seed, int purpose, uint32_t owner,
                  uint32_t unit);
/* Continue the stream from its block number block (build_pop gives each
 * initialised variable its own block this way). */
void ms__rng_seek(ms__rng *r, uint64_t block);

uint32_t ms__rng_owner(const char *name);

uint32_t ms__rng_u32(ms__rng *r);
uint64_t ms__rng_u64(ms__rng *r);
/* Uniform in [0, 1) with 53 random bits. */
double ms__rng_uniform(ms__rng *r);
/* Exponential with mean 1. */
double ms__rng_exp(ms__rng *r);
/* Standard normal (mean 0, SD 1), from exactly two uniforms. */
double ms__rng_normal(ms__rng *r);
/* Uniform integer in [0, n), unbiased (n > 0). */
uint64_t ms__rng_below(ms__rng *r, uint64_t n);
/* The raw block function, exposed for known-answer tests. */
void ms__philox4x32_10(const uint32_t in[4], const uint32_t key[2],
                       uint32_t out[4]);

#endif
