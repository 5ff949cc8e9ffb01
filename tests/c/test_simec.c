#include <stdlib.h>
#include <unistd.h>
#include "check.h"
#include "alloc.h"
#include "rng.h"
#include "simec_impl.h"
#include "simec_model.h"

static void randmat(mat *M, size_t r, size_t c, double zero_frac, rng *g)
{
    size_t i;
    mat_init(M, r, c, NULL);
    for (i = 0; i < r * c; i++)
        M->x[i] = rng_uniform(g) < zero_frac ? 0.0 : rng_normal(g);
}

/* Central differences of the batch loss against simec_batch_grad, on every
 * parameter; returns the worst error relative to max(1, |g|). */
static double grad_error(simec *m, const simec_input *x, const simec_target *t)
{
    size_t rows[] = {0, 2, 3, 5}, i;
    double *g = malloc(m->n_params * sizeof *g), loss, lp, lm, worst = 0.0, h = 1e-6;
    core_err e;
    CHECK(simec_batch_grad(m, x, t, rows, 4, &loss, g, &e) == CORE_OK);
    for (i = 0; i < m->n_params; i++) {
        double keep = m->theta[i], num, err;
        if (m->cfg.wll_frozen && i >= m->layer[m->nl - 1].w_off) { /* not trained: no gradient */
            CHECK(g[i] == 0.0);
            continue;
        }
        m->theta[i] = keep + h;
        simec_batch_grad(m, x, t, rows, 4, &lp, NULL, &e);
        m->theta[i] = keep - h;
        simec_batch_grad(m, x, t, rows, 4, &lm, NULL, &e);
        m->theta[i] = keep;
        num = (lp - lm) / (2 * h);
        err = fabs(num - g[i]) / (fabs(g[i]) > 1.0 ? fabs(g[i]) : 1.0);
        if (err > worst)
            worst = err;
    }
    free(g);
    return worst;
}

typedef struct gcase {
    const char *name;
    int input;      /* 0 identity, 1 dense, 2 sparse */
    int hidden_act; /* -1: no hidden layer */
    int ll_act, loss, missing, dense_targets;
    double l2, l2_emb, l2_out, s_ll, orth;
    int frozen;
} gcase;

static void test_gradients(void)
{
    static const gcase cases[] = {
        {"identity linear mse zero", 0, -1, SIMEC_LINEAR, SIMEC_MSE, SIMEC_ZERO, 0, 0, 0, 0, 0, 0, 0},
        {"identity linear mse mask", 0, -1, SIMEC_LINEAR, SIMEC_MSE, SIMEC_MASK, 0, 0, 0, 0, 0, 0, 0},
        {"dense tanh mse mask", 1, SIMEC_TANH, SIMEC_LINEAR, SIMEC_MSE, SIMEC_MASK, 0, 1e-3, 0, 0, 0, 0, 0},
        {"sparse relu mse zero", 2, SIMEC_RELU, SIMEC_LINEAR, SIMEC_MSE, SIMEC_ZERO, 0.01, 0.02, 0.03, 0, 0, 0, 0},
        {"sparse sigmoid mae mask", 2, SIMEC_SIGMOID, SIMEC_LINEAR, SIMEC_MAE, SIMEC_MASK, 0, 0, 0, 0, 0, 0, 0},
        {"dense leaky bce zero", 1, SIMEC_LEAKY_RELU, SIMEC_SIGMOID, SIMEC_BCE, SIMEC_ZERO, 0, 0, 0, 0, 0, 0, 0},
        {"identity sigmoid-out bce mask", 0, -1, SIMEC_SIGMOID, SIMEC_BCE, SIMEC_MASK, 0, 0, 0, 0, 0, 0, 0},
        {"dense targets mse mask (NaN)", 1, SIMEC_TANH, SIMEC_LINEAR, SIMEC_MSE, SIMEC_MASK, 0, 0, 0, 0, 0, 1, 0},
        {"dense targets mae zero", 2, -1, SIMEC_SIGMOID, SIMEC_MAE, SIMEC_ZERO, 0, 0, 0, 0, 0, 1, 0},
        {"s_ll_reg (a missing similarity) and orth_reg", 0, -1, SIMEC_LINEAR, SIMEC_MSE, SIMEC_MASK, 0, 0, 0.01, 0.5,
         0.3, 0.2, 0},
        {"s_ll_reg (every similarity, asymmetric)", 1, -1, SIMEC_LINEAR, SIMEC_MSE, SIMEC_MASK, 0, 0, 0, 0, 0.5, 0, 0},
        {"s_ll_reg (every similarity, symmetric)", 0, -1, SIMEC_LINEAR, SIMEC_MSE, SIMEC_ZERO, 0, 0, 0, 0, 2, 0, 0},
        {"frozen last layer", 2, SIMEC_TANH, SIMEC_LINEAR, SIMEC_MSE, SIMEC_MASK, 0, 0.01, 0.5, 0, 0, 0, 1},
    };
    size_t k;
    rng g;
    rng_seed(&g, 7);
    for (k = 0; k < sizeof cases / sizeof *cases; k++) {
        const gcase *c = &cases[k];
        simec_cfg cfg;
        simec m;
        mat X, T, Td;
        spm XS, TS;
        simec_input in;
        simec_target tg;
        size_t i, j;
        double err;
        core_err e;
        randmat(&X, 8, 5, c->input == 2 ? 0.5 : 0.0, &g);
        randmat(&T, 8, 6, 0.5, &g);
        if (c->loss == SIMEC_BCE)
            for (i = 0; i < 48; i++)
                T.x[i] = T.x[i] != 0.0 ? (T.x[i] > 0) : 0.0;
        spm_from_dense(&XS, &X, 0.0, NULL);
        spm_from_dense(&TS, &T, 0.0, NULL);
        mat_copy(&Td, &T, NULL);
        for (i = 0; i < 48; i++)
            if (c->missing == SIMEC_MASK && T.x[i] == 0.0)
                Td.x[i] = NAN;
        simec_cfg_default(&cfg);
        cfg.input = c->input ? SIMEC_IN_FEATURES : SIMEC_IN_IDENTITY;
        cfg.in_dim = c->input ? 5 : 8;
        cfg.emb_dim = 3;
        cfg.out_dim = 6;
        if (c->hidden_act >= 0) {
            cfg.n_hidden = 1;
            cfg.hidden[0] = 4;
            cfg.hidden_act[0] = c->hidden_act;
        }
        cfg.ll_act = c->ll_act, cfg.loss = c->loss, cfg.missing = c->missing;
        cfg.l2_reg = c->l2, cfg.l2_reg_emb = c->l2_emb, cfg.l2_reg_out = c->l2_out;
        cfg.s_ll_reg = c->s_ll, cfg.orth_reg = c->orth, cfg.wll_frozen = c->frozen;
        cfg.seed = (uint32_t)k + 1;
        CHECK(simec_init(&m, &cfg, &e) == CORE_OK);
        for (i = 0; i < m.n_params; i++) /* non-zero biases too */
            m.theta[i] += 0.1 * rng_normal(&g);
        if (c->s_ll > 0) {
            randmat(&m.S_ll, 6, 6, 0.0, &g);
            if (strstr(c->name, "missing"))
                MAT_AT(&m.S_ll, 1, 2) = NAN;
            if (strstr(c->name, " symmetric)"))
                for (i = 0; i < 6; i++)
                    for (j = 0; j < i; j++)
                        MAT_AT(&m.S_ll, j, i) = MAT_AT(&m.S_ll, i, j);
            simec_s_ll_prepare(&m);
            CHECK(m.s_ll_complete == !strstr(c->name, "missing"));
            CHECK(m.s_ll_symmetric == (strstr(c->name, " symmetric)") != NULL));
        }
        memset(&in, 0, sizeof in);
        in.D = c->input == 1 ? &X : NULL;
        in.S = c->input == 2 ? &XS : NULL;
        in.n = 8;
        tg.S = c->dense_targets ? NULL : &TS;
        tg.D = c->dense_targets ? &Td : NULL;
        err = grad_error(&m, &in, &tg);
        if (!(err < 1e-6))
            fprintf(stderr, "gradient check '%s': worst relative error %g\n", c->name, err);
        CHECK(err < 1e-6);
        if (m.s_ll_complete) { /* the short path's loss and gradient are the general path's */
            size_t rows[] = {0, 2, 3, 5};
            double *g1 = malloc(m.n_params * sizeof *g1), *g2 = malloc(m.n_params * sizeof *g2), l1, l2, worst = 0;
            CHECK(simec_batch_grad(&m, &in, &tg, rows, 4, &l1, g1, &e) == CORE_OK);
            m.s_ll_complete = 0;
            CHECK(simec_batch_grad(&m, &in, &tg, rows, 4, &l2, g2, &e) == CORE_OK);
            m.s_ll_complete = 1;
            for (i = 0; i < m.n_params; i++)
                worst = fmax(worst, fabs(g1[i] - g2[i]) / fmax(1.0, fabs(g2[i])));
            CHECK(fabs(l1 - l2) <= 1e-12 * fmax(1.0, fabs(l2)));
            CHECK(worst < 1e-12);
            free(g1), free(g2);
        }
        simec_free(&m);
        mat_release(&X), mat_release(&T), mat_release(&Td);
        spm_free(&XS), spm_free(&TS);
    }
}

