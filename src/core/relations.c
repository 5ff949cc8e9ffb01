/* KronRLS and NRLMF (relations.h) */
#include "relations.h"
#include "blas.h"
#include "rng.h"
#include "vec.h"

#include <math.h>
#include <string.h>

static int not_finite(const char *who, const char *what, core_err *e)
{
    return core_err_set(e, CORE_EINVAL, "%s: %s NaN or infinite entries", who, what);
}

int gip_kernel(mat *K, const spm *Y, double bandwidth, core_err *e)
{
    spm Yt;
    size_t n = (size_t)Y->rows, i, j;
    double mean = 0.0, gamma;
    int rc;
    memset(&Yt, 0, sizeof Yt);
    if (!(bandwidth >= 0) || !isfinite(bandwidth))
        return core_err_set(e, CORE_EINVAL, "gip_kernel: the bandwidth must be a non-negative number, got %g",
                            bandwidth);
    if (!spm_all_finite(Y))
        return not_finite("gip_kernel", "Y has", e);
    /* Y Y' from the stored pairs: Y is mostly zeros */
    if ((rc = spm_transpose(&Yt, Y, e)) || (rc = spm_gram(K, &Yt, e))) {
        spm_free(&Yt);
        return rc;
    }
    spm_free(&Yt);
    for (i = 0; i < n; i++)
        mean += MAT_AT(K, i, i);
    mean /= n ? (double)n : 1.0;
    gamma = mean > 0 ? bandwidth / mean : 0.0;
    for (i = 0; i < n; i++) { /* the diagonal is read by the later rows: keep it until row i is done */
        double si = MAT_AT(K, i, i);
        for (j = i + 1; j < n; j++) {
            /* |y_i|^2 + |y_j|^2 - 2 y_i . y_j, clipped at 0 against rounding */
            double d = (si + MAT_AT(K, j, j)) - 2.0 * MAT_AT(K, i, j);
            MAT_AT(K, i, j) = MAT_AT(K, j, i) = exp((d > 0 ? d : 0.0) * -gamma);
        }
    }
    for (i = 0; i < n; i++)
        MAT_AT(K, i, i) = 1.0; /* exp(0): the distance of a row to itself */
    return CORE_OK;
}

int wnn_profiles(mat *out, const spm *Y, const mat *S, double T, core_err *e)
{
    char s1[48], s2[48];
    mat idx, val;
    size_t q, i, n;
    spm_ptr p;
    int rc;
    memset(&idx, 0, sizeof idx), memset(&val, 0, sizeof val);
    if (!(T > 0 && T < 1))
        return core_err_set(e, CORE_EINVAL, "wnn_profiles: T must be in (0, 1), got %g", T);
    if (S->cols != (size_t)Y->rows)
        return core_err_set(e, CORE_EINVAL, "wnn_profiles: the similarities are %s for the %s training profiles",
                            mat_shape_str(S, s1, sizeof s1), spm_shape_str(Y, s2, sizeof s2));
    if (!mat_all_finite(S) || !spm_all_finite(Y))
        return not_finite("wnn_profiles", "the similarities or the profiles have", e);
    /* weights below 1e-4 add nothing */
    n = (size_t)floor(log(1e-4) / log(T)) + 1;
    if (n > (size_t)Y->rows)
        n = (size_t)Y->rows;
    if ((rc = mat_init(out, S->rows, (size_t)Y->cols, e)) ||
        (n > 0 && (rc = mat_topk_rows(&idx, &val, S, n, 0, e)))) {
        mat_release(out);
        return rc;
    }
    for (q = 0; q < S->rows && n > 0; q++)
        for (i = 0; i < n; i++) {
            size_t r = (size_t)MAT_AT(&idx, q, i);
            double w = pow(T, (double)i);
            for (p = Y->p[r]; p < Y->p[r + 1]; p++)
                MAT_AT(out, q, Y->j[p]) += w * Y->x[p];
        }
    mat_release(&idx), mat_release(&val);
    return CORE_OK;
}

