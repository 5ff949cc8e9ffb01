/* Negative sampling for implicit feedback: a batch's targets are its rows'
 * stored entries (positives, values as stored) plus, per row, ratio times
 * as many columns drawn from the missing ones (value 0), uniformly or in
 * proportion to the columns' popularity, fresh for every batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "simec_impl.h"

typedef struct cv {
    spm_idx j;
    double x;
} cv;

static int by_col(const void *a, const void *b)
{
    spm_idx x = ((const cv *)a)->j, y = ((const cv *)b)->j;
    return (x > y) - (x < y);
}

int simec_negatives_init(simec_neg *s, const spm *T, double ratio, int popularity, core_err *e)
{
    int64_t k;
    size_t c, n = (size_t)T->cols;
    memset(s, 0, sizeof *s);
    s->ratio = ratio;
    if (!(s->seen = core_calloc(n ? n : 1, 1)))
        return core_err_nomem(e, "negative sampling", (double)n);
    if (popularity) { /* cumulative column counts (plus one, so no column is impossible) */
        if (!(s->cdf = core_malloc((n ? n : 1) * sizeof *s->cdf))) {
            s->seen = core_free(s->seen);
            return core_err_nomem(e, "negative sampling", (double)n * 8);
        }
        for (c = 0; c < n; c++)
            s->cdf[c] = 1.0;
        for (k = 0; k < SPM_NNZ(T); k++)
            s->cdf[T->j[k]] += 1.0;
        for (c = 1; c < n; c++)
            s->cdf[c] += s->cdf[c - 1];
    }
    return CORE_OK;
}

void simec_negatives_free(simec_neg *s)
{
    core_free(s->seen);
    core_free(s->cdf);
    memset(s, 0, sizeof *s);
}

static spm_idx draw(const simec_neg *s, size_t n, rng *g)
{
    size_t lo = 0, hi;
    double u;
    if (!s->cdf)
        return (spm_idx)rng_interval(g, (uint64_t)n - 1);
    u = rng_uniform(g) * s->cdf[n - 1];
    for (hi = n - 1; lo < hi;) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->cdf[mid] <= u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (spm_idx)lo;
}

int simec_negatives_batch(simec_neg *s, const spm *T, const size_t *rows, size_t n, rng *g, spm *out, core_err *e)
{
    size_t r, total = 0, cols = (size_t)T->cols, at = 0, maxrow = 0;
    cv *buf = NULL;
    int rc;
    for (r = 0; r < n; r++) {
        size_t pos = (size_t)(T->p[rows[r] + 1] - T->p[rows[r]]);
        size_t neg = (size_t)ceil(s->ratio * (double)pos);
        if (neg > cols - pos) /* fit counts these rows and the binding warns */
            neg = cols - pos;
        total += pos + neg;
        if (pos + neg > maxrow)
            maxrow = pos + neg;
    }
    if ((rc = spm_alloc(out, (int64_t)n, (int64_t)cols, (int64_t)total, e)))
        return rc;
    if (!(buf = core_malloc((maxrow ? maxrow : 1) * sizeof *buf))) {
        spm_free(out);
        return core_err_nomem(e, "negative sampling", (double)maxrow * 16);
    }
    out->p[0] = 0;
    for (r = 0; r < n; r++) {
        spm_ptr b = T->p[rows[r]], end = T->p[rows[r] + 1], t;
        size_t pos = (size_t)(end - b), neg = (size_t)ceil(s->ratio * (double)pos), got = 0, tries = 0, k;
        if (neg > cols - pos)
            neg = cols - pos;
        for (t = b; t < end; t++)
            buf[got].j = T->j[t], buf[got++].x = T->x[t];
        /* distinct missing columns; the cap on tries ends popularity draws
         * that keep hitting the row's own (popular) positives */
        while (got < pos + neg && tries++ < 50 * neg + 100) {
            spm_idx c = draw(s, cols, g);
            if (s->seen[c] || spm_find(T, (int64_t)rows[r], c) >= 0)
                continue;
            s->seen[c] = 1;
            buf[got].j = c, buf[got++].x = 0.0;
        }
        for (k = pos; k < got; k++)
            s->seen[buf[k].j] = 0;
        qsort(buf, got, sizeof *buf, by_col);
        for (k = 0; k < got; k++, at++)
            out->j[at] = buf[k].j, out->x[at] = buf[k].x;
        out->p[r + 1] = (spm_ptr)at;
    }
    core_free(buf);
    return CORE_OK;
}
