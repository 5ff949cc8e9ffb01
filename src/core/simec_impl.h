/* Shared between the SimEc files: model, output passes, optimisers,
 * training, negatives and the file format. */
#ifndef SIMEC_SIMEC_IMPL_H
#define SIMEC_SIMEC_IMPL_H

#include <math.h>
#include "rng.h"
#include "simec_model.h"

#define SIMEC_NO_BIAS ((size_t)-1)

#define SIMEC_LAST(m) (&(m)->layer[(m)->nl - 1])

/* Activations of one batch: Z[l] before and A[l] after layer l's
 * activation, for the layers before the last (A[nl-2] is the embedding).
 * A[l] shares Z[l]'s storage when the activation is linear. */
typedef struct simec_fwd {
    size_t n;
    mat Z[SIMEC_MAX_HIDDEN + 1], A[SIMEC_MAX_HIDDEN + 1];
} simec_fwd;

/* Gradient buffer. Layers whose gradient is row-sparse in a batch (the
 * first layer under identity or sparse input, the last under a masked loss
 * on sparse targets, when no regulariser touches every row) keep g zero
 * outside the rows listed in rows[]. The optimiser steps only those rows,
 * and brings every other row up to date when it is next used (or at the
 * end of an epoch) with the steps it skipped in closed form: their
 * gradient was zero, so only the moments' decay moves them. The result is
 * the dense optimiser's (exact for SGD; for Adam and Adamax up to eps
 * against the decayed second moment) at the cost of the touched rows.
 * An identity input is lazy under an l2 penalty too: its rows are
 * penalised when a batch uses them, each at row_l2 = l2 x batches per
 * epoch, so an epoch's penalty is the dense one's (each row is in one
 * batch) without stepping every row in every batch. */
typedef struct simec_grad {
    double *g;
    int sparse[2];          /* 0: first layer, 1: last layer */
    unsigned char *mark[2]; /* rows touched by this batch (the first layer; the last counts in cnt) */
    size_t *rows[2], nrows[2];
    int64_t *last[2];       /* per row: the step it is up to date with */
    int fused;              /* the last layer steps inside its output pass */
    double row_l2;          /* the first layer's per-use penalty (identity input), or 0 */
    /* the fused pass: each thread lists its touched outputs in rows[1] and their targets' starts in
     * start, from its first output's index plus its number (both hold PAR_MAX more than the outputs) */
    uint32_t *slot;         /* output -> position in its thread's list */
    uint32_t *cnt;          /* output -> the batch's targets at it, while counting (zero between batches) */
    size_t *start;
    int64_t caught;         /* the step of the last catch-up of every row: no row is further behind */
    int step_last;          /* a dense last layer may step inside its output pass (no regulariser on it) */
    int stepped_last;       /* the batch's output pass stepped the last layer and left its gradient zero */
    double *vv;             /* a frozen last layer's V^T V, once the Gram pass has computed it */
} simec_grad;

/* act(z) for one value */
static inline double simec_act1(int act, double z)
{
    switch (act) {
    case SIMEC_TANH: return tanh(z);
    case SIMEC_RELU: return z > 0 ? z : 0.0;
    case SIMEC_SIGMOID: return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
    case SIMEC_LEAKY_RELU: return z > 0 ? z : SIMEC_LEAKY_SLOPE * z;
    default: return z;
    }
}

#define SIMEC_BCE_CLIP 1e-7 /* Keras clips probabilities to [eps, 1 - eps] */

/* The loss of one target value given the last layer's pre-activation z;
 * *d = its derivative with respect to z. Inline: the masked passes call it
 * once per stored target, and a call there costs as much as the
 * arithmetic. */
