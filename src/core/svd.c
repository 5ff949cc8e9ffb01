#include <math.h>
#include <string.h>
#include <arpack.h>
#include <cblas.h>
#include "alloc.h"
#include "rng.h"
#include "svd.h"

void svd_opts_default(svd_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = SVD_ARPACK;
    o->oversample = 10;
    o->power_iters = 4;
    o->want_vectors = 1;
}

typedef struct op {
    const spm *S;
    const mat *D;
    size_t rows, cols;
} op;

/* y (rows) = A x (cols) */
static void op_apply(const op *a, const double *x, double *y)
{
    if (a->S) {
        int64_t i;
        spm_ptr k;
        for (i = 0; i < a->S->rows; i++) {
            double t = 0;
            for (k = a->S->p[i]; k < a->S->p[i + 1]; k++)
                t += a->S->x[k] * x[a->S->j[k]];
            y[i] = t;
        }
    } else
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)a->rows, (int)a->cols, 1.0, a->D->x, (int)a->D->ld, x, 1,
                    0.0, y, 1);
}

/* y (cols) = A^T x (rows) */
static void op_applyT(const op *a, const double *x, double *y)
{
    if (a->S) {
        int64_t i;
        spm_ptr k;
        memset(y, 0, a->cols * sizeof *y);
        for (i = 0; i < a->S->rows; i++) {
            double xi = x[i];
            for (k = a->S->p[i]; k < a->S->p[i + 1]; k++)
                y[a->S->j[k]] += a->S->x[k] * xi;
        }
    } else
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)a->rows, (int)a->cols, 1.0, a->D->x, (int)a->D->ld, x, 1,
                    0.0, y, 1);
}

/* Y (rows x l) = A X (cols x l), row-major blocks */
static int op_block(const op *a, mat *Y, const mat *X, core_err *e)
{
    return a->S ? spm_mul_dense(Y, a->S, X, e) : mat_gemm(Y, a->D, X, e);
}

/* Y (cols x l) = A^T X (rows x l) */
static int op_blockT(const op *a, mat *Y, const mat *X, core_err *e)
{
    mat Xt, Z;
    int rc;
    if ((rc = mat_transpose(&Xt, X, e)))
        return rc;
    rc = a->S ? spm_dense_mul(&Z, &Xt, a->S, e) : mat_gemm(&Z, &Xt, a->D, e);
    mat_release(&Xt);
    if (rc)
        return rc;
    rc = mat_transpose(Y, &Z, e);
    mat_release(&Z);
    return rc;
}

/* Fills U, Vt from the right (or left) singular vectors in V (n x k,
 * column-major) and s: the other side is A V / s (or A^T U / s). */
static int finish_vectors(const op *a, mat *U, mat *Vt, const double *vecs, size_t n, size_t k, const double *s,
                          int gram_right, core_err *e)
{
    double *x = NULL, *y = NULL;
    size_t c, i, other = gram_right ? a->rows : a->cols;
    int rc;
    if ((rc = mat_init(U, a->rows, k, e)) || (rc = mat_init(Vt, k, a->cols, e)))
        return rc;
    y = core_malloc((other ? other : 1) * sizeof *y);
    if (!y)
        return core_err_nomem(e, "svd", (double)other * 8);
    for (c = 0; c < k; c++) {
        x = (double *)vecs + c * n;
        if (gram_right) {
            op_apply(a, x, y);
            for (i = 0; i < n; i++)
                MAT_AT(Vt, c, i) = x[i];
            for (i = 0; i < other; i++)
                MAT_AT(U, i, c) = s[c] > 0 ? y[i] / s[c] : 0.0;
        } else {
            op_applyT(a, x, y);
            for (i = 0; i < n; i++)
                MAT_AT(U, i, c) = x[i];
            for (i = 0; i < other; i++)
                MAT_AT(Vt, c, i) = s[c] > 0 ? y[i] / s[c] : 0.0;
        }
    }
    core_free(y);
    return CORE_OK;
}

