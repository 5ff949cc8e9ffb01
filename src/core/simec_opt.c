/* Optimisers (Adamax, Adam, SGD with momentum; Keras' update rules) with
 * lazy rows: see simec_grad in simec_impl.h. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "par.h"
#include "simec_impl.h"

/* Elements below which one thread updates: the pass is memory-bound, and
 * below this size a second thread costs more than it brings on 2 cores */
#define UPDATE_PAR (1 << 22)

/* The step size factor of step t (1-based) */
static double step_size(const simec_cfg *c, double t)
{
    if (c->opt == SIMEC_ADAMAX)
        return c->lr / (1.0 - pow(c->beta1, t));
    if (c->opt == SIMEC_ADAM)
        return c->lr * sqrt(1.0 - pow(c->beta2, t)) / (1.0 - pow(c->beta1, t));
    return c->lr;
}

/* One optimiser step on theta[off .. off + len) with its gradient g[0 .. len) */
SIMEC_HOT static void step(simec *m, size_t off, size_t len, const double *g, double lr_t)
{
    const simec_cfg *c = &m->cfg;
    double *p = m->theta + off;
    float *m1 = m->m1 + off, *m2 = m->m2 + off;
    size_t i;
    switch (c->opt) {
    case SIMEC_ADAMAX:
        for (i = 0; i < len; i++) {
            double a = fabs(g[i]), b = c->beta2 * (double)m2[i], mo = c->beta1 * (double)m1[i] + (1.0 - c->beta1) * g[i];
            double u = b > a ? b : a;
            m1[i] = (float)mo, m2[i] = (float)u;
            p[i] -= lr_t * mo / (u + c->eps);
        }
        break;
    case SIMEC_ADAM:
        for (i = 0; i < len; i++) {
            double mo = c->beta1 * (double)m1[i] + (1.0 - c->beta1) * g[i];
            double v = c->beta2 * (double)m2[i] + (1.0 - c->beta2) * g[i] * g[i];
            m1[i] = (float)mo, m2[i] = (float)v;
            p[i] -= lr_t * mo / (sqrt(v) + c->eps);
        }
        break;
    default:
        for (i = 0; i < len; i++) {
            double v = c->momentum * (double)m1[i] - c->lr * g[i];
            m1[i] = (float)v;
            p[i] += v;
        }
    }
}

typedef struct uctx {
    simec *m;
    simec_grad *G;
    double lr_t;
    size_t off, w; /* flat slice offset, or row width for a row list */
    const size_t *list;
    unsigned char *mark;
    int64_t *last, now;
    /* catch-up: per skipped-step count k, the displacement factor and the
     * moments' decay */
    const double *coef, *d1, *d2;
} uctx;

static void update_flat(void *ctx, int thread, int64_t a, int64_t b)
{
    uctx *u = ctx;
    (void)thread;
    step(u->m, u->off + (size_t)a, (size_t)(b - a), u->G->g + u->off + (size_t)a, u->lr_t);
}

/* touched rows only, then clear their gradient and mark */
static void update_rows(void *ctx, int thread, int64_t a, int64_t b)
{
    uctx *u = ctx;
    int64_t i;
    (void)thread;
    for (i = a; i < b; i++) {
        size_t r = u->list[i];
        step(u->m, u->off + r * u->w, u->w, u->G->g + u->off + r * u->w, u->lr_t);
        memset(u->G->g + u->off + r * u->w, 0, u->w * sizeof(double));
        u->mark[r] = 0;
        u->last[r] = u->now;
    }
}

