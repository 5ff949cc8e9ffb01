/* The truncated SVD's operator A, sparse or dense, and its products:
 * vectors and blocks, and the Gram operator A^T A (or A A^T) in one pass
 * over the sparse matrix, also on a compact float copy. */
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "par.h"
#include "svd_impl.h"

typedef struct kern {
    const spm *M;
    const double *x;
    double *y;      /* gather: rows x l; scatter: per-thread cols x l buffers */
    size_t l, ylen;
} kern;

/* y[i,:] = sum_j M[i,j] x[j,:] */
SIMEC_HOT static void gather_rows(void *ctx, int thread, int64_t r0, int64_t r1)
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
SIMEC_HOT static void scatter_rows(void *ctx, int thread, int64_t r0, int64_t r1)
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

void svd_gram_compact(const compact *M, const spm *shape, const double *x, double *y, double *buf)
{
    ckern k;
    size_t n = (size_t)M->cols;
    int used;
    k.M = M, k.x = x, k.y = buf, k.ylen = n;
    used = par_rows(shape, (par_fn)gram_rows_compact, &k);
    sum_buffers(y, buf, used, n);
}

int svd_compact_init(compact *c, const spm *M, core_err *e)
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
void svd_gram_vec(const spm *M, const double *x, double *y, double *buf)
{
    kern k;
    size_t n = (size_t)M->cols;
    int used;
    k.M = M, k.x = x, k.y = buf, k.l = 1, k.ylen = n;
    used = par_rows(M, gram_rows, &k);
    sum_buffers(y, buf, used, n);
}

/* y = A x (transpose: A^T x) for vectors: both gathers touch a small vector */
int svd_op_apply(const op *a, const double *x, double *y, core_err *e)
{
    if (!a->S)
        return blas_gemv("svd", BLAS_N, a->rows, a->cols, 1.0, a->D->x, a->D->ld, x, 0.0, y, e);
    sp_gather(a->S, x, y, 1);
    return CORE_OK;
}

int svd_op_applyT(const op *a, const double *x, double *y, core_err *e)
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

int svd_op_block(const op *a, mat *Y, const mat *X, core_err *e) { return op_block_any(a, Y, X, 0, e); }
int svd_op_blockT(const op *a, mat *Y, const mat *X, core_err *e) { return op_block_any(a, Y, X, 1, e); }

/* Fills U, Vt from the right (or left) singular vectors in V (n x k,
 * column-major) and s: the other side is A V / s (or A^T U / s). */
int svd_finish_vectors(const op *a, mat *U, mat *Vt, const double *vecs, size_t n, size_t k, const double *s,
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

SIMEC_HOT static void gram_block_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const bkern *k = ctx;
    const spm *M = k->M;
    GRAM_BLOCK_ROWS(M, double, k, thread, r0, r1);
}

/* single precision throughout: the pass is memory-bound on the random
 * rows of x and y, and float halves that traffic */
SIMEC_HOT static void gram_block_rows_compact(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const bkern *k = ctx;
    const compact *M = k->M;
    GRAM_BLOCK_ROWS(M, float, k, thread, r0, r1);
}

#define GRAM_CHUNK 32

/* A chunk row of x, y or z: GRAM_CHUNK floats as four 8-float vectors, z
 * held in registers over the whole row (generic vectors: AVX2 in the
 * x86-64-v3 clone, SSE pairs otherwise); rows need not be aligned. */
typedef float gvec __attribute__((vector_size(32), aligned(4)));
#define GRAM_VECS (GRAM_CHUNK / 8)

/* The compact pass on a full chunk: as GRAM_BLOCK_ROWS with l = GRAM_CHUNK */
SIMEC_HOT static void gram_chunk_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const bkern *k = ctx;
    const compact *M = k->M;
    gvec *restrict y = (gvec *)((float *)k->y + (size_t)thread * k->ylen);
    const gvec *xs = k->x;
    const uint16_t *jj = M->j;
    const float *xx = M->x;
    spm_ptr t, b, e;
    int64_t i;
    int c;
    memset(y, 0, k->ylen * sizeof(float));
    for (i = r0; i < r1; i++) {
        gvec z[GRAM_VECS], u[GRAM_VECS];
        for (c = 0; c < GRAM_VECS; c++)
            z[c] = u[c] = (gvec){0};
        b = M->p[i], e = M->p[i + 1];
        /* two entries at once into two sums: the adds of one do not wait on the other */
        for (t = b; t + 1 < e; t += 2) {
            const gvec *x0 = xs + (size_t)jj[t] * GRAM_VECS, *x1 = xs + (size_t)jj[t + 1] * GRAM_VECS;
            float a0 = xx[t], a1 = xx[t + 1];
            for (c = 0; c < GRAM_VECS; c++) {
                z[c] += a0 * x0[c];
                u[c] += a1 * x1[c];
            }
        }
        if (t < e) {
            const gvec *x0 = xs + (size_t)jj[t] * GRAM_VECS;
            float a0 = xx[t];
            for (c = 0; c < GRAM_VECS; c++)
                z[c] += a0 * x0[c];
        }
        for (c = 0; c < GRAM_VECS; c++)
            z[c] += u[c];
        for (t = b; t < e; t++) {
            gvec *yy = y + (size_t)jj[t] * GRAM_VECS;
            float a = xx[t];
            for (c = 0; c < GRAM_VECS; c++)
                yy[c] += a * z[c];
        }
    }
}

int svd_gram_apply(gram_op *g, mat *Y, const mat *X, core_err *e)
{
    bkern k;
    mat T;
    size_t n = X->rows * X->cols, i, c, c0, w = GRAM_CHUNK;
    int rc, used, t;
    if (!g->gm) { /* dense: two products */
        rc = g->small_rows ? svd_op_blockT(g->a, &T, X, e) : svd_op_block(g->a, &T, X, e);
        if (rc)
            return rc;
        rc = g->small_rows ? svd_op_block(g->a, Y, &T, e) : svd_op_blockT(g->a, Y, &T, e);
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
        used = par_rows(g->gm, w == GRAM_CHUNK ? gram_chunk_rows : gram_block_rows_compact, &k);
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
