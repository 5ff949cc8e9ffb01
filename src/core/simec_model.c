#include <math.h>
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "rng.h"
#include "simec_impl.h"

const char *const simec_act_names[] = {"linear", "tanh", "relu", "sigmoid", "leaky_relu", NULL};
const char *const simec_loss_names[] = {"mse", "mae", "bce", NULL};
const char *const simec_opt_names[] = {"adamax", "adam", "sgd", NULL};

double simec_default_lr(int opt)
{
    return opt == SIMEC_SGD ? 0.01 : 0.0005;
}

void simec_cfg_default(simec_cfg *c)
{
    memset(c, 0, sizeof *c);
    c->input = SIMEC_IN_IDENTITY;
    c->ll_act = SIMEC_LINEAR;
    c->loss = SIMEC_MSE;
    c->missing = SIMEC_ZERO;
    c->l2_reg = 1e-8; /* the reference's defaults */
    c->l2_reg_emb = 1e-5;
    c->opt = SIMEC_ADAMAX;
    c->lr = simec_default_lr(c->opt);
    c->beta1 = 0.9;
    c->beta2 = 0.999;
    c->eps = 1e-7;
    c->momentum = 0.9;
}

void simec_activate(int act, const double *z, double *a, size_t n)
{
    size_t i;
    if (act == SIMEC_LINEAR) {
        if (a != z)
            memcpy(a, z, n * sizeof *a);
        return;
    }
    for (i = 0; i < n; i++)
        a[i] = simec_act1(act, z[i]);
}

void simec_act_grad(int act, const double *z, const double *a, double *d, size_t n)
{
    size_t i;
    switch (act) {
    case SIMEC_TANH:
        for (i = 0; i < n; i++) d[i] *= 1.0 - a[i] * a[i];
        break;
    case SIMEC_RELU:
        for (i = 0; i < n; i++) d[i] = z[i] > 0 ? d[i] : 0.0;
        break;
    case SIMEC_SIGMOID:
        for (i = 0; i < n; i++) d[i] *= a[i] * (1.0 - a[i]);
        break;
    case SIMEC_LEAKY_RELU:
        for (i = 0; i < n; i++) d[i] = z[i] > 0 ? d[i] : SIMEC_LEAKY_SLOPE * d[i];
        break;
    default:
        break;
    }
}

static int add_size(size_t *acc, size_t a, size_t b)
{
    size_t n;
    if (!core_mul2(a, b, &n) || *acc > SIZE_MAX - n)
        return 0;
    *acc += n;
    return 1;
}

int simec_layout(simec *m, const simec_cfg *cfg, core_err *e)
{
    size_t l, in, n = 0;
    memset(m, 0, sizeof *m);
    if (cfg->in_dim == 0 || cfg->emb_dim == 0 || cfg->out_dim == 0)
        return core_err_set(e, CORE_EINVAL, "SimEc: input, embedding and output sizes must be positive (got %zu, %zu, %zu)",
                            cfg->in_dim, cfg->emb_dim, cfg->out_dim);
    if (cfg->n_hidden > SIMEC_MAX_HIDDEN)
        return core_err_set(e, CORE_EINVAL, "SimEc: at most %d hidden layers, got %zu", SIMEC_MAX_HIDDEN, cfg->n_hidden);
    if (cfg->in_dim > MAT_DIM_MAX || cfg->out_dim > MAT_DIM_MAX || cfg->emb_dim > MAT_DIM_MAX ||
        cfg->in_dim > INT32_MAX || cfg->out_dim > INT32_MAX || cfg->emb_dim > INT32_MAX)
        return core_err_set(e, CORE_ETOOBIG, "SimEc: sizes exceed BLAS int limits");
    m->cfg = *cfg;
    m->nl = cfg->n_hidden + 2;
    in = cfg->in_dim;
    for (l = 0; l < m->nl; l++) {
        simec_layer *L = &m->layer[l];
        int last = l == m->nl - 1;
        L->in = in;
        L->out = l < cfg->n_hidden ? cfg->hidden[l] : last ? cfg->out_dim : cfg->emb_dim;
        L->act = l < cfg->n_hidden ? cfg->hidden_act[l] : last ? cfg->ll_act : SIMEC_LINEAR;
        if (L->out == 0 || L->out > INT32_MAX)
            return core_err_set(e, CORE_EINVAL, "SimEc: layer %zu has %zu units", l + 1, L->out);
        L->w_off = n;
        if (!add_size(&n, L->in, L->out))
            return core_err_set(e, CORE_ETOOBIG, "SimEc: parameter count overflows");
        L->b_off = last ? SIMEC_NO_BIAS : n;
        if (!last && !add_size(&n, 1, L->out))
            return core_err_set(e, CORE_ETOOBIG, "SimEc: parameter count overflows");
        in = L->out;
    }
    if (n > SIZE_MAX / sizeof(double))
        return core_err_set(e, CORE_ETOOBIG, "SimEc: parameter count overflows");
    m->n_params = n;
    return CORE_OK;
}

