/* Matrix factorisation by SGD (mf.c): the update rule on a case worked by
 * hand, recovery of a low-rank matrix with biases, rows without ratings
 * and new rows, the trace, seeding, errors. */
#include <stdlib.h>
#include "alloc.h"
#include "check.h"
#include "mf.h"
#include "rng.h"

static void from_dense(spm *A, int64_t rows, int64_t cols, const double *x)
{
    mat m;
    core_err e;
    CHECK(mat_init(&m, (size_t)rows, (size_t)cols, &e) == CORE_OK);
    memcpy(m.x, x, (size_t)(rows * cols) * sizeof *x);
    CHECK(spm_from_dense(A, &m, 0.0, &e) == CORE_OK);
    mat_release(&m);
}

static double at(const spm *A, int64_t i, int64_t j)
{
    spm_ptr t;
    for (t = A->p[i]; t < A->p[i + 1]; t++)
        if (A->j[t] == j)
            return A->x[t];
    return NAN;
}

/* k 0 with biases on two ratings that share no row or column: the mean is
 * 2, and two epochs of b += lr (err - reg_bias b) give b = -0.175 and
 * 0.175 (lr 0.1, reg_bias 0.5), whatever the order of the ratings. */
static void test_update_rule(void)
{
    const double r[4] = {1, 0, 0, 3}, all[4] = {1, 1, 1, 1};
    const int64_t n_full[2] = {2, 2};
    const int64_t *const none[2] = {NULL, NULL};
    spm R, P, out;
    mf_opts o;
    core_err e;
    double trace[2];
    from_dense(&R, 2, 2, r);
    from_dense(&P, 2, 2, all);
    mf_opts_default(&o);
    o.k = 0, o.epochs = 2, o.lr = 0.1, o.reg_bias = 0.5;
    CHECK(mf_run(&out, trace, &R, none, n_full, &P, &o, &e) == CORE_OK);
    CHECK_NEAR(at(&out, 0, 0), 2 - 0.35, 1e-6);
    CHECK_NEAR(at(&out, 1, 1), 2 + 0.35, 1e-6);
    CHECK_NEAR(at(&out, 0, 1), 2.0, 1e-6);
    CHECK_NEAR(at(&out, 1, 0), 2.0, 1e-6);
    /* the trace's last entry is the RMSE of what is returned (against 1s) */
    CHECK_NEAR(trace[1], sqrt((0.65 * 0.65 + 1.35 * 1.35 + 1 + 1) / 4), 1e-6);
    spm_free(&out);
    spm_free(&R), spm_free(&P);
}

#define NI 60
#define NU 80

/* y = 3 + bi + bu + p_i . q_u (rank 2) at about half the cells, one in five
 * of them held out; row 5 has no ratings at all */
static void make(spm *train, spm *test, uint32_t seed)
{
    static double tr[NI * NU], te[NI * NU];
    double P[NI][2], Q[NU][2], bi[NI], bu[NU];
    rng g;
    int i, u;
    rng_seed(&g, seed);
    for (i = 0; i < NI; i++)
        bi[i] = rng_normal(&g), P[i][0] = rng_normal(&g), P[i][1] = rng_normal(&g);
    for (u = 0; u < NU; u++)
        bu[u] = 0.5 * rng_normal(&g), Q[u][0] = rng_normal(&g), Q[u][1] = rng_normal(&g);
    memset(tr, 0, sizeof tr), memset(te, 0, sizeof te);
    for (i = 0; i < NI; i++)
        for (u = 0; u < NU; u++) {
            double y = 3 + bi[i] + bu[u] + P[i][0] * Q[u][0] + P[i][1] * Q[u][1];
            if (rng_uniform(&g) < 0.5 || i == 5)
                continue;
            if (y == 0)
                y = 1e-3; /* zero would read as missing */
            if (rng_uniform(&g) < 0.2)
                te[i * NU + u] = y;
            else
                tr[i * NU + u] = y;
        }
    from_dense(train, NI, NU, tr);
    from_dense(test, NI, NU, te);
}

static double rmse_of(const spm *pred, const spm *truth)
{
    double ss = 0;
    spm_ptr t;
    for (t = 0; t < SPM_NNZ(truth); t++)
        ss += (pred->x[t] - truth->x[t]) * (pred->x[t] - truth->x[t]);
    return sqrt(ss / (double)SPM_NNZ(truth));
}

/* rank 2 with biases is learned from half the cells: the held-out RMSE
 * falls well below the spread of the ratings, and below a biases-only
 * fit's; the same seed gives the same predictions, another seed others */
