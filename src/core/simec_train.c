#include <math.h>
#include <string.h>
#include <time.h>
#include "alloc.h"
#include "rng.h"
#include "par.h"
#include "blas.h"
#include "simec_impl.h"

static double first_l2(const simec *m)
{
    return m->nl == 2 ? m->cfg.l2_reg_emb : m->cfg.l2_reg;
}

/* identity rows are lazy under a penalty too (simec_grad's row_l2) */
static int lazy_first(const simec *m, const simec_input *x)
{
    return m->cfg.input == SIMEC_IN_IDENTITY || (x->S && first_l2(m) == 0.0);
}

/* Whether no regulariser adds to the last layer's gradient after the
 * output pass, so that pass may take the layer's optimiser step */
static int last_unregularised(const simec *m)
{
    return m->cfg.l2_reg_out == 0.0 && m->cfg.s_ll_reg == 0.0 && m->cfg.orth_reg == 0.0;
}

static int lazy_last(const simec *m, const simec_target *t)
{
    return t->S && m->cfg.missing == SIMEC_MASK && last_unregularised(m);
}

static void grad_free(simec_grad *G)
{
    int k;
    core_free(G->g);
    for (k = 0; k < 2; k++) {
        core_free(G->mark[k]);
        core_free(G->rows[k]);
        core_free(G->last[k]);
    }
    core_free(G->slot);
    core_free(G->cnt);
    core_free(G->start);
    core_free(G->vv);
    memset(G, 0, sizeof *G);
}

static int grad_init(simec_grad *G, const simec *m, int sparse_first, int sparse_last, core_err *e)
{
    size_t n[2];
    int k;
    memset(G, 0, sizeof *G);
    G->sparse[0] = sparse_first, G->sparse[1] = sparse_last;
    n[0] = m->layer[0].in, n[1] = SIMEC_LAST(m)->out;
    if (!(G->g = core_calloc(m->n_params, sizeof(double))))
        goto nomem;
    for (k = 0; k < 2; k++) {
        size_t i;
        if (!G->sparse[k])
            continue;
        if (!(G->rows[k] = core_malloc((n[k] + (k ? PAR_MAX + 1 : 1)) * sizeof(size_t))) ||
            !(G->last[k] = core_malloc(n[k] * sizeof(int64_t))) ||
            (k == 0 && !(G->mark[k] = core_calloc(n[k], 1))) ||
            (k == 1 && (!(G->slot = core_malloc(n[k] * sizeof(uint32_t))) ||
                        !(G->cnt = core_calloc(n[k], sizeof(uint32_t))) ||
                        !(G->start = core_malloc((n[k] + PAR_MAX + 1) * sizeof(size_t))))))
            goto nomem;
        for (i = 0; i < n[k]; i++)
            G->last[k][i] = m->step;
    }
    G->caught = m->step;
    return CORE_OK;
nomem:
    grad_free(G);
    return core_err_nomem(e, "SimEc gradients", (double)m->n_params * 8);
}

/* Without a branch: a batch's targets fall at random outputs, and a
 * branch on the mark mispredicts about every other time. rows[k] has room
 * for one more than the layer's rows, so the store past a full list is
 * harmless. */
static void touch(simec_grad *G, int k, size_t r)
{
    unsigned char *mark = G->mark[k];
    if (!G->sparse[k])
        return;
    G->rows[k][G->nrows[k]] = r;
    G->nrows[k] += !mark[r];
    mark[r] = 1;
}

/* Clears the gradient of a dense layer slice before a batch */
static void grad_clear(simec_grad *G, const simec *m)
{
    size_t l;
    for (l = 0; l < m->nl; l++) {
        const simec_layer *L = &m->layer[l];
        int k = l == 0 ? 0 : l == m->nl - 1 ? 1 : -1;
        if (l == m->nl - 1 && m->cfg.wll_frozen)
            continue; /* no gradient */
        if ((k < 0 || !G->sparse[k]) && !(k == 1 && G->stepped_last)) /* a stepping output pass left it zero */
            memset(G->g + L->w_off, 0, L->in * L->out * sizeof(double));
        if (L->b_off != SIMEC_NO_BIAS)
            memset(G->g + L->b_off, 0, L->out * sizeof(double));
    }
    G->stepped_last = 0;
}

