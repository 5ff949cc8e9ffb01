/* Matrix products through CBLAS. BLAS takes int sizes (LP64), so every
 * dimension and leading dimension is checked against INT_MAX first. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <cblas.h>
#include "blas.h"
#include "mat.h"

/* Counted in whole operations with relaxed atomics: training workers call
 * BLAS concurrently, and an exact count is not worth a lock. */
static uint64_t flops_done;

static void count_flops(double f)
{
    __atomic_add_fetch(&flops_done, (uint64_t)f, __ATOMIC_RELAXED);
}

double core_blas_flops(int reset)
{
    uint64_t f = reset ? __atomic_exchange_n(&flops_done, 0, __ATOMIC_RELAXED)
                       : __atomic_load_n(&flops_done, __ATOMIC_RELAXED);
    return (double)f;
}

/* OpenBLAS maps a work buffer of 128 MiB (and a stack) for a thread at its
 * first product, and when the address space is limited (ulimit -v) and the
 * mapping fails it retries forever: a hang Ctrl-C cannot reach. So where
 * the address space is limited, its threads are capped to what the room
 * left holds, and their buffers are mapped now by one product; when not
 * even one fits, opening the module is an error naming the limit. */

int mat_blas_fit_address_space(core_err *e)
{
    struct rlimit rl;
    unsigned long pages = 0;
    size_t used, room, fit, n;
    int now;
    FILE *f;
    double *x;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return CORE_OK;
    if (!(f = fopen("/proc/self/statm", "r")))
        return CORE_OK;
    if (fscanf(f, "%lu", &pages) != 1)
        pages = 0;
    fclose(f);
    used = (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
    room = (size_t)rl.rlim_cur > used ? (size_t)rl.rlim_cur - used : 0;
    fit = room / MAT_BLAS_THREAD_BYTES;
    if (fit < 1) {
        char l[32], r[32], b[32];
        return core_err_set(e, CORE_ENOMEM, "the address space limit (ulimit -v %s) leaves %s: OpenBLAS needs about %s "
                            "for the buffers of its products; raise the limit",
                            core_fmt_bytes(l, sizeof l, (double)rl.rlim_cur), core_fmt_bytes(r, sizeof r, (double)room),
                            core_fmt_bytes(b, sizeof b, (double)MAT_BLAS_THREAD_BYTES));
    }
    now = openblas_get_num_threads();
    if (fit < (size_t)now)
        openblas_set_num_threads(now = (int)fit);
    n = now > 1 ? 512 : 64; /* large enough to involve every thread */
    if ((x = calloc(3 * n * n, sizeof *x))) {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0, x, (int)n, x + n * n,
                    (int)n, 0.0, x + 2 * n * n, (int)n);
        free(x);
    }
    return CORE_OK;
}

static int fits_int(size_t v) { return v <= (size_t)INT_MAX; }

int mat_gemm(mat *out, const mat *a, const mat *b, core_err *e)
{
    char s1[48], s2[48];
    size_t m = a->rows, k = a->cols, n = b->cols, r0, chunk;
    int rc, previous = 0;
    if (a->cols != b->rows)
        return core_err_set(e, CORE_EINVAL, "matrix * matrix: %s and %s do not conform",
                            mat_shape_str(a, s1, sizeof s1), mat_shape_str(b, s2, sizeof s2));
    if (!fits_int(k) || !fits_int(n) || !fits_int(a->ld) || !fits_int(b->ld))
        return core_err_set(e, CORE_ETOOBIG, "matrix * matrix: %s and %s exceed BLAS int limits",
                            mat_shape_str(a, s1, sizeof s1), mat_shape_str(b, s2, sizeof s2));
    if ((rc = mat_init(out, m, n, e)))
        return rc;
    if (m == 0 || n == 0 || k == 0)
        return CORE_OK;
    /* A small product runs on one thread: waking OpenBLAS's others costs
     * more than they save below about 2^22 multiply-adds (a 223 x 95 x 50
     * product took 10x longer on 2 threads than on one). */
    if ((double)m * (double)n * (double)k < (double)(1 << 22))
        previous = blas_threads_set(1);
    /* Row blocks of about 2^30 multiply-adds: Ctrl-C is noticed within a
     * fraction of a second, and each block is large enough that reading all
     * of b once per block is a small part of its cost (smaller blocks made
     * a wide product memory-bound: docs/benchmarks.md, flops.sh). */
    chunk = ((size_t)1 << 30) / (k * n + 1);
    if (chunk < 16)
        chunk = 16;
    if (chunk > (size_t)INT_MAX)
        chunk = (size_t)INT_MAX;
    for (r0 = 0; r0 < m; r0 += chunk) {
        size_t rows = m - r0 < chunk ? m - r0 : chunk;
        if (core_interrupted()) {
            blas_threads_restore(previous);
            mat_release(out);
            return core_err_set(e, CORE_EINTR, "interrupted!");
        }
        if (n == 1)
            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)k, 1.0, a->x + r0 * a->ld,
                        (int)a->ld, b->x, (int)b->ld, 0.0, out->x + r0 * out->ld, (int)out->ld);
        else
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)n, (int)k, 1.0,
                        a->x + r0 * a->ld, (int)a->ld, b->x, (int)b->ld, 0.0,
                        out->x + r0 * out->ld, (int)out->ld);
    }
    blas_threads_restore(previous);
    count_flops(2.0 * (double)m * (double)n * (double)k);
    return CORE_OK;
}

