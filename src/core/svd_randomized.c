/* Block Krylov methods on the Gram operator: the randomized method (a
 * fixed number of wide blocks) and block Lanczos (narrow blocks until the
 * k largest Ritz pairs converge, then a Rayleigh-Ritz step in double). */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "blas.h"
#include "par.h"
#include "rng.h"
#include "svd_impl.h"

/* One of project_out's products on a range of K's and X's rows: phase 0
 * the range's share of K^T X (into its thread's part), phase 1 X -= K P */
typedef struct proj_job {
    const double *k0, *p;
    double *x, *parts;
    size_t ldk, ldx, ldp, n, b;
    int phase, rc[PAR_MAX];
} proj_job;

static void proj_rows(void *ctx, int t, int64_t r0, int64_t r1)
{
    proj_job *j = ctx;
    size_t rows = (size_t)(r1 - r0);
    const double *k = j->k0 + (size_t)r0 * j->ldk;
    double *x = j->x + (size_t)r0 * j->ldx, *part = j->parts + (size_t)t * (j->n * j->b + 1);
    if (j->phase == 0 && rows == 0)
        memset(part, 0, j->n * j->b * sizeof *part);
    else if (j->phase == 0)
        j->rc[t] = blas_gemm("svd", BLAS_T, BLAS_N, j->n, j->b, rows, 1.0, k, j->ldk, x, j->ldx, 0.0, part, j->b, NULL);
    else if (rows > 0)
        j->rc[t] = blas_gemm("svd", BLAS_N, BLAS_N, rows, j->b, j->n, -1.0, k, j->ldk, j->p, j->ldp, 1.0, x, j->ldx,
                             NULL);
}

/* P[f:, :] = K[:, f:]^T X, then X -= K[:, f:] P[f:, :]. With split (OpenBLAS
 * held to one thread, as in the sparse Gram loop) each of the pool's
 * threads takes a range of rows, and the K^T X parts are summed in thread
 * order: the products are most of the orthogonalisation's time. */
static int project_once(const mat *K, mat *X, mat *P, size_t f, int split, core_err *e)
{
    size_t n = K->cols - f, b = X->cols, i, c;
    proj_job j;
    int t, used, rc = CORE_OK;
    if (!split) {
        if ((rc = blas_gemm("svd", BLAS_T, BLAS_N, n, b, K->rows, 1.0, K->x + f, K->ld, X->x, X->ld, 0.0,
                            &MAT_AT(P, f, 0), P->ld, e)))
            return rc;
        return blas_gemm("svd", BLAS_N, BLAS_N, X->rows, b, n, -1.0, K->x + f, K->ld, &MAT_AT(P, f, 0), P->ld, 1.0,
                         X->x, X->ld, e);
    }
    memset(&j, 0, sizeof j);
    j.k0 = K->x + f, j.ldk = K->ld, j.x = X->x, j.ldx = X->ld, j.n = n, j.b = b;
    j.parts = core_malloc((size_t)par_threads() * (n * b + 1) * sizeof *j.parts);
    if (!j.parts)
        return core_err_nomem(e, "svd", (double)par_threads() * (double)(n * b) * 8);
    used = par_range((int64_t)K->rows, par_threads(), proj_rows, &j);
    for (i = 0; i < n; i++)
        for (c = 0; c < b; c++) {
            double acc = 0.0;
            for (t = 0; t < used; t++)
                acc += j.parts[(size_t)t * (n * b + 1) + i * b + c];
            MAT_AT(P, f + i, c) = acc;
        }
    j.phase = 1, j.p = &MAT_AT(P, f, 0), j.ldp = P->ld;
    par_range((int64_t)K->rows, par_threads(), proj_rows, &j);
    core_free(j.parts);
    for (t = 0; t < PAR_MAX; t++)
        if (j.rc[t])
            rc = core_err_set(e, CORE_ETOOBIG, "svd: a %zu x %zu block product exceeds BLAS int limits", K->rows, n);
    return rc;
}