/* Loss and gradient of a batch under the same targets stored sparse
 * (zero-filled) and dense agree within tol (relative to the loss and to the
 * largest gradient entry, at least 1); then simec_eval_loss too. */
static void sparse_dense_agree(simec *m, const simec_input *in, const mat *T, const size_t *rows, size_t n, double tol,
                               const char *what)
{
    spm TS;
    simec_target ts, td;
    double *gs = malloc(m->n_params * sizeof *gs), *gd = malloc(m->n_params * sizeof *gd), ls, ld, worst = 0.0,
           big = 1.0;
    size_t i;
    core_err e;
    spm_from_dense(&TS, T, 0.0, NULL);
    ts.S = &TS, ts.D = NULL;
    td.S = NULL, td.D = (mat *)T;
    CHECK(simec_batch_grad(m, in, &ts, rows, n, &ls, gs, &e) == CORE_OK);
    CHECK(simec_batch_grad(m, in, &td, rows, n, &ld, gd, &e) == CORE_OK);
    CHECK(fabs(ls - ld) <= tol * (fabs(ld) > 1.0 ? fabs(ld) : 1.0));
    for (i = 0; i < m->n_params; i++) {
        if (fabs(gs[i] - gd[i]) > worst)
            worst = fabs(gs[i] - gd[i]);
        if (fabs(gd[i]) > big)
            big = fabs(gd[i]);
    }
    if (!(worst <= tol * big))
        fprintf(stderr, "%s: gradient differs by %g\n", what, worst);
    CHECK(worst <= tol * big);
    CHECK(simec_eval_loss(m, in, &ts, 4, &ls, &e) == CORE_OK);
    CHECK(simec_eval_loss(m, in, &td, 4, &ld, &e) == CORE_OK);
    CHECK(fabs(ls - ld) <= tol * (fabs(ld) > 1.0 ? fabs(ld) : 1.0));
    free(gs), free(gd);
    spm_free(&TS);
}

/* Zero-filled sparse targets under the squared error take the Gram path
 * (no outputs formed); the same targets stored dense take the chunked pass
 * over every output. Loss and gradient must agree, with a frozen last layer
 * too, and on a batch with an empty target row. */
