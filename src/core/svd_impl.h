/* Shared between the truncated SVD's files: the operator and its
 * products (svd_op.c), ARPACK's Lanczos (svd_arpack.c), the randomized
 * block Krylov method (svd_randomized.c) and the entry point (svd.c). */
#ifndef SIMEC_SVD_IMPL_H
#define SIMEC_SVD_IMPL_H

#include "svd.h"

/* The operator A (rows x cols). A sparse A keeps its transpose too, so
 * every product can stream the big dense side sequentially and random-
 * access only the small one, on all cores (par.c). */
typedef struct op {
    const spm *S;
    spm T;        /* S transposed (sparse case) */
    const mat *D;
    size_t rows, cols;
} op;

/* The Gram pass on a compact copy: 16-bit column indices (when the small
 * side has at most 65536 entries) and float values, 6 bytes an entry
 * instead of 12: the pass is memory-bound, so half the bytes is about half the time. */
typedef struct compact {
    spm_ptr *p;
    uint16_t *j;
    float *x;
    int64_t rows, cols;
} compact;

/* The randomized method's operator G = A A^T (small_rows) or A^T A on the
 * small side, applied to blocks. */
typedef struct gram_op {
    const op *a;
    const spm *gm; /* sparse: the matrix whose columns are the small side */
    compact cm;
    int use_compact, small_rows;
    void *buf, *z, *xf; /* per-thread y and z buffers; x in float (compact) */
} gram_op;

/* y = M^T M x for a vector x, with per-thread buffers buf (par_threads() x cols) */
void svd_gram_vec(const spm *M, const double *x, double *y, double *buf);
/* the same on a compact copy (shape: M, for the row split) */
void svd_gram_compact(const compact *M, const spm *shape, const double *x, double *y, double *buf);
int svd_compact_init(compact *c, const spm *M, core_err *e);
/* y = A x and y = A^T x for vectors */
int svd_op_apply(const op *a, const double *x, double *y, core_err *e);
int svd_op_applyT(const op *a, const double *x, double *y, core_err *e);
/* Y = A X and Y = A^T X for blocks */
int svd_op_block(const op *a, mat *Y, const mat *X, core_err *e);
int svd_op_blockT(const op *a, mat *Y, const mat *X, core_err *e);
/* Y = G X, G the Gram operator of the randomized method */
int svd_gram_apply(gram_op *g, mat *Y, const mat *X, core_err *e);
/* U and Vt from the k eigenvectors vecs (n x k, column-major) of the Gram
 * matrix of the right (gram_right) or left side, and the singular values s */
int svd_finish_vectors(const op *a, mat *U, mat *Vt, const double *vecs, size_t n, size_t k, const double *s,
                       int gram_right, core_err *e);

int svd_arpack(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e);
int svd_randomized(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e);
int svd_lanczos(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e);

#endif
