/* Negative sampling for implicit feedback: a batch's targets are its rows'
 * stored entries (positives, values as stored) plus, per row, ratio times
 * as many columns drawn from the missing ones (value 0), uniformly or in
 * proportion to the columns' popularity, fresh for every batch. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "alloc.h"
#include "simec_impl.h"

static int by_idx(const void *a, const void *b)
{
    spm_idx x = *(const spm_idx *)a, y = *(const spm_idx *)b;
    return (x > y) - (x < y);
}

/* Ascending; a row's negatives are often a handful, where qsort's calls
 * through a comparator cost more than the sort itself. */
static void sort_idx(spm_idx *v, size_t n)
{
    size_t i, k;
    if (n > 32) {
        qsort(v, n, sizeof *v, by_idx);
        return;
    }
    for (i = 1; i < n; i++) {
        spm_idx x = v[i];
        for (k = i; k > 0 && v[k - 1] > x; k--)
            v[k] = v[k - 1];
        v[k] = x;
    }
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
    size_t r, total = 0, cols = (size_t)T->cols, at = 0, maxneg = 0;
    spm_idx *buf = NULL;
    int rc;
    for (r = 0; r < n; r++) {
        size_t pos = (size_t)(T->p[rows[r] + 1] - T->p[rows[r]]);
        size_t neg = (size_t)ceil(s->ratio * (double)pos);
        if (neg > cols - pos) /* fit counts these rows and the binding warns */
            neg = cols - pos;
        total += pos + neg;
        if (neg > maxneg)
            maxneg = neg;
    }
    if ((rc = spm_alloc(out, (int64_t)n, (int64_t)cols, (int64_t)total, e)))
        return rc;
    if (!(buf = core_malloc((maxneg ? maxneg : 1) * sizeof *buf))) {
        spm_free(out);
        return core_err_nomem(e, "negative sampling", (double)maxneg * sizeof *buf);
    }
    out->p[0] = 0;
    for (r = 0; r < n; r++) {
        spm_ptr b = T->p[rows[r]], end = T->p[rows[r] + 1], t;
        size_t pos = (size_t)(end - b), neg = (size_t)ceil(s->ratio * (double)pos), got = 0, tries = 0, k;
        if (neg > cols - pos)
            neg = cols - pos;
        /* the row's positives are marked like its drawn columns, so a draw
         * is tested with one lookup */
        for (t = b; t < end; t++)
            s->seen[T->j[t]] = 1;
        /* distinct missing columns; the cap on tries ends popularity draws
         * that keep hitting the row's own (popular) positives */
        while (got < neg && tries++ < 50 * neg + 100) {
            spm_idx c = draw(s, cols, g);
            if (s->seen[c])
                continue;
            s->seen[c] = 2;
            buf[got++] = c;
        }
        /* the negatives in column order: read off the marks when they are
         * a good share of the columns, else sorted */
        if (got * 8 >= cols) {
            for (k = 0, t = 0; k < got && t < (spm_ptr)cols; t++)
                if (s->seen[t] == 2)
                    buf[k++] = (spm_idx)t;
        } else {
            sort_idx(buf, got);
        }
        for (t = b; t < end; t++)
            s->seen[T->j[t]] = 0;
        for (k = 0; k < got; k++)
            s->seen[buf[k]] = 0;
        /* the positives (stored in column order) merged with the negatives */
        for (t = b, k = 0; t < end || k < got; at++)
            if (k == got || (t < end && T->j[t] < buf[k]))
                out->j[at] = T->j[t], out->x[at] = T->x[t], t++;
            else
                out->j[at] = buf[k++], out->x[at] = 0.0;
        out->p[r + 1] = (spm_ptr)at;
    }
    core_free(buf);
    return CORE_OK;
}
