/* Elementwise operations, reductions and row sorting. */
#include <math.h>
#include <string.h>
#include <stdlib.h>
#include "alloc.h"
#include "mat.h"

const char *const mat_func_names[] = {"exp", "log", "tanh", "relu", "sigmoid", "sqrt",
                                      "abs", "square", "neg", "log1p", NULL};

static double op2(int op, double a, double b)
{
    switch (op) {
    case MAT_ADD: return a + b;
    case MAT_SUB: return a - b;
    case MAT_MUL: return a * b;
    case MAT_DIV: return a / b;
    case MAT_POW: return pow(a, b);
    case MAT_MINOP: return a < b || isnan(a) ? a : b;
    default: return a > b || isnan(a) ? a : b;
    }
}

/* Ctrl-C between rows, about once per million entries: *done counts the
 * entries since the last look */
static int poll_rows(size_t *done, size_t cols)
{
    if ((*done += cols ? cols : 1) < ((size_t)1 << 20))
        return 0;
    *done = 0;
    return core_interrupted();
}

/* Broadcast a dimension: equal, or one side is 1. */
static int bdim(size_t a, size_t b, size_t *out)
{
    if (a == b || b == 1) {
        *out = a;
        return 1;
    }
    if (a == 1) {
        *out = b;
        return 1;
    }
    return 0;
}

int mat_binop(mat *out, const mat *a, const mat *b, int op, const char *opname, core_err *e)
{
    size_t r, c, i, j, done = 0;
    char s1[48], s2[48];
    int rc;
    if (!bdim(a->rows, b->rows, &r) || !bdim(a->cols, b->cols, &c))
        return core_err_set(e, CORE_EINVAL, "%s: %s and %s do not conform", opname,
                            mat_shape_str(a, s1, sizeof s1), mat_shape_str(b, s2, sizeof s2));
    if ((rc = mat_init_uninit(out, r, c, e)))
        return rc;
    if (a->rows == r && a->cols == c && b->rows == r && b->cols == c) {
        for (i = 0; i < r; i++) {
            const double *pa = a->x + i * a->ld, *pb = b->x + i * b->ld;
            double *po = out->x + i * out->ld;
            if (poll_rows(&done, c))
                goto interrupted;
            switch (op) {
            case MAT_ADD: for (j = 0; j < c; j++) po[j] = pa[j] + pb[j]; break;
            case MAT_SUB: for (j = 0; j < c; j++) po[j] = pa[j] - pb[j]; break;
            case MAT_MUL: for (j = 0; j < c; j++) po[j] = pa[j] * pb[j]; break;
            case MAT_DIV: for (j = 0; j < c; j++) po[j] = pa[j] / pb[j]; break;
            default: for (j = 0; j < c; j++) po[j] = op2(op, pa[j], pb[j]);
            }
        }
        return CORE_OK;
    }
    for (i = 0; i < r; i++) {
        const double *pa = a->x + (a->rows == 1 ? 0 : i) * a->ld;
        const double *pb = b->x + (b->rows == 1 ? 0 : i) * b->ld;
        size_t sa = a->cols == 1 ? 0 : 1, sb = b->cols == 1 ? 0 : 1;
        if (poll_rows(&done, c))
            goto interrupted;
        for (j = 0; j < c; j++)
            MAT_AT(out, i, j) = op2(op, pa[j * sa], pb[j * sb]);
    }
    return CORE_OK;
interrupted:
    mat_release(out);
    return core_err_set(e, CORE_EINTR, "interrupted!");
}

