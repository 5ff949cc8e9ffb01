#include <math.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "par.h"
#include "spm.h"

int spm_alloc(spm *A, int64_t rows, int64_t cols, int64_t nnz, core_err *e)
{
    memset(A, 0, sizeof *A);
    if (rows < 0 || cols < 0 || nnz < 0 || rows > SPM_IDX_MAX || cols > SPM_IDX_MAX)
        return core_err_set(e, CORE_ETOOBIG, "sparse %lldx%lld is too large (at most %d rows and columns)",
                            (long long)rows, (long long)cols, SPM_IDX_MAX);
    if (rows && cols && (uint64_t)nnz > (uint64_t)rows * (uint64_t)cols)
        return core_err_set(e, CORE_EINVAL, "sparse %lldx%lld cannot hold %lld entries", (long long)rows,
                            (long long)cols, (long long)nnz);
    A->rows = rows;
    A->cols = cols;
    A->p = core_calloc((size_t)rows + 1, sizeof *A->p);
    A->j = core_malloc((size_t)(nnz ? nnz : 1) * sizeof *A->j);
    A->x = core_malloc((size_t)(nnz ? nnz : 1) * sizeof *A->x);
    if (!A->p || !A->j || !A->x) {
        spm_free(A);
        return core_err_nomem(e, "sparse", (double)nnz * 12 + (double)rows * 8);
    }
    return CORE_OK;
}

void spm_free(spm *A)
{
    core_free(A->p);
    core_free(A->j);
    core_free(A->x);
    spm_labels_release(A->rlab);
    spm_labels_release(A->clab);
    memset(A, 0, sizeof *A);
}

const char *spm_shape_str(const spm *A, char *buf, size_t len)
{
    snprintf(buf, len, "%lldx%lld", (long long)A->rows, (long long)A->cols);
    return buf;
}

int spm_copy(spm *B, const spm *A, core_err *e)
{
    int64_t nnz = SPM_NNZ(A);
    int rc = spm_alloc(B, A->rows, A->cols, nnz, e);
    if (rc)
        return rc;
    memcpy(B->p, A->p, ((size_t)A->rows + 1) * sizeof *B->p);
    memcpy(B->j, A->j, (size_t)nnz * sizeof *B->j);
    memcpy(B->x, A->x, (size_t)nnz * sizeof *B->x);
    B->rlab = spm_labels_retain(A->rlab);
    B->clab = spm_labels_retain(A->clab);
    return CORE_OK;
}

/* Sort parallel arrays (j, x) by j: insertion sort for short runs, heap sort beyond. */
static void sift(spm_idx *j, double *x, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        spm_idx tj;
        double tx;
        if (l < n && j[l] > j[m]) m = l;
        if (r < n && j[r] > j[m]) m = r;
        if (m == i)
            return;
        tj = j[i], j[i] = j[m], j[m] = tj;
        tx = x[i], x[i] = x[m], x[m] = tx;
        i = m;
    }
}

/* Sorts the row (j, x) by j: insertion sort for short rows; LSD radix sort
 * (11-bit digits, stable) through the scratch arrays when given, else heap sort. */
typedef struct rowsort {
    spm_idx *tj;
    double *tx;
    int passes;
    size_t cnt[2048];
} rowsort;

static void radix_row(rowsort *rs, spm_idx *j, double *x, size_t n)
{
    spm_idx *sj = j, *dj = rs->tj;
    double *sx = x, *dx = rs->tx;
    int pass;
    size_t i;
    for (pass = 0; pass < rs->passes; pass++) {
        int shift = 11 * pass;
        size_t sum = 0;
        memset(rs->cnt, 0, sizeof rs->cnt);
        for (i = 0; i < n; i++)
            rs->cnt[((uint32_t)sj[i] >> shift) & 2047u]++;
        for (i = 0; i < 2048; i++) {
            size_t c = rs->cnt[i];
            rs->cnt[i] = sum;
            sum += c;
        }
        for (i = 0; i < n; i++) {
            size_t d = rs->cnt[((uint32_t)sj[i] >> shift) & 2047u]++;
            dj[d] = sj[i];
            dx[d] = sx[i];
        }
        { spm_idx *t = sj; sj = dj; dj = t; }
        { double *t = sx; sx = dx; dx = t; }
    }
    if (sj != j) {
        memcpy(j, sj, n * sizeof *j);
        memcpy(x, sx, n * sizeof *x);
    }
}

