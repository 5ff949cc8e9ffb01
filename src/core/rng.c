#include <math.h>
#include <string.h>
#include "mat.h"
#include "rng.h"

#define N 624
#define M 397

void rng_seed(rng *r, uint32_t seed)
{
    int i;
    r->mt[0] = seed;
    for (i = 1; i < N; i++)
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30)) + (uint32_t)i;
    r->pos = N;
    r->has_gauss = 0;
    r->gauss = 0.0;
}

/* The twist, with the matrix A's conditional term as a mask so that both
 * loops vectorise (each reads words not yet rewritten, or rewritten a
 * whole stride of 227 before) */
#define TWIST(u, v) (((((u) & 0x80000000u) | ((v) & 0x7fffffffu)) >> 1) ^ ((0u - ((v) & 1u)) & 0x9908b0dfu))
static void regenerate(rng *r)
{
    uint32_t *mt = r->mt;
    int k;
    for (k = 0; k < N - M; k++)
        mt[k] = mt[k + M] ^ TWIST(mt[k], mt[k + 1]);
    for (; k < N - 1; k++)
        mt[k] = mt[k + (M - N)] ^ TWIST(mt[k], mt[k + 1]);
    mt[N - 1] = mt[M - 1] ^ TWIST(mt[N - 1], mt[0]);
    r->pos = 0;
}

static uint32_t temper(uint32_t y)
{
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    return y ^ (y >> 18);
}

uint32_t rng_u32(rng *r)
{
    uint32_t y;
    if (r->pos >= N)
        regenerate(r);
    y = r->mt[r->pos++];
    return temper(y);
}

