/* The Bayesian factorization model (bfm.c): recovery of a low-rank matrix
 * with biases, cold start through features, seeding, the trace, errors,
 * and the draws against a plain reference sampler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "bfm.h"
#include "check.h"
#include "par.h"
#include "rng.h"

#define NI 250
#define NU 300
#define NF 6

/* y = 3 + bi + bu + p_i . q_u + noise at about half of the cells; bi is a
 * sum of the item's binary features' weights. train gets cells with
 * is_test false, test the others (both NI x NU). */
typedef struct data {
    spm train, test;
    spm F; /* NI x NF item features */
    double bu[NU];
} data;

static void make(data *d, double noise, int rank, int new_items_from, uint32_t seed)
{
    rng g;
    double P[NI][2], Q[NU][2], bi[NI], a[NF], Fd[NI][NF];
    spm_idx *ri[2], *ci[2];
    double *x[2];
    int64_t n[2] = {0, 0};
    int i, u, f;
    mat Fm;
    rng_seed(&g, seed);
    for (f = 0; f < NF; f++)
        a[f] = rng_normal(&g);
    for (i = 0; i < NI; i++) {
        bi[i] = 0;
        for (f = 0; f < NF; f++) {
            Fd[i][f] = rng_uniform(&g) < 0.4;
            bi[i] += Fd[i][f] * a[f];
        }
        P[i][0] = rng_normal(&g), P[i][1] = rng_normal(&g);
    }
    for (u = 0; u < NU; u++) {
        d->bu[u] = 0.5 * rng_normal(&g);
        Q[u][0] = rng_normal(&g), Q[u][1] = rng_normal(&g);
    }
    for (i = 0; i < 2; i++) {
        ri[i] = core_malloc(NI * NU * sizeof(spm_idx));
        ci[i] = core_malloc(NI * NU * sizeof(spm_idx));
        x[i] = core_malloc(NI * NU * sizeof(double));
    }
    for (i = 0; i < NI; i++)
        for (u = 0; u < NU; u++) {
            double y = 3 + bi[i] + d->bu[u] + noise * rng_normal(&g);
            int t;
            for (f = 0; f < rank; f++)
                y += P[i][f] * Q[u][f];
            if (rng_uniform(&g) < 0.5)
                continue;
            /* new items: all their ratings are test; otherwise one in five */
            t = new_items_from >= 0 ? i >= new_items_from : rng_uniform(&g) < 0.2;
            ri[t][n[t]] = i, ci[t][n[t]] = u, x[t][n[t]] = y;
            n[t]++;
        }
    CHECK(spm_from_triplets_owned(&d->train, NI, NU, &ri[0], &ci[0], &x[0], n[0], SPM_DUP_ERROR, NULL) == 0);
    CHECK(spm_from_triplets_owned(&d->test, NI, NU, &ri[1], &ci[1], &x[1], n[1], SPM_DUP_ERROR, NULL) == 0);
    mat_init(&Fm, NI, NF, NULL);
    for (i = 0; i < NI; i++)
        for (f = 0; f < NF; f++)
            MAT_AT(&Fm, i, f) = Fd[i][f];
    CHECK(spm_from_dense(&d->F, &Fm, 0, NULL) == 0);
    mat_release(&Fm);
}

static void release(data *d)
{
    spm_free(&d->train);
    spm_free(&d->test);
    spm_free(&d->F);
}

static double rmse(const spm *p, const spm *t)
{
    double ss = 0;
    int64_t k;
    for (k = 0; k < SPM_NNZ(t); k++)
        ss += (p->x[k] - t->x[k]) * (p->x[k] - t->x[k]);
    return sqrt(ss / (double)SPM_NNZ(t));
}