/* The regularisers' loss, and their gradient added to g (if not NULL);
 * with grad->row_l2 the first layer's penalty is on the batch's rows only */
static int regularise(const simec *m, const simec_grad *grad, const size_t *rows, size_t n, double *loss,
                      core_err *e)
{
    double *g = grad ? grad->g : NULL, row_l2 = grad ? grad->row_l2 : 0.0;
    const simec_layer *LL = SIMEC_LAST(m);
    const double *V = m->theta + LL->w_off;
    size_t l, i, j, d = LL->in, out = LL->out;
    double total = 0.0;
    for (l = 0; l < m->nl; l++) {
        const simec_layer *L = &m->layer[l];
        int last = l == m->nl - 1;
        double lam = last ? m->cfg.l2_reg_out : l == m->nl - 2 ? m->cfg.l2_reg_emb : m->cfg.l2_reg;
        const double *W = m->theta + L->w_off;
        size_t k, nw = L->in * L->out;
        if (lam == 0.0 || (last && m->cfg.wll_frozen))
            continue;
        if (l == 0 && row_l2 > 0.0) {
            for (i = 0; i < n; i++)
                for (k = rows[i] * L->out; k < (rows[i] + 1) * L->out; k++) {
                    total += row_l2 * W[k] * W[k];
                    g[L->w_off + k] += 2.0 * row_l2 * W[k];
                }
            continue;
        }
        for (k = 0; k < nw; k++) {
            total += lam * W[k] * W[k];
            if (g)
                g[L->w_off + k] += 2.0 * lam * W[k];
        }
    }
    if (m->cfg.wll_frozen)
        goto done;
    if (m->cfg.s_ll_reg > 0.0 && m->s_ll_complete) {
        /* every similarity given: the mean is over out x out entries, and
         * ||V V^T - S||^2 = ||V^T V||^2 - 2 <V, S V> + ||S||^2, with the
         * gradient 2c (2 V (V^T V) - S V - S^T V): products with d x d and
         * one (two) of S with V, where V V^T itself, out x out, costs as
         * much as S V and its difference and symmetrising as much again */
        const double c = m->cfg.s_ll_reg / ((double)out * (double)out);
        const double *S = m->S_ll.x;
        const size_t lds = m->S_ll.ld;
        double cc = 0.0, vy = 0.0, *C = NULL, *Y = NULL;
        size_t dd, od;
        int rc;
        if (!core_mul2(d, d, &dd) || !core_mul2(out, d, &od))
            return core_err_set(e, CORE_ETOOBIG, "SimEc s_ll_reg: %zu x %zu is too large", out, d);
        C = core_malloc(dd * sizeof *C);
        Y = core_malloc(od * sizeof *Y);
        if (!C || !Y) {
            core_free(C), core_free(Y);
            return core_err_nomem(e, "SimEc s_ll_reg", (double)(dd + od) * 8);
        }
        if (!(rc = blas_gemm("SimEc s_ll_reg", BLAS_T, BLAS_N, d, d, out, 1.0, V, d, V, d, 0.0, C, d, e)) &&
            !(rc = blas_gemm("SimEc s_ll_reg", BLAS_N, BLAS_N, out, d, out, 1.0, S, lds, V, d, 0.0, Y, d, e))) {
            for (i = 0; i < dd; i++)
                cc += C[i] * C[i];
            for (i = 0; i < od; i++)
                vy += V[i] * Y[i];
            total += c * (cc - 2.0 * vy + m->s_ll_norm2);
            if (g) {
                double *gV = g + LL->w_off;
                for (i = 0; i < od; i++)
                    gV[i] -= (m->s_ll_symmetric ? 4.0 : 2.0) * c * Y[i];
                if (!m->s_ll_symmetric)
                    rc = blas_gemm("SimEc s_ll_reg", BLAS_T, BLAS_N, out, d, out, -2.0 * c, S, lds, V, d, 1.0, gV, d,
                                   e);
                if (!rc)
                    rc = blas_gemm("SimEc s_ll_reg", BLAS_N, BLAS_N, out, d, d, 4.0 * c, V, d, C, d, 1.0, gV, d, e);
            }
        }
        core_free(C), core_free(Y);
        if (rc)
            return rc;
    } else if (m->cfg.s_ll_reg > 0.0) {
        /* s * mean over rows of the (masked) mean of (S_ll - V V^T)^2; V V^T
         * is the reference's W_ll^T W_ll */
        mat G;
        int rc;
        if ((rc = mat_init_uninit(&G, out, out, e)))
            return rc;
        if ((rc = blas_gemm("SimEc s_ll_reg", BLAS_N, BLAS_T, out, out, d, 1.0, V, d, V, d, 0.0, G.x, G.ld, e))) {
            mat_release(&G);
            return rc;
        }
        for (i = 0; i < out; i++) {
            size_t cnt = 0;
            double row = 0.0, sc;
            for (j = 0; j < out; j++)
                cnt += !isnan(MAT_AT(&m->S_ll, i, j));
            sc = 1.0 / ((double)(cnt ? cnt : 1) * (double)out);
            for (j = 0; j < out; j++) {
                double s = MAT_AT(&m->S_ll, i, j), diff = isnan(s) ? 0.0 : MAT_AT(&G, i, j) - s;
                row += diff * diff;
                MAT_AT(&G, i, j) = 2.0 * m->cfg.s_ll_reg * diff * sc; /* dL/dG */
            }
            total += m->cfg.s_ll_reg * row * sc;
        }
        if (g) { /* dL/dV = (E + E^T) V, one BLAS-3 product */
            for (i = 0; i < out; i++) {
                MAT_AT(&G, i, i) *= 2.0;
                for (j = i + 1; j < out; j++)
                    MAT_AT(&G, i, j) = MAT_AT(&G, j, i) = MAT_AT(&G, i, j) + MAT_AT(&G, j, i);
            }
            rc = blas_symm("SimEc s_ll_reg", out, d, 1.0, G.x, G.ld, V, d, 1.0, g + LL->w_off, d, e);
        }
        mat_release(&G);
        if (rc)
            return rc;
    }
    if (m->cfg.orth_reg > 0.0) {
        /* orth * mean over d x d of the off-diagonal of V^T V squared */
        mat P;
        int rc;
        double c = m->cfg.orth_reg / ((double)d * (double)d);
        if ((rc = mat_init_uninit(&P, d, d, e)))
            return rc;
        if ((rc = blas_gemm("SimEc orth_reg", BLAS_T, BLAS_N, d, d, out, 1.0, V, d, V, d, 0.0, P.x, P.ld, e))) {
            mat_release(&P);
            return rc;
        }
        for (i = 0; i < d; i++)
            for (j = 0; j < d; j++) {
                double p = i == j ? 0.0 : MAT_AT(&P, i, j);
                total += c * p * p;
                MAT_AT(&P, i, j) = 4.0 * c * p; /* dL/dV = V (2 c (P + P^T)) off the diagonal */
            }
        if (g)
            rc = blas_gemm("SimEc orth_reg", BLAS_N, BLAS_N, out, d, d, 1.0, V, d, P.x, P.ld, 1.0, g + LL->w_off, d, e);
        mat_release(&P);
        if (rc)
            return rc;
    }
done:
    *loss = total;
    return CORE_OK;
}