static void test_gram_matches_chunked(void)
{
    int frozen;
    rng g;
    rng_seed(&g, 11);
    for (frozen = 0; frozen < 2; frozen++) {
        simec_cfg cfg;
        simec m;
        mat X, T;
        spm XS;
        simec_input in;
        size_t rows[] = {1, 4, 6, 7, 0}, i;
        core_err e;
        randmat(&X, 9, 7, 0.4, &g);
        randmat(&T, 9, 13, 0.7, &g);
        for (i = 0; i < 13; i++)
            MAT_AT(&T, 6, i) = 0.0; /* a row with no stored target */
        spm_from_dense(&XS, &X, 0.0, NULL);
        simec_cfg_default(&cfg);
        cfg.input = SIMEC_IN_FEATURES, cfg.in_dim = 7, cfg.emb_dim = 4, cfg.out_dim = 13;
        cfg.n_hidden = 1, cfg.hidden[0] = 5, cfg.hidden_act[0] = SIMEC_TANH;
        cfg.missing = SIMEC_ZERO, cfg.l2_reg_emb = 0.01, cfg.wll_frozen = frozen;
        cfg.seed = 5;
        CHECK(simec_init(&m, &cfg, &e) == CORE_OK);
        memset(&in, 0, sizeof in);
        in.S = &XS, in.n = 9;
        sparse_dense_agree(&m, &in, &T, rows, 5, 1e-12, frozen ? "Gram path (frozen)" : "Gram path");
        simec_free(&m);
        mat_release(&X), mat_release(&T);
        spm_free(&XS);
    }
}

/* A wide output layer (eight chunks or more) runs its chunks on several
 * threads, each starting its sparse-target cursors at its first chunk. Its
 * loss and gradient must match the Gram path (squared error) and, under a
 * loss without a Gram form, the same targets stored dense. */
static void test_wide_chunked_threads(void)
{
    int loss;
    rng g;
    rng_seed(&g, 12);
    for (loss = 0; loss < 2; loss++) {
        simec_cfg cfg;
        simec m;
        mat X, T;
        spm XS;
        simec_input in;
        size_t rows[] = {1, 4, 6, 7, 0}, i, out = 9 * 1024 + 37;
        core_err e;
        randmat(&X, 9, 7, 0.4, &g);
        randmat(&T, 9, out, 0.05, &g);
        for (i = 0; i < out; i++)
            MAT_AT(&T, 6, i) = 0.0; /* a row with no stored target */
        spm_from_dense(&XS, &X, 0.0, NULL);
        simec_cfg_default(&cfg);
        cfg.input = SIMEC_IN_FEATURES, cfg.in_dim = 7, cfg.emb_dim = 4, cfg.out_dim = out;
        cfg.missing = SIMEC_ZERO, cfg.loss = loss ? SIMEC_MAE : SIMEC_MSE, cfg.seed = 5;
        CHECK(simec_init(&m, &cfg, &e) == CORE_OK);
        memset(&in, 0, sizeof in);
        in.S = &XS, in.n = 9;
        sparse_dense_agree(&m, &in, &T, rows, 5, 1e-10, loss ? "wide outputs (mae)" : "wide outputs (Gram path)");
        simec_free(&m);
        mat_release(&X), mat_release(&T);
        spm_free(&XS);
    }
}

/* The largest difference between two models' parameters, relative to
 * b's (at least 1e-3) */
static double param_diff(const simec *a, const simec *b)
{
    double worst = 0.0;
    size_t i;
    for (i = 0; i < a->n_params; i++) {
        double d = fabs(a->theta[i] - b->theta[i]) / (fabs(b->theta[i]) > 1e-3 ? fabs(b->theta[i]) : 1e-3);
        worst = d > worst ? d : worst;
    }
    return worst;
}

/* a and b from cfg, a fitted as o says and b with dense_updates (the
 * plain optimiser step after every batch): the reference every in-pass or
 * lazy step is checked against. Both are the caller's to free. */
static void fit_with_dense_twin(simec *a, simec *b, const simec_cfg *cfg, const simec_input *in,
                                const simec_target *tg, simec_fit_opts o)
{
    simec_fit_info info;
    core_err e;
    CHECK(simec_init(a, cfg, &e) == CORE_OK);
    CHECK(simec_init(b, cfg, &e) == CORE_OK);
    CHECK(simec_fit(a, in, tg, &o, &info, &e) == CORE_OK);
    o.dense_updates = 1;
    CHECK(simec_fit(b, in, tg, &o, &info, &e) == CORE_OK);
}

/* Training on zero-filled sparse targets (the Gram pass: V's gradient from
 * V (Y^T Y) and the stored entries, never forming the outputs) must follow
 * training on the same targets stored dense (every output formed): Adamax
 * with and without an l2 penalty on the last layer (without one the pass
 * takes the layer's optimiser step itself), and a frozen last layer (whose
 * V^T V the pass computes once a fit); with few outputs and with enough
 * for the pass's threads. */
static void test_gram_fit_matches_dense(void)
{
    static const struct {
        int frozen;
        size_t out;
        double l2_out;
    } cases[] = {{0, 300, 1e-3}, {1, 300, 0.0}, {0, 20000, 1e-3}, {0, 300, 0.0}, {0, 20000, 0.0}, {1, 20000, 0.0}};
    size_t k;
    rng g;
    core_err e;
    rng_seed(&g, 23);
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t out = cases[k].out;
        mat X, T;
        spm XS, TS;
        simec_cfg cfg;
        simec a, b;
        simec_input in;
        simec_target ts, td;
        simec_fit_opts o;
        simec_fit_info info;
        double worst = 0.0;
        randmat(&X, 40, 12, 0.8, &g);
        randmat(&T, 40, out, 0.9, &g);
        spm_from_dense(&XS, &X, 0.0, NULL);
        spm_from_dense(&TS, &T, 0.0, NULL);
        simec_cfg_default(&cfg);
        cfg.input = SIMEC_IN_FEATURES, cfg.in_dim = 12, cfg.emb_dim = 4, cfg.out_dim = out;
        cfg.missing = SIMEC_ZERO, cfg.l2_reg_emb = 1e-3, cfg.l2_reg_out = cases[k].l2_out, cfg.lr = 0.01;
        cfg.wll_frozen = cases[k].frozen, cfg.seed = 6;
        CHECK(simec_init(&a, &cfg, &e) == CORE_OK);
        CHECK(simec_init(&b, &cfg, &e) == CORE_OK);
        memset(&in, 0, sizeof in);
        in.S = &XS, in.n = 40;
        ts.S = &TS, ts.D = NULL;
        td.S = NULL, td.D = &T;
        simec_fit_opts_default(&o);
        o.epochs = 5, o.batch_size = 4;
        CHECK(simec_fit(&a, &in, &ts, &o, &info, &e) == CORE_OK);
        CHECK(simec_fit(&b, &in, &td, &o, &info, &e) == CORE_OK);
        worst = param_diff(&a, &b);
        if (getenv("SIMEC_TEST_VERBOSE") || !(worst < 1e-8))
            fprintf(stderr, "Gram fit (case %zu): parameters differ by %g relative\n", k, worst);
        CHECK(worst < 1e-8);
        simec_free(&a), simec_free(&b);
        mat_release(&X), mat_release(&T);
        spm_free(&XS), spm_free(&TS);
    }
}

