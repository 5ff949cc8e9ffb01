/* Bayesian factorization model fitted by Gibbs sampling (the MCMC learner
 * of Freudenthaler, Schmidt-Thieme and Rendle's Bayesian factorization
 * machines, with the relational structure of ratings built in):
 *   r(i, u) = w0 + d_i . w_I + d_u . w_U + (d_i V_I) . (d_u V_U) + noise
 * where d_i = [one-hot id of item i, features of i] (likewise d_u). Each
 * group of parameters (item ids, item features, user ids, user features;
 * the linear weights and each factor column apart) has a normal prior whose
 * mean and precision are sampled too, as is the noise precision, so nothing
 * is tuned but the number of factors and sweeps. Unlike a full FM there are
 * no interactions within one side (item feature x item feature), which
 * would only add per-item constants. With link, a side with both ids and
 * features has the features in the ids' priors instead (as Macau, Simm et
 * al. 2015): w_i ~ N(mu + x_i . beta, 1/lambda), likewise each factor, with
 * a Gaussian prior on beta; the sampler then moves the ids and the
 * features' weights in turn rather than fighting over one effect, and a
 * new item gets mu + x_i . beta. Predictions are the average over the
 * sweeps after burn-in of each sweep's prediction, clipped to the training
 * ratings' range. A row or column new to the training set (map -1) is
 * predicted from its features, with its id's parameters at their group's
 * prior mean. */
#ifndef SIMEC_BFM_H
#define SIMEC_BFM_H

#include "core.h"
#include "spm.h"

typedef struct bfm_side {
    const spm *F;       /* full-space features (n_full x f, CSR) or NULL */
    const int64_t *map; /* n_full entries: full index -> train index or -1; NULL: identity */
    int64_t n_full;     /* rows of the full space (the pattern's rows or columns) */
    int ids;            /* learn a parameter set per training id */
} bfm_side;

typedef struct bfm_opts {
    int64_t k;            /* factors; 0: biases and feature weights only */
    int64_t burn_in;      /* sweeps before predictions are averaged */
    int64_t samples;      /* sweeps averaged */
    double init_std;      /* of the factors' starting values */
    uint32_t seed;
    int link;             /* on a side with ids and features, the features predict the ids' parameters */
    int64_t *drawn_ahead; /* when not NULL: how many sides' first normals another thread drew ahead (tests) */
} bfm_opts;

/* k 8, burn-in 50, 150 averaged sweeps, init_std 0.1, seed 1, no link */
void bfm_opts_default(bfm_opts *o);

/* Fits on R (train rows x train cols) and predicts at the stored positions
 * of P (full space: side[0].n_full x side[1].n_full), out taking P's
 * structure. trace (samples entries, or NULL): after each averaged sweep,
 * the RMSE of the running average against P's stored values. */
int bfm_run(spm *out, double *trace, const spm *R, const bfm_side side[2], const spm *P, const bfm_opts *o,
            core_err *e);

#endif