/* RMSE of the global mean plus each user's mean offset (the means model without items) */
static double user_means_rmse(const spm *train, const spm *test)
{
    double sum = 0, us[NU] = {0}, uc[NU] = {0}, ss = 0;
    int64_t i, k;
    for (k = 0; k < SPM_NNZ(train); k++)
        sum += train->x[k];
    sum /= (double)SPM_NNZ(train);
    for (i = 0; i < train->rows; i++)
        for (k = train->p[i]; k < train->p[i + 1]; k++)
            us[train->j[k]] += train->x[k] - sum, uc[train->j[k]]++;
    for (i = 0; i < test->rows; i++)
        for (k = test->p[i]; k < test->p[i + 1]; k++) {
            double pr = sum + (uc[test->j[k]] ? us[test->j[k]] / uc[test->j[k]] : 0);
            ss += (pr - test->x[k]) * (pr - test->x[k]);
        }
    return sqrt(ss / (double)SPM_NNZ(test));
}

static bfm_opts opts(int64_t k, uint32_t seed)
{
    bfm_opts o;
    o.k = k, o.burn_in = 30, o.samples = 70, o.init_std = 0.1, o.seed = seed, o.link = 0, o.drawn_ahead = NULL;
    return o;
}

/* rank-2 signal with noise 0.1: the model gets close to the noise while
 * the means cannot see the interaction */
static void test_low_rank(void)
{
    data d;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    bfm_opts o = opts(4, 1);
    spm out;
    double trace[70], r;
    core_err e;
    make(&d, 0.1, 2, -1, 7);
    CHECK(bfm_run(&out, trace, &d.train, side, &d.test, &o, &e) == 0);
    r = rmse(&out, &d.test);
    CHECK(r < 0.25);
    CHECK(r < 0.25 * user_means_rmse(&d.train, &d.test));
    CHECK_NEAR(trace[69], r, 1e-12);
    CHECK(trace[0] > trace[69]);
    spm_free(&out);
    release(&d);
}

/* items 40.. are new: only the features (which determine the item biases)
 * can tell them apart. With ids and link the features predict the ids'
 * biases; with ids off the train items are features-only too. (Ids with
 * the features in the likelihood instead mix badly: the ids soak up the
 * effect and new items got 0.84 here.) */
static void test_cold_items(void)
{
    data d;
    int64_t map[NI], i;
    bfm_side side[2] = {{NULL, map, NI, 1}, {NULL, NULL, NU, 1}};
    bfm_opts o = opts(0, 2);
    spm out, tr;
    double base, with_ids, without_ids;
    size_t keep[40];
    core_err e;
    make(&d, 0.1, 0, 40, 11);
    o.link = 1;
    for (i = 0; i < NI; i++)
        map[i] = i < 40 ? i : -1;
    for (i = 0; i < 40; i++)
        keep[i] = (size_t)i;
    CHECK(spm_select_rows(&tr, &d.train, keep, 40, NULL) == 0);
    base = user_means_rmse(&d.train, &d.test);
    side[0].F = &d.F;
    CHECK(bfm_run(&out, NULL, &tr, side, &d.test, &o, &e) == 0);
    with_ids = rmse(&out, &d.test);
    spm_free(&out);
    side[0].ids = 0;
    CHECK(bfm_run(&out, NULL, &tr, side, &d.test, &o, &e) == 0);
    without_ids = rmse(&out, &d.test);
    spm_free(&out);
    CHECK(with_ids < 0.3 * base);
    CHECK(without_ids < 0.3 * base);
    /* without features a new item is the id group's mean: no better than the means */
    side[0].F = NULL, side[0].ids = 1;
    CHECK(bfm_run(&out, NULL, &tr, side, &d.test, &o, &e) == 0);
    CHECK(rmse(&out, &d.test) > 0.8 * base);
    spm_free(&out);
    spm_free(&tr);
    release(&d);
}

