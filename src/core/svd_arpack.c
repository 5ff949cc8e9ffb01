/* The Krylov method: ARPACK's implicitly restarted Lanczos (dsaupd) on the
 * Gram matrix of the smaller side, as scipy's svds. */
#include <math.h>
#include <string.h>
#include <arpack.h>
#include "alloc.h"
#include "blas.h"
#include "par.h"
#include "rng.h"
#include "svd_impl.h"

int svd_arpack(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    int gram_right = a->cols <= a->rows; /* eigen-decompose A^T A (cols x cols) */
    size_t n = gram_right ? a->cols : a->rows, m = gram_right ? a->rows : a->cols, i;
    int nev = (int)k, ncv, ido = 0, info = 0, lworkl, iparam[11], ipntr[14], *select = NULL, blas_previous = 0;
    compact cm;
    const spm *gm = a->S ? (gram_right ? a->S : &a->T) : NULL;
    int use_compact = gm && gm->cols <= 65536 &&
                      (o->single == SVD_AUTO ? SPM_NNZ(gm) >= SVD_SINGLE_NNZ : o->single);
    double *resid = NULL, *V = NULL, *workd = NULL, *workl = NULL, *d = NULL, *tmp = NULL, *sv = NULL;
    int rc = CORE_OK;
    size_t c;
    ncv = o->ncv > 0 ? o->ncv : (int)(2 * k + 1 > 20 ? 2 * k + 1 : 20);
    if ((size_t)ncv > n)
        ncv = (int)n;
    if (ncv <= nev)
        return core_err_set(e, CORE_EINVAL, "svd: k = %zu needs k < min(rows, cols) = %zu for the Krylov method", k, n);
    lworkl = ncv * (ncv + 8);
    resid = core_malloc(n * sizeof *resid);
    V = core_malloc(n * (size_t)ncv * sizeof *V);
    workd = core_malloc(3 * n * sizeof *workd);
    workl = core_malloc((size_t)lworkl * sizeof *workl);
    d = core_malloc((size_t)ncv * sizeof *d);
    tmp = core_malloc(((a->S ? (size_t)par_threads() * n : 0) + m + 1) * sizeof *tmp);
    select = core_calloc((size_t)ncv, sizeof *select); /* dseupd reads it as workspace */
    sv = core_malloc(k * sizeof *sv);
    memset(&cm, 0, sizeof cm);
    if (!resid || !V || !workd || !workl || !d || !tmp || !select || !sv) {
        rc = core_err_nomem(e, "svd", (double)n * (double)(ncv + 4) * 8);
        goto done;
    }
    if (use_compact && (rc = svd_compact_init(&cm, gm, e)))
        goto done;
    {
        rng g; /* a seeded start vector makes runs reproducible across ARPACK builds */
        rng_seed(&g, o->seed);
        for (i = 0; i < n; i++)
            resid[i] = rng_uniform(&g) - 0.5;
        info = 1;
    }
    /* ARPACK's own BLAS calls are on short vectors: one OpenBLAS thread, so
     * idle BLAS threads do not spin against the sparse kernels' threads */
    blas_previous = blas_threads_set(1);
    memset(iparam, 0, sizeof iparam);
    iparam[0] = 1;
    iparam[2] = o->maxiter > 0 ? o->maxiter : (int)(n * 10 < 100000 ? n * 10 + 300 : 100000);
    iparam[6] = 1;
    for (;;) {
        dsaupd_c(&ido, "I", (int)n, "LA", nev, o->tol, resid, ncv, V, (int)n, iparam, ipntr, workd, workl, lworkl,
                 &info);
        if (ido != -1 && ido != 1)
            break;
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if (use_compact)
            svd_gram_compact(&cm, gm, workd + ipntr[0] - 1, workd + ipntr[1] - 1, tmp);
        else if (a->S) /* A^T A through the rows of A, A A^T through the rows of A^T */
            svd_gram_vec(gm, workd + ipntr[0] - 1, workd + ipntr[1] - 1, tmp);
        else if (gram_right ? (rc = svd_op_apply(a, workd + ipntr[0] - 1, tmp, e)) ||
                                  (rc = svd_op_applyT(a, tmp, workd + ipntr[1] - 1, e))
                            : (rc = svd_op_applyT(a, workd + ipntr[0] - 1, tmp, e)) ||
                                  (rc = svd_op_apply(a, tmp, workd + ipntr[1] - 1, e)))
            goto done;
    }
    if (info < 0) {
        rc = core_err_set(e, CORE_EINTERNAL, "svd: ARPACK dsaupd error %d", info);
        goto done;
    }
    if (info == 1) {
        rc = core_err_set(e, CORE_ENUMERIC, "svd: ARPACK did not converge in %d restarts (%d of %d values; raise maxiter or ncv)",
                          iparam[2], iparam[4], nev);
        goto done;
    }
    dseupd_c(o->want_vectors, "A", select, d, V, (int)n, 0.0, "I", (int)n, "LA", nev, o->tol, resid, ncv, V, (int)n,
             iparam, ipntr, workd, workl, lworkl, &info);
    if (info != 0) {
        rc = core_err_set(e, CORE_ENUMERIC, "svd: ARPACK dseupd error %d", info);
        goto done;
    }
    /* eigenvalues come ascending: reverse to descending singular values */
    for (c = 0; c < k; c++)
        sv[c] = sqrt(d[k - 1 - c] > 0 ? d[k - 1 - c] : 0.0);
    if ((rc = mat_init(s, k, 1, e)))
        goto done;
    memcpy(s->x, sv, k * sizeof *sv);
    if (o->want_vectors) {
        /* reverse the eigenvector columns to match */
        for (c = 0; c < k / 2; c++) {
            double *x = V + c * n, *y = V + (k - 1 - c) * n;
            for (i = 0; i < n; i++) {
                double t = x[i];
                x[i] = y[i];
                y[i] = t;
            }
        }
        rc = svd_finish_vectors(a, U, Vt, V, n, k, sv, gram_right, e);
    }
done:
    blas_threads_restore(blas_previous);
    core_free(cm.j);
    core_free(cm.x);
    core_free(resid);
    core_free(V);
    core_free(workd);
    core_free(workl);
    core_free(d);
    core_free(tmp);
    core_free(select);
    core_free(sv);
    return rc;
}
