/* Sparse statistics and products. */
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "par.h"
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

int spm_mul_dense(mat *out, const spm *A, const mat *B, core_err *e)
{
    char s1[48], s2[48];
    int64_t i;
    spm_ptr k;
    int rc;
    if ((size_t)A->cols != B->rows)
        return core_err_set(e, CORE_EINVAL, "sparse * matrix: %s and %s do not conform",
                            spm_shape_str(A, s1, sizeof s1), mat_shape_str(B, s2, sizeof s2));
    if ((rc = mat_init(out, (size_t)A->rows, B->cols, e)))
        return rc;
    for (i = 0; i < A->rows; i++) {
        double *o = out->x + (size_t)i * out->ld;
        if ((i & 0x3ff) == 0 && core_interrupted()) {
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        for (k = A->p[i]; k < A->p[i + 1]; k++)
            if ((rc = blas_axpy("sparse * matrix", B->cols, A->x[k], B->x + (size_t)A->j[k] * B->ld, o, e))) {
                mat_release(out);
                return rc;
            }
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

typedef struct sample_job {
    const mat *A, *Bt;
    const spm *P;
    const int64_t *row_map, *col_map;
    double *out;
} sample_job;

/* Row map[i] (i without a map) of M, or NULL when it maps outside M. */
static const double *mapped_row(const mat *M, const int64_t *map, int64_t i)
{
    int64_t r = map ? map[i] : i;
    return r >= 0 && (size_t)r < M->rows ? M->x + (size_t)r * M->ld : NULL;
}

static double dot_or_zero(const double *a, const double *b, size_t d)
{
    double acc = 0.0;
    size_t c;
    if (a && b)
        for (c = 0; c < d; c++)
            acc += a[c] * b[c];
    return acc;
}

static void sample_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const sample_job *s = ctx;
    int64_t i;
    spm_ptr k;
    (void)thread;
    for (i = r0; i < r1; i++) {
        const double *a = mapped_row(s->A, s->row_map, i);
        for (k = s->P->p[i]; k < s->P->p[i + 1]; k++)
            s->out[k] = dot_or_zero(a, mapped_row(s->Bt, s->col_map, s->P->j[k]), s->A->cols);
    }
}

/* The same, column by column: each column's row of Bt is read once for all
 * its entries (when Bt is too big for the cache, the row-order traversal
 * reads it once per entry). C holds P's column pointers, rowof/posof each
 * entry's row and position in P. */
typedef struct sample_col_job {
    const mat *A, *Bt;
    const spm *C;
    const int32_t *rowof;
    const int64_t *posof, *row_map, *col_map;
    double *out;
} sample_col_job;

static void sample_cols(void *ctx, int thread, int64_t c0, int64_t c1)
{
    const sample_col_job *s = ctx;
    int64_t c;
    spm_ptr k;
    (void)thread;
    for (c = c0; c < c1; c++) {
        const double *b = mapped_row(s->Bt, s->col_map, c);
        for (k = s->C->p[c]; k < s->C->p[c + 1]; k++)
            s->out[s->posof[k]] = dot_or_zero(mapped_row(s->A, s->row_map, s->rowof[k]), b, s->A->cols);
    }
}

static int sample_by_columns(double *out, const mat *A, const mat *Bt, const spm *P, const int64_t *row_map,
                             const int64_t *col_map, core_err *e)
{
    int64_t nnz = SPM_NNZ(P), i;
    spm_ptr k, *colp = core_calloc((size_t)P->cols + 1, sizeof *colp), *cur = NULL;
    int32_t *rowof = core_malloc((size_t)(nnz ? nnz : 1) * sizeof *rowof);
    int64_t *posof = core_malloc((size_t)(nnz ? nnz : 1) * sizeof *posof);
    spm C;
    sample_col_job job;
    cur = core_malloc(((size_t)P->cols + 1) * sizeof *cur);
    if (!colp || !rowof || !posof || !cur) {
        core_free(colp), core_free(rowof), core_free(posof), core_free(cur);
        return core_err_nomem(e, "sample", (double)nnz * 12);
    }
    for (k = 0; k < nnz; k++)
        colp[P->j[k] + 1]++;
    for (i = 0; i < P->cols; i++)
        colp[i + 1] += colp[i];
    memcpy(cur, colp, ((size_t)P->cols + 1) * sizeof *cur);
    for (i = 0; i < P->rows; i++)
        for (k = P->p[i]; k < P->p[i + 1]; k++) {
            spm_ptr dst = cur[P->j[k]]++;
            rowof[dst] = (int32_t)i;
            posof[dst] = k;
        }
    memset(&C, 0, sizeof C);
    C.rows = P->cols;
    C.cols = P->rows;
    C.p = colp;
    job.A = A, job.Bt = Bt, job.C = &C, job.rowof = rowof, job.posof = posof;
    job.row_map = row_map, job.col_map = col_map, job.out = out;
    par_rows(&C, sample_cols, &job);
    core_free(colp), core_free(rowof), core_free(posof), core_free(cur);
    return CORE_OK;
}

int spm_sample_mapped(spm *out, const mat *A, const mat *B, const spm *P, const int64_t *row_map,
                      const int64_t *col_map, core_err *e)
{
    char s1[48], s2[48];
    mat Bt;
    int rc;
    if (A->cols != B->rows)
        return core_err_set(e, CORE_EINVAL, "sample: %s and %s do not conform", mat_shape_str(A, s1, sizeof s1),
                            mat_shape_str(B, s2, sizeof s2));
    if (A->cols > 0x7fffffffu)
        return core_err_set(e, CORE_ETOOBIG, "sample: inner dimension %zu exceeds BLAS int limits", A->cols);
    if ((rc = mat_transpose(&Bt, B, e)))
        return rc;
    if ((rc = spm_alloc(out, P->rows, P->cols, SPM_NNZ(P), e))) {
        mat_release(&Bt);
        return rc;
    }
    memcpy(out->p, P->p, ((size_t)P->rows + 1) * sizeof *out->p);
    memcpy(out->j, P->j, (size_t)SPM_NNZ(P) * sizeof *out->j);
    if (Bt.rows * Bt.cols * sizeof(double) > ((size_t)4 << 20) && Bt.rows > A->rows) {
        if ((rc = sample_by_columns(out->x, A, &Bt, P, row_map, col_map, e))) {
            mat_release(&Bt);
            spm_free(out);
            return rc;
        }
    } else {
        sample_job job;
        job.A = A, job.Bt = &Bt, job.P = P, job.row_map = row_map, job.col_map = col_map, job.out = out->x;
        par_rows(P, sample_rows, &job);
    }
    mat_release(&Bt);
    if (core_interrupted()) {
        spm_free(out);
        return core_err_set(e, CORE_EINTR, "interrupted!");
    }
    out->rlab = spm_labels_retain(P->rlab);
    out->clab = spm_labels_retain(P->clab);
    return CORE_OK;
}

int spm_sample(spm *out, const mat *A, const mat *B, const spm *P, core_err *e)
{
    char s1[48], s2[48], s3[48];
    if (A->cols != B->rows || (size_t)P->rows != A->rows || (size_t)P->cols != B->cols)
        return core_err_set(e, CORE_EINVAL, "sample: %s * %s does not conform to pattern %s",
                            mat_shape_str(A, s1, sizeof s1), mat_shape_str(B, s2, sizeof s2),
                            spm_shape_str(P, s3, sizeof s3));
    return spm_sample_mapped(out, A, B, P, NULL, NULL, e);
}

int spm_combine_same(spm *out, const spm *A, double a, const spm *B, double b, const char *what, core_err *e)
{
    int64_t r, k, nnz = SPM_NNZ(A);
    int rc;
    if (A->rows != B->rows || A->cols != B->cols)
        return core_err_set(e, CORE_EINVAL, "%s: %lldx%lld and %lldx%lld: the shapes differ", what, (long long)A->rows,
                            (long long)A->cols, (long long)B->rows, (long long)B->cols);
    for (r = 0; r <= A->rows; r++)
        if (A->p[r] != B->p[r])
            return core_err_set(e, CORE_EINVAL,
                                "%s: the stored entries differ (row %lld has %lld and %lld): only matrices with "
                                "one pattern add",
                                what, (long long)(r > 0 ? r : 1), (long long)(r > 0 ? A->p[r] - A->p[r - 1] : 0),
                                (long long)(r > 0 ? B->p[r] - B->p[r - 1] : 0));
    for (k = 0; k < nnz; k++)
        if (A->j[k] != B->j[k]) {
            for (r = 0; A->p[r + 1] <= k; r++)
                ;
            return core_err_set(e, CORE_EINVAL,
                                "%s: the stored entries differ (row %lld: column %lld against %lld): only "
                                "matrices with one pattern add",
                                what, (long long)r + 1, (long long)A->j[k] + 1, (long long)B->j[k] + 1);
        }
    if ((rc = spm_copy(out, A, e)))
        return rc;
    for (k = 0; k < nnz; k++)
        out->x[k] = a * A->x[k] + b * B->x[k];
    return CORE_OK;
}

int spm_gram(mat *out, const spm *A, core_err *e)
{
    size_t n = (size_t)A->cols, i, j;
    double work = 0;
    int64_t r;
    int rc;
    if ((rc = mat_init(out, n, n, e)))
        return rc;
    for (r = 0; r < A->rows; r++) {
        spm_ptr a, b, t1 = A->p[r + 1];
        for (a = A->p[r]; a < t1; a++) { /* a row's columns ascend: its pairs fill the upper triangle */
            double xa = A->x[a], *g = out->x + (size_t)A->j[a] * out->ld;
            for (b = a; b < t1; b++)
                g[A->j[b]] += xa * A->x[b];
        }
        work += (double)(t1 - A->p[r]) * (double)(t1 - A->p[r]);
        if (work > 1e7) {
            work = 0;
            if (core_interrupted()) {
                mat_release(out);
                return core_err_set(e, CORE_EINTR, "interrupted!");
            }
        }
    }
    for (i = 0; i < n; i++)
        for (j = 0; j < i; j++)
            MAT_AT(out, i, j) = MAT_AT(out, j, i);
    return CORE_OK;
}

