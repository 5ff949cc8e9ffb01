#include <math.h>
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "ials.h"
#include "par.h"

typedef struct ictx {
    mat *F;
    const spm *X;
    const mat *G;
    const double *A0; /* G^T G + lambda I, k x k */
    double alpha;
    int64_t cg_steps;
    double *scratch; /* per thread: k x k + 4 k */
    size_t k;
} ictx;

/* a (k x k, row-major, symmetric positive definite) = L L^T in place (the
 * lower triangle), then b = a^-1 b; the penalty keeps a's pivots positive.
 * Written out rather than LAPACK's: it runs once per row inside the
 * threads, on k x k systems too small for a library call to pay. */
static void cholesky_solve(double *a, double *b, size_t k)
{
    size_t i, j, q;
    for (j = 0; j < k; j++) {
        double d = a[j * k + j];
        for (q = 0; q < j; q++)
            d -= a[j * k + q] * a[j * k + q];
        d = sqrt(d > 0 ? d : 1e-300);
        a[j * k + j] = d;
        for (i = j + 1; i < k; i++) {
            double s = a[i * k + j];
            for (q = 0; q < j; q++)
                s -= a[i * k + q] * a[j * k + q];
            a[i * k + j] = s / d;
        }
    }
    for (i = 0; i < k; i++) { /* L z = b */
        double s = b[i];
        for (q = 0; q < i; q++)
            s -= a[i * k + q] * b[q];
        b[i] = s / a[i * k + i];
    }
    for (i = k; i-- > 0;) { /* L^T x = z */
        double s = b[i];
        for (q = i + 1; q < k; q++)
            s -= a[q * k + i] * b[q];
        b[i] = s / a[i * k + i];
    }
}

/* out = A0 v + alpha sum_i g_i (g_i . v) over row u's columns */
static void apply(const ictx *c, int64_t u, const double *v, double *out)
{
    size_t k = c->k, a, b;
    spm_ptr t;
    for (a = 0; a < k; a++) {
        double s = 0;
        for (b = 0; b < k; b++)
            s += c->A0[a * k + b] * v[b];
        out[a] = s;
    }
    for (t = c->X->p[u]; t < c->X->p[u + 1]; t++) {
        const double *g = &MAT_AT(c->G, c->X->j[t], 0);
        double d = 0;
        for (a = 0; a < k; a++)
            d += g[a] * v[a];
        d *= c->alpha;
        for (a = 0; a < k; a++)
            out[a] += d * g[a];
    }
}

static double dot(const double *a, const double *b, size_t k)
{
    double s = 0;
    size_t i;
    for (i = 0; i < k; i++)
        s += a[i] * b[i];
    return s;
}

static void rows_pass(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const ictx *c = ctx;
    size_t k = c->k, i;
    double *A = c->scratch + (size_t)thread * (k * k + 4 * k), *r = A + k * k, *p = r + k, *Ap = p + k, *b = Ap + k;
    int64_t u, s;
    spm_ptr t;
    for (u = r0; u < r1; u++) {
        double *x = &MAT_AT(c->F, u, 0);
        memset(b, 0, k * sizeof *b);
        for (t = c->X->p[u]; t < c->X->p[u + 1]; t++) {
            const double *g = &MAT_AT(c->G, c->X->j[t], 0);
            for (i = 0; i < k; i++)
                b[i] += (1 + c->alpha) * g[i];
        }
        if (c->cg_steps == 0) {
            memcpy(A, c->A0, k * k * sizeof *A);
            for (t = c->X->p[u]; t < c->X->p[u + 1]; t++) {
                const double *g = &MAT_AT(c->G, c->X->j[t], 0);
                size_t a, q;
                for (a = 0; a < k; a++)
                    for (q = 0; q <= a; q++)
                        A[a * k + q] += c->alpha * g[a] * g[q];
            }
            cholesky_solve(A, b, k); /* reads the lower triangle only */
            memcpy(x, b, k * sizeof *x);
            continue;
        }
        {
            double rs;
            apply(c, u, x, Ap);
            for (i = 0; i < k; i++)
                r[i] = p[i] = b[i] - Ap[i];
            rs = dot(r, r, k);
            for (s = 0; s < c->cg_steps && rs > 1e-30; s++) {
                double pAp, a, rn;
                apply(c, u, p, Ap);
                pAp = dot(p, Ap, k);
                if (!(pAp > 0))
                    break;
                a = rs / pAp;
                for (i = 0; i < k; i++) {
                    x[i] += a * p[i];
                    r[i] -= a * Ap[i];
                }
                rn = dot(r, r, k);
                for (i = 0; i < k; i++)
                    p[i] = r[i] + rn / rs * p[i];
                rs = rn;
            }
        }
    }
}

/* Rows below which one thread solves them all */
#define IALS_PAR_ROWS 256

int ials_side(mat *F, const spm *X, const mat *G, double alpha, double lambda, int64_t cg_steps, core_err *e)
{
    size_t k = G->cols, i, threads, per;
    double *A0 = NULL, *scratch = NULL;
    ictx c;
    int rc;
    if (X->cols != (int64_t)G->rows)
        return core_err_set(e, CORE_EINVAL, "ials: X has %lld columns, the other side's factors %zu rows",
                            (long long)X->cols, G->rows);
    if (F->rows != (size_t)X->rows || F->cols != k)
        return core_err_set(e, CORE_EINVAL, "ials: the factors are %zux%zu, expected %lldx%zu", F->rows, F->cols,
                            (long long)X->rows, k);
    if (!(alpha > 0) || !(lambda > 0) || !isfinite(alpha) || !isfinite(lambda) || cg_steps < 0)
        return core_err_set(e, CORE_EINVAL, "ials: need alpha > 0, lambda > 0 and cg_steps >= 0");
    if (k == 0 || X->rows == 0)
        return CORE_OK;
    if (k > 100000)
        return core_err_set(e, CORE_ETOOBIG, "ials: %zu factors exceed 100000", k);
    threads = X->rows < IALS_PAR_ROWS ? 1 : (size_t)par_threads();
    per = k * k + 4 * k;
    A0 = core_malloc(k * k * sizeof *A0);
    scratch = core_malloc(threads * per * sizeof *scratch);
    if (!A0 || !scratch) {
        rc = core_err_nomem(e, "ials", (double)(threads + 1) * (double)per * 8);
        goto done;
    }
    if ((rc = blas_gram("ials", k, G->rows, 1.0, G->x, G->ld, 0.0, A0, k, e)))
        goto done;
    for (i = 0; i < k; i++)
        A0[i * k + i] += lambda;
    c.F = F, c.X = X, c.G = G, c.A0 = A0, c.alpha = alpha, c.cg_steps = cg_steps, c.scratch = scratch, c.k = k;
    par_range(X->rows, (int)threads, rows_pass, &c);
    rc = CORE_OK;
done:
    core_free(A0);
    core_free(scratch);
    return rc;
}