/* ---- KronRLS ---- */

void kronrls_free(kronrls *k)
{
    mat_release(&k->wd), mat_release(&k->Ud), mat_release(&k->wt), mat_release(&k->Ut), mat_release(&k->C);
}

/* One OpenBLAS thread for products under about 2^22 multiply-adds, as
 * mat_gemm: waking the others costs more than they save. Returns what
 * blas_threads_restore takes. */
static int small_products(size_t a, size_t b, size_t c)
{
    return (double)a * (double)b * (double)c < (double)(1 << 22) ? blas_threads_set(1) : 0;
}

static int square_of(const mat *K, size_t n)
{
    return K->rows == n && K->cols == n;
}

/* the largest |K_ij - K_ji| over K's largest magnitude (0 for a zero K):
 * an eigendecomposition reads one triangle, so an asymmetric kernel would
 * be read as another matrix without a word */
static double asymmetry(const mat *K)
{
    double top = 0, gap = 0;
    size_t i, j;
    for (i = 0; i < K->rows; i++)
        for (j = i; j < K->cols; j++) { /* each pair once, the diagonal with itself */
            double a = fabs(MAT_AT(K, i, j)), b = fabs(MAT_AT(K, j, i)), d = fabs(MAT_AT(K, i, j) - MAT_AT(K, j, i));
            top = a > top ? a : top;
            top = b > top ? b : top;
            gap = d > gap ? d : gap;
        }
    return top > 0 ? gap / top : 0.0;
}

int kronrls_fit(kronrls *k, const spm *Y, const mat *Kd, const mat *Kt, double sigma, core_err *e)
{
    size_t n = (size_t)Y->rows, m = (size_t)Y->cols, i, j;
    char s1[48], s2[48], s3[48];
    mat T;
    int rc, previous;
    memset(k, 0, sizeof *k);
    memset(&T, 0, sizeof T);
    if (!square_of(Kd, n) || !square_of(Kt, m))
        return core_err_set(e, CORE_EINVAL, "kronrls: Y is %s, the kernels %s and %s", spm_shape_str(Y, s1, sizeof s1),
                            mat_shape_str(Kd, s2, sizeof s2), mat_shape_str(Kt, s3, sizeof s3));
    if (!(sigma > 0))
        return core_err_set(e, CORE_EINVAL, "kronrls: sigma must be positive, got %g", sigma);
    if (!mat_all_finite(Kd) || !mat_all_finite(Kt) || !spm_all_finite(Y))
        return not_finite("kronrls", "the kernels or Y have", e);
    for (i = 0; i < 2; i++) {
        double a = asymmetry(i == 0 ? Kd : Kt);
        if (a > 1e-12)
            return core_err_set(e, CORE_EINVAL, "kronrls: the %s kernel is not symmetric (largest |K - K'| %.3g of "
                                "its largest entry); symmetrise it, e.g. (K + K') / 2", i == 0 ? "row" : "column", a);
    }
    k->sigma = sigma;
    previous = small_products(n, m, n > m ? n : m);
    if ((rc = mat_eigh(&k->wd, &k->Ud, Kd, e)) || (rc = mat_eigh(&k->wt, &k->Ut, Kt, e)) ||
        (rc = mat_init(&k->C, n, m, e)))
        goto fail;
    /* Ud' Y Ut with Y sparse: Y times the larger side's basis costs the
     * stored pairs, leaving one dense product over the smaller side */
    if (n <= m) { /* T = Y Ut (n x m), C = Ud' T */
        if ((rc = spm_mul_dense(&T, Y, &k->Ut, e)))
            goto fail;
        rc = blas_gemm("kronrls", BLAS_T, BLAS_N, n, m, n, 1.0, k->Ud.x, k->Ud.ld, T.x, T.ld, 0.0, k->C.x, k->C.ld, e);
    } else { /* T = Y' Ud (m x n), C = T' Ut */
        spm Yt;
        memset(&Yt, 0, sizeof Yt);
        rc = spm_transpose(&Yt, Y, e);
        if (rc == CORE_OK)
            rc = spm_mul_dense(&T, &Yt, &k->Ud, e);
        spm_free(&Yt);
        if (rc)
            goto fail;
        rc = blas_gemm("kronrls", BLAS_T, BLAS_N, n, m, m, 1.0, T.x, T.ld, k->Ut.x, k->Ut.ld, 0.0, k->C.x, k->C.ld, e);
    }
    if (rc)
        goto fail;
    for (i = 0; i < n; i++)
        for (j = 0; j < m; j++)
            MAT_AT(&k->C, i, j) /= k->wd.x[i] * k->wt.x[j] + sigma;
    mat_release(&T);
    blas_threads_restore(previous);
    return CORE_OK;
fail:
    blas_threads_restore(previous);
    mat_release(&T);
    kronrls_free(k);
    return rc;
}

