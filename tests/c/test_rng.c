/* MT19937 against golden values from NumPy's legacy RandomState
 * (tests/fixtures/rng_golden.txt, made by make_rng_golden.py); the batch
 * of normal draws and the gamma draws the sampler uses. */
#include <math.h>
#include <stdlib.h>
#include "check.h"
#include "alloc.h"
#include "rng.h"

static uint64_t fnv(const size_t *v, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t i, b;
    for (i = 0; i < n; i++)
        for (b = 0; b < 8; b++) {
            h ^= (uint64_t)((v[i] >> (8 * b)) & 0xff);
            h *= 1099511628211ull;
        }
    return h;
}

static const char *golden_path = "tests/fixtures/rng_golden.txt";
static int lines_checked;

static void test_golden(void)
{
    FILE *f = fopen(golden_path, "r");
    char line[4096];
    CHECK(f != NULL);
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        char kind[16], *p;
        unsigned long long seed;
        int off;
        rng g;
        if (line[0] == '#' || sscanf(line, "%15s %llu%n", kind, &seed, &off) != 2)
            continue;
        p = line + off;
        rng_seed(&g, (uint32_t)seed);
        lines_checked++;
        if (strcmp(kind, "perm") == 0) {
            unsigned long long n, h, v;
            size_t *perm, i;
            int k;
            sscanf(p, "%llu %llu%n", &n, &h, &k);
            p += k;
            perm = core_malloc((size_t)n * sizeof *perm);
            rng_permutation(&g, perm, (size_t)n);
            CHECK(fnv(perm, (size_t)n) == h);
            for (i = 0; sscanf(p, "%llu%n", &v, &k) == 1; i++, p += k)
                CHECK(perm[i] == v);
            core_free(perm);
        } else if (strcmp(kind, "randint") == 0) {
            long long lo, hi, v;
            int k;
            sscanf(p, "%lld %lld%n", &lo, &hi, &k);
            p += k;
            while (sscanf(p, "%lld%n", &v, &k) == 1) {
                CHECK(lo + (long long)rng_interval(&g, (uint64_t)(hi - 1 - lo)) == v);
                p += k;
            }
        } else if (strcmp(kind, "shuffle") == 0) {
            size_t perm[64], i;
            unsigned long long n, v;
            int k;
            sscanf(p, "%llu%n", &n, &k);
            p += k;
            rng_permutation(&g, perm, (size_t)n);
            for (i = 0; sscanf(p, "%llu%n", &v, &k) == 1; i++, p += k)
                CHECK(perm[i] == v);
        } else {
            double v;
            int k, normal = strcmp(kind, "randn") == 0;
            while (sscanf(p, "%lf%n", &v, &k) == 1) {
                CHECK((normal ? rng_normal(&g) : rng_uniform(&g)) == v);
                p += k;
            }
        }
    }
    fclose(f);
    CHECK(lines_checked == 38);
}

static void test_interval_bounds(void)
{
    rng g;
    int i;
    rng_seed(&g, 5);
    for (i = 0; i < 10000; i++) {
        uint64_t v = rng_interval(&g, 6);
        CHECK(v <= 6);
        if (v > 6)
            break;
    }
    CHECK(rng_interval(&g, 0) == 0);
    for (i = 0; i < 100; i++)
        CHECK(rng_interval(&g, ((uint64_t)1 << 40) + 3) <= ((uint64_t)1 << 40) + 3);
}

static void test_permutation32(void)
{
    static size_t a[100000];
    static uint32_t b[100000];
    size_t ns[] = {0, 1, 2, 33, 1000, 100000}, k, i;
    for (k = 0; k < sizeof ns / sizeof *ns; k++) {
        rng g1, g2;
        rng_seed(&g1, 13);
        rng_seed(&g2, 13);
        rng_permutation(&g1, a, ns[k]);
        rng_permutation32(&g2, b, (uint32_t)ns[k]);
        for (i = 0; i < ns[k]; i++)
            if (a[i] != b[i])
                break;
        CHECK(i == ns[k]);
        CHECK(rng_u32(&g1) == rng_u32(&g2)); /* the same number of draws */
    }
}

/* rng_same: the same place of the same stream, a pending normal included */
static void test_same(void)
{
    rng a, b;
    rng_seed(&a, 5);
    rng_seed(&b, 5);
    CHECK(rng_same(&a, &b));
    (void)rng_u32(&a);
    CHECK(!rng_same(&a, &b));
    (void)rng_u32(&b);
    CHECK(rng_same(&a, &b));
    (void)rng_normal(&a); /* leaves the pair's second normal pending */
    b = a;
    CHECK(rng_same(&a, &b));
    (void)rng_normal(&b); /* takes it: the words are the same, the pending draw is not */
    CHECK(!rng_same(&a, &b));
    rng_seed(&b, 6);
    CHECK(!rng_same(&a, &b));
}

/* rng_normals is rng_normal n times: the same draws and the same state
 * after, whatever n's parity, whether a draw was pending before, and
 * wherever in the generator's block of 624 words the draws start or end
 * (a single word drawn between rounds moves the start by one) */
static void test_normals_batch(void)
{
    static const size_t ns[] = {0, 1, 2, 3, 7, 1000, 311, 5000, 2, 155, 156, 157, 4};
    rng a, b;
    static double out[5000];
    size_t c, i, round;
    int same = 1;
    rng_seed(&a, 21);
    rng_seed(&b, 21);
    for (round = 0; round < 4; round++)
        for (c = 0; c < sizeof ns / sizeof *ns; c++) {
            rng_normals(&a, out, ns[c]);
            for (i = 0; i < ns[c]; i++)
                same &= out[i] == rng_normal(&b);
            same &= rng_normal(&a) == rng_normal(&b); /* odd offsets next round */
            if (c % 2)
                same &= rng_u32(&a) == rng_u32(&b);
        }
    CHECK(same);
    CHECK(rng_u32(&a) == rng_u32(&b));
}

/* Gamma(shape, 1) has mean and variance shape, boosted below 1 too */
static void test_gamma_moments(void)
{
    static const double shapes[] = {0.3, 1, 4.5, 500};
    rng g;
    size_t c;
    int i, n = 200000;
    rng_seed(&g, 5);
    for (c = 0; c < sizeof shapes / sizeof *shapes; c++) {
        double k = shapes[c], sum = 0, ss = 0, mean, var;
        int positive = 1;
        for (i = 0; i < n; i++) {
            double x = rng_gamma(&g, k);
            positive &= x > 0;
            sum += x;
            ss += x * x;
        }
        mean = sum / n;
        var = ss / n - mean * mean;
        CHECK(positive);
        /* five standard errors of the mean (sd sqrt(k / n)); 10% on the variance */
        CHECK(fabs(mean - k) < 5 * sqrt(k / n));
        CHECK(fabs(var / k - 1) < 0.1);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1)
        golden_path = argv[1];
    RUN(test_golden);
    RUN(test_interval_bounds);
    RUN(test_permutation32);
    RUN(test_same);
    RUN(test_normals_batch);
    RUN(test_gamma_moments);
    return check_summary();
}
