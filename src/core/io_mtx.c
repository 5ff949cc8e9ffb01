/* Matrix Market coordinate files (real, integer or pattern; general or symmetric). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include "alloc.h"
#include "io.h"

/* One line of any length into *buf (getline's buffer), its end trimmed of
 * "\r\n"; 0 at the end of the file, -1 when out of memory. */
static int next_line(FILE *fp, char **buf, size_t *cap)
{
    ssize_t n;
    errno = 0;
    if ((n = getline(buf, cap, fp)) < 0)
        return errno == ENOMEM ? -1 : 0;
    while (n > 0 && ((*buf)[n - 1] == '\n' || (*buf)[n - 1] == '\r'))
        (*buf)[--n] = '\0';
    return 1;
}

static int blank(const char *s) { return s[strspn(s, " \t")] == '\0'; }

/* a token of s at *p (after blanks): its start and length */
static size_t token(const char *s, const char **start)
{
    s += strspn(s, " \t");
    *start = s;
    return strcspn(s, " \t");
}

/* An index token: digits only (no sign, point or exponent) */
static int parse_index(const char *s, size_t len, long long *out)
{
    size_t i;
    long long v = 0;
    if (len == 0 || len > 18)
        return 0;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

int io_read_mtx(spm *A, const char *path, core_err *e)
{
    char f[5][64], *line = NULL;
    size_t cap = 0;
    FILE *fp;
    long long rows, cols, nnz, k, lineno = 1, total;
    int pattern, integer, symmetric, skew, got, rc = CORE_OK;
    spm_idx *I = NULL, *J = NULL;
    double *X = NULL;
    memset(A, 0, sizeof *A);
    if (!(fp = fopen(path, "r")))
        return core_err_set(e, CORE_EIO, "%s: %s", path, strerror(errno));
    if ((rc = io_not_dir(fileno(fp), path, e)))
        goto done;
    if ((got = next_line(fp, &line, &cap)) < 0)
        goto nomem;
    if (!got || sscanf(line, "%63s %63s %63s %63s %63s", f[0], f[1], f[2], f[3], f[4]) != 5 ||
        strcmp(f[0], "%%MatrixMarket") != 0 || strcasecmp(f[1], "matrix") != 0) {
        rc = core_err_set(e, CORE_EFORMAT, "%s:1: not a Matrix Market file (expected '%%%%MatrixMarket matrix ...')", path);
        goto done;
    }
    if (strcasecmp(f[2], "coordinate") != 0) {
        rc = core_err_set(e, CORE_EFORMAT, "%s:1: only the coordinate format is supported, got '%s'", path, f[2]);
        goto done;
    }
    pattern = strcasecmp(f[3], "pattern") == 0;
    integer = strcasecmp(f[3], "integer") == 0;
    if (!pattern && !integer && strcasecmp(f[3], "real") != 0 && strcasecmp(f[3], "double") != 0) {
        rc = core_err_set(e, CORE_EFORMAT, "%s:1: unsupported field type '%s' (real, integer or pattern)", path, f[3]);
        goto done;
    }
    symmetric = strcasecmp(f[4], "symmetric") == 0;
    skew = strcasecmp(f[4], "skew-symmetric") == 0;
    if (!symmetric && !skew && strcasecmp(f[4], "general") != 0) {
        rc = core_err_set(e, CORE_EFORMAT, "%s:1: unsupported symmetry '%s'", path, f[4]);
        goto done;
    }
    /* comments of any length, then the size line */
    do {
        lineno++;
        if ((got = next_line(fp, &line, &cap)) < 0)
            goto nomem;
        if (!got) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: missing size line", path, lineno);
            goto done;
        }
    } while (line[0] == '%' || blank(line));
    {
        const char *t[4];
        size_t tl[4];
        const char *p = line;
        int n;
        for (n = 0; n < 4; n++) {
            tl[n] = token(p, &t[n]);
            p = t[n] + tl[n];
        }
        if (tl[3] != 0 || !parse_index(t[0], tl[0], &rows) || !parse_index(t[1], tl[1], &cols) ||
            !parse_index(t[2], tl[2], &nnz)) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: bad size line (expected 'rows cols entries', three "
                              "non-negative integers)", path, lineno);
            goto done;
        }
    }
    if (rows > SPM_IDX_MAX || cols > SPM_IDX_MAX) {
        rc = core_err_set(e, CORE_ETOOBIG, "%s:%lld: %lldx%lld is too large (at most %d rows and columns)", path,
                          lineno, rows, cols, SPM_IDX_MAX);
        goto done;
    }
    if ((double)nnz > (double)rows * (double)cols) {
        rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: %lld entries cannot fit a %lldx%lld matrix", path, lineno, nnz,
                          rows, cols);
        goto done;
    }
    if ((symmetric || skew) && rows != cols) {
        rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: a %s matrix must be square, got %lldx%lld", path, lineno, f[4],
                          rows, cols);
        goto done;
    }
    { /* an entry takes more than 2 bytes ("i j" and a line end): a header
       * claiming more than half the rest of the file in entries is not honest,
       * and is refused before allocating for it (smaller shortfalls are
       * counted when the entries run out) */
        struct stat st;
        long here = ftell(fp);
        if (fstat(fileno(fp), &st) == 0 && here >= 0 && S_ISREG(st.st_mode) &&
            (double)nnz * 2.0 > (double)(st.st_size - here) + 2.0) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: %lld entries claimed, but only %lld bytes follow", path,
                              lineno, nnz, (long long)(st.st_size - here));
            goto done;
        }
    }
    total = (symmetric || skew) ? 2 * nnz : nnz;
    I = core_malloc((size_t)(total ? total : 1) * sizeof *I);
    J = core_malloc((size_t)(total ? total : 1) * sizeof *J);
    X = core_malloc((size_t)(total ? total : 1) * sizeof *X);
    if (!I || !J || !X) {
        rc = core_err_nomem(e, path, (double)total * 16);
        goto done;
    }
    total = 0;
    for (k = 0; k < nnz; k++) {
        long long i, j;
        double v = 1.0;
        const char *t[4];
        size_t tl[4];
        const char *p;
        int n;
        do {
            lineno++;
            if ((got = next_line(fp, &line, &cap)) < 0)
                goto nomem;
            if (!got) {
                rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: the size line promises %lld entries, the file has %lld",
                                  path, lineno, nnz, k);
                goto done;
            }
        } while (line[0] == '%' || blank(line));
        for (p = line, n = 0; n < 4; n++) {
            tl[n] = token(p, &t[n]);
            p = t[n] + tl[n];
        }
        if (!parse_index(t[0], tl[0], &i) || !parse_index(t[1], tl[1], &j) ||
            (pattern ? tl[2] != 0 : tl[2] == 0 || tl[3] != 0)) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: expected 'row col%s' (indices are positive integers)", path,
                              lineno, pattern ? "" : " value");
            goto done;
        }
        if (!pattern) {
            int ok = io_parse_number(t[2], tl[2], &v);
            if (ok && integer)
                ok = strcspn(t[2], ".eE") >= tl[2];
            if (!ok) {
                rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: bad %s value '%.*s'", path, lineno,
                                  integer ? "integer" : "real", (int)(tl[2] < 40 ? tl[2] : 40), t[2]);
                goto done;
            }
        }
        if (i < 1 || i > rows || j < 1 || j > cols) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: index (%lld, %lld) out of range for %lldx%lld", path, lineno,
                              i, j, rows, cols);
            goto done;
        }
        /* symmetric files store the lower triangle only (and skew ones no diagonal): an entry above it would be
         * summed with its mirror */
        if ((symmetric && i < j) || (skew && i <= j)) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: entry (%lld, %lld) is %s: a %s file stores the entries "
                              "below the diagonal%s", path, lineno, i, j, i == j ? "on the diagonal" : "above the diagonal",
                              f[4], skew ? " only" : " and on it");
            goto done;
        }
        I[total] = (spm_idx)(i - 1), J[total] = (spm_idx)(j - 1), X[total++] = v;
        if ((symmetric || skew) && i != j)
            I[total] = (spm_idx)(j - 1), J[total] = (spm_idx)(i - 1), X[total++] = skew ? -v : v;
    }
    /* after the promised entries only comments and blank lines */
    for (;;) {
        lineno++;
        if ((got = next_line(fp, &line, &cap)) < 0)
            goto nomem;
        if (!got)
            break;
        if (line[0] != '%' && !blank(line)) {
            rc = core_err_set(e, CORE_EFORMAT, "%s:%lld: more entries than the size line's %lld", path, lineno, nnz);
            goto done;
        }
    }
    rc = spm_from_triplets_owned(A, rows, cols, &I, &J, &X, total, SPM_DUP_ERROR, e);
    if (rc == CORE_EINVAL) { /* a repeated entry: name the file */
        char why[sizeof e->msg];
        snprintf(why, sizeof why, "%s", e->msg);
        rc = core_err_set(e, CORE_EFORMAT, "%s: %s", path, why);
    }
    goto done;