/* X -= K K^T X twice (classical Gram-Schmidt with reorthogonalisation);
 * K is m x L with orthonormal columns, X is m x l contiguous; C (L x l, a
 * view) receives the coefficients K^T X of both passes. The first pass
 * runs over K's columns from first on: block Lanczos passes its last two
 * blocks, where G's new block has all but rounding's share of its
 * components, and the full second pass removes the rest (half the work of
 * two full passes, which the randomized method's few blocks can afford). */
static int project_out(const mat *K, mat *X, mat *C, size_t first, int split, core_err *e)
{
    mat P;
    size_t i, j;
    int pass, rc;
    if ((rc = mat_init(&P, K->cols, X->cols, e)))
        return rc;
    for (i = 0; i < C->rows; i++)
        for (j = 0; j < C->cols; j++)
            MAT_AT(C, i, j) = 0.0;
    for (pass = 0; pass < 2; pass++) {
        size_t f = pass ? 0 : first;
        if ((rc = project_once(K, X, &P, f, split, e))) {
            mat_release(&P);
            return rc;
        }
        for (i = f; i < P.rows; i++)
            for (j = 0; j < P.cols; j++)
                MAT_AT(C, i, j) += MAT_AT(&P, i, j);
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

/* v -= B (B^T v) for the n columns of B from c0 on (B row-major, m rows) */
static int orth_vec(const mat *B, size_t c0, size_t n, double *v, double *tmp, core_err *e)
{
    int rc;
    if (n == 0)
        return CORE_OK;
    if ((rc = blas_gemv("svd", BLAS_T, B->rows, n, 1.0, B->x + c0, B->ld, v, 0.0, tmp, e)))
        return rc;
    return blas_gemv("svd", BLAS_N, B->rows, n, -1.0, B->x + c0, B->ld, tmp, 1.0, v, e);
}

/* One Cholesky QR: R = chol(X^T X)^T, Y = X R^-1, through R's inverse
 * (b x b: small beside X). CORE_ENUMERIC when X^T X is not numerically
 * positive definite. */
static int chol_qr(mat *Y, mat *R, const mat *X, core_err *e)
{
    size_t b = X->cols, i, j;
    mat G, Lf, Li;
    int rc;
    memset(Y, 0, sizeof *Y), memset(R, 0, sizeof *R);
    if ((rc = mat_init_uninit(&G, b, b, e)))
        return rc;
    rc = blas_gram("svd", b, X->rows, 1.0, X->x, X->ld, 0.0, G.x, G.ld, e);
    if (!rc)
        rc = mat_cholesky(&Lf, &G, NULL);
    mat_release(&G);
    if (rc)
        return CORE_ENUMERIC;
    if ((rc = mat_init(&Li, b, b, e)) || (rc = mat_transpose(R, &Lf, e))) {
        mat_release(&Lf), mat_release(&Li);
        return rc;
    }
    for (i = 0; i < b; i++)
        MAT_AT(&Li, i, i) = 1.0;
    rc = blas_trsm_lower("svd", BLAS_N, b, b, Lf.x, Lf.ld, Li.x, Li.ld, e);
    mat_release(&Lf);
    for (i = 0; i < b && !rc; i++)
        for (j = 0; j < b; j++)
            if (!isfinite(MAT_AT(&Li, i, j)))
                rc = CORE_ENUMERIC;
    if (!rc && !(rc = mat_init_uninit(Y, X->rows, b, e)))
        rc = blas_gemm("svd", BLAS_N, BLAS_T, X->rows, b, b, 1.0, X->x, X->ld, Li.x, Li.ld, 0.0, Y->x, Y->ld, e);
    mat_release(&Li);
    if (rc)
        mat_release(Y), mat_release(R);
    return rc;
}

/* Y (orthonormal) and R (upper triangular) with Y R = X. Cholesky QR twice
 * (CholQR2: the second pass restores orthogonality to rounding while X's
 * condition number stays below about 1e7) is a few products of X with
 * b x b matrices, where Householder QR walks X column by column; a nearly
 * rank-deficient X, whose Gram matrix the Cholesky factor refuses or whose
 * first pass leaves Y far from orthonormal, takes Householder's. */
static int block_qr(mat *Y, mat *R, const mat *X, core_err *e)
{
    mat Y1, R1, R2;
    size_t i, j;
    int rc = X->rows >= X->cols ? chol_qr(&Y1, &R1, X, e) : CORE_ENUMERIC;
    if (rc == CORE_OK) {
        rc = chol_qr(Y, &R2, &Y1, e);
        mat_release(&Y1);
        /* the second pass only mends: R2 near the identity, else Y is not to be trusted */
        for (i = 0; i < R2.rows && rc == CORE_OK; i++)
            for (j = 0; j < R2.cols; j++)
                if (fabs(MAT_AT(&R2, i, j) - (i == j)) > 0.1)
                    rc = CORE_ENUMERIC;
        if (rc == CORE_OK)
            rc = mat_gemm(R, &R2, &R1, e);
        mat_release(&R1), mat_release(&R2);
        if (rc == CORE_OK)
            return rc;
        mat_release(Y);
    }
    if (rc != CORE_ENUMERIC)
        return rc;
    return mat_qr(Y, R, X, e);
}

/* The next block Y (orthonormal) with Y R = X, when R's rank is short of
 * its width: G maps the last block partly into the space already built.
 * Rotates by R's SVD, R = P S W^T: Y P keeps X's directions first and
 * S W^T is the new R; the directions whose singular value is at most
 * thresh get R rows of zero and, in their place in Y (among its first wb
 * columns), random vectors orthonormal to the space Kv and to Y's other
 * columns, so the Krylov space goes on growing in directions it has not
 * seen (a random start block has a share of every eigenvector). *rank:
 * the directions kept. */
static int deflate(mat *Y, mat *R, const mat *Kv, size_t wb, double thresh, rng *g, size_t *rank, core_err *e)
{
    mat P, S, Wt, T;
    size_t r = R->rows, i, j, c;
    double *v = NULL, *tmp = NULL;
    int rc, pass;
    *rank = r;
    if ((rc = mat_svd(&P, &S, &Wt, R, 0, e)))
        return rc;
    for (j = 0; j < r && S.x[j] > thresh; j++)
        ;
    *rank = j;
    if (j == r)
        goto out;
    if ((rc = mat_gemm(&T, Y, &P, e)))
        goto out;
    mat_release(Y);
    *Y = T;
    for (i = 0; i < r; i++)
        for (c = 0; c < R->cols; c++)
            MAT_AT(R, i, c) = i < *rank ? S.x[i] * MAT_AT(&Wt, i, c) : 0.0;
    v = core_malloc(Y->rows * sizeof *v);
    tmp = core_malloc((Kv->cols + Y->cols + 1) * sizeof *tmp);
    if (!v || !tmp) {
        rc = core_err_nomem(e, "svd", (double)(Y->rows + Kv->cols + Y->cols) * 8);
        goto out;
    }
    for (j = *rank; j < wb; j++) {
        double nrm = 0.0;
        for (i = 0; i < Y->rows; i++)
            v[i] = rng_normal(g);
        for (pass = 0; pass < 2; pass++)
            if ((rc = orth_vec(Kv, 0, Kv->cols, v, tmp, e)) || (rc = orth_vec(Y, 0, j, v, tmp, e)))
                goto out;
        for (i = 0; i < Y->rows; i++)
            nrm += v[i] * v[i];
        nrm = sqrt(nrm);
        for (i = 0; i < Y->rows; i++)
            MAT_AT(Y, i, j) = nrm > 0 ? v[i] / nrm : 0.0;
    }
out:
    core_free(v);
    core_free(tmp);
    mat_release(&P), mat_release(&S), mat_release(&Wt);
    return rc;
}

/* How the block Krylov space grows and stops */
typedef struct plan {
    size_t l;      /* block width */
    size_t nb;     /* the randomized method's blocks (tol 0) */
    size_t Lmax;   /* columns at most */
    size_t L0;     /* columns held at first (the space grows by doubling up to Lmax) */
    double tol;    /* 0: all nb blocks; else stop once the k largest Ritz pairs converge (ritz_excess) */
    int refine;    /* Rayleigh-Ritz on the k Ritz vectors with double products */
    int *unconverged; /* set when tol > 0 and the space fills first (then no results) */
} plan;

/* The eigenpairs of H made symmetric in place (rounding leaves the two
 * triangles apart): w ascending, W the eigenvectors as columns */
static int sym_eigh(mat *w, mat *W, mat *H, core_err *e)
{
    size_t i, j;
    for (i = 0; i < H->rows; i++)
        for (j = i + 1; j < H->cols; j++)
            MAT_AT(H, i, j) = MAT_AT(H, j, i) = 0.5 * (MAT_AT(H, i, j) + MAT_AT(H, j, i));
    return mat_eigh(w, W, H, e);
}

/* The Ritz values of H = Hf[0:col, 0:col]: w ascending, W the eigenvectors as columns */
static int ritz(mat *w, mat *W, const mat *Hf, size_t col, core_err *e)
{
    mat Hv, H;
    int rc;
    mat_view(&Hv, Hf, 0, 0, col, col);
    rc = mat_copy(&H, &Hv, e);
    mat_release(&Hv);
    if (rc)
        return rc;
    rc = sym_eigh(w, W, &H, e);
    mat_release(&H);
    return rc;
}

/* How far the k largest Ritz pairs of the space K[:, 0:col] are from
 * converged, as *excess: at most 1 when each residual is at most sqrt(tol)
 * of its value and each value within tol (relative) of one of G's
 * eigenvalues. G K = K H + X e_last^T with X = Q R the part of G's last
 * block outside the space, so pair i's residual is r = |R W[prev:col, i]|,
 * and its value is within r^2 / d of an eigenvalue, d its distance to the
 * rest of the spectrum (Parlett, The Symmetric Eigenvalue Problem, 11.7):
 * d is taken to the largest Ritz value outside the k, which sits below its
 * eigenvalue. Pairs within the k mix freely; their values stay as accurate. */
static int ritz_excess(mat *w, mat *W, const mat *Hf, size_t col, size_t prev, const mat *R, size_t k, double tol,
                       double *excess, core_err *e)
{
    size_t i, j, c, lw = col - prev;
    int rc = ritz(w, W, Hf, col, e);
    double top, below;
    *excess = HUGE_VAL;
    if (rc)
        return rc;
    top = w->x[col - 1], below = w->x[col - 1 - k];
    *excess = 0.0;
    for (i = 0; i < k; i++) {
        size_t v = col - 1 - i;
        double theta = w->x[v], r2 = 0.0, d = theta - below, r, value;
        for (j = 0; j < R->rows; j++) {
            double acc = 0.0;
            for (c = 0; c < lw; c++) /* R: triangular, or general after deflate */
                acc += MAT_AT(R, j, c) * MAT_AT(W, prev + c, v);
            r2 += acc * acc;
        }
        /* values below a millionth of the largest singular value need no relative accuracy */
        theta = fmax(theta, 1e-12 * top);
        r = sqrt(r2);
        value = r / (tol * theta);
        if (d > 0)
            value = fmin(value, r2 / (tol * theta * d));
        *excess = fmax(*excess, fmax(r / (sqrt(tol) * theta), value));
    }
    return CORE_OK;
}

/* Rayleigh-Ritz on the space of Left (m x k, orthonormal columns) with
 * double products: Z = A^T Left (or A Left), whose Gram matrix Z^T Z is
 * Left^T G Left, with eigenvectors W (as columns, descending) and values
 * s^2. The float Gram pass leaves its rounding in H's entries (about 3e-7
 * relative in the values); this step leaves only the space's own error. */
static int rayleigh_ritz(const op *a, int small_rows, const mat *Left, mat *Z, mat *s, mat *W, core_err *e)
{
    size_t k = Left->cols, i, j;
    mat C, w;
    int rc = small_rows ? svd_op_blockT(a, Z, Left, e) : svd_op_block(a, Z, Left, e);
    if (rc)
        return rc;
    if ((rc = mat_init_uninit(&C, k, k, e)))
        return rc;
    rc = blas_gemm("svd", BLAS_T, BLAS_N, k, k, Z->rows, 1.0, Z->x, Z->ld, Z->x, Z->ld, 0.0, C.x, C.ld, e);
    if (!rc)
        rc = sym_eigh(&w, W, &C, e);
    mat_release(&C);
    if (rc)
        return rc;
    for (i = 0; i < k; i++) /* descending: reverse W's columns */
        for (j = 0; j < k / 2; j++) {
            double t = MAT_AT(W, i, j);
            MAT_AT(W, i, j) = MAT_AT(W, i, k - 1 - j);
            MAT_AT(W, i, k - 1 - j) = t;
        }
    if (!(rc = mat_init(s, k, 1, e)))
        for (j = 0; j < k; j++)
            s->x[j] = sqrt(w.x[k - 1 - j] > 0 ? w.x[k - 1 - j] : 0.0);
    mat_release(&w);
    if (rc)
        mat_release(W);
    return rc;
}

/* U and Vt from Rayleigh-Ritz's W and s: the small side is Left W, the big
 * side Z W / s; the transposed one is written by a product with both
 * operands transposed, not transposed after */
static int ritz_vectors(mat *U, mat *Vt, const mat *Left, const mat *Z, const mat *W, const mat *s, int small_rows,
                        core_err *e)
{
    size_t k = W->cols, i, j;
    const mat *rows_side = small_rows ? Left : Z, *cols_side = small_rows ? Z : Left;
    int rc;
    if ((rc = mat_gemm(U, rows_side, W, e)))
        return rc;
    if ((rc = mat_init_uninit(Vt, k, cols_side->rows, e)) ||
        (rc = blas_gemm("svd", BLAS_T, BLAS_T, k, cols_side->rows, k, 1.0, W->x, W->ld, cols_side->x, cols_side->ld,
                        0.0, Vt->x, Vt->ld, e))) {
        mat_release(U), mat_release(Vt);
        return rc;
    }
    if (small_rows) /* Vt's rows are the big side's vectors */
        for (j = 0; j < k; j++) {
            double f = s->x[j] > 0 ? 1.0 / s->x[j] : 0.0;
            for (i = 0; i < Vt->cols; i++)
                MAT_AT(Vt, j, i) *= f;
        }
    else
        for (i = 0; i < U->rows; i++)
            for (j = 0; j < k; j++)
                MAT_AT(U, i, j) = s->x[j] > 0 ? MAT_AT(U, i, j) / s->x[j] : 0.0;
    return CORE_OK;
}

/* The space K (m x *alloc) and H's store (*alloc square) with room for
 * need columns: doubled, at most to cap, the first col columns (and H's
 * leading col x col block, all of it written so far) copied over. Room
 * follows what the space uses: a long small side (62,423 at the ML-25M
 * shape) costs 0.5 MB a column. */
static int grow_space(mat *K, mat *Hf, size_t m, size_t col, size_t need, size_t cap, size_t *alloc, core_err *e)
{
    mat K2, H2, src, dst;
    size_t n = *alloc;
    int rc;
    while (n < need)
        n = 2 * n < cap ? 2 * n : cap;
    if ((rc = mat_init_uninit(&K2, m, n, e)))
        return rc;
    if ((rc = mat_init(&H2, n, n, e))) {
        mat_release(&K2);
        return rc;
    }
    if (col > 0) {
        mat_view(&src, K, 0, 0, m, col), mat_view(&dst, &K2, 0, 0, m, col);
        mat_assign(&dst, &src);
        mat_release(&src), mat_release(&dst);
        mat_view(&src, Hf, 0, 0, col, col), mat_view(&dst, &H2, 0, 0, col, col);
        mat_assign(&dst, &src);
        mat_release(&src), mat_release(&dst);
    }
    mat_release(K), mat_release(Hf);
    *K = K2, *Hf = H2, *alloc = n;
    return CORE_OK;
}

/* Block Krylov SVD on the Gram operator G of the small side (Halko,
 * Martinsson & Tropp 2011; Musco & Musco 2015; block Lanczos): the space
 * K = [Q0, G Q0, ..., G^q Q0] from a Gaussian Q0 (m x l), each block
 * orthogonalised against the earlier ones, then Rayleigh-Ritz with
 * H = K^T G K, whose eigenvalues are the squared singular values. H needs
 * no product of its own: G Q_j = K_{<=j} C_j + Q_{j+1} R_{j+1}, so its
 * block column j is the projection coefficients C_j over the factor R_{j+1}
 * of the next block's QR (block Lanczos, with full reorthogonalisation).
 * The other side's vectors cost one more product, only when wanted. */
static int block_krylov(mat *U, mat *s, mat *Vt, const op *a, size_t k, const plan *pl, const svd_opts *o,
                        core_err *e)
{
    gram_op g;
    int small_rows = a->rows <= a->cols, rc, blas_previous = 0, done = 0;
    size_t m = small_rows ? a->rows : a->cols, l = pl->l;
    size_t nb = pl->nb, b = 0, L, Lmax = pl->Lmax, col = 0, prev = 0, i, j, threads = (size_t)par_threads();
    size_t alloc = 0;
    mat K, X, Y, R, Kv, Hf, Hv, w, W, Wk, Wk2, Left, Vk;
    rng r;
    double scale = 0.0, last_excess = 0.0;
    size_t next_check = k + l, last_col = 0, ritz_col = 0; /* ritz_col: the columns w and W hold */
    memset(&g, 0, sizeof g);
    memset(&K, 0, sizeof K), memset(&Hf, 0, sizeof Hf);
    memset(&w, 0, sizeof w), memset(&W, 0, sizeof W), memset(&Wk, 0, sizeof Wk), memset(&Wk2, 0, sizeof Wk2);
    memset(&X, 0, sizeof X), memset(&Y, 0, sizeof Y), memset(&R, 0, sizeof R);
    memset(&Kv, 0, sizeof Kv), memset(&Hv, 0, sizeof Hv), memset(&Left, 0, sizeof Left), memset(&Vk, 0, sizeof Vk);
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
    alloc = pl->L0 < Lmax ? pl->L0 : Lmax;
    if ((rc = grow_space(&K, &Hf, m, 0, alloc, Lmax, &alloc, e)) || (rc = mat_init_uninit(&X, m, l, e)))
        goto done;
    rng_seed(&r, o->seed);
    for (i = 0; i < m * l; i++)
        X.x[i] = rng_normal(&r);
    if (g.gm) /* idle OpenBLAS threads would spin against the Gram pass's threads */
        blas_previous = blas_threads_set(1);
    for (b = 0, col = 0;;) {
        /* X holds the next block, projected off the earlier ones; scale is
         * its size before the projection. The last block may be narrower
         * (wb columns) when the space reaches Lmax: the first wb columns of
         * its QR, whose coefficients are then the first wb rows of R. */
        size_t wb = Lmax - col < l ? Lmax - col : l;
        if (col + wb > alloc && (rc = grow_space(&K, &Hf, m, col, col + wb, Lmax, &alloc, e)))
            goto done;
        if ((rc = block_qr(&Y, &R, &X, e)))
            goto done;
        mat_release(&X);
        if (b > 0) {
            size_t rank;
            mat_view(&Kv, &K, 0, 0, m, col);
            rc = deflate(&Y, &R, &Kv, wb, 1e-10 * scale, &r, &rank, e);
            mat_release(&Kv);
            if (rc)
                goto done;
            /* G maps the space into itself, which then holds G's whole
             * range (the start block has a share of every eigenvector):
             * its Ritz values are exact */
            if (rank == 0 && col >= k) {
                done = 1;
                break;
            }
        }
        if (pl->tol > 0 && col >= next_check) {
            /* a test costs an eigen-decomposition of H, about a third of a
             * block at 600 columns: the next one comes when the excess,
             * falling at the rate seen between the last two, should be
             * halfway to 1 (Lanczos residuals fall about geometrically, a
             * little faster as the space grows), and at most 4 blocks on */
            double excess;
            mat_release(&w), mat_release(&W);
            if ((rc = ritz_excess(&w, &W, &Hf, col, prev, &R, k, pl->tol, &excess, e)))
                goto done;
            ritz_col = col;
            if (excess <= 1.0) {
                done = 1;
                break;
            }
            next_check = col + l;
            if (last_col > 0 && excess < last_excess) {
                double per_col = log(last_excess / excess) / (double)(col - last_col);
                size_t ahead = (size_t)(0.5 * log(excess) / per_col / (double)l);
                next_check += (ahead > 4 ? 3 : ahead > 1 ? ahead - 1 : 0) * l;
            }
            last_excess = excess, last_col = col;
        }
        if (wb == 0) /* the space is full */
            break;
        if (b > 0) {
            mat view;
            mat_view(&Hv, &Hf, col, prev, wb, col - prev);
            mat_view(&view, &R, 0, 0, wb, col - prev);
            mat_assign(&Hv, &view);
            mat_release(&Hv), mat_release(&view);
        }
        mat_release(&R);
        put_cols(&K, &Y, col, wb);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
        if (wb < Y.cols) { /* the block alone, contiguous */
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
        /* the randomized method's last block: its coefficients only (block
         * Lanczos goes on to its residual's QR, which tells whether it converged) */
        if (pl->tol == 0 && (col == Lmax || b == nb)) {
            if ((rc = blas_gemm("svd", BLAS_T, BLAS_N, Kv.cols, wb, m, 1.0, Kv.x, Kv.ld, X.x, X.ld, 0.0, Hv.x, Hv.ld,
                                e)))
                goto done;
            break;
        }
        rc = project_out(&Kv, &X, &Hv, pl->tol > 0 && prev > l ? prev - l : 0, g.gm != NULL, e);
        mat_release(&Kv), mat_release(&Hv);
        if (rc)
            goto done;
    }
    mat_release(&Kv), mat_release(&Hv);
    mat_release(&X), mat_release(&Y), mat_release(&R);
    blas_threads_restore(blas_previous), blas_previous = 0;
    L = col;
    if (pl->tol > 0 && !done && L < m) { /* the space filled first */
        *pl->unconverged = 1;
        goto done;
    }
    /* the Ritz pairs of the whole space: the convergence test's, when it
     * stopped the loop, else computed here */
    if (ritz_col != L) {
        mat_release(&w), mat_release(&W);
        if ((rc = ritz(&w, &W, &Hf, L, e)))
            goto done;
    }
    /* the k largest eigenpairs, descending */
    if ((rc = mat_init(s, k, 1, e)) || (rc = mat_init(&Wk, L, k, e)))
        goto done;
    for (j = 0; j < k; j++) {
        double ev = w.x[L - 1 - j];
        s->x[j] = sqrt(ev > 0 ? ev : 0.0);
        for (i = 0; i < L; i++)
            MAT_AT(&Wk, i, j) = MAT_AT(&W, i, L - 1 - j);
    }
    if (!o->want_vectors && !pl->refine)
        goto done;
    /* small side: K Wk; big side: A^T (K Wk) / s (or A (K Wk) / s) */
    mat_view(&Kv, &K, 0, 0, m, L);
    if ((rc = mat_gemm(&Left, &Kv, &Wk, e)))
        goto done;
    if (pl->refine) {
        mat_release(s);
        if (!(rc = rayleigh_ritz(a, small_rows, &Left, &Vk, s, &Wk2, e)) && o->want_vectors)
            rc = ritz_vectors(U, Vt, &Left, &Vk, &Wk2, s, small_rows, e);
        goto done;
    }
    if ((rc = small_rows ? svd_op_blockT(a, &Vk, &Left, e) : svd_op_block(a, &Vk, &Left, e)) || !o->want_vectors)
        goto done;
    for (i = 0; i < Vk.rows; i++)
        for (j = 0; j < k; j++)
            MAT_AT(&Vk, i, j) = s->x[j] > 0 ? MAT_AT(&Vk, i, j) / s->x[j] : 0.0;
    if (small_rows) {
        *U = Left;
        memset(&Left, 0, sizeof Left);
        rc = mat_transpose(Vt, &Vk, e);
    } else {
        *U = Vk;
        memset(&Vk, 0, sizeof Vk);
        rc = mat_transpose(Vt, &Left, e);
    }
done:
    blas_threads_restore(blas_previous);
    mat_release(&X), mat_release(&Y), mat_release(&R), mat_release(&K), mat_release(&Hf);
    mat_release(&Kv), mat_release(&Hv), mat_release(&Left), mat_release(&Vk);
    mat_release(&w), mat_release(&W), mat_release(&Wk), mat_release(&Wk2);
    core_free(g.cm.j);
    core_free(g.cm.x);
    core_free(g.buf);
    core_free(g.z);
    core_free(g.xf);
    return rc;
}

/* The randomized method: blocks of k + oversample columns (rounded up to
 * whole 32-byte float rows in the Gram pass), power_iters + 1 of them. */
int svd_randomized(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    plan pl;
    size_t m = a->rows <= a->cols ? a->rows : a->cols;
    pl.l = (k + (size_t)(o->oversample > 0 ? o->oversample : 0) + 7) & ~(size_t)7;
    if (pl.l > m)
        pl.l = m;
    pl.nb = (size_t)o->power_iters + 1;
    pl.Lmax = pl.nb > m / pl.l ? m : pl.nb * pl.l;
    pl.L0 = pl.Lmax, pl.tol = 0.0, pl.refine = 0, pl.unconverged = NULL;
    return block_krylov(U, s, Vt, a, k, &pl, o, e);
}

/* Block Lanczos: blocks of o->block columns until the k largest Ritz pairs
 * converge (o->tol). A space that fills (o->ncv columns) first leaves the
 * problem to ARPACK, whose restarts need no more room: slower, never wrong. */
int svd_lanczos(mat *U, mat *s, mat *Vt, const op *a, size_t k, const svd_opts *o, core_err *e)
{
    plan pl;
    int unconverged = 0, rc;
    size_t m = a->rows <= a->cols ? a->rows : a->cols;
    pl.l = o->block > 0 ? (size_t)o->block : SVD_BLOCK;
    if (pl.l > m)
        pl.l = m;
    pl.Lmax = o->ncv > 0 ? (size_t)o->ncv : (20 * k > 32 * pl.l ? 20 * k : 32 * pl.l) + 2 * pl.l;
    /* room for what k = 1 to 200 took at the MovieLens-10M size (from 192
     * columns at k = 1 to 896 at k = 200, about 6 k from k = 30 on) */
    pl.L0 = (8 * k > 8 * pl.l ? 8 * k : 8 * pl.l) + 2 * pl.l;
    /* whole blocks: a narrower last one would leave the rest of its QR out
     * of the space, and out of the residuals the stopping test reads
     * (a space of all m columns is exact whatever its last block) */
    if (pl.Lmax < k + pl.l && pl.Lmax < m)
        return core_err_set(e, CORE_EINVAL, "svd: ncv = %zu must be at least k + block = %zu", pl.Lmax, k + pl.l);
    if (pl.Lmax >= m)
        pl.Lmax = m;
    else
        pl.Lmax -= pl.Lmax % pl.l;
    pl.nb = 0; /* unread: block Lanczos stops by its test or at Lmax */
    pl.tol = o->tol > 0 ? o->tol : SVD_LANCZOS_TOL;
    pl.refine = 1, pl.unconverged = &unconverged;
    rc = block_krylov(U, s, Vt, a, k, &pl, o, e);
    if (rc || !unconverged)
        return rc;
    {
        svd_opts ao = *o;
        ao.method = SVD_ARPACK, ao.tol = 0.0, ao.ncv = 0;
        return svd_arpack(U, s, Vt, a, k, &ao, e);
    }
}