void simec_update(simec *m, simec_grad *G)
{
    const simec_cfg *c = &m->cfg;
    size_t l;
    uctx u;
    memset(&u, 0, sizeof u);
    u.m = m, u.G = G;
    u.now = ++m->step;
    u.lr_t = step_size(c, (double)m->step);
    for (l = 0; l < m->nl; l++) {
        const simec_layer *L = &m->layer[l];
        int k = l == 0 ? 0 : l == m->nl - 1 ? 1 : -1;
        size_t len;
        if (l == m->nl - 1 && c->wll_frozen)
            continue;
        if (k == 1 && G->fused)
            continue; /* stepped in the output pass */
        if (L->b_off != SIMEC_NO_BIAS)
            step(m, L->b_off, L->out, G->g + L->b_off, u.lr_t);
        if (k < 0 || !G->sparse[k]) {
            len = L->in * L->out;
            u.off = L->w_off;
            par_range((int64_t)len, len < UPDATE_PAR ? 1 : par_threads(), update_flat, &u);
            continue;
        }
        u.off = L->w_off, u.w = k == 1 ? L->in : L->out; /* the last layer's rows are its outputs */
        u.list = G->rows[k], u.mark = G->mark[k], u.last = G->last[k];
        len = G->nrows[k] * u.w;
        par_range((int64_t)G->nrows[k], len < UPDATE_PAR ? 1 : par_threads(), update_rows, &u);
        G->nrows[k] = 0;
    }
}

/* k zero-gradient steps on a row, in closed form */
SIMEC_HOT static void skip_row(const simec_cfg *c, double *p, float *m1, float *m2, size_t w, double coef,
                               double d1, double d2)
{
    size_t i;
    switch (c->opt) {
    case SIMEC_ADAMAX:
        for (i = 0; i < w; i++) {
            p[i] -= coef * (double)m1[i] / ((double)m2[i] + c->eps);
            m1[i] = (float)(d1 * (double)m1[i]), m2[i] = (float)(d2 * (double)m2[i]);
        }
        break;
    case SIMEC_ADAM:
        for (i = 0; i < w; i++) {
            p[i] -= coef * (double)m1[i] / (sqrt((double)m2[i]) + c->eps);
            m1[i] = (float)(d1 * (double)m1[i]), m2[i] = (float)(d2 * (double)m2[i]);
        }
        break;
    default:
        for (i = 0; i < w; i++) {
            p[i] += coef * (double)m1[i];
            m1[i] = (float)(d1 * (double)m1[i]);
        }
    }
}

static void catch_rows(void *ctx, int thread, int64_t a, int64_t b)
{
    uctx *u = ctx;
    int64_t i;
    (void)thread;
    for (i = a; i < b; i++) {
        size_t r = u->list ? u->list[i] : (size_t)i, k = (size_t)(u->now - u->last[r]);
        if (k == 0)
            continue;
        skip_row(&u->m->cfg, u->m->theta + u->off + r * u->w, u->m->m1 + u->off + r * u->w,
                 u->m->m2 + u->off + r * u->w, u->w, u->coef[k], u->d1[k], u->d2[k]);
        u->last[r] = u->now;
    }
}

/* For k = 0 .. kmax skipped steps ending at step now: coef(k) = sum over
 * j = 1..k of size(now - k + j) rho^j, by coef(k+1) = rho (coef(k) +
 * size(now - k)), and the moments' decays beta1^k, beta2^k (3 x (kmax + 1)) */
static double *catch_table(const simec_cfg *c, int64_t now, int64_t kmax)
{
    double *tab = core_malloc(3 * (size_t)(kmax + 1) * sizeof *tab), rho;
    int64_t j;
    if (!tab)
        return NULL;
    rho = c->opt == SIMEC_ADAMAX ? c->beta1 / c->beta2 : c->opt == SIMEC_ADAM ? c->beta1 / sqrt(c->beta2) : c->momentum;
    tab[0] = 0.0;
    tab[kmax + 1] = 1.0;
    tab[2 * (kmax + 1)] = 1.0;
    for (j = 0; j < kmax; j++) {
        double size = c->opt == SIMEC_SGD ? 1.0 : step_size(c, (double)(now - j));
        tab[j + 1] = rho * (tab[j] + size);
        tab[kmax + 1 + j + 1] = tab[kmax + 1 + j] * (c->opt == SIMEC_SGD ? c->momentum : c->beta1);
        tab[2 * (kmax + 1) + j + 1] = tab[2 * (kmax + 1) + j] * c->beta2;
    }
    return tab;
}

