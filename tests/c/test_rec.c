#include <stdlib.h>
#include "check.h"
#include "alloc.h"
#include "blas.h"
#include "ials.h"
#include "rec.h"
#include "relations.h"
#include "ridge.h"
#include "rng.h"
#include "svd.h"

static void synth(spm *R, size_t items, size_t users, int64_t n, uint32_t seed)
{
    mat P, Q, bi, bu;
    rng g;
    size_t i;
    rng_seed(&g, seed);
    mat_init(&P, items, 3, NULL);
    mat_init(&Q, users, 3, NULL);
    mat_init(&bi, items, 1, NULL);
    mat_init(&bu, users, 1, NULL);
    for (i = 0; i < items * 3; i++) P.x[i] = rng_normal(&g) * 0.5;
    for (i = 0; i < users * 3; i++) Q.x[i] = rng_normal(&g) * 0.5;
    rec_synthetic(R, &P, &Q, &bi, &bu, 3.5, 0.2, 0.8, n, &g, NULL);
    mat_release(&P);
    mat_release(&Q);
    mat_release(&bi);
    mat_release(&bu);
}

static void test_synthetic(void)
{
    spm R;
    int64_t k;
    mat P, Q, bi, bu;
    rng g;
    core_err e;
    synth(&R, 50, 80, 2000, 1);
    CHECK(SPM_NNZ(&R) == 2000 && R.rows == 50 && R.cols == 80);
    for (k = 0; k < 2000; k++)
        CHECK(R.x[k] >= 0.5 && R.x[k] <= 5 && R.x[k] * 2 == floor(R.x[k] * 2));
    spm_free(&R);
    synth(&R, 10, 10, 100, 2); /* every cell: distinct sampling must still finish */
    CHECK(SPM_NNZ(&R) == 100);
    spm_free(&R);
    mat_init(&P, 3, 2, NULL), mat_init(&Q, 3, 2, NULL), mat_init(&bi, 3, 1, NULL), mat_init(&bu, 3, 1, NULL);
    rng_seed(&g, 1);
    CHECK(rec_synthetic(&R, &P, &Q, &bi, &bu, 3, 0, 1, 10, &g, &e) == CORE_EINVAL);
    CHECK_MSG(e, "10 ratings do not fit 3 items x 3 users");
    mat_release(&P), mat_release(&Q), mat_release(&bi), mat_release(&bu);
}

static void test_split(void)
{
    spm R, tr, te;
    int64_t rmap[40], cmap[60], i, ntr = 0;
    spm_ptr k;
    unsigned char *mask;
    rng g;
    core_err e;
    synth(&R, 40, 60, 900, 3);
    for (i = 0; i < 40; i++)
        rmap[i] = i % 2 ? -1 : i / 2; /* even rows train, in order */
    for (i = 0; i < 60; i++)
        cmap[i] = i;
    CHECK(rec_split(&tr, &te, &R, rmap, 20, cmap, 60, NULL, &e) == CORE_OK);
    CHECK(tr.rows == 20 && te.rows == 40 && SPM_NNZ(&tr) + SPM_NNZ(&te) == 900);
    for (i = 0; i < 40; i++)
        for (k = R.p[i]; k < R.p[i + 1]; k++) {
            if (i % 2 == 0)
                CHECK(spm_get(&tr, i / 2, R.j[k]) == R.x[k] && spm_get(&te, i, R.j[k]) == 0);
            else
                CHECK(spm_get(&te, i, R.j[k]) == R.x[k]);
        }
    spm_free(&tr);
    spm_free(&te);
    rmap[1] = 25;
    CHECK(rec_split(&tr, &te, &R, rmap, 20, cmap, 60, NULL, &e) == CORE_EINVAL);
    CHECK_MSG(e, "row map entry 2 out of range");
    /* ratings mask: exactly test_to - test_from test entries */
    mask = malloc((size_t)SPM_NNZ(&R));
    rng_seed(&g, 13);
    CHECK(rec_pairs_mask(mask, SPM_NNZ(&R), NULL, SPM_NNZ(&R), &g, 630, 900, &e) == CORE_OK);
    for (k = 0; k < 900; k++)
        ntr += mask[k];
    CHECK(ntr == 630);
    free(mask);
    spm_free(&R);
}

