/* Matrix factorisation by stochastic gradient descent (Funk's SVD; with
 * biases, Koren's biased MF):
 *   r(i, u) = mu + b_i + b_u + p_i . q_u
 * minimising the squared error over the training ratings plus reg (|p|^2 +
 * |q|^2) and reg_bias (b_i^2 + b_u^2) per rating, one rating at a time.
 * Factors and biases are single precision, as in LIBMF, since a rating's
 * step moves them far more than rounding does. The ratings are cut into
 * MF_BLOCKS x MF_BLOCKS blocks of about equal counts; a sub-epoch visits
 * MF_BLOCKS blocks that share no row and no column, so threads take whole
 * blocks and never write the same parameters, and each block keeps one
 * order drawn once from the seed: the result does not depend on the number
 * of threads or on timing. A row or column without training ratings (or
 * new, map -1) keeps zero factors and bias, so it is predicted from the
 * other side's bias and the mean. Predictions are clipped to the training
 * ratings' range. */
#ifndef SIMEC_MF_H
#define SIMEC_MF_H

#include "core.h"
#include "spm.h"

#define MF_BLOCKS 8

typedef struct mf_opts {
    int64_t k;       /* factors; 0: biases only */
    int64_t epochs;  /* passes over the training ratings */
    double lr;       /* step size */
    double reg;      /* l2 on the factors, per rating */
    double reg_bias; /* l2 on the biases, per rating */
    int biases;      /* learn mu, b_i, b_u (else the model is p_i . q_u alone) */
    double init_std; /* of the factors' starting values */
    uint32_t seed;
} mf_opts;

/* k 100, 20 epochs, lr 0.005, reg 0.02, reg_bias 0.02, biases, init_std 0.1,
 * seed 1 (the usual biased-MF settings, e.g. Surprise's SVD) */
void mf_opts_default(mf_opts *o);

/* Fits on R (train rows x train cols) and predicts at the stored positions
 * of P (n_full[0] x n_full[1]), out taking P's structure; map[s] (n_full[s]
 * entries: full index -> train index or -1) or NULL for the identity.
 * trace (epochs entries, or NULL): the RMSE against P's stored values
 * after each epoch. */
int mf_run(spm *out, double *trace, const spm *R, const int64_t *const map[2], const int64_t n_full[2],
           const spm *P, const mf_opts *o, core_err *e);

#endif