/* The zero-filled outputs in column chunks step the last layer's rows
 * chunk by chunk when nothing regularises it: the same fit as the plain
 * step after the batch (dense_updates), for dense and sparse targets, one
 * chunk on one thread and many on several, under each optimiser. */
static void test_chunk_step_matches_plain(void)
{
    static const struct {
        size_t out, emb;
        int sparse_t, opt;
    } cases[] = {{300, 4, 0, SIMEC_ADAMAX}, {20000, 4, 0, SIMEC_ADAMAX}, {20000, 64, 1, SIMEC_ADAM},
                 {300, 64, 1, SIMEC_SGD},   {20000, 4, 0, SIMEC_SGD}};
    size_t k, i;
    rng g;
    core_err e;
    rng_seed(&g, 29);
    for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        mat X, T;
        spm XS, TS;
        simec_cfg cfg;
        simec a, b;
        simec_input in;
        simec_target tg;
        simec_fit_opts o;
        double worst = 0.0, moved = 0.0;
        randmat(&X, 40, 12, 0.8, &g);
        randmat(&T, 40, cases[k].out, 0.9, &g);
        spm_from_dense(&XS, &X, 0.0, NULL);
        spm_from_dense(&TS, &T, 0.0, NULL);
        simec_cfg_default(&cfg);
        cfg.input = SIMEC_IN_FEATURES, cfg.in_dim = 12, cfg.emb_dim = cases[k].emb, cfg.out_dim = cases[k].out;
        cfg.missing = SIMEC_ZERO, cfg.l2_reg_emb = 1e-3, cfg.l2_reg_out = 0.0, cfg.opt = cases[k].opt;
        cfg.lr = 0.01, cfg.seed = 8;
        memset(&in, 0, sizeof in);
        in.S = &XS, in.n = 40;
        tg.S = cases[k].sparse_t ? &TS : NULL, tg.D = cases[k].sparse_t ? NULL : &T;
        simec_fit_opts_default(&o);
        o.epochs = 4, o.batch_size = 4;
        fit_with_dense_twin(&a, &b, &cfg, &in, &tg, o);
        CHECK(!cases[k].sparse_t || !simec_gram_pass(&a, &tg, 4)); /* these go through the chunks */
        worst = param_diff(&a, &b);
        { /* the last layer did train */
            simec c;
            CHECK(simec_init(&c, &cfg, &e) == CORE_OK);
            for (i = SIMEC_LAST(&a)->w_off; i < SIMEC_LAST(&a)->w_off + cases[k].emb * cases[k].out; i++)
                moved += fabs(a.theta[i] - c.theta[i]);
            simec_free(&c);
        }
        if (getenv("SIMEC_TEST_VERBOSE") || !(worst < 1e-10))
            fprintf(stderr, "chunk step (case %zu): parameters differ by %g relative\n", k, worst);
        CHECK(worst < 1e-10 && moved > 0.0);
        { /* the chunks' loss: the mean squared error of the predictions */
            mat O;
            double loss = -1.0, want = 0.0;
            size_t r, c;
            CHECK(simec_eval_loss(&a, &in, &tg, 0, &loss, &e) == CORE_OK);
            CHECK(simec_predict(&a, &in, &O, &e) == CORE_OK);
            for (r = 0; r < 40; r++)
                for (c = 0; c < cases[k].out; c++)
                    want += (MAT_AT(&O, r, c) - MAT_AT(&T, r, c)) * (MAT_AT(&O, r, c) - MAT_AT(&T, r, c));
            want /= 40.0 * (double)cases[k].out;
            CHECK(fabs(loss - want) <= 1e-12 * want);
            mat_release(&O);
        }
        simec_free(&a), simec_free(&b);
        mat_release(&X), mat_release(&T);
        spm_free(&XS), spm_free(&TS);
    }
}

/* A linear SimEc on identity input with full targets is a rank-k
 * factorisation: it must reach the truncated SVD's error. */