static void sort_row(rowsort *rs, spm_idx *j, double *x, size_t n)
{
    size_t i, k;
    for (i = 1; i < n && j[i - 1] <= j[i]; i++)
        ;
    if (i >= n)
        return; /* already sorted */
    if (n <= 32) {
        for (i = 1; i < n; i++) {
            spm_idx tj = j[i];
            double tx = x[i];
            for (k = i; k > 0 && j[k - 1] > tj; k--) {
                j[k] = j[k - 1];
                x[k] = x[k - 1];
            }
            j[k] = tj;
            x[k] = tx;
        }
        return;
    }
    if (rs) {
        radix_row(rs, j, x, n);
        return;
    }
    for (i = n / 2; i-- > 0;)
        sift(j, x, n, i);
    for (i = n - 1; i > 0; i--) {
        spm_idx tj = j[0];
        double tx = x[0];
        j[0] = j[i], x[0] = x[i];
        j[i] = tj, x[i] = tx;
        sift(j, x, i, 0);
    }
}

/* Scratch for sorting rows of CSR pointers p by radix (NULL when no row is
 * long enough to need it, or when memory is short: sort_row then falls
 * back to the heap sort). */
static rowsort *rowsort_new(const spm_ptr *p, int64_t rows, int64_t cols)
{
    rowsort *rs;
    spm_ptr maxrow = 0;
    int64_t r;
    int bits = 0;
    for (r = 0; r < rows; r++)
        if (p[r + 1] - p[r] > maxrow)
            maxrow = p[r + 1] - p[r];
    while (bits < 31 && ((int64_t)1 << bits) < cols)
        bits++;
    if (maxrow <= 32 || !(rs = core_malloc(sizeof *rs)))
        return NULL;
    rs->tj = core_malloc((size_t)maxrow * sizeof *rs->tj);
    rs->tx = core_malloc((size_t)maxrow * sizeof *rs->tx);
    rs->passes = (bits + 10) / 11;
    if (!rs->tj || !rs->tx) {
        core_free(rs->tj);
        core_free(rs->tx);
        return core_free(rs);
    }
    return rs;
}

static void rowsort_free(rowsort *rs)
{
    if (rs) {
        core_free(rs->tj);
        core_free(rs->tx);
        core_free(rs);
    }
}

/* Sorts the columns within every row (rows built in another order). */
void spm_sort_rows(spm *A)
{
    rowsort *rs = rowsort_new(A->p, A->rows, A->cols);
    int64_t r;
    for (r = 0; r < A->rows; r++)
        sort_row(rs, A->j + A->p[r], A->x + A->p[r], (size_t)(A->p[r + 1] - A->p[r]));
    rowsort_free(rs);
}

/* Moves every element of bucket b (positions next[b]..start[b+1]) that
 * belongs elsewhere to its bucket, (I >> shift) - base, by swapping. */
static void cycle_permute(spm_idx *I, spm_idx *J, double *X, spm_ptr *next, const spm_ptr *start,
                          int64_t b, int shift, int64_t base)
{
    while (next[b] < start[b + 1]) {
        spm_ptr pos = next[b];
        int64_t t = ((int64_t)I[pos] >> shift) - base;
        if (t == b) {
            next[b]++;
            continue;
        }
        {
            spm_ptr d = next[t]++;
            spm_idx ti = I[d], tj = J[d];
            double tx = X[d];
            I[d] = I[pos], J[d] = J[pos], X[d] = X[pos];
            I[pos] = ti, J[pos] = tj, X[pos] = tx;
        }
    }
}

