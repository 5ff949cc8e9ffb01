#include <math.h>
#include <string.h>
#include <arpack.h>
#include <cblas.h>
#include "alloc.h"
#include "rng.h"
#include "par.h"
#include "svd.h"

void svd_opts_default(svd_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = SVD_ARPACK;
    o->oversample = 10;
    o->power_iters = 2;
    o->want_vectors = 1;
    o->single = SVD_AUTO;
}

/* The operator A (rows x cols). A sparse A keeps its transpose too, so
 * every product can stream the big dense side sequentially and random-
 * access only the small one, on all cores (par.c). */
typedef struct op {
    const spm *S;
    spm T;        /* S transposed (sparse case) */
    const mat *D;
    size_t rows, cols;
} op;

typedef struct kern {
    const spm *M;
    const double *x;
    double *y;      /* gather: rows x l; scatter: per-thread cols x l buffers */
    size_t l, ylen;
} kern;

/* y[i,:] = sum_j M[i,j] x[j,:] */
static void gather_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const kern *k = ctx;
    const spm *M = k->M;
    size_t l = k->l, c;
    int64_t i;
    spm_ptr t;
    (void)thread;
    if (l == 1) { /* vectors: a plain dot product per row */
        for (i = r0; i < r1; i++) {
            double acc = 0.0;
            for (t = M->p[i]; t < M->p[i + 1]; t++)
                acc += M->x[t] * k->x[M->j[t]];
            k->y[i] = acc;
        }
        return;
    }
    for (i = r0; i < r1; i++) {
        double *y = k->y + (size_t)i * l;
        for (c = 0; c < l; c++)
            y[c] = 0.0;
        for (t = M->p[i]; t < M->p[i + 1]; t++) {
            const double *x = k->x + (size_t)M->j[t] * l;
            double a = M->x[t];
            for (c = 0; c < l; c++)
                y[c] += a * x[c];
        }
    }
}

/* y_thread[j,:] += M[i,j] x[i,:], i.e. y = M^T x summed over threads */
static void scatter_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const kern *k = ctx;
    const spm *M = k->M;
    size_t l = k->l, c;
    double *y = k->y + (size_t)thread * k->ylen;
    int64_t i;
    spm_ptr t;
    for (c = 0; c < k->ylen; c++)
        y[c] = 0.0;
    for (i = r0; i < r1; i++) {
        const double *x = k->x + (size_t)i * l;
        for (t = M->p[i]; t < M->p[i + 1]; t++) {
            double a = M->x[t], *yy = y + (size_t)M->j[t] * l;
            for (c = 0; c < l; c++)
                yy[c] += a * x[c];
        }
    }
}

/* Y (M->rows x l) = M X, X (M->cols x l) contiguous */
static int sp_gather(const spm *M, const double *X, double *Y, size_t l)
{
    kern k;
    k.M = M, k.x = X, k.y = Y, k.l = l, k.ylen = 0;
    par_rows(M, gather_rows, &k);
    return CORE_OK;
}

/* y = the sum of the used per-thread buffers (buf: used x n), in thread order */
static void sum_buffers(double *y, const double *buf, int used, size_t n)
{
    int t;
    size_t c;
    memcpy(y, buf, n * sizeof *y);
    for (t = 1; t < used; t++)
        for (c = 0; c < n; c++)
            y[c] += buf[(size_t)t * n + c];
}

/* Y (M->cols x l) = M^T X, X (M->rows x l) contiguous */
static int sp_scatter(const spm *M, const double *X, double *Y, size_t l, core_err *e)
{
    kern k;
    int n = par_threads(), used;
    size_t len = (size_t)M->cols * l;
    double *buf = core_malloc((size_t)n * (len ? len : 1) * sizeof *buf);
    if (!buf)
        return core_err_nomem(e, "svd", (double)n * (double)len * 8);
    k.M = M, k.x = X, k.y = buf, k.l = l, k.ylen = len;
    used = par_rows(M, scatter_rows, &k);
    sum_buffers(Y, buf, used, len);
    core_free(buf);
    return CORE_OK;
}

/* y += sum over rows i in [r0, r1) of M: (M_i . x) M_i, for CSR-like M
 * of any index and value types (the double matrix and its compact copy) */