static void test_svd_error(void)
{
    simec_cfg cfg;
    simec m;
    mat T, U, s, Vt;
    simec_input in;
    simec_target tg;
    simec_fit_opts o;
    simec_fit_info info;
    double best = 0.0, loss;
    size_t i, k = 4;
    rng g;
    core_err e;
    rng_seed(&g, 3);
    randmat(&T, 30, 20, 0.0, &g);
    mat_svd(&U, &s, &Vt, &T, 0, NULL);
    for (i = k; i < s.rows; i++)
        best += s.x[i] * s.x[i];
    best /= 30.0 * 20.0; /* the mean squared error of the rank-k truncation */
    simec_cfg_default(&cfg);
    cfg.in_dim = 30, cfg.emb_dim = k, cfg.out_dim = 20;
    cfg.l2_reg_emb = 0.0;
    cfg.opt = SIMEC_ADAM;
    cfg.lr = 0.01;
    cfg.seed = 1;
    CHECK(simec_init(&m, &cfg, &e) == CORE_OK);
    memset(&in, 0, sizeof in);
    tg.S = NULL, tg.D = &T;
    simec_fit_opts_default(&o);
    o.epochs = 3000;
    o.batch_size = 30;
    o.plateau_factor = 0.5;
    o.plateau_patience = 50;
    o.keep_best = 1;
    CHECK(simec_fit(&m, &in, &tg, &o, &info, &e) == CORE_OK);
    CHECK(simec_eval_loss(&m, &in, &tg, 0, &loss, &e) == CORE_OK);
    if (!(loss <= best * 1.01))
        fprintf(stderr, "SimEc MSE %g vs rank-%zu SVD %g\n", loss, k, best);
    CHECK(loss <= best * 1.01);
    simec_free(&m);
    mat_release(&T), mat_release(&U), mat_release(&s), mat_release(&Vt);
}

/* Masked SimEc(I) on low-rank data with half the entries missing recovers them */
static void test_masked_recovery(void)
{
    simec_cfg cfg;
    simec m;
    mat P, Q, F;
    spm Tr, Te, out;
    simec_input in;
    simec_target tg;
    simec_fit_opts o;
    simec_fit_info info;
    size_t i, j, n = 80, p = 60;
    double noise = 0.1, se = 0.0;
    int64_t t, cnt = 0;
    rng g;
    core_err e;
    rng_seed(&g, 11);
    randmat(&P, n, 3, 0.0, &g);
    randmat(&Q, p, 3, 0.0, &g);
    {
        mat Qt, Tr_d, Te_d;
        mat_transpose(&Qt, &Q, NULL);
        mat_gemm(&F, &P, &Qt, NULL);
        mat_init(&Tr_d, n, p, NULL);
        mat_init(&Te_d, n, p, NULL);
        for (i = 0; i < n; i++)
            for (j = 0; j < p; j++) {
                double v = MAT_AT(&F, i, j) + noise * rng_normal(&g);
                if (rng_uniform(&g) < 0.5)
                    MAT_AT(&Tr_d, i, j) = v;
                else
                    MAT_AT(&Te_d, i, j) = MAT_AT(&F, i, j) + 1e-300; /* kept even if 0 */
            }
        spm_from_dense(&Tr, &Tr_d, 0.0, NULL);
        spm_from_dense(&Te, &Te_d, 0.0, NULL);
        mat_release(&Qt), mat_release(&Tr_d), mat_release(&Te_d);
    }
    simec_cfg_default(&cfg);
    cfg.in_dim = n, cfg.emb_dim = 3, cfg.out_dim = p;
    cfg.missing = SIMEC_MASK;
    cfg.l2_reg_emb = 0.0;
    cfg.opt = SIMEC_ADAM;
    cfg.lr = 0.01;
    cfg.seed = 2;
    CHECK(simec_init(&m, &cfg, &e) == CORE_OK);
    memset(&in, 0, sizeof in);
    tg.S = &Tr, tg.D = NULL;
    simec_fit_opts_default(&o);
    o.epochs = 400;
    o.batch_size = 8;
    CHECK(simec_fit(&m, &in, &tg, &o, &info, &e) == CORE_OK);
    CHECK(simec_predict_at(&m, &in, &Te, &out, &e) == CORE_OK);
    for (i = 0; i < n; i++)
        for (t = Te.p[i]; t < Te.p[i + 1]; t++, cnt++)
            se += (out.x[t] - Te.x[t]) * (out.x[t] - Te.x[t]);
    se = sqrt(se / (double)cnt);
    if (!(se < 2 * noise))
        fprintf(stderr, "held-out RMSE %g, noise %g\n", se, noise);
    CHECK(se < 2 * noise);
    simec_free(&m);
    spm_free(&Tr), spm_free(&Te), spm_free(&out);
    mat_release(&P), mat_release(&Q), mat_release(&F);
}

static simec_cfg small_cfg(void)
{
    simec_cfg cfg;
    simec_cfg_default(&cfg);
    cfg.input = SIMEC_IN_FEATURES;
    cfg.in_dim = 5, cfg.emb_dim = 3, cfg.out_dim = 6;
    cfg.n_hidden = 1, cfg.hidden[0] = 4, cfg.hidden_act[0] = SIMEC_TANH;
    cfg.missing = SIMEC_MASK;
    cfg.seed = 5;
    return cfg;
}

static int stop_after_two(void *ctx, int epoch, double loss, double val, double seconds)
{
    (void)ctx, (void)loss, (void)val, (void)seconds;
    if (epoch == 2)
        core_interrupt_flag = 1; /* as if Ctrl-C came during epoch 3 */
    return 0;
}

