/* Allocation-failure sweeps over the core's public entry points (the CSparse
 * approach): for n = 1, 2, ... the n-th allocation of the call fails, until
 * the call succeeds. Every failure must be CORE_ENOMEM with a message, give
 * back every byte the call took, and leave no temporary file behind; the
 * objects passed in stay usable. (test_mat, test_spm and test_rec also sweep
 * their own products, factorizations, SVDs and splits the same way.) */
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>
#include "alloc.h"
#include "bfm.h"
#include "mf.h"
#include "check.h"
#include "io.h"
#include "lrp.h"
#include "rec.h"
#include "ridge.h"
#include "rng.h"
#include "simec_model.h"
#include "spm.h"
#include "svd.h"

typedef struct fx {
    mat A, B, Sq, X, T;
    spm P, R;
    simec m;
    simec_input in;
    simec_target tg;
    char dir[64], path[128], tsv[128], mtx[128], npy[128], model[128];
} fx;

#define OUT1(call, rel) \
    do {                \
        int rc_ = (call); \
        if (!rc_)       \
            rel;        \
        return rc_;     \
    } while (0)

static int c_transpose(fx *f, core_err *e) { mat o; OUT1(mat_transpose(&o, &f->A, e), mat_release(&o)); }
static int c_select(fx *f, core_err *e)
{
    size_t idx[] = {2, 0, 2};
    mat o;
    OUT1(mat_select_rows(&o, &f->A, idx, 3, e), mat_release(&o));
}
static int c_stack(fx *f, core_err *e)
{
    mat parts[2], o;
    parts[0] = f->A, parts[1] = f->A;
    OUT1(mat_stack(&o, parts, 2, 0, e), mat_release(&o));
}
static int c_copy(fx *f, core_err *e) { mat o; OUT1(mat_copy(&o, &f->A, e), mat_release(&o)); }
static int c_select_cols(fx *f, core_err *e)
{
    size_t idx[] = {4, 0};
    mat o;
    OUT1(mat_select_cols(&o, &f->A, idx, 2, e), mat_release(&o));
}
static int c_scalar(fx *f, core_err *e) { mat o; OUT1(mat_scalar(&o, &f->A, 2.0, MAT_POW, 0, e), mat_release(&o)); }
static int c_format(fx *f, core_err *e)
{
    char *t = mat_format(&f->A, 3, 3, e);
    core_free(t);
    return t ? CORE_OK : CORE_ENOMEM;
}
static int c_binop(fx *f, core_err *e) { mat o; OUT1(mat_binop(&o, &f->A, &f->A, MAT_MUL, "*", e), mat_release(&o)); }
static int c_solve(fx *f, core_err *e) { mat o; OUT1(mat_solve(&o, &f->Sq, &f->Sq, e), mat_release(&o)); }
static int c_cholesky(fx *f, core_err *e)
{
    mat G, o;
    int rc = mat_gemm(&G, &f->Sq, &f->Sq, e); /* not symmetric, but cholesky reads the lower triangle */
    if (rc)
        return rc;
    rc = mat_cholesky(&o, &G, e);
    if (!rc)
        mat_release(&o);
    mat_release(&G);
    return rc == CORE_ENUMERIC ? CORE_OK : rc;
}
static int c_eigh(fx *f, core_err *e)
{
    mat w, v;
    int rc = mat_eigh(&w, &v, &f->Sq, e);
    if (!rc)
        mat_release(&w), mat_release(&v);
    return rc;
}
static int c_spm_dense(fx *f, core_err *e) { mat o; OUT1(spm_to_dense(&o, &f->R, 0, e), mat_release(&o)); }
static int c_spm_select(fx *f, core_err *e)
{
    size_t idx[] = {3, 1};
    spm o;
    OUT1(spm_select_rows(&o, &f->R, idx, 2, e), spm_free(&o));
}
static int c_spm_stack(fx *f, core_err *e)
{
    spm parts[2], o;
    parts[0] = f->R, parts[1] = f->R;
    OUT1(spm_stack(&o, parts, 2, 1, e), spm_free(&o));
}
static int c_spm_reduce(fx *f, core_err *e) { mat o; OUT1(spm_reduce(&o, &f->R, MAT_MEAN, 1, e), mat_release(&o)); }
static int c_spm_mul(fx *f, core_err *e) { mat o; OUT1(spm_mul_dense(&o, &f->R, &f->X, e), mat_release(&o)); }
static int c_spm_dense_mul(fx *f, core_err *e)
{
    mat At, o;
    int rc = mat_transpose(&At, &f->A, e); /* 5 x 6 against R's 6 rows */
    if (rc)
        return rc;
    if (!(rc = spm_dense_mul(&o, &At, &f->R, e)))
        mat_release(&o);
    mat_release(&At);
    return rc;
}
static int c_spm_sample_mapped(fx *f, core_err *e)
{
    int64_t rmap[] = {0, 5, -1, 2, 3, 1}, cmap[] = {6, 5, 4, -1, 2, 1, 0};
    spm o;
    OUT1(spm_sample_mapped(&o, &f->A, &f->B, &f->P, rmap, cmap, e), spm_free(&o));
}
static int c_spm_from_triplets(fx *f, core_err *e)
{
    spm_idx *I = core_malloc(3 * sizeof *I), *J = core_malloc(3 * sizeof *J);
    double *X = core_malloc(3 * sizeof *X);
    spm o;
    (void)f;
    if (!I || !J || !X) {
        core_free(I), core_free(J), core_free(X);
        return core_err_nomem(e, "test", 72.0);
    }
    I[0] = 0, I[1] = 2, I[2] = 0, J[0] = 1, J[1] = 0, J[2] = 1, X[0] = 1, X[1] = 2, X[2] = 3;
    OUT1(spm_from_triplets_owned(&o, 3, 2, &I, &J, &X, 3, SPM_DUP_SUM, e), spm_free(&o));
}
static int c_synthetic(fx *f, core_err *e)
{
    mat bi, bu;
    spm o;
    rng g;
    int rc;
    mat Q; /* users x 3: the rows of A's first 3 columns */
    size_t idx[] = {0, 1, 2};
    rng_seed(&g, 1);
    if ((rc = mat_select_cols(&Q, &f->A, idx, 3, e)))
        return rc;
    if ((rc = mat_init(&bi, 7, 1, e)) || (rc = mat_init(&bu, 6, 1, e))) {
        mat_release(&Q), mat_release(&bi);
        return rc;
    }
    rc = rec_synthetic(&o, &f->X, &Q, &bi, &bu, 3.5, 0.1, 0.8, 20, &g, e);
    if (!rc)
        spm_free(&o);
    mat_release(&Q), mat_release(&bi), mat_release(&bu);
    return rc;
}
static int c_batch_grad(fx *f, core_err *e)
{
    size_t rows[] = {0, 3, 5};
    double loss, *g = core_calloc(f->m.n_params, sizeof *g);
    int rc;
    if (!g)
        return core_err_nomem(e, "test", 8.0 * (double)f->m.n_params);
    rc = simec_batch_grad(&f->m, &f->in, &f->tg, rows, 3, &loss, g, e);
    core_free(g);
    return rc;
}
static int c_spm_sample(fx *f, core_err *e) { spm o; OUT1(spm_sample(&o, &f->A, &f->B, &f->P, e), spm_free(&o)); }
static int c_bias(fx *f, core_err *e)
{
    double sum;
    mat rm, rc_, cm, cc;
    rec_bias b;
    spm o;
    int rc = rec_stats(&f->R, &sum, &rm, &rc_, &cm, &cc, e);
    if (rc)
        return rc;
    b.mu = sum / (double)SPM_NNZ(&f->R), b.s = 1.0;
    b.row_mean = rm.x, b.row_count = rc_.x, b.col_mean = cm.x, b.col_count = cc.x;
    b.nrows = f->R.rows, b.ncols = f->R.cols;
    if (!(rc = rec_bias_residuals(&o, &b, &f->R, e))) {
        spm_free(&o);
        if (!(rc = rec_bias_predict(&o, &b, &f->R, NULL, NULL, e)))
            spm_free(&o);
    }
    mat_release(&rm), mat_release(&rc_), mat_release(&cm), mat_release(&cc);
    return rc;
}
static int c_ridge_cg(fx *f, core_err *e)
{
    mat W, b;
    int rc = ridge_fit(&W, &b, &f->R, NULL, &f->A, 1.0, 1, RIDGE_CG, NULL, e);
    if (!rc)
        mat_release(&W), mat_release(&b);
    return rc;
}
static int c_svd_dense(fx *f, core_err *e)
{
    mat U, s, Vt;
    svd_opts o;
    int rc;
    svd_opts_default(&o);
    rc = svd_truncated(&U, &s, &Vt, NULL, &f->A, 2, &o, e);
    if (!rc)
        mat_release(&U), mat_release(&s), mat_release(&Vt);
    return rc;
}
static int c_read_triplets(fx *f, core_err *e)
{
    io_triplet_opts o;
    io_report rep;
    spm A;
    int rc;
    io_triplet_opts_default(&o);
    o.keep_order = 1;
    memset(&rep, 0, sizeof rep);
    rc = io_read_triplets(&A, f->tsv, &o, &rep, e);
    if (!rc)
        spm_free(&A);
    core_free(rep.order);
    return rc;
}
static int c_read_mtx(fx *f, core_err *e) { spm A; OUT1(io_read_mtx(&A, f->mtx, e), spm_free(&A)); }
static int c_read_npy(fx *f, core_err *e) { mat A; OUT1(io_read_npy(&A, f->npy, e), mat_release(&A)); }
static int c_write_mtx(fx *f, core_err *e) { return io_write_mtx(&f->R, f->path, e); }
static int c_write_npy(fx *f, core_err *e) { return io_write_npy(&f->A, f->path, e); }
static int c_write_csv(fx *f, core_err *e) { return io_write_csv(&f->A, f->path, ",", e); }
static int c_write_triplets(fx *f, core_err *e) { return io_write_triplets(&f->R, f->path, "\t", 1, e); }
static int c_simec_init(fx *f, core_err *e)
{
    simec m;
    OUT1(simec_init(&m, &f->m.cfg, e), simec_free(&m));
}
static int c_transform(fx *f, core_err *e) { mat o; OUT1(simec_transform(&f->m, &f->in, &o, e), mat_release(&o)); }
static int c_predict(fx *f, core_err *e) { mat o; OUT1(simec_predict(&f->m, &f->in, &o, e), mat_release(&o)); }
static int c_predict_at(fx *f, core_err *e)
{
    spm o;
    OUT1(simec_predict_at(&f->m, &f->in, f->tg.S, &o, e), spm_free(&o));
}
static int c_eval_loss(fx *f, core_err *e)
{
    double l;
    return simec_eval_loss(&f->m, &f->in, &f->tg, 4, &l, e);
}
/* a fresh model trained two epochs (with validation and keep-best), or one
 * with negative sampling; freed either way */
