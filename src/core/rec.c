#include <math.h>
#include <string.h>
#include <cblas.h>
#include "alloc.h"
#include "rec.h"

static int is_train(const int64_t *row_map, const int64_t *col_map, const unsigned char *mask, int64_t i,
                    spm_idx j, spm_ptr k)
{
    return row_map[i] >= 0 && col_map[j] >= 0 && (!mask || mask[k]);
}

int rec_split(spm *train, spm *test, const spm *A, const int64_t *row_map, int64_t train_rows,
              const int64_t *col_map, int64_t train_cols, const unsigned char *entry_train, core_err *e)
{
    int64_t i, ntrain = 0, ntest, n = 0;
    spm_ptr k, t = 0;
    spm_idx *ti = NULL, *tj = NULL;
    double *tx = NULL;
    size_t *ridx = NULL, *cidx = NULL;
    int rc;
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    for (i = 0; i < A->rows; i++)
        if (row_map[i] >= train_rows)
            return core_err_set(e, CORE_EINVAL, "split: row map entry %lld out of range", (long long)i + 1);
    for (i = 0; i < A->cols; i++)
        if (col_map[i] >= train_cols)
            return core_err_set(e, CORE_EINVAL, "split: column map entry %lld out of range", (long long)i + 1);
    for (i = 0; i < A->rows; i++)
        for (k = A->p[i]; k < A->p[i + 1]; k++)
            ntrain += is_train(row_map, col_map, entry_train, i, A->j[k], k);
    ntest = SPM_NNZ(A) - ntrain;
    ti = core_malloc((size_t)(ntrain ? ntrain : 1) * sizeof *ti);
    tj = core_malloc((size_t)(ntrain ? ntrain : 1) * sizeof *tj);
    tx = core_malloc((size_t)(ntrain ? ntrain : 1) * sizeof *tx);
    if (!ti || !tj || !tx) {
        rc = core_err_nomem(e, "split", (double)ntrain * 16);
        goto fail;
    }
    if ((rc = spm_alloc(test, A->rows, A->cols, ntest, e)))
        goto fail;
    for (i = 0; i < A->rows; i++) {
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            if (is_train(row_map, col_map, entry_train, i, A->j[k], k)) {
                ti[n] = (spm_idx)row_map[i];
                tj[n] = (spm_idx)col_map[A->j[k]];
                tx[n++] = A->x[k];
            } else {
                test->j[t] = A->j[k];
                test->x[t++] = A->x[k];
            }
        }
        test->p[i + 1] = t;
    }
    test->rlab = spm_labels_retain(A->rlab);
    test->clab = spm_labels_retain(A->clab);
    if ((rc = spm_from_triplets_owned(train, train_rows, train_cols, &ti, &tj, &tx, ntrain, SPM_DUP_SUM, e)))
        goto fail;
    /* labels of the train space: the labels of the mapped rows/columns */
    ridx = core_malloc((size_t)(train_rows ? train_rows : 1) * sizeof *ridx);
    cidx = core_malloc((size_t)(train_cols ? train_cols : 1) * sizeof *cidx);
    if (!ridx || !cidx) {
        rc = core_err_nomem(e, "split", (double)(train_rows + train_cols) * 8);
        goto fail;
    }
    memset(ridx, 0xff, (size_t)train_rows * sizeof *ridx);
    memset(cidx, 0xff, (size_t)train_cols * sizeof *cidx);
    for (i = 0; i < A->rows; i++)
        if (row_map[i] >= 0)
            ridx[row_map[i]] = (size_t)i;
    for (i = 0; i < A->cols; i++)
        if (col_map[i] >= 0)
            cidx[col_map[i]] = (size_t)i;
    for (i = 0; i < train_rows; i++)
        if (ridx[i] == (size_t)-1) {
            rc = core_err_set(e, CORE_EINVAL, "split: train row %lld has no source row", (long long)i + 1);
            goto fail;
        }
    for (i = 0; i < train_cols; i++)
        if (cidx[i] == (size_t)-1) {
            rc = core_err_set(e, CORE_EINVAL, "split: train column %lld has no source column", (long long)i + 1);
            goto fail;
        }
    if ((A->rlab && !(train->rlab = spm_labels_select(A->rlab, ridx, (size_t)train_rows, e))) ||
        (A->clab && !(train->clab = spm_labels_select(A->clab, cidx, (size_t)train_cols, e)))) {
        rc = e ? e->code : CORE_ENOMEM;
        goto fail;
    }
    core_free(ridx);
    core_free(cidx);
    return CORE_OK;
fail:
    core_free(ti);
    core_free(tj);
    core_free(tx);
    core_free(ridx);
    core_free(cidx);
    spm_free(train);
    spm_free(test);
    return rc;
}

