/* The parallel loops: every range run once by the thread it was given to,
 * through the pool's many reuses, a growing thread count, loops started
 * from inside a job and from two threads at once, and in a forked child;
 * ranges cut by weight. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "par.h"

#define LEN 1000

typedef struct {
    int64_t hits[LEN];      /* times each index was visited */
    int64_t owner[LEN];     /* the thread that visited it */
    int bad;                /* a job given an empty or out-of-range range */
    int64_t inner[PAR_MAX]; /* per thread: the length its own loop covered */
} loop;

static void visit(void *ctx, int thread, int64_t r0, int64_t r1)
{
    loop *l = ctx;
    int64_t i;
    if (r0 >= r1 || r0 < 0 || r1 > LEN)
        l->bad = 1;
    for (i = r0; i < r1 && i < LEN; i++)
        l->hits[i]++, l->owner[i] = thread;
}

static void count(void *ctx, int thread, int64_t r0, int64_t r1)
{
    int64_t *sum = ctx;
    sum[thread] += r1 - r0;
}

static void nested(void *ctx, int thread, int64_t r0, int64_t r1)
{
    loop *l = ctx;
    int64_t sums[PAR_MAX] = {0}, t;
    int used = par_range(100, 2, count, sums);
    for (t = 0; t < used; t++)
        l->inner[thread] += sums[t];
    visit(ctx, thread, r0, r1);
}

/* a loop of len over threads: each index once, by the thread whose equal
 * share holds it */
static int loop_ok(int threads, int nest)
{
    loop *l = calloc(1, sizeof *l);
    int used, ok = 1, t;
    int64_t i;
    if (!l)
        return 0;
    used = par_range(LEN, threads, nest ? nested : visit, l);
    ok = used == (threads > PAR_MAX ? PAR_MAX : threads) && !l->bad;
    for (i = 0; i < LEN; i++) {
        int64_t expect = i / (LEN / used);
        if (expect >= used)
            expect = used - 1;
        ok = ok && l->hits[i] == 1 && l->owner[i] == expect;
    }
    for (t = 0; nest && t < used; t++)
        ok = ok && l->inner[t] == 100;
    free(l);
    return ok;
}

static void test_reuse(void)
{
    int k, ok = 1;
    for (k = 0; k < 5000 && ok; k++)
        ok = loop_ok(2, 0);
    CHECK(ok);
}

static void test_thread_counts(void)
{
    static const int counts[] = {4, 2, 1, 3, 8, 2, 16, 5, 40};
    size_t k;
    for (k = 0; k < sizeof counts / sizeof counts[0]; k++) {
        int j, ok = 1;
        for (j = 0; j < 200 && ok; j++)
            ok = loop_ok(counts[k], 0);
        if (!ok)
            fprintf(stderr, "par_range with %d threads went wrong\n", counts[k]);
        CHECK(ok);
    }
}

static void test_nested(void)
{
    int k, ok = 1;
    for (k = 0; k < 500 && ok; k++)
        ok = loop_ok(3, 1);
    CHECK(ok);
}

static void *caller(void *arg)
{
    int k, *ok = arg;
    for (k = 0; k < 3000 && *ok; k++)
        *ok = loop_ok(2 + k % 3, 0);
    return NULL;
}

static void test_two_callers(void)
{
    pthread_t a, b;
    int oka = 1, okb = 1;
    CHECK(pthread_create(&a, NULL, caller, &oka) == 0);
    CHECK(pthread_create(&b, NULL, caller, &okb) == 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK(oka && okb);
}

static void test_fork(void)
{
    pid_t pid;
    int status = 0;
    CHECK(loop_ok(2, 0)); /* the parent's pool is running */
    pid = fork();
    if (pid == 0) {
        int k, ok = 1;
        alarm(30); /* a child left waiting for the parent's workers dies */
        for (k = 0; k < 100 && ok; k++)
            ok = loop_ok(2, 0);
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(loop_ok(2, 0));
}

/* A thread that cannot start: its jobs run on the threads the loop has,
 * in the pool (a forked child starts with none) and in a loop started
 * from inside a job, which starts threads of its own. */
static void test_create_fails(void)
{
    pid_t pid;
    int status = 0;
    pid = fork();
    if (pid == 0) {
        int ok = 1, k;
        alarm(30);
        par_create_fail_after(1); /* the pool's first worker */
        ok = ok && loop_ok(4, 0) && par_create_fail_after(0) == 0;
        par_create_fail_after(2); /* its second, after one started */
        ok = ok && loop_ok(6, 0) && par_create_fail_after(0) == 0;
        ok = ok && loop_ok(6, 0); /* the pool grows again */
        par_create_fail_after(1); /* a nested loop's own thread */
        ok = ok && loop_ok(3, 1) && par_create_fail_after(0) == 0;
        for (k = 1; k <= 8 && ok; k++) { /* each creation in turn, nested */
            par_create_fail_after(k);
            ok = loop_ok(5, 1);
        }
        par_create_fail_after(0);
        _exit(ok ? 0 : 1);
    }
    CHECK(pid > 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(loop_ok(2, 0));
}

/* weighted ranges: every row once, and each thread's weight within one
 * row of an even share */
static void test_weighted(void)
{
    static spm_ptr cum[LEN + 1];
    int threads, r;
    for (cum[0] = 0, r = 0; r < LEN; r++) /* a few heavy rows at the start, light ones after */
        cum[r + 1] = cum[r] + (r < 10 ? 5000 : r % 3);
    for (threads = 1; threads <= 5; threads++) {
        loop *l = calloc(1, sizeof *l);
        int used, t, ok;
        if (!l)
            return;
        used = par_weighted(LEN, cum, threads, visit, l);
        ok = used == threads && !l->bad;
        for (r = 0; r < LEN; r++)
            ok = ok && l->hits[r] == 1 && (r == 0 || l->owner[r] >= l->owner[r - 1]);
        for (t = 0; t < used; t++) {
            spm_ptr w = 0;
            for (r = 0; r < LEN; r++)
                w += l->owner[r] == t ? cum[r + 1] - cum[r] : 0;
            ok = ok && w <= cum[LEN] / used + 5000;
        }
        if (!ok)
            fprintf(stderr, "par_weighted with %d threads went wrong\n", threads);
        CHECK(ok);
        free(l);
    }
}

int main(void)
{
    alarm(120); /* a lost wake-up fails the suite rather than hanging it */
    RUN(test_reuse);
    RUN(test_thread_counts);
    RUN(test_nested);
    RUN(test_two_callers);
    RUN(test_fork);
    RUN(test_create_fails);
    RUN(test_weighted);
    return check_summary();
}