static void test_seeded(void)
{
    data d;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    bfm_opts o = opts(3, 5);
    spm a, b, c;
    int64_t k, same = 1, differ = 0;
    make(&d, 0.3, 2, -1, 3);
    side[0].F = &d.F;
    CHECK(bfm_run(&a, NULL, &d.train, side, &d.test, &o, NULL) == 0);
    CHECK(bfm_run(&b, NULL, &d.train, side, &d.test, &o, NULL) == 0);
    o.seed = 6;
    CHECK(bfm_run(&c, NULL, &d.train, side, &d.test, &o, NULL) == 0);
    for (k = 0; k < SPM_NNZ(&d.test); k++) {
        same &= a.x[k] == b.x[k];
        differ += a.x[k] != c.x[k];
    }
    CHECK(same);
    CHECK(differ > 0);
    spm_free(&a);
    spm_free(&b);
    spm_free(&c);
    release(&d);
}

/* A train row's prediction comes from the sums the sampler keeps (L and
 * Q), a new row's from its features: with features only (no ids) a new
 * row that copies train item 0's features must be predicted as item 0, on
 * either side of the ratings (each side computes its residuals in its
 * own order). */
static void check_copy(const spm *train, const spm *F, int items_are_cols)
{
    int64_t n = F->rows, m = items_are_cols ? train->rows : train->cols, map[NI + 1], i, t;
    size_t first = 0;
    spm row0, parts[2], F2, P;
    bfm_side side[2] = {{NULL, NULL, m, 1}, {NULL, NULL, m, 1}};
    bfm_side *s = &side[items_are_cols];
    bfm_opts o = opts(3, 4);
    spm out;
    double worst = 0;
    CHECK(spm_select_rows(&row0, F, &first, 1, NULL) == 0);
    parts[0] = *F, parts[1] = row0;
    CHECK(spm_stack(&F2, parts, 2, 0, NULL) == 0);
    for (i = 0; i <= n; i++)
        map[i] = i < n ? i : -1;
    s->F = &F2, s->map = map, s->n_full = n + 1, s->ids = 0;
    /* the pattern: every other-side index at item 0 and at the copy */
    if (items_are_cols) {
        CHECK(spm_alloc(&P, m, n + 1, 2 * m, NULL) == 0);
        for (i = 0; i < m; i++) {
            P.p[i + 1] = 2 * (i + 1);
            P.j[2 * i] = 0, P.j[2 * i + 1] = (spm_idx)n;
        }
    } else {
        CHECK(spm_alloc(&P, n + 1, m, 2 * m, NULL) == 0);
        for (i = 0; i <= n; i++)
            P.p[i + 1] = i < n ? m : 2 * m;
        for (t = 0; t < 2 * m; t++)
            P.j[t] = (spm_idx)(t % m);
    }
    for (t = 0; t < 2 * m; t++)
        P.x[t] = 0;
    CHECK(bfm_run(&out, NULL, train, side, &P, &o, NULL) == 0);
    for (i = 0; i < m; i++) {
        double a = out.x[items_are_cols ? 2 * i : i], b = out.x[items_are_cols ? 2 * i + 1 : m + i];
        worst = fabs(a - b) > worst ? fabs(a - b) : worst;
    }
    CHECK(worst < 1e-9);
    CHECK(out.x[0] != out.x[items_are_cols ? 2 : 1]); /* item 0's predictions differ between users */
    spm_free(&out);
    spm_free(&P);
    spm_free(&F2);
    spm_free(&row0);
}

static void test_kept_sums(void)
{
    data d;
    spm Rt;
    make(&d, 0.1, 2, -1, 5);
    check_copy(&d.train, &d.F, 0);
    CHECK(spm_transpose(&Rt, &d.train, NULL) == 0);
    check_copy(&Rt, &d.F, 1);
    spm_free(&Rt);
    release(&d);
}

