/* The randomized method: block Krylov on the Gram operator. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "par.h"
#include "rng.h"
#include "svd_impl.h"

/* X -= K K^T X twice (classical Gram-Schmidt with reorthogonalisation);
 * K is m x L with orthonormal columns, X is m x l contiguous; C (L x l, a
 * view) receives the coefficients K^T X of both passes. */
static int project_out(const mat *K, mat *X, mat *C, core_err *e)
{
    mat P;
    size_t i, j;
    int pass, rc;
    if ((rc = mat_init_uninit(&P, K->cols, X->cols, e)))
        return rc;
    for (pass = 0; pass < 2; pass++) {
        if ((rc = blas_gemm("svd", BLAS_T, BLAS_N, K->cols, X->cols, K->rows, 1.0, K->x, K->ld, X->x, X->ld, 0.0, P.x,
                            P.ld, e)) ||
            (rc = blas_gemm("svd", BLAS_N, BLAS_N, X->rows, X->cols, K->cols, -1.0, K->x, K->ld, P.x, P.ld, 1.0, X->x,
                            X->ld, e))) {
            mat_release(&P);
            return rc;
        }
        for (i = 0; i < P.rows; i++)
            for (j = 0; j < P.cols; j++)
                MAT_AT(C, i, j) = (pass ? MAT_AT(C, i, j) : 0.0) + MAT_AT(&P, i, j);
    }
    mat_release(&P);
    return CORE_OK;
}

/* Copies the first w columns of X into columns c0.. of D */
static void put_cols(mat *D, const mat *X, size_t c0, size_t w)
{
    size_t i;
    for (i = 0; i < X->rows; i++)
        memcpy(&MAT_AT(D, i, c0), &MAT_AT(X, i, 0), w * sizeof(double));
}

/* Randomized block Krylov SVD (Halko, Martinsson & Tropp 2011; Musco &
 * Musco 2015) on the Gram operator G of the small side: the space
 * K = [Q0, G Q0, ..., G^q Q0] from a Gaussian Q0 (m x l), each block
 * orthogonalised against the earlier ones, then Rayleigh-Ritz with
 * H = K^T G K, whose eigenvalues are the squared singular values. H needs
 * no product of its own: G Q_j = K_{<=j} C_j + Q_{j+1} R_{j+1}, so its
 * block column j is the projection coefficients C_j over the factor R_{j+1}
 * of the next block's QR (block Lanczos, with full reorthogonalisation).
 * The other side's vectors cost one more product, only when wanted. */