int spm_from_triplets_owned(spm *A, int64_t rows, int64_t cols, spm_idx **Ip, spm_idx **Jp,
                            double **Xp, int64_t nnz, int dup, core_err *e)
{
    spm_idx *I = *Ip, *J = *Jp;
    double *X = *Xp;
    spm_ptr *next = NULL, k, out;
    rowsort *rs = NULL;
    int64_t r;
    int rc = CORE_OK;
    *Ip = NULL, *Jp = NULL, *Xp = NULL;
    memset(A, 0, sizeof *A);
    if (rows < 0 || cols < 0 || rows > SPM_IDX_MAX || cols > SPM_IDX_MAX) {
        rc = core_err_set(e, CORE_ETOOBIG, "sparse %lldx%lld is too large (at most %d rows and columns)",
                          (long long)rows, (long long)cols, SPM_IDX_MAX);
        goto done;
    }
    for (k = 0; k < nnz; k++)
        if (I[k] < 0 || I[k] >= rows || J[k] < 0 || J[k] >= cols) {
            rc = core_err_set(e, CORE_EINVAL, "triplet %lld: index (%lld, %lld) out of range for %lldx%lld",
                              (long long)k + 1, (long long)I[k] + 1, (long long)J[k] + 1, (long long)rows,
                              (long long)cols);
            goto done;
        }
    A->rows = rows;
    A->cols = cols;
    A->p = core_calloc((size_t)rows + 1, sizeof *A->p);
    next = core_malloc(((size_t)rows + 1) * sizeof *next);
    if (!A->p || !next) {
        rc = core_err_nomem(e, "sparse", (double)rows * 16);
        goto done;
    }
    for (k = 0; k < nnz; k++)
        A->p[I[k] + 1]++;
    for (r = 0; r < rows; r++)
        A->p[r + 1] += A->p[r];
    memcpy(next, A->p, ((size_t)rows + 1) * sizeof *next);
    /* In-place MSD radix permutation by row, no second copy: first into at
     * most 256 groups of rows (few write streams, so they stay in cache),
     * then by row within each group (a range small enough for the cache). */
    {
        int shift = 0;
        spm_ptr gs[257], gn[256];
        int64_t g, ngroups;
        while ((rows - 1) >> shift > 255)
            shift++;
        ngroups = rows ? ((rows - 1) >> shift) + 1 : 0;
        for (g = 0; g <= ngroups; g++)
            gs[g] = A->p[g << shift < rows ? g << shift : rows];
        memcpy(gn, gs, (size_t)ngroups * sizeof *gn);
        for (g = 0; g < ngroups; g++)
            cycle_permute(I, J, X, gn, gs, g, shift, 0);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if (shift > 0) {
            for (g = 0; g < ngroups; g++) {
                int64_t r0 = g << shift, r1 = (g + 1) << shift < rows ? (g + 1) << shift : rows;
                for (r = r0; r < r1; r++)
                    cycle_permute(I, J, X, next + r0, A->p + r0, r - r0, 0, r0);
            }
        }
    }
    I = core_free(I);
    next = core_free(next);
    rs = rowsort_new(A->p, rows, cols);
    out = 0;
    for (r = 0; r < rows; r++) {
        spm_ptr b = A->p[r], end = A->p[r + 1], times = 1; /* times: copies of entry out - 1 so far */
        sort_row(rs, J + b, X + b, (size_t)(end - b));
        A->p[r] = out;
        for (k = b; k < end; k++) {
            if (out > A->p[r] && J[out - 1] == J[k]) {
                if (dup == SPM_DUP_ERROR) {
                    rc = core_err_set(e, CORE_EINVAL, "duplicate entry at (%lld, %lld)", (long long)r + 1,
                                      (long long)J[k] + 1);
                    if (e)
                        e->at[0] = r, e->at[1] = J[k];
                    goto done;
                }
                X[out - 1] += X[k];
                times++;
            } else {
                if (times > 1 && dup == SPM_DUP_MEAN)
                    X[out - 1] /= (double)times;
                times = 1;
                J[out] = J[k];
                X[out] = X[k];
                out++;
            }
        }
        if (times > 1 && dup == SPM_DUP_MEAN)
            X[out - 1] /= (double)times;
    }
    A->p[rows] = out;
    if (out < nnz && out > 0) {
        /* shrinking cannot fail to keep the data; ignore a refused shrink */
        spm_idx *nj = core_realloc(J, (size_t)out * sizeof *J);
        double *nx = core_realloc(X, (size_t)out * sizeof *X);
        if (nj) J = nj;
        if (nx) X = nx;
    }
    A->j = J, J = NULL;
    A->x = X, X = NULL;
    if (!A->j) {
        A->j = core_malloc(sizeof *A->j);
        A->x = core_malloc(sizeof *A->x);
        if (!A->j || !A->x)
            rc = core_err_nomem(e, "sparse", 12);
    }
done:
    core_free(I);
    core_free(J);
    core_free(X);
    core_free(next);
    rowsort_free(rs);
    if (rc)
        spm_free(A);
    return rc;
}

