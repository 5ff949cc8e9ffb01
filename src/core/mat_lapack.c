/* Dense factorizations through LAPACKE, always in column-major layout:
 * a row-major matrix is the column-major storage of its transpose, so most
 * calls need no transposing copy (LAPACKE's row-major path would add one).
 * info < 0 is our bug (CORE_EINTERNAL); info > 0 is a numerical failure. */
#include <limits.h>
#include <string.h>
#include <lapacke.h>
#include "alloc.h"
#include "mat.h"

static int too_big(const char *op, const mat *a, core_err *e)
{
    char s[48];
    return core_err_set(e, CORE_ETOOBIG, "%s: %s exceeds LAPACK int limits", op, mat_shape_str(a, s, sizeof s));
}

/* info < 0: LAPACKE refuses NaN and infinite inputs this way too, so the
 * inputs a and b (or NULL) are checked before the failure is called ours */
static int lapack_bug(const char *op, lapack_int info, const mat *a, const mat *b, core_err *e)
{
    if (!mat_all_finite(a) || (b && !mat_all_finite(b)))
        return core_err_set(e, CORE_EINVAL, "%s: the input has NaN or infinite entries", op);
    return core_err_set(e, CORE_EINTERNAL, "%s: LAPACK rejected argument %d (a bug in simec)", op, (int)-info);
}

/* New column-major copy (rows x cols, ld = rows) of a. */
static double *colmajor(const mat *a)
{
    size_t i, j, n = a->rows * a->cols;
    double *b = core_malloc((n ? n : 1) * sizeof *b);
    if (b)
        for (i = 0; i < a->rows; i++)
            for (j = 0; j < a->cols; j++)
                b[j * a->rows + i] = MAT_AT(a, i, j);
    return b;
}

static void from_colmajor(mat *out, const double *b, size_t ldb)
{
    size_t i, j;
    for (i = 0; i < out->rows; i++)
        for (j = 0; j < out->cols; j++)
            MAT_AT(out, i, j) = b[j * ldb + i];
}

static int fits(const mat *a)
{
    return a->rows <= (size_t)INT_MAX && a->cols <= (size_t)INT_MAX &&
           a->rows * a->cols <= (size_t)INT_MAX * 8;
}

static int square(const char *op, const mat *a, core_err *e)
{
    char s[48];
    if (a->rows != a->cols)
        return core_err_set(e, CORE_EINVAL, "%s: matrix must be square, got %s", op, mat_shape_str(a, s, sizeof s));
    return fits(a) ? CORE_OK : too_big(op, a, e);
}

int mat_solve(mat *x, const mat *a, const mat *b, core_err *e)
{
    char s1[48], s2[48];
    double *ac = NULL, *bc = NULL;
    lapack_int *ipiv = NULL, info;
    int rc;
    if ((rc = square("solve", a, e)))
        return rc;
    if (b->rows != a->rows)
        return core_err_set(e, CORE_EINVAL, "solve: %s and %s do not conform",
                            mat_shape_str(a, s1, sizeof s1), mat_shape_str(b, s2, sizeof s2));
    if (!fits(b))
        return too_big("solve", b, e);
    if ((rc = mat_init_uninit(x, b->rows, b->cols, e)))
        return rc;
    if (a->rows == 0 || b->cols == 0)
        return CORE_OK;
    ac = colmajor(a);
    bc = colmajor(b);
    ipiv = core_malloc(a->rows * sizeof *ipiv);
    if (!ac || !bc || !ipiv) {
        rc = core_err_nomem(e, "solve", (double)(a->rows * a->cols + b->rows * b->cols) * 8);
        goto done;
    }
    info = LAPACKE_dgesv(LAPACK_COL_MAJOR, (lapack_int)a->rows, (lapack_int)b->cols, ac,
                         (lapack_int)a->rows, ipiv, bc, (lapack_int)b->rows);
    if (info < 0)
        rc = lapack_bug("solve", info, a, b, e);
    else if (info > 0)
        rc = core_err_set(e, CORE_ENUMERIC, "solve: matrix is singular (U(%d,%d) is exactly zero)",
                          (int)info, (int)info);
    else
        from_colmajor(x, bc, b->rows);
done:
    core_free(ac);
    core_free(bc);
    core_free(ipiv);
    if (rc)
        mat_release(x);
    return rc;
}

