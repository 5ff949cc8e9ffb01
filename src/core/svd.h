/* Truncated SVD of a sparse or dense matrix: the k largest singular
 * triplets. Krylov: ARPACK's implicitly restarted Lanczos on A^T A (or
 * A A^T, whichever is smaller), as scipy's svds; randomized: Halko et al.
 * with power iterations. U is rows x k, s is k x 1 descending, Vt k x cols. */
#ifndef SIMEC_SVD_H
#define SIMEC_SVD_H

#include "core.h"
#include "mat.h"
#include "spm.h"

typedef struct svd_opts {
    int method;        /* SVD_ARPACK or SVD_RANDOMIZED */
    double tol;        /* ARPACK tolerance on eigenvalues (0: machine precision) */
    int maxiter;       /* ARPACK restarts (0: default) */
    int ncv;           /* ARPACK Lanczos vectors (0: default) */
    int oversample;    /* randomized: extra columns (default 10) */
    int power_iters;   /* randomized: Krylov blocks after the first (default 5) */
    uint32_t seed;
    int want_vectors;  /* 0: singular values only */
    int single;        /* ARPACK on a sparse matrix: stream float32 values in the Gram pass;
                          SVD_AUTO (the default): when it has at least SVD_SINGLE_NNZ entries */
} svd_opts;

enum { SVD_ARPACK, SVD_RANDOMIZED };
#define SVD_AUTO (-1)
#define SVD_MAX_POWER 20
#define SVD_SINGLE_NNZ ((int64_t)1 << 22)

void svd_opts_default(svd_opts *o);
/* Exactly one of S (sparse) and D (dense) is non-NULL. */
int svd_truncated(mat *U, mat *s, mat *Vt, const spm *S, const mat *D, size_t k, const svd_opts *o, core_err *e);

#endif
