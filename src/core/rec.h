/* Recommender primitives that touch every rating: splits (rec_split.c),
 * the means model and statistics (rec_bias.c), implicit feedback
 * (rec_implicit.c), synthetic data (rec_synthetic.c). */
#ifndef SIMEC_REC_H
#define SIMEC_REC_H

#include "core.h"
#include "mat.h"
#include "rng.h"
#include "spm.h"

/* Splits A. row_map[i] / col_map[j]: index of row i / column j in the train
 * space (0-based) or -1 when not a train row/column. An entry is train when
 * both are mapped and (entry_train == NULL or entry_train[k]). train is in
 * the train space (train_rows x train_cols, labels taken along); test holds
 * the other entries in A's space (and labels). */
int rec_split(spm *train, spm *test, const spm *A, const int64_t *row_map, int64_t train_rows,
              const int64_t *col_map, int64_t train_cols, const unsigned char *entry_train, core_err *e);

/* entry_train for the ratings list: the list (lines in file order, order[k]
 * = 1-based CSR position, as doubles, the way sparse.read keeps them; NULL:
 * CSR order) is permuted with g; the elements at permuted positions
 * [test_from, test_to) are test, the others train. mask has SPM_NNZ(A) bytes. */
int rec_pairs_mask(unsigned char *mask, int64_t nnz, const double *order, int64_t nlines, rng *g,
                   int64_t test_from, int64_t test_to, core_err *e);

/* The study's means model at the positions of P (any space):
 *   mu + s * (row_mean[r] - mu) + s * (col_mean[c] - mu)
 * where r = row_map[i] (i itself when row_map is NULL), a term dropping out
 * when r < 0 or row_count[r] == 0 (likewise for columns). */
typedef struct rec_bias {
    double mu, s;
    const double *row_mean, *row_count, *col_mean, *col_count;
    int64_t nrows, ncols; /* lengths of the arrays above */
} rec_bias;
int rec_bias_predict(spm *out, const rec_bias *b, const spm *P, const int64_t *row_map, const int64_t *col_map,
                     core_err *e);

/* A minus the model at A's positions (identity maps): the residual matrix */
int rec_bias_residuals(spm *out, const rec_bias *b, const spm *A, core_err *e);

/* One pass over A: sum of values, per-row and per-column means over stored
 * entries (0 for empty ones) and counts; row_* are rows x 1, col_* 1 x cols. */
int rec_stats(const spm *A, double *sum, mat *row_mean, mat *row_count, mat *col_mean, mat *col_count,
              core_err *e);

/* Implicit feedback as user features: out (n x R's rows) holds, for each
 * user u of a full space, the items its training user col_map[u] (-1: new,
 * an empty row; NULL map: u itself) rated in R (items x users), each
 * weighted 1/sqrt(that user's count). */
int rec_implicit(spm *out, const spm *R, const int64_t *col_map, int64_t n, core_err *e);

/* Synthetic ratings (items x users): each user rates a heavy-tailed number
 * of distinct items, items drawn with Zipf popularity (exponent skew);
 * rating = clip(round_half(mu + bi[i] + bu[u] + P[i].Q[u] + noise * N(0,1)), 0.5, 5).
 * P: items x r, Q: users x r, bi: items x 1, bu: users x 1. Exactly
 * nratings entries (at most items * users). */
int rec_synthetic(spm *R, const mat *P, const mat *Q, const mat *bi, const mat *bu, double mu, double noise,
                  double skew, int64_t nratings, rng *g, core_err *e);

#endif