/* l (a copy of a, square and non-empty) = its Cholesky factor in the lower
 * triangle, and with inverse the lower triangle of a^-1 instead: column-major
 * 'U' of the transpose is the row-major lower triangle. On failure l is
 * released and the error names op. */
static int spd_lower(mat *l, const mat *a, int inverse, const char *op, core_err *e)
{
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'U', (lapack_int)a->rows, l->x, (lapack_int)l->ld);
    int rc = CORE_OK;
    if (info == 0 && inverse)
        info = LAPACKE_dpotri(LAPACK_COL_MAJOR, 'U', (lapack_int)a->rows, l->x, (lapack_int)l->ld);
    if (info < 0)
        rc = lapack_bug(op, info, a, NULL, e);
    else if (info > 0)
        rc = core_err_set(e, CORE_ENUMERIC, "%s: matrix is not positive definite (leading minor of order %d)", op,
                          (int)info);
    if (rc)
        mat_release(l);
    return rc;
}

int mat_cholesky(mat *l, const mat *a, core_err *e)
{
    size_t i, j;
    int rc;
    if ((rc = square("cholesky", a, e)) || (rc = mat_copy(l, a, e)))
        return rc;
    if (a->rows == 0)
        return CORE_OK;
    if ((rc = spd_lower(l, a, 0, "cholesky", e)))
        return rc;
    for (i = 0; i < l->rows; i++)
        for (j = i + 1; j < l->cols; j++)
            MAT_AT(l, i, j) = 0.0;
    return CORE_OK;
}

int mat_inv_spd(mat *x, const mat *a, core_err *e)
{
    size_t i, j, n = a->rows;
    int rc;
    if ((rc = square("inv_spd", a, e)) || (rc = mat_copy(x, a, e)))
        return rc;
    if (n == 0)
        return CORE_OK;
    if (!mat_all_finite(a)) {
        mat_release(x);
        return core_err_set(e, CORE_EINVAL, "inv_spd: the matrix has NaN or infinite entries");
    }
    if ((rc = spd_lower(x, a, 1, "inv_spd", e)))
        return rc;
    for (i = 0; i < n; i++) /* the inverse is symmetric: mirror the triangle LAPACK filled */
        for (j = i + 1; j < n; j++)
            MAT_AT(x, i, j) = MAT_AT(x, j, i);
    return CORE_OK;
}

int mat_qr(mat *q, mat *r, const mat *a, core_err *e)
{
    size_t m = a->rows, n = a->cols, k = m < n ? m : n, i, j;
    double *ac = NULL, *tau = NULL;
    lapack_int info;
    int rc;
    memset(q, 0, sizeof *q);
    memset(r, 0, sizeof *r);
    if (!fits(a))
        return too_big("qr", a, e);
    if ((rc = mat_init(q, m, k, e)) || (rc = mat_init(r, k, n, e)))
        goto done;
    if (k == 0)
        return CORE_OK;
    ac = colmajor(a);
    tau = core_malloc(k * sizeof *tau);
    if (!ac || !tau) {
        rc = core_err_nomem(e, "qr", (double)m * n * 8);
        goto done;
    }
    info = LAPACKE_dgeqrf(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)n, ac, (lapack_int)m, tau);
    if (info < 0) {
        rc = lapack_bug("qr", info, a, NULL, e);
        goto done;
    }
    for (i = 0; i < k; i++)
        for (j = i; j < n; j++)
            MAT_AT(r, i, j) = ac[j * m + i];
    info = LAPACKE_dorgqr(LAPACK_COL_MAJOR, (lapack_int)m, (lapack_int)k, (lapack_int)k, ac, (lapack_int)m, tau);
    if (info < 0) {
        rc = lapack_bug("qr", info, a, NULL, e);
        goto done;
    }
    from_colmajor(q, ac, m);