int spm_from_dense(spm *A, const mat *m, double tol, core_err *e)
{
    size_t i, j;
    int64_t nnz = 0;
    spm_ptr k = 0;
    int rc;
    for (i = 0; i < m->rows; i++)
        for (j = 0; j < m->cols; j++)
            if (fabs(MAT_AT(m, i, j)) > tol || isnan(MAT_AT(m, i, j)))
                nnz++;
    if ((rc = spm_alloc(A, (int64_t)m->rows, (int64_t)m->cols, nnz, e)))
        return rc;
    for (i = 0; i < m->rows; i++) {
        for (j = 0; j < m->cols; j++) {
            double v = MAT_AT(m, i, j);
            if (fabs(v) > tol || isnan(v)) {
                A->j[k] = (spm_idx)j;
                A->x[k++] = v;
            }
        }
        A->p[i + 1] = k;
    }
    return CORE_OK;
}

int spm_to_dense(mat *out, const spm *A, size_t max_bytes, core_err *e)
{
    double bytes = (double)A->rows * (double)A->cols * 8.0;
    int64_t i;
    spm_ptr k;
    int rc;
    if (max_bytes && bytes > (double)max_bytes) {
        char b1[32], b2[32];
        return core_err_set(e, CORE_ETOOBIG, "dense(): a %lldx%lld matrix needs %s, over the limit of %s",
                            (long long)A->rows, (long long)A->cols, core_fmt_bytes(b1, sizeof b1, bytes),
                            core_fmt_bytes(b2, sizeof b2, (double)max_bytes));
    }
    if ((rc = mat_init(out, (size_t)A->rows, (size_t)A->cols, e)))
        return rc;
    for (i = 0; i < A->rows; i++)
        for (k = A->p[i]; k < A->p[i + 1]; k++)
            MAT_AT(out, i, A->j[k]) = A->x[k];
    return CORE_OK;
}

/* spm_transpose's two passes on a range of A's rows: count each column's
 * entries (cnt: this thread's row of threads x cols), then, with cnt
 * turned into where this range's entries of each column start, place them */
typedef struct tjob {
    const spm *A;
    spm *B;
    spm_ptr *cnt;
    int place;
} tjob;

static void transpose_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const tjob *t = ctx;
    const spm *A = t->A;
    spm_ptr *cnt = t->cnt + (size_t)thread * (size_t)A->cols, k;
    int64_t i;
    if (!t->place) {
        for (k = A->p[r0]; k < A->p[r1]; k++)
            cnt[A->j[k]]++;
        return;
    }
    for (i = r0; i < r1; i++)
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            spm_ptr d = cnt[A->j[k]]++;
            t->B->j[d] = (spm_idx)i;
            t->B->x[d] = A->x[k];
        }
}

/* One of the two passes over every row: in place on one thread (a matrix
 * wider than its entries), else on the pool's; returns the threads used */
static int transpose_pass(tjob *job, int threads)
{
    if (threads == 1) {
        transpose_rows(job, 0, 0, job->A->rows);
        return 1;
    }
    return par_rows(job->A, transpose_rows, job);
}

/* A counting sort by column on the pool's threads, each over a range of
 * rows: a column's entries stay in row order (the ranges are in order), so
 * the result is the serial one whatever the thread count. */
