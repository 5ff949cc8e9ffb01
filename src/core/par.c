#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
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

/* Test hook: a countdown to a thread creation that fails, as when the
 * system is out of threads; every loop must then finish on the threads it
 * has. Racing creators may take it below zero, which disables it too. */
static int create_fail;

int par_create_fail_after(int n)
{
    int left = __atomic_exchange_n(&create_fail, n > 0 ? n : 0, __ATOMIC_SEQ_CST);
    return left > 0 ? left : 0;
}

static int start_thread(pthread_t *tid, void *(*fn)(void *), void *arg)
{
    if (__atomic_load_n(&create_fail, __ATOMIC_SEQ_CST) > 0 &&
        __atomic_sub_fetch(&create_fail, 1, __ATOMIC_SEQ_CST) == 0)
        return EAGAIN;
    return pthread_create(tid, NULL, fn, arg);
}

/* Runs jobs[0..n) on n new threads (the calling one included) */
static void launch_new(job *jobs, int n)
{
    pthread_t tid[PAR_MAX];
    int t, started = 0;
    for (t = 1; t < n; t++)
        if (start_thread(&tid[t], run, &jobs[t]) == 0)
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

/* The pool: workers started at the first parallel loop that stay and wait
 * for the next one. Starting a thread costs about as much as a batch's
 * share of the work it would do, and the training loops run one parallel
 * pass a batch. One loop at a time uses the pool; a loop started while it
 * is busy (a job's own loop, another thread's) starts threads of its own. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t go, done;
    job *jobs;
    int n;         /* jobs of the current loop; worker t runs jobs[t] */
    int gen;       /* bumped at each loop (wrapping); written under lock, also read atomically by spinning workers */
    int pending;   /* workers still running the current loop; also read atomically by the spinning caller */
    int workers;   /* started so far: workers 1 .. workers */
    int born[PAR_MAX]; /* gen when worker t started: its first loop is the next */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0, 0, 0, 0, {0}};
static pthread_mutex_t pool_use = PTHREAD_MUTEX_INITIALIZER;

/* Waking a thread that sleeps on a condition variable takes tens of
 * microseconds, as long as a short pass itself (a sampler sweep at 100k
 * ratings hands off five), so both sides of a hand-off first poll for up
 * to PAR_SPIN_NS and only then sleep. Longer polls cost more than they
 * save: a polling worker takes a core from the caller's own serial work
 * and from OpenBLAS's threads. */
#define PAR_SPIN_NS 100000

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Polls until *word != value (differ) or *word == value (!differ), or the
 * time is up; the caller then checks under the lock. */
static void spin(const int *word, int value, int differ)
{
    int64_t until = 0;
    int i;
    for (i = 0; (__atomic_load_n(word, __ATOMIC_ACQUIRE) != value) != differ; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
        if ((i & 63) == 0) {
            int64_t t = now_ns();
            if (!until)
                until = t + PAR_SPIN_NS;
            else if (t > until)
                return;
        }
    }
}

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg, seen;
    pthread_mutex_lock(&pool.lock);
    seen = pool.born[t];
    for (;;) {
        if (pool.gen == seen) {
            pthread_mutex_unlock(&pool.lock);
            spin(&pool.gen, seen, 1);
            pthread_mutex_lock(&pool.lock);
            while (pool.gen == seen)
                pthread_cond_wait(&pool.go, &pool.lock);
        }
        seen = pool.gen;
        if (t < pool.n) {
            job *j = &pool.jobs[t];
            pthread_mutex_unlock(&pool.lock);
            run(j);
            pthread_mutex_lock(&pool.lock);
            if (__atomic_sub_fetch(&pool.pending, 1, __ATOMIC_RELEASE) == 0)
                pthread_cond_signal(&pool.done);
        }
    }
    return NULL;
}