int mat_scalar(mat *out, const mat *a, double s, int op, int scalar_left, core_err *e)
{
    size_t i, j, done = 0;
    int rc = mat_init_uninit(out, a->rows, a->cols, e);
    if (rc)
        return rc;
    for (i = 0; i < a->rows; i++) {
        const double *pa = a->x + i * a->ld;
        double *po = out->x + i * out->ld;
        if (poll_rows(&done, a->cols)) {
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        if (scalar_left)
            for (j = 0; j < a->cols; j++)
                po[j] = op2(op, s, pa[j]);
        else if (op == MAT_ADD)
            for (j = 0; j < a->cols; j++)
                po[j] = pa[j] + s;
        else if (op == MAT_MUL)
            for (j = 0; j < a->cols; j++)
                po[j] = pa[j] * s;
        else
            for (j = 0; j < a->cols; j++)
                po[j] = op2(op, pa[j], s);
    }
    return CORE_OK;
}

static double fn1(int fn, double v)
{
    switch (fn) {
    case MAT_EXP: return exp(v);
    case MAT_LOG: return log(v);
    case MAT_TANH: return tanh(v);
    case MAT_RELU: return v > 0 ? v : 0.0;
    case MAT_SIGMOID: /* stable for large |v| */
        if (v >= 0)
            return 1.0 / (1.0 + exp(-v));
        else {
            double t = exp(v);
            return t / (1.0 + t);
        }
    case MAT_SQRT: return sqrt(v);
    case MAT_ABS: return fabs(v);
    case MAT_SQUARE: return v * v;
    case MAT_NEG: return -v;
    default: return log1p(v);
    }
}

int mat_apply(mat *out, const mat *a, int fn, core_err *e)
{
    size_t i, j, done = 0;
    for (i = 0; i < a->rows; i++) {
        if (poll_rows(&done, a->cols))
            return core_err_set(e, CORE_EINTR, "interrupted!");
        for (j = 0; j < a->cols; j++)
            MAT_AT(out, i, j) = fn1(fn, MAT_AT(a, i, j));
    }
    return CORE_OK;
}

typedef struct {
    double acc; /* sum, min or max */
    double scale, ssq; /* norm without overflow (LAPACK dnrm2 style) */
    size_t n;
} racc;

static void racc_init(racc *r, int op)
{
    r->acc = op == MAT_MIN ? HUGE_VAL : op == MAT_MAX ? -HUGE_VAL : 0.0;
    r->scale = 0.0;
    r->ssq = 1.0;
    r->n = 0;
}

static void racc_add(racc *r, int op, double v)
{
    r->n++;
    switch (op) {
    case MAT_MIN: if (v < r->acc || isnan(v)) r->acc = v; break;
    case MAT_MAX: if (v > r->acc || isnan(v)) r->acc = v; break;
    case MAT_NORM:
        if (v != 0) {
            double av = fabs(v);
            if (r->scale < av) {
                r->ssq = 1 + r->ssq * (r->scale / av) * (r->scale / av);
                r->scale = av;
            } else
                r->ssq += (av / r->scale) * (av / r->scale);
        }
        if (isnan(v)) r->scale = (double)NAN;
        break;
    default: r->acc += v;
    }
}

static double racc_result(const racc *r, int op)
{
    if (op == MAT_MEAN)
        return r->n ? r->acc / (double)r->n : (double)NAN;
    if (op == MAT_NORM)
        return r->scale * sqrt(r->ssq);
    if ((op == MAT_MIN || op == MAT_MAX) && r->n == 0)
        return (double)NAN;
    return r->acc;
}

int mat_reduce(mat *out, const mat *a, int op, int axis, core_err *e)
{
    size_t done = 0, i, j, orows = axis == 2 ? a->rows : 1, ocols = axis == 1 ? a->cols : 1;
    int rc;
    if (axis < 0 || axis > 2)
        return core_err_set(e, CORE_EINVAL, "axis must be 1 or 2, got %d", axis);
    if ((rc = mat_init_uninit(out, orows, ocols, e)))
        return rc;
    if (axis == 0) {
        racc r;
        racc_init(&r, op);
        for (i = 0; i < a->rows; i++) {
            if (poll_rows(&done, a->cols))
                goto interrupted;
            for (j = 0; j < a->cols; j++)
                racc_add(&r, op, MAT_AT(a, i, j));
        }
        out->x[0] = racc_result(&r, op);
    } else if (axis == 2) {
        for (i = 0; i < a->rows; i++) {
            racc r;
            if (poll_rows(&done, a->cols))
                goto interrupted;
            racc_init(&r, op);
            for (j = 0; j < a->cols; j++)
                racc_add(&r, op, MAT_AT(a, i, j));
            MAT_AT(out, i, 0) = racc_result(&r, op);
        }
    } else {
        racc *acc = core_malloc((a->cols ? a->cols : 1) * sizeof *acc);
        if (!acc) {
            mat_release(out);
            return core_err_nomem(e, "reduce", (double)a->cols * sizeof *acc);
        }
        for (j = 0; j < a->cols; j++)
            racc_init(&acc[j], op);
        for (i = 0; i < a->rows; i++) {
            if (poll_rows(&done, a->cols)) {
                core_free(acc);
                goto interrupted;
            }
            for (j = 0; j < a->cols; j++)
                racc_add(&acc[j], op, MAT_AT(a, i, j));
        }
        for (j = 0; j < a->cols; j++)
            MAT_AT(out, 0, j) = racc_result(&acc[j], op);
        core_free(acc);
    }
    return CORE_OK;
interrupted:
    mat_release(out);
    return core_err_set(e, CORE_EINTR, "interrupted!");
}

int mat_all_finite(const mat *a)
{
    size_t i, j;
    for (i = 0; i < a->rows; i++)
        for (j = 0; j < a->cols; j++)
            if (!isfinite(MAT_AT(a, i, j)))
                return 0;
    return 1;
}

double mat_dot(const mat *a, const mat *b)
{
    size_t i, j;
    double s = 0;
    for (i = 0; i < a->rows; i++)
        for (j = 0; j < a->cols; j++)
            s += MAT_AT(a, i, j) * MAT_AT(b, i, j);
    return s;
}

/* Stable merge sort of indices by key; NaN sorts last in either direction. */
static int before(double a, double b, int desc)
{
    if (isnan(b))
        return !isnan(a);
    if (isnan(a))
        return 0;
    return desc ? a > b : a < b;
}

static void msort(size_t *ix, size_t *tmp, size_t n, const double *key, int desc)
{
    size_t h, i, j, k;
    if (n < 2)
        return;
    h = n / 2;
    msort(ix, tmp, h, key, desc);
    msort(ix + h, tmp, n - h, key, desc);
    i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = before(key[ix[j]], key[ix[i]], desc) ? ix[j++] : ix[i++];
    while (i < h)
        tmp[k++] = ix[i++];
    while (j < n)
        tmp[k++] = ix[j++];
    memcpy(ix, tmp, n * sizeof *ix);
}

int mat_argsort_rows(mat *out, const mat *a, int desc, core_err *e)
{
    size_t i, j, n = a->cols ? a->cols : 1, *ix, *tmp;
    int rc;
    if ((rc = mat_init_uninit(out, a->rows, a->cols, e)))
        return rc;
    ix = core_malloc(2 * n * sizeof *ix);
    if (!ix) {
        mat_release(out);
        return core_err_nomem(e, "argsort", 2.0 * n * sizeof *ix);
    }
    tmp = ix + n;
    for (i = 0; i < a->rows; i++) {
        if ((i & 0x3f) == 0 && core_interrupted()) { /* 4000 rows of 20000 take seconds */
            core_free(ix);
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        for (j = 0; j < a->cols; j++)
            ix[j] = j;
        msort(ix, tmp, a->cols, a->x + i * a->ld, desc);
        for (j = 0; j < a->cols; j++)
            MAT_AT(out, i, j) = (double)ix[j];
    }
    core_free(ix);
    return CORE_OK;
}

/* Binary heap of indices whose root is the worst kept element. */
static int worse(const double *key, size_t a, size_t b, int smallest)
{
    /* a is worse than b (a would be dropped first); ties: the later index is worse */
    double ka = key[a], kb = key[b];
    if (ka == kb || (isnan(ka) && isnan(kb)))
        return a > b;
    return smallest ? before(kb, ka, 0) : before(kb, ka, 1);
}

static void sift_down(size_t *h, size_t n, size_t i, const double *key, int smallest)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i, t;
        if (l < n && worse(key, h[l], h[w], smallest)) w = l;
        if (r < n && worse(key, h[r], h[w], smallest)) w = r;
        if (w == i)
            return;
        t = h[i], h[i] = h[w], h[w] = t;
        i = w;
    }
}