#define GRAM_ROWS(MM, XV, YV, R0, R1)                                                     \
    do {                                                                               \
        int64_t i_;                                                                    \
        spm_ptr t_;                                                                    \
        for (i_ = (R0); i_ < (R1); i_++) {                                             \
            /* four partial sums: one would wait on the adder at every entry */        \
            double d0 = 0.0, d1 = 0.0, d2 = 0.0, d3 = 0.0, d;                          \
            spm_ptr b_ = (MM)->p[i_], end_ = (MM)->p[i_ + 1];                            \
            for (t_ = b_; t_ + 3 < end_; t_ += 4) {                                    \
                d0 += (double)(MM)->x[t_] * (XV)[(MM)->j[t_]];                            \
                d1 += (double)(MM)->x[t_ + 1] * (XV)[(MM)->j[t_ + 1]];                    \
                d2 += (double)(MM)->x[t_ + 2] * (XV)[(MM)->j[t_ + 2]];                    \
                d3 += (double)(MM)->x[t_ + 3] * (XV)[(MM)->j[t_ + 3]];                    \
            }                                                                          \
            for (; t_ < end_; t_++)                                                    \
                d0 += (double)(MM)->x[t_] * (XV)[(MM)->j[t_]];                            \
            d = (d0 + d1) + (d2 + d3);                                                 \
            if (d != 0.0)                                                              \
                for (t_ = b_; t_ < end_; t_++)                                         \
                    (YV)[(MM)->j[t_]] += d * (double)(MM)->x[t_];                         \
        }                                                                              \
    } while (0)

/* y_thread += sum over rows r of M: (M_r . x) M_r, i.e. y = M^T M x in one
 * pass over M (each row is used twice while it is in cache) */
static void gram_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const kern *k = ctx;
    const spm *M = k->M;
    double *y = k->y + (size_t)thread * k->ylen;
    memset(y, 0, k->ylen * sizeof *y);
    GRAM_ROWS(M, k->x, y, r0, r1);
}

/* The Gram pass on a compact copy: 16-bit column indices (when the small
 * side has at most 65536 entries) and float values, 6 bytes an entry
 * instead of 12: the pass is memory-bound, so it runs about twice as fast. */
typedef struct compact {
    spm_ptr *p;
    uint16_t *j;
    float *x;
    int64_t rows, cols;
} compact;

typedef struct ckern {
    const compact *M;
    const double *x;
    double *y;
    size_t ylen;
} ckern;

static void gram_rows_compact(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const ckern *k = ctx;
    const compact *M = k->M;
    double *y = k->y + (size_t)thread * k->ylen;
    memset(y, 0, k->ylen * sizeof *y);
    GRAM_ROWS(M, k->x, y, r0, r1);
}

static void sp_gram_compact(const compact *M, const spm *shape, const double *x, double *y, double *buf)
{
    ckern k;
    size_t n = (size_t)M->cols;
    int used;
    k.M = M, k.x = x, k.y = buf, k.ylen = n;
    used = par_rows(shape, (par_fn)gram_rows_compact, &k);
    sum_buffers(y, buf, used, n);
}

static int compact_init(compact *c, const spm *M, core_err *e)
{
    int64_t k, nnz = SPM_NNZ(M);
    c->rows = M->rows, c->cols = M->cols;
    c->p = M->p; /* borrowed */
    c->j = core_malloc((size_t)(nnz ? nnz : 1) * sizeof *c->j);
    c->x = core_malloc((size_t)(nnz ? nnz : 1) * sizeof *c->x);
    if (!c->j || !c->x) {
        c->j = core_free(c->j);
        c->x = core_free(c->x);
        return core_err_nomem(e, "svd", (double)nnz * 6);
    }
    for (k = 0; k < nnz; k++) {
        c->j[k] = (uint16_t)M->j[k];
        c->x[k] = (float)M->x[k];
    }
    return CORE_OK;
}

/* y = M^T M x with per-thread buffers buf (par_threads() x n) */
static void sp_gram(const spm *M, const double *x, double *y, double *buf)
{
    kern k;
    size_t n = (size_t)M->cols;
    int used;
    k.M = M, k.x = x, k.y = buf, k.l = 1, k.ylen = n;
    used = par_rows(M, gram_rows, &k);
    sum_buffers(y, buf, used, n);
}

/* y = A x (transpose: A^T x) for vectors: both gathers touch a small vector */
static void op_apply(const op *a, const double *x, double *y)
{
    if (a->S)
        sp_gather(a->S, x, y, 1);
    else
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)a->rows, (int)a->cols, 1.0, a->D->x, (int)a->D->ld, x, 1,
                    0.0, y, 1);
}

