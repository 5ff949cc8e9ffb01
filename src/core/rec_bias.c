/* The study's means (bias) model over every rating: predictions, residuals
 * and the statistics it is built from. */
#include <string.h>
#include "alloc.h"
#include "rec.h"

int rec_bias_predict(spm *out, const rec_bias *b, const spm *P, const int64_t *row_map, const int64_t *col_map,
                     core_err *e)
{
    int64_t i;
    spm_ptr k;
    int rc = spm_alloc(out, P->rows, P->cols, SPM_NNZ(P), e);
    if (rc)
        return rc;
    memcpy(out->p, P->p, ((size_t)P->rows + 1) * sizeof *out->p);
    memcpy(out->j, P->j, (size_t)SPM_NNZ(P) * sizeof *out->j);
    for (i = 0; i < P->rows; i++) {
        int64_t r = row_map ? row_map[i] : i;
        double base = b->mu;
        if (r >= 0 && r < b->nrows && b->row_count[r] > 0)
            base += b->s * (b->row_mean[r] - b->mu);
        for (k = P->p[i]; k < P->p[i + 1]; k++) {
            int64_t c = col_map ? col_map[P->j[k]] : P->j[k];
            double v = base;
            if (c >= 0 && c < b->ncols && b->col_count[c] > 0)
                v += b->s * (b->col_mean[c] - b->mu);
            out->x[k] = v;
        }
    }
    out->rlab = spm_labels_retain(P->rlab);
    out->clab = spm_labels_retain(P->clab);
    return CORE_OK;
}

int rec_bias_residuals(spm *out, const rec_bias *b, const spm *A, core_err *e)
{
    int64_t k, nnz = SPM_NNZ(A);
    int rc = rec_bias_predict(out, b, A, NULL, NULL, e);
    if (rc)
        return rc;
    for (k = 0; k < nnz; k++)
        out->x[k] = A->x[k] - out->x[k];
    return CORE_OK;
}

int rec_stats(const spm *A, double *sum, mat *row_mean, mat *row_count, mat *col_mean, mat *col_count,
              core_err *e)
{
    int64_t i, c;
    spm_ptr k;
    double total = 0;
    int rc;
    memset(row_mean, 0, sizeof *row_mean), memset(row_count, 0, sizeof *row_count);
    memset(col_mean, 0, sizeof *col_mean), memset(col_count, 0, sizeof *col_count);
    if ((rc = mat_init(row_mean, (size_t)A->rows, 1, e)) || (rc = mat_init(row_count, (size_t)A->rows, 1, e)) ||
        (rc = mat_init(col_mean, 1, (size_t)A->cols, e)) || (rc = mat_init(col_count, 1, (size_t)A->cols, e))) {
        mat_release(row_mean), mat_release(row_count), mat_release(col_mean), mat_release(col_count);
        return rc;
    }
    for (i = 0; i < A->rows; i++) {
        double rs = 0;
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            rs += A->x[k];
            col_mean->x[A->j[k]] += A->x[k];
            col_count->x[A->j[k]] += 1.0;
        }
        total += rs;
        row_count->x[i] = (double)(A->p[i + 1] - A->p[i]);
        row_mean->x[i] = row_count->x[i] > 0 ? rs / row_count->x[i] : 0.0;
    }
    for (c = 0; c < A->cols; c++)
        if (col_count->x[c] > 0)
            col_mean->x[c] /= col_count->x[c];
    *sum = total;
    return CORE_OK;
}
