/* Matrix factorisation by SGD over blocks of ratings: see mf.h. */
#include <math.h>
#include <string.h>
#include "alloc.h"
#include "mf.h"
#include "par.h"
#include "rng.h"

typedef struct mf_ent {
    uint32_t r, c;
    float v;
} mf_ent;

typedef struct mf_state {
    int64_t k, rows, cols;
    float *P, *Q, *bi, *bu, mu, lr, reg, rb;
    int biases;
    mf_ent *ent;
    size_t start[MF_BLOCKS * MF_BLOCKS + 1]; /* block (a, b)'s entries: start[a * B + b] .. */
    int sub;                                 /* the sub-epoch: row block a takes column block (a + sub) % B */
} mf_state;

void mf_opts_default(mf_opts *o)
{
    o->k = 100;
    o->epochs = 20;
    o->lr = 0.005;
    o->reg = 0.02;
    o->reg_bias = 0.02;
    o->biases = 1;
    o->init_std = 0.1;
    o->seed = 1;
}

/* One SGD step per entry, in the block's order. The inner product sums in
 * eight lanes so that it vectorises without reassociating by hand later. */
SIMEC_HOT static void sgd_entries(const mf_state *s, const mf_ent *ent, size_t n)
{
    const int64_t K = s->k;
    const float lr = s->lr, reg = s->reg, rb = s->rb;
    size_t t;
    int64_t f, l;
    for (t = 0; t < n; t++) {
        float *p = s->P + (size_t)ent[t].r * (size_t)K, *q = s->Q + (size_t)ent[t].c * (size_t)K;
        float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0}, dot, err;
        if (t + 4 < n) { /* four entries ahead: their rows are scattered */
            const float *np = s->P + (size_t)ent[t + 4].r * (size_t)K, *nq = s->Q + (size_t)ent[t + 4].c * (size_t)K;
            for (f = 0; f < K; f += 16) {
                __builtin_prefetch(np + f, 1);
                __builtin_prefetch(nq + f, 1);
            }
        }
        for (f = 0; f + 8 <= K; f += 8)
            for (l = 0; l < 8; l++)
                acc[l] += p[f + l] * q[f + l];
        dot = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
        for (; f < K; f++)
            dot += p[f] * q[f];
        if (s->biases) {
            float *bi = &s->bi[ent[t].r], *bu = &s->bu[ent[t].c];
            err = ent[t].v - (s->mu + *bi + *bu + dot);
            *bi += lr * (err - rb * *bi);
            *bu += lr * (err - rb * *bu);
        } else
            err = ent[t].v - dot;
        for (f = 0; f < K; f++) {
            float pf = p[f], qf = q[f];
            p[f] = pf + lr * (err * qf - reg * pf);
            q[f] = qf + lr * (err * pf - reg * qf);
        }
    }
}

/* row blocks [a, b) of this sub-epoch */
static void sgd_blocks(void *ctx, int thread, int64_t a, int64_t b)
{
    const mf_state *s = ctx;
    int64_t r;
    (void)thread;
    for (r = a; r < b; r++) {
        size_t blk = (size_t)r * MF_BLOCKS + (size_t)((r + s->sub) % MF_BLOCKS);
        sgd_entries(s, s->ent + s->start[blk], s->start[blk + 1] - s->start[blk]);
    }
}

/* cut[0..B]: B ranges of n items holding about equal counts */
static void cut_even(const int64_t *count, int64_t n, int64_t total, int64_t *cut)
{
    int64_t i = 0, acc = 0, b;
    cut[0] = 0;
    for (b = 1; b < MF_BLOCKS; b++) {
        int64_t target = total / MF_BLOCKS * b;
        while (i < n && acc < target)
            acc += count[i++];
        cut[b] = i;
    }
    cut[MF_BLOCKS] = n;
}

typedef struct mf_pred {
    const mf_state *s;
    const spm *P;
    const int64_t *const *map;
    double *out, lo, hi;
} mf_pred;

static void predict_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const mf_pred *x = ctx;
    const mf_state *s = x->s;
    int64_t i, f;
    spm_ptr t;
    (void)thread;
    for (i = r0; i < r1; i++) {
        int64_t a = x->map[0] ? x->map[0][i] : i;
        for (t = x->P->p[i]; t < x->P->p[i + 1]; t++) {
            int64_t c = x->map[1] ? x->map[1][x->P->j[t]] : x->P->j[t];
            double y = s->biases ? (double)s->mu + (a >= 0 ? (double)s->bi[a] : 0.0) + (c >= 0 ? (double)s->bu[c] : 0.0)
                                 : 0.0;
            if (a >= 0 && c >= 0) {
                const float *p = s->P + (size_t)a * (size_t)s->k, *q = s->Q + (size_t)c * (size_t)s->k;
                for (f = 0; f < s->k; f++)
                    y += (double)p[f] * (double)q[f];
            }
            x->out[t] = y < x->lo ? x->lo : y > x->hi ? x->hi : y;
        }
    }
}