done:
    core_free(ac);
    core_free(tau);
    if (rc) {
        mat_release(q);
        mat_release(r);
    }
    return rc;
}

int mat_svd(mat *u, mat *s, mat *vt, const mat *a, int full, core_err *e)
{
    /* Row-major A (m x n) is column-major A^T (n x m) = V S U^T, so LAPACK's
     * "U" is our V (read row-major: Vt) and its "VT" is our U^T (read: U). */
    size_t m = a->rows, n = a->cols, k = m < n ? m : n;
    size_t ucols = full ? m : k, vrows = full ? n : k;
    mat ac;
    double *superb;
    lapack_int info;
    int rc;
    memset(u, 0, sizeof *u);
    memset(s, 0, sizeof *s);
    memset(vt, 0, sizeof *vt);
    memset(&ac, 0, sizeof ac);
    if (!fits(a))
        return too_big("svd", a, e);
    if ((rc = mat_init(u, m, ucols, e)) || (rc = mat_init(s, k, 1, e)) || (rc = mat_init(vt, vrows, n, e)))
        goto fail;
    if (k == 0)
        return CORE_OK;
    if ((rc = mat_copy(&ac, a, e)))
        goto fail;
    info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, full ? 'A' : 'S', (lapack_int)n, (lapack_int)m, ac.x,
                          (lapack_int)n, s->x, vt->x, (lapack_int)n, u->x, (lapack_int)ucols);
    if (info > 0) {
        /* divide and conquer failed to converge: retry with the QR-iteration driver */
        mat_assign(&ac, a);
        superb = core_malloc(k * sizeof *superb);
        if (!superb) {
            rc = core_err_nomem(e, "svd", (double)k * 8);
            goto fail;
        }
        info = LAPACKE_dgesvd(LAPACK_COL_MAJOR, full ? 'A' : 'S', full ? 'A' : 'S', (lapack_int)n,
                              (lapack_int)m, ac.x, (lapack_int)n, s->x, vt->x, (lapack_int)n, u->x,
                              (lapack_int)ucols, superb);
        core_free(superb);
    }
    mat_release(&ac);
    if (info < 0) {
        rc = lapack_bug("svd", info, a, NULL, e);
        goto fail;
    }
    if (info > 0) {
        rc = core_err_set(e, CORE_ENUMERIC, "svd: did not converge (%d superdiagonals)", (int)info);
        goto fail;
    }
    return CORE_OK;
fail:
    mat_release(&ac);
    mat_release(u);
    mat_release(s);
    mat_release(vt);
    return rc;
}

int mat_eigh(mat *w, mat *v, const mat *a, core_err *e)
{
    mat c;
    lapack_int info;
    int rc;
    memset(w, 0, sizeof *w);
    memset(v, 0, sizeof *v);
    if ((rc = square("eigh", a, e)))
        return rc;
    if ((rc = mat_init(w, a->rows, 1, e)) || (rc = mat_copy(&c, a, e))) {
        mat_release(w);
        return rc;
    }
    if (a->rows == 0) {
        *v = c;
        return CORE_OK;
    }
    info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', (lapack_int)a->rows, c.x, (lapack_int)c.ld, w->x);
    if (info != 0) {
        mat_release(&c);
        mat_release(w);
        return info < 0 ? lapack_bug("eigh", info, a, NULL, e)
                        : core_err_set(e, CORE_ENUMERIC, "eigh: did not converge (%d)", (int)info);
    }
    /* column-major eigenvectors are our rows; return them as columns like numpy */
    rc = mat_transpose(v, &c, e);
    mat_release(&c);
    if (rc)
        mat_release(w);
    return rc;
}
