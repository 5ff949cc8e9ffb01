/* Sparse statistics and products. */
#include <string.h>
#include <cblas.h>
#include "alloc.h"
#include "spm.h"

int spm_reduce(mat *out, const spm *A, int op, int axis, core_err *e)
{
    int64_t i, n = axis == 2 ? A->rows : A->cols;
    spm_ptr k;
    double *cnt = NULL;
    int rc;
    if (axis != 1 && axis != 2)
        return core_err_set(e, CORE_EINVAL, "axis must be 1 (per column) or 2 (per row), got %d", axis);
    rc = axis == 2 ? mat_init(out, (size_t)n, 1, e) : mat_init(out, 1, (size_t)n, e);
    if (rc)
        return rc;
    if (op == SPM_MEAN && !(cnt = core_calloc((size_t)(n ? n : 1), sizeof *cnt))) {
        mat_release(out);
        return core_err_nomem(e, "mean", (double)n * 8);
    }
    for (i = 0; i < A->rows; i++)
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            int64_t t = axis == 2 ? i : A->j[k];
            out->x[t] += op == SPM_COUNT ? 1.0 : A->x[k];
            if (cnt)
                cnt[t] += 1.0;
        }
    if (cnt) {
        for (i = 0; i < n; i++)
            if (cnt[i] > 0)
                out->x[i] /= cnt[i];
        core_free(cnt);
    }
    return CORE_OK;
}

static int fits_int(size_t v) { return v <= 0x7fffffffu; }

int spm_mul_dense(mat *out, const spm *A, const mat *B, core_err *e)
{
    char s1[48], s2[48];
    int64_t i;
    spm_ptr k;
    int rc;
    if ((size_t)A->cols != B->rows)
        return core_err_set(e, CORE_EINVAL, "sparse * matrix: %s and %s do not conform",
                            spm_shape_str(A, s1, sizeof s1), mat_shape_str(B, s2, sizeof s2));
    if (!fits_int(B->cols))
        return core_err_set(e, CORE_ETOOBIG, "sparse * matrix: %zu columns exceed BLAS int limits", B->cols);
    if ((rc = mat_init(out, (size_t)A->rows, B->cols, e)))
        return rc;
    for (i = 0; i < A->rows; i++) {
        double *o = out->x + (size_t)i * out->ld;
        if ((i & 0x3ff) == 0 && core_interrupted()) {
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        for (k = A->p[i]; k < A->p[i + 1]; k++)
            cblas_daxpy((int)B->cols, A->x[k], B->x + (size_t)A->j[k] * B->ld, 1, o, 1);
    }
    return CORE_OK;
}

int spm_dense_mul(mat *out, const mat *B, const spm *A, core_err *e)
{
    char s1[48], s2[48];
    size_t r, c;
    spm_ptr k;
    int rc;
    if (B->cols != (size_t)A->rows)
        return core_err_set(e, CORE_EINVAL, "matrix * sparse: %s and %s do not conform",
                            mat_shape_str(B, s1, sizeof s1), spm_shape_str(A, s2, sizeof s2));
    if ((rc = mat_init(out, B->rows, (size_t)A->cols, e)))
        return rc;
    for (r = 0; r < B->rows; r++) {
        const double *b = B->x + r * B->ld;
        double *o = out->x + r * out->ld;
        if ((r & 0x3f) == 0 && core_interrupted()) {
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        for (c = 0; c < B->cols; c++) {
            double v = b[c];
            if (v == 0.0)
                continue;
            for (k = A->p[c]; k < A->p[c + 1]; k++)
                o[A->j[k]] += v * A->x[k];
        }
    }
    return CORE_OK;
}

int spm_sample(spm *out, const mat *A, const mat *B, const spm *P, core_err *e)
{
    char s1[48], s2[48], s3[48];
    mat Bt;
    int64_t i, nnz = SPM_NNZ(P);
    spm_ptr k;
    int rc;
    if (A->cols != B->rows || (size_t)P->rows != A->rows || (size_t)P->cols != B->cols)
        return core_err_set(e, CORE_EINVAL, "sample: %s * %s does not conform to pattern %s",
                            mat_shape_str(A, s1, sizeof s1), mat_shape_str(B, s2, sizeof s2),
                            spm_shape_str(P, s3, sizeof s3));
    if (!fits_int(A->cols))
        return core_err_set(e, CORE_ETOOBIG, "sample: inner dimension %zu exceeds BLAS int limits", A->cols);
    if ((rc = mat_transpose(&Bt, B, e)))
        return rc;
    if ((rc = spm_alloc(out, P->rows, P->cols, nnz, e))) {
        mat_release(&Bt);
        return rc;
    }
    memcpy(out->p, P->p, ((size_t)P->rows + 1) * sizeof *out->p);
    memcpy(out->j, P->j, (size_t)nnz * sizeof *out->j);
    for (i = 0; i < P->rows; i++) {
        const double *a = A->x + (size_t)i * A->ld;
        if ((i & 0x3ff) == 0 && core_interrupted()) {
            mat_release(&Bt);
            spm_free(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        for (k = P->p[i]; k < P->p[i + 1]; k++)
            out->x[k] = cblas_ddot((int)A->cols, a, 1, Bt.x + (size_t)P->j[k] * Bt.ld, 1);
    }
    mat_release(&Bt);
    out->rlab = spm_labels_retain(P->rlab);
    out->clab = spm_labels_retain(P->clab);
    return CORE_OK;
}
