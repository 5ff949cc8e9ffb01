#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "alloc.h"
#include "rng.h"
#include "spm.h"

/* Random sparse matrix (with duplicates summed) and its dense twin (D NULL: none). */
static void rand_spm(spm *A, mat *D, int64_t rows, int64_t cols, int64_t n, uint32_t seed)
{
    rng g;
    int64_t k;
    spm_idx *I = core_malloc((size_t)n * sizeof *I), *J = core_malloc((size_t)n * sizeof *J);
    double *X = core_malloc((size_t)n * sizeof *X);
    rng_seed(&g, seed);
    if (D)
        mat_init(D, (size_t)rows, (size_t)cols, NULL);
    for (k = 0; k < n; k++) {
        I[k] = (spm_idx)rng_interval(&g, (uint64_t)rows - 1);
        J[k] = (spm_idx)rng_interval(&g, (uint64_t)cols - 1);
        X[k] = rng_normal(&g);
        if (D)
            MAT_AT(D, I[k], J[k]) += X[k];
    }
    spm_from_triplets_owned(A, rows, cols, &I, &J, &X, n, SPM_DUP_SUM, NULL);
}

static double maxdiff(const mat *a, const mat *b)
{
    size_t i, j;
    double m = 0;
    for (i = 0; i < a->rows; i++)
        for (j = 0; j < a->cols; j++)
            if (fabs(MAT_AT(a, i, j) - MAT_AT(b, i, j)) > m)
                m = fabs(MAT_AT(a, i, j) - MAT_AT(b, i, j));
    return m;
}

static int sorted_unique(const spm *A)
{
    int64_t i;
    spm_ptr k;
    for (i = 0; i < A->rows; i++)
        for (k = A->p[i] + 1; k < A->p[i + 1]; k++)
            if (A->j[k - 1] >= A->j[k])
                return 0;
    return 1;
}

static void test_triplets(void)
{
    spm A;
    mat D, T;
    core_err e;
    spm_idx *I = core_malloc(4 * sizeof *I), *J = core_malloc(4 * sizeof *J);
    double *X = core_malloc(4 * sizeof *X);
    I[0] = 1, J[0] = 2, X[0] = 1;
    I[1] = 0, J[1] = 1, X[1] = 2;
    I[2] = 1, J[2] = 2, X[2] = 3;
    I[3] = 1, J[3] = 0, X[3] = 4;
    CHECK(spm_from_triplets_owned(&A, 2, 3, &I, &J, &X, 4, SPM_DUP_SUM, NULL) == CORE_OK);
    CHECK(I == NULL && J == NULL && X == NULL);
    CHECK(SPM_NNZ(&A) == 3 && A.p[1] == 1 && A.j[1] == 0 && A.x[2] == 4);
    spm_free(&A);
    I = core_malloc(2 * sizeof *I), J = core_malloc(2 * sizeof *J), X = core_malloc(2 * sizeof *X);
    I[0] = 1, J[0] = 2, X[0] = 1;
    I[1] = 1, J[1] = 2, X[1] = 3;
    CHECK(spm_from_triplets_owned(&A, 2, 3, &I, &J, &X, 2, SPM_DUP_ERROR, &e) == CORE_EINVAL);
    CHECK_MSG(e, "duplicate entry at (2, 3)");
    CHECK(e.at[0] == 1 && e.at[1] == 2); /* the duplicate's place travels in the error, not in a global */
    CHECK(I == NULL && A.p == NULL);
    /* mean: three copies and two copies, at a row's end and start, next to single entries */
    I = core_malloc(7 * sizeof *I), J = core_malloc(7 * sizeof *J), X = core_malloc(7 * sizeof *X);
    I[0] = 0, J[0] = 2, X[0] = 1;
    I[1] = 0, J[1] = 2, X[1] = 2;
    I[2] = 1, J[2] = 0, X[2] = 5;
    I[3] = 0, J[3] = 2, X[3] = 6;
    I[4] = 0, J[4] = 0, X[4] = 7;
    I[5] = 1, J[5] = 0, X[5] = 1;
    I[6] = 1, J[6] = 1, X[6] = 8;
    CHECK(spm_from_triplets_owned(&A, 2, 3, &I, &J, &X, 7, SPM_DUP_MEAN, &e) == CORE_OK);
    CHECK(SPM_NNZ(&A) == 4 && A.p[1] == 2);
    CHECK(spm_get(&A, 0, 0) == 7 && spm_get(&A, 0, 2) == 3 && spm_get(&A, 1, 0) == 3 && spm_get(&A, 1, 1) == 8);
    spm_free(&A);
    I = core_malloc(sizeof *I), J = core_malloc(sizeof *J), X = core_malloc(sizeof *X);
    I[0] = 2, J[0] = 0, X[0] = 1;
    CHECK(spm_from_triplets_owned(&A, 2, 3, &I, &J, &X, 1, SPM_DUP_SUM, &e) == CORE_EINVAL);
    CHECK(e.at[0] == -1 && e.at[1] == -1);
    CHECK_MSG(e, "index (3, 1) out of range for 2x3");
    /* larger: long unsorted rows go through the heap sort */
    rand_spm(&A, &D, 40, 300, 5000, 1);
    CHECK(sorted_unique(&A));
    CHECK(spm_to_dense(&T, &A, 0, NULL) == CORE_OK);
    CHECK(maxdiff(&T, &D) < 1e-12);
    mat_release(&T);
    CHECK(spm_to_dense(&T, &A, 1000, &e) == CORE_ETOOBIG);
    CHECK_MSG(e, "a 40x300 matrix needs 93.8 KiB, over the limit of 1000 bytes");
    spm_free(&A);
    mat_release(&D);
}