static int check(const spm *R, const int64_t *const map[2], const int64_t n_full[2], const spm *P,
                 const mf_opts *o, core_err *e)
{
    int s;
    if (o->k < 0 || o->k > 100000 || o->epochs < 0 || !(o->lr > 0 && isfinite(o->lr)) ||
        !(o->reg >= 0 && isfinite(o->reg)) || !(o->reg_bias >= 0 && isfinite(o->reg_bias)) ||
        !(o->init_std >= 0 && isfinite(o->init_std)))
        return core_err_set(e, CORE_EINVAL,
                            "mf: need k in 0..100000, epochs >= 0, lr > 0, reg, reg_bias and init_std >= 0 (finite)");
    if (SPM_NNZ(R) == 0)
        return core_err_set(e, CORE_EINVAL, "mf: no training ratings");
    if ((uint64_t)R->rows > UINT32_MAX || (uint64_t)R->cols > UINT32_MAX)
        return core_err_set(e, CORE_ETOOBIG, "mf: %lldx%lld training ratings exceed 2^32 rows or columns",
                            (long long)R->rows, (long long)R->cols);
    if (P->rows != n_full[0] || P->cols != n_full[1])
        return core_err_set(e, CORE_EINVAL, "mf: the pattern is %lldx%lld, the full space %lldx%lld",
                            (long long)P->rows, (long long)P->cols, (long long)n_full[0], (long long)n_full[1]);
    for (s = 0; s < 2; s++) {
        int64_t i, n_train = s ? R->cols : R->rows;
        if (!map[s]) {
            if (n_full[s] != n_train)
                return core_err_set(e, CORE_EINVAL, "mf: %s: the full space has %lld, the training ratings %lld and "
                                    "no map", s ? "columns" : "rows", (long long)n_full[s], (long long)n_train);
            continue;
        }
        for (i = 0; i < n_full[s]; i++)
            if (map[s][i] < -1 || map[s][i] >= n_train)
                return core_err_set(e, CORE_EINVAL, "mf: %s map entry %lld is %lld, not a training index or -1",
                                    s ? "column" : "row", (long long)i, (long long)map[s][i]);
    }
    return CORE_OK;
}

