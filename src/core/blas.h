/* The core's one door to BLAS: row-major products on raw arrays with
 * size_t sizes. BLAS takes int sizes (LP64), so each call checks every
 * size against INT_MAX and fails with CORE_ETOOBIG naming the caller's
 * `what` rather than passing a truncated size. The OpenBLAS thread count
 * is set only here, scoped to a call through blas_threads_set/restore. */
#ifndef SIMEC_BLAS_H
#define SIMEC_BLAS_H

#include "core.h"

typedef enum { BLAS_N, BLAS_T } blas_op; /* an operand as stored, or transposed */

/* c (m x n) = alpha op(a) op(b) + beta c, op(a) m x k, op(b) k x n */
int blas_gemm(const char *what, blas_op ta, blas_op tb, size_t m, size_t n, size_t k, double alpha, const double *a,
              size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc, core_err *e);
/* y = alpha op(a) x + beta y, a m x n, unit strides */
int blas_gemv(const char *what, blas_op ta, size_t m, size_t n, double alpha, const double *a, size_t lda,
              const double *x, double beta, double *y, core_err *e);
/* c (n x n) = alpha a^T a + beta c for a (k x n), the whole symmetric matrix
 * (BLAS fills one triangle; the other is mirrored) */
int blas_gram(const char *what, size_t n, size_t k, double alpha, const double *a, size_t lda, double beta, double *c,
              size_t ldc, core_err *e);
/* c (m x n) = alpha s b + beta c, s (m x m) symmetric (upper triangle read) */
int blas_symm(const char *what, size_t m, size_t n, double alpha, const double *s, size_t lds, const double *b,
              size_t ldb, double beta, double *c, size_t ldc, core_err *e);
/* b (m x n) = op(l)^-1 b, l (m x m) lower triangular */
int blas_trsm_lower(const char *what, blas_op tl, size_t m, size_t n, const double *l, size_t ldl, double *b,
                    size_t ldb, core_err *e);
/* a (m x n) += alpha x y^T, unit strides */
int blas_ger(const char *what, size_t m, size_t n, double alpha, const double *x, const double *y, double *a,
             size_t lda, core_err *e);
/* y[0..n) += alpha x[0..n) */
int blas_axpy(const char *what, size_t n, double alpha, const double *x, double *y, core_err *e);

/* The thread count for the calls that follow; returns the previous one,
 * for blas_threads_restore once the scope ends. */
int blas_threads_set(int threads);
void blas_threads_restore(int previous);
int blas_threads(void);

#endif