static void test_dense_transpose(void)
{
    spm A, B, C;
    mat D, T, Dt;
    rand_spm(&A, &D, 30, 20, 200, 2);
    CHECK(spm_from_dense(&B, &D, 0, NULL) == CORE_OK);
    CHECK(SPM_NNZ(&B) == SPM_NNZ(&A));
    CHECK(spm_transpose(&C, &A, NULL) == CORE_OK && C.rows == 20 && C.cols == 30 && sorted_unique(&C));
    spm_to_dense(&T, &C, 0, NULL);
    mat_transpose(&Dt, &D, NULL);
    CHECK(maxdiff(&T, &Dt) == 0);
    spm_free(&A);
    spm_free(&B);
    spm_free(&C);
    mat_release(&D);
    mat_release(&T);
    mat_release(&Dt);
}

/* spm_first_col against a linear scan: every row, every column from -1 to
 * one past the last, from the row's start and from inside it; spm_find
 * (built on it) at the stored position or -1 */
static void test_first_col(void)
{
    spm A;
    mat D;
    int64_t i, c;
    int ok = 1;
    rand_spm(&A, &D, 30, 20, 200, 5);
    for (i = 0; i < A.rows; i++)
        for (c = -1; c <= A.cols; c++) {
            spm_ptr p0, want;
            for (p0 = A.p[i]; p0 <= A.p[i + 1]; p0++) {
                for (want = p0; want < A.p[i + 1] && A.j[want] < c; want++)
                    ;
                ok &= spm_first_col(&A, p0, A.p[i + 1], c) == want;
            }
            if (c >= 0 && c < A.cols) {
                int64_t at = -1;
                spm_ptr q;
                for (q = A.p[i]; q < A.p[i + 1]; q++)
                    at = A.j[q] == c ? q : at;
                ok &= spm_find(&A, i, c) == at;
            }
        }
    CHECK(ok);
    spm_free(&A);
    mat_release(&D);
}

/* Large enough for the parallel counting sort (100,000 entries and up, on
 * every thread), and wide (more columns than entries: one thread): the
 * transpose of the transpose is the matrix, each row in column order */
static void test_transpose_threads(void)
{
    int64_t sizes[2][3] = {{400, 3000, 400000}, {50, 2000000, 30000}};
    int c;
    for (c = 0; c < 2; c++) {
        spm A, T, TT;
        int64_t rows = sizes[c][0], cols = sizes[c][1];
        rand_spm(&A, NULL, rows, cols, sizes[c][2], 5);
        CHECK(spm_transpose(&T, &A, NULL) == CORE_OK && T.rows == cols && T.cols == rows && sorted_unique(&T));
        CHECK(spm_transpose(&TT, &T, NULL) == CORE_OK && SPM_NNZ(&TT) == SPM_NNZ(&A));
        CHECK(memcmp(TT.p, A.p, (size_t)(rows + 1) * sizeof *A.p) == 0);
        CHECK(memcmp(TT.j, A.j, (size_t)SPM_NNZ(&A) * sizeof *A.j) == 0);
        CHECK(memcmp(TT.x, A.x, (size_t)SPM_NNZ(&A) * sizeof *A.x) == 0);
        spm_free(&A), spm_free(&T), spm_free(&TT);
    }
}