int rec_pairs_mask(unsigned char *mask, int64_t nnz, const int64_t *order, int64_t nlines, rng *g,
                   int64_t test_from, int64_t test_to, core_err *e)
{
    size_t *perm = core_malloc((size_t)(nlines ? nlines : 1) * sizeof *perm);
    int64_t k;
    if (!perm)
        return core_err_nomem(e, "split", (double)nlines * 8);
    rng_permutation(g, perm, (size_t)nlines);
    memset(mask, 0, (size_t)nnz);
    for (k = 0; k < nlines; k++) {
        int64_t pos = order ? order[perm[k]] : (int64_t)perm[k];
        if (k >= test_from && k < test_to)
            continue;
        if (pos < 0 || pos >= nnz) {
            core_free(perm);
            return core_err_set(e, CORE_EINVAL, "split: order entry %lld out of range", (long long)perm[k] + 1);
        }
        mask[pos] = 1;
    }
    /* a rating listed twice (summed duplicates) is test if any copy is */
    for (k = test_from; k < test_to && k < nlines; k++) {
        int64_t pos = order ? order[perm[k]] : (int64_t)perm[k];
        if (pos >= 0 && pos < nnz)
            mask[pos] = 0;
    }
    core_free(perm);
    return CORE_OK;
}

int rec_bias_predict(spm *out, const rec_bias *b, const spm *P, const int64_t *row_map, const int64_t *col_map,
                     core_err *e)
{
    int64_t i;
    spm_ptr k;
    int rc = spm_alloc(out, P->rows, P->cols, SPM_NNZ(P), e);
    if (rc)
        return rc;
    memcpy(out->p, P->p, ((size_t)P->rows + 1) * sizeof *out->p);
    memcpy(out->j, P->j, (size_t)SPM_NNZ(P) * sizeof *out->j);
    for (i = 0; i < P->rows; i++) {
        int64_t r = row_map ? row_map[i] : i;
        double base = b->mu;
        if (r >= 0 && r < b->nrows && b->row_count[r] > 0)
            base += b->s * (b->row_mean[r] - b->mu);
        for (k = P->p[i]; k < P->p[i + 1]; k++) {
            int64_t c = col_map ? col_map[P->j[k]] : P->j[k];
            double v = base;
            if (c >= 0 && c < b->ncols && b->col_count[c] > 0)
                v += b->s * (b->col_mean[c] - b->mu);
            out->x[k] = v;
        }
    }
    out->rlab = spm_labels_retain(P->rlab);
    out->clab = spm_labels_retain(P->clab);
    return CORE_OK;
}