/* ---- the raw-array door (blas.h) ---- */


static int too_big(const char *what, core_err *e)
{
    return core_err_set(e, CORE_ETOOBIG, "%s: a size exceeds BLAS's int limit (%d)", what, INT_MAX);
}

#define FITS2(a, b) (fits_int(a) && fits_int(b))
#define TRANS(op) ((op) == BLAS_T ? CblasTrans : CblasNoTrans)

int blas_gemm(const char *what, blas_op ta, blas_op tb, size_t m, size_t n, size_t k, double alpha, const double *a,
              size_t lda, const double *b, size_t ldb, double beta, double *c, size_t ldc, core_err *e)
{
    if (!FITS2(m, n) || !FITS2(k, lda) || !FITS2(ldb, ldc))
        return too_big(what, e);
    if (m == 0 || n == 0)
        return CORE_OK;
    cblas_dgemm(CblasRowMajor, TRANS(ta), TRANS(tb), (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                (int)ldc);
    count_flops(2.0 * (double)m * (double)n * (double)k);
    return CORE_OK;
}

int blas_gemv(const char *what, blas_op ta, size_t m, size_t n, double alpha, const double *a, size_t lda,
              const double *x, double beta, double *y, core_err *e)
{
    if (!FITS2(m, n) || !fits_int(lda))
        return too_big(what, e);
    if (m == 0 || n == 0)
        return CORE_OK;
    cblas_dgemv(CblasRowMajor, TRANS(ta), (int)m, (int)n, alpha, a, (int)lda, x, 1, beta, y, 1);
    return CORE_OK;
}

int blas_gram(const char *what, size_t n, size_t k, double alpha, const double *a, size_t lda, double beta, double *c,
              size_t ldc, core_err *e)
{
    size_t r, q;
    if (!FITS2(n, k) || !FITS2(lda, ldc))
        return too_big(what, e);
    if (n == 0)
        return CORE_OK;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)n, (int)k, alpha, a, (int)lda, beta, c, (int)ldc);
    count_flops((double)n * (double)(n + 1) * (double)k);
    for (r = 0; r < n; r++)
        for (q = 0; q < r; q++)
            c[r * ldc + q] = c[q * ldc + r];
    return CORE_OK;
}

int blas_symm(const char *what, size_t m, size_t n, double alpha, const double *s, size_t lds, const double *b,
              size_t ldb, double beta, double *c, size_t ldc, core_err *e)
{
    if (!FITS2(m, n) || !FITS2(lds, ldb) || !fits_int(ldc))
        return too_big(what, e);
    if (m == 0 || n == 0)
        return CORE_OK;
    cblas_dsymm(CblasRowMajor, CblasLeft, CblasUpper, (int)m, (int)n, alpha, s, (int)lds, b, (int)ldb, beta, c,
                (int)ldc);
    count_flops(2.0 * (double)m * (double)m * (double)n);
    return CORE_OK;
}

int blas_trsm_lower(const char *what, blas_op tl, size_t m, size_t n, const double *l, size_t ldl, double *b,
                    size_t ldb, core_err *e)
{
    if (!FITS2(m, n) || !FITS2(ldl, ldb))
        return too_big(what, e);
    if (m == 0 || n == 0)
        return CORE_OK;
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, TRANS(tl), CblasNonUnit, (int)m, (int)n, 1.0, l, (int)ldl, b,
                (int)ldb);
    count_flops((double)m * (double)m * (double)n);
    return CORE_OK;
}

int blas_ger(const char *what, size_t m, size_t n, double alpha, const double *x, const double *y, double *a,
             size_t lda, core_err *e)
{
    if (!FITS2(m, n) || !fits_int(lda))
        return too_big(what, e);
    if (m == 0 || n == 0)
        return CORE_OK;
    cblas_dger(CblasRowMajor, (int)m, (int)n, alpha, x, 1, y, 1, a, (int)lda);
    return CORE_OK;
}

int blas_axpy(const char *what, size_t n, double alpha, const double *x, double *y, core_err *e)
{
    if (!fits_int(n))
        return too_big(what, e);
    cblas_daxpy((int)n, alpha, x, 1, y, 1);
    return CORE_OK;
}

int blas_threads(void) { return openblas_get_num_threads(); }

int blas_threads_set(int threads)
{
    int previous = openblas_get_num_threads();
    if (threads != previous)
        openblas_set_num_threads(threads);
    return previous;
}

void blas_threads_restore(int previous)
{
    if (previous > 0 && previous != openblas_get_num_threads())
        openblas_set_num_threads(previous);
}