static void test_select_stack(void)
{
    spm A, S, H, parts[2];
    mat D, T;
    size_t ri[] = {3, 0, 3}, ci[] = {5, 5, 1, 19};
    core_err e;
    size_t a, b;
    rand_spm(&A, &D, 10, 20, 80, 3);
    CHECK(spm_select_rows(&S, &A, ri, 3, NULL) == CORE_OK);
    spm_to_dense(&T, &S, 0, NULL);
    for (a = 0; a < 3; a++)
        for (b = 0; b < 20; b++)
            CHECK(MAT_AT(&T, a, b) == MAT_AT(&D, ri[a], b));
    mat_release(&T);
    spm_free(&S);
    CHECK(spm_select_cols(&S, &A, ci, 4, NULL) == CORE_OK && S.cols == 4 && sorted_unique(&S));
    spm_to_dense(&T, &S, 0, NULL);
    for (a = 0; a < 10; a++)
        for (b = 0; b < 4; b++)
            CHECK(MAT_AT(&T, a, b) == MAT_AT(&D, a, ci[b]));
    mat_release(&T);
    spm_free(&S);
    ci[0] = 20;
    CHECK(spm_select_cols(&S, &A, ci, 4, &e) == CORE_EINVAL);
    CHECK_MSG(e, "column index 21 out of range for a 10x20 sparse matrix");
    parts[0] = A, parts[1] = A;
    CHECK(spm_stack(&H, parts, 2, 1, NULL) == CORE_OK && H.cols == 40 && sorted_unique(&H));
    spm_to_dense(&T, &H, 0, NULL);
    CHECK(MAT_AT(&T, 4, 27) == MAT_AT(&D, 4, 7));
    mat_release(&T);
    spm_free(&H);
    CHECK(spm_stack(&H, parts, 2, 0, NULL) == CORE_OK && H.rows == 20);
    spm_to_dense(&T, &H, 0, NULL);
    CHECK(MAT_AT(&T, 14, 7) == MAT_AT(&D, 4, 7));
    mat_release(&T);
    spm_free(&H);
    spm_free(&A);
    mat_release(&D);
}

static void test_reduce(void)
{
    spm A;
    mat D, s, c, m;
    size_t i, j;
    rand_spm(&A, &D, 15, 12, 60, 4);
    CHECK(spm_reduce(&s, &A, SPM_SUM, 2, NULL) == CORE_OK && s.rows == 15 && s.cols == 1);
    CHECK(spm_reduce(&c, &A, SPM_COUNT, 1, NULL) == CORE_OK && c.rows == 1 && c.cols == 12);
    CHECK(spm_reduce(&m, &A, SPM_MEAN, 2, NULL) == CORE_OK);
    for (i = 0; i < 15; i++) {
        double t = 0;
        int64_t n = A.p[i + 1] - A.p[i];
        for (j = 0; j < 12; j++)
            t += MAT_AT(&D, i, j);
        CHECK_NEAR(s.x[i], t, 1e-12);
        CHECK_NEAR(m.x[i], n ? t / (double)n : 0.0, 1e-12);
    }
    for (j = 0; j < 12; j++) {
        double n = 0;
        for (i = 0; i < 15; i++)
            n += spm_get(&A, (int64_t)i, (int64_t)j) != 0;
        CHECK(c.x[j] == n);
    }
    mat_release(&s);
    mat_release(&c);
    mat_release(&m);
    spm_free(&A);
    mat_release(&D);
}