int rec_sample_mapped(spm *out, const mat *A, const mat *B, const spm *P, const int64_t *row_map,
                      const int64_t *col_map, core_err *e)
{
    char s1[48], s2[48];
    mat Bt;
    int64_t i;
    spm_ptr k;
    int rc;
    if (A->cols != B->rows)
        return core_err_set(e, CORE_EINVAL, "sample: %s and %s do not conform", mat_shape_str(A, s1, sizeof s1),
                            mat_shape_str(B, s2, sizeof s2));
    if (A->cols > 0x7fffffffu)
        return core_err_set(e, CORE_ETOOBIG, "sample: inner dimension %zu exceeds BLAS int limits", A->cols);
    if ((rc = mat_transpose(&Bt, B, e)))
        return rc;
    if ((rc = spm_alloc(out, P->rows, P->cols, SPM_NNZ(P), e))) {
        mat_release(&Bt);
        return rc;
    }
    memcpy(out->p, P->p, ((size_t)P->rows + 1) * sizeof *out->p);
    memcpy(out->j, P->j, (size_t)SPM_NNZ(P) * sizeof *out->j);
    for (i = 0; i < P->rows; i++) {
        int64_t r = row_map[i];
        for (k = P->p[i]; k < P->p[i + 1]; k++) {
            int64_t c = col_map[P->j[k]];
            out->x[k] = r >= 0 && c >= 0 && (size_t)r < A->rows && (size_t)c < B->cols
                            ? cblas_ddot((int)A->cols, A->x + (size_t)r * A->ld, 1, Bt.x + (size_t)c * Bt.ld, 1)
                            : 0.0;
        }
        if ((i & 0x3ff) == 0 && core_interrupted()) {
            mat_release(&Bt);
            spm_free(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
    }
    mat_release(&Bt);
    out->rlab = spm_labels_retain(P->rlab);
    out->clab = spm_labels_retain(P->clab);
    return CORE_OK;
}

static double clip_half(double v)
{
    v = floor(v * 2.0 + 0.5) / 2.0;
    return v < 0.5 ? 0.5 : v > 5.0 ? 5.0 : v;
}

/* index of the first cum[i] > u (cum ascending, cum[n-1] = 1) */
static size_t draw(const double *cum, size_t n, double u)
{
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int rec_synthetic(spm *R, const mat *P, const mat *Q, const mat *bi, const mat *bu, double mu, double noise,
                  double skew, int64_t nratings, rng *g, core_err *e)
{
    size_t items = P->rows, users = Q->rows, i, u, *rank = NULL;
    double *cum = NULL, *act = NULL, total = 0;
    int64_t *count = NULL, assigned = 0, n = 0;
    unsigned char *seen = NULL;
    spm_idx *si = NULL, *sj = NULL, *chosen = NULL;
    double *sx = NULL;
    int rc = CORE_OK;
    memset(R, 0, sizeof *R);
    if (P->cols != Q->cols || bi->rows * bi->cols != items || bu->rows * bu->cols != users)
        return core_err_set(e, CORE_EINVAL, "synthetic: factor and bias shapes do not conform");
    if (items == 0 || users == 0 || nratings < 0 || (double)nratings > (double)items * (double)users)
        return core_err_set(e, CORE_EINVAL, "synthetic: %lld ratings do not fit %zu items x %zu users",
                            (long long)nratings, items, users);
    if (items > SPM_IDX_MAX || users > SPM_IDX_MAX)
        return core_err_set(e, CORE_ETOOBIG, "synthetic: too many items or users");
    cum = core_malloc(items * sizeof *cum);
    rank = core_malloc(items * sizeof *rank);
    act = core_malloc(users * sizeof *act);
    count = core_malloc(users * sizeof *count);
    seen = core_calloc(items, 1);
    chosen = core_malloc(items * sizeof *chosen);
    si = core_malloc((size_t)(nratings ? nratings : 1) * sizeof *si);
    sj = core_malloc((size_t)(nratings ? nratings : 1) * sizeof *sj);
    sx = core_malloc((size_t)(nratings ? nratings : 1) * sizeof *sx);
    if (!cum || !rank || !act || !count || !seen || !chosen || !si || !sj || !sx) {
        rc = core_err_nomem(e, "synthetic", (double)nratings * 16);
        goto done;
    }
    /* item popularity: Zipf over a random ranking */
    rng_permutation(g, rank, items);
    for (i = 0; i < items; i++) {
        total += pow((double)rank[i] + 1.0, -skew);
        cum[i] = total;
    }
    for (i = 0; i < items; i++)
        cum[i] /= total;
    cum[items - 1] = 1.0;
    /* user activity: lognormal weights, counts summing to nratings, each in [0, items] */
    total = 0;
    for (u = 0; u < users; u++) {
        act[u] = exp(rng_normal(g));
        total += act[u];
    }
    for (u = 0; u < users; u++) {
        double c = floor((double)nratings * act[u] / total);
        count[u] = (int64_t)(c > (double)items ? (double)items : c);
        assigned += count[u];
    }
    for (u = 0; assigned < nratings; u = (u + 1) % users) /* hand out the remainder */
        if (count[u] < (int64_t)items) {
            count[u]++;
            assigned++;
        }
    for (u = 0; u < users; u++) {
        int64_t c, m = 0, tries = 0;
        for (c = 0; c < count[u]; c++) {
            size_t it;
            /* popularity draws; after many collisions fall back to uniform */
            do {
                it = tries < 20 * count[u] + 100 ? draw(cum, items, rng_uniform(g)) : (size_t)rng_interval(g, items - 1);
                tries++;
            } while (seen[it]);
            seen[it] = 1;
            chosen[m++] = (spm_idx)it;
        }
        for (c = 0; c < m; c++) {
            size_t it = (size_t)chosen[c];
            double v = mu + bi->x[it * (bi->cols == 1 ? bi->ld : 1)] + bu->x[u * (bu->cols == 1 ? bu->ld : 1)] +
                       noise * rng_normal(g);
            size_t r;
            for (r = 0; r < P->cols; r++)
                v += MAT_AT(P, it, r) * MAT_AT(Q, u, r);
            seen[it] = 0;
            si[n] = (spm_idx)it;
            sj[n] = (spm_idx)u;
            sx[n++] = clip_half(v);
        }
        if ((u & 0xfff) == 0 && core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "interrupted!");
            goto done;
        }
    }
    rc = spm_from_triplets_owned(R, (int64_t)items, (int64_t)users, &si, &sj, &sx, n, SPM_DUP_ERROR, e);
done:
    core_free(cum);
    core_free(rank);
    core_free(act);
    core_free(count);
    core_free(seen);
    core_free(chosen);
    core_free(si);
    core_free(sj);
    core_free(sx);
    return rc;
}