static void test_errors(void)
{
    data d;
    int64_t map[NI], i;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    bfm_opts o = opts(2, 1);
    spm out, empty;
    core_err e;
    char want[80];
    size_t before = core_mem_in_use();
    make(&d, 0.1, 1, -1, 1);
    side[1].n_full = NU - 1;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINVAL);
    snprintf(want, sizeof want, "the full space %dx%d", NI, NU - 1);
    CHECK_MSG(e, want);
    side[1].n_full = NU;
    side[0].F = &d.test; /* NI x NU "features" are fine; a wrong row count is not */
    side[1].F = &d.F;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINVAL);
    snprintf(want, sizeof want, "columns features have %d rows, expected %d", NI, NU);
    CHECK_MSG(e, want);
    side[1].F = NULL, side[1].ids = 0;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "neither ids nor features");
    side[1].ids = 1;
    for (i = 0; i < NI; i++)
        map[i] = i;
    map[3] = NI;
    side[0].map = map;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "map entry 4 is outside");
    map[3] = 2;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "training rows 3 is mapped twice");
    map[3] = 3;
    side[0].map = NULL;
    o.samples = 0;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "samples >= 1");
    o.samples = 2;
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.train, &o, &e) == 0); /* the pattern may be train itself */
    spm_free(&out);
    core_interrupt_flag = 1; /* Ctrl-C before the first sweep: the setup's transposes stop, nothing held */
    CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, &e) == CORE_EINTR);
    CHECK_MSG(e, "interrupted");
    core_interrupt_flag = 0;
    CHECK(spm_alloc(&empty, NI, NU, 0, NULL) == 0);
    CHECK(bfm_run(&out, NULL, &empty, side, &d.test, &o, &e) == CORE_EINVAL);
    CHECK_MSG(e, "no training ratings");
    spm_free(&empty);
    release(&d);
    CHECK(core_mem_in_use() == before);
}

/* A plain Gibbs sampler for the model of test_seeded's data (item ids and
 * features in the likelihood, user ids, no link), drawing in bfm_run's
 * order from the same generator but keeping every residual of a dense
 * NI x NU grid itself, one parameter at a time. bfm_run forms per-row
 * sums for blocks of parameter kinds and corrects them algebraically; the
 * two must agree up to rounding for any number of factors, a block's
 * worth or not. */
typedef struct ref {
    int64_t K, nid[2], nf[2];
    double Fd[NI][NF], *w[2], *V[2], mu_w[2][2], lam_w[2][2], *mu_v[2][2], *lam_v[2][2];
    double e[NI][NU], w0, alpha;
    int has[NI][NU];
    rng g;
} ref;

static void ref_hyper(rng *g, const double *x, int64_t n, int64_t stride, double *mu, double *lam)
{
    double sum = 0, ss = 0, m = mu ? *mu : 0;
    int64_t i;
    if (n == 0)
        return;
    for (i = 0; i < n; i++) {
        sum += x[i * stride];
        ss += (x[i * stride] - m) * (x[i * stride] - m);
    }
    if (!mu) {
        *lam = rng_gamma(g, (1.0 + (double)n) / 2) / ((1.0 + ss) / 2);
        return;
    }
    *lam = rng_gamma(g, (1.0 + (double)n + 1) / 2) / ((1.0 + ss + m * m) / 2);
    *mu = sum / ((double)n + 1) + rng_normal(g) / sqrt(((double)n + 1) * *lam);
}

/* row r of side s: its linear part (f < 0) or factor f */
static double ref_value(const ref *m, int s, int64_t r, int64_t f)
{
    int64_t K = m->K, j;
    double v = f < 0 ? m->w[s][r] : m->V[s][r * K + f];
    for (j = 0; j < m->nf[s]; j++)
        v += m->Fd[r][j] * (f < 0 ? m->w[s][m->nid[s] + j] : m->V[s][(m->nid[s] + j) * K + f]);
    return v;
}

static void ref_residuals(ref *m, const spm *R)
{
    int64_t i, t, f;
    for (i = 0; i < R->rows; i++)
        for (t = R->p[i]; t < R->p[i + 1]; t++) {
            int64_t u = R->j[t];
            double y = m->w0 + ref_value(m, 0, i, -1) + ref_value(m, 1, u, -1);
            for (f = 0; f < m->K; f++)
                y += ref_value(m, 0, i, f) * ref_value(m, 1, u, f);
            m->e[i][u] = R->x[t] - y;
        }
}