static void test_recovery_and_seeds(void)
{
    const int64_t n_full[2] = {NI, NU};
    const int64_t *const none[2] = {NULL, NULL};
    spm R, T, a, b, c;
    mf_opts o;
    core_err e;
    double mean = 0, spread = 0, rm, rm0;
    spm_ptr t;
    make(&R, &T, 3);
    for (t = 0; t < SPM_NNZ(&T); t++)
        mean += T.x[t] / (double)SPM_NNZ(&T);
    for (t = 0; t < SPM_NNZ(&T); t++)
        spread += (T.x[t] - mean) * (T.x[t] - mean) / (double)SPM_NNZ(&T);
    spread = sqrt(spread);
    mf_opts_default(&o);
    o.k = 2, o.epochs = 300, o.lr = 0.02, o.reg = 0.01, o.reg_bias = 0.0;
    CHECK(mf_run(&a, NULL, &R, none, n_full, &T, &o, &e) == CORE_OK);
    rm = rmse_of(&a, &T);
    o.k = 0;
    CHECK(mf_run(&c, NULL, &R, none, n_full, &T, &o, &e) == CORE_OK);
    rm0 = rmse_of(&c, &T);
    spm_free(&c);
    if (getenv("SIMEC_TEST_VERBOSE") || !(rm < 0.25 * spread && rm < 0.5 * rm0))
        fprintf(stderr, "mf recovery: rmse %g, biases only %g, spread %g\n", rm, rm0, spread);
    CHECK(rm < 0.25 * spread);
    CHECK(rm < 0.5 * rm0);
    o.k = 2;
    CHECK(mf_run(&b, NULL, &R, none, n_full, &T, &o, &e) == CORE_OK);
    CHECK(memcmp(a.x, b.x, (size_t)SPM_NNZ(&T) * sizeof *a.x) == 0);
    spm_free(&b);
    o.seed = 2;
    CHECK(mf_run(&b, NULL, &R, none, n_full, &T, &o, &e) == CORE_OK);
    CHECK(memcmp(a.x, b.x, (size_t)SPM_NNZ(&T) * sizeof *a.x) != 0);
    spm_free(&a), spm_free(&b);
    spm_free(&R), spm_free(&T);
}

/* a training row without ratings and a new row (map -1) are predicted
 * alike, from the mean and the column's bias: the same at every column */
static void test_rows_without_ratings(void)
{
    static double all[(NI + 1) * NU];
    int64_t rmap[NI + 1], i, u;
    const int64_t *map[2];
    int64_t n_full[2] = {NI + 1, NU};
    spm R, T, P, out;
    mf_opts o;
    core_err e;
    make(&R, &T, 5);
    for (i = 0; i < (NI + 1) * NU; i++)
        all[i] = 1;
    from_dense(&P, NI + 1, NU, all);
    for (i = 0; i < NI; i++)
        rmap[i] = i;
    rmap[NI] = -1;
    map[0] = rmap, map[1] = NULL;
    mf_opts_default(&o);
    o.k = 3, o.epochs = 5;
    CHECK(mf_run(&out, NULL, &R, map, n_full, &P, &o, &e) == CORE_OK);
    for (u = 0; u < NU; u++)
        CHECK(at(&out, 5, u) == at(&out, NI, u));
    spm_free(&out);
    spm_free(&R), spm_free(&T), spm_free(&P);
}

static void test_errors(void)
{
    const double r[4] = {1, 0, 0, 3}, zero[4] = {0, 0, 0, 0};
    int64_t n_full[2] = {2, 2}, bad_map[2] = {0, 2};
    const int64_t *none[2] = {NULL, NULL}, *map[2] = {bad_map, NULL};
    spm R, Z, out;
    mf_opts o;
    core_err e;
    from_dense(&R, 2, 2, r);
    from_dense(&Z, 2, 2, zero);
    mf_opts_default(&o);
    o.lr = 0;
    CHECK(mf_run(&out, NULL, &R, none, n_full, &R, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "lr > 0");
    mf_opts_default(&o);
    o.reg = NAN;
    CHECK(mf_run(&out, NULL, &R, none, n_full, &R, &o, &e) == CORE_EINVAL);
    mf_opts_default(&o);
    o.k = -1;
    CHECK(mf_run(&out, NULL, &R, none, n_full, &R, &o, &e) == CORE_EINVAL);
    mf_opts_default(&o);
    CHECK(mf_run(&out, NULL, &Z, none, n_full, &R, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "no training ratings");
    n_full[0] = 3;
    CHECK(mf_run(&out, NULL, &R, none, n_full, &R, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "the pattern is 2x2, the full space 3x2");
    n_full[0] = 2;
    CHECK(mf_run(&out, NULL, &R, map, n_full, &R, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "row map entry 1 is 2");
    spm_free(&R), spm_free(&Z);
}

int main(void)
{
    RUN(test_update_rule);
    RUN(test_recovery_and_seeds);
    RUN(test_rows_without_ratings);
    RUN(test_errors);
    return check_summary();
}