static int svd_arpack(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    int gram_right = a->cols <= a->rows; /* eigen-decompose A^T A (cols x cols) */
    size_t n = gram_right ? a->cols : a->rows, m = gram_right ? a->rows : a->cols, i;
    int nev = (int)k, ncv, ido = 0, info = 0, lworkl, iparam[11], ipntr[14], *select = NULL;
    double *resid = NULL, *V = NULL, *workd = NULL, *workl = NULL, *d = NULL, *tmp = NULL, *sv = NULL;
    int rc = CORE_OK;
    size_t c;
    ncv = o->ncv > 0 ? o->ncv : (int)(2 * k + 1 > 20 ? 2 * k + 1 : 20);
    if ((size_t)ncv > n)
        ncv = (int)n;
    if (ncv <= nev)
        return core_err_set(e, CORE_EINVAL, "svd: k = %zu needs k < min(rows, cols) = %zu for the Krylov method", k, n);
    lworkl = ncv * (ncv + 8);
    resid = core_malloc(n * sizeof *resid);
    V = core_malloc(n * (size_t)ncv * sizeof *V);
    workd = core_malloc(3 * n * sizeof *workd);
    workl = core_malloc((size_t)lworkl * sizeof *workl);
    d = core_malloc((size_t)ncv * sizeof *d);
    tmp = core_malloc((m ? m : 1) * sizeof *tmp);
    select = core_malloc((size_t)ncv * sizeof *select);
    sv = core_malloc(k * sizeof *sv);
    if (!resid || !V || !workd || !workl || !d || !tmp || !select || !sv) {
        rc = core_err_nomem(e, "svd", (double)n * (double)(ncv + 4) * 8);
        goto done;
    }
    {
        rng g; /* a seeded start vector makes runs reproducible across ARPACK builds */
        rng_seed(&g, o->seed);
        for (i = 0; i < n; i++)
            resid[i] = rng_uniform(&g) - 0.5;
        info = 1;
    }
    memset(iparam, 0, sizeof iparam);
    iparam[0] = 1;
    iparam[2] = o->maxiter > 0 ? o->maxiter : (int)(n * 10 < 100000 ? n * 10 + 300 : 100000);
    iparam[6] = 1;
    for (;;) {
        dsaupd_c(&ido, "I", (int)n, "LA", nev, o->tol, resid, ncv, V, (int)n, iparam, ipntr, workd, workl, lworkl,
                 &info);
        if (ido != -1 && ido != 1)
            break;
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if (gram_right) {
            op_apply(a, workd + ipntr[0] - 1, tmp);
            op_applyT(a, tmp, workd + ipntr[1] - 1);
        } else {
            op_applyT(a, workd + ipntr[0] - 1, tmp);
            op_apply(a, tmp, workd + ipntr[1] - 1);
        }
    }
    if (info < 0) {
        rc = core_err_set(e, CORE_EINTERNAL, "svd: ARPACK dsaupd error %d", info);
        goto done;
    }
    if (info == 1) {
        rc = core_err_set(e, CORE_ENUMERIC, "svd: ARPACK did not converge in %d restarts (%d of %d values; raise maxiter or ncv)",
                          iparam[2], iparam[4], nev);
        goto done;
    }
    dseupd_c(o->want_vectors, "A", select, d, V, (int)n, 0.0, "I", (int)n, "LA", nev, o->tol, resid, ncv, V, (int)n,
             iparam, ipntr, workd, workl, lworkl, &info);
    if (info != 0) {
        rc = core_err_set(e, CORE_ENUMERIC, "svd: ARPACK dseupd error %d", info);
        goto done;
    }
    /* eigenvalues come ascending: reverse to descending singular values */
    for (c = 0; c < k; c++)
        sv[c] = sqrt(d[k - 1 - c] > 0 ? d[k - 1 - c] : 0.0);
    if ((rc = mat_init(s, k, 1, e)))
        goto done;
    memcpy(s->x, sv, k * sizeof *sv);
    if (o->want_vectors) {
        /* reverse the eigenvector columns to match */
        for (c = 0; c < k / 2; c++) {
            double *x = V + c * n, *y = V + (k - 1 - c) * n;
            for (i = 0; i < n; i++) {
                double t = x[i];
                x[i] = y[i];
                y[i] = t;
            }
        }
        rc = finish_vectors(a, U, Vt, V, n, k, sv, gram_right, e);
    }
done:
    core_free(resid);
    core_free(V);
    core_free(workd);
    core_free(workl);
    core_free(d);
    core_free(tmp);
    core_free(select);
    core_free(sv);
    return rc;
}