int kronrls_fitted(mat *dense, spm *at, const kronrls *k, const spm *P, core_err *e)
{
    size_t n = k->C.rows, m = k->C.cols, i, j;
    char s1[48], s2[48];
    mat M, G;
    int64_t r;
    spm_ptr q;
    int rc, pairs, previous;
    memset(&M, 0, sizeof M);
    memset(&G, 0, sizeof G);
    if (P && ((size_t)P->rows != n || (size_t)P->cols != m))
        return core_err_set(e, CORE_EINVAL, "kronrls fitted: the pairs are %s, the training pairs %s",
                            spm_shape_str(P, s1, sizeof s1), mat_shape_str(&k->C, s2, sizeof s2));
    if ((rc = mat_init_uninit(&M, n, m, e)))
        return rc;
    previous = small_products(n, m, n > m ? n : m);
    for (i = 0; i < n; i++)
        for (j = 0; j < m; j++)
            MAT_AT(&M, i, j) = MAT_AT(&k->C, i, j) * (k->wd.x[i] * k->wt.x[j]);
    /* at a thirty-second of the pairs or fewer, one product and a dot per
     * pair; denser, both products and a gather, since a dot per pair reads
     * two rows from memory where the product streams through cache
     * (docs/benchmarks.md, KronRLS) */
    pairs = P && (double)SPM_NNZ(P) * 32.0 <= (double)n * (double)m;
    if (pairs) {
        /* n <= m: G = Ud M (n x m), F_ij = G_i . Ut_j; else G = Ut M' (m x n), F_ij = Ud_i . G_j */
        const mat *A = n <= m ? &G : &k->Ud, *B = n <= m ? &k->Ut : &G;
        size_t len = n <= m ? m : n;
        if ((rc = mat_init_uninit(&G, n <= m ? n : m, n <= m ? m : n, e)))
            goto done;
        if (n <= m)
            rc = blas_gemm("kronrls fitted", BLAS_N, BLAS_N, n, m, n, 1.0, k->Ud.x, k->Ud.ld, M.x, M.ld, 0.0, G.x,
                           G.ld, e);
        else
            rc = blas_gemm("kronrls fitted", BLAS_N, BLAS_T, m, n, m, 1.0, k->Ut.x, k->Ut.ld, M.x, M.ld, 0.0, G.x,
                           G.ld, e);
        if (rc || (rc = spm_copy(at, P, e)))
            goto done;
        for (r = 0; r < P->rows; r++)
            for (q = P->p[r]; q < P->p[r + 1]; q++)
                at->x[q] = vec_dot(&MAT_AT(A, r, 0), &MAT_AT(B, P->j[q], 0), len);
    } else { /* F = (Ud M) Ut' */
        mat F;
        memset(&F, 0, sizeof F);
        if ((rc = mat_init_uninit(&G, n, m, e)) ||
            (rc = blas_gemm("kronrls fitted", BLAS_N, BLAS_N, n, m, n, 1.0, k->Ud.x, k->Ud.ld, M.x, M.ld, 0.0, G.x,
                            G.ld, e)) ||
            (rc = mat_init_uninit(&F, n, m, e)) ||
            (rc = blas_gemm("kronrls fitted", BLAS_N, BLAS_T, n, m, m, 1.0, G.x, G.ld, k->Ut.x, k->Ut.ld, 0.0, F.x,
                            F.ld, e))) {
            mat_release(&F);
            goto done;
        }
        if (!P) {
            *dense = F;
            goto done;
        }
        if ((rc = spm_copy(at, P, e))) {
            mat_release(&F);
            goto done;
        }
        for (r = 0; r < P->rows; r++)
            for (q = P->p[r]; q < P->p[r + 1]; q++)
                at->x[q] = MAT_AT(&F, r, P->j[q]);
        mat_release(&F);
    }
done:
    blas_threads_restore(previous);
    mat_release(&M), mat_release(&G);
    return rc;
}

