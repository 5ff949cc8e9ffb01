#include <math.h>
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "ridge.h"

typedef struct xop {
    const spm *S;
    const mat *D;
    size_t n, f;
} xop;

/* out (f x k) = X^T M (M: n x k) */
static int xt_mul(const xop *x, mat *out, const mat *M, core_err *e)
{
    int rc;
    size_t i;
    spm_ptr t;
    if (x->D) {
        mat Xt;
        if ((rc = mat_transpose(&Xt, x->D, e)))
            return rc;
        rc = mat_gemm(out, &Xt, M, e);
        mat_release(&Xt);
        return rc;
    }
    if ((rc = mat_init(out, x->f, M->cols, e)))
        return rc;
    for (i = 0; i < x->n; i++)
        for (t = x->S->p[i]; t < x->S->p[i + 1]; t++)
            if ((rc = blas_axpy("ridge: X^T M", M->cols, x->S->x[t], M->x + i * M->ld,
                                out->x + (size_t)x->S->j[t] * out->ld, e))) {
                mat_release(out);
                return rc;
            }
    return CORE_OK;
}

/* out (n x k) = X V (V: f x k) */
static int x_mul(const xop *x, mat *out, const mat *V, core_err *e)
{
    return x->D ? mat_gemm(out, x->D, V, e) : spm_mul_dense(out, x->S, V, e);
}

static int column_means(const xop *x, double *mx)
{
    size_t i, j;
    spm_ptr t;
    memset(mx, 0, x->f * sizeof *mx);
    if (x->D) {
        for (i = 0; i < x->n; i++)
            for (j = 0; j < x->f; j++)
                mx[j] += MAT_AT(x->D, i, j);
    } else
        for (i = 0; i < x->n; i++)
            for (t = x->S->p[i]; t < x->S->p[i + 1]; t++)
                mx[x->S->j[t]] += x->S->x[t];
    for (j = 0; j < x->f; j++)
        mx[j] /= (double)x->n;
    return CORE_OK;
}

static int fit_cholesky(const xop *x, mat *W, const mat *rhs, const double *mx, double alpha, int intercept,
                        core_err *e)
{
    mat G, L;
    size_t i, j, f = x->f;
    spm_ptr a, c;
    int rc;
    if ((rc = mat_init(&G, f, f, e)))
        return rc;
    if (x->D) {
        mat Xt, P;
        if ((rc = mat_transpose(&Xt, x->D, e))) {
            mat_release(&G);
            return rc;
        }
        rc = mat_gemm(&P, &Xt, x->D, e);
        mat_release(&Xt);
        if (rc) {
            mat_release(&G);
            return rc;
        }
        mat_assign(&G, &P);
        mat_release(&P);
    } else
        for (i = 0; i < x->n; i++)
            for (a = x->S->p[i]; a < x->S->p[i + 1]; a++)
                for (c = x->S->p[i]; c < x->S->p[i + 1]; c++)
                    MAT_AT(&G, x->S->j[a], x->S->j[c]) += x->S->x[a] * x->S->x[c];
    for (i = 0; i < f; i++) {
        if (intercept)
            for (j = 0; j < f; j++)
                MAT_AT(&G, i, j) -= (double)x->n * mx[i] * mx[j];
        MAT_AT(&G, i, i) += alpha;
    }
    rc = mat_cholesky(&L, &G, e);
    mat_release(&G);
    if (rc) {
        if (rc == CORE_ENUMERIC)
            rc = core_err_set(e, CORE_ENUMERIC, "ridge: X^T X + alpha I is not positive definite (alpha %g too small?)",
                              alpha);
        return rc;
    }
    /* W = L^-T L^-1 rhs */
    if ((rc = mat_copy(W, rhs, e))) {
        mat_release(&L);
        return rc;
    }
    if ((rc = blas_trsm_lower("ridge", BLAS_N, f, W->cols, L.x, L.ld, W->x, W->ld, e)) ||
        (rc = blas_trsm_lower("ridge", BLAS_T, f, W->cols, L.x, L.ld, W->x, W->ld, e)))
        mat_release(W);
    mat_release(&L);
    return rc;
}

/* A V = Xc^T Xc V + alpha V, Xc = X - 1 mx (centred when intercept) */
static int apply_normal(const xop *x, mat *out, const mat *V, const double *mx, double alpha, int intercept,
                        core_err *e)
{
    mat XV;
    size_t i, j;
    int rc = x_mul(x, &XV, V, e);
    if (rc)
        return rc;
    if (intercept) { /* XcV = XV - 1 (mx V); then Xc^T XcV = X^T XcV - mx^T (1^T XcV), and 1^T XcV = 0 */
        for (j = 0; j < V->cols; j++) {
            double m = 0;
            for (i = 0; i < x->f; i++)
                m += mx[i] * MAT_AT(V, i, j);
            for (i = 0; i < x->n; i++)
                MAT_AT(&XV, i, j) -= m;
        }
    }
    rc = xt_mul(x, out, &XV, e);
    mat_release(&XV);
    if (rc)
        return rc;
    for (i = 0; i < x->f; i++)
        for (j = 0; j < V->cols; j++)
            MAT_AT(out, i, j) += alpha * MAT_AT(V, i, j);
    return CORE_OK;
}