static void test_bias_and_sample(void)
{
    double rm[] = {3, 0}, rc[] = {2, 0}, cm[] = {4, 1}, cc[] = {1, 1};
    rec_bias b = {2.5, 0.5, rm, rc, cm, cc, 2, 2};
    spm P, out;
    int64_t rmap[3] = {0, 1, -1}, cmap[2] = {1, 0};
    spm_idx *I = core_malloc(3 * sizeof *I), *J = core_malloc(3 * sizeof *J);
    double *X = core_malloc(3 * sizeof *X);
    mat A, B;
    I[0] = 0, J[0] = 0, X[0] = 1;
    I[1] = 1, J[1] = 1, X[1] = 1;
    I[2] = 2, J[2] = 0, X[2] = 1;
    spm_from_triplets_owned(&P, 3, 2, &I, &J, &X, 3, SPM_DUP_SUM, NULL);
    CHECK(rec_bias_predict(&out, &b, &P, rmap, cmap, NULL) == CORE_OK);
    CHECK_NEAR(spm_get(&out, 0, 0), 2.5 + 0.5 * 0.5 + 0.5 * (1 - 2.5), 1e-15); /* col 0 -> model column 1 */
    CHECK_NEAR(spm_get(&out, 1, 1), 2.5 + 0.5 * 1.5, 1e-15); /* row 1 has no ratings: no row term */
    CHECK_NEAR(spm_get(&out, 2, 0), 2.5 + 0.5 * (1 - 2.5), 1e-15); /* new row */
    spm_free(&out);
    mat_init(&A, 2, 2, NULL), mat_init(&B, 2, 2, NULL);
    A.x[0] = 1, A.x[1] = 2, A.x[2] = 3, A.x[3] = 4;
    B.x[0] = 5, B.x[1] = 6, B.x[2] = 7, B.x[3] = 8;
    CHECK(spm_sample_mapped(&out, &A, &B, &P, rmap, cmap, NULL) == CORE_OK);
    CHECK(spm_get(&out, 0, 0) == 1 * 6 + 2 * 8); /* row 0 of A, column 1 of B */
    CHECK(spm_get(&out, 1, 1) == 3 * 5 + 4 * 7);
    CHECK(SPM_NNZ(&out) == 3 && out.x[2] == 0); /* unmapped row */
    spm_free(&out);
    mat_release(&A), mat_release(&B);
    spm_free(&P);
}

/* Bt above the cache bound takes the column-by-column traversal */
/* each full user's training items, 1/sqrt(count); new users empty; map errors */
static void test_implicit(void)
{
    spm R, out;
    spm_idx *I = core_malloc(3 * sizeof *I), *J = core_malloc(3 * sizeof *J);
    double *X = core_malloc(3 * sizeof *X);
    int64_t map[3] = {1, -1, 0}, bad[1] = {2};
    core_err e;
    /* 3 items x 2 users: user 0 rated items 0 and 2, user 1 item 1 */
    I[0] = 0, J[0] = 0, X[0] = 5;
    I[1] = 2, J[1] = 0, X[1] = 3;
    I[2] = 1, J[2] = 1, X[2] = 4;
    CHECK(spm_from_triplets_owned(&R, 3, 2, &I, &J, &X, 3, SPM_DUP_ERROR, NULL) == 0);
    CHECK(rec_implicit(&out, &R, map, 3, &e) == CORE_OK);
    CHECK(out.rows == 3 && out.cols == 3 && SPM_NNZ(&out) == 3);
    CHECK(spm_get(&out, 0, 1) == 1);
    CHECK(out.p[2] == out.p[1]); /* the new user */
    CHECK_NEAR(spm_get(&out, 2, 0), 1 / sqrt(2.0), 1e-15);
    CHECK_NEAR(spm_get(&out, 2, 2), 1 / sqrt(2.0), 1e-15);
    spm_free(&out);
    CHECK(rec_implicit(&out, &R, NULL, 2, &e) == CORE_OK && out.rows == 2);
    spm_free(&out);
    CHECK(rec_implicit(&out, &R, bad, 1, &e) == CORE_EINVAL);
    CHECK_MSG(e, "map entry 1 is outside the 2 training users");
    CHECK(rec_implicit(&out, &R, NULL, 3, &e) == CORE_EINVAL);
    CHECK_MSG(e, "3 users and no map");
    spm_free(&R);
}