/* ---- NRLMF ---- */

void nrlmf_opts_default(nrlmf_opts *o)
{
    o->c = 5, o->k = 5, o->n = 5, o->factors = 10;
    o->lambda_d = o->lambda_t = 0.625;
    o->alpha = o->beta = 0.1;
    o->theta = 1, o->iterations = 100, o->seed = 1;
}

/* 0.5 (diag(row sums + column sums) - (W + W')) for W the graph of each
 * member's k most similar others in S (their similarities as weights) */
static int knn_laplacian(mat *L, const mat *S, int64_t k, core_err *e)
{
    size_t n = S->rows, i, j, kk = k < 0 ? 0 : (size_t)k;
    mat D, idx, val, W;
    int rc;
    memset(&D, 0, sizeof D), memset(&idx, 0, sizeof idx), memset(&val, 0, sizeof val), memset(&W, 0, sizeof W);
    if ((rc = mat_init(L, n, n, e)) || (rc = mat_init(&W, n, n, e)))
        goto done;
    if (kk > n - 1)
        kk = n - 1;
    if (n > 1 && kk > 0) {
        if ((rc = mat_copy(&D, S, e)))
            goto done;
        for (i = 0; i < n; i++)
            MAT_AT(&D, i, i) = -HUGE_VAL;
        if ((rc = mat_topk_rows(&idx, &val, &D, kk, 0, e)))
            goto done;
        for (i = 0; i < n; i++)
            for (j = 0; j < kk; j++)
                MAT_AT(&W, i, (size_t)MAT_AT(&idx, i, j)) = MAT_AT(&val, i, j);
    }
    for (i = 0; i < n; i++) {
        double deg = 0.0;
        for (j = 0; j < n; j++) {
            MAT_AT(L, i, j) = -0.5 * (MAT_AT(&W, i, j) + MAT_AT(&W, j, i));
            deg += MAT_AT(&W, i, j) + MAT_AT(&W, j, i);
        }
        MAT_AT(L, i, i) += 0.5 * deg;
    }
done:
    mat_release(&D), mat_release(&idx), mat_release(&val), mat_release(&W);
    if (rc)
        mat_release(L);
    return rc;
}

/* E = c Y - (1 + (c - 1) Y) .* sigmoid(A), the likelihood's gradient with
 * respect to A; returns the likelihood's data term
 * sum c y a - (1 + (c - 1) y) log(1 + e^a) when with_ll */
