/* The output layer's passes over a batch: its loss and the gradients of
 * the embedding (dY) and of the last layer, for each kind of target. The
 * masked pass on sparse targets, fused with the last layer's optimiser
 * step when the fit allows it; the Gram form for zero-filled targets under
 * the squared error; and column chunks of the dense outputs otherwise. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "par.h"
#include "simec_impl.h"
#include "vec.h"

#define OUT_CHUNK 1024

/* The step size of the batch being taken: a pass that steps the last layer
 * itself steps before simec_update counts the step */
static double next_step_size(const simec *m)
{
    return simec_opt_step_size(&m->cfg, (double)(m->step + 1));
}

/* Masked loss on sparse targets: only the stored entries of the batch's
 * rows, each row's loss the mean over its entries. Threads take disjoint
 * column ranges, so their writes to the last layer's gradient never meet;
 * each has its own embedding-gradient buffer, summed in thread order. */
typedef struct mctx {
    const simec *m;
    const spm *T;
    const size_t *rows;
    size_t n;
    const mat *Y;
    double *dy;          /* threads x n x d, or NULL */
    double *gV;          /* or NULL */
    double loss[PAR_MAX];
} mctx;

SIMEC_HOT static void masked_cols(void *ctx, int thread, int64_t c0, int64_t c1)
{
    mctx *k = ctx;
    const simec_layer *L = SIMEC_LAST(k->m);
    const double *V = k->m->theta + L->w_off;
    const spm *T = k->T;
    size_t d = L->in, r, c, n = k->n;
    double total = 0.0;
    for (r = 0; r < n; r++) {
        const double *y = &MAT_AT(k->Y, r, 0);
        double *dy = k->dy ? k->dy + ((size_t)thread * n + r) * d : NULL, row = 0.0;
        double scale = simec_row_scale(T, k->rows[r], n);
        spm_ptr end = T->p[k->rows[r] + 1], t;
        for (t = spm_first_col(T, T->p[k->rows[r]], end, c0); t < end && T->j[t] < c1; t++) {
            size_t col = (size_t)T->j[t];
            const double *v = V + col * d;
            double z = vec_dot(y, v, d), dz;
            row += simec_loss1(k->m->cfg.loss, L->act, z, T->x[t], &dz);
            if (!dy)
                continue;
            dz *= scale;
            for (c = 0; c < d; c++)
                dy[c] += dz * v[c];
            if (k->gV) {
                double *gv = k->gV + col * d;
                for (c = 0; c < d; c++)
                    gv[c] += dz * y[c];
            }
        }
        total += row * scale;
    }
    k->loss[thread] = total;
}

static int masked_threads(const spm *T, const size_t *rows, size_t n, size_t *nnz)
{
    size_t r;
    for (*nnz = 0, r = 0; r < n; r++)
        *nnz += (size_t)(T->p[rows[r] + 1] - T->p[rows[r]]);
    return *nnz < 20000 ? 1 : par_threads(); /* not worth a thread */
}

static int out_masked(const simec *m, const spm *T, const size_t *rows, size_t n, const mat *Y, mat *dY, simec_grad *G,
                      double *loss, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    mctx k;
    size_t d = L->in, i, nnz;
    int threads = masked_threads(T, rows, n, &nnz), used, t;
    memset(&k, 0, sizeof k);
    k.m = m, k.T = T, k.rows = rows, k.n = n, k.Y = Y;
    k.gV = G && !m->cfg.wll_frozen ? G->g + L->w_off : NULL;
    if (dY && !(k.dy = core_calloc((size_t)threads * n * d, sizeof(double))))
        return core_err_nomem(e, "SimEc batch", (double)threads * (double)n * (double)d * 8);
    used = par_range((int64_t)L->out, threads, masked_cols, &k);
    for (*loss = 0.0, t = 0; t < used; t++) {
        *loss += k.loss[t];
        if (dY)
            for (i = 0; i < n * d; i++)
                dY->x[i] += k.dy[(size_t)t * n * d + i];
    }
    core_free(k.dy);
    return CORE_OK;
}