int mat_topk_rows(mat *idx, mat *val, const mat *a, size_t k, int smallest, core_err *e)
{
    size_t i, j, *h;
    int rc;
    if (k > a->cols)
        k = a->cols;
    if ((rc = mat_init_uninit(idx, a->rows, k, e)))
        return rc;
    if ((rc = mat_init_uninit(val, a->rows, k, e))) {
        mat_release(idx);
        return rc;
    }
    h = core_malloc((k ? k : 1) * sizeof *h);
    if (!h) {
        mat_release(idx);
        mat_release(val);
        return core_err_nomem(e, "topk", (double)k * sizeof *h);
    }
    for (i = 0; i < a->rows; i++) {
        const double *key = a->x + i * a->ld;
        size_t n = 0;
        if (k == 0)
            break;
        for (j = 0; j < a->cols; j++) {
            if (n < k) {
                size_t c = n++;
                h[c] = j;
                while (c > 0 && worse(key, h[c], h[(c - 1) / 2], smallest)) {
                    size_t p = (c - 1) / 2, t = h[c];
                    h[c] = h[p], h[p] = t;
                    c = p;
                }
            } else if (worse(key, h[0], j, smallest)) {
                h[0] = j;
                sift_down(h, n, 0, key, smallest);
            }
        }
        /* pop worst-first into the back of the output row */
        while (n > 0) {
            MAT_AT(idx, i, n - 1) = (double)h[0];
            MAT_AT(val, i, n - 1) = key[h[0]];
            h[0] = h[--n];
            sift_down(h, n, 0, key, smallest);
        }
    }
    core_free(h);
    return CORE_OK;
}
