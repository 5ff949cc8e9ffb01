#include <math.h>
#include <string.h>
#include "alloc.h"
#include "bfm.h"
#include "par.h"
#include "rng.h"

/* Hyper-priors as in libFM: Gamma(1, 1) on precisions (shape and rate
 * halved below), N(0, 1/(gamma0 lambda)) on group means. */
#define HYPER_A 1.0
#define HYPER_B 1.0
#define HYPER_GAMMA0 1.0

typedef struct group {
    double mu_w, lam_w;
    double *mu_v, *lam_v; /* k each */
} group;

/* the prior mean and precision of kind f: the linear weights (f < 0) or factor f */
static double group_mu(const group *g, int64_t f) { return f < 0 ? g->mu_w : g->mu_v[f]; }
static double group_lam(const group *g, int64_t f) { return f < 0 ? g->lam_w : g->lam_v[f]; }

/* One side (items or users) of the ratings. */
typedef struct side_state {
    int64_t n, nid, nf; /* train rows; id columns (n or 0); feature columns */
    int link;           /* ids and features: features give the ids' prior means */
    int64_t nlik;       /* columns in the likelihood: nid, plus nf without link */
    spm Ft;             /* the train rows' features, transposed: nf x n */
    unsigned char *ones; /* nf: the column's values are all 1 (one-hot, tags), whose products need no multiply */
    /* ratings of train row r: t in ptr[r] .. ptr[r+1], with value y[t]
     * and the other side's index oth[t] */
    const spm_ptr *ptr;
    const double *y;
    const spm_idx *oth;
    double *w, *V;     /* nid + nf; (nid + nf) x k (with link the feature part holds beta) */
    double *Q;         /* n x kp, each row's factors padded with zeros: a pass gathers a block of them at once */
    double *L;         /* n: each train row's linear part (ids and likelihood features), kept like Q */
    double *off_w, *off_V; /* link: x_r . beta of each train row's id: n; n x k */
    double *lin, *Qf;  /* full space: linear part and factors of each new row (full_rows) */
    /* every full-space row's linear part and factors: a train row's L and
     * Q, which the predictions read where the passes keep them (copying
     * them would write lines the other thread reads), a new row's lin and
     * Qf */
    const double **lrow, **qrow;
    group g[2];        /* ids, features */
} side_state;
#define NO_ROW ((size_t)-1)

typedef struct bfm {
    int64_t k, kp; /* factors; k rounded up to a whole number of blocks (BW) */
    double w0, alpha;
    /* the residuals y - prediction of the side being drawn, in its order:
     * its first pass computes them from the ratings and both sides'
     * parameters, so no pass brings them back to the other side's order */
    double *e;
    double *stat;         /* 2 x rows: each row's sums of squared and plain residuals at the sweep's start */
    double *z;            /* a side's likelihood columns: their normal draws for the kinds of one block */
    double *th;           /* 2 x the larger side's ids: one kind's parameters and prior means, contiguous */
    int64_t nth;          /* the larger side's ids */
    int wide;             /* core_wide(), asked once a run */
    rng g;
    side_state s[2];
    /* The next side's first normals, drawn ahead on another thread while
     * this side's last block is drawn (see pre_normals) */
    struct {
        int side;   /* whose they are, -1: none */
        rng start;  /* where the generator must stand for them to be the draws */
        rng end;    /* and where it stands after them */
        double *z;  /* NK x the wider side's likelihood columns, swapped with b->z when used */
        int64_t ndraw, m; /* the block's normals, and how many of them are drawn (end stands after them) */
        int stop;   /* set when the block's draws are done: the normals left are the pass's to draw */
    } pre;
    int64_t nnz;       /* training ratings (the noise precision's shape) */
    int64_t pre_used;  /* how many times the normals drawn ahead were the draws (tests) */
} bfm;

/* A side's parameters are drawn one kind at a time (the linear weights,
 * then each factor). At a rating of train row r the prediction's slope in
 * a parameter of column j is d_rj * g with g = 1 (linear) or the other
 * side's factor f, so with per-row sums S2_r = sum g^2 and E_r = sum e g
 * the conditional posterior of every column's parameter needs no pass over
 * the ratings: a change delta moves E_r by -delta d_rj S2_r exactly. The
 * same holds across kinds: once kind a has moved row r's value by dq_a,
 * kind b's E_r is sum e g_b - dq_a sum g_a g_b. So one pass over the
 * ratings forms each row's sums for a block of kinds and their cross
 * products, the block's kinds are drawn from those alone, and the next
 * pass brings the residuals (and Q) up to date with the block's changes
 * while it forms the next block's sums; the first pass computes the
 * residuals from the ratings, and the last block's changes move only
 * the rows' parameters: ceil(K / BW) passes a side rather than K + 2. A
 * pass streams the residuals; the cross products add arithmetic, not
 * memory traffic. */
#define BW 8                /* factors in a block; the first block also holds the linear weights */
#define NK (BW + 1)         /* kinds in a block: slot 0 is the linear one */
#define PAIR(a, b) ((b) * ((b) + 1) / 2 + (a)) /* slots a <= b: sum g_a g_b */
#define SLOT_E(b) (NK * (NK + 1) / 2 + (b))     /* sum e g_b */
#define SLOT_DQ(b) (NK * (NK + 1) / 2 + NK + (b)) /* the change of slot b's value */
#define NSLOT (NK * (NK + 1) / 2 + 2 * NK)

/* Work that the threads share: thread 0 first runs lead (if any), then
 * every thread takes chunks of rows. The chunks hold about equal weight,
 * so they balance whatever lead costs; each chunk's results are its rows'
 * own, so they do not depend on which thread takes it. Each thread owns a
 * run of chunks and takes them from the front, then takes what is left
 * of the others' runs from their backs: a row then stays with one thread
 * from pass to pass, and so do its sums, its factors and its residuals.
 * Taking chunks in turn sent about half of them to the other core at
 * every pass, and a cache line between the cores of this kind of
 * machine can take a quarter of a microsecond (docs/benchmarks.md). */
#define CHUNKS 64
typedef struct shared {
    void (*lead)(void *ctx);
    void *lead_ctx;
    void (*extra)(void *ctx); /* run first by the second thread (by thread 0 after lead when alone) */
    void *extra_ctx;
    par_fn rows;
    void *rows_ctx;
    int64_t cut[CHUNKS + 1];
    int nchunk, nrun;
    int run[PAR_MAX]; /* chunks lo .. hi - 1 of thread t's run not yet taken: lo | hi << 16 */
} shared;

/* the c-th chunk ends where c shares of the total weight (cum) are
 * reached, the last at n; empty chunks are dropped */
static void shared_cut(shared *w, int64_t n, const spm_ptr *cum)
{
    int64_t total = cum[n] - cum[0], r = 0;
    int c;
    w->cut[0] = 0, w->nchunk = 0;
    for (c = 1; c <= CHUNKS; c++) {
        int64_t lo = c == CHUNKS ? n : par_first_reaching(cum, r, n, cum[0] + total / CHUNKS * c);
        if (lo > r)
            w->cut[++w->nchunk] = r = lo;
    }
}