static void test_save_load_determinism_interrupt(void)
{
    simec_cfg cfg = small_cfg();
    simec a, b, c;
    mat X, T, Oa, Ob;
    spm TS;
    simec_input in;
    simec_target tg;
    simec_fit_opts o;
    simec_fit_info info;
    double *epoch2;
    char path[] = "/tmp/simec_test_XXXXXX";
    int fd;
    rng g;
    core_err e;
    rng_seed(&g, 9);
    randmat(&X, 20, 5, 0.0, &g);
    randmat(&T, 20, 6, 0.4, &g);
    spm_from_dense(&TS, &T, 0.0, NULL);
    memset(&in, 0, sizeof in);
    in.D = &X, in.n = 20;
    tg.S = &TS, tg.D = NULL;
    simec_fit_opts_default(&o);
    o.epochs = 5;
    o.batch_size = 4;
    o.seed = 3;
    CHECK(simec_init(&a, &cfg, &e) == CORE_OK);
    CHECK(simec_init(&b, &cfg, &e) == CORE_OK);
    CHECK(simec_fit(&a, &in, &tg, &o, &info, &e) == CORE_OK);
    CHECK(simec_fit(&b, &in, &tg, &o, &info, &e) == CORE_OK);
    CHECK(memcmp(a.theta, b.theta, a.n_params * sizeof(double)) == 0); /* bit-identical runs */
    fd = mkstemp(path);
    close(fd);
    CHECK(simec_save(&a, path, &e) == CORE_OK);
    CHECK(simec_load(&c, path, &e) == CORE_OK);
    CHECK(simec_predict(&a, &in, &Oa, &e) == CORE_OK);
    CHECK(simec_predict(&c, &in, &Ob, &e) == CORE_OK);
    CHECK(memcmp(Oa.x, Ob.x, Oa.rows * Oa.cols * sizeof(double)) == 0);
    CHECK(c.step == a.step && memcmp(c.m1, a.m1, a.n_params * sizeof(float)) == 0);
    simec_free(&c);
    { /* a flipped byte, a truncated file, garbage: clear errors, nothing allocated */
        FILE *f = fopen(path, "r+b");
        size_t base = core_mem_in_use();
        fseek(f, 300, SEEK_SET);
        fputc(0x5a, f);
        fclose(f);
        CHECK(simec_load(&c, path, &e) == CORE_EFORMAT);
        CHECK_MSG(e, "checksum mismatch");
        CHECK(truncate(path, 600) == 0);
        CHECK(simec_load(&c, path, &e) == CORE_EFORMAT);
        CHECK_MSG(e, "truncated or corrupted");
        f = fopen(path, "wb");
        fputs("not a model", f);
        fclose(f);
        CHECK(simec_load(&c, path, &e) == CORE_EFORMAT);
        CHECK_MSG(e, "not a SimEc model file");
        CHECK(core_mem_in_use() == base);
    }
    unlink(path);
    /* Ctrl-C in epoch 3 restores the weights of epoch 2 */
    epoch2 = malloc(b.n_params * sizeof *epoch2);
    o.on_epoch = stop_after_two;
    o.ctx = &b;
    o.epochs = 2;
    simec_free(&b);
    CHECK(simec_init(&b, &cfg, &e) == CORE_OK);
    {
        simec_fit_opts o2 = o;
        o2.on_epoch = NULL;
        CHECK(simec_fit(&b, &in, &tg, &o2, &info, &e) == CORE_OK);
        memcpy(epoch2, b.theta, b.n_params * sizeof *epoch2);
    }
    simec_free(&b);
    CHECK(simec_init(&b, &cfg, &e) == CORE_OK);
    o.epochs = 5;
    CHECK(simec_fit(&b, &in, &tg, &o, &info, &e) == CORE_EINTR);
    core_interrupt_flag = 0;
    CHECK_MSG(e, "weights of epoch 2 restored");
    CHECK(info.interrupted && memcmp(b.theta, epoch2, b.n_params * sizeof *epoch2) == 0);
    free(epoch2);
    simec_free(&a), simec_free(&b);
    mat_release(&X), mat_release(&T), mat_release(&Oa), mat_release(&Ob);
    spm_free(&TS);
}

/* Lazy row updates plus closed-form catch-up equal the dense optimiser
 * up to the rounding of single-precision moments and, for Adam and Adamax,
 * eps against the decayed second moment; SGD without momentum (no state,
 * no catch-up) to the last bit but the order of the batch's sums */
static void test_lazy_equals_dense(void)
{
    static const int opts[] = {SIMEC_SGD, SIMEC_ADAM, SIMEC_ADAMAX, SIMEC_SGD};
    static const double tol[] = {1e-5, 1e-5, 1e-5, 1e-12};
    size_t k;
    mat X, T;
    spm XS, TS;
    rng g;
    rng_seed(&g, 21);
    randmat(&X, 40, 12, 0.8, &g);
    randmat(&T, 40, 30, 0.85, &g);
    spm_from_dense(&XS, &X, 0.0, NULL);
    spm_from_dense(&TS, &T, 0.0, NULL);
    for (k = 0; k < sizeof opts / sizeof *opts; k++) {
        simec_cfg cfg;
        simec a, b;
        simec_input in;
        simec_target tg;
        simec_fit_opts o;
        double worst = 0.0;
        simec_cfg_default(&cfg);
        cfg.input = SIMEC_IN_FEATURES, cfg.in_dim = 12, cfg.emb_dim = 4, cfg.out_dim = 30;
        cfg.missing = SIMEC_MASK, cfg.l2_reg_emb = 0.0, cfg.opt = opts[k], cfg.lr = 0.01, cfg.seed = 4;
        if (k == 3)
            cfg.momentum = 0.0;
        memset(&in, 0, sizeof in);
        in.S = &XS, in.n = 40;
        tg.S = &TS, tg.D = NULL;
        simec_fit_opts_default(&o);
        o.epochs = 6, o.batch_size = 4;
        fit_with_dense_twin(&a, &b, &cfg, &in, &tg, o);
        worst = param_diff(&a, &b);
        if (getenv("SIMEC_TEST_VERBOSE") || !(worst < tol[k]))
            fprintf(stderr, "%s%s: lazy vs dense parameters differ by %g relative\n", simec_opt_names[opts[k]],
                    k == 3 ? " (momentum 0)" : "", worst);
        CHECK(worst < tol[k]);
        simec_free(&a), simec_free(&b);
    }
    mat_release(&X), mat_release(&T);
    spm_free(&XS), spm_free(&TS);
}

/* The fused output pass on several threads (each counts, lists, regroups
 * and steps the outputs in its share of the index range) and with a
 * batch's few touched outputs listed in the order first touched: the same
 * fit as the dense twin, for Adamax (but for its single-precision
 * moments) and SGD without momentum (to rounding). The first
 * cases' batches (4 rows x about 5,000 targets at width 64) are over the
 * pass's threading threshold. */