double rng_uniform(rng *r)
{
    uint32_t a = rng_u32(r) >> 5, b = rng_u32(r) >> 6;
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

int rng_same(const rng *a, const rng *b)
{
    return a->pos == b->pos && a->has_gauss == b->has_gauss && (!a->has_gauss || a->gauss == b->gauss) &&
           memcmp(a->mt, b->mt, sizeof a->mt) == 0;
}

double rng_normal(rng *r)
{
    double x1, x2, r2, f;
    if (r->has_gauss) {
        r->has_gauss = 0;
        return r->gauss;
    }
    do {
        x1 = 2.0 * rng_uniform(r) - 1.0;
        x2 = 2.0 * rng_uniform(r) - 1.0;
        r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1.0 || r2 == 0.0);
    f = sqrt(-2.0 * log(r2) / r2);
    r->gauss = f * x1;
    r->has_gauss = 1;
    return f * x2;
}

/* rng_normal's polar draws in bulk: the candidate pairs left in the
 * generator's current block of 624 words (four words each) are formed in
 * one loop that vectorises, then scanned in order for the accepted ones;
 * the words of candidates not reached stay unread, so the sequence is
 * rng_normal's. A candidate that would straddle two blocks goes through
 * rng_normal itself. */
#define CANDIDATES (N / 4)
void rng_normals(rng *r, double *out, size_t n)
{
    double x1[CANDIDATES], x2[CANDIDATES], r2[CANDIDATES];
    size_t i = 0;
    if (n && r->has_gauss)
        out[i++] = rng_normal(r);
    while (n - i >= 2) {
        int c, avail;
        if (r->pos >= N)
            regenerate(r);
        avail = (N - r->pos) / 4;
        if (avail == 0) {
            out[i++] = rng_normal(r);
            out[i++] = rng_normal(r);
            continue;
        }
        if ((size_t)avail > n - i) /* an accepted candidate gives two draws: n - i candidates are plenty */
            avail = (int)(n - i);
        {
            const uint32_t *w = r->mt + r->pos;
            for (c = 0; c < avail; c++) {
                double u1 = ((temper(w[4 * c]) >> 5) * 67108864.0 + (temper(w[4 * c + 1]) >> 6)) / 9007199254740992.0;
                double u2 = ((temper(w[4 * c + 2]) >> 5) * 67108864.0 + (temper(w[4 * c + 3]) >> 6)) /
                            9007199254740992.0;
                x1[c] = 2.0 * u1 - 1.0;
                x2[c] = 2.0 * u2 - 1.0;
                r2[c] = x1[c] * x1[c] + x2[c] * x2[c];
            }
        }
        {
            /* the accepted candidates listed without a branch each: about
             * a fifth are rejected at random, and a mispredicted branch
             * discards the square roots and logarithms in flight */
            int acc[CANDIDATES], na = 0, k, use;
            const int need = (int)((n - i) / 2 < (size_t)avail ? (n - i) / 2 : (size_t)avail);
            for (c = 0; c < avail; c++) {
                acc[na] = c;
                na += r2[c] < 1.0 && r2[c] != 0.0;
            }
            use = na < need ? na : need;
            for (k = 0; k < use; k++) {
                const int a = acc[k];
                const double f = sqrt(-2.0 * log(r2[a]) / r2[a]);
                out[i++] = f * x2[a];
                out[i++] = f * x1[a];
            }
            /* the candidates read: up to the last one used when it filled
             * the request, else all */
            r->pos += 4 * (use == need ? acc[use - 1] + 1 : avail);
        }
    }
    if (i < n)
        out[i] = rng_normal(r);
}

/* Marsaglia and Tsang's method, the shape below 1 boosted by one (not
 * NumPy's legacy algorithm: the draws differ from np.random.gamma's) */
double rng_gamma(rng *r, double shape)
{
    double d, c, x, v, u;
    if (shape < 1)
        return rng_gamma(r, shape + 1) * pow(rng_uniform(r), 1 / shape);
    d = shape - 1.0 / 3;
    c = 1 / sqrt(9 * d);
    for (;;) {
        do {
            x = rng_normal(r);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        u = rng_uniform(r);
        if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
            return d * v;
    }
}

uint64_t rng_interval(rng *r, uint64_t max)
{
    uint64_t mask = max, v;
    if (max == 0)
        return 0;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;
    mask |= mask >> 32;
    if (max <= 0xffffffffu) {
        while ((v = (rng_u32(r) & mask)) > max)
            ;
    } else {
        while ((v = ((((uint64_t)rng_u32(r)) << 32 | rng_u32(r)) & mask)) > max)
            ;
    }
    return v;
}

/* Fisher-Yates as NumPy's legacy shuffle. The swap partners depend only on
 * the generator, so they are drawn LOOK steps ahead and their cache lines
 * prefetched: on large n the swaps are otherwise one cache miss each. */
#define LOOK 32

/* One body for both entry types T (size_t and uint32_t). */
#define PERMUTATION_BODY(T)                                                       \
    do {                                                                          \
        T i, j, t, ring[LOOK], head = 0, ahead;                                   \
        for (i = 0; i < n; i++)                                                   \
            out[i] = i;                                                           \
        if (n < 2)                                                                \
            return;                                                               \
        /* ring holds the partners of steps i, i-1, ..., i-LOOK+1 */              \
        for (ahead = 0; ahead < LOOK && n - ahead > 1; ahead++) {                 \
            ring[ahead] = (T)rng_interval(r, n - 1 - ahead);                      \
            __builtin_prefetch(&out[ring[ahead]], 1);                             \
        }                                                                         \
        for (i = n; i > 1; i--) {                                                 \
            j = ring[head];                                                       \
            if (i - 1 >= LOOK + 1) { /* draw the partner of step i - LOOK */      \
                ring[head] = (T)rng_interval(r, i - 1 - LOOK);                    \
                __builtin_prefetch(&out[ring[head]], 1);                          \
            }                                                                     \
            head = (head + 1) % LOOK;                                             \
            t = out[i - 1], out[i - 1] = out[j], out[j] = t;                      \
        }                                                                         \
    } while (0)

void rng_permutation(rng *r, size_t *out, size_t n)
{
    PERMUTATION_BODY(size_t);
}

/* The same permutation in 32-bit entries (half the memory traffic). */
void rng_permutation32(rng *r, uint32_t *out, uint32_t n)
{
    PERMUTATION_BODY(uint32_t);
}

int rng_fill(rng *r, mat *m, int normal, core_err *e)
{
    size_t i, j;
    for (i = 0; i < m->rows; i++) {
        if ((i & 0xff) == 0 && core_interrupted()) /* 5e4 x 4e3 draws take seconds */
            return core_err_set(e, CORE_EINTR, "interrupted!");
        for (j = 0; j < m->cols; j++)
            MAT_AT(m, i, j) = normal ? rng_normal(r) : rng_uniform(r);
    }
    return CORE_OK;
}
