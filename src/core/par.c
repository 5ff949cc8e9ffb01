#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "par.h"

/* The process's thread count, fixed at the first use: it is configuration
 * (SIMEC_THREADS), not state, so every caller and every Lua state sees
 * the same value, and pthread_once makes the first read race-free. */
static int nthreads;
static pthread_once_t nthreads_once = PTHREAD_ONCE_INIT;

static void read_threads(void)
{
    const char *env = getenv("SIMEC_THREADS");
    long n = env && atoi(env) > 0 ? atoi(env) : sysconf(_SC_NPROCESSORS_ONLN);
    nthreads = n < 1 ? 1 : n > PAR_MAX ? PAR_MAX : (int)n;
}

int par_threads(void)
{
    pthread_once(&nthreads_once, read_threads);
    return nthreads;
}

typedef struct job {
    par_fn fn;
    void *ctx;
    int thread;
    int64_t r0, r1;
} job;

static void *run(void *arg)
{
    job *j = arg;
    j->fn(j->ctx, j->thread, j->r0, j->r1);
    return NULL;
}

/* Runs jobs[0..n) on n threads (the calling one included) */
static void launch(job *jobs, int n)
{
    pthread_t tid[PAR_MAX];
    int t, started = 0;
    for (t = 1; t < n; t++)
        if (pthread_create(&tid[t], NULL, run, &jobs[t]) == 0)
            started = t;
        else
            break;
    /* threads that could not start run here, in order */
    for (t = started + 1; t < n; t++)
        run(&jobs[t]);
    run(&jobs[0]);
    for (t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
}

int par_rows(const spm *A, par_fn fn, void *ctx)
{
    int t, n = par_threads();
    job jobs[PAR_MAX];
    int64_t nnz = SPM_NNZ(A), r = 0;
    if (n > 1 && nnz < 100000)
        n = 1; /* not worth a thread */
    for (t = 0; t < n; t++) {
        int64_t target = nnz / n * (t + 1), r1 = r;
        if (t == n - 1)
            r1 = A->rows;
        else
            while (r1 < A->rows && A->p[r1] < target)
                r1++;
        jobs[t].fn = fn, jobs[t].ctx = ctx, jobs[t].thread = t, jobs[t].r0 = r, jobs[t].r1 = r1;
        r = r1;
    }
    launch(jobs, n);
    return n;
}

int par_range(int64_t len, int threads, par_fn fn, void *ctx)
{
    int t, n = threads < 1 ? 1 : threads > PAR_MAX ? PAR_MAX : threads;
    job jobs[PAR_MAX];
    if ((int64_t)n > len)
        n = len > 0 ? (int)len : 1;
    for (t = 0; t < n; t++) {
        jobs[t].fn = fn, jobs[t].ctx = ctx, jobs[t].thread = t;
        jobs[t].r0 = len / n * t;
        jobs[t].r1 = t == n - 1 ? len : len / n * (t + 1);
    }
    launch(jobs, n);
    return n;
}
