#include <string.h>
#include <stdio.h>
#include "alloc.h"
#include "mat.h"

static int alloc_storage(mat *m, size_t rows, size_t cols, int zero, core_err *e)
{
    size_t n, bytes;
    mat_storage *st;
    memset(m, 0, sizeof *m);
    if (rows > MAT_DIM_MAX || cols > MAT_DIM_MAX || !core_mul2(rows, cols, &n) ||
        !core_mul2(n ? n : 1, sizeof(double), &bytes))
        return core_err_set(e, CORE_ETOOBIG, "matrix %zux%zu is too large", rows, cols);
    st = core_malloc(sizeof *st);
    if (!st)
        return core_err_nomem(e, "matrix", (double)sizeof *st);
    st->data = zero ? core_calloc(n ? n : 1, sizeof(double)) : core_malloc(bytes);
    if (!st->data) {
        core_free(st);
        return core_err_nomem(e, "matrix", (double)bytes);
    }
    st->n = n;
    st->refs = 1;
    m->st = st;
    m->x = st->data;
    m->rows = rows;
    m->cols = cols;
    m->ld = cols ? cols : 1;
    return CORE_OK;
}

int mat_init(mat *m, size_t rows, size_t cols, core_err *e)
{
    return alloc_storage(m, rows, cols, 1, e);
}

int mat_init_uninit(mat *m, size_t rows, size_t cols, core_err *e)
{
    return alloc_storage(m, rows, cols, 0, e);
}

void mat_release(mat *m)
{
    if (m->st && --m->st->refs == 0) {
        core_free(m->st->data);
        core_free(m->st);
    }
    memset(m, 0, sizeof *m);
}

void mat_view(mat *dst, const mat *src, size_t r0, size_t c0, size_t rows, size_t cols)
{
    mat v;
    v.st = src->st;
    v.x = src->x + r0 * src->ld + c0;
    v.rows = rows;
    v.cols = cols;
    v.ld = src->ld;
    if (v.st)
        v.st->refs++;
    *dst = v;
}

int mat_is_contig(const mat *m)
{
    return m->ld == m->cols || m->rows <= 1;
}

int mat_same_storage(const mat *a, const mat *b)
{
    return a->st && a->st == b->st;
}

int mat_copy(mat *dst, const mat *src, core_err *e)
{
    int rc = mat_init_uninit(dst, src->rows, src->cols, e);
    if (rc)
        return rc;
    mat_assign(dst, src);
    return CORE_OK;
}

void mat_assign(mat *dst, const mat *src)
{
    size_t i;
    if (dst->x == src->x && dst->ld == src->ld)
        return;
    for (i = 0; i < dst->rows; i++)
        memmove(dst->x + i * dst->ld, src->x + i * src->ld, dst->cols * sizeof(double));
}

void mat_fill(mat *m, double v)
{
    size_t i, j;
    for (i = 0; i < m->rows; i++)
        for (j = 0; j < m->cols; j++)
            MAT_AT(m, i, j) = v;
}

const char *mat_shape_str(const mat *m, char *buf, size_t len)
{
    snprintf(buf, len, "%zux%zu", m->rows, m->cols);
    return buf;
}

int mat_transpose(mat *out, const mat *a, core_err *e)
{
    enum { B = 32 };
    size_t i0, j0, i, j;
    int rc = mat_init_uninit(out, a->cols, a->rows, e);
    if (rc)
        return rc;
    /* blocked so both sides stay in cache */
    for (i0 = 0; i0 < a->rows; i0 += B)
        for (j0 = 0; j0 < a->cols; j0 += B)
            for (i = i0; i < a->rows && i < i0 + B; i++)
                for (j = j0; j < a->cols && j < j0 + B; j++)
                    MAT_AT(out, j, i) = MAT_AT(a, i, j);
    return CORE_OK;
}

int mat_select_rows(mat *out, const mat *a, const size_t *idx, size_t n, core_err *e)
{
    size_t i;
    int rc;
    for (i = 0; i < n; i++)
        if (idx[i] >= a->rows)
            return core_err_set(e, CORE_EINVAL, "row index %zu out of range for a %zux%zu matrix",
                                idx[i] + 1, a->rows, a->cols);
    if ((rc = mat_init_uninit(out, n, a->cols, e)))
        return rc;
    for (i = 0; i < n; i++)
        memcpy(out->x + i * out->ld, a->x + idx[i] * a->ld, a->cols * sizeof(double));
    return CORE_OK;
}

int mat_select_cols(mat *out, const mat *a, const size_t *idx, size_t n, core_err *e)
{
    size_t i, j;
    int rc;
    for (j = 0; j < n; j++)
        if (idx[j] >= a->cols)
            return core_err_set(e, CORE_EINVAL, "column index %zu out of range for a %zux%zu matrix",
                                idx[j] + 1, a->rows, a->cols);
    if ((rc = mat_init_uninit(out, a->rows, n, e)))
        return rc;
    for (i = 0; i < a->rows; i++)
        for (j = 0; j < n; j++)
            MAT_AT(out, i, j) = MAT_AT(a, i, idx[j]);
    return CORE_OK;
}

int mat_stack(mat *out, const mat *parts, size_t n, int horizontal, core_err *e)
{
    size_t k, total = 0, fixed, off = 0;
    char s1[48], s2[48];
    int rc;
    if (n == 0)
        return core_err_set(e, CORE_EINVAL, "%s: nothing to stack", horizontal ? "hstack" : "vstack");
    fixed = horizontal ? parts[0].rows : parts[0].cols;
    for (k = 0; k < n; k++) {
        size_t f = horizontal ? parts[k].rows : parts[k].cols;
        if (f != fixed)
            return core_err_set(e, CORE_EINVAL, "%s: %s and %s do not conform (part %zu)",
                                horizontal ? "hstack" : "vstack", mat_shape_str(&parts[0], s1, sizeof s1),
                                mat_shape_str(&parts[k], s2, sizeof s2), k + 1);
        total += horizontal ? parts[k].cols : parts[k].rows;
    }
    if ((rc = horizontal ? mat_init_uninit(out, fixed, total, e) : mat_init_uninit(out, total, fixed, e)))
        return rc;
    for (k = 0; k < n; k++) {
        mat v;
        if (horizontal) {
            v.x = out->x + off;
            v.rows = fixed;
            v.cols = parts[k].cols;
            off += parts[k].cols;
        } else {
            v.x = out->x + off * out->ld;
            v.rows = parts[k].rows;
            v.cols = fixed;
            off += parts[k].rows;
        }
        v.ld = out->ld;
        v.st = NULL;
        mat_assign(&v, &parts[k]);
    }
    return CORE_OK;
}
