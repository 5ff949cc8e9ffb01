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
double simec_opt_step_size(const simec_cfg *c, double t)
{
    if (c->opt == SIMEC_ADAMAX)
        return c->lr / (1.0 - pow(c->beta1, t));
    if (c->opt == SIMEC_ADAM)
        return c->lr * sqrt(1.0 - pow(c->beta2, t)) / (1.0 - pow(c->beta1, t));
    return c->lr;
}

/* One optimiser step on theta[off .. off + len) with its gradient g[0 .. len),
 * the moments first decayed by d1 and d2 (the decays of steps skipped
 * since the row was last stepped; 1 when none were: a product by 1 is
 * exact). The settings are read into locals and the arrays are restrict:
 * otherwise a store to theta could alias the settings' doubles, and the
 * compiler keeps the loops scalar. */
SIMEC_HOT void simec_opt_step_decayed(simec *m, size_t off, size_t len, const double *restrict g, double lr_t,
                                      double d1, double d2)
{
    const simec_cfg *c = &m->cfg;
    double *restrict p = m->theta + off;
    float *restrict m1 = m->m1 + off, *restrict m2 = m->m2 + off;
    const double b1 = c->beta1 * d1, b2 = c->beta2 * d2, nb1 = 1.0 - c->beta1, eps = c->eps;
    const double mom = c->momentum * d1, lr = c->lr;
    size_t i;
    switch (c->opt) {
    case SIMEC_ADAMAX:
        for (i = 0; i < len; i++) {
            double a = fabs(g[i]), b = b2 * (double)m2[i], mo = b1 * (double)m1[i] + nb1 * g[i];
            double u = b > a ? b : a;
            m1[i] = (float)mo, m2[i] = (float)u;
            p[i] -= lr_t * mo / (u + eps);
        }
        break;
    case SIMEC_ADAM: {
        const double nb2 = 1.0 - c->beta2;
        for (i = 0; i < len; i++) {
            double mo = b1 * (double)m1[i] + nb1 * g[i];
            double v = b2 * (double)m2[i] + nb2 * g[i] * g[i];
            m1[i] = (float)mo, m2[i] = (float)v;
            p[i] -= lr_t * mo / (sqrt(v) + eps);
        }
        break;
    }
    default:
        if (simec_opt_plain(c)) { /* no velocity to read or keep */
            for (i = 0; i < len; i++)
                p[i] -= lr * g[i];
            break;
        }
        for (i = 0; i < len; i++) {
            double v = mom * (double)m1[i] - lr * g[i];
            m1[i] = (float)v;
            p[i] += v;
        }
    }
}

/* SGD without momentum keeps no state: a step is -lr g, a skipped step
 * moves nothing, and the velocity buffer stays as it was (momentum is
 * fixed when the model is made, so nothing reads it). Skipping its reads
 * and writes halves the bytes a touched row moves. */
int simec_opt_plain(const simec_cfg *c)
{
    return c->opt == SIMEC_SGD && c->momentum == 0.0;
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
    simec_opt_step(u->m, u->off + (size_t)a, (size_t)(b - a), u->G->g + u->off + (size_t)a, u->lr_t);
}

/* touched rows only, then clear their gradient and mark */
static void update_rows(void *ctx, int thread, int64_t a, int64_t b)
{
    uctx *u = ctx;
    int64_t i;
    (void)thread;
    for (i = a; i < b; i++) {
        size_t r = u->list[i];
        simec_opt_step(u->m, u->off + r * u->w, u->w, u->G->g + u->off + r * u->w, u->lr_t);
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
    u.lr_t = simec_opt_step_size(c, (double)m->step);
    for (l = 0; l < m->nl; l++) {
        const simec_layer *L = &m->layer[l];
        int k = l == 0 ? 0 : l == m->nl - 1 ? 1 : -1;
        size_t len;
        if (l == m->nl - 1 && c->wll_frozen)
            continue;
        if (k == 1 && (G->fused || G->stepped_last))
            continue; /* stepped in the output pass */
        if (L->b_off != SIMEC_NO_BIAS)
            simec_opt_step(m, L->b_off, L->out, G->g + L->b_off, u.lr_t);
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
SIMEC_HOT void simec_opt_skip_row(const simec_cfg *c, double *restrict p, float *restrict m1, float *restrict m2,
                                  size_t w, double coef, double d1, double d2, int moments)
{
    const double eps = c->eps;
    size_t i;
    switch (c->opt) {
    case SIMEC_ADAMAX:
        for (i = 0; i < w; i++)
            p[i] -= coef * (double)m1[i] / ((double)m2[i] + eps);
        break;
    case SIMEC_ADAM:
        for (i = 0; i < w; i++)
            p[i] -= coef * (double)m1[i] / (sqrt((double)m2[i]) + eps);
        break;
    default:
        for (i = 0; i < w; i++)
            p[i] += coef * (double)m1[i];
    }
    if (!moments)
        return;
    for (i = 0; i < w; i++)
        m1[i] = (float)(d1 * (double)m1[i]);
    if (c->opt != SIMEC_SGD)
        for (i = 0; i < w; i++)
            m2[i] = (float)(d2 * (double)m2[i]);
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
        simec_opt_skip_row(&u->m->cfg, u->m->theta + u->off + r * u->w, u->m->m1 + u->off + r * u->w,
                 u->m->m2 + u->off + r * u->w, u->w, u->coef[k], u->d1[k], u->d2[k], 1);
        u->last[r] = u->now;
    }
}

/* For k = 0 .. kmax skipped steps ending at step now: coef(k) = sum over
 * j = 1..k of size(now - k + j) rho^j, by coef(k+1) = rho (coef(k) +
 * size(now - k)), and the moments' decays beta1^k, beta2^k (3 x (kmax + 1)) */
double *simec_opt_catch_table(const simec_cfg *c, int64_t now, int64_t kmax)
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
        double size = c->opt == SIMEC_SGD ? 1.0 : simec_opt_step_size(c, (double)(now - j));
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
    if (kmax == 0 || !m->m1) {
        if (all && kmax == 0)
            G->caught = m->step;
        return;
    }
    if (simec_opt_plain(&m->cfg)) { /* nothing to catch up: only the rows' step counts move */
        for (k = 0; k < 2; k++) {
            size_t i, cnt = all ? n[k] : G->nrows[k];
            if (!G->sparse[k] || (k == 1 && G->fused && !all))
                continue;
            for (i = 0; i < cnt; i++)
                G->last[k][all ? i : G->rows[k][i]] = m->step;
        }
        if (all)
            G->caught = m->step;
        return;
    }
    if (!(tab = simec_opt_catch_table(&m->cfg, m->step, kmax)))
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
    if (all)
        G->caught = m->step;
    core_free(tab);
}
