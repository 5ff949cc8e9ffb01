/* The machine's dgemm peak for scripts/bench/flops.sh: the median rate of
 * three n x n products straight through OpenBLAS on the given number of
 * threads, after one warm-up product.
 *   dgemm_peak N THREADS    prints the rate in GFLOP/s */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cblas.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 3000, threads = argc > 2 ? atoi(argv[2]) : 2, k;
    size_t i, nn;
    double *a, *b, *c, rate[3];
    if (n < 64 || n > 20000 || threads < 1) {
        fprintf(stderr, "usage: dgemm_peak N(64..20000) THREADS\n");
        return 2;
    }
    nn = (size_t)n * (size_t)n;
    a = malloc(nn * sizeof *a), b = malloc(nn * sizeof *b), c = malloc(nn * sizeof *c);
    if (!a || !b || !c) {
        fprintf(stderr, "dgemm_peak: not enough memory for three %d x %d matrices\n", n, n);
        return 1;
    }
    for (i = 0; i < nn; i++)
        a[i] = (double)(i % 97) / 97.0, b[i] = (double)(i % 89) / 89.0, c[i] = 0.0;
    openblas_set_num_threads(threads);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
    for (k = 0; k < 3; k++) {
        double t0 = now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        rate[k] = 2.0 * (double)n * (double)n * (double)n / (now() - t0) / 1e9;
    }
    qsort(rate, 3, sizeof *rate, by_value);
    printf("%.2f\n", rate[1]);
    free(a), free(b), free(c);
    return 0;
}