/* every column of side s's design, kind f, from its conditional posterior */
static void ref_kind(ref *m, int s, int64_t f)
{
    int64_t K = m->K, j, r, o, n = s ? NU : NI, no = s ? NI : NU;
    double go[NI > NU ? NI : NU];
    for (o = 0; o < no; o++)
        go[o] = f < 0 ? 1 : ref_value(m, 1 - s, o, f);
    for (j = 0; j < m->nid[s] + m->nf[s]; j++) {
        int grp = j >= m->nid[s];
        double *theta = f < 0 ? &m->w[s][j] : &m->V[s][j * K + f];
        double mu = f < 0 ? m->mu_w[s][grp] : m->mu_v[s][grp][f], lam = f < 0 ? m->lam_w[s][grp] : m->lam_v[s][grp][f];
        double A = 0, B = 0, prec, nt, delta;
        for (r = 0; r < n; r++) {
            double x = grp ? m->Fd[r][j - m->nid[s]] : r == j;
            for (o = 0; x != 0 && o < no; o++)
                if (s ? m->has[o][r] : m->has[r][o]) {
                    A += x * go[o] * x * go[o];
                    B += x * go[o] * (s ? m->e[o][r] : m->e[r][o]);
                }
        }
        B += *theta * A;
        prec = m->alpha * A + lam;
        nt = (m->alpha * B + mu * lam) / prec + rng_normal(&m->g) / sqrt(prec);
        delta = nt - *theta;
        *theta = nt;
        for (r = 0; r < n; r++) {
            double x = grp ? m->Fd[r][j - m->nid[s]] : r == j;
            for (o = 0; x != 0 && o < no; o++)
                if (s ? m->has[o][r] : m->has[r][o])
                    *(s ? &m->e[o][r] : &m->e[r][o]) -= delta * x * go[o];
        }
    }
}

static void ref_run(double *pred, const spm *R, const spm *F, const spm *P, const bfm_opts *o)
{
    ref m;
    int64_t K = o->k, s, gi, f, i, t, it, nnz = SPM_NNZ(R), averaged = 0;
    double lo = HUGE_VAL, hi = -HUGE_VAL, mean = 0;
    memset(&m, 0, sizeof m);
    m.K = K, m.nid[0] = NI, m.nid[1] = NU, m.nf[0] = NF, m.nf[1] = 0, m.alpha = 1;
    for (i = 0; i < NI; i++)
        for (t = F->p[i]; t < F->p[i + 1]; t++)
            m.Fd[i][F->j[t]] = F->x[t];
    rng_seed(&m.g, o->seed);
    for (s = 0; s < 2; s++) {
        int64_t np = m.nid[s] + m.nf[s];
        m.w[s] = calloc((size_t)np, sizeof(double));
        m.V[s] = calloc((size_t)(np * K + 1), sizeof(double));
        for (gi = 0; gi < 2; gi++) {
            m.mu_v[s][gi] = calloc((size_t)K + 1, sizeof(double));
            m.lam_v[s][gi] = calloc((size_t)K + 1, sizeof(double));
            m.lam_w[s][gi] = 1;
            for (f = 0; f < K; f++)
                m.lam_v[s][gi][f] = 1;
        }
        for (i = 0; i < np * K; i++)
            m.V[s][i] = o->init_std * rng_normal(&m.g);
    }
    for (i = 0; i < R->rows; i++)
        for (t = R->p[i]; t < R->p[i + 1]; t++) {
            m.has[i][R->j[t]] = 1;
            lo = R->x[t] < lo ? R->x[t] : lo;
            hi = R->x[t] > hi ? R->x[t] : hi;
            mean += R->x[t] / (double)nnz;
        }
    m.w0 = mean;
    for (t = 0; t < SPM_NNZ(P); t++)
        pred[t] = 0;
    for (it = 0; it < o->burn_in + o->samples; it++) {
        double ss = 0, sum = 0;
        int64_t u;
        ref_residuals(&m, R);
        for (i = 0; i < NI; i++)
            for (u = 0; u < NU; u++)
                if (m.has[i][u]) {
                    ss += m.e[i][u] * m.e[i][u];
                    sum += m.e[i][u];
                }
        m.alpha = rng_gamma(&m.g, (1.0 + (double)nnz) / 2) / ((1.0 + ss) / 2);
        m.w0 += sum / (double)nnz + rng_normal(&m.g) / sqrt(m.alpha * (double)nnz);
        for (s = 0; s < 2; s++) {
            int64_t nid = m.nid[s];
            ref_residuals(&m, R);
            ref_hyper(&m.g, m.w[s], nid, 1, &m.mu_w[s][0], &m.lam_w[s][0]);
            ref_hyper(&m.g, m.w[s] + nid, m.nf[s], 1, &m.mu_w[s][1], &m.lam_w[s][1]);
            for (f = 0; f < K; f++) {
                ref_hyper(&m.g, m.V[s] + f, nid, K, &m.mu_v[s][0][f], &m.lam_v[s][0][f]);
                ref_hyper(&m.g, m.V[s] + nid * K + f, m.nf[s], K, &m.mu_v[s][1][f], &m.lam_v[s][1][f]);
            }
            for (f = -1; f < K; f++)
                ref_kind(&m, (int)s, f);
        }
        if (it < o->burn_in)
            continue;
        averaged++;
        for (i = 0; i < P->rows; i++)
            for (t = P->p[i]; t < P->p[i + 1]; t++) {
                double y = m.w0 + ref_value(&m, 0, i, -1) + ref_value(&m, 1, P->j[t], -1);
                for (f = 0; f < K; f++)
                    y += ref_value(&m, 0, i, f) * ref_value(&m, 1, P->j[t], f);
                pred[t] += y < lo ? lo : y > hi ? hi : y;
            }
    }
    for (t = 0; t < SPM_NNZ(P); t++)
        pred[t] /= (double)averaged;
    for (s = 0; s < 2; s++) {
        free(m.w[s]);
        free(m.V[s]);
        for (gi = 0; gi < 2; gi++) {
            free(m.mu_v[s][gi]);
            free(m.lam_v[s][gi]);
        }
    }
}

