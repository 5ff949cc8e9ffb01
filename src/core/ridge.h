/* Multi-output ridge regression: min ||X W + 1 b - Y||^2 + alpha ||W||^2
 * (b unpenalised, 0 without intercept), X sparse or dense (n x f), Y dense
 * (n x k). Cholesky on the normal equations for few features; conjugate
 * gradients on the operator (never forming X^T X) for many. */
#ifndef SIMEC_RIDGE_H
#define SIMEC_RIDGE_H

#include "core.h"
#include "mat.h"
#include "spm.h"

enum { RIDGE_AUTO, RIDGE_CHOLESKY, RIDGE_CG };
#define RIDGE_CHOLESKY_MAX_FEATURES 4000

typedef struct ridge_info {
    int method;     /* the one used */
    int iterations; /* CG iterations (largest over the outputs) */
} ridge_info;

int ridge_fit(mat *W, mat *b, const spm *XS, const mat *XD, const mat *Y, double alpha, int intercept, int method,
              ridge_info *info, core_err *e);

#endif