/* Zero-filled sparse targets under the squared error with a linear output
 * (when gram_cheaper): every output of the batch without forming them. With Z = Y V^T and T the
 * batch's targets (zero where none is stored), sum (Z - T)^2 =
 * sum_r y_r (V^T V) y_r - 2 sum_T t z + sum_T t^2, and the gradients are
 * dY = 2s (Y V^T V - T V), gV = 2s (V Y^T Y - T^T Y): the cost follows the
 * stored entries and d x d products, not rows x outputs. */
static int gram_applies(const simec *m, const simec_target *t)
{
    return t->S && m->cfg.missing == SIMEC_ZERO && m->cfg.loss == SIMEC_MSE && SIMEC_LAST(m)->act == SIMEC_LINEAR;
}

/* Whether the Gram pass costs less than forming the n rows' outputs: its
 * V^T V and V Y^T Y take 2 out d^2 multiply-adds (V^T V alone when V is
 * frozen), the outputs about n out (3 d + 4). A wide embedding with a
 * small batch is cheaper the direct way. */
static int gram_cheaper(const simec *m, size_t n)
{
    double d = (double)m->cfg.emb_dim, out = (double)SIMEC_LAST(m)->out;
    double gram = (m->cfg.wll_frozen ? 1.0 : 2.0) * out * d * d, direct = (double)n * out * (3.0 * d + 4.0);
    return gram < direct;
}

/* The Gram pass over output columns [c0, c1) of the last layer (V's rows),
 * a block of rows at a time while the block is in cache: its share of
 * V^T V, the batch's stored entries in its columns (each row's cursor
 * moves on block by block), its gradient rows and, with a step, its
 * optimiser step. Stepping, the block's gradient lives in a per-thread
 * buffer: the whole-layer gradient is never written or read, so a batch
 * moves V and its moments through memory once. Threads take disjoint
 * column ranges, so their writes to V and its gradient never meet; each
 * sums into its own slot of VV, loss terms and dY. */
#define GRAM_BLOCK_PARAMS 8192
/* the cursors share the pass's buffer of doubles */
_Static_assert(sizeof(spm_ptr) == sizeof(double), "a cursor takes a double's slot");

typedef struct gctx {
    simec *m;
    const spm *T;
    const size_t *rows;
    size_t n, block; /* block: V's rows a block */
    const mat *Y;
    const double *YY; /* Y^T Y (with gV) */
    double *VV;       /* per thread d x d, or NULL when the frozen layer's VV is known */
    double *dy;       /* per thread n x d, or NULL */
    double *gbuf;     /* per thread block x d, stepping */
    spm_ptr *cur;     /* per thread n cursors */
    double *gV, s, lr_t;
    int step;
    double cross[PAR_MAX], tsq[PAR_MAX];
    int rc[PAR_MAX];
} gctx;

SIMEC_HOT static void gram_cols(void *ctx, int thread, int64_t c0, int64_t c1)
{
    gctx *k = ctx;
    simec *m = k->m;
    const simec_layer *L = SIMEC_LAST(m);
    const spm *T = k->T;
    double *V = m->theta + L->w_off, s = k->s, cross = 0.0, tsq = 0.0;
    double *dy = k->dy ? k->dy + (size_t)thread * k->n * L->in : NULL;
    double *VV = k->VV ? k->VV + (size_t)thread * L->in * L->in : NULL;
    spm_ptr *cur = k->cur + (size_t)thread * k->n;
    size_t d = L->in, r, c, j;
    core_err e = {0};
    int rc = CORE_OK;
    for (r = 0; r < k->n; r++) /* each row's first stored target at or after column c0 */
        cur[r] = spm_first_col(T, T->p[k->rows[r]], T->p[k->rows[r] + 1], c0);
    for (j = (size_t)c0; j < (size_t)c1; j += k->block) {
        size_t b = (size_t)c1 - j < k->block ? (size_t)c1 - j : k->block, j1 = j + b;
        const double *Vb = V + j * d;
        /* the block's gradient rows: its own buffer when stepping, else the layer's */
        double *g = k->step ? k->gbuf + (size_t)thread * k->block * d : k->gV ? k->gV + j * d : NULL;
        if (VV && (rc = blas_gram("SimEc outputs", d, b, 1.0, Vb, d, 1.0, VV, d, &e)))
            goto done;
        if (g && (rc = blas_gemm("SimEc outputs", BLAS_N, BLAS_N, b, d, d, 2.0 * s, Vb, d, k->YY, d,
                                 k->step ? 0.0 : 1.0, g, d, &e)))
            goto done;
        for (r = 0; r < k->n; r++) {
            const double *y = &MAT_AT(k->Y, r, 0);
            spm_ptr t, end = T->p[k->rows[r] + 1];
            for (t = cur[r]; t < end && (size_t)T->j[t] < j1; t++) {
                const double *v = V + (size_t)T->j[t] * d;
                double tv = T->x[t], z = vec_dot(y, v, d);
                cross += tv * z, tsq += tv * tv;
                if (dy)
                    for (c = 0; c < d; c++)
                        dy[r * d + c] -= 2.0 * s * tv * v[c];
                if (g) {
                    double *gv = g + ((size_t)T->j[t] - j) * d;
                    for (c = 0; c < d; c++)
                        gv[c] -= 2.0 * s * tv * y[c];
                }
            }
            cur[r] = t;
        }
        if (k->step) /* the block's gradient is complete */
            simec_opt_step(m, L->w_off + j * d, b * d, g, k->lr_t);
    }
done:
    k->cross[thread] = cross, k->tsq[thread] = tsq, k->rc[thread] = rc;
}