/* Backpropagation from dA (the embedding's gradient) into G */
static int backward(const simec *m, const simec_input *x, const size_t *rows, size_t n, simec_fwd *f, mat *dA,
                    simec_grad *G, core_err *e)
{
    size_t l, r, c;
    int rc;
    for (l = m->nl - 1; l-- > 0;) {
        const simec_layer *L = &m->layer[l];
        double *gW = G->g + L->w_off, *gb = G->g + L->b_off;
        mat prev;
        simec_act_grad(L->act, f->Z[l].x, f->A[l].x, dA->x, n * L->out);
        for (r = 0; r < n; r++)
            for (c = 0; c < L->out; c++)
                gb[c] += MAT_AT(dA, r, c);
        if (l > 0) {
            if ((rc = blas_gemm("SimEc backward", BLAS_T, BLAS_N, L->in, L->out, n, 1.0, f->A[l - 1].x,
                                f->A[l - 1].ld, dA->x, dA->ld, 1.0, gW, L->out, e)) ||
                (rc = mat_init_uninit(&prev, n, L->in, e)))
                return rc;
            if ((rc = blas_gemm("SimEc backward", BLAS_N, BLAS_T, n, L->in, L->out, 1.0, dA->x, dA->ld,
                                m->theta + L->w_off, L->out, 0.0, prev.x, prev.ld, e))) {
                mat_release(&prev);
                return rc;
            }
            mat_release(dA);
            *dA = prev;
            continue;
        }
        if (m->cfg.input == SIMEC_IN_IDENTITY)
            for (r = 0; r < n; r++) {
                double *gw = gW + rows[r] * L->out;
                touch(G, 0, rows[r]);
                for (c = 0; c < L->out; c++)
                    gw[c] += MAT_AT(dA, r, c);
            }
        else if (x->S)
            for (r = 0; r < n; r++) {
                spm_ptr t;
                for (t = x->S->p[rows[r]]; t < x->S->p[rows[r] + 1]; t++) {
                    double *gw = gW + (size_t)x->S->j[t] * L->out, v = x->S->x[t];
                    touch(G, 0, (size_t)x->S->j[t]);
                    for (c = 0; c < L->out; c++)
                        gw[c] += v * MAT_AT(dA, r, c);
                }
            }
        else
            for (r = 0; r < n; r++) /* rank-1 updates: the batch is small */
                if ((rc = blas_ger("SimEc backward", L->in, L->out, 1.0, &MAT_AT(x->D, rows[r], 0), &MAT_AT(dA, r, 0),
                                   gW, L->out, e)))
                    return rc;
    }
    return CORE_OK;
}

