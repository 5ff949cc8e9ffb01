#include <stdlib.h>
#include "check.h"
#include "alloc.h"
#include "ials.h"
#include "rec.h"
#include "ridge.h"
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
    RUN(test_oom_sweep);
    return check_summary();
}