/* at every block count, with 0/1 features (whose columns take a path
 * without multiplies) and with features of other values */
static void test_matches_reference(void)
{
    static const int64_t ks[] = {0, 1, 3, 8, 9, 17};
    data d;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    spm G;
    size_t c;
    int64_t t;
    make(&d, 0.3, 2, -1, 11);
    CHECK(spm_copy(&G, &d.F, NULL) == 0);
    for (t = 0; t < SPM_NNZ(&G); t++)
        G.x[t] = t % 3 ? 0.5 + (double)(t % 5) : 1;
    for (c = 0; c < 2 * sizeof ks / sizeof *ks; c++) {
        bfm_opts o = opts(ks[c / 2], 9);
        spm out;
        double *want = malloc((size_t)SPM_NNZ(&d.test) * sizeof *want), worst = 0;
        o.burn_in = 4, o.samples = 6;
        side[0].F = c % 2 ? &G : &d.F;
        CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, NULL) == 0);
        ref_run(want, &d.train, side[0].F, &d.test, &o);
        for (t = 0; t < SPM_NNZ(&d.test); t++)
            worst = fabs(out.x[t] - want[t]) > worst ? fabs(out.x[t] - want[t]) : worst;
        if (getenv("SIMEC_TEST_VERBOSE"))
            printf("  k %lld, %s features: largest difference from the reference sampler %.3g\n", (long long)ks[c / 2],
                   c % 2 ? "valued" : "0/1", worst);
        CHECK(worst < 1e-9);
        free(want);
        spm_free(&out);
    }
    spm_free(&G);
    release(&d);
}

/* NU x 4 user features: a value in one of four columns each, the rest
 * empty */
static void user_features(spm *Fu)
{
    mat Fm;
    rng g;
    int64_t u;
    rng_seed(&g, 13);
    mat_init(&Fm, NU, 4, NULL);
    for (u = 0; u < NU; u++)
        MAT_AT(&Fm, u, u % 4) = rng_uniform(&g) < 0.7 ? rng_normal(&g) : 0;
    CHECK(spm_from_dense(Fu, &Fm, 0, NULL) == 0);
    mat_release(&Fm);
}