static inline double simec_loss1(int loss, int act, double z, double y, double *d)
{
    double o = simec_act1(act, z), dl;
    switch (loss) {
    case SIMEC_MAE:
        dl = o > y ? 1.0 : o < y ? -1.0 : 0.0;
        *d = act == SIMEC_SIGMOID ? dl * o * (1.0 - o) : dl;
        return fabs(o - y);
    case SIMEC_BCE: {
        double oc = o < SIMEC_BCE_CLIP ? SIMEC_BCE_CLIP : o > 1.0 - SIMEC_BCE_CLIP ? 1.0 - SIMEC_BCE_CLIP : o;
        if (act == SIMEC_SIGMOID)
            *d = o - y; /* the sigmoid's derivative cancels the denominator */
        else
            *d = (oc - y) / (oc * (1.0 - oc));
        return -(y * log(oc) + (1.0 - y) * log(1.0 - oc));
    }
    default:
        dl = 2.0 * (o - y);
        *d = act == SIMEC_SIGMOID ? dl * o * (1.0 - o) : dl;
        return (o - y) * (o - y);
    }
}
/* A masked row's weight in the batch loss: 1 / (its stored entries x n) */
static inline double simec_row_scale(const spm *T, size_t row, size_t n)
{
    spm_ptr cnt = T->p[row + 1] - T->p[row];
    return 1.0 / ((double)(cnt > 0 ? cnt : 1) * (double)n);
}

/* Output passes (simec_output.c). The batch's rows of the targets are
 * rows[0..n), the embedding Y (n x d); the loss goes to *loss, the
 * embedding's gradient is added to dY (NULL: none) and the last layer's to
 * G (NULL: none). With G->fused the last layer also takes its optimiser
 * step there: per touched output, catch-up, outputs, gradients and step
 * in one pass over its row. */
int simec_outputs(simec *m, const simec_target *t, const size_t *rows, size_t n, const mat *Y, mat *dY,
                  simec_grad *G, double *loss, core_err *e);
/* Whether a batch of n rows takes the Gram form (zero-filled targets under
 * the squared error with a linear output, when it costs less) */
int simec_gram_pass(const simec *m, const simec_target *t, size_t n);

/* Optimisers (simec_opt.c) */
/* the step size factor of step t (1-based) */
double simec_opt_step_size(const simec_cfg *c, double t);
/* one optimiser step on theta[off .. off + len) with its gradient
 * g[0 .. len), the moments first decayed by d1 and d2 */
void simec_opt_step_decayed(simec *m, size_t off, size_t len, const double *g, double lr_t, double d1, double d2);
/* one optimiser step on theta[off .. off + len) with its gradient g[0 .. len) */
static inline void simec_opt_step(simec *m, size_t off, size_t len, const double *g, double lr_t)
{
    simec_opt_step_decayed(m, off, len, g, lr_t, 1.0, 1.0);
}
/* k zero-gradient steps on a row of width w, in closed form, given the
 * catch-up table's entries for k; without moments the row's moments are
 * left undecayed, for a step that decays them next (simec_opt_step_decayed
 * with d1, d2) */
void simec_opt_skip_row(const simec_cfg *c, double *p, float *m1, float *m2, size_t w, double coef, double d1,
                        double d2, int moments);
/* the catch-up table for up to kmax skipped steps ending at step now:
 * 3 x (kmax + 1) values (NULL when out of memory; core_free it) */
double *simec_opt_catch_table(const simec_cfg *c, int64_t now, int64_t kmax);
/* SGD without momentum: no state, nothing to catch up */
int simec_opt_plain(const simec_cfg *c);
/* one optimiser step: dense layers whole, lazy ones on their touched rows */
void simec_update(simec *m, simec_grad *G);
/* brings the touched rows (all: every row) of the lazy layers to m->step */
void simec_catch_up(simec *m, simec_grad *G, int all);

/* Negative sampling (simec_neg.c) */
typedef struct simec_neg {
    double ratio;
    unsigned char *seen; /* per column, while a row is drawn */
    double *cdf;         /* popularity: cumulative column counts; NULL: uniform */
} simec_neg;
int simec_negatives_init(simec_neg *s, const spm *T, double ratio, int popularity, core_err *e);
void simec_negatives_free(simec_neg *s);
/* out (n x T's columns) = rows[0..n) of T plus sampled negatives */
int simec_negatives_batch(simec_neg *s, const spm *T, const size_t *rows, size_t n, struct rng *g, spm *out,
                          core_err *e);

int simec_forward(const simec *m, const simec_input *x, const size_t *rows, size_t n, simec_fwd *f, core_err *e);
void simec_fwd_free(simec_fwd *f);
void simec_activate(int act, const double *z, double *a, size_t n);
/* d *= act'(z) given z and a = act(z) */
void simec_act_grad(int act, const double *z, const double *a, double *d, size_t n);

#endif
