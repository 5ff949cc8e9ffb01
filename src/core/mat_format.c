/* numpy-like text for a matrix: shape header, aligned columns, "..." when truncated. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "alloc.h"
#include "mat.h"

static size_t pick(size_t n, size_t maxn, size_t *idx)
{
    size_t h, i, k = 0;
    if (n <= maxn) {
        for (i = 0; i < n; i++)
            idx[k++] = i;
        return k;
    }
    h = maxn / 2;
    for (i = 0; i < h; i++)
        idx[k++] = i;
    idx[k++] = (size_t)-1; /* ellipsis */
    for (i = n - h; i < n; i++)
        idx[k++] = i;
    return k;
}

static void fmt_num(char *buf, size_t len, double v, int all_int)
{
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else if (all_int)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, "%.6g", v);
}

char *mat_format(const mat *m, size_t max_rows, size_t max_cols, core_err *e)
{
    size_t ri[64], ci[64], nr, nc, a, b, width = 3, cap, len = 0;
    int all_int = 1;
    char num[64], *out;
    if (max_rows < 2) max_rows = 2;
    if (max_cols < 2) max_cols = 2;
    if (max_rows > 62) max_rows = 62;
    if (max_cols > 62) max_cols = 62;
    nr = pick(m->rows, max_rows, ri);
    nc = pick(m->cols, max_cols, ci);
    for (a = 0; a < nr; a++)
        for (b = 0; b < nc; b++)
            if (ri[a] != (size_t)-1 && ci[b] != (size_t)-1) {
                double v = MAT_AT(m, ri[a], ci[b]);
                if (isfinite(v) && (v != floor(v) || fabs(v) >= 1e15))
                    all_int = 0;
            }
    for (a = 0; a < nr; a++)
        for (b = 0; b < nc; b++)
            if (ri[a] != (size_t)-1 && ci[b] != (size_t)-1) {
                fmt_num(num, sizeof num, MAT_AT(m, ri[a], ci[b]), all_int);
                if (strlen(num) > width)
                    width = strlen(num);
            }
    cap = 64 + (nr + 1) * (nc * (width + 2) + 8);
    out = core_malloc(cap);
    if (!out) {
        core_err_nomem(e, "tostring", (double)cap);
        return NULL;
    }
    len += (size_t)snprintf(out, cap, "matrix %zux%zu", m->rows, m->cols);
    for (a = 0; a < nr; a++) {
        out[len++] = '\n';
        if (ri[a] == (size_t)-1) {
            len += (size_t)snprintf(out + len, cap - len, "%*s", (int)(width + 1), "...");
            continue;
        }
        for (b = 0; b < nc; b++) {
            if (ci[b] == (size_t)-1)
                len += (size_t)snprintf(out + len, cap - len, " %*s", (int)width, "...");
            else {
                fmt_num(num, sizeof num, MAT_AT(m, ri[a], ci[b]), all_int);
                len += (size_t)snprintf(out + len, cap - len, " %*s", (int)width, num);
            }
        }
    }
    out[len] = '\0';
    return out;
}
