/* The standard models of pairwise relations with row and column kernels
 * (drug-target interactions): Kronecker regularised least squares
 * (KronRLS; van Laarhoven et al. 2011) and neighbourhood-regularised
 * logistic matrix factorisation (NRLMF; Liu et al. 2016). Y is the
 * training relation (rows x columns, usually 0/1), stored sparse. */
#ifndef SIMEC_RELATIONS_H
#define SIMEC_RELATIONS_H

#include "core.h"
#include "mat.h"
#include "spm.h"

/* The Gaussian interaction-profile (GIP) kernel of Y's rows (van Laarhoven
 * et al. 2011): K (rows x rows) = exp(-gamma |y_i - y_j|^2), gamma the
 * bandwidth over the mean squared row norm (0 when every row is empty),
 * from Y Y' over the stored pairs. */
int gip_kernel(mat *K, const spm *Y, double bandwidth, core_err *e);

/* Weighted nearest-neighbour profiles (van Laarhoven and Marchiori 2013):
 * each query row (a row of S, its similarities to Y's rows) gets the sum of
 * its i-th most similar training row's profile weighted T^(i-1), 0 < T < 1,
 * over the rows whose weight is at least 1e-4. out: queries x Y's columns. */
int wnn_profiles(mat *out, const spm *Y, const mat *S, double T, core_err *e);

/* ---- KronRLS ----
 * On the pairwise kernel Kt (x) Kd with ridge sigma: Kd = Ud diag(wd) Ud',
 * Kt = Ut diag(wt) Ut', and the weights A = Ud C Ut' with
 *   C = (Ud' Y Ut) ./ (wd wt' + sigma). */
typedef struct kronrls {
    mat wd, Ud, wt, Ut, C; /* wd: rows x 1, wt: columns x 1 */
    double sigma;
} kronrls;

/* Fits on Y (n x m) with symmetric kernels Kd (n x n), Kt (m x m). On
 * success the caller releases the model with kronrls_free; a failure leaves
 * k empty (a model k held before is not released: release it first). */
int kronrls_fit(kronrls *k, const spm *Y, const mat *Kd, const mat *Kt, double sigma, core_err *e);
void kronrls_free(kronrls *k);
/* The fitted values Kd A Kt = Ud [C .* (wd wt')] Ut': at every training
 * pair (P NULL: out n x m dense), or at the stored positions of P (n x m;
 * out takes P's structure), which costs one product of the two instead of
 * both. */
int kronrls_fitted(mat *dense, spm *at, const kronrls *k, const spm *P, core_err *e);

/* ---- NRLMF ----
 * p(y_ij = 1) = sigmoid(u_i . v_j), an observed interaction weighted c
 * times against the unknown pairs, l2 penalties lambda_d, lambda_t, and
 * graph Laplacians of each side's k most similar members weighted alpha
 * and beta. AdaGrad (step theta) on U, then V, a full gradient each, until
 * the log-likelihood moves by less than 1e-5 of itself or after
 * `iterations`. U and V start as standard normals / sqrt(factors) drawn
 * from seed, U's rows first (NumPy's RandomState(seed).normal, as the
 * paper's code). n: the neighbours a row without training interactions
 * is scored from; the fit does not use it. */
typedef struct nrlmf_opts {
    double c, lambda_d, lambda_t, alpha, beta, theta;
    int64_t k, n, factors, iterations;
    uint32_t seed;
} nrlmf_opts;

/* c 5, k 5, n 5, factors 10, lambda_d = lambda_t = 0.625, alpha = beta =
 * 0.1, theta 1, 100 iterations, seed 1: the paper's settings */
void nrlmf_opts_default(nrlmf_opts *o);

/* U (n x factors) and V (m x factors) fitted to Y (n x m) with row and
 * column similarities Sd (n x n) and St (m x m); *iterations the AdaGrad
 * iterations run. */
int nrlmf_fit(mat *U, mat *V, int64_t *iterations, const spm *Y, const mat *Sd, const mat *St, const nrlmf_opts *o,
              core_err *e);

#endif