static void op_applyT(const op *a, const double *x, double *y)
{
    if (a->S)
        sp_gather(&a->T, x, y, 1);
    else
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)a->rows, (int)a->cols, 1.0, a->D->x, (int)a->D->ld, x, 1,
                    0.0, y, 1);
}

/* Y = A X (trans: A^T X) for blocks. A gather reads rows of X at random, a
 * scatter reads X in order and writes Y at random: the random side should
 * be the smaller one. */
static int op_block_any(const op *a, mat *Y, const mat *X, int trans, core_err *e)
{
    size_t out = trans ? a->cols : a->rows, in = trans ? a->rows : a->cols;
    mat Xc;
    int rc;
    if (a->D) {
        if (!trans)
            return mat_gemm(Y, a->D, X, e);
        else {
            mat Dt;
            if ((rc = mat_transpose(&Dt, a->D, e)))
                return rc;
            rc = mat_gemm(Y, &Dt, X, e);
            mat_release(&Dt);
            return rc;
        }
    }
    if ((rc = mat_init_uninit(Y, out, X->cols, e)))
        return rc;
    if (mat_is_contig(X))
        mat_view(&Xc, X, 0, 0, X->rows, X->cols);
    else if ((rc = mat_copy(&Xc, X, e))) {
        mat_release(Y);
        return rc;
    }
    if (out * 4 < in)
        rc = sp_scatter(trans ? a->S : &a->T, Xc.x, Y->x, X->cols, e);
    else
        rc = sp_gather(trans ? &a->T : a->S, Xc.x, Y->x, X->cols);
    mat_release(&Xc);
    if (rc)
        mat_release(Y);
    return rc;
}

static int op_block(const op *a, mat *Y, const mat *X, core_err *e) { return op_block_any(a, Y, X, 0, e); }
static int op_blockT(const op *a, mat *Y, const mat *X, core_err *e) { return op_block_any(a, Y, X, 1, e); }

/* Fills U, Vt from the right (or left) singular vectors in V (n x k,
 * column-major) and s: the other side is A V / s (or A^T U / s). */
static int finish_vectors(const op *a, mat *U, mat *Vt, const double *vecs, size_t n, size_t k, const double *s,
                          int gram_right, core_err *e)
{
    /* X: the k eigenvectors (n x k); the other side is one block product,
     * A X / s (gram_right: X is V) or A^T X / s (X is U) */
    mat X, Y;
    size_t c, i;
    int rc = mat_init_uninit(&X, n, k, e);
    if (rc)
        return rc;
    for (c = 0; c < k; c++)
        for (i = 0; i < n; i++)
            MAT_AT(&X, i, c) = vecs[c * n + i];
    if ((rc = op_block_any(a, &Y, &X, !gram_right, e))) {
        mat_release(&X);
        return rc;
    }
    for (i = 0; i < Y.rows; i++)
        for (c = 0; c < k; c++)
            MAT_AT(&Y, i, c) = s[c] > 0 ? MAT_AT(&Y, i, c) / s[c] : 0.0;
    if (gram_right) {
        *U = Y;
        rc = mat_transpose(Vt, &X, e);
        mat_release(&X);
    } else {
        *U = X;
        rc = mat_transpose(Vt, &Y, e);
        mat_release(&Y);
    }
    return rc;
}

