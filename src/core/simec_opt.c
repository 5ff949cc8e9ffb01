/* Optimisers (Adamax, Adam, SGD with momentum; Keras' update rules) with
 * lazy rows: see simec_grad in simec_impl.h. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "par.h"
#include "simec_impl.h"

#define UPDATE_PAR (1 << 16) /* elements below which one thread updates */

/* The step size factor of step t (1-based) */
static double step_size(const simec_cfg *c, double t)
{
    if (c->opt == SIMEC_ADAMAX)
        return c->lr / (1.0 - pow(c->beta1, t));
    if (c->opt == SIMEC_ADAM)
        return c->lr * sqrt(1.0 - pow(c->beta2, t)) / (1.0 - pow(c->beta1, t));
    return c->lr;
}

/* One optimiser step on theta[off .. off + len) */
SIMEC_HOT static void step(simec *m, size_t off, size_t len, const double *g, double lr_t)
{
    const simec_cfg *c = &m->cfg;
    double *p = m->theta + off, *m1 = m->m1 + off, *m2 = m->m2 + off;
    size_t i;
    g += off;
    switch (c->opt) {
    case SIMEC_ADAMAX:
        for (i = 0; i < len; i++) {
            double a = fabs(g[i]), b = c->beta2 * m2[i];
            m1[i] = c->beta1 * m1[i] + (1.0 - c->beta1) * g[i];
            m2[i] = b > a ? b : a;
            p[i] -= lr_t * m1[i] / (m2[i] + c->eps);
        }
        break;
    case SIMEC_ADAM:
        for (i = 0; i < len; i++) {
            m1[i] = c->beta1 * m1[i] + (1.0 - c->beta1) * g[i];
            m2[i] = c->beta2 * m2[i] + (1.0 - c->beta2) * g[i] * g[i];
            p[i] -= lr_t * m1[i] / (sqrt(m2[i]) + c->eps);
        }
        break;
    default:
        for (i = 0; i < len; i++) {
            m1[i] = c->momentum * m1[i] - c->lr * g[i];
            p[i] += m1[i];
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
    step(u->m, u->off + (size_t)a, (size_t)(b - a), u->G->g, u->lr_t);
}

/* touched rows only, then clear their gradient and mark */
static void update_rows(void *ctx, int thread, int64_t a, int64_t b)
{
    uctx *u = ctx;
    int64_t i;
    (void)thread;
    for (i = a; i < b; i++) {
        size_t r = u->list[i];
        step(u->m, u->off + r * u->w, u->w, u->G->g, u->lr_t);
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
        if (L->b_off != SIMEC_NO_BIAS)
            step(m, L->b_off, L->out, G->g, u.lr_t);
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
SIMEC_HOT static void skip_row(const simec_cfg *c, double *p, double *m1, double *m2, size_t w, double coef,
                               double d1, double d2)
{
    size_t i;
    switch (c->opt) {
    case SIMEC_ADAMAX:
        for (i = 0; i < w; i++) {
            p[i] -= coef * m1[i] / (m2[i] + c->eps);
            m1[i] *= d1, m2[i] *= d2;
        }
        break;
    case SIMEC_ADAM:
        for (i = 0; i < w; i++) {
            p[i] -= coef * m1[i] / (sqrt(m2[i]) + c->eps);
            m1[i] *= d1, m2[i] *= d2;
        }
        break;
    default:
        for (i = 0; i < w; i++) {
            p[i] += coef * m1[i];
            m1[i] *= d1;
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

void simec_catch_up(simec *m, simec_grad *G, int all)
{
    const simec_cfg *c = &m->cfg;
    int64_t oldest = m->step, kmax, j;
    size_t n[2], l;
    double *tab, rho;
    int k;
    uctx u;
    n[0] = m->layer[0].in, n[1] = SIMEC_LAST(m)->out;
    for (k = 0; k < 2; k++) {
        size_t i, cnt = all ? n[k] : G->nrows[k];
        if (!G->sparse[k])
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
    /* coef(k) = sum_{j=1..k} size(s-k+j) rho^j over the skipped steps,
     * by coef(k+1) = rho (coef(k) + size(s-k)); decays d1 = beta1^k, d2 */
    tab = core_malloc(3 * (size_t)(kmax + 1) * sizeof *tab);
    if (!tab) { /* no memory for the tables: the rows stay lazy, which only delays the skipped steps */
        return;
    }
    rho = c->opt == SIMEC_ADAMAX ? c->beta1 / c->beta2 : c->opt == SIMEC_ADAM ? c->beta1 / sqrt(c->beta2) : c->momentum;
    tab[0] = 0.0;
    tab[kmax + 1] = 1.0;
    tab[2 * (kmax + 1)] = 1.0;
    for (j = 0; j < kmax; j++) {
        double size = c->opt == SIMEC_SGD ? 1.0 : step_size(c, (double)(m->step - j));
        tab[j + 1] = rho * (tab[j] + size);
        tab[kmax + 1 + j + 1] = tab[kmax + 1 + j] * (c->opt == SIMEC_SGD ? c->momentum : c->beta1);
        tab[2 * (kmax + 1) + j + 1] = tab[2 * (kmax + 1) + j] * c->beta2;
    }
    memset(&u, 0, sizeof u);
    u.m = m, u.G = G, u.now = m->step;
    u.coef = tab, u.d1 = tab + kmax + 1, u.d2 = tab + 2 * (kmax + 1);
    for (l = 0; l < 2; l++) {
        const simec_layer *L = l == 0 ? &m->layer[0] : SIMEC_LAST(m);
        size_t cnt;
        if (!G->sparse[l])
            continue;
        u.off = L->w_off, u.w = l == 1 ? L->in : L->out;
        u.list = all ? NULL : G->rows[l];
        u.last = G->last[l];
        cnt = all ? n[l] : G->nrows[l];
        par_range((int64_t)cnt, cnt * u.w < UPDATE_PAR ? 1 : par_threads(), catch_rows, &u);
    }
    core_free(tab);
}
