/* Implicit feedback as features: what each user rated, weighted by
 * 1/sqrt(count). */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "rec.h"

int rec_implicit(spm *out, const spm *R, const int64_t *col_map, int64_t n, core_err *e)
{
    spm Ut;
    int64_t u, nnz = 0;
    int rc;
    memset(out, 0, sizeof *out);
    if (n < 0 || (!col_map && n != R->cols))
        return core_err_set(e, CORE_EINVAL, "implicit: %lld users and no map for the %lld training users",
                            (long long)n, (long long)R->cols);
    for (u = 0; u < n; u++) {
        int64_t r = col_map ? col_map[u] : u;
        if (r < -1 || r >= R->cols)
            return core_err_set(e, CORE_EINVAL, "implicit: map entry %lld is outside the %lld training users",
                                (long long)u + 1, (long long)R->cols);
    }
    if ((rc = spm_transpose(&Ut, R, e)))
        return rc;
    for (u = 0; u < n; u++) {
        int64_t r = col_map ? col_map[u] : u;
        if (r >= 0) {
            nnz += Ut.p[r + 1] - Ut.p[r];
            if (nnz > (int64_t)1 << 50) {
                spm_free(&Ut);
                return core_err_set(e, CORE_ETOOBIG, "implicit: more than 2^50 entries");
            }
        }
    }
    if ((rc = spm_alloc(out, n, R->rows, nnz, e))) {
        spm_free(&Ut);
        return rc;
    }
    out->p[0] = 0;
    for (u = 0; u < n; u++) {
        int64_t r = col_map ? col_map[u] : u;
        spm_ptr t, at = out->p[u];
        if (r >= 0) {
            double w = 1 / sqrt((double)(Ut.p[r + 1] - Ut.p[r]));
            for (t = Ut.p[r]; t < Ut.p[r + 1]; t++, at++) {
                out->j[at] = Ut.j[t];
                out->x[at] = w;
            }
        }
        out->p[u + 1] = at;
    }
    spm_free(&Ut);
    return CORE_OK;
}