/* Below this many last-layer parameters one thread runs the Gram pass: a
 * thread's start costs more than its share of a small layer */
#define GRAM_PAR (1 << 16)

static int out_gram(simec *m, const spm *T, const size_t *rows, size_t n, const mat *Y, mat *dY, simec_grad *G,
                    double *loss, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    size_t d = L->in, out = L->out, r, c, per, nnz;
    const double *VV = G ? G->vv : NULL; /* a frozen layer's, computed once a fit */
    /* with a frozen layer's V^T V known, only the stored entries are left */
    int threads = VV ? masked_threads(T, rows, n, &nnz) : out * d < GRAM_PAR ? 1 : par_threads(), used, t;
    int rc = CORE_OK;
    double quad = 0.0, *YG = core_malloc((n ? n : 1) * d * sizeof *YG), *buf;
    gctx k;
    memset(&k, 0, sizeof k);
    k.m = m, k.T = T, k.rows = rows, k.n = n, k.Y = Y;
    k.s = 1.0 / ((double)(out ? out : 1) * (double)n);
    k.gV = G && !m->cfg.wll_frozen ? G->g + L->w_off : NULL;
    k.step = k.gV && G->step_last;
    k.lr_t = next_step_size(m);
    k.block = GRAM_BLOCK_PARAMS / d > 16 ? GRAM_BLOCK_PARAMS / d : 16;
    /* per thread: VV (d x d), dY (n x d), the block's gradient (block x d)
     * and n cursors; then Y^T Y */
    per = d * d + n * d + (k.step ? k.block * d : 0) + n;
    buf = core_calloc((size_t)threads * per + d * d, sizeof *buf);
    if (!YG || !buf) {
        core_free(YG), core_free(buf);
        return core_err_nomem(e, "SimEc outputs", ((double)threads * (double)per + (double)(d * d)) * 8);
    }
    k.VV = VV ? NULL : buf;
    k.dy = dY ? buf + (size_t)threads * d * d : NULL;
    k.gbuf = k.step ? buf + (size_t)threads * (d * d + n * d) : NULL;
    k.cur = (spm_ptr *)(buf + (size_t)threads * (per - n));
    k.YY = buf + (size_t)threads * per;
    if (k.gV && (rc = blas_gram("SimEc outputs", d, n, 1.0, Y->x, Y->ld, 0.0, (double *)k.YY, d, e)))
        goto done;
    if (threads > 1) {
        int previous = blas_threads_set(1);
        used = par_range((int64_t)out, threads, gram_cols, &k);
        blas_threads_restore(previous);
    } else
        gram_cols(&k, 0, 0, (int64_t)out), used = 1;
    for (t = 0; t < used && rc == CORE_OK; t++)
        if (k.rc[t] != CORE_OK)
            rc = core_err_set(e, k.rc[t], "SimEc outputs: a product failed");
    if (rc)
        goto done;
    if (k.step)
        G->stepped_last = 1;
    if (!VV) { /* the threads' shares of V^T V, summed in thread order */
        for (t = 1; t < used; t++)
            for (c = 0; c < d * d; c++)
                buf[c] += buf[(size_t)t * d * d + c];
        VV = buf;
        if (G && m->cfg.wll_frozen && (G->vv = core_malloc(d * d * sizeof *G->vv)))
            memcpy(G->vv, buf, d * d * sizeof *buf); /* without memory: computed again next batch */
    }
    if ((rc = blas_gemm("SimEc outputs", BLAS_N, BLAS_N, n, d, d, 1.0, Y->x, Y->ld, VV, d, 0.0, YG, d, e)))
        goto done;
    for (r = 0; r < n; r++) {
        const double *y = &MAT_AT(Y, r, 0);
        for (c = 0; c < d; c++)
            quad += y[c] * YG[r * d + c];
        if (dY)
            for (c = 0; c < d; c++) {
                double g = 2.0 * k.s * YG[r * d + c];
                for (t = 0; t < used; t++)
                    g += k.dy[((size_t)t * n + r) * d + c];
                MAT_AT(dY, r, c) += g;
            }
    }
    for (t = 0; t < used; t++)
        quad += -2.0 * k.cross[t] + k.tsq[t];
    *loss = k.s * quad;
done:
    core_free(YG), core_free(buf);
    return rc;
}

