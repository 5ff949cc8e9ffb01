/* Layer-wise relevance propagation (Bach et al. 2015; Montavon et al. 2019)
 * for SimEc predictions: the pre-activation of output j (or the sum of all
 * outputs' pre-activations), explained by the input features, layer by
 * layer from the last layer down. A layer's bias is spread evenly over the
 * row's active (non-zero) inputs, so each
 * contribution z_ij = a_i w_ij + b_j / n_active and z_j = sum_i z_ij exactly:
 * for a linear SimEc the epsilon rule with eps -> 0 gives the exact
 * decomposition of the prediction, and relevance is conserved up to what
 * eps absorbs. Relevance passes through activation functions unchanged. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "lrp.h"
#include "simec_impl.h"

const char *const lrp_rule_names[] = {"epsilon", "z", "zplus", "alpha_beta", "gamma", NULL};

void lrp_opts_default(lrp_opts *o)
{
    o->rule = LRP_EPSILON;
    o->eps = 1e-6;
    o->alpha = 2.0;
    o->beta = 1.0;
    o->gamma = 0.25;
}

/* the weight a rule sees: gamma adds gamma times its positive part */
static double rule_weight(const lrp_opts *o, double w)
{
    return o->rule == LRP_GAMMA ? w + o->gamma * (w > 0 ? w : 0.0) : w;
}

/* Rin[i] += relevance of input i from the outputs' Rout, for one row: a
 * (in, dense), w(i, j) through W with row stride ws and column stride wc */
static void layer_row(const double *a, size_t in, size_t out, const double *W, size_t ws, size_t wc, const double *b,
                      const double *Rout, double *Rin, const lrp_opts *o)
{
    size_t i, j, na = 0;
    for (i = 0; i < in; i++)
        na += a[i] != 0.0;
    if (na == 0)
        return; /* nothing to explain by: the row's relevance is all bias */
    for (j = 0; j < out; j++) {
        double bj = b ? b[j] / (double)na : 0.0, zs = 0.0, zp = 0.0, zn = 0.0, R = Rout[j];
        if (R == 0.0)
            continue;
        if (o->rule == LRP_GAMMA && b)
            bj = (b[j] + o->gamma * (b[j] > 0 ? b[j] : 0.0)) / (double)na;
        for (i = 0; i < in; i++) {
            double z;
            if (a[i] == 0.0)
                continue;
            z = a[i] * rule_weight(o, W[i * ws + j * wc]) + bj;
            zs += z;
            if (z > 0)
                zp += z;
            else
                zn += z;
        }
        for (i = 0; i < in; i++) {
            double z, r = 0.0;
            if (a[i] == 0.0)
                continue;
            z = a[i] * rule_weight(o, W[i * ws + j * wc]) + bj;
            switch (o->rule) {
            case LRP_Z:
                r = zs != 0.0 ? z / zs * R : 0.0;
                break;
            case LRP_ZPLUS:
                r = zp > 0.0 && z > 0 ? z / zp * R : 0.0;
                break;
            case LRP_ALPHA_BETA:
                r = ((z > 0 && zp > 0.0) ? o->alpha * z / zp : 0.0) - ((z < 0 && zn < 0.0) ? o->beta * z / zn : 0.0);
                r *= R;
                break;
            default: /* epsilon and gamma: a stabiliser with the sign of the denominator */
                r = z / (zs + (zs >= 0 ? o->eps : -o->eps)) * R;
            }
            Rin[i] += r;
        }
    }
}

int lrp_explain(const simec *m, const simec_input *x, size_t output, const lrp_opts *o, mat *Rel, core_err *e)
{
    const simec_layer *LL = SIMEC_LAST(m);
    size_t n = x->D ? x->D->rows : x->S ? (size_t)x->S->rows : 0, r, l, in = m->cfg.in_dim, width = in;
    double *buf = NULL, *a = NULL;
    int rc;
    if (m->cfg.input == SIMEC_IN_IDENTITY)
        return core_err_set(e, CORE_EINVAL, "lrp: the model has identity input: there are no input features to explain by");
    if ((rc = simec_check_input(m, x, "lrp", e)))
        return rc;
    if (output >= LL->out && output != LRP_ALL)
        return core_err_set(e, CORE_EINVAL, "lrp: output %zu out of range 1..%zu", output + 1, LL->out);
    for (l = 0; l < m->nl; l++)
        if (m->layer[l].out > width)
            width = m->layer[l].out;
    if ((rc = mat_init(Rel, n, in, e)))
        return rc;
    if (output == LRP_ALL && LL->out > width)
        width = LL->out;
    buf = core_malloc(2 * width * sizeof *buf); /* the relevances above and below a layer */
    a = core_malloc(in * sizeof *a);
    if (!buf || !a) {
        rc = core_err_nomem(e, "lrp", (double)(2 * width + in) * 8);
        goto done;
    }
    for (r = 0; r < n; r++) {
        simec_fwd f;
        double *Rout = buf, *Rin = buf + width, *tmp;
        const double *V = m->theta + LL->w_off, *y;
        size_t k, j, j0 = output == LRP_ALL ? 0 : output, nj = output == LRP_ALL ? LL->out : 1;
        if ((rc = simec_forward(m, x, &r, 1, &f, e)))
            goto done;
        /* the outputs' pre-activations, split over the embedding units (no
         * bias); the last layer's weight (k, j) is at V[j * in + k] */
        y = f.A[m->nl - 2].x;
        for (j = 0; j < nj; j++) {
            double z = 0.0;
            for (k = 0; k < LL->in; k++)
                z += y[k] * V[(j0 + j) * LL->in + k];
            Rin[j] = z;
        }
        memset(Rout, 0, LL->in * sizeof *Rout);
        layer_row(y, LL->in, nj, V + j0 * LL->in, 1, LL->in, NULL, Rin, Rout, o);
        for (l = m->nl - 1; l-- > 0;) {
            const simec_layer *L = &m->layer[l];
            const double *ain;
            memset(Rin, 0, L->in * sizeof *Rin);
            if (l > 0)
                ain = f.A[l - 1].x;
            else if (x->D)
                ain = &MAT_AT(x->D, r, 0);
            else {
                spm_ptr t;
                memset(a, 0, in * sizeof *a);
                for (t = x->S->p[r]; t < x->S->p[r + 1]; t++)
                    a[x->S->j[t]] += x->S->x[t];
                ain = a;
            }
            layer_row(ain, L->in, L->out, m->theta + L->w_off, L->out, 1, m->theta + L->b_off, Rout, Rin, o);
            tmp = Rout, Rout = Rin, Rin = tmp;
        }
        memcpy(&MAT_AT(Rel, r, 0), Rout, in * sizeof *Rout);
        simec_fwd_free(&f);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
    }
done:
    core_free(buf);
    core_free(a);
    if (rc)
        mat_release(Rel);
    return rc;
}