static double residuals(mat *E, const mat *A, const mat *Yd, double c, int with_ll)
{
    double ll = 0.0;
    size_t i, j;
    for (i = 0; i < A->rows; i++) {
        const double *a = &MAT_AT(A, i, 0), *y = &MAT_AT(Yd, i, 0);
        double *out = &MAT_AT(E, i, 0);
        for (j = 0; j < A->cols; j++) {
            double v = a[j], w = 1.0 + (c - 1.0) * y[j], t, s, soft;
            if (v >= 0) { /* one exponential serves both, stable either side */
                t = exp(-v);
                s = 1.0 / (1.0 + t);
                soft = v + log1p(t);
            } else {
                t = exp(v);
                s = t / (1.0 + t);
                soft = log1p(t);
            }
            out[j] = c * y[j] - w * s;
            if (with_ll)
                ll += c * y[j] * v - w * soft;
        }
    }
    return ll;
}

/* one AdaGrad step of F (n x r) with gradient grad = E' F_other or E
 * F_other (trans) - lambda F - weight (L F), accumulator g */
static int adagrad_side(mat *F, mat *g, mat *grad, const mat *E, blas_op trans, const mat *other, const mat *LF,
                        double lambda, double weight, double theta, core_err *e)
{
    size_t n = F->rows, r = F->cols, i, q;
    int rc = blas_gemm("nrlmf", trans, BLAS_N, n, r, trans == BLAS_N ? E->cols : E->rows, 1.0, E->x, E->ld, other->x,
                       other->ld, 0.0, grad->x, grad->ld, e);
    if (rc)
        return rc;
    for (i = 0; i < n; i++)
        for (q = 0; q < r; q++) {
            double d = MAT_AT(grad, i, q) - lambda * MAT_AT(F, i, q) - weight * MAT_AT(LF, i, q), acc, s;
            acc = MAT_AT(g, i, q) += d * d;
            s = sqrt(acc);
            MAT_AT(F, i, q) += theta * (d / (s > 1e-300 ? s : 1e-300)); /* a zero gradient steps 0, not NaN */
        }
    return CORE_OK;
}

/* a fit's working matrices: the dense Y, the Laplacians, U V' and its
 * gradient, AdaGrad's accumulators, the steps, and DL U, TL V */
typedef struct nrlmf_work {
    mat Yd, DL, TL, A, E, gu, gv, dU, dV, LU, LV;
} nrlmf_work;

static void work_free(nrlmf_work *w)
{
    mat_release(&w->Yd), mat_release(&w->DL), mat_release(&w->TL), mat_release(&w->A), mat_release(&w->E);
    mat_release(&w->gu), mat_release(&w->gv), mat_release(&w->dU), mat_release(&w->dV), mat_release(&w->LU);
    mat_release(&w->LV);
}

/* A = U V', LU = DL U, LV = TL V and the log-likelihood of U and V, with E
 * its gradient with respect to A for the next U step */
static int likelihood(nrlmf_work *w, const mat *U, const mat *V, const nrlmf_opts *o, double *ll, core_err *e)
{
    size_t n = U->rows, m = V->rows, r = U->cols;
    int rc;
    if ((rc = blas_gemm("nrlmf", BLAS_N, BLAS_T, n, m, r, 1.0, U->x, U->ld, V->x, V->ld, 0.0, w->A.x, w->A.ld, e)) ||
        (rc = blas_gemm("nrlmf", BLAS_N, BLAS_N, n, r, n, 1.0, w->DL.x, w->DL.ld, U->x, U->ld, 0.0, w->LU.x, w->LU.ld,
                        e)) ||
        (rc = blas_gemm("nrlmf", BLAS_N, BLAS_N, m, r, m, 1.0, w->TL.x, w->TL.ld, V->x, V->ld, 0.0, w->LV.x, w->LV.ld,
                        e)))
        return rc;
    *ll = residuals(&w->E, &w->A, &w->Yd, o->c, 1) - 0.5 * o->lambda_d * mat_dot(U, U) -
          0.5 * o->lambda_t * mat_dot(V, V) - 0.5 * o->alpha * mat_dot(U, &w->LU) - 0.5 * o->beta * mat_dot(V, &w->LV);
    return CORE_OK;
}