static int fit_fresh(fx *f, core_err *e, double negatives)
{
    simec m;
    simec_fit_opts o;
    simec_fit_info info;
    int rc;
    if ((rc = simec_init(&m, &f->m.cfg, e)))
        return rc;
    simec_fit_opts_default(&o);
    o.epochs = negatives > 0 ? 1 : 2, o.batch_size = 4, o.negatives = negatives;
    if (negatives == 0)
        o.keep_best = 1, o.vx = &f->in, o.vt = &f->tg;
    rc = simec_fit(&m, &f->in, &f->tg, &o, &info, e);
    simec_free(&m);
    return rc;
}
static int c_fit(fx *f, core_err *e) { return fit_fresh(f, e, 0.0); }
static int c_fit_negatives(fx *f, core_err *e) { return fit_fresh(f, e, 1.0); }
static int c_save(fx *f, core_err *e) { return simec_save(&f->m, f->path, e); }
static int c_load(fx *f, core_err *e) { simec m; OUT1(simec_load(&m, f->model, e), simec_free(&m)); }
static int c_lrp(fx *f, core_err *e)
{
    lrp_opts o;
    mat R;
    lrp_opts_default(&o);
    OUT1(lrp_explain(&f->m, &f->in, 1, &o, &R, e), mat_release(&R));
}