int mf_run(spm *out, double *trace, const spm *R, const int64_t *const map[2], const int64_t n_full[2],
           const spm *P, const mf_opts *o, core_err *e)
{
    mf_state s;
    mf_pred x;
    rng g;
    int64_t nnz = SPM_NNZ(R), i, f, ep, *count = NULL, rcut[MF_BLOCKS + 1], ccut[MF_BLOCKS + 1];
    unsigned char *cblock = NULL;
    size_t np, nq, fill[MF_BLOCKS * MF_BLOCKS], b;
    double lo = HUGE_VAL, hi = -HUGE_VAL, mean = 0;
    int rc, threads;
    spm_ptr t;
    memset(&s, 0, sizeof s);
    memset(out, 0, sizeof *out);
    if ((rc = check(R, map, n_full, P, o, e)))
        return rc;
    s.k = o->k, s.rows = R->rows, s.cols = R->cols, s.biases = o->biases;
    s.lr = (float)o->lr, s.reg = (float)o->reg, s.rb = (float)o->reg_bias;
    if (!core_mul2((size_t)R->rows, (size_t)(o->k ? o->k : 1), &np) ||
        !core_mul2((size_t)R->cols, (size_t)(o->k ? o->k : 1), &nq) || !core_mul2(np, sizeof(float), &np) ||
        !core_mul2(nq, sizeof(float), &nq))
        return core_err_set(e, CORE_ETOOBIG, "mf: %lld x %lld factors overflow", (long long)(R->rows + R->cols),
                            (long long)o->k);
    s.P = core_calloc(1, np), s.Q = core_calloc(1, nq);
    s.bi = core_calloc((size_t)R->rows + 1, sizeof(float)), s.bu = core_calloc((size_t)R->cols + 1, sizeof(float));
    s.ent = core_malloc((size_t)nnz * sizeof *s.ent);
    count = core_calloc((size_t)(R->rows > R->cols ? R->rows : R->cols) + 1, sizeof *count);
    cblock = core_malloc((size_t)R->cols + 1);
    if (!s.P || !s.Q || !s.bi || !s.bu || !s.ent || !count || !cblock) {
        rc = core_err_nomem(e, "mf", (double)np + (double)nq + (double)nnz * (double)sizeof *s.ent);
        goto done;
    }
    if ((rc = spm_copy(out, P, e)))
        goto done;
    for (t = 0; t < nnz; t++) {
        lo = R->x[t] < lo ? R->x[t] : lo;
        hi = R->x[t] > hi ? R->x[t] : hi;
        mean += R->x[t] / (double)nnz;
    }
    s.mu = o->biases ? (float)mean : 0.0f;
    /* blocks: rows and columns cut into ranges of about equal counts */
    for (i = 0; i < R->rows; i++)
        count[i] = R->p[i + 1] - R->p[i];
    cut_even(count, R->rows, nnz, rcut);
    rng_seed(&g, o->seed);
    for (i = 0; i < R->rows; i++) /* rows with ratings start random, the others stay zero */
        if (count[i])
            for (f = 0; f < o->k; f++)
                s.P[(size_t)i * (size_t)o->k + (size_t)f] = (float)(o->init_std * rng_normal(&g));
    memset(count, 0, (size_t)R->cols * sizeof *count);
    for (t = 0; t < nnz; t++)
        count[R->j[t]]++;
    cut_even(count, R->cols, nnz, ccut);
    for (i = 0; i < R->cols; i++)
        if (count[i])
            for (f = 0; f < o->k; f++)
                s.Q[(size_t)i * (size_t)o->k + (size_t)f] = (float)(o->init_std * rng_normal(&g));
    for (b = 0; b < MF_BLOCKS; b++)
        for (i = ccut[b]; i < ccut[b + 1]; i++)
            cblock[i] = (unsigned char)b;
    memset(fill, 0, sizeof fill);
    for (b = 0; b < MF_BLOCKS; b++)
        for (i = rcut[b]; i < rcut[b + 1]; i++)
            for (t = R->p[i]; t < R->p[i + 1]; t++)
                fill[b * MF_BLOCKS + cblock[R->j[t]]]++;
    s.start[0] = 0;
    for (b = 0; b < MF_BLOCKS * MF_BLOCKS; b++)
        s.start[b + 1] = s.start[b] + fill[b], fill[b] = s.start[b];
    for (b = 0; b < MF_BLOCKS; b++)
        for (i = rcut[b]; i < rcut[b + 1]; i++)
            for (t = R->p[i]; t < R->p[i + 1]; t++) {
                mf_ent *en = &s.ent[fill[b * MF_BLOCKS + cblock[R->j[t]]]++];
                en->r = (uint32_t)i, en->c = (uint32_t)R->j[t], en->v = (float)R->x[t];
            }
    for (b = 0; b < MF_BLOCKS * MF_BLOCKS; b++) { /* each block's order, drawn once */
        size_t n = s.start[b + 1] - s.start[b], q;
        mf_ent *en = s.ent + s.start[b];
        for (q = n; q > 1; q--) {
            size_t w = (size_t)rng_interval(&g, q - 1);
            mf_ent tmp = en[q - 1];
            en[q - 1] = en[w], en[w] = tmp;
        }
    }
    threads = nnz < 200000 ? 1 : par_threads();
    x.s = &s, x.P = P, x.map = map, x.out = out->x, x.lo = lo, x.hi = hi;
    for (ep = 0; ep < o->epochs; ep++) {
        for (s.sub = 0; s.sub < MF_BLOCKS; s.sub++)
            par_range(MF_BLOCKS, threads, sgd_blocks, &s);
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "mf: interrupted after %lld epochs", (long long)ep);
            goto done;
        }
        if (trace) {
            double ss = 0;
            par_rows(P, predict_rows, &x);
            for (t = 0; t < SPM_NNZ(P); t++)
                ss += (out->x[t] - P->x[t]) * (out->x[t] - P->x[t]);
            trace[ep] = SPM_NNZ(P) ? sqrt(ss / (double)SPM_NNZ(P)) : 0;
        }
    }
    par_rows(P, predict_rows, &x);
    rc = CORE_OK;
done:
    if (rc)
        spm_free(out);
    core_free(s.P), core_free(s.Q), core_free(s.bi), core_free(s.bu), core_free(s.ent);
    core_free(count), core_free(cblock);
    return rc;
}