static void test_sample_by_columns(void)
{
    mat A, B;
    spm P, out;
    rng g;
    size_t i;
    int64_t *rmap = malloc(50 * sizeof *rmap), *cmap = malloc(30000 * sizeof *cmap), r;
    spm_idx *I = core_malloc(3000 * sizeof *I), *J = core_malloc(3000 * sizeof *J);
    double *X = core_malloc(3000 * sizeof *X);
    spm_ptr k;
    rng_seed(&g, 9);
    mat_init(&A, 40, 20, NULL);
    mat_init(&B, 20, 30000, NULL);
    for (i = 0; i < 800; i++) A.x[i] = rng_normal(&g);
    for (i = 0; i < 600000; i++) B.x[i] = rng_normal(&g);
    for (i = 0; i < 3000; i++) {
        I[i] = (spm_idx)rng_interval(&g, 49);
        J[i] = (spm_idx)rng_interval(&g, 29999);
        X[i] = 1;
    }
    spm_from_triplets_owned(&P, 50, 30000, &I, &J, &X, 3000, SPM_DUP_SUM, NULL);
    for (i = 0; i < 50; i++) rmap[i] = i < 40 ? 39 - (int64_t)i : -1;
    for (i = 0; i < 30000; i++) cmap[i] = i % 7 ? (int64_t)i : -1;
    CHECK(spm_sample_mapped(&out, &A, &B, &P, rmap, cmap, NULL) == CORE_OK);
    for (r = 0; r < 50; r++)
        for (k = P.p[r]; k < P.p[r + 1]; k++) {
            double want = 0;
            size_t q;
            if (rmap[r] >= 0 && cmap[P.j[k]] >= 0)
                for (q = 0; q < 20; q++)
                    want += MAT_AT(&A, rmap[r], q) * MAT_AT(&B, q, cmap[P.j[k]]);
            CHECK_NEAR(out.x[k], want, 1e-12);
        }
    spm_free(&out);
    spm_free(&P);
    mat_release(&A);
    mat_release(&B);
    free(rmap);
    free(cmap);
}