/* Where the processor has AVX-512 the block sums take a second form
 * (row_sums_wide): it must give the same draws to the bit as the other,
 * at every block count, with features on both sides and with link. */
static void test_wide_sums(void)
{
    static const int64_t ks[] = {0, 3, 8, 9, 17};
    const char *was = getenv("SIMEC_WIDE");
    char *keep = was ? strdup(was) : NULL;
    data d;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    spm Fu;
    size_t c;
    unsetenv("SIMEC_WIDE");
    if (!core_wide()) {
        printf("test_wide_sums: skipped: no AVX-512 on this processor (or a build without it): one form only\n");
        free(keep);
        return;
    }
    make(&d, 0.3, 2, -1, 12);
    user_features(&Fu);
    side[0].F = &d.F;
    for (c = 0; c < 2 * sizeof ks / sizeof *ks; c++) {
        bfm_opts o = opts(ks[c / 2], 3);
        spm wide, narrow;
        o.burn_in = 3, o.samples = 4, o.link = (int)(c % 2);
        side[1].F = c % 2 ? NULL : &Fu;
        CHECK(bfm_run(&wide, NULL, &d.train, side, &d.test, &o, NULL) == 0);
        setenv("SIMEC_WIDE", "0", 1);
        CHECK(!core_wide());
        CHECK(bfm_run(&narrow, NULL, &d.train, side, &d.test, &o, NULL) == 0);
        unsetenv("SIMEC_WIDE");
        CHECK(memcmp(wide.x, narrow.x, (size_t)SPM_NNZ(&d.test) * sizeof *wide.x) == 0);
        spm_free(&wide);
        spm_free(&narrow);
    }
    if (keep)
        setenv("SIMEC_WIDE", keep, 1);
    free(keep);
    spm_free(&Fu);
    release(&d);
}

/* The predictions are averaged four entries at a time, the rest one at a
 * time: with 1, 2 or 3 more entries in front of the test entries every
 * entry moves to another lane or between the two paths, and each must
 * come out the same to the bit (the sampler's draws do not read the
 * pattern). */
static void test_prediction_lanes(void)
{
    static const int64_t ks[] = {3, 8, 9};
    data d;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    int64_t extra, c;
    make(&d, 0.3, 2, -1, 14);
    side[0].F = &d.F;
    for (c = 0; c < (int64_t)(sizeof ks / sizeof *ks); c++) {
        bfm_opts o = opts(ks[c], 5);
        spm base;
        o.burn_in = 2, o.samples = 3;
        CHECK(bfm_run(&base, NULL, &d.train, side, &d.test, &o, NULL) == 0);
        for (extra = 1; extra <= 3; extra++) {
            int64_t n = SPM_NNZ(&d.test) + extra, t, at = 0, i, same = 1, u = 0;
            spm_idx *ri = core_malloc((size_t)n * sizeof *ri), *ci = core_malloc((size_t)n * sizeof *ci);
            double *x = core_calloc((size_t)n, sizeof *x);
            spm P, out;
            /* the extra entries: row 0's first columns that the test lacks */
            for (t = 0; at < extra; u++) {
                while (t < d.test.p[1] && d.test.j[t] < u)
                    t++;
                if (t < d.test.p[1] && d.test.j[t] == u)
                    continue;
                ri[at] = 0, ci[at] = (spm_idx)u, at++;
            }
            for (i = 0; i < d.test.rows; i++)
                for (t = d.test.p[i]; t < d.test.p[i + 1]; t++)
                    ri[at] = (spm_idx)i, ci[at] = d.test.j[t], x[at] = d.test.x[t], at++;
            CHECK(spm_from_triplets_owned(&P, NI, NU, &ri, &ci, &x, n, SPM_DUP_ERROR, NULL) == 0);
            CHECK(bfm_run(&out, NULL, &d.train, side, &P, &o, NULL) == 0);
            for (i = 0; i < d.test.rows; i++) {
                int64_t s = P.p[i];
                for (t = d.test.p[i]; t < d.test.p[i + 1]; t++) {
                    while (P.j[s] != d.test.j[t])
                        s++;
                    same &= memcmp(&out.x[s], &base.x[t], sizeof *out.x) == 0;
                }
            }
            CHECK(same);
            spm_free(&P);
            spm_free(&out);
        }
        spm_free(&base);
    }
    release(&d);
}