/* Marks the rows of the lazy first layer this batch will touch, so they
 * can be brought up to date before the forward pass reads them (the last
 * layer's, the fused output pass's outputs, are that pass's to find). */
static void premark(const simec *m, const simec_input *x, const size_t *rows, size_t n, simec_grad *G)
{
    size_t r, i, c = 0, len;
    spm_ptr k;
    if (G->sparse[0])
        for (r = 0; r < n; r++) {
            if (!x->S)
                touch(G, 0, rows[r]);
            else
                for (k = x->S->p[rows[r]]; k < x->S->p[rows[r] + 1]; k++)
                    touch(G, 0, (size_t)x->S->j[k]);
        }
    /* ascending rows: the optimiser then sweeps its arrays nearly in order */
    len = m->layer[0].in;
    if (G->sparse[0] && G->nrows[0] * 64 >= len)
        for (i = 0; i < len; i++) /* without a branch: marks fall at random */
            G->rows[0][c] = i, c += G->mark[0][i];
}

/* The batch's loss (data + regularisers) and, with G, its gradient */
static int batch(simec *m, const simec_input *x, const simec_target *t, const size_t *rows, const size_t *trows,
                 size_t n, double *loss, simec_grad *G, int with_reg, core_err *e)
{
    simec_fwd f;
    mat dY;
    double data = 0.0, reg = 0.0;
    int rc;
    memset(&dY, 0, sizeof dY);
    if ((rc = simec_forward(m, x, rows, n, &f, e)))
        return rc;
    if (G && (rc = mat_init(&dY, n, m->cfg.emb_dim, e)))
        goto done;
    if ((rc = simec_outputs(m, t, trows, n, &f.A[m->nl - 2], G ? &dY : NULL, G, &data, e)))
        goto done;
    if (with_reg && (rc = regularise(m, G, rows, n, &reg, e)))
        goto done;
    if (G && (rc = backward(m, x, rows, n, &f, &dY, G, e)))
        goto done;
    *loss = data + reg;
done:
    mat_release(&dY);
    simec_fwd_free(&f);
    return rc;
}