int spm_transpose(spm *B, const spm *A, core_err *e)
{
    int64_t c, nnz = SPM_NNZ(A);
    /* one count row a thread: a matrix wider than its entries counts alone */
    int threads = A->cols > nnz ? 1 : par_threads(), used, t;
    tjob job;
    int rc = spm_alloc(B, A->cols, A->rows, nnz, e);
    if (rc)
        return rc;
    if ((size_t)A->cols > SIZE_MAX / sizeof(spm_ptr) / (size_t)threads ||
        !(job.cnt = core_calloc((size_t)threads * (size_t)A->cols + 1, sizeof *job.cnt))) {
        spm_free(B);
        return core_err_nomem(e, "transpose", (double)threads * (double)A->cols * 8);
    }
    job.A = A, job.B = B, job.place = 0;
    used = transpose_pass(&job, threads);
    for (c = 0; c < A->cols; c++) { /* column c's count, then each range's start in it */
        spm_ptr at = B->p[c];
        for (t = 0; t < used; t++) {
            spm_ptr *n = &job.cnt[(size_t)t * (size_t)A->cols + (size_t)c], here = *n;
            *n = at;
            at += here;
        }
        B->p[c + 1] = at;
    }
    if (core_interrupted()) {
        core_free(job.cnt);
        spm_free(B);
        return core_err_set(e, CORE_EINTR, "interrupted!");
    }
    job.place = 1; /* par_rows cuts A's rows the same way again: the cut depends on A alone */
    transpose_pass(&job, threads);
    core_free(job.cnt);
    B->rlab = spm_labels_retain(A->clab);
    B->clab = spm_labels_retain(A->rlab);
    return CORE_OK;
}

int spm_select_rows(spm *B, const spm *A, const size_t *idx, size_t n, core_err *e)
{
    size_t r;
    int64_t nnz = 0;
    int rc;
    for (r = 0; r < n; r++) {
        if (idx[r] >= (size_t)A->rows)
            return core_err_set(e, CORE_EINVAL, "row index %zu out of range for a %lldx%lld sparse matrix",
                                idx[r] + 1, (long long)A->rows, (long long)A->cols);
        nnz += A->p[idx[r] + 1] - A->p[idx[r]];
    }
    if ((rc = spm_alloc(B, (int64_t)n, A->cols, nnz, e)))
        return rc;
    for (r = 0; r < n; r++) {
        spm_ptr b = A->p[idx[r]], len = A->p[idx[r] + 1] - b;
        memcpy(B->j + B->p[r], A->j + b, (size_t)len * sizeof *B->j);
        memcpy(B->x + B->p[r], A->x + b, (size_t)len * sizeof *B->x);
        B->p[r + 1] = B->p[r] + len;
    }
    B->clab = spm_labels_retain(A->clab);
    if (A->rlab && !(B->rlab = spm_labels_select(A->rlab, idx, n, e))) {
        spm_free(B);
        return e ? e->code : CORE_ENOMEM;
    }
    return CORE_OK;
}

int spm_select_cols(spm *B, const spm *A, const size_t *idx, size_t n, core_err *e)
{
    spm T, S;
    int rc;
    size_t c;
    for (c = 0; c < n; c++)
        if (idx[c] >= (size_t)A->cols)
            return core_err_set(e, CORE_EINVAL, "column index %zu out of range for a %lldx%lld sparse matrix",
                                idx[c] + 1, (long long)A->rows, (long long)A->cols);
    if ((rc = spm_transpose(&T, A, e)))
        return rc;
    rc = spm_select_rows(&S, &T, idx, n, e);
    spm_free(&T);
    if (rc)
        return rc;
    rc = spm_transpose(B, &S, e);
    spm_free(&S);
    return rc;
}