/* Conjugate gradients on each output column in lockstep. */
static int fit_cg(const xop *x, mat *W, const mat *rhs, const double *mx, double alpha, int intercept, int *iters,
                  core_err *e)
{
    size_t f = x->f, k = rhs->cols, i, j;
    mat R, P, AP;
    double *rr = NULL, *rr0 = NULL;
    int it, maxit = (int)(f < 2000 ? 2 * f + 10 : 4000), rc;
    memset(&R, 0, sizeof R);
    memset(&P, 0, sizeof P);
    if ((rc = mat_init(W, f, k, e)) || (rc = mat_copy(&R, rhs, e)) || (rc = mat_copy(&P, rhs, e)))
        goto done;
    rr = core_calloc(2 * (k ? k : 1), sizeof *rr);
    if (!rr) {
        rc = core_err_nomem(e, "ridge", (double)k * 16);
        goto done;
    }
    rr0 = rr + k;
    for (j = 0; j < k; j++) {
        for (i = 0; i < f; i++)
            rr[j] += MAT_AT(&R, i, j) * MAT_AT(&R, i, j);
        rr0[j] = rr[j];
    }
    for (it = 0; it < maxit; it++) {
        int active = 0;
        for (j = 0; j < k; j++)
            if (rr[j] > 1e-24 * rr0[j] && rr[j] > 0)
                active = 1;
        if (!active)
            break;
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if ((rc = apply_normal(x, &AP, &P, mx, alpha, intercept, e)))
            goto done;
        for (j = 0; j < k; j++) {
            double pap = 0, a, nrr = 0;
            if (!(rr[j] > 1e-24 * rr0[j] && rr[j] > 0))
                continue;
            for (i = 0; i < f; i++)
                pap += MAT_AT(&P, i, j) * MAT_AT(&AP, i, j);
            a = rr[j] / pap;
            for (i = 0; i < f; i++) {
                MAT_AT(W, i, j) += a * MAT_AT(&P, i, j);
                MAT_AT(&R, i, j) -= a * MAT_AT(&AP, i, j);
                nrr += MAT_AT(&R, i, j) * MAT_AT(&R, i, j);
            }
            for (i = 0; i < f; i++)
                MAT_AT(&P, i, j) = MAT_AT(&R, i, j) + nrr / rr[j] * MAT_AT(&P, i, j);
            rr[j] = nrr;
        }
        mat_release(&AP);
    }
    *iters = it;
done:
    core_free(rr);
    mat_release(&R);
    mat_release(&P);
    if (rc)
        mat_release(W);
    return rc;
}

int ridge_fit(mat *W, mat *b, const spm *XS, const mat *XD, const mat *Y, double alpha, int intercept, int method,
              ridge_info *info, core_err *e)
{
    xop x;
    double *mx = NULL;
    mat my, rhs, Yc;
    size_t i, j;
    int rc, iters = 0;
    char s2[48];
    memset(W, 0, sizeof *W);
    memset(b, 0, sizeof *b);
    x.S = XS, x.D = XD;
    x.n = XS ? (size_t)XS->rows : XD->rows;
    x.f = XS ? (size_t)XS->cols : XD->cols;
    if (x.n != Y->rows)
        return core_err_set(e, CORE_EINVAL, "ridge: X has %zu rows, Y is %s", x.n, mat_shape_str(Y, s2, sizeof s2));
    if (x.n == 0)
        return core_err_set(e, CORE_EINVAL, "ridge: no training rows");
    if (!(alpha >= 0))
        return core_err_set(e, CORE_EINVAL, "ridge: alpha must be >= 0, got %g", alpha);
    if (method == RIDGE_AUTO)
        method = x.f <= RIDGE_CHOLESKY_MAX_FEATURES ? RIDGE_CHOLESKY : RIDGE_CG;
    if (info) {
        info->method = method;
        info->iterations = 0;
    }
    mx = core_calloc(x.f ? x.f : 1, sizeof *mx);
    if (!mx)
        return core_err_nomem(e, "ridge", (double)x.f * 8);
    if (intercept)
        column_means(&x, mx);
    if ((rc = mat_reduce(&my, Y, MAT_MEAN, 1, e))) {
        core_free(mx);
        return rc;
    }
    if (!intercept)
        mat_fill(&my, 0.0);
    /* rhs = Xc^T Yc = X^T Yc (the columns of Yc sum to zero) */
    if ((rc = mat_binop(&Yc, Y, &my, MAT_SUB, "ridge", e)))
        goto done;
    rc = xt_mul(&x, &rhs, &Yc, e);
    mat_release(&Yc);
    if (rc)
        goto done;
    rc = method == RIDGE_CG ? fit_cg(&x, W, &rhs, mx, alpha, intercept, &iters, e)
                            : fit_cholesky(&x, W, &rhs, mx, alpha, intercept, e);
    if (info)
        info->iterations = iters;
    mat_release(&rhs);
    if (rc)
        goto done;
    /* b = my - mx W */
    if ((rc = mat_copy(b, &my, e)))
        goto done;
    for (j = 0; j < W->cols; j++) {
        double t = 0;
        for (i = 0; i < x.f; i++)
            t += mx[i] * MAT_AT(W, i, j);
        b->x[j] -= t;
    }
done:
    core_free(mx);
    mat_release(&my);
    if (rc) {
        mat_release(W);
        mat_release(b);
    }
    return rc;
}