/* Every output of the batch, in column chunks: zero-filled sparse targets,
 * or dense targets (NaN missing under a masked loss). A wide output layer
 * (OUT_PAR_CHUNKS chunks or more) is cut into chunk ranges on several
 * threads, each with its own buffers, its own share of dY (summed in thread
 * order) and single-threaded BLAS: the chunks' products are too small for
 * OpenBLAS's threads, which spent their time yielding to each other. */
#define OUT_PAR_CHUNKS 8

typedef struct cctx {
    simec *m;
    const simec_target *t;
    const size_t *rows;
    size_t n, nchunks;
    const mat *Y;
    const double *V, *scale;
    double *gV, lr_t;
    int mask, want_dY, step;
    double *scratch; /* per thread: Z and Tc (n x OUT_CHUNK each), dY (n x d), then, stepping, a chunk's
                      * gradient (OUT_CHUNK x d) */
    spm_ptr *cur;    /* per thread: n cursors into the sparse targets */
    double loss[PAR_MAX];
    int rc[PAR_MAX];
} cctx;

/* The squared error of a row of w outputs z against targets t, its terms
 * scaled by s; z becomes the scaled derivative 2 (z - t) s, as simec_loss1
 * gives it. A wide layer's rows are long: the sum runs in four chains,
 * which the vector unit takes, where simec_loss1 per output would add to
 * one. */
SIMEC_HOT static double mse_row(double *restrict z, const double *restrict t, size_t w, double s)
{
    double a[4] = {0.0, 0.0, 0.0, 0.0};
    size_t c, i;
    for (c = 0; c + 4 <= w; c += 4)
        for (i = 0; i < 4; i++) {
            double dd = z[c + i] - t[c + i];
            a[i] += dd * dd;
            z[c + i] = 2.0 * dd * s;
        }
    for (; c < w; c++) {
        double dd = z[c] - t[c];
        a[0] += dd * dd;
        z[c] = 2.0 * dd * s;
    }
    return ((a[0] + a[1]) + (a[2] + a[3])) * s;
}

/* Chunks [q0, q1) in order, dY accumulated into dy (leading dimension ldy).
 * Stepping, each chunk's gradient goes to gbuf and the chunk's rows of the
 * last layer take their optimiser step at once, while they are in cache:
 * every later use of those rows (this chunk's dY first) is done, and the
 * whole layer's gradient is never written. */