static void test_svd(void)
{
    spm R;
    mat D, U, s, Vt, Uf, Sf, Vf;
    svd_opts o;
    size_t i;
    int pass;
    core_err e;
    synth(&R, 60, 45, 1500, 4);
    spm_to_dense(&D, &R, 0, NULL);
    mat_svd(&Uf, &Sf, &Vf, &D, 0, NULL);
    /* the default (ARPACK at this size), then block Lanczos on the float
     * pass (single forced, blocks of 8): sparse and dense input each */
    for (pass = 0; pass < 4; pass++) {
        svd_opts_default(&o);
        if (pass >= 2)
            o.method = SVD_LANCZOS, o.single = 1, o.block = 8;
        CHECK(svd_truncated(&U, &s, &Vt, pass % 2 ? NULL : &R, pass % 2 ? &D : NULL, 7, &o, &e) == CORE_OK);
        for (i = 0; i < 7; i++)
            CHECK_NEAR(s.x[i] / Sf.x[i], 1.0, pass >= 2 ? 1e-8 : 1e-10);
        mat_release(&U), mat_release(&s), mat_release(&Vt);
    }
    o.method = SVD_RANDOMIZED;
    o.power_iters = 8;
    CHECK(svd_truncated(&U, &s, &Vt, &R, NULL, 3, &o, &e) == CORE_OK);
    CHECK_NEAR(s.x[0] / Sf.x[0], 1.0, 1e-6);
    mat_release(&U), mat_release(&s), mat_release(&Vt);
    CHECK(svd_truncated(&U, &s, &Vt, &R, NULL, 45, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "k must be between 1 and min(rows, cols) - 1 = 44, got 45");
    { /* Ctrl-C: each method's loop stops with nothing held (dense input: no transpose to stop first) */
        size_t before = core_mem_in_use();
        int methods[3] = {SVD_ARPACK, SVD_LANCZOS, SVD_RANDOMIZED}, m;
        core_interrupt_flag = 1;
        for (m = 0; m < 3; m++) {
            svd_opts_default(&o);
            o.method = methods[m];
            CHECK(svd_truncated(&U, &s, &Vt, NULL, &D, 7, &o, &e) == CORE_EINTR);
            CHECK_MSG(e, "interrupted!");
            CHECK(core_mem_in_use() == before);
        }
        core_interrupt_flag = 0;
    }
    spm_free(&R);
    mat_release(&D), mat_release(&Uf), mat_release(&Sf), mat_release(&Vf);
}

static void test_ridge(void)
{
    mat X, Y, W, b, W2, b2;
    spm XS;
    rng g;
    size_t i;
    ridge_info info;
    rng_seed(&g, 5);
    mat_init(&X, 50, 6, NULL), mat_init(&Y, 50, 2, NULL);
    for (i = 0; i < 300; i++) X.x[i] = rng_uniform(&g) < 0.3 ? 1.0 : 0.0;
    for (i = 0; i < 100; i++) Y.x[i] = rng_normal(&g);
    spm_from_dense(&XS, &X, 0, NULL);
    CHECK(ridge_fit(&W, &b, NULL, &X, &Y, 2.0, 1, RIDGE_CHOLESKY, &info, NULL) == CORE_OK);
    CHECK(ridge_fit(&W2, &b2, &XS, NULL, &Y, 2.0, 1, RIDGE_CG, &info, NULL) == CORE_OK && info.iterations > 0);
    for (i = 0; i < 12; i++)
        CHECK_NEAR(W.x[i], W2.x[i], 1e-9);
    CHECK_NEAR(b.x[1], b2.x[1], 1e-9);
    mat_release(&W), mat_release(&b), mat_release(&W2), mat_release(&b2);
    spm_free(&XS);
    mat_release(&X), mat_release(&Y);
}

/* iALS's exact half-step solves each row's normal equations (formed
 * densely here: (G^T C_u G + lambda I) x = G^T C_u p_u over all columns);
 * conjugate gradients with k steps reach the same; a row without entries
 * solves to zero (row 0 has none); shapes and settings are checked. */
static void test_ials(void)
{
    const size_t n = 6, m = 9, k = 4;
    mat D, G, F, F2, A, bvec, x, bad;
    spm X;
    rng g;
    size_t u, i, a, q;
    core_err e;
    double alpha = 3.0, lambda = 0.7;
    rng_seed(&g, 11);
    mat_init(&D, n, m, NULL), mat_init(&G, m, k, NULL);
    for (i = 0; i < n * m; i++) D.x[i] = i >= m && rng_uniform(&g) < 0.4 ? 1.0 : 0.0;
    for (i = 0; i < m * k; i++) G.x[i] = rng_normal(&g) * 0.3;
    spm_from_dense(&X, &D, 0, NULL);
    mat_init(&F, n, k, NULL), mat_init(&F2, n, k, NULL);
    CHECK(ials_side(&F, &X, &G, alpha, lambda, 0, &e) == CORE_OK);
    CHECK(ials_side(&F2, &X, &G, alpha, lambda, (int64_t)k, &e) == CORE_OK);
    for (u = 0; u < n; u++) {
        mat_init(&A, k, k, NULL), mat_init(&bvec, k, 1, NULL);
        for (a = 0; a < k; a++) {
            for (q = 0; q < k; q++) {
                double s = a == q ? lambda : 0.0;
                for (i = 0; i < m; i++)
                    s += (1.0 + alpha * MAT_AT(&D, u, i)) * MAT_AT(&G, i, a) * MAT_AT(&G, i, q);
                MAT_AT(&A, a, q) = s;
            }
            for (i = 0; i < m; i++)
                MAT_AT(&bvec, a, 0) += (1.0 + alpha * MAT_AT(&D, u, i)) * MAT_AT(&D, u, i) * MAT_AT(&G, i, a);
        }
        CHECK(mat_solve(&x, &A, &bvec, NULL) == CORE_OK);
        for (a = 0; a < k; a++) {
            CHECK_NEAR(MAT_AT(&F, u, a), MAT_AT(&x, a, 0), 1e-12);
            CHECK_NEAR(MAT_AT(&F2, u, a), MAT_AT(&x, a, 0), 1e-9);
            if (u == 0)
                CHECK(MAT_AT(&F, u, a) == 0.0);
        }
        mat_release(&A), mat_release(&bvec), mat_release(&x);
    }
    mat_init(&bad, n, k + 1, NULL);
    CHECK(ials_side(&bad, &X, &G, alpha, lambda, 0, &e) == CORE_EINVAL);
    CHECK(ials_side(&F, &X, &bad, alpha, lambda, 0, &e) == CORE_EINVAL);
    CHECK(ials_side(&F, &X, &G, alpha, 0.0, 0, &e) == CORE_EINVAL);
    CHECK(ials_side(&F, &X, &G, alpha, lambda, -1, &e) == CORE_EINVAL);
    mat_release(&bad), mat_release(&D), mat_release(&G), mat_release(&F), mat_release(&F2);
    spm_free(&X);
}

/* a random symmetric positive definite n x n kernel */
static void spd(mat *K, size_t n, uint32_t seed)
{
    mat X;
    rng g;
    size_t i;
    rng_seed(&g, seed);
    mat_init(&X, n, n, NULL);
    rng_fill(&g, &X, 1, NULL);
    mat_init(K, n, n, NULL);
    blas_gram("test", n, n, 1.0 / (double)n, X.x, X.ld, 0.0, K->x, K->ld, NULL);
    for (i = 0; i < n; i++)
        MAT_AT(K, i, i) += 0.1;
    mat_release(&X);
}

/* KronRLS against the explicit solve (Kt (x) Kd + sigma I) vec(A) = vec(Y),
 * its fitted values Kd A Kt dense and at pairs (both paths, both sides
 * larger), and the GIP kernel against its definition */
static void test_relations(void)
{
    size_t shapes[2][2] = {{4, 9}, {9, 4}}, s; /* n * m >= 32: one pair takes the dot path */
    core_err e;
    for (s = 0; s < 2; s++) {
        size_t n = shapes[s][0], m = shapes[s][1], N = n * m, a, b, c, d;
        spm Y, P1, P1t, P2, F1, F2;
        mat Kd, Kt, K, y, x, A, T, F, D, G;
        kronrls k;
        double sigma = 0.7;
        synth(&Y, n, m, (int64_t)(N / 2), (uint32_t)(11 + s));
        spd(&Kd, n, 1), spd(&Kt, m, 2);
        CHECK(kronrls_fit(&k, &Y, &Kd, &Kt, sigma, &e) == CORE_OK);
        mat_init(&K, N, N, NULL), mat_init(&y, N, 1, NULL);
        for (b = 0; b < m; b++)
            for (a = 0; a < n; a++) {
                y.x[b * n + a] = spm_get(&Y, (int64_t)a, (int64_t)b);
                for (d = 0; d < m; d++)
                    for (c = 0; c < n; c++)
                        MAT_AT(&K, b * n + a, d * n + c) =
                            MAT_AT(&Kt, b, d) * MAT_AT(&Kd, a, c) + (b * n + a == d * n + c ? sigma : 0.0);
            }
        CHECK(mat_solve(&x, &K, &y, &e) == CORE_OK);
        /* A = Ud C Ut' */
        mat_init(&T, n, m, NULL), mat_init(&A, n, m, NULL);
        blas_gemm("test", BLAS_N, BLAS_N, n, m, n, 1.0, k.Ud.x, k.Ud.ld, k.C.x, k.C.ld, 0.0, T.x, T.ld, NULL);
        blas_gemm("test", BLAS_N, BLAS_T, n, m, m, 1.0, T.x, T.ld, k.Ut.x, k.Ut.ld, 0.0, A.x, A.ld, NULL);
        for (b = 0; b < m; b++)
            for (a = 0; a < n; a++)
                CHECK_NEAR(MAT_AT(&A, a, b), x.x[b * n + a], 1e-10);
        /* the fitted values Kd A Kt */
        mat_init(&D, n, m, NULL), mat_init(&G, n, m, NULL);
        blas_gemm("test", BLAS_N, BLAS_N, n, m, n, 1.0, Kd.x, Kd.ld, A.x, A.ld, 0.0, D.x, D.ld, NULL);
        blas_gemm("test", BLAS_N, BLAS_N, n, m, m, 1.0, D.x, D.ld, Kt.x, Kt.ld, 0.0, G.x, G.ld, NULL);
        CHECK(kronrls_fitted(&F, NULL, &k, NULL, &e) == CORE_OK);
        for (a = 0; a < n; a++)
            for (b = 0; b < m; b++)
                CHECK_NEAR(MAT_AT(&F, a, b), MAT_AT(&G, a, b), 1e-10);
        /* at one pair (a dot product) and at every other pair (the products) */
        {
            spm_idx *ri = core_malloc(sizeof *ri), *ci = core_malloc(sizeof *ci);
            double *v = core_malloc(sizeof *v);
            ri[0] = (spm_idx)(n - 1), ci[0] = (spm_idx)(m / 2), v[0] = 1;
            spm_from_triplets_owned(&P1, (int64_t)n, (int64_t)m, &ri, &ci, &v, 1, SPM_DUP_ERROR, NULL);
        }
        spm_from_dense(&P2, &G, 0.0, NULL); /* every pair */
        CHECK(kronrls_fitted(NULL, &F1, &k, &P1, &e) == CORE_OK);
        CHECK(kronrls_fitted(NULL, &F2, &k, &P2, &e) == CORE_OK);
        CHECK(SPM_NNZ(&F1) == 1 && SPM_NNZ(&F2) == (int64_t)N);
        CHECK_NEAR(F1.x[0], MAT_AT(&G, n - 1, m / 2), 1e-10);
        for (a = 0; a < n; a++)
            for (b = 0; b < m; b++)
                CHECK_NEAR(spm_get(&F2, (int64_t)a, (int64_t)b), MAT_AT(&G, a, b), 1e-10);
        spm_free(&F1);
        spm_transpose(&P1t, &P1, NULL); /* m x n pairs for an n x m model */
        CHECK(kronrls_fitted(NULL, &F1, &k, &P1t, &e) == CORE_EINVAL);
        CHECK_MSG(e, "kronrls fitted: the pairs are");
        spm_free(&P1t);
        kronrls_free(&k); /* a failed fit leaves k empty: the model goes first */
        /* shapes */
        CHECK(kronrls_fit(&k, &Y, &Kt, &Kd, sigma, &e) == CORE_EINVAL);
        CHECK_MSG(e, "kronrls: Y is");
        CHECK(kronrls_fit(&k, &Y, &Kd, &Kt, 0.0, &e) == CORE_EINVAL);
        CHECK_MSG(e, "kronrls: sigma must be positive, got 0");
        MAT_AT(&Kd, 0, 1) += 1e-9; /* an asymmetric kernel: an error, not one triangle read */
        CHECK(kronrls_fit(&k, &Y, &Kd, &Kt, sigma, &e) == CORE_EINVAL);
        CHECK_MSG(e, "kronrls: the row kernel is not symmetric");
        MAT_AT(&Kd, 0, 1) -= 1e-9;
        MAT_AT(&Kt, 1, 2) = NAN; /* a kernel with a NaN: an error, not NaN scores */
        CHECK(kronrls_fit(&k, &Y, &Kd, &Kt, sigma, &e) == CORE_EINVAL);
        CHECK_MSG(e, "kronrls: the kernels or Y have NaN or infinite entries");
        kronrls_free(&k);
        spm_free(&Y), spm_free(&P1), spm_free(&P2), spm_free(&F2);
        mat_release(&Kd), mat_release(&Kt), mat_release(&K), mat_release(&y), mat_release(&x), mat_release(&A);
        mat_release(&T), mat_release(&F), mat_release(&D), mat_release(&G);
    }
    { /* GIP: exp(-|y_i - y_j|^2 / mean |y|^2) */
        spm Y;
        mat K, D;
        size_t i, j, q, n = 6, m = 5;
        double mean = 0;
        synth(&Y, n, m, 12, 21);
        spm_to_dense(&D, &Y, 0, NULL);
        for (i = 0; i < n; i++)
            for (q = 0; q < m; q++)
                mean += MAT_AT(&D, i, q) * MAT_AT(&D, i, q) / (double)n;
        CHECK(gip_kernel(&K, &Y, 0.5, &e) == CORE_OK);
        for (i = 0; i < n; i++)
            for (j = 0; j < n; j++) {
                double d2 = 0;
                for (q = 0; q < m; q++)
                    d2 += (MAT_AT(&D, i, q) - MAT_AT(&D, j, q)) * (MAT_AT(&D, i, q) - MAT_AT(&D, j, q));
                CHECK_NEAR(MAT_AT(&K, i, j), exp(-0.5 / mean * d2), 1e-12);
            }
        mat_release(&K);
        CHECK(gip_kernel(&K, &Y, -1.0, &e) == CORE_EINVAL);
        spm_free(&Y), mat_release(&D);
    }
}

/* NRLMF without iterations keeps its start (normals / sqrt(factors), U's
 * rows first); with them, the log-likelihood's gradient shrinks and the
 * interacting pairs score above the others; shapes are checked */
static void test_nrlmf(void)
{
    size_t n = 12, m = 9, r = 3, i, q;
    spm Y;
    mat Sd, St, U, V, W;
    nrlmf_opts o;
    int64_t its;
    rng g;
    core_err e;
    double in = 0, out = 0;
    int64_t nin = 0, nout = 0;
    synth(&Y, n, m, 30, 31);
    for (i = 0; i < (size_t)SPM_NNZ(&Y); i++)
        Y.x[i] = 1;
    spd(&Sd, n, 3), spd(&St, m, 4);
    nrlmf_opts_default(&o);
    o.factors = (int64_t)r, o.iterations = 0, o.seed = 9;
    CHECK(nrlmf_fit(&U, &V, &its, &Y, &Sd, &St, &o, &e) == CORE_OK);
    CHECK(its == 0);
    rng_seed(&g, 9);
    mat_init(&W, n + m, r, NULL);
    rng_fill(&g, &W, 1, NULL);
    for (i = 0; i < n; i++)
        for (q = 0; q < r; q++)
            CHECK_NEAR(MAT_AT(&U, i, q), MAT_AT(&W, i, q) / sqrt((double)r), 1e-15);
    for (i = 0; i < m; i++)
        for (q = 0; q < r; q++)
            CHECK_NEAR(MAT_AT(&V, i, q), MAT_AT(&W, n + i, q) / sqrt((double)r), 1e-15);
    mat_release(&U), mat_release(&V);
    o.iterations = 200, o.theta = 0.5;
    CHECK(nrlmf_fit(&U, &V, &its, &Y, &Sd, &St, &o, &e) == CORE_OK);
    CHECK(its >= 1 && its <= 200);
    for (i = 0; i < n; i++)
        for (q = 0; q < m; q++) {
            double z = 0;
            size_t c;
            for (c = 0; c < r; c++)
                z += MAT_AT(&U, i, c) * MAT_AT(&V, q, c);
            if (spm_get(&Y, (int64_t)i, (int64_t)q) > 0)
                in += z, nin++;
            else
                out += z, nout++;
        }
    CHECK(in / (double)nin > out / (double)nout + 1.0);
    mat_release(&U), mat_release(&V);
    CHECK(nrlmf_fit(&U, &V, &its, &Y, &St, &Sd, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "nrlmf: Y is");
    MAT_AT(&Sd, 0, 3) = NAN;
    CHECK(nrlmf_fit(&U, &V, &its, &Y, &Sd, &St, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "nrlmf: the similarities or Y have NaN or infinite entries");
    CHECK(wnn_profiles(&U, &Y, &Sd, 0.7, &e) == CORE_EINVAL);
    CHECK_MSG(e, "wnn_profiles: the similarities or the profiles have NaN");
    Y.x[0] = INFINITY;
    CHECK(gip_kernel(&U, &Y, 1.0, &e) == CORE_EINVAL);
    CHECK_MSG(e, "gip_kernel: Y has NaN or infinite entries");
    MAT_AT(&Sd, 0, 3) = 0.5;
    o.factors = 0;
    CHECK(nrlmf_fit(&U, &V, &its, &Y, &Sd, &St, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "nrlmf: factors and theta must be positive");
    spm_free(&Y), mat_release(&Sd), mat_release(&St), mat_release(&W);
}

/* Every allocation failure of the relation models returns CORE_ENOMEM and
 * leaves nothing allocated */
static void test_relations_oom(void)
{
    spm Y, F;
    mat Kd, Kt, K, U, V, D;
    kronrls k;
    nrlmf_opts o;
    int64_t its;
    size_t base;
    int which;
    synth(&Y, 5, 8, 20, 41);
    spd(&Kd, 5, 1), spd(&Kt, 8, 2);
    nrlmf_opts_default(&o);
    o.iterations = 3;
    CHECK(kronrls_fit(&k, &Y, &Kd, &Kt, 1.0, NULL) == CORE_OK);
    base = core_mem_in_use();
    for (which = 0; which < 5; which++) {
        long n;
        for (n = 1; n < 200; n++) {
            kronrls k2;
            int rc;
            core_alloc_fail_after(n);
            switch (which) {
            case 0: rc = kronrls_fit(&k2, &Y, &Kd, &Kt, 1.0, NULL); break;
            case 1: rc = kronrls_fitted(&D, NULL, &k, NULL, NULL); break;
            case 2: rc = kronrls_fitted(NULL, &F, &k, &Y, NULL); break;
            case 3: rc = gip_kernel(&K, &Y, 1.0, NULL); break;
            default: rc = nrlmf_fit(&U, &V, &its, &Y, &Kd, &Kt, &o, NULL);
            }
            core_alloc_fail_after(0);
            if (rc == CORE_OK) {
                if (which == 0) kronrls_free(&k2);
                else if (which == 1) mat_release(&D);
                else if (which == 2) spm_free(&F);
                else if (which == 3) mat_release(&K);
                else mat_release(&U), mat_release(&V);
                break;
            }
            CHECK(rc == CORE_ENOMEM);
            CHECK(core_mem_in_use() == base);
        }
        CHECK(n > 1 && n < 200);
    }
    kronrls_free(&k);
    spm_free(&Y), mat_release(&Kd), mat_release(&Kt);
}

static void test_oom_sweep(void)
{
    spm R, tr, te;
    mat D, U, s, Vt, W, b;
    int64_t rmap[30], cmap[40], i;
    size_t base;
    svd_opts o;
    int which;
    synth(&R, 30, 40, 400, 6);
    spm_to_dense(&D, &R, 0, NULL);
    for (i = 0; i < 30; i++) rmap[i] = i;
    for (i = 0; i < 40; i++) cmap[i] = i % 3 ? i - i / 3 - 1 : -1;
    svd_opts_default(&o);
    base = core_mem_in_use();
    for (which = 0; which < 5; which++) {
        long n;
        for (n = 1; n < 200; n++) {
            int rc;
            core_alloc_fail_after(n);
            switch (which) {
            case 0: rc = rec_split(&tr, &te, &R, rmap, 30, cmap, 26, NULL, NULL); break;
            case 1: rc = svd_truncated(&U, &s, &Vt, &R, NULL, 4, &o, NULL); break;
            case 2: o.method = SVD_RANDOMIZED; rc = svd_truncated(&U, &s, &Vt, &R, NULL, 4, &o, NULL); break;
            case 3: /* block Lanczos: the float pass, blocks of 8, and blocks of 1 from a space of 18
                     * columns that grows to all 30 (a tolerance never met) */
                o.method = SVD_LANCZOS, o.single = 1, o.block = 8;
                rc = svd_truncated(&U, &s, &Vt, &R, NULL, 4, &o, NULL);
                if (rc == CORE_OK) {
                    mat_release(&U), mat_release(&s), mat_release(&Vt);
                    o.block = 1, o.tol = 1e-300;
                    rc = svd_truncated(&U, &s, &Vt, &R, NULL, 2, &o, NULL);
                }
                break;
            default: rc = ridge_fit(&W, &b, NULL, &D, &D, 1.0, 1, RIDGE_AUTO, NULL, NULL);
            }
            core_alloc_fail_after(0);
            if (rc == CORE_OK) {
                if (which == 0) spm_free(&tr), spm_free(&te);
                else if (which < 4) mat_release(&U), mat_release(&s), mat_release(&Vt);
                else mat_release(&W), mat_release(&b);
                break;
            }
            CHECK(rc == CORE_ENOMEM);
            CHECK(core_mem_in_use() == base);
        }
        CHECK(n < 200);
    }
    spm_free(&R);
    mat_release(&D);
}

int main(void)
{
    RUN(test_synthetic);
    RUN(test_split);
    RUN(test_bias_and_sample);
    RUN(test_sample_by_columns);
    RUN(test_implicit);
    RUN(test_svd);
    RUN(test_ridge);
    RUN(test_ials);
    RUN(test_relations);
    RUN(test_nrlmf);
    RUN(test_relations_oom);
    RUN(test_oom_sweep);
    return check_summary();
}