static void test_fused_threads_match_dense(void)
{
    static const struct {
        size_t out;
        double zero_frac;
        int opt;
        double tol;
    } cases[] = {{20000, 0.75, SIMEC_ADAMAX, 1e-5}, {20000, 0.75, SIMEC_SGD, 1e-10}, {20000, 0.999, SIMEC_ADAMAX, 1e-5}};
    size_t k;
    rng g;
    rng_seed(&g, 41);
    for (k = 0; k < sizeof cases / sizeof *cases; k++) {
        mat X, T;
        spm XS, TS;
        simec_cfg cfg;
        simec a, b;
        simec_input in;
        simec_target tg;
        simec_fit_opts o;
        double worst;
        randmat(&X, 12, 10, 0.5, &g);
        randmat(&T, 12, cases[k].out, cases[k].zero_frac, &g);
        spm_from_dense(&XS, &X, 0.0, NULL);
        spm_from_dense(&TS, &T, 0.0, NULL);
        simec_cfg_default(&cfg);
        cfg.input = SIMEC_IN_FEATURES, cfg.in_dim = 10, cfg.emb_dim = 64, cfg.out_dim = cases[k].out;
        cfg.missing = SIMEC_MASK, cfg.l2_reg_emb = 1e-3, cfg.opt = cases[k].opt, cfg.lr = 0.01, cfg.seed = 5;
        if (cases[k].opt == SIMEC_SGD)
            cfg.momentum = 0.0;
        else /* the lazy catch-up's closed form neglects eps against the decaying second moment, which
              * outputs touched once in a while reach here */
            cfg.eps = 1e-30;
        memset(&in, 0, sizeof in);
        in.S = &XS, in.n = 12;
        tg.S = &TS, tg.D = NULL;
        simec_fit_opts_default(&o);
        o.epochs = 3, o.batch_size = 4;
        fit_with_dense_twin(&a, &b, &cfg, &in, &tg, o);
        worst = param_diff(&a, &b);
        if (getenv("SIMEC_TEST_VERBOSE") || !(worst < cases[k].tol))
            fprintf(stderr, "fused pass (case %zu, %zu targets): parameters differ from the dense twin's by %g\n", k,
                    (size_t)SPM_NNZ(&TS), worst);
        CHECK(worst < cases[k].tol);
        simec_free(&a), simec_free(&b);
        mat_release(&X), mat_release(&T);
        spm_free(&XS), spm_free(&TS);
    }
}

/* An identity input under an l2 penalty steps only the rows a batch uses,
 * each penalised at l2 x batches per epoch (simec_grad's row_l2): one epoch
 * of plain SGD must equal that rule applied batch by batch with
 * simec_batch_grad (whose penalty is the dense one: 2 l2 W on every row),
 * rows outside a batch must not move, and with one batch per epoch the
 * lazy rule is the dense optimiser's, for Adamax too. */
static void test_identity_row_penalty(void)
{
    const size_t n = 6, bs = 3, nb = 2;
    const double lam = 0.05, lr = 0.1;
    mat T;
    spm TS;
    rng g;
    simec_cfg cfg;
    simec a, b;
    simec_input in;
    simec_target tg;
    simec_fit_opts o;
    simec_fit_info info;
    core_err e;
    size_t i, bt, r, k, rows[3];
    double *grad, loss, worst = 0.0;
    rng_seed(&g, 31);
    randmat(&T, 6, 5, 0.4, &g);
    spm_from_dense(&TS, &T, 0.0, NULL);
    simec_cfg_default(&cfg);
    cfg.input = SIMEC_IN_IDENTITY, cfg.in_dim = 6, cfg.emb_dim = 3, cfg.out_dim = 5;
    cfg.missing = SIMEC_ZERO, cfg.l2_reg_emb = lam, cfg.opt = SIMEC_SGD, cfg.momentum = 0.0, cfg.lr = lr;
    cfg.seed = 9;
    CHECK(simec_init(&a, &cfg, &e) == CORE_OK);
    CHECK(simec_init(&b, &cfg, &e) == CORE_OK);
    memset(&in, 0, sizeof in);
    in.n = n;
    tg.S = &TS, tg.D = NULL;
    simec_fit_opts_default(&o);
    o.epochs = 1, o.batch_size = bs, o.shuffle = 0;
    CHECK(simec_fit(&a, &in, &tg, &o, &info, &e) == CORE_OK);
    grad = malloc(b.n_params * sizeof *grad);
    for (bt = 0; bt < nb; bt++) {
        for (r = 0; r < bs; r++)
            rows[r] = bt * bs + r;
        CHECK(simec_batch_grad(&b, &in, &tg, rows, bs, &loss, grad, &e) == CORE_OK);
        for (i = 0; i < b.n_params; i++) {
            size_t L0 = b.layer[0].w_off, w = b.layer[0].out;
            if (i >= L0 && i < L0 + b.layer[0].in * w) {
                size_t row = (i - L0) / w;
                if (row < bt * bs || row >= (bt + 1) * bs)
                    continue; /* not in this batch: no step */
                grad[i] += 2.0 * lam * (double)(nb - 1) * b.theta[i];
            }
            b.theta[i] -= lr * grad[i];
        }
    }
    for (k = 0; k < a.n_params; k++)
        worst = fabs(a.theta[k] - b.theta[k]) > worst ? fabs(a.theta[k] - b.theta[k]) : worst;
    if (!(worst < 1e-12))
        fprintf(stderr, "identity rows: fit and the per-use penalty differ by %g\n", worst);
    CHECK(worst < 1e-12);
    simec_free(&a), simec_free(&b);
    /* one batch per epoch: lazy and dense agree, Adamax included */
    cfg.opt = SIMEC_ADAMAX, cfg.lr = 0.01;
    o.epochs = 4, o.batch_size = n, o.shuffle = 1;
    fit_with_dense_twin(&a, &b, &cfg, &in, &tg, o);
    for (worst = 0.0, k = 0; k < a.n_params; k++)
        worst = fabs(a.theta[k] - b.theta[k]) > worst ? fabs(a.theta[k] - b.theta[k]) : worst;
    CHECK(worst < 1e-12);
    simec_free(&a), simec_free(&b);
    free(grad);
    mat_release(&T);
    spm_free(&TS);
}

