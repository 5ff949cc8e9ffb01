/* Sparse matrices in CSR: 64-bit row pointers p, 32-bit column indices j,
 * double values x; columns sorted and unique within each row. Optional
 * row/column labels (original ids) are shared, refcounted string tables. */
#ifndef SIMEC_SPM_H
#define SIMEC_SPM_H

#include "core.h"
#include "mat.h"

typedef struct spm_labels {
    long refs;
    size_t n;
    char *buf;     /* NUL-terminated strings back to back */
    size_t *off;   /* n offsets into buf */
    size_t hcap;   /* hash index (open addressing, built lazily): slot -> label + 1, 0 empty */
    size_t *hslot;
} spm_labels;

typedef struct spm {
    int64_t rows, cols;
    spm_ptr *p; /* rows + 1 */
    spm_idx *j; /* nnz */
    double *x;  /* nnz */
    spm_labels *rlab, *clab;
} spm;

#define SPM_NNZ(A) ((A)->p ? (A)->p[(A)->rows] : 0)

enum { SPM_DUP_SUM, SPM_DUP_ERROR, SPM_DUP_MEAN }; /* what one (row, column) given twice becomes */

int spm_alloc(spm *A, int64_t rows, int64_t cols, int64_t nnz, core_err *e);
void spm_free(spm *A);
int spm_copy(spm *B, const spm *A, core_err *e);
const char *spm_shape_str(const spm *A, char *buf, size_t len);

/* Build from triplets whose arrays (core-allocated, 0-based) the call takes
 * over: *I, *J, *X are freed or reused and set to NULL, success or not.
 * Peak extra memory is the row pointer array only. */
int spm_from_triplets_owned(spm *A, int64_t rows, int64_t cols, spm_idx **ri, spm_idx **ci,
                            double **vals, int64_t nnz, int dup, core_err *e);
/* A duplicate under SPM_DUP_ERROR is CORE_EINVAL with its 0-based (row,
 * column) in e->at. */
int spm_from_dense(spm *A, const mat *m, double tol, core_err *e);
void spm_sort_rows(spm *A); /* columns ascending within each row */
int spm_to_dense(mat *out, const spm *A, size_t max_bytes, core_err *e);
int spm_transpose(spm *B, const spm *A, core_err *e);
int spm_select_rows(spm *B, const spm *A, const size_t *idx, size_t n, core_err *e);
int spm_select_cols(spm *B, const spm *A, const size_t *idx, size_t n, core_err *e);
int spm_stack(spm *B, const spm *parts, size_t n, int horizontal, core_err *e);
double spm_get(const spm *A, int64_t i, int64_t j);
/* whether every stored value is finite (no NaN or infinity) */
int spm_all_finite(const spm *A);
/* CSR position of (i, j), or -1 when not stored */
int64_t spm_find(const spm *A, int64_t i, int64_t j);
/* The first position in p0 .. p1 (a stretch of one row) whose column is at
 * least col, else p1 */
spm_ptr spm_first_col(const spm *A, spm_ptr p0, spm_ptr p1, int64_t col);

/* per-row (axis 2: rows x 1) or per-column (axis 1: 1 x cols) statistics over stored entries */
enum { SPM_SUM, SPM_COUNT, SPM_MEAN };
int spm_reduce(mat *out, const spm *A, int op, int axis, core_err *e);

int spm_mul_dense(mat *out, const spm *A, const mat *B, core_err *e);   /* A*B */
/* out = A^T A (cols x cols, dense) from A's stored entries: a row's pairs
 * of columns, never A dense */
int spm_gram(mat *out, const spm *A, core_err *e);
int spm_dense_mul(mat *out, const mat *B, const spm *A, core_err *e);   /* B*A */
/* (A*B) at the stored positions of P, with P's structure and labels */
int spm_sample(spm *out, const mat *A, const mat *B, const spm *P, core_err *e);
/* The same with row i of P read as row row_map[i] of A and column j as
 * column col_map[j] of B (0 where a map gives -1; NULL maps: identity). */
int spm_sample_mapped(spm *out, const mat *A, const mat *B, const spm *P, const int64_t *row_map,
                      const int64_t *col_map, core_err *e);
/* out = a A + b B for A and B of one shape and one pattern (the same stored
 * positions): predictions at a test pattern added to a base model's. what
 * names the operation in the errors ("sparse + sparse"). */
int spm_combine_same(spm *out, const spm *A, double a, const spm *B, double b, const char *what, core_err *e);

/* labels */
spm_labels *spm_labels_new(size_t n, const char *const *s, const size_t *len, core_err *e);
spm_labels *spm_labels_from_buf(char *buf, size_t *off, size_t n); /* takes ownership */
spm_labels *spm_labels_retain(spm_labels *l);
void spm_labels_release(spm_labels *l);
const char *spm_label(const spm_labels *l, size_t i);
int64_t spm_labels_find(spm_labels *l, const char *s, size_t len, core_err *e); /* -1 absent, -2 error */
spm_labels *spm_labels_select(const spm_labels *l, const size_t *idx, size_t n, core_err *e);
spm_labels *spm_labels_concat(const spm_labels *const *parts, const size_t *counts, size_t n, core_err *e);

#endif
