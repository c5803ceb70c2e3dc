/* rng.h - explicit, seeded random state (xoshiro256** seeded by splitmix64).
 * No global state: every consumer owns a struct pat_rng. */
#ifndef PAT_RNG_H
#define PAT_RNG_H

#include <stdint.h>

struct pat_rng {
    uint64_t s[4];
};

void pat_rng_seed(struct pat_rng *r, uint64_t seed);
uint64_t pat_rng_u64(struct pat_rng *r);
/* Uniform in [0, 1) with 24 random bits. */
float pat_rng_uniform(struct pat_rng *r);
/* Standard normal (Box-Muller on two uniforms; deterministic per state). */
float pat_rng_normal(struct pat_rng *r);

#endif /* PAT_RNG_H */
