/* A parallel loop over row ranges with POSIX threads, for the sparse
 * kernels that OpenBLAS does not cover. Ranges are cut so each holds about
 * the same number of stored entries; results do not depend on timing. */
#ifndef SIMEC_PAR_H
#define SIMEC_PAR_H

#include "spm.h"

/* fn(ctx, thread, row_begin, row_end) for each of up to par_threads() threads */
typedef void (*par_fn)(void *ctx, int thread, int64_t r0, int64_t r1);
int par_threads(void); /* SIMEC_THREADS, else the online processors (at most 16); read once */
/* Runs fn over A's rows; returns the number of threads used. */
int par_rows(const spm *A, par_fn fn, void *ctx);
/* Runs fn over [0, len) cut so each of up to threads threads holds about
 * the same weight, cum[r] being the weight of rows before r (cum[0..len],
 * ascending: an spm's p, say); returns the number used. */
int par_weighted(int64_t len, const spm_ptr *cum, int threads, par_fn fn, void *ctx);
/* Runs fn over [0, len) cut into equal ranges on up to threads threads
 * (par_threads() is the usual choice); returns the number used. */
int par_range(int64_t len, int threads, par_fn fn, void *ctx);
/* The first r in [lo, hi) with cum[r] >= target (cum ascending), else hi:
 * where a share of the weight ends */
int64_t par_first_reaching(const spm_ptr *cum, int64_t lo, int64_t hi, int64_t target);
#define PAR_MAX 16
/* Test hook: the n-th thread creation from now fails (0 disables); returns
 * how many creations the countdown it replaces had left (0: it fired). */
int par_create_fail_after(int n);

#endif