static int c_bfm(fx *f, core_err *e)
{
    bfm_side side[2] = {{&f->R, NULL, 0, 1}, {NULL, NULL, 0, 1}};
    bfm_opts o = {2, 1, 2, 0.1, 3, 1, NULL};
    double trace[2];
    spm out;
    side[0].n_full = f->R.rows;
    side[1].n_full = f->R.cols;
    OUT1(bfm_run(&out, trace, &f->R, side, &f->R, &o, e), spm_free(&out));
}

static int c_mf(fx *f, core_err *e)
{
    const int64_t *const none[2] = {NULL, NULL};
    int64_t n_full[2];
    mf_opts o;
    double trace[2];
    spm out;
    mf_opts_default(&o);
    o.k = 2, o.epochs = 2;
    n_full[0] = f->R.rows, n_full[1] = f->R.cols;
    OUT1(mf_run(&out, trace, &f->R, none, n_full, &f->R, &o, e), spm_free(&out));
}

static int c_implicit(fx *f, core_err *e) { spm o; OUT1(rec_implicit(&o, &f->R, NULL, f->R.cols, e), spm_free(&o)); }

static const struct {
    const char *name;
    int (*fn)(fx *, core_err *);
} calls[] = {
    {"mat_copy", c_copy}, {"mat_select_cols", c_select_cols}, {"mat_scalar", c_scalar}, {"mat_format", c_format},
    {"spm_dense_mul", c_spm_dense_mul}, {"spm_sample_mapped", c_spm_sample_mapped},
    {"spm_from_triplets_owned", c_spm_from_triplets}, {"rec_synthetic", c_synthetic},
    {"simec_batch_grad", c_batch_grad},
    {"mat_transpose", c_transpose}, {"mat_select_rows", c_select}, {"mat_stack", c_stack},
    {"mat_binop", c_binop}, {"mat_solve", c_solve}, {"mat_cholesky", c_cholesky}, {"mat_eigh", c_eigh},
    {"spm_to_dense", c_spm_dense}, {"spm_select_rows", c_spm_select}, {"spm_stack", c_spm_stack},
    {"spm_reduce", c_spm_reduce}, {"spm_mul_dense", c_spm_mul}, {"spm_sample", c_spm_sample},
    {"rec_stats/bias", c_bias}, {"ridge_fit cg", c_ridge_cg}, {"svd_truncated dense", c_svd_dense},
    {"io_read_triplets", c_read_triplets}, {"io_read_mtx", c_read_mtx}, {"io_read_npy", c_read_npy},
    {"io_write_mtx", c_write_mtx}, {"io_write_npy", c_write_npy}, {"io_write_csv", c_write_csv},
    {"io_write_triplets", c_write_triplets}, {"simec_init", c_simec_init}, {"simec_transform", c_transform},
    {"simec_predict", c_predict}, {"simec_predict_at", c_predict_at}, {"simec_eval_loss", c_eval_loss},
    {"simec_fit", c_fit}, {"simec_fit negatives", c_fit_negatives}, {"simec_save", c_save},
    {"simec_load", c_load}, {"lrp_explain", c_lrp}, {"bfm_run", c_bfm}, {"mf_run", c_mf}, {"rec_implicit", c_implicit},
};

