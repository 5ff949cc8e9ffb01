#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include "alloc.h"

/* Every block carries a header holding its size, so frees can update the
 * in-use count; 16 bytes keeps the payload aligned as malloc's. */
#define HDR 16

static size_t in_use, peak, limit;
static long fail_countdown;

static int should_fail(size_t n)
{
    if (fail_countdown > 0 && --fail_countdown == 0)
        return 1;
    if (limit && (n > limit || in_use > limit - n))
        return 1;
    return 0;
}

/* Large blocks ask for transparent huge pages: one page fault per 2 MiB
 * instead of per 4 KiB when they are first written (a large share of the
 * time of passes that fill fresh arrays of millions of entries). */
static void huge_pages(unsigned char *b, size_t n)
{
#ifdef MADV_HUGEPAGE
    const uintptr_t H = (uintptr_t)1 << 21;
    uintptr_t lo = ((uintptr_t)b + H - 1) & ~(H - 1), hi = ((uintptr_t)b + n) & ~(H - 1);
    if (n >= ((size_t)8 << 20) && hi > lo)
        (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
#else
    (void)b, (void)n;
#endif
}

static void *account(unsigned char *b, size_t n)
{
    huge_pages(b, n + HDR);
    memcpy(b, &n, sizeof n);
    in_use += n;
    if (in_use > peak)
        peak = in_use;
    return b + HDR;
}

void *core_malloc(size_t n)
{
    unsigned char *b;
    if (n > SIZE_MAX - HDR || should_fail(n))
        return NULL;
    b = malloc(n + HDR);
    return b ? account(b, n) : NULL;
}

void *core_calloc(size_t count, size_t size)
{
    size_t n;
    unsigned char *b;
    if (!core_mul2(count, size, &n) || n > SIZE_MAX - HDR || should_fail(n))
        return NULL;
    b = calloc(1, n + HDR);
    return b ? account(b, n) : NULL;
}

void *core_realloc(void *p, size_t n)
{
    unsigned char *b, *nb;
    size_t old;
    if (!p)
        return core_malloc(n);
    b = (unsigned char *)p - HDR;
    memcpy(&old, b, sizeof old);
    if (n > SIZE_MAX - HDR || (n > old && should_fail(n - old)))
        return NULL;
    nb = realloc(b, n + HDR);
    if (!nb)
        return NULL;
    in_use -= old;
    return account(nb, n);
}

void *core_free(void *p)
{
    unsigned char *b;
    size_t n;
    if (!p)
        return NULL;
    b = (unsigned char *)p - HDR;
    memcpy(&n, b, sizeof n);
    in_use -= n;
    free(b);
    return NULL;
}

int core_mul2(size_t a, size_t b, size_t *out)
{
    if (b && a > SIZE_MAX / b)
        return 0;
    *out = a * b;
    return 1;
}

int core_mul3(size_t a, size_t b, size_t c, size_t *out)
{
    size_t t;
    return core_mul2(a, b, &t) && core_mul2(t, c, out);
}

int core_mem_charge(size_t n)
{
    if (limit && (n > limit || in_use > limit - n))
        return 0;
    in_use += n;
    if (in_use > peak)
        peak = in_use;
    return 1;
}

void core_mem_uncharge(size_t n) { in_use -= n < in_use ? n : in_use; }

size_t core_mem_in_use(void) { return in_use; }
size_t core_mem_peak(void) { return peak; }
void core_mem_reset_peak(void) { peak = in_use; }
void core_mem_set_limit(size_t bytes) { limit = bytes; }
size_t core_mem_limit(void) { return limit; }
void core_alloc_fail_after(long n) { fail_countdown = n > 0 ? n : 0; }

int core_err_nomem(core_err *e, const char *what, double bytes)
{
    char b[32], u[32], l[32];
    if (limit && bytes + (double)in_use > (double)limit)
        return core_err_set(e, CORE_ENOMEM, "%s: not enough memory (%s requested, %s in use, limit %s)",
                            what, core_fmt_bytes(b, sizeof b, bytes),
                            core_fmt_bytes(u, sizeof u, (double)in_use),
                            core_fmt_bytes(l, sizeof l, (double)limit));
    return core_err_set(e, CORE_ENOMEM, "%s: not enough memory (%s requested)", what,
                        core_fmt_bytes(b, sizeof b, bytes));
}