void simec_catch_up(simec *m, simec_grad *G, int all)
{
    int64_t oldest = m->step, kmax;
    size_t n[2], l;
    double *tab;
    int k;
    uctx u;
    n[0] = m->layer[0].in, n[1] = SIMEC_LAST(m)->out;
    for (k = 0; k < 2; k++) {
        size_t i, cnt = all ? n[k] : G->nrows[k];
        if (!G->sparse[k] || (k == 1 && G->fused && !all))
            continue;
        for (i = 0; i < cnt; i++) {
            int64_t t = G->last[k][all ? i : G->rows[k][i]];
            if (t < oldest)
                oldest = t;
        }
    }
    kmax = m->step - oldest;
    if (kmax == 0 || !m->m1)
        return;
    if (!(tab = catch_table(&m->cfg, m->step, kmax)))
        return; /* no memory for the table: the rows stay behind, which only delays their skipped steps */
    memset(&u, 0, sizeof u);
    u.m = m, u.G = G, u.now = m->step;
    u.coef = tab, u.d1 = tab + kmax + 1, u.d2 = tab + 2 * (kmax + 1);
    for (l = 0; l < 2; l++) {
        const simec_layer *L = l == 0 ? &m->layer[0] : SIMEC_LAST(m);
        size_t cnt;
        if (!G->sparse[l] || (l == 1 && G->fused && !all))
            continue;
        u.off = L->w_off, u.w = l == 1 ? L->in : L->out;
        u.list = all ? NULL : G->rows[l];
        u.last = G->last[l];
        cnt = all ? n[l] : G->nrows[l];
        par_range((int64_t)cnt, cnt * u.w < UPDATE_PAR ? 1 : par_threads(), catch_rows, &u);
    }
    core_free(tab);
}

/* The fused pass: the batch's targets regrouped by output (column), each
 * output's row of W_ll read once for its catch-up, all its outputs and
 * gradients, and its optimiser step. Threads take disjoint outputs. */
typedef struct fctx {
    simec *m;
    simec_grad *G;
    const mat *Y;
    size_t n;
    const size_t *start; /* per touched output: its entries er/ev[start[i] .. start[i + 1]) */
    const uint32_t *er;
    const double *ev, *scale, *tab;
    double *dy, lr_t, loss[PAR_MAX];
    int64_t kmax; /* catch-up table size (tab: coefficients, then both decays) */
    int threads;
} fctx;

SIMEC_HOT static void fused_outputs(void *ctx, int thread, int64_t a, int64_t b)
{
    fctx *f = ctx;
    simec *m = f->m;
    const simec_layer *L = SIMEC_LAST(m);
    size_t d = L->in, c, n = f->n;
    int64_t s = m->step, kmax = f->kmax, i;
    double *dy = f->dy + (size_t)thread * n * d, total = 0.0, gv[1024], *g = d <= 1024 ? gv : NULL;
    if (!g) /* embeddings over 1024: the per-thread buffer after dy */
        g = f->dy + (size_t)f->threads * n * d + (size_t)thread * d;
    for (i = a; i < b; i++) {
        size_t col = f->G->rows[1][i], off = L->w_off + col * d, e;
        double *v = m->theta + off;
        int64_t k = s - f->G->last[1][col];
        if (i + 4 < b) { /* four rows ahead: the rows are scattered, and the hardware prefetcher
                            * sees each only once it is being read */
            size_t nxt = L->w_off + f->G->rows[1][i + 4] * d, q;
            for (q = 0; q < d; q += 8) {
                __builtin_prefetch(m->theta + nxt + q, 1);
                __builtin_prefetch(m->m1 + nxt + q, 1);
                __builtin_prefetch(m->m2 + nxt + q, 1);
            }
        }
        if (f->tab && k > 0)
            skip_row(&m->cfg, v, m->m1 + off, m->m2 + off, d, f->tab[k], f->tab[kmax + 1 + k],
                     f->tab[2 * (kmax + 1) + k]);
        memset(g, 0, d * sizeof *g);
        for (e = f->start[i]; e < f->start[i + 1]; e++) {
            size_t r = f->er[e];
            const double *y = &MAT_AT(f->Y, r, 0);
            double *dyr = dy + r * d, z = 0.0, dz;
            for (c = 0; c < d; c++)
                z += y[c] * v[c];
            total += simec_loss1(m->cfg.loss, L->act, z, f->ev[e], &dz) * f->scale[r];
            dz *= f->scale[r];
            for (c = 0; c < d; c++) {
                dyr[c] += dz * v[c];
                g[c] += dz * y[c];
            }
        }
        step(m, off, d, g, f->lr_t);
        f->G->last[1][col] = s + 1;
        f->G->mark[1][col] = 0;
    }
    f->loss[thread] = total;
}