static void setup(fx *f)
{
    simec_cfg cfg;
    rng g;
    size_t i;
    FILE *fp;
    core_err e;
    memset(f, 0, sizeof *f);
    strcpy(f->dir, "/tmp/simec_oom_XXXXXX");
    CHECK(mkdtemp(f->dir) != NULL);
    snprintf(f->path, sizeof f->path, "%s/out", f->dir);
    snprintf(f->tsv, sizeof f->tsv, "%s/r.tsv", f->dir);
    snprintf(f->mtx, sizeof f->mtx, "%s/r.mtx", f->dir);
    snprintf(f->npy, sizeof f->npy, "%s/a.npy", f->dir);
    snprintf(f->model, sizeof f->model, "%s/m.model", f->dir);
    rng_seed(&g, 4);
    mat_init(&f->A, 6, 5, NULL);
    mat_init(&f->B, 5, 7, NULL);
    mat_init(&f->Sq, 5, 5, NULL);
    mat_init(&f->X, 7, 3, NULL);
    mat_init(&f->T, 6, 7, NULL);
    for (i = 0; i < 30; i++) f->A.x[i] = rng_normal(&g);
    for (i = 0; i < 35; i++) f->B.x[i] = rng_normal(&g);
    for (i = 0; i < 25; i++) f->Sq.x[i] = rng_normal(&g) + (i % 6 == 0 ? 4.0 : 0.0);
    for (i = 0; i < 21; i++) f->X.x[i] = rng_normal(&g);
    for (i = 0; i < 42; i++) f->T.x[i] = rng_uniform(&g) < 0.5 ? 0.0 : rng_normal(&g);
    spm_from_dense(&f->R, &f->T, 0.0, NULL); /* 6 x 7, about half stored */
    spm_from_dense(&f->P, &f->T, 0.0, NULL);
    fp = fopen(f->tsv, "w");
    fputs("u1\ti1\t4\nu2\ti1\t3.5\nu1\ti2\t1\nu3\ti3\t2\n", fp);
    fclose(fp);
    CHECK(io_write_mtx(&f->R, f->mtx, &e) == CORE_OK);
    CHECK(io_write_npy(&f->A, f->npy, &e) == CORE_OK);
    simec_cfg_default(&cfg);
    cfg.input = SIMEC_IN_FEATURES;
    cfg.in_dim = 5, cfg.emb_dim = 3, cfg.out_dim = 7;
    cfg.n_hidden = 1, cfg.hidden[0] = 4, cfg.hidden_act[0] = SIMEC_TANH;
    cfg.missing = SIMEC_MASK;
    cfg.seed = 2;
    CHECK(simec_init(&f->m, &cfg, &e) == CORE_OK);
    f->in.D = &f->A, f->in.n = 6;
    f->tg.S = &f->R;
    CHECK(simec_save(&f->m, f->model, &e) == CORE_OK);
}

