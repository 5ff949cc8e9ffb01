/* Similarity Encoders: input (identity, dense or sparse rows) -> hidden
 * dense layers -> linear embedding -> last layer without bias -> outputs
 * that approximate a row of a target matrix. The training engine works on
 * sparse targets without forming dense outputs: masked losses touch only
 * the stored entries of a batch, zero-filled ones go through column chunks. */
#ifndef SIMEC_SIMEC_MODEL_H
#define SIMEC_SIMEC_MODEL_H

#include "core.h"
#include "mat.h"
#include "spm.h"

/* identity input (row i is the i-th unit vector) or feature rows, dense or sparse */
enum { SIMEC_IN_IDENTITY, SIMEC_IN_FEATURES };
enum { SIMEC_LINEAR, SIMEC_TANH, SIMEC_RELU, SIMEC_SIGMOID, SIMEC_LEAKY_RELU, SIMEC_ACT_COUNT };
enum { SIMEC_MSE, SIMEC_MAE, SIMEC_BCE, SIMEC_LOSS_COUNT };
enum { SIMEC_ZERO, SIMEC_MASK };
enum { SIMEC_ADAMAX, SIMEC_ADAM, SIMEC_SGD, SIMEC_OPT_COUNT };

extern const char *const simec_act_names[];  /* "linear", "tanh", ... */
extern const char *const simec_loss_names[]; /* "mse", "mae", "bce" */
extern const char *const simec_opt_names[];  /* "adamax", "adam", "sgd" */

#define SIMEC_MAX_HIDDEN 16
#define SIMEC_LEAKY_SLOPE 0.3 /* Keras' LeakyReLU default */

typedef struct simec_cfg {
    int input;                        /* SIMEC_IN_* */
    size_t in_dim, emb_dim, out_dim;
    size_t n_hidden;
    size_t hidden[SIMEC_MAX_HIDDEN];
    int hidden_act[SIMEC_MAX_HIDDEN];
    int ll_act;                       /* SIMEC_LINEAR or SIMEC_SIGMOID */
    int loss, missing;
    double l2_reg, l2_reg_emb, l2_reg_out, s_ll_reg, orth_reg;
    int wll_frozen;
    int opt;
    double lr, beta1, beta2, eps, momentum;
    uint32_t seed;                    /* Glorot initialisation */
} simec_cfg;

void simec_cfg_default(simec_cfg *c);
/* The learning rate an optimiser starts from when none is given: the
 * reference's 0.0005 for Adamax and Adam, 0.01 for plain SGD, whose steps
 * are not scaled by gradient moments. */
double simec_default_lr(int opt);
/* reduce-on-plateau's factor when lr_plateau is asked for without one */
#define SIMEC_PLATEAU_FACTOR 0.5

/* Layer l has W (in x out, row-major) and b (out), except the last layer,
 * whose weights are stored transposed: one row of emb_dim per output, so
 * the outputs at a sparse pattern read whole rows. All parameters live in
 * one array theta (and so do gradients and optimiser moments). */
typedef struct simec_layer {
    size_t in, out;
    size_t w_off, b_off; /* offsets into theta; b_off == SIZE_MAX: no bias */
    int act;
} simec_layer;

typedef struct simec {
    simec_cfg cfg;
    size_t nl;           /* n_hidden + 2 */
    simec_layer layer[SIMEC_MAX_HIDDEN + 2];
    size_t n_params;
    double *theta;
    float *m1, *m2;      /* optimiser moments (NULL until the first fit); single precision: the
                            optimiser's passes are memory-bound, and moments need no more */
    int64_t step;        /* optimiser steps taken */
    int64_t epochs;      /* epochs trained (saved with the model; resume with fit's initial_epoch) */
    mat S_ll;            /* out x out target of W_ll^T W_ll (s_ll_reg) */
    /* what simec_s_ll_prepare found in S_ll: no NaN (every similarity
     * given), symmetric, and its squared norm; the penalty takes the short
     * path only when s_ll_complete is set */
    int s_ll_complete, s_ll_symmetric;
    double s_ll_norm2;
} simec;

