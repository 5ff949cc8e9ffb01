/* Matrix products through CBLAS. BLAS takes int sizes (LP64), so every
 * dimension and leading dimension is checked against INT_MAX first. */
#include <limits.h>
#include <cblas.h>
#include "mat.h"

static int fits_int(size_t v) { return v <= (size_t)INT_MAX; }

int mat_gemm(mat *out, const mat *a, const mat *b, core_err *e)
{
    char s1[48], s2[48];
    size_t m = a->rows, k = a->cols, n = b->cols, r0, chunk;
    int rc;
    if (a->cols != b->rows)
        return core_err_set(e, CORE_EINVAL, "matrix * matrix: %s and %s do not conform",
                            mat_shape_str(a, s1, sizeof s1), mat_shape_str(b, s2, sizeof s2));
    if (!fits_int(k) || !fits_int(n) || !fits_int(a->ld) || !fits_int(b->ld))
        return core_err_set(e, CORE_ETOOBIG, "matrix * matrix: %s and %s exceed BLAS int limits",
                            mat_shape_str(a, s1, sizeof s1), mat_shape_str(b, s2, sizeof s2));
    if ((rc = mat_init(out, m, n, e)))
        return rc;
    if (m == 0 || n == 0 || k == 0)
        return CORE_OK;
    /* Row blocks of about 2^27 flops, so Ctrl-C is noticed within a fraction of a second. */
    chunk = ((size_t)1 << 27) / (k * n + 1);
    if (chunk < 16)
        chunk = 16;
    if (chunk > (size_t)INT_MAX)
        chunk = (size_t)INT_MAX;
    for (r0 = 0; r0 < m; r0 += chunk) {
        size_t rows = m - r0 < chunk ? m - r0 : chunk;
        if (core_interrupted()) {
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        if (n == 1)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)k, 1.0, a->x + r0 * a->ld,
                        (int)a->ld, b->x, (int)b->ld, 0.0, out->x + r0 * out->ld, (int)out->ld);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)k, 1.0,
                        a->x + r0 * a->ld, (int)a->ld, b->x, (int)b->ld, 0.0,
                        out->x + r0 * out->ld, (int)out->ld);
    }
    return CORE_OK;
}
