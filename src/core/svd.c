/* The truncated SVD's entry point: checks, then the chosen method. */
#include <math.h>
#include <string.h>
#include "svd_impl.h"

void svd_opts_default(svd_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = SVD_METHOD_AUTO;
    o->oversample = 10;
    o->power_iters = 5;
    o->want_vectors = 1;
    o->single = SVD_AUTO;
}

static int all_zero(const spm *S, const mat *D)
{
    size_t i, j, n = S ? (size_t)SPM_NNZ(S) : 0;
    for (i = 0; i < n; i++)
        if (S->x[i] != 0.0)
            return 0;
    if (D)
        for (i = 0; i < D->rows; i++)
            for (j = 0; j < D->cols; j++)
                if (MAT_AT(D, i, j) != 0.0)
                    return 0;
    return 1;
}

/* A zero matrix's truncated SVD: k zero values, and for vectors the first
 * k unit vectors on either side (any orthonormal columns are singular
 * vectors of the zero matrix) */
static int zero_svd(mat *U, mat *s, mat *Vt, size_t rows, size_t cols, size_t k, int want_vectors, core_err *e)
{
    size_t c;
    int rc;
    if ((rc = mat_init(s, k, 1, e)))
        return rc;
    if (want_vectors) {
        if ((rc = mat_init(U, rows, k, e)) || (rc = mat_init(Vt, k, cols, e))) {
            mat_release(U), mat_release(s), mat_release(Vt);
            return rc;
        }
        for (c = 0; c < k; c++)
            MAT_AT(U, c, c) = 1.0, MAT_AT(Vt, c, c) = 1.0;
    }
    return CORE_OK;
}

int svd_truncated(mat *U, mat *s, mat *Vt, const spm *S, const mat *D, size_t k, const svd_opts *o, core_err *e)
{
    op a;
    size_t mn;
    int rc, method;
    memset(U, 0, sizeof *U);
    memset(s, 0, sizeof *s);
    memset(Vt, 0, sizeof *Vt);
    a.S = S;
    a.D = D;
    a.rows = S ? (size_t)S->rows : D->rows;
    a.cols = S ? (size_t)S->cols : D->cols;
    mn = a.rows < a.cols ? a.rows : a.cols;
    if (k == 0 || k >= mn)
        return core_err_set(e, CORE_EINVAL, "svd: k must be between 1 and min(rows, cols) - 1 = %zu, got %zu",
                            mn ? mn - 1 : 0, k);
    if (o->power_iters > SVD_MAX_POWER)
        return core_err_set(e, CORE_EINVAL, "svd: power_iters must be at most %d, got %d", SVD_MAX_POWER,
                            o->power_iters);
    if (a.rows > 0x7fffffffu || a.cols > 0x7fffffffu || (D && D->ld > 0x7fffffffu))
        return core_err_set(e, CORE_ETOOBIG, "svd: %zux%zu exceeds BLAS int limits", a.rows, a.cols);
    /* a NaN or infinity poisons every Krylov vector: ARPACK's error would not say why */
    if ((D && !mat_all_finite(D)) || (S && !spm_all_finite(S)))
        return core_err_set(e, CORE_EINVAL, "svd: the input has NaN or infinite entries");
    if (all_zero(S, D)) /* every Krylov vector vanishes, and ARPACK stops with error -9 */
        return zero_svd(U, s, Vt, a.rows, a.cols, k, o->want_vectors, e);
    memset(&a.T, 0, sizeof a.T);
    if (S && (rc = spm_transpose(&a.T, S, e)))
        return rc;
    method = o->method;
    /* block Lanczos where the passes over the matrix or ARPACK's vector-at-a-time
     * orthogonalisation (memory-bound on long vectors) dominate; ARPACK on small
     * problems, where the block method's orthogonalisation does, and for a caller
     * who tunes ARPACK (ncv, maxiter) */
    if (method == SVD_METHOD_AUTO)
        method = S && (SPM_NNZ(S) >= SVD_SINGLE_NNZ || mn >= SVD_LANCZOS_SIDE) && o->ncv == 0 && o->maxiter == 0
                     ? SVD_LANCZOS
                     : SVD_ARPACK;
    rc = method == SVD_RANDOMIZED ? svd_randomized(U, s, Vt, &a, k, o, e)
         : method == SVD_LANCZOS  ? svd_lanczos(U, s, Vt, &a, k, o, e)
                                  : svd_arpack(U, s, Vt, &a, k, o, e);
    spm_free(&a.T);
    if (rc) {
        mat_release(U);
        mat_release(s);
        mat_release(Vt);
    }
    return rc;
}