nomem:
    rc = core_err_nomem(e, path, (double)cap);
done:
    fclose(fp);
    free(line);
    core_free(I);
    core_free(J);
    core_free(X);
    return rc;
}

int io_write_mtx(const spm *A, const char *path, core_err *e)
{
    io_atomic a;
    int64_t i;
    spm_ptr k;
    char num[40];
    int rc = io_atomic_open(&a, path, e);
    if (rc)
        return rc;
    fprintf(a.f, "%%%%MatrixMarket matrix coordinate real general\n%lld %lld %lld\n", (long long)A->rows,
            (long long)A->cols, (long long)SPM_NNZ(A));
    for (i = 0; i < A->rows; i++)
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            io_fmt_double(num, sizeof num, A->x[k]);
            fprintf(a.f, "%lld %d %s\n", (long long)i + 1, A->j[k] + 1, num);
        }
    return io_atomic_commit(&a, e);
}

int io_write_csv(const mat *m, const char *path, const char *delim, core_err *e)
{
    io_atomic a;
    size_t i, j;
    char num[40];
    int rc = io_atomic_open(&a, path, e);
    if (rc)
        return rc;
    for (i = 0; i < m->rows; i++) {
        for (j = 0; j < m->cols; j++) {
            io_fmt_double(num, sizeof num, MAT_AT(m, i, j));
            fprintf(a.f, "%s%s", j ? delim : "", num);
        }
        fputc('\n', a.f);
    }
    return io_atomic_commit(&a, e);
}

int io_write_triplets(const spm *A, const char *path, const char *delim, int transpose, core_err *e)
{
    io_atomic a;
    int64_t i;
    spm_ptr k;
    char num[40], ri[24], ci[24];
    int rc = io_atomic_open(&a, path, e);
    if (rc)
        return rc;
    for (i = 0; i < A->rows; i++) {
        const char *r = A->rlab ? spm_label(A->rlab, (size_t)i) : ri;
        if (!A->rlab)
            snprintf(ri, sizeof ri, "%lld", (long long)i + 1);
        for (k = A->p[i]; k < A->p[i + 1]; k++) {
            const char *c = A->clab ? spm_label(A->clab, (size_t)A->j[k]) : ci;
            if (!A->clab)
                snprintf(ci, sizeof ci, "%d", A->j[k] + 1);
            io_fmt_double(num, sizeof num, A->x[k]);
            fprintf(a.f, "%s%s%s%s%s\n", transpose ? c : r, delim, transpose ? r : c, delim, num);
        }
    }
    return io_atomic_commit(&a, e);
}
