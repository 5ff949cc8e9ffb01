/* Synthetic ratings with heavy-tailed activity, Zipf popularity and a
 * low-rank signal. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "rec.h"

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
