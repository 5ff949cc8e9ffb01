/* Splits of a ratings matrix: the train/test partition by row and column
 * maps, and the mask of a random pairs split. */
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