int simec_init(simec *m, const simec_cfg *cfg, core_err *e)
{
    size_t l, i, d, n;
    rng g;
    int rc;
    if ((rc = simec_layout(m, cfg, e)))
        return rc;
    n = m->n_params;
    m->theta = core_calloc(n, sizeof(double));
    if (!m->theta)
        return core_err_nomem(e, "SimEc parameters", (double)n * 8);
    /* Glorot uniform, as Keras: U(-r, r) with r = sqrt(6 / (fan_in + fan_out)) */
    rng_seed(&g, cfg->seed);
    for (l = 0; l < m->nl; l++) {
        const simec_layer *L = &m->layer[l];
        double r = sqrt(6.0 / (double)(L->in + L->out));
        d = L->in * L->out;
        for (i = 0; i < d; i++)
            m->theta[L->w_off + i] = (2.0 * rng_uniform(&g) - 1.0) * r;
    }
    return CORE_OK;
}

void simec_s_ll_prepare(simec *m)
{
    const mat *S = &m->S_ll;
    size_t i, j;
    int complete = S->x != NULL && S->rows == S->cols, symmetric = complete;
    double n2 = 0;
    for (i = 0; complete && i < S->rows; i++)
        for (j = 0; j < S->cols; j++) {
            double v = MAT_AT(S, i, j);
            complete &= !isnan(v);
            symmetric &= v == MAT_AT(S, j, i);
            n2 += v * v;
        }
    m->s_ll_complete = complete, m->s_ll_symmetric = complete && symmetric, m->s_ll_norm2 = n2;
}

void simec_free(simec *m)
{
    core_free(m->theta);
    core_free(m->m1);
    core_free(m->m2);
    mat_release(&m->S_ll);
    memset(m, 0, sizeof *m);
}

static size_t input_rows(const simec *m, const simec_input *x)
{
    return m->cfg.input == SIMEC_IN_IDENTITY ? m->cfg.in_dim : x->n;
}

int simec_check_input(const simec *m, const simec_input *x, const char *what, core_err *e)
{
    size_t cols = x->D ? x->D->cols : x->S ? (size_t)x->S->cols : 0;
    size_t i;
    int64_t t;
    if (m->cfg.input == SIMEC_IN_IDENTITY) {
        if (x->D || x->S)
            return core_err_set(e, CORE_EINVAL, "%s: this SimEc has identity input: pass no input matrix (nil)", what);
        return CORE_OK;
    }
    if (!x->D && !x->S)
        return core_err_set(e, CORE_EINVAL, "%s: this SimEc expects an input matrix (dense or sparse) with %zu columns",
                            what, m->cfg.in_dim);
    if (cols != m->cfg.in_dim)
        return core_err_set(e, CORE_EINVAL, "%s: input has %zu columns, the SimEc expects %zu", what, cols,
                            m->cfg.in_dim);
    /* NaN in the inputs is reported before any training */
    if (x->D) {
        for (i = 0; i < x->D->rows; i++) {
            size_t j;
            for (j = 0; j < x->D->cols; j++)
                if (isnan(MAT_AT(x->D, i, j)) || isinf(MAT_AT(x->D, i, j)))
                    return core_err_set(e, CORE_EINVAL, "%s: input has a non-finite value at (%zu, %zu)", what, i + 1,
                                        j + 1);
        }
    } else {
        for (t = 0; t < SPM_NNZ(x->S); t++)
            if (!isfinite(x->S->x[t]))
                return core_err_set(e, CORE_EINVAL, "%s: sparse input has a non-finite value (entry %lld)", what,
                                    (long long)t + 1);
    }
    return CORE_OK;
}

