/* MT19937 with the draws of NumPy's legacy RandomState, so seeded
 * permutations and samples equal np.random.seed(s); np.random.*. */
#ifndef SIMEC_RNG_H
#define SIMEC_RNG_H

#include <stdint.h>
#include <stddef.h>

typedef struct rng {
    uint32_t mt[624];
    int pos;
    int has_gauss;
    double gauss;
} rng;

void rng_seed(rng *r, uint32_t seed);
uint32_t rng_u32(rng *r);
/* 1 when a and b stand at the same place of the same stream: every later
 * draw from one equals the same draw from the other */
int rng_same(const rng *a, const rng *b);
double rng_uniform(rng *r);             /* [0, 1), 53 bits: random_sample */
double rng_normal(rng *r);              /* legacy polar Box-Muller: standard_normal */
double rng_gamma(rng *r, double shape); /* Gamma(shape, 1), shape > 0 */
void rng_normals(rng *r, double *out, size_t n); /* n draws of rng_normal, the same sequence */
uint64_t rng_interval(rng *r, uint64_t max); /* uniform in [0, max], masked rejection */
void rng_permutation(rng *r, size_t *out, size_t n); /* 0-based, as np.random.permutation */
void rng_permutation32(rng *r, uint32_t *out, uint32_t n);

struct mat;
struct core_err;
/* m filled row by row with uniform [0, 1) (normal = 0) or standard normal
 * draws; polls Ctrl-C between rows (CORE_EINTR, m partly filled). */
int rng_fill(rng *r, struct mat *m, int normal, struct core_err *e);

#endif