static int svd_randomized(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    size_t l = k + (size_t)(o->oversample > 0 ? o->oversample : 0), i, j;
    size_t mn = a->rows < a->cols ? a->rows : a->cols;
    mat Om, Y, Q, R, Z, B, Ub, Sb, Vb;
    rng g;
    int it, rc;
    if (l > mn)
        l = mn;
    memset(&Y, 0, sizeof Y);
    memset(&Q, 0, sizeof Q);
    if ((rc = mat_init(&Om, a->cols, l, e)))
        return rc;
    rng_seed(&g, o->seed);
    for (i = 0; i < a->cols; i++)
        for (j = 0; j < l; j++)
            MAT_AT(&Om, i, j) = rng_normal(&g);
    rc = op_block(a, &Y, &Om, e);
    mat_release(&Om);
    if (rc)
        return rc;
    /* power iterations, re-orthonormalised each half step for stability */
    for (it = 0; it <= o->power_iters; it++) {
        rc = mat_qr(&Q, &R, &Y, e);
        mat_release(&Y);
        mat_release(&R);
        if (rc)
            return rc;
        if (it == o->power_iters)
            break;
        if (core_interrupted()) {
            mat_release(&Q);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        rc = op_blockT(a, &Z, &Q, e);
        mat_release(&Q);
        if (rc)
            return rc;
        rc = mat_qr(&Q, &R, &Z, e);
        mat_release(&Z);
        mat_release(&R);
        if (rc)
            return rc;
        rc = op_block(a, &Y, &Q, e);
        mat_release(&Q);
        if (rc)
            return rc;
    }
    /* B = Q^T A = (A^T Q)^T, then the small SVD */
    if ((rc = op_blockT(a, &Z, &Q, e))) {
        mat_release(&Q);
        return rc;
    }
    rc = mat_transpose(&B, &Z, e);
    mat_release(&Z);
    if (rc) {
        mat_release(&Q);
        return rc;
    }
    rc = mat_svd(&Ub, &Sb, &Vb, &B, 0, e);
    mat_release(&B);
    if (rc) {
        mat_release(&Q);
        return rc;
    }
    {
        mat Ubk, Vbk, Sk;
        mat_view(&Ubk, &Ub, 0, 0, Ub.rows, k);
        mat_view(&Vbk, &Vb, 0, 0, k, Vb.cols);
        mat_view(&Sk, &Sb, 0, 0, k, 1);
        rc = mat_copy(s, &Sk, e);
        if (!rc && o->want_vectors) {
            rc = mat_gemm(U, &Q, &Ubk, e);
            if (!rc)
                rc = mat_copy(Vt, &Vbk, e);
        }
        mat_release(&Ubk);
        mat_release(&Vbk);
        mat_release(&Sk);
    }
    mat_release(&Q);
    mat_release(&Ub);
    mat_release(&Sb);
    mat_release(&Vb);
    return rc;
}

int svd_truncated(mat *U, mat *s, mat *Vt, const spm *S, const mat *D, size_t k, const svd_opts *o, core_err *e)
{
    op a;
    size_t mn;
    int rc;
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
    if (a.rows > 0x7fffffffu || a.cols > 0x7fffffffu || (D && D->ld > 0x7fffffffu))
        return core_err_set(e, CORE_ETOOBIG, "svd: %zux%zu exceeds BLAS int limits", a.rows, a.cols);
    rc = o->method == SVD_RANDOMIZED ? svd_randomized(U, s, Vt, &a, k, o, e) : svd_arpack(U, s, Vt, &a, k, o, e);
    if (rc) {
        mat_release(U);
        mat_release(s);
        mat_release(Vt);
    }
    return rc;
}