static int svd_arpack(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    int gram_right = a->cols <= a->rows; /* eigen-decompose A^T A (cols x cols) */
    size_t n = gram_right ? a->cols : a->rows, m = gram_right ? a->rows : a->cols, i;
    int nev = (int)k, ncv, ido = 0, info = 0, lworkl, iparam[11], ipntr[14], *select = NULL, blas_threads = 0;
    compact cm;
    const spm *gm = a->S ? (gram_right ? a->S : &a->T) : NULL;
    int use_compact = gm && gm->cols <= 65536 &&
                      (o->single == SVD_AUTO ? SPM_NNZ(gm) >= SVD_SINGLE_NNZ : o->single);
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
    tmp = core_malloc(((a->S ? (size_t)par_threads() * n : 0) + m + 1) * sizeof *tmp);
    select = core_malloc((size_t)ncv * sizeof *select);
    sv = core_malloc(k * sizeof *sv);
    memset(&cm, 0, sizeof cm);
    if (!resid || !V || !workd || !workl || !d || !tmp || !select || !sv) {
        rc = core_err_nomem(e, "svd", (double)n * (double)(ncv + 4) * 8);
        goto done;
    }
    if (use_compact && (rc = compact_init(&cm, gm, e)))
        goto done;
    {
        rng g; /* a seeded start vector makes runs reproducible across ARPACK builds */
        rng_seed(&g, o->seed);
        for (i = 0; i < n; i++)
            resid[i] = rng_uniform(&g) - 0.5;
        info = 1;
    }
    /* ARPACK's own BLAS calls are on short vectors: one OpenBLAS thread, so
     * idle BLAS threads do not spin against the sparse kernels' threads */
    blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1);
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
        if (use_compact)
            sp_gram_compact(&cm, gm, workd + ipntr[0] - 1, workd + ipntr[1] - 1, tmp);
        else if (a->S) /* A^T A through the rows of A, A A^T through the rows of A^T */
            sp_gram(gm, workd + ipntr[0] - 1, workd + ipntr[1] - 1, tmp);
        else if (gram_right) {
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
    if (blas_threads > 0)
        openblas_set_num_threads(blas_threads);
    core_free(cm.j);
    core_free(cm.x);
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

/* Randomized SVD (Halko, Martinsson, Tropp 2011, algorithms 4.3 and 5.1)
 * sketching the smaller side: Y = A Om (or A^T Om), q power iterations
 * orthonormalising the small side only, then the small eigenproblem of
 * B B^T = Z^T Z with Z = A^T Q, so no QR or SVD of a tall matrix is needed. */
static int svd_randomized(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    int small_rows = a->rows <= a->cols;
    size_t m = small_rows ? a->rows : a->cols, n = small_rows ? a->cols : a->rows;
    size_t l = k + (size_t)(o->oversample > 0 ? o->oversample : 0), i, j;
    mat Om, Y, Q, R, Z, G, Zt, w, W, Wk, Vk, Left, Qs[SVD_MAX_POWER + 1], Zs[SVD_MAX_POWER + 1];
    rng g;
    int it, rc, nblocks = 0, first;
    if (l > m)
        l = m;
    memset(Qs, 0, sizeof Qs);
    memset(Zs, 0, sizeof Zs);
    memset(&Q, 0, sizeof Q);
    memset(&Z, 0, sizeof Z);
    memset(&Zt, 0, sizeof Zt);
    memset(&w, 0, sizeof w);
    memset(&W, 0, sizeof W);
    memset(&Wk, 0, sizeof Wk);
    if ((rc = mat_init(&Om, n, l, e)))
        return rc;
    rng_seed(&g, o->seed);
    for (i = 0; i < n; i++)
        for (j = 0; j < l; j++)
            MAT_AT(&Om, i, j) = rng_normal(&g);
    /* Y = A Om on the small side (m x l) */
    rc = small_rows ? op_block(a, &Y, &Om, e) : op_blockT(a, &Y, &Om, e);
    mat_release(&Om);
    if (rc)
        return rc;
    for (it = 0;; it++) {
        rc = mat_qr(&Q, &R, &Y, e);
        mat_release(&Y);
        mat_release(&R);
        if (rc)
            goto blocks_fail;
        if (core_interrupted()) {
            mat_release(&Q);
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto blocks_fail;
        }
        /* Z = A^T Q (n x l), the big side */
        rc = small_rows ? op_blockT(a, &Z, &Q, e) : op_block(a, &Z, &Q, e);
        if (rc) {
            mat_release(&Q);
            goto blocks_fail;
        }
        Qs[it] = Q, Zs[it] = Z;
        nblocks = it + 1;
        if (it == o->power_iters)
            break;
        rc = small_rows ? op_block(a, &Y, &Z, e) : op_blockT(a, &Y, &Z, e);
        if (rc)
            goto blocks_fail;
    }
    /* Block Krylov (Musco & Musco 2015): the whole space [Q0 .. Qq], not
     * just the last block, at no extra pass over A: K = Qk Rk, and
     * A^T Qk = [Z0 .. Zq] Rk^-1. */
    /* the most recent blocks that fit the small side */
    first = nblocks - (int)((size_t)nblocks * l <= m ? (size_t)nblocks : m / l);
    if (nblocks - first > 1) {
        mat K, Zall, Qk, Rk;
        int ok = 0;
        if (!mat_stack(&K, Qs + first, (size_t)(nblocks - first), 1, e)) {
            if (!mat_qr(&Qk, &Rk, &K, e)) {
                size_t L = Rk.rows, d;
                double r0 = fabs(MAT_AT(&Rk, 0, 0));
                ok = 1;
                for (d = 0; d < L; d++) /* a (nearly) dependent block: keep the last block alone */
                    if (!(fabs(MAT_AT(&Rk, d, d)) > 1e-10 * r0))
                        ok = 0;
                if (ok && !mat_stack(&Zall, Zs + first, (size_t)(nblocks - first), 1, e)) {
                    cblas_dtrsm(CblasRowMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, (int)Zall.rows,
                                (int)L, 1.0, Rk.x, (int)Rk.ld, Zall.x, (int)Zall.ld);
                    Q = Qk, Z = Zall;
                    memset(&Qk, 0, sizeof Qk);
                    l = L;
                } else
                    ok = 0;
                mat_release(&Qk);
                mat_release(&Rk);
            }
            mat_release(&K);
        }
        if (!ok) {
            Q = Qs[nblocks - 1], Z = Zs[nblocks - 1];
            Qs[nblocks - 1].st = NULL, Zs[nblocks - 1].st = NULL;
        }
    } else { /* one block (or only one fits) */
        Q = Qs[nblocks - 1], Z = Zs[nblocks - 1];
        Qs[nblocks - 1].st = NULL, Zs[nblocks - 1].st = NULL;
    }
    for (it = 0; it < nblocks; it++) {
        if (Qs[it].st) mat_release(&Qs[it]);
        if (Zs[it].st) mat_release(&Zs[it]);
    }
    if (0) {
blocks_fail:
        for (it = 0; it < nblocks; it++) {
            mat_release(&Qs[it]);
            mat_release(&Zs[it]);
        }
        return rc;
    }
    /* B = Q^T A = Z^T; B B^T = Z^T Z = W diag(w) W^T */
    if ((rc = mat_transpose(&Zt, &Z, e)))
        goto fail;
    if ((rc = mat_gemm(&G, &Zt, &Z, e)))
        goto fail;
    rc = mat_eigh(&w, &W, &G, e);
    mat_release(&G);
    if (rc)
        goto fail;
    /* the k largest eigenpairs, descending */
    if ((rc = mat_init(s, k, 1, e)) || (rc = mat_init(&Wk, l, k, e)))
        goto fail2;
    for (j = 0; j < k; j++) {
        double ev = w.x[l - 1 - j];
        s->x[j] = sqrt(ev > 0 ? ev : 0.0);
        for (i = 0; i < l; i++)
            MAT_AT(&Wk, i, j) = MAT_AT(&W, i, l - 1 - j);
    }
    if (o->want_vectors) {
        /* left singular vectors (small side) = Q Wk; right = Z Wk / s */
        if ((rc = mat_gemm(&Left, &Q, &Wk, e)))
            goto fail3;
        if ((rc = mat_gemm(&Vk, &Z, &Wk, e))) {
            mat_release(&Left);
            goto fail3;
        }
        for (i = 0; i < Vk.rows; i++)
            for (j = 0; j < k; j++)
                MAT_AT(&Vk, i, j) = s->x[j] > 0 ? MAT_AT(&Vk, i, j) / s->x[j] : 0.0;
        if (small_rows) {
            *U = Left;
            rc = mat_transpose(Vt, &Vk, e);
        } else {
            *U = Vk;
            memset(&Vk, 0, sizeof Vk);
            rc = mat_transpose(Vt, &Left, e);
            mat_release(&Left);
        }
        mat_release(&Vk);
    }
fail3:
    mat_release(&Wk);
fail2:
    mat_release(&w);
    mat_release(&W);
fail:
    mat_release(&Zt);
    mat_release(&Q);
    mat_release(&Z);
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
    if (o->power_iters > SVD_MAX_POWER)
        return core_err_set(e, CORE_EINVAL, "svd: power_iters must be at most %d, got %d", SVD_MAX_POWER,
                            o->power_iters);
    if (a.rows > 0x7fffffffu || a.cols > 0x7fffffffu || (D && D->ld > 0x7fffffffu))
        return core_err_set(e, CORE_ETOOBIG, "svd: %zux%zu exceeds BLAS int limits", a.rows, a.cols);
    memset(&a.T, 0, sizeof a.T);
    if (S && (rc = spm_transpose(&a.T, S, e)))
        return rc;
    rc = o->method == SVD_RANDOMIZED ? svd_randomized(U, s, Vt, &a, k, o, e) : svd_arpack(U, s, Vt, &a, k, o, e);
    spm_free(&a.T);
    if (rc) {
        mat_release(U);
        mat_release(s);
        mat_release(Vt);
    }
    return rc;
}