/* A forked child has none of the parent's workers */
static void pool_after_fork(void)
{
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.go, NULL);
    pthread_cond_init(&pool.done, NULL);
    pthread_mutex_init(&pool_use, NULL);
    pool.workers = 0, pool.pending = 0, pool.n = 0;
}

static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void)
{
    pthread_atfork(NULL, NULL, pool_after_fork);
}

/* Runs jobs[0..n) on n threads (the calling one included) */
static void launch(job *jobs, int n)
{
    int t, ready;
    if (n < 2) {
        if (n == 1)
            run(&jobs[0]);
        return;
    }
    if (pthread_mutex_trylock(&pool_use) != 0) {
        launch_new(jobs, n);
        return;
    }
    pthread_once(&atfork_once, register_atfork);
    pthread_mutex_lock(&pool.lock);
    if (pool.workers < n - 1) {
        /* workers block every signal: a Ctrl-C reaches the thread that waits
         * in read() or in the loop, never a sleeping worker */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        while (pool.workers < n - 1) {
            pthread_t tid;
            pool.born[pool.workers + 1] = pool.gen;
            if (start_thread(&tid, worker, (void *)(intptr_t)(pool.workers + 1)) != 0)
                break;
            pthread_detach(tid);
            pool.workers++;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    ready = pool.workers + 1 < n ? pool.workers + 1 : n; /* jobs the pool's workers take */
    pool.jobs = jobs, pool.n = ready, pool.pending = ready - 1;
    __atomic_store_n(&pool.gen, (int)((unsigned)pool.gen + 1u), __ATOMIC_RELEASE);
    pthread_cond_broadcast(&pool.go);
    pthread_mutex_unlock(&pool.lock);
    /* jobs no worker could start for run here, in order */
    for (t = ready; t < n; t++)
        run(&jobs[t]);
    run(&jobs[0]);
    spin(&pool.pending, 0, 0);
    pthread_mutex_lock(&pool.lock);
    while (pool.pending > 0)
        pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool_use);
}

/* The threads a loop over len rows takes: 1 .. PAR_MAX, at most one a row */
static int loop_threads(int threads, int64_t len)
{
    int n = threads < 1 ? 1 : threads > PAR_MAX ? PAR_MAX : threads;
    return (int64_t)n > len ? (len > 0 ? (int)len : 1) : n;
}

int64_t par_first_reaching(const spm_ptr *cum, int64_t lo, int64_t hi, int64_t target)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (cum[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int par_weighted(int64_t len, const spm_ptr *cum, int threads, par_fn fn, void *ctx)
{
    int t, n = loop_threads(threads, len);
    job jobs[PAR_MAX];
    int64_t r = 0, total = len > 0 ? cum[len] - cum[0] : 0;
    for (t = 0; t < n; t++) {
        /* the first row whose cumulative weight reaches thread t's share */
        int64_t lo = t == n - 1 ? len : par_first_reaching(cum, r, len, cum[0] + total / n * (t + 1));
        jobs[t].fn = fn, jobs[t].ctx = ctx, jobs[t].thread = t, jobs[t].r0 = r, jobs[t].r1 = lo;
        r = lo;
    }
    launch(jobs, n);
    return n;
}

int par_rows(const spm *A, par_fn fn, void *ctx)
{
    /* below 100,000 entries a thread is not worth it */
    return par_weighted(A->rows, A->p, SPM_NNZ(A) < 100000 ? 1 : par_threads(), fn, ctx);
}

int par_range(int64_t len, int threads, par_fn fn, void *ctx)
{
    int t, n = loop_threads(threads, len);
    job jobs[PAR_MAX];
    for (t = 0; t < n; t++) {
        jobs[t].fn = fn, jobs[t].ctx = ctx, jobs[t].thread = t;
        jobs[t].r0 = len / n * t;
        jobs[t].r1 = t == n - 1 ? len : len / n * (t + 1);
    }
    launch(jobs, n);
    return n;
}
