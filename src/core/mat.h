/* Dense double matrices: refcounted storage, row-major views {x, rows, cols, ld}. */
#ifndef SIMEC_MAT_H
#define SIMEC_MAT_H

#include "core.h"

typedef struct mat_storage {
    double *data;
    size_t n;
    long refs;
} mat_storage;

typedef struct mat {
    mat_storage *st; /* NULL for an empty (released) matrix */
    double *x;       /* first element of the view */
    size_t rows, cols, ld;
} mat;

#define MAT_AT(m, i, j) ((m)->x[(size_t)(i) * (m)->ld + (size_t)(j)])

/* Largest dimension accepted (so that row/column indices fit Lua integers and
 * BLAS/LAPACK ints can be checked once). */
#define MAT_DIM_MAX ((size_t)1 << 40)

int mat_init(mat *m, size_t rows, size_t cols, core_err *e);        /* zero-filled */
int mat_init_uninit(mat *m, size_t rows, size_t cols, core_err *e); /* contents undefined */
void mat_release(mat *m);
void mat_view(mat *dst, const mat *src, size_t r0, size_t c0, size_t rows, size_t cols);
int mat_is_contig(const mat *m);
int mat_copy(mat *dst, const mat *src, core_err *e);
void mat_assign(mat *dst, const mat *src); /* same shape; handles overlap by the caller's choice of copy */
void mat_fill(mat *m, double v);
int mat_same_storage(const mat *a, const mat *b);
const char *mat_shape_str(const mat *m, char *buf, size_t len);

int mat_transpose(mat *out, const mat *a, core_err *e);
int mat_select_rows(mat *out, const mat *a, const size_t *idx, size_t n, core_err *e);
int mat_select_cols(mat *out, const mat *a, const size_t *idx, size_t n, core_err *e);
int mat_stack(mat *out, const mat *parts, size_t n, int horizontal, core_err *e);

/* Elementwise with numpy broadcasting over (R,C), (1,C), (R,1), (1,1). */
enum { MAT_ADD, MAT_SUB, MAT_MUL, MAT_DIV, MAT_POW, MAT_MINOP, MAT_MAXOP };
int mat_binop(mat *out, const mat *a, const mat *b, int op, const char *opname, core_err *e);
/* out = a op s, or s op a when scalar_left. */
int mat_scalar(mat *out, const mat *a, double s, int op, int scalar_left, core_err *e);

enum { MAT_EXP, MAT_LOG, MAT_TANH, MAT_RELU, MAT_SIGMOID, MAT_SQRT, MAT_ABS,
       MAT_SQUARE, MAT_NEG, MAT_LOG1P, MAT_FUNC_COUNT };
extern const char *const mat_func_names[];
/* out may equal a; same shape. Polls Ctrl-C between rows (CORE_EINTR,
 * out partly written): exp or tanh over 1e9 entries takes seconds. */
int mat_apply(mat *out, const mat *a, int fn, core_err *e);

/* whether every entry is finite (no NaN or infinity) */
int mat_all_finite(const mat *a);

/* axis 0: whole matrix (1x1); 1: down each column (1xC); 2: along each row (Rx1). */
enum { MAT_SUM, MAT_MEAN, MAT_MIN, MAT_MAX, MAT_NORM };
int mat_reduce(mat *out, const mat *a, int op, int axis, core_err *e);
double mat_dot(const mat *a, const mat *b); /* sum of a.*b, same shape */

/* Per row: indices (0-based) that sort the row; desc for descending. Ties keep order. */
int mat_argsort_rows(mat *out, const mat *a, int desc, core_err *e);
/* Per row: the k largest (or smallest) values and their 0-based indices, best first. */
int mat_topk_rows(mat *idx, mat *val, const mat *a, size_t k, int smallest, core_err *e);

/* out = a * b (dgemm, or dgemv when b is a column); interruptible between row blocks. */
int mat_gemm(mat *out, const mat *a, const mat *b, core_err *e);
/* Where the address space is limited (ulimit -v): caps OpenBLAS's threads
 * to what it holds and maps their buffers now, or fails naming the limit
 * when not one fits (OpenBLAS would hang at the first product). Called
 * once when the module opens. */
int mat_blas_fit_address_space(core_err *e);
/* The address space one OpenBLAS thread takes for its buffer (128 MiB) and
 * the rest, as measured: what the limits above are counted in. */
#define MAT_BLAS_THREAD_BYTES ((size_t)136 << 20)

/* LAPACK */
int mat_solve(mat *x, const mat *a, const mat *b, core_err *e);
int mat_cholesky(mat *l, const mat *a, core_err *e);
/* x = a^-1 for a symmetric positive definite (Cholesky: half the work and
 * memory of a general solve against the identity) */
int mat_inv_spd(mat *x, const mat *a, core_err *e);
int mat_qr(mat *q, mat *r, const mat *a, core_err *e);
int mat_svd(mat *u, mat *s, mat *vt, const mat *a, int full, core_err *e);
int mat_eigh(mat *w, mat *v, const mat *a, core_err *e);

/* Numpy-like text; caller frees the returned string with core_free. */
char *mat_format(const mat *m, size_t max_rows, size_t max_cols, core_err *e);

#endif