/* The rows of an input: an identity input has none (rows are indices);
 * a features input has D or S. */
typedef struct simec_input {
    const mat *D;
    const spm *S;
    size_t n;
} simec_input;

/* Targets: sparse (stored entries observed) or dense (NaN = missing). */
typedef struct simec_target {
    const spm *S;
    const mat *D;
} simec_target;

int simec_init(simec *m, const simec_cfg *cfg, core_err *e); /* Glorot weights, zero biases */
/* The layers and parameter count of cfg, validated, with nothing allocated
 * (m->theta stays NULL): what a model file's header is checked against. */
int simec_layout(simec *m, const simec_cfg *cfg, core_err *e);
void simec_free(simec *m);
/* After S_ll is set or changed: notes whether it is complete (no NaN) and
 * symmetric, and its squared norm (simec.S_ll's fields) */
void simec_s_ll_prepare(simec *m);
int simec_check_input(const simec *m, const simec_input *x, const char *what, core_err *e);
int simec_check_target(const simec *m, const simec_input *x, const simec_target *t, const char *what, core_err *e);

/* Y (n x emb_dim) = the embeddings of every input row */
int simec_transform(const simec *m, const simec_input *x, mat *Y, core_err *e);
/* O (n x out_dim) = the outputs, densely */
int simec_predict(const simec *m, const simec_input *x, mat *O, core_err *e);
/* out = the outputs at the stored entries of P (same pattern) */
int simec_predict_at(const simec *m, const simec_input *x, const spm *P, spm *out, core_err *e);

/* The loss (data term over all rows, plus regularisers) and, if g is not
 * NULL, its gradient over the rows rows[0..n) as one batch. */
int simec_batch_grad(const simec *m, const simec_input *x, const simec_target *t, const size_t *rows, size_t n,
                     double *loss, double *g, core_err *e);
/* The mean loss over all rows in batches of bs, without regularisers. */
int simec_eval_loss(const simec *m, const simec_input *x, const simec_target *t, size_t bs, double *loss,
                    core_err *e);

typedef struct simec_fit_opts {
    int epochs;             /* the last epoch's number (Keras): trains epochs - initial_epoch epochs */
    int initial_epoch;      /* epochs already trained (resuming): their shuffles are replayed */
    size_t batch_size;
    int shuffle;
    uint32_t seed;
    const simec_input *vx;  /* validation (optional) */
    const simec_target *vt;
    int keep_best;          /* restore the epoch with the lowest monitored loss */
    int dense_updates;      /* step every row every batch instead of the lazy equivalent */
    double negatives;       /* implicit feedback: per stored entry of a row, this many sampled missing
                               entries as 0 targets, fresh each batch (masked loss only); 0: off */
    int neg_popularity;     /* draw negatives in proportion to column popularity, not uniformly */
    double plateau_factor;  /* reduce-on-plateau: lr *= factor after patience epochs (0: off) */
    int plateau_patience;
    double min_lr;
    /* after each epoch; return non-zero to stop */
    int (*on_epoch)(void *ctx, int epoch, double loss, double val, double seconds);
    void *ctx;
} simec_fit_opts;

typedef struct simec_fit_info {
    int epochs_done, best_epoch, interrupted, stopped;
    size_t negatives_capped; /* target rows with fewer missing entries than the negatives ratio asks */
    double last_loss, best_loss;
} simec_fit_info;

void simec_fit_opts_default(simec_fit_opts *o);
/* Trains; on Ctrl-C returns CORE_EINTR with the weights of the last
 * completed (or best) epoch restored. */
int simec_fit(simec *m, const simec_input *x, const simec_target *t, const simec_fit_opts *o, simec_fit_info *info,
              core_err *e);

int simec_save(const simec *m, const char *path, core_err *e);
int simec_load(simec *m, const char *path, core_err *e);

#endif