/* the first (front) or last chunk not yet taken of a run, or -1 */
static int take(int *run, int front)
{
    int st = __atomic_load_n(run, __ATOMIC_RELAXED);
    for (;;) {
        int lo = st & 0xffff, hi = st >> 16;
        if (lo >= hi)
            return -1;
        if (__atomic_compare_exchange_n(run, &st, front ? (lo + 1) | (hi << 16) : lo | ((hi - 1) << 16), 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            return front ? lo : hi - 1;
    }
}

static void shared_job(void *ctx, int thread, int64_t r0, int64_t r1)
{
    shared *w = ctx;
    int c, k;
    (void)r0, (void)r1;
    if (thread == 0 && w->lead)
        w->lead(w->lead_ctx);
    if (thread == (w->nrun > 1) && w->extra)
        w->extra(w->extra_ctx);
    for (k = 0; k < w->nrun; k++) {
        int *run = &w->run[(thread + k) % w->nrun];
        while ((c = take(run, k == 0)) >= 0)
            w->rows(w->rows_ctx, thread, w->cut[c], w->cut[c + 1]);
    }
}

static void shared_run(shared *w, int threads)
{
    int t;
    w->nrun = threads < 1 ? 1 : threads > PAR_MAX ? PAR_MAX : threads;
    for (t = 0; t < w->nrun; t++)
        w->run[t] = w->nchunk * t / w->nrun | (w->nchunk * (t + 1) / w->nrun) << 16;
    par_range(w->nrun, w->nrun, shared_job, w);
}

typedef struct pass {
    side_state *S;
    const double *Qo;   /* the other side's factors: rows of kp */
    const double *Lo;   /* and its linear parts */
    int64_t kp;
    double *e;          /* residuals in the order of S's ratings */
    double w0;          /* the global bias the first pass's residuals take */
    int64_t prev, next; /* blocks whose changes to apply (-1: none, the first pass) and whose sums to form */
    double shift;       /* a change of w0 the residuals do not have yet (the row side's second pass) */
    double *W;          /* NSLOT x S->n, slot-major: the current block's sums and changes */
    double *stat;       /* 2 x S->n or NULL: each row's sums of squared and plain residuals in the first pass */
    int wide;           /* row_sums_wide forms the sums (core_wide()) */
    /* thread 0 draws the next block's normals (ndraw into z from g: the
     * generator's sequence is the same as drawing them kind by kind) while
     * the others start on the rows */
    rng *g;
    double *z;
    int64_t ndraw;
} pass;

/* the other side's factors when there are none: every block reads zeros */
static const double zero_block[BW];

/* Four factors of a row of Q (rows need not be aligned): generic vectors,
 * AVX2 in the x86-64-v3 clone, SSE pairs otherwise. A block is two. */
typedef double qvec __attribute__((vector_size(32), aligned(8)));
typedef char bfm_block_is_two_qvecs[BW == 2 * sizeof(qvec) / sizeof(double) ? 1 : -1];

/* A row's block sums into W's slots: its rating count, the sums of its
 * residuals (se) and of each factor (S) and of residual x factor (E), and
 * the cross products M (row a, column c <= a, BW x BW row-major); the
 * changes start at 0 */
static void put_sums(double *restrict W, int64_t n, int64_t r, spm_ptr count, double se, const double *S,
                     const double *E, const double *M)
{
    int a, c;
    W[PAIR(0, 0) * n + r] = (double)count;
    W[SLOT_E(0) * n + r] = se;
    W[SLOT_DQ(0) * n + r] = 0;
    for (a = 0; a < BW; a++) {
        W[PAIR(0, a + 1) * n + r] = S[a];
        W[SLOT_E(a + 1) * n + r] = E[a];
        W[SLOT_DQ(a + 1) * n + r] = 0;
        for (c = 0; c <= a; c++)
            W[PAIR(c + 1, a + 1) * n + r] = M[a * BW + c];
    }
}

/* Row r's sums over its ratings t0..t1 into W, for the block whose
 * factors start at q: the cross products in two loops over the row (the
 * four left columns, then the lower right square) so that each keeps its
 * sums in registers. */
SIMEC_HOT static void row_sums(const pass *p, const double *q, spm_ptr t0, spm_ptr t1, int64_t r)
{
    const spm_idx *oth = p->S->oth;
    const int64_t kp = p->kp, n = p->S->n;
    const double *e = p->e;
    double se = 0, Sv[BW], Ev[BW], M[BW * BW];
    qvec L[BW], H[BW / 2], E0 = {0}, E1 = {0}, S0 = {0}, S1 = {0};
    spm_ptr t;
    int a, c;
    for (a = 0; a < BW; a++)
        L[a] = (qvec){0};
    for (a = 0; a < BW / 2; a++)
        H[a] = (qvec){0};
    for (t = t0; t < t1; t++) {
        const double *g = q + (int64_t)oth[t] * kp;
        const qvec g0 = *(const qvec *)g, g1 = *(const qvec *)(g + BW / 2);
        double v = e[t];
        se += v;
        E0 += v * g0;
        E1 += v * g1;
        for (a = 0; a < BW; a++)
            L[a] += g[a] * g0;
    }
    for (t = t0; t < t1; t++) {
        const double *g = q + (int64_t)oth[t] * kp;
        const qvec g0 = *(const qvec *)g, g1 = *(const qvec *)(g + BW / 2);
        S0 += g0;
        S1 += g1;
        for (a = 0; a < BW / 2; a++)
            H[a] += g[BW / 2 + a] * g1;
    }
    for (a = 0; a < BW; a++) {
        Sv[a] = a < BW / 2 ? S0[a] : S1[a - BW / 2];
        Ev[a] = a < BW / 2 ? E0[a] : E1[a - BW / 2];
        for (c = 0; c <= a; c++)
            M[a * BW + c] = c < BW / 2 ? L[a][c] : H[a - BW / 2][c - BW / 2];
    }
    put_sums(p->W, n, r, t1 - t0, se, Sv, Ev, M);
}

#ifdef SIMEC_WIDE
typedef double zvec __attribute__((vector_size(64), aligned(8)));
typedef char bfm_block_is_a_zvec[BW == sizeof(zvec) / sizeof(double) ? 1 : -1];

/* row_sums where AVX-512 has 32 registers: a rating's block of factors
 * is one vector g, and the 36 products of the lower triangle are five
 * vectors g x (g rotated by s lanes), s = 0..4: lane i holds g[i] g[i+s]
 * (indices mod 8), so a product with a - c = d sits at s = d, lane c, or
 * at s = 8 - d, lane a. Five multiplies and adds a rating where the whole
 * square takes eight, and one gather of each row instead of two. Every
 * sum adds the same products (a product's two factors commute exactly)
 * in the same order as row_sums's (the build does not fuse multiply-adds),
 * so the draws are the same. */
SIMEC_WIDE static void row_sums_wide(const pass *p, const double *q, spm_ptr t0, spm_ptr t1, int64_t r)
{
    const spm_idx *oth = p->S->oth;
    const int64_t kp = p->kp, n = p->S->n;
    const double *e = p->e;
    double se = 0, M[BW * BW];
    zvec R0 = {0}, R1 = {0}, R2 = {0}, R3 = {0}, R4 = {0}, E = {0}, S = {0};
    spm_ptr t;
    int a, c;
    for (t = t0; t < t1; t++) {
        const zvec gv = *(const zvec *)(q + (int64_t)oth[t] * kp);
        double v = e[t];
        se += v;
        E += v * gv;
        S += gv;
        R0 += gv * gv;
        R1 += gv * __builtin_shufflevector(gv, gv, 1, 2, 3, 4, 5, 6, 7, 0);
        R2 += gv * __builtin_shufflevector(gv, gv, 2, 3, 4, 5, 6, 7, 0, 1);
        R3 += gv * __builtin_shufflevector(gv, gv, 3, 4, 5, 6, 7, 0, 1, 2);
        R4 += gv * __builtin_shufflevector(gv, gv, 4, 5, 6, 7, 0, 1, 2, 3);
    }
    {
        const zvec *R[5] = {&R0, &R1, &R2, &R3, &R4};
        for (a = 0; a < BW; a++)
            for (c = 0; c <= a; c++)
                M[a * BW + c] = a - c <= BW / 2 ? (*R[a - c])[c] : (*R[BW - (a - c)])[a];
    }
    put_sums(p->W, n, r, t1 - t0, se, (const double *)&S, (const double *)&E, M);
}
#endif

/* What a block's changes d0, d1 (and dl of the linear weight) move the
 * prediction of a rating by whose other side's factors start at g */
static inline double row_change(const double *g, const qvec *d0, const qvec *d1, double dl)
{
    const qvec m = *d0 * *(const qvec *)g + *d1 * *(const qvec *)(g + BW / 2);
    return dl + ((m[0] + m[1]) + (m[2] + m[3]));
}

/* The four sums (m0 + m1) + (m2 + m3) of four ratings' products m at
 * once, transposed into one vector, each added in row_change's order,
 * where one rating at a time spends a shuffle and an addition per sum on
 * a single lane */
static inline void lanes4(const qvec m[4], qvec *out)
{
    /* (a0 + a1, b0 + b1, a2 + a3, b2 + b3) for ratings a, b; likewise c, d */
    const qvec pair01 = __builtin_shufflevector(m[0], m[1], 0, 4, 2, 6) + __builtin_shufflevector(m[0], m[1], 1, 5, 3, 7);
    const qvec pair23 = __builtin_shufflevector(m[2], m[3], 0, 4, 2, 6) + __builtin_shufflevector(m[2], m[3], 1, 5, 3, 7);
    *out = __builtin_shufflevector(pair01, pair23, 0, 1, 4, 5) + __builtin_shufflevector(pair01, pair23, 2, 3, 6, 7);
}

/* row_change of four ratings at once (g[0..3]) into out */
static inline void row_change4(const double *const g[4], const qvec *d0, const qvec *d1, double dl, double *out)
{
    qvec m[4], sum;
    int i;
    for (i = 0; i < 4; i++)
        m[i] = *d0 * *(const qvec *)g[i] + *d1 * *(const qvec *)(g[i] + BW / 2);
    lanes4(m, &sum);
    sum = dl + sum;
    memcpy(out, &sum, sizeof sum);
}

/* The products of the kp factors at q and at g, a block's halves added
 * lane by lane and the blocks' sums after them */
static inline void row_prod(const double *g, const double *q, int64_t kp, qvec *out)
{
    qvec m = *(const qvec *)q * *(const qvec *)g + *(const qvec *)(q + BW / 2) * *(const qvec *)(g + BW / 2);
    int64_t f;
    for (f = BW; f < kp; f += BW)
        m += *(const qvec *)(q + f) * *(const qvec *)(g + f) +
             *(const qvec *)(q + f + BW / 2) * *(const qvec *)(g + f + BW / 2);
    *out = m;
}

/* Row r's residuals from its ratings and the current parameters of both
 * sides (a side's first pass), and their sums of squares and plain sums
 * in stat: computing them costs a dot product a rating, where bringing
 * them from the other side's order costs a read and a write at random,
 * half of them in lines the other thread holds */
static inline __attribute__((always_inline)) void fresh_body(const pass *p, spm_ptr t0, spm_ptr t1, int64_t r,
                                                              const int64_t kp)
{
    const side_state *S = p->S;
    const spm_idx *oth = S->oth;
    const double *y = S->y, *Lo = p->Lo, *Qo = p->Qo, *q = S->Q + r * kp, base = p->w0 + S->L[r];
    double *restrict e = p->e, ss, sm;
    /* the sums run four to a vector: one rating at a time they would be
     * two chains of dependent additions, longer than the rest of the loop */
    qvec ss4 = {0}, sm4 = {0};
    spm_ptr t;
    for (t = t0; t + 4 <= t1; t += 4) {
        qvec c = {0}, v, yv;
        int i;
        if (kp) {
            qvec m[4];
            for (i = 0; i < 4; i++)
                row_prod(Qo + (int64_t)oth[t + i] * kp, q, kp, &m[i]);
            lanes4(m, &c);
        }
        memcpy(&yv, y + t, sizeof yv);
        v = yv - ((base + (qvec){Lo[oth[t]], Lo[oth[t + 1]], Lo[oth[t + 2]], Lo[oth[t + 3]]}) + c);
        memcpy(e + t, &v, sizeof v);
        ss4 += v * v;
        sm4 += v;
    }
    ss = (ss4[0] + ss4[1]) + (ss4[2] + ss4[3]);
    sm = (sm4[0] + sm4[1]) + (sm4[2] + sm4[3]);
    for (; t < t1; t++) {
        double c = 0, v;
        if (kp) {
            qvec m;
            row_prod(Qo + (int64_t)oth[t] * kp, q, kp, &m);
            c = (m[0] + m[1]) + (m[2] + m[3]);
        }
        v = y[t] - ((base + Lo[oth[t]]) + c);
        e[t] = v;
        ss += v * v;
        sm += v;
    }
    if (p->stat) {
        p->stat[2 * r] = ss;
        p->stat[2 * r + 1] = sm;
    }
}

/* one block of factors, the common case, with its loop unrolled */
SIMEC_HOT static void row_fresh(const pass *p, spm_ptr t0, spm_ptr t1, int64_t r)
{
    if (p->kp == BW)
        fresh_body(p, t0, t1, r, BW);
    else
        fresh_body(p, t0, t1, r, p->kp);
}

/* Row r's L and Q moved by the changes of block blk in W */
static void row_update(side_state *S, const double *W, int64_t kp, int64_t blk, int64_t r)
{
    const int64_t n = S->n;
    int a;
    S->L[r] += W[SLOT_DQ(0) * n + r];
    if (kp)
        for (a = 0; a < BW; a++)
            S->Q[r * kp + blk * BW + a] += W[SLOT_DQ(a + 1) * n + r];
}

/* Brings row r's residuals up to date with the changes of block prev
 * and of w0 (shift), then its parameters */
SIMEC_HOT static void row_apply(const pass *p, spm_ptr t0, spm_ptr t1, int64_t r)
{
    side_state *S = p->S;
    const spm_idx *oth = S->oth;
    const int64_t kp = p->kp, n = S->n;
    const double *q = kp ? p->Qo + p->prev * BW : zero_block, *W = p->W;
    const double de = W[SLOT_DQ(0) * n + r] + p->shift;
    double *restrict e = p->e;
    qvec d0, d1;
    spm_ptr t;
    int a;
    for (a = 0; a < BW / 2; a++) {
        d0[a] = W[SLOT_DQ(a + 1) * n + r];
        d1[a] = W[SLOT_DQ(a + 1 + BW / 2) * n + r];
    }
    for (t = t0; t + 4 <= t1; t += 4) {
        const double *g[4];
        double c[4];
        int i;
        for (i = 0; i < 4; i++)
            g[i] = q + (int64_t)oth[t + i] * kp;
        row_change4(g, &d0, &d1, de, c);
        for (i = 0; i < 4; i++)
            e[t + i] -= c[i];
    }
    for (; t < t1; t++)
        e[t] -= row_change(q + (int64_t)oth[t] * kp, &d0, &d1, de);
    row_update(S, W, kp, p->prev, r);
}

/* the parameters of rows r0 .. r1 - 1 moved by block prev's changes */
static void update_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const pass *p = ctx;
    int64_t r;
    (void)thread;
    for (r = r0; r < r1; r++)
        row_update(p->S, p->W, p->kp, p->prev, r);
}

static void row_pass(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const pass *p = ctx;
    const spm_ptr *ptr = p->S->ptr;
    const double *qn = p->kp ? p->Qo + p->next * BW : zero_block;
    int64_t r;
    (void)thread;
    for (r = r0; r < r1; r++) {
        if (p->prev >= 0)
            row_apply(p, ptr[r], ptr[r + 1], r);
        else
            row_fresh(p, ptr[r], ptr[r + 1], r);
#ifdef SIMEC_WIDE
        if (p->wide) {
            row_sums_wide(p, qn, ptr[r], ptr[r + 1], r);
            continue;
        }
#endif
        row_sums(p, qn, ptr[r], ptr[r + 1], r);
    }
}

/* Every likelihood column's parameter of kind f (f < 0: the linear
 * weights) from its conditional posterior, given the rows' sums s2 and E
 * and the columns' normal draws z (drawn before, in one call); keeps E
 * exact and accumulates the rows' changes in dq. The ids' parameters,
 * strided in w or V, are copied to b->th and back, so that the draws
 * between (two divisions and a square root each) vectorise. */
SIMEC_HOT static void draw_columns(bfm *b, side_state *S, int64_t f, const double *s2, double *restrict E,
                                   double *restrict dq, const double *restrict z)
{
    const int64_t K = b->k, st = f < 0 ? 1 : K, nid = S->nid;
    const double alpha = b->alpha;
    double *theta = f < 0 ? S->w : S->V + f;
    const double *off = !S->link ? NULL : f < 0 ? S->off_w : S->off_V + f;
    int64_t j;
    /* ids: column j is train row j alone, with value 1 */
    if (nid) {
        const double mu0 = group_mu(&S->g[0], f), lam = group_lam(&S->g[0], f);
        double *restrict th = b->th, *restrict mu = b->th + b->nth;
        for (j = 0; j < nid; j++) {
            th[j] = theta[j * st];
            mu[j] = off ? mu0 + off[j * st] : mu0;
        }
        for (j = 0; j < nid; j++) {
            double A = s2[j], B = E[j] + th[j] * A, prec = alpha * A + lam;
            double nt = (alpha * B + mu[j] * lam) / prec + z[j] / sqrt(prec), delta = nt - th[j];
            th[j] = nt;
            E[j] -= delta * s2[j];
            dq[j] += delta;
        }
        for (j = 0; j < nid; j++)
            theta[j * st] = th[j];
    }
    for (j = nid; j < S->nlik; j++) {
        const double mu = group_mu(&S->g[1], f), lam = group_lam(&S->g[1], f);
        const spm_idx *rows = S->Ft.j + S->Ft.p[j - nid];
        const double *vals = S->Ft.x + S->Ft.p[j - nid];
        int64_t m = S->Ft.p[j - nid + 1] - S->Ft.p[j - nid], a;
        double A = 0, B = 0, th = theta[j * st], prec, nt, delta;
        const int ones = S->ones[j - nid];
        if (ones)
            for (a = 0; a < m; a++) {
                A += s2[rows[a]];
                B += E[rows[a]];
            }
        else
            for (a = 0; a < m; a++) {
                A += vals[a] * vals[a] * s2[rows[a]];
                B += vals[a] * E[rows[a]];
            }
        B += th * A;
        prec = alpha * A + lam;
        nt = (alpha * B + mu * lam) / prec + z[j] / sqrt(prec);
        delta = nt - th;
        theta[j * st] = nt;
        if (ones)
            for (a = 0; a < m; a++) {
                E[rows[a]] -= delta * s2[rows[a]];
                dq[rows[a]] += delta;
            }
        else
            for (a = 0; a < m; a++) {
                E[rows[a]] -= delta * vals[a] * s2[rows[a]];
                dq[rows[a]] += delta * vals[a];
            }
    }
}

/* The kinds of block blk: slots k0 .. k1 - 1 of a block's sums */
static void block_kinds(const bfm *b, int64_t blk, int *k0, int *k1)
{
    int64_t nf = b->k - blk * BW;
    *k0 = blk ? 1 : 0;
    *k1 = 1 + (int)(nf < BW ? nf : BW);
}

/* The kinds of block blk in turn, each from the sums a pass formed less
 * what the block's earlier kinds changed, with the normal draws in b->z. */
static void draw_block(bfm *b, side_state *S, int64_t blk, double *W)
{
    int64_t n = S->n, r;
    int k0, k1, kind, a;
    block_kinds(b, blk, &k0, &k1);
    for (kind = k0; kind < k1; kind++) {
        double *E = W + SLOT_E(kind) * n;
        for (a = k0; a < kind; a++) {
            const double *dq = W + SLOT_DQ(a) * n, *G = W + PAIR(a, kind) * n;
            for (r = 0; r < n; r++)
                E[r] -= dq[r] * G[r];
        }
        draw_columns(b, S, kind ? blk * BW + kind - 1 : -1, W + PAIR(kind, kind) * n, E, W + SLOT_DQ(kind) * n,
                     b->z + (kind - k0) * S->nlik);
    }
}

static void pass_normals(void *ctx)
{
    pass *p = ctx;
    if (p->ndraw)
        rng_normals(p->g, p->z, (size_t)p->ndraw);
}

typedef struct block_job {
    bfm *b;
    side_state *S;
    int64_t blk;
    double *W;
} block_job;

static void block_lead(void *ctx)
{
    block_job *j = ctx;
    draw_block(j->b, j->S, j->blk, j->W);
    __atomic_store_n(&j->b->pre.stop, 1, __ATOMIC_RELEASE);
}

/* mean (mu != NULL) and precision of a group's prior given its n values
 * x[0], x[stride], ... less their offsets (off: NULL for none). The draws
 * from g follow from n and whether there is a mean, never from the
 * values: dry takes only them, reading and writing nothing else (see
 * pre_normals). */
static void draw_hyper(rng *g, const double *x, const double *off, int64_t n, int64_t stride, double *mu,
                       double *lam, int dry)
{
    double sum = 0, ss = 0, m, gam, nrm = 0;
    int64_t i;
    if (n == 0)
        return;
    gam = rng_gamma(g, (HYPER_A + (double)n + (mu ? 1 : 0)) / 2);
    if (mu)
        nrm = rng_normal(g);
    if (dry)
        return;
    m = mu ? *mu : 0;
    for (i = 0; i < n; i++) {
        double v = x[i * stride] - (off ? off[i * stride] : 0), d = v - m;
        sum += v;
        ss += d * d;
    }
    if (!mu) {
        *lam = gam / ((HYPER_B + ss) / 2);
        return;
    }
    *lam = gam / ((HYPER_B + ss + HYPER_GAMMA0 * m * m) / 2);
    *mu = (sum / ((double)n + HYPER_GAMMA0)) + nrm / sqrt(((double)n + HYPER_GAMMA0) * *lam);
}

/* With link: the feature weights beta (f < 0: of the biases, else of factor
 * f) in theta_r ~ N(mu + x_r . beta, 1/lam) over the train rows' ids, a
 * Bayesian ridge regression drawn a coordinate at a time; keeps the
 * offsets x_r . beta, then draws beta's precision. dry: only the draws
 * from g, as draw_hyper's. */
static void draw_link(bfm *b, rng *g, side_state *S, int64_t f, int dry)
{
    int64_t j, K = b->k, st = f < 0 ? 1 : K, o = f < 0 ? 0 : f;
    const double *theta = (f < 0 ? S->w : S->V) + o;
    double *off = (f < 0 ? S->off_w : S->off_V) + o, *beta = (f < 0 ? S->w : S->V) + S->nid * st + o;
    double mu = group_mu(&S->g[0], f), lam = group_lam(&S->g[0], f);
    double *lamb = f < 0 ? &S->g[1].lam_w : &S->g[1].lam_v[f];
    spm_ptr t;
    for (j = 0; j < S->nf; j++) {
        double A = 0, B = 0, prec, nb, delta;
        if (dry) {
            (void)rng_normal(g);
            continue;
        }
        for (t = S->Ft.p[j]; t < S->Ft.p[j + 1]; t++) {
            int64_t r = S->Ft.j[t];
            double x = S->Ft.x[t];
            A += x * x;
            B += x * (theta[r * st] - mu - off[r * st]);
        }
        B += beta[j * st] * A;
        prec = lam * A + *lamb;
        nb = lam * B / prec + rng_normal(g) / sqrt(prec);
        delta = nb - beta[j * st];
        beta[j * st] = nb;
        for (t = S->Ft.p[j]; t < S->Ft.p[j + 1]; t++)
            off[(int64_t)S->Ft.j[t] * st] += delta * S->Ft.x[t];
    }
    draw_hyper(g, beta, NULL, S->nf, st, NULL, lamb, dry);
}

/* Side S's priors from g, in the sweep's order; dry: only their draws */
static void side_priors(bfm *b, rng *g, side_state *S, int dry)
{
    group *G = S->g;
    int64_t f, K = b->k;
    draw_hyper(g, S->w, S->off_w, S->nid, 1, &G[0].mu_w, &G[0].lam_w, dry);
    if (S->link)
        draw_link(b, g, S, -1, dry);
    else
        draw_hyper(g, S->w + S->nid, NULL, S->nf, 1, &G[1].mu_w, &G[1].lam_w, dry);
    for (f = 0; f < K; f++) {
        draw_hyper(g, S->V + f, S->off_V ? S->off_V + f : NULL, S->nid, K, &G[0].mu_v[f], &G[0].lam_v[f], dry);
        if (S->link)
            draw_link(b, g, S, f, dry);
        else
            draw_hyper(g, S->V + S->nid * K + f, NULL, S->nf, K, &G[1].mu_v[f], &G[1].lam_v[f], dry);
    }
}

/* The draws a sweep begins with: the noise precision's gamma variate
 * (shape from the ratings' count) and w0's normal */
static void sweep_draws(rng *g, int64_t nnz, double *gam, double *nrm)
{
    *gam = rng_gamma(g, (HYPER_A + (double)nnz) / 2);
    *nrm = rng_normal(g);
}

/* While one thread draws a side's last block, another draws the next
 * side's first normals from a copy of the generator brought to where
 * they start, so that the side's first pass need not begin with the
 * drawing thread drawing them while the others take its rows. The block
 * draws take nothing from the generator, so the copy is taken as they
 * run. */
#define PRE_BATCH 512
typedef struct pre_job {
    bfm *b;
    int side, with_sweep;
} pre_job;

static void pre_normals(void *ctx)
{
    const pre_job *j = ctx;
    bfm *b = j->b;
    side_state *S = &b->s[j->side];
    int k0, k1;
    b->pre.start = b->g;
    if (j->with_sweep) {
        double gam, nrm;
        sweep_draws(&b->pre.start, b->nnz, &gam, &nrm);
    }
    side_priors(b, &b->pre.start, S, 1);
    block_kinds(b, 0, &k0, &k1);
    b->pre.ndraw = (k1 - k0) * S->nlik;
    b->pre.end = b->pre.start;
    /* a batch at a time until the block's draws are done: the rest wait
     * for the pass rather than the pass for them */
    for (b->pre.m = 0; b->pre.m < b->pre.ndraw && !__atomic_load_n(&b->pre.stop, __ATOMIC_ACQUIRE);) {
        int64_t n = b->pre.ndraw - b->pre.m < PRE_BATCH ? b->pre.ndraw - b->pre.m : PRE_BATCH;
        rng_normals(&b->pre.end, b->pre.z + b->pre.m, (size_t)n);
        b->pre.m += n;
    }
    b->pre.side = j->side;
}

/* the pass's normals (block 0's, p->ndraw of them): the ones drawn ahead
 * when the generator stands where they started, drawn by the pass
 * otherwise */
static void take_pre(bfm *b, const side_state *S, pass *p)
{
    if (b->pre.side == (int)(S - b->s) && b->pre.ndraw == p->ndraw && rng_same(&b->g, &b->pre.start)) {
        double *z = b->z;
        b->z = b->pre.z, b->pre.z = z;
        p->z = b->z + b->pre.m, p->ndraw -= b->pre.m;
        b->g = b->pre.end;
        b->pre_used++;
    }
    b->pre.side = -1;
}

/* The noise precision and w0 (flat prior) from the sweep's first draws
 * (gamma variate, normal) and the residuals' sums the row side's first
 * pass kept; that pass's sums for the kinds below k1 move with w0 as its
 * residuals would (E_b by -shift sum g_b), the residuals themselves in the
 * next pass. Returns the change of w0. */
static double draw_noise(bfm *b, const double draws[2], double *W, int k1)
{
    const int64_t n = b->s[0].n, nnz = b->nnz;
    double ss = 0, sum = 0, nt, shift;
    int64_t i;
    int kind;
    for (i = 0; i < n; i++) {
        ss += b->stat[2 * i];
        sum += b->stat[2 * i + 1];
    }
    b->alpha = draws[0] / ((HYPER_B + ss) / 2);
    nt = b->w0 + sum / (double)nnz + draws[1] / sqrt(b->alpha * (double)nnz);
    shift = nt - b->w0;
    b->w0 = nt;
    for (kind = 0; kind < k1; kind++) {
        double *E = W + SLOT_E(kind) * n;
        const double *G = W + PAIR(0, kind) * n;
        for (i = 0; i < n; i++)
            E[i] -= shift * G[i];
    }
    return shift;
}

/* The linear weights, then each factor, of one side (the other side
 * fixed), a block of kinds per pass over its ratings. The row side's
 * (draws: the sweep's first draws) first pass keeps the residuals' sums
 * that the noise and w0 are drawn from. With side work, the threads
 * other than the one drawing the first block take that work's chunks
 * meanwhile (it must not touch what the draws touch), on the threads of
 * the side's passes, which are awake however small the side work is. */
static void draw_side(bfm *b, side_state *S, const side_state *O, double *W, const double *draws,
                      shared *side_work)
{
    pass p;
    shared w, only;
    block_job job;
    pre_job pj;
    int64_t blk, nblk = b->kp ? b->kp / BW : 1;
    int ahead;
    /* a rating costs a block's cross products, some BW times what
     * par_rows's threshold assumes of an entry */
    int threads = S->ptr[S->n] < 100000 / BW ? 1 : par_threads(), k0, k1;
    p.S = S, p.Qo = O->Q, p.Lo = O->L, p.kp = b->kp, p.e = b->e, p.W = W, p.prev = -1;
    p.w0 = b->w0;
    p.shift = 0;
    p.stat = draws ? b->stat : NULL;
    p.wide = b->wide;
    p.g = &b->g, p.z = b->z;
    w.lead = pass_normals, w.lead_ctx = &p, w.rows = row_pass, w.rows_ctx = &p;
    w.extra = NULL;
    shared_cut(&w, S->n, S->ptr);
    job.b = b, job.S = S, job.W = W;
    pj.b = b, pj.side = S == b->s ? 1 : 0, pj.with_sweep = S != b->s;
    only.lead = block_lead, only.lead_ctx = &job, only.extra = pre_normals, only.extra_ctx = &pj;
    only.rows = row_pass, only.rows_ctx = &p, only.nchunk = 0; /* no rows */
    for (blk = 0; blk < nblk; blk++) {
        p.next = blk;
        block_kinds(b, blk, &k0, &k1);
        p.ndraw = (k1 - k0) * S->nlik;
        if (blk == 0)
            take_pre(b, S, &p);
        shared_run(&w, threads);
        p.z = b->z;
        p.stat = NULL;
        p.shift = blk == 0 && draws ? draw_noise(b, draws, W, k1) : 0;
        job.blk = blk;
        /* the last block's draws leave the generator alone: the next
         * side's first normals are drawn meanwhile */
        ahead = blk == nblk - 1 && threads > 1;
        b->pre.stop = 0;
        if (blk == 0 && side_work) {
            side_work->lead = block_lead, side_work->lead_ctx = &job;
            side_work->extra = ahead ? pre_normals : NULL, side_work->extra_ctx = &pj;
            shared_run(side_work, threads);
            side_work->extra = NULL;
        } else if (ahead)
            shared_run(&only, threads);
        else
            draw_block(b, S, blk, W);
        p.prev = blk;
    }
    /* the last block's changes (p.prev) reach only the parameters: the
     * other side computes its residuals afresh */
    w.lead = NULL, w.rows = update_rows;
    shared_run(&w, threads);
}

/* One sweep; side_work (NULL: none) runs beside the row side's first
 * draws (see draw_side). The noise precision's and w0's draws come first
 * in the generator's order, their values after the row side's first pass
 * has summed the residuals. */
static void sweep(bfm *b, double *work, shared *side_work)
{
    double draws[2];
    int s;
    sweep_draws(&b->g, b->nnz, &draws[0], &draws[1]);
    for (s = 0; s < 2; s++) {
        side_state *S = &b->s[s];
        side_priors(b, &b->g, S, 0);
        draw_side(b, S, &b->s[1 - s], work, s ? NULL : draws, s ? NULL : side_work);
    }
}

/* Linear part and factors of every new full-space row of a side with the
 * current sample, from its features (a train row's are L and Q, kept up
 * to date by the passes) */
static void full_rows(const bfm *b, side_state *S, const bfm_side *in)
{
    int64_t i, f, K = b->k;
    spm_ptr t;
    for (i = 0; i < in->n_full; i++) {
        double *q = S->Qf + i * K;
        if (in->map ? in->map[i] >= 0 : 1)
            continue;
        if (S->nid) { /* a new id: its group's prior mean */
            S->lin[i] = S->g[0].mu_w;
            memcpy(q, S->g[0].mu_v, (size_t)K * sizeof *q);
        } else {
            S->lin[i] = 0;
            memset(q, 0, (size_t)K * sizeof *q);
        }
        if (in->F)
            for (t = in->F->p[i]; t < in->F->p[i + 1]; t++) {
                int64_t j = S->nid + in->F->j[t];
                S->lin[i] += in->F->x[t] * S->w[j];
                for (f = 0; f < K; f++)
                    q[f] += in->F->x[t] * S->V[j * K + f];
            }
    }
}

static void side_free(side_state *S)
{
    int i;
    spm_free(&S->Ft);
    S->w = core_free(S->w);
    S->V = core_free(S->V);
    S->Q = core_free(S->Q);
    S->L = core_free(S->L);
    S->lin = core_free(S->lin);
    S->Qf = core_free(S->Qf);
    S->lrow = core_free(S->lrow);
    S->qrow = core_free(S->qrow);
    S->ones = core_free(S->ones);
    S->off_w = core_free(S->off_w);
    S->off_V = core_free(S->off_V);
    for (i = 0; i < 2; i++) {
        S->g[i].mu_v = core_free(S->g[i].mu_v);
        S->g[i].lam_v = core_free(S->g[i].lam_v);
    }
}

static int check_side(const bfm_side *in, int64_t n, const char *what, core_err *e)
{
    int64_t i;
    if (in->n_full < 0 || (!in->map && in->n_full != n))
        return core_err_set(e, CORE_EINVAL, "bfm: %s: %lld in the full space but %lld in training and no map", what,
                            (long long)in->n_full, (long long)n);
    if (in->F && in->F->rows != in->n_full)
        return core_err_set(e, CORE_EINVAL, "bfm: %s features have %lld rows, expected %lld", what,
                            (long long)in->F->rows, (long long)in->n_full);
    if (!in->F && !in->ids)
        return core_err_set(e, CORE_EINVAL, "bfm: %s have neither ids nor features", what);
    if (in->map)
        for (i = 0; i < in->n_full; i++)
            if (in->map[i] < -1 || in->map[i] >= n)
                return core_err_set(e, CORE_EINVAL, "bfm: %s map entry %lld is outside the %lld training %s", what,
                                    (long long)i + 1, (long long)n, what);
    return CORE_OK;
}

/* what the two sides are called in errors */
static const char *const side_what[2] = {"rows", "columns"};

/* Each full-space row's lrow/qrow, and with features the train rows'
 * features transposed (Ft, ones); full_of (n words) gets the full-space
 * row of each train row (NO_ROW: none). */
static int side_rows(bfm *b, int s, const bfm_side *in, size_t *full_of, core_err *e)
{
    const char *what = side_what[s];
    side_state *S = &b->s[s];
    int64_t i, n = S->n, K = b->k;
    int rc;
    for (i = 0; i < n; i++)
        full_of[i] = NO_ROW;
    for (i = 0; i < in->n_full; i++) {
        int64_t r = in->map ? in->map[i] : i;
        S->lrow[i] = r >= 0 ? S->L + r : S->lin + i;
        S->qrow[i] = r >= 0 ? S->Q + r * b->kp : S->Qf + i * K;
        if (r >= 0 && full_of[r] != NO_ROW && in->F)
            return core_err_set(e, CORE_EINVAL, "bfm: training %s %lld is mapped twice", what, (long long)r + 1);
        if (r >= 0)
            full_of[r] = (size_t)i;
    }
    if (!in->F)
        return CORE_OK;
    /* the features of the train rows, one design column per row of Ft */
    for (i = 0; i < n; i++)
        if (full_of[i] == NO_ROW)
            return core_err_set(e, CORE_EINVAL,
                                "bfm: training %s %lld has no features (no full-space index maps to it)", what,
                                (long long)i + 1);
    {
        spm sel;
        rc = spm_select_rows(&sel, in->F, full_of, (size_t)n, e);
        if (rc)
            return rc;
        rc = spm_transpose(&S->Ft, &sel, e);
        spm_free(&sel);
    }
    if (rc)
        return rc;
    if (!(S->ones = core_malloc((size_t)(S->nf ? S->nf : 1))))
        return core_err_nomem(e, "bfm", (double)S->nf);
    for (i = 0; i < S->nf; i++) {
        spm_ptr t;
        S->ones[i] = 1;
        for (t = S->Ft.p[i]; t < S->Ft.p[i + 1] && S->ones[i]; t++)
            S->ones[i] = S->Ft.x[t] == 1;
    }
    return CORE_OK;
}

/* Sizes, parameters and the transposed train features of side s. */
static int side_init(bfm *b, int s, const bfm_side *in, int64_t n, int link, core_err *e)
{
    const char *what = side_what[s];
    side_state *S = &b->s[s];
    size_t np, nq, nfull, *full_of;
    int64_t i, K = b->k;
    int rc, gi;
    if ((rc = check_side(in, n, what, e)))
        return rc;
    S->n = n;
    S->nid = in->ids ? n : 0;
    S->nf = in->F ? in->F->cols : 0;
    S->link = in->ids && in->F && link;
    S->nlik = S->nid + (S->link ? 0 : S->nf);
    if (!core_mul2((size_t)(S->nid + S->nf), (size_t)(K ? K : 1), &np) ||
        !core_mul2((size_t)n, (size_t)(b->kp ? b->kp : 1), &nq) ||
        !core_mul2((size_t)in->n_full, (size_t)(K ? K : 1), &nfull) || np > SIZE_MAX / 8 || nq > SIZE_MAX / 8 ||
        nfull > SIZE_MAX / 8)
        return core_err_set(e, CORE_ETOOBIG, "bfm: %lld factors for %lld %s is too large", (long long)K,
                            (long long)(S->nid + S->nf), what);
    S->w = core_calloc((size_t)(S->nid + S->nf ? S->nid + S->nf : 1), sizeof *S->w);
    S->V = core_calloc(np, sizeof *S->V);
    S->Q = core_calloc(nq, sizeof *S->Q);
    S->L = core_calloc((size_t)(n ? n : 1), sizeof *S->L);
    S->lin = core_calloc((size_t)(in->n_full ? in->n_full : 1), sizeof *S->lin);
    S->Qf = core_calloc(nfull, sizeof *S->Qf);
    for (gi = 0; gi < 2; gi++) {
        S->g[gi].mu_v = core_calloc((size_t)(K ? K : 1), sizeof(double));
        S->g[gi].lam_v = core_calloc((size_t)(K ? K : 1), sizeof(double));
        if (!S->g[gi].mu_v || !S->g[gi].lam_v)
            return core_err_nomem(e, "bfm priors", (double)K * 16);
        S->g[gi].lam_w = 1;
        for (i = 0; i < K; i++)
            S->g[gi].lam_v[i] = 1;
    }
    if (S->link) {
        S->off_w = core_calloc((size_t)(n ? n : 1), sizeof *S->off_w);
        S->off_V = core_calloc(nq, sizeof *S->off_V);
    }
    S->lrow = core_malloc((size_t)(in->n_full ? in->n_full : 1) * sizeof *S->lrow);
    S->qrow = core_malloc((size_t)(in->n_full ? in->n_full : 1) * sizeof *S->qrow);
    full_of = core_malloc((size_t)(n ? n : 1) * sizeof *full_of);
    if (!S->w || !S->V || !S->Q || !S->L || !S->lin || !S->Qf || !full_of || !S->lrow || !S->qrow ||
        (S->link && (!S->off_w || !S->off_V))) {
        core_free(full_of);
        return core_err_nomem(e, "bfm parameters", (double)(np + 2 * nq + nfull + n + 2 * in->n_full) * 8);
    }
    rc = side_rows(b, s, in, full_of, e);
    core_free(full_of);
    return rc;
}

/* The ratings by column: their values and rows. */
static int by_columns(const spm *R, spm_ptr **ptr, double **y, spm_idx **oth, core_err *e)
{
    int64_t nnz = SPM_NNZ(R), i;
    spm_ptr t;
    *ptr = core_calloc((size_t)R->cols + 1, sizeof **ptr);
    *y = core_malloc((size_t)(nnz ? nnz : 1) * sizeof **y);
    *oth = core_malloc((size_t)(nnz ? nnz : 1) * sizeof **oth);
    if (!*ptr || !*y || !*oth)
        return core_err_nomem(e, "bfm ratings by column", (double)nnz * 12);
    for (t = 0; t < nnz; t++)
        (*ptr)[R->j[t] + 1]++;
    for (i = 0; i < R->cols; i++)
        (*ptr)[i + 1] += (*ptr)[i];
    for (i = 0; i < R->rows; i++)
        for (t = R->p[i]; t < R->p[i + 1]; t++) {
            spm_ptr d = (*ptr)[R->j[t]]++;
            (*y)[d] = R->x[t];
            (*oth)[d] = (spm_idx)i;
        }
    for (i = R->cols; i > 0; i--)
        (*ptr)[i] = (*ptr)[i - 1];
    (*ptr)[0] = 0;
    return CORE_OK;
}

/* sum[t] += a sweep's prediction at P's entry t, clipped to [lo, hi],
 * from the full-space rows (lrow, qrow) and w0 as that sweep left them; rows
 * of P in threads (every entry is its own) */
typedef struct actx {
    const bfm *b;
    const spm *P;
    const int64_t *prow; /* the row of each of P's entries */
    double *sum, lo, hi, w0;
} actx;

/* Four entries' predictions at once (rows ri, columns ci), each added in
 * one entry's order (w0 + lin + lin, then the products a factor at a
 * time): each four factors' products of the entries are transposed so that
 * lane e holds entry e's, where one entry at a time waits on each
 * addition before the next */
static inline __attribute__((always_inline)) void predict4(const bfm *b, double w0, const int64_t *ri,
                                                            const spm_idx *ci, qvec *out)
{
    const int64_t K = b->k;
    const double *qi[4], *qc[4], *const *l0 = b->s[0].lrow, *const *l1 = b->s[1].lrow;
    qvec y = (qvec){w0, w0, w0, w0} + (qvec){*l0[ri[0]], *l0[ri[1]], *l0[ri[2]], *l0[ri[3]]};
    int64_t f;
    int e;
    y += (qvec){*l1[ci[0]], *l1[ci[1]], *l1[ci[2]], *l1[ci[3]]};
    for (e = 0; e < 4; e++)
        qi[e] = b->s[0].qrow[ri[e]], qc[e] = b->s[1].qrow[ci[e]];
    for (f = 0; f + 4 <= K; f += 4) {
        qvec m[4], lo01, hi01, lo23, hi23;
        for (e = 0; e < 4; e++)
            m[e] = *(const qvec *)(qi[e] + f) * *(const qvec *)(qc[e] + f);
        /* (m0[0], m1[0], m0[2], m1[2]) and (m0[1], m1[1], m0[3], m1[3]); likewise m2, m3 */
        lo01 = __builtin_shufflevector(m[0], m[1], 0, 4, 2, 6);
        hi01 = __builtin_shufflevector(m[0], m[1], 1, 5, 3, 7);
        lo23 = __builtin_shufflevector(m[2], m[3], 0, 4, 2, 6);
        hi23 = __builtin_shufflevector(m[2], m[3], 1, 5, 3, 7);
        y += __builtin_shufflevector(lo01, lo23, 0, 1, 4, 5);
        y += __builtin_shufflevector(hi01, hi23, 0, 1, 4, 5);
        y += __builtin_shufflevector(lo01, lo23, 2, 3, 6, 7);
        y += __builtin_shufflevector(hi01, hi23, 2, 3, 6, 7);
    }
    for (; f < K; f++)
        y += (qvec){qi[0][f] * qc[0][f], qi[1][f] * qc[1][f], qi[2][f] * qc[2][f], qi[3][f] * qc[3][f]};
    *out = y;
}

SIMEC_HOT static void accumulate_rows(void *ctx, int thread, int64_t r0, int64_t r1)
{
    const actx *a = ctx;
    const bfm *b = a->b;
    const spm_idx *pj = a->P->j;
    const int64_t *prow = a->prow, K = b->k;
    const double lo = a->lo, hi = a->hi;
    double *restrict sum = a->sum;
    spm_ptr t = a->P->p[r0], t1 = a->P->p[r1];
    int64_t f;
    int e;
    (void)thread;
    for (; t + 4 <= t1; t += 4) {
        qvec y;
        predict4(b, a->w0, prow + t, pj + t, &y);
        for (e = 0; e < 4; e++)
            sum[t + e] += y[e] < lo ? lo : y[e] > hi ? hi : y[e];
    }
    for (; t < t1; t++) {
        const double *qi = b->s[0].qrow[prow[t]], *qc = b->s[1].qrow[pj[t]];
        double y = a->w0 + *b->s[0].lrow[prow[t]] + *b->s[1].lrow[pj[t]];
        for (f = 0; f < K; f++)
            y += qi[f] * qc[f];
        sum[t] += y < lo ? lo : y > hi ? hi : y;
    }
}

void bfm_opts_default(bfm_opts *o)
{
    memset(o, 0, sizeof *o);
    o->k = 8;
    o->burn_in = 50;
    o->samples = 150;
    o->init_std = 0.1;
    o->seed = 1;
}

int bfm_run(spm *out, double *trace, const spm *R, const bfm_side side[2], const spm *P, const bfm_opts *o,
            core_err *e)
{
    bfm b;
    spm_ptr *cptr = NULL;
    int64_t nnz = SPM_NNZ(R), it, i, f, averaged = 0;
    actx acc;
    shared acc_work;
    int pending = 0, acc_threads;
    spm_idx *coth = NULL;
    double *cy = NULL;
    int64_t *prow = NULL;
    double *sum = NULL, lo = HUGE_VAL, hi = -HUGE_VAL, mean = 0;
    double *work = NULL;
    size_t nwork, nz;
    int rc;
    memset(&b, 0, sizeof b);
    memset(out, 0, sizeof *out);
    if (o->k < 0 || o->k > 100000 || o->burn_in < 0 || o->samples < 1 || !(o->init_std >= 0))
        return core_err_set(e, CORE_EINVAL, "bfm: need k in 0..100000, burn_in >= 0, samples >= 1, init_std >= 0");
    if (nnz == 0)
        return core_err_set(e, CORE_EINVAL, "bfm: no training ratings");
    if (R->rows > SPM_IDX_MAX)
        return core_err_set(e, CORE_ETOOBIG, "bfm: %lld training rows exceed %d", (long long)R->rows, SPM_IDX_MAX);
    if (P->rows != side[0].n_full || P->cols != side[1].n_full)
        return core_err_set(e, CORE_EINVAL, "bfm: the pattern is %lldx%lld, the full space %lldx%lld",
                            (long long)P->rows, (long long)P->cols, (long long)side[0].n_full,
                            (long long)side[1].n_full);
    b.k = o->k;
    b.kp = (o->k + BW - 1) / BW * BW;
    b.alpha = 1;
    b.wide = core_wide();
    rng_seed(&b.g, o->seed);
    if ((rc = side_init(&b, 0, &side[0], R->rows, o->link, e)) ||
        (rc = side_init(&b, 1, &side[1], R->cols, o->link, e)) ||
        (rc = by_columns(R, &cptr, &cy, &coth, e)))
        goto done;
    b.e = core_malloc((size_t)nnz * sizeof *b.e);
    sum = core_calloc((size_t)(SPM_NNZ(P) ? SPM_NNZ(P) : 1), sizeof *sum);
    prow = core_malloc((size_t)(SPM_NNZ(P) ? SPM_NNZ(P) : 1) * sizeof *prow);
    if (!core_mul2((size_t)(R->rows > R->cols ? R->rows : R->cols), NSLOT * sizeof *work, &nwork)) {
        rc = core_err_set(e, CORE_ETOOBIG, "bfm: %lld x %lld ratings are too large", (long long)R->rows,
                          (long long)R->cols);
        goto done;
    }
    work = core_malloc(nwork);
    /* a block's normal draws: NK kinds of the wider side's likelihood columns (each at most the id and
     * feature columns side_init counted) */
    nz = (size_t)NK * (size_t)(b.s[0].nlik > b.s[1].nlik ? b.s[0].nlik : b.s[1].nlik) * sizeof *b.z + 1;
    b.z = core_malloc(nz);
    b.pre.z = core_malloc(nz); /* the two swap */
    b.pre.side = -1;
    b.nnz = nnz;
    b.stat = core_malloc((size_t)(R->rows ? R->rows : 1) * 2 * sizeof *b.stat);
    b.nth = b.s[0].nid > b.s[1].nid ? b.s[0].nid : b.s[1].nid;
    b.th = core_malloc((size_t)b.nth * 2 * sizeof *b.th + 1);
    if (!b.e || !b.z || !b.pre.z || !b.stat || !b.th || !sum || !prow || !work) {
        rc = core_err_nomem(e, "bfm residuals", (double)(nnz + 2 * SPM_NNZ(P)) * 8);
        goto done;
    }
    if ((rc = spm_copy(out, P, e)))
        goto done;
    b.s[0].ptr = R->p;
    b.s[0].y = R->x;
    b.s[0].oth = R->j;
    b.s[1].ptr = cptr;
    b.s[1].y = cy;
    b.s[1].oth = coth;
    for (it = 0; it < nnz; it++) {
        lo = R->x[it] < lo ? R->x[it] : lo;
        hi = R->x[it] > hi ? R->x[it] : hi;
        mean += R->x[it] / (double)nnz;
    }
    /* start: w0 the mean, small random factors and Q to match (every side's
     * first pass computes its residuals) */
    for (i = 0; i < 2; i++) {
        side_state *S = &b.s[i];
        int64_t j, r, K = b.k;
        for (j = 0; j < S->nlik * K; j++)
            S->V[j] = o->init_std * rng_normal(&b.g);
        for (r = 0; r < S->nid; r++)
            for (f = 0; f < K; f++)
                S->Q[r * b.kp + f] = S->V[r * K + f];
        for (j = 0; j < S->nlik - S->nid; j++)
            for (it = S->Ft.p[j]; it < S->Ft.p[j + 1]; it++)
                for (f = 0; f < K; f++)
                    S->Q[S->Ft.j[it] * b.kp + f] += S->Ft.x[it] * S->V[(S->nid + j) * K + f];
    }
    b.w0 = mean;
    /* A sweep's predictions are added to the sums while the next sweep
     * draws the row side's first block, on the threads the draws leave
     * idle: they read only the rows' L and Q (a new row's lin and Qf) and
     * the w0 kept here, which the draws do not touch. With a trace, and after the last sweep, they are added at
     * once, on as many threads as they are worth: an entry costs a dot
     * product of k factors, weighed as k + 1 entries of par_rows's
     * threshold. */
    for (i = 0; i < P->rows; i++)
        for (it = P->p[i]; it < P->p[i + 1]; it++)
            prow[it] = i;
    acc.b = &b, acc.P = P, acc.prow = prow, acc.sum = sum, acc.lo = lo, acc.hi = hi;
    acc_work.lead = NULL, acc_work.extra = NULL, acc_work.rows = accumulate_rows, acc_work.rows_ctx = &acc;
    shared_cut(&acc_work, P->rows, P->p);
    acc_threads = (double)SPM_NNZ(P) * (double)(b.k + 1) < 100000 ? 1 : par_threads();
    for (it = 0; it < o->burn_in + o->samples; it++) {
        if (core_interrupted()) {
            rc = core_err_set(e, CORE_EINTR, "bfm: interrupted after %lld sweeps", (long long)it);
            goto done;
        }
        sweep(&b, work, pending ? &acc_work : NULL);
        pending = 0;
        if (it < o->burn_in)
            continue;
        full_rows(&b, &b.s[0], &side[0]);
        full_rows(&b, &b.s[1], &side[1]);
        acc.w0 = b.w0;
        averaged++;
        if (!trace && it + 1 < o->burn_in + o->samples) {
            pending = 1;
            continue;
        }
        acc_work.lead = NULL;
        shared_run(&acc_work, acc_threads);
        if (trace) {
            double ss = 0;
            int64_t t;
            for (t = 0; t < SPM_NNZ(P); t++) {
                double d = sum[t] / (double)averaged - P->x[t];
                ss += d * d;
            }
            trace[averaged - 1] = SPM_NNZ(P) ? sqrt(ss / (double)SPM_NNZ(P)) : 0;
        }
    }
    for (it = 0; it < SPM_NNZ(P); it++)
        out->x[it] = sum[it] / (double)averaged;
    rc = CORE_OK;
done:
    if (rc)
        spm_free(out);
    side_free(&b.s[0]);
    side_free(&b.s[1]);
    core_free(cptr);
    core_free(cy);
    core_free(coth);
    core_free(b.e);
    core_free(b.stat);
    core_free(b.z);
    core_free(b.pre.z);
    if (o->drawn_ahead)
        *o->drawn_ahead = b.pre_used;
    core_free(b.th);
    core_free(sum);
    core_free(prow);
    core_free(work);
    return rc;
}