int simec_batch_grad(const simec *m, const simec_input *x, const simec_target *t, const size_t *rows, size_t n,
                     double *loss, double *g, core_err *e)
{
    simec_grad G;
    int rc;
    if (!g)
        return batch((simec *)m, x, t, rows, rows, n, loss, NULL, 1, e); /* without G nothing is written */
    if ((rc = grad_init(&G, m, 0, 0, e)))
        return rc;
    rc = batch((simec *)m, x, t, rows, rows, n, loss, &G, 1, e); /* dense G: no fused step writes m */
    if (!rc)
        memcpy(g, G.g, m->n_params * sizeof *g);
    grad_free(&G);
    return rc;
}

int simec_eval_loss(const simec *m, const simec_input *x, const simec_target *t, size_t bs, double *loss,
                    core_err *e)
{
    size_t n = t->S ? (size_t)t->S->rows : t->D->rows, r0, i, *rows;
    double total = 0.0;
    int rc = CORE_OK;
    if (bs == 0)
        bs = 256;
    if (!(rows = core_malloc(bs * sizeof *rows)))
        return core_err_nomem(e, "SimEc", (double)bs * 8);
    for (r0 = 0; r0 < n && !rc; r0 += bs) {
        size_t k = n - r0 < bs ? n - r0 : bs;
        double l;
        for (i = 0; i < k; i++)
            rows[i] = r0 + i;
        if (!(rc = batch((simec *)m, x, t, rows, rows, k, &l, NULL, 0, e))) /* without G nothing is written */
            total += l * (double)k;
    }
    core_free(rows);
    *loss = n ? total / (double)n : 0.0;
    return rc;
}

