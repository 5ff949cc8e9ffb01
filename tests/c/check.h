/* Minimal C test harness: TEST functions run by RUN; a test passes when none
 * of its checks failed. main() ends with check_summary(). */
#ifndef SIMEC_CHECK_H
#define SIMEC_CHECK_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int check_failures, tests_passed, tests_failed;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            check_failures++;                                                        \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
        }                                                                            \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                                   \
    do {                                                                                        \
        double a_ = (a), b_ = (b);                                                              \
        if (!(fabs(a_ - b_) <= (tol))) {                                                        \
            check_failures++;                                                                   \
            fprintf(stderr, "%s:%d: %s = %.17g, expected %.17g (tol %g)\n", __FILE__, __LINE__, \
                    #a, a_, b_, (double)(tol));                                                 \
        }                                                                                       \
    } while (0)

#define CHECK_MSG(err, sub)                                                                     \
    do {                                                                                        \
        if (!strstr((err).msg, (sub))) {                                                        \
            check_failures++;                                                                   \
            fprintf(stderr, "%s:%d: message '%s' lacks '%s'\n", __FILE__, __LINE__, (err).msg, (sub)); \
        }                                                                                       \
    } while (0)

#define RUN(fn)                                                          \
    do {                                                                 \
        int before_ = check_failures;                                    \
        fn();                                                            \
        if (check_failures == before_)                                   \
            tests_passed++;                                              \
        else {                                                           \
            tests_failed++;                                              \
            fprintf(stderr, "FAIL %s\n", #fn);                           \
        }                                                                \
    } while (0)

static int check_summary(void)
{
    printf("%d passed, %d failed\n", tests_passed, tests_failed);
    return tests_failed != 0;
}

#endif