static int chunk_run(const cctx *k, size_t q0, size_t q1, double *Z, double *Tc, spm_ptr *cur, double *dy,
                     size_t ldy, double *gbuf, double *total, core_err *e)
{
    simec *m = k->m;
    const simec_layer *L = SIMEC_LAST(m);
    const simec_target *t = k->t;
    const mat *Y = k->Y;
    const double *V = k->V;
    size_t d = L->in, out = L->out, n = k->n, r, c, q;
    int rc, mse = !k->mask && m->cfg.loss == SIMEC_MSE && L->act == SIMEC_LINEAR;
    for (r = 0; r < n; r++) { /* each row's first stored target at or after column q0 * OUT_CHUNK */
        cur[r] = !t->S ? 0 : spm_first_col(t->S, t->S->p[k->rows[r]], t->S->p[k->rows[r] + 1],
                                           (int64_t)(q0 * OUT_CHUNK));
    }
    for (q = q0; q < q1; q++) {
        size_t c0 = q * OUT_CHUNK, w = out - c0 < OUT_CHUNK ? out - c0 : OUT_CHUNK;
        if ((rc = blas_gemm("SimEc outputs", BLAS_N, BLAS_T, n, w, d, 1.0, Y->x, Y->ld, V + c0 * d, d, 0.0, Z, w, e)))
            return rc;
        for (r = 0; r < n; r++) {
            double *tc = Tc + r * w;
            if (t->D)
                memcpy(tc, &MAT_AT(t->D, k->rows[r], c0), w * sizeof *tc);
            else {
                const spm *S = t->S;
                spm_ptr end = S->p[k->rows[r] + 1];
                memset(tc, 0, w * sizeof *tc);
                while (cur[r] < end && (size_t)S->j[cur[r]] < c0 + w) {
                    tc[S->j[cur[r]] - c0] = S->x[cur[r]];
                    cur[r]++;
                }
            }
            if (mse) {
                *total += mse_row(Z + r * w, tc, w, k->scale[r]);
                continue;
            }
            for (c = 0; c < w; c++) {
                double dz, *z = Z + r * w + c;
                if (k->mask && isnan(tc[c])) {
                    *z = 0.0;
                    continue;
                }
                *total += simec_loss1(m->cfg.loss, L->act, *z, tc[c], &dz) * k->scale[r];
                *z = dz * k->scale[r];
            }
        }
        if (k->want_dY && ((rc = blas_gemm("SimEc outputs", BLAS_N, BLAS_N, n, d, w, 1.0, Z, w, V + c0 * d, d, 1.0, dy,
                                           ldy, e)) ||
                           (k->gV && (rc = blas_gemm("SimEc outputs", BLAS_T, BLAS_N, w, d, n, 1.0, Z, w, Y->x, Y->ld,
                                                     k->step ? 0.0 : 1.0, k->step ? gbuf : k->gV + c0 * d, d,
                                                     e)))))
            return rc;
        if (k->step) /* the chunk's gradient is complete */
            simec_opt_step(m, L->w_off + c0 * d, w * d, gbuf, k->lr_t);
    }
    return CORE_OK;
}

/* a thread's scratch: Z, Tc, dY and, stepping, a chunk's gradient */
static size_t chunk_scratch(size_t n, size_t d, int step)
{
    return n * (2 * OUT_CHUNK + d) + (step ? OUT_CHUNK * d : 0);
}

static void chunk_range(void *ctx, int thread, int64_t a, int64_t b)
{
    cctx *k = ctx;
    size_t n = k->n, d = SIMEC_LAST(k->m)->in;
    double *buf = k->scratch + (size_t)thread * chunk_scratch(n, d, k->step);
    core_err e = {0};
    k->loss[thread] = 0.0;
    k->rc[thread] = chunk_run(k, (size_t)a, (size_t)b, buf, buf + n * OUT_CHUNK, k->cur + (size_t)thread * n,
                              buf + 2 * n * OUT_CHUNK, d, buf + n * (2 * OUT_CHUNK + d), &k->loss[thread], &e);
}