/* the directory holds exactly the files setup made (and out) */
static int leftovers(const fx *f)
{
    DIR *d = opendir(f->dir);
    struct dirent *ent;
    int n = 0;
    while (d && (ent = readdir(d)))
        if (strstr(ent->d_name, "tmp"))
            n++;
    if (d)
        closedir(d);
    return n;
}

static void test_sweeps(void)
{
    fx f;
    size_t k, base;
    setup(&f);
    base = core_mem_in_use();
    for (k = 0; k < sizeof calls / sizeof *calls; k++) {
        long n, limit = 400;
        for (n = 1; n < limit; n++) {
            core_err e;
            int rc;
            e.msg[0] = '\0';
            core_alloc_fail_after(n);
            rc = calls[k].fn(&f, &e);
            core_alloc_fail_after(0);
            if (rc == CORE_OK)
                break;
            if (rc != CORE_ENOMEM || e.msg[0] == '\0' || core_mem_in_use() != base || leftovers(&f)) {
                check_failures++;
                fprintf(stderr, "%s, allocation %ld failing: rc %d, '%s', %zu bytes held (%zu before), %d temporary "
                        "files\n", calls[k].name, n, rc, e.msg, core_mem_in_use(), base, leftovers(&f));
                break;
            }
        }
        if (n == limit) {
            check_failures++;
            fprintf(stderr, "%s: still failing after %ld allocations\n", calls[k].name, limit);
        }
        printf("%-22s %3ld allocation failures swept\n", calls[k].name, n - 1);
    }
    { /* the objects passed in are intact: the model still predicts what it did */
        core_err e;
        mat O;
        CHECK(simec_predict(&f.m, &f.in, &O, &e) == CORE_OK && O.rows == 6 && O.cols == 7);
        mat_release(&O);
    }
    simec_free(&f.m);
    mat_release(&f.A), mat_release(&f.B), mat_release(&f.Sq), mat_release(&f.X), mat_release(&f.T);
    spm_free(&f.R), spm_free(&f.P);
    {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", f.dir);
        CHECK(system(cmd) == 0);
    }
}

int main(void)
{
    RUN(test_sweeps);
    return check_summary();
}