int simec_check_target(const simec *m, const simec_input *x, const simec_target *t, const char *what, core_err *e)
{
    size_t rows = t->S ? (size_t)t->S->rows : t->D->rows, cols = t->S ? (size_t)t->S->cols : t->D->cols;
    size_t n = input_rows(m, x), i, j;
    int64_t k;
    if (rows != n || cols != m->cfg.out_dim)
        return core_err_set(e, CORE_EINVAL, "%s: targets are %zux%zu, expected %zux%zu (inputs x outputs)", what, rows,
                            cols, n, m->cfg.out_dim);
    if (t->S) {
        for (k = 0; k < SPM_NNZ(t->S); k++)
            if (!isfinite(t->S->x[k]))
                return core_err_set(e, CORE_EINVAL, "%s: targets have a non-finite value (entry %lld)", what,
                                    (long long)k + 1);
    } else
        for (i = 0; i < rows; i++)
            for (j = 0; j < cols; j++) {
                double v = MAT_AT(t->D, i, j);
                if (isinf(v) || (isnan(v) && m->cfg.missing != SIMEC_MASK))
                    return core_err_set(e, CORE_EINVAL,
                                        "%s: target (%zu, %zu) is not finite (NaN marks a missing target only with "
                                        "missing = \"mask\")",
                                        what, i + 1, j + 1);
            }
    return CORE_OK;
}

void simec_fwd_free(simec_fwd *f)
{
    size_t l;
    for (l = 0; l < SIMEC_MAX_HIDDEN + 1; l++) {
        mat_release(&f->Z[l]);
        mat_release(&f->A[l]);
    }
}

/* Z = the first layer on rows[0..n) of the input, bias included */
static int first_layer(const simec *m, const simec_input *x, const size_t *rows, size_t n, mat *Z, double *tmp,
                       core_err *e)
{
    const simec_layer *L = &m->layer[0];
    const double *W = m->theta + L->w_off, *b = m->theta + L->b_off;
    size_t r, c, o = L->out;
    for (r = 0; r < n; r++)
        memcpy(&MAT_AT(Z, r, 0), b, o * sizeof *b);
    if (m->cfg.input == SIMEC_IN_IDENTITY) { /* a row lookup, not a product with I */
        for (r = 0; r < n; r++) {
            const double *w = W + rows[r] * o;
            double *z = &MAT_AT(Z, r, 0);
            for (c = 0; c < o; c++)
                z[c] += w[c];
        }
    } else if (x->S) {
        const spm *S = x->S;
        for (r = 0; r < n; r++) {
            double *z = &MAT_AT(Z, r, 0);
            spm_ptr t;
            for (t = S->p[rows[r]]; t < S->p[rows[r] + 1]; t++) {
                const double *w = W + (size_t)S->j[t] * o;
                double v = S->x[t];
                for (c = 0; c < o; c++)
                    z[c] += v * w[c];
            }
        }
    } else {
        size_t in = L->in;
        for (r = 0; r < n; r++)
            memcpy(tmp + r * in, &MAT_AT(x->D, rows[r], 0), in * sizeof *tmp);
        return blas_gemm("SimEc forward", BLAS_N, BLAS_N, n, o, in, 1.0, tmp, in, W, o, 1.0, Z->x, Z->ld, e);
    }
    return CORE_OK;
}

int simec_forward(const simec *m, const simec_input *x, const size_t *rows, size_t n, simec_fwd *f, core_err *e)
{
    size_t l;
    double *tmp = NULL;
    int rc;
    memset(f, 0, sizeof *f);
    f->n = n;
    if (x->D) {
        size_t bytes;
        if (!core_mul3(n, m->cfg.in_dim, sizeof(double), &bytes))
            return core_err_set(e, CORE_ETOOBIG, "SimEc: batch too large");
        if (!(tmp = core_malloc(bytes ? bytes : 1)))
            return core_err_nomem(e, "SimEc batch", (double)bytes);
    }
    for (l = 0; l + 1 < m->nl; l++) {
        const simec_layer *L = &m->layer[l];
        if ((rc = mat_init_uninit(&f->Z[l], n, L->out, e)))
            goto fail;
        if (l == 0) {
            if ((rc = first_layer(m, x, rows, n, &f->Z[0], tmp, e)))
                goto fail;
        } else {
            size_t r;
            for (r = 0; r < n; r++)
                memcpy(&MAT_AT(&f->Z[l], r, 0), m->theta + L->b_off, L->out * sizeof(double));
            if ((rc = blas_gemm("SimEc forward", BLAS_N, BLAS_N, n, L->out, L->in, 1.0, f->A[l - 1].x, f->A[l - 1].ld,
                                m->theta + L->w_off, L->out, 1.0, f->Z[l].x, f->Z[l].ld, e)))
                goto fail;
        }
        if (L->act == SIMEC_LINEAR)
            mat_view(&f->A[l], &f->Z[l], 0, 0, n, L->out);
        else {
            if ((rc = mat_init_uninit(&f->A[l], n, L->out, e)))
                goto fail;
            simec_activate(L->act, f->Z[l].x, f->A[l].x, n * L->out);
        }
    }
    core_free(tmp);
    return CORE_OK;
fail:
    core_free(tmp);
    simec_fwd_free(f);
    return rc;
}