int svd_randomized(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    gram_op g;
    int small_rows = a->rows <= a->cols, rc, blas_previous = 0;
    size_t m = small_rows ? a->rows : a->cols, l = k + (size_t)(o->oversample > 0 ? o->oversample : 0);
    size_t nb, b, L, Lmax, col, prev = 0, i, j, threads = (size_t)par_threads();
    mat K, X, Y, R, Kv, Hf, Hv, H, w, W, Wk, Left, Vk;
    rng r;
    double scale = 0.0;
    l = (l + 7) & ~(size_t)7; /* whole 32-byte float rows in the Gram pass */
    if (l > m)
        l = m;
    nb = (size_t)o->power_iters + 1;
    Lmax = nb > m / l ? m : nb * l;
    memset(&g, 0, sizeof g);
    memset(&K, 0, sizeof K), memset(&Hf, 0, sizeof Hf), memset(&H, 0, sizeof H);
    memset(&w, 0, sizeof w), memset(&W, 0, sizeof W), memset(&Wk, 0, sizeof Wk);
    memset(&X, 0, sizeof X), memset(&Y, 0, sizeof Y), memset(&R, 0, sizeof R);
    memset(&Kv, 0, sizeof Kv), memset(&Hv, 0, sizeof Hv);
    g.a = a, g.small_rows = small_rows;
    if (a->S) {
        g.gm = small_rows ? &a->T : a->S;
        g.use_compact = g.gm->cols <= 65536 && (o->single == SVD_AUTO ? SPM_NNZ(g.gm) >= SVD_SINGLE_NNZ : o->single);
        if (m * l > SIZE_MAX / sizeof(double) / threads)
            return core_err_set(e, CORE_ETOOBIG, "svd: %zu x %zu block buffers overflow", m, l);
        g.buf = core_malloc(threads * m * l * sizeof(double));
        g.z = core_malloc(threads * l * sizeof(double));
        g.xf = g.use_compact ? core_malloc(m * l * sizeof(float)) : NULL;
        if (!g.buf || !g.z || (g.use_compact && !g.xf)) {
            rc = core_err_nomem(e, "svd", (double)threads * (double)m * (double)(l + 1) * 8);
            goto done;
        }
        if (g.use_compact && (rc = svd_compact_init(&g.cm, g.gm, e)))
            goto done;
    }
    if ((rc = mat_init(&K, m, Lmax, e)) || (rc = mat_init(&Hf, Lmax, Lmax, e)) ||
        (rc = mat_init_uninit(&X, m, l, e)))
        goto done;
    rng_seed(&r, o->seed);
    for (i = 0; i < m * l; i++)
        X.x[i] = rng_normal(&r);
    if (g.gm) /* idle OpenBLAS threads would spin against the Gram pass's threads */
        blas_previous = blas_threads_set(1);
    for (b = 0, col = 0;;) {
        /* X holds the next block, projected off the earlier ones; scale is
         * its size before the projection. The last block may be narrower
         * (wb columns) when the space reaches m: the first wb columns of
         * its QR, whose coefficients are then the first wb rows of R. */
        size_t wb = Lmax - col < l ? Lmax - col : l;
        if ((rc = mat_qr(&Y, &R, &X, e)))
            goto done;
        mat_release(&X);
        for (j = 0; j < wb; j++) /* G's range is exhausted: the blocks so far span it */
            if (!(fabs(MAT_AT(&R, j, j)) > 1e-10 * scale))
                break;
        if (j < wb && b > 0)
            break;
        if (b > 0) {
            mat view;
            mat_view(&Hv, &Hf, col, prev, wb, l);
            mat_view(&view, &R, 0, 0, wb, l);
            mat_assign(&Hv, &view);
            mat_release(&Hv), mat_release(&view);
        }
        mat_release(&R);
        put_cols(&K, &Y, col, wb);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if (wb < l) { /* the block alone, contiguous */
            mat_view(&Kv, &K, 0, col, m, wb);
            mat_release(&Y);
            rc = mat_copy(&Y, &Kv, e);
            mat_release(&Kv);
            if (rc)
                goto done;
        }
        rc = svd_gram_apply(&g, &X, &Y, e);
        mat_release(&Y);
        if (rc)
            goto done;
        for (scale = 0.0, i = 0; i < m * wb; i++)
            scale = fmax(scale, fabs(X.x[i]));
        prev = col, col += wb, b++;
        mat_view(&Kv, &K, 0, 0, m, col);
        mat_view(&Hv, &Hf, 0, prev, col, wb);
        if (b == nb || col == Lmax) { /* the last block: its coefficients only */
            if ((rc = blas_gemm("svd", BLAS_T, BLAS_N, Kv.cols, wb, m, 1.0, Kv.x, Kv.ld, X.x, X.ld, 0.0, Hv.x, Hv.ld,
                                e)))
                goto done;
            break;
        }
        rc = project_out(&Kv, &X, &Hv, e);
        mat_release(&Kv), mat_release(&Hv);
        if (rc)
            goto done;
    }
    mat_release(&Kv), mat_release(&Hv);
    mat_release(&X), mat_release(&Y), mat_release(&R);
    blas_threads_restore(blas_previous), blas_previous = 0;
    L = col;
    /* symmetrised: the eigenvalues of H are the Ritz values */
    mat_view(&Hv, &Hf, 0, 0, L, L);
    rc = mat_copy(&H, &Hv, e);
    mat_release(&Hv);
    if (rc)
        goto done;
    mat_view(&Kv, &K, 0, 0, m, L);
    for (i = 0; i < L; i++)
        for (j = i + 1; j < L; j++)
            MAT_AT(&H, i, j) = MAT_AT(&H, j, i) = 0.5 * (MAT_AT(&H, i, j) + MAT_AT(&H, j, i));
    if ((rc = mat_eigh(&w, &W, &H, e)))
        goto done;
    /* the k largest eigenpairs, descending */
    if ((rc = mat_init(s, k, 1, e)) || (rc = mat_init(&Wk, L, k, e)))
        goto done;
    for (j = 0; j < k; j++) {
        double ev = w.x[L - 1 - j];
        s->x[j] = sqrt(ev > 0 ? ev : 0.0);
        for (i = 0; i < L; i++)
            MAT_AT(&Wk, i, j) = MAT_AT(&W, i, L - 1 - j);
    }
    if (o->want_vectors) {
        /* small side: K Wk; big side: A^T (K Wk) / s (or A (K Wk) / s) */
        if ((rc = mat_gemm(&Left, &Kv, &Wk, e)))
            goto done;
        rc = small_rows ? svd_op_blockT(a, &Vk, &Left, e) : svd_op_block(a, &Vk, &Left, e);
        if (rc) {
            mat_release(&Left);
            goto done;
        }
        for (i = 0; i < Vk.rows; i++)
            for (j = 0; j < k; j++)
                MAT_AT(&Vk, i, j) = s->x[j] > 0 ? MAT_AT(&Vk, i, j) / s->x[j] : 0.0;
        if (small_rows) {
            *U = Left;
            rc = mat_transpose(Vt, &Vk, e);
        } else {
            *U = Vk;
            memset(&Vk, 0, sizeof Vk);
            rc = mat_transpose(Vt, &Left, e);
            mat_release(&Left);
        }
        mat_release(&Vk);
    }
done:
    blas_threads_restore(blas_previous);
    mat_release(&X), mat_release(&Y), mat_release(&R), mat_release(&K), mat_release(&Hf), mat_release(&H);
    mat_release(&Kv), mat_release(&Hv);
    mat_release(&w), mat_release(&W), mat_release(&Wk);
    core_free(g.cm.j);
    core_free(g.cm.x);
    core_free(g.buf);
    core_free(g.z);
    core_free(g.xf);
    return rc;
}