static int out_chunked(simec *m, const simec_target *t, const size_t *rows, size_t n, const mat *Y, mat *dY,
                       simec_grad *G, double *loss, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    size_t d = L->in, out = L->out, r, c, per;
    int threads = 1, used, k, rc = CORE_OK;
    double *scale = core_malloc((n ? n : 1) * sizeof *scale), total = 0.0;
    cctx x;
    memset(&x, 0, sizeof x);
    x.m = m, x.t = t, x.rows = rows, x.n = n, x.Y = Y, x.V = m->theta + L->w_off, x.scale = scale;
    x.gV = G && !m->cfg.wll_frozen ? G->g + L->w_off : NULL;
    x.mask = m->cfg.missing == SIMEC_MASK && t->D;
    x.want_dY = dY != NULL;
    x.step = x.gV && x.want_dY && G->step_last;
    x.lr_t = next_step_size(m);
    x.nchunks = (out + OUT_CHUNK - 1) / OUT_CHUNK;
    if (x.nchunks >= OUT_PAR_CHUNKS)
        threads = par_threads();
    per = chunk_scratch(n, d, x.step);
    x.scratch = core_malloc((size_t)threads * (per ? per : 1) * sizeof *x.scratch);
    x.cur = core_malloc((size_t)threads * (n ? n : 1) * sizeof *x.cur);
    if (!scale || !x.scratch || !x.cur) {
        core_free(scale), core_free(x.scratch), core_free(x.cur);
        return core_err_nomem(e, "SimEc outputs", (double)threads * (double)per * 8);
    }
    for (r = 0; r < n; r++) {
        size_t cnt = out;
        if (x.mask)
            for (cnt = 0, c = 0; c < out; c++)
                cnt += !isnan(MAT_AT(t->D, rows[r], c));
        scale[r] = 1.0 / ((double)(cnt ? cnt : 1) * (double)n);
    }
    if (threads == 1) /* in order, straight into dY */
        rc = chunk_run(&x, 0, x.nchunks, x.scratch, x.scratch + n * OUT_CHUNK, x.cur, dY ? dY->x : NULL,
                       dY ? dY->ld : 0, x.scratch + n * (2 * OUT_CHUNK + d), &total, e);
    else {
        int previous = blas_threads_set(1);
        for (k = 0; k < threads; k++)
            memset(x.scratch + (size_t)k * per + 2 * n * OUT_CHUNK, 0, n * d * sizeof *x.scratch);
        used = par_range((int64_t)x.nchunks, threads, chunk_range, &x);
        blas_threads_restore(previous);
        for (k = 0; k < used && rc == CORE_OK; k++) {
            const double *dy = x.scratch + (size_t)k * per + 2 * n * OUT_CHUNK;
            if ((rc = x.rc[k]) != CORE_OK)
                rc = core_err_set(e, rc, "SimEc outputs: a product failed");
            total += x.loss[k];
            if (dY)
                for (r = 0; r < n; r++)
                    for (c = 0; c < d; c++)
                        MAT_AT(dY, r, c) += dy[r * d + c];
        }
    }
    if (rc == CORE_OK && x.step)
        G->stepped_last = 1;
    core_free(scale), core_free(x.scratch), core_free(x.cur);
    *loss = total;
    return rc;
}

/* The fused pass: the batch's targets regrouped by output (column), each
 * output's row of W_ll read once for its catch-up, all its outputs and
 * gradients, and its optimiser step. Thread t takes the outputs in its
 * share of the index range, and does all of that for them on its own:
 * counts the batch's targets there (each row's targets in a range are one
 * run of its sorted columns), lists the touched outputs, regroups the
 * targets by output (rows ascending within each) and steps; nothing
 * between the batches is serial but the sums of the threads' embedding
 * gradients, in thread order. */
typedef struct fctx {
    simec *m;
    simec_grad *G;
    const spm *T;
    const mat *Y;
    size_t n, out;
    const spm_ptr *cut; /* n x (threads + 1): row r's targets of thread t are cut[r (threads + 1) + t ..  + 1) */
    const size_t *base; /* per thread: where its regrouped targets start in er/ev */
    uint32_t *er;
    double *ev;
    const double *scale, *tab;
    double *dy, lr_t, loss[PAR_MAX];
    int64_t kmax; /* catch-up table size (tab: coefficients, then both decays) */
    int threads;
    int moments; /* optimiser state arrays a step reads: 0 (plain SGD), 1 (m1) or 2 */
} fctx;

/* Thread t's outputs: [lo, hi) */
static void fused_range(const fctx *f, int t, size_t *lo, size_t *hi)
{
    *lo = f->out * (size_t)t / (size_t)f->threads;
    *hi = f->out * (size_t)(t + 1) / (size_t)f->threads;
}

/* Lists thread t's touched outputs in G->rows[1] and the starts of their
 * targets (from base) in G->start, each from position lo + t (room for
 * one more than its outputs), with their slots, then regroups the
 * targets; returns how many outputs it touched. */
