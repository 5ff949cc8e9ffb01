#include <math.h>
#include <string.h>
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
    int64_t i, ntrain = 0, last = -1;
    spm_ptr k, t = 0;
    size_t *ridx = NULL, *cidx = NULL;
    int rc, sorted = 1;
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    ridx = core_malloc((size_t)(train_rows ? train_rows : 1) * sizeof *ridx);
    cidx = core_malloc((size_t)(train_cols ? train_cols : 1) * sizeof *cidx);
    if (!ridx || !cidx) {
        rc = core_err_nomem(e, "split", (double)(train_rows + train_cols) * 8);
        goto fail;
    }
    /* the maps must be one-to-one onto the train space */
    memset(ridx, 0xff, (size_t)train_rows * sizeof *ridx);
    memset(cidx, 0xff, (size_t)train_cols * sizeof *cidx);
    for (i = 0; i < A->rows; i++)
        if (row_map[i] >= 0) {
            if (row_map[i] >= train_rows || ridx[row_map[i]] != (size_t)-1) {
                rc = core_err_set(e, CORE_EINVAL, "split: row map entry %lld out of range or repeated", (long long)i + 1);
                goto fail;
            }
            ridx[row_map[i]] = (size_t)i;
        }
    for (i = 0; i < A->cols; i++)
        if (col_map[i] >= 0) {
            if (col_map[i] >= train_cols || cidx[col_map[i]] != (size_t)-1) {
                rc = core_err_set(e, CORE_EINVAL, "split: column map entry %lld out of range or repeated",
                                  (long long)i + 1);
                goto fail;
            }
            cidx[col_map[i]] = (size_t)i;
            if (col_map[i] < last)
                sorted = 0; /* a permuted column order: rows need sorting afterwards */
            last = col_map[i];
        }
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
    for (i = 0; i < A->rows; i++)
        for (k = A->p[i]; k < A->p[i + 1]; k++)
            ntrain += is_train(row_map, col_map, entry_train, i, A->j[k], k);
    if ((rc = spm_alloc(test, A->rows, A->cols, SPM_NNZ(A) - ntrain, e)) ||
        (rc = spm_alloc(train, train_rows, train_cols, ntrain, e)))
        goto fail;
    /* train rows in train order, straight from the source rows */
    for (i = 0; i < train_rows; i++) {
        int64_t src = (int64_t)ridx[i];
        spm_ptr c = 0;
        for (k = A->p[src]; k < A->p[src + 1]; k++)
            c += is_train(row_map, col_map, entry_train, src, A->j[k], k);
        train->p[i + 1] = train->p[i] + c;
    }
    for (i = 0; i < A->rows; i++) {
        spm_ptr d = row_map[i] >= 0 ? train->p[row_map[i]] : 0;
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            if (is_train(row_map, col_map, entry_train, i, A->j[k], k)) {
                train->j[d] = (spm_idx)col_map[A->j[k]];
                train->x[d++] = A->x[k];
            } else {
                test->j[t] = A->j[k];
                test->x[t++] = A->x[k];
            }
        }
        test->p[i + 1] = t;
    }
    if (!sorted)
        spm_sort_rows(train);
    test->rlab = spm_labels_retain(A->rlab);
    test->clab = spm_labels_retain(A->clab);
    if ((A->rlab && !(train->rlab = spm_labels_select(A->rlab, ridx, (size_t)train_rows, e))) ||
        (A->clab && !(train->clab = spm_labels_select(A->clab, cidx, (size_t)train_cols, e)))) {
        rc = e ? e->code : CORE_ENOMEM;
        goto fail;
    }
    core_free(ridx);
    core_free(cidx);
    return CORE_OK;
fail:
    core_free(ridx);
    core_free(cidx);
    spm_free(train);
    spm_free(test);
    return rc;
}

int rec_pairs_mask(unsigned char *mask, int64_t nnz, const double *order, int64_t nlines, rng *g,
                   int64_t test_from, int64_t test_to, core_err *e)
{
    uint32_t *perm;
    unsigned char *test_line;
    int64_t k;
    if (nlines < 0 || nlines > (int64_t)UINT32_MAX)
        return core_err_set(e, CORE_ETOOBIG, "split: %lld ratings are too many", (long long)nlines);
    perm = core_malloc((size_t)(nlines ? nlines : 1) * sizeof *perm);
    test_line = core_calloc((size_t)(nlines ? nlines : 1), 1);
    if (!perm || !test_line) {
        core_free(perm);
        core_free(test_line);
        return core_err_nomem(e, "split", (double)nlines * 5);
    }
    rng_permutation32(g, perm, (uint32_t)nlines);
    for (k = test_from < 0 ? 0 : test_from; k < test_to && k < nlines; k++)
        test_line[perm[k]] = 1;
    core_free(perm);
    /* every stored entry starts as train; a line in the test range makes
     * its entry test (also when a duplicate line of it trains) */
    memset(mask, 1, (size_t)nnz);
    for (k = 0; k < nlines; k++) {
        int64_t pos = order ? (int64_t)order[k] - 1 : k;
        if (pos < 0 || pos >= nnz) {
            core_free(test_line);
            return core_err_set(e, CORE_EINVAL, "split: order entry %lld out of range", (long long)k + 1);
        }
        if (test_line[k])
            mask[pos] = 0;
    }
    core_free(test_line);
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

int rec_bias_residuals(spm *out, const rec_bias *b, const spm *A, core_err *e)
{
    int64_t k, nnz = SPM_NNZ(A);
    int rc = rec_bias_predict(out, b, A, NULL, NULL, e);
    if (rc)
        return rc;
    for (k = 0; k < nnz; k++)
        out->x[k] = A->x[k] - out->x[k];
    return CORE_OK;
}

int rec_stats(const spm *A, double *sum, mat *row_mean, mat *row_count, mat *col_mean, mat *col_count,
              core_err *e)
{
    int64_t i, c;
    spm_ptr k;
    double total = 0;
    int rc;
    memset(row_mean, 0, sizeof *row_mean), memset(row_count, 0, sizeof *row_count);
    memset(col_mean, 0, sizeof *col_mean), memset(col_count, 0, sizeof *col_count);
    if ((rc = mat_init(row_mean, (size_t)A->rows, 1, e)) || (rc = mat_init(row_count, (size_t)A->rows, 1, e)) ||
        (rc = mat_init(col_mean, 1, (size_t)A->cols, e)) || (rc = mat_init(col_count, 1, (size_t)A->cols, e))) {
        mat_release(row_mean), mat_release(row_count), mat_release(col_mean), mat_release(col_count);
        return rc;
    }
    for (i = 0; i < A->rows; i++) {
        double rs = 0;
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            rs += A->x[k];
            col_mean->x[A->j[k]] += A->x[k];
            col_count->x[A->j[k]] += 1.0;
        }
        total += rs;
        row_count->x[i] = (double)(A->p[i + 1] - A->p[i]);
        row_mean->x[i] = row_count->x[i] > 0 ? rs / row_count->x[i] : 0.0;
    }
    for (c = 0; c < A->cols; c++)
        if (col_count->x[c] > 0)
            col_mean->x[c] /= col_count->x[c];
    *sum = total;
    return CORE_OK;
}

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
