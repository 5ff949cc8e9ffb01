/* Weighted alternating least squares for implicit feedback (iALS: Hu,
 * Koren and Volinsky 2008): factors x_u, y_i minimising the sum over all
 * pairs of c_ui (p_ui - x_u . y_i)^2 + lambda (|x|^2 + |y|^2), p_ui = 1
 * where X stores an entry (confidence 1 + alpha) and 0 elsewhere
 * (confidence 1). One half-step solves every row's factors given the other
 * side's, G (m x k):
 *   (G^T G + lambda I + alpha sum_i g_i g_i^T) x_u = (1 + alpha) sum_i g_i
 * over the row's stored columns i, so a row costs its entries, not all m. */
#ifndef SIMEC_IALS_H
#define SIMEC_IALS_H

#include "core.h"
#include "mat.h"
#include "spm.h"

/* F (X's rows x k) from G (X's columns x k). cg_steps = 0: the exact solve
 * (Cholesky); else that many conjugate-gradient steps per row from F's
 * current values (Takacs, Pilaszy and Tikk 2011), which never raise the
 * objective. F must be X->rows x G->cols; rows without entries solve to 0
 * (exactly) or towards it (CG). */
int ials_side(mat *F, const spm *X, const mat *G, double alpha, double lambda, int64_t cg_steps, core_err *e);

#endif