void simec_fit_opts_default(simec_fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->epochs = 10;
    o->batch_size = 32;
    o->shuffle = 1;
    o->plateau_patience = 3;
    o->min_lr = 1e-6;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Below this many multiply-adds per batch the products are too small for
 * OpenBLAS's threads: idle, they spin against the next call and the row
 * kernels' threads (docs/benchmarks.md has the figures). */
#define FIT_BLAS_THREADED_FLOPS 8e6

static int fit_run(simec *m, const simec_input *x, const simec_target *t, const simec_fit_opts *o,
                   simec_fit_info *info, core_err *e);

int simec_fit(simec *m, const simec_input *x, const simec_target *t, const simec_fit_opts *o, simec_fit_info *info,
              core_err *e)
{
    double flops = 0;
    int blas_previous = 0, rc;
    size_t l;
    for (l = 0; l < m->nl; l++)
        flops += (double)m->layer[l].in * (double)m->layer[l].out;
    /* the Gram pass's products have an inner dimension of the embedding's
     * size: too thin for threads, whose spinning slows the pass */
    if (flops * (double)(o->batch_size ? o->batch_size : 32) < FIT_BLAS_THREADED_FLOPS ||
        simec_gram_pass(m, t, o->batch_size ? o->batch_size : 32))
        blas_previous = blas_threads_set(1);
    rc = fit_run(m, x, t, o, info, e);
    blas_threads_restore(blas_previous);
    return rc;
}

static int fit_run(simec *m, const simec_input *x, const simec_target *t, const simec_fit_opts *o,
                   simec_fit_info *info, core_err *e)
{
    size_t n, bs = o->batch_size ? o->batch_size : 32, i, b0;
    size_t *perm = NULL, *iota_rows = NULL;
    double *snap = NULL, monitor_best = HUGE_VAL;
    simec_grad G;
    simec_neg neg;
    rng g;
    int rc, epoch, wait = 0, restored = 0;
    memset(info, 0, sizeof *info);
    memset(&G, 0, sizeof G);
    memset(&neg, 0, sizeof neg);
    info->best_epoch = 0;
    info->best_loss = HUGE_VAL;
    if ((rc = simec_check_input(m, x, "fit", e)) || (rc = simec_check_target(m, x, t, "fit", e)))
        return rc;
    if (o->vx && ((rc = simec_check_input(m, o->vx, "fit (validation)", e)) ||
                  (rc = simec_check_target(m, o->vx, o->vt, "fit (validation)", e))))
        return rc;
    if (o->epochs < 0)
        return core_err_set(e, CORE_EINVAL, "fit: epochs must be non-negative, got %d", o->epochs);
    if (o->initial_epoch < 0 || o->initial_epoch > o->epochs)
        return core_err_set(e, CORE_EINVAL, "fit: initial_epoch must be in 0..epochs (%d), got %d", o->epochs,
                            o->initial_epoch);
    if (o->negatives != 0 && (!(o->negatives > 0 && isfinite(o->negatives)) || !t->S || m->cfg.missing != SIMEC_MASK))
        return core_err_set(e, CORE_EINVAL,
                            "fit: negatives (%g) needs a positive ratio, sparse targets and missing = \"mask\" (with "
                            "zero-filled targets every missing entry is a negative already)",
                            o->negatives);
    n = t->S ? (size_t)t->S->rows : t->D->rows;
    if (!m->m1) {
        m->m1 = core_calloc(m->n_params, sizeof(float));
        m->m2 = core_calloc(m->n_params, sizeof(float));
        if (!m->m1 || !m->m2) {
            m->m1 = core_free(m->m1), m->m2 = core_free(m->m2);
            return core_err_nomem(e, "SimEc optimiser state", (double)m->n_params * 8);
        }
    }
    perm = core_malloc((n ? n : 1) * sizeof *perm);
    snap = core_malloc(m->n_params * sizeof *snap);
    if (!perm || !snap) {
        rc = core_err_nomem(e, "fit", (double)m->n_params * 8);
        goto done;
    }
    if (o->negatives > 0) {
        for (i = 0; i < n; i++) { /* rows with fewer missing entries than asked get all of them */
            double pos = (double)(t->S->p[i + 1] - t->S->p[i]);
            if (ceil(o->negatives * pos) > (double)t->S->cols - pos)
                info->negatives_capped++;
        }
        if ((rc = simec_negatives_init(&neg, t->S, o->negatives, o->neg_popularity, e)))
            goto done;
        if (!(iota_rows = core_malloc(bs * sizeof *iota_rows))) {
            rc = core_err_nomem(e, "fit", (double)bs * 8);
            goto done;
        }
        for (i = 0; i < bs; i++)
            iota_rows[i] = i;
    }
    if ((rc = grad_init(&G, m, !o->dense_updates && lazy_first(m, x),
                        !o->dense_updates && lazy_last(m, t) && !m->cfg.wll_frozen, e)))
        goto done;
    G.fused = G.sparse[1]; /* output layer and its optimiser step in one pass */
    G.step_last = !o->dense_updates && !G.sparse[1] && last_unregularised(m);
    if (G.sparse[0] && m->cfg.input == SIMEC_IN_IDENTITY)
        G.row_l2 = first_l2(m) * (double)((n + bs - 1) / bs);
    memcpy(snap, m->theta, m->n_params * sizeof *snap); /* restored on Ctrl-C */
    rng_seed(&g, o->seed);
    for (i = 0; i < n; i++)
        perm[i] = i;
    /* resuming: the earlier epochs' shuffles, so the later ones are those of
     * an uninterrupted run (negative samples are drawn afresh) */
    for (epoch = 1; epoch <= o->initial_epoch && o->shuffle; epoch++)
        rng_permutation(&g, perm, n);
    for (epoch = o->initial_epoch + 1; epoch <= o->epochs; epoch++) {
        double t0 = now(), sum = 0.0, val = (double)NAN, monitor;
        if (o->shuffle)
            rng_permutation(&g, perm, n);
        for (b0 = 0; b0 < n; b0 += bs) {
            size_t k = n - b0 < bs ? n - b0 : bs;
            const size_t *trows = perm + b0;
            simec_target tb = *t;
            spm S;
            double l;
            memset(&S, 0, sizeof S);
            if (o->negatives > 0) { /* this batch's positives and fresh negatives, rows 0..k-1 */
                if ((rc = simec_negatives_batch(&neg, t->S, perm + b0, k, &g, &S, e)))
                    goto done;
                tb.S = &S, trows = iota_rows;
            }
            grad_clear(&G, m);
            premark(m, x, perm + b0, k, &G);
            simec_catch_up(m, &G, 0); /* the last layer's rows: in the fused output pass */
            rc = batch(m, x, &tb, perm + b0, trows, k, &l, &G, 1, e);
            spm_free(&S);
            if (rc)
                goto done;
            if (!isfinite(l)) {
                memcpy(m->theta, snap, m->n_params * sizeof *snap);
                restored = 1;
                rc = core_err_set(e, CORE_ENUMERIC,
                                  "fit: the loss became %g in epoch %d (learning rate %g too high?); weights of "
                                  "epoch %d restored",
                                  l, epoch, m->cfg.lr, o->keep_best ? info->best_epoch : epoch - 1);
                goto done;
            }
            simec_update(m, &G);
            sum += l * (double)k;
            if (core_interrupted()) {
                memcpy(m->theta, snap, m->n_params * sizeof *snap);
                restored = 1;
                info->interrupted = 1;
                rc = core_err_set(e, CORE_EINTR, "interrupted in epoch %d: weights of epoch %d restored", epoch,
                                  o->keep_best ? info->best_epoch : epoch - 1);
                goto done;
            }
        }
        simec_catch_up(m, &G, 1); /* every row as the dense optimiser leaves it */
        info->epochs_done = epoch;
        m->epochs = epoch;
        info->last_loss = n ? sum / (double)n : 0.0;
        if (o->vx && (rc = simec_eval_loss(m, o->vx, o->vt, 256, &val, e)))
            goto done;
        monitor = o->vx ? val : info->last_loss;
        if (monitor < monitor_best) {
            monitor_best = monitor;
            info->best_epoch = epoch;
            info->best_loss = monitor;
            wait = 0;
            if (o->keep_best)
                memcpy(snap, m->theta, m->n_params * sizeof *snap);
        } else if (o->plateau_factor > 0 && ++wait >= o->plateau_patience) {
            double lr = m->cfg.lr * o->plateau_factor;
            m->cfg.lr = lr > o->min_lr ? lr : o->min_lr;
            wait = 0;
        }
        if (!o->keep_best)
            memcpy(snap, m->theta, m->n_params * sizeof *snap);
        if (o->on_epoch && o->on_epoch(o->ctx, epoch, info->last_loss, val, now() - t0)) {
            info->stopped = 1;
            break;
        }
    }
    if (o->keep_best && info->best_epoch > 0)
        memcpy(m->theta, snap, m->n_params * sizeof *snap);
done:
    if (rc && !restored && G.g)
        simec_catch_up(m, &G, 1); /* no row left behind by an error */
    grad_free(&G);
    simec_negatives_free(&neg);
    core_free(iota_rows);
    core_free(perm);
    core_free(snap);
    return rc;
}