int simec_masked_fused(simec *m, simec_grad *G, const spm *T, const size_t *rows, size_t n, const mat *Y, mat *dY,
                       double *loss, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    size_t K = G->nrows[1], d = L->in, r, i, nnz, *start = NULL;
    int threads = simec_masked_threads(T, rows, n, &nnz), used, t;
    int64_t kmax = 0;
    spm_ptr p;
    uint32_t *er = NULL;
    double *ev = NULL, *scale = NULL, *tab = NULL;
    fctx f;
    int rc = CORE_OK;
    memset(&f, 0, sizeof f);
    for (i = 0; i < K; i++) {
        int64_t k = m->step - G->last[1][G->rows[1][i]];
        G->slot[G->rows[1][i]] = (uint32_t)i;
        if (k > kmax)
            kmax = k;
    }
    start = core_calloc(K + 1, sizeof *start);
    er = core_malloc((nnz ? nnz : 1) * sizeof *er);
    ev = core_malloc((nnz ? nnz : 1) * sizeof *ev);
    scale = core_malloc((n ? n : 1) * sizeof *scale);
    f.dy = core_calloc((size_t)threads * n * d + (size_t)threads * d, sizeof(double));
    if (kmax > 0 && !(tab = catch_table(&m->cfg, m->step, kmax)))
        goto nomem;
    if (!start || !er || !ev || !scale || !f.dy)
        goto nomem;
    /* regroup the batch's entries by output, rows ascending within each */
    for (r = 0; r < n; r++)
        for (p = T->p[rows[r]]; p < T->p[rows[r] + 1]; p++)
            start[G->slot[T->j[p]] + 1]++;
    for (i = 0; i < K; i++)
        start[i + 1] += start[i];
    for (r = 0; r < n; r++) {
        scale[r] = simec_row_scale(T, rows[r], n);
        for (p = T->p[rows[r]]; p < T->p[rows[r] + 1]; p++) {
            size_t at = start[G->slot[T->j[p]]]++;
            er[at] = (uint32_t)r;
            ev[at] = T->x[p];
        }
    }
    for (i = K; i > 0; i--) /* back to the starts */
        start[i] = start[i - 1];
    start[0] = 0;
    f.threads = threads;
    f.m = m, f.G = G, f.Y = Y, f.n = n, f.start = start, f.er = er, f.ev = ev, f.scale = scale;
    f.tab = tab, f.kmax = kmax;
    f.lr_t = step_size(&m->cfg, (double)(m->step + 1));
    used = par_range((int64_t)K, threads, fused_outputs, &f);
    for (*loss = 0.0, t = 0; t < used; t++) {
        *loss += f.loss[t];
        for (i = 0; i < n * d; i++)
            dY->x[i] += f.dy[(size_t)t * n * d + i];
    }
    G->nrows[1] = 0;
    goto done;
nomem:
    rc = core_err_nomem(e, "SimEc batch", (double)nnz * 12);
done:
    core_free(start), core_free(er), core_free(ev), core_free(scale), core_free(f.dy), core_free(tab);
    return rc;
}