/* rows[0..n) = r0, r0 + 1, ... */
static size_t *iota(size_t r0, size_t n)
{
    size_t *r = core_malloc((n ? n : 1) * sizeof *r), i;
    if (r)
        for (i = 0; i < n; i++)
            r[i] = r0 + i;
    return r;
}

#define SIMEC_CHUNK 1024

int simec_transform(const simec *m, const simec_input *x, mat *Y, core_err *e)
{
    size_t n = input_rows(m, x), r0, d = m->cfg.emb_dim;
    int rc;
    if ((rc = simec_check_input(m, x, "transform", e)) || (rc = mat_init_uninit(Y, n, d, e)))
        return rc;
    for (r0 = 0; r0 < n; r0 += SIMEC_CHUNK) {
        size_t k = n - r0 < SIMEC_CHUNK ? n - r0 : SIMEC_CHUNK, r;
        size_t *rows = iota(r0, k);
        simec_fwd f;
        if (!rows) {
            rc = core_err_nomem(e, "SimEc transform", (double)k * 8);
            break;
        }
        rc = simec_forward(m, x, rows, k, &f, e);
        core_free(rows);
        if (rc)
            break;
        for (r = 0; r < k; r++)
            memcpy(&MAT_AT(Y, r0 + r, 0), &MAT_AT(&f.A[m->nl - 2], r, 0), d * sizeof(double));
        simec_fwd_free(&f);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            break;
        }
    }
    if (rc)
        mat_release(Y);
    return rc;
}

int simec_predict(const simec *m, const simec_input *x, mat *O, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    mat Y;
    int rc;
    if ((rc = simec_transform(m, x, &Y, e)))
        return rc;
    if ((rc = mat_init_uninit(O, Y.rows, L->out, e))) {
        mat_release(&Y);
        return rc;
    }
    if ((rc = blas_gemm("SimEc outputs", BLAS_N, BLAS_T, Y.rows, L->out, L->in, 1.0, Y.x, Y.ld, m->theta + L->w_off,
                        L->in, 0.0, O->x, O->ld, e))) {
        mat_release(&Y);
        mat_release(O);
        return rc;
    }
    simec_activate(L->act, O->x, O->x, O->rows * O->cols);
    mat_release(&Y);
    return CORE_OK;
}

int simec_predict_at(const simec *m, const simec_input *x, const spm *P, spm *out, core_err *e)
{
    const simec_layer *L = SIMEC_LAST(m);
    const double *V = m->theta + L->w_off;
    size_t n = input_rows(m, x), d = L->in, r, c;
    mat Y;
    int rc;
    if ((size_t)P->rows != n || (size_t)P->cols != L->out)
        return core_err_set(e, CORE_EINVAL, "predict_at: pattern is %lldx%lld, expected %zux%zu (inputs x outputs)",
                            (long long)P->rows, (long long)P->cols, n, L->out);
    if ((rc = simec_transform(m, x, &Y, e)))
        return rc;
    if ((rc = spm_copy(out, P, e))) {
        mat_release(&Y);
        return rc;
    }
    for (r = 0; r < n; r++) {
        const double *y = &MAT_AT(&Y, r, 0);
        spm_ptr t;
        for (t = P->p[r]; t < P->p[r + 1]; t++) {
            const double *v = V + (size_t)P->j[t] * d;
            double acc = 0.0;
            for (c = 0; c < d; c++)
                acc += y[c] * v[c];
            out->x[t] = simec_act1(L->act, acc);
        }
    }
    mat_release(&Y);
    return CORE_OK;
}
