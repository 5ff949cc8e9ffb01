/* How long a cache line takes to go from one core to another and back,
 * for the benchmarks whose threads hand rows to each other at every pass
 * (mcmc.sh): two threads, pinned to the first two processors this process
 * may run on, bounce one counter; prints the median of five runs of
 * 100,000 round trips in nanoseconds (0 with a single processor). On
 * virtual machines it moves with where the host puts the two cores.
 *   core_latency */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { TRIPS = 100000, RUNS = 5 };
static int cpu[2];
static volatile int counter __attribute__((aligned(64)));

static void pin(int c)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(c, &s);
    pthread_setaffinity_np(pthread_self(), sizeof s, &s);
}

static void *answer(void *arg)
{
    int i;
    (void)arg;
    pin(cpu[1]);
    for (i = 0; i < TRIPS; i++) {
        while (counter != 2 * i + 1)
            ;
        counter = 2 * i + 2;
    }
    return NULL;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    cpu_set_t s;
    int c, n = 0, r, i;
    double ns[RUNS];
    sched_getaffinity(0, sizeof s, &s);
    for (c = 0; c < CPU_SETSIZE && n < 2; c++)
        if (CPU_ISSET(c, &s))
            cpu[n++] = c;
    if (n < 2) {
        printf("0\n");
        return 0;
    }
    pin(cpu[0]);
    for (r = 0; r < RUNS; r++) {
        pthread_t t;
        double t0;
        counter = 0;
        if (pthread_create(&t, NULL, answer, NULL) != 0)
            return 1;
        t0 = now();
        for (i = 0; i < TRIPS; i++) {
            counter = 2 * i + 1;
            while (counter != 2 * i + 2)
                ;
        }
        ns[r] = (now() - t0) / TRIPS;
        pthread_join(t, NULL);
    }
    qsort(ns, RUNS, sizeof *ns, by_value);
    printf("%.0f\n", ns[RUNS / 2]);
    return 0;
}