static void test_bad_input(void)
{
    simec_cfg cfg = small_cfg();
    simec m;
    mat X, T;
    simec_input in;
    simec_target tg;
    simec_fit_opts o;
    simec_fit_info info;
    rng g;
    core_err e;
    rng_seed(&g, 1);
    randmat(&X, 10, 4, 0.0, &g);
    randmat(&T, 10, 6, 0.0, &g);
    CHECK(simec_init(&m, &cfg, &e) == CORE_OK);
    memset(&in, 0, sizeof in);
    in.D = &X, in.n = 10;
    tg.S = NULL, tg.D = &T;
    simec_fit_opts_default(&o);
    CHECK(simec_fit(&m, &in, &tg, &o, &info, &e) == CORE_EINVAL);
    CHECK_MSG(e, "input has 4 columns, the SimEc expects 5");
    mat_release(&X);
    randmat(&X, 9, 5, 0.0, &g);
    in.D = &X, in.n = 9;
    CHECK(simec_fit(&m, &in, &tg, &o, &info, &e) == CORE_EINVAL);
    CHECK_MSG(e, "targets are 10x6, expected 9x6");
    mat_release(&X);
    randmat(&X, 10, 5, 0.0, &g);
    MAT_AT(&X, 3, 2) = NAN;
    in.D = &X, in.n = 10;
    CHECK(simec_fit(&m, &in, &tg, &o, &info, &e) == CORE_EINVAL);
    CHECK_MSG(e, "non-finite value at (4, 3)");
    simec_free(&m);
    mat_release(&X), mat_release(&T);
}

/* A batch's targets from simec_negatives_batch: each row's positives with
 * their values and, in one ascending run with them, as many distinct
 * missing columns as the ratio asks (all there are when fewer), value 0 —
 * and, drawing uniformly, exactly the columns a plain rejection loop over
 * the same generator accepts. Rows are chosen so that the negatives are a
 * small share of the columns (sorted) and a large one (read off the
 * marks), and one row is full. */
static void test_negatives_batch(void)
{
    const int64_t rows = 6, cols = 200;
    const int64_t counts[] = {1, 3, 12, 40, 199, 200};
    const double ratios[] = {0.5, 2, 4.5};
    size_t batch[] = {5, 0, 3, 1, 4, 2}, ri, b;
    int64_t nnz = 0, r, c;
    spm T;
    mat D;
    core_err e;
    mat_init(&D, (size_t)rows, (size_t)cols, NULL);
    for (r = 0; r < rows; r++)
        for (c = 0; c < counts[r]; c++) { /* counts[r] columns spread over the row */
            MAT_AT(&D, r, (c * 37 + r) % cols) = 1.0 + (double)c;
            nnz++;
        }
    CHECK(spm_from_dense(&T, &D, 0.0, &e) == CORE_OK);
    CHECK(SPM_NNZ(&T) == nnz);
    for (ri = 0; ri < sizeof ratios / sizeof *ratios; ri++)
        for (int pop = 0; pop < 2; pop++) {
            simec_neg s;
            spm out;
            rng g1, g2;
            CHECK(simec_negatives_init(&s, &T, ratios[ri], pop, &e) == CORE_OK);
            rng_seed(&g1, 5), rng_seed(&g2, 5);
            CHECK(simec_negatives_batch(&s, &T, batch, 6, &g1, &out, &e) == CORE_OK);
            for (b = 0; b < 6; b++) {
                int64_t row = (int64_t)batch[b], pos = counts[row], negs = 0, want, k;
                unsigned char drawn[200] = {0};
                want = (int64_t)ceil(ratios[ri] * (double)pos);
                if (want > cols - pos)
                    want = cols - pos;
                for (k = out.p[b]; k < out.p[b + 1]; k++) {
                    spm_idx j = out.j[k];
                    CHECK(k == out.p[b] || out.j[k - 1] < j);
                    if (MAT_AT(&D, row, j) != 0.0) {
                        CHECK(out.x[k] == MAT_AT(&D, row, j));
                    } else {
                        CHECK(out.x[k] == 0.0);
                        negs++, drawn[j] = 1;
                    }
                }
                CHECK(out.p[b + 1] - out.p[b] - negs == pos);
                /* a nearly full row can use up its tries before it finds
                 * the few columns left (the reference below counts them) */
                CHECK(negs <= want);
                CHECK(negs == want || cols - pos < 10);
                if (!pop) { /* the reference: the same draws, rejected the same way */
                    unsigned char seen[200] = {0};
                    int64_t got = 0, tries = 0;
                    while (got < want && tries++ < 50 * want + 100) {
                        spm_idx j = (spm_idx)rng_interval(&g2, (uint64_t)cols - 1);
                        if (MAT_AT(&D, row, j) != 0.0 || seen[j])
                            continue;
                        seen[j] = 1, got++;
                    }
                    for (c = 0; c < cols; c++)
                        CHECK(seen[c] == drawn[c]);
                }
            }
            spm_free(&out);
            simec_negatives_free(&s);
        }
    spm_free(&T);
    mat_release(&D);
}

int main(void)
{
    RUN(test_gradients);
    RUN(test_gram_matches_chunked);
    RUN(test_wide_chunked_threads);
    RUN(test_gram_fit_matches_dense);
    RUN(test_chunk_step_matches_plain);
    RUN(test_svd_error);
    RUN(test_masked_recovery);
    RUN(test_save_load_determinism_interrupt);
    RUN(test_lazy_equals_dense);
    RUN(test_fused_threads_match_dense);
    RUN(test_identity_row_penalty);
    RUN(test_bad_input);
    RUN(test_negatives_batch);
    return check_summary();
}
