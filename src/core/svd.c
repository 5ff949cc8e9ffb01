#include <math.h>
#include <string.h>
#include <arpack.h>
#include "alloc.h"
#include "blas.h"
#include "rng.h"
#include "par.h"
#include "svd.h"

void svd_opts_default(svd_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = SVD_ARPACK;
    o->oversample = 10;
    o->power_iters = 5;
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
 * instead of 12: the pass is memory-bound, so half the bytes is about half the time. */
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
static int op_apply(const op *a, const double *x, double *y, core_err *e)
{
    if (!a->S)
        return blas_gemv("svd", BLAS_N, a->rows, a->cols, 1.0, a->D->x, a->D->ld, x, 0.0, y, e);
    sp_gather(a->S, x, y, 1);
    return CORE_OK;
}

static int op_applyT(const op *a, const double *x, double *y, core_err *e)
{
    if (!a->S)
        return blas_gemv("svd", BLAS_T, a->rows, a->cols, 1.0, a->D->x, a->D->ld, x, 0.0, y, e);
    sp_gather(&a->T, x, y, 1);
    return CORE_OK;
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
    int nev = (int)k, ncv, ido = 0, info = 0, lworkl, iparam[11], ipntr[14], *select = NULL, blas_previous = 0;
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
    select = core_calloc((size_t)ncv, sizeof *select); /* dseupd reads it as workspace */
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
    blas_previous = blas_threads_set(1);
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
        else if (gram_right ? (rc = op_apply(a, workd + ipntr[0] - 1, tmp, e)) ||
                                  (rc = op_applyT(a, tmp, workd + ipntr[1] - 1, e))
                            : (rc = op_applyT(a, workd + ipntr[0] - 1, tmp, e)) ||
                                  (rc = op_apply(a, tmp, workd + ipntr[1] - 1, e)))
            goto done;
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
    blas_threads_restore(blas_previous);
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

/* The Gram pass on blocks: Y (m x l) = M^T M X for M with m columns, in
 * one pass over M: each row r gives z = M_r X, then Y += M_r^T z while the
 * row is still in cache. Both random accesses go to the small side. */
typedef struct bkern {
    const void *M;   /* spm (double buffers) or compact (float buffers) */
    const void *x;
    void *y, *z;     /* per-thread ylen and l buffers */
    size_t l, ylen;
} bkern;

/* T: the element type of x, y and z */
#define GRAM_BLOCK_ROWS(MM, T, K, THREAD, R0, R1)                                        \
    do {                                                                               \
        size_t l_ = (K)->l, c_;                                                        \
        T *restrict y_ = (T *)(K)->y + (size_t)(THREAD) * (K)->ylen;                   \
        T *restrict z_ = (T *)(K)->z + (size_t)(THREAD) * l_;                          \
        const T *xs_ = (const T *)(K)->x;                                              \
        int64_t i_;                                                                    \
        spm_ptr t_, e_;                                                                \
        memset(y_, 0, (K)->ylen * sizeof *y_);                                         \
        for (i_ = (R0); i_ < (R1); i_++) {                                             \
            memset(z_, 0, l_ * sizeof *z_);                                            \
            e_ = (MM)->p[i_ + 1];                                                      \
            /* two entries at once: half the loads and stores of z */                 \
            for (t_ = (MM)->p[i_]; t_ + 1 < e_; t_ += 2) {                             \
                const T *restrict x0_ = xs_ + (size_t)(MM)->j[t_] * l_;                \
                const T *restrict x1_ = xs_ + (size_t)(MM)->j[t_ + 1] * l_;            \
                T a0_ = (T)(MM)->x[t_], a1_ = (T)(MM)->x[t_ + 1];                      \
                for (c_ = 0; c_ < l_; c_++)                                            \
                    z_[c_] += a0_ * x0_[c_] + a1_ * x1_[c_];                           \
            }                                                                          \
            if (t_ < e_) {                                                             \
                const T *restrict x0_ = xs_ + (size_t)(MM)->j[t_] * l_;                \
                T a0_ = (T)(MM)->x[t_];                                                \
                for (c_ = 0; c_ < l_; c_++)                                            \
                    z_[c_] += a0_ * x0_[c_];                                           \
            }                                                                          \
            for (t_ = (MM)->p[i_]; t_ < e_; t_++) {                                    \
                T *restrict yy_ = y_ + (size_t)(MM)->j[t_] * l_;                       \
                T a_ = (T)(MM)->x[t_];                                                 \
                for (c_ = 0; c_ < l_; c_++)                                            \
                    yy_[c_] += a_ * z_[c_];                                            \
            }                                                                          \
        }                                                                              \
    } while (0)

static void gram_block_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const bkern *k = ctx;
    const spm *M = k->M;
    GRAM_BLOCK_ROWS(M, double, k, thread, r0, r1);
}

/* single precision throughout: the pass is memory-bound on the random
 * rows of x and y, and float halves that traffic */
static void gram_block_rows_compact(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const bkern *k = ctx;
    const compact *M = k->M;
    GRAM_BLOCK_ROWS(M, float, k, thread, r0, r1);
}

/* The randomized method's operator G = A A^T (small_rows) or A^T A on the
 * small side, applied to blocks. */
typedef struct gram_op {
    const op *a;
    const spm *gm; /* sparse: the matrix whose columns are the small side */
    compact cm;
    int use_compact, small_rows;
    void *buf, *z, *xf; /* per-thread y and z buffers; x in float (compact) */
} gram_op;

#define GRAM_CHUNK 32

static int gram_apply(gram_op *g, mat *Y, const mat *X, core_err *e)
{
    bkern k;
    mat T;
    size_t n = X->rows * X->cols, i, c, c0, w = GRAM_CHUNK;
    int rc, used, t;
    if (!g->gm) { /* dense: two products */
        rc = g->small_rows ? op_blockT(g->a, &T, X, e) : op_block(g->a, &T, X, e);
        if (rc)
            return rc;
        rc = g->small_rows ? op_block(g->a, Y, &T, e) : op_blockT(g->a, Y, &T, e);
        mat_release(&T);
        return rc;
    }
    if ((rc = mat_init_uninit(Y, X->rows, X->cols, e)))
        return rc;
    k.y = g->buf, k.z = g->z, k.l = X->cols, k.ylen = n;
    if (!g->use_compact) {
        k.M = g->gm, k.x = X->x;
        sum_buffers(Y->x, g->buf, par_rows(g->gm, gram_block_rows, &k), n);
        return CORE_OK;
    }
    /* column chunks, each m x w and contiguous: the random rows of x and y
     * then stay in cache, at the price of one more stream of M per chunk */
    for (c0 = 0; c0 < X->cols; c0 += w) {
        float *xf = g->xf, *yb = g->buf;
        w = X->cols - c0 < GRAM_CHUNK ? X->cols - c0 : GRAM_CHUNK;
        for (i = 0; i < X->rows; i++)
            for (c = 0; c < w; c++)
                xf[i * w + c] = (float)MAT_AT(X, i, c0 + c);
        k.M = &g->cm, k.x = xf, k.l = w, k.ylen = X->rows * w;
        used = par_rows(g->gm, gram_block_rows_compact, &k);
        for (i = 0; i < X->rows; i++)
            for (c = 0; c < w; c++) {
                double acc = 0.0;
                for (t = 0; t < used; t++)
                    acc += (double)yb[(size_t)t * k.ylen + i * w + c];
                MAT_AT(Y, i, c0 + c) = acc;
            }
    }
    return CORE_OK;
}

/* X -= K K^T X twice (classical Gram-Schmidt with reorthogonalisation);
 * K is m x L with orthonormal columns, X is m x l contiguous; C (L x l, a
 * view) receives the coefficients K^T X of both passes. */
static int project_out(const mat *K, mat *X, mat *C, core_err *e)
{
    mat P;
    size_t i, j;
    int pass, rc;
    if ((rc = mat_init_uninit(&P, K->cols, X->cols, e)))
        return rc;
    for (pass = 0; pass < 2; pass++) {
        if ((rc = blas_gemm("svd", BLAS_T, BLAS_N, K->cols, X->cols, K->rows, 1.0, K->x, K->ld, X->x, X->ld, 0.0, P.x,
                            P.ld, e)) ||
            (rc = blas_gemm("svd", BLAS_N, BLAS_N, X->rows, X->cols, K->cols, -1.0, K->x, K->ld, P.x, P.ld, 1.0, X->x,
                            X->ld, e))) {
            mat_release(&P);
            return rc;
        }
        for (i = 0; i < P.rows; i++)
            for (j = 0; j < P.cols; j++)
                MAT_AT(C, i, j) = (pass ? MAT_AT(C, i, j) : 0.0) + MAT_AT(&P, i, j);
    }
    mat_release(&P);
    return CORE_OK;
}

/* Copies the first w columns of X into columns c0.. of D */
static void put_cols(mat *D, const mat *X, size_t c0, size_t w)
{
    size_t i;
    for (i = 0; i < X->rows; i++)
        memcpy(&MAT_AT(D, i, c0), &MAT_AT(X, i, 0), w * sizeof(double));
}

/* Randomized block Krylov SVD (Halko, Martinsson & Tropp 2011; Musco &
 * Musco 2015) on the Gram operator G of the small side: the space
 * K = [Q0, G Q0, ..., G^q Q0] from a Gaussian Q0 (m x l), each block
 * orthogonalised against the earlier ones, then Rayleigh-Ritz with
 * H = K^T G K, whose eigenvalues are the squared singular values. H needs
 * no product of its own: G Q_j = K_{<=j} C_j + Q_{j+1} R_{j+1}, so its
 * block column j is the projection coefficients C_j over the factor R_{j+1}
 * of the next block's QR (block Lanczos, with full reorthogonalisation).
 * The other side's vectors cost one more product, only when wanted. */
static int svd_randomized(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    gram_op g;
    int small_rows = a->rows <= a->cols, rc, blas_previous = 0;
    size_t m = small_rows ? a->rows : a->cols, l = k + (size_t)(o->oversample > 0 ? o->oversample : 0);
    size_t nb, b, L, Lmax, col, prev = 0, i, j, threads = (size_t)par_threads();
    mat K, X, Y, R, Kv, Hf, Hv, H, w, W, Wk, Left, Vk;
    rng r;
    double scale = 0.0;
    l = (l + 7) & ~(size_t)7; /* whole 32-byte float rows in the Gram pass */
    if (l > m)
        l = m;
    nb = (size_t)o->power_iters + 1;
    Lmax = nb > m / l ? m : nb * l;
    memset(&g, 0, sizeof g);
    memset(&K, 0, sizeof K), memset(&Hf, 0, sizeof Hf), memset(&H, 0, sizeof H);
    memset(&w, 0, sizeof w), memset(&W, 0, sizeof W), memset(&Wk, 0, sizeof Wk);
    memset(&X, 0, sizeof X), memset(&Y, 0, sizeof Y), memset(&R, 0, sizeof R);
    memset(&Kv, 0, sizeof Kv), memset(&Hv, 0, sizeof Hv);
    g.a = a, g.small_rows = small_rows;
    if (a->S) {
        g.gm = small_rows ? &a->T : a->S;
        g.use_compact = g.gm->cols <= 65536 && (o->single == SVD_AUTO ? SPM_NNZ(g.gm) >= SVD_SINGLE_NNZ : o->single);
        if (m * l > SIZE_MAX / sizeof(double) / threads)
            return core_err_set(e, CORE_ETOOBIG, "svd: %zu x %zu block buffers overflow", m, l);
        g.buf = core_malloc(threads * m * l * sizeof(double));
        g.z = core_malloc(threads * l * sizeof(double));
        g.xf = g.use_compact ? core_malloc(m * l * sizeof(float)) : NULL;
        if (!g.buf || !g.z || (g.use_compact && !g.xf)) {
            rc = core_err_nomem(e, "svd", (double)threads * (double)m * (double)(l + 1) * 8);
            goto done;
        }
        if (g.use_compact && (rc = compact_init(&g.cm, g.gm, e)))
            goto done;
    }
    if ((rc = mat_init(&K, m, Lmax, e)) || (rc = mat_init(&Hf, Lmax, Lmax, e)) ||
        (rc = mat_init_uninit(&X, m, l, e)))
        goto done;
    rng_seed(&r, o->seed);
    for (i = 0; i < m * l; i++)
        X.x[i] = rng_normal(&r);
    if (g.gm) /* idle OpenBLAS threads would spin against the Gram pass's threads */
        blas_previous = blas_threads_set(1);
    for (b = 0, col = 0;;) {
        /* X holds the next block, projected off the earlier ones; scale is
         * its size before the projection. The last block may be narrower
         * (wb columns) when the space reaches m: the first wb columns of
         * its QR, whose coefficients are then the first wb rows of R. */
        size_t wb = Lmax - col < l ? Lmax - col : l;
        if ((rc = mat_qr(&Y, &R, &X, e)))
            goto done;
        mat_release(&X);
        for (j = 0; j < wb; j++) /* G's range is exhausted: the blocks so far span it */
            if (!(fabs(MAT_AT(&R, j, j)) > 1e-10 * scale))
                break;
        if (j < wb && b > 0)
            break;
        if (b > 0) {
            mat view;
            mat_view(&Hv, &Hf, col, prev, wb, l);
            mat_view(&view, &R, 0, 0, wb, l);
            mat_assign(&Hv, &view);
            mat_release(&Hv), mat_release(&view);
        }
        mat_release(&R);
        put_cols(&K, &Y, col, wb);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if (wb < l) { /* the block alone, contiguous */
            mat_view(&Kv, &K, 0, col, m, wb);
            mat_release(&Y);
            rc = mat_copy(&Y, &Kv, e);
            mat_release(&Kv);
            if (rc)
                goto done;
        }
        rc = gram_apply(&g, &X, &Y, e);
        mat_release(&Y);
        if (rc)
            goto done;
        for (scale = 0.0, i = 0; i < m * wb; i++)
            scale = fmax(scale, fabs(X.x[i]));
        prev = col, col += wb, b++;
        mat_view(&Kv, &K, 0, 0, m, col);
        mat_view(&Hv, &Hf, 0, prev, col, wb);
        if (b == nb || col == Lmax) { /* the last block: its coefficients only */
            if ((rc = blas_gemm("svd", BLAS_T, BLAS_N, Kv.cols, wb, m, 1.0, Kv.x, Kv.ld, X.x, X.ld, 0.0, Hv.x, Hv.ld,
                                e)))
                goto done;
            break;
        }
        rc = project_out(&Kv, &X, &Hv, e);
        mat_release(&Kv), mat_release(&Hv);
        if (rc)
            goto done;
    }
    mat_release(&Kv), mat_release(&Hv);
    mat_release(&X), mat_release(&Y), mat_release(&R);
    blas_threads_restore(blas_previous), blas_previous = 0;
    L = col;
    /* symmetrised: the eigenvalues of H are the Ritz values */
    mat_view(&Hv, &Hf, 0, 0, L, L);
    rc = mat_copy(&H, &Hv, e);
    mat_release(&Hv);
    if (rc)
        goto done;
    mat_view(&Kv, &K, 0, 0, m, L);
    for (i = 0; i < L; i++)
        for (j = i + 1; j < L; j++)
            MAT_AT(&H, i, j) = MAT_AT(&H, j, i) = 0.5 * (MAT_AT(&H, i, j) + MAT_AT(&H, j, i));
    if ((rc = mat_eigh(&w, &W, &H, e)))
        goto done;
    /* the k largest eigenpairs, descending */
    if ((rc = mat_init(s, k, 1, e)) || (rc = mat_init(&Wk, L, k, e)))
        goto done;
    for (j = 0; j < k; j++) {
        double ev = w.x[L - 1 - j];
        s->x[j] = sqrt(ev > 0 ? ev : 0.0);
        for (i = 0; i < L; i++)
            MAT_AT(&Wk, i, j) = MAT_AT(&W, i, L - 1 - j);
    }
    if (o->want_vectors) {
        /* small side: K Wk; big side: A^T (K Wk) / s (or A (K Wk) / s) */
        if ((rc = mat_gemm(&Left, &Kv, &Wk, e)))
            goto done;
        rc = small_rows ? op_blockT(a, &Vk, &Left, e) : op_block(a, &Vk, &Left, e);
        if (rc) {
            mat_release(&Left);
            goto done;
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
done:
    blas_threads_restore(blas_previous);
    mat_release(&X), mat_release(&Y), mat_release(&R), mat_release(&K), mat_release(&Hf), mat_release(&H);
    mat_release(&Kv), mat_release(&Hv);
    mat_release(&w), mat_release(&W), mat_release(&Wk);
    core_free(g.cm.j);
    core_free(g.cm.x);
    core_free(g.buf);
    core_free(g.z);
    core_free(g.xf);
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
    { /* a NaN or infinity poisons every Krylov vector: ARPACK's error would not say why */
        size_t i, n = S ? (size_t)SPM_NNZ(S) : 0;
        int bad = D && !mat_all_finite(D);
        for (i = 0; i < n && !bad; i++)
            bad = !isfinite(S->x[i]);
        if (bad)
            return core_err_set(e, CORE_EINVAL, "svd: the input has NaN or infinite entries");
    }
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