int spm_stack(spm *B, const spm *parts, size_t n, int horizontal, core_err *e)
{
    size_t k;
    int64_t total = 0, nnz = 0, fixed, r;
    int rc, labelled = 1;
    char s1[48], s2[48];
    if (n == 0)
        return core_err_set(e, CORE_EINVAL, "%s: nothing to stack", horizontal ? "hstack" : "vstack");
    fixed = horizontal ? parts[0].rows : parts[0].cols;
    for (k = 0; k < n; k++) {
        int64_t f = horizontal ? parts[k].rows : parts[k].cols;
        if (f != fixed)
            return core_err_set(e, CORE_EINVAL, "%s: %s and %s do not conform (part %zu)",
                                horizontal ? "hstack" : "vstack", spm_shape_str(&parts[0], s1, sizeof s1),
                                spm_shape_str(&parts[k], s2, sizeof s2), k + 1);
        total += horizontal ? parts[k].cols : parts[k].rows;
        nnz += SPM_NNZ(&parts[k]);
        if (!(horizontal ? parts[k].clab : parts[k].rlab))
            labelled = 0;
    }
    if ((rc = horizontal ? spm_alloc(B, fixed, total, nnz, e) : spm_alloc(B, total, fixed, nnz, e)))
        return rc;
    if (horizontal) {
        spm_ptr o = 0;
        for (r = 0; r < fixed; r++) {
            int64_t off = 0;
            for (k = 0; k < n; k++) {
                spm_ptr a;
                for (a = parts[k].p[r]; a < parts[k].p[r + 1]; a++) {
                    B->j[o] = (spm_idx)(parts[k].j[a] + off);
                    B->x[o++] = parts[k].x[a];
                }
                off += parts[k].cols;
            }
            B->p[r + 1] = o;
        }
    } else {
        int64_t row = 0;
        for (k = 0; k < n; k++) {
            spm_ptr base = B->p[row], len = SPM_NNZ(&parts[k]);
            memcpy(B->j + base, parts[k].j, (size_t)len * sizeof *B->j);
            memcpy(B->x + base, parts[k].x, (size_t)len * sizeof *B->x);
            for (r = 0; r < parts[k].rows; r++)
                B->p[row + r + 1] = base + parts[k].p[r + 1];
            row += parts[k].rows;
        }
    }
    /* labels along the stacked axis are concatenated when every part has them;
     * labels of the shared axis are kept from the first part */
    if (horizontal)
        B->rlab = spm_labels_retain(parts[0].rlab);
    else
        B->clab = spm_labels_retain(parts[0].clab);
    if (labelled) {
        const spm_labels **ls = core_malloc(n * sizeof *ls);
        size_t *cnt = core_malloc(n * sizeof *cnt);
        spm_labels *l = NULL;
        if (ls && cnt) {
            for (k = 0; k < n; k++) {
                ls[k] = horizontal ? parts[k].clab : parts[k].rlab;
                cnt[k] = ls[k]->n;
            }
            l = spm_labels_concat(ls, cnt, n, e);
        } else
            core_err_nomem(e, "labels", (double)n * 16);
        core_free(ls);
        core_free(cnt);
        if (!l) {
            spm_free(B);
            return e ? e->code : CORE_ENOMEM;
        }
        if (horizontal)
            B->clab = l;
        else
            B->rlab = l;
    }
    return CORE_OK;
}

spm_ptr spm_first_col(const spm *A, spm_ptr p0, spm_ptr p1, int64_t col)
{
    while (p0 < p1) {
        spm_ptr mid = p0 + (p1 - p0) / 2;
        if ((int64_t)A->j[mid] < col)
            p0 = mid + 1;
        else
            p1 = mid;
    }
    return p0;
}

int64_t spm_find(const spm *A, int64_t i, int64_t j)
{
    spm_ptr lo = spm_first_col(A, A->p[i], A->p[i + 1], j);
    return lo < A->p[i + 1] && A->j[lo] == j ? lo : -1;
}

int spm_all_finite(const spm *A)
{
    int64_t k, nnz = SPM_NNZ(A);
    for (k = 0; k < nnz; k++)
        if (!isfinite(A->x[k]))
            return 0;
    return 1;
}

double spm_get(const spm *A, int64_t i, int64_t j)
{
    int64_t k = spm_find(A, i, j);
    return k >= 0 ? A->x[k] : 0.0;
}
