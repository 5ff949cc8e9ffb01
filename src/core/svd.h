/* Truncated SVD of a sparse or dense matrix: the k largest singular
 * triplets. ARPACK's implicitly restarted Lanczos on A^T A (or A A^T,
 * whichever is smaller), as scipy's svds; block Lanczos on the same
 * operator, a block of vectors a pass over the matrix; randomized: Halko et
 * al. with power iterations. U is rows x k, s is k x 1 descending, Vt k x cols. */
#ifndef SIMEC_SVD_H
#define SIMEC_SVD_H

#include "core.h"
#include "mat.h"
#include "spm.h"

typedef struct svd_opts {
    int method;        /* SVD_ARPACK, SVD_RANDOMIZED, SVD_LANCZOS or SVD_METHOD_AUTO (the default):
                          block Lanczos on sparse matrices of at least SVD_SINGLE_NNZ entries or whose
                          smaller side is at least SVD_LANCZOS_SIDE, else (or given ncv or maxiter) ARPACK */
    double tol;        /* ARPACK: tolerance on eigenvalues (0: machine precision); block Lanczos: the k
                          values' relative accuracy, residuals within its square root (0: SVD_LANCZOS_TOL) */
    int maxiter;       /* ARPACK restarts (0: default) */
    int ncv;           /* ARPACK Lanczos vectors (0: default); block Lanczos: the space's columns at
                          most, in whole blocks (0: max(20 k, 32 block) + 2 block, held as used); then ARPACK */
    int block;         /* block Lanczos: columns a block (0: SVD_BLOCK) */
    int oversample;    /* randomized: extra columns (default 10) */
    int power_iters;   /* randomized: Krylov blocks after the first (default 5) */
    uint32_t seed;
    int want_vectors;  /* 0: singular values only */
    int single;        /* ARPACK on a sparse matrix: stream float32 values in the Gram pass;
                          SVD_AUTO (the default): when it has at least SVD_SINGLE_NNZ entries */
} svd_opts;

enum { SVD_ARPACK, SVD_RANDOMIZED, SVD_LANCZOS, SVD_METHOD_AUTO };
#define SVD_AUTO (-1)
/* one full chunk of the float Gram pass (svd_op.c) */
#define SVD_BLOCK 32
#define SVD_LANCZOS_TOL 1e-8
#define SVD_LANCZOS_SIDE 4096
#define SVD_MAX_POWER 20
#define SVD_SINGLE_NNZ ((int64_t)1 << 22)

void svd_opts_default(svd_opts *o);
/* Exactly one of S (sparse) and D (dense) is non-NULL. */
int svd_truncated(mat *U, mat *s, mat *Vt, const spm *S, const mat *D, size_t k, const svd_opts *o, core_err *e);

#endif