static void test_products(void)
{
    spm A, P, S;
    mat D, B, C, W, O;
    rng g;
    size_t i;
    int64_t r;
    spm_ptr k;
    core_err e;
    rand_spm(&A, &D, 25, 18, 120, 5);
    rng_seed(&g, 6);
    mat_init(&B, 18, 7, NULL);
    for (i = 0; i < 18 * 7; i++)
        B.x[i] = rng_normal(&g);
    CHECK(spm_mul_dense(&O, &A, &B, NULL) == CORE_OK);
    mat_gemm(&W, &D, &B, NULL);
    CHECK(maxdiff(&O, &W) < 1e-12);
    mat_release(&O);
    mat_release(&W);
    CHECK(spm_mul_dense(&O, &A, &D, &e) == CORE_EINVAL);
    CHECK_MSG(e, "sparse * matrix: 25x18 and 25x18 do not conform");
    mat_init(&C, 4, 25, NULL);
    for (i = 0; i < 4 * 25; i++)
        C.x[i] = rng_normal(&g);
    CHECK(spm_dense_mul(&O, &C, &A, NULL) == CORE_OK);
    mat_gemm(&W, &C, &D, NULL);
    CHECK(maxdiff(&O, &W) < 1e-12);
    mat_release(&O);
    mat_release(&W);
    /* sampled product equals the full product at the pattern */
    rand_spm(&P, &W, 4, 7, 10, 7);
    mat_release(&W);
    {
        mat X, Y, full;
        mat_init(&X, 4, 18, NULL);
        for (i = 0; i < 4 * 18; i++)
            X.x[i] = rng_normal(&g);
        mat_copy(&Y, &B, NULL);
        CHECK(spm_sample(&S, &X, &Y, &P, NULL) == CORE_OK);
        mat_gemm(&full, &X, &Y, NULL);
        CHECK(SPM_NNZ(&S) == SPM_NNZ(&P));
        for (r = 0; r < 4; r++)
            for (k = S.p[r]; k < S.p[r + 1]; k++)
                CHECK_NEAR(S.x[k], MAT_AT(&full, r, S.j[k]), 1e-12);
        spm_free(&S);
        CHECK(spm_sample(&S, &X, &X, &P, &e) == CORE_EINVAL);
        CHECK_MSG(e, "sample: 4x18 * 4x18 does not conform to pattern 4x7");
        mat_release(&X);
        mat_release(&Y);
        mat_release(&full);
    }
    spm_free(&P);
    spm_free(&A);
    mat_release(&D);
    mat_release(&B);
    mat_release(&C);
}

static void test_labels(void)
{
    const char *s[] = {"u10", "7", "abc"};
    size_t len[] = {3, 1, 3}, idx[] = {2, 0};
    spm_labels *l = spm_labels_new(3, s, len, NULL), *sel;
    CHECK(l && l->n == 3 && strcmp(spm_label(l, 1), "7") == 0);
    CHECK(spm_labels_find(l, "abc", 3, NULL) == 2);
    CHECK(spm_labels_find(l, "ab", 2, NULL) == -1);
    CHECK(spm_labels_find(l, "u10x", 3, NULL) == 0);
    /* a query with a NUL inside names no label, and is not compared past
     * the end of the shorter label "7" */
    CHECK(spm_labels_find(l, "7\0\0\0O", 5, NULL) == -1);
    CHECK(spm_labels_find(l, "abc\0", 4, NULL) == -1);
    sel = spm_labels_select(l, idx, 2, NULL);
    CHECK(sel && strcmp(spm_label(sel, 0), "abc") == 0 && strcmp(spm_label(sel, 1), "u10") == 0);
    spm_labels_release(sel);
    spm_labels_release(l);
}

static void test_oom_sweep(void)
{
    spm A, B;
    mat D;
    size_t base, idx[] = {1, 2};
    int which;
    rand_spm(&A, &D, 10, 8, 30, 8);
    A.rlab = spm_labels_new(0, NULL, NULL, NULL);
    base = core_mem_in_use();
    for (which = 0; which < 4; which++) {
        long n;
        for (n = 1; n < 100; n++) {
            int rc;
            core_alloc_fail_after(n);
            switch (which) {
            case 0: rc = spm_transpose(&B, &A, NULL); break;
            case 1: rc = spm_select_cols(&B, &A, idx, 2, NULL); break;
            case 2: rc = spm_copy(&B, &A, NULL); break;
            default: rc = spm_from_dense(&B, &D, 0, NULL);
            }
            core_alloc_fail_after(0);
            if (rc == CORE_OK) {
                spm_free(&B);
                break;
            }
            CHECK(rc == CORE_ENOMEM);
            CHECK(core_mem_in_use() == base);
        }
    }
    spm_free(&A);
    mat_release(&D);
}

int main(void)
{
    RUN(test_triplets);
    RUN(test_dense_transpose);
    RUN(test_first_col);
    RUN(test_transpose_threads);
    RUN(test_select_stack);
    RUN(test_reduce);
    RUN(test_products);
    RUN(test_labels);
    RUN(test_oom_sweep);
    return check_summary();
}