static size_t fused_group(const fctx *f, int t, size_t lo, size_t hi)
{
    simec_grad *G = f->G;
    const spm *T = f->T;
    size_t *list = G->rows[1] + lo + (size_t)t, *start = G->start + lo + (size_t)t, K = 0, r, i, c, run = f->base[t];
    int w = f->threads + 1;
    spm_ptr p;
    for (r = 0; r < f->n; r++) /* without a branch: list has room for the store past a full list */
        for (p = f->cut[r * (size_t)w + (size_t)t]; p < f->cut[r * (size_t)w + (size_t)t + 1]; p++) {
            size_t col = (size_t)T->j[p];
            list[K] = col;
            K += G->cnt[col]++ == 0;
        }
    if (K * 64 >= hi - lo) /* every output in turn, ascending; an untouched one's slot is never read */
        for (c = 0, i = lo; i < hi; i++) {
            uint32_t h = G->cnt[i];
            list[c] = i, G->slot[i] = (uint32_t)c, start[c] = run;
            run += h, c += h != 0, G->cnt[i] = 0;
        }
    else /* few: in the order first touched */
        for (c = 0; c < K; c++) {
            size_t col = list[c];
            G->slot[col] = (uint32_t)c, start[c] = run;
            run += G->cnt[col], G->cnt[col] = 0;
        }
    start[K] = run;
    for (r = 0; r < f->n; r++)
        for (p = f->cut[r * (size_t)w + (size_t)t]; p < f->cut[r * (size_t)w + (size_t)t + 1]; p++) {
            size_t at = start[G->slot[T->j[p]]]++;
            f->er[at] = (uint32_t)r;
            f->ev[at] = T->x[p];
        }
    for (i = K; i > 0; i--) /* back to the starts */
        start[i] = start[i - 1];
    start[0] = f->base[t];
    return K;
}

SIMEC_HOT static void fused_outputs(void *ctx, int thread, int64_t a, int64_t b)
{
    fctx *f = ctx;
    simec *m = f->m;
    const simec_layer *L = SIMEC_LAST(m);
    size_t d = L->in, c, n = f->n, lo, hi, K, *list, *start;
    int64_t s = m->step, kmax = f->kmax, i;
    double *dy = f->dy + (size_t)thread * n * d, total = 0.0, gv[1024], *g = d <= 1024 ? gv : NULL;
    (void)a, (void)b;
    if (!g) /* embeddings over 1024: the per-thread buffer after dy */
        g = f->dy + (size_t)f->threads * n * d + (size_t)thread * d;
    fused_range(f, thread, &lo, &hi);
    K = fused_group(f, thread, lo, hi);
    list = f->G->rows[1] + lo + (size_t)thread, start = f->G->start + lo + (size_t)thread;
    for (i = 0; i < (int64_t)K; i++) {
        size_t col = list[i], off = L->w_off + col * d, e;
        double *v = m->theta + off;
        int64_t k = s - f->G->last[1][col];
        if (i + 4 < (int64_t)K) { /* four rows ahead: the rows are scattered, and the hardware prefetcher
                                   * sees each only once it is being read */
            size_t nxt = L->w_off + list[i + 4] * d, q;
            for (q = 0; q < d; q += 8) {
                __builtin_prefetch(m->theta + nxt + q, 1);
                if (f->moments > 0)
                    __builtin_prefetch(m->m1 + nxt + q, 1);
                if (f->moments > 1)
                    __builtin_prefetch(m->m2 + nxt + q, 1);
            }
        }
        if (f->tab && k > 0) /* the catch-up moves the row; its moments decay in the step below */
            simec_opt_skip_row(&m->cfg, v, m->m1 + off, m->m2 + off, d, f->tab[k], 0.0, 0.0, 0);
        memset(g, 0, d * sizeof *g);
        for (e = start[i]; e < start[i + 1]; e++) {
            size_t r = f->er[e];
            const double *y = &MAT_AT(f->Y, r, 0);
            double *dyr = dy + r * d, z = vec_dot(y, v, d), dz;
            total += simec_loss1(m->cfg.loss, L->act, z, f->ev[e], &dz) * f->scale[r];
            dz *= f->scale[r];
            for (c = 0; c < d; c++) {
                dyr[c] += dz * v[c];
                g[c] += dz * y[c];
            }
        }
        if (f->tab && k > 0)
            simec_opt_step_decayed(m, off, d, g, f->lr_t, f->tab[kmax + 1 + k], f->tab[2 * (kmax + 1) + k]);
        else
            simec_opt_step(m, off, d, g, f->lr_t);
        f->G->last[1][col] = s + 1;
    }
    f->loss[thread] = total;
}