/* On two threads the next side's first normals are drawn ahead while a
 * side's last block is drawn: every side of every sweep but the first
 * takes them, with one and two blocks, features on both sides and link
 * (the priors' draws skipped on a copy of the generator must be the
 * draws the sweep makes). That the predictions are those of one thread
 * is models_spec's check, across processes. */
static void test_normals_ahead(void)
{
    static const int64_t ks[] = {0, 8, 12};
    data d;
    bfm_side side[2] = {{NULL, NULL, NI, 1}, {NULL, NULL, NU, 1}};
    spm Fu;
    size_t c;
    make(&d, 0.3, 2, -1, 15);
    user_features(&Fu);
    side[0].F = &d.F, side[1].F = &Fu;
    for (c = 0; c < 2 * sizeof ks / sizeof *ks; c++) {
        bfm_opts o = opts(ks[c / 2], 6);
        int64_t ahead = -1;
        spm out;
        o.burn_in = 2, o.samples = 3, o.link = (int)(c % 2), o.drawn_ahead = &ahead;
        CHECK(bfm_run(&out, NULL, &d.train, side, &d.test, &o, NULL) == 0);
        CHECK(ahead == (par_threads() > 1 ? 2 * (o.burn_in + o.samples) - 1 : 0));
        spm_free(&out);
    }
    spm_free(&Fu);
    release(&d);
}

/* The passes write a train row's full-space factors where it has one
 * full-space row; without features a train row may stand for two (a map
 * that repeats it), and both must get its factors: the same predictions
 * as for the row it repeats. */
static void test_row_twice(void)
{
    data d;
    bfm_side side[2] = {{NULL, NULL, NI + 1, 1}, {NULL, NULL, NU, 1}};
    int64_t map[NI + 1], i, t, u;
    spm P, out;
    spm_idx *ri = core_malloc(2 * NU * sizeof *ri), *ci = core_malloc(2 * NU * sizeof *ci);
    double *x = core_calloc(2 * NU, sizeof *x);
    bfm_opts o = opts(3, 8);
    make(&d, 0.3, 2, -1, 16);
    for (i = 0; i < NI; i++)
        map[i] = i;
    map[NI] = 5; /* a last full row that is train row 5 again */
    side[0].map = map;
    for (u = 0; u < NU; u++) {
        ri[2 * u] = 5, ci[2 * u] = (spm_idx)u;
        ri[2 * u + 1] = NI, ci[2 * u + 1] = (spm_idx)u;
    }
    CHECK(spm_from_triplets_owned(&P, NI + 1, NU, &ri, &ci, &x, 2 * NU, SPM_DUP_ERROR, NULL) == 0);
    o.burn_in = 2, o.samples = 3;
    CHECK(bfm_run(&out, NULL, &d.train, side, &P, &o, NULL) == 0);
    for (t = 0; t < NU; t++)
        CHECK(out.x[P.p[5] + t] == out.x[P.p[NI] + t]);
    spm_free(&out);
    spm_free(&P);
    release(&d);
}

int main(void)
{
    setenv("SIMEC_THREADS", "2", 0); /* the normals drawn ahead need a second thread */
    RUN(test_low_rank);
    RUN(test_cold_items);
    RUN(test_seeded);
    RUN(test_kept_sums);
    RUN(test_matches_reference);
    RUN(test_wide_sums);
    RUN(test_prediction_lanes);
    RUN(test_normals_ahead);
    RUN(test_row_twice);
    RUN(test_errors);
    return check_summary();
}