int nrlmf_fit(mat *U, mat *V, int64_t *iterations, const spm *Y, const mat *Sd, const mat *St, const nrlmf_opts *o,
              core_err *e)
{
    size_t n = (size_t)Y->rows, m = (size_t)Y->cols, r = (size_t)o->factors, i;
    char s1[48], s2[48], s3[48];
    nrlmf_work w;
    mat W;
    double scale, last, now;
    int64_t it;
    int rc, blas_previous;
    rng g;
    memset(&w, 0, sizeof w), memset(&W, 0, sizeof W);
    memset(U, 0, sizeof *U), memset(V, 0, sizeof *V);
    *iterations = 0;
    if (!square_of(Sd, n) || !square_of(St, m))
        return core_err_set(e, CORE_EINVAL, "nrlmf: Y is %s, the similarities %s and %s",
                            spm_shape_str(Y, s1, sizeof s1), mat_shape_str(Sd, s2, sizeof s2),
                            mat_shape_str(St, s3, sizeof s3));
    if (o->factors < 1 || !(o->theta > 0) || o->iterations < 0 || o->k < 0)
        return core_err_set(e, CORE_EINVAL, "nrlmf: factors and theta must be positive, k and iterations not "
                            "negative");
    if (!mat_all_finite(Sd) || !mat_all_finite(St) || !spm_all_finite(Y))
        return not_finite("nrlmf", "the similarities or Y have", e);
    blas_previous = small_products(n, m, r); /* U V', the largest product */
    if ((rc = spm_to_dense(&w.Yd, Y, (size_t)-1, e)) || (rc = knn_laplacian(&w.DL, Sd, o->k, e)) ||
        (rc = knn_laplacian(&w.TL, St, o->k, e)) || (rc = mat_init(&W, n + m, r, e)) ||
        (rc = mat_init(&w.A, n, m, e)) || (rc = mat_init(&w.E, n, m, e)) || (rc = mat_init(&w.gu, n, r, e)) ||
        (rc = mat_init(&w.gv, m, r, e)) || (rc = mat_init(&w.dU, n, r, e)) || (rc = mat_init(&w.dV, m, r, e)) ||
        (rc = mat_init(&w.LU, n, r, e)) || (rc = mat_init(&w.LV, m, r, e)))
        goto done;
    rng_seed(&g, o->seed);
    if ((rc = rng_fill(&g, &W, 1, e)))
        goto done;
    scale = sqrt(1.0 / (double)r);
    for (i = 0; i < (n + m) * r; i++)
        W.x[i] *= scale;
    if ((rc = mat_init(U, n, r, e)) || (rc = mat_init(V, m, r, e)))
        goto done;
    memcpy(U->x, W.x, n * r * sizeof *W.x);
    memcpy(V->x, W.x + n * r, m * r * sizeof *W.x);
    if ((rc = likelihood(&w, U, V, o, &last, e)))
        goto done;
    for (it = 1; it <= o->iterations; it++) {
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if ((rc = adagrad_side(U, &w.gu, &w.dU, &w.E, BLAS_N, V, &w.LU, o->lambda_d, o->alpha, o->theta, e)) ||
            (rc = blas_gemm("nrlmf", BLAS_N, BLAS_T, n, m, r, 1.0, U->x, U->ld, V->x, V->ld, 0.0, w.A.x, w.A.ld, e)))
            goto done;
        residuals(&w.E, &w.A, &w.Yd, o->c, 0);
        if ((rc = adagrad_side(V, &w.gv, &w.dV, &w.E, BLAS_T, U, &w.LV, o->lambda_t, o->beta, o->theta, e)))
            goto done;
        *iterations = it;
        if ((rc = likelihood(&w, U, V, o, &now, e)))
            goto done;
        if (fabs((now - last) / fabs(last)) < 1e-5)
            break;
        last = now;
    }
done:
    blas_threads_restore(blas_previous);
    work_free(&w), mat_release(&W);
    if (rc)
        mat_release(U), mat_release(V);
    return rc;
}