/* The fused pass also takes threads from this many entries x embedding
 * width: each entry costs a dot product and two updates of d, and each
 * touched output an optimiser step of d, so at d 100 a batch of 10,000
 * entries gives each thread milliseconds of work against a hand-off of
 * microseconds */
#define FUSED_PAR 1000000.0

static int masked_fused(simec *m, simec_grad *G, const spm *T, const size_t *rows, size_t n, const mat *Y, mat *dY,
                       double *loss, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    size_t d = L->in, r, i, nnz, base[PAR_MAX + 1];
    int threads = masked_threads(T, rows, n, &nnz), used, t;
    int64_t kmax = m->step - G->caught;
    spm_ptr *cut = NULL;
    uint32_t *er = NULL;
    double *ev = NULL, *scale = NULL, *tab = NULL;
    fctx f;
    int rc = CORE_OK;
    memset(&f, 0, sizeof f);
    if ((double)nnz * (double)d >= FUSED_PAR)
        threads = par_threads();
    er = core_malloc((nnz ? nnz : 1) * sizeof *er);
    ev = core_malloc((nnz ? nnz : 1) * sizeof *ev);
    scale = core_malloc((n ? n : 1) * sizeof *scale);
    cut = core_malloc((n ? n : 1) * (size_t)(threads + 1) * sizeof *cut);
    f.dy = core_calloc((size_t)threads * n * d + (size_t)threads * d, sizeof(double));
    /* rows not stepped since the last full catch-up are at most kmax behind */
    if (kmax > 0 && !simec_opt_plain(&m->cfg) && !(tab = simec_opt_catch_table(&m->cfg, m->step, kmax)))
        goto nomem;
    if (!er || !ev || !scale || !cut || !f.dy)
        goto nomem;
    f.threads = threads, f.out = L->out;
    for (t = 0; t <= threads; t++)
        base[t] = 0;
    for (r = 0; r < n; r++) {
        spm_ptr p0 = T->p[rows[r]], p1 = T->p[rows[r] + 1], *c = cut + r * (size_t)(threads + 1);
        scale[r] = simec_row_scale(T, rows[r], n);
        c[0] = p0, c[threads] = p1;
        for (t = 1; t < threads; t++) {
            size_t lo, hi;
            fused_range(&f, t, &lo, &hi);
            c[t] = spm_first_col(T, c[t - 1], p1, (int64_t)lo);
        }
        for (t = 0; t < threads; t++)
            base[t + 1] += (size_t)(c[t + 1] - c[t]);
    }
    for (t = 1; t <= threads; t++) /* each thread's regrouped targets after the previous threads' */
        base[t] += base[t - 1];
    f.m = m, f.G = G, f.T = T, f.Y = Y, f.n = n, f.cut = cut, f.base = base;
    f.er = er, f.ev = ev, f.scale = scale, f.tab = tab, f.kmax = kmax;
    f.moments = simec_opt_plain(&m->cfg) ? 0 : m->cfg.opt == SIMEC_SGD ? 1 : 2;
    f.lr_t = next_step_size(m);
    used = par_range(threads, threads, fused_outputs, &f);
    for (*loss = 0.0, t = 0; t < used; t++) {
        *loss += f.loss[t];
        for (i = 0; i < n * d; i++)
            dY->x[i] += f.dy[(size_t)t * n * d + i];
    }
    goto done;
nomem:
    rc = core_err_nomem(e, "SimEc batch", (double)nnz * 12);
done:
    core_free(er), core_free(ev), core_free(scale), core_free(cut), core_free(f.dy), core_free(tab);
    return rc;
}

int simec_gram_pass(const simec *m, const simec_target *t, size_t n)
{
    return gram_applies(m, t) && gram_cheaper(m, n);
}

int simec_outputs(simec *m, const simec_target *t, const size_t *rows, size_t n, const mat *Y, mat *dY,
                  simec_grad *G, double *loss, core_err *e)
{
    if (G && G->fused)
        return masked_fused(m, G, t->S, rows, n, Y, dY, loss, e);
    if (t->S && m->cfg.missing == SIMEC_MASK)
        return out_masked(m, t->S, rows, n, Y, dY, G, loss, e);
    if (simec_gram_pass(m, t, n))
        return out_gram(m, t->S, rows, n, Y, dY, G, loss, e);
    return out_chunked(m, t, rows, n, Y, dY, G, loss, e);
}
