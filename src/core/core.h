/* simec numerical core: status codes, error record, index types.
 * The core never includes lua.h, never prints and never exits. */
#ifndef SIMEC_CORE_H
#define SIMEC_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <signal.h>

enum {
    CORE_OK = 0,
    CORE_ENOMEM,     /* allocation failed or over the memory ceiling */
    CORE_ETOOBIG,    /* a size computation overflowed or exceeds a hard limit */
    CORE_EINVAL,     /* bad argument (shapes, indices, options) */
    CORE_EIO,        /* file system error */
    CORE_EFORMAT,    /* malformed file contents */
    CORE_ENUMERIC,   /* numerical failure (LAPACK info > 0, singular matrix) */
    CORE_EINTR,      /* interrupted by the user (SIGINT flag) */
    CORE_EINTERNAL   /* a bug: LAPACK info < 0 and the like */
};

typedef struct core_err {
    int code;
    int64_t at[2]; /* the 0-based (row, column) the error concerns, or -1 (a duplicate entry) */
    char msg[512];
} core_err;

/* Records code and message in e (if e is not NULL), clearing at; returns code. */
int core_err_set(core_err *e, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Set by the host's SIGINT handler; long loops poll it through core_interrupted(). */
extern volatile sig_atomic_t core_interrupt_flag;
#define core_interrupted() (core_interrupt_flag != 0)

/* Inner loops over embedding or factor rows, also built for x86-64-v3
 * (AVX2) and picked at load time: the portable build has SSE2 only. The
 * build does not fuse multiply-adds (the Makefile's -ffp-contract=off),
 * so every form rounds alike. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(SIMEC_NO_CLONES)
#define SIMEC_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
/* A loop whose AVX-512 form is written out (eight-wide vectors, 32
 * registers) is built for x86-64-v4 too and called when core_wide() says
 * so; it makes the same operations in the same order as its other forms,
 * so the results do not depend on the processor. */
#define SIMEC_WIDE __attribute__((target("arch=x86-64-v4")))
#else
#define SIMEC_HOT
#endif
/* 1 when SIMEC_WIDE loops may run: the build has them, the processor (and
 * the system) has AVX-512, and the environment's SIMEC_WIDE is not 0
 * (benchmarks and tests compare the two forms with it). */
int core_wide(void);

/* Sparse index types: 64-bit row pointers, 32-bit column indices. */
typedef int64_t spm_ptr;
typedef int32_t spm_idx;
#define SPM_IDX_MAX INT32_MAX

/* Floating-point operations done by the core's level-3 BLAS calls (gemm,
 * syrk, symm, trsm; a product of m x k by k x n counts 2mnk) since the
 * start or the last reset; the benchmarks divide a stage's count by its
 * wall time to report achieved GFLOP/s. */
double core_blas_flops(int reset);

/* Human-readable byte count ("12.1 MiB") into buf. */
const char *core_fmt_bytes(char *buf, size_t len, double bytes);

#endif
